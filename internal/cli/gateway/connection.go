package gateway

import (
	"github.com/privlink/privlink/internal/cli/core"
)

func connectionResource() *core.Resource {
	return core.NewResource(ConnectionType, core.NameArg("Connection name."))
}

func connectionGroup() *core.Group {
	r := connectionResource()
	return &core.Group{
		Name:  "network vpn-connection",
		Short: "Manage VPN connections.",
		Commands: []*core.Command{
			connectionCreate(),
			r.ShowCommand("Get the details of a VPN connection.",
				core.Example{Summary: "View the details of a VPN connection.", Command: "az network vpn-connection show -g MyResourceGroup -n MyConnection"}),
			r.ListCommand("List all VPN connections in a resource group.",
				core.Example{Summary: "List all VPN connections in a resource group.", Command: "az network vpn-connection list -g MyResourceGroup"}),
			r.DeleteCommand("Delete a VPN connection.", true, false,
				core.Example{Summary: "Delete a VPN connection.", Command: "az network vpn-connection delete -g MyResourceGroup -n MyConnection"}),
			r.UpdateCommand("Update a VPN connection.", []*core.Arg{core.TagsArg(),
				{Dest: "routing_weight", Options: []string{"--routing-weight"}, Kind: core.Int, Help: "Connection routing weight."},
				{Dest: "enable_bgp", Options: []string{"--enable-bgp"}, Kind: core.TriState, Help: "Enable BGP (Border Gateway Protocol)."},
				{Dest: "use_policy_based_traffic_selectors", Options: []string{"--use-policy-based-traffic-selectors"}, Kind: core.TriState, Help: "Enable policy-based traffic selectors."},
			}, func(c *core.Context, obj map[string]any) error {
				tagsUpdate(c, obj)
				if c.Has("routing_weight") {
					obj["routingWeight"] = c.Int("routing_weight")
				}
				if b := c.OptBool("enable_bgp"); b != nil {
					obj["enableBgp"] = *b
				}
				if b := c.OptBool("use_policy_based_traffic_selectors"); b != nil {
					obj["usePolicyBasedTrafficSelectors"] = *b
				}
				return nil
			}, core.Example{Summary: "Add BGP to an existing connection.", Command: "az network vpn-connection update -g MyResourceGroup -n MyConnection --enable-bgp"}),
			r.WaitCommand("Place the CLI in a waiting state until a condition of the VPN connection is met."),
		},
	}
}

func connectionCreate() *core.Command {
	args := []*core.Arg{core.ResourceGroupArg(true), core.NameArg("Connection name."), core.LocationArg(false), core.TagsArg(),
		{Dest: "vnet_gateway1", Options: []string{"--vnet-gateway1"}, Required: true, Help: "Name or ID of the source virtual network gateway."},
		{Dest: "local_gateway2", Options: []string{"--local-gateway2"}, Group: "Destination", Help: "Name or ID of the destination local network gateway."},
		{Dest: "vnet_gateway2", Options: []string{"--vnet-gateway2"}, Group: "Destination", Help: "Name or ID of the destination VNet gateway."},
		{Dest: "express_route_circuit2", Options: []string{"--express-route-circuit2"}, Group: "Destination", Help: "Name or ID of the destination ExpressRoute to connect to using an 'ExpressRoute' connection."},
		{Dest: "shared_key", Options: []string{"--shared-key"}, Help: "Shared IPSec key."},
		{Dest: "authorization_key", Options: []string{"--authorization-key"}, Help: "The authorization key for the VPN connection."},
		{Dest: "enable_bgp", Options: []string{"--enable-bgp"}, Kind: core.Flag, Help: "Enable BGP (Border Gateway Protocol)."},
		{Dest: "routing_weight", Options: []string{"--routing-weight"}, Kind: core.Int, Default: "10", Help: "Connection routing weight."},
		{Dest: "use_policy_based_traffic_selectors", Options: []string{"--use-policy-based-traffic-selectors"}, Kind: core.TriState, Help: "Enable policy-based traffic selectors."},
		{Dest: "express_route_gateway_bypass", Options: []string{"--express-route-gateway-bypass"}, Kind: core.TriState, Help: "Bypass ExpressRoute gateway for data forwarding. Only valid for ExpressRoute connections."},
	}
	return &core.Command{
		Name: "create", Short: "Create a VPN connection.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{
			{Summary: "Create a site-to-site connection between an Azure virtual network and an on-premises local network gateway.",
				Command: "az network vpn-connection create -g MyResourceGroup -n MyConnection --vnet-gateway1 MyVnetGateway --local-gateway2 MyLocalGateway --shared-key Abc123"},
			{Summary: "Create a VNet-to-VNet connection between two virtual network gateways.",
				Command: "az network vpn-connection create -g MyResourceGroup -n MyConnection --vnet-gateway1 MyVnetGateway1 --vnet-gateway2 MyVnetGateway2 --shared-key Abc123"},
		},
		Run: runConnectionCreate,
	}
}

