package network

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// nicView is the flattened model generic updates of a network interface
// work on. Paths match case-insensitively, so az's model spellings
// (--set enableIpForwarding=true) reach the wire names.
var nicView = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{
	"ipConfigurations": {Flatten: true},
}}

const nicModel = "NetworkInterface"

func nicResource() *core.Resource {
	return core.NewResource(NICType, core.NameArg("The network interface (NIC)."))
}

func nicGroup() *core.Group {
	r := nicResource()
	out := sdkOut(nicModel)
	return &core.Group{
		Name:  "network nic",
		Short: "Manage network interfaces.",
		Commands: []*core.Command{
			nicCreate(r),
			shaped(r.ShowCommand("Get the details of a network interface.",
				core.Example{Summary: "Get the internal domain name suffix of a NIC.",
					Command: "az network nic show -g MyResourceGroup -n MyNic --query \"dnsSettings.internalDomainNameSuffix\""}), out),
			shaped(r.ListCommand("List network interfaces.",
				core.Example{Summary: "List all NICs by internal DNS suffix.",
					Command: "az network nic list --query \"[?dnsSettings.internalDomainNameSuffix=`{dnsSuffix}`]\""}), out),
			r.DeleteCommand("Delete a network interface.", true, false,
				core.Example{Summary: "Delete a network interface.", Command: "az network nic delete -g MyResourceGroup -n MyNic"}),
			nicUpdate(r),
			shaped(r.WaitCommand("Place the CLI in a waiting state until a condition of the network interface is met."), out),
		},
	}
}

func nicCreate(r *core.Resource) *core.Command {
	args := r.Args(true)
	for _, a := range args {
		a.IDPart = ""
	}
	const dns, lb, ag = "DNS", "Load Balancer", "Application Gateway"
	args = append(args,
		&core.Arg{Dest: "subnet", Options: []string{"--subnet"}, Required: true,
			Help: "Name or ID of an existing subnet. If name specified, also specify --vnet-name. If you want to use an existing subnet in other resource group or subscription, please provide the ID instead of the name of the subnet and do not specify the --vnet-name."},
		&core.Arg{Dest: "vnet_name", Options: []string{"--vnet-name"}, Help: "The virtual network (VNet) name."},
		core.LocationArg(false),
		core.TagsArg(),
		&core.Arg{Dest: "internal_dns_name", Options: []string{"--internal-dns-name"}, Group: dns, Help: "The internal DNS name label."},
		&core.Arg{Dest: "dns_servers", Options: []string{"--dns-servers"}, Kind: core.List, Group: dns, Help: "Space-separated list of DNS server IP addresses."},
		boolArg("ip_forwarding", "--ip-forwarding", "Enable IP forwarding."),
		boolArg("accelerated_networking", "--accelerated-networking", "Enable accelerated networking."),
		&core.Arg{Dest: "network_security_group", Options: []string{"--network-security-group"},
			Help: "Name or ID of an existing network security group, or none by default."},
		&core.Arg{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Help: "Static private IP address to use."},
		&core.Arg{Dest: "private_ip_address_version", Options: []string{"--private-ip-address-version"},
			Choices: []string{"IPv4", "IPv6"}, Default: "IPv4", Help: "The private IP address version to use."},
		&core.Arg{Dest: "public_ip_address", Options: []string{"--public-ip-address"},
			Help: "Name or ID of an existing public IP address, or none by default."},
		&core.Arg{Dest: "application_security_groups", Options: []string{"--application-security-groups", "--asgs"}, Kind: core.List,
			Help: "Space-separated list of application security groups."},
		&core.Arg{Dest: "lb_name", Options: []string{"--lb-name"}, Group: lb,
			Help: "The name of the load balancer to use when adding NAT rules or address pools by name (ignored when IDs are specified)."},
		&core.Arg{Dest: "lb_address_pools", Options: []string{"--lb-address-pools"}, Kind: core.List, Group: lb,
			Help: "Space-separated list of names or IDs of load balancer address pools to associate with the NIC. If names are used, --lb-name must be specified."},
		&core.Arg{Dest: "lb_inbound_nat_rules", Options: []string{"--lb-inbound-nat-rules"}, Kind: core.List, Group: lb,
			Help: "Space-separated list of names or IDs of load balancer inbound NAT rules to associate with the NIC. If names are used, --lb-name must be specified."},
		&core.Arg{Dest: "gateway_name", Options: []string{"--gateway-name"}, Group: ag,
			Help: "The name of the application gateway to use when adding address pools by name (ignored when IDs are specified)."},
		&core.Arg{Dest: "app_gateway_address_pools", Options: []string{"--app-gateway-address-pools"}, Kind: core.List, Group: ag,
			Help: "Space-separated list of names or IDs of application gateway backend address pools to associate with the NIC. If names are used, --gateway-name must be specified."},
		&core.Arg{Dest: "edge_zone", Options: []string{"--edge-zone"}, Help: "The name of edge zone."},
	)
	return &core.Command{
		Name: "create", Short: "Create a network interface.", NoWait: true, Args: args,
		Examples: []core.Example{
			{Summary: "Create a network interface for a specified subnet on a specified virtual network.",
				Command: "az network nic create -g MyResourceGroup --vnet-name MyVnet --subnet MySubnet -n MyNic"},
			{Summary: "Create a network interface for a specified subnet on a virtual network which allows IP forwarding subject to a network security group.",
				Command: "az network nic create -g MyResourceGroup --vnet-name MyVnet --subnet MySubnet -n MyNic --ip-forwarding --network-security-group MyNsg"},
		},
		Run: runNICCreate(r),
	}
}

