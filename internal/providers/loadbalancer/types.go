package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Resource types.
const (
	Type                  = "Microsoft.Network/loadBalancers"
	FrontendType          = Type + "/frontendIPConfigurations"
	BackendPoolType       = Type + "/backendAddressPools"
	RuleType              = Type + "/loadBalancingRules"
	ProbeType             = Type + "/probes"
	InboundNatRuleType    = Type + "/inboundNatRules"
	OutboundRuleType      = Type + "/outboundRules"
	frontendsSegment      = "frontendIPConfigurations"
	poolsSegment          = "backendAddressPools"
	rulesSegment          = "loadBalancingRules"
	probesSegment         = "probes"
	inboundNatSegment     = "inboundNatRules"
	outboundRulesSegment  = "outboundRules"
	inboundNatPoolSegment = "inboundNatPools"
)

// KindBackendAddressPool is the kind of the ref a network interface IP
// configuration holds on a load balancer whose backend pools it joined.
const KindBackendAddressPool = "loadBalancerBackendAddressPool"

// SKU names and tiers.
const (
	SkuBasic     = "Basic"
	SkuStandard  = "Standard"
	TierRegional = "Regional"
	TierGlobal   = "Global"
)

// SubResource is ARM's {"id": ...} reference.
type SubResource = network.SubResource

// Sku is a load balancer's sku.
type Sku struct {
	Name string `json:"name,omitempty"`
	Tier string `json:"tier,omitempty"`
}

// LoadBalancerProperties are a load balancer's stored properties.
type LoadBalancerProperties struct {
	ProvisioningState        string                    `json:"provisioningState,omitempty"`
	ResourceGUID             string                    `json:"resourceGuid,omitempty"`
	FrontendIPConfigurations []FrontendIPConfiguration `json:"frontendIPConfigurations"`
	BackendAddressPools      []BackendAddressPool      `json:"backendAddressPools"`
	LoadBalancingRules       []LoadBalancingRule       `json:"loadBalancingRules"`
	Probes                   []Probe                   `json:"probes"`
	InboundNatRules          []InboundNatRule          `json:"inboundNatRules"`
	InboundNatPools          []json.RawMessage         `json:"inboundNatPools"`
	OutboundRules            []OutboundRule            `json:"outboundRules"`
}

// FrontendIPConfiguration is one frontend of a load balancer.
type FrontendIPConfiguration struct {
	Name       string                            `json:"name"`
	ID         string                            `json:"id,omitempty"`
	Etag       string                            `json:"etag,omitempty"`
	Type       string                            `json:"type,omitempty"`
	Zones      []string                          `json:"zones,omitempty"`
	Properties FrontendIPConfigurationProperties `json:"properties"`
}

// FrontendIPConfigurationProperties are a frontend's properties.
type FrontendIPConfigurationProperties struct {
	ProvisioningState         string        `json:"provisioningState,omitempty"`
	PrivateIPAddress          string        `json:"privateIPAddress,omitempty"`
	PrivateIPAllocationMethod string        `json:"privateIPAllocationMethod,omitempty"`
	PrivateIPAddressVersion   string        `json:"privateIPAddressVersion,omitempty"`
	Subnet                    *SubResource  `json:"subnet,omitempty"`
	PublicIPAddress           *SubResource  `json:"publicIPAddress,omitempty"`
	PublicIPPrefix            *SubResource  `json:"publicIPPrefix,omitempty"`
	GatewayLoadBalancer       *SubResource  `json:"gatewayLoadBalancer,omitempty"`
	LoadBalancingRules        []SubResource `json:"loadBalancingRules,omitempty"`
	InboundNatRules           []SubResource `json:"inboundNatRules,omitempty"`
	InboundNatPools           []SubResource `json:"inboundNatPools,omitempty"`
	OutboundRules             []SubResource `json:"outboundRules,omitempty"`
}

// IsInternal reports whether the frontend takes a private IP from a subnet.
func (fe *FrontendIPConfiguration) IsInternal() bool {
	return fe.Properties.Subnet != nil && fe.Properties.Subnet.ID != ""
}

// BackendAddressPool is one backend pool of a load balancer.
type BackendAddressPool struct {
	Name       string                       `json:"name"`
	ID         string                       `json:"id,omitempty"`
	Etag       string                       `json:"etag,omitempty"`
	Type       string                       `json:"type,omitempty"`
	Properties BackendAddressPoolProperties `json:"properties"`
}

