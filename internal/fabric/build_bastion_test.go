package fabric_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
	"github.com/privlink/privlink/internal/providers/bastion"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
)

const bastionAPI = "2025-01-01"

var bastionRG = "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"

func bnet(typ, name string) string {
	return bastionRG + "/providers/Microsoft.Network/" + typ + "/" + name
}

type bastionEnv struct {
	t  *testing.T
	s  *armtest.Server
	st store.Store
}

func (e *bastionEnv) must(method, p string, body any) {
	e.t.Helper()
	api := bastionAPI
	if strings.HasSuffix(p, "/resourceGroups/rg") {
		api = "2021-04-01"
	}
	r := e.s.Do(method, p, api, body)
	if r.Status >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, p, r.Status, r.Body)
	}
	if st := e.s.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, p, st)
	}
}

func (e *bastionEnv) vnet(name, space, subnetName, prefix string, more ...string) {
	subnets := []any{map[string]any{"name": subnetName, "properties": map[string]any{"addressPrefix": prefix}}}
	for i := 0; i+1 < len(more); i += 2 {
		subnets = append(subnets, map[string]any{"name": more[i], "properties": map[string]any{"addressPrefix": more[i+1]}})
	}
	e.must(http.MethodPut, bnet("virtualNetworks", name), map[string]any{"location": "westus2", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{space}}, "subnets": subnets}})
}

func (e *bastionEnv) peer(a, b string) {
	e.must(http.MethodPut, bnet("virtualNetworks", a)+"/virtualNetworkPeerings/"+a+"-"+b, map[string]any{"properties": map[string]any{
		"remoteVirtualNetwork": map[string]any{"id": bnet("virtualNetworks", b)}, "allowVirtualNetworkAccess": true}})
}

