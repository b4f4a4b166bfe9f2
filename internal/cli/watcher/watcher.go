// Package watcher is az's `network watcher` group (configure, list,
// test-connectivity, show-next-hop, test-ip-flow) and the network
// interface diagnostics `network nic show-effective-route-table` and
// `network nic list-effective-nsg`, which Groups adds to the "network nic"
// group defined by internal/cli/network (the command tree merges groups of
// the same name).
//
// As az 2.45 does, the diagnostics find the watcher of the VM's region:
// they GET the VM (Microsoft.Compute) for its location, list the
// subscription's watchers and fail with "network watcher is not enabled
// for region '<location>'." when none is there.
//
// Beyond Azure (which takes only virtual machines), test-connectivity's
// --source-resource may be the ID of one of privlink's on-premises hosts
// (Privlink.OnPrem/sites/hosts): the CLI then reads the host and its site
// with the Privlink.OnPrem api-version and uses the site's region (a host
// has no location of its own) to find the watcher.
package watcher

import (
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/network"
)

// API versions az 2.45 sends.
const (
	APIVersion        = network.APIVersion // Microsoft.Network
	ComputeAPIVersion = "2022-11-01"       // Microsoft.Compute
	OnPremAPIVersion  = "2025-01-01"       // Privlink.OnPrem (privlink's on-premises sites)
)

// siteHostType is privlink's on-premises host, which test-connectivity
// also takes as a source (Azure takes only virtual machines).
const siteHostType = "Privlink.OnPrem/sites/hosts"

// Groups returns the command groups.
func Groups() []*core.Group {
	return []*core.Group{
		{Name: "network watcher", Short: "Manage the Azure Network Watcher.", Commands: []*core.Command{
			configureCmd(), listCmd(), testConnectivityCmd(), showNextHopCmd(), testIPFlowCmd(),
		}},
		{Name: "network nic", Commands: []*core.Command{effectiveRoutesCmd(), effectiveNSGCmd()}},
	}
}

func watchersPath(sub string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Network/networkWatchers"
}

func listWatchers(c *core.Context) ([]any, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	return client.List(c.Context(), watchersPath(sub), APIVersion, nil)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func listCmd() *core.Command {
	return &core.Command{
		Name: "list", Short: "List Network Watchers.",
		TableQuery: "[].{Location:location, Name:name, ProvisioningState:provisioningState, ResourceGroup:resourceGroup}",
		Run: func(c *core.Context) (any, error) {
			ws, err := listWatchers(c)
			if err != nil {
				return nil, err
			}
			return flattenAll(ws), nil
		},
	}
}

// flattenAll lifts "properties" to the top level as az's network output does.
func flattenAll(items []any) []any {
	out := make([]any, 0, len(items))
	for _, it := range items {
		out = append(out, flatten(it))
	}
	return out
}

func flatten(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		if k == "properties" {
			continue
		}
		out[k] = x
	}
	if p, ok := m["properties"].(map[string]any); ok {
		for k, x := range p {
			out[k] = x
		}
	}
	return out
}

func configureCmd() *core.Command {
	return &core.Command{
		Name: "configure", Short: "Configure the Network Watcher service for different regions.",
		Args: []*core.Arg{
			{Dest: "locations", Options: []string{"--locations", "-l"}, Kind: core.List, Required: true,
				Help: "Space-separated list of locations to configure."},
			{Dest: "resource_group", Options: []string{"--resource-group", "-g"},
				Help: "Name of resource group. Required when enabling new regions."},
			{Dest: "enabled", Options: []string{"--enabled"}, Kind: core.TriState,
				Help: "Enabled status of Network Watcher in the specified regions."},
			core.TagsArg(),
		},
		Examples: []core.Example{{Summary: "Configure Network Watcher for the West US region.",
			Command: "az network watcher configure -g NetworkWatcherRG  -l westus --enabled true"}},
		Run: runConfigure,
	}
}

