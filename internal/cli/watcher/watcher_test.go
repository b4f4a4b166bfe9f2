package watcher

import (
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const (
	rg       = "/subscriptions/{sub}/resourceGroups/rg"
	vmPath   = rg + "/providers/Microsoft.Compute/virtualMachines/vm1"
	nwPath   = "/subscriptions/{sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus"
	listPath = "/subscriptions/{sub}/providers/Microsoft.Network/networkWatchers"
)

func sub(p string) string { return strings.ReplaceAll(p, "{sub}", clitest.SubscriptionID) }

// action answers POST target/action with 202 + Location, then result.
func action(f *clitest.Fake, target, name string, result any) {
	loc := "/subscriptions/{sub}/providers/Microsoft.Network/locations/eastus/networkWatcherOperationResults/" + name
	f.Handle(http.MethodPost, target+"/"+name, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Location", f.URL(loc)+"?api-version="+APIVersion)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
	})
	f.JSON(http.MethodGet, loc, http.StatusOK, result)
}

func setup(t *testing.T) *clitest.Fake {
	f := clitest.New(t)
	f.JSON(http.MethodGet, vmPath, 200, map[string]any{"id": sub(vmPath), "name": "vm1", "location": "eastus"})
	f.JSON(http.MethodGet, listPath, 200, map[string]any{"value": []any{
		map[string]any{"id": sub(nwPath), "name": "NetworkWatcher_eastus", "location": "eastus",
			"properties": map[string]any{"provisioningState": "Succeeded"}},
	}})
	return f
}

func TestTestConnectivity(t *testing.T) {
	f := setup(t)
	action(f, nwPath, "connectivityCheck", map[string]any{"connectionStatus": "Reachable", "hops": []any{}})
	res := f.Run(Groups(), "network", "watcher", "test-connectivity", "-g", "rg", "--source-resource", "vm1",
		"--dest-address", "10.0.1.4", "--dest-port", "22", "--protocol", "tcp").Expect(t, 0)
	if res.Object(t)["connectionStatus"] != "Reachable" {
		t.Fatalf("output: %s", res.Stdout)
	}
	post := f.Last(http.MethodPost)
	body := post.JSON()
	src, _ := body["source"].(map[string]any)
	dst, _ := body["destination"].(map[string]any)
	if post.APIVersion() != APIVersion || src["resourceId"] != sub(vmPath) || dst["address"] != "10.0.1.4" ||
		dst["port"] != 22.0 || body["protocol"] != "Tcp" {
		t.Fatalf("request: %s %s", post.Path, post.Body)
	}
	if got := f.Find(http.MethodGet, vmPath); len(got) != 1 || got[0].APIVersion() != ComputeAPIVersion {
		t.Fatalf("VM lookup: %v", got)
	}

	res = f.Run(Groups(), "network", "watcher", "test-connectivity", "--source-resource", "vm1", "--dest-port", "22")
	res.Expect(t, 1)
	if !strings.Contains(res.Stderr, "usage error: --source-resource ID | --source-resource NAME --resource-group NAME") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
}

func TestWatcherNotEnabled(t *testing.T) {
	f := clitest.New(t)
	f.JSON(http.MethodGet, vmPath, 200, map[string]any{"id": sub(vmPath), "name": "vm1", "location": "westus"})
	f.JSON(http.MethodGet, listPath, 200, map[string]any{"value": []any{}})
	res := f.Run(Groups(), "network", "watcher", "show-next-hop", "-g", "rg", "--vm", "vm1",
		"--source-ip", "10.0.0.4", "--dest-ip", "10.0.1.4").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: network watcher is not enabled for region 'westus'.") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
}

