package authorization

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

const (
	// Namespace is the provider namespace.
	Namespace = "Microsoft.Authorization"
	// AssignmentType is the ARM type of role assignments.
	AssignmentType = "Microsoft.Authorization/roleAssignments"
)

// DefinitionAPIVersions are the roleDefinitions api-versions accepted (az 2.45
// sends 2018-01-01-preview, armauthorization v2 2022-04-01, Terraform
// azurerm 2022-05-01-preview).
var DefinitionAPIVersions = []string{"2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview"}

// AssignmentAPIVersions are the roleAssignments api-versions accepted (az
// 2.45 sends 2020-04-01-preview, armauthorization v2 and Terraform azurerm
// 2022-04-01).
var AssignmentAPIVersions = []string{"2015-07-01", "2018-09-01-preview", "2020-04-01-preview", "2020-10-01-preview", "2022-04-01"}

// Principal types a role assignment accepts, in Azure's spelling.
var principalTypes = []string{"User", "Group", "ServicePrincipal", "ForeignGroup", "Device"}

var uuidRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// customDefinitionPrefix is where custom role definitions are stored
// (provider-owned keys, one per role GUID, lower-case).
const customDefinitionPrefix = "/authz/roledefinitions/"

func customDefinitionKey(guid string) string { return customDefinitionPrefix + strings.ToLower(guid) }

// Provider implements arm.Provider for Microsoft.Authorization: role
// definitions (the built-ins of this package and stored custom roles) and
// role assignments at any scope. Registering it also installs the
// platform's Authorizer.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	h := &handlers{p: p}
	p.Registry.Register(h.assignmentSpec(), &arm.TypeSpec{
		// Role definitions are answered by the routes below; the spec
		// describes the type (api versions) to the provider listing.
		Type: ResourceType, APIVersions: append([]string(nil), DefinitionAPIVersions...),
		Scope: arm.ScopeExtension, Location: arm.LocationNone, NoSystemData: true,
	})
	const defs = "/{scope...}/providers/Microsoft.Authorization/roleDefinitions"
	s := p.Server
	s.Handle(http.MethodGet, defs, h.listDefinitions)
	s.Handle(http.MethodGet, defs+"/{roleDefinitionId}", h.getDefinition)
	s.Handle(http.MethodPut, defs+"/{roleDefinitionId}", h.putDefinition)
	s.Handle(http.MethodDelete, defs+"/{roleDefinitionId}", h.deleteDefinition)
	p.Authorizer = &Authorizer{Engine: p.Engine}
	return nil
}

type handlers struct{ p *arm.Platform }

// ---- scopes ----

// canonicalScope validates a role scope (as the {scope...} part of a path
// or an assignable scope) and returns it with ARM's casing of the
// subscriptions/resourceGroups segments: "" is the root, then
// /subscriptions/{s}, .../resourceGroups/{rg}, a resource ID, or a
// management group.
func canonicalScope(scope string) (string, bool) {
	if scope == "" || scope == "/" {
		return "", true
	}
	if !strings.HasPrefix(scope, "/") {
		return "", false
	}
	id, err := arm.ParseID(scope)
	if err != nil {
		return "", false
	}
	if id.IsScopeOnly() {
		n := len(strings.Split(strings.Trim(scope, "/"), "/"))
		if n != 2 && n != 4 {
			return "", false
		}
		return id.String(), true
	}
	if id.IsCollection() {
		return "", false
	}
	if id.Subscription == "" && !strings.EqualFold(id.Type(), "Microsoft.Management/managementGroups") {
		return "", false
	}
	return id.String(), true
}

// displayScope is the scope whose form role definition IDs take when read
// at scope: the subscription for anything in one, a management group, or
// the root.
func displayScope(scope string) string {
	segs := strings.Split(strings.Trim(scope, "/"), "/")
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		return "/subscriptions/" + segs[1]
	}
	if len(segs) >= 4 && strings.EqualFold(segs[0], "providers") && strings.EqualFold(segs[1], "Microsoft.Management") {
		return "/" + strings.Join(segs[:4], "/")
	}
	return "/"
}

