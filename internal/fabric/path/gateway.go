package path

import (
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// Gateways and on-premises sites (hybrid networking).
//
// Routes learned from virtual network gateways (fabric.LearnedRoutes:
// a VNet learns its connections' site prefixes, a spoke using remote
// gateways its hub's, a site the VNets' prefixes) rank between user and
// system routes on equal prefix length (UDR > BGP > system), with next
// hop VirtualNetworkGateway. A subnet whose route table disables BGP
// route propagation does not use them. A route of a connection that is
// not Connected (or of a spoke whose peering lacks the gateway flags, or
// one the route table does not propagate) is used only where the subnet
// would otherwise drop the traffic with a default None route, so that
// the verdict names why the traffic does not flow; it is not an
// effective route.
//
// From a VNet to a site: hops VirtualNetworkGateway (the gateway and its
// public address), Connection, OnPremises (the site and its edge
// address), then the site's host (arriving in the site's network as in a
// VNet: no NSG, the host must run and listen). From a site to a VNet: the
// reverse, then the destination's inbound NSGs (the GatewaySubnet's UDRs
// are ignored); the destination's subnet must route the reply back to
// the site through a gateway (a local network gateway whose prefixes do
// not cover the site host leaves no way back). A site prefix that
// overlaps the VNet's address space blocks in both directions.

// Hop types and block kinds of gateway paths.
const (
	HopTypeVirtualNetworkGateway = "VirtualNetworkGateway"
	HopTypeConnection            = "Connection"
	HopTypeOnPremises            = "OnPremises"

	KindConnection = "Connection"
)

// withLearned adds the gateway routes of sn's network to the selection.
func withLearned(s *fabric.Snapshot, sn *fabric.Subnet, dest netip.Addr, best route, ok bool) (route, bool) {
	if len(s.Gateways) == 0 && len(s.Sites) == 0 {
		return best, ok
	}
	lrs := fabric.LearnedRoutes(sn.VNet)
	if len(lrs) == 0 {
		return unconnected(s, sn, dest, best, ok)
	}
	off := sn.RouteTable != nil && sn.RouteTable.DisableBGPRoutePropagation
	var fallback *route
	for i := range lrs {
		lr := &lrs[i]
		if !lr.Prefix.Contains(dest) {
			continue
		}
		c := route{prefix: lr.Prefix, rank: rankBGP, hopType: HopVirtualNetworkGateway, learned: lr, bgpOff: off}
		if lr.Down || off {
			if fallback == nil || c.better(fallback) || (fallback.learned.Down && !lr.Down) {
				fallback = &c
			}
			continue
		}
		if !ok || c.better(&best) {
			best, ok = c, true
		}
	}
	if fallback != nil && dropped(best, ok) {
		return *fallback, true
	}
	return unconnected(s, sn, dest, best, ok)
}

// dropped reports whether the selection ends in a default None route.
func dropped(best route, ok bool) bool {
	return !ok || (best.user == nil && best.rank == rankDefault && strings.EqualFold(best.hopType, HopNone))
}

// unconnected explains a site's private destination that no gateway
// route covers: when a VNet has the address, the site gets a Down route
// to it with no gateway, so that the verdict says the two are not
// connected (VNets keep their default None route: their next hop stays
// None as in Azure).
func unconnected(s *fabric.Snapshot, sn *fabric.Subnet, dest netip.Addr, best route, ok bool) (route, bool) {
	site := s.SiteOf(sn.VNet)
	if site == nil || !dropped(best, ok) {
		return best, ok
	}
	var target *fabric.VNet
	var prefix netip.Prefix
	for _, v := range s.VNets {
		if s.SiteOf(v) != nil || (target != nil && v.ID > target.ID) {
			continue
		}
		for _, p := range v.Prefixes {
			if p.Contains(dest) {
				target, prefix = v, p
			}
		}
	}
	if target == nil {
		return best, ok
	}
	lr := &fabric.LearnedRoute{Prefix: prefix, Site: site, Target: target, Down: true}
	return route{prefix: prefix, rank: rankBGP, hopType: HopVirtualNetworkGateway, learned: lr}, true
}

// gatewayEffectiveRoutes lists the gateway routes of a subnet (none when
// its route table disables propagation), source VirtualNetworkGateway;
// one whose prefix a user route repeats (user) is Invalid. (A system
// route whose prefix a gateway route repeats is Invalid too:
// EffectiveRoutes.)
func gatewayEffectiveRoutes(sn *fabric.Subnet, disabled bool, user map[netip.Prefix]bool) []EffectiveRoute {
	if disabled || sn.VNet == nil {
		return nil
	}
	var out []EffectiveRoute
	for _, lr := range fabric.LearnedRoutes(sn.VNet) {
		if lr.Down {
			continue
		}
		hops := []string{}
		if lr.Gateway != nil {
			for _, a := range lr.Gateway.PublicIPs {
				hops = append(hops, a.String())
			}
		}
		state := StateActive
		if user[lr.Prefix.Masked()] {
			state = StateInvalid
		}
		out = append(out, EffectiveRoute{
			Source:           SourceVirtualNetworkGateway,
			State:            state,
			AddressPrefix:    []string{lr.Prefix.String()},
			NextHopIPAddress: hops,
			NextHopType:      HopVirtualNetworkGateway,
		})
	}
	return out
}

func gatewayAddr(g *fabric.Gateway) netip.Addr {
	if g != nil && len(g.PublicIPs) > 0 {
		return g.PublicIPs[0]
	}
	return netip.Addr{}
}

// toGateway carries a packet routed to a virtual network gateway.
func (e *eval) toGateway(sn *fabric.Subnet, r *route, origSrc netip.Addr) {
	lr := r.learned
	if lr == nil { // a user route naming VirtualNetworkGateway
		for _, c := range fabric.LearnedRoutes(sn.VNet) {
			if !c.Down && c.Prefix.Contains(e.q.Dest) {
				lr = &c
				break
			}
		}
		if lr == nil && !hasGateway(e.s, sn.VNet) {
			e.block(fabric.HostUnreachable, KindVirtualNetworkGateway, r.resourceID(sn.ID),
				"%s sends %s to a virtual network gateway, but there is no virtual network gateway", r.describe(), e.q.Dest)
			return
		}
		if lr == nil {
			e.block(fabric.HostUnreachable, KindVirtualNetworkGateway, r.resourceID(sn.ID),
				"%s sends %s to a virtual network gateway, but no connected on-premises site of VNet %s has that address",
				r.describe(), e.q.Dest, sn.VNet.Name)
			return
		}
	}
	if site := e.s.SiteOf(sn.VNet); site != nil {
		e.siteToAzure(site, lr, origSrc)
		return
	}
	e.azureToSite(sn, lr, r, origSrc)
}

// connectionDown records why a connection carries nothing.
func (e *eval) connectionDown(c *fabric.Connection) {
	status := c.Status
	if len(c.Reasons) == 0 {
		e.block(fabric.NetworkUnreachable, KindConnection, c.ID, "connection %s is %s", c.Name, status)
		return
	}
	for _, why := range c.Reasons {
		e.block(fabric.NetworkUnreachable, KindConnection, c.ID, "connection %s is %s: %s", c.Name, status, why)
	}
}

// overlap blocks when a site prefix overlaps a VNet's address space.
func (e *eval) overlap(site *fabric.Site, vnet *fabric.VNet) bool {
	found := false
	for _, p := range site.Prefixes {
		for _, q := range vnet.Prefixes {
			if p.Overlaps(q) {
				e.block(fabric.NetworkUnreachable, KindRoute, site.ID,
					"site prefix %s overlaps VNet %s's address space %s", p, vnet.Name, q)
				found = true
			}
		}
	}
	return found
}

// spokeBlocked blocks a route through a hub whose peering flags do not
// allow gateway transit.
func (e *eval) spokeBlocked(lr *fabric.LearnedRoute) bool {
	if lr.Via == nil {
		return false
	}
	why := fabric.SpokeReason(lr.Via, backPeering(lr.Via.Local, lr.Via.Remote))
	if why == "" {
		return false
	}
	e.block(fabric.NetworkUnreachable, KindPeering, lr.Via.ID, "%s: VNet %s does not use gateway %s of VNet %s",
		why, lr.Via.Local.Name, lr.Gateway.Name, lr.Via.Remote.Name)
	return true
}

// azureToSite carries a packet from a VNet subnet to an on-premises site.
func (e *eval) azureToSite(sn *fabric.Subnet, lr *fabric.LearnedRoute, r *route, origSrc netip.Addr) {
	g, c, site := lr.Gateway, lr.Connection, lr.Site
	e.hop(HopTypeVirtualNetworkGateway, g.ID, gatewayAddr(g))
	if r.bgpOff && r.learned != nil {
		e.block(fabric.NetworkUnreachable, KindRoute, sn.RouteTable.ID,
			"route table %s of subnet %s disables gateway route propagation (disableBgpRoutePropagation): the subnet does not learn the gateway's route %s",
			sn.RouteTable.Name, subnetName(sn), lr.Prefix)
		return
	}
	if e.spokeBlocked(lr) {
		return
	}
	if c == nil {
		e.block(fabric.NetworkUnreachable, KindConnection, g.ID, "gateway %s has no connection for %s", g.Name, lr.Prefix)
		return
	}
	e.hop(HopTypeConnection, c.ID, netip.Addr{})
	if !c.Up() || site == nil {
		e.connectionDown(c)
		return
	}
	e.hop(HopTypeOnPremises, site.ID, site.EdgeIP)
	if e.overlap(site, sn.VNet) {
		return
	}
	if !containsAddr(site.Prefixes, e.q.Dest) {
		lname := ""
		if c.LocalGateway != nil {
			lname = "local network gateway " + c.LocalGateway.Name + "'s "
		}
		e.block(fabric.HostUnreachable, KindNoHost, site.ID,
			"%sprefix %s covers %s, but site %s's address prefixes do not", lname, lr.Prefix, e.q.Dest, site.Name)
		return
	}
	e.hop(HopTypeVirtualNetwork, site.ID, netip.Addr{})
	e.arriveInVNet(site.VNet, origSrc)
}

// siteToAzure carries a packet from a site to a VNet through a gateway.
func (e *eval) siteToAzure(site *fabric.Site, lr *fabric.LearnedRoute, origSrc netip.Addr) {
	g, c := lr.Gateway, lr.Connection
	e.hop(HopTypeOnPremises, site.ID, site.EdgeIP)
	if g == nil {
		e.block(fabric.NetworkUnreachable, KindRoute, site.ID,
			"no route to %s from site %s: no VPN connection or ExpressRoute circuit connects the site to VNet %s (%s)",
			e.q.Dest, site.Name, lr.Target.Name, lr.Prefix)
		return
	}
	if c == nil {
		var named []string
		for _, gc := range g.Connections {
			if gc.LocalGateway != nil {
				named = append(named, "connection "+gc.Name+"'s local network gateway "+gc.LocalGateway.Name+" names "+gc.LocalGateway.GatewayIP.String())
			}
		}
		why := "it has no connection"
		if len(named) > 0 {
			why = strings.Join(named, "; ")
		}
		e.block(fabric.NetworkUnreachable, KindConnection, g.ID,
			"site %s's device names gateway %s (%s), but no connection of the gateway has a local network gateway naming the site's edge address %s: %s",
			site.Name, g.Name, gatewayAddr(g), site.EdgeIP, why)
		return
	}
	e.hop(HopTypeConnection, c.ID, netip.Addr{})
	if !c.Up() {
		e.connectionDown(c)
		return
	}
	e.hop(HopTypeVirtualNetworkGateway, g.ID, gatewayAddr(g))
	if e.spokeBlocked(lr) {
		return
	}
	target := lr.Target
	if e.overlap(site, target) {
		return
	}
	if lr.Via != nil {
		e.hop(HopTypeVirtualNetwork, g.VNet.ID, netip.Addr{})
		if back := backPeering(lr.Via.Local, lr.Via.Remote); back != nil && !back.AllowVirtualNetworkAccess {
			e.block(fabric.NetworkUnreachable, KindPeering, back.ID, "peering %s: allowVirtualNetworkAccess is false", back.Name)
		}
	}
	e.hop(HopTypeVirtualNetwork, target.ID, netip.Addr{})
	// The reply must find its way back to the site.
	if dst := e.s.IPConfigAt(target, e.q.Dest); dst != nil && dst.Subnet != nil {
		rb, ok := selectRoute(e.s, dst.Subnet, origSrc)
		back := ok && strings.EqualFold(rb.hopType, HopVirtualNetworkGateway) &&
			(rb.learned == nil || (!rb.learned.Down && !rb.bgpOff && rb.learned.Site == site))
		if !back {
			why := ""
			switch {
			case !ok:
				why = "no route"
			case rb.bgpOff:
				why = "its route table " + dst.Subnet.RouteTable.Name + " disables gateway route propagation"
			default:
				why = rb.describe()
			}
			lng := ""
			if c.LocalGateway != nil {
				lng = " (local network gateway " + c.LocalGateway.Name + "'s address prefixes are " + prefixList(c.LocalGateway.Prefixes) + ")"
			}
			e.block(fabric.NetworkUnreachable, KindRoute, dst.Subnet.ID,
				"replies cannot return: subnet %s routes %s by %s, not to the gateway%s", subnetName(dst.Subnet), origSrc, why, lng)
		}
	}
	e.arriveInVNet(target, origSrc)
}

func prefixList(ps []netip.Prefix) string {
	ss := make([]string, len(ps))
	for i, p := range ps {
		ss[i] = p.String()
	}
	if len(ss) == 0 {
		return "empty"
	}
	return strings.Join(ss, ", ")
}

// hasGateway reports whether a VNet has a gateway of its own or uses its
// hub's.
func hasGateway(s *fabric.Snapshot, v *fabric.VNet) bool {
	for _, g := range s.Gateways {
		if g.VNet == nil {
			continue
		}
		if g.VNet == v {
			return true
		}
		for _, pe := range v.Peerings {
			if pe.Remote == g.VNet && pe.UseRemoteGateways && connected(pe) {
				return true
			}
		}
	}
	return false
}
