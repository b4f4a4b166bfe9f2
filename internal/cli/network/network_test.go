package network

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sub = clitest.SubscriptionID

const rgPath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/"

// echo answers a PUT with its body plus id/name and a terminal state.
func echo(f *clitest.Fake, path string) {
	f.Handle("PUT", path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if m == nil {
			m = map[string]any{}
		}
		m["id"] = r.URL.Path
		m["name"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		props, _ := m["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			m["properties"] = props
		}
		props["provisioningState"] = "Succeeded"
		clitest.WriteJSON(w, 201, m)
	})
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	g, _ := json.Marshal(got)
	var gv any
	_ = json.Unmarshal(g, &gv)
	if !reflect.DeepEqual(gv, w) {
		t.Errorf("%s =\n%s\nwant\n%s", what, g, want)
	}
}

func TestVNetCreateRequest(t *testing.T) {
	f := clitest.New(t)
	echo(f, rgPath+"virtualNetworks/vnet1")
	res := f.Run(Groups(), "network", "vnet", "create", "-n", "vnet1", "-g", "rg", "-l", "westus2", "--address-prefixes", "172.19.0.0/16").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2022-01-01" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	jsonEqual(t, "body", put.JSON(), `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["172.19.0.0/16"]},"enableDdosProtection":false,"enableVmProtection":false}}`)
	out := res.Object(t)
	if _, ok := out["newVNet"].(map[string]any); !ok || len(out) != 1 {
		t.Errorf("output = %s", res.Stdout)
	}

	// defaults: 10.0.0.0/16, location of the resource group, a /24 subnet
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, map[string]any{"name": "rg", "location": "eastus"})
	f.Run(Groups(), "network", "vnet", "create", "-n", "vnet1", "-g", "rg", "--subnet-name", "s1", "--nsg", "nsg1",
		"--dns-servers", "10.0.0.4", "--tags", "a=b", "--ddos-protection", "--flowtimeout", "10").Expect(t, 0)
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"location":"eastus","tags":{"a":"b"},"properties":{
		"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"enableDdosProtection":true,"enableVmProtection":false,
		"dhcpOptions":{"dnsServers":["10.0.0.4"]},"flowTimeoutInMinutes":10,
		"subnets":[{"name":"s1","properties":{"addressPrefix":"10.0.0.0/24","networkSecurityGroup":{"id":"/subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1"}}}]}}`)

	// --address-prefix is argparse's abbreviation of --address-prefixes;
	// --subnet-prefixes with two values becomes addressPrefixes.
	f.Run(Groups(), "network", "vnet", "create", "-n", "vnet1", "-g", "rg", "-l", "westus", "--address-prefix", "10.1.0.0/16",
		"--subnet-name", "s1", "--subnet-prefixes", "10.1.0.0/24", "10.1.1.0/24").Expect(t, 0)
	jsonEqual(t, "subnets", f.Last("PUT").JSON()["properties"].(map[string]any)["subnets"],
		`[{"name":"s1","properties":{"addressPrefixes":["10.1.0.0/24","10.1.1.0/24"]}}]`)

	// --no-wait prints nothing
	res = f.Run(Groups(), "network", "vnet", "create", "-n", "vnet1", "-g", "rg", "-l", "westus", "--no-wait").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("--no-wait printed %q", res.Stdout)
	}
}

func TestSubnetCreateRequest(t *testing.T) {
	f := clitest.New(t)
	p := rgPath + "virtualNetworks/vnet1/subnets/s1"
	echo(f, p)
	res := f.Run(Groups(), "network", "vnet", "subnet", "create", "-g", "rg", "--vnet-name", "vnet1", "--name", "s1",
		"--delegations", "Microsoft.ContainerService/managedClusters", "--address-prefixes", "172.19.0.0/28").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2022-01-01" || !strings.HasSuffix(put.Path, "/virtualNetworks/vnet1/subnets/s1") {
		t.Errorf("PUT %s api-version %s", put.Path, put.APIVersion())
	}
	jsonEqual(t, "body", put.JSON(), `{"name":"s1","properties":{"addressPrefix":"172.19.0.0/28",
		"delegations":[{"name":"0","properties":{"serviceName":"Microsoft.ContainerService/managedClusters"}}]}}`)
	out := res.Object(t)
	if out["addressPrefix"] != "172.19.0.0/28" || out["resourceGroup"] != "rg" {
		t.Errorf("output = %s", res.Stdout)
	}

	nsgID := "/subscriptions/" + sub + "/resourceGroups/other/providers/Microsoft.Network/networkSecurityGroups/nsg2"
	f.Run(Groups(), "network", "vnet", "subnet", "create", "-g", "rg", "--vnet-name", "vnet1", "-n", "s1",
		"--address-prefixes", "10.0.0.0/24", "10.0.1.0/24", "--network-security-group", nsgID, "--route-table", "rt1",
		"--nat-gateway", "ng1", "--service-endpoints", "Microsoft.Storage", "--delegations", "Microsoft.Sql.servers", "Microsoft.Web/serverFarms",
		"--disable-private-endpoint-network-policies", "false", "--disable-private-link-service-network-policies").Expect(t, 0)
	rp := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/"
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"name":"s1","properties":{
		"addressPrefixes":["10.0.0.0/24","10.0.1.0/24"],
		"networkSecurityGroup":{"id":"`+nsgID+`"},
		"routeTable":{"id":"`+rp+`routeTables/rt1"},
		"natGateway":{"id":"`+rp+`natGateways/ng1"},
		"serviceEndpoints":[{"service":"Microsoft.Storage"}],
		"delegations":[{"name":"0","properties":{"serviceName":"Microsoft.Sql/servers"}},{"name":"1","properties":{"serviceName":"Microsoft.Web/serverFarms"}}],
		"privateEndpointNetworkPolicies":"Enabled","privateLinkServiceNetworkPolicies":"Disabled"}}`)

	// later az versions' explicit policy options
	f.Run(Groups(), "network", "vnet", "subnet", "create", "-g", "rg", "--vnet-name", "vnet1", "-n", "s1",
		"--address-prefixes", "10.0.0.0/24", "--private-endpoint-network-policies", "networksecuritygroupenabled").Expect(t, 0)
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"name":"s1","properties":{"addressPrefix":"10.0.0.0/24","privateEndpointNetworkPolicies":"NetworkSecurityGroupEnabled"}}`)

	res = f.Run(Groups(), "network", "vnet", "subnet", "create", "-g", "rg", "-n", "s1")
	res.Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --vnet-name") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestSubnetUpdateDetach(t *testing.T) {
	f := clitest.New(t)
	p := rgPath + "virtualNetworks/vnet1/subnets/s1"
	nsg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1"
	f.JSON("GET", p, 200, map[string]any{
		"id": "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1", "name": "s1",
		"etag": "W/\"1\"", "type": "Microsoft.Network/virtualNetworks/subnets",
		"properties": map[string]any{"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": map[string]any{"id": nsg},
			"provisioningState": "Succeeded", "delegations": []any{}},
	})
	echo(f, p)
	res := f.Run(Groups(), "network", "vnet", "subnet", "update", "-g", "rg", "--vnet-name", "vnet1", "-n", "s1", "--nsg", "").Expect(t, 0)
	if !strings.Contains(res.Stderr, `WARNING: It's recommended to detach it by null, empty string ("") will be deprecated.`) {
		t.Errorf("stderr = %s", res.Stderr)
	}
	body := f.Last("PUT").JSON()
	props := body["properties"].(map[string]any)
	if _, has := props["networkSecurityGroup"]; has || props["addressPrefix"] != "10.0.0.0/24" || body["name"] != "s1" {
		t.Errorf("body = %v", body)
	}
	f.Run(Groups(), "network", "vnet", "subnet", "update", "-g", "rg", "--vnet-name", "vnet1", "-n", "s1",
		"--address-prefixes", "10.0.0.0/23", "--set", "privateEndpointNetworkPolicies=Enabled").Expect(t, 0)
	props = f.Last("PUT").JSON()["properties"].(map[string]any)
	if props["addressPrefix"] != "10.0.0.0/23" || props["privateEndpointNetworkPolicies"] != "Enabled" || props["networkSecurityGroup"] == nil {
		t.Errorf("props = %v", props)
	}
}

