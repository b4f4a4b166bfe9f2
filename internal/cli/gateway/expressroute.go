package gateway

import (
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

func circuitResource() *core.Resource {
	return core.NewResource(CircuitType, core.NameArg("ExpressRoute circuit name."))
}

func circuitNameArg() *core.Arg {
	return &core.Arg{Dest: "circuit_name", Options: []string{"--circuit-name"}, Help: "ExpressRoute circuit name."}
}

func circuitGroup() *core.Group {
	r := circuitResource()
	return &core.Group{
		Name:  "network express-route",
		Short: "Manage dedicated private network fiber connections to Azure.",
		Commands: []*core.Command{
			circuitCreate(),
			r.ShowCommand("Get the details of an ExpressRoute circuit.",
				core.Example{Summary: "Get the details of an ExpressRoute circuit.", Command: "az network express-route show -n MyCircuit -g MyResourceGroup"}),
			r.ListCommand("List all ExpressRoute circuits for the current subscription.",
				core.Example{Summary: "List ExpressRoute circuits in a resource group.", Command: "az network express-route list -g MyResourceGroup"}),
			r.DeleteCommand("Delete an ExpressRoute circuit.", true, false,
				core.Example{Summary: "Delete an ExpressRoute circuit.", Command: "az network express-route delete -n MyCircuit -g MyResourceGroup"}),
			r.UpdateCommand("Update settings of an ExpressRoute circuit.", []*core.Arg{core.TagsArg(),
				{Dest: "bandwidth", Options: []string{"--bandwidth"}, Kind: core.List, Help: "Bandwidth of the circuit. Usage: INT {Mbps,Gbps}. Defaults to Mbps."},
				{Dest: "sku_family", Options: []string{"--sku-family"}, Choices: []string{"MeteredData", "UnlimitedData"}, Help: "Chosen SKU family of ExpressRoute circuit."},
				{Dest: "sku_tier", Options: []string{"--sku-tier"}, Choices: []string{"Basic", "Local", "Premium", "Standard"}, Help: "SKU Tier."},
				{Dest: "allow_classic_operations", Options: []string{"--allow-classic-operations"}, Kind: core.TriState, Help: "Allow classic operations."},
			}, applyCircuitUpdate, core.Example{Summary: "Change the SKU of an ExpressRoute circuit from Standard to Premium.",
				Command: "az network express-route update -n MyCircuit -g MyResourceGroup --sku-tier Premium"}),
			r.WaitCommand("Place the CLI in a waiting state until a condition of the ExpressRoute is met."),
		},
	}
}

// parseBandwidth reads --bandwidth as az does: "50" or "50 Mbps" (one
// argument with a space, or two arguments), "1 Gbps"; Mbps by default.
func parseBandwidth(parts []string) (int, error) {
	usage := core.Usagef("--bandwidth INT {Mbps,Gbps}")
	comps := parts
	if len(parts) == 1 {
		comps = strings.Split(parts[0], " ")
	}
	if len(comps) == 1 {
		comps = append(comps, "mbps")
	}
	if len(comps) != 2 {
		return 0, usage
	}
	v, err := strconv.ParseFloat(comps[0], 64)
	unit := strings.ToLower(comps[1])
	if err != nil || v == 0 || (unit != "mbps" && unit != "gbps") {
		return 0, usage
	}
	if unit == "gbps" {
		v *= 1000
	}
	return int(v), nil
}

func applyCircuitUpdate(c *core.Context, obj map[string]any) error {
	tagsUpdate(c, obj)
	if c.Has("bandwidth") {
		bw, err := parseBandwidth(c.List("bandwidth"))
		if err != nil {
			return err
		}
		sp, _ := obj["serviceProviderProperties"].(map[string]any)
		if sp == nil {
			sp = map[string]any{}
		}
		sp["bandwidthInMbps"] = bw
		obj["serviceProviderProperties"] = sp
	}
	if c.Has("sku_family") || c.Has("sku_tier") {
		sku, _ := obj["sku"].(map[string]any)
		if sku == nil {
			sku = map[string]any{}
		}
		if c.Has("sku_family") {
			sku["family"] = c.String("sku_family")
		}
		if c.Has("sku_tier") {
			sku["tier"] = c.String("sku_tier")
		}
		sku["name"] = strings.TrimSpace(str(sku["tier"]) + "_" + str(sku["family"]))
		obj["sku"] = sku
	}
	if b := c.OptBool("allow_classic_operations"); b != nil {
		obj["allowClassicOperations"] = *b
	}
	// Children are managed through their own commands.
	delete(obj, "peerings")
	delete(obj, "authorizations")
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

func circuitCreate() *core.Command {
	args := []*core.Arg{core.ResourceGroupArg(true), core.NameArg("ExpressRoute circuit name."), core.LocationArg(false), core.TagsArg(),
		{Dest: "bandwidth", Options: []string{"--bandwidth"}, Kind: core.List, Required: true, Help: "Bandwidth of the circuit. Usage: INT {Mbps,Gbps}. Defaults to Mbps."},
		{Dest: "peering_location", Options: []string{"--peering-location"}, Required: true, Help: "Name of the peering location."},
		{Dest: "provider", Options: []string{"--provider"}, Required: true, Help: "Name of the ExpressRoute Service Provider."},
		{Dest: "sku_family", Options: []string{"--sku-family"}, Choices: []string{"MeteredData", "UnlimitedData"}, Default: "MeteredData", Help: "Chosen SKU family of ExpressRoute circuit."},
		{Dest: "sku_tier", Options: []string{"--sku-tier"}, Choices: []string{"Basic", "Local", "Premium", "Standard"}, Default: "Standard", Help: "SKU Tier."},
		{Dest: "allow_classic_operations", Options: []string{"--allow-classic-operations"}, Kind: core.TriState, Help: "Allow classic operations."},
	}
	return &core.Command{
		Name: "create", Short: "Create an ExpressRoute circuit.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{{Summary: "Create an ExpressRoute circuit.",
			Command: "az network express-route create --bandwidth 200 -n MyCircuit --peering-location \"Silicon Valley\" -g MyResourceGroup --provider \"Equinix\" -l \"West US\" --sku-family MeteredData --sku-tier Standard"}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			bw, err := parseBandwidth(c.List("bandwidth"))
			if err != nil {
				return nil, err
			}
			tier, family := c.String("sku_tier"), c.String("sku_family")
			p := map[string]any{"serviceProviderProperties": map[string]any{
				"serviceProviderName": c.String("provider"), "peeringLocation": c.String("peering_location"), "bandwidthInMbps": bw}}
			if b := c.OptBool("allow_classic_operations"); b != nil {
				p["allowClassicOperations"] = *b
			}
			body := map[string]any{"location": loc, "sku": map[string]any{"name": tier + "_" + family, "tier": tier, "family": family}, "properties": p}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			out, err := putAndShape(c, CircuitType, CircuitType.Path(sub, c.String("resource_group"), c.String("name")), body)
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// ---- peerings ----

func peeringGroup() *core.Group {
	r := core.NewResource(PeeringType, circuitNameArg(), core.NameArg("Name of the peering."))
	return &core.Group{
		Name:  "network express-route peering",
		Short: "Manage ExpressRoute peering of an ExpressRoute circuit.",
		Commands: []*core.Command{
			peeringCreate(),
			r.ShowCommand("Get the details of an express route peering.",
				core.Example{Summary: "Get private peering details of an ExpressRoute circuit.", Command: "az network express-route peering show -g MyResourceGroup --circuit-name MyCircuit -n AzurePrivatePeering"}),
			r.ListCommand("List peering settings of an ExpressRoute circuit.",
				core.Example{Summary: "List peering settings of an ExpressRoute circuit.", Command: "az network express-route peering list -g MyResourceGroup --circuit-name MyCircuit"}),
			r.DeleteCommand("Delete peering settings.", true, false,
				core.Example{Summary: "Delete private peering.", Command: "az network express-route peering delete -g MyResourceGroup --circuit-name MyCircuit -n AzurePrivatePeering"}),
		},
	}
}

func peeringCreate() *core.Command {
	cn := circuitNameArg()
	cn.Required = true
	args := []*core.Arg{core.ResourceGroupArg(true), cn,
		{Dest: "peering_type", Options: []string{"--peering-type"}, Required: true, Choices: []string{"AzurePrivatePeering", "AzurePublicPeering", "MicrosoftPeering"}, Help: "BGP peering type for the circuit."},
		{Dest: "peer_asn", Options: []string{"--peer-asn"}, Kind: core.Int, Required: true, Help: "Autonomous system number of the customer/connectivity provider."},
		{Dest: "vlan_id", Options: []string{"--vlan-id"}, Kind: core.Int, Required: true, Help: "Identifier used to identify the customer."},
		{Dest: "primary_peer_subnet", Options: []string{"--primary-peer-subnet"}, Help: "/30 subnet used to configure IP addresses for primary interface."},
		{Dest: "secondary_peer_subnet", Options: []string{"--secondary-peer-subnet"}, Help: "/30 subnet used to configure IP addresses for secondary interface."},
		{Dest: "shared_key", Options: []string{"--shared-key"}, Help: "Key for generating an MD5 for the BGP session."},
	}
	return &core.Command{
		Name: "create", Short: "Create peering settings for an ExpressRoute circuit.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{{Summary: "Create Azure private peering.",
			Command: "az network express-route peering create -g MyResourceGroup --circuit-name MyCircuit --peering-type AzurePrivatePeering --peer-asn 10001 --vlan-id 101 --primary-peer-subnet 102.0.0.0/30 --secondary-peer-subnet 103.0.0.0/30"}},
		Run: func(c *core.Context) (any, error) {
			pt := c.String("peering_type")
			p := map[string]any{"peeringType": pt, "peerASN": c.Int("peer_asn"), "vlanId": c.Int("vlan_id")}
			if s := c.String("primary_peer_subnet"); s != "" {
				p["primaryPeerAddressPrefix"] = s
			}
			if s := c.String("secondary_peer_subnet"); s != "" {
				p["secondaryPeerAddressPrefix"] = s
			}
			if s := c.String("shared_key"); s != "" {
				p["sharedKey"] = s
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			out, err := putAndShape(c, PeeringType, PeeringType.Path(sub, c.String("resource_group"), c.String("circuit_name"), pt), map[string]any{"properties": p})
			if err != nil || out == nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// ---- authorizations ----

func authGroup() *core.Group {
	r := core.NewResource(AuthType, circuitNameArg(), core.NameArg("Authorization name."))
	return &core.Group{
		Name:  "network express-route auth",
		Short: "Manage authentication of an ExpressRoute circuit.",
		Commands: []*core.Command{
			{Name: "create", Short: "Create a new link authorization for an ExpressRoute circuit.", Args: r.Args(true), NoWait: true, NoIDs: true,
				Examples: []core.Example{{Summary: "Create a new link authorization for an ExpressRoute circuit.",
					Command: "az network express-route auth create --circuit-name MyCircuit -g MyResourceGroup -n MyAuthorization"}},
				Run: func(c *core.Context) (any, error) {
					p, err := r.Path(c)
					if err != nil {
						return nil, err
					}
					out, err := putAndShape(c, AuthType, p, map[string]any{"properties": map[string]any{}})
					if err != nil || out == nil {
						return nil, err
					}
					return out, nil
				}},
			r.ShowCommand("Get a link authorization of an ExpressRoute circuit.",
				core.Example{Summary: "Get a link authorization of an ExpressRoute circuit.", Command: "az network express-route auth show -g MyResourceGroup --circuit-name MyCircuit -n MyAuthorization"}),
			r.ListCommand("List link authorizations of an ExpressRoute circuit.",
				core.Example{Summary: "List link authorizations of an ExpressRoute circuit.", Command: "az network express-route auth list -g MyResourceGroup --circuit-name MyCircuit"}),
			r.DeleteCommand("Delete a link authorization of an ExpressRoute circuit.", true, false,
				core.Example{Summary: "Delete a link authorization of an ExpressRoute circuit.", Command: "az network express-route auth delete -g MyResourceGroup --circuit-name MyCircuit -n MyAuthorization"}),
		},
	}
}
