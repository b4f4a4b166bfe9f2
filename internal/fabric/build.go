package fabric

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
)

// Building a snapshot.
//
// Build turns stored ARM records (arm.Record, the form the engine keeps
// under arm.KeyOf(id)) into a Snapshot. It works in two steps: every record
// is first decoded on its own into an immutable node (decodeRecord; the
// Watcher keeps these between changes, so an unchanged record is never
// decoded twice), then the nodes are linked into a fresh object graph
// (buildNodes). Child resources (subnets, peerings, security rules, routes,
// zone links, record sets) are read from their own records, not from the
// parents' inline renderings.
//
// Conventions of the model built here:
//
//   - Every ID field of a model object (VNet.ID, Subnet.ID, NIC.ID,
//     IPConfig.ID, SecurityRule.ID, Route.ID, ZoneLink.ID, Peering.RemoteID,
//     ZoneLink.VNetID...) is the lower-cased ARM resource ID, i.e. the same
//     string as the object's key in the snapshot maps (and in
//     PrivateIPIndex). Host.ResourceID keeps the original case.
//   - References to missing resources (a subnet naming a deleted NSG, a
//     peering whose remote network is gone...) are nil pointers.
//   - Unknown record types are ignored; a record that cannot be decoded is
//     left out and reported in Build's error.
//
// Choices where the stored data leaves room:
//
//   - Peering.RemotePrefixes is the remote address space recorded on the
//     peering (remoteAddressSpace), not the remote network's current one.
//   - A private DNS zone link counts (Zone.Links, VNet.Links) only once its
//     provisioning completed (virtualNetworkLinkState Completed), as
//     privatedns.ZonesLinkedTo does.
//   - Other resources count from the moment their record exists, whatever
//     their provisioning state.
//   - PublicRecords answers a public IP's FQDN with TTL publicRecordTTL,
//     and the names other providers publish in the emulated public DNS
//     (see PublicRecordsInternal), e.g. an AKS cluster's hcp FQDN.

// Resource types the builder reads.
const (
	typeVNet         = "Microsoft.Network/virtualNetworks"
	typeSubnet       = "Microsoft.Network/virtualNetworks/subnets"
	typePeering      = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
	typeNIC          = "Microsoft.Network/networkInterfaces"
	typeNSG          = "Microsoft.Network/networkSecurityGroups"
	typeSecurityRule = "Microsoft.Network/networkSecurityGroups/securityRules"
	typeRouteTable   = "Microsoft.Network/routeTables"
	typeRoute        = "Microsoft.Network/routeTables/routes"
	typePublicIP     = "Microsoft.Network/publicIPAddresses"
	typeZone         = privatedns.ZoneType
	typeZoneLink     = privatedns.LinkType
	typeVM           = "Microsoft.Compute/virtualMachines"
	// TypeListener is the extension resource type declaring a host's
	// listener: "<host resource id>/providers/Privlink.Fabric/listeners/<name>"
	// with properties {"protocol": "Tcp"|"Udp", "port": 8080, "target":
	// "127.0.0.1:18080"}.
	TypeListener = "Privlink.Fabric/listeners"
)

// PowerRunning is the power state of a running virtual machine.
const PowerRunning = "PowerState/running"

// publicRecordTTL is the TTL of the emulated public DNS answers for public
// IP FQDNs (<label>.<region>.cloudapp.azure.com). Chosen: Azure does not
// document it.
const publicRecordTTL = 10

// RecordError reports a record Build left out because it could not be
// decoded.
type RecordError struct {
	// ID is the resource ID of the record ("" if even that was unreadable).
	ID  string
	Err error
}

func (e *RecordError) Error() string {
	if e.ID == "" {
		return "fabric: skipped an unreadable record: " + e.Err.Error()
	}
	return "fabric: skipped record " + e.ID + ": " + e.Err.Error()
}

func (e *RecordError) Unwrap() error { return e.Err }

