package gateway

import (
	"encoding/json"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Decoded views of the records, for the data plane (internal/fabric) and
// other readers, so they do not re-parse the raw JSON differently. Every
// resource ID in these structs is as stored (the user's casing, as ARM
// serves it); compare them with arm.SameID or lower-case them (the
// fabric's key convention) yourself.

// Gateway is a decoded virtual network gateway record.
type Gateway struct {
	ID, Name, Location string
	// Type is Vpn or ExpressRoute; VpnType RouteBased or PolicyBased.
	Type, VpnType string
	Sku           string
	ActiveActive  bool
	EnableBgp     bool
	// ASN is the gateway's BGP ASN (65515 unless a VPN gateway sets another).
	ASN int64
	// VNetID and SubnetID are the virtual network and its GatewaySubnet.
	VNetID, SubnetID string
	// IPConfigurations are the gateway's instances, in order.
	IPConfigurations []GatewayInstance
	// ProvisioningState is the record's state (Updating while an
	// operation runs, Succeeded, Failed...).
	ProvisioningState string
}

// GatewayInstance is one IP configuration of a gateway.
type GatewayInstance struct {
	ID string
	// PrivateIP is its address in GatewaySubnet (reserved in the network
	// provider's IPAM, owner = ID); it is also the BGP peering address.
	PrivateIP netip.Addr
	// PublicIPID is its public IP address resource ("" for an
	// ExpressRoute gateway without one).
	PublicIPID string
	// PublicIP is that public IP's address as of the gateway's last write
	// (bgpSettings.bgpPeeringAddresses[].tunnelIpAddresses); invalid when
	// it had none. The public IP record is authoritative.
	PublicIP netip.Addr
}

// DecodeGateway decodes a Microsoft.Network/virtualNetworkGateways record.
func DecodeGateway(rec *arm.Record) (*Gateway, error) {
	p, err := DecodeGatewayProperties(rec)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		ID: rec.Resource.ID, Name: rec.Resource.Name, Location: rec.Resource.Location,
		Type: p.GatewayType, VpnType: p.VpnType, Sku: p.Sku.Name, ActiveActive: p.ActiveActive,
		EnableBgp: p.EnableBgp, ASN: DefaultASN, ProvisioningState: rec.State,
	}
	if p.BgpSettings != nil && p.BgpSettings.Asn != 0 {
		g.ASN = p.BgpSettings.Asn
	}
	for _, c := range p.IPConfigurations {
		in := GatewayInstance{ID: c.ID}
		if a, err := netip.ParseAddr(c.Properties.PrivateIPAddress); err == nil {
			in.PrivateIP = a
		}
		if c.Properties.PublicIPAddress != nil {
			in.PublicIPID = c.Properties.PublicIPAddress.ID
		}
		if c.Properties.Subnet != nil && g.SubnetID == "" {
			g.SubnetID = c.Properties.Subnet.ID
			if sid, err := arm.ParseID(g.SubnetID); err == nil {
				if v, ok := sid.Parent(); ok {
					g.VNetID = v.String()
				}
			}
		}
		if p.BgpSettings != nil {
			for _, pa := range p.BgpSettings.BgpPeeringAddresses {
				if arm.SameID(pa.IPConfigurationID, c.ID) && len(pa.TunnelIPAddresses) > 0 {
					in.PublicIP, _ = netip.ParseAddr(pa.TunnelIPAddresses[0])
				}
			}
		}
		g.IPConfigurations = append(g.IPConfigurations, in)
	}
	return g, nil
}

// LocalGateway is a decoded local network gateway record.
type LocalGateway struct {
	ID, Name, Location string
	// GatewayIP is the device's public address (invalid when only FQDN is set).
	GatewayIP netip.Addr
	FQDN      string
	// Prefixes are localNetworkAddressSpace.addressPrefixes.
	Prefixes []netip.Prefix
	// BGP: ASN 0 when the local gateway has no bgpSettings.
	ASN               int64
	BgpPeeringAddress netip.Addr
	ProvisioningState string
}

// DecodeLocalGateway decodes a Microsoft.Network/localNetworkGateways record.
func DecodeLocalGateway(rec *arm.Record) (*LocalGateway, error) {
	p, err := DecodeLocalGatewayProperties(rec)
	if err != nil {
		return nil, err
	}
	l := &LocalGateway{ID: rec.Resource.ID, Name: rec.Resource.Name, Location: rec.Resource.Location, FQDN: p.Fqdn, ProvisioningState: rec.State}
	if a, err := netip.ParseAddr(p.GatewayIPAddress); err == nil {
		l.GatewayIP = a
	}
	for _, s := range p.LocalNetworkAddressSpace.AddressPrefixes {
		if pf, err := netip.ParsePrefix(s); err == nil {
			l.Prefixes = append(l.Prefixes, pf)
		}
	}
	if p.BgpSettings != nil {
		l.ASN = p.BgpSettings.Asn
		if a, err := netip.ParseAddr(p.BgpSettings.BgpPeeringAddress); err == nil {
			l.BgpPeeringAddress = a
		}
	}
	return l, nil
}

