package fabric

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/privatelink"
)

// Building the load balancing and Private Link part of a snapshot.
//
// Records read (in Azure's REST shape, as the providers store them):
//
//   - load balancers (loadbalancer.DecodeLoadBalancer): frontends, pools
//     with their IP-based addresses, rules and probes, all inline. NIC-based
//     pool membership is read from the network interfaces
//     (ipConfigurations[].properties.loadBalancerBackendAddressPools);
//   - private link services (privatelink.DecodePLS): frontends, alias,
//     visibility, auto-approval, fqdns, PROXY protocol, and the read-only
//     network interface whose IP configurations are the NAT IPs;
//   - owner-side connections (privatelink.DecodePLSConnection): the
//     endpoint, the state and linkIdentifier;
//   - private endpoints (privatelink.DecodeEndpoint): subnet, read-only
//     network interface, the one connection (automatic or manual) with the
//     consumer-side state, and, from the record's internal state, the
//     resolved private link service (the connection may name an alias) and
//     the link identifier.
//
// Choices:
//
//   - A backend member's Key is its IP configuration's lower-case ID, or
//     "<lower-case pool id>/addresses/<lower-case name>" for IP-based
//     members; members are sorted by Key. A member's Addr is the IP
//     configuration's private address (NIC-based) or the ipAddress
//     (IP-based, in the address's virtualNetwork, else the pool's).
//   - A rule naming several pools (backendAddressPools, Gateway load
//     balancers) uses the first; LoadDistribution "" reads Default.
//   - Probe.Count is probeThreshold (Azure's consecutive successes or
//     failures that move a backend in or out of rotation), else
//     numberOfProbes, else 1; Probe.IntervalSec defaults to 15.
//   - NAT IPs are the read-only NIC's IP configurations, primary first,
//     then in the service's order.
//   - A private endpoint's connection resolves its service by the ID kept
//     in the endpoint's internal state, else by privateLinkServiceId (an ID,
//     or an alias through ServicesByAlias). LinkID comes from the internal
//     state, else from the owner-side connection naming the endpoint.
//   - PrivateLinkService.Subscription is the lower-case subscription ID of
//     the service's resource ID.

// Kinds of the load balancing and Private Link records.
const (
	kindLB kind = 100 + iota
	kindPLS
	kindPLSConn
	kindPE
)

type lbNode struct {
	sku       string
	frontends []lbFrontendNode
	pools     []lbPoolNode
	rules     []lbRuleNode
	probes    []lbProbeNode
}

type lbFrontendNode struct {
	id, display, name string
	subnet            string
	privateIP         netip.Addr
	publicIP          string
}

type lbPoolNode struct {
	id, display, name string
	vnet              string
	addresses         []lbAddressNode
}

type lbAddressNode struct {
	name string
	ip   netip.Addr
	vnet string
}

type lbRuleNode struct {
	id, display, name string
	frontend, pool    string
	probe             string
	protocol          Protocol
	frontendPort      int
	backendPort       int
	floating          bool
	idle              int
	distribution      string
}

type lbProbeNode struct {
	id, display, name string
	protocol          string
	port              int
	path              string
	interval          int
	count             int
}

type plsNode struct {
	subscription string
	alias        string
	frontends    []string
	nics         []string
	proxy        bool
	visibility   []string
	autoApproval []string
	fqdns        []string
}

type plsConnNode struct {
	endpoint    string // lower case
	endpointRaw string
	status      string
	description string
	linkID      uint32
}

type peNode struct {
	subnet string
	nics   []string
	conn   *peConnNode
}

type peConnNode struct {
	name        string
	target      string // privateLinkServiceId as written (ID or alias)
	resolved    string // lower-case service ID from the internal state
	groupIDs    []string
	manual      bool
	status      string
	description string
	linkID      uint32
}

