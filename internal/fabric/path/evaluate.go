package path

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// Hop types of a verdict (Network Watcher's connectivityCheck names, plus
// PublicIP and Destination).
const (
	HopTypeSource           = "Source"
	HopTypeVirtualNetwork   = "VirtualNetwork"
	HopTypeVirtualAppliance = "VirtualAppliance"
	HopTypeInternet         = "Internet"
	HopTypePublicIP         = "PublicIP"
	HopTypeDestination      = "Destination"
	// HopTypeHostLocal is a host-local listener (see fabric.Host.Ports):
	// the source host itself takes the connection.
	HopTypeHostLocal = "HostLocal"
)

// Block kinds.
const (
	KindNetworkSecurityRule   = "NetworkSecurityRule"
	KindRoute                 = "Route"
	KindPeering               = "Peering"
	KindHostStopped           = "HostStopped"
	KindNoHost                = "NoHost"
	KindNoListener            = "NoListener"
	KindPublicIPInbound       = "PublicIPInbound"
	KindVirtualAppliance      = "VirtualAppliance"
	KindVirtualNetworkGateway = "VirtualNetworkGateway"
	KindOutboundAccess        = "OutboundAccess"
)

// Target addresses that stand for built-in answers.
const (
	TargetSSHBanner = "ssh-banner"
	TargetAzureDNS  = "azure-dns"
)

// MaxApplianceHops is how many virtual appliances a flow may traverse
// before Evaluate calls it a routing loop.
const MaxApplianceHops = 8

// DefaultOutboundPrefix is the emulated range of default outbound access
// (SNAT) addresses: a VM without a public IP in a subnet with default
// outbound access reaches the Internet from DefaultOutboundAddress(subnet).
// It is disjoint from the pool public IP resources are allocated from
// (52.160.0.0/16), so no public IP resource owns a SNAT address.
var DefaultOutboundPrefix = netip.MustParsePrefix("52.191.0.0/16")

// DefaultOutboundAddress is the deterministic default outbound (SNAT)
// address of a subnet: DefaultOutboundPrefix plus 16 bits of the FNV-1a
// hash of the lower-case subnet ID (never .0 or .255).
func DefaultOutboundAddress(sn *fabric.Subnet) netip.Addr {
	h := fnv.New32a()
	if sn != nil {
		_, _ = h.Write([]byte(strings.ToLower(sn.ID)))
	}
	v := h.Sum32()
	b := DefaultOutboundPrefix.Addr().As4()
	b[2] = byte(v >> 8)
	b[3] = byte(v%254) + 1
	return netip.AddrFrom4(b)
}

// outcome ranks: the verdict's Outcome is the worst block's.
func outcomeRank(o fabric.Outcome) int {
	switch o {
	case fabric.Refused:
		return 1
	case fabric.DeniedByNSG:
		return 2
	case fabric.HostUnreachable:
		return 3
	case fabric.NetworkUnreachable:
		return 4
	case fabric.SourceDown:
		return 5
	}
	return 0
}

// eval is one evaluation in progress.
type eval struct {
	s       *fabric.Snapshot
	q       fabric.Query
	proto   fabric.Protocol
	sport   int
	v       fabric.Verdict
	out     fabric.Outcome
	tgtHost *fabric.Host
	tgtAddr string
	// floating is the frontend address a floating-IP rule delivers to
	// its backend as the destination (lb.go).
	floating netip.Addr
}

// Evaluate decides a new connection from q.Source to q.Dest:q.Port: the
// outcome, the hops, and every setting that blocks it. It is pure (no
// I/O, no clock, no state) and safe for concurrent use on one snapshot.
// See the package documentation for the semantics.
func Evaluate(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	e := &eval{s: s, q: q, proto: q.Protocol, sport: q.SourcePort, out: fabric.Delivered}
	if e.proto == "" {
		e.proto = fabric.TCP
	}
	if e.sport == 0 {
		e.sport = ephemeralPort
	}
	e.q.Dest = q.Dest.Unmap()
	e.run()
	return e.finish()
}

func (e *eval) finish() fabric.Verdict {
	e.v.Outcome = e.out
	if e.out == fabric.Delivered {
		e.v.TargetHost, e.v.TargetAddr = e.tgtHost, e.tgtAddr
	}
	return e.v
}

func (e *eval) hop(typ, id string, addr netip.Addr) {
	e.v.Hops = append(e.v.Hops, fabric.Hop{Type: typ, ResourceID: e.s.DisplayID(id), Address: addr})
}

