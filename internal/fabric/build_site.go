package fabric

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/gateway"
)

// Hybrid networking: on-premises sites (Privlink.OnPrem) and Azure's
// virtual network gateways, local network gateways, connections and
// ExpressRoute circuits. The model is described in model_site.go; the
// rules:
//
// Connection status (the same computation feeds the evaluator and the
// controller that writes connectionStatus, internal/app/hybrid.go):
//
//   - IPsec: Connected when the gateway (virtualNetworkGateway1, type Vpn,
//     provisioned, with a public address) and the local network gateway
//     exist, a site's edge address is the local network gateway's
//     gatewayIpAddress, the site has a VPN device whose
//     remoteGatewayIpAddress is one of the gateway's public addresses,
//     and the device's shared key equals the connection's. Connecting
//     while the gateway or the connection is still being provisioned;
//     NotConnected otherwise, with the reasons.
//   - ExpressRoute: Connected when the gateway (type ExpressRoute) and the
//     circuit (peer) exist, the circuit's serviceProviderProvisioningState
//     is Provisioned, it has an AzurePrivatePeering, and a site's
//     expressRoute entry names the circuit's service key.
//   - Vnet2Vnet connections are not evaluated (Status "").
//
// Learned routes (BGP-like propagation, see LearnedRoutes): a VNet with a
// gateway learns each connection's prefixes (Connection.Prefixes) with
// next hop VirtualNetworkGateway; a VNet peered to it whose peering uses
// remote gateways, while the gateway VNet's peering back allows gateway
// transit, learns them too. The site learns the gateway VNet's prefixes
// and those of such spokes. Routes of connections that are not Connected,
// and of spokes whose peerings lack the flags, are kept marked Down (with
// the reason) so that evaluation names why traffic does not flow; they
// are neither effective routes nor part of the VirtualNetwork tag.

// Record types of the hybrid extension.
const (
	typeSite              = "Privlink.OnPrem/sites"
	typeSiteHost          = "Privlink.OnPrem/sites/hosts"
	typeGateway           = "Microsoft.Network/virtualNetworkGateways"
	typeLocalGateway      = "Microsoft.Network/localNetworkGateways"
	typeConnection        = "Microsoft.Network/connections"
	typeCircuit           = "Microsoft.Network/expressRouteCircuits"
	typeCircuitPeering    = "Microsoft.Network/expressRouteCircuits/peerings"
	siteSubnetSuffix      = "/subnets/onprem"
	siteDNSHostSuffix     = "/dnsserver"
	privatePeeringType    = "AzurePrivatePeering"
	onPremPowerRunning    = "PowerState/running"
	onPremPowerStopped    = "PowerState/stopped"
	hostNICSuffix         = "/nic"
	hostIPConfigSuffix    = "/nic/ipconfigurations/ipconfig1"
	siteNetworkSuffixName = "onprem"
)

func init() {
	registerExtension(&extension{
		Name:   "hybrid",
		Order:  10,
		Types:  []string{typeSite, typeSiteHost, typeGateway, typeLocalGateway, typeConnection, typeCircuit, typeCircuitPeering},
		Decode: decodeHybrid,
		Link:   linkHybrid,
	})
}

// Decoded values (immutable).
type (
	siteVal struct {
		resourceID, rg string
		prefixes       []netip.Prefix
		edge           netip.Addr
		dns            netip.Addr
		forwarders     []DNSForwarder
		devices        []*VPNDevice
		er             []SiteCircuit
	}
	siteHostVal struct {
		site, resourceID, rg, computerName string
		ip                                 netip.Addr
		running                            bool
	}
	gatewayVal struct {
		typ, state, subnet string
		pips               []string
		bgp                bool
	}
	localGatewayVal struct {
		ip       netip.Addr
		fqdn     string
		prefixes []netip.Prefix
	}
	connectionVal struct {
		typ, gw, lng, peer, key, state, status string
		bgp                                    bool
	}
	circuitVal struct {
		key, providerState string
		private            bool
	}
	circuitPeeringVal struct {
		circuit string
		private bool
	}
)

