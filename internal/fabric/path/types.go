package path

import "github.com/privlink/privlink/internal/fabric"

// Route sources and states of an effective route (Azure's
// effectiveRouteTable values).
const (
	SourceDefault               = "Default"
	SourceUser                  = "User"
	SourceVirtualNetworkGateway = "VirtualNetworkGateway"

	StateActive  = "Active"
	StateInvalid = "Invalid"
)

// Next hop types (Azure's spelling: routes, effective routes and the
// nextHop API).
const (
	HopVnetLocal             = "VnetLocal"
	HopVNetPeering           = "VNetPeering"
	HopInternet              = "Internet"
	HopNone                  = "None"
	HopVirtualAppliance      = "VirtualAppliance"
	HopVirtualNetworkGateway = "VirtualNetworkGateway"
)

// SystemRouteTableID is the routeTableId the nextHop API answers for a
// system route.
const SystemRouteTableID = "System Route"

// EffectiveRoute is one entry of an IP configuration's effective route
// table, in the shape of Azure's effectiveRouteTable items.
type EffectiveRoute struct {
	// Name is the user route's name ("" for system routes).
	Name                       string   `json:"name,omitempty"`
	DisableBGPRoutePropagation bool     `json:"disableBgpRoutePropagation"`
	Source                     string   `json:"source"` // Default, User, VirtualNetworkGateway
	State                      string   `json:"state"`  // Active, Invalid
	AddressPrefix              []string `json:"addressPrefix"`
	NextHopIPAddress           []string `json:"nextHopIpAddress"`
	NextHopType                string   `json:"nextHopType"`

	// RouteID is the user route's resource ID ("" for system routes).
	RouteID string `json:"-"`
	// RouteTableID is the user route's route table ID ("" for system
	// routes).
	RouteTableID string `json:"-"`
}

// NextHopResult is Azure's nextHop answer.
type NextHopResult struct {
	NextHopType string `json:"nextHopType"`
	// NextHopIPAddress is set for VirtualAppliance next hops.
	NextHopIPAddress string `json:"nextHopIpAddress,omitempty"`
	// RouteTableID is the ID of the user route's table, or "System Route".
	RouteTableID string `json:"routeTableId,omitempty"`
}

// SubResource is an ARM reference {id}.
type SubResource struct {
	ID string `json:"id"`
}

// EffectiveNSGAssociation says where an NSG is applied: exactly one of
// Subnet and NetworkInterface is set.
type EffectiveNSGAssociation struct {
	Subnet           *SubResource `json:"subnet,omitempty"`
	NetworkInterface *SubResource `json:"networkInterface,omitempty"`
}

// EffectiveNSG is one item of a NIC's effectiveNetworkSecurityGroups.
type EffectiveNSG struct {
	NetworkSecurityGroup   SubResource             `json:"networkSecurityGroup"`
	Association            EffectiveNSGAssociation `json:"association"`
	EffectiveSecurityRules []EffectiveSecurityRule `json:"effectiveSecurityRules"`
}

// EffectiveSecurityRule is one effective security rule, with service tags
// expanded to prefixes as Azure's effectiveNetworkSecurityGroups shows
// them.
type EffectiveSecurityRule struct {
	// Name is "securityRules/<name>" or "defaultSecurityRules/<name>".
	Name string `json:"name"`
	// Protocol is Tcp, Udp, Icmp, Esp, Ah or All.
	Protocol string `json:"protocol"`
	// Port ranges normalised to "a-b" ("*" is "0-65535", "443" is
	// "443-443"); the singular field is set when there is exactly one.
	SourcePortRange       string   `json:"sourcePortRange,omitempty"`
	DestinationPortRange  string   `json:"destinationPortRange,omitempty"`
	SourcePortRanges      []string `json:"sourcePortRanges"`
	DestinationPortRanges []string `json:"destinationPortRanges"`
	// Address prefixes as written ("*" shows as 0.0.0.0/0 and 0::/0);
	// the singular field is set when the rule has exactly one.
	SourceAddressPrefix        string   `json:"sourceAddressPrefix,omitempty"`
	DestinationAddressPrefix   string   `json:"destinationAddressPrefix,omitempty"`
	SourceAddressPrefixes      []string `json:"sourceAddressPrefixes"`
	DestinationAddressPrefixes []string `json:"destinationAddressPrefixes"`
	// Expanded prefixes: set when the rule names a service tag; the tags
	// are replaced by their prefixes as seen by this NIC.
	ExpandedSourceAddressPrefix      []string         `json:"expandedSourceAddressPrefix,omitempty"`
	ExpandedDestinationAddressPrefix []string         `json:"expandedDestinationAddressPrefix,omitempty"`
	Access                           string           `json:"access"`
	Priority                         int              `json:"priority"`
	Direction                        fabric.Direction `json:"direction"`
}
