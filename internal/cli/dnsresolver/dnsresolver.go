package dnsresolver

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what the dns-resolver extension's aaz commands send.
const APIVersion = "2022-07-01"

const namespace = "Microsoft.Network"

var flat = &arm.Shape{Flatten: true}

// Resource types.
var (
	ResolverType = core.ResourceType{Namespace: namespace, Types: []string{"dnsResolvers"}, APIVersion: APIVersion, Shape: flat}
	InboundType  = core.ResourceType{Namespace: namespace, Types: []string{"dnsResolvers", "inboundEndpoints"}, APIVersion: APIVersion, Shape: flat}
	OutboundType = core.ResourceType{Namespace: namespace, Types: []string{"dnsResolvers", "outboundEndpoints"}, APIVersion: APIVersion, Shape: flat}
	RulesetType  = core.ResourceType{Namespace: namespace, Types: []string{"dnsForwardingRulesets"}, APIVersion: APIVersion, Shape: flat}
	RuleType     = core.ResourceType{Namespace: namespace, Types: []string{"dnsForwardingRulesets", "forwardingRules"}, APIVersion: APIVersion, Shape: flat}
	LinkType     = core.ResourceType{Namespace: namespace, Types: []string{"dnsForwardingRulesets", "virtualNetworkLinks"}, APIVersion: APIVersion, Shape: flat}
)

// Fields of the compound arguments.
var (
	ipConfigFields = []field{{key: "id", wire: "subnet", sub: true}, {key: "private-ip-address", wire: "privateIpAddress"},
		{key: "private-ip-allocation-method", wire: "privateIpAllocationMethod"}}
	targetFields   = []field{{key: "ip-address", wire: "ipAddress"}, {key: "port", wire: "port", port: true}}
	endpointFields = []field{{key: "id", wire: "id"}}
)

// Groups returns the command groups.
func Groups() []*core.Group {
	return []*core.Group{
		{Name: "dns-resolver", Short: "Manage Dns Resolver.", Commands: resolverCommands()},
		{Name: "dns-resolver inbound-endpoint", Short: "Manage inbound endpoint with dns resolver.", Commands: inboundCommands()},
		{Name: "dns-resolver outbound-endpoint", Short: "Manage outbound endpoint with dns resolver.", Commands: outboundCommands()},
		{Name: "dns-resolver forwarding-ruleset", Short: "Manage forwarding ruleset with dns resolver.", Commands: rulesetCommands()},
		{Name: "dns-resolver forwarding-rule", Short: "Manage forwarding rule with dns resolver.", Commands: ruleCommands()},
		{Name: "dns-resolver vnet-link", Short: "Manage vnet link with dns resolver.", Commands: linkCommands()},
	}
}

func nameArg(help string) *core.Arg { return core.NameArg(help) }

func parentArg(dest, opt, help string) *core.Arg {
	return &core.Arg{Dest: dest, Options: []string{opt}, Required: true, Help: help}
}

// crud adds show, list and delete to a create command.
func crud(r *core.Resource, noun string, create ...*core.Command) []*core.Command {
	return append(create,
		r.ShowCommand("Gets properties of a "+noun+"."),
		r.ListCommand("Lists "+noun+"s."),
		r.DeleteCommand("Deletes a "+noun+". WARNING: This operation cannot be undone.", true, true),
	)
}

// baseBody is {location, tags} of a tracked resource.
func baseBody(c *core.Context) (map[string]any, error) {
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	body := map[string]any{"location": loc}
	if c.Has("tags") {
		body["tags"] = c.Tags("tags")
	}
	return body, nil
}

func trackedArgs() []*core.Arg { return []*core.Arg{core.LocationArg(false), core.TagsArg()} }

func resolverCommands() []*core.Command {
	r := core.NewResource(ResolverType, nameArg("The name of the DNS resolver."))
	create := &core.Command{
		Name: "create", Short: "Create a DNS resolver.", NoWait: true,
		Args: append(append(r.Args(true), trackedArgs()...),
			&core.Arg{Dest: "virtual_network", Options: []string{"--id", "--virtual-network"}, Required: true,
				Help: "The reference to the virtual network. This cannot be changed after creation."}),
		Examples: []core.Example{{Summary: "Upsert DNS resolver",
			Command: `az dns-resolver create --name "sampleDnsResolver" --location "westus2" --id "/subscriptions/cbb1387e-4b03-44f2-ad41-58d4677b9873/resourceGroups/virtualNetworkResourceGroup/providers/Microsoft.Network/virtualNetworks/sampleVirtualNetwork" --tags key1="value1" --resource-group "sampleResourceGroup"`}},
		Run: func(c *core.Context) (any, error) {
			body, err := baseBody(c)
			if err != nil {
				return nil, err
			}
			body["properties"] = map[string]any{"virtualNetwork": map[string]any{"id": c.String("virtual_network")}}
			return r.Put(c, body)
		},
	}
	return append(crud(r, "DNS resolver", create),
		listByVNetCommand("listDnsResolvers", "Lists DNS resolver resource IDs linked to a virtual network."))
}

