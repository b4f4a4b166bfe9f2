package path

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/fabric"
)

// plWorld is a consumer and a provider with overlapping address spaces:
//
//   - VNet cons 10.0.0.0/16: default 10.0.0.0/24 (client 10.0.0.4), pe
//     10.0.1.0/24 (private endpoint pe1 at 10.0.1.5);
//   - VNet prov 10.0.0.0/16: be 10.0.0.0/24 (be1 10.0.0.4 and be2
//     10.0.0.5, tcp/80 on 127.0.0.1:18081 and :18082), fe 10.0.2.0/24
//     (internal Standard load balancer lb, frontend 10.0.2.10, rule https
//     Tcp 443 → 80 with Tcp probe on 80), nat 10.0.3.0/24 (service pls,
//     NAT IPs 10.0.3.4 primary and 10.0.3.5), cli 10.0.4.0/24 (pclient
//     10.0.4.4);
//   - VNet hub 10.10.0.0/16 (hubvm 10.10.0.4), peered with cons;
//   - VNet other 10.20.0.0/16 (lonely 10.20.0.4), not peered.
type plWorld struct {
	b                                     *builder
	cons, prov, hub, other                *fabric.VNet
	consDef, consPE, provBE, provFE, nat  *fabric.Subnet
	client, be1, be2, pclient, hubvm, lon *fabric.Host
	lb                                    *fabric.LoadBalancer
	fe                                    *fabric.Frontend
	pool                                  *fabric.BackendPool
	probe                                 *fabric.Probe
	rule                                  *fabric.LBRule
	pls                                   *fabric.PrivateLinkService
}

func newPLWorld(status, desc string) (*plWorld, *fabric.PrivateEndpoint) {
	w := &plWorld{b: newBuilder()}
	b := w.b
	w.cons = b.vnet("cons", "10.0.0.0/16")
	w.prov = b.vnet("prov", "10.0.0.0/16")
	w.hub = b.vnet("hub", "10.10.0.0/16")
	w.other = b.vnet("other", "10.20.0.0/16")
	w.consDef = b.subnet(w.cons, "default", "10.0.0.0/24")
	w.consPE = b.subnet(w.cons, "pe", "10.0.1.0/24")
	w.consPE.PrivateEndpointNetworkPolicies = "Disabled"
	w.provBE = b.subnet(w.prov, "be", "10.0.0.0/24")
	w.provFE = b.subnet(w.prov, "fe", "10.0.2.0/24")
	w.nat = b.subnet(w.prov, "nat", "10.0.3.0/24")
	cli := b.subnet(w.prov, "cli", "10.0.4.0/24")
	w.client = b.vm("client", w.consDef, "10.0.0.4")
	w.be1 = b.vm("be1", w.provBE, "10.0.0.4")
	w.be1.Ports = map[string]string{"tcp/80": "127.0.0.1:18081"}
	w.be2 = b.vm("be2", w.provBE, "10.0.0.5")
	w.be2.Ports = map[string]string{"tcp/80": "127.0.0.1:18082"}
	w.pclient = b.vm("pclient", cli, "10.0.4.4")
	w.hubvm = b.vm("hubvm", b.subnet(w.hub, "default", "10.10.0.0/24"), "10.10.0.4")
	w.lon = b.vm("lonely", b.subnet(w.other, "default", "10.20.0.0/24"), "10.20.0.4")
	b.peer(w.cons, w.hub, false)

	w.lb = b.lb("lb", "Standard")
	w.fe = b.internalFrontend(w.lb, "fe", w.provFE, "10.0.2.10")
	w.pool = b.pool(w.lb, "pool", w.be1, w.be2)
	w.probe = b.probe(w.lb, "tcp80", "Tcp", 80)
	w.rule = b.lbRule(w.fe, "https", w.pool, w.probe, fabric.TCP, 443, 80)
	w.pls = b.pls("pls", w.fe, w.nat, "10.0.3.4", "10.0.3.5")
	pe := b.pe("pe1", w.consPE, "10.0.1.5", w.pls, status, desc)
	return w, pe
}

