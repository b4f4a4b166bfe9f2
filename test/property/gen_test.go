package property_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// testPorts are the TCP ports probed between every pair of VMs. 22
// always answers an SSH banner on a running VM and is never declared.
var testPorts = []int{22, 80, 443, 8080}

// Generate builds topology index from seed: the same (seed, index)
// always gives the same topology, whatever the other topologies are.
func Generate(seed uint64, index int) *Topology {
	g := &gen{r: rand.New(rand.NewPCG(seed, uint64(index))), t: &Topology{Index: index}}
	g.vnets()
	g.vms()
	g.peerings()
	g.routeTables()
	g.nsgs()
	if g.chance(plShare) {
		g.privateLink()
	}
	return g.t
}

// plShare is the share of topologies with Private Link.
const plShare = 0.35

// privateLink adds a provider side and 1-3 private endpoints in consumer
// subnets.
//
// The provider VNet "prov" takes, two times in five, the same /16 as a
// consumer VNet (consumer and provider spaces may overlap: the service
// NATs), else an unused /16; it is never peered. Subnet be (.0.0/24)
// holds 1-2 backends (.4, .5) and the frontend (.0.10), subnet nat
// (.1.0/24) 1-2 NAT IPs (.1.4, .1.5). Ports: a frontend port among the
// test ports but 22, a backend port among 80, 443, 8080 and 9000; every
// backend declares a listener on it.
//
// Backends all run, or (one topology in seven) all are stopped or
// deallocated: the health prober marks members up or down
// asynchronously and a member counts as healthy until its first probe
// (internal/fabric/health), so a mix of running and stopped backends
// would make the answer depend on timing (a stopped member picked before
// its first probe gives host unreachable where the model expects a
// healthy one). All down gives host unreachable either way. The live
// harness adds the load-balancing rule, and so the probe targets, only
// after the listeners exist, so running backends are up from their first
// probe.
//
// Endpoints: address .200+i in a random consumer subnet, manual or
// automatic, and a random owner action (leave, approve, reject, remove).
// The consumers' subscription is in the service's autoApproval list one
// time in five. A subnet with a route table gets, one time in five, a
// /32 None route to a random endpoint's address.
func (g *gen) privateLink() {
	t := g.t
	prefix := g.unusedSlash16()
	if g.chance(0.4) {
		prefix = t.VNets[g.r.IntN(len(t.VNets))].Prefix
	}
	o := prefix.Addr().As4()[1]
	addr := func(c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{10, o, c, d}) }
	v := &VNet{Name: "prov", Prefix: prefix}
	v.Subnets = []*Subnet{
		{Name: "be", VNet: v, Prefix: netip.PrefixFrom(addr(0, 0), 24)},
		{Name: "nat", VNet: v, Prefix: netip.PrefixFrom(addr(1, 0), 24)},
	}
	fports := []int{80, 443, 8080}
	bports := []int{80, 443, 8080, 9000}
	pl := &PrivateLink{VNet: v, FrontendIP: addr(0, 10), FrontendPort: fports[g.r.IntN(len(fports))],
		BackendPort: bports[g.r.IntN(len(bports))], AutoApproval: g.chance(0.2)}
	for i := range 1 + g.r.IntN(2) {
		pl.NATIPs = append(pl.NATIPs, addr(1, byte(4+i)))
	}
	power := PowerRunning
	if g.chance(1.0 / 7) {
		power = PowerStopped
		if g.chance(0.5) {
			power = PowerDeallocated
		}
	}
	for i := range 1 + g.r.IntN(2) {
		pl.Backends = append(pl.Backends, &VM{Name: fmt.Sprintf("b%d", i), Subnet: v.Subnets[0], IP: addr(0, byte(4+i)),
			Power: power, Listeners: []int{pl.BackendPort}})
	}
	t.PL = pl
	subnets := g.subnets()
	for i := range 1 + g.r.IntN(3) {
		s := subnets[g.r.IntN(len(subnets))]
		b := s.Prefix.Addr().As4()
		b[3] = byte(200 + i)
		t.Endpoints = append(t.Endpoints, &Endpoint{Name: fmt.Sprintf("pe%d", i), Subnet: s, IP: netip.AddrFrom4(b),
			Manual: g.chance(0.5), Action: Action(g.r.IntN(4))})
	}
	g.endpointRules()
	for _, s := range subnets {
		if s.RouteTable != nil && g.chance(0.2) {
			e := t.Endpoints[g.r.IntN(len(t.Endpoints))]
			s.RouteTable.Routes = append(s.RouteTable.Routes, Route{Name: "rpe", Prefix: netip.PrefixFrom(e.IP, 32)})
		}
	}
}

