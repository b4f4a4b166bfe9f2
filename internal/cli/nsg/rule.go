package nsg

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// Security rule enum values as az 2.45 lists them.
var (
	ruleAccesses   = []string{"Allow", "Deny"}
	ruleDirections = []string{"Inbound", "Outbound"}
	ruleProtocols  = []string{"*", "Ah", "Esp", "Icmp", "Tcp", "Udp"}
)

// ruleTable is azure-cli's transform_nsg_rule_table_output as JMESPath:
// "x or ' '.join(xs)" for ranges and prefixes, "asgs or 'None'" for the
// application security groups (a list value prints no cell, as in knack).
const ruleTable = "{Name:name, ResourceGroup:resourceGroup, Priority:priority, " +
	"SourcePortRanges:sourcePortRange || join(' ', sourcePortRanges || `[]`), " +
	"SourceAddressPrefixes:sourceAddressPrefix || join(' ', sourceAddressPrefixes || `[]`), " +
	"SourceASG:sourceApplicationSecurityGroups || 'None', " +
	"Access:access, Protocol:protocol, Direction:direction, " +
	"DestinationPortRanges:destinationPortRange || join(' ', destinationPortRanges || `[]`), " +
	"DestinationAddressPrefixes:destinationAddressPrefix || join(' ', destinationAddressPrefixes || `[]`), " +
	"DestinationASG:destinationApplicationSecurityGroups || 'None'}"

// pluralPair is a rule property az exposes as one plural argument that is
// sent as the singular property when it holds one value.
type pluralPair struct {
	dest, option     string
	singular, plural string
	createDefault    string
	group, help      string
}

var pluralPairs = []pluralPair{
	{dest: "source_address_prefixes", option: "--source-address-prefixes",
		singular: "sourceAddressPrefix", plural: "sourceAddressPrefixes", createDefault: "*", group: "Source",
		help: "Space-separated list of CIDR prefixes or IP ranges. Alternatively, specify ONE of 'VirtualNetwork', 'AzureLoadBalancer', 'Internet' or '*' to match all IPs. Besides, it also supports all available Service Tags like 'ApiManagement', 'SqlManagement', 'AzureMonitor', etc."},
	{dest: "source_port_ranges", option: "--source-port-ranges",
		singular: "sourcePortRange", plural: "sourcePortRanges", createDefault: "*", group: "Source",
		help: "Space-separated list of ports or port ranges between 0-65535. Use '*' to match all ports."},
	{dest: "destination_address_prefixes", option: "--destination-address-prefixes",
		singular: "destinationAddressPrefix", plural: "destinationAddressPrefixes", createDefault: "*", group: "Destination",
		help: "Space-separated list of CIDR prefixes or IP ranges. Alternatively, specify ONE of 'VirtualNetwork', 'AzureLoadBalancer', 'Internet' or '*' to match all IPs. Besides, it also supports all available Service Tags like 'ApiManagement', 'SqlManagement', 'AzureMonitor', etc."},
	{dest: "destination_port_ranges", option: "--destination-port-ranges",
		singular: "destinationPortRange", plural: "destinationPortRanges", createDefault: "80", group: "Destination",
		help: "Space-separated list of ports or port ranges between 0-65535. Use '*' to match all ports."},
}

// asgPair is a --source-asgs/--destination-asgs argument.
type asgPair struct {
	dest, option, property, prefixPair, group string
}

var asgPairs = []asgPair{
	{dest: "source_asgs", option: "--source-asgs", property: "sourceApplicationSecurityGroups", prefixPair: "sourceAddressPrefix", group: "Source"},
	{dest: "destination_asgs", option: "--destination-asgs", property: "destinationApplicationSecurityGroups", prefixPair: "destinationAddressPrefix", group: "Destination"},
}

const asgHelp = "Space-separated list of application security group names or IDs. Limited by backend server, temporarily this argument only supports one application security group name or ID."

