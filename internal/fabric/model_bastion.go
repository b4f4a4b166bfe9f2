package fabric

import "net/netip"

// Azure Bastion (Microsoft.Network/bastionHosts).

// Bastion is a bastion host in a VNet's AzureBastionSubnet.
type Bastion struct {
	ID, Name string
	VNet     *VNet
	// SKU is Basic, Standard, Developer or Premium.
	SKU string
	// Subnet is the AzureBastionSubnet (nil for the Developer SKU, which
	// runs on shared infrastructure, or when the subnet is gone).
	Subnet *Subnet
	// Addresses are the instances' private addresses in the subnet, one
	// per scale unit; the first is the source of the bastion's sessions.
	Addresses []netip.Addr
	// PublicIP is the bastion's public IP (nil if none or missing).
	PublicIP *PublicIP
	// DNSName is bst-<guid>.bastion.azure.com.
	DNSName string
	// Tunneling: native client support (enableTunneling).
	Tunneling bool
	// Host is the bastion's host in Snapshot.Hosts (nil for the Developer
	// SKU or without a subnet): the vantage of its sessions.
	Host *Host
}

// Reaches reports whether the bastion can open sessions to hosts in v:
// its own VNet, or a VNet directly peered with it (peerings Connected in
// both directions). Azure Bastion does not reach VNets through peerings
// of peerings, nor through gateways.
func (b *Bastion) Reaches(v *VNet) bool {
	if b == nil || b.VNet == nil || v == nil {
		return false
	}
	if b.VNet == v {
		return true
	}
	return connectedPeering(b.VNet, v) && connectedPeering(v, b.VNet)
}

func connectedPeering(from, to *VNet) bool {
	for _, p := range from.Peerings {
		if p.Remote == to && p.State == "Connected" {
			return true
		}
	}
	return false
}
