package nsg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

// daemon is the real ARM front end (armtest, with the resources and
// network providers and the provisioner) behind the clitest endpoint: the
// fake serves the CLI's token requests and records every request, and
// proxies everything else to the real server.
type daemon struct {
	t *testing.T
	s *armtest.Server
	f *clitest.Fake
}

func startDaemon(t *testing.T) *daemon {
	t.Helper()
	s := armtest.Start(t, armtest.Options{PageSize: 2}, resources.Provider{}, network.Provider{})
	f := clitest.New(t)
	d := &daemon{t: t, s: s, f: f}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodPost, http.MethodDelete, http.MethodHead} {
		for n := 1; n <= 14; n++ {
			f.Handle(m, strings.Repeat("/*", n), d.proxy)
		}
	}
	if r := s.Do(http.MethodPut, "/subscriptions/"+armtest.Subscription+"/resourcegroups/rg", core.ResourceGroupsAPIVersion,
		`{"location":"westus2"}`); r.Status != http.StatusCreated {
		t.Fatalf("create resource group: %d %s", r.Status, r.Body)
	}
	return d
}

// proxy forwards a request to the real server, rewriting its URLs (LRO
// headers, nextLink) to the fake's so that polling is recorded too.
func (d *daemon) proxy(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, d.s.URL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := d.s.Client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	rb = bytes.ReplaceAll(rb, []byte(d.s.URL), []byte(d.f.Server.URL))
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, strings.ReplaceAll(v, d.s.URL, d.f.Server.URL))
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rb)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rb)
}

// run executes a command line of this package's groups; polls sleep a few
// milliseconds so the provisioner can finish operations.
func (d *daemon) run(args ...string) clitest.Result {
	d.t.Helper()
	var out, errb bytes.Buffer
	r := &core.Runner{
		Tree: core.NewTree(Groups()...),
		Sleep: func(ctx context.Context, _ time.Duration) error {
			t := time.NewTimer(5 * time.Millisecond)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := r.Run(ctx, args, core.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// armError checks az's rendering of an ARM error: "ERROR: (Code) ...",
// then "Code: ..." and "Message: ..." lines.
func armError(t *testing.T, res clitest.Result, code, msgPart string) {
	t.Helper()
	if !strings.HasPrefix(res.Stderr, "ERROR: ("+code+") ") || !strings.Contains(res.Stderr, "\nCode: "+code+"\nMessage: ") ||
		!strings.Contains(res.Stderr, msgPart) {
		t.Errorf("stderr, want (%s) ... %q:\n%s", code, msgPart, res.Stderr)
	}
	if res.Stdout != "" {
		t.Errorf("stdout on error: %s", res.Stdout)
	}
}

// staticCred is a fake azcore.TokenCredential for the SDK client.
type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// rulesClient is the Azure SDK for Go's security rules client on the real
// server, to check that what the CLI writes is what SDK users read.
func (d *daemon) rulesClient() *armnetwork.SecurityRulesClient {
	d.t.Helper()
	c, err := armnetwork.NewSecurityRulesClient(armtest.Subscription, staticCred{}, &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: d.s.URL, Audience: d.s.URL},
		}},
		Transport: &http.Client{Transport: d.s.Transport()},
	}})
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

func names(list []any) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.(map[string]any)["name"].(string))
	}
	return out
}

