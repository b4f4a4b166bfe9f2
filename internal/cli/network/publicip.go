package network

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

var publicIPView = &arm.Shape{Flatten: true}

// publicIPTableQuery is az 2.45's table transformer for public-ip show and
// list. It names the SDK-era keys publicIpAddressVersion and
// publicIpAllocationMethod, which the aaz output no longer has, so those
// columns print empty, as they do with az 2.45.
const publicIPTableQuery = "{Name:name, ResourceGroup:resourceGroup, Location:location, Zones: (!zones && ' ') || join(` `, zones), " +
	"Address:ipAddress, AddressVersion:publicIpAddressVersion, AllocationMethod:publicIpAllocationMethod, " +
	"IdleTimeoutInMinutes:idleTimeoutInMinutes, ProvisioningState:provisioningState}"

func publicIPResource() *core.Resource {
	return core.NewResource(PublicIPType, core.NameArg("The name of the public IP address."))
}

func publicIPGroup() *core.Group {
	r := publicIPResource()
	out := aazOut("publicip")
	show := showWithExpand(r, "Get the details of a public IP address.", out)
	show.Args[len(show.Args)-1].Help = "Expands referenced resources."
	show.TableQuery = publicIPTableQuery
	list := shaped(r.ListCommand("List public IP addresses.",
		core.Example{Summary: "List all public IPs in a subscription.", Command: "az network public-ip list"},
		core.Example{Summary: "List all public IPs in a resource group.", Command: "az network public-ip list -g MyResourceGroup"},
	), out)
	list.TableQuery = "[]." + publicIPTableQuery
	return &core.Group{
		Name:  "network public-ip",
		Short: "Manage public IP addresses.",
		Commands: []*core.Command{
			publicIPCreate(r),
			show,
			list,
			r.DeleteCommand("Delete a public IP address.", true, false,
				core.Example{Summary: "Delete a public IP address.", Command: "az network public-ip delete -g MyResourceGroup -n MyIp"}),
			publicIPUpdate(r),
			shaped(r.WaitCommand("Place the CLI in a waiting state until a condition is met."), out),
		},
	}
}

// publicIPArgs are the arguments public-ip create and update share.
func publicIPArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "allocation_method", Options: []string{"--allocation-method"}, Choices: []string{"Static", "Dynamic"},
			Help: "IP address allocation method."},
		{Dest: "dns_name", Options: []string{"--dns-name"}, Help: "Globally unique DNS entry."},
		{Dest: "reverse_fqdn", Options: []string{"--reverse-fqdn"}, Help: "Reverse FQDN (fully qualified domain name)."},
		{Dest: "version", Options: []string{"--version"}, Choices: []string{"IPv4", "IPv6"}, Help: "IP address type."},
		{Dest: "sku", Options: []string{"--sku"}, Choices: []string{"Basic", "Standard"}, Help: "Name of a public IP address SKU."},
		{Dest: "ip_tags", Options: []string{"--ip-tags"}, Kind: core.List, Help: "Space-separated list of IP tags in 'TYPE=VAL' format."},
		{Dest: "public_ip_prefix", Options: []string{"--public-ip-prefix"}, Help: "Name or ID of a public IP prefix."},
		{Dest: "protection_mode", Options: []string{"--ddos-protection-mode", "--protection-mode"},
			Choices: []string{"Enabled", "Disabled", "VirtualNetworkInherited"}, Help: "The DDoS protection mode of the public IP"},
		{Dest: "ddos_protection_plan", Options: []string{"--ddos-protection-plan"},
			Help: "Name or ID of a DDoS protection plan associated with the public IP. Can only be set if `--protection-mode` is Enabled."},
		core.TagsArg(),
	}
}

func publicIPCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true), core.LocationArg(false))
	args = append(args, publicIPArgs()...)
	args = append(args,
		&core.Arg{Dest: "idle_timeout", Options: []string{"--idle-timeout"}, Kind: core.Int, Default: "4", Help: "Idle timeout in minutes."},
		&core.Arg{Dest: "tier", Options: []string{"--tier"}, Choices: []string{"Regional", "Global"},
			Help: "Tier of a public IP address SKU and Global tier is only supported for standard SKU public IP addresses."},
		&core.Arg{Dest: "zone", Options: []string{"--zone", "-z"}, Kind: core.List,
			Help: "Space-separated list of availability zones into which to provision the resource. Allowed values: 1, 2, 3."},
		&core.Arg{Dest: "edge_zone", Options: []string{"--edge-zone"}, Help: "The name of edge zone."},
		&core.Arg{Dest: "ip_address", Options: []string{"--ip-address"}, Help: "The IP address associated with the public IP address resource."},
	)
	return &core.Command{
		Name: "create", Short: "Create a public IP address.", Args: args,
		Examples: []core.Example{
			{Summary: "Create a basic public IP resource.", Command: "az network public-ip create -g MyResourceGroup -n MyIp"},
			{Summary: "Create a static public IP resource for a DNS name label.", Command: "az network public-ip create -g MyResourceGroup -n MyIp --dns-name MyLabel --allocation-method Static"},
			{Summary: "Create a public IP resource in an availability zone in the current resource group region.", Command: "az network public-ip create -g MyResourceGroup -n MyIp --zone 2"},
		},
		Run: runPublicIPCreate(r),
	}
}

