package dnsresolver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	v     = "2022-07-01"
	netV  = "2024-05-01"
	rgAPI = "2021-04-01"
	sub   = armtest.Subscription
	loc   = "westus2"
)

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T) *env {
	t.Helper()
	return &env{Server: armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, Provider{}), t: t}
}

func rgPath(rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func netPath(rg, typ, name string) string {
	return rgPath(rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

func (e *env) do(want int, method, path, api string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, path, api, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r
}

func (e *env) must(want int, method, path string, body any) *armtest.Result {
	e.t.Helper()
	return e.do(want, method, path, v, body)
}

func (e *env) fails(status int, code, msgPart, method, path string, body any) {
	e.t.Helper()
	r := e.Do(method, path, v, body)
	if r.Status != status || r.ErrorCode() != code {
		e.t.Fatalf("%s %s: got %d %s, want %d %s: %s", method, path, r.Status, r.ErrorCode(), status, code, r.Body)
	}
	if msgPart != "" && !strings.Contains(r.ErrorMessage(), msgPart) {
		e.t.Fatalf("%s %s: message lacks %q: %s", method, path, msgPart, r.Body)
	}
}

func (e *env) get(path string) map[string]any {
	e.t.Helper()
	return e.must(http.StatusOK, http.MethodGet, path, nil).JSON()
}

func (e *env) group(rg string) {
	e.t.Helper()
	r := e.Do(http.MethodPut, rgPath(rg), rgAPI, map[string]any{"location": loc})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		e.t.Fatalf("group %s: %d %s", rg, r.Status, r.Body)
	}
}

// vnet creates 10.N.0.0/16 in location l with subnets in (10.N.0.0/28,
// delegated), out (10.N.0.16/28, delegated), in2 (10.N.0.32/28,
// delegated), big (10.N.1.0/23, delegated), plain (10.N.4.0/24).
func (e *env) mkVNet(rg, name, n, l string) string {
	e.t.Helper()
	del := []any{map[string]any{"name": "Microsoft.Network.dnsResolvers", "properties": map[string]any{"serviceName": DelegationService}}}
	sn := func(name, prefix string, delegated bool) map[string]any {
		p := map[string]any{"addressPrefix": prefix}
		if delegated {
			p["delegations"] = del
		}
		return map[string]any{"name": name, "properties": p}
	}
	p := netPath(rg, "virtualNetworks", name)
	e.do(http.StatusCreated, http.MethodPut, p, netV, map[string]any{
		"location": l,
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{"10." + n + ".0.0/16"}},
			"subnets": []any{sn("in", "10."+n+".0.0/28", true), sn("out", "10."+n+".0.16/28", true),
				sn("in2", "10."+n+".0.32/28", true), sn("big", "10."+n+".2.0/23", true), sn("plain", "10."+n+".4.0/24", false)},
		},
	})
	return p
}

func ref(id string) map[string]any { return map[string]any{"id": id} }

func str(m any, path ...any) string {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			a, _ := m.([]any)
			if k >= len(a) {
				return ""
			}
			m = a[k]
		}
	}
	s, _ := m.(string)
	return s
}

// world is a resolver with one inbound and one outbound endpoint.
type world struct {
	*env
	vnet, res, in, out string
}

func newWorld(t *testing.T) *world {
	e := start(t)
	e.group("rg")
	w := &world{env: e}
	w.vnet = e.mkVNet("rg", "hub", "0", loc)
	w.res = netPath("rg", "dnsResolvers", "res")
	e.must(http.StatusCreated, http.MethodPut, w.res, map[string]any{"location": loc, "tags": map[string]any{"key1": "value1"}, "properties": map[string]any{"virtualNetwork": ref(w.vnet)}})
	w.in = w.res + "/inboundEndpoints/in"
	e.must(http.StatusCreated, http.MethodPut, w.in, map[string]any{"location": loc, "tags": map[string]any{"key1": "value1"}, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"subnet": ref(w.vnet + "/subnets/in"), "privateIpAllocationMethod": "Dynamic"}}}})
	w.out = w.res + "/outboundEndpoints/out"
	e.must(http.StatusCreated, http.MethodPut, w.out, map[string]any{"location": loc, "properties": map[string]any{"subnet": ref(w.vnet + "/subnets/out")}})
	return w
}
