package privatelink

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// "network private-endpoint-connection": az's generic connection commands.
// Of az's --type registry only Microsoft.Network/privateLinkServices is
// served here.

func connArgs(list bool) []*core.Arg {
	args := []*core.Arg{
		{Dest: "id", Options: []string{"--id"}, Help: "ID of the private endpoint connection."},
		core.ResourceGroupArg(false),
		{Dest: "resource_name", Options: []string{"--resource-name"}, Help: "Name of the resource."},
		{Dest: "name", Options: []string{"--name", "-n"}, Help: "Name of the private endpoint connection."},
		{Dest: "type", Options: []string{"--type"}, Help: "Type of the resource.", Choices: []string{plsType}},
	}
	if list {
		args[0].Help = "ID of the resource."
		args = append(args[:2], args[3:]...) // no --resource-name: -n names the resource
		args[2].Help = "Name of the resource."
	}
	return args
}

// connPath resolves --id | -g --resource-name -n --type.
func connPath(c *core.Context) (string, error) {
	if id := c.String("id"); id != "" {
		r, err := arm.ParseResourceID(id)
		if err != nil || !strings.EqualFold(r.FullType(), plsType+"/privateEndpointConnections") {
			return "", core.Errorf("Unsupported resource type for private endpoint connection: %s", id)
		}
		return id, nil
	}
	if c.String("resource_group") == "" || c.String("resource_name") == "" || c.String("name") == "" || c.String("type") == "" {
		return "", core.Usagef("usage error: --id ID | --resource-group NAME --type TYPE --resource-name NAME --name NAME")
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, "privateLinkServices", c.String("resource_name"), "privateEndpointConnections", c.String("name")), nil
}

func connectionGroup() *core.Group {
	setState := func(status string) *core.Command {
		return &core.Command{
			Name: strings.ToLower(status[:len(status)-1]), Short: status[:len(status)-1] + " a private endpoint connection.", NoIDs: true,
			Args: append(connArgs(false), &core.Arg{Dest: "description", Options: []string{"--description"}, Help: "Comments for the " + strings.ToLower(status[:len(status)-1]) + " operation."}),
			Run: func(c *core.Context) (any, error) {
				p, err := connPath(c)
				if err != nil {
					return nil, err
				}
				client, err := c.ARM()
				if err != nil {
					return nil, err
				}
				cur, err := client.GetObject(c.Context(), p, ConnectionAPIVersion, nil)
				if err != nil {
					return nil, err
				}
				cp := props(cur)
				state := obj(cp["privateLinkServiceConnectionState"])
				if state == nil {
					state = map[string]any{}
				}
				state["status"] = status
				state["description"] = c.String("description")
				body := map[string]any{"name": cur["name"], "properties": map[string]any{"privateEndpoint": cp["privateEndpoint"], "privateLinkServiceConnectionState": state}}
				res, err := client.Put(c.Context(), p, ConnectionAPIVersion, body, false)
				if err != nil {
					return nil, err
				}
				return flat.Apply(res), nil
			},
		}
	}
	show := &core.Command{
		Name: "show", Short: "Show a private endpoint connection.", Show: true, NoIDs: true, Args: connArgs(false),
		Run: func(c *core.Context) (any, error) {
			p, err := connPath(c)
			if err != nil {
				return nil, err
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			res, err := client.GetObject(c.Context(), p, ConnectionAPIVersion, nil)
			if err != nil {
				return nil, err
			}
			return flat.Apply(res), nil
		},
	}
	del := &core.Command{
		Name: "delete", Short: "Delete a private endpoint connection.", NoIDs: true, Confirm: "Are you sure you want to perform this operation?", Args: connArgs(false),
		Run: func(c *core.Context) (any, error) {
			p, err := connPath(c)
			if err != nil {
				return nil, err
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			return nil, client.Delete(c.Context(), p, ConnectionAPIVersion, false)
		},
	}
	list := &core.Command{
		Name: "list", Short: "List all private endpoint connections.", NoIDs: true, Args: connArgs(true),
		Run: func(c *core.Context) (any, error) {
			var p string
			if id := c.String("id"); id != "" {
				r, err := arm.ParseResourceID(id)
				if err != nil || !strings.EqualFold(r.FullType(), plsType) {
					return nil, core.Errorf("Unsupported resource type for private endpoint connection: %s", id)
				}
				p = id + "/privateEndpointConnections"
			} else {
				if c.String("resource_group") == "" || c.String("name") == "" || c.String("type") == "" {
					return nil, core.Usagef("usage error: --id ID | --resource-group NAME --type TYPE --name NAME")
				}
				sub, err := c.SubscriptionID()
				if err != nil {
					return nil, err
				}
				p = arm.ResourcePath(sub, c.String("resource_group"), namespace, "privateLinkServices", c.String("name"), "privateEndpointConnections")
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			items, err := client.List(c.Context(), p, ConnectionAPIVersion, nil)
			if err != nil {
				return nil, err
			}
			return flat.Apply(items), nil
		},
	}
	return &core.Group{
		Name: "network private-endpoint-connection", Short: "Manage private endpoint connections.",
		Commands: []*core.Command{setState("Approved"), setState("Rejected"), del, show, list},
	}
}
