package authorization

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// requiredRoles are the built-ins privlink's providers depend on, with the
// GUIDs Azure publishes for them.
var requiredRoles = []struct{ name, guid string }{
	{"Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"},
	{"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
	{"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
	{"User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
	{"Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168"},
	{"Network Contributor", "4d97b98b-1d4f-4787-a291-c67834d212e7"},
	{"Private DNS Zone Contributor", "b12aa53e-6015-4669-85d0-8515ebb3ae7f"},
	{"DNS Zone Contributor", "befefa01-2a29-4197-83a8-272ff33ce314"},
	{"Azure Kubernetes Service Cluster Admin Role", "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"},
	{"Azure Kubernetes Service Cluster User Role", "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"},
	{"Azure Kubernetes Service Contributor Role", "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"},
	{"Azure Kubernetes Service RBAC Cluster Admin", "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"},
	{"Azure Kubernetes Service RBAC Admin", "3498e952-d568-435e-9b2c-8d77e338d7f7"},
	{"Azure Kubernetes Service RBAC Writer", "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"},
	{"Azure Kubernetes Service RBAC Reader", "7f6c6a51-bcf8-42ba-9220-52d62157d7db"},
	{"Managed Identity Operator", "f1a07417-d97a-45cb-824c-7a7467783830"},
	{"Managed Identity Contributor", "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59"},
	{"Kubernetes Cluster - Azure Arc Onboarding", "34e09817-6cbe-4d01-b1a2-e0eac5743d41"},
}

func TestBuiltinRequiredRoles(t *testing.T) {
	for _, tc := range requiredRoles {
		t.Run(tc.name, func(t *testing.T) {
			byID, ok := BuiltinByID(tc.guid)
			if !ok {
				t.Fatalf("BuiltinByID(%q) not found", tc.guid)
			}
			if byID.Properties.RoleName != tc.name {
				t.Errorf("BuiltinByID(%q).roleName = %q, want %q", tc.guid, byID.Properties.RoleName, tc.name)
			}
			byName, ok := BuiltinByName(tc.name)
			if !ok {
				t.Fatalf("BuiltinByName(%q) not found", tc.name)
			}
			if byName.Name != tc.guid {
				t.Errorf("BuiltinByName(%q).name = %q, want %q", tc.name, byName.Name, tc.guid)
			}
			if _, ok := BuiltinByName(strings.ToUpper(tc.name)); !ok {
				t.Errorf("BuiltinByName is case-sensitive for %q", tc.name)
			}
			if _, ok := BuiltinByName(strings.ToLower(tc.name)); !ok {
				t.Errorf("BuiltinByName is case-sensitive for %q", tc.name)
			}
			if _, ok := BuiltinByID(strings.ToUpper(tc.guid)); !ok {
				t.Errorf("BuiltinByID is case-sensitive for %q", tc.guid)
			}
		})
	}
	if got, want := len(BuiltinRoles()), len(requiredRoles); got != want {
		t.Errorf("len(BuiltinRoles()) = %d, want %d (update requiredRoles when adding a role)", got, want)
	}
}

func TestBuiltinLookupMisses(t *testing.T) {
	for _, s := range []string{"", "Owner ", "8e3af657-a8ff-443c-a75c-2fe8c4bcb636", "Owner's", "Network"} {
		if _, ok := BuiltinByName(s); ok {
			t.Errorf("BuiltinByName(%q) found a role", s)
		}
		if _, ok := BuiltinByID(s); ok {
			t.Errorf("BuiltinByID(%q) found a role", s)
		}
	}
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestBuiltinRolesShape(t *testing.T) {
	roles := BuiltinRoles()
	names := map[string]bool{}
	guids := map[string]bool{}
	var order []string
	for _, r := range roles {
		p := r.Properties
		order = append(order, p.RoleName)
		if !guidRE.MatchString(r.Name) {
			t.Errorf("%s: name %q is not a lower-case GUID", p.RoleName, r.Name)
		}
		if guids[r.Name] {
			t.Errorf("duplicate GUID %s", r.Name)
		}
		guids[r.Name] = true
		if names[strings.ToLower(p.RoleName)] {
			t.Errorf("duplicate role name %s", p.RoleName)
		}
		names[strings.ToLower(p.RoleName)] = true
		if want := "/providers/Microsoft.Authorization/roleDefinitions/" + r.Name; r.ID != want {
			t.Errorf("%s: id = %q, want %q", p.RoleName, r.ID, want)
		}
		if r.Type != "Microsoft.Authorization/roleDefinitions" {
			t.Errorf("%s: type = %q", p.RoleName, r.Type)
		}
		if p.Type != "BuiltInRole" {
			t.Errorf("%s: properties.type = %q", p.RoleName, p.Type)
		}
		if p.Description == "" {
			t.Errorf("%s: empty description", p.RoleName)
		}
		if !reflect.DeepEqual(p.AssignableScopes, []string{"/"}) {
			t.Errorf("%s: assignableScopes = %q", p.RoleName, p.AssignableScopes)
		}
		if p.CreatedBy != nil || p.UpdatedBy != nil {
			t.Errorf("%s: createdBy/updatedBy set on a built-in", p.RoleName)
		}
		if len(p.Permissions) != 1 {
			t.Fatalf("%s: %d permission blocks", p.RoleName, len(p.Permissions))
		}
		perm := p.Permissions[0]
		if len(perm.Actions)+len(perm.DataActions) == 0 {
			t.Errorf("%s: grants nothing", p.RoleName)
		}
		for field, list := range map[string][]string{
			"actions": perm.Actions, "notActions": perm.NotActions,
			"dataActions": perm.DataActions, "notDataActions": perm.NotDataActions,
		} {
			if list == nil {
				t.Errorf("%s: %s is nil (would render as null)", p.RoleName, field)
			}
			seen := map[string]bool{}
			for _, a := range list {
				if a == "" || strings.TrimSpace(a) != a {
					t.Errorf("%s: %s has malformed entry %q", p.RoleName, field, a)
				}
				if seen[strings.ToLower(a)] {
					t.Errorf("%s: %s has duplicate entry %q", p.RoleName, field, a)
				}
				seen[strings.ToLower(a)] = true
			}
		}
	}
	if !sort.StringsAreSorted(order) {
		t.Errorf("BuiltinRoles() not sorted by role name: %q", order)
	}
}

func TestBuiltinRolesReturnsCopies(t *testing.T) {
	roles := BuiltinRoles()
	roles[0].Properties.RoleName = "changed"
	roles[0].Properties.AssignableScopes[0] = "/subscriptions/x"
	roles[0].Properties.Permissions[0].Actions[0] = "changed"

	owner, _ := BuiltinByName("Owner")
	owner.Properties.Permissions[0].Actions[0] = "Microsoft.Nothing/read"

	again := BuiltinRoles()
	if again[0].Properties.RoleName == "changed" ||
		again[0].Properties.AssignableScopes[0] != "/" ||
		again[0].Properties.Permissions[0].Actions[0] == "changed" {
		t.Error("mutating BuiltinRoles() result changed the package table")
	}
	if o, _ := BuiltinByName("Owner"); o.Properties.Permissions[0].Actions[0] != "*" {
		t.Error("mutating BuiltinByName result changed the package table")
	}
}

func TestRoleDefinitionIDs(t *testing.T) {
	const g = NetworkContributorRoleID
	cases := []struct{ scope, want string }{
		{"/", "/providers/Microsoft.Authorization/roleDefinitions/" + g},
		{"", "/providers/Microsoft.Authorization/roleDefinitions/" + g},
		{"/subscriptions/s1", "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + g},
		{"/subscriptions/s1/", "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + g},
		{"/subscriptions/s1/resourceGroups/rg", "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions/" + g},
	}
	for _, tc := range cases {
		if got := RoleDefinitionID(tc.scope, g); got != tc.want {
			t.Errorf("RoleDefinitionID(%q) = %q, want %q", tc.scope, got, tc.want)
		}
	}

	nc, _ := BuiltinByID(g)
	at := nc.AtScope("/subscriptions/s1")
	if want := "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + g; at.ID != want {
		t.Errorf("AtScope ID = %q, want %q", at.ID, want)
	}
	if nc.ID != "/providers/Microsoft.Authorization/roleDefinitions/"+g {
		t.Errorf("AtScope modified its receiver: %q", nc.ID)
	}
}

func TestParseRoleDefinitionID(t *testing.T) {
	cases := []struct {
		id, scope, guid string
		ok              bool
	}{
		{"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + ReaderRoleID, "/subscriptions/s1", ReaderRoleID, true},
		{"/SUBSCRIPTIONS/s1/PROVIDERS/microsoft.authorization/ROLEDEFINITIONS/" + ReaderRoleID, "/SUBSCRIPTIONS/s1", ReaderRoleID, true},
		{"/providers/Microsoft.Authorization/roleDefinitions/" + ReaderRoleID, "/", ReaderRoleID, true},
		{"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions/" + ReaderRoleID, "/subscriptions/s1/resourceGroups/rg", ReaderRoleID, true},
		{ReaderRoleID, "", ReaderRoleID, true},
		{"", "", "", false},
		{"/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/" + ReaderRoleID, "", "", false},
		{"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/", "", "", false},
		{"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/x/y", "", "", false},
	}
	for _, tc := range cases {
		scope, guid, ok := ParseRoleDefinitionID(tc.id)
		if scope != tc.scope || guid != tc.guid || ok != tc.ok {
			t.Errorf("ParseRoleDefinitionID(%q) = %q, %q, %v; want %q, %q, %v", tc.id, scope, guid, ok, tc.scope, tc.guid, tc.ok)
		}
	}
}

func TestBuiltinLookup(t *testing.T) {
	for _, id := range []string{
		ContributorRoleID,
		"/providers/Microsoft.Authorization/roleDefinitions/" + ContributorRoleID,
		"/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/" + strings.ToUpper(ContributorRoleID),
	} {
		d, ok := BuiltinLookup(id)
		if !ok || d.Properties.RoleName != "Contributor" {
			t.Errorf("BuiltinLookup(%q) = %q, %v", id, d.Properties.RoleName, ok)
		}
	}
	for _, id := range []string{"", "/subscriptions/s1", "/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-3333-4444-555555555555"} {
		if _, ok := BuiltinLookup(id); ok {
			t.Errorf("BuiltinLookup(%q) found a role", id)
		}
	}
}

// TestRoleDefinitionJSON pins the ARM wire shape against golden files.
func TestRoleDefinitionJSON(t *testing.T) {
	owner, _ := BuiltinByID(OwnerRoleID)
	nc, _ := BuiltinByID(NetworkContributorRoleID)
	cases := []struct {
		file string
		def  RoleDefinition
	}{
		{"owner_at_root.json", owner},
		{"network_contributor_at_subscription.json", nc.AtScope("/subscriptions/00000000-0000-0000-0000-000000000001")},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(tc.def, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("JSON mismatch\n got: %s\nwant: %s", got, want)
			}
			var back RoleDefinition
			if err := json.Unmarshal(want, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.def) {
				t.Errorf("round trip mismatch:\n got %+v\nwant %+v", back, tc.def)
			}
		})
	}
}

// TestCustomRoleJSON checks that a custom role with timestamps and authors
// (as a handler will store them) decodes and re-encodes unchanged.
func TestCustomRoleJSON(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "custom_role.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d RoleDefinition
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.Properties.Type != CustomRole || d.Properties.CreatedOn.IsZero() || d.Properties.CreatedBy == nil {
		t.Fatalf("decoded custom role lost fields: %+v", d.Properties)
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(raw)) {
		t.Errorf("re-encoded custom role differs\n got: %s\nwant: %s", out, raw)
	}
	scope, guid, ok := ParseRoleDefinitionID(d.ID)
	if !ok || guid != d.Name || scope != d.Properties.AssignableScopes[0] {
		t.Errorf("ParseRoleDefinitionID(%q) = %q, %q, %v", d.ID, scope, guid, ok)
	}
}
