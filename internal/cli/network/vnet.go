package network

import (
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// vnetView is the flattened model generic updates of a virtual network
// work on (--set subnets[0].addressPrefix=...).
var vnetView = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{
	"subnets":                subnetView,
	"virtualNetworkPeerings": {Flatten: true},
}}

func vnetResource() *core.Resource {
	return core.NewResource(VNetType, core.NameArg("The virtual network (VNet) name."))
}

func vnetGroup() *core.Group {
	r := vnetResource()
	out := aazOut("vnet")
	list := shaped(r.ListCommand("List virtual networks.",
		core.Example{Summary: "List all virtual networks in a subscription.", Command: "az network vnet list"},
		core.Example{Summary: "List all virtual networks in a resource group.", Command: "az network vnet list -g MyResourceGroup"},
	), out)
	list.TableQuery = vnetTableQuery
	del := r.DeleteCommand("Delete a virtual network.", true, false,
		core.Example{Summary: "Delete a virtual network.", Command: "az network vnet delete -g MyResourceGroup -n myVNet"})
	return &core.Group{
		// az 2.45's aaz command group carries this (misplaced) summary.
		Name:  "network vnet",
		Short: "Check if a private IP address is available for use within a virtual network.",
		Commands: []*core.Command{
			vnetCreate(r),
			showWithExpand(r, "Get the details of a virtual network.", out),
			list,
			del,
			vnetUpdate(r),
			shaped(r.WaitCommand("Place the CLI in a waiting state until a condition is met."), out),
		},
	}
}

func vnetPropertyArgs(update bool) []*core.Arg {
	prefixesHelp := "Space-separated list of IP address prefixes for the VNet. Default: 10.0.0.0/16."
	if update {
		prefixesHelp = "Space-separated list of IP address prefixes for the VNet."
	}
	return []*core.Arg{
		{Dest: "address_prefixes", Options: []string{"--address-prefixes"}, Kind: core.List, Help: prefixesHelp},
		{Dest: "bgp_community", Options: []string{"--bgp-community"}, Help: "The BGP community associated with the virtual network."},
		{Dest: "ddos_protection_plan", Options: []string{"--ddos-protection-plan"}, Help: "Name or ID of a DDoS protection plan to associate with the VNet."},
		{Dest: "dns_servers", Options: []string{"--dns-servers"}, Kind: core.List, Help: "Space-separated list of DNS server IP addresses."},
		boolArg("ddos_protection", "--ddos-protection", "Control whether DDoS protection is enabled."),
		boolArg("vm_protection", "--vm-protection", "Enable VM protection for all subnets in the VNet."),
		boolArg("enable_encryption", "--enable-encryption", "Enable encryption on the virtual network."),
		{Dest: "encryption_enforcement_policy", Options: []string{"--encryption-policy", "--encryption-enforcement-policy"},
			Choices: []string{"AllowUnencrypted", "DropUnencrypted"},
			Help:    "To control if the Virtual Machine without encryption is allowed in encrypted Virtual Network or not."},
		{Dest: "flowtimeout", Options: []string{"--flowtimeout"}, Kind: core.Int, Help: "The FlowTimeout value (in minutes) for the Virtual Network."},
	}
}

func vnetCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true), core.LocationArg(false))
	args = append(args, vnetPropertyArgs(false)...)
	const sg = "Subnet"
	args = append(args,
		core.TagsArg(),
		&core.Arg{Dest: "edge_zone", Options: []string{"--edge-zone"}, Help: "The name of edge zone."},
		&core.Arg{Dest: "subnet_name", Options: []string{"--subnet-name"}, Group: sg, Help: "Name of a new subnet to create within the VNet."},
		&core.Arg{Dest: "subnet_prefixes", Options: []string{"--subnet-prefixes"}, Kind: core.List, Group: sg,
			Help: "Space-separated list of address prefixes in CIDR format for the new subnet. If omitted, automatically reserves a /24 (or as large as available) block within the VNet address space."},
		&core.Arg{Dest: "subnet_nsg", Options: []string{"--nsg", "--network-security-group"}, Group: sg, Help: "Name or ID of a network security group (NSG)."},
	)
	return &core.Command{
		Name: "create", Short: "Create a virtual network.", NoWait: true, Args: args,
		Long: "You may also create a subnet at the same time by specifying a subnet name and (optionally) an address prefix. To learn about how to create a virtual network visit https://docs.microsoft.com/azure/virtual-network/manage-virtual-network#create-a-virtual-network.",
		Examples: []core.Example{
			{Summary: "Create a virtual network with a specific address prefix and one subnet.",
				Command: "az network vnet create -g MyResourceGroup -n MyVnet --address-prefix 10.0.0.0/16 --subnet-name MySubnet --subnet-prefixes 10.0.0.0/24"},
			{Summary: "Create a virtual network.",
				Command: "az network vnet create --address-prefixes 10.0.0.0/16 --name MyVirtualNetwork --resource-group MyResourceGroup --subnet-name MyAseSubnet --subnet-prefixes 10.0.0.0/24"},
		},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			prefixes := c.List("address_prefixes")
			if prefixes == nil {
				prefixes = []string{"10.0.0.0/16"}
			}
			props := map[string]any{
				"addressSpace":         map[string]any{"addressPrefixes": listOfStrings(prefixes)},
				"enableDdosProtection": c.Bool("ddos_protection"),
				"enableVmProtection":   c.Bool("vm_protection"),
			}
			if err := applyVNetProperties(c, props); err != nil {
				return nil, err
			}
			if name := c.String("subnet_name"); name != "" {
				sp := map[string]any{}
				switch sub := c.List("subnet_prefixes"); {
				case len(sub) == 0:
					if len(prefixes) == 0 {
						return nil, core.Errorf("list index out of range")
					}
					addr, bits, _ := strings.Cut(prefixes[0], "/")
					mask := bits
					if n, err := strconv.Atoi(bits); err != nil {
						return nil, core.Errorf("invalid literal for int() with base 10: '%s'", bits)
					} else if n < 24 {
						mask = "24"
					}
					sp["addressPrefix"] = addr + "/" + mask
				case len(sub) == 1:
					sp["addressPrefix"] = sub[0]
				default:
					sp["addressPrefixes"] = listOfStrings(sub)
				}
				if nsg := c.String("subnet_nsg"); nsg != "" {
					id, err := resourceIDOf(c, nsg, "networkSecurityGroups")
					if err != nil {
						return nil, err
					}
					sp["networkSecurityGroup"] = subResource(id)
				}
				props["subnets"] = []any{map[string]any{"name": name, "properties": sp}}
			}
			body := map[string]any{"location": loc, "properties": props}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			if ez := c.String("edge_zone"); ez != "" {
				body["extendedLocation"] = map[string]any{"name": ez, "type": "EdgeZone"}
			}
			res, err := putResource(c, r, body)
			if err != nil || res == nil {
				return nil, err
			}
			return map[string]any{"newVNet": aazOutput("vnet", res)}, nil
		},
	}
}