type gen struct {
	r *rand.Rand
	t *Topology
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// vnets: 2-4 VNets with distinct /16s from 10.0.0.0/8, 1-2 /24 subnets.
func (g *gen) vnets() {
	n := 2 + g.r.IntN(3)
	used := map[int]bool{}
	for i := range n {
		o := 1 + g.r.IntN(254)
		for used[o] {
			o = 1 + g.r.IntN(254)
		}
		used[o] = true
		v := &VNet{Name: fmt.Sprintf("v%d", i), Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(o), 0, 0}), 16)}
		for s := range 1 + g.r.IntN(2) {
			v.Subnets = append(v.Subnets, &Subnet{Name: fmt.Sprintf("s%d", s), VNet: v,
				Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(o), byte(s), 0}), 24)})
		}
		g.t.VNets = append(g.t.VNets, v)
	}
}

func (g *gen) subnets() []*Subnet { return g.t.subnets() }

// subnets are the consumer VNets' subnets (the provider's are apart).
func (t *Topology) subnets() []*Subnet {
	var out []*Subnet
	for _, v := range t.VNets {
		out = append(out, v.Subnets...)
	}
	return out
}

// vms: 2-5 VMs in random subnets (static addresses from .4 on), about
// one in six not running, listeners on a random subset of the ports.
func (g *gen) vms() {
	subnets := g.subnets()
	next := map[*Subnet]int{}
	for i := range 2 + g.r.IntN(4) {
		s := subnets[g.r.IntN(len(subnets))]
		host := 4 + next[s]
		next[s]++
		b := s.Prefix.Addr().As4()
		b[3] = byte(host)
		m := &VM{Name: fmt.Sprintf("m%d", i), Subnet: s, IP: netip.AddrFrom4(b), Power: PowerRunning}
		switch x := g.r.Float64(); {
		case x < 0.08:
			m.Power = PowerStopped
		case x < 0.16:
			m.Power = PowerDeallocated
		}
		for _, p := range testPorts {
			if p != sshPort && g.chance(0.5) {
				m.Listeners = append(m.Listeners, p)
			}
		}
		g.t.VMs = append(g.t.VMs, m)
	}
}

// peerings: per pair of VNets none, one side (Initiated) or both sides
// (Connected), each side with a random allowVirtualNetworkAccess.
func (g *gen) peerings() {
	vs := g.t.VNets
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			var sides [][2]*VNet
			switch x := g.r.Float64(); {
			case x < 0.20:
			case x < 0.30:
				sides = [][2]*VNet{{vs[i], vs[j]}}
			case x < 0.40:
				sides = [][2]*VNet{{vs[j], vs[i]}}
			default:
				sides = [][2]*VNet{{vs[i], vs[j]}, {vs[j], vs[i]}}
			}
			for _, s := range sides {
				g.t.Peerings = append(g.t.Peerings, &Peering{Name: s[0].Name + "-to-" + s[1].Name,
					Local: s[0], Remote: s[1], AllowAccess: g.chance(0.8)})
			}
		}
	}
}

// routeTables: about 25% of subnets get a table with 1-2 None routes,
// mostly to a VNet's /16, sometimes to an unused /16, a subnet's /24 or
// 10.0.0.0/8.
func (g *gen) routeTables() {
	subnets := g.subnets()
	for _, s := range subnets {
		if !g.chance(0.25) {
			continue
		}
		rt := &RouteTable{Name: "rt-" + s.VNet.Name + "-" + s.Name}
		seen := map[netip.Prefix]bool{}
		for i := range 1 + g.r.IntN(2) {
			var p netip.Prefix
			switch x := g.r.Float64(); {
			case x < 0.70:
				p = g.t.VNets[g.r.IntN(len(g.t.VNets))].Prefix
			case x < 0.80:
				p = g.unusedSlash16()
			case x < 0.95:
				p = subnets[g.r.IntN(len(subnets))].Prefix
			default:
				p = privateTen
			}
			if seen[p] {
				continue
			}
			seen[p] = true
			rt.Routes = append(rt.Routes, Route{Name: fmt.Sprintf("r%d", i), Prefix: p})
		}
		s.RouteTable = rt
		g.t.RouteTables = append(g.t.RouteTables, rt)
	}
}

