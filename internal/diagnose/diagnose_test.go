package diagnose

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	api  = "2025-01-01"
	sub  = armtest.Subscription
	rgID = "/subscriptions/" + sub + "/resourceGroups/rg"
)

func vmID(name string) string { return rgID + "/providers/Microsoft.Compute/virtualMachines/" + name }
func nicID(name string) string {
	return rgID + "/providers/Microsoft.Network/networkInterfaces/" + name
}

// fixture is a hand-built snapshot: vnet 10.0.0.0/16 with subnets a
// (10.0.0.0/24, NSG denying outbound Tcp 443) and b (10.0.1.0/24); vm1
// (10.0.0.4, running) in a, vm2 (10.0.1.4, running) in b, vm3 (10.0.1.5,
// deallocated) in b, and a NIC attached to nothing.
func fixture() *fabric.Snapshot {
	s := &fabric.Snapshot{VNets: map[string]*fabric.VNet{}, Subnets: map[string]*fabric.Subnet{}, NICs: map[string]*fabric.NIC{},
		NSGs: map[string]*fabric.NSG{}, RouteTables: map[string]*fabric.RouteTable{}, PublicIPs: map[string]*fabric.PublicIP{},
		Peerings: map[string]*fabric.Peering{}, Hosts: map[string]*fabric.Host{}, Zones: map[string]*fabric.Zone{}}
	vnet := &fabric.VNet{ID: strings.ToLower(rgID + "/providers/Microsoft.Network/virtualNetworks/vnet"), Name: "vnet",
		Location: "eastus", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	s.VNets[vnet.ID] = vnet
	nsgID := rgID + "/providers/Microsoft.Network/networkSecurityGroups/nsg"
	nsg := &fabric.NSG{ID: strings.ToLower(nsgID), Name: "nsg", Rules: append([]*fabric.SecurityRule{{
		Name: "deny-443", ID: nsgID + "/securityRules/deny-443", Priority: 200, Direction: fabric.Outbound, Access: "Deny",
		Protocol: fabric.TCP, SourcePrefixes: []string{"*"}, DestinationPrefixes: []string{"*"}, SourcePorts: []string{"*"},
		DestinationPorts: []string{"443"},
	}}, defaultRules(nsgID)...)}
	s.NSGs[nsg.ID] = nsg
	mkSubnet := func(name, prefix string, n *fabric.NSG) *fabric.Subnet {
		sn := &fabric.Subnet{ID: vnet.ID + "/subnets/" + name, Name: name, VNet: vnet,
			Prefixes: []netip.Prefix{netip.MustParsePrefix(prefix)}, NSG: n, DefaultOutboundAccess: true}
		vnet.Subnets = append(vnet.Subnets, sn)
		s.Subnets[sn.ID] = sn
		return sn
	}
	a := mkSubnet("a", "10.0.0.0/24", nsg)
	b := mkSubnet("b", "10.0.1.0/24", nil)
	mkNIC := func(name, ip string, sn *fabric.Subnet) *fabric.NIC {
		id := nicID(name)
		n := &fabric.NIC{ID: strings.ToLower(id), Name: name}
		n.IPConfigs = []*fabric.IPConfig{{ID: id + "/ipConfigurations/ipconfig1", Name: "ipconfig1", NIC: n, Subnet: sn,
			PrivateIP: netip.MustParseAddr(ip), Primary: true}}
		s.NICs[n.ID] = n
		return n
	}
	mkVM := func(name string, running bool, nics ...*fabric.NIC) {
		state := "PowerState/running"
		if !running {
			state = "PowerState/deallocated"
		}
		h := &fabric.Host{ID: strings.ToLower(vmID(name)), Name: name, ResourceID: vmID(name), ResourceGroup: "rg",
			Kind: fabric.KindVM, Running: running, PowerState: state, ComputerName: name, NICs: nics}
		for _, n := range nics {
			n.Host = h
		}
		s.Hosts[h.ID] = h
	}
	mkVM("vm1", true, mkNIC("nic1", "10.0.0.4", a))
	mkVM("vm2", true, mkNIC("nic2", "10.0.1.4", b))
	mkVM("vm3", false, mkNIC("nic3", "10.0.1.5", b))
	mkNIC("loose", "10.0.1.9", b)
	s.Hosts[fabric.InternetHostID] = &fabric.Host{ID: fabric.InternetHostID, Name: "internet", Kind: fabric.KindInternet,
		Running: true, PublicAddr: fabric.InternetHostIP}
	addSite(s)
	s.Reindex()
	return s
}

func siteHostID(name string) string {
	return rgID + "/providers/Privlink.OnPrem/sites/corp/hosts/" + name
}

// addSite adds an on-premises site corp (192.168.0.0/16, no connection to
// Azure) with hosts laptop (192.168.0.5, running) and desk (192.168.0.6,
// stopped), shaped as internal/fabric/build_site.go builds them.
func addSite(s *fabric.Snapshot) {
	id := rgID + "/providers/Privlink.OnPrem/sites/corp"
	prefix := netip.MustParsePrefix("192.168.0.0/16")
	st := &fabric.Site{ID: strings.ToLower(id), Name: "corp", ResourceID: id, ResourceGroup: "rg", Prefixes: []netip.Prefix{prefix}}
	st.VNet = &fabric.VNet{ID: st.ID, Name: "corp", Prefixes: st.Prefixes}
	st.Subnet = &fabric.Subnet{ID: st.ID + "/subnets/onprem", Name: "onprem", VNet: st.VNet, Prefixes: st.Prefixes}
	st.VNet.Subnets = []*fabric.Subnet{st.Subnet}
	s.Sites = map[string]*fabric.Site{st.ID: st}
	s.VNets[st.ID] = st.VNet
	s.Subnets[st.Subnet.ID] = st.Subnet
	for _, h := range []struct {
		name, ip string
		running  bool
	}{{"laptop", "192.168.0.5", true}, {"desk", "192.168.0.6", false}} {
		hid := siteHostID(h.name)
		state := "PowerState/running"
		if !h.running {
			state = "PowerState/stopped"
		}
		host := &fabric.Host{ID: strings.ToLower(hid), Name: h.name, ResourceID: hid, ResourceGroup: "rg", Kind: fabric.KindOnPrem,
			Running: h.running, PowerState: state, ComputerName: h.name, Site: st}
		nic := &fabric.NIC{ID: host.ID + "/nic", Name: h.name + "-nic", Host: host}
		nic.IPConfigs = []*fabric.IPConfig{{ID: host.ID + "/nic/ipconfigurations/ipconfig1", Name: "ipconfig1", NIC: nic,
			Subnet: st.Subnet, PrivateIP: netip.MustParseAddr(h.ip), Primary: true}}
		host.NICs = []*fabric.NIC{nic}
		s.NICs[nic.ID] = nic
		s.Hosts[host.ID] = host
		st.Hosts = append(st.Hosts, host)
	}
}

func defaultRules(nsgID string) []*fabric.SecurityRule {
	mk := func(name string, prio int, dir fabric.Direction, access, src, dst string) *fabric.SecurityRule {
		return &fabric.SecurityRule{Name: name, ID: nsgID + "/defaultSecurityRules/" + name, Priority: prio, Direction: dir,
			Access: access, Protocol: fabric.ProtoAny, SourcePrefixes: []string{src}, DestinationPrefixes: []string{dst},
			SourcePorts: []string{"*"}, DestinationPorts: []string{"*"}, Default: true}
	}
	return []*fabric.SecurityRule{
		mk("AllowVnetInBound", 65000, fabric.Inbound, "Allow", "VirtualNetwork", "VirtualNetwork"),
		mk("AllowAzureLoadBalancerInBound", 65001, fabric.Inbound, "Allow", "AzureLoadBalancer", "*"),
		mk("DenyAllInBound", 65500, fabric.Inbound, "Deny", "*", "*"),
		mk("AllowVnetOutBound", 65000, fabric.Outbound, "Allow", "VirtualNetwork", "VirtualNetwork"),
		mk("AllowInternetOutBound", 65001, fabric.Outbound, "Allow", "*", "Internet"),
		mk("DenyAllOutBound", 65500, fabric.Outbound, "Deny", "*", "*"),
	}
}

type probeCall struct{ host, dest string }

type env struct {
	srv    *armtest.Server
	p      *Provider
	mu     sync.Mutex
	probes []probeCall
}

func start(t *testing.T) *env {
	t.Helper()
	e := &env{}
	e.p = &Provider{
		Source: fabric.StaticSource{S: fixture()},
		Resolve: func(_ context.Context, _ *fabric.Snapshot, hostID, name string) ([]netip.Addr, []string, error) {
			steps := []string{"query " + name + " from " + hostID}
			switch name {
			case "vm2.internal.example":
				return []netip.Addr{netip.MustParseAddr("10.0.1.4")}, append(steps, "answer 10.0.1.4"), nil
			case "unlinked.example":
				// What the daemon's resolver does when nothing answers: no
				// error, the reason in the last step.
				return nil, append(steps, "unlinked.example: NXDOMAIN; private DNS zone example is not linked to vnet vnet"), nil
			}
			return nil, append(steps, "NXDOMAIN"), errors.New("NXDOMAIN")
		},
		Probe: func(_ context.Context, host, dest string) (time.Duration, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.probes = append(e.probes, probeCall{host, dest})
			return 1500 * time.Microsecond, nil
		},
	}
	nicSpec := &arm.TypeSpec{Type: "Microsoft.Network/networkInterfaces", APIVersions: []string{api},
		Location: arm.LocationRequired, Put: func(context.Context, *arm.PutOp) error { return nil }, Actions: NICActions(e.p)}
	e.srv = armtest.Start(t, armtest.Options{}, &resources.Provider{}, e.p, nicOnly{nicSpec})
	if r := e.srv.Do(http.MethodPut, rgID, "2021-04-01", map[string]any{"location": "eastus"}); r.Status != http.StatusCreated {
		t.Fatalf("create rg: %d %s", r.Status, r.Body)
	}
	for _, n := range []string{"nic1", "nic3", "loose"} {
		if r := e.srv.Do(http.MethodPut, nicID(n), api, map[string]any{"location": "eastus"}); r.Status >= 300 {
			t.Fatalf("create nic: %d %s", r.Status, r.Body)
		}
	}
	return e
}

// nicOnly registers a stand-in network interface type carrying NICActions.
type nicOnly struct{ spec *arm.TypeSpec }

func (nicOnly) Namespace() string { return Namespace }
func (n nicOnly) Register(p *arm.Platform) error {
	p.Registry.Register(n.spec)
	return nil
}

const watcher = rgID + "/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus"

func (e *env) watcher(t *testing.T) {
	t.Helper()
	if r := e.srv.Do(http.MethodPut, watcher, api, map[string]any{"location": "eastus"}); r.Status != http.StatusCreated {
		t.Fatalf("create watcher: %d %s", r.Status, r.Body)
	}
}

// post runs an action to its result the way clients do: 202 + Location,
// then GET Location.
func (e *env) post(t *testing.T, target, action string, body any) *armtest.Result {
	t.Helper()
	r := e.srv.Do(http.MethodPost, target+"/"+action, api, body)
	if r.Status != http.StatusAccepted {
		return r
	}
	loc := r.Header.Get("Location")
	if loc == "" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("202 without Location/Retry-After: %v", r.Header)
	}
	return e.srv.Do(http.MethodGet, loc, "", nil)
}