var (
	plHops     = []string{"Source", "VirtualNetwork", "PrivateEndpoint", "PrivateLinkService", "LoadBalancer", "Destination"}
	plPeerHops = []string{"Source", "VirtualNetwork", "VirtualNetwork", "PrivateEndpoint", "PrivateLinkService", "LoadBalancer", "Destination"}
	backends   = []string{"127.0.0.1:18081", "127.0.0.1:18082"}
)

func TestPrivateLink(t *testing.T) {
	allDown := func(string, string) bool { return false }
	tests := []struct {
		name           string
		status, desc   string
		setup          func(w *plWorld, pe *fabric.PrivateEndpoint) fabric.Query
		want           want
		anyBackend     bool // target is one of backends
		wantServiceSet bool
	}{
		{name: "approved", status: "Approved", desc: "Approved by owner",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 443) },
			want:  want{outcome: fabric.Delivered, hops: plHops, translated: "10.0.3.4"}, anyBackend: true, wantServiceSet: true},
		{name: "auto-approved", status: "Approved", desc: "Auto-approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 443) },
			want:  want{outcome: fabric.Delivered, hops: plHops, translated: "10.0.3.4"}, anyBackend: true, wantServiceSet: true},
		{name: "pending", status: "Pending", desc: "Awaiting approval",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 443) },
			want: want{outcome: fabric.HostUnreachable, hops: plHops, kinds: []string{"PrivateEndpointConnection"},
				reasons: []string{"private endpoint pe1 connection pe1-conn is Pending (Awaiting approval): the private link service owner must approve it"}},
			wantServiceSet: true},
		{name: "rejected", status: "Rejected", desc: "no thanks",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 443) },
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateEndpointConnection"},
				reasons: []string{"private endpoint pe1 connection pe1-conn is Rejected (no thanks): the private link service owner rejected it"}},
			wantServiceSet: true},
		{name: "disconnected", status: "Disconnected", desc: "removed",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 443) },
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateEndpointConnection"},
				reasons: []string{"is Disconnected (removed): the private link service owner removed the connection"}},
			wantServiceSet: true},
		{name: "provider side rejected while consumer side still says Approved", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.pls.Connections[0].Status, w.pls.Connections[0].Description = "Rejected", "revoked"
				return tcp(w.client, "10.0.1.5", 443)
			},
			want:           want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateEndpointConnection"}, reasons: []string{"is Rejected (revoked)"}},
			wantServiceSet: true},
		{name: "pending and unhealthy: both listed", status: "Pending", desc: "Awaiting approval",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				q := tcp(w.client, "10.0.1.5", 443)
				q.Health = allDown
				return q
			},
			want:           want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateEndpointConnection", "UnhealthyBackends"}},
			wantServiceSet: true},
		{name: "service deleted", status: "Approved",
			setup: func(w *plWorld, pe *fabric.PrivateEndpoint) fabric.Query {
				pe.Connections[0].Service = nil
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateEndpointConnection"},
				reasons: []string{"the private link service " + rgID + "microsoft.network/privatelinkservices/pls does not exist"},
				hops:    []string{"Source", "VirtualNetwork", "PrivateEndpoint"}}},
		{name: "visibility does not matter at data-path time", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.pls.Visibility = []string{"99999999-0000-0000-0000-000000000000"}
				w.pls.AutoApproval = nil
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.Delivered, hops: plHops}, anyBackend: true, wantServiceSet: true},
		{name: "from a peered VNet", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.hubvm, "10.0.1.5", 443) },
			want:  want{outcome: fabric.Delivered, hops: plPeerHops, translated: "10.0.3.4"}, anyBackend: true, wantServiceSet: true},
		{name: "from a peered VNet whose peering disallows access", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.hub.Peerings[0].AllowVirtualNetworkAccess = false
				return tcp(w.hubvm, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.NetworkUnreachable, hops: plPeerHops, kinds: []string{"Peering"}}, wantServiceSet: true},
		{name: "from an unpeered VNet", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.lon, "10.0.1.5", 443) },
			want: want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, hops: []string{"Source", "VirtualNetwork"},
				reasons: []string{"no route to 10.0.1.5 from subnet other/default"}}},
		{name: "endpoint subnet NSG ignored with policies Disabled", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.consPE.NSG = w.b.nsg("pe-nsg", rule("deny-443", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "443"))
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.Delivered, hops: plHops}, anyBackend: true, wantServiceSet: true},
		{name: "endpoint subnet NSG ignored with RouteTableEnabled", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.consPE.PrivateEndpointNetworkPolicies = "RouteTableEnabled"
				w.consPE.NSG = w.b.nsg("pe-nsg", rule("deny-443", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "443"))
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.Delivered, hops: plHops}, anyBackend: true, wantServiceSet: true},
		{name: "endpoint subnet NSG enforced with Enabled", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.consPE.PrivateEndpointNetworkPolicies = "Enabled"
				w.consPE.NSG = w.b.nsg("pe-nsg", rule("deny-443", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "443"))
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.DeniedByNSG, hops: plHops, kinds: []string{"NetworkSecurityRule"},
				reasons: []string{"NSG pe-nsg rule deny-443 (priority 100) on subnet pe denies Inbound Tcp from 10.0.0.4 to 10.0.1.5:443"}},
			wantServiceSet: true},
		{name: "endpoint subnet NSG enforced with NetworkSecurityGroupEnabled", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.consPE.PrivateEndpointNetworkPolicies = "NetworkSecurityGroupEnabled"
				w.consPE.NSG = w.b.nsg("pe-nsg", rule("deny-443", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "443"))
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}}, wantServiceSet: true},
		{name: "backend NSGs see the NAT IP as the source", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.provBE.NSG = w.b.nsg("be-nsg", rule("no-nat", 100, fabric.Inbound, "Deny", fabric.TCP, "10.0.3.0/24", "*", "80"))
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.DeniedByNSG, hops: plHops, kinds: []string{"NetworkSecurityRule"},
				reasons: []string{"NSG be-nsg rule no-nat (priority 100) on subnet be denies Inbound Tcp from 10.0.3.4 to 10.0.0."}},
			wantServiceSet: true},
		{name: "backend NSG default rules allow the NAT IP (VirtualNetwork tag of the provider)", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.provBE.NSG = w.b.nsg("be-nsg")
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.Delivered, hops: plHops}, anyBackend: true, wantServiceSet: true},
		{name: "all backends unhealthy", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				q := tcp(w.client, "10.0.1.5", 443)
				q.Health = allDown
				return q
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"UnhealthyBackends"},
				hops:    []string{"Source", "VirtualNetwork", "PrivateEndpoint", "PrivateLinkService", "LoadBalancer"},
				reasons: []string{"load balancer lb rule https: all 2 members of backend pool pool fail health probe tcp80 (Tcp:80)"}},
			wantServiceSet: true},
		{name: "no rule for the port", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.client, "10.0.1.5", 8443) },
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"NoLoadBalancingRule"},
				reasons: []string{"load balancer lb frontend fe has no load-balancing rule for Tcp port 8443"}},
			wantServiceSet: true},
		{name: "backend does not listen on the backend port", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.rule.BackendPort = 8080
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.Refused, kinds: []string{"NoListener"}, reasons: []string{":8080"}}, wantServiceSet: true},
		{name: "one-way: provider to a NAT IP", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query { return tcp(w.be1, "10.0.3.4", 80) },
			want: want{outcome: fabric.NetworkUnreachable, kinds: []string{"PrivateLinkOneWay"}, hops: []string{"Source", "VirtualNetwork", "Destination"},
				reasons: []string{"private link is one-way: 10.0.3.4 is a NAT IP of private link service pls"}}},
		{name: "no NAT IP", status: "Approved",
			setup: func(w *plWorld, _ *fabric.PrivateEndpoint) fabric.Query {
				w.pls.NATIPs = nil
				return tcp(w.client, "10.0.1.5", 443)
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"PrivateLinkService"},
				reasons: []string{"private link service pls has no NAT IP configuration"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, pe := newPLWorld(tc.status, tc.desc)
			q := tc.setup(w, pe)
			v := Evaluate(w.b.snapshot(), q)
			if tc.anyBackend {
				if !slices.Contains(backends, v.TargetAddr) {
					t.Fatalf("target %q is not a backend; blocks %s", v.TargetAddr, blocksString(v.Blocks))
				}
				tc.want.target = v.TargetAddr
			}
			checkVerdict(t, v, tc.want)
			if !tc.wantServiceSet {
				return
			}
			if v.Endpoint != pe || v.Service != w.pls || v.LinkID != 7 || !v.ProxyProtocol ||
				fmt.Sprint(v.NATIPs) != "[10.0.3.4 10.0.3.5]" || v.ConsumerAddr != ipc(srcHost(w, q)).PrivateIP {
				t.Errorf("private link fields: endpoint %v service %v link %d proxy %v nat %v consumer %v",
					v.Endpoint != nil, v.Service != nil, v.LinkID, v.ProxyProtocol, v.NATIPs, v.ConsumerAddr)
			}
			if tc.want.outcome == fabric.Delivered {
				if v.Backend == nil || (v.TargetHost != w.be1 && v.TargetHost != w.be2) || v.Backend.IPConfig != ipc(v.TargetHost) {
					t.Errorf("backend %+v target host %v", v.Backend, v.TargetHost)
				}
				// The hops name the endpoint NIC, the service and the frontend.
				if v.Hops[len(v.Hops)-4].ResourceID != pe.NIC.ID || v.Hops[len(v.Hops)-3].ResourceID != w.pls.ID ||
					v.Hops[len(v.Hops)-3].Address != netip.MustParseAddr("10.0.3.4") || v.Hops[len(v.Hops)-2].ResourceID != w.fe.ID ||
					v.Hops[len(v.Hops)-2].Address != w.fe.PrivateIP {
					t.Errorf("hops %+v", v.Hops)
				}
			}
		})
	}
}

