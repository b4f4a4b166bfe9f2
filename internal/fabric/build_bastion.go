package fabric

import (
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/bastion"
)

// Azure Bastion in the snapshot.
//
// Every bastion host (Microsoft.Network/bastionHosts, decoded with
// bastion.Decode) becomes a Bastion in Snapshot.Bastions. A bastion with
// an IP configuration (Basic, Standard, Premium) is also a Host of Kind
// KindBastion whose ID is the bastion's lower-case resource ID, with one
// synthetic NIC ("<bastion id>/nic", not an ARM resource) whose IP
// configuration (the bastion's bastionHostIpConfigurations ID) holds the
// first instance address in AzureBastionSubnet and the bastion's public
// IP. Its sessions to VMs are therefore ordinary flows from that address:
// routes of the bastion subnet (same VNet, and peered VNets only, since
// peering is not transitive), the bastion subnet's NSG outbound and the
// target's NSGs inbound from the bastion subnet's address. The other
// instance addresses (one per scale unit) are listed on the Bastion and
// held by the IPAM, but carry no flows of their own.
//
// Choices: the bastion host runs unless its provisioning failed or it is
// being deleted; a Developer bastion (shared infrastructure, no subnet)
// gets no host. Bastion.Reaches is the Bastion service's own rule (own
// VNet or a directly peered one), which az network bastion applies before
// a session.

type bastionNode struct {
	sku, dnsName    string
	subnet, vnet    string
	ipConfig        string // lower-case
	ipConfigDisplay string
	publicIP        string // lower-case
	addrs           []netip.Addr
	tunneling       bool
	running         bool
	state, resGroup string
}

func init() {
	registerExtension(&extension{
		Name:   "bastion",
		Order:  50,
		Types:  []string{bastion.Type},
		Decode: decodeBastion,
		Link:   linkBastions,
	})
}

func decodeBastion(r *arm.Record, id string) (any, error) {
	sku, p, st, err := bastion.Decode(r)
	if err != nil {
		return nil, err
	}
	n := &bastionNode{sku: sku, dnsName: p.DNSName, tunneling: p.EnableTunneling,
		subnet: strings.ToLower(st.Subnet), vnet: strings.ToLower(st.VNet), publicIP: strings.ToLower(st.PublicIP)}
	if len(p.IPConfigurations) > 0 {
		n.ipConfigDisplay = r.Resource.ID + "/bastionHostIpConfigurations/" + p.IPConfigurations[0].Name
		n.ipConfig = strings.ToLower(n.ipConfigDisplay)
	}
	for _, a := range st.Addresses {
		if ip, err := netip.ParseAddr(a); err == nil {
			n.addrs = append(n.addrs, ip)
		}
	}
	n.state = r.State
	n.running = r.State != arm.StateFailed && r.State != arm.StateDeleting
	if rid, err := arm.ParseID(r.Resource.ID); err == nil {
		n.resGroup = rid.ResourceGroup
	}
	return n, nil
}

func linkBastions(s *Snapshot, phase Phase, nodes []ExtNode) {
	if phase != PhaseHosts || len(nodes) == 0 {
		return
	}
	if s.Bastions == nil {
		s.Bastions = make(map[string]*Bastion, len(nodes))
	}
	for _, en := range nodes {
		n, ok := en.Value.(*bastionNode)
		if !ok {
			continue
		}
		b := &Bastion{ID: en.ID, Name: en.Name, SKU: n.sku, VNet: s.VNets[n.vnet], Subnet: s.Subnets[n.subnet],
			Addresses: n.addrs, PublicIP: s.PublicIPs[n.publicIP], DNSName: n.dnsName, Tunneling: n.tunneling}
		s.Bastions[en.ID] = b
		if b.Subnet == nil || len(n.addrs) == 0 || n.ipConfig == "" {
			continue
		}
		if _, taken := s.Hosts[en.ID]; taken {
			continue
		}
		h := &Host{ID: en.ID, Name: en.Name, ResourceID: en.Display, ResourceGroup: n.resGroup,
			Kind: KindBastion, Running: n.running, PowerState: PowerRunning}
		if !n.running {
			h.PowerState = "ProvisioningState/" + strings.ToLower(n.state)
		}
		nic := &NIC{ID: en.ID + "/nic", Name: en.Name + "-nic", Host: h}
		ic := &IPConfig{ID: n.ipConfig, Name: n.ipConfig[strings.LastIndexByte(n.ipConfig, '/')+1:], NIC: nic,
			Subnet: b.Subnet, PrivateIP: n.addrs[0], PublicIP: b.PublicIP, Primary: true}
		if ic.PublicIP != nil && ic.PublicIP.IPConfig == nil {
			ic.PublicIP.IPConfig = ic
		}
		if n.ipConfigDisplay != n.ipConfig {
			s.DisplayIDs[n.ipConfig] = n.ipConfigDisplay
		}
		nic.IPConfigs = []*IPConfig{ic}
		h.NICs = []*NIC{nic}
		s.NICs[nic.ID] = nic
		s.Hosts[en.ID] = h
		b.Host = h
	}
}
