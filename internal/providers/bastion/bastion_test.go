package bastion

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	v     = "2025-01-01"
	rgAPI = "2021-04-01"
	sub   = armtest.Subscription
	loc   = "eastus"
	rg    = "rg"
)

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, Provider{})
	e := &env{Server: s, t: t}
	if r := e.Do(http.MethodPut, "/subscriptions/"+sub+"/resourceGroups/"+rg, rgAPI, map[string]any{"location": loc}); r.Status != http.StatusCreated {
		t.Fatalf("group: %d %s", r.Status, r.Body)
	}
	return e
}

func path(typ, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/" + typ + "/" + name
}

func (e *env) must(want int, method, p string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, p, v, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, p, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, p, st)
	}
	return r
}

func subnet(name, prefix string, extra map[string]any) map[string]any {
	p := map[string]any{"addressPrefix": prefix}
	for k, val := range extra {
		p[k] = val
	}
	return map[string]any{"name": name, "properties": p}
}

// vnet creates a network 10.N.0.0/16 with the given subnets.
func (e *env) vnet(name, space string, subnets ...map[string]any) string {
	e.t.Helper()
	p := path("virtualNetworks", name)
	e.must(http.StatusCreated, http.MethodPut, p, map[string]any{"location": loc, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{space}}, "subnets": subnets}})
	return p
}

func (e *env) pip(name, sku, alloc string) string {
	e.t.Helper()
	p := path("publicIPAddresses", name)
	e.must(http.StatusCreated, http.MethodPut, p, map[string]any{"location": loc, "sku": map[string]any{"name": sku},
		"properties": map[string]any{"publicIPAllocationMethod": alloc}})
	return p
}

func body(sku, subnetID, pipID string, props map[string]any) map[string]any {
	p := map[string]any{"ipConfigurations": []any{map[string]any{"name": "ipconf", "properties": map[string]any{
		"subnet": map[string]any{"id": subnetID}, "publicIPAddress": map[string]any{"id": pipID}}}}}
	for k, val := range props {
		p[k] = val
	}
	b := map[string]any{"location": loc, "properties": p}
	if sku != "" {
		b["sku"] = map[string]any{"name": sku}
	}
	return b
}