// endpointRules: about a third of the NSGs get an outbound rule aimed
// at the endpoints (an endpoint's /32, its VNet's /16 or VirtualNetwork;
// the frontend port or any), mostly Deny, so that NSGs decide endpoint
// flows often enough.
func (g *gen) endpointRules() {
	t := g.t
	for _, n := range t.NSGs {
		if !g.chance(0.35) {
			continue
		}
		used := map[int]bool{}
		for _, r := range n.Rules {
			if r.Direction == "Outbound" {
				used[r.Priority] = true
			}
		}
		prio := 100 + g.r.IntN(3997)
		for used[prio] {
			prio = 100 + g.r.IntN(3997)
		}
		e := t.Endpoints[g.r.IntN(len(t.Endpoints))]
		dst := netip.PrefixFrom(e.IP, 32).String()
		switch x := g.r.Float64(); {
		case x < 0.25:
			dst = e.Subnet.VNet.Prefix.String()
		case x < 0.45:
			dst = "VirtualNetwork"
		}
		access, proto, port := "Deny", "Tcp", fmt.Sprint(t.PL.FrontendPort)
		if g.chance(0.25) {
			access = "Allow"
		}
		if g.chance(0.3) {
			proto = "*"
		}
		if g.chance(0.3) {
			port = "*"
		}
		src := "*"
		if g.chance(0.3) {
			src = "VirtualNetwork"
		}
		n.Rules = append(n.Rules, Rule{Name: "rulepe", Priority: prio, Direction: "Outbound", Access: access,
			Protocol: proto, Src: src, Dst: dst, DstPort: port})
	}
}

func (g *gen) unusedSlash16() netip.Prefix {
	for {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(1 + g.r.IntN(254)), 0, 0}), 16)
		free := true
		for _, v := range g.t.VNets {
			if v.Prefix == p {
				free = false
			}
		}
		if free {
			return p
		}
	}
}

// nsgs: about half of the subnets and NICs get an NSG with 0-3 rules.
func (g *gen) nsgs() {
	for _, s := range g.subnets() {
		if g.chance(0.5) {
			s.NSG = g.nsg("nsg-" + s.VNet.Name + "-" + s.Name)
		}
	}
	for _, m := range g.t.VMs {
		if g.chance(0.45) {
			m.NICNSG = g.nsg("nsg-" + m.Name + "-nic")
		}
	}
}

func (g *gen) nsg(name string) *NSG {
	n := &NSG{Name: name}
	used := map[string]bool{}
	for i := range g.r.IntN(4) {
		dir := "Inbound"
		if g.chance(0.5) {
			dir = "Outbound"
		}
		prio := 100 + g.r.IntN(3997)
		for used[fmt.Sprint(dir, prio)] {
			prio = 100 + g.r.IntN(3997)
		}
		used[fmt.Sprint(dir, prio)] = true
		access := "Allow"
		if g.chance(0.5) {
			access = "Deny"
		}
		proto := "Tcp"
		switch x := g.r.Float64(); {
		case x < 0.35:
			proto = "*"
		case x < 0.55:
			proto = "Udp"
		}
		port := "*"
		if k := g.r.IntN(len(testPorts) + 1); k < len(testPorts) {
			port = fmt.Sprint(testPorts[k])
		}
		n.Rules = append(n.Rules, Rule{Name: fmt.Sprintf("rule%d", i), Priority: prio, Direction: dir,
			Access: access, Protocol: proto, Src: g.addressPrefix(), Dst: g.addressPrefix(), DstPort: port})
	}
	g.t.NSGs = append(g.t.NSGs, n)
	return n
}

// addressPrefix: *, VirtualNetwork, a VNet's /16, a VM's /32 or Internet.
func (g *gen) addressPrefix() string {
	switch g.r.IntN(5) {
	case 0:
		return "*"
	case 1:
		return "VirtualNetwork"
	case 2:
		return g.t.VNets[g.r.IntN(len(g.t.VNets))].Prefix.String()
	case 3:
		return netip.PrefixFrom(g.t.VMs[g.r.IntN(len(g.t.VMs))].IP, 32).String()
	}
	return "Internet"
}

func TestGenerateIsReproducibleAndValid(t *testing.T) {
	counts := map[Outcome]int{}
	for i := range 300 {
		a, b := Generate(42, i).String(), Generate(42, i).String()
		if a != b {
			t.Fatalf("topology %d differs between two generations:\n%s\n%s", i, a, b)
		}
		top := Generate(42, i)
		if n := len(top.VNets); n < 2 || n > 4 {
			t.Fatalf("topology %d has %d VNets", i, n)
		}
		if n := len(top.VMs); n < 2 || n > 5 {
			t.Fatalf("topology %d has %d VMs", i, n)
		}
		ips := map[netip.Addr]bool{}
		for _, m := range top.VMs {
			if ips[m.IP] || !m.Subnet.Prefix.Contains(m.IP) || m.IP.As4()[3] < 4 {
				t.Fatalf("topology %d: bad address %s for %s", i, m.IP, m.Name)
			}
			ips[m.IP] = true
		}
		for _, a := range top.VMs {
			for _, b := range top.VMs {
				if a != b {
					for _, p := range testPorts {
						counts[top.Decide(a, b, p).Outcome]++
					}
				}
			}
		}
	}
	if Generate(42, 1).String() == Generate(43, 1).String() {
		t.Fatal("seed does not change the topology")
	}
	// Every outcome must be reachable by the generator, and none may
	// dominate, or the property test would check little.
	total := 0
	for _, n := range counts {
		total += n
	}
	for o := Success; o <= Refused; o++ {
		if counts[o] < total/100 {
			t.Errorf("outcome %v is rare: %d of %d probes (%v)", o, counts[o], total, counts)
		}
	}
	t.Logf("outcome distribution over 300 topologies: %v", counts)
}

