package compute

import (
	"context"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Power actions: POST {vm}/start, powerOff, deallocate and restart answer
// 202 with Azure-AsyncOperation and Location; the machine shows
// provisioningState Updating and a transitional power state (starting,
// stopping, deallocating) until the provisioner settles it (running,
// stopped, deallocated). powerOff's skipShutdown changes nothing here.

// notAllowed is Compute's 409 OperationNotAllowed.
func notAllowed(format string, args ...any) *arm.Error {
	return arm.Conflict("OperationNotAllowed", format, args...)
}

func setState(rec *arm.Record, state string) {
	rec.State = state
	m := rec.Resource.PropertiesMap()
	m["provisioningState"] = state
	rec.Resource.SetPropertiesMap(m)
}

func (pr *Provider) powerAction(name string) arm.ActionFunc {
	return func(ctx context.Context, req *arm.Request, _ *arm.Record) (*arm.Response, error) {
		var out *arm.Record
		err := req.Engine.Run(ctx, func(t *arm.Txn) error {
			cur, err := t.Get(ctx, req.ID.String())
			if err != nil {
				return err
			}
			if cur == nil {
				return arm.ResourceNotFound(req.ID)
			}
			out = cur
			if !arm.Terminal(cur.State) {
				return notAllowed("Operation '%s' is not allowed on VM '%s' since another operation is in progress.", name, req.ID.Name())
			}
			in, err := DecodeInternal(cur)
			if err != nil {
				return err
			}
			ps := in.PowerState
			if ps == "" {
				ps = PowerRunning
			}
			var next string
			switch name {
			case "start":
				next = PowerStarting
			case "powerOff":
				if ps != PowerStopped && ps != PowerDeallocated {
					next = PowerStopping
				}
			case "deallocate":
				if ps != PowerDeallocated {
					next = PowerDeallocating
				}
			case "restart":
				if ps != PowerRunning {
					return notAllowed("The operation requires the VM to be running (or set to run).")
				}
				next = PowerStarting
			}
			if next == "" {
				return nil // already there: the operation succeeds at once
			}
			cur.Internal = encodeInternal(Internal{PowerState: next})
			setState(cur, arm.StateUpdating)
			cur.Generation++
			return t.Write(ctx, cur)
		})
		if err != nil {
			return nil, err
		}
		h := arm.OperationHeaders(req, Namespace, out.Resource.Location, out, false, true)
		return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
	}
}

// reconcileVM finishes a create, update or power action: the power state
// settles, and a machine that ends running registers its host name in
// private DNS while one that ends deallocated withdraws it.
func (pr *Provider) reconcileVM(ctx context.Context, op *arm.ReconcileOp) error {
	return op.Engine.Run(ctx, func(t *arm.Txn) error {
		rec, err := t.Get(ctx, op.ID.String())
		if err != nil || rec == nil || rec.Generation != op.Record.Generation || arm.Terminal(rec.State) {
			return err
		}
		v, err := viewOf(rec)
		if err != nil {
			return err
		}
		next := settled(v.Power)
		v.Power = next
		switch next {
		case PowerRunning:
			err = pr.registerDNS(ctx, t, v)
		case PowerDeallocated:
			err = pr.unregisterDNS(ctx, t, v)
		}
		if err != nil {
			return err
		}
		rec.Internal = encodeInternal(Internal{PowerState: next})
		setState(rec, arm.StateSucceeded)
		return t.Write(ctx, rec)
	})
}

// deleteVM withdraws the machine's private DNS registration and ends its
// running script; the engine drops its refs, which detaches (and does not
// delete) its network interfaces.
func (pr *Provider) deleteVM(ctx context.Context, op *arm.DeleteOp) error {
	v, err := viewOf(op.Record)
	if err != nil {
		return err
	}
	if err := pr.unregisterDNS(ctx, op.Tx, v); err != nil {
		return err
	}
	op.Tx.Raw().Delete(runLockKey(op.Record.Resource.ID))
	pr.mu.Lock()
	if cancel, ok := pr.running[strings.ToLower(op.Record.Resource.ID)]; ok {
		cancel()
	}
	pr.mu.Unlock()
	return nil
}
