package arm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/store"
)

// Engine implements the generic ARM resource semantics over a Store.
type Engine struct {
	Store    store.Store
	Registry *Registry
	Log      *slog.Logger
	// PageSize is the number of items per list page (nextLink beyond).
	PageSize int
	Now      func() time.Time
}

// NewEngine returns an engine.
func NewEngine(s store.Store, reg *Registry, log *slog.Logger) *Engine {
	return &Engine{Store: s, Registry: reg, Log: log, PageSize: 100, Now: time.Now}
}

// Run runs fn in an optimistic transaction, retried on conflicts.
func (e *Engine) Run(ctx context.Context, fn func(t *Txn) error) error {
	_, err := store.Run(ctx, e.Store, func(tx *store.Tx) error {
		return fn(&Txn{raw: tx, e: e})
	})
	return err
}

// GetRecord reads a record outside a transaction (nil if absent).
func (e *Engine) GetRecord(ctx context.Context, resourceID string) (*Record, error) {
	kv, err := e.Store.Get(ctx, KeyOf(resourceID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(kv.Value)
}

func newETag(spec *TypeSpec) string {
	if strings.EqualFold(spec.Type[:strings.Index(spec.Type, "/")], "Microsoft.Network") &&
		!strings.HasPrefix(strings.ToLower(spec.ShortType()), "privatednszones") {
		return `W/"` + uuid.NewString() + `"`
	}
	return uuid.NewString()
}

func etagMatches(header, etag string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		s = strings.TrimPrefix(s, "W/")
		return strings.Trim(s, `"`)
	}
	for _, h := range strings.Split(header, ",") {
		if strings.TrimSpace(h) == "*" || norm(h) == norm(etag) {
			return true
		}
	}
	return false
}

func preconditionFailed() *Error {
	return Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
		"The condition specified using HTTP conditional header(s) is not met.")
}

// checkScope verifies that the resource group or parent resource exists.
func (e *Engine) checkScope(ctx context.Context, t *Txn, id ID, spec *TypeSpec) error {
	if parent, ok := id.Parent(); ok {
		p, err := t.Get(ctx, parent.String())
		if err != nil {
			return err
		}
		if p == nil {
			if spec.NotFound != nil {
				if ps, ok := e.Registry.Lookup(parent.Type()); ok && ps.NotFound != nil {
					return ps.NotFound(parent)
				}
			}
			return ParentResourceNotFound(parent)
		}
		if p.State == StateDeleting {
			return Conflict("ParentResourceIsBeingDeleted", "Parent resource '%s' is being deleted.", parent.String())
		}
		return nil
	}
	if id.ResourceGroup != "" {
		rg, err := t.Get(ctx, id.ResourceGroupID())
		if err != nil {
			return err
		}
		if rg == nil {
			return ResourceGroupNotFound(id.ResourceGroup)
		}
		if rg.State == StateDeleting {
			return Conflict("ResourceGroupBeingDeleted",
				"The resource group '%s' is in deprovisioning state and cannot perform this operation.", id.ResourceGroup)
		}
		if spec.Scope != ScopeExtension {
			return nil
		}
	}
	if spec.Scope == ScopeExtension && id.Scope != "" && strings.Contains(strings.ToLower(id.Scope), "/providers/") {
		target, err := t.Get(ctx, id.Scope)
		if err != nil {
			return err
		}
		if target == nil {
			sid, perr := ParseID(id.Scope)
			if perr == nil {
				return ResourceNotFound(sid)
			}
			return NotFound("ResourceNotFound", "The Resource '%s' was not found.", id.Scope)
		}
	}
	return nil
}

func (e *Engine) notFound(spec *TypeSpec, id ID) *Error {
	if spec.NotFound != nil {
		return spec.NotFound(id)
	}
	return ResourceNotFound(id)
}

