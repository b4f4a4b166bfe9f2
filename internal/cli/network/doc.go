// Package network holds az's "network" command groups that privlink
// emulates: vnet, vnet subnet, vnet peering, public-ip, nic and nic
// ip-config, as Azure CLI 2.45 has them.
//
// In az 2.45 the vnet, subnet, peering and public-ip commands are aaz
// (generated) commands and nic is an SDK command; the two print resources
// differently (see shape.go). api-versions: 2022-01-01, except public-ip
// (2022-05-01). Outputs: vnet create prints {"newVNet": ...}, public-ip
// create {"publicIp": ...}, nic create {"NewNIC": ...}; subnet and peering
// create print the resource itself.
//
// Not implemented: vnet check-ip-address, list-available-ips,
// list-endpoint-services, subnet list-available-ips and
// list-available-delegations, peering sync, nic ip-config create, update
// and delete, and vnet create's --subnets shorthand.
package network