// block records a block at the current (last) hop.
func (e *eval) block(o fabric.Outcome, kind, id, format string, args ...any) {
	b := fabric.Block{Kind: kind, ResourceID: e.s.DisplayID(id), Reason: fmt.Sprintf(format, args...)}
	e.v.Blocks = append(e.v.Blocks, b)
	if n := len(e.v.Hops); n > 0 {
		e.v.Hops[n-1].Issues = append(e.v.Hops[n-1].Issues, b)
	}
	if outcomeRank(o) > outcomeRank(e.out) {
		e.out = o
	}
}

func hostNoun(h *fabric.Host) string {
	if h.Kind == fabric.KindVM || h.Kind == "" {
		return "VM " + h.Name
	}
	return string(h.Kind) + " " + h.Name
}

func subnetName(sn *fabric.Subnet) string {
	if sn.VNet != nil {
		return sn.VNet.Name + "/" + sn.Name
	}
	return sn.Name
}

func (e *eval) run() {
	s, q := e.s, e.q
	h := s.Hosts[q.Source]
	if h == nil {
		h = s.Hosts[strings.ToLower(q.Source)]
	}
	if h == nil && q.Source == fabric.PlatformHostID {
		h = defaultPlatformHost
	}
	if h != nil && h.Kind == fabric.KindPlatform { // load balancer health probes (lb.go)
		e.fromPlatform(h)
		return
	}
	if h == nil {
		e.hop(HopTypeSource, "", netip.Addr{})
		e.block(fabric.SourceDown, KindNoHost, q.Source, "source host %q does not exist", q.Source)
		return
	}
	if h.Kind == fabric.KindInternet || (len(h.NICs) == 0 && h.PublicAddr.IsValid()) {
		e.fromInternet(h)
		return
	}
	ipc := sourceIPConfig(h, q.SourceIPConfig)
	addr := netip.Addr{}
	id := ""
	if ipc != nil {
		addr, id = ipc.PrivateIP, ipc.ID
	}
	e.hop(HopTypeSource, id, addr)
	if !h.Running {
		e.block(fabric.SourceDown, KindHostStopped, h.ResourceID, "%s is stopped (%s)", hostNoun(h), h.PowerState)
		return
	}
	switch {
	case ipc == nil && q.SourceIPConfig != "":
		e.block(fabric.SourceDown, KindNoHost, q.SourceIPConfig, "IP configuration %s is not on %s", q.SourceIPConfig, hostNoun(h))
		return
	case ipc == nil:
		e.block(fabric.SourceDown, KindNoHost, h.ResourceID, "%s has no network interface", hostNoun(h))
		return
	case ipc.Subnet == nil || ipc.Subnet.VNet == nil:
		e.block(fabric.SourceDown, KindNoHost, ipc.ID, "IP configuration %s of %s is not in an existing subnet", ipc.Name, hostNoun(h))
		return
	}
	e.v.TranslatedSource = ipc.PrivateIP

	// The host's own addresses never leave it.
	for _, n := range h.NICs {
		for _, c := range n.IPConfigs {
			if c.PrivateIP == q.Dest {
				e.hop(HopTypeDestination, c.ID, c.PrivateIP)
				e.deliver(h, c)
				return
			}
		}
	}
	// A host-local listener (a kube-proxy rule for a ClusterIP, an overlay
	// pod address on a cluster node) takes the host's own connections.
	if addr, ok := h.Ports[fabric.ListenerKey(string(e.proto), q.Dest, q.Port)]; ok && h.Running {
		e.hop(HopTypeHostLocal, hostResourceID(h), q.Dest)
		e.tgtHost, e.tgtAddr = h, addr
		return
	}
	// 168.63.129.16 is not subject to NSGs or routes.
	if q.Dest == fabric.AzurePlatformIP {
		e.hop(HopTypeDestination, "", q.Dest)
		if q.Port == 53 && (strings.EqualFold(string(e.proto), string(fabric.TCP)) || strings.EqualFold(string(e.proto), string(fabric.UDP))) {
			e.tgtAddr = TargetAzureDNS
			return
		}
		e.block(fabric.Refused, KindNoListener, "", "nothing listens on %s:%d: the Azure platform address only answers DNS on port 53",
			q.Dest, q.Port)
		return
	}
	e.nsgs(ipc, fabric.Outbound, ipc.PrivateIP, q.Dest)
	e.forward(ipc)
}

