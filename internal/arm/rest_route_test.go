package arm

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestRouteRestSegment(t *testing.T) {
	rt := route{method: http.MethodGet, pattern: strings.Split("{scope...}/providers/Microsoft.Authorization/roleDefinitions/{id}", "/")}
	cases := []struct {
		path string
		ok   bool
		vars map[string]string
	}{
		{"/providers/Microsoft.Authorization/roleDefinitions/g1", true, map[string]string{"scope": "", "id": "g1"}},
		{"/subscriptions/s/providers/microsoft.authorization/ROLEDEFINITIONS/g1", true, map[string]string{"scope": "/subscriptions/s", "id": "g1"}},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/roleDefinitions/g1", true,
			map[string]string{"scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "id": "g1"}},
		{"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions", false, nil},
		{"/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g1", false, nil},
		{"/roleDefinitions/g1", false, nil},
	}
	for _, c := range cases {
		segs := strings.Split(strings.Trim(c.path, "/"), "/")
		vars, ok := rt.match(http.MethodGet, segs)
		if ok != c.ok || (ok && !reflect.DeepEqual(vars, c.vars)) {
			t.Errorf("%s: %v %v, want %v %v", c.path, vars, ok, c.vars, c.ok)
		}
	}
	if _, ok := rt.match(http.MethodHead, strings.Split("providers/Microsoft.Authorization/roleDefinitions/g", "/")); !ok {
		t.Errorf("HEAD does not match a GET route")
	}
	if _, ok := rt.match(http.MethodPut, strings.Split("providers/Microsoft.Authorization/roleDefinitions/g", "/")); ok {
		t.Errorf("PUT matched a GET route")
	}
	// A rest segment in the middle, and routes without one, still work.
	mid := route{method: http.MethodGet, pattern: strings.Split("a/{rest...}/z", "/")}
	if vars, ok := mid.match(http.MethodGet, []string{"a", "b", "c", "z"}); !ok || vars["rest"] != "/b/c" {
		t.Errorf("middle: %v %v", vars, ok)
	}
	if vars, ok := mid.match(http.MethodGet, []string{"a", "z"}); !ok || vars["rest"] != "" {
		t.Errorf("middle, empty: %v %v", vars, ok)
	}
	plain := route{method: http.MethodGet, pattern: strings.Split("subscriptions/{sub}", "/")}
	if _, ok := plain.match(http.MethodGet, []string{"subscriptions", "s", "x"}); ok {
		t.Errorf("plain route matched a longer path")
	}
}