func expectError(t *testing.T, r *armtest.Result, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("want %d %s, got %d %s", status, code, r.Status, r.Body)
	}
}

func TestWatcherOnePerRegion(t *testing.T) {
	e := start(t)
	r := e.srv.Do(http.MethodPut, rgID+"/providers/Microsoft.Network/networkWatchers/nw", api, map[string]any{})
	expectError(t, r, http.StatusBadRequest, "LocationRequired")
	e.watcher(t)
	got := e.srv.Do(http.MethodGet, watcher, api, nil).JSON()
	props, _ := got["properties"].(map[string]any)
	if got["location"] != "eastus" || props["provisioningState"] != "Succeeded" || !strings.HasPrefix(got["etag"].(string), `W/"`) {
		t.Fatalf("watcher: %v", got)
	}
	second := rgID + "/providers/Microsoft.Network/networkWatchers/other"
	r = e.srv.Do(http.MethodPut, second, api, map[string]any{"location": "East US"})
	expectError(t, r, http.StatusBadRequest, "NetworkWatcherCountLimitReached")
	if r.ErrorMessage() != "Cannot create more than 1 network watchers for this subscription in this region." {
		t.Fatalf("message: %s", r.ErrorMessage())
	}
	if r := e.srv.Do(http.MethodPut, second, api, map[string]any{"location": "westus"}); r.Status != http.StatusCreated {
		t.Fatalf("other region: %d %s", r.Status, r.Body)
	}
	// Re-PUT of the existing watcher is fine.
	if r := e.srv.Do(http.MethodPut, watcher, api, map[string]any{"location": "eastus", "tags": map[string]string{"a": "b"}}); r.Status != http.StatusOK {
		t.Fatalf("re-put: %d %s", r.Status, r.Body)
	}
	list := e.srv.Do(http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Network/networkWatchers", api, nil).JSON()
	if v, _ := list["value"].([]any); len(v) != 2 {
		t.Fatalf("list: %v", list)
	}
	del := e.srv.Do(http.MethodDelete, watcher, api, nil)
	if st := e.srv.Wait(del); st != "Succeeded" {
		t.Fatalf("delete: %d %s %s", del.Status, st, del.Body)
	}
	third := rgID + "/providers/Microsoft.Network/networkWatchers/third"
	if r := e.srv.Do(http.MethodPut, third, api, map[string]any{"location": "eastus"}); r.Status != http.StatusCreated {
		t.Fatalf("after delete: %d %s", r.Status, r.Body)
	}
}

func TestEnsureWatcher(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	eng := e.srv.Platform.Engine
	if err := EnsureWatcher(ctx, eng, sub, "West Europe"); err != nil {
		t.Fatal(err)
	}
	if err := EnsureWatcher(ctx, eng, sub, "westeurope"); err != nil {
		t.Fatal(err)
	}
	auto := "/subscriptions/" + sub + "/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"
	got := e.srv.Do(http.MethodGet, auto, api, nil)
	if got.Status != http.StatusOK || got.JSON()["location"] != "westeurope" {
		t.Fatalf("auto watcher: %d %s", got.Status, got.Body)
	}
	if rg := e.srv.Do(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/NetworkWatcherRG", "2021-04-01", nil); rg.Status != http.StatusOK {
		t.Fatalf("NetworkWatcherRG: %d %s", rg.Status, rg.Body)
	}
	// A region that already has a watcher elsewhere gets none.
	e.watcher(t)
	if err := EnsureWatcher(ctx, eng, sub, "eastus"); err != nil {
		t.Fatal(err)
	}
	r := e.srv.Do(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus", api, nil)
	expectError(t, r, http.StatusNotFound, "ResourceNotFound")
	// The automatic watcher holds its region.
	r = e.srv.Do(http.MethodPut, rgID+"/providers/Microsoft.Network/networkWatchers/we", api, map[string]any{"location": "westeurope"})
	expectError(t, r, http.StatusBadRequest, "NetworkWatcherCountLimitReached")
	if err := EnsureWatcher(ctx, eng, sub, "nowhere"); err == nil {
		t.Fatal("EnsureWatcher accepted a bad region")
	}
}

// example loads a REST example's request parameters.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters struct {
			Parameters map[string]any `json:"parameters"`
		} `json:"parameters"`
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	ex.Parameters.Parameters["_response"] = ex.Responses["200"].Body
	return ex.Parameters.Parameters
}