// BackendAddressPoolProperties are a backend pool's properties.
// BackendIPConfigurations is only rendered (from the network interfaces that
// joined the pool), never stored.
type BackendAddressPoolProperties struct {
	ProvisioningState            string                       `json:"provisioningState,omitempty"`
	Location                     string                       `json:"location,omitempty"`
	VirtualNetwork               *SubResource                 `json:"virtualNetwork,omitempty"`
	BackendIPConfigurations      []SubResource                `json:"backendIPConfigurations,omitempty"`
	LoadBalancerBackendAddresses []LoadBalancerBackendAddress `json:"loadBalancerBackendAddresses,omitempty"`
	LoadBalancingRules           []SubResource                `json:"loadBalancingRules,omitempty"`
	OutboundRules                []SubResource                `json:"outboundRules,omitempty"`
	InboundNatRules              []SubResource                `json:"inboundNatRules,omitempty"`
}

// LoadBalancerBackendAddress is an IP-based backend of a pool.
type LoadBalancerBackendAddress struct {
	Name       string                               `json:"name"`
	Properties LoadBalancerBackendAddressProperties `json:"properties"`
}

// LoadBalancerBackendAddressProperties are an IP-based backend's properties.
type LoadBalancerBackendAddressProperties struct {
	IPAddress                           string       `json:"ipAddress,omitempty"`
	VirtualNetwork                      *SubResource `json:"virtualNetwork,omitempty"`
	Subnet                              *SubResource `json:"subnet,omitempty"`
	LoadBalancerFrontendIPConfiguration *SubResource `json:"loadBalancerFrontendIPConfiguration,omitempty"`
	AdminState                          string       `json:"adminState,omitempty"`
}

// LoadBalancingRule is one load-balancing rule.
type LoadBalancingRule struct {
	Name       string                      `json:"name"`
	ID         string                      `json:"id,omitempty"`
	Etag       string                      `json:"etag,omitempty"`
	Type       string                      `json:"type,omitempty"`
	Properties LoadBalancingRuleProperties `json:"properties"`
}

// LoadBalancingRuleProperties are a rule's properties.
type LoadBalancingRuleProperties struct {
	ProvisioningState        string        `json:"provisioningState,omitempty"`
	FrontendIPConfiguration  *SubResource  `json:"frontendIPConfiguration,omitempty"`
	BackendAddressPool       *SubResource  `json:"backendAddressPool,omitempty"`
	BackendAddressPools      []SubResource `json:"backendAddressPools,omitempty"`
	Probe                    *SubResource  `json:"probe,omitempty"`
	Protocol                 string        `json:"protocol"`
	LoadDistribution         string        `json:"loadDistribution"`
	FrontendPort             int           `json:"frontendPort"`
	BackendPort              int           `json:"backendPort"`
	IdleTimeoutInMinutes     int           `json:"idleTimeoutInMinutes"`
	EnableFloatingIP         bool          `json:"enableFloatingIP"`
	EnableTCPReset           bool          `json:"enableTcpReset"`
	DisableOutboundSnat      bool          `json:"disableOutboundSnat"`
	EnableConnectionTracking bool          `json:"enableConnectionTracking"`
}

// HAPorts reports whether the rule is an HA-ports rule (all protocols,
// every port).
func (r *LoadBalancingRule) HAPorts() bool {
	return r.Properties.Protocol == "All" && r.Properties.FrontendPort == 0 && r.Properties.BackendPort == 0
}

// Probe is one health probe.
type Probe struct {
	Name       string          `json:"name"`
	ID         string          `json:"id,omitempty"`
	Etag       string          `json:"etag,omitempty"`
	Type       string          `json:"type,omitempty"`
	Properties ProbeProperties `json:"properties"`
}

// ProbeProperties are a probe's properties.
type ProbeProperties struct {
	ProvisioningState  string        `json:"provisioningState,omitempty"`
	Protocol           string        `json:"protocol"`
	Port               int           `json:"port"`
	RequestPath        string        `json:"requestPath,omitempty"`
	IntervalInSeconds  int           `json:"intervalInSeconds"`
	NumberOfProbes     int           `json:"numberOfProbes"`
	ProbeThreshold     int           `json:"probeThreshold"`
	LoadBalancingRules []SubResource `json:"loadBalancingRules,omitempty"`
}

// InboundNatRule is one inbound NAT rule (stored, no data-plane behaviour).
type InboundNatRule struct {
	Name       string                   `json:"name"`
	ID         string                   `json:"id,omitempty"`
	Etag       string                   `json:"etag,omitempty"`
	Type       string                   `json:"type,omitempty"`
	Properties InboundNatRuleProperties `json:"properties"`
}

