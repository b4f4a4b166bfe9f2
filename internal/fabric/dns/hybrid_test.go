package dns

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// Hybrid topology helpers: subnets, peerings, resolvers, rulesets, sites.

func (t *topo) subnet(v *fabric.VNet, name, prefix string) *fabric.Subnet {
	sn := &fabric.Subnet{ID: v.ID + "/subnets/" + strings.ToLower(name), Name: name, VNet: v,
		Prefixes: []netip.Prefix{netip.MustParsePrefix(prefix)}, DefaultOutboundAccess: true}
	v.Subnets = append(v.Subnets, sn)
	t.s.Subnets[sn.ID] = sn
	return sn
}

func (t *topo) peer(a, b *fabric.VNet) {
	for _, p := range [][2]*fabric.VNet{{a, b}, {b, a}} {
		pr := &fabric.Peering{ID: p[0].ID + "/virtualnetworkpeerings/to-" + p[1].Name, Name: "to-" + p[1].Name,
			Local: p[0], Remote: p[1], RemoteID: p[1].ID, State: "Connected", AllowVirtualNetworkAccess: true,
			RemotePrefixes: p[1].Prefixes}
		p[0].Peerings = append(p[0].Peerings, pr)
	}
}

// endpointHost mirrors fabric's build_resolver: a host with a synthetic
// NIC holding the endpoint's address.
func (t *topo) endpointHost(id, name string, sn *fabric.Subnet, ip string, inbound bool) *fabric.Host {
	h := &fabric.Host{ID: strings.ToLower(id), Name: name, ResourceID: id, Kind: fabric.KindDNSResolver,
		Running: true, PowerState: "PowerState/running", ComputerName: name}
	nic := &fabric.NIC{ID: h.ID + "/nic", Name: name, Host: h}
	nic.IPConfigs = []*fabric.IPConfig{{ID: h.ID + "/ipconfigurations/0", Name: "ipconfig0", NIC: nic, Subnet: sn,
		PrivateIP: netip.MustParseAddr(ip), Primary: true}}
	h.NICs = []*fabric.NIC{nic}
	if inbound {
		h.Ports = map[string]string{"udp/53": fabric.FabricDNSTarget, "tcp/53": fabric.FabricDNSTarget}
	}
	t.s.NICs[nic.ID] = nic
	t.s.Hosts[h.ID] = h
	return h
}

// resolver adds a DNS private resolver in v with one inbound endpoint
// (inIP in inSubnet) and one outbound endpoint (outIP in outSubnet).
func (t *topo) resolver(name string, v *fabric.VNet, inSubnet *fabric.Subnet, inIP string, outSubnet *fabric.Subnet, outIP string) *fabric.DNSResolver {
	if t.s.DNSResolvers == nil {
		t.s.DNSResolvers = map[string]*fabric.DNSResolver{}
	}
	id := rgID + "/providers/Microsoft.Network/dnsResolvers/" + name
	r := &fabric.DNSResolver{ID: strings.ToLower(id), Name: name, VNet: v, Location: "eastus"}
	in := &fabric.InboundEndpoint{ID: r.ID + "/inboundendpoints/in", Name: "in", Resolver: r,
		IPs: []*fabric.InboundIP{{Subnet: inSubnet, Addr: netip.MustParseAddr(inIP), Dynamic: true}}}
	in.Host = t.endpointHost(id+"/inboundEndpoints/in", "in", inSubnet, inIP, true)
	out := &fabric.OutboundEndpoint{ID: r.ID + "/outboundendpoints/out", Name: "out", Resolver: r, Subnet: outSubnet,
		Addr: netip.MustParseAddr(outIP)}
	out.Host = t.endpointHost(id+"/outboundEndpoints/out", "out", outSubnet, outIP, false)
	r.Inbound = []*fabric.InboundEndpoint{in}
	r.Outbound = []*fabric.OutboundEndpoint{out}
	t.s.DNSResolvers[r.ID] = r
	return r
}

func (t *topo) ruleset(name string, out *fabric.OutboundEndpoint, linked ...*fabric.VNet) *fabric.ForwardingRuleset {
	if t.s.Rulesets == nil {
		t.s.Rulesets = map[string]*fabric.ForwardingRuleset{}
	}
	rs := &fabric.ForwardingRuleset{ID: strings.ToLower(rgID + "/providers/Microsoft.Network/dnsForwardingRulesets/" + name),
		Name: name, Location: "eastus", Outbound: []*fabric.OutboundEndpoint{out}}
	for _, v := range linked {
		rs.Links = append(rs.Links, &fabric.RulesetLink{ID: rs.ID + "/virtualnetworklinks/" + v.Name, Name: v.Name,
			Ruleset: rs, VNet: v, VNetID: v.ID})
	}
	t.s.Rulesets[rs.ID] = rs
	return rs
}