// sourceIPConfig is the pinned IP configuration (by ID) or the host's
// primary one.
func sourceIPConfig(h *fabric.Host, id string) *fabric.IPConfig {
	if id == "" {
		return h.PrimaryIPConfig()
	}
	for _, n := range h.NICs {
		for _, c := range n.IPConfigs {
			if strings.EqualFold(c.ID, id) {
				return c
			}
		}
	}
	return nil
}

// nsgs evaluates the NSGs of ipc's NIC and subnet for one direction and
// records every deny.
func (e *eval) nsgs(ipc *fabric.IPConfig, dir fabric.Direction, src, dst netip.Addr) {
	f := flow{s: e.s, ipc: ipc, dir: dir, proto: e.proto, src: src, dst: dst, sport: e.sport, dport: e.q.Port}
	for _, a := range nsgsInOrder(ipc, dir) {
		if a.nsg == nil {
			continue
		}
		r, allowed := decide(a.nsg, &f)
		if allowed {
			continue
		}
		e.block(fabric.DeniedByNSG, KindNetworkSecurityRule, ruleID(a.nsg, r),
			"NSG %s rule %s (priority %d) on %s denies %s %s from %s to %s:%d",
			a.nsg.Name, r.Name, r.Priority, a.where, dir, e.proto, src, dst, e.q.Port)
	}
}

// forward routes the packet from ipc (the source, then each appliance) to
// its destination.
func (e *eval) forward(ipc *fabric.IPConfig) {
	dest := e.q.Dest
	origSrc := e.v.TranslatedSource
	cur := ipc
	e.hop(HopTypeVirtualNetwork, cur.Subnet.VNet.ID, netip.Addr{})
	for appliances := 0; ; {
		sn := cur.Subnet
		vnet := sn.VNet
		r, ok := selectRoute(e.s, sn, dest)
		if !ok {
			e.block(fabric.NetworkUnreachable, KindRoute, sn.ID, "no route to %s from subnet %s", dest, subnetName(sn))
			return
		}
		switch strings.ToLower(r.hopType) {
		case "none":
			e.noneRoute(sn, &r)
			return
		case "vnetlocal":
			if !containsAddr(vnet.Prefixes, dest) {
				e.block(fabric.NetworkUnreachable, KindRoute, r.resourceID(sn.ID),
					"%s sends %s to VnetLocal, but it is outside VNet %s's address space", r.describe(), dest, vnet.Name)
				return
			}
			e.arriveInVNet(vnet, origSrc)
			return
		case "vnetpeering":
			e.crossPeering(vnet, r.peering, origSrc)
			e.arriveInVNet(r.peering.Remote, origSrc)
			return
		case "interfaceendpoint": // a private endpoint's /32 (privatelink.go)
			if r.peering != nil {
				e.crossPeering(vnet, r.peering, origSrc)
			}
			e.toEndpoint(r.endpoint, origSrc)
			return
		case "internet":
			e.toInternet(cur, &r)
			return
		case "virtualnetworkgateway":
			e.toGateway(sn, &r, origSrc) // gateway.go
			return
		case "virtualappliance":
			if appliances == MaxApplianceHops {
				e.block(fabric.NetworkUnreachable, KindRoute, r.resourceID(sn.ID),
					"routing loop: %s would send %s through more than %d virtual appliances", r.describe(), dest, MaxApplianceHops)
				return
			}
			appliances++
			nva, final := e.appliance(cur, &r, origSrc)
			if nva == nil {
				return
			}
			if final {
				e.hop(HopTypeDestination, nva.ID, nva.PrivateIP)
				e.arrive(nva, origSrc)
				return
			}
			cur = nva
		default:
			e.block(fabric.NetworkUnreachable, KindRoute, r.resourceID(sn.ID),
				"%s has next hop type %q, which privlink does not route", r.describe(), r.hopType)
			return
		}
	}
}

// noneRoute records a drop by a None route.
func (e *eval) noneRoute(sn *fabric.Subnet, r *route) {
	dest := e.q.Dest
	if r.user != nil {
		e.block(fabric.NetworkUnreachable, KindRoute, r.user.ID, "%s drops traffic to %s from subnet %s",
			r.describe(), dest, subnetName(sn))
		return
	}
	// A peering that is not (yet) Connected would have carried it.
	for _, pe := range sn.VNet.Peerings {
		if !connected(pe) && containsAddr(remotePrefixes(pe), dest) {
			state := pe.State
			if pe.Remote == nil {
				state += ", remote VNet missing"
			}
			e.block(fabric.NetworkUnreachable, KindPeering, pe.ID,
				"peering %s is %s, not Connected: no route to %s from subnet %s, only %s matches",
				pe.Name, state, dest, subnetName(sn), r.describe())
			return
		}
	}
	e.block(fabric.NetworkUnreachable, KindRoute, sn.ID,
		"no route to %s from subnet %s: only %s matches (VNets are not peered, or peering is not transitive)",
		dest, subnetName(sn), r.describe())
}