// listByVNetCommand is "list-by-virtual-network": POST
// .../virtualNetworks/{vnet}/<action>, printing the service's value list.
func listByVNetCommand(action, short string) *core.Command {
	return &core.Command{
		Name: "list-by-virtual-network", Short: short, NoIDs: true,
		Args: []*core.Arg{core.ResourceGroupArg(true),
			{Dest: "virtual_network_name", Options: []string{"--virtual-network-name"}, Required: true, Help: "The name of the virtual network."},
			{Dest: "top", Options: []string{"--top"}, Kind: core.Int, Help: "The maximum number of results to return. If not specified, returns up to 100 results."}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			p := arm.ResourcePath(sub, c.String("resource_group"), namespace, "virtualNetworks", c.String("virtual_network_name")) + "/" + action
			res, err := client.Post(c.Context(), p, APIVersion, nil, false)
			if err != nil {
				return nil, err
			}
			m, _ := res.(map[string]any)
			items, _ := m["value"].([]any)
			if items == nil {
				items = []any{}
			}
			if c.Has("top") && c.Int("top") >= 0 && c.Int("top") < len(items) {
				items = items[:c.Int("top")]
			}
			return flat.Apply(items), nil
		},
	}
}

func inboundCommands() []*core.Command {
	r := core.NewResource(InboundType, parentArg("dns_resolver_name", "--dns-resolver-name", "The name of the DNS resolver."),
		nameArg("The name of the inbound endpoint for the DNS resolver."))
	create := &core.Command{
		Name: "create", Short: "Create an inbound endpoint for a DNS resolver.", NoWait: true,
		Args: append(append(r.Args(true), trackedArgs()...),
			&core.Arg{Dest: "ip_configurations", Options: []string{"--ip-configurations"}, Required: true,
				Help: "IP configurations for the inbound endpoint. Support shorthand-syntax, json-file and yaml-file. Try \"??\" to show more."}),
		Examples: []core.Example{{Summary: "Upsert inbound endpoint for DNS resolver",
			Command: `az dns-resolver inbound-endpoint create --dns-resolver-name "sampleDnsResolver" --name "sampleInboundEndpoint" --location "westus2" --ip-configurations '[{private-ip-address:"",private-ip-allocation-method:Dynamic,id:"/subscriptions/0403cfa9-9659-4f33-9f30-1f191c51d111/resourceGroups/sampleVnetResourceGroupName/providers/Microsoft.Network/virtualNetworks/sampleVirtualNetwork/subnets/sampleSubnet"}]' --tags key1="value1" --resource-group "sampleResourceGroup"`}},
		Run: func(c *core.Context) (any, error) {
			v, err := parseShorthand("--ip-configurations", c.String("ip_configurations"))
			if err != nil {
				return nil, err
			}
			cfgs, err := objects("--ip-configurations", v, ipConfigFields)
			if err != nil {
				return nil, err
			}
			for _, e := range cfgs {
				// aaz drops empty strings from the request.
				if m := e.(map[string]any); m["privateIpAddress"] == "" {
					delete(m, "privateIpAddress")
				}
			}
			body, err := baseBody(c)
			if err != nil {
				return nil, err
			}
			body["properties"] = map[string]any{"ipConfigurations": cfgs}
			return r.Put(c, body)
		},
	}
	return crud(r, "inbound endpoint for a DNS resolver", create)
}