// scopeChain returns the scopes covering scope, from the root ("") down to
// scope itself: the root, the subscription, the resource group, then each
// resource on the path (a virtual network before its subnet).
func scopeChain(scope string) []string {
	out := []string{""}
	segs := strings.Split(strings.Trim(scope, "/"), "/")
	if scope == "" || len(segs) == 0 {
		return out
	}
	add := func(n int) { out = append(out, "/"+strings.Join(segs[:n], "/")) }
	i := 0
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		i = 2
		add(i)
		if len(segs) >= 4 && strings.EqualFold(segs[2], "resourceGroups") {
			i = 4
			add(i)
		}
	}
	for i+1 < len(segs) && strings.EqualFold(segs[i], "providers") {
		i += 2 // providers/{namespace}
		for i+1 < len(segs) && !strings.EqualFold(segs[i], "providers") {
			i += 2 // {type}/{name}
			add(i)
		}
	}
	return out
}

// scopeLabel is how a scope is shown in properties.scope ("/" for the root).
func scopeLabel(scope string) string {
	if scope == "" {
		return "/"
	}
	return scope
}

func invalidScope(scope string) *arm.Error {
	return arm.BadRequest("InvalidScope", "The scope '%s' is not valid.", scopeLabel(scope))
}

// ---- role definitions ----

func checkVersion(req *arm.Request, versions []string, typ string) error {
	for _, v := range versions {
		if v == req.APIVersion {
			return nil
		}
	}
	return arm.BadRequest("NoRegisteredProviderFound",
		"No registered resource provider found for location 'global' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are ''.",
		req.APIVersion, typ, strings.Join(versions, ", "))
}

func definitionNotFound(id string) *arm.Error {
	return arm.NotFound("RoleDefinitionDoesNotExist", "The specified role definition with ID '%s' does not exist.", id)
}

func decodeDefinition(key string, b []byte) (*RoleDefinition, error) {
	var d RoleDefinition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode role definition %s: %w", key, err)
	}
	return &d, nil
}

// customDefinition reads a stored custom role (nil if none).
func customDefinition(ctx context.Context, st store.Store, guid string) (*RoleDefinition, error) {
	kv, err := st.Get(ctx, customDefinitionKey(guid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read role definition: %w", err)
	}
	return decodeDefinition(kv.Key, kv.Value)
}

// customDefinitions reads every stored custom role, sorted by role name.
func customDefinitions(ctx context.Context, st store.Store) ([]RoleDefinition, error) {
	res, err := st.List(ctx, customDefinitionPrefix, store.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list role definitions: %w", err)
	}
	out := make([]RoleDefinition, 0, len(res.KVs))
	for _, kv := range res.KVs {
		d, err := decodeDefinition(kv.Key, kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.ToLower(out[i].Properties.RoleName) < strings.ToLower(out[j].Properties.RoleName)
	})
	return out, nil
}

func txCustomDefinition(ctx context.Context, t *arm.Txn, guid string) (*RoleDefinition, error) {
	key := customDefinitionKey(guid)
	kv, ok, err := t.Raw().Get(ctx, key)
	if err != nil || !ok {
		return nil, err
	}
	return decodeDefinition(key, kv.Value)
}

// assignableAt reports whether d may be assigned at scope.
func assignableAt(d RoleDefinition, scope string) bool {
	for _, as := range d.Properties.AssignableScopes {
		if IsAncestorScope(as, scopeLabel(scope)) {
			return true
		}
	}
	return false
}

// definitionFilter is a parsed roleDefinitions $filter.
type definitionFilter struct {
	roleName string
	typ      string
}

var (
	roleNameFilterRE = regexp.MustCompile(`(?i)^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$`)
	typeFilterRE     = regexp.MustCompile(`(?i)^\s*type\s+eq\s+'((?:[^']|'')*)'\s*$`)
)

func parseDefinitionFilter(f string) (definitionFilter, error) {
	if strings.TrimSpace(f) == "" {
		return definitionFilter{}, nil
	}
	if m := roleNameFilterRE.FindStringSubmatch(f); m != nil {
		return definitionFilter{roleName: strings.ReplaceAll(m[1], "''", "'")}, nil
	}
	if m := typeFilterRE.FindStringSubmatch(f); m != nil {
		return definitionFilter{typ: strings.ReplaceAll(m[1], "''", "'")}, nil
	}
	return definitionFilter{}, arm.BadRequest("UnsupportedQuery",
		"The filter '%s' is not supported. Supported filters are either 'roleName eq '{value}'' or 'type eq 'BuiltInRole|CustomRole''.", f)
}

func (f definitionFilter) match(d RoleDefinition) bool {
	if f.roleName != "" && !strings.EqualFold(f.roleName, d.Properties.RoleName) {
		return false
	}
	if f.typ != "" && !strings.EqualFold(f.typ, d.Properties.Type) {
		return false
	}
	return true
}

func (h *handlers) definitionScope(req *arm.Request) (string, error) {
	scope, ok := canonicalScope(req.Vars["scope"])
	if !ok {
		return "", invalidScope(req.Vars["scope"])
	}
	return scope, nil
}

// listDefinitions answers GET {scope}/providers/Microsoft.Authorization/roleDefinitions:
// the built-ins and the custom roles assignable at scope.
func (h *handlers) listDefinitions(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, DefinitionAPIVersions, "roleDefinitions"); err != nil {
		return nil, err
	}
	scope, err := h.definitionScope(req)
	if err != nil {
		return nil, err
	}
	filter, err := parseDefinitionFilter(req.HTTP.URL.Query().Get("$filter"))
	if err != nil {
		return nil, err
	}
	custom, err := customDefinitions(ctx, h.p.Engine.Store)
	if err != nil {
		return nil, err
	}
	shown := displayScope(scope)
	vals := []any{}
	for _, d := range BuiltinRoles() {
		if filter.match(d) {
			vals = append(vals, d.AtScope(shown))
		}
	}
	for _, d := range custom {
		if (scope == "" || assignableAt(d, scope)) && filter.match(d) {
			vals = append(vals, d.AtScope(shown))
		}
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}

// getDefinition answers GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}.
func (h *handlers) getDefinition(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, DefinitionAPIVersions, "roleDefinitions"); err != nil {
		return nil, err
	}
	scope, err := h.definitionScope(req)
	if err != nil {
		return nil, err
	}
	guid := req.Vars["roleDefinitionId"]
	if d, ok := BuiltinByID(guid); ok {
		return &arm.Response{Status: http.StatusOK, Body: d.AtScope(displayScope(scope))}, nil
	}
	if !uuidRE.MatchString(guid) {
		return nil, definitionNotFound(guid)
	}
	d, err := customDefinition(ctx, h.p.Engine.Store, guid)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, definitionNotFound(guid)
	}
	return &arm.Response{Status: http.StatusOK, Body: d.AtScope(displayScope(scope))}, nil
}

