package hybridcompute

import (
	"encoding/json"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/privatelink"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	api    = "2024-07-10"
	netAPI = "2025-01-01"
	sub    = armtest.Subscription
)

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, loadbalancer.Provider{},
		privatedns.Provider{}, privatelink.Provider{}, &Provider{})
	e := &env{Server: s, t: t}
	e.must(http.StatusCreated, "PUT", "/subscriptions/"+sub+"/resourceGroups/rg", "2021-04-01", map[string]any{"location": "westus"})
	return e
}

func (e *env) must(want int, method, path, version string, body any) map[string]any {
	e.t.Helper()
	r := e.Do(method, path, version, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r.JSON()
}

func (e *env) fails(status int, code, msgPart, method, path, version string, body any) {
	e.t.Helper()
	r := e.Do(method, path, version, body)
	if r.Status != status || r.ErrorCode() != code || !strings.Contains(r.ErrorMessage(), msgPart) {
		e.t.Fatalf("%s %s: got %d %s %q, want %d %s containing %q", method, path, r.Status, r.ErrorCode(), r.ErrorMessage(), status, code, msgPart)
	}
}

const scopeID = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/my-privatelinkscope"

// example returns the body of a response of a REST example.
func example(t *testing.T, file, status string) any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses[status].Body
}

// missingKeys lists the paths of fields want has and got lacks.
func missingKeys(want, got any, path string) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if m, ok := w[k].(map[string]any); w[k] == nil || ok && len(m) == 0 {
				// "nextLink": null; "tags": {} (the ARM engine omits
				// empty tags for every type: docs/arc.md)
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, missingKeys(w[k], gv, path+"."+k)...)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || (len(w) > 0 && len(g) == 0) {
			return []string{path}
		}
		if len(w) > 0 {
			out = append(out, missingKeys(w[0], g[0], path+"[0]")...)
		}
	}
	return out
}

func golden(t *testing.T, file, status string, got any) {
	t.Helper()
	if miss := missingKeys(example(t, file, status), got, ""); len(miss) > 0 {
		t.Errorf("%s: response lacks %v", file, miss)
	}
}

// serviceInfra creates what internal/app/arc.go creates for a region: the
// hidden private link service scope endpoints connect through.
func (e *env) serviceInfra(region string) {
	g := ServiceGroup(region)
	e.must(http.StatusCreated, "PUT", g, "2021-04-01", map[string]any{"location": region})
	vnet := g + "/providers/Microsoft.Network/virtualNetworks/v"
	e.must(http.StatusCreated, "PUT", vnet, netAPI, map[string]any{"location": region, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.250.0.0/16"}},
		"subnets": []any{map[string]any{"name": "s", "properties": map[string]any{
			"addressPrefix": "10.250.0.0/24", "privateLinkServiceNetworkPolicies": "Disabled"}}}}})
	lb := g + "/providers/Microsoft.Network/loadBalancers/lb"
	e.must(http.StatusCreated, "PUT", lb, netAPI, map[string]any{"location": region, "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"frontendIPConfigurations": []any{map[string]any{"name": "fe", "properties": map[string]any{
			"subnet": map[string]any{"id": vnet + "/subnets/s"}}}}}})
	e.must(http.StatusCreated, "PUT", ServicePLS(region), netAPI, map[string]any{"location": region, "properties": map[string]any{
		"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": lb + "/frontendIPConfigurations/fe"}},
		"ipConfigurations": []any{map[string]any{"name": "nat", "properties": map[string]any{
			"subnet": map[string]any{"id": vnet + "/subnets/s"}, "primary": true}}},
		"visibility": map[string]any{"subscriptions": []string{"*"}}}})
}

func (e *env) clientVNet(name, prefix string) string {
	vnet := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/" + name
	e.must(http.StatusCreated, "PUT", vnet, netAPI, map[string]any{"location": "westus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{prefix + "/16"}},
		"subnets":      []any{map[string]any{"name": "pe", "properties": map[string]any{"addressPrefix": prefix + "/24"}}}}})
	return vnet + "/subnets/pe"
}

