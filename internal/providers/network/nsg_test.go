package network_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

// ---- fixtures shared by the nsg, route table, public IP and NIC tests ----

const (
	fxSub   = armtest.Subscription
	fxAPI   = "2025-01-01"
	fxRGAPI = "2021-04-01"
	fxLoc   = "westus2"
)

type fxCred struct{}

func (fxCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fx is a test server with the network provider and the SDK clients.
type fx struct {
	t        *testing.T
	ctx      context.Context
	s        *armtest.Server
	nsgs     *armnetwork.SecurityGroupsClient
	rules    *armnetwork.SecurityRulesClient
	defRules *armnetwork.DefaultSecurityRulesClient
	rts      *armnetwork.RouteTablesClient
	routes   *armnetwork.RoutesClient
	pips     *armnetwork.PublicIPAddressesClient
	nics     *armnetwork.InterfacesClient
	ipcs     *armnetwork.InterfaceIPConfigurationsClient
	vnets    *armnetwork.VirtualNetworksClient
	subnets  *armnetwork.SubnetsClient
}

func newFx(t *testing.T, extra ...arm.Provider) *fx {
	t.Helper()
	s := armtest.Start(t, armtest.Options{PageSize: 2}, append([]arm.Provider{resources.Provider{}, network.Provider{}}, extra...)...)
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}}
	f := &fx{t: t, ctx: context.Background(), s: s}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	f.nsgs, err = armnetwork.NewSecurityGroupsClient(fxSub, fxCred{}, opts)
	must(err)
	f.rules, err = armnetwork.NewSecurityRulesClient(fxSub, fxCred{}, opts)
	must(err)
	f.defRules, err = armnetwork.NewDefaultSecurityRulesClient(fxSub, fxCred{}, opts)
	must(err)
	f.rts, err = armnetwork.NewRouteTablesClient(fxSub, fxCred{}, opts)
	must(err)
	f.routes, err = armnetwork.NewRoutesClient(fxSub, fxCred{}, opts)
	must(err)
	f.pips, err = armnetwork.NewPublicIPAddressesClient(fxSub, fxCred{}, opts)
	must(err)
	f.nics, err = armnetwork.NewInterfacesClient(fxSub, fxCred{}, opts)
	must(err)
	f.ipcs, err = armnetwork.NewInterfaceIPConfigurationsClient(fxSub, fxCred{}, opts)
	must(err)
	f.vnets, err = armnetwork.NewVirtualNetworksClient(fxSub, fxCred{}, opts)
	must(err)
	f.subnets, err = armnetwork.NewSubnetsClient(fxSub, fxCred{}, opts)
	must(err)
	return f
}

func ptr[T any](v T) *T { return &v }

