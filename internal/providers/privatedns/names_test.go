package privatedns

import (
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
)

func TestValidateZoneName(t *testing.T) {
	long63 := strings.Repeat("a", 63)
	tests := []struct {
		name    string
		wantMsg string // "" = valid
	}{
		{"contoso.com", ""},
		{"privatelink.blob.core.windows.net", ""},
		{"b949b309-6100-4581-b1d1-77a8fbbf58dc.privatelink.centralindia.azmk8s.io", ""},
		{"_tcp.contoso.com", ""},
		{"Contoso.COM", ""},
		{long63 + ".com", ""},
		{strings.Repeat("a.", 33) + "com", ""}, // 34 labels
		{"platform-ref-azure", "does not have enough labels. Zone names must have two or more labels."},
		{strings.Repeat("a.", 34) + "com", "has too many labels"}, // 35 labels
		{strings.Repeat("a", 64) + ".com", "The domain name"},
		{"-bad.com", "The domain name"},
		{"bad-.com", "The domain name"},
		{"bad..com", "The domain name"},
		{"contoso.com.", "The domain name"},
		{".contoso.com", "The domain name"},
		{"con toso.com", "The domain name"},
		{"con*toso.com", "The domain name"},
		{strings.Repeat(long63+".", 4) + "com", "The domain name"}, // 260 chars
		{"azure.com", "is reserved"},
		{"Core.Windows.Net", "is reserved"},
	}
	for _, tc := range tests {
		err := validateZoneName(tc.name)
		if tc.wantMsg == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", tc.name, err)
			}
			continue
		}
		ae, ok := arm.AsError(err)
		if !ok || ae.Status != 400 || ae.Code != "BadRequest" || !strings.Contains(ae.Message, tc.wantMsg) {
			t.Errorf("%q: got %v, want BadRequest containing %q", tc.name, err, tc.wantMsg)
		}
	}
}

func TestValidateLinkName(t *testing.T) {
	for name, ok := range map[string]bool{
		"link1":                 true,
		"a":                     true,
		"my.link-1_":            true,
		strings.Repeat("a", 80): true,
		strings.Repeat("a", 81): false,
		"_link":                 false,
		"link.":                 false,
		"link-":                 false,
		"li nk":                 false,
		"":                      false,
	} {
		err := validateLinkName(name)
		if ok != (err == nil) {
			t.Errorf("%q: err = %v, want ok=%v", name, err, ok)
		}
		if err != nil {
			if ae, _ := arm.AsError(err); ae == nil || ae.Code != "InvalidResourceName" {
				t.Errorf("%q: code %v", name, err)
			}
		}
	}
}

func TestValidateRelativeName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"@", true},
		{"www", true},
		{"a.b.c", true},
		{"*", true},
		{"*.apps", true},
		{"_sip._tcp", true},
		{"WWW", true},
		{"a*", false},
		{"apps.*", false},
		{"www.", false},
		{"-www", false},
		{"w w", false},
		{"@.www", false},
		{strings.Repeat("a", 64), false},
		{strings.Repeat("a.", 121) + "a", false}, // too long with the zone
	} {
		err := validateRelativeName(tc.name, "contoso.com")
		if tc.ok != (err == nil) {
			t.Errorf("%q: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestValidDomainName(t *testing.T) {
	for s, ok := range map[string]bool{
		"contoso.com":              true,
		"contoso.com.":             true,
		"localhost":                true,
		"mail.contoso1.com":        true,
		`"myfunnydummydomain.com"`: false,
		"":                         false,
		".":                        false,
		"a..b":                     false,
		"exa mple.com":             false,
	} {
		if validDomainName(s) != ok {
			t.Errorf("%q: want %v", s, ok)
		}
	}
}

func TestRelativeNameAndFQDN(t *testing.T) {
	for _, tc := range []struct{ zone, fqdn, want string }{
		{"contoso.com", "www.contoso.com.", "www"},
		{"contoso.com", "CONTOSO.com", "@"},
		{"contoso.com", "a.b.contoso.com", "a.b"},
		{"contoso.com", "contoso.org", ""},
		{"contoso.com", "xcontoso.com", ""},
	} {
		got, ok := RelativeName(tc.zone, tc.fqdn)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("RelativeName(%q, %q) = %q, %v", tc.zone, tc.fqdn, got, ok)
		}
	}
	if got := fqdnOf("@", "Contoso.com"); got != "contoso.com." {
		t.Errorf("apex fqdn %q", got)
	}
	if got := fqdnOf("WWW", "contoso.com"); got != "www.contoso.com." {
		t.Errorf("fqdn %q", got)
	}
}
