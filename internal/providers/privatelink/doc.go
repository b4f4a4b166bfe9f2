// Package privatelink is the Microsoft.Network provider for Azure Private
// Link: private link services (privateLinkServices, with their owner-side
// privateEndpointConnections), private endpoints (privateEndpoints, with
// their privateDnsZoneGroups), and the subscription-level
// checkPrivateLinkServiceVisibility and autoApprovedPrivateLinkServices
// calls.
//
// Stored records are in Azure's REST shape exactly as GET returns them,
// read-only parts included, because the data plane (internal/fabric) reads
// them from the store:
//
//   - a private link service keeps its alias (fixed at creation), its NAT
//     ipConfigurations with the allocated privateIPAddress, and
//     networkInterfaces[] naming a read-only network interface
//     "<pls>.nic.<guid>" that holds the NAT addresses in the NAT subnet;
//   - a private endpoint keeps its connection (privateLinkServiceConnections
//     or manualPrivateLinkServiceConnections) with the current
//     privateLinkServiceConnectionState, networkInterfaces[] naming its
//     read-only network interface, customDnsConfigs with the interface's
//     address, and (in the record's internal state, see EndpointInternal)
//     the connection's link identifier;
//   - the owner-side connection privateLinkServices/{pls}/
//     privateEndpointConnections/{pe name}.{guid} carries privateEndpoint.id,
//     the same state, linkIdentifier (the decimal uint32 the PROXY protocol
//     v2 TLV 0xEE carries) and privateEndpointLocation.
//
// The read-only network interfaces are real Microsoft.Network/
// networkInterfaces records (they show in the resource group and in the
// subnet's ipConfigurations). Register wraps the networkInterfaces type so
// that users cannot PUT or DELETE them (PATCH of tags stays allowed, as in
// Azure); the owning resource creates and deletes them.
//
// Private DNS zone groups write plain A record sets in the zones, marked
// with metadata {"creator": "created by private endpoint <name> with
// resource guid <guid>"}, and withdraw the endpoint's address (deleting
// the set when it is empty) when the group or the endpoint goes.
//
// See README.md for the behaviour chosen where Azure's is unconfirmed.
package privatelink
