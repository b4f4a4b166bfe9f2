package vm

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// API versions az 2.45 sends: Microsoft.Compute 2022-11-01; the network
// resources vm create and the detail lookups use the network profile's
// 2022-01-01; privlink's own Privlink.Fabric endpoints 2025-01-01.
const (
	ComputeAPIVersion = "2022-11-01"
	NetworkAPIVersion = "2022-01-01"
	FabricAPIVersion  = "2025-01-01"
)

// VMType is Microsoft.Compute/virtualMachines.
var VMType = core.ResourceType{Namespace: "Microsoft.Compute", Types: []string{"virtualMachines"}, APIVersion: ComputeAPIVersion}

// Groups returns the "vm" and "vm run-command" groups and the privlink
// "network dns" group. The parent "network" group belongs to another package.
func Groups() []*core.Group {
	r := vmResource()
	return []*core.Group{
		{Name: "vm", Short: "Manage Linux or Windows virtual machines.", Commands: []*core.Command{
			createCommand(r),
			showCommand(r),
			listCommand(),
			deleteCommand(r),
			powerCommand(r, "start", "start", "Start a stopped VM.", "az vm start -g MyResourceGroup -n MyVm"),
			stopCommand(r),
			powerCommand(r, "deallocate", "deallocate", "Deallocate a VM so that computing resources are no longer allocated (charges no longer apply). The status will change from 'Stopped' to 'Stopped (Deallocated)'.", "az vm deallocate -g MyResourceGroup -n MyVm"),
			powerCommand(r, "restart", "restart", "Restart VMs.", "az vm restart -g MyResourceGroup -n MyVm"),
			instanceViewCommand(r),
			listIPAddressesCommand(),
			openPortCommand(r),
			exposeCommand(r),
			unexposeCommand(r),
			listExposedCommand(r),
			shellCommand(r),
		}},
		{Name: "vm run-command", Short: "Manage run commands on a Virtual Machine.", Commands: []*core.Command{
			runCommandInvoke(r),
		}},
		{Name: "network dns", Short: "Query name resolution as seen from a VM or the internet (privlink extension).", Commands: []*core.Command{
			dnsQueryCommand(),
		}},
		{Name: "fabric", Short: "privlink's data plane: vantage environments (privlink extension).", Commands: []*core.Command{
			envCommand(),
		}},
	}
}

func vmResource() *core.Resource {
	return core.NewResource(VMType, core.NameArg("The name of the Virtual Machine. You can configure the default using `az configure --defaults vm=<name>`."))
}

// vmPath is the VM's resource path from the parsed -g/-n (or --ids).
func vmPath(c *core.Context, r *core.Resource) (string, error) { return r.Path(c) }

// getVM reads the VM, with $expand=instanceView when instanceView is set.
func getVM(c *core.Context, path string, instanceView bool) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	var q url.Values
	if instanceView {
		q = url.Values{"$expand": {"instanceView"}}
	}
	return client.GetObject(c.Context(), path, ComputeAPIVersion, q)
}

func showCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), showDetailsArg())
	return &core.Command{
		Name: "show", Short: "Get the details of a VM.", Show: true, Args: args,
		Examples: []core.Example{
			{Summary: "Show information about a VM.", Command: "az vm show -g MyResourceGroup -n MyVm -d"},
		},
		Run: func(c *core.Context) (any, error) {
			p, err := vmPath(c, r)
			if err != nil {
				return nil, err
			}
			if c.Bool("show_details") {
				return vmDetails(c, p)
			}
			vm, err := getVM(c, p, false)
			if err != nil {
				return nil, err
			}
			return vmModel.apply(vm), nil
		},
	}
}

func showDetailsArg() *core.Arg {
	return &core.Arg{Dest: "show_details", Options: []string{"--show-details", "-d"}, Kind: core.Flag,
		Help: "Show public ip address, FQDN, and power states. command will run slow."}
}

func listCommand() *core.Command {
	rg := core.ResourceGroupArg(false)
	rg.IDPart = ""
	return &core.Command{
		Name: "list", Short: "List details of Virtual Machines.", NoIDs: true,
		Args:       []*core.Arg{rg, showDetailsArg()},
		TableQuery: "[].{Name:name, ResourceGroup:resourceGroup, Location:location, Zones: (!zones && ' ') || join(` `, zones)}",
		Examples: []core.Example{
			{Summary: "List all VMs.", Command: "az vm list"},
			{Summary: "List all VMs by resource group.", Command: "az vm list -g MyResourceGroup"},
			{Summary: "List all VMs by resource group with details.", Command: "az vm list -g MyResourceGroup -d"},
		},
		Run: func(c *core.Context) (any, error) {
			items, err := VMType.ListTopLevel(c)
			if err != nil {
				return nil, err
			}
			out := make([]any, 0, len(items))
			for _, it := range items {
				m, _ := it.(map[string]any)
				if c.Bool("show_details") {
					id, _ := m["id"].(string)
					d, err := vmDetails(c, id)
					if err != nil {
						return nil, err
					}
					out = append(out, d)
					continue
				}
				out = append(out, vmModel.apply(m))
			}
			return out, nil
		},
	}
}

func deleteCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), &core.Arg{Dest: "force_deletion", Options: []string{"--force-deletion"}, Kind: core.TriState,
		Help: "Optional parameter to force delete virtual machines."})
	return &core.Command{
		Name: "delete", Short: "Delete a VM.", NoWait: true, Args: args,
		Confirm: "Are you sure you want to perform this operation?",
		Examples: []core.Example{
			{Summary: "Delete a VM without a prompt for confirmation.", Command: "az vm delete -g MyResourceGroup -n MyVm --yes"},
		},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := vmPath(c, r)
			if err != nil {
				return nil, err
			}
			req := arm.Request{Method: "DELETE", Path: p, APIVersion: ComputeAPIVersion, NoWait: c.NoWait()}
			if c.Has("force_deletion") {
				req.Query = url.Values{"forceDeletion": {c.String("force_deletion")}}
			}
			_, err = client.Send(c.Context(), req)
			return nil, err
		},
	}
}

// powerCommand is a VM action without a body (POST .../{action}) that
// prints nothing.
func powerCommand(r *core.Resource, name, action, short, example string) *core.Command {
	return &core.Command{
		Name: name, Short: short, NoWait: true, Args: r.Args(true),
		Examples: []core.Example{{Summary: short, Command: example}},
		Run: func(c *core.Context) (any, error) {
			return nil, postAction(c, r, action, nil)
		},
	}
}

func postAction(c *core.Context, r *core.Resource, action string, q url.Values) error {
	client, err := c.ARM()
	if err != nil {
		return err
	}
	p, err := vmPath(c, r)
	if err != nil {
		return err
	}
	_, err = client.Send(c.Context(), arm.Request{Method: "POST", Path: p + "/" + action, APIVersion: ComputeAPIVersion, Query: q, NoWait: c.NoWait()})
	return err
}

func stopCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), &core.Arg{Dest: "skip_shutdown", Options: []string{"--skip-shutdown"}, Kind: core.Flag,
		Help: "Skip shutdown and power-off immediately."})
	return &core.Command{
		Name: "stop", NoWait: true, Args: args,
		Short: "Power off (stop) a running VM.",
		Long:  "The VM will continue to be billed. To avoid this, you can deallocate the VM through \"az vm deallocate\"",
		Examples: []core.Example{
			{Summary: "Power off (stop) a running VM.", Command: "az vm stop --resource-group MyResourceGroup --name MyVm"},
			{Summary: "Power off a running VM without shutting down.", Command: "az vm stop --resource-group MyResourceGroup --name MyVm --skip-shutdown"},
		},
		Run: func(c *core.Context) (any, error) {
			var q url.Values
			if c.Bool("skip_shutdown") {
				q = url.Values{"skipShutdown": {"true"}}
			}
			return nil, postAction(c, r, "powerOff", q)
		},
	}
}

func instanceViewCommand(r *core.Resource) *core.Command {
	return &core.Command{
		Name: "get-instance-view", Short: "Get instance information about a VM.", Show: true, Args: r.Args(true),
		Examples: []core.Example{{Summary: "Use a resource group and name to get instance view information of a VM.",
			Command: "az vm get-instance-view -g MyResourceGroup -n MyVm"}},
		Run: func(c *core.Context) (any, error) {
			p, err := vmPath(c, r)
			if err != nil {
				return nil, err
			}
			vm, err := getVM(c, p, true)
			if err != nil {
				return nil, err
			}
			return vmModel.apply(vm), nil
		},
	}
}

// vmDetails is az's get_vm_details: the VM (with its instance view read
// and dropped) plus powerState, publicIps, fqdns, privateIps and
// macAddresses gathered from its NICs and their public IPs.
func vmDetails(c *core.Context, path string) (map[string]any, error) {
	vm, err := getVM(c, path, true)
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	var publicIPs, fqdns, privateIPs, macs []string
	for _, nicID := range nicIDs(vm) {
		nic, err := client.GetObject(c.Context(), nicID, NetworkAPIVersion, nil)
		if err != nil {
			return nil, err
		}
		if mac := str(dig(nic, "properties", "macAddress")); mac != "" {
			macs = append(macs, mac)
		}
		for _, ipc := range list(dig(nic, "properties", "ipConfigurations")) {
			if ip := str(dig(ipc, "properties", "privateIPAddress")); ip != "" {
				privateIPs = append(privateIPs, ip)
			}
			pipID := str(dig(ipc, "properties", "publicIPAddress", "id"))
			if pipID == "" {
				continue
			}
			pip, err := client.GetObject(c.Context(), pipID, NetworkAPIVersion, nil)
			if err != nil {
				return nil, err
			}
			if ip := str(dig(pip, "properties", "ipAddress")); ip != "" {
				publicIPs = append(publicIPs, ip)
			}
			if dns, ok := dig(pip, "properties", "dnsSettings").(map[string]any); ok {
				fqdns = append(fqdns, str(dns["fqdn"]))
			}
		}
	}
	out := vmModel.apply(vm).(map[string]any)
	out["powerState"] = powerState(vm)
	out["publicIps"] = strings.Join(publicIPs, ",")
	out["fqdns"] = strings.Join(fqdns, ",")
	out["privateIps"] = strings.Join(privateIPs, ",")
	out["macAddresses"] = strings.Join(macs, ",")
	delete(out, "instanceView")
	return out, nil
}

