package path

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/fabric"
)

func routeLine(r EffectiveRoute) string {
	return strings.Join([]string{r.Source, r.State, strings.Join(r.AddressPrefix, " "), r.NextHopType, strings.Join(r.NextHopIPAddress, " "), r.Name}, "|")
}

func TestEffectiveRoutes(t *testing.T) {
	w := newWorld()
	w.b.peer(w.a, w.vb, false)
	w.b.peering(w.a, w.c, "Initiated", true, false) // not Connected: no route
	rt := w.b.routeTable("rt",
		udr("default", "0.0.0.0/0", "VirtualAppliance", "10.0.0.10"),
		udr("drop-b", "10.1.0.0/16", "None", ""),
		udr("to-storage", "Storage", "Internet", ""))
	rt.DisableBGPRoutePropagation = true
	w.aDef.RouteTable = rt
	s := w.b.snapshot()

	got := EffectiveRoutes(s, ipc(w.vm1))
	var lines []string
	for _, r := range got {
		lines = append(lines, routeLine(r))
		if !r.DisableBGPRoutePropagation {
			t.Errorf("%s: disableBgpRoutePropagation = false", routeLine(r))
		}
	}
	want := []string{
		"Default|Active|10.0.0.0/16|VnetLocal||",
		"Default|Invalid|10.1.0.0/16|VNetPeering||",
		"Default|Invalid|0.0.0.0/0|Internet||",
		"Default|Active|10.0.0.0/8|None||",
		"Default|Active|172.16.0.0/12|None||",
		"Default|Active|192.168.0.0/16|None||",
		"Default|Active|100.64.0.0/10|None||",
		"User|Active|0.0.0.0/0|VirtualAppliance|10.0.0.10|default",
		"User|Active|10.1.0.0/16|None||drop-b",
		"User|Active|Storage|Internet||to-storage",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("effective routes:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[7].RouteID != rt.Routes[0].ID || got[7].RouteTableID != rt.ID || got[0].RouteID != "" {
		t.Errorf("route IDs: %+v / %+v", got[7], got[0])
	}

	// Azure's JSON shape.
	js, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"disableBgpRoutePropagation":true,"source":"Default","state":"Active","addressPrefix":["10.0.0.0/16"],"nextHopIpAddress":[],"nextHopType":"VnetLocal"}` {
		t.Errorf("system route JSON = %s", js)
	}
	js, _ = json.Marshal(got[7])
	if string(js) != `{"name":"default","disableBgpRoutePropagation":true,"source":"User","state":"Active","addressPrefix":["0.0.0.0/0"],"nextHopIpAddress":["10.0.0.10"],"nextHopType":"VirtualAppliance"}` {
		t.Errorf("user route JSON = %s", js)
	}

	// A VNet whose space is exactly 10.0.0.0/8 has no None route for it.
	b := newBuilder()
	big := b.vnet("big", "10.0.0.0/8")
	h := b.vm("vm", b.subnet(big, "default", "10.0.0.0/24"), "10.0.0.4")
	s = b.snapshot()
	for _, r := range EffectiveRoutes(s, ipc(h)) {
		if r.AddressPrefix[0] == "10.0.0.0/8" && r.NextHopType != HopVnetLocal {
			t.Errorf("unexpected route %s", routeLine(r))
		}
	}
	if EffectiveRoutes(s, nil) != nil {
		t.Errorf("routes of a nil IP configuration")
	}
}

func TestNextHop(t *testing.T) {
	w := newWorld()
	w.b.peer(w.a, w.vb, false)
	rt := w.b.routeTable("rt",
		udr("default", "0.0.0.0/0", "VirtualAppliance", "10.0.0.10"),
		udr("drop-b", "10.1.0.0/16", "None", ""))
	w.aDef.RouteTable = rt
	s := w.b.snapshot()
	tests := []struct {
		from *fabric.Host
		dest string
		want NextHopResult
	}{
		{w.vm1, "10.0.1.4", NextHopResult{NextHopType: "VnetLocal", RouteTableID: "System Route"}},
		{w.vm1, "8.8.8.8", NextHopResult{NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.0.10", RouteTableID: rt.ID}},
		{w.vm1, "10.1.0.4", NextHopResult{NextHopType: "None", RouteTableID: rt.ID}},
		{w.vm3, "10.1.0.4", NextHopResult{NextHopType: "VNetPeering", RouteTableID: "System Route"}},
		{w.vm3, "10.2.0.4", NextHopResult{NextHopType: "None", RouteTableID: "System Route"}},
		{w.vm3, "52.160.0.4", NextHopResult{NextHopType: "Internet", RouteTableID: "System Route"}},
		{w.vm3, "2001:db8::1", NextHopResult{NextHopType: "None", RouteTableID: "System Route"}},
	}
	for _, tc := range tests {
		got := NextHop(s, ipc(tc.from), netip.MustParseAddr(tc.dest))
		if got != tc.want {
			t.Errorf("NextHop(%s, %s) = %+v, want %+v", tc.from.Name, tc.dest, got, tc.want)
		}
	}
	js, _ := json.Marshal(NextHop(s, ipc(w.vm1), netip.MustParseAddr("8.8.8.8")))
	if string(js) != `{"nextHopType":"VirtualAppliance","nextHopIpAddress":"10.0.0.10","routeTableId":"`+rt.ID+`"}` {
		t.Errorf("JSON = %s", js)
	}
}

func TestIPFlowVerify(t *testing.T) {
	w := newWorld()
	w.b.peer(w.a, w.vb, false)
	w.aDef.NSG = w.b.nsg("sub-nsg",
		rule("allow-ssh", 100, fabric.Inbound, "Allow", fabric.TCP, "*", "*", "22"),
		rule("deny-web-out", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "Internet", "80"))
	nicOf(w.vm1).NSG = w.b.nsg("nic-nsg",
		rule("deny-ssh-from-b", 100, fabric.Inbound, "Deny", fabric.TCP, "10.1.0.0/16", "*", "22"))
	s := w.b.snapshot()
	ap := netip.MustParseAddrPort
	c := ipc(w.vm1)
	tests := []struct {
		name          string
		ipc           *fabric.IPConfig
		dir           fabric.Direction
		proto         fabric.Protocol
		local, remote string
		access, rule  string
	}{
		{"inbound allowed by subnet user rule then NIC default rule", c, fabric.Inbound, fabric.TCP, "10.0.0.4:22", "10.0.1.4:50000", "Allow", "defaultSecurityRules/AllowVnetInBound"},
		{"inbound denied by the NIC", c, fabric.Inbound, fabric.TCP, "10.0.0.4:22", "10.1.0.4:50000", "Deny", "securityRules/deny-ssh-from-b"},
		{"inbound from the Internet hits the subnet's default deny first", c, fabric.Inbound, fabric.TCP, "10.0.0.4:80", "198.51.100.1:50000", "Deny", "defaultSecurityRules/DenyAllInBound"},
		{"inbound ssh from the Internet passes the subnet, NIC default denies", c, fabric.Inbound, fabric.TCP, "10.0.0.4:22", "198.51.100.1:50000", "Deny", "defaultSecurityRules/DenyAllInBound"},
		// 168.63.129.16 is in the VirtualNetwork tag too, whose rule comes first.
		{"inbound from the platform address", c, fabric.Inbound, fabric.TCP, "10.0.0.4:80", "168.63.129.16:50000", "Allow", "defaultSecurityRules/AllowVnetInBound"},
		{"outbound denied by the subnet", c, fabric.Outbound, fabric.TCP, "10.0.0.4:50000", "121.10.1.1:80", "Deny", "securityRules/deny-web-out"},
		{"outbound https allowed", c, fabric.Outbound, fabric.TCP, "10.0.0.4:50000", "121.10.1.1:443", "Allow", "defaultSecurityRules/AllowInternetOutBound"},
		{"outbound udp 80 allowed", c, fabric.Outbound, fabric.UDP, "10.0.0.4:50000", "121.10.1.1:80", "Allow", "defaultSecurityRules/AllowInternetOutBound"},
		{"no NSG at all", ipc(w.vmb), fabric.Inbound, fabric.TCP, "10.1.0.4:80", "198.51.100.1:1", "Allow", ""},
	}
	for _, tc := range tests {
		access, r := IPFlowVerify(s, tc.ipc, tc.dir, tc.proto, ap(tc.local), ap(tc.remote))
		if access != tc.access || r != tc.rule {
			t.Errorf("%s: got %s %s, want %s %s", tc.name, access, r, tc.access, tc.rule)
		}
	}
}

func TestEffectiveSecurityGroups(t *testing.T) {
	w := newWorld()
	w.b.peer(w.a, w.vb, false)
	w.aDef.RouteTable = w.b.routeTable("rt", udr("onprem", "192.168.0.0/16", "VirtualAppliance", "10.0.0.10"))
	w.aDef.NSG = w.b.nsg("sub-nsg",
		rule("https", 100, fabric.Inbound, "Allow", fabric.TCP, "Internet,10.9.0.0/16", "*", "443"),
		rule("range", 110, fabric.Inbound, "Allow", fabric.UDP, "10.5.0.4", "VirtualNetwork", "1000-2000,3000"))
	nicOf(w.vm1).NSG = w.b.nsg("nic-nsg")
	s := w.b.snapshot()

	got := EffectiveSecurityGroups(s, nicOf(w.vm1))
	if len(got) != 2 {
		t.Fatalf("%d groups, want 2", len(got))
	}
	if got[0].NetworkSecurityGroup.ID != nicOf(w.vm1).NSG.ID || got[0].Association.NetworkInterface == nil ||
		got[0].Association.NetworkInterface.ID != nicOf(w.vm1).ID || got[0].Association.Subnet != nil {
		t.Errorf("NIC association = %+v", got[0])
	}
	if got[1].NetworkSecurityGroup.ID != w.aDef.NSG.ID || got[1].Association.Subnet == nil || got[1].Association.Subnet.ID != w.aDef.ID {
		t.Errorf("subnet association = %+v", got[1])
	}
	rules := map[string]EffectiveSecurityRule{}
	var names []string
	for _, r := range got[1].EffectiveSecurityRules {
		rules[r.Name] = r
		names = append(names, r.Name)
	}
	wantNames := []string{"securityRules/https", "securityRules/range", "defaultSecurityRules/AllowVnetInBound",
		"defaultSecurityRules/AllowAzureLoadBalancerInBound", "defaultSecurityRules/DenyAllInBound",
		"defaultSecurityRules/AllowVnetOutBound", "defaultSecurityRules/AllowInternetOutBound", "defaultSecurityRules/DenyAllOutBound"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("rule names = %v", names)
	}

	vnet := rules["defaultSecurityRules/AllowVnetInBound"]
	wantVNet := []string{"10.0.0.0/16", "10.1.0.0/16", "192.168.0.0/16", "168.63.129.16/32"}
	if vnet.SourceAddressPrefix != "VirtualNetwork" || !slices.Equal(vnet.ExpandedSourceAddressPrefix, wantVNet) ||
		!slices.Equal(vnet.ExpandedDestinationAddressPrefix, wantVNet) || vnet.Protocol != "All" ||
		vnet.SourcePortRange != "0-65535" || vnet.Priority != 65000 || vnet.Access != "Allow" || vnet.Direction != fabric.Inbound {
		t.Errorf("AllowVnetInBound = %+v", vnet)
	}
	deny := rules["defaultSecurityRules/DenyAllInBound"]
	if deny.SourceAddressPrefix != "0.0.0.0/0" || !slices.Equal(deny.SourceAddressPrefixes, []string{"0.0.0.0/0", "0::/0"}) || deny.ExpandedSourceAddressPrefix != nil {
		t.Errorf("DenyAllInBound = %+v", deny)
	}
	lb := rules["defaultSecurityRules/AllowAzureLoadBalancerInBound"]
	if !slices.Equal(lb.ExpandedSourceAddressPrefix, []string{"168.63.129.16/32"}) {
		t.Errorf("AllowAzureLoadBalancerInBound = %+v", lb)
	}
	rng := rules["securityRules/range"]
	if rng.Protocol != "Udp" || rng.DestinationPortRange != "" || !slices.Equal(rng.DestinationPortRanges, []string{"1000-2000", "3000-3000"}) ||
		rng.SourceAddressPrefix != "10.5.0.4" || rng.ExpandedSourceAddressPrefix != nil || !slices.Equal(rng.ExpandedDestinationAddressPrefix, wantVNet) {
		t.Errorf("range = %+v", rng)
	}

	// Internet, expanded for this NIC: public space only, none of the
	// NIC's VirtualNetwork tag, plus the CIDR written next to it.
	https := rules["securityRules/https"]
	if https.SourceAddressPrefix != "" || !slices.Equal(https.SourceAddressPrefixes, []string{"Internet", "10.9.0.0/16"}) ||
		https.DestinationPortRange != "443-443" || https.Protocol != "Tcp" {
		t.Errorf("https = %+v", https)
	}
	var internet []netip.Prefix
	for _, p := range https.ExpandedSourceAddressPrefix {
		internet = append(internet, netip.MustParsePrefix(p))
	}
	for _, a := range []string{"8.8.8.8", "52.160.0.4", "203.0.113.10", "1.0.0.1", "223.255.255.254", "10.9.1.1"} {
		if !containsAddr(internet, netip.MustParseAddr(a)) {
			t.Errorf("expanded Internet lacks %s", a)
		}
	}
	for _, a := range []string{"10.0.0.4", "10.1.0.4", "172.16.0.1", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.169.254", "168.63.129.16"} {
		if containsAddr(internet, netip.MustParseAddr(a)) {
			t.Errorf("expanded Internet contains %s", a)
		}
	}

	js, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{`"networkSecurityGroup":{"id":"` + nicOf(w.vm1).NSG.ID + `"}`, `"association":{"networkInterface":{"id":"`,
		`"name":"defaultSecurityRules/DenyAllOutBound","protocol":"All","sourcePortRange":"0-65535"`, `"expandedSourceAddressPrefix":["10.0.0.0/16",`} {
		if !strings.Contains(string(js), frag) {
			t.Errorf("JSON lacks %s: %s", frag, js)
		}
	}
	if EffectiveSecurityGroups(s, nicOf(w.vmb)) != nil {
		t.Errorf("groups for a NIC without NSGs")
	}
}

// TestServiceTagPrefixes: rules and routes naming a service tag match the
// public IPs the snapshot puts in it (fabric.ServiceTagResourceTag), and
// a tag without a region covers its regional tags; untagged addresses
// match no service tag.
func TestServiceTagPrefixes(t *testing.T) {
	w := newWorld()
	pip := w.b.publicIP("vm2-pip", "52.160.0.5", "Basic", ipc(w.vm2))
	nicOf(w.vm1).NSG = w.b.nsg("vm1-nsg", rule("no-storage", 100, fabric.Outbound, "Deny", fabric.TCP, "*", "Storage.WestEurope", "80"))
	w.aDef.RouteTable = w.b.routeTable("rt", udr("storage", "Storage", "None", ""))
	s := w.b.snapshot()
	q := tcp(w.vm1, "52.160.0.5", 80)
	if v := Evaluate(s, q); v.Outcome != fabric.Delivered {
		t.Fatalf("untagged: %s %s", v.Outcome, blocksString(v.Blocks))
	}
	pip.ServiceTag = "Storage.WestEurope"
	s = w.b.snapshot()
	if got := s.ServiceTagPrefixes("storage"); !slices.Equal(got, prefixes("52.160.0.5/32")) {
		t.Errorf("Storage = %v, want the tagged address (regional tags are part of it)", got)
	}
	if got := s.ServiceTagPrefixes("Storage.EastUS"); len(got) != 0 {
		t.Errorf("Storage.EastUS = %v, want none", got)
	}
	v := Evaluate(s, q)
	checkVerdict(t, v, want{outcome: fabric.NetworkUnreachable, kinds: []string{"NetworkSecurityRule", "Route"},
		reasons: []string{"rule no-storage", "route storage (Storage → None)"}})
	if got := NextHop(s, ipc(w.vm1), netip.MustParseAddr("10.0.0.5")); got.NextHopType != "VnetLocal" {
		t.Errorf("a private destination matched a tag route: %+v", got)
	}
	g := EffectiveSecurityGroups(s, nicOf(w.vm1))
	if r := g[0].EffectiveSecurityRules[0]; !slices.Equal(r.ExpandedDestinationAddressPrefix, []string{"52.160.0.5/32"}) {
		t.Errorf("expanded Storage.WestEurope = %v", r.ExpandedDestinationAddressPrefix)
	}
}

// TestNextHopShape: NextHopResult round-trips Azure's nextHop example
// response (testdata/NetworkWatcherNextHopGet.json) byte for byte.
func TestNextHopShape(t *testing.T) {
	raw, err := os.ReadFile("testdata/NetworkWatcherNextHopGet.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses struct {
			OK struct {
				Body json.RawMessage `json:"body"`
			} `json:"200"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	var r NextHopResult
	dec := json.NewDecoder(bytes.NewReader(ex.Responses.OK.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(r)
	var want bytes.Buffer
	if err := json.Compact(&want, ex.Responses.OK.Body); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("round trip = %s, want %s", got, want.String())
	}
}
