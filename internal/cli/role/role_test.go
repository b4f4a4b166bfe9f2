package role

import (
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const (
	sub         = clitest.SubscriptionID
	clientID    = "4024ab25-56a8-4370-aea6-6389221caf29"
	principalID = "25cc773c-7f05-40fc-a104-32d2300754ad"
	netContrib  = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	subnetScope = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apiserver"
)

var netContribID = "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + netContrib

func roleDef(id, name, typ string) map[string]any {
	return map[string]any{
		"id": id, "name": id[strings.LastIndex(id, "/")+1:], "type": "Microsoft.Authorization/roleDefinitions",
		"properties": map[string]any{"roleName": name, "type": typ, "description": name + " role", "assignableScopes": []any{"/"}},
	}
}

// setup serves the identities, role definitions and an echoing role
// assignment PUT.
func setup(t *testing.T) *clitest.Fake {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", 200, map[string]any{"value": []any{
		map[string]any{
			"id":         "/subscriptions/" + sub + "/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid",
			"name":       "myid",
			"properties": map[string]any{"clientId": clientID, "principalId": principalID, "tenantId": clitest.TenantID},
		},
	}})
	defs := func(w http.ResponseWriter, r *http.Request, _ []byte) {
		all := []any{roleDef(netContribID, "Network Contributor", "BuiltInRole"),
			roleDef("/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", "BuiltInRole"),
			roleDef("/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-3333-4444-555555555555", "My Custom", "CustomRole")}
		if f := r.URL.Query().Get("$filter"); f != "" {
			var keep []any
			for _, d := range all {
				if "roleName eq '"+d.(map[string]any)["properties"].(map[string]any)["roleName"].(string)+"'" == f {
					keep = append(keep, d)
				}
			}
			all = keep
		}
		clitest.WriteJSON(w, 200, map[string]any{"value": all})
	}
	for _, p := range []string{
		"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions",
		"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions",
		"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apiserver/providers/Microsoft.Authorization/roleDefinitions",
	} {
		f.Handle("GET", p, defs)
	}
	put := func(w http.ResponseWriter, r *http.Request, body []byte) {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		scope := strings.TrimSuffix(r.URL.Path, "/providers/Microsoft.Authorization/roleAssignments/"+name)
		req := clitest.Request{Body: body}
		props := req.JSON()["properties"].(map[string]any)
		props["scope"] = scope
		clitest.WriteJSON(w, 201, map[string]any{
			"id": r.URL.Path, "name": name, "type": "Microsoft.Authorization/roleAssignments", "properties": props,
		})
	}
	f.Handle("PUT", "/subscriptions/*/providers/Microsoft.Authorization/roleAssignments/*", put)
	f.Handle("PUT", "/subscriptions/*/resourceGroups/*/providers/Microsoft.Authorization/roleAssignments/*", put)
	f.Handle("PUT", "/subscriptions/*/resourceGroups/*/providers/Microsoft.Network/virtualNetworks/*/subnets/*/providers/Microsoft.Authorization/roleAssignments/*", put)
	return f
}

