package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/gateway"
	provider "github.com/privlink/privlink/internal/providers/gateway"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

// The end-to-end test runs the commands against the real ARM engine with
// the real resources, network and gateway providers.

const tokenPath = "/organizations/oauth2/v2.0/token"

type tokenTransport struct{ base http.RoundTripper }

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == tokenPath {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_ = req.Body.Close()
		}
		return &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"access_token":"e2e","token_type":"Bearer","expires_in":3600}`)),
		}, nil
	}
	return t.base.RoundTrip(req)
}

type daemon struct {
	*armtest.Server
	t       *testing.T
	dataDir string
}

func (d *daemon) run(args ...string) clitest.Result {
	d.t.Helper()
	env := map[string]string{core.EnvEndpoint: d.URL, core.EnvDataDir: d.dataDir}
	r := &core.Runner{
		Tree:       core.NewTree(gateway.Groups()...),
		Getenv:     func(k string) string { return env[k] },
		HTTPClient: &http.Client{Transport: tokenTransport{base: d.Transport()}},
		Sleep: func(ctx context.Context, _ time.Duration) error {
			tm := time.NewTimer(10 * time.Millisecond)
			defer tm.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tm.C:
				return nil
			}
		},
	}
	var out, errb bytes.Buffer
	code := r.Run(context.Background(), args, core.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// put writes a resource through the ARM API (what other command packages
// would do) and waits for it.
func (d *daemon) put(path, apiVersion string, body any) {
	d.t.Helper()
	r := d.Do(http.MethodPut, path, apiVersion, body)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		d.t.Fatalf("PUT %s: %d %s", path, r.Status, r.Body)
	}
	if st := d.Wait(r); st != "" && st != "Succeeded" {
		d.t.Fatalf("PUT %s: %s", path, st)
	}
}

func armError(t *testing.T, res clitest.Result, code, msgPart string) {
	t.Helper()
	if res.Code != 1 || !strings.HasPrefix(res.Stderr, "ERROR: ("+code+") ") || !strings.Contains(res.Stderr, msgPart) {
		t.Fatalf("exit %d stderr = %q, want (%s) ... %q", res.Code, res.Stderr, code, msgPart)
	}
}

func str(v any, path ...string) string {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func TestEndToEnd(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, provider.Provider{})
	d := &daemon{Server: s, t: t, dataDir: t.TempDir()}
	rg := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"
	d.put(rg, "2021-04-01", map[string]any{"location": "eastus"})
	d.put(rg+"/providers/Microsoft.Network/virtualNetworks/hub", "2022-01-01", map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}},
		"subnets": []any{
			map[string]any{"name": "default", "properties": map[string]any{"addressPrefix": "10.1.0.0/24"}},
			map[string]any{"name": "GatewaySubnet", "properties": map[string]any{"addressPrefix": "10.1.255.0/27"}},
		}}})
	d.put(rg+"/providers/Microsoft.Network/publicIPAddresses/gwpip", "2022-05-01", map[string]any{"location": "eastus",
		"sku": map[string]any{"name": "Standard"}, "properties": map[string]any{"publicIPAllocationMethod": "Static"}})

	out := d.run("network", "vnet-gateway", "create", "-g", "rg", "-n", "gw", "--vnet", "hub", "--public-ip-addresses", "gwpip",
		"--sku", "VpnGw1", "--gateway-type", "Vpn").Expect(t, 0).Object(t)
	gw := out["vnetGateway"].(map[string]any)
	if gw["provisioningState"] != "Succeeded" || str(gw, "bgpSettings", "bgpPeeringAddress") != "10.1.255.30" || gw["resourceGroup"] != "rg" ||
		gw["ipConfigurations"].([]any)[0].(map[string]any)["privateIPAddress"] != "10.1.255.30" {
		t.Fatalf("vnet-gateway create: %v", gw)
	}
	// A second VPN gateway in the VNet is refused with Azure's error.
	armError(t, d.run("network", "vnet-gateway", "create", "-g", "rg", "-n", "gw2", "--vnet", "hub", "--public-ip-addresses", "gwpip", "--sku", "VpnGw1"),
		"PublicIPAddressInUse", "already allocated")

	lg := d.run("network", "local-gateway", "create", "-g", "rg", "-n", "onprem", "--gateway-ip-address", "203.0.113.5",
		"--local-address-prefixes", "192.168.0.0/16", "--asn", "65050", "--bgp-peering-address", "192.168.0.1").Expect(t, 0).Object(t)
	if lg["gatewayIpAddress"] != "203.0.113.5" || str(lg, "bgpSettings", "bgpPeeringAddress") != "192.168.0.1" {
		t.Fatalf("local-gateway create: %v", lg)
	}
	d.run("network", "local-gateway", "create", "-g", "rg", "-n", "two", "--gateway-ip-address", "203.0.113.7",
		"--local-address-prefixes", "172.30.0.0/16", "172.31.0.0/16").Expect(t, 0)
	tbl := d.run("network", "local-gateway", "list", "-g", "rg", "-o", "table").Expect(t, 0).Stdout
	if want := "Name    Location    ResourceGroup    ProvisioningState    GatewayIpAddress    AddressPrefixes\n" +
		"------  ----------  ---------------  -------------------  ------------------  ------------------\n" +
		"onprem  eastus      rg               Succeeded            203.0.113.5         192.168.0.0/16\n" +
		"two     eastus      rg               Succeeded            203.0.113.7         172.30.0.0/16, ...\n"; tbl != want {
		t.Fatalf("local-gateway list -o table:\n%s\nwant:\n%s", tbl, want)
	}
	d.run("network", "local-gateway", "delete", "-g", "rg", "-n", "two").Expect(t, 0)
	armError(t, d.run("network", "local-gateway", "create", "-g", "rg", "-n", "bad", "--gateway-ip-address", "203.0.113.6",
		"--local-address-prefixes", "192.168.0.1/16"), "InvalidCIDRNotation", "192.168.0.0/16")

	conn := d.run("network", "vpn-connection", "create", "-g", "rg", "-n", "s2s", "--vnet-gateway1", "gw", "--local-gateway2", "onprem",
		"--shared-key", "Abc123").Expect(t, 0).Object(t)
	res := conn["resource"].(map[string]any)
	if res["connectionType"] != "IPsec" || res["routingWeight"] != 10.0 || res["connectionStatus"] != "Unknown" || res["sharedKey"] != nil {
		t.Fatalf("vpn-connection create: %v", conn)
	}
	if k := d.run("network", "vpn-connection", "shared-key", "show", "-g", "rg", "--connection-name", "s2s").Expect(t, 0).Object(t); k["value"] != "Abc123" {
		t.Fatalf("shared-key show: %v", k)
	}
	if k := d.run("network", "vpn-connection", "shared-key", "update", "-g", "rg", "--connection-name", "s2s", "--value", "Xyz").Expect(t, 0).Object(t); k["value"] != "Xyz" {
		t.Fatalf("shared-key update: %v", k)
	}
	if k := d.run("network", "vpn-connection", "shared-key", "reset", "-g", "rg", "--connection-name", "s2s", "--key-length", "20").Expect(t, 0).Object(t); k["keyLength"] != 20.0 {
		t.Fatalf("shared-key reset: %v", k)
	}
	if err := provider.SetConnectionStatus(context.Background(), s.Platform.Engine, rg+"/providers/Microsoft.Network/connections/s2s", "Connected"); err != nil {
		t.Fatal(err)
	}
	show := d.run("network", "vpn-connection", "show", "-g", "rg", "-n", "s2s").Expect(t, 0).Object(t)
	if gw1, _ := show["virtualNetworkGateway1"].(map[string]any); show["connectionStatus"] != "Connected" || gw1["properties"] != nil || gw1["id"] == nil {
		t.Fatalf("vpn-connection show: %v", show)
	}
	upd := d.run("network", "vpn-connection", "update", "-g", "rg", "-n", "s2s", "--routing-weight", "3").Expect(t, 0).Object(t)
	if upd["routingWeight"] != 3.0 {
		t.Fatalf("vpn-connection update: %v", upd)
	}
	if l := d.run("network", "vpn-connection", "list", "-g", "rg").Expect(t, 0).List(t); len(l) != 1 {
		t.Fatalf("vpn-connection list: %v", l)
	}
	upg := d.run("network", "vnet-gateway", "update", "-g", "rg", "-n", "gw", "--sku", "VpnGw2").Expect(t, 0).Object(t)
	if str(upg, "sku", "name") != "VpnGw2" {
		t.Fatalf("vnet-gateway update: %v", upg)
	}
	armError(t, d.run("network", "vnet-gateway", "delete", "-g", "rg", "-n", "gw"), "VirtualNetworkGatewayCannotBeDeleted", "s2s")
	d.run("network", "vpn-connection", "delete", "-g", "rg", "-n", "s2s").Expect(t, 0)
	d.run("network", "vnet-gateway", "delete", "-g", "rg", "-n", "gw").Expect(t, 0)
	d.run("network", "vnet-gateway", "show", "-g", "rg", "-n", "gw").Expect(t, 3)

	// ExpressRoute: circuit, provider provisioning, peering, authorization.
	er := d.run("network", "express-route", "create", "-g", "rg", "-n", "er", "--bandwidth", "200", "--peering-location", "Silicon Valley",
		"--provider", "Equinix").Expect(t, 0).Object(t)
	if er["serviceProviderProvisioningState"] != "NotProvisioned" || len(str(er, "serviceKey")) != 36 || str(er, "sku", "name") != "Standard_MeteredData" {
		t.Fatalf("express-route create: %v", er)
	}
	peer := []string{"network", "express-route", "peering", "create", "-g", "rg", "--circuit-name", "er", "--peering-type", "AzurePrivatePeering",
		"--peer-asn", "65001", "--vlan-id", "100", "--primary-peer-subnet", "192.168.16.252/30", "--secondary-peer-subnet", "192.168.18.252/30"}
	armError(t, d.run(peer...), "ExpressRouteCircuitNotProvisioned", "NotProvisioned")
	if err := provider.SetServiceProviderState(context.Background(), s.Platform.Engine, rg+"/providers/Microsoft.Network/expressRouteCircuits/er", "Provisioned"); err != nil {
		t.Fatal(err)
	}
	p := d.run(peer...).Expect(t, 0).Object(t)
	if p["azureASN"] != 12076.0 || p["peeringType"] != "AzurePrivatePeering" || p["state"] != "Enabled" {
		t.Fatalf("peering create: %v", p)
	}
	a := d.run("network", "express-route", "auth", "create", "-g", "rg", "--circuit-name", "er", "-n", "partner").Expect(t, 0).Object(t)
	if a["authorizationUseStatus"] != "Available" || len(str(a, "authorizationKey")) != 36 {
		t.Fatalf("auth create: %v", a)
	}
	c := d.run("network", "express-route", "show", "-g", "rg", "-n", "er").Expect(t, 0).Object(t)
	if len(c["peerings"].([]any)) != 1 || len(c["authorizations"].([]any)) != 1 || c["serviceProviderProvisioningState"] != "Provisioned" ||
		str(c["peerings"].([]any)[0], "peeringType") != "AzurePrivatePeering" {
		t.Fatalf("express-route show: %v", c)
	}
	if l := d.run("network", "express-route", "peering", "list", "-g", "rg", "--circuit-name", "er").Expect(t, 0).List(t); len(l) != 1 {
		t.Fatalf("peering list: %v", l)
	}
	u := d.run("network", "express-route", "update", "-g", "rg", "-n", "er", "--bandwidth", "500").Expect(t, 0).Object(t)
	if str(u, "serviceProviderProperties", "peeringLocation") != "Silicon Valley" || u["serviceProviderProperties"].(map[string]any)["bandwidthInMbps"] != 500.0 {
		t.Fatalf("express-route update: %v", u)
	}
	armError(t, d.run("network", "express-route", "delete", "-g", "rg", "-n", "er"), "CannotDeleteProvisionedExpressRouteCircuit", "Provisioned")
	d.run("network", "express-route", "auth", "delete", "-g", "rg", "--circuit-name", "er", "-n", "partner").Expect(t, 0)
	d.run("network", "express-route", "peering", "delete", "-g", "rg", "--circuit-name", "er", "-n", "AzurePrivatePeering").Expect(t, 0)
}
