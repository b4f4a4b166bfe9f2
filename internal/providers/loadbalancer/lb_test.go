package loadbalancer_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
)

func TestGoldenCreateStandardSku(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnetlb", "10.0.0.0/16", "subnetlb=10.0.1.0/24")
	ex := loadExample(t, "LoadBalancerCreateStandardSku.json")
	lb := rid("rg1", "loadBalancers", "lb")
	r := f.s.Do(http.MethodPut, lb, api, ex.Parameters["parameters"])
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
	}
	if st := f.s.Wait(r); st != "Succeeded" {
		t.Fatalf("operation %s", st)
	}
	got := f.get(lb)
	checkSubset(t, ex.Responses["201"].Body, got, "etag", "resourceGuid")
	if dig(got, "sku", "tier") != "Regional" || !strings.HasPrefix(got["etag"].(string), `W/"`) {
		t.Fatalf("sku/etag: %v %v", got["sku"], got["etag"])
	}
	fe := dig(got, "properties", "frontendIPConfigurations", 0).(map[string]any)
	if fe["etag"] != got["etag"] || dig(fe, "properties", "privateIPAddressVersion") != "IPv4" {
		t.Fatalf("frontend: %v", fe)
	}
	// A PUT of the same body is an update (200).
	r = f.s.Do(http.MethodPut, lb, api, ex.Parameters["parameters"])
	if r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	checkSubset(t, ex.Responses["200"].Body, f.get(lb), "etag", "resourceGuid")

	// Sub-resources on their own, and their lists.
	for seg, name := range map[string]string{"frontendIPConfigurations": "fe-lb", "backendAddressPools": "be-lb",
		"loadBalancingRules": "rulelb", "probes": "PROBE-LB", "inboundNatRules": "in-nat-rule"} {
		one := f.s.Do(http.MethodGet, lb+"/"+seg+"/"+name, api, nil)
		if one.Status != http.StatusOK || one.Header.Get("ETag") == "" || !strings.EqualFold(one.JSON()["name"].(string), name) {
			t.Fatalf("GET %s/%s: %d %s", seg, name, one.Status, one.Body)
		}
		list := f.s.Do(http.MethodGet, lb+"/"+seg, api, nil)
		if list.Status != http.StatusOK || len(list.JSON()["value"].([]any)) != 1 {
			t.Fatalf("list %s: %d %s", seg, list.Status, list.Body)
		}
	}
	f.mustFail(http.MethodGet, lb+"/probes/nope", nil, http.StatusNotFound, "NotFound")
	f.mustFail(http.MethodGet, rid("rg1", "loadBalancers", "nope")+"/probes", nil, http.StatusNotFound, "ResourceNotFound")
	f.mustFail(http.MethodGet, lb+"/probes?api-version=1999-01-01&x=", nil, http.StatusBadRequest, "NoRegisteredProviderFound")

	// The subnet lists the frontend among its ip configurations.
	sn := f.get(rid("rg1", "virtualNetworks", "vnetlb") + "/subnets/subnetlb")
	ipcs, _ := dig(sn, "properties", "ipConfigurations").([]any)
	if len(ipcs) != 1 || dig(ipcs[0], "id") != lb+"/frontendIPConfigurations/fe-lb" {
		t.Fatalf("subnet ipConfigurations: %v", ipcs)
	}
	f.mustFail(http.MethodDelete, rid("rg1", "virtualNetworks", "vnetlb")+"/subnets/subnetlb", nil, http.StatusBadRequest, "InUseSubnetCannotBeDeleted")

	// Lists by group and subscription; PATCH tags.
	for _, p := range []string{"/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.Network/loadBalancers",
		"/subscriptions/" + sub + "/providers/Microsoft.Network/loadBalancers"} {
		if l := f.s.Do(http.MethodGet, p, api, nil); l.Status != http.StatusOK || len(l.JSON()["value"].([]any)) != 1 {
			t.Fatalf("list %s: %d %s", p, l.Status, l.Body)
		}
	}
	if r := f.s.Do(http.MethodPatch, lb, api, `{"tags":{"a":"b"}}`); r.Status != http.StatusOK || dig(r.JSON(), "tags", "a") != "b" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}

	// Delete releases the address.
	r = f.s.Do(http.MethodDelete, lb, api, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	if g := f.s.Do(http.MethodGet, lb, api, nil); g.Status != http.StatusNotFound {
		t.Fatalf("after delete: %d", g.Status)
	}
	var free bool
	if err := f.s.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) error {
		refs, err := tx.RefsTo(context.Background(), rid("rg1", "virtualNetworks", "vnetlb")+"/subnets/subnetlb")
		free = len(refs) == 0
		return err
	}); err != nil || !free {
		t.Fatalf("subnet still referenced after delete: %v", err)
	}
	lb2 := f.put(rid("rg1", "loadBalancers", "lb2"), internalLB("lb2", "10.0.1.4", rid("rg1", "virtualNetworks", "vnetlb")+"/subnets/subnetlb"))
	if ip := dig(lb2, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress"); ip != "10.0.1.4" {
		t.Fatalf("address not released: %v", ip)
	}
}