// backPeering is remote's peering to local, or nil.
func backPeering(local, remote *fabric.VNet) *fabric.Peering {
	if local == nil || remote == nil {
		return nil
	}
	for _, pe := range remote.Peerings {
		if pe.Remote == local {
			return pe
		}
	}
	// A peering whose remote pointer is unset (remote missing from the
	// snapshot when it was built) still names its remote by ID.
	for _, pe := range remote.Peerings {
		if pe.Remote == nil && strings.EqualFold(pe.RemoteID, local.ID) {
			return pe
		}
	}
	return nil
}

// crossPeering moves the packet from VNet from over peering p and records
// the peering settings that drop it; origSrc decides whether the traffic
// is forwarded (its source is outside from's address space).
func (e *eval) crossPeering(from *fabric.VNet, p *fabric.Peering, origSrc netip.Addr) {
	e.hop(HopTypeVirtualNetwork, p.Remote.ID, netip.Addr{})
	if !p.AllowVirtualNetworkAccess {
		e.block(fabric.NetworkUnreachable, KindPeering, p.ID, "peering %s: allowVirtualNetworkAccess is false", p.Name)
	}
	back := backPeering(from, p.Remote)
	if !connected(back) {
		e.block(fabric.NetworkUnreachable, KindPeering, p.ID,
			"peering %s: VNet %s has no Connected peering back to %s", p.Name, p.Remote.Name, from.Name)
		return
	}
	if !containsAddr(from.Prefixes, origSrc) && !back.AllowForwardedTraffic {
		e.block(fabric.NetworkUnreachable, KindPeering, back.ID,
			"peering %s: allowForwardedTraffic is false (traffic from %s forwarded from VNet %s)", back.Name, origSrc, from.Name)
	}
}

// arriveInVNet delivers to the IP configuration holding q.Dest in vnet.
func (e *eval) arriveInVNet(vnet *fabric.VNet, src netip.Addr) {
	// An internal load balancer frontend (lb.go).
	if fe := e.s.FrontendIndex[vnet.ID][e.q.Dest]; fe != nil {
		e.balance(fe, src)
		return
	}
	dst := e.s.IPConfigAt(vnet, e.q.Dest)
	if dst != nil && dst.NIC != nil {
		// Private Link (privatelink.go): an endpoint reached without its
		// /32 route, or a service's NAT IP (one-way).
		switch {
		case dst.NIC.PrivateEndpoint != nil:
			e.toEndpoint(dst, src)
			return
		case dst.NIC.Service != nil:
			e.oneWay(dst)
			return
		}
	}
	if dst == nil {
		e.hop(HopTypeDestination, "", e.q.Dest)
		e.block(fabric.HostUnreachable, KindNoHost, vnet.ID, "no emulated host has address %s in VNet %s", e.q.Dest, vnet.Name)
		return
	}
	e.hop(HopTypeDestination, dst.ID, dst.PrivateIP)
	e.arrive(dst, src)
}

// arrive applies the destination's inbound NSGs and checks its host.
func (e *eval) arrive(dst *fabric.IPConfig, src netip.Addr) {
	e.nsgs(dst, fabric.Inbound, src, dst.PrivateIP)
	var h *fabric.Host
	if dst.NIC != nil {
		h = dst.NIC.Host
	}
	e.deliver(h, dst)
}

