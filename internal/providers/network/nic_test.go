package network_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

func TestNetworkInterfaceMatchesAzureExample(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "rg1-vnet", "eastus", "172.20.0.0/16", "default=172.20.2.0/24")
	f.put(rid("rg1", "networkSecurityGroups", "nsg"), `{"location":"eastus"}`)
	f.put(rid("rg1", "publicIPAddresses", "test-ip"), `{"location":"eastus"}`)
	nic := rid("rg1", "networkInterfaces", "test-nic")
	got := f.put(nic, `{"location":"eastus","properties":{
		"enableAcceleratedNetworking":true,"disableTcpStateTracking":true,
		"networkSecurityGroup":{"id":"`+rid("rg1", "networkSecurityGroups", "nsg")+`"},
		"ipConfigurations":[{"name":"ipconfig1","properties":{
			"subnet":{"id":"`+rid("rg1", "virtualNetworks", "rg1-vnet")+`/subnets/default"},
			"publicIPAddress":{"id":"`+rid("rg1", "publicIPAddresses", "test-ip")+`"},
			"primary":true}}]}}`)

	// The example shows the NIC attached to a VM (virtualMachine, primary,
	// dscpConfiguration) with a second /28 ip configuration privlink does
	// not emulate; its MAC address and DNS suffix are generated.
	want := loadExample(t, "nic/NetworkInterfaceGet.json").Responses["200"].Body
	wp := want["properties"].(map[string]any)
	wp["ipConfigurations"] = wp["ipConfigurations"].([]any)[:1]
	for _, k := range []string{"virtualMachine", "primary", "dscpConfiguration", "macAddress"} {
		delete(wp, k)
	}
	delete(wp["dnsSettings"].(map[string]any), "internalDomainNameSuffix")
	checkSubset(t, want, got)

	p := got["properties"].(map[string]any)
	if !regexp.MustCompile(`^00-0D-3A-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$`).MatchString(p["macAddress"].(string)) {
		t.Fatalf("mac address %v", p["macAddress"])
	}
	suffix := p["dnsSettings"].(map[string]any)["internalDomainNameSuffix"]
	if suffix != network.InternalDomainNameSuffix(rid("rg1", "virtualNetworks", "rg1-vnet")) ||
		!regexp.MustCompile(`^[a-z]{22}\.[a-z]{2}\.internal\.cloudapp\.net$`).MatchString(suffix.(string)) {
		t.Fatalf("internal domain name suffix %v", suffix)
	}
	if p["nicType"] != "Standard" || p["resourceGuid"] == nil || got["etag"] == nil {
		t.Fatalf("nic: %v", p)
	}
	ipc := p["ipConfigurations"].([]any)[0].(map[string]any)
	if ipc["etag"] != got["etag"] || ipc["type"] != "Microsoft.Network/networkInterfaces/ipConfigurations" {
		t.Fatalf("ip configuration envelope: %v", ipc)
	}

	// The ip configuration on its own.
	one := f.s.Do(http.MethodGet, nic+"/ipConfigurations/IPCONFIG1", fxAPI, nil)
	if one.Status != http.StatusOK || one.Header.Get("ETag") != got["etag"] {
		t.Fatalf("ip configuration: %d %s", one.Status, one.Body)
	}
	checkSubset(t, want["properties"].(map[string]any)["ipConfigurations"].([]any)[0], one.JSON())
	f.mustFail(http.MethodGet, nic+"/ipConfigurations/nope", "", http.StatusNotFound, "NotFound")
	f.mustFail(http.MethodGet, rid("rg1", "networkInterfaces", "nope")+"/ipConfigurations/ipconfig1", "", http.StatusNotFound, "ResourceNotFound")
	f.mustFail(http.MethodGet, rid("rg1", "networkInterfaces", "nope")+"/ipConfigurations", "", http.StatusNotFound, "ResourceNotFound")
	f.mustFail(http.MethodGet, nic+"/ipConfigurations/ipconfig1?api-version=1999-01-01&x=", "", http.StatusBadRequest, "NoRegisteredProviderFound")
	f.mustFail(http.MethodPut, nic+"/ipConfigurations/ipconfig2", `{"properties":{}}`, http.StatusMethodNotAllowed, "MethodNotAllowed")

	// Back-references on the NSG and the subnet.
	nsg := f.s.Do(http.MethodGet, rid("rg1", "networkSecurityGroups", "nsg"), fxAPI, nil).JSON()
	nis := nsg["properties"].(map[string]any)["networkInterfaces"].([]any)
	if len(nis) != 1 || nis[0].(map[string]any)["id"] != nic {
		t.Fatalf("nsg networkInterfaces: %v", nis)
	}
	sub := f.s.Do(http.MethodGet, rid("rg1", "virtualNetworks", "rg1-vnet")+"/subnets/default", fxAPI, nil).JSON()
	ipcs := sub["properties"].(map[string]any)["ipConfigurations"].([]any)
	if len(ipcs) != 1 || ipcs[0].(map[string]any)["id"] != nic+"/ipConfigurations/ipconfig1" {
		t.Fatalf("subnet ipConfigurations: %v", ipcs)
	}
}

