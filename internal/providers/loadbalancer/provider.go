package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

const nicType = "Microsoft.Network/networkInterfaces"

// Provider registers Microsoft.Network/loadBalancers. Register it after
// network.Provider: it wraps the network interface PUT hook to validate and
// index backend pool membership.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return network.Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	spec := &arm.TypeSpec{
		Type:              Type,
		APIVersions:       append([]string(nil), network.APIVersions...),
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		ValidateName:      validateName,
		Put:               putLoadBalancer,
		Delete:            deleteLoadBalancer,
		InUse:             loadBalancerInUse,
		Render:            renderLoadBalancer,
	}
	p.Registry.Register(spec)
	nic, ok := p.Registry.Lookup(nicType)
	if !ok || nic.Put == nil {
		return fmt.Errorf("loadbalancer: %s is not registered; register network.Provider first", nicType)
	}
	nic.Put = withPoolMembership(nic.Put)
	if p.Server != nil {
		registerChildRoutes(p.Server, spec)
	}
	return nil
}

func decodeSkuInput(op *arm.PutOp) (Sku, error) {
	var sku Sku
	if len(op.Body.SKU) > 0 && string(op.Body.SKU) != "null" {
		if err := json.Unmarshal(op.Body.SKU, &sku); err != nil {
			return sku, arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
		}
	}
	var err error
	if sku.Name, err = nrpEnum(sku.Name, skuNames, "LoadBalancerSkuName", "sku.name"); err != nil {
		return sku, err
	}
	if sku.Tier, err = nrpEnum(sku.Tier, skuTiers, "LoadBalancerSkuTier", "sku.tier"); err != nil {
		return sku, err
	}
	if sku.Name == "" && op.Existing != nil {
		sku.Name = DecodeSku(op.Existing).Name
	}
	if sku.Name == "" {
		sku.Name = SkuBasic
	}
	if sku.Tier == "" {
		sku.Tier = TierRegional
	}
	if op.Existing != nil && DecodeSku(op.Existing).Name != sku.Name {
		return sku, arm.BadRequest("CannotChangeLoadBalancerSku",
			"Cannot change the sku of load balancer %s from %s to %s.", op.ID.String(), DecodeSku(op.Existing).Name, sku.Name)
	}
	if sku.Tier == TierGlobal && sku.Name != SkuStandard {
		return sku, arm.BadRequest("GlobalTierLoadBalancerMustBeStandardSku",
			"Global tier load balancer %s must use the Standard sku.", op.ID.String())
	}
	return sku, nil
}

func existingGUID(rec *arm.Record) string {
	if rec != nil {
		if p, err := DecodeLoadBalancer(rec); err == nil && p.ResourceGUID != "" {
			return p.ResourceGUID
		}
	}
	return uuid.NewString()
}

func putLoadBalancer(ctx context.Context, op *arm.PutOp) error {
	var in lbInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	sku, err := decodeSkuInput(op)
	if err != nil {
		return err
	}
	var old *LoadBalancerProperties
	if op.Existing != nil {
		if old, err = DecodeLoadBalancer(op.Existing); err != nil {
			return err
		}
	}
	props, refs, err := build(ctx, op.Tx, op.ID.String(), op.Body.Location, sku, &in, old, existingGUID(op.Existing))
	if err != nil {
		return err
	}
	op.Refs = refs
	b, err := json.Marshal(sku)
	if err != nil {
		return fmt.Errorf("encode sku: %w", err)
	}
	op.Body.SKU = b
	return op.Body.SetProperties(props)
}

func deleteLoadBalancer(ctx context.Context, op *arm.DeleteOp) error {
	p, err := DecodeLoadBalancer(op.Record)
	if err != nil {
		return err
	}
	for _, f := range p.FrontendIPConfigurations {
		if f.Properties.Subnet != nil && f.Properties.PrivateIPAddress != "" {
			if err := network.ReleaseIP(ctx, op.Tx, f.Properties.Subnet.ID, f.Properties.PrivateIPAddress, f.ID); err != nil {
				return fmt.Errorf("release %s: %w", f.ID, err)
			}
		}
	}
	return nil
}

func loadBalancerInUse(id arm.ID, refs []arm.Ref) error {
	for _, r := range refs {
		if r.Kind == KindBackendAddressPool {
			return arm.BadRequest("InUseLoadBalancerCannotBeDeleted",
				"Load balancer %s cannot be deleted because its backend address pools are in use by IP configuration %s. Remove the IP configurations from the backend address pools first.",
				id.String(), r.Source)
		}
	}
	return arm.BadRequest("InUseLoadBalancerCannotBeDeleted",
		"Load balancer %s is in use by %s and cannot be deleted.", id.String(), refs[0].Source)
}