func decodeHybrid(r *arm.Record, id string) (any, error) {
	typ := recordType(r)
	props := r.Resource.Properties
	un := func(v any) error {
		if len(props) == 0 || string(props) == "null" {
			return nil
		}
		if err := json.Unmarshal(props, v); err != nil {
			return fmt.Errorf("decode %s: %w", r.Resource.ID, err)
		}
		return nil
	}
	switch {
	case strings.EqualFold(typ, typeSite):
		var p struct {
			AddressPrefixes     []string `json:"addressPrefixes"`
			EdgePublicIPAddress string   `json:"edgePublicIpAddress"`
			DNSServer           *struct {
				PrivateIPAddress string `json:"privateIpAddress"`
				Forwarders       []struct {
					Domain            string   `json:"domain"`
					TargetIPAddresses []string `json:"targetIpAddresses"`
				} `json:"forwarders"`
			} `json:"dnsServer"`
			VPNDevices []struct {
				Name                   string `json:"name"`
				RemoteGatewayIPAddress string `json:"remoteGatewayIpAddress"`
				SharedKey              string `json:"sharedKey"`
				BGP                    bool   `json:"bgp"`
			} `json:"vpnDevices"`
			ExpressRoute []struct {
				CircuitServiceKey string `json:"circuitServiceKey"`
				Provisioned       bool   `json:"provisioned"`
			} `json:"expressRoute"`
		}
		if err := un(&p); err != nil {
			return nil, err
		}
		aid, err := arm.ParseID(r.Resource.ID)
		if err != nil {
			return nil, err
		}
		v := &siteVal{resourceID: r.Resource.ID, rg: aid.ResourceGroup, prefixes: parsePrefixList(p.AddressPrefixes)}
		v.edge, _ = netip.ParseAddr(p.EdgePublicIPAddress)
		if p.DNSServer != nil {
			v.dns, _ = netip.ParseAddr(p.DNSServer.PrivateIPAddress)
			for i, f := range p.DNSServer.Forwarders {
				fw := DNSForwarder{ID: fmt.Sprintf("%s/dnsserver/forwarders/%d", id, i),
					Domain: strings.ToLower(strings.TrimSuffix(f.Domain, "."))}
				for _, t := range f.TargetIPAddresses {
					if ap, err := netip.ParseAddrPort(t); err == nil {
						fw.Targets = append(fw.Targets, ap)
					} else if a, err := netip.ParseAddr(t); err == nil {
						fw.Targets = append(fw.Targets, netip.AddrPortFrom(a, 53))
					}
				}
				v.forwarders = append(v.forwarders, fw)
			}
		}
		for _, d := range p.VPNDevices {
			ip, _ := netip.ParseAddr(d.RemoteGatewayIPAddress)
			v.devices = append(v.devices, &VPNDevice{Name: d.Name, RemoteGatewayIP: ip, SharedKey: d.SharedKey, BGP: d.BGP})
		}
		for _, e := range p.ExpressRoute {
			v.er = append(v.er, SiteCircuit{ServiceKey: strings.ToLower(e.CircuitServiceKey), Provisioned: e.Provisioned})
		}
		return v, nil
	case strings.EqualFold(typ, typeSiteHost):
		var p struct {
			PrivateIPAddress string `json:"privateIpAddress"`
			ComputerName     string `json:"computerName"`
			PowerState       string `json:"powerState"`
		}
		if err := un(&p); err != nil {
			return nil, err
		}
		aid, err := arm.ParseID(r.Resource.ID)
		if err != nil {
			return nil, err
		}
		v := &siteHostVal{site: parentOf(id), resourceID: r.Resource.ID, rg: aid.ResourceGroup, computerName: p.ComputerName,
			running: !strings.EqualFold(p.PowerState, "stopped")}
		v.ip, _ = netip.ParseAddr(p.PrivateIPAddress)
		if v.computerName == "" {
			v.computerName = r.Resource.Name
		}
		return v, nil
	// Azure's records, through the gateway provider's decoders.
	case strings.EqualFold(typ, typeGateway):
		g, err := gateway.DecodeGateway(r)
		if err != nil {
			return nil, err
		}
		v := &gatewayVal{typ: g.Type, state: stateOf(r), bgp: g.EnableBgp, subnet: strings.ToLower(g.SubnetID)}
		for _, in := range g.IPConfigurations {
			if in.PublicIPID != "" {
				v.pips = append(v.pips, strings.ToLower(in.PublicIPID))
			}
		}
		return v, nil
	case strings.EqualFold(typ, typeLocalGateway):
		l, err := gateway.DecodeLocalGateway(r)
		if err != nil {
			return nil, err
		}
		return &localGatewayVal{ip: l.GatewayIP, fqdn: l.FQDN, prefixes: l.Prefixes}, nil
	case strings.EqualFold(typ, typeConnection):
		c, err := gateway.DecodeConnection(r)
		if err != nil {
			return nil, err
		}
		return &connectionVal{typ: c.Type, gw: strings.ToLower(c.Gateway1), lng: strings.ToLower(c.LocalGateway2),
			peer: strings.ToLower(c.Circuit), key: c.SharedKey, bgp: c.EnableBgp, state: stateOf(r), status: c.Status}, nil
	case strings.EqualFold(typ, typeCircuit):
		c, err := gateway.DecodeCircuit(r)
		if err != nil {
			return nil, err
		}
		v := &circuitVal{key: strings.ToLower(c.ServiceKey), providerState: c.ServiceProviderState}
		// Peerings given inline in the circuit's body.
		var p struct {
			Peerings []struct {
				Properties struct {
					PeeringType string `json:"peeringType"`
				} `json:"properties"`
			} `json:"peerings"`
		}
		if err := un(&p); err != nil {
			return nil, err
		}
		for _, pe := range p.Peerings {
			if strings.EqualFold(pe.Properties.PeeringType, privatePeeringType) {
				v.private = true
			}
		}
		return v, nil
	case strings.EqualFold(typ, typeCircuitPeering):
		pe, err := gateway.DecodeCircuitPeering(r)
		if err != nil {
			return nil, err
		}
		private := strings.EqualFold(pe.Type, privatePeeringType) || (pe.Type == "" && strings.EqualFold(r.Resource.Name, privatePeeringType))
		return &circuitPeeringVal{circuit: parentOf(id), private: private}, nil
	}
	return nil, fmt.Errorf("hybrid: unexpected type %s", typ)
}

