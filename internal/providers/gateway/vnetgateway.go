package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Virtual network gateways (Microsoft.Network/virtualNetworkGateways).

var (
	gatewayTypes = []string{TypeVpn, TypeExpressRoute}
	vpnTypes     = []string{"RouteBased", "PolicyBased"}
	vpnSkus      = []string{"Basic", "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5",
		"VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"}
	erSkus      = []string{"Standard", "HighPerformance", "UltraPerformance", "ErGw1AZ", "ErGw2AZ", "ErGw3AZ", "ErGwScale"}
	generations = []string{"None", "Generation1", "Generation2"}

	// apipa is the range Azure VPN gateways accept custom BGP addresses in.
	apipa = netip.MustParsePrefix("169.254.21.0/24")
	// apipa2 is the second half of that range.
	apipa2 = netip.MustParsePrefix("169.254.22.0/24")
)

const (
	// minVpnGatewaySubnetBits: a VPN gateway's GatewaySubnet may be as
	// small as /29 (Azure recommends /27).
	minVpnGatewaySubnetBits = 29
	// minERGatewaySubnetBits: ExpressRoute gateways do not support a
	// GatewaySubnet of /28 or smaller.
	minERGatewaySubnetBits = 27
)

// GatewaySku is a gateway's sku.
type GatewaySku struct {
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Capacity int    `json:"capacity"`
}

// BgpPeeringAddress is one entry of bgpSettings.bgpPeeringAddresses.
type BgpPeeringAddress struct {
	IPConfigurationID     string   `json:"ipconfigurationId"`
	DefaultBgpIPAddresses []string `json:"defaultBgpIpAddresses"`
	CustomBgpIPAddresses  []string `json:"customBgpIpAddresses"`
	TunnelIPAddresses     []string `json:"tunnelIpAddresses"`
}

// BgpSettings are a gateway's (or local gateway's) BGP settings.
type BgpSettings struct {
	Asn                 int64               `json:"asn"`
	BgpPeeringAddress   string              `json:"bgpPeeringAddress,omitempty"`
	PeerWeight          int32               `json:"peerWeight"`
	BgpPeeringAddresses []BgpPeeringAddress `json:"bgpPeeringAddresses,omitempty"`
}

// GatewayIPConfiguration is one entry of a gateway's ipConfigurations as
// stored and served.
type GatewayIPConfiguration struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	Etag       string `json:"etag,omitempty"`
	Properties struct {
		ProvisioningState         string       `json:"provisioningState,omitempty"`
		PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod"`
		PrivateIPAddress          string       `json:"privateIPAddress,omitempty"`
		Subnet                    *SubResource `json:"subnet,omitempty"`
		PublicIPAddress           *SubResource `json:"publicIPAddress,omitempty"`
	} `json:"properties"`
}

// GatewayProperties are a virtual network gateway's stored properties
// (the fields privlink validates; others the caller sent are kept as
// given).
type GatewayProperties struct {
	ProvisioningState               string                   `json:"provisioningState,omitempty"`
	ResourceGUID                    string                   `json:"resourceGuid"`
	IPConfigurations                []GatewayIPConfiguration `json:"ipConfigurations"`
	Sku                             GatewaySku               `json:"sku"`
	GatewayType                     string                   `json:"gatewayType"`
	VpnType                         string                   `json:"vpnType"`
	VpnGatewayGeneration            string                   `json:"vpnGatewayGeneration"`
	EnableBgp                       bool                     `json:"enableBgp"`
	EnablePrivateIPAddress          bool                     `json:"enablePrivateIpAddress"`
	ActiveActive                    bool                     `json:"activeActive"`
	DisableIPSecReplayProtection    bool                     `json:"disableIPSecReplayProtection"`
	EnableBgpRouteTranslationForNat bool                     `json:"enableBgpRouteTranslationForNat"`
	AllowVirtualWanTraffic          bool                     `json:"allowVirtualWanTraffic"`
	AllowRemoteVnetTraffic          bool                     `json:"allowRemoteVnetTraffic"`
	BgpSettings                     *BgpSettings             `json:"bgpSettings,omitempty"`
}

