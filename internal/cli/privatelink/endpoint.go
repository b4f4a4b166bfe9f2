package privatelink

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

func endpointResource() *core.Resource {
	return core.NewResource(EndpointType, core.NameArg("Name of the private endpoint."))
}

func endpointGroup() *core.Group {
	r := endpointResource()
	return &core.Group{
		Name: "network private-endpoint", Short: "Manage private endpoints.",
		Commands: []*core.Command{
			endpointCreate(r),
			r.ShowCommand("Get the details of a private endpoint."),
			r.ListCommand("List private endpoints."),
			r.DeleteCommand("Delete a private endpoint.", false, false),
		},
	}
}

// ipConfigs parses --ip-config "name=... group-id=... member-name=...
// private-ip-address=..." (a new configuration starts at each name=).
func ipConfigs(tokens []string) ([]any, error) {
	var out []any
	var cur map[string]any
	for _, tok := range tokens {
		k, val, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, core.Usagef("usage error: --ip-config name=NAME group-id=GROUP member-name=MEMBER private-ip-address=IP")
		}
		switch strings.ToLower(k) {
		case "name":
			cur = map[string]any{"name": val, "properties": map[string]any{}}
			out = append(out, cur)
		case "group-id", "group_id":
			if cur == nil {
				return nil, core.Usagef("usage error: --ip-config must start with name=NAME")
			}
			props(cur)["groupId"] = val
		case "member-name", "member_name":
			if cur == nil {
				return nil, core.Usagef("usage error: --ip-config must start with name=NAME")
			}
			props(cur)["memberName"] = val
		case "private-ip-address", "private_ip_address":
			if cur == nil {
				return nil, core.Usagef("usage error: --ip-config must start with name=NAME")
			}
			props(cur)["privateIPAddress"] = val
		default:
			return nil, core.Usagef("usage error: unknown --ip-config key %s", k)
		}
	}
	return out, nil
}

