package network

import (
	"math/big"
	"net/netip"
	"strings"
)

// Address arithmetic over netip: prefix parsing with Azure's strictness,
// containment, overlap, and the five addresses Azure reserves in every
// subnet (network, .1 default gateway, .2 and .3 Azure DNS, broadcast).

// reservedLow is the number of addresses Azure reserves at the start of a
// subnet; the last address is reserved too.
const reservedLow = 4

// prefixError says why a CIDR string is refused.
type prefixError int

const (
	prefixOK prefixError = iota
	// prefixMalformed: not CIDR notation at all.
	prefixMalformed
	// prefixHostBits: valid CIDR but host bits are set (10.0.0.1/24).
	prefixHostBits
)

// parseCIDR parses s strictly: "a.b.c.d/n" (or an IPv6 prefix) without
// host bits set. It returns the prefix even when host bits are set so the
// caller can name the canonical form.
func parseCIDR(s string) (netip.Prefix, prefixError) {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, prefixMalformed
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, prefixMalformed
	}
	if p.Masked() != p {
		return p, prefixHostBits
	}
	return p, prefixOK
}

// prefixContains reports whether inner lies entirely inside outer.
func prefixContains(outer, inner netip.Prefix) bool {
	return outer.Addr().Is4() == inner.Addr().Is4() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// containedInAny reports whether p lies inside one of space.
func containedInAny(space []netip.Prefix, p netip.Prefix) bool {
	for _, s := range space {
		if prefixContains(s, p) {
			return true
		}
	}
	return false
}

// firstOverlap returns the first pair (i from a, j from b) that overlap.
func firstOverlap(a, b []netip.Prefix) (netip.Prefix, netip.Prefix, bool) {
	for _, x := range a {
		for _, y := range b {
			if x.Overlaps(y) {
				return x, y, true
			}
		}
	}
	return netip.Prefix{}, netip.Prefix{}, false
}

// addrBits is the address length of p's family.
func addrBits(p netip.Prefix) int { return p.Addr().BitLen() }

// prefixSize is the number of addresses in p.
func prefixSize(p netip.Prefix) *big.Int {
	return new(big.Int).Lsh(big.NewInt(1), uint(addrBits(p)-p.Bits()))
}

func addrToInt(a netip.Addr) *big.Int {
	b := a.AsSlice()
	return new(big.Int).SetBytes(b)
}

func intToAddr(n *big.Int, is4 bool) netip.Addr {
	size := 16
	if is4 {
		size = 4
	}
	buf := make([]byte, size)
	n.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return a
}

// offsetOf returns a's offset from the start of p (a must be in p).
func offsetOf(p netip.Prefix, a netip.Addr) *big.Int {
	return new(big.Int).Sub(addrToInt(a), addrToInt(p.Masked().Addr()))
}

// addrAt returns the address at offset n of p.
func addrAt(p netip.Prefix, n *big.Int) netip.Addr {
	return intToAddr(new(big.Int).Add(addrToInt(p.Masked().Addr()), n), p.Addr().Is4())
}

// lastAddr is the last address of p (the broadcast address for IPv4).
func lastAddr(p netip.Prefix) netip.Addr {
	return addrAt(p, new(big.Int).Sub(prefixSize(p), big.NewInt(1)))
}

// isReserved reports whether a is one of the addresses Azure reserves in
// subnet prefix p: the first four and the last.
func isReserved(p netip.Prefix, a netip.Addr) bool {
	off := offsetOf(p, a)
	if off.Cmp(big.NewInt(reservedLow)) < 0 {
		return true
	}
	return a == lastAddr(p)
}

// usableCount is the number of assignable addresses in subnet prefix p.
func usableCount(p netip.Prefix) *big.Int {
	n := new(big.Int).Sub(prefixSize(p), big.NewInt(reservedLow+1))
	if n.Sign() < 0 {
		return big.NewInt(0)
	}
	return n
}

// firstUsable is the first assignable address of subnet prefix p.
func firstUsable(p netip.Prefix) netip.Addr { return addrAt(p, big.NewInt(reservedLow)) }

// formatPrefixes renders prefixes as strings.
func formatPrefixes(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
