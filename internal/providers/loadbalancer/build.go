package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

const (
	subnetType   = "Microsoft.Network/virtualNetworks/subnets"
	vnetType     = "Microsoft.Network/virtualNetworks"
	publicIPType = "Microsoft.Network/publicIPAddresses"
	prefixType   = "Microsoft.Network/publicIPPrefixes"

	// Ref kinds understood by the network provider's types.
	kindIPConfiguration = "ipConfiguration" // on a subnet
	kindPublicIPAddress = "publicIPAddress" // on a public IP

	minIdle, maxIdle, defaultIdle = 4, 30, 4
	defaultProbeInterval          = 15
	minProbeInterval              = 5
	defaultNumberOfProbes         = 2
	defaultProbeThreshold         = 1
	maxFrontendPort               = 65534
	maxPort                       = 65535
)

var (
	skuNames          = []string{SkuBasic, SkuStandard}
	skuTiers          = []string{TierRegional, TierGlobal}
	allocMethods      = []string{"Static", "Dynamic"}
	ipVersions        = []string{"IPv4", "IPv6"}
	ruleProtocols     = []string{"Udp", "Tcp", "All"}
	probeProtocols    = []string{"Http", "Tcp", "Https"}
	loadDistributions = []string{"Default", "SourceIP", "SourceIPProtocol"}
)

// Request shapes: the writable fields, with pointers where Azure applies a
// default to an absent value.
type lbInput struct {
	FrontendIPConfigurations []feInput         `json:"frontendIPConfigurations"`
	BackendAddressPools      []poolInput       `json:"backendAddressPools"`
	LoadBalancingRules       []ruleInput       `json:"loadBalancingRules"`
	Probes                   []probeInput      `json:"probes"`
	InboundNatRules          []natInput        `json:"inboundNatRules"`
	InboundNatPools          []json.RawMessage `json:"inboundNatPools"`
	OutboundRules            []outboundInput   `json:"outboundRules"`
}

type feInput struct {
	Name       string   `json:"name"`
	Zones      []string `json:"zones"`
	Properties struct {
		PrivateIPAddress          string       `json:"privateIPAddress"`
		PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod"`
		PrivateIPAddressVersion   string       `json:"privateIPAddressVersion"`
		Subnet                    *SubResource `json:"subnet"`
		PublicIPAddress           *SubResource `json:"publicIPAddress"`
		PublicIPPrefix            *SubResource `json:"publicIPPrefix"`
		GatewayLoadBalancer       *SubResource `json:"gatewayLoadBalancer"`
	} `json:"properties"`
}

type poolInput struct {
	Name       string `json:"name"`
	Properties struct {
		Location                     string                       `json:"location"`
		VirtualNetwork               *SubResource                 `json:"virtualNetwork"`
		LoadBalancerBackendAddresses []LoadBalancerBackendAddress `json:"loadBalancerBackendAddresses"`
	} `json:"properties"`
}

type ruleInput struct {
	Name       string `json:"name"`
	Properties struct {
		FrontendIPConfiguration  *SubResource  `json:"frontendIPConfiguration"`
		BackendAddressPool       *SubResource  `json:"backendAddressPool"`
		BackendAddressPools      []SubResource `json:"backendAddressPools"`
		Probe                    *SubResource  `json:"probe"`
		Protocol                 string        `json:"protocol"`
		LoadDistribution         string        `json:"loadDistribution"`
		FrontendPort             *int          `json:"frontendPort"`
		BackendPort              *int          `json:"backendPort"`
		IdleTimeoutInMinutes     *int          `json:"idleTimeoutInMinutes"`
		EnableFloatingIP         bool          `json:"enableFloatingIP"`
		EnableTCPReset           bool          `json:"enableTcpReset"`
		DisableOutboundSnat      bool          `json:"disableOutboundSnat"`
		EnableConnectionTracking bool          `json:"enableConnectionTracking"`
	} `json:"properties"`
}

type probeInput struct {
	Name       string `json:"name"`
	Properties struct {
		Protocol          string `json:"protocol"`
		Port              *int   `json:"port"`
		RequestPath       string `json:"requestPath"`
		IntervalInSeconds *int   `json:"intervalInSeconds"`
		NumberOfProbes    *int   `json:"numberOfProbes"`
		ProbeThreshold    *int   `json:"probeThreshold"`
	} `json:"properties"`
}

type natInput struct {
	Name       string `json:"name"`
	Properties struct {
		FrontendIPConfiguration *SubResource `json:"frontendIPConfiguration"`
		BackendAddressPool      *SubResource `json:"backendAddressPool"`
		Protocol                string       `json:"protocol"`
		FrontendPort            int          `json:"frontendPort"`
		BackendPort             int          `json:"backendPort"`
		FrontendPortRangeStart  int          `json:"frontendPortRangeStart"`
		FrontendPortRangeEnd    int          `json:"frontendPortRangeEnd"`
		IdleTimeoutInMinutes    *int         `json:"idleTimeoutInMinutes"`
		EnableFloatingIP        bool         `json:"enableFloatingIP"`
		EnableTCPReset          bool         `json:"enableTcpReset"`
	} `json:"properties"`
}

