package privatelink

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestPrivateLinkServiceValidation(t *testing.T) {
	e := start(t)
	e.group(sub1, "rg")
	vnet := e.vnet(sub1, "rg", "vnet", "0")
	lb := e.loadBalancer(sub1, "rg", "lb", vnet, "Standard")
	basic := e.loadBalancer(sub1, "rg", "basic", vnet, "Basic")
	nat := func(name string, primary bool, subnet string) map[string]any {
		return map[string]any{"name": name, "properties": map[string]any{"subnet": map[string]any{"id": vnet + "/subnets/" + subnet}, "primary": primary}}
	}
	cases := []struct {
		name, code, msg string
		mod             func(p map[string]any)
	}{
		{"basic load balancer", "PrivateLinkServiceIsNotSupportedForBasicLoadBalancer", "Basic", func(p map[string]any) {
			p["loadBalancerFrontendIpConfigurations"] = []any{map[string]any{"id": basic + "/frontendIPConfigurations/fe"}}
		}},
		{"public frontend", "PrivateLinkServiceIsNotSupportedForPublicFrontendIpConfiguration", "pub", func(p map[string]any) {
			p["loadBalancerFrontendIpConfigurations"] = []any{map[string]any{"id": lb + "/frontendIPConfigurations/pub"}}
		}},
		{"missing frontend", "InvalidResourceReference", "frontendIPConfigurations/nope", func(p map[string]any) {
			p["loadBalancerFrontendIpConfigurations"] = []any{map[string]any{"id": lb + "/frontendIPConfigurations/nope"}}
		}},
		{"no frontend", "PrivateLinkServiceMustHaveLoadBalancerFrontendIpConfiguration", "", func(p map[string]any) {
			p["loadBalancerFrontendIpConfigurations"] = []any{}
		}},
		{"NAT subnet policies enabled", "PrivateLinkServiceNetworkPoliciesCannotBeEnabledOnPrivateLinkServiceSubnet",
			"Private link service network policies cannot be enabled on private link service subnet " + vnet + "/subnets/natpol", func(p map[string]any) {
				p["ipConfigurations"] = []any{nat("a", true, "natpol")}
			}},
		{"no NAT IP", "PrivateLinkServiceIpConfigurationCountInvalid", "0 IP configurations", func(p map[string]any) {
			p["ipConfigurations"] = []any{}
		}},
		{"nine NAT IPs", "PrivateLinkServiceIpConfigurationCountInvalid", "9 IP configurations", func(p map[string]any) {
			var cs []any
			for i := range 9 {
				cs = append(cs, nat("n"+strconv.Itoa(i), i == 0, "nat"))
			}
			p["ipConfigurations"] = cs
		}},
		{"two primaries", "PrivateLinkServiceMustHaveExactlyOnePrimaryIpConfiguration", "2 primary", func(p map[string]any) {
			p["ipConfigurations"] = []any{nat("a", true, "nat"), nat("b", true, "nat")}
		}},
		{"no primary", "PrivateLinkServiceMustHaveExactlyOnePrimaryIpConfiguration", "0 primary", func(p map[string]any) {
			p["ipConfigurations"] = []any{nat("a", false, "nat"), nat("b", false, "nat")}
		}},
		{"auto-approval outside visibility", "PrivateLinkServiceAutoApprovalSubscriptionNotInVisibility", sub2, func(p map[string]any) {
			p["visibility"] = map[string]any{"subscriptions": []string{sub1}}
			p["autoApproval"] = map[string]any{"subscriptions": []string{sub2}}
		}},
		{"too many visible subscriptions", "PrivateLinkServiceSubscriptionsLimitExceeded", "101", func(p map[string]any) {
			var s []string
			for i := range 101 {
				s = append(s, "00000000-0000-0000-0000-"+strings.Repeat("0", 9)+strconv.Itoa(100+i))
			}
			p["visibility"] = map[string]any{"subscriptions": s}
		}},
		{"IPv6 NAT IP", "PrivateLinkServiceIpConfigurationOnlySupportsIPv4", "", func(p map[string]any) {
			c := nat("a", true, "nat")
			c["properties"].(map[string]any)["privateIPAddressVersion"] = "IPv6"
			p["ipConfigurations"] = []any{c}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.fails(http.StatusBadRequest, tc.code, tc.msg, http.MethodPut, netPath(sub1, "rg", "privateLinkServices", "bad"), plsBody(lb, vnet, tc.mod))
		})
	}
	// Nothing was left behind by the failures.
	if n := len(e.get(rgPath(sub1, "rg") + "/providers/Microsoft.Network/networkInterfaces")["value"].([]any)); n != 0 {
		t.Fatalf("failed creates left %d network interfaces", n)
	}

	// "*" in visibility allows any auto-approval list; 8 NAT IPs are fine,
	// static and dynamic; the alias has Azure's format and stays put.
	pls := netPath(sub1, "rg", "privateLinkServices", "MyPls")
	body := plsBody(lb, vnet, func(p map[string]any) {
		var cs []any
		for i := range 8 {
			c := nat("n"+strconv.Itoa(i), i == 0, "nat")
			if i == 1 {
				c["properties"].(map[string]any)["privateIPAddress"] = "10.0.1.100"
			}
			cs = append(cs, c)
		}
		p["ipConfigurations"] = cs
		p["visibility"] = map[string]any{"subscriptions": []string{"*"}}
		p["autoApproval"] = map[string]any{"subscriptions": []string{sub2}}
		p["enableProxyProtocol"] = true
	})
	e.must(http.StatusCreated, http.MethodPut, pls, body)
	got := e.get(pls)
	alias := str(got, "properties", "alias")
	if !regexp.MustCompile(`^MyPls\.[0-9a-f-]{36}\.eastus\.azure\.privatelinkservice$`).MatchString(alias) {
		t.Fatalf("alias %q", alias)
	}
	if str(got, "properties", "ipConfigurations", 1, "properties", "privateIPAddress") != "10.0.1.100" ||
		str(got, "properties", "ipConfigurations", 1, "properties", "privateIPAllocationMethod") != "Static" ||
		str(got, "properties", "ipConfigurations", 0, "properties", "privateIPAddress") != "10.0.1.4" {
		t.Fatalf("NAT IPs: %v", dig(got, "properties", "ipConfigurations"))
	}
	if dig(got, "properties", "enableProxyProtocol") != true {
		t.Fatalf("enableProxyProtocol lost: %v", got)
	}
	// Update: alias unchanged; NAT IPs cannot be removed.
	body["properties"].(map[string]any)["fqdns"] = []string{"x.example"}
	e.must(http.StatusOK, http.MethodPut, pls, body)
	if a := str(e.get(pls), "properties", "alias"); a != alias {
		t.Fatalf("alias changed %q -> %q", alias, a)
	}
	body["properties"].(map[string]any)["ipConfigurations"] = body["properties"].(map[string]any)["ipConfigurations"].([]any)[:7]
	e.fails(http.StatusBadRequest, "PrivateLinkServiceIpConfigurationCannotBeDeleted", "n7", http.MethodPut, pls, body)

	// Eight private link services per load balancer.
	for i := 1; i < 8; i++ {
		e.must(http.StatusCreated, http.MethodPut, netPath(sub1, "rg", "privateLinkServices", "p"+strconv.Itoa(i)), plsBody(lb, vnet, nil))
	}
	e.fails(http.StatusBadRequest, "LoadBalancerCannotBeReferencedByMoreThanMaxPrivateLinkServices", "8",
		http.MethodPut, netPath(sub1, "rg", "privateLinkServices", "p9"), plsBody(lb, vnet, nil))
}