func TestCreateShapeAndAddresses(t *testing.T) {
	e := start(t)
	vn := e.vnet("hub", "10.1.0.0/16", subnet("AzureBastionSubnet", "10.1.1.0/26", nil), subnet("jump", "10.1.0.0/24", nil))
	pip := e.pip("bastion-pip", "Standard", "Static")
	r := e.must(http.StatusCreated, http.MethodPut, path("bastionHosts", "bastion"),
		body("Standard", vn+"/subnets/AzureBastionSubnet", pip, map[string]any{"enableTunneling": true, "scaleUnits": 3}))
	if loc := r.Header.Get("Azure-AsyncOperation"); loc == "" {
		t.Errorf("create is not a long-running operation: %v", r.Header)
	}
	got := e.must(http.StatusOK, http.MethodGet, path("bastionHosts", "bastion"), nil).JSON()

	// Every field of Azure's example response is there.
	raw, err := os.ReadFile("testdata/BastionHostPut.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	if miss := missingKeys(ex.Responses["200"].Body, got, ""); len(miss) > 0 {
		t.Errorf("fields of Azure's example missing: %v\n%v", miss, got)
	}
	props := got["properties"].(map[string]any)
	dns, _ := props["dnsName"].(string)
	if !strings.HasPrefix(dns, "bst-") || !strings.HasSuffix(dns, ".bastion.azure.com") || len(dns) != len("bst-")+36+len(".bastion.azure.com") {
		t.Errorf("dnsName %q is not bst-<guid>.bastion.azure.com", dns)
	}
	if props["enableTunneling"] != true || props["scaleUnits"] != float64(3) || props["provisioningState"] != "Succeeded" {
		t.Errorf("properties: %v", props)
	}
	if s := got["sku"].(map[string]any)["name"]; s != "Standard" {
		t.Errorf("sku %v", s)
	}
	ic := props["ipConfigurations"].([]any)[0].(map[string]any)
	if ic["id"] != path("bastionHosts", "bastion")+"/bastionHostIpConfigurations/ipconf" || ic["type"] != IPConfigType {
		t.Errorf("ip configuration: %v", ic)
	}

	// The subnet lists the configuration and its three instance
	// addresses are reserved; the public IP names it.
	sn := e.must(http.StatusOK, http.MethodGet, vn+"/subnets/AzureBastionSubnet", nil).JSON()
	ipcs, _ := sn["properties"].(map[string]any)["ipConfigurations"].([]any)
	if len(ipcs) != 1 || !strings.EqualFold(ipcs[0].(map[string]any)["id"].(string), ic["id"].(string)) {
		t.Errorf("subnet ipConfigurations: %v", ipcs)
	}
	pr := e.must(http.StatusOK, http.MethodGet, pip, nil).JSON()
	if pc, _ := pr["properties"].(map[string]any)["ipConfiguration"].(map[string]any); pc == nil || !strings.EqualFold(pc["id"].(string), ic["id"].(string)) {
		t.Errorf("public IP ipConfiguration: %v", pr["properties"])
	}
	// A NIC in the jump subnet is unaffected; one more address in the
	// bastion subnet goes after the three instances.
	e.must(http.StatusCreated, http.MethodPut, path("publicIPAddresses", "x"), map[string]any{"location": loc})
	// Deleting the subnet or the public IP is refused while the bastion holds them.
	if r := e.Do(http.MethodDelete, vn+"/subnets/AzureBastionSubnet", v, nil); r.ErrorCode() != "InUseSubnetCannotBeDeleted" {
		t.Errorf("subnet delete: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodDelete, pip, v, nil); r.ErrorCode() != "PublicIPAddressCannotBeDeleted" {
		t.Errorf("public IP delete: %d %s", r.Status, r.Body)
	}
	// Scale down, then delete: the addresses go back.
	e.must(http.StatusOK, http.MethodPut, path("bastionHosts", "bastion"),
		body("Standard", vn+"/subnets/AzureBastionSubnet", pip, map[string]any{"scaleUnits": 2}))
	again := e.must(http.StatusOK, http.MethodGet, path("bastionHosts", "bastion"), nil).JSON()
	if again["properties"].(map[string]any)["dnsName"] != dns {
		t.Errorf("dnsName changed on update")
	}
	e.must(http.StatusAccepted, http.MethodDelete, path("bastionHosts", "bastion"), nil)
	e.must(http.StatusAccepted, http.MethodDelete, vn+"/subnets/AzureBastionSubnet", nil)
}

func TestValidation(t *testing.T) {
	e := start(t)
	hub := e.vnet("hub", "10.1.0.0/16", subnet("AzureBastionSubnet", "10.1.1.0/26", nil), subnet("jump", "10.1.0.0/24", nil))
	small := e.vnet("small", "10.2.0.0/16", subnet("AzureBastionSubnet", "10.2.1.0/27", nil))
	busy := e.vnet("busy", "10.3.0.0/16", subnet("AzureBastionSubnet", "10.3.1.0/26", nil))
	e.must(http.StatusCreated, http.MethodPut, path("networkInterfaces", "nic"), map[string]any{"location": loc, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"name": "c", "properties": map[string]any{"subnet": map[string]any{"id": busy + "/subnets/AzureBastionSubnet"}}}}}})
	free := e.vnet("free", "10.4.0.0/16", subnet("AzureBastionSubnet", "10.4.1.0/26", nil))
	std := e.pip("std", "Standard", "Static")
	std2 := e.pip("std2", "Standard", "Static")
	basic := e.pip("basic", "Basic", "Static")
	abs := hub + "/subnets/AzureBastionSubnet"
	// A first bastion in hub, for the one-per-network rule.
	e.must(http.StatusCreated, http.MethodPut, path("bastionHosts", "first"), body("Basic", abs, std2, nil))

	cases := []struct {
		name, code, msg string
		body            map[string]any
	}{
		{"bad sku", "InvalidRequestFormat", "Allowed values: Basic, Standard, Developer, Premium", body("Gold", abs, std, nil)},
		{"two ip configurations", "BastionHostMustHaveMaximumOneHostIpConfiguration", "must contain 1 IP Configuration. It currently contains 2.",
			func() map[string]any {
				b := body("Standard", abs, std, nil)
				p := b["properties"].(map[string]any)
				p["ipConfigurations"] = append(p["ipConfigurations"].([]any), p["ipConfigurations"].([]any)[0])
				return b
			}()},
		{"subnet name", "SubnetNameMustBeAzureBastionSubnet", "Azure Bastion can only be created in subnet with name 'AzureBastionSubnet'.", body("Standard", hub+"/subnets/jump", std, nil)},
		{"missing subnet", "InvalidResourceReference", "was not found", body("Standard", path("virtualNetworks", "nope")+"/subnets/AzureBastionSubnet", std, nil)},
		{"subnet too small", "AzureBastionSubnetPrefixTooSmall", "The prefix must be smaller than or equal to 26", body("Standard", small+"/subnets/AzureBastionSubnet", std, nil)},
		{"basic public IP", "BastionHostPublicIpMustBeStandardSkuAndStatic", "requires a public IP address with Standard SKU and Static allocation", body("Standard", free+"/subnets/AzureBastionSubnet", basic, nil)},
		{"second bastion in a network", "OnlyOneBastionHostPerVirtualNetwork", "already has Bastion Host", body("Standard", abs, std, nil)},
		{"subnet used by a NIC", "AzureBastionSubnetInUseByOtherResources", path("networkInterfaces", "nic"), body("Standard", busy+"/subnets/AzureBastionSubnet", std, nil)},
		{"tunneling on Basic", "BastionHostFeatureNotSupportedForSku", "only available on the Standard and Premium SKUs", body("Basic", abs, std, map[string]any{"enableTunneling": true})},
		{"scale units on Basic", "BastionHostScaleUnitsNotSupportedForSku", "Bastion scalable host is available on Standard SKU", body("Basic", abs, std, map[string]any{"scaleUnits": 4})},
		{"scale units range", "InvalidBastionHostScaleUnits", "between 2 and 50", body("Standard", abs, std, map[string]any{"scaleUnits": 51})},
		{"session recording on Standard", "BastionHostFeatureNotSupportedForSku", "only available on the Premium SKU", body("Standard", abs, std, map[string]any{"enableSessionRecording": true})},
		{"public IP in use", "PublicIPAddressInUse", "already allocated to resource", body("Standard", free+"/subnets/AzureBastionSubnet", std2, nil)},
		{"developer with ip configuration", "BastionHostDeveloperSkuCannotHaveIpConfigurations", "Developer SKU", body("Developer", abs, std, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Do(http.MethodPut, path("bastionHosts", "b2"), v, c.body)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != c.code || !strings.Contains(r.ErrorMessage(), c.msg) {
				t.Fatalf("got %d %s %q, want 400 %s containing %q", r.Status, r.ErrorCode(), r.ErrorMessage(), c.code, c.msg)
			}
		})
	}
	// Downgrade is refused; upgrade works.
	e.must(http.StatusOK, http.MethodPut, path("bastionHosts", "first"), body("Standard", abs, std2, nil))
	if r := e.Do(http.MethodPut, path("bastionHosts", "first"), v, body("Basic", abs, std2, nil)); r.ErrorCode() != "BastionHostSkuDowngradeNotSupported" {
		t.Errorf("downgrade: %d %s", r.Status, r.Body)
	}
	// A Developer bastion references its network only, one per network.
	dev := map[string]any{"location": loc, "sku": map[string]any{"name": "Developer"}, "properties": map[string]any{"virtualNetwork": map[string]any{"id": small}}}
	e.must(http.StatusCreated, http.MethodPut, path("bastionHosts", "dev"), dev)
	if r := e.Do(http.MethodPut, path("bastionHosts", "dev2"), v, dev); r.ErrorCode() != "OnlyOneBastionHostPerVirtualNetwork" {
		t.Errorf("second developer bastion: %d %s", r.Status, r.Body)
	}
}