func endpointCreate(r *core.Resource) *core.Command {
	args := r.Args(true)
	for _, a := range args {
		a.IDPart = ""
	}
	args = append(args, subnetArgs()...)
	args = append(args,
		&core.Arg{Dest: "private_connection_resource_id", Options: []string{"--private-connection-resource-id"}, Required: true,
			Help: "The resource id of the private endpoint to connect to."},
		&core.Arg{Dest: "connection_name", Options: []string{"--connection-name"}, Required: true, Help: "Name of the private link service connection."},
		&core.Arg{Dest: "group_ids", Options: []string{"--group-id", "--group-ids"}, Kind: core.List,
			Help: "The ID of the group obtained from the remote resource that this private endpoint should connect to."},
		&core.Arg{Dest: "manual_request", Options: []string{"--manual-request"}, Kind: core.TriState,
			Help: "Use manual request to establish the connection. Configure it as 'true' when you don't have access to the subscription of private link service."},
		&core.Arg{Dest: "request_message", Options: []string{"--request-message"}, Help: "A message passed to the owner of the remote resource with this connection request. Restricted to 140 chars."},
		&core.Arg{Dest: "nic_name", Options: []string{"--nic-name"}, Help: "The custom name of the network interface attached to the private endpoint."},
		&core.Arg{Dest: "ip_config", Options: []string{"--ip-config"}, Kind: core.List,
			Help: "The private endpoint ip configurations. Usage: --ip-config name=MyIPConfig group-id=MyGroup member-name=MyMember private-ip-address=MyPrivateIPAddress."},
		core.LocationArg(false), core.TagsArg(),
		&core.Arg{Dest: "edge_zone", Options: []string{"--edge-zone"}, Help: "The name of edge zone."},
	)
	return &core.Command{
		Name: "create", Short: "Create a private endpoint.", Args: args,
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			subnet, err := subnetID(c)
			if err != nil {
				return nil, err
			}
			connProps := map[string]any{"privateLinkServiceId": c.String("private_connection_resource_id")}
			if c.Has("group_ids") {
				connProps["groupIds"] = c.List("group_ids")
			}
			if c.Has("request_message") {
				connProps["requestMessage"] = c.String("request_message")
			}
			conn := []any{map[string]any{"name": c.String("connection_name"), "properties": connProps}}
			p := map[string]any{"subnet": map[string]any{"id": subnet}}
			if v := c.OptBool("manual_request"); v != nil && *v {
				p["manualPrivateLinkServiceConnections"] = conn
			} else {
				p["privateLinkServiceConnections"] = conn
			}
			if n := c.String("nic_name"); n != "" {
				p["customNetworkInterfaceName"] = n
			}
			if c.Has("ip_config") {
				cfgs, err := ipConfigs(c.List("ip_config"))
				if err != nil {
					return nil, err
				}
				p["ipConfigurations"] = cfgs
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

// DNS zone groups.
func zoneGroupGroup() *core.Group {
	r := core.NewResource(ZoneGroupType,
		&core.Arg{Dest: "endpoint_name", Options: []string{"--endpoint-name"}, Help: "Name of the private endpoint."},
		core.NameArg("Name of the private dns zone group."))
	zoneArgs := func(required bool) []*core.Arg {
		return []*core.Arg{
			{Dest: "private_dns_zone", Options: []string{"--private-dns-zone"}, Required: required, Help: "Name or ID of the private dns zone."},
			{Dest: "zone_name", Options: []string{"--zone-name"}, Required: true, Help: "Name of the private dns zone."},
		}
	}
	zoneID := func(c *core.Context) (string, error) {
		z := c.String("private_dns_zone")
		if arm.IsValidResourceID(z) {
			return z, nil
		}
		sub, err := c.SubscriptionID()
		if err != nil {
			return "", err
		}
		return arm.ResourcePath(sub, c.String("resource_group"), namespace, "privateDnsZones", z), nil
	}
	cfg := func(c *core.Context) (map[string]any, error) {
		id, err := zoneID(c)
		if err != nil {
			return nil, err
		}
		return map[string]any{"name": c.String("zone_name"), "properties": map[string]any{"privateDnsZoneId": id}}, nil
	}
	// body rebuilds a PUT body from a group (writable fields only).
	body := func(cur map[string]any) (map[string]any, []any) {
		var cfgs []any
		arr, _ := props(cur)["privateDnsZoneConfigs"].([]any)
		for _, e := range arr {
			m := obj(e)
			cfgs = append(cfgs, map[string]any{"name": m["name"], "properties": map[string]any{"privateDnsZoneId": obj(m["properties"])["privateDnsZoneId"]}})
		}
		return map[string]any{"properties": map[string]any{}}, cfgs
	}
	create := &core.Command{
		Name: "create", Short: "Create a private endpoint dns zone group.", Args: append(r.Args(true), zoneArgs(true)...),
		Run: func(c *core.Context) (any, error) {
			z, err := cfg(c)
			if err != nil {
				return nil, err
			}
			return r.Put(c, map[string]any{"properties": map[string]any{"privateDnsZoneConfigs": []any{z}}})
		},
	}
	add := &core.Command{
		Name: "add", Short: "Add a private endpoint dns zone into a dns zone group.", Args: append(r.Args(true), zoneArgs(true)...),
		Run: func(c *core.Context) (any, error) {
			cur, err := r.Get(c)
			if err != nil {
				return nil, err
			}
			z, err := cfg(c)
			if err != nil {
				return nil, err
			}
			b, cfgs := body(cur)
			props(b)["privateDnsZoneConfigs"] = append(cfgs, z)
			return r.Put(c, b)
		},
	}
	remove := &core.Command{
		Name: "remove", Short: "Remove a private endpoint dns zone into a dns zone group.",
		Args: append(r.Args(true), &core.Arg{Dest: "zone_name", Options: []string{"--zone-name"}, Required: true, Help: "Name of the private dns zone."}),
		Run: func(c *core.Context) (any, error) {
			cur, err := r.Get(c)
			if err != nil {
				return nil, err
			}
			b, cfgs := body(cur)
			keep := []any{}
			for _, e := range cfgs {
				if n, _ := obj(e)["name"].(string); !strings.EqualFold(n, c.String("zone_name")) {
					keep = append(keep, e)
				}
			}
			props(b)["privateDnsZoneConfigs"] = keep
			return r.Put(c, b)
		},
	}
	return &core.Group{
		Name: "network private-endpoint dns-zone-group", Short: "Manage private endpoint dns zone group.",
		Commands: []*core.Command{
			create, add, remove,
			r.ShowCommand("Show a private endpoint dns zone group."),
			r.ListCommand("List all private endpoint dns zone groups."),
			r.DeleteCommand("Delete a private endpoint dns zone group.", false, false),
		},
	}
}
