package arm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/store"
)

// SetState sets a record's provisioning state (and the served
// properties.provisioningState) if its generation is still gen.
func (e *Engine) SetState(ctx context.Context, resourceID string, gen int64, state string, opErr *Error) error {
	return e.Run(ctx, func(t *Txn) error {
		rec, err := t.Get(ctx, resourceID)
		if err != nil || rec == nil || rec.Generation != gen {
			return err
		}
		return e.stageState(ctx, t, rec, state, opErr)
	})
}

func (e *Engine) stageState(ctx context.Context, t *Txn, rec *Record, state string, opErr *Error) error {
	rec.State = state
	rec.OpError = opErr
	id, err := ParseID(rec.Resource.ID)
	if err != nil {
		return err
	}
	if spec, ok := e.Registry.Lookup(id.Type()); ok && spec.ProvisioningState {
		m := rec.Resource.PropertiesMap()
		m["provisioningState"] = state
		rec.Resource.SetPropertiesMap(m)
	}
	return t.Write(ctx, rec)
}

// CompleteMany finishes the operations of resources without a Reconcile
// hook in one transaction: Updating/Creating become Succeeded, Deleting
// records are deleted with their children.
func (e *Engine) CompleteMany(ctx context.Context, ids []string) error {
	var rest []string
	for _, rid := range ids {
		if id, err := ParseID(rid); err == nil && id.IsScopeOnly() && id.ResourceGroup != "" {
			if err := e.deleteResourceGroup(ctx, id); err != nil {
				return err
			}
			continue
		}
		rest = append(rest, rid)
	}
	ids = rest
	return e.Run(ctx, func(t *Txn) error {
		for _, rid := range ids {
			rec, err := t.Get(ctx, rid)
			if err != nil {
				return err
			}
			if rec == nil || Terminal(rec.State) {
				continue
			}
			if rec.State == StateDeleting {
				id, err := ParseID(rid)
				if err != nil {
					return err
				}
				if err := e.deleteTree(ctx, t, id, rec, false); err != nil {
					return err
				}
				continue
			}
			if err := e.stageState(ctx, t, rec, StateSucceeded, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrKeepPending, returned by a Reconcile hook, leaves the operation in
// progress: the provider has taken the work elsewhere (a controller of its
// own) and ends it itself with SetState, or deletes the record. The
// provisioner calls the hook again only when the record changes or the
// daemon restarts.
var ErrKeepPending = errors.New("arm: operation continues in the provider")

// ReconcileOne runs a type's Reconcile hook for a record and records the
// outcome.
func (e *Engine) ReconcileOne(ctx context.Context, spec *TypeSpec, id ID, rec *Record) error {
	err := spec.Reconcile(ctx, &ReconcileOp{ID: id, Record: rec, Engine: e})
	if errors.Is(err, ErrKeepPending) {
		return nil // the provider finishes the operation itself (SetState)
	}
	if err == nil {
		if rec.State == StateDeleting {
			return nil // the hook removed (or will remove) the resource
		}
		return e.SetState(ctx, id.String(), rec.Generation, StateSucceeded, nil)
	}
	ae, ok := AsError(err)
	if !ok {
		ae = &Error{Code: "InternalServerError", Message: fmt.Sprintf("The operation failed: %v", err)}
	}
	return e.SetState(ctx, id.String(), rec.Generation, StateFailed, ae)
}

// OperationHeaders returns long-running operation headers for a record
// just written (Azure-AsyncOperation, and Location when withLocation).
func OperationHeaders(req *Request, namespace, location string, rec *Record, isDelete, withLocation bool) http.Header {
	return lroHeaders(req, namespace, location, opToken{Key: KeyOf(rec.Resource.ID), Gen: rec.Generation, Delete: isDelete, Start: time.Now()}, withLocation)
}

// ListScopeRecords lists the records directly under a collection path
// (e.g. "/subscriptions/s/resourceGroups").
func (e *Engine) ListScopeRecords(ctx context.Context, collection string) ([]*Record, error) {
	prefix := KeyOf(collection) + "/"
	res, err := e.Store.List(ctx, prefix, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, kv := range res.KVs {
		if strings.Contains(kv.Key[len(prefix):], "/") {
			continue
		}
		r, err := decodeRecord(kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ListTopLevel lists the top-level resources (not children or extension
// resources on resources) under a subscription or resource group.
func (e *Engine) ListTopLevel(ctx context.Context, scope string) ([]*Record, error) {
	res, err := e.Store.List(ctx, KeyOf(scope)+"/", store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, kv := range res.KVs {
		id, err := ParseID(kv.Key[2:])
		if err != nil || id.Namespace == "" || len(id.Types) != 1 || id.IsCollection() {
			continue
		}
		if !strings.EqualFold(id.Scope, id.ResourceGroupID()) {
			continue
		}
		r, err := decodeRecord(kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// deleteResourceGroup removes everything in a resource group, one
// top-level resource per transaction in dependency order (what is still
// referenced waits for a later pass), then the group itself.
func (e *Engine) deleteResourceGroup(ctx context.Context, rg ID) error {
	for pass := 0; ; pass++ {
		tops, err := e.ListTopLevel(ctx, rg.String())
		if err != nil {
			return err
		}
		if len(tops) == 0 {
			break
		}
		progressed := false
		var lastErr error
		for _, r := range tops {
			rid, err := ParseID(r.Resource.ID)
			if err != nil {
				return err
			}
			err = e.Run(ctx, func(t *Txn) error {
				cur, err := t.Get(ctx, rid.String())
				if err != nil || cur == nil {
					return err
				}
				return e.deleteTreeIn(ctx, t, rid, cur, false, true)
			})
			if err != nil {
				lastErr = err
				continue
			}
			progressed = true
		}
		if !progressed {
			rec, err := e.GetRecord(ctx, rg.String())
			if err != nil || rec == nil {
				return err
			}
			ae, ok := AsError(lastErr)
			if !ok {
				ae = internalError()
			}
			return e.SetState(ctx, rg.String(), rec.Generation, StateFailed, ae)
		}
	}
	return e.Run(ctx, func(t *Txn) error {
		cur, err := t.Get(ctx, rg.String())
		if err != nil || cur == nil {
			return err
		}
		return e.deleteTree(ctx, t, rg, cur, false)
	})
}
