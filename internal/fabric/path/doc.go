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
//   - user routes of the subnet's route table.
//
// The longest prefix wins; on a tie a user route beats a system route
// (there are no gateway/BGP routes yet), and among system routes VnetLocal
// beats VNetPeering beats the defaults. Routes naming a service tag match
// only public destinations, through ServiceTagPrefixes (nil: they match
// nothing). A peering's remote space is its recorded remoteAddressSpace,
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
// times ("routing loop"); None drops; VirtualNetworkGateway has no
// gateway to reach yet.
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
//     widens the tag to everything), and 168.63.129.16.
//   - AzureLoadBalancer: 168.63.129.16.
//   - Internet: addresses outside 10/8, 172.16/12, 192.168/16, 100.64/10,
//     127/8, 169.254/16, 168.63.129.16 (and IPv6 loopback, ULA, link-local)
//     and outside the NIC's VirtualNetwork tag.
//   - Other service tags: the prefixes ServiceTagPrefixes returns (none
//     while it is nil).
//   - Application security groups never match: the snapshot has no ASG
//     membership yet.
//
// A flow reaching a NIC through a Standard SKU public IP when neither the
// NIC nor its subnet has an NSG is denied (Kind PublicIPInbound); Basic
// SKU public IPs (and an empty SKU) are open. Traffic to 168.63.129.16 is
// subject to neither NSGs nor routes: TCP/UDP 53 is Delivered to
// TargetAzureDNS (the DNS package answers it), anything else is Refused.
//
// # Verdicts
//
// Hops are Source (the source IP configuration, or the internet vantage's
// address), a VirtualNetwork hop per VNet entered (resource ID of the
// VNet), VirtualAppliance, Internet, PublicIP, and Destination (the
// destination IP configuration and private address). Each Block is also
// listed in the Issues of the hop where it happens. Evaluation goes on
// after a block whenever the path is still defined (peering flags, NSG
// denies, a stopped appliance or one without IP forwarding, a closed
// Standard public IP) and stops when it is not (no route, None, a private
// address routed to the Internet, a missing next hop or owner).
//
// The Outcome is the worst block's, in this precedence: SourceDown >
// NetworkUnreachable (Route, Peering, OutboundAccess) > HostUnreachable
// (NoHost, HostStopped, VirtualAppliance, VirtualNetworkGateway) >
// DeniedByNSG (NetworkSecurityRule, PublicIPInbound) > Refused
// (NoListener) > Delivered. A running destination host delivers to its
// declared listener Ports["<proto>/<port>"], or to the SSH banner on TCP 22
// of a VM; the host's own private addresses are delivered to it without
// crossing the network.
package path
