package cdn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armclient"
	"github.com/privlink/privlink/internal/armtest"
	clarm "github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/providers/compute"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatelink"
	"github.com/privlink/privlink/internal/providers/privlinkfabric"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	v      = "2025-06-01"
	netAPI = "2022-05-01"
	sub    = armtest.Subscription
	rgPath = "/subscriptions/" + sub + "/resourceGroups/rg"
	prof   = rgPath + "/providers/Microsoft.Cdn/profiles/fd"
)

// armClient is the provider's in-process client in tests: the test
// server over HTTPS, errors mapped to ARM errors.
type env struct {
	*armtest.Server
	t  *testing.T
	pr *Provider
}

// start runs the ARM front end with the providers Front Door builds on;
// dial, when set, is the fabric (Provider.Dial).
func start(t *testing.T, dial func(ctx context.Context, vantage, addr string) (net.Conn, error)) *env {
	t.Helper()
	pr := &Provider{Dial: dial, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, loadbalancer.Provider{},
		privatelink.Provider{}, &compute.Provider{}, privlinkfabric.Provider{}, pr)
	u, _ := url.Parse(s.URL)
	pr.ARM = armclient.Adapter{C: &clarm.Client{Endpoint: u, HTTP: s.Client, PollInterval: 10 * time.Millisecond}}
	if err := pr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pr.Close)
	e := &env{Server: s, t: t, pr: pr}
	e.must(http.MethodPut, rgPath, "2021-04-01", `{"location":"eastus"}`)
	return e
}

// must sends a request that must succeed (waiting for its operation).
func (e *env) must(method, path, ver string, body any) map[string]any {
	e.t.Helper()
	r := e.Do(method, path, ver, body)
	if r.Status >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s: %s", method, path, st, e.Do(http.MethodGet, path, ver, nil).Body)
	}
	if method == http.MethodDelete {
		return nil
	}
	return e.Do(http.MethodGet, path, ver, nil).JSON()
}

func (e *env) fails(status int, code, msgPart, method, path string, body any) {
	e.t.Helper()
	r := e.Do(method, path, v, body)
	if r.Status != status || r.ErrorCode() != code || !strings.Contains(r.ErrorMessage(), msgPart) {
		e.t.Fatalf("%s %s: got %d %s %q, want %d %s containing %q", method, path, r.Status, r.ErrorCode(), r.ErrorMessage(), status, code, msgPart)
	}
}

func props(m map[string]any) map[string]any { p, _ := m["properties"].(map[string]any); return p }

// keys are an object's keys, sorted.
func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// example reads the 200 response of a REST example in testdata.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses["200"].Body
}

