package gateway

import (
	"strconv"

	"github.com/privlink/privlink/internal/cli/core"
)

var gatewaySkus = []string{"Basic", "ErGw1AZ", "ErGw2AZ", "ErGw3AZ", "ErGwScale", "HighPerformance", "Standard", "UltraPerformance",
	"VpnGw1", "VpnGw1AZ", "VpnGw2", "VpnGw2AZ", "VpnGw3", "VpnGw3AZ", "VpnGw4", "VpnGw4AZ", "VpnGw5", "VpnGw5AZ"}

func vnetGatewayResource() *core.Resource {
	return core.NewResource(GatewayType, core.NameArg("Name of the VNet gateway."))
}

func bgpArgs() []*core.Arg {
	const g = "BGP Peering"
	return []*core.Arg{
		{Dest: "asn", Options: []string{"--asn"}, Kind: core.Int, Group: g, Help: "Autonomous System Number to use for the BGP settings."},
		{Dest: "bgp_peering_address", Options: []string{"--bgp-peering-address"}, Group: g, Help: "IP address to use for BGP peering."},
		{Dest: "peer_weight", Options: []string{"--peer-weight"}, Kind: core.Int, Group: g, Help: "Weight (0-100) added to routes learned through BGP peering."},
	}
}

// applyBGP writes the BGP arguments given (bgpArgs) into obj's
// bgpSettings, keeping the settings not given.
func applyBGP(c *core.Context, obj map[string]any) {
	if c.Has("asn") || c.Has("bgp_peering_address") || c.Has("peer_weight") {
		bgp, _ := obj["bgpSettings"].(map[string]any)
		if bgp == nil {
			bgp = map[string]any{}
		}
		if c.Has("asn") {
			bgp["asn"] = c.Int("asn")
		}
		if c.Has("bgp_peering_address") {
			bgp["bgpPeeringAddress"] = c.String("bgp_peering_address")
		}
		if c.Has("peer_weight") {
			bgp["peerWeight"] = c.Int("peer_weight")
		}
		obj["bgpSettings"] = bgp
	}
}

func vnetGatewayGroup() *core.Group {
	r := vnetGatewayResource()
	return &core.Group{
		Name:  "network vnet-gateway",
		Short: "Use an Azure Virtual Network Gateway to establish secure, cross-premises connectivity.",
		Commands: []*core.Command{
			vnetGatewayCreate(),
			r.ShowCommand("Get the details of a virtual network gateway.",
				core.Example{Summary: "Get the details of a virtual network gateway.", Command: "az network vnet-gateway show -g MyResourceGroup -n MyVnetGateway"}),
			r.ListCommand("List virtual network gateways.",
				core.Example{Summary: "List virtual network gateways in a resource group.", Command: "az network vnet-gateway list -g MyResourceGroup"}),
			r.DeleteCommand("Delete a virtual network gateway.", true, false,
				core.Example{Summary: "Delete a virtual network gateway.", Command: "az network vnet-gateway delete -g MyResourceGroup -n MyVnetGateway"}),
			gatewayUpdate(r),
			r.WaitCommand("Place the CLI in a waiting state until a condition of the virtual network gateway is met."),
		},
	}
}

// gatewayUpdate is the generic update of a gateway. Its sku is a property
// (not the envelope's sku), so the body is fixed up before the PUT.
func gatewayUpdate(r *core.Resource) *core.Command {
	args := append(r.Args(true), core.TagsArg(),
		&core.Arg{Dest: "sku", Options: []string{"--sku"}, Choices: gatewaySkus, Help: "VNet gateway SKU."},
		&core.Arg{Dest: "enable_bgp", Options: []string{"--enable-bgp"}, Kind: core.TriState, Help: "Enable BGP (Border Gateway Protocol)."})
	args = append(args, bgpArgs()...)
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a virtual network gateway.", Args: args, NoWait: true,
		Examples: []core.Example{{Summary: "Change the SKU of a VNet gateway.", Command: "az network vnet-gateway update -g MyResourceGroup -n MyVnetGateway --sku VpnGw2"}},
		Run: func(c *core.Context) (any, error) {
			return core.Updater{
				Get: r.Get,
				Put: func(c *core.Context, body map[string]any) (any, error) {
					if sku, ok := body["sku"]; ok {
						props(body)["sku"] = sku
						delete(body, "sku")
					}
					client, err := c.ARM()
					if err != nil {
						return nil, err
					}
					p, err := r.Path(c)
					if err != nil {
						return nil, err
					}
					return client.Put(c.Context(), p, GatewayType.APIVersion, body, c.NoWait())
				},
				Shape:  GatewayType.Shape,
				Custom: applyGatewayUpdate,
			}.Run(c)
		},
	}
}

func applyGatewayUpdate(c *core.Context, obj map[string]any) error {
	tagsUpdate(c, obj)
	if s := c.String("sku"); s != "" {
		obj["sku"] = map[string]any{"name": s, "tier": s}
	}
	if b := c.OptBool("enable_bgp"); b != nil {
		obj["enableBgp"] = *b
	}
	applyBGP(c, obj)
	return nil
}

