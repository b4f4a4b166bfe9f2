package dnsresolver

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

func TestResolverAndEndpoints(t *testing.T) {
	w := newWorld(t)
	res := w.get(w.res)
	if str(res, "properties", "dnsResolverState") != "Connected" || str(res, "properties", "resourceGuid") == "" ||
		str(res, "properties", "provisioningState") != "Succeeded" {
		t.Fatalf("resolver: %v", res)
	}
	in := w.get(w.in)
	if ip := str(in, "properties", "ipConfigurations", 0, "privateIpAddress"); ip != "10.0.0.4" {
		t.Fatalf("inbound address %q, want 10.0.0.4 (first usable)", ip)
	}
	// A second PUT keeps the address.
	w.must(http.StatusOK, http.MethodPut, w.in, map[string]any{"location": loc, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"subnet": ref(w.vnet + "/subnets/in")}}}})
	if ip := str(w.get(w.in), "properties", "ipConfigurations", 0, "privateIpAddress"); ip != "10.0.0.4" {
		t.Fatalf("address after a second PUT: %q", ip)
	}
	// The addresses are reserved in the subnets (IPAM), owned by the
	// endpoints.
	for sn, owner := range map[string]string{"in": w.in, "out": w.out} {
		err := w.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) error {
			allocs, err := network.SubnetAllocations(context.Background(), tx, w.vnet+"/subnets/"+sn)
			if err != nil {
				return err
			}
			if len(allocs) != 1 || !arm.SameID(allocs[0].Owner, owner) || allocs[0].IP.String() != map[string]string{"in": "10.0.0.4", "out": "10.0.0.20"}[sn] {
				t.Errorf("subnet %s reservations: %+v", sn, allocs)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// A second resolver in the same VNet.
	w.fails(http.StatusConflict, "Conflict", "can have only one DNS resolver", http.MethodPut, netPath("rg", "dnsResolvers", "res2"),
		map[string]any{"location": loc, "properties": map[string]any{"virtualNetwork": ref(w.vnet)}})
	// Resolver in another region than its VNet.
	w2 := w.mkVNet("rg", "other", "1", loc)
	w.fails(http.StatusBadRequest, "BadRequest", "same region", http.MethodPut, netPath("rg", "dnsResolvers", "res3"),
		map[string]any{"location": "eastus", "properties": map[string]any{"virtualNetwork": ref(w2)}})
	// Missing VNet.
	w.fails(http.StatusBadRequest, "InvalidResourceReference", "was not found", http.MethodPut, netPath("rg", "dnsResolvers", "res4"),
		map[string]any{"location": loc, "properties": map[string]any{"virtualNetwork": ref(netPath("rg", "virtualNetworks", "nope"))}})

	ep := func(subnet string, extra map[string]any) map[string]any {
		c := map[string]any{"subnet": ref(w.vnet + "/subnets/" + subnet)}
		for k, v := range extra {
			c[k] = v
		}
		return map[string]any{"location": loc, "properties": map[string]any{"ipConfigurations": []any{c}}}
	}
	// Subnet not delegated.
	w.fails(http.StatusBadRequest, "SubnetMissingRequiredDelegation", "requires any of the following delegation(s) [Microsoft.Network/dnsResolvers]",
		http.MethodPut, w.res+"/inboundEndpoints/x", ep("plain", nil))
	// Too large a subnet (/23).
	w.fails(http.StatusBadRequest, "BadRequest", "at least /28 and at most /24 size", http.MethodPut, w.res+"/inboundEndpoints/x", ep("big", nil))
	// A subnet already used by another endpoint (inbound, then outbound).
	w.fails(http.StatusBadRequest, "BadRequest", "not currently in use by any other DNS resolver endpoint", http.MethodPut, w.res+"/inboundEndpoints/x", ep("in", nil))
	w.fails(http.StatusBadRequest, "BadRequest", "could not be used to provision the inbound endpoint", http.MethodPut, w.res+"/inboundEndpoints/x", ep("out", nil))
	w.fails(http.StatusBadRequest, "BadRequest", "could not be used to provision the outbound endpoint", http.MethodPut, w.res+"/outboundEndpoints/x",
		map[string]any{"location": loc, "properties": map[string]any{"subnet": ref(w.vnet + "/subnets/in")}})
	// A subnet of another VNet.
	w.fails(http.StatusBadRequest, "BadRequest", "must belong to the virtual network", http.MethodPut, w.res+"/inboundEndpoints/x",
		map[string]any{"location": loc, "properties": map[string]any{"ipConfigurations": []any{map[string]any{"subnet": ref(w2 + "/subnets/in")}}}})
	// Static address: reserved range, then a valid one.
	w.fails(http.StatusBadRequest, "PrivateIPAddressInReservedRange", "", http.MethodPut, w.res+"/inboundEndpoints/st",
		ep("in2", map[string]any{"privateIpAllocationMethod": "Static", "privateIpAddress": "10.0.0.33"}))
	w.fails(http.StatusBadRequest, "InvalidRequestFormat", "privateIpAddress", http.MethodPut, w.res+"/inboundEndpoints/st",
		ep("in2", map[string]any{"privateIpAllocationMethod": "Static"}))
	w.must(http.StatusCreated, http.MethodPut, w.res+"/inboundEndpoints/st",
		ep("in2", map[string]any{"privateIpAllocationMethod": "static", "privateIpAddress": "10.0.0.40"}))
	st := w.get(w.res + "/inboundEndpoints/st")
	if str(st, "properties", "ipConfigurations", 0, "privateIpAddress") != "10.0.0.40" ||
		str(st, "properties", "ipConfigurations", 0, "privateIpAllocationMethod") != "Static" {
		t.Fatalf("static endpoint: %v", st)
	}
	// Deleting the resolver with endpoints is refused.
	w.fails(http.StatusBadRequest, "BadRequest", "cannot be deleted because it has inbound or outbound endpoints", http.MethodDelete, w.res, nil)
	// Deleting the endpoint frees its address: a new endpoint gets it.
	w.must(http.StatusAccepted, http.MethodDelete, w.in, nil)
	w.must(http.StatusCreated, http.MethodPut, w.res+"/inboundEndpoints/in3", ep("in", nil))
	if ip := str(w.get(w.res+"/inboundEndpoints/in3"), "properties", "ipConfigurations", 0, "privateIpAddress"); ip != "10.0.0.4" {
		t.Fatalf("address after delete: %q", ip)
	}
	// The subnet of an endpoint cannot be deleted.
	r := w.Do(http.MethodDelete, w.vnet+"/subnets/in", netV, nil)
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "InUseSubnetCannotBeDeleted" {
		t.Fatalf("subnet delete: %d %s", r.Status, r.Body)
	}
}

func TestRulesetsRulesLinks(t *testing.T) {
	w := newWorld(t)
	rs := netPath("rg", "dnsForwardingRulesets", "rs")
	w.fails(http.StatusBadRequest, "InvalidRequestFormat", "dnsResolverOutboundEndpoints", http.MethodPut, rs,
		map[string]any{"location": loc, "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{}}})
	w.fails(http.StatusBadRequest, "BadRequest", "same region", http.MethodPut, rs,
		map[string]any{"location": "eastus", "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}})
	w.must(http.StatusCreated, http.MethodPut, rs, map[string]any{"location": loc, "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}})
	// The outbound endpoint is in use by the ruleset.
	w.fails(http.StatusBadRequest, "BadRequest", "referenced by the DNS forwarding ruleset", http.MethodDelete, w.out, nil)

	rule := func(domain string, state string, targets ...string) map[string]any {
		var ts []any
		for _, t := range targets {
			ts = append(ts, map[string]any{"ipAddress": t, "port": 53})
		}
		p := map[string]any{"domainName": domain, "targetDnsServers": ts}
		if state != "" {
			p["forwardingRuleState"] = state
		}
		return map[string]any{"properties": p}
	}
	w.fails(http.StatusBadRequest, "BadRequest", "ending with a dot", http.MethodPut, rs+"/forwardingRules/r1", rule("contoso.com", "", "10.0.0.4"))
	w.fails(http.StatusBadRequest, "BadRequest", "is invalid", http.MethodPut, rs+"/forwardingRules/r1", rule("contoso.com.", "", "300.0.0.1"))
	w.fails(http.StatusBadRequest, "InvalidRequestFormat", "forwardingRuleState", http.MethodPut, rs+"/forwardingRules/r1", rule("contoso.com.", "On", "10.0.0.4"))
	w.must(http.StatusCreated, http.MethodPut, rs+"/forwardingRules/r1", rule("Contoso.com.", "", "10.0.0.4"))
	r1 := w.get(rs + "/forwardingRules/r1")
	if str(r1, "properties", "domainName") != "contoso.com." || str(r1, "properties", "forwardingRuleState") != "Enabled" {
		t.Fatalf("rule: %v", r1)
	}
	w.fails(http.StatusConflict, "Conflict", "already used", http.MethodPut, rs+"/forwardingRules/r2", rule("contoso.com.", "", "10.0.0.5"))
	w.must(http.StatusCreated, http.MethodPut, rs+"/forwardingRules/all", rule(".", "Disabled", "10.0.0.5"))
	// PATCH the state.
	w.must(http.StatusOK, http.MethodPatch, rs+"/forwardingRules/all", map[string]any{"properties": map[string]any{"forwardingRuleState": "Enabled"}})
	if st := str(w.get(rs+"/forwardingRules/all"), "properties", "forwardingRuleState"); st != "Enabled" {
		t.Fatalf("patched state %q", st)
	}

	// Links: another region refused, one ruleset per VNet.
	far := w.mkVNet("rg", "far", "2", "eastus")
	w.fails(http.StatusBadRequest, "BadRequest", "in another region", http.MethodPut, rs+"/virtualNetworkLinks/far",
		map[string]any{"properties": map[string]any{"virtualNetwork": ref(far)}})
	spoke := w.mkVNet("rg", "spoke", "3", loc)
	w.must(http.StatusCreated, http.MethodPut, rs+"/virtualNetworkLinks/spoke", map[string]any{"properties": map[string]any{
		"virtualNetwork": ref(spoke), "metadata": map[string]any{"k": "v"}}})
	if m := w.get(rs + "/virtualNetworkLinks/spoke"); str(m, "properties", "metadata", "k") != "v" {
		t.Fatalf("link: %v", m)
	}
	w.fails(http.StatusConflict, "Conflict", "already linked", http.MethodPut, rs+"/virtualNetworkLinks/spoke2",
		map[string]any{"properties": map[string]any{"virtualNetwork": ref(spoke)}})
	rs2 := netPath("rg", "dnsForwardingRulesets", "rs2")
	w.must(http.StatusCreated, http.MethodPut, rs2, map[string]any{"location": loc, "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}})
	w.fails(http.StatusConflict, "Conflict", "can be linked to only 1 DNS forwarding ruleset", http.MethodPut, rs2+"/virtualNetworkLinks/spoke",
		map[string]any{"properties": map[string]any{"virtualNetwork": ref(spoke)}})
	// Listing rules.
	l := w.get(rs + "/forwardingRules")
	if vals, _ := l["value"].([]any); len(vals) != 2 {
		t.Fatalf("rules list: %v", l)
	}
	// Deleting a linked VNet deletes its link; a VNet with a resolver
	// cannot be deleted.
	w.do(http.StatusAccepted, http.MethodDelete, spoke, netV, nil)
	if r := w.Do(http.MethodGet, rs+"/virtualNetworkLinks/spoke", v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("link after its VNet was deleted: %d %s", r.Status, r.Body)
	}
	if r := w.Do(http.MethodDelete, w.vnet, netV, nil); r.Status != http.StatusBadRequest || r.ErrorCode() != "InUseResourceCannotBeDeleted" {
		t.Fatalf("VNet of a resolver deleted: %d %s", r.Status, r.Body)
	}
	// Deleting the ruleset deletes its rules and links, and frees the
	// outbound endpoint once the other ruleset goes too.
	w.must(http.StatusAccepted, http.MethodDelete, rs, nil)
	w.must(http.StatusAccepted, http.MethodDelete, rs2, nil)
	w.must(http.StatusAccepted, http.MethodDelete, w.out, nil)
	if r := w.Do(http.MethodGet, rs+"/forwardingRules/r1", v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("rule after ruleset delete: %d", r.Status)
	}
}

func TestRuleLimit(t *testing.T) {
	w := newWorld(t)
	rs := netPath("rg", "dnsForwardingRulesets", "rs")
	w.must(http.StatusCreated, http.MethodPut, rs, map[string]any{"location": loc, "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}})
	defer func(n int) { maxRules = n }(maxRules)
	maxRules = 5
	for i := range maxRules {
		name := "r" + strconv.Itoa(i)
		w.must(http.StatusCreated, http.MethodPut, rs+"/forwardingRules/"+name, map[string]any{"properties": map[string]any{
			"domainName": "d" + strconv.Itoa(i) + ".example.", "targetDnsServers": []any{map[string]any{"ipAddress": "10.0.0.4"}}}})
	}
	w.fails(http.StatusBadRequest, "BadRequest", "5 forwarding rules, the maximum allowed", http.MethodPut, rs+"/forwardingRules/over",
		map[string]any{"properties": map[string]any{"domainName": "over.example.", "targetDnsServers": []any{map[string]any{"ipAddress": "10.0.0.4"}}}})
}

func TestListByVirtualNetwork(t *testing.T) {
	w := newWorld(t)
	rs := netPath("rg", "dnsForwardingRulesets", "rs")
	w.must(http.StatusCreated, http.MethodPut, rs, map[string]any{"location": loc, "properties": map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}})
	spoke := w.mkVNet("rg", "spoke", "3", loc)
	w.must(http.StatusCreated, http.MethodPut, rs+"/virtualNetworkLinks/l1", map[string]any{"properties": map[string]any{"virtualNetwork": ref(spoke)}})

	got := w.must(http.StatusOK, http.MethodPost, w.vnet+"/listDnsResolvers", nil).JSON()
	if vals, _ := got["value"].([]any); len(vals) != 1 || str(vals[0], "id") != w.res {
		t.Fatalf("listDnsResolvers: %v", got)
	}
	got = w.must(http.StatusOK, http.MethodPost, spoke+"/listDnsForwardingRulesets", nil).JSON()
	if vals, _ := got["value"].([]any); len(vals) != 1 || str(vals[0], "id") != rs ||
		str(vals[0], "properties", "virtualNetworkLink", "id") != rs+"/virtualNetworkLinks/l1" {
		t.Fatalf("listDnsForwardingRulesets: %v", got)
	}
	got = w.must(http.StatusOK, http.MethodPost, spoke+"/listDnsResolvers", nil).JSON()
	if vals, _ := got["value"].([]any); vals == nil || len(vals) != 0 {
		t.Fatalf("empty list: %v", got)
	}
	w.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodPost, netPath("rg", "virtualNetworks", "nope")+"/listDnsResolvers", nil)
}

// TestGroupDeleteTakesResolverAndEndpoints: deleting the resource group
// deletes a resolver with endpoints (only a direct delete of the resolver
// wants the endpoints gone first).
func TestGroupDeleteTakesResolverAndEndpoints(t *testing.T) {
	w := newWorld(t)
	r := w.Do(http.MethodDelete, rgPath("rg"), rgAPI, nil)
	if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
		t.Fatalf("group delete: %d %s", r.Status, r.Body)
	}
	if st := w.Wait(r); st != "Succeeded" {
		t.Fatalf("group delete ended %s", st)
	}
	for _, id := range []string{w.res, w.in, w.out} {
		if r := w.Do(http.MethodGet, id, v, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s after the group's deletion: %d", id, r.Status)
		}
	}
}