// definitionBody is a role definition PUT body.
type definitionBody struct {
	Properties *struct {
		RoleName         *string      `json:"roleName"`
		Description      *string      `json:"description"`
		Type             *string      `json:"type"`
		Permissions      []Permission `json:"permissions"`
		AssignableScopes []string     `json:"assignableScopes"`
	} `json:"properties"`
}

// validPermission reports whether an action pattern has the shape of an
// operation name: "*", or "{Namespace}/..." where the namespace is dotted
// or "*" (e.g. "*/read").
func validPermission(p string) bool {
	if p == "*" {
		return true
	}
	i := strings.Index(p, "/")
	if i <= 0 || i == len(p)-1 || strings.ContainsAny(p, " \t") {
		return false
	}
	ns := p[:i]
	return ns == "*" || (strings.Contains(ns, ".") && !strings.HasPrefix(ns, ".") && !strings.HasSuffix(ns, "."))
}

// validateDefinition checks a custom role body and returns the role to
// store (without timestamps and authors).
func validateDefinition(guid string, body definitionBody) (RoleDefinition, error) {
	d := RoleDefinition{Name: strings.ToLower(guid), Type: ResourceType, ID: RoleDefinitionID("/", strings.ToLower(guid))}
	if body.Properties == nil {
		return d, arm.BadRequest("RoleDefinitionNameNullOrEmpty", "The role definition name cannot be null or empty.")
	}
	props := body.Properties
	if props.Type != nil && *props.Type != "" && !strings.EqualFold(*props.Type, CustomRole) {
		return d, arm.BadRequest("InvalidRoleDefinitionType",
			"The role definition type '%s' is not valid. Only roles of type 'CustomRole' can be created or updated.", *props.Type)
	}
	if props.RoleName == nil || strings.TrimSpace(*props.RoleName) == "" {
		return d, arm.BadRequest("RoleDefinitionNameNullOrEmpty", "The role definition name cannot be null or empty.")
	}
	if len(props.AssignableScopes) == 0 {
		return d, arm.BadRequest("MissingAssignableScopes", "The role definition must have at least one assignable scope.")
	}
	scopes := make([]string, 0, len(props.AssignableScopes))
	for i, as := range props.AssignableScopes {
		c, ok := canonicalScope(as)
		if !ok || c == "" {
			return d, arm.BadRequest("LinkedInvalidPropertyId",
				"Property id '%s' at path 'properties.assignableScopes[%d]' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
				as, i)
		}
		scopes = append(scopes, c)
	}
	perms := make([]Permission, 0, len(props.Permissions))
	for _, p := range props.Permissions {
		for _, list := range [][]string{p.Actions, p.NotActions, p.DataActions, p.NotDataActions} {
			for _, a := range list {
				if !validPermission(a) {
					return d, arm.BadRequest("InvalidActionOrNotAction", "'%s' does not match any of the actions supported by the providers.", a)
				}
			}
		}
		perms = append(perms, Permission{
			Actions: cloneStrings(p.Actions), NotActions: cloneStrings(p.NotActions),
			DataActions: cloneStrings(p.DataActions), NotDataActions: cloneStrings(p.NotDataActions),
		})
	}
	d.Properties = RoleDefinitionProperties{
		RoleName:         strings.TrimSpace(*props.RoleName),
		Type:             CustomRole,
		AssignableScopes: scopes,
		Permissions:      perms,
	}
	if props.Description != nil {
		d.Properties.Description = *props.Description
	}
	return d, nil
}

