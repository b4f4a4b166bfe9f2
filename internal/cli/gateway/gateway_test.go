package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/gateway"
)

const gwPath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw"

// echo answers PUTs with the body (as a service that accepted it) and GETs
// with what was stored.
func echo(f *clitest.Fake, path string, store *map[string]any) {
	f.Handle(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"] = r.URL.Path
		*store = m
		clitest.WriteJSON(w, http.StatusOK, m)
	})
	f.Handle(http.MethodGet, path, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		if *store == nil {
			clitest.WriteJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "ResourceNotFound", "message": "not found"}})
			return
		}
		clitest.WriteJSON(w, http.StatusOK, *store)
	})
}

func TestVnetGatewayCreateBody(t *testing.T) {
	f := clitest.New(t)
	var stored map[string]any
	echo(f, gwPath, &stored)
	res := f.Run(gateway.Groups(), "network", "vnet-gateway", "create", "-g", "rg", "-n", "gw", "-l", "eastus", "--vnet", "hub",
		"--public-ip-addresses", "pip1", "pip2", "--gateway-type", "vpn", "--sku", "vpngw1az", "--asn", "65010")
	res.Expect(t, 0)
	req := f.Last("PUT")
	if req.APIVersion() != "2022-01-01" {
		t.Fatalf("api-version %s", req.APIVersion())
	}
	p := req.JSON()["properties"].(map[string]any)
	ics := p["ipConfigurations"].([]any)
	ic1 := ics[1].(map[string]any)
	if len(ics) != 2 || ic1["name"] != "vnetGatewayConfig1" || p["activeActive"] != true || p["gatewayType"] != "Vpn" ||
		p["sku"].(map[string]any)["name"] != "VpnGw1AZ" || p["enableBgp"] != true || p["bgpSettings"].(map[string]any)["asn"] != 65010.0 ||
		!strings.HasSuffix(ic1["properties"].(map[string]any)["subnet"].(map[string]any)["id"].(string), "/virtualNetworks/hub/subnets/GatewaySubnet") ||
		!strings.HasSuffix(ic1["properties"].(map[string]any)["publicIPAddress"].(map[string]any)["id"].(string), "/publicIPAddresses/pip2") {
		t.Fatalf("body: %v", p)
	}
	out := res.Object(t)
	if _, ok := out["vnetGateway"].(map[string]any)["ipConfigurations"]; !ok {
		t.Fatalf("output: %v", out)
	}
	// Three public IPs is an error; --no-wait prints nothing.
	f.Run(gateway.Groups(), "network", "vnet-gateway", "create", "-g", "rg", "-n", "gw", "-l", "eastus", "--vnet", "hub",
		"--public-ip-addresses", "a", "b", "c").Expect(t, 1)
	res = f.Run(gateway.Groups(), "network", "vnet-gateway", "create", "-g", "rg", "-n", "gw", "-l", "eastus", "--vnet", "hub",
		"--public-ip-address", "pip1", "--no-wait")
	res.Expect(t, 0)
	if res.Stdout != "" {
		t.Fatalf("--no-wait printed %q", res.Stdout)
	}
	if p := f.Last("PUT").JSON()["properties"].(map[string]any); p["sku"].(map[string]any)["name"] != "Basic" || p["activeActive"] != false || p["bgpSettings"] != nil {
		t.Fatalf("defaults: %v", p)
	}
}

func TestVpnConnectionCreateBody(t *testing.T) {
	f := clitest.New(t)
	var stored map[string]any
	echo(f, "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/connections/c", &stored)
	res := f.Run(gateway.Groups(), "network", "vpn-connection", "create", "-g", "rg", "-n", "c", "-l", "eastus",
		"--vnet-gateway1", "gw", "--local-gateway2", "onprem", "--shared-key", "Abc123")
	res.Expect(t, 0)
	p := f.Last("PUT").JSON()["properties"].(map[string]any)
	if p["connectionType"] != "IPsec" || p["sharedKey"] != "Abc123" || p["routingWeight"] != 10.0 || p["enableBgp"] != false ||
		!strings.HasSuffix(p["localNetworkGateway2"].(map[string]any)["id"].(string), "/localNetworkGateways/onprem") {
		t.Fatalf("body: %v", p)
	}
	if out := res.Object(t); out["resource"].(map[string]any)["connectionType"] != "IPsec" {
		t.Fatalf("output: %v", out)
	}
	// Exactly one destination.
	res = f.Run(gateway.Groups(), "network", "vpn-connection", "create", "-g", "rg", "-n", "c", "-l", "eastus",
		"--vnet-gateway1", "gw", "--local-gateway2", "onprem", "--vnet-gateway2", "gw2")
	res.Expect(t, 2)
	if !strings.Contains(res.Stderr, "usage error: --vnet-gateway2 NAME_OR_ID | --local-gateway2 NAME_OR_ID | --express-route-circuit2 NAME_OR_ID") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
}

func TestExpressRouteCreateBody(t *testing.T) {
	f := clitest.New(t)
	var stored map[string]any
	echo(f, "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/expressRouteCircuits/er", &stored)
	f.Run(gateway.Groups(), "network", "express-route", "create", "-g", "rg", "-n", "er", "-l", "eastus",
		"--bandwidth", "1", "Gbps", "--peering-location", "Silicon Valley", "--provider", "Equinix", "--sku-tier", "premium").Expect(t, 0)
	b := f.Last("PUT").JSON()
	sp := b["properties"].(map[string]any)["serviceProviderProperties"].(map[string]any)
	if sp["bandwidthInMbps"] != 1000.0 || sp["peeringLocation"] != "Silicon Valley" || sp["serviceProviderName"] != "Equinix" ||
		b["sku"].(map[string]any)["name"] != "Premium_MeteredData" {
		t.Fatalf("body: %v", b)
	}
	f.Run(gateway.Groups(), "network", "express-route", "create", "-g", "rg", "-n", "er", "-l", "eastus",
		"--bandwidth", "fast", "--peering-location", "x", "--provider", "y").Expect(t, 2)
}