// ruleArgs are the rule properties' arguments; create adds its defaults
// to the help text.
func ruleArgs(create bool) []*core.Arg {
	var args []*core.Arg
	for _, p := range pluralPairs {
		help := p.help
		if create {
			help += " Default: " + p.createDefault + "."
		}
		args = append(args, &core.Arg{Dest: p.dest, Options: []string{p.option}, Kind: core.List, Group: p.group, Help: help})
	}
	for _, a := range asgPairs {
		args = append(args, &core.Arg{Dest: a.dest, Options: []string{a.option}, Kind: core.List, Group: a.group, Help: asgHelp})
	}
	access := &core.Arg{Dest: "access", Options: []string{"--access"}, Choices: ruleAccesses,
		Help: "Network traffic is allowed or denied."}
	direction := &core.Arg{Dest: "direction", Options: []string{"--direction"}, Choices: ruleDirections,
		Help: "Direction of the rule. The direction specifies if rule will be evaluated on incoming or outgoing traffic."}
	protocol := &core.Arg{Dest: "protocol", Options: []string{"--protocol"}, Choices: ruleProtocols,
		Help: "Network protocol this rule applies to."}
	priority := &core.Arg{Dest: "priority", Options: []string{"--priority"}, Kind: core.Int,
		Help: "Rule priority, between 100 (highest priority) and 4096 (lowest priority). Must be unique for each rule in the collection."}
	description := &core.Arg{Dest: "description", Options: []string{"--description"}, Help: "Rule description."}
	if create {
		access.Default, access.Help = "Allow", "Allowed values: Allow, Deny.  Default: Allow."
		direction.Default, direction.Help = "Inbound", "Allowed values: Inbound, Outbound.  Default: Inbound."
		protocol.Default, protocol.Help = "*", "Network protocol this rule applies to.  Allowed values: *, Ah, Esp, Icmp, Tcp, Udp.  Default: *."
		priority.Required = true
	}
	for _, a := range []*core.Arg{access, description, direction, priority, protocol} {
		a.Group = "Properties"
	}
	return append(args, access, description, direction, priority, protocol)
}

func nsgNameArg() *core.Arg {
	return &core.Arg{Dest: "nsg_name", Options: []string{"--nsg-name"}, Help: "Name of the network security group."}
}

func ruleGroup() *core.Group {
	res := core.NewResource(RuleType, nsgNameArg(), core.NameArg("Name of the network security group rule."))
	show := res.ShowCommand("Get the details of a network security group rule.", core.Example{
		Summary: "Get information about a network security group rule.",
		Command: "az network nsg rule show -g MyResourceGroup --nsg-name MyNsg -n MyNsgRule",
	})
	show.TableQuery = ruleTable
	return &core.Group{
		Name:  "network nsg rule",
		Short: "Manage network security group rules.",
		Commands: aaz(
			ruleCreate(res),
			show,
			ruleList(),
			res.DeleteCommand("Delete a network security group rule.", true, false, core.Example{
				Summary: "Delete a network security group rule.",
				Command: "az network nsg rule delete -g MyResourceGroup --nsg-name MyNsg -n MyNsgRule",
			}),
			ruleUpdate(res),
			res.WaitCommand("Place the CLI in a waiting state until a condition is met."),
		),
	}
}

func ruleCreate(res *core.Resource) *core.Command {
	return &core.Command{
		Name: "create", Short: "Create a network security group rule.", NoWait: true,
		Args: append(res.Args(true), ruleArgs(true)...),
		Examples: []core.Example{
			{Summary: "Create a basic \"Allow\" NSG rule with the highest priority.",
				Command: "az network nsg rule create -g MyResourceGroup --nsg-name MyNsg -n MyNsgRule --priority 100"},
			{Summary: "Create a \"Deny\" rule over TCP for a specific IP address range with the lowest priority.",
				Command: "az network nsg rule create -g MyResourceGroup --nsg-name MyNsg -n MyNsgRule --priority 4096 --source-address-prefixes 208.130.28.0/24 --source-port-ranges 80 --destination-address-prefixes '*' --destination-port-ranges 80 8080 --access Deny --protocol Tcp --description \"Deny from specific IP address ranges on 80 and 8080.\""},
			{Summary: "Create a security rule using service tags. For more details visit https://aka.ms/servicetags",
				Command: "az network nsg rule create -g MyResourceGroup --nsg-name MyNsg -n MyNsgRuleWithTags --priority 400 --source-address-prefixes VirtualNetwork --destination-address-prefixes Storage --destination-port-ranges '*' --direction Outbound --access Allow --protocol Tcp --description \"Allow VirtualNetwork to Storage.\""},
		},
		Run: func(c *core.Context) (any, error) {
			body, err := ruleCreateBody(c)
			if err != nil {
				return nil, err
			}
			return res.Put(c, body)
		},
	}
}

// ruleCreateBody builds the PUT body of "nsg rule create".
func ruleCreateBody(c *core.Context) (map[string]any, error) {
	props := map[string]any{
		"access":    c.String("access"),
		"direction": c.String("direction"),
		"priority":  c.Int("priority"),
		"protocol":  c.String("protocol"),
	}
	if c.Has("description") {
		props["description"] = c.String("description")
	}
	for _, p := range pluralPairs {
		vals := c.List(p.dest)
		switch len(vals) {
		case 0:
			props[p.singular] = p.createDefault
		case 1:
			props[p.singular] = vals[0]
		default:
			props[p.plural] = vals
		}
	}
	for _, a := range asgPairs {
		if !c.Has(a.dest) {
			continue
		}
		refs, err := asgRefs(c, c.List(a.dest))
		if err != nil {
			return nil, err
		}
		props[a.property] = refs
		// The groups replace the (default) single address prefix.
		delete(props, a.prefixPair)
	}
	return map[string]any{"name": c.String("name"), "properties": props}, nil
}

