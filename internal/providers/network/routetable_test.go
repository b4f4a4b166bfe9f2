package network_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func TestRouteTableMatchesAzureExamples(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	path := rid("rg1", "routeTables", "testrt")

	// RouteTableCreate's response shows disableBgpRoutePropagation true for
	// a request that omits it (an upstream quirk; Azure's default is
	// false), so the flag is sent explicitly.
	ex := loadExample(t, "routetable/RouteTableCreate.json")
	r := f.s.Do(http.MethodPut, path, fxAPI, `{"location":"westus","properties":{"disableBgpRoutePropagation":true}}`)
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	f.s.Wait(r)
	got := f.s.Do(http.MethodGet, path, fxAPI, nil).JSON()
	checkSubset(t, ex.Responses["201"].Body, got)
	if props := got["properties"].(map[string]any); props["resourceGuid"] == nil {
		t.Fatalf("no resourceGuid: %v", props)
	}
	if got := f.put(path, `{"location":"westus"}`); got["properties"].(map[string]any)["disableBgpRoutePropagation"] != false {
		t.Fatalf("default disableBgpRoutePropagation: %v", got["properties"])
	}

	ex = loadExample(t, "routetable/RouteTableGet.json")
	got = f.put(path, `{"location":"westus","properties":{"routes":[{"name":"route1","properties":{"addressPrefix":"10.0.3.0/24","nextHopType":"VirtualNetworkGateway"}}]}}`)
	checkSubset(t, ex.Responses["200"].Body, got)
	route := got["properties"].(map[string]any)["routes"].([]any)[0].(map[string]any)
	if route["type"] != "Microsoft.Network/routeTables/routes" || route["etag"] == nil {
		t.Fatalf("route envelope: %v", route)
	}
	f.mustFail(http.MethodGet, path+"/routes/nope", "", http.StatusNotFound, "NotFound")
}

