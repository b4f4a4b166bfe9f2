package privatedns

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// linkColumns is az's transform_privatedns_link_table_output.
const linkColumns = "{LinkName:name, ResourceGroup:resourceGroup, RegistrationEnabled:registrationEnabled, " +
	"VirtualNetwork:virtualNetwork.id, LinkState:virtualNetworkLinkState, ProvisioningState:provisioningState}"

// Writable attributes of the VirtualNetworkLink model (resolutionPolicy
// from later api-versions).
var (
	linkTop   = []string{"etag", "location", "tags"}
	linkProps = []string{"registrationEnabled", "resolutionPolicy", "virtualNetwork"}
)

// Resolution policies of a link (Azure's ResolutionPolicy enum).
var resolutionPolicies = []string{"Default", "NxDomainRedirect"}

const linkTagsHelp = "Resource tags for the virtual network link."

func linkArgs() []*core.Arg {
	return []*core.Arg{
		core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z"),
		{Dest: "virtual_network_link_name", Options: []string{"--name", "-n"}, Required: true,
			Help: "The name of the virtual network link to the specified Private DNS zone."},
	}
}

func registrationArg(required bool) *core.Arg {
	return &core.Arg{Dest: "registration_enabled", Options: []string{"--registration-enabled", "-e"},
		Kind: core.TriState, Required: required, Help: "Specify if the link is registration enabled."}
}

func resolutionPolicyArg() *core.Arg {
	return &core.Arg{Dest: "resolution_policy", Options: []string{"--resolution-policy"}, Choices: resolutionPolicies,
		Help: "The resolution policy on the virtual network link. Only applicable for virtual network links to privatelink zones, and for A,AAAA,CNAME queries. When set to 'NxDomainRedirect', Azure DNS resolver falls back to public resolution if private dns query resolution results in non-existent domain response."}
}

func linkGroup() *core.Group {
	return &core.Group{
		Name:  "network private-dns link vnet",
		Short: "Manage virtual network links to the specified Private DNS zone.",
		Commands: []*core.Command{
			{
				Name: "create", Short: "Create a virtual network link to the specified Private DNS zone.", NoWait: true,
				Args: append(linkArgs(),
					&core.Arg{Dest: "virtual_network", Options: []string{"--virtual-network", "-v"}, Required: true,
						Help: "Name or ID of the virtual network."},
					registrationArg(true), tagsArg(linkTagsHelp), resolutionPolicyArg()),
				Examples: []core.Example{{
					Summary: "Create a virtual network link to the specified Private DNS zone.",
					Command: "az network private-dns link vnet create -g MyResourceGroup -n MyLinkName -z www.mysite.com -v MyVirtualNetworkId -e False",
				}},
				Run: createLink,
			},
			{
				Name: "delete", Short: "Delete a virtual network link to the specified Private DNS zone.", NoWait: true,
				Long:    "In case of a registration virtual network, all auto-registered DNS records in the zone for the virtual network will also be deleted. This operation cannot be undone.",
				Confirm: "Are you sure you want to perform this operation?",
				Args: append(linkArgs(), ifMatchArg("The ETag of the virtual network link to the Private DNS zone. "+
					"Omit this value to always delete the current zone. Specify the last-seen ETag value to prevent accidentally deleting any concurrent changes.")),
				Examples: []core.Example{{
					Summary: "Delete a virtual network link to the specified Private DNS zone.",
					Command: "az network private-dns link vnet delete -g MyResourceGroup -z www.mysite.com -n MyLinkName",
				}},
				Run: func(c *core.Context) (any, error) {
					p, err := linkPath(c)
					if err != nil {
						return nil, err
					}
					_, err = send(c, http.MethodDelete, p, nil, conditional(c), c.NoWait())
					return nil, err
				},
			},
			{
				Name: "show", Short: "Get a virtual network link to the specified Private DNS zone.", Show: true,
				Args: linkArgs(), TableQuery: linkColumns,
				Examples: []core.Example{{
					Summary: "Get a virtual network link to the specified Private DNS zone..",
					Command: "az network private-dns link vnet show -g MyResourceGroup -n MyLinkName -z www.mysite.com",
				}},
				Run: func(c *core.Context) (any, error) { return getLink(c) },
			},
			{
				Name: "list", Short: "List the virtual network links to the specified Private DNS zone.",
				Args: []*core.Arg{
					core.ResourceGroupArg(true), zoneNameArg("--zone-name", "-z"),
					{Dest: "top", Options: []string{"--top"}, Kind: core.Int,
						Help: "The maximum number of virtual network links to return. If not specified, returns up to 100 virtual network links."},
				},
				TableQuery: "[]." + linkColumns,
				Examples: []core.Example{{
					Summary: "List virtual network links to the specified Private DNS zone in a resource group.",
					Command: "az network private-dns link vnet list -g MyResourceGroup -z www.mysite.com",
				}},
				Run: listLinks,
			},
			{
				Name: "update", NoWait: true,
				Short: "Update a virtual network link's properties. Does not modify virtual network within the link.",
				Args: append(append(linkArgs(),
					registrationArg(false), tagsArg(linkTagsHelp), resolutionPolicyArg(),
					ifMatchArg("The ETag of the virtual network link to the Private DNS zone. Omit this value to always overwrite the current virtual network link. "+
						"Specify the last-seen ETag value to prevent accidentally overwritting any concurrent changes.")),
					core.UpdateArgs()...),
				Examples: []core.Example{{
					Summary: "Update a virtual network link properties to enable registration.",
					Command: "az network private-dns link vnet update -g MyResourceGroup -n MyLinkName -z www.mysite.com -e True",
				}},
				Run: updateLink,
			},
			core.WaitCommand("Place the CLI in a waiting state until a condition of the virtual network link to the specified Private DNS zone is met.",
				linkArgs(), func(c *core.Context) (any, error) { return getLink(c) }),
		},
	}
}

