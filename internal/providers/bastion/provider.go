package bastion

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Resource types and constants.
const (
	// Type is the bastion host resource type.
	Type = "Microsoft.Network/bastionHosts"
	// IPConfigType is the type of a bastion host's IP configuration.
	IPConfigType = Type + "/bastionHostIpConfigurations"
	// SubnetName is the only subnet name Azure Bastion accepts (any case).
	SubnetName = "AzureBastionSubnet"

	subnetType   = "Microsoft.Network/virtualNetworks/subnets"
	vnetType     = "Microsoft.Network/virtualNetworks"
	publicIPType = "Microsoft.Network/publicIPAddresses"

	// Ref kinds (those of the network provider: rendered by the subnet as
	// ipConfigurations and by the public IP as ipConfiguration).
	kindIPConfiguration = "ipConfiguration"
	kindPublicIPAddress = "publicIPAddress"
	// kindBastionHost: a bastion host -> its virtual network (one per
	// network; not rendered).
	kindBastionHost = "bastionHost"

	// SKUs.
	SkuBasic     = "Basic"
	SkuStandard  = "Standard"
	SkuDeveloper = "Developer"
	SkuPremium   = "Premium"

	// Scale units: Basic and Developer have 2 fixed instances; Standard
	// and Premium 2-50.
	minScaleUnits     = 2
	maxScaleUnits     = 50
	defaultScaleUnits = 2
	// maxSubnetPrefixBits is the longest AzureBastionSubnet prefix (/26).
	maxSubnetPrefixBits = 26

	// DNSSuffix is the suffix of a bastion host's dnsName.
	DNSSuffix = ".bastion.azure.com"
)

var skus = []string{SkuBasic, SkuStandard, SkuDeveloper, SkuPremium}

// Provider implements arm.Provider for Microsoft.Network/bastionHosts.
// Register it after the network provider: it extends the subnet type with
// Azure's AzureBastionSubnet rules.
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return network.Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	sub, ok := p.Registry.Lookup(subnetType)
	if !ok {
		return fmt.Errorf("bastion: %s is not registered (register the network provider first)", subnetType)
	}
	guardBastionSubnet(sub)
	p.Registry.Register(&arm.TypeSpec{
		Type: Type, APIVersions: append([]string(nil), network.APIVersions...),
		Location: arm.LocationRequired, ETag: true, ProvisioningState: true,
		AsyncPut: true, AsyncDelete: true, NoSystemData: true,
		ValidateName: validateName,
		Put:          putBastion,
		Delete:       deleteBastion,
		Render:       renderBastion,
	})
	return nil
}

// SubResource is ARM's {"id": ...}.
type SubResource = network.SubResource

// Sku is a bastion host's sku.
type Sku struct {
	Name string `json:"name,omitempty"`
}

// IPConfiguration is one entry of ipConfigurations.
type IPConfiguration struct {
	Name       string `json:"name,omitempty"`
	ID         string `json:"id,omitempty"`
	Etag       string `json:"etag,omitempty"`
	Type       string `json:"type,omitempty"`
	Properties struct {
		ProvisioningState         string       `json:"provisioningState,omitempty"`
		PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod,omitempty"`
		Subnet                    *SubResource `json:"subnet,omitempty"`
		PublicIPAddress           *SubResource `json:"publicIPAddress,omitempty"`
	} `json:"properties"`
}

// Properties are a bastion host's stored properties, in Azure's shape.
type Properties struct {
	ProvisioningState        string            `json:"provisioningState,omitempty"`
	DNSName                  string            `json:"dnsName,omitempty"`
	ScaleUnits               *int              `json:"scaleUnits,omitempty"`
	DisableCopyPaste         bool              `json:"disableCopyPaste"`
	EnableFileCopy           bool              `json:"enableFileCopy"`
	EnableIPConnect          bool              `json:"enableIpConnect"`
	EnableShareableLink      bool              `json:"enableShareableLink"`
	EnableTunneling          bool              `json:"enableTunneling"`
	EnableKerberos           bool              `json:"enableKerberos"`
	EnableSessionRecording   bool              `json:"enableSessionRecording"`
	EnablePrivateOnlyBastion bool              `json:"enablePrivateOnlyBastion"`
	IPConfigurations         []IPConfiguration `json:"ipConfigurations"`
	// VirtualNetwork is the network of a Developer bastion (which has no
	// IP configuration).
	VirtualNetwork *SubResource     `json:"virtualNetwork,omitempty"`
	NetworkACLs    *json.RawMessage `json:"networkAcls,omitempty"`
}

