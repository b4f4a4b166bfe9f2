package fabric

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/privatelink"
	"github.com/privlink/privlink/internal/providers/resources"
	"github.com/privlink/privlink/internal/store/memory"
)

// buildPrivateLink creates, through the real providers: a provider VNet
// prov (10.0.0.0/16: be, fe, nat, ips) with two backend NICs in pool
// "pool" of the internal Standard load balancer "LB-Int" (frontend fe at
// 10.0.2.10, rule https Tcp 443 → 80 with probe tcp80, an HA ports rule
// on frontend ha), a public load balancer "lb-pub" on public IP "pip-lb",
// an IP-based pool on load balancer "lb-ip", the private link service
// "PLS" (two NAT IPs, PROXY protocol), and a consumer VNet cons
// (10.0.0.0/16, overlapping) with endpoint pe-auto (automatic, Approved)
// and pe-manual (manual by alias, Pending) in subnet pe whose
// privateEndpointNetworkPolicies is Enabled.
func buildPrivateLink(t *testing.T) (*env, map[string]string) {
	t.Helper()
	st := memory.New()
	s := armtest.Start(t, armtest.Options{Store: st}, resources.Provider{}, network.Provider{}, loadbalancer.Provider{},
		privatedns.Provider{}, privatelink.Provider{})
	e := &env{t: t, s: s, st: st}
	e.must(http.MethodPut, rgPath, rgAPI, `{"location":"eastus"}`)
	sn := func(name, prefix string, extra map[string]any) map[string]any {
		p := map[string]any{"addressPrefix": prefix}
		for k, v := range extra {
			p[k] = v
		}
		return map[string]any{"name": name, "properties": p}
	}
	prov, cons := netPath("virtualNetworks", "prov"), netPath("virtualNetworks", "cons")
	e.must(http.MethodPut, prov, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}},
		"subnets": []any{sn("be", "10.0.0.0/24", nil), sn("fe", "10.0.2.0/24", nil),
			sn("nat", "10.0.3.0/24", map[string]any{"privateLinkServiceNetworkPolicies": "Disabled"}), sn("ips", "10.0.4.0/24", nil)},
	}})
	e.must(http.MethodPut, cons, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}},
		"subnets": []any{sn("default", "10.0.0.0/24", nil),
			sn("pe", "10.0.1.0/24", map[string]any{"privateEndpointNetworkPolicies": "Enabled"})},
	}})
	lbInt := netPath("loadBalancers", "LB-Int")
	ref := func(id string) map[string]any { return map[string]any{"id": id} }
	e.must(http.MethodPut, lbInt, netAPI, map[string]any{"location": "eastus", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{
			"frontendIPConfigurations": []any{
				map[string]any{"name": "fe", "properties": map[string]any{"subnet": ref(prov + "/subnets/fe"),
					"privateIPAddress": "10.0.2.10", "privateIPAllocationMethod": "Static"}},
				map[string]any{"name": "ha", "properties": map[string]any{"subnet": ref(prov + "/subnets/fe")}},
			},
			"backendAddressPools": []any{map[string]any{"name": "pool"}},
			"probes": []any{map[string]any{"name": "tcp80", "properties": map[string]any{"protocol": "Tcp", "port": 80,
				"intervalInSeconds": 5, "numberOfProbes": 3, "probeThreshold": 2}},
				map[string]any{"name": "http", "properties": map[string]any{"protocol": "Http", "port": 8080, "requestPath": "/healthz"}}},
			"loadBalancingRules": []any{
				map[string]any{"name": "https", "properties": map[string]any{"frontendIPConfiguration": ref(lbInt + "/frontendIPConfigurations/fe"),
					"backendAddressPool": ref(lbInt + "/backendAddressPools/pool"), "probe": ref(lbInt + "/probes/tcp80"),
					"protocol": "Tcp", "frontendPort": 443, "backendPort": 80, "enableFloatingIP": false, "idleTimeoutInMinutes": 10}},
				map[string]any{"name": "ha", "properties": map[string]any{"frontendIPConfiguration": ref(lbInt + "/frontendIPConfigurations/ha"),
					"backendAddressPool": ref(lbInt + "/backendAddressPools/pool"), "probe": ref(lbInt + "/probes/http"),
					"protocol": "All", "frontendPort": 0, "backendPort": 0, "loadDistribution": "SourceIP"}},
			},
		}})
	for _, n := range []string{"be2-nic", "be1-nic"} {
		e.must(http.MethodPut, netPath("networkInterfaces", n), netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
			"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
				"subnet": ref(prov + "/subnets/be"), "loadBalancerBackendAddressPools": []any{ref(lbInt + "/backendAddressPools/pool")}}}}}})
	}
	putRecord(t, st, vmRecord("be1", PowerRunning, "Succeeded", "be1", "be1-nic"))
	putRecord(t, st, vmRecord("be2", PowerRunning, "Succeeded", "be2", "be2-nic"))

	pip := netPath("publicIPAddresses", "pip-lb")
	e.must(http.MethodPut, pip, netAPI, map[string]any{"location": "eastus", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static"}})
	lbPub := netPath("loadBalancers", "lb-pub")
	e.must(http.MethodPut, lbPub, netAPI, map[string]any{"location": "eastus", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{
			"frontendIPConfigurations": []any{map[string]any{"name": "pub", "properties": map[string]any{"publicIPAddress": ref(pip)}}},
			"backendAddressPools":      []any{map[string]any{"name": "web"}},
			"loadBalancingRules": []any{map[string]any{"name": "http", "properties": map[string]any{
				"frontendIPConfiguration": ref(lbPub + "/frontendIPConfigurations/pub"), "backendAddressPool": ref(lbPub + "/backendAddressPools/web"),
				"protocol": "Tcp", "frontendPort": 80, "backendPort": 8080}}},
		}})
	lbIP := netPath("loadBalancers", "lb-ip")
	e.must(http.MethodPut, lbIP, netAPI, map[string]any{"location": "eastus", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{
			"frontendIPConfigurations": []any{map[string]any{"name": "fe", "properties": map[string]any{"subnet": ref(prov + "/subnets/ips")}}},
			"backendAddressPools": []any{map[string]any{"name": "ips", "properties": map[string]any{"loadBalancerBackendAddresses": []any{
				map[string]any{"name": "B", "properties": map[string]any{"ipAddress": "10.0.0.5", "virtualNetwork": ref(prov)}},
				map[string]any{"name": "a", "properties": map[string]any{"ipAddress": "10.0.0.4", "virtualNetwork": ref(prov)}},
			}}}},
		}})

	pls := netPath("privateLinkServices", "PLS")
	e.must(http.MethodPut, pls, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"loadBalancerFrontendIpConfigurations": []any{ref(lbInt + "/frontendIPConfigurations/fe")},
		"ipConfigurations": []any{
			map[string]any{"name": "nat-b", "properties": map[string]any{"subnet": ref(prov + "/subnets/nat"), "primary": false,
				"privateIPAddress": "10.0.3.9", "privateIPAllocationMethod": "Static"}},
			map[string]any{"name": "nat-a", "properties": map[string]any{"subnet": ref(prov + "/subnets/nat"), "primary": true,
				"privateIPAddress": "10.0.3.8", "privateIPAllocationMethod": "Static"}},
		},
		"visibility": map[string]any{"subscriptions": []string{"*"}}, "fqdns": []string{"app.contoso.internal"},
		"enableProxyProtocol": true,
	}})
	alias, _ := e.get(pls, netAPI)["properties"].(map[string]any)["alias"].(string)
	peAuto, peManual := netPath("privateEndpoints", "pe-auto"), netPath("privateEndpoints", "PE-Manual")
	e.must(http.MethodPut, peAuto, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"subnet":                        ref(cons + "/subnets/pe"),
		"privateLinkServiceConnections": []any{map[string]any{"name": "auto-conn", "properties": map[string]any{"privateLinkServiceId": pls}}},
	}})
	e.must(http.MethodPut, peManual, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"subnet": ref(cons + "/subnets/pe"),
		"manualPrivateLinkServiceConnections": []any{map[string]any{"name": "manual-conn", "properties": map[string]any{
			"privateLinkServiceId": alias, "requestMessage": "please"}}},
	}})
	return e, map[string]string{"prov": prov, "cons": cons, "lbInt": lbInt, "lbPub": lbPub, "lbIP": lbIP, "pip": pip,
		"pls": pls, "alias": alias, "peAuto": peAuto, "peManual": peManual}
}

