package bastion

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// API versions: what az sends for bastion hosts and the network resources
// it reads; Compute for the target VM; Privlink.Fabric for the vantage
// environment.
const (
	APIVersion        = "2022-01-01"
	ComputeAPIVersion = "2022-11-01"
	FabricAPIVersion  = "2025-01-01"
	namespace         = "Microsoft.Network"
)

// Type is Microsoft.Network/bastionHosts as az prints it: the aaz model,
// properties flattened (also in ipConfigurations), only what the service
// sent.
var Type = core.ResourceType{Namespace: namespace, Types: []string{"bastionHosts"}, APIVersion: APIVersion,
	Shape: &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{"ipConfigurations": {Flatten: true}}}}

// Groups returns the command groups.
func Groups() []*core.Group {
	r := core.NewResource(Type, core.NameArg("Name of the bastion host."))
	return []*core.Group{{
		Name: "network bastion", Short: "Manage Azure Bastion host machines.",
		Commands: []*core.Command{
			createCommand(r),
			r.ShowCommand("Show a Azure Bastion host machine."),
			r.ListCommand("List all Azure Bastion host machines."),
			r.DeleteCommand("Delete a Azure Bastion host machine.", true, false),
			r.UpdateCommand("Update a Azure Bastion host machine.", featureArgs(false), applyFeatures),
			r.WaitCommand("Place the CLI in a waiting state until a condition is met."),
			sshCommand(r),
			tunnelCommand(r),
		},
	}}
}

// featureArgs are the Properties arguments of create (with az's defaults)
// and update (no defaults: only what is given changes).
func featureArgs(create bool) []*core.Arg {
	d := func(v string) string {
		if create {
			return v
		}
		return ""
	}
	const g = "Properties"
	flag := func(dest, opt, help string) *core.Arg {
		return &core.Arg{Dest: dest, Options: []string{opt}, Kind: core.TriState, Default: d("false"), Group: g, Help: help}
	}
	return []*core.Arg{
		{Dest: "sku", Options: []string{"--sku"}, Choices: []string{"Basic", "Standard", "Premium"}, Default: d("Standard"),
			Help: "Sku of this Bastion Host."},
		{Dest: "scale_units", Options: []string{"--scale-units"}, Kind: core.Int, Default: d("2"), Group: g,
			Help: "The scale units for the Bastion Host resource."},
		flag("disable_copy_paste", "--disable-copy-paste", "Enable/Disable Copy/Paste feature of the Bastion Host resource."),
		flag("enable_file_copy", "--enable-file-copy", "Enable/Disable File Copy feature of the Bastion Host resource."),
		flag("enable_ip_connect", "--enable-ip-connect", "Enable/Disable IP Connect feature of the Bastion Host resource."),
		flag("enable_shareable_link", "--enable-shareable-link", "Enable/Disable Shareable Link of the Bastion Host resource."),
		flag("enable_tunneling", "--enable-tunneling", "Enable/Disable Tunneling feature of the Bastion Host resource."),
	}
}

// features maps the flag arguments to their wire names.
var features = []struct{ dest, prop string }{
	{"disable_copy_paste", "disableCopyPaste"},
	{"enable_file_copy", "enableFileCopy"},
	{"enable_ip_connect", "enableIpConnect"},
	{"enable_shareable_link", "enableShareableLink"},
	{"enable_tunneling", "enableTunneling"},
}

// applyFeatures applies update's flags to the flattened bastion.
func applyFeatures(c *core.Context, obj map[string]any) error {
	if c.Has("sku") {
		obj["sku"] = map[string]any{"name": c.String("sku")}
	}
	if c.Has("scale_units") {
		if err := checkScaleUnits(c.Int("scale_units")); err != nil {
			return err
		}
		obj["scaleUnits"] = c.Int("scale_units")
	}
	for _, f := range features {
		if v := c.OptBool(f.dest); v != nil {
			obj[f.prop] = *v
		}
	}
	return nil
}

func checkScaleUnits(n int) error {
	if n < 2 || n > 50 {
		return core.Usagef("argument --scale-units: %d is out of range [2, 50]", n)
	}
	return nil
}

func createCommand(r *core.Resource) *core.Command {
	args := r.Args(true)
	for _, a := range args {
		a.IDPart = ""
	}
	args = append(args,
		&core.Arg{Dest: "public_ip_address", Options: []string{"--public-ip-address"}, Required: true,
			Help: "Name or ID of Azure Public IP. The SKU of the public IP must be Standard."},
		&core.Arg{Dest: "vnet_name", Options: []string{"--vnet-name"}, Required: true,
			Help: "Name of the virtual network. It must have a subnet called AzureBastionSubnet"},
		core.LocationArg(false), core.TagsArg(),
		&core.Arg{Dest: "zones", Options: []string{"--zones"}, Kind: core.List,
			Help: "A list of availability zones denoting where the resource needs to come from."},
	)
	args = append(args, featureArgs(true)...)
	return &core.Command{
		Name: "create", Short: "Create the specified Bastion Host.", Args: args, NoWait: true,
		Examples: []core.Example{{Summary: "Create a Azure Bastion host machine.",
			Command: "az network bastion create --location westus2 --name MyBastionHost --public-ip-address MyPublicIpAddress --resource-group MyResourceGroup --vnet-name MyVnet"}},
		Run: func(c *core.Context) (any, error) {
			if err := checkScaleUnits(c.Int("scale_units")); err != nil {
				return nil, err
			}
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			rg := c.String("resource_group")
			pip := c.String("public_ip_address")
			if !arm.IsValidResourceID(pip) {
				pip = arm.ResourcePath(sub, rg, namespace, "publicIPAddresses", pip)
			}
			subnet := arm.ResourcePath(sub, rg, namespace, "virtualNetworks", c.String("vnet_name"), "subnets", "AzureBastionSubnet")
			props := map[string]any{
				"ipConfigurations": []any{map[string]any{"name": "bastion_ip_config", "properties": map[string]any{
					"subnet": map[string]any{"id": subnet}, "publicIPAddress": map[string]any{"id": pip}}}},
				"scaleUnits": c.Int("scale_units"),
			}
			for _, f := range features {
				v := c.OptBool(f.dest)
				props[f.prop] = v != nil && *v
			}
			body := map[string]any{"location": loc, "sku": map[string]any{"name": c.String("sku")}, "properties": props}
			if c.Has("tags") {
				body["tags"] = c.Tags("tags")
			}
			if c.Has("zones") {
				body["zones"] = c.List("zones")
			}
			return r.Put(c, body)
		},
	}
}

// dig walks nested maps.
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

func str(v any, keys ...string) string {
	s, _ := dig(v, keys...).(string)
	return s
}

// parentID returns the ID one level up (a subnet's virtual network).
func parentID(id string) string {
	rid, err := arm.ParseResourceID(id)
	if err != nil || len(rid.Names) < 2 {
		return ""
	}
	return arm.ResourcePath(rid.Subscription, rid.ResourceGroup, rid.Namespace, rid.Types[0], rid.Names[0])
}

func sameID(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}