type gatewayInput struct {
	GatewayType                  string `json:"gatewayType"`
	VpnType                      string `json:"vpnType"`
	VpnGatewayGeneration         string `json:"vpnGatewayGeneration"`
	EnableBgp                    *bool  `json:"enableBgp"`
	ActiveActive                 *bool  `json:"activeActive"`
	EnablePrivateIPAddress       *bool  `json:"enablePrivateIpAddress"`
	DisableIPSecReplayProtection *bool  `json:"disableIPSecReplayProtection"`
	EnableBgpRouteTranslation    *bool  `json:"enableBgpRouteTranslationForNat"`
	AllowVirtualWanTraffic       *bool  `json:"allowVirtualWanTraffic"`
	AllowRemoteVnetTraffic       *bool  `json:"allowRemoteVnetTraffic"`
	Sku                          *struct {
		Name     string `json:"name"`
		Tier     string `json:"tier"`
		Capacity *int   `json:"capacity"`
	} `json:"sku"`
	BgpSettings *struct {
		Asn               *int64 `json:"asn"`
		BgpPeeringAddress string `json:"bgpPeeringAddress"`
		PeerWeight        *int32 `json:"peerWeight"`
	} `json:"bgpSettings"`
	IPConfigurations []struct {
		Name       string `json:"name"`
		Properties struct {
			PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod"`
			Subnet                    *SubResource `json:"subnet"`
			PublicIPAddress           *SubResource `json:"publicIPAddress"`
		} `json:"properties"`
	} `json:"ipConfigurations"`
}

