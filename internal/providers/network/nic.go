package network

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Network interfaces (Microsoft.Network/networkInterfaces). Their IP
// configurations are sub-objects of the interface (not separate records);
// each has an ID "<nic id>/ipConfigurations/<name>", readable through the
// read-only child type networkInterfaces/ipConfigurations, and holds the
// interface's refs on its subnet (kind "ipConfiguration") and public IP
// (kind "publicIPAddress"). Private addresses come from the subnet's IPAM
// (AllocateIPVersion / ReleaseIP) in the transaction writing the interface.
//
// Confirmed from public error reports: InvalidResourceReference (missing
// or other-region subnet, NSG, public IP), PublicIPAddressInUse, NicInUse,
// LinkedInvalidPropertyId. Unconfirmed, chosen by analogy:
// NetworkInterfaceMustHaveAtLeastOneIpConfiguration,
// NetworkInterfaceMustHavePrimaryIpConfiguration,
// NetworkInterfaceHasMultiplePrimaryIpConfigurations,
// IpConfigurationSubnetMissing. A Static configuration without an address
// gets a free one and stays Static (unconfirmed); an address given without
// an allocation method makes the configuration Static.

const (
	nicType         = "Microsoft.Network/networkInterfaces"
	nicIPConfigType = nicType + "/ipConfigurations"

	// kindNICVirtualMachine is the kind of the ref a virtual machine may
	// hold on a network interface it uses (rendered as virtualMachine and
	// blocking the interface's deletion).
	kindNICVirtualMachine = "virtualMachine"

	nicMACKeyPrefix = "/nicmac/"
)

var (
	nicTypes          = []string{"Standard", "Elastic"}
	nicAuxiliaryModes = []string{"None", "MaxConnections", "Floating", "AcceleratedConnections"}
	nicAuxiliarySkus  = []string{"None", "A1", "A2", "A4", "A8"}
)

// InterfaceIPConfigurationProperties are an IP configuration's properties.
type InterfaceIPConfigurationProperties struct {
	ProvisioningState                     string        `json:"provisioningState,omitempty"`
	PrivateIPAddress                      string        `json:"privateIPAddress,omitempty"`
	PrivateIPAllocationMethod             string        `json:"privateIPAllocationMethod"`
	PrivateIPAddressVersion               string        `json:"privateIPAddressVersion"`
	Subnet                                *SubResource  `json:"subnet,omitempty"`
	PublicIPAddress                       *SubResource  `json:"publicIPAddress,omitempty"`
	Primary                               bool          `json:"primary"`
	ApplicationSecurityGroups             []SubResource `json:"applicationSecurityGroups,omitempty"`
	LoadBalancerBackendAddressPools       []SubResource `json:"loadBalancerBackendAddressPools,omitempty"`
	LoadBalancerInboundNatRules           []SubResource `json:"loadBalancerInboundNatRules,omitempty"`
	ApplicationGatewayBackendAddressPools []SubResource `json:"applicationGatewayBackendAddressPools,omitempty"`
	GatewayLoadBalancer                   *SubResource  `json:"gatewayLoadBalancer,omitempty"`
	VirtualNetworkTaps                    []SubResource `json:"virtualNetworkTaps,omitempty"`
}

// InterfaceIPConfiguration is one IP configuration of a network interface.
type InterfaceIPConfiguration struct {
	Name       string                             `json:"name"`
	ID         string                             `json:"id,omitempty"`
	Etag       string                             `json:"etag,omitempty"`
	Type       string                             `json:"type,omitempty"`
	Properties InterfaceIPConfigurationProperties `json:"properties"`
}

// InterfaceDNSSettings are a network interface's DNS settings.
type InterfaceDNSSettings struct {
	DNSServers               []string `json:"dnsServers"`
	AppliedDNSServers        []string `json:"appliedDnsServers"`
	InternalDNSNameLabel     string   `json:"internalDnsNameLabel,omitempty"`
	InternalFqdn             string   `json:"internalFqdn,omitempty"`
	InternalDomainNameSuffix string   `json:"internalDomainNameSuffix,omitempty"`
}