func principalRef(p arm.Principal) *string {
	if p.ObjectID == "" {
		return nil
	}
	v := p.ObjectID
	return &v
}

// putDefinition creates or replaces a custom role. Azure answers 201 to
// both (the SDK accepts nothing else).
func (h *handlers) putDefinition(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, DefinitionAPIVersions, "roleDefinitions"); err != nil {
		return nil, err
	}
	scope, err := h.definitionScope(req)
	if err != nil {
		return nil, err
	}
	guid := req.Vars["roleDefinitionId"]
	if _, ok := BuiltinByID(guid); ok {
		return nil, arm.Conflict("RoleDefinitionExists",
			"A role definition with ID '%s' already exists. Built-in role definitions cannot be modified.", guid)
	}
	if !uuidRE.MatchString(guid) {
		return nil, arm.BadRequest("InvalidRoleDefinitionId", "The role definition ID '%s' is not valid. The role definition ID must be a GUID.", guid)
	}
	var body definitionBody
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	def, err := validateDefinition(guid, body)
	if err != nil {
		return nil, err
	}
	if _, ok := BuiltinByName(def.Properties.RoleName); ok {
		return nil, arm.Conflict("RoleDefinitionWithSameNameExists", "A custom role with the same name already exists in this directory.")
	}
	var out RoleDefinition
	err = h.p.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := txCustomDefinition(ctx, t, guid)
		if err != nil {
			return err
		}
		kvs, err := t.Raw().List(ctx, customDefinitionPrefix)
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			other, err := decodeDefinition(kv.Key, kv.Value)
			if err != nil {
				return err
			}
			if !strings.EqualFold(other.Name, guid) && strings.EqualFold(other.Properties.RoleName, def.Properties.RoleName) {
				if cur != nil {
					return arm.Conflict("RoleDefinitionWithSameNameExists", "A role definition cannot be updated with a name that already exists.")
				}
				return arm.Conflict("RoleDefinitionWithSameNameExists", "A custom role with the same name already exists in this directory.")
			}
		}
		now := h.p.Engine.Now().UTC()
		out = def
		out.Properties.CreatedOn, out.Properties.UpdatedOn = now, now
		out.Properties.CreatedBy, out.Properties.UpdatedBy = principalRef(req.Principal), principalRef(req.Principal)
		if cur != nil {
			out.Properties.CreatedOn, out.Properties.CreatedBy = cur.Properties.CreatedOn, cur.Properties.CreatedBy
		}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode role definition: %w", err)
		}
		t.Raw().Put(customDefinitionKey(guid), b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusCreated, Body: out.AtScope(displayScope(scope))}, nil
}

