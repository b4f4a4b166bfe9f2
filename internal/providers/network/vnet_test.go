package network

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/arm"
)

func TestVirtualNetworkLifecycleSDK(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")

	v := e.createVNet(t, "rg1", "vnet1", []string{"10.0.0.0/16"},
		&armnetwork.Subnet{Name: to("a"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")}},
		&armnetwork.Subnet{Name: to("b"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefixes: toSlice("10.0.2.0/24", "10.0.3.0/24")}},
	)
	if deref(v.ID) != vnetID("rg1", "vnet1") || deref(v.Type) != vnetType || deref(v.Location) != "westus2" {
		t.Fatalf("vnet envelope: %s %s %s", deref(v.ID), deref(v.Type), deref(v.Location))
	}
	if !strings.HasPrefix(deref(v.Etag), `W/"`) {
		t.Fatalf("etag %q", deref(v.Etag))
	}
	p := v.Properties
	if deref(p.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || deref(p.ResourceGUID) == "" || deref(p.EnableDdosProtection) {
		t.Fatalf("vnet properties: state %v guid %v ddos %v", deref(p.ProvisioningState), deref(p.ResourceGUID), deref(p.EnableDdosProtection))
	}
	if len(p.Subnets) != 2 || deref(p.Subnets[0].ID) != subnetID("rg1", "vnet1", "a") ||
		deref(p.Subnets[0].Properties.AddressPrefix) != "10.0.1.0/24" || len(p.Subnets[1].Properties.AddressPrefixes) != 2 {
		t.Fatalf("inline subnets: %+v", p.Subnets)
	}
	if p.VirtualNetworkPeerings == nil || len(p.VirtualNetworkPeerings) != 0 {
		t.Fatalf("peerings: %v", p.VirtualNetworkPeerings)
	}
	guid := deref(p.ResourceGUID)

	// Subnets are resources of their own.
	sn, err := e.subnets.Get(ctx, "rg1", "vnet1", "a", nil)
	if err != nil || deref(sn.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded ||
		deref(sn.Type) != subnetType || deref(sn.Properties.PrivateEndpointNetworkPolicies) != armnetwork.VirtualNetworkPrivateEndpointNetworkPoliciesDisabled ||
		deref(sn.Properties.PrivateLinkServiceNetworkPolicies) != armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesEnabled {
		t.Fatalf("subnet get: %+v %v", sn, err)
	}

	// Listing with paging (the server pages every 2 items).
	e.createVNet(t, "rg1", "vnet2", []string{"10.1.0.0/16"})
	e.createVNet(t, "rg1", "vnet3", []string{"10.2.0.0/16"})
	var names []string
	pager := e.vnets.NewListPager("rg1", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			names = append(names, deref(v.Name))
		}
	}
	if strings.Join(names, ",") != "vnet1,vnet2,vnet3" {
		t.Fatalf("list: %v", names)
	}
	all := 0
	allPager := e.vnets.NewListAllPager(nil)
	for allPager.More() {
		page, err := allPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all += len(page.Value)
	}
	if all != 3 {
		t.Fatalf("list all: %d", all)
	}

	// Update: add a prefix, keep the subnets; resourceGuid stays, etag changes.
	v2, err := e.putVNet("rg1", "vnet1", []string{"10.0.0.0/16", "10.10.0.0/16"},
		&armnetwork.Subnet{Name: to("a"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")}},
		&armnetwork.Subnet{Name: to("b"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefixes: toSlice("10.0.2.0/24", "10.0.3.0/24")}},
		&armnetwork.Subnet{Name: to("c"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.10.0.0/24")}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if deref(v2.Properties.ResourceGUID) != guid || deref(v2.Etag) == deref(v.Etag) || len(v2.Properties.Subnets) != 3 {
		t.Fatalf("update: guid %s etag %s subnets %d", deref(v2.Properties.ResourceGUID), deref(v2.Etag), len(v2.Properties.Subnets))
	}

	// PATCH updates tags only.
	tagged, err := e.vnets.UpdateTags(ctx, "rg1", "vnet1", armnetwork.TagsObject{Tags: map[string]*string{"team": to("net")}}, nil)
	if err != nil || deref(tagged.Tags["team"]) != "net" || len(tagged.Properties.Subnets) != 3 {
		t.Fatalf("update tags: %+v %v", tagged, err)
	}

	// A PUT without subnets removes them, as in Azure.
	v3, err := e.putVNet("rg1", "vnet1", []string{"10.0.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	if len(v3.Properties.Subnets) != 0 {
		t.Fatalf("subnets kept: %d", len(v3.Properties.Subnets))
	}
	_, err = e.subnets.Get(ctx, "rg1", "vnet1", "a", nil)
	wantCode(t, err, "NotFound")

	// Delete.
	dp, err := e.vnets.BeginDelete(ctx, "rg1", "vnet1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	_, err = e.vnets.Get(ctx, "rg1", "vnet1", nil)
	wantCode(t, err, "ResourceNotFound")
}

func TestVirtualNetworkValidation(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	base := "/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/"
	cases := []struct {
		name, vnet, body, code, msg string
	}{
		{"host bits", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.1/16"]}}}`,
			"InvalidCIDRNotation", "For the given prefix length, the address prefix should be 10.0.0.0/16."},
		{"not cidr", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0"]}}}`,
			"InvalidAddressPrefixFormat", "Address prefix 10.0.0.0 of resource " + vnetID("rg1", "v1") + " is not formatted correctly."},
		{"garbage prefix", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["ten/8"]}}}`,
			"InvalidAddressPrefixFormat", "It should follow CIDR notation"},
		{"own overlap", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16","10.0.128.0/17"]}}}`,
			"NetcfgInvalidVirtualNetworkSite", "10.0.128.0/17 overlaps with address prefix 10.0.0.0/16"},
		{"bad dns", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"dhcpOptions":{"dnsServers":["10.0.0.300"]}}}`,
			"InvalidDnsServerIpAddress", "10.0.0.300"},
		{"subnet outside", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s","properties":{"addressPrefix":"10.1.0.0/24"}}]}}`,
			"NetcfgSubnetRangeOutsideVnet", "Subnet 's' is not valid because its IP address range is outside the IP address range of virtual network 'v1'."},
		{"subnets overlap", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s1","properties":{"addressPrefix":"10.0.0.0/24"}},{"name":"s2","properties":{"addressPrefix":"10.0.0.128/25"}}]}}`,
			"NetcfgSubnetRangesOverlap", "Subnet 's2' is not valid because its IP address range overlaps with that of an existing subnet in virtual network 'v1'."},
		{"subnet too small", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s","properties":{"addressPrefix":"10.0.0.0/30"}}]}}`,
			"NetcfgInvalidSubnet", "Subnet 's' is not valid in virtual network 'v1'."},
		{"subnet without prefix", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s","properties":{}}]}}`,
			"NetcfgInvalidSubnet", "not valid"},
		{"subnet host bits", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s","properties":{"addressPrefix":"10.0.0.9/24"}}]}}`,
			"InvalidCIDRNotation", "resource " + subnetID("rg1", "v1", "s")},
		{"subnet without name", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"properties":{"addressPrefix":"10.0.0.0/24"}}]}}`,
			"InvalidRequestFormat", "name"},
		{"bad name", "-v", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}`,
			"InvalidResourceName", "Resource name -v is invalid."},
		{"no location", "v1", `{"properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}`,
			"LocationRequired", ""},
		{"wrong type", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":"10.0.0.0/16"}}}`,
			"InvalidRequestContent", ""},
		{"bad policy", "v1", `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"s","properties":{"addressPrefix":"10.0.0.0/24","privateEndpointNetworkPolicies":"Sometimes"}}]}}`,
			"InvalidRequestFormat", "privateEndpointNetworkPolicies"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.s.Do(http.MethodPut, base+c.vnet, netAPI, c.body)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != c.code {
				t.Fatalf("status %d code %q, want 400 %q: %s", r.Status, r.ErrorCode(), c.code, r.Body)
			}
			if r.Header.Get("x-ms-error-code") != c.code {
				t.Fatalf("x-ms-error-code %q", r.Header.Get("x-ms-error-code"))
			}
			msg, _ := r.JSON()["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q does not contain %q", msg, c.msg)
			}
			// Nothing was written.
			if g := e.s.Do(http.MethodGet, base+c.vnet, netAPI, nil); g.Status != http.StatusNotFound {
				t.Fatalf("partial write: %d %s", g.Status, g.Body)
			}
		})
	}
}