func vnetGatewayCreate() *core.Command {
	args := []*core.Arg{core.ResourceGroupArg(true), core.NameArg("Name of the VNet gateway."), core.LocationArg(false), core.TagsArg(),
		{Dest: "vnet", Options: []string{"--vnet"}, Required: true, Help: "Name or ID of an existing virtual network which has a subnet named 'GatewaySubnet'."},
		{Dest: "public_ip_addresses", Options: []string{"--public-ip-addresses", "--public-ip-address"}, Kind: core.List,
			Help: "Specify a single public IP (name or ID) for an active-standby gateway. Specify two space-separated public IPs for an active-active gateway."},
		{Dest: "gateway_type", Options: []string{"--gateway-type"}, Choices: []string{"ExpressRoute", "LocalGateway", "Vpn"}, Default: "Vpn", Help: "The gateway type."},
		{Dest: "vpn_type", Options: []string{"--vpn-type"}, Choices: []string{"PolicyBased", "RouteBased"}, Default: "RouteBased", Help: "VPN routing type."},
		{Dest: "sku", Options: []string{"--sku"}, Choices: gatewaySkus, Default: "Basic", Help: "VNet gateway SKU."},
		{Dest: "vpn_gateway_generation", Options: []string{"--vpn-gateway-generation"}, Choices: []string{"Generation1", "Generation2", "None"}, Help: "The generation for the virtual network gateway. vpn_gateway_generation should not be provided if gateway_type is not Vpn."},
	}
	args = append(args, bgpArgs()...)
	return &core.Command{
		Name: "create", Short: "Create a virtual network gateway.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{
			{Summary: "Create a basic virtual network gateway for site-to-site connectivity.",
				Command: "az network vnet-gateway create -g MyResourceGroup -n MyVnetGateway --public-ip-address MyGatewayIp --vnet MyVnet --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased --no-wait"},
			{Summary: "Create a basic virtual network gateway that provides point-to-site connectivity with a RADIUS secret that matches what is configured on a RADIUS server.",
				Command: "az network vnet-gateway create -g MyResourceGroup -n MyVnetGateway --public-ip-address MyGatewayIp --vnet MyVnet --gateway-type Vpn --sku VpnGw1 --vpn-type RouteBased"},
		},
		Run: runVnetGatewayCreate,
	}
}

func runVnetGatewayCreate(c *core.Context) (any, error) {
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	pips := c.List("public_ip_addresses")
	if len(pips) > 2 {
		return nil, core.Errorf("Specify a single public IP to create an active-standby gateway or two public IPs to create an active-active gateway.")
	}
	vnet := c.String("vnet")
	vnetID, err := resourceID(c, vnet, []string{"virtualNetworks"}, vnet)
	if err != nil {
		return nil, err
	}
	subnetID := vnetID + "/subnets/GatewaySubnet"
	var ics []any
	for i, p := range pips {
		id, err := resourceID(c, p, []string{"publicIPAddresses"}, p)
		if err != nil {
			return nil, err
		}
		ics = append(ics, map[string]any{"name": "vnetGatewayConfig" + strconv.Itoa(i), "properties": map[string]any{
			"privateIPAllocationMethod": "Dynamic", "subnet": subResource(subnetID), "publicIPAddress": subResource(id)}})
	}
	if len(pips) == 0 {
		ics = append(ics, map[string]any{"name": "vnetGatewayConfig", "properties": map[string]any{
			"privateIPAllocationMethod": "Dynamic", "subnet": subResource(subnetID)}})
	}
	sku := c.String("sku")
	p := map[string]any{
		"gatewayType": c.String("gateway_type"), "vpnType": c.String("vpn_type"),
		"sku": map[string]any{"name": sku, "tier": sku}, "activeActive": len(pips) == 2, "ipConfigurations": ics,
	}
	if g := c.String("vpn_gateway_generation"); g != "" {
		p["vpnGatewayGeneration"] = g
	}
	if c.Has("asn") || c.Has("bgp_peering_address") || c.Has("peer_weight") {
		p["enableBgp"] = true
		bgp := map[string]any{}
		if c.Has("asn") {
			bgp["asn"] = c.Int("asn")
		}
		if c.Has("bgp_peering_address") {
			bgp["bgpPeeringAddress"] = c.String("bgp_peering_address")
		}
		if c.Has("peer_weight") {
			bgp["peerWeight"] = c.Int("peer_weight")
		}
		p["bgpSettings"] = bgp
	}
	body := map[string]any{"location": loc, "properties": p}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	out, err := putAndShape(c, GatewayType, GatewayType.Path(sub, c.String("resource_group"), c.String("name")), body)
	if err != nil || out == nil {
		return nil, err
	}
	return map[string]any{"vnetGateway": out}, nil
}
