// Package onprem is the `privlink onprem` command group (a privlink
// extension, not in Azure CLI): emulated on-premises sites
// (Privlink.OnPrem/sites) with their VPN devices, ExpressRoute provider
// entries and DNS forwarders, and site hosts usable as vantages
// (run-command, shell, expose), as `az vm` offers for virtual machines,
// and Kubernetes clusters on site hosts (`onprem cluster`, cluster.go).
package onprem

import (
	"fmt"
	"os"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/vm"
)

// APIVersion is the Privlink.OnPrem api-version.
const APIVersion = "2025-01-01"

const (
	fabricAPIVersion = "2025-01-01"
	note             = " privlink extension (not in Azure CLI)."
)

var (
	siteType = core.ResourceType{Namespace: "Privlink.OnPrem", Types: []string{"sites"}, APIVersion: APIVersion}
	hostType = core.ResourceType{Namespace: "Privlink.OnPrem", Types: []string{"sites", "hosts"}, APIVersion: APIVersion}
)

func siteResource() *core.Resource {
	return core.NewResource(siteType, core.NameArg("Name of the on-premises site."))
}

func hostResource() *core.Resource {
	return core.NewResource(hostType, &core.Arg{Dest: "site", Options: []string{"--site"}, Help: "Name of the on-premises site."},
		core.NameArg("Name of the site host."))
}

// siteArg is --site for commands on a site's parts.
func siteArg(required bool) *core.Arg {
	return &core.Arg{Dest: "site", Options: []string{"--site", "--site-name"}, Required: required, Help: "Name of the on-premises site."}
}

// Groups returns the onprem groups.
func Groups() []*core.Group {
	s, h := siteResource(), hostResource()
	return []*core.Group{
		{Name: "onprem", Short: "Emulated on-premises networks (privlink extension)."},
		{Name: "onprem site", Short: "Manage emulated on-premises sites." + note, Commands: []*core.Command{
			siteCreate(s), s.ShowCommand("Show a site."), s.ListCommand("List sites."),
			s.DeleteCommand("Delete a site and its hosts.", false, false), siteUpdate(s),
		}},
		{Name: "onprem site vpn-device", Short: "Manage a site's VPN devices (the site side of IPsec tunnels)." + note, Commands: []*core.Command{
			deviceAdd(), deviceRemove(), deviceList(),
		}},
		{Name: "onprem site express-route", Short: "Act as the connectivity provider of ExpressRoute circuits." + note, Commands: []*core.Command{
			expressRoute("provision", true), expressRoute("deprovision", false),
		}},
		{Name: "onprem dns", Short: "Manage a site's DNS server." + note},
		{Name: "onprem dns forwarder", Short: "Manage the conditional forwarders of a site's DNS server." + note, Commands: []*core.Command{
			forwarderAdd(), forwarderRemove(), forwarderList(),
		}},
		{Name: "onprem host", Short: "Manage the hosts of on-premises sites." + note, Commands: []*core.Command{
			hostCreate(h), h.ShowCommand("Show a site host."), h.ListCommand("List a site's hosts."),
			h.DeleteCommand("Delete a site host.", false, false),
			hostPower(h, "start", "Start a site host."), hostPower(h, "stop", "Stop a site host: it carries no traffic."),
			hostExpose(h), hostShell(h),
		}},
		{Name: "onprem host run-command", Short: "Run scripts from a site host's network position." + note, Commands: []*core.Command{
			hostRunCommand(h),
		}},
		clusterGroup(),
	}
}

func sitePath(c *core.Context, name string) (string, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return siteType.Path(sub, c.String("resource_group"), name), nil
}

func siteCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true), core.LocationArg(false),
		&core.Arg{Dest: "address_prefixes", Options: []string{"--address-prefixes"}, Kind: core.List, Required: true,
			Help: "Space-separated IPv4 address prefixes of the site, e.g. 192.168.0.0/16."},
		&core.Arg{Dest: "dns_server_ip", Options: []string{"--dns-server-ip"},
			Help: "Address of the site's DNS server (inside the prefixes). Default: no DNS server."},
		&core.Arg{Dest: "dns_server", Options: []string{"--dns-server"}, Kind: core.Flag,
			Help: "Give the site a DNS server at the fourth address of its first prefix."})
	return &core.Command{
		Name: "create", Short: "Create an emulated on-premises site." + note, Args: args,
		Examples: []core.Example{{Summary: "Create a site with a DNS server.",
			Command: "privlink onprem site create -g rg -n corp --address-prefixes 192.168.0.0/16 --dns-server-ip 192.168.0.4"}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			props := map[string]any{"addressPrefixes": c.List("address_prefixes")}
			if ip := c.String("dns_server_ip"); ip != "" {
				props["dnsServer"] = map[string]any{"privateIpAddress": ip}
			} else if c.Bool("dns_server") {
				props["dnsServer"] = map[string]any{}
			}
			return r.Put(c, map[string]any{"location": loc, "properties": props})
		},
	}
}