// NetworkInterfaceProperties are a network interface's stored properties.
type NetworkInterfaceProperties struct {
	ProvisioningState           string                     `json:"provisioningState,omitempty"`
	ResourceGUID                string                     `json:"resourceGuid,omitempty"`
	IPConfigurations            []InterfaceIPConfiguration `json:"ipConfigurations"`
	DNSSettings                 InterfaceDNSSettings       `json:"dnsSettings"`
	MacAddress                  string                     `json:"macAddress,omitempty"`
	EnableAcceleratedNetworking bool                       `json:"enableAcceleratedNetworking"`
	DisableTCPStateTracking     bool                       `json:"disableTcpStateTracking"`
	EnableIPForwarding          bool                       `json:"enableIPForwarding"`
	NetworkSecurityGroup        *SubResource               `json:"networkSecurityGroup,omitempty"`
	Primary                     *bool                      `json:"primary,omitempty"`
	VirtualMachine              *SubResource               `json:"virtualMachine,omitempty"`
	VnetEncryptionSupported     bool                       `json:"vnetEncryptionSupported"`
	NicType                     string                     `json:"nicType,omitempty"`
	AuxiliaryMode               string                     `json:"auxiliaryMode,omitempty"`
	AuxiliarySku                string                     `json:"auxiliarySku,omitempty"`
	HostedWorkloads             []string                   `json:"hostedWorkloads"`
	TapConfigurations           []json.RawMessage          `json:"tapConfigurations"`
}

// DecodeNetworkInterface decodes a network interface record's properties.
func DecodeNetworkInterface(rec *arm.Record) (*NetworkInterfaceProperties, error) {
	var p NetworkInterfaceProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode network interface %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// PrimaryIPConfiguration returns the primary IP configuration (nil if none).
func (p *NetworkInterfaceProperties) PrimaryIPConfiguration() *InterfaceIPConfiguration {
	for i := range p.IPConfigurations {
		if p.IPConfigurations[i].Properties.Primary {
			return &p.IPConfigurations[i]
		}
	}
	return nil
}

// InternalDomainNameSuffix is the suffix Azure-provided DNS gives the
// network interfaces of a virtual network ("<22 letters>.<2 letters>.internal.cloudapp.net"),
// derived from the virtual network's ID so it is stable.
func InternalDomainNameSuffix(vnetID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(vnetID)))
	var b strings.Builder
	for i := 0; i < 22; i++ {
		b.WriteByte('a' + sum[i]%26)
	}
	b.WriteByte('.')
	b.WriteByte('a' + sum[22]%26)
	b.WriteByte('a' + sum[23]%26)
	b.WriteString(".internal.cloudapp.net")
	return b.String()
}

func registerNetworkInterfaces(p *arm.Platform) error {
	p.Registry.Register(
		&arm.TypeSpec{
			Type:              nicType,
			APIVersions:       versions(),
			Location:          arm.LocationRequired,
			ETag:              true,
			ProvisioningState: true,
			AsyncPut:          true,
			AsyncDelete:       true,
			NoSystemData:      true,
			BackRefs:          []arm.BackRef{{Property: "virtualMachine", Kind: kindNICVirtualMachine, Single: true}},
			ValidateName:      validateNetworkName,
			Put:               putNetworkInterface,
			Delete:            deleteNetworkInterface,
			InUse:             networkInterfaceInUse,
			Render:            renderNetworkInterface,
		},
		&arm.TypeSpec{
			Type:         nicIPConfigType,
			APIVersions:  versions(),
			Location:     arm.LocationNone,
			ETag:         true,
			NoSystemData: true,
			List:         listNICIPConfigurations,
			NotFound:     childResourceNotFound,
		},
	)
	if p.Server != nil {
		p.Server.Handle(http.MethodGet,
			"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{nic}/ipConfigurations/{name}",
			getNICIPConfiguration)
	}
	return nil
}

// nicIPConfigInput is an IP configuration of a PUT body as accepted.
type nicIPConfigInput struct {
	Name       string `json:"name"`
	Properties struct {
		PrivateIPAddress                      string        `json:"privateIPAddress"`
		PrivateIPAllocationMethod             string        `json:"privateIPAllocationMethod"`
		PrivateIPAddressVersion               string        `json:"privateIPAddressVersion"`
		Subnet                                *SubResource  `json:"subnet"`
		PublicIPAddress                       *SubResource  `json:"publicIPAddress"`
		Primary                               *bool         `json:"primary"`
		ApplicationSecurityGroups             []SubResource `json:"applicationSecurityGroups"`
		LoadBalancerBackendAddressPools       []SubResource `json:"loadBalancerBackendAddressPools"`
		LoadBalancerInboundNatRules           []SubResource `json:"loadBalancerInboundNatRules"`
		ApplicationGatewayBackendAddressPools []SubResource `json:"applicationGatewayBackendAddressPools"`
		GatewayLoadBalancer                   *SubResource  `json:"gatewayLoadBalancer"`
		VirtualNetworkTaps                    []SubResource `json:"virtualNetworkTaps"`
	} `json:"properties"`
}