func TestVirtualNetworkAddressSpaceChange(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	sub := func(name, prefix string) *armnetwork.Subnet {
		return &armnetwork.Subnet{Name: to(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to(prefix)}}
	}
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16", "10.1.0.0/16"}, sub("a", "10.0.1.0/24"), sub("b", "10.1.1.0/24"))
	// Removing the prefix that holds subnet b while keeping b fails.
	_, err := e.putVNet("rg1", "v", []string{"10.0.0.0/16"}, sub("a", "10.0.1.0/24"), sub("b", "10.1.1.0/24"))
	wantCode(t, err, "NetcfgSubnetRangeOutsideVnet")
	// A subnet added on its own must fit too.
	_, err = e.putSubnet("rg1", "v", "c", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.2.0.0/24")})
	wantCode(t, err, "NetcfgSubnetRangeOutsideVnet")
	// Shrinking a prefix while it still contains the subnets works.
	v, err := e.putVNet("rg1", "v", []string{"10.0.0.0/20", "10.1.0.0/20"}, sub("a", "10.0.1.0/24"), sub("b", "10.1.1.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	if got := deref(v.Properties.AddressSpace.AddressPrefixes[0]); got != "10.0.0.0/20" {
		t.Fatalf("prefix %s", got)
	}
	// Replacing a subnet by another with the same range in one PUT works:
	// the set is validated as a whole.
	v, err = e.putVNet("rg1", "v", []string{"10.0.0.0/20", "10.1.0.0/20"}, sub("a2", "10.0.1.0/24"), sub("b", "10.1.1.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Properties.Subnets) != 2 || deref(v.Properties.Subnets[0].Name) != "a2" {
		t.Fatalf("subnets: %+v", v.Properties.Subnets)
	}
}

func TestVirtualNetworkDhcpAndFlags(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	r := e.s.Do(http.MethodPut, vnetID("rg1", "v"), netAPI,
		`{"location":"West US 2","tags":{"env":"x"},"properties":{"addressSpace":{"addressPrefixes":["192.168.0.0/24"]},"dhcpOptions":{"dnsServers":["10.0.0.4","8.8.8.8"]},"enableDdosProtection":false,"flowTimeoutInMinutes":10}}`)
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if st := e.s.Wait(r); st != "Succeeded" {
		t.Fatalf("op %s", st)
	}
	v, err := e.vnets.Get(context.Background(), "rg1", "v", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := v.Properties
	if len(p.DhcpOptions.DNSServers) != 2 || deref(p.DhcpOptions.DNSServers[1]) != "8.8.8.8" || deref(p.FlowTimeoutInMinutes) != 10 ||
		deref(v.Location) != "westus2" || deref(v.Tags["env"]) != "x" {
		t.Fatalf("vnet: %+v", v)
	}
}

// TestLoadHelpers covers the typed read API the data plane uses.
func TestLoadHelpers(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "A", []string{"10.0.0.0/16", "fd00::/48"},
		&armnetwork.Subnet{Name: to("s"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")}})
	e.createVNet(t, "rg1", "B", []string{"10.1.0.0/16"})
	if _, err := e.putPeering("rg1", "A", "ab", vnetID("rg1", "B")); err != nil {
		t.Fatal(err)
	}
	e.txn(t, func(tx *arm.Txn) error {
		rec, v, err := LoadVirtualNetwork(ctx, tx, vnetID("rg1", "A"))
		if err != nil {
			return err
		}
		if rec == nil || len(v.AddressSpace.AddressPrefixes) != 2 || v.ResourceGUID == "" || v.ProvisioningState != arm.StateSucceeded {
			t.Errorf("vnet: %+v", v)
		}
		if got := VirtualNetworkPrefixes(rec); len(got) != 2 || got[1] != mp("fd00::/48") {
			t.Errorf("prefixes: %v", got)
		}
		_, s, err := LoadSubnet(ctx, tx, subnetID("rg1", "A", "s"))
		if err != nil {
			return err
		}
		if s == nil || s.AddressPrefix != "10.0.1.0/24" || s.PrivateEndpointNetworkPolicies != "Disabled" {
			t.Errorf("subnet: %+v", s)
		}
		_, p, err := LoadPeering(ctx, tx, vnetID("rg1", "A")+"/virtualNetworkPeerings/ab")
		if err != nil {
			return err
		}
		if p == nil || p.PeeringState != PeeringInitiated || !p.AllowVirtualNetworkAccess || !arm.SameID(p.RemoteVirtualNetwork.ID, vnetID("rg1", "B")) {
			t.Errorf("peering: %+v", p)
		}
		for _, missing := range []func() (bool, error){
			func() (bool, error) {
				r, _, err := LoadVirtualNetwork(ctx, tx, vnetID("rg1", "none"))
				return r == nil, err
			},
			func() (bool, error) {
				r, _, err := LoadSubnet(ctx, tx, subnetID("rg1", "A", "none"))
				return r == nil, err
			},
			func() (bool, error) {
				r, _, err := LoadPeering(ctx, tx, vnetID("rg1", "A")+"/virtualNetworkPeerings/none")
				return r == nil, err
			},
		} {
			if ok, err := missing(); !ok || err != nil {
				t.Errorf("missing resource: %v %v", ok, err)
			}
		}
		return nil
	})
}
