package privatelink

import (
	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/network"
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
		sdkGroup(plsGroup(), "PrivateLinkService"), sdkGroup(plsConnGroup(), "PrivateEndpointConnection"),
		sdkGroup(endpointGroup(), "PrivateEndpoint"), zoneGroupGroup(),
		sdkGroup(connectionGroup(), "PrivateEndpointConnection"),
	}
}

// envelope are the keys of an ARM body outside "properties".
var envelope = map[string]bool{"id": true, "name": true, "type": true, "location": true, "tags": true,
	"etag": true, "extendedLocation": true, "systemData": true, "resourceGroup": true}

// sdkGroup makes a group's commands print what az 2.45 prints for these
// SDK-based commands: the azure-mgmt-network model (nested properties
// flattened, Python attribute names such as privateIpAddress, every
// attribute present).
func sdkGroup(g *core.Group, model string) *core.Group {
	for _, cmd := range g.Commands {
		run := cmd.Run
		cmd.Run = func(c *core.Context) (any, error) {
			v, err := run(c)
			if err != nil || v == nil {
				return v, err
			}
			return sdkRender(model, v), nil
		}
	}
	return g
}

// sdkRender renders a resource, or a list of them, that the command
// returned flattened; anything else (e.g. a visibility answer) is left as is.
func sdkRender(model string, v any) any {
	switch t := v.(type) {
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			out = append(out, sdkRender(model, e))
		}
		return out
	case map[string]any:
		if _, ok := t["id"].(string); !ok {
			return v
		}
		body := map[string]any{}
		props := map[string]any{}
		for k, val := range t {
			if envelope[k] {
				body[k] = val
			} else {
				props[k] = val
			}
		}
		if p, ok := t["properties"].(map[string]any); ok {
			props = p
		}
		body["properties"] = props
		out, _ := network.SDKOutput(model, body).(map[string]any)
		if out == nil {
			return v
		}
		if rg, ok := t["resourceGroup"]; ok {
			out["resourceGroup"] = rg
		}
		return out
	}
	return v
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
