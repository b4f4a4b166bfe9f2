package fabric

import "net/netip"

// On-premises sites and the gateways that connect them (hybrid
// networking). A site is privlink's own resource (Privlink.OnPrem/sites:
// Azure does not model the customer's network); gateways, local network
// gateways, connections and ExpressRoute circuits are Azure's
// (build_site.go decodes them all).
//
// A site's network is modelled as a VNet-like object so that the
// evaluator's machinery (IPConfigAt, arrive, deliver, listeners) works
// unchanged: Site.VNet is a synthetic VNet whose ID is the site's ID
// (Snapshot.VNets[site.ID], Location "" and InternalDomainSuffix "", so it
// has no Azure-provided names and no Network Watcher; DNSServers is the
// site's DNS server), with one synthetic subnet (Site.Subnet, ID
// "<site>/subnets/onprem", no NSG, no route table) holding every host's
// synthetic NIC ("<host>/nic", IP configuration "<host>/nic/ipconfigurations/
// ipconfig1"). Snapshot.SiteOf(vnet) tells a site's network from a VNet.
// The site's edge address is the synthetic public IP Site.Edge (in no
// Snapshot map: nothing on the internet can open a connection to a site)
// held by every host's IP configuration, so on-premises hosts reach the
// internet from the edge address.

// Connection statuses (Azure's connectionStatus values).
const (
	ConnectionConnected    = "Connected"
	ConnectionNotConnected = "NotConnected"
	ConnectionConnecting   = "Connecting"
	ConnectionUnknown      = "Unknown"
)

// Circuit provider states (serviceProviderProvisioningState).
const (
	CircuitProvisioned    = "Provisioned"
	CircuitNotProvisioned = "NotProvisioned"
	CircuitProvisioning   = "Provisioning"
)

// Site is an emulated on-premises network.
type Site struct {
	ID, Name string
	// ResourceID is the ID as created; ResourceGroup its group.
	ResourceID, ResourceGroup string
	// Prefixes are the site's address prefixes.
	Prefixes []netip.Prefix
	// EdgeIP is the public address of the site's edge (its VPN device).
	EdgeIP netip.Addr
	// Edge is the synthetic public IP standing for EdgeIP (held by the
	// hosts' IP configurations; not in Snapshot.PublicIPs).
	Edge *PublicIP
	// VNet and Subnet are the site's synthetic network (see above).
	VNet   *VNet
	Subnet *Subnet
	// Hosts are the site's hosts (Kind KindOnPrem, Host.Site = this site),
	// sorted by ID.
	Hosts []*Host
	// DNSServer is the address of the site's DNS server (inside
	// Prefixes), invalid when the site has none. Its hosts resolve through
	// it (Host.DNSServers).
	DNSServer netip.Addr
	// DNSHost is the host standing for the DNS server: the source of the
	// queries it forwards. Nil when the site has no DNS server. Its ID is
	// "<site id>/dnsserver"; its TCP and UDP 53 are FabricDNSTarget.
	DNSHost *Host
	// Forwarders are the DNS server's conditional forwarders; a query for
	// a name no forwarder matches is resolved from public DNS.
	Forwarders []DNSForwarder
	// Devices are the site's VPN devices.
	Devices []*VPNDevice
	// ExpressRoute are the circuits the connectivity provider serves for
	// the site.
	ExpressRoute []SiteCircuit
	// Connections are the Azure connections whose far end is this site
	// (any status), sorted by ID.
	Connections []*Connection
}

// VPNDevice is the site side of an IPsec tunnel.
type VPNDevice struct {
	Name string
	// RemoteGatewayIP is the Azure gateway's public address it dials.
	RemoteGatewayIP netip.Addr
	SharedKey       string
	BGP             bool
}

// SiteCircuit is a connectivity provider's entry of a site.
type SiteCircuit struct {
	// ServiceKey is lower case.
	ServiceKey  string
	Provisioned bool
}

// DNSForwarder is a conditional forwarder (or a forwarding rule): queries
// for names at or below Domain go to Targets (port 53 unless a target
// says otherwise), the longest matching Domain winning.
type DNSForwarder struct {
	// ID is the resource ID of the forwarder or rule (lower case), for
	// explanations.
	ID string
	// Domain is lower case, without the trailing dot.
	Domain  string
	Targets []netip.AddrPort
}

