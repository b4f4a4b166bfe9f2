package lb

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// subSpec describes a sub-resource collection edited through the load
// balancer (frontend-ip, rule, probe).
type subSpec struct {
	group, short, property, segment, noun string
	args                                  func(create bool) []*core.Arg
	// apply sets the item's properties from the arguments (create: all
	// defaults; update: only what was given).
	apply func(c *core.Context, lb map[string]any, props map[string]any, create bool) error
}

func lbNameArg() *core.Arg {
	return &core.Arg{Dest: "lb_name", Options: []string{"--lb-name"}, Required: true, Help: "The load balancer name."}
}

func subResourceOf(spec *subSpec) *core.Resource {
	t := core.ResourceType{Namespace: namespace, Types: []string{"loadBalancers", spec.segment}, APIVersion: APIVersion, Shape: subShape}
	return core.NewResource(t, lbNameArg(), core.NameArg(fmt.Sprintf("The name of the %s.", spec.noun)))
}

func subGroup(spec *subSpec) *core.Group {
	r := subResourceOf(spec)
	return &core.Group{Name: "network lb " + spec.group, Short: spec.short, Commands: []*core.Command{
		subWrite(spec, r, true), subWrite(spec, r, false),
		r.ShowCommand(fmt.Sprintf("Get the details of a %s.", spec.noun)),
		r.ListCommand(fmt.Sprintf("List %ss.", spec.noun)),
		subDelete(spec, r),
	}}
}

// lbPath is the load balancer's path from --lb-name.
func lbPath(c *core.Context) (string, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return LBType.Path(sub, c.String("resource_group"), c.String("lb_name")), nil
}

func getLB(c *core.Context) (map[string]any, string, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, "", err
	}
	p, err := lbPath(c)
	if err != nil {
		return nil, "", err
	}
	obj, err := client.GetObject(c.Context(), p, APIVersion, nil)
	return obj, p, err
}

func items(lb map[string]any, property string) []any {
	props, _ := lb["properties"].(map[string]any)
	l, _ := props[property].([]any)
	return l
}

func setItems(lb map[string]any, property string, l []any) {
	props, ok := lb["properties"].(map[string]any)
	if !ok {
		props = map[string]any{}
		lb["properties"] = props
	}
	if l == nil {
		l = []any{}
	}
	props[property] = l
}

func findItem(l []any, name string) (int, map[string]any) {
	for i, it := range l {
		m, _ := it.(map[string]any)
		if n, _ := m["name"].(string); strings.EqualFold(n, name) {
			return i, m
		}
	}
	return -1, nil
}

func putLB(c *core.Context, p string, lb map[string]any) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), p, APIVersion, lb, c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	obj, _ := res.(map[string]any)
	return obj, nil
}

func subWrite(spec *subSpec, r *core.Resource, create bool) *core.Command {
	args := r.Args(true)
	if create {
		for _, a := range args {
			a.IDPart = ""
		}
	}
	args = append(args, spec.args(create)...)
	name, short := "update", fmt.Sprintf("Update a %s.", spec.noun)
	if create {
		name, short = "create", fmt.Sprintf("Create a %s.", spec.noun)
	} else {
		args = append(args, core.UpdateArgs()...)
	}
	return &core.Command{Name: name, Short: short, Args: args, NoWait: true, NoIDs: create,
		Run: func(c *core.Context) (any, error) {
			lb, p, err := getLB(c)
			if err != nil {
				return nil, err
			}
			l := items(lb, spec.property)
			i, item := findItem(l, c.String("name"))
			if create {
				item = map[string]any{"name": c.String("name"), "properties": map[string]any{}}
				if i >= 0 {
					l[i] = item
				} else {
					l = append(l, item)
				}
			} else if item == nil {
				return nil, core.Errorf("Property '%s' does not exist for key '%s'.", spec.property, c.String("name"))
			}
			props, _ := item["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
				item["properties"] = props
			}
			if err := spec.apply(c, lb, props, create); err != nil {
				return nil, err
			}
			if !create {
				flat := subShape.Apply(item).(map[string]any)
				if err := core.ApplyGenericUpdate(c, flat); err != nil {
					return nil, err
				}
				l[i] = subShape.Unflatten(flat)
			}
			setItems(lb, spec.property, l)
			res, err := putLB(c, p, lb)
			if err != nil || res == nil {
				return nil, err
			}
			_, out := findItem(items(res, spec.property), c.String("name"))
			return subShape.Apply(out), nil
		}}
}

