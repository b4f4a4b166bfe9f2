package network_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/providers/network"
)

// nicWithPIP puts a single-ipconfig NIC on subnet, optionally with a public IP.
func (f *fx) nicWithPIP(rg, name, loc, subnetID, pipID string) map[string]any {
	f.t.Helper()
	ipc := map[string]any{"subnet": map[string]string{"id": subnetID}}
	if pipID != "" {
		ipc["publicIPAddress"] = map[string]string{"id": pipID}
	}
	b, _ := json.Marshal(map[string]any{"location": loc, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": ipc}},
	}})
	return f.put(rid(rg, "networkInterfaces", name), string(b))
}

func pipProps(m map[string]any) map[string]any { return m["properties"].(map[string]any) }

func TestPublicIPMatchesAzureExamples(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", "eastus", "10.0.0.0/16", "default=10.0.0.0/24")
	subnet := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/default"
	path := rid("rg1", "publicIPAddresses", "test-ip")

	// Defaults: Basic, Dynamic, IPv4, 4 minutes; no address until associated.
	ex := loadExample(t, "publicip/PublicIpAddressCreateDefaults.json")
	r := f.s.Do(http.MethodPut, path, fxAPI, ex.requestBody(t, "parameters"))
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	got := f.s.Do(http.MethodGet, path, fxAPI, nil).JSON()
	if _, has := pipProps(got)["ipAddress"]; has {
		t.Fatalf("dynamic unassociated public IP has an address: %v", got)
	}
	f.nicWithPIP("rg1", "testDNS649", "eastus", subnet, path)
	got = f.s.Do(http.MethodGet, path, fxAPI, nil).JSON()
	checkSubset(t, ex.Responses["201"].Body, got, "name")
	if got["name"] != "test-ip" {
		t.Fatalf("name %v", got["name"])
	}
	ip := netip.MustParseAddr(pipProps(got)["ipAddress"].(string))
	if !network.PublicIPv4Pool().Contains(ip) {
		t.Fatalf("address %s outside the emulated pool", ip)
	}

	// Detaching a Dynamic public IP gives its address back.
	f.put(rid("rg1", "networkInterfaces", "testDNS649"), `{"location":"eastus","properties":{"ipConfigurations":[{"name":"ipconfig1","properties":{"subnet":{"id":"`+subnet+`"}}}]}}`)
	got = f.s.Do(http.MethodGet, path, fxAPI, nil).JSON()
	if _, has := pipProps(got)["ipAddress"]; has {
		t.Fatalf("detached dynamic public IP keeps its address: %v", pipProps(got))
	}
	if _, has := pipProps(got)["ipConfiguration"]; has {
		t.Fatalf("detached public IP still shows ipConfiguration")
	}
	if d := f.s.Do(http.MethodDelete, path, fxAPI, nil); d.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", d.Status, d.Body)
	}

	// Customized: Standard/Global, Static, zone 1, 10 minutes.
	ex = loadExample(t, "publicip/PublicIpAddressCreateCustomizedValues.json")
	body := ex.Parameters["parameters"].(map[string]any)
	body["zones"] = ex.Parameters["zones"]
	b, _ := json.Marshal(body)
	got = f.put(path, string(b))
	static := pipProps(got)["ipAddress"]
	if static == nil {
		t.Fatalf("static public IP without address: %v", got)
	}
	f.nicWithPIP("rg1", "testDNS649", "eastus", subnet, path)
	got = f.s.Do(http.MethodGet, path, fxAPI, nil).JSON()
	checkSubset(t, ex.Responses["201"].Body, got, "name")
	if pipProps(got)["ipAddress"] != static {
		t.Fatalf("static address changed on association: %v -> %v", static, pipProps(got)["ipAddress"])
	}
}