func (t *topo) rule(rs *fabric.ForwardingRuleset, name, domain string, enabled bool, targets ...string) *fabric.ForwardingRule {
	r := &fabric.ForwardingRule{ID: rs.ID + "/forwardingrules/" + name, Name: name, Ruleset: rs,
		Domain: strings.TrimSuffix(domain, "."), Enabled: enabled}
	for _, tg := range targets {
		r.Targets = append(r.Targets, netip.AddrPortFrom(netip.MustParseAddr(tg), 53))
	}
	rs.Rules = append(rs.Rules, r)
	return r
}

// site adds an on-premises site with a DNS server host and a client host.
func (t *topo) site(name, prefix, dnsIP string, fwd map[string]string) (*fabric.Site, *fabric.Host) {
	if t.s.Sites == nil {
		t.s.Sites = map[string]*fabric.Site{}
	}
	id := strings.ToLower(rgID + "/providers/Privlink.Network/sites/" + name)
	st := &fabric.Site{ID: id, Name: name, Prefixes: []netip.Prefix{netip.MustParsePrefix(prefix)},
		DNSServer: netip.MustParseAddr(dnsIP)}
	st.DNSHost = &fabric.Host{ID: id + "/hosts/dns", Name: name + "-dns", Kind: fabric.KindOnPrem, Running: true, Site: st}
	client := &fabric.Host{ID: id + "/hosts/client", Name: name + "-client", ResourceID: id + "/hosts/client",
		Kind: fabric.KindOnPrem, Running: true, Site: st}
	st.Hosts = []*fabric.Host{st.DNSHost, client}
	for _, d := range slices.Sorted(func(yield func(string) bool) {
		for k := range fwd {
			if !yield(k) {
				return
			}
		}
	}) {
		st.Forwarders = append(st.Forwarders, fabric.DNSForwarder{ID: id + "/forwarders/" + d, Domain: d,
			Targets: []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr(fwd[d]), 53)}})
	}
	t.s.Sites[id] = st
	t.s.Hosts[st.DNSHost.ID] = st.DNSHost
	t.s.Hosts[client.ID] = client
	return st, client
}

// siteEval stands in for the VPN path in the hand-made snapshots, which
// have no gateways (TestHybridWithSiteModel and the benchmarks use the site
// model and path.Evaluate): a flow from an on-premises host enters Azure as
// if from gw, a host in the hub's GatewaySubnet, so the destination's NSGs,
// routes and peerings still decide; a flow to a site address reaches the
// site's DNS server when it is the destination (and nothing else).
func siteEval(gw *fabric.Host) Evaluator {
	return func(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
		for _, st := range s.Sites {
			for _, p := range st.Prefixes {
				if !p.Contains(q.Dest) {
					continue
				}
				if q.Dest == st.DNSServer && q.Port == 53 {
					return fabric.Verdict{Outcome: fabric.Delivered, TargetHost: st.DNSHost, TargetAddr: fabric.FabricDNSTarget}
				}
				return fabric.Verdict{Outcome: fabric.HostUnreachable,
					Blocks: []fabric.Block{{Kind: path.KindNoHost, Reason: "no on-premises host has address " + q.Dest.String()}}}
			}
		}
		if h := s.Hosts[q.Source]; h != nil && h.Kind == fabric.KindOnPrem {
			q.Source = gw.ID
		}
		return path.Evaluate(s, q)
	}
}

const plZone = "privatelink.eastus.azmk8s.io"

// hybridTopo is a hub with a resolver, a peered spoke linked to a
// ruleset, a private AKS-like name in a privatelink zone and an
// on-premises site whose DNS server forwards to the inbound endpoint.
type hybridTopo struct {
	*topo
	hub, spoke        *fabric.VNet
	res               *fabric.DNSResolver
	rs                *fabric.ForwardingRuleset
	site              *fabric.Site
	client, app, gw   *fabric.Host
	aksZone, corpZone *fabric.Zone
	inSubnet          *fabric.Subnet
}

