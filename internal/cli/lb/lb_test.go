package lb_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/lb"
)

const lbPath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/mylb"

func lbID() string {
	return strings.ReplaceAll(lbPath, "{sub}", clitest.SubscriptionID)
}

// echo answers PUTs with the body, as a service that accepted it would.
func echo(f *clitest.Fake, path string, store *map[string]any) {
	f.Handle(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"] = r.URL.Path
		*store = m
		clitest.WriteJSON(w, http.StatusOK, m)
	})
	f.Handle(http.MethodGet, path, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		if *store == nil {
			clitest.WriteJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "ResourceNotFound", "message": "not found"}})
			return
		}
		clitest.WriteJSON(w, http.StatusOK, *store)
	})
}

func TestCreateInternal(t *testing.T) {
	f := clitest.New(t)
	var stored map[string]any
	echo(f, lbPath, &stored)
	res := f.Run(lb.Groups(), "network", "lb", "create", "-g", "rg", "-n", "mylb", "-l", "eastus", "--sku", "Standard",
		"--vnet-name", "vnet", "--subnet", "default", "--private-ip-address", "10.0.0.10")
	res.Expect(t, 0)
	req := f.Last("PUT")
	if req.APIVersion() != "2022-05-01" {
		t.Fatalf("api-version %s", req.APIVersion())
	}
	body := req.JSON()
	props := body["properties"].(map[string]any)
	fe := props["frontendIPConfigurations"].([]any)[0].(map[string]any)
	fp := fe["properties"].(map[string]any)
	if fe["name"] != "LoadBalancerFrontEnd" || fp["privateIPAddress"] != "10.0.0.10" || fp["privateIPAllocationMethod"] != "Static" ||
		!strings.HasSuffix(fp["subnet"].(map[string]any)["id"].(string), "/virtualNetworks/vnet/subnets/default") {
		t.Fatalf("frontend: %v", fe)
	}
	if props["backendAddressPools"].([]any)[0].(map[string]any)["name"] != "mylbbepool" || body["sku"].(map[string]any)["name"] != "Standard" {
		t.Fatalf("body: %v", body)
	}
	out := res.Object(t)
	if _, ok := out["loadBalancer"].(map[string]any)["frontendIPConfigurations"]; !ok {
		t.Fatalf("output: %v", out)
	}
}

