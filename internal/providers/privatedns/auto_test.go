package privatedns

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
)

func (e *env) run(fn func(ctx context.Context, t *arm.Txn) error) error {
	ctx := context.Background()
	return e.Platform.Engine.Run(ctx, func(t *arm.Txn) error { return fn(ctx, t) })
}

func aRecords(t *testing.T, r *armtest.Result) []string {
	t.Helper()
	var out []string
	for _, a := range props(t, r)["aRecords"].([]any) {
		out = append(out, a.(map[string]any)["ipv4Address"].(string))
	}
	return out
}

func TestAutoRegistration(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	vn := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	z := e.zone(sub, "rg", "corp.contoso.com")
	e.link(z, "reg", vn, true)

	err := e.run(func(ctx context.Context, t *arm.Txn) error {
		zid, err := RegistrationZone(ctx, t, vn)
		if err != nil {
			return err
		}
		if !arm.SameID(zid, z) {
			return errors.New("registration zone " + zid)
		}
		return EnsureAutoRecord(ctx, t, zid, "VM1", "10.0.0.4", "nic1", WithVirtualNetwork(vn))
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.must(200, http.MethodGet, z+"/A/vm1", v, nil)
	if p := props(t, r); p["isAutoRegistered"] != true || p["ttl"] != float64(autoRecordTTL) || p["fqdn"] != "vm1.corp.contoso.com." {
		t.Fatalf("auto record: %s", r.Body)
	}
	etag := r.JSON()["etag"]
	// idempotent
	if err := e.run(func(ctx context.Context, t *arm.Txn) error {
		return EnsureAutoRecord(ctx, t, z, "vm1", "10.0.0.4", "nic1", WithVirtualNetwork(vn))
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.must(200, http.MethodGet, z+"/A/vm1", v, nil).JSON()["etag"]; got != etag {
		t.Fatalf("idempotent ensure changed the etag")
	}
	// users cannot touch it
	e.fails(400, "BadRequest", "registered automatically", http.MethodPut, z+"/A/vm1", v, `{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"1.1.1.1"}]}}`)
	e.fails(400, "BadRequest", "registered automatically", http.MethodPatch, z+"/A/vm1", v, `{"properties":{"ttl":60}}`)
	e.fails(400, "BadRequest", "registered automatically", http.MethodDelete, z+"/A/vm1", v, nil)
	e.fails(409, "Conflict", "CNAME", http.MethodPut, z+"/CNAME/vm1", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"x.com"}}}`)

	// a second owner shares the name; the IP of an owner moves
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error {
		if err := EnsureAutoRecord(ctx, t, z, "vm1", "10.0.0.5", "nic2", WithVirtualNetwork(vn)); err != nil {
			return err
		}
		return EnsureAutoRecord(ctx, t, z, "vm1", "10.0.0.6", "nic1", WithVirtualNetwork(vn))
	})
	if got := aRecords(t, e.must(200, http.MethodGet, z+"/A/vm1", v, nil)); strings.Join(got, ",") != "10.0.0.6,10.0.0.5" {
		t.Fatalf("records: %v", got)
	}
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error { return RemoveAutoRecord(ctx, t, z, "vm1", "nic1") })
	if got := aRecords(t, e.must(200, http.MethodGet, z+"/A/vm1", v, nil)); strings.Join(got, ",") != "10.0.0.5" {
		t.Fatalf("after remove: %v", got)
	}
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error { return RemoveAutoRecord(ctx, t, z, "vm1", "nic2") })
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z+"/A/vm1", v, nil)

	// user records are not taken over
	e.must(201, http.MethodPut, z+"/A/manual", v, `{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.0.9"}]}}`)
	e.must(201, http.MethodPut, z+"/CNAME/alias", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"manual.corp.contoso.com"}}}`)
	for _, n := range []string{"manual", "alias"} {
		err := e.run(func(ctx context.Context, t *arm.Txn) error { return EnsureAutoRecord(ctx, t, z, n, "10.0.0.7", "nic3") })
		if !errors.Is(err, ErrNameInUse) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error { return RemoveAutoRecord(ctx, t, z, "manual", "nic3") })
	e.must(200, http.MethodGet, z+"/A/manual", v, nil)
	for _, bad := range []struct{ zone, name, ip, owner string }{
		{z, "vm2", "2001:db8::1", "nic"},
		{z, "vm2", "10.0.0.1", ""},
		{z, "@", "10.0.0.1", "nic"},
		{z + "x", "vm2", "10.0.0.1", "nic"},
		{vn, "vm2", "10.0.0.1", "nic"},
	} {
		if err := e.run(func(ctx context.Context, t *arm.Txn) error {
			return EnsureAutoRecord(ctx, t, bad.zone, bad.name, bad.ip, bad.owner)
		}); err == nil {
			t.Errorf("EnsureAutoRecord(%v) accepted", bad)
		}
	}

	// turning registration off withdraws the network's records only
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error {
		if err := EnsureAutoRecord(ctx, t, z, "vm3", "10.0.0.3", "nic3", WithVirtualNetwork(vn)); err != nil {
			return err
		}
		return EnsureAutoRecord(ctx, t, z, "other", "10.9.0.3", "nic9", WithVirtualNetwork("/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/z"))
	})
	e.must(200, http.MethodPatch, z+"/virtualNetworkLinks/reg", v, `{"properties":{"registrationEnabled":false}}`)
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z+"/A/vm3", v, nil)
	e.must(200, http.MethodGet, z+"/A/other", v, nil)
	// and so does deleting the link
	e.must(200, http.MethodPut, z+"/virtualNetworkLinks/reg", v, linkReq(vn, true))
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error {
		return EnsureAutoRecord(ctx, t, z, "vm4", "10.0.0.8", "nic4", WithVirtualNetwork(vn))
	})
	e.must(202, http.MethodDelete, z+"/virtualNetworkLinks/reg", v, nil)
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z+"/A/vm4", v, nil)
	mustRun(t, e, func(ctx context.Context, t *arm.Txn) error {
		zid, err := RegistrationZone(ctx, t, vn)
		if err == nil && zid != "" {
			err = errors.New("registration zone still " + zid)
		}
		return err
	})
}

func mustRun(t *testing.T, e *env, fn func(ctx context.Context, t *arm.Txn) error) {
	t.Helper()
	if err := e.run(fn); err != nil {
		t.Fatal(err)
	}
}

func TestReadHelpers(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	ctx := context.Background()
	eng := e.Platform.Engine
	e.group(sub, "rg")
	vn := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	other := e.vnet(sub, "rg", "vn2", "10.1.0.0/16")
	zb := e.zone(sub, "rg", "privatelink.blob.core.windows.net")
	za := e.zone(sub, "rg", "Contoso.com")
	e.zone(sub, "rg", "unlinked.com")
	lr := linkReq(vn, false)
	lr["properties"].(map[string]any)["resolutionPolicy"] = "NxDomainRedirect"
	e.must(201, http.MethodPut, zb+"/virtualNetworkLinks/Blob", v, lr)
	e.link(za, "c", vn, true)
	e.link(za, "o", other, false)
	e.must(201, http.MethodPut, za+"/A/www", v, `{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.0.4"}]}}`)
	e.must(201, http.MethodPut, za+"/TXT/www", v, `{"properties":{"ttl":60,"txtRecords":[{"value":["hello"]}]}}`)

	linked, err := ZonesLinkedTo(ctx, eng, vn)
	if err != nil {
		t.Fatal(err)
	}
	if len(linked) != 2 || linked[0].Zone.Name != "contoso.com" || linked[1].Zone.Name != "privatelink.blob.core.windows.net" {
		t.Fatalf("linked: %+v", linked)
	}
	if !linked[0].Link.Properties.RegistrationEnabled || linked[0].Link.Name != "c" || linked[0].Zone.Properties.NumberOfRecordSets != 3 ||
		linked[0].Zone.Properties.NumberOfVirtualNetworkLinks != 2 {
		t.Fatalf("contoso: %+v", linked[0])
	}
	if linked[1].Link.Properties.ResolutionPolicy != ResolutionPolicyNxDomainRedirect || linked[1].Link.Name != "Blob" {
		t.Fatalf("blob link: %+v", linked[1].Link)
	}
	if linked, err := ZonesLinkedTo(ctx, eng, vnetPath(sub, "rg", "none")); err != nil || len(linked) != 0 {
		t.Fatalf("unlinked network: %v %v", linked, err)
	}

	sets, err := LookupFQDN(ctx, eng, za, "WWW.contoso.com.")
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || sets[0].Type != "A" || sets[0].Properties.ARecords[0].IPv4Address != "10.0.0.4" || sets[1].Type != "TXT" ||
		sets[0].Name != "www" || sets[0].Properties.FQDN != "www.contoso.com." {
		t.Fatalf("lookup: %+v", sets)
	}
	apex, err := LookupFQDN(ctx, eng, za, "contoso.com")
	if err != nil || len(apex) != 1 || apex[0].Type != "SOA" || apex[0].Properties.SOARecord.Host != "azureprivatedns.net" {
		t.Fatalf("apex: %+v %v", apex, err)
	}
	if none, err := LookupFQDN(ctx, eng, za, "www.fabrikam.com"); err != nil || len(none) != 0 {
		t.Fatalf("outside: %+v %v", none, err)
	}
	all, err := RecordSets(ctx, eng, za)
	if err != nil || len(all) != 3 {
		t.Fatalf("record sets: %+v %v", all, err)
	}
	zone, err := GetZone(ctx, eng, za)
	if err != nil || zone == nil || zone.Name != "contoso.com" || zone.Properties.NumberOfVirtualNetworkLinksWithRegistration != 1 {
		t.Fatalf("zone: %+v %v", zone, err)
	}
	if zone, err := GetZone(ctx, eng, zonePath(sub, "rg", "none.com")); err != nil || zone != nil {
		t.Fatalf("missing zone: %+v %v", zone, err)
	}
	if got := RecordTypes(); strings.Join(got, ",") != "A,AAAA,CNAME,MX,PTR,SOA,SRV,TXT" {
		t.Fatalf("types: %v", got)
	}
}
