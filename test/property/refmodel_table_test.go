package property_test

import (
	"net/netip"
	"testing"
)

// hand builds small topologies for the model's own table tests.
type hand struct{ t *Topology }

func newHand() *hand { return &hand{t: &Topology{}} }

func (h *hand) vnet(name, prefix string, subnets ...string) *VNet {
	v := &VNet{Name: name, Prefix: netip.MustParsePrefix(prefix)}
	for i, s := range subnets {
		v.Subnets = append(v.Subnets, &Subnet{Name: "s" + string(rune('0'+i)), VNet: v, Prefix: netip.MustParsePrefix(s)})
	}
	h.t.VNets = append(h.t.VNets, v)
	return v
}

func (h *hand) peer(a, b *VNet, access bool) *Peering {
	p := &Peering{Name: a.Name + "-to-" + b.Name, Local: a, Remote: b, AllowAccess: access}
	h.t.Peerings = append(h.t.Peerings, p)
	return p
}

func (h *hand) vm(name string, s *Subnet, ip string, listeners ...int) *VM {
	m := &VM{Name: name, Subnet: s, IP: netip.MustParseAddr(ip), Power: PowerRunning, Listeners: listeners}
	h.t.VMs = append(h.t.VMs, m)
	return m
}

func (h *hand) nsg(name string, rules ...Rule) *NSG {
	n := &NSG{Name: name, Rules: rules}
	h.t.NSGs = append(h.t.NSGs, n)
	return n
}

func (h *hand) rt(name string, prefixes ...string) *RouteTable {
	r := &RouteTable{Name: name}
	for i, p := range prefixes {
		r.Routes = append(r.Routes, Route{Name: "r" + string(rune('0'+i)), Prefix: netip.MustParsePrefix(p)})
	}
	h.t.RouteTables = append(h.t.RouteTables, r)
	return r
}

func rule(name, dir string, prio int, access, proto, src, dst, port string) Rule {
	return Rule{Name: name, Direction: dir, Priority: prio, Access: access, Protocol: proto, Src: src, Dst: dst, DstPort: port}
}