func runNICCreate(r *core.Resource) core.RunFunc {
	return func(c *core.Context) (any, error) {
		loc, err := c.Location("location", "resource_group")
		if err != nil {
			return nil, err
		}
		subnet, err := nicSubnetID(c)
		if err != nil {
			return nil, err
		}
		method := "Dynamic"
		ipc := map[string]any{"subnet": subResource(subnet)}
		if ip := c.String("private_ip_address"); ip != "" {
			method = "Static"
			ipc["privateIPAddress"] = ip
		}
		ipc["privateIPAllocationMethod"] = method
		ipc["privateIPAddressVersion"] = c.String("private_ip_address_version")
		if pip := c.String("public_ip_address"); pip != "" {
			id, err := resourceIDOf(c, pip, "publicIPAddresses")
			if err != nil {
				return nil, err
			}
			ipc["publicIPAddress"] = subResource(id)
		}
		refLists := []struct{ dest, prop, parentDest, parentType, childType string }{
			{"lb_address_pools", "loadBalancerBackendAddressPools", "lb_name", "loadBalancers", "backendAddressPools"},
			{"lb_inbound_nat_rules", "loadBalancerInboundNatRules", "lb_name", "loadBalancers", "inboundNatRules"},
			{"app_gateway_address_pools", "applicationGatewayBackendAddressPools", "gateway_name", "applicationGateways", "backendAddressPools"},
		}
		for _, rl := range refLists {
			var refs []any
			for _, v := range c.List(rl.dest) {
				id := v
				if !isResourceID(v) {
					parent := c.String(rl.parentDest)
					if parent == "" {
						return nil, core.Usagef("usage error: --%s NAME --%s NAME [NAME ...] | --%s ID [ID ...]",
							strings.ReplaceAll(rl.parentDest, "_", "-"), strings.ReplaceAll(rl.dest, "_", "-"), strings.ReplaceAll(rl.dest, "_", "-"))
					}
					pid, err := resourceIDOf(c, parent, rl.parentType)
					if err != nil {
						return nil, err
					}
					id = pid + "/" + rl.childType + "/" + v
				}
				refs = append(refs, subResource(id))
			}
			if refs != nil {
				ipc[rl.prop] = refs
			}
		}
		if asgs := c.List("application_security_groups"); asgs != nil {
			var refs []any
			for _, a := range asgs {
				id, err := resourceIDOf(c, a, "applicationSecurityGroups")
				if err != nil {
					return nil, err
				}
				refs = append(refs, subResource(id))
			}
			ipc["applicationSecurityGroups"] = refs
		}
		dnsSettings := map[string]any{"dnsServers": listOfStrings(c.List("dns_servers"))}
		if l := c.String("internal_dns_name"); l != "" {
			dnsSettings["internalDnsNameLabel"] = l
		}
		props := map[string]any{
			"ipConfigurations":   []any{map[string]any{"name": "ipconfig1", "properties": ipc}},
			"dnsSettings":        dnsSettings,
			"enableIPForwarding": c.Bool("ip_forwarding"),
		}
		if c.Has("accelerated_networking") {
			props["enableAcceleratedNetworking"] = c.Bool("accelerated_networking")
		}
		if nsg := c.String("network_security_group"); nsg != "" {
			id, err := resourceIDOf(c, nsg, "networkSecurityGroups")
			if err != nil {
				return nil, err
			}
			props["networkSecurityGroup"] = subResource(id)
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
		return map[string]any{"NewNIC": sdkOutput(nicModel, res)}, nil
	}
}

// nicSubnetID is az's subnet validator: --subnet ID, or --subnet NAME with
// --vnet-name.
func nicSubnetID(c *core.Context) (string, error) {
	subnet, vnet := c.String("subnet"), c.String("vnet_name")
	usage := core.Usagef("incorrect usage: ( --subnet ID | --subnet NAME --vnet-name NAME)")
	isID := isResourceID(subnet)
	switch {
	case subnet == "" && vnet != "":
		return "", usage
	case isID && vnet != "":
		return "", usage
	case !isID && vnet == "":
		return "", usage
	case isID:
		return subnet, nil
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return SubnetType.Path(sub, c.String("resource_group"), vnet, subnet), nil
}

func nicUpdate(r *core.Resource) *core.Command {
	const dns = "DNS"
	args := append(r.Args(true),
		&core.Arg{Dest: "network_security_group", Options: []string{"--network-security-group"},
			Help: "Name or ID of the associated network security group."},
		boolArg("ip_forwarding", "--ip-forwarding", "Enable IP forwarding."),
		boolArg("accelerated_networking", "--accelerated-networking", "Enable accelerated networking."),
		&core.Arg{Dest: "internal_dns_name", Options: []string{"--internal-dns-name"}, Group: dns, Help: "The internal DNS name label."},
		&core.Arg{Dest: "dns_servers", Options: []string{"--dns-servers"}, Kind: core.List, Group: dns,
			Help: "Space-separated list of DNS server IP addresses. Use \"\"('\"\"' in PowerShell) to revert to default Azure servers."},
	)
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a network interface.", NoWait: true, Args: args,
		Examples: []core.Example{
			{Summary: "Update a network interface to use a different network security group.",
				Command: "az network nic update -g MyResourceGroup -n MyNic --network-security-group MyNewNsg"},
			{Summary: "Update an IP configuration's private IP address.",
				Command: "az network nic update -g MyResourceGroup -n MyNic --set ipConfigurations[0].privateIPAddress=10.0.0.10"},
		},
		Run: func(c *core.Context) (any, error) {
			return updateResource(c, r, nicView, func(c *core.Context, obj map[string]any) error {
				if c.Has("ip_forwarding") {
					obj["enableIPForwarding"] = c.Bool("ip_forwarding")
				}
				if c.Has("network_security_group") {
					if v := c.String("network_security_group"); v == "" {
						obj["networkSecurityGroup"] = nil
					} else {
						id, err := resourceIDOf(c, v, "networkSecurityGroups")
						if err != nil {
							return err
						}
						obj["networkSecurityGroup"] = subResource(id)
					}
				}
				if c.Has("internal_dns_name") {
					d := ensureMap(obj, "dnsSettings")
					if v := c.String("internal_dns_name"); v == "" {
						d["internalDnsNameLabel"] = nil
					} else {
						d["internalDnsNameLabel"] = v
					}
				}
				if servers := c.List("dns_servers"); len(servers) > 0 {
					d := ensureMap(obj, "dnsSettings")
					if len(servers) == 1 && servers[0] == "" {
						d["dnsServers"] = nil
					} else {
						d["dnsServers"] = listOfStrings(servers)
					}
				}
				if c.Has("accelerated_networking") {
					obj["enableAcceleratedNetworking"] = c.Bool("accelerated_networking")
				}
				return nil
			}, sdkOut(nicModel))
		},
	}
}

// nicIPConfigGroup is "network nic ip-config" (list and show).
func nicIPConfigGroup() *core.Group {
	nicName := func() *core.Arg {
		return &core.Arg{Dest: "nic_name", Options: []string{"--nic-name"}, Required: true, IDPart: "name", Help: "The network interface (NIC)."}
	}
	getNIC := func(c *core.Context) (map[string]any, error) {
		client, err := c.ARM()
		if err != nil {
			return nil, err
		}
		sub, err := c.SubscriptionID()
		if err != nil {
			return nil, err
		}
		return client.GetObject(c.Context(), NICType.Path(sub, c.String("resource_group"), c.String("nic_name")), APIVersion, nil)
	}
	configs := func(nic map[string]any) []any {
		l, _ := lookupPath(nic, []string{"properties", "ipConfigurations"}).([]any)
		return l
	}
	const model = "NetworkInterfaceIPConfiguration"
	list := &core.Command{
		Name: "list", Short: "List the IP configurations of a NIC.",
		Args: []*core.Arg{core.ResourceGroupArg(true), nicName()},
		Examples: []core.Example{{Summary: "List the IP configurations of a NIC.",
			Command: "az network nic ip-config list -g MyResourceGroup --nic-name MyNic"}},
		Run: func(c *core.Context) (any, error) {
			nic, err := getNIC(c)
			if err != nil {
				return nil, err
			}
			l := configs(nic)
			if l == nil {
				return nil, nil
			}
			return sdkOutput(model, l), nil
		},
	}
	show := &core.Command{
		Name: "show", Short: "Show the details of an IP configuration.", Show: true,
		Args: []*core.Arg{core.ResourceGroupArg(true), nicName(),
			{Dest: "name", Options: []string{"--name", "-n"}, Required: true, IDPart: "child_name_1", Help: "The name of the IP configuration."}},
		Examples: []core.Example{{Summary: "Show the details of an IP configuration of a NIC.",
			Command: "az network nic ip-config show -g MyResourceGroup -n ipconfig1 --nic-name MyNic"}},
		Run: func(c *core.Context) (any, error) {
			nic, err := getNIC(c)
			if err != nil {
				return nil, err
			}
			name := c.String("name")
			for _, e := range configs(nic) {
				if m, ok := e.(map[string]any); ok {
					if n, _ := m["name"].(string); strings.EqualFold(n, name) {
						return sdkOutput(model, m), nil
					}
				}
			}
			return nil, core.Errorf("Item '%s' does not exist on network_interfaces '%s'", name, c.String("nic_name"))
		},
	}
	return &core.Group{Name: "network nic ip-config", Short: "Manage IP configurations of a network interface.",
		Commands: []*core.Command{list, show}}
}