func TestPeeringCreateRequest(t *testing.T) {
	f := clitest.New(t)
	echo(f, rgPath+"virtualNetworks/hub/virtualNetworkPeerings/p1")
	f.Run(Groups(), "network", "vnet", "peering", "create", "-g", "rg", "-n", "p1", "--vnet-name", "hub", "--remote-vnet", "spoke").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2022-01-01" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	jsonEqual(t, "body", put.JSON(), `{"name":"p1","properties":{"allowForwardedTraffic":false,"allowGatewayTransit":false,
		"allowVirtualNetworkAccess":false,"useRemoteGateways":false,
		"remoteVirtualNetwork":{"id":"/subscriptions/`+sub+`/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/spoke"}}}`)
	remote := "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/r2/providers/Microsoft.Network/virtualNetworks/far"
	f.Run(Groups(), "network", "vnet", "peering", "create", "-g", "rg", "-n", "p1", "--vnet-name", "hub", "--remote-vnet", remote,
		"--allow-vnet-access", "--allow-forwarded-traffic", "true", "--use-remote-gateways", "false", "--allow-gateway-transit").Expect(t, 0)
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"name":"p1","properties":{"allowForwardedTraffic":true,"allowGatewayTransit":true,
		"allowVirtualNetworkAccess":true,"useRemoteGateways":false,"remoteVirtualNetwork":{"id":"`+remote+`"}}}`)
}