type outboundInput struct {
	Name       string `json:"name"`
	Properties struct {
		FrontendIPConfigurations []SubResource `json:"frontendIPConfigurations"`
		BackendAddressPool       *SubResource  `json:"backendAddressPool"`
		Protocol                 string        `json:"protocol"`
		AllocatedOutboundPorts   int           `json:"allocatedOutboundPorts"`
		IdleTimeoutInMinutes     *int          `json:"idleTimeoutInMinutes"`
		EnableTCPReset           bool          `json:"enableTcpReset"`
	} `json:"properties"`
}

// builder validates a load balancer's desired state and computes what is
// stored.
type builder struct {
	t        *arm.Txn
	lbID     string
	location string
	sku      Sku
	old      *LoadBalancerProperties
	out      LoadBalancerProperties
	refs     []arm.Ref
	// canonical names by lower-case name, per sub-resource segment
	names map[string]map[string]string
}

func (b *builder) childID(segment, name string) string { return b.lbID + "/" + segment + "/" + name }

func (b *builder) addRef(target, kind, source string) {
	b.refs = append(b.refs, arm.Ref{Target: target, Kind: kind, Source: source, Blocking: true})
}

// collectNames checks the names of one sub-resource array.
func (b *builder) collectNames(segment string, names []string) error {
	m := map[string]string{}
	for _, n := range names {
		if n == "" {
			return missingName(segment)
		}
		if err := validateName(n); err != nil {
			return err
		}
		if _, dup := m[strings.ToLower(n)]; dup {
			return duplicateChildName(b.lbID, n)
		}
		m[strings.ToLower(n)] = n
	}
	b.names[segment] = m
	return nil
}

// resolve checks a reference to a sub-resource of this load balancer and
// returns it with the canonical ID (nil for an absent reference).
func (b *builder) resolve(ref *SubResource, segment, path, referrer string) (*SubResource, error) {
	if ref == nil || ref.ID == "" {
		return nil, nil
	}
	lbID, seg, name, ok := splitChildID(ref.ID)
	if !ok {
		if _, err := arm.ParseID(ref.ID); err != nil {
			return nil, invalidPropertyID(ref.ID, path)
		}
		return nil, invalidReference(ref.ID, referrer)
	}
	canon, found := b.names[segment][strings.ToLower(name)]
	if !arm.SameID(lbID, b.lbID) || !strings.EqualFold(seg, segment) || !found {
		return nil, invalidReference(ref.ID, referrer)
	}
	return &SubResource{ID: b.childID(segment, canon)}, nil
}

// build validates in against the store and returns the properties to
// store and the refs the load balancer holds.
func build(ctx context.Context, t *arm.Txn, lbID, location string, sku Sku, in *lbInput, old *LoadBalancerProperties, guid string) (*LoadBalancerProperties, []arm.Ref, error) {
	if old == nil {
		old = &LoadBalancerProperties{}
	}
	b := &builder{t: t, lbID: lbID, location: arm.NormalizeLocation(location), sku: sku, old: old, names: map[string]map[string]string{}}
	b.out = LoadBalancerProperties{
		ResourceGUID:             guid,
		FrontendIPConfigurations: []FrontendIPConfiguration{},
		BackendAddressPools:      []BackendAddressPool{},
		LoadBalancingRules:       []LoadBalancingRule{},
		Probes:                   []Probe{},
		InboundNatRules:          []InboundNatRule{},
		InboundNatPools:          in.InboundNatPools,
		OutboundRules:            []OutboundRule{},
	}
	if b.out.InboundNatPools == nil {
		b.out.InboundNatPools = []json.RawMessage{}
	}
	lists := map[string][]string{}
	for _, f := range in.FrontendIPConfigurations {
		lists[frontendsSegment] = append(lists[frontendsSegment], f.Name)
	}
	for _, p := range in.BackendAddressPools {
		lists[poolsSegment] = append(lists[poolsSegment], p.Name)
	}
	for _, r := range in.LoadBalancingRules {
		lists[rulesSegment] = append(lists[rulesSegment], r.Name)
	}
	for _, p := range in.Probes {
		lists[probesSegment] = append(lists[probesSegment], p.Name)
	}
	for _, r := range in.InboundNatRules {
		lists[inboundNatSegment] = append(lists[inboundNatSegment], r.Name)
	}
	for _, r := range in.OutboundRules {
		lists[outboundRulesSegment] = append(lists[outboundRulesSegment], r.Name)
	}
	for _, seg := range []string{frontendsSegment, poolsSegment, rulesSegment, probesSegment, inboundNatSegment, outboundRulesSegment} {
		if err := b.collectNames(seg, lists[seg]); err != nil {
			return nil, nil, err
		}
	}
	steps := []func(context.Context, *lbInput) error{
		b.frontends, b.pools, b.probes, b.rules, b.natRules, b.outboundRules,
	}
	for _, step := range steps {
		if err := step(ctx, in); err != nil {
			return nil, nil, err
		}
	}
	b.backRefs()
	return &b.out, b.refs, nil
}