// Gateway is a virtual network gateway (Vpn or ExpressRoute).
type Gateway struct {
	ID, Name string
	// Type is Vpn or ExpressRoute.
	Type string
	// VNet is the gateway's network (its GatewaySubnet's), nil when
	// missing.
	VNet *VNet
	// Subnet is the GatewaySubnet.
	Subnet *Subnet
	// PublicIPs are the gateway's public addresses (allocated ones only).
	PublicIPs []netip.Addr
	// State is the provisioning state (Succeeded when ready).
	State string
	// BGP is enableBgp.
	BGP bool
	// Connections are the connections whose virtualNetworkGateway1 is
	// this gateway, sorted by ID.
	Connections []*Connection

	// routes holds the snapshot's learned route sets (build_site.go).
	routes []*learnedSet
}

// LocalGateway is a local network gateway: a site's VPN device as Azure
// knows it.
type LocalGateway struct {
	ID, Name string
	// GatewayIP is gatewayIpAddress (invalid when only an FQDN is given).
	GatewayIP netip.Addr
	FQDN      string
	// Prefixes are localNetworkAddressSpace.addressPrefixes.
	Prefixes []netip.Prefix
}

// Connection is a virtual network gateway connection (IPsec, Vnet2Vnet or
// ExpressRoute).
type Connection struct {
	ID, Name string
	// Type is IPsec, Vnet2Vnet or ExpressRoute.
	Type         string
	Gateway      *Gateway      // virtualNetworkGateway1, nil when missing
	GatewayID    string        // lower case
	LocalGateway *LocalGateway // localNetworkGateway2 (IPsec)
	LocalID      string
	Circuit      *Circuit // peer (ExpressRoute)
	CircuitID    string
	SharedKey    string
	BGP          bool
	// State is the connection's provisioning state.
	State string
	// StoredStatus is the connectionStatus the record carries (what
	// Azure shows); Status is the one the fabric computes (the
	// controller in internal/app/hybrid.go writes it back).
	StoredStatus string
	Status       string
	// Reasons say why Status is not Connected (empty when it is).
	Reasons []string
	// Site is the on-premises end (nil when no site matches).
	Site *Site
	// Device is the site's device of an IPsec tunnel (nil when none
	// names the gateway).
	Device *VPNDevice
	// Prefixes are what the Azure side learns of the site: the local
	// network gateway's prefixes (plus the site's own when BGP runs on
	// both ends), or the site's prefixes over ExpressRoute.
	Prefixes []netip.Prefix
}

// Up reports whether the connection carries traffic.
func (c *Connection) Up() bool { return c != nil && c.Status == ConnectionConnected }

// Circuit is an ExpressRoute circuit.
type Circuit struct {
	ID, Name string
	// ServiceKey is lower case.
	ServiceKey string
	// ProviderState is serviceProviderProvisioningState as stored.
	ProviderState string
	// PrivatePeering is true when the circuit has an AzurePrivatePeering.
	PrivatePeering bool
	// Site is the site whose expressRoute entries name the service key
	// (provisioned or not), nil when none.
	Site *Site
	// Provisioned is what the sites say (the controller writes it to
	// ProviderState).
	Provisioned bool
}

// LearnedRoute is a route a network learned from a gateway (Azure's
// effective routes of source VirtualNetworkGateway): on a VNet, a site
// prefix; on a site, a VNet prefix.
type LearnedRoute struct {
	Prefix     netip.Prefix
	Connection *Connection
	// Gateway is the virtual network gateway that carries the traffic
	// (the hub's for a spoke using remote gateways).
	Gateway *Gateway
	// Via is a spoke's peering to the gateway's VNet (nil otherwise).
	Via *Peering
	// Site is the on-premises end (nil for a Down route of a connection
	// whose local network gateway names no site).
	Site *Site
	// Target is the VNet whose prefix a site learned (nil on a VNet).
	Target *VNet
	// Down is true for a route of a connection that is not Connected:
	// kept so that evaluation can name why the traffic does not flow; it
	// is used only where no other route than a default one matches.
	Down bool
}

// SiteOf returns the site whose synthetic network is vnet, or nil.
func (s *Snapshot) SiteOf(vnet *VNet) *Site {
	if vnet == nil || len(s.Sites) == 0 {
		return nil
	}
	return s.Sites[vnet.ID]
}