func TestPrivateLinkServiceNIC(t *testing.T) {
	w := newWorld(t, nil)
	pls := w.get(w.pls)
	nicID := str(pls, "properties", "networkInterfaces", 0, "id")
	if !regexp.MustCompile(`/networkInterfaces/pls\.nic\.[0-9a-f-]{36}$`).MatchString(nicID) {
		t.Fatalf("nic id %q", nicID)
	}
	nic := w.get(nicID)
	natIP := str(pls, "properties", "ipConfigurations", 0, "properties", "privateIPAddress")
	if str(nic, "properties", "privateLinkService", "id") != w.pls || str(nic, "properties", "ipConfigurations", 0, "properties", "privateIPAddress") != natIP || natIP == "" {
		t.Fatalf("nic %v (NAT IP %s)", nic, natIP)
	}
	// The interface shows in the group and in the NAT subnet.
	subnet := w.get(w.provVNet + "/subnets/nat")
	if !strings.Contains(string(mustJSON(subnet)), "pls.nic.") {
		t.Fatalf("subnet does not list the NAT interface: %v", subnet)
	}
	w.fails(http.StatusBadRequest, "CannotModifyNicAttachedToPrivateLinkService", "It can not be modified by user",
		http.MethodPut, nicID, map[string]any{"location": loc, "properties": nic["properties"]})
	w.fails(http.StatusBadRequest, "NicInUse", w.pls, http.MethodDelete, nicID, nil)
	// Tags can be patched, as in Azure.
	w.must(http.StatusOK, http.MethodPatch, nicID, map[string]any{"tags": map[string]string{"a": "b"}})

	// Deleting the service deletes its interface and frees the NAT IP.
	w.must(http.StatusAccepted, http.MethodDelete, w.pls, nil)
	if r := w.Do(http.MethodGet, nicID, v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("nic after delete: %d", r.Status)
	}
	w.must(http.StatusCreated, http.MethodPut, w.pls, plsBody(w.lb, w.provVNet, nil))
	if ip := str(w.get(w.pls), "properties", "ipConfigurations", 0, "properties", "privateIPAddress"); ip != natIP {
		t.Fatalf("NAT IP not freed: got %s, want %s again", ip, natIP)
	}
}