func sameKeys(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("answer lacks %q (example has it): %v", k, got)
		}
	}
}

func TestConnectivityCheck(t *testing.T) {
	e := start(t)
	e.watcher(t)
	body := example(t, "NetworkWatcherConnectivityCheck.json")
	want := body["_response"].(map[string]any)
	delete(body, "_response")
	body["source"] = map[string]any{"resourceId": vmID("vm1")}
	body["destination"] = map[string]any{"address": "10.0.1.4", "port": 22}
	r := e.post(t, watcher, "connectivityCheck", body)
	if r.Status != http.StatusOK {
		t.Fatalf("connectivityCheck: %d %s", r.Status, r.Body)
	}
	got := r.JSON()
	sameKeys(t, got, want)
	if got["connectionStatus"] != StatusReachable || got["probesSent"] != 1.0 || got["avgLatencyInMs"] != 2.0 {
		t.Fatalf("reachable answer: %s", r.Body)
	}
	probe, _ := got["privlinkProbe"].(map[string]any)
	if probe["connected"] != true || probe["latencyInMs"] != 1.5 {
		t.Fatalf("privlinkProbe: %v", probe)
	}
	if len(e.probes) != 1 || e.probes[0] != (probeCall{strings.ToLower(vmID("vm1")), "10.0.1.4:22"}) {
		t.Fatalf("probes: %v", e.probes)
	}
	hops, _ := got["hops"].([]any)
	if len(hops) < 2 {
		t.Fatalf("hops: %v", hops)
	}
	first := hops[0].(map[string]any)
	sameKeys(t, first, want["hops"].([]any)[0].(map[string]any))
	next, _ := first["nextHopIds"].([]any)
	if first["type"] != "Source" || len(next) != 1 || next[0] != hops[1].(map[string]any)["id"] {
		t.Fatalf("hop chain: %v", hops)
	}
	if strings.HasPrefix(first["resourceId"].(string), "/") {
		t.Fatalf("hop resourceId keeps the leading slash: %v", first)
	}

	// Blocked by the subnet NSG's outbound deny: unreachable, no probe,
	// the rule explained and reported as an issue.
	body["destination"] = map[string]any{"address": "10.0.1.4", "port": 443}
	got = e.post(t, watcher, "connectivityCheck", body).JSON()
	if got["connectionStatus"] != StatusUnreachable || got["privlinkProbe"] != nil || got["probesSent"] != 0.0 {
		t.Fatalf("blocked answer: %v", got)
	}
	if expl, _ := got["privlinkExplanation"].([]any); len(expl) == 0 {
		t.Fatalf("no explanation: %v", got)
	}
	if !hasIssue(got, "NetworkSecurityRule") {
		t.Fatalf("no NSG issue: %v", got)
	}
	if len(e.probes) != 1 {
		t.Fatalf("probed a blocked flow: %v", e.probes)
	}
}

