package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
	"github.com/privlink/privlink/internal/providers/network"
)

// HubSpoke is a generated hub-and-spoke topology in the form the store
// keeps it (arm.Record per resource), for the evaluator benchmark.
type HubSpoke struct {
	Records []*arm.Record
	// VMs are the resource IDs of the VMs whose traffic the queries send
	// (every VM but the appliance), with their private addresses.
	VMs []string
	IPs []netip.Addr
	// StoredBytes is the size of the records as the store holds them
	// (JSON of each arm.Record).
	StoredBytes int64
}

const hubSpokeSub = "00000000-0000-0000-0000-00000000b3c0"

func hsGroup() string { return "/subscriptions/" + hubSpokeSub + "/resourceGroups/hub-spoke" }

func hsNet(typ, name string) string {
	return hsGroup() + "/providers/Microsoft.Network/" + typ + "/" + name
}

// GenerateHubSpoke builds the records of a hub (10.0.0.0/16, subnet
// 10.0.0.0/24 holding the appliance "nva" at 10.0.0.4 with IP forwarding,
// and perVNet-1 more VMs) and vnets-1 spokes (10.1.0.0/24, 10.1.1.0/24,
// ...; perVNet VMs each), every spoke peered both ways with the hub
// (virtual network access and forwarded traffic allowed), every spoke
// subnet with the shared NSG "spoke-nsg" (allow TCP 80,443 from
// VirtualNetwork, deny telnet inbound, deny SMB to Internet outbound) and
// the shared route table "spokes" (10.0.0.0/8 to the appliance). Every VM
// runs and declares a listener on TCP 80. It is the topology of
// internal/fabric/path's BenchmarkEvaluateHubSpoke, as stored records:
// spoke to spoke traffic crosses the hub's appliance.
func GenerateHubSpoke(vnets, perVNet int) (*HubSpoke, error) {
	hs := &HubSpoke{}
	var err error
	add := func(id, typ string, props any) *arm.Record {
		b, e := json.Marshal(props)
		if e != nil && err == nil {
			err = e
		}
		r := &arm.Record{Resource: arm.Resource{ID: id, Name: id[strings.LastIndexByte(id, '/')+1:], Type: typ, Location: "westus2", Properties: b},
			State: arm.StateSucceeded, Generation: 1}
		hs.Records = append(hs.Records, r)
		return r
	}
	sub := func(id string) *network.SubResource { return &network.SubResource{ID: id} }
	vm := func(name, subnet, ip string, forwarding, record bool) {
		nid := hsNet("networkInterfaces", name+"-nic")
		add(nid, "Microsoft.Network/networkInterfaces", network.NetworkInterfaceProperties{
			EnableIPForwarding: forwarding,
			IPConfigurations: []network.InterfaceIPConfiguration{{Name: "ipconfig1", ID: nid + "/ipConfigurations/ipconfig1",
				Properties: network.InterfaceIPConfigurationProperties{Primary: true, PrivateIPAllocationMethod: "Static",
					PrivateIPAddressVersion: "IPv4", PrivateIPAddress: ip, Subnet: sub(subnet)}}},
		})
		vid := hsGroup() + "/providers/Microsoft.Compute/virtualMachines/" + name
		r := add(vid, "Microsoft.Compute/virtualMachines", map[string]any{
			"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nid, "properties": map[string]any{"primary": true}}}},
			"osProfile":      map[string]any{"computerName": name},
		})
		r.Internal = json.RawMessage(`{"powerState":"PowerState/running"}`)
		add(vid+"/providers/Privlink.Fabric/listeners/tcp-80", fabric.TypeListener,
			map[string]any{"protocol": "Tcp", "port": 80, "target": "127.0.0.1:18080"})
		if record {
			hs.VMs = append(hs.VMs, vid)
			hs.IPs = append(hs.IPs, netip.MustParseAddr(ip))
		}
	}
	hub := hsNet("virtualNetworks", "hub")
	add(hub, "Microsoft.Network/virtualNetworks", network.VirtualNetworkProperties{AddressSpace: network.AddressSpace{AddressPrefixes: []string{"10.0.0.0/16"}}})
	add(hub+"/subnets/default", "Microsoft.Network/virtualNetworks/subnets", network.SubnetProperties{AddressPrefix: "10.0.0.0/24"})
	vm("nva", hub+"/subnets/default", "10.0.0.4", true, false)
	for i := 1; i < perVNet; i++ {
		vm(fmt.Sprintf("hub-vm%d", i), hub+"/subnets/default", fmt.Sprintf("10.0.0.%d", 4+i), false, true)
	}
	nsg := hsNet("networkSecurityGroups", "spoke-nsg")
	add(nsg, "Microsoft.Network/networkSecurityGroups", network.SecurityGroupProperties{})
	for _, r := range []struct {
		name, dir, access, src, dst string
		prio                        int64
		ports                       []string
	}{
		{"allow-web", "Inbound", "Allow", "VirtualNetwork", "*", 100, []string{"80", "443"}},
		{"deny-telnet", "Inbound", "Deny", "*", "*", 110, []string{"23"}},
		{"deny-smb-out", "Outbound", "Deny", "*", "Internet", 100, []string{"445"}},
	} {
		add(nsg+"/securityRules/"+r.name, "Microsoft.Network/networkSecurityGroups/securityRules", network.SecurityRuleProperties{
			Protocol: "Tcp", SourcePortRange: "*", DestinationPortRanges: r.ports, SourceAddressPrefix: r.src,
			DestinationAddressPrefix: r.dst, Access: r.access, Priority: r.prio, Direction: r.dir})
	}
	rt := hsNet("routeTables", "spokes")
	add(rt, "Microsoft.Network/routeTables", network.RouteTableProperties{})
	add(rt+"/routes/to-nva", "Microsoft.Network/routeTables/routes", network.RouteProperties{
		AddressPrefix: "10.0.0.0/8", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.0.4"})
	for i := 1; i < vnets; i++ {
		third, second := (i-1)%256, 1+(i-1)/256
		cidr := fmt.Sprintf("10.%d.%d.0/24", second, third)
		spoke := hsNet("virtualNetworks", fmt.Sprintf("spoke%d", i))
		add(spoke, "Microsoft.Network/virtualNetworks", network.VirtualNetworkProperties{AddressSpace: network.AddressSpace{AddressPrefixes: []string{cidr}}})
		sn := spoke + "/subnets/default"
		add(sn, "Microsoft.Network/virtualNetworks/subnets", network.SubnetProperties{AddressPrefix: cidr, NetworkSecurityGroup: sub(nsg), RouteTable: sub(rt)})
		add(spoke+"/virtualNetworkPeerings/to-hub", "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", network.PeeringProperties{
			AllowVirtualNetworkAccess: true, AllowForwardedTraffic: true, RemoteVirtualNetwork: sub(hub), PeeringState: "Connected",
			RemoteAddressSpace: &network.AddressSpace{AddressPrefixes: []string{"10.0.0.0/16"}}})
		add(fmt.Sprintf("%s/virtualNetworkPeerings/to-spoke%d", hub, i), "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", network.PeeringProperties{
			AllowVirtualNetworkAccess: true, AllowForwardedTraffic: true, RemoteVirtualNetwork: sub(spoke), PeeringState: "Connected",
			RemoteAddressSpace: &network.AddressSpace{AddressPrefixes: []string{cidr}}})
		for j := range perVNet {
			vm(fmt.Sprintf("spoke%d-vm%d", i, j), sn, fmt.Sprintf("10.%d.%d.%d", second, third, 4+j), false, true)
		}
	}
	if err != nil {
		return nil, err
	}
	for _, r := range hs.Records {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		hs.StoredBytes += int64(len(b))
	}
	return hs, nil
}

// Queries returns n TCP/80 queries between random VMs of the topology
// (fixed seed).
func (hs *HubSpoke) Queries(n int) []fabric.Query {
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]fabric.Query, n)
	for i := range qs {
		src, dst := rng.IntN(len(hs.VMs)), rng.IntN(len(hs.VMs))
		qs[i] = fabric.Query{Source: strings.ToLower(hs.VMs[src]), Dest: hs.IPs[dst], Protocol: fabric.TCP, Port: 80}
	}
	return qs
}

