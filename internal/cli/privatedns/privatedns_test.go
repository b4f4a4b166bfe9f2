package privatedns

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

// Wire-level tests against the fake ARM endpoint: paths, api-version,
// conditional headers and bodies, and how az's models render Azure's own
// example responses (testdata/).

const (
	rgBase   = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/"
	zoneP    = rgBase + "contoso.com"
	fakeVnet = "/subscriptions/" + clitest.SubscriptionID + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1"
)

// example returns the body of the example's 200 response.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses["200"].Body
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func run(f *clitest.Fake, args ...string) clitest.Result {
	return f.Run(Groups(), append([]string{"network", "private-dns"}, args...)...)
}

func jsonEq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	var gv, wv any
	_ = json.Unmarshal(g, &gv)
	_ = json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s =\n%s\nwant\n%s", what, g, w)
	}
}

func TestZoneShapeFromExample(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", zoneP, 200, example(t, "PrivateZoneGet.json"))
	out := run(f, "zone", "show", "-g", "rg", "-n", "contoso.com.").Expect(t, 0).Object(t)
	if f.Last("GET").APIVersion() != "2020-06-01" {
		t.Errorf("api-version = %s", f.Last("GET").APIVersion())
	}
	want := []string{"etag", "id", "internalId", "location", "maxNumberOfRecordSets", "maxNumberOfVirtualNetworkLinks",
		"maxNumberOfVirtualNetworkLinksWithRegistration", "name", "numberOfRecordSets", "numberOfVirtualNetworkLinks",
		"numberOfVirtualNetworkLinksWithRegistration", "provisioningState", "resourceGroup", "tags", "type"}
	if got := keys(out); !reflect.DeepEqual(got, want) {
		t.Errorf("zone keys = %v\nwant %v", got, want)
	}
	if out["internalId"] != nil || out["maxNumberOfRecordSets"] != 5000.0 || out["resourceGroup"] != "resourceGroup1" {
		t.Errorf("zone = %v", out)
	}
	tbl := run(f, "zone", "show", "-g", "rg", "-n", "contoso.com", "-o", "table").Expect(t, 0).Stdout
	lines := strings.Split(strings.TrimRight(tbl, "\n"), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[2]), " ") != "privatezone1.com resourceGroup1 1 5000 0 100 0 50 Succeeded" {
		t.Errorf("table:\n%s", tbl)
	}
}

func TestLinkShapeFromExample(t *testing.T) {
	f := clitest.New(t)
	body := example(t, "VirtualNetworkLinkGet.json")
	f.JSON("GET", zoneP+"/virtualNetworkLinks/link1", 200, body)
	out := run(f, "link", "vnet", "show", "-g", "rg", "-z", "contoso.com", "-n", "link1").Expect(t, 0).Object(t)
	want := []string{"etag", "id", "location", "name", "provisioningState", "registrationEnabled", "resourceGroup",
		"tags", "type", "virtualNetwork", "virtualNetworkLinkState"}
	if got := keys(out); !reflect.DeepEqual(got, want) {
		t.Errorf("link keys = %v\nwant %v", got, want)
	}
	// az adds resourceGroup to every object with an ID, nested ones too
	jsonEq(t, "virtualNetwork", out["virtualNetwork"], map[string]any{
		"id":            "/subscriptions/virtualNetworkSubscriptionId/resourceGroups/virtualNetworkResourceGroup/providers/Microsoft.Network/virtualNetworks/virtualNetworkName",
		"resourceGroup": "virtualNetworkResourceGroup",
	})
	// a later api-version's property is shown only when the service has it
	body["properties"].(map[string]any)["resolutionPolicy"] = "NxDomainRedirect"
	f.JSON("GET", zoneP+"/virtualNetworkLinks/link1", 200, body)
	out = run(f, "link", "vnet", "show", "-g", "rg", "-z", "contoso.com", "-n", "link1").Expect(t, 0).Object(t)
	if out["resolutionPolicy"] != "NxDomainRedirect" {
		t.Errorf("resolutionPolicy = %v", out)
	}
}