// putOne validates and stages one resource (and its inline children).
func (e *Engine) putOne(ctx context.Context, t *Txn, req *Request, id ID, spec *TypeSpec, body *Resource, inline bool, ifMatch, ifNoneMatch string) (*Record, bool, error) {
	existing, err := t.Get(ctx, id.String())
	if err != nil {
		return nil, false, err
	}
	if ifMatch != "" && (existing == nil || !etagMatches(ifMatch, existing.Resource.Etag)) {
		return nil, false, preconditionFailed()
	}
	if ifNoneMatch != "" && existing != nil && etagMatches(ifNoneMatch, existing.Resource.Etag) {
		return nil, false, preconditionFailed()
	}
	if existing == nil && spec.ValidateName != nil {
		if err := spec.ValidateName(id.Name()); err != nil {
			return nil, false, err
		}
	}
	if !inline {
		if err := e.checkScope(ctx, t, id, spec); err != nil {
			return nil, false, err
		}
	}
	if existing != nil && existing.State == StateDeleting {
		return nil, false, Conflict("AnotherOperationInProgress",
			"Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: %s.", id.String())
	}
	if err := e.checkLocation(spec, body, existing); err != nil {
		return nil, false, err
	}
	if spec.Put == nil {
		return nil, false, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
			"The requested resource does not support http method 'PUT'.")
	}
	// Split inline children out of the body.
	props := body.PropertiesMap()
	childBodies := map[string][]json.RawMessage{}
	childAbsent := map[string]bool{}
	for _, c := range spec.Children {
		raw, present := props[c.Property]
		delete(props, c.Property)
		if c.ReadOnly {
			continue
		}
		childAbsent[c.Type] = !present || raw == nil
		b, _ := json.Marshal(raw)
		var arr []json.RawMessage
		if present && raw != nil {
			if err := json.Unmarshal(b, &arr); err != nil {
				return nil, false, invalidContent(err)
			}
		}
		childBodies[c.Type] = arr
	}
	if len(spec.Children) > 0 {
		body.SetPropertiesMap(props)
	}
	op := &PutOp{ID: id, Spec: spec, Body: body, Existing: existing, Tx: t, Req: req, Inline: inline}
	if existing != nil {
		op.Internal = existing.Internal
	}
	if err := spec.Put(ctx, op); err != nil {
		return nil, false, err
	}
	now := e.Now().UTC()
	rec := &Record{Internal: op.Internal, Refs: op.Refs}
	if existing != nil {
		rec.Generation = existing.Generation + 1
		rec.Created = existing.Created
	} else {
		rec.Generation = 1
		rec.Created = now
	}
	state := op.State
	if state == "" {
		state = StateSucceeded
		if spec.AsyncPut {
			state = StateUpdating
		}
	}
	rec.State = state
	res := *body
	res.ID = id.String()
	res.Name = id.Name()
	res.Type = spec.Type
	if spec.ETag {
		res.Etag = newETag(spec)
	} else {
		res.Etag = ""
	}
	if !spec.NoSystemData {
		by := req.Principal.AppID
		sd := &SystemData{CreatedBy: by, CreatedByType: "Application", CreatedAt: now, LastModifiedBy: by, LastModifiedByType: "Application", LastModifiedAt: now}
		if existing != nil && existing.Resource.SystemData != nil {
			sd.CreatedBy = existing.Resource.SystemData.CreatedBy
			sd.CreatedByType = existing.Resource.SystemData.CreatedByType
			sd.CreatedAt = existing.Resource.SystemData.CreatedAt
		}
		res.SystemData = sd
	} else {
		res.SystemData = nil
	}
	if spec.ProvisioningState {
		m := res.PropertiesMap()
		m["provisioningState"] = state
		res.SetPropertiesMap(m)
	}
	rec.Resource = res
	if err := t.Write(ctx, rec); err != nil {
		return nil, false, err
	}
	// Inline children: create/replace those given, delete the others.
	for _, c := range spec.Children {
		if c.ReadOnly || (c.KeepWhenAbsent && childAbsent[c.Type]) {
			continue
		}
		cspec, ok := e.Registry.Lookup(spec.Type + "/" + c.Type)
		if !ok {
			return nil, false, fmt.Errorf("child type %s/%s not registered", spec.Type, c.Type)
		}
		want := map[string]bool{}
		for _, raw := range childBodies[c.Type] {
			var cb Resource
			if err := json.Unmarshal(raw, &cb); err != nil {
				return nil, false, invalidContent(err)
			}
			if cb.Name == "" {
				return nil, false, BadRequest("InvalidRequestFormat",
					"Cannot parse the request. Property 'name' of %s is required.", c.Property)
			}
			cid := id.Child(cspec.LastType(), cb.Name)
			want[strings.ToLower(cb.Name)] = true
			cexisting, err := t.Get(ctx, cid.String())
			if err != nil {
				return nil, false, err
			}
			// An unchanged inline child keeps its etag and state.
			if cexisting != nil && sameInline(cexisting, &cb) {
				continue
			}
			if _, _, err := e.putOne(ctx, t, req, cid, cspec, &cb, true, "", ""); err != nil {
				return nil, false, err
			}
		}
		olds, err := t.Children(ctx, id, cspec.LastType())
		if err != nil {
			return nil, false, err
		}
		for _, o := range olds {
			if want[strings.ToLower(o.Resource.Name)] {
				continue
			}
			oid, _ := ParseID(o.Resource.ID)
			if err := e.deleteTree(ctx, t, oid, o, false); err != nil {
				return nil, false, err
			}
		}
	}
	return rec, existing == nil, nil
}