func TestReferenceModel(t *testing.T) {
	type probe struct {
		from, to string
		port     int
		want     Outcome
	}
	cases := []struct {
		name   string
		build  func(h *hand)
		probes []probe
	}{
		{"same subnet: listener, ssh banner, refused", func(h *hand) {
			v := h.vnet("v0", "10.1.0.0/16", "10.1.0.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4")
			h.vm("b", v.Subnets[0], "10.1.0.5", 80)
		}, []probe{{"a", "b", 80, Success}, {"a", "b", 22, Success}, {"a", "b", 443, Refused}, {"b", "a", 80, Refused}, {"b", "a", 22, Success}}},

		{"same VNet, other subnet", func(h *hand) {
			v := h.vnet("v0", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4")
			h.vm("b", v.Subnets[1], "10.1.1.4", 443)
		}, []probe{{"a", "b", 443, Success}}},

		{"stopped destination and stopped source", func(h *hand) {
			v := h.vnet("v0", "10.1.0.0/16", "10.1.0.0/24")
			a := h.vm("a", v.Subnets[0], "10.1.0.4", 80)
			b := h.vm("b", v.Subnets[0], "10.1.0.5", 80)
			h.vm("c", v.Subnets[0], "10.1.0.6", 80)
			a.Power = PowerStopped
			b.Power = PowerDeallocated
		}, []probe{{"c", "a", 80, HostUnreachable}, {"c", "b", 22, HostUnreachable}, {"a", "c", 80, HostUnreachable}, {"b", "c", 22, HostUnreachable}}},

		{"peering: connected, initiated, access false, not transitive", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24")
			z := h.vnet("z", "10.3.0.0/16", "10.3.0.0/24")
			w := h.vnet("w", "10.4.0.0/16", "10.4.0.0/24")
			h.peer(x, y, true)
			h.peer(y, x, true)
			h.peer(y, z, true)
			h.peer(z, y, false)
			h.peer(x, w, true) // one side only: Initiated
			h.vm("a", x.Subnets[0], "10.1.0.4", 80)
			h.vm("b", y.Subnets[0], "10.2.0.4", 80)
			h.vm("c", z.Subnets[0], "10.3.0.4", 80)
			h.vm("d", w.Subnets[0], "10.4.0.4", 80)
		}, []probe{
			{"a", "b", 80, Success}, {"b", "a", 80, Success},
			{"b", "c", 80, Success},            // y's side allows access
			{"c", "b", 80, NetworkUnreachable}, // z's side does not
			{"a", "c", 80, NetworkUnreachable}, // x-y-z is not transitive
			{"a", "d", 22, NetworkUnreachable}, // Initiated carries nothing
			{"d", "a", 22, NetworkUnreachable},
		}},

		{"None routes: longest prefix, user wins ties, /8 loses to VNet /16", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24", "10.2.1.0/24")
			h.peer(x, y, true)
			h.peer(y, x, true)
			x.Subnets[0].RouteTable = h.rt("rt-x0", "10.2.0.0/16") // tie with the peering route: user wins
			x.Subnets[1].RouteTable = h.rt("rt-x1", "10.0.0.0/8")  // loses to the VNet and peering /16s
			y.Subnets[0].RouteTable = h.rt("rt-y0", "10.2.1.0/24") // more specific than its own VNet
			y.Subnets[1].RouteTable = h.rt("rt-y1", "10.2.0.0/16") // tie with VnetLocal: user wins
			h.vm("a0", x.Subnets[0], "10.1.0.4", 80)
			h.vm("a1", x.Subnets[1], "10.1.1.4", 80)
			h.vm("b0", y.Subnets[0], "10.2.0.4", 80)
			h.vm("b1", y.Subnets[1], "10.2.1.4", 80)
		}, []probe{
			{"a0", "b0", 80, NetworkUnreachable}, {"a0", "a1", 80, Success},
			{"a1", "b0", 80, Success}, {"a1", "a0", 80, Success},
			{"b0", "b1", 80, NetworkUnreachable}, {"b0", "a0", 80, Success},
			{"b1", "b0", 80, NetworkUnreachable}, {"b1", "a1", 80, Success},
		}},

		{"NSG at each of the four places", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			a := h.vm("a", v.Subnets[0], "10.1.0.4", 80, 443, 8080)
			b := h.vm("b", v.Subnets[1], "10.1.1.4", 80, 443, 8080)
			a.NICNSG = h.nsg("a-nic", rule("no80", "Outbound", 100, "Deny", "Tcp", "*", "*", "80"))
			v.Subnets[0].NSG = h.nsg("s0", rule("no443", "Outbound", 100, "Deny", "*", "*", "10.1.1.4/32", "443"))
			v.Subnets[1].NSG = h.nsg("s1", rule("no8080", "Inbound", 100, "Deny", "*", "10.1.0.0/16", "*", "8080"))
			b.NICNSG = h.nsg("b-nic", rule("no22", "Inbound", 4096, "Deny", "Tcp", "VirtualNetwork", "VirtualNetwork", "22"))
		}, []probe{{"a", "b", 80, DeniedByNSG}, {"a", "b", 443, DeniedByNSG}, {"a", "b", 8080, DeniedByNSG}, {"a", "b", 22, DeniedByNSG},
			{"b", "a", 80, Success}, {"b", "a", 443, Success}}},

		{"priority order, Udp rules do not match Tcp, Internet never matches private", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4", 80, 443, 8080)
			b := h.vm("b", v.Subnets[0], "10.1.0.5", 80, 443, 8080)
			b.NICNSG = h.nsg("b-nic",
				rule("allow80", "Inbound", 200, "Allow", "Tcp", "*", "*", "80"),
				rule("deny80", "Inbound", 300, "Deny", "*", "*", "*", "80"),
				rule("deny443late", "Inbound", 4000, "Deny", "*", "*", "*", "443"),
				rule("allow443early", "Inbound", 150, "Allow", "*", "*", "*", "443"),
				rule("udp8080", "Inbound", 100, "Deny", "Udp", "*", "*", "8080"),
				rule("internet22", "Inbound", 110, "Deny", "*", "Internet", "*", "*"),
			)
		}, []probe{{"a", "b", 80, Success}, {"a", "b", 443, Success}, {"a", "b", 8080, Success}, {"a", "b", 22, Success}}},

		{"default rules: DenyAllOutBound overridden, VirtualNetwork tag", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24")
			h.peer(x, y, true)
			h.peer(y, x, true)
			a := h.vm("a", x.Subnets[0], "10.1.0.4", 80)
			h.vm("b", y.Subnets[0], "10.2.0.4", 80)
			c := h.vm("c", x.Subnets[1], "10.1.1.4", 80)
			// Deny everything towards VirtualNetwork: peered prefixes are part of it.
			a.NICNSG = h.nsg("a-nic", rule("novnet", "Outbound", 100, "Deny", "*", "*", "VirtualNetwork", "*"))
			// c's subnet routes 10.9.0.0/16 to None (that prefix joins c's
			// VirtualNetwork tag); the peered y is in the tag too, so
			// denyvnet catches b; "Internet" never matches a private source.
			x.Subnets[1].RouteTable = h.rt("rt", "10.9.0.0/16")
			c.NICNSG = h.nsg("c-nic", rule("allowall", "Inbound", 100, "Allow", "*", "Internet", "*", "*"),
				rule("denyvnet", "Inbound", 200, "Deny", "*", "VirtualNetwork", "*", "80"))
		}, []probe{{"a", "b", 80, DeniedByNSG}, {"a", "c", 22, DeniedByNSG}, {"b", "a", 80, Success}, {"b", "c", 80, DeniedByNSG}, {"b", "c", 22, Success}}},

		{"peering access disabled on the far side: only the VirtualNetwork tag changes", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24", "10.2.1.0/24")
			h.peer(x, y, true)
			h.peer(y, x, false)
			h.vm("a", x.Subnets[0], "10.1.0.4", 80)
			h.vm("b", y.Subnets[0], "10.2.0.4", 80)
			c := h.vm("c", y.Subnets[1], "10.2.1.4", 80)
			// An NSG without user rules: y's tag lacks x, so AllowVnetInBound
			// does not match a's address and DenyAllInBound decides.
			y.Subnets[1].NSG = h.nsg("y-s1")
			c.NICNSG = h.nsg("c-nic", rule("allow-x", "Inbound", 300, "Allow", "Tcp", "10.1.0.0/16", "*", "80"))
		}, []probe{{"a", "b", 80, Success}, {"a", "c", 22, DeniedByNSG}, {"a", "c", 80, DeniedByNSG}, {"b", "a", 80, NetworkUnreachable}}},

		{"precedence: route before stopped destination before NSG before listener", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24")
			a := h.vm("a", x.Subnets[0], "10.1.0.4")
			b := h.vm("b", x.Subnets[0], "10.1.0.5")
			c := h.vm("c", y.Subnets[0], "10.2.0.4")
			b.Power = PowerStopped
			c.Power = PowerDeallocated
			a.NICNSG = h.nsg("a-nic", rule("denyall", "Outbound", 100, "Deny", "*", "*", "*", "*"))
			h.vm("d", x.Subnets[0], "10.1.0.6")
		}, []probe{{"a", "c", 80, NetworkUnreachable}, {"a", "b", 80, HostUnreachable}, {"a", "d", 80, DeniedByNSG}, {"d", "a", 80, Refused}, {"b", "c", 80, HostUnreachable}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHand()
			tc.build(h)
			byName := map[string]*VM{}
			for _, m := range h.t.VMs {
				byName[m.Name] = m
			}
			for _, p := range tc.probes {
				got := h.t.Decide(byName[p.from], byName[p.to], p.port)
				if got.Outcome != p.want {
					t.Errorf("%s -> %s:%d = %v (%s), want %v\n%s", p.from, p.to, p.port, got.Outcome, got.Reason, p.want, h.t)
				}
			}
		})
	}
}