// Internal is a bastion record's internal state.
type Internal struct {
	// Subnet is the AzureBastionSubnet (as stored), VNet its network.
	Subnet string `json:"subnet,omitempty"`
	VNet   string `json:"vnet"`
	// Addresses are the private addresses the instances hold in the
	// subnet, one per scale unit (owners: see instanceOwner).
	Addresses []string `json:"addresses,omitempty"`
	// PublicIP is the public IP address (as stored) and PublicAddress
	// its address.
	PublicIP      string `json:"pip,omitempty"`
	PublicAddress string `json:"pipAddress,omitempty"`
}

// Decode decodes a bastion record's sku, properties and internal state.
func Decode(rec *arm.Record) (string, *Properties, *Internal, error) {
	var p Properties
	var in Internal
	var s Sku
	if len(rec.Resource.SKU) > 0 {
		if err := json.Unmarshal(rec.Resource.SKU, &s); err != nil {
			return "", nil, nil, fmt.Errorf("decode bastion host sku %s: %w", rec.Resource.ID, err)
		}
	}
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return "", nil, nil, fmt.Errorf("decode bastion host %s: %w", rec.Resource.ID, err)
		}
	}
	if len(rec.Internal) > 0 {
		if err := json.Unmarshal(rec.Internal, &in); err != nil {
			return "", nil, nil, fmt.Errorf("decode bastion host state %s: %w", rec.Resource.ID, err)
		}
	}
	if s.Name == "" {
		s.Name = SkuStandard
	}
	return s.Name, &p, &in, nil
}

// StandardOrHigher reports whether a sku has the Standard features
// (native client tunneling, IP connect, shareable links, file copy,
// host scaling).
func StandardOrHigher(sku string) bool {
	return strings.EqualFold(sku, SkuStandard) || strings.EqualFold(sku, SkuPremium)
}

var validateName = network.ValidateName

var invalidReference = network.InvalidReference

var invalidPropertyID = network.InvalidPropertyID

// parseTyped parses ref as a resource ID of wantType.
func parseTyped(ref, wantType, path string) (arm.ID, error) {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" || !strings.EqualFold(id.Type(), wantType) {
		return arm.ID{}, invalidPropertyID(ref, path)
	}
	return id, nil
}

// instanceOwner is the IPAM owner of instance i's address.
func instanceOwner(ipConfigID string, i int) string {
	return ipConfigID + "/instances/" + strconv.Itoa(i)
}

// loadRef reads a referenced resource of a type in the bastion's region.
func loadRef(ctx context.Context, t *arm.Txn, ref, wantType, path, referrer, location string) (*arm.Record, error) {
	if _, err := parseTyped(ref, wantType, path); err != nil {
		return nil, err
	}
	rec, err := t.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, invalidReference(ref, referrer)
	}
	if l := rec.Resource.Location; l != "" && !strings.EqualFold(arm.NormalizeLocation(l), location) {
		return nil, invalidReference(ref, referrer)
	}
	return rec, nil
}