// Connection is a decoded connection record.
type Connection struct {
	ID, Name, Location string
	// Type is IPsec, Vnet2Vnet or ExpressRoute.
	Type string
	// Gateway1 is virtualNetworkGateway1; exactly one of LocalGateway2
	// (IPsec), Gateway2 (Vnet2Vnet) and Circuit (ExpressRoute) is set.
	Gateway1, LocalGateway2, Gateway2, Circuit string
	// SharedKey is the IPsec pre-shared key (write-only in the API).
	SharedKey     string
	Protocol      string
	RoutingWeight int32
	EnableBgp     bool
	// Status is connectionStatus as last set by SetConnectionStatus
	// (Unknown until then).
	Status string
	// Authorization is the circuit authorization an ExpressRoute
	// connection redeemed ("" for a same-subscription link).
	Authorization     string
	ProvisioningState string
}

// DecodeConnection decodes a Microsoft.Network/connections record.
func DecodeConnection(rec *arm.Record) (*Connection, error) {
	p, st, err := DecodeConnectionProperties(rec)
	if err != nil {
		return nil, err
	}
	c := &Connection{
		ID: rec.Resource.ID, Name: rec.Resource.Name, Location: rec.Resource.Location, Type: p.ConnectionType,
		SharedKey: st.SharedKey, Protocol: p.ConnectionProtocol, RoutingWeight: p.RoutingWeight, EnableBgp: p.EnableBgp,
		Status: st.ConnectionStatus, Authorization: st.Authorization, ProvisioningState: rec.State,
	}
	if p.VirtualNetworkGateway1 != nil {
		c.Gateway1 = p.VirtualNetworkGateway1.ID
	}
	if p.VirtualNetworkGateway2 != nil {
		c.Gateway2 = p.VirtualNetworkGateway2.ID
	}
	if p.LocalNetworkGateway2 != nil {
		c.LocalGateway2 = p.LocalNetworkGateway2.ID
	}
	if p.Peer != nil {
		c.Circuit = p.Peer.ID
	}
	return c, nil
}

// Circuit is a decoded ExpressRoute circuit record (its peerings are
// child records: DecodeCircuitPeering).
type Circuit struct {
	ID, Name, Location string
	ServiceKey         string
	// ServiceProviderState is serviceProviderProvisioningState.
	ServiceProviderState            string
	ServiceProviderName, PeeringLoc string
	BandwidthInMbps                 int
	SkuTier, SkuFamily              string
	ProvisioningState               string
}

// DecodeCircuit decodes a Microsoft.Network/expressRouteCircuits record.
func DecodeCircuit(rec *arm.Record) (*Circuit, error) {
	p, st, err := DecodeCircuitProperties(rec)
	if err != nil {
		return nil, err
	}
	c := &Circuit{ID: rec.Resource.ID, Name: rec.Resource.Name, Location: rec.Resource.Location, ServiceKey: p.ServiceKey,
		ServiceProviderState: st.ServiceProviderProvisioningState, ProvisioningState: rec.State}
	if sp := p.ServiceProviderProperties; sp != nil {
		c.ServiceProviderName, c.PeeringLoc, c.BandwidthInMbps = sp.ServiceProviderName, sp.PeeringLocation, sp.BandwidthInMbps
	}
	var sku CircuitSku
	if len(rec.Resource.SKU) > 0 {
		if err := json.Unmarshal(rec.Resource.SKU, &sku); err == nil {
			c.SkuTier, c.SkuFamily = sku.Tier, sku.Family
		}
	}
	return c, nil
}

// CircuitPeering is a decoded circuit peering record.
type CircuitPeering struct {
	ID, Name string
	// CircuitID is the parent circuit.
	CircuitID string
	// Type is AzurePrivatePeering or MicrosoftPeering; Enabled is state.
	Type    string
	Enabled bool
	PeerASN int64
	// AzureASN is 12076.
	AzureASN           int64
	Primary, Secondary netip.Prefix
	VlanID             int
}

// DecodeCircuitPeering decodes a Microsoft.Network/expressRouteCircuits/
// peerings record.
func DecodeCircuitPeering(rec *arm.Record) (*CircuitPeering, error) {
	p, err := DecodePeeringProperties(rec)
	if err != nil {
		return nil, err
	}
	c := &CircuitPeering{ID: rec.Resource.ID, Name: rec.Resource.Name, Type: p.PeeringType, Enabled: strings.EqualFold(p.State, "Enabled"),
		PeerASN: p.PeerASN, AzureASN: p.AzureASN, VlanID: p.VlanID}
	if id, err := arm.ParseID(rec.Resource.ID); err == nil {
		if par, ok := id.Parent(); ok {
			c.CircuitID = par.String()
		}
	}
	c.Primary, _ = netip.ParsePrefix(p.PrimaryPeerAddressPrefix)
	c.Secondary, _ = netip.ParsePrefix(p.SecondaryPeerAddressPrefix)
	return c, nil
}
