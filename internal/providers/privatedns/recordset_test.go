package privatedns

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
)

func TestApplyRecordSetValidation(t *testing.T) {
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		typ     string
		body    string
		wantMsg string // "" = valid
	}{
		{"A", `{"ttl":3600,"aRecords":[{"ipv4Address":"10.0.0.4"},{"ipv4Address":"1.2.3.4"}]}`, ""},
		{"A", `{"aRecords":[]}`, ""},
		{"A", `{"aRecords":[{"ipv4Address":"1.2.3"}]}`, "The IPv4 address '1.2.3' is invalid."},
		{"A", `{"aRecords":[{"ipv4Address":"::1"}]}`, "The IPv4 address '::1' is invalid."},
		{"A", `{"aRecords":[{"ipv4Address":"010.0.0.1"}]}`, "is invalid"},
		{"A", `{"aRecords":[{}]}`, "The IPv4 address '' is invalid."},
		{"A", `{"aRecords":[` + many(20, func(i int) string { return fmt.Sprintf(`{"ipv4Address":"10.0.0.%d"}`, i) }) + `]}`, ""},
		{"A", `{"aRecords":[` + many(21, func(i int) string { return fmt.Sprintf(`{"ipv4Address":"10.0.0.%d"}`, i) }) + `]}`, "exceeds the maximum of 20"},
		{"A", `{"ttl":-1}`, "'ttl' is invalid"},
		{"A", `{"ttl":2147483647}`, ""},
		{"A", `{"ttl":2147483648}`, "'ttl' is invalid"},
		{"A", `{"cnameRecord":{"cname":"x.com"}}`, "A record set of type 'A' cannot contain 'cnameRecord'."},
		{"A", `{"aRecords":[{"ipv4Address":"1.2.3.4"}],"txtRecords":[{"value":["x"]}]}`, "cannot contain 'txtRecords'"},
		{"AAAA", `{"aaaaRecords":[{"ipv6Address":"2001:db8::1"},{"ipv6Address":"::ffff:1.2.3.4"}]}`, ""},
		{"AAAA", `{"aaaaRecords":[{"ipv6Address":"1.2.3.4"}]}`, "The IPv6 address '1.2.3.4' is invalid."},
		{"AAAA", `{"aaaaRecords":[{"ipv6Address":"fe80::1%eth0"}]}`, "is invalid"},
		{"CNAME", `{"cnameRecord":{"cname":"contoso.com"}}`, ""},
		{"CNAME", `{"cnameRecord":{"cname":"\"contoso.com\""}}`, `The domain name '"contoso.com"' is invalid.`},
		{"CNAME", `{"cnameRecord":{"cname":""}}`, "The domain name '' is invalid."},
		{"CNAME", `{"aRecords":[{"ipv4Address":"1.2.3.4"}]}`, "cannot contain 'aRecords'"},
		{"MX", `{"mxRecords":[{"preference":0,"exchange":"mail.contoso1.com"}]}`, ""},
		{"MX", `{"mxRecords":[{"preference":65536,"exchange":"mail.contoso.com"}]}`, "'preference' is invalid"},
		{"MX", `{"mxRecords":[{"preference":10,"exchange":"mail contoso"}]}`, "The domain name"},
		{"PTR", `{"ptrRecords":[{"ptrdname":"vm1.contoso.com"}]}`, ""},
		{"PTR", `{"ptrRecords":[{"ptrdname":""}]}`, "The domain name"},
		{"SRV", `{"srvRecords":[{"priority":1,"weight":2,"port":443,"target":"svc.contoso.com"}]}`, ""},
		{"SRV", `{"srvRecords":[{"priority":1,"weight":2,"port":70000,"target":"svc.contoso.com"}]}`, "'port' is invalid"},
		{"SRV", `{"srvRecords":[{"priority":-1,"weight":2,"port":1,"target":"svc.contoso.com"}]}`, "'priority' is invalid"},
		{"SRV", `{"srvRecords":[{"priority":1,"weight":2,"port":1,"target":"bad_target!"}]}`, "The domain name"},
		{"TXT", `{"txtRecords":[{"value":["v=spf1 -all"]},{"value":["a","b"]}]}`, ""},
		{"TXT", `{"txtRecords":[{"value":[]}]}`, "at least one string"},
		{"SOA", `{"soaRecord":{"email":"admin.contoso.com","refreshTime":1800,"minimumTtl":300}}`, ""},
		{"SOA", `{"soaRecord":{"retryTime":-5}}`, "'retryTime' is invalid"},
		{"SOA", `{"soaRecord":{"email":"not an email"}}`, "The domain name"},
	}
	for i, tc := range tests {
		rt, _ := recordTypeOf(tc.typ)
		var b recordSetBody
		if err := json.Unmarshal([]byte(tc.body), &b); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		p := RecordSetProperties{TTL: defaultTTL}
		err := applyRecordSet(&b, &p, rt, true)
		if tc.wantMsg == "" {
			if err != nil {
				t.Errorf("%d %s %s: unexpected %v", i, tc.typ, tc.body, err)
			}
			continue
		}
		ae, ok := arm.AsError(err)
		if !ok || ae.Status != 400 || !strings.Contains(ae.Message, tc.wantMsg) {
			t.Errorf("%d %s %s: got %v, want 400 containing %q", i, tc.typ, tc.body, err, tc.wantMsg)
		}
	}
}

func TestApplySOAKeepsHostAndSerial(t *testing.T) {
	rt, _ := recordTypeOf("SOA")
	var b recordSetBody
	if err := json.Unmarshal([]byte(`{"ttl":300,"soaRecord":{"host":"evil.example.com","serialNumber":99,"email":"hostmaster.contoso.com","expireTime":1000}}`), &b); err != nil {
		t.Fatal(err)
	}
	p := RecordSetProperties{TTL: 3600, SOARecord: &SOARecord{Host: "azureprivatedns.net", Email: "x.y", SerialNumber: 1, RefreshTime: 3600, RetryTime: 300, ExpireTime: 2419200, MinimumTTL: 10}}
	if err := applyRecordSet(&b, &p, rt, true); err != nil {
		t.Fatal(err)
	}
	want := SOARecord{Host: "azureprivatedns.net", Email: "hostmaster.contoso.com", SerialNumber: 1, RefreshTime: 3600, RetryTime: 300, ExpireTime: 1000, MinimumTTL: 10}
	if *p.SOARecord != want || p.TTL != 300 {
		t.Fatalf("got %+v ttl %d", *p.SOARecord, p.TTL)
	}
}

func TestApplyRecordSetPatchKeeps(t *testing.T) {
	rt, _ := recordTypeOf("A")
	p := RecordSetProperties{TTL: 60, Metadata: map[string]string{"k": "v"}, ARecords: []ARecord{{IPv4Address: "1.1.1.1"}}}
	var b recordSetBody
	if err := json.Unmarshal([]byte(`{"ttl":120}`), &b); err != nil {
		t.Fatal(err)
	}
	if err := applyRecordSet(&b, &p, rt, false); err != nil {
		t.Fatal(err)
	}
	if p.TTL != 120 || p.Metadata["k"] != "v" || len(p.ARecords) != 1 {
		t.Fatalf("patch lost fields: %+v", p)
	}
	if err := applyRecordSet(&recordSetBody{}, &p, rt, true); err != nil {
		t.Fatal(err)
	}
	if p.Metadata != nil || p.ARecords != nil {
		t.Fatalf("replace kept fields: %+v", p)
	}
}