func TestGoldenGetBasic(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	ex := loadExample(t, "LoadBalancerGet.json")
	want := ex.Responses["200"].Body
	// The example is in westus.
	f.put(rid("rg1", "virtualNetworks", "vnetlb"), map[string]any{"location": "westus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}},
		"subnets":      []any{map[string]any{"name": "subnetlb", "properties": map[string]any{"addressPrefix": "10.0.1.0/24"}}}}})
	// The served body, read-only fields included, is a valid request.
	got := f.put(rid("rg1", "loadBalancers", "lb"), want)
	checkSubset(t, want, got, "etag", "resourceGuid")
}

func internalLB(name, ip, subnetID string) map[string]any {
	fe := map[string]any{"subnet": map[string]any{"id": subnetID}}
	if ip != "" {
		fe["privateIPAddress"] = ip
		fe["privateIPAllocationMethod"] = "Static"
	}
	return map[string]any{"location": loc, "sku": map[string]any{"name": "Standard"}, "properties": map[string]any{
		"frontendIPConfigurations": []any{map[string]any{"name": "fe", "properties": fe}},
		"backendAddressPools":      []any{map[string]any{"name": "pool"}},
	}}
}

func publicLB(sku string, pips ...string) map[string]any {
	var fes []any
	for i, p := range pips {
		fes = append(fes, map[string]any{"name": "fe" + string(rune('0'+i)), "properties": map[string]any{"publicIPAddress": map[string]any{"id": p}}})
	}
	return map[string]any{"location": loc, "sku": map[string]any{"name": sku}, "properties": map[string]any{
		"frontendIPConfigurations": fes, "backendAddressPools": []any{map[string]any{"name": "pool"}}}}
}

