package path

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// builder assembles snapshots by hand for the tests.
type builder struct {
	s *fabric.Snapshot
}

const rgID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/"

func newBuilder() *builder {
	s := &fabric.Snapshot{
		VNets:       map[string]*fabric.VNet{},
		Subnets:     map[string]*fabric.Subnet{},
		Peerings:    map[string]*fabric.Peering{},
		NICs:        map[string]*fabric.NIC{},
		NSGs:        map[string]*fabric.NSG{},
		RouteTables: map[string]*fabric.RouteTable{},
		PublicIPs:   map[string]*fabric.PublicIP{},
		Hosts:       map[string]*fabric.Host{},
	}
	s.Hosts[fabric.InternetHostID] = &fabric.Host{
		ID: fabric.InternetHostID, Name: "internet", Kind: fabric.KindInternet, Running: true,
		PowerState: "PowerState/running", PublicAddr: fabric.InternetHostIP,
		Ports: map[string]string{"tcp/443": "127.0.0.1:10443"},
	}
	return &builder{s: s}
}

func prefixes(ps ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

func (b *builder) vnet(name string, ps ...string) *fabric.VNet {
	v := &fabric.VNet{ID: rgID + "microsoft.network/virtualnetworks/" + name, Name: name, Location: "eastus", Prefixes: prefixes(ps...)}
	b.s.VNets[v.ID] = v
	return v
}

func (b *builder) subnet(v *fabric.VNet, name, prefix string) *fabric.Subnet {
	sn := &fabric.Subnet{ID: v.ID + "/subnets/" + name, Name: name, VNet: v, Prefixes: prefixes(prefix), DefaultOutboundAccess: true}
	v.Subnets = append(v.Subnets, sn)
	b.s.Subnets[sn.ID] = sn
	return sn
}

// peering adds local's peering to remote ("<local>-to-<remote>").
func (b *builder) peering(local, remote *fabric.VNet, state string, access, forwarded bool) *fabric.Peering {
	p := &fabric.Peering{
		ID: local.ID + "/virtualnetworkpeerings/" + local.Name + "-to-" + remote.Name, Name: local.Name + "-to-" + remote.Name,
		Local: local, Remote: remote, RemoteID: remote.ID, State: state,
		AllowVirtualNetworkAccess: access, AllowForwardedTraffic: forwarded, RemotePrefixes: remote.Prefixes,
	}
	local.Peerings = append(local.Peerings, p)
	b.s.Peerings[p.ID] = p
	return p
}

// peer connects two VNets both ways (Connected, access allowed, forwarded
// traffic as given).
func (b *builder) peer(x, y *fabric.VNet, forwarded bool) (*fabric.Peering, *fabric.Peering) {
	return b.peering(x, y, "Connected", true, forwarded), b.peering(y, x, "Connected", true, forwarded)
}

// vm adds a running VM with one NIC in sn at ip, listening on tcp/80.
func (b *builder) vm(name string, sn *fabric.Subnet, ip string) *fabric.Host {
	h := &fabric.Host{
		ID: rgID + "microsoft.compute/virtualmachines/" + name, Name: name, Kind: fabric.KindVM, Running: true,
		PowerState: "PowerState/running", ComputerName: name, ResourceGroup: "rg",
		Ports: map[string]string{"tcp/80": "127.0.0.1:18080"},
	}
	h.ResourceID = h.ID
	b.s.Hosts[h.ID] = h
	b.nic(name+"-nic", h, sn, ip)
	return h
}

func (b *builder) nic(name string, h *fabric.Host, sn *fabric.Subnet, ip string) *fabric.NIC {
	n := &fabric.NIC{ID: rgID + "microsoft.network/networkinterfaces/" + name, Name: name, Host: h}
	c := &fabric.IPConfig{ID: n.ID + "/ipconfigurations/ipconfig1", Name: "ipconfig1", NIC: n, Subnet: sn, PrivateIP: netip.MustParseAddr(ip), Primary: true}
	n.IPConfigs = []*fabric.IPConfig{c}
	if h != nil {
		h.NICs = append(h.NICs, n)
	}
	b.s.NICs[n.ID] = n
	return n
}

func ipc(h *fabric.Host) *fabric.IPConfig { return h.PrimaryIPConfig() }
func nicOf(h *fabric.Host) *fabric.NIC    { return h.NICs[0] }

// rule builds a user rule; addresses and ports may list several values
// separated by commas.
func rule(name string, prio int, dir fabric.Direction, access string, proto fabric.Protocol, src, dst, dport string) *fabric.SecurityRule {
	return &fabric.SecurityRule{
		Name: name, Priority: prio, Direction: dir, Access: access, Protocol: proto,
		SourcePrefixes: strings.Split(src, ","), DestinationPrefixes: strings.Split(dst, ","),
		SourcePorts: []string{"*"}, DestinationPorts: strings.Split(dport, ","),
	}
}

func defaultRules() []*fabric.SecurityRule {
	d := func(name string, prio int, dir fabric.Direction, access, src, dst string) *fabric.SecurityRule {
		r := rule(name, prio, dir, access, fabric.ProtoAny, src, dst, "*")
		r.Default = true
		return r
	}
	return []*fabric.SecurityRule{
		d("AllowVnetInBound", 65000, fabric.Inbound, "Allow", "VirtualNetwork", "VirtualNetwork"),
		d("AllowAzureLoadBalancerInBound", 65001, fabric.Inbound, "Allow", "AzureLoadBalancer", "*"),
		d("DenyAllInBound", 65500, fabric.Inbound, "Deny", "*", "*"),
		d("AllowVnetOutBound", 65000, fabric.Outbound, "Allow", "VirtualNetwork", "VirtualNetwork"),
		d("AllowInternetOutBound", 65001, fabric.Outbound, "Allow", "*", "Internet"),
		d("DenyAllOutBound", 65500, fabric.Outbound, "Deny", "*", "*"),
	}
}

// nsg builds an NSG with the user rules (sorted by direction and
// priority, as the snapshot keeps them) followed by the default rules.
func (b *builder) nsg(name string, rules ...*fabric.SecurityRule) *fabric.NSG {
	g := &fabric.NSG{ID: rgID + "microsoft.network/networksecuritygroups/" + name, Name: name}
	user := slices.Clone(rules)
	slices.SortStableFunc(user, func(x, y *fabric.SecurityRule) int {
		return cmp.Or(cmp.Compare(x.Direction, y.Direction), cmp.Compare(x.Priority, y.Priority))
	})
	for _, r := range user {
		r.ID = g.ID + "/securityrules/" + strings.ToLower(r.Name)
	}
	for _, r := range defaultRules() {
		r.ID = g.ID + "/defaultsecurityrules/" + strings.ToLower(r.Name)
		user = append(user, r)
	}
	g.Rules = user
	b.s.NSGs[g.ID] = g
	return g
}

func (b *builder) routeTable(name string, routes ...*fabric.Route) *fabric.RouteTable {
	rt := &fabric.RouteTable{ID: rgID + "microsoft.network/routetables/" + name, Name: name, Routes: routes}
	for _, r := range routes {
		r.ID = rt.ID + "/routes/" + r.Name
	}
	b.s.RouteTables[rt.ID] = rt
	return rt
}

func udr(name, prefix, hopType, hopIP string) *fabric.Route {
	r := &fabric.Route{Name: name, NextHopType: hopType}
	if strings.Contains(prefix, "/") {
		r.Prefix = netip.MustParsePrefix(prefix)
	} else {
		r.Tag = prefix
	}
	if hopIP != "" {
		r.NextHopIP = netip.MustParseAddr(hopIP)
	}
	return r
}

func (b *builder) publicIP(name, addr, sku string, c *fabric.IPConfig) *fabric.PublicIP {
	p := &fabric.PublicIP{ID: rgID + "microsoft.network/publicipaddresses/" + name, Name: name, Addr: netip.MustParseAddr(addr), SKU: sku, IPConfig: c}
	if c != nil {
		c.PublicIP = p
	}
	b.s.PublicIPs[p.ID] = p
	return p
}

func (b *builder) snapshot() *fabric.Snapshot {
	b.s.Reindex()
	return b.s
}