// sameKeys checks that every property of Azure's example (minus the
// ones privlink does not model) is served.
func sameKeys(t *testing.T, what string, got, want map[string]any, unmodelled ...string) {
	t.Helper()
	for _, k := range keys(props(want)) {
		if _, ok := props(got)[k]; !ok && !contains(unmodelled, k) {
			t.Errorf("%s: property %q of Azure's example is missing; served %v", what, k, keys(props(got)))
		}
	}
	for _, k := range []string{"id", "name", "type"} {
		if got[k] == nil {
			t.Errorf("%s: %s missing", what, k)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestShapesAndValidation(t *testing.T) {
	e := start(t, nil)
	e.fails(400, "BadRequest", "sku", http.MethodPut, prof, `{"location":"global"}`)
	e.fails(400, "BadRequest", "Standard_Verizon", http.MethodPut, prof, `{"location":"global","sku":{"name":"Standard_Verizon"}}`)
	e.fails(400, "InvalidLocation", "global", http.MethodPut, prof, `{"location":"eastus","sku":{"name":"Premium_AzureFrontDoor"}}`)
	p := e.must(http.MethodPut, prof, v, `{"location":"global","sku":{"name":"premium_azurefrontdoor"}}`)
	sameKeys(t, "profile", p, example(t, "Profiles_Create.json"))
	if p["kind"] != "frontdoor" || props(p)["resourceState"] != "Active" || props(p)["originResponseTimeoutSeconds"] != 30.0 ||
		p["sku"].(map[string]any)["name"] != SKUPremium {
		t.Fatalf("profile: %v", p)
	}
	e.fails(400, "BadRequest", "cannot be changed", http.MethodPut, prof, `{"location":"global","sku":{"name":"Standard_AzureFrontDoor"}}`)

	ep := e.must(http.MethodPut, prof+"/afdEndpoints/endpoint1", v, `{"location":"global","properties":{"enabledState":"Enabled"}}`)
	sameKeys(t, "endpoint", ep, example(t, "AFDEndpoints_Create.json"))
	host := props(ep)["hostName"].(string)
	label, ok := strings.CutSuffix(host, ".z01.azurefd.net")
	if !ok || !strings.HasPrefix(label, "endpoint1-") || len(label) != len("endpoint1-")+16 {
		t.Fatalf("host name %q", host)
	}
	// TenantReuse: the same name gets the same host name again.
	e.must(http.MethodDelete, prof+"/afdEndpoints/endpoint1", v, nil)
	if again := props(e.must(http.MethodPut, prof+"/afdEndpoints/endpoint1", v, `{"location":"global"}`))["hostName"]; again != host {
		t.Fatalf("host name after recreation %v, want %s (TenantReuse)", again, host)
	}
	e.fails(400, "BadRequest", "Endpoint name", http.MethodPut, prof+"/afdEndpoints/-bad", `{"location":"global"}`)

	og := e.must(http.MethodPut, prof+"/originGroups/origingroup1", v, `{"properties":{"healthProbeSettings":{"probeIntervalInSeconds":10,"probePath":"/path1","probeProtocol":"Http","probeRequestType":"HEAD"},
		"loadBalancingSettings":{"additionalLatencyInMilliseconds":1000,"sampleSize":3,"successfulSamplesRequired":3},"trafficRestorationTimeToHealedOrNewEndpointsInMinutes":5}}`)
	sameKeys(t, "origin group", og, example(t, "AFDOriginGroups_Create.json"), "authentication")
	e.fails(400, "BadRequest", "probeIntervalInSeconds", http.MethodPut, prof+"/originGroups/g2", `{"properties":{"healthProbeSettings":{"probeIntervalInSeconds":0}}}`)

	o := e.must(http.MethodPut, prof+"/originGroups/origingroup1/origins/origin1", v,
		`{"properties":{"enabledState":"Enabled","hostName":"host1.blob.core.windows.net","httpPort":80,"httpsPort":443,"originHostHeader":"host1.foo.com"}}`)
	sameKeys(t, "origin", o, example(t, "AFDOrigins_Create.json"))
	if op := props(o); op["priority"] != 1.0 || op["weight"] != 1000.0 || op["enforceCertificateNameCheck"] != true || op["originGroupName"] != "origingroup1" {
		t.Fatalf("origin: %v", op)
	}
	e.fails(400, "BadRequest", "priority", http.MethodPut, prof+"/originGroups/origingroup1/origins/o2", `{"properties":{"hostName":"a.example","priority":6}}`)
	e.fails(400, "BadRequest", "hostName", http.MethodPut, prof+"/originGroups/origingroup1/origins/o2", `{"properties":{}}`)
	e.fails(404, "ParentResourceNotFound", "", http.MethodPut, prof+"/originGroups/nope/origins/o2", `{"properties":{"hostName":"a.example"}}`)

	rt := e.must(http.MethodPut, prof+"/afdEndpoints/endpoint1/routes/route1", v, `{"properties":{"originGroup":{"id":"`+prof+`/originGroups/origingroup1"},
		"patternsToMatch":["/*"],"supportedProtocols":["Https","Http"],"forwardingProtocol":"MatchRequest","httpsRedirect":"Enabled","linkToDefaultDomain":"Enabled"}}`)
	sameKeys(t, "route", rt, example(t, "Routes_Create.json"))
	e.fails(400, "BadRequest", "does not exist", http.MethodPut, prof+"/afdEndpoints/endpoint1/routes/r2", `{"properties":{"originGroup":{"id":"`+prof+`/originGroups/nope"}}}`)
	e.fails(400, "BadRequest", "pattern", http.MethodPut, prof+"/afdEndpoints/endpoint1/routes/r2", `{"properties":{"originGroup":{"id":"`+prof+`/originGroups/origingroup1"},"patternsToMatch":["images/*"]}}`)
	// The route holds its origin group.
	if r := e.Do(http.MethodDelete, prof+"/originGroups/origingroup1", v, nil); r.Status != 400 || !strings.Contains(r.ErrorMessage(), "route1") {
		t.Fatalf("delete an origin group in use: %d %s", r.Status, r.Body)
	}

	// Private link needs Premium.
	std := rgPath + "/providers/Microsoft.Cdn/profiles/std"
	e.must(http.MethodPut, std, v, `{"location":"global","sku":{"name":"Standard_AzureFrontDoor"}}`)
	e.must(http.MethodPut, std+"/originGroups/og", v, `{"properties":{}}`)
	e.fails(400, "BadRequest", "Premium_AzureFrontDoor", http.MethodPut, std+"/originGroups/og/origins/o", `{"properties":{"hostName":"10.0.0.4",
		"sharedPrivateLinkResource":{"privateLink":{"id":"`+rgPath+`/providers/Microsoft.Network/privateLinkServices/pls"},"privateLinkLocation":"eastus"}}}`)
}

// providerSide creates an internal load balancer and a private link
// service in rg; it returns the service's ID.
func (e *env) providerSide() string {
	e.t.Helper()
	n := rgPath + "/providers/Microsoft.Network/"
	e.must(http.MethodPut, n+"virtualNetworks/prov", netAPI, `{"location":"eastus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},
		"subnets":[{"name":"backend","properties":{"addressPrefix":"10.0.1.0/24","privateLinkServiceNetworkPolicies":"Disabled"}}]}}`)
	e.must(http.MethodPut, n+"loadBalancers/ilb", netAPI, `{"location":"eastus","sku":{"name":"Standard"},"properties":{
		"frontendIPConfigurations":[{"name":"fe","properties":{"subnet":{"id":"`+n+`virtualNetworks/prov/subnets/backend"}}}],
		"backendAddressPools":[{"name":"pool"}]}}`)
	pls := n + "privateLinkServices/myPLS"
	e.must(http.MethodPut, pls, netAPI, `{"location":"eastus","properties":{
		"loadBalancerFrontendIpConfigurations":[{"id":"`+n+`loadBalancers/ilb/frontendIPConfigurations/fe"}],
		"ipConfigurations":[{"name":"nat","properties":{"primary":true,"subnet":{"id":"`+n+`virtualNetworks/prov/subnets/backend"}}}],
		"visibility":{"subscriptions":["*"]}}}`)
	return pls
}

func (e *env) connections(pls string) []any {
	e.t.Helper()
	l, _ := e.Do(http.MethodGet, pls+"/privateEndpointConnections", netAPI, nil).JSON()["value"].([]any)
	return l
}

func TestPrivateLinkOrigin(t *testing.T) {
	e := start(t, nil)
	pls := e.providerSide()
	e.must(http.MethodPut, prof, v, `{"location":"global","sku":{"name":"Premium_AzureFrontDoor"}}`)
	e.must(http.MethodPut, prof+"/originGroups/og", v, `{"properties":{}}`)
	body := func(msg string) string {
		return `{"properties":{"hostName":"10.0.1.4","sharedPrivateLinkResource":{"privateLink":{"id":"` + pls +
			`"},"privateLinkLocation":"East US","requestMessage":"` + msg + `"}}}`
	}
	o1 := e.must(http.MethodPut, prof+"/originGroups/og/origins/o1", v, body("from front door"))
	spl := props(o1)["sharedPrivateLinkResource"].(map[string]any)
	if spl["status"] != "Pending" || spl["privateLinkLocation"] != "eastus" || spl["requestMessage"] != "from front door" {
		t.Fatalf("sharedPrivateLinkResource: %v", spl)
	}
	// A second origin over the same service and location shares the endpoint.
	e.must(http.MethodPut, prof+"/originGroups/og/origins/o2", v, body("again"))
	conns := e.connections(pls)
	if len(conns) != 1 {
		t.Fatalf("connections on the link service: %d, want 1 (one endpoint per profile, service and location)", len(conns))
	}
	c := conns[0].(map[string]any)
	cp := props(c)
	peID := cp["privateEndpoint"].(map[string]any)["id"].(string)
	if !strings.Contains(peID, "/subscriptions/"+InfraSubscription+"/") || cp["privateLinkServiceConnectionState"].(map[string]any)["status"] != "Pending" {
		t.Fatalf("connection: %v", c)
	}
	pe := e.Do(http.MethodGet, peID, netAPI, nil).JSON()
	mc := props(pe)["manualPrivateLinkServiceConnections"].([]any)[0].(map[string]any)
	if props(mc)["requestMessage"] != "from front door" || pe["location"] != "eastus" {
		t.Fatalf("Front Door's endpoint: %v", pe)
	}
	// The owner approves: the origins follow.
	state := cp["privateLinkServiceConnectionState"].(map[string]any)
	state["status"], state["description"] = "Approved", "ok"
	b, _ := json.Marshal(map[string]any{"name": c["name"], "properties": map[string]any{"privateLinkServiceConnectionState": state}})
	e.must(http.MethodPut, pls+"/privateEndpointConnections/"+c["name"].(string), netAPI, string(b))
	for _, o := range []string{"o1", "o2"} {
		got := props(e.Do(http.MethodGet, prof+"/originGroups/og/origins/"+o, v, nil).JSON())["sharedPrivateLinkResource"].(map[string]any)["status"]
		if got != "Approved" {
			t.Fatalf("origin %s status %v after approval", o, got)
		}
	}
	// The endpoint stays while an origin uses it, and goes with the last.
	e.must(http.MethodDelete, prof+"/originGroups/og/origins/o1", v, nil)
	time.Sleep(300 * time.Millisecond)
	if n := len(e.connections(pls)); n != 1 {
		t.Fatalf("connections after deleting one of two origins: %d", n)
	}
	e.must(http.MethodDelete, prof+"/originGroups/og/origins/o2", v, nil)
	e.eventually("the endpoint is deleted with the last origin", func() bool { return len(e.connections(pls)) == 0 })
	// Deleting the profile removes its hidden resource group.
	e.must(http.MethodDelete, prof, v, nil)
	e.eventually("the hidden resource group goes with the profile", func() bool {
		l, _ := e.Do(http.MethodGet, "/subscriptions/"+InfraSubscription+"/resourcegroups", "2021-04-01", nil).JSON()["value"].([]any)
		return len(l) == 0
	})
}

func (e *env) eventually(what string, ok func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatal(what + ": timed out")
		}
	}
}

func TestEdgeRouting(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "origin %s %s proto=%s fwdhost=%s", r.Host, r.URL.Path, r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Host"))
	}))
	defer origin.Close()
	var dialed []string
	e := start(t, func(ctx context.Context, vantage, addr string) (net.Conn, error) {
		dialed = append(dialed, vantage+" "+addr)
		if addr == "down.example:80" {
			return nil, errors.New("privlink: connection refused")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", origin.Listener.Addr().String())
	})
	e.must(http.MethodPut, prof, v, `{"location":"global","sku":{"name":"Standard_AzureFrontDoor"}}`)
	host := props(e.must(http.MethodPut, prof+"/afdEndpoints/ep", v, `{"location":"global"}`))["hostName"].(string)
	e.must(http.MethodPut, prof+"/originGroups/og", v, `{"properties":{}}`)
	e.must(http.MethodPut, prof+"/originGroups/og/origins/o", v, `{"properties":{"hostName":"app.example","originHostHeader":"app.contoso.com"}}`)
	e.must(http.MethodPut, prof+"/originGroups/down", v, `{"properties":{}}`)
	e.must(http.MethodPut, prof+"/originGroups/down/origins/o", v, `{"properties":{"hostName":"down.example"}}`)
	route := func(name, group, patterns, extra string) {
		e.must(http.MethodPut, prof+"/afdEndpoints/ep/routes/"+name, v, `{"properties":{"originGroup":{"id":"`+prof+`/originGroups/`+group+`"},
			"patternsToMatch":`+patterns+`,"linkToDefaultDomain":"Enabled","forwardingProtocol":"HttpOnly"`+extra+`}}`)
	}
	route("api", "og", `["/api/*"]`, `,"supportedProtocols":["Http","Https"]`)
	route("secure", "og", `["/secure/*"]`, `,"supportedProtocols":["Http","Https"],"httpsRedirect":"Enabled"`)
	route("broken", "down", `["/broken"]`, ``)
	httpT, _ := e.pr.EdgeTargets()
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+httpT+path, nil)
		req.Host = host
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if code, body, h := get("/api/v1"); code != 200 || body != "origin app.contoso.com /api/v1 proto=http fwdhost="+host || h.Get("X-Azure-Ref") == "" {
		t.Fatalf("/api/v1: %d %q", code, body)
	}
	if len(dialed) != 1 || !strings.HasSuffix(dialed[0], "/virtualMachines/edge app.example:80") {
		t.Fatalf("dials: %v", dialed)
	}
	if code, _, h := get("/secure/x?q=1"); code != http.StatusTemporaryRedirect || h.Get("Location") != "https://"+host+"/secure/x?q=1" {
		t.Fatalf("/secure/x: %d %v", code, h)
	}
	if code, body, _ := get("/other"); code != 404 || !strings.Contains(body, "Page not found") {
		t.Fatalf("/other: %d %q", code, body)
	}
	if code, body, _ := get("/broken"); code != 503 || !strings.Contains(body, "Our services aren't available right now") {
		t.Fatalf("/broken: %d %q", code, body)
	}
	// A disabled endpoint answers nothing.
	e.must(http.MethodPut, prof+"/afdEndpoints/ep", v, `{"location":"global","properties":{"enabledState":"Disabled"}}`)
	if code, _, _ := get("/api/v1"); code != 404 {
		t.Fatalf("disabled endpoint: %d", code)
	}
}

// testWriter sends the provider's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