func newHybrid(siteFwd map[string]string) *hybridTopo {
	t := &hybridTopo{topo: newTopo()}
	t.hub = t.vnet("hub", "10.0.0.0/16")
	t.hub.Subnets[0].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}
	t.inSubnet = t.subnet(t.hub, "inbound", "10.0.10.0/28")
	outSubnet := t.subnet(t.hub, "outbound", "10.0.11.0/28")
	gwSubnet := t.subnet(t.hub, "GatewaySubnet", "10.0.255.0/27")
	t.spoke = t.vnet("spoke", "10.1.0.0/16")
	t.peer(t.hub, t.spoke)
	t.app = t.vm("app", t.spoke, "10.1.0.4")
	t.gw = t.vm("gw", t.hub, "10.0.255.4")
	t.gw.NICs[0].IPConfigs[0].Subnet = gwSubnet
	t.res = t.resolver("res", t.hub, t.inSubnet, "10.0.10.4", outSubnet, "10.0.11.4")

	t.aksZone = t.zone(plZone)
	t.link(t.aksZone, t.hub, "hub-link", "Default")
	t.rec(t.aksZone, "aks1-abcd1234", "A", 10, "10.0.0.10")
	t.pub("aks1-abcd1234.eastus.azmk8s.io", "CNAME", 10, "aks1-abcd1234."+plZone+".")
	t.pub("aks1-abcd1234."+plZone, "A", 10, "52.160.0.9")

	t.corpZone = t.zone("corp.contoso.com")
	t.link(t.corpZone, t.hub, "corp-hub", "Default")
	t.rec(t.corpZone, "db", "A", 300, "10.0.0.20")
	t.pub("www.contoso.com", "A", 300, "203.0.113.50")

	t.rs = t.ruleset("rs", t.res.Outbound[0], t.spoke)
	t.rule(t.rs, "contoso", "contoso.com.", true, "192.168.0.10")
	t.rule(t.rs, "corp", "corp.contoso.com.", true, "10.0.10.4")
	t.rule(t.rs, "off", "off.corp.contoso.com.", false, "192.168.0.10")

	if siteFwd == nil {
		siteFwd = map[string]string{"eastus.azmk8s.io": "10.0.10.4"}
	}
	t.site, t.client = t.topo.site("onprem", "192.168.0.0/16", "192.168.0.10", siteFwd)
	return t
}

