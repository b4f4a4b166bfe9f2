package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/providers/hybridcompute"
)

// TestArcPrivateLink runs seed 002's setup in process: an Arc private
// link scope that disallows public access, a private endpoint to it with
// a zone group in the three privatelink zones linked to the cluster's
// VNet, and a connected cluster whose agents run on a VM of that VNet
// (the position a real AKS node would give them). The agents connect
// privately; without the zone group their names resolve publicly and
// the cluster goes Offline saying so.
func TestArcPrivateLink(t *testing.T) {
	ArcAgentInterval = 200 * time.Millisecond
	cfg := config.Default()
	cfg.Listen, cfg.SOCKSListen, cfg.HTTPProxyListen = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Store = "memory"
	cfg.RegistrationDelay = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.Stop(context.Background()) }()
	iss, err := auth.NewIssuer(cfg.DataDir, d.Identity.TenantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newInProcessARM(d.Platform.Server, iss, d.Endpoint(), uuid.NewString(), "arc-test")
	if err != nil {
		t.Fatal(err)
	}
	sub := d.Identity.SubscriptionID
	rg := "/subscriptions/" + sub + "/resourceGroups/arc"
	put := func(path, api string, body any) map[string]any {
		t.Helper()
		out, err := c.Put(ctx, path, api, body, false)
		if err != nil {
			t.Fatalf("PUT %s: %v", path, err)
		}
		m, _ := out.(map[string]any)
		return m
	}
	const netAPI, dnsAPI = "2022-05-01", "2020-06-01"
	put(rg, "2021-04-01", map[string]any{"location": "eastus"})
	vnet := rg + "/providers/Microsoft.Network/virtualNetworks/onprem"
	subnet := vnet + "/subnets/nodes"
	put(vnet, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}},
		"subnets":      []any{map[string]any{"name": "nodes", "properties": map[string]any{"addressPrefix": "10.1.0.0/24"}}},
	}})
	nic := rg + "/providers/Microsoft.Network/networkInterfaces/node-nic"
	put(nic, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{"ipConfigurations": []any{
		map[string]any{"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": subnet}}}}}})
	vm := rg + "/providers/Microsoft.Compute/virtualMachines/node"
	put(vm, "2022-11-01", map[string]any{"location": "eastus", "properties": map[string]any{
		"hardwareProfile": map[string]any{"vmSize": "Standard_B2s"},
		"storageProfile": map[string]any{"imageReference": map[string]any{
			"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}},
		"osProfile":      map[string]any{"computerName": "node", "adminUsername": "azureuser", "adminPassword": "Arc-Test-Passw0rd!"},
		"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic}}},
	}})
	server := "https://arc-test-cluster.example:6443"
	r := d.arc()
	r.mu.Lock()
	r.position = func(_ context.Context, s string) (string, bool) {
		return strings.ToLower(vm), s == server
	}
	r.mu.Unlock()

	scope := rg + "/providers/Microsoft.HybridCompute/privateLinkScopes/arc-scope"
	sc := put(scope, "2024-07-10", map[string]any{"location": "eastus", "properties": map[string]any{"publicNetworkAccess": "Disabled"}})
	if arm.DigString(sc, "properties", "provisioningState") != "Succeeded" || arm.DigString(sc, "properties", "privateLinkScopeId") == "" {
		t.Fatalf("scope = %v", sc)
	}
	if err := d.fabric.sync(ctx); err != nil {
		t.Fatal(err)
	}
	if recs := d.fabric.watcher.Current().PublicRecords["gbl.his.arc.azure.com"]; len(recs) == 0 {
		t.Fatal("the fabric does not publish Arc's public names")
	}

	pe := rg + "/providers/Microsoft.Network/privateEndpoints/arc-pe"
	pep := put(pe, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"subnet": map[string]any{"id": subnet},
		"privateLinkServiceConnections": []any{map[string]any{"name": "arc-conn", "properties": map[string]any{
			"privateLinkServiceId": scope, "groupIds": []string{"hybridcompute"}}}},
	}})
	if got := arm.DigString(pep, "properties", "privateLinkServiceConnections", 0, "properties", "privateLinkServiceId"); got != scope {
		t.Errorf("privateLinkServiceId = %q, want the scope", got)
	}
	dns, _ := arm.Dig(pep, "properties", "customDnsConfigs").([]any)
	if len(dns) != 6 {
		t.Fatalf("customDnsConfigs = %v, want one per Arc name", dns)
	}
	var configs []any
	for _, z := range hybridcompute.RequiredZoneNames {
		zone := rg + "/providers/Microsoft.Network/privateDnsZones/" + z
		put(zone, dnsAPI, map[string]any{"location": "global"})
		put(zone+"/virtualNetworkLinks/onprem", dnsAPI, map[string]any{"location": "global", "properties": map[string]any{
			"virtualNetwork": map[string]any{"id": vnet}, "registrationEnabled": false}})
		configs = append(configs, map[string]any{"name": strings.ReplaceAll(z, ".", "-"), "properties": map[string]any{"privateDnsZoneId": zone}})
	}
	zg := pe + "/privateDnsZoneGroups/default"
	put(zg, netAPI, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": configs}})

	cluster := rg + "/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster"
	put(cluster, "2024-07-15-preview", map[string]any{"location": "eastus", "identity": map[string]any{"type": "SystemAssigned"},
		"properties": map[string]any{"agentPublicKeyCertificate": "MIIBCgKCAQEA", "privateLinkState": "Enabled",
			"privateLinkScopeResourceId": scope, "privlinkKubeApiServer": server}})

	waitStatus := func(want string) map[string]any {
		t.Helper()
		var last map[string]any
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			m, err := c.GetObject(ctx, cluster, "2024-07-15-preview", nil)
			if err != nil {
				t.Fatal(err)
			}
			last = m
			if arm.DigString(m, "properties", "connectivityStatus") == want {
				return m
			}
		}
		t.Fatalf("connectivityStatus never became %s: %v", want, last["properties"])
		return nil
	}
	m := waitStatus("Connected")
	if arm.DigString(m, "properties", "lastConnectivityTime") == "" || arm.DigString(m, "properties", "agentVersion") == "" {
		t.Errorf("connected cluster = %v", m["properties"])
	}

	// Seed 002's NSG: outbound 443 to the four service tags, nothing else
	// to the internet.
	nsg := rg + "/providers/Microsoft.Network/networkSecurityGroups/nodes-nsg"
	rule := func(name, tag string, prio int) map[string]any {
		return map[string]any{"name": name, "properties": map[string]any{"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefix": "VirtualNetwork",
			"destinationAddressPrefix": tag, "destinationPortRange": "443", "access": "Allow", "priority": prio, "direction": "Outbound"}}
	}
	deny := map[string]any{"name": "DenyInternet", "properties": map[string]any{"protocol": "*", "sourcePortRange": "*", "sourceAddressPrefix": "*",
		"destinationAddressPrefix": "Internet", "destinationPortRange": "*", "access": "Deny", "priority": 4000, "direction": "Outbound"}}
	rules := []any{rule("AllowAADOutboundAccess", "AzureActiveDirectory", 150), rule("AllowAzOutboundAccess", "AzureResourceManager", 151),
		rule("AllowAzureFrontDoorFirstPartyAccess", "AzureFrontDoor.FirstParty", 152), rule("AllowMCROutboundAccess", "MicrosoftContainerRegistry", 153), deny}
	put(nsg, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{"securityRules": rules}})
	put(vnet, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.1.0.0/16"}},
		"subnets": []any{map[string]any{"name": "nodes", "properties": map[string]any{"addressPrefix": "10.1.0.0/24",
			"networkSecurityGroup": map[string]any{"id": nsg}}}},
	}})
	time.Sleep(3 * ArcAgentInterval)
	waitStatus("Connected")
	put(nsg, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{"securityRules": rules[1:]}})
	m = waitStatus("Offline")
	if reason := arm.DigString(m, "properties", "privlinkConnectivityReason"); !strings.Contains(reason, "login.microsoftonline.com resolved to") ||
		!strings.Contains(reason, "DenyInternet") {
		t.Errorf("reason without the Entra ID rule = %q", reason)
	}
	put(nsg, netAPI, map[string]any{"location": "eastus", "properties": map[string]any{"securityRules": rules}})
	waitStatus("Connected")
	// Without the NSG the subnet reaches the internet (the public paths
	// below).
	if got := arm.Dig(put(subnet, netAPI, map[string]any{"properties": map[string]any{"addressPrefix": "10.1.0.0/24"}}), "properties", "networkSecurityGroup"); got != nil {
		t.Fatalf("subnet still has NSG %v", got)
	}

	// A cluster without private link on the same network: its requests
	// arrive through the scope's endpoint, which Arc refuses (private and
	// public Arc resources cannot share a VNet or DNS zone).
	public := rg + "/providers/Microsoft.Kubernetes/connectedClusters/public-cluster"
	put(public, "2024-07-15-preview", map[string]any{"location": "eastus", "identity": map[string]any{"type": "SystemAssigned"},
		"properties": map[string]any{"agentPublicKeyCertificate": "MIIBCgKCAQEA", "privlinkKubeApiServer": server}})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		m, err := c.GetObject(ctx, public, "2024-07-15-preview", nil)
		if err != nil {
			t.Fatal(err)
		}
		reason := arm.DigString(m, "properties", "privlinkConnectivityReason")
		if strings.Contains(reason, "(private); the service answered 403 PrivateLinkNotEnabled") &&
			arm.DigString(m, "properties", "connectivityStatus") == "Connecting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("public cluster behind a scope endpoint: %v", m["properties"])
		}
	}
	if err := c.Delete(ctx, public, "2024-07-15-preview", false); err != nil {
		t.Fatal(err)
	}

	if err := c.Delete(ctx, zg, netAPI, false); err != nil {
		t.Fatal(err)
	}
	// The zones are still linked: the privatelink names have no record
	// (NXDOMAIN, as in Azure; NODATA for a name at a zone's apex, such as
	// privatelink.dp.kubernetesconfiguration.azure.com).
	m = waitStatus("Offline")
	if reason := arm.DigString(m, "properties", "privlinkConnectivityReason"); !strings.Contains(reason, "did not resolve") ||
		!strings.Contains(reason, "NXDOMAIN") && !strings.Contains(reason, "NODATA") {
		t.Errorf("reason without the zone group = %q", reason)
	}
	// Without the links the names resolve publicly, which the scope refuses.
	for _, z := range hybridcompute.RequiredZoneNames {
		if err := c.Delete(ctx, rg+"/providers/Microsoft.Network/privateDnsZones/"+z+"/virtualNetworkLinks/onprem", dnsAPI, false); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := c.GetObject(ctx, cluster, "2024-07-15-preview", nil)
		if err != nil {
			t.Fatal(err)
		}
		reason := arm.DigString(m, "properties", "privlinkConnectivityReason")
		if strings.Contains(reason, "(public)") && strings.Contains(reason, "403 PublicNetworkAccessDisabled") &&
			strings.Contains(reason, "arc-scope disallows public network access") &&
			arm.DigString(m, "properties", "connectivityStatus") == "Offline" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reason without the links = %q", reason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A scope that allows public access lets the agents in publicly.
	put(scope, "2024-07-10", map[string]any{"location": "eastus", "properties": map[string]any{"publicNetworkAccess": "Enabled"}})
	m = waitStatus("Connected")
	if reason := arm.DigString(m, "properties", "privlinkConnectivityReason"); reason != "" {
		t.Errorf("reason when connected = %q", reason)
	}
}

