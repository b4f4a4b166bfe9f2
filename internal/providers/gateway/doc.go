// Package gateway is the Microsoft.Network provider for hybrid
// connectivity: virtual network gateways (virtualNetworkGateways, Vpn and
// ExpressRoute), local network gateways (localNetworkGateways),
// virtual network gateway connections (connections: IPsec, Vnet2Vnet,
// ExpressRoute, with the connections/{name}/sharedkey child and its reset
// action) and ExpressRoute circuits (expressRouteCircuits, with their
// peerings and authorizations). Every api-version of network.APIVersions
// is accepted; PUT and DELETE are long-running operations that privlink
// completes at once (Azure takes up to 45 minutes for a gateway).
//
// # Storage
//
// Records are stored in Azure's REST shape as GET returns them, so the
// data plane can read them; use the Decode* functions (decode.go) rather
// than parsing the JSON. IDs in the decoded structs are as stored (the
// user's casing): compare with arm.SameID or lower-case them.
//
//   - A gateway's ipConfigurations carry privateIPAddress: the address the
//     instance holds in GatewaySubnet, reserved in the network provider's
//     IPAM (network.AllocateIP, owner = the ip configuration ID; released
//     when the gateway goes). An active-standby VPN gateway takes the
//     subnet's last usable address (10.1.255.30 in 10.1.255.0/27, where
//     Azure's VPN gateways answer BGP); active-active and ExpressRoute
//     gateways take the lowest free addresses; a bgpSettings.bgpPeeringAddress
//     inside GatewaySubnet is honoured for the first instance (addresses in
//     169.254.21.0-169.254.22.255 become customBgpIpAddresses).
//     bgpSettings is always served: asn (65515 unless a VPN gateway sets
//     another), bgpPeeringAddress (the instances' addresses, comma
//     separated), peerWeight, and bgpPeeringAddresses per instance with the
//     public IP as tunnelIpAddresses.
//   - Properties privlink does not model (natRules, customRoutes,
//     vpnClientConfiguration, ipsecPolicies, tunnelProperties...) are kept
//     as sent and served back; write-only secrets (a connection's sharedKey,
//     RADIUS secrets) are never served.
//
// # Internal state other parts set
//
// Record.Internal (JSON, never served) holds what is not the user's to
// write:
//
//   - connections: ConnectionInternal {"connectionStatus": "Unknown" |
//     "Connecting" | "Connected" | "NotConnected", "ingressBytesTransferred",
//     "egressBytesTransferred", "sharedKey", "authorizationKey",
//     "authorization"}. GET renders connectionStatus (Unknown right after
//     creation) and the byte counters from it. The data plane's connection
//     controller sets them with SetConnectionStatus / StageConnectionStatus
//     and SetConnectionTraffic, which keep the other fields and do not
//     change the record's generation or etag (an operation in progress is
//     not disturbed); they wrap ErrNotFound when the connection is gone.
//   - expressRouteCircuits: CircuitInternal {"serviceProviderProvisioningState":
//     "NotProvisioned" | "Provisioning" | "Provisioned" | "Deprovisioning"},
//     NotProvisioned at creation, set by the connectivity provider's side
//     (privlink's on-premises emulation) with SetServiceProviderState /
//     StageServiceProviderState; GET renders it.
//
// # References
//
// A gateway ip configuration holds blocking refs of kind "ipConfiguration"
// on GatewaySubnet (listed in the subnet's ipConfigurations; the subnet
// cannot be deleted) and "publicIPAddress" on its public IP (served there as
// ipConfiguration). A connection holds blocking "connection" refs on its
// gateways, local gateway, circuit and the circuit's AzurePrivatePeering,
// so those cannot be deleted while it exists.
//
// # Azure's rules and errors
//
// Confirmed from public reports: the subnet must be named GatewaySubnet;
// a GatewaySubnet may be as small as /29 for VPN gateways, ExpressRoute
// gateways do not support /28 or smaller; VirtualNetworkGatewayCannotBeDeleted
// while connections exist; PublicIPAddressInUse; a circuit cannot be
// deleted while its serviceProviderProvisioningState is Provisioning or
// Provisioned; peerings need the circuit Provisioned by the provider;
// private peering subnets are /30 and Azure's ASN is 12076; Azure's
// reserved ASNs (8074, 8075, 12076, 23456, 65515, 65517-65520).
//
// Reconstructed (codes chosen by analogy, wording privlink's, where the
// exact Azure text could not be found): InvalidGatewaySubnet,
// GatewaySubnetIsTooSmall, VirtualNetworkAlreadyHasGatewayOfSameType,
// VirtualNetworkGatewayCannotBeCreatedWithUseRemoteGateways,
// VirtualNetworkGatewayRequiresStandardSkuPublicIp,
// PublicIpAddressRequiredForVpnGateway, InvalidGatewaySkuForGatewayType,
// PolicyBasedVpnGatewayRequiresBasicSku, ActiveActiveNotSupportedForBasicSku,
// BgpNotSupportedForBasicSku, InvalidNumberOfIpConfigurations,
// VirtualNetworkGatewayTypeCannotBeChanged, InvalidAsn, InvalidBgpPeeringAddress,
// LocalNetworkGatewayMustHaveIpAddressOrFqdn, LocalNetworkGatewayCannotBeDeleted,
// LocalNetworkGatewayAddressSpaceOverlapsWithVirtualNetwork,
// VirtualNetworkAddressSpacesOverlap, InvalidGatewayTypeForConnection,
// BgpNotEnabledOnVirtualNetworkGateway, ConnectionPropertyCannotBeChanged,
// ExpressRouteCircuitNotProvisioned, ExpressRouteCircuitPrivatePeeringNotConfigured,
// AuthorizationKeyRequired (403), InvalidAuthorizationKey, AuthorizationKeyInUse,
// ExpressRouteCircuitCannotBeDeleted, CannotDeleteProvisionedExpressRouteCircuit,
// ExpressRouteCircuitPeeringCannotBeDeleted, InvalidExpressRouteCircuitBandwidth,
// InvalidExpressRouteCircuitSku, InvalidPeerAddressPrefixLength, VlanIdInUse,
// SharedKeyNotSupportedForExpressRouteConnection.
//
// Choices where Azure is silent: gatewayType defaults to Vpn and vpnType to
// RouteBased; sku capacity is 2; an IPsec or Vnet2Vnet connection created
// without sharedKey gets a random 32-character key (readable through
// sharedkey); any service provider name and peering location are accepted
// (bandwidth must be one of 50, 100, 200, 500, 1000, 2000, 5000, 10000
// Mbps); ExpressRoute Direct (expressRoutePort) is refused; a Basic public
// IP with Dynamic allocation on a Basic VPN gateway gets no address (the
// network provider assigns Dynamic addresses only to NIC ip configurations).
package gateway