func TestReferenceModelVirtualNetworkTag(t *testing.T) {
	h := newHand()
	x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24")
	y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24")
	z := h.vnet("z", "10.3.0.0/16", "10.3.0.0/24")
	w := h.vnet("w", "10.4.0.0/16", "10.4.0.0/24")
	h.peer(x, y, true) // Connected
	h.peer(y, x, true)
	h.peer(x, w, false) // Connected, but x's side disables access
	h.peer(w, x, true)
	h.peer(x, z, true) // Initiated
	x.Subnets[0].RouteTable = h.rt("rt", "10.7.0.0/16", "10.3.0.0/24")
	got := h.t.vnetTag(x.Subnets[0])
	want := []string{"10.1.0.0/16", "10.2.0.0/16", "10.7.0.0/16", "10.3.0.0/24"}
	if len(got) != len(want) {
		t.Fatalf("tag = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Fatalf("tag = %v, want %v", got, want)
		}
	}
	if tag := h.t.vnetTag(z.Subnets[0]); len(tag) != 1 || tag[0] != z.Prefix {
		t.Fatalf("z tag = %v", tag)
	}
	if tag := h.t.vnetTag(w.Subnets[0]); len(tag) != 2 || tag[1] != x.Prefix {
		t.Fatalf("w tag = %v", tag)
	}
	for _, c := range []struct {
		spec string
		addr string
		want bool
	}{
		{"*", "10.9.9.9", true}, {"VirtualNetwork", "10.2.3.4", true}, {"VirtualNetwork", "10.3.0.9", true},
		{"VirtualNetwork", "10.3.1.9", false}, {"Internet", "10.9.9.9", false}, {"Internet", "52.160.0.1", true},
		{"10.2.0.0/16", "10.2.255.1", true}, {"10.2.0.4/32", "10.2.0.5", false}, {"AzureLoadBalancer", "10.1.0.4", false},
	} {
		if got := addrMatches(c.spec, netip.MustParseAddr(c.addr), h.t.vnetTag(x.Subnets[0])); got != c.want {
			t.Errorf("addrMatches(%s, %s) = %t, want %t", c.spec, c.addr, got, c.want)
		}
	}
}