func putBastion(ctx context.Context, op *arm.PutOp) error {
	var in Properties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)

	// Sku.
	var s Sku
	if len(op.Body.SKU) > 0 && string(op.Body.SKU) != "null" {
		if err := json.Unmarshal(op.Body.SKU, &s); err != nil {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
		}
	}
	sku := SkuStandard
	if s.Name != "" {
		var ok bool
		if sku, ok = enumOf(s.Name, skus...); !ok {
			return arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Value '%s' of property 'sku.name' is not valid. Allowed values: %s.", s.Name, strings.Join(skus, ", "))
		}
	}
	var old *Properties
	var st Internal
	oldSku := ""
	if op.Existing != nil {
		osku, o, oi, err := Decode(op.Existing)
		if err != nil {
			return err
		}
		oldSku, old, st = osku, o, *oi
		if skuRank(sku) < skuRank(oldSku) {
			return arm.BadRequest("BastionHostSkuDowngradeNotSupported",
				"Bastion Host %s cannot be downgraded from %s SKU to %s SKU. Delete and re-create the Bastion Host to use a lower SKU.", id, oldSku, sku)
		}
	}

	// Scale units and features by sku.
	units := defaultScaleUnits
	if in.ScaleUnits != nil {
		units = *in.ScaleUnits
	}
	if !StandardOrHigher(sku) && units != defaultScaleUnits {
		return arm.BadRequest("BastionHostScaleUnitsNotSupportedForSku",
			"Bastion scalable host is available on Standard SKU. Bastion Host %s has SKU %s and cannot have %d scale units.", id, sku, units)
	}
	if units < minScaleUnits || units > maxScaleUnits {
		return arm.BadRequest("InvalidBastionHostScaleUnits",
			"Scale units %d of Bastion Host %s are out of range. Allowed values are between %d and %d.", units, id, minScaleUnits, maxScaleUnits)
	}
	in.ScaleUnits = &units
	for _, f := range []struct {
		on      bool
		name    string
		premium bool
	}{
		{in.EnableTunneling, "Native client support (enableTunneling)", false},
		{in.EnableIPConnect, "IP-based connection (enableIpConnect)", false},
		{in.EnableShareableLink, "Shareable link (enableShareableLink)", false},
		{in.EnableFileCopy, "File copy (enableFileCopy)", false},
		{in.DisableCopyPaste, "Disable copy/paste (disableCopyPaste)", false},
		{in.EnableSessionRecording, "Session recording (enableSessionRecording)", true},
		{in.EnablePrivateOnlyBastion, "Private-only deployment (enablePrivateOnlyBastion)", true},
	} {
		if !f.on {
			continue
		}
		if f.premium && !strings.EqualFold(sku, SkuPremium) {
			return arm.BadRequest("BastionHostFeatureNotSupportedForSku",
				"%s is only available on the Premium SKU. Bastion Host %s has SKU %s.", f.name, id, sku)
		}
		if !StandardOrHigher(sku) {
			return arm.BadRequest("BastionHostFeatureNotSupportedForSku",
				"%s is only available on the Standard and Premium SKUs. Bastion Host %s has SKU %s.", f.name, id, sku)
		}
	}

	if sku == SkuDeveloper {
		if err := putDeveloper(ctx, op, &in, &st, old); err != nil {
			return err
		}
	} else if err := putDedicated(ctx, op, &in, &st, old, location, units); err != nil {
		return err
	}

	// The bastion's DNS name is fixed at creation.
	if old != nil && old.DNSName != "" {
		in.DNSName = old.DNSName
	} else {
		in.DNSName = "bst-" + uuid.NewString() + DNSSuffix
	}
	in.ProvisioningState = ""
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode bastion host state: %w", err)
	}
	op.Internal = b
	skuJSON, err := json.Marshal(Sku{Name: sku})
	if err != nil {
		return fmt.Errorf("encode bastion host sku: %w", err)
	}
	op.Body.SKU = skuJSON
	return op.Body.SetProperties(in)
}