func srcHost(w *plWorld, q fabric.Query) *fabric.Host { return w.b.s.Hosts[q.Source] }

// The consumer's address space overlaps the provider's: the client
// 10.0.0.4 reaches be1 10.0.0.4 (another host) through the endpoint.
func TestPrivateLinkOverlappingSpaces(t *testing.T) {
	w, _ := newPLWorld("Approved", "")
	s := w.b.snapshot()
	seen := map[*fabric.Host]bool{}
	for h := range uint64(8) {
		q := tcp(w.client, "10.0.1.5", 443)
		q.FlowHash = h
		v := Evaluate(s, q)
		if v.Outcome != fabric.Delivered || v.TargetHost == w.client {
			t.Fatalf("hash %d: %s to %v: %s", h, v.Outcome, v.TargetHost, blocksString(v.Blocks))
		}
		seen[v.TargetHost] = true
		if v.Backend.Addr.String() != "10.0.0.4" && v.Backend.Addr.String() != "10.0.0.5" {
			t.Fatalf("backend %v", v.Backend.Addr)
		}
	}
	if !seen[w.be1] || !seen[w.be2] {
		t.Fatalf("backends used: %v", seen)
	}
	// Directly, 10.0.0.4 from the consumer is the client itself.
	if v := Evaluate(s, tcp(w.client, "10.0.0.4", 80)); v.TargetHost != w.client {
		t.Fatalf("own address: %v", v.TargetHost)
	}
}