func runConfigure(c *core.Context) (any, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	var locations []string
	for _, l := range c.List("locations") {
		locations = append(locations, core.NormalizeLocation(l))
	}
	watchers, err := client.List(c.Context(), watchersPath(sub), APIVersion, nil)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, l := range locations {
		want[strings.ToLower(l)] = true
	}
	var existing []map[string]any
	have := map[string]bool{}
	for _, w := range watchers {
		m, _ := w.(map[string]any)
		if want[str(m, "location")] {
			existing = append(existing, m)
			have[str(m, "location")] = true
		}
	}
	var missing []string
	seen := map[string]bool{}
	for _, l := range locations {
		if !have[l] && !seen[l] {
			missing = append(missing, l)
			seen[l] = true
		}
	}
	rg := c.String("resource_group")
	tags := c.Tags("tags")
	enabled := c.OptBool("enabled")
	switch {
	case enabled == nil:
		if c.Has("resource_group") {
			c.Warnf("Resource group '%s' is only used when enabling new regions and will be ignored.", rg)
		}
		for _, l := range missing {
			c.Warnf("Region '%s' is not enabled for Network Watcher and will be ignored.", l)
		}
		if err := updateWatchers(c, client, existing, tags); err != nil {
			return nil, err
		}
	case *enabled:
		if len(missing) > 0 && rg == "" {
			return nil, core.Errorf("usage error: '--resource-group' required when enabling new regions")
		}
		for _, l := range missing {
			body := map[string]any{"location": l}
			if tags != nil {
				body["tags"] = tags
			}
			p := arm.ResourcePath(sub, rg, "Microsoft.Network", "networkWatchers", "NetworkWatcher_"+l)
			if _, err := client.Put(c.Context(), p, APIVersion, body, false); err != nil {
				return nil, err
			}
		}
		if err := updateWatchers(c, client, existing, tags); err != nil {
			return nil, err
		}
	default:
		if tags != nil {
			return nil, core.Errorf("usage error: '--tags' cannot be used when disabling regions")
		}
		for _, w := range existing {
			c.Warnf("Disabling Network Watcher for region '%s' by deleting resource '%s'", str(w, "location"), str(w, "id"))
			if err := client.Delete(c.Context(), str(w, "id"), APIVersion, false); err != nil {
				return nil, err
			}
		}
	}
	after, err := client.List(c.Context(), watchersPath(sub), APIVersion, nil)
	if err != nil {
		return nil, err
	}
	return flattenAll(after), nil
}

// updateWatchers re-PUTs existing watchers with new tags (or their own).
func updateWatchers(c *core.Context, client *arm.Client, ws []map[string]any, tags map[string]any) error {
	for _, w := range ws {
		body := map[string]any{"location": str(w, "location")}
		if tags != nil {
			body["tags"] = tags
		} else if t, ok := w["tags"]; ok {
			body["tags"] = t
		}
		if _, err := client.Put(c.Context(), str(w, "id"), APIVersion, body, false); err != nil {
			return err
		}
	}
	return nil
}

// vmID turns a VM name (with -g) or ID into an ID, with az's usage error.
func vmID(c *core.Context, sub, vm, usage string) (string, error) {
	if arm.IsValidResourceID(vm) {
		return vm, nil
	}
	rg := c.String("resource_group")
	if rg == "" {
		return "", core.Errorf("%s", usage)
	}
	return arm.ResourcePath(sub, rg, "Microsoft.Compute", "virtualMachines", vm), nil
}

// watcherFor finds the watcher of the VM's region (az's
// get_network_watcher_from_location) and returns its ID.
func watcherFor(c *core.Context, client *arm.Client, sub, vm string) (string, error) {
	location, err := sourceLocation(c, client, vm)
	if err != nil {
		return "", err
	}
	ws, err := client.List(c.Context(), watchersPath(sub), APIVersion, nil)
	if err != nil {
		return "", err
	}
	for _, w := range ws {
		m, _ := w.(map[string]any)
		if strings.EqualFold(str(m, "location"), location) {
			return str(m, "id"), nil
		}
	}
	return "", core.Errorf("network watcher is not enabled for region '%s'.", location)
}

