package path

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

// hubAndSpoke builds a hub (10.0.0.0/16, the appliance at 10.0.0.4 with IP
// forwarding) and spokes-1 spokes (10.1.0.0/24, 10.1.1.0/24, ...), each
// peered with the hub (forwarded traffic allowed), each with perVNet VMs,
// a shared spoke NSG and a shared route table sending 10.0.0.0/8 to the
// appliance.
func hubAndSpoke(vnets, perVNet int) (*fabric.Snapshot, []*fabric.Host) {
	b := newBuilder()
	hub := b.vnet("hub", "10.0.0.0/16")
	hubSub := b.subnet(hub, "default", "10.0.0.0/24")
	var hosts []*fabric.Host
	nva := b.vm("nva", hubSub, "10.0.0.4")
	nicOf(nva).IPForwarding = true
	for i := 1; i < perVNet; i++ {
		hosts = append(hosts, b.vm(fmt.Sprintf("hub-vm%d", i), hubSub, fmt.Sprintf("10.0.0.%d", 4+i)))
	}
	nsg := b.nsg("spoke-nsg",
		rule("allow-web", 100, fabric.Inbound, "Allow", fabric.TCP, "VirtualNetwork", "*", "80,443"),
		rule("deny-telnet", 110, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "23"),
		rule("deny-smb-out", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "Internet", "445"))
	rt := b.routeTable("spokes", udr("to-nva", "10.0.0.0/8", "VirtualAppliance", "10.0.0.4"))
	for i := 1; i < vnets; i++ {
		third, second := (i-1)%256, 1+(i-1)/256
		spoke := b.vnet(fmt.Sprintf("spoke%d", i), fmt.Sprintf("10.%d.%d.0/24", second, third))
		sn := b.subnet(spoke, "default", fmt.Sprintf("10.%d.%d.0/24", second, third))
		sn.NSG, sn.RouteTable = nsg, rt
		b.peer(hub, spoke, true)
		for j := range perVNet {
			hosts = append(hosts, b.vm(fmt.Sprintf("spoke%d-vm%d", i, j), sn, fmt.Sprintf("10.%d.%d.%d", second, third, 4+j)))
		}
	}
	return b.snapshot(), hosts
}

func randomQueries(hosts []*fabric.Host, n int) []fabric.Query {
	rng := rand.New(rand.NewPCG(1, 2))
	qs := make([]fabric.Query, n)
	for i := range qs {
		src, dst := hosts[rng.IntN(len(hosts))], hosts[rng.IntN(len(hosts))]
		qs[i] = fabric.Query{Source: src.ID, Dest: ipc(dst).PrivateIP, Protocol: fabric.TCP, Port: 80}
	}
	return qs
}

func TestHubSpokeTopology(t *testing.T) {
	s, hosts := hubAndSpoke(20, 4)
	if len(s.VNets) != 20 || len(s.NICs) != 80 {
		t.Fatalf("%d VNets, %d NICs", len(s.VNets), len(s.NICs))
	}
	spoke1, spoke2 := hosts[3], hosts[len(hosts)-1]
	v := Evaluate(s, fabric.Query{Source: spoke1.ID, Dest: ipc(spoke2).PrivateIP, Protocol: fabric.TCP, Port: 80})
	checkVerdict(t, v, want{outcome: fabric.Delivered, target: "127.0.0.1:18080",
		hops: []string{"Source", "VirtualNetwork", "VirtualNetwork", "VirtualAppliance", "VirtualNetwork", "Destination"}})
	v = Evaluate(s, fabric.Query{Source: spoke1.ID, Dest: ipc(spoke2).PrivateIP, Protocol: fabric.TCP, Port: 23})
	checkVerdict(t, v, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule", "NoListener"}, reasons: []string{"rule deny-telnet"}})
	for _, q := range randomQueries(hosts, 200) {
		if v := Evaluate(s, q); v.Outcome != fabric.Delivered {
			t.Errorf("%s -> %s: %s %s", q.Source, q.Dest, v.Outcome, blocksString(v.Blocks))
		}
	}
}

// BenchmarkEvaluateHubSpoke measures Evaluate between random VMs of a
// hub-and-spoke of 1,000 VNets and 10,000 NICs (spoke to spoke goes
// through the hub's appliance). It reports the median latency as p50-ns.
func BenchmarkEvaluateHubSpoke(b *testing.B) {
	s, hosts := hubAndSpoke(1000, 10)
	if len(s.VNets) != 1000 || len(s.NICs) != 10000 {
		b.Fatalf("%d VNets, %d NICs", len(s.VNets), len(s.NICs))
	}
	qs := randomQueries(hosts, 4096)
	for _, q := range qs[:64] {
		if v := Evaluate(s, q); v.Outcome != fabric.Delivered {
			b.Fatalf("%s -> %s: %s %s", q.Source, q.Dest, v.Outcome, blocksString(v.Blocks))
		}
	}
	var lat []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		t0 := time.Now()
		v := Evaluate(s, q)
		lat = append(lat, time.Since(t0))
		if v.Outcome == "" {
			b.Fatal("empty outcome")
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