func subDelete(spec *subSpec, r *core.Resource) *core.Command {
	return &core.Command{Name: "delete", Short: fmt.Sprintf("Delete a %s.", spec.noun), Args: r.Args(true), NoWait: true,
		Run: func(c *core.Context) (any, error) {
			lb, p, err := getLB(c)
			if err != nil {
				return nil, err
			}
			l := items(lb, spec.property)
			i, _ := findItem(l, c.String("name"))
			if i < 0 {
				return nil, nil
			}
			setItems(lb, spec.property, append(l[:i:i], l[i+1:]...))
			_, err = putLB(c, p, lb)
			return nil, err
		}}
}

// childRef resolves a sub-resource name of the load balancer (or keeps an
// ID); with value empty it picks the only item of the collection, as az
// does, and fails when there are several.
func childRef(c *core.Context, lb map[string]any, property, segment, value, option string, required bool) (map[string]any, error) {
	if value == "" {
		l := items(lb, property)
		switch {
		case len(l) == 1:
			m, _ := l[0].(map[string]any)
			id, _ := m["id"].(string)
			return subResource(id), nil
		case len(l) > 1 && required:
			return nil, core.Errorf("%s must be specified when the load balancer has more than one item in '%s'.", option, property)
		}
		return nil, nil
	}
	if strings.HasPrefix(value, "/") {
		return subResource(value), nil
	}
	p, err := lbPath(c)
	if err != nil {
		return nil, err
	}
	return subResource(p + "/" + segment + "/" + value), nil
}

// ---- frontend-ip ----

var frontendSpec = &subSpec{
	group: "frontend-ip", short: "Manage frontend IP addresses of a load balancer.",
	property: "frontendIPConfigurations", segment: "frontendIPConfigurations", noun: "frontend IP address",
	args: func(bool) []*core.Arg {
		return []*core.Arg{
			{Dest: "subnet", Options: []string{"--subnet"}, Help: "Name or ID of an existing subnet. If name is specified, also specify --vnet-name."},
			{Dest: "vnet_name", Options: []string{"--vnet-name"}, Help: "The virtual network (VNet) associated with the subnet (Omit if supplying a subnet id)."},
			{Dest: "public_ip_address", Options: []string{"--public-ip-address"}, Help: "Name or ID of the existing public IP to associate with the configuration."},
			{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Help: "Static private IP address to associate with the configuration."},
			{Dest: "private_ip_address_version", Options: []string{"--private-ip-address-version"}, Choices: []string{"IPv4", "IPv6"}, Help: "The private IP address version to use."},
		}
	},
	apply: func(c *core.Context, _ map[string]any, props map[string]any, create bool) error {
		if c.Has("subnet") {
			id, err := subnetID(c)
			if err != nil {
				return err
			}
			props["subnet"] = subResource(id)
			delete(props, "publicIPAddress")
		}
		if c.Has("public_ip_address") {
			id, err := resourceID(c, c.String("public_ip_address"), []string{"publicIPAddresses"}, c.String("public_ip_address"))
			if err != nil {
				return err
			}
			props["publicIPAddress"] = subResource(id)
			delete(props, "subnet")
		}
		if c.Has("private_ip_address") {
			if ip := c.String("private_ip_address"); ip != "" {
				props["privateIPAddress"] = ip
				props["privateIPAllocationMethod"] = "Static"
			} else {
				delete(props, "privateIPAddress")
				props["privateIPAllocationMethod"] = "Dynamic"
			}
		} else if create {
			props["privateIPAllocationMethod"] = "Dynamic"
		}
		if c.Has("private_ip_address_version") {
			props["privateIPAddressVersion"] = c.String("private_ip_address_version")
		}
		if create && props["subnet"] == nil && props["publicIPAddress"] == nil {
			return core.Usagef("usage error: --subnet NAME --vnet-name NAME | --subnet ID | --public-ip-address NAME_OR_ID")
		}
		return nil
	},
}

