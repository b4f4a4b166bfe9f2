package resource

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// FeaturesAPIVersion is what az 2.45 sends for Microsoft.Features.
const FeaturesAPIVersion = "2021-07-01"

// FeatureShape is how az renders a FeatureResult model.
var FeatureShape = &arm.Shape{Strict: true, Fields: []string{"id", "name", "properties", "type"}}

const featureTable = "{Name:name, RegistrationState:properties.state}"

func featurePath(sub, ns, name string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/" + ns + "/features/" + name
}

func namespaceArg(required bool) *core.Arg {
	return &core.Arg{Dest: "namespace", Options: []string{"--namespace"}, Required: required,
		Help: "The resource namespace, aka 'provider'."}
}

func featureNameArg() *core.Arg {
	return &core.Arg{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "The feature name."}
}

func featureGroup() *core.Group {
	return &core.Group{
		Name:  "feature",
		Short: "Manage resource provider features.",
		Commands: []*core.Command{
			{
				Name: "list", Short: "List preview features.",
				Args:       []*core.Arg{namespaceArg(false)},
				TableQuery: "[]." + featureTable,
				Examples: []core.Example{{
					Summary: "List preview features",
					Command: "az feature list",
				}},
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					p := "/subscriptions/" + sub + "/providers/Microsoft.Features/features"
					if ns := c.String("namespace"); ns != "" {
						p = "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/" + ns + "/features"
					}
					items, err := client.List(c.Context(), p, FeaturesAPIVersion, nil)
					if err != nil {
						return nil, err
					}
					return FeatureShape.Apply(items), nil
				},
			},
			{
				Name: "show", Short: "Gets the preview feature with the specified name.", Show: true,
				Args:       []*core.Arg{namespaceArg(true), featureNameArg()},
				TableQuery: featureTable,
				Run: func(c *core.Context) (any, error) {
					client, sub, err := clientAndSub(c)
					if err != nil {
						return nil, err
					}
					obj, err := client.Get(c.Context(), featurePath(sub, c.String("namespace"), c.String("name")), FeaturesAPIVersion, nil)
					if err != nil {
						return nil, err
					}
					return FeatureShape.Apply(obj), nil
				},
			},
			{
				Name: "register", Short: "Register a preview feature.",
				Args: []*core.Arg{namespaceArg(true), featureNameArg()},
				Examples: []core.Example{{
					Summary: "register the \"Shared Image Gallery\" feature",
					Command: "az feature register --namespace Microsoft.Compute --name GalleryPreview",
				}},
				Run: func(c *core.Context) (any, error) {
					ns, name := c.String("namespace"), c.String("name")
					c.Warnf("Once the feature '%s' is registered, invoking 'az provider register -n %s' is required to get the change propagated", name, ns)
					return featureAction(c, "register")
				},
			},
			{
				Name: "unregister", Short: "Unregister a preview feature.",
				Args: []*core.Arg{namespaceArg(true), featureNameArg()},
				Examples: []core.Example{{
					Summary: "unregister the \"Shared Image Gallery\" feature",
					Command: "az feature unregister --namespace Microsoft.Compute --name GalleryPreview",
				}},
				Run: func(c *core.Context) (any, error) {
					ns, name := c.String("namespace"), c.String("name")
					c.Warnf("Once the feature '%s' is unregistered, invoking 'az provider register -n %s' is required to get the change propagated", name, ns)
					return featureAction(c, "unregister")
				},
			},
		},
	}
}

// featureAction POSTs .../features/{name}/register or /unregister (a
// synchronous 200 carrying the feature).
func featureAction(c *core.Context, action string) (any, error) {
	client, sub, err := clientAndSub(c)
	if err != nil {
		return nil, err
	}
	res, err := client.Post(c.Context(), featurePath(sub, c.String("namespace"), c.String("name"))+"/"+action, FeaturesAPIVersion, nil, false)
	if err != nil {
		return nil, err
	}
	return FeatureShape.Apply(res), nil
}
