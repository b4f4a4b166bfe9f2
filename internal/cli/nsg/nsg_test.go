package nsg

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sub = clitest.SubscriptionID

// example returns the response body of a REST example in testdata.
func example(t *testing.T, file, status string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	body := doc.Responses[status].Body
	if body == nil {
		t.Fatalf("%s has no %s body", file, status)
	}
	return body
}

const (
	nsgPath   = "/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg"
	rulePath  = nsgPath + "/securityRules/*"
	rtPath    = "/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Network/routeTables/testrt"
	routePath = rtPath + "/routes/*"
)

// echo answers a PUT with the body it got, as the service would (id,
// name, provisioningState added).
func echo(f *clitest.Fake, pattern string) {
	f.Handle("PUT", pattern, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if m == nil {
			m = map[string]any{}
		}
		m["id"] = r.URL.Path
		m["name"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		props, _ := m["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		props["provisioningState"] = "Succeeded"
		m["properties"] = props
		clitest.WriteJSON(w, http.StatusCreated, m)
	})
}

func props(t *testing.T, req clitest.Request) map[string]any {
	t.Helper()
	p, ok := req.JSON()["properties"].(map[string]any)
	if !ok {
		t.Fatalf("request body has no properties: %s", req.Body)
	}
	return p
}

// noNulls fails when a value of the object tree is null: aaz prints only
// what the service sent.
func noNulls(t *testing.T, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null", path)
	case map[string]any:
		for k, e := range x {
			noNulls(t, path+"."+k, e)
		}
	case []any:
		for _, e := range x {
			noNulls(t, path+"[]", e)
		}
	}
}

func TestGroupsLeaveNetworkToItsOwner(t *testing.T) {
	var names []string
	for _, g := range Groups() {
		names = append(names, g.Name)
	}
	want := []string{"network nsg", "network nsg rule", "network route-table", "network route-table route"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("groups = %v, want %v", names, want)
	}
}

func TestNSGCreateWrapsNewNSG(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg1", 200, map[string]any{"name": "rg1", "location": "westus2"})
	f.JSON("PUT", nsgPath, 201, example(t, "NetworkSecurityGroupGet.json", "200"))
	res := f.Run(Groups(), "network", "nsg", "create", "-g", "rg1", "-n", "testnsg", "--tags", "super_secure", "no_80=x").Expect(t, 0)

	put := f.Last("PUT")
	if put.APIVersion() != "2022-01-01" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	want := map[string]any{"location": "westus2", "properties": map[string]any{}, "tags": map[string]any{"super_secure": "", "no_80": "x"}}
	if !reflect.DeepEqual(put.JSON(), want) {
		t.Errorf("body = %s", put.Body)
	}
	out := res.Object(t)
	if len(out) != 1 {
		t.Fatalf("create output must be {NewNSG: ...}: %v", out)
	}
	nsg, ok := out["NewNSG"].(map[string]any)
	if !ok {
		t.Fatalf("no NewNSG: %s", res.Stdout)
	}
	if _, ok := nsg["properties"]; ok {
		t.Errorf("properties not flattened: %v", nsg)
	}
	if nsg["provisioningState"] != "Succeeded" || nsg["resourceGroup"] != "rg1" || nsg["location"] != "westus" {
		t.Errorf("NewNSG = %v", nsg)
	}
	rules := nsg["securityRules"].([]any)
	r0 := rules[0].(map[string]any)
	if r0["priority"] != float64(130) || r0["destinationPortRange"] != "80" || r0["properties"] != nil {
		t.Errorf("nested rule not flattened: %v", r0)
	}
	if d := nsg["defaultSecurityRules"].([]any); len(d) != 6 || d[0].(map[string]any)["access"] != "Allow" {
		t.Errorf("defaultSecurityRules = %v", d)
	}
	noNulls(t, "NewNSG", nsg)

	// -l skips the resource group lookup; --no-wait prints nothing.
	res = f.Run(Groups(), "network", "nsg", "create", "-g", "rg1", "-n", "testnsg", "-l", "West Europe", "--no-wait").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("--no-wait printed %q", res.Stdout)
	}
	if loc := f.Last("PUT").JSON()["location"]; loc != "westeurope" {
		t.Errorf("location = %v", loc)
	}
	if n := len(f.Find("GET", "/subscriptions/{sub}/resourcegroups/rg1")); n != 1 {
		t.Errorf("resource group GETs = %d", n)
	}
}

