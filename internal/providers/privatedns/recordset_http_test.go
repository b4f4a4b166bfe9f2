package privatedns

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
)

func TestRecordSetRules(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	z := e.zone(sub, "rg", "contoso.com")

	// CNAME: not at the apex (the SOA lives there), alone at its name
	e.fails(409, "Conflict", "The CNAME record could not be created because another record with the same name already exists in this zone.",
		http.MethodPut, z+"/CNAME/@", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"x.contoso.com"}}}`)
	e.must(201, http.MethodPut, z+"/A/www", v, `{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.0.4"}]}}`)
	e.fails(409, "Conflict", "The CNAME record could not be created", http.MethodPut, z+"/CNAME/WWW", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"x.contoso.com"}}}`)
	e.must(201, http.MethodPut, z+"/CNAME/alias", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"www.contoso.com"}}}`)
	e.must(200, http.MethodPut, z+"/CNAME/alias", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"other.contoso.com"}}}`)
	e.fails(409, "Conflict", "The record could not be created because a CNAME record with the same name already exists in this zone.",
		http.MethodPut, z+"/TXT/alias", v, `{"properties":{"ttl":60,"txtRecords":[{"value":["x"]}]}}`)

	// SOA: only "@", only updated
	e.fails(400, "BadRequest", "apex", http.MethodPut, z+"/SOA/www", v, `{"properties":{"ttl":60,"soaRecord":{}}}`)
	e.fails(400, "BadRequest", "cannot be deleted", http.MethodDelete, z+"/SOA/@", v, nil)
	r := e.must(200, http.MethodPut, z+"/SOA/@", v, `{"properties":{"ttl":300,"soaRecord":{"host":"ns.example.com","email":"hostmaster.contoso.com","refreshTime":1800}}}`)
	soa := props(t, r)["soaRecord"].(map[string]any)
	if soa["host"] != "azureprivatedns.net" || soa["email"] != "hostmaster.contoso.com" || soa["refreshTime"] != float64(1800) || soa["retryTime"] != float64(300) {
		t.Fatalf("SOA update: %s", r.Body)
	}
	e.must(200, http.MethodPatch, z+"/SOA/@", v, `{"properties":{"soaRecord":{"minimumTtl":60}}}`)

	// validation through the API
	e.fails(400, "BadRequest", "The IPv4 address '300.1.1.1' is invalid.", http.MethodPut, z+"/A/bad", v, `{"properties":{"aRecords":[{"ipv4Address":"300.1.1.1"}]}}`)
	e.fails(400, "BadRequest", "The record set name 'a..b' is invalid.", http.MethodPut, z+"/A/a..b", v, `{"properties":{"ttl":1}}`)
	e.fails(400, "InvalidRequestContent", "", http.MethodPut, z+"/A/bad", v, `{"properties":{"ttl":"x"}}`)
	e.fails(400, "InvalidRequestContent", "", http.MethodPut, z+"/A/bad", v, ``)
	e.fails(400, "InvalidResourceType", "", http.MethodPut, z+"/NS/sub", v, `{"properties":{"ttl":1}}`)
	e.fails(400, "NoRegisteredProviderFound", "", http.MethodGet, z+"/A/www", "2015-05-04-preview", nil)

	// case: the name is served lower-cased, any case addresses it
	r = e.must(201, http.MethodPut, z+"/AAAA/Host1", v, `{"properties":{"ttl":60,"aaaaRecords":[{"ipv6Address":"2001:db8::1"}]}}`)
	if m := r.JSON(); m["name"] != "host1" || props(t, r)["fqdn"] != "host1.contoso.com." {
		t.Fatalf("case: %s", r.Body)
	}
	e.must(200, http.MethodGet, z+"/aaaa/HOST1", v, nil)
	// an empty record set is fine
	r = e.must(201, http.MethodPut, z+"/MX/@", v, `{"properties":{"ttl":60}}`)
	if recs, ok := props(t, r)["mxRecords"].([]any); !ok || len(recs) != 0 {
		t.Fatalf("empty MX: %s", r.Body)
	}

	// etags
	www := e.must(200, http.MethodGet, z+"/A/www", v, nil)
	etag := www.JSON()["etag"].(string)
	if www.Header.Get("ETag") != etag {
		t.Fatalf("ETag header %q vs %q", www.Header.Get("ETag"), etag)
	}
	if r := e.doH(http.MethodPut, z+"/A/www", v, `{"properties":{"ttl":1}}`, map[string]string{"If-None-Match": "*"}); r.Status != 412 {
		t.Fatalf("If-None-Match: %d", r.Status)
	}
	if r := e.doH(http.MethodPut, z+"/A/new", v, `{"properties":{"ttl":1}}`, map[string]string{"If-None-Match": "*"}); r.Status != 201 {
		t.Fatalf("If-None-Match create: %d %s", r.Status, r.Body)
	}
	if r := e.doH(http.MethodPut, z+"/A/www", v, `{"properties":{"ttl":1}}`, map[string]string{"If-Match": "bogus"}); r.Status != 412 {
		t.Fatalf("If-Match: %d", r.Status)
	}
	if r := e.doH(http.MethodPatch, z+"/A/www", v, `{"properties":{"ttl":1}}`, map[string]string{"If-Match": "bogus"}); r.Status != 412 {
		t.Fatalf("If-Match patch: %d", r.Status)
	}
	r = e.doH(http.MethodPatch, z+"/A/www", v, `{"properties":{"ttl":120,"metadata":{"k":"v"}}}`, map[string]string{"If-Match": etag})
	if r.Status != 200 || r.JSON()["etag"] == etag {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	p := props(t, r)
	if p["ttl"] != float64(120) || len(p["aRecords"].([]any)) != 1 || p["metadata"].(map[string]any)["k"] != "v" {
		t.Fatalf("patch result: %s", r.Body)
	}
	e.fails(400, "BadRequest", "cannot contain 'cnameRecord'", http.MethodPatch, z+"/A/www", v, `{"properties":{"cnameRecord":{"cname":"x.com"}}}`)
	e.fails(404, "ResourceNotFound", "", http.MethodPatch, z+"/A/nothere", v, `{"properties":{"ttl":1}}`)
	if r := e.doH(http.MethodDelete, z+"/A/www", v, "", map[string]string{"If-Match": etag}); r.Status != 412 {
		t.Fatalf("delete If-Match: %d", r.Status)
	}
	if r := e.Do(http.MethodDelete, z+"/A/www", v, nil); r.Status != 200 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := e.Do(http.MethodDelete, z+"/A/www", v, nil); r.Status != 204 {
		t.Fatalf("delete again: %d", r.Status)
	}
	// with the A gone, the name may hold a CNAME
	e.must(201, http.MethodPut, z+"/CNAME/www", v, `{"properties":{"ttl":60,"cnameRecord":{"cname":"alias.contoso.com"}}}`)
}

func TestRecordSetLimit(t *testing.T) {
	setVar(t, &maxRecordSets, 3)
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	z := e.zone(sub, "rg", "contoso.com")
	e.must(201, http.MethodPut, z+"/A/a1", v, `{"properties":{"ttl":60}}`)
	e.must(201, http.MethodPut, z+"/TXT/a1", v, `{"properties":{"ttl":60}}`)
	e.fails(409, "Conflict", "maximum number of record sets (3)", http.MethodPut, z+"/A/a2", v, `{"properties":{"ttl":60}}`)
	e.must(200, http.MethodPut, z+"/A/a1", v, `{"properties":{"ttl":30}}`)
	if p := props(t, e.must(200, http.MethodGet, z, v, nil)); p["numberOfRecordSets"] != float64(3) {
		t.Fatalf("count: %v", p)
	}
}

func TestRecordSetLists(t *testing.T) {
	e := start(t, armtest.Options{PageSize: 3})
	sub := armtest.Subscription
	e.group(sub, "rg")
	z := e.zone(sub, "rg", "contoso.com")
	for i := range 5 {
		e.must(201, http.MethodPut, fmt.Sprintf("%s/A/host%d", z, i), v, fmt.Sprintf(`{"properties":{"ttl":60,"aRecords":[{"ipv4Address":"10.0.0.%d"}]}}`, i+1))
	}
	for _, n := range []string{"apps", "x.apps", "xapps"} {
		e.must(201, http.MethodPut, z+"/TXT/"+n, v, `{"properties":{"ttl":60,"txtRecords":[{"value":["t"]}]}}`)
	}
	e.link(z, "l1", e.vnet(sub, "rg", "vn1", "10.0.0.0/16"), false)

	collect := func(path, query string) []string {
		t.Helper()
		var names []string
		next := e.URL + path + "?api-version=" + v + query
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatalf("paging does not end")
			}
			r := e.Do(http.MethodGet, next, "", nil)
			if r.Status != 200 {
				t.Fatalf("GET %s: %d %s", next, r.Status, r.Body)
			}
			m := r.JSON()
			for _, it := range m["value"].([]any) {
				it := it.(map[string]any)
				names = append(names, it["type"].(string)[len(ZoneType)+1:]+"/"+it["name"].(string))
			}
			next, _ = m["nextLink"].(string)
		}
		return names
	}
	eq := func(what string, got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	eq("A", collect(z+"/A", ""), "A/host0", "A/host1", "A/host2", "A/host3", "A/host4")
	eq("A $top", collect(z+"/A", "&$top=2"), "A/host0", "A/host1", "A/host2", "A/host3", "A/host4")
	r := e.must(200, http.MethodGet, z+"/A", v+"&$top=2", nil)
	if len(r.JSON()["value"].([]any)) != 2 || r.JSON()["nextLink"] == nil {
		t.Fatalf("$top page: %s", r.Body)
	}
	all := []string{"A/host0", "A/host1", "A/host2", "A/host3", "A/host4", "SOA/@", "TXT/apps", "TXT/x.apps", "TXT/xapps"}
	eq("ALL", collect(z+"/ALL", ""), all...)
	eq("all", collect(z+"/all", ""), all...)
	eq("recordsets", collect(z+"/recordsets", ""), all...)
	eq("suffix", collect(z+"/ALL", "&$recordsetnamesuffix=apps"), "TXT/apps", "TXT/x.apps")
	eq("TXT suffix", collect(z+"/TXT", "&$recordsetnamesuffix=APPS"), "TXT/apps", "TXT/x.apps")
	eq("CNAME", collect(z+"/CNAME", ""))

	e.fails(400, "InvalidParameter", "$top", http.MethodGet, z+"/ALL", v+"&$top=0", nil)
	e.fails(400, "InvalidSkipToken", "", http.MethodGet, z+"/ALL", v+"&$skiptoken=%25%25", nil)
	e.fails(400, "NoRegisteredProviderFound", "", http.MethodGet, z+"/A", "2099-01-01", nil)
	e.fails(404, "ResourceNotFound", "", http.MethodGet, zonePath(sub, "rg", "nope.com")+"/ALL", v, nil)
	e.fails(404, "ResourceGroupNotFound", "", http.MethodGet, zonePath(sub, "nope", "contoso.com")+"/A", v, nil)
	for _, old := range []string{"2018-09-01", "2020-06-01"} {
		e.must(200, http.MethodGet, z+"/ALL", old, nil)
	}
}
