package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const cdnAPI = "2025-06-01"

// seen is what the origin's real server observed of one request.
type seen struct {
	Remote, Host, Path          string
	ForwardedHost, Proto, For   string
	AzureRef, FDID, Via, Origin string
}

// TestFrontDoorPrivateLink drives Front Door Premium over Private Link:
// a provider's internal Standard load balancer with a backend machine
// served by a real HTTP server, published as a private link service; a
// Premium profile whose origin uses that service. Front Door's endpoint
// into the service waits Pending with the request message; meanwhile a
// request from the internet to the endpoint host gets Front Door's error
// page. After the owner approves, HTTP and HTTPS requests reach the
// backend through edge host -> private endpoint -> link service NAT ->
// load balancer, with the origin host header and Front Door's headers,
// and the backend sees the NAT IP as the client. Deleting the origin
// removes the endpoint and the service's connection.
func TestFrontDoorPrivateLink(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	c := daemonClient(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tok := "Bearer " + c.token(t)
	sub := c.Subscription
	const rg, loc = "fd-origin", "eastus"
	base := "/subscriptions/" + sub + "/resourceGroups/" + rg
	netID := func(typ, name string) string { return base + "/providers/Microsoft.Network/" + typ + "/" + name }
	cdnID := base + "/providers/Microsoft.Cdn/profiles/fd"

	// call sends a request and, for long-running ones, polls the resource
	// until its provisioningState is terminal.
	call := func(method, path, apiVersion, body string, want ...int) map[string]any {
		t.Helper()
		r := c.do(t, method, c.Endpoint+path+"?api-version="+apiVersion, tok, body)
		ok := false
		for _, w := range want {
			ok = ok || r.Status == w
		}
		if !ok {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		var out map[string]any
		_ = json.Unmarshal(r.Body, &out)
		return out
	}
	wait := func(path, apiVersion string) map[string]any {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			out := call(http.MethodGet, path, apiVersion, "", 200)
			props, _ := out["properties"].(map[string]any)
			switch props["provisioningState"] {
			case "Succeeded":
				return out
			case "Failed":
				t.Fatalf("%s failed: %v", path, out)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %v", path, props["provisioningState"])
			}
		}
	}
	put := func(path, apiVersion, body string) map[string]any {
		t.Helper()
		call(http.MethodPut, path, apiVersion, body, 200, 201, 202)
		return wait(path, apiVersion)
	}

	call(http.MethodPut, base, "2021-04-01", `{"location":"`+loc+`"}`, 200, 201)
	put(netID("virtualNetworks", "prov"), "2022-05-01", `{"location":"`+loc+`","properties":{
		"addressSpace":{"addressPrefixes":["10.0.0.0/16","10.224.0.0/16"]},
		"subnets":[{"name":"backend","properties":{"addressPrefix":"10.0.1.0/24"}},
		           {"name":"pls","properties":{"addressPrefix":"10.224.10.0/24","privateLinkServiceNetworkPolicies":"Disabled"}}]}}`)
	lb := netID("loadBalancers", "ilb")
	put(lb, "2022-05-01", `{"location":"`+loc+`","sku":{"name":"Standard"},"properties":{
		"frontendIPConfigurations":[{"name":"fe","properties":{"privateIPAddress":"10.0.1.10","privateIPAllocationMethod":"Static",
			"subnet":{"id":"`+netID("virtualNetworks", "prov")+`/subnets/backend"}}}],
		"backendAddressPools":[{"name":"pool"}],
		"probes":[{"name":"http","properties":{"protocol":"Tcp","port":8080,"intervalInSeconds":5,"numberOfProbes":1}}],
		"loadBalancingRules":[{"name":"http","properties":{"protocol":"Tcp","frontendPort":80,"backendPort":8080,
			"frontendIPConfiguration":{"id":"`+lb+`/frontendIPConfigurations/fe"},
			"backendAddressPool":{"id":"`+lb+`/backendAddressPools/pool"},"probe":{"id":"`+lb+`/probes/http"}}}]}}`)
	backendID, _ := linuxVM(ctx, t, c, sub, rg, loc, "backend", netID("virtualNetworks", "prov")+"/subnets/backend", lb+"/backendAddressPools/pool")

	// The backend's real server.
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{Remote: r.RemoteAddr, Host: r.Host, Path: r.URL.Path, ForwardedHost: r.Header.Get("X-Forwarded-Host"),
			Proto: r.Header.Get("X-Forwarded-Proto"), For: r.Header.Get("X-Forwarded-For"), AzureRef: r.Header.Get("X-Azure-Ref"),
			FDID: r.Header.Get("X-Azure-FDID"), Via: r.Header.Get("Via")})
		mu.Unlock()
		fmt.Fprintf(w, "Hello from Super API at %s\n", r.URL.Path)
	}))
	defer srv.Close()
	call(http.MethodPut, backendID+"/providers/Privlink.Fabric/listeners/tcp-8080", "2025-01-01",
		`{"properties":{"protocol":"Tcp","port":8080,"target":"`+srv.Listener.Addr().String()+`"}}`, 200, 201)

	plsID := netID("privateLinkServices", "myPLS")
	put(plsID, "2022-05-01", `{"location":"`+loc+`","properties":{
		"loadBalancerFrontendIpConfigurations":[{"id":"`+lb+`/frontendIPConfigurations/fe"}],
		"ipConfigurations":[{"name":"nat","properties":{"primary":true,"privateIPAddress":"10.224.10.10","privateIPAllocationMethod":"Static",
			"subnet":{"id":"`+netID("virtualNetworks", "prov")+`/subnets/pls"}}}],
		"visibility":{"subscriptions":["*"]}}}`)

	// Front Door Premium.
	put(cdnID, cdnAPI, `{"location":"global","sku":{"name":"Premium_AzureFrontDoor"}}`)
	ep := put(cdnID+"/afdEndpoints/aksdemo", cdnAPI, `{"location":"global","properties":{"enabledState":"Enabled"}}`)
	host, _ := ep["properties"].(map[string]any)["hostName"].(string)
	if !strings.HasPrefix(host, "aksdemo-") || !strings.HasSuffix(host, ".z01.azurefd.net") || len(host) != len("aksdemo-")+16+len(".z01.azurefd.net") {
		t.Fatalf("endpoint host name %q", host)
	}
	put(cdnID+"/originGroups/og", cdnAPI, `{"properties":{"loadBalancingSettings":{"sampleSize":4,"successfulSamplesRequired":3,"additionalLatencyInMilliseconds":50},
		"healthProbeSettings":{"probePath":"/","probeProtocol":"Http","probeRequestType":"HEAD","probeIntervalInSeconds":100}}}`)
	originPath := cdnID + "/originGroups/og/origins/aks"
	origin := put(originPath, cdnAPI, `{"properties":{"hostName":"10.0.1.10","originHostHeader":"api.contoso.com","httpPort":80,"httpsPort":443,
		"priority":1,"weight":1000,"enabledState":"Enabled",
		"sharedPrivateLinkResource":{"privateLink":{"id":"`+plsID+`"},"privateLinkLocation":"eastus","requestMessage":"Please approve Front Door"}}}`)
	status := func(o map[string]any) string {
		s, _ := o["properties"].(map[string]any)["sharedPrivateLinkResource"].(map[string]any)["status"].(string)
		return s
	}
	if s := status(origin); s != "Pending" {
		t.Fatalf("origin private link status %q, want Pending", s)
	}
	put(cdnID+"/afdEndpoints/aksdemo/routes/r1", cdnAPI, `{"properties":{"originGroup":{"id":"`+cdnID+`/originGroups/og"},
		"patternsToMatch":["/*"],"supportedProtocols":["Http","Https"],"forwardingProtocol":"HttpOnly","linkToDefaultDomain":"Enabled","httpsRedirect":"Disabled"}}`)

	// The owner sees the pending connection with the request message.
	conns := call(http.MethodGet, plsID+"/privateEndpointConnections", "2022-05-01", "", 200)
	vals, _ := conns["value"].([]any)
	if len(vals) != 1 {
		t.Fatalf("link service connections: %v", conns)
	}
	conn := vals[0].(map[string]any)
	cprops := conn["properties"].(map[string]any)
	cstate := cprops["privateLinkServiceConnectionState"].(map[string]any)
	if cstate["status"] != "Pending" {
		t.Fatalf("connection state %v, want Pending", cstate)
	}
	peID, _ := cprops["privateEndpoint"].(map[string]any)["id"].(string)
	if strings.Contains(peID, sub) {
		t.Fatalf("Front Door's private endpoint %s is in the customer's subscription", peID)
	}
	pe := call(http.MethodGet, peID, "2022-05-01", "", 200)
	manual, _ := pe["properties"].(map[string]any)["manualPrivateLinkServiceConnections"].([]any)
	if len(manual) != 1 || manual[0].(map[string]any)["properties"].(map[string]any)["requestMessage"] != "Please approve Front Door" {
		t.Fatalf("Front Door's private endpoint: %v, want one manual connection with the request message", pe)
	}

	// From the internet, through the daemon's HTTP proxy.
	internet := func() *http.Client {
		proxyURL := &url.URL{Scheme: "http", User: url.UserPassword("internet", d.FabricToken()), Host: d.HTTPProxyAddr()}
		tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: caPool(t, d.CAFile()), MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true}
		return &http.Client{Transport: tr, Timeout: 20 * time.Second}
	}
	hc := internet()
	get := func(u string) (int, string, http.Header) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, hdr := get("http://" + host + "/hello")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "Our services aren't available right now") || hdr.Get("X-Azure-Ref") == "" {
		t.Fatalf("before approval: %d %q (X-Azure-Ref %q), want 503 with Front Door's error page", code, body, hdr.Get("X-Azure-Ref"))
	}
	mu.Lock()
	if len(got) != 0 {
		t.Fatalf("the backend was reached before approval: %+v", got)
	}
	mu.Unlock()

	// The owner approves.
	cstate["status"], cstate["description"] = "Approved", "ok"
	b, _ := json.Marshal(map[string]any{"name": conn["name"], "properties": map[string]any{"privateLinkServiceConnectionState": cstate}})
	call(http.MethodPut, plsID+"/privateEndpointConnections/"+conn["name"].(string), "2022-05-01", string(b), 200, 201, 202)
	if s := status(call(http.MethodGet, originPath, cdnAPI, "", 200)); s != "Approved" {
		t.Fatalf("origin private link status %q after approval, want Approved", s)
	}
	// The load balancer's first probe may still be under way.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, body, hdr = get("http://" + host + "/hello")
		if code == http.StatusOK || time.Now().After(deadline) {
			break
		}
	}
	if code != http.StatusOK || body != "Hello from Super API at /hello\n" || hdr.Get("X-Azure-Ref") == "" {
		t.Fatalf("after approval: %d %q", code, body)
	}
	code, body, _ = get("https://" + host + "/secure")
	if code != http.StatusOK || body != "Hello from Super API at /secure\n" {
		t.Fatalf("HTTPS after approval: %d %q", code, body)
	}
	mu.Lock()
	reqs := append([]seen(nil), got...)
	mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("the backend saw %d requests, want 2: %+v", len(reqs), reqs)
	}
	for i, want := range []struct{ path, proto string }{{"/hello", "http"}, {"/secure", "https"}} {
		r := reqs[i]
		if !strings.HasPrefix(r.Remote, "127.224.10.10:") || r.Host != "api.contoso.com" || r.Path != want.path ||
			r.ForwardedHost != host || r.Proto != want.proto || r.For != "203.0.113.10" || r.AzureRef == "" || r.FDID == "" || r.Via == "" {
			t.Errorf("request %d as the backend saw it: %+v; want peer 127.224.10.10 (the NAT IP), Host api.contoso.com, X-Forwarded-Host %s, X-Forwarded-Proto %s, X-Forwarded-For 203.0.113.10",
				i, r, host, want.proto)
		}
	}

	// After a restart the edge listens on new loopback ports: the edge
	// host's listeners follow.
	stopDaemon(t, d)
	d = startDaemon(t, dir)
	c = daemonClient(t, d)
	tok = "Bearer " + c.token(t)
	hc = internet()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, body, _ = get("http://" + host + "/again")
		if code == http.StatusOK || time.Now().After(deadline) {
			break
		}
	}
	if code != http.StatusOK || body != "Hello from Super API at /again\n" {
		t.Fatalf("after a restart: %d %q", code, body)
	}

	// Rejecting the connection stops Front Door's traffic at once, although
	// the edge keeps its connections to the origin open between requests:
	// the fabric closes flows whose endpoint connection is no longer
	// Approved, and the edge rereads its configuration after the write.
	mu.Lock()
	served := len(got)
	mu.Unlock()
	cstate["status"], cstate["description"] = "Rejected", "no more"
	b, _ = json.Marshal(map[string]any{"name": conn["name"], "properties": map[string]any{"privateLinkServiceConnectionState": cstate}})
	call(http.MethodPut, plsID+"/privateEndpointConnections/"+conn["name"].(string), "2022-05-01", string(b), 200, 201, 202)
	if code, body, _ = get("http://" + host + "/rejected"); code != http.StatusServiceUnavailable {
		t.Fatalf("after rejection: %d %q, want 503", code, body)
	}
	mu.Lock()
	if len(got) != served {
		t.Errorf("the backend saw a request after the rejection: %+v", got[served:])
	}
	mu.Unlock()

	// Deleting the origin removes Front Door's endpoint and the connection.
	call(http.MethodDelete, originPath, cdnAPI, "", 200, 202, 204)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		conns := call(http.MethodGet, plsID+"/privateEndpointConnections", "2022-05-01", "", 200)
		if vals, _ := conns["value"].([]any); len(vals) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection is still there after the origin was deleted: %v", conns)
		}
	}
	stopDaemon(t, d)
}
