package fabric

import "net/netip"

// Query asks whether a new connection may be made. Evaluate(s, q) answers.
type Query struct {
	// Source is the vantage host ID (Snapshot.Hosts key).
	Source string
	// SourceIPConfig optionally pins the source IP configuration (lower
	// case ID); default: the host's primary one.
	SourceIPConfig string
	// Dest is the destination address as the source sees it (private or
	// public, as resolved in the source's DNS view).
	Dest     netip.Addr
	Protocol Protocol // TCP or UDP
	Port     int      // destination port
	// SourcePort is the client's ephemeral port (0: any; rules with source
	// port ranges then match as if the port were 49152, the first
	// ephemeral port).
	SourcePort int
	// Health tells whether a load balancer backend answers its probe
	// (member key, see BackendMember.Key; probe ID). Nil: every backend
	// counts as healthy. The prober supplies it; Evaluate stays pure.
	Health func(memberKey, probeID string) bool
	// FlowHash picks among healthy backends (Azure's 5-tuple hash); the
	// proxy passes a hash of the real connection's 5-tuple so that one
	// flow always lands on one backend. 0 is a valid hash.
	FlowHash uint64
}

// Outcome is the overall result.
type Outcome string

// Outcomes, mapped to SOCKS replies by the proxy and to connectionStatus
// by Network Watcher.
const (
	// Delivered: the network carries the flow to a host that accepts it
	// (a declared listener, or the SSH banner on 22).
	Delivered Outcome = "Delivered"
	// Refused: the network carries it but nothing listens there
	// (SOCKS "connection refused").
	Refused Outcome = "Refused"
	// DeniedByNSG: a security rule denies it (SOCKS "not allowed by
	// ruleset").
	DeniedByNSG Outcome = "DeniedByNSG"
	// HostUnreachable: routed, but the destination host is missing or not
	// running, or the route's next hop drops it (SOCKS "host unreachable").
	HostUnreachable Outcome = "HostUnreachable"
	// NetworkUnreachable: no route carries it (None route, non-transitive
	// peering, private address from the internet...) (SOCKS "network
	// unreachable").
	NetworkUnreachable Outcome = "NetworkUnreachable"
	// SourceDown: the source host is missing or not running.
	SourceDown Outcome = "SourceDown"
)

// Verdict is Evaluate's answer.
type Verdict struct {
	Outcome Outcome
	// Hops from source to destination as Network Watcher shows them.
	Hops []Hop
	// Blocks lists every setting that blocks the flow, not only the
	// first: evaluation goes on past a block where the path is still
	// defined (e.g. both an outbound and an inbound NSG deny, or a
	// peering flag and an NSG deny). Empty when Outcome is Delivered.
	Blocks []Block
	// Target is set when Outcome is Delivered: the host and the real
	// loopback address that stands for Dest:Port ("ssh-banner" for the
	// built-in SSH answer on 22).
	TargetHost *Host
	TargetAddr string
	// TranslatedSource is the source address the destination sees (the
	// private IP inside Azure, or the public IP / SNAT address on the
	// internet). Through a private link service it is the first NAT IP;
	// the proxy picks the NAT IP that has a free port among NATIPs.
	TranslatedSource netip.Addr

	// Private Link: set when the flow went through a private endpoint and
	// its private link service.
	Endpoint *PrivateEndpoint
	Service  *PrivateLinkService
	// LinkID is the endpoint connection's link identifier (the PROXY v2
	// TLV 0xEE/0x01 value).
	LinkID uint32
	// NATIPs are the service's NAT addresses the proxy allocates source
	// ports from (each offers 64k ports per backend).
	NATIPs []netip.Addr
	// ProxyProtocol: the backend receives a PROXY v2 header carrying
	// ConsumerAddr and LinkID.
	ProxyProtocol bool
	// ConsumerAddr is the consumer's source address as the endpoint saw it.
	ConsumerAddr netip.Addr
	// Backend is the load balancer member chosen (nil when no load
	// balancer is on the path).
	Backend *BackendMember
}

// Allowed reports whether the connection goes through.
func (v *Verdict) Allowed() bool { return v.Outcome == Delivered }

// Hop is one step of a path, in Network Watcher's terms.
type Hop struct {
	// Type: Source, VirtualNetwork, VirtualAppliance, Internet, PublicIP,
	// PrivateEndpoint, PrivateLinkService, LoadBalancer, Destination.
	Type string
	// ResourceID of the NIC, appliance, public IP... ("" for Internet).
	ResourceID string
	Address    netip.Addr
	// Issues found at this hop (the blocks located here).
	Issues []Block
}

// Block is one setting that blocks a flow.
type Block struct {
	// Kind: NetworkSecurityRule, Route, Peering, HostStopped, NoHost,
	// NoListener, PublicIPInbound, DNS, ...
	Kind string
	// ResourceID of the setting (rule, route, peering, VM...).
	ResourceID string
	// Reason is the sentence shown to users, naming the setting, e.g.
	// "NSG deny-443 (priority 200) on subnet jump denies Outbound Tcp to
	// 10.1.0.4:443" or "peering hub-to-spoke: allowVirtualNetworkAccess is
	// false".
	Reason string
}