// sourceLocation reads the region of a diagnostic's source: a virtual
// machine's location (Microsoft.Compute) or, for privlink's on-premises
// host, which has no location of its own, its site's.
func sourceLocation(c *core.Context, client *arm.Client, id string) (string, error) {
	rid, err := arm.ParseResourceID(id)
	if err != nil || !strings.EqualFold(rid.FullType(), siteHostType) {
		obj, err := client.GetObject(c.Context(), id, ComputeAPIVersion, nil)
		if err != nil {
			return "", err
		}
		return str(obj, "location"), nil
	}
	// The host must exist: its GET gives ARM's not-found error for it.
	if _, err := client.GetObject(c.Context(), id, OnPremAPIVersion, nil); err != nil {
		return "", err
	}
	site := rid
	site.Types, site.Names, site.ChildNamespaces = rid.Types[:1], rid.Names[:1], rid.ChildNamespaces[:1]
	obj, err := client.GetObject(c.Context(), site.String(), OnPremAPIVersion, nil)
	if err != nil {
		return "", err
	}
	return str(obj, "location"), nil
}

// post runs a watcher action to its result.
func post(c *core.Context, client *arm.Client, target, action string, body any) (any, error) {
	return client.Post(c.Context(), strings.TrimSuffix(target, "/")+"/"+action, APIVersion, body, false)
}

func testConnectivityCmd() *core.Command {
	return &core.Command{
		Name: "test-connectivity", Short: "Test if a connection can be established between a Virtual Machine and a given endpoint.",
		Long: "To check connectivity between two VMs in different regions, use the VM ids instead of the VM names for the source and destination resource arguments.",
		Args: []*core.Arg{
			{Dest: "source_resource", Options: []string{"--source-resource"}, Required: true,
				Help: "Name or ID of the resource from which to originate traffic. Currently only Virtual Machines are supported."},
			core.ResourceGroupArg(false),
			{Dest: "source_port", Options: []string{"--source-port"}, Kind: core.Int, Help: "Port number from which to originate traffic."},
			{Dest: "dest_resource", Options: []string{"--dest-resource"}, Group: "Destination",
				Help: "Name or ID of the resource to receive traffic. Currently only Virtual Machines are supported."},
			{Dest: "dest_address", Options: []string{"--dest-address"}, Group: "Destination",
				Help: "The IP address or URI at which to receive traffic."},
			{Dest: "dest_port", Options: []string{"--dest-port"}, Kind: core.Int, Group: "Destination",
				Help: "Port number on which to receive traffic."},
			{Dest: "protocol", Options: []string{"--protocol"}, Choices: []string{"Http", "Https", "Icmp", "Tcp"},
				Help: "Protocol to test on."},
			{Dest: "method", Options: []string{"--method"}, Choices: []string{"Get"}, Group: "HTTP Configuration",
				Help: "HTTP method to use."},
			{Dest: "headers", Options: []string{"--headers"}, Kind: core.List, Group: "HTTP Configuration",
				Help: "Space-separated list of headers in `KEY=VALUE` format."},
			{Dest: "valid_status_codes", Options: []string{"--valid-status-codes"}, Kind: core.List, Group: "HTTP Configuration",
				Help: "Space-separated list of HTTP status codes considered valid."},
		},
		Examples: []core.Example{{Summary: "Check connectivity between two virtual machines in the same resource group over port 80.",
			Command: "az network watcher test-connectivity -g MyResourceGroup --source-resource MyVmName1 --dest-resource MyVmName2 --dest-port 80"}},
		Run: runTestConnectivity,
	}
}

