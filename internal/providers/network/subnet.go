package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

const (
	subnetType     = "Microsoft.Network/virtualNetworks/subnets"
	delegationType = "Microsoft.Network/virtualNetworks/subnets/delegations"

	// Ref kinds pointing at a subnet (registered by other types).
	kindIPConfiguration = "ipConfiguration"
	kindPrivateEndpoint = "privateEndpoint"
	// kindSubnet is the kind of the refs a subnet holds on its network
	// security group and route table (rendered there as "subnets").
	kindSubnet = "subnet"

	// minIPv4SubnetBits is Azure's smallest IPv4 subnet (/29: 3 usable
	// addresses); IPv6 subnets must be /64.
	minIPv4SubnetBits = 29
	ipv6SubnetBits    = 64
)

// SubResource is ARM's {"id": ...} reference.
type SubResource struct {
	ID string `json:"id,omitempty"`
}

// ServiceEndpoint is one entry of a subnet's serviceEndpoints.
type ServiceEndpoint struct {
	Service           string   `json:"service,omitempty"`
	Locations         []string `json:"locations,omitempty"`
	ProvisioningState string   `json:"provisioningState,omitempty"`
}

// Delegation is one entry of a subnet's delegations.
type Delegation struct {
	Name       string               `json:"name,omitempty"`
	ID         string               `json:"id,omitempty"`
	Etag       string               `json:"etag,omitempty"`
	Type       string               `json:"type,omitempty"`
	Properties DelegationProperties `json:"properties"`
}

// DelegationProperties are a delegation's properties.
type DelegationProperties struct {
	ServiceName       string   `json:"serviceName"`
	Actions           []string `json:"actions"`
	ProvisioningState string   `json:"provisioningState,omitempty"`
}

// SubnetProperties are the stored properties of a subnet (back-references
// such as ipConfigurations are rendered from the reference index).
type SubnetProperties struct {
	AddressPrefix                     string            `json:"addressPrefix,omitempty"`
	AddressPrefixes                   []string          `json:"addressPrefixes,omitempty"`
	NetworkSecurityGroup              *SubResource      `json:"networkSecurityGroup,omitempty"`
	RouteTable                        *SubResource      `json:"routeTable,omitempty"`
	NatGateway                        *SubResource      `json:"natGateway,omitempty"`
	ServiceEndpoints                  []ServiceEndpoint `json:"serviceEndpoints,omitempty"`
	Delegations                       []Delegation      `json:"delegations"`
	PrivateEndpointNetworkPolicies    string            `json:"privateEndpointNetworkPolicies,omitempty"`
	PrivateLinkServiceNetworkPolicies string            `json:"privateLinkServiceNetworkPolicies,omitempty"`
	DefaultOutboundAccess             *bool             `json:"defaultOutboundAccess,omitempty"`
	SharingScope                      string            `json:"sharingScope,omitempty"`
	ProvisioningState                 string            `json:"provisioningState,omitempty"`
}

