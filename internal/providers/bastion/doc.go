// Package bastion is the Microsoft.Network provider for Azure Bastion:
// bastionHosts (every Microsoft.Network api-version of
// network.APIVersions), and the rules Azure applies to the
// AzureBastionSubnet of any virtual network.
//
// A bastion host is stored in Azure's REST shape (REST example
// BastionHostPut.json, testdata/): sku {name} (Basic, Standard, Developer,
// Premium; Standard when absent), ipConfigurations [{name, id, etag,
// type, properties: {subnet, publicIPAddress, privateIPAllocationMethod
// Dynamic, provisioningState}}], the read-only dnsName
// "bst-<guid>.bastion.azure.com" (fixed at creation), scaleUnits,
// disableCopyPaste, enableFileCopy, enableIpConnect, enableShareableLink,
// enableTunneling, enableKerberos, enableSessionRecording,
// enablePrivateOnlyBastion. PUT and DELETE are long-running operations.
// The record's internal state (Internal) keeps the subnet, the network,
// the public IP and its address, and the private addresses the instances
// hold in AzureBastionSubnet: one per scale unit, reserved through the
// network provider's IPAM (owners "<ip configuration id>/instances/<n>"),
// released on scale-in and deletion. The data plane (internal/fabric,
// build_bastion.go) reads it.
//
// References: the IP configuration is an "ipConfiguration" of the subnet
// (listed in the subnet's ipConfigurations; deleting the subnet answers
// InUseSubnetCannotBeDeleted) and holds the public IP (its
// ipConfiguration; deleting it answers PublicIPAddressCannotBeDeleted);
// the bastion host refers to its virtual network (kind "bastionHost", not
// blocking) for the one-per-network rule.
//
// Validation, in Azure's words where they are public:
//
//   - SubnetNameMustBeAzureBastionSubnet "Subnet name <id> is invalid for
//     Azure Bastion. Azure Bastion can only be created in subnet with name
//     'AzureBastionSubnet'." (the name is compared case-insensitively, as
//     Azure accepts "azurebastionsubnet");
//   - BastionHostMustHaveMaximumOneHostIpConfiguration "BastionHost <id>
//     must contain 1 IP Configuration. It currently contains <n>.";
//   - NetworkSecurityGroupNotCompliantForAzureBastionSubnet "Network
//     security group <nsg> does not have necessary rules for Azure Bastion
//     Subnet AzureBastionSubnet.";
//   - RouteTableCannotBeAttachedForAzureBastionSubnet "Route Table <rt>
//     cannot be attached to Azure Bastion Subnet AzureBastionSubnet.";
//   - "Bastion scalable host is available on Standard SKU" (scale units on
//     Basic or Developer; code BastionHostScaleUnitsNotSupportedForSku
//     chosen);
//   - InvalidResourceReference for a missing subnet or public IP (az
//     network bastion create names <vnet>/subnets/AzureBastionSubnet);
//     PublicIPAddressInUse as for network interfaces.
//
// Chosen where Azure's code or wording is not public (see
// docs/bastion.md): AzureBastionSubnetPrefixTooSmall (a prefix longer than
// /26; the text quotes the portal's "The prefix must be smaller than or
// equal to 26"), BastionHostPublicIpMustBeStandardSkuAndStatic,
// OnlyOneBastionHostPerVirtualNetwork, AzureBastionSubnetInUseByOtherResources
// (an address or a network interface / private endpoint of anything else
// in the subnet), BastionHostFeatureNotSupportedForSku (tunneling, IP
// connect, shareable link, file copy and disable copy/paste need Standard
// or Premium; session recording and private-only need Premium),
// InvalidBastionHostScaleUnits (2-50), BastionHostSkuDowngradeNotSupported,
// BastionHostSubnetCannotBeChanged, BastionHostIpConfigurationCannotBeChanged,
// BastionHostIpConfigurationMustHaveSubnet / ...MustHavePublicIpAddress,
// and for the Developer SKU (no IP configuration; properties.virtualNetwork
// instead) BastionHostDeveloperSkuCannotHaveIpConfigurations,
// BastionHostDeveloperSkuMustHaveVirtualNetwork,
// BastionHostVirtualNetworkOnlyForDeveloperSku.
//
// AzureBastionSubnet rules: Register wraps the subnet type's PUT (also
// used for subnets written inline in their virtual network): a subnet
// named AzureBastionSubnet refuses a route table, and an NSG whose rules
// do not allow Bastion's flows (MissingFlows: inbound TCP 443 from
// Internet, GatewayManager and AzureLoadBalancer, 8080/5701 between
// VirtualNetwork addresses; outbound 22/3389 and 8080/5701 to
// VirtualNetwork, 443 to AzureCloud, 80 to Internet), decided like Azure
// evaluates an NSG (first matching rule by priority, the default rules
// last) with service tags matched by name ("*" matches all; Internet also
// covers the public tags GatewayManager and AzureCloud; CIDR rules match
// no tag). The same check runs when a bastion host is created in the
// subnet. Not enforced: changes to the rules of an NSG already attached to
// AzureBastionSubnet, and network interfaces or private endpoints created
// in AzureBastionSubnet after the bastion (Azure's behaviour for both is
// not documented).
package bastion
