package privatedns

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/privatedns/armprivatedns"

	"github.com/privlink/privlink/internal/armtest"
)

// staticCred is a fake azcore.TokenCredential.
type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type sdkClients struct {
	zones   *armprivatedns.PrivateZonesClient
	links   *armprivatedns.VirtualNetworkLinksClient
	records *armprivatedns.RecordSetsClient
}

func newSDK(t *testing.T, e *env, sub string) *sdkClients {
	t.Helper()
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: e.URL, Audience: e.URL},
		}},
		Transport: &http.Client{Transport: e.Transport()},
	}}
	f, err := armprivatedns.NewClientFactory(sub, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &sdkClients{zones: f.NewPrivateZonesClient(), links: f.NewVirtualNetworkLinksClient(), records: f.NewRecordSetsClient()}
}

var poll = &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

// wantCode checks an SDK error's status and ARM error code.
func wantCode(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%s: got %v, want %d %s", what, err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("%s: got %d %s, want %d %s", what, re.StatusCode, re.ErrorCode, status, code)
	}
}

func TestSDK(t *testing.T) {
	e := start(t, armtest.Options{PageSize: 2})
	sub := armtest.Subscription
	ctx := context.Background()
	c := newSDK(t, e, sub)
	e.group(sub, "rg")
	e.group(sub, "rg2")
	vn1 := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	vn2 := e.vnet(sub, "rg", "vn2", "10.1.0.0/16")

	// zones
	p, err := c.zones.BeginCreateOrUpdate(ctx, "rg", "contoso.com",
		armprivatedns.PrivateZone{Location: to.Ptr("Global"), Tags: map[string]*string{"env": to.Ptr("test")}},
		&armprivatedns.PrivateZonesClientBeginCreateOrUpdateOptions{IfNoneMatch: to.Ptr("*")})
	if err != nil {
		t.Fatal(err)
	}
	zr, err := p.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	zp := zr.Properties
	if *zr.Name != "contoso.com" || *zr.Location != "global" || *zp.ProvisioningState != armprivatedns.ProvisioningStateSucceeded ||
		*zp.NumberOfRecordSets != 1 || *zp.MaxNumberOfRecordSets != 25000 || *zp.MaxNumberOfVirtualNetworkLinks != 1000 ||
		*zp.MaxNumberOfVirtualNetworkLinksWithRegistration != 100 || zp.InternalID == nil || *zr.Etag == "" {
		t.Fatalf("zone: %+v %+v", zr.PrivateZone, *zp)
	}
	_, err = c.zones.BeginCreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.PrivateZone{Location: to.Ptr("global")},
		&armprivatedns.PrivateZonesClientBeginCreateOrUpdateOptions{IfNoneMatch: to.Ptr("*")})
	wantCode(t, "create-only on existing zone", err, 412, "PreconditionFailed")
	_, err = c.zones.BeginCreateOrUpdate(ctx, "rg", "contoso", armprivatedns.PrivateZone{Location: to.Ptr("global")}, nil)
	wantCode(t, "single-label zone", err, 400, "BadRequest")
	for _, n := range []string{"fabrikam.com", "adatum.com"} {
		p, err := c.zones.BeginCreateOrUpdate(ctx, "rg", n, armprivatedns.PrivateZone{Location: to.Ptr("global")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.PollUntilDone(ctx, poll); err != nil {
			t.Fatal(err)
		}
	}
	p, err = c.zones.BeginCreateOrUpdate(ctx, "rg2", "contoso.com", armprivatedns.PrivateZone{Location: to.Ptr("global")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	g, err := c.zones.Get(ctx, "rg", "contoso.com", nil)
	if err != nil || *g.Tags["env"] != "test" {
		t.Fatalf("get: %v %+v", err, g)
	}
	up, err := c.zones.BeginUpdate(ctx, "rg", "contoso.com", armprivatedns.PrivateZone{Tags: map[string]*string{"env": to.Ptr("prod")}},
		&armprivatedns.PrivateZonesClientBeginUpdateOptions{IfMatch: g.Etag})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := up.PollUntilDone(ctx, poll); err != nil || *u.Tags["env"] != "prod" {
		t.Fatalf("update: %v %+v", err, u)
	}
	count := func(pager interface {
		More() bool
	}, next func() (int, error)) int {
		n := 0
		for pager.More() {
			k, err := next()
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
		return n
	}
	rgPager := c.zones.NewListByResourceGroupPager("rg", nil)
	if n := count(rgPager, func() (int, error) {
		pg, err := rgPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 3 {
		t.Fatalf("zones in rg: %d", n)
	}
	subPager := c.zones.NewListPager(nil)
	if n := count(subPager, func() (int, error) {
		pg, err := subPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 4 {
		t.Fatalf("zones in subscription: %d", n)
	}

	// links
	lp, err := c.links.BeginCreateOrUpdate(ctx, "rg", "contoso.com", "link1", armprivatedns.VirtualNetworkLink{
		Location: to.Ptr("global"),
		Properties: &armprivatedns.VirtualNetworkLinkProperties{
			VirtualNetwork:      &armprivatedns.SubResource{ID: to.Ptr(vn1)},
			RegistrationEnabled: to.Ptr(true),
			ResolutionPolicy:    to.Ptr(armprivatedns.ResolutionPolicyDefault),
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := lp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if *lr.Properties.VirtualNetworkLinkState != armprivatedns.VirtualNetworkLinkStateCompleted ||
		*lr.Properties.ProvisioningState != armprivatedns.ProvisioningStateSucceeded || !*lr.Properties.RegistrationEnabled ||
		*lr.Properties.VirtualNetwork.ID != vn1 {
		t.Fatalf("link: %+v", *lr.Properties)
	}
	newLink := func(rg, zone, name, vnet string, reg bool) error {
		p, err := c.links.BeginCreateOrUpdate(ctx, rg, zone, name, armprivatedns.VirtualNetworkLink{
			Location: to.Ptr("global"),
			Properties: &armprivatedns.VirtualNetworkLinkProperties{
				VirtualNetwork: &armprivatedns.SubResource{ID: to.Ptr(vnet)}, RegistrationEnabled: to.Ptr(reg),
			},
		}, nil)
		if err != nil {
			return err
		}
		_, err = p.PollUntilDone(ctx, poll)
		return err
	}
	wantCode(t, "duplicate link", newLink("rg", "contoso.com", "link2", vn1, false), 409, "Conflict")
	wantCode(t, "second registration zone", newLink("rg", "fabrikam.com", "link1", vn1, true), 409, "Conflict")
	wantCode(t, "same zone name twice", newLink("rg2", "contoso.com", "link1", vn1, false), 400, "BadRequest")
	wantCode(t, "missing network", newLink("rg", "fabrikam.com", "link1", vnetPath(sub, "rg", "none"), false), 400, "BadRequest")
	if err := newLink("rg", "contoso.com", "link2", vn2, false); err != nil {
		t.Fatal(err)
	}
	lu, err := c.links.BeginUpdate(ctx, "rg", "contoso.com", "link2", armprivatedns.VirtualNetworkLink{
		Properties: &armprivatedns.VirtualNetworkLinkProperties{ResolutionPolicy: to.Ptr(armprivatedns.ResolutionPolicyNxDomainRedirect)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := lu.PollUntilDone(ctx, poll); err != nil || *u.Properties.ResolutionPolicy != armprivatedns.ResolutionPolicyNxDomainRedirect {
		t.Fatalf("link update: %v %+v", err, u)
	}
	if g, err := c.links.Get(ctx, "rg", "contoso.com", "link2", nil); err != nil || *g.Properties.RegistrationEnabled {
		t.Fatalf("link get: %v %+v", err, g)
	}
	linkPager := c.links.NewListPager("rg", "contoso.com", nil)
	if n := count(linkPager, func() (int, error) {
		pg, err := linkPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 2 {
		t.Fatalf("links: %d", n)
	}
	if g, err := c.zones.Get(ctx, "rg", "contoso.com", nil); err != nil || *g.Properties.NumberOfVirtualNetworkLinks != 2 ||
		*g.Properties.NumberOfVirtualNetworkLinksWithRegistration != 1 {
		t.Fatalf("zone counts: %v %+v", err, g)
	}

	// record sets
	a := armprivatedns.RecordSet{Properties: &armprivatedns.RecordSetProperties{
		TTL:      to.Ptr[int64](3600),
		Metadata: map[string]*string{"key1": to.Ptr("value1")},
		ARecords: []*armprivatedns.ARecord{{IPv4Address: to.Ptr("10.0.0.4")}, {IPv4Address: to.Ptr("10.0.0.5")}},
	}}
	cr, err := c.records.CreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "WWW", a,
		&armprivatedns.RecordSetsClientCreateOrUpdateOptions{IfNoneMatch: to.Ptr("*")})
	if err != nil {
		t.Fatal(err)
	}
	if *cr.Name != "www" || *cr.Type != "Microsoft.Network/privateDnsZones/A" || *cr.Properties.Fqdn != "www.contoso.com." ||
		*cr.Properties.IsAutoRegistered || len(cr.Properties.ARecords) != 2 {
		t.Fatalf("record set: %+v %+v", cr.RecordSet, *cr.Properties)
	}
	_, err = c.records.CreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", a,
		&armprivatedns.RecordSetsClientCreateOrUpdateOptions{IfNoneMatch: to.Ptr("*")})
	wantCode(t, "create-only record set", err, 412, "PreconditionFailed")
	_, err = c.records.CreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.RecordTypeCNAME, "www", armprivatedns.RecordSet{
		Properties: &armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), CnameRecord: &armprivatedns.CnameRecord{Cname: to.Ptr("x.contoso.com")}},
	}, nil)
	wantCode(t, "CNAME beside A", err, 409, "Conflict")
	_, err = c.records.CreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "bad", armprivatedns.RecordSet{
		Properties: &armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), ARecords: []*armprivatedns.ARecord{{IPv4Address: to.Ptr("10.0.0")}}},
	}, nil)
	wantCode(t, "bad IPv4", err, 400, "BadRequest")
	for _, rs := range []struct {
		typ  armprivatedns.RecordType
		name string
		p    armprivatedns.RecordSetProperties
	}{
		{armprivatedns.RecordTypeAAAA, "v6", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), AaaaRecords: []*armprivatedns.AaaaRecord{{IPv6Address: to.Ptr("2001:db8::1")}}}},
		{armprivatedns.RecordTypeCNAME, "alias", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), CnameRecord: &armprivatedns.CnameRecord{Cname: to.Ptr("www.contoso.com")}}},
		{armprivatedns.RecordTypeMX, "@", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), MxRecords: []*armprivatedns.MxRecord{{Preference: to.Ptr[int32](10), Exchange: to.Ptr("mail.contoso.com")}}}},
		{armprivatedns.RecordTypePTR, "4", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), PtrRecords: []*armprivatedns.PtrRecord{{Ptrdname: to.Ptr("www.contoso.com")}}}},
		{armprivatedns.RecordTypeSRV, "_sip._tcp", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), SrvRecords: []*armprivatedns.SrvRecord{{Priority: to.Ptr[int32](1), Weight: to.Ptr[int32](5), Port: to.Ptr[int32](5060), Target: to.Ptr("sip.contoso.com")}}}},
		{armprivatedns.RecordTypeTXT, "www", armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](60), TxtRecords: []*armprivatedns.TxtRecord{{Value: []*string{to.Ptr("v=spf1 -all")}}}}},
	} {
		if _, err := c.records.CreateOrUpdate(ctx, "rg", "contoso.com", rs.typ, rs.name, armprivatedns.RecordSet{Properties: &rs.p}, nil); err != nil {
			t.Fatalf("%s %s: %v", rs.typ, rs.name, err)
		}
	}
	soa, err := c.records.Get(ctx, "rg", "contoso.com", armprivatedns.RecordTypeSOA, "@", nil)
	if err != nil || *soa.Properties.SoaRecord.Host != "azureprivatedns.net" || *soa.Properties.SoaRecord.MinimumTTL != 10 {
		t.Fatalf("SOA: %v %+v", err, soa)
	}
	soa.Properties.SoaRecord.Email = to.Ptr("hostmaster.contoso.com")
	if u, err := c.records.CreateOrUpdate(ctx, "rg", "contoso.com", armprivatedns.RecordTypeSOA, "@", soa.RecordSet, nil); err != nil ||
		*u.Properties.SoaRecord.Email != "hostmaster.contoso.com" {
		t.Fatalf("SOA update: %v %+v", err, u)
	}
	_, err = c.records.Delete(ctx, "rg", "contoso.com", armprivatedns.RecordTypeSOA, "@", nil)
	wantCode(t, "delete SOA", err, 400, "BadRequest")

	got, err := c.records.Get(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", nil)
	if err != nil {
		t.Fatal(err)
	}
	upd, err := c.records.Update(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www",
		armprivatedns.RecordSet{Properties: &armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](300)}},
		&armprivatedns.RecordSetsClientUpdateOptions{IfMatch: got.Etag})
	if err != nil || *upd.Properties.TTL != 300 || len(upd.Properties.ARecords) != 2 || *upd.Etag == *got.Etag {
		t.Fatalf("update: %v %+v", err, upd)
	}
	_, err = c.records.Update(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www",
		armprivatedns.RecordSet{Properties: &armprivatedns.RecordSetProperties{TTL: to.Ptr[int64](1)}},
		&armprivatedns.RecordSetsClientUpdateOptions{IfMatch: got.Etag})
	wantCode(t, "stale update", err, 412, "PreconditionFailed")

	byType := c.records.NewListByTypePager("rg", "contoso.com", armprivatedns.RecordTypeA, &armprivatedns.RecordSetsClientListByTypeOptions{Top: to.Ptr[int32](1)})
	if n := count(byType, func() (int, error) {
		pg, err := byType.NextPage(ctx)
		return len(pg.Value), err
	}); n != 1 {
		t.Fatalf("A record sets: %d", n)
	}
	allPager := c.records.NewListPager("rg", "contoso.com", nil)
	if n := count(allPager, func() (int, error) {
		pg, err := allPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 8 {
		t.Fatalf("all record sets: %d", n)
	}
	suffix := c.records.NewListPager("rg", "contoso.com", &armprivatedns.RecordSetsClientListOptions{Recordsetnamesuffix: to.Ptr("_tcp")})
	if n := count(suffix, func() (int, error) {
		pg, err := suffix.NextPage(ctx)
		return len(pg.Value), err
	}); n != 1 {
		t.Fatalf("record sets ending in _tcp: %d", n)
	}
	_, err = c.records.Delete(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", &armprivatedns.RecordSetsClientDeleteOptions{IfMatch: got.Etag})
	wantCode(t, "stale delete", err, 412, "PreconditionFailed")
	if _, err := c.records.Delete(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.records.Delete(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", nil); err != nil {
		t.Fatalf("delete of a missing record set: %v", err)
	}
	_, err = c.records.Get(ctx, "rg", "contoso.com", armprivatedns.RecordTypeA, "www", nil)
	wantCode(t, "get deleted", err, 404, "ResourceNotFound")

	// deletes
	_, err = c.zones.BeginDelete(ctx, "rg", "contoso.com", nil)
	wantCode(t, "zone with links", err, 409, "CannotDeleteResource")
	for _, l := range []string{"link1", "link2"} {
		dp, err := c.links.BeginDelete(ctx, "rg", "contoso.com", l, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dp.PollUntilDone(ctx, poll); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.links.Get(ctx, "rg", "contoso.com", "link1", nil)
	wantCode(t, "deleted link", err, 404, "ResourceNotFound")
	dp, err := c.zones.BeginDelete(ctx, "rg", "contoso.com", &armprivatedns.PrivateZonesClientBeginDeleteOptions{IfMatch: to.Ptr("*")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	_, err = c.zones.Get(ctx, "rg", "contoso.com", nil)
	wantCode(t, "deleted zone", err, 404, "ResourceNotFound")
	_, err = c.records.Get(ctx, "rg", "contoso.com", armprivatedns.RecordTypeSOA, "@", nil)
	wantCode(t, "records of a deleted zone", err, 404, "ResourceNotFound")
}