// ---- rule ----

var ruleSpec = &subSpec{
	group: "rule", short: "Manage load balancing rules.",
	property: "loadBalancingRules", segment: "loadBalancingRules", noun: "load balancing rule",
	args: func(create bool) []*core.Arg {
		return []*core.Arg{
			{Dest: "protocol", Options: []string{"--protocol"}, Required: create, Choices: []string{"All", "Tcp", "Udp"}, Help: "Network transport protocol."},
			{Dest: "frontend_port", Options: []string{"--frontend-port"}, Required: create, Kind: core.Int, Help: "Port number."},
			{Dest: "backend_port", Options: []string{"--backend-port"}, Required: create, Kind: core.Int, Help: "Port number."},
			{Dest: "frontend_ip", Options: []string{"--frontend-ip-name", "--frontend-ip"}, Help: "The name of the frontend IP configuration."},
			{Dest: "backend_pool_name", Options: []string{"--backend-pool-name", "--address-pool"}, Help: "The name of the backend address pool."},
			{Dest: "probe", Options: []string{"--probe-name", "--probe"}, Help: "Name of an existing probe to associate with this rule."},
			{Dest: "floating_ip", Options: []string{"--floating-ip"}, Kind: core.TriState, Help: "Enable floating IP."},
			{Dest: "idle_timeout", Options: []string{"--idle-timeout-in-minutes", "--idle-timeout"}, Kind: core.Int, Help: "Idle timeout in minutes."},
			{Dest: "load_distribution", Options: []string{"--load-distribution"}, Choices: []string{"Default", "SourceIP", "SourceIPProtocol"}, Help: "Affinity rule settings."},
			{Dest: "enable_tcp_reset", Options: []string{"--enable-tcp-reset"}, Kind: core.TriState, Help: "Receive bidirectional TCP Reset on TCP flow idle timeout or unexpected connection termination."},
			{Dest: "disable_outbound_snat", Options: []string{"--disable-outbound-snat"}, Kind: core.TriState, Help: "Configure outbound source network address translation (SNAT)."},
		}
	},
	apply: func(c *core.Context, lb map[string]any, props map[string]any, create bool) error {
		if create || c.Has("frontend_ip") {
			ref, err := childRef(c, lb, "frontendIPConfigurations", "frontendIPConfigurations", c.String("frontend_ip"), "--frontend-ip-name", true)
			if err != nil {
				return err
			}
			props["frontendIPConfiguration"] = ref
		}
		if create || c.Has("backend_pool_name") {
			ref, err := childRef(c, lb, "backendAddressPools", "backendAddressPools", c.String("backend_pool_name"), "--backend-pool-name", true)
			if err != nil {
				return err
			}
			if ref != nil {
				props["backendAddressPool"] = ref
			}
		}
		if c.Has("probe") {
			ref, err := childRef(c, lb, "probes", "probes", c.String("probe"), "--probe-name", false)
			if err != nil {
				return err
			}
			props["probe"] = ref
		}
		setIf(c, props, "protocol", "protocol", false)
		setIf(c, props, "frontend_port", "frontendPort", true)
		setIf(c, props, "backend_port", "backendPort", true)
		setIf(c, props, "idle_timeout", "idleTimeoutInMinutes", true)
		setIf(c, props, "load_distribution", "loadDistribution", false)
		for dest, key := range map[string]string{"floating_ip": "enableFloatingIP", "enable_tcp_reset": "enableTcpReset", "disable_outbound_snat": "disableOutboundSnat"} {
			if b := c.OptBool(dest); b != nil {
				props[key] = *b
			} else if create {
				props[key] = false
			}
		}
		if create {
			if _, ok := props["idleTimeoutInMinutes"]; !ok {
				props["idleTimeoutInMinutes"] = 4
			}
			if _, ok := props["loadDistribution"]; !ok {
				props["loadDistribution"] = "Default"
			}
		}
		return nil
	},
}

func setIf(c *core.Context, props map[string]any, dest, key string, integer bool) {
	if !c.Has(dest) {
		return
	}
	if integer {
		props[key] = c.Int(dest)
		return
	}
	props[key] = c.String(dest)
}

// ---- probe ----