func TestNextHopAndIPFlow(t *testing.T) {
	f := setup(t)
	action(f, nwPath, "nextHop", map[string]any{"nextHopType": "VnetLocal", "routeTableId": "System Route"})
	res := f.Run(Groups(), "network", "watcher", "show-next-hop", "-g", "rg", "--vm", "vm1",
		"--source-ip", "10.0.0.4", "--dest-ip", "10.0.1.4", "--nic", "nic1").Expect(t, 0)
	if res.Object(t)["nextHopType"] != "VnetLocal" {
		t.Fatalf("output: %s", res.Stdout)
	}
	body := f.Last(http.MethodPost).JSON()
	if body["targetResourceId"] != sub(vmPath) || body["sourceIPAddress"] != "10.0.0.4" ||
		body["targetNicResourceId"] != sub(rg+"/providers/Microsoft.Network/networkInterfaces/nic1") {
		t.Fatalf("nextHop request: %v", body)
	}

	action(f, nwPath, "ipFlowVerify", map[string]any{"access": "Deny", "ruleName": "securityRules/deny-443"})
	res = f.Run(Groups(), "network", "watcher", "test-ip-flow", "-g", "rg", "--vm", "vm1", "--direction", "outbound",
		"--protocol", "tcp", "--local", "10.0.0.4:*", "--remote", "10.0.1.4:443").Expect(t, 0)
	if res.Object(t)["access"] != "Deny" {
		t.Fatalf("output: %s", res.Stdout)
	}
	body = f.Last(http.MethodPost).JSON()
	if body["direction"] != "Outbound" || body["protocol"] != "TCP" || body["localPort"] != "*" ||
		body["remoteIPAddress"] != "10.0.1.4" || body["remotePort"] != "443" {
		t.Fatalf("ipFlowVerify request: %v", body)
	}
	res = f.Run(Groups(), "network", "watcher", "test-ip-flow", "-g", "rg", "--vm", "vm1", "--direction", "Inbound",
		"--protocol", "TCP", "--local", "10.0.0.4", "--remote", "10.0.1.4:443").Expect(t, 1)
	if !strings.Contains(res.Stderr, "usage error: the format of the '--local' and '--remote' should be like x.x.x.x:port") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
	f.Run(Groups(), "network", "watcher", "test-ip-flow", "-g", "rg", "--vm", "vm1", "--direction", "Up",
		"--protocol", "TCP", "--local", "10.0.0.4:22", "--remote", "10.0.1.4:443").Expect(t, 2)
}

func TestConfigureAndList(t *testing.T) {
	f := setup(t)
	westus := "/subscriptions/{sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus"
	f.JSON(http.MethodPut, westus, 201, map[string]any{"id": sub(westus), "location": "westus"})
	f.JSON(http.MethodPut, nwPath, 200, map[string]any{"id": sub(nwPath), "location": "eastus"})
	f.Run(Groups(), "network", "watcher", "configure", "-g", "NetworkWatcherRG", "-l", "eastus", "westus", "--enabled", "true").Expect(t, 0)
	puts := f.Find(http.MethodPut, westus)
	if len(puts) != 1 || puts[0].JSON()["location"] != "westus" {
		t.Fatalf("create: %v", f.Summary())
	}
	if len(f.Find(http.MethodPut, nwPath)) != 1 {
		t.Fatalf("update of the existing watcher: %v", f.Summary())
	}
	res := f.Run(Groups(), "network", "watcher", "configure", "-l", "westus", "--enabled").Expect(t, 1)
	if !strings.Contains(res.Stderr, "usage error: '--resource-group' required when enabling new regions") {
		t.Fatalf("stderr: %s", res.Stderr)
	}
	out := f.Run(Groups(), "network", "watcher", "list", "-o", "table").Expect(t, 0)
	if !strings.Contains(out.Stdout, "NetworkWatcher_eastus") || !strings.Contains(out.Stdout, "Succeeded") {
		t.Fatalf("table: %s", out.Stdout)
	}
}

