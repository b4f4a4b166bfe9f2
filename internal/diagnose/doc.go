// Package diagnose is Azure Network Watcher for privlink: the
// Microsoft.Network/networkWatchers resource type, its diagnostic actions
// (connectivityCheck, nextHop, ipFlowVerify) and the network interface
// actions effectiveRouteTable and effectiveNetworkSecurityGroups.
//
// Every answer comes from the data plane's own code (package
// internal/fabric/path) evaluated on the current fabric snapshot, so what
// Network Watcher says and what the proxy carries cannot disagree.
//
// # Resource
//
// networkWatchers are tracked resources (location required) with an empty
// property bag; PUT is synchronous, DELETE a long-running operation. Only
// one watcher may exist per region and subscription; a second one gets
// 400 NetworkWatcherCountLimitReached "Cannot create more than 1 network
// watchers for this subscription in this region." (Azure's code and
// text). EnsureWatcher creates NetworkWatcherRG/NetworkWatcher_<region> as
// Azure does when a virtual network is created in a region without one.
//
// # Actions
//
// Actions answer 202 Accepted with a Location header (Retry-After 1,
// Retry-After-Ms 100); a GET on Location answers 200 with the result, as
// Azure's final-state-via-location operations do. The operation ID is a
// stateless token carrying the request, so polling survives a daemon
// restart; the analysis runs when Location is read, on the snapshot of
// that moment. Input errors are answered synchronously by the POST (and
// again by the Location GET if the network changed in between).
//
// The Location path is
// /subscriptions/{s}/providers/Microsoft.Network/locations/{region}/networkWatcherOperationResults/{token}
// rather than Azure's .../operationResults/{id}: that path belongs to the
// ARM engine's resource operations. Clients follow the header, so none
// depends on the spelling.
//
// # connectivityCheck
//
// Request: {source: {resourceId (VM), port?}, destination: {resourceId (VM)
// | address (IP or FQDN), port}, protocol: Tcp|Http|Https|Icmp (default
// Tcp; Http and Https default the port to 80/443)}. An FQDN is resolved in
// the source VM's DNS view (Provider.Resolve); when resolution fails the
// answer is Unreachable with one Source hop carrying an issue of type
// DnsResolution whose reason is the resolver's summary (the response code
// and what blocked, e.g. a private zone not linked to the VNet).
//
// Beyond Azure, whose source must be a VM, the source may also be an
// on-premises site host (Privlink.OnPrem/sites/hosts, a vantage like a
// VM): the path starts at its address in its site and names resolve
// through its site's DNS server. A stopped host is 400 HostNotRunning
// "On-premises host '<id>' is not running (power state <state>)."
// (privlink's wording, after VmNotRunning). Destinations stay VMs or
// addresses.
//
// Answer: Azure's shape (hops with guid ids, nextHopIds and issues;
// connectionStatus Reachable|Unreachable|Degraded; latencies; probesSent;
// probesFailed). Hop resource IDs are written without the leading "/", as
// in Azure's answers. Issues map the fabric's blocks: NetworkSecurityRule
// -> NetworkSecurityRule, Route -> UserDefinedRoute, DNS -> DnsResolution,
// NoListener -> Unknown, anything else (peering flags, stopped or missing
// hosts, public IP rules) -> Platform; severity is Error; origin is
// Outbound on the source hop, Inbound on the last hop, Local elsewhere and
// for DNS; context is [{"reason": sentence}, {"resourceId": setting}].
//
// Beyond Azure, two extra properties:
//
//   - privlinkProbe {connected, latencyInMs, error?}: when the analysis says
//     the flow is delivered (Tcp, Http, Https), privlink makes one real TCP
//     connection from the source VM through the fabric proxy
//     (Provider.Probe). probesSent is then 1, probesFailed 0 or 1, and the
//     latencies are the probe's, rounded up to whole milliseconds. A failed
//     probe after a Reachable analysis makes connectionStatus Degraded.
//     Without a probe (analysis not Reachable, or Icmp) probesSent is 0 and
//     the latencies 0; privlinkProbe is absent.
//   - privlinkExplanation [strings]: the DNS resolution steps (for an FQDN),
//     then every setting that blocks the flow (each fabric Block's reason,
//     not only the first), then the probe's error if it failed. Empty when
//     nothing blocks.
//
// # nextHop, ipFlowVerify
//
// nextHop {targetResourceId (VM), sourceIPAddress, destinationIPAddress,
// targetNicResourceId?} -> {nextHopType, nextHopIpAddress, routeTableId}.
// ipFlowVerify {targetResourceId, direction Inbound|Outbound, protocol
// TCP|UDP, localIPAddress, localPort, remoteIPAddress, remotePort,
// targetNicResourceId?} -> {access, ruleName}; the source side's port may
// be "*" (remotePort when Inbound, localPort when Outbound).
// The source / local address must belong to the VM (to the given NIC when
// targetNicResourceId is set).
//
// # Errors (chosen where Azure's exact answer could not be confirmed)
//
//   - missing required property: 400 InvalidRequestFormat "Cannot parse the
//     request." with a MissingJsonProperty detail naming it;
//   - malformed values (addresses, ports, protocol, direction, a NIC not on
//     the VM, an address not on the VM): 400 InvalidParameter;
//   - a target or source VM that does not exist: 404 ResourceNotFound (ARM's
//     message for the VM's ID);
//   - a VM that is not running: 400 VmNotRunning "Virtual machine '<id>' is
//     not running (power state <state>).";
//   - NIC actions on an interface not attached to a running VM: 400
//     NetworkInterfaceNotAttachedToRunningVm "The network interface <id> is
//     not attached to a running virtual machine.".
package diagnose
