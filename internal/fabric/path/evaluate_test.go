package path

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/privlink/privlink/internal/fabric"
)

// world is the common topology of the Evaluate tests: VNet a (10.0.0.0/16:
// default 10.0.0.0/24 with vm1 10.0.0.4 and vm2 10.0.0.5, other
// 10.0.1.0/24 with vm3 10.0.1.4), VNet b (10.1.0.0/16, vmb 10.1.0.4) and
// VNet c (10.2.0.0/16, vmc 10.2.0.4), unpeered.
type world struct {
	b                        *builder
	a, vb, c                 *fabric.VNet
	aDef, aOther, bDef, cDef *fabric.Subnet
	vm1, vm2, vm3, vmb, vmc  *fabric.Host
}

func newWorld() *world {
	w := &world{b: newBuilder()}
	b := w.b
	w.a = b.vnet("a", "10.0.0.0/16")
	w.vb = b.vnet("b", "10.1.0.0/16")
	w.c = b.vnet("c", "10.2.0.0/16")
	w.aDef = b.subnet(w.a, "default", "10.0.0.0/24")
	w.aOther = b.subnet(w.a, "other", "10.0.1.0/24")
	w.bDef = b.subnet(w.vb, "default", "10.1.0.0/24")
	w.cDef = b.subnet(w.c, "default", "10.2.0.0/24")
	w.vm1 = b.vm("vm1", w.aDef, "10.0.0.4")
	w.vm2 = b.vm("vm2", w.aDef, "10.0.0.5")
	w.vm3 = b.vm("vm3", w.aOther, "10.0.1.4")
	w.vmb = b.vm("vmb", w.bDef, "10.1.0.4")
	w.vmc = b.vm("vmc", w.cDef, "10.2.0.4")
	return w
}

// podIP adds a secondary IP configuration to h's first NIC (Azure CNI's
// pod addresses).
func podIP(h *fabric.Host, ip string) {
	n := nicOf(h)
	n.IPConfigs = append(n.IPConfigs, &fabric.IPConfig{ID: n.ID + "/ipconfigurations/pod-" + ip, Name: "pod-" + ip,
		NIC: n, Subnet: n.IPConfigs[0].Subnet, PrivateIP: netip.MustParseAddr(ip)})
}

func tcp(src *fabric.Host, dest string, port int) fabric.Query {
	return fabric.Query{Source: src.ID, Dest: netip.MustParseAddr(dest), Protocol: fabric.TCP, Port: port}
}

func fromInternet(dest string, port int) fabric.Query {
	return fabric.Query{Source: fabric.InternetHostID, Dest: netip.MustParseAddr(dest), Protocol: fabric.TCP, Port: port}
}

type want struct {
	outcome fabric.Outcome
	// kinds of the blocks, in order; reasons: a substring of each block's
	// reason ("" to skip).
	kinds   []string
	reasons []string
	hops    []string
	target  string
	// translated source ("" to skip; ending in "." to match a prefix).
	translated string
}

func hubSpoke(w *world, spoke2Forwarded, ipForwarding bool) (nva *fabric.Host) {
	b := w.b
	// a is the hub; b and c are spokes sending 10.0.0.0/8 to the NVA.
	nvaSubnet := b.subnet(w.a, "nva", "10.0.2.0/24")
	nva = b.vm("nva", nvaSubnet, "10.0.2.4")
	nicOf(nva).IPForwarding = ipForwarding
	b.peering(w.a, w.vb, "Connected", true, true)
	b.peering(w.vb, w.a, "Connected", true, true)
	b.peering(w.a, w.c, "Connected", true, true)
	b.peering(w.c, w.a, "Connected", true, spoke2Forwarded)
	rt := b.routeTable("spokes", udr("to-nva", "10.0.0.0/8", "VirtualAppliance", "10.0.2.4"))
	w.bDef.RouteTable = rt
	w.cDef.RouteTable = rt
	return nva
}

