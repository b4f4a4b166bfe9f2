package privatelink

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const base = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/"

func echo(f *clitest.Fake, path string) {
	f.Handle("PUT", path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		m := map[string]any{}
		_ = json.Unmarshal(body, &m)
		m["id"] = r.URL.Path
		m["name"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if m["properties"] == nil {
			m["properties"] = map[string]any{}
		}
		m["properties"].(map[string]any)["provisioningState"] = "Succeeded"
		clitest.WriteJSON(w, 201, m)
	})
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	_ = json.Unmarshal(b, &g)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s =\n%s\nwant\n%s", what, b, want)
	}
}

func TestPLSCreate(t *testing.T) {
	f := clitest.New(t)
	echo(f, base+"privateLinkServices/pls")
	res := f.Run(Groups(), "network", "private-link-service", "create", "-g", "rg", "-n", "pls", "-l", "eastus",
		"--vnet-name", "vnet", "--subnet", "nat", "--lb-name", "lb", "--lb-frontend-ip-configs", "fe",
		"--private-ip-address", "10.0.1.10", "--visibility", "s1", "s2", "--auto-approval", "s1", "--fqdns", "a.example",
		"--enable-proxy-protocol").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != APIVersion {
		t.Errorf("api-version %s", put.APIVersion())
	}
	sub := clitest.SubscriptionID
	jsonEqual(t, "body", put.JSON(), `{"location":"eastus","properties":{
		"loadBalancerFrontendIpConfigurations":[{"id":"/subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe"}],
		"ipConfigurations":[{"name":"pls_ipconfig_0","properties":{"privateIPAddress":"10.0.1.10","privateIPAddressVersion":"IPv4","primary":true,
			"subnet":{"id":"/subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nat"}}}],
		"visibility":{"subscriptions":["s1","s2"]},"autoApproval":{"subscriptions":["s1"]},"fqdns":["a.example"],"enableProxyProtocol":true}}`)
	if o := res.Object(t); o["provisioningState"] != "Succeeded" || o["fqdns"] == nil {
		t.Errorf("output not flattened: %v", o)
	}
	// Frontend names without --lb-name is a usage error.
	f.Run(Groups(), "network", "private-link-service", "create", "-g", "rg", "-n", "pls", "-l", "eastus",
		"--vnet-name", "vnet", "--subnet", "nat", "--lb-frontend-ip-configs", "fe").Expect(t, 2)
}

func TestEndpointCreate(t *testing.T) {
	f := clitest.New(t)
	echo(f, base+"privateEndpoints/pe")
	f.Run(Groups(), "network", "private-endpoint", "create", "-g", "rg", "-n", "pe", "-l", "eastus",
		"--subnet", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe",
		"--private-connection-resource-id", "pls.0000.eastus.azure.privatelinkservice", "--connection-name", "c",
		"--manual-request", "--request-message", "hi", "--nic-name", "pe-nic",
		"--ip-config", "name=s", "group-id=", "member-name=", "private-ip-address=10.0.2.9").Expect(t, 0)
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"location":"eastus","properties":{
		"subnet":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"},
		"manualPrivateLinkServiceConnections":[{"name":"c","properties":{"privateLinkServiceId":"pls.0000.eastus.azure.privatelinkservice","requestMessage":"hi"}}],
		"customNetworkInterfaceName":"pe-nic",
		"ipConfigurations":[{"name":"s","properties":{"groupId":"","memberName":"","privateIPAddress":"10.0.2.9"}}]}}`)
}

func TestConnectionApprove(t *testing.T) {
	f := clitest.New(t)
	conn := base + "privateLinkServices/pls/privateEndpointConnections/pe.1"
	f.JSON("GET", conn, 200, map[string]any{"name": "pe.1", "id": "x", "properties": map[string]any{
		"privateEndpoint":                   map[string]any{"id": "/pe"},
		"privateLinkServiceConnectionState": map[string]any{"status": "Pending", "description": "Awaiting approval", "actionsRequired": "None"},
	}})
	echo(f, conn)
	res := f.Run(Groups(), "network", "private-endpoint-connection", "approve", "-g", "rg", "--resource-name", "pls", "-n", "pe.1",
		"--type", "Microsoft.Network/privateLinkServices", "--description", "ok").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != ConnectionAPIVersion {
		t.Errorf("api-version %s", put.APIVersion())
	}
	jsonEqual(t, "body", put.JSON(), `{"name":"pe.1","properties":{"privateEndpoint":{"id":"/pe"},
		"privateLinkServiceConnectionState":{"status":"Approved","description":"ok","actionsRequired":"None"}}}`)
	if res.Object(t)["privateLinkServiceConnectionState"] == nil {
		t.Errorf("output %v", res.Object(t))
	}
	// An unsupported --type is refused by argparse.
	f.Run(Groups(), "network", "private-endpoint-connection", "approve", "-g", "rg", "--resource-name", "pls", "-n", "pe.1",
		"--type", "Microsoft.Storage/storageAccounts").Expect(t, 2)
}

func TestZoneGroupAddRemove(t *testing.T) {
	f := clitest.New(t)
	g := base + "privateEndpoints/pe/privateDnsZoneGroups/default"
	f.JSON("GET", g, 200, map[string]any{"name": "default", "properties": map[string]any{"privateDnsZoneConfigs": []any{
		map[string]any{"name": "z1", "properties": map[string]any{"privateDnsZoneId": "/z1", "recordSets": []any{}}}}}})
	echo(f, g)
	f.Run(Groups(), "network", "private-endpoint", "dns-zone-group", "add", "-g", "rg", "--endpoint-name", "pe", "-n", "default",
		"--private-dns-zone", "contoso.internal", "--zone-name", "z2").Expect(t, 0)
	sub := clitest.SubscriptionID
	jsonEqual(t, "add body", f.Last("PUT").JSON(), `{"properties":{"privateDnsZoneConfigs":[{"name":"z1","properties":{"privateDnsZoneId":"/z1"}},
		{"name":"z2","properties":{"privateDnsZoneId":"/subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/contoso.internal"}}]}}`)
	f.Run(Groups(), "network", "private-endpoint", "dns-zone-group", "remove", "-g", "rg", "--endpoint-name", "pe", "-n", "default",
		"--zone-name", "z1").Expect(t, 0)
	jsonEqual(t, "remove body", f.Last("PUT").JSON(), `{"properties":{"privateDnsZoneConfigs":[]}}`)
}