func TestCreateSeedCommand(t *testing.T) {
	f := setup(t)
	res := f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Network Contributor", "--assignee", clientID).Expect(t, 0)
	if res.Stderr != "" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	put := f.Last("PUT")
	if put.APIVersion() != AssignmentsAPIVersion {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	if !strings.HasPrefix(put.Path, subnetScope+"/providers/Microsoft.Authorization/roleAssignments/") {
		t.Errorf("path = %s", put.Path)
	}
	props := put.JSON()["properties"].(map[string]any)
	if props["roleDefinitionId"] != netContribID || props["principalId"] != principalID || props["principalType"] != "ServicePrincipal" {
		t.Errorf("properties = %v", props)
	}
	defReq := f.Find("GET", subnetScope+"/providers/Microsoft.Authorization/roleDefinitions")
	if len(defReq) != 1 || defReq[0].Query.Get("$filter") != "roleName eq 'Network Contributor'" || defReq[0].APIVersion() != DefinitionsAPIVersion {
		t.Errorf("role definition lookup = %v", f.Summary())
	}
	out := res.Object(t)
	if out["principalId"] != principalID || out["scope"] != subnetScope || out["resourceGroup"] != "rg" || out["roleDefinitionId"] != netContribID {
		t.Errorf("output = %v", out)
	}
	if _, ok := out["condition"]; !ok {
		t.Errorf("model field condition missing: %v", out)
	}
}

func TestCreateDefaultScopeWarnsAndUsesSubscription(t *testing.T) {
	f := setup(t)
	res := f.Run(Groups(), "role", "assignment", "create", "--role", "Reader", "--assignee", principalID, "-n", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee").Expect(t, 0)
	if !strings.Contains(res.Stderr, "WARNING: --scope argument will become required") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	if p := f.Last("PUT").Path; p != "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleAssignments/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("path = %s", p)
	}
	f.Run(Groups(), "role", "assignment", "create", "--role", netContrib, "--assignee", clientID, "-g", "rg").Expect(t, 0)
	put := f.Last("PUT")
	if !strings.HasPrefix(put.Path, "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/") {
		t.Errorf("path = %s", put.Path)
	}
	if put.JSON()["properties"].(map[string]any)["roleDefinitionId"] != netContribID {
		t.Errorf("a GUID role must become a subscription role ID: %v", put.JSON())
	}
}

func TestCreateObjectIDAndUnknownAssignees(t *testing.T) {
	f := setup(t)
	f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Reader",
		"--assignee-object-id", "99999999-9999-9999-9999-999999999999", "--assignee-principal-type", "user").Expect(t, 0)
	props := f.Last("PUT").JSON()["properties"].(map[string]any)
	if props["principalId"] != "99999999-9999-9999-9999-999999999999" || props["principalType"] != "User" {
		t.Errorf("properties = %v", props)
	}
	if n := len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities")); n != 0 {
		t.Errorf("object id with type must not look up principals (%d lookups)", n)
	}

	// an unknown GUID is taken as an object ID
	f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Reader", "--assignee", "88888888-8888-8888-8888-888888888888").Expect(t, 0)
	props = f.Last("PUT").JSON()["properties"].(map[string]any)
	if props["principalId"] != "88888888-8888-8888-8888-888888888888" || props["principalType"] != nil {
		t.Errorf("properties = %v", props)
	}

	res := f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Reader", "--assignee", "nobody@example.com").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: Cannot find user or service principal in graph database for 'nobody@example.com'.") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	res = f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Nope", "--assignee", clientID).Expect(t, 1)
	if res.Stderr != "ERROR: Role 'Nope' doesn't exist.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	res = f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Reader").Expect(t, 1)
	if res.Stderr != "ERROR: usage error: --assignee STRING | --assignee-object-id GUID\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	res = f.Run(Groups(), "role", "assignment", "create", "--assignee", clientID).Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --role") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	res = f.Run(Groups(), "role", "assignment", "create", "--role", "Reader", "--assignee", clientID, "--assignee-principal-type", "Robot").Expect(t, 2)
	if !strings.Contains(res.Stderr, "'Robot' is not a valid value for '--assignee-principal-type'") {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func assignment(scope, name, roleID, pid string) map[string]any {
	return map[string]any{
		"id": scope + "/providers/Microsoft.Authorization/roleAssignments/" + name, "name": name,
		"type":       "Microsoft.Authorization/roleAssignments",
		"properties": map[string]any{"scope": scope, "roleDefinitionId": roleID, "principalId": pid, "principalType": "ServicePrincipal"},
	}
}

func TestCreateExistingIsIdempotent(t *testing.T) {
	f := setup(t)
	f.Error("PUT", "/subscriptions/*/resourceGroups/*/providers/Microsoft.Network/virtualNetworks/*/subnets/*/providers/Microsoft.Authorization/roleAssignments/*",
		409, "RoleAssignmentExists", "The role assignment already exists.")
	f.JSON("GET", subnetScope+"/providers/Microsoft.Authorization/roleAssignments", 200, map[string]any{"value": []any{
		assignment(subnetScope, "existing", netContribID, principalID),
	}})
	out := f.Run(Groups(), "role", "assignment", "create", "--scope", subnetScope, "--role", "Network Contributor", "--assignee", clientID).Expect(t, 0).Object(t)
	if out["name"] != "existing" {
		t.Errorf("output = %v", out)
	}
}

func TestList(t *testing.T) {
	f := setup(t)
	subScope := "/subscriptions/" + sub
	rgScope := subScope + "/resourceGroups/rg"
	all := []any{
		assignment(subScope, "a1", netContribID, principalID),
		assignment(rgScope, "a2", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "77777777-7777-7777-7777-777777777777"),
		assignment(subnetScope, "a3", netContribID, principalID),
	}
	f.Handle("GET", "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		clitest.WriteJSON(w, 200, map[string]any{"value": all})
	})
	f.JSON("GET", rgScope+"/providers/Microsoft.Authorization/roleAssignments", 200, map[string]any{"value": all})

	// default: subscription scope, atScope(), exact scope match
	list := f.Run(Groups(), "role", "assignment", "list").Expect(t, 0).List(t)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "a1" {
		t.Fatalf("list = %v", list)
	}
	a1 := list[0].(map[string]any)
	if a1["roleDefinitionName"] != "Network Contributor" || a1["principalName"] != clientID {
		t.Errorf("filled names = %v", a1)
	}
	req := f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments")[0]
	if req.Query.Get("$filter") != "atScope()" || req.APIVersion() != AssignmentsAPIVersion {
		t.Errorf("list request = %v", req.Query)
	}

	// --all with --assignee: principalId filter, every scope
	list = f.Run(Groups(), "role", "assignment", "list", "--all", "--assignee", clientID).Expect(t, 0).List(t)
	if len(list) != 2 {
		t.Errorf("--all --assignee = %v", list)
	}
	last := f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments")
	if got := last[len(last)-1].Query.Get("$filter"); got != "principalId eq '"+principalID+"'" {
		t.Errorf("$filter = %q", got)
	}

	// -g with --include-inherited keeps the subscription-level one
	list = f.Run(Groups(), "role", "assignment", "list", "-g", "rg", "--include-inherited", "--role", "Reader").Expect(t, 0).List(t)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "a2" || list[0].(map[string]any)["principalName"] != "" {
		t.Errorf("-g --role Reader = %v", list)
	}
	f.Run(Groups(), "role", "assignment", "list", "--all", "-g", "rg").Expect(t, 1)
}