func TestGeneratePrivateLink(t *testing.T) {
	const n = 600
	withPL, overlap, autoApproval, stopped, pinned := 0, 0, 0, 0, 0
	outcomes := map[Outcome]int{}
	states := map[string]int{}
	for i := range n {
		top := Generate(42, i)
		if top.PL == nil {
			if len(top.Endpoints) != 0 {
				t.Fatalf("topology %d has endpoints but no service", i)
			}
			continue
		}
		withPL++
		pl := top.PL
		for _, v := range top.VNets {
			if v.Prefix.Overlaps(pl.VNet.Prefix) {
				overlap++
			}
		}
		if pl.AutoApproval {
			autoApproval++
		}
		if n := len(pl.Backends); n < 1 || n > 2 {
			t.Fatalf("topology %d has %d backends", i, n)
		}
		if n := len(pl.NATIPs); n < 1 || n > 2 {
			t.Fatalf("topology %d has %d NAT IPs", i, n)
		}
		if !pl.VNet.Subnets[0].Prefix.Contains(pl.FrontendIP) {
			t.Fatalf("topology %d: frontend %s outside %s", i, pl.FrontendIP, pl.VNet.Subnets[0].Prefix)
		}
		for _, ip := range pl.NATIPs {
			if !pl.VNet.Subnets[1].Prefix.Contains(ip) {
				t.Fatalf("topology %d: NAT IP %s outside the NAT subnet", i, ip)
			}
		}
		if pl.Backends[0].Power != PowerRunning {
			stopped++
		}
		for _, b := range pl.Backends {
			if b.Power != pl.Backends[0].Power || !b.HasListener(pl.BackendPort) || b.IP == pl.FrontendIP {
				t.Fatalf("topology %d: backend %s breaks the generator's rules: %s", i, b.Name, top)
			}
		}
		if n := len(top.Endpoints); n < 1 || n > 3 {
			t.Fatalf("topology %d has %d endpoints", i, n)
		}
		ips := map[netip.Addr]bool{}
		for _, m := range top.VMs {
			ips[m.IP] = true
		}
		for _, e := range top.Endpoints {
			if ips[e.IP] || !e.Subnet.Prefix.Contains(e.IP) || !slices.Contains(top.subnets(), e.Subnet) {
				t.Fatalf("topology %d: bad endpoint %s %s", i, e.Name, e.IP)
			}
			ips[e.IP] = true
			states[top.State(e)]++
			for _, a := range top.VMs {
				for _, p := range testPorts {
					d, _ := top.DecideEndpoint(a, e, p)
					if p == pl.FrontendPort {
						outcomes[d.Outcome]++
					} else if d.Outcome == Success {
						t.Fatalf("topology %d: %s reaches %s on %d, which has no rule", i, a.Name, e.Name, p)
					}
				}
			}
		}
		for _, s := range top.subnets() {
			if s.RouteTable != nil && slices.ContainsFunc(s.RouteTable.Routes, func(r Route) bool { return r.Prefix.Bits() == 32 }) {
				pinned++
			}
		}
	}
	t.Logf("%d of %d topologies with Private Link (%d overlapping a consumer VNet, %d auto-approval, %d with backends down, %d /32 None routes); states %v; outcomes %v",
		withPL, n, overlap, autoApproval, stopped, pinned, states, outcomes)
	if withPL < n/5 || withPL > n/2 {
		t.Errorf("Private Link in %d of %d topologies", withPL, n)
	}
	for _, c := range []struct {
		what string
		got  int
	}{{"overlapping provider VNets", overlap}, {"auto-approval", autoApproval}, {"backends down", stopped}, {"/32 None routes", pinned}} {
		if c.got < 5 {
			t.Errorf("%s: only %d", c.what, c.got)
		}
	}
	for _, st := range []string{StatePending, StateApproved, StateRejected, StateDisconnected} {
		if states[st] < withPL/10 {
			t.Errorf("state %s is rare: %v", st, states)
		}
	}
	// On the frontend port every outcome but Refused must be common.
	total := 0
	for _, c := range outcomes {
		total += c
	}
	for _, o := range []Outcome{Success, DeniedByNSG, NetworkUnreachable, HostUnreachable} {
		if outcomes[o] < total/100 {
			t.Errorf("endpoint outcome %v is rare: %v", o, outcomes)
		}
	}
	if outcomes[Refused] != 0 {
		t.Errorf("an endpoint probe is Refused in the model: %v", outcomes)
	}
}