// asgRefs turns application security group names or IDs into {"id": ...}
// references; a name is an ASG of the command's resource group.
func asgRefs(c *core.Context, vals []string) ([]any, error) {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		id := v
		if rid, err := arm.ParseResourceID(v); err != nil || len(rid.Names) == 0 {
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			id = arm.ResourcePath(sub, c.String("resource_group"), Namespace, "applicationSecurityGroups", v)
		}
		out = append(out, map[string]any{"id": id})
	}
	return out, nil
}

func ruleList() *core.Command {
	return &core.Command{
		Name: "list", Short: "List all rules in a network security group.", NoIDs: true,
		Args: []*core.Arg{
			core.ResourceGroupArg(true),
			func() *core.Arg { a := nsgNameArg(); a.Required = true; return a }(),
			{Dest: "include_default", Options: []string{"--include-default"}, Kind: core.Flag,
				Help: "Include default security rules in the output."},
		},
		TableQuery: "[]." + ruleTable,
		Examples: []core.Example{{
			Summary: "List all rules in a network security group.",
			Command: "az network nsg rule list -g MyResourceGroup --nsg-name MyNsg",
		}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			obj, err := client.GetObject(c.Context(), NSGType.Path(sub, c.String("resource_group"), c.String("nsg_name")), APIVersion, nil)
			if err != nil {
				return nil, err
			}
			NSGShape.Apply(obj)
			rules := listOf(obj["securityRules"])
			if c.Bool("include_default") {
				rules = append(rules, listOf(obj["defaultSecurityRules"])...)
			}
			return rules, nil
		},
	}
}

func listOf(v any) []any {
	l, _ := v.([]any)
	if l == nil {
		return []any{}
	}
	return l
}

// ruleUpdate is az's "nsg rule update": the generic update with
// azure-cli's NSGRuleUpdate pre/post instance hooks.
func ruleUpdate(res *core.Resource) *core.Command {
	args := append(res.Args(true), ruleArgs(false)...)
	args = append(args, core.UpdateArgs()...)
	return &core.Command{
		Name: "update", Short: "Update a network security group rule.", NoWait: true, Args: args,
		Examples: []core.Example{{
			Summary: "Update a network security group rule.",
			Command: "az network nsg rule update --name MyNsgRule --nsg-name MyNsg --resource-group MyResourceGroup --source-address-prefixes 208.130.28/24",
		}},
		Run: func(c *core.Context) (any, error) {
			view, err := res.Get(c)
			if err != nil {
				return nil, err
			}
			RuleShape.Loose().Apply(view)
			// pre_instance_update: singular properties become lists.
			for _, p := range pluralPairs {
				if s, ok := view[p.singular].(string); ok && s != "" {
					view[p.plural] = []any{s}
					delete(view, p.singular)
				}
			}
			if err := applyRuleArgs(c, view); err != nil {
				return nil, err
			}
			if err := core.ApplyGenericUpdate(c, view); err != nil {
				return nil, err
			}
			// post_instance_update: one-element lists become singular.
			for _, p := range pluralPairs {
				if l, ok := view[p.plural].([]any); ok && len(l) == 1 {
					view[p.singular] = l[0]
					delete(view, p.plural)
				}
			}
			return putShaped(c, res, RuleShape, RuleShape.Unflatten(view))
		},
	}
}

// applyRuleArgs applies "nsg rule update"'s own arguments to the
// flattened rule.
func applyRuleArgs(c *core.Context, view map[string]any) error {
	for _, k := range []string{"access", "direction", "protocol"} {
		if c.Has(k) {
			view[k] = c.String(k)
		}
	}
	if c.Has("priority") {
		view["priority"] = c.Int("priority")
	}
	if c.Has("description") {
		if d := c.String("description"); nullable(d) {
			delete(view, "description")
		} else {
			view["description"] = d
		}
	}
	for _, p := range pluralPairs {
		if c.Has(p.dest) {
			vals := c.List(p.dest)
			l := make([]any, len(vals))
			for i, v := range vals {
				l[i] = v
			}
			view[p.plural] = l
		}
	}
	for _, a := range asgPairs {
		if !c.Has(a.dest) {
			continue
		}
		refs, err := asgRefs(c, c.List(a.dest))
		if err != nil {
			return err
		}
		view[a.property] = refs
	}
	return nil
}

// putShaped PUTs a raw body to the resource (waiting unless --no-wait) and
// returns the shaped result.
func putShaped(c *core.Context, res *core.Resource, shape *arm.Shape, body map[string]any) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := res.Path(c)
	if err != nil {
		return nil, err
	}
	out, err := client.Put(c.Context(), p, res.Type.APIVersion, body, c.NoWait())
	if err != nil {
		return nil, err
	}
	return shape.Apply(out), nil
}