func linkPath(c *core.Context) (string, error) {
	return child(c, "virtualNetworkLinks", c.String("virtual_network_link_name"))
}

// shapeLink applies LinkShape, keeping resolutionPolicy when the service
// sends it (the 2020-06-01 model lacks it; later ones have it).
func shapeLink(v any) any {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			shapeLink(e)
		}
	case map[string]any:
		props := asObject(t["properties"])
		rp, has := props["resolutionPolicy"]
		LinkShape.Apply(t)
		if has && rp != nil {
			t["resolutionPolicy"] = rp
		}
	}
	return v
}

func getLink(c *core.Context) (map[string]any, error) {
	p, err := linkPath(c)
	if err != nil {
		return nil, err
	}
	obj, err := getObject(c, p)
	if err != nil {
		return nil, err
	}
	shapeLink(obj)
	return obj, nil
}

// vnetID is az's get_vnet_validator: a name becomes an ID in the link's
// subscription and resource group.
func vnetID(c *core.Context) (string, error) {
	v := c.String("virtual_network")
	if arm.IsValidResourceID(v) {
		return v, nil
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, "virtualNetworks", v), nil
}

func createLink(c *core.Context) (any, error) {
	p, err := linkPath(c)
	if err != nil {
		return nil, err
	}
	vnet, err := vnetID(c)
	if err != nil {
		return nil, err
	}
	props := map[string]any{
		"virtualNetwork":      map[string]any{"id": vnet},
		"registrationEnabled": c.Bool("registration_enabled"),
	}
	if rp := c.String("resolution_policy"); rp != "" {
		props["resolutionPolicy"] = rp
	}
	body := map[string]any{"location": "global", "properties": props}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	res, err := send(c, http.MethodPut, p, body, ifNoneMatch(), c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	return shapeLink(res), nil
}

func listLinks(c *core.Context) (any, error) {
	p, err := child(c, "virtualNetworkLinks")
	if err != nil {
		return nil, err
	}
	var q url.Values
	if c.Has("top") {
		q = url.Values{"$top": {strconv.Itoa(c.Int("top"))}}
	}
	items, err := list(c, p, q)
	if err != nil {
		return nil, err
	}
	return shapeLink(items), nil
}

// updateLink: getter get, no custom function, --set/--add/--remove, then
// the custom setter update_privatedns_link (-e, --tags) sending PATCH.
func updateLink(c *core.Context) (any, error) {
	p, err := linkPath(c)
	if err != nil {
		return nil, err
	}
	return genericUpdate(c, func() (map[string]any, error) { return getLink(c) }, nil,
		func(view map[string]any) error {
			if b := c.OptBool("registration_enabled"); b != nil {
				view["registrationEnabled"] = *b
			}
			if tags := c.Tags("tags"); tags != nil {
				view["tags"] = tags
			}
			if rp := c.String("resolution_policy"); rp != "" {
				view["resolutionPolicy"] = rp
			}
			return nil
		},
		func(view map[string]any) (any, error) {
			res, err := send(c, http.MethodPatch, p, serialize(view, linkTop, linkProps), conditional(c), c.NoWait())
			if err != nil || res == nil {
				return nil, err
			}
			return shapeLink(res), nil
		})
}
