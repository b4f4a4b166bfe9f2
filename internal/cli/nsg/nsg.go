package nsg

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is the Microsoft.Network api-version az 2.45 sends for these
// resource types.
const APIVersion = "2022-01-01"

// Namespace is the resource provider namespace of every type here.
const Namespace = "Microsoft.Network"

// RuleShape is how az (aaz) renders a security rule: properties flattened,
// only what the service sent.
var RuleShape = &arm.Shape{Flatten: true}

// NSGShape is how az renders a network security group; its rules are
// flattened too.
var NSGShape = &arm.Shape{
	Flatten: true,
	Nested:  map[string]*arm.Shape{"securityRules": RuleShape, "defaultSecurityRules": RuleShape},
}

// RouteShape is how az renders a route.
var RouteShape = &arm.Shape{Flatten: true}

// RouteTableShape is how az renders a route table; its routes are
// flattened too.
var RouteTableShape = &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{"routes": RouteShape}}

// NSGType is Microsoft.Network/networkSecurityGroups.
var NSGType = core.ResourceType{
	Namespace: Namespace, Types: []string{"networkSecurityGroups"}, APIVersion: APIVersion, Shape: NSGShape,
}

// RuleType is Microsoft.Network/networkSecurityGroups/securityRules.
var RuleType = core.ResourceType{
	Namespace: Namespace, Types: []string{"networkSecurityGroups", "securityRules"}, APIVersion: APIVersion, Shape: RuleShape,
}

// RouteTableType is Microsoft.Network/routeTables.
var RouteTableType = core.ResourceType{
	Namespace: Namespace, Types: []string{"routeTables"}, APIVersion: APIVersion, Shape: RouteTableShape,
}

// RouteType is Microsoft.Network/routeTables/routes.
var RouteType = core.ResourceType{
	Namespace: Namespace, Types: []string{"routeTables", "routes"}, APIVersion: APIVersion, Shape: RouteShape,
}

// Groups returns the "network nsg", "network nsg rule", "network
// route-table" and "network route-table route" groups. The parent
// "network" group belongs to another package.
func Groups() []*core.Group {
	return []*core.Group{nsgGroup(), ruleGroup(), routeTableGroup(), routeGroup()}
}

// aaz marks commands the way az 2.45's generated (aaz) commands behave:
// any ARM 404 exits with code 3, not only for "show" (azure-cli maps every
// HTTP 404 to ResourceNotFoundError, whose exit code is 3).
func aaz(cmds ...*core.Command) []*core.Command {
	for _, c := range cmds {
		c.Show = true
	}
	return cmds
}

func nsgGroup() *core.Group {
	res := core.NewResource(NSGType, core.NameArg("Name of the network security group."))
	create := &core.Command{
		Name: "create", Short: "Create a network security group.", NoWait: true,
		Args: append(res.Args(true), core.LocationArg(false), core.TagsArg()),
		Examples: []core.Example{{
			Summary: "Create an NSG in a resource group within a region with tags.",
			Command: "az network nsg create -g MyResourceGroup -n MyNsg --tags super_secure no_80 no_22",
		}},
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			body := map[string]any{"location": loc, "properties": map[string]any{}}
			if tags := c.Tags("tags"); tags != nil {
				body["tags"] = tags
			}
			out, err := res.Put(c, body)
			if err != nil || out == nil {
				return nil, err
			}
			// azure-cli's NSGCreate._output: {"NewNSG": result}.
			return map[string]any{"NewNSG": out}, nil
		},
	}
	list := res.ListCommand("List network security groups.", core.Example{
		Summary: "List all NSGs in the 'westus' region.",
		Command: "az network nsg list --query \"[?location=='westus']\"",
	})
	return &core.Group{
		Name:  "network nsg",
		Short: "Manage Azure Network Security Groups (NSGs).",
		Commands: aaz(
			create,
			res.ShowCommand("Get information about a network security group.", core.Example{
				Summary: "Get basic information about an NSG.",
				Command: "az network nsg show -g MyResourceGroup -n MyNsg",
			}),
			list,
			res.DeleteCommand("Delete a network security group.", true, false, core.Example{
				Summary: "Delete an NSG in a resource group.",
				Command: "az network nsg delete -g MyResourceGroup -n MyNsg",
			}),
			res.UpdateCommand("Update a network security group.", []*core.Arg{tagsUpdateArg()}, applyTags, core.Example{
				Summary: "Remove a rule from an NSG.",
				Command: "az network nsg update -g MyResourceGroup -n MyNsg --remove securityRules 1",
			}),
			res.WaitCommand("Place the CLI in a waiting state until a condition is met."),
		),
	}
}

// tagsUpdateArg is an update command's --tags (replaces every tag; ""
// clears them).
func tagsUpdateArg() *core.Arg {
	a := core.TagsArg()
	a.Help = "Resource tags."
	return a
}

// applyTags applies an update command's --tags to the object.
func applyTags(c *core.Context, obj map[string]any) error {
	if tags := c.Tags("tags"); tags != nil {
		obj["tags"] = tags
	}
	return nil
}

// nullable reports whether a nullable string argument asks to clear the
// property: aaz takes the literal "null" (and an empty value) as None.
func nullable(v string) bool { return v == "" || v == "null" }