func runTestConnectivity(c *core.Context) (any, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	src := c.String("source_resource")
	if !arm.IsValidResourceID(src) && c.String("resource_group") == "" {
		return nil, core.Errorf("usage error: --source-resource ID | --source-resource NAME --resource-group NAME")
	}
	rg := c.String("resource_group")
	if arm.IsValidResourceID(src) && rg == "" {
		if id, err := arm.ParseResourceID(src); err == nil {
			rg = id.ResourceGroup
		}
	}
	if !arm.IsValidResourceID(src) {
		src = arm.ResourcePath(sub, rg, "Microsoft.Compute", "virtualMachines", src)
	}
	w, err := watcherFor(c, client, sub, src)
	if err != nil {
		return nil, err
	}
	dest := map[string]any{}
	if d := c.String("dest_resource"); d != "" {
		if !arm.IsValidResourceID(d) {
			d = arm.ResourcePath(sub, c.String("resource_group"), "Microsoft.Compute", "virtualMachines", d)
		}
		dest["resourceId"] = d
	}
	if a := c.String("dest_address"); a != "" {
		dest["address"] = a
	}
	if c.Has("dest_port") {
		dest["port"] = c.Int("dest_port")
	}
	source := map[string]any{"resourceId": src}
	if c.Has("source_port") {
		source["port"] = c.Int("source_port")
	}
	body := map[string]any{"source": source, "destination": dest}
	if p := c.String("protocol"); p != "" {
		body["protocol"] = p
	}
	if c.Has("method") || c.Has("headers") || c.Has("valid_status_codes") {
		httpCfg := map[string]any{}
		if m := c.String("method"); m != "" {
			httpCfg["method"] = m
		}
		var headers []any
		for _, h := range c.List("headers") {
			k, v, ok := strings.Cut(h, "=")
			if !ok || strings.Contains(v, "=") {
				return nil, core.Errorf("usage error '%s': --headers KEY=VALUE [KEY=VALUE ...]", h)
			}
			headers = append(headers, map[string]any{"name": k, "value": v})
		}
		if headers != nil {
			httpCfg["headers"] = headers
		}
		if codes := c.List("valid_status_codes"); codes != nil {
			var ns []any
			for _, s := range codes {
				var n int
				if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
					return nil, core.Usagef("argument --valid-status-codes: invalid int value: '%s'", s)
				}
				ns = append(ns, n)
			}
			httpCfg["validStatusCodes"] = ns
		}
		body["protocolConfiguration"] = map[string]any{"httpConfiguration": httpCfg}
	}
	return post(c, client, w, "connectivityCheck", body)
}

func showNextHopCmd() *core.Command {
	return &core.Command{
		Name: "show-next-hop", Short: "Get information on the 'next hop' of a VM.",
		Long: "Get information on the 'next hop' of a VM.",
		Args: []*core.Arg{
			{Dest: "vm", Options: []string{"--vm"}, Required: true, Help: "Name or ID of the VM to target."},
			{Dest: "resource_group", Options: []string{"--resource-group", "-g"}, Required: true, ConfigDefault: "group",
				Help: "Name of the resource group the target VM is in. Do not use when supplying VM ID."},
			{Dest: "source_ip", Options: []string{"--source-ip"}, Required: true, Help: "Source IPv4 address."},
			{Dest: "dest_ip", Options: []string{"--dest-ip"}, Required: true, Help: "Destination IPv4 address."},
			{Dest: "nic", Options: []string{"--nic"},
				Help: "Name or ID of the NIC resource to test. If the VM has multiple NICs and IP forwarding is enabled on any of them, this parameter is required."},
		},
		Examples: []core.Example{{Summary: "Get the next hop from a VMs assigned IP address to a resource with the IP address 10.1.0.4.",
			Command: "az network watcher show-next-hop -g MyResourceGroup --vm MyVm --source-ip 10.0.0.4 --dest-ip 10.1.0.4"}},
		Run: func(c *core.Context) (any, error) {
			_, client, vm, nic, w, err := vmTarget(c)
			if err != nil {
				return nil, err
			}
			body := map[string]any{"targetResourceId": vm, "sourceIPAddress": c.String("source_ip"),
				"destinationIPAddress": c.String("dest_ip")}
			if nic != "" {
				body["targetNicResourceId"] = nic
			}
			return post(c, client, w, "nextHop", body)
		},
	}
}