func TestRouteTableLifecycleSDK(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	route := func(name, prefix string, hop armnetwork.RouteNextHopType, ip string) *armnetwork.Route {
		r := &armnetwork.Route{Name: ptr(name), Properties: &armnetwork.RoutePropertiesFormat{AddressPrefix: ptr(prefix), NextHopType: ptr(hop)}}
		if ip != "" {
			r.Properties.NextHopIPAddress = ptr(ip)
		}
		return r
	}
	poller, err := f.rts.BeginCreateOrUpdate(f.ctx, "rg1", "rt1", armnetwork.RouteTable{
		Location: ptr(fxLoc),
		Properties: &armnetwork.RouteTablePropertiesFormat{
			DisableBgpRoutePropagation: ptr(true),
			Routes: []*armnetwork.Route{
				route("default", "0.0.0.0/0", armnetwork.RouteNextHopTypeVirtualAppliance, "10.0.1.4"),
				route("blackhole", "192.168.0.0/16", armnetwork.RouteNextHopTypeNone, ""),
				route("cloud", "AzureCloud.westus2", armnetwork.RouteNextHopTypeInternet, ""),
			},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := poller.PollUntilDone(f.ctx, &runtimePoll)
	if err != nil {
		t.Fatal(err)
	}
	if len(rt.Properties.Routes) != 3 || !val(rt.Properties.DisableBgpRoutePropagation) || val(rt.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("created: %+v", rt.Properties)
	}

	rp, err := f.routes.BeginCreateOrUpdate(f.ctx, "rg1", "rt1", "vnet", *route("vnet", "10.1.0.0/16", armnetwork.RouteNextHopTypeVnetLocal, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	g, err := f.routes.Get(f.ctx, "rg1", "rt1", "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	if val(g.Properties.NextHopIPAddress) != "10.0.1.4" || val(g.Properties.NextHopType) != armnetwork.RouteNextHopTypeVirtualAppliance {
		t.Fatalf("route: %+v", g.Properties)
	}
	var names []string
	for pg := f.routes.NewListPager("rg1", "rt1", nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Value {
			names = append(names, val(r.Name))
		}
	}
	if strings.Join(names, ",") != "blackhole,cloud,default,vnet" {
		t.Fatalf("routes: %v", names)
	}
	// A second route for the same prefix is refused.
	_, err = f.routes.BeginCreateOrUpdate(f.ctx, "rg1", "rt1", "dup", *route("dup", "10.1.0.0/16", armnetwork.RouteNextHopTypeInternet, ""), nil)
	if errCode(err) != "RouteConflict" {
		t.Fatalf("duplicate prefix: %v", err)
	}

	n := 0
	for pg := f.rts.NewListAllPager(nil); pg.More(); {
		page, err := pg.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("route tables listed: %d", n)
	}

	dp, err := f.routes.BeginDelete(f.ctx, "rg1", "rt1", "vnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := f.routes.Get(f.ctx, "rg1", "rt1", "vnet", nil); errCode(err) != "NotFound" {
		t.Fatalf("deleted route: %v", err)
	}
	del, err := f.rts.BeginDelete(f.ctx, "rg1", "rt1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rts.Get(f.ctx, "rg1", "rt1", nil); errCode(err) != "ResourceNotFound" {
		t.Fatalf("deleted table: %v", err)
	}
}

func TestRouteValidation(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	table := rid("rg1", "routeTables", "rt1")
	f.put(table, `{"location":"westus2","properties":{"routes":[{"name":"existing","properties":{"addressPrefix":"10.9.0.0/16","nextHopType":"Internet"}}]}}`)
	routeID := table + "/routes/r1"
	cases := []struct {
		name    string
		props   map[string]any
		code    string
		message string
	}{
		{"ok gateway", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "VirtualNetworkGateway"}, "", ""},
		{"ok lower-case hop", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "virtualappliance", "nextHopIpAddress": "10.1.1.1"}, "", ""},
		{"ok empty ip for non appliance", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "None", "nextHopIpAddress": ""}, "", ""},
		{"ok service tag", map[string]any{"addressPrefix": "Storage", "nextHopType": "Internet"}, "", ""},
		{"ok ipv6", map[string]any{"addressPrefix": "2001:db8::/48", "nextHopType": "None"}, "", ""},
		{"bad hop type", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "VNetPeering"}, "InvalidRequestFormat", "Cannot parse the request."},
		{"missing hop type", map[string]any{"addressPrefix": "10.0.0.0/8"}, "MissingNextHopType", "NextHopType cannot be Null or Empty in route r1."},
		{"appliance without ip", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "VirtualAppliance"}, "MissingNextHopIpAddress",
			"NextHopIpAddress cannot be Null or Empty in route r1 when NextHopType is VirtualAppliance."},
		{"ip with other hop", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "Internet", "nextHopIpAddress": "10.1.1.1"}, "NextHopIpAddressNotAllowed", "NextHopIpAddress 10.1.1.1 is not allowed in route r1"},
		{"bad ip", map[string]any{"addressPrefix": "10.0.0.0/8", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.1.1"}, "InvalidNextHopIpAddress", "10.1.1"},
		{"bad prefix", map[string]any{"addressPrefix": "10.0.0.0", "nextHopType": "Internet"}, "InvalidAddressPrefixFormat",
			"Address prefix 10.0.0.0 of resource " + routeID + " is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24."},
		{"host bits", map[string]any{"addressPrefix": "10.0.0.1/8", "nextHopType": "Internet"}, "InvalidAddressPrefixFormat", "10.0.0.1/8"},
		{"system tag", map[string]any{"addressPrefix": "VirtualNetwork", "nextHopType": "Internet"}, "InvalidAddressPrefixFormat", "VirtualNetwork"},
		{"missing prefix", map[string]any{"nextHopType": "Internet"}, "InvalidAddressPrefixFormat", "is not formatted correctly"},
		{"duplicate prefix", map[string]any{"addressPrefix": "10.9.0.0/16", "nextHopType": "None"}, "RouteConflict", "Route r1 conflicts with route existing."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"properties": tc.props})
			r := f.s.Do(http.MethodPut, routeID, fxAPI, b)
			if tc.code == "" {
				if r.Status != http.StatusCreated && r.Status != http.StatusOK {
					t.Fatalf("want success, got %d %s", r.Status, r.Body)
				}
				f.s.Wait(r)
				if d := f.s.Do(http.MethodDelete, routeID, fxAPI, nil); d.Status != http.StatusAccepted {
					t.Fatalf("cleanup: %d", d.Status)
				}
				return
			}
			if r.Status != http.StatusBadRequest || r.ErrorCode() != tc.code {
				t.Fatalf("got %d %s, want %s", r.Status, r.Body, tc.code)
			}
			if msg, _ := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, tc.message) {
				t.Fatalf("message %q does not contain %q", msg, tc.message)
			}
		})
	}
	// Inline: two routes of one table with the same prefix.
	e := f.mustFail(http.MethodPut, table, `{"location":"westus2","properties":{"routes":[
		{"name":"a","properties":{"addressPrefix":"10.0.0.0/8","nextHopType":"Internet"}},
		{"name":"b","properties":{"addressPrefix":"10.0.0.0/8","nextHopType":"None"}}]}}`, http.StatusBadRequest, "RouteConflict")
	if !strings.Contains(e["message"].(string), "Route b conflicts with route a.") {
		t.Fatalf("message %v", e["message"])
	}
	e = f.mustFail(http.MethodPut, table, `{"location":"westus2","properties":{"routes":[
		{"name":"a","properties":{"addressPrefix":"10.0.0.0/8","nextHopType":"Internet"}},
		{"name":"b","properties":{"addressPrefix":"10.1.0.0/16","nextHopType":"Bogus"}}]}}`, http.StatusBadRequest, "InvalidRequestFormat")
	if d := e["details"].([]any)[0].(map[string]any)["message"]; !strings.Contains(d.(string), "RouteNextHopType'. Path 'properties.routes[1].properties.nextHopType'.") {
		t.Fatalf("detail %v", d)
	}
	// The table is unchanged by the failed PUTs.
	got := f.s.Do(http.MethodGet, table, fxAPI, nil).JSON()
	routes := got["properties"].(map[string]any)["routes"].([]any)
	if len(routes) != 1 || routes[0].(map[string]any)["name"] != "existing" {
		t.Fatalf("routes after failed puts: %v", routes)
	}
}

