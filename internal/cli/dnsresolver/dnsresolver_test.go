package dnsresolver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
	provider "github.com/privlink/privlink/internal/providers/dnsresolver"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

func TestShorthand(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{`[{private-ip-address:"",private-ip-allocation-method:Dynamic,id:/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/in}]`,
			`[{"private-ip-address":"","private-ip-allocation-method":"Dynamic","id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/in"}]`},
		{`[{ip-address:10.0.0.1,port:53},{ip-address:'10.0.0.2', port:5353}]`,
			`[{"ip-address":"10.0.0.1","port":"53"},{"ip-address":"10.0.0.2","port":"5353"}]`},
		{`[{"ipAddress":"10.0.0.1","port":53}]`, `[{"ipAddress":"10.0.0.1","port":53}]`},
		{`{a:'it''s',b:null,c:[x,y]}`, `{"a":"it's","b":null,"c":["x","y"]}`},
		{`{k:"with,comma"}`, `{"k":"with,comma"}`},
	}
	for _, tc := range cases {
		got, err := parseShorthand("--x", tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		var want any
		_ = json.Unmarshal([]byte(tc.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", tc.in, got, want)
		}
	}
	for _, bad := range []string{`[{a:1`, `{a}`, `[{a:1}]x`, `{a:'x}`} {
		if _, err := parseShorthand("--x", bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	v, _ := parseShorthand("--target-dns-servers", `[{ip-address:10.0.0.1,port:53}]`)
	ts, err := objects("--target-dns-servers", v, targetFields)
	if err != nil || !reflect.DeepEqual(ts, []any{map[string]any{"ipAddress": "10.0.0.1", "port": 53}}) {
		t.Fatalf("targets %v %v", ts, err)
	}
	if _, err := objects("--target-dns-servers", v, ipConfigFields); err == nil || !strings.Contains(err.Error(), `unknown key "ip-address"`) {
		t.Fatalf("unknown key: %v", err)
	}
	v, _ = parseShorthand("--target-dns-servers", `[{ip-address:10.0.0.1,port:fifty}]`)
	if _, err := objects("--target-dns-servers", v, targetFields); err == nil {
		t.Fatal("non-integer port accepted")
	}
}

// The end-to-end tests run the commands against the real ARM engine with
// the resources, network and dnsresolver providers.

const tokenPath = "/organizations/oauth2/v2.0/token"

type tokenTransport struct{ base http.RoundTripper }

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == tokenPath {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_ = req.Body.Close()
		}
		return &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"access_token":"e2e","token_type":"Bearer","expires_in":3600}`)),
		}, nil
	}
	return t.base.RoundTrip(req)
}

type daemon struct {
	*armtest.Server
	t       *testing.T
	dataDir string
}

func (d *daemon) run(args ...string) clitest.Result {
	d.t.Helper()
	env := map[string]string{core.EnvEndpoint: d.URL, core.EnvDataDir: d.dataDir}
	r := &core.Runner{
		Tree:       core.NewTree(Groups()...),
		Getenv:     func(k string) string { return env[k] },
		HTTPClient: &http.Client{Transport: tokenTransport{base: d.Transport()}},
		Sleep: func(ctx context.Context, _ time.Duration) error {
			tm := time.NewTimer(5 * time.Millisecond)
			defer tm.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tm.C:
				return nil
			}
		},
	}
	var out, errb bytes.Buffer
	code := r.Run(context.Background(), args, core.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

func TestCommandsEndToEnd(t *testing.T) {
	d := &daemon{Server: armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, provider.Provider{}), t: t, dataDir: t.TempDir()}
	sub := armtest.Subscription
	if r := d.Do(http.MethodPut, "/subscriptions/"+sub+"/resourcegroups/rg", "2021-04-01", `{"location":"westus2"}`); r.Status >= 300 {
		t.Fatalf("group: %d %s", r.Status, r.Body)
	}
	vnet := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub"
	del := []any{map[string]any{"name": "d", "properties": map[string]any{"serviceName": "Microsoft.Network/dnsResolvers"}}}
	r := d.Do(http.MethodPut, vnet, "2022-01-01", map[string]any{"location": "westus2", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"10.0.0.0/16"}},
		"subnets": []any{
			map[string]any{"name": "in", "properties": map[string]any{"addressPrefix": "10.0.0.0/28", "delegations": del}},
			map[string]any{"name": "out", "properties": map[string]any{"addressPrefix": "10.0.0.16/28", "delegations": del}},
		}}})
	if r.Status >= 300 || d.Wait(r) != "Succeeded" {
		t.Fatalf("vnet: %d %s", r.Status, r.Body)
	}

	res := d.run("dns-resolver", "create", "-g", "rg", "-n", "res", "--id", vnet, "--tags", "k=v").Expect(t, 0).Object(t)
	if res["dnsResolverState"] != "Connected" || res["location"] != "westus2" || res["properties"] != nil {
		t.Fatalf("create output (aaz shape, location from the group): %v", res)
	}
	in := d.run("dns-resolver", "inbound-endpoint", "create", "-g", "rg", "--dns-resolver-name", "res", "-n", "in",
		"--ip-configurations", `[{private-ip-address:"",private-ip-allocation-method:Dynamic,id:`+vnet+`/subnets/in}]`).Expect(t, 0).Object(t)
	cfg := in["ipConfigurations"].([]any)[0].(map[string]any)
	if cfg["privateIpAddress"] != "10.0.0.4" || cfg["privateIpAllocationMethod"] != "Dynamic" {
		t.Fatalf("inbound: %v", in)
	}
	d.run("dns-resolver", "outbound-endpoint", "create", "-g", "rg", "--dns-resolver-name", "res", "-n", "out", "--id", vnet+"/subnets/out").Expect(t, 0)
	outID := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/dnsResolvers/res/outboundEndpoints/out"
	d.run("dns-resolver", "forwarding-ruleset", "create", "-g", "rg", "-n", "rs", "--outbound-endpoints", `[{id:`+outID+`}]`).Expect(t, 0)
	rule := d.run("dns-resolver", "forwarding-rule", "create", "-g", "rg", "--ruleset-name", "rs", "-n", "contoso",
		"--domain-name", "contoso.com.", "--forwarding-rule-state", "Enabled", "--metadata", "additionalProp1=value1",
		"--target-dns-servers", `[{ip-address:"10.0.0.4",port:53},{ip-address:10.1.0.4,port:53}]`).Expect(t, 0).Object(t)
	if ts := rule["targetDnsServers"].([]any); len(ts) != 2 || ts[1].(map[string]any)["ipAddress"] != "10.1.0.4" ||
		rule["metadata"].(map[string]any)["additionalProp1"] != "value1" {
		t.Fatalf("rule: %v", rule)
	}
	// A domain name without the trailing dot: the service's error.
	bad := d.run("dns-resolver", "forwarding-rule", "create", "-g", "rg", "--ruleset-name", "rs", "-n", "x",
		"--domain-name", "contoso.org", "--target-dns-servers", `[{ip-address:10.0.0.4}]`).Expect(t, 1)
	if !strings.Contains(bad.Stderr, "ERROR: (BadRequest)") || !strings.Contains(bad.Stderr, "ending with a dot") {
		t.Fatalf("stderr: %s", bad.Stderr)
	}
	upd := d.run("dns-resolver", "forwarding-rule", "update", "-g", "rg", "--ruleset-name", "rs", "-n", "contoso",
		"--forwarding-rule-state", "Disabled", "--target-dns-servers", `[{ip-address:10.2.0.4,port:5353}]`).Expect(t, 0).Object(t)
	if upd["forwardingRuleState"] != "Disabled" || upd["targetDnsServers"].([]any)[0].(map[string]any)["port"] != float64(5353) {
		t.Fatalf("update: %v", upd)
	}
	d.run("dns-resolver", "vnet-link", "create", "-g", "rg", "--ruleset-name", "rs", "-n", "hub", "--id", vnet).Expect(t, 0)
	if l := d.run("dns-resolver", "vnet-link", "list", "-g", "rg", "--ruleset-name", "rs").Expect(t, 0).JSON(t).([]any); len(l) != 1 {
		t.Fatalf("links: %v", l)
	}
	if l := d.run("dns-resolver", "list", "-g", "rg").Expect(t, 0).JSON(t).([]any); len(l) != 1 {
		t.Fatalf("resolvers: %v", l)
	}
	if l := d.run("dns-resolver", "forwarding-ruleset", "list").Expect(t, 0).JSON(t).([]any); len(l) != 1 {
		t.Fatalf("rulesets of the subscription: %v", l)
	}
	if s := d.run("dns-resolver", "forwarding-ruleset", "show", "-g", "rg", "-n", "rs").Expect(t, 0).Object(t); s["dnsResolverOutboundEndpoints"] == nil {
		t.Fatalf("ruleset show: %v", s)
	}
	d.run("dns-resolver", "inbound-endpoint", "show", "-g", "rg", "--dns-resolver-name", "res", "-n", "nope").Expect(t, 3)
	byVNet := d.run("dns-resolver", "forwarding-ruleset", "list-by-virtual-network", "-g", "rg", "--virtual-network-name", "hub").Expect(t, 0).JSON(t).([]any)
	if len(byVNet) != 1 || !strings.HasSuffix(byVNet[0].(map[string]any)["id"].(string), "/dnsForwardingRulesets/rs") ||
		byVNet[0].(map[string]any)["virtualNetworkLink"] == nil {
		t.Fatalf("rulesets by vnet: %v", byVNet)
	}
	if l := d.run("dns-resolver", "list-by-virtual-network", "-g", "rg", "--virtual-network-name", "hub").Expect(t, 0).JSON(t).([]any); len(l) != 1 {
		t.Fatalf("resolvers by vnet: %v", l)
	}
	// Deleting the resolver with endpoints is refused.
	e := d.run("dns-resolver", "delete", "-g", "rg", "-n", "res", "--yes").Expect(t, 1)
	if !strings.Contains(e.Stderr, "cannot be deleted because it has inbound or outbound endpoints") {
		t.Fatalf("stderr: %s", e.Stderr)
	}
	d.run("dns-resolver", "forwarding-rule", "delete", "-g", "rg", "--ruleset-name", "rs", "-n", "contoso", "--yes").Expect(t, 0)
	d.run("dns-resolver", "forwarding-ruleset", "delete", "-g", "rg", "-n", "rs", "--yes").Expect(t, 0)
	d.run("dns-resolver", "outbound-endpoint", "delete", "-g", "rg", "--dns-resolver-name", "res", "-n", "out", "--yes").Expect(t, 0)
	d.run("dns-resolver", "inbound-endpoint", "delete", "-g", "rg", "--dns-resolver-name", "res", "-n", "in", "--yes").Expect(t, 0)
	d.run("dns-resolver", "delete", "-g", "rg", "-n", "res", "--yes").Expect(t, 0)
	// Shorthand errors are usage errors.
	d.run("dns-resolver", "forwarding-ruleset", "create", "-g", "rg", "-n", "rs2", "--outbound-endpoints", `[{id:`).Expect(t, 2)
}
