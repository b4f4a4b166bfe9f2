package vm

import (
	"os"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

func readFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", core.Errorf("%s", err.Error())
	}
	return string(data), nil
}

func openPortCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "port", Options: []string{"--port"}, Required: true,
			Help: "The port or port range (ex: 80-100) to open VM to all traffic. Use '*' to allow traffic to all ports. Use comma separated values to specify more than one port or port range."},
		&core.Arg{Dest: "priority", Options: []string{"--priority"}, Kind: core.Int, Default: "900",
			Help: "Rule priority, between 100 (highest priority) and 4096 (lowest priority). Must be unique for each rule in the collection."},
		&core.Arg{Dest: "nsg_name", Options: []string{"--nsg-name"},
			Help: "The name of the network security group to create if one does not exist. Ignored if an NSG already exists."},
		&core.Arg{Dest: "apply_to_subnet", Options: []string{"--apply-to-subnet"}, Kind: core.Flag,
			Help: "Allow inbound traffic on the subnet instead of the NIC"},
	)
	return &core.Command{
		Name: "open-port", Short: "Opens a VM to inbound traffic on specified ports.", Args: args,
		Examples: []core.Example{{Summary: "Open all ports on a VM to inbound traffic.",
			Command: "az vm open-port -g MyResourceGroup -n MyVm --port '*'"}},
		Run: func(c *core.Context) (any, error) { return openPort(c, r) },
	}
}

// openPort is az's open_vm_port: find (or create) the NSG of the VM's NIC
// (or of its subnet), add rule open-port-<port>, return the NSG.
func openPort(c *core.Context, r *core.Resource) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	ctx := c.Context()
	p, err := vmPath(c, r)
	if err != nil {
		return nil, err
	}
	vm, err := getVM(c, p, false)
	if err != nil {
		return nil, err
	}
	ids := nicIDs(vm)
	if len(ids) > 1 {
		return nil, core.Errorf("Multiple NICs is not supported for this command. Create rules on the NSG directly.")
	}
	if len(ids) == 0 {
		return nil, core.Errorf("No NIC associated with VM '%s'", c.String("name"))
	}
	nic, err := client.GetObject(ctx, ids[0], NetworkAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	holderPath, holder := ids[0], nic
	if c.Bool("apply_to_subnet") {
		if cfgs := list(dig(nic, "properties", "ipConfigurations")); len(cfgs) > 0 {
			holderPath = str(dig(cfgs[0], "properties", "subnet", "id"))
		}
		if holder, err = client.GetObject(ctx, holderPath, NetworkAPIVersion, nil); err != nil {
			return nil, err
		}
	}
	nsgID := str(dig(holder, "properties", "networkSecurityGroup", "id"))
	created := false
	if nsgID == "" {
		name := c.String("nsg_name")
		if name == "" {
			name = c.String("name") + "NSG"
		}
		sub, err := c.SubscriptionID()
		if err != nil {
			return nil, err
		}
		nsgID = arm.ResourcePath(sub, c.String("resource_group"), "Microsoft.Network", "networkSecurityGroups", name)
		if _, err := client.Put(ctx, nsgID, NetworkAPIVersion, map[string]any{"location": vm["location"]}, false); err != nil {
			return nil, err
		}
		created = true
	}
	port := c.String("port")
	ruleName := "open-port-" + port
	if port == "*" {
		ruleName = "open-port-all"
	}
	rule := map[string]any{"name": ruleName, "properties": map[string]any{
		"protocol": "*", "access": "Allow", "direction": "Inbound", "sourcePortRange": "*",
		"destinationPortRange": port, "priority": c.Int("priority"), "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
	}}
	if strings.Contains(port, ",") {
		props := rule["properties"].(map[string]any)
		delete(props, "destinationPortRange")
		var ranges []any
		for _, p := range strings.Split(port, ",") {
			ranges = append(ranges, strings.TrimSpace(p))
		}
		props["destinationPortRanges"] = ranges
	}
	if _, err := client.Put(ctx, nsgID+"/securityRules/"+ruleName, NetworkAPIVersion, rule, false); err != nil {
		return nil, err
	}
	if created {
		props, _ := holder["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			holder["properties"] = props
		}
		props["networkSecurityGroup"] = map[string]any{"id": nsgID}
		if _, err := client.Put(ctx, holderPath, NetworkAPIVersion, holder, false); err != nil {
			return nil, err
		}
	}
	nsg, err := client.GetObject(ctx, nsgID, NetworkAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	return nsgShape.Apply(nsg), nil
}

var nsgShape = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{
	"securityRules": {Flatten: true}, "defaultSecurityRules": {Flatten: true},
}}