// InboundNatRuleProperties are an inbound NAT rule's properties.
type InboundNatRuleProperties struct {
	ProvisioningState       string       `json:"provisioningState,omitempty"`
	FrontendIPConfiguration *SubResource `json:"frontendIPConfiguration,omitempty"`
	BackendIPConfiguration  *SubResource `json:"backendIPConfiguration,omitempty"`
	BackendAddressPool      *SubResource `json:"backendAddressPool,omitempty"`
	Protocol                string       `json:"protocol"`
	FrontendPort            int          `json:"frontendPort"`
	BackendPort             int          `json:"backendPort"`
	FrontendPortRangeStart  int          `json:"frontendPortRangeStart,omitempty"`
	FrontendPortRangeEnd    int          `json:"frontendPortRangeEnd,omitempty"`
	IdleTimeoutInMinutes    int          `json:"idleTimeoutInMinutes"`
	EnableFloatingIP        bool         `json:"enableFloatingIP"`
	EnableTCPReset          bool         `json:"enableTcpReset"`
}

// OutboundRule is one outbound rule (stored, no data-plane behaviour).
type OutboundRule struct {
	Name       string                 `json:"name"`
	ID         string                 `json:"id,omitempty"`
	Etag       string                 `json:"etag,omitempty"`
	Type       string                 `json:"type,omitempty"`
	Properties OutboundRuleProperties `json:"properties"`
}

// OutboundRuleProperties are an outbound rule's properties.
type OutboundRuleProperties struct {
	ProvisioningState        string        `json:"provisioningState,omitempty"`
	FrontendIPConfigurations []SubResource `json:"frontendIPConfigurations"`
	BackendAddressPool       *SubResource  `json:"backendAddressPool,omitempty"`
	Protocol                 string        `json:"protocol"`
	AllocatedOutboundPorts   int           `json:"allocatedOutboundPorts"`
	IdleTimeoutInMinutes     int           `json:"idleTimeoutInMinutes"`
	EnableTCPReset           bool          `json:"enableTcpReset"`
}

// DecodeLoadBalancer decodes a load balancer record's properties.
func DecodeLoadBalancer(rec *arm.Record) (*LoadBalancerProperties, error) {
	var p LoadBalancerProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode load balancer %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// DecodeSku returns a load balancer record's sku (Basic/Regional when the
// record has none).
func DecodeSku(rec *arm.Record) Sku {
	s := Sku{Name: SkuBasic, Tier: TierRegional}
	if len(rec.Resource.SKU) > 0 {
		var got Sku
		if json.Unmarshal(rec.Resource.SKU, &got) == nil && got.Name != "" {
			s.Name = got.Name
			if got.Tier != "" {
				s.Tier = got.Tier
			}
		}
	}
	return s
}

// Frontend returns the frontend named name (case-insensitively), or nil.
func (p *LoadBalancerProperties) Frontend(name string) *FrontendIPConfiguration {
	for i := range p.FrontendIPConfigurations {
		if strings.EqualFold(p.FrontendIPConfigurations[i].Name, name) {
			return &p.FrontendIPConfigurations[i]
		}
	}
	return nil
}

// Pool returns the backend pool named name (case-insensitively), or nil.
func (p *LoadBalancerProperties) Pool(name string) *BackendAddressPool {
	for i := range p.BackendAddressPools {
		if strings.EqualFold(p.BackendAddressPools[i].Name, name) {
			return &p.BackendAddressPools[i]
		}
	}
	return nil
}

// splitChildID splits ".../loadBalancers/{lb}/{segment}/{name}" into the
// load balancer ID, the segment and the name.
func splitChildID(id string) (lbID, segment, name string, ok bool) {
	rid, err := arm.ParseID(id)
	if err != nil || len(rid.Types) != 2 || len(rid.Names) != 2 ||
		!strings.EqualFold(rid.Namespace, network.Namespace) || !strings.EqualFold(rid.Types[0], "loadBalancers") {
		return "", "", "", false
	}
	parent, _ := rid.Parent()
	return parent.String(), rid.Types[1], rid.Names[1], true
}

// FrontendByID reads, in t, the load balancer holding the frontend IP
// configuration id and returns its record and the frontend. It returns
// (nil, nil, nil) when id is not a frontend ID or the load balancer or the
// frontend does not exist, and an error only when the store fails. Use
// DecodeSku(lbRec) for the load balancer's sku and fe.IsInternal().
func FrontendByID(ctx context.Context, t *arm.Txn, id string) (lbRec *arm.Record, fe *FrontendIPConfiguration, err error) {
	lbID, seg, name, ok := splitChildID(id)
	if !ok || !strings.EqualFold(seg, frontendsSegment) {
		return nil, nil, nil
	}
	rec, err := t.Get(ctx, lbID)
	if err != nil || rec == nil {
		return nil, nil, err
	}
	p, err := DecodeLoadBalancer(rec)
	if err != nil {
		return nil, nil, err
	}
	f := p.Frontend(name)
	if f == nil {
		return nil, nil, nil
	}
	return rec, f, nil
}