func TestRouteTableInUse(t *testing.T) {
	f := newFx(t)
	f.group("rg1")
	f.vnet("rg1", "vnet1", fxLoc, "10.0.0.0/16", "default=10.0.0.0/24")
	rtID := rid("rg1", "routeTables", "rt1")
	f.put(rtID, `{"location":"westus2","properties":{"routes":[{"name":"r","properties":{"addressPrefix":"0.0.0.0/0","nextHopType":"None"}}]}}`)
	sp, err := f.subnets.BeginCreateOrUpdate(f.ctx, "rg1", "vnet1", "app", armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{
		AddressPrefix: ptr("10.0.1.0/24"), RouteTable: &armnetwork.RouteTable{ID: ptr(rtID)},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	g, err := f.rts.Get(f.ctx, "rg1", "rt1", nil)
	if err != nil {
		t.Fatal(err)
	}
	subnetID := rid("rg1", "virtualNetworks", "vnet1") + "/subnets/app"
	if len(g.Properties.Subnets) != 1 || val(g.Properties.Subnets[0].ID) != subnetID {
		t.Fatalf("subnets back-ref: %+v", g.Properties.Subnets)
	}
	_, err = f.rts.BeginDelete(f.ctx, "rg1", "rt1", nil)
	if errCode(err) != "InUseRouteTableCannotBeDeleted" || !strings.Contains(err.Error(), "Route table rt1 is in use and cannot be deleted.") {
		t.Fatalf("delete in use: %v", err)
	}
	// Deleting one of its routes is fine; the table stays.
	dp, err := f.routes.BeginDelete(f.ctx, "rg1", "rt1", "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(f.ctx, &runtimePoll); err != nil {
		t.Fatal(err)
	}
	g2, err := f.rts.Get(f.ctx, "rg1", "rt1", nil)
	if err != nil || len(g2.Properties.Subnets) != 1 {
		t.Fatalf("after failed delete: %v", err)
	}
}
