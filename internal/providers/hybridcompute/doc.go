// Package hybridcompute is the Microsoft.HybridCompute provider for Azure
// Arc private link scopes (docs/arc.md): privateLinkScopes with
// publicNetworkAccess (Enabled|Disabled, Disabled when omitted as in the
// REST specification) and a read-only privateLinkScopeId, their owner-side
// privateEndpointConnections (GET, PUT to approve or reject, DELETE to
// remove: the endpoint's side becomes Disconnected), and the
// privateLinkResources list (group "hybridcompute").
//
// A scope is a private endpoint target (privatelink.RegisterTarget): an
// endpoint whose connection names the scope with groupIds
// ["hybridcompute"] reaches Arc's regional service through a hidden
// private link service in Microsoft's infrastructure subscription
// (ServicePLS), with one address per Arc name (Endpoints) in its
// customDnsConfigs, so a zone group writes gbl, <code>, agentserviceapi,
// <region>-gas, dp and <region> in the three privatelink zones.
//
// Choices where Azure is silent or could not be confirmed:
//
//   - PUT of a scope is a long-running operation when the daemon prepares
//     the regional service (EnsureService; Azure answers 200/201
//     Succeeded at once). The first scope of a region takes a moment.
//   - requiredZoneNames are the three zones of Azure's private endpoint
//     DNS table (privatelink.his.arc.azure.com,
//     privatelink.guestconfiguration.azure.com,
//     privatelink.dp.kubernetesconfiguration.azure.com); the 2024-07-10
//     REST example shows privatelink.kubernetesconfiguration.azure.com.
//   - Endpoint memberNames are the requiredMembers serving each name
//     (his: HybridCompute.ServerDP, guest configuration:
//     HybridCompute.GuestConfigDP, Kubernetes configuration:
//     HybridCompute.K8sConfigurationDP); regional HIS codes come from a
//     table of common regions (eastus: eus), other regions use their name.
//   - "One Arc private link scope per VNet" is enforced when an endpoint
//     is created, over the endpoints of the creating subscription;
//     deleting a scope that connected clusters use is refused
//     (PrivateLinkScopeInUse).
package hybridcompute