func val[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// group creates a resource group.
func (f *fx) group(name string) {
	f.t.Helper()
	r := f.s.Do(http.MethodPut, "/subscriptions/"+fxSub+"/resourcegroups/"+name, fxRGAPI, `{"location":"`+fxLoc+`"}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		f.t.Fatalf("create group %s: %d %s", name, r.Status, r.Body)
	}
}

// rid is the ID of a Microsoft.Network resource.
func rid(rg, typ, name string) string {
	return "/subscriptions/" + fxSub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/" + typ + "/" + name
}

// vnet creates a virtual network with one subnet per "name=prefix".
func (f *fx) vnet(rg, name, loc, space string, subnets ...string) {
	f.t.Helper()
	v := armnetwork.VirtualNetwork{Location: ptr(loc), Properties: &armnetwork.VirtualNetworkPropertiesFormat{
		AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{ptr(space)}},
	}}
	for _, s := range subnets {
		n, p, _ := strings.Cut(s, "=")
		v.Properties.Subnets = append(v.Properties.Subnets, &armnetwork.Subnet{Name: ptr(n), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: ptr(p)}})
	}
	poller, err := f.vnets.BeginCreateOrUpdate(f.ctx, rg, name, v, nil)
	if err != nil {
		f.t.Fatalf("create vnet %s: %v", name, err)
	}
	if _, err := poller.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		f.t.Fatalf("create vnet %s: %v", name, err)
	}
}

// put sends a raw PUT, waits for its operation and returns the resource
// as then served by GET.
func (f *fx) put(path, body string) map[string]any {
	f.t.Helper()
	r := f.s.Do(http.MethodPut, path, fxAPI, body)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		f.t.Fatalf("PUT %s: %d %s", path, r.Status, r.Body)
	}
	if st := f.s.Wait(r); st != "Succeeded" && st != "" {
		f.t.Fatalf("PUT %s: operation %s", path, st)
	}
	g := f.s.Do(http.MethodGet, path, fxAPI, nil)
	if g.Status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, g.Status, g.Body)
	}
	return g.JSON()
}

// mustFail sends a request expected to fail with code.
func (f *fx) mustFail(method, path, body string, status int, code string) map[string]any {
	f.t.Helper()
	r := f.s.Do(method, path, fxAPI, body)
	if r.Status != status || r.ErrorCode() != code {
		f.t.Fatalf("%s %s: got %d %s, want %d %s", method, path, r.Status, r.Body, status, code)
	}
	if r.Header.Get("x-ms-error-code") != code {
		f.t.Fatalf("x-ms-error-code %q, want %q", r.Header.Get("x-ms-error-code"), code)
	}
	e, _ := r.JSON()["error"].(map[string]any)
	return e
}

// errCode is the ARM error code of an SDK error.
func errCode(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// runtimePoll polls quickly (the server also sends Retry-After-Ms).
var runtimePoll = runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

// ---- golden comparison with Azure's REST examples ----

// example is an x-ms-examples document.
type example struct {
	Parameters map[string]any `json:"parameters"`
	Responses  map[string]struct {
		Body map[string]any `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, path string) example {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.ReplaceAll(string(b), "/subscriptions/subid/", "/subscriptions/"+fxSub+"/"))
	var ex example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ex
}

// requestBody returns the example's request body parameter.
func (ex example) requestBody(t *testing.T, name string) string {
	t.Helper()
	b, err := json.Marshal(ex.Parameters[name])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// subsetDiff lists where got differs from want: every field of want must
// be present in got with the same value (arrays element by element, same
// length); fields named in skip are not compared.
func subsetDiff(want, got any, path string, skip map[string]bool) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %v", path, got)}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if skip[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, subsetDiff(w[k], gv, path+"."+k, skip)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d elements, got %v", path, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, subsetDiff(w[i], g[i], fmt.Sprintf("%s[%d]", path, i), skip)...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %v, got %v", path, want, got)}
		}
		return nil
	}
}

func checkSubset(t *testing.T, want, got any, skip ...string) {
	t.Helper()
	sk := map[string]bool{}
	for _, s := range skip {
		sk[s] = true
	}
	if d := subsetDiff(want, got, "$", sk); len(d) > 0 {
		b, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("response differs from Azure's example:\n  %s\nserved:\n%s", strings.Join(d, "\n  "), b)
	}
}

// ---- network security groups ----

