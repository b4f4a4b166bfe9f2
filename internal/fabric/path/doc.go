// Package path is privlink's path evaluator: the one pure function the
// data plane relies on (Evaluate), and the Network Watcher views built
// from the same code (EffectiveRoutes, NextHop, EffectiveSecurityGroups,
// IPFlowVerify). Everything here reads a *fabric.Snapshot and never
// changes it; nothing does I/O, reads the clock or keeps state between
// calls, so every function is safe for concurrent use.
//
// # Routing
//
// An IP configuration routes by its subnet's effective routes:
//
//   - system routes: each VNet prefix → VnetLocal; each remote prefix of a
//     Connected peering (whose remote VNet exists) → VNetPeering;
//     0.0.0.0/0 → Internet (::/0 too when the VNet has IPv6 space);
//     10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 → None;
//   - user routes of the subnet's route table;
//   - routes learned over gateway connections (gateway.go): the prefixes
//     of on-premises sites whose VPN connection or ExpressRoute circuit to
//     the VNet's gateway is up → VirtualNetworkGateway, also in spokes
//     that use the hub's gateway (useRemoteGateways / allowGatewayTransit),
//     unless the route table disables BGP route propagation.
//
// The longest prefix wins; on a tie a user route beats a gateway route,
// which beats a system route, and among system routes VnetLocal
// beats VNetPeering beats the defaults. Routes naming a service tag match
// only public destinations, by the snapshot's service tag membership
// (fabric.Snapshot.ServiceTagPrefixes). A peering's remote space is its recorded remoteAddressSpace,
// else the remote VNet's prefixes.
//
// Next hops: VnetLocal delivers to the IP configuration holding the
// destination in the current VNet; VNetPeering crosses the peering and
// delivers in the remote VNet; Internet needs a public destination (a
// public IP resource attached to a NIC, or the internet vantage's
// address) and translates the source to the egress NIC's public IP, else
// to the subnet's default outbound address (DefaultOutboundAddress, from
// DefaultOutboundPrefix) unless the subnet is private
// (defaultOutboundAccess false: blocked, Kind OutboundAccess);
// VirtualAppliance moves the packet to the NIC holding the next hop
// address (in the current VNet or a Connected peered one), applies that
// NIC's NSGs inbound and outbound to the forwarded packet (addresses
// unchanged), requires its VM to run and its NIC to have IP forwarding,
// and routes again from the appliance's subnet, at most MaxApplianceHops
// times ("routing loop"); None drops; VirtualNetworkGateway crosses a
// gateway connection to or from an on-premises site (hops
// VirtualNetworkGateway, Connection, OnPremises; gateway.go).
//
// Crossing a peering from VNet A to B needs A's peering to allow virtual
// network access and B's peering back to A to be Connected; a packet
// whose source is outside A's address space (forwarded by an appliance)
// also needs B's peering to A to allow forwarded traffic.
//
// # Network security groups
//
// NSGs are stateful, so Evaluate decides only new connections: outbound at
// the source NIC's NSG then its subnet's (source = the private IP,
// destination = Query.Dest as given), inbound at the destination subnet's
// NSG then its NIC's (source = the translated source, destination = the
// private IP after public-IP DNAT). Every NSG is evaluated, and every deny
// is reported. In each NSG the first matching rule of the direction, in
// NSG.Rules order, decides; an NSG without a matching rule denies as
// Azure's DenyAll default rule would. A query without a source port
// matches source port ranges as port 49152.
//
// Address prefixes: "*", "Any" and CIDRs match as usual. Tags are
// evaluated for the NIC whose NSG is applied:
//
//   - VirtualNetwork: the NIC's VNet prefixes, the remote prefixes of its
//     Connected peerings that allow virtual network access (Azure drops a
//     peer from the tag when access is disabled), the prefixes of the user
//     routes of its subnet's route table (as in Azure: a 0.0.0.0/0 UDR
//     widens the tag to everything), the prefixes of connected
//     on-premises sites, and 168.63.129.16.
//   - AzureLoadBalancer: 168.63.129.16.
//   - Internet: addresses outside 10/8, 172.16/12, 192.168/16, 100.64/10,
//     127/8, 169.254/16, 168.63.129.16 (and IPv6 loopback, ULA, link-local)
//     and outside the NIC's VirtualNetwork tag.
//   - Other service tags: the addresses of the public IPs the snapshot
//     puts in them (the resource tag fabric.ServiceTagResourceTag on the
//     public IP; a tag without a region covers its regional tags); none
//     for the tags no such public IP carries.
//   - Application security groups never match: the snapshot has no ASG
//     membership yet.
//
// A flow reaching a NIC through a Standard SKU public IP when neither the
// NIC nor its subnet has an NSG is denied (Kind PublicIPInbound); Basic
// SKU public IPs (and an empty SKU) are open. Traffic to 168.63.129.16 is
// subject to neither NSGs nor routes: TCP/UDP 53 is Delivered to
// TargetAzureDNS (the DNS package answers it), anything else is Refused.
//
// # Load balancers
//
// A destination that is an internal load balancer frontend of the VNet
// the flow arrives in (Snapshot.FrontendIndex; VnetLocal and peering
// routes carry it as any private address), or a public IP held by a
// frontend (PublicIP.Frontend, reached on the Internet), goes to the
// frontend (hop LoadBalancer: frontend ID and address), then:
//
//   - the rule: one for exactly the flow's protocol and port, else one
//     for protocol All on that port, else an HA ports rule (All, port 0).
//     None: HostUnreachable, Kind NoLoadBalancingRule (Azure drops it);
//   - the pool's healthy members, by Query.Health for the rule's probe
//     (nil Health or a rule without probe: all healthy). No member: Kind
//     EmptyBackendPool; none healthy: Kind UnhealthyBackends naming the
//     pool and the probe (both HostUnreachable);
//   - the member at Query.FlowHash modulo the number of healthy members,
//     in Key order (Verdict.Backend): the same hash always picks the same
//     backend while health does not change;
//   - the member (hop Destination; an IP-based member is the IP
//     configuration holding its address in its VNet) on the rule's
//     backend port (the flow's port for HA ports): its inbound NSGs with
//     the source the backend sees (the client's address for internal
//     frontends, the Internet or SNAT address for public ones, a NAT IP
//     through Private Link) and, with floating IP, the frontend address as
//     the destination (no DNAT); then its host must run and listen. A
//     Standard SKU public frontend is closed (Kind PublicIPInbound) unless
//     the member's NIC or subnet has an NSG.
//
// Health probes: the source fabric.PlatformHostID (168.63.129.16, a
// host of Kind KindPlatform; assumed when missing from the snapshot)
// reaches any backend pool member directly, without routes, subject to
// the member's inbound NSGs (tag AzureLoadBalancer; the default rule
// AllowAzureLoadBalancerInBound allows it) and delivered to its listener
// on Query.Port. Members sharing an address in overlapping VNets are told
// apart by Query.SourceIPConfig naming the member's Key (else the lowest
// Key). Other destinations are HostUnreachable.
//
// # Private Link
//
// A private endpoint adds a /32 system route (next hop type
// InterfaceEndpoint, listed by EffectiveRoutes and NextHop) to its VNet
// and to every VNet Connected to it by peering. A /32 user route beats it
// (equal length); when the endpoint's subnet enables route table
// policies (privateEndpointNetworkPolicies Enabled or RouteTableEnabled) a
// user route whose prefix covers the endpoint's VNet address space (not
// 0.0.0.0/0) invalidates it, and the flow follows the remaining routes.
// Crossing a peering to the endpoint applies the peering checks as usual.
//
// At the endpoint (hop PrivateEndpoint: the endpoint's NIC and address)
// the subnet's NSGs apply inbound only when privateEndpointNetworkPolicies
// is Enabled or NetworkSecurityGroupEnabled. Then its connection: only
// Approved carries traffic. Pending, Rejected and Disconnected (the
// consumer side's state, or the provider side's when it disagrees with an
// Approved one) block with Kind PrivateEndpointConnection and Outcome
// HostUnreachable: the endpoint's route exists but the platform drops the
// packets, so a client sees its connection time out, as in Azure.
// Visibility and auto-approval matter only when the connection is
// requested, not here. Evaluation goes on past a non-Approved connection
// to list the service's own blocks too.
//
// Then the private link service (hop PrivateLinkService: the service's
// ID and first NAT IP): the verdict carries Endpoint, Service, LinkID,
// NATIPs (primary first), ProxyProtocol and ConsumerAddr (the consumer's
// source address), and TranslatedSource becomes the first NAT IP. The
// flow continues to the service's (first) load balancer frontend as
// above, with the NAT IP as the source; the backend is looked up in the
// provider's VNet, so consumer and provider address spaces may overlap. A
// service without NAT IP or frontend blocks (Kind PrivateLinkService).
//
// Private Link is one-way: a connection to a service's NAT IP is
// NetworkUnreachable (Kind PrivateLinkOneWay); nothing on the provider
// side can open a connection to the consumer.
//
// # Verdicts
//
// Hops are Source (the source IP configuration, or the internet vantage's
// address), a VirtualNetwork hop per VNet entered (resource ID of the
// VNet), VirtualAppliance, Internet, PublicIP, PrivateEndpoint,
// PrivateLinkService, LoadBalancer, and Destination (the
// destination IP configuration and private address). Each Block is also
// listed in the Issues of the hop where it happens. Evaluation goes on
// after a block whenever the path is still defined (peering flags, NSG
// denies, a stopped appliance or one without IP forwarding, a closed
// Standard public IP) and stops when it is not (no route, None, a private
// address routed to the Internet, a missing next hop or owner).
//
// The Outcome is the worst block's, in this precedence: SourceDown >
// NetworkUnreachable (Route, Peering, OutboundAccess, PrivateLinkOneWay) >
// HostUnreachable (NoHost, HostStopped, VirtualAppliance,
// VirtualNetworkGateway, NoLoadBalancingRule, EmptyBackendPool,
// UnhealthyBackends, PrivateEndpointConnection, PrivateLinkService) >
// DeniedByNSG (NetworkSecurityRule, PublicIPInbound) > Refused
// (NoListener) > Delivered. A running destination host delivers to its
// declared listener Ports["<proto>/<port>"], or to the SSH banner on TCP 22
// of a VM; the host's own private addresses are delivered to it without
// crossing the network. A listener on one address (fabric.ListenerKey)
// answers only on that address when it is one of the host's own, and is
// host-local otherwise: a connection the host itself opens to it is
// delivered at once (hop HostLocal), as a node's kube-proxy rules take
// connections to a ClusterIP before they reach the network; other hosts
// never see such an address.
package path