func TestBastionSubnetPolicies(t *testing.T) {
	e := start(t)
	vn := e.vnet("hub", "10.1.0.0/16", subnet("AzureBastionSubnet", "10.1.1.0/26", nil))
	nsg := path("networkSecurityGroups", "bastion-nsg")
	e.must(http.StatusCreated, http.MethodPut, nsg, map[string]any{"location": loc})
	rt := path("routeTables", "rt")
	e.must(http.StatusCreated, http.MethodPut, rt, map[string]any{"location": loc})
	sn := vn + "/subnets/AzureBastionSubnet"
	put := func(extra map[string]any) *armtest.Result {
		return e.Do(http.MethodPut, sn, v, subnet("AzureBastionSubnet", "10.1.1.0/26", extra))
	}
	if r := put(map[string]any{"routeTable": map[string]any{"id": rt}}); r.ErrorCode() != "RouteTableCannotBeAttachedForAzureBastionSubnet" ||
		r.ErrorMessage() != "Route Table rt cannot be attached to Azure Bastion Subnet AzureBastionSubnet." {
		t.Errorf("route table: %d %s", r.Status, r.Body)
	}
	// An NSG with only the default rules lacks the inbound HTTPS rule.
	if r := put(map[string]any{"networkSecurityGroup": map[string]any{"id": nsg}}); r.ErrorCode() != "NetworkSecurityGroupNotCompliantForAzureBastionSubnet" ||
		r.ErrorMessage() != "Network security group bastion-nsg does not have necessary rules for Azure Bastion Subnet AzureBastionSubnet." {
		t.Errorf("empty NSG: %d %s", r.Status, r.Body)
	}
	// Inline in the VNet too.
	if r := e.Do(http.MethodPut, vn, v, map[string]any{"location": loc, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}},
		"subnets":      []any{subnet("AzureBastionSubnet", "10.1.1.0/26", map[string]any{"networkSecurityGroup": map[string]any{"id": nsg}})}}}); r.ErrorCode() != "NetworkSecurityGroupNotCompliantForAzureBastionSubnet" {
		t.Errorf("inline subnet: %d %s", r.Status, r.Body)
	}
	rule := func(name string, prio int, dir, access, src, dst, port string) {
		e.must(http.StatusCreated, http.MethodPut, nsg+"/securityRules/"+name, map[string]any{"properties": map[string]any{
			"priority": prio, "direction": dir, "access": access, "protocol": "Tcp", "sourcePortRange": "*",
			"sourceAddressPrefix": src, "destinationAddressPrefix": dst, "destinationPortRange": port}})
	}
	rule("AllowHttpsInbound", 120, "Inbound", "Allow", "Internet", "*", "443")
	rule("AllowGatewayManagerInbound", 130, "Inbound", "Allow", "GatewayManager", "*", "443")
	e.must(http.StatusOK, http.MethodPut, sn, subnet("AzureBastionSubnet", "10.1.1.0/26", map[string]any{"networkSecurityGroup": map[string]any{"id": nsg}}))
	// Other subnets may have anything.
	e.must(http.StatusCreated, http.MethodPut, vn+"/subnets/other", subnet("other", "10.1.2.0/24", map[string]any{"routeTable": map[string]any{"id": rt}}))
}

