package fabric

import (
	"encoding/json"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

func hybridRecord(t *testing.T, id, typ string, props any) *arm.Record {
	t.Helper()
	b, err := json.Marshal(props)
	if err != nil {
		t.Fatal(err)
	}
	return &arm.Record{Resource: arm.Resource{ID: id, Name: id[strings.LastIndexByte(id, '/')+1:], Type: typ, Properties: b}}
}

func TestBuildSites(t *testing.T) {
	const site = "/subscriptions/s/resourceGroups/RG/providers/Privlink.OnPrem/sites/Corp"
	recs := []*arm.Record{
		hybridRecord(t, site, typeSite, map[string]any{"addressPrefixes": []string{"192.168.0.0/16"}, "edgePublicIpAddress": "198.51.100.1",
			"dnsServer": map[string]any{"privateIpAddress": "192.168.0.4",
				"forwarders": []map[string]any{{"domain": "azmk8s.io", "targetIpAddresses": []string{"10.1.2.4"}}}},
			"vpnDevices": []map[string]any{{"name": "edge1", "remoteGatewayIpAddress": "52.160.0.10", "sharedKey": "k", "bgp": true}}}),
		hybridRecord(t, site+"/hosts/Laptop", typeSiteHost, map[string]any{"privateIpAddress": "192.168.0.5", "computerName": "lap", "powerState": "running"}),
		hybridRecord(t, site+"/hosts/off", typeSiteHost, map[string]any{"privateIpAddress": "192.168.0.6", "powerState": "stopped"}),
		hybridRecord(t, site+"/hosts/Laptop/providers/Privlink.Fabric/listeners/tcp-80", TypeListener,
			map[string]any{"protocol": "Tcp", "port": 80, "target": "127.0.0.1:18080"}),
	}
	s, err := Build(7, recs)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.ToLower(site)
	st := s.Sites[id]
	if st == nil || st.Name != "Corp" || st.EdgeIP != netip.MustParseAddr("198.51.100.1") || st.ResourceGroup != "RG" {
		t.Fatalf("site %+v", st)
	}
	if st.VNet == nil || s.VNets[id] != st.VNet || s.SiteOf(st.VNet) != st || st.VNet.Location != "" ||
		len(st.VNet.DNSServers) != 1 || st.VNet.DNSServers[0] != st.DNSServer {
		t.Errorf("site network %+v", st.VNet)
	}
	if len(st.Forwarders) != 1 || st.Forwarders[0].Domain != "azmk8s.io" || st.Forwarders[0].Targets[0] != netip.MustParseAddrPort("10.1.2.4:53") {
		t.Errorf("forwarders %+v", st.Forwarders)
	}
	if len(st.Devices) != 1 || !st.Devices[0].BGP || st.Devices[0].RemoteGatewayIP != netip.MustParseAddr("52.160.0.10") {
		t.Errorf("devices %+v", st.Devices)
	}
	h := s.Hosts[strings.ToLower(site+"/hosts/Laptop")]
	if h == nil || h.Kind != KindOnPrem || h.Site != st || !h.Running || h.ComputerName != "lap" || h.ResourceID != site+"/hosts/Laptop" ||
		len(h.DNSServers) != 1 || h.DNSServers[0] != netip.MustParseAddr("192.168.0.4") {
		t.Fatalf("host %+v", h)
	}
	if h.Ports["tcp/80"] != "127.0.0.1:18080" {
		t.Errorf("listener not attached: %v", h.Ports)
	}
	c := h.PrimaryIPConfig()
	if c == nil || c.Subnet != st.Subnet || c.PrivateIP != netip.MustParseAddr("192.168.0.5") || c.PublicIP == nil || c.PublicIP.Addr != st.EdgeIP {
		t.Errorf("ip configuration %+v", c)
	}
	if s.IPConfigAt(st.VNet, netip.MustParseAddr("192.168.0.5")) != c {
		t.Errorf("IPConfigAt misses the host")
	}
	if off := s.Hosts[strings.ToLower(site+"/hosts/off")]; off == nil || off.Running || off.PowerState != "PowerState/stopped" {
		t.Errorf("stopped host %+v", off)
	}
	if len(s.HostsByName["laptop"]) != 1 {
		t.Errorf("hosts by name %v", s.HostsByName["laptop"])
	}
	d := st.DNSHost
	if d == nil || d.Ports["udp/53"] != FabricDNSTarget || d.Ports["tcp/53"] != FabricDNSTarget || d.PrimaryIPConfig().PrivateIP != st.DNSServer {
		t.Errorf("dns host %+v", d)
	}
	if s.SiteDNSAt(netip.MustParseAddr("192.168.0.4")) != st {
		t.Errorf("SiteDNSAt")
	}
	if len(st.Hosts) != 2 {
		t.Errorf("site hosts %d", len(st.Hosts))
	}
}

// hubRecords is a VNet with a VPN gateway connected to a site.
func hubRecords(t *testing.T) []*arm.Record {
	const rg = "/subscriptions/s/resourceGroups/rg/providers/"
	net := rg + "Microsoft.Network/"
	pip := hybridRecord(t, net+"publicIPAddresses/gw-ip", typePublicIP, map[string]any{"ipAddress": "52.160.0.10"})
	conn := hybridRecord(t, net+"connections/c", typeConnection, map[string]any{"connectionType": "IPsec",
		"virtualNetworkGateway1": map[string]any{"id": net + "virtualNetworkGateways/gw"},
		"localNetworkGateway2":   map[string]any{"id": net + "localNetworkGateways/l"}})
	conn.Internal = json.RawMessage(`{"sharedKey":"k"}`)
	return []*arm.Record{
		hybridRecord(t, net+"virtualNetworks/hub", typeVNet, map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}}}),
		hybridRecord(t, net+"virtualNetworks/hub/subnets/GatewaySubnet", typeSubnet, map[string]any{"addressPrefix": "10.1.255.0/27"}),
		pip,
		hybridRecord(t, net+"virtualNetworkGateways/gw", typeGateway, map[string]any{"gatewayType": "Vpn",
			"ipConfigurations": []map[string]any{{"name": "default", "properties": map[string]any{
				"publicIPAddress": map[string]any{"id": net + "publicIPAddresses/gw-ip"},
				"subnet":          map[string]any{"id": net + "virtualNetworks/hub/subnets/GatewaySubnet"}}}}}),
		hybridRecord(t, net+"localNetworkGateways/l", typeLocalGateway, map[string]any{"gatewayIpAddress": "198.51.100.1",
			"localNetworkAddressSpace": map[string]any{"addressPrefixes": []string{"192.168.0.0/16"}}}),
		conn,
		hybridRecord(t, rg+"Privlink.OnPrem/sites/corp", typeSite, map[string]any{"addressPrefixes": []string{"192.168.0.0/16"},
			"edgePublicIpAddress": "198.51.100.1",
			"vpnDevices":          []map[string]any{{"name": "d", "remoteGatewayIpAddress": "52.160.0.10", "sharedKey": "k"}}}),
	}
}

func TestLearnedRoutesDoNotLeak(t *testing.T) {
	recs := hubRecords(t)
	s, err := Build(1, recs)
	if err != nil {
		t.Fatal(err)
	}
	hub := s.VNets["/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/hub"]
	if got := OnPremPrefixes(hub); len(got) != 1 || got[0] != netip.MustParsePrefix("192.168.0.0/16") {
		t.Fatalf("on-premises prefixes of the hub: %v", got)
	}
	site := s.Sites["/subscriptions/s/resourcegroups/rg/providers/privlink.onprem/sites/corp"]
	if rs := LearnedRoutes(site.VNet); len(rs) != 1 || rs[0].Target != hub || rs[0].Down {
		t.Fatalf("site routes %+v", rs)
	}
	for i := range 200 {
		if _, err := Build(int64(i+2), recs); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		n := 0
		learned.Range(func(any, any) bool { n++; return true })
		return n
	}
	for range 100 {
		runtime.GC()
		if count() <= 10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(); n > 10 {
		t.Errorf("%d learned route entries after 200 builds: old snapshots are kept alive", n)
	}
	runtime.KeepAlive(s)
}