// putDeveloper checks a Developer bastion: no IP configuration, a virtual
// network, one bastion per network.
func putDeveloper(ctx context.Context, op *arm.PutOp, in *Properties, st *Internal, old *Properties) error {
	id := op.ID.String()
	if len(in.IPConfigurations) > 0 {
		return arm.BadRequest("BastionHostDeveloperSkuCannotHaveIpConfigurations",
			"Bastion Host %s with Developer SKU cannot have IP configurations: it is deployed on shared infrastructure and only references its virtual network.", id)
	}
	if in.VirtualNetwork == nil || in.VirtualNetwork.ID == "" {
		return arm.BadRequest("BastionHostDeveloperSkuMustHaveVirtualNetwork",
			"Bastion Host %s with Developer SKU must reference a virtual network in properties.virtualNetwork.id.", id)
	}
	vrec, err := loadRef(ctx, op.Tx, in.VirtualNetwork.ID, vnetType, "properties.virtualNetwork.id", id, arm.NormalizeLocation(op.Body.Location))
	if err != nil {
		return err
	}
	if old != nil && st.VNet != "" && !arm.SameID(st.VNet, vrec.Resource.ID) {
		return arm.BadRequest("BastionHostVirtualNetworkCannotBeChanged",
			"The virtual network of Bastion Host %s cannot be changed from %s to %s.", id, st.VNet, vrec.Resource.ID)
	}
	if err := onePerVNet(ctx, op.Tx, vrec.Resource.ID, id); err != nil {
		return err
	}
	in.VirtualNetwork = &SubResource{ID: vrec.Resource.ID}
	in.IPConfigurations = []IPConfiguration{}
	st.VNet = vrec.Resource.ID
	op.AddRef(vrec.Resource.ID, kindBastionHost, id, false)
	return nil
}

