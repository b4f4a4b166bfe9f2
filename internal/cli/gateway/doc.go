// Package gateway is az's hybrid connectivity commands (az 2.45): `az
// network vnet-gateway`, `network local-gateway`, `network vpn-connection`
// (with `vpn-connection shared-key`) and `network express-route` (with
// `express-route peering` and `express-route auth`).
//
// Requests use api-version 2022-01-01 (az 2.45's network profile). Outputs
// are the resources with "properties" flattened (recursively for a
// gateway's ipConfigurations and a circuit's peerings and authorizations),
// as az's aaz commands print them.
//
// Create commands follow az: `vnet-gateway create` builds ip
// configurations vnetGatewayConfig0 (and vnetGatewayConfig1 when two
// public IPs make the gateway active-active; vnetGatewayConfig without a
// public IP) in the VNet's GatewaySubnet, with sku tier = sku name,
// turns BGP on when --asn, --bgp-peering-address or --peer-weight is given,
// and prints {"vnetGateway": <gateway>}; `vpn-connection create` (a
// template deployment in az) is done as one PUT with the connection type
// implied by --local-gateway2 (IPsec), --vnet-gateway2 (Vnet2Vnet) or
// --express-route-circuit2 (ExpressRoute), routing weight 10 by default,
// and prints {"resource": <the connection's properties>} as the
// template's output; `express-route create` sends sku name
// <tier>_<family> and accepts --bandwidth as "50", "50 Mbps" or "1 Gbps".
//
// Differences from az 2.45 (documented choices): az 2.45 renders some of
// these commands' output through the Python SDK models (every attribute,
// null when absent, camelCase of the Python names such as
// privateIpAllocationMethod); privlink prints the flattened wire shape for
// all of them, as newer (aaz-based) az versions do.
package gateway
