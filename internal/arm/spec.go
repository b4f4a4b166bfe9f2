package arm

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// ScopeKind says where a resource type lives.
type ScopeKind int

const (
	// ScopeResourceGroup: /subscriptions/{s}/resourceGroups/{rg}/providers/...
	ScopeResourceGroup ScopeKind = iota
	// ScopeSubscription: /subscriptions/{s}/providers/...
	ScopeSubscription
	// ScopeExtension: {any scope}/providers/... (e.g. role assignments).
	ScopeExtension
)

// LocationRule says how a type treats "location".
type LocationRule int

const (
	// LocationRequired: tracked resource, location required.
	LocationRequired LocationRule = iota
	// LocationGlobal: location must be "global" (private DNS zones).
	LocationGlobal
	// LocationNone: proxy/child resource without a location.
	LocationNone
	// LocationOptional: location accepted and kept when given.
	LocationOptional
)

// ChildSpec declares children that a parent's PUT body carries inline in
// properties[Property] (e.g. virtualNetworks' "subnets"), and that GET
// renders there.
type ChildSpec struct {
	Property string
	Type     string // child type segment, e.g. "subnets"
	// ReadOnly children are rendered but not managed by the parent's PUT.
	ReadOnly bool
	// KeepWhenAbsent keeps the existing children when the parent's PUT body
	// omits Property altogether (an explicit array, even empty, still
	// replaces them), as Azure does for virtualNetworks' peerings.
	KeepWhenAbsent bool
}

// BackRef renders refs pointing at a resource into properties[Property]
// as [{"id": source}] (or one {"id": source} with Single).
type BackRef struct {
	Property string
	Kind     string
	Single   bool
}

// Principal is the authenticated caller.
type Principal struct {
	ObjectID string
	TenantID string
	AppID    string
}

// TypeSpec describes one resource type to the engine.
type TypeSpec struct {
	// Type is the canonical full type, e.g. "Microsoft.Network/virtualNetworks/subnets".
	Type string
	// APIVersions accepted for this type.
	APIVersions []string
	Scope       ScopeKind
	Location    LocationRule
	// ETag: the resource carries an etag.
	ETag bool
	// ProvisioningState: properties.provisioningState is served.
	ProvisioningState bool
	// AsyncPut/AsyncDelete: PUT/DELETE are long-running operations.
	AsyncPut    bool
	AsyncDelete bool
	// DeleteStatus is the status of a synchronous DELETE of an existing
	// resource (default 200).
	DeleteStatus int
	// NoSystemData hides systemData.
	NoSystemData bool
	Children     []ChildSpec
	BackRefs     []BackRef

	// ValidateName checks a new resource's name.
	ValidateName func(name string) error
	// Put validates and normalizes a create or replace (required for
	// writable types).
	Put func(ctx context.Context, op *PutOp) error
	// Patch applies a PATCH (default: merge tags).
	Patch func(ctx context.Context, op *PatchOp) error
	// Delete runs before a resource is deleted (also for children deleted
	// with their parent) and may refuse or stage cleanup.
	Delete func(ctx context.Context, op *DeleteOp) error
	// InUse builds the error returned when blocking refs point at the
	// resource being deleted.
	InUse func(id ID, refs []Ref) error
	// Render adjusts the served resource (derived fields).
	Render func(ctx context.Context, op *RenderOp) error
	// Reconcile finishes an asynchronous PUT outside the request (default:
	// nothing to do, the resource just becomes Succeeded).
	Reconcile func(ctx context.Context, op *ReconcileOp) error
	// Actions are POST {resource id}/{action}.
	Actions map[string]ActionFunc
	// List replaces the default collection listing.
	List func(ctx context.Context, op *ListOp) ([]Resource, error)
	// NotFound overrides the 404 for a missing resource.
	NotFound func(id ID) *Error
	// CheckID validates the ID of every request addressing one resource of
	// the type (GET, HEAD, PUT, PATCH, DELETE) before anything is looked up,
	// e.g. role assignment names, which must be GUIDs even to delete.
	CheckID func(id ID) error
	// DeleteReturnsBody: a synchronous DELETE of an existing resource
	// answers with the deleted resource's body (role assignments).
	DeleteReturnsBody bool
	// TargetDeleted runs, in the deleting transaction, for every
	// non-blocking ref a resource of this type holds on a resource being
	// deleted (one that is not going in the same delete): it may update or
	// delete the source (e.g. a private DNS zone's virtual network link
	// goes with its virtual network). Without it the ref is just dropped.
	TargetDeleted func(ctx context.Context, op *TargetDeletedOp) error
}

// TargetDeletedOp is given to TypeSpec.TargetDeleted.
type TargetDeletedOp struct {
	// Target is the resource being deleted.
	Target ID
	// Ref is the ref the source holds on Target.
	Ref Ref
	// SourceID and Source are the resource holding the ref.
	SourceID ID
	Source   *Record
	Tx       *Txn
	Engine   *Engine
}

