package path

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// Private Link in the evaluator: private endpoint routes, the endpoint's
// connection, the private link service's source NAT, and the one-way rule.
// See the package documentation ("Private Link").

// HopInterfaceEndpoint is the next hop type of a private endpoint's /32
// system route in effective route tables.
const HopInterfaceEndpoint = "InterfaceEndpoint"

// Hop types of the Private Link part of a path.
const (
	HopTypePrivateEndpoint    = "PrivateEndpoint"
	HopTypePrivateLinkService = "PrivateLinkService"
)

// Block kinds of Private Link.
const (
	// KindPrivateEndpointConnection: the endpoint's connection is not
	// Approved, or its private link service is gone.
	KindPrivateEndpointConnection = "PrivateEndpointConnection"
	// KindPrivateLinkService: the service cannot carry the flow (no NAT
	// IP, no load balancer frontend).
	KindPrivateLinkService = "PrivateLinkService"
	// KindPrivateLinkOneWay: a connection towards a service's NAT IP.
	KindPrivateLinkOneWay = "PrivateLinkOneWay"
)

// Connection states of Private Link.
const (
	StatusApproved     = "Approved"
	StatusPending      = "Pending"
	StatusRejected     = "Rejected"
	StatusDisconnected = "Disconnected"
)

// endpointPolicyNSG reports whether the subnet's
// privateEndpointNetworkPolicies apply NSGs to endpoint traffic.
func endpointPolicyNSG(sn *fabric.Subnet) bool {
	return sn != nil && (strings.EqualFold(sn.PrivateEndpointNetworkPolicies, "Enabled") ||
		strings.EqualFold(sn.PrivateEndpointNetworkPolicies, "NetworkSecurityGroupEnabled"))
}

// endpointPolicyRoutes reports whether the subnet's
// privateEndpointNetworkPolicies let user routes invalidate endpoint routes.
func endpointPolicyRoutes(sn *fabric.Subnet) bool {
	return sn != nil && (strings.EqualFold(sn.PrivateEndpointNetworkPolicies, "Enabled") ||
		strings.EqualFold(sn.PrivateEndpointNetworkPolicies, "RouteTableEnabled"))
}

// endpointAt returns the private endpoint IP configuration holding addr in
// vnet, or nil.
func endpointAt(s *fabric.Snapshot, vnet *fabric.VNet, addr netip.Addr) *fabric.IPConfig {
	if s == nil || vnet == nil {
		return nil
	}
	c := s.PrivateIPIndex[vnet.ID][addr]
	if c == nil || c.NIC == nil || c.NIC.PrivateEndpoint == nil {
		return nil
	}
	return c
}

// endpointRouteInvalid reports whether a user route of sn's route table
// invalidates the /32 route of the endpoint at ep: the endpoint's subnet
// must enable route table policies, and the user route's prefix must
// cover an address prefix of the endpoint's VNet (Azure: "a prefix equal
// to or larger than the VNet address space"; 0.0.0.0/0 does not count).
func endpointRouteInvalid(sn *fabric.Subnet, ep *fabric.IPConfig) bool {
	if sn.RouteTable == nil || !endpointPolicyRoutes(ep.Subnet) || ep.Subnet.VNet == nil {
		return false
	}
	for _, ur := range sn.RouteTable.Routes {
		if ur.Tag != "" || !ur.Prefix.IsValid() || ur.Prefix.Bits() == 0 {
			continue
		}
		for _, vp := range ep.Subnet.VNet.Prefixes {
			if ur.Prefix.Bits() <= vp.Bits() && ur.Prefix.Contains(vp.Addr()) {
				return true
			}
		}
	}
	return false
}

// endpointRoute returns the InterfaceEndpoint route sn has for dest: a
// private endpoint at dest in sn's VNet or in a VNet it is Connected to by
// peering, unless a user route invalidates it.
func endpointRoute(s *fabric.Snapshot, sn *fabric.Subnet, dest netip.Addr) (route, bool) {
	vnet := sn.VNet
	if s == nil || vnet == nil || len(s.PrivateEndpoints) == 0 {
		return route{}, false
	}
	ep := endpointAt(s, vnet, dest)
	var via *fabric.Peering
	if ep == nil {
		for _, pe := range vnet.Peerings {
			if connected(pe) {
				if ep = endpointAt(s, pe.Remote, dest); ep != nil {
					via = pe
					break
				}
			}
		}
	}
	if ep == nil || endpointRouteInvalid(sn, ep) {
		return route{}, false
	}
	return route{prefix: netip.PrefixFrom(dest, dest.BitLen()), rank: rankEndpoint, hopType: HopInterfaceEndpoint,
		peering: via, endpoint: ep}, true
}

// endpointRouteEntry is one endpoint route of an effective route table.
type endpointRouteEntry struct {
	prefix  netip.Prefix
	invalid bool
}

