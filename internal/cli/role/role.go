package role

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/identity"
)

// API versions az 2.45 sends.
const (
	AssignmentsAPIVersion = "2020-04-01-preview"
	DefinitionsAPIVersion = "2018-01-01-preview"
)

// AssignmentShape is how az renders a RoleAssignment (2020-04-01-preview).
var AssignmentShape = &arm.Shape{Flatten: true, Strict: true, Fields: []string{
	"canDelegate", "condition", "conditionVersion", "createdBy", "createdOn", "delegatedManagedIdentityResourceId",
	"description", "id", "name", "principalId", "principalType", "roleDefinitionId", "scope", "type", "updatedBy", "updatedOn",
}}

// DefinitionShape is how az renders a RoleDefinition (2018-01-01-preview).
var DefinitionShape = &arm.Shape{Flatten: true, Strict: true, Rename: map[string]string{"type": "roleType"}, Fields: []string{
	"assignableScopes", "description", "id", "name", "permissions", "roleName", "roleType", "type",
}}

const scopeWarning = "--scope argument will become required for creating a role assignment in the breaking change release of the fall of 2023. Please explicitly specify --scope."

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	scopeArg := &core.Arg{Dest: "scope", Options: []string{"--scope"},
		Help: "Scope at which the role assignment or definition applies to, e.g., /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333, /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup, or /subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/myGroup/providers/Microsoft.Compute/virtualMachines/myVM."}
	rgArg := &core.Arg{Dest: "resource_group", Options: []string{"--resource-group", "-g"},
		Help: "Use it only if the role or assignment was added at the level of a resource group."}
	roleArg := &core.Arg{Dest: "role", Options: []string{"--role"}, Help: "Role name or id."}
	assigneeArg := &core.Arg{Dest: "assignee", Options: []string{"--assignee"},
		Help: "Represent a user, group, or service principal. supported format: object id, user sign-in name, or service principal name."}
	inheritedArg := &core.Arg{Dest: "include_inherited", Options: []string{"--include-inherited"}, Kind: core.Flag,
		Help: "Include assignments applied on parent scopes."}
	return []*core.Group{
		{Name: "role", Short: "Manage Azure role-based access control (Azure RBAC)."},
		{
			Name:  "role assignment",
			Short: "Manage role assignments.",
			Commands: []*core.Command{
				{
					Name: "create", Short: "Create a new role assignment for a user, group, or service principal.",
					Args: []*core.Arg{
						required(roleArg.Clone()), assigneeArg.Clone(),
						{Dest: "assignee_object_id", Options: []string{"--assignee-object-id"},
							Help: "Use this parameter instead of '--assignee' to bypass Graph API invocation in case of insufficient privileges. This parameter only works with object ids for users, groups, service principals, and managed identities. For managed identities use the principal id. For service principals, use the object id and not the app id."},
						{Dest: "assignee_principal_type", Options: []string{"--assignee-principal-type"},
							Choices: []string{"User", "Group", "ServicePrincipal", "ForeignGroup"},
							Help:    "Use with --assignee-object-id to avoid errors caused by propagation latency in AAD Graph."},
						scopeArg.Clone(), rgArg.Clone(),
						{Dest: "description", Options: []string{"--description"}, Help: "Description of role assignment."},
						{Dest: "condition", Options: []string{"--condition"}, Help: "Condition under which the user can be granted permission."},
						{Dest: "condition_version", Options: []string{"--condition-version"}, Help: "Version of the condition syntax. If --condition is specified without --condition-version, default to 2.0."},
						{Dest: "name", Options: []string{"--name", "-n"}, Help: "A GUID for the role assignment. It must be unique and different for each role assignment. If omitted, a new GUID is generated."},
					},
					Examples: []core.Example{{
						Summary: "Create role assignment to grant the specified assignee the Reader role on an Azure virtual machine.",
						Command: "az role assignment create --assignee sp_name --role a7b1b19a-0e83-4fe5-935c-faaefbfd18c3 --scope /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/MyResourceGroup/providers/Microsoft.Compute/virtualMachines/MyVm",
					}},
					Run: createAssignment,
				},
				{
					Name: "list", Short: "List role assignments.",
					Args: []*core.Arg{
						assigneeArg.Clone(), roleArg.Clone(), scopeArg.Clone(), rgArg.Clone(), inheritedArg.Clone(),
						{Dest: "all", Options: []string{"--all"}, Kind: core.Flag, Help: "Show all assignments under the current subscription."},
						{Dest: "include_groups", Options: []string{"--include-groups"}, Kind: core.Flag, Help: "Include extra assignments to the groups of which the user is a member(transitively)."},
						{Dest: "include_classic_administrators", Options: []string{"--include-classic-administrators"}, Kind: core.TriState, Help: "List default role assignments for subscription classic administrators, aka co-admins."},
						{Dest: "fill_principal_name", Options: []string{"--fill-principal-name"}, Kind: core.TriState, Default: "true", Help: "Fill principalName property with the principal's name."},
						{Dest: "fill_role_definition_name", Options: []string{"--fill-role-definition-name"}, Kind: core.TriState, Default: "true", Help: "Fill roleDefinitionName property with the role definition's name."},
					},
					TableQuery: "[].{Principal:principalName, Role:roleDefinitionName, Scope:scope}",
					Run:        listAssignmentsCmd,
				},
				{
					Name: "delete", Short: "Delete role assignments.",
					Args: []*core.Arg{
						{Dest: "ids", Options: []string{"--ids"}, Kind: core.List, Help: "Space-separated role assignment ids."},
						assigneeArg.Clone(), roleArg.Clone(), scopeArg.Clone(), rgArg.Clone(), inheritedArg.Clone(),
						{Dest: "yes", Options: []string{"--yes", "-y"}, Kind: core.Flag, Help: "Continue to delete all assignments under the subscription."},
					},
					Run: deleteAssignments,
				},
			},
		},
		{
			Name:  "role definition",
			Short: "Manage role definitions.",
			Commands: []*core.Command{{
				Name: "list", Short: "List role definitions.",
				Args: []*core.Arg{
					{Dest: "name", Options: []string{"--name", "-n"}, Help: "The role's name."},
					scopeArg.Clone(), rgArg.Clone(),
					{Dest: "custom_role_only", Options: []string{"--custom-role-only"}, Kind: core.TriState, Help: "Custom roles only(vs. build-in ones)."},
				},
				TableQuery: "[].{Name:roleName, Type:type, Description:description}",
				Run:        listDefinitionsCmd,
			}},
		},
	}
}

