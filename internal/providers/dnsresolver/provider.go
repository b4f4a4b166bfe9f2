package dnsresolver

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Resource types served by this package.
const (
	ResolverType = "Microsoft.Network/dnsResolvers"
	InboundType  = ResolverType + "/inboundEndpoints"
	OutboundType = ResolverType + "/outboundEndpoints"
	RulesetType  = "Microsoft.Network/dnsForwardingRulesets"
	RuleType     = RulesetType + "/forwardingRules"
	LinkType     = RulesetType + "/virtualNetworkLinks"

	vnetType   = "Microsoft.Network/virtualNetworks"
	subnetType = vnetType + "/subnets"

	// DelegationService is the service endpoint subnets are delegated to.
	DelegationService = "Microsoft.Network/dnsResolvers"

	// Ref kinds.
	kindResolverVNet = "dnsResolver"              // resolver -> virtual network (blocking)
	kindEndpoint     = "dnsResolverEndpoint"      // endpoint -> subnet (blocking)
	kindRulesetOut   = "dnsForwardingRuleset"     // ruleset -> outbound endpoint (blocking)
	kindRulesetLink  = "dnsForwardingRulesetLink" // link -> virtual network

	// Limits (Azure DNS Private Resolver limits).
	MaxRulesPerRuleset     = 1000
	MaxOutboundPerRuleset  = 2
	MaxTargetsPerRule      = 6
	MinEndpointPrefixBits  = 24
	MaxEndpointPrefixBits  = 28
	stateConnected         = "Connected"
	ruleEnabled            = "Enabled"
	ruleDisabled           = "Disabled"
	allocDynamic           = "Dynamic"
	allocStatic            = "Static"
	defaultDNSPort         = 53
	maxRulesetLinksPerVNet = 1
)

// APIVersions are the api-versions accepted: 2022-07-01 (the first GA
// version; az dns-resolver's aaz commands and armdnsresolver v1.x) and
// 2025-05-01 (the current GA version).
var APIVersions = []string{"2022-07-01", "2025-05-01"}

func versions() []string { return append([]string(nil), APIVersions...) }

// Provider implements arm.Provider. Register it after the network
// provider (subnets, virtual networks, IP address management).
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return network.Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	vs := versions()
	p.Registry.Register(
		&arm.TypeSpec{
			Type: ResolverType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
			ValidateName: validateName, Put: putResolver, Delete: deleteResolver,
		},
		&arm.TypeSpec{
			Type: InboundType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
			ValidateName: validateName, Put: putInbound, Delete: deleteEndpoint, NotFound: childNotFound,
		},
		&arm.TypeSpec{
			Type: OutboundType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
			ValidateName: validateName, Put: putOutbound, Delete: deleteEndpoint, InUse: outboundInUse, NotFound: childNotFound,
		},
		&arm.TypeSpec{
			Type: RulesetType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
			ValidateName: validateName, Put: putRuleset,
		},
		&arm.TypeSpec{
			Type: RuleType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true,
			ValidateName:      validateName, Put: putRule, Patch: patchRule, NotFound: childNotFound,
		},
		&arm.TypeSpec{
			Type: LinkType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
			ValidateName: validateName, Put: putLink, NotFound: childNotFound, TargetDeleted: linkNetworkDeleted,
		},
	)
	registerListByVNet(p)
	return nil
}

// SubResource is ARM's {"id": ...}.
type SubResource = network.SubResource

var nameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_-]{0,78}[A-Za-z0-9])?$`)

// validateName applies the DNS resolver naming rule (1-80 characters:
// alphanumerics, underscores and hyphens, starting and ending with an
// alphanumeric).
func validateName(name string) error {
	if !nameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin and end with an alphanumeric character. The name may contain alphanumeric characters, underscores and hyphens.", name)
	}
	return nil
}

func childNotFound(id arm.ID) *arm.Error { return network.ChildNotFound(id.String()) }

var invalidPropertyID = network.InvalidPropertyID

var invalidReference = network.InvalidReference

func missingProperty(path string) error {
	return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property '%s' is required.", path)
}

// parseTyped parses ref as a resource ID of wantType.
func parseTyped(ref *SubResource, wantType, path string) (arm.ID, error) {
	if ref == nil || strings.TrimSpace(ref.ID) == "" {
		return arm.ID{}, missingProperty(path)
	}
	id, err := arm.ParseID(ref.ID)
	if err != nil || id.IsCollection() || id.Namespace == "" || !strings.EqualFold(id.Type(), wantType) {
		return arm.ID{}, invalidPropertyID(ref.ID, path)
	}
	return id, nil
}

// getRef reads a referenced resource; a missing one is Azure's
// InvalidResourceReference.
func getRef(ctx context.Context, t *arm.Txn, id arm.ID, referrer string) (*arm.Record, error) {
	rec, err := t.Get(ctx, id.String())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if rec == nil {
		return nil, invalidReference(id.String(), referrer)
	}
	return rec, nil
}

// sameRegion compares locations the way ARM does (case and spaces).
func sameRegion(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	return norm(a) == norm(b)
}

func newGUID() string { return uuid.NewString() }

func enumOf(v string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, true
		}
	}
	return "", false
}

func invalidEnum(prop, v string, allowed ...string) error {
	return arm.BadRequest("InvalidRequestFormat",
		"Cannot parse the request. Value '%s' of property '%s' is not valid. Allowed values: %s.", v, prop, strings.Join(allowed, ", "))
}

// keepGUID returns the resourceGuid of an existing record, or a new one.
func keepGUID(existing *arm.Record) string {
	if existing != nil {
		var p struct {
			ResourceGUID string `json:"resourceGuid"`
		}
		if existing.Resource.DecodeProperties(&p) == nil && p.ResourceGUID != "" {
			return p.ResourceGUID
		}
	}
	return newGUID()
}

// checkEndpointSubnet applies Azure's rules to an endpoint's subnet: in
// the resolver's virtual network, delegated to Microsoft.Network/
// dnsResolvers, /28 to /24, and used by no other endpoint or workload.
func checkEndpointSubnet(ctx context.Context, t *arm.Txn, resolverVNet string, ref *SubResource, path, endpointID, kind string) (*arm.Record, error) {
	sid, err := parseTyped(ref, subnetType, path)
	if err != nil {
		return nil, err
	}
	vnetOf, _ := sid.Parent()
	if !arm.SameID(vnetOf.String(), resolverVNet) {
		return nil, arm.BadRequest("BadRequest",
			"The subnet %s of the %s endpoint must belong to the virtual network %s of the DNS resolver.", sid.String(), kind, resolverVNet)
	}
	rec, err := getRef(ctx, t, sid, endpointID)
	if err != nil {
		return nil, err
	}
	delegated := false
	for _, d := range network.SubnetDelegations(rec) {
		delegated = delegated || strings.EqualFold(d, DelegationService)
	}
	if !delegated {
		return nil, arm.BadRequest("SubnetMissingRequiredDelegation",
			"Subnet %s requires any of the following delegation(s) [%s] to reference service association link %s/serviceAssociationLinks/dnsResolverLink.",
			rec.Resource.ID, DelegationService, rec.Resource.ID)
	}
	unusable := arm.BadRequest("BadRequest",
		"The specified subnet %s could not be used to provision the %s endpoint. Please make sure you use a subnet of at least /%d and at most /%d size, which is not currently in use by any other DNS resolver endpoint or any other Azure service workloads.",
		rec.Resource.ID, kind, MaxEndpointPrefixBits, MinEndpointPrefixBits)
	prefixes := network.SubnetPrefixes(rec)
	ok := false
	for _, p := range prefixes {
		if p.Addr().Is4() && p.Bits() >= MinEndpointPrefixBits && p.Bits() <= MaxEndpointPrefixBits {
			ok = true
		}
	}
	if !ok {
		return nil, unusable
	}
	refs, err := t.RefsTo(ctx, rec.Resource.ID)
	if err != nil {
		return nil, fmt.Errorf("refs of %s: %w", rec.Resource.ID, err)
	}
	for _, r := range refs {
		if arm.SameID(r.Source, endpointID) {
			continue
		}
		if r.Kind == kindEndpoint || r.Kind == "ipConfiguration" || r.Kind == "privateEndpoint" {
			return nil, unusable
		}
	}
	allocs, err := network.SubnetAllocations(ctx, t, rec.Resource.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range allocs {
		if !arm.SameID(a.Owner, endpointID) {
			return nil, unusable
		}
	}
	return rec, nil
}

// resolverOf reads the parent resolver of an endpoint and its VNet ID.
func resolverOf(ctx context.Context, t *arm.Txn, endpoint arm.ID) (*arm.Record, string, error) {
	pid, _ := endpoint.Parent()
	rec, err := t.Get(ctx, pid.String())
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", pid, err)
	}
	if rec == nil {
		return nil, "", arm.ParentResourceNotFound(pid)
	}
	var p resolverProps
	if err := rec.Resource.DecodeProperties(&p); err != nil {
		return nil, "", fmt.Errorf("decode %s: %w", pid, err)
	}
	if p.VirtualNetwork == nil {
		return rec, "", nil
	}
	return rec, p.VirtualNetwork.ID, nil
}

// validIPv4 parses an IPv4 address.
func validIPv4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}
