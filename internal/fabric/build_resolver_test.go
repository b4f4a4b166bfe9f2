package fabric

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/privlink/privlink/internal/arm"
)

func resolverRecord(t *testing.T, id, typ, loc string, props any, internal string) *arm.Record {
	t.Helper()
	b, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	r := &arm.Record{State: arm.StateSucceeded, Resource: arm.Resource{ID: id, Name: id[len(id)-len(lastSeg(id)):], Type: typ, Location: loc, Properties: b}}
	if internal != "" {
		r.Internal = json.RawMessage(internal)
	}
	return r
}

func lastSeg(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}

func TestBuildResolver(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/"
	vnet := rg + "virtualNetworks/Hub"
	spoke := rg + "virtualNetworks/Spoke"
	res := rg + "dnsResolvers/Res"
	rs := rg + "dnsForwardingRulesets/RS"
	port := 5353
	recs := []*arm.Record{
		resolverRecord(t, vnet, "Microsoft.Network/virtualNetworks", "westus2", map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}}}, ""),
		resolverRecord(t, spoke, "Microsoft.Network/virtualNetworks", "westus2", map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}}}, ""),
		resolverRecord(t, vnet+"/subnets/in", "Microsoft.Network/virtualNetworks/subnets", "", map[string]any{"addressPrefix": "10.0.0.0/28"}, ""),
		resolverRecord(t, vnet+"/subnets/out", "Microsoft.Network/virtualNetworks/subnets", "", map[string]any{"addressPrefix": "10.0.0.16/28"}, ""),
		resolverRecord(t, res, TypeDNSResolver, "westus2", map[string]any{"virtualNetwork": map[string]any{"id": vnet}}, ""),
		resolverRecord(t, res+"/inboundEndpoints/In", TypeInboundEndpoint, "westus2", map[string]any{"ipConfigurations": []any{
			map[string]any{"subnet": map[string]any{"id": vnet + "/subnets/in"}, "privateIpAddress": "10.0.0.4", "privateIpAllocationMethod": "Static"}}}, ""),
		resolverRecord(t, res+"/outboundEndpoints/Out", TypeOutboundEndpoint, "westus2", map[string]any{"subnet": map[string]any{"id": vnet + "/subnets/out"}},
			`{"privateIpAddress":"10.0.0.20"}`),
		resolverRecord(t, rs, TypeRuleset, "westus2", map[string]any{"dnsResolverOutboundEndpoints": []any{map[string]any{"id": res + "/outboundEndpoints/Out"}}}, ""),
		resolverRecord(t, rs+"/forwardingRules/a", TypeForwardingRule, "", map[string]any{"domainName": "Contoso.com.", "forwardingRuleState": "Enabled",
			"targetDnsServers": []any{map[string]any{"ipAddress": "10.0.0.4", "port": 53}}}, ""),
		resolverRecord(t, rs+"/forwardingRules/b", TypeForwardingRule, "", map[string]any{"domainName": "corp.contoso.com.", "forwardingRuleState": "Disabled",
			"targetDnsServers": []any{map[string]any{"ipAddress": "192.168.0.10", "port": port}}}, ""),
		resolverRecord(t, rs+"/forwardingRules/root", TypeForwardingRule, "", map[string]any{"domainName": ".",
			"targetDnsServers": []any{map[string]any{"ipAddress": "192.168.0.11"}}}, ""),
		resolverRecord(t, rs+"/virtualNetworkLinks/spoke", TypeRulesetLink, "", map[string]any{"virtualNetwork": map[string]any{"id": spoke}}, ""),
		resolverRecord(t, rs+"/virtualNetworkLinks/gone", TypeRulesetLink, "", map[string]any{"virtualNetwork": map[string]any{"id": rg + "virtualNetworks/gone"}}, ""),
	}
	failed := resolverRecord(t, rs+"/forwardingRules/failed", TypeForwardingRule, "", map[string]any{"domainName": "x.contoso.com.",
		"targetDnsServers": []any{map[string]any{"ipAddress": "10.9.9.9"}}}, "")
	failed.State = arm.StateFailed
	recs = append(recs, failed)
	s, err := Build(1, recs)
	if err != nil {
		t.Fatal(err)
	}
	r := s.DNSResolvers[lower(res)]
	if r == nil || r.VNet == nil || r.VNet.Name != "Hub" || r.Location != "westus2" || len(r.Inbound) != 1 || len(r.Outbound) != 1 {
		t.Fatalf("resolver: %+v", r)
	}
	in := r.Inbound[0]
	if in.Host == nil || in.Host.Kind != KindDNSResolver || in.Host.Ports["udp/53"] != FabricDNSTarget || in.Host.ResourceID != res+"/inboundEndpoints/In" ||
		in.IPs[0].Dynamic || s.IPConfigAt(r.VNet, netip.MustParseAddr("10.0.0.4")).NIC.Host != in.Host || s.InboundEndpointOf(in.Host) != in {
		t.Fatalf("inbound endpoint: %+v", in)
	}
	out := r.Outbound[0]
	if out.Host == nil || out.Host.Ports != nil || out.Addr != netip.MustParseAddr("10.0.0.20") || s.Hosts[lower(res+"/outboundEndpoints/Out")] != out.Host {
		t.Fatalf("outbound endpoint: %+v", out)
	}
	set := s.Rulesets[lower(rs)]
	if set == nil || len(set.Rules) != 3 || len(set.Links) != 2 || len(set.Outbound) != 1 || set.Outbound[0] != out {
		t.Fatalf("ruleset: %+v", set)
	}
	// Rules sorted longest domain first; domains lower case without the dot.
	if set.Rules[0].Domain != "corp.contoso.com" || set.Rules[0].Enabled || set.Rules[0].Targets[0] != netip.MustParseAddrPort("192.168.0.10:5353") ||
		set.Rules[1].Domain != "contoso.com" || set.Rules[2].Domain != "" || set.Rules[2].Targets[0].Port() != 53 {
		t.Fatalf("rules: %+v %+v %+v", set.Rules[0], set.Rules[1], set.Rules[2])
	}
	sp := s.VNets[lower(spoke)]
	if got := s.RulesetsOf(sp); len(got) != 1 || got[0] != set {
		t.Fatalf("rulesets of spoke: %v", got)
	}
	if got := s.RulesetsOf(r.VNet); len(got) != 0 {
		t.Fatalf("rulesets of hub: %v", got)
	}
	for _, tc := range []struct{ name, want, disabled string }{
		{"a.corp.contoso.com", "contoso.com", "corp.contoso.com"},
		{"contoso.com", "contoso.com", ""},
		{"notcontoso.com", "", ""},
		{"example.org", "", ""},
	} {
		best, dis := s.MatchRule(sp, tc.name)
		got := "<nil>"
		if best != nil {
			got = best.Domain
		}
		if got != tc.want && !(tc.want == "" && got == "") {
			t.Errorf("%s: rule %q, want %q", tc.name, got, tc.want)
		}
		if (tc.disabled == "") != (len(dis) == 0) || (len(dis) > 0 && dis[0].Domain != tc.disabled) {
			t.Errorf("%s: disabled %v, want %q", tc.name, dis, tc.disabled)
		}
	}
	if !DomainMatches("a.b", "") || DomainMatches("ab.c", "b.c") || !DomainMatches("a.b.c", "b.c") {
		t.Fatal("DomainMatches")
	}
}
