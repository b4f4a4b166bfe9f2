package privatedns

import (
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
)

func TestZoneLifecycle(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	e.fails(400, "BadRequest", "The zone name 'platform-ref-azure' does not have enough labels. Zone names must have two or more labels.",
		http.MethodPut, zonePath(sub, "rg", "platform-ref-azure"), v, `{"location":"global"}`)
	e.fails(400, "BadRequest", "is reserved", http.MethodPut, zonePath(sub, "rg", "azure.com"), v, `{"location":"global"}`)
	e.fails(400, "InvalidLocation", "", http.MethodPut, zonePath(sub, "rg", "contoso.com"), v, `{"location":"westus"}`)
	e.fails(404, "ResourceGroupNotFound", "", http.MethodPut, zonePath(sub, "nope", "contoso.com"), v, `{"location":"global"}`)
	e.fails(400, "NoRegisteredProviderFound", "", http.MethodPut, zonePath(sub, "rg", "contoso.com"), "2017-01-01", `{"location":"global"}`)

	z := zonePath(sub, "rg", "Contoso.com")
	r := e.Do(http.MethodPut, z, v, `{"location":"Global","tags":{"env":"test"},"properties":{"maxNumberOfRecordSets":1,"numberOfRecordSets":7}}`)
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" || r.Header.Get("ETag") == "" {
		t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
	}
	if p := props(t, r); p["provisioningState"] != "Updating" {
		t.Fatalf("initial state: %v", p)
	}
	if st := e.Wait(r); st != "Succeeded" {
		t.Fatalf("operation: %s", st)
	}
	got := e.must(200, http.MethodGet, z, v, nil)
	m := got.JSON()
	p := props(t, got)
	if m["name"] != "contoso.com" || !strings.HasSuffix(m["id"].(string), "/privateDnsZones/contoso.com") || m["location"] != "global" {
		t.Fatalf("zone: %s", got.Body)
	}
	if p["numberOfRecordSets"] != float64(1) || p["maxNumberOfRecordSets"] != float64(25000) || p["provisioningState"] != "Succeeded" {
		t.Fatalf("zone properties: %v", p)
	}
	for _, old := range []string{"2018-09-01", "2020-01-01", "2020-06-01"} {
		e.must(200, http.MethodGet, z, old, nil)
	}
	soa := props(t, e.must(200, http.MethodGet, z+"/SOA/@", v, nil))
	wantSOA := map[string]any{"host": "azureprivatedns.net", "email": "azureprivatedns-host.microsoft.com", "serialNumber": float64(1),
		"refreshTime": float64(3600), "retryTime": float64(300), "expireTime": float64(2419200), "minimumTtl": float64(10)}
	for k, val := range wantSOA {
		if soa["soaRecord"].(map[string]any)[k] != val {
			t.Errorf("SOA %s = %v, want %v", k, soa["soaRecord"].(map[string]any)[k], val)
		}
	}
	if soa["ttl"] != float64(3600) || soa["fqdn"] != "contoso.com." {
		t.Errorf("SOA: %v", soa)
	}

	// conditional requests
	etag := got.Header.Get("ETag")
	if r := e.doH(http.MethodPut, z, v, `{"location":"global"}`, map[string]string{"If-None-Match": "*"}); r.Status != 412 || r.ErrorCode() != "PreconditionFailed" {
		t.Fatalf("If-None-Match *: %d %s", r.Status, r.Body)
	}
	if r := e.doH(http.MethodPut, z, v, `{"location":"global"}`, map[string]string{"If-Match": "00000000-0000-0000-0000-000000000000"}); r.Status != 412 {
		t.Fatalf("If-Match stale: %d %s", r.Status, r.Body)
	}
	r = e.doH(http.MethodPut, z, v, `{"location":"global","tags":{"env":"prod"}}`, map[string]string{"If-Match": etag})
	if r.Status != 200 || e.Wait(r) != "Succeeded" {
		t.Fatalf("If-Match: %d %s", r.Status, r.Body)
	}
	// a replace keeps the zone's record sets
	if p := props(t, e.must(200, http.MethodGet, z, v, nil)); p["numberOfRecordSets"] != float64(1) {
		t.Fatalf("after replace: %v", p)
	}
	r = e.must(200, http.MethodPatch, z, v, `{"tags":{"a":"b"}}`)
	if tags := r.JSON()["tags"].(map[string]any); tags["a"] != "b" || len(tags) != 1 {
		t.Fatalf("patch: %s", r.Body)
	}

	e.zone(sub, "rg", "fabrikam.com")
	e.group(sub, "rg2")
	e.zone(sub, "rg2", "contoso.com")
	if n := len(e.must(200, http.MethodGet, rgPath(sub, "rg")+"/providers/Microsoft.Network/privateDnsZones", v, nil).JSON()["value"].([]any)); n != 2 {
		t.Fatalf("list by group: %d", n)
	}
	if n := len(e.must(200, http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Network/privateDnsZones", v, nil).JSON()["value"].([]any)); n != 3 {
		t.Fatalf("list by subscription: %d", n)
	}

	e.must(201, http.MethodPut, z+"/A/www", v, `{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.0.4"}]}}`)
	r = e.Do(http.MethodDelete, z, v, nil)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" {
		t.Fatalf("delete: %d %v", r.Status, r.Header)
	}
	if st := e.Wait(r); st != "Succeeded" {
		t.Fatalf("delete op: %s", st)
	}
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z, v, nil)
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z+"/A/www", v, nil)
	e.fails(404, "ParentResourceNotFound", "", http.MethodPut, z+"/A/www", v, `{"properties":{"ttl":60}}`)
	if r := e.Do(http.MethodDelete, z, v, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete again: %d", r.Status)
	}
	// re-created, the zone starts afresh with its SOA only
	e.zone(sub, "rg", "contoso.com")
	if p := props(t, e.must(200, http.MethodGet, z, v, nil)); p["numberOfRecordSets"] != float64(1) {
		t.Fatalf("re-created: %v", p)
	}
}