func TestPublicIPCreateRequest(t *testing.T) {
	f := clitest.New(t)
	echo(f, rgPath+"publicIPAddresses/pip1")
	res := f.Run(Groups(), "network", "public-ip", "create", "-g", "rg", "-n", "pip1", "-l", "westus2").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2022-05-01" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	jsonEqual(t, "body", put.JSON(), `{"location":"westus2","properties":{"idleTimeoutInMinutes":4,"publicIPAddressVersion":"IPv4","publicIPAllocationMethod":"Dynamic"}}`)
	if res.Stderr != "WARNING: Please note that the default public IP used for creation will be changed from Basic to Standard in the future.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	if _, ok := res.Object(t)["publicIp"].(map[string]any); !ok {
		t.Errorf("output = %s", res.Stdout)
	}
	res = f.Run(Groups(), "network", "public-ip", "create", "-g", "rg", "-n", "pip1", "-l", "westus2", "--sku", "standard",
		"--zone", "1", "2", "--dns-name", "label", "--version", "ipv6", "--tier", "Global", "--ip-tags", "FirstPartyUsage=/Sql", "--idle-timeout", "10").Expect(t, 0)
	if res.Stderr != "" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{"location":"westus2","sku":{"name":"Standard","tier":"Global"},"zones":["1","2"],
		"properties":{"idleTimeoutInMinutes":10,"publicIPAddressVersion":"IPv6","publicIPAllocationMethod":"Static",
		"dnsSettings":{"domainNameLabel":"label"},"ipTags":[{"ipTagType":"FirstPartyUsage","tag":"/Sql"}]}}`)
	res = f.Run(Groups(), "network", "public-ip", "create", "-g", "rg", "-n", "pip1", "-l", "westus2", "--sku", "Premium")
	res.Expect(t, 2)
	if !strings.Contains(res.Stderr, "argument --sku: invalid choice: 'Premium'") && !strings.Contains(res.Stderr, "--sku") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestNICCreateRequest(t *testing.T) {
	f := clitest.New(t)
	echo(f, rgPath+"networkInterfaces/nic1")
	res := f.Run(Groups(), "network", "nic", "create", "-g", "rg", "-n", "nic1", "-l", "westus2", "--vnet-name", "vnet1", "--subnet", "s1",
		"--private-ip-address", "10.0.0.9", "--public-ip-address", "pip1", "--network-security-group", "nsg1").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2022-01-01" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	rp := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/"
	jsonEqual(t, "body", put.JSON(), `{"location":"westus2","properties":{
		"dnsSettings":{"dnsServers":[]},"enableIPForwarding":false,
		"networkSecurityGroup":{"id":"`+rp+`networkSecurityGroups/nsg1"},
		"ipConfigurations":[{"name":"ipconfig1","properties":{"privateIPAllocationMethod":"Static","privateIPAddress":"10.0.0.9",
			"privateIPAddressVersion":"IPv4","subnet":{"id":"`+rp+`virtualNetworks/vnet1/subnets/s1"},
			"publicIPAddress":{"id":"`+rp+`publicIPAddresses/pip1"}}}]}}`)
	nic, _ := res.Object(t)["NewNIC"].(map[string]any)
	if nic == nil || nic["enableIpForwarding"] != false {
		t.Errorf("output = %s", res.Stdout)
	}

	for _, args := range [][]string{
		{"--subnet", "s1"},
		{"--subnet", rp + "virtualNetworks/vnet1/subnets/s1", "--vnet-name", "vnet1"},
	} {
		res = f.Run(Groups(), append([]string{"network", "nic", "create", "-g", "rg", "-n", "nic1", "-l", "westus2"}, args...)...).Expect(t, 2)
		if res.Stderr != "ERROR: incorrect usage: ( --subnet ID | --subnet NAME --vnet-name NAME)\n" {
			t.Errorf("stderr = %q", res.Stderr)
		}
	}
	res = f.Run(Groups(), "network", "nic", "create", "-g", "rg", "-n", "nic1").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --subnet") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestDeleteNoWaitAndIDs(t *testing.T) {
	f := clitest.New(t)
	p := rgPath + "virtualNetworks/vnet1"
	f.Handle("DELETE", p, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Azure-AsyncOperation", f.URL("/subscriptions/{sub}/providers/Microsoft.Network/locations/westus2/operations/op1"))
		clitest.WriteJSON(w, 202, nil)
	})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Network/locations/westus2/operations/op1", 200, map[string]any{"status": "Succeeded"})
	f.Run(Groups(), "network", "vnet", "delete", "-g", "rg", "-n", "vnet1").Expect(t, 0)
	if n := len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.Network/locations/westus2/operations/op1")); n != 1 {
		t.Errorf("polls = %d", n)
	}
	f.Run(Groups(), "network", "vnet", "delete", "-g", "rg", "-n", "vnet1", "--no-wait").Expect(t, 0)
	if n := len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.Network/locations/westus2/operations/op1")); n != 1 {
		t.Errorf("--no-wait polled: %d", n)
	}
	id := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1"
	f.JSON("GET", rgPath+"virtualNetworks/vnet1/subnets/s1", 200, map[string]any{"id": id, "name": "s1",
		"properties": map[string]any{"addressPrefix": "10.0.0.0/24", "newerProperty": "x"}})
	res := f.Run(Groups(), "network", "vnet", "subnet", "show", "--ids", id).Expect(t, 0)
	jsonEqual(t, "show", res.Object(t), `{"id":"`+id+`","name":"s1","addressPrefix":"10.0.0.0/24","resourceGroup":"rg"}`)
}

// loadExample reads a REST example's response body from testdata.
func loadExample(t *testing.T, file, status string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Responses[status].Body
}

func TestAAZOutputShapes(t *testing.T) {
	vnet := loadExample(t, "VirtualNetworkCreate.json", "200")
	jsonEqual(t, "vnet", aazOutput("vnet", vnet), `{"name":"test-vnet",
		"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/test-vnet",
		"type":"Microsoft.Network/virtualNetworks","location":"eastus","provisioningState":"Succeeded",
		"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"flowTimeoutInMinutes":10,"subnets":[],"virtualNetworkPeerings":[]}`)

	subnet := loadExample(t, "SubnetCreateWithDelegation.json", "200")
	// purpose is read-only but known to the 2022-01-01 schema; delegations are flattened too
	jsonEqual(t, "subnet", aazOutput("subnet", subnet), `{"name":"subnet1",
		"id":"/subscriptions/subId/resourceGroups/subnet-test/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/subnet1",
		"addressPrefix":"10.0.0.0/16","provisioningState":"Succeeded","purpose":"",
		"delegations":[{"name":"myDelegation",
			"id":"/subscriptions/subId/resourceGroups/subnet-test/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/subnet1/delegations/myDelegation",
			"provisioningState":"Succeeded","serviceName":"Microsoft.Provider/resourceType","actions":[]}]}`)

	pip := loadExample(t, "PublicIpAddressCreateDefaults.json", "200")
	jsonEqual(t, "public ip", aazOutput("publicip", pip), `{"name":"testDNS-ip",
		"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/test-ip",
		"location":"eastus","provisioningState":"Succeeded","publicIPAddressVersion":"IPv4","publicIPAllocationMethod":"Dynamic",
		"idleTimeoutInMinutes":4,
		"ipConfiguration":{"id":"/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/testDNS649/ipConfigurations/ipconfig1"},
		"sku":{"name":"Basic"},"type":"Microsoft.Network/publicIPAddresses"}`)

	// nulls and properties the 2022-01-01 schema lacks (peerCompleteVnets
	// came later) are dropped
	got := aazOutput("peering", map[string]any{"name": "p", "etag": nil, "properties": map[string]any{
		"peeringState": "Connected", "peerCompleteVnets": true, "remoteVirtualNetwork": map[string]any{"id": "x"}, "unknownThing": 1}})
	jsonEqual(t, "peering", got, `{"name":"p","peeringState":"Connected","remoteVirtualNetwork":{"id":"x"}}`)
}

