package hybridcompute

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/privatelink"
)

// Namespace is the provider namespace.
const Namespace = "Microsoft.HybridCompute"

// Resource types.
const (
	ScopeType      = Namespace + "/privateLinkScopes"
	ConnectionType = ScopeType + "/privateEndpointConnections"
	resourceType   = ScopeType + "/privateLinkResources"
	endpointType   = "Microsoft.Network/privateEndpoints"

	// GroupID is the scope's one private link resource.
	GroupID = "hybridcompute"
	// ApprovalAction is the permission an automatic endpoint connection
	// needs on the scope.
	ApprovalAction = ScopeType + "/privateEndpointConnectionsApproval/action"
)

// APIVersions are the api-versions served (the stable ones since the
// scope's introduction, and the previews az connectedmachine used).
var APIVersions = []string{
	"2020-08-15-preview", "2021-05-20", "2021-06-10-preview", "2022-03-10", "2022-08-11-preview", "2022-11-10",
	"2022-12-27", "2023-06-20-preview", "2023-10-03-preview", "2024-03-31-preview", "2024-05-20-preview",
	"2024-07-10", "2024-07-31-preview", "2024-09-10-preview", "2024-11-10-preview", "2025-01-13",
}

// RequiredMembers and RequiredZoneNames describe the hybridcompute
// private link resource. Zone names follow Azure's private endpoint DNS
// table (privatelink.dp.kubernetesconfiguration.azure.com; the REST
// example lists privatelink.kubernetesconfiguration.azure.com).
var (
	RequiredMembers   = []string{"HybridCompute.ServerDP", "HybridCompute.K8sConfigurationDP", "HybridCompute.GuestConfigDP"}
	RequiredZoneNames = []string{"privatelink.his.arc.azure.com", "privatelink.guestconfiguration.azure.com", "privatelink.dp.kubernetesconfiguration.azure.com"}
)

// Provider implements arm.Provider for Microsoft.HybridCompute.
type Provider struct {
	// EnsureService makes Arc's service endpoints exist in a region (the
	// hidden hosts and private link service, internal/app/arc.go). It runs
	// outside the request, in Run; nil: scopes complete at once (tests of
	// the control plane alone).
	EnsureService func(ctx context.Context, region string) error
	// Log receives the background work's errors.
	Log *slog.Logger

	st *state
}

type state struct {
	engine *arm.Engine
	mu     sync.Mutex
	queue  map[string]bool
	wake   chan struct{}
}

var _ arm.Provider = (*Provider)(nil)

