package property_test

// The reference model: Azure's rules for a new TCP connection from one VM
// to another VM's private address, written from Azure's documentation
// (azure-behavior.md §7 and the Azure docs on peering, routing and NSGs),
// independently of internal/fabric/path. It covers exactly the features
// the generator produces: VNets, subnets, peerings, None user routes,
// NSGs with tags and CIDRs, VMs that run or not, declared listeners, and
// private endpoints' /32 routes (Private Link: refmodel_pl_test.go).

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Topology is a generated (or hand-written) topology.
type Topology struct {
	Index       int
	VNets       []*VNet
	Peerings    []*Peering
	NSGs        []*NSG
	RouteTables []*RouteTable
	VMs         []*VM
	// PL is the Private Link provider side (nil: none), Endpoints the
	// private endpoints connected to it (refmodel_pl_test.go).
	PL        *PrivateLink
	Endpoints []*Endpoint
}

// VNet is a virtual network with one address prefix.
type VNet struct {
	Name    string
	Prefix  netip.Prefix
	Subnets []*Subnet
}

// Subnet is a subnet with an optional NSG and route table.
type Subnet struct {
	Name       string
	VNet       *VNet
	Prefix     netip.Prefix
	NSG        *NSG
	RouteTable *RouteTable
}

// Peering is one side of a peering: Local's peering to Remote.
type Peering struct {
	Name        string
	Local       *VNet
	Remote      *VNet
	AllowAccess bool // allowVirtualNetworkAccess
}

// NSG is a network security group with its user rules.
type NSG struct {
	Name  string
	Rules []Rule
}

// Rule is a security rule (source port is always "*").
type Rule struct {
	Name      string
	Priority  int
	Direction string // Inbound, Outbound
	Access    string // Allow, Deny
	Protocol  string // Tcp, Udp, *
	Src, Dst  string // "*", a service tag or a CIDR
	DstPort   string // "*" or a port number
}

// RouteTable holds user routes, all with next hop None.
type RouteTable struct {
	Name   string
	Routes []Route
}

// Route is a user route to next hop None.
type Route struct {
	Name   string
	Prefix netip.Prefix
}

// Power states of a VM.
const (
	PowerRunning     = "running"
	PowerStopped     = "stopped"
	PowerDeallocated = "deallocated"
)

// VM is a virtual machine with one NIC and one IP configuration.
type VM struct {
	Name      string
	Subnet    *Subnet
	IP        netip.Addr
	NICNSG    *NSG
	Power     string
	Listeners []int // declared tcp listeners (never 22)
}

// Running reports whether the VM is running.
func (v *VM) Running() bool { return v.Power == PowerRunning }

// HasListener reports whether a listener is declared on port p.
func (v *VM) HasListener(p int) bool {
	for _, l := range v.Listeners {
		if l == p {
			return true
		}
	}
	return false
}

// Outcome of a connection attempt.
type Outcome int

// Outcomes, with the SOCKS5 reply each maps to.
const (
	Success            Outcome = iota // 0x00, reached the right host
	DeniedByNSG                       // 0x02 connection not allowed by ruleset
	NetworkUnreachable                // 0x03 route (None) or peering failure
	HostUnreachable                   // 0x04 source or destination not running
	Refused                           // 0x05 nothing listens there
)

// SOCKSReply is the SOCKS5 reply code for the outcome.
func (o Outcome) SOCKSReply() byte {
	switch o {
	case Success:
		return 0x00
	case DeniedByNSG:
		return 0x02
	case NetworkUnreachable:
		return 0x03
	case HostUnreachable:
		return 0x04
	case Refused:
		return 0x05
	}
	panic("unknown outcome")
}

func (o Outcome) String() string {
	return [...]string{"Success", "DeniedByNSG", "NetworkUnreachable", "HostUnreachable", "Refused"}[o]
}

// Decision is the model's answer with the reason for it.
type Decision struct {
	Outcome Outcome
	Reason  string
}

var privateTen = netip.MustParsePrefix("10.0.0.0/8")

// sshPort always answers with an SSH banner on a running VM.
const sshPort = 22

