package network

import (
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// subnetView is the flattened model generic updates of a subnet work on.
var subnetView = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{
	"delegations": {Flatten: true},
}}

func subnetResource() *core.Resource {
	return core.NewResource(SubnetType, vnetNameArg(), core.NameArg("The subnet name."))
}

func subnetGroup() *core.Group {
	r := subnetResource()
	out := aazOut("subnet")
	return &core.Group{
		Name:  "network vnet subnet",
		Short: "Manage subnets in an Azure Virtual Network.",
		Commands: []*core.Command{
			subnetCreate(r),
			showWithExpand(r, "Show details of a subnet.", out),
			shaped(r.ListCommand("List the subnets in a virtual network.",
				core.Example{Summary: "List the subnets in a virtual network.", Command: "az network vnet subnet list -g MyResourceGroup --vnet-name MyVNet"}), out),
			r.DeleteCommand("Delete a subnet.", true, false,
				core.Example{Summary: "Delete a subnet.", Command: "az network vnet subnet delete -g MyResourceGroup -n MySubnet --vnet-name MyVNet"}),
			subnetUpdate(r),
			shaped(r.WaitCommand("Place the CLI in a waiting state until a condition is met."), out),
		},
	}
}

// subnetPropertyArgs are the arguments subnet create and update share.
func subnetPropertyArgs(update bool) []*core.Arg {
	detach := ""
	if update {
		detach = " Use null to detach it."
	}
	return []*core.Arg{
		{Dest: "address_prefixes", Options: []string{"--address-prefixes"}, Kind: core.List,
			Help: "Space-separated list of address prefixes in CIDR format."},
		{Dest: "nat_gateway", Options: []string{"--nat-gateway"}, Help: "Name or ID of a NAT gateway to attach." + detach},
		{Dest: "network_security_group", Options: []string{"--nsg", "--network-security-group"},
			Help: "Name or ID of a network security group (NSG)." + detach},
		{Dest: "route_table", Options: []string{"--route-table"}, Help: "Name or ID of a route table to associate with the subnet." + detach},
		{Dest: "delegations", Options: []string{"--delegations"}, Kind: core.List,
			Help: "Space-separated list of services to whom the subnet should be delegated, e.g., Microsoft.Sql/servers."},
		{Dest: "service_endpoints", Options: []string{"--service-endpoints"}, Kind: core.List,
			Help: "Space-separated list of services allowed private access to this subnet. Values from: az network vnet list-endpoint-services."},
		{Dest: "service_endpoint_policy", Options: []string{"--service-endpoint-policy"}, Kind: core.List,
			Help: "Space-separated list of names or IDs of service endpoint policies to apply."},
		boolArg("disable_private_endpoint_network_policies", "--disable-private-endpoint-network-policies",
			"Disable private endpoint network policies on the subnet."),
		boolArg("disable_private_link_service_network_policies", "--disable-private-link-service-network-policies",
			"Disable private link service network policies on the subnet."),
		// Later az versions' spellings (az 2.45 has only the --disable-* flags).
		{Dest: "private_endpoint_network_policies", Options: []string{"--private-endpoint-network-policies"},
			Choices: []string{"Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"},
			Help:    "Enable or disable apply network policies on private endpoint in the subnet."},
		{Dest: "private_link_service_network_policies", Options: []string{"--private-link-service-network-policies"},
			Choices: []string{"Disabled", "Enabled"},
			Help:    "Enable or disable apply network policies on private link service in the subnet."},
	}
}

func subnetCreate(r *core.Resource) *core.Command {
	return &core.Command{
		Name: "create", Short: "Create a subnet and associate an existing NSG and route table.", NoWait: true,
		Args: append(r.Args(true), subnetPropertyArgs(false)...),
		Examples: []core.Example{
			{Summary: "Create new subnet attached to an NSG with a custom route table.",
				Command: "az network vnet subnet create -g MyResourceGroup --vnet-name MyVnet -n MySubnet --address-prefixes 10.0.0.0/24 --network-security-group MyNsg --route-table MyRouteTable"},
			{Summary: "Create new subnet attached to a NAT gateway.",
				Command: "az network vnet subnet create -n MySubnet --vnet-name MyVnet -g MyResourceGroup --nat-gateway MyNatGateway --address-prefixes \"10.0.0.0/21\""},
		},
		Run: func(c *core.Context) (any, error) {
			flat := map[string]any{"name": c.String("name")}
			if err := applySubnetArgs(c, flat); err != nil {
				return nil, err
			}
			res, err := putResource(c, r, subnetView.Unflatten(flat))
			if err != nil || res == nil {
				return nil, err
			}
			return aazOutput("subnet", res), nil
		},
	}
}

