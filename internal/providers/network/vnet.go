package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

const vnetType = "Microsoft.Network/virtualNetworks"

// AddressSpace is ARM's addressSpace.
type AddressSpace struct {
	AddressPrefixes []string `json:"addressPrefixes"`
}

// DhcpOptions is a virtual network's dhcpOptions.
type DhcpOptions struct {
	DNSServers []string `json:"dnsServers"`
}

// VirtualNetworkProperties are the stored properties of a virtual network
// (subnets and peerings are separate child records rendered inline).
type VirtualNetworkProperties struct {
	AddressSpace                AddressSpace `json:"addressSpace"`
	DhcpOptions                 *DhcpOptions `json:"dhcpOptions,omitempty"`
	FlowTimeoutInMinutes        *int32       `json:"flowTimeoutInMinutes,omitempty"`
	EnableDdosProtection        bool         `json:"enableDdosProtection"`
	EnableVMProtection          *bool        `json:"enableVmProtection,omitempty"`
	DdosProtectionPlan          *SubResource `json:"ddosProtectionPlan,omitempty"`
	PrivateEndpointVNetPolicies string       `json:"privateEndpointVNetPolicies,omitempty"`
	ResourceGUID                string       `json:"resourceGuid,omitempty"`
	ProvisioningState           string       `json:"provisioningState,omitempty"`
}

// DecodeVirtualNetwork decodes a virtual network record's properties.
func DecodeVirtualNetwork(rec *arm.Record) (*VirtualNetworkProperties, error) {
	var p VirtualNetworkProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode virtual network %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// LoadVirtualNetwork reads a virtual network in t (nil, nil when absent).
func LoadVirtualNetwork(ctx context.Context, t *arm.Txn, id string) (*arm.Record, *VirtualNetworkProperties, error) {
	rec, err := t.Get(ctx, id)
	if err != nil || rec == nil {
		return nil, nil, err
	}
	p, err := DecodeVirtualNetwork(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, p, nil
}

// VirtualNetworkPrefixes returns the parsed address space of a virtual
// network record.
func VirtualNetworkPrefixes(rec *arm.Record) []netip.Prefix {
	if rec == nil {
		return nil
	}
	p, err := DecodeVirtualNetwork(rec)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, s := range p.AddressSpace.AddressPrefixes {
		if pf, perr := parseCIDR(s); perr == prefixOK {
			out = append(out, pf)
		}
	}
	return out
}

// nameRE is Azure's rule for network resource names: 1-80 word
// characters, '.', '-' or '_', starting with a word character and ending
// with a word character or '_'.
var nameRE = regexp.MustCompile(`^\w([\w.-]{0,78}\w)?$`)

var validateNetworkName = ValidateName

// guardKey serializes writes that validate a virtual network's children
// as a set (sibling subnet overlap, one peering per remote): every such
// write reads and rewrites it, so concurrent ones conflict and retry.
func guardKey(vnetID string) string { return "/netguard" + strings.ToLower(vnetID) }

func touchGuard(ctx context.Context, t *arm.Txn, key string) error {
	k := guardKey(key)
	if _, _, err := t.Raw().Get(ctx, k); err != nil {
		return fmt.Errorf("read guard %s: %w", k, err)
	}
	t.Raw().Put(k, []byte(uuid.NewString()))
	return nil
}

func childNotFound(id arm.ID) *arm.Error { return ChildNotFound(id.String()) }

func registerVirtualNetworks(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type:              vnetType,
		APIVersions:       versions(),
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		// Microsoft.Network answers without systemData (REST examples).
		NoSystemData: true,
		Children: []arm.ChildSpec{
			{Property: "subnets", Type: "subnets"},
			{Property: "virtualNetworkPeerings", Type: "virtualNetworkPeerings", KeepWhenAbsent: true},
		},
		ValidateName: validateNetworkName,
		Put:          putVirtualNetwork,
		Delete:       deleteVirtualNetwork,
	})
	registerSubnets(p)
	registerPeerings(p)
	return nil
}

// vnetInput is a virtual network PUT body's properties as accepted.
type vnetInput struct {
	AddressSpace *struct {
		AddressPrefixes []string `json:"addressPrefixes"`
	} `json:"addressSpace"`
	DhcpOptions *struct {
		DNSServers []string `json:"dnsServers"`
	} `json:"dhcpOptions"`
	FlowTimeoutInMinutes        *int32       `json:"flowTimeoutInMinutes"`
	EnableDdosProtection        *bool        `json:"enableDdosProtection"`
	EnableVMProtection          *bool        `json:"enableVmProtection"`
	DdosProtectionPlan          *SubResource `json:"ddosProtectionPlan"`
	PrivateEndpointVNetPolicies string       `json:"privateEndpointVNetPolicies"`
}

var privateEndpointVNetPolicies = []string{"Disabled", "Basic"}