func siteUpdate(r *core.Resource) *core.Command {
	extra := []*core.Arg{
		{Dest: "address_prefixes", Options: []string{"--address-prefixes"}, Kind: core.List, Help: "Space-separated IPv4 address prefixes."},
		{Dest: "dns_server_ip", Options: []string{"--dns-server-ip"}, Help: "Address of the site's DNS server."},
	}
	return r.UpdateCommand("Update a site."+note, extra, func(c *core.Context, obj map[string]any) error {
		props := props(obj)
		if c.Has("address_prefixes") {
			props["addressPrefixes"] = c.List("address_prefixes")
		}
		if c.Has("dns_server_ip") {
			d, _ := props["dnsServer"].(map[string]any)
			if d == nil {
				d = map[string]any{}
			}
			d["privateIpAddress"] = c.String("dns_server_ip")
			props["dnsServer"] = d
		}
		return nil
	})
}

func props(obj map[string]any) map[string]any {
	p, _ := obj["properties"].(map[string]any)
	if p == nil {
		p = map[string]any{}
		obj["properties"] = p
	}
	return p
}

// editSite reads a site, lets edit change its properties and writes it.
func editSite(c *core.Context, site string, edit func(p map[string]any) error) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	path, err := sitePath(c, site)
	if err != nil {
		return nil, err
	}
	obj, err := client.GetObject(c.Context(), path, APIVersion, nil)
	if err != nil {
		return nil, err
	}
	p := props(obj)
	if err := edit(p); err != nil {
		return nil, err
	}
	body := map[string]any{"location": obj["location"], "properties": p}
	if tags, ok := obj["tags"]; ok {
		body["tags"] = tags
	}
	res, err := client.Put(c.Context(), path, APIVersion, body, false)
	if err != nil {
		return nil, err
	}
	m, _ := res.(map[string]any)
	return m, nil
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func deviceAdd() *core.Command {
	return &core.Command{
		Name: "add", Short: "Add a VPN device to a site." + note, NoIDs: true,
		Args: []*core.Arg{core.ResourceGroupArg(true), siteArg(true),
			{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "Name of the device."},
			{Dest: "gateway_ip", Options: []string{"--gateway-ip"}, Required: true, Help: "Public IP address of the Azure VPN gateway the device connects to."},
			{Dest: "shared_key", Options: []string{"--shared-key"}, Required: true, Help: "IPsec pre-shared key (must equal the connection's)."},
			{Dest: "bgp", Options: []string{"--bgp"}, Kind: core.Flag, Help: "The device announces the site's prefixes over BGP."}},
		Examples: []core.Example{{Summary: "Add a device.", Command: "privlink onprem site vpn-device add -g rg --site corp -n edge1 --gateway-ip 52.160.0.10 --shared-key abc123"}},
		Run: func(c *core.Context) (any, error) {
			return editSite(c, c.String("site"), func(p map[string]any) error {
				devs := list(p["vpnDevices"])
				for _, d := range devs {
					if dm, _ := d.(map[string]any); strings.EqualFold(str(dm["name"]), c.String("name")) {
						return fmt.Errorf("site %s already has a VPN device named %s", c.String("site"), c.String("name"))
					}
				}
				p["vpnDevices"] = append(devs, map[string]any{"name": c.String("name"), "remoteGatewayIpAddress": c.String("gateway_ip"),
					"sharedKey": c.String("shared_key"), "bgp": c.Bool("bgp")})
				return nil
			})
		},
	}
}

