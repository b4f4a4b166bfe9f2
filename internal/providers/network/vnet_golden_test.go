package network

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

var updateVNetGolden = flag.Bool("vnet.update", false, "rewrite testdata/vnet/golden from the emulator's responses")

// notModelled are fields of Azure's example responses the emulator does
// not serve, with the reason.
var notModelled = map[string]string{
	"defaultPublicNatGateway": "NAT gateways are not emulated",
	"remoteBgpCommunities":    "BGP communities are not emulated",
	"purpose":                 "set by Azure services that use the subnet; not emulated",
}

type restExample struct {
	Parameters map[string]json.RawMessage `json:"parameters"`
	Responses  map[string]struct {
		Body json.RawMessage `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, name string) restExample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vnet", "examples", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex restExample
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ex
}

func (ex restExample) param(t *testing.T, key string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(ex.Parameters[key], &s); err != nil {
		t.Fatalf("parameter %s: %v", key, err)
	}
	return s
}

func (ex restExample) body(t *testing.T, status string) any {
	t.Helper()
	r, ok := ex.Responses[status]
	if !ok {
		t.Fatalf("example has no %s response", status)
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// containsShape checks that every field of want is in got with the same
// value, recursively (got may hold more fields).
func containsShape(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", path, got)
			return
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, skip := notModelled[k]; skip {
				continue
			}
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: missing (want %v)", path, k, w[k])
				continue
			}
			containsShape(t, path+"."+k, w[k], gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %d items %v", path, got, len(w), want)
			return
		}
		for i := range w {
			containsShape(t, path+"["+strconv.Itoa(i)+"]", w[i], g[i])
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

var (
	etagRE = regexp.MustCompile(`W/\\"[0-9a-f-]{36}\\"`)
	guidRE = regexp.MustCompile(`"resourceGuid":"[0-9a-f-]{36}"`)
)

// checkGolden compares the emulator's normalized response with
// testdata/vnet/golden/<name>.json.
func checkGolden(t *testing.T, name string, raw []byte) {
	t.Helper()
	s := etagRE.ReplaceAllString(string(raw), `W/\"<etag>\"`)
	s = guidRE.ReplaceAllString(s, `"resourceGuid":"<guid>"`)
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	pretty := buf.Bytes()
	file := filepath.Join("testdata", "vnet", "golden", name+".json")
	if *updateVNetGolden {
		if err := os.WriteFile(file, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenVNet -vnet.update)", err)
	}
	if string(want) != string(pretty) {
		t.Errorf("%s differs from the emulator's response:\n%s", file, pretty)
	}
}

// gput PUTs body at path, checks the status is one the example documents,
// waits for the operation, and returns the resource as GET serves it.
func (e *netEnv) gput(t *testing.T, ex restExample, path string, body any, wantStatus int) []byte {
	t.Helper()
	r := e.s.Do(http.MethodPut, path, netAPI, body)
	if r.Status != wantStatus {
		t.Fatalf("PUT %s: %d, want %d: %s", path, r.Status, wantStatus, r.Body)
	}
	if _, ok := ex.Responses[strconv.Itoa(r.Status)]; !ok {
		t.Fatalf("status %d is not one of the example's", r.Status)
	}
	if st := e.s.Wait(r); st != "Succeeded" {
		t.Fatalf("operation %s", st)
	}
	return e.gget(t, path)
}

// setup creates a resource the example presupposes.
func (e *netEnv) setup(t *testing.T, path, apiVersion string, body any) {
	t.Helper()
	r := e.s.Do(http.MethodPut, path, apiVersion, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("PUT %s: %d %s", path, r.Status, r.Body)
	}
	if st := e.s.Wait(r); st != "Succeeded" && st != "" {
		t.Fatalf("operation %s", st)
	}
}

func (e *netEnv) gget(t *testing.T, path string) []byte {
	t.Helper()
	r := e.s.Do(http.MethodGet, path, netAPI, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.Body
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func exampleGroup(t *testing.T, e *netEnv, sub, rg, loc string) string {
	t.Helper()
	r := e.s.Do(http.MethodPut, "/subscriptions/"+sub+"/resourcegroups/"+rg, rgAPI, `{"location":"`+loc+`"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("group: %d %s", r.Status, r.Body)
	}
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/"
}

func TestGoldenVNetCreate(t *testing.T) {
	ex := loadExample(t, "VirtualNetworkCreate")
	e := startNet(t)
	base := exampleGroup(t, e, ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName"), "eastus")
	path := base + ex.param(t, "virtualNetworkName")
	got := e.gput(t, ex, path, ex.Parameters["parameters"], http.StatusCreated)
	containsShape(t, "201", ex.body(t, "201"), decodeAny(t, got))
	checkGolden(t, "VirtualNetworkCreate", got)
	got = e.gput(t, ex, path, ex.Parameters["parameters"], http.StatusOK)
	containsShape(t, "200", ex.body(t, "200"), decodeAny(t, got))
}

func TestGoldenVNetGet(t *testing.T) {
	ex := loadExample(t, "VirtualNetworkGet")
	e := startNet(t, toyNICs{})
	sub, rg := ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName")
	base := exampleGroup(t, e, sub, rg, "westus")
	path := base + ex.param(t, "virtualNetworkName")
	e.setup(t, path, netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},
		"subnets":[{"name":"subnet1","properties":{"addressPrefix":"10.0.1.0/24"}}]}}`)
	// The example's subnet is used by a load balancer frontend.
	fe := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe"
	nic := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Test/nics/fe"
	e.setup(t, nic, "2024-01-01", fmt.Sprintf(`{"properties":{"ipConfigurationId":%q,"subnet":{"id":%q}}}`, fe, path+"/subnets/subnet1"))
	got := e.gget(t, path)
	containsShape(t, "200", ex.body(t, "200"), decodeAny(t, got))
	checkGolden(t, "VirtualNetworkGet", got)
}

func TestGoldenVNetList(t *testing.T) {
	ex := loadExample(t, "VirtualNetworkList")
	e := startNet(t)
	base := exampleGroup(t, e, ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName"), "westus")
	e.setup(t, base+"vnet1", netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/8"]},"dhcpOptions":{"dnsServers":[]},
		"subnets":[{"name":"test-1","properties":{"addressPrefix":"10.0.0.0/24"}}]}}`)
	e.setup(t, base+"vnet2", netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"dhcpOptions":{"dnsServers":["8.8.8.8"]}}}`)
	got := e.gget(t, base[:len(base)-1])
	containsShape(t, "200", ex.body(t, "200"), decodeAny(t, got))
	checkGolden(t, "VirtualNetworkList", got)
}

func TestGoldenSubnet(t *testing.T) {
	ex := loadExample(t, "SubnetCreate")
	e := startNet(t)
	base := exampleGroup(t, e, ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName"), "westus")
	vnet := base + ex.param(t, "virtualNetworkName")
	e.setup(t, vnet, netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}`)
	path := vnet + "/subnets/" + ex.param(t, "subnetName")
	got := e.gput(t, ex, path, ex.Parameters["subnetParameters"], http.StatusCreated)
	containsShape(t, "201", ex.body(t, "201"), decodeAny(t, got))
	checkGolden(t, "SubnetCreate", got)
	got = e.gput(t, ex, path, ex.Parameters["subnetParameters"], http.StatusOK)
	containsShape(t, "200", ex.body(t, "200"), decodeAny(t, got))

	gex := loadExample(t, "SubnetGet")
	if gex.param(t, "subnetName") != ex.param(t, "subnetName") {
		t.Fatal("examples name different subnets")
	}
	containsShape(t, "get", gex.body(t, "200"), decodeAny(t, e.gget(t, path)))
}

func TestGoldenSubnetWithDelegation(t *testing.T) {
	ex := loadExample(t, "SubnetCreateWithDelegation")
	e := startNet(t)
	base := exampleGroup(t, e, ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName"), "westus")
	vnet := base + ex.param(t, "virtualNetworkName")
	e.setup(t, vnet, netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}`)
	path := vnet + "/subnets/" + ex.param(t, "subnetName")
	// The example's request omits the delegation its response shows
	// (Azure/azure-rest-api-specs#14936): send it.
	var body map[string]map[string]any
	if err := json.Unmarshal(ex.Parameters["subnetParameters"], &body); err != nil {
		t.Fatal(err)
	}
	body["properties"]["delegations"] = []any{map[string]any{"name": "myDelegation",
		"properties": map[string]any{"serviceName": "Microsoft.Provider/resourceType"}}}
	got := e.gput(t, ex, path, body, http.StatusCreated)
	containsShape(t, "201", ex.body(t, "201"), decodeAny(t, got))
	checkGolden(t, "SubnetCreateWithDelegation", got)
}

func TestGoldenPeering(t *testing.T) {
	ex := loadExample(t, "VirtualNetworkPeeringCreate")
	e := startNet(t)
	base := exampleGroup(t, e, ex.param(t, "subscriptionId"), ex.param(t, "resourceGroupName"), "westus")
	vnet := base + ex.param(t, "virtualNetworkName")
	e.setup(t, vnet, netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]}}}`)
	e.setup(t, base+"vnet2", netAPI, `{"location":"westus","properties":{"addressSpace":{"addressPrefixes":["12.0.0.0/8"]}}}`)
	path := vnet + "/virtualNetworkPeerings/" + ex.param(t, "virtualNetworkPeeringName")
	got := e.gput(t, ex, path, ex.Parameters["VirtualNetworkPeeringParameters"], http.StatusCreated)
	containsShape(t, "201", ex.body(t, "201"), decodeAny(t, got))
	checkGolden(t, "VirtualNetworkPeeringCreate", got)
	got = e.gput(t, ex, path, ex.Parameters["VirtualNetworkPeeringParameters"], http.StatusOK)
	containsShape(t, "200", ex.body(t, "200"), decodeAny(t, got))

	gex := loadExample(t, "VirtualNetworkPeeringGet")
	containsShape(t, "get", gex.body(t, "200"), decodeAny(t, e.gget(t, path)))
}
