package path_test

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// Hybrid scenarios built from stored-record shapes through fabric.Build,
// so that the hybrid extension (build_site.go) computes connection status
// and learned routes exactly as the daemon does.

const gwRG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"

func nid(typ, name string) string { return gwRG + "Microsoft.Network/" + typ + "/" + name }

type recs struct{ list []*arm.Record }

func (r *recs) add(id, typ string, props any) {
	b, err := json.Marshal(props)
	if err != nil {
		panic(err)
	}
	name := id[strings.LastIndexByte(id, '/')+1:]
	r.list = append(r.list, &arm.Record{Resource: arm.Resource{ID: id, Name: name, Type: typ, Location: "eastus", Properties: b},
		State: arm.StateSucceeded})
}

type m = map[string]any

// internal sets the internal state of the last record added.
func (r *recs) internal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	r.list[len(r.list)-1].Internal = b
}

func (r *recs) vnet(name string, prefixes ...string) {
	r.add(nid("virtualNetworks", name), "Microsoft.Network/virtualNetworks", m{"addressSpace": m{"addressPrefixes": prefixes}})
}

func (r *recs) subnet(vnet, name, prefix string, rt string) {
	p := m{"addressPrefix": prefix}
	if rt != "" {
		p["routeTable"] = m{"id": nid("routeTables", rt)}
	}
	r.add(nid("virtualNetworks", vnet)+"/subnets/"+name, "Microsoft.Network/virtualNetworks/subnets", p)
}

func (r *recs) vm(name, vnet, subnet, ip string, nsg string) {
	nic := nid("networkInterfaces", name+"-nic")
	p := m{"ipConfigurations": []m{{"id": nic + "/ipConfigurations/ipconfig1", "name": "ipconfig1",
		"properties": m{"privateIPAddress": ip, "primary": true, "subnet": m{"id": nid("virtualNetworks", vnet) + "/subnets/" + subnet}}}}}
	if nsg != "" {
		p["networkSecurityGroup"] = m{"id": nid("networkSecurityGroups", nsg)}
	}
	r.add(nic, "Microsoft.Network/networkInterfaces", p)
	r.add(gwRG+"Microsoft.Compute/virtualMachines/"+name, "Microsoft.Compute/virtualMachines",
		m{"networkProfile": m{"networkInterfaces": []m{{"id": nic, "properties": m{"primary": true}}}}})
	r.add(gwRG+"Microsoft.Compute/virtualMachines/"+name+"/providers/Privlink.Fabric/listeners/tcp-80", "Privlink.Fabric/listeners",
		m{"protocol": "Tcp", "port": 80, "target": "127.0.0.1:18080"})
}

func (r *recs) peering(from, to string, transit, remoteGW bool) {
	r.add(nid("virtualNetworks", from)+"/virtualNetworkPeerings/"+from+"-to-"+to, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
		m{"remoteVirtualNetwork": m{"id": nid("virtualNetworks", to)}, "peeringState": "Connected", "allowVirtualNetworkAccess": true,
			"allowGatewayTransit": transit, "useRemoteGateways": remoteGW})
}

// vpn adds a VPN gateway in vnet (public IP gwIP), a local network gateway
// naming lngIP with prefixes, and a connection with key.
func (r *recs) vpn(vnet, gwIP, lngIP, key string, lngPrefixes ...string) {
	r.add(nid("publicIPAddresses", "gw-pip"), "Microsoft.Network/publicIPAddresses",
		m{"ipAddress": gwIP, "publicIPAllocationMethod": "Static"})
	r.add(nid("virtualNetworkGateways", "gw"), "Microsoft.Network/virtualNetworkGateways", m{
		"gatewayType": "Vpn", "vpnType": "RouteBased",
		"ipConfigurations": []m{{"name": "ipconfig", "properties": m{
			"publicIPAddress": m{"id": nid("publicIPAddresses", "gw-pip")},
			"subnet":          m{"id": nid("virtualNetworks", vnet) + "/subnets/GatewaySubnet"}}}},
	})
	r.add(nid("localNetworkGateways", "lng"), "Microsoft.Network/localNetworkGateways",
		m{"gatewayIpAddress": lngIP, "localNetworkAddressSpace": m{"addressPrefixes": lngPrefixes}})
	r.add(nid("connections", "conn"), "Microsoft.Network/connections", m{
		"connectionType":         "IPsec",
		"virtualNetworkGateway1": m{"id": nid("virtualNetworkGateways", "gw")},
		"localNetworkGateway2":   m{"id": nid("localNetworkGateways", "lng")},
	})
	r.internal(m{"sharedKey": key}) // the gateway provider keeps the key there
}