func TestDelete(t *testing.T) {
	f := setup(t)
	rgScope := "/subscriptions/" + sub + "/resourceGroups/rg"
	f.JSON("GET", rgScope+"/providers/Microsoft.Authorization/roleAssignments", 200, map[string]any{"value": []any{
		assignment(rgScope, "a2", netContribID, principalID),
	}})
	f.JSON("DELETE", rgScope+"/providers/Microsoft.Authorization/roleAssignments/*", 200, map[string]any{})
	f.Run(Groups(), "role", "assignment", "delete", "-g", "rg", "--assignee", clientID, "--role", "Network Contributor").Expect(t, 0)
	del := f.Last("DELETE")
	if del.Path != rgScope+"/providers/Microsoft.Authorization/roleAssignments/a2" || del.APIVersion() != AssignmentsAPIVersion {
		t.Errorf("delete = %s %s", del.Path, del.APIVersion())
	}
	res := f.Run(Groups(), "role", "assignment", "delete", "-g", "rg", "--role", "Reader").Expect(t, 1)
	if res.Stderr != "ERROR: No matched assignments were found to delete\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	res = f.Run(Groups(), "role", "assignment", "delete", "--ids", rgScope+"/providers/Microsoft.Authorization/roleAssignments/x1", "--role", "Reader").Expect(t, 0)
	if !strings.Contains(res.Stderr, "option '--role' will be ignored due to use of '--ids'.") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	if f.Last("DELETE").Path != rgScope+"/providers/Microsoft.Authorization/roleAssignments/x1" {
		t.Errorf("delete --ids = %v", f.Summary())
	}
	res = f.Run(Groups(), "role", "assignment", "delete").Expect(t, 1)
	if !strings.Contains(res.Stderr, "Use --yes.") {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestDefinitionList(t *testing.T) {
	f := setup(t)
	list := f.Run(Groups(), "role", "definition", "list", "--name", "Network Contributor").Expect(t, 0).List(t)
	if len(list) != 1 {
		t.Fatalf("list = %v", list)
	}
	d := list[0].(map[string]any)
	if d["roleName"] != "Network Contributor" || d["name"] != netContrib || d["roleType"] != "BuiltInRole" {
		t.Errorf("definition = %v", d)
	}
	if _, ok := d["permissions"]; !ok {
		t.Errorf("model field permissions missing: %v", d)
	}
	req := f.Last("GET")
	if req.APIVersion() != DefinitionsAPIVersion || req.Path != "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions" {
		t.Errorf("request = %s %s", req.Path, req.APIVersion())
	}
	if list := f.Run(Groups(), "role", "definition", "list", "-n", netContrib).Expect(t, 0).List(t); len(list) != 1 {
		t.Errorf("by GUID = %v", list)
	}
	custom := f.Run(Groups(), "role", "definition", "list", "--custom-role-only", "-g", "rg").Expect(t, 0).List(t)
	if len(custom) != 1 || custom[0].(map[string]any)["roleName"] != "My Custom" {
		t.Errorf("custom = %v", custom)
	}
	if all := f.Run(Groups(), "role", "definition", "list", "--custom-role-only", "false").Expect(t, 0).List(t); len(all) != 3 {
		t.Errorf("--custom-role-only false = %v", all)
	}
	f.Run(Groups(), "role", "definition", "list", "--scope", "/subscriptions/"+sub+"/", "--custom-role-only").Expect(t, 1)
}