func outboundCommands() []*core.Command {
	r := core.NewResource(OutboundType, parentArg("dns_resolver_name", "--dns-resolver-name", "The name of the DNS resolver."),
		nameArg("The name of the outbound endpoint for the DNS resolver."))
	create := &core.Command{
		Name: "create", Short: "Create an outbound endpoint for a DNS resolver.", NoWait: true,
		Args: append(append(r.Args(true), trackedArgs()...),
			&core.Arg{Dest: "subnet", Options: []string{"--id"}, Required: true, Help: "Resource ID."}),
		Examples: []core.Example{{Summary: "Upsert outbound endpoint for DNS resolver",
			Command: `az dns-resolver outbound-endpoint create --dns-resolver-name "sampleDnsResolver" --name "sampleOutboundEndpoint" --location "westus2" --id "/subscriptions/0403cfa9-9659-4f33-9f30-1f191c51d111/resourceGroups/sampleVnetResourceGroupName/providers/Microsoft.Network/virtualNetworks/sampleVirtualNetwork/subnets/sampleSubnet" --tags key1="value1" --resource-group "sampleResourceGroup"`}},
		Run: func(c *core.Context) (any, error) {
			body, err := baseBody(c)
			if err != nil {
				return nil, err
			}
			body["properties"] = map[string]any{"subnet": map[string]any{"id": c.String("subnet")}}
			return r.Put(c, body)
		},
	}
	return crud(r, "outbound endpoint for a DNS resolver", create)
}

func rulesetCommands() []*core.Command {
	r := core.NewResource(RulesetType, nameArg("The name of the DNS forwarding ruleset."))
	create := &core.Command{
		Name: "create", Short: "Create a DNS forwarding ruleset.", NoWait: true,
		Args: append(append(r.Args(true), trackedArgs()...),
			&core.Arg{Dest: "outbound_endpoints", Options: []string{"--outbound-endpoints", "--dns-resolver-outbound-endpoints"}, Required: true,
				Help: "The reference to the DNS resolver outbound endpoints that are used to route DNS queries matching the forwarding rules in the ruleset to the target DNS servers. Support shorthand-syntax, json-file and yaml-file. Try \"??\" to show more."}),
		Examples: []core.Example{{Summary: "Upsert DNS forwarding ruleset",
			Command: `az dns-resolver forwarding-ruleset create --name "samplednsForwardingRuleset" --location "westus2" --outbound-endpoints '[{id:"/subscriptions/abdd4249-9f34-4cc6-8e42-c2e32110603e/resourceGroups/sampleResourceGroup/providers/Microsoft.Network/dnsResolvers/sampleDnsResolver/outboundEndpoints/sampleOutboundEndpoint0"}]' --tags key1="value1" --resource-group "sampleResourceGroup"`}},
		Run: func(c *core.Context) (any, error) {
			v, err := parseShorthand("--outbound-endpoints", c.String("outbound_endpoints"))
			if err != nil {
				return nil, err
			}
			eps, err := objects("--outbound-endpoints", v, endpointFields)
			if err != nil {
				return nil, err
			}
			body, err := baseBody(c)
			if err != nil {
				return nil, err
			}
			body["properties"] = map[string]any{"dnsResolverOutboundEndpoints": eps}
			return r.Put(c, body)
		},
	}
	return append(crud(r, "DNS forwarding ruleset", create),
		listByVNetCommand("listDnsForwardingRulesets", "Lists DNS forwarding ruleset resource IDs attached to a virtual network."))
}

func metadataArg() *core.Arg {
	return &core.Arg{Dest: "metadata", Options: []string{"--metadata"}, Kind: core.OptionalList,
		Help: "Metadata attached to the forwarding rule. Support shorthand-syntax, json-file and yaml-file. Try \"??\" to show more."}
}

// metadata reads --metadata: a shorthand object, or key=value tokens.
func metadata(c *core.Context) (map[string]any, error) {
	toks := c.List("metadata")
	if len(toks) == 1 && (len(toks[0]) > 0 && (toks[0][0] == '{' || toks[0][0] == '@')) {
		v, err := parseShorthand("--metadata", toks[0])
		if err != nil {
			return nil, err
		}
		return stringMap("--metadata", v)
	}
	return c.Tags("metadata"), nil
}

func ruleStateArg() *core.Arg {
	return &core.Arg{Dest: "forwarding_rule_state", Options: []string{"--forwarding-rule-state"}, Choices: []string{"Disabled", "Enabled"},
		Help: "The state of forwarding rule."}
}

func targetsArg(required bool) *core.Arg {
	return &core.Arg{Dest: "target_dns_servers", Options: []string{"--target-dns-servers"}, Required: required,
		Help: "DNS servers to forward the DNS query to. Support shorthand-syntax, json-file and yaml-file. Try \"??\" to show more."}
}

func targets(c *core.Context) ([]any, error) {
	v, err := parseShorthand("--target-dns-servers", c.String("target_dns_servers"))
	if err != nil {
		return nil, err
	}
	return objects("--target-dns-servers", v, targetFields)
}