// sameInline reports whether an inline child body restates the stored
// child unchanged (ignoring read-only fields).
func sameInline(rec *Record, body *Resource) bool {
	stored := rec.Resource.PropertiesMap()
	given := body.PropertiesMap()
	for k, v := range given {
		sv, ok := stored[k]
		if !ok {
			return false
		}
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(sv)
		if string(a) != string(b) {
			return false
		}
	}
	return true
}

func (e *Engine) checkLocation(spec *TypeSpec, body *Resource, existing *Record) error {
	switch spec.Location {
	case LocationRequired:
		if body.Location == "" {
			if existing != nil {
				body.Location = existing.Resource.Location
				return nil
			}
			return BadRequest("LocationRequired", "The location property is required for this definition.")
		}
		body.Location = NormalizeLocation(body.Location)
		if !IsRegion(body.Location) {
			return locationNotAvailable(spec, body.Location)
		}
		if existing != nil && !strings.EqualFold(existing.Resource.Location, body.Location) {
			return BadRequest("InvalidResourceLocation",
				"The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
				existing.Resource.Name, existing.Resource.Location, resourceGroupOf(existing.Resource.ID), body.Location)
		}
	case LocationGlobal:
		if body.Location == "" {
			body.Location = "global"
		}
		if !strings.EqualFold(body.Location, "global") {
			return BadRequest("InvalidLocation", "The location '%s' is not valid for this resource. The only supported location is 'global'.", body.Location)
		}
		body.Location = "global"
	case LocationNone:
		body.Location = ""
	case LocationOptional:
		if body.Location != "" {
			body.Location = NormalizeLocation(body.Location)
			if body.Location != "global" && !IsRegion(body.Location) {
				return locationNotAvailable(spec, body.Location)
			}
		}
	}
	return nil
}

// locationNotAvailable is ARM's answer to a location that is not a region.
func locationNotAvailable(spec *TypeSpec, loc string) error {
	return BadRequest("LocationNotAvailableForResourceType",
		"The provided location '%s' is not available for resource type '%s'. List of available regions for the resource type is '%s'.",
		loc, spec.Type, RegionNames())
}

func resourceGroupOf(resourceID string) string {
	id, err := ParseID(resourceID)
	if err != nil {
		return ""
	}
	return id.ResourceGroup
}

// NormalizeLocation turns "West US 2" into "westus2" as ARM does.
func NormalizeLocation(loc string) string {
	return strings.ToLower(strings.ReplaceAll(loc, " ", ""))
}