func siteID(name string) string { return gwRG + "Privlink.OnPrem/sites/" + name }

func (r *recs) site(name, edge string, prefixes []string, devices []m, er []m) {
	r.add(siteID(name), "Privlink.OnPrem/sites", m{"addressPrefixes": prefixes, "edgePublicIpAddress": edge,
		"dnsServer": m{"privateIpAddress": "192.168.0.4"}, "vpnDevices": devices, "expressRoute": er})
}

func (r *recs) siteHost(site, name, ip string) string {
	id := siteID(site) + "/hosts/" + name
	r.add(id, "Privlink.OnPrem/sites/hosts", m{"privateIpAddress": ip, "powerState": "running"})
	r.add(id+"/providers/Privlink.Fabric/listeners/tcp-22", "Privlink.Fabric/listeners",
		m{"protocol": "Tcp", "port": 22, "target": "127.0.0.1:10022"})
	return strings.ToLower(id)
}

func (r *recs) build(t *testing.T) *fabric.Snapshot {
	t.Helper()
	s, err := fabric.Build(1, r.list)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return s
}

const (
	gwIP   = "52.160.0.10"
	edgeIP = "198.51.100.1"
)

func device(ip, key string) m {
	return m{"name": "edge1", "remoteGatewayIpAddress": ip, "sharedKey": key}
}

// hub: hub VNet 10.1.0.0/16 with a VM at 10.1.1.4 listening on 80, a
// gateway, and a site 192.168.0.0/16 with host 192.168.1.10.
func hub(dev m, lngIP, key string, extra func(r *recs)) (*recs, string) {
	r := &recs{}
	r.vnet("hub", "10.1.0.0/16")
	r.subnet("hub", "GatewaySubnet", "10.1.255.0/27", "")
	r.subnet("hub", "apps", "10.1.1.0/24", "")
	r.vm("app", "hub", "apps", "10.1.1.4", "")
	r.vpn("hub", gwIP, lngIP, key, "192.168.0.0/16")
	var devs []m
	if dev != nil {
		devs = []m{dev}
	}
	r.site("corp", edgeIP, []string{"192.168.0.0/16"}, devs, nil)
	h := r.siteHost("corp", "laptop", "192.168.1.10")
	if extra != nil {
		extra(r)
	}
	return r, h
}

func vmID(name string) string {
	return strings.ToLower(gwRG + "Microsoft.Compute/virtualMachines/" + name)
}

func eval(s *fabric.Snapshot, from, to string, port int) fabric.Verdict {
	return path.Evaluate(s, fabric.Query{Source: from, Dest: netip.MustParseAddr(to), Protocol: fabric.TCP, Port: port})
}

func reasons(v fabric.Verdict) string {
	var out []string
	for _, b := range v.Blocks {
		out = append(out, b.Reason)
	}
	return strings.Join(out, " | ")
}

