package dnsresolver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/providers/network"
)

type ipConfiguration struct {
	Subnet                    *SubResource `json:"subnet,omitempty"`
	PrivateIPAddress          string       `json:"privateIpAddress,omitempty"`
	PrivateIPAllocationMethod string       `json:"privateIpAllocationMethod,omitempty"`
}

type inboundProps struct {
	IPConfigurations  []ipConfiguration `json:"ipConfigurations"`
	ProvisioningState string            `json:"provisioningState,omitempty"`
	ResourceGUID      string            `json:"resourceGuid,omitempty"`
}

type outboundProps struct {
	Subnet            *SubResource `json:"subnet,omitempty"`
	ProvisioningState string       `json:"provisioningState,omitempty"`
	ResourceGUID      string       `json:"resourceGuid,omitempty"`
}

// endpointRegion checks that an endpoint is in its resolver's region.
func endpointRegion(op *arm.PutOp, resolver *arm.Record) error {
	if !sameRegion(resolver.Resource.Location, op.Body.Location) {
		return arm.BadRequest("BadRequest",
			"The endpoint %s must be in the same region as its DNS resolver %s (%s), not %s.",
			op.ID.Name(), resolver.Resource.ID, resolver.Resource.Location, op.Body.Location)
	}
	return nil
}

// putInbound validates an inbound endpoint and reserves its address in
// the subnet through the network provider's IP address management.
func putInbound(ctx context.Context, op *arm.PutOp) error {
	var p inboundProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	res, vnet, err := resolverOf(ctx, op.Tx, op.ID)
	if err != nil {
		return err
	}
	if err := endpointRegion(op, res); err != nil {
		return err
	}
	if len(p.IPConfigurations) == 0 {
		return missingProperty("properties.ipConfigurations")
	}
	if len(p.IPConfigurations) > 1 {
		return arm.BadRequest("BadRequest", "An inbound endpoint must have exactly one IP configuration, not %d.", len(p.IPConfigurations))
	}
	owner := op.ID.String()
	var old inboundProps
	if op.Existing != nil {
		if err := op.Existing.Resource.DecodeProperties(&old); err != nil {
			return fmt.Errorf("decode %s: %w", op.ID, err)
		}
	}
	for i := range p.IPConfigurations {
		c := &p.IPConfigurations[i]
		path := fmt.Sprintf("properties.ipConfigurations[%d]", i)
		method := allocDynamic
		if c.PrivateIPAllocationMethod != "" {
			m, ok := enumOf(c.PrivateIPAllocationMethod, allocDynamic, allocStatic)
			if !ok {
				return invalidEnum(path+".privateIpAllocationMethod", c.PrivateIPAllocationMethod, allocDynamic, allocStatic)
			}
			method = m
		}
		sn, err := checkEndpointSubnet(ctx, op.Tx, vnet, c.Subnet, path+".subnet.id", owner, "inbound")
		if err != nil {
			return err
		}
		requested := ""
		if method == allocStatic {
			if strings.TrimSpace(c.PrivateIPAddress) == "" {
				return missingProperty(path + ".privateIpAddress")
			}
			requested = c.PrivateIPAddress
		}
		// A changed subnet frees the old address first.
		for _, oc := range old.IPConfigurations {
			if oc.Subnet != nil && !arm.SameID(oc.Subnet.ID, sn.Resource.ID) {
				if err := network.ReleaseOwner(ctx, op.Tx, oc.Subnet.ID, owner); err != nil {
					return err
				}
			}
		}
		if method == allocStatic {
			if err := network.ReleaseOwner(ctx, op.Tx, sn.Resource.ID, owner); err != nil {
				return err
			}
		}
		ip, err := network.AllocateIP(ctx, op.Tx, sn.Resource.ID, owner, requested)
		if err != nil {
			return err
		}
		*c = ipConfiguration{Subnet: &SubResource{ID: sn.Resource.ID}, PrivateIPAddress: ip, PrivateIPAllocationMethod: method}
		op.AddRef(sn.Resource.ID, kindEndpoint, "", true)
	}
	p.ProvisioningState, p.ResourceGUID = "", keepGUID(op.Existing)
	return op.Body.SetProperties(p)
}

// putOutbound validates an outbound endpoint and reserves its source
// address in the subnet (kept in the record's internal state: Azure does
// not show it).
func putOutbound(ctx context.Context, op *arm.PutOp) error {
	var p outboundProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	res, vnet, err := resolverOf(ctx, op.Tx, op.ID)
	if err != nil {
		return err
	}
	if err := endpointRegion(op, res); err != nil {
		return err
	}
	owner := op.ID.String()
	sn, err := checkEndpointSubnet(ctx, op.Tx, vnet, p.Subnet, "properties.subnet.id", owner, "outbound")
	if err != nil {
		return err
	}
	if op.Existing != nil {
		var old outboundProps
		if err := op.Existing.Resource.DecodeProperties(&old); err == nil && old.Subnet != nil && !arm.SameID(old.Subnet.ID, sn.Resource.ID) {
			return arm.BadRequest("BadRequest", "The subnet of outbound endpoint %s cannot be changed.", op.ID.Name())
		}
	}
	ip, err := network.AllocateIP(ctx, op.Tx, sn.Resource.ID, owner, "")
	if err != nil {
		return err
	}
	in, err := json.Marshal(fabric.OutboundEndpointInternal{PrivateIPAddress: ip})
	if err != nil {
		return fmt.Errorf("encode outbound endpoint state: %w", err)
	}
	op.Internal = in
	op.AddRef(sn.Resource.ID, kindEndpoint, "", true)
	p = outboundProps{Subnet: &SubResource{ID: sn.Resource.ID}, ResourceGUID: keepGUID(op.Existing)}
	return op.Body.SetProperties(p)
}

// deleteEndpoint releases an endpoint's addresses.
func deleteEndpoint(ctx context.Context, op *arm.DeleteOp) error {
	var p struct {
		Subnet           *SubResource      `json:"subnet"`
		IPConfigurations []ipConfiguration `json:"ipConfigurations"`
	}
	if err := op.Record.Resource.DecodeProperties(&p); err != nil {
		return fmt.Errorf("decode %s: %w", op.ID, err)
	}
	var subnets []string
	if p.Subnet != nil {
		subnets = append(subnets, p.Subnet.ID)
	}
	for _, c := range p.IPConfigurations {
		if c.Subnet != nil {
			subnets = append(subnets, c.Subnet.ID)
		}
	}
	for _, s := range subnets {
		if err := network.ReleaseOwner(ctx, op.Tx, s, op.ID.String()); err != nil {
			return err
		}
	}
	return nil
}

// outboundInUse is the error for deleting an outbound endpoint that a
// ruleset uses.
func outboundInUse(id arm.ID, refs []arm.Ref) error {
	var users []string
	for _, r := range refs {
		users = append(users, r.Source)
	}
	return arm.BadRequest("BadRequest",
		"Outbound endpoint %s cannot be deleted because it is referenced by the DNS forwarding ruleset(s) %s.",
		id.Name(), strings.Join(users, ", "))
}