func required(a *core.Arg) *core.Arg {
	a.Required = true
	return a
}

// buildScope is az's _build_role_scope.
func buildScope(c *core.Context, rg, scope string) (string, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	if scope != "" {
		if rg != "" {
			return "", core.Errorf("Resource group \"%s\" is redundant because scope is supplied", rg)
		}
		if strings.HasPrefix(scope, "/subscriptions/") && !arm.IsValidResourceID(scope) {
			return "", core.Errorf("Invalid scope. Please use --help to view the valid format.")
		}
		return scope, nil
	}
	if rg != "" {
		return "/subscriptions/" + sub + "/resourceGroups/" + rg, nil
	}
	return "/subscriptions/" + sub, nil
}

// scopePath turns a scope into an ARM path prefix (one leading slash, none trailing).
func scopePath(scope string) string {
	return "/" + strings.Trim(scope, "/")
}

var roleIDPattern = regexp.MustCompile(`(?i)/subscriptions/.+/providers/Microsoft.Authorization/roleDefinitions/`)

// resolveRole is az's _resolve_role_id: a role definition ID as is, a GUID
// under the subscription, else a lookup by roleName at the scope.
func resolveRole(c *core.Context, role, scope string) (string, error) {
	if roleIDPattern.MatchString(role) {
		return role, nil
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	if core.IsGUID(role) {
		return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + role, nil
	}
	if scope == "" {
		scope = "/subscriptions/" + sub
	}
	client, err := c.ARM()
	if err != nil {
		return "", err
	}
	defs, err := client.List(c.Context(), scopePath(scope)+"/providers/Microsoft.Authorization/roleDefinitions",
		DefinitionsAPIVersion, url.Values{"$filter": {"roleName eq '" + role + "'"}})
	if err != nil {
		return "", err
	}
	switch len(defs) {
	case 0:
		return "", core.Errorf("Role '%s' doesn't exist.", role)
	case 1:
		id, _ := defs[0].(map[string]any)["id"].(string)
		return id, nil
	}
	ids := make([]string, 0, len(defs))
	for _, d := range defs {
		id, _ := d.(map[string]any)["id"].(string)
		ids = append(ids, "'"+id+"'")
	}
	return "", core.Errorf("More than one role matches the given name '%s'. Please pick a value from '[%s]'", role, strings.Join(ids, ", "))
}

// principal is a resolved assignee.
type principal struct {
	objectID string
	typ      string // ARM principalType, "" when unknown
}

// resolveAssignee maps --assignee to an object ID (see the package doc).
func resolveAssignee(c *core.Context, assignee string) (principal, error) {
	ids, err := identity.ListAll(c)
	if err != nil {
		c.Infof("Failed to look up '%s' among managed identities: %v", assignee, err)
		if core.IsGUID(assignee) {
			c.Infof("Assuming %s as an object ID.", assignee)
			return principal{objectID: assignee}, nil
		}
		return principal{}, err
	}
	for _, key := range []string{"clientId", "principalId"} {
		for _, m := range ids {
			props, _ := m["properties"].(map[string]any)
			if v, _ := props[key].(string); v != "" && strings.EqualFold(v, assignee) {
				pid, _ := props["principalId"].(string)
				return principal{objectID: pid, typ: "ServicePrincipal"}, nil
			}
		}
	}
	if core.IsGUID(assignee) {
		c.Infof("'%s' is not a known managed identity; assuming it is an object ID.", assignee)
		return principal{objectID: assignee}, nil
	}
	return principal{}, core.Errorf("Cannot find user or service principal in graph database for '%s'. If the assignee is an appId, make sure the corresponding service principal is created with 'az ad sp create --id %s'.", assignee, assignee)
}

// principalTypeOf looks an object ID up among the managed identities.
func principalTypeOf(c *core.Context, objectID string) string {
	ids, err := identity.ListAll(c)
	if err != nil {
		c.Warnf("Failed to query --assignee-principal-type for --assignee-object-id %s by invoking Graph API.", objectID)
		return ""
	}
	for _, m := range ids {
		props, _ := m["properties"].(map[string]any)
		if v, _ := props["principalId"].(string); strings.EqualFold(v, objectID) {
			return "ServicePrincipal"
		}
	}
	return ""
}

func createAssignment(c *core.Context) (any, error) {
	assignee, objectID := c.String("assignee"), c.String("assignee_object_id")
	if !c.Has("scope") {
		c.Warnf(scopeWarning)
	}
	if (assignee == "") == (objectID == "") {
		return nil, core.Errorf("usage error: --assignee STRING | --assignee-object-id GUID")
	}
	ptype := c.String("assignee_principal_type")
	if ptype != "" && objectID == "" {
		return nil, core.Errorf("usage error: --assignee-object-id GUID --assignee-principal-type TYPE")
	}
	condition, conditionVersion := c.String("condition"), c.String("condition_version")
	if condition != "" && conditionVersion == "" {
		conditionVersion = "2.0"
	}
	if conditionVersion != "" && condition == "" {
		return nil, core.Errorf("usage error: When --condition-version is set, --condition must be set as well.")
	}
	var p principal
	if assignee != "" {
		var err error
		if p, err = resolveAssignee(c, assignee); err != nil {
			return nil, err
		}
	} else {
		p.objectID = objectID
		p.typ = ptype
		if p.typ == "" {
			c.Warnf("RBAC service might reject creating role assignment without --assignee-principal-type in the future. Better to specify --assignee-principal-type manually.")
			p.typ = principalTypeOf(c, objectID)
		}
	}
	scope, err := buildScope(c, c.String("resource_group"), c.String("scope"))
	if err != nil {
		return nil, err
	}
	roleID, err := resolveRole(c, c.String("role"), scope)
	if err != nil {
		return nil, err
	}
	name := c.String("name")
	if name == "" {
		name = uuid.NewString()
	}
	props := map[string]any{"roleDefinitionId": roleID, "principalId": p.objectID}
	if p.typ != "" {
		props["principalType"] = p.typ
	}
	if d := c.String("description"); d != "" {
		props["description"] = d
	}
	if condition != "" {
		props["condition"], props["conditionVersion"] = condition, conditionVersion
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), scopePath(scope)+"/providers/Microsoft.Authorization/roleAssignments/"+name,
		AssignmentsAPIVersion, map[string]any{"properties": props}, false)
	if arm.HasCode(err, "RoleAssignmentExists") {
		// idempotent, like az: return the existing assignment
		existing, lerr := searchAssignments(c, scope, p.objectID, roleID, false, false)
		if lerr == nil && len(existing) > 0 {
			return AssignmentShape.Apply(existing[0]), nil
		}
	}
	if err != nil {
		return nil, err
	}
	return AssignmentShape.Apply(res), nil
}