// DecodeSubnet decodes a subnet record's properties.
func DecodeSubnet(rec *arm.Record) (*SubnetProperties, error) {
	var p SubnetProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode subnet %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// LoadSubnet reads a subnet in t (nil, nil when it does not exist).
func LoadSubnet(ctx context.Context, t *arm.Txn, id string) (*arm.Record, *SubnetProperties, error) {
	rec, err := t.Get(ctx, id)
	if err != nil || rec == nil {
		return nil, nil, err
	}
	p, err := DecodeSubnet(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, p, nil
}

// SubnetDelegations returns the service names a subnet is delegated to.
func SubnetDelegations(rec *arm.Record) []string {
	if rec == nil {
		return nil
	}
	p, err := DecodeSubnet(rec)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range p.Delegations {
		if d.Properties.ServiceName != "" {
			out = append(out, d.Properties.ServiceName)
		}
	}
	return out
}

type delegatedServiceKey struct{}

// WithDelegatedService marks ctx as carrying requests that a platform
// service (e.g. "Microsoft.ContainerService/managedClusters") makes on its
// own behalf through the in-process ARM client: network interfaces and
// load balancer frontends it places in a subnet delegated to it are
// accepted. A context value cannot cross the wire, so no external caller
// can claim it.
func WithDelegatedService(ctx context.Context, service string) context.Context {
	return context.WithValue(ctx, delegatedServiceKey{}, service)
}

// DelegatedService returns the service ctx acts for ("" for users).
func DelegatedService(ctx context.Context) string {
	s, _ := ctx.Value(delegatedServiceKey{}).(string)
	return s
}

// CheckSubnetAccepts returns Azure's error when consumer may not be placed
// in the subnet because of its delegations: consumer "" is a plain network
// interface / virtual machine, which a delegated subnet refuses; a service
// (e.g. "Microsoft.ContainerService/managedClusters") is refused by a subnet
// delegated to other services.
func CheckSubnetAccepts(rec *arm.Record, consumer string) error {
	delegated := SubnetDelegations(rec)
	if len(delegated) == 0 {
		return nil
	}
	if consumer == "" {
		return arm.BadRequest("ResourceNotPermittedOnDelegatedSubnet",
			"Subnet %s is delegated to %s. Resources of other types are not permitted on the delegated subnet.",
			rec.Resource.ID, strings.Join(delegated, ", "))
	}
	for _, d := range delegated {
		if strings.EqualFold(d, consumer) {
			return nil
		}
	}
	return arm.BadRequest("SubnetMissingRequiredDelegation",
		"Subnet %s requires any of the following delegation(s) [%s] to reference service association link.",
		rec.Resource.ID, consumer)
}

// delegationActions are the actions Azure grants each service on a
// delegated subnet (GET .../availableDelegations); others get none.
var delegationActions = map[string][]string{
	"microsoft.containerservice/managedclusters":  {"Microsoft.Network/virtualNetworks/subnets/join/action"},
	"microsoft.network/dnsresolvers":              {"Microsoft.Network/virtualNetworks/subnets/join/action"},
	"microsoft.web/serverfarms":                   {"Microsoft.Network/virtualNetworks/subnets/action"},
	"microsoft.containerinstance/containergroups": {"Microsoft.Network/virtualNetworks/subnets/action"},
	"microsoft.app/environments":                  {"Microsoft.Network/virtualNetworks/subnets/join/action"},
	"microsoft.dbforpostgresql/flexibleservers":   {"Microsoft.Network/virtualNetworks/subnets/join/action"},
	"microsoft.dbformysql/flexibleservers":        {"Microsoft.Network/virtualNetworks/subnets/join/action"},
	"microsoft.sql/managedinstances": {
		"Microsoft.Network/virtualNetworks/subnets/join/action",
		"Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
		"Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
	},
}

var (
	privateEndpointPolicies    = []string{"Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"}
	privateLinkServicePolicies = []string{"Enabled", "Disabled"}
)

// canonicalEnum returns the allowed spelling of v (case-insensitive).
func canonicalEnum(v string, allowed []string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, true
		}
	}
	return "", false
}

func invalidEnum(prop, v string, allowed []string) error {
	return arm.BadRequest("InvalidRequestFormat",
		"Cannot parse the request. Value '%s' of property '%s' is not valid. Allowed values: %s.", v, prop, strings.Join(allowed, ", "))
}

