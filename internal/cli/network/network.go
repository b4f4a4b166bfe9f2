package network

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// API versions az 2.45 sends: its aaz commands (vnet, subnet, peering)
// and the SDK profile (nic) use 2022-01-01; the public-ip aaz commands
// were generated against 2022-05-01.
const (
	APIVersion         = "2022-01-01"
	PublicIPAPIVersion = "2022-05-01"
	namespace          = "Microsoft.Network"
)

// Resource types.
var (
	VNetType     = core.ResourceType{Namespace: namespace, Types: []string{"virtualNetworks"}, APIVersion: APIVersion}
	SubnetType   = core.ResourceType{Namespace: namespace, Types: []string{"virtualNetworks", "subnets"}, APIVersion: APIVersion}
	PeeringType  = core.ResourceType{Namespace: namespace, Types: []string{"virtualNetworks", "virtualNetworkPeerings"}, APIVersion: APIVersion}
	PublicIPType = core.ResourceType{Namespace: namespace, Types: []string{"publicIPAddresses"}, APIVersion: PublicIPAPIVersion}
	NICType      = core.ResourceType{Namespace: namespace, Types: []string{"networkInterfaces"}, APIVersion: APIVersion}
)

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	return []*core.Group{
		{Name: "network", Short: "Manage Azure Network resources."},
		vnetGroup(),
		subnetGroup(),
		peeringGroup(),
		publicIPGroup(),
		nicGroup(),
		nicIPConfigGroup(),
	}
}

// vnetNameArg is --vnet-name of the child groups.
func vnetNameArg() *core.Arg {
	return &core.Arg{Dest: "vnet_name", Options: []string{"--vnet-name"}, Help: "The virtual network (VNet) name."}
}

// shaped wraps a standard command so its output is rendered by out.
func shaped(cmd *core.Command, out func(any) any) *core.Command {
	run := cmd.Run
	cmd.Run = func(c *core.Context) (any, error) {
		v, err := run(c)
		if err != nil || v == nil {
			return v, err
		}
		return out(v), nil
	}
	return cmd
}

func aazOut(schema string) func(any) any {
	return func(v any) any { return aazOutput(schema, v) }
}

func sdkOut(model string) func(any) any {
	return func(v any) any { return sdkOutput(model, v) }
}

// showWithExpand is the standard show command plus az's --expand, sent
// as the $expand query parameter of the GET.
func showWithExpand(r *core.Resource, short string, out func(any) any) *core.Command {
	cmd := r.ShowCommand(short)
	cmd.Args = append(cmd.Args, &core.Arg{Dest: "expand", Options: []string{"--expand"},
		Help: "Expands referenced resources. Default value is None."})
	cmd.Run = func(c *core.Context) (any, error) {
		client, err := c.ARM()
		if err != nil {
			return nil, err
		}
		p, err := r.Path(c)
		if err != nil {
			return nil, err
		}
		var q map[string][]string
		if e := c.String("expand"); e != "" {
			q = map[string][]string{"$expand": {e}}
		}
		obj, err := client.GetObject(c.Context(), p, r.Type.APIVersion, q)
		if err != nil {
			return nil, err
		}
		return out(obj), nil
	}
	return cmd
}

// isResourceID mirrors msrestazure's is_valid_resource_id: an ID naming a
// resource (not a bare subscription or resource group).
func isResourceID(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	id, err := arm.ParseResourceID(s)
	return err == nil && id.ResourceGroup != "" && len(id.Types) > 0
}

// resourceIDOf is az's AAZResourceIdArgFormat / resource_id(): a resource
// ID is kept, a name becomes an ID of typ in the command's subscription and
// resource group.
func resourceIDOf(c *core.Context, value, typ string) (string, error) {
	if isResourceID(value) {
		return value, nil
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return arm.ResourcePath(sub, c.String("resource_group"), namespace, typ, value), nil
}

// subResource is {"id": id}.
func subResource(id string) map[string]any { return map[string]any{"id": id} }

// boolArg is an aaz boolean argument (alone = true, or an explicit value).
func boolArg(dest, option, help string) *core.Arg {
	return &core.Arg{Dest: dest, Options: []string{option}, Kind: core.TriState, Help: help}
}

// updateResource runs az's generic update on a resource: GET, apply the
// command's own arguments (custom) and then --set/--add/--remove to view
// (the flattened model, as az shows it), PUT the unflattened body (waiting
// unless --no-wait) and print the result with out.
func updateResource(c *core.Context, r *core.Resource, view *arm.Shape, custom func(c *core.Context, obj map[string]any) error, out func(any) any) (any, error) {
	raw, err := r.Get(c)
	if err != nil {
		return nil, err
	}
	flat := deepCopyMap(raw)
	view.Apply(flat)
	if custom != nil {
		if err := custom(c, flat); err != nil {
			return nil, err
		}
	}
	if err := core.ApplyGenericUpdate(c, flat); err != nil {
		return nil, err
	}
	body := view.Unflatten(flat)
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), p, r.Type.APIVersion, body, c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	return out(res), nil
}

func deepCopyMap(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("network: copy of a decoded JSON object failed: %v", err))
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("network: copy of a decoded JSON object failed: %v", err))
	}
	return out
}

// ensureMap returns obj[key] as an object, creating it when absent or null.
func ensureMap(obj map[string]any, key string) map[string]any {
	if m, ok := obj[key].(map[string]any); ok {
		return m
	}
	m := map[string]any{}
	obj[key] = m
	return m
}

// listOfStrings converts CLI values to a JSON list.
func listOfStrings(vals []string) []any {
	out := make([]any, 0, len(vals))
	for _, v := range vals {
		out = append(out, v)
	}
	return out
}