// connected reports whether local has a Connected peering to remote
// (both sides exist) and returns local's side.
func (t *Topology) connected(local, remote *VNet) (*Peering, bool) {
	var mine *Peering
	back := false
	for _, p := range t.Peerings {
		if p.Local == local && p.Remote == remote {
			mine = p
		}
		if p.Local == remote && p.Remote == local {
			back = true
		}
	}
	return mine, mine != nil && back
}

// routeKind is what a route does with a packet.
type routeKind int

const (
	routeLocal routeKind = iota
	routePeering
	routeNone
	routeEndpoint // a private endpoint's /32 (InterfaceEndpoint)
)

type candidate struct {
	prefix netip.Prefix
	kind   routeKind
	user   bool
	peer   *Peering
	name   string
}

// route picks the route for dst from subnet s: longest prefix wins, on a
// tie a user route beats a system route.
func (t *Topology) route(s *Subnet, dst netip.Addr) candidate {
	cands := []candidate{
		{prefix: s.VNet.Prefix, kind: routeLocal, name: "VnetLocal " + s.VNet.Prefix.String()},
		{prefix: privateTen, kind: routeNone, name: "system route 10.0.0.0/8 -> None"},
	}
	for _, v := range t.VNets {
		if v == s.VNet {
			continue
		}
		if p, ok := t.connected(s.VNet, v); ok {
			cands = append(cands, candidate{prefix: v.Prefix, kind: routePeering, peer: p, name: "VNetPeering " + p.Name})
		}
	}
	cands = append(cands, t.endpointRoutes(s)...)
	if s.RouteTable != nil {
		for _, r := range s.RouteTable.Routes {
			cands = append(cands, candidate{prefix: r.Prefix, kind: routeNone, user: true,
				name: fmt.Sprintf("user route %s/%s %s -> None", s.RouteTable.Name, r.Name, r.Prefix)})
		}
	}
	best := -1
	for i, c := range cands {
		if !c.prefix.Contains(dst) {
			continue
		}
		if best < 0 || c.prefix.Bits() > cands[best].prefix.Bits() ||
			(c.prefix.Bits() == cands[best].prefix.Bits() && c.user && !cands[best].user) {
			best = i
		}
	}
	// 10.0.0.0/8 always matches: every test address is in it.
	return cands[best]
}

// vnetTag is the VirtualNetwork service tag as seen by a NIC in subnet s:
// its VNet's prefix, the prefixes of VNets it has Connected peerings to,
// and the prefixes of its subnet's user routes.
//
// A Connected peering whose own side (s's VNet's peering) disables
// allowVirtualNetworkAccess does not add the remote VNet: with that flag
// off, the peering leaves the VirtualNetwork tag unchanged and traffic
// needs explicit NSG allow rules (Azure's peering settings, described in
// https://blog.aelterman.com/2021/01/08/defaulting-azure-virtual-network-peering-from-allowing-to-denying-traffic/).
// This refines the task's wording ("prefixes of VNets it has Connected
// peerings to"), which does not mention the flag.
func (t *Topology) vnetTag(s *Subnet) []netip.Prefix {
	out := []netip.Prefix{s.VNet.Prefix}
	for _, v := range t.VNets {
		if v == s.VNet {
			continue
		}
		if p, ok := t.connected(s.VNet, v); ok && p.AllowAccess {
			out = append(out, v.Prefix)
		}
	}
	if s.RouteTable != nil {
		for _, r := range s.RouteTable.Routes {
			out = append(out, r.Prefix)
		}
	}
	return out
}

// isPublic reports whether a is a public (Internet tag) address.
func isPublic(a netip.Addr) bool {
	for _, p := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return false
		}
	}
	return true
}

// addrMatches reports whether a rule's address prefix matches a, for a
// NIC whose VirtualNetwork tag is tag.
func addrMatches(spec string, a netip.Addr, tag []netip.Prefix) bool {
	switch spec {
	case "*":
		return true
	case "VirtualNetwork":
		for _, p := range tag {
			if p.Contains(a) {
				return true
			}
		}
		return false
	case "Internet":
		if !isPublic(a) {
			return false
		}
		for _, p := range tag {
			if p.Contains(a) {
				return false
			}
		}
		return true
	case "AzureLoadBalancer":
		return a == netip.MustParseAddr("168.63.129.16")
	}
	p, err := netip.ParsePrefix(spec)
	if err != nil {
		ip, err2 := netip.ParseAddr(spec)
		if err2 != nil {
			panic("bad address prefix in model: " + spec)
		}
		return ip == a
	}
	return p.Contains(a)
}

