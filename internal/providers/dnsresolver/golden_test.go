package dnsresolver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"os"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/fabric"
	fabricdns "github.com/privlink/privlink/internal/fabric/dns"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
)

// example returns the body of a response of a REST example.
func example(t *testing.T, file, status string) any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses[status].Body
}

// requestBody returns the request body (parameters.parameters) of a REST
// example.
func requestBody(t *testing.T, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters struct {
			Parameters map[string]any `json:"parameters"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Parameters.Parameters
}

var missingKeys = armtest.MissingKeys

// TestGoldenShapes PUTs the REST examples' bodies (with privlink's IDs)
// and checks every field of the examples' responses is served.
func TestGoldenShapes(t *testing.T) {
	w := newWorld(t)
	check := func(path, file, status string) {
		t.Helper()
		got := w.get(path)
		if miss := missingKeys(example(t, file, status), got, ""); len(miss) > 0 {
			t.Errorf("%s: fields of %s missing: %v\n%v", path, file, miss, got)
		}
		if got["type"] != str(example(t, file, status), "type") {
			t.Errorf("%s: type %v", path, got["type"])
		}
	}
	// Resolver: the example's body with our VNet.
	body := requestBody(t, "DnsResolver_Put.json")
	body["properties"] = map[string]any{"virtualNetwork": ref(w.vnet)}
	res2 := netPath("rg", "dnsResolvers", "sampleDnsResolver")
	w.fails(http.StatusConflict, "Conflict", "", http.MethodPut, res2, body)
	check(w.res, "DnsResolver_Put.json", "201")
	check(w.res, "DnsResolver_Get.json", "200")
	if tags := w.get(w.res)["tags"]; tags != nil {
		t.Logf("tags %v", tags)
	}
	// Inbound endpoint: the example's body (Static) with our subnet.
	in := requestBody(t, "InboundEndpoint_Put.json")
	cfgs := in["properties"].(map[string]any)["ipConfigurations"].([]any)
	cfg := cfgs[0].(map[string]any)
	cfg["subnet"] = ref(w.vnet + "/subnets/in2")
	cfg["privateIpAddress"] = "10.0.0.36"
	w.must(http.StatusCreated, http.MethodPut, w.res+"/inboundEndpoints/sampleInboundEndpoint", in)
	check(w.res+"/inboundEndpoints/sampleInboundEndpoint", "InboundEndpoint_Put.json", "201")
	check(w.in, "InboundEndpoint_Get.json", "200")
	// Ruleset, rule and link from the examples' bodies.
	rsBody := requestBody(t, "DnsForwardingRuleset_Put.json")
	rsBody["properties"] = map[string]any{"dnsResolverOutboundEndpoints": []any{ref(w.out)}}
	rs := netPath("rg", "dnsForwardingRulesets", "sampleDnsForwardingRuleset")
	w.must(http.StatusCreated, http.MethodPut, rs, rsBody)
	check(rs, "DnsForwardingRuleset_Put.json", "201")
	w.must(http.StatusCreated, http.MethodPut, rs+"/forwardingRules/sampleForwardingRule", requestBody(t, "ForwardingRule_Put.json"))
	check(rs+"/forwardingRules/sampleForwardingRule", "ForwardingRule_Put.json", "201")
	got := w.get(rs + "/forwardingRules/sampleForwardingRule")
	if str(got, "properties", "targetDnsServers", 1, "ipAddress") != "10.0.0.2" || str(got, "properties", "metadata", "additionalProp1") != "value1" {
		t.Errorf("rule: %v", got)
	}
	spoke := w.mkVNet("rg", "spoke", "5", loc)
	link := requestBody(t, "VirtualNetworkLink_Put.json")
	link["properties"].(map[string]any)["virtualNetwork"] = ref(spoke)
	w.must(http.StatusCreated, http.MethodPut, rs+"/virtualNetworkLinks/sampleVirtualNetworkLink", link)
	check(rs+"/virtualNetworkLinks/sampleVirtualNetworkLink", "VirtualNetworkLink_Put.json", "201")
	// 2025-05-01 serves the same shapes.
	if r := w.Do(http.MethodGet, w.res, "2025-05-01", nil); r.Status != http.StatusOK {
		t.Errorf("2025-05-01: %d %s", r.Status, r.Body)
	}
}

// TestSnapshotAndResolution builds the fabric snapshot from the stored
// records: the inbound endpoint is a host holding its address, the ruleset
// forwards the spoke's queries to it, and it answers with the hub's view.
func TestSnapshotAndResolution(t *testing.T) {
	st := memory.New()
	s := armtest.Start(t, armtest.Options{Store: st}, resources.Provider{}, network.Provider{}, privatedns.Provider{}, Provider{})
	e := &env{Server: s, t: t}
	e.group("rg")
	w := &world{env: e}
	w.vnet = e.mkVNet("rg", "hub", "0", loc)
	spoke := e.mkVNet("rg", "spoke", "1", loc)
	for _, p := range [][2]string{{w.vnet, spoke}, {spoke, w.vnet}} {
		e.do(http.StatusCreated, http.MethodPut, p[0]+"/virtualNetworkPeerings/p", netV, map[string]any{"properties": map[string]any{
			"remoteVirtualNetwork": ref(p[1]), "allowVirtualNetworkAccess": true}})
	}
	w.res = netPath("rg", "dnsResolvers", "res")
	e.must(http.StatusCreated, http.MethodPut, w.res, map[string]any{"location": loc, "properties": map[string]any{"virtualNetwork": ref(w.vnet)}})
	e.must(http.StatusCreated, http.MethodPut, w.res+"/inboundEndpoints/in", map[string]any{"location": loc, "properties": map[string]any{
		"ipConfigurations": []any{map[string]any{"subnet": ref(w.vnet + "/subnets/in")}}}})
	e.must(http.StatusCreated, http.MethodPut, w.res+"/outboundEndpoints/out", map[string]any{"location": loc, "properties": map[string]any{"subnet": ref(w.vnet + "/subnets/out")}})
	rs := netPath("rg", "dnsForwardingRulesets", "rs")
	e.must(http.StatusCreated, http.MethodPut, rs, map[string]any{"location": loc, "properties": map[string]any{
		"dnsResolverOutboundEndpoints": []any{ref(w.res + "/outboundEndpoints/out")}}})
	e.must(http.StatusCreated, http.MethodPut, rs+"/forwardingRules/corp", map[string]any{"properties": map[string]any{
		"domainName": "corp.example.", "targetDnsServers": []any{map[string]any{"ipAddress": "10.0.0.4", "port": 53}}}})
	e.must(http.StatusCreated, http.MethodPut, rs+"/virtualNetworkLinks/spoke", map[string]any{"properties": map[string]any{"virtualNetwork": ref(spoke)}})
	zone := rgPath("rg") + "/providers/Microsoft.Network/privateDnsZones/corp.example"
	e.do(http.StatusCreated, http.MethodPut, zone, "2020-06-01", map[string]any{"location": "global"})
	e.do(http.StatusCreated, http.MethodPut, zone+"/virtualNetworkLinks/hub", "2020-06-01", map[string]any{"location": "global",
		"properties": map[string]any{"virtualNetwork": ref(w.vnet), "registrationEnabled": false}})
	e.do(http.StatusCreated, http.MethodPut, zone+"/A/db", "2020-06-01", map[string]any{"properties": map[string]any{
		"ttl": 300, "aRecords": []any{map[string]any{"ipv4Address": "10.0.9.9"}}}})

	res, err := st.List(context.Background(), fabric.WatchPrefix, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*arm.Record
	for _, kv := range res.KVs {
		var r arm.Record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &r)
	}
	snap, err := fabric.Build(res.Revision, recs)
	if err != nil {
		t.Fatal(err)
	}
	r := snap.DNSResolvers[arm.KeyOf(w.res)[2:]]
	if r == nil || len(r.Inbound) != 1 || len(r.Outbound) != 1 || r.VNet == nil || r.VNet.Name != "hub" {
		t.Fatalf("resolver in snapshot: %+v", r)
	}
	in := r.Inbound[0]
	if in.Host == nil || in.IPs[0].Addr != netip.MustParseAddr("10.0.0.4") || snap.IPConfigAt(r.VNet, in.IPs[0].Addr) == nil {
		t.Fatalf("inbound endpoint: %+v", in)
	}
	if out := r.Outbound[0]; out.Host == nil || out.Addr != netip.MustParseAddr("10.0.0.20") {
		t.Fatalf("outbound endpoint: %+v", out)
	}
	rules := snap.RulesetsOf(snap.VNets[arm.KeyOf(spoke)[2:]])
	if len(rules) != 1 || len(rules[0].Rules) != 1 || rules[0].Rules[0].Domain != "corp.example" || len(rules[0].Outbound) != 1 {
		t.Fatalf("rulesets of spoke: %+v", rules)
	}
	a := fabricdns.ResolveFrom(snap, fabricdns.View{VNet: snap.VNets[arm.KeyOf(spoke)[2:]]}, "db.corp.example", mdns.TypeA)
	if got := a.Addrs(); len(got) != 1 || got[0] != netip.MustParseAddr("10.0.9.9") {
		t.Fatalf("spoke resolution: %v %v %v", a.RcodeText(), got, a.Steps)
	}
}
