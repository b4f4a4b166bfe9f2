package privatelink

import (
	"context"
	"encoding/json"
	"github.com/privlink/privlink/internal/armtest"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// example returns the body of the first response of a REST example.
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

var missingKeys = armtest.MissingKeys

func TestGoldenShapes(t *testing.T) {
	w := newWorld(t, func(p map[string]any) {
		p["visibility"] = map[string]any{"subscriptions": []string{sub2}}
		p["autoApproval"] = map[string]any{"subscriptions": []string{sub2}}
	})
	alias := str(w.get(w.pls), "properties", "alias")
	pe1 := netPath(sub1, "rgc", "privateEndpoints", "pe1")
	w.must(http.StatusCreated, http.MethodPut, pe1, peBody(w.cons1+"/subnets/pe", w.pls, false, func(_, p map[string]any) {
		p["ipConfigurations"] = []any{map[string]any{"name": "pestaticconfig", "properties": map[string]any{"groupId": "", "memberName": "", "privateIPAddress": "10.0.2.6"}}}
		p["customNetworkInterfaceName"] = "pe1nic"
	}))
	pe2 := netPath(sub1, "rgc", "privateEndpoints", "pe2")
	w.must(http.StatusCreated, http.MethodPut, pe2, peBody(w.cons1+"/subnets/pe", w.pls, true, func(_, p map[string]any) {
		p["ipConfigurations"] = []any{map[string]any{"name": "pestaticconfig", "properties": map[string]any{"groupId": "", "memberName": "", "privateIPAddress": "10.0.2.7"}}}
		p["customNetworkInterfaceName"] = "pe2nic"
	}))
	zone := netPath(sub1, "rgc", "privateDnsZones", "contoso.internal")
	w.Wait(w.Do(http.MethodPut, zone, "2020-06-01", map[string]any{"location": "global"}))
	group := pe1 + "/privateDnsZoneGroups/g"
	w.must(http.StatusCreated, http.MethodPut, group, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": []any{
		map[string]any{"properties": map[string]any{"privateDnsZoneId": zone}}}}})
	conns := w.get(w.pls + "/privateEndpointConnections")
	connID := str(conns, "value", 0, "id")
	upd := w.must(http.StatusOK, http.MethodPut, connID, map[string]any{"properties": map[string]any{
		"privateLinkServiceConnectionState": map[string]any{"status": "Approved", "description": "approved it for some reason."}}}).JSON()
	vis := w.must(http.StatusOK, http.MethodPost, "/subscriptions/"+sub2+"/providers/Microsoft.Network/locations/eastus/checkPrivateLinkServiceVisibility",
		map[string]any{"privateLinkServiceAlias": alias}).JSON()
	auto := w.get("/subscriptions/" + sub2 + "/providers/Microsoft.Network/locations/eastus/autoApprovedPrivateLinkServices")

	for _, tc := range []struct {
		file, status string
		got          any
	}{
		{"PrivateLinkServiceGet.json", "200", w.get(w.pls)},
		{"PrivateLinkServiceListPrivateEndpointConnection.json", "200", conns},
		{"PrivateLinkServiceUpdatePrivateEndpointConnection.json", "200", upd},
		{"PrivateEndpointGet.json", "200", w.get(pe1)},
		{"PrivateEndpointCreateForManualApproval.json", "200", w.get(pe2)},
		{"PrivateEndpointDnsZoneGroupGet.json", "200", w.get(group)},
		{"CheckPrivateLinkServiceVisibility.json", "200", vis},
		{"AutoApprovedPrivateLinkServicesGet.json", "200", auto},
	} {
		if miss := missingKeys(example(t, tc.file, tc.status), tc.got, ""); len(miss) > 0 {
			t.Errorf("%s: missing %v in %s", tc.file, miss, mustJSON(tc.got))
		}
	}
	if s := str(w.get(pe2), "properties", "manualPrivateLinkServiceConnections", 0, "properties", "privateLinkServiceConnectionState", "status"); s != "Pending" {
		t.Fatalf("manual connection from the owner's own subscription (not in autoApproval): %s", s)
	}
}

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestSDKRoundTrip(t *testing.T) {
	w := newWorld(t, func(p map[string]any) { p["visibility"] = map[string]any{"subscriptions": []string{sub2}} })
	ctx := context.Background()
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud:     cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: w.URL, Audience: w.URL}}},
		Transport: &http.Client{Transport: w.Transport()},
	}}
	poll := &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}
	f1, err := armnetwork.NewClientFactory(sub1, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := armnetwork.NewClientFactory(sub2, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	plsc := f1.NewPrivateLinkServicesClient()

	// GET then PUT the service back unchanged (read-only fields included).
	got, err := plsc.Get(ctx, "rgp", "pls", nil)
	if err != nil {
		t.Fatal(err)
	}
	got.Properties.Fqdns = append(got.Properties.Fqdns, to.Ptr("second.contoso.internal"))
	p, err := plsc.BeginCreateOrUpdate(ctx, "rgp", "pls", got.PrivateLinkService, nil)
	if err != nil {
		t.Fatal(err)
	}
	put, err := p.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if *put.Properties.Alias != *got.Properties.Alias || len(put.Properties.Fqdns) != 2 || *put.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("round trip: %+v", put.Properties)
	}

	// A consumer in the second subscription connects by alias.
	pec := f2.NewPrivateEndpointsClient()
	pp, err := pec.BeginCreateOrUpdate(ctx, "rgx", "pe", armnetwork.PrivateEndpoint{
		Location: to.Ptr(loc),
		Properties: &armnetwork.PrivateEndpointProperties{
			Subnet: &armnetwork.Subnet{ID: to.Ptr(w.cons2 + "/subnets/pe")},
			ManualPrivateLinkServiceConnections: []*armnetwork.PrivateLinkServiceConnection{{
				Name:       to.Ptr("conn"),
				Properties: &armnetwork.PrivateLinkServiceConnectionProperties{PrivateLinkServiceID: got.Properties.Alias, RequestMessage: to.Ptr("hi")},
			}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pe, err := pp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if s := *pe.Properties.ManualPrivateLinkServiceConnections[0].Properties.PrivateLinkServiceConnectionState.Status; s != "Pending" {
		t.Fatalf("state %s", s)
	}
	if len(pe.Properties.CustomDNSConfigs) != 2 || *pe.Properties.CustomDNSConfigs[0].IPAddresses[0] != "10.0.2.4" {
		t.Fatalf("customDnsConfigs %+v", pe.Properties.CustomDNSConfigs)
	}

	// The owner approves through the SDK.
	var conn *armnetwork.PrivateEndpointConnection
	pager := plsc.NewListPrivateEndpointConnectionsPager("rgp", "pls", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Value) > 0 {
			conn = page.Value[0]
		}
	}
	if conn == nil || conn.Properties.LinkIdentifier == nil || *conn.Properties.LinkIdentifier == "" {
		t.Fatalf("connection %+v", conn)
	}
	conn.Properties.PrivateLinkServiceConnectionState = &armnetwork.PrivateLinkServiceConnectionState{Status: to.Ptr("Approved"), Description: to.Ptr("yes")}
	if _, err := plsc.UpdatePrivateEndpointConnection(ctx, "rgp", "pls", *conn.Name, *conn, nil); err != nil {
		t.Fatal(err)
	}
	again, err := pec.Get(ctx, "rgx", "pe", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := *again.Properties.ManualPrivateLinkServiceConnections[0].Properties.PrivateLinkServiceConnectionState.Status; s != "Approved" {
		t.Fatalf("after approval %s", s)
	}

	// Visibility check (an LRO in the SDK) and the auto-approved list.
	vp, err := f2.NewPrivateLinkServicesClient().BeginCheckPrivateLinkServiceVisibility(ctx, loc,
		armnetwork.CheckPrivateLinkServiceVisibilityRequest{PrivateLinkServiceAlias: got.Properties.Alias}, nil)
	if err != nil {
		t.Fatal(err)
	}
	vr, err := vp.PollUntilDone(ctx, poll)
	if err != nil || vr.Visible == nil || !*vr.Visible {
		t.Fatalf("visibility %+v %v", vr, err)
	}
	ap := f2.NewPrivateLinkServicesClient().NewListAutoApprovedPrivateLinkServicesPager(loc, nil)
	for ap.More() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Value) != 0 {
			t.Fatalf("auto-approved for sub2: %+v", page.Value)
		}
	}

	// Zone group through the SDK.
	zone := netPath(sub2, "rgx", "privateDnsZones", "contoso.internal")
	w.Wait(w.Do(http.MethodPut, zone, "2020-06-01", map[string]any{"location": "global"}))
	zg := f2.NewPrivateDNSZoneGroupsClient()
	zp, err := zg.BeginCreateOrUpdate(ctx, "rgx", "pe", "default", armnetwork.PrivateDNSZoneGroup{Properties: &armnetwork.PrivateDNSZoneGroupPropertiesFormat{
		PrivateDNSZoneConfigs: []*armnetwork.PrivateDNSZoneConfig{{Name: to.Ptr("z"), Properties: &armnetwork.PrivateDNSZonePropertiesFormat{PrivateDNSZoneID: to.Ptr(zone)}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := zp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if rs := g.Properties.PrivateDNSZoneConfigs[0].Properties.RecordSets; len(rs) != 2 || *rs[0].RecordSetName != "app" || *rs[0].IPAddresses[0] != "10.0.2.4" {
		t.Fatalf("zone group record sets %+v", rs)
	}

	// Delete the endpoint, then the service.
	dp, err := pec.BeginDelete(ctx, "rgx", "pe", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	if r := w.Do(http.MethodGet, zone+"/A/app", "2020-06-01", nil); r.Status != http.StatusNotFound {
		t.Fatalf("zone record after endpoint delete: %d", r.Status)
	}
	sp, err := plsc.BeginDelete(ctx, "rgp", "pls", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
}
