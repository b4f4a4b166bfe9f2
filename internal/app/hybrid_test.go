package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/providers/onprem"
)

// TestHybridController runs a daemon in process and checks that the
// controller writes a VPN connection's status as the site's device
// changes, and a circuit's provider state as a site provisions it.
func TestHybridController(t *testing.T) {
	cfg := config.Default()
	cfg.Listen, cfg.SOCKSListen, cfg.HTTPProxyListen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Store = "memory"
	cfg.RegistrationDelay = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Stop(context.Background()) }()
	iss, err := auth.NewIssuer(cfg.DataDir, d.Identity.TenantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newInProcessARM(d.Platform.Server, iss, d.Endpoint(), uuid.NewString(), "hybrid-test")
	if err != nil {
		t.Fatal(err)
	}
	const netAPI = "2024-05-01"
	rg := "/subscriptions/" + d.Identity.SubscriptionID + "/resourceGroups/hybrid"
	net := rg + "/providers/Microsoft.Network/"
	site := rg + "/providers/Privlink.OnPrem/sites/corp"
	put := func(path, api string, body any) map[string]any {
		t.Helper()
		out, err := c.Put(ctx, path, api, body, false)
		if err != nil {
			t.Fatalf("PUT %s: %v", path, err)
		}
		m, _ := out.(map[string]any)
		return m
	}
	prop := func(path, api, name string) any {
		t.Helper()
		m, err := c.GetObject(ctx, path, api, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		p, _ := m["properties"].(map[string]any)
		return p[name]
	}
	waitFor := func(path, api, name, want string) {
		t.Helper()
		var got any
		for range 200 {
			if got = prop(path, api, name); got == want {
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("%s of %s = %v, want %s", name, path, got, want)
	}
	device := func(key string) map[string]any {
		gwIP := prop(net+"publicIPAddresses/gw-ip", netAPI, "ipAddress")
		return map[string]any{"location": "eastus", "properties": map[string]any{"addressPrefixes": []string{"192.168.0.0/16"},
			"vpnDevices": []any{map[string]any{"name": "edge1", "remoteGatewayIpAddress": gwIP, "sharedKey": key}}}}
	}

	put(rg, "2021-04-01", map[string]any{"location": "eastus"})
	put(net+"virtualNetworks/hub", netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}},
		"subnets":      []any{map[string]any{"name": "GatewaySubnet", "properties": map[string]any{"addressPrefix": "10.1.255.0/27"}}}}})
	put(net+"publicIPAddresses/gw-ip", netAPI, map[string]any{"location": "eastus", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static"}})
	put(net+"virtualNetworkGateways/gw", netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"gatewayType": "Vpn", "vpnType": "RouteBased", "sku": map[string]any{"name": "VpnGw1", "tier": "VpnGw1"},
		"ipConfigurations": []any{map[string]any{"name": "default", "properties": map[string]any{
			"publicIPAddress": map[string]any{"id": net + "publicIPAddresses/gw-ip"},
			"subnet":          map[string]any{"id": net + "virtualNetworks/hub/subnets/GatewaySubnet"}}}}}})
	edge := put(site, onprem.APIVersion, device("wrong"))["properties"].(map[string]any)["edgePublicIpAddress"]
	put(net+"localNetworkGateways/lng", netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"gatewayIpAddress": edge, "localNetworkAddressSpace": map[string]any{"addressPrefixes": []string{"192.168.0.0/16"}}}})
	put(net+"connections/to-corp", netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"connectionType": "IPsec", "sharedKey": "right",
		"virtualNetworkGateway1": map[string]any{"id": net + "virtualNetworkGateways/gw"},
		"localNetworkGateway2":   map[string]any{"id": net + "localNetworkGateways/lng"}}})
	waitFor(net+"connections/to-corp", netAPI, "connectionStatus", "NotConnected")
	put(site, onprem.APIVersion, device("right"))
	waitFor(net+"connections/to-corp", netAPI, "connectionStatus", "Connected")

	put(net+"expressRouteCircuits/er", netAPI, map[string]any{"location": "eastus",
		"sku":        map[string]any{"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
		"properties": map[string]any{"serviceProviderProperties": map[string]any{"serviceProviderName": "Equinix", "peeringLocation": "Silicon Valley", "bandwidthInMbps": 200}}})
	key := prop(net+"expressRouteCircuits/er", netAPI, "serviceKey")
	waitFor(net+"expressRouteCircuits/er", netAPI, "serviceProviderProvisioningState", "NotProvisioned")
	body := device("right")
	body["properties"].(map[string]any)["expressRoute"] = []any{map[string]any{"circuitServiceKey": key, "provisioned": true}}
	put(site, onprem.APIVersion, body)
	waitFor(net+"expressRouteCircuits/er", netAPI, "serviceProviderProvisioningState", "Provisioned")
	put(site, onprem.APIVersion, device("right"))
	waitFor(net+"expressRouteCircuits/er", netAPI, "serviceProviderProvisioningState", "NotProvisioned")
}
