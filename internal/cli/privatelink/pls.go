package privatelink

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

func plsResource() *core.Resource {
	return core.NewResource(PLSType, core.NameArg("Name of the private link service."))
}

func plsGroup() *core.Group {
	r := plsResource()
	return &core.Group{
		Name: "network private-link-service", Short: "Manage private link services.",
		Commands: []*core.Command{
			plsCreate(r),
			r.ShowCommand("Get the details of a private link service."),
			r.ListCommand("List private link services."),
			r.DeleteCommand("Delete a private link service.", false, false),
			r.UpdateCommand("Update a private link service.", plsUpdateArgs(), plsApplyUpdate),
		},
	}
}

func plsCommonArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "visibility", Options: []string{"--visibility"}, Kind: core.List, Help: "Space-separated list of subscription IDs for which private link service is visible."},
		{Dest: "auto_approval", Options: []string{"--auto-approval"}, Kind: core.List, Help: "Space-separated list of subscription IDs to auto-approve."},
		{Dest: "fqdns", Options: []string{"--fqdns"}, Kind: core.List, Help: "Space-separated list of FQDNs."},
		{Dest: "enable_proxy_protocol", Options: []string{"--enable-proxy-protocol"}, Kind: core.TriState, Help: "Enable proxy protocol for private link service."},
		{Dest: "lb_name", Options: []string{"--lb-name"}, Help: "Name of the load balancer to retrieve frontend IP configs from. Ignored if a frontend IP configuration ID is supplied."},
		{Dest: "lb_frontend_ip_configs", Options: []string{"--lb-frontend-ip-configs"}, Kind: core.List, Help: "Space-separated list of names or IDs of load balancer frontend IP configurations to link to. If names are used, also supply `--lb-name`."},
	}
}

func plsUpdateArgs() []*core.Arg { return plsCommonArgs() }

// frontends resolves --lb-frontend-ip-configs.
func frontends(c *core.Context) ([]any, error) {
	var out []any
	for _, fe := range c.List("lb_frontend_ip_configs") {
		if !arm.IsValidResourceID(fe) {
			if c.String("lb_name") == "" {
				return nil, core.Usagef("usage error: --lb-frontend-ip-configs IDS | --lb-name NAME --lb-frontend-ip-configs NAMES")
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			fe = arm.ResourcePath(sub, c.String("resource_group"), namespace, "loadBalancers", c.String("lb_name"), "frontendIPConfigurations", fe)
		}
		out = append(out, map[string]any{"id": fe})
	}
	return out, nil
}

func plsCreate(r *core.Resource) *core.Command {
	args := r.Args(true)
	for _, a := range args {
		a.IDPart = ""
	}
	args = append(args, subnetArgs()...)
	args = append(args, plsCommonArgs()...)
	for _, a := range args {
		if a.Dest == "lb_frontend_ip_configs" {
			a.Required = true
		}
	}
	args = append(args,
		&core.Arg{Dest: "private_ip_address", Options: []string{"--private-ip-address"}, Help: "Static private IP address to use."},
		&core.Arg{Dest: "private_ip_allocation_method", Options: []string{"--private-ip-allocation-method"}, Choices: []string{"Dynamic", "Static"}, Help: "Private IP address allocation method."},
		&core.Arg{Dest: "private_ip_address_version", Options: []string{"--private-ip-address-version"}, Choices: []string{"IPv4", "IPv6"}, Default: "IPv4", Help: "IP version of the private IP address."},
		core.LocationArg(false), core.TagsArg(),
		&core.Arg{Dest: "edge_zone", Options: []string{"--edge-zone"}, Help: "The name of edge zone."},
	)
	return &core.Command{
		Name: "create", Short: "Create a private link service.", Args: args, NoWait: false,
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			subnet, err := subnetID(c)
			if err != nil {
				return nil, err
			}
			fes, err := frontends(c)
			if err != nil {
				return nil, err
			}
			ipProps := map[string]any{"privateIPAddressVersion": c.String("private_ip_address_version"), "subnet": map[string]any{"id": subnet}, "primary": true}
			if ip := c.String("private_ip_address"); ip != "" {
				ipProps["privateIPAddress"] = ip
			}
			if m := c.String("private_ip_allocation_method"); m != "" {
				ipProps["privateIPAllocationMethod"] = m
			}
			p := map[string]any{
				"loadBalancerFrontendIpConfigurations": fes,
				"ipConfigurations":                     []any{map[string]any{"name": c.String("name") + "_ipconfig_0", "properties": ipProps}},
			}
			if c.Has("visibility") {
				p["visibility"] = map[string]any{"subscriptions": c.List("visibility")}
			}
			if c.Has("auto_approval") {
				p["autoApproval"] = map[string]any{"subscriptions": c.List("auto_approval")}
			}
			if c.Has("fqdns") {
				p["fqdns"] = c.List("fqdns")
			}
			if v := c.OptBool("enable_proxy_protocol"); v != nil {
				p["enableProxyProtocol"] = *v
			}
			body := map[string]any{"location": loc, "properties": p}
			if c.Has("tags") {
				body["tags"] = c.Tags("tags")
			}
			if ez := c.String("edge_zone"); ez != "" {
				body["extendedLocation"] = map[string]any{"name": ez, "type": "EdgeZone"}
			}
			return r.Put(c, body)
		},
	}
}