func stateOf(r *arm.Record) string {
	if r.State == "" {
		return arm.StateSucceeded
	}
	return r.State
}

func linkHybrid(s *Snapshot, phase Phase, nodes []ExtNode) {
	switch phase {
	case PhaseHosts:
		linkSites(s, nodes)
	case PhaseLink:
		linkGateways(s, nodes)
	}
}

// linkSites adds the sites, their synthetic networks and their hosts.
func linkSites(s *Snapshot, nodes []ExtNode) {
	for _, n := range nodes {
		v, ok := n.Value.(*siteVal)
		if !ok {
			continue
		}
		if s.Sites == nil {
			s.Sites = map[string]*Site{}
		}
		st := &Site{ID: n.ID, Name: n.Name, ResourceID: v.resourceID, ResourceGroup: v.rg, Prefixes: v.prefixes,
			EdgeIP: v.edge, DNSServer: v.dns, Forwarders: v.forwarders, Devices: v.devices, ExpressRoute: v.er}
		st.VNet = &VNet{ID: n.ID, Name: n.Name, Prefixes: v.prefixes}
		if v.dns.IsValid() {
			st.VNet.DNSServers = []netip.Addr{v.dns}
		}
		st.Subnet = &Subnet{ID: n.ID + siteSubnetSuffix, Name: siteNetworkSuffixName, VNet: st.VNet,
			Prefixes: v.prefixes, DefaultOutboundAccess: true}
		st.VNet.Subnets = []*Subnet{st.Subnet}
		if v.edge.IsValid() {
			st.Edge = &PublicIP{ID: n.ID + "/edge", Name: n.Name + "-edge", Addr: v.edge, SKU: "Standard"}
		}
		s.Sites[n.ID] = st
		s.VNets[n.ID] = st.VNet
		s.Subnets[st.Subnet.ID] = st.Subnet
		if v.dns.IsValid() {
			h := siteHost(s, st, n.ID+siteDNSHostSuffix, "dnsserver", v.resourceID+siteDNSHostSuffix, v.rg, "dnsserver", v.dns, true)
			h.Ports = map[string]string{"udp/53": FabricDNSTarget, "tcp/53": FabricDNSTarget}
			st.DNSHost = h
		}
	}
	for _, n := range nodes {
		v, ok := n.Value.(*siteHostVal)
		if !ok {
			continue
		}
		st := s.Sites[v.site]
		if st == nil || !v.ip.IsValid() {
			continue
		}
		h := siteHost(s, st, n.ID, n.Name, v.resourceID, v.rg, v.computerName, v.ip, v.running)
		st.Hosts = append(st.Hosts, h)
	}
}