var probeSpec = &subSpec{
	group: "probe", short: "Evaluate probe information and define routing rules.",
	property: "probes", segment: "probes", noun: "probe",
	args: func(create bool) []*core.Arg {
		return []*core.Arg{
			{Dest: "protocol", Options: []string{"--protocol"}, Required: create, Choices: []string{"Http", "Https", "Tcp"}, Help: "The protocol of the end point."},
			{Dest: "port", Options: []string{"--port"}, Required: create, Kind: core.Int, Help: "The port to interrogate."},
			{Dest: "path", Options: []string{"--path"}, Help: "The endpoint to interrogate (http only)."},
			{Dest: "interval", Options: []string{"--interval"}, Kind: core.Int, Help: "Probing time interval in seconds."},
			{Dest: "threshold", Options: []string{"--threshold"}, Kind: core.Int, Help: "The number of consecutive probe failures before an instance is deemed unhealthy."},
			{Dest: "probe_threshold", Options: []string{"--probe-threshold"}, Kind: core.Int, Help: "The number of consecutive successful or failed probes in order to allow or deny traffic from being delivered to this endpoint."},
		}
	},
	apply: func(c *core.Context, _ map[string]any, props map[string]any, create bool) error {
		setIf(c, props, "protocol", "protocol", false)
		setIf(c, props, "port", "port", true)
		setIf(c, props, "interval", "intervalInSeconds", true)
		setIf(c, props, "threshold", "numberOfProbes", true)
		setIf(c, props, "probe_threshold", "probeThreshold", true)
		if c.Has("path") {
			if p := c.String("path"); p != "" {
				props["requestPath"] = p
			} else {
				delete(props, "requestPath")
			}
		}
		if create {
			if _, ok := props["intervalInSeconds"]; !ok {
				props["intervalInSeconds"] = 15
			}
			if _, ok := props["numberOfProbes"]; !ok {
				props["numberOfProbes"] = 2
			}
		}
		return nil
	},
}

// ---- address-pool ----

func poolResource() *core.Resource {
	return core.NewResource(PoolType, lbNameArg(), core.NameArg("The name of the backend address pool."))
}

func poolGroup() *core.Group {
	r := poolResource()
	create := &core.Command{Name: "create", Short: "Create a load balancer backend address pool.", NoWait: true, NoIDs: true,
		Args: append(r.Args(true),
			&core.Arg{Dest: "vnet", Options: []string{"--vnet"}, Help: "Name or Id of the virtual network applied to all backend addresses."},
			&core.Arg{Dest: "backend_address", Options: []string{"--backend-address", "--backend-addresses"}, Kind: core.List, Repeat: true,
				Help: "Backend addresses information for backend address pool: name=NAME ip-address=IP [vnet=VNET]."}),
		Examples: []core.Example{{Summary: "Create an address pool.", Command: "az network lb address-pool create -g MyResourceGroup --lb-name MyLb -n MyAddressPool"}},
		Run: func(c *core.Context) (any, error) {
			var addrs []any
			for _, occ := range c.Occurrences("backend_address") {
				a, err := backendAddress(c, occ.Values)
				if err != nil {
					return nil, err
				}
				addrs = append(addrs, a)
			}
			props := map[string]any{}
			if len(addrs) > 0 {
				props["loadBalancerBackendAddresses"] = addrs
			}
			return putPool(c, r, map[string]any{"properties": props})
		}}
	return &core.Group{Name: "network lb address-pool", Short: "Manage address pools of a load balancer.", Commands: []*core.Command{
		create,
		r.ShowCommand("Get the details of an address pool."),
		r.ListCommand("List address pools."),
		r.DeleteCommand("Delete an address pool.", true, false),
	}}
}