func hasIssue(ans map[string]any, typ string) bool {
	hops, _ := ans["hops"].([]any)
	for _, h := range hops {
		issues, _ := h.(map[string]any)["issues"].([]any)
		for _, i := range issues {
			if i.(map[string]any)["type"] == typ {
				return true
			}
		}
	}
	return false
}

func TestConnectivityCheckDNS(t *testing.T) {
	e := start(t)
	e.watcher(t)
	body := map[string]any{"source": map[string]any{"resourceId": vmID("vm1")},
		"destination": map[string]any{"address": "vm2.internal.example", "port": 22}}
	got := e.post(t, watcher, "connectivityCheck", body).JSON()
	expl, _ := got["privlinkExplanation"].([]any)
	if got["connectionStatus"] != StatusReachable || len(expl) < 2 || expl[1] != "answer 10.0.1.4" {
		t.Fatalf("resolved answer: %v", got)
	}
	if e.probes[0].dest != "10.0.1.4:22" {
		t.Fatalf("probe: %v", e.probes)
	}
	body["destination"] = map[string]any{"address": "missing.example", "port": 443}
	got = e.post(t, watcher, "connectivityCheck", body).JSON()
	hops, _ := got["hops"].([]any)
	if got["connectionStatus"] != StatusUnreachable || len(hops) != 1 || !hasIssue(got, "DnsResolution") {
		t.Fatalf("DNS failure answer: %v", got)
	}
	if src := hops[0].(map[string]any); src["address"] != "10.0.0.4" || src["type"] != "Source" {
		t.Fatalf("source hop: %v", src)
	}
}