// TestProxyConnLinkID: the service reads the PROXY protocol v2 header of
// the private link path (LinkID TLV 0xEE) and passes the rest through;
// a connection without one is the public path.
func TestProxyConnLinkID(t *testing.T) {
	hdr := append([]byte(nil), proxyV2Sig...)
	hdr = append(hdr, 0x21, 0x11)                                    // v2 PROXY, TCP over IPv4
	body := []byte{10, 1, 0, 4, 10, 1, 0, 9, 0xc3, 0x50, 0x01, 0xbb} // addresses and ports
	body = append(body, 0xEE, 0x00, 0x05, 0x01, 0x78, 0x56, 0x34, 0x12)
	hdr = append(hdr, byte(len(body)>>8), byte(len(body)))
	hdr = append(hdr, body...)
	for _, tc := range []struct {
		name   string
		input  []byte
		viaPLS bool
		link   uint32
	}{
		{"private link", append(append([]byte(nil), hdr...), "GET / HTTP/1.1\r\n"...), true, 0x12345678},
		{"public", []byte("GET / HTTP/1.1\r\n"), false, 0},
	} {
		a, b := net.Pipe()
		go func() { _, _ = a.Write(tc.input); _ = a.Close() }()
		pc := &proxyConn{Conn: b}
		got, err := io.ReadAll(pc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != "GET / HTTP/1.1\r\n" || pc.viaPLS != tc.viaPLS || pc.linkID != tc.link {
			t.Errorf("%s: payload %q viaPLS %v link %#x", tc.name, got, pc.viaPLS, pc.linkID)
		}
	}
}

func TestClusterKeysAndPaths(t *testing.T) {
	id := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/c1"
	for key, want := range map[string]bool{
		"/r" + strings.ToLower(id):                   true,
		"/r" + strings.ToLower(id) + "/extensions/x": false,
		"/r/subscriptions/s/resourcegroups/rg":       false,
		"/meta/identity":                             false,
	} {
		if clusterKey(key) != want {
			t.Errorf("clusterKey(%q) = %v", key, !want)
		}
	}
	if got := clusterIDOf(strings.ToLower(id) + "/agentHeartbeat"); !strings.EqualFold(got, id) {
		t.Errorf("clusterIDOf = %q", got)
	}
	if got := clusterIDOf("/agentHeartbeat"); got != "" {
		t.Errorf("clusterIDOf without a cluster = %q", got)
	}
}
