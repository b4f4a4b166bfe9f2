package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
)

const (
	rgAPI  = "2021-04-01"
	netAPI = "2025-01-01"
	dnsAPI = "2024-06-01"
)

var rgPath = "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"

func netPath(typ, name string) string {
	return rgPath + "/providers/Microsoft.Network/" + typ + "/" + name
}

func vmPath(name string) string {
	return rgPath + "/providers/Microsoft.Compute/virtualMachines/" + name
}

// env is an in-process ARM server with the providers the fabric reads.
type env struct {
	t  *testing.T
	s  *armtest.Server
	st store.Store
}

func startEnv(t *testing.T, st store.Store) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{Store: st}, resources.Provider{}, network.Provider{}, privatedns.Provider{})
	e := &env{t: t, s: s, st: st}
	e.must(http.MethodPut, rgPath, rgAPI, `{"location":"westus2"}`)
	return e
}

// must sends a request, fails the test on an error status and waits for
// an asynchronous operation to finish.
func (e *env) must(method, path, api string, body any) map[string]any {
	e.t.Helper()
	r := e.s.Do(method, path, api, body)
	if r.Status >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if st := e.s.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r.JSON()
}

func (e *env) get(path, api string) map[string]any {
	e.t.Helper()
	return e.must(http.MethodGet, path, api, nil)
}

// putRecord stores a record directly (types no provider serves yet).
func putRecord(t *testing.T, st store.Store, rec *arm.Record) {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Txn(context.Background(), store.Op{Kind: store.OpPut, Key: arm.KeyOf(rec.Resource.ID), Value: b}); err != nil {
		t.Fatalf("store %s: %v", rec.Resource.ID, err)
	}
}

func vmRecord(name, power, state string, computer string, nics ...string) *arm.Record {
	type nicRef struct {
		ID         string `json:"id"`
		Properties struct {
			Primary bool `json:"primary"`
		} `json:"properties"`
	}
	var refs []nicRef
	for i, n := range nics {
		r := nicRef{ID: netPath("networkInterfaces", n)}
		r.Properties.Primary = i == len(nics)-1 // the primary NIC is listed last
		refs = append(refs, r)
	}
	props, _ := json.Marshal(map[string]any{
		"networkProfile": map[string]any{"networkInterfaces": refs},
		"osProfile":      map[string]any{"computerName": computer},
	})
	rec := &arm.Record{Resource: arm.Resource{ID: vmPath(name), Name: name, Type: typeVM, Location: "westus2", Properties: props},
		State: state, Generation: 1, Created: time.Now().UTC()}
	if power != "" {
		rec.Internal = json.RawMessage(`{"powerState":"` + power + `"}`)
	}
	return rec
}

func listenerRecord(host, name, proto string, port int, target string) *arm.Record {
	props, _ := json.Marshal(map[string]any{"protocol": proto, "port": port, "target": target})
	return &arm.Record{Resource: arm.Resource{ID: host + "/providers/Privlink.Fabric/listeners/" + name, Name: name,
		Type: TypeListener, Properties: props}, Generation: 1, Created: time.Now().UTC()}
}

// storedRecords lists and decodes every resource record.
func storedRecords(t *testing.T, st store.Store) (int64, []*arm.Record) {
	t.Helper()
	res, err := st.List(context.Background(), WatchPrefix, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*arm.Record
	for _, kv := range res.KVs {
		var r arm.Record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			t.Fatalf("%s: %v", kv.Key, err)
		}
		out = append(out, &r)
	}
	return res.Revision, out
}