func ruleCommands() []*core.Command {
	r := core.NewResource(RuleType, parentArg("ruleset_name", "--ruleset-name", "The name of the DNS forwarding ruleset."),
		nameArg("The name of the forwarding rule."))
	create := &core.Command{
		Name: "create", Short: "Create a forwarding rule in a DNS forwarding ruleset.",
		Args: append(r.Args(true),
			&core.Arg{Dest: "domain_name", Options: []string{"--domain-name"}, Required: true, Help: "The domain name for the forwarding rule."},
			targetsArg(true), ruleStateArg(), metadataArg()),
		Examples: []core.Example{{Summary: "Upsert forwarding rule in a DNS forwarding ruleset",
			Command: `az dns-resolver forwarding-rule create --ruleset-name "sampleDnsForwardingRuleset" --name "sampleForwardingRule" --domain-name "contoso.com." --forwarding-rule-state "Enabled" --metadata additionalProp1="value1" --target-dns-servers '[{ip-address:"10.0.0.1",port:53},{ip-address:"10.0.0.2",port:53}]' --resource-group "sampleResourceGroup"`}},
		Run: func(c *core.Context) (any, error) {
			ts, err := targets(c)
			if err != nil {
				return nil, err
			}
			p := map[string]any{"domainName": c.String("domain_name"), "targetDnsServers": ts}
			if c.Has("forwarding_rule_state") {
				p["forwardingRuleState"] = c.String("forwarding_rule_state")
			}
			if c.Has("metadata") {
				m, err := metadata(c)
				if err != nil {
					return nil, err
				}
				p["metadata"] = m
			}
			return r.Put(c, map[string]any{"properties": p})
		},
	}
	cmds := crud(r, "forwarding rule in a DNS forwarding ruleset", create)
	cmds = append(cmds, r.UpdateCommand("Update a forwarding rule in a DNS forwarding ruleset.",
		[]*core.Arg{targetsArg(false), ruleStateArg(), metadataArg()},
		func(c *core.Context, obj map[string]any) error {
			if c.Has("target_dns_servers") {
				ts, err := targets(c)
				if err != nil {
					return err
				}
				obj["targetDnsServers"] = ts
			}
			if c.Has("forwarding_rule_state") {
				obj["forwardingRuleState"] = c.String("forwarding_rule_state")
			}
			if c.Has("metadata") {
				m, err := metadata(c)
				if err != nil {
					return err
				}
				obj["metadata"] = m
			}
			return nil
		}))
	// Rules are not long-running: no --no-wait on delete/update.
	for _, cmd := range cmds {
		cmd.NoWait = false
	}
	return cmds
}

func linkCommands() []*core.Command {
	r := core.NewResource(LinkType, parentArg("ruleset_name", "--ruleset-name", "The name of the DNS forwarding ruleset."),
		nameArg("The name of the virtual network link."))
	create := &core.Command{
		Name: "create", Short: "Create a virtual network link to a DNS forwarding ruleset.", NoWait: true,
		Args: append(r.Args(true),
			&core.Arg{Dest: "virtual_network", Options: []string{"--id"}, Required: true, Help: "Resource ID."},
			&core.Arg{Dest: "metadata", Options: []string{"--metadata"}, Kind: core.OptionalList,
				Help: "Metadata attached to the virtual network link. Support shorthand-syntax, json-file and yaml-file. Try \"??\" to show more."}),
		Examples: []core.Example{{Summary: "Upsert virtual network link to a DNS forwarding ruleset",
			Command: `az dns-resolver vnet-link create --ruleset-name "sampleDnsForwardingRuleset" --metadata additionalProp1="value1" --id "/subscriptions/0403cfa9-9659-4f33-9f30-1f191c51d111/resourceGroups/sampleVnetResourceGroupName/providers/Microsoft.Network/virtualNetworks/sampleVirtualNetwork" --resource-group "sampleResourceGroup" --name "sampleVirtualNetworkLink"`}},
		Run: func(c *core.Context) (any, error) {
			p := map[string]any{"virtualNetwork": map[string]any{"id": c.String("virtual_network")}}
			if c.Has("metadata") {
				m, err := metadata(c)
				if err != nil {
					return nil, err
				}
				p["metadata"] = m
			}
			return r.Put(c, map[string]any{"properties": p})
		},
	}
	return crud(r, "virtual network link to a DNS forwarding ruleset", create)
}