func TestNSGShowListUpdate(t *testing.T) {
	f := clitest.New(t)
	body := example(t, "NetworkSecurityGroupGet.json", "200")
	f.JSON("GET", nsgPath, 200, body)
	out := f.Run(Groups(), "network", "nsg", "show", "-g", "rg1", "-n", "testnsg").Expect(t, 0).Object(t)
	if out["name"] != "testnsg" || out["securityRules"].([]any)[0].(map[string]any)["access"] != "Allow" {
		t.Errorf("show = %v", out)
	}
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Network/networkSecurityGroups", 200, map[string]any{"value": []any{body}})
	list := f.Run(Groups(), "network", "nsg", "list").Expect(t, 0).List(t)
	if len(list) != 1 || list[0].(map[string]any)["provisioningState"] != "Succeeded" {
		t.Errorf("list = %v", list)
	}
	if got := f.Last("GET").APIVersion(); got != APIVersion {
		t.Errorf("list api-version = %s", got)
	}
	// Default table: knack's auto table, scalar keys sorted.
	tbl := f.Run(Groups(), "network", "nsg", "list", "-o", "table").Expect(t, 0).Stdout
	if head := strings.Fields(strings.SplitN(tbl, "\n", 2)[0]); !reflect.DeepEqual(head, []string{"Location", "Name", "ProvisioningState", "ResourceGroup"}) {
		t.Errorf("table header = %v\n%s", head, tbl)
	}

	echo(f, nsgPath)
	f.Run(Groups(), "network", "nsg", "update", "-g", "rg1", "-n", "testnsg", "--tags", "a=b").Expect(t, 0)
	put := f.Last("PUT").JSON()
	if !reflect.DeepEqual(put["tags"], map[string]any{"a": "b"}) {
		t.Errorf("update tags = %v", put["tags"])
	}
	rules := put["properties"].(map[string]any)["securityRules"].([]any)
	if rp := rules[0].(map[string]any)["properties"].(map[string]any); rp["priority"] != float64(130) {
		t.Errorf("update must send the rules back nested: %v", rules[0])
	}
}

func TestRuleCreateBodies(t *testing.T) {
	asgID := "/subscriptions/" + sub + "/resourceGroups/other/providers/Microsoft.Network/applicationSecurityGroups/db"
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{"az 2.45 defaults", []string{"--priority", "100"}, map[string]any{
			"access": "Allow", "direction": "Inbound", "priority": float64(100), "protocol": "*",
			"sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "80",
		}},
		{"plural lists and normalised enums", []string{"--priority", "4096", "--source-address-prefixes", "208.130.28.0/24",
			"--source-port-ranges", "80", "--destination-address-prefixes", "*", "--destination-port-ranges", "80", "8080",
			"--access", "deny", "--protocol", "tcp", "--direction", "outbound", "--description", "Deny from specific IP address ranges on 80 and 8080."},
			map[string]any{
				"access": "Deny", "direction": "Outbound", "priority": float64(4096), "protocol": "Tcp",
				"sourceAddressPrefix": "208.130.28.0/24", "sourcePortRange": "80", "destinationAddressPrefix": "*",
				"destinationPortRanges": []any{"80", "8080"}, "description": "Deny from specific IP address ranges on 80 and 8080.",
			}},
		{"several prefixes", []string{"--priority", "300", "--source-address-prefixes", "10.0.0.0/8", "172.16.0.0/12", "--protocol", "Icmp"},
			map[string]any{
				"access": "Allow", "direction": "Inbound", "priority": float64(300), "protocol": "Icmp",
				"sourceAddressPrefixes": []any{"10.0.0.0/8", "172.16.0.0/12"}, "sourcePortRange": "*",
				"destinationAddressPrefix": "*", "destinationPortRange": "80",
			}},
		{"asg name replaces the default prefix", []string{"--priority", "500", "--source-address-prefixes", "Internet",
			"--destination-port-ranges", "80", "8080", "--destination-asgs", "Web"},
			map[string]any{
				"access": "Allow", "direction": "Inbound", "priority": float64(500), "protocol": "*",
				"sourceAddressPrefix": "Internet", "sourcePortRange": "*", "destinationPortRanges": []any{"80", "8080"},
				"destinationApplicationSecurityGroups": []any{map[string]any{
					"id": "/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.Network/applicationSecurityGroups/Web"}},
			}},
		{"asg ID kept", []string{"--priority", "600", "--source-asgs", asgID},
			map[string]any{
				"access": "Allow", "direction": "Inbound", "priority": float64(600), "protocol": "*",
				"sourceApplicationSecurityGroups": []any{map[string]any{"id": asgID}}, "sourcePortRange": "*",
				"destinationAddressPrefix": "*", "destinationPortRange": "80",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := clitest.New(t)
			echo(f, rulePath)
			args := append([]string{"network", "nsg", "rule", "create", "-g", "rg1", "--nsg-name", "testnsg", "-n", "r1"}, tc.args...)
			out := f.Run(Groups(), args...).Expect(t, 0).Object(t)
			put := f.Last("PUT")
			if put.APIVersion() != APIVersion || !strings.HasSuffix(put.Path, "/networkSecurityGroups/testnsg/securityRules/r1") {
				t.Errorf("PUT %s?%s", put.Path, put.Query.Encode())
			}
			if put.JSON()["name"] != "r1" {
				t.Errorf("body name = %v", put.JSON()["name"])
			}
			if got := props(t, put); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("properties:\n got %v\nwant %v", got, tc.want)
			}
			if out["provisioningState"] != "Succeeded" || out["priority"] == nil {
				t.Errorf("output = %v", out)
			}
		})
	}
}

