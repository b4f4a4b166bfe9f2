package network

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// IP address management for subnets.
//
// A reservation is a provider-owned store key
//
//	/ipam/<lower-case subnet id>/<ip>  ->  owner id
//
// written through the caller's transaction, so an address is taken
// atomically with the write of the resource that holds it (a NIC ip
// configuration, a load balancer frontend, a private endpoint). Two
// transactions choosing the same address conflict at commit (the key is
// read before it is created) and the loser retries with a fresh view.

const ipamRoot = "/ipam/"

func ipamPrefix(subnetID string) string {
	return ipamRoot + strings.ToLower(strings.TrimSuffix(subnetID, "/")) + "/"
}

func ipamKey(subnetID string, a netip.Addr) string { return ipamPrefix(subnetID) + a.String() }

// Allocation is one reserved address of a subnet.
type Allocation struct {
	IP    netip.Addr
	Owner string
}

// SubnetAllocations lists the reserved addresses of a subnet, in address
// order.
func SubnetAllocations(ctx context.Context, t *arm.Txn, subnetID string) ([]Allocation, error) {
	prefix := ipamPrefix(subnetID)
	kvs, err := t.Raw().List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list reservations of %s: %w", subnetID, err)
	}
	out := make([]Allocation, 0, len(kvs))
	for _, kv := range kvs {
		a, err := netip.ParseAddr(kv.Key[len(prefix):])
		if err != nil {
			continue
		}
		out = append(out, Allocation{IP: a, Owner: string(kv.Value)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	return out, nil
}

// SubnetPrefixes returns the address prefixes of a subnet record
// (addressPrefix, then addressPrefixes), skipping unparsable ones.
func SubnetPrefixes(rec *arm.Record) []netip.Prefix {
	if rec == nil {
		return nil
	}
	var p struct {
		AddressPrefix   string   `json:"addressPrefix"`
		AddressPrefixes []string `json:"addressPrefixes"`
	}
	if len(rec.Resource.Properties) > 0 {
		_ = json.Unmarshal(rec.Resource.Properties, &p)
	}
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, s := range append([]string{p.AddressPrefix}, p.AddressPrefixes...) {
		if s == "" {
			continue
		}
		if pf, perr := parseCIDR(s); perr == prefixOK && !seen[pf] {
			seen[pf] = true
			out = append(out, pf)
		}
	}
	return out
}

// AllocateIP reserves a private IP address of subnetID for owner (an ip
// configuration or frontend ID) within t. With requested empty the owner's
// existing IPv4 reservation in the subnet is returned, else the lowest free
// IPv4 address (after the four Azure reserves at the start of the subnet).
// With requested set, that address is reserved, or Azure's error returned
// when it is outside the subnet, reserved, or held by another owner.
func AllocateIP(ctx context.Context, t *arm.Txn, subnetID, owner, requested string) (string, error) {
	return AllocateIPVersion(ctx, t, subnetID, owner, requested, "IPv4")
}

// AllocateIPVersion is AllocateIP for a privateIPAddressVersion ("IPv4" or
// "IPv6"); the version only matters for dynamic allocation.
func AllocateIPVersion(ctx context.Context, t *arm.Txn, subnetID, owner, requested, version string) (string, error) {
	rec, err := t.Get(ctx, subnetID)
	if err != nil {
		return "", fmt.Errorf("read subnet %s: %w", subnetID, err)
	}
	if rec == nil {
		return "", arm.BadRequest("InvalidResourceReference",
			"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
			subnetID, owner)
	}
	subnetID = rec.Resource.ID
	prefixes := SubnetPrefixes(rec)
	allocs, err := SubnetAllocations(ctx, t, subnetID)
	if err != nil {
		return "", err
	}
	taken := make(map[netip.Addr]string, len(allocs))
	for _, a := range allocs {
		taken[a.IP] = a.Owner
	}
	if requested != "" {
		return allocateStatic(ctx, t, rec, prefixes, taken, owner, requested)
	}
	want6 := strings.EqualFold(version, "IPv6")
	var family []netip.Prefix
	for _, p := range prefixes {
		if p.Addr().Is6() == want6 {
			family = append(family, p)
		}
	}
	for _, a := range allocs {
		if arm.SameID(a.Owner, owner) && a.IP.Is6() == want6 {
			return a.IP.String(), nil
		}
	}
	for _, p := range family {
		if a, ok, err := firstFree(ctx, t, subnetID, p, taken); err != nil {
			return "", err
		} else if ok {
			t.Raw().Put(ipamKey(subnetID, a), []byte(owner))
			return a.String(), nil
		}
	}
	return "", subnetIsFull(rec, family)
}

// firstFree finds the lowest unreserved address of p, reading the chosen
// key so that a concurrent reservation of it makes the commit conflict.
func firstFree(ctx context.Context, t *arm.Txn, subnetID string, p netip.Prefix, taken map[netip.Addr]string) (netip.Addr, bool, error) {
	if usableCount(p).Sign() == 0 {
		return netip.Addr{}, false, nil
	}
	last := lastAddr(p)
	for a := firstUsable(p); a.Less(last); a = a.Next() {
		if _, used := taken[a]; used {
			continue
		}
		_, exists, err := t.Raw().Get(ctx, ipamKey(subnetID, a))
		if err != nil {
			return netip.Addr{}, false, fmt.Errorf("read reservation: %w", err)
		}
		if exists {
			continue
		}
		return a, true, nil
	}
	return netip.Addr{}, false, nil
}

func allocateStatic(ctx context.Context, t *arm.Txn, rec *arm.Record, prefixes []netip.Prefix, taken map[netip.Addr]string, owner, requested string) (string, error) {
	subnetID := rec.Resource.ID
	a, err := netip.ParseAddr(strings.TrimSpace(requested))
	if err != nil || a.Zone() != "" {
		return "", arm.BadRequest("PrivateIPAddressInvalid",
			"Private IP address %s specified in IP configuration %s is not a valid IP address.", requested, owner)
	}
	a = a.Unmap()
	var in netip.Prefix
	for _, p := range prefixes {
		if p.Contains(a) {
			in = p
			break
		}
	}
	if !in.IsValid() {
		return "", arm.BadRequest("PrivateIPAddressNotInSubnet",
			"IP configuration %s is referencing a private IP address %s that does not belong to subnet %s with address prefix %s.",
			owner, a, subnetID, strings.Join(formatPrefixes(prefixes), ", "))
	}
	if isReserved(in, a) {
		return "", arm.BadRequest("PrivateIPAddressInReservedRange",
			"Private static IP address %s falls within reserved IP range of subnet prefix %s.", a, in)
	}
	if other, used := taken[a]; used {
		if arm.SameID(other, owner) {
			return a.String(), nil
		}
		return "", arm.BadRequest("PrivateIPAddressIsAllocated",
			"IP configuration %s is using the private IP address %s which is already allocated to resource %s.", owner, a, other)
	}
	key := ipamKey(subnetID, a)
	kv, exists, err := t.Raw().Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("read reservation: %w", err)
	}
	if exists && !arm.SameID(string(kv.Value), owner) {
		return "", arm.BadRequest("PrivateIPAddressIsAllocated",
			"IP configuration %s is using the private IP address %s which is already allocated to resource %s.", owner, a, kv.Value)
	}
	t.Raw().Put(key, []byte(owner))
	return a.String(), nil
}

func subnetIsFull(rec *arm.Record, prefixes []netip.Prefix) error {
	if len(prefixes) == 0 {
		return arm.BadRequest("SubnetIsFull",
			"Subnet %s with address prefix  does not have enough capacity for 1 IP addresses.", rec.Resource.ID)
	}
	return arm.BadRequest("SubnetIsFull",
		"Subnet %s with address prefix %s does not have enough capacity for 1 IP addresses.", rec.Resource.ID, prefixes[0])
}

// ReleaseIP frees ip in subnetID if owner holds it (a no-op otherwise, so
// releases are idempotent and never free another owner's address).
func ReleaseIP(ctx context.Context, t *arm.Txn, subnetID, ip, owner string) error {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return nil
	}
	key := ipamKey(subnetID, a.Unmap())
	kv, ok, err := t.Raw().Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read reservation: %w", err)
	}
	if ok && arm.SameID(string(kv.Value), owner) {
		t.Raw().Delete(key)
	}
	return nil
}

