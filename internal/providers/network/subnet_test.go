package network

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/arm"
)

func TestSubnetCRUDSDK(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"})

	s, err := e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	if deref(s.ID) != subnetID("rg1", "v", "a") || deref(s.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded ||
		!strings.HasPrefix(deref(s.Etag), `W/"`) || s.Properties.Delegations == nil {
		t.Fatalf("subnet: %+v", s)
	}

	// Errors, each leaving nothing behind.
	for _, c := range []struct {
		name string
		p    armnetwork.SubnetPropertiesFormat
		code string
	}{
		{"outside", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.1.0.0/24")}, "NetcfgSubnetRangeOutsideVnet"},
		{"overlap", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.128/25")}, "NetcfgSubnetRangesOverlap"},
		{"overlap-multi", armnetwork.SubnetPropertiesFormat{AddressPrefixes: toSlice("10.0.9.0/24", "10.0.0.0/23")}, "NetcfgSubnetRangesOverlap"},
		{"too-small", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.2.0/30")}, "NetcfgInvalidSubnet"},
		{"host-bits", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.3.5/24")}, "InvalidCIDRNotation"},
		{"malformed", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.3.0/24/1")}, "InvalidAddressPrefixFormat"},
		{"none", armnetwork.SubnetPropertiesFormat{}, "NetcfgInvalidSubnet"},
		{"missing-nsg", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.4.0/24"),
			NetworkSecurityGroup: &armnetwork.SecurityGroup{ID: to("/subscriptions/" + testSub + "/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nope")}},
			"InvalidResourceReference"},
	} {
		_, err := e.putSubnet("rg1", "v", c.name, c.p)
		wantCode(t, err, c.code)
		_, err = e.subnets.Get(ctx, "rg1", "v", c.name, nil)
		wantCode(t, err, "NotFound")
	}

	// Smallest subnet, multiple prefixes, policies and service endpoints.
	if _, err := e.putSubnet("rg1", "v", "tiny", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.2.0/29")}); err != nil {
		t.Fatal(err)
	}
	m, err := e.putSubnet("rg1", "v", "multi", armnetwork.SubnetPropertiesFormat{
		AddressPrefixes:                   toSlice("10.0.4.0/24", "10.0.5.0/24"),
		PrivateEndpointNetworkPolicies:    to(armnetwork.VirtualNetworkPrivateEndpointNetworkPoliciesNetworkSecurityGroupEnabled),
		PrivateLinkServiceNetworkPolicies: to(armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled),
		ServiceEndpoints:                  []*armnetwork.ServiceEndpointPropertiesFormat{{Service: to("Microsoft.Storage")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mp := m.Properties
	if len(mp.AddressPrefixes) != 2 || deref(mp.PrivateEndpointNetworkPolicies) != armnetwork.VirtualNetworkPrivateEndpointNetworkPoliciesNetworkSecurityGroupEnabled ||
		deref(mp.PrivateLinkServiceNetworkPolicies) != armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled ||
		len(mp.ServiceEndpoints) != 1 || deref(mp.ServiceEndpoints[0].Service) != "Microsoft.Storage" ||
		deref(mp.ServiceEndpoints[0].Locations[0]) != "westus2" {
		t.Fatalf("multi: %+v", mp)
	}

	// List (paged by 2) and the inline view on the virtual network.
	var names []string
	pager := e.subnets.NewListPager("rg1", "v", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Value {
			names = append(names, deref(s.Name))
		}
	}
	if strings.Join(names, ",") != "a,multi,tiny" {
		t.Fatalf("subnets: %v", names)
	}
	v, err := e.vnets.Get(ctx, "rg1", "v", nil)
	if err != nil || len(v.Properties.Subnets) != 3 {
		t.Fatalf("vnet subnets: %v %v", v.Properties, err)
	}

	// Update keeps the subnet; delete removes it.
	if _, err := e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.0.0/23")}); err != nil {
		t.Fatal(err)
	}
	dp, err := e.subnets.BeginDelete(ctx, "rg1", "v", "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	_, err = e.subnets.Get(ctx, "rg1", "v", "a", nil)
	wantCode(t, err, "NotFound")

	// A subnet of a missing virtual network.
	_, err = e.putSubnet("rg1", "nope", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")})
	wantCode(t, err, "ParentResourceNotFound")
}

func TestSubnetDelegation(t *testing.T) {
	e := startNet(t, toyNICs{})
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"})
	s, err := e.putSubnet("rg1", "v", "aks", armnetwork.SubnetPropertiesFormat{
		AddressPrefix: to("10.0.1.0/28"),
		Delegations: []*armnetwork.Delegation{{Name: to("aks-delegation"), Properties: &armnetwork.ServiceDelegationPropertiesFormat{
			ServiceName: to("Microsoft.ContainerService/managedClusters")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Properties.Delegations
	if len(d) != 1 || deref(d[0].ID) != subnetID("rg1", "v", "aks")+"/delegations/aks-delegation" ||
		deref(d[0].Type) != delegationType || deref(d[0].Properties.ServiceName) != "Microsoft.ContainerService/managedClusters" ||
		len(d[0].Properties.Actions) != 1 || deref(d[0].Properties.Actions[0]) != "Microsoft.Network/virtualNetworks/subnets/join/action" ||
		deref(d[0].Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("delegation: %+v", d)
	}
	_, err = e.putSubnet("rg1", "v", "bad", armnetwork.SubnetPropertiesFormat{
		AddressPrefix: to("10.0.2.0/28"),
		Delegations:   []*armnetwork.Delegation{{Name: to("x"), Properties: &armnetwork.ServiceDelegationPropertiesFormat{ServiceName: to("nonsense")}}},
	})
	wantCode(t, err, "InvalidServiceNameOnDelegation")

	e.txn(t, func(tx *arm.Txn) error {
		rec, err := tx.Get(ctx, subnetID("rg1", "v", "aks"))
		if err != nil {
			return err
		}
		if got := SubnetDelegations(rec); len(got) != 1 || got[0] != "Microsoft.ContainerService/managedClusters" {
			t.Errorf("SubnetDelegations = %v", got)
		}
		if err := CheckSubnetAccepts(rec, "microsoft.containerservice/managedclusters"); err != nil {
			t.Errorf("delegate refused: %v", err)
		}
		if code, _ := armCode(CheckSubnetAccepts(rec, "")); code != "ResourceNotPermittedOnDelegatedSubnet" {
			t.Errorf("NIC accepted: %s", code)
		}
		code, msg := armCode(CheckSubnetAccepts(rec, "Microsoft.Web/serverFarms"))
		if code != "SubnetMissingRequiredDelegation" || !strings.Contains(msg, "[Microsoft.Web/serverFarms]") {
			t.Errorf("other service accepted: %s %s", code, msg)
		}
		return nil
	})

	// Through a consumer: a plain NIC is refused, the delegate accepted.
	r := e.s.Do(http.MethodPut, toyNICID("rg1", "nic1"), "2024-01-01",
		`{"properties":{"subnet":{"id":"`+subnetID("rg1", "v", "aks")+`"}}}`)
	if r.ErrorCode() != "ResourceNotPermittedOnDelegatedSubnet" {
		t.Fatalf("nic in delegated subnet: %d %s", r.Status, r.Body)
	}
	r = e.s.Do(http.MethodPut, toyNICID("rg1", "apiserver"), "2024-01-01",
		`{"properties":{"service":"Microsoft.ContainerService/managedClusters","subnet":{"id":"`+subnetID("rg1", "v", "aks")+`"}}}`)
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"privateIPAddress":"10.0.1.4"`) {
		t.Fatalf("delegate consumer: %d %s", r.Status, r.Body)
	}
	// Delegations cannot change while the subnet is used.
	_, err = e.putSubnet("rg1", "v", "aks", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/28")})
	wantCode(t, err, "SubnetDelegationsCannotChangeWhenSubnetUsedByResource")
}

func TestSubnetInUse(t *testing.T) {
	e := startNet(t, toyNICs{})
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"},
		&armnetwork.Subnet{Name: to("a"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")}},
		&armnetwork.Subnet{Name: to("b"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.2.0/24")}},
	)
	sa := subnetID("rg1", "v", "a")
	r := e.s.Do(http.MethodPut, toyNICID("rg1", "nic1"), "2024-01-01", `{"properties":{"subnet":{"id":"`+sa+`"}}}`)
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"privateIPAddress":"10.0.1.4"`) {
		t.Fatalf("nic1: %d %s", r.Status, r.Body)
	}
	r = e.s.Do(http.MethodPut, toyNICID("rg1", "nic2"), "2024-01-01", `{"properties":{"subnet":{"id":"`+sa+`"},"privateIPAddress":"10.0.1.4"}}`)
	if r.ErrorCode() != "PrivateIPAddressIsAllocated" {
		t.Fatalf("nic2 static conflict: %s", r.Body)
	}
	if g := e.s.Do(http.MethodGet, toyNICID("rg1", "nic2"), "2024-01-01", nil); g.Status != http.StatusNotFound {
		t.Fatalf("nic2 written: %d", g.Status)
	}
	ipcfg := toyNICID("rg1", "nic1") + "/ipConfigurations/ipconfig1"

	// The subnet shows its ip configurations.
	s, err := e.subnets.Get(ctx, "rg1", "v", "a", nil)
	if err != nil || len(s.Properties.IPConfigurations) != 1 || deref(s.Properties.IPConfigurations[0].ID) != ipcfg {
		t.Fatalf("ipConfigurations: %+v %v", s.Properties, err)
	}

	// Deleting the subnet, or the virtual network, is refused.
	_, err = e.subnets.BeginDelete(ctx, "rg1", "v", "a", nil)
	wantCode(t, err, "InUseSubnetCannotBeDeleted")
	want := "Subnet a is in use by " + ipcfg + " and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet."
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("message: %v", err)
	}
	_, err = e.vnets.BeginDelete(ctx, "rg1", "v", nil)
	wantCode(t, err, "InUseSubnetCannotBeDeleted")
	// So is removing it from the virtual network's inline subnets.
	_, err = e.putVNet("rg1", "v", []string{"10.0.0.0/16"},
		&armnetwork.Subnet{Name: to("b"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.2.0/24")}})
	wantCode(t, err, "InUseSubnetCannotBeDeleted")
	// Shrinking the subnet away from its reserved address is refused; a
	// change that keeps it is fine.
	_, err = e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.128/25")})
	wantCode(t, err, "InUseSubnetCannotBeUpdated")
	if _, err := e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/25")}); err != nil {
		t.Fatal(err)
	}
	// Everything still there.
	if _, err := e.vnets.Get(ctx, "rg1", "v", nil); err != nil {
		t.Fatal(err)
	}
	// Without the NIC the subnet goes, and its reservations with it.
	if r := e.s.Do(http.MethodDelete, toyNICID("rg1", "nic1"), "2024-01-01", nil); r.Status != http.StatusOK {
		t.Fatalf("delete nic: %d %s", r.Status, r.Body)
	}
	s, err = e.subnets.Get(ctx, "rg1", "v", "a", nil)
	if err != nil || len(s.Properties.IPConfigurations) != 0 {
		t.Fatalf("after nic delete: %+v %v", s.Properties, err)
	}
	dp, err := e.subnets.BeginDelete(ctx, "rg1", "v", "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	e.txn(t, func(tx *arm.Txn) error {
		allocs, err := SubnetAllocations(ctx, tx, sa)
		if len(allocs) != 0 {
			t.Errorf("reservations left: %v", allocs)
		}
		return err
	})
}

// TestSubnetNSGAssociation: the association is a blocking "subnet" ref on
// the referenced resource (here a stand-in record at the NSG's ID).
func TestSubnetNSGAssociation(t *testing.T) {
	e := startNet(t, toyNICs{})
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"})
	nsg := toyNICID("rg1", "nsg-standin")
	if r := e.s.Do(http.MethodPut, nsg, "2024-01-01", `{"properties":{}}`); r.Status != http.StatusCreated {
		t.Fatalf("stand-in: %d %s", r.Status, r.Body)
	}
	s, err := e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{
		AddressPrefix:        to("10.0.1.0/24"),
		NetworkSecurityGroup: &armnetwork.SecurityGroup{ID: to(nsg)},
		RouteTable:           &armnetwork.RouteTable{ID: to(nsg)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if deref(s.Properties.NetworkSecurityGroup.ID) != nsg || deref(s.Properties.RouteTable.ID) != nsg {
		t.Fatalf("associations: %+v", s.Properties)
	}
	refs, err := e.s.Platform.Engine.RefsTo(ctx, nsg, kindSubnet)
	if err != nil || len(refs) != 1 || refs[0].Source != subnetID("rg1", "v", "a") || !refs[0].Blocking {
		t.Fatalf("refs: %+v %v", refs, err)
	}
	if r := e.s.Do(http.MethodDelete, nsg, "2024-01-01", nil); r.Status != http.StatusBadRequest {
		t.Fatalf("delete associated: %d %s", r.Status, r.Body)
	}
	// Dissociating drops the ref.
	if _, err := e.putSubnet("rg1", "v", "a", armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.1.0/24")}); err != nil {
		t.Fatal(err)
	}
	if refs, _ := e.s.Platform.Engine.RefsTo(ctx, nsg, kindSubnet); len(refs) != 0 {
		t.Fatalf("refs after dissociation: %+v", refs)
	}
}

// TestSubnetConcurrentOverlap: subnets with one range created at once:
// exactly one is accepted, the others see it and fail with the overlap.
func TestSubnetConcurrentOverlap(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"})
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.putSubnet("rg1", "v", fmt.Sprintf("s%d", i), armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.0.7.0/24")})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantCode(t, err, "NetcfgSubnetRangesOverlap")
	}
	if ok != 1 {
		t.Fatalf("%d subnets accepted", ok)
	}
}

// interleave runs first up to its commit, then runs and commits second,
// then lets first commit; it returns first's outcome and how many times
// it ran.
func interleave(ctx context.Context, eng *arm.Engine, first, second func(tx *arm.Txn) error) (error, int, error) {
	validated := make(chan struct{})
	release := make(chan struct{})
	attempts := 0
	done := make(chan error, 1)
	go func() {
		done <- eng.Run(ctx, func(tx *arm.Txn) error {
			attempts++
			if err := first(tx); err != nil {
				return err
			}
			if attempts == 1 {
				close(validated)
				<-release
			}
			return nil
		})
	}()
	select {
	case <-validated:
	case err := <-done:
		return err, attempts, nil
	}
	err2 := eng.Run(ctx, second)
	close(release)
	err1 := <-done
	return err1, attempts, err2
}

// putDirect runs a type's Put hook for id in tx and stores the result as
// the engine would.
func putDirect(ctx context.Context, tx *arm.Txn, spec *arm.TypeSpec, id string, props string) error {
	pid, err := arm.ParseID(id)
	if err != nil {
		return err
	}
	existing, err := tx.Get(ctx, id)
	if err != nil {
		return err
	}
	op := &arm.PutOp{ID: pid, Spec: spec, Body: &arm.Resource{Properties: []byte(props)}, Tx: tx, Existing: existing}
	if err := spec.Put(ctx, op); err != nil {
		return err
	}
	return tx.Write(ctx, &arm.Record{Resource: arm.Resource{ID: id, Name: pid.Name(), Type: spec.Type, Properties: op.Body.Properties},
		Refs: op.Refs, State: arm.StateSucceeded})
}

// TestSubnetGuardSerializesSiblings interleaves two subnet writes
// deterministically: the first validates, the second commits, then the
// first commits. The guard key makes the first one retry and see the
// second, so overlapping siblings can never both be stored.
func TestSubnetGuardSerializesSiblings(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "v", []string{"10.0.0.0/16"})
	eng := e.s.Platform.Engine
	spec, _ := eng.Registry.Lookup(subnetType)
	body := `{"addressPrefix":"10.0.8.0/24"}`
	err, attempts, err2 := interleave(ctx, eng,
		func(tx *arm.Txn) error { return putDirect(ctx, tx, spec, subnetID("rg1", "v", "first"), body) },
		func(tx *arm.Txn) error { return putDirect(ctx, tx, spec, subnetID("rg1", "v", "second"), body) })
	if err2 != nil {
		t.Fatal(err2)
	}
	if code, _ := armCode(err); code != "NetcfgSubnetRangesOverlap" || attempts != 2 {
		t.Fatalf("first: %v after %d attempts", err, attempts)
	}
}