func endpointBody(subnet, target string, manual bool) map[string]any {
	conn := []any{map[string]any{"name": "c", "properties": map[string]any{
		"privateLinkServiceId": target, "groupIds": []string{GroupID}}}}
	props := map[string]any{"subnet": map[string]any{"id": subnet}}
	if manual {
		props["manualPrivateLinkServiceConnections"] = conn
	} else {
		props["privateLinkServiceConnections"] = conn
	}
	return map[string]any{"location": "westus", "properties": props}
}

func TestScopeGoldenShapes(t *testing.T) {
	e := start(t)
	got := e.must(http.StatusCreated, "PUT", scopeID, api, map[string]any{"location": "westus"})
	golden(t, "PrivateLinkScopes_Create.json", "201", withConnection(got))
	if p := got["properties"].(map[string]any); p["publicNetworkAccess"] != "Disabled" || p["provisioningState"] != "Succeeded" {
		t.Errorf("defaults = %v", p)
	}
	guid := arm.DigString(got, "properties", "privateLinkScopeId")
	upd := e.must(http.StatusOK, "PUT", scopeID, api, map[string]any{"location": "westus", "tags": map[string]string{"Tag1": "Value1"},
		"properties": map[string]any{"publicNetworkAccess": "enabled"}})
	if arm.DigString(upd, "properties", "privateLinkScopeId") != guid || arm.DigString(upd, "properties", "publicNetworkAccess") != "Enabled" {
		t.Errorf("update = %v (privateLinkScopeId must stay %s)", upd, guid)
	}
	patched := e.must(http.StatusOK, "PATCH", scopeID, api, map[string]any{"tags": map[string]string{"a": "b"}})
	if arm.DigString(patched, "tags", "a") != "b" {
		t.Errorf("patch = %v", patched)
	}
	e.fails(http.StatusBadRequest, "InvalidParameter", "Allowed values are: Enabled, Disabled", "PUT", scopeID, api,
		map[string]any{"location": "westus", "properties": map[string]any{"publicNetworkAccess": "Sometimes"}})
	e.fails(http.StatusBadRequest, "InvalidResourceLocation", "already exists in location", "PUT", scopeID, api,
		map[string]any{"location": "eastus"})

	list := e.must(http.StatusOK, "GET", scopeID+"/privateLinkResources", api, nil)
	golden(t, "PrivateLinkScopePrivateLinkResource_ListGet.json", "200", list)
	res := arm.Dig(list, "value", 0).(map[string]any)
	if arm.DigString(res, "properties", "groupId") != "hybridcompute" || len(arm.Dig(res, "properties", "requiredZoneNames").([]any)) != 3 {
		t.Errorf("private link resource = %v", res)
	}
	one := e.must(http.StatusOK, "GET", scopeID+"/privateLinkResources/hybridcompute", api, nil)
	if one["name"] != "hybridcompute" {
		t.Errorf("get = %v", one)
	}
	e.fails(http.StatusNotFound, "ResourceNotFound", "only group ID", "GET", scopeID+"/privateLinkResources/blob", api, nil)
	e.fails(http.StatusNotFound, "ResourceNotFound", "was not found", "GET", scopeID+"x/privateLinkResources", api, nil)
}

// withConnection copies the example's inline connection check onto a
// scope that has none yet: the shape of inline connections is checked in
// TestEndpointConnections.
func withConnection(got map[string]any) map[string]any {
	p := got["properties"].(map[string]any)
	if conns, _ := p["privateEndpointConnections"].([]any); len(conns) == 0 {
		cp := map[string]any{}
		for k, v := range got {
			cp[k] = v
		}
		pp := map[string]any{}
		for k, v := range p {
			pp[k] = v
		}
		pp["privateEndpointConnections"] = []any{map[string]any{"id": "", "name": "", "type": "", "properties": map[string]any{
			"provisioningState": "", "privateEndpoint": map[string]any{"id": ""},
			"privateLinkServiceConnectionState": map[string]any{"status": "", "description": "", "actionsRequired": ""}}}}
		cp["properties"] = pp
		return cp
	}
	return got
}