func TestFrontends(t *testing.T) {
	f := newFx(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.1.0.0/16", "a=10.1.0.0/24", "b=10.1.1.0/24")
	subA := rid("rg", "virtualNetworks", "vnet") + "/subnets/a"
	subB := rid("rg", "virtualNetworks", "vnet") + "/subnets/b"

	// Dynamic takes the next free address, static the one asked for.
	dyn := f.put(rid("rg", "loadBalancers", "dyn"), internalLB("dyn", "", subA))
	if dig(dyn, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress") != "10.1.0.4" ||
		dig(dyn, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAllocationMethod") != "Dynamic" {
		t.Fatalf("dynamic frontend: %v", dig(dyn, "properties", "frontendIPConfigurations"))
	}
	st := f.put(rid("rg", "loadBalancers", "st"), internalLB("st", "10.1.0.10", subA))
	if dig(st, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress") != "10.1.0.10" {
		t.Fatalf("static frontend: %v", dig(st, "properties", "frontendIPConfigurations"))
	}
	// The same address again, one outside the subnet, a reserved one.
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), internalLB("x", "10.1.0.10", subA), http.StatusBadRequest, "PrivateIPAddressIsAllocated")
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), internalLB("x", "10.1.5.10", subA), http.StatusBadRequest, "PrivateIPAddressNotInSubnet")
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), internalLB("x", "10.1.0.1", subA), http.StatusBadRequest, "PrivateIPAddressInReservedRange")
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), internalLB("x", "", rid("rg", "virtualNetworks", "vnet")+"/subnets/nope"), http.StatusBadRequest, "InvalidResourceReference")
	// An update keeps the address; moving the frontend frees it.
	again := f.put(rid("rg", "loadBalancers", "dyn"), internalLB("dyn", "", subA))
	if dig(again, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress") != "10.1.0.4" {
		t.Fatalf("update moved the address: %v", dig(again, "properties", "frontendIPConfigurations"))
	}
	f.put(rid("rg", "loadBalancers", "dyn"), internalLB("dyn", "", subB))
	f.put(rid("rg", "loadBalancers", "y"), internalLB("y", "10.1.0.4", subA))

	// Frontend shape errors.
	both := internalLB("x", "", subA)
	fe := dig(both, "properties", "frontendIPConfigurations", 0, "properties").(map[string]any)
	pipStd := f.publicIP("rg", "pip-std", "Standard")
	fe["publicIPAddress"] = map[string]any{"id": pipStd}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), both, http.StatusBadRequest, "FrontendIPConfigHasBothSubnetAndPublicIP")
	none := map[string]any{"location": loc, "properties": map[string]any{"frontendIPConfigurations": []any{map[string]any{"name": "fe"}}}}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), none, http.StatusBadRequest, "FrontendIPConfigHasNoSubnetOrPublicIP")
	mixed := publicLB("Standard", pipStd)
	fes := dig(mixed, "properties", "frontendIPConfigurations").([]any)
	dig(mixed, "properties").(map[string]any)["frontendIPConfigurations"] = append(fes,
		map[string]any{"name": "int", "properties": map[string]any{"subnet": map[string]any{"id": subA}}})
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), mixed, http.StatusBadRequest, "LoadBalancerCannotMixPublicAndPrivateFrontendIPConfigurations")
	dup := internalLB("x", "", subA)
	dig(dup, "properties").(map[string]any)["frontendIPConfigurations"] = append(dig(dup, "properties", "frontendIPConfigurations").([]any),
		map[string]any{"name": "FE", "properties": map[string]any{"subnet": map[string]any{"id": subA}}})
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), dup, http.StatusBadRequest, "DuplicateResourceName")

	// Public frontends: the sku must match, the public IP is held.
	pipBasic := f.publicIP("rg", "pip-basic", "")
	msg := f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), publicLB("Standard", pipBasic), http.StatusBadRequest, "PublicIPAndLBSkuDoNotMatch")
	if want := "Standard sku load balancer " + rid("rg", "loadBalancers", "x") + " cannot reference Basic sku publicIP " + pipBasic + "."; msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), publicLB("Basic", pipStd), http.StatusBadRequest, "PublicIPAndLBSkuDoNotMatch")
	pub := f.put(rid("rg", "loadBalancers", "pub"), publicLB("Standard", pipStd))
	feID := dig(pub, "properties", "frontendIPConfigurations", 0, "id")
	if dig(f.get(pipStd), "properties", "ipConfiguration", "id") != feID {
		t.Fatalf("public IP ipConfiguration: %v", f.get(pipStd)["properties"])
	}
	if dig(pub, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress") != nil {
		t.Fatalf("public frontend has a private address: %v", pub)
	}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), publicLB("Standard", pipStd), http.StatusBadRequest, "PublicIPAddressInUse")
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "x"), publicLB("Standard", pipStd, pipStd), http.StatusBadRequest, "PublicIPAddressInUse")
	nic := nicBody(subA)
	dig(nic, "properties", "ipConfigurations", 0, "properties").(map[string]any)["publicIPAddress"] = map[string]any{"id": pipStd}
	f.mustFail(http.MethodPut, rid("rg", "networkInterfaces", "n"), nic, http.StatusBadRequest, "PublicIPAddressInUse")
	f.mustFail(http.MethodDelete, pipStd, nil, http.StatusBadRequest, "PublicIPAddressCannotBeDeleted")
	// A Basic LB takes a Basic public IP.
	f.put(rid("rg", "loadBalancers", "basic"), publicLB("Basic", pipBasic))
	// The sku cannot change.
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "basic"), publicLB("Standard", pipBasic), http.StatusBadRequest, "CannotChangeLoadBalancerSku")
}