// subnetPrefixStrings returns addressPrefix / addressPrefixes as given.
func subnetPrefixStrings(p *SubnetProperties) []string {
	var out []string
	if p.AddressPrefix != "" {
		out = append(out, p.AddressPrefix)
	}
	for _, s := range p.AddressPrefixes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// parsePrefixes validates CIDR strings of resource id with Azure's errors.
func parsePrefixes(strs []string, resourceID string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(strs))
	for _, s := range strs {
		p, perr := parseCIDR(s)
		switch perr {
		case prefixMalformed:
			return nil, arm.BadRequest("InvalidAddressPrefixFormat",
				"Address prefix %s of resource %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.", s, resourceID)
		case prefixHostBits:
			return nil, arm.BadRequest("InvalidCIDRNotation",
				"The address prefix %s in resource %s has an invalid CIDR notation. For the given prefix length, the address prefix should be %s.",
				s, resourceID, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

// validateSubnetPrefixes checks one subnet's own prefixes: present, well
// formed, not smaller than Azure allows, not overlapping each other.
func validateSubnetPrefixes(p *SubnetProperties, subnetID, subnetName, vnetName string) ([]netip.Prefix, error) {
	strs := subnetPrefixStrings(p)
	invalid := arm.BadRequest("NetcfgInvalidSubnet", "Subnet '%s' is not valid in virtual network '%s'.", subnetName, vnetName)
	if len(strs) == 0 {
		return nil, invalid
	}
	prefixes, err := parsePrefixes(strs, subnetID)
	if err != nil {
		return nil, err
	}
	for i, pf := range prefixes {
		if pf.Addr().Is4() && pf.Bits() > minIPv4SubnetBits {
			return nil, invalid
		}
		if pf.Addr().Is6() && pf.Bits() != ipv6SubnetBits {
			return nil, invalid
		}
		for _, other := range prefixes[:i] {
			if pf.Overlaps(other) {
				return nil, invalid
			}
		}
	}
	return prefixes, nil
}

// subnetInput is a subnet PUT body's properties as accepted.
type subnetInput struct {
	SubnetProperties
	Delegations []struct {
		Name       string `json:"name"`
		Properties struct {
			ServiceName string   `json:"serviceName"`
			Actions     []string `json:"actions"`
		} `json:"properties"`
	} `json:"delegations"`
}

// normalizeSubnet validates a subnet body (everything that does not depend
// on siblings) and returns its stored properties and prefixes.
func normalizeSubnet(body *arm.Resource, subnetID arm.ID, vnetRec *arm.Record) (*SubnetProperties, []netip.Prefix, error) {
	var in subnetInput
	if err := body.DecodeProperties(&in); err != nil {
		return nil, nil, err
	}
	vnetName := subnetID.Names[0]
	out := in.SubnetProperties
	out.ProvisioningState = ""
	prefixes, err := validateSubnetPrefixes(&out, subnetID.String(), subnetID.Name(), vnetName)
	if err != nil {
		return nil, nil, err
	}
	if out.PrivateEndpointNetworkPolicies == "" {
		out.PrivateEndpointNetworkPolicies = "Disabled"
	} else if v, ok := canonicalEnum(out.PrivateEndpointNetworkPolicies, privateEndpointPolicies); ok {
		out.PrivateEndpointNetworkPolicies = v
	} else {
		return nil, nil, invalidEnum("privateEndpointNetworkPolicies", out.PrivateEndpointNetworkPolicies, privateEndpointPolicies)
	}
	if out.PrivateLinkServiceNetworkPolicies == "" {
		out.PrivateLinkServiceNetworkPolicies = "Enabled"
	} else if v, ok := canonicalEnum(out.PrivateLinkServiceNetworkPolicies, privateLinkServicePolicies); ok {
		out.PrivateLinkServiceNetworkPolicies = v
	} else {
		return nil, nil, invalidEnum("privateLinkServiceNetworkPolicies", out.PrivateLinkServiceNetworkPolicies, privateLinkServicePolicies)
	}
	out.Delegations = make([]Delegation, 0, len(in.Delegations))
	seen := map[string]bool{}
	for _, d := range in.Delegations {
		if d.Name == "" {
			return nil, nil, arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Property 'name' of delegations is required.")
		}
		svc := strings.TrimSpace(d.Properties.ServiceName)
		if parts := strings.Split(svc, "/"); len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return nil, nil, arm.BadRequest("InvalidServiceNameOnDelegation",
				"Delegation %s in subnet %s has an invalid service name '%s'.", d.Name, subnetID.String(), svc)
		}
		if seen[strings.ToLower(d.Name)] {
			return nil, nil, arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Delegation name %s is used more than once in subnet %s.", d.Name, subnetID.String())
		}
		seen[strings.ToLower(d.Name)] = true
		actions, ok := delegationActions[strings.ToLower(svc)]
		if !ok {
			actions = d.Properties.Actions
		}
		out.Delegations = append(out.Delegations, Delegation{
			Name: d.Name,
			Properties: DelegationProperties{
				ServiceName: svc,
				Actions:     append([]string{}, actions...),
			},
		})
	}
	for i := range out.ServiceEndpoints {
		se := &out.ServiceEndpoints[i]
		if strings.TrimSpace(se.Service) == "" {
			return nil, nil, arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Property 'service' of serviceEndpoints is required.")
		}
		if len(se.Locations) == 0 {
			se.Locations = []string{vnetRec.Resource.Location}
		}
		se.ProvisioningState = arm.StateSucceeded
	}
	for _, ref := range []*SubResource{out.NetworkSecurityGroup, out.RouteTable, out.NatGateway} {
		if ref != nil && ref.ID != "" {
			if _, err := arm.ParseID(ref.ID); err != nil {
				return nil, nil, arm.BadRequest("LinkedInvalidPropertyId",
					"Property id '%s' at path 'properties' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.", ref.ID)
			}
		}
	}
	if out.NetworkSecurityGroup != nil && out.NetworkSecurityGroup.ID == "" {
		out.NetworkSecurityGroup = nil
	}
	if out.RouteTable != nil && out.RouteTable.ID == "" {
		out.RouteTable = nil
	}
	if out.NatGateway != nil && out.NatGateway.ID == "" {
		out.NatGateway = nil
	}
	return &out, prefixes, nil
}

func registerSubnets(p *arm.Platform) {
	p.Registry.Register(&arm.TypeSpec{
		Type:              subnetType,
		APIVersions:       versions(),
		Location:          arm.LocationNone,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		BackRefs: []arm.BackRef{
			{Property: "ipConfigurations", Kind: kindIPConfiguration},
			{Property: "privateEndpoints", Kind: kindPrivateEndpoint},
		},
		ValidateName: validateNetworkName,
		Put:          putSubnet,
		Delete:       deleteSubnet,
		InUse:        subnetInUse,
		Render:       renderSubnet,
		NotFound:     childNotFound,
	})
}

func putSubnet(ctx context.Context, op *arm.PutOp) error {
	vnetID, _ := op.ID.Parent()
	vnetRec, err := op.Tx.Get(ctx, vnetID.String())
	if err != nil {
		return err
	}
	if vnetRec == nil {
		return arm.ParentResourceNotFound(vnetID)
	}
	props, prefixes, err := normalizeSubnet(op.Body, op.ID, vnetRec)
	if err != nil {
		return err
	}
	if !op.Inline {
		// Inline subnets are checked as a set by the virtual network.
		if err := touchGuard(ctx, op.Tx, vnetID.String()); err != nil {
			return err
		}
		space := VirtualNetworkPrefixes(vnetRec)
		for _, pf := range prefixes {
			if !containedInAny(space, pf) {
				return subnetOutsideVnet(op.ID.Name(), vnetID.Name())
			}
		}
		sibs, err := op.Tx.Children(ctx, vnetID, "subnets")
		if err != nil {
			return err
		}
		for _, s := range sibs {
			if strings.EqualFold(s.Resource.Name, op.ID.Name()) {
				continue
			}
			if _, _, ok := firstOverlap(prefixes, SubnetPrefixes(s)); ok {
				return subnetsOverlap(op.ID.Name(), vnetID.Name())
			}
		}
	}
	if op.Existing != nil {
		if err := checkSubnetUpdate(ctx, op, props, prefixes); err != nil {
			return err
		}
	}
	subnetID := op.ID.String()
	if props.NetworkSecurityGroup != nil {
		op.AddRef(props.NetworkSecurityGroup.ID, kindSubnet, subnetID, true)
	}
	if props.RouteTable != nil {
		op.AddRef(props.RouteTable.ID, kindSubnet, subnetID, true)
	}
	return op.Body.SetProperties(props)
}

// checkSubnetUpdate refuses changes Azure does not allow on a subnet in
// use: other delegations, or prefixes no longer holding reserved addresses.
func checkSubnetUpdate(ctx context.Context, op *arm.PutOp, props *SubnetProperties, prefixes []netip.Prefix) error {
	refs, err := op.Tx.RefsTo(ctx, op.ID.String())
	if err != nil {
		return err
	}
	var user string
	for _, r := range refs {
		if r.Kind == kindIPConfiguration || r.Kind == kindPrivateEndpoint {
			user = r.Source
			break
		}
	}
	old := SubnetDelegations(op.Existing)
	var now []string
	for _, d := range props.Delegations {
		now = append(now, d.Properties.ServiceName)
	}
	if user != "" && !sameFold(old, now) {
		return arm.BadRequest("SubnetDelegationsCannotChangeWhenSubnetUsedByResource",
			"Delegations of subnet %s cannot be changed from [%s] to [%s] because it is being used by the resource %s.",
			op.ID.String(), strings.Join(old, ", "), strings.Join(now, ", "), user)
	}
	allocs, err := SubnetAllocations(ctx, op.Tx, op.ID.String())
	if err != nil {
		return err
	}
	for _, a := range allocs {
		in := false
		for _, p := range prefixes {
			if p.Contains(a.IP) {
				in = true
				break
			}
		}
		if !in {
			return arm.BadRequest("InUseSubnetCannotBeUpdated",
				"Subnet %s is in use by %s and cannot be updated: its private IP address %s would be outside the subnet's address prefixes.",
				op.ID.Name(), a.Owner, a.IP)
		}
	}
	return nil
}

func sameFold(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := make([]string, len(a))
	y := make([]string, len(b))
	for i := range a {
		x[i] = strings.ToLower(a[i])
		y[i] = strings.ToLower(b[i])
	}
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func subnetOutsideVnet(subnet, vnet string) error {
	return arm.BadRequest("NetcfgSubnetRangeOutsideVnet",
		"Subnet '%s' is not valid because its IP address range is outside the IP address range of virtual network '%s'.", subnet, vnet)
}

func subnetsOverlap(subnet, vnet string) error {
	return arm.BadRequest("NetcfgSubnetRangesOverlap",
		"Subnet '%s' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '%s'.", subnet, vnet)
}

func deleteSubnet(ctx context.Context, op *arm.DeleteOp) error {
	return releaseSubnet(ctx, op.Tx, op.ID.String())
}

func subnetInUse(id arm.ID, refs []arm.Ref) error {
	src := refs[0].Source
	for _, r := range refs {
		if r.Kind == kindIPConfiguration || r.Kind == kindPrivateEndpoint {
			src = r.Source
			break
		}
	}
	return arm.BadRequest("InUseSubnetCannotBeDeleted",
		"Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
		id.Name(), src)
}

// renderSubnet fills the delegations' read-only fields.
func renderSubnet(ctx context.Context, op *arm.RenderOp) error {
	m := op.Resource.PropertiesMap()
	raw, ok := m["delegations"].([]any)
	if !ok {
		return nil
	}
	for _, d := range raw {
		dm, ok := d.(map[string]any)
		if !ok {
			continue
		}
		name, _ := dm["name"].(string)
		dm["id"] = op.Resource.ID + "/delegations/" + name
		dm["etag"] = op.Resource.Etag
		dm["type"] = delegationType
		if pm, ok := dm["properties"].(map[string]any); ok {
			pm["provisioningState"] = arm.StateSucceeded
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}