func TestRuleCreateUsageErrors(t *testing.T) {
	f := clitest.New(t)
	base := []string{"network", "nsg", "rule", "create", "-g", "rg1", "--nsg-name", "testnsg", "-n", "r1"}
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "the following arguments are required: --priority"},
		{[]string{"--priority", "high"}, "argument --priority: invalid int value: 'high'"},
		{[]string{"--priority", "100", "--access", "Maybe"}, "'Maybe' is not a valid value for '--access'. Allowed values: Allow, Deny."},
		{[]string{"--priority", "100", "--protocol", "Gre"}, "'Gre' is not a valid value for '--protocol'. Allowed values: *, Ah, Esp, Icmp, Tcp, Udp."},
		{[]string{"--priority", "100", "--direction", "Sideways"}, "'Sideways' is not a valid value for '--direction'"},
		{[]string{"--priority", "100", "--source-port-ranges"}, "argument --source-port-ranges: expected at least one argument"},
	}
	for _, tc := range tests {
		res := f.Run(Groups(), append(append([]string(nil), base...), tc.args...)...).Expect(t, 2)
		if !strings.Contains(res.Stderr, tc.msg) {
			t.Errorf("%v: stderr = %s", tc.args, res.Stderr)
		}
	}
	res := f.Run(Groups(), "network", "nsg", "rule", "create", "-g", "rg1", "-n", "r1", "--priority", "100").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --nsg-name") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	if puts := f.Find("PUT", rulePath); len(puts) != 0 {
		t.Errorf("usage errors sent %d PUTs", len(puts))
	}
}

func TestRuleUpdateSingularPlural(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{"lists of two stay lists, others come back singular",
			[]string{"--destination-port-ranges", "22", "443", "--priority", "140", "--description", "ssh+https"},
			map[string]any{"destinationPortRanges": []any{"22", "443"}, "priority": float64(140), "description": "ssh+https",
				"sourcePortRange": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}},
		{"one value is sent singular",
			[]string{"--source-address-prefixes", "10.0.0.0/8", "--access", "deny"},
			map[string]any{"sourceAddressPrefix": "10.0.0.0/8", "access": "Deny", "destinationPortRange": "80"}},
		{"hidden singular option abbreviates the plural one",
			[]string{"--destination-address-prefix", "10.1.0.0/16"},
			map[string]any{"destinationAddressPrefix": "10.1.0.0/16"}},
		{"generic --set sees the lists",
			[]string{"--set", "protocol=Tcp", "--add", "destinationPortRanges", "8080-8081"},
			map[string]any{"protocol": "Tcp", "destinationPortRanges": []any{"80", "8080-8081"}}},
		{"asgs", []string{"--destination-asgs", "Web"},
			map[string]any{"destinationApplicationSecurityGroups": []any{map[string]any{
				"id": "/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.Network/applicationSecurityGroups/Web"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := clitest.New(t)
			f.JSON("GET", rulePath, 200, example(t, "NetworkSecurityGroupRuleGet.json", "200"))
			echo(f, rulePath)
			args := append([]string{"network", "nsg", "rule", "update", "-g", "rg1", "--nsg-name", "testnsg", "-n", "rule1"}, tc.args...)
			out := f.Run(Groups(), args...).Expect(t, 0).Object(t)
			got := props(t, f.Last("PUT"))
			for k, v := range tc.want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %v, want %v (body %v)", k, got[k], v, got)
				}
			}
			for _, p := range pluralPairs {
				_, s := got[p.singular]
				_, l := got[p.plural]
				if s == l {
					t.Errorf("want exactly one of %s/%s: %v", p.singular, p.plural, got)
				}
			}
			if out["name"] != "rule1" {
				t.Errorf("output = %v", out)
			}
			if reqs := f.Requests(); len(reqs) < 2 || reqs[len(reqs)-2].Method != "GET" || reqs[len(reqs)-1].Method != "PUT" {
				t.Errorf("requests = %v", f.Summary())
			}
		})
	}
}