// The DnsResolution issue carries the resolver's summary of why the name
// has no address (here: the zone is not linked), not a bare "no addresses".
func TestConnectivityCheckDNSReason(t *testing.T) {
	e := start(t)
	e.watcher(t)
	body := map[string]any{"source": map[string]any{"resourceId": vmID("vm1")},
		"destination": map[string]any{"address": "unlinked.example", "port": 443}}
	got := e.post(t, watcher, "connectivityCheck", body).JSON()
	hops, _ := got["hops"].([]any)
	if got["connectionStatus"] != StatusUnreachable || len(hops) != 1 {
		t.Fatalf("answer: %v", got)
	}
	issues, _ := hops[0].(map[string]any)["issues"].([]any)
	if len(issues) != 1 {
		t.Fatalf("issues: %v", hops[0])
	}
	issue := issues[0].(map[string]any)
	ctx, _ := issue["context"].([]any)
	reason, _ := ctx[0].(map[string]any)["reason"].(string)
	want := "DNS resolution of unlinked.example failed: unlinked.example: NXDOMAIN; private DNS zone example is not linked to vnet vnet"
	if issue["type"] != "DnsResolution" || reason != want {
		t.Fatalf("issue: %v\nwant reason %q", issue, want)
	}
}

// An on-premises site host (privlink's Privlink.OnPrem/sites/hosts) is a
// source like a VM: names resolve in its own DNS view, the path starts at
// its address, and it must be running.
func TestConnectivityCheckFromSiteHost(t *testing.T) {
	e := start(t)
	e.watcher(t)
	laptop := siteHostID("laptop")
	body := map[string]any{"source": map[string]any{"resourceId": laptop},
		"destination": map[string]any{"address": "vm2.internal.example", "port": 22}}
	r := e.post(t, watcher, "connectivityCheck", body)
	if r.Status != http.StatusOK {
		t.Fatalf("connectivityCheck from a site host: %d %s", r.Status, r.Body)
	}
	got := r.JSON()
	expl, _ := got["privlinkExplanation"].([]any)
	if len(expl) < 2 || expl[0] != "query vm2.internal.example from "+strings.ToLower(laptop) || expl[1] != "answer 10.0.1.4" {
		t.Fatalf("not resolved in the site host's view: %v", got)
	}
	// The site has no VPN or ExpressRoute connection: no route to Azure,
	// no probe.
	hops, _ := got["hops"].([]any)
	if got["connectionStatus"] != StatusUnreachable || len(hops) == 0 || len(e.probes) != 0 {
		t.Fatalf("unconnected site: %v (probes %v)", got, e.probes)
	}
	src := hops[0].(map[string]any)
	if src["type"] != "Source" || src["address"] != "192.168.0.5" {
		t.Fatalf("source hop: %v", src)
	}
	if len(expl) < 3 {
		t.Fatalf("unreachable without an explanation: %v", expl)
	}

	// A name the site's DNS cannot resolve stops at the site host.
	body["destination"] = map[string]any{"address": "missing.example", "port": 443}
	got = e.post(t, watcher, "connectivityCheck", body).JSON()
	hops, _ = got["hops"].([]any)
	if got["connectionStatus"] != StatusUnreachable || len(hops) != 1 || !hasIssue(got, "DnsResolution") ||
		hops[0].(map[string]any)["address"] != "192.168.0.5" {
		t.Fatalf("DNS failure from a site host: %v", got)
	}

	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"missing host", map[string]any{"source": map[string]any{"resourceId": siteHostID("nope")},
			"destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 404, "ResourceNotFound"},
		{"stopped host", map[string]any{"source": map[string]any{"resourceId": siteHostID("desk")},
			"destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 400, "HostNotRunning"},
		{"host as destination", map[string]any{"source": map[string]any{"resourceId": vmID("vm1")},
			"destination": map[string]any{"resourceId": laptop, "port": 22}}, 400, "InvalidParameter"},
		{"a site, not a host", map[string]any{"source": map[string]any{"resourceId": rgID + "/providers/Privlink.OnPrem/sites/corp"},
			"destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 400, "InvalidParameter"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.srv.Do(http.MethodPost, watcher+"/connectivityCheck", api, c.body), c.status, c.code)
		})
	}
}

func TestConnectivityCheckErrors(t *testing.T) {
	e := start(t)
	e.watcher(t)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"missing vm", map[string]any{"source": map[string]any{"resourceId": vmID("nope")}, "destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 404, "ResourceNotFound"},
		{"stopped vm", map[string]any{"source": map[string]any{"resourceId": vmID("vm3")}, "destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 400, "VmNotRunning"},
		{"not a vm", map[string]any{"source": map[string]any{"resourceId": nicID("nic1")}, "destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 400, "InvalidParameter"},
		{"no source", map[string]any{"destination": map[string]any{"address": "10.0.1.4", "port": 22}}, 400, "InvalidRequestFormat"},
		{"no port", map[string]any{"source": map[string]any{"resourceId": vmID("vm1")}, "destination": map[string]any{"address": "10.0.1.4"}}, 400, "InvalidRequestFormat"},
		{"bad protocol", map[string]any{"source": map[string]any{"resourceId": vmID("vm1")}, "destination": map[string]any{"address": "10.0.1.4", "port": 22}, "protocol": "Sctp"}, 400, "InvalidParameter"},
		{"bad json", `{"source": 1}`, 400, "InvalidRequestContent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, e.srv.Do(http.MethodPost, watcher+"/connectivityCheck", api, c.body), c.status, c.code)
		})
	}
	expectError(t, e.srv.Do(http.MethodPost, rgID+"/providers/Microsoft.Network/networkWatchers/none/connectivityCheck", api,
		map[string]any{}), 404, "ResourceNotFound")
	// A forged token for another subscription is not served.
	tok := encodeToken(opToken{Action: ActionNextHop, Target: "/subscriptions/other/resourceGroups/rg/providers/Microsoft.Network/networkWatchers/x"})
	r := e.srv.Do(http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Network/locations/eastus/"+resultsSegment+"/"+tok, api, nil)
	expectError(t, r, 404, "OperationNotFound")
}

func TestNextHopAndIPFlow(t *testing.T) {
	e := start(t)
	e.watcher(t)
	nh := example(t, "NetworkWatcherNextHopGet.json")
	delete(nh, "_response")
	nh["targetResourceId"] = vmID("vm1")
	nh["sourceIPAddress"] = "10.0.0.4"
	nh["destinationIPAddress"] = "10.0.1.4"
	nh["targetNicResourceId"] = nicID("nic1")
	r := e.post(t, watcher, "nextHop", nh)
	if r.Status != http.StatusOK || r.JSON()["nextHopType"] != "VnetLocal" {
		t.Fatalf("nextHop: %d %s", r.Status, r.Body)
	}
	nh["sourceIPAddress"] = "10.0.1.4"
	expectError(t, e.srv.Do(http.MethodPost, watcher+"/nextHop", api, nh), 400, "InvalidParameter")
	nh["sourceIPAddress"] = "10.0.0.4"
	nh["targetNicResourceId"] = nicID("nic2")
	expectError(t, e.srv.Do(http.MethodPost, watcher+"/nextHop", api, nh), 400, "InvalidParameter")
	delete(nh, "targetNicResourceId")
	nh["destinationIPAddress"] = "10.0.1"
	expectError(t, e.srv.Do(http.MethodPost, watcher+"/nextHop", api, nh), 400, "InvalidParameter")

	flow := example(t, "NetworkWatcherIpFlowVerify.json")
	want := flow["_response"].(map[string]any)
	delete(flow, "_response")
	flow["targetResourceId"] = vmID("vm2")
	flow["direction"] = "Inbound"
	flow["localIPAddress"] = "10.0.1.4"
	flow["localPort"] = "22"
	flow["remoteIPAddress"] = "10.0.0.4"
	flow["remotePort"] = "*"
	r = e.post(t, watcher, "ipFlowVerify", flow)
	if r.Status != http.StatusOK {
		t.Fatalf("ipFlowVerify: %d %s", r.Status, r.Body)
	}
	sameKeys(t, r.JSON(), want)
	if r.JSON()["access"] != "Allow" {
		t.Fatalf("ipFlowVerify: %s", r.Body)
	}
	for _, c := range []struct{ key, val string }{
		{"localIPAddress", "10.0.0.4"}, {"protocol", "ICMP"}, {"direction", "Sideways"}, {"localPort", "70000"}, {"localPort", "*"},
	} {
		bad := map[string]any{}
		for k, v := range flow {
			bad[k] = v
		}
		bad[c.key] = c.val
		expectError(t, e.srv.Do(http.MethodPost, watcher+"/ipFlowVerify", api, bad), 400, "InvalidParameter")
	}
	flow["targetResourceId"] = vmID("vm3")
	flow["localIPAddress"] = "10.0.1.5"
	expectError(t, e.srv.Do(http.MethodPost, watcher+"/ipFlowVerify", api, flow), 400, "VmNotRunning")
}

func TestNICActions(t *testing.T) {
	e := start(t)
	r := e.post(t, nicID("nic1"), "effectiveRouteTable", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("effectiveRouteTable: %d %s", r.Status, r.Body)
	}
	routes, _ := r.JSON()["value"].([]any)
	if len(routes) == 0 {
		t.Fatalf("no routes: %s", r.Body)
	}
	sameKeys(t, routes[0].(map[string]any), map[string]any{"source": 0, "state": 0, "addressPrefix": 0, "nextHopType": 0, "nextHopIpAddress": 0})
	r = e.post(t, nicID("nic1"), "effectiveNetworkSecurityGroups", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("effectiveNetworkSecurityGroups: %d %s", r.Status, r.Body)
	}
	if _, ok := r.JSON()["value"].([]any); !ok {
		t.Fatalf("effective NSGs: %s", r.Body)
	}
	for _, n := range []string{"nic3", "loose"} {
		r := e.srv.Do(http.MethodPost, nicID(n)+"/effectiveRouteTable", api, nil)
		expectError(t, r, 400, "NetworkInterfaceNotAttachedToRunningVm")
	}
}