func TestRecordSetShapesFromExamples(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", zoneP+"/a/recordA", 200, example(t, "RecordSetAGet.json"))
	out := run(f, "record-set", "a", "show", "-g", "rg", "-z", "contoso.com", "-n", "recordA").Expect(t, 0).Object(t)
	if got := f.Last("GET").Path; got != "/subscriptions/"+clitest.SubscriptionID+"/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/contoso.com/a/recordA" {
		t.Errorf("path = %s (az sends the lower-case type)", got)
	}
	want := []string{"aRecords", "etag", "fqdn", "id", "isAutoRegistered", "metadata", "name", "resourceGroup", "ttl", "type"}
	if got := keys(out); !reflect.DeepEqual(got, want) {
		t.Errorf("record set keys = %v\nwant %v", got, want)
	}

	f.JSON("GET", zoneP+"/cname/recordCNAME", 200, example(t, "RecordSetCNAMEGet.json"))
	out = run(f, "record-set", "cname", "show", "-g", "rg", "-z", "contoso.com", "-n", "recordCNAME").Expect(t, 0).Object(t)
	jsonEq(t, "cnameRecord", out["cnameRecord"], map[string]any{"cname": "contoso.com"})
	if _, ok := out["aRecords"]; ok {
		t.Errorf("empty aRecords printed: %v", out)
	}

	page := example(t, "RecordSetALLList.json")
	delete(page, "nextLink") // it points at management.azure.com
	f.JSON("GET", zoneP+"/ALL", 200, page)
	items := run(f, "record-set", "list", "-g", "rg", "-z", "contoso.com").Expect(t, 0).List(t)
	if len(items) != 3 {
		t.Fatalf("list = %v", items)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if len(m) != 17 {
			t.Errorf("list item keys = %v, want all 16 model attributes and resourceGroup", keys(m))
		}
	}
	mx := items[2].(map[string]any)
	jsonEq(t, "mx item", mx["mxRecords"], []any{map[string]any{"exchange": "mail.contoso1.com", "preference": 0}})
	if mx["aRecords"] != nil || mx["soaRecord"] != nil {
		t.Errorf("mx item = %v", mx)
	}

	tbl := run(f, "record-set", "list", "-g", "rg", "-z", "contoso.com", "-o", "table").Expect(t, 0).Stdout
	wantTable := []string{
		"Name ResourceGroup Ttl Type AutoRegistered Metadata",
		"recorda resourceGroup1 3600 A False key1=\"value1\"",
		"recordcname resourceGroup1 3600 CNAME False key1=\"value1\"",
		"recordmx resourceGroup1 3600 MX False key1=\"value1\"",
	}
	lines := strings.Split(strings.TrimRight(tbl, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("table:\n%s", tbl)
	}
	for i, w := range wantTable {
		l := lines[i]
		if i > 0 {
			l = lines[i+1]
		}
		if strings.Join(strings.Fields(l), " ") != w {
			t.Errorf("table line %d = %q, want %q", i, l, w)
		}
	}
	// with --query the transformer is off: the query sees the records
	q := run(f, "record-set", "list", "-g", "rg", "-z", "contoso.com", "-o", "table", "--query", "[].{n:name, t:ttl}").Expect(t, 0).Stdout
	if !strings.HasPrefix(q, "N ") || !strings.Contains(q, "recordmx") {
		t.Errorf("table with --query:\n%s", q)
	}
}

func TestZoneCreateWire(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", rgBase+"*", 201, map[string]any{"id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z.local",
		"name": "z.local", "properties": map[string]any{"provisioningState": "Succeeded"}})
	res := run(f, "zone", "create", "-g", "rg", "-n", "z.local.", "--tags", "a=b").Expect(t, 0)
	put := f.Last("PUT")
	if !strings.HasSuffix(put.Path, "/privateDnsZones/z.local") || put.APIVersion() != APIVersion ||
		put.Header.Get("If-None-Match") != "*" || put.Header.Get("If-Match") != "" {
		t.Errorf("PUT %s?api-version=%s headers %v", put.Path, put.APIVersion(), put.Header)
	}
	jsonEq(t, "body", put.JSON(), map[string]any{"location": "global", "tags": map[string]any{"a": "b"}})
	if !strings.Contains(res.Stderr, "WARNING: Please be aware that DNS names ending with .local are reserved for use with multicast DNS") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	run(f, "zone", "create", "-g", "rg", "-n", "z.local", "--no-wait").Expect(t, 0)
	jsonEq(t, "body without tags", f.Last("PUT").JSON(), map[string]any{"location": "global"})
}

