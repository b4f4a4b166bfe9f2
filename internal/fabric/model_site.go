package fabric

import "net/netip"

// On-premises sites and the gateways that connect them (hybrid
// networking). A site is privlink's own resource (Azure does not model
// the customer's network); gateways, local network gateways, connections
// and ExpressRoute circuits are Azure's.

// Site is an emulated on-premises network.
type Site struct {
	ID, Name string
	// Prefixes are the site's address prefixes.
	Prefixes []netip.Prefix
	// EdgeIP is the public address of the site's edge (its VPN device).
	EdgeIP netip.Addr
	// Hosts are the site's hosts (Kind KindOnPrem, Host.Site = this site).
	Hosts []*Host
	// DNSServer is the address of the site's DNS server (inside
	// Prefixes), invalid when the site has none. Its hosts resolve through
	// it (Host.DNSServers).
	DNSServer netip.Addr
	// DNSHost is the host standing for the DNS server: the source of the
	// queries it forwards. Nil when the site has no DNS server.
	DNSHost *Host
	// Forwarders are the DNS server's conditional forwarders; a query for
	// a name no forwarder matches is resolved from public DNS.
	Forwarders []DNSForwarder
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
	VNet *VNet
}

// LocalGateway is a local network gateway: a site's VPN device as Azure
// knows it.
type LocalGateway struct {
	ID, Name string
}

// Connection is a virtual network gateway connection (IPsec, Vnet2Vnet or
// ExpressRoute).
type Connection struct {
	ID, Name string
}

// Circuit is an ExpressRoute circuit.
type Circuit struct {
	ID, Name string
}