func TestSDKOutputShape(t *testing.T) {
	nic := loadExample(t, "NetworkInterfaceGet.json", "200")
	out := sdkOutput("NetworkInterface", nic).(map[string]any)
	for k, want := range map[string]any{
		"enableIpForwarding": false, "enableAcceleratedNetworking": true, "macAddress": "00-0D-3A-1B-C7-21",
		"vnetEncryptionSupported": false, "primary": true, "tags": nil, "workloadType": nil,
	} {
		if got, ok := out[k]; !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
		}
	}
	// 2022-01-01's model has no disableTcpStateTracking; wire names are not printed
	for _, k := range []string{"disableTcpStateTracking", "enableIPForwarding", "properties"} {
		if _, ok := out[k]; ok {
			t.Errorf("unexpected key %s", k)
		}
	}
	ipc := out["ipConfigurations"].([]any)[1].(map[string]any)
	if ipc["privateIpAddress"] != "172.20.2.16/28" || ipc["publicIpAddress"] != nil || ipc["privateIpAllocationMethod"] != "Dynamic" {
		t.Errorf("ip configuration = %v", ipc)
	}
	if _, ok := ipc["privateIPAddressPrefixLength"]; ok {
		t.Errorf("unknown property printed: %v", ipc)
	}
	vm := out["virtualMachine"].(map[string]any)
	if len(vm) != 1 || vm["id"] == nil {
		t.Errorf("virtualMachine (a SubResource) = %v", vm)
	}
	nsg := out["networkSecurityGroup"].(map[string]any)
	if _, ok := nsg["defaultSecurityRules"]; !ok || nsg["id"] == nil {
		t.Errorf("networkSecurityGroup model = %v", nsg)
	}
	dns := out["dnsSettings"].(map[string]any)
	jsonEqual(t, "dnsSettings", dns, `{"dnsServers":[],"appliedDnsServers":[],"internalDnsNameLabel":null,"internalFqdn":null,"internalDomainNameSuffix":"test.bx.internal.cloudapp.net"}`)
}
