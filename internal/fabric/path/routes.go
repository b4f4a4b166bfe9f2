package path

import (
	"maps"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// defaultNonePrefixes are Azure's default system routes to None (RFC 1918
// and RFC 6598 space): a private destination that no VNet or peering
// prefix covers more specifically is dropped.
var defaultNonePrefixes = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

var (
	internetV4 = netip.MustParsePrefix("0.0.0.0/0")
	internetV6 = netip.MustParsePrefix("::/0")
)

// Ranks break ties between routes of the same prefix length: a user route
// beats every system route; among system routes VnetLocal beats
// VNetPeering beats the default Internet/None routes (the latter happens
// when a VNet's address space is exactly 10.0.0.0/8, where Azure turns the
// None route into the VNet's own route).
const (
	rankDefault = iota
	rankPeering
	rankVnetLocal
	rankEndpoint // a private endpoint's /32 (privatelink.go)
	rankBGP      // a route learned from a virtual network gateway (gateway.go)
	rankUser
)

// route is a candidate route for one destination.
type route struct {
	prefix  netip.Prefix // the prefix that matched
	rank    int
	hopType string
	hopIP   netip.Addr      // VirtualAppliance
	peering *fabric.Peering // VNetPeering
	user    *fabric.Route   // nil for system routes
	table   *fabric.RouteTable
	// endpoint is the private endpoint's IP configuration of an
	// InterfaceEndpoint route (its peering, if remote, in peering).
	endpoint *fabric.IPConfig
	// learned is the gateway route of a VirtualNetworkGateway route
	// learned from a connection (gateway.go); bgpOff marks one the
	// subnet's route table does not propagate.
	learned *fabric.LearnedRoute
	bgpOff  bool
}

func (r *route) better(than *route) bool {
	if r.prefix.Bits() != than.prefix.Bits() {
		return r.prefix.Bits() > than.prefix.Bits()
	}
	return r.rank > than.rank
}

// describe names the route for messages: "route table rt1 route r1
// (10.0.0.0/8 → None)" or "the system route 10.0.0.0/8 → None".
func (r *route) describe() string {
	if r.user != nil {
		target := r.hopType
		if r.hopType == HopVirtualAppliance {
			target += " " + r.hopIP.String()
		}
		p := r.prefix.String()
		if r.user.Tag != "" {
			p = r.user.Tag
		}
		tn := ""
		if r.table != nil {
			tn = "route table " + r.table.Name + " "
		}
		return tn + "route " + r.user.Name + " (" + p + " → " + target + ")"
	}
	return "the system route " + r.prefix.String() + " → " + r.hopType
}

// resourceID is the user route's ID, or fallback for system routes.
func (r *route) resourceID(fallback string) string {
	if r.user != nil {
		return r.user.ID
	}
	return fallback
}

// connected reports whether a peering carries traffic: Connected and its
// remote VNet exists.
func connected(p *fabric.Peering) bool {
	return p != nil && p.Remote != nil && (p.State == "Connected" || strings.EqualFold(p.State, "Connected"))
}

// remotePrefixes is a peering's remote address space as recorded on the
// peering (remoteAddressSpace), else the remote VNet's.
func remotePrefixes(p *fabric.Peering) []netip.Prefix {
	if len(p.RemotePrefixes) > 0 {
		return p.RemotePrefixes
	}
	if p.Remote != nil {
		return p.Remote.Prefixes
	}
	return nil
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func hasFamily(ps []netip.Prefix, v6 bool) bool {
	for _, p := range ps {
		if p.Addr().Is6() == v6 {
			return true
		}
	}
	return false
}

// selectRoute picks the route a subnet uses for dest: longest prefix, then
// user over system. ok is false when no route matches (an IPv6
// destination from an IPv4-only VNet).
func selectRoute(s *fabric.Snapshot, sn *fabric.Subnet, dest netip.Addr) (best route, ok bool) {
	consider := func(c route) {
		if !ok || c.better(&best) {
			best, ok = c, true
		}
	}
	vnet := sn.VNet
	if vnet != nil {
		for _, p := range vnet.Prefixes {
			if p.Contains(dest) {
				consider(route{prefix: p, rank: rankVnetLocal, hopType: HopVnetLocal})
			}
		}
		for _, pe := range vnet.Peerings {
			if !connected(pe) {
				continue
			}
			for _, p := range remotePrefixes(pe) {
				if p.Contains(dest) {
					consider(route{prefix: p, rank: rankPeering, hopType: HopVNetPeering, peering: pe})
				}
			}
		}
	}
	if r, found := endpointRoute(s, sn, dest); found {
		consider(r)
	}
	if dest.Is4() {
		consider(route{prefix: internetV4, rank: rankDefault, hopType: HopInternet})
		for _, p := range defaultNonePrefixes {
			if p.Contains(dest) {
				consider(route{prefix: p, rank: rankDefault, hopType: HopNone})
			}
		}
	} else if vnet != nil && hasFamily(vnet.Prefixes, true) {
		consider(route{prefix: internetV6, rank: rankDefault, hopType: HopInternet})
	}
	if rt := sn.RouteTable; rt != nil {
		for _, ur := range rt.Routes {
			if ur.Tag != "" {
				// Service-tag routes: only public destinations, by the
				// snapshot's service tag membership.
				if reserved(dest) {
					continue
				}
				for _, p := range s.ServiceTagPrefixes(ur.Tag) {
					if p.Contains(dest) {
						consider(route{prefix: p, rank: rankUser, hopType: ur.NextHopType, hopIP: ur.NextHopIP, user: ur, table: rt})
					}
				}
				continue
			}
			if ur.Prefix.IsValid() && ur.Prefix.Contains(dest) {
				consider(route{prefix: ur.Prefix, rank: rankUser, hopType: ur.NextHopType, hopIP: ur.NextHopIP, user: ur, table: rt})
			}
		}
	}
	return withLearned(s, sn, dest, best, ok) // gateway routes (gateway.go)
}

// EffectiveRoutes is the effective route table of an IP configuration's
// subnet, in Azure's order: the VNet's own prefixes (VnetLocal), the
// prefixes of its Connected peerings (VNetPeering), 0.0.0.0/0 → Internet,
// the default None routes, then the user routes of the subnet's route
// table. A system route whose prefix a user route repeats is Invalid; a
// default None route whose prefix is exactly a VNet or peered prefix is
// left out (Azure turns it into that VNet's route). Each entry carries one
// prefix. It returns nil when ipc or its subnet is missing.
func EffectiveRoutes(s *fabric.Snapshot, ipc *fabric.IPConfig) []EffectiveRoute {
	if ipc == nil || ipc.Subnet == nil {
		return nil
	}
	sn := ipc.Subnet
	rt := sn.RouteTable
	disableBGP := rt != nil && rt.DisableBGPRoutePropagation
	overridden := map[netip.Prefix]bool{}
	if rt != nil {
		for _, ur := range rt.Routes {
			if ur.Tag == "" && ur.Prefix.IsValid() {
				overridden[ur.Prefix.Masked()] = true
			}
		}
	}
	userPrefixes := maps.Clone(overridden)
	for _, e := range gatewayEffectiveRoutes(sn, disableBGP, nil) { // gateway routes override system ones (gateway.go)
		overridden[netip.MustParsePrefix(e.AddressPrefix[0])] = true
	}
	state := func(p netip.Prefix) string {
		if overridden[p.Masked()] {
			return StateInvalid
		}
		return StateActive
	}
	system := func(p netip.Prefix, hop string) EffectiveRoute {
		return EffectiveRoute{
			DisableBGPRoutePropagation: disableBGP,
			Source:                     SourceDefault,
			State:                      state(p),
			AddressPrefix:              []string{p.String()},
			NextHopIPAddress:           []string{},
			NextHopType:                hop,
		}
	}
	var out []EffectiveRoute
	own := map[netip.Prefix]bool{}
	v6 := false
	if vnet := sn.VNet; vnet != nil {
		for _, p := range vnet.Prefixes {
			out = append(out, system(p, HopVnetLocal))
			own[p.Masked()] = true
		}
		v6 = hasFamily(vnet.Prefixes, true)
		for _, pe := range vnet.Peerings {
			if !connected(pe) {
				continue
			}
			for _, p := range remotePrefixes(pe) {
				out = append(out, system(p, HopVNetPeering))
				own[p.Masked()] = true
			}
		}
	}
	out = append(out, system(internetV4, HopInternet))
	if v6 {
		out = append(out, system(internetV6, HopInternet))
	}
	for _, p := range defaultNonePrefixes {
		if !own[p] {
			out = append(out, system(p, HopNone))
		}
	}
	out = append(out, gatewayEffectiveRoutes(sn, disableBGP, userPrefixes)...) // gateway.go
	// Private endpoints' /32 routes (privatelink.go).
	for _, er := range endpointRoutes(s, sn) {
		r := system(er.prefix, HopInterfaceEndpoint)
		if er.invalid {
			r.State = StateInvalid
		}
		out = append(out, r)
	}
	if rt != nil {
		for _, ur := range rt.Routes {
			e := EffectiveRoute{
				Name:                       ur.Name,
				DisableBGPRoutePropagation: disableBGP,
				Source:                     SourceUser,
				State:                      StateActive,
				NextHopIPAddress:           []string{},
				NextHopType:                ur.NextHopType,
				RouteID:                    ur.ID,
				RouteTableID:               rt.ID,
			}
			switch {
			case ur.Tag != "":
				e.AddressPrefix = []string{ur.Tag}
			case ur.Prefix.IsValid():
				e.AddressPrefix = []string{ur.Prefix.String()}
			default:
				e.AddressPrefix = []string{}
			}
			if ur.NextHopIP.IsValid() && strings.EqualFold(ur.NextHopType, HopVirtualAppliance) {
				e.NextHopIPAddress = []string{ur.NextHopIP.String()}
			}
			out = append(out, e)
		}
	}
	return out
}

// NextHop returns the route an IP configuration's subnet uses for dest,
// like Azure's nextHop API: nextHopType, the next hop IP for a
// VirtualAppliance, and the user route's table ID or "System Route". A
// missing ipc or subnet, or a destination no route covers, answers
// {None, System Route}.
func NextHop(s *fabric.Snapshot, ipc *fabric.IPConfig, dest netip.Addr) NextHopResult {
	if ipc == nil || ipc.Subnet == nil {
		return NextHopResult{NextHopType: HopNone, RouteTableID: SystemRouteTableID}
	}
	r, ok := selectRoute(s, ipc.Subnet, dest)
	if !ok {
		return NextHopResult{NextHopType: HopNone, RouteTableID: SystemRouteTableID}
	}
	res := NextHopResult{NextHopType: r.hopType, RouteTableID: SystemRouteTableID}
	if r.user != nil && r.table != nil {
		res.RouteTableID = s.DisplayID(r.table.ID)
	}
	if strings.EqualFold(r.hopType, HopVirtualAppliance) && r.hopIP.IsValid() {
		res.NextHopIPAddress = r.hopIP.String()
	}
	return res
}