// backendAddress parses "name=N ip-address=IP [vnet=V] [subnet=S]".
func backendAddress(c *core.Context, tokens []string) (map[string]any, error) {
	props := map[string]any{}
	name := ""
	for _, tok := range tokens {
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, core.Usagef("usage error: --backend-address name=NAME ip-address=IP [vnet=VNET]")
		}
		switch strings.ToLower(k) {
		case "name":
			name = v
		case "ip-address", "ip_address":
			props["ipAddress"] = v
		case "vnet", "virtual-network":
			id, err := resourceID(c, v, []string{"virtualNetworks"}, v)
			if err != nil {
				return nil, err
			}
			props["virtualNetwork"] = subResource(id)
		case "subnet":
			props["subnet"] = subResource(v)
		default:
			return nil, core.Usagef("usage error: unknown key %s in --backend-address", strconv.Quote(k))
		}
	}
	if _, ok := props["virtualNetwork"]; !ok && c.String("vnet") != "" {
		id, err := resourceID(c, c.String("vnet"), []string{"virtualNetworks"}, c.String("vnet"))
		if err != nil {
			return nil, err
		}
		props["virtualNetwork"] = subResource(id)
	}
	return map[string]any{"name": name, "properties": props}, nil
}

func putPool(c *core.Context, r *core.Resource, body map[string]any) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), p, APIVersion, body, c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	return subShape.Apply(res), nil
}

// addressGroup is "network lb address-pool address" (IP-based backends).
func addressGroup() *core.Group {
	poolArgs := func() []*core.Arg {
		return []*core.Arg{core.ResourceGroupArg(true), lbNameArg(),
			{Dest: "pool_name", Options: []string{"--pool-name"}, Required: true, Help: "The name of the backend address pool."}}
	}
	poolPath := func(c *core.Context) (string, error) {
		sub, err := c.SubscriptionID()
		if err != nil {
			return "", err
		}
		return PoolType.Path(sub, c.String("resource_group"), c.String("lb_name"), c.String("pool_name")), nil
	}
	getPool := func(c *core.Context) (map[string]any, string, error) {
		client, err := c.ARM()
		if err != nil {
			return nil, "", err
		}
		p, err := poolPath(c)
		if err != nil {
			return nil, "", err
		}
		obj, err := client.GetObject(c.Context(), p, APIVersion, nil)
		return obj, p, err
	}
	write := func(c *core.Context, p string, pool map[string]any) (any, error) {
		client, err := c.ARM()
		if err != nil {
			return nil, err
		}
		res, err := client.Put(c.Context(), p, APIVersion, pool, c.NoWait())
		if err != nil || res == nil {
			return nil, err
		}
		return subShape.Apply(res), nil
	}
	add := &core.Command{Name: "add", Short: "Add one backend address into the load balance backend address pool.", NoWait: true, NoIDs: true,
		Args: append(poolArgs(),
			&core.Arg{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "Name of the backend address."},
			&core.Arg{Dest: "ip_address", Options: []string{"--ip-address"}, Required: true, Help: "Ip Address within the Virtual Network."},
			&core.Arg{Dest: "vnet", Options: []string{"--vnet"}, Help: "Name or Id of the virtual network."}),
		Run: func(c *core.Context) (any, error) {
			pool, p, err := getPool(c)
			if err != nil {
				return nil, err
			}
			a, err := backendAddress(c, []string{"name=" + c.String("name"), "ip-address=" + c.String("ip_address")})
			if err != nil {
				return nil, err
			}
			props, _ := pool["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
				pool["properties"] = props
			}
			l, _ := props["loadBalancerBackendAddresses"].([]any)
			props["loadBalancerBackendAddresses"] = append(l, a)
			return write(c, p, pool)
		}}
	remove := &core.Command{Name: "remove", Short: "Remove one backend address from the load balance backend address pool.", NoWait: true, NoIDs: true,
		Args: append(poolArgs(), &core.Arg{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "Name of the backend address."}),
		Run: func(c *core.Context) (any, error) {
			pool, p, err := getPool(c)
			if err != nil {
				return nil, err
			}
			props, _ := pool["properties"].(map[string]any)
			l, _ := props["loadBalancerBackendAddresses"].([]any)
			i, _ := findItem(l, c.String("name"))
			if i < 0 {
				return nil, nil
			}
			props["loadBalancerBackendAddresses"] = append(l[:i:i], l[i+1:]...)
			_, err = write(c, p, pool)
			return nil, err
		}}
	list := &core.Command{Name: "list", Short: "List all backend addresses of the load balance backend address pool.", NoIDs: true, Args: poolArgs(),
		Run: func(c *core.Context) (any, error) {
			pool, _, err := getPool(c)
			if err != nil {
				return nil, err
			}
			props, _ := pool["properties"].(map[string]any)
			l, _ := props["loadBalancerBackendAddresses"].([]any)
			if l == nil {
				l = []any{}
			}
			return subShape.Apply(l), nil
		}}
	return &core.Group{Name: "network lb address-pool address", Short: "Manage backend addresses of the cross-region load balance backend address pool.",
		Commands: []*core.Command{add, list, remove}}
}

