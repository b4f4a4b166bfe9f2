// Package dnsresolver is the Microsoft.Network provider for Azure DNS
// Private Resolver: dnsResolvers with their inboundEndpoints and
// outboundEndpoints, and dnsForwardingRulesets with their forwardingRules
// and virtualNetworkLinks (api-versions 2022-07-01 and 2025-05-01).
//
// Stored records are in Azure's REST shape, because the data plane
// (internal/fabric, build_resolver.go) reads them from the store:
//
//   - a resolver keeps virtualNetwork.id, dnsResolverState "Connected" and
//     its resourceGuid; it holds a blocking reference on its virtual
//     network (one resolver per network, in the network's region);
//   - an inbound endpoint's ipConfigurations carry the privateIpAddress
//     reserved in the subnet through the network provider's IP address
//     management (internal/providers/network/ipam.go), Dynamic (the first
//     free address) or Static; the address shows as used in the subnet
//     and never collides with NICs or load balancer frontends;
//   - an outbound endpoint reserves one address of its subnet too (the
//     source of forwarded queries in the fabric), kept in the record's
//     internal state (fabric.OutboundEndpointInternal) since Azure does
//     not show it;
//   - endpoints hold a blocking reference on their subnet (the subnet
//     cannot be deleted while used); a ruleset on its outbound endpoints.
//
// Validation follows Azure's documented rules, with Azure's error texts
// where they are public: endpoint subnets delegated to
// Microsoft.Network/dnsResolvers (SubnetMissingRequiredDelegation), /28 to
// /24, in the resolver's VNet, one endpoint per subnet (inbound and
// outbound endpoints cannot share one); a ruleset's outbound endpoints (1
// or 2, of one resolver) in its region; domain names fully qualified with
// the trailing dot; at most 1,000 rules per ruleset and 6 targets per rule;
// links only to virtual networks of the ruleset's region; a resolver with
// endpoints cannot be deleted. See README.md for what is confirmed and
// what was chosen.
package dnsresolver