func deviceRemove() *core.Command {
	return &core.Command{
		Name: "remove", Short: "Remove a VPN device from a site." + note, NoIDs: true,
		Args: []*core.Arg{core.ResourceGroupArg(true), siteArg(true),
			{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "Name of the device."}},
		Examples: []core.Example{{Summary: "Remove a device.", Command: "privlink onprem site vpn-device remove -g rg --site corp -n edge1"}},
		Run: func(c *core.Context) (any, error) {
			return editSite(c, c.String("site"), func(p map[string]any) error {
				kept, found := withoutEntry(list(p["vpnDevices"]), "name", c.String("name"))
				if !found {
					return fmt.Errorf("site %s has no VPN device named %s", c.String("site"), c.String("name"))
				}
				p["vpnDevices"] = kept
				return nil
			})
		},
	}
}

// withoutEntry returns items without the objects whose field equals value
// (case-insensitively; never nil), and whether there was one.
func withoutEntry(items []any, field, value string) ([]any, bool) {
	kept := []any{}
	found := false
	for _, it := range items {
		if m, _ := it.(map[string]any); strings.EqualFold(str(m[field]), value) {
			found = true
			continue
		}
		kept = append(kept, it)
	}
	return kept, found
}

func deviceList() *core.Command {
	return &core.Command{
		Name: "list", Short: "List a site's VPN devices." + note, NoIDs: true,
		Args:       []*core.Arg{core.ResourceGroupArg(true), siteArg(true)},
		TableQuery: "[].{Name:name, GatewayIp:remoteGatewayIpAddress, Bgp:bgp}",
		Examples:   []core.Example{{Summary: "List devices.", Command: "privlink onprem site vpn-device list -g rg --site corp -o table"}},
		Run: func(c *core.Context) (any, error) {
			obj, err := getSite(c, c.String("site"))
			if err != nil {
				return nil, err
			}
			return append([]any{}, list(props(obj)["vpnDevices"])...), nil
		},
	}
}

func getSite(c *core.Context, name string) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	path, err := sitePath(c, name)
	if err != nil {
		return nil, err
	}
	return client.GetObject(c.Context(), path, APIVersion, nil)
}

func expressRoute(name string, provisioned bool) *core.Command {
	short := "Provision an ExpressRoute circuit for a site (as its connectivity provider)."
	if !provisioned {
		short = "Deprovision an ExpressRoute circuit of a site."
	}
	return &core.Command{
		Name: name, Short: short + note, NoIDs: true,
		Args: []*core.Arg{core.ResourceGroupArg(true), siteArg(true),
			{Dest: "service_key", Options: []string{"--service-key"}, Required: true, Help: "The circuit's service key (az network express-route show --query serviceKey)."}},
		Examples: []core.Example{{Summary: "Provision a circuit.", Command: "privlink onprem site express-route " + name + " -g rg --site corp --service-key 00000000-0000-0000-0000-000000000000"}},
		Run: func(c *core.Context) (any, error) {
			key := strings.ToLower(c.String("service_key"))
			return editSite(c, c.String("site"), func(p map[string]any) error {
				var out []any
				found := false
				for _, e := range list(p["expressRoute"]) {
					em, _ := e.(map[string]any)
					if strings.EqualFold(str(em["circuitServiceKey"]), key) {
						found = true
						if !provisioned {
							continue
						}
						em["provisioned"] = true
					}
					out = append(out, e)
				}
				if !found && provisioned {
					out = append(out, map[string]any{"circuitServiceKey": key, "provisioned": true})
				}
				if !found && !provisioned {
					return fmt.Errorf("site %s serves no circuit with service key %s", c.String("site"), key)
				}
				p["expressRoute"] = append([]any{}, out...)
				return nil
			})
		},
	}
}

