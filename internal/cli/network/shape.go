package network

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// az 2.45 prints network resources in two ways, depending on how each
// command is implemented:
//
//   - aaz commands (vnet, vnet subnet, vnet peering, public-ip): the
//     response is read through the command's response schema, which drops
//     properties the schema does not know and properties that are null, and
//     lifts every "client_flatten" object (each "properties") into its
//     parent. Keys keep their wire spelling (publicIPAllocationMethod).
//   - SDK commands (nic): the response becomes a Python SDK model; az prints
//     every model attribute (null when absent) under the camelCase of its
//     Python name, so wire names such as enableIPForwarding print as
//     enableIpForwarding, and references such as an IP configuration's
//     subnet print as a full Subnet model whose only non-null field is id.
//
// aaz_schemas.json holds the response schemas of az 2.45's aaz commands
// (api-version 2022-01-01; public IP addresses 2022-05-01), minimised into
// named types: a type is an object {key: null | type | [type, 1]} (1 =
// client_flatten), a list {"[]": type} or a dict {"{}": type}; null is a
// scalar. sdk_models.json holds the attribute maps of the azure-mgmt-network
// models the nic commands print: [outputKey, wireKeyPath, model, isList].

//go:embed aaz_schemas.json
var aazSchemaJSON []byte

//go:embed sdk_models.json
var sdkModelJSON []byte

// aazNode is one schema type: an object (fields), a list or a dict (elem).
type aazNode struct {
	fields map[string]aazField
	list   bool
	dict   bool
	elem   *aazNode
}

type aazField struct {
	node    *aazNode // nil: a scalar (or free-form value)
	flatten bool
}

// aazRoots are the response schemas by name: vnet, subnet, peering, publicip.
var aazRoots = mustLoadAAZ()

func mustLoadAAZ() map[string]*aazNode {
	var doc struct {
		Roots map[string]string                     `json:"roots"`
		Types map[string]map[string]json.RawMessage `json:"types"`
	}
	if err := json.Unmarshal(aazSchemaJSON, &doc); err != nil {
		panic(fmt.Sprintf("network: bad aaz_schemas.json: %v", err))
	}
	nodes := make(map[string]*aazNode, len(doc.Types))
	for name := range doc.Types {
		nodes[name] = &aazNode{}
	}
	ref := func(raw json.RawMessage) (*aazNode, bool) {
		var name *string
		if err := json.Unmarshal(raw, &name); err == nil {
			if name == nil {
				return nil, false
			}
			return nodes[*name], false
		}
		var pair []json.RawMessage
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			panic(fmt.Sprintf("network: bad schema reference %s", raw))
		}
		var n string
		if err := json.Unmarshal(pair[0], &n); err != nil {
			panic(fmt.Sprintf("network: bad schema reference %s", raw))
		}
		return nodes[n], true
	}
	for name, t := range doc.Types {
		node := nodes[name]
		if raw, ok := t["[]"]; ok && len(t) == 1 {
			node.list = true
			node.elem, _ = ref(raw)
			continue
		}
		if raw, ok := t["{}"]; ok && len(t) == 1 {
			node.dict = true
			node.elem, _ = ref(raw)
			continue
		}
		node.fields = make(map[string]aazField, len(t))
		for k, raw := range t {
			n, flat := ref(raw)
			node.fields[k] = aazField{node: n, flatten: flat}
		}
	}
	out := make(map[string]*aazNode, len(doc.Roots))
	for k, v := range doc.Roots {
		out[k] = nodes[v]
	}
	return out
}

// aazOutput renders a decoded ARM body (or a list of them) the way an aaz
// command of az 2.45 prints it with the named response schema.
func aazOutput(schema string, v any) any {
	root := aazRoots[schema]
	if l, ok := v.([]any); ok {
		out := make([]any, 0, len(l))
		for _, e := range l {
			out = append(out, root.apply(e))
		}
		return out
	}
	return root.apply(v)
}

func (n *aazNode) apply(v any) any {
	if n == nil || v == nil {
		return v
	}
	switch {
	case n.list:
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, 0, len(l))
		for _, e := range l {
			out = append(out, n.elem.apply(e))
		}
		return out
	case n.dict:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			if e != nil {
				out[k] = n.elem.apply(e)
			}
		}
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, e := range m {
		f, known := n.fields[k]
		if !known || e == nil {
			continue
		}
		sub := f.node.apply(e)
		if f.flatten {
			if sm, ok := sub.(map[string]any); ok {
				for sk, sv := range sm {
					if _, dup := out[sk]; !dup {
						out[sk] = sv
					}
				}
				continue
			}
		}
		if _, dup := out[k]; !dup {
			out[k] = sub
		}
	}
	return out
}

// sdkAttr is one attribute of an SDK model.
type sdkAttr struct {
	out   string   // printed key (camelCase of the Python attribute)
	path  []string // wire path, e.g. properties, ipConfigurations
	model string   // nested model name, "" for plain values
	list  bool
}

var sdkModels = mustLoadSDK()

func mustLoadSDK() map[string][]sdkAttr {
	var doc map[string][][]any
	if err := json.Unmarshal(sdkModelJSON, &doc); err != nil {
		panic(fmt.Sprintf("network: bad sdk_models.json: %v", err))
	}
	out := make(map[string][]sdkAttr, len(doc))
	for name, attrs := range doc {
		for _, a := range attrs {
			if len(a) != 4 {
				panic(fmt.Sprintf("network: bad attribute of %s: %v", name, a))
			}
			out0, _ := a[0].(string)
			key, _ := a[1].(string)
			model, _ := a[2].(string)
			list, _ := a[3].(bool)
			out[name] = append(out[name], sdkAttr{out: out0, path: strings.Split(key, "."), model: model, list: list})
		}
	}
	return out
}

// SDKOutput renders a decoded ARM body (or a list of them) as az 2.45
// prints the named azure-mgmt-network model (for command packages outside
// this one, e.g. private link services and endpoints).
func SDKOutput(model string, v any) any { return sdkOutput(model, v) }

// sdkOutput renders a decoded ARM body (or a list of them) as az 2.45
// prints the named azure-mgmt-network model.
func sdkOutput(model string, v any) any {
	if l, ok := v.([]any); ok {
		out := make([]any, 0, len(l))
		for _, e := range l {
			out = append(out, sdkOutput(model, e))
		}
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	attrs, ok := sdkModels[model]
	if !ok {
		return v
	}
	out := make(map[string]any, len(attrs))
	for _, a := range attrs {
		val := lookupPath(m, a.path)
		if val != nil && a.model != "" {
			if a.list {
				if l, ok := val.([]any); ok {
					items := make([]any, 0, len(l))
					for _, e := range l {
						items = append(items, sdkOutput(a.model, e))
					}
					val = items
				}
			} else {
				val = sdkOutput(a.model, val)
			}
		}
		out[a.out] = val
	}
	return out
}

func lookupPath(m map[string]any, path []string) any {
	var cur any = m
	for _, p := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[p]
	}
	return cur
}