func TestSiteVPN(t *testing.T) {
	cases := []struct {
		name     string
		dev      m
		lngIP    string
		key      string
		extra    func(r *recs)
		status   string
		toVM     fabric.Outcome
		toVMWhy  string
		toSite   fabric.Outcome
		toSiteWh string
	}{
		{name: "up", dev: device(gwIP, "s3cret"), lngIP: edgeIP, key: "s3cret", status: fabric.ConnectionConnected,
			toVM: fabric.Delivered, toSite: fabric.Delivered},
		{name: "wrong key", dev: device(gwIP, "other"), lngIP: edgeIP, key: "s3cret", status: fabric.ConnectionNotConnected,
			toVM: fabric.NetworkUnreachable, toVMWhy: "connection conn is NotConnected: the shared key of site corp's device edge1 does not match",
			toSite: fabric.NetworkUnreachable, toSiteWh: "the shared key of site corp's device edge1 does not match"},
		{name: "wrong gateway ip", dev: device("52.160.0.99", "s3cret"), lngIP: edgeIP, key: "s3cret", status: fabric.ConnectionNotConnected,
			toVM: fabric.NetworkUnreachable, toVMWhy: "the site's device names gateway IP 52.160.0.99 but gateway gw has 52.160.0.10",
			toSite: fabric.NetworkUnreachable, toSiteWh: "the site's device names gateway IP 52.160.0.99 but gateway gw has 52.160.0.10"},
		{name: "no device", lngIP: edgeIP, key: "s3cret", status: fabric.ConnectionNotConnected,
			toVM: fabric.NetworkUnreachable, toVMWhy: "site corp has no VPN device",
			toSite: fabric.NetworkUnreachable, toSiteWh: "site corp has no VPN device"},
		{name: "local gateway names another address", dev: device(gwIP, "s3cret"), lngIP: "198.51.100.77", key: "s3cret",
			status: fabric.ConnectionNotConnected,
			toVM:   fabric.NetworkUnreachable, toVMWhy: "no connection of the gateway has a local network gateway naming the site's edge address 198.51.100.1",
			toSite: fabric.NetworkUnreachable, toSiteWh: "local network gateway lng names 198.51.100.77, which is no on-premises site's edge address"},
		{name: "nsg denies the site", dev: device(gwIP, "s3cret"), lngIP: edgeIP, key: "s3cret", status: fabric.ConnectionConnected,
			extra: func(r *recs) {
				r.add(nid("networkSecurityGroups", "apps-nsg"), "Microsoft.Network/networkSecurityGroups", m{})
				r.add(nid("networkSecurityGroups", "apps-nsg")+"/securityRules/deny-vnet", "Microsoft.Network/networkSecurityGroups/securityRules",
					m{"priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "*", "sourceAddressPrefix": "VirtualNetwork",
						"destinationAddressPrefix": "*", "sourcePortRange": "*", "destinationPortRange": "*"})
				r.vm("app2", "hub", "apps", "10.1.1.5", "apps-nsg")
			},
			toVM: fabric.Delivered, toSite: fabric.Delivered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, host := hub(c.dev, c.lngIP, c.key, c.extra)
			s := r.build(t)
			conn := s.Connections[strings.ToLower(nid("connections", "conn"))]
			if conn == nil || conn.Status != c.status {
				t.Fatalf("connection = %+v, want status %s", conn, c.status)
			}
			v := eval(s, host, "10.1.1.4", 80)
			if v.Outcome != c.toVM || !strings.Contains(reasons(v), c.toVMWhy) {
				t.Errorf("site -> vm: %s %q, want %s containing %q", v.Outcome, reasons(v), c.toVM, c.toVMWhy)
			}
			if v.Outcome == fabric.Delivered && v.TranslatedSource != netip.MustParseAddr("192.168.1.10") {
				t.Errorf("translated source %s", v.TranslatedSource)
			}
			w := eval(s, vmID("app"), "192.168.1.10", 22)
			if w.Outcome != c.toSite || !strings.Contains(reasons(w), c.toSiteWh) {
				t.Errorf("vm -> site: %s %q, want %s containing %q", w.Outcome, reasons(w), c.toSite, c.toSiteWh)
			}
			if c.extra != nil {
				// The VirtualNetwork tag includes the connected site's prefixes.
				x := eval(s, host, "10.1.1.5", 80)
				if x.Outcome != fabric.DeniedByNSG || !strings.Contains(reasons(x), "deny-vnet") {
					t.Errorf("site -> app2: %s %q, want DeniedByNSG by deny-vnet", x.Outcome, reasons(x))
				}
			}
		})
	}
}