// forwarderSite resolves --site: given, or the only site of the group.
func forwarderSite(c *core.Context) (string, error) {
	if s := c.String("site"); s != "" {
		return s, nil
	}
	client, err := c.ARM()
	if err != nil {
		return "", err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	items, err := client.List(c.Context(), siteType.CollectionPath(sub, c.String("resource_group")), APIVersion, nil)
	if err != nil {
		return "", err
	}
	if len(items) != 1 {
		return "", core.Usagef("the resource group has %d sites: name one with --site", len(items))
	}
	m, _ := items[0].(map[string]any)
	return str(m["name"]), nil
}

func forwarderArgs() []*core.Arg {
	return []*core.Arg{core.ResourceGroupArg(true), siteArg(false),
		{Dest: "zone", Options: []string{"--zone", "--domain"}, Required: true, Help: "The domain forwarded, e.g. azmk8s.io."}}
}

func forwarderAdd() *core.Command {
	args := append(forwarderArgs(), &core.Arg{Dest: "target", Options: []string{"--target", "--targets"}, Kind: core.List, Required: true,
		Help: "Space-separated IPv4 addresses the queries go to (e.g. a DNS Private Resolver inbound endpoint)."})
	return &core.Command{
		Name: "add", Short: "Add a conditional forwarder to a site's DNS server." + note, NoIDs: true, Args: args,
		Examples: []core.Example{{Summary: "Forward azmk8s.io to a resolver's inbound endpoint.",
			Command: "privlink onprem dns forwarder add -g rg --zone azmk8s.io --target 10.1.2.4"}},
		Run: func(c *core.Context) (any, error) {
			site, err := forwarderSite(c)
			if err != nil {
				return nil, err
			}
			zone := strings.ToLower(strings.TrimSuffix(c.String("zone"), "."))
			return editSite(c, site, func(p map[string]any) error {
				d, _ := p["dnsServer"].(map[string]any)
				if d == nil {
					d = map[string]any{}
				}
				var fw []any
				for _, f := range list(d["forwarders"]) {
					if fm, _ := f.(map[string]any); !strings.EqualFold(str(fm["domain"]), zone) {
						fw = append(fw, f)
					}
				}
				d["forwarders"] = append(fw, map[string]any{"domain": zone, "targetIpAddresses": c.List("target")})
				p["dnsServer"] = d
				return nil
			})
		},
	}
}

func forwarderRemove() *core.Command {
	return &core.Command{
		Name: "remove", Short: "Remove a conditional forwarder of a site's DNS server." + note, NoIDs: true, Args: forwarderArgs(),
		Examples: []core.Example{{Summary: "Stop forwarding azmk8s.io.", Command: "privlink onprem dns forwarder remove -g rg --zone azmk8s.io"}},
		Run: func(c *core.Context) (any, error) {
			site, err := forwarderSite(c)
			if err != nil {
				return nil, err
			}
			zone := strings.ToLower(strings.TrimSuffix(c.String("zone"), "."))
			return editSite(c, site, func(p map[string]any) error {
				d, _ := p["dnsServer"].(map[string]any)
				fw, found := withoutEntry(list(d["forwarders"]), "domain", zone)
				if !found {
					return fmt.Errorf("the DNS server of site %s has no forwarder for %s", site, zone)
				}
				d["forwarders"] = fw
				return nil
			})
		},
	}
}

func forwarderList() *core.Command {
	return &core.Command{
		Name: "list", Short: "List the conditional forwarders of a site's DNS server." + note, NoIDs: true,
		Args:       []*core.Arg{core.ResourceGroupArg(true), siteArg(false)},
		TableQuery: "[].{Domain:domain, Targets:join(', ', targetIpAddresses)}",
		Examples:   []core.Example{{Summary: "List forwarders.", Command: "privlink onprem dns forwarder list -g rg -o table"}},
		Run: func(c *core.Context) (any, error) {
			site, err := forwarderSite(c)
			if err != nil {
				return nil, err
			}
			obj, err := getSite(c, site)
			if err != nil {
				return nil, err
			}
			d, _ := props(obj)["dnsServer"].(map[string]any)
			return append([]any{}, list(d["forwarders"])...), nil
		},
	}
}

func hostCreate(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Help: "Address in the site's prefixes (default: the first free one)."},
		&core.Arg{Dest: "computer_name", Options: []string{"--computer-name"}, Help: "Host name (default: the name)."})
	return &core.Command{
		Name: "create", Short: "Create a host in an on-premises site." + note, Args: args,
		Examples: []core.Example{{Summary: "Create a host.", Command: "privlink onprem host create -g rg --site corp -n laptop"}},
		Run: func(c *core.Context) (any, error) {
			p := map[string]any{"powerState": "running"}
			if ip := c.String("private_ip_address"); ip != "" {
				p["privateIpAddress"] = ip
			}
			if cn := c.String("computer_name"); cn != "" {
				p["computerName"] = cn
			}
			return r.Put(c, map[string]any{"properties": p})
		},
	}
}