func TestRuleListAndTables(t *testing.T) {
	f := clitest.New(t)
	body := example(t, "NetworkSecurityGroupGet.json", "200")
	props := body["properties"].(map[string]any)
	plural := map[string]any{
		"name": "multi", "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg/securityRules/multi",
		"properties": map[string]any{"protocol": "Tcp", "sourcePortRange": "*", "sourceAddressPrefixes": []any{"10.0.0.0/8", "10.1.0.0/16"},
			"destinationPortRanges": []any{"80", "443"}, "destinationAddressPrefix": "*", "access": "Deny", "priority": 200, "direction": "Outbound",
			"sourceApplicationSecurityGroups": []any{map[string]any{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/applicationSecurityGroups/a"}}},
	}
	props["securityRules"] = append(props["securityRules"].([]any), plural)
	f.JSON("GET", nsgPath, 200, body)

	list := f.Run(Groups(), "network", "nsg", "rule", "list", "-g", "rg1", "--nsg-name", "testnsg").Expect(t, 0).List(t)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "rule1" || list[1].(map[string]any)["sourceAddressPrefixes"] == nil {
		t.Fatalf("list = %v", list)
	}
	all := f.Run(Groups(), "network", "nsg", "rule", "list", "-g", "rg1", "--nsg-name", "testnsg", "--include-default").Expect(t, 0).List(t)
	if len(all) != 8 || all[2].(map[string]any)["name"] != "AllowVnetInBound" || all[7].(map[string]any)["name"] != "DenyAllOutBound" {
		t.Fatalf("--include-default = %v", all)
	}
	if got := f.Last("GET"); got.APIVersion() != APIVersion || !strings.HasSuffix(got.Path, "/networkSecurityGroups/testnsg") {
		t.Errorf("list reads %s?%s", got.Path, got.Query.Encode())
	}

	tbl := f.Run(Groups(), "network", "nsg", "rule", "list", "-g", "rg1", "--nsg-name", "testnsg", "-o", "table").Expect(t, 0).Stdout
	lines := strings.Split(strings.TrimRight(tbl, "\n"), "\n")
	wantHead := []string{"Name", "ResourceGroup", "Priority", "SourcePortRanges", "SourceAddressPrefixes", "SourceASG",
		"Access", "Protocol", "Direction", "DestinationPortRanges", "DestinationAddressPrefixes", "DestinationASG"}
	if len(lines) != 4 || !reflect.DeepEqual(strings.Fields(lines[0]), wantHead) {
		t.Fatalf("table:\n%s", tbl)
	}
	if got := strings.Fields(lines[2]); !reflect.DeepEqual(got, []string{"rule1", "rg1", "130", "*", "*", "None", "Allow", "*", "Inbound", "80", "*", "None"}) {
		t.Errorf("row = %v", got)
	}
	// Plural values are joined with spaces; a non-empty ASG list prints no cell.
	if !strings.Contains(lines[3], "10.0.0.0/8 10.1.0.0/16") || !strings.Contains(lines[3], "80 443") || strings.Count(lines[3], "None") != 1 {
		t.Errorf("plural row = %q", lines[3])
	}

	f.JSON("GET", rulePath, 200, example(t, "NetworkSecurityGroupRuleGet.json", "200"))
	show := f.Run(Groups(), "network", "nsg", "rule", "show", "-g", "rg1", "--nsg-name", "testnsg", "-n", "rule1", "-o", "table").Expect(t, 0).Stdout
	if head := strings.Fields(strings.SplitN(show, "\n", 2)[0]); !reflect.DeepEqual(head, wantHead) {
		t.Errorf("show table:\n%s", show)
	}
	// --query replaces the table transformer.
	q := f.Run(Groups(), "network", "nsg", "rule", "show", "-g", "rg1", "--nsg-name", "testnsg", "-n", "rule1", "-o", "table", "--query", "{P:priority}").Expect(t, 0).Stdout
	if strings.Fields(q)[0] != "P" {
		t.Errorf("query table:\n%s", q)
	}
}

func TestRouteTableAndRouteBodies(t *testing.T) {
	f := clitest.New(t)
	echo(f, rtPath)
	for _, tc := range []struct {
		args []string
		want map[string]any
	}{
		{nil, map[string]any{}},
		{[]string{"--disable-bgp-route-propagation"}, map[string]any{"disableBgpRoutePropagation": true}},
		{[]string{"--disable-bgp-route-propagation", "false"}, map[string]any{"disableBgpRoutePropagation": false}},
	} {
		args := append([]string{"network", "route-table", "create", "-g", "rg1", "-n", "testrt", "-l", "westus"}, tc.args...)
		out := f.Run(Groups(), args...).Expect(t, 0).Object(t)
		put := f.Last("PUT")
		if put.APIVersion() != APIVersion || put.JSON()["location"] != "westus" {
			t.Errorf("PUT %s %s", put.Query.Encode(), put.Body)
		}
		if got := props(t, put); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: properties = %v", tc.args, got)
		}
		if _, wrapped := out["NewRouteTable"]; wrapped || out["name"] != "testrt" {
			t.Errorf("route-table create output = %v", out)
		}
	}
	res := f.Run(Groups(), "network", "route-table", "create", "-g", "rg1", "-n", "testrt", "-l", "westus", "--disable-bgp-route-propagation", "maybe").Expect(t, 2)
	if !strings.Contains(res.Stderr, "'maybe' is not a valid value for '--disable-bgp-route-propagation'. Allowed values: true, false.") {
		t.Errorf("stderr = %s", res.Stderr)
	}

	echo(f, routePath)
	f.Run(Groups(), "network", "route-table", "route", "create", "-g", "rg1", "--route-table-name", "testrt", "-n", "r1",
		"--next-hop-type", "virtualappliance", "--address-prefix", "10.0.0.0/16", "--next-hop-ip-address", "10.0.100.4").Expect(t, 0)
	want := map[string]any{"name": "r1", "properties": map[string]any{
		"addressPrefix": "10.0.0.0/16", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.100.4"}}
	if put := f.Last("PUT"); !reflect.DeepEqual(put.JSON(), want) || !strings.HasSuffix(put.Path, "/routeTables/testrt/routes/r1") {
		t.Errorf("route PUT %s %s", put.Path, put.Body)
	}
	res = f.Run(Groups(), "network", "route-table", "route", "create", "-g", "rg1", "--route-table-name", "testrt", "-n", "r1",
		"--next-hop-type", "Gateway").Expect(t, 2)
	if !strings.Contains(res.Stderr, "Allowed values: Internet, None, VirtualAppliance, VirtualNetworkGateway, VnetLocal.") {
		t.Errorf("stderr = %s", res.Stderr)
	}

	rt := example(t, "RouteTableGet.json", "200")
	f.JSON("GET", rtPath, 200, rt)
	out := f.Run(Groups(), "network", "route-table", "show", "-g", "rg1", "-n", "testrt").Expect(t, 0).Object(t)
	route := out["routes"].([]any)[0].(map[string]any)
	if route["nextHopType"] != "VirtualNetworkGateway" || route["properties"] != nil || out["disableBgpRoutePropagation"] != false {
		t.Errorf("show = %v", out)
	}
	noNulls(t, "routeTable", out)

	// route update: GET, apply, PUT; "" clears a nullable property.
	r1 := rt["properties"].(map[string]any)["routes"].([]any)[0].(map[string]any)
	f.JSON("GET", routePath, 200, r1)
	f.Run(Groups(), "network", "route-table", "route", "update", "-g", "rg1", "--route-table-name", "testrt", "-n", "route1",
		"--next-hop-type", "VirtualAppliance", "--next-hop-ip-address", "10.0.0.4").Expect(t, 0)
	if got := props(t, f.Last("PUT")); got["nextHopType"] != "VirtualAppliance" || got["nextHopIpAddress"] != "10.0.0.4" || got["addressPrefix"] != "10.0.3.0/24" {
		t.Errorf("route update = %v", got)
	}
	r1["properties"].(map[string]any)["nextHopIpAddress"] = "10.0.0.4"
	f.Run(Groups(), "network", "route-table", "route", "update", "-g", "rg1", "--route-table-name", "testrt", "-n", "route1",
		"--next-hop-type", "Internet", "--next-hop-ip-address", "").Expect(t, 0)
	if got := props(t, f.Last("PUT")); got["nextHopType"] != "Internet" || got["nextHopIpAddress"] != nil {
		t.Errorf("route update clearing the IP = %v", got)
	}

	// route-table update keeps the routes and sets the flag.
	f.Run(Groups(), "network", "route-table", "update", "-g", "rg1", "-n", "testrt", "--disable-bgp-route-propagation", "true").Expect(t, 0)
	got := props(t, f.Last("PUT"))
	if got["disableBgpRoutePropagation"] != true || len(got["routes"].([]any)) != 1 {
		t.Errorf("route-table update = %v", got)
	}
}

func TestEvery404ExitsWith3(t *testing.T) {
	f := clitest.New(t)
	notFound := func(method, path string) {
		f.Error(method, path, 404, "ResourceNotFound",
			"The Resource 'Microsoft.Network/networkSecurityGroups/testnsg' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
	}
	notFound("PUT", rulePath)
	notFound("GET", nsgPath)
	notFound("GET", rulePath)
	notFound("GET", rtPath)
	for _, args := range [][]string{
		{"network", "nsg", "rule", "create", "-g", "rg1", "--nsg-name", "testnsg", "-n", "r1", "--priority", "100"},
		{"network", "nsg", "rule", "list", "-g", "rg1", "--nsg-name", "testnsg"},
		{"network", "nsg", "rule", "update", "-g", "rg1", "--nsg-name", "testnsg", "-n", "r1", "--priority", "120"},
		{"network", "nsg", "update", "-g", "rg1", "-n", "testnsg", "--tags", "a=b"},
		{"network", "nsg", "show", "-g", "rg1", "-n", "testnsg"},
		{"network", "route-table", "show", "-g", "rg1", "-n", "testrt"},
	} {
		res := f.Run(Groups(), args...).Expect(t, 3)
		if !strings.HasPrefix(res.Stderr, "ERROR: (ResourceNotFound) The Resource 'Microsoft.Network/networkSecurityGroups/testnsg'") ||
			!strings.Contains(res.Stderr, "\nCode: ResourceNotFound\nMessage: ") {
			t.Errorf("%v: stderr = %s", args, res.Stderr)
		}
	}
	f.Error("PUT", rtPath, 400, "InvalidResourceName", "Resource name testrt is invalid.")
	res := f.Run(Groups(), "network", "route-table", "create", "-g", "rg1", "-n", "testrt", "-l", "westus").Expect(t, 1)
	if !strings.HasPrefix(res.Stderr, "ERROR: (InvalidResourceName) Resource name testrt is invalid.\nCode: InvalidResourceName") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestIDsAndHelp(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", rulePath, 200, example(t, "NetworkSecurityGroupRuleGet.json", "200"))
	id := "/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg/securityRules/rule1"
	out := f.Run(Groups(), "network", "nsg", "rule", "show", "--ids", id).Expect(t, 0).Object(t)
	if out["name"] != "rule1" || !strings.HasSuffix(f.Last("GET").Path, "/networkSecurityGroups/testnsg/securityRules/rule1") {
		t.Errorf("show --ids = %v (%s)", out, f.Last("GET").Path)
	}
	res := f.Run(Groups(), "network", "nsg", "rule", "show", "-g", "rg1", "-n", "rule1").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: (--nsg-name | --ids) are required") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	help := f.Run(Groups(), "network", "nsg", "rule", "create", "-h").Expect(t, 0).Stdout
	for _, s := range []string{"--priority", "--source-address-prefixes", "--destination-port-ranges", "--destination-asgs", "--no-wait", "Default: 80."} {
		if !strings.Contains(help, s) {
			t.Errorf("help lacks %q:\n%s", s, help)
		}
	}
	group := f.Run(Groups(), "network", "route-table", "-h").Expect(t, 0).Stdout
	for _, s := range []string{"route", "create", "update", "wait"} {
		if !strings.Contains(group, s) {
			t.Errorf("group help lacks %q:\n%s", s, group)
		}
	}
}