func TestSiteInternetAndRoutes(t *testing.T) {
	r, host := hub(device(gwIP, "k"), edgeIP, "k", func(r *recs) {
		r.add(nid("publicIPAddresses", "web-pip"), "Microsoft.Network/publicIPAddresses", m{"ipAddress": "52.160.0.20"})
	})
	s := r.build(t)
	v := eval(s, host, fabric.InternetHostIP.String(), 443)
	// The internet vantage of fabric.Build listens on nothing: Refused
	// means the flow reached it.
	if v.Outcome != fabric.Refused || v.TranslatedSource != netip.MustParseAddr(edgeIP) {
		t.Errorf("site -> internet: %s from %s (%s), want Refused at the vantage, from the edge", v.Outcome, v.TranslatedSource, reasons(v))
	}
	w := eval(s, fabric.InternetHostID, edgeIP, 22)
	if w.Outcome != fabric.HostUnreachable || !strings.Contains(reasons(w), "is the edge of on-premises site corp: sites accept no inbound connections") {
		t.Errorf("internet -> site edge: %s (%s)", w.Outcome, reasons(w))
	}
	w = eval(s, fabric.InternetHostID, "192.168.1.10", 22)
	if w.Outcome != fabric.NetworkUnreachable {
		t.Errorf("internet -> site host: %s", w.Outcome)
	}
	app := s.Hosts[vmID("app")].PrimaryIPConfig()
	var gw []path.EffectiveRoute
	for _, e := range path.EffectiveRoutes(s, app) {
		if e.Source == path.SourceVirtualNetworkGateway {
			gw = append(gw, e)
		}
		// The gateway route overrides the default None route of the
		// same prefix.
		if e.Source == path.SourceDefault && e.AddressPrefix[0] == "192.168.0.0/16" && e.State != path.StateInvalid {
			t.Errorf("default route %+v is not Invalid", e)
		}
	}
	if len(gw) != 1 || gw[0].AddressPrefix[0] != "192.168.0.0/16" || gw[0].NextHopType != "VirtualNetworkGateway" {
		t.Errorf("gateway routes %+v", gw)
	}
	if nh := path.NextHop(s, app, netip.MustParseAddr("192.168.1.10")); nh.NextHopType != "VirtualNetworkGateway" {
		t.Errorf("next hop %+v", nh)
	}
}

func TestHubAndSpoke(t *testing.T) {
	spoke := func(transit, remote bool, disableBGP bool) func(r *recs) {
		return func(r *recs) {
			r.vnet("spoke", "10.2.0.0/16")
			rt := ""
			if disableBGP {
				rt = "spoke-rt"
				r.add(nid("routeTables", rt), "Microsoft.Network/routeTables", m{"disableBgpRoutePropagation": true})
			}
			r.subnet("spoke", "apps", "10.2.1.0/24", rt)
			r.vm("sp", "spoke", "apps", "10.2.1.4", "")
			r.peering("hub", "spoke", transit, false)
			r.peering("spoke", "hub", false, remote)
		}
	}
	cases := []struct {
		name                     string
		transit, remote, noBGP   bool
		toSpoke, fromSpoke       fabric.Outcome
		toSpokeWhy, fromSpokeWhy string
	}{
		{name: "transit", transit: true, remote: true, toSpoke: fabric.Delivered, fromSpoke: fabric.Delivered},
		{name: "no remote gateways", transit: true, toSpoke: fabric.NetworkUnreachable, fromSpoke: fabric.NetworkUnreachable,
			toSpokeWhy: "peering spoke-to-hub does not use remote gateways", fromSpokeWhy: "peering spoke-to-hub does not use remote gateways"},
		{name: "no gateway transit", remote: true, toSpoke: fabric.NetworkUnreachable, fromSpoke: fabric.NetworkUnreachable,
			toSpokeWhy: "peering hub-to-spoke does not allow gateway transit", fromSpokeWhy: "does not allow gateway transit"},
		{name: "bgp propagation disabled", transit: true, remote: true, noBGP: true,
			toSpoke: fabric.NetworkUnreachable, fromSpoke: fabric.NetworkUnreachable,
			toSpokeWhy:   "replies cannot return: subnet spoke/apps routes 192.168.1.10 by its route table spoke-rt disables gateway route propagation",
			fromSpokeWhy: "route table spoke-rt of subnet spoke/apps disables gateway route propagation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, host := hub(device(gwIP, "k"), edgeIP, "k", spoke(c.transit, c.remote, c.noBGP))
			s := r.build(t)
			v := eval(s, host, "10.2.1.4", 80)
			if v.Outcome != c.toSpoke || !strings.Contains(reasons(v), c.toSpokeWhy) {
				t.Errorf("site -> spoke: %s %q, want %s containing %q", v.Outcome, reasons(v), c.toSpoke, c.toSpokeWhy)
			}
			w := eval(s, vmID("sp"), "192.168.1.10", 22)
			if w.Outcome != c.fromSpoke || !strings.Contains(reasons(w), c.fromSpokeWhy) {
				t.Errorf("spoke -> site: %s %q, want %s containing %q", w.Outcome, reasons(w), c.fromSpoke, c.fromSpokeWhy)
			}
		})
	}
}