// ---- nic ip-config address-pool ----

func nicPoolGroup() *core.Group {
	args := func() []*core.Arg {
		return []*core.Arg{core.ResourceGroupArg(true),
			{Dest: "nic_name", Options: []string{"--nic-name"}, Required: true, Help: "The network interface (NIC)."},
			{Dest: "ip_config_name", Options: []string{"--ip-config-name", "-n"}, Required: true, Help: "The name of the IP configuration."},
			{Dest: "address_pool", Options: []string{"--address-pool"}, Required: true, Help: "The name or ID of an existing backend address pool."},
			{Dest: "lb_name", Options: []string{"--lb-name"}, Help: "The name of the load balancer associated with the address pool (Omit if supplying an address pool ID)."},
		}
	}
	run := func(add bool) core.RunFunc {
		return func(c *core.Context) (any, error) {
			pool := c.String("address_pool")
			if !strings.HasPrefix(pool, "/") {
				if c.String("lb_name") == "" {
					return nil, core.Usagef("usage error: --address-pool ID | --lb-name NAME --address-pool NAME")
				}
				id, err := resourceID(c, pool, []string{"loadBalancers", "backendAddressPools"}, c.String("lb_name"), pool)
				if err != nil {
					return nil, err
				}
				pool = id
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			p := arm.ResourcePath(sub, c.String("resource_group"), namespace, "networkInterfaces", c.String("nic_name"))
			nic, err := client.GetObject(c.Context(), p, NICAPIVersion, nil)
			if err != nil {
				return nil, err
			}
			props, _ := nic["properties"].(map[string]any)
			cfgs, _ := props["ipConfigurations"].([]any)
			_, cfg := findItem(cfgs, c.String("ip_config_name"))
			if cfg == nil {
				return nil, core.Errorf("IP configuration '%s' not found.", c.String("ip_config_name"))
			}
			cp, _ := cfg["properties"].(map[string]any)
			l, _ := cp["loadBalancerBackendAddressPools"].([]any)
			var out []any
			for _, e := range l {
				m, _ := e.(map[string]any)
				if id, _ := m["id"].(string); !strings.EqualFold(id, pool) {
					out = append(out, e)
				}
			}
			if add {
				out = append(out, subResource(pool))
			}
			if out == nil {
				out = []any{}
			}
			cp["loadBalancerBackendAddressPools"] = out
			res, err := client.Put(c.Context(), p, NICAPIVersion, nic, c.NoWait())
			if err != nil || res == nil {
				return nil, err
			}
			obj, _ := res.(map[string]any)
			rp, _ := obj["properties"].(map[string]any)
			rc, _ := rp["ipConfigurations"].([]any)
			_, item := findItem(rc, c.String("ip_config_name"))
			return subShape.Apply(item), nil
		}
	}
	return &core.Group{Name: "network nic ip-config address-pool", Short: "Manage address pools in an IP configuration.", Commands: []*core.Command{
		{Name: "add", Short: "Add an address pool to an IP configuration.", Args: args(), NoIDs: true, Run: run(true),
			Examples: []core.Example{{Summary: "Add an address pool to an IP configuration.", Command: "az network nic ip-config address-pool add -g MyResourceGroup --nic-name MyNic -n MyIpConfig --lb-name MyLb --address-pool MyAddressPool"}}},
		{Name: "remove", Short: "Remove an address pool of an IP configuration.", Args: args(), NoIDs: true, Run: run(false),
			Examples: []core.Example{{Summary: "Remove an address pool of an IP configuration.", Command: "az network nic ip-config address-pool remove -g MyResourceGroup --nic-name MyNic -n MyIpConfig --lb-name MyLb --address-pool MyAddressPool"}}},
	}}
}