// defaultRules are Azure's default security rules.
var defaultRules = []Rule{
	{Name: "AllowVnetInBound", Priority: 65000, Direction: "Inbound", Access: "Allow", Protocol: "*", Src: "VirtualNetwork", Dst: "VirtualNetwork", DstPort: "*"},
	{Name: "AllowAzureLoadBalancerInBound", Priority: 65001, Direction: "Inbound", Access: "Allow", Protocol: "*", Src: "AzureLoadBalancer", Dst: "*", DstPort: "*"},
	{Name: "DenyAllInBound", Priority: 65500, Direction: "Inbound", Access: "Deny", Protocol: "*", Src: "*", Dst: "*", DstPort: "*"},
	{Name: "AllowVnetOutBound", Priority: 65000, Direction: "Outbound", Access: "Allow", Protocol: "*", Src: "VirtualNetwork", Dst: "VirtualNetwork", DstPort: "*"},
	{Name: "AllowInternetOutBound", Priority: 65001, Direction: "Outbound", Access: "Allow", Protocol: "*", Src: "*", Dst: "Internet", DstPort: "*"},
	{Name: "DenyAllOutBound", Priority: 65500, Direction: "Outbound", Access: "Deny", Protocol: "*", Src: "*", Dst: "*", DstPort: "*"},
}

// nsgAllows evaluates one NSG for a TCP flow src -> dst:port in a
// direction, for the NIC whose VirtualNetwork tag is tag: user rules by
// ascending priority, then the default rules; the first match decides.
func nsgAllows(n *NSG, dir string, src, dst netip.Addr, port int, tag []netip.Prefix) (bool, Rule) {
	var user []Rule
	for _, r := range n.Rules {
		if r.Direction == dir {
			user = append(user, r)
		}
	}
	sort.Slice(user, func(i, j int) bool { return user[i].Priority < user[j].Priority })
	for _, r := range append(user, defaultRules...) {
		if r.Direction != dir {
			continue
		}
		if r.Protocol != "*" && r.Protocol != "Tcp" {
			continue
		}
		if r.DstPort != "*" && r.DstPort != strconv.Itoa(port) {
			continue
		}
		if !addrMatches(r.Src, src, tag) || !addrMatches(r.Dst, dst, tag) {
			continue
		}
		return r.Access == "Allow", r
	}
	panic("no default rule matched")
}

// Decide is the model's verdict for a new TCP connection from VM a to VM
// b's private address on port. When several things block the flow, the
// outcome follows the packet: a source that is not running, then routing
// (None route, peering), then a destination that is not running, then
// the NSGs (outbound at the source NIC and subnet, inbound at the
// destination subnet and NIC), then the listener.
func (t *Topology) Decide(a, b *VM, port int) Decision {
	if !a.Running() {
		return Decision{HostUnreachable, "source " + a.Name + " is " + a.Power}
	}
	r := t.route(a.Subnet, b.IP)
	switch r.kind {
	case routeNone:
		return Decision{NetworkUnreachable, "route: " + r.name}
	case routePeering:
		if !r.peer.AllowAccess {
			return Decision{NetworkUnreachable, "peering " + r.peer.Name + ": allowVirtualNetworkAccess is false"}
		}
	case routeEndpoint:
		// Endpoints never take a VM's address (gen.privateLink).
		return Decision{HostUnreachable, "model: VM address " + b.IP.String() + " routed by " + r.name}
	}
	if !b.Running() {
		return Decision{HostUnreachable, "destination " + b.Name + " is " + b.Power}
	}
	checks := []struct {
		nsg   *NSG
		dir   string
		vm    *VM
		where string
	}{
		{a.NICNSG, "Outbound", a, "NIC of " + a.Name},
		{a.Subnet.NSG, "Outbound", a, "subnet " + a.Subnet.VNet.Name + "/" + a.Subnet.Name},
		{b.Subnet.NSG, "Inbound", b, "subnet " + b.Subnet.VNet.Name + "/" + b.Subnet.Name},
		{b.NICNSG, "Inbound", b, "NIC of " + b.Name},
	}
	for _, c := range checks {
		if c.nsg == nil {
			continue
		}
		ok, rule := nsgAllows(c.nsg, c.dir, a.IP, b.IP, port, t.vnetTag(c.vm.Subnet))
		if !ok {
			return Decision{DeniedByNSG, fmt.Sprintf("NSG %s rule %s (priority %d) on %s denies %s", c.nsg.Name, rule.Name, rule.Priority, c.where, c.dir)}
		}
	}
	if port == sshPort {
		return Decision{Success, "ssh banner"}
	}
	if !b.HasListener(port) {
		return Decision{Refused, fmt.Sprintf("nothing listens on %s:%d", b.Name, port)}
	}
	return Decision{Success, "listener"}
}

