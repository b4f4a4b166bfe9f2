package nsg

import (
	"github.com/privlink/privlink/internal/cli/core"
)

// routeNextHopTypes are the --next-hop-type values of az 2.45 (api-version
// 2022-01-01).
var routeNextHopTypes = []string{"Internet", "None", "VirtualAppliance", "VirtualNetworkGateway", "VnetLocal"}

func bgpArg(help string) *core.Arg {
	return &core.Arg{Dest: "disable_bgp_route_propagation", Options: []string{"--disable-bgp-route-propagation"},
		Kind: core.TriState, Help: help}
}

func routeTableGroup() *core.Group {
	res := core.NewResource(RouteTableType, core.NameArg("Name of the route table."))
	create := &core.Command{
		Name: "create", Short: "Create a route table.", NoWait: true,
		Args: append(res.Args(true), core.LocationArg(false),
			bgpArg("Disable routes learned by BGP.  Allowed values: false, true."), core.TagsArg()),
		Examples: []core.Example{{
			Summary: "Create a route table.",
			Command: "az network route-table create -g MyResourceGroup -n MyRouteTable",
		}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			props := map[string]any{}
			if b := c.OptBool("disable_bgp_route_propagation"); b != nil {
				props["disableBgpRoutePropagation"] = *b
			}
			body := map[string]any{"location": loc, "properties": props}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			return res.Put(c, body)
		},
	}
	update := res.UpdateCommand("Update a route table.",
		[]*core.Arg{bgpArg("Disable routes learned by BGP.  Allowed values: false, true."), tagsUpdateArg()},
		func(c *core.Context, obj map[string]any) error {
			if b := c.OptBool("disable_bgp_route_propagation"); b != nil {
				obj["disableBgpRoutePropagation"] = *b
			}
			return applyTags(c, obj)
		},
		core.Example{
			Summary: "Update a route table to disable the BGP route propagation.",
			Command: "az network route-table update -g MyResourceGroup -n MyRouteTable --disable-bgp-route-propagation true",
		})
	return &core.Group{
		Name:  "network route-table",
		Short: "Manage route tables.",
		Commands: aaz(
			create,
			res.ShowCommand("Get the details of a route table.", core.Example{
				Summary: "Get the details of a route table.",
				Command: "az network route-table show -g MyResourceGroup -n MyRouteTable",
			}),
			res.ListCommand("List route tables.", core.Example{
				Summary: "List all route tables in a subscription.",
				Command: "az network route-table list -g MyResourceGroup",
			}),
			res.DeleteCommand("Delete a route table.", true, false, core.Example{
				Summary: "Delete a route table.",
				Command: "az network route-table delete -g MyResourceGroup -n MyRouteTable",
			}),
			update,
			res.WaitCommand("Place the CLI in a waiting state until a condition of the route table is met."),
		),
	}
}

// routeArgs are the route properties' arguments.
func routeArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "address_prefix", Options: []string{"--address-prefix"},
			Help: "The destination CIDR to which the route applies."},
		{Dest: "next_hop_ip_address", Options: []string{"--next-hop-ip-address"},
			Help: "The IP address packets should be forwarded to when using the VirtualAppliance hop type."},
		{Dest: "next_hop_type", Options: []string{"--next-hop-type"}, Choices: routeNextHopTypes,
			Help: "The type of Azure hop the packet should be sent to."},
	}
}

func routeGroup() *core.Group {
	res := core.NewResource(RouteType,
		&core.Arg{Dest: "route_table_name", Options: []string{"--route-table-name"}, Help: "Route table name."},
		core.NameArg("Route name."))
	create := &core.Command{
		Name: "create", Short: "Create a route in a route table.", NoWait: true,
		Args: append(res.Args(true), routeArgs()...),
		Examples: []core.Example{{
			Summary: "Create a route that forces all inbound traffic to a Network Virtual Appliance.",
			Command: "az network route-table route create -g MyResourceGroup --route-table-name MyRouteTable -n MyRoute --next-hop-type VirtualAppliance --address-prefix 10.0.0.0/16 --next-hop-ip-address 10.0.100.4",
		}},
		Run: func(c *core.Context) (any, error) {
			props := map[string]any{}
			for dest, prop := range routeProps {
				if c.Has(dest) {
					props[prop] = c.String(dest)
				}
			}
			return res.Put(c, map[string]any{"name": c.String("name"), "properties": props})
		},
	}
	update := res.UpdateCommand("Update a route in a route table.", routeArgs(),
		func(c *core.Context, obj map[string]any) error {
			for dest, prop := range routeProps {
				if !c.Has(dest) {
					continue
				}
				if v := c.String(dest); nullable(v) {
					delete(obj, prop)
				} else {
					obj[prop] = v
				}
			}
			return nil
		},
		core.Example{
			Summary: "Update a route in a route table to use a new next hop IP address.",
			Command: "az network route-table route update -g MyResourceGroup --route-table-name MyRouteTable -n MyRoute --next-hop-ip-address 10.0.100.5",
		})
	return &core.Group{
		Name:  "network route-table route",
		Short: "Manage routes in a route table.",
		Commands: aaz(
			create,
			res.ShowCommand("Get the details of a route in a route table.", core.Example{
				Summary: "Get the details of a route in a route table.",
				Command: "az network route-table route show -g MyResourceGroup --route-table-name MyRouteTable -n MyRoute -o table",
			}),
			res.ListCommand("List routes in a route table.", core.Example{
				Summary: "List routes in a route table.",
				Command: "az network route-table route list -g MyResourceGroup --route-table-name MyRouteTable",
			}),
			res.DeleteCommand("Delete a route from a route table.", true, false, core.Example{
				Summary: "Delete a route from a route table.",
				Command: "az network route-table route delete -g MyResourceGroup --route-table-name MyRouteTable -n MyRoute",
			}),
			update,
			res.WaitCommand("Place the CLI in a waiting state until a condition of the route is met."),
		),
	}
}

// routeProps maps the route arguments to their properties.
var routeProps = map[string]string{
	"address_prefix":      "addressPrefix",
	"next_hop_ip_address": "nextHopIpAddress",
	"next_hop_type":       "nextHopType",
}
