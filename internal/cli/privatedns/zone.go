package privatedns

import (
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// zoneColumns is az's transform_privatedns_zone_table_output.
const zoneColumns = "{ZoneName:name, ResourceGroup:resourceGroup, RecordSets:numberOfRecordSets, " +
	"MaxRecordSets:maxNumberOfRecordSets, VirtualNetworkLinks:numberOfVirtualNetworkLinks, " +
	"MaxVirtualNetworkLinks:maxNumberOfVirtualNetworkLinks, " +
	"VirtualNetworkLinksWithRegistration:numberOfVirtualNetworkLinksWithRegistration, " +
	"MaxVirtualNetworkLinksWithRegistration:maxNumberOfVirtualNetworkLinksWithRegistration, " +
	"ProvisioningState:provisioningState}"

const localWarning = "Please be aware that DNS names ending with .local are reserved for use with multicast DNS " +
	"and may not work as expected with some operating systems. For details refer to your operating systems documentation."

// Writable attributes of the PrivateZone model.
var zoneTop = []string{"etag", "location", "tags"}

func zoneArgs() []*core.Arg {
	return []*core.Arg{core.ResourceGroupArg(true), zoneNameArg("--name", "-n")}
}

func zoneGroup() *core.Group {
	return &core.Group{
		Name:  "network private-dns zone",
		Short: "Manage Private DNS zones.",
		Commands: []*core.Command{
			{
				Name: "create", Short: "Create a Private DNS zone.", NoWait: true,
				Args: append(zoneArgs(), tagsArg("Resource tags for the Private DNS zone.")),
				Examples: []core.Example{{
					Summary: "Create a Private DNS zone using a fully qualified domain name.",
					Command: "az network private-dns zone create -g MyResourceGroup -n www.mysite.com",
				}},
				Run: createZone,
			},
			{
				Name: "delete", Short: "Delete a Private DNS zone.", NoWait: true,
				Long:    "All DNS records in the zone will also be deleted. This operation cannot be undone. Private DNS zone cannot be deleted unless all virtual network links to it are removed.",
				Confirm: "Are you sure you want to perform this operation?",
				Args: append(zoneArgs(), ifMatchArg("The ETag of the Private DNS zone. Omit this value to always delete the current zone. "+
					"Specify the last-seen ETag value to prevent accidentally deleting any concurrent changes.")),
				Examples: []core.Example{{
					Summary: "Delete a Private DNS zone using a fully qualified domain name.",
					Command: "az network private-dns zone delete -g MyResourceGroup -n www.mysite.com",
				}},
				Run: func(c *core.Context) (any, error) {
					p, err := zonePath(c)
					if err != nil {
						return nil, err
					}
					_, err = send(c, http.MethodDelete, p, nil, conditional(c), c.NoWait())
					return nil, err
				},
			},
			{
				Name: "show", Short: "Get a Private DNS zone.", Show: true, Args: zoneArgs(), TableQuery: zoneColumns,
				Examples: []core.Example{{
					Summary: "Get a Private DNS zone using a fully qualified domain name.",
					Command: "az network private-dns zone show -g MyResourceGroup -n www.mysite.com",
				}},
				Run: func(c *core.Context) (any, error) { return getZone(c) },
			},
			{
				Name: "list", Short: "List Private DNS zones.", Args: []*core.Arg{core.ResourceGroupArg(false)},
				TableQuery: "[]." + zoneColumns,
				Examples: []core.Example{{
					Summary: "List Private DNS zones in a resource group.",
					Command: "az network private-dns zone list -g MyResourceGroup",
				}},
				Run: listZones,
			},
			{
				Name: "update", NoWait: true,
				Short: "Update a Private DNS zone's properties. Does not modify Private DNS records or virtual network links within the zone.",
				Args: append(append(zoneArgs(),
					tagsArg("Resource tags for the Private DNS zone."),
					ifMatchArg("The ETag of the Private DNS zone. Omit this value to always overwrite the current zone. "+
						"Specify the last-seen ETag value to prevent accidentally overwriting any concurrent changes.")),
					core.UpdateArgs()...),
				Examples: []core.Example{{
					Summary: "Update a Private DNS zone properties to change the user-defined value of a previously set tag.",
					Command: "az network private-dns zone update -g MyResourceGroup -n www.mysite.com --tags CostCenter=Marketing",
				}},
				Run: updateZone,
			},
			core.WaitCommand("Place the CLI in a waiting state until a condition of the Private DNS zone is met.",
				zoneArgs(), func(c *core.Context) (any, error) { return getZone(c) }),
		},
	}
}

func getZone(c *core.Context) (map[string]any, error) {
	p, err := zonePath(c)
	if err != nil {
		return nil, err
	}
	obj, err := getObject(c, p)
	if err != nil {
		return nil, err
	}
	ZoneShape.Apply(obj)
	return obj, nil
}

func createZone(c *core.Context) (any, error) {
	name := zoneName(c)
	p, err := zonePath(c)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".local") {
		c.Warnf(localWarning)
	}
	body := map[string]any{"location": "global"}
	if tags := c.Tags("tags"); tags != nil {
		body["tags"] = tags
	}
	res, err := send(c, http.MethodPut, p, body, ifNoneMatch(), c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	return ZoneShape.Apply(res), nil
}

func listZones(c *core.Context) (any, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	p := "/subscriptions/" + sub + "/providers/" + namespace + "/privateDnsZones"
	if rg := c.String("resource_group"); rg != "" {
		p = "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + namespace + "/privateDnsZones"
	}
	items, err := list(c, p, nil)
	if err != nil {
		return nil, err
	}
	return ZoneShape.Apply(items), nil
}

// updateZone: getter get, custom update_privatedns_zone (--tags), setter
// begin_update (PATCH, --if-match).
func updateZone(c *core.Context) (any, error) {
	p, err := zonePath(c)
	if err != nil {
		return nil, err
	}
	return genericUpdate(c, func() (map[string]any, error) { return getZone(c) },
		func(view map[string]any) error {
			if tags := c.Tags("tags"); tags != nil {
				view["tags"] = tags
			}
			return nil
		}, nil,
		func(view map[string]any) (any, error) {
			res, err := send(c, http.MethodPatch, p, serialize(view, zoneTop, nil), conditional(c), c.NoWait())
			if err != nil || res == nil {
				return nil, err
			}
			return ZoneShape.Apply(res), nil
		})
}
