package identity

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is the api-version sent for userAssignedIdentities.
const APIVersion = "2023-01-31"

// Shape is how az renders an Identity model (properties flattened).
var Shape = &arm.Shape{
	Flatten: true,
	Strict:  true,
	Fields:  []string{"clientId", "id", "location", "name", "principalId", "systemData", "tags", "tenantId", "type"},
}

// Type is the user-assigned identity resource type.
var Type = core.ResourceType{
	Namespace:  "Microsoft.ManagedIdentity",
	Types:      []string{"userAssignedIdentities"},
	APIVersion: APIVersion,
	Shape:      Shape,
}

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	res := core.NewResource(Type, core.NameArg("The name of the identity resource."))
	create := &core.Command{
		Name: "create", Short: "Create Identities.",
		Args: append(res.Args(true), core.LocationArg(false), core.TagsArg()),
		Examples: []core.Example{{
			Summary: "Create an identity.",
			Command: "az identity create --name MyIdentity --resource-group MyResourceGroup",
		}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			body := map[string]any{"location": loc}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			return res.Put(c, body)
		},
	}
	return []*core.Group{{
		Name:  "identity",
		Short: "Managed Identities.",
		Commands: []*core.Command{
			create,
			res.ShowCommand("Get an identity."),
			res.ListCommand("List Managed Identities.", core.Example{
				Summary: "List Managed Identities in a resource group.",
				Command: "az identity list -g MyResourceGroup",
			}),
			res.DeleteCommand("Delete an identity.", false, false),
		},
	}}
}

// ListAll lists the user-assigned identities of the subscription (raw ARM
// bodies); other groups use it to resolve principals without Graph.
func ListAll(c *core.Context) ([]map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	items, err := client.List(c.Context(), Type.SubscriptionCollectionPath(sub), APIVersion, nil)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}
