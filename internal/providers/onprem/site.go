package onprem

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

// EdgePool is the emulated public range site edges are allocated from:
// TEST-NET-2 (RFC 5737), documentation space, disjoint from the pools of
// Azure public IPs (52.160.0.0/16), default outbound (52.191.0.0/16) and
// the internet vantage (203.0.113.10).
var EdgePool = netip.MustParsePrefix("198.51.100.0/24")

// edgeKeyPrefix holds the edge address reservations (raw keys).
const edgeKeyPrefix = "/onprem/edge/"

// SiteProperties are a site's properties.
type SiteProperties struct {
	ProvisioningState   string           `json:"provisioningState,omitempty"`
	AddressPrefixes     []string         `json:"addressPrefixes"`
	EdgePublicIPAddress string           `json:"edgePublicIpAddress,omitempty"`
	DNSServer           *DNSServer       `json:"dnsServer,omitempty"`
	VPNDevices          []VPNDevice      `json:"vpnDevices"`
	ExpressRoute        []ExpressRouteOn `json:"expressRoute"`
}

// DNSServer is the site's DNS server.
type DNSServer struct {
	PrivateIPAddress string      `json:"privateIpAddress,omitempty"`
	Forwarders       []Forwarder `json:"forwarders"`
}

// Forwarder is a conditional forwarder of the site's DNS server.
type Forwarder struct {
	Domain            string   `json:"domain"`
	TargetIPAddresses []string `json:"targetIpAddresses"`
}

// VPNDevice is the site side of an IPsec tunnel.
type VPNDevice struct {
	Name string `json:"name"`
	// RemoteGatewayIPAddress is the Azure gateway's public address.
	RemoteGatewayIPAddress string `json:"remoteGatewayIpAddress"`
	SharedKey              string `json:"sharedKey"`
	// BGP: the device announces the site's prefixes over BGP (used when
	// the connection enables BGP too).
	BGP bool `json:"bgp"`
}

// ExpressRouteOn is the connectivity provider's side of a circuit: with
// Provisioned the circuit's serviceProviderProvisioningState becomes
// Provisioned and the site is the circuit's on-premises end.
type ExpressRouteOn struct {
	CircuitServiceKey string `json:"circuitServiceKey"`
	Provisioned       bool   `json:"provisioned"`
}

func siteSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              SiteType,
		APIVersions:       []string{APIVersion},
		Scope:             arm.ScopeResourceGroup,
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		Put:               putSite,
		Delete:            deleteSite,
	}
}