// searchAssignments is az's _search_role_assignments. scope "" means the
// whole subscription (--all).
func searchAssignments(c *core.Context, scope, objectID, roleID string, inherited, groups bool) ([]map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	var p string
	q := url.Values{}
	switch {
	case scope != "":
		p = scopePath(scope) + "/providers/Microsoft.Authorization/roleAssignments"
		f := "atScope()"
		if objectID != "" && groups {
			f += " and assignedTo('" + objectID + "')"
		}
		q.Set("$filter", f)
	case objectID != "":
		p = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments"
		if groups {
			q.Set("$filter", "assignedTo('"+objectID+"')")
		} else {
			q.Set("$filter", "principalId eq '"+objectID+"'")
		}
	default:
		p = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleAssignments"
		q = nil
	}
	items, err := client.List(c.Context(), p, AssignmentsAPIVersion, q)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		props, _ := m["properties"].(map[string]any)
		aScope, _ := props["scope"].(string)
		if scope != "" {
			same := strings.EqualFold(aScope, scope)
			parent := inherited && aScope != "" && len(scope) >= len(aScope) && strings.EqualFold(scope[:len(aScope)], aScope)
			if !same && !parent {
				continue
			}
		}
		if roleID != "" {
			rd, _ := props["roleDefinitionId"].(string)
			if !sameRoleID(rd, roleID) {
				continue
			}
		}
		if objectID != "" && !groups {
			if pid, _ := props["principalId"].(string); !strings.EqualFold(pid, objectID) {
				continue
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// sameRoleID compares role definition IDs; IDs that differ only in their
// scope prefix (subscription-scoped vs tenant-scoped built-in roles) name
// the same role.
func sameRoleID(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	last := func(s string) string { return s[strings.LastIndex(s, "/")+1:] }
	return a != "" && b != "" && strings.EqualFold(last(a), last(b))
}

func listAssignmentsCmd(c *core.Context) (any, error) {
	scope := ""
	if c.Bool("all") {
		if c.String("resource_group") != "" || c.String("scope") != "" {
			return nil, core.Errorf("group or scope are not required when --all is used")
		}
	} else {
		var err error
		if scope, err = buildScope(c, c.String("resource_group"), c.String("scope")); err != nil {
			return nil, err
		}
	}
	objectID := ""
	if a := c.String("assignee"); a != "" {
		p, err := resolveAssignee(c, a)
		if err != nil {
			return nil, err
		}
		objectID = p.objectID
	}
	roleID := ""
	if r := c.String("role"); r != "" {
		var err error
		if roleID, err = resolveRole(c, r, scope); err != nil {
			return nil, err
		}
	}
	found, err := searchAssignments(c, scope, objectID, roleID, c.Bool("include_inherited"), c.Bool("include_groups"))
	if err != nil {
		return nil, err
	}
	results := make([]any, 0, len(found))
	for _, m := range found {
		results = append(results, AssignmentShape.Apply(m))
	}
	if len(results) == 0 {
		return results, nil
	}
	if c.Bool("fill_role_definition_name") {
		if err := fillRoleNames(c, scope, results); err != nil {
			return nil, err
		}
	}
	if c.Bool("fill_principal_name") {
		fillPrincipalNames(c, results)
	}
	return results, nil
}

// fillRoleNames sets roleDefinitionName from the definitions at the scope.
func fillRoleNames(c *core.Context, scope string, results []any) error {
	sub, err := c.SubscriptionID()
	if err != nil {
		return err
	}
	if scope == "" {
		scope = "/subscriptions/" + sub
	}
	client, err := c.ARM()
	if err != nil {
		return err
	}
	defs, err := client.List(c.Context(), scopePath(scope)+"/providers/Microsoft.Authorization/roleDefinitions", DefinitionsAPIVersion, nil)
	if err != nil {
		return err
	}
	for _, r := range results {
		m := r.(map[string]any)
		rd, _ := m["roleDefinitionId"].(string)
		m["roleDefinitionName"] = nil
		for _, d := range defs {
			dm, _ := d.(map[string]any)
			id, _ := dm["id"].(string)
			if sameRoleID(id, rd) {
				props, _ := dm["properties"].(map[string]any)
				m["roleDefinitionName"] = props["roleName"]
				break
			}
		}
	}
	return nil
}

// fillPrincipalNames sets principalName (a managed identity's clientId, the
// first of its service principal names); left out when identities cannot be
// listed, as az does when Graph fails.
func fillPrincipalNames(c *core.Context, results []any) {
	ids, err := identity.ListAll(c)
	if err != nil {
		c.Infof("Failed to resolve principal names: %v", err)
		return
	}
	for _, r := range results {
		m := r.(map[string]any)
		pid, _ := m["principalId"].(string)
		m["principalName"] = ""
		for _, id := range ids {
			props, _ := id["properties"].(map[string]any)
			if v, _ := props["principalId"].(string); v != "" && strings.EqualFold(v, pid) {
				m["principalName"] = props["clientId"]
			}
		}
	}
}

func deleteAssignments(c *core.Context) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	if ids := c.List("ids"); len(ids) > 0 {
		for _, d := range []string{"assignee", "role", "resource_group", "scope", "include_inherited"} {
			if c.Has(d) {
				c.Warnf("option '%s' will be ignored due to use of '--ids'.", c.Options(d)[0])
			}
		}
		for _, id := range ids {
			if err := client.Delete(c.Context(), id, AssignmentsAPIVersion, false); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	if !c.Has("assignee") && !c.Has("role") && !c.Has("resource_group") && !c.Has("scope") && !c.Bool("yes") {
		ok, err := promptAll(c)
		if err != nil || !ok {
			return nil, err
		}
	}
	scope, err := buildScope(c, c.String("resource_group"), c.String("scope"))
	if err != nil {
		return nil, err
	}
	objectID := ""
	if a := c.String("assignee"); a != "" {
		p, err := resolveAssignee(c, a)
		if err != nil {
			return nil, err
		}
		objectID = p.objectID
	}
	roleID := ""
	if r := c.String("role"); r != "" {
		if roleID, err = resolveRole(c, r, scope); err != nil {
			return nil, err
		}
	}
	found, err := searchAssignments(c, scope, objectID, roleID, c.Bool("include_inherited"), false)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, core.Errorf("No matched assignments were found to delete")
	}
	for _, m := range found {
		id, _ := m["id"].(string)
		if err := client.Delete(c.Context(), id, AssignmentsAPIVersion, false); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// promptAll asks before deleting every assignment of the subscription.
func promptAll(c *core.Context) (bool, error) {
	if !c.Interactive() {
		return false, core.Errorf("Unable to prompt for confirmation as no tty available. Use --yes.")
	}
	return c.PromptYesNo("This will delete all role assignments under the subscription. Are you sure?")
}

func listDefinitionsCmd(c *core.Context) (any, error) {
	scope, err := buildScope(c, c.String("resource_group"), c.String("scope"))
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	defs, err := client.List(c.Context(), scopePath(scope)+"/providers/Microsoft.Authorization/roleDefinitions", DefinitionsAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	name, custom := c.String("name"), c.Bool("custom_role_only")
	out := make([]any, 0, len(defs))
	for _, d := range defs {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		props, _ := m["properties"].(map[string]any)
		if name != "" {
			n, _ := m["name"].(string)
			rn, _ := props["roleName"].(string)
			if n != name && rn != name {
				continue
			}
		}
		if custom {
			// on the wire the role type is properties.type (SDK name roleType)
			if rt, _ := props["type"].(string); rt != "CustomRole" {
				continue
			}
		}
		out = append(out, DefinitionShape.Apply(m))
	}
	return out, nil
}