func putVirtualNetwork(ctx context.Context, op *arm.PutOp) error {
	var in vnetInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	out := VirtualNetworkProperties{AddressSpace: AddressSpace{AddressPrefixes: []string{}}}
	if in.AddressSpace != nil && in.AddressSpace.AddressPrefixes != nil {
		out.AddressSpace.AddressPrefixes = in.AddressSpace.AddressPrefixes
	}
	space, err := parsePrefixes(out.AddressSpace.AddressPrefixes, id)
	if err != nil {
		return err
	}
	for i, p := range space {
		for _, q := range space[:i] {
			if p.Overlaps(q) {
				return arm.BadRequest("NetcfgInvalidVirtualNetworkSite",
					"Address prefix %s overlaps with address prefix %s in the address space of virtual network %s.", p, q, op.ID.Name())
			}
		}
	}
	out.AddressSpace.AddressPrefixes = formatPrefixes(space)
	if in.DhcpOptions != nil {
		out.DhcpOptions = &DhcpOptions{DNSServers: []string{}}
		for _, s := range in.DhcpOptions.DNSServers {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil || a.Zone() != "" {
				return arm.BadRequest("InvalidDnsServerIpAddress",
					"DNS server IP address %s specified in virtual network %s is not a valid IP address.", s, id)
			}
			out.DhcpOptions.DNSServers = append(out.DhcpOptions.DNSServers, a.String())
		}
	}
	out.FlowTimeoutInMinutes = in.FlowTimeoutInMinutes
	if in.EnableDdosProtection != nil {
		out.EnableDdosProtection = *in.EnableDdosProtection
	}
	out.EnableVMProtection = in.EnableVMProtection
	if in.DdosProtectionPlan != nil && in.DdosProtectionPlan.ID != "" {
		out.DdosProtectionPlan = in.DdosProtectionPlan
	}
	if in.PrivateEndpointVNetPolicies != "" {
		v, ok := canonicalEnum(in.PrivateEndpointVNetPolicies, privateEndpointVNetPolicies)
		if !ok {
			return invalidEnum("privateEndpointVNetPolicies", in.PrivateEndpointVNetPolicies, privateEndpointVNetPolicies)
		}
		out.PrivateEndpointVNetPolicies = v
	}
	if op.Existing != nil {
		old, err := DecodeVirtualNetwork(op.Existing)
		if err != nil {
			return err
		}
		out.ResourceGUID = old.ResourceGUID
	}
	if out.ResourceGUID == "" {
		out.ResourceGUID = uuid.NewString()
	}
	if err := touchGuard(ctx, op.Tx, id); err != nil {
		return err
	}
	if err := checkInlineSubnets(op, space); err != nil {
		return err
	}
	if op.Existing != nil {
		if err := checkPeeredSpaces(ctx, op, space); err != nil {
			return err
		}
	}
	return op.Body.SetProperties(out)
}

// checkInlineSubnets validates the subnets of the PUT body as the set the
// virtual network will hold: each inside the address space, none
// overlapping another.
func checkInlineSubnets(op *arm.PutOp, space []netip.Prefix) error {
	var body struct {
		Properties struct {
			Subnets []struct {
				Name       string           `json:"name"`
				Properties SubnetProperties `json:"properties"`
			} `json:"subnets"`
		} `json:"properties"`
	}
	if len(op.Req.Body) > 0 {
		if err := json.Unmarshal(op.Req.Body, &body); err != nil {
			return arm.BadRequest("InvalidRequestContent",
				"The request content was invalid and could not be deserialized: '%s'.", err.Error())
		}
	}
	var seen [][]netip.Prefix
	for _, s := range body.Properties.Subnets {
		if s.Name == "" {
			continue // the engine reports the missing name
		}
		sid := op.ID.Child("subnets", s.Name)
		prefixes, err := validateSubnetPrefixes(&s.Properties, sid.String(), s.Name, op.ID.Name())
		if err != nil {
			return err
		}
		for _, p := range prefixes {
			if !containedInAny(space, p) {
				return subnetOutsideVnet(s.Name, op.ID.Name())
			}
		}
		for _, other := range seen {
			if _, _, ok := firstOverlap(prefixes, other); ok {
				return subnetsOverlap(s.Name, op.ID.Name())
			}
		}
		seen = append(seen, prefixes)
	}
	return nil
}

// checkPeeredSpaces refuses an address space that would overlap a virtual
// network this one is peered with.
func checkPeeredSpaces(ctx context.Context, op *arm.PutOp, space []netip.Prefix) error {
	peerings, err := op.Tx.Children(ctx, op.ID, "virtualNetworkPeerings")
	if err != nil {
		return err
	}
	for _, pr := range peerings {
		pp, err := DecodePeering(pr)
		if err != nil {
			return err
		}
		if pp.RemoteVirtualNetwork == nil {
			continue
		}
		remote, err := op.Tx.Get(ctx, pp.RemoteVirtualNetwork.ID)
		if err != nil {
			return err
		}
		if remote == nil {
			continue
		}
		if overl := overlapList(space, VirtualNetworkPrefixes(remote)); len(overl) > 0 {
			return arm.BadRequest("VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
				"Cannot update address space of virtual network %s because it overlaps with address space of virtual network %s already peered with it. Overlapping address prefixes: %s.",
				op.ID.String(), remote.Resource.ID, strings.Join(overl, ", "))
		}
	}
	return nil
}

// overlapList names the overlapping ranges between a and b (the smaller
// prefix of each overlapping pair).
func overlapList(a, b []netip.Prefix) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if !x.Overlaps(y) {
				continue
			}
			p := x
			if y.Bits() > x.Bits() {
				p = y
			}
			s := p.String()
			dup := false
			for _, o := range out {
				if o == s {
					dup = true
				}
			}
			if !dup {
				out = append(out, s)
			}
		}
	}
	return out
}

// deleteVirtualNetwork disconnects the peerings of other virtual networks
// that point at this one (those refs are not blocking), and drops the
// guard key.
func deleteVirtualNetwork(ctx context.Context, op *arm.DeleteOp) error {
	refs, err := op.Tx.RefsTo(ctx, op.ID.String())
	if err != nil {
		return err
	}
	self := strings.ToLower(op.ID.String()) + "/"
	for _, r := range refs {
		if r.Kind != kindRemoteVirtualNetwork || strings.HasPrefix(strings.ToLower(r.Source), self) {
			continue
		}
		if err := disconnectPeering(ctx, op.Tx, r.Source, op.ID.String()); err != nil {
			return err
		}
	}
	op.Tx.Raw().Delete(guardKey(op.ID.String()))
	return nil
}