func TestNetworkInterfaceLifecycleSDK(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24", "other=10.0.1.0/24")
	subnet := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/default"
	other := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/other"
	mk := func(name string, cfgs ...*armnetwork.InterfaceIPConfiguration) (armnetwork.Interface, error) {
		p, err := f.nics.BeginCreateOrUpdate(f.ctx, "rg1", name, armnetwork.Interface{
			Location: ptr(fxLoc), Properties: &armnetwork.InterfacePropertiesFormat{IPConfigurations: cfgs},
		}, nil)
		if err != nil {
			return armnetwork.Interface{}, err
		}
		r, err := p.PollUntilDone(f.ctx, &runtimePoll)
		return r.Interface, err
	}
	dyn := func(name, subnetID string) *armnetwork.InterfaceIPConfiguration {
		return &armnetwork.InterfaceIPConfiguration{Name: ptr(name), Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
			Subnet: &armnetwork.Subnet{ID: ptr(subnetID)},
		}}
	}
	static := func(name, subnetID, ip string) *armnetwork.InterfaceIPConfiguration {
		return &armnetwork.InterfaceIPConfiguration{Name: ptr(name), Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
			Subnet: &armnetwork.Subnet{ID: ptr(subnetID)}, PrivateIPAllocationMethod: ptr(armnetwork.IPAllocationMethodStatic), PrivateIPAddress: ptr(ip),
		}}
	}
	firstIP := func(n armnetwork.Interface) string {
		return val(n.Properties.IPConfigurations[0].Properties.PrivateIPAddress)
	}

	nic1, err := mk("nic1", dyn("ipconfig1", subnet))
	if err != nil {
		t.Fatal(err)
	}
	nic2, err := mk("nic2", dyn("ipconfig1", subnet))
	if err != nil {
		t.Fatal(err)
	}
	if firstIP(nic1) != "10.0.0.4" || firstIP(nic2) != "10.0.0.5" {
		t.Fatalf("dynamic addresses: %s, %s", firstIP(nic1), firstIP(nic2))
	}
	c := nic1.Properties.IPConfigurations[0]
	if !val(c.Properties.Primary) || val(c.Properties.PrivateIPAllocationMethod) != armnetwork.IPAllocationMethodDynamic ||
		val(c.Properties.PrivateIPAddressVersion) != armnetwork.IPVersionIPv4 || val(nic1.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("ip configuration: %+v", c.Properties)
	}

	// Static conflicts and the InterfaceIPConfigurations client.
	_, err = mk("nic3", static("ipconfig1", subnet, "10.0.0.5"))
	if errCode(err) != "PrivateIPAddressIsAllocated" {
		t.Fatalf("static conflict: %v", err)
	}
	_, err = mk("nic3", static("ipconfig1", subnet, "10.0.0.3"))
	if errCode(err) != "PrivateIPAddressInReservedRange" {
		t.Fatalf("reserved address: %v", err)
	}
	nic3, err := mk("nic3", static("ipconfig1", subnet, "10.0.0.10"), dyn("second", other))
	if err == nil {
		t.Fatalf("two ip configurations without a primary accepted: %+v", nic3.Properties)
	}
	two := static("ipconfig1", subnet, "10.0.0.10")
	two.Properties.Primary = ptr(true)
	nic3, err = mk("nic3", two, dyn("second", other))
	if err != nil {
		t.Fatal(err)
	}
	if firstIP(nic3) != "10.0.0.10" || val(nic3.Properties.IPConfigurations[1].Properties.PrivateIPAddress) != "10.0.1.4" ||
		val(nic3.Properties.IPConfigurations[1].Properties.Primary) {
		t.Fatalf("nic3: %s %+v", firstIP(nic3), nic3.Properties.IPConfigurations[1].Properties)
	}
	g, err := f.ipcs.Get(f.ctx, "rg1", "nic3", "second", nil)
	if err != nil {
		t.Fatal(err)
	}
	if val(g.Properties.PrivateIPAddress) != "10.0.1.4" || val(g.ID) != rid("rg1", "networkInterfaces", "nic3")+"/ipConfigurations/second" {
		t.Fatalf("ip configuration get: %+v", g)
	}
	var names []string
	for pg := f.ipcs.NewListPager("rg1", "nic3", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, val(v.Name))
		}
	}
	if strings.Join(names, ",") != "ipconfig1,second" {
		t.Fatalf("ip configurations listed: %v", names)
	}

	// Typed access for data-plane code.
	rec, err := f.s.Platform.Engine.GetRecord(f.ctx, rid("rg1", "networkInterfaces", "nic3"))
	if err != nil || rec == nil {
		t.Fatalf("record: %v", err)
	}
	typed, err := network.DecodeNetworkInterface(rec)
	if err != nil {
		t.Fatal(err)
	}
	if pc := typed.PrimaryIPConfiguration(); pc == nil || pc.Name != "ipconfig1" || pc.Properties.PrivateIPAddress != "10.0.0.10" ||
		pc.Properties.PrivateIPAllocationMethod != "Static" || typed.MacAddress == "" || len(typed.IPConfigurations) != 2 {
		t.Fatalf("typed properties: %+v", typed)
	}

	// Update: nic1 moves to a static address; its dynamic one is released.
	upd, err := mk("nic1", static("ipconfig1", subnet, "10.0.0.20"))
	if err != nil {
		t.Fatal(err)
	}
	if firstIP(upd) != "10.0.0.20" || val(upd.Properties.MacAddress) != val(nic1.Properties.MacAddress) || val(upd.Properties.ResourceGUID) != val(nic1.Properties.ResourceGUID) {
		t.Fatalf("update: %s mac %s guid %s", firstIP(upd), val(upd.Properties.MacAddress), val(upd.Properties.ResourceGUID))
	}
	nic4, err := mk("nic4", dyn("ipconfig1", subnet))
	if err != nil {
		t.Fatal(err)
	}
	if firstIP(nic4) != "10.0.0.4" {
		t.Fatalf("released address not reused: %s", firstIP(nic4))
	}
	// Re-putting a NIC unchanged (GET then PUT, as the CLI does) keeps its address.
	again, err := mk("nic4", nic4.Properties.IPConfigurations...)
	if err != nil || firstIP(again) != "10.0.0.4" {
		t.Fatalf("re-put: %v %s", err, firstIP(again))
	}

	// Lists.
	n := 0
	for pg := f.nics.NewListPager("rg1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	all := 0
	for pg := f.nics.NewListAllPager(nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		all += len(page.Value)
	}
	if n != 4 || all != 4 {
		t.Fatalf("listed %d / %d", n, all)
	}

	// A subnet in use cannot be deleted; nothing changes.
	_, err = f.subnets.BeginDelete(f.ctx, "rg1", "vnet1", "default", nil)
	if errCode(err) != "InUseSubnetCannotBeDeleted" {
		t.Fatalf("delete subnet in use: %v", err)
	}
	if _, err := f.subnets.Get(f.ctx, "rg1", "vnet1", "default", nil); err != nil {
		t.Fatalf("subnet after failed delete: %v", err)
	}
	if g, err := f.nics.Get(f.ctx, "rg1", "nic2", nil); err != nil || firstIP(g.Interface) != "10.0.0.5" {
		t.Fatalf("nic after failed subnet delete: %v", err)
	}

	// Deleting NICs frees their addresses and the subnet.
	for _, name := range []string{"nic1", "nic2", "nic3", "nic4"} {
		dp, err := f.nics.BeginDelete(f.ctx, "rg1", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.nics.Get(f.ctx, "rg1", "nic1", nil); errCode(err) != "ResourceNotFound" {
		t.Fatalf("after delete: %v", err)
	}
	nic5, err := mk("nic5", static("ipconfig1", subnet, "10.0.0.5"))
	if err != nil || firstIP(nic5) != "10.0.0.5" {
		t.Fatalf("address of deleted nic not free: %v", err)
	}
	dp, err := f.nics.BeginDelete(f.ctx, "rg1", "nic5", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	sd, err := f.subnets.BeginDelete(f.ctx, "rg1", "vnet1", "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sd.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
}

func TestNetworkInterfaceValidation(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	f.vnet("rg1", "east", "eastus", "10.1.0.0/16", "default=10.1.0.0/24")
	subnet := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/default"
	eastSubnet := rid("rg1", "virtualNetworks", "east") + "/subnets/default"
	dp, err := f.subnets.BeginCreateOrUpdate(f.ctx, "rg1", "vnet1", "aks", armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix: ptr("10.0.9.0/24"),
		Delegations:   []*armnetwork.Delegation{{Name: ptr("aks"), Properties: &armnetwork.ServiceDelegationPropertiesFormat{ServiceName: ptr("Microsoft.ContainerService/managedClusters")}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	f.put(rid("rg1", "networkSecurityGroups", "east-nsg"), `{"location":"eastus"}`)
	f.put(rid("rg1", "publicIPAddresses", "east-ip"), `{"location":"eastus"}`)
	f.put(rid("rg1", "publicIPAddresses", "taken"), `{"location":"westus2"}`)
	f.put(rid("rg1", "publicIPAddresses", "free"), `{"location":"westus2"}`)
	f.nicWithPIP("rg1", "holder", fxLoc, subnet, rid("rg1", "publicIPAddresses", "taken"))
	holderIPC := rid("rg1", "networkInterfaces", "holder") + "/ipConfigurations/ipconfig1"

	nicID := rid("rg1", "networkInterfaces", "nic1")
	ipc := func(name string, props map[string]any) map[string]any {
		return map[string]any{"name": name, "properties": props}
	}
	sub := func(id string) map[string]any { return map[string]any{"subnet": map[string]string{"id": id}} }
	with := func(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }
	cases := []struct {
		name    string
		props   map[string]any
		code    string
		message string
	}{
		{"no ip configurations", map[string]any{"ipConfigurations": []any{}}, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration", nicID},
		{"no subnet", map[string]any{"ipConfigurations": []any{ipc("c", map[string]any{})}}, "IpConfigurationSubnetMissing", nicID + "/ipConfigurations/c"},
		{"subnet not found", map[string]any{"ipConfigurations": []any{ipc("c", sub(subnet+"x"))}}, "InvalidResourceReference",
			"Resource " + subnet + "x referenced by resource " + nicID + " was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."},
		{"subnet id of a vnet", map[string]any{"ipConfigurations": []any{ipc("c", sub(rid("rg1", "virtualNetworks", "vnet1")))}}, "InvalidResourceReference", "referenced by resource " + nicID},
		{"subnet id malformed", map[string]any{"ipConfigurations": []any{ipc("c", sub("default"))}}, "LinkedInvalidPropertyId", "Property id 'default' at path 'properties.ipConfigurations[0].properties.subnet.id' is invalid."},
		{"vnet in another region", map[string]any{"ipConfigurations": []any{ipc("c", sub(eastSubnet))}}, "InvalidResourceReference", "Resource " + eastSubnet + " referenced by resource " + nicID},
		{"delegated subnet", map[string]any{"ipConfigurations": []any{ipc("c", sub(rid("rg1", "virtualNetworks", "vnet1")+"/subnets/aks"))}}, "ResourceNotPermittedOnDelegatedSubnet", "Microsoft.ContainerService/managedClusters"},
		{"two without primary", map[string]any{"ipConfigurations": []any{ipc("a", sub(subnet)), ipc("b", sub(subnet))}}, "NetworkInterfaceMustHavePrimaryIpConfiguration", "none of them is primary"},
		{"two primaries", map[string]any{"ipConfigurations": []any{ipc("a", with(sub(subnet), "primary", true)), ipc("b", with(sub(subnet), "primary", true))}}, "NetworkInterfaceHasMultiplePrimaryIpConfigurations", "2 primary"},
		{"duplicate names", map[string]any{"ipConfigurations": []any{ipc("a", with(sub(subnet), "primary", true)), ipc("A", sub(subnet))}}, "DuplicateResourceName", "Resource " + nicID + " has two child resources with the same name (A)."},
		{"bad allocation method", map[string]any{"ipConfigurations": []any{ipc("c", with(sub(subnet), "privateIPAllocationMethod", "Fixed"))}}, "InvalidRequestFormat", "Cannot parse the request."},
		{"static outside subnet", map[string]any{"ipConfigurations": []any{ipc("c", with(with(sub(subnet), "privateIPAllocationMethod", "Static"), "privateIPAddress", "10.0.5.5"))}}, "PrivateIPAddressNotInSubnet", "10.0.5.5"},
		{"nsg not found", map[string]any{"networkSecurityGroup": map[string]string{"id": rid("rg1", "networkSecurityGroups", "nope")}, "ipConfigurations": []any{ipc("c", sub(subnet))}}, "InvalidResourceReference", "networkSecurityGroups/nope referenced by resource " + nicID},
		{"nsg in another region", map[string]any{"networkSecurityGroup": map[string]string{"id": rid("rg1", "networkSecurityGroups", "east-nsg")}, "ipConfigurations": []any{ipc("c", sub(subnet))}}, "InvalidResourceReference", "east-nsg referenced by resource"},
		{"public ip in another region", map[string]any{"ipConfigurations": []any{ipc("c", with(sub(subnet), "publicIPAddress", map[string]string{"id": rid("rg1", "publicIPAddresses", "east-ip")}))}}, "InvalidResourceReference", "east-ip referenced by resource"},
		{"public ip of another nic", map[string]any{"ipConfigurations": []any{ipc("c", with(sub(subnet), "publicIPAddress", map[string]string{"id": rid("rg1", "publicIPAddresses", "taken")}))}}, "PublicIPAddressInUse",
			"Resource " + nicID + "/ipConfigurations/c is referencing public IP address " + rid("rg1", "publicIPAddresses", "taken") + " that is already allocated to resource " + holderIPC + "."},
		{"public ip twice in one nic", map[string]any{"ipConfigurations": []any{
			ipc("a", with(with(sub(subnet), "primary", true), "publicIPAddress", map[string]string{"id": rid("rg1", "publicIPAddresses", "free")})),
			ipc("b", with(sub(subnet), "publicIPAddress", map[string]string{"id": rid("rg1", "publicIPAddresses", "free")}))}}, "PublicIPAddressInUse", "already allocated to resource " + nicID + "/ipConfigurations/a."},
		{"bad nic type", map[string]any{"nicType": "Huge", "ipConfigurations": []any{ipc("c", sub(subnet))}}, "InvalidRequestFormat", "Cannot parse the request."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"location": fxLoc, "properties": tc.props})
			e := f.mustFail(http.MethodPut, nicID, string(b), http.StatusBadRequest, tc.code)
			if msg, _ := e["message"].(string); !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q does not contain %q", msg, tc.message)
			}
			if g := f.s.Do(http.MethodGet, nicID, fxAPI, nil); g.Status != http.StatusNotFound {
				t.Fatalf("failed put left a NIC: %d", g.Status)
			}
		})
	}
	// Nothing was reserved by the failed puts: the next NIC gets the next
	// free address after the holder's, and the free public IP is unattached.
	got := f.nicWithPIP("rg1", "nic2", fxLoc, subnet, "")
	if ip := got["properties"].(map[string]any)["ipConfigurations"].([]any)[0].(map[string]any)["properties"].(map[string]any)["privateIPAddress"]; ip != "10.0.0.5" {
		t.Fatalf("address after failed puts: %v", ip)
	}
	free := f.s.Do(http.MethodGet, rid("rg1", "publicIPAddresses", "free"), fxAPI, nil).JSON()
	if _, has := pipProps(free)["ipAddress"]; has {
		t.Fatalf("failed put attached the public IP: %v", free)
	}
}

// vms is a stand-in for Microsoft.Compute/virtualMachines: a VM holds a
// blocking "virtualMachine" ref on each network interface it uses.
type vms struct{}

func (vms) Namespace() string { return "Microsoft.Compute" }

func (vms) Register(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type: "Microsoft.Compute/virtualMachines", APIVersions: []string{"2024-07-01"}, Location: arm.LocationRequired,
		Put: func(ctx context.Context, op *arm.PutOp) error {
			var in struct {
				NetworkProfile struct {
					NetworkInterfaces []struct {
						ID string `json:"id"`
					} `json:"networkInterfaces"`
				} `json:"networkProfile"`
			}
			if err := op.Body.DecodeProperties(&in); err != nil {
				return err
			}
			for _, n := range in.NetworkProfile.NetworkInterfaces {
				op.AddRef(n.ID, "virtualMachine", "", true)
			}
			return nil
		},
	})
	return nil
}

func TestNetworkInterfaceInUseByVirtualMachine(t *testing.T) {
	vm := newFx(t, vms{})
	vm.group("rg1")
	vm.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	nicID := rid("rg1", "networkInterfaces", "nic1")
	vm.nicWithPIP("rg1", "nic1", fxLoc, rid("rg1", "virtualNetworks", "vnet1")+"/subnets/default", "")
	vmID := "/subscriptions/" + fxSub + "/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1"
	if r := vm.s.Do(http.MethodPut, vmID, "2024-07-01", `{"location":"westus2","properties":{"networkProfile":{"networkInterfaces":[{"id":"`+nicID+`"}]}}}`); r.Status != http.StatusCreated {
		t.Fatalf("vm: %d %s", r.Status, r.Body)
	}
	got := vm.s.Do(http.MethodGet, nicID, fxAPI, nil).JSON()
	if ref, _ := got["properties"].(map[string]any)["virtualMachine"].(map[string]any); ref["id"] != vmID {
		t.Fatalf("virtualMachine: %v", got["properties"])
	}
	e := vm.mustFail(http.MethodDelete, nicID, "", http.StatusBadRequest, "NicInUse")
	if e["message"] != "Network Interface "+nicID+" is used by existing resource "+vmID+". In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic." {
		t.Fatalf("message %v", e["message"])
	}
	if r := vm.s.Do(http.MethodDelete, vmID, "2024-07-01", nil); r.Status != http.StatusOK {
		t.Fatalf("delete vm: %d", r.Status)
	}
	if r := vm.s.Do(http.MethodDelete, nicID, fxAPI, nil); r.Status != http.StatusAccepted {
		t.Fatalf("delete nic: %d %s", r.Status, r.Body)
	}
}

func TestResourceGroupDeletionWithNetworkResources(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	rt := rid("rg1", "routeTables", "rt1")
	f.put(nsg, `{"location":"westus2"}`)
	f.put(rt, `{"location":"westus2","properties":{"routes":[{"name":"r","properties":{"addressPrefix":"0.0.0.0/0","nextHopType":"Internet"}}]}}`)
	f.put(rid("rg1", "virtualNetworks", "vnet1")+"/subnets/app", `{"properties":{"addressPrefix":"10.0.1.0/24","networkSecurityGroup":{"id":"`+nsg+`"},"routeTable":{"id":"`+rt+`"}}}`)
	f.put(rid("rg1", "publicIPAddresses", "pip1"), `{"location":"westus2","sku":{"name":"Standard"},"properties":{"dnsSettings":{"domainNameLabel":"gone"}}}`)
	f.put(rid("rg1", "networkInterfaces", "nic1"), `{"location":"westus2","properties":{"networkSecurityGroup":{"id":"`+nsg+`"},"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"`+
		rid("rg1", "virtualNetworks", "vnet1")+`/subnets/app"},"publicIPAddress":{"id":"`+rid("rg1", "publicIPAddresses", "pip1")+`"}}}]}}`)

	r := f.s.Do(http.MethodDelete, "/subscriptions/"+fxSub+"/resourcegroups/rg1", fxRGAPI, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete group: %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := f.s.Do(http.MethodGet, "/subscriptions/"+fxSub+"/resourcegroups/rg1", fxRGAPI, nil)
		if g.Status == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group not deleted: %d %s", g.Status, g.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Everything went, including the DNS label reservation.
	f.group("rg2")
	p := f.put(rid("rg2", "publicIPAddresses", "pip1"), `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"gone"}}}`)
	if p["properties"].(map[string]any)["dnsSettings"].(map[string]any)["fqdn"] != "gone.westus2.cloudapp.azure.com" {
		t.Fatalf("label: %v", p)
	}
}

func TestNetworkInterfaceConcurrency(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	subnet := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/default"
	f.put(rid("rg1", "publicIPAddresses", "shared"), `{"location":"westus2"}`)
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	f.put(nsg, `{"location":"westus2"}`)

	// Eight NICs at once get eight different addresses; two of them race
	// for one public IP and exactly one wins.
	const n = 8
	type result struct {
		status int
		code   string
		ip     string
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			ipc := map[string]any{"subnet": map[string]string{"id": subnet}}
			if i < 2 {
				ipc["publicIPAddress"] = map[string]string{"id": rid("rg1", "publicIPAddresses", "shared")}
			}
			b, _ := json.Marshal(map[string]any{"location": fxLoc, "properties": map[string]any{
				"networkSecurityGroup": map[string]string{"id": nsg},
				"ipConfigurations":     []any{map[string]any{"name": "ipconfig1", "properties": ipc}},
			}})
			r := f.s.Do(http.MethodPut, rid("rg1", "networkInterfaces", "nic"+string(rune('a'+i))), fxAPI, b)
			res := result{status: r.Status, code: r.ErrorCode()}
			if r.Status == http.StatusCreated {
				p := r.JSON()["properties"].(map[string]any)
				res.ip, _ = p["ipConfigurations"].([]any)[0].(map[string]any)["properties"].(map[string]any)["privateIPAddress"].(string)
			}
			results <- res
		}()
	}
	ips := map[string]bool{}
	inUse := 0
	for range n {
		r := <-results
		switch {
		case r.status == http.StatusCreated:
			if ips[r.ip] || r.ip == "" {
				t.Fatalf("address %q given twice", r.ip)
			}
			ips[r.ip] = true
		case r.code == "PublicIPAddressInUse":
			inUse++
		default:
			t.Fatalf("unexpected result %+v", r)
		}
	}
	if inUse != 1 || len(ips) != n-1 {
		t.Fatalf("%d created, %d refused for the shared public IP", len(ips), inUse)
	}

	// The NSG is now in use by the NICs.
	e := f.mustFail(http.MethodDelete, nsg, "", http.StatusBadRequest, "InUseNetworkSecurityGroupCannotBeDeleted")
	if !strings.Contains(e["message"].(string), rid("rg1", "networkInterfaces", "nicc")+", ") {
		t.Fatalf("message %v", e["message"])
	}
	got := f.s.Do(http.MethodGet, nsg, fxAPI, nil).JSON()
	if nis := got["properties"].(map[string]any)["networkInterfaces"].([]any); len(nis) != n-1 {
		t.Fatalf("networkInterfaces back-refs: %d", len(nis))
	}
}
