// Package loadbalancer is the Microsoft.Network/loadBalancers provider:
// Basic and Standard (Regional) load balancers with their frontend IP
// configurations, backend address pools, load-balancing rules, probes,
// inbound NAT rules and outbound rules, in Azure's ARM shapes.
//
// # Storage
//
// A load balancer is one record. Its sub-resources are stored inline in
// properties, exactly as GET returns them (names, IDs, types, allocated
// private IPs, the read-only loadBalancingRules/inboundNatRules/outboundRules
// back-references between sub-resources), so other packages decode them with
// Azure's field names (DecodeLoadBalancer). Only what depends on the load
// balancer's current state is added when serving: every sub-resource's etag
// and provisioningState, and each backend pool's backendIPConfigurations,
// rendered from the network interfaces that joined it.
//
// Sub-resources are also served on their own (GET and list of
// frontendIPConfigurations, backendAddressPools, loadBalancingRules, probes,
// inboundNatRules, outboundRules), and backend address pools accept PUT and
// DELETE (LoadBalancerBackendAddressPools), which rewrite the load balancer
// record through the same validation as a load balancer PUT.
//
// # References
//
//   - an internal frontend holds a blocking "ipConfiguration" ref on its
//     subnet (listed in subnet.ipConfigurations; the subnet cannot be deleted)
//     and reserves its private IP with network.AllocateIPVersion, owner = the
//     frontend ID; the address is released when the frontend goes or moves;
//   - a public frontend holds a blocking "publicIPAddress" ref on its public IP
//     (rendered there as ipConfiguration {id: frontend id}; the public IP
//     cannot be deleted nor attached elsewhere);
//   - a network interface IP configuration listing pools in
//     loadBalancerBackendAddressPools holds a blocking ref of kind
//     KindBackendAddressPool on the load balancer (source: the IP
//     configuration ID). The network interface PUT hook is wrapped at
//     registration (Provider.Register must run after the network provider's)
//     to check the pools exist and record the ref.
//
// # Azure behaviour and sources
//
// Confirmed from public error reports: PublicIPAndLBSkuDoNotMatch ("Standard
// sku load balancer X cannot reference Basic sku publicIP Y."),
// FrontendIPConfigHasBothSubnetAndPublicIP, FrontendIPConfigHasNoSubnetOrPublicIP,
// RulesUseSameBackendPortProtocolAndPool, PublicIPAddressInUse,
// InvalidResourceReference, PrivateIPAddressIsAllocated /
// PrivateIPAddressNotInSubnet (network's IPAM),
// CannotMixIPBasedAddressesAndIPConfigurationsOnLoadBalancerBackendAddressPool,
// DuplicateResourceName. Limits from Azure's documentation: idle timeout
// 4-30 minutes (default 4), probe interval at least 5 s (default 15), 2
// probes by default, HA-ports rules (protocol All, ports 0) on internal
// Standard load balancers only, IP-based backend pools on Standard only.
//
// Unconfirmed codes (chosen by analogy, wording reconstructed):
// LoadBalancerCannotMixPublicAndPrivateFrontendIPConfigurations,
// RulesUseSameFrontendIPConfigurationProtocolAndPort,
// LoadBalancingRuleMustReferenceFrontendIPConfiguration,
// InvalidLoadBalancingRuleProtocol (missing protocol),
// LoadBalancingRuleFrontendPortOutOfRange, LoadBalancingRuleBackendPortOutOfRange,
// HaPortsRuleNotSupportedOnPublicOrBasicLoadBalancer, ProtocolAllRequiresHaPorts,
// LoadBalancingRuleIdleTimeoutOutOfRange, ProbeRequestPathRequired,
// ProbeRequestPathNotAllowedForTcpProbe, ProbeIntervalTooSmall,
// ProbeNumberOfProbesInvalid, ProbePortOutOfRange,
// BasicSkuLoadBalancerCannotHaveIPBasedBackendAddressPool,
// InvalidLoadBalancerBackendAddress, InUseLoadBalancerCannotBeDeleted and
// InUseBackendAddressPoolCannotBeDeleted (a load balancer, or a pool, that
// network interfaces still reference is refused rather than detached).
package loadbalancer
