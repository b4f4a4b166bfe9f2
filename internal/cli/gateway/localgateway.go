package gateway

import "github.com/privlink/privlink/internal/cli/core"

func localGatewayResource() *core.Resource {
	return core.NewResource(LocalGatewayType, core.NameArg("Name of the local network gateway."))
}

func localGatewayGroup() *core.Group {
	r := localGatewayResource()
	extra := append([]*core.Arg{core.TagsArg(),
		{Dest: "gateway_ip_address", Options: []string{"--gateway-ip-address"}, Help: "Gateway's public IP address. (e.g. 10.1.1.1)."},
		{Dest: "local_address_prefixes", Options: []string{"--local-address-prefixes"}, Kind: core.List, Help: "List of CIDR block prefixes representing the address space of the OnPremise VPN's subnet."},
	}, bgpArgs()...)
	return &core.Group{
		Name:  "network local-gateway",
		Short: "Manage local gateways.",
		Commands: []*core.Command{
			localGatewayCreate(),
			r.ShowCommand("Get the details of a local VPN gateway.",
				core.Example{Summary: "Get the details of a local VPN gateway.", Command: "az network local-gateway show -g MyResourceGroup -n MyLocalGateway"}),
			localGatewayList(r),
			r.DeleteCommand("Delete a local VPN gateway.", true, false,
				core.Example{Summary: "Delete a local VPN gateway.", Command: "az network local-gateway delete -g MyResourceGroup -n MyLocalGateway"}),
			r.UpdateCommand("Update a local VPN gateway.", extra, applyLocalGateway,
				core.Example{Summary: "Update a Local Network Gateway provisioning with a different address prefix.", Command: "az network local-gateway update -g MyResourceGroup -n MyLocalGateway --local-address-prefixes 10.0.0.0/24 20.0.0.0/24"}),
			r.WaitCommand("Place the CLI in a waiting state until a condition of the local gateway is met."),
		},
	}
}

// applyLocalGateway applies the update flags to a flattened local gateway.
func applyLocalGateway(c *core.Context, obj map[string]any) error {
	tagsUpdate(c, obj)
	if c.Has("gateway_ip_address") {
		obj["gatewayIpAddress"] = c.String("gateway_ip_address")
	}
	if c.Has("local_address_prefixes") {
		obj["localNetworkAddressSpace"] = map[string]any{"addressPrefixes": c.List("local_address_prefixes")}
	}
	applyBGP(c, obj)
	return nil
}

func localGatewayCreate() *core.Command {
	args := append([]*core.Arg{core.ResourceGroupArg(true), core.NameArg("Name of the local network gateway."), core.LocationArg(false), core.TagsArg(),
		{Dest: "gateway_ip_address", Options: []string{"--gateway-ip-address"}, Help: "Gateway's public IP address. (e.g. 10.1.1.1)."},
		{Dest: "local_address_prefixes", Options: []string{"--local-address-prefixes"}, Kind: core.List, Help: "List of CIDR block prefixes representing the address space of the OnPremise VPN's subnet."},
	}, bgpArgs()...)
	return &core.Command{
		Name: "create", Short: "Create a local VPN gateway.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{{Summary: "Create a Local Network Gateway to represent your on-premises site.",
			Command: "az network local-gateway create -g MyResourceGroup -n MyLocalGateway --gateway-ip-address 23.99.221.164 --local-address-prefixes 10.0.0.0/24 20.0.0.0/24"}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			obj := map[string]any{"localNetworkAddressSpace": map[string]any{"addressPrefixes": []string{}}}
			if err := applyLocalGateway(c, obj); err != nil {
				return nil, err
			}
			delete(obj, "tags")
			body := map[string]any{"location": loc, "properties": obj}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			out, err := putAndShape(c, LocalGatewayType, LocalGatewayType.Path(sub, c.String("resource_group"), c.String("name")), body)
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// localGatewayTable is az's transform_local_gateway_table_output as a query:
// the first address prefix, followed by ", ..." when there are more.
const localGatewayTable = "[].{Name:name, Location:location, ResourceGroup:resourceGroup, ProvisioningState:provisioningState, " +
	"GatewayIpAddress:gatewayIpAddress, AddressPrefixes:join('', [localNetworkAddressSpace.addressPrefixes[0] || ' ', " +
	"(length(localNetworkAddressSpace.addressPrefixes || `[]`) > `1` && ', ...') || ''])}"

func localGatewayList(r *core.Resource) *core.Command {
	cmd := r.ListCommand("List all local VPN gateways in a resource group.",
		core.Example{Summary: "List all local VPN gateways in a resource group.", Command: "az network local-gateway list -g MyResourceGroup"})
	cmd.TableQuery = localGatewayTable
	return cmd
}