// String describes the topology compactly (for failure reports).
func (t *Topology) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "topology %d:\n", t.Index)
	for _, v := range t.VNets {
		fmt.Fprintf(&sb, "  vnet %s %s\n", v.Name, v.Prefix)
		for _, s := range v.Subnets {
			fmt.Fprintf(&sb, "    subnet %s %s", s.Name, s.Prefix)
			if s.NSG != nil {
				fmt.Fprintf(&sb, " nsg=%s", s.NSG.Name)
			}
			if s.RouteTable != nil {
				fmt.Fprintf(&sb, " rt=%s", s.RouteTable.Name)
			}
			sb.WriteString("\n")
		}
	}
	for _, p := range t.Peerings {
		_, ok := t.connected(p.Local, p.Remote)
		state := "Initiated"
		if ok {
			state = "Connected"
		}
		fmt.Fprintf(&sb, "  peering %s %s->%s %s allowVirtualNetworkAccess=%t\n", p.Name, p.Local.Name, p.Remote.Name, state, p.AllowAccess)
	}
	for _, n := range t.NSGs {
		fmt.Fprintf(&sb, "  nsg %s:", n.Name)
		if len(n.Rules) == 0 {
			sb.WriteString(" (no user rules)")
		}
		sb.WriteString("\n")
		for _, r := range n.Rules {
			fmt.Fprintf(&sb, "    %s %s %d %s %s %s -> %s :%s\n", r.Name, r.Direction, r.Priority, r.Access, r.Protocol, r.Src, r.Dst, r.DstPort)
		}
	}
	for _, rt := range t.RouteTables {
		fmt.Fprintf(&sb, "  route table %s:", rt.Name)
		for _, r := range rt.Routes {
			fmt.Fprintf(&sb, " %s=%s->None", r.Name, r.Prefix)
		}
		sb.WriteString("\n")
	}
	for _, m := range t.VMs {
		fmt.Fprintf(&sb, "  vm %s %s in %s/%s %s", m.Name, m.IP, m.Subnet.VNet.Name, m.Subnet.Name, m.Power)
		if m.NICNSG != nil {
			fmt.Fprintf(&sb, " nic-nsg=%s", m.NICNSG.Name)
		}
		fmt.Fprintf(&sb, " listeners=%v\n", m.Listeners)
	}
	if pl := t.PL; pl != nil {
		fmt.Fprintf(&sb, "  private link: vnet %s %s (be %s, nat %s), lb frontend %s Tcp %d -> %d, nat ips %v, autoApproval=%t\n",
			pl.VNet.Name, pl.VNet.Prefix, pl.VNet.Subnets[0].Prefix, pl.VNet.Subnets[1].Prefix, pl.FrontendIP,
			pl.FrontendPort, pl.BackendPort, pl.NATIPs, pl.AutoApproval)
		for _, b := range pl.Backends {
			fmt.Fprintf(&sb, "    backend %s %s %s listeners=%v\n", b.Name, b.IP, b.Power, b.Listeners)
		}
	}
	for _, e := range t.Endpoints {
		kind := "automatic"
		if e.Manual {
			kind = "manual"
		}
		fmt.Fprintf(&sb, "  endpoint %s %s in %s/%s %s, owner %s -> %s\n", e.Name, e.IP, e.Subnet.VNet.Name, e.Subnet.Name, kind, e.Action, t.State(e))
	}
	return sb.String()
}
