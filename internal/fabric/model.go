// Package fabric is privlink's data plane: an immutable topology snapshot
// rebuilt from the store whenever it changes, one pure evaluation function
// that decides whether and how traffic flows between emulated hosts, the
// Azure-provided DNS views, and the ingress proxies (SOCKS5 and HTTP
// CONNECT) that carry real TCP from a vantage host to the real local
// listener standing for the destination.
//
// The proxy, the DNS server and the Network Watcher answers (package
// diagnose) all call Evaluate and Resolve on the same snapshot, so they
// cannot disagree.
//
// Emulated addresses (10.x, 172.16.x, public IPs from the emulated pool...)
// exist only inside the snapshot: nothing binds or dials them on the real
// machine. The only real sockets are loopback ones.
package fabric

import (
	"net/netip"
	"strings"
)

// Well-known addresses.
var (
	// AzurePlatformIP is 168.63.129.16: Azure DNS, the load balancer
	// health-probe source and the AzureLoadBalancer service tag.
	AzurePlatformIP = netip.MustParseAddr("168.63.129.16")
	// InternetHostIP is the public address of the built-in "internet"
	// vantage (from TEST-NET-3, documentation space, never routed).
	InternetHostIP = netip.MustParseAddr("203.0.113.10")
)

// InternetHostID is the ID of the built-in internet vantage.
const InternetHostID = "internet"

// PlatformHostID is the ID of the built-in Azure platform host
// (168.63.129.16): the source of load balancer health probes.
const PlatformHostID = "azure-platform"

// HostKind says what a host stands for.
type HostKind string

// Host kinds. Later issues add node, pod, onprem, frontdoor...
const (
	KindVM       HostKind = "vm"
	KindInternet HostKind = "internet"
	KindPlatform HostKind = "platform"
	// KindOnPrem is a host of an on-premises site (model_site.go).
	KindOnPrem HostKind = "onprem"
	// KindBastion is an Azure Bastion host's instance (model_bastion.go).
	KindBastion HostKind = "bastion"
)

// Snapshot is an immutable view of the emulated network at one store
// revision. Maps are keyed by lower-cased ARM resource ID. Nothing in a
// snapshot may be modified after Build returns it.
type Snapshot struct {
	// Revision is the store revision the snapshot was built from.
	Revision int64

	VNets       map[string]*VNet
	Subnets     map[string]*Subnet
	Peerings    map[string]*Peering
	NICs        map[string]*NIC
	NSGs        map[string]*NSG
	RouteTables map[string]*RouteTable
	PublicIPs   map[string]*PublicIP
	Hosts       map[string]*Host // plus InternetHostID
	Zones       map[string]*Zone

	LoadBalancers       map[string]*LoadBalancer
	PrivateLinkServices map[string]*PrivateLinkService
	PrivateEndpoints    map[string]*PrivateEndpoint

	// Hybrid networking (extensions, see extension.go): on-premises sites
	// and gateways (model_site.go), DNS Private Resolver
	// (model_resolver.go), Bastion (model_bastion.go). Nil maps when no
	// such resource exists.
	Sites         map[string]*Site
	Gateways      map[string]*Gateway
	LocalGateways map[string]*LocalGateway
	Connections   map[string]*Connection
	Circuits      map[string]*Circuit
	DNSResolvers  map[string]*DNSResolver
	Rulesets      map[string]*ForwardingRuleset
	Bastions      map[string]*Bastion

	// PublicRecords is the emulated public DNS: lower-case FQDN without
	// the trailing dot -> records. It holds the Azure-owned names privlink
	// hosts (public IP DNS labels now; AKS, private link services, Front
	// Door and Arc names later).
	PublicRecords map[string][]Record

	// DisplayIDs maps a lower-case resource ID (every ID in the model is
	// lower case) to the ID as the user created it, for output. Missing
	// entries mean the two are the same.
	DisplayIDs map[string]string

	// Indexes, filled by Reindex from the maps above.

	// PublicIPIndex maps an emulated public address to its public IP.
	PublicIPIndex map[netip.Addr]*PublicIP
	// PrivateIPIndex maps a VNet ID to the IP configurations of its
	// private addresses.
	PrivateIPIndex map[string]map[netip.Addr]*IPConfig
	// HostsByName maps a lower-case host name to the hosts of that name
	// (VM names repeat across resource groups and subscriptions).
	HostsByName map[string][]*Host
	// FrontendIndex maps a VNet ID to its internal load balancer
	// frontends by private address.
	FrontendIndex map[string]map[netip.Addr]*Frontend
	// ServicesByAlias maps a lower-case private link service alias to
	// the service.
	ServicesByAlias map[string]*PrivateLinkService
	// ServiceTags maps a lower-case service tag to the /32 (/128) of the
	// public IPs carrying it (PublicIP.ServiceTag).
	ServiceTags map[string][]netip.Prefix
}