type nicInput struct {
	IPConfigurations []nicIPConfigInput `json:"ipConfigurations"`
	DNSSettings      *struct {
		DNSServers           []string `json:"dnsServers"`
		InternalDNSNameLabel string   `json:"internalDnsNameLabel"`
	} `json:"dnsSettings"`
	EnableAcceleratedNetworking bool         `json:"enableAcceleratedNetworking"`
	DisableTCPStateTracking     bool         `json:"disableTcpStateTracking"`
	EnableIPForwarding          bool         `json:"enableIPForwarding"`
	NetworkSecurityGroup        *SubResource `json:"networkSecurityGroup"`
	NicType                     string       `json:"nicType"`
	AuxiliaryMode               string       `json:"auxiliaryMode"`
	AuxiliarySku                string       `json:"auxiliarySku"`
}

var invalidReference = InvalidReference

var invalidPropertyID = InvalidPropertyID

// loadReferenced reads the resource a property references, checking its
// type and that it is in location (when not empty); a missing resource, a
// resource of another type or in another region is Azure's
// InvalidResourceReference.
func loadReferenced(ctx context.Context, t *arm.Txn, ref, wantType, path, referrer, location string) (*arm.Record, error) {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" {
		return nil, invalidPropertyID(ref, path)
	}
	if !strings.EqualFold(id.Type(), wantType) {
		return nil, invalidReference(ref, referrer)
	}
	rec, err := t.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if rec == nil || (location != "" && rec.Resource.Location != "" && !strings.EqualFold(arm.NormalizeLocation(rec.Resource.Location), location)) {
		return nil, invalidReference(ref, referrer)
	}
	return rec, nil
}

// nicPlan is an IP configuration being put, with what it needs.
type nicPlan struct {
	in        *nicIPConfigInput
	id        string
	path      string
	out       InterfaceIPConfiguration
	subnetID  string
	requested string
	keep      bool
}

