package property_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
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
	return g.t
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

func (g *gen) subnets() []*Subnet {
	var out []*Subnet
	for _, v := range g.t.VNets {
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