func TestBuildLoadBalancingFromProviders(t *testing.T) {
	e, ids := buildPrivateLink(t)
	rev, recs := storedRecords(t, e.st)
	s, err := Build(rev, recs)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if len(s.LoadBalancers) != 3 || len(s.PrivateLinkServices) != 1 || len(s.PrivateEndpoints) != 2 {
		t.Fatalf("lbs %d services %d endpoints %d", len(s.LoadBalancers), len(s.PrivateLinkServices), len(s.PrivateEndpoints))
	}

	// The internal load balancer.
	lb := s.LoadBalancers[lower(ids["lbInt"])]
	if lb == nil || lb.Name != "LB-Int" || lb.SKU != "Standard" || !lb.Internal || len(lb.Frontends) != 2 || len(lb.Rules) != 2 || len(lb.Probes) != 2 {
		t.Fatalf("lb: %+v", lb)
	}
	if s.DisplayID(lower(ids["lbInt"])+"/frontendipconfigurations/fe") != ids["lbInt"]+"/frontendIPConfigurations/fe" {
		t.Errorf("display id of the frontend: %s", s.DisplayID(lower(ids["lbInt"])+"/frontendipconfigurations/fe"))
	}
	fe := lb.Frontends[0]
	prov := s.VNets[lower(ids["prov"])]
	if fe.ID != lower(ids["lbInt"])+"/frontendipconfigurations/fe" || fe.LB != lb || fe.Subnet != s.Subnets[lower(ids["prov"])+"/subnets/fe"] ||
		fe.PrivateIP != netip.MustParseAddr("10.0.2.10") || fe.PublicIP != nil || len(fe.Rules) != 1 || fe.Rules[0].Name != "https" {
		t.Fatalf("frontend: %+v", fe)
	}
	if s.FrontendIndex[prov.ID][fe.PrivateIP] != fe || s.FrontendIndex[prov.ID][lb.Frontends[1].PrivateIP] != lb.Frontends[1] {
		t.Fatalf("frontend index: %v", s.FrontendIndex)
	}
	https, ha := lb.Rules[0], lb.Rules[1]
	pool, tcp80 := lb.Pools[0], lb.Probes[0]
	if https.Frontend != fe || https.Pool != pool || https.Probe != tcp80 || https.Protocol != TCP || https.FrontendPort != 443 ||
		https.BackendPort != 80 || https.FloatingIP || https.IdleTimeoutMin != 10 || https.LoadDistribution != "Default" {
		t.Errorf("rule https: %+v", https)
	}
	if ha.Protocol != ProtoAny || ha.FrontendPort != 0 || ha.BackendPort != 0 || ha.Probe != lb.Probes[1] || ha.LoadDistribution != "SourceIP" ||
		ha.Frontend != lb.Frontends[1] || lb.Frontends[1].Rules[0] != ha {
		t.Errorf("rule ha: %+v", ha)
	}
	if tcp80.Protocol != "Tcp" || tcp80.Port != 80 || tcp80.IntervalSec != 5 || tcp80.Count != 2 {
		t.Errorf("probe tcp80: %+v", tcp80)
	}
	if hp := lb.Probes[1]; hp.Protocol != "Http" || hp.Path != "/healthz" || hp.IntervalSec != 15 || hp.Count != 1 {
		t.Errorf("probe http (defaults): %+v", hp)
	}
	// NIC memberships, sorted by key.
	be1 := s.NICs[lower(netPath("networkInterfaces", "be1-nic"))]
	be2 := s.NICs[lower(netPath("networkInterfaces", "be2-nic"))]
	if len(pool.Members) != 2 || pool.Members[0].IPConfig != be1.IPConfigs[0] || pool.Members[1].IPConfig != be2.IPConfigs[0] ||
		pool.Members[0].Key != be1.IPConfigs[0].ID || pool.Members[0].Addr != be1.IPConfigs[0].PrivateIP || pool.LB != lb {
		t.Fatalf("pool members: %+v", pool.Members)
	}
	if be1.Host == nil || be1.Host.Name != "be1" {
		t.Errorf("backend host: %+v", be1.Host)
	}

	// IP-based pool.
	ipPool := s.LoadBalancers[lower(ids["lbIP"])].Pools[0]
	if len(ipPool.Members) != 2 || ipPool.Members[0].Key != ipPool.ID+"/addresses/a" || ipPool.Members[1].Key != ipPool.ID+"/addresses/b" ||
		ipPool.Members[0].VNet != prov || ipPool.Members[0].Addr != netip.MustParseAddr("10.0.0.4") || ipPool.Members[0].IPConfig != nil {
		t.Fatalf("ip pool: %+v %+v", ipPool.Members[0], ipPool.Members[1])
	}

	// Public load balancer.
	pub := s.LoadBalancers[lower(ids["lbPub"])]
	pip := s.PublicIPs[lower(ids["pip"])]
	if pub.Internal || pub.Frontends[0].PublicIP != pip || pip.Frontend != pub.Frontends[0] || pip.IPConfig != nil || !pip.Addr.IsValid() ||
		s.PublicIPIndex[pip.Addr].Frontend != pub.Frontends[0] || len(pub.Pools[0].Members) != 0 {
		t.Fatalf("public lb: %+v pip %+v", pub, pip)
	}

	// The private link service.
	pls := s.PrivateLinkServices[lower(ids["pls"])]
	if pls == nil || pls.Name != "PLS" || pls.Alias != ids["alias"] || !strings.HasPrefix(pls.Alias, "PLS.") ||
		pls.Subscription != armtest.Subscription || !pls.ProxyProtocol || !slices.Equal(pls.Visibility, []string{"*"}) ||
		len(pls.AutoApproval) != 0 || !slices.Equal(pls.FQDNs, []string{"app.contoso.internal"}) ||
		len(pls.Frontends) != 1 || pls.Frontends[0] != fe || !slices.Contains(fe.Services, pls) {
		t.Fatalf("pls: %+v", pls)
	}
	if s.ServicesByAlias[strings.ToLower(pls.Alias)] != pls {
		t.Errorf("alias index: %v", s.ServicesByAlias)
	}
	if len(pls.NATIPs) != 2 || pls.NATIPs[0].PrivateIP != netip.MustParseAddr("10.0.3.8") || !pls.NATIPs[0].Primary ||
		pls.NATIPs[1].PrivateIP != netip.MustParseAddr("10.0.3.9") || pls.NATIPs[0].NIC.Service != pls ||
		s.IPConfigAt(prov, netip.MustParseAddr("10.0.3.8")) != pls.NATIPs[0] {
		t.Fatalf("NAT IPs: %+v", pls.NATIPs)
	}

	// The endpoints and both sides of their connections.
	cons := s.VNets[lower(ids["cons"])]
	peSubnet := s.Subnets[lower(ids["cons"])+"/subnets/pe"]
	if peSubnet.PrivateEndpointNetworkPolicies != "Enabled" || s.Subnets[lower(ids["cons"])+"/subnets/default"].PrivateEndpointNetworkPolicies != "Disabled" {
		t.Errorf("subnet policies: %q", peSubnet.PrivateEndpointNetworkPolicies)
	}
	auto := s.PrivateEndpoints[lower(ids["peAuto"])]
	manual := s.PrivateEndpoints[lower(ids["peManual"])]
	if auto == nil || manual == nil || manual.Name != "PE-Manual" {
		t.Fatalf("endpoints: %+v %+v", auto, manual)
	}
	for _, pe := range []*PrivateEndpoint{auto, manual} {
		if pe.Subnet != peSubnet || pe.NIC == nil || pe.NIC.PrivateEndpoint != pe || !peSubnet.Prefixes[0].Contains(pe.IP) ||
			s.IPConfigAt(cons, pe.IP) != pe.NIC.IPConfigs[0] || len(pe.Connections) != 1 || pe.Connections[0].Service != pls ||
			pe.Connections[0].LinkID == 0 {
			t.Fatalf("endpoint %s: %+v", pe.Name, pe)
		}
	}
	ac, mc := auto.Connections[0], manual.Connections[0]
	if ac.Name != "auto-conn" || ac.Manual || ac.Status != "Approved" || ac.TargetID != ids["pls"] {
		t.Errorf("automatic connection: %+v", ac)
	}
	if mc.Name != "manual-conn" || !mc.Manual || mc.Status != "Pending" || mc.Description != "please" && mc.Description != "Awaiting approval" ||
		mc.TargetID != ids["alias"] {
		t.Errorf("manual connection: %+v", mc)
	}
	if len(pls.Connections) != 2 {
		t.Fatalf("service connections: %+v", pls.Connections)
	}
	for _, c := range pls.Connections {
		pe := c.Endpoint
		if pe == nil || c.Service != pls || c.EndpointID != pe.ID || c.LinkID != pe.Connections[0].LinkID || c.Status != pe.Connections[0].Status {
			t.Errorf("service connection %s: %+v", c.Name, c)
		}
		if !strings.HasPrefix(c.ID, pls.ID+"/privateendpointconnections/") {
			t.Errorf("service connection id %s", c.ID)
		}
	}

	// The built-in hosts.
	if h := s.Hosts[PlatformHostID]; h == nil || h.Kind != KindPlatform || !h.Running || h.PublicAddr != AzurePlatformIP || len(h.NICs) != 0 {
		t.Errorf("platform host: %+v", h)
	}
}