// DecodeGatewayProperties decodes a gateway record's properties.
func DecodeGatewayProperties(rec *arm.Record) (*GatewayProperties, error) {
	var p GatewayProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode virtual network gateway %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

func putGateway(ctx context.Context, op *arm.PutOp) error {
	var in gatewayInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	gwID := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)
	var old *GatewayProperties
	if op.Existing != nil {
		o, err := DecodeGatewayProperties(op.Existing)
		if err != nil {
			return err
		}
		old = o
	}

	// Type, VPN type, sku.
	out := GatewayProperties{ResourceGUID: existingGUID(op.Existing)}
	var err error
	if out.GatewayType, err = nrpEnum(in.GatewayType, gatewayTypes, "VirtualNetworkGatewayType", "properties.gatewayType"); err != nil {
		return err
	}
	if out.GatewayType == "" {
		if old != nil {
			out.GatewayType = old.GatewayType
		} else {
			out.GatewayType = TypeVpn
		}
	}
	if out.VpnType, err = nrpEnum(in.VpnType, vpnTypes, "VpnType", "properties.vpnType"); err != nil {
		return err
	}
	if out.VpnType == "" {
		out.VpnType = "RouteBased"
		if old != nil {
			out.VpnType = old.VpnType
		}
	}
	if old != nil && old.GatewayType != out.GatewayType {
		return arm.BadRequest("VirtualNetworkGatewayTypeCannotBeChanged",
			"Gateway type of virtual network gateway %s cannot be changed from %s to %s.", gwID, old.GatewayType, out.GatewayType)
	}
	if old != nil && old.VpnType != out.VpnType {
		return arm.BadRequest("VirtualNetworkGatewayVpnTypeCannotBeChanged",
			"VPN type of virtual network gateway %s cannot be changed from %s to %s. Delete and re-create the gateway to change its VPN type.", gwID, old.VpnType, out.VpnType)
	}
	skus := vpnSkus
	if out.GatewayType == TypeExpressRoute {
		skus = erSkus
	}
	if in.Sku == nil || in.Sku.Name == "" {
		if old == nil {
			return missingProperty("sku", gwID)
		}
		out.Sku = old.Sku
	} else {
		name, ok := canonical(in.Sku.Name, skus)
		if !ok {
			return arm.BadRequest("InvalidGatewaySkuForGatewayType",
				"Virtual network gateway %s of type %s cannot use sku %s. Allowed skus: %s.", gwID, out.GatewayType, in.Sku.Name, strings.Join(skus, ", "))
		}
		if in.Sku.Tier != "" && !strings.EqualFold(in.Sku.Tier, name) {
			return arm.BadRequest("InvalidGatewaySku",
				"Sku tier %s of virtual network gateway %s does not match sku name %s.", in.Sku.Tier, gwID, name)
		}
		out.Sku = GatewaySku{Name: name, Tier: name, Capacity: 2}
		if in.Sku.Capacity != nil {
			out.Sku.Capacity = *in.Sku.Capacity
		}
	}
	basic := out.Sku.Name == "Basic"
	if out.VpnType == "PolicyBased" && (out.GatewayType != TypeVpn || !basic) {
		return arm.BadRequest("PolicyBasedVpnGatewayRequiresBasicSku",
			"Virtual network gateway %s with VpnType PolicyBased must be of type Vpn with the Basic sku; sku %s is only supported with RouteBased VPN gateways.", gwID, out.Sku.Name)
	}
	if out.VpnGatewayGeneration, err = nrpEnum(in.VpnGatewayGeneration, generations, "VpnGatewayGeneration", "properties.vpnGatewayGeneration"); err != nil {
		return err
	}
	if out.VpnGatewayGeneration == "" {
		out.VpnGatewayGeneration = defaultGeneration(out.GatewayType, out.Sku.Name)
	}
	out.ActiveActive = boolOr(in.ActiveActive, false)
	out.EnableBgp = boolOr(in.EnableBgp, false)
	out.EnablePrivateIPAddress = boolOr(in.EnablePrivateIPAddress, false)
	out.DisableIPSecReplayProtection = boolOr(in.DisableIPSecReplayProtection, false)
	out.EnableBgpRouteTranslationForNat = boolOr(in.EnableBgpRouteTranslation, false)
	out.AllowVirtualWanTraffic = boolOr(in.AllowVirtualWanTraffic, false)
	out.AllowRemoteVnetTraffic = boolOr(in.AllowRemoteVnetTraffic, false)
	if out.GatewayType == TypeExpressRoute {
		out.ActiveActive = false
	}
	if basic && out.ActiveActive {
		return arm.BadRequest("ActiveActiveNotSupportedForBasicSku",
			"Active-active mode is not supported for virtual network gateway %s with the Basic sku.", gwID)
	}
	if basic && out.EnableBgp {
		return arm.BadRequest("BgpNotSupportedForBasicSku",
			"BGP is not supported for virtual network gateway %s with the Basic sku.", gwID)
	}

	// IP configurations.
	n := len(in.IPConfigurations)
	if n == 0 {
		return missingProperty("ipConfigurations", gwID)
	}
	want := 1
	if out.ActiveActive {
		want = 2
	}
	if n != want {
		if out.GatewayType == TypeExpressRoute {
			return arm.BadRequest("InvalidNumberOfIpConfigurations",
				"ExpressRoute virtual network gateway %s must have exactly 1 IP configuration, %d given.", gwID, n)
		}
		return arm.BadRequest("InvalidNumberOfIpConfigurations",
			"Virtual network gateway %s with activeActive %t must have exactly %d IP configuration(s), %d given.", gwID, out.ActiveActive, want, n)
	}
	var subnetRec *arm.Record
	seenPIP := map[string]string{}
	seenName := map[string]bool{}
	for i, ic := range in.IPConfigurations {
		path := fmt.Sprintf("properties.ipConfigurations[%d]", i)
		if ic.Name == "" {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'name' of ipConfigurations is required.")
		}
		if err := validateName(ic.Name); err != nil {
			return err
		}
		if seenName[strings.ToLower(ic.Name)] {
			return arm.BadRequest("DuplicateResourceName",
				"Resource %s has two child resources with the same name (%s).", gwID, ic.Name)
		}
		seenName[strings.ToLower(ic.Name)] = true
		icID := gwID + "/ipConfigurations/" + ic.Name
		if ic.Properties.Subnet == nil || ic.Properties.Subnet.ID == "" {
			return arm.BadRequest("SubnetReferenceRequiredForIpConfiguration",
				"Subnet reference is required for ipconfiguration %s of virtual network gateway %s.", icID, gwID)
		}
		sid, err := parseTyped(ic.Properties.Subnet.ID, subnetType, path+".properties.subnet.id")
		if err != nil {
			return err
		}
		if !strings.EqualFold(sid.Name(), GatewaySubnetName) {
			return arm.BadRequest("InvalidGatewaySubnet",
				"Subnet %s referenced by IP configuration %s of virtual network gateway %s is not valid: the subnet of a virtual network gateway must be named GatewaySubnet. See https://aka.ms/GatewaySubnet.",
				ic.Properties.Subnet.ID, icID, gwID)
		}
		srec, err := t.Get(ctx, ic.Properties.Subnet.ID)
		if err != nil {
			return err
		}
		if srec == nil {
			return invalidReference(ic.Properties.Subnet.ID, gwID)
		}
		if subnetRec != nil && !arm.SameID(subnetRec.Resource.ID, srec.Resource.ID) {
			return arm.BadRequest("AllIpConfigurationsMustReferenceSameGatewaySubnet",
				"All IP configurations of virtual network gateway %s must reference the same GatewaySubnet.", gwID)
		}
		subnetRec = srec
		if ic.Properties.PublicIPAddress == nil || ic.Properties.PublicIPAddress.ID == "" {
			if out.GatewayType == TypeVpn {
				return arm.BadRequest("PublicIpAddressRequiredForVpnGateway",
					"IP configuration %s of VPN gateway %s must reference a public IP address.", icID, gwID)
			}
			continue
		}
		pipRec, err := loadTyped(ctx, t, ic.Properties.PublicIPAddress.ID, publicIPType, path+".properties.publicIPAddress.id", gwID)
		if err != nil {
			return err
		}
		pipID := pipRec.Resource.ID
		if !strings.EqualFold(arm.NormalizeLocation(pipRec.Resource.Location), location) {
			return invalidReference(pipID, gwID)
		}
		if err := checkGatewayPublicIP(ctx, t, gwID, icID, out, pipRec); err != nil {
			return err
		}
		if other, dup := seenPIP[strings.ToLower(pipID)]; dup {
			return publicIPInUse(icID, pipID, other)
		}
		seenPIP[strings.ToLower(pipID)] = icID
	}
	subnetID := subnetRec.Resource.ID
	sid, _ := arm.ParseID(subnetID)
	vnetID, _ := sid.Parent()
	vnetRec, err := t.Get(ctx, vnetID.String())
	if err != nil {
		return err
	}
	if vnetRec == nil || !strings.EqualFold(arm.NormalizeLocation(vnetRec.Resource.Location), location) {
		return invalidReference(subnetID, gwID)
	}
	if err := checkGatewaySubnet(subnetRec, gwID, out.GatewayType); err != nil {
		return err
	}
	if err := checkCoexistence(ctx, t, gwID, subnetID, vnetID, out.GatewayType); err != nil {
		return err
	}

	// Addresses in GatewaySubnet and the served ip configurations.
	if old != nil {
		keep := map[string]bool{}
		for _, ic := range in.IPConfigurations {
			keep[strings.ToLower(gwID+"/ipConfigurations/"+ic.Name)] = true
		}
		for _, oc := range old.IPConfigurations {
			if oc.Properties.Subnet == nil {
				continue
			}
			if !keep[strings.ToLower(oc.ID)] || !arm.SameID(oc.Properties.Subnet.ID, subnetID) {
				if err := network.ReleaseOwner(ctx, t, oc.Properties.Subnet.ID, oc.ID); err != nil {
					return err
				}
			}
		}
	}
	var requested netip.Addr
	var custom []string
	if in.BgpSettings != nil && strings.TrimSpace(in.BgpSettings.BgpPeeringAddress) != "" {
		for _, s := range strings.Split(in.BgpSettings.BgpPeeringAddress, ",") {
			a, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return arm.BadRequest("InvalidBgpPeeringAddress",
					"BGP peering address %s of virtual network gateway %s is not a valid IP address.", s, gwID)
			}
			switch {
			case apipa.Contains(a) || apipa2.Contains(a):
				custom = append(custom, a.String())
			case inPrefixes(network.SubnetPrefixes(subnetRec), a):
				if !requested.IsValid() {
					requested = a
				}
			default:
				return arm.BadRequest("InvalidBgpPeeringAddress",
					"BGP peering address %s of virtual network gateway %s must be an address of its GatewaySubnet (%s) or a custom address in the APIPA range 169.254.21.0 - 169.254.22.255.",
					a, gwID, subnetID)
			}
		}
	}
	var ips []string
	etag := newETag()
	for i, ic := range in.IPConfigurations {
		icID := gwID + "/ipConfigurations/" + ic.Name
		req := netip.Addr{}
		if i == 0 {
			req = requested
		}
		ip, err := allocateGatewayIP(ctx, t, subnetRec, icID, req, !out.ActiveActive && out.GatewayType == TypeVpn)
		if err != nil {
			return err
		}
		ips = append(ips, ip)
		var c GatewayIPConfiguration
		c.Name, c.ID, c.Etag = ic.Name, icID, etag
		c.Properties.ProvisioningState = arm.StateSucceeded
		c.Properties.PrivateIPAllocationMethod = "Dynamic"
		c.Properties.PrivateIPAddress = ip
		c.Properties.Subnet = &SubResource{ID: subnetID}
		op.AddRef(subnetID, kindIPConfiguration, icID, true)
		if ic.Properties.PublicIPAddress != nil && ic.Properties.PublicIPAddress.ID != "" {
			pipRec, err := t.Get(ctx, ic.Properties.PublicIPAddress.ID)
			if err != nil {
				return err
			}
			c.Properties.PublicIPAddress = &SubResource{ID: pipRec.Resource.ID}
			op.AddRef(pipRec.Resource.ID, kindPublicIPAddress, icID, true)
		}
		out.IPConfigurations = append(out.IPConfigurations, c)
	}

	// BGP settings: Azure's side always has them (ASN 65515 unless the VPN
	// gateway sets another), peering at the gateway's own addresses.
	bgp := &BgpSettings{Asn: DefaultASN, BgpPeeringAddress: strings.Join(ips, ",")}
	if in.BgpSettings != nil {
		if in.BgpSettings.Asn != nil && *in.BgpSettings.Asn != 0 {
			bgp.Asn = *in.BgpSettings.Asn
		}
		if in.BgpSettings.PeerWeight != nil {
			bgp.PeerWeight = *in.BgpSettings.PeerWeight
		}
	}
	if out.GatewayType == TypeExpressRoute && bgp.Asn != DefaultASN {
		return arm.BadRequest("InvalidAsnForExpressRouteGateway",
			"ASN %d is not valid for ExpressRoute virtual network gateway %s: ExpressRoute gateways use ASN %d.", bgp.Asn, gwID, DefaultASN)
	}
	if bgp.Asn != DefaultASN && (bgp.Asn < 1 || bgp.Asn > 4294967295 || reservedASNs[bgp.Asn]) {
		return arm.BadRequest("InvalidAsn",
			"ASN %d of virtual network gateway %s is not valid. ASNs 8074, 8075, 12076, 23456, 65515 and 65517-65520 are reserved by Azure.", bgp.Asn, gwID)
	}
	if bgp.PeerWeight < 0 || bgp.PeerWeight > 100 {
		return arm.BadRequest("InvalidBgpPeerWeight",
			"BGP peer weight %d of virtual network gateway %s must be between 0 and 100.", bgp.PeerWeight, gwID)
	}
	for i, c := range out.IPConfigurations {
		pa := BgpPeeringAddress{IPConfigurationID: c.ID, DefaultBgpIPAddresses: []string{ips[i]}, CustomBgpIPAddresses: []string{}, TunnelIPAddresses: []string{}}
		if i == 0 && len(custom) > 0 {
			pa.CustomBgpIPAddresses = custom
		}
		if c.Properties.PublicIPAddress != nil {
			if pipRec, err := t.Get(ctx, c.Properties.PublicIPAddress.ID); err == nil && pipRec != nil {
				if pp, err := network.DecodePublicIP(pipRec); err == nil && pp.IPAddress != "" {
					pa.TunnelIPAddresses = []string{pp.IPAddress}
				}
			}
		}
		bgp.BgpPeeringAddresses = append(bgp.BgpPeeringAddresses, pa)
	}
	out.BgpSettings = bgp

	props, err := mergeProps(op.Body.Properties, out, "inboundDnsForwardingEndpoint", "provisioningState")
	if err != nil {
		return err
	}
	if _, ok := props["natRules"]; !ok {
		props["natRules"] = []any{}
	}
	dropSecrets(props)
	op.Body.SetPropertiesMap(props)
	return nil
}