// vmTarget resolves --vm, --nic and the watcher of the VM's region.
func vmTarget(c *core.Context) (sub string, client *arm.Client, vm, nic, watcher string, err error) {
	if sub, err = c.SubscriptionID(); err != nil {
		return
	}
	if client, err = c.ARM(); err != nil {
		return
	}
	if vm, err = vmID(c, sub, c.String("vm"), "usage error: --vm NAME --resource-group NAME | --vm ID"); err != nil {
		return
	}
	if n := c.String("nic"); n != "" {
		nic = n
		if !arm.IsValidResourceID(n) {
			nic = arm.ResourcePath(sub, c.String("resource_group"), "Microsoft.Network", "networkInterfaces", n)
		}
	}
	watcher, err = watcherFor(c, client, sub, vm)
	return
}

func testIPFlowCmd() *core.Command {
	return &core.Command{
		Name: "test-ip-flow", Short: "Test IP flow to/from a VM given the currently configured network security group rules.",
		Long: "Requires that Network Watcher is enabled for the region in which the VM is located.",
		Args: []*core.Arg{
			{Dest: "vm", Options: []string{"--vm"}, Required: true, Help: "Name or ID of the VM to target."},
			{Dest: "resource_group", Options: []string{"--resource-group", "-g"}, Required: true, ConfigDefault: "group",
				Help: "Name of the resource group the target VM is in. Do not use when supplying VM ID."},
			{Dest: "direction", Options: []string{"--direction"}, Required: true, Choices: []string{"Inbound", "Outbound"},
				Help: "Direction of the packet relative to the VM."},
			{Dest: "protocol", Options: []string{"--protocol"}, Required: true, Choices: []string{"TCP", "UDP"},
				Help: "Protocol to test."},
			{Dest: "local", Options: []string{"--local"}, Required: true,
				Help: "The private IPv4 address for the VM's NIC and the port of the packet in X.X.X.X:PORT format. `*` can be used for port when direction is outbound."},
			{Dest: "remote", Options: []string{"--remote"}, Required: true,
				Help: "The IPv4 address and port for the remote side of the packet X.X.X.X:PORT format. `*` can be used for port when the direction is inbound."},
			{Dest: "nic", Options: []string{"--nic"},
				Help: "Name or ID of the NIC resource to test. If the VM has multiple NICs and IP forwarding is enabled on any of them, this parameter is required."},
		},
		Examples: []core.Example{{Summary: "Run test-ip-flow verify to test logical connectivity from a VM to the specified destination IPv4 address and port.",
			Command: "az network watcher test-ip-flow -g MyResourceGroup --direction Outbound --protocol TCP --local 10.0.0.4:* --remote 10.1.0.4:80 --vm MyVm"}},
		Run: func(c *core.Context) (any, error) {
			localIP, localPort, ok1 := strings.Cut(c.String("local"), ":")
			remoteIP, remotePort, ok2 := strings.Cut(c.String("remote"), ":")
			if !ok1 || !ok2 || strings.Contains(localPort, ":") || strings.Contains(remotePort, ":") {
				return nil, core.Errorf("usage error: the format of the '--local' and '--remote' should be like x.x.x.x:port")
			}
			_, client, vm, nic, w, err := vmTarget(c)
			if err != nil {
				return nil, err
			}
			body := map[string]any{"targetResourceId": vm, "direction": c.String("direction"), "protocol": c.String("protocol"),
				"localPort": localPort, "remotePort": remotePort, "localIPAddress": localIP, "remoteIPAddress": remoteIP}
			if nic != "" {
				body["targetNicResourceId"] = nic
			}
			return post(c, client, w, "ipFlowVerify", body)
		},
	}
}