// Approving, rejecting and removing connections show in the next
// snapshot; a deleted endpoint leaves no trace.
func TestBuildPrivateLinkChanges(t *testing.T) {
	e, ids := buildPrivateLink(t)
	build := func() *Snapshot {
		rev, recs := storedRecords(t, e.st)
		s, err := Build(rev, recs)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	connOf := func(s *Snapshot, peID string) (*PEConnection, *PLSConnection) {
		pe := s.PrivateEndpoints[lower(peID)]
		if pe == nil {
			return nil, nil
		}
		for _, c := range s.PrivateLinkServices[lower(ids["pls"])].Connections {
			if c.Endpoint == pe {
				return pe.Connections[0], c
			}
		}
		return pe.Connections[0], nil
	}
	_, owner := connOf(build(), ids["peManual"])
	if owner == nil {
		t.Fatal("no owner-side connection for the manual endpoint")
	}
	ownerPath := ids["pls"] + "/privateEndpointConnections/" + owner.Name
	e.must(http.MethodPut, ownerPath, netAPI, map[string]any{"properties": map[string]any{
		"privateLinkServiceConnectionState": map[string]any{"status": "Approved", "description": "ok by owner"}}})
	if c, o := connOf(build(), ids["peManual"]); c.Status != "Approved" || o.Status != "Approved" || o.Description != "ok by owner" {
		t.Fatalf("after approval: %+v %+v", c, o)
	}
	e.must(http.MethodPut, ownerPath, netAPI, map[string]any{"properties": map[string]any{
		"privateLinkServiceConnectionState": map[string]any{"status": "Rejected", "description": "no"}}})
	if c, o := connOf(build(), ids["peManual"]); c.Status != "Rejected" || o.Status != "Rejected" {
		t.Fatalf("after rejection: %+v %+v", c, o)
	}
	// Remove the automatic endpoint's connection on the owner side.
	_, autoOwner := connOf(build(), ids["peAuto"])
	e.must(http.MethodDelete, ids["pls"]+"/privateEndpointConnections/"+autoOwner.Name, netAPI, nil)
	s := build()
	if c, o := connOf(s, ids["peAuto"]); c.Status != "Disconnected" || o != nil {
		t.Fatalf("after removal: %+v %+v", c, o)
	}
	// Deleting the endpoint removes it and its NIC.
	e.must(http.MethodDelete, ids["peManual"], netAPI, nil)
	s = build()
	if len(s.PrivateEndpoints) != 1 || s.PrivateEndpoints[lower(ids["peManual"])] != nil {
		t.Fatalf("endpoints after delete: %v", s.PrivateEndpoints)
	}
	for _, n := range s.NICs {
		if strings.HasPrefix(n.Name, "PE-Manual.nic.") {
			t.Fatalf("endpoint NIC left: %s", n.ID)
		}
	}
}