// Build turns stored ARM records into a snapshot at revision rev. It never
// fails as a whole: the snapshot is always complete for every record it
// could read, and the error (nil when every record was read) joins one
// *RecordError per record that was left out.
func Build(rev int64, recs []*arm.Record) (*Snapshot, error) {
	nodes := make([]*node, 0, len(recs))
	var errs []error
	for _, r := range recs {
		if r == nil {
			continue
		}
		n, err := decodeRecord(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	s := buildNodes(rev, slices.Values(nodes), len(nodes))
	return s, errors.Join(errs...)
}

// kind says what a decoded record stands for.
type kind uint8

const (
	kindVNet kind = iota + 1
	kindSubnet
	kindPeering
	kindNIC
	kindNSG
	kindSecurityRule
	kindRouteTable
	kindRoute
	kindPublicIP
	kindZone
	kindZoneLink
	kindRecordSet
	kindVM
	kindListener
	kindPublicNames
	kindExtension // decoded by a registered extension (extension.go)
)

// node is one decoded record. Nodes are immutable once decoded: the
// Watcher shares them between snapshots, and so do the snapshots for the
// pointer-free parts (security rules, routes, DNS records).
type node struct {
	kind kind
	id   string // lower-case resource ID (the snapshot key)
	// display is the resource ID as created (original case).
	display string
	name    string
	// parent is the lower-case ID of the parent (children) or of the
	// extended resource (listeners).
	parent string

	vnet     *vnetNode
	subnet   *subnetNode
	peering  *peeringNode
	nic      *nicNode
	rule     *SecurityRule
	rt       *routeTableNode
	route    *Route
	pip      *publicIPNode
	link     *linkNode
	rset     *recordSetNode
	vm       *vmNode
	listener *listenerNode
	// names are published public DNS names (kindPublicNames), cnames
	// published CNAMEs (FQDN -> target with the trailing dot).
	names  map[string]string
	cnames map[string]string

	// ext and extValue: the extension that decoded a kindExtension node
	// and what it decoded (extension.go).
	ext      *extension
	extValue any

	// Load balancing and Private Link (build_lb.go).
	lb      *lbNode
	pls     *plsNode
	plsConn *plsConnNode
	pe      *peNode
}

type vnetNode struct {
	location string
	prefixes []netip.Prefix
	dns      []netip.Addr
}

type subnetNode struct {
	prefixes        []netip.Prefix
	nsg, rt         string
	defaultOutbound bool
	pePolicies      string // privateEndpointNetworkPolicies
}

type peeringNode struct {
	remote         string
	state          string
	vnetAccess     bool
	forwarded      bool
	gatewayTransit bool
	remoteGateways bool
	remotePrefixes []netip.Prefix
}

type nicNode struct {
	nsg        string
	forwarding bool
	configs    []ipConfigNode
}

type ipConfigNode struct {
	id, name  string
	display   string // the ID as created
	subnet    string
	privateIP netip.Addr
	publicIP  string
	primary   bool
	pools     []string // loadBalancerBackendAddressPools (lower-case IDs)
}

type routeTableNode struct{ disableBGP bool }

type publicIPNode struct {
	addr       netip.Addr
	sku        string
	fqdn       string
	serviceTag string
}

type linkNode struct {
	vnet         string
	registration bool
	policy       string
	completed    bool
}

type recordSetNode struct {
	typ     string
	rel     string // lower-case relative name, "@" for the apex
	records []Record
	order   int // position of typ in privatedns.RecordTypes
}

type vmNode struct {
	resourceID    string
	resourceGroup string
	computerName  string
	powerState    string
	running       bool
	nics          []string // primary first
}

type listenerNode struct {
	port   string // "tcp/8080"
	target string
}

// decodeStored decodes a stored record (the bytes under arm.KeyOf(id)).
// It returns nil, nil for records of types the fabric does not use.
func decodeStored(b []byte) (*node, error) {
	var r arm.Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &RecordError{Err: fmt.Errorf("decode record: %w", err)}
	}
	return decodeRecord(&r)
}

// recordType returns the record's full resource type.
func recordType(r *arm.Record) string {
	if r.Resource.Type != "" {
		return r.Resource.Type
	}
	id, err := arm.ParseID(r.Resource.ID)
	if err != nil {
		return ""
	}
	return id.Type()
}

// decodeRecord decodes one record; nil, nil for types the fabric ignores.
func decodeRecord(r *arm.Record) (*node, error) {
	typ := recordType(r)
	n := &node{id: strings.ToLower(r.Resource.ID), display: r.Resource.ID, name: r.Resource.Name}
	var err error
	switch {
	case strings.EqualFold(typ, typeVNet):
		n.kind, err = kindVNet, decodeVNet(r, n)
	case strings.EqualFold(typ, typeSubnet):
		n.kind, err = kindSubnet, decodeSubnet(r, n)
	case strings.EqualFold(typ, typePeering):
		n.kind, err = kindPeering, decodePeering(r, n)
	case strings.EqualFold(typ, typeNIC):
		n.kind, err = kindNIC, decodeNIC(r, n)
	case strings.EqualFold(typ, typeNSG):
		n.kind = kindNSG
	case strings.EqualFold(typ, typeSecurityRule):
		n.kind, err = kindSecurityRule, decodeRule(r, n)
	case strings.EqualFold(typ, typeRouteTable):
		n.kind, err = kindRouteTable, decodeRouteTable(r, n)
	case strings.EqualFold(typ, typeRoute):
		n.kind, err = kindRoute, decodeRoute(r, n)
	case strings.EqualFold(typ, typePublicIP):
		n.kind, err = kindPublicIP, decodePublicIP(r, n)
	case strings.EqualFold(typ, typeZone):
		n.kind = kindZone
	case strings.EqualFold(typ, typeZoneLink):
		n.kind, err = kindZoneLink, decodeLink(r, n)
	case strings.EqualFold(typ, typeVM):
		n.kind, err = kindVM, decodeVM(r, n)
	case strings.EqualFold(typ, TypeListener):
		n.kind, err = kindListener, decodeListener(r, n)
	case publicNameTypes[strings.ToLower(typ)]:
		n.kind, err = kindPublicNames, decodePublicNames(r, n)
	default:
		if rt, ok := recordSetType(typ); ok {
			n.kind, err = kindRecordSet, decodeRecordSet(r, n, rt)
			break
		}
		// Load balancing and Private Link (build_lb.go).
		if k, handled, lerr := decodeLoadBalancing(typ, r, n); handled {
			n.kind, err = k, lerr
			break
		}
		// Registered extensions (extension.go).
		if x := extensionFor(typ); x != nil {
			n.kind, n.ext = kindExtension, x
			n.extValue, err = x.Decode(r, n.id)
			break
		}
		return nil, nil
	}
	if err == nil && n.id == "" {
		err = errors.New("the record has no resource id")
	}
	if err == nil && n.name == "" {
		n.name = n.id[strings.LastIndexByte(n.id, '/')+1:]
	}
	if err != nil {
		return nil, &RecordError{ID: r.Resource.ID, Err: err}
	}
	return n, nil
}

// recordSetType recognises "Microsoft.Network/privateDnsZones/<T>".
func recordSetType(typ string) (int, bool) {
	rest, ok := cutPrefixFold(typ, typeZone+"/")
	if !ok {
		return 0, false
	}
	for i, t := range privatedns.RecordTypes() {
		if strings.EqualFold(rest, t) {
			return i, true
		}
	}
	return 0, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// parentOf strips the last "/type/name" of a lower-case child ID.
func parentOf(id string) string {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return ""
	}
	j := strings.LastIndexByte(id[:i], '/')
	if j <= 0 {
		return ""
	}
	return id[:j]
}

func refID(r *network.SubResource) string {
	if r == nil {
		return ""
	}
	return strings.ToLower(r.ID)
}

// parsePrefixList parses CIDR strings, skipping malformed ones (the
// providers validated them on write).
func parsePrefixList(ss []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		if p, err := netip.ParsePrefix(strings.TrimSpace(s)); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}

func decodeVNet(r *arm.Record, n *node) error {
	p, err := network.DecodeVirtualNetwork(r)
	if err != nil {
		return err
	}
	v := &vnetNode{location: arm.NormalizeLocation(r.Resource.Location), prefixes: parsePrefixList(p.AddressSpace.AddressPrefixes)}
	if p.DhcpOptions != nil {
		for _, s := range p.DhcpOptions.DNSServers {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
				v.dns = append(v.dns, a)
			}
		}
	}
	n.vnet = v
	return nil
}

