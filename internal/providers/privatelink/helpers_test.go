package privatelink

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	v     = "2025-01-01"
	rgAPI = "2021-04-01"
	sub1  = armtest.Subscription
	sub2  = "00000000-0000-0000-0000-000000000002"
	loc   = "eastus"
)

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, privatedns.Provider{}, Provider{})
	return &env{Server: s, t: t}
}

func rgPath(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func netPath(sub, rg, typ, name string) string {
	return rgPath(sub, rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

func (e *env) must(want int, method, path string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, path, v, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r
}

func (e *env) fails(status int, code, msgPart, method, path string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, path, v, body)
	if r.Status != status || r.ErrorCode() != code {
		e.t.Fatalf("%s %s: got %d %s, want %d %s: %s", method, path, r.Status, r.ErrorCode(), status, code, r.Body)
	}
	if msgPart != "" && !strings.Contains(r.ErrorMessage(), msgPart) {
		e.t.Fatalf("%s %s: message lacks %q: %s", method, path, msgPart, r.Body)
	}
	return r
}

func (e *env) get(path string) map[string]any {
	e.t.Helper()
	return e.must(http.StatusOK, http.MethodGet, path, nil).JSON()
}

func (e *env) group(sub, rg string) {
	e.t.Helper()
	r := e.Do(http.MethodPut, rgPath(sub, rg), rgAPI, map[string]any{"location": loc})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		e.t.Fatalf("group %s: %d %s", rg, r.Status, r.Body)
	}
}

// vnet creates a virtual network 10.N.0.0/16 with subnets fe (10.N.0.0/24),
// nat (10.N.1.0/24, private link service policies Disabled), pe
// (10.N.2.0/24) and natpol (10.N.3.0/24, policies Enabled).
func (e *env) vnet(sub, rg, name, n string) string {
	e.t.Helper()
	sn := func(name, prefix, plsPolicy string) map[string]any {
		return map[string]any{"name": name, "properties": map[string]any{"addressPrefix": prefix, "privateLinkServiceNetworkPolicies": plsPolicy}}
	}
	p := netPath(sub, rg, "virtualNetworks", name)
	e.must(http.StatusCreated, http.MethodPut, p, map[string]any{
		"location": loc,
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{"10." + n + ".0.0/16"}},
			"subnets": []any{sn("fe", "10."+n+".0.0/24", "Enabled"), sn("nat", "10."+n+".1.0/24", "Disabled"),
				sn("pe", "10."+n+".2.0/24", "Enabled"), sn("natpol", "10."+n+".3.0/24", "Enabled")},
		},
	})
	return p
}

// loadBalancer writes a load balancer record in Azure's REST shape with an
// internal frontend "fe" in the vnet's fe subnet and a public frontend "pub".
func (e *env) loadBalancer(sub, rg, name, vnet, sku string) string {
	e.t.Helper()
	id := netPath(sub, rg, "loadBalancers", name)
	props := map[string]any{"frontendIPConfigurations": []any{
		map[string]any{"name": "fe", "id": id + "/frontendIPConfigurations/fe", "properties": map[string]any{
			"privateIPAddress": "10.0.0.10", "privateIPAllocationMethod": "Static", "subnet": map[string]any{"id": vnet + "/subnets/fe"}}},
		map[string]any{"name": "pub", "id": id + "/frontendIPConfigurations/pub", "properties": map[string]any{
			"publicIPAddress": map[string]any{"id": netPath(sub, rg, "publicIPAddresses", "pip")}}},
	}, "backendAddressPools": []any{}}
	b, _ := json.Marshal(props)
	skuJSON, _ := json.Marshal(map[string]string{"name": sku})
	err := e.Platform.Engine.Run(context.Background(), func(t *arm.Txn) error {
		return t.Write(context.Background(), &arm.Record{State: arm.StateSucceeded, Generation: 1, Resource: arm.Resource{
			ID: id, Name: name, Type: LoadBalancerTy, Location: loc, Etag: newETag(), SKU: skuJSON, Properties: b}})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func plsBody(lb, vnet string, mod func(p map[string]any)) map[string]any {
	p := map[string]any{
		"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": lb + "/frontendIPConfigurations/fe"}},
		"ipConfigurations": []any{map[string]any{"name": "nat1", "properties": map[string]any{
			"privateIPAllocationMethod": "Dynamic", "subnet": map[string]any{"id": vnet + "/subnets/nat"}, "primary": true}}},
		"fqdns": []string{"app.contoso.internal"},
	}
	if mod != nil {
		mod(p)
	}
	return map[string]any{"location": loc, "properties": p}
}

func peBody(subnet, plsRef string, manual bool, mod func(c, p map[string]any)) map[string]any {
	c := map[string]any{"name": "conn", "properties": map[string]any{"privateLinkServiceId": plsRef, "requestMessage": "please"}}
	p := map[string]any{"subnet": map[string]any{"id": subnet}}
	if manual {
		p["manualPrivateLinkServiceConnections"] = []any{c}
	} else {
		p["privateLinkServiceConnections"] = []any{c}
	}
	if mod != nil {
		mod(c["properties"].(map[string]any), p)
	}
	return map[string]any{"location": loc, "properties": p}
}

// dig walks a decoded JSON value: keys for objects, ints for arrays.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := dig(v, path...).(string); return s }

// record reads a raw stored record.
func (e *env) record(id string) *arm.Record {
	e.t.Helper()
	rec, err := e.Platform.Engine.GetRecord(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

// world is a provider (sub1/rgp: vnet "prov", LB, PLS "pls") and two
// consumer groups (sub1/rgc and sub2/rgx, vnets "cons").
type world struct {
	*env
	provVNet, lb, pls, cons1, cons2 string
}

func newWorld(t *testing.T, mod func(p map[string]any)) *world {
	e := start(t)
	w := &world{env: e}
	e.group(sub1, "rgp")
	e.group(sub1, "rgc")
	e.group(sub2, "rgx")
	w.provVNet = e.vnet(sub1, "rgp", "prov", "0")
	w.lb = e.loadBalancer(sub1, "rgp", "lb", w.provVNet, "Standard")
	w.cons1 = e.vnet(sub1, "rgc", "cons", "0") // overlapping address spaces are fine
	w.cons2 = e.vnet(sub2, "rgx", "cons", "0")
	w.pls = netPath(sub1, "rgp", "privateLinkServices", "pls")
	e.must(http.StatusCreated, http.MethodPut, w.pls, plsBody(w.lb, w.provVNet, mod))
	return w
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