// pl gives h's topology a provider side in prefix (a /16): frontend
// .0.10 Tcp 443 -> 8443, one NAT IP, running backends at .0.4, .0.5...
func (h *hand) pl(prefix string, backends int) *PrivateLink {
	p := netip.MustParsePrefix(prefix)
	o := p.Addr().As4()[1]
	v := &VNet{Name: "prov", Prefix: p}
	v.Subnets = []*Subnet{
		{Name: "be", VNet: v, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, o, 0, 0}), 24)},
		{Name: "nat", VNet: v, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, o, 1, 0}), 24)},
	}
	pl := &PrivateLink{VNet: v, FrontendIP: netip.AddrFrom4([4]byte{10, o, 0, 10}), FrontendPort: 443, BackendPort: 8443,
		NATIPs: []netip.Addr{netip.AddrFrom4([4]byte{10, o, 1, 4})}}
	for i := range backends {
		pl.Backends = append(pl.Backends, &VM{Name: "b" + string(rune('0'+i)), Subnet: v.Subnets[0],
			IP: netip.AddrFrom4([4]byte{10, o, 0, byte(4 + i)}), Power: PowerRunning, Listeners: []int{8443}})
	}
	h.t.PL = pl
	return pl
}

func (h *hand) pe(name string, s *Subnet, ip string, manual bool, a Action) *Endpoint {
	e := &Endpoint{Name: name, Subnet: s, IP: netip.MustParseAddr(ip), Manual: manual, Action: a}
	h.t.Endpoints = append(h.t.Endpoints, e)
	return e
}