// ReleaseOwner frees every address owner holds in subnetID.
func ReleaseOwner(ctx context.Context, t *arm.Txn, subnetID, owner string) error {
	allocs, err := SubnetAllocations(ctx, t, subnetID)
	if err != nil {
		return err
	}
	for _, a := range allocs {
		if arm.SameID(a.Owner, owner) {
			t.Raw().Delete(ipamKey(subnetID, a.IP))
		}
	}
	return nil
}

// releaseSubnet drops every reservation of a subnet being deleted.
func releaseSubnet(ctx context.Context, t *arm.Txn, subnetID string) error {
	allocs, err := SubnetAllocations(ctx, t, subnetID)
	if err != nil {
		return err
	}
	for _, a := range allocs {
		t.Raw().Delete(ipamKey(subnetID, a.IP))
	}
	return nil
}

// AvailableIPCount is the number of assignable addresses of a subnet not
// yet reserved (IPv4 and IPv6 prefixes together).
func AvailableIPCount(ctx context.Context, t *arm.Txn, rec *arm.Record) (*big.Int, error) {
	allocs, err := SubnetAllocations(ctx, t, rec.Resource.ID)
	if err != nil {
		return nil, err
	}
	total := new(big.Int)
	for _, p := range SubnetPrefixes(rec) {
		total.Add(total, usableCount(p))
	}
	return total.Sub(total, big.NewInt(int64(len(allocs)))), nil
}
