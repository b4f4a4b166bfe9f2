package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
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
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, Provider{})
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

// vnet creates 10.N.0.0/16 with subnets default (10.N.0.0/24) and
// GatewaySubnet (gwPrefix, e.g. 10.N.255.0/27; none when "").
func (e *env) vnet(sub, rg, name, n, gwPrefix string) string {
	e.t.Helper()
	subnets := []any{map[string]any{"name": "default", "properties": map[string]any{"addressPrefix": "10." + n + ".0.0/24"}}}
	if gwPrefix != "" {
		subnets = append(subnets, map[string]any{"name": "GatewaySubnet", "properties": map[string]any{"addressPrefix": gwPrefix}})
	}
	p := netPath(sub, rg, "virtualNetworks", name)
	e.must(http.StatusCreated, http.MethodPut, p, map[string]any{"location": loc, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10." + n + ".0.0/16"}}, "subnets": subnets}})
	return p
}

// pip creates a public IP of sku (Standard: Static).
func (e *env) pip(sub, rg, name, sku string) string {
	e.t.Helper()
	p := netPath(sub, rg, "publicIPAddresses", name)
	alloc := "Dynamic"
	if sku == "Standard" {
		alloc = "Static"
	}
	e.must(http.StatusCreated, http.MethodPut, p, map[string]any{"location": loc, "sku": map[string]any{"name": sku},
		"properties": map[string]any{"publicIPAllocationMethod": alloc}})
	return p
}

func gwBody(gwType, sku, subnet string, pips ...string) map[string]any {
	var ics []any
	for i, p := range pips {
		ic := map[string]any{"privateIPAllocationMethod": "Dynamic", "subnet": map[string]any{"id": subnet}}
		if p != "" {
			ic["publicIPAddress"] = map[string]any{"id": p}
		}
		ics = append(ics, map[string]any{"name": "ipconfig" + string(rune('0'+i)), "properties": ic})
	}
	return map[string]any{"location": loc, "properties": map[string]any{
		"gatewayType": gwType, "vpnType": "RouteBased", "sku": map[string]any{"name": sku, "tier": sku},
		"activeActive": len(pips) == 2, "ipConfigurations": ics}}
}

func localBody(ip string, prefixes ...string) map[string]any {
	return map[string]any{"location": loc, "properties": map[string]any{
		"gatewayIpAddress": ip, "localNetworkAddressSpace": map[string]any{"addressPrefixes": prefixes}}}
}

func ipsecBody(gw, lgw, key string) map[string]any {
	p := map[string]any{"connectionType": "IPsec",
		"virtualNetworkGateway1": map[string]any{"id": gw}, "localNetworkGateway2": map[string]any{"id": lgw}}
	if key != "" {
		p["sharedKey"] = key
	}
	return map[string]any{"location": loc, "properties": p}
}

// dig walks a decoded JSON value: keys for objects, ints for arrays.
func dig(v any, path ...any) any { return arm.Dig(v, path...) }

func str(v any, path ...any) string { s, _ := dig(v, path...).(string); return s }

func (e *env) record(id string) *arm.Record {
	e.t.Helper()
	rec, err := e.Platform.Engine.GetRecord(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// hub is a resource group with VNet "hub" (10.1.0.0/16, GatewaySubnet
// 10.1.255.0/27), a Standard public IP "gwpip", a VPN gateway "vpngw"
// (VpnGw1) and a local network gateway "onprem" (192.168.0.0/16).
type hub struct {
	*env
	vnet, subnet, pip, gw, lgw string
}

func newHub(t *testing.T) *hub {
	e := start(t)
	h := &hub{env: e}
	e.group(sub1, "rg")
	h.vnet = e.vnet(sub1, "rg", "hub", "1", "10.1.255.0/27")
	h.subnet = h.vnet + "/subnets/GatewaySubnet"
	h.pip = e.pip(sub1, "rg", "gwpip", "Standard")
	h.gw = netPath(sub1, "rg", "virtualNetworkGateways", "vpngw")
	e.must(http.StatusCreated, http.MethodPut, h.gw, gwBody("Vpn", "VpnGw1", h.subnet, h.pip))
	h.lgw = netPath(sub1, "rg", "localNetworkGateways", "onprem")
	e.must(http.StatusCreated, http.MethodPut, h.lgw, localBody("203.0.113.5", "192.168.0.0/16"))
	return h
}
