package network

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

var peeringView = &arm.Shape{Flatten: true}

func peeringResource() *core.Resource {
	return core.NewResource(PeeringType, vnetNameArg(), core.NameArg("The name of the VNet peering."))
}

func peeringGroup() *core.Group {
	r := peeringResource()
	out := aazOut("peering")
	update := &core.Command{
		Name: "update", Short: "Update a peering.", NoWait: true,
		Args: append(r.Args(true), core.UpdateArgs()...),
		Examples: []core.Example{{Summary: "Change forwarded traffic configuration of a peering.",
			Command: "az network vnet peering update -g MyResourceGroup -n MyVnet1ToMyVnet2 --vnet-name MyVnet1 --set allowForwardedTraffic=true"}},
		Run: func(c *core.Context) (any, error) {
			return updateResource(c, r, peeringView, nil, out)
		},
	}
	return &core.Group{
		Name:  "network vnet peering",
		Short: "Manage peering connections between Azure Virtual Networks.",
		Commands: []*core.Command{
			peeringCreate(r),
			shaped(r.ShowCommand("Show details of a peering.",
				core.Example{Summary: "Show all details of the specified virtual network peering.",
					Command: "az network vnet peering show -g MyResourceGroup -n MyVnet1ToMyVnet2 --vnet-name MyVnet1"}), out),
			shaped(r.ListCommand("List peerings.",
				core.Example{Summary: "List all peerings of a specified virtual network.",
					Command: "az network vnet peering list -g MyResourceGroup --vnet-name MyVnet1"}), out),
			r.DeleteCommand("Delete a peering.", true, false,
				core.Example{Summary: "Delete a virtual network peering connection.",
					Command: "az network vnet peering delete -g MyResourceGroup -n MyVnet1ToMyVnet2 --vnet-name MyVnet1"}),
			update,
			shaped(r.WaitCommand("Place the CLI in a waiting state until a condition is met."), out),
		},
	}
}

func peeringCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "remote_vnet", Options: []string{"--remote-vnet"}, Help: "Name or ID of the remote VNet."},
		boolArg("allow_forwarded_traffic", "--allow-forwarded-traffic",
			"Whether the forwarded traffic from the VMs in the local virtual network will be allowed/disallowed in remote virtual network."),
		boolArg("allow_gateway_transit", "--allow-gateway-transit",
			"If gateway links can be used in remote virtual networking to link to this virtual network."),
		boolArg("allow_vnet_access", "--allow-vnet-access",
			"Whether the VMs in the local virtual network space would be able to access the VMs in remote virtual network space."),
		boolArg("use_remote_gateways", "--use-remote-gateways",
			"Allows VNet to use the remote VNet's gateway. Remote VNet gateway must have --allow-gateway-transit enabled for remote peering. Only 1 peering can have this flag enabled. Cannot be set if the VNet already has a gateway."),
	)
	return &core.Command{
		Name: "create", Short: "Create a virtual network peering connection.", NoWait: true, Args: args,
		Long: "To successfully peer two virtual networks this command must be called twice with the values for --vnet-name and --remote-vnet reversed.",
		Examples: []core.Example{{Summary: "Create a peering connection between two virtual networks.",
			Command: "az network vnet peering create -g MyResourceGroup -n MyVnet1ToMyVnet2 --vnet-name MyVnet1 --remote-vnet MyVnet2Id --allow-vnet-access"}},
		Run: func(c *core.Context) (any, error) {
			// az 2.45 sends every flag, false unless given.
			props := map[string]any{
				"allowForwardedTraffic":     c.Bool("allow_forwarded_traffic"),
				"allowGatewayTransit":       c.Bool("allow_gateway_transit"),
				"allowVirtualNetworkAccess": c.Bool("allow_vnet_access"),
				"useRemoteGateways":         c.Bool("use_remote_gateways"),
			}
			if remote := c.String("remote_vnet"); remote != "" {
				id, err := resourceIDOf(c, remote, "virtualNetworks")
				if err != nil {
					return nil, err
				}
				props["remoteVirtualNetwork"] = subResource(id)
			}
			body := map[string]any{"name": c.String("name"), "properties": props}
			res, err := putResource(c, r, body)
			if err != nil || res == nil {
				return nil, err
			}
			return aazOutput("peering", res), nil
		},
	}
}