func TestOverlap(t *testing.T) {
	r := &recs{}
	r.vnet("hub", "10.1.0.0/16")
	r.subnet("hub", "GatewaySubnet", "10.1.255.0/27", "")
	r.subnet("hub", "apps", "10.1.1.0/24", "")
	r.vm("app", "hub", "apps", "10.1.1.4", "")
	r.vpn("hub", gwIP, edgeIP, "k", "172.16.0.0/16")
	r.site("corp", edgeIP, []string{"172.16.0.0/16", "10.1.128.0/24"}, []m{device(gwIP, "k")}, nil)
	host := r.siteHost("corp", "laptop", "172.16.0.10")
	s := r.build(t)
	v := eval(s, host, "10.1.1.4", 80)
	if v.Outcome != fabric.NetworkUnreachable || !strings.Contains(reasons(v), "site prefix 10.1.128.0/24 overlaps VNet hub's address space 10.1.0.0/16") {
		t.Errorf("overlap: %s %q", v.Outcome, reasons(v))
	}
}

func TestExpressRoute(t *testing.T) {
	const key = "0a1b2c3d-0000-4000-8000-000000000001"
	build := func(t *testing.T, providerState string, private, entry bool) (*fabric.Snapshot, string) {
		r := &recs{}
		r.vnet("hub", "10.1.0.0/16")
		r.subnet("hub", "GatewaySubnet", "10.1.255.0/27", "")
		r.subnet("hub", "apps", "10.1.1.0/24", "")
		r.vm("app", "hub", "apps", "10.1.1.4", "")
		r.add(nid("publicIPAddresses", "er-pip"), "Microsoft.Network/publicIPAddresses", m{"ipAddress": "52.160.0.30"})
		r.add(nid("virtualNetworkGateways", "ergw"), "Microsoft.Network/virtualNetworkGateways", m{
			"gatewayType": "ExpressRoute",
			"ipConfigurations": []m{{"name": "ipconfig", "properties": m{
				"publicIPAddress": m{"id": nid("publicIPAddresses", "er-pip")},
				"subnet":          m{"id": nid("virtualNetworks", "hub") + "/subnets/GatewaySubnet"}}}},
		})
		var peerings []m
		if private {
			peerings = []m{{"name": "AzurePrivatePeering", "properties": m{"peeringType": "AzurePrivatePeering"}}}
		}
		r.add(nid("expressRouteCircuits", "er"), "Microsoft.Network/expressRouteCircuits",
			m{"serviceKey": key, "peerings": peerings})
		r.internal(m{"serviceProviderProvisioningState": providerState})
		r.add(nid("connections", "erconn"), "Microsoft.Network/connections", m{"connectionType": "ExpressRoute",
			"virtualNetworkGateway1": m{"id": nid("virtualNetworkGateways", "ergw")}, "peer": m{"id": nid("expressRouteCircuits", "er")}})
		var er []m
		if entry {
			er = []m{{"circuitServiceKey": key, "provisioned": providerState == "Provisioned"}}
		}
		r.site("corp", edgeIP, []string{"192.168.0.0/16"}, nil, er)
		h := r.siteHost("corp", "laptop", "192.168.1.10")
		return r.build(t), h
	}
	cases := []struct {
		name    string
		state   string
		private bool
		entry   bool
		out     fabric.Outcome
		why     string
	}{
		{"provisioned", "Provisioned", true, true, fabric.Delivered, ""},
		{"not provisioned", "NotProvisioned", true, true, fabric.NetworkUnreachable, "circuit er is NotProvisioned"},
		{"no private peering", "Provisioned", false, true, fabric.NetworkUnreachable, "no private peering on circuit er"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, host := build(t, c.state, c.private, c.entry)
			ci := s.Circuits[strings.ToLower(nid("expressRouteCircuits", "er"))]
			if ci == nil || ci.Site == nil || ci.Provisioned != (c.state == "Provisioned") {
				t.Fatalf("circuit %+v", ci)
			}
			v := eval(s, host, "10.1.1.4", 80)
			if v.Outcome != c.out || !strings.Contains(reasons(v), c.why) {
				t.Errorf("site -> vm: %s %q, want %s containing %q", v.Outcome, reasons(v), c.out, c.why)
			}
			w := eval(s, vmID("app"), "192.168.1.10", 22)
			if w.Outcome != c.out || !strings.Contains(reasons(w), c.why) {
				t.Errorf("vm -> site: %s %q, want %s containing %q", w.Outcome, reasons(w), c.out, c.why)
			}
		})
	}
}