// buildTopology creates the test network through the ARM API.
func buildTopology(e *env) {
	asg := rgPath + "/providers/Microsoft.Network/applicationSecurityGroups/ASG-Web"
	e.must(http.MethodPut, netPath("networkSecurityGroups", "nsg-jump"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{"securityRules": []any{
			map[string]any{"name": "deny-web", "properties": map[string]any{
				"priority": 200, "direction": "Inbound", "access": "Deny", "protocol": "*",
				"sourceAddressPrefixes": []string{"10.1.0.0/24", "10.1.1.0/24"}, "sourcePortRange": "*",
				"destinationAddressPrefix": "*", "destinationPortRange": "80-443"}},
		}},
	})
	e.must(http.MethodPut, netPath("networkSecurityGroups", "nsg-jump")+"/securityRules/allow-ssh", netAPI, map[string]any{
		"properties": map[string]any{
			"priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
			"sourceAddressPrefix": "Internet", "sourcePortRange": "*",
			"destinationAddressPrefix": "*", "destinationPortRanges": []string{"22", "2222"}},
	})
	e.must(http.MethodPut, netPath("networkSecurityGroups", "nsg-jump")+"/securityRules/out-dns", netAPI, map[string]any{
		"properties": map[string]any{
			"priority": 150, "direction": "Outbound", "access": "Allow", "protocol": "Udp",
			"sourceAddressPrefix": "*", "sourcePortRange": "*",
			"destinationApplicationSecurityGroups": []any{map[string]any{"id": asg}}, "destinationPortRange": "53"},
	})
	e.must(http.MethodPut, netPath("routeTables", "rt-hub"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{"disableBgpRoutePropagation": true, "routes": []any{
			map[string]any{"name": "to-fw", "properties": map[string]any{
				"addressPrefix": "10.1.0.0/16", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.2.4"}},
		}},
	})
	e.must(http.MethodPut, netPath("routeTables", "rt-hub")+"/routes/storage", netAPI, map[string]any{
		"properties": map[string]any{"addressPrefix": "Storage", "nextHopType": "Internet"},
	})
	e.must(http.MethodPut, netPath("publicIPAddresses", "pip-jump"), netAPI, map[string]any{
		"location": "westus2", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static", "dnsSettings": map[string]any{"domainNameLabel": "jumpbox1"}},
	})
	e.must(http.MethodPut, netPath("virtualNetworks", "hub"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}},
			"subnets": []any{
				map[string]any{"name": "jump", "properties": map[string]any{"addressPrefix": "10.0.1.0/24",
					"networkSecurityGroup": map[string]any{"id": netPath("networkSecurityGroups", "nsg-jump")},
					"routeTable":           map[string]any{"id": netPath("routeTables", "rt-hub")}}},
				map[string]any{"name": "fw", "properties": map[string]any{"addressPrefix": "10.0.2.0/24"}},
			},
		},
	})
	e.must(http.MethodPut, netPath("virtualNetworks", "spoke"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16", "10.2.0.0/16"}},
			"dhcpOptions":  map[string]any{"dnsServers": []string{"10.0.2.4"}},
		},
	})
	e.must(http.MethodPut, netPath("virtualNetworks", "spoke")+"/subnets/app", netAPI, map[string]any{
		"properties": map[string]any{"addressPrefixes": []string{"10.1.0.0/24"}, "defaultOutboundAccess": false},
	})
	e.must(http.MethodPut, netPath("virtualNetworks", "hub")+"/virtualNetworkPeerings/hub-to-spoke", netAPI, map[string]any{
		"properties": map[string]any{"remoteVirtualNetwork": map[string]any{"id": netPath("virtualNetworks", "spoke")},
			"allowForwardedTraffic": true, "allowGatewayTransit": true},
	})
	e.must(http.MethodPut, netPath("virtualNetworks", "spoke")+"/virtualNetworkPeerings/spoke-to-hub", netAPI, map[string]any{
		"properties": map[string]any{"remoteVirtualNetwork": map[string]any{"id": netPath("virtualNetworks", "hub")},
			"allowVirtualNetworkAccess": false},
	})
	e.must(http.MethodPut, netPath("networkInterfaces", "nic-jump"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{
			"networkSecurityGroup": map[string]any{"id": netPath("networkSecurityGroups", "nsg-jump")},
			"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
				"subnet":          map[string]any{"id": netPath("virtualNetworks", "hub") + "/subnets/jump"},
				"publicIPAddress": map[string]any{"id": netPath("publicIPAddresses", "pip-jump")}}}},
		},
	})
	e.must(http.MethodPut, netPath("networkInterfaces", "nic-fw"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{
			"enableIPForwarding": true,
			"ipConfigurations": []any{
				map[string]any{"name": "a", "properties": map[string]any{"primary": false, "privateIPAddress": "10.0.2.5",
					"subnet": map[string]any{"id": netPath("virtualNetworks", "hub") + "/subnets/fw"}}},
				map[string]any{"name": "b", "properties": map[string]any{"primary": true, "privateIPAddress": "10.0.2.4",
					"subnet": map[string]any{"id": netPath("virtualNetworks", "hub") + "/subnets/fw"}}},
			},
		},
	})
	e.must(http.MethodPut, netPath("networkInterfaces", "nic-app"), netAPI, map[string]any{
		"location": "westus2",
		"properties": map[string]any{"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
			"subnet": map[string]any{"id": netPath("virtualNetworks", "spoke") + "/subnets/app"}}}}},
	})

	zone := netPath("privateDnsZones", "privatelink.Contoso.com")
	e.must(http.MethodPut, zone, dnsAPI, `{"location":"global"}`)
	e.must(http.MethodPut, zone+"/virtualNetworkLinks/Hub-Link", dnsAPI, map[string]any{"location": "global",
		"properties": map[string]any{"virtualNetwork": map[string]any{"id": netPath("virtualNetworks", "hub")}, "registrationEnabled": false}})
	e.must(http.MethodPut, zone+"/virtualNetworkLinks/spoke-link", dnsAPI, map[string]any{"location": "global",
		"properties": map[string]any{"virtualNetwork": map[string]any{"id": netPath("virtualNetworks", "spoke")},
			"registrationEnabled": true, "resolutionPolicy": "NxDomainRedirect"}})
	for _, rs := range []struct {
		typ, name string
		props     map[string]any
	}{
		{"A", "API", map[string]any{"ttl": 300, "aRecords": []any{map[string]any{"ipv4Address": "10.1.0.10"}, map[string]any{"ipv4Address": "10.1.0.11"}}}},
		{"AAAA", "api", map[string]any{"ttl": 60, "aaaaRecords": []any{map[string]any{"ipv6Address": "fd00:0:0::10"}}}},
		{"CNAME", "www", map[string]any{"ttl": 3600, "cnameRecord": map[string]any{"cname": "api.privatelink.contoso.com"}}},
		{"MX", "@", map[string]any{"ttl": 3600, "mxRecords": []any{map[string]any{"preference": 10, "exchange": "mail.contoso.com"}}}},
		{"TXT", "@", map[string]any{"ttl": 3600, "txtRecords": []any{map[string]any{"value": []string{"v=spf1 -all"}},
			map[string]any{"value": []string{`a"b`, "c"}}}}},
		{"SRV", "_sip._tcp", map[string]any{"ttl": 3600, "srvRecords": []any{map[string]any{"priority": 10, "weight": 60, "port": 5060, "target": "sip.contoso.com"}}}},
		{"PTR", "10", map[string]any{"ttl": 3600, "ptrRecords": []any{map[string]any{"ptrdname": "api.privatelink.contoso.com"}}}},
	} {
		e.must(http.MethodPut, zone+"/"+rs.typ+"/"+rs.name, dnsAPI, map[string]any{"properties": rs.props})
	}

	// Records of types no provider serves yet, in their fixed formats.
	putRecord(e.t, e.st, vmRecord("VM-Jump", "PowerState/running", arm.StateSucceeded, "jumpbox", "nic-jump"))
	putRecord(e.t, e.st, vmRecord("vm-app", "PowerState/deallocated", arm.StateSucceeded, "app", "nic-app", "nic-missing"))
	putRecord(e.t, e.st, vmRecord("vm-fw", "", arm.StateSucceeded, "fw", "nic-fw"))
	putRecord(e.t, e.st, vmRecord("vm-new", "PowerState/starting", arm.StateCreating, "new"))
	putRecord(e.t, e.st, listenerRecord(vmPath("VM-Jump"), "web", "Tcp", 8080, "127.0.0.1:18080"))
	putRecord(e.t, e.st, listenerRecord(vmPath("vm-jump"), "dns", "udp", 53, "127.0.0.1:15353"))
	pod := listenerRecord(vmPath("vm-jump"), "tcp-10.250.0.10-443", "Tcp", 443, "127.0.0.1:19443")
	pod.Resource.Properties = json.RawMessage(`{"protocol":"Tcp","port":443,"target":"127.0.0.1:19443","address":"10.250.0.10"}`)
	putRecord(e.t, e.st, pod)
	putRecord(e.t, e.st, listenerRecord(vmPath("vm-gone"), "web", "Tcp", 80, "127.0.0.1:18081"))
	putRecord(e.t, e.st, listenerRecord(vmPath("vm-fw"), "bad", "Tcp", 80, "10.0.0.1:80"))
	putRecord(e.t, e.st, &arm.Record{Resource: arm.Resource{ID: vmPath("vm-broken"), Name: "vm-broken", Type: typeVM,
		Properties: json.RawMessage(`{"networkProfile":{"networkInterfaces":"not a list"}}`)}})
	putRecord(e.t, e.st, &arm.Record{Resource: arm.Resource{ID: rgPath + "/providers/Microsoft.Storage/storageAccounts/sa",
		Name: "sa", Type: "Microsoft.Storage/storageAccounts", Properties: json.RawMessage(`{"x":1}`)}})
}