// vm creates a NIC in vnet/subnet and stores a running VM record using it.
func (e *bastionEnv) vm(name, vnet, subnet string) {
	e.t.Helper()
	nic := bnet("networkInterfaces", name+"-nic")
	e.must(http.MethodPut, nic, map[string]any{"location": "westus2", "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
			"subnet": map[string]any{"id": bnet("virtualNetworks", vnet) + "/subnets/" + subnet}}}}}})
	id := bastionRG + "/providers/Microsoft.Compute/virtualMachines/" + name
	props, _ := json.Marshal(map[string]any{"networkProfile": map[string]any{"networkInterfaces": []any{
		map[string]any{"id": nic, "properties": map[string]any{"primary": true}}}}, "osProfile": map[string]any{"computerName": name}})
	rec := &arm.Record{Resource: arm.Resource{ID: id, Name: name, Type: "Microsoft.Compute/virtualMachines", Location: "westus2", Properties: props},
		State: arm.StateSucceeded, Generation: 1, Created: time.Now().UTC(), Internal: json.RawMessage(`{"powerState":"PowerState/running"}`)}
	b, _ := json.Marshal(rec)
	if _, err := e.st.Txn(context.Background(), store.Op{Kind: store.OpPut, Key: arm.KeyOf(id), Value: b}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *bastionEnv) snapshot() *fabric.Snapshot {
	e.t.Helper()
	res, err := e.st.List(context.Background(), fabric.WatchPrefix, store.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var recs []*arm.Record
	for _, kv := range res.KVs {
		var r arm.Record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			e.t.Fatal(err)
		}
		recs = append(recs, &r)
	}
	s, err := fabric.Build(res.Revision, recs)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// TestBastionPaths builds, through the real providers: hub (10.1.0.0/16,
// AzureBastionSubnet 10.1.1.0/26 holding bastion "bas" with 2 instances,
// jump 10.1.0.0/24 with VM jump), spoke (10.2.0.0/16, VM app) peered
// with hub both ways, far (10.3.0.0/16, VM farvm) peered with spoke only.
func TestBastionPaths(t *testing.T) {
	st := memory.New()
	e := &bastionEnv{t: t, st: st, s: armtest.Start(t, armtest.Options{Store: st}, resources.Provider{}, network.Provider{}, bastion.Provider{})}
	e.must(http.MethodPut, bastionRG, map[string]any{"location": "westus2"})
	e.vnet("hub", "10.1.0.0/16", "AzureBastionSubnet", "10.1.1.0/26", "jump", "10.1.0.0/24")
	e.vnet("spoke", "10.2.0.0/16", "apps", "10.2.0.0/24")
	e.vnet("far", "10.3.0.0/16", "apps", "10.3.0.0/24")
	e.peer("hub", "spoke")
	e.peer("spoke", "hub")
	e.peer("spoke", "far")
	e.peer("far", "spoke")
	e.vm("jump", "hub", "jump")
	e.vm("app", "spoke", "apps")
	e.vm("farvm", "far", "apps")
	e.must(http.MethodPut, bnet("publicIPAddresses", "bas-pip"), map[string]any{"location": "westus2", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static"}})
	basID := bnet("bastionHosts", "Bas")
	e.must(http.MethodPut, basID, map[string]any{"location": "westus2", "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"enableTunneling": true, "ipConfigurations": []any{map[string]any{"name": "ipconf", "properties": map[string]any{
			"subnet":          map[string]any{"id": bnet("virtualNetworks", "hub") + "/subnets/AzureBastionSubnet"},
			"publicIPAddress": map[string]any{"id": bnet("publicIPAddresses", "bas-pip")}}}}}})

	s := e.snapshot()
	key := strings.ToLower(basID)
	b := s.Bastions[key]
	if b == nil || b.Host == nil {
		t.Fatalf("bastion not in the snapshot: %+v", s.Bastions)
	}
	h := s.Hosts[key]
	if h != b.Host || h.Kind != fabric.KindBastion || h.ResourceID != basID || !h.Running {
		t.Fatalf("bastion host %+v", h)
	}
	want := []netip.Addr{netip.MustParseAddr("10.1.1.4"), netip.MustParseAddr("10.1.1.5")}
	if len(b.Addresses) != 2 || b.Addresses[0] != want[0] || b.Addresses[1] != want[1] || !b.Tunneling || b.SKU != "Standard" {
		t.Errorf("bastion %+v", b)
	}
	ipc := h.PrimaryIPConfig()
	if ipc == nil || ipc.PrivateIP != want[0] || ipc.Subnet.Name != "AzureBastionSubnet" || ipc.PublicIP == nil || ipc.PublicIP.IPConfig != ipc {
		t.Fatalf("bastion ip configuration %+v", ipc)
	}
	if s.DisplayID(ipc.ID) != basID+"/bastionHostIpConfigurations/ipconf" {
		t.Errorf("display ID %s", s.DisplayID(ipc.ID))
	}
	if !b.Reaches(s.VNets[lower(bnet("virtualNetworks", "hub"))]) || !b.Reaches(s.VNets[lower(bnet("virtualNetworks", "spoke"))]) ||
		b.Reaches(s.VNets[lower(bnet("virtualNetworks", "far"))]) {
		t.Errorf("Reaches: hub and spoke only")
	}
	// The proxy finds the bastion as a vantage by its ID in any case.
	if got := s.Hosts[strings.ToLower(strings.ToUpper(basID))]; got != h {
		t.Errorf("lookup by upper-case ID")
	}

	eval := func(s *fabric.Snapshot, dest string, port int) fabric.Verdict {
		return path.Evaluate(s, fabric.Query{Source: key, Dest: netip.MustParseAddr(dest), Protocol: fabric.TCP, Port: port})
	}
	cases := []struct {
		name, dest string
		port       int
		want       fabric.Outcome
		reason     string
	}{
		{"same VNet ssh", "10.1.0.4", 22, fabric.Delivered, ""},
		{"peered VNet ssh", "10.2.0.4", 22, fabric.Delivered, ""},
		{"peer of a peer", "10.3.0.4", 22, fabric.NetworkUnreachable, "no route"},
		{"nothing listens on 8080", "10.2.0.4", 8080, fabric.Refused, ""},
	}
	for _, c := range cases {
		v := eval(s, c.dest, c.port)
		if v.Outcome != c.want {
			t.Errorf("%s: %s %v", c.name, v.Outcome, v.Blocks)
			continue
		}
		if c.want == fabric.Delivered && (v.TargetAddr != path.TargetSSHBanner || v.TranslatedSource != want[0]) {
			t.Errorf("%s: target %s from %s", c.name, v.TargetAddr, v.TranslatedSource)
		}
		if c.reason != "" && (len(v.Blocks) == 0 || !strings.Contains(v.Blocks[0].Reason, c.reason)) {
			t.Errorf("%s: blocks %v", c.name, v.Blocks)
		}
	}

	// An NSG on the app subnet denying the bastion subnet is named.
	e.must(http.MethodPut, bnet("networkSecurityGroups", "apps-nsg"), map[string]any{"location": "westus2"})
	e.must(http.MethodPut, bnet("networkSecurityGroups", "apps-nsg")+"/securityRules/deny-bastion", map[string]any{"properties": map[string]any{
		"priority": 200, "direction": "Inbound", "access": "Deny", "protocol": "Tcp", "sourcePortRange": "*",
		"sourceAddressPrefix": "10.1.1.0/26", "destinationAddressPrefix": "*", "destinationPortRange": "22"}})
	e.must(http.MethodPut, bnet("virtualNetworks", "spoke")+"/subnets/apps", map[string]any{"properties": map[string]any{
		"addressPrefix": "10.2.0.0/24", "networkSecurityGroup": map[string]any{"id": bnet("networkSecurityGroups", "apps-nsg")}}})
	s = e.snapshot()
	v := eval(s, "10.2.0.4", 22)
	if v.Outcome != fabric.DeniedByNSG || len(v.Blocks) != 1 || !strings.Contains(v.Blocks[0].Reason, "rule deny-bastion (priority 200)") ||
		!strings.Contains(v.Blocks[0].Reason, "from 10.1.1.4") {
		t.Errorf("NSG deny: %s %v", v.Outcome, v.Blocks)
	}
	if v := eval(s, "10.1.0.4", 22); v.Outcome != fabric.Delivered {
		t.Errorf("same VNet after the spoke's NSG: %s %v", v.Outcome, v.Blocks)
	}

	// An NSG on the bastion subnet (compliant: HTTPS in) denying SSH out to
	// the jump subnet applies to the bastion's sessions.
	bn := bnet("networkSecurityGroups", "bastion-nsg")
	e.must(http.MethodPut, bn, map[string]any{"location": "westus2"})
	for _, r := range []map[string]any{
		{"name": "AllowHttpsInbound", "priority": 120, "direction": "Inbound", "access": "Allow", "src": "Internet", "dst": "*", "port": "443"},
		{"name": "DenyJumpSsh", "priority": 200, "direction": "Outbound", "access": "Deny", "src": "*", "dst": "10.1.0.0/24", "port": "22"},
	} {
		e.must(http.MethodPut, bn+"/securityRules/"+r["name"].(string), map[string]any{"properties": map[string]any{
			"priority": r["priority"], "direction": r["direction"], "access": r["access"], "protocol": "Tcp", "sourcePortRange": "*",
			"sourceAddressPrefix": r["src"], "destinationAddressPrefix": r["dst"], "destinationPortRange": r["port"]}})
	}
	e.must(http.MethodPut, bnet("virtualNetworks", "hub")+"/subnets/AzureBastionSubnet", map[string]any{"properties": map[string]any{
		"addressPrefix": "10.1.1.0/26", "networkSecurityGroup": map[string]any{"id": bn}}})
	s = e.snapshot()
	if v := eval(s, "10.1.0.4", 22); v.Outcome != fabric.DeniedByNSG || !strings.Contains(v.Blocks[0].Reason, "rule DenyJumpSsh") ||
		!strings.Contains(v.Blocks[0].Reason, "AzureBastionSubnet") {
		t.Errorf("bastion subnet NSG: %s %v", v.Outcome, v.Blocks)
	}

	// Deleted: no bastion, no host.
	e.must(http.MethodDelete, basID, nil)
	s = e.snapshot()
	if s.Bastions[key] != nil || s.Hosts[key] != nil {
		t.Errorf("deleted bastion still in the snapshot")
	}
}

func lower(s string) string { return strings.ToLower(s) }