func TestEndpointConnections(t *testing.T) {
	e := start(t)
	e.must(http.StatusCreated, "PUT", scopeID, api, map[string]any{"location": "westus"})
	subnet := e.clientVNet("client", "10.1.0.0")
	pe := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe1"

	// Without Arc's regional service the endpoint cannot connect.
	e.fails(http.StatusServiceUnavailable, "ServiceUnavailable", "not available in region 'westus'", "PUT", pe, netAPI, endpointBody(subnet, scopeID, false))
	e.serviceInfra("westus")
	bad := endpointBody(subnet, scopeID, false)
	bad["properties"].(map[string]any)["privateLinkServiceConnections"].([]any)[0].(map[string]any)["properties"].(map[string]any)["groupIds"] = []string{"blob"}
	e.fails(http.StatusBadRequest, "PrivateEndpointBadRequest", "Group ID 'blob' is not valid", "PUT", pe, netAPI, bad)

	got := e.must(http.StatusCreated, "PUT", pe, netAPI, endpointBody(subnet, scopeID, true))
	c := arm.Dig(got, "properties", "manualPrivateLinkServiceConnections", 0, "properties").(map[string]any)
	if c["privateLinkServiceId"] != scopeID || arm.DigString(c, "groupIds", 0) != GroupID ||
		arm.DigString(c, "privateLinkServiceConnectionState", "status") != "Pending" {
		t.Errorf("endpoint connection = %v", c)
	}
	dns, _ := arm.Dig(got, "properties", "customDnsConfigs").([]any)
	var fqdns []string
	ips := map[string]bool{}
	for _, d := range dns {
		fqdns = append(fqdns, arm.DigString(d, "fqdn"))
		ips[arm.DigString(d, "ipAddresses", 0)] = true
	}
	want := []string{"gbl.his.arc.azure.com", "wus.his.arc.azure.com", "agentserviceapi.guestconfiguration.azure.com",
		"westus-gas.guestconfiguration.azure.com", "dp.kubernetesconfiguration.azure.com", "westus.dp.kubernetesconfiguration.azure.com"}
	if strings.Join(fqdns, ",") != strings.Join(want, ",") || len(ips) != 6 {
		t.Errorf("customDnsConfigs = %v, want one address for each of %v", dns, want)
	}
	nic := e.must(http.StatusOK, "GET", arm.DigString(got, "properties", "networkInterfaces", 0, "id"), netAPI, nil)
	if n := len(arm.Dig(nic, "properties", "ipConfigurations").([]any)); n != 6 {
		t.Errorf("endpoint NIC has %d ip configurations, want 6", n)
	}

	// The owner side.
	conns := e.must(http.StatusOK, "GET", scopeID+"/privateEndpointConnections", api, nil)
	golden(t, "PrivateEndpointConnection_List.json", "200", conns)
	connID := arm.DigString(conns, "value", 0, "id")
	one := e.must(http.StatusOK, "GET", connID, api, nil)
	golden(t, "PrivateEndpointConnection_Get.json", "200", one)
	scope := e.must(http.StatusOK, "GET", scopeID, api, nil)
	golden(t, "PrivateLinkScopes_Get.json", "200", scope)
	upd := e.must(http.StatusOK, "PUT", connID, api, map[string]any{"properties": map[string]any{
		"privateLinkServiceConnectionState": map[string]any{"status": "Approved", "description": "Approved by johndoe@contoso.com"}}})
	golden(t, "PrivateEndpointConnection_Update.json", "200", upd)
	after := e.must(http.StatusOK, "GET", pe, netAPI, nil)
	if s := arm.DigString(after, "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Approved" {
		t.Errorf("endpoint state after approval = %s", s)
	}
	e.fails(http.StatusBadRequest, "CannotChangePrivateEndpointConnectionStatusToPending", "cannot be set back to Pending", "PUT", connID, api,
		map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Pending"}}})

	// One Arc scope per VNet.
	other := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/other"
	e.must(http.StatusCreated, "PUT", other, api, map[string]any{"location": "westus"})
	pe2 := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe2"
	e.fails(http.StatusBadRequest, "OnlyOneArcPrivateLinkScopePerVirtualNetwork", "one Arc private link scope per VNet", "PUT", pe2, netAPI, endpointBody(subnet, other, false))
	// The same scope twice on one VNet is fine; automatic connections in
	// the scope's subscription are approved.
	got2 := e.must(http.StatusCreated, "PUT", pe2, netAPI, endpointBody(subnet, scopeID, false))
	if s := arm.DigString(got2, "properties", "privateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Approved" {
		t.Errorf("automatic connection state = %s", s)
	}
	// Another VNet takes the other scope.
	e.must(http.StatusCreated, "PUT", "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe3", netAPI,
		endpointBody(e.clientVNet("client2", "10.2.0.0"), other, false))

	// The owner removes a connection: the endpoint is Disconnected.
	e.must(http.StatusOK, "DELETE", connID, api, nil)
	after = e.must(http.StatusOK, "GET", pe, netAPI, nil)
	if s := arm.DigString(after, "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Disconnected" {
		t.Errorf("endpoint state after removal = %s", s)
	}
	// Deleting an endpoint removes its owner-side connection.
	e.must(http.StatusAccepted, "DELETE", pe2, netAPI, nil)
	if n := len(e.must(http.StatusOK, "GET", scopeID+"/privateEndpointConnections", api, nil)["value"].([]any)); n != 0 {
		t.Errorf("connections left on the scope: %d", n)
	}
}

func TestZoneGroupRecords(t *testing.T) {
	e := start(t)
	e.must(http.StatusCreated, "PUT", scopeID, api, map[string]any{"location": "westus"})
	e.serviceInfra("westus")
	subnet := e.clientVNet("client", "10.1.0.0")
	pe := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe1"
	got := e.must(http.StatusCreated, "PUT", pe, netAPI, endpointBody(subnet, scopeID, false))
	addr := map[string]string{}
	for _, d := range arm.Dig(got, "properties", "customDnsConfigs").([]any) {
		addr[arm.DigString(d, "fqdn")] = arm.DigString(d, "ipAddresses", 0)
	}
	var configs []any
	for _, z := range RequiredZoneNames {
		e.must(http.StatusCreated, "PUT", "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"+z, "2020-06-01", map[string]any{"location": "global"})
		configs = append(configs, map[string]any{"name": z, "properties": map[string]any{
			"privateDnsZoneId": "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/" + z}})
	}
	e.must(http.StatusCreated, "PUT", pe+"/privateDnsZoneGroups/default", netAPI, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": configs}})
	for fqdn, ip := range addr {
		pl := PrivateLinkName(fqdn)
		var zone, name string
		for _, z := range RequiredZoneNames {
			if pl == z {
				zone, name = z, "@"
			} else if strings.HasSuffix(pl, "."+z) {
				zone, name = z, strings.TrimSuffix(pl, "."+z)
			}
		}
		rs := e.must(http.StatusOK, "GET", "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"+zone+"/A/"+name, "2020-06-01", nil)
		if got := arm.DigString(rs, "properties", "aRecords", 0, "ipv4Address"); got != ip {
			t.Errorf("%s: record %s in %s = %s, want %s", fqdn, name, zone, got, ip)
		}
	}
}

func TestScopeInUse(t *testing.T) {
	e := start(t)
	e.must(http.StatusCreated, "PUT", scopeID, api, map[string]any{"location": "westus"})
	e.fails(http.StatusBadRequest, "InvalidResourceName", "is invalid", "PUT",
		"/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/-bad", api, map[string]any{"location": "westus"})
	e.must(http.StatusOK, "DELETE", scopeID, api, nil)
}