// ServiceTagResourceTag is the resource tag that puts a public IP's
// address in a service tag (AzureActiveDirectory, Storage.WestEurope...):
// how privlink's hidden hosts standing for Azure services make NSG rules
// and routes naming those tags match them.
const ServiceTagResourceTag = "privlinkServiceTag"

// ServiceTagPrefixes returns the prefixes of a service tag other than
// VirtualNetwork, Internet and AzureLoadBalancer: the addresses of the
// public IPs tagged with it, and, for a tag without a region (Storage),
// those tagged with one of its regional tags (Storage.WestEurope), as in
// Azure where the regional tags are subsets of the global one.
func (s *Snapshot) ServiceTagPrefixes(tag string) []netip.Prefix {
	if s == nil || len(s.ServiceTags) == 0 {
		return nil
	}
	var out []netip.Prefix
	for k, ps := range s.ServiceTags {
		if serviceTagCovers(tag, k) {
			out = append(out, ps...)
		}
	}
	return out
}

// InServiceTag reports whether a is in the service tag (as
// ServiceTagPrefixes, without building the list: NSG rules ask it for
// every connection).
func (s *Snapshot) InServiceTag(tag string, a netip.Addr) bool {
	if s == nil || len(s.ServiceTags) == 0 {
		return false
	}
	for k, ps := range s.ServiceTags {
		if !serviceTagCovers(tag, k) {
			continue
		}
		for _, p := range ps {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// serviceTagCovers reports whether the tag a rule names covers a public
// IP's (lower-case) tag: the same tag, or one of its regional tags.
func serviceTagCovers(ruleTag, ipTag string) bool {
	t := strings.TrimSpace(ruleTag)
	return strings.EqualFold(ipTag, t) ||
		len(ipTag) > len(t) && ipTag[len(t)] == '.' && strings.EqualFold(ipTag[:len(t)], t)
}

// Reindex fills the snapshot's indexes from its maps. Builders call it
// once, before the snapshot is published.
func (s *Snapshot) Reindex() {
	s.PublicIPIndex = make(map[netip.Addr]*PublicIP, len(s.PublicIPs))
	for _, p := range s.PublicIPs {
		if p.Addr.IsValid() {
			s.PublicIPIndex[p.Addr] = p
			if p.ServiceTag != "" {
				if s.ServiceTags == nil {
					s.ServiceTags = map[string][]netip.Prefix{}
				}
				k := strings.ToLower(p.ServiceTag)
				s.ServiceTags[k] = append(s.ServiceTags[k], netip.PrefixFrom(p.Addr, p.Addr.BitLen()))
			}
		}
	}
	s.PrivateIPIndex = make(map[string]map[netip.Addr]*IPConfig, len(s.VNets))
	for _, n := range s.NICs {
		for _, c := range n.IPConfigs {
			if c.Subnet == nil || c.Subnet.VNet == nil || !c.PrivateIP.IsValid() {
				continue
			}
			m := s.PrivateIPIndex[c.Subnet.VNet.ID]
			if m == nil {
				m = make(map[netip.Addr]*IPConfig)
				s.PrivateIPIndex[c.Subnet.VNet.ID] = m
			}
			m[c.PrivateIP] = c
		}
	}
	s.HostsByName = make(map[string][]*Host, len(s.Hosts))
	for _, h := range s.Hosts {
		k := strings.ToLower(h.Name)
		s.HostsByName[k] = append(s.HostsByName[k], h)
	}
	s.FrontendIndex = map[string]map[netip.Addr]*Frontend{}
	for _, lb := range s.LoadBalancers {
		for _, fe := range lb.Frontends {
			if fe.Subnet == nil || fe.Subnet.VNet == nil || !fe.PrivateIP.IsValid() {
				continue
			}
			m := s.FrontendIndex[fe.Subnet.VNet.ID]
			if m == nil {
				m = map[netip.Addr]*Frontend{}
				s.FrontendIndex[fe.Subnet.VNet.ID] = m
			}
			m[fe.PrivateIP] = fe
		}
	}
	s.ServicesByAlias = make(map[string]*PrivateLinkService, len(s.PrivateLinkServices))
	for _, p := range s.PrivateLinkServices {
		if p.Alias != "" {
			s.ServicesByAlias[strings.ToLower(p.Alias)] = p
		}
	}
}

// DisplayID returns a resource ID as the user created it (Azure answers
// with the original casing), or id itself when unknown.
func (s *Snapshot) DisplayID(id string) string {
	if d, ok := s.DisplayIDs[id]; ok {
		return d
	}
	return id
}

// IPConfigAt returns the IP configuration holding a private address in a
// VNet, or nil.
func (s *Snapshot) IPConfigAt(vnet *VNet, ip netip.Addr) *IPConfig {
	if vnet == nil {
		return nil
	}
	return s.PrivateIPIndex[vnet.ID][ip]
}

// VNet is a virtual network.
type VNet struct {
	ID, Name, Location string
	Prefixes           []netip.Prefix
	// DNSServers are the custom DNS servers (dhcpOptions.dnsServers);
	// empty means Azure-provided DNS.
	DNSServers []netip.Addr
	Subnets    []*Subnet
	// Peerings are this VNet's own peering resources (to remote VNets).
	Peerings []*Peering
	// Links are the private DNS zone links of this VNet.
	Links []*ZoneLink
	// InternalDomainSuffix is the Azure-provided DNS suffix of the VNet
	// (<guid>.xx.internal.cloudapp.net).
	InternalDomainSuffix string
}

// Subnet is a subnet of a VNet.
type Subnet struct {
	ID, Name   string
	VNet       *VNet
	Prefixes   []netip.Prefix
	NSG        *NSG        // nil if none
	RouteTable *RouteTable // nil if none
	// DefaultOutboundAccess is false when the subnet is private
	// (defaultOutboundAccess: false): no implicit internet egress.
	DefaultOutboundAccess bool
	// PrivateEndpointNetworkPolicies is the subnet's setting (Disabled,
	// Enabled, NetworkSecurityGroupEnabled, RouteTableEnabled): NSGs apply
	// to private endpoint traffic only when it enables them.
	PrivateEndpointNetworkPolicies string
}

// Peering is one side of a VNet peering.
type Peering struct {
	ID, Name string
	Local    *VNet
	// Remote is nil when the remote VNet does not exist (deleted, or in a
	// store the snapshot does not see).
	Remote   *VNet
	RemoteID string
	// State is Initiated, Connected or Disconnected.
	State                     string
	AllowVirtualNetworkAccess bool
	AllowForwardedTraffic     bool
	AllowGatewayTransit       bool
	UseRemoteGateways         bool
	// RemotePrefixes is the remote address space as recorded on the peering.
	RemotePrefixes []netip.Prefix
}

// NIC is a network interface.
type NIC struct {
	ID, Name     string
	NSG          *NSG // nil if none
	IPConfigs    []*IPConfig
	IPForwarding bool
	// Host is the host the NIC is attached to (nil if detached).
	Host *Host
	// PrivateEndpoint / Service: the NIC is the read-only NIC of a
	// private endpoint, or of a private link service (its NAT IPs).
	PrivateEndpoint *PrivateEndpoint
	Service         *PrivateLinkService
}

// Primary returns the primary IP configuration (the first when none is
// marked), or nil.
func (n *NIC) Primary() *IPConfig {
	for _, c := range n.IPConfigs {
		if c.Primary {
			return c
		}
	}
	if len(n.IPConfigs) > 0 {
		return n.IPConfigs[0]
	}
	return nil
}

// IPConfig is one IP configuration of a NIC.
type IPConfig struct {
	ID, Name  string
	NIC       *NIC
	Subnet    *Subnet // nil if the subnet is missing
	PrivateIP netip.Addr
	PublicIP  *PublicIP // nil if none
	Primary   bool
}

// PublicIP is a public IP address resource.
type PublicIP struct {
	ID, Name string
	Addr     netip.Addr // invalid while unallocated (Dynamic, detached)
	SKU      string     // Basic or Standard
	FQDN     string     // from dnsSettings.domainNameLabel, "" if none
	// ServiceTag is the service tag its address belongs to, from the
	// resource tag ServiceTagResourceTag ("" for none): privlink's own
	// hosts standing for Azure services (Entra ID, ARM, MCR...).
	ServiceTag string
	IPConfig   *IPConfig // the NIC IP configuration holding it, nil if none
	Frontend   *Frontend // the load balancer frontend holding it, nil if none
}

// Direction of a security rule.
type Direction string

// Directions.
const (
	Inbound  Direction = "Inbound"
	Outbound Direction = "Outbound"
)

// Protocol of a flow or a rule.
type Protocol string

// Protocols. A rule may also say ProtoAny ("*").
const (
	TCP      Protocol = "Tcp"
	UDP      Protocol = "Udp"
	ICMP     Protocol = "Icmp"
	ProtoAny Protocol = "*"
)

// NSG is a network security group.
type NSG struct {
	ID, Name string
	// Rules are the user rules followed by the six default rules, each
	// group sorted by direction and ascending priority.
	Rules []*SecurityRule
}

// SecurityRule is a user or default security rule.
type SecurityRule struct {
	Name      string
	ID        string
	Priority  int
	Direction Direction
	Access    string   // Allow or Deny
	Protocol  Protocol // Tcp, Udp, Icmp, Esp, Ah or *
	// Source and destination address prefixes as written: CIDRs, single
	// addresses, "*" or service tags (VirtualNetwork, Internet,
	// AzureLoadBalancer, Storage.WestEurope...).
	SourcePrefixes      []string
	DestinationPrefixes []string
	// Port ranges as written: "*", "443", "8000-8999".
	SourcePorts      []string
	DestinationPorts []string
	// Source/destination application security group IDs (lower case).
	SourceASGs      []string
	DestinationASGs []string
	Default         bool
}

// RouteTable is a route table.
type RouteTable struct {
	ID, Name                   string
	Routes                     []*Route
	DisableBGPRoutePropagation bool
}

// Route is a user-defined route.
type Route struct {
	ID, Name string
	// Prefix is the destination prefix; Tag is set instead when the route
	// names a service tag.
	Prefix      netip.Prefix
	Tag         string
	NextHopType string // VirtualAppliance, VnetLocal, Internet, None, VirtualNetworkGateway
	NextHopIP   netip.Addr
}

// Host is anything that stands for a machine: a VM, the internet vantage,
// later nodes, pods, on-premises hosts, load balancer backends.
type Host struct {
	ID   string // lower-case resource ID, or InternetHostID
	Name string
	// ResourceID is the ARM ID as created (original case); "" for the
	// internet vantage.
	ResourceID    string
	ResourceGroup string
	Kind          HostKind
	// Running: a stopped or deallocated host carries no traffic.
	Running bool
	// PowerState is Azure's code, e.g. "PowerState/running".
	PowerState string
	// ComputerName is the OS host name (Azure DNS answers it inside the
	// VNet as <name>.<InternalDomainSuffix>).
	ComputerName string
	NICs         []*NIC
	// PublicAddr is the host's own public address when it has no NIC
	// (the internet vantage).
	PublicAddr netip.Addr
	// Ports are the declared listeners: "tcp/443" -> real loopback
	// address ("127.0.0.1:8443"). Port 22 answers with an SSH banner on
	// every running VM even when not declared. A listener on one address
	// has the key ListenerKey ("tcp/10.224.0.35:80"): on one of the host's
	// own addresses it answers only there; on any other address it is
	// host-local (only the host's own connections reach it, like a
	// kube-proxy rule for a ClusterIP).
	Ports map[string]string
	// Site is the on-premises site of a KindOnPrem host, else nil.
	Site *Site
	// DNSServers are the resolvers the host's own lookups go to when they
	// are not its VNet's (an on-premises host: its site's DNS server).
	// Empty: the VNet's settings (Azure-provided DNS or dnsServers).
	DNSServers []netip.Addr
}

// ListenerKey is the Host.Ports key of a listener on one address:
// "tcp/10.224.0.35:80".
func ListenerKey(proto string, addr netip.Addr, port int) string {
	return strings.ToLower(proto) + "/" + netip.AddrPortFrom(addr, uint16(port)).String()
}

// PrimaryIPConfig returns the host's primary IP configuration (primary
// NIC's primary config), or nil.
func (h *Host) PrimaryIPConfig() *IPConfig {
	for _, n := range h.NICs {
		if c := n.Primary(); c != nil {
			return c
		}
	}
	return nil
}

// Zone is a private DNS zone.
type Zone struct {
	ID, Name string // Name is the zone name, lower case, no trailing dot
	Links    []*ZoneLink
	// Records: relative name ("@" for the apex, lower case) -> records.
	Records map[string][]Record
}

// ZoneLink is a virtual network link of a private DNS zone.
type ZoneLink struct {
	ID, Name     string
	Zone         *Zone
	VNet         *VNet // nil if the VNet is missing
	VNetID       string
	Registration bool
	// ResolutionPolicy is Default or NxDomainRedirect.
	ResolutionPolicy string
}

// Record is one DNS resource record of a record set.
type Record struct {
	Type string // A, AAAA, CNAME, MX, PTR, SOA, SRV, TXT
	TTL  uint32
	// Value in presentation form: "10.0.0.4", "target.example.com.",
	// "10 mail.example.com.", "\"text\"", SRV "prio weight port target.".
	Value string
}

// Source hands out the current snapshot and tells subscribers about new
// ones. The Watcher (built from the store) implements it; tests use
// StaticSource.
type Source interface {
	// Current returns the latest snapshot (never nil once started).
	Current() *Snapshot
	// Subscribe calls fn(old, new) after every new snapshot, in order,
	// from one goroutine; cancel stops the calls.
	Subscribe(fn func(old, new *Snapshot)) (cancel func())
}

// StaticSource is a Source that always returns one snapshot (tests).
type StaticSource struct{ S *Snapshot }

// Current returns the snapshot.
func (s StaticSource) Current() *Snapshot { return s.S }

// Subscribe never calls fn.
func (s StaticSource) Subscribe(func(old, new *Snapshot)) func() { return func() {} }
