package resource

import (
	"net/url"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	return []*core.Group{groupGroup(), featureGroup(), providerGroup()}
}

// ResourceGroupsAPIVersion is what az 2.45 sends for resource groups.
const ResourceGroupsAPIVersion = core.ResourceGroupsAPIVersion

// ResourceGroupShape is how az renders a ResourceGroup model.
var ResourceGroupShape = &arm.Shape{Strict: true, Fields: []string{"id", "location", "managedBy", "name", "properties", "tags", "type"}}

// rgPath is the resource group path az 2.45 sends (lower-case "resourcegroups").
func rgPath(sub, rg string) string { return "/subscriptions/" + sub + "/resourcegroups/" + rg }

// rgNameArg is the group commands' name argument: --name/-n/--resource-group/-g.
func rgNameArg(help string) *core.Arg {
	return &core.Arg{
		Dest: "resource_group", Options: []string{"--name", "-n", "--resource-group", "-g"},
		Required: true, ConfigDefault: "group", Help: help,
	}
}

func groupGroup() *core.Group {
	return &core.Group{
		Name:  "group",
		Short: "Manage resource groups and template deployments.",
		Commands: []*core.Command{
			{
				Name: "create", Short: "Create a new resource group.",
				Args: []*core.Arg{
					rgNameArg("Name of the new resource group."),
					core.LocationArg(true),
					core.TagsArg(),
					{Dest: "managed_by", Options: []string{"--managed-by"}, Help: "The ID of the resource that manages this resource group."},
				},
				Examples: []core.Example{{
					Summary: "Create a new resource group in the West US region.",
					Command: "az group create -l westus -n MyResourceGroup",
				}},
				Run: groupCreate,
			},
			{
				Name: "show", Short: "Gets a resource group.", Show: true,
				Args: []*core.Arg{rgNameArg("Name of resource group.")},
				Run: func(c *core.Context) (any, error) {
					obj, err := getGroup(c)
					if err != nil {
						return nil, err
					}
					return ResourceGroupShape.Apply(obj), nil
				},
			},
			{
				Name: "exists", Short: "Check if a resource group exists.",
				Args: []*core.Arg{rgNameArg("Name of resource group.")},
				Examples: []core.Example{{
					Summary: "Check if 'MyResourceGroup' exists.",
					Command: "az group exists -n MyResourceGroup",
				}},
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					return client.Exists(c.Context(), rgPath(sub, c.String("resource_group")), ResourceGroupsAPIVersion)
				},
			},
			{
				Name: "list", Short: "List resource groups.",
				Args: []*core.Arg{core.TagArg()},
				Examples: []core.Example{{
					Summary: "List all resource groups located in the West US region.",
					Command: "az group list --query \"[?location=='westus']\"",
				}},
				TableQuery: "[].{Name:name, Location:location, Status:properties.provisioningState}",
				Run:        groupList,
			},
			{
				Name: "delete", Short: "Delete a resource group.", NoWait: true,
				Confirm: "Are you sure you want to perform this operation?",
				Args: []*core.Arg{
					rgNameArg("Name of resource group."),
					{Dest: "force_deletion_types", Options: []string{"--force-deletion-types", "-f"},
						Choices: []string{"Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachineScaleSets"},
						Help:    "The resource types you want to force delete."},
				},
				Examples: []core.Example{{
					Summary: "Delete a resource group.",
					Command: "az group delete -n MyResourceGroup",
				}},
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					var q url.Values
					if t := c.String("force_deletion_types"); t != "" {
						q = url.Values{"forceDeletionTypes": {t}}
					}
					_, err = client.Send(c.Context(), arm.Request{
						Method: "DELETE", Path: rgPath(sub, c.String("resource_group")),
						APIVersion: ResourceGroupsAPIVersion, Query: q, NoWait: c.NoWait(),
					})
					return nil, err
				},
			},
			{
				Name: "update", Short: "Update a resource group.",
				Args: append([]*core.Arg{rgNameArg("Name of resource group."), core.TagsArg()}, core.UpdateArgs()...),
				Examples: []core.Example{{
					Summary: "Update a resource group's tags.",
					Command: "az group update -n MyResourceGroup --tags env=test",
				}},
				Run: func(c *core.Context) (any, error) {
					return core.Updater{
						Get:   getGroup,
						Put:   putGroup,
						Shape: ResourceGroupShape,
						Custom: func(c *core.Context, obj map[string]any) error {
							if tags := c.Tags("tags"); tags != nil {
								obj["tags"] = tags
							}
							return nil
						},
					}.Run(c)
				},
			},
			core.WaitCommand("Place the CLI in a waiting state until a condition of the resource group is met.",
				[]*core.Arg{rgNameArg("Name of resource group.")},
				func(c *core.Context) (any, error) {
					obj, err := getGroup(c)
					if err != nil {
						return nil, err
					}
					return ResourceGroupShape.Apply(obj), nil
				}),
		},
	}
}

func clientAndSub(c *core.Context) (*arm.Client, string, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, "", err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, "", err
	}
	return client, sub, nil
}

func getGroup(c *core.Context) (map[string]any, error) {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return nil, err
	}
	return client.GetObject(c.Context(), rgPath(sub, c.String("resource_group")), ResourceGroupsAPIVersion, nil)
}

// putGroup sends what the SDK serialises for a ResourceGroup: location,
// tags, managedBy (read-only fields dropped).
func putGroup(c *core.Context, body map[string]any) (any, error) {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, k := range []string{"location", "tags", "managedBy"} {
		if v, ok := body[k]; ok && v != nil {
			out[k] = v
		}
	}
	return client.Put(c.Context(), rgPath(sub, c.String("resource_group")), ResourceGroupsAPIVersion, out, false)
}

func groupCreate(c *core.Context) (any, error) {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return nil, err
	}
	body := map[string]any{"location": core.NormalizeLocation(c.String("location"))}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	if mb := c.String("managed_by"); mb != "" {
		body["managedBy"] = mb
	}
	res, err := client.Put(c.Context(), rgPath(sub, c.String("resource_group")), ResourceGroupsAPIVersion, body, false)
	if err != nil {
		return nil, err
	}
	return ResourceGroupShape.Apply(res), nil
}

func groupList(c *core.Context) (any, error) {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return nil, err
	}
	var q url.Values
	if c.Has("tag") && c.String("tag") != "" {
		tags := core.ParseTags([]string{c.String("tag")})
		for k, v := range tags {
			f := "tagname eq '" + k + "'"
			if s, _ := v.(string); s != "" {
				f += " and tagvalue eq '" + s + "'"
			}
			q = url.Values{"$filter": {f}}
		}
	}
	items, err := client.List(c.Context(), "/subscriptions/"+sub+"/resourcegroups", ResourceGroupsAPIVersion, q)
	if err != nil {
		return nil, err
	}
	return ResourceGroupShape.Apply(items), nil
}