func runConnectionCreate(c *core.Context) (any, error) {
	n := 0
	for _, d := range []string{"local_gateway2", "vnet_gateway2", "express_route_circuit2"} {
		if c.String(d) != "" {
			n++
		}
	}
	if n != 1 {
		return nil, core.Usagef("usage error: --vnet-gateway2 NAME_OR_ID | --local-gateway2 NAME_OR_ID | --express-route-circuit2 NAME_OR_ID")
	}
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	gw1, err := resourceID(c, c.String("vnet_gateway1"), []string{"virtualNetworkGateways"}, c.String("vnet_gateway1"))
	if err != nil {
		return nil, err
	}
	p := map[string]any{"virtualNetworkGateway1": subResource(gw1), "enableBgp": c.Bool("enable_bgp"), "routingWeight": c.Int("routing_weight")}
	switch {
	case c.String("local_gateway2") != "":
		v := c.String("local_gateway2")
		id, err := resourceID(c, v, []string{"localNetworkGateways"}, v)
		if err != nil {
			return nil, err
		}
		p["connectionType"], p["localNetworkGateway2"] = "IPsec", subResource(id)
	case c.String("vnet_gateway2") != "":
		v := c.String("vnet_gateway2")
		id, err := resourceID(c, v, []string{"virtualNetworkGateways"}, v)
		if err != nil {
			return nil, err
		}
		p["connectionType"], p["virtualNetworkGateway2"] = "Vnet2Vnet", subResource(id)
	default:
		v := c.String("express_route_circuit2")
		id, err := resourceID(c, v, []string{"expressRouteCircuits"}, v)
		if err != nil {
			return nil, err
		}
		p["connectionType"], p["peer"] = "ExpressRoute", subResource(id)
	}
	if k := c.String("shared_key"); k != "" {
		p["sharedKey"] = k
	}
	if k := c.String("authorization_key"); k != "" {
		p["authorizationKey"] = k
	}
	if b := c.OptBool("use_policy_based_traffic_selectors"); b != nil {
		p["usePolicyBasedTrafficSelectors"] = *b
	}
	if b := c.OptBool("express_route_gateway_bypass"); b != nil {
		p["expressRouteGatewayBypass"] = *b
	}
	body := map[string]any{"location": loc, "properties": p}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), ConnectionType.Path(sub, c.String("resource_group"), c.String("name")), APIVersion, body, c.NoWait())
	if err != nil || res == nil || c.NoWait() {
		return nil, err
	}
	m, _ := res.(map[string]any)
	return map[string]any{"resource": m["properties"]}, nil
}

// ---- shared key ----

func sharedKeyGroup() *core.Group {
	args := func() []*core.Arg {
		return []*core.Arg{core.ResourceGroupArg(true),
			{Dest: "connection_name", Options: []string{"--connection-name"}, Required: true, IDPart: "name", Help: "Connection name."}}
	}
	path := func(c *core.Context) (string, error) {
		sub, err := c.SubscriptionID()
		if err != nil {
			return "", err
		}
		return ConnectionType.Path(sub, c.String("resource_group"), c.String("connection_name")) + "/sharedkey", nil
	}
	sharedKey := func(v any) any {
		m, _ := v.(map[string]any)
		if m == nil {
			return v
		}
		return map[string]any{"id": m["id"], "value": m["value"]}
	}
	return &core.Group{
		Name:  "network vpn-connection shared-key",
		Short: "Manage VPN shared keys.",
		Commands: []*core.Command{
			{Name: "show", Short: "Retrieve a VPN connection shared key.", Show: true, Args: args(),
				Examples: []core.Example{{Summary: "View the shared key of a connection.", Command: "az network vpn-connection shared-key show -g MyResourceGroup --connection-name MyConnection"}},
				Run: func(c *core.Context) (any, error) {
					p, err := path(c)
					if err != nil {
						return nil, err
					}
					client, err := c.ARM()
					if err != nil {
						return nil, err
					}
					v, err := client.GetObject(c.Context(), p, APIVersion, nil)
					if err != nil {
						return nil, err
					}
					return sharedKey(v), nil
				}},
			{Name: "update", Short: "Update a VPN connection shared key.", NoWait: true,
				Args: append(args(), &core.Arg{Dest: "value", Options: []string{"--value"}, Required: true, Help: "The virtual network connection shared key value."}),
				Examples: []core.Example{{Summary: "Change the shared key for the connection to \"Abc123\".",
					Command: "az network vpn-connection shared-key update -g MyResourceGroup --connection-name MyConnection --value Abc123"}},
				Run: func(c *core.Context) (any, error) {
					p, err := path(c)
					if err != nil {
						return nil, err
					}
					client, err := c.ARM()
					if err != nil {
						return nil, err
					}
					v, err := client.Put(c.Context(), p, APIVersion, map[string]any{"value": c.String("value")}, c.NoWait())
					if err != nil || v == nil || c.NoWait() {
						return nil, err
					}
					return sharedKey(v), nil
				}},
			{Name: "reset", Short: "Reset a VPN connection shared key.", NoWait: true,
				Args: append(args(), &core.Arg{Dest: "key_length", Options: []string{"--key-length"}, Kind: core.Int, Required: true, Help: "The virtual network connection reset shared key length, should between 1 and 128."}),
				Examples: []core.Example{{Summary: "Reset the shared key on a connection.",
					Command: "az network vpn-connection shared-key reset -g MyResourceGroup --connection-name MyConnection --key-length 128"}},
				Run: func(c *core.Context) (any, error) {
					p, err := path(c)
					if err != nil {
						return nil, err
					}
					client, err := c.ARM()
					if err != nil {
						return nil, err
					}
					v, err := client.Post(c.Context(), p+"/reset", APIVersion, map[string]any{"keyLength": c.Int("key_length")}, c.NoWait())
					if err != nil || v == nil || c.NoWait() {
						return nil, err
					}
					return v, nil
				}},
		},
	}
}
