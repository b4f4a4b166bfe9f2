package network

import (
	"context"

	"github.com/privlink/privlink/internal/arm"
)

// toyNICs is a stand-in for the network interface type (owned by another
// engineer): it consumes the subnet API exactly as a NIC ip configuration
// does — delegation check, IP allocation and a blocking
// "ipConfiguration" ref in the same transaction.
type toyNICs struct{}

const toyNICType = "Microsoft.Test/nics"

type toyNICProps struct {
	Subnet            *SubResource `json:"subnet,omitempty"`
	PrivateIPAddress  string       `json:"privateIPAddress,omitempty"`
	Service           string       `json:"service,omitempty"`
	IPConfigurationID string       `json:"ipConfigurationId,omitempty"`
}

func (toyNICs) Namespace() string { return "Microsoft.Test" }

func (toyNICs) Register(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type: toyNICType, APIVersions: []string{"2024-01-01"}, ETag: true, Location: arm.LocationOptional,
		Put: func(ctx context.Context, op *arm.PutOp) error {
			var in toyNICProps
			if err := op.Body.DecodeProperties(&in); err != nil {
				return err
			}
			owner := toyOwner(op.ID, &in)
			if op.Existing != nil {
				var old toyNICProps
				if err := op.Existing.Resource.DecodeProperties(&old); err != nil {
					return err
				}
				if old.Subnet != nil {
					if err := ReleaseOwner(ctx, op.Tx, old.Subnet.ID, toyOwner(op.ID, &old)); err != nil {
						return err
					}
				}
			}
			if in.Subnet == nil {
				return op.Body.SetProperties(in)
			}
			rec, err := op.Tx.Get(ctx, in.Subnet.ID)
			if err != nil {
				return err
			}
			if rec != nil {
				if err := CheckSubnetAccepts(rec, in.Service); err != nil {
					return err
				}
			}
			ip, err := AllocateIP(ctx, op.Tx, in.Subnet.ID, owner, in.PrivateIPAddress)
			if err != nil {
				return err
			}
			in.PrivateIPAddress = ip
			op.AddRef(in.Subnet.ID, kindIPConfiguration, owner, true)
			return op.Body.SetProperties(in)
		},
		Delete: func(ctx context.Context, op *arm.DeleteOp) error {
			var p toyNICProps
			if err := op.Record.Resource.DecodeProperties(&p); err != nil {
				return err
			}
			if p.Subnet == nil {
				return nil
			}
			return ReleaseOwner(ctx, op.Tx, p.Subnet.ID, toyOwner(op.ID, &p))
		},
	})
	return nil
}

func toyOwner(id arm.ID, p *toyNICProps) string {
	if p.IPConfigurationID != "" {
		return p.IPConfigurationID
	}
	return id.String() + "/ipConfigurations/ipconfig1"
}

func toyNICID(rg, name string) string {
	return "/subscriptions/" + testSub + "/resourceGroups/" + rg + "/providers/Microsoft.Test/nics/" + name
}