func TestNICEffective(t *testing.T) {
	f := clitest.New(t)
	nic := rg + "/providers/Microsoft.Network/networkInterfaces/nic1"
	action(f, nic, "effectiveRouteTable", map[string]any{"value": []any{
		map[string]any{"source": "Default", "state": "Active", "addressPrefix": []any{"10.0.0.0/16"}, "nextHopType": "VnetLocal", "nextHopIpAddress": []any{}},
		map[string]any{"source": "User", "state": "Active", "addressPrefix": []any{"0.0.0.0/0"}, "nextHopType": "VirtualAppliance", "nextHopIpAddress": []any{"10.0.2.4"}},
	}})
	res := f.Run(Groups(), "network", "nic", "show-effective-route-table", "-g", "rg", "-n", "nic1", "-o", "table").Expect(t, 0)
	want := "Source    State    Address Prefix    Next Hop Type     Next Hop IP\n" +
		"--------  -------  ----------------  ----------------  -------------\n" +
		"Default   Active   10.0.0.0/16       VnetLocal\n" +
		"User      Active   0.0.0.0/0         VirtualAppliance  10.0.2.4\n"
	if res.Stdout != want {
		t.Fatalf("table:\n%q\nwant\n%q", res.Stdout, want)
	}
	obj := f.Run(Groups(), "network", "nic", "show-effective-route-table", "-g", "rg", "-n", "nic1").Expect(t, 0).Object(t)
	if _, ok := obj["nextLink"]; !ok {
		t.Fatalf("json: %v", obj)
	}
	action(f, nic, "effectiveNetworkSecurityGroups", map[string]any{"value": []any{map[string]any{
		"networkSecurityGroup": map[string]any{"id": "/x/networkSecurityGroups/nsg"},
		"association":          map[string]any{"subnet": map[string]any{"id": "/x/subnets/a"}},
		"effectiveSecurityRules": []any{
			map[string]any{"name": "securityRules/deny-443", "protocol": "Tcp", "direction": "Outbound", "access": "Deny"},
			map[string]any{"name": "defaultSecurityRules/AllowVnetInBound", "protocol": "All", "direction": "Inbound", "access": "Allow"},
		}}}})
	rows := transformEffectiveNSG(f.Run(Groups(), "network", "nic", "list-effective-nsg", "-g", "rg", "-n", "nic1").Expect(t, 0).Object(t)).([]any)
	first, second := rows[0].(map[string]any), rows[1].(map[string]any)
	if len(rows) != 2 || first["NIC"] != "-" || first["Subnet"] != "a" || first["NSG"] != "nsg" || second["NSG"] != " " ||
		second["Rule Name"] != "defaultSecurityRules/AllowVnetInBound" {
		t.Fatalf("rows: %v", rows)
	}
	if p := f.Last(http.MethodPost); p.APIVersion() != APIVersion || !strings.HasSuffix(p.Path, "/effectiveNetworkSecurityGroups") {
		t.Fatalf("request: %s", p.Path)
	}
}

// An on-premises site host (privlink's Privlink.OnPrem/sites/hosts) is a
// test-connectivity source: its region is its site's (a host has no
// location), read with the Privlink.OnPrem api-version, never as a VM.
func TestTestConnectivityFromSiteHost(t *testing.T) {
	f := setup(t)
	site := rg + "/providers/Privlink.OnPrem/sites/corp"
	host := site + "/hosts/laptop"
	westus := "/subscriptions/{sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westus"
	f.JSON(http.MethodGet, listPath, 200, map[string]any{"value": []any{
		map[string]any{"id": sub(nwPath), "name": "NetworkWatcher_eastus", "location": "eastus"},
		map[string]any{"id": sub(westus), "name": "NetworkWatcher_westus", "location": "westus"},
	}})
	f.JSON(http.MethodGet, host, 200, map[string]any{"id": sub(host), "name": "laptop", "type": siteHostType})
	f.JSON(http.MethodGet, site, 200, map[string]any{"id": sub(site), "name": "corp", "location": "westus"})
	action(f, westus, "connectivityCheck", map[string]any{"connectionStatus": "Unreachable", "hops": []any{}})
	res := f.Run(Groups(), "network", "watcher", "test-connectivity", "--source-resource", sub(host),
		"--dest-address", "aks.example", "--dest-port", "443").Expect(t, 0)
	if res.Object(t)["connectionStatus"] != "Unreachable" {
		t.Fatalf("output: %s", res.Stdout)
	}
	post := f.Last(http.MethodPost)
	src, _ := post.JSON()["source"].(map[string]any)
	if !strings.HasPrefix(post.Path, sub(westus)+"/") || src["resourceId"] != sub(host) {
		t.Fatalf("request: %s %s", post.Path, post.Body)
	}
	for _, p := range []string{host, site} {
		if got := f.Find(http.MethodGet, p); len(got) != 1 || got[0].APIVersion() != OnPremAPIVersion {
			t.Fatalf("GET %s: %v", p, got)
		}
	}

	// A host that does not exist: ARM's not-found error, no watcher call.
	missing := site + "/hosts/nope"
	f.JSON(http.MethodGet, missing, 404, map[string]any{"error": map[string]any{"code": "ResourceNotFound",
		"message": "The Resource 'Privlink.OnPrem/sites/corp/hosts/nope' under resource group 'rg' was not found."}})
	res = f.Run(Groups(), "network", "watcher", "test-connectivity", "--source-resource", sub(missing),
		"--dest-address", "10.0.1.4", "--dest-port", "443").Expect(t, 1)
	if !strings.Contains(res.Stderr, "(ResourceNotFound) The Resource 'Privlink.OnPrem/sites/corp/hosts/nope'") || len(f.Find(http.MethodPost, westus+"/connectivityCheck")) != 1 {
		t.Fatalf("missing host: %s", res.Stderr)
	}
}