func TestMissingFlows(t *testing.T) {
	allow := func(dir, src, dst, port string, prio int64) network.SecurityRuleProperties {
		return network.SecurityRuleProperties{Direction: dir, Access: "Allow", Protocol: "Tcp", SourceAddressPrefix: src,
			DestinationAddressPrefix: dst, DestinationPortRange: port, SourcePortRange: "*", Priority: prio}
	}
	deny := func(dir, src, dst, port string, prio int64) network.SecurityRuleProperties {
		r := allow(dir, src, dst, port, prio)
		r.Access = "Deny"
		return r
	}
	https := allow("Inbound", "Internet", "*", "443", 100)
	cases := []struct {
		name  string
		rules []network.SecurityRuleProperties
		want  int
	}{
		{"defaults only", nil, 2},
		{"https from internet", []network.SecurityRuleProperties{https}, 0},
		{"https from gateway manager only", []network.SecurityRuleProperties{allow("Inbound", "GatewayManager", "*", "443", 100)}, 1},
		{"ssh to vnet denied", []network.SecurityRuleProperties{https, deny("Outbound", "*", "VirtualNetwork", "22", 200)}, 1},
		{"deny all outbound", []network.SecurityRuleProperties{https, deny("Outbound", "*", "*", "*", 4096)}, 6},
		{"port range", []network.SecurityRuleProperties{allow("Inbound", "*", "*", "400-500", 100)}, 0},
		{"cidr source does not count", []network.SecurityRuleProperties{allow("Inbound", "203.0.113.0/24", "*", "443", 100)}, 2},
	}
	for _, c := range cases {
		got := MissingFlows(c.rules)
		if len(got) != c.want {
			t.Errorf("%s: missing %d %v, want %d", c.name, len(got), got, c.want)
		}
	}
}

var missingKeys = armtest.MissingKeys