func TestReferenceModelPrivateLink(t *testing.T) {
	type probe struct {
		from, to string // VM, endpoint
		port     int
		want     Outcome
	}
	cases := []struct {
		name   string
		build  func(h *hand)
		probes []probe
	}{
		{"connection states: only Approved carries traffic", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4")
			h.pl("10.9.0.0/16", 1)
			h.pe("auto", v.Subnets[0], "10.1.0.200", false, ActionLeave)
			h.pe("manual", v.Subnets[0], "10.1.0.201", true, ActionLeave)
			h.pe("approved", v.Subnets[0], "10.1.0.202", true, ActionApprove)
			h.pe("rejected", v.Subnets[0], "10.1.0.203", false, ActionReject)
			h.pe("removed", v.Subnets[0], "10.1.0.204", false, ActionRemove)
			h.pe("mremoved", v.Subnets[0], "10.1.0.205", true, ActionRemove)
		}, []probe{{"a", "auto", 443, Success}, {"a", "manual", 443, HostUnreachable}, {"a", "approved", 443, Success},
			{"a", "rejected", 443, HostUnreachable}, {"a", "removed", 443, HostUnreachable}, {"a", "mremoved", 443, HostUnreachable},
			{"a", "auto", 80, HostUnreachable}, {"a", "auto", 8443, HostUnreachable}, {"a", "manual", 80, HostUnreachable}}},

		{"auto-approval approves manual connections at once", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4")
			h.pl("10.9.0.0/16", 2).AutoApproval = true
			h.pe("manual", v.Subnets[0], "10.1.0.200", true, ActionLeave)
			h.pe("rejected", v.Subnets[0], "10.1.0.201", true, ActionReject)
		}, []probe{{"a", "manual", 443, Success}, {"a", "rejected", 443, HostUnreachable}}},

		{"peerings: the consumer side's access flag decides, Initiated carries nothing", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24")
			y := h.vnet("y", "10.2.0.0/16", "10.2.0.0/24")
			z := h.vnet("z", "10.3.0.0/16", "10.3.0.0/24")
			w := h.vnet("w", "10.4.0.0/16", "10.4.0.0/24")
			h.peer(x, y, true)
			h.peer(y, x, false)
			h.peer(z, x, true) // Initiated
			h.peer(w, y, true)
			h.peer(y, w, true)
			h.vm("a", x.Subnets[0], "10.1.0.4")
			h.vm("b", y.Subnets[0], "10.2.0.4")
			h.vm("c", z.Subnets[0], "10.3.0.4")
			h.vm("d", w.Subnets[0], "10.4.0.4")
			h.pl("10.9.0.0/16", 1)
			h.pe("px", x.Subnets[0], "10.1.0.200", false, ActionLeave)
			h.pe("py", y.Subnets[0], "10.2.0.200", false, ActionLeave)
		}, []probe{{"b", "px", 443, NetworkUnreachable}, {"a", "py", 443, Success}, {"c", "px", 443, NetworkUnreachable},
			{"d", "py", 443, Success}, {"d", "px", 443, NetworkUnreachable}}}, // not transitive

		{"routes: the endpoint's /32 beats shorter None routes, a /32 None route ties and wins", func(h *hand) {
			x := h.vnet("x", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24")
			x.Subnets[0].RouteTable = h.rt("rt0", "10.1.0.0/16")
			x.Subnets[1].RouteTable = h.rt("rt1", "10.1.0.0/24", "10.0.0.0/8")
			x.Subnets[2].RouteTable = h.rt("rt2", "10.1.0.200/32")
			h.vm("a0", x.Subnets[0], "10.1.0.4")
			h.vm("a1", x.Subnets[1], "10.1.1.4")
			h.vm("a2", x.Subnets[2], "10.1.2.4")
			h.vm("a3", x.Subnets[3], "10.1.3.4")
			h.pl("10.9.0.0/16", 1)
			h.pe("p", x.Subnets[0], "10.1.0.200", true, ActionApprove)
		}, []probe{{"a0", "p", 443, Success}, {"a1", "p", 443, Success}, {"a2", "p", 443, NetworkUnreachable}, {"a3", "p", 443, Success}}},

		{"NSGs: source outbound applies, the endpoint subnet's does not, connection before NSG", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24", "10.1.1.0/24")
			a := h.vm("a", v.Subnets[0], "10.1.0.4")
			b := h.vm("b", v.Subnets[0], "10.1.0.5")
			h.vm("c", v.Subnets[0], "10.1.0.6")
			a.NICNSG = h.nsg("a-nic", rule("nope", "Outbound", 100, "Deny", "Tcp", "*", "10.1.1.200/32", "443"))
			b.NICNSG = h.nsg("b-nic", rule("novnet", "Outbound", 100, "Deny", "*", "*", "VirtualNetwork", "*"))
			v.Subnets[1].NSG = h.nsg("pe-subnet", rule("denyall", "Inbound", 100, "Deny", "*", "*", "*", "*"))
			h.pl("10.9.0.0/16", 1)
			h.pe("p", v.Subnets[1], "10.1.1.200", false, ActionLeave)
			h.pe("q", v.Subnets[1], "10.1.1.201", true, ActionLeave)
		}, []probe{{"a", "p", 443, DeniedByNSG}, {"b", "p", 443, DeniedByNSG}, {"c", "p", 443, Success},
			{"b", "q", 443, HostUnreachable}, {"b", "p", 80, HostUnreachable}}}, // Pending / no rule, and b's NSG denies

		{"backends: none running, source stopped", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24")
			a := h.vm("a", v.Subnets[0], "10.1.0.4")
			h.vm("b", v.Subnets[0], "10.1.0.5")
			a.Power = PowerStopped
			pl := h.pl("10.9.0.0/16", 2)
			pl.Backends[0].Power = PowerDeallocated
			pl.Backends[1].Power = PowerStopped
			h.pe("p", v.Subnets[0], "10.1.0.200", false, ActionLeave)
		}, []probe{{"a", "p", 443, HostUnreachable}, {"b", "p", 443, HostUnreachable}}},

		{"overlapping provider space: the consumer's own addresses stay its own", func(h *hand) {
			v := h.vnet("v", "10.1.0.0/16", "10.1.0.0/24")
			h.vm("a", v.Subnets[0], "10.1.0.4")
			h.vm("b", v.Subnets[0], "10.1.0.5", 8443)
			h.pl("10.1.0.0/16", 2) // backends at 10.1.0.4 and .5 too
			h.pe("p", v.Subnets[0], "10.1.0.200", false, ActionLeave)
		}, []probe{{"a", "p", 443, Success}, {"b", "p", 443, Success}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHand()
			tc.build(h)
			vms, eps := map[string]*VM{}, map[string]*Endpoint{}
			for _, m := range h.t.VMs {
				vms[m.Name] = m
			}
			for _, e := range h.t.Endpoints {
				eps[e.Name] = e
			}
			for _, p := range tc.probes {
				got, backends := h.t.DecideEndpoint(vms[p.from], eps[p.to], p.port)
				if got.Outcome != p.want {
					t.Errorf("%s -> %s:%d = %v (%s), want %v\n%s", p.from, p.to, p.port, got.Outcome, got.Reason, p.want, h.t)
				}
				if (got.Outcome == Success) != (len(backends) > 0) {
					t.Errorf("%s -> %s:%d: %v with backends %v", p.from, p.to, p.port, got.Outcome, backends)
				}
				for _, b := range backends {
					if b.Subnet.VNet != h.t.PL.VNet || !b.Running() {
						t.Errorf("%s -> %s:%d: backend %s is not a running provider backend", p.from, p.to, p.port, b.Name)
					}
				}
			}
			// VM-to-VM answers ignore the endpoints' routes.
			for _, a := range h.t.VMs {
				for _, b := range h.t.VMs {
					if a != b {
						if d := h.t.Decide(a, b, 22); d.Outcome == HostUnreachable && a.Running() && b.Running() {
							t.Errorf("%s -> %s:22 = %v (%s)", a.Name, b.Name, d.Outcome, d.Reason)
						}
					}
				}
			}
		})
	}
}
