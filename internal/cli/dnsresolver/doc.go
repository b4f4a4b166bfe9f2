// Package dnsresolver is `az dns-resolver` (the dns-resolver extension's
// aaz commands, api-version 2022-07-01): DNS private resolvers, their
// inbound and outbound endpoints, DNS forwarding rulesets, their
// forwarding rules and virtual network links.
//
// Outputs are the aaz shape: the resource's "properties" flattened to the
// top level. Compound arguments (--ip-configurations, --target-dns-servers,
// --outbound-endpoints, --metadata) take az's shorthand syntax or JSON
// (shorthand.go), e.g.
//
//	--ip-configurations '[{private-ip-address:"",private-ip-allocation-method:Dynamic,id:<subnet id>}]'
//	--target-dns-servers '[{ip-address:10.0.0.1,port:53}]'
//
// --location defaults to the resource group's location, as aaz does.
// `dns-resolver create` takes the virtual network as --id (az's name) or
// --virtual-network; `outbound-endpoint create` and `vnet-link create`
// take the subnet / virtual network ID as --id.
//
// Not implemented: the wait commands, --top of list, and dns-resolver /
// endpoint / ruleset / vnet-link update.
package dnsresolver