func runPublicIPCreate(r *core.Resource) core.RunFunc {
	return func(c *core.Context) (any, error) {
		loc, err := c.Location("location", "resource_group")
		if err != nil {
			return nil, err
		}
		sku, tier, version, zones := c.String("sku"), c.String("tier"), c.String("version"), c.List("zone")
		if version == "" {
			version = "IPv4"
		}
		if sku == "Standard" && len(zones) == 0 {
			c.Warnf("[Coming breaking change] In the coming release, the default behavior will be changed as follows when sku is Standard and zone is not provided: For zonal regions, you will get a zone-redundant IP indicated by zones:[\"1\",\"2\",\"3\"]; For non-zonal regions, you will get a non zone-redundant IP indicated by zones:null.")
		}
		props := map[string]any{"idleTimeoutInMinutes": c.Int("idle_timeout")}
		body := map[string]any{"location": loc}
		if p := c.String("public_ip_prefix"); p != "" {
			id, err := resourceIDOf(c, p, "publicIPPrefixes")
			if err != nil {
				return nil, err
			}
			props["publicIPPrefix"] = subResource(id)
			// az reuses the prefix's version, sku and zones.
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			prefix, err := client.GetObject(c.Context(), id, PublicIPAPIVersion, nil)
			if err != nil {
				return nil, err
			}
			if pp, ok := prefix["properties"].(map[string]any); ok {
				if v, ok := pp["publicIPAddressVersion"].(string); ok {
					version = v
				}
			}
			if ps, ok := prefix["sku"].(map[string]any); ok {
				sku, _ = ps["name"].(string)
				tier, _ = ps["tier"].(string)
			}
			zones = asStrings(prefix["zones"])
		}
		if sku == "" {
			c.Warnf("Please note that the default public IP used for creation will be changed from Basic to Standard in the future.")
		}
		method := c.String("allocation_method")
		if method == "" {
			method = "Dynamic"
			if strings.EqualFold(sku, "Standard") {
				method = "Static"
			}
		}
		props["publicIPAllocationMethod"] = method
		props["publicIPAddressVersion"] = version
		if tier != "" && sku == "" {
			sku = "Basic"
		}
		if sku != "" {
			s := map[string]any{"name": sku}
			if tier != "" {
				s["tier"] = tier
			}
			body["sku"] = s
		}
		if len(zones) > 0 {
			body["zones"] = listOfStrings(zones)
		}
		if ip := c.String("ip_address"); ip != "" {
			props["ipAddress"] = ip
		}
		if ez := c.String("edge_zone"); ez != "" {
			body["extendedLocation"] = map[string]any{"name": ez, "type": "EdgeZone"}
		}
		if err := applyPublicIPArgs(c, props); err != nil {
			return nil, err
		}
		if tags := c.Tags("tags"); tags != nil {
			body["tags"] = tags
		}
		body["properties"] = props
		res, err := putResource(c, r, body)
		if err != nil || res == nil {
			return nil, err
		}
		return map[string]any{"publicIp": aazOutput("publicip", res)}, nil
	}
}

// applyPublicIPArgs applies the DNS, IP tag and DDoS arguments to a
// flattened public IP.
func applyPublicIPArgs(c *core.Context, props map[string]any) error {
	if c.Has("dns_name") {
		ensureMap(props, "dnsSettings")["domainNameLabel"] = c.String("dns_name")
	}
	if c.Has("reverse_fqdn") {
		ensureMap(props, "dnsSettings")["reverseFqdn"] = c.String("reverse_fqdn")
	}
	if c.Has("ip_tags") {
		var tags []any
		for _, t := range c.List("ip_tags") {
			k, v, ok := strings.Cut(t, "=")
			if !ok {
				return core.Usagef("usage error: --ip-tags TYPE=VAL [TYPE=VAL ...]")
			}
			tags = append(tags, map[string]any{"ipTagType": k, "tag": v})
		}
		props["ipTags"] = tags
	}
	if c.Has("protection_mode") {
		ensureMap(props, "ddosSettings")["protectionMode"] = c.String("protection_mode")
	}
	if c.Has("ddos_protection_plan") {
		id, err := resourceIDOf(c, c.String("ddos_protection_plan"), "ddosProtectionPlans")
		if err != nil {
			return err
		}
		ensureMap(props, "ddosSettings")["ddosProtectionPlan"] = subResource(id)
	}
	return nil
}

func publicIPUpdate(r *core.Resource) *core.Command {
	args := append(r.Args(true), publicIPArgs()...)
	args = append(args, &core.Arg{Dest: "idle_timeout", Options: []string{"--idle-timeout"}, Kind: core.Int, Help: "Idle timeout in minutes."})
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a public IP address.", NoWait: true, Args: args,
		Examples: []core.Example{
			{Summary: "Update a public IP resource with a DNS name label and static allocation.",
				Command: "az network public-ip update -g MyResourceGroup -n MyIp --dns-name MyLabel --allocation-method Static"},
		},
		Run: func(c *core.Context) (any, error) {
			return updateResource(c, r, publicIPView, func(c *core.Context, obj map[string]any) error {
				if c.Has("allocation_method") {
					obj["publicIPAllocationMethod"] = c.String("allocation_method")
				}
				if c.Has("version") {
					obj["publicIPAddressVersion"] = c.String("version")
				}
				if c.Has("idle_timeout") {
					obj["idleTimeoutInMinutes"] = c.Int("idle_timeout")
				}
				if c.Has("sku") {
					ensureMap(obj, "sku")["name"] = c.String("sku")
				}
				if c.Has("public_ip_prefix") {
					id, err := resourceIDOf(c, c.String("public_ip_prefix"), "publicIPPrefixes")
					if err != nil {
						return err
					}
					obj["publicIPPrefix"] = subResource(id)
				}
				if tags := c.Tags("tags"); tags != nil {
					obj["tags"] = tags
				}
				return applyPublicIPArgs(c, obj)
			}, aazOut("publicip"))
		},
	}
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