func TestSecurityGroupMatchesAzureExamples(t *testing.T) {
	f := newFx(t)
	f.group("rg1")

	ex := loadExample(t, "nsg/NetworkSecurityGroupCreate.json")
	path := rid("rg1", "networkSecurityGroups", "testnsg")
	r := f.s.Do(http.MethodPut, path, fxAPI, ex.requestBody(t, "parameters"))
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
	}
	f.s.Wait(r)
	got := f.put(path, ex.requestBody(t, "parameters"))
	checkSubset(t, ex.Responses["200"].Body, got)
	if etag, _ := got["etag"].(string); !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("etag %q", etag)
	}
	props := got["properties"].(map[string]any)
	if props["resourceGuid"] == "" || props["resourceGuid"] == nil {
		t.Fatalf("no resourceGuid: %v", props)
	}
	for _, k := range []string{"systemData"} {
		if _, ok := got[k]; ok {
			t.Fatalf("unexpected %s", k)
		}
	}

	ex = loadExample(t, "nsg/NetworkSecurityGroupCreateWithRule.json")
	got = f.put(path, ex.requestBody(t, "parameters"))
	checkSubset(t, ex.Responses["201"].Body, got)

	// The Get example shows the same group with rule1 (in westus).
	ex = loadExample(t, "nsg/NetworkSecurityGroupGet.json")
	f.put(rid("rg1", "networkSecurityGroups", "testnsg2"), `{"location":"westus","properties":{"securityRules":[{"name":"rule1","properties":{"protocol":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*","access":"Allow","destinationPortRange":"80","sourcePortRange":"*","priority":130,"direction":"Inbound"}}]}}`)
	got = f.s.Do(http.MethodGet, rid("rg1", "networkSecurityGroups", "testnsg2"), fxAPI, nil).JSON()
	want := ex.Responses["200"].Body
	want["id"] = rid("rg1", "networkSecurityGroups", "testnsg2")
	want["name"] = "testnsg2"
	checkSubset(t, want, got, "id")

	ex = loadExample(t, "nsg/NetworkSecurityGroupRuleCreate.json")
	rulePath := path + "/securityRules/rule1"
	r = f.s.Do(http.MethodPut, rulePath, fxAPI, ex.requestBody(t, "securityRuleParameters"))
	if r.Status != http.StatusOK {
		t.Fatalf("replace rule: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	got = f.s.Do(http.MethodGet, rulePath, fxAPI, nil).JSON()
	checkSubset(t, ex.Responses["200"].Body, got)
	if got["type"] != "Microsoft.Network/networkSecurityGroups/securityRules" {
		t.Fatalf("rule type %v", got["type"])
	}

	ex = loadExample(t, "nsg/NetworkSecurityGroupRuleGet.json")
	got = f.s.Do(http.MethodGet, rid("rg1", "networkSecurityGroups", "testnsg2")+"/securityRules/rule1", fxAPI, nil).JSON()
	want = ex.Responses["200"].Body
	want["id"] = rid("rg1", "networkSecurityGroups", "testnsg2") + "/securityRules/rule1"
	checkSubset(t, want, got)

	// Default rules are addressable and read-only.
	def := f.s.Do(http.MethodGet, path+"/defaultSecurityRules/DenyAllOutBound", fxAPI, nil)
	if def.Status != http.StatusOK {
		t.Fatalf("default rule: %d %s", def.Status, def.Body)
	}
	checkSubset(t, loadExample(t, "nsg/NetworkSecurityGroupCreate.json").Responses["201"].Body["properties"].(map[string]any)["defaultSecurityRules"].([]any)[5], def.JSON())
	f.mustFail(http.MethodPut, path+"/defaultSecurityRules/DenyAllOutBound", `{"properties":{}}`, http.StatusMethodNotAllowed, "MethodNotAllowed")
	f.mustFail(http.MethodDelete, path+"/defaultSecurityRules/DenyAllOutBound", "", http.StatusMethodNotAllowed, "MethodNotAllowed")
	f.mustFail(http.MethodGet, path+"/defaultSecurityRules/Nope", "", http.StatusNotFound, "NotFound")
	f.mustFail(http.MethodGet, path+"/securityRules/nope", "", http.StatusNotFound, "NotFound")
}

func TestSecurityGroupLifecycleSDK(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	rule := func(name string, prio int32, dir armnetwork.SecurityRuleDirection, port string) *armnetwork.SecurityRule {
		return &armnetwork.SecurityRule{Name: ptr(name), Properties: &armnetwork.SecurityRulePropertiesFormat{
			Protocol: ptr(armnetwork.SecurityRuleProtocolTCP), Access: ptr(armnetwork.SecurityRuleAccessAllow),
			Direction: ptr(dir), Priority: ptr(prio), SourcePortRange: ptr("*"), DestinationPortRange: ptr(port),
			SourceAddressPrefix: ptr("VirtualNetwork"), DestinationAddressPrefix: ptr("*"),
		}}
	}
	poller, err := f.nsgs.BeginCreateOrUpdate(f.ctx, "rg1", "nsg1", armnetwork.SecurityGroup{
		Location: ptr(fxLoc), Tags: map[string]*string{"env": ptr("test")},
		Properties: &armnetwork.SecurityGroupPropertiesFormat{SecurityRules: []*armnetwork.SecurityRule{
			rule("AllowHTTPS", 150, armnetwork.SecurityRuleDirectionOutbound, "443"),
			rule("AllowSSH", 150, armnetwork.SecurityRuleDirectionInbound, "22"),
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created, err := poller.PollUntilDone(f.ctx, &runtimePoll)
	if err != nil {
		t.Fatal(err)
	}
	p := created.Properties
	if val(p.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || len(p.SecurityRules) != 2 || len(p.DefaultSecurityRules) != 6 {
		t.Fatalf("created: %+v", p)
	}
	if val(p.DefaultSecurityRules[0].Name) != "AllowVnetInBound" || val(p.DefaultSecurityRules[5].Name) != "DenyAllOutBound" {
		t.Fatalf("default rule order: %s .. %s", val(p.DefaultSecurityRules[0].Name), val(p.DefaultSecurityRules[5].Name))
	}
	for _, r := range p.SecurityRules {
		if val(r.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || val(r.Etag) == "" || val(r.Type) != "Microsoft.Network/networkSecurityGroups/securityRules" {
			t.Fatalf("rule %s: state %v etag %v type %v", val(r.Name), val(r.Properties.ProvisioningState), val(r.Etag), val(r.Type))
		}
	}

	// A rule on its own.
	rp, err := f.rules.BeginCreateOrUpdate(f.ctx, "rg1", "nsg1", "DenyAll", armnetwork.SecurityRule{Properties: &armnetwork.SecurityRulePropertiesFormat{
		Protocol: ptr(armnetwork.SecurityRuleProtocolAsterisk), Access: ptr(armnetwork.SecurityRuleAccessDeny),
		Direction: ptr(armnetwork.SecurityRuleDirectionInbound), Priority: ptr(int32(4096)),
		SourcePortRange: ptr("*"), DestinationPortRanges: []*string{ptr("80"), ptr("8000-8080")},
		SourceAddressPrefixes: []*string{ptr("10.0.0.0/8"), ptr("192.168.1.1")}, DestinationAddressPrefix: ptr("Storage.WestEurope"),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	g, err := f.rules.Get(f.ctx, "rg1", "nsg1", "DenyAll", nil)
	if err != nil {
		t.Fatal(err)
	}
	if val(g.Properties.Priority) != 4096 || len(g.Properties.DestinationPortRanges) != 2 || val(g.Properties.DestinationAddressPrefix) != "Storage.WestEurope" {
		t.Fatalf("rule: %+v", g.Properties)
	}
	var names []string
	for pg := f.rules.NewListPager("rg1", "nsg1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Value {
			names = append(names, val(r.Name))
		}
	}
	if strings.Join(names, ",") != "AllowHTTPS,AllowSSH,DenyAll" {
		t.Fatalf("rules listed: %v", names)
	}
	nsg, err := f.nsgs.Get(f.ctx, "rg1", "nsg1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(nsg.Properties.SecurityRules) != 3 || val(nsg.Tags["env"]) != "test" {
		t.Fatalf("nsg after rule put: %d rules, tags %v", len(nsg.Properties.SecurityRules), nsg.Tags)
	}

	// A direct rule with the priority and direction of another conflicts.
	_, err = f.rules.BeginCreateOrUpdate(f.ctx, "rg1", "nsg1", "Dup", *rule("Dup", 150, armnetwork.SecurityRuleDirectionInbound, "80"), nil)
	if errCode(err) != "SecurityRuleConflict" || !strings.Contains(err.Error(), "Security rule AllowSSH conflicts with rule Dup. Rules cannot have the same Priority and Direction.") {
		t.Fatalf("conflict: %v", err)
	}

	// Default rules through their own client.
	d, err := f.defRules.Get(f.ctx, "rg1", "nsg1", "AllowAzureLoadBalancerInBound", nil)
	if err != nil {
		t.Fatal(err)
	}
	if val(d.Properties.Priority) != 65001 || val(d.Properties.SourceAddressPrefix) != "AzureLoadBalancer" || val(d.Properties.Description) != "Allow inbound traffic from azure load balancer" {
		t.Fatalf("default rule: %+v", d.Properties)
	}
	n := 0
	for pg := f.defRules.NewListPager("rg1", "nsg1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 6 {
		t.Fatalf("default rules listed: %d", n)
	}

	// Replacing the group with another rule set replaces the rules.
	poller, err = f.nsgs.BeginCreateOrUpdate(f.ctx, "rg1", "nsg1", armnetwork.SecurityGroup{
		Location: ptr(fxLoc), Properties: &armnetwork.SecurityGroupPropertiesFormat{SecurityRules: []*armnetwork.SecurityRule{
			rule("AllowSSH", 200, armnetwork.SecurityRuleDirectionInbound, "22"),
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := poller.PollUntilDone(f.ctx, &runtimePoll)
	if err != nil {
		t.Fatal(err)
	}
	if len(upd.Properties.SecurityRules) != 1 || val(upd.Properties.SecurityRules[0].Properties.Priority) != 200 || val(upd.Properties.ResourceGUID) != val(p.ResourceGUID) {
		t.Fatalf("replaced: %+v", upd.Properties)
	}
	if _, err := f.rules.Get(f.ctx, "rg1", "nsg1", "DenyAll", nil); errCode(err) != "NotFound" {
		t.Fatalf("removed rule: %v", err)
	}

	// Lists.
	for _, name := range []string{"nsg2", "nsg3"} {
		pl, err := f.nsgs.BeginCreateOrUpdate(f.ctx, "rg1", name, armnetwork.SecurityGroup{Location: ptr(fxLoc)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pl.PollUntilDone(f.ctx, &runtimePoll); err != nil {
			t.Fatal(err)
		}
	}
	count := 0
	for pg := f.nsgs.NewListPager("rg1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page.Value)
	}
	all := 0
	for pg := f.nsgs.NewListAllPager(nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		all += len(page.Value)
	}
	if count != 3 || all != 3 {
		t.Fatalf("listed %d in group, %d in subscription", count, all)
	}

	// Delete a rule, then the group.
	dp, err := f.rules.BeginDelete(f.ctx, "rg1", "nsg1", "AllowSSH", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	del, err := f.nsgs.BeginDelete(f.ctx, "rg1", "nsg1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := f.nsgs.Get(f.ctx, "rg1", "nsg1", nil); errCode(err) != "ResourceNotFound" {
		t.Fatalf("after delete: %v", err)
	}
	if r := f.s.Do(http.MethodGet, rid("rg1", "networkSecurityGroups", "nsg1")+"/defaultSecurityRules/DenyAllInBound", fxAPI, nil); r.Status != http.StatusNotFound {
		t.Fatalf("default rule after delete: %d", r.Status)
	}
}

func TestSecurityRuleValidation(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	f.put(nsg, `{"location":"westus2","properties":{"securityRules":[{"name":"r100","properties":{"protocol":"Tcp","access":"Allow","direction":"Inbound","priority":100,"sourcePortRange":"*","destinationPortRange":"22","sourceAddressPrefix":"*","destinationAddressPrefix":"*"}}]}}`)
	ruleID := nsg + "/securityRules/r1"
	base := map[string]any{"protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 200,
		"sourcePortRange": "*", "destinationPortRange": "80", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}
	cases := []struct {
		name    string
		set     map[string]any
		drop    []string
		code    string
		message string
	}{
		{"ok lower-case enums", map[string]any{"protocol": "udp", "access": "deny", "direction": "outbound"}, nil, "", ""},
		{"ok icmp esp ah any", map[string]any{"protocol": "Icmp"}, nil, "", ""},
		{"ok port range", map[string]any{"destinationPortRange": "1000-2000"}, nil, "", ""},
		{"ok port lists", map[string]any{"destinationPortRanges": []string{"80", "443", "8000-8100"}}, []string{"destinationPortRange"}, "", ""},
		{"ok service tags", map[string]any{"sourceAddressPrefix": "AzureFrontDoor.Backend", "destinationAddressPrefix": "AzureCloud.westeurope"}, nil, "", ""},
		{"ok ipv6 prefix", map[string]any{"sourceAddressPrefix": "2001:db8::/32", "destinationAddressPrefix": "10.1.2.3"}, nil, "", ""},
		{"ok application security groups", map[string]any{"sourceApplicationSecurityGroups": []map[string]string{{"id": rid("rg1", "applicationSecurityGroups", "asg1")}}}, []string{"sourceAddressPrefix"}, "", ""},
		{"bad protocol", map[string]any{"protocol": "Http"}, nil, "InvalidRequestFormat", "Cannot parse the request."},
		{"bad access", map[string]any{"access": "Maybe"}, nil, "InvalidRequestFormat", "Cannot parse the request."},
		{"bad direction", map[string]any{"direction": "Sideways"}, nil, "InvalidRequestFormat", "Cannot parse the request."},
		{"missing protocol", nil, []string{"protocol"}, "SecurityRuleParametersMissing", "Security rule must specify Protocol."},
		{"priority too low", map[string]any{"priority": 99}, nil, "SecurityRuleInvalidPriority", "Security rule has invalid Priority. Value provided: 99 Allowed range 100-4096."},
		{"priority too high", map[string]any{"priority": 4097}, nil, "SecurityRuleInvalidPriority", "Value provided: 4097"},
		{"priority missing", nil, []string{"priority"}, "SecurityRuleInvalidPriority", "Value provided: 0"},
		{"port too large", map[string]any{"destinationPortRange": "70000"}, nil, "SecurityRuleInvalidPortRange",
			"Security rule has invalid Port range. Value provided: 70000. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535."},
		{"port word", map[string]any{"destinationPortRange": "any"}, nil, "SecurityRuleInvalidPortRange", "Value provided: any."},
		{"empty port in list", map[string]any{"destinationPortRanges": []string{"80", ""}}, []string{"destinationPortRange"}, "SecurityRuleInvalidPortRange", "Value provided: ."},
		{"port comma list in one value", map[string]any{"destinationPortRange": "636, 389"}, nil, "SecurityRuleInvalidPortRange", "Value provided: 636, 389."},
		{"reversed range", map[string]any{"sourcePortRange": "200-100"}, nil, "SecurityRuleInvalidPortRange", "Value provided: 200-100."},
		{"missing ports", nil, []string{"sourcePortRange"}, "SecurityRuleParametersMissing", "Security rule must specify SourcePortRanges or SourcePortRange."},
		{"bad prefix word", map[string]any{"sourceAddressPrefix": "any"}, nil, "SecurityRuleInvalidAddressPrefix",
			"Security rule " + ruleID + " has invalid Address prefix. Value provided: any"},
		{"unknown service tag", map[string]any{"destinationAddressPrefix": "AzureNowhere"}, nil, "SecurityRuleInvalidAddressPrefix", "Value provided: AzureNowhere"},
		{"region on global tag", map[string]any{"destinationAddressPrefix": "AzureActiveDirectory.westus"}, nil, "SecurityRuleInvalidAddressPrefix", "Value provided: AzureActiveDirectory.westus"},
		{"host bits", map[string]any{"sourceAddressPrefix": "50.206.209.68/27"}, nil, "SecurityRuleInvalidAddressPrefix", "Value provided: 50.206.209.68/27"},
		{"bad mask", map[string]any{"sourceAddressPrefix": "192.168.0.0/34"}, nil, "SecurityRuleInvalidAddressPrefix", "Value provided: 192.168.0.0/34"},
		{"tag in list", map[string]any{"destinationAddressPrefixes": []string{"10.0.0.0/8", "VirtualNetwork"}}, []string{"destinationAddressPrefix"},
			"SecurityRuleParameterContainsUnsupportedValue", "cannot specify existing VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: VirtualNetwork."},
		{"missing source", nil, []string{"sourceAddressPrefix"}, "SecurityRuleParametersMissing",
			"Required security rule parameters are missing for security rule with Id: " + ruleID + ". Security rule must specify SourceAddressPrefixes, SourceAddressPrefix, or SourceApplicationSecurityGroups."},
		{"priority conflict", map[string]any{"priority": 100}, nil, "SecurityRuleConflict",
			"Security rule r100 conflicts with rule r1. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules."},
		{"same priority other direction", map[string]any{"priority": 100, "direction": "Outbound"}, nil, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := map[string]any{}
			for k, v := range base {
				p[k] = v
			}
			for _, k := range tc.drop {
				delete(p, k)
			}
			for k, v := range tc.set {
				p[k] = v
			}
			b, _ := json.Marshal(map[string]any{"properties": p})
			r := f.s.Do(http.MethodPut, ruleID, fxAPI, b)
			if tc.code == "" {
				if r.Status != http.StatusCreated && r.Status != http.StatusOK {
					t.Fatalf("want success, got %d %s", r.Status, r.Body)
				}
				f.s.Wait(r)
				if d := f.s.Do(http.MethodDelete, ruleID, fxAPI, nil); d.Status != http.StatusAccepted {
					t.Fatalf("cleanup: %d %s", d.Status, d.Body)
				}
				return
			}
			if r.Status != http.StatusBadRequest || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %s", r.Status, r.Body, tc.code)
			}
			msg, _ := r.JSON()["error"].(map[string]any)["message"].(string)
			if !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q does not contain %q", msg, tc.message)
			}
			if g := f.s.Do(http.MethodGet, ruleID, fxAPI, nil); g.Status != http.StatusNotFound {
				t.Fatalf("failed put left a rule: %d %s", g.Status, g.Body)
			}
		})
	}
}

func TestSecurityRuleParseErrorShape(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	r := f.s.Do(http.MethodPut, nsg, fxAPI, `{"location":"westus2","properties":{"securityRules":[
		{"name":"a","properties":{"protocol":"Tcp","access":"Allow","direction":"Inbound","priority":100,"sourcePortRange":"*","destinationPortRange":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*"}},
		{"name":"b","properties":{"protocol":"Http","access":"Allow","direction":"Inbound","priority":101,"sourcePortRange":"*","destinationPortRange":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*"}}]}}`)
	e := r.JSON()["error"].(map[string]any)
	details, _ := e["details"].([]any)
	if r.ErrorCode() != "InvalidRequestFormat" || len(details) != 1 {
		t.Fatalf("parse error: %s", r.Body)
	}
	d := details[0].(map[string]any)
	want := `Error converting value "Http" to type 'Microsoft.WindowsAzure.Networking.Nrp.Frontend.Contract.Csm.Public.SecurityRuleProtocol'. Path 'properties.securityRules[1].properties.protocol'.`
	if d["code"] != "InvalidJson" || d["message"] != want {
		t.Fatalf("detail %v, want %s", d, want)
	}
	if g := f.s.Do(http.MethodGet, nsg, fxAPI, nil); g.Status != http.StatusNotFound {
		t.Fatalf("failed create left the group: %d", g.Status)
	}
}

func TestSecurityGroupInlineRuleChecks(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	rule := func(name string, prio int, dir string) string {
		return fmt.Sprintf(`{"name":%q,"properties":{"protocol":"Tcp","access":"Allow","direction":%q,"priority":%d,"sourcePortRange":"*","destinationPortRange":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*"}}`, name, dir, prio)
	}
	body := func(rules ...string) string {
		return `{"location":"westus2","properties":{"securityRules":[` + strings.Join(rules, ",") + `]}}`
	}
	e := f.mustFail(http.MethodPut, nsg, body(rule("first", 300, "Inbound"), rule("second", 300, "inbound")), http.StatusBadRequest, "SecurityRuleConflict")
	if !strings.Contains(e["message"].(string), "Security rule first conflicts with rule second.") {
		t.Fatalf("message %v", e["message"])
	}
	e = f.mustFail(http.MethodPut, nsg, body(rule("same", 300, "Inbound"), rule("SAME", 301, "Inbound")), http.StatusBadRequest, "DuplicateResourceName")
	if e["message"] != "Resource "+nsg+" has two child resources with the same name (SAME)." {
		t.Fatalf("message %v", e["message"])
	}
	// Swapping priorities between two rules in one PUT is allowed.
	f.put(nsg, body(rule("a", 300, "Inbound"), rule("b", 301, "Inbound")))
	got := f.put(nsg, body(rule("a", 301, "Inbound"), rule("b", 300, "Inbound")))
	rules := got["properties"].(map[string]any)["securityRules"].([]any)
	if len(rules) != 2 || rules[0].(map[string]any)["properties"].(map[string]any)["priority"] != float64(301) {
		t.Fatalf("swapped: %v", rules)
	}
	// An unchanged rule later in the list still conflicts with a changed one.
	f.mustFail(http.MethodPut, nsg, body(rule("c", 301, "Inbound"), rule("a", 301, "Inbound"), rule("b", 300, "Inbound")), http.StatusBadRequest, "SecurityRuleConflict")
	if _, err := f.rules.Get(f.ctx, "rg1", "nsg1", "c", nil); errCode(err) != "NotFound" {
		t.Fatalf("failed put left rule c: %v", err)
	}
}

func TestSecurityGroupInUse(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	nsgID := rid("rg1", "networkSecurityGroups", "nsg1")
	f.put(nsgID, `{"location":"westus2"}`)

	sp, err := f.subnets.BeginCreateOrUpdate(f.ctx, "rg1", "vnet1", "app", armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix: ptr("10.0.1.0/24"), NetworkSecurityGroup: &armnetwork.SecurityGroup{ID: ptr(nsgID)},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	subnetID := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/app"
	g, err := f.nsgs.Get(f.ctx, "rg1", "nsg1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Properties.Subnets) != 1 || val(g.Properties.Subnets[0].ID) != subnetID {
		t.Fatalf("subnets back-ref: %+v", g.Properties.Subnets)
	}
	etag := val(g.Etag)

	_, err = f.nsgs.BeginDelete(f.ctx, "rg1", "nsg1", nil)
	if errCode(err) != "InUseNetworkSecurityGroupCannotBeDeleted" {
		t.Fatalf("delete in use: %v", err)
	}
	want := "Network security group " + nsgID + " cannot be deleted because it is in use by the following resources: " + subnetID +
		". In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg."
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message: %v", err)
	}
	g2, err := f.nsgs.Get(f.ctx, "rg1", "nsg1", nil)
	if err != nil || val(g2.Etag) != etag || len(g2.Properties.DefaultSecurityRules) != 6 {
		t.Fatalf("state changed by failed delete: %v %v", err, val(g2.Etag))
	}

	// Dissociate, then the group can go.
	sp, err = f.subnets.BeginCreateOrUpdate(f.ctx, "rg1", "vnet1", "app", armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix: ptr("10.0.1.0/24"),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	g, err = f.nsgs.Get(f.ctx, "rg1", "nsg1", nil)
	if err != nil || len(g.Properties.Subnets) != 0 {
		t.Fatalf("subnets after dissociation: %v %+v", err, g.Properties.Subnets)
	}
	dp, err := f.nsgs.BeginDelete(f.ctx, "rg1", "nsg1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
}

func TestSecurityRuleConcurrentConflict(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	nsg := rid("rg1", "networkSecurityGroups", "nsg1")
	f.put(nsg, `{"location":"westus2"}`)
	codes := make(chan string, 4)
	for i := range 4 {
		go func() {
			r := f.s.Do(http.MethodPut, fmt.Sprintf("%s/securityRules/r%d", nsg, i), fxAPI,
				`{"properties":{"protocol":"Tcp","access":"Allow","direction":"Inbound","priority":500,"sourcePortRange":"*","destinationPortRange":"*","sourceAddressPrefix":"*","destinationAddressPrefix":"*"}}`)
			if r.Status == http.StatusCreated {
				codes <- "created"
				return
			}
			codes <- r.ErrorCode()
		}()
	}
	created := 0
	for range 4 {
		switch c := <-codes; c {
		case "created":
			created++
		case "SecurityRuleConflict":
		default:
			t.Fatalf("unexpected %q", c)
		}
	}
	if created != 1 {
		t.Fatalf("%d rules with the same priority created", created)
	}
}

func TestDefaultSecurityRulesTyped(t *testing.T) {
	rules := network.DefaultSecurityRules()
	want := []struct {
		prio      int64
		dir, acc  string
		src, dest string
	}{
		{65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork"},
		{65001, "Inbound", "Allow", "AzureLoadBalancer", "*"},
		{65500, "Inbound", "Deny", "*", "*"},
		{65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork"},
		{65001, "Outbound", "Allow", "*", "Internet"},
		{65500, "Outbound", "Deny", "*", "*"},
	}
	if len(rules) != len(want) {
		t.Fatalf("%d default rules", len(rules))
	}
	for i, w := range want {
		r := rules[i]
		if r.Priority != w.prio || r.Direction != w.dir || r.Access != w.acc || r.SourceAddressPrefix != w.src ||
			r.DestinationAddressPrefix != w.dest || r.Protocol != "*" || r.SourcePortRange != "*" || r.DestinationPortRange != "*" {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	rules[0].Priority = 1
	if network.DefaultSecurityRules()[0].Priority != 65000 {
		t.Fatal("DefaultSecurityRules shares its table")
	}
}