// deliver checks that the destination host runs and listens.
func (e *eval) deliver(h *fabric.Host, dst *fabric.IPConfig) {
	if h == nil {
		nic, id := "", ""
		if dst != nil && dst.NIC != nil {
			nic, id = dst.NIC.Name, dst.NIC.ID
		}
		e.block(fabric.HostUnreachable, KindNoHost, id, "NIC %s (%s) is not attached to a VM", nic, e.q.Dest)
		return
	}
	if !h.Running {
		e.block(fabric.HostUnreachable, KindHostStopped, hostResourceID(h), "%s is stopped (%s)", hostNoun(h), h.PowerState)
		return
	}
	proto := strings.ToLower(string(e.proto))
	if e.floating.IsValid() {
		// Floating IP: the backend sees the frontend address (a
		// kube-proxy rule for a load balancer's address takes it).
		if addr, ok := h.Ports[fabric.ListenerKey(proto, e.floating, e.q.Port)]; ok {
			e.tgtHost, e.tgtAddr = h, addr
			return
		}
	}
	if dst != nil {
		if addr, ok := h.Ports[fabric.ListenerKey(proto, dst.PrivateIP, e.q.Port)]; ok {
			e.tgtHost, e.tgtAddr = h, addr
			return
		}
	}
	if addr, ok := h.Ports[proto+"/"+strconv.Itoa(e.q.Port)]; ok {
		e.tgtHost, e.tgtAddr = h, addr
		return
	}
	if h.Kind == fabric.KindVM && proto == "tcp" && e.q.Port == 22 {
		e.tgtHost, e.tgtAddr = h, TargetSSHBanner
		return
	}
	port := strconv.Itoa(e.q.Port)
	if proto != "tcp" {
		port += "/" + proto
	}
	e.block(fabric.Refused, KindNoListener, hostResourceID(h),
		"nothing listens on %s:%s; declare it with `privlink vm expose`", h.Name, port)
}

func hostResourceID(h *fabric.Host) string {
	if h.ResourceID != "" {
		return h.ResourceID
	}
	return h.ID
}

// appliance moves the packet to the virtual appliance of route r. It
// returns the appliance's IP configuration (nil when the path ends here)
// and final=true when the appliance itself is the destination.
func (e *eval) appliance(cur *fabric.IPConfig, r *route, origSrc netip.Addr) (nva *fabric.IPConfig, final bool) {
	ip := r.hopIP
	vnet := cur.Subnet.VNet
	id := r.resourceID(cur.Subnet.ID)
	target := (*fabric.VNet)(nil)
	var via *fabric.Peering
	if containsAddr(vnet.Prefixes, ip) {
		target = vnet
	} else {
		for _, pe := range vnet.Peerings {
			if connected(pe) && containsAddr(remotePrefixes(pe), ip) {
				target, via = pe.Remote, pe
				break
			}
		}
	}
	if !ip.IsValid() || target == nil {
		e.hop(HopTypeVirtualAppliance, "", ip)
		e.block(fabric.HostUnreachable, KindVirtualAppliance, id,
			"the next hop %s of %s is not in VNet %s or a peered VNet", ip, r.describe(), vnet.Name)
		return nil, false
	}
	if via != nil {
		e.crossPeering(vnet, via, origSrc)
	}
	nva = e.s.IPConfigAt(target, ip)
	if nva == nil {
		e.hop(HopTypeVirtualAppliance, "", ip)
		e.block(fabric.HostUnreachable, KindVirtualAppliance, id,
			"no network interface has the next hop address %s of %s", ip, r.describe())
		return nil, false
	}
	e.hop(HopTypeVirtualAppliance, nva.ID, ip)
	if nva.PrivateIP == e.q.Dest {
		return nva, true
	}
	var h *fabric.Host
	if nva.NIC != nil {
		h = nva.NIC.Host
	}
	switch {
	case h == nil:
		nicID, nicName := "", ""
		if nva.NIC != nil {
			nicID, nicName = nva.NIC.ID, nva.NIC.Name
		}
		e.block(fabric.HostUnreachable, KindVirtualAppliance, nicID,
			"virtual appliance %s (next hop of %s): NIC %s is not attached to a VM", ip, r.describe(), nicName)
		return nil, false
	case !h.Running:
		e.block(fabric.HostUnreachable, KindHostStopped, hostResourceID(h),
			"virtual appliance %s (next hop %s of %s) is stopped (%s)", hostNoun(h), ip, r.describe(), h.PowerState)
	}
	if !nva.NIC.IPForwarding {
		e.block(fabric.HostUnreachable, KindVirtualAppliance, nva.NIC.ID,
			"virtual appliance %s (next hop %s of %s): NIC %s has IP forwarding disabled, so it drops traffic to %s",
			hostNoun(h), ip, r.describe(), nva.NIC.Name, e.q.Dest)
	}
	// The forwarded packet enters and leaves the appliance's NIC.
	e.nsgs(nva, fabric.Inbound, origSrc, e.q.Dest)
	// An address the appliance routes to itself (a kubenet node's pod
	// CIDR): it delivers there.
	if addr, ok := h.Ports[fabric.ListenerKey(string(e.proto), e.q.Dest, e.q.Port)]; ok && h.Running {
		e.hop(HopTypeHostLocal, hostResourceID(h), e.q.Dest)
		e.tgtHost, e.tgtAddr = h, addr
		return nil, false
	}
	e.nsgs(nva, fabric.Outbound, origSrc, e.q.Dest)
	return nva, false
}

