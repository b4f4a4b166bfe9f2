package fabric

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
)

// largeTopology returns the stored records of 1,000 virtual networks
// (each peered both ways with the first), 10,000 network interfaces with
// their virtual machines and a listener each, 1,000 public IPs, 100 NSGs
// of 5 rules, 100 route tables of 3 routes and 100 private DNS zones of 20
// A records, each linked to 10 networks.
func largeTopology(tb testing.TB) []*arm.Record {
	tb.Helper()
	var recs []*arm.Record
	add := func(id, typ string, props any) *arm.Record {
		b, err := json.Marshal(props)
		if err != nil {
			tb.Fatal(err)
		}
		r := &arm.Record{Resource: arm.Resource{ID: id, Name: id[lastSlash(id)+1:], Type: typ, Location: "westus2", Properties: b},
			State: arm.StateSucceeded, Generation: 1}
		recs = append(recs, r)
		return r
	}
	const vnets, nicsPerVNet, groups = 1000, 10, 100
	for g := range groups {
		nsg := netPath("networkSecurityGroups", fmt.Sprintf("nsg%d", g))
		add(nsg, typeNSG, network.SecurityGroupProperties{})
		for r := range 5 {
			add(fmt.Sprintf("%s/securityRules/r%d", nsg, r), typeSecurityRule, network.SecurityRuleProperties{
				Protocol: "Tcp", SourcePortRange: "*", DestinationPortRanges: []string{"443", "8000-8999"},
				SourceAddressPrefixes: []string{"10.0.0.0/8", "192.168.0.0/16"}, DestinationAddressPrefix: "VirtualNetwork",
				Access: "Allow", Priority: int64(100 + r*10), Direction: "Inbound"})
		}
		rt := netPath("routeTables", fmt.Sprintf("rt%d", g))
		add(rt, typeRouteTable, network.RouteTableProperties{})
		for r := range 3 {
			add(fmt.Sprintf("%s/routes/r%d", rt, r), typeRoute, network.RouteProperties{
				AddressPrefix: fmt.Sprintf("172.%d.0.0/16", 16+r), NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.0.4"})
		}
		zone := netPath("privateDnsZones", fmt.Sprintf("z%d.example.com", g))
		add(zone, typeZone, privatedns.ZoneProperties{})
		for r := range 20 {
			add(fmt.Sprintf("%s/A/host%d", zone, r), "Microsoft.Network/privateDnsZones/A", privatedns.RecordSetProperties{
				TTL: 10, ARecords: []privatedns.ARecord{{IPv4Address: fmt.Sprintf("10.200.%d.%d", g, r)}}})
		}
	}
	hub := netPath("virtualNetworks", "v0")
	for i := range vnets {
		vid := netPath("virtualNetworks", fmt.Sprintf("v%d", i))
		cidr := fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
		add(vid, typeVNet, network.VirtualNetworkProperties{AddressSpace: network.AddressSpace{AddressPrefixes: []string{cidr}}})
		sid := vid + "/subnets/default"
		add(sid, typeSubnet, network.SubnetProperties{AddressPrefix: cidr,
			NetworkSecurityGroup: &network.SubResource{ID: netPath("networkSecurityGroups", fmt.Sprintf("nsg%d", i%groups))},
			RouteTable:           &network.SubResource{ID: netPath("routeTables", fmt.Sprintf("rt%d", i%groups))}})
		if i > 0 {
			add(vid+"/virtualNetworkPeerings/to-hub", typePeering, network.PeeringProperties{AllowVirtualNetworkAccess: true,
				RemoteVirtualNetwork: &network.SubResource{ID: hub}, PeeringState: "Connected",
				RemoteAddressSpace: &network.AddressSpace{AddressPrefixes: []string{"10.0.0.0/24"}}})
			add(fmt.Sprintf("%s/virtualNetworkPeerings/to-v%d", hub, i), typePeering, network.PeeringProperties{AllowVirtualNetworkAccess: true,
				RemoteVirtualNetwork: &network.SubResource{ID: vid}, PeeringState: "Connected",
				RemoteAddressSpace: &network.AddressSpace{AddressPrefixes: []string{cidr}}})
		}
		zone := netPath("privateDnsZones", fmt.Sprintf("z%d.example.com", i%groups))
		add(fmt.Sprintf("%s/virtualNetworkLinks/l%d", zone, i), typeZoneLink, map[string]any{
			"virtualNetwork": map[string]any{"id": vid}, "registrationEnabled": false})
		for n := range nicsPerVNet {
			name := fmt.Sprintf("n%d-%d", i, n)
			nid := netPath("networkInterfaces", name)
			cfg := network.InterfaceIPConfiguration{Name: "ipconfig1", ID: nid + "/ipConfigurations/ipconfig1",
				Properties: network.InterfaceIPConfigurationProperties{Primary: true, PrivateIPAllocationMethod: "Dynamic",
					PrivateIPAddressVersion: "IPv4", PrivateIPAddress: fmt.Sprintf("10.%d.%d.%d", i/256, i%256, 4+n),
					Subnet: &network.SubResource{ID: sid}}}
			if n == 0 {
				pid := netPath("publicIPAddresses", "p"+name)
				add(pid, typePublicIP, network.PublicIPAddressProperties{PublicIPAddressVersion: "IPv4", PublicIPAllocationMethod: "Static",
					IPAddress:   fmt.Sprintf("52.160.%d.%d", i/250, i%250+1),
					DNSSettings: &network.PublicIPDNSSettings{DomainNameLabel: "p" + name, Fqdn: "p" + name + ".westus2.cloudapp.azure.com"}})
				cfg.Properties.PublicIPAddress = &network.SubResource{ID: pid}
			}
			add(nid, typeNIC, network.NetworkInterfaceProperties{IPConfigurations: []network.InterfaceIPConfiguration{cfg}})
			vm := add(vmPath("vm"+name), typeVM, map[string]any{
				"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nid, "properties": map[string]any{"primary": true}}}},
				"osProfile":      map[string]any{"computerName": "vm" + name}})
			vm.Internal = json.RawMessage(`{"powerState":"PowerState/running"}`)
			add(vmPath("vm"+name)+"/providers/Privlink.Fabric/listeners/web", TypeListener,
				map[string]any{"protocol": "Tcp", "port": 443, "target": "127.0.0.1:8443"})
		}
	}
	return recs
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkBuild decodes and links the large topology (Build), reporting
// the heap the resulting snapshot holds.
func BenchmarkBuild(b *testing.B) {
	recs := largeTopology(b)
	before := heapInUse()
	s, err := Build(1, recs)
	if err != nil {
		b.Fatal(err)
	}
	after := heapInUse()
	checkLarge(b, s)
	runtime.KeepAlive(s)
	for b.Loop() {
		if _, err := Build(1, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(recs)), "records")
	b.ReportMetric(float64(after-before)/(1<<20), "snapshot-MB")
}

// BenchmarkRebuild is the Watcher's work per change: linking the decoded
// records it keeps into a new snapshot. It reports the heap of the decoded
// records and of one snapshot built from them.
func BenchmarkRebuild(b *testing.B) {
	recs := largeTopology(b)
	before := heapInUse()
	var nodes []*node
	for _, r := range recs {
		n, err := decodeRecord(r)
		if err != nil {
			b.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	mid := heapInUse()
	s := buildNodes(1, slices.Values(nodes), len(nodes))
	after := heapInUse()
	checkLarge(b, s)
	runtime.KeepAlive(s)
	for b.Loop() {
		buildNodes(1, slices.Values(nodes), len(nodes))
	}
	runtime.KeepAlive(recs)
	b.ReportMetric(float64(mid-before)/(1<<20), "decoded-MB")
	b.ReportMetric(float64(after-mid)/(1<<20), "snapshot-MB")
}

func checkLarge(tb testing.TB, s *Snapshot) {
	tb.Helper()
	if len(s.VNets) != 1000 || len(s.NICs) != 10000 || len(s.Hosts) != 10002 || len(s.PublicIPs) != 1000 ||
		len(s.Peerings) != 1998 || len(s.PublicRecords) != 1000 || len(s.PublicIPIndex) != 1000 {
		tb.Fatalf("large topology: %d vnets %d nics %d hosts %d pips %d peerings", len(s.VNets), len(s.NICs), len(s.Hosts), len(s.PublicIPs), len(s.Peerings))
	}
	h := s.Hosts[lower(vmPath("vmn999-9"))]
	if h == nil || h.Ports["tcp/443"] != "127.0.0.1:8443" || h.PrimaryIPConfig() == nil || h.PrimaryIPConfig().Subnet == nil ||
		len(h.PrimaryIPConfig().Subnet.NSG.Rules) != 11 || len(s.VNets[lower(netPath("virtualNetworks", "v0"))].Peerings) != 999 {
		tb.Fatalf("large topology host: %+v", h)
	}
}