// ---- frontends ----

func (b *builder) frontends(ctx context.Context, in *lbInput) error {
	oldByName := map[string]*FrontendIPConfiguration{}
	for i := range b.old.FrontendIPConfigurations {
		oldByName[strings.ToLower(b.old.FrontendIPConfigurations[i].Name)] = &b.old.FrontendIPConfigurations[i]
	}
	type plan struct {
		out       FrontendIPConfiguration
		subnetID  string
		requested string
		keep      bool
	}
	var plans []*plan
	var firstInternal, firstPublic string
	pipOwner := map[string]string{}
	for i := range in.FrontendIPConfigurations {
		f := &in.FrontendIPConfigurations[i]
		id := b.childID(frontendsSegment, f.Name)
		path := fmt.Sprintf("properties.frontendIPConfigurations[%d].properties.", i)
		pl := &plan{out: FrontendIPConfiguration{Name: f.Name, ID: id, Type: FrontendType, Zones: f.Zones}}
		fp := &pl.out.Properties
		hasSubnet := f.Properties.Subnet != nil && f.Properties.Subnet.ID != ""
		hasPublic := (f.Properties.PublicIPAddress != nil && f.Properties.PublicIPAddress.ID != "") ||
			(f.Properties.PublicIPPrefix != nil && f.Properties.PublicIPPrefix.ID != "")
		switch {
		case hasSubnet && hasPublic:
			return arm.BadRequest("FrontendIPConfigHasBothSubnetAndPublicIP",
				"Frontend IP Configuration %s must not reference both a Subnet and a Public IP Address.", id)
		case !hasSubnet && !hasPublic:
			return arm.BadRequest("FrontendIPConfigHasNoSubnetOrPublicIP",
				"Frontend IP Configuration %s must reference either a Subnet or a Public IP Address.", id)
		}
		if hasSubnet && firstInternal == "" {
			firstInternal = id
		}
		if hasPublic && firstPublic == "" {
			firstPublic = id
		}
		if firstInternal != "" && firstPublic != "" {
			return arm.BadRequest("LoadBalancerCannotMixPublicAndPrivateFrontendIPConfigurations",
				"Load balancer %s cannot have both public frontend IP configuration %s and private frontend IP configuration %s.",
				b.lbID, firstPublic, firstInternal)
		}
		if f.Properties.GatewayLoadBalancer != nil && f.Properties.GatewayLoadBalancer.ID != "" {
			fp.GatewayLoadBalancer = f.Properties.GatewayLoadBalancer
		}
		if hasPublic {
			fp.PrivateIPAllocationMethod = "Dynamic"
			if err := b.publicFrontend(ctx, f, id, path, fp, pipOwner); err != nil {
				return err
			}
			plans = append(plans, pl)
			continue
		}
		var err error
		if fp.PrivateIPAllocationMethod, err = nrpEnum(f.Properties.PrivateIPAllocationMethod, allocMethods, "IpAllocationMethod", path+"privateIPAllocationMethod"); err != nil {
			return err
		}
		if fp.PrivateIPAddressVersion, err = nrpEnum(f.Properties.PrivateIPAddressVersion, ipVersions, "IPVersion", path+"privateIPAddressVersion"); err != nil {
			return err
		}
		if fp.PrivateIPAddressVersion == "" {
			fp.PrivateIPAddressVersion = "IPv4"
		}
		pl.requested = strings.TrimSpace(f.Properties.PrivateIPAddress)
		if fp.PrivateIPAllocationMethod == "" {
			fp.PrivateIPAllocationMethod = "Dynamic"
			if pl.requested != "" {
				fp.PrivateIPAllocationMethod = "Static"
			}
		}
		if fp.PrivateIPAllocationMethod == "Dynamic" {
			pl.requested = ""
		}
		subnetRec, err := loadReferenced(ctx, b.t, f.Properties.Subnet.ID, subnetType, path+"subnet.id", b.lbID, "")
		if err != nil {
			return err
		}
		vnetID, _ := arm.ParseID(subnetRec.Resource.ID)
		vnetID, _ = vnetID.Parent()
		vnetRec, err := b.t.Get(ctx, vnetID.String())
		if err != nil {
			return fmt.Errorf("read %s: %w", vnetID, err)
		}
		if vnetRec == nil || !strings.EqualFold(arm.NormalizeLocation(vnetRec.Resource.Location), b.location) {
			return invalidReference(f.Properties.Subnet.ID, b.lbID)
		}
		if err := network.CheckSubnetAccepts(subnetRec, network.DelegatedService(ctx)); err != nil {
			return err
		}
		pl.subnetID = subnetRec.Resource.ID
		fp.Subnet = &SubResource{ID: pl.subnetID}
		if o := oldByName[strings.ToLower(f.Name)]; o != nil && o.Properties.PrivateIPAddress != "" &&
			o.Properties.Subnet != nil && arm.SameID(o.Properties.Subnet.ID, pl.subnetID) &&
			o.Properties.PrivateIPAddressVersion == fp.PrivateIPAddressVersion &&
			(pl.requested == "" || pl.requested == o.Properties.PrivateIPAddress) {
			pl.keep = true
			if fp.PrivateIPAllocationMethod == "Static" {
				pl.requested = o.Properties.PrivateIPAddress
			}
		}
		plans = append(plans, pl)
	}
	// Release the addresses of frontends that go or change, then reserve.
	kept := map[string]bool{}
	for _, pl := range plans {
		if pl.keep {
			kept[strings.ToLower(pl.out.Name)] = true
		}
	}
	for _, o := range b.old.FrontendIPConfigurations {
		if kept[strings.ToLower(o.Name)] || o.Properties.PrivateIPAddress == "" || o.Properties.Subnet == nil {
			continue
		}
		if err := network.ReleaseIP(ctx, b.t, o.Properties.Subnet.ID, o.Properties.PrivateIPAddress, o.ID); err != nil {
			return fmt.Errorf("release %s: %w", o.ID, err)
		}
	}
	for _, pl := range plans {
		fp := &pl.out.Properties
		if pl.subnetID != "" {
			ip, err := network.AllocateIPVersion(ctx, b.t, pl.subnetID, pl.out.ID, pl.requested, fp.PrivateIPAddressVersion)
			if err != nil {
				return err
			}
			fp.PrivateIPAddress = ip
			b.addRef(pl.subnetID, kindIPConfiguration, pl.out.ID)
		}
		if fp.PublicIPAddress != nil {
			b.addRef(fp.PublicIPAddress.ID, kindPublicIPAddress, pl.out.ID)
		}
		b.out.FrontendIPConfigurations = append(b.out.FrontendIPConfigurations, pl.out)
	}
	return nil
}

