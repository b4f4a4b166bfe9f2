package arm

// envelopeKeys are the top-level keys of an ARM resource body; everything
// else a flattened model holds belongs under "properties".
var envelopeKeys = map[string]bool{
	"id": true, "name": true, "type": true, "location": true, "tags": true, "etag": true,
	"sku": true, "identity": true, "zones": true, "extendedLocation": true, "systemData": true,
	"kind": true, "managedBy": true, "plan": true,
}

// Unflatten turns an object rendered by Apply back into an ARM request
// body: with Flatten, non-envelope keys (see TopLevel) move under
// "properties"; keys whose value is null are dropped, and so is the
// "resourceGroup" key az adds to output. Nested shapes are unflattened too.
// It returns a new object; obj is not modified.
func (s *Shape) Unflatten(obj map[string]any) map[string]any {
	out := map[string]any{}
	var props map[string]any
	if s != nil && s.Flatten {
		props = map[string]any{}
	}
	for k, v := range obj {
		if v == nil || k == "resourceGroup" {
			continue
		}
		if s != nil {
			if ns, ok := s.Nested[k]; ok {
				v = ns.unflattenValue(v)
			}
		}
		if props != nil && !envelopeKeys[k] && !s.isTopLevel(k) {
			props[s.wireName(k)] = v
			continue
		}
		out[k] = v
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	return out
}

func (s *Shape) unflattenValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return s.Unflatten(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = s.unflattenValue(e)
		}
		return out
	}
	return v
}

func (s *Shape) isTopLevel(k string) bool {
	for _, t := range s.TopLevel {
		if t == k {
			return true
		}
	}
	return false
}

// wireName reverses Rename.
func (s *Shape) wireName(k string) string {
	for wire, model := range s.Rename {
		if model == k {
			return wire
		}
	}
	return k
}