// CheckDelivered evaluates qs and fails unless every one is Delivered to
// the declared listener.
func CheckDelivered(s *fabric.Snapshot, qs []fabric.Query) error {
	for _, q := range qs {
		v := path.Evaluate(s, q)
		if v.Outcome != fabric.Delivered || v.TargetAddr != "127.0.0.1:18080" {
			var why []string
			for _, b := range v.Blocks {
				why = append(why, b.Reason)
			}
			return fmt.Errorf("%s -> %s: %s %s (%s)", q.Source, q.Dest, v.Outcome, v.TargetAddr, strings.Join(why, "; "))
		}
	}
	return nil
}

// EvaluateAll times path.Evaluate for each query, one after another.
func EvaluateAll(s *fabric.Snapshot, qs []fabric.Query) Result {
	lat := make([]time.Duration, len(qs))
	t0 := time.Now()
	for i, q := range qs {
		t := time.Now()
		v := path.Evaluate(s, q)
		lat[i] = time.Since(t)
		if v.Outcome == "" {
			panic("bench: empty verdict")
		}
	}
	el := time.Since(t0)
	slices.Sort(lat)
	return Result{Ops: len(qs), Elapsed: el, Latencies: lat}
}

// HeapInUse is the live heap after two garbage collections.
func HeapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BuildMeasured builds the snapshot from the records and returns it with
// the time Build took and the heap it holds (live heap after minus
// before, the records staying alive throughout).
func (hs *HubSpoke) BuildMeasured() (*fabric.Snapshot, time.Duration, uint64, error) {
	before := HeapInUse()
	t0 := time.Now()
	s, err := fabric.Build(1, hs.Records)
	el := time.Since(t0)
	if err != nil {
		return nil, 0, 0, err
	}
	after := HeapInUse()
	runtime.KeepAlive(hs.Records)
	var held uint64
	if after > before {
		held = after - before
	}
	return s, el, held, nil
}