func decodeSubnet(r *arm.Record, n *node) error {
	p, err := network.DecodeSubnet(r)
	if err != nil {
		return err
	}
	strs := p.AddressPrefixes
	if p.AddressPrefix != "" && !slices.Contains(strs, p.AddressPrefix) {
		strs = append([]string{p.AddressPrefix}, strs...)
	}
	n.parent = parentOf(n.id)
	n.subnet = &subnetNode{
		prefixes:        parsePrefixList(strs),
		nsg:             refID(p.NetworkSecurityGroup),
		rt:              refID(p.RouteTable),
		defaultOutbound: p.DefaultOutboundAccess == nil || *p.DefaultOutboundAccess,
		pePolicies:      p.PrivateEndpointNetworkPolicies,
	}
	if n.subnet.pePolicies == "" {
		n.subnet.pePolicies = "Disabled"
	}
	return nil
}

func decodePeering(r *arm.Record, n *node) error {
	p, err := network.DecodePeering(r)
	if err != nil {
		return err
	}
	n.parent = parentOf(n.id)
	pn := &peeringNode{
		remote:         refID(p.RemoteVirtualNetwork),
		state:          p.PeeringState,
		vnetAccess:     p.AllowVirtualNetworkAccess,
		forwarded:      p.AllowForwardedTraffic,
		gatewayTransit: p.AllowGatewayTransit,
		remoteGateways: p.UseRemoteGateways,
	}
	switch {
	case p.RemoteAddressSpace != nil:
		pn.remotePrefixes = parsePrefixList(p.RemoteAddressSpace.AddressPrefixes)
	case p.RemoteVirtualNetworkAddressSpace != nil:
		pn.remotePrefixes = parsePrefixList(p.RemoteVirtualNetworkAddressSpace.AddressPrefixes)
	}
	n.peering = pn
	return nil
}

func decodeNIC(r *arm.Record, n *node) error {
	p, err := network.DecodeNetworkInterface(r)
	if err != nil {
		return err
	}
	nn := &nicNode{nsg: refID(p.NetworkSecurityGroup), forwarding: p.EnableIPForwarding}
	for _, c := range p.IPConfigurations {
		cid := c.ID
		if cid == "" {
			cid = r.Resource.ID + "/ipConfigurations/" + c.Name
		}
		cn := ipConfigNode{
			id:       strings.ToLower(cid),
			display:  cid,
			name:     c.Name,
			subnet:   refID(c.Properties.Subnet),
			publicIP: refID(c.Properties.PublicIPAddress),
			primary:  c.Properties.Primary,
		}
		if a, err := netip.ParseAddr(c.Properties.PrivateIPAddress); err == nil {
			cn.privateIP = a
		}
		for _, pool := range c.Properties.LoadBalancerBackendAddressPools {
			if pool.ID != "" {
				cn.pools = append(cn.pools, strings.ToLower(pool.ID))
			}
		}
		nn.configs = append(nn.configs, cn)
	}
	n.nic = nn
	return nil
}