func nicArgs() []*core.Arg {
	return []*core.Arg{
		core.ResourceGroupArg(true),
		{Dest: "name", Options: []string{"--name", "-n"}, Required: true, IDPart: "name", Help: "Name of the network interface (NIC)."},
	}
}

func nicAction(action string) core.RunFunc {
	return func(c *core.Context) (any, error) {
		sub, err := c.SubscriptionID()
		if err != nil {
			return nil, err
		}
		client, err := c.ARM()
		if err != nil {
			return nil, err
		}
		p := arm.ResourcePath(sub, c.String("resource_group"), "Microsoft.Network", "networkInterfaces", c.String("name"))
		res, err := client.Post(c.Context(), p+"/"+action, APIVersion, nil, false)
		if err != nil {
			return nil, err
		}
		// The SDK's list model prints nextLink (null) beside value.
		if m, ok := res.(map[string]any); ok {
			if _, has := m["nextLink"]; !has {
				m["nextLink"] = nil
			}
		}
		return res, nil
	}
}

func effectiveRoutesCmd() *core.Command {
	return &core.Command{
		Name: "show-effective-route-table", Short: "Show the effective route table applied to a network interface.",
		Args: nicArgs(),
		Examples: []core.Example{{Summary: "Show the effective routes applied to a network interface.",
			Command: "az network nic show-effective-route-table -g MyResourceGroup -n MyNic"}},
		TableQuery: routesTableQuery,
		Run:        nicAction("effectiveRouteTable"),
	}
}

func effectiveNSGCmd() *core.Command {
	return &core.Command{
		Name: "list-effective-nsg", Short: "List all effective network security groups applied to a network interface.",
		Long: "To learn more about troubleshooting using effective security rules, visit https://docs.microsoft.com/azure/virtual-network/virtual-network-nsg-troubleshoot-portal.",
		Args: nicArgs(),
		Examples: []core.Example{{Summary: "List the effective security groups associated with a NIC.",
			Command: "az network nic list-effective-nsg -g MyResourceGroup -n MyNic"}},
		TableTransform: transformEffectiveNSG,
		Run:            nicAction("effectiveNetworkSecurityGroups"),
	}
}

// routesTableQuery is az's transform_effective_route_table as JMESPath
// (so the columns keep az's order).
const routesTableQuery = "value[].{Source: source, State: state, \"Address Prefix\": join(' ', addressPrefix || `[]`), \"Next Hop Type\": nextHopType, \"Next Hop IP\": join(' ', nextHopIpAddress || `[]`)}"

func lastSegment(v any) string {
	m, _ := v.(map[string]any)
	id := str(m, "id")
	if id == "" {
		return "-"
	}
	return id[strings.LastIndex(id, "/")+1:]
}

// transformEffectiveNSG is az's transform_effective_nsg.
func transformEffectiveNSG(result any) any {
	m, _ := result.(map[string]any)
	vals, _ := m["value"].([]any)
	var rows []any
	for _, v := range vals {
		it, _ := v.(map[string]any)
		assoc, _ := it["association"].(map[string]any)
		nic, subnet, nsg := lastSegment(assoc["networkInterface"]), lastSegment(assoc["subnet"]), lastSegment(it["networkSecurityGroup"])
		rules, _ := it["effectiveSecurityRules"].([]any)
		for i, r := range rules {
			rule, _ := r.(map[string]any)
			n, s, g := nic, subnet, nsg
			if i > 0 {
				n, s, g = " ", " ", " "
			}
			rows = append(rows, map[string]any{"NIC": n, "Subnet": s, "NSG": g, "Rule Name": str(rule, "name"),
				"Protocol": str(rule, "protocol"), "Direction": str(rule, "direction"), "Access": str(rule, "access")})
		}
	}
	if rows == nil {
		rows = []any{}
	}
	return rows
}
