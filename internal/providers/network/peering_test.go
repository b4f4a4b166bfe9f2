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

func TestPeeringLifecycleSDK(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")
	e.group(t, "rg2")
	a := vnetID("rg1", "A")
	b := vnetID("rg2", "B") // another resource group
	e.createVNet(t, "rg1", "A", []string{"10.0.0.0/16"})
	e.createVNet(t, "rg2", "B", []string{"10.1.0.0/16", "10.2.0.0/16"})
	e.createVNet(t, "rg1", "C", []string{"10.0.128.0/17"})

	ab, err := e.putPeering("rg1", "A", "a-to-b", b)
	if err != nil {
		t.Fatal(err)
	}
	p := ab.Properties
	if deref(p.PeeringState) != armnetwork.VirtualNetworkPeeringStateInitiated || deref(p.PeeringSyncLevel) != armnetwork.VirtualNetworkPeeringLevelFullyInSync ||
		!deref(p.AllowVirtualNetworkAccess) || !deref(p.AllowForwardedTraffic) || deref(p.AllowGatewayTransit) || deref(p.UseRemoteGateways) ||
		deref(p.RemoteVirtualNetwork.ID) != b || len(p.RemoteAddressSpace.AddressPrefixes) != 2 ||
		deref(p.RemoteVirtualNetworkAddressSpace.AddressPrefixes[1]) != "10.2.0.0/16" ||
		deref(p.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || deref(ab.ID) != a+"/virtualNetworkPeerings/a-to-b" {
		t.Fatalf("a-to-b: %+v", p)
	}

	// The other side: both become Connected.
	ba, err := e.putPeering("rg2", "B", "b-to-a", a)
	if err != nil {
		t.Fatal(err)
	}
	if deref(ba.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("b-to-a: %s", deref(ba.Properties.PeeringState))
	}
	if got := e.getPeering(t, "rg1", "A", "a-to-b"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected ||
		deref(got.Etag) == deref(ab.Etag) {
		t.Fatalf("a-to-b after b-to-a: %s %s", deref(got.Properties.PeeringState), deref(got.Etag))
	}
	// The virtual network shows its peerings inline; listing works.
	v, err := e.vnets.Get(ctx, "rg1", "A", nil)
	if err != nil || len(v.Properties.VirtualNetworkPeerings) != 1 || deref(v.Properties.VirtualNetworkPeerings[0].Name) != "a-to-b" {
		t.Fatalf("inline peerings: %v", err)
	}
	pager := e.peerings.NewListPager("rg2", "B", nil)
	n := 0
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("list: %d", n)
	}
	// A virtual network PUT without virtualNetworkPeerings keeps them.
	if _, err := e.putVNet("rg1", "A", []string{"10.0.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	if got := e.getPeering(t, "rg1", "A", "a-to-b"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatal("peering lost by a vnet PUT")
	}

	// Refusals.
	_, err = e.putPeering("rg1", "A", "a-to-c", vnetID("rg1", "C"))
	wantCode(t, err, "VnetAddressSpacesOverlap")
	if !strings.Contains(err.Error(), "cannot be peered because their address spaces overlap. Overlapping address prefixes: 10.0.128.0/17.") {
		t.Fatalf("overlap message: %v", err)
	}
	_, err = e.putPeering("rg1", "A", "a-to-a", a)
	wantCode(t, err, "CannotPeerVirtualNetworkWithItself")
	_, err = e.putPeering("rg1", "A", "a-to-b-again", b)
	wantCode(t, err, "VnetPeeringAlreadyExists")
	_, err = e.putPeering("rg1", "A", "a-to-nowhere", vnetID("rg1", "nowhere"))
	wantCode(t, err, "InvalidResourceReference")
	_, err = e.putPeering("rg1", "A", "a-to-sub", subnetID("rg1", "C", "x"))
	wantCode(t, err, "LinkedInvalidPropertyId")
	r := e.s.Do(http.MethodPut, a+"/virtualNetworkPeerings/empty", netAPI, `{"properties":{}}`)
	if r.ErrorCode() != "InvalidRequestFormat" {
		t.Fatalf("no remote: %s", r.Body)
	}
	// useRemoteGateways needs a gateway on the remote side (unless told
	// not to verify it).
	e.createVNet(t, "rg1", "D", []string{"10.5.0.0/16"})
	r = e.s.Do(http.MethodPut, a+"/virtualNetworkPeerings/gw", netAPI,
		`{"properties":{"remoteVirtualNetwork":{"id":"`+vnetID("rg1", "D")+`"},"useRemoteGateways":true}}`)
	if r.ErrorCode() != "RemoteVnetHasNoGateways" || !strings.Contains(r.ErrorMessage(), "does not have any gateways") {
		t.Fatalf("useRemoteGateways without a remote gateway: %d %s", r.Status, r.Body)
	}
	for _, name := range []string{"a-to-c", "a-to-a", "a-to-b-again", "a-to-nowhere", "empty", "gw"} {
		_, err := e.peerings.Get(ctx, "rg1", "A", name, nil)
		wantCode(t, err, "NotFound")
	}
	// The address space of a peered network cannot grow into its peer's.
	_, err = e.putVNet("rg1", "A", []string{"10.0.0.0/16", "10.2.0.0/24"})
	wantCode(t, err, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")

	// Deleting one side disconnects the other.
	dp, err := e.peerings.BeginDelete(ctx, "rg2", "B", "b-to-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	if got := e.getPeering(t, "rg1", "A", "a-to-b"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateDisconnected {
		t.Fatalf("after delete: %s", deref(got.Properties.PeeringState))
	}
	// Re-creating the deleted side while this one is Disconnected fails...
	_, err = e.putPeering("rg2", "B", "b-to-a", a)
	wantCode(t, err, "RemotePeeringIsDisconnected")
	// ...until the disconnected side is updated back to Initiated.
	ab, err = e.putPeering("rg1", "A", "a-to-b", b)
	if err != nil || deref(ab.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateInitiated {
		t.Fatalf("re-put: %v %v", err, ab.Properties)
	}
	if _, err := e.putPeering("rg2", "B", "b-to-a", a); err != nil {
		t.Fatal(err)
	}
	if got := e.getPeering(t, "rg1", "A", "a-to-b"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("reconnected: %s", deref(got.Properties.PeeringState))
	}

	// Deleting a peered virtual network is allowed and disconnects the peer.
	vp, err := e.vnets.BeginDelete(ctx, "rg2", "B", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	got := e.getPeering(t, "rg1", "A", "a-to-b")
	if deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateDisconnected ||
		deref(got.Properties.RemoteAddressSpace.AddressPrefixes[0]) != "10.1.0.0/16" {
		t.Fatalf("after vnet delete: %+v", got.Properties)
	}
	// The disconnected peering no longer references the deleted network.
	if refs, _ := e.s.Platform.Engine.RefsTo(ctx, b, kindRemoteVirtualNetwork); len(refs) != 0 {
		t.Fatalf("refs to deleted vnet: %+v", refs)
	}
	// And the local network (and its disconnected peering) can go too.
	vp, err = e.vnets.BeginDelete(ctx, "rg1", "A", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
}

func TestPeeringTransitiveOverlap(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "hub", []string{"10.10.0.0/16"})
	e.createVNet(t, "rg1", "spoke1", []string{"10.20.0.0/16"})
	e.createVNet(t, "rg1", "spoke2", []string{"10.20.5.0/24"})
	if _, err := e.putPeering("rg1", "hub", "to-spoke1", vnetID("rg1", "spoke1")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.putPeering("rg1", "spoke1", "to-hub", vnetID("rg1", "hub")); err != nil {
		t.Fatal(err)
	}
	// spoke2 overlaps spoke1, which the hub is already peered with.
	_, err := e.putPeering("rg1", "spoke2", "to-hub", vnetID("rg1", "hub"))
	wantCode(t, err, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")
	if !strings.Contains(err.Error(), "already peered with the second virtual network. Overlapping address prefixes: 10.20.5.0/24.") {
		t.Fatalf("message: %v", err)
	}
	_, err = e.putPeering("rg1", "hub", "to-spoke2", vnetID("rg1", "spoke2"))
	wantCode(t, err, "VnetAddressSpaceOverlapsWithAlreadyPeeredVnet")
}

// TestPeeringInline: peerings given inline in the virtual network's body.
func TestPeeringInline(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "B", []string{"10.1.0.0/16"})
	if _, err := e.putPeering("rg1", "B", "b-to-a", vnetID("rg1", "A")); err == nil {
		t.Fatal("peering to a missing network accepted")
	}
	e.createVNet(t, "rg1", "A", []string{"10.0.0.0/16"})
	if _, err := e.putPeering("rg1", "B", "b-to-a", vnetID("rg1", "A")); err != nil {
		t.Fatal(err)
	}
	r := e.s.Do(http.MethodPut, vnetID("rg1", "A"), netAPI, `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},
		"virtualNetworkPeerings":[{"name":"a-to-b","properties":{"remoteVirtualNetwork":{"id":"`+vnetID("rg1", "B")+`"}}}]}}`)
	if r.Status != http.StatusOK {
		t.Fatalf("inline: %d %s", r.Status, r.Body)
	}
	e.s.Wait(r)
	if got := e.getPeering(t, "rg1", "A", "a-to-b"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("inline peering: %s", deref(got.Properties.PeeringState))
	}
	if got := e.getPeering(t, "rg1", "B", "b-to-a"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("remote: %s", deref(got.Properties.PeeringState))
	}
	// An explicit empty array removes them, disconnecting the remote side.
	r = e.s.Do(http.MethodPut, vnetID("rg1", "A"), netAPI, `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"virtualNetworkPeerings":[]}}`)
	if r.Status != http.StatusOK {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	e.s.Wait(r)
	if got := e.getPeering(t, "rg1", "B", "b-to-a"); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateDisconnected {
		t.Fatalf("remote after removal: %s", deref(got.Properties.PeeringState))
	}
}

// TestPeeringRestatedByVNetUpdate: a client that GETs the virtual network
// and PUTs it back (az network vnet update) leaves a disconnected peering
// as it is.
func TestPeeringRestatedByVNetUpdate(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "A", []string{"10.0.0.0/16"})
	e.createVNet(t, "rg1", "B", []string{"10.1.0.0/16"})
	if _, err := e.putPeering("rg1", "A", "a-to-b", vnetID("rg1", "B")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.putPeering("rg1", "B", "b-to-a", vnetID("rg1", "A")); err != nil {
		t.Fatal(err)
	}
	dp, err := e.vnets.BeginDelete(context.Background(), "rg1", "B", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(context.Background(), &pollOpts); err != nil {
		t.Fatal(err)
	}
	g := e.s.Do(http.MethodGet, vnetID("rg1", "A"), netAPI, nil)
	r := e.s.Do(http.MethodPut, vnetID("rg1", "A"), netAPI, g.Body)
	if r.Status != http.StatusOK {
		t.Fatalf("restate: %d %s", r.Status, r.Body)
	}
	e.s.Wait(r)
	got := e.getPeering(t, "rg1", "A", "a-to-b")
	if deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateDisconnected {
		t.Fatalf("state after restatement: %s", deref(got.Properties.PeeringState))
	}
}

// TestPeeringBothSidesConcurrently: the two sides created at once end
// Connected (the pair is serialized).
func TestPeeringBothSidesConcurrently(t *testing.T) {
	e := startNet(t)
	e.group(t, "rg1")
	for round := range 4 {
		a, b := fmt.Sprintf("A%d", round), fmt.Sprintf("B%d", round)
		e.createVNet(t, "rg1", a, []string{"10.0.0.0/16"})
		e.createVNet(t, "rg1", b, []string{"10.1.0.0/16"})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); _, errs[0] = e.putPeering("rg1", a, "ab", vnetID("rg1", b)) }()
		go func() { defer wg.Done(); _, errs[1] = e.putPeering("rg1", b, "ba", vnetID("rg1", a)) }()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatal(errs)
		}
		for _, p := range [][2]string{{a, "ab"}, {b, "ba"}} {
			if got := e.getPeering(t, "rg1", p[0], p[1]); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
				t.Fatalf("round %d %s: %s", round, p[1], deref(got.Properties.PeeringState))
			}
		}
	}
}

// TestPeeringGuardSerializesSides interleaves the two sides of a peering
// deterministically: without serialization both would stay Initiated.
func TestPeeringGuardSerializesSides(t *testing.T) {
	e := startNet(t)
	ctx := context.Background()
	e.group(t, "rg1")
	e.createVNet(t, "rg1", "A", []string{"10.0.0.0/16"})
	e.createVNet(t, "rg1", "B", []string{"10.1.0.0/16"})
	eng := e.s.Platform.Engine
	spec, _ := eng.Registry.Lookup(peeringType)
	err, attempts, err2 := interleave(ctx, eng,
		func(tx *arm.Txn) error {
			return putDirect(ctx, tx, spec, vnetID("rg1", "A")+"/virtualNetworkPeerings/ab", `{"remoteVirtualNetwork":{"id":"`+vnetID("rg1", "B")+`"}}`)
		},
		func(tx *arm.Txn) error {
			return putDirect(ctx, tx, spec, vnetID("rg1", "B")+"/virtualNetworkPeerings/ba", `{"remoteVirtualNetwork":{"id":"`+vnetID("rg1", "A")+`"}}`)
		})
	if err != nil || err2 != nil || attempts != 2 {
		t.Fatalf("%v %v after %d attempts", err, err2, attempts)
	}
	for _, p := range [][2]string{{"A", "ab"}, {"B", "ba"}} {
		if got := e.getPeering(t, "rg1", p[0], p[1]); deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
			t.Fatalf("%s: %s", p[1], deref(got.Properties.PeeringState))
		}
	}
}