func TestPrivateEndpointRoutes(t *testing.T) {
	w, _ := newPLWorld("Approved", "")
	s := w.b.snapshot()
	find := func(rs []EffectiveRoute, prefix string) *EffectiveRoute {
		for i := range rs {
			if len(rs[i].AddressPrefix) == 1 && rs[i].AddressPrefix[0] == prefix {
				return &rs[i]
			}
		}
		return nil
	}
	for _, h := range []*fabric.Host{w.client, w.hubvm} {
		r := find(EffectiveRoutes(s, ipc(h)), "10.0.1.5/32")
		if r == nil || r.NextHopType != "InterfaceEndpoint" || r.Source != "Default" || r.State != "Active" {
			t.Fatalf("%s: endpoint route %+v", h.Name, r)
		}
		if nh := NextHop(s, ipc(h), netip.MustParseAddr("10.0.1.5")); nh.NextHopType != "InterfaceEndpoint" {
			t.Fatalf("%s: next hop %+v", h.Name, nh)
		}
	}
	if r := find(EffectiveRoutes(s, ipc(w.lon)), "10.0.1.5/32"); r != nil {
		t.Fatalf("unpeered VNet has the endpoint route: %+v", r)
	}
	if r := find(EffectiveRoutes(s, ipc(w.be1)), "10.0.1.5/32"); r != nil {
		t.Fatalf("provider VNet has the endpoint route: %+v", r)
	}

	// A user route covering the endpoint's VNet invalidates the /32 only
	// when the endpoint subnet enables route table policies; 0.0.0.0/0
	// never does.
	nva := w.b.vm("nva", w.b.subnet(w.hub, "nva", "10.10.1.0/24"), "10.10.1.4")
	nicOf(nva).IPForwarding = true
	s = w.b.snapshot()
	hubDef := ipc(w.hubvm).Subnet
	for _, tc := range []struct {
		policy, prefix  string
		invalid, viaNVA bool
	}{
		{"Disabled", "10.0.0.0/16", false, false},
		{"RouteTableEnabled", "10.0.0.0/16", true, true},
		// Invalidated, but then the peering's /16 beats the /8 route.
		{"Enabled", "10.0.0.0/8", true, false},
		{"RouteTableEnabled", "0.0.0.0/0", false, false},
		{"RouteTableEnabled", "10.0.1.0/24", false, false},
		{"NetworkSecurityGroupEnabled", "10.0.0.0/16", false, false},
	} {
		w.consPE.PrivateEndpointNetworkPolicies = tc.policy
		hubDef.RouteTable = w.b.routeTable("rt", udr("to-nva", tc.prefix, "VirtualAppliance", "10.10.1.4"))
		r := find(EffectiveRoutes(s, ipc(w.hubvm)), "10.0.1.5/32")
		if r == nil || (r.State == "Invalid") != tc.invalid {
			t.Errorf("%s %s: route %+v, want invalid=%v", tc.policy, tc.prefix, r, tc.invalid)
		}
		nh := NextHop(s, ipc(w.hubvm), netip.MustParseAddr("10.0.1.5"))
		if (nh.NextHopType == "VirtualAppliance") != tc.viaNVA {
			t.Errorf("%s %s: next hop %+v", tc.policy, tc.prefix, nh)
		}
		v := Evaluate(s, tcp(w.hubvm, "10.0.1.5", 443))
		hops := hopTypes(v)
		if v.Outcome != fabric.Delivered || slices.Contains(hops, "VirtualAppliance") != tc.viaNVA || !slices.Contains(hops, "PrivateEndpoint") {
			t.Errorf("%s %s: %s via %v: %s", tc.policy, tc.prefix, v.Outcome, hops, blocksString(v.Blocks))
		}
	}
	// A /32 user route always wins over the endpoint route.
	w.consPE.PrivateEndpointNetworkPolicies = "Disabled"
	hubDef.RouteTable = w.b.routeTable("rt", udr("pe", "10.0.1.5/32", "VirtualAppliance", "10.10.1.4"))
	if nh := NextHop(s, ipc(w.hubvm), netip.MustParseAddr("10.0.1.5")); nh.NextHopType != "VirtualAppliance" {
		t.Errorf("/32 UDR: next hop %+v", nh)
	}
}

func hopTypes(v fabric.Verdict) []string {
	var out []string
	for _, h := range v.Hops {
		out = append(out, h.Type)
	}
	return out
}

func TestPrivateLinkReasonsNameSettings(t *testing.T) {
	w, _ := newPLWorld("Pending", "Awaiting approval")
	v := Evaluate(w.b.snapshot(), tcp(w.client, "10.0.1.5", 443))
	if len(v.Blocks) != 1 || v.Blocks[0].ResourceID != rgID+"microsoft.network/privateendpoints/pe1" ||
		!strings.Contains(v.Hops[2].Issues[0].Reason, "Pending") || v.Hops[2].Type != "PrivateEndpoint" {
		t.Fatalf("blocks %+v hops %+v", v.Blocks, v.Hops)
	}
}
