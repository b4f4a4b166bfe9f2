package gateway

import (
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// APIVersion is what az 2.45 sends for these resources.
const (
	APIVersion = "2022-01-01"
	namespace  = "Microsoft.Network"
)

var flat = &arm.Shape{Flatten: true}

// Resource types.
var (
	GatewayType = core.ResourceType{Namespace: namespace, Types: []string{"virtualNetworkGateways"}, APIVersion: APIVersion,
		Shape: &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{"ipConfigurations": flat}}}
	LocalGatewayType = core.ResourceType{Namespace: namespace, Types: []string{"localNetworkGateways"}, APIVersion: APIVersion, Shape: flat}
	ConnectionType   = core.ResourceType{Namespace: namespace, Types: []string{"connections"}, APIVersion: APIVersion,
		Shape: &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{"virtualNetworkGateway1": flat, "virtualNetworkGateway2": flat, "localNetworkGateway2": flat}}}
	CircuitType = core.ResourceType{Namespace: namespace, Types: []string{"expressRouteCircuits"}, APIVersion: APIVersion,
		Shape: &arm.Shape{Flatten: true, Nested: map[string]*arm.Shape{"peerings": flat, "authorizations": flat}}}
	PeeringType = core.ResourceType{Namespace: namespace, Types: []string{"expressRouteCircuits", "peerings"}, APIVersion: APIVersion, Shape: flat}
	AuthType    = core.ResourceType{Namespace: namespace, Types: []string{"expressRouteCircuits", "authorizations"}, APIVersion: APIVersion, Shape: flat}
)

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	return []*core.Group{
		vnetGatewayGroup(),
		localGatewayGroup(),
		connectionGroup(),
		sharedKeyGroup(),
		circuitGroup(),
		peeringGroup(),
		authGroup(),
	}
}

func subResource(id string) map[string]any { return map[string]any{"id": id} }

// resourceID keeps an ID, or builds one of types in the command's
// subscription and resource group from a name (parents first).
func resourceID(c *core.Context, value string, types []string, names ...string) (string, error) {
	if strings.HasPrefix(value, "/") {
		if _, err := arm.ParseResourceID(value); err == nil {
			return value, nil
		}
		return "", core.Errorf("invalid resource ID: %s", value)
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	var tn []string
	for i, t := range types {
		tn = append(tn, t, names[i])
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, tn...), nil
}

// putAndShape PUTs body at path (waiting unless --no-wait) and shapes the
// answer (nil with --no-wait).
func putAndShape(c *core.Context, t core.ResourceType, path string, body any) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), path, t.APIVersion, body, c.NoWait())
	if err != nil || res == nil || c.NoWait() {
		return nil, err
	}
	m, _ := t.Shape.Apply(res).(map[string]any)
	return m, nil
}

func props(m map[string]any) map[string]any {
	p, _ := m["properties"].(map[string]any)
	if p == nil {
		p = map[string]any{}
		m["properties"] = p
	}
	return p
}

func tagsUpdate(c *core.Context, obj map[string]any) {
	if c.Has("tags") {
		obj["tags"] = c.Tags("tags")
	}
}