// applyVNetProperties sets the optional properties vnet create and update
// share on a flattened properties object.
func applyVNetProperties(c *core.Context, props map[string]any) error {
	if c.Has("bgp_community") {
		props["bgpCommunities"] = map[string]any{"virtualNetworkCommunity": c.String("bgp_community")}
	}
	if c.Has("ddos_protection_plan") {
		switch v := c.String("ddos_protection_plan"); v {
		case "", "null":
			if v == "" {
				c.Warnf("It's recommended to detach it by null, empty string (\"\") will be deprecated.")
			}
			props["ddosProtectionPlan"] = nil
		default:
			id, err := resourceIDOf(c, v, "ddosProtectionPlans")
			if err != nil {
				return err
			}
			props["ddosProtectionPlan"] = subResource(id)
		}
	}
	if c.Has("dns_servers") {
		servers := c.List("dns_servers")
		if len(servers) == 1 && (servers[0] == "" || servers[0] == "null") {
			if servers[0] == "" {
				c.Warnf("It's recommended to detach it by null, empty string (\"\") will be deprecated.")
			}
			if d, ok := props["dhcpOptions"].(map[string]any); ok {
				d["dnsServers"] = nil
			}
		} else {
			ensureMap(props, "dhcpOptions")["dnsServers"] = listOfStrings(servers)
		}
	}
	if c.Has("enable_encryption") {
		ensureMap(props, "encryption")["enabled"] = c.Bool("enable_encryption")
	}
	if c.Has("encryption_enforcement_policy") {
		ensureMap(props, "encryption")["enforcement"] = c.String("encryption_enforcement_policy")
	}
	if c.Has("flowtimeout") {
		props["flowTimeoutInMinutes"] = c.Int("flowtimeout")
	}
	return nil
}

func vnetUpdate(r *core.Resource) *core.Command {
	args := append(r.Args(true), vnetPropertyArgs(true)...)
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a virtual network.", NoWait: true, Args: args,
		Examples: []core.Example{
			{Summary: "Update a virtual network with the IP address of a DNS server.",
				Command: "az network vnet update -g MyResourceGroup -n MyVNet --dns-servers 10.2.0.8"},
			{Summary: "Update a virtual network to delete DNS server.",
				Command: "az network vnet update -g MyResourceGroup -n MyVNet --dns-servers null"},
		},
		Run: func(c *core.Context) (any, error) {
			return updateResource(c, r, vnetView, func(c *core.Context, obj map[string]any) error {
				if c.Has("address_prefixes") {
					ensureMap(obj, "addressSpace")["addressPrefixes"] = listOfStrings(c.List("address_prefixes"))
				}
				if c.Has("ddos_protection") {
					obj["enableDdosProtection"] = c.Bool("ddos_protection")
				}
				if c.Has("vm_protection") {
					obj["enableVmProtection"] = c.Bool("vm_protection")
				}
				return applyVNetProperties(c, obj)
			}, aazOut("vnet"))
		},
	}
}

// putResource PUTs body to the resource named by the command's arguments,
// waiting unless --no-wait; it returns the decoded final body (nil with
// --no-wait).
func putResource(c *core.Context, r *core.Resource, body any) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	return client.Put(c.Context(), p, r.Type.APIVersion, body, c.NoWait())
}

// vnetTableQuery is az's transform_vnet_table_output as JMESPath (az's
// OrderedDict keeps this column order).
const vnetTableQuery = "[].{Name:name, ResourceGroup:resourceGroup, Location:location, " +
	"NumSubnets:length(subnets || `[]`), Prefixes:join(', ', addressSpace.addressPrefixes || `[]`) || ' ', " +
	"DnsServers:join(', ', dhcpOptions.dnsServers || `[]`) || ' ', DDOSProtection:enableDdosProtection, VMProtection:enableVmProtection}"