// putDedicated checks a Basic, Standard or Premium bastion: one IP
// configuration in the network's AzureBastionSubnet with a Standard
// static public IP, and reserves the instances' addresses.
func putDedicated(ctx context.Context, op *arm.PutOp, in *Properties, st *Internal, old *Properties, location string, units int) error {
	t := op.Tx
	id := op.ID.String()
	if n := len(in.IPConfigurations); n != 1 {
		return arm.BadRequest("BastionHostMustHaveMaximumOneHostIpConfiguration",
			"BastionHost %s must contain 1 IP Configuration. It currently contains %d.", id, n)
	}
	if in.VirtualNetwork != nil && in.VirtualNetwork.ID != "" {
		return arm.BadRequest("BastionHostVirtualNetworkOnlyForDeveloperSku",
			"Bastion Host %s references a virtual network in properties.virtualNetwork; only the Developer SKU does. Use an IP configuration in the network's AzureBastionSubnet.", id)
	}
	ic := &in.IPConfigurations[0]
	if ic.Name == "" {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'name' of ipConfigurations is required.")
	}
	if err := validateName(ic.Name); err != nil {
		return err
	}
	icID := id + "/bastionHostIpConfigurations/" + ic.Name
	if old != nil && len(old.IPConfigurations) == 1 && !strings.EqualFold(old.IPConfigurations[0].Name, ic.Name) {
		return arm.BadRequest("BastionHostIpConfigurationCannotBeChanged",
			"The IP configuration of Bastion Host %s cannot be renamed from %s to %s.", id, old.IPConfigurations[0].Name, ic.Name)
	}

	// The subnet.
	if ic.Properties.Subnet == nil || ic.Properties.Subnet.ID == "" {
		return arm.BadRequest("BastionHostIpConfigurationMustHaveSubnet",
			"IP configuration %s of Bastion Host %s must reference the AzureBastionSubnet of a virtual network.", icID, id)
	}
	snID, err := parseTyped(ic.Properties.Subnet.ID, subnetType, "properties.ipConfigurations[0].properties.subnet.id")
	if err != nil {
		return err
	}
	if !strings.EqualFold(snID.Name(), SubnetName) {
		return arm.BadRequest("SubnetNameMustBeAzureBastionSubnet",
			"Subnet name %s is invalid for Azure Bastion. Azure Bastion can only be created in subnet with name 'AzureBastionSubnet'.", ic.Properties.Subnet.ID)
	}
	srec, sp, err := network.LoadSubnet(ctx, t, ic.Properties.Subnet.ID)
	if err != nil {
		return err
	}
	if srec == nil {
		return invalidReference(ic.Properties.Subnet.ID, id)
	}
	subnetID := srec.Resource.ID
	vnetID, _ := snID.Parent()
	vrec, err := t.Get(ctx, vnetID.String())
	if err != nil {
		return err
	}
	if vrec == nil || !strings.EqualFold(arm.NormalizeLocation(vrec.Resource.Location), location) {
		return invalidReference(ic.Properties.Subnet.ID, id)
	}
	if old != nil && st.Subnet != "" && !arm.SameID(st.Subnet, subnetID) {
		return arm.BadRequest("BastionHostSubnetCannotBeChanged",
			"The subnet of Bastion Host %s cannot be changed from %s to %s.", id, st.Subnet, subnetID)
	}
	if err := checkSubnetSize(srec); err != nil {
		return err
	}
	if err := checkSubnetPolicies(ctx, t, srec, sp); err != nil {
		return err
	}
	if err := onePerVNet(ctx, t, vrec.Resource.ID, id); err != nil {
		return err
	}
	if err := subnetFree(ctx, t, subnetID, id); err != nil {
		return err
	}

	// The public IP.
	if ic.Properties.PublicIPAddress == nil || ic.Properties.PublicIPAddress.ID == "" {
		return arm.BadRequest("BastionHostIpConfigurationMustHavePublicIpAddress",
			"IP configuration %s of Bastion Host %s must reference a public IP address.", icID, id)
	}
	prec, err := loadRef(ctx, t, ic.Properties.PublicIPAddress.ID, publicIPType, "properties.ipConfigurations[0].properties.publicIPAddress.id", id, location)
	if err != nil {
		return err
	}
	pp, err := network.DecodePublicIP(prec)
	if err != nil {
		return err
	}
	var psku Sku
	if len(prec.Resource.SKU) > 0 {
		_ = json.Unmarshal(prec.Resource.SKU, &psku)
	}
	if !strings.EqualFold(psku.Name, SkuStandard) || !strings.EqualFold(pp.PublicIPAllocationMethod, "Static") {
		name := psku.Name
		if name == "" {
			name = SkuBasic
		}
		return arm.BadRequest("BastionHostPublicIpMustBeStandardSkuAndStatic",
			"Public IP address %s referenced by Bastion Host %s has SKU %s and allocation method %s. Azure Bastion requires a public IP address with Standard SKU and Static allocation.",
			prec.Resource.ID, id, name, pp.PublicIPAllocationMethod)
	}
	refs, err := t.RefsTo(ctx, prec.Resource.ID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Kind == kindPublicIPAddress && !arm.SameID(r.Source, icID) {
			return arm.BadRequest("PublicIPAddressInUse",
				"Resource %s is referencing public IP address %s that is already allocated to resource %s.", icID, prec.Resource.ID, r.Source)
		}
	}

	// The instances' addresses: one per scale unit.
	var addrs []string
	for i := range units {
		a, err := network.AllocateIP(ctx, t, subnetID, instanceOwner(icID, i), "")
		if err != nil {
			return err
		}
		addrs = append(addrs, a)
	}
	for i := units; i < len(st.Addresses); i++ {
		if err := network.ReleaseIP(ctx, t, st.Subnet, st.Addresses[i], instanceOwner(icID, i)); err != nil {
			return err
		}
	}
	st.Subnet, st.VNet, st.Addresses = subnetID, vrec.Resource.ID, addrs
	st.PublicIP, st.PublicAddress = prec.Resource.ID, pp.IPAddress

	ic.ID, ic.Type, ic.Etag = icID, IPConfigType, ""
	ic.Properties.Subnet = &SubResource{ID: subnetID}
	ic.Properties.PublicIPAddress = &SubResource{ID: prec.Resource.ID}
	ic.Properties.PrivateIPAllocationMethod = "Dynamic"
	ic.Properties.ProvisioningState = arm.StateSucceeded
	op.AddRef(subnetID, kindIPConfiguration, icID, true)
	op.AddRef(prec.Resource.ID, kindPublicIPAddress, icID, true)
	op.AddRef(vrec.Resource.ID, kindBastionHost, id, false)
	return nil
}