// ruleLB is an internal Standard LB with two frontends, two pools, a TCP
// and an HTTP probe, and the given rules and probes added.
func ruleLB(subnetID string, rules []any, probes []any) map[string]any {
	body := map[string]any{"location": loc, "sku": map[string]any{"name": "Standard"}, "properties": map[string]any{
		"frontendIPConfigurations": []any{
			map[string]any{"name": "fe1", "properties": map[string]any{"subnet": map[string]any{"id": subnetID}}},
			map[string]any{"name": "fe2", "properties": map[string]any{"subnet": map[string]any{"id": subnetID}}},
		},
		"backendAddressPools": []any{map[string]any{"name": "p1"}, map[string]any{"name": "p2"}},
		"probes": append([]any{
			map[string]any{"name": "tcp", "properties": map[string]any{"protocol": "Tcp", "port": 80}},
			map[string]any{"name": "http", "properties": map[string]any{"protocol": "Http", "port": 8080, "requestPath": "/healthz"}},
		}, probes...),
		"loadBalancingRules": rules,
	}}
	return body
}

func rule(name, fe, pool, proto string, fport, bport int, extra map[string]any) map[string]any {
	lbID := rid("rg", "loadBalancers", "lb")
	p := map[string]any{"frontendIPConfiguration": map[string]any{"id": lbID + "/frontendIPConfigurations/" + fe},
		"protocol": proto, "frontendPort": fport, "backendPort": bport}
	if pool != "" {
		p["backendAddressPool"] = map[string]any{"id": lbID + "/backendAddressPools/" + pool}
	}
	for k, v := range extra {
		p[k] = v
	}
	return map[string]any{"name": name, "properties": p}
}