// endpointRoutes lists the /32 routes of the private endpoints in sn's
// VNet and in the VNets it is Connected to by peering, by address.
func endpointRoutes(s *fabric.Snapshot, sn *fabric.Subnet) []endpointRouteEntry {
	if s == nil || sn.VNet == nil || len(s.PrivateEndpoints) == 0 {
		return nil
	}
	vnets := []*fabric.VNet{sn.VNet}
	for _, pe := range sn.VNet.Peerings {
		if connected(pe) {
			vnets = append(vnets, pe.Remote)
		}
	}
	var out []endpointRouteEntry
	seen := map[netip.Addr]bool{}
	for _, pe := range s.PrivateEndpoints {
		if pe.NIC == nil {
			continue
		}
		for _, c := range pe.NIC.IPConfigs {
			if c.Subnet == nil || !c.PrivateIP.IsValid() || seen[c.PrivateIP] || !slices.Contains(vnets, c.Subnet.VNet) {
				continue
			}
			seen[c.PrivateIP] = true
			out = append(out, endpointRouteEntry{prefix: netip.PrefixFrom(c.PrivateIP, c.PrivateIP.BitLen()),
				invalid: endpointRouteInvalid(sn, c)})
		}
	}
	slices.SortFunc(out, func(a, b endpointRouteEntry) int { return a.prefix.Addr().Compare(b.prefix.Addr()) })
	return out
}

// connectionStatus is the state of the endpoint's connection as the data
// path sees it: the consumer side's, unless the provider side disagrees
// with an Approved one.
func connectionStatus(pe *fabric.PrivateEndpoint, c *fabric.PEConnection) (status, description string) {
	status, description = cmp.Or(c.Status, StatusPending), c.Description
	if !strings.EqualFold(status, StatusApproved) || c.Service == nil {
		return status, description
	}
	for _, pc := range c.Service.Connections {
		if pc.Endpoint == pe && !strings.EqualFold(pc.Status, StatusApproved) {
			return cmp.Or(pc.Status, StatusPending), pc.Description
		}
	}
	return status, description
}

// toEndpoint carries the flow from the consumer (source address src)
// into private endpoint ep, then through its private link service to a
// backend of the service's load balancer.
func (e *eval) toEndpoint(ep *fabric.IPConfig, src netip.Addr) {
	pe := ep.NIC.PrivateEndpoint
	e.hop(HopTypePrivateEndpoint, ep.NIC.ID, ep.PrivateIP)
	e.v.Endpoint = pe
	e.v.ConsumerAddr = src
	if endpointPolicyNSG(ep.Subnet) {
		e.nsgs(ep, fabric.Inbound, src, ep.PrivateIP)
	}
	if len(pe.Connections) == 0 {
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s has no private link service connection", pe.Name)
		return
	}
	c := pe.Connections[0]
	status, desc := connectionStatus(pe, c)
	state := status
	if desc != "" {
		state += " (" + desc + ")"
	}
	switch {
	case strings.EqualFold(status, StatusApproved):
	case strings.EqualFold(status, StatusPending):
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s connection %s is %s: the private link service owner must approve it", pe.Name, c.Name, state)
	case strings.EqualFold(status, StatusRejected):
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s connection %s is %s: the private link service owner rejected it; delete and re-create the private endpoint to request access again",
			pe.Name, c.Name, state)
	case strings.EqualFold(status, StatusDisconnected):
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s connection %s is %s: the private link service owner removed the connection; delete and re-create the private endpoint",
			pe.Name, c.Name, state)
	default:
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s connection %s is %s: only Approved connections carry traffic", pe.Name, c.Name, state)
	}
	pls := c.Service
	if pls == nil {
		e.block(fabric.HostUnreachable, KindPrivateEndpointConnection, pe.ID,
			"private endpoint %s connection %s: the private link service %s does not exist", pe.Name, c.Name, c.TargetID)
		return
	}
	natIP := netip.Addr{}
	for _, n := range pls.NATIPs {
		if n.PrivateIP.IsValid() {
			if !natIP.IsValid() {
				natIP = n.PrivateIP
			}
			e.v.NATIPs = append(e.v.NATIPs, n.PrivateIP)
		}
	}
	e.hop(HopTypePrivateLinkService, pls.ID, natIP)
	e.v.Service = pls
	e.v.ProxyProtocol = pls.ProxyProtocol
	e.v.LinkID = c.LinkID
	if e.v.LinkID == 0 {
		for _, pc := range pls.Connections {
			if pc.Endpoint == pe {
				e.v.LinkID = pc.LinkID
			}
		}
	}
	if !natIP.IsValid() {
		e.block(fabric.HostUnreachable, KindPrivateLinkService, pls.ID,
			"private link service %s has no NAT IP configuration", pls.Name)
		return
	}
	e.v.TranslatedSource = natIP
	if len(pls.Frontends) == 0 || pls.Frontends[0] == nil || pls.Frontends[0].LB == nil {
		e.block(fabric.HostUnreachable, KindPrivateLinkService, pls.ID,
			"private link service %s is not attached to a load balancer frontend IP configuration", pls.Name)
		return
	}
	e.balance(pls.Frontends[0], natIP)
}

// oneWay refuses a connection to a private link service's NAT IP: only
// the consumer side opens connections.
func (e *eval) oneWay(dst *fabric.IPConfig) {
	pls := dst.NIC.Service
	e.hop(HopTypeDestination, dst.ID, dst.PrivateIP)
	e.block(fabric.NetworkUnreachable, KindPrivateLinkOneWay, pls.ID,
		"private link is one-way: %s is a NAT IP of private link service %s, which only sources connections from private endpoints to its load balancer's backends; nothing can connect to it or through it to the consumers",
		dst.PrivateIP, pls.Name)
}