// decodeLoadBalancing decodes the record types of this file. handled is
// false for other types.
func decodeLoadBalancing(typ string, r *arm.Record, n *node) (k kind, handled bool, err error) {
	switch {
	case strings.EqualFold(typ, loadbalancer.Type):
		return kindLB, true, decodeLB(r, n)
	case strings.EqualFold(typ, privatelink.PLSType):
		return kindPLS, true, decodePLS(r, n)
	case strings.EqualFold(typ, privatelink.PLSConnType):
		return kindPLSConn, true, decodePLSConn(r, n)
	case strings.EqualFold(typ, privatelink.EndpointType):
		return kindPE, true, decodePE(r, n)
	}
	return 0, false, nil
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// childID returns a sub-resource's ID (lower case and as written),
// building it from the parent and name when the record lacks it.
func childID(parent, segment, id, name string) (lower, display string) {
	if id == "" {
		id = parent + "/" + segment + "/" + name
	}
	return strings.ToLower(id), id
}

func decodeLB(r *arm.Record, n *node) error {
	p, err := loadbalancer.DecodeLoadBalancer(r)
	if err != nil {
		return err
	}
	ln := &lbNode{sku: loadbalancer.DecodeSku(r).Name}
	lbID := r.Resource.ID
	for _, f := range p.FrontendIPConfigurations {
		fn := lbFrontendNode{name: f.Name, subnet: refID(f.Properties.Subnet), publicIP: refID(f.Properties.PublicIPAddress),
			privateIP: parseAddr(f.Properties.PrivateIPAddress)}
		fn.id, fn.display = childID(lbID, "frontendIPConfigurations", f.ID, f.Name)
		ln.frontends = append(ln.frontends, fn)
	}
	for _, b := range p.BackendAddressPools {
		pn := lbPoolNode{name: b.Name, vnet: refID(b.Properties.VirtualNetwork)}
		pn.id, pn.display = childID(lbID, "backendAddressPools", b.ID, b.Name)
		for _, a := range b.Properties.LoadBalancerBackendAddresses {
			ip := parseAddr(a.Properties.IPAddress)
			if !ip.IsValid() {
				continue
			}
			vnet := refID(a.Properties.VirtualNetwork)
			if vnet == "" && a.Properties.Subnet != nil {
				vnet = parentOf(refID(a.Properties.Subnet))
			}
			if vnet == "" {
				vnet = pn.vnet
			}
			pn.addresses = append(pn.addresses, lbAddressNode{name: a.Name, ip: ip, vnet: vnet})
		}
		ln.pools = append(ln.pools, pn)
	}
	for _, rl := range p.LoadBalancingRules {
		rp := &rl.Properties
		rn := lbRuleNode{name: rl.Name, frontend: refID(rp.FrontendIPConfiguration), probe: refID(rp.Probe),
			frontendPort: rp.FrontendPort, backendPort: rp.BackendPort, floating: rp.EnableFloatingIP,
			idle: rp.IdleTimeoutInMinutes, distribution: cmp.Or(rp.LoadDistribution, "Default")}
		rn.id, rn.display = childID(lbID, "loadBalancingRules", rl.ID, rl.Name)
		rn.pool = refID(rp.BackendAddressPool)
		if rn.pool == "" && len(rp.BackendAddressPools) > 0 {
			rn.pool = strings.ToLower(rp.BackendAddressPools[0].ID)
		}
		switch strings.ToLower(rp.Protocol) {
		case "tcp":
			rn.protocol = TCP
		case "udp":
			rn.protocol = UDP
		default: // "All"
			rn.protocol = ProtoAny
		}
		ln.rules = append(ln.rules, rn)
	}
	for _, pr := range p.Probes {
		pp := &pr.Properties
		pn := lbProbeNode{name: pr.Name, protocol: pp.Protocol, port: pp.Port, path: pp.RequestPath,
			interval: cmp.Or(max(pp.IntervalInSeconds, 0), 15), count: cmp.Or(max(pp.ProbeThreshold, 0), max(pp.NumberOfProbes, 0), 1)}
		pn.id, pn.display = childID(lbID, "probes", pr.ID, pr.Name)
		ln.probes = append(ln.probes, pn)
	}
	n.lb = ln
	return nil
}

func lowerAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

func decodePLS(r *arm.Record, n *node) error {
	p, err := privatelink.DecodePLS(r)
	if err != nil {
		return err
	}
	pn := &plsNode{alias: p.Alias, proxy: p.EnableProxyProtocol,
		visibility: lowerAll(p.Visibility.Subscriptions), autoApproval: lowerAll(p.AutoApproval.Subscriptions)}
	pn.fqdns = append(pn.fqdns, p.Fqdns...)
	if id, err := arm.ParseID(r.Resource.ID); err == nil {
		pn.subscription = strings.ToLower(id.Subscription)
	}
	for _, f := range p.LoadBalancerFrontendIPConfigurations {
		if f.ID != "" {
			pn.frontends = append(pn.frontends, strings.ToLower(f.ID))
		}
	}
	for _, ni := range p.NetworkInterfaces {
		if ni.ID != "" {
			pn.nics = append(pn.nics, strings.ToLower(ni.ID))
		}
	}
	n.pls = pn
	return nil
}

func parseLinkID(s string) uint32 {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

func decodePLSConn(r *arm.Record, n *node) error {
	p, err := privatelink.DecodePLSConnection(r)
	if err != nil {
		return err
	}
	n.parent = parentOf(n.id)
	cn := &plsConnNode{status: p.PrivateLinkServiceConnectionState.Status,
		description: p.PrivateLinkServiceConnectionState.Description, linkID: parseLinkID(p.LinkIdentifier)}
	if p.PrivateEndpoint != nil {
		cn.endpoint, cn.endpointRaw = strings.ToLower(p.PrivateEndpoint.ID), p.PrivateEndpoint.ID
	}
	n.plsConn = cn
	return nil
}

func decodePE(r *arm.Record, n *node) error {
	p, in, err := privatelink.DecodeEndpoint(r)
	if err != nil {
		return err
	}
	pn := &peNode{subnet: refID(p.Subnet)}
	for _, ni := range p.NetworkInterfaces {
		if ni.ID != "" {
			pn.nics = append(pn.nics, strings.ToLower(ni.ID))
		}
	}
	if in.NIC != "" && !slices.Contains(pn.nics, strings.ToLower(in.NIC)) {
		pn.nics = append(pn.nics, strings.ToLower(in.NIC))
	}
	if c, manual := p.Connection(); c != nil {
		cp := &c.Properties
		pn.conn = &peConnNode{name: c.Name, target: strings.TrimSpace(cp.PrivateLinkServiceID),
			resolved: strings.ToLower(in.PrivateLinkService), manual: manual,
			status: cp.PrivateLinkServiceConnectionState.Status, description: cp.PrivateLinkServiceConnectionState.Description,
			linkID: in.LinkIdentifier}
		pn.conn.groupIDs = append(pn.conn.groupIDs, cp.GroupIDs...)
		if pn.conn.name == "" {
			pn.conn.name = n.name
		}
	}
	n.pe = pn
	return nil
}

// platformHost is the built-in Azure platform host (168.63.129.16), the
// source of load balancer health probes.
func platformHost() *Host {
	return &Host{ID: PlatformHostID, Name: PlatformHostID, Kind: KindPlatform, Running: true, PublicAddr: AzurePlatformIP}
}

// buildLoadBalancing links the load balancers, private link services,
// their connections and the private endpoints into s (whose networks,
// NICs and public IPs are already built). nics are the NIC nodes, for
// their backend pool memberships.
func buildLoadBalancing(s *Snapshot, nodes []*node, nics []*node) {
	s.LoadBalancers = map[string]*LoadBalancer{}
	s.PrivateLinkServices = map[string]*PrivateLinkService{}
	s.PrivateEndpoints = map[string]*PrivateEndpoint{}
	slices.SortFunc(nodes, byID)
	frontends := map[string]*Frontend{}
	pools := map[string]*BackendPool{}
	display := func(id, d string) {
		if id != d {
			s.DisplayIDs[id] = d
		}
	}

	// Load balancers.
	for _, n := range nodes {
		if n.kind != kindLB {
			continue
		}
		ln := n.lb
		lb := &LoadBalancer{ID: n.id, Name: n.name, SKU: ln.sku}
		probes := map[string]*Probe{}
		for _, f := range ln.frontends {
			display(f.id, f.display)
			fe := &Frontend{ID: f.id, Name: f.name, LB: lb, Subnet: s.Subnets[f.subnet], PrivateIP: f.privateIP}
			if f.subnet != "" {
				lb.Internal = true
			}
			if pip := s.PublicIPs[f.publicIP]; pip != nil {
				fe.PublicIP = pip
				if pip.Frontend == nil && pip.IPConfig == nil {
					pip.Frontend = fe
				}
			}
			lb.Frontends = append(lb.Frontends, fe)
			frontends[f.id] = fe
		}
		for _, p := range ln.pools {
			display(p.id, p.display)
			pool := &BackendPool{ID: p.id, Name: p.name, LB: lb}
			for _, a := range p.addresses {
				pool.Members = append(pool.Members, &BackendMember{Key: p.id + "/addresses/" + strings.ToLower(a.name),
					VNet: s.VNets[a.vnet], Addr: a.ip})
			}
			lb.Pools = append(lb.Pools, pool)
			pools[p.id] = pool
		}
		for _, p := range ln.probes {
			display(p.id, p.display)
			pr := &Probe{ID: p.id, Name: p.name, Protocol: p.protocol, Port: p.port, Path: p.path, IntervalSec: p.interval, Count: p.count}
			lb.Probes = append(lb.Probes, pr)
			probes[p.id] = pr
		}
		for _, r := range ln.rules {
			display(r.id, r.display)
			rule := &LBRule{ID: r.id, Name: r.name, Frontend: frontends[r.frontend], Pool: pools[r.pool], Probe: probes[r.probe],
				Protocol: r.protocol, FrontendPort: r.frontendPort, BackendPort: r.backendPort, FloatingIP: r.floating,
				IdleTimeoutMin: r.idle, LoadDistribution: r.distribution}
			if rule.Frontend != nil && rule.Frontend.LB == lb {
				rule.Frontend.Rules = append(rule.Frontend.Rules, rule)
			}
			lb.Rules = append(lb.Rules, rule)
		}
		s.LoadBalancers[n.id] = lb
	}

	// NIC-based pool members.
	for _, n := range nics {
		nic := s.NICs[n.id]
		if nic == nil {
			continue
		}
		for i := range n.nic.configs {
			c := &n.nic.configs[i]
			if i >= len(nic.IPConfigs) {
				break
			}
			ipc := nic.IPConfigs[i]
			for _, pid := range c.pools {
				if pool := pools[pid]; pool != nil {
					pool.Members = append(pool.Members, &BackendMember{Key: ipc.ID, IPConfig: ipc, Addr: ipc.PrivateIP})
				}
			}
		}
	}
	for _, pool := range pools {
		slices.SortFunc(pool.Members, func(a, b *BackendMember) int { return strings.Compare(a.Key, b.Key) })
		pool.Members = slices.CompactFunc(pool.Members, func(a, b *BackendMember) bool { return a.Key == b.Key })
	}

	// Private link services.
	for _, n := range nodes {
		if n.kind != kindPLS {
			continue
		}
		pn := n.pls
		pls := &PrivateLinkService{ID: n.id, Name: n.name, Alias: pn.alias, Subscription: pn.subscription,
			ProxyProtocol: pn.proxy, Visibility: pn.visibility, AutoApproval: pn.autoApproval, FQDNs: pn.fqdns}
		for _, fid := range pn.frontends {
			if fe := frontends[fid]; fe != nil {
				pls.Frontends = append(pls.Frontends, fe)
				fe.Services = append(fe.Services, pls)
			}
		}
		for _, nid := range pn.nics {
			nic := s.NICs[nid]
			if nic == nil || nic.Service != nil || nic.PrivateEndpoint != nil {
				continue
			}
			nic.Service = pls
			for _, c := range nic.IPConfigs {
				if c.Primary {
					pls.NATIPs = append(pls.NATIPs, c)
				}
			}
			for _, c := range nic.IPConfigs {
				if !c.Primary {
					pls.NATIPs = append(pls.NATIPs, c)
				}
			}
		}
		s.PrivateLinkServices[n.id] = pls
	}
	byAlias := make(map[string]*PrivateLinkService, len(s.PrivateLinkServices))
	for _, p := range s.PrivateLinkServices {
		if p.Alias != "" {
			byAlias[strings.ToLower(p.Alias)] = p
		}
	}

	// Private endpoints.
	for _, n := range nodes {
		if n.kind != kindPE {
			continue
		}
		pn := n.pe
		pe := &PrivateEndpoint{ID: n.id, Name: n.name, Subnet: s.Subnets[pn.subnet]}
		for _, nid := range pn.nics {
			nic := s.NICs[nid]
			if nic == nil || nic.Service != nil || nic.PrivateEndpoint != nil {
				continue
			}
			nic.PrivateEndpoint = pe
			pe.NIC = nic
			if c := nic.Primary(); c != nil {
				pe.IP = c.PrivateIP
			}
			break
		}
		if c := pn.conn; c != nil {
			pc := &PEConnection{Name: c.name, TargetID: c.target, GroupIDs: c.groupIDs, Manual: c.manual,
				Status: c.status, Description: c.description, LinkID: c.linkID}
			switch {
			case c.resolved != "" && s.PrivateLinkServices[c.resolved] != nil:
				pc.Service = s.PrivateLinkServices[c.resolved]
			case s.PrivateLinkServices[strings.ToLower(c.target)] != nil:
				pc.Service = s.PrivateLinkServices[strings.ToLower(c.target)]
			default:
				pc.Service = byAlias[strings.ToLower(c.target)]
			}
			pe.Connections = append(pe.Connections, pc)
		}
		s.PrivateEndpoints[n.id] = pe
	}

	// Owner-side connections.
	for _, n := range nodes {
		if n.kind != kindPLSConn {
			continue
		}
		pls := s.PrivateLinkServices[n.parent]
		if pls == nil {
			continue
		}
		cn := n.plsConn
		c := &PLSConnection{ID: n.id, Name: n.name, Service: pls, Endpoint: s.PrivateEndpoints[cn.endpoint],
			EndpointID: cn.endpoint, Status: cn.status, Description: cn.description, LinkID: cn.linkID}
		if c.Endpoint == nil && cn.endpointRaw != "" && cn.endpointRaw != cn.endpoint {
			display(cn.endpoint, cn.endpointRaw)
		}
		pls.Connections = append(pls.Connections, c)
		if pe := c.Endpoint; pe != nil {
			for _, pc := range pe.Connections {
				if pc.Service == pls && pc.LinkID == 0 {
					pc.LinkID = c.LinkID
				}
			}
		}
	}
}