func TestEndpointLifecycle(t *testing.T) {
	w := newWorld(t, func(p map[string]any) { p["visibility"] = map[string]any{"subscriptions": []string{}} })
	alias := str(w.get(w.pls), "properties", "alias")
	pe1 := netPath(sub1, "rgc", "privateEndpoints", "pe1")

	// Same subscription, automatic: approved at once.
	w.must(http.StatusCreated, http.MethodPut, pe1, peBody(w.cons1+"/subnets/pe", w.pls, false, nil))
	pe := w.get(pe1)
	st := dig(pe, "properties", "privateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState")
	if str(st, "status") != "Approved" || str(st, "description") != "Auto-approved" || str(st, "actionsRequired") != "None" {
		t.Fatalf("auto connection state %v", st)
	}
	nicID := str(pe, "properties", "networkInterfaces", 0, "id")
	if !regexp.MustCompile(`/networkInterfaces/pe1\.nic\.[0-9a-f-]{36}$`).MatchString(nicID) {
		t.Fatalf("nic %q", nicID)
	}
	nic := w.get(nicID)
	ip := str(nic, "properties", "ipConfigurations", 0, "properties", "privateIPAddress")
	if ip != "10.0.2.4" || str(nic, "properties", "privateEndpoint", "id") != pe1 {
		t.Fatalf("endpoint nic %v", nic)
	}
	if str(pe, "properties", "customDnsConfigs", 0, "fqdn") != "app.contoso.internal" || str(pe, "properties", "customDnsConfigs", 0, "ipAddresses", 0) != ip {
		t.Fatalf("customDnsConfigs %v", dig(pe, "properties", "customDnsConfigs"))
	}
	w.fails(http.StatusBadRequest, "CannotModifyNicAttachedToPrivateEndpoint", "is attached to private endpoint "+pe1+". It can not be modified by user.",
		http.MethodPut, nicID, map[string]any{"location": loc, "properties": nic["properties"]})

	// linkIdentifier on both sides.
	conns := w.get(w.pls + "/privateEndpointConnections")["value"].([]any)
	if len(conns) != 1 || str(conns[0], "properties", "privateEndpoint", "id") != pe1 ||
		!regexp.MustCompile(`^pe1\.[0-9a-f-]{36}$`).MatchString(str(conns[0], "name")) {
		t.Fatalf("owner-side connections %v", conns)
	}
	_, in, err := DecodeEndpoint(w.record(pe1))
	if err != nil {
		t.Fatal(err)
	}
	if lid := str(conns[0], "properties", "linkIdentifier"); lid == "" || lid != strconv.FormatUint(uint64(in.LinkIdentifier), 10) {
		t.Fatalf("linkIdentifier %q vs endpoint's %d", lid, in.LinkIdentifier)
	}
	if str(conns[0], "properties", "privateEndpointLocation") != loc {
		t.Fatalf("privateEndpointLocation %v", conns[0])
	}

	// Second subscription: not visible; alias only in manual connections.
	pe2 := netPath(sub2, "rgx", "privateEndpoints", "pe2")
	w.fails(http.StatusBadRequest, "PrivateLinkServiceNotVisible", "is not visible to subscription "+sub2, http.MethodPut, pe2,
		peBody(w.cons2+"/subnets/pe", alias, true, nil))
	w.fails(http.StatusBadRequest, "PrivateLinkServiceAliasNotSupportedInAutoApprovalConnection", alias, http.MethodPut, pe2,
		peBody(w.cons2+"/subnets/pe", alias, false, nil))
	w.fails(http.StatusBadRequest, "PrivateLinkServiceNotFound", "nope", http.MethodPut, pe2,
		peBody(w.cons2+"/subnets/pe", "nope.00000000-0000-0000-0000-000000000000.eastus.azure.privatelinkservice", true, nil))
	w.fails(http.StatusBadRequest, "RequestMessageTooLong", "140", http.MethodPut, pe2,
		peBody(w.cons2+"/subnets/pe", w.pls, true, func(c, _ map[string]any) { c["requestMessage"] = strings.Repeat("x", 141) }))
	// A failed create leaves nothing behind.
	w.fails(http.StatusBadRequest, "PrivateIPAddressNotInSubnet", "", http.MethodPut, pe1+"x",
		peBody(w.cons1+"/subnets/pe", w.pls, false, func(_, p map[string]any) {
			p["ipConfigurations"] = []any{map[string]any{"name": "s", "properties": map[string]any{"privateIPAddress": "10.9.9.9"}}}
		}))
	if n := len(w.get(w.pls + "/privateEndpointConnections")["value"].([]any)); n != 1 {
		t.Fatalf("failed create left a connection (%d)", n)
	}
	if n := len(w.get(rgPath(sub1, "rgc") + "/providers/Microsoft.Network/networkInterfaces")["value"].([]any)); n != 1 {
		t.Fatalf("failed create left network interfaces (%d)", n)
	}

	// Visible now: manual by alias from the other subscription is Pending.
	plsBodyVisible := plsBody(w.lb, w.provVNet, func(p map[string]any) { p["visibility"] = map[string]any{"subscriptions": []string{sub2}} })
	w.must(http.StatusOK, http.MethodPut, w.pls, plsBodyVisible)
	w.must(http.StatusCreated, http.MethodPut, pe2, peBody(w.cons2+"/subnets/pe", alias, true, func(_, p map[string]any) {
		p["ipConfigurations"] = []any{map[string]any{"name": "static", "properties": map[string]any{"privateIPAddress": "10.0.2.50", "groupId": "", "memberName": ""}}}
		p["customNetworkInterfaceName"] = "pe2-nic"
	}))
	got := w.get(pe2)
	st = dig(got, "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState")
	if str(st, "status") != "Pending" || str(st, "description") != "Awaiting approval" {
		t.Fatalf("manual state %v", st)
	}
	if str(got, "properties", "networkInterfaces", 0, "id") != netPath(sub2, "rgx", "networkInterfaces", "pe2-nic") ||
		str(got, "properties", "ipConfigurations", 0, "properties", "privateIPAddress") != "10.0.2.50" {
		t.Fatalf("static endpoint %v", got)
	}
	// The custom interface name cannot change.
	w.fails(http.StatusBadRequest, "NameOfExistingPrivateEndpointNicCannotBeChanged", "contains existing NIC name pe2-nic", http.MethodPut, pe2,
		peBody(w.cons2+"/subnets/pe", alias, true, func(_, p map[string]any) {
			p["ipConfigurations"] = []any{map[string]any{"name": "static", "properties": map[string]any{"privateIPAddress": "10.0.2.50"}}}
		}))

	// Owner approves, rejects; a rejected connection stays rejected.
	var connID string
	for _, c := range w.get(w.pls + "/privateEndpointConnections")["value"].([]any) {
		if str(c, "properties", "privateEndpoint", "id") == pe2 {
			connID = str(c, "id")
		}
	}
	set := func(status, desc string) map[string]any {
		return map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": status, "description": desc}}}
	}
	r := w.must(http.StatusOK, http.MethodPut, connID, set("Approved", "ok by owner"))
	if str(r.JSON(), "properties", "privateLinkServiceConnectionState", "status") != "Approved" {
		t.Fatalf("approve answer %s", r.Body)
	}
	st = dig(w.get(pe2), "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState")
	if str(st, "status") != "Approved" || str(st, "description") != "ok by owner" {
		t.Fatalf("consumer after approval %v", st)
	}
	w.must(http.StatusOK, http.MethodPut, connID, set("Rejected", "no"))
	if s := str(w.get(pe2), "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Rejected" {
		t.Fatalf("consumer after rejection %s", s)
	}
	w.fails(http.StatusBadRequest, "CannotChangeRejectedPrivateEndpointConnection", "", http.MethodPut, connID, set("Approved", "again"))
	w.fails(http.StatusBadRequest, "InvalidPrivateEndpointConnectionStatus", "", http.MethodPut, connID, set("Maybe", ""))

	// Deleting the service is refused while connections exist.
	w.fails(http.StatusBadRequest, "CannotDeletePrivateLinkServiceWithPrivateEndpointConnections", "", http.MethodDelete, w.pls, nil)

	// Owner removes the connection: the consumer sees Disconnected.
	w.must(http.StatusAccepted, http.MethodDelete, connID, nil)
	if s := str(w.get(pe2), "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Disconnected" {
		t.Fatalf("consumer after removal %s", s)
	}
	// Deleting the endpoints cleans interface, address and connection.
	w.must(http.StatusAccepted, http.MethodDelete, pe2, nil)
	w.must(http.StatusAccepted, http.MethodDelete, pe1, nil)
	if r := w.Do(http.MethodGet, nicID, v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("endpoint nic after delete: %d", r.Status)
	}
	if n := len(w.get(w.pls + "/privateEndpointConnections")["value"].([]any)); n != 0 {
		t.Fatalf("connections after endpoint delete: %d", n)
	}
	if sn := w.get(w.cons1 + "/subnets/pe"); dig(sn, "properties", "ipConfigurations") != nil || dig(sn, "properties", "privateEndpoints") != nil {
		t.Fatalf("subnet still used: %v", sn)
	}
	// The address is free again.
	w.must(http.StatusCreated, http.MethodPut, pe1, peBody(w.cons1+"/subnets/pe", w.pls, false, nil))
	if ip2 := str(w.get(str(w.get(pe1), "properties", "networkInterfaces", 0, "id")), "properties", "ipConfigurations", 0, "properties", "privateIPAddress"); ip2 != ip {
		t.Fatalf("address not released: %s, want %s", ip2, ip)
	}
	w.must(http.StatusAccepted, http.MethodDelete, pe1, nil)
	w.must(http.StatusAccepted, http.MethodDelete, w.pls, nil)
}

func TestAutoApprovalAndVisibilityCalls(t *testing.T) {
	w := newWorld(t, func(p map[string]any) {
		p["visibility"] = map[string]any{"subscriptions": []string{sub2}}
		p["autoApproval"] = map[string]any{"subscriptions": []string{sub2}}
	})
	alias := str(w.get(w.pls), "properties", "alias")
	// Manual request from an auto-approved subscription: approved at once.
	pe2 := netPath(sub2, "rgx", "privateEndpoints", "pe2")
	w.must(http.StatusCreated, http.MethodPut, pe2, peBody(w.cons2+"/subnets/pe", alias, true, nil))
	if s := str(w.get(pe2), "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "description"); s != "Auto-approved" {
		t.Fatalf("auto-approved manual connection: %s", s)
	}
	for _, tc := range []struct {
		sub     string
		visible bool
	}{{sub1, true}, {sub2, true}, {"00000000-0000-0000-0000-000000000003", false}} {
		for _, scope := range []string{"/subscriptions/" + tc.sub, rgPath(tc.sub, "any")} {
			r := w.must(http.StatusOK, http.MethodPost, scope+"/providers/Microsoft.Network/locations/eastus/checkPrivateLinkServiceVisibility",
				map[string]any{"privateLinkServiceAlias": alias})
			if dig(r.JSON(), "visible") != tc.visible {
				t.Fatalf("%s visible: %s", scope, r.Body)
			}
		}
	}
	r := w.must(http.StatusOK, http.MethodPost, "/subscriptions/"+sub2+"/providers/Microsoft.Network/locations/eastus/checkPrivateLinkServiceVisibility",
		map[string]any{"privateLinkServiceAlias": "x.00000000-0000-0000-0000-000000000000.eastus.azure.privatelinkservice"})
	if dig(r.JSON(), "visible") != false {
		t.Fatalf("unknown alias: %s", r.Body)
	}
	for _, tc := range []struct {
		sub, loc string
		want     int
	}{{sub2, "eastus", 1}, {sub1, "eastus", 0}, {sub2, "westus", 0}} {
		got := w.get("/subscriptions/" + tc.sub + "/providers/Microsoft.Network/locations/" + tc.loc + "/autoApprovedPrivateLinkServices")["value"].([]any)
		if len(got) != tc.want || (tc.want == 1 && str(got[0], "privateLinkService") != w.pls) {
			t.Fatalf("autoApproved %s/%s: %v", tc.sub, tc.loc, got)
		}
	}
	if got := w.get(rgPath(sub2, "rgx") + "/providers/Microsoft.Network/locations/eastus/autoApprovedPrivateLinkServices")["value"].([]any); len(got) != 1 {
		t.Fatalf("autoApproved by resource group: %v", got)
	}
}

func TestZoneGroups(t *testing.T) {
	w := newWorld(t, nil)
	pe1 := netPath(sub1, "rgc", "privateEndpoints", "pe1")
	w.must(http.StatusCreated, http.MethodPut, pe1, peBody(w.cons1+"/subnets/pe", w.pls, false, nil))
	zone := netPath(sub1, "rgc", "privateDnsZones", "contoso.internal")
	other := netPath(sub1, "rgc", "privateDnsZones", "privatelink.example.com")
	for _, z := range []string{zone, other} {
		r := w.Do(http.MethodPut, z, "2020-06-01", map[string]any{"location": "global"})
		if r.Status != http.StatusCreated {
			t.Fatalf("zone: %d %s", r.Status, r.Body)
		}
		w.Wait(r)
	}
	group := pe1 + "/privateDnsZoneGroups/default"
	cfg := func(z string) map[string]any {
		return map[string]any{"name": "c", "properties": map[string]any{"privateDnsZoneId": z}}
	}
	var six []any
	for range 6 {
		six = append(six, cfg(zone))
	}
	w.fails(http.StatusBadRequest, "PrivateDnsZoneGroupHasTooManyPrivateDnsZoneConfigs", "6", http.MethodPut, group,
		map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": six}})
	w.must(http.StatusCreated, http.MethodPut, group, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": []any{cfg(zone), cfg(other)}}})
	g := w.get(group)
	rs := dig(g, "properties", "privateDnsZoneConfigs", 0, "properties", "recordSets", 0)
	if str(rs, "recordSetName") != "app" || str(rs, "fqdn") != "app.contoso.internal" || str(rs, "ipAddresses", 0) != "10.0.2.4" {
		t.Fatalf("recordSets %v", rs)
	}
	// The FQDN is outside the second zone: the record is named after the endpoint.
	if n := str(g, "properties", "privateDnsZoneConfigs", 1, "properties", "recordSets", 0, "recordSetName"); n != "pe1" {
		t.Fatalf("record in other zone %q", n)
	}
	rec := w.Do(http.MethodGet, zone+"/A/app", "2020-06-01", nil)
	if rec.Status != http.StatusOK || str(rec.JSON(), "properties", "aRecords", 0, "ipv4Address") != "10.0.2.4" ||
		!strings.HasPrefix(str(rec.JSON(), "properties", "metadata", "creator"), "created by private endpoint pe1") {
		t.Fatalf("A record: %d %s", rec.Status, rec.Body)
	}
	// Removing the group removes the records.
	w.must(http.StatusAccepted, http.MethodDelete, group, nil)
	if r := w.Do(http.MethodGet, zone+"/A/app", "2020-06-01", nil); r.Status != http.StatusNotFound {
		t.Fatalf("record after group delete: %d", r.Status)
	}
	// And deleting the endpoint removes them too.
	w.must(http.StatusCreated, http.MethodPut, group, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": []any{cfg(other)}}})
	if r := w.Do(http.MethodGet, other+"/A/pe1", "2020-06-01", nil); r.Status != http.StatusOK {
		t.Fatalf("record: %d", r.Status)
	}
	w.must(http.StatusAccepted, http.MethodDelete, pe1, nil)
	if r := w.Do(http.MethodGet, other+"/A/pe1", "2020-06-01", nil); r.Status != http.StatusNotFound {
		t.Fatalf("record after endpoint delete: %d %s", r.Status, r.Body)
	}
}