// siteHost adds a host of a site with its synthetic NIC.
func siteHost(s *Snapshot, st *Site, id, name, resourceID, rg, computer string, ip netip.Addr, running bool) *Host {
	h := &Host{ID: id, Name: name, ResourceID: resourceID, ResourceGroup: rg, Kind: KindOnPrem,
		Running: running, PowerState: onPremPowerStopped, ComputerName: computer, Site: st}
	if running {
		h.PowerState = onPremPowerRunning
	}
	if st.DNSServer.IsValid() {
		h.DNSServers = []netip.Addr{st.DNSServer}
	}
	nic := &NIC{ID: id + hostNICSuffix, Name: name + "-nic", Host: h}
	nic.IPConfigs = []*IPConfig{{ID: id + hostIPConfigSuffix, Name: "ipconfig1", NIC: nic, Subnet: st.Subnet,
		PrivateIP: ip, PublicIP: st.Edge, Primary: true}}
	h.NICs = []*NIC{nic}
	s.NICs[nic.ID] = nic
	s.Hosts[id] = h
	return h
}

// linkGateways adds gateways, local network gateways, circuits and
// connections, computes the connections' status and the learned routes.
func linkGateways(s *Snapshot, nodes []ExtNode) {
	var conns []ExtNode
	var peerings []*circuitPeeringVal
	for _, n := range nodes {
		switch v := n.Value.(type) {
		case *gatewayVal:
			g := &Gateway{ID: n.ID, Name: n.Name, Type: v.typ, State: v.state, BGP: v.bgp}
			if sn := s.Subnets[v.subnet]; sn != nil {
				g.Subnet, g.VNet = sn, sn.VNet
			}
			for _, pid := range v.pips {
				if p := s.PublicIPs[pid]; p != nil && p.Addr.IsValid() {
					g.PublicIPs = append(g.PublicIPs, p.Addr)
				}
			}
			if s.Gateways == nil {
				s.Gateways = map[string]*Gateway{}
			}
			s.Gateways[n.ID] = g
		case *localGatewayVal:
			if s.LocalGateways == nil {
				s.LocalGateways = map[string]*LocalGateway{}
			}
			s.LocalGateways[n.ID] = &LocalGateway{ID: n.ID, Name: n.Name, GatewayIP: v.ip, FQDN: v.fqdn, Prefixes: v.prefixes}
		case *circuitVal:
			if s.Circuits == nil {
				s.Circuits = map[string]*Circuit{}
			}
			s.Circuits[n.ID] = &Circuit{ID: n.ID, Name: n.Name, ServiceKey: v.key, ProviderState: v.providerState, PrivatePeering: v.private}
		case *circuitPeeringVal:
			peerings = append(peerings, v)
		case *connectionVal:
			conns = append(conns, n)
		}
	}
	for _, p := range peerings {
		if c := s.Circuits[p.circuit]; c != nil && p.private {
			c.PrivatePeering = true
		}
	}
	// Circuits and the sites' connectivity providers.
	for _, id := range sortedKeys(s.Sites) {
		st := s.Sites[id]
		for _, e := range st.ExpressRoute {
			for _, c := range s.Circuits {
				if c.ServiceKey != "" && c.ServiceKey == e.ServiceKey && c.Site == nil {
					c.Site = st
					c.Provisioned = e.Provisioned
				}
			}
		}
	}
	for _, n := range conns {
		v := n.Value.(*connectionVal)
		c := &Connection{ID: n.ID, Name: n.Name, Type: v.typ, GatewayID: v.gw, LocalID: v.lng, CircuitID: v.peer,
			Gateway: s.Gateways[v.gw], LocalGateway: s.LocalGateways[v.lng], Circuit: s.Circuits[v.peer],
			SharedKey: v.key, BGP: v.bgp, State: v.state, StoredStatus: v.status}
		connectionStatus(s, c)
		if s.Connections == nil {
			s.Connections = map[string]*Connection{}
		}
		s.Connections[n.ID] = c
		if c.Gateway != nil {
			c.Gateway.Connections = append(c.Gateway.Connections, c)
		}
		if c.Site != nil {
			c.Site.Connections = append(c.Site.Connections, c)
		}
	}
	learnRoutes(s)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (c *Connection) fail(status, format string, args ...any) {
	if c.Status == "" || c.Status == ConnectionConnected || (c.Status == ConnectionConnecting && status == ConnectionNotConnected) {
		c.Status = status
	}
	c.Reasons = append(c.Reasons, fmt.Sprintf(format, args...))
}

func addrList(as []netip.Addr) string {
	ss := make([]string, len(as))
	for i, a := range as {
		ss[i] = a.String()
	}
	return strings.Join(ss, ", ")
}

// connectionStatus computes c.Status, c.Reasons, c.Site, c.Device and
// c.Prefixes.
func connectionStatus(s *Snapshot, c *Connection) {
	c.Status = ConnectionConnected
	g := c.Gateway
	switch {
	case g == nil:
		c.fail(ConnectionNotConnected, "virtual network gateway %s does not exist", lastSegment(c.GatewayID))
	case g.VNet == nil:
		c.fail(ConnectionNotConnected, "virtual network gateway %s is not in an existing GatewaySubnet", g.Name)
	case g.State != arm.StateSucceeded && g.State != arm.StateFailed:
		c.fail(ConnectionConnecting, "virtual network gateway %s is still being provisioned (%s)", g.Name, g.State)
	case g.State == arm.StateFailed:
		c.fail(ConnectionNotConnected, "virtual network gateway %s failed to provision", g.Name)
	}
	switch {
	case strings.EqualFold(c.Type, "IPsec"):
		if g != nil && !strings.EqualFold(g.Type, "Vpn") {
			c.fail(ConnectionNotConnected, "virtual network gateway %s is of type %s, not Vpn", g.Name, g.Type)
		}
		if g != nil && len(g.PublicIPs) == 0 {
			c.fail(ConnectionNotConnected, "virtual network gateway %s has no public IP address", g.Name)
		}
		l := c.LocalGateway
		if l == nil {
			c.fail(ConnectionNotConnected, "local network gateway %s does not exist", lastSegment(c.LocalID))
			break
		}
		c.Prefixes = l.Prefixes
		for _, id := range sortedKeys(s.Sites) {
			if st := s.Sites[id]; l.GatewayIP.IsValid() && st.EdgeIP == l.GatewayIP {
				c.Site = st
				break
			}
		}
		if c.Site == nil {
			what := l.GatewayIP.String()
			if !l.GatewayIP.IsValid() {
				what = "FQDN " + l.FQDN
			}
			c.fail(ConnectionNotConnected, "local network gateway %s names %s, which is no on-premises site's edge address", l.Name, what)
			break
		}
		st := c.Site
		if g == nil {
			break
		}
		for _, d := range st.Devices {
			if slices.Contains(g.PublicIPs, d.RemoteGatewayIP) {
				c.Device = d
				break
			}
		}
		switch {
		case c.Device == nil && len(st.Devices) == 0:
			c.fail(ConnectionNotConnected, "site %s has no VPN device (add one naming gateway %s's IP %s)", st.Name, g.Name, addrList(g.PublicIPs))
		case c.Device == nil:
			var named []netip.Addr
			for _, d := range st.Devices {
				named = append(named, d.RemoteGatewayIP)
			}
			c.fail(ConnectionNotConnected, "the site's device names gateway IP %s but gateway %s has %s", addrList(named), g.Name, addrList(g.PublicIPs))
		case c.Device.SharedKey != c.SharedKey:
			c.fail(ConnectionNotConnected, "the shared key of site %s's device %s does not match", st.Name, c.Device.Name)
		}
		if c.Device != nil && c.BGP && c.Device.BGP {
			c.Prefixes = mergePrefixes(l.Prefixes, st.Prefixes)
		}
	case strings.EqualFold(c.Type, "ExpressRoute"):
		if g != nil && !strings.EqualFold(g.Type, "ExpressRoute") {
			c.fail(ConnectionNotConnected, "virtual network gateway %s is of type %s, not ExpressRoute", g.Name, g.Type)
		}
		ci := c.Circuit
		if ci == nil {
			c.fail(ConnectionNotConnected, "circuit %s does not exist", lastSegment(c.CircuitID))
			break
		}
		c.Site = ci.Site
		if c.Site != nil {
			c.Prefixes = c.Site.Prefixes
		}
		state := ci.ProviderState
		if state == "" {
			state = CircuitNotProvisioned
		}
		if state != CircuitProvisioned {
			c.fail(ConnectionNotConnected, "circuit %s is %s", ci.Name, state)
		}
		if !ci.PrivatePeering {
			c.fail(ConnectionNotConnected, "no private peering on circuit %s", ci.Name)
		}
		if ci.Site == nil {
			c.fail(ConnectionNotConnected, "no on-premises site's expressRoute entry names circuit %s's service key %s", ci.Name, ci.ServiceKey)
		}
	default: // Vnet2Vnet (not evaluated)
		c.Status = ""
		return
	}
	if c.Status == ConnectionConnected && c.State != arm.StateSucceeded {
		c.fail(ConnectionConnecting, "connection %s is still being provisioned (%s)", c.Name, c.State)
	}
}

func lastSegment(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return id
}

func mergePrefixes(a, b []netip.Prefix) []netip.Prefix {
	out := slices.Clone(a)
	for _, p := range b {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Learned routes are kept next to the snapshot's VNets (the NSG
// VirtualNetwork tag is evaluated from an IP configuration alone): a side
// table from weak pointers to the VNets of a snapshot to weak pointers to
// their route sets. The sets are held strongly only by the snapshot (its
// gateways' routes field), so neither the table nor its entries keep an
// old snapshot alive; an entry goes when its VNet is collected.
var learned sync.Map // weak.Pointer[VNet] -> weak.Pointer[learnedSet]

// learnedSet is one network's learned routes.
type learnedSet struct{ routes []LearnedRoute }

// learnedCount is the number of entries of learned: lookups skip the
// table while it is empty (no hybrid network anywhere).
var learnedCount atomic.Int64

func setLearned(v *VNet, set *learnedSet) {
	k := weak.Make(v)
	if _, loaded := learned.Swap(k, weak.Make(set)); !loaded {
		learnedCount.Add(1)
		runtime.AddCleanup(v, func(k weak.Pointer[VNet]) {
			learned.Delete(k)
			learnedCount.Add(-1)
		}, k)
	}
}

// LearnedRoutes returns the routes a network (a VNet, or a site's
// synthetic VNet) learned from gateways, Down ones included, in a stable
// order. Nil when none.
func LearnedRoutes(v *VNet) []LearnedRoute {
	if v == nil || learnedCount.Load() == 0 {
		return nil
	}
	if w, ok := learned.Load(weak.Make(v)); ok {
		if set := w.(weak.Pointer[learnedSet]).Value(); set != nil {
			return set.routes
		}
	}
	return nil
}

// OnPremPrefixes returns the on-premises prefixes a VNet reaches through
// Connected connections (its own gateway's, or its hub's through gateway
// transit): they belong to its VirtualNetwork service tag.
func OnPremPrefixes(v *VNet) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range LearnedRoutes(v) {
		if !r.Down && r.Target == nil && !slices.Contains(out, r.Prefix) {
			out = append(out, r.Prefix)
		}
	}
	return out
}

// SpokeReason is why a VNet peered to a gateway's VNet does not use the
// gateway ("" when it does): its peering must use remote gateways and the
// gateway VNet's peering back must allow gateway transit.
func SpokeReason(spokePeering, hubPeering *Peering) string {
	switch {
	case !spokePeering.UseRemoteGateways:
		return fmt.Sprintf("peering %s does not use remote gateways", spokePeering.Name)
	case hubPeering == nil:
		return fmt.Sprintf("peering %s has no peering back from VNet %s", spokePeering.Name, spokePeering.Remote.Name)
	case !hubPeering.AllowGatewayTransit:
		return fmt.Sprintf("peering %s does not allow gateway transit", hubPeering.Name)
	}
	return ""
}

func peeringUp(p *Peering) bool {
	return p != nil && p.Remote != nil && strings.EqualFold(p.State, "Connected")
}

// spokes lists the VNets peered to hub (Connected both ways), with their
// peering to the hub, the hub's back, and why they do not use the hub's
// gateway ("" when they do).
type spoke struct {
	vnet       *VNet
	toHub      *Peering
	fromHub    *Peering
	notTransit string
}

func spokesOf(s *Snapshot, hub *VNet) []spoke {
	var out []spoke
	for _, id := range sortedKeys(s.VNets) {
		v := s.VNets[id]
		if v == hub || s.SiteOf(v) != nil {
			continue
		}
		for _, pe := range v.Peerings {
			if pe.Remote != hub || !peeringUp(pe) {
				continue
			}
			var back *Peering
			for _, b := range hub.Peerings {
				if b.Remote == v {
					back = b
				}
			}
			if !peeringUp(back) {
				continue
			}
			out = append(out, spoke{vnet: v, toHub: pe, fromHub: back, notTransit: SpokeReason(pe, back)})
		}
	}
	return out
}

// learnRoutes fills the learned routes of every VNet and site.
func learnRoutes(s *Snapshot) {
	if len(s.Connections) == 0 && len(s.Sites) == 0 {
		return
	}
	byNet := map[*VNet][]LearnedRoute{}
	for _, id := range sortedKeys(s.Connections) {
		c := s.Connections[id]
		g := c.Gateway
		if g == nil || g.VNet == nil || c.Status == "" {
			continue
		}
		down := !c.Up()
		sp := spokesOf(s, g.VNet)
		if c.Site == nil { // no site answers: the local network gateway's prefixes lead nowhere
			for _, p := range c.Prefixes {
				byNet[g.VNet] = append(byNet[g.VNet], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Down: true})
				for _, k := range sp {
					byNet[k.vnet] = append(byNet[k.vnet], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Via: k.toHub, Down: true})
				}
			}
			continue
		}
		for _, p := range c.Prefixes {
			byNet[g.VNet] = append(byNet[g.VNet], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Site: c.Site, Down: down})
			for _, k := range sp {
				byNet[k.vnet] = append(byNet[k.vnet], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Via: k.toHub, Site: c.Site,
					Down: down || k.notTransit != ""})
			}
		}
		sn := c.Site.VNet
		for _, p := range g.VNet.Prefixes {
			byNet[sn] = append(byNet[sn], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Site: c.Site, Target: g.VNet, Down: down})
		}
		for _, k := range sp {
			for _, p := range k.vnet.Prefixes {
				byNet[sn] = append(byNet[sn], LearnedRoute{Prefix: p, Connection: c, Gateway: g, Via: k.toHub, Site: c.Site,
					Target: k.vnet, Down: down || k.notTransit != ""})
			}
		}
	}
	// A device naming a gateway that no connection ties to the site.
	for _, sid := range sortedKeys(s.Sites) {
		st := s.Sites[sid]
		for _, d := range st.Devices {
			for _, gid := range sortedKeys(s.Gateways) {
				g := s.Gateways[gid]
				if g.VNet == nil || !slices.Contains(g.PublicIPs, d.RemoteGatewayIP) {
					continue
				}
				if slices.ContainsFunc(st.Connections, func(c *Connection) bool { return c.Gateway == g }) {
					continue
				}
				for _, p := range g.VNet.Prefixes {
					byNet[st.VNet] = append(byNet[st.VNet], LearnedRoute{Prefix: p, Gateway: g, Site: st, Target: g.VNet, Down: true})
				}
			}
		}
	}
	// Every gateway holds every set: the snapshot keeps them alive.
	sets := make([]*learnedSet, 0, len(byNet))
	for v, rs := range byNet {
		set := &learnedSet{routes: rs}
		sets = append(sets, set)
		setLearned(v, set)
	}
	for _, g := range s.Gateways {
		g.routes = sets
	}
}