func lower(s string) string { return strings.ToLower(s) }

func prefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestBuildFromProviders(t *testing.T) {
	st := memory.New()
	e := startEnv(t, st)
	buildTopology(e)
	rev, recs := storedRecords(t, st)
	s, err := Build(rev, recs)
	if s == nil {
		t.Fatal("Build returned no snapshot")
	}
	// Exactly the two malformed records are reported.
	var skipped []string
	for _, one := range unjoin(err) {
		var re *RecordError
		if !errors.As(one, &re) {
			t.Fatalf("unexpected error %v", one)
		}
		skipped = append(skipped, lower(re.ID))
	}
	slices.Sort(skipped)
	wantSkipped := []string{lower(vmPath("vm-broken")), lower(vmPath("vm-fw") + "/providers/Privlink.Fabric/listeners/bad")}
	if !slices.Equal(skipped, wantSkipped) {
		t.Fatalf("skipped %v, want %v", skipped, wantSkipped)
	}
	if s.Revision != rev {
		t.Errorf("revision %d, want %d", s.Revision, rev)
	}

	hubID, spokeID := lower(netPath("virtualNetworks", "hub")), lower(netPath("virtualNetworks", "spoke"))
	hub, spoke := s.VNets[hubID], s.VNets[spokeID]
	if hub == nil || spoke == nil || len(s.VNets) != 2 {
		t.Fatalf("vnets: %v", s.VNets)
	}
	if got := s.DisplayID(hubID); got != netPath("virtualNetworks", "hub") {
		t.Errorf("display ID of the hub %q, want the ID as created %q", got, netPath("virtualNetworks", "hub"))
	}
	for _, n := range s.NICs {
		for _, c := range n.IPConfigs {
			if d := s.DisplayID(c.ID); !strings.EqualFold(d, c.ID) || !strings.Contains(d, "/resourceGroups/") {
				t.Errorf("display ID of %s: %q", c.ID, d)
			}
		}
	}
	if hub.ID != hubID || hub.Name != "hub" || hub.Location != "westus2" || !slices.Equal(hub.Prefixes, prefixes("10.0.0.0/16")) || len(hub.DNSServers) != 0 {
		t.Errorf("hub: %+v", hub)
	}
	if !slices.Equal(spoke.Prefixes, prefixes("10.1.0.0/16", "10.2.0.0/16")) ||
		!slices.Equal(spoke.DNSServers, []netip.Addr{netip.MustParseAddr("10.0.2.4")}) {
		t.Errorf("spoke: %+v", spoke)
	}
	if hub.InternalDomainSuffix != network.InternalDomainNameSuffix(netPath("virtualNetworks", "hub")) || !strings.HasSuffix(hub.InternalDomainSuffix, ".internal.cloudapp.net") {
		t.Errorf("hub suffix %q", hub.InternalDomainSuffix)
	}
	// The suffix matches what the API shows on the NIC.
	nicJSON := e.get(netPath("networkInterfaces", "nic-jump"), netAPI)
	dns := nicJSON["properties"].(map[string]any)["dnsSettings"].(map[string]any)
	if dns["internalDomainNameSuffix"] != hub.InternalDomainSuffix {
		t.Errorf("suffix %q, API %v", hub.InternalDomainSuffix, dns["internalDomainNameSuffix"])
	}

	// Subnets.
	if len(hub.Subnets) != 2 || hub.Subnets[0].Name != "fw" || hub.Subnets[1].Name != "jump" {
		t.Fatalf("hub subnets: %v", hub.Subnets)
	}
	jump := s.Subnets[hubID+"/subnets/jump"]
	nsgID, rtID := lower(netPath("networkSecurityGroups", "nsg-jump")), lower(netPath("routeTables", "rt-hub"))
	if jump == nil || jump.VNet != hub || jump.NSG != s.NSGs[nsgID] || jump.NSG == nil || jump.RouteTable != s.RouteTables[rtID] || jump.RouteTable == nil ||
		!jump.DefaultOutboundAccess || !slices.Equal(jump.Prefixes, prefixes("10.0.1.0/24")) {
		t.Errorf("jump subnet: %+v", jump)
	}
	app := s.Subnets[spokeID+"/subnets/app"]
	if app == nil || app.DefaultOutboundAccess || app.NSG != nil || app.RouteTable != nil || !slices.Equal(app.Prefixes, prefixes("10.1.0.0/24")) {
		t.Errorf("app subnet: %+v", app)
	}

	// Peerings.
	h2s, s2h := s.Peerings[hubID+"/virtualnetworkpeerings/hub-to-spoke"], s.Peerings[spokeID+"/virtualnetworkpeerings/spoke-to-hub"]
	if h2s == nil || s2h == nil {
		t.Fatalf("peerings: %v", s.Peerings)
	}
	if h2s.Local != hub || h2s.Remote != spoke || h2s.RemoteID != spokeID || h2s.State != "Connected" ||
		!h2s.AllowVirtualNetworkAccess || !h2s.AllowForwardedTraffic || !h2s.AllowGatewayTransit || h2s.UseRemoteGateways ||
		!slices.Equal(h2s.RemotePrefixes, prefixes("10.1.0.0/16", "10.2.0.0/16")) {
		t.Errorf("hub-to-spoke: %+v", h2s)
	}
	if s2h.Local != spoke || s2h.Remote != hub || s2h.State != "Connected" || s2h.AllowVirtualNetworkAccess || s2h.AllowForwardedTraffic ||
		!slices.Equal(s2h.RemotePrefixes, prefixes("10.0.0.0/16")) {
		t.Errorf("spoke-to-hub: %+v", s2h)
	}
	if len(hub.Peerings) != 1 || hub.Peerings[0] != h2s || len(spoke.Peerings) != 1 || spoke.Peerings[0] != s2h {
		t.Errorf("vnet peerings: %v %v", hub.Peerings, spoke.Peerings)
	}

	// NSG: user rules by direction then priority, then the defaults.
	nsg := s.NSGs[nsgID]
	var names []string
	for _, r := range nsg.Rules {
		names = append(names, r.Name)
	}
	wantNames := []string{"allow-ssh", "deny-web", "out-dns",
		"AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound",
		"AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("rules %v, want %v", names, wantNames)
	}
	ssh, deny, out := nsg.Rules[0], nsg.Rules[1], nsg.Rules[2]
	if ssh.ID != nsgID+"/securityrules/allow-ssh" || ssh.Priority != 100 || ssh.Direction != Inbound || ssh.Access != "Allow" || ssh.Protocol != TCP ||
		!slices.Equal(ssh.SourcePrefixes, []string{"Internet"}) || !slices.Equal(ssh.DestinationPrefixes, []string{"*"}) ||
		!slices.Equal(ssh.SourcePorts, []string{"*"}) || !slices.Equal(ssh.DestinationPorts, []string{"22", "2222"}) || ssh.Default {
		t.Errorf("allow-ssh: %+v", ssh)
	}
	if deny.Access != "Deny" || deny.Protocol != ProtoAny || deny.Priority != 200 ||
		!slices.Equal(deny.SourcePrefixes, []string{"10.1.0.0/24", "10.1.1.0/24"}) || !slices.Equal(deny.DestinationPorts, []string{"80-443"}) {
		t.Errorf("deny-web: %+v", deny)
	}
	if out.Direction != Outbound || out.Protocol != UDP || len(out.DestinationPrefixes) != 0 ||
		!slices.Equal(out.DestinationASGs, []string{lower(rgPath + "/providers/Microsoft.Network/applicationSecurityGroups/ASG-Web")}) {
		t.Errorf("out-dns: %+v", out)
	}
	// The default rules are those the API shows.
	nsgJSON := e.get(netPath("networkSecurityGroups", "nsg-jump"), netAPI)
	apiDefaults := nsgJSON["properties"].(map[string]any)["defaultSecurityRules"].([]any)
	if len(apiDefaults) != 6 {
		t.Fatalf("API default rules: %v", apiDefaults)
	}
	for i, d := range apiDefaults {
		dm := d.(map[string]any)
		p := dm["properties"].(map[string]any)
		r := nsg.Rules[3+i]
		if !r.Default || r.Name != dm["name"] || r.ID != lower(dm["id"].(string)) || r.Priority != int(p["priority"].(float64)) ||
			string(r.Direction) != p["direction"] || r.Access != p["access"] || string(r.Protocol) != p["protocol"] ||
			!slices.Equal(r.SourcePrefixes, []string{p["sourceAddressPrefix"].(string)}) ||
			!slices.Equal(r.DestinationPrefixes, []string{p["destinationAddressPrefix"].(string)}) {
			t.Errorf("default rule %d: %+v, API %v", i, r, dm)
		}
	}

	// Route table.
	rt := s.RouteTables[rtID]
	if rt == nil || !rt.DisableBGPRoutePropagation || len(rt.Routes) != 2 {
		t.Fatalf("route table: %+v", rt)
	}
	if r := rt.Routes[0]; r.Name != "storage" || r.Tag != "Storage" || r.Prefix.IsValid() || r.NextHopType != "Internet" || r.NextHopIP.IsValid() {
		t.Errorf("storage route: %+v", r)
	}
	if r := rt.Routes[1]; r.Name != "to-fw" || r.ID != rtID+"/routes/to-fw" || r.Prefix != netip.MustParsePrefix("10.1.0.0/16") || r.Tag != "" ||
		r.NextHopType != "VirtualAppliance" || r.NextHopIP != netip.MustParseAddr("10.0.2.4") {
		t.Errorf("to-fw route: %+v", r)
	}

	// NICs and public IP.
	nicJump := s.NICs[lower(netPath("networkInterfaces", "nic-jump"))]
	pip := s.PublicIPs[lower(netPath("publicIPAddresses", "pip-jump"))]
	if nicJump == nil || pip == nil {
		t.Fatalf("nic %v pip %v", nicJump, pip)
	}
	apiIP := nicJSON["properties"].(map[string]any)["ipConfigurations"].([]any)[0].(map[string]any)["properties"].(map[string]any)["privateIPAddress"].(string)
	c := nicJump.Primary()
	if nicJump.NSG != nsg || nicJump.IPForwarding || len(nicJump.IPConfigs) != 1 || c == nil || c.NIC != nicJump || c.Subnet != jump ||
		c.PrivateIP != netip.MustParseAddr(apiIP) || c.PublicIP != pip || !c.Primary || c.Name != "ipconfig1" ||
		c.ID != lower(netPath("networkInterfaces", "nic-jump"))+"/ipconfigurations/ipconfig1" {
		t.Errorf("nic-jump: %+v config %+v", nicJump, c)
	}
	pipJSON := e.get(netPath("publicIPAddresses", "pip-jump"), netAPI)
	pipProps := pipJSON["properties"].(map[string]any)
	if pip.Addr != netip.MustParseAddr(pipProps["ipAddress"].(string)) || pip.SKU != "Standard" || pip.FQDN != "jumpbox1.westus2.cloudapp.azure.com" || pip.IPConfig != c {
		t.Errorf("pip: %+v (API %v)", pip, pipProps)
	}
	if got := s.PublicRecords["jumpbox1.westus2.cloudapp.azure.com"]; len(got) != 1 || got[0].Type != "A" || got[0].Value != pip.Addr.String() || got[0].TTL != publicRecordTTL {
		t.Errorf("public records: %v", s.PublicRecords)
	}
	nicFW := s.NICs[lower(netPath("networkInterfaces", "nic-fw"))]
	if !nicFW.IPForwarding || len(nicFW.IPConfigs) != 2 || nicFW.Primary().Name != "b" || nicFW.Primary().PrivateIP != netip.MustParseAddr("10.0.2.4") ||
		nicFW.IPConfigs[0].PrivateIP != netip.MustParseAddr("10.0.2.5") || nicFW.IPConfigs[0].Primary {
		t.Errorf("nic-fw: %+v", nicFW)
	}
	if got := s.IPConfigAt(hub, netip.MustParseAddr("10.0.2.5")); got != nicFW.IPConfigs[0] {
		t.Errorf("IPConfigAt 10.0.2.5: %v", got)
	}
	if got := s.PublicIPIndex[pip.Addr]; got != pip {
		t.Errorf("PublicIPIndex: %v", got)
	}

	// Private DNS.
	zoneID := lower(netPath("privateDnsZones", "privatelink.contoso.com"))
	z := s.Zones[zoneID]
	if z == nil || z.Name != "privatelink.contoso.com" || z.ID != zoneID || len(z.Links) != 2 {
		t.Fatalf("zone: %+v", z)
	}
	hl, sl := z.Links[0], z.Links[1]
	if hl.Name != "Hub-Link" || hl.ID != zoneID+"/virtualnetworklinks/hub-link" || hl.Zone != z || hl.VNet != hub || hl.VNetID != hubID ||
		hl.Registration || hl.ResolutionPolicy != "Default" {
		t.Errorf("hub link: %+v", hl)
	}
	if sl.VNet != spoke || !sl.Registration || sl.ResolutionPolicy != "NxDomainRedirect" {
		t.Errorf("spoke link: %+v", sl)
	}
	if len(hub.Links) != 1 || hub.Links[0] != hl || len(spoke.Links) != 1 || spoke.Links[0] != sl {
		t.Errorf("vnet links: %v %v", hub.Links, spoke.Links)
	}
	wantRecords := map[string][]Record{
		"api": {{"A", 300, "10.1.0.10"}, {"A", 300, "10.1.0.11"}, {"AAAA", 60, "fd00::10"}},
		"www": {{"CNAME", 3600, "api.privatelink.contoso.com."}},
		"@": {{"MX", 3600, "10 mail.contoso.com."},
			{"SOA", 3600, "azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"},
			{"TXT", 3600, `"v=spf1 -all"`}, {"TXT", 3600, `"a\"b" "c"`}},
		"_sip._tcp": {{"SRV", 3600, "10 60 5060 sip.contoso.com."}},
		"10":        {{"PTR", 3600, "api.privatelink.contoso.com."}},
	}
	if len(z.Records) != len(wantRecords) {
		t.Errorf("record names: %v", z.Records)
	}
	for name, want := range wantRecords {
		if got := z.Records[name]; !slices.Equal(got, want) {
			t.Errorf("records %q: %v, want %v", name, got, want)
		}
	}

	// Hosts.
	if len(s.Hosts) != 6 { // the VMs, the internet and the Azure platform
		t.Errorf("hosts: %v", s.Hosts)
	}
	vmJump := s.Hosts[lower(vmPath("vm-jump"))]
	if vmJump == nil || vmJump.Name != "VM-Jump" || vmJump.ResourceID != vmPath("VM-Jump") || vmJump.ResourceGroup != "rg" || vmJump.Kind != KindVM ||
		!vmJump.Running || vmJump.PowerState != "PowerState/running" || vmJump.ComputerName != "jumpbox" ||
		len(vmJump.NICs) != 1 || vmJump.NICs[0] != nicJump || nicJump.Host != vmJump || vmJump.PrimaryIPConfig() != c {
		t.Errorf("vm-jump: %+v", vmJump)
	}
	wantPorts := map[string]string{"tcp/8080": "127.0.0.1:18080", "udp/53": "127.0.0.1:15353", "tcp/10.250.0.10:443": "127.0.0.1:19443"}
	if !maps.Equal(vmJump.Ports, wantPorts) {
		t.Errorf("ports: %v", vmJump.Ports)
	}
	vmApp := s.Hosts[lower(vmPath("vm-app"))]
	nicApp := s.NICs[lower(netPath("networkInterfaces", "nic-app"))]
	if vmApp.Running || vmApp.PowerState != "PowerState/deallocated" || len(vmApp.NICs) != 1 || vmApp.NICs[0] != nicApp || nicApp.Host != vmApp {
		t.Errorf("vm-app: %+v", vmApp)
	}
	vmFW := s.Hosts[lower(vmPath("vm-fw"))]
	if !vmFW.Running || vmFW.PowerState != "PowerState/running" || vmFW.Ports != nil || vmFW.PrimaryIPConfig() != nicFW.Primary() {
		t.Errorf("vm-fw: %+v", vmFW)
	}
	if vmNew := s.Hosts[lower(vmPath("vm-new"))]; vmNew == nil || vmNew.Running || vmNew.PowerState != "PowerState/starting" || len(vmNew.NICs) != 0 {
		t.Errorf("vm-new: %+v", vmNew)
	}
	inet := s.Hosts[InternetHostID]
	if inet == nil || inet.Kind != KindInternet || !inet.Running || inet.PublicAddr != InternetHostIP || inet.Name != "internet" {
		t.Errorf("internet: %+v", inet)
	}
	if hs := s.HostsByName["vm-jump"]; len(hs) != 1 || hs[0] != vmJump {
		t.Errorf("HostsByName: %v", s.HostsByName)
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestBuildDangling: references to missing resources are nil, never a
// panic; orphaned children are left out.
func TestBuildDangling(t *testing.T) {
	rec := func(id, typ string, props string) *arm.Record {
		return &arm.Record{Resource: arm.Resource{ID: id, Name: id[strings.LastIndexByte(id, '/')+1:], Type: typ, Properties: json.RawMessage(props)}}
	}
	vnet := netPath("virtualNetworks", "v")
	recs := []*arm.Record{
		rec(vnet, typeVNet, `{"addressSpace":{"addressPrefixes":["10.9.0.0/16"]}}`),
		rec(vnet+"/subnets/s", typeSubnet, `{"addressPrefix":"10.9.0.0/24","networkSecurityGroup":{"id":"`+netPath("networkSecurityGroups", "gone")+`"},"routeTable":{"id":"`+netPath("routeTables", "gone")+`"}}`),
		rec(netPath("virtualNetworks", "gone")+"/subnets/orphan", typeSubnet, `{"addressPrefix":"10.8.0.0/24"}`),
		rec(vnet+"/virtualNetworkPeerings/p", typePeering, `{"remoteVirtualNetwork":{"id":"`+netPath("virtualNetworks", "Gone")+`"},"peeringState":"Disconnected"}`),
		rec(netPath("networkInterfaces", "n"), typeNIC, `{"networkSecurityGroup":{"id":"`+netPath("networkSecurityGroups", "gone")+`"},"ipConfigurations":[{"name":"c","properties":{"primary":true,"privateIPAddress":"10.7.0.4","subnet":{"id":"`+netPath("virtualNetworks", "gone")+`/subnets/x"},"publicIPAddress":{"id":"`+netPath("publicIPAddresses", "gone")+`"}}}]}`),
		rec(netPath("networkSecurityGroups", "gone")+"/securityRules/r", typeSecurityRule, `{"priority":100}`),
		rec(netPath("routeTables", "gone")+"/routes/r", typeRoute, `{"addressPrefix":"0.0.0.0/0","nextHopType":"None"}`),
		rec(netPath("privateDnsZones", "z.example")+"/A/x", "Microsoft.Network/privateDnsZones/A", `{"aRecords":[{"ipv4Address":"1.2.3.4"}]}`),
		rec(netPath("privateDnsZones", "y.example"), typeZone, `{}`),
		rec(netPath("privateDnsZones", "y.example")+"/virtualNetworkLinks/l", typeZoneLink, `{"virtualNetwork":{"id":"`+netPath("virtualNetworks", "gone")+`"},"registrationEnabled":true}`),
		vmRecord("vm", "PowerState/stopped", arm.StateSucceeded, "vm", "gone"),
		vmRecord("vm-creating", "", arm.StateCreating, "c"),
		listenerRecord(vmPath("nothing"), "l", "Tcp", 1, "127.0.0.1:1"),
		nil,
	}
	recs[9].State = arm.StateSucceeded // the link
	s, err := Build(7, recs)
	if err != nil {
		t.Fatal(err)
	}
	v := s.VNets[lower(vnet)]
	sn := s.Subnets[lower(vnet)+"/subnets/s"]
	if sn == nil || sn.NSG != nil || sn.RouteTable != nil || len(s.Subnets) != 1 || len(v.Subnets) != 1 {
		t.Errorf("subnets: %v", s.Subnets)
	}
	p := s.Peerings[lower(vnet)+"/virtualnetworkpeerings/p"]
	if p == nil || p.Remote != nil || p.RemoteID != lower(netPath("virtualNetworks", "gone")) || p.State != "Disconnected" {
		t.Errorf("peering: %+v", p)
	}
	n := s.NICs[lower(netPath("networkInterfaces", "n"))]
	if n == nil || n.NSG != nil || n.Host != nil || n.IPConfigs[0].Subnet != nil || n.IPConfigs[0].PublicIP != nil || !n.IPConfigs[0].PrivateIP.IsValid() {
		t.Errorf("nic: %+v", n)
	}
	if len(s.NSGs) != 0 || len(s.RouteTables) != 0 || len(s.Zones) != 1 {
		t.Errorf("nsgs %v route tables %v zones %v", s.NSGs, s.RouteTables, s.Zones)
	}
	z := s.Zones[lower(netPath("privateDnsZones", "y.example"))]
	if len(z.Links) != 1 || z.Links[0].VNet != nil || !z.Links[0].Registration || len(z.Records) != 0 {
		t.Errorf("zone: %+v", z)
	}
	h := s.Hosts[lower(vmPath("vm"))]
	if h == nil || h.Running || len(h.NICs) != 0 || h.PrimaryIPConfig() != nil || h.Ports != nil {
		t.Errorf("vm: %+v", h)
	}
	if c := s.Hosts[lower(vmPath("vm-creating"))]; c == nil || c.Running || c.PowerState != "" {
		t.Errorf("vm-creating: %+v", c)
	}
	if len(s.Hosts) != 4 || len(s.PrivateIPIndex) != 0 {
		t.Errorf("hosts %v index %v", s.Hosts, s.PrivateIPIndex)
	}
}

// TestBuildLinkInProgress: a link whose provisioning has not completed
// does not count yet.
func TestBuildLinkInProgress(t *testing.T) {
	zone := netPath("privateDnsZones", "z.example")
	vnet := netPath("virtualNetworks", "v")
	recs := []*arm.Record{
		{Resource: arm.Resource{ID: vnet, Name: "v", Type: typeVNet, Properties: json.RawMessage(`{"addressSpace":{"addressPrefixes":["10.9.0.0/16"]}}`)}},
		{Resource: arm.Resource{ID: zone, Name: "z.example", Type: typeZone}},
		{Resource: arm.Resource{ID: zone + "/virtualNetworkLinks/l", Name: "l", Type: typeZoneLink,
			Properties: json.RawMessage(`{"virtualNetwork":{"id":"` + vnet + `"},"registrationEnabled":false}`)}, State: arm.StateUpdating},
	}
	s, err := Build(1, recs)
	if err != nil {
		t.Fatal(err)
	}
	if z := s.Zones[lower(zone)]; len(z.Links) != 0 || len(s.VNets[lower(vnet)].Links) != 0 {
		t.Fatalf("in-progress link counted: %+v", z.Links)
	}
	recs[2].State = arm.StateSucceeded
	s, _ = Build(2, recs)
	if z := s.Zones[lower(zone)]; len(z.Links) != 1 || z.Links[0].VNet != s.VNets[lower(vnet)] {
		t.Fatalf("completed link missing: %+v", z.Links)
	}
}

// TestBuildServiceTags: a public IP's privlinkServiceTag resource tag (any
// case) puts its address in that service tag; an unallocated one adds
// nothing.
func TestBuildServiceTags(t *testing.T) {
	pip := func(name, addr string, tags map[string]string) *arm.Record {
		props := `{}`
		if addr != "" {
			props = `{"ipAddress":"` + addr + `"}`
		}
		return &arm.Record{State: arm.StateSucceeded, Resource: arm.Resource{ID: netPath("publicIPAddresses", name), Name: name, Type: typePublicIP,
			Tags: tags, Properties: json.RawMessage(props)}}
	}
	s, err := Build(3, []*arm.Record{
		pip("aad", "52.160.0.10", map[string]string{"privlinkServiceTag": "AzureActiveDirectory"}),
		pip("mcr", "52.160.0.11", map[string]string{"PRIVLINKSERVICETAG": "MicrosoftContainerRegistry.WestUS2"}),
		pip("plain", "52.160.0.12", map[string]string{"env": "test"}),
		pip("pending", "", map[string]string{"privlinkServiceTag": "AzureActiveDirectory"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := s.PublicIPs[lower(netPath("publicIPAddresses", "aad"))]; p == nil || p.ServiceTag != "AzureActiveDirectory" {
		t.Errorf("aad public IP = %+v", p)
	}
	for tag, want := range map[string]string{
		"azureactivedirectory":               "[52.160.0.10/32]",
		"MicrosoftContainerRegistry":         "[52.160.0.11/32]",
		"MicrosoftContainerRegistry.WestUS2": "[52.160.0.11/32]",
		"MicrosoftContainerRegistry.EastUS":  "[]",
		"Storage":                            "[]",
	} {
		if got := fmt.Sprint(s.ServiceTagPrefixes(tag)); got != want {
			t.Errorf("ServiceTagPrefixes(%s) = %s, want %s", tag, got, want)
		}
	}
}
