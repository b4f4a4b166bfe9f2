package privatedns

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/privlink/privlink/internal/armtest"
)

// example is one REST example of testdata (Azure's x-ms-examples).
type example struct {
	Parameters map[string]json.RawMessage `json:"parameters"`
	Responses  map[string]struct {
		Body json.RawMessage `json:"body"`
	} `json:"responses"`
}

func loadExample(t *testing.T, name string) example {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex example
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ex
}

func (ex example) param(t *testing.T, key string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(ex.Parameters[key], &s); err != nil {
		t.Fatalf("parameter %s: %v", key, err)
	}
	return s
}

func (ex example) body(t *testing.T, status int) any {
	t.Helper()
	r, ok := ex.Responses[strconv.Itoa(status)]
	if !ok {
		t.Fatalf("example has no %d response", status)
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// normalize replaces volatile values: etags must be plain GUIDs (as Azure
// Private DNS serves them) and become the examples' zero GUID.
func normalize(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "etag" {
				s, _ := val.(string)
				if !guidRE.MatchString(s) {
					t.Errorf("etag %q is not a plain GUID", s)
				}
				x[k] = "00000000-0000-0000-0000-000000000000"
				continue
			}
			x[k] = normalize(t, val)
		}
	case []any:
		for i := range x {
			x[i] = normalize(t, x[i])
		}
	}
	return v
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// currentZoneLimits: the examples still carry the zone limits of 2018
// (5000/100/50); Azure serves 25000/1000/100 today.
func currentZoneLimits(v any) any {
	p := v.(map[string]any)["properties"].(map[string]any)
	p["maxNumberOfRecordSets"] = float64(MaxRecordSetsPerZone)
	p["maxNumberOfVirtualNetworkLinks"] = float64(MaxLinksPerZone)
	p["maxNumberOfVirtualNetworkLinksWithRegistration"] = float64(MaxRegistrationLinksPerZone)
	return v
}

// dropInternalID checks and removes the zone's internalId, which the
// examples leave out.
func dropInternalID(t *testing.T, v any) any {
	t.Helper()
	p := v.(map[string]any)["properties"].(map[string]any)
	if s, _ := p["internalId"].(string); s == "" {
		t.Errorf("zone has no internalId: %v", v)
	}
	delete(p, "internalId")
	return v
}

func compare(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(normalize(t, want), normalize(t, got)); d != "" {
		t.Errorf("%s differs from Azure's example (-want +got):\n%s", what, d)
	}
}

// goldenEnv creates the examples' resource groups and virtual network.
func goldenEnv(t *testing.T) (*env, string) {
	e := start(t, armtest.Options{})
	e.group("subscriptionId", "resourceGroup1")
	e.group("virtualNetworkSubscriptionId", "virtualNetworkResourceGroup")
	e.vnet("virtualNetworkSubscriptionId", "virtualNetworkResourceGroup", "virtualNetworkName", "10.0.0.0/16")
	return e, zonePath("subscriptionId", "resourceGroup1", "privatezone1.com")
}

func putExample(t *testing.T, e *env, path string, ex example, want int) *armtest.Result {
	t.Helper()
	r := e.Do(http.MethodPut, path, ex.param(t, "api-version"), []byte(ex.Parameters["parameters"]))
	if r.Status != want {
		t.Fatalf("PUT %s: %d %s", path, r.Status, r.Body)
	}
	if _, ok := ex.Responses[strconv.Itoa(r.Status)]; !ok {
		t.Fatalf("status %d is not one of the example's", r.Status)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		t.Fatalf("PUT %s: %s", path, st)
	}
	return r
}

func TestGoldenZoneAndLink(t *testing.T) {
	e, zone := goldenEnv(t)
	put := loadExample(t, "PrivateZonePut")
	r := putExample(t, e, zone, put, http.StatusCreated)
	if r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("zone PUT is not asynchronous: %v", r.Header)
	}
	got := e.must(http.StatusOK, http.MethodGet, zone, v, nil)
	compare(t, "PrivateZonePut 201", currentZoneLimits(put.body(t, 201)), dropInternalID(t, decodeJSON(t, got.Body)))
	putExample(t, e, zone, put, http.StatusOK)
	got = e.must(http.StatusOK, http.MethodGet, zone, v, nil)
	compare(t, "PrivateZonePut 200", currentZoneLimits(put.body(t, 200)), dropInternalID(t, decodeJSON(t, got.Body)))

	get := loadExample(t, "PrivateZoneGet")
	got = e.must(http.StatusOK, http.MethodGet, zone, get.param(t, "api-version"), nil)
	compare(t, "PrivateZoneGet", currentZoneLimits(get.body(t, 200)), dropInternalID(t, decodeJSON(t, got.Body)))

	lput := loadExample(t, "VirtualNetworkLinkPut")
	link := zone + "/virtualNetworkLinks/" + lput.param(t, "virtualNetworkLinkName")
	r = putExample(t, e, link, lput, http.StatusCreated)
	if r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("link PUT is not asynchronous: %v", r.Header)
	}
	got = e.must(http.StatusOK, http.MethodGet, link, v, nil)
	compare(t, "VirtualNetworkLinkPut 201", lput.body(t, 201), decodeJSON(t, got.Body))
	putExample(t, e, link, lput, http.StatusOK)
	got = e.must(http.StatusOK, http.MethodGet, link, v, nil)
	compare(t, "VirtualNetworkLinkPut 200", lput.body(t, 200), decodeJSON(t, got.Body))

	lget := loadExample(t, "VirtualNetworkLinkGet")
	got = e.must(http.StatusOK, http.MethodGet, link, lget.param(t, "api-version"), nil)
	compare(t, "VirtualNetworkLinkGet", lget.body(t, 200), decodeJSON(t, got.Body))
}

