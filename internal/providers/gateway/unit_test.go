package gateway

import (
	"net/netip"
	"testing"
)

func TestLastUsable(t *testing.T) {
	for _, tc := range []struct{ prefix, want string }{
		{"10.1.255.0/27", "10.1.255.30"},
		{"10.0.0.0/29", "10.0.0.6"},
		{"10.3.1.0/24", "10.3.1.254"},
		{"172.16.0.0/16", "172.16.255.254"},
	} {
		if got := lastUsable(netip.MustParsePrefix(tc.prefix)); got.String() != tc.want {
			t.Errorf("lastUsable(%s) = %s, want %s", tc.prefix, got, tc.want)
		}
	}
}

func TestDefaultGeneration(t *testing.T) {
	for _, tc := range []struct{ typ, sku, want string }{
		{TypeVpn, "Basic", "Generation1"},
		{TypeVpn, "VpnGw1", "Generation1"},
		{TypeVpn, "VpnGw3AZ", "Generation1"},
		{TypeVpn, "VpnGw4", "Generation2"},
		{TypeVpn, "VpnGw5AZ", "Generation2"},
		{TypeExpressRoute, "ErGw1AZ", "None"},
	} {
		if got := defaultGeneration(tc.typ, tc.sku); got != tc.want {
			t.Errorf("defaultGeneration(%s, %s) = %s, want %s", tc.typ, tc.sku, got, tc.want)
		}
	}
}

func TestCheckSharedKey(t *testing.T) {
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"Abc123", true},
		{"with space and !@#", true},
		{"", false},
		{string(long), false},
		{string(long[:128]), true},
		{"tab\there", false},
		{"é", false},
	} {
		if err := checkSharedKey(tc.key, "c"); (err == nil) != tc.ok {
			t.Errorf("checkSharedKey(%q) = %v, want ok=%t", tc.key, err, tc.ok)
		}
	}
}

func TestRandomKey(t *testing.T) {
	a, err := randomKey(64)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := randomKey(64)
	if len(a) != 64 || a == b {
		t.Fatalf("random keys %q %q", a, b)
	}
	if err := checkSharedKey(a, "c"); err != nil {
		t.Fatal(err)
	}
}