func TestEvaluate(t *testing.T) {
	sameVNet := []string{"Source", "VirtualNetwork", "Destination"}
	peered := []string{"Source", "VirtualNetwork", "VirtualNetwork", "Destination"}
	viaNVA := []string{"Source", "VirtualNetwork", "VirtualNetwork", "VirtualAppliance", "VirtualNetwork", "Destination"}
	fromNet := []string{"Source", "Internet", "PublicIP", "Destination"}
	tests := []struct {
		name  string
		setup func(w *world) fabric.Query
		want  want
	}{
		{"same subnet", func(w *world) fabric.Query { return tcp(w.vm1, "10.0.0.5", 80) },
			want{outcome: fabric.Delivered, hops: sameVNet, target: "127.0.0.1:18080", translated: "10.0.0.4"}},
		{"same VNet other subnet", func(w *world) fabric.Query { return tcp(w.vm1, "10.0.1.4", 80) },
			want{outcome: fabric.Delivered, hops: sameVNet, target: "127.0.0.1:18080"}},
		{"peered connected", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, false)
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.Delivered, hops: peered, target: "127.0.0.1:18080", translated: "10.0.0.4"}},
		{"peering initiated (one side only)", func(w *world) fabric.Query {
			w.b.peering(w.a, w.vb, "Initiated", true, false)
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Peering"},
			reasons: []string{"peering a-to-b is Initiated, not Connected: no route to 10.1.0.4 from subnet a/default, only the system route 10.0.0.0/8 → None matches"},
			hops:    []string{"Source", "VirtualNetwork"}}},
		{"transitive A-B-C", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, true)
			w.b.peer(w.vb, w.c, true)
			return tcp(w.vm1, "10.2.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"},
			reasons: []string{"no route to 10.2.0.4 from subnet a/default: only the system route 10.0.0.0/8 → None matches (VNets are not peered, or peering is not transitive)"}}},
		{"allowVirtualNetworkAccess false", func(w *world) fabric.Query {
			w.b.peering(w.a, w.vb, "Connected", false, false)
			w.b.peering(w.vb, w.a, "Connected", true, false)
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Peering"},
			reasons: []string{"peering a-to-b: allowVirtualNetworkAccess is false"}, hops: peered}},
		{"NSG outbound deny at NIC", func(w *world) fabric.Query {
			nicOf(w.vm1).NSG = w.b.nsg("nic-nsg", rule("deny-80", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "10.0.0.5", "80"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG nic-nsg rule deny-80 (priority 100) on NIC vm1-nic denies Outbound Tcp from 10.0.0.4 to 10.0.0.5:80"}}},
		{"NSG outbound deny at subnet", func(w *world) fabric.Query {
			w.aDef.NSG = w.b.nsg("sub-nsg", rule("deny-out", 200, fabric.Outbound, "Deny", fabric.ProtoAny, "10.0.0.4", "10.0.1.0/24", "*"))
			return tcp(w.vm1, "10.0.1.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG sub-nsg rule deny-out (priority 200) on subnet default denies Outbound Tcp from 10.0.0.4 to 10.0.1.4:80"}}},
		{"NSG inbound deny at subnet", func(w *world) fabric.Query {
			w.aOther.NSG = w.b.nsg("other-nsg", rule("deny-in", 300, fabric.Inbound, "Deny", fabric.TCP, "10.0.0.0/24", "*", "80-90"))
			return tcp(w.vm1, "10.0.1.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG other-nsg rule deny-in (priority 300) on subnet other denies Inbound Tcp from 10.0.0.4 to 10.0.1.4:80"}}},
		{"NSG inbound deny at NIC", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny-in", 100, fabric.Inbound, "Deny", fabric.TCP, "VirtualNetwork", "*", "80"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG vm2-nsg rule deny-in (priority 100) on NIC vm2-nic denies Inbound Tcp from 10.0.0.4 to 10.0.0.5:80"}}},
		{"rule for another port does not match", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny-in", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "81-90,443"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"rule for Udp does not match Tcp", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny-udp", 100, fabric.Inbound, "Deny", fabric.UDP, "*", "*", "*"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"two NSG denies and a peering block all listed", func(w *world) fabric.Query {
			w.b.peering(w.a, w.vb, "Connected", false, false)
			w.b.peering(w.vb, w.a, "Connected", true, false)
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("no-b", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "10.1.0.0/16", "*"))
			w.bDef.NSG = w.b.nsg("b-nsg", rule("no-a", 100, fabric.Inbound, "Deny", fabric.TCP, "10.0.0.0/16", "*", "*"))
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"NetworkSecurityRule", "Peering", "NetworkSecurityRule"},
			reasons: []string{"NSG vm1-nsg rule no-b (priority 100) on NIC vm1-nic denies Outbound", "peering a-to-b: allowVirtualNetworkAccess is false",
				"NSG b-nsg rule no-a (priority 100) on subnet default denies Inbound Tcp from 10.0.0.4 to 10.1.0.4:80"}, hops: peered}},
		{"outbound and inbound deny both listed", func(w *world) fabric.Query {
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("deny-out", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "*", "80"))
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny-in", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "80"))
			w.aDef.NSG = w.b.nsg("sub-nsg", rule("deny-all-in", 4096, fabric.Inbound, "Deny", fabric.ProtoAny, "*", "*", "*"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule", "NetworkSecurityRule", "NetworkSecurityRule"},
			reasons: []string{"vm1-nsg rule deny-out", "sub-nsg rule deny-all-in (priority 4096) on subnet default denies Inbound", "vm2-nsg rule deny-in"}}},
		{"priority: allow 100 before deny 200", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg",
				rule("deny-all", 200, fabric.Inbound, "Deny", fabric.ProtoAny, "*", "*", "*"),
				rule("allow-80", 100, fabric.Inbound, "Allow", fabric.TCP, "*", "*", "80"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"priority: deny 100 before allow 200", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg",
				rule("deny-all", 100, fabric.Inbound, "Deny", fabric.ProtoAny, "*", "*", "*"),
				rule("allow-80", 200, fabric.Inbound, "Allow", fabric.TCP, "*", "*", "80"))
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}, reasons: []string{"rule deny-all (priority 100)"}}},
		{"default DenyAllInBound for traffic from the Internet", func(w *world) fabric.Query {
			w.b.publicIP("vm1-pip", "52.160.0.4", "Standard", ipc(w.vm1))
			w.aDef.NSG = w.b.nsg("sub-nsg")
			return fromInternet("52.160.0.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG sub-nsg rule DenyAllInBound (priority 65500) on subnet default denies Inbound Tcp from 203.0.113.10 to 10.0.0.4:80"},
			hops:    fromNet, translated: "203.0.113.10"}},
		{"Internet tag allows the internet vantage", func(w *world) fabric.Query {
			w.b.publicIP("vm1-pip", "52.160.0.4", "Standard", ipc(w.vm1))
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("web", 100, fabric.Inbound, "Allow", fabric.TCP, "Internet", "*", "80"))
			return fromInternet("52.160.0.4", 80)
		}, want{outcome: fabric.Delivered, hops: fromNet, target: "127.0.0.1:18080", translated: "203.0.113.10"}},
		{"Internet tag does not match a VNet source", func(w *world) fabric.Query {
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("no-internet", 100, fabric.Inbound, "Deny", fabric.ProtoAny, "Internet", "*", "*"))
			return tcp(w.vm2, "10.0.0.4", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"VirtualNetwork tag includes peered prefixes", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, false)
			w.bDef.NSG = w.b.nsg("b-nsg") // defaults only: AllowVnetInBound
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"VirtualNetwork tag excludes a peer that disallows access", func(w *world) fabric.Query {
			w.b.peering(w.a, w.vb, "Connected", true, false)
			w.b.peering(w.vb, w.a, "Connected", false, false)
			w.bDef.NSG = w.b.nsg("b-nsg")
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}, reasons: []string{"rule DenyAllInBound (priority 65500)"}}},
		{"UDR to None", func(w *world) fabric.Query {
			w.aDef.RouteTable = w.b.routeTable("rt", udr("drop-other", "10.0.1.0/24", "None", ""))
			return tcp(w.vm1, "10.0.1.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"},
			reasons: []string{"route table rt route drop-other (10.0.1.0/24 → None) drops traffic to 10.0.1.4 from subnet a/default"}}},
		{"UDR through an IP-forwarding appliance", func(w *world) fabric.Query {
			hubSpoke(w, true, true)
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.Delivered, hops: viaNVA, target: "127.0.0.1:18080", translated: "10.1.0.4"}},
		{"appliance without IP forwarding", func(w *world) fabric.Query {
			hubSpoke(w, true, false)
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"VirtualAppliance"},
			reasons: []string{"virtual appliance VM nva (next hop 10.0.2.4 of route table spokes route to-nva (10.0.0.0/8 → VirtualAppliance 10.0.2.4)): NIC nva-nic has IP forwarding disabled"},
			hops:    viaNVA}},
		{"stopped appliance", func(w *world) fabric.Query {
			nva := hubSpoke(w, true, true)
			nva.Running, nva.PowerState = false, "PowerState/deallocated"
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"HostStopped"},
			reasons: []string{"virtual appliance VM nva (next hop 10.0.2.4 of route table spokes route to-nva (10.0.0.0/8 → VirtualAppliance 10.0.2.4)) is stopped (PowerState/deallocated)"}}},
		{"appliance address owned by nobody", func(w *world) fabric.Query {
			hubSpoke(w, true, true)
			w.bDef.RouteTable = w.b.routeTable("bad", udr("to-nowhere", "10.2.0.0/16", "VirtualAppliance", "10.0.2.99"))
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"VirtualAppliance"},
			reasons: []string{"no network interface has the next hop address 10.0.2.99 of route table bad route to-nowhere"}}},
		{"forwarded traffic needs allowForwardedTraffic", func(w *world) fabric.Query {
			hubSpoke(w, false, true)
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Peering"},
			reasons: []string{"peering c-to-a: allowForwardedTraffic is false"}, hops: viaNVA}},
		{"appliance NSG applies to forwarded traffic", func(w *world) fabric.Query {
			nva := hubSpoke(w, true, true)
			nicOf(nva).NSG = w.b.nsg("nva-nsg", rule("no-fwd", 100, fabric.Outbound, "Deny", fabric.TCP, "10.1.0.0/16", "10.2.0.0/16", "*"))
			return tcp(w.vmb, "10.2.0.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG nva-nsg rule no-fwd (priority 100) on NIC nva-nic denies Outbound Tcp from 10.1.0.4 to 10.2.0.4:80"}}},
		{"routing loop between appliances", func(w *world) fabric.Query {
			b := w.b
			s1, s2 := b.subnet(w.a, "fw1", "10.0.3.0/24"), b.subnet(w.a, "fw2", "10.0.4.0/24")
			f1, f2 := b.vm("fw1", s1, "10.0.3.4"), b.vm("fw2", s2, "10.0.4.4")
			nicOf(f1).IPForwarding, nicOf(f2).IPForwarding = true, true
			s1.RouteTable = b.routeTable("rt1", udr("to-fw2", "10.1.0.0/16", "VirtualAppliance", "10.0.4.4"))
			s2.RouteTable = b.routeTable("rt2", udr("to-fw1", "10.1.0.0/16", "VirtualAppliance", "10.0.3.4"))
			w.aDef.RouteTable = s2.RouteTable
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"routing loop"}}},
		{"UDR longest prefix beats peering route", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, false)
			w.aDef.RouteTable = w.b.routeTable("rt", udr("drop-b0", "10.1.0.0/24", "None", ""))
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"route drop-b0 (10.1.0.0/24 → None)"}}},
		{"UDR wins a tie with the system route", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, false)
			w.aDef.RouteTable = w.b.routeTable("rt", udr("drop-b", "10.1.0.0/16", "None", ""))
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"route drop-b (10.1.0.0/16 → None)"}}},
		{"shorter UDR loses to the peering route", func(w *world) fabric.Query {
			w.b.peer(w.a, w.vb, false)
			w.aDef.RouteTable = w.b.routeTable("rt", udr("drop-10", "10.0.0.0/8", "None", ""))
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
		{"UDR to a virtual network gateway", func(w *world) fabric.Query {
			w.aDef.RouteTable = w.b.routeTable("rt", udr("onprem", "192.168.0.0/16", "VirtualNetworkGateway", ""))
			return tcp(w.vm1, "192.168.1.1", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"VirtualNetworkGateway"}, reasons: []string{"there is no virtual network gateway"}}},
		{"private address routed to the Internet", func(w *world) fabric.Query {
			w.aDef.RouteTable = w.b.routeTable("rt", udr("b-internet", "10.1.0.0/16", "Internet", ""))
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"private address 10.1.0.4 routed to the Internet by route table rt route b-internet"}}},
		{"internet vantage to Standard public IP without NSG", func(w *world) fabric.Query {
			w.b.publicIP("vm1-pip", "52.160.0.4", "Standard", ipc(w.vm1))
			return fromInternet("52.160.0.4", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"PublicIPInbound"},
			reasons: []string{"Standard SKU public IP vm1-pip (52.160.0.4) is closed to inbound traffic unless a network security group allows it"}, hops: fromNet}},
		{"internet vantage to Basic public IP without NSG", func(w *world) fabric.Query {
			w.b.publicIP("vm1-pip", "52.160.0.4", "Basic", ipc(w.vm1))
			return fromInternet("52.160.0.4", 80)
		}, want{outcome: fabric.Delivered, hops: fromNet, target: "127.0.0.1:18080"}},
		{"internet vantage to a private address", func(w *world) fabric.Query { return fromInternet("10.0.0.4", 80) },
			want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"10.0.0.4 is a private address: it is not reachable from the Internet"}}},
		{"public address nobody owns", func(w *world) fabric.Query { return fromInternet("52.160.9.9", 80) },
			want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"}, reasons: []string{"no emulated host owns 52.160.9.9"}}},
		{"VM to the internet vantage via default outbound access", func(w *world) fabric.Query {
			return tcp(w.vm1, "203.0.113.10", 443)
		}, want{outcome: fabric.Delivered, hops: []string{"Source", "VirtualNetwork", "Internet", "Destination"}, target: "127.0.0.1:10443"}},
		{"VM with a public IP egresses from it", func(w *world) fabric.Query {
			w.b.publicIP("vm1-pip", "52.160.0.4", "Standard", ipc(w.vm1))
			return tcp(w.vm1, "203.0.113.10", 443)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:10443", translated: "52.160.0.4"}},
		{"private subnet has no default outbound access", func(w *world) fabric.Query {
			w.aDef.DefaultOutboundAccess = false
			return tcp(w.vm1, "203.0.113.10", 443)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"OutboundAccess"},
			reasons: []string{"subnet a/default is private (defaultOutboundAccess is false) and NIC vm1-nic has no public IP"}}},
		{"VM to another VM's public IP is seen from the SNAT address", func(w *world) fabric.Query {
			w.b.publicIP("vm2-pip", "52.160.0.5", "Basic", ipc(w.vm2))
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg",
				rule("no-vnet", 100, fabric.Inbound, "Deny", fabric.ProtoAny, "VirtualNetwork", "*", "*"),
				rule("web", 200, fabric.Inbound, "Allow", fabric.TCP, "Internet", "*", "80"))
			return tcp(w.vm1, "52.160.0.5", 80)
		}, want{outcome: fabric.Delivered, hops: []string{"Source", "VirtualNetwork", "Internet", "PublicIP", "Destination"},
			target: "127.0.0.1:18080", translated: "52.191."}},
		{"stopped destination", func(w *world) fabric.Query {
			w.vm2.Running, w.vm2.PowerState = false, "PowerState/deallocated"
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"HostStopped"}, reasons: []string{"VM vm2 is stopped (PowerState/deallocated)"}}},
		{"NIC without a VM", func(w *world) fabric.Query {
			w.b.nic("orphan", nil, w.aDef, "10.0.0.9")
			return tcp(w.vm1, "10.0.0.9", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"}, reasons: []string{"NIC orphan (10.0.0.9) is not attached to a VM"}}},
		{"address in the VNet nobody holds", func(w *world) fabric.Query { return tcp(w.vm1, "10.0.0.99", 80) },
			want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"}, reasons: []string{"no emulated host has address 10.0.0.99 in VNet a"}}},
		{"missing listener", func(w *world) fabric.Query { return tcp(w.vm1, "10.0.0.5", 8080) },
			want{outcome: fabric.Refused, kinds: []string{"NoListener"}, reasons: []string{"nothing listens on vm2:8080; declare it with `privlink vm expose`"}}},
		{"missing listener and NSG deny both listed", func(w *world) fabric.Query {
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "8080"))
			return tcp(w.vm1, "10.0.0.5", 8080)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule", "NoListener"}}},
		{"declared port", func(w *world) fabric.Query {
			w.vm2.Ports["tcp/8080"] = "127.0.0.1:28080"
			return tcp(w.vm1, "10.0.0.5", 8080)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:28080"}},
		{"listener on a secondary address (a pod IP) answers there", func(w *world) fabric.Query {
			podIP(w.vm2, "10.0.0.50")
			w.vm2.Ports["tcp/10.0.0.50:8080"] = "127.0.0.1:38080"
			return tcp(w.vm1, "10.0.0.50", 8080)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:38080", hops: []string{"Source", "VirtualNetwork", "Destination"}}},
		{"listener on a secondary address is not on the primary", func(w *world) fabric.Query {
			podIP(w.vm2, "10.0.0.50")
			w.vm2.Ports["tcp/10.0.0.50:8080"] = "127.0.0.1:38080"
			return tcp(w.vm1, "10.0.0.5", 8080)
		}, want{outcome: fabric.Refused, kinds: []string{"NoListener"}}},
		{"address listener wins over the host's port listener", func(w *world) fabric.Query {
			podIP(w.vm2, "10.0.0.50")
			w.vm2.Ports["tcp/10.0.0.50:80"] = "127.0.0.1:38080"
			return tcp(w.vm1, "10.0.0.50", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:38080"}},
		{"pod IP still behind the node's NSG", func(w *world) fabric.Query {
			podIP(w.vm2, "10.0.0.50")
			w.vm2.Ports["tcp/10.0.0.50:8080"] = "127.0.0.1:38080"
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "8080"))
			return tcp(w.vm1, "10.0.0.50", 8080)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}}},
		{"host-local address (a ClusterIP) from the host itself", func(w *world) fabric.Query {
			w.vm2.Ports["tcp/10.250.0.10:443"] = "127.0.0.1:39443"
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", rule("deny-all", 100, fabric.Outbound, "Deny", fabric.ProtoAny, "*", "*", "*"))
			return tcp(w.vm2, "10.250.0.10", 443)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:39443", hops: []string{"Source", "HostLocal"}}},
		{"host-local address from another host is not routed", func(w *world) fabric.Query {
			w.vm2.Ports["tcp/10.250.0.10:443"] = "127.0.0.1:39443"
			return tcp(w.vm1, "10.250.0.10", 443)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}}},
		{"kubenet: the node routes its pod CIDR to its pods", func(w *world) fabric.Query {
			w.aDef.RouteTable = w.b.routeTable("aks-rt", udr("aks-node2", "10.244.1.0/24", "VirtualAppliance", "10.0.0.5"))
			nicOf(w.vm2).IPForwarding = true
			w.vm2.Ports["tcp/10.244.1.7:8080"] = "127.0.0.1:38081"
			return tcp(w.vm1, "10.244.1.7", 8080)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:38081", hops: []string{"Source", "VirtualNetwork", "VirtualAppliance", "HostLocal"}}},
		{"kubenet: a pod address the node does not hold loops back to the node", func(w *world) fabric.Query {
			w.aDef.RouteTable = w.b.routeTable("aks-rt", udr("aks-node2", "10.244.1.0/24", "VirtualAppliance", "10.0.0.5"))
			nicOf(w.vm2).IPForwarding = true
			return tcp(w.vm1, "10.244.1.8", 8080)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}}},
		{"SSH banner", func(w *world) fabric.Query { return tcp(w.vm1, "10.0.0.5", 22) },
			want{outcome: fabric.Delivered, target: "ssh-banner"}},
		{"UDP needs a declared UDP listener", func(w *world) fabric.Query {
			q := tcp(w.vm1, "10.0.0.5", 80)
			q.Protocol = fabric.UDP
			return q
		}, want{outcome: fabric.Refused, kinds: []string{"NoListener"}, reasons: []string{"nothing listens on vm2:80/udp"}}},
		{"168.63.129.16 DNS is not subject to NSGs", func(w *world) fabric.Query {
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("deny-all", 100, fabric.Outbound, "Deny", fabric.ProtoAny, "*", "*", "*"))
			q := tcp(w.vm1, "168.63.129.16", 53)
			q.Protocol = fabric.UDP
			return q
		}, want{outcome: fabric.Delivered, target: "azure-dns", hops: []string{"Source", "Destination"}}},
		{"168.63.129.16 other ports are refused", func(w *world) fabric.Query { return tcp(w.vm1, "168.63.129.16", 80) },
			want{outcome: fabric.Refused, kinds: []string{"NoListener"}}},
		{"own address", func(w *world) fabric.Query {
			nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("deny-all", 100, fabric.Outbound, "Deny", fabric.ProtoAny, "*", "*", "*"))
			return tcp(w.vm1, "10.0.0.4", 80)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080", hops: []string{"Source", "Destination"}}},
		{"stopped source", func(w *world) fabric.Query {
			w.vm1.Running, w.vm1.PowerState = false, "PowerState/stopped"
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.SourceDown, kinds: []string{"HostStopped"}, reasons: []string{"VM vm1 is stopped (PowerState/stopped)"}}},
		{"missing source", func(w *world) fabric.Query {
			return fabric.Query{Source: "nope", Dest: netip.MustParseAddr("10.0.0.5"), Protocol: fabric.TCP, Port: 80}
		}, want{outcome: fabric.SourceDown, kinds: []string{"NoHost"}}},
		{"pinned source IP configuration", func(w *world) fabric.Query {
			second := &fabric.IPConfig{ID: nicOf(w.vm1).ID + "/ipconfigurations/ipconfig2", Name: "ipconfig2", NIC: nicOf(w.vm1), Subnet: w.aDef, PrivateIP: netip.MustParseAddr("10.0.0.40")}
			nicOf(w.vm1).IPConfigs = append(nicOf(w.vm1).IPConfigs, second)
			q := tcp(w.vm1, "10.0.0.5", 80)
			q.SourceIPConfig = strings.ToUpper(second.ID)
			return q
		}, want{outcome: fabric.Delivered, translated: "10.0.0.40", target: "127.0.0.1:18080"}},
		{"ephemeral source port 49152 when none is given", func(w *world) fabric.Query {
			r := rule("from-high", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "80")
			r.SourcePorts = []string{"49152-65535"}
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", r)
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}, reasons: []string{"rule from-high"}}},
		{"explicit source port outside the rule's range", func(w *world) fabric.Query {
			r := rule("from-high", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "*", "80")
			r.SourcePorts = []string{"49152-65535"}
			nicOf(w.vm2).NSG = w.b.nsg("vm2-nsg", r)
			q := tcp(w.vm1, "10.0.0.5", 80)
			q.SourcePort = 1024
			return q
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:18080"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			q := tc.setup(w)
			s := w.b.snapshot()
			v := Evaluate(s, q)
			checkVerdict(t, v, tc.want)
		})
	}
}

func checkVerdict(t *testing.T, v fabric.Verdict, w want) {
	t.Helper()
	if v.Outcome != w.outcome {
		t.Errorf("outcome = %s, want %s; blocks: %s", v.Outcome, w.outcome, blocksString(v.Blocks))
	}
	var kinds []string
	for _, b := range v.Blocks {
		kinds = append(kinds, b.Kind)
	}
	if strings.Join(kinds, ",") != strings.Join(w.kinds, ",") {
		t.Errorf("block kinds = %v, want %v; blocks: %s", kinds, w.kinds, blocksString(v.Blocks))
	}
	for i, r := range w.reasons {
		if i < len(v.Blocks) && !strings.Contains(v.Blocks[i].Reason, r) {
			t.Errorf("block %d reason = %q, want it to contain %q", i, v.Blocks[i].Reason, r)
		}
	}
	if w.hops != nil {
		var hops []string
		for _, h := range v.Hops {
			hops = append(hops, h.Type)
		}
		if strings.Join(hops, ",") != strings.Join(w.hops, ",") {
			t.Errorf("hops = %v, want %v", hops, w.hops)
		}
	}
	// Every block sits in exactly one hop's issues, in order.
	var issues []fabric.Block
	for _, h := range v.Hops {
		issues = append(issues, h.Issues...)
	}
	if fmt.Sprint(issues) != fmt.Sprint(v.Blocks) {
		t.Errorf("hop issues %v differ from blocks %v", issues, v.Blocks)
	}
	if v.TargetAddr != w.target {
		t.Errorf("target = %q, want %q", v.TargetAddr, w.target)
	}
	if w.outcome == fabric.Delivered && w.target != "azure-dns" && v.TargetHost == nil {
		t.Errorf("delivered without a target host")
	}
	if w.outcome != fabric.Delivered && v.TargetHost != nil {
		t.Errorf("target host %s set on a %s verdict", v.TargetHost.Name, v.Outcome)
	}
	if w.translated != "" && v.TranslatedSource.String() != w.translated &&
		!(strings.HasSuffix(w.translated, ".") && strings.HasPrefix(v.TranslatedSource.String(), w.translated)) {
		t.Errorf("translated source = %s, want %s", v.TranslatedSource, w.translated)
	}
}

func blocksString(bs []fabric.Block) string {
	var sb strings.Builder
	for _, b := range bs {
		fmt.Fprintf(&sb, "\n  [%s] %s (%s)", b.Kind, b.Reason, b.ResourceID)
	}
	return sb.String()
}

// TestDefaultOutboundAddress: per-subnet, deterministic, inside the
// documented range, never .0 or .255, and what the destination sees.
func TestDefaultOutboundAddress(t *testing.T) {
	w := newWorld()
	w.b.publicIP("vm2-pip", "52.160.0.5", "Basic", ipc(w.vm2))
	s := w.b.snapshot()
	a1, a2 := DefaultOutboundAddress(w.aDef), DefaultOutboundAddress(w.aOther)
	if a1 != DefaultOutboundAddress(w.aDef) || a1 == a2 {
		t.Errorf("addresses %s %s: want deterministic and per subnet", a1, a2)
	}
	for _, a := range []netip.Addr{a1, a2} {
		if !DefaultOutboundPrefix.Contains(a) || a.As4()[3] == 0 || a.As4()[3] == 255 {
			t.Errorf("address %s outside %s or a network/broadcast address", a, DefaultOutboundPrefix)
		}
	}
	v := Evaluate(s, tcp(w.vm1, "52.160.0.5", 80))
	if v.TranslatedSource != a1 {
		t.Errorf("translated source = %s, want %s", v.TranslatedSource, a1)
	}
	v = Evaluate(s, tcp(w.vm3, "52.160.0.5", 80))
	if v.TranslatedSource != a2 {
		t.Errorf("translated source = %s, want %s", v.TranslatedSource, a2)
	}
}

// TestHopDetails checks hop resource IDs, addresses and where issues sit.
func TestHopDetails(t *testing.T) {
	w := newWorld()
	w.b.peering(w.a, w.vb, "Connected", false, false)
	w.b.peering(w.vb, w.a, "Connected", true, false)
	nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("no-b", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "10.1.0.0/16", "*"))
	s := w.b.snapshot()
	v := Evaluate(s, tcp(w.vm1, "10.1.0.4", 80))
	if len(v.Hops) != 4 {
		t.Fatalf("hops = %+v", v.Hops)
	}
	h := v.Hops
	if h[0].ResourceID != ipc(w.vm1).ID || h[0].Address != netip.MustParseAddr("10.0.0.4") || len(h[0].Issues) != 1 || h[0].Issues[0].Kind != "NetworkSecurityRule" {
		t.Errorf("source hop = %+v", h[0])
	}
	if h[0].Issues[0].ResourceID != nicOf(w.vm1).NSG.ID+"/securityrules/no-b" {
		t.Errorf("NSG block resource = %s", h[0].Issues[0].ResourceID)
	}
	if h[1].ResourceID != w.a.ID || len(h[1].Issues) != 0 {
		t.Errorf("first VNet hop = %+v", h[1])
	}
	if h[2].ResourceID != w.vb.ID || len(h[2].Issues) != 1 || h[2].Issues[0].ResourceID != w.a.Peerings[0].ID {
		t.Errorf("second VNet hop = %+v", h[2])
	}
	if h[3].ResourceID != ipc(w.vmb).ID || h[3].Address != netip.MustParseAddr("10.1.0.4") || len(h[3].Issues) != 0 {
		t.Errorf("destination hop = %+v", h[3])
	}
}

// TestEvaluateConcurrent runs Evaluate from many goroutines on one
// snapshot (with -race it proves Evaluate only reads) and checks every
// answer is the same.
func TestEvaluateConcurrent(t *testing.T) {
	w := newWorld()
	hubSpoke(w, true, true)
	s := w.b.snapshot()
	q := tcp(w.vmb, "10.2.0.4", 80)
	first := Evaluate(s, q)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				v := Evaluate(s, q)
				if fmt.Sprint(v) != fmt.Sprint(first) {
					errs <- fmt.Sprint(v)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("verdict changed: %s", e)
	}
	if first.Outcome != fabric.Delivered {
		t.Errorf("outcome = %s", first.Outcome)
	}
}

// TestEvaluateEdges covers snapshots Azure would not produce but a
// snapshot may still hold mid-change.
func TestEvaluateEdges(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world) fabric.Query
		want  want
	}{
		{"NSG without default rules denies as DenyAllInBound", func(w *world) fabric.Query {
			g := w.b.nsg("bare")
			g.Rules = nil
			nicOf(w.vm2).NSG = g
			return tcp(w.vm1, "10.0.0.5", 80)
		}, want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG bare rule DenyAllInBound (priority 65500) on NIC vm2-nic denies Inbound"}}},
		{"Connected peering without a peering back", func(w *world) fabric.Query {
			w.b.peering(w.a, w.vb, "Connected", true, false)
			return tcp(w.vm1, "10.1.0.4", 80)
		}, want{outcome: fabric.NetworkUnreachable, kinds: []string{"Peering"},
			reasons: []string{"peering a-to-b: VNet b has no Connected peering back to a"}}},
		{"appliance that is the destination", func(w *world) fabric.Query {
			nva := hubSpoke(w, true, false)
			nva.Ports["tcp/443"] = "127.0.0.1:9443"
			// The hub's 10.0.0.0/16 peering route would win over 10.0.0.0/8.
			w.bDef.RouteTable = w.b.routeTable("to-nva", udr("nva-subnet", "10.0.2.0/24", "VirtualAppliance", "10.0.2.4"))
			return tcp(w.vmb, "10.0.2.4", 443)
		}, want{outcome: fabric.Delivered, target: "127.0.0.1:9443",
			hops: []string{"Source", "VirtualNetwork", "VirtualNetwork", "VirtualAppliance", "Destination"}}},
		{"stopped internet vantage", func(w *world) fabric.Query {
			w.b.s.Hosts[fabric.InternetHostID].Running = false
			w.b.s.Hosts[fabric.InternetHostID].PowerState = "PowerState/stopped"
			return fromInternet("52.160.0.4", 80)
		}, want{outcome: fabric.SourceDown, kinds: []string{"HostStopped"}}},
		{"public IP without a NIC", func(w *world) fabric.Query {
			w.b.publicIP("spare", "52.160.0.7", "Standard", nil)
			return fromInternet("52.160.0.7", 80)
		}, want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"},
			reasons: []string{"public IP spare (52.160.0.7) is not associated with a network interface"}}},
		{"IPv6 destination from an IPv4-only VNet", func(w *world) fabric.Query { return tcp(w.vm1, "2001:db8:52::4", 80) },
			want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}, reasons: []string{"no route to 2001:db8:52::4 from subnet a/default"}}},
		{"VM without NIC", func(w *world) fabric.Query {
			h := &fabric.Host{ID: "bare-vm", Name: "bare", Kind: fabric.KindVM, Running: true}
			w.b.s.Hosts[h.ID] = h
			return fabric.Query{Source: h.ID, Dest: netip.MustParseAddr("10.0.0.5"), Port: 80}
		}, want{outcome: fabric.SourceDown, kinds: []string{"NoHost"}, reasons: []string{"VM bare has no network interface"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			q := tc.setup(w)
			checkVerdict(t, Evaluate(w.b.snapshot(), q), tc.want)
		})
	}
}