func TestGoldenRecordSets(t *testing.T) {
	e, zone := goldenEnv(t)
	e.must(http.StatusCreated, http.MethodPut, zone, v, `{"location":"global"}`)
	for _, tc := range []struct{ put, get string }{
		{"RecordSetAPut", "RecordSetAGet"},
		{"RecordSetCNAMEPut", "RecordSetCNAMEGet"},
	} {
		put := loadExample(t, tc.put)
		path := zone + "/" + put.param(t, "recordType") + "/" + put.param(t, "relativeRecordSetName")
		r := putExample(t, e, path, put, http.StatusCreated)
		if r.Header.Get("Azure-AsyncOperation") != "" {
			t.Errorf("%s: record set PUT must be synchronous", tc.put)
		}
		compare(t, tc.put+" 201", put.body(t, 201), decodeJSON(t, r.Body))
		r = putExample(t, e, path, put, http.StatusOK)
		compare(t, tc.put+" 200", put.body(t, 200), decodeJSON(t, r.Body))
		get := loadExample(t, tc.get)
		got := e.must(http.StatusOK, http.MethodGet, path, get.param(t, "api-version"), nil)
		compare(t, tc.get, get.body(t, 200), decodeJSON(t, got.Body))
	}
	cnames := loadExample(t, "RecordSetCNAMEList")
	got := e.must(http.StatusOK, http.MethodGet, zone+"/CNAME", v, nil)
	compare(t, "RecordSetCNAMEList", cnames.body(t, 200), decodeJSON(t, got.Body))

	e.must(http.StatusCreated, http.MethodPut, zone+"/MX/recordMX", v,
		`{"properties":{"metadata":{"key1":"value1"},"ttl":3600,"mxRecords":[{"preference":0,"exchange":"mail.contoso1.com"}]}}`)
	all := loadExample(t, "RecordSetALLList")
	want := all.body(t, 200).(map[string]any)
	delete(want, "nextLink") // a placeholder in the example
	page := decodeJSON(t, e.must(http.StatusOK, http.MethodGet, zone+"/ALL", v, nil).Body).(map[string]any)
	page["value"] = withoutSOA(t, page["value"].([]any))
	compare(t, "RecordSetALLList", want, page)
}

// withoutSOA drops the apex SOA record set, which every real zone holds
// and the examples leave out.
func withoutSOA(t *testing.T, items []any) []any {
	t.Helper()
	var out []any
	soa := 0
	for _, it := range items {
		if it.(map[string]any)["type"] == "Microsoft.Network/privateDnsZones/SOA" {
			soa++
			continue
		}
		out = append(out, it)
	}
	if soa != 1 {
		t.Errorf("list holds %d SOA record sets, want 1", soa)
	}
	return out
}

func TestGoldenRecordSetListByType(t *testing.T) {
	e, zone := goldenEnv(t)
	e.must(http.StatusCreated, http.MethodPut, zone, v, `{"location":"global"}`)
	e.must(http.StatusCreated, http.MethodPut, zone+"/A/recordA1", v,
		`{"properties":{"metadata":{"key1":"value1"},"ttl":3600,"aRecords":[{"ipv4Address":"1.2.3.4"}]}}`)
	e.must(http.StatusCreated, http.MethodPut, zone+"/A/recordA2", v,
		`{"properties":{"ttl":3600,"aRecords":[{"ipv4Address":"5.6.7.8"}]}}`)
	ex := loadExample(t, "RecordSetAList")
	want := ex.body(t, 200).(map[string]any)
	delete(want, "nextLink") // a placeholder in the example
	got := e.must(http.StatusOK, http.MethodGet, zone+"/A", ex.param(t, "api-version"), nil)
	compare(t, "RecordSetAList", want, decodeJSON(t, got.Body))
}