// applySubnetArgs applies the subnet arguments given on the command line
// to a flattened subnet object (a new subnet's properties, or the view of
// an existing one).
func applySubnetArgs(c *core.Context, props map[string]any) error {
	if c.Has("address_prefixes") {
		// az's _handle_plural_or_singular: one prefix goes to addressPrefix.
		if p := c.List("address_prefixes"); len(p) == 1 {
			props["addressPrefix"] = p[0]
			props["addressPrefixes"] = nil
		} else {
			props["addressPrefix"] = nil
			props["addressPrefixes"] = listOfStrings(p)
		}
	}
	refs := []struct{ dest, prop, typ string }{
		{"nat_gateway", "natGateway", "natGateways"},
		{"network_security_group", "networkSecurityGroup", "networkSecurityGroups"},
		{"route_table", "routeTable", "routeTables"},
	}
	for _, ref := range refs {
		if !c.Has(ref.dest) {
			continue
		}
		v := c.String(ref.dest)
		if v == "" || v == "null" {
			if v == "" && c.Command() == "network vnet subnet update" {
				c.Warnf("It's recommended to detach it by null, empty string (\"\") will be deprecated.")
			}
			props[ref.prop] = nil
			continue
		}
		id, err := resourceIDOf(c, v, ref.typ)
		if err != nil {
			return err
		}
		props[ref.prop] = subResource(id)
	}
	if c.Has("delegations") {
		var dels []any
		for i, svc := range c.List("delegations") {
			// "Microsoft.Sql.servers" style names become "Microsoft.Sql/servers".
			if !strings.Contains(svc, "/") {
				if parts := strings.Split(svc, "."); len(parts) == 3 {
					svc = "Microsoft." + parts[1] + "/" + parts[2]
				}
			}
			dels = append(dels, map[string]any{"name": strconv.Itoa(i), "serviceName": svc})
		}
		props["delegations"] = listOrNull(dels)
	}
	if c.Has("service_endpoints") {
		var eps []any
		for _, s := range c.List("service_endpoints") {
			if s == "" || s == "null" {
				continue
			}
			eps = append(eps, map[string]any{"service": s})
		}
		props["serviceEndpoints"] = listOrNull(eps)
	}
	if c.Has("service_endpoint_policy") {
		var pols []any
		for _, s := range c.List("service_endpoint_policy") {
			if s == "" || s == "null" {
				continue
			}
			id, err := resourceIDOf(c, s, "serviceEndpointPolicies")
			if err != nil {
				return err
			}
			pols = append(pols, subResource(id))
		}
		props["serviceEndpointPolicies"] = listOrNull(pols)
	}
	// --disable-*-network-policies: true (or alone) means Disabled.
	for _, p := range []struct{ flag, explicit, prop string }{
		{"disable_private_endpoint_network_policies", "private_endpoint_network_policies", "privateEndpointNetworkPolicies"},
		{"disable_private_link_service_network_policies", "private_link_service_network_policies", "privateLinkServiceNetworkPolicies"},
	} {
		if c.Has(p.flag) {
			props[p.prop] = "Enabled"
			if c.Bool(p.flag) {
				props[p.prop] = "Disabled"
			}
		}
		if c.Has(p.explicit) {
			props[p.prop] = c.String(p.explicit)
		}
	}
	return nil
}

// listOrNull returns l, or nil (which removes the property) when empty.
func listOrNull(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

func subnetUpdate(r *core.Resource) *core.Command {
	args := append(r.Args(true), subnetPropertyArgs(true)...)
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a subnet.", NoWait: true, Args: args,
		Examples: []core.Example{
			{Summary: "Associate a network security group to a subnet.",
				Command: "az network vnet subnet update -g MyResourceGroup -n MySubnet --vnet-name MyVNet --network-security-group MyNsg"},
			{Summary: "Update subnet with NAT gateway.",
				Command: "az network vnet subnet update -n MySubnet --vnet-name MyVnet -g MyResourceGroup --nat-gateway MyNatGateway --address-prefixes \"10.0.0.0/21\""},
			{Summary: "Disable the private endpoint network policies.",
				Command: "az network vnet subnet update -n MySubnet --vnet-name MyVnet -g MyResourceGroup --disable-private-endpoint-network-policies"},
		},
		Run: func(c *core.Context) (any, error) {
			return updateResource(c, r, subnetView, applySubnetArgs, aazOut("subnet"))
		},
	}
}