// toInternet sends the packet from cur to the Internet (route r).
func (e *eval) toInternet(cur *fabric.IPConfig, r *route) {
	dest := e.q.Dest
	e.hop(HopTypeInternet, "", netip.Addr{})
	if reserved(dest) {
		e.block(fabric.NetworkUnreachable, KindRoute, r.resourceID(cur.Subnet.ID),
			"private address %s routed to the Internet by %s", dest, r.describe())
		return
	}
	switch {
	case cur.PublicIP != nil && cur.PublicIP.Addr.IsValid():
		e.v.TranslatedSource = cur.PublicIP.Addr
	case !cur.Subnet.DefaultOutboundAccess:
		nic := ""
		if cur.NIC != nil {
			nic = cur.NIC.Name
		}
		e.block(fabric.NetworkUnreachable, KindOutboundAccess, cur.Subnet.ID,
			"subnet %s is private (defaultOutboundAccess is false) and NIC %s has no public IP: no outbound access to %s",
			subnetName(cur.Subnet), nic, dest)
		return
	default:
		e.v.TranslatedSource = DefaultOutboundAddress(cur.Subnet)
	}
	e.publicDestination()
}

// fromInternet evaluates a flow from a host on the Internet (no NIC).
func (e *eval) fromInternet(h *fabric.Host) {
	addr := h.PublicAddr
	if !addr.IsValid() {
		addr = fabric.InternetHostIP
	}
	e.hop(HopTypeSource, "", addr)
	if !h.Running {
		e.block(fabric.SourceDown, KindHostStopped, hostResourceID(h), "%s is stopped (%s)", hostNoun(h), h.PowerState)
		return
	}
	e.v.TranslatedSource = addr
	e.hop(HopTypeInternet, "", netip.Addr{})
	if reserved(e.q.Dest) {
		e.block(fabric.NetworkUnreachable, KindRoute, "",
			"%s is a private address: it is not reachable from the Internet", e.q.Dest)
		return
	}
	if e.q.Dest == addr {
		e.hop(HopTypeDestination, "", addr)
		e.deliver(h, nil)
		return
	}
	e.publicDestination()
}

// publicDestination carries a packet on the Internet to q.Dest: a public
// IP of a NIC, or the internet vantage.
func (e *eval) publicDestination() {
	dest := e.q.Dest
	pip := e.s.PublicIPIndex[dest]
	if pip == nil {
		if ih := e.s.Hosts[fabric.InternetHostID]; ih != nil && ih.PublicAddr == dest {
			e.hop(HopTypeDestination, "", dest)
			e.deliver(ih, nil)
			return
		}
		for _, site := range e.s.Sites {
			if site.EdgeIP == dest {
				e.hop(HopTypeDestination, "", dest)
				e.block(fabric.HostUnreachable, KindNoHost, site.ID,
					"%s is the edge of on-premises site %s: sites accept no inbound connections (no inbound NAT)", dest, site.Name)
				return
			}
		}
		e.block(fabric.HostUnreachable, KindNoHost, "", "no emulated host owns %s", dest)
		return
	}
	e.hop(HopTypePublicIP, pip.ID, pip.Addr)
	if pip.Frontend != nil { // a public load balancer frontend (lb.go)
		e.balance(pip.Frontend, e.v.TranslatedSource)
		return
	}
	dst := pip.IPConfig
	if dst == nil {
		e.block(fabric.HostUnreachable, KindNoHost, pip.ID, "public IP %s (%s) is not associated with a network interface", pip.Name, dest)
		return
	}
	if strings.EqualFold(pip.SKU, "Standard") && (dst.NIC == nil || dst.NIC.NSG == nil) && (dst.Subnet == nil || dst.Subnet.NSG == nil) {
		e.block(fabric.DeniedByNSG, KindPublicIPInbound, pip.ID,
			"Standard SKU public IP %s (%s) is closed to inbound traffic unless a network security group allows it", pip.Name, dest)
	}
	e.hop(HopTypeDestination, dst.ID, dst.PrivateIP)
	e.arrive(dst, e.v.TranslatedSource)
}