func TestLinkCreateWire(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", zoneP+"/virtualNetworkLinks/l1", 201, map[string]any{"name": "l1", "properties": map[string]any{"provisioningState": "Succeeded"}})
	run(f, "link", "vnet", "create", "-g", "rg", "-z", "contoso.com", "-n", "l1", "-v", "vnet1", "-e", "False").Expect(t, 0)
	put := f.Last("PUT")
	if put.Header.Get("If-None-Match") != "*" || put.APIVersion() != APIVersion {
		t.Errorf("headers %v api %s", put.Header, put.APIVersion())
	}
	jsonEq(t, "body", put.JSON(), map[string]any{"location": "global", "properties": map[string]any{
		"virtualNetwork": map[string]any{"id": fakeVnet}, "registrationEnabled": false}})

	other := "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub"
	run(f, "link", "vnet", "create", "-g", "rg", "-z", "contoso.com", "-n", "l1", "--virtual-network", other,
		"--registration-enabled", "--tags", "x=y", "--resolution-policy", "default").Expect(t, 0)
	jsonEq(t, "body", f.Last("PUT").JSON(), map[string]any{"location": "global", "tags": map[string]any{"x": "y"},
		"properties": map[string]any{"virtualNetwork": map[string]any{"id": other}, "registrationEnabled": true, "resolutionPolicy": "Default"}})

	res := run(f, "link", "vnet", "create", "-g", "rg", "-z", "contoso.com", "-n", "l1", "-v", "vnet1", "-e", "true", "--resolution-policy", "bogus").Expect(t, 2)
	if !strings.Contains(res.Stderr, "--resolution-policy") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestAddRecordWire(t *testing.T) {
	f := clitest.New(t)
	// a missing record set: az starts a new one with TTL 3600
	f.Error("GET", zoneP+"/a/www", 404, "NotFound", "The resource record 'www' does not exist in resource group 'rg' of subscription 'x'.")
	f.JSON("PUT", zoneP+"/a/www", 201, map[string]any{"name": "www", "properties": map[string]any{"ttl": 3600}})
	run(f, "record-set", "a", "add-record", "-g", "rg", "-z", "contoso.com", "-n", "www", "-a", "10.0.0.4").Expect(t, 0)
	put := f.Last("PUT")
	if put.Header.Get("If-None-Match") != "" || put.Header.Get("If-Match") != "" {
		t.Errorf("add-record sent conditional headers: %v", put.Header)
	}
	jsonEq(t, "new set", put.JSON(), map[string]any{"properties": map[string]any{
		"ttl": 3600, "aRecords": []any{map[string]any{"ipv4Address": "10.0.0.4"}}}})

	// an existing one is sent back whole, without its read-only properties
	f.JSON("GET", zoneP+"/a/www", 200, example(t, "RecordSetAGet.json"))
	run(f, "record-set", "a", "add-record", "-g", "rg", "-z", "contoso.com", "-n", "www", "-a", "10.0.0.5").Expect(t, 0)
	jsonEq(t, "existing set", f.Last("PUT").JSON(), map[string]any{
		"etag": "00000000-0000-0000-0000-000000000000",
		"properties": map[string]any{"metadata": map[string]any{"key1": "value1"}, "ttl": 3600,
			"aRecords": []any{map[string]any{"ipv4Address": "1.2.3.4"}, map[string]any{"ipv4Address": "10.0.0.5"}}}})

	// TXT values are joined and cut into 255-character strings
	f.Error("GET", zoneP+"/txt/t", 404, "NotFound", "gone")
	f.JSON("PUT", zoneP+"/txt/t", 201, map[string]any{"name": "t"})
	run(f, "record-set", "txt", "add-record", "-g", "rg", "-z", "contoso.com", "-n", "t", "-v", strings.Repeat("a", 200), strings.Repeat("b", 100)).Expect(t, 0)
	jsonEq(t, "txt", f.Last("PUT").JSON(), map[string]any{"properties": map[string]any{"ttl": 3600,
		"txtRecords": []any{map[string]any{"value": []any{strings.Repeat("a", 200) + strings.Repeat("b", 55), strings.Repeat("b", 45)}}}}})

	// SRV and MX numbers go out as integers
	f.Error("GET", zoneP+"/srv/_sip._tcp", 404, "NotFound", "gone")
	f.JSON("PUT", zoneP+"/srv/_sip._tcp", 201, map[string]any{"name": "_sip._tcp"})
	run(f, "record-set", "srv", "add-record", "-g", "rg", "-z", "contoso.com", "-n", "_sip._tcp", "-t", "sip.contoso.com",
		"-r", "5060", "-p", "0", "-w", "5").Expect(t, 0)
	jsonEq(t, "srv", f.Last("PUT").JSON(), map[string]any{"properties": map[string]any{"ttl": 3600,
		"srvRecords": []any{map[string]any{"priority": 0, "weight": 5, "port": 5060, "target": "sip.contoso.com"}}}})

	// CNAME set-record replaces the record
	f.JSON("GET", zoneP+"/cname/recordCNAME", 200, example(t, "RecordSetCNAMEGet.json"))
	f.JSON("PUT", zoneP+"/cname/recordCNAME", 200, example(t, "RecordSetCNAMEGet.json"))
	run(f, "record-set", "cname", "set-record", "-g", "rg", "-z", "contoso.com", "-n", "recordCNAME", "-c", "other.com").Expect(t, 0)
	jsonEq(t, "cname", f.Last("PUT").JSON(), map[string]any{"etag": "00000000-0000-0000-0000-000000000000",
		"properties": map[string]any{"metadata": map[string]any{"key1": "value1"}, "ttl": 3600, "cnameRecord": map[string]any{"cname": "other.com"}}})
}

func TestCreateAndUpdateWire(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", zoneP+"/mx/m", 201, map[string]any{"name": "m", "properties": map[string]any{"ttl": 3600, "mxRecords": []any{}}})
	out := run(f, "record-set", "mx", "create", "-g", "rg", "-z", "contoso.com", "-n", "m", "--metadata", "a=1", "b").Expect(t, 0).Object(t)
	put := f.Last("PUT")
	if put.Header.Get("If-None-Match") != "*" {
		t.Errorf("create headers %v", put.Header)
	}
	jsonEq(t, "create", put.JSON(), map[string]any{"properties": map[string]any{"ttl": 3600, "metadata": map[string]any{"a": "1", "b": ""}}})
	if _, ok := out["mxRecords"]; ok {
		t.Errorf("create output keeps empty mxRecords: %v", out)
	}

	// record set update: GET, --metadata, --set, PATCH with If-Match
	f.JSON("GET", zoneP+"/a/recordA", 200, example(t, "RecordSetAGet.json"))
	f.JSON("PATCH", zoneP+"/a/recordA", 200, example(t, "RecordSetAGet.json"))
	run(f, "record-set", "a", "update", "-g", "rg", "-z", "contoso.com", "-n", "recordA", "--metadata", "owner=web",
		"--set", "ttl=60", "--if-match", "abc").Expect(t, 0)
	patch := f.Last("PATCH")
	if patch.Header.Get("If-Match") != "abc" {
		t.Errorf("If-Match = %q", patch.Header.Get("If-Match"))
	}
	jsonEq(t, "record set patch", patch.JSON(), map[string]any{"etag": "00000000-0000-0000-0000-000000000000",
		"properties": map[string]any{"metadata": map[string]any{"owner": "web"}, "ttl": 60,
			"aRecords": []any{map[string]any{"ipv4Address": "1.2.3.4"}}}})

	// zone update: --tags before --set, PATCH of the writable attributes
	f.JSON("GET", zoneP, 200, example(t, "PrivateZoneGet.json"))
	f.JSON("PATCH", zoneP, 200, example(t, "PrivateZoneGet.json"))
	run(f, "zone", "update", "-g", "rg", "-n", "contoso.com", "--tags", "k=v", "--set", "tags.k=w").Expect(t, 0)
	jsonEq(t, "zone patch", f.Last("PATCH").JSON(), map[string]any{"etag": "00000000-0000-0000-0000-000000000000",
		"location": "global", "tags": map[string]any{"k": "w"}})

	// link update: --set first, then -e/--tags (the custom setter)
	f.JSON("GET", zoneP+"/virtualNetworkLinks/link1", 200, example(t, "VirtualNetworkLinkGet.json"))
	f.JSON("PATCH", zoneP+"/virtualNetworkLinks/link1", 200, example(t, "VirtualNetworkLinkGet.json"))
	run(f, "link", "vnet", "update", "-g", "rg", "-z", "contoso.com", "-n", "link1", "--set", "registrationEnabled=false",
		"-e", "true", "--tags").Expect(t, 0)
	jsonEq(t, "link patch", f.Last("PATCH").JSON(), map[string]any{"etag": "00000000-0000-0000-0000-000000000000",
		"location": "global", "tags": map[string]any{},
		"properties": map[string]any{"registrationEnabled": true, "virtualNetwork": map[string]any{
			"id": "/subscriptions/virtualNetworkSubscriptionId/resourceGroups/virtualNetworkResourceGroup/providers/Microsoft.Network/virtualNetworks/virtualNetworkName"}}})

	// deletes: --if-match, --no-wait
	f.JSON("DELETE", zoneP, 202, nil)
	run(f, "zone", "delete", "-g", "rg", "-n", "contoso.com", "--if-match", "e1", "--no-wait", "--yes").Expect(t, 0)
	del := f.Last("DELETE")
	if del.Header.Get("If-Match") != "e1" || del.APIVersion() != APIVersion {
		t.Errorf("DELETE headers %v", del.Header)
	}
	f.JSON("DELETE", zoneP+"/srv/s", 200, nil)
	run(f, "record-set", "srv", "delete", "-g", "rg", "-z", "contoso.com", "-n", "s", "-y").Expect(t, 0)
	if f.Last("DELETE").Header.Get("If-Match") != "" {
		t.Errorf("unexpected If-Match")
	}
	res := run(f, "record-set", "srv", "delete", "-g", "rg", "-z", "contoso.com", "-n", "s").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: Operation cancelled.") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestSOAUpdateWire(t *testing.T) {
	f := clitest.New(t)
	soa := map[string]any{"id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/contoso.com/SOA/@",
		"name": "@", "type": "Microsoft.Network/privateDnsZones/SOA", "etag": "e",
		"properties": map[string]any{"ttl": 3600, "fqdn": "contoso.com.", "isAutoRegistered": false, "soaRecord": map[string]any{
			"host": "azureprivatedns.net", "email": "azureprivatedns-host.microsoft.com", "serialNumber": 1,
			"refreshTime": 3600, "retryTime": 300, "expireTime": 2419200, "minimumTtl": 10}}}
	f.JSON("GET", zoneP+"/soa/@", 200, soa)
	f.JSON("PUT", zoneP+"/soa/@", 200, soa)
	out := run(f, "record-set", "soa", "update", "-g", "rg", "-z", "contoso.com", "-e", "admin.contoso.com", "-x", "1000", "-s", "0").Expect(t, 0).Object(t)
	if n := len(f.Find("GET", zoneP+"/soa/@")); n != 2 {
		t.Errorf("GETs = %d, want 2 (az reads the record, then the set to save)", n)
	}
	jsonEq(t, "soa put", f.Last("PUT").JSON(), map[string]any{"etag": "e", "properties": map[string]any{"ttl": 3600,
		"soaRecord": map[string]any{"host": "azureprivatedns.net", "email": "admin.contoso.com", "serialNumber": 0,
			"refreshTime": 3600, "retryTime": 300, "expireTime": 1000, "minimumTtl": 10}}})
	if _, ok := out["aRecords"]; ok || out["soaRecord"] == nil {
		t.Errorf("soa update output = %v", out)
	}
	res := run(f, "record-set", "soa", "show", "-g", "rg", "-z", "contoso.com", "-o", "table").Expect(t, 1)
	if res.Stderr != "ERROR: "+tableUnavailable+"\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	run(f, "record-set", "soa", "update", "-g", "rg", "-z", "contoso.com", "-r", "x").Expect(t, 1)
}

func TestRemoveRecordWire(t *testing.T) {
	f := clitest.New(t)
	mx := map[string]any{"name": "m", "etag": "e", "properties": map[string]any{"ttl": 300, "fqdn": "m.contoso.com.",
		"mxRecords": []any{map[string]any{"preference": 10, "exchange": "a.contoso.com"}, map[string]any{"preference": 20, "exchange": "b.contoso.com"}}}}
	f.JSON("GET", zoneP+"/mx/m", 200, mx)
	f.JSON("PUT", zoneP+"/mx/m", 200, mx)
	run(f, "record-set", "mx", "remove-record", "-g", "rg", "-z", "contoso.com", "-n", "m", "-e", "b.contoso.com", "-p", "20").Expect(t, 0)
	jsonEq(t, "remaining", f.Last("PUT").JSON(), map[string]any{"etag": "e", "properties": map[string]any{"ttl": 300,
		"mxRecords": []any{map[string]any{"preference": 10, "exchange": "a.contoso.com"}}}})
	res := run(f, "record-set", "mx", "remove-record", "-g", "rg", "-z", "contoso.com", "-n", "m", "-e", "c.contoso.com", "-p", "10").Expect(t, 1)
	if res.Stderr != "ERROR: Record {'additional_properties': {}, 'preference': 10, 'exchange': 'c.contoso.com'} not found.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	// the last record: the set is deleted (logged with --verbose)
	one := map[string]any{"name": "p", "properties": map[string]any{"ttl": 300, "ptrRecords": []any{map[string]any{"ptrdname": "h.contoso.com"}}}}
	f.JSON("GET", zoneP+"/ptr/p", 200, one)
	f.JSON("DELETE", zoneP+"/ptr/p", 200, nil)
	res = run(f, "record-set", "ptr", "remove-record", "-g", "rg", "-z", "contoso.com", "-n", "p", "-d", "h.contoso.com", "--verbose").Expect(t, 0)
	if res.Stdout != "" || !strings.Contains(res.Stderr, "INFO: Removing empty ptr record set: p") {
		t.Errorf("stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	if len(f.Find("DELETE", zoneP+"/ptr/p")) != 1 {
		t.Errorf("record set not deleted: %v", f.Summary())
	}
	// --keep-empty-record-set PUTs the empty set
	f.JSON("PUT", zoneP+"/ptr/p", 200, one)
	run(f, "record-set", "ptr", "remove-record", "-g", "rg", "-z", "contoso.com", "-n", "p", "-d", "h.contoso.com", "--keep-empty-record-set").Expect(t, 0)
	jsonEq(t, "kept", f.Last("PUT").JSON(), map[string]any{"properties": map[string]any{"ttl": 300, "ptrRecords": []any{}}})
}

func TestNoIDsAndHelp(t *testing.T) {
	f := clitest.New(t)
	help := run(f, "zone", "show", "-h").Expect(t, 0).Stdout
	if strings.Contains(help, "--ids") || !strings.Contains(help, "--name -n") {
		t.Errorf("zone show -h:\n%s", help)
	}
	groups := run(f, "-h").Expect(t, 0).Stdout
	for _, w := range []string{"link", "record-set", "zone", "Manage Private DNS domains in Azure."} {
		if !strings.Contains(groups, w) {
			t.Errorf("private-dns -h lacks %q:\n%s", w, groups)
		}
	}
	for typ, cmds := range map[string][]string{
		"a":     {"add-record", "create", "delete", "list", "remove-record", "show", "update"},
		"cname": {"create", "delete", "list", "remove-record", "set-record", "show", "update"},
		"soa":   {"show", "update"},
	} {
		tree := map[string]bool{}
		for _, g := range Groups() {
			if g.Name == "network private-dns record-set "+typ {
				for _, c := range g.Commands {
					tree[c.Name] = true
				}
			}
		}
		for _, c := range cmds {
			if !tree[c] {
				t.Errorf("record-set %s lacks %s", typ, c)
			}
		}
		if len(tree) != len(cmds) {
			t.Errorf("record-set %s has %v, want %v", typ, tree, cmds)
		}
	}
	for _, g := range Groups() {
		if g.Name == "network" {
			t.Errorf("the network group belongs to another package")
		}
	}
	if res := run(f, "record-set", "a", "add-record", "-h").Expect(t, 0).Stdout; !strings.Contains(res, "--record-set-name -n") || !strings.Contains(res, "--ipv4-address -a") {
		t.Errorf("add-record -h:\n%s", res)
	}
}

func TestMatchesFilter(t *testing.T) {
	rec := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name   string
		rec    map[string]any
		filter []field
		want   bool
	}{
		{"same ip", rec("ipv4Address", "10.0.0.4"), []field{{"ipv4_address", "ipv4Address", "10.0.0.4"}}, true},
		{"other ip", rec("ipv4Address", "10.0.0.4"), []field{{"ipv4_address", "ipv4Address", "10.0.0.5"}}, false},
		// az 2.45 compares strings with collections.Counter too: an anagram matches
		{"anagram ip", rec("ipv4Address", "10.0.0.4"), []field{{"ipv4_address", "ipv4Address", "10.0.4.0"}}, true},
		{"empty filter value matches all", rec("ipv4Address", "10.0.0.4"), []field{{"ipv4_address", "ipv4Address", ""}}, true},
		{"mx zero preference ignored", rec("preference", 10.0, "exchange", "m.com"),
			[]field{{"preference", "preference", int64(0)}, {"exchange", "exchange", "m.com"}}, true},
		{"mx preference", rec("preference", 10.0, "exchange", "m.com"),
			[]field{{"preference", "preference", int64(20)}, {"exchange", "exchange", "m.com"}}, false},
		{"srv strings", rec("priority", 10.0, "weight", 0.0, "port", 80.0, "target", "t.com"),
			[]field{{"priority", "priority", "10"}, {"weight", "weight", "0"}, {"port", "port", "80"}, {"target", "target", "t.com"}}, true},
		{"srv leading zero", rec("priority", 10.0), []field{{"priority", "priority", "010"}}, false},
		{"txt same items", rec("value", []any{"a", "b"}), []field{{"value", "value", []string{"b", "a"}}}, true},
		{"txt joined", rec("value", []any{"ab"}), []field{{"value", "value", []string{"a", "b"}}}, false},
		{"missing attribute", rec(), []field{{"ptrdname", "ptrdname", "x.com"}}, false},
	}
	for _, c := range cases {
		if got := matchesFilter(c.rec, c.filter); got != c.want {
			t.Errorf("%s: matchesFilter = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReprs(t *testing.T) {
	cases := map[string]string{
		"abc": "'abc'", "it's": `"it's"`, `a'b"c`: `'a\'b"c'`, "a\\b": `'a\\b'`, "t\tn\n": `'t\tn\n'`,
	}
	for in, want := range cases {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
	got := modelRepr([]field{{"priority", "priority", "10"}, {"value", "value", []string{"a", "b"}}, {"preference", "preference", int64(5)}})
	if want := "{'additional_properties': {}, 'priority': '10', 'value': ['a', 'b'], 'preference': 5}"; got != want {
		t.Errorf("modelRepr = %s, want %s", got, want)
	}
	for in, want := range map[string]int64{"10": 10, " 7 ": 7, "-3": -3, "1_000": 1000} {
		if n, err := pyInt(in); err != nil || n != want {
			t.Errorf("pyInt(%q) = %d, %v", in, n, err)
		}
	}
	for _, in := range []string{"", "x", "1.5", "_1", "1_"} {
		if _, err := pyInt(in); err == nil || !strings.HasPrefix(err.Error(), "invalid literal for int() with base 10: ") {
			t.Errorf("pyInt(%q) err = %v", in, err)
		}
	}
	if p := splitTXT(""); len(p) != 1 || p[0] != "" {
		t.Errorf("splitTXT(\"\") = %v", p)
	}
	if p := splitTXT(strings.Repeat("é", 510)); len(p) != 2 || len([]rune(p[0].(string))) != 255 {
		t.Errorf("splitTXT counts characters: %d parts", len(p))
	}
}