// publicFrontend checks a public frontend's public IP (or prefix).
func (b *builder) publicFrontend(ctx context.Context, f *feInput, id, path string, fp *FrontendIPConfigurationProperties, pipOwner map[string]string) error {
	if f.Properties.PublicIPPrefix != nil && f.Properties.PublicIPPrefix.ID != "" {
		rec, err := loadReferenced(ctx, b.t, f.Properties.PublicIPPrefix.ID, prefixType, path+"publicIPPrefix.id", b.lbID, b.location)
		if err != nil {
			return err
		}
		fp.PublicIPPrefix = &SubResource{ID: rec.Resource.ID}
		return nil
	}
	pipRec, err := loadReferenced(ctx, b.t, f.Properties.PublicIPAddress.ID, publicIPType, path+"publicIPAddress.id", b.lbID, b.location)
	if err != nil {
		return err
	}
	pipID := pipRec.Resource.ID
	var pipSku struct {
		Name string `json:"name"`
	}
	if len(pipRec.Resource.SKU) > 0 {
		_ = json.Unmarshal(pipRec.Resource.SKU, &pipSku)
	}
	if pipSku.Name == "" {
		pipSku.Name = SkuBasic
	}
	if !strings.EqualFold(pipSku.Name, b.sku.Name) {
		return arm.BadRequest("PublicIPAndLBSkuDoNotMatch",
			"%s sku load balancer %s cannot reference %s sku publicIP %s.", b.sku.Name, b.lbID, pipSku.Name, pipID)
	}
	key := strings.ToLower(pipID)
	if other, dup := pipOwner[key]; dup {
		return publicIPInUse(id, pipID, other)
	}
	refs, err := b.t.RefsTo(ctx, pipID)
	if err != nil {
		return fmt.Errorf("read refs of %s: %w", pipID, err)
	}
	own := strings.ToLower(b.lbID) + "/" + strings.ToLower(frontendsSegment) + "/"
	for _, r := range refs {
		if r.Kind == kindPublicIPAddress && !strings.HasPrefix(strings.ToLower(r.Source), own) {
			return publicIPInUse(id, pipID, r.Source)
		}
	}
	pipOwner[key] = id
	fp.PublicIPAddress = &SubResource{ID: pipID}
	return nil
}

func publicIPInUse(feID, pipID, holder string) error {
	return arm.BadRequest("PublicIPAddressInUse",
		"Resource %s is referencing public IP address %s that is already allocated to resource %s.", feID, pipID, holder)
}

// ---- backend pools ----

