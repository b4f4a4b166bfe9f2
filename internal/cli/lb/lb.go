package lb

import (
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// API versions az 2.45 sends.
const (
	APIVersion    = "2022-05-01"
	NICAPIVersion = "2022-01-01"
	namespace     = "Microsoft.Network"
)

// subShape is a flattened sub-resource.
var subShape = &arm.Shape{Flatten: true}

// lbShape is a load balancer as az prints it.
var lbShape = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{
	"frontendIPConfigurations": subShape, "backendAddressPools": subShape, "loadBalancingRules": subShape,
	"probes": subShape, "inboundNatRules": subShape, "outboundRules": subShape, "inboundNatPools": subShape,
}}

// Resource types.
var (
	LBType       = core.ResourceType{Namespace: namespace, Types: []string{"loadBalancers"}, APIVersion: APIVersion, Shape: lbShape}
	PoolType     = core.ResourceType{Namespace: namespace, Types: []string{"loadBalancers", "backendAddressPools"}, APIVersion: APIVersion, Shape: subShape}
	publicIPType = core.ResourceType{Namespace: namespace, Types: []string{"publicIPAddresses"}, APIVersion: APIVersion}
)

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	return []*core.Group{
		lbGroup(),
		subGroup(frontendSpec),
		poolGroup(),
		addressGroup(),
		subGroup(ruleSpec),
		subGroup(probeSpec),
		nicPoolGroup(),
	}
}

func lbResource() *core.Resource {
	return core.NewResource(LBType, core.NameArg("The load balancer name."))
}

func lbGroup() *core.Group {
	r := lbResource()
	return &core.Group{
		Name:  "network lb",
		Short: "Manage and configure load balancers.",
		Commands: []*core.Command{
			lbCreate(),
			r.ShowCommand("Get the details of a load balancer.",
				core.Example{Summary: "Get the details of a load balancer.", Command: "az network lb show -g MyResourceGroup -n MyLb"}),
			r.ListCommand("List load balancers.",
				core.Example{Summary: "List load balancers.", Command: "az network lb list -g MyResourceGroup"}),
			r.DeleteCommand("Delete a load balancer.", true, false,
				core.Example{Summary: "Delete a load balancer.", Command: "az network lb delete -g MyResourceGroup -n MyLb"}),
			r.UpdateCommand("Update a load balancer.", []*core.Arg{core.TagsArg()}, func(c *core.Context, obj map[string]any) error {
				if c.Has("tags") {
					obj["tags"] = c.Tags("tags")
				}
				return nil
			}, core.Example{Summary: "Update the tags of a load balancer.", Command: "az network lb update -g MyResourceGroup -n MyLb --tags env=test"}),
			r.WaitCommand("Place the CLI in a waiting state until a condition of the load balancer is met."),
		},
	}
}

func subResource(id string) map[string]any { return map[string]any{"id": id} }