func (t *hybridTopo) server(tb testing.TB) *Server {
	tb.Helper()
	srv, err := New(Config{Source: fabric.StaticSource{S: t.snap()}, Evaluate: siteEval(t.gw)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return srv
}

func hexchange(tb testing.TB, srv *Server, host, name string) Answer {
	tb.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
	_, a, err := srv.Exchange(context.Background(), host, m)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func addrsOf(a Answer) []string {
	var out []string
	for _, ip := range a.Addrs() {
		out = append(out, ip.String())
	}
	return out
}

func TestHybridResolution(t *testing.T) {
	const aks = "aks1-abcd1234.eastus.azmk8s.io"
	cases := []struct {
		name   string
		build  func() *hybridTopo
		host   func(*hybridTopo) string
		query  string
		rcode  int
		addrs  []string
		steps  []string
		blocks []string
	}{{
		name:  "on-prem forwarder for the public zone reaches the inbound endpoint: private IP",
		build: func() *hybridTopo { return newHybrid(nil) },
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: aks, rcode: mdns.RcodeSuccess, addrs: []string{"10.0.0.10"},
		steps: []string{
			"host onprem-client asks its DNS server 192.168.0.10",
			"conditional forwarder eastus.azmk8s.io. -> 10.0.10.4",
			"inbound endpoint in (10.0.10.4) of resolver res answers with the Azure-provided DNS of vnet hub",
			"answered by private zone " + plZone + " linked to vnet hub",
		},
	}, {
		name: "classic failure: forwarder for the privatelink zone only: public IP",
		build: func() *hybridTopo {
			return newHybrid(map[string]string{plZone: "10.0.10.4"})
		},
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: aks, rcode: mdns.RcodeSuccess, addrs: []string{"52.160.0.9"},
		steps: []string{
			"no conditional forwarder covers the name: public DNS answers",
			"the conditional forwarder " + plZone + ". of site onprem covers only the " + plZone + " zone",
			"forward the public zone eastus.azmk8s.io instead",
		},
	}, {
		name: "classic failure: privatelink-only forwarder and no public record: NXDOMAIN explained",
		build: func() *hybridTopo {
			t := newHybrid(map[string]string{plZone: "10.0.10.4"})
			delete(t.s.PublicRecords, "aks1-abcd1234."+plZone)
			return t
		},
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: aks, rcode: mdns.RcodeNameError,
		blocks: []string{"covers only the " + plZone + " zone"},
	}, {
		name: "classic failure: the zone is not linked to the resolver's VNet",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.hub.Links = nil
			t.aksZone.Links = nil
			t.link(t.aksZone, t.spoke, "spoke-link", "Default")
			return t
		},
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: aks, rcode: mdns.RcodeSuccess, addrs: []string{"52.160.0.9"},
		steps: []string{"zone " + plZone + " is not linked to vnet hub of resolver res"},
	}, {
		name:  "classic failure: missing record in the linked zone: NXDOMAIN",
		build: func() *hybridTopo { return newHybrid(nil) },
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: "aks2-ffff0000." + plZone, rcode: mdns.RcodeNameError,
		blocks: []string{"private zone " + plZone + " linked to vnet hub (link hub-link) has no record aks2-ffff0000: the name does not exist (NXDOMAIN)"},
	}, {
		name:  "ruleset: longest suffix wins (corp.contoso.com to the inbound endpoint)",
		build: func() *hybridTopo { return newHybrid(nil) },
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "db.corp.contoso.com", rcode: mdns.RcodeSuccess, addrs: []string{"10.0.0.20"},
		steps: []string{"ruleset rs linked to vnet spoke: rule corp (corp.contoso.com.) forwards to 10.0.10.4",
			"answered by private zone corp.contoso.com linked to vnet hub"},
	}, {
		name:  "ruleset: shorter rule to the on-premises DNS server",
		build: func() *hybridTopo { return newHybrid(nil) },
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "www.contoso.com", rcode: mdns.RcodeSuccess, addrs: []string{"203.0.113.50"},
		steps: []string{"rule contoso (contoso.com.) forwards to 192.168.0.10", "DNS server 192.168.0.10 of site onprem"},
	}, {
		name:  "ruleset: a disabled rule is skipped, the next longest applies",
		build: func() *hybridTopo { return newHybrid(nil) },
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "x.off.corp.contoso.com", rcode: mdns.RcodeNameError,
		steps: []string{"rule off (off.corp.contoso.com.) of ruleset rs is Disabled: not applied",
			"rule corp (corp.contoso.com.) forwards to 10.0.10.4"},
	}, {
		name: "ruleset: a rule for the root matches every name",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.rule(t.rs, "all", ".", true, "10.0.10.4")
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: aks, rcode: mdns.RcodeSuccess, addrs: []string{"10.0.0.10"},
		steps: []string{"rule all (.) forwards to 10.0.10.4"},
	}, {
		name: "ruleset: target unreachable (NSG on the inbound subnet denies udp/53): SERVFAIL naming the rule",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.inSubnet.NSG = &fabric.NSG{ID: strings.ToLower(rgID + "/providers/Microsoft.Network/networkSecurityGroups/in-nsg"), Name: "in-nsg",
				Rules: []*fabric.SecurityRule{{Name: "deny-dns", Priority: 100, Direction: fabric.Inbound, Access: "Deny",
					Protocol: fabric.UDP, SourcePrefixes: []string{"*"}, DestinationPrefixes: []string{"*"},
					SourcePorts: []string{"*"}, DestinationPorts: []string{"53"}}}}
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "db.corp.contoso.com", rcode: mdns.RcodeServerFailure,
		blocks: []string{"deny-dns", "rule corp of ruleset rs: no target DNS server (10.0.10.4) answered from out (SERVFAIL)"},
	}, {
		name: "ruleset: the resolver's own VNet linked to a rule targeting its inbound endpoint: loop",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.rs.Links = append(t.rs.Links, &fabric.RulesetLink{ID: t.rs.ID + "/virtualnetworklinks/hub", Name: "hub",
				Ruleset: t.rs, VNet: t.hub, VNetID: t.hub.ID})
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "db.corp.contoso.com", rcode: mdns.RcodeServerFailure,
		blocks: []string{"forwarding loop: the query came back to inbound endpoint in of resolver res"},
	}, {
		name: "custom DNS server of a VNet pointing at the inbound endpoint is answered in process",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.rs.Links = nil
			t.spoke.DNSServers = []netip.Addr{netip.MustParseAddr("10.0.10.4")}
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: aks, rcode: mdns.RcodeSuccess, addrs: []string{"10.0.0.10"},
		steps: []string{"custom DNS server 10.0.10.4 of vnet spoke is answered by the fabric", "inbound endpoint in (10.0.10.4) of resolver res"},
	}, {
		name: "custom DNS server of a VNet pointing at an on-premises DNS server is answered in process",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.rs.Links = nil
			t.spoke.DNSServers = []netip.Addr{netip.MustParseAddr("192.168.0.10")}
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: "www.contoso.com", rcode: mdns.RcodeSuccess, addrs: []string{"203.0.113.50"},
		steps: []string{"custom DNS server 192.168.0.10 of vnet spoke is answered by the fabric",
			"DNS server 192.168.0.10 of site onprem: no conditional forwarder covers the name: public DNS answers"},
	}, {
		name: "the inbound endpoint is not reachable without peering",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.rs.Links = nil
			t.hub.Peerings, t.spoke.Peerings = nil, nil
			t.spoke.DNSServers = []netip.Addr{netip.MustParseAddr("10.0.10.4")}
			return t
		},
		host:  func(t *hybridTopo) string { return t.app.ID },
		query: aks, rcode: mdns.RcodeServerFailure,
		blocks: []string{"custom DNS server 10.0.10.4 is not reachable from app over udp/53"},
	}, {
		name: "on-prem host without a DNS server",
		build: func() *hybridTopo {
			t := newHybrid(nil)
			t.site.DNSServer = netip.Addr{}
			return t
		},
		host:  func(t *hybridTopo) string { return t.client.ID },
		query: aks, rcode: mdns.RcodeServerFailure,
		blocks: []string{"host onprem-client has no DNS server and site onprem has no DNS server"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ht := tc.build()
			srv := ht.server(t)
			a := hexchange(t, srv, tc.host(ht), tc.query)
			if a.Rcode != tc.rcode || !slices.Equal(addrsOf(a), tc.addrs) {
				dumpAnswer(t, a)
				t.Fatalf("rcode %s addrs %v, want %s %v", a.RcodeText(), addrsOf(a), mdns.RcodeToString[tc.rcode], tc.addrs)
			}
			for _, s := range tc.steps {
				if !hasStep(a, s) {
					dumpAnswer(t, a)
					t.Errorf("no step contains %q", s)
				}
			}
			for _, b := range tc.blocks {
				if !hasBlock(a, b) {
					dumpAnswer(t, a)
					t.Errorf("no block contains %q", b)
				}
			}
			if tc.rcode == mdns.RcodeSuccess && len(tc.addrs) > 0 && len(a.Blocks) > 0 {
				dumpAnswer(t, a)
				t.Errorf("a resolved answer has blocks")
			}
		})
	}
}

// TestResolvePureOnPremAndRulesets checks the pure functions: Resolve
// with an on-premises host ID goes through its site's DNS server, and
// ResolveFrom applies the rulesets with path.Evaluate.
func TestResolvePureOnPremAndRulesets(t *testing.T) {
	ht := newHybrid(nil)
	s := ht.snap()
	a := ResolveFrom(s, View{VNet: ht.spoke}, "db.corp.contoso.com", mdns.TypeA)
	if got := addrsOf(a); !slices.Equal(got, []string{"10.0.0.20"}) {
		dumpAnswer(t, a)
		t.Fatalf("spoke view: %v", got)
	}
	// The client reaches its own site's DNS server on the LAN; the
	// forwarded query leaves the site as path.Evaluate decides (sites are
	// routed once the site model lands in the path package: until then the
	// explanation names the unreachable inbound endpoint).
	a = Resolve(s, ht.client.ID, "aks1-abcd1234.eastus.azmk8s.io", mdns.TypeA)
	if !hasStep(a, "host onprem-client asks its DNS server 192.168.0.10") ||
		!hasStep(a, "DNS server 192.168.0.10 of site onprem: conditional forwarder eastus.azmk8s.io. -> 10.0.10.4") ||
		!(slices.Equal(addrsOf(a), []string{"10.0.0.10"}) || hasBlock(a, "DNS server 10.0.10.4 is not reachable from onprem-dns over udp/53")) {
		dumpAnswer(t, a)
		t.Fatal("on-premises host not resolved through its DNS server")
	}
	// The VNet's resolver directly (no ruleset linked to the hub).
	a = ResolveFrom(s, View{VNet: ht.hub}, "aks1-abcd1234.eastus.azmk8s.io", mdns.TypeA)
	if got := addrsOf(a); !slices.Equal(got, []string{"10.0.0.10"}) {
		dumpAnswer(t, a)
		t.Fatalf("hub view: %v", got)
	}
}

// TestRuleToRealListener forwards a rule to a VM whose udp/53 is a real
// DNS server on loopback: the answer comes from it and is not cached.
func TestRuleToRealListener(t *testing.T) {
	ht := newHybrid(nil)
	fwd := ht.vm("fwd", ht.hub, "10.0.0.53")
	addr := startStaticDNS(t, "10.9.9.9")
	fwd.Ports = map[string]string{"udp/53": addr, "tcp/53": addr}
	ht.rule(ht.rs, "ext", "example.org.", true, "10.0.0.53")
	srv := ht.server(t)
	a := hexchange(t, srv, ht.app.ID, "host.example.org")
	if got := addrsOf(a); !slices.Equal(got, []string{"10.9.9.9"}) || !a.External {
		dumpAnswer(t, a)
		t.Fatalf("got %v external=%v", got, a.External)
	}
	if !hasStep(a, "DNS server 10.0.0.53 (listener "+addr+") answered over udp: NOERROR") {
		dumpAnswer(t, a)
		t.Fatal("missing listener step")
	}
	// The pure function does not send real queries and says so.
	p := ResolveFrom(ht.s, View{VNet: ht.spoke}, "host.example.org", mdns.TypeA)
	if p.Rcode != mdns.RcodeServerFailure || !hasBlock(p, "is the real listener") {
		dumpAnswer(t, p)
		t.Fatal("pure resolution asked a real listener")
	}
}

// startStaticDNS serves A <ip> for every name on a loopback UDP port.
func startStaticDNS(t *testing.T, ip string) string {
	t.Helper()
	srv := &mdns.Server{Addr: "127.0.0.1:0", Net: "udp", Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetReply(r)
		rr, _ := mdns.NewRR(r.Question[0].Name + " 60 IN A " + ip)
		m.Answer = []mdns.RR{rr}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ListenAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return srv.PacketConn.LocalAddr().String()
}

// BenchmarkResolveOnPremViaInbound resolves a private AKS name from an
// on-premises host of the site model (Privlink.OnPrem): its site's DNS
// server, the conditional forwarder, the path over the VPN gateway to the
// inbound endpoint (path.Evaluate), the hub's Azure-provided view.
func BenchmarkResolveOnPremViaInbound(b *testing.B) {
	s, laptop, _ := benchSnapshot(b)
	benchExchange(b, benchServer(b, s), laptop, "aks1."+plZone, "10.1.0.10")
}

// BenchmarkResolveVNetDirect resolves the same name from a VM of the hub
// (Azure-provided DNS of its VNet, no forwarding).
func BenchmarkResolveVNetDirect(b *testing.B) {
	s, _, vm := benchSnapshot(b)
	benchExchange(b, benchServer(b, s), vm, "aks1."+plZone, "10.1.0.10")
}

func benchSnapshot(b *testing.B) (*fabric.Snapshot, string, string) {
	vm := realRG + "Microsoft.Compute/virtualMachines/hubvm"
	s, laptop := realHybrid(b, "eastus.azmk8s.io", "s3cret", func(r *recList) {
		hub := nw("virtualNetworks", "hub")
		nic := nw("networkInterfaces", "hubvm-nic")
		r.add(hub+"/subnets/apps", "Microsoft.Network/virtualNetworks/subnets", obj{"addressPrefix": "10.1.1.0/24"})
		r.add(nic, "Microsoft.Network/networkInterfaces", obj{"ipConfigurations": []obj{{"id": nic + "/ipConfigurations/ipconfig1", "name": "ipconfig1",
			"properties": obj{"privateIPAddress": "10.1.1.4", "primary": true, "subnet": obj{"id": hub + "/subnets/apps"}}}}})
		r.add(vm, "Microsoft.Compute/virtualMachines", obj{"networkProfile": obj{"networkInterfaces": []obj{{"id": nic, "properties": obj{"primary": true}}}}})
	})
	return s, laptop, strings.ToLower(vm)
}

func benchServer(b *testing.B, s *fabric.Snapshot) *Server {
	srv, err := New(Config{Source: fabric.StaticSource{S: s}, Evaluate: path.Evaluate})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return srv
}

func benchExchange(b *testing.B, srv *Server, host, name, want string) {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, a, err := srv.Exchange(ctx, host, m)
		if err != nil {
			b.Fatal(err)
		}
		if got := a.Addrs(); len(got) != 1 || got[0].String() != want {
			b.Fatalf("got %v", got)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
}