// plsApplyUpdate applies update's flags to the flattened view.
func plsApplyUpdate(c *core.Context, o map[string]any) error {
	if c.Has("visibility") {
		o["visibility"] = map[string]any{"subscriptions": c.List("visibility")}
	}
	if c.Has("auto_approval") {
		o["autoApproval"] = map[string]any{"subscriptions": c.List("auto_approval")}
	}
	if c.Has("fqdns") {
		o["fqdns"] = c.List("fqdns")
	}
	if v := c.OptBool("enable_proxy_protocol"); v != nil {
		o["enableProxyProtocol"] = *v
	}
	if c.Has("lb_frontend_ip_configs") {
		fes, err := frontends(c)
		if err != nil {
			return err
		}
		o["loadBalancerFrontendIpConfigurations"] = fes
	}
	return nil
}

// connection update / delete on the service side.
func plsConnGroup() *core.Group {
	r := core.NewResource(PLSConnType,
		&core.Arg{Dest: "service_name", Options: []string{"--service-name"}, Help: "Name of the private link service."},
		core.NameArg("Name of the private endpoint connection."))
	return &core.Group{
		Name: "network private-link-service connection", Short: "Manage private link service endpoint connections.",
		Commands: []*core.Command{
			{
				Name: "update", Short: "Update a private endpoint connection.",
				Args: append(r.Args(true),
					&core.Arg{Dest: "connection_status", Options: []string{"--connection-status"}, Required: true, Choices: []string{"Approved", "Rejected", "Removed"},
						Help: "The status of the private endpoint connection."},
					&core.Arg{Dest: "description", Options: []string{"--description"}, Help: "The description for the private endpoint connection."},
					&core.Arg{Dest: "action_required", Options: []string{"--action-required"}, Help: "A message indicating if changes on the service provider require any updates on the consumer."}),
				Run: func(c *core.Context) (any, error) {
					cur, err := r.Get(c)
					if err != nil {
						return nil, err
					}
					if c.String("connection_status") == "Removed" {
						client, err := c.ARM()
						if err != nil {
							return nil, err
						}
						p, err := r.Path(c)
						if err != nil {
							return nil, err
						}
						return nil, client.Delete(c.Context(), p, r.Type.APIVersion, false)
					}
					state := map[string]any{"status": c.String("connection_status")}
					if c.Has("description") {
						state["description"] = c.String("description")
					}
					if c.Has("action_required") {
						state["actionsRequired"] = c.String("action_required")
					}
					body := map[string]any{"name": cur["name"], "properties": map[string]any{
						"privateEndpoint": props(cur)["privateEndpoint"], "privateLinkServiceConnectionState": state}}
					return r.Put(c, body)
				},
			},
			r.DeleteCommand("Delete a private endpoint connection.", false, false),
		},
	}
}
