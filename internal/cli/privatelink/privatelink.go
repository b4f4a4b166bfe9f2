package privatelink

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what az 2.45 sends for privateLinkServices and
// privateEndpoints; ConnectionAPIVersion what its private-endpoint-connection
// commands send.
const (
	APIVersion           = "2022-01-01"
	ConnectionAPIVersion = "2021-05-01"
	namespace            = "Microsoft.Network"
	plsType              = "Microsoft.Network/privateLinkServices"
)

var flat = &arm.Shape{Flatten: true}

// Resource types.
var (
	PLSType       = core.ResourceType{Namespace: namespace, Types: []string{"privateLinkServices"}, APIVersion: APIVersion, Shape: flat}
	PLSConnType   = core.ResourceType{Namespace: namespace, Types: []string{"privateLinkServices", "privateEndpointConnections"}, APIVersion: APIVersion, Shape: flat}
	EndpointType  = core.ResourceType{Namespace: namespace, Types: []string{"privateEndpoints"}, APIVersion: APIVersion, Shape: flat}
	ZoneGroupType = core.ResourceType{Namespace: namespace, Types: []string{"privateEndpoints", "privateDnsZoneGroups"}, APIVersion: APIVersion, Shape: flat}
)

// Groups returns the command groups.
func Groups() []*core.Group {
	return []*core.Group{
		plsGroup(), plsConnGroup(),
		endpointGroup(), zoneGroupGroup(),
		connectionGroup(),
	}
}

// subnetID resolves --subnet (name with --vnet-name, or ID).
func subnetID(c *core.Context) (string, error) {
	s := c.String("subnet")
	if arm.IsValidResourceID(s) {
		return s, nil
	}
	if c.String("vnet_name") == "" {
		return "", core.Usagef("usage error: --subnet ID | --subnet NAME --vnet-name NAME")
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, "virtualNetworks", c.String("vnet_name"), "subnets", s), nil
}

func subnetArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "subnet", Options: []string{"--subnet"}, Required: true, Help: "Name or ID of an existing subnet. If name is specified, also specify --vnet-name."},
		{Dest: "vnet_name", Options: []string{"--vnet-name"}, Help: "The virtual network (VNet) associated with the subnet (Omit if supplying a subnet id)."},
	}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func props(m map[string]any) map[string]any {
	p := obj(m["properties"])
	if p == nil {
		p = map[string]any{}
		m["properties"] = p
	}
	return p
}
