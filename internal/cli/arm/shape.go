package arm

// Shape says how azure-cli renders an ARM body of one resource type. az prints
// Python SDK model objects, not raw JSON: most models flatten "properties"
// into the top level (msrest x-ms-client-flatten) and every declared model
// attribute appears, as null when the service did not send it. Shape
// reproduces both on a decoded JSON value so that `--query clientId` or
// `-o tsv` behave as with the real az.
type Shape struct {
	// Flatten lifts every key of "properties" to the top level and drops
	// "properties". Keys already present at the top level win.
	Flatten bool
	// Fields are the model's attribute names (after flattening); each is
	// added with a null value when absent.
	Fields []string
	// Nested applies a shape to the value under a key (after flattening):
	// an object, or each element of a list.
	Nested map[string]*Shape
	// Rename maps wire names inside "properties" to the model's names
	// (the REST spec's x-ms-client-name) when flattening, e.g. a role
	// definition's properties.type -> roleType.
	Rename map[string]string
	// Strict drops keys that are not in Fields, as az does for properties
	// its SDK model does not know (use it only with a complete Fields list).
	Strict bool
	// TopLevel names keys that stay at the top level of the ARM body when
	// Unflatten rebuilds it, besides the standard envelope keys (id, name,
	// type, location, tags, etag, sku, identity, zones, extendedLocation,
	// systemData, kind, managedBy, plan).
	TopLevel []string
}

// Apply reshapes v in place when it is an object, or each element when it is
// a list, and returns it.
func (s *Shape) Apply(v any) any {
	if s == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		s.applyObject(t)
	case []any:
		for _, e := range t {
			s.Apply(e)
		}
	}
	return v
}

func (s *Shape) applyObject(m map[string]any) {
	if s.Flatten {
		if props, ok := m["properties"].(map[string]any); ok {
			delete(m, "properties")
			for k, v := range props {
				if r, ok := s.Rename[k]; ok {
					k = r
				}
				if _, exists := m[k]; !exists {
					m[k] = v
				}
			}
		} else if _, ok := m["properties"]; ok && m["properties"] == nil {
			delete(m, "properties")
		}
	}
	for _, f := range s.Fields {
		if _, ok := m[f]; !ok {
			m[f] = nil
		}
	}
	if s.Strict {
		keep := make(map[string]bool, len(s.Fields))
		for _, f := range s.Fields {
			keep[f] = true
		}
		for k := range m {
			if !keep[k] {
				delete(m, k)
			}
		}
	}
	for k, ns := range s.Nested {
		if v, ok := m[k]; ok {
			ns.Apply(v)
		}
	}
}

// Loose returns a copy of the shape (and its nested shapes) without Strict,
// for views that are written back to the service and so must keep every
// property.
func (s *Shape) Loose() *Shape {
	if s == nil {
		return nil
	}
	cp := *s
	cp.Strict = false
	if s.Nested != nil {
		cp.Nested = make(map[string]*Shape, len(s.Nested))
		for k, n := range s.Nested {
			cp.Nested[k] = n.Loose()
		}
	}
	return &cp
}