func canonical(v string, allowed []string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, true
		}
	}
	return "", false
}

// defaultGeneration is vpnGatewayGeneration when not given.
func defaultGeneration(gwType, sku string) string {
	if gwType != TypeVpn {
		return "None"
	}
	switch strings.TrimSuffix(sku, "AZ") {
	case "VpnGw4", "VpnGw5":
		return "Generation2"
	}
	return "Generation1"
}

func inPrefixes(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// checkGatewayPublicIP applies Azure's rules on a gateway's public IP:
// Standard (static) for every sku but the Basic VPN sku, and not in use
// by another resource.
func checkGatewayPublicIP(ctx context.Context, t *arm.Txn, gwID, icID string, gw GatewayProperties, pipRec *arm.Record) error {
	pipID := pipRec.Resource.ID
	var sku struct {
		Name string `json:"name"`
	}
	if len(pipRec.Resource.SKU) > 0 {
		_ = json.Unmarshal(pipRec.Resource.SKU, &sku)
	}
	if sku.Name == "" {
		sku.Name = "Basic"
	}
	pp, err := network.DecodePublicIP(pipRec)
	if err != nil {
		return err
	}
	if !strings.EqualFold(pp.PublicIPAddressVersion, "IPv4") && pp.PublicIPAddressVersion != "" {
		return arm.BadRequest("VirtualNetworkGatewayPublicIpMustBeIPv4",
			"Public IP address %s referenced by IP configuration %s of virtual network gateway %s must be an IPv4 address.", pipID, icID, gwID)
	}
	if !strings.EqualFold(sku.Name, "Standard") && !(gw.GatewayType == TypeVpn && gw.Sku.Name == "Basic") {
		return arm.BadRequest("VirtualNetworkGatewayRequiresStandardSkuPublicIp",
			"Virtual network gateway %s with sku %s requires a Standard sku public IP address with Static allocation; public IP address %s referenced by IP configuration %s is of the %s sku.",
			gwID, gw.Sku.Name, pipID, icID, sku.Name)
	}
	refs, err := t.RefsTo(ctx, pipID)
	if err != nil {
		return fmt.Errorf("read refs of %s: %w", pipID, err)
	}
	own := strings.ToLower(gwID) + "/ipconfigurations/"
	for _, r := range refs {
		if r.Kind == kindPublicIPAddress && !strings.HasPrefix(strings.ToLower(r.Source), own) {
			return publicIPInUse(icID, pipID, r.Source)
		}
	}
	return nil
}

func publicIPInUse(icID, pipID, holder string) error {
	return arm.BadRequest("PublicIPAddressInUse",
		"Resource %s is referencing public IP address %s that is already allocated to resource %s.", icID, pipID, holder)
}

// checkGatewaySubnet checks the GatewaySubnet's size for the gateway type.
func checkGatewaySubnet(subnetRec *arm.Record, gwID, gwType string) error {
	minBits := minVpnGatewaySubnetBits
	if gwType == TypeExpressRoute {
		minBits = minERGatewaySubnetBits
	}
	for _, p := range network.SubnetPrefixes(subnetRec) {
		if p.Addr().Is4() && p.Bits() > minBits {
			return arm.BadRequest("GatewaySubnetIsTooSmall",
				"GatewaySubnet %s with address prefix %s is too small for %s virtual network gateway %s: the GatewaySubnet must be /%d or larger (a /27 or larger is recommended).",
				subnetRec.Resource.ID, p, gwType, gwID, minBits)
		}
	}
	return nil
}

// checkCoexistence allows one gateway of each type per virtual network,
// and none in a virtual network whose peerings use the remote gateways.
func checkCoexistence(ctx context.Context, t *arm.Txn, gwID, subnetID string, vnetID arm.ID, gwType string) error {
	refs, err := t.RefsTo(ctx, subnetID)
	if err != nil {
		return fmt.Errorf("read refs of %s: %w", subnetID, err)
	}
	own := strings.ToLower(gwID) + "/"
	seen := map[string]bool{}
	for _, r := range refs {
		src := strings.ToLower(r.Source)
		if r.Kind != kindIPConfiguration || strings.HasPrefix(src, own) || !strings.Contains(src, "/providers/microsoft.network/virtualnetworkgateways/") {
			continue
		}
		other := r.Source[:strings.Index(src, "/ipconfigurations/")]
		if seen[strings.ToLower(other)] {
			continue
		}
		seen[strings.ToLower(other)] = true
		orec, err := t.Get(ctx, other)
		if err != nil {
			return err
		}
		if orec == nil {
			continue
		}
		op, err := DecodeGatewayProperties(orec)
		if err != nil {
			return err
		}
		if op.GatewayType == gwType {
			return arm.BadRequest("VirtualNetworkAlreadyHasGatewayOfSameType",
				"Virtual network %s already has virtual network gateway %s of type %s. A virtual network can have at most one VPN gateway and one ExpressRoute gateway.",
				vnetID.String(), orec.Resource.ID, gwType)
		}
	}
	peerings, err := t.Children(ctx, vnetID, "virtualNetworkPeerings")
	if err != nil {
		return err
	}
	for _, pr := range peerings {
		pp, err := network.DecodePeering(pr)
		if err != nil {
			return err
		}
		if pp.UseRemoteGateways {
			return arm.BadRequest("VirtualNetworkGatewayCannotBeCreatedWithUseRemoteGateways",
				"Virtual network gateway %s cannot be created in virtual network %s because its peering %s has useRemoteGateways set. A virtual network that uses a remote gateway cannot have a gateway of its own.",
				gwID, vnetID.String(), pr.Resource.ID)
		}
	}
	return nil
}

// allocateGatewayIP reserves the address of one gateway IP configuration
// in GatewaySubnet: the one it already holds; else requested when given;
// else, for an active-standby VPN gateway, the subnet's last usable
// address (where Azure's VPN gateways answer BGP, e.g. 10.0.255.30 in
// 10.0.255.0/27); else the lowest free address.
func allocateGatewayIP(ctx context.Context, t *arm.Txn, subnetRec *arm.Record, owner string, requested netip.Addr, preferLast bool) (string, error) {
	subnetID := subnetRec.Resource.ID
	allocs, err := network.SubnetAllocations(ctx, t, subnetID)
	if err != nil {
		return "", err
	}
	taken := map[netip.Addr]string{}
	for _, a := range allocs {
		if arm.SameID(a.Owner, owner) && (!requested.IsValid() || a.IP == requested) {
			return a.IP.String(), nil
		}
		taken[a.IP] = a.Owner
	}
	if requested.IsValid() {
		if err := network.ReleaseOwner(ctx, t, subnetID, owner); err != nil {
			return "", err
		}
		return network.AllocateIP(ctx, t, subnetID, owner, requested.String())
	}
	if preferLast {
		for _, p := range network.SubnetPrefixes(subnetRec) {
			if !p.Addr().Is4() {
				continue
			}
			last := lastUsable(p)
			if _, used := taken[last]; !used {
				return network.AllocateIP(ctx, t, subnetID, owner, last.String())
			}
			break
		}
	}
	return network.AllocateIP(ctx, t, subnetID, owner, "")
}

func deleteGateway(ctx context.Context, op *arm.DeleteOp) error {
	p, err := DecodeGatewayProperties(op.Record)
	if err != nil {
		return err
	}
	for _, c := range p.IPConfigurations {
		if c.Properties.Subnet != nil {
			if err := network.ReleaseOwner(ctx, op.Tx, c.Properties.Subnet.ID, c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

func gatewayInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("VirtualNetworkGatewayCannotBeDeleted",
		"Virtual network gateway %s cannot be deleted because it is referenced by connection(s) %s. Delete the connections first.",
		id.String(), strings.Join(refSources(refs), ", "))
}

// refSources lists the distinct sources of refs in order.
func refSources(refs []arm.Ref) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		k := strings.ToLower(r.Source)
		if !seen[k] {
			seen[k] = true
			out = append(out, r.Source)
		}
	}
	return out
}

// dropSecrets removes the write-only RADIUS secrets of a gateway's
// vpnClientConfiguration (Azure never serves them).
func dropSecrets(props map[string]any) {
	vc, ok := props["vpnClientConfiguration"].(map[string]any)
	if !ok {
		return
	}
	delete(vc, "radiusServerSecret")
	if rs, ok := vc["radiusServers"].([]any); ok {
		for _, r := range rs {
			if m, ok := r.(map[string]any); ok {
				delete(m, "radiusServerSecret")
			}
		}
	}
}
