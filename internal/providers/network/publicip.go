package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Public IP addresses (Microsoft.Network/publicIPAddresses).
//
// Addresses come from emulated pools that are the same for the whole
// emulator: an address is reserved under the provider-owned store key
// "/publicip/<ip>" (value: the public IP resource ID) in the transaction
// that writes the resource holding it, so two resources can never hold
// the same address. Static addresses are allocated when the resource is
// created; Dynamic ones while the public IP is associated with an IP
// configuration (Azure assigns them when the associated resource starts;
// privlink simplifies to "while associated").
//
// Confirmed from public error reports: StandardSkuPublicIPAddressesMustBeStatic,
// CannotSpecifyPublicIpAllocationMethodAsStaticForIpV6PublicIp,
// InvalidDomainNameLabel, DnsRecordInUse, PublicIPAddressCannotBeDeleted,
// PublicIPIdleTimeoutIsOutOfRange (code; the message wording is
// reconstructed). Unconfirmed: PublicIPCountLimitReached's message.
// Defaults follow PublicIpAddressCreateDefaults (2025-01-01): Basic sku,
// Dynamic allocation, IPv4, 4 minutes; Standard defaults to Static.

const (
	publicIPType = "Microsoft.Network/publicIPAddresses"

	// kindPublicIPAddress is the kind of the ref an IP configuration holds
	// on its public IP address (rendered there as ipConfiguration).
	kindPublicIPAddress = "publicIPAddress"

	publicIPKeyPrefix    = "/publicip/"
	publicIPCursorPrefix = "/publicipcursor/"
	publicIPDNSPrefix    = "/publicipdns/"

	minIdleTimeout     = 4
	maxIdleTimeout     = 30
	defaultIdleTimeout = 4

	skuBasic    = "Basic"
	skuStandard = "Standard"
	allocStatic = "Static"
	allocDyn    = "Dynamic"
	ipv4        = "IPv4"
	ipv6        = "IPv6"
)

// Emulated public address pools. 52.160.0.0/16 is inside a range Azure
// really uses (so addresses look like Azure's); privlink never routes to
// them outside its own data plane. IPv6 addresses come from the
// documentation prefix 2001:db8::/32 (RFC 3849).
var (
	publicIPv4Pool = netip.MustParsePrefix("52.160.0.0/16")
	publicIPv6Pool = netip.MustParsePrefix("2001:db8:52::/48")
)

// PublicIPv4Pool is the emulated range public IPv4 addresses come from.
func PublicIPv4Pool() netip.Prefix { return publicIPv4Pool }

// PublicIPv6Pool is the emulated range public IPv6 addresses come from.
func PublicIPv6Pool() netip.Prefix { return publicIPv6Pool }