func TestSiteNotConnected(t *testing.T) {
	r := &recs{}
	r.vnet("hub", "10.1.0.0/16")
	r.subnet("hub", "apps", "10.1.1.0/24", "")
	r.vm("app", "hub", "apps", "10.1.1.4", "")
	r.site("corp", edgeIP, []string{"192.168.0.0/16"}, nil, nil)
	host := r.siteHost("corp", "laptop", "192.168.1.10")
	s := r.build(t)
	v := eval(s, host, "10.1.1.4", 80)
	if v.Outcome != fabric.NetworkUnreachable ||
		reasons(v) != "no route to 10.1.1.4 from site corp: no VPN connection or ExpressRoute circuit connects the site to VNet hub (10.1.0.0/16)" {
		t.Errorf("site -> vm: %s %q", v.Outcome, reasons(v))
	}
	// The VNet side keeps Azure's None next hop.
	app := s.Hosts[vmID("app")].PrimaryIPConfig()
	if nh := path.NextHop(s, app, netip.MustParseAddr("192.168.1.10")); nh.NextHopType != "None" {
		t.Errorf("next hop %+v", nh)
	}
	// A private address no VNet has stays a plain None drop.
	if w := eval(s, host, "10.200.0.1", 80); w.Outcome != fabric.NetworkUnreachable || !strings.Contains(reasons(w), "None") {
		t.Errorf("site -> nowhere: %s %q", w.Outcome, reasons(w))
	}
	// The site's own hosts are reached directly.
	r.siteHost("corp", "nas", "192.168.1.11")
	s = r.build(t)
	if x := eval(s, host, "192.168.1.11", 22); x.Outcome != fabric.Delivered {
		t.Errorf("site -> site host: %s %q", x.Outcome, reasons(x))
	}
}

func TestUserRouteBeatsGatewayRoute(t *testing.T) {
	r, _ := hub(device(gwIP, "k"), edgeIP, "k", func(r *recs) {
		r.add(nid("routeTables", "rt"), "Microsoft.Network/routeTables", m{})
		r.add(nid("routeTables", "rt")+"/routes/blackhole", "Microsoft.Network/routeTables/routes",
			m{"addressPrefix": "192.168.0.0/16", "nextHopType": "None"})
		r.subnet("hub", "apps", "10.1.1.0/24", "rt") // replaces the subnet without route table
	})
	s := r.build(t)
	app := s.Hosts[vmID("app")].PrimaryIPConfig()
	if app.Subnet.RouteTable == nil {
		t.Fatal("route table not applied")
	}
	if nh := path.NextHop(s, app, netip.MustParseAddr("192.168.1.10")); nh.NextHopType != "None" || nh.RouteTableID == path.SystemRouteTableID {
		t.Errorf("next hop %+v, want the user route", nh)
	}
	for _, e := range path.EffectiveRoutes(s, app) {
		if e.Source == path.SourceVirtualNetworkGateway && e.State != path.StateInvalid {
			t.Errorf("gateway route %+v is not Invalid under the user route", e)
		}
	}
	v := eval(s, vmID("app"), "192.168.1.10", 22)
	if v.Outcome != fabric.NetworkUnreachable || !strings.Contains(reasons(v), "route blackhole") {
		t.Errorf("vm -> site: %s %q", v.Outcome, reasons(v))
	}
}