// Namespace implements arm.Provider.
func (*Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr *Provider) Register(p *arm.Platform) error {
	pr.st = &state{engine: p.Engine, queue: map[string]bool{}, wake: make(chan struct{}, 1)}
	if pr.Log == nil {
		pr.Log = p.Log
	}
	vs := append([]string(nil), APIVersions...)
	scope := &arm.TypeSpec{
		Type: ScopeType, APIVersions: vs, Location: arm.LocationRequired,
		ProvisioningState: true, AsyncPut: pr.EnsureService != nil,
		Children:     []arm.ChildSpec{{Property: "privateEndpointConnections", Type: "privateEndpointConnections", ReadOnly: true}},
		ValidateName: validateName,
		Put:          putScope,
		Patch:        patchScope,
		Delete:       deleteScope,
	}
	if pr.EnsureService != nil {
		scope.Reconcile = pr.reconcileScope
	}
	p.Registry.Register(scope, &arm.TypeSpec{
		Type: ConnectionType, APIVersions: vs, Location: arm.LocationNone,
		ProvisioningState: true, NoSystemData: true,
		Put:      putConnection,
		Delete:   deleteConnection,
		NotFound: notFound,
	}, publicNamesSpec())
	privatelink.RegisterTarget(privatelink.Target{
		Type: ScopeType, GroupIDs: []string{GroupID}, ApprovalAction: ApprovalAction, Bind: bindEndpoint,
	})
	if p.Server != nil {
		base := "/subscriptions/{sub}/resourceGroups/{rg}/providers/" + ScopeType + "/{scope}/privateLinkResources"
		p.Server.Handle(http.MethodGet, base, listLinkResources)
		p.Server.Handle(http.MethodGet, base+"/{group}", getLinkResource)
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// validateName: 1-63 alphanumerics, hyphens, underscores and periods,
// starting with an alphanumeric (Microsoft.HybridCompute's scope name).
func validateName(name string) error {
	if !nameRE.MatchString(name) || strings.HasSuffix(name, ".") {
		return arm.BadRequest("InvalidResourceName",
			"The resource name '%s' is invalid. The name must be 1-63 characters long, start with a letter or digit, and contain only letters, digits, hyphens, underscores and periods.", name)
	}
	return nil
}

func notFound(id arm.ID) *arm.Error {
	return arm.NotFound("ResourceNotFound", "The Resource '%s' under resource group '%s' was not found.",
		strings.TrimPrefix(id.Type(), Namespace+"/")+"/"+id.Name(), id.ResourceGroup)
}

// ScopeProperties are a scope's properties.
type ScopeProperties struct {
	PublicNetworkAccess string `json:"publicNetworkAccess"`
	ProvisioningState   string `json:"provisioningState,omitempty"`
	PrivateLinkScopeID  string `json:"privateLinkScopeId"`
}

// DecodeScope decodes a scope record's properties.
func DecodeScope(rec *arm.Record) (*ScopeProperties, error) {
	var p ScopeProperties
	if err := rec.Resource.DecodeProperties(&p); err != nil {
		return nil, fmt.Errorf("decode private link scope %s: %w", rec.Resource.ID, err)
	}
	return &p, nil
}

// PublicAccessAllowed reports whether the scope lets its resources use
// Arc's public endpoints.
func (p *ScopeProperties) PublicAccessAllowed() bool {
	return strings.EqualFold(p.PublicNetworkAccess, "Enabled")
}

func publicAccess(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return "Disabled", nil // the REST specification's default
	case "enabled":
		return "Enabled", nil
	case "disabled":
		return "Disabled", nil
	}
	return "", arm.BadRequest("InvalidParameter",
		"The value '%s' of property 'publicNetworkAccess' is invalid. Allowed values are: Enabled, Disabled.", v)
}

func putScope(_ context.Context, op *arm.PutOp) error {
	var in ScopeProperties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	pna, err := publicAccess(in.PublicNetworkAccess)
	if err != nil {
		return err
	}
	out := ScopeProperties{PublicNetworkAccess: pna, PrivateLinkScopeID: uuid.NewString()}
	if op.Existing != nil {
		old, err := DecodeScope(op.Existing)
		if err != nil {
			return err
		}
		out.PrivateLinkScopeID = old.PrivateLinkScopeID
		if !strings.EqualFold(arm.NormalizeLocation(op.Existing.Resource.Location), arm.NormalizeLocation(op.Body.Location)) {
			return arm.BadRequest("InvalidResourceLocation",
				"The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
				op.ID.Name(), op.Existing.Resource.Location, op.ID.ResourceGroup, op.Body.Location)
		}
	}
	return op.Body.SetProperties(out)
}

// patchScope is the tags PATCH (ScopeTags: only tags are accepted).
func patchScope(_ context.Context, op *arm.PatchOp) error {
	var in struct {
		Tags *map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(op.Body, &in); err != nil {
		return arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: '%v'.", err)
	}
	if in.Tags != nil {
		op.Resource.Tags = *in.Tags
	}
	return nil
}

// deleteScope refuses while Arc resources use the scope (Azure answers
// with the resources to remove first).
func deleteScope(ctx context.Context, op *arm.DeleteOp) error {
	refs, err := op.Tx.RefsTo(ctx, op.ID.String())
	if err != nil {
		return err
	}
	var users []string
	for _, r := range refs {
		if r.Kind == ScopeRefKind {
			users = append(users, r.Source)
		}
	}
	if len(users) > 0 {
		return arm.BadRequest("PrivateLinkScopeInUse",
			"Private link scope %s cannot be deleted because it is used by: %s. Disassociate these Arc resources from the scope first.",
			op.ID.String(), strings.Join(users, ", "))
	}
	return nil
}

// ScopeRefKind is the kind of the ref an Arc resource (a connected
// cluster) holds on its private link scope.
const ScopeRefKind = "privateLinkScope"

// reconcileScope hands the regional service's creation to Run.
func (pr *Provider) reconcileScope(_ context.Context, op *arm.ReconcileOp) error {
	if op.Record.State == arm.StateDeleting {
		return nil
	}
	pr.st.mu.Lock()
	pr.st.queue[op.Record.Resource.ID] = true
	pr.st.mu.Unlock()
	select {
	case pr.st.wake <- struct{}{}:
	default:
	}
	return arm.ErrKeepPending
}

// Run creates the regional Arc services that new scopes need (through
// EnsureService) and completes the scopes' operations, until ctx ends.
func (pr *Provider) Run(ctx context.Context) {
	if pr.st == nil || pr.EnsureService == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-pr.st.wake:
		}
		pr.st.mu.Lock()
		ids := make([]string, 0, len(pr.st.queue))
		for id := range pr.st.queue {
			ids = append(ids, id)
		}
		clear(pr.st.queue)
		pr.st.mu.Unlock()
		for _, id := range ids {
			rec, err := pr.st.engine.GetRecord(ctx, id)
			if err != nil || rec == nil || arm.Terminal(rec.State) || rec.State == arm.StateDeleting {
				continue
			}
			var opErr *arm.Error
			state := arm.StateSucceeded
			if err := pr.EnsureService(ctx, arm.NormalizeLocation(rec.Resource.Location)); err != nil {
				if ctx.Err() != nil {
					return
				}
				pr.Log.Error("arc service", "scope", id, "err", err)
				state, opErr = arm.StateFailed, &arm.Error{Code: "InternalServerError", Message: fmt.Sprintf("The Azure Arc service could not be prepared in region '%s': %v", rec.Resource.Location, err)}
			}
			if err := pr.st.engine.SetState(ctx, id, rec.Generation, state, opErr); err != nil && ctx.Err() == nil {
				pr.Log.Error("complete private link scope", "scope", id, "err", err)
			}
		}
	}
}