// deleteDefinition deletes a custom role that no assignment uses. Deleting
// an unknown role (a built-in included: it is not a custom role) answers
// 204.
func (h *handlers) deleteDefinition(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, DefinitionAPIVersions, "roleDefinitions"); err != nil {
		return nil, err
	}
	scope, err := h.definitionScope(req)
	if err != nil {
		return nil, err
	}
	guid := req.Vars["roleDefinitionId"]
	if !uuidRE.MatchString(guid) {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	var gone *RoleDefinition
	err = h.p.Engine.Run(ctx, func(t *arm.Txn) error {
		gone = nil
		cur, err := txCustomDefinition(ctx, t, guid)
		if err != nil || cur == nil {
			return err
		}
		roots := map[string]bool{}
		for _, as := range cur.Properties.AssignableScopes {
			roots[strings.ToLower(searchRoot(as))] = true
		}
		for root := range roots {
			recs, err := t.ListType(ctx, root, AssignmentType)
			if err != nil {
				return err
			}
			for _, r := range recs {
				var ap assignmentProperties
				if err := r.Resource.DecodeProperties(&ap); err != nil {
					return err
				}
				if _, g, ok := ParseRoleDefinitionID(ap.RoleDefinitionID); ok && strings.EqualFold(g, guid) {
					return arm.Conflict("RoleDefinitionHasAssignments", "There are existing role assignments referencing role")
				}
			}
		}
		t.Raw().Delete(customDefinitionKey(guid))
		gone = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gone == nil {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	return &arm.Response{Status: http.StatusOK, Body: gone.AtScope(displayScope(scope))}, nil
}

// searchRoot is where assignments of a role assignable at scope can live:
// the subscription for scopes in one, else the scope itself.
func searchRoot(scope string) string {
	if d := displayScope(scope); d != "/" {
		return d
	}
	return scope
}

// ---- role assignments ----

// assignmentProperties is the stored and served properties object of a
// role assignment (unset optional fields are served as null, as Azure does).
type assignmentProperties struct {
	RoleDefinitionID                   string    `json:"roleDefinitionId"`
	PrincipalID                        string    `json:"principalId"`
	PrincipalType                      string    `json:"principalType"`
	Scope                              string    `json:"scope"`
	Condition                          *string   `json:"condition"`
	ConditionVersion                   *string   `json:"conditionVersion"`
	CreatedOn                          time.Time `json:"createdOn"`
	UpdatedOn                          time.Time `json:"updatedOn"`
	CreatedBy                          *string   `json:"createdBy"`
	UpdatedBy                          *string   `json:"updatedBy"`
	DelegatedManagedIdentityResourceID *string   `json:"delegatedManagedIdentityResourceId"`
	Description                        *string   `json:"description"`
}

// assignmentInput is what a PUT body may set.
type assignmentInput struct {
	RoleDefinitionID                   string  `json:"roleDefinitionId"`
	PrincipalID                        string  `json:"principalId"`
	PrincipalType                      *string `json:"principalType"`
	Condition                          *string `json:"condition"`
	ConditionVersion                   *string `json:"conditionVersion"`
	DelegatedManagedIdentityResourceID *string `json:"delegatedManagedIdentityResourceId"`
	Description                        *string `json:"description"`
}

func checkAssignmentID(id arm.ID) error {
	if name := id.Name(); !uuidRE.MatchString(name) {
		return arm.BadRequest("InvalidRoleAssignmentId",
			"The role assignment ID '%s' is not valid. The role assignment ID must be a GUID.", name)
	}
	return nil
}

func (h *handlers) assignmentSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              AssignmentType,
		APIVersions:       append([]string(nil), AssignmentAPIVersions...),
		Scope:             arm.ScopeExtension,
		Location:          arm.LocationNone,
		NoSystemData:      true,
		DeleteReturnsBody: true,
		CheckID:           checkAssignmentID,
		Put:               h.putAssignment,
		Patch: func(ctx context.Context, op *arm.PatchOp) error {
			return arm.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method 'PATCH'.")
		},
		List: h.listAssignments,
		NotFound: func(id arm.ID) *arm.Error {
			return arm.NotFound("RoleAssignmentNotFound", "The role assignment '%s' is not found.", id.Name())
		},
	}
}

func normalizePrincipalType(v string) (string, error) {
	for _, pt := range principalTypes {
		if strings.EqualFold(pt, v) {
			return pt, nil
		}
	}
	return "", arm.BadRequest("InvalidRequestContent",
		"The request content was invalid and could not be deserialized: 'Error converting value \"%s\" to type 'PrincipalType'. Path 'properties.principalType'.'.", v)
}

// resolveDefinition finds the role a roleDefinitionId names and checks it
// may be assigned at scope.
func resolveDefinition(ctx context.Context, t *arm.Txn, roleDefinitionID, scope string) (RoleDefinition, error) {
	_, guid, ok := ParseRoleDefinitionID(roleDefinitionID)
	if !ok || !uuidRE.MatchString(guid) {
		return RoleDefinition{}, arm.BadRequest("InvalidRoleDefinitionId", "The role definition ID '%s' is not valid.", roleDefinitionID)
	}
	notFound := arm.BadRequest("RoleDefinitionDoesNotExist", "The specified role definition with ID '%s' does not exist.", guid)
	if d, ok := BuiltinByID(guid); ok {
		return d, nil
	}
	d, err := txCustomDefinition(ctx, t, guid)
	if err != nil {
		return RoleDefinition{}, err
	}
	if d == nil || !assignableAt(*d, scope) {
		return RoleDefinition{}, notFound
	}
	return *d, nil
}

func (h *handlers) putAssignment(ctx context.Context, op *arm.PutOp) error {
	var in assignmentInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	scope := op.ID.Scope
	if !uuidRE.MatchString(in.PrincipalID) {
		return arm.BadRequest("InvalidPrincipalId", "The Principal ID '%s' is not valid. Principal ID must be a GUID.", in.PrincipalID)
	}
	def, err := resolveDefinition(ctx, op.Tx, in.RoleDefinitionID, scope)
	if err != nil {
		return err
	}
	principalType := "User"
	if in.PrincipalType != nil && *in.PrincipalType != "" {
		if principalType, err = normalizePrincipalType(*in.PrincipalType); err != nil {
			return err
		}
	}
	now := h.p.Engine.Now().UTC()
	by := principalRef(op.Req.Principal)
	props := assignmentProperties{
		RoleDefinitionID:                   RoleDefinitionID(displayScope(scope), def.Name),
		PrincipalID:                        in.PrincipalID,
		PrincipalType:                      principalType,
		Scope:                              scopeLabel(scope),
		Condition:                          in.Condition,
		ConditionVersion:                   in.ConditionVersion,
		CreatedOn:                          now,
		UpdatedOn:                          now,
		CreatedBy:                          by,
		UpdatedBy:                          by,
		DelegatedManagedIdentityResourceID: in.DelegatedManagedIdentityResourceID,
		Description:                        in.Description,
	}
	if props.Condition != nil && *props.Condition != "" && (props.ConditionVersion == nil || *props.ConditionVersion == "") {
		v := "2.0"
		props.ConditionVersion = &v
	}
	if op.Existing != nil {
		var cur assignmentProperties
		if err := op.Existing.Resource.DecodeProperties(&cur); err != nil {
			return err
		}
		_, curGUID, _ := ParseRoleDefinitionID(cur.RoleDefinitionID)
		if !strings.EqualFold(cur.PrincipalID, props.PrincipalID) || !strings.EqualFold(curGUID, def.Name) {
			return arm.BadRequest("RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
		}
		props.CreatedOn, props.CreatedBy = cur.CreatedOn, cur.CreatedBy
	}
	// The same principal may hold a role at a scope once.
	others, err := op.Tx.ListType(ctx, scope+"/providers/"+AssignmentType, AssignmentType)
	if err != nil {
		return err
	}
	for _, o := range others {
		if arm.SameID(o.Resource.ID, op.ID.String()) {
			continue
		}
		var op2 assignmentProperties
		if err := o.Resource.DecodeProperties(&op2); err != nil {
			return err
		}
		_, g, _ := ParseRoleDefinitionID(op2.RoleDefinitionID)
		if strings.EqualFold(op2.PrincipalID, props.PrincipalID) && strings.EqualFold(g, def.Name) {
			return arm.Conflict("RoleAssignmentExists", "The role assignment already exists.")
		}
	}
	return op.Body.SetProperties(props)
}

// assignmentFilter is a parsed roleAssignments $filter: atScope(),
// principalId eq '{id}', assignedTo('{id}'), or atScope() and
// assignedTo('{id}').
type assignmentFilter struct {
	atScope   bool
	principal string
}

var (
	atScopeRE     = regexp.MustCompile(`(?i)^atScope\(\)$`)
	principalEqRE = regexp.MustCompile(`(?i)^principalId\s+eq\s+'([^']*)'$`)
	assignedToRE  = regexp.MustCompile(`(?i)^assignedTo\('([^']*)'\)$`)
	andRE         = regexp.MustCompile(`(?i)\s+and\s+`)
)

func parseAssignmentFilter(f string) (assignmentFilter, error) {
	var out assignmentFilter
	if strings.TrimSpace(f) == "" {
		return out, nil
	}
	unsupported := arm.BadRequest("UnsupportedQuery",
		"The filter '%s' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{value}' or assignedTo('{value}')'.", f)
	byPrincipalEq := false
	principals := 0
	for _, clause := range andRE.Split(strings.TrimSpace(f), -1) {
		clause = strings.TrimSpace(clause)
		switch {
		case atScopeRE.MatchString(clause) && !out.atScope:
			out.atScope = true
		case principalEqRE.MatchString(clause):
			out.principal = principalEqRE.FindStringSubmatch(clause)[1]
			byPrincipalEq = true
			principals++
		case assignedToRE.MatchString(clause):
			out.principal = assignedToRE.FindStringSubmatch(clause)[1]
			principals++
		default:
			return out, unsupported
		}
	}
	// principalId eq cannot be combined with atScope(); one principal at most.
	if principals > 1 || (byPrincipalEq && out.atScope) {
		return out, unsupported
	}
	return out, nil
}

// assignmentsAt lists the role assignments made exactly at scope.
func assignmentsAt(ctx context.Context, e *arm.Engine, scope string) ([]*arm.Record, error) {
	return e.ListRecords(ctx, scope+"/providers/"+AssignmentType, AssignmentType)
}

// listAssignments answers GET {scope}/providers/Microsoft.Authorization/roleAssignments:
// without a filter the assignments at, above and below scope; with
// atScope() those at and above it.
func (h *handlers) listAssignments(ctx context.Context, op *arm.ListOp) ([]arm.Resource, error) {
	e := h.p.Engine
	scope := op.Scope
	filter, err := parseAssignmentFilter(op.Req.HTTP.URL.Query().Get("$filter"))
	if err != nil {
		return nil, err
	}
	if err := h.checkListScope(ctx, scope); err != nil {
		return nil, err
	}
	chain := scopeChain(scope)
	var recs []*arm.Record
	for _, s := range chain[:len(chain)-1] {
		at, err := assignmentsAt(ctx, e, s)
		if err != nil {
			return nil, err
		}
		recs = append(recs, at...)
	}
	if filter.atScope {
		at, err := assignmentsAt(ctx, e, scope)
		if err != nil {
			return nil, err
		}
		recs = append(recs, at...)
	} else {
		below, err := e.ListRecords(ctx, scope, AssignmentType)
		if err != nil {
			return nil, err
		}
		recs = append(recs, below...)
	}
	out := make([]arm.Resource, 0, len(recs))
	for _, r := range recs {
		if filter.principal != "" {
			var p assignmentProperties
			if err := r.Resource.DecodeProperties(&p); err != nil {
				return nil, err
			}
			if !strings.EqualFold(p.PrincipalID, filter.principal) {
				continue
			}
		}
		res, err := e.Render(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].ID) < strings.ToLower(out[j].ID) })
	return out, nil
}

// checkListScope verifies that the resource group or resource a listing
// is scoped to exists.
func (h *handlers) checkListScope(ctx context.Context, scope string) error {
	if scope == "" {
		return nil
	}
	id, err := arm.ParseID(scope)
	if err != nil {
		return invalidScope(scope)
	}
	if id.ResourceGroup != "" {
		rg, err := h.p.Engine.GetRecord(ctx, id.ResourceGroupID())
		if err != nil {
			return err
		}
		if rg == nil {
			return arm.ResourceGroupNotFound(id.ResourceGroup)
		}
	}
	if !id.IsScopeOnly() {
		rec, err := h.p.Engine.GetRecord(ctx, scope)
		if err != nil {
			return err
		}
		if rec == nil {
			return arm.ResourceNotFound(id)
		}
	}
	return nil
}
