package arm

import (
	"fmt"
	"net/url"
	"strings"
)

// ID is a parsed ARM resource ID (or collection path).
//
//	/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{t0}/{n0}/{t1}/{n1}...
//
// Extension resources keep the resource they extend in Scope:
//
//	{scope}/providers/Microsoft.Authorization/roleAssignments/{name}
type ID struct {
	Subscription  string
	ResourceGroup string
	// Scope is the part before the last /providers/ segment ("" for tenant
	// level, "/subscriptions/s", "/subscriptions/s/resourceGroups/rg", or a
	// full resource ID for extension resources).
	Scope     string
	Namespace string
	Types     []string
	Names     []string
}

// ParseID parses an ARM path. Collection paths (one name fewer than types)
// are accepted; IsCollection reports them.
func ParseID(path string) (ID, error) {
	p := strings.Trim(path, "/")
	if p == "" {
		return ID{}, fmt.Errorf("empty resource id")
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return ID{}, fmt.Errorf("invalid path segment %q: %w", s, err)
		}
		if u == "" {
			return ID{}, fmt.Errorf("resource id %q has an empty segment", path)
		}
		segs[i] = u
	}
	last := -1
	for i := len(segs) - 2; i >= 0; i-- {
		if strings.EqualFold(segs[i], "providers") {
			last = i
			break
		}
	}
	var id ID
	scopeSegs := segs
	if last >= 0 {
		scopeSegs = segs[:last]
	}
	if len(scopeSegs) >= 2 && strings.EqualFold(scopeSegs[0], "subscriptions") {
		id.Subscription = scopeSegs[1]
		if len(scopeSegs) >= 4 && strings.EqualFold(scopeSegs[2], "resourceGroups") {
			id.ResourceGroup = scopeSegs[3]
		}
	}
	if last < 0 {
		// scope-only path: /subscriptions/s or /subscriptions/s/resourceGroups/rg
		switch {
		case len(segs) == 2 && id.Subscription != "":
		case len(segs) == 4 && id.ResourceGroup != "":
		case len(segs) == 3 && id.Subscription != "" && strings.EqualFold(segs[2], "resourceGroups"):
		default:
			return ID{}, fmt.Errorf("resource id %q is not an ARM resource id", path)
		}
		id.Scope = canonicalScope(segs)
		return id, nil
	}
	id.Scope = canonicalScope(scopeSegs)
	rest := segs[last+1:]
	id.Namespace = rest[0]
	rest = rest[1:]
	if len(rest) == 0 {
		return ID{}, fmt.Errorf("resource id %q has no resource type", path)
	}
	for i := 0; i < len(rest); i += 2 {
		id.Types = append(id.Types, rest[i])
		if i+1 < len(rest) {
			id.Names = append(id.Names, rest[i+1])
		}
	}
	return id, nil
}

func canonicalScope(segs []string) string {
	if len(segs) == 0 {
		return ""
	}
	out := make([]string, len(segs))
	copy(out, segs)
	if strings.EqualFold(out[0], "subscriptions") {
		out[0] = "subscriptions"
		if len(out) >= 3 && strings.EqualFold(out[2], "resourceGroups") {
			out[2] = "resourceGroups"
		}
	}
	return "/" + strings.Join(out, "/")
}

// IsCollection reports whether the ID names a collection (list) rather
// than one resource.
func (id ID) IsCollection() bool { return len(id.Names) < len(id.Types) }

// IsScopeOnly reports whether the ID is only a subscription or resource
// group path.
func (id ID) IsScopeOnly() bool { return id.Namespace == "" }

// Type returns the full type, e.g. "Microsoft.Network/virtualNetworks/subnets".
func (id ID) Type() string {
	if id.Namespace == "" {
		return ""
	}
	return id.Namespace + "/" + strings.Join(id.Types, "/")
}

// Name returns the last name segment.
func (id ID) Name() string {
	if len(id.Names) == 0 {
		if id.ResourceGroup != "" && id.Namespace == "" {
			return id.ResourceGroup
		}
		return ""
	}
	return id.Names[len(id.Names)-1]
}

// String renders the ID.
func (id ID) String() string {
	if id.Namespace == "" {
		return id.Scope
	}
	var b strings.Builder
	b.WriteString(id.Scope)
	b.WriteString("/providers/")
	b.WriteString(id.Namespace)
	for i, t := range id.Types {
		b.WriteByte('/')
		b.WriteString(t)
		if i < len(id.Names) {
			b.WriteByte('/')
			b.WriteString(id.Names[i])
		}
	}
	return b.String()
}

// Parent returns the parent resource of a child resource (or of a
// collection of children), and false for a top-level resource.
func (id ID) Parent() (ID, bool) {
	n := len(id.Types)
	if n <= 1 {
		return ID{}, false
	}
	p := id
	p.Types = append([]string(nil), id.Types[:n-1]...)
	p.Names = append([]string(nil), id.Names[:n-1]...)
	return p, true
}

// Child returns the ID of a child resource.
func (id ID) Child(typ, name string) ID {
	c := id
	c.Types = append(append([]string(nil), id.Types...), typ)
	c.Names = append(append([]string(nil), id.Names...), name)
	return c
}

// ResourceGroupID returns "/subscriptions/{s}/resourceGroups/{rg}".
func (id ID) ResourceGroupID() string {
	return "/subscriptions/" + id.Subscription + "/resourceGroups/" + id.ResourceGroup
}

// Key is the store key of the resource (lower-cased ID under "/r").
func (id ID) Key() string { return KeyOf(id.String()) }

// KeyOf returns the store key for a resource ID string.
func KeyOf(resourceID string) string { return "/r" + strings.ToLower(resourceID) }

// SameID compares two resource IDs as ARM does (case-insensitively).
func SameID(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}