// resourceID keeps an ID, or builds one of typ in the command's
// subscription and resource group from names (parent first).
func resourceID(c *core.Context, value string, types []string, names ...string) (string, error) {
	if strings.HasPrefix(value, "/") {
		if _, err := arm.ParseResourceID(value); err == nil {
			return value, nil
		}
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	var tn []string
	for i, t := range types {
		tn = append(tn, t, names[i])
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, tn...), nil
}

// subnetID resolves --subnet (name with --vnet-name, or ID).
func subnetID(c *core.Context) (string, error) {
	s := c.String("subnet")
	if strings.HasPrefix(s, "/") {
		return s, nil
	}
	if c.String("vnet_name") == "" {
		return "", core.Usagef("usage error: --subnet ID | --subnet NAME --vnet-name NAME")
	}
	return resourceID(c, s, []string{"virtualNetworks", "subnets"}, c.String("vnet_name"), s)
}

func lbCreate() *core.Command {
	args := []*core.Arg{core.ResourceGroupArg(true), core.NameArg("The load balancer name."), core.LocationArg(false), core.TagsArg(),
		{Dest: "sku", Options: []string{"--sku"}, Choices: []string{"Basic", "Gateway", "Standard"}, Default: "Basic", Help: "Load balancer SKU."},
		{Dest: "frontend_ip_name", Options: []string{"--frontend-ip-name"}, Default: "LoadBalancerFrontEnd", Help: "The name of the frontend IP configuration."},
		{Dest: "backend_pool_name", Options: []string{"--backend-pool-name"}, Help: "The name of the backend address pool."},
		{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Help: "Static private IP address to use."},
		{Dest: "private_ip_address_version", Options: []string{"--private-ip-address-version"}, Choices: []string{"IPv4", "IPv6"}, Default: "IPv4", Help: "The private IP address version to use."},
		{Dest: "public_ip_address", Options: []string{"--public-ip-address"}, Help: "Name or ID of the public IP address, or \"\" for none. Uses existing resource if available or will create a new resource with defaults if omitted."},
		{Dest: "public_ip_address_allocation", Options: []string{"--public-ip-address-allocation"}, Choices: []string{"Dynamic", "Static"}, Help: "IP allocation method."},
		{Dest: "subnet", Options: []string{"--subnet"}, Help: "Name or ID of an existing subnet. If name is specified, also specify --vnet-name."},
		{Dest: "vnet_name", Options: []string{"--vnet-name"}, Help: "The virtual network (VNet) name."},
	}
	return &core.Command{
		Name: "create", Short: "Create a load balancer.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{
			{Summary: "Create a basic load balancer.", Command: "az network lb create -g MyResourceGroup -n MyLb --sku Basic"},
			{Summary: "Create an internal load balancer.", Command: "az network lb create -g MyResourceGroup -n MyLb --sku Standard --vnet-name MyVnet --subnet MySubnet --private-ip-address 10.0.0.15"},
		},
		Run: runLBCreate,
	}
}

func runLBCreate(c *core.Context) (any, error) {
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	name, sku := c.String("name"), c.String("sku")
	if !c.Has("sku") {
		c.Warnf("Please note that the default load balancer used for creation will be changed from Basic to Standard in the future.")
	}
	feProps := map[string]any{}
	if c.String("subnet") != "" {
		id, err := subnetID(c)
		if err != nil {
			return nil, err
		}
		feProps["subnet"] = subResource(id)
		feProps["privateIPAddressVersion"] = c.String("private_ip_address_version")
		feProps["privateIPAllocationMethod"] = "Dynamic"
		if ip := c.String("private_ip_address"); ip != "" {
			feProps["privateIPAddress"] = ip
			feProps["privateIPAllocationMethod"] = "Static"
		}
	} else {
		pip := c.String("public_ip_address")
		if !c.Has("public_ip_address") {
			pip = "PublicIP" + name
		}
		pipID, err := resourceID(c, pip, []string{"publicIPAddresses"}, pip)
		if err != nil {
			return nil, err
		}
		exists, err := client.Exists(c.Context(), pipID, APIVersion)
		if err != nil {
			return nil, err
		}
		if !exists {
			alloc := c.String("public_ip_address_allocation")
			if alloc == "" {
				alloc = "Dynamic"
				if strings.EqualFold(sku, "Standard") {
					alloc = "Static"
				}
			}
			body := map[string]any{"location": loc, "sku": map[string]any{"name": sku},
				"properties": map[string]any{"publicIPAllocationMethod": alloc}}
			if _, err := client.Put(c.Context(), pipID, publicIPType.APIVersion, body, false); err != nil {
				return nil, err
			}
		}
		feProps["publicIPAddress"] = subResource(pipID)
	}
	pool := c.String("backend_pool_name")
	if pool == "" {
		pool = name + "bepool"
	}
	body := map[string]any{"location": loc, "sku": map[string]any{"name": sku}, "properties": map[string]any{
		"frontendIPConfigurations": []any{map[string]any{"name": c.String("frontend_ip_name"), "properties": feProps}},
		"backendAddressPools":      []any{map[string]any{"name": pool}},
		"loadBalancingRules":       []any{}, "probes": []any{}, "inboundNatRules": []any{}, "inboundNatPools": []any{},
	}}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), LBType.Path(sub, c.String("resource_group"), name), APIVersion, body, c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	obj, ok := res.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("unexpected load balancer body %T", res)
	}
	return map[string]any{"loadBalancer": obj["properties"]}, nil
}