func putNetworkInterface(ctx context.Context, op *arm.PutOp) error {
	var in nicInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	nicID := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)
	out := NetworkInterfaceProperties{
		ResourceGUID:                existingGUID(op.Existing),
		EnableAcceleratedNetworking: in.EnableAcceleratedNetworking,
		DisableTCPStateTracking:     in.DisableTCPStateTracking,
		EnableIPForwarding:          in.EnableIPForwarding,
		HostedWorkloads:             []string{},
		TapConfigurations:           []json.RawMessage{},
	}
	var err error
	if out.NicType, err = nrpEnum(in.NicType, nicTypes, "NetworkInterfaceNicType", "properties.nicType"); err != nil {
		return err
	}
	if out.NicType == "" {
		out.NicType = "Standard"
	}
	if out.AuxiliaryMode, err = nrpEnum(in.AuxiliaryMode, nicAuxiliaryModes, "NetworkInterfaceAuxiliaryMode", "properties.auxiliaryMode"); err != nil {
		return err
	}
	if out.AuxiliarySku, err = nrpEnum(in.AuxiliarySku, nicAuxiliarySkus, "NetworkInterfaceAuxiliarySku", "properties.auxiliarySku"); err != nil {
		return err
	}
	old := &NetworkInterfaceProperties{}
	if op.Existing != nil {
		if old, err = DecodeNetworkInterface(op.Existing); err != nil {
			return err
		}
		out.VirtualMachine = old.VirtualMachine
		out.Primary = old.Primary
		out.MacAddress = old.MacAddress
	}

	// IP configurations: names, primary.
	if len(in.IPConfigurations) == 0 {
		return arm.BadRequest("NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
			"Network interface %s must have at least one IP configuration.", nicID)
	}
	seen := map[string]bool{}
	primaries := 0
	for i := range in.IPConfigurations {
		c := &in.IPConfigurations[i]
		if c.Name == "" {
			return arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Property 'name' of ipConfigurations is required.")
		}
		if err := validateNetworkName(c.Name); err != nil {
			return err
		}
		if seen[strings.ToLower(c.Name)] {
			return duplicateChildName(nicID, c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		if c.Properties.Primary != nil && *c.Properties.Primary {
			primaries++
		}
	}
	if len(in.IPConfigurations) > 1 && primaries != 1 {
		if primaries == 0 {
			return arm.BadRequest("NetworkInterfaceMustHavePrimaryIpConfiguration",
				"Network interface %s has %d IP configurations and none of them is primary. Exactly one IP configuration must be primary.",
				nicID, len(in.IPConfigurations))
		}
		return arm.BadRequest("NetworkInterfaceHasMultiplePrimaryIpConfigurations",
			"Network interface %s has %d primary IP configurations. Exactly one IP configuration must be primary.", nicID, primaries)
	}

	// Network security group.
	if in.NetworkSecurityGroup != nil && in.NetworkSecurityGroup.ID != "" {
		nsgRec, err := loadReferenced(ctx, t, in.NetworkSecurityGroup.ID, nsgType, "properties.networkSecurityGroup.id", nicID, location)
		if err != nil {
			return err
		}
		out.NetworkSecurityGroup = &SubResource{ID: nsgRec.Resource.ID}
		op.AddRef(nsgRec.Resource.ID, kindNSGNetworkInterface, nicID, true)
	}

	oldByName := map[string]*InterfaceIPConfiguration{}
	for i := range old.IPConfigurations {
		oc := &old.IPConfigurations[i]
		oldByName[strings.ToLower(oc.Name)] = oc
	}

	// Validate every IP configuration and its references first.
	plans := make([]*nicPlan, len(in.IPConfigurations))
	var vnetForDNS string
	for i := range in.IPConfigurations {
		c := &in.IPConfigurations[i]
		pl, vnetID, err := planIPConfiguration(ctx, t, nicID, location, i, c, len(in.IPConfigurations) == 1, oldByName[strings.ToLower(c.Name)])
		if err != nil {
			return err
		}
		plans[i] = pl
		if pl.out.Properties.Primary || vnetForDNS == "" {
			vnetForDNS = vnetID
		}
	}
	if err := bindPublicIPs(ctx, t, nicID, location, plans, old); err != nil {
		return err
	}
	if err := assignPrivateIPs(ctx, t, plans, old); err != nil {
		return err
	}
	for _, pl := range plans {
		cp := &pl.out.Properties
		op.AddRef(pl.subnetID, kindIPConfiguration, pl.id, true)
		if cp.PublicIPAddress != nil {
			op.AddRef(cp.PublicIPAddress.ID, kindPublicIPAddress, pl.id, true)
		}
		out.IPConfigurations = append(out.IPConfigurations, pl.out)
	}

	// DNS settings.
	out.DNSSettings = InterfaceDNSSettings{DNSServers: []string{}, AppliedDNSServers: []string{}}
	if in.DNSSettings != nil {
		if in.DNSSettings.DNSServers != nil {
			out.DNSSettings.DNSServers = in.DNSSettings.DNSServers
		}
		out.DNSSettings.InternalDNSNameLabel = in.DNSSettings.InternalDNSNameLabel
	}
	if vnetForDNS != "" {
		out.DNSSettings.InternalDomainNameSuffix = InternalDomainNameSuffix(vnetForDNS)
		if out.DNSSettings.InternalDNSNameLabel != "" {
			out.DNSSettings.InternalFqdn = out.DNSSettings.InternalDNSNameLabel + "." + out.DNSSettings.InternalDomainNameSuffix
		}
	}
	if out.MacAddress == "" {
		if out.MacAddress, err = allocateMAC(ctx, t, nicID); err != nil {
			return err
		}
	}
	return op.Body.SetProperties(out)
}

// planIPConfiguration validates one IP configuration of a PUT (index i)
// and its subnet, and returns its plan and the ID of its virtual network.
func planIPConfiguration(ctx context.Context, t *arm.Txn, nicID, location string, i int, c *nicIPConfigInput, single bool, old *InterfaceIPConfiguration) (*nicPlan, string, error) {
	pl := &nicPlan{in: c, id: nicID + "/ipConfigurations/" + c.Name, path: fmt.Sprintf("properties.ipConfigurations[%d].properties.", i)}
	cp := &pl.out.Properties
	pl.out.Name, pl.out.ID, pl.out.Type = c.Name, pl.id, nicIPConfigType
	var err error
	if cp.PrivateIPAllocationMethod, err = nrpEnum(c.Properties.PrivateIPAllocationMethod, ipAllocationMethods, "IpAllocationMethod", pl.path+"privateIPAllocationMethod"); err != nil {
		return nil, "", err
	}
	if cp.PrivateIPAddressVersion, err = nrpEnum(c.Properties.PrivateIPAddressVersion, ipVersions, "IPVersion", pl.path+"privateIPAddressVersion"); err != nil {
		return nil, "", err
	}
	if cp.PrivateIPAddressVersion == "" {
		cp.PrivateIPAddressVersion = ipv4
	}
	pl.requested = strings.TrimSpace(c.Properties.PrivateIPAddress)
	if cp.PrivateIPAllocationMethod == "" {
		cp.PrivateIPAllocationMethod = allocDyn
		if pl.requested != "" {
			cp.PrivateIPAllocationMethod = allocStatic
		}
	}
	if cp.PrivateIPAllocationMethod == allocDyn {
		pl.requested = ""
	}
	cp.Primary = single || (c.Properties.Primary != nil && *c.Properties.Primary)
	if c.Properties.Subnet == nil || c.Properties.Subnet.ID == "" {
		return nil, "", arm.BadRequest("IpConfigurationSubnetMissing",
			"IP configuration %s must reference a subnet.", pl.id)
	}
	subnetRec, err := loadReferenced(ctx, t, c.Properties.Subnet.ID, subnetType, pl.path+"subnet.id", nicID, "")
	if err != nil {
		return nil, "", err
	}
	vnetID, _ := arm.ParseID(subnetRec.Resource.ID)
	vnetID, _ = vnetID.Parent()
	vnetRec, err := t.Get(ctx, vnetID.String())
	if err != nil {
		return nil, "", err
	}
	if vnetRec == nil || !strings.EqualFold(arm.NormalizeLocation(vnetRec.Resource.Location), location) {
		return nil, "", invalidReference(c.Properties.Subnet.ID, nicID)
	}
	if err := CheckSubnetAccepts(subnetRec, DelegatedService(ctx)); err != nil {
		return nil, "", err
	}
	pl.subnetID = subnetRec.Resource.ID
	cp.Subnet = &SubResource{ID: pl.subnetID}
	cp.ApplicationSecurityGroups = c.Properties.ApplicationSecurityGroups
	cp.LoadBalancerBackendAddressPools = c.Properties.LoadBalancerBackendAddressPools
	cp.LoadBalancerInboundNatRules = c.Properties.LoadBalancerInboundNatRules
	cp.ApplicationGatewayBackendAddressPools = c.Properties.ApplicationGatewayBackendAddressPools
	cp.GatewayLoadBalancer = c.Properties.GatewayLoadBalancer
	cp.VirtualNetworkTaps = c.Properties.VirtualNetworkTaps
	for _, g := range cp.ApplicationSecurityGroups {
		if _, err := arm.ParseID(g.ID); err != nil || g.ID == "" {
			return nil, "", invalidPropertyID(g.ID, pl.path+"applicationSecurityGroups")
		}
	}
	// An existing configuration keeps its address when its subnet,
	// version and (for Static) requested address are unchanged.
	if old != nil && old.Properties.PrivateIPAddress != "" &&
		old.Properties.Subnet != nil && arm.SameID(old.Properties.Subnet.ID, pl.subnetID) &&
		old.Properties.PrivateIPAddressVersion == cp.PrivateIPAddressVersion &&
		(pl.requested == "" || pl.requested == old.Properties.PrivateIPAddress) {
		pl.keep = true
		if cp.PrivateIPAllocationMethod == allocStatic {
			pl.requested = old.Properties.PrivateIPAddress
		}
	}
	return pl, vnetRec.Resource.ID, nil
}

// bindPublicIPs checks the public IPs the configurations reference (each
// held by one IP configuration only), attaches them and detaches those the
// interface no longer references.
func bindPublicIPs(ctx context.Context, t *arm.Txn, nicID, location string, plans []*nicPlan, old *NetworkInterfaceProperties) error {
	pipOwner := map[string]string{}
	ownPrefix := strings.ToLower(nicID) + "/ipconfigurations/"
	for _, pl := range plans {
		ref := pl.in.Properties.PublicIPAddress
		if ref == nil || ref.ID == "" {
			continue
		}
		pipRec, err := loadReferenced(ctx, t, ref.ID, publicIPType, pl.path+"publicIPAddress.id", nicID, location)
		if err != nil {
			return err
		}
		pipID := pipRec.Resource.ID
		key := strings.ToLower(pipID)
		if other, dup := pipOwner[key]; dup {
			return publicIPInUseBy(pl.id, pipID, other)
		}
		refs, err := t.RefsTo(ctx, pipID)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if r.Kind == kindPublicIPAddress && !strings.HasPrefix(strings.ToLower(r.Source), ownPrefix) {
				return publicIPInUseBy(pl.id, pipID, r.Source)
			}
		}
		pipOwner[key] = pl.id
		pl.out.Properties.PublicIPAddress = &SubResource{ID: pipID}
		if err := attachPublicIP(ctx, t, pipRec); err != nil {
			return err
		}
	}
	for _, oc := range old.IPConfigurations {
		if oc.Properties.PublicIPAddress == nil || oc.Properties.PublicIPAddress.ID == "" {
			continue
		}
		if _, still := pipOwner[strings.ToLower(oc.Properties.PublicIPAddress.ID)]; !still {
			if err := detachPublicIP(ctx, t, oc.Properties.PublicIPAddress.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// assignPrivateIPs releases the addresses of configurations that go or
// change, then reserves every configuration's address.
func assignPrivateIPs(ctx context.Context, t *arm.Txn, plans []*nicPlan, old *NetworkInterfaceProperties) error {
	kept := map[string]bool{}
	for _, pl := range plans {
		if pl.keep {
			kept[strings.ToLower(pl.out.Name)] = true
		}
	}
	for _, oc := range old.IPConfigurations {
		if kept[strings.ToLower(oc.Name)] || oc.Properties.PrivateIPAddress == "" || oc.Properties.Subnet == nil {
			continue
		}
		if err := ReleaseIP(ctx, t, oc.Properties.Subnet.ID, oc.Properties.PrivateIPAddress, oc.ID); err != nil {
			return err
		}
	}
	for _, pl := range plans {
		cp := &pl.out.Properties
		ip, err := AllocateIPVersion(ctx, t, pl.subnetID, pl.id, pl.requested, cp.PrivateIPAddressVersion)
		if err != nil {
			return err
		}
		cp.PrivateIPAddress = ip
	}
	return nil
}

func publicIPInUseBy(ipConfigID, pipID, holder string) error {
	return arm.BadRequest("PublicIPAddressInUse",
		"Resource %s is referencing public IP address %s that is already allocated to resource %s.", ipConfigID, pipID, holder)
}

// allocateMAC reserves an Azure-style MAC address ("00-0D-3A-XX-XX-XX")
// unique in the emulator.
func allocateMAC(ctx context.Context, t *arm.Txn, owner string) (string, error) {
	for range 32 {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("generate MAC address: %w", err)
		}
		mac := fmt.Sprintf("00-0D-3A-%02X-%02X-%02X", b[0], b[1], b[2])
		_, exists, err := t.Raw().Get(ctx, nicMACKeyPrefix+mac)
		if err != nil {
			return "", fmt.Errorf("read MAC reservation: %w", err)
		}
		if !exists {
			t.Raw().Put(nicMACKeyPrefix+mac, []byte(owner))
			return mac, nil
		}
	}
	return "", fmt.Errorf("no free MAC address after 32 attempts")
}

func deleteNetworkInterface(ctx context.Context, op *arm.DeleteOp) error {
	p, err := DecodeNetworkInterface(op.Record)
	if err != nil {
		return err
	}
	nicID := op.Record.Resource.ID
	if p.VirtualMachine != nil && p.VirtualMachine.ID != "" {
		return nicInUse(nicID, p.VirtualMachine.ID)
	}
	for _, c := range p.IPConfigurations {
		if c.Properties.Subnet != nil && c.Properties.PrivateIPAddress != "" {
			if err := ReleaseIP(ctx, op.Tx, c.Properties.Subnet.ID, c.Properties.PrivateIPAddress, c.ID); err != nil {
				return err
			}
		}
		if c.Properties.PublicIPAddress != nil && c.Properties.PublicIPAddress.ID != "" {
			if err := detachPublicIP(ctx, op.Tx, c.Properties.PublicIPAddress.ID); err != nil {
				return err
			}
		}
	}
	if p.MacAddress != "" {
		return releaseOwnedKey(ctx, op.Tx, nicMACKeyPrefix+p.MacAddress, nicID)
	}
	return nil
}

func nicInUse(nicID, user string) error {
	return arm.BadRequest("NicInUse",
		"Network Interface %s is used by existing resource %s. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
		nicID, user)
}

func networkInterfaceInUse(id arm.ID, refs []arm.Ref) error {
	return nicInUse(id.String(), refs[0].Source)
}

// renderNetworkInterface gives each IP configuration the interface's etag
// and provisioning state, as Azure does.
func renderNetworkInterface(ctx context.Context, op *arm.RenderOp) error {
	m := op.Resource.PropertiesMap()
	state, _ := m["provisioningState"].(string)
	cfgs, _ := m["ipConfigurations"].([]any)
	for _, c := range cfgs {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		cm["etag"] = op.Resource.Etag
		if pm, ok := cm["properties"].(map[string]any); ok && state != "" {
			pm["provisioningState"] = state
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}

// renderedIPConfigurations renders a network interface and returns its IP
// configurations as served.
func renderedIPConfigurations(ctx context.Context, e *arm.Engine, rec *arm.Record) ([]arm.Resource, error) {
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	var p struct {
		IPConfigurations []arm.Resource `json:"ipConfigurations"`
	}
	if err := json.Unmarshal(res.Properties, &p); err != nil {
		return nil, fmt.Errorf("decode ip configurations of %s: %w", rec.Resource.ID, err)
	}
	return p.IPConfigurations, nil
}

func listNICIPConfigurations(ctx context.Context, op *arm.ListOp) ([]arm.Resource, error) {
	if op.Parent == nil {
		return nil, arm.BadRequest("InvalidResourceType", "The resource type 'networkInterfaces/ipConfigurations' could not be found.")
	}
	rec, err := op.Req.Engine.GetRecord(ctx, op.Parent.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ResourceNotFound(*op.Parent)
	}
	return renderedIPConfigurations(ctx, op.Req.Engine, rec)
}

// getNICIPConfiguration serves GET .../networkInterfaces/{nic}/ipConfigurations/{name}.
func getNICIPConfiguration(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	spec, ok := req.Engine.Registry.Lookup(nicIPConfigType)
	if !ok {
		return nil, fmt.Errorf("type %s not registered", nicIPConfigType)
	}
	if !spec.SupportsVersion(req.APIVersion) {
		return nil, arm.BadRequest("NoRegisteredProviderFound",
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
			"global", req.APIVersion, spec.ShortType(), strings.Join(spec.APIVersions, ", "), "")
	}
	nic := arm.ID{
		Subscription: req.Vars["sub"], ResourceGroup: req.Vars["rg"],
		Scope:     "/subscriptions/" + req.Vars["sub"] + "/resourceGroups/" + req.Vars["rg"],
		Namespace: Namespace, Types: []string{"networkInterfaces"}, Names: []string{req.Vars["nic"]},
	}
	rec, err := req.Engine.GetRecord(ctx, nic.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		rg, err := req.Engine.GetRecord(ctx, nic.ResourceGroupID())
		if err != nil {
			return nil, err
		}
		if rg == nil {
			return nil, arm.ResourceGroupNotFound(nic.ResourceGroup)
		}
		return nil, arm.ResourceNotFound(nic)
	}
	cfgs, err := renderedIPConfigurations(ctx, req.Engine, rec)
	if err != nil {
		return nil, err
	}
	for _, c := range cfgs {
		if strings.EqualFold(c.Name, req.Vars["name"]) {
			if req.HTTP.Method == http.MethodHead {
				return &arm.Response{Status: http.StatusNoContent}, nil
			}
			h := http.Header{}
			if c.Etag != "" {
				h.Set("ETag", c.Etag)
			}
			return &arm.Response{Status: http.StatusOK, Body: c, Header: h}, nil
		}
	}
	nicRID, _ := arm.ParseID(rec.Resource.ID)
	return nil, childResourceNotFound(nicRID.Child("ipConfigurations", req.Vars["name"]))
}