func TestRulesAndProbes(t *testing.T) {
	f := newFx(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.2.0.0/16", "a=10.2.0.0/24")
	subA := rid("rg", "virtualNetworks", "vnet") + "/subnets/a"
	lbID := rid("rg", "loadBalancers", "lb")

	// Defaults and back-references.
	got := f.put(lbID, ruleLB(subA, []any{
		rule("r1", "fe1", "p1", "Tcp", 80, 8080, map[string]any{"probe": map[string]any{"id": lbID + "/probes/http"}}),
		rule("ha", "fe2", "p2", "All", 0, 0, nil),
	}, nil))
	r1 := dig(got, "properties", "loadBalancingRules", 0, "properties").(map[string]any)
	if r1["idleTimeoutInMinutes"] != 4.0 || r1["loadDistribution"] != "Default" || r1["enableFloatingIP"] != false || r1["enableTcpReset"] != false {
		t.Fatalf("rule defaults: %v", r1)
	}
	probe := dig(got, "properties", "probes", 0, "properties").(map[string]any)
	if probe["intervalInSeconds"] != 15.0 || probe["numberOfProbes"] != 2.0 || probe["probeThreshold"] != 1.0 {
		t.Fatalf("probe defaults: %v", probe)
	}
	if dig(got, "properties", "probes", 1, "properties", "loadBalancingRules", 0, "id") != lbID+"/loadBalancingRules/r1" ||
		dig(got, "properties", "backendAddressPools", 0, "properties", "loadBalancingRules", 0, "id") != lbID+"/loadBalancingRules/r1" ||
		dig(got, "properties", "frontendIPConfigurations", 1, "properties", "loadBalancingRules", 0, "id") != lbID+"/loadBalancingRules/ha" {
		t.Fatalf("back-references: %v", got["properties"])
	}

	cases := []struct {
		name   string
		rules  []any
		probes []any
		code   string
	}{
		{"same frontend, protocol and port", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, nil), rule("b", "fe1", "p2", "Tcp", 80, 81, nil)}, nil, "RulesUseSameFrontendIPConfigurationProtocolAndPort"},
		{"same backend port and pool without floating IP", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, nil), rule("b", "fe2", "p1", "Tcp", 81, 80, nil)}, nil, "RulesUseSameBackendPortProtocolAndPool"},
		{"frontend port out of range", []any{rule("a", "fe1", "p1", "Tcp", 65535, 80, nil)}, nil, "LoadBalancingRuleFrontendPortOutOfRange"},
		{"backend port out of range", []any{rule("a", "fe1", "p1", "Tcp", 80, 70000, nil)}, nil, "LoadBalancingRuleBackendPortOutOfRange"},
		{"idle timeout too long", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"idleTimeoutInMinutes": 31})}, nil, "LoadBalancingRuleIdleTimeoutOutOfRange"},
		{"idle timeout too short", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"idleTimeoutInMinutes": 3})}, nil, "LoadBalancingRuleIdleTimeoutOutOfRange"},
		{"unknown protocol", []any{rule("a", "fe1", "p1", "Icmp", 80, 80, nil)}, nil, "InvalidRequestFormat"},
		{"missing protocol", []any{rule("a", "fe1", "p1", "", 80, 80, nil)}, nil, "InvalidLoadBalancingRuleProtocol"},
		{"protocol All with a port", []any{rule("a", "fe1", "p1", "All", 80, 80, nil)}, nil, "ProtocolAllRequiresHaPorts"},
		{"port 0 with Tcp", []any{rule("a", "fe1", "p1", "Tcp", 0, 0, nil)}, nil, "ProtocolAllRequiresHaPorts"},
		{"unknown load distribution", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"loadDistribution": "Random"})}, nil, "InvalidRequestFormat"},
		{"missing frontend", []any{map[string]any{"name": "a", "properties": map[string]any{"protocol": "Tcp", "frontendPort": 80, "backendPort": 80}}}, nil, "LoadBalancingRuleMustReferenceFrontendIPConfiguration"},
		{"unknown frontend", []any{rule("a", "nope", "p1", "Tcp", 80, 80, nil)}, nil, "InvalidResourceReference"},
		{"unknown pool", []any{rule("a", "fe1", "nope", "Tcp", 80, 80, nil)}, nil, "InvalidResourceReference"},
		{"unknown probe", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"probe": map[string]any{"id": lbID + "/probes/nope"}})}, nil, "InvalidResourceReference"},
		{"probe of another load balancer", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"probe": map[string]any{"id": rid("rg", "loadBalancers", "other") + "/probes/tcp"}})}, nil, "InvalidResourceReference"},
		{"duplicate rule names", []any{rule("a", "fe1", "p1", "Tcp", 80, 80, nil), rule("A", "fe2", "p2", "Tcp", 80, 80, nil)}, nil, "DuplicateResourceName"},
		{"http probe without path", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Http", "port": 80}}}, "ProbeRequestPathRequired"},
		{"tcp probe with path", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Tcp", "port": 80, "requestPath": "/"}}}, "ProbeRequestPathNotAllowedForTcpProbe"},
		{"probe interval too small", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Tcp", "port": 80, "intervalInSeconds": 4}}}, "ProbeIntervalTooSmall"},
		{"probe port out of range", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Tcp", "port": 0}}}, "ProbePortOutOfRange"},
		{"probe without port", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Tcp"}}}, "InvalidRequestFormat"},
		{"unknown probe protocol", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Udp", "port": 80}}}, "InvalidRequestFormat"},
		{"probe with zero probes", nil, []any{map[string]any{"name": "h", "properties": map[string]any{"protocol": "Tcp", "port": 80, "numberOfProbes": 0}}}, "ProbeNumberOfProbesInvalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			f.mustFail(http.MethodPut, lbID, ruleLB(subA, c.rules, c.probes), http.StatusBadRequest, c.code)
		})
	}
	f.t = t
	// Floating IP lets two rules share a backend port and pool.
	f.put(lbID, ruleLB(subA, []any{
		rule("a", "fe1", "p1", "Tcp", 80, 80, map[string]any{"enableFloatingIP": true}),
		rule("b", "fe2", "p1", "Tcp", 80, 80, map[string]any{"enableFloatingIP": true}),
	}, nil))

	// HA ports are refused on public and Basic load balancers.
	pip := f.publicIP("rg", "pip", "Standard")
	pub := publicLB("Standard", pip)
	dig(pub, "properties").(map[string]any)["loadBalancingRules"] = []any{map[string]any{"name": "ha", "properties": map[string]any{
		"frontendIPConfiguration": map[string]any{"id": rid("rg", "loadBalancers", "pub") + "/frontendIPConfigurations/fe0"},
		"protocol":                "All", "frontendPort": 0, "backendPort": 0}}}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "pub"), pub, http.StatusBadRequest, "HaPortsRuleNotSupportedOnPublicOrBasicLoadBalancer")
	basic := ruleLB(subA, []any{rule("ha", "fe1", "p1", "All", 0, 0, nil)}, nil)
	basic["sku"] = map[string]any{"name": "Basic"}
	f.s.Wait(f.s.Do(http.MethodDelete, lbID, api, nil))
	f.mustFail(http.MethodPut, lbID, basic, http.StatusBadRequest, "HaPortsRuleNotSupportedOnPublicOrBasicLoadBalancer")
}

func TestBackendPoolMembership(t *testing.T) {
	f := newFx(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.3.0.0/16", "a=10.3.0.0/24")
	subA := rid("rg", "virtualNetworks", "vnet") + "/subnets/a"
	lbID := rid("rg", "loadBalancers", "lb")
	f.put(lbID, internalLB("lb", "", subA))
	pool := lbID + "/backendAddressPools/pool"

	nic := f.nic("rg", "nic1", subA, strings.ToUpper(pool[:20])+pool[20:])
	ipcID := rid("rg", "networkInterfaces", "nic1") + "/ipConfigurations/ipconfig1"
	if got := dig(nic, "properties", "ipConfigurations", 0, "properties", "loadBalancerBackendAddressPools", 0, "id"); got != pool {
		t.Fatalf("nic pool reference: %v", got)
	}
	lb := f.get(lbID)
	if dig(lb, "properties", "backendAddressPools", 0, "properties", "backendIPConfigurations", 0, "id") != ipcID {
		t.Fatalf("pool members: %v", dig(lb, "properties", "backendAddressPools"))
	}
	one := f.get(pool)
	if dig(one, "properties", "backendIPConfigurations", 0, "id") != ipcID {
		t.Fatalf("pool: %v", one)
	}
	// The stored record keeps Azure's shape without rendered membership.
	rec, err := f.s.Platform.Engine.GetRecord(context.Background(), lbID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadbalancer.DecodeLoadBalancer(rec)
	if err != nil || len(p.BackendAddressPools) != 1 || p.BackendAddressPools[0].ID != pool ||
		p.FrontendIPConfigurations[0].Properties.PrivateIPAddress != "10.3.0.4" {
		t.Fatalf("stored: %+v %v", p, err)
	}
	if err := f.s.Platform.Engine.Run(context.Background(), func(tx *arm.Txn) error {
		lbRec, fe, err := loadbalancer.FrontendByID(context.Background(), tx, lbID+"/frontendIPConfigurations/FE")
		if err != nil || lbRec == nil || fe == nil || !fe.IsInternal() || loadbalancer.DecodeSku(lbRec).Name != "Standard" {
			t.Fatalf("FrontendByID: %v %v %v", lbRec, fe, err)
		}
		lbRec, fe, err = loadbalancer.FrontendByID(context.Background(), tx, lbID+"/frontendIPConfigurations/nope")
		if err != nil || lbRec != nil || fe != nil {
			t.Fatalf("FrontendByID of a missing frontend: %v %v %v", lbRec, fe, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Unknown pools are refused.
	f.mustFail(http.MethodPut, rid("rg", "networkInterfaces", "nic2"), nicBody(subA, lbID+"/backendAddressPools/nope"), http.StatusBadRequest, "InvalidResourceReference")
	f.mustFail(http.MethodPut, rid("rg", "networkInterfaces", "nic2"), nicBody(subA, rid("rg", "loadBalancers", "nope")+"/backendAddressPools/pool"), http.StatusBadRequest, "InvalidResourceReference")
	f.mustFail(http.MethodPut, rid("rg", "networkInterfaces", "nic2"), nicBody(subA, lbID+"/probes/pool"), http.StatusBadRequest, "InvalidResourceReference")

	// Members keep the pool and the load balancer.
	f.mustFail(http.MethodDelete, lbID, nil, http.StatusBadRequest, "InUseLoadBalancerCannotBeDeleted")
	noPools := internalLB("lb", "", subA)
	dig(noPools, "properties").(map[string]any)["backendAddressPools"] = []any{}
	f.mustFail(http.MethodPut, lbID, noPools, http.StatusBadRequest, "InUseBackendAddressPoolCannotBeDeleted")
	f.mustFail(http.MethodDelete, pool, nil, http.StatusBadRequest, "InUseBackendAddressPoolCannotBeDeleted")
	// IP-based addresses cannot join a pool with members.
	withAddr := internalLB("lb", "", subA)
	dig(withAddr, "properties", "backendAddressPools", 0).(map[string]any)["properties"] = map[string]any{
		"loadBalancerBackendAddresses": []any{map[string]any{"name": "a1", "properties": map[string]any{
			"ipAddress": "10.3.0.50", "virtualNetwork": map[string]any{"id": rid("rg", "virtualNetworks", "vnet")}}}}}
	f.mustFail(http.MethodPut, lbID, withAddr, http.StatusBadRequest, "CannotMixIPBasedAddressesAndIPConfigurationsOnLoadBalancerBackendAddressPool")

	// Leaving the pool frees the load balancer.
	f.nic("rg", "nic1", subA)
	if got := dig(f.get(pool), "properties", "backendIPConfigurations"); got != nil {
		t.Fatalf("pool still has members: %v", got)
	}
	r := f.s.Do(http.MethodDelete, lbID, api, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
}

func TestIPBasedBackendsAndPoolEndpoint(t *testing.T) {
	f := newFx(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.4.0.0/16", "a=10.4.0.0/24")
	subA := rid("rg", "virtualNetworks", "vnet") + "/subnets/a"
	vnet := rid("rg", "virtualNetworks", "vnet")
	lbID := rid("rg", "loadBalancers", "lb")
	f.put(lbID, internalLB("lb", "", subA))

	addr := func(name, ip string) map[string]any {
		return map[string]any{"name": name, "properties": map[string]any{"ipAddress": ip, "virtualNetwork": map[string]any{"id": vnet}}}
	}
	poolBody := map[string]any{"properties": map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "10.4.0.10"), addr("a2", "10.4.0.11")}}}
	r := f.s.Do(http.MethodPut, lbID+"/backendAddressPools/ips", api, poolBody)
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("pool create: %d %v %s", r.Status, r.Header, r.Body)
	}
	if st := f.s.Wait(r); st != "Succeeded" {
		t.Fatalf("pool create: %s", st)
	}
	got := f.get(lbID + "/backendAddressPools/ips")
	if got["type"] != loadbalancer.BackendPoolType || len(dig(got, "properties", "loadBalancerBackendAddresses").([]any)) != 2 ||
		dig(got, "properties", "loadBalancerBackendAddresses", 1, "properties", "ipAddress") != "10.4.0.11" ||
		dig(got, "properties", "provisioningState") != "Succeeded" {
		t.Fatalf("pool: %v", got)
	}
	if l := f.get(lbID + "/backendAddressPools"); len(l["value"].([]any)) != 2 {
		t.Fatalf("pools: %v", l)
	}
	// Replacing the pool answers 200; the frontend keeps its address.
	r = f.s.Do(http.MethodPut, lbID+"/backendAddressPools/IPS", api, map[string]any{"properties": map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "10.4.0.12")}}})
	if r.Status != http.StatusOK {
		t.Fatalf("pool update: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	lb := f.get(lbID)
	if dig(lb, "properties", "frontendIPConfigurations", 0, "properties", "privateIPAddress") != "10.4.0.4" ||
		dig(lb, "properties", "backendAddressPools", 1, "name") != "ips" {
		t.Fatalf("after pool update: %v", lb["properties"])
	}

	// Errors.
	f.mustFail(http.MethodPut, lbID+"/backendAddressPools/bad", map[string]any{"properties": map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "192.168.0.1")}}}, http.StatusBadRequest, "InvalidLoadBalancerBackendAddress")
	f.mustFail(http.MethodPut, lbID+"/backendAddressPools/bad", map[string]any{"properties": map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "nope")}}}, http.StatusBadRequest, "InvalidLoadBalancerBackendAddress")
	f.mustFail(http.MethodPut, lbID+"/backendAddressPools/bad", map[string]any{"properties": map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "10.4.0.20"), addr("A1", "10.4.0.21")}}}, http.StatusBadRequest, "DuplicateResourceName")
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "nope")+"/backendAddressPools/p", map[string]any{}, http.StatusNotFound, "ResourceNotFound")
	f.mustFail(http.MethodPut, rid("rg", "networkInterfaces", "n"), nicBody(subA, lbID+"/backendAddressPools/ips"), http.StatusBadRequest, "CannotMixIPBasedAddressesAndIPConfigurationsOnLoadBalancerBackendAddressPool")
	pipB := f.publicIP("rg", "pipb", "")
	basic := publicLB("Basic", pipB)
	dig(basic, "properties", "backendAddressPools", 0).(map[string]any)["properties"] = map[string]any{"loadBalancerBackendAddresses": []any{addr("a1", "10.4.0.10")}}
	f.mustFail(http.MethodPut, rid("rg", "loadBalancers", "basic"), basic, http.StatusBadRequest, "BasicSkuLoadBalancerCannotHaveIPBasedBackendAddressPool")

	// Delete through the pool endpoint.
	r = f.s.Do(http.MethodDelete, lbID+"/backendAddressPools/ips", api, nil)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" {
		t.Fatalf("pool delete: %d %v %s", r.Status, r.Header, r.Body)
	}
	f.s.Wait(r)
	f.mustFail(http.MethodGet, lbID+"/backendAddressPools/ips", nil, http.StatusNotFound, "NotFound")
	if r := f.s.Do(http.MethodDelete, lbID+"/backendAddressPools/ips", api, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete of a missing pool: %d", r.Status)
	}
}