var (
	publicIPSkuNames       = []string{skuBasic, skuStandard}
	publicIPSkuTiers       = []string{"Regional", "Global"}
	ipAllocationMethods    = []string{allocStatic, allocDyn}
	ipVersions             = []string{ipv4, ipv6}
	domainNameLabelPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,61}[a-z0-9]$`)
)

// PublicIPAddressSku is a public IP's sku.
type PublicIPAddressSku struct {
	Name string `json:"name,omitempty"`
	Tier string `json:"tier,omitempty"`
}

// PublicIPDNSSettings are a public IP's DNS settings.
type PublicIPDNSSettings struct {
	DomainNameLabel      string `json:"domainNameLabel,omitempty"`
	DomainNameLabelScope string `json:"domainNameLabelScope,omitempty"`
	Fqdn                 string `json:"fqdn,omitempty"`
	ReverseFqdn          string `json:"reverseFqdn,omitempty"`
}

// IPTag is one entry of a public IP's ipTags.
type IPTag struct {
	IPTagType string `json:"ipTagType,omitempty"`
	Tag       string `json:"tag,omitempty"`
}

// PublicIPAddressProperties are a public IP's stored properties (the
// ipConfiguration back-reference is rendered from the refs index).
type PublicIPAddressProperties struct {
	ProvisioningState        string               `json:"provisioningState,omitempty"`
	ResourceGUID             string               `json:"resourceGuid,omitempty"`
	PublicIPAddressVersion   string               `json:"publicIPAddressVersion"`
	PublicIPAllocationMethod string               `json:"publicIPAllocationMethod"`
	IdleTimeoutInMinutes     int                  `json:"idleTimeoutInMinutes"`
	IPAddress                string               `json:"ipAddress,omitempty"`
	DNSSettings              *PublicIPDNSSettings `json:"dnsSettings,omitempty"`
	IPTags                   []IPTag              `json:"ipTags"`
	DdosSettings             json.RawMessage      `json:"ddosSettings,omitempty"`
	PublicIPPrefix           *SubResource         `json:"publicIPPrefix,omitempty"`
	DeleteOption             string               `json:"deleteOption,omitempty"`
}

// DecodePublicIP decodes a public IP record's properties.
func DecodePublicIP(rec *arm.Record) (*PublicIPAddressProperties, error) {
	var p PublicIPAddressProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode public IP %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// PublicIPFqdn is the FQDN Azure gives a domain name label in a region.
func PublicIPFqdn(label, region string) string {
	return label + "." + arm.NormalizeLocation(region) + ".cloudapp.azure.com"
}

func registerPublicIPAddresses(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type:              publicIPType,
		APIVersions:       versions(),
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		BackRefs:          []arm.BackRef{{Property: "ipConfiguration", Kind: kindPublicIPAddress, Single: true}},
		ValidateName:      validateNetworkName,
		Put:               putPublicIP,
		Delete:            deletePublicIP,
		InUse:             publicIPInUse,
	})
	return nil
}

type publicIPInput struct {
	PublicIPAddressVersion   string               `json:"publicIPAddressVersion"`
	PublicIPAllocationMethod string               `json:"publicIPAllocationMethod"`
	IdleTimeoutInMinutes     *int                 `json:"idleTimeoutInMinutes"`
	DNSSettings              *PublicIPDNSSettings `json:"dnsSettings"`
	IPTags                   []IPTag              `json:"ipTags"`
	DdosSettings             json.RawMessage      `json:"ddosSettings"`
	PublicIPPrefix           *SubResource         `json:"publicIPPrefix"`
	DeleteOption             string               `json:"deleteOption"`
}

func putPublicIP(ctx context.Context, op *arm.PutOp) error {
	var in publicIPInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	var sku PublicIPAddressSku
	if len(op.Body.SKU) > 0 && string(op.Body.SKU) != "null" {
		if err := json.Unmarshal(op.Body.SKU, &sku); err != nil {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
		}
	}
	var err error
	if sku.Name, err = nrpEnum(sku.Name, publicIPSkuNames, "PublicIPAddressSkuName", "sku.name"); err != nil {
		return err
	}
	if sku.Tier, err = nrpEnum(sku.Tier, publicIPSkuTiers, "PublicIPAddressSkuTier", "sku.tier"); err != nil {
		return err
	}
	if sku.Name == "" && op.Existing != nil {
		// An update that omits the sku keeps the public IP's sku.
		var cur PublicIPAddressSku
		if len(op.Existing.Resource.SKU) > 0 && json.Unmarshal(op.Existing.Resource.SKU, &cur) == nil {
			sku = cur
		}
	}
	if sku.Name == "" {
		sku.Name = skuBasic
	}
	if sku.Tier == "" {
		sku.Tier = "Regional"
	}
	out := PublicIPAddressProperties{
		ResourceGUID: existingGUID(op.Existing),
		IPTags:       in.IPTags,
		DdosSettings: in.DdosSettings,
		DeleteOption: in.DeleteOption,
	}
	if out.IPTags == nil {
		out.IPTags = []IPTag{}
	}
	if len(out.DdosSettings) == 0 && sku.Name == skuStandard {
		out.DdosSettings = json.RawMessage(`{"protectionMode":"VirtualNetworkInherited"}`)
	}
	if in.PublicIPPrefix != nil && in.PublicIPPrefix.ID != "" {
		out.PublicIPPrefix = in.PublicIPPrefix
	}
	if out.PublicIPAddressVersion, err = nrpEnum(in.PublicIPAddressVersion, ipVersions, "IPVersion", "properties.publicIPAddressVersion"); err != nil {
		return err
	}
	if out.PublicIPAddressVersion == "" {
		out.PublicIPAddressVersion = ipv4
	}
	if out.PublicIPAllocationMethod, err = nrpEnum(in.PublicIPAllocationMethod, ipAllocationMethods, "IpAllocationMethod", "properties.publicIPAllocationMethod"); err != nil {
		return err
	}
	if out.PublicIPAllocationMethod == "" {
		out.PublicIPAllocationMethod = allocDyn
		if sku.Name == skuStandard {
			out.PublicIPAllocationMethod = allocStatic
		}
	}
	if sku.Name == skuStandard && out.PublicIPAllocationMethod != allocStatic {
		return arm.BadRequest("StandardSkuPublicIPAddressesMustBeStatic",
			"Standard sku publicIp %s must have AllocationMethod set to Static.", id)
	}
	if sku.Name == skuBasic && out.PublicIPAddressVersion == ipv6 && out.PublicIPAllocationMethod == allocStatic {
		return arm.BadRequest("CannotSpecifyPublicIpAllocationMethodAsStaticForIpV6PublicIp",
			"Cannot specify publicIpAllocationMethod as Static for IPv6 PublicIp")
	}
	out.IdleTimeoutInMinutes = defaultIdleTimeout
	if in.IdleTimeoutInMinutes != nil {
		out.IdleTimeoutInMinutes = *in.IdleTimeoutInMinutes
	}
	if out.IdleTimeoutInMinutes < minIdleTimeout || out.IdleTimeoutInMinutes > maxIdleTimeout {
		return arm.BadRequest("PublicIPIdleTimeoutIsOutOfRange",
			"Public IP address %s has invalid Idle Timeout %d. The value must be between %d and %d.",
			id, out.IdleTimeoutInMinutes, minIdleTimeout, maxIdleTimeout)
	}
	var old *PublicIPAddressProperties
	if op.Existing != nil {
		if old, err = DecodePublicIP(op.Existing); err != nil {
			return err
		}
	}
	if err := applyPublicIPDNS(ctx, op.Tx, id, op.Body.Location, in.DNSSettings, old, &out); err != nil {
		return err
	}
	refs, err := op.Tx.RefsTo(ctx, id)
	if err != nil {
		return err
	}
	associated := false
	for _, r := range refs {
		associated = associated || r.Kind == kindPublicIPAddress
	}
	oldIP := ""
	if old != nil {
		oldIP = old.IPAddress
	}
	if err := assignPublicAddress(ctx, op.Tx, id, oldIP, &out, associated); err != nil {
		return err
	}
	skuJSON, err := json.Marshal(sku)
	if err != nil {
		return fmt.Errorf("encode sku: %w", err)
	}
	op.Body.SKU = skuJSON
	return op.Body.SetProperties(out)
}

// applyPublicIPDNS validates and reserves the domain name label (unique per
// region) and sets the FQDN.
func applyPublicIPDNS(ctx context.Context, t *arm.Txn, id, location string, in *PublicIPDNSSettings, old *PublicIPAddressProperties, out *PublicIPAddressProperties) error {
	oldLabel := ""
	if old != nil && old.DNSSettings != nil {
		oldLabel = old.DNSSettings.DomainNameLabel
	}
	newLabel := ""
	if in != nil {
		newLabel = in.DomainNameLabel
	}
	if newLabel != "" && !domainNameLabelPattern.MatchString(newLabel) {
		return arm.BadRequest("InvalidDomainNameLabel",
			"The domain name label %s is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.", newLabel)
	}
	if oldLabel != "" && oldLabel != newLabel {
		if err := releaseOwnedKey(ctx, t, dnsLabelKey(location, oldLabel), id); err != nil {
			return err
		}
	}
	if in == nil || (newLabel == "" && in.ReverseFqdn == "" && in.DomainNameLabelScope == "") {
		return nil
	}
	s := *in
	s.Fqdn = ""
	if newLabel != "" {
		key := dnsLabelKey(location, newLabel)
		kv, exists, err := t.Raw().Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read DNS label %s: %w", key, err)
		}
		if exists && !arm.SameID(string(kv.Value), id) {
			return arm.BadRequest("DnsRecordInUse",
				"DNS record %s is already used by another public IP.", PublicIPFqdn(newLabel, location))
		}
		t.Raw().Put(key, []byte(id))
		s.Fqdn = PublicIPFqdn(newLabel, location)
	}
	out.DNSSettings = &s
	return nil
}

func dnsLabelKey(location, label string) string {
	return publicIPDNSPrefix + arm.NormalizeLocation(location) + "/" + strings.ToLower(label)
}

// assignPublicAddress keeps, allocates or releases the public IP's
// address: Static addresses always have one, Dynamic ones while
// associated.
func assignPublicAddress(ctx context.Context, t *arm.Txn, id, oldIP string, p *PublicIPAddressProperties, associated bool) error {
	want := p.PublicIPAllocationMethod == allocStatic || associated
	keep := false
	if oldIP != "" {
		if a, err := netip.ParseAddr(oldIP); err == nil && a.Is6() == (p.PublicIPAddressVersion == ipv6) && want {
			keep = true
		}
	}
	if oldIP != "" && !keep {
		if err := releasePublicIPAddress(ctx, t, oldIP, id); err != nil {
			return err
		}
	}
	switch {
	case keep:
		p.IPAddress = oldIP
	case want:
		ip, err := allocatePublicIPAddress(ctx, t, p.PublicIPAddressVersion, id)
		if err != nil {
			return err
		}
		p.IPAddress = ip
	default:
		p.IPAddress = ""
	}
	return nil
}

func deletePublicIP(ctx context.Context, op *arm.DeleteOp) error {
	p, err := DecodePublicIP(op.Record)
	if err != nil {
		return err
	}
	id := op.Record.Resource.ID
	if p.IPAddress != "" {
		if err := releasePublicIPAddress(ctx, op.Tx, p.IPAddress, id); err != nil {
			return err
		}
	}
	if p.DNSSettings != nil && p.DNSSettings.DomainNameLabel != "" {
		return releaseOwnedKey(ctx, op.Tx, dnsLabelKey(op.Record.Resource.Location, p.DNSSettings.DomainNameLabel), id)
	}
	return nil
}

func publicIPInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("PublicIPAddressCannotBeDeleted",
		"Public IP address %s can not be deleted since it is still allocated to resource %s. In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see aka.ms/deletepublicip.",
		id.String(), refs[0].Source)
}

// attachPublicIP is called when an IP configuration starts referencing the
// public IP: a Dynamic public IP without an address gets one.
func attachPublicIP(ctx context.Context, t *arm.Txn, rec *arm.Record) error {
	p, err := DecodePublicIP(rec)
	if err != nil {
		return err
	}
	if p.IPAddress != "" {
		return nil
	}
	ip, err := allocatePublicIPAddress(ctx, t, p.PublicIPAddressVersion, rec.Resource.ID)
	if err != nil {
		return err
	}
	p.IPAddress = ip
	return rewritePublicIP(ctx, t, rec, p)
}

// detachPublicIP is called when the public IP is no longer referenced by
// an IP configuration: a Dynamic public IP gives its address back.
func detachPublicIP(ctx context.Context, t *arm.Txn, id string) error {
	rec, err := t.Get(ctx, id)
	if err != nil || rec == nil {
		return err
	}
	p, err := DecodePublicIP(rec)
	if err != nil {
		return err
	}
	if p.PublicIPAllocationMethod != allocDyn || p.IPAddress == "" {
		return nil
	}
	if err := releasePublicIPAddress(ctx, t, p.IPAddress, rec.Resource.ID); err != nil {
		return err
	}
	p.IPAddress = ""
	return rewritePublicIP(ctx, t, rec, p)
}

func rewritePublicIP(ctx context.Context, t *arm.Txn, rec *arm.Record, p *PublicIPAddressProperties) error {
	next := *rec
	next.Resource.Etag = weakETag()
	if err := next.Resource.SetProperties(p); err != nil {
		return err
	}
	return t.Write(ctx, &next)
}

func publicIPKey(a netip.Addr) string { return publicIPKeyPrefix + a.String() }

// allocatePublicIPAddress reserves the next free address of the pool of
// the IP version for owner.
func allocatePublicIPAddress(ctx context.Context, t *arm.Txn, version, owner string) (string, error) {
	pool := publicIPv4Pool
	if version == ipv6 {
		pool = publicIPv6Pool
	}
	cursorKey := publicIPCursorPrefix + strings.ToLower(version)
	start := pool.Masked().Addr()
	kv, ok, err := t.Raw().Get(ctx, cursorKey)
	if err != nil {
		return "", fmt.Errorf("read public IP cursor: %w", err)
	}
	if ok {
		if a, err := netip.ParseAddr(string(kv.Value)); err == nil && pool.Contains(a) {
			start = a
		}
	}
	tries := 1 << 17
	if pool.Addr().Is4() {
		tries = 1 << (32 - pool.Bits())
	}
	a := start
	for range tries {
		a = a.Next()
		if !a.IsValid() || !pool.Contains(a) {
			a = pool.Masked().Addr()
			continue
		}
		if !usablePublicAddress(pool, a) {
			continue
		}
		key := publicIPKey(a)
		_, exists, err := t.Raw().Get(ctx, key)
		if err != nil {
			return "", fmt.Errorf("read public IP reservation: %w", err)
		}
		if exists {
			continue
		}
		t.Raw().Put(key, []byte(owner))
		t.Raw().Put(cursorKey, []byte(a.String()))
		return a.String(), nil
	}
	return "", arm.BadRequest("PublicIPCountLimitReached",
		"Cannot create more than %d public IP addresses for this subscription in this region.", tries)
}

// usablePublicAddress skips addresses ending in .0 or .255 (IPv4) and the
// pool's first address.
func usablePublicAddress(pool netip.Prefix, a netip.Addr) bool {
	if a == pool.Masked().Addr() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		return b[3] != 0 && b[3] != 255
	}
	return true
}

func releasePublicIPAddress(ctx context.Context, t *arm.Txn, ip, owner string) error {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	return releaseOwnedKey(ctx, t, publicIPKey(a), owner)
}

// releaseOwnedKey deletes a provider-owned reservation key if owner holds it.
func releaseOwnedKey(ctx context.Context, t *arm.Txn, key, owner string) error {
	kv, ok, err := t.Raw().Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read reservation %s: %w", key, err)
	}
	if ok && arm.SameID(string(kv.Value), owner) {
		t.Raw().Delete(key)
	}
	return nil
}