// keysOf lists an object's keys except the volatile or CLI-added ones.
func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		switch k {
		case "etag", "resourceGroup", "resourceGuid", "type", "tags", "flushConnection", "subnets", "networkInterfaces":
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestE2ENetworkSecurityGroup(t *testing.T) {
	d := startDaemon(t)
	const nsgID = "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1"

	// create: location from the resource group, {"NewNSG": ...}, flattened.
	res := d.run("network", "nsg", "create", "-g", "rg", "-n", "nsg1", "--tags", "env=test").Expect(t, 0)
	nsg, ok := res.Object(t)["NewNSG"].(map[string]any)
	if !ok {
		t.Fatalf("create output: %s", res.Stdout)
	}
	if nsg["id"] != nsgID || nsg["location"] != "westus2" || nsg["provisioningState"] != "Succeeded" ||
		nsg["resourceGroup"] != "rg" || nsg["tags"].(map[string]any)["env"] != "test" {
		t.Errorf("NewNSG = %v", nsg)
	}
	defaults := nsg["defaultSecurityRules"].([]any)
	if got := names(defaults); strings.Join(got, ",") != "AllowVnetInBound,AllowAzureLoadBalancerInBound,DenyAllInBound,AllowVnetOutBound,AllowInternetOutBound,DenyAllOutBound" {
		t.Errorf("default rules = %v", got)
	}
	if r := defaults[0].(map[string]any); r["priority"] != float64(65000) || r["properties"] != nil {
		t.Errorf("default rule not flattened: %v", r)
	}
	noNulls(t, "NewNSG", nsg)
	// Same shape as Azure's NetworkSecurityGroups_Get example, flattened.
	want := NSGShape.Apply(example(t, "NetworkSecurityGroupGet.json", "200")).(map[string]any)
	if got := keysOf(nsg); strings.Join(got, ",") != strings.Join(keysOf(want), ",") {
		t.Errorf("keys = %v, example's = %v", got, keysOf(want))
	}
	for _, put := range d.f.Find("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1") {
		if put.APIVersion() != APIVersion {
			t.Errorf("api-version %s", put.APIVersion())
		}
	}

	// rules: az's defaults, singular/plural, service tags.
	r1 := d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "r1", "--priority", "100").Expect(t, 0).Object(t)
	for k, v := range map[string]any{"access": "Allow", "direction": "Inbound", "protocol": "*", "priority": float64(100),
		"sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "80",
		"provisioningState": "Succeeded", "resourceGroup": "rg", "id": nsgID + "/securityRules/r1"} {
		if r1[k] != v {
			t.Errorf("r1.%s = %v, want %v", k, r1[k], v)
		}
	}
	wantRule := keysOf(RuleShape.Apply(example(t, "NetworkSecurityGroupRuleCreate.json", "201")).(map[string]any))
	if got := keysOf(r1); strings.Join(got, ",") != strings.Join(wantRule, ",") {
		t.Errorf("rule keys = %v, example's = %v", got, wantRule)
	}
	r2 := d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "r2", "--priority", "200",
		"--direction", "Outbound", "--access", "Deny", "--protocol", "Tcp", "--source-address-prefixes", "10.0.0.0/8", "10.1.0.0/16",
		"--destination-address-prefixes", "AzureActiveDirectory", "--destination-port-ranges", "443", "8443",
		"--description", "to AAD").Expect(t, 0).Object(t)
	if len(r2["sourceAddressPrefixes"].([]any)) != 2 || len(r2["destinationPortRanges"].([]any)) != 2 ||
		r2["destinationAddressPrefix"] != "AzureActiveDirectory" || r2["description"] != "to AAD" || r2["sourcePortRange"] != "*" {
		t.Errorf("r2 = %v", r2)
	}
	// The SDK reads what the CLI wrote, and the CLI lists what the SDK writes.
	ctx := context.Background()
	rules := d.rulesClient()
	got, err := rules.Get(ctx, "rg", "nsg1", "r2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Properties; *p.Access != armnetwork.SecurityRuleAccessDeny || len(p.SourceAddressPrefixes) != 2 ||
		p.SourceAddressPrefix != nil || *p.DestinationAddressPrefix != "AzureActiveDirectory" || *p.Priority != 200 {
		t.Errorf("SDK Get r2 = %+v", p)
	}
	poller, err := rules.BeginCreateOrUpdate(ctx, "rg", "nsg1", "sdk", armnetwork.SecurityRule{Properties: &armnetwork.SecurityRulePropertiesFormat{
		Access: to.Ptr(armnetwork.SecurityRuleAccessAllow), Direction: to.Ptr(armnetwork.SecurityRuleDirectionInbound),
		Protocol: to.Ptr(armnetwork.SecurityRuleProtocolUDP), Priority: to.Ptr[int32](4000),
		SourceAddressPrefix: to.Ptr("*"), SourcePortRange: to.Ptr("*"), DestinationAddressPrefix: to.Ptr("*"), DestinationPortRange: to.Ptr("53"),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	sdkRule := d.run("network", "nsg", "rule", "show", "-g", "rg", "--nsg-name", "nsg1", "-n", "sdk").Expect(t, 0).Object(t)
	if sdkRule["protocol"] != "Udp" || sdkRule["destinationPortRange"] != "53" {
		t.Errorf("CLI show of the SDK's rule = %v", sdkRule)
	}
	d.run("network", "nsg", "rule", "delete", "-g", "rg", "--nsg-name", "nsg1", "-n", "sdk").Expect(t, 0)
	var re *azcore.ResponseError
	if _, err := rules.Get(ctx, "rg", "nsg1", "sdk", nil); !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != "NotFound" {
		t.Errorf("SDK Get of the rule the CLI deleted: %v", err)
	}

	// Same priority, other direction: allowed.
	d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "r3", "--priority", "100", "--direction", "Outbound").Expect(t, 0)

	// Service errors: az's "(Code) Message" block, exit 1.
	res = d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "dup", "--priority", "100").Expect(t, 1)
	armError(t, res, "SecurityRuleConflict", "Security rule r1 conflicts with rule dup. Rules cannot have the same Priority and Direction.")
	for _, p := range []string{"99", "4097", "65000", "-5"} {
		res = d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "bad", "--priority", p).Expect(t, 1)
		armError(t, res, "SecurityRuleInvalidPriority", "Value provided: "+p+" Allowed range 100-4096.")
	}
	res = d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "bad", "--priority", "300",
		"--destination-port-ranges", "70000").Expect(t, 1)
	armError(t, res, "SecurityRuleInvalidPortRange", "Value provided: 70000.")
	res = d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "bad", "--priority", "300",
		"--source-address-prefixes", "*", "10.0.0.0/8").Expect(t, 1)
	armError(t, res, "SecurityRuleParameterContainsUnsupportedValue", "Unsupported value used: *.")
	// Usage errors: exit 2 before any request.
	before := len(d.f.Requests())
	res = d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "bad").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --priority") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	d.run("network", "nsg", "rule", "create", "-g", "rg", "--nsg-name", "nsg1", "-n", "bad", "--priority", "300", "--access", "Permit").Expect(t, 2)
	d.run("network", "nsg", "create", "-g", "rg").Expect(t, 2)
	if n := len(d.f.Requests()); n != before {
		t.Errorf("usage errors sent %d requests", n-before)
	}
	// Nothing of the failed rules was written.
	list := d.run("network", "nsg", "rule", "list", "-g", "rg", "--nsg-name", "nsg1").Expect(t, 0).List(t)
	if got := names(list); strings.Join(got, ",") != "r1,r2,r3" {
		t.Errorf("rules = %v", got)
	}
	all := d.run("network", "nsg", "rule", "list", "-g", "rg", "--nsg-name", "nsg1", "--include-default").Expect(t, 0).List(t)
	if len(all) != 9 || all[3].(map[string]any)["name"] != "AllowVnetInBound" {
		t.Errorf("--include-default = %v", names(all))
	}
	tbl := d.run("network", "nsg", "rule", "list", "-g", "rg", "--nsg-name", "nsg1", "-o", "table").Expect(t, 0).Stdout
	lines := strings.Split(strings.TrimRight(tbl, "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "Name    ResourceGroup    Priority    SourcePortRanges") ||
		!strings.Contains(lines[3], "10.0.0.0/8 10.1.0.0/16") || !strings.Contains(lines[3], "443 8443") {
		t.Errorf("table:\n%s", tbl)
	}

	// update: the GET/PUT cycle keeps singular and plural properties right.
	u := d.run("network", "nsg", "rule", "update", "-g", "rg", "--nsg-name", "nsg1", "-n", "r1", "--priority", "150",
		"--destination-port-ranges", "22", "443", "--protocol", "Tcp").Expect(t, 0).Object(t)
	if u["priority"] != float64(150) || len(u["destinationPortRanges"].([]any)) != 2 || u["destinationPortRange"] != nil ||
		u["sourceAddressPrefix"] != "*" || u["protocol"] != "Tcp" {
		t.Errorf("update = %v", u)
	}
	u = d.run("network", "nsg", "rule", "update", "-g", "rg", "--nsg-name", "nsg1", "-n", "r2", "--source-address-prefixes", "192.168.0.0/16").Expect(t, 0).Object(t)
	if u["sourceAddressPrefix"] != "192.168.0.0/16" || u["sourceAddressPrefixes"] != nil {
		t.Errorf("update to one prefix = %v", u)
	}
	res = d.run("network", "nsg", "rule", "update", "-g", "rg", "--nsg-name", "nsg1", "-n", "r3", "--priority", "200").Expect(t, 1)
	armError(t, res, "SecurityRuleConflict", "Rules cannot have the same Priority and Direction.")
	// --ids works on the child resource.
	shown := d.run("network", "nsg", "rule", "show", "--ids", nsgID+"/securityRules/r2").Expect(t, 0).Object(t)
	if shown["sourceAddressPrefix"] != "192.168.0.0/16" {
		t.Errorf("show --ids = %v", shown)
	}

	// nsg update keeps the rules; show/list agree.
	up := d.run("network", "nsg", "update", "-g", "rg", "-n", "nsg1", "--tags", "env=prod").Expect(t, 0).Object(t)
	if len(up["securityRules"].([]any)) != 3 || up["tags"].(map[string]any)["env"] != "prod" {
		t.Errorf("nsg update = %v", up)
	}
	if l := d.run("network", "nsg", "list", "-g", "rg").Expect(t, 0).List(t); len(l) != 1 {
		t.Errorf("list -g = %v", l)
	}
	if l := d.run("network", "nsg", "list").Expect(t, 0).List(t); len(l) != 1 {
		t.Errorf("list = %v", l)
	}
	d.run("network", "nsg", "wait", "-g", "rg", "-n", "nsg1", "--created").Expect(t, 0)

	// delete a rule; a 404 exits 3 with NRP's message.
	if out := d.run("network", "nsg", "rule", "delete", "-g", "rg", "--nsg-name", "nsg1", "-n", "r3").Expect(t, 0).Stdout; out != "" {
		t.Errorf("delete printed %q", out)
	}
	res = d.run("network", "nsg", "rule", "show", "-g", "rg", "--nsg-name", "nsg1", "-n", "r3").Expect(t, 3)
	armError(t, res, "NotFound", "Resource "+nsgID+"/securityRules/r3 not found.")

	// delete the group.
	d.run("network", "nsg", "delete", "-g", "rg", "-n", "nsg1").Expect(t, 0)
	res = d.run("network", "nsg", "show", "-g", "rg", "-n", "nsg1").Expect(t, 3)
	armError(t, res, "ResourceNotFound", "nsg1")
	d.run("network", "nsg", "wait", "-g", "rg", "-n", "nsg1", "--deleted").Expect(t, 0)
	res = d.run("network", "nsg", "create", "-g", "nosuchrg", "-n", "nsg1", "-l", "westus2").Expect(t, 3)
	armError(t, res, "ResourceGroupNotFound", "nosuchrg")
}

func TestE2ERouteTable(t *testing.T) {
	d := startDaemon(t)
	const rtID = "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt1"

	rt := d.run("network", "route-table", "create", "-g", "rg", "-n", "rt1", "--disable-bgp-route-propagation").Expect(t, 0).Object(t)
	if rt["id"] != rtID || rt["disableBgpRoutePropagation"] != true || rt["location"] != "westus2" || rt["provisioningState"] != "Succeeded" {
		t.Errorf("create = %v", rt)
	}
	noNulls(t, "routeTable", rt)

	route := func(name string, extra ...string) clitest.Result {
		return d.run(append([]string{"network", "route-table", "route", "create", "-g", "rg", "--route-table-name", "rt1", "-n", name}, extra...)...)
	}
	r1 := route("r1", "--address-prefix", "10.1.0.0/16", "--next-hop-type", "VirtualAppliance", "--next-hop-ip-address", "10.0.100.4").Expect(t, 0).Object(t)
	if r1["nextHopIpAddress"] != "10.0.100.4" || r1["nextHopType"] != "VirtualAppliance" || r1["id"] != rtID+"/routes/r1" || r1["resourceGroup"] != "rg" {
		t.Errorf("r1 = %v", r1)
	}
	route("r2", "--address-prefix", "0.0.0.0/0", "--next-hop-type", "Internet").Expect(t, 0)

	// Bad next hops: the service's errors, exit 1; nothing written.
	armError(t, route("bad", "--address-prefix", "10.2.0.0/16", "--next-hop-type", "VirtualAppliance").Expect(t, 1),
		"MissingNextHopIpAddress", "NextHopIpAddress cannot be Null or Empty in route bad when NextHopType is VirtualAppliance.")
	armError(t, route("bad", "--address-prefix", "10.2.0.0/16", "--next-hop-type", "Internet", "--next-hop-ip-address", "10.0.0.4").Expect(t, 1),
		"NextHopIpAddressNotAllowed", "NextHopIpAddress 10.0.0.4 is not allowed in route bad")
	armError(t, route("bad", "--address-prefix", "10.2.0.0/16", "--next-hop-type", "VirtualAppliance", "--next-hop-ip-address", "10.0.0.400").Expect(t, 1),
		"InvalidNextHopIpAddress", "10.0.0.400")
	armError(t, route("bad", "--address-prefix", "10.2.0.0/16").Expect(t, 1), "MissingNextHopType", "NextHopType cannot be Null or Empty in route bad.")
	armError(t, route("bad", "--address-prefix", "10.1.0.0/16", "--next-hop-type", "None").Expect(t, 1), "RouteConflict", "Route bad conflicts with route r1.")
	armError(t, route("bad", "--address-prefix", "10.2.0.1/16", "--next-hop-type", "None").Expect(t, 1), "InvalidAddressPrefixFormat", "10.2.0.1/16")
	res := route("bad", "--address-prefix", "10.2.0.0/16", "--next-hop-type", "Appliance").Expect(t, 2)
	if !strings.Contains(res.Stderr, "'Appliance' is not a valid value for '--next-hop-type'.") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	list := d.run("network", "route-table", "route", "list", "-g", "rg", "--route-table-name", "rt1").Expect(t, 0).List(t)
	if got := names(list); strings.Join(got, ",") != "r1,r2" {
		t.Errorf("routes = %v", got)
	}

	// show: routes flattened, same keys as Azure's RouteTables_Get example.
	shown := d.run("network", "route-table", "show", "-g", "rg", "-n", "rt1").Expect(t, 0).Object(t)
	want := RouteTableShape.Apply(example(t, "RouteTableGet.json", "200")).(map[string]any)
	if got := keysOf(shown); strings.Join(got, ",") != strings.Join(keysOf(want), ",") {
		t.Errorf("route table keys = %v, example's = %v", got, keysOf(want))
	}
	wantRoute := keysOf(want["routes"].([]any)[0].(map[string]any))
	if got := keysOf(shown["routes"].([]any)[1].(map[string]any)); strings.Join(got, ",") != strings.Join(wantRoute, ",") {
		t.Errorf("route keys = %v, example's = %v", got, wantRoute)
	}

	// route update: GET then PUT.
	u := d.run("network", "route-table", "route", "update", "-g", "rg", "--route-table-name", "rt1", "-n", "r1",
		"--next-hop-ip-address", "10.0.100.5").Expect(t, 0).Object(t)
	if u["nextHopIpAddress"] != "10.0.100.5" || u["addressPrefix"] != "10.1.0.0/16" {
		t.Errorf("route update = %v", u)
	}
	armError(t, d.run("network", "route-table", "route", "update", "-g", "rg", "--route-table-name", "rt1", "-n", "r2",
		"--next-hop-type", "VirtualAppliance").Expect(t, 1), "MissingNextHopIpAddress", "route r2")
	u = d.run("network", "route-table", "route", "update", "-g", "rg", "--route-table-name", "rt1", "-n", "r1",
		"--next-hop-type", "VnetLocal", "--next-hop-ip-address", "").Expect(t, 0).Object(t)
	if u["nextHopType"] != "VnetLocal" || u["nextHopIpAddress"] != nil {
		t.Errorf("route update to VnetLocal = %v", u)
	}

	// route-table update keeps the routes.
	up := d.run("network", "route-table", "update", "-g", "rg", "-n", "rt1", "--disable-bgp-route-propagation", "false", "--tags", "a=b").Expect(t, 0).Object(t)
	if up["disableBgpRoutePropagation"] != false || len(up["routes"].([]any)) != 2 || up["tags"].(map[string]any)["a"] != "b" {
		t.Errorf("route-table update = %v", up)
	}
	if l := d.run("network", "route-table", "list").Expect(t, 0).List(t); len(l) != 1 {
		t.Errorf("route-table list = %v", l)
	}

	d.run("network", "route-table", "route", "delete", "-g", "rg", "--route-table-name", "rt1", "-n", "r2").Expect(t, 0)
	armError(t, d.run("network", "route-table", "route", "show", "-g", "rg", "--route-table-name", "rt1", "-n", "r2").Expect(t, 3),
		"NotFound", "Resource "+rtID+"/routes/r2 not found.")
	d.run("network", "route-table", "route", "wait", "-g", "rg", "--route-table-name", "rt1", "-n", "r1", "--exists").Expect(t, 0)
	d.run("network", "route-table", "delete", "-g", "rg", "-n", "rt1").Expect(t, 0)
	armError(t, d.run("network", "route-table", "show", "-g", "rg", "-n", "rt1").Expect(t, 3), "ResourceNotFound", "rt1")

	for _, req := range d.f.Requests() {
		if strings.Contains(req.Path, "/routeTables/") && req.APIVersion() != APIVersion && !strings.Contains(req.Path, "/operations/") {
			t.Errorf("%s %s?%s", req.Method, req.Path, req.Query.Encode())
		}
	}
}
