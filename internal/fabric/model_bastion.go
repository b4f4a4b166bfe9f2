package fabric

// Azure Bastion (Microsoft.Network/bastionHosts).

// Bastion is a bastion host in a VNet's AzureBastionSubnet.
type Bastion struct {
	ID, Name string
	VNet     *VNet
}
