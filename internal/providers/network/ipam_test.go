package network

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/privlink/privlink/internal/arm"
)

// ipamEnv creates rg1/vnet (10.0.0.0/16, fd00::/48) with subnets
// s29 (10.0.0.0/29), s24 (10.0.1.0/24), s26 (10.0.2.0/26) and dual
// (10.0.3.0/24 + fd00:0:0:1::/64).
func ipamEnv(t *testing.T) *netEnv {
	t.Helper()
	e := startNet(t, toyNICs{})
	e.group(t, "rg1")
	r := e.s.Do(http.MethodPut, vnetID("rg1", "vnet"), netAPI, `{"location":"westus2","properties":{
		"addressSpace":{"addressPrefixes":["10.0.0.0/16","fd00::/48"]},
		"subnets":[
			{"name":"s29","properties":{"addressPrefix":"10.0.0.0/29"}},
			{"name":"s24","properties":{"addressPrefix":"10.0.1.0/24"}},
			{"name":"s26","properties":{"addressPrefix":"10.0.2.0/26"}},
			{"name":"dual","properties":{"addressPrefixes":["10.0.3.0/24","fd00:0:0:1::/64"]}}]}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("vnet: %d %s", r.Status, r.Body)
	}
	e.s.Wait(r)
	return e
}

func (e *netEnv) alloc(subnet, owner, requested string) (string, error) {
	var ip string
	err := e.s.Platform.Engine.Run(context.Background(), func(t *arm.Txn) error {
		var err error
		ip, err = AllocateIP(context.Background(), t, subnet, owner, requested)
		return err
	})
	return ip, err
}

func (e *netEnv) txn(t *testing.T, fn func(tx *arm.Txn) error) {
	t.Helper()
	if err := e.s.Platform.Engine.Run(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func armCode(err error) (string, string) {
	if ae, ok := arm.AsError(err); ok {
		return ae.Code, ae.Message
	}
	if err != nil {
		return "non-ARM", err.Error()
	}
	return "", ""
}

func TestAllocateDynamicAndExhaustion(t *testing.T) {
	e := ipamEnv(t)
	s29 := subnetID("rg1", "vnet", "s29")
	for i, want := range []string{"10.0.0.4", "10.0.0.5", "10.0.0.6"} {
		ip, err := e.alloc(s29, fmt.Sprintf("owner%d", i), "")
		if err != nil || ip != want {
			t.Fatalf("alloc %d = %s, %v; want %s", i, ip, err, want)
		}
	}
	// Same owner again: its existing address.
	if ip, err := e.alloc(s29, "owner1", ""); err != nil || ip != "10.0.0.5" {
		t.Fatalf("idempotent alloc = %s %v", ip, err)
	}
	// A /29 has three usable addresses.
	_, err := e.alloc(s29, "owner3", "")
	code, msg := armCode(err)
	if code != "SubnetIsFull" || msg != "Subnet "+s29+" with address prefix 10.0.0.0/29 does not have enough capacity for 1 IP addresses." {
		t.Fatalf("full: %s %s", code, msg)
	}
	if ae, _ := arm.AsError(err); ae.Status != http.StatusBadRequest {
		t.Fatalf("status %d", ae.Status)
	}
	// Releasing frees the address for the next allocation.
	e.txn(t, func(tx *arm.Txn) error { return ReleaseIP(context.Background(), tx, s29, "10.0.0.5", "someone-else") })
	if _, err := e.alloc(s29, "owner3", ""); err == nil {
		t.Fatal("release by a non-owner freed the address")
	}
	e.txn(t, func(tx *arm.Txn) error { return ReleaseIP(context.Background(), tx, s29, "10.0.0.5", "OWNER1") })
	if ip, err := e.alloc(s29, "owner3", ""); err != nil || ip != "10.0.0.5" {
		t.Fatalf("after release = %s %v", ip, err)
	}
	e.txn(t, func(tx *arm.Txn) error {
		allocs, err := SubnetAllocations(context.Background(), tx, strings.ToUpper(s29))
		if err != nil {
			return err
		}
		var got []string
		for _, a := range allocs {
			got = append(got, a.IP.String()+"="+a.Owner)
		}
		if strings.Join(got, ",") != "10.0.0.4=owner0,10.0.0.5=owner3,10.0.0.6=owner2" {
			t.Errorf("allocations: %v", got)
		}
		rec, err := tx.Get(context.Background(), s29)
		if err != nil {
			return err
		}
		n, err := AvailableIPCount(context.Background(), tx, rec)
		if err != nil {
			return err
		}
		if n.Int64() != 0 {
			t.Errorf("available %v", n)
		}
		return nil
	})
	e.txn(t, func(tx *arm.Txn) error { return ReleaseOwner(context.Background(), tx, s29, "owner0") })
	if ip, err := e.alloc(s29, "owner9", ""); err != nil || ip != "10.0.0.4" {
		t.Fatalf("after ReleaseOwner = %s %v", ip, err)
	}
}

func TestAllocateStatic(t *testing.T) {
	e := ipamEnv(t)
	s24 := subnetID("rg1", "vnet", "s24")
	if ip, err := e.alloc(s24, "a", "10.0.1.10"); err != nil || ip != "10.0.1.10" {
		t.Fatalf("static = %s %v", ip, err)
	}
	// Idempotent for its owner.
	if ip, err := e.alloc(s24, "a", "10.0.1.10"); err != nil || ip != "10.0.1.10" {
		t.Fatalf("static again = %s %v", ip, err)
	}
	// Dynamic allocation skips taken addresses only.
	if ip, err := e.alloc(s24, "b", ""); err != nil || ip != "10.0.1.4" {
		t.Fatalf("dynamic = %s %v", ip, err)
	}
	cases := []struct {
		ip, code, msg string
	}{
		{"10.0.1.10", "PrivateIPAddressIsAllocated", "IP configuration c is using the private IP address 10.0.1.10 which is already allocated to resource a."},
		{"10.0.1.0", "PrivateIPAddressInReservedRange", "10.0.1.0"},
		{"10.0.1.1", "PrivateIPAddressInReservedRange", "reserved IP range of subnet prefix 10.0.1.0/24"},
		{"10.0.1.3", "PrivateIPAddressInReservedRange", ""},
		{"10.0.1.255", "PrivateIPAddressInReservedRange", ""},
		{"10.0.2.4", "PrivateIPAddressNotInSubnet", "does not belong to subnet " + s24},
		{"10.0.1", "PrivateIPAddressInvalid", "not a valid IP address"},
	}
	for _, c := range cases {
		_, err := e.alloc(s24, "c", c.ip)
		code, msg := armCode(err)
		if code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %s %q, want %s %q", c.ip, code, msg, c.code, c.msg)
		}
	}
	// The highest usable address is fine.
	if ip, err := e.alloc(s24, "d", "10.0.1.254"); err != nil || ip != "10.0.1.254" {
		t.Fatalf("last usable = %s %v", ip, err)
	}
	// Unknown subnet.
	_, err := e.alloc(subnetID("rg1", "vnet", "nope"), "x", "")
	if code, msg := armCode(err); code != "InvalidResourceReference" || !strings.Contains(msg, "referenced by resource x was not found") {
		t.Fatalf("missing subnet: %s %s", code, msg)
	}
}

func TestAllocateDualStack(t *testing.T) {
	e := ipamEnv(t)
	dual := subnetID("rg1", "vnet", "dual")
	var v4, v6 string
	e.txn(t, func(tx *arm.Txn) error {
		var err error
		if v4, err = AllocateIP(context.Background(), tx, dual, "o", ""); err != nil {
			return err
		}
		v6, err = AllocateIPVersion(context.Background(), tx, dual, "o", "", "IPv6")
		return err
	})
	if v4 != "10.0.3.4" || v6 != "fd00:0:0:1::4" {
		t.Fatalf("dual stack: %s %s", v4, v6)
	}
	if ip, err := e.alloc(dual, "p", "fd00:0:0:1::10"); err != nil || ip != "fd00:0:0:1::10" {
		t.Fatalf("static v6: %s %v", ip, err)
	}
	if _, err := e.alloc(subnetID("rg1", "vnet", "s24"), "q", "fd00:0:0:1::11"); err == nil {
		t.Fatal("IPv6 address accepted in an IPv4 subnet")
	}
}

// TestAllocateConcurrent: parallel transactions never hand out the same
// address (each commits the reservation key it chose, conflicting ones
// retry).
func TestAllocateConcurrent(t *testing.T) {
	e := ipamEnv(t)
	s26 := subnetID("rg1", "vnet", "s26") // 59 usable addresses
	const n = 40
	var wg sync.WaitGroup
	ips := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ips[i], errs[i] = e.alloc(s26, fmt.Sprintf("owner-%d", i), "")
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("alloc %d: %v", i, errs[i])
		}
		a := netip.MustParseAddr(ips[i])
		if !mp("10.0.2.0/26").Contains(a) || isReserved(mp("10.0.2.0/26"), a) {
			t.Fatalf("bad address %s", a)
		}
		if j, dup := seen[ips[i]]; dup {
			t.Fatalf("%s given to owner-%d and owner-%d", ips[i], j, i)
		}
		seen[ips[i]] = i
	}
	e.txn(t, func(tx *arm.Txn) error {
		allocs, err := SubnetAllocations(context.Background(), tx, s26)
		if len(allocs) != n {
			t.Errorf("%d reservations stored", len(allocs))
		}
		return err
	})
}

// TestAllocateConcurrentStatic: two owners racing for one static address:
// exactly one wins.
func TestAllocateConcurrentStatic(t *testing.T) {
	e := ipamEnv(t)
	s24 := subnetID("rg1", "vnet", "s24")
	for round := range 5 {
		ip := fmt.Sprintf("10.0.1.%d", 100+round)
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.alloc(s24, fmt.Sprintf("r%d-o%d", round, i), ip)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if code, _ := armCode(err); code != "PrivateIPAddressIsAllocated" {
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d winners", round, ok)
		}
	}
}

func TestSubnetPrefixesHelper(t *testing.T) {
	rec := &arm.Record{}
	rec.Resource.Properties = []byte(`{"addressPrefix":"10.0.0.0/24","addressPrefixes":["10.0.0.0/24","10.0.1.0/24","junk"]}`)
	got := SubnetPrefixes(rec)
	if len(got) != 2 || got[0] != mp("10.0.0.0/24") || got[1] != mp("10.0.1.0/24") {
		t.Fatalf("SubnetPrefixes = %v", got)
	}
	if SubnetPrefixes(nil) != nil {
		t.Fatal("nil record")
	}
}