func TestCreatePublicCreatesPublicIP(t *testing.T) {
	f := clitest.New(t)
	var stored, pip map[string]any
	echo(f, lbPath, &stored)
	echo(f, "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/PublicIPmylb", &pip)
	res := f.Run(lb.Groups(), "network", "lb", "create", "-g", "rg", "-n", "mylb", "-l", "eastus", "--sku", "Standard")
	res.Expect(t, 0)
	if pip == nil || pip["sku"].(map[string]any)["name"] != "Standard" || pip["properties"].(map[string]any)["publicIPAllocationMethod"] != "Static" {
		t.Fatalf("public IP: %v", pip)
	}
	fp := stored["properties"].(map[string]any)["frontendIPConfigurations"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	if !strings.HasSuffix(fp["publicIPAddress"].(map[string]any)["id"].(string), "/publicIPAddresses/PublicIPmylb") {
		t.Fatalf("frontend: %v", fp)
	}
	// Without --sku az warns about the default.
	stored = nil
	res = f.Run(lb.Groups(), "network", "lb", "create", "-g", "rg", "-n", "mylb", "-l", "eastus", "--public-ip-address", "PublicIPmylb")
	res.Expect(t, 0)
	if !strings.Contains(res.Stderr, "default load balancer used for creation will be changed from Basic to Standard") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
}

func baseLB() map[string]any {
	id := lbID()
	return map[string]any{"id": id, "name": "mylb", "location": "eastus", "properties": map[string]any{
		"frontendIPConfigurations": []any{map[string]any{"name": "fe", "id": id + "/frontendIPConfigurations/fe", "properties": map[string]any{}}},
		"backendAddressPools":      []any{map[string]any{"name": "pool", "id": id + "/backendAddressPools/pool", "properties": map[string]any{}}},
		"probes":                   []any{},
		"loadBalancingRules":       []any{},
	}}
}

func TestRuleAndProbe(t *testing.T) {
	f := clitest.New(t)
	stored := baseLB()
	echo(f, lbPath, &stored)
	res := f.Run(lb.Groups(), "network", "lb", "probe", "create", "-g", "rg", "--lb-name", "mylb", "-n", "hp",
		"--protocol", "http", "--port", "80", "--path", "/healthz")
	res.Expect(t, 0)
	p := res.Object(t)
	if p["name"] != "hp" || p["protocol"] != "Http" || p["requestPath"] != "/healthz" || p["intervalInSeconds"] != 15.0 || p["numberOfProbes"] != 2.0 {
		t.Fatalf("probe output: %v", p)
	}
	res = f.Run(lb.Groups(), "network", "lb", "rule", "create", "-g", "rg", "--lb-name", "mylb", "-n", "r1",
		"--protocol", "Tcp", "--frontend-port", "80", "--backend-port", "8080", "--probe", "hp", "--floating-ip", "--idle-timeout", "10")
	res.Expect(t, 0)
	r := res.Object(t)
	if r["frontendPort"] != 80.0 || r["backendPort"] != 8080.0 || r["enableFloatingIP"] != true || r["idleTimeoutInMinutes"] != 10.0 ||
		r["frontendIPConfiguration"].(map[string]any)["id"] != lbID()+"/frontendIPConfigurations/fe" ||
		r["backendAddressPool"].(map[string]any)["id"] != lbID()+"/backendAddressPools/pool" ||
		r["probe"].(map[string]any)["id"] != lbID()+"/probes/hp" || r["loadDistribution"] != "Default" {
		t.Fatalf("rule output: %v", r)
	}
	res = f.Run(lb.Groups(), "network", "lb", "rule", "update", "-g", "rg", "--lb-name", "mylb", "-n", "r1", "--backend-port", "9090")
	res.Expect(t, 0)
	if res.Object(t)["backendPort"] != 9090.0 || res.Object(t)["frontendPort"] != 80.0 {
		t.Fatalf("rule update: %v", res.Object(t))
	}
	res = f.Run(lb.Groups(), "network", "lb", "rule", "delete", "-g", "rg", "--lb-name", "mylb", "-n", "r1")
	res.Expect(t, 0)
	if l := stored["properties"].(map[string]any)["loadBalancingRules"].([]any); len(l) != 0 {
		t.Fatalf("rules after delete: %v", l)
	}
	f.Run(lb.Groups(), "network", "lb", "rule", "create", "-g", "rg", "--lb-name", "mylb", "-n", "r1").Expect(t, 2)
}

func TestAddressPoolAndNIC(t *testing.T) {
	f := clitest.New(t)
	var pool map[string]any
	poolPath := lbPath + "/backendAddressPools/ips"
	echo(f, poolPath, &pool)
	res := f.Run(lb.Groups(), "network", "lb", "address-pool", "create", "-g", "rg", "--lb-name", "mylb", "-n", "ips",
		"--vnet", "vnet", "--backend-address", "name=a1", "ip-address=10.0.0.5")
	res.Expect(t, 0)
	addrs := pool["properties"].(map[string]any)["loadBalancerBackendAddresses"].([]any)
	ap := addrs[0].(map[string]any)["properties"].(map[string]any)
	if addrs[0].(map[string]any)["name"] != "a1" || ap["ipAddress"] != "10.0.0.5" || !strings.HasSuffix(ap["virtualNetwork"].(map[string]any)["id"].(string), "/virtualNetworks/vnet") {
		t.Fatalf("pool body: %v", pool)
	}
	res = f.Run(lb.Groups(), "network", "lb", "address-pool", "address", "add", "-g", "rg", "--lb-name", "mylb", "--pool-name", "ips",
		"-n", "a2", "--ip-address", "10.0.0.6", "--vnet", "vnet")
	res.Expect(t, 0)
	if n := len(res.Object(t)["loadBalancerBackendAddresses"].([]any)); n != 2 {
		t.Fatalf("addresses: %d", n)
	}
	f.Run(lb.Groups(), "network", "lb", "address-pool", "address", "remove", "-g", "rg", "--lb-name", "mylb", "--pool-name", "ips", "-n", "a1").Expect(t, 0)
	list := f.Run(lb.Groups(), "network", "lb", "address-pool", "address", "list", "-g", "rg", "--lb-name", "mylb", "--pool-name", "ips")
	list.Expect(t, 0)
	if l := list.List(t); len(l) != 1 || l[0].(map[string]any)["name"] != "a2" || l[0].(map[string]any)["ipAddress"] != "10.0.0.6" {
		t.Fatalf("address list: %v", l)
	}

	nicPath := "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic"
	nic := map[string]any{"name": "nic", "location": "eastus", "properties": map[string]any{"ipConfigurations": []any{
		map[string]any{"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": "/x"}}}}}}
	echo(f, nicPath, &nic)
	res = f.Run(lb.Groups(), "network", "nic", "ip-config", "address-pool", "add", "-g", "rg", "--nic-name", "nic", "-n", "ipconfig1",
		"--lb-name", "mylb", "--address-pool", "pool")
	res.Expect(t, 0)
	if f.Last("PUT").APIVersion() != "2022-01-01" {
		t.Fatalf("nic api-version %s", f.Last("PUT").APIVersion())
	}
	pools := res.Object(t)["loadBalancerBackendAddressPools"].([]any)
	if len(pools) != 1 || pools[0].(map[string]any)["id"] != lbID()+"/backendAddressPools/pool" {
		t.Fatalf("ip config: %v", res.Object(t))
	}
	res = f.Run(lb.Groups(), "network", "nic", "ip-config", "address-pool", "remove", "-g", "rg", "--nic-name", "nic", "-n", "ipconfig1",
		"--lb-name", "mylb", "--address-pool", "pool")
	res.Expect(t, 0)
	if pools := res.Object(t)["loadBalancerBackendAddressPools"].([]any); len(pools) != 0 {
		t.Fatalf("after remove: %v", pools)
	}
}