func TestPublicIPValidation(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	path := rid("rg1", "publicIPAddresses", "pip1")
	cases := []struct {
		name    string
		body    string
		code    string
		message string
	}{
		{"standard dynamic", `{"location":"westus2","sku":{"name":"Standard"},"properties":{"publicIPAllocationMethod":"Dynamic"}}`,
			"StandardSkuPublicIPAddressesMustBeStatic", "Standard sku publicIp " + path + " must have AllocationMethod set to Static."},
		{"basic ipv6 static", `{"location":"westus2","properties":{"publicIPAllocationMethod":"Static","publicIPAddressVersion":"IPv6"}}`,
			"CannotSpecifyPublicIpAllocationMethodAsStaticForIpV6PublicIp", "Cannot specify publicIpAllocationMethod as Static for IPv6 PublicIp"},
		{"idle timeout low", `{"location":"westus2","properties":{"idleTimeoutInMinutes":3}}`, "PublicIPIdleTimeoutIsOutOfRange", "The value must be between 4 and 30."},
		{"idle timeout high", `{"location":"westus2","properties":{"idleTimeoutInMinutes":31}}`, "PublicIPIdleTimeoutIsOutOfRange", "invalid Idle Timeout 31"},
		{"bad sku", `{"location":"westus2","sku":{"name":"Premium"}}`, "InvalidRequestFormat", "Cannot parse the request."},
		{"bad method", `{"location":"westus2","properties":{"publicIPAllocationMethod":"Sticky"}}`, "InvalidRequestFormat", "Cannot parse the request."},
		{"bad version", `{"location":"westus2","properties":{"publicIPAddressVersion":"IPv5"}}`, "InvalidRequestFormat", "Cannot parse the request."},
		{"label upper case", `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"LABexample"}}}`, "InvalidDomainNameLabel",
			"The domain name label LABexample is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$."},
		{"label leading digit", `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"1abc"}}}`, "InvalidDomainNameLabel", "1abc"},
		{"no location", `{"properties":{}}`, "LocationRequired", "location"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := f.mustFail(http.MethodPut, path, tc.body, http.StatusBadRequest, tc.code)
			if msg, _ := e["message"].(string); !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q does not contain %q", msg, tc.message)
			}
			if g := f.s.Do(http.MethodGet, path, fxAPI, nil); g.Status != http.StatusNotFound {
				t.Fatalf("failed put left a public IP: %d", g.Status)
			}
		})
	}
	e := f.mustFail(http.MethodPut, path, `{"location":"westus2","properties":{"publicIPAllocationMethod":"Sticky"}}`, http.StatusBadRequest, "InvalidRequestFormat")
	want := `Error converting value "Sticky" to type 'Microsoft.WindowsAzure.Networking.Nrp.Frontend.Contract.Csm.Public.IpAllocationMethod'. Path 'properties.publicIPAllocationMethod'.`
	if d := e["details"].([]any)[0].(map[string]any); d["code"] != "InvalidJson" || d["message"] != want {
		t.Fatalf("detail %v", d)
	}
}

func TestPublicIPAddressesAndDNS(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.group("rg2")
	seen := map[string]string{}
	for _, rg := range []string{"rg1", "rg2"} {
		for _, n := range []string{"a", "b", "c"} {
			got := f.put(rid(rg, "publicIPAddresses", n), `{"location":"westus2","sku":{"name":"Standard"}}`)
			p := pipProps(got)
			ip, _ := p["ipAddress"].(string)
			if p["publicIPAllocationMethod"] != "Static" || ip == "" {
				t.Fatalf("standard public IP: %v", p)
			}
			if other, dup := seen[ip]; dup {
				t.Fatalf("address %s given to %s and %s/%s", ip, other, rg, n)
			}
			seen[ip] = rg + "/" + n
			if !network.PublicIPv4Pool().Contains(netip.MustParseAddr(ip)) {
				t.Fatalf("address %s outside the pool", ip)
			}
		}
	}
	// An update keeps the address.
	before := pipProps(f.s.Do(http.MethodGet, rid("rg1", "publicIPAddresses", "a"), fxAPI, nil).JSON())["ipAddress"]
	after := pipProps(f.put(rid("rg1", "publicIPAddresses", "a"), `{"location":"westus2","sku":{"name":"Standard"},"properties":{"idleTimeoutInMinutes":30}}`))
	if after["ipAddress"] != before || after["idleTimeoutInMinutes"] != float64(30) {
		t.Fatalf("update: %v -> %v", before, after)
	}
	// An update without sku keeps the Standard sku.
	kept := f.put(rid("rg1", "publicIPAddresses", "a"), `{"location":"westus2","properties":{"publicIPAllocationMethod":"Static"}}`)
	if sku := kept["sku"].(map[string]any); sku["name"] != "Standard" || pipProps(kept)["ipAddress"] != before {
		t.Fatalf("update without sku: %v", kept)
	}
	// A deleted public IP's address is never given to two resources.
	if d := f.s.Do(http.MethodDelete, rid("rg1", "publicIPAddresses", "b"), fxAPI, nil); d.Status != http.StatusAccepted {
		t.Fatalf("delete: %d", d.Status)
	}
	got := pipProps(f.put(rid("rg1", "publicIPAddresses", "d"), `{"location":"westus2","sku":{"name":"Standard"}}`))
	if owner, dup := seen[got["ipAddress"].(string)]; dup && owner != "rg1/b" {
		t.Fatalf("address %v reused while held by %s", got["ipAddress"], owner)
	}
	v6 := pipProps(f.put(rid("rg1", "publicIPAddresses", "v6"), `{"location":"westus2","sku":{"name":"Standard"},"properties":{"publicIPAddressVersion":"IPv6"}}`))
	if ip := netip.MustParseAddr(v6["ipAddress"].(string)); !ip.Is6() || !network.PublicIPv6Pool().Contains(ip) {
		t.Fatalf("IPv6 address %v", v6["ipAddress"])
	}

	// DNS labels: FQDN per region, unique per region.
	p := pipProps(f.put(rid("rg1", "publicIPAddresses", "web"), `{"location":"West US 2","properties":{"dnsSettings":{"domainNameLabel":"myapp"}}}`))
	if dns := p["dnsSettings"].(map[string]any); dns["fqdn"] != "myapp.westus2.cloudapp.azure.com" || dns["domainNameLabel"] != "myapp" {
		t.Fatalf("dns settings: %v", dns)
	}
	e := f.mustFail(http.MethodPut, rid("rg2", "publicIPAddresses", "web"), `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"myapp"}}}`,
		http.StatusBadRequest, "DnsRecordInUse")
	if e["message"] != "DNS record myapp.westus2.cloudapp.azure.com is already used by another public IP." {
		t.Fatalf("message %v", e["message"])
	}
	f.put(rid("rg2", "publicIPAddresses", "web-east"), `{"location":"eastus","properties":{"dnsSettings":{"domainNameLabel":"myapp"}}}`)
	// Changing the label frees the old one.
	f.put(rid("rg1", "publicIPAddresses", "web"), `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"myapp2"}}}`)
	p = pipProps(f.put(rid("rg2", "publicIPAddresses", "web"), `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"myapp"}}}`))
	if p["dnsSettings"].(map[string]any)["fqdn"] != "myapp.westus2.cloudapp.azure.com" {
		t.Fatalf("label not reusable: %v", p)
	}
}