// ActionFunc handles a POST action on an existing resource.
type ActionFunc func(ctx context.Context, req *Request, rec *Record) (*Response, error)

// Response is a handler's answer.
type Response struct {
	Status int
	Body   any
	Header http.Header
}

// Request is what handlers get.
type Request struct {
	HTTP       *http.Request
	ID         ID
	Vars       map[string]string
	APIVersion string
	Principal  Principal
	Body       []byte
	// BaseURL is "https://host:port" as the client addressed us.
	BaseURL string
	Engine  *Engine
}

// DecodeBody decodes the JSON body into v with ARM's error on failure.
func (r *Request) DecodeBody(v any) error {
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return invalidContent(err)
	}
	return nil
}

// PutOp is given to TypeSpec.Put.
type PutOp struct {
	ID   ID
	Spec *TypeSpec
	// Body is the request body; the hook normalizes it (properties,
	// read-only fields). Properties in the stored resource come from here.
	Body *Resource
	// Existing is the stored record on replace, nil on create.
	Existing *Record
	// Internal is the provider-private state to store.
	Internal json.RawMessage
	Tx       *Txn
	Req      *Request
	// Refs the resource holds; the engine indexes them.
	Refs []Ref
	// Inline is true when written from the parent's inline array.
	Inline bool
	// State overrides the provisioning state to store (default: Updating
	// for async types, else Succeeded).
	State string
}

// AddRef records a reference from source (default: this resource) to target.
func (op *PutOp) AddRef(target, kind, source string, blocking bool) {
	if source == "" {
		source = op.ID.String()
	}
	op.Refs = append(op.Refs, Ref{Target: target, Kind: kind, Source: source, Blocking: blocking})
}

// PatchOp is given to TypeSpec.Patch.
type PatchOp struct {
	ID       ID
	Body     json.RawMessage
	Resource *Resource // to modify in place
	Record   *Record
	Tx       *Txn
	Req      *Request
}

// DeleteOp is given to TypeSpec.Delete.
type DeleteOp struct {
	ID     ID
	Record *Record
	Tx     *Txn
	// WithParent is true when the resource goes because its parent does.
	WithParent bool
	// InGroupDelete is true when the resource goes because its resource
	// group is deleted: Azure deletes whatever the group holds, so checks
	// that make the user delete children first do not apply.
	InGroupDelete bool
}

// RenderOp is given to TypeSpec.Render.
type RenderOp struct {
	ID       ID
	Record   *Record
	Resource *Resource
	Engine   *Engine
}

// ReconcileOp is given to TypeSpec.Reconcile.
type ReconcileOp struct {
	ID     ID
	Record *Record
	Engine *Engine
}

// ListOp is given to TypeSpec.List.
type ListOp struct {
	Req    *Request
	Scope  string
	Parent *ID
}

// Registry holds the type specs, keyed case-insensitively.
type Registry struct {
	types      map[string]*TypeSpec
	namespaces map[string]string // lower -> canonical
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string]*TypeSpec{}, namespaces: map[string]string{}}
}

// Register adds a type spec.
func (g *Registry) Register(specs ...*TypeSpec) {
	for _, s := range specs {
		sort.Strings(s.APIVersions)
		g.types[strings.ToLower(s.Type)] = s
		ns := s.Type[:strings.Index(s.Type, "/")]
		g.namespaces[strings.ToLower(ns)] = ns
	}
}

// Lookup finds a type spec by full type name.
func (g *Registry) Lookup(fullType string) (*TypeSpec, bool) {
	s, ok := g.types[strings.ToLower(fullType)]
	return s, ok
}

// Namespace returns the canonical spelling of a registered namespace.
func (g *Registry) Namespace(ns string) (string, bool) {
	c, ok := g.namespaces[strings.ToLower(ns)]
	return c, ok
}

// Types returns all specs sorted by type.
func (g *Registry) Types() []*TypeSpec {
	out := make([]*TypeSpec, 0, len(g.types))
	for _, s := range g.types {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Canonicalize rewrites id's namespace and type segments in their
// registered spelling.
func (g *Registry) Canonicalize(id ID) ID {
	if c, ok := g.Namespace(id.Namespace); ok {
		id.Namespace = c
	}
	types := append([]string(nil), id.Types...)
	for i := range types {
		if s, ok := g.Lookup(id.Namespace + "/" + strings.Join(types[:i+1], "/")); ok {
			parts := strings.Split(s.Type, "/")
			types[i] = parts[i+1]
		}
	}
	id.Types = types
	return id
}

// SupportsVersion reports whether v is accepted.
func (s *TypeSpec) SupportsVersion(v string) bool {
	i := sort.SearchStrings(s.APIVersions, v)
	return i < len(s.APIVersions) && s.APIVersions[i] == v
}

// ShortType is the type without namespace ("virtualNetworks/subnets").
func (s *TypeSpec) ShortType() string { return s.Type[strings.Index(s.Type, "/")+1:] }

// LastType is the last type segment ("subnets").
func (s *TypeSpec) LastType() string { return s.Type[strings.LastIndex(s.Type, "/")+1:] }
