package fabric

import "net/netip"

// The load balancing and Private Link part of the model: load balancers
// with their frontends, pools, rules and probes; private link services
// with their NAT IPs and connections; private endpoints. Builders fill the
// Snapshot maps below and Reindex links the address indexes.

// LoadBalancer is a Microsoft.Network/loadBalancers resource.
type LoadBalancer struct {
	ID, Name string
	SKU      string // Basic or Standard
	// Internal: the frontends are private addresses in subnets (else
	// public IPs).
	Internal  bool
	Frontends []*Frontend
	Pools     []*BackendPool
	Rules     []*LBRule
	Probes    []*Probe
}

// Frontend is a load balancer frontend IP configuration.
type Frontend struct {
	ID, Name  string
	LB        *LoadBalancer
	Subnet    *Subnet    // internal frontends
	PrivateIP netip.Addr // internal frontends
	PublicIP  *PublicIP  // public frontends
	Rules     []*LBRule
	// Services are the private link services published on the frontend.
	Services []*PrivateLinkService
}

// BackendPool is a load balancer backend address pool.
type BackendPool struct {
	ID, Name string
	LB       *LoadBalancer
	Members  []*BackendMember
}

// BackendMember is one backend of a pool: a NIC IP configuration, or an
// address in a VNet (IP-based pools).
type BackendMember struct {
	// Key identifies the member for health and hashing: the IP
	// configuration's ID, or "<pool id>/addresses/<name>".
	Key      string
	IPConfig *IPConfig // NIC-based members
	VNet     *VNet     // IP-based members
	Addr     netip.Addr
}

// LBRule is a load balancing rule.
type LBRule struct {
	ID, Name         string
	Frontend         *Frontend
	Pool             *BackendPool
	Probe            *Probe   // nil: every member counts as healthy
	Protocol         Protocol // Tcp, Udp, or ProtoAny ("All")
	FrontendPort     int      // 0 with ProtoAny: HA ports
	BackendPort      int
	FloatingIP       bool
	IdleTimeoutMin   int
	LoadDistribution string // Default, SourceIP, SourceIPProtocol
}

// Probe is a health probe.
type Probe struct {
	ID, Name    string
	Protocol    string // Tcp, Http, Https
	Port        int
	Path        string
	IntervalSec int
	Count       int
}

// PrivateLinkService is a Microsoft.Network/privateLinkServices resource.
type PrivateLinkService struct {
	ID, Name string
	Alias    string
	// Subscription is the provider's subscription ID (lower case).
	Subscription string
	Frontends    []*Frontend
	// NATIPs are the IP configurations of the service's read-only NIC
	// (source NAT addresses seen by the backends).
	NATIPs        []*IPConfig
	ProxyProtocol bool
	Visibility    []string // subscription IDs, or "*"
	AutoApproval  []string
	FQDNs         []string
	Connections   []*PLSConnection
}

// PLSConnection is the provider side of an endpoint connection.
type PLSConnection struct {
	ID, Name   string
	Service    *PrivateLinkService
	Endpoint   *PrivateEndpoint // nil when the endpoint is gone
	EndpointID string
	// Status is Pending, Approved, Rejected or Disconnected.
	Status      string
	Description string
	LinkID      uint32
}

// PrivateEndpoint is a Microsoft.Network/privateEndpoints resource.
type PrivateEndpoint struct {
	ID, Name    string
	Subnet      *Subnet
	NIC         *NIC
	IP          netip.Addr
	Connections []*PEConnection
}

// PEConnection is the consumer side of an endpoint connection.
type PEConnection struct {
	Name string
	// TargetID is the private link service (or other resource) ID or
	// alias the connection asked for; Service is set when it resolves.
	TargetID    string
	Service     *PrivateLinkService
	GroupIDs    []string
	Manual      bool
	Status      string
	Description string
	LinkID      uint32
}
