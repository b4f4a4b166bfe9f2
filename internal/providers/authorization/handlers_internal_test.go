package authorization

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestCanonicalScope(t *testing.T) {
	const s = "/subscriptions/00000000-0000-0000-0000-000000000001"
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"/", "", true},
		{s, s, true},
		{"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/resourcegroups/RG", s + "/resourceGroups/RG", true},
		{s + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a", s + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a", true},
		{"/providers/Microsoft.Management/managementGroups/mg1", "/providers/Microsoft.Management/managementGroups/mg1", true},
		{s + "/resourceGroups", "", false},
		{s + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks", "", false},
		{"subscriptions/x", "", false},
		{"/foo/bar", "", false},
		{"/providers/Microsoft.Network/virtualNetworks/v", "", false},
	}
	for _, c := range cases {
		got, ok := canonicalScope(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("canonicalScope(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestDisplayScope(t *testing.T) {
	const s = "/subscriptions/00000000-0000-0000-0000-000000000001"
	for in, want := range map[string]string{
		"":                       "/",
		s:                        s,
		s + "/resourceGroups/rg": s,
		s + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v": s,
		"/providers/Microsoft.Management/managementGroups/mg":                  "/providers/Microsoft.Management/managementGroups/mg",
	} {
		if got := displayScope(in); got != want {
			t.Errorf("displayScope(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScopeChain(t *testing.T) {
	const s = "/subscriptions/00000000-0000-0000-0000-000000000001"
	const g = s + "/resourceGroups/rg"
	const v = g + "/providers/Microsoft.Network/virtualNetworks/v"
	cases := map[string][]string{
		"":               {""},
		s:                {"", s},
		g:                {"", s, g},
		v + "/subnets/a": {"", s, g, v, v + "/subnets/a"},
		v + "/providers/Microsoft.Insights/diagnosticSettings/d": {"", s, g, v, v + "/providers/Microsoft.Insights/diagnosticSettings/d"},
		"/providers/Microsoft.Management/managementGroups/mg":    {"", "/providers/Microsoft.Management/managementGroups/mg"},
	}
	for in, want := range cases {
		if got := scopeChain(in); !reflect.DeepEqual(got, want) {
			t.Errorf("scopeChain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseAssignmentFilter(t *testing.T) {
	const p = "aaaaaaaa-0000-0000-0000-000000000001"
	cases := []struct {
		in   string
		want assignmentFilter
		ok   bool
	}{
		{"", assignmentFilter{}, true},
		{"atScope()", assignmentFilter{atScope: true}, true},
		{"ATSCOPE()", assignmentFilter{atScope: true}, true},
		{"principalId eq '" + p + "'", assignmentFilter{principal: p}, true},
		{"assignedTo('" + p + "')", assignmentFilter{principal: p}, true},
		{"atScope() and assignedTo('" + p + "')", assignmentFilter{atScope: true, principal: p}, true},
		{"atScope() and principalId eq '" + p + "'", assignmentFilter{}, false},
		{"principalId eq " + p, assignmentFilter{}, false},
		{"principalId eq '" + p + "' and roleDefinitionId eq 'x'", assignmentFilter{}, false},
		{"atScope() and atScope()", assignmentFilter{}, false},
		{"scope eq '/'", assignmentFilter{}, false},
	}
	for _, c := range cases {
		got, err := parseAssignmentFilter(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseAssignmentFilter(%q) = %+v, %v", c.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "UnsupportedQuery") {
			t.Errorf("parseAssignmentFilter(%q) error %v", c.in, err)
		}
	}
}

func TestParseDefinitionFilter(t *testing.T) {
	cases := []struct {
		in   string
		want definitionFilter
		ok   bool
	}{
		{"", definitionFilter{}, true},
		{"roleName eq 'Network Contributor'", definitionFilter{roleName: "Network Contributor"}, true},
		{"rolename EQ 'O''Brien role'", definitionFilter{roleName: "O'Brien role"}, true},
		{"type eq 'BuiltInRole'", definitionFilter{typ: "BuiltInRole"}, true},
		{"roleName eq Owner", definitionFilter{}, false},
		{"permissions eq 'x'", definitionFilter{}, false},
	}
	for _, c := range cases {
		got, err := parseDefinitionFilter(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseDefinitionFilter(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestValidPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"*":                   true,
		"*/read":              true,
		"Microsoft.Network/*": true,
		"Microsoft.Network/virtualNetworks/subnets/join/action": true,
		"Microsoft.Authorization/*/read":                        true,
		"":                                                      false,
		"read":                                                  false,
		"Network/read":                                          false,
		"Microsoft.Network/":                                    false,
		"/Microsoft.Network":                                    false,
		"Microsoft.Network/virtual networks/read": false,
	} {
		if got := validPermission(p); got != want {
			t.Errorf("validPermission(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestValidateDefinition(t *testing.T) {
	const guid = "11111111-2222-3333-4444-555555555555"
	const s = "/subscriptions/00000000-0000-0000-0000-000000000001"
	body := func(js string) definitionBody {
		var b definitionBody
		if err := json.Unmarshal([]byte(js), &b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		body string
		code string
	}{
		{`{}`, "RoleDefinitionNameNullOrEmpty"},
		{`{"properties":{"roleName":"  ","assignableScopes":["` + s + `"]}}`, "RoleDefinitionNameNullOrEmpty"},
		{`{"properties":{"roleName":"r","type":"BuiltInRole","assignableScopes":["` + s + `"]}}`, "InvalidRoleDefinitionType"},
		{`{"properties":{"roleName":"r"}}`, "MissingAssignableScopes"},
		{`{"properties":{"roleName":"r","assignableScopes":["/"]}}`, "LinkedInvalidPropertyId"},
		{`{"properties":{"roleName":"r","assignableScopes":["Invalid_Scope"]}}`, "LinkedInvalidPropertyId"},
		{`{"properties":{"roleName":"r","assignableScopes":["` + s + `"],"permissions":[{"actions":["read"]}]}}`, "InvalidActionOrNotAction"},
		{`{"properties":{"roleName":"r","assignableScopes":["` + s + `"],"permissions":[{"notDataActions":["x/y"]}]}}`, "InvalidActionOrNotAction"},
		{`{"properties":{"roleName":"r","type":"customrole","assignableScopes":["` + s + `/resourcegroups/rg"],"permissions":[{"actions":["*/read"]}]}}`, ""},
	}
	for _, c := range cases {
		d, err := validateDefinition(guid, body(c.body))
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.body, err)
				continue
			}
			if d.Properties.Type != CustomRole || d.Properties.AssignableScopes[0] != s+"/resourceGroups/rg" ||
				len(d.Properties.Permissions) != 1 || d.Properties.Permissions[0].NotActions == nil {
				t.Errorf("%s: %+v", c.body, d)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s: %v, want %s", c.body, err, c.code)
		}
	}
}