func TestPublicIPLifecycleSDK(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	poller, err := f.pips.BeginCreateOrUpdate(f.ctx, "rg1", "pip1", armnetwork.PublicIPAddress{
		Location: ptr(fxLoc),
		SKU:      &armnetwork.PublicIPAddressSKU{Name: ptr(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: ptr(armnetwork.IPAllocationMethodStatic),
			DNSSettings:              &armnetwork.PublicIPAddressDNSSettings{DomainNameLabel: ptr("pip1-label")},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := poller.PollUntilDone(f.ctx, &runtimePoll)
	if err != nil {
		t.Fatal(err)
	}
	p := created.Properties
	if val(p.IPAddress) == "" || val(p.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || val(created.SKU.Tier) != armnetwork.PublicIPAddressSKUTierRegional ||
		val(p.DNSSettings.Fqdn) != "pip1-label.westus2.cloudapp.azure.com" || val(p.IdleTimeoutInMinutes) != 4 || val(p.PublicIPAddressVersion) != armnetwork.IPVersionIPv4 {
		t.Fatalf("created: %+v sku %+v", p, created.SKU)
	}
	n := 0
	for pg := f.pips.NewListPager("rg1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("listed %d", n)
	}

	// In use: deleting fails with Azure's error and changes nothing.
	subnet := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/default"
	f.nicWithPIP("rg1", "nic1", fxLoc, subnet, val(created.ID))
	g, err := f.pips.Get(f.ctx, "rg1", "pip1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ipcID := rid("rg1", "networkInterfaces", "nic1") + "/ipConfigurations/ipconfig1"
	if g.Properties.IPConfiguration == nil || val(g.Properties.IPConfiguration.ID) != ipcID {
		t.Fatalf("ipConfiguration back-ref: %+v", g.Properties.IPConfiguration)
	}
	_, err = f.pips.BeginDelete(f.ctx, "rg1", "pip1", nil)
	if errCode(err) != "PublicIPAddressCannotBeDeleted" {
		t.Fatalf("delete in use: %v", err)
	}
	want := "Public IP address " + val(created.ID) + " can not be deleted since it is still allocated to resource " + ipcID +
		". In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see aka.ms/deletepublicip."
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message: %v", err)
	}
	g2, err := f.pips.Get(f.ctx, "rg1", "pip1", nil)
	if err != nil || val(g2.Etag) != val(g.Etag) || val(g2.Properties.IPAddress) != val(p.IPAddress) {
		t.Fatalf("failed delete changed the public IP: %v", err)
	}

	// Deleting the NIC, then the public IP.
	dn, err := f.nics.BeginDelete(f.ctx, "rg1", "nic1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dn.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	dp, err := f.pips.BeginDelete(f.ctx, "rg1", "pip1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pips.Get(f.ctx, "rg1", "pip1", nil); errCode(err) != "ResourceNotFound" {
		t.Fatalf("after delete: %v", err)
	}
	// Its DNS label is free again.
	f.put(rid("rg1", "publicIPAddresses", "pip2"), `{"location":"westus2","properties":{"dnsSettings":{"domainNameLabel":"pip1-label"}}}`)
}