// checkSubnetSize refuses an AzureBastionSubnet smaller than /26.
func checkSubnetSize(srec *arm.Record) error {
	for _, p := range network.SubnetPrefixes(srec) {
		if p.Addr().Is4() && p.Bits() > maxSubnetPrefixBits {
			return arm.BadRequest("AzureBastionSubnetPrefixTooSmall",
				"Subnet %s has address prefix %s. The prefix must be smaller than or equal to %d: Azure Bastion requires an AzureBastionSubnet of /26 or larger.",
				srec.Resource.ID, p, maxSubnetPrefixBits)
		}
	}
	return nil
}

// onePerVNet refuses a second bastion host in a virtual network.
func onePerVNet(ctx context.Context, t *arm.Txn, vnetID, id string) error {
	refs, err := t.RefsTo(ctx, vnetID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Kind == kindBastionHost && !arm.SameID(r.Source, id) {
			return arm.BadRequest("OnlyOneBastionHostPerVirtualNetwork",
				"Virtual network %s already has Bastion Host %s. Only one Bastion Host can be deployed in a virtual network.", vnetID, r.Source)
		}
	}
	return nil
}

// subnetFree refuses an AzureBastionSubnet that holds other resources
// (network interfaces, private endpoints, load balancer frontends...).
func subnetFree(ctx context.Context, t *arm.Txn, subnetID, id string) error {
	own := strings.ToLower(id) + "/"
	allocs, err := network.SubnetAllocations(ctx, t, subnetID)
	if err != nil {
		return err
	}
	for _, a := range allocs {
		if !strings.HasPrefix(strings.ToLower(a.Owner), own) {
			return subnetInUse(subnetID, id, a.Owner)
		}
	}
	refs, err := t.RefsTo(ctx, subnetID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Blocking && (r.Kind == kindIPConfiguration || r.Kind == "privateEndpoint") && !strings.HasPrefix(strings.ToLower(r.Source), own) {
			return subnetInUse(subnetID, id, r.Source)
		}
	}
	return nil
}

func subnetInUse(subnetID, id, user string) error {
	return arm.BadRequest("AzureBastionSubnetInUseByOtherResources",
		"Subnet %s is in use by %s. Azure Bastion requires a dedicated AzureBastionSubnet that no other resource uses; Bastion Host %s cannot be created in it.",
		subnetID, user, id)
}

func deleteBastion(ctx context.Context, op *arm.DeleteOp) error {
	_, p, st, err := Decode(op.Record)
	if err != nil {
		return err
	}
	if st.Subnet == "" {
		return nil
	}
	for _, ic := range p.IPConfigurations {
		icID := op.ID.String() + "/bastionHostIpConfigurations/" + ic.Name
		for i := range st.Addresses {
			if err := network.ReleaseIP(ctx, op.Tx, st.Subnet, st.Addresses[i], instanceOwner(icID, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderBastion gives the IP configurations the bastion's etag, as Azure
// does for sub-resources.
func renderBastion(_ context.Context, op *arm.RenderOp) error {
	m := op.Resource.PropertiesMap()
	ics, ok := m["ipConfigurations"].([]any)
	if !ok || len(ics) == 0 {
		return nil
	}
	for _, ic := range ics {
		if icm, ok := ic.(map[string]any); ok {
			icm["etag"] = op.Resource.Etag
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}

// skuRank orders skus for the no-downgrade rule (Developer < Basic <
// Standard < Premium).
func skuRank(s string) int {
	switch strings.ToLower(s) {
	case "developer":
		return 0
	case "basic":
		return 1
	case "standard":
		return 2
	case "premium":
		return 3
	}
	return -1
}

func enumOf(v string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, true
		}
	}
	return "", false
}

// FirstAddress returns the first instance address of a bastion's state
// (invalid when none).
func (st *Internal) FirstAddress() netip.Addr {
	for _, s := range st.Addresses {
		if a, err := netip.ParseAddr(s); err == nil {
			return a
		}
	}
	return netip.Addr{}
}