// ParsePrefixes validates a site's address prefixes: IPv4 CIDRs in
// canonical form that do not overlap each other.
func ParsePrefixes(in []string) ([]netip.Prefix, error) {
	if len(in) == 0 {
		return nil, arm.BadRequest("InvalidAddressPrefix", "A site must have at least one address prefix (properties.addressPrefixes).")
	}
	out := make([]netip.Prefix, 0, len(in))
	for _, s := range in {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil || !p.Addr().Is4() {
			return nil, arm.BadRequest("InvalidAddressPrefix", "Address prefix %s of the site is not a valid IPv4 CIDR.", s)
		}
		if p.Masked() != p {
			return nil, arm.BadRequest("InvalidAddressPrefix",
				"Address prefix %s of the site is not valid: its host bits are set (did you mean %s?).", s, p.Masked())
		}
		if p.Bits() < 8 || p.Bits() > 29 {
			return nil, arm.BadRequest("InvalidAddressPrefix",
				"Address prefix %s of the site is not valid: the prefix length must be between /8 and /29.", s)
		}
		for _, q := range out {
			if q.Overlaps(p) {
				return nil, arm.BadRequest("InvalidAddressPrefix", "Address prefixes %s and %s of the site overlap.", q, p)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// usable reports whether a is a host address of one of ps (neither the
// network nor the broadcast address).
func usable(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if !p.Contains(a) {
			continue
		}
		last := lastAddr(p)
		return a != p.Addr() && a != last
	}
	return false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n |= (1 << (32 - p.Bits())) - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// DefaultDNSServerIP is the DNS server's address when the site does not
// name one: the fourth address of the first prefix (192.168.0.4 for
// 192.168.0.0/16).
func DefaultDNSServerIP(prefixes []netip.Prefix) netip.Addr {
	a := prefixes[0].Masked().Addr()
	for range 4 {
		a = a.Next()
	}
	return a
}

var (
	deviceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$`)
	domainRE     = regexp.MustCompile(`^(?i)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)
)

func putSite(ctx context.Context, op *arm.PutOp) error {
	var p SiteProperties
	if err := op.Body.DecodeProperties(&p); err != nil {
		return err
	}
	prefixes, err := ParsePrefixes(p.AddressPrefixes)
	if err != nil {
		return err
	}
	p.AddressPrefixes = make([]string, len(prefixes))
	for i, q := range prefixes {
		p.AddressPrefixes[i] = q.String()
	}
	// Other sites of the subscription.
	others, err := op.Tx.ListType(ctx, "/subscriptions/"+op.ID.Subscription, SiteType)
	if err != nil {
		return err
	}
	for _, o := range others {
		if arm.SameID(o.Resource.ID, op.ID.String()) {
			continue
		}
		var op2 SiteProperties
		if err := o.Resource.DecodeProperties(&op2); err != nil {
			return fmt.Errorf("decode site %s: %w", o.Resource.ID, err)
		}
		for _, s := range op2.AddressPrefixes {
			q, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			for _, mine := range prefixes {
				if mine.Overlaps(q) {
					return arm.BadRequest("SiteAddressSpacesOverlap",
						"Address prefix %s of site %s overlaps address prefix %s of site %s in the same subscription. Sites of a subscription must use disjoint address spaces.",
						mine, op.ID.Name(), q, o.Resource.Name)
				}
			}
		}
	}
	// Hosts must stay inside the prefixes.
	hosts, err := op.Tx.Children(ctx, op.ID, "hosts")
	if err != nil {
		return err
	}
	taken := map[netip.Addr]string{}
	for _, h := range hosts {
		var hp HostProperties
		if err := h.Resource.DecodeProperties(&hp); err != nil {
			return fmt.Errorf("decode host %s: %w", h.Resource.ID, err)
		}
		a, err := netip.ParseAddr(hp.PrivateIPAddress)
		if err != nil {
			continue
		}
		taken[a] = h.Resource.Name
		if !usable(prefixes, a) {
			return arm.BadRequest("InUseAddressPrefixCannotBeDeleted",
				"Host %s of site %s has address %s, which the new address prefixes %s no longer contain. Move or delete the host first.",
				h.Resource.Name, op.ID.Name(), a, strings.Join(p.AddressPrefixes, ", "))
		}
	}
	if p.DNSServer != nil {
		if err := checkDNSServer(p.DNSServer, prefixes, taken); err != nil {
			return err
		}
	}
	if err := checkDevices(p.VPNDevices); err != nil {
		return err
	}
	if p.VPNDevices == nil {
		p.VPNDevices = []VPNDevice{}
	}
	if err := checkExpressRoute(p.ExpressRoute); err != nil {
		return err
	}
	if p.ExpressRoute == nil {
		p.ExpressRoute = []ExpressRouteOn{}
	}
	// The edge address is read-only: kept on update, allocated on create.
	p.EdgePublicIPAddress = ""
	if op.Existing != nil {
		var old SiteProperties
		if err := op.Existing.Resource.DecodeProperties(&old); err == nil {
			p.EdgePublicIPAddress = old.EdgePublicIPAddress
		}
	}
	if p.EdgePublicIPAddress == "" {
		a, err := allocateEdge(ctx, op.Tx, op.ID.String())
		if err != nil {
			return err
		}
		p.EdgePublicIPAddress = a.String()
	}
	p.ProvisioningState = ""
	return op.Body.SetProperties(p)
}

func checkDNSServer(d *DNSServer, prefixes []netip.Prefix, taken map[netip.Addr]string) error {
	if d.PrivateIPAddress == "" {
		d.PrivateIPAddress = DefaultDNSServerIP(prefixes).String()
	}
	a, err := netip.ParseAddr(d.PrivateIPAddress)
	if err != nil || !a.Is4() {
		return arm.InvalidParameter("The value '%s' of property 'dnsServer.privateIpAddress' is not a valid IPv4 address.", d.PrivateIPAddress)
	}
	if !usable(prefixes, a) {
		return arm.BadRequest("PrivateIPAddressNotInSiteAddressSpace",
			"The DNS server address %s is not a host address of the site's address prefixes.", a)
	}
	if h, dup := taken[a]; dup {
		return arm.BadRequest("PrivateIPAddressInUse", "The DNS server address %s is in use by host %s of the site.", a, h)
	}
	d.PrivateIPAddress = a.String()
	seen := map[string]bool{}
	for i := range d.Forwarders {
		f := &d.Forwarders[i]
		dom := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(f.Domain), "."))
		if dom == "" || !domainRE.MatchString(dom) {
			return arm.InvalidParameter("The value '%s' of property 'dnsServer.forwarders[%d].domain' is not a valid domain name.", f.Domain, i)
		}
		if seen[dom] {
			return arm.BadRequest("DuplicateForwarderDomain", "The DNS server has two forwarders for domain %s.", dom)
		}
		seen[dom] = true
		f.Domain = dom
		if len(f.TargetIPAddresses) == 0 {
			return arm.InvalidParameter("The forwarder for domain %s must have at least one target IP address (targetIpAddresses).", dom)
		}
		for j, t := range f.TargetIPAddresses {
			ta, err := netip.ParseAddr(strings.TrimSpace(t))
			if err != nil || !ta.Is4() {
				return arm.InvalidParameter("The value '%s' of property 'dnsServer.forwarders[%d].targetIpAddresses[%d]' is not a valid IPv4 address.", t, i, j)
			}
			f.TargetIPAddresses[j] = ta.String()
		}
	}
	if d.Forwarders == nil {
		d.Forwarders = []Forwarder{}
	}
	return nil
}

func checkDevices(ds []VPNDevice) error {
	seen := map[string]bool{}
	for i := range ds {
		d := &ds[i]
		if !deviceNameRE.MatchString(d.Name) {
			return arm.InvalidParameter("The value '%s' of property 'vpnDevices[%d].name' is invalid: use 1-80 letters, digits, '_', '.' or '-', starting with a letter or digit.", d.Name, i)
		}
		k := strings.ToLower(d.Name)
		if seen[k] {
			return arm.BadRequest("DuplicateVpnDeviceName", "The site has two VPN devices named %s.", d.Name)
		}
		seen[k] = true
		a, err := netip.ParseAddr(strings.TrimSpace(d.RemoteGatewayIPAddress))
		if err != nil || !a.Is4() {
			return arm.InvalidParameter("The value '%s' of property 'vpnDevices[%d].remoteGatewayIpAddress' is not a valid IPv4 address.", d.RemoteGatewayIPAddress, i)
		}
		d.RemoteGatewayIPAddress = a.String()
		// Azure's shared key rules: 1-128 printable ASCII characters.
		if d.SharedKey == "" || len(d.SharedKey) > 128 || strings.IndexFunc(d.SharedKey, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			return arm.InvalidParameter("The shared key of VPN device %s must be 1 to 128 printable ASCII characters without spaces.", d.Name)
		}
	}
	return nil
}

func checkExpressRoute(es []ExpressRouteOn) error {
	seen := map[string]bool{}
	for i := range es {
		e := &es[i]
		u, err := uuid.Parse(strings.TrimSpace(e.CircuitServiceKey))
		if err != nil {
			return arm.InvalidParameter("The value '%s' of property 'expressRoute[%d].circuitServiceKey' is not a valid service key (a GUID).", e.CircuitServiceKey, i)
		}
		e.CircuitServiceKey = u.String()
		if seen[e.CircuitServiceKey] {
			return arm.BadRequest("DuplicateServiceKey", "The site lists circuit service key %s twice.", e.CircuitServiceKey)
		}
		seen[e.CircuitServiceKey] = true
	}
	return nil
}

// allocateEdge reserves the next free address of EdgePool for owner.
func allocateEdge(ctx context.Context, t *arm.Txn, owner string) (netip.Addr, error) {
	last := lastAddr(EdgePool)
	for a := EdgePool.Addr().Next(); a.IsValid() && a != last; a = a.Next() {
		_, held, err := t.Raw().Get(ctx, edgeKeyPrefix+a.String())
		if err != nil {
			return netip.Addr{}, fmt.Errorf("read edge address reservation: %w", err)
		}
		if held {
			continue
		}
		t.Raw().Put(edgeKeyPrefix+a.String(), []byte(strings.ToLower(owner)))
		return a, nil
	}
	return netip.Addr{}, arm.BadRequest("EdgeAddressPoolExhausted",
		"All edge addresses of the emulated range %s are in use by sites; delete a site first.", EdgePool)
}

func deleteSite(ctx context.Context, op *arm.DeleteOp) error {
	var p SiteProperties
	if err := op.Record.Resource.DecodeProperties(&p); err != nil {
		return nil
	}
	if a, err := netip.ParseAddr(p.EdgePublicIPAddress); err == nil {
		key := edgeKeyPrefix + a.String()
		kv, held, err := op.Tx.Raw().Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read edge address reservation: %w", err)
		}
		if held && strings.EqualFold(string(kv.Value), op.ID.String()) {
			op.Tx.Raw().Delete(key)
		}
	}
	return nil
}

// DecodeSite decodes a site record's properties.
func DecodeSite(rec *arm.Record) (*SiteProperties, error) {
	var p SiteProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode site %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}