// Render builds the served resource of a record: etag, state, inline
// children, back-references and the type's own derived fields.
func (e *Engine) Render(ctx context.Context, rec *Record) (Resource, error) {
	res := rec.Resource
	id, err := ParseID(res.ID)
	if err != nil {
		return res, err
	}
	spec, ok := e.Registry.Lookup(id.Type())
	if !ok {
		return res, nil
	}
	if len(spec.Children) > 0 || len(spec.BackRefs) > 0 {
		m := res.PropertiesMap()
		for _, c := range spec.Children {
			kids, err := e.childRecords(ctx, id, c.Type)
			if err != nil {
				return res, err
			}
			arr := make([]any, 0, len(kids))
			for _, k := range kids {
				kr, err := e.Render(ctx, k)
				if err != nil {
					return res, err
				}
				arr = append(arr, kr)
			}
			m[c.Property] = arr
		}
		for _, br := range spec.BackRefs {
			refs, err := e.refsTo(ctx, res.ID, br.Kind)
			if err != nil {
				return res, err
			}
			if br.Single {
				if len(refs) > 0 {
					m[br.Property] = map[string]string{"id": refs[0].Source}
				}
				continue
			}
			if len(refs) > 0 {
				arr := make([]map[string]string, len(refs))
				for i, r := range refs {
					arr[i] = map[string]string{"id": r.Source}
				}
				m[br.Property] = arr
			}
		}
		res.SetPropertiesMap(m)
	}
	if spec.Render != nil {
		if err := spec.Render(ctx, &RenderOp{ID: id, Record: rec, Resource: &res, Engine: e}); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (e *Engine) childRecords(ctx context.Context, parent ID, childType string) ([]*Record, error) {
	prefix := parent.Key() + "/" + strings.ToLower(childType) + "/"
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

// RefsTo lists refs of a kind (all kinds if kind is "") pointing at target.
func (e *Engine) refsTo(ctx context.Context, target, kind string) ([]Ref, error) {
	prefix := "/x" + KeyOf(target) + "|"
	if kind != "" {
		prefix += kind + "|"
	}
	res, err := e.Store.List(ctx, prefix, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]Ref, 0, len(res.KVs))
	for _, kv := range res.KVs {
		var ie indexEntry
		if err := json.Unmarshal(kv.Value, &ie); err != nil {
			return nil, fmt.Errorf("decode ref index: %w", err)
		}
		out = append(out, ie.Ref)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// RefsTo is the exported form of refsTo for providers.
func (e *Engine) RefsTo(ctx context.Context, target, kind string) ([]Ref, error) {
	return e.refsTo(ctx, target, kind)
}

// deleteTree deletes rec and every resource under it in t, after the
// in-use checks and the types' Delete hooks.
func (e *Engine) deleteTree(ctx context.Context, t *Txn, id ID, rec *Record, withParent bool) error {
	return e.deleteTreeIn(ctx, t, id, rec, withParent, false)
}

// deleteTreeIn is deleteTree; inGroup says the resource group is being
// deleted (DeleteOp.InGroupDelete).
func (e *Engine) deleteTreeIn(ctx context.Context, t *Txn, id ID, rec *Record, withParent, inGroup bool) error {
	key := id.Key()
	kvs, err := t.raw.List(ctx, key+"/")
	if err != nil {
		return err
	}
	type item struct {
		id  ID
		rec *Record
		key string
	}
	items := []item{{id, rec, key}}
	deleting := map[string]bool{key: true}
	for _, kv := range kvs {
		r, err := decodeRecord(kv.Value)
		if err != nil {
			return err
		}
		rid, err := ParseID(r.Resource.ID)
		if err != nil {
			return err
		}
		items = append(items, item{rid, r, kv.Key})
		deleting[kv.Key] = true
	}
	for i, it := range items {
		spec, _ := e.Registry.Lookup(it.id.Type())
		entries, err := t.refEntries(ctx, it.key)
		if err != nil {
			return err
		}
		var blocking []Ref
		for _, en := range entries {
			if en.Blocking && !deleting[en.SourceKey] {
				blocking = append(blocking, en.Ref)
			}
		}
		if len(blocking) > 0 {
			if spec != nil && spec.InUse != nil {
				return spec.InUse(it.id, blocking)
			}
			return BadRequest("InUseResourceCannotBeDeleted",
				"Resource %s is in use by %s and cannot be deleted.", it.id.String(), blocking[0].Source)
		}
		for _, en := range entries {
			if en.Blocking || deleting[en.SourceKey] {
				continue
			}
			if err := e.targetDeleted(ctx, t, it.id, en); err != nil {
				return err
			}
		}
		if spec != nil && spec.Delete != nil {
			if err := spec.Delete(ctx, &DeleteOp{ID: it.id, Record: it.rec, Tx: t, WithParent: withParent || i > 0, InGroupDelete: inGroup}); err != nil {
				return err
			}
		}
		if err := t.syncRefs(ctx, it.key, it.rec.Refs, nil); err != nil {
			return err
		}
		for _, en := range entries {
			t.raw.Delete(refIndexKey(it.key, en.Ref))
		}
		t.raw.Delete(refCounterKey(it.key))
		t.raw.Delete(it.key)
	}
	return nil
}

// targetDeleted runs the TargetDeleted hook of the type of the resource
// holding a non-blocking ref on target, which is being deleted.
func (e *Engine) targetDeleted(ctx context.Context, t *Txn, target ID, en indexEntry) error {
	if !strings.HasPrefix(en.SourceKey, "/r") {
		return nil
	}
	kid, err := ParseID(en.SourceKey[2:])
	if err != nil {
		return nil
	}
	if spec, ok := e.Registry.Lookup(kid.Type()); !ok || spec.TargetDeleted == nil {
		return nil
	}
	kv, ok, err := t.raw.Get(ctx, en.SourceKey)
	if err != nil || !ok {
		return err
	}
	src, err := decodeRecord(kv.Value)
	if err != nil {
		return err
	}
	sid, err := ParseID(src.Resource.ID)
	if err != nil {
		return err
	}
	spec, ok := e.Registry.Lookup(sid.Type())
	if !ok || spec.TargetDeleted == nil {
		return nil
	}
	return spec.TargetDeleted(ctx, &TargetDeletedOp{Target: target, Ref: en.Ref, SourceID: sid, Source: src, Tx: t, Engine: e})
}

// DeleteTree is deleteTree for providers that remove other resources
// (e.g. a resource group's contents).
func (e *Engine) DeleteTree(ctx context.Context, t *Txn, id ID, rec *Record) error {
	return e.deleteTree(ctx, t, id, rec, false)
}
