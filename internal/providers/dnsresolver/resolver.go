package dnsresolver

import (
	"context"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

type resolverProps struct {
	VirtualNetwork    *SubResource `json:"virtualNetwork,omitempty"`
	DNSResolverState  string       `json:"dnsResolverState,omitempty"`
	ProvisioningState string       `json:"provisioningState,omitempty"`
	ResourceGUID      string       `json:"resourceGuid,omitempty"`
}

// putResolver validates a DNS resolver: its virtual network exists, is in
// the resolver's region, has no other resolver, and does not change.
func putResolver(ctx context.Context, op *arm.PutOp) error {
	var p resolverProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	vid, err := parseTyped(p.VirtualNetwork, vnetType, "properties.virtualNetwork.id")
	if err != nil {
		return err
	}
	if op.Existing != nil {
		var old resolverProps
		if err := op.Existing.Resource.DecodeProperties(&old); err != nil {
			return fmt.Errorf("decode %s: %w", op.ID, err)
		}
		if old.VirtualNetwork != nil && !arm.SameID(old.VirtualNetwork.ID, vid.String()) {
			return arm.BadRequest("BadRequest",
				"The virtual network of DNS resolver %s cannot be changed from %s to %s.", op.ID.Name(), old.VirtualNetwork.ID, vid.String())
		}
	}
	vnet, err := getRef(ctx, op.Tx, vid, op.ID.String())
	if err != nil {
		return err
	}
	if !sameRegion(vnet.Resource.Location, op.Body.Location) {
		return arm.BadRequest("BadRequest",
			"The DNS resolver %s must be in the same region as its virtual network %s (%s), not %s.",
			op.ID.Name(), vnet.Resource.ID, vnet.Resource.Location, op.Body.Location)
	}
	refs, err := op.Tx.RefsTo(ctx, vnet.Resource.ID)
	if err != nil {
		return fmt.Errorf("refs of %s: %w", vnet.Resource.ID, err)
	}
	for _, r := range refs {
		if r.Kind == kindResolverVNet && !arm.SameID(r.Source, op.ID.String()) {
			return arm.Conflict("Conflict",
				"The virtual network %s already has the DNS resolver %s. A virtual network can have only one DNS resolver.",
				vnet.Resource.ID, r.Source)
		}
	}
	p = resolverProps{VirtualNetwork: &SubResource{ID: vnet.Resource.ID}, DNSResolverState: stateConnected,
		ResourceGUID: keepGUID(op.Existing)}
	op.AddRef(vnet.Resource.ID, kindResolverVNet, "", true)
	return op.Body.SetProperties(p)
}

// deleteResolver refuses to delete a resolver that still has endpoints.
func deleteResolver(ctx context.Context, op *arm.DeleteOp) error {
	if op.InGroupDelete {
		return nil // the group's deletion takes the endpoints too
	}
	var names []string
	for _, typ := range []string{"inboundEndpoints", "outboundEndpoints"} {
		kids, err := op.Tx.Children(ctx, op.ID, typ)
		if err != nil {
			return fmt.Errorf("list %s of %s: %w", typ, op.ID, err)
		}
		for _, k := range kids {
			names = append(names, k.Resource.ID)
		}
	}
	if len(names) > 0 {
		return arm.BadRequest("BadRequest",
			"DNS resolver %s cannot be deleted because it has inbound or outbound endpoints: %s. Delete the endpoints first.",
			op.ID.Name(), strings.Join(names, ", "))
	}
	return nil
}
