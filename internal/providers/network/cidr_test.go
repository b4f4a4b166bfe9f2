package network

import (
	"math/big"
	"net/netip"
	"strings"
	"testing"
)

func TestParseCIDR(t *testing.T) {
	cases := []struct {
		in   string
		want prefixError
		norm string
	}{
		{"10.0.0.0/16", prefixOK, "10.0.0.0/16"},
		{" 10.0.0.0/24 ", prefixOK, "10.0.0.0/24"},
		{"10.0.0.1/16", prefixHostBits, "10.0.0.0/16"},
		{"10.0.3.5/24", prefixHostBits, "10.0.3.0/24"},
		{"10.0.0.0", prefixMalformed, ""},
		{"10.0.0.0/33", prefixMalformed, ""},
		{"10.0.0/24", prefixMalformed, ""},
		{"", prefixMalformed, ""},
		{"fd00::/64", prefixOK, "fd00::/64"},
		{"fd00::1/64", prefixHostBits, "fd00::/64"},
		{"::ffff:10.0.0.0/120", prefixMalformed, ""},
		{"0.0.0.0/0", prefixOK, "0.0.0.0/0"},
	}
	for _, c := range cases {
		p, got := parseCIDR(c.in)
		if got != c.want {
			t.Errorf("parseCIDR(%q) = %v, want %v", c.in, got, c.want)
			continue
		}
		if c.norm != "" && p.Masked().String() != c.norm {
			t.Errorf("parseCIDR(%q) masked = %s, want %s", c.in, p.Masked(), c.norm)
		}
	}
}

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestContainmentAndOverlap(t *testing.T) {
	cases := []struct {
		outer, inner      string
		contains, overlap bool
	}{
		{"10.0.0.0/16", "10.0.1.0/24", true, true},
		{"10.0.0.0/16", "10.0.0.0/16", true, true},
		{"10.0.1.0/24", "10.0.0.0/16", false, true},
		{"10.0.0.0/16", "10.1.0.0/24", false, false},
		{"10.0.0.0/24", "10.0.0.128/25", true, true},
		{"10.0.0.0/25", "10.0.0.128/25", false, false},
		{"10.0.0.0/8", "fd00::/64", false, false},
		{"fd00::/48", "fd00:0:0:1::/64", true, true},
	}
	for _, c := range cases {
		o, i := mp(c.outer), mp(c.inner)
		if got := prefixContains(o, i); got != c.contains {
			t.Errorf("prefixContains(%s, %s) = %v", o, i, got)
		}
		if got := o.Overlaps(i); got != c.overlap {
			t.Errorf("Overlaps(%s, %s) = %v", o, i, got)
		}
	}
	a := []netip.Prefix{mp("10.0.0.0/24"), mp("10.1.0.0/16")}
	b := []netip.Prefix{mp("10.2.0.0/16"), mp("10.1.5.0/24")}
	if x, y, ok := firstOverlap(a, b); !ok || x != mp("10.1.0.0/16") || y != mp("10.1.5.0/24") {
		t.Errorf("firstOverlap = %v %v %v", x, y, ok)
	}
	if got := overlapList(a, b); len(got) != 1 || got[0] != "10.1.5.0/24" {
		t.Errorf("overlapList = %v", got)
	}
	if _, _, ok := firstOverlap(a, []netip.Prefix{mp("192.168.0.0/16")}); ok {
		t.Error("unexpected overlap")
	}
	if !containedInAny(a, mp("10.1.200.0/24")) || containedInAny(a, mp("10.0.0.0/23")) {
		t.Error("containedInAny")
	}
}

func TestReservedAddresses(t *testing.T) {
	p := mp("10.0.0.0/24")
	for _, c := range []struct {
		ip       string
		reserved bool
	}{
		{"10.0.0.0", true}, {"10.0.0.1", true}, {"10.0.0.2", true}, {"10.0.0.3", true},
		{"10.0.0.4", false}, {"10.0.0.100", false}, {"10.0.0.254", false}, {"10.0.0.255", true},
	} {
		if got := isReserved(p, netip.MustParseAddr(c.ip)); got != c.reserved {
			t.Errorf("isReserved(%s) = %v", c.ip, got)
		}
	}
	p29 := mp("10.0.0.8/29")
	if isReserved(p29, netip.MustParseAddr("10.0.0.12")) || !isReserved(p29, netip.MustParseAddr("10.0.0.15")) ||
		!isReserved(p29, netip.MustParseAddr("10.0.0.11")) {
		t.Error("/29 reservations")
	}
	v6 := mp("fd00::/64")
	if !isReserved(v6, netip.MustParseAddr("fd00::3")) || isReserved(v6, netip.MustParseAddr("fd00::4")) ||
		!isReserved(v6, netip.MustParseAddr("fd00::ffff:ffff:ffff:ffff")) {
		t.Error("IPv6 reservations")
	}
}

func TestSizes(t *testing.T) {
	cases := []struct {
		p            string
		size, usable int64
		first, last  string
	}{
		{"10.0.0.0/24", 256, 251, "10.0.0.4", "10.0.0.255"},
		{"10.0.0.0/29", 8, 3, "10.0.0.4", "10.0.0.7"},
		{"10.0.0.0/30", 4, 0, "", "10.0.0.3"},
		{"10.0.0.0/32", 1, 0, "", "10.0.0.0"},
		{"10.0.0.0/16", 65536, 65531, "10.0.0.4", "10.0.255.255"},
		{"fd00::/120", 256, 251, "fd00::4", "fd00::ff"},
	}
	for _, c := range cases {
		p := mp(c.p)
		if prefixSize(p).Cmp(big.NewInt(c.size)) != 0 || usableCount(p).Cmp(big.NewInt(c.usable)) != 0 {
			t.Errorf("%s: size %v usable %v", p, prefixSize(p), usableCount(p))
		}
		if lastAddr(p).String() != c.last {
			t.Errorf("%s: last %s", p, lastAddr(p))
		}
		if c.first != "" && firstUsable(p).String() != c.first {
			t.Errorf("%s: first %s", p, firstUsable(p))
		}
	}
	if got := usableCount(mp("fd00::/64")); got.Cmp(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(5))) != 0 {
		t.Errorf("/64 usable %v", got)
	}
}

func TestValidateNetworkName(t *testing.T) {
	good := []string{"a", "vnet1", "my-vnet.prod_", "A_b", "a" + strings.Repeat("b", 79)}
	for _, n := range good {
		if err := validateNetworkName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	long := strings.Repeat("a", 81)
	for _, n := range []string{"", "-a", "a-", "a.", ".a", "a b", "a/b", long} {
		if err := validateNetworkName(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
}