func (b *builder) pools(ctx context.Context, in *lbInput) error {
	members, err := poolMembers(ctx, b.lbID, txnReader{b.t})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for i := range in.BackendAddressPools {
		p := &in.BackendAddressPools[i]
		want[strings.ToLower(p.Name)] = true
		id := b.childID(poolsSegment, p.Name)
		out := BackendAddressPool{Name: p.Name, ID: id, Type: BackendPoolType}
		out.Properties.Location = p.Properties.Location
		if p.Properties.VirtualNetwork != nil && p.Properties.VirtualNetwork.ID != "" {
			rec, err := loadReferenced(ctx, b.t, p.Properties.VirtualNetwork.ID, vnetType,
				fmt.Sprintf("properties.backendAddressPools[%d].properties.virtualNetwork.id", i), id, "")
			if err != nil {
				return err
			}
			out.Properties.VirtualNetwork = &SubResource{ID: rec.Resource.ID}
		}
		if len(p.Properties.LoadBalancerBackendAddresses) > 0 {
			if b.sku.Name == SkuBasic {
				return arm.BadRequest("BasicSkuLoadBalancerCannotHaveIPBasedBackendAddressPool",
					"Backend address pool %s of Basic sku load balancer %s cannot have IP-based backend addresses. IP-based backend pools are supported only on Standard sku load balancers.",
					id, b.lbID)
			}
			if m := members[strings.ToLower(p.Name)]; len(m) > 0 {
				return cannotMix(id, m[0])
			}
			addrs, err := b.backendAddresses(ctx, id, i, p.Properties.LoadBalancerBackendAddresses)
			if err != nil {
				return err
			}
			out.Properties.LoadBalancerBackendAddresses = addrs
		}
		b.out.BackendAddressPools = append(b.out.BackendAddressPools, out)
	}
	var gone []string
	for name := range members {
		if !want[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		return poolInUse(b.childID(poolsSegment, gone[0]), members[gone[0]][0])
	}
	return nil
}

func (b *builder) backendAddresses(ctx context.Context, poolID string, pi int, in []LoadBalancerBackendAddress) ([]LoadBalancerBackendAddress, error) {
	seen := map[string]bool{}
	out := make([]LoadBalancerBackendAddress, 0, len(in))
	vnets := map[string]*arm.Record{}
	for j, a := range in {
		path := fmt.Sprintf("properties.backendAddressPools[%d].properties.loadBalancerBackendAddresses[%d].properties.", pi, j)
		if a.Name == "" {
			return nil, missingName("loadBalancerBackendAddresses")
		}
		if seen[strings.ToLower(a.Name)] {
			return nil, duplicateChildName(poolID, a.Name)
		}
		seen[strings.ToLower(a.Name)] = true
		ip, err := netip.ParseAddr(strings.TrimSpace(a.Properties.IPAddress))
		if err != nil {
			return nil, arm.BadRequest("InvalidLoadBalancerBackendAddress",
				"Backend address %s of backend address pool %s has an invalid IP address '%s'.", a.Name, poolID, a.Properties.IPAddress)
		}
		if a.Properties.VirtualNetwork == nil || a.Properties.VirtualNetwork.ID == "" {
			return nil, arm.BadRequest("InvalidLoadBalancerBackendAddress",
				"Backend address %s of backend address pool %s must reference a virtual network.", a.Name, poolID)
		}
		key := strings.ToLower(a.Properties.VirtualNetwork.ID)
		rec := vnets[key]
		if rec == nil {
			if rec, err = loadReferenced(ctx, b.t, a.Properties.VirtualNetwork.ID, vnetType, path+"virtualNetwork.id", poolID, ""); err != nil {
				return nil, err
			}
			vnets[key] = rec
		}
		inside := false
		for _, pf := range network.VirtualNetworkPrefixes(rec) {
			inside = inside || pf.Contains(ip)
		}
		if !inside {
			return nil, arm.BadRequest("InvalidLoadBalancerBackendAddress",
				"IP address %s of backend address %s in backend address pool %s is not within the address space of virtual network %s.",
				ip, a.Name, poolID, rec.Resource.ID)
		}
		a.Properties.IPAddress = ip.String()
		a.Properties.VirtualNetwork = &SubResource{ID: rec.Resource.ID}
		out = append(out, a)
	}
	return out, nil
}

func cannotMix(poolID, ipConfigID string) error {
	return arm.BadRequest("CannotMixIPBasedAddressesAndIPConfigurationsOnLoadBalancerBackendAddressPool",
		"Backend address pool %s cannot have both IP-based backend addresses and IP configurations (%s).", poolID, ipConfigID)
}

func poolInUse(poolID, ipConfigID string) error {
	return arm.BadRequest("InUseBackendAddressPoolCannotBeDeleted",
		"Backend address pool %s is in use by IP configuration %s and cannot be deleted. Remove the IP configuration from the backend address pool first.",
		poolID, ipConfigID)
}

// ---- probes ----

func (b *builder) probes(_ context.Context, in *lbInput) error {
	for i := range in.Probes {
		p := &in.Probes[i]
		id := b.childID(probesSegment, p.Name)
		path := fmt.Sprintf("properties.probes[%d].properties.", i)
		out := Probe{Name: p.Name, ID: id, Type: ProbeType}
		pp := &out.Properties
		var err error
		if pp.Protocol, err = nrpEnum(p.Properties.Protocol, probeProtocols, "ProbeProtocol", path+"protocol"); err != nil {
			return err
		}
		if pp.Protocol == "" {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'protocol' of probe %s is required.", id)
		}
		if p.Properties.Port == nil {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'port' of probe %s is required.", id)
		}
		pp.Port = *p.Properties.Port
		if pp.Port < 1 || pp.Port > maxPort {
			return arm.BadRequest("ProbePortOutOfRange", "Probe %s has invalid port %d. The value must be between 1 and %d.", id, pp.Port, maxPort)
		}
		pp.RequestPath = p.Properties.RequestPath
		switch {
		case pp.Protocol == "Tcp" && pp.RequestPath != "":
			return arm.BadRequest("ProbeRequestPathNotAllowedForTcpProbe",
				"Probe %s has protocol Tcp and must not specify a request path.", id)
		case pp.Protocol != "Tcp" && pp.RequestPath == "":
			return arm.BadRequest("ProbeRequestPathRequired",
				"Probe %s has protocol %s and must specify a request path.", id, pp.Protocol)
		}
		pp.IntervalInSeconds = intOr(p.Properties.IntervalInSeconds, defaultProbeInterval)
		if pp.IntervalInSeconds < minProbeInterval {
			return arm.BadRequest("ProbeIntervalTooSmall",
				"Probe %s has interval %d seconds. The interval must be at least %d seconds.", id, pp.IntervalInSeconds, minProbeInterval)
		}
		pp.NumberOfProbes = intOr(p.Properties.NumberOfProbes, defaultNumberOfProbes)
		pp.ProbeThreshold = intOr(p.Properties.ProbeThreshold, defaultProbeThreshold)
		if pp.NumberOfProbes < 1 || pp.ProbeThreshold < 1 {
			return arm.BadRequest("ProbeNumberOfProbesInvalid",
				"Probe %s must have numberOfProbes and probeThreshold of at least 1.", id)
		}
		b.out.Probes = append(b.out.Probes, out)
	}
	return nil
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// ---- load-balancing rules ----

func (b *builder) frontendInternal(id string) bool {
	for _, f := range b.out.FrontendIPConfigurations {
		if strings.EqualFold(f.ID, id) {
			return f.IsInternal()
		}
	}
	return false
}

func (b *builder) rules(_ context.Context, in *lbInput) error {
	for i := range in.LoadBalancingRules {
		r := &in.LoadBalancingRules[i]
		id := b.childID(rulesSegment, r.Name)
		path := fmt.Sprintf("properties.loadBalancingRules[%d].properties.", i)
		out := LoadBalancingRule{Name: r.Name, ID: id, Type: RuleType}
		rp := &out.Properties
		var err error
		if r.Properties.FrontendIPConfiguration == nil || r.Properties.FrontendIPConfiguration.ID == "" {
			return arm.BadRequest("LoadBalancingRuleMustReferenceFrontendIPConfiguration",
				"Load balancing rule %s must reference a frontend IP configuration.", id)
		}
		if rp.FrontendIPConfiguration, err = b.resolve(r.Properties.FrontendIPConfiguration, frontendsSegment, path+"frontendIPConfiguration.id", id); err != nil {
			return err
		}
		if rp.BackendAddressPool, err = b.resolve(r.Properties.BackendAddressPool, poolsSegment, path+"backendAddressPool.id", id); err != nil {
			return err
		}
		for j := range r.Properties.BackendAddressPools {
			ref, err := b.resolve(&r.Properties.BackendAddressPools[j], poolsSegment, fmt.Sprintf("%sbackendAddressPools[%d].id", path, j), id)
			if err != nil {
				return err
			}
			if ref != nil {
				rp.BackendAddressPools = append(rp.BackendAddressPools, *ref)
			}
		}
		if rp.Probe, err = b.resolve(r.Properties.Probe, probesSegment, path+"probe.id", id); err != nil {
			return err
		}
		if rp.Protocol, err = nrpEnum(r.Properties.Protocol, ruleProtocols, "TransportProtocol", path+"protocol"); err != nil {
			return err
		}
		if rp.Protocol == "" {
			return arm.BadRequest("InvalidLoadBalancingRuleProtocol",
				"Load balancing rule %s must specify a protocol (Tcp, Udp or All).", id)
		}
		if rp.LoadDistribution, err = nrpEnum(r.Properties.LoadDistribution, loadDistributions, "LoadDistribution", path+"loadDistribution"); err != nil {
			return err
		}
		if rp.LoadDistribution == "" {
			rp.LoadDistribution = "Default"
		}
		if r.Properties.FrontendPort == nil {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'frontendPort' of load balancing rule %s is required.", id)
		}
		rp.FrontendPort = *r.Properties.FrontendPort
		rp.BackendPort = intOr(r.Properties.BackendPort, rp.FrontendPort)
		if rp.FrontendPort < 0 || rp.FrontendPort > maxFrontendPort {
			return arm.BadRequest("LoadBalancingRuleFrontendPortOutOfRange",
				"Load balancing rule %s has invalid frontend port %d. The value must be between 0 and %d.", id, rp.FrontendPort, maxFrontendPort)
		}
		if rp.BackendPort < 0 || rp.BackendPort > maxPort {
			return arm.BadRequest("LoadBalancingRuleBackendPortOutOfRange",
				"Load balancing rule %s has invalid backend port %d. The value must be between 0 and %d.", id, rp.BackendPort, maxPort)
		}
		rp.IdleTimeoutInMinutes = intOr(r.Properties.IdleTimeoutInMinutes, defaultIdle)
		if rp.IdleTimeoutInMinutes < minIdle || rp.IdleTimeoutInMinutes > maxIdle {
			return arm.BadRequest("LoadBalancingRuleIdleTimeoutOutOfRange",
				"Load balancing rule %s has invalid idle timeout %d. The value must be between %d and %d minutes.", id, rp.IdleTimeoutInMinutes, minIdle, maxIdle)
		}
		rp.EnableFloatingIP = r.Properties.EnableFloatingIP
		rp.EnableTCPReset = r.Properties.EnableTCPReset
		rp.DisableOutboundSnat = r.Properties.DisableOutboundSnat
		rp.EnableConnectionTracking = r.Properties.EnableConnectionTracking
		ha := out.HAPorts()
		if (rp.Protocol == "All") != (rp.FrontendPort == 0 && rp.BackendPort == 0) || (!ha && (rp.FrontendPort == 0 || rp.BackendPort == 0)) {
			return arm.BadRequest("ProtocolAllRequiresHaPorts",
				"Load balancing rule %s uses protocol %s with frontend port %d and backend port %d. Protocol All must be used with frontend and backend port 0 (HA ports), and ports 0 only with protocol All.",
				id, rp.Protocol, rp.FrontendPort, rp.BackendPort)
		}
		if ha && (b.sku.Name != SkuStandard || !b.frontendInternal(rp.FrontendIPConfiguration.ID)) {
			return arm.BadRequest("HaPortsRuleNotSupportedOnPublicOrBasicLoadBalancer",
				"Load balancing rule %s is an HA ports rule (protocol All, port 0). HA ports rules are supported only on internal Standard sku load balancers.", id)
		}
		for _, prev := range b.out.LoadBalancingRules {
			if err := ruleConflict(&prev, &out); err != nil {
				return err
			}
		}
		b.out.LoadBalancingRules = append(b.out.LoadBalancingRules, out)
	}
	return nil
}

func rulePools(r *LoadBalancingRule) []string {
	var out []string
	if r.Properties.BackendAddressPool != nil {
		out = append(out, strings.ToLower(r.Properties.BackendAddressPool.ID))
	}
	for _, p := range r.Properties.BackendAddressPools {
		out = append(out, strings.ToLower(p.ID))
	}
	return out
}

func protocolsOverlap(a, b string) bool { return a == b || a == "All" || b == "All" }

// ruleConflict applies Azure's rules between two load-balancing rules.
func ruleConflict(a, b *LoadBalancingRule) error {
	ap, bp := &a.Properties, &b.Properties
	if strings.EqualFold(ap.FrontendIPConfiguration.ID, bp.FrontendIPConfiguration.ID) &&
		protocolsOverlap(ap.Protocol, bp.Protocol) && ap.FrontendPort == bp.FrontendPort {
		return arm.BadRequest("RulesUseSameFrontendIPConfigurationProtocolAndPort",
			"Load balancing rules %s and %s use the same frontend IP configuration %s, protocol %s and frontend port %d.",
			a.ID, b.ID, bp.FrontendIPConfiguration.ID, bp.Protocol, bp.FrontendPort)
	}
	if ap.EnableFloatingIP || bp.EnableFloatingIP || ap.Protocol != bp.Protocol || ap.BackendPort != bp.BackendPort {
		return nil
	}
	for _, pa := range rulePools(a) {
		for _, pb := range rulePools(b) {
			if pa == pb {
				pool := bp.BackendAddressPool
				if pool == nil {
					pool = &bp.BackendAddressPools[0]
				}
				return arm.BadRequest("RulesUseSameBackendPortProtocolAndPool",
					"Load balancing rules %s and %s with floating IP disabled use the same protocol %s and backend port %d, and must not be used with the same backend address pool %s.",
					a.ID, b.ID, bp.Protocol, bp.BackendPort, pool.ID)
			}
		}
	}
	return nil
}

// ---- inbound NAT and outbound rules ----

func (b *builder) natRules(_ context.Context, in *lbInput) error {
	for i := range in.InboundNatRules {
		r := &in.InboundNatRules[i]
		id := b.childID(inboundNatSegment, r.Name)
		path := fmt.Sprintf("properties.inboundNatRules[%d].properties.", i)
		out := InboundNatRule{Name: r.Name, ID: id, Type: InboundNatRuleType}
		rp := &out.Properties
		var err error
		if rp.FrontendIPConfiguration, err = b.resolve(r.Properties.FrontendIPConfiguration, frontendsSegment, path+"frontendIPConfiguration.id", id); err != nil {
			return err
		}
		if rp.BackendAddressPool, err = b.resolve(r.Properties.BackendAddressPool, poolsSegment, path+"backendAddressPool.id", id); err != nil {
			return err
		}
		if rp.Protocol, err = nrpEnum(r.Properties.Protocol, ruleProtocols, "TransportProtocol", path+"protocol"); err != nil {
			return err
		}
		rp.FrontendPort, rp.BackendPort = r.Properties.FrontendPort, r.Properties.BackendPort
		rp.FrontendPortRangeStart, rp.FrontendPortRangeEnd = r.Properties.FrontendPortRangeStart, r.Properties.FrontendPortRangeEnd
		rp.IdleTimeoutInMinutes = intOr(r.Properties.IdleTimeoutInMinutes, defaultIdle)
		rp.EnableFloatingIP, rp.EnableTCPReset = r.Properties.EnableFloatingIP, r.Properties.EnableTCPReset
		b.out.InboundNatRules = append(b.out.InboundNatRules, out)
	}
	return nil
}

func (b *builder) outboundRules(_ context.Context, in *lbInput) error {
	for i := range in.OutboundRules {
		r := &in.OutboundRules[i]
		id := b.childID(outboundRulesSegment, r.Name)
		path := fmt.Sprintf("properties.outboundRules[%d].properties.", i)
		out := OutboundRule{Name: r.Name, ID: id, Type: OutboundRuleType}
		rp := &out.Properties
		rp.FrontendIPConfigurations = []SubResource{}
		for j := range r.Properties.FrontendIPConfigurations {
			ref, err := b.resolve(&r.Properties.FrontendIPConfigurations[j], frontendsSegment, fmt.Sprintf("%sfrontendIPConfigurations[%d].id", path, j), id)
			if err != nil {
				return err
			}
			if ref != nil {
				rp.FrontendIPConfigurations = append(rp.FrontendIPConfigurations, *ref)
			}
		}
		var err error
		if rp.BackendAddressPool, err = b.resolve(r.Properties.BackendAddressPool, poolsSegment, path+"backendAddressPool.id", id); err != nil {
			return err
		}
		if rp.Protocol, err = nrpEnum(r.Properties.Protocol, ruleProtocols, "LoadBalancerOutboundRuleProtocol", path+"protocol"); err != nil {
			return err
		}
		rp.AllocatedOutboundPorts = r.Properties.AllocatedOutboundPorts
		rp.IdleTimeoutInMinutes = intOr(r.Properties.IdleTimeoutInMinutes, defaultIdle)
		rp.EnableTCPReset = r.Properties.EnableTCPReset
		b.out.OutboundRules = append(b.out.OutboundRules, out)
	}
	return nil
}

// backRefs fills the read-only references between sub-resources.
func (b *builder) backRefs() {
	fe := map[string]*FrontendIPConfigurationProperties{}
	for i := range b.out.FrontendIPConfigurations {
		fe[strings.ToLower(b.out.FrontendIPConfigurations[i].ID)] = &b.out.FrontendIPConfigurations[i].Properties
	}
	pool := map[string]*BackendAddressPoolProperties{}
	for i := range b.out.BackendAddressPools {
		pool[strings.ToLower(b.out.BackendAddressPools[i].ID)] = &b.out.BackendAddressPools[i].Properties
	}
	probe := map[string]*ProbeProperties{}
	for i := range b.out.Probes {
		probe[strings.ToLower(b.out.Probes[i].ID)] = &b.out.Probes[i].Properties
	}
	for _, r := range b.out.LoadBalancingRules {
		ref := SubResource{ID: r.ID}
		fe[strings.ToLower(r.Properties.FrontendIPConfiguration.ID)].LoadBalancingRules =
			append(fe[strings.ToLower(r.Properties.FrontendIPConfiguration.ID)].LoadBalancingRules, ref)
		seen := map[string]bool{}
		for _, p := range rulePools(&r) {
			if !seen[p] {
				seen[p] = true
				pool[p].LoadBalancingRules = append(pool[p].LoadBalancingRules, ref)
			}
		}
		if r.Properties.Probe != nil {
			p := probe[strings.ToLower(r.Properties.Probe.ID)]
			p.LoadBalancingRules = append(p.LoadBalancingRules, ref)
		}
	}
	for _, r := range b.out.InboundNatRules {
		ref := SubResource{ID: r.ID}
		if r.Properties.FrontendIPConfiguration != nil {
			f := fe[strings.ToLower(r.Properties.FrontendIPConfiguration.ID)]
			f.InboundNatRules = append(f.InboundNatRules, ref)
		}
		if r.Properties.BackendAddressPool != nil {
			p := pool[strings.ToLower(r.Properties.BackendAddressPool.ID)]
			p.InboundNatRules = append(p.InboundNatRules, ref)
		}
	}
	for _, r := range b.out.OutboundRules {
		ref := SubResource{ID: r.ID}
		for _, f := range r.Properties.FrontendIPConfigurations {
			fp := fe[strings.ToLower(f.ID)]
			fp.OutboundRules = append(fp.OutboundRules, ref)
		}
		if r.Properties.BackendAddressPool != nil {
			p := pool[strings.ToLower(r.Properties.BackendAddressPool.ID)]
			p.OutboundRules = append(p.OutboundRules, ref)
		}
	}
}