// powerState joins the displayStatus of the PowerState/* statuses.
func powerState(vm map[string]any) string {
	var states []string
	for _, st := range list(dig(vm, "properties", "instanceView", "statuses")) {
		if strings.HasPrefix(str(dig(st, "code")), "PowerState/") {
			states = append(states, str(dig(st, "displayStatus")))
		}
	}
	return strings.Join(states, ",")
}

func nicIDs(vm map[string]any) []string {
	var ids []string
	for _, n := range list(dig(vm, "properties", "networkProfile", "networkInterfaces")) {
		if id := str(dig(n, "id")); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func listIPAddressesCommand() *core.Command {
	rg := core.ResourceGroupArg(false)
	rg.IDPart = "resource_group"
	return &core.Command{
		Name: "list-ip-addresses", Short: "List IP addresses associated with a VM.",
		Args: []*core.Arg{rg, {Dest: "name", Options: []string{"--name", "-n"}, IDPart: "name",
			Help: "The name of the Virtual Machine. You can configure the default using `az configure --defaults vm=<name>`."}},
		// az's transform_ip_addresses: one row per VM.
		TableQuery: "[].{VirtualMachine:virtualMachine.name, " +
			"PublicIPAddresses:join(',', virtualMachine.network.publicIpAddresses[?ipAddress].ipAddress), " +
			"PrivateIPAddresses:join(',', virtualMachine.network.privateIpAddresses[?@])}",
		Examples: []core.Example{
			{Summary: "Get the IP addresses for a VM.", Command: "az vm list-ip-addresses -g MyResourceGroup -n MyVm"},
		},
		Run: runListIPAddresses,
	}
}

func runListIPAddresses(c *core.Context) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	nics, err := client.List(c.Context(), "/subscriptions/"+sub+"/providers/Microsoft.Network/networkInterfaces", NetworkAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	pips, err := client.List(c.Context(), "/subscriptions/"+sub+"/providers/Microsoft.Network/publicIPAddresses", NetworkAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	byID := map[string]map[string]any{}
	for _, p := range pips {
		if m, ok := p.(map[string]any); ok {
			byID[strings.ToLower(str(m["id"]))] = m
		}
	}
	rgWant, nameWant := c.String("resource_group"), c.String("name")
	result := []any{}
	for _, n := range nics {
		vmID := str(dig(n, "properties", "virtualMachine", "id"))
		if vmID == "" {
			continue
		}
		rid, err := arm.ParseResourceID(vmID)
		if err != nil {
			continue
		}
		if rgWant != "" && !strings.EqualFold(rgWant, rid.ResourceGroup) || nameWant != "" && !strings.EqualFold(nameWant, rid.Name()) {
			continue
		}
		private := []any{}
		public := []any{}
		for _, ipc := range list(dig(n, "properties", "ipConfigurations")) {
			private = append(private, dig(ipc, "properties", "privateIPAddress"))
			pipID := str(dig(ipc, "properties", "publicIPAddress", "id"))
			if pipID == "" {
				continue
			}
			pip, ok := byID[strings.ToLower(pipID)]
			if !ok {
				continue
			}
			var zone any
			if zs := list(pip["zones"]); len(zs) > 0 {
				var parts []string
				for _, z := range zs {
					parts = append(parts, str(z))
				}
				zone = strings.Join(parts, ",")
			}
			public = append(public, map[string]any{
				"id":                 pip["id"],
				"name":               pip["name"],
				"ipAddress":          dig(pip, "properties", "ipAddress"),
				"ipAllocationMethod": dig(pip, "properties", "publicIPAllocationMethod"),
				"zone":               zone,
			})
		}
		result = append(result, map[string]any{"virtualMachine": map[string]any{
			"resourceGroup": rid.ResourceGroup,
			"name":          rid.Name(),
			"network":       map[string]any{"privateIpAddresses": private, "publicIpAddresses": public},
		}})
	}
	return result, nil
}

// dig walks nested objects by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// resourceID turns a name into an ID of ns/typ in the command's resource
// group (az's resource_id); IDs are kept.
func resourceID(c *core.Context, value, ns, typ string) (string, error) {
	if strings.HasPrefix(value, "/") {
		if _, err := arm.ParseResourceID(value); err != nil {
			return "", core.Errorf("Invalid resource ID '%s'", value)
		}
		return value, nil
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), ns, typ, value), nil
}

// exists GETs a resource: true, false on 404, or the error.
func exists(c *core.Context, path, apiVersion string) (map[string]any, bool, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, false, err
	}
	obj, err := client.GetObject(c.Context(), path, apiVersion, nil)
	if arm.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	return obj, true, nil
}