func hostPower(r *core.Resource, action, short string) *core.Command {
	return &core.Command{
		Name: action, Short: short + note, Args: r.Args(true),
		Examples: []core.Example{{Summary: short, Command: "privlink onprem host " + action + " -g rg --site corp -n laptop"}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			_, err = client.Post(c.Context(), p+"/"+action, APIVersion, nil, false)
			return nil, err
		},
	}
}

func hostExpose(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "port", Options: []string{"--port"}, Kind: core.Int, Required: true, Help: "The host's port inside the emulated network."},
		&core.Arg{Dest: "target", Options: []string{"--target"}, Required: true, Help: "HOST:PORT on this machine's loopback that serves it."},
		&core.Arg{Dest: "protocol", Options: []string{"--protocol"}, Choices: []string{"Tcp", "Udp"}, Default: "Tcp", Help: "The transport protocol."})
	return &core.Command{
		Name: "expose", Short: "Serve a site host's port from a local process." + note, Args: args,
		Examples: []core.Example{{Summary: "Serve the host's port 80.", Command: "privlink onprem host expose -g rg --site corp -n laptop --port 80 --target 127.0.0.1:8080"}},
		Run: func(c *core.Context) (any, error) {
			port := c.Int("port")
			if port < 1 || port > 65535 {
				return nil, core.Usagef("argument --port: %d is not a valid port (1-65535)", port)
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			proto := strings.ToLower(c.String("protocol"))
			body := map[string]any{"properties": map[string]any{"protocol": c.String("protocol"), "port": port, "target": c.String("target")}}
			return client.Put(c.Context(), fmt.Sprintf("%s/providers/Privlink.Fabric/listeners/%s-%d", p, proto, port), fabricAPIVersion, body, false)
		},
	}
}

func hostShell(r *core.Resource) *core.Command {
	args := append(r.Args(true), &core.Arg{Dest: "command", Options: []string{"--command"},
		Help: "Run this command with `bash -c` instead of an interactive $SHELL."})
	return &core.Command{
		Name: "shell", Short: "Open a local shell that reaches the emulated network as the site host does." + note, Args: args,
		Examples: []core.Example{{Summary: "Fetch a VM's page from the site.", Command: "privlink onprem host shell -g rg --site corp -n laptop --command 'curl -s http://10.1.1.4'"}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			res, err := client.Post(c.Context(), "/providers/Privlink.Fabric/environment", fabricAPIVersion, map[string]any{"from": p}, false)
			if err != nil {
				return nil, err
			}
			m, _ := res.(map[string]any)
			vars, _ := m["variables"].(map[string]any)
			return nil, vm.RunShell(c, c.String("command"), vars)
		},
	}
}

func hostRunCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true),
		&core.Arg{Dest: "command_id", Options: []string{"--command-id"}, Default: "RunShellScript", Help: "The command id (RunShellScript)."},
		&core.Arg{Dest: "scripts", Options: []string{"--scripts"}, Kind: core.List, Help: "Space-separated script lines. Use @{file} to load script from a file."},
		&core.Arg{Dest: "parameters", Options: []string{"--parameters"}, Kind: core.List, Help: "Space-separated parameters in the format of '[name=]value'."})
	return &core.Command{
		Name: "invoke", Short: "Run a script from a site host's network position." + note, Args: args,
		Examples: []core.Example{{Summary: "Fetch a VM's page from the site.",
			Command: "privlink onprem host run-command invoke -g rg --site corp -n laptop --scripts \"curl -s http://10.1.1.4\""}},
		Run: func(c *core.Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			var lines []any
			for _, v := range c.List("scripts") {
				if strings.HasPrefix(v, "@") {
					b, err := os.ReadFile(strings.TrimPrefix(v, "@"))
					if err != nil {
						return nil, fmt.Errorf("read script: %w", err)
					}
					v = string(b)
				}
				lines = append(lines, v)
			}
			params := []any{}
			auto := 0
			for _, v := range c.List("parameters") {
				name, value, ok := strings.Cut(v, "=")
				if !ok {
					auto++
					name, value = fmt.Sprintf("arg%d", auto), v
				}
				params = append(params, map[string]any{"name": name, "value": value})
			}
			body := map[string]any{"commandId": c.String("command_id"), "script": lines, "parameters": params}
			return client.Post(c.Context(), p+"/runCommand", APIVersion, body, false)
		},
	}
}