// renderLoadBalancer stamps every sub-resource with the load balancer's
// etag and provisioning state and renders backend pool membership.
func renderLoadBalancer(ctx context.Context, op *arm.RenderOp) error {
	p, err := DecodeLoadBalancer(op.Record)
	if err != nil {
		return err
	}
	members, err := poolMembers(ctx, op.Record.Resource.ID, engineReader{op.Engine})
	if err != nil {
		return err
	}
	stampLoadBalancer(p, op.Resource.Etag, op.Record.State, members)
	return op.Resource.SetProperties(p)
}

func stampLoadBalancer(p *LoadBalancerProperties, etag, state string, members map[string][]string) {
	if state == "" {
		state = arm.StateSucceeded
	}
	p.ProvisioningState = state
	for i := range p.FrontendIPConfigurations {
		f := &p.FrontendIPConfigurations[i]
		f.Etag, f.Properties.ProvisioningState = etag, state
	}
	for i := range p.BackendAddressPools {
		b := &p.BackendAddressPools[i]
		b.Etag, b.Properties.ProvisioningState = etag, state
		for _, ipc := range members[strings.ToLower(b.Name)] {
			b.Properties.BackendIPConfigurations = append(b.Properties.BackendIPConfigurations, SubResource{ID: ipc})
		}
	}
	for i := range p.LoadBalancingRules {
		r := &p.LoadBalancingRules[i]
		r.Etag, r.Properties.ProvisioningState = etag, state
	}
	for i := range p.Probes {
		r := &p.Probes[i]
		r.Etag, r.Properties.ProvisioningState = etag, state
	}
	for i := range p.InboundNatRules {
		r := &p.InboundNatRules[i]
		r.Etag, r.Properties.ProvisioningState = etag, state
	}
	for i := range p.OutboundRules {
		r := &p.OutboundRules[i]
		r.Etag, r.Properties.ProvisioningState = etag, state
	}
}

// withPoolMembership wraps the network interface PUT hook: every backend
// pool an IP configuration lists must exist (in the interface's region and
// without IP-based addresses); the IP configuration then holds a blocking
// ref on the load balancer.
func withPoolMembership(next func(context.Context, *arm.PutOp) error) func(context.Context, *arm.PutOp) error {
	return func(ctx context.Context, op *arm.PutOp) error {
		if err := next(ctx, op); err != nil {
			return err
		}
		p, err := network.DecodeNetworkInterface(&arm.Record{Resource: *op.Body})
		if err != nil {
			return err
		}
		nicID := op.ID.String()
		location := arm.NormalizeLocation(op.Body.Location)
		changed := false
		lbs := map[string]*arm.Record{}
		for i := range p.IPConfigurations {
			c := &p.IPConfigurations[i]
			for j := range c.Properties.LoadBalancerBackendAddressPools {
				ref := &c.Properties.LoadBalancerBackendAddressPools[j]
				path := fmt.Sprintf("properties.ipConfigurations[%d].properties.loadBalancerBackendAddressPools[%d].id", i, j)
				lbID, seg, name, ok := splitChildID(ref.ID)
				if !ok {
					if _, err := arm.ParseID(ref.ID); err != nil || ref.ID == "" {
						return invalidPropertyID(ref.ID, path)
					}
					return invalidReference(ref.ID, nicID)
				}
				if !strings.EqualFold(seg, poolsSegment) {
					return invalidReference(ref.ID, nicID)
				}
				lbRec, seen := lbs[strings.ToLower(lbID)]
				if !seen {
					if lbRec, err = op.Tx.Get(ctx, lbID); err != nil {
						return fmt.Errorf("read %s: %w", lbID, err)
					}
					lbs[strings.ToLower(lbID)] = lbRec
				}
				if lbRec == nil || !strings.EqualFold(arm.NormalizeLocation(lbRec.Resource.Location), location) {
					return invalidReference(ref.ID, nicID)
				}
				lbp, err := DecodeLoadBalancer(lbRec)
				if err != nil {
					return err
				}
				pool := lbp.Pool(name)
				if pool == nil {
					return invalidReference(ref.ID, nicID)
				}
				if len(pool.Properties.LoadBalancerBackendAddresses) > 0 {
					return cannotMix(pool.ID, c.ID)
				}
				if ref.ID != pool.ID {
					ref.ID, changed = pool.ID, true
				}
				op.AddRef(lbRec.Resource.ID, KindBackendAddressPool, c.ID, true)
			}
		}
		if changed {
			return op.Body.SetProperties(p)
		}
		return nil
	}
}
