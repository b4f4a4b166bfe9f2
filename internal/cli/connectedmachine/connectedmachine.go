// Package connectedmachine is the az "connectedmachine private-link-scope"
// command group (the connectedmachine extension's commands for Azure Arc
// private link scopes, Microsoft.HybridCompute/privateLinkScopes). Like
// the extension's AAZ commands, output keeps the REST shape (properties
// nested).
package connectedmachine

import (
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what the connectedmachine extension sends.
const APIVersion = "2024-07-10"

// ScopeType is the Arc private link scope.
var ScopeType = core.ResourceType{Namespace: "Microsoft.HybridCompute", Types: []string{"privateLinkScopes"}, APIVersion: APIVersion}

func scopeNameArg() *core.Arg {
	return &core.Arg{Dest: "scope_name", Options: []string{"--scope-name", "--name", "-n"},
		Help: "The name of the Azure Arc PrivateLinkScope resource."}
}

func publicAccessArg() *core.Arg {
	return &core.Arg{Dest: "public_network_access", Options: []string{"--public-network-access"},
		Choices: []string{"Disabled", "Enabled"},
		Help:    "Indicates whether machines associated with the private link scope can also use public Azure Arc service endpoints."}
}

// Groups returns the command groups.
func Groups() []*core.Group {
	res := core.NewResource(ScopeType, scopeNameArg())
	create := &core.Command{
		Name: "create", Short: "Create an Azure Arc PrivateLinkScope.",
		Args: append(res.Args(true), core.LocationArg(false), publicAccessArg(), core.TagsArg()),
		Examples: []core.Example{{Summary: "Create an Azure Arc PrivateLinkScope.",
			Command: "az connectedmachine private-link-scope create --location westus --resource-group my-resource-group --scope-name my-privatelinkscope --public-network-access Disabled"}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			body := map[string]any{"location": loc, "properties": map[string]any{}}
			if v := c.String("public_network_access"); v != "" {
				body["properties"] = map[string]any{"publicNetworkAccess": v}
			}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			return res.Put(c, body)
		},
	}
	update := res.UpdateCommand("Update an Azure Arc PrivateLinkScope.", []*core.Arg{publicAccessArg(), core.TagsArg()},
		func(c *core.Context, obj map[string]any) error {
			if v := c.String("public_network_access"); v != "" {
				props, _ := obj["properties"].(map[string]any)
				if props == nil {
					props = map[string]any{}
				}
				props["publicNetworkAccess"] = v
				obj["properties"] = props
			}
			if c.Has("tags") {
				obj["tags"] = c.Tags("tags")
			}
			return nil
		})
	return []*core.Group{
		{Name: "connectedmachine", Short: "Manage Azure Arc-Enabled Server."},
		{Name: "connectedmachine private-link-scope", Short: "Manage private link scope resource with connectedmachine.",
			Commands: []*core.Command{
				create,
				res.ShowCommand("Get an Azure Arc PrivateLinkScope."),
				res.ListCommand("List Azure Arc PrivateLinkScopes in a resource group or subscription."),
				res.DeleteCommand("Delete an Azure Arc PrivateLinkScope.", true, true),
				update,
			}},
	}
}