// merge joins a rule's singular and plural fields, singular first.
func merge(one string, many []string) []string {
	out := make([]string, 0, len(many)+1)
	if one != "" {
		out = append(out, one)
	}
	for _, s := range many {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func asgIDs(refs []network.SubResource) []string {
	var out []string
	for _, g := range refs {
		if g.ID != "" {
			out = append(out, strings.ToLower(g.ID))
		}
	}
	return out
}

func securityRule(id, name string, p *network.SecurityRuleProperties, def bool) *SecurityRule {
	return &SecurityRule{
		Name:                name,
		ID:                  id,
		Priority:            int(p.Priority),
		Direction:           Direction(p.Direction),
		Access:              p.Access,
		Protocol:            Protocol(p.Protocol),
		SourcePrefixes:      merge(p.SourceAddressPrefix, p.SourceAddressPrefixes),
		DestinationPrefixes: merge(p.DestinationAddressPrefix, p.DestinationAddressPrefixes),
		SourcePorts:         merge(p.SourcePortRange, p.SourcePortRanges),
		DestinationPorts:    merge(p.DestinationPortRange, p.DestinationPortRanges),
		SourceASGs:          asgIDs(p.SourceApplicationSecurityGroups),
		DestinationASGs:     asgIDs(p.DestinationApplicationSecurityGroups),
		Default:             def,
	}
}

func decodeRule(r *arm.Record, n *node) error {
	p, err := network.DecodeSecurityRule(r)
	if err != nil {
		return err
	}
	n.parent = parentOf(n.id)
	name := r.Resource.Name
	if name == "" {
		name = r.Resource.ID[strings.LastIndexByte(r.Resource.ID, '/')+1:]
	}
	n.rule = securityRule(n.id, name, p, false)
	return nil
}

// defaultRuleNames are the names of Azure's default security rules by
// direction and priority (network.DefaultSecurityRules gives their
// properties, in this order).
var defaultRuleNames = map[string]string{
	"Inbound/65000":  "AllowVnetInBound",
	"Inbound/65001":  "AllowAzureLoadBalancerInBound",
	"Inbound/65500":  "DenyAllInBound",
	"Outbound/65000": "AllowVnetOutBound",
	"Outbound/65001": "AllowInternetOutBound",
	"Outbound/65500": "DenyAllOutBound",
}

// defaultRules returns the six default rules of the NSG with ID nsgID
// (lower case).
func defaultRules(nsgID string) []*SecurityRule {
	props := network.DefaultSecurityRules()
	out := make([]*SecurityRule, 0, len(props))
	for i := range props {
		p := &props[i]
		name := defaultRuleNames[p.Direction+"/"+strconv.FormatInt(p.Priority, 10)]
		out = append(out, securityRule(nsgID+"/defaultsecurityrules/"+strings.ToLower(name), name, p, true))
	}
	return out
}

func decodeRouteTable(r *arm.Record, n *node) error {
	p, err := network.DecodeRouteTable(r)
	if err != nil {
		return err
	}
	n.rt = &routeTableNode{disableBGP: p.DisableBgpRoutePropagation}
	return nil
}

func decodeRoute(r *arm.Record, n *node) error {
	p, err := network.DecodeRoute(r)
	if err != nil {
		return err
	}
	n.parent = parentOf(n.id)
	rt := &Route{ID: n.id, Name: r.Resource.Name, NextHopType: p.NextHopType}
	if rt.Name == "" {
		rt.Name = r.Resource.ID[strings.LastIndexByte(r.Resource.ID, '/')+1:]
	}
	if pf, err := netip.ParsePrefix(strings.TrimSpace(p.AddressPrefix)); err == nil {
		rt.Prefix = pf.Masked()
	} else {
		rt.Tag = strings.TrimSpace(p.AddressPrefix)
	}
	if a, err := netip.ParseAddr(p.NextHopIPAddress); err == nil {
		rt.NextHopIP = a
	}
	n.route = rt
	return nil
}

func decodePublicIP(r *arm.Record, n *node) error {
	p, err := network.DecodePublicIP(r)
	if err != nil {
		return err
	}
	pn := &publicIPNode{sku: "Basic"}
	if len(r.Resource.SKU) > 0 && string(r.Resource.SKU) != "null" {
		var sku network.PublicIPAddressSku
		if err := json.Unmarshal(r.Resource.SKU, &sku); err != nil {
			return fmt.Errorf("decode sku of public IP %s: %w", r.Resource.ID, err)
		}
		if sku.Name != "" {
			pn.sku = sku.Name
		}
	}
	if a, err := netip.ParseAddr(p.IPAddress); err == nil {
		pn.addr = a
	}
	if p.DNSSettings != nil {
		pn.fqdn = strings.ToLower(strings.TrimSuffix(p.DNSSettings.Fqdn, "."))
	}
	for k, v := range r.Resource.Tags { // tag names are case-insensitive
		if strings.EqualFold(k, ServiceTagResourceTag) {
			pn.serviceTag = strings.TrimSpace(v)
		}
	}
	n.pip = pn
	return nil
}

// storedLink is what a private DNS zone link stores in its properties.
type storedLink struct {
	VirtualNetwork      *network.SubResource `json:"virtualNetwork"`
	RegistrationEnabled *bool                `json:"registrationEnabled"`
	ResolutionPolicy    string               `json:"resolutionPolicy"`
}

func decodeLink(r *arm.Record, n *node) error {
	var p storedLink
	if len(r.Resource.Properties) > 0 {
		if err := json.Unmarshal(r.Resource.Properties, &p); err != nil {
			return fmt.Errorf("decode virtual network link %s: %w", r.Resource.ID, err)
		}
	}
	n.parent = parentOf(n.id)
	ln := &linkNode{
		vnet:         refID(p.VirtualNetwork),
		registration: p.RegistrationEnabled != nil && *p.RegistrationEnabled,
		policy:       p.ResolutionPolicy,
		completed:    r.State == "" || r.State == arm.StateSucceeded,
	}
	if ln.policy == "" {
		ln.policy = privatedns.ResolutionPolicyDefault
	}
	n.link = ln
	return nil
}

// absName returns a DNS name in presentation form (trailing dot).
func absName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// txtValue renders a TXT record's strings as quoted character-strings.
func txtValue(ss []string) string {
	if len(ss) == 0 {
		return `""`
	}
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for _, c := range []byte(s) {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	return b.String()
}

func decodeRecordSet(r *arm.Record, n *node, order int) error {
	var p privatedns.RecordSetProperties
	if len(r.Resource.Properties) > 0 {
		if err := json.Unmarshal(r.Resource.Properties, &p); err != nil {
			return fmt.Errorf("decode record set %s: %w", r.Resource.ID, err)
		}
	}
	typ := privatedns.RecordTypes()[order]
	n.parent = parentOf(n.id)
	rs := &recordSetNode{typ: typ, rel: n.id[strings.LastIndexByte(n.id, '/')+1:], order: order}
	ttl := uint32(min(max(p.TTL, 0), 1<<31-1))
	add := func(v string) { rs.records = append(rs.records, Record{Type: typ, TTL: ttl, Value: v}) }
	switch typ {
	case "A":
		for _, a := range p.ARecords {
			if ip, err := netip.ParseAddr(a.IPv4Address); err == nil {
				add(ip.String())
			}
		}
	case "AAAA":
		for _, a := range p.AAAARecords {
			if ip, err := netip.ParseAddr(a.IPv6Address); err == nil {
				add(ip.String())
			}
		}
	case "CNAME":
		if p.CNAMERecord != nil && p.CNAMERecord.CNAME != "" {
			add(absName(p.CNAMERecord.CNAME))
		}
	case "MX":
		for _, m := range p.MXRecords {
			add(strconv.FormatInt(m.Preference, 10) + " " + absName(m.Exchange))
		}
	case "PTR":
		for _, m := range p.PTRRecords {
			add(absName(m.PTRDName))
		}
	case "SOA":
		if s := p.SOARecord; s != nil {
			add(fmt.Sprintf("%s %s %d %d %d %d %d", absName(s.Host), absName(s.Email),
				s.SerialNumber, s.RefreshTime, s.RetryTime, s.ExpireTime, s.MinimumTTL))
		}
	case "SRV":
		for _, s := range p.SRVRecords {
			add(fmt.Sprintf("%d %d %d %s", s.Priority, s.Weight, s.Port, absName(s.Target)))
		}
	case "TXT":
		for _, t := range p.TXTRecords {
			add(txtValue(t.Value))
		}
	}
	n.rset = rs
	return nil
}

// vmProperties is the stored form of a virtual machine's properties the
// fabric reads.
type vmProperties struct {
	NetworkProfile struct {
		NetworkInterfaces []struct {
			ID         string `json:"id"`
			Properties struct {
				Primary *bool `json:"primary"`
			} `json:"properties"`
		} `json:"networkInterfaces"`
	} `json:"networkProfile"`
	OSProfile struct {
		ComputerName string `json:"computerName"`
	} `json:"osProfile"`
}

func decodeVM(r *arm.Record, n *node) error {
	var p vmProperties
	if len(r.Resource.Properties) > 0 {
		if err := json.Unmarshal(r.Resource.Properties, &p); err != nil {
			return fmt.Errorf("decode virtual machine %s: %w", r.Resource.ID, err)
		}
	}
	var internal struct {
		PowerState string `json:"powerState"`
	}
	if len(r.Internal) > 0 && string(r.Internal) != "null" {
		if err := json.Unmarshal(r.Internal, &internal); err != nil {
			return fmt.Errorf("decode power state of virtual machine %s: %w", r.Resource.ID, err)
		}
	}
	id, err := arm.ParseID(r.Resource.ID)
	if err != nil {
		return err
	}
	vm := &vmNode{
		resourceID:    r.Resource.ID,
		resourceGroup: id.ResourceGroup,
		computerName:  p.OSProfile.ComputerName,
		powerState:    internal.PowerState,
	}
	if vm.powerState == "" && (r.State == "" || r.State == arm.StateSucceeded) {
		vm.powerState = PowerRunning
	}
	vm.running = vm.powerState == PowerRunning
	nics := p.NetworkProfile.NetworkInterfaces
	primary := -1
	for i, ni := range nics {
		if ni.Properties.Primary != nil && *ni.Properties.Primary && primary < 0 {
			primary = i
		}
	}
	if primary < 0 && len(nics) > 0 {
		primary = 0
	}
	if primary >= 0 && nics[primary].ID != "" {
		vm.nics = append(vm.nics, strings.ToLower(nics[primary].ID))
	}
	for i, ni := range nics {
		if i != primary && ni.ID != "" {
			vm.nics = append(vm.nics, strings.ToLower(ni.ID))
		}
	}
	n.vm = vm
	return nil
}

// publicNameTypes are the resource types whose internal state may publish
// names in the emulated public DNS (lower case).
var publicNameTypes = map[string]bool{
	"microsoft.containerservice/managedclusters":   true,
	"microsoft.cdn/profiles/afdendpoints":          true,
	"microsoft.hybridcompute/privlinkservicenames": true,
}

// PublicRecordsInternal is the part of a record's internal state (for the
// types in publicNameTypes) that the builder reads: FQDN -> address in the
// emulated public DNS. A provider publishes a name by storing it there,
// e.g. AKS's "<prefix>-<hash>.hcp.<region>.azmk8s.io" -> the API server's
// public IP.
type PublicRecordsInternal struct {
	PublicRecords map[string]string `json:"publicRecords,omitempty"`
	// PublicCNAMEs: FQDN -> canonical name, e.g. Azure PaaS's public name
	// -> its "privatelink." name (azure-behavior.md §6).
	PublicCNAMEs map[string]string `json:"publicCNAMEs,omitempty"`
}

func decodePublicNames(r *arm.Record, n *node) error {
	if len(r.Internal) == 0 || string(r.Internal) == "null" {
		return nil
	}
	var in PublicRecordsInternal
	if err := json.Unmarshal(r.Internal, &in); err != nil {
		return fmt.Errorf("decode public names of %s: %w", r.Resource.ID, err)
	}
	if len(in.PublicRecords) > 0 {
		n.names = make(map[string]string, len(in.PublicRecords))
		for k, v := range in.PublicRecords {
			n.names[strings.ToLower(strings.TrimSuffix(k, "."))] = v
		}
	}
	if len(in.PublicCNAMEs) > 0 {
		n.cnames = make(map[string]string, len(in.PublicCNAMEs))
		for k, v := range in.PublicCNAMEs {
			n.cnames[strings.ToLower(strings.TrimSuffix(k, "."))] = strings.ToLower(strings.TrimSuffix(v, ".")) + "."
		}
	}
	return nil
}

func decodeListener(r *arm.Record, n *node) error {
	id, err := arm.ParseID(r.Resource.ID)
	if err != nil {
		return err
	}
	if id.Scope == "" || !strings.Contains(id.Scope, "/providers/") {
		return fmt.Errorf("listener %s does not extend a resource", r.Resource.ID)
	}
	var p struct {
		Protocol string `json:"protocol"`
		Port     int    `json:"port"`
		Target   string `json:"target"`
		Address  string `json:"address"`
	}
	if len(r.Resource.Properties) > 0 {
		if err := json.Unmarshal(r.Resource.Properties, &p); err != nil {
			return fmt.Errorf("decode listener %s: %w", r.Resource.ID, err)
		}
	}
	proto := strings.ToLower(p.Protocol)
	if proto != "tcp" && proto != "udp" {
		return fmt.Errorf("listener %s: protocol %q is not Tcp or Udp", r.Resource.ID, p.Protocol)
	}
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("listener %s: port %d is out of range 1-65535", r.Resource.ID, p.Port)
	}
	ap, err := netip.ParseAddrPort(p.Target)
	if err != nil || !ap.Addr().IsLoopback() || ap.Port() == 0 {
		return fmt.Errorf("listener %s: target %q is not a loopback address:port", r.Resource.ID, p.Target)
	}
	key := proto + "/" + strconv.Itoa(p.Port)
	if p.Address != "" {
		a, err := netip.ParseAddr(p.Address)
		if err != nil {
			return fmt.Errorf("listener %s: address %q is not an IP address", r.Resource.ID, p.Address)
		}
		key = ListenerKey(proto, a.Unmap(), p.Port)
	}
	n.parent = strings.ToLower(id.Scope)
	n.listener = &listenerNode{port: key, target: ap.String()}
	return nil
}

// buildNodes links decoded nodes into a new snapshot. count sizes the
// maps (an estimate is fine).
func buildNodes(rev int64, nodes iter.Seq[*node], count int) *Snapshot {
	s := &Snapshot{
		Revision:      rev,
		VNets:         make(map[string]*VNet, count/16),
		Subnets:       make(map[string]*Subnet, count/8),
		Peerings:      map[string]*Peering{},
		NICs:          make(map[string]*NIC, count/4),
		NSGs:          map[string]*NSG{},
		RouteTables:   map[string]*RouteTable{},
		PublicIPs:     map[string]*PublicIP{},
		Hosts:         make(map[string]*Host, count/4),
		Zones:         map[string]*Zone{},
		PublicRecords: map[string][]Record{},
		DisplayIDs:    make(map[string]string, count),
	}
	// Pass 1: the parent objects; the children wait in these lists.
	var subnets, peerings, nics, rules, routes, links, rsets, vms, listeners []*node
	var names []*node // resources publishing public DNS names
	ext := map[*extension][]*node{}
	var balancing []*node // load balancers, private link services, connections, endpoints
	for n := range nodes {
		if n.display != n.id {
			s.DisplayIDs[n.id] = n.display
		}
		if n.nic != nil {
			for i := range n.nic.configs {
				if c := &n.nic.configs[i]; c.display != c.id {
					s.DisplayIDs[c.id] = c.display
				}
			}
		}
		switch n.kind {
		case kindVNet:
			s.VNets[n.id] = &VNet{ID: n.id, Name: n.name, Location: n.vnet.location,
				Prefixes: n.vnet.prefixes, DNSServers: n.vnet.dns,
				InternalDomainSuffix: network.InternalDomainNameSuffix(n.id)}
		case kindNSG:
			s.NSGs[n.id] = &NSG{ID: n.id, Name: n.name}
		case kindRouteTable:
			s.RouteTables[n.id] = &RouteTable{ID: n.id, Name: n.name, DisableBGPRoutePropagation: n.rt.disableBGP}
		case kindPublicIP:
			s.PublicIPs[n.id] = &PublicIP{ID: n.id, Name: n.name, Addr: n.pip.addr, SKU: n.pip.sku, FQDN: n.pip.fqdn, ServiceTag: n.pip.serviceTag}
		case kindZone:
			s.Zones[n.id] = &Zone{ID: n.id, Name: strings.ToLower(strings.TrimSuffix(n.name, ".")), Records: map[string][]Record{}}
		case kindSubnet:
			subnets = append(subnets, n)
		case kindPeering:
			peerings = append(peerings, n)
		case kindNIC:
			nics = append(nics, n)
		case kindSecurityRule:
			rules = append(rules, n)
		case kindRoute:
			routes = append(routes, n)
		case kindZoneLink:
			links = append(links, n)
		case kindRecordSet:
			rsets = append(rsets, n)
		case kindVM:
			vms = append(vms, n)
		case kindListener:
			listeners = append(listeners, n)
		case kindPublicNames:
			names = append(names, n)
		case kindLB, kindPLS, kindPLSConn, kindPE:
			balancing = append(balancing, n)
		case kindExtension:
			ext[n.ext] = append(ext[n.ext], n)
		}
	}
	// Security rules and routes (shared, pointer-free).
	for _, n := range rules {
		if g := s.NSGs[n.parent]; g != nil {
			g.Rules = append(g.Rules, n.rule)
		}
	}
	for _, g := range s.NSGs {
		sortRules(g.Rules)
		def := defaultRules(g.ID)
		sortRules(def)
		g.Rules = append(g.Rules, def...)
	}
	for _, n := range routes {
		if t := s.RouteTables[n.parent]; t != nil {
			t.Routes = append(t.Routes, n.route)
		}
	}
	for _, t := range s.RouteTables {
		slices.SortFunc(t.Routes, func(a, b *Route) int { return strings.Compare(a.ID, b.ID) })
	}

	// Subnets and peerings.
	slices.SortFunc(subnets, byID)
	for _, n := range subnets {
		v := s.VNets[n.parent]
		if v == nil {
			continue // orphan: its network is gone
		}
		sn := &Subnet{ID: n.id, Name: n.name, VNet: v, Prefixes: n.subnet.prefixes,
			NSG: s.NSGs[n.subnet.nsg], RouteTable: s.RouteTables[n.subnet.rt],
			DefaultOutboundAccess: n.subnet.defaultOutbound, PrivateEndpointNetworkPolicies: n.subnet.pePolicies}
		s.Subnets[n.id] = sn
		v.Subnets = append(v.Subnets, sn)
	}
	slices.SortFunc(peerings, byID)
	for _, n := range peerings {
		v := s.VNets[n.parent]
		if v == nil {
			continue
		}
		p := n.peering
		pr := &Peering{ID: n.id, Name: n.name, Local: v, Remote: s.VNets[p.remote], RemoteID: p.remote,
			State: p.state, AllowVirtualNetworkAccess: p.vnetAccess, AllowForwardedTraffic: p.forwarded,
			AllowGatewayTransit: p.gatewayTransit, UseRemoteGateways: p.remoteGateways, RemotePrefixes: p.remotePrefixes}
		s.Peerings[n.id] = pr
		v.Peerings = append(v.Peerings, pr)
	}

	// Network interfaces, their IP configurations and public IPs.
	slices.SortFunc(nics, byID)
	for _, n := range nics {
		nic := &NIC{ID: n.id, Name: n.name, NSG: s.NSGs[n.nic.nsg], IPForwarding: n.nic.forwarding,
			IPConfigs: make([]*IPConfig, 0, len(n.nic.configs))}
		for i := range n.nic.configs {
			c := &n.nic.configs[i]
			ic := &IPConfig{ID: c.id, Name: c.name, NIC: nic, Subnet: s.Subnets[c.subnet],
				PrivateIP: c.privateIP, Primary: c.primary}
			if pip := s.PublicIPs[c.publicIP]; pip != nil {
				ic.PublicIP = pip
				if pip.IPConfig == nil {
					pip.IPConfig = ic
				}
			}
			nic.IPConfigs = append(nic.IPConfigs, ic)
		}
		s.NICs[n.id] = nic
	}
	for _, p := range s.PublicIPs {
		if p.FQDN == "" || !p.Addr.IsValid() {
			continue
		}
		typ := "A"
		if p.Addr.Is6() {
			typ = "AAAA"
		}
		s.PublicRecords[p.FQDN] = append(s.PublicRecords[p.FQDN], Record{Type: typ, TTL: publicRecordTTL, Value: p.Addr.String()})
	}
	slices.SortFunc(names, byID)
	for _, n := range names {
		for _, fqdn := range slices.Sorted(maps.Keys(n.names)) {
			a, err := netip.ParseAddr(n.names[fqdn])
			if err != nil {
				continue
			}
			typ := "A"
			if a.Is6() {
				typ = "AAAA"
			}
			s.PublicRecords[fqdn] = append(s.PublicRecords[fqdn], Record{Type: typ, TTL: publicRecordTTL, Value: a.String()})
		}
		for _, fqdn := range slices.Sorted(maps.Keys(n.cnames)) {
			// One CNAME per name (several publishers of one name: the first).
			if !slices.ContainsFunc(s.PublicRecords[fqdn], func(r Record) bool { return r.Type == "CNAME" }) {
				s.PublicRecords[fqdn] = append(s.PublicRecords[fqdn], Record{Type: "CNAME", TTL: publicRecordTTL, Value: n.cnames[fqdn]})
			}
		}
	}

	// Private DNS: links and record sets.
	slices.SortFunc(links, byID)
	for _, n := range links {
		z := s.Zones[n.parent]
		if z == nil || !n.link.completed {
			continue
		}
		l := &ZoneLink{ID: n.id, Name: n.name, Zone: z, VNet: s.VNets[n.link.vnet], VNetID: n.link.vnet,
			Registration: n.link.registration, ResolutionPolicy: n.link.policy}
		z.Links = append(z.Links, l)
		if l.VNet != nil {
			l.VNet.Links = append(l.VNet.Links, l)
		}
	}
	for _, v := range s.VNets {
		if len(v.Links) > 1 {
			slices.SortFunc(v.Links, func(a, b *ZoneLink) int {
				return cmp.Or(strings.Compare(a.Zone.Name, b.Zone.Name), strings.Compare(a.ID, b.ID))
			})
		}
	}
	slices.SortFunc(rsets, func(a, b *node) int {
		return cmp.Or(strings.Compare(a.parent, b.parent), strings.Compare(a.rset.rel, b.rset.rel),
			cmp.Compare(a.rset.order, b.rset.order))
	})
	for _, n := range rsets {
		z := s.Zones[n.parent]
		if z == nil || len(n.rset.records) == 0 {
			continue
		}
		if cur := z.Records[n.rset.rel]; cur == nil {
			z.Records[n.rset.rel] = n.rset.records
		} else {
			z.Records[n.rset.rel] = append(slices.Clip(cur), n.rset.records...)
		}
	}

	// Hosts.
	slices.SortFunc(vms, byID)
	for _, n := range vms {
		vm := n.vm
		h := &Host{ID: n.id, Name: n.name, ResourceID: vm.resourceID, ResourceGroup: vm.resourceGroup,
			Kind: KindVM, Running: vm.running, PowerState: vm.powerState, ComputerName: vm.computerName}
		for _, id := range vm.nics {
			nic := s.NICs[id]
			if nic == nil || nic.Host != nil {
				continue
			}
			nic.Host = h
			h.NICs = append(h.NICs, nic)
		}
		s.Hosts[n.id] = h
	}
	// Extensions that add hosts (sites, bastions...) do it before the
	// listeners are attached.
	linkExtensions(s, ext, PhaseHosts)
	slices.SortFunc(listeners, byID)
	for _, n := range listeners {
		h := s.Hosts[n.parent]
		if h == nil {
			continue
		}
		if h.Ports == nil {
			h.Ports = map[string]string{}
		}
		if _, dup := h.Ports[n.listener.port]; !dup {
			h.Ports[n.listener.port] = n.listener.target
		}
	}
	s.Hosts[InternetHostID] = &Host{ID: InternetHostID, Name: "internet", Kind: KindInternet,
		Running: true, PublicAddr: InternetHostIP}
	s.Hosts[PlatformHostID] = platformHost()

	// Load balancers, private link services and endpoints (build_lb.go).
	buildLoadBalancing(s, balancing, nics)
	linkExtensions(s, ext, PhaseLink)

	s.Reindex()
	return s
}

func byID(a, b *node) int { return strings.Compare(a.id, b.id) }

// sortRules orders rules by direction (Inbound first) and ascending
// priority, then name.
func sortRules(rs []*SecurityRule) {
	slices.SortStableFunc(rs, func(a, b *SecurityRule) int {
		return cmp.Or(cmp.Compare(dirOrder(a.Direction), dirOrder(b.Direction)),
			cmp.Compare(a.Priority, b.Priority), strings.Compare(a.Name, b.Name))
	})
}

func dirOrder(d Direction) int {
	if strings.EqualFold(string(d), string(Inbound)) {
		return 0
	}
	return 1
}
