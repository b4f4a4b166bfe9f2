package arm

import (
	"fmt"
	"strconv"
	"strings"
)

// ResourceID is a parsed ARM resource ID:
//
//	/subscriptions/{sub}[/resourceGroups/{rg}][/providers/{ns}/{type}/{name}[/{childType}/{childName}]...]
//
// Segment names ("subscriptions", "resourceGroups", "providers") match
// case-insensitively, as in ARM.
type ResourceID struct {
	Subscription  string
	ResourceGroup string
	// Namespace is the top-level provider namespace, e.g. Microsoft.Network.
	Namespace string
	// Types and Names hold the resource type chain and the matching names:
	// Types[0]/Names[0] is the top-level resource, the rest are children.
	Types []string
	Names []string
	// ChildNamespaces[i] is set when child i (i >= 1) is an extension
	// resource introduced by its own /providers/{ns} segment; "" otherwise.
	ChildNamespaces []string
}

// ParseResourceID parses an ARM resource ID (subscription, resource group or
// resource). It accepts what azure-cli's parse_resource_id accepts.
func ParseResourceID(id string) (ResourceID, error) {
	var r ResourceID
	bad := fmt.Errorf("invalid resource ID %q", id)
	if !strings.HasPrefix(id, "/") {
		return r, bad
	}
	segs := strings.Split(strings.TrimPrefix(id, "/"), "/")
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") || segs[1] == "" {
		return r, bad
	}
	r.Subscription = segs[1]
	segs = segs[2:]
	if len(segs) >= 2 && strings.EqualFold(segs[0], "resourceGroups") {
		if segs[1] == "" {
			return r, bad
		}
		r.ResourceGroup = segs[1]
		segs = segs[2:]
	}
	if len(segs) == 0 {
		return r, nil
	}
	if len(segs) < 4 || !strings.EqualFold(segs[0], "providers") {
		return r, bad
	}
	r.Namespace = segs[1]
	segs = segs[2:]
	childNS := ""
	for len(segs) > 0 {
		if strings.EqualFold(segs[0], "providers") && len(r.Types) > 0 {
			if len(segs) < 2 {
				return r, bad
			}
			childNS = segs[1]
			segs = segs[2:]
			continue
		}
		if len(segs) < 2 || segs[0] == "" || segs[1] == "" {
			return r, bad
		}
		r.Types = append(r.Types, segs[0])
		r.Names = append(r.Names, segs[1])
		r.ChildNamespaces = append(r.ChildNamespaces, childNS)
		childNS = ""
		segs = segs[2:]
	}
	if childNS != "" {
		return r, bad
	}
	return r, nil
}

// IsValidResourceID reports whether id parses and is in canonical form
// (no trailing slash, no empty segments).
func IsValidResourceID(id string) bool {
	r, err := ParseResourceID(id)
	return err == nil && strings.EqualFold(r.String(), id)
}

// String renders the ID canonically (with "resourceGroups").
func (r ResourceID) String() string {
	var b strings.Builder
	b.WriteString("/subscriptions/")
	b.WriteString(r.Subscription)
	if r.ResourceGroup != "" {
		b.WriteString("/resourceGroups/")
		b.WriteString(r.ResourceGroup)
	}
	if r.Namespace != "" && len(r.Types) > 0 {
		b.WriteString("/providers/")
		b.WriteString(r.Namespace)
		for i := range r.Types {
			if i < len(r.ChildNamespaces) && r.ChildNamespaces[i] != "" {
				b.WriteString("/providers/")
				b.WriteString(r.ChildNamespaces[i])
			}
			b.WriteString("/")
			b.WriteString(r.Types[i])
			b.WriteString("/")
			b.WriteString(r.Names[i])
		}
	}
	return b.String()
}

// Name is the leaf resource name ("" for a subscription or resource group ID).
func (r ResourceID) Name() string {
	if len(r.Names) == 0 {
		return ""
	}
	return r.Names[len(r.Names)-1]
}

// FullType is "{Namespace}/{type}[/{childType}...]", e.g.
// "Microsoft.Network/virtualNetworks/subnets".
func (r ResourceID) FullType() string {
	if r.Namespace == "" {
		return ""
	}
	return r.Namespace + "/" + strings.Join(r.Types, "/")
}

// Parts returns the ID's components under azure-cli's parse_resource_id keys:
// subscription, resource_group, namespace, type, name, and for children
// child_type_N, child_name_N (and child_namespace_N), plus last_child_num.
// These are the keys a command argument's IDPart refers to.
func (r ResourceID) Parts() map[string]string {
	p := map[string]string{"subscription": r.Subscription}
	if r.ResourceGroup != "" {
		p["resource_group"] = r.ResourceGroup
	}
	if r.Namespace != "" && len(r.Types) > 0 {
		p["namespace"] = r.Namespace
		p["type"] = r.Types[0]
		p["name"] = r.Names[0]
		for i := 1; i < len(r.Types); i++ {
			n := strconv.Itoa(i)
			p["child_type_"+n] = r.Types[i]
			p["child_name_"+n] = r.Names[i]
			if i < len(r.ChildNamespaces) && r.ChildNamespaces[i] != "" {
				p["child_namespace_"+n] = r.ChildNamespaces[i]
			}
		}
		if len(r.Types) > 1 {
			p["last_child_num"] = strconv.Itoa(len(r.Types) - 1)
		}
	}
	return p
}

// SubscriptionPath is "/subscriptions/{sub}".
func SubscriptionPath(sub string) string { return "/subscriptions/" + sub }

// ResourceGroupPath is "/subscriptions/{sub}/resourceGroups/{rg}".
func ResourceGroupPath(sub, rg string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg
}

// ResourcePath builds a resource path under a resource group:
// "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{t0}/{n0}/{t1}/{n1}...".
// typesAndNames alternate type and name; an odd count leaves a trailing
// collection type (for list paths).
func ResourcePath(sub, rg, namespace string, typesAndNames ...string) string {
	var b strings.Builder
	b.WriteString(ResourceGroupPath(sub, rg))
	b.WriteString("/providers/")
	b.WriteString(namespace)
	for _, s := range typesAndNames {
		b.WriteString("/")
		b.WriteString(s)
	}
	return b.String()
}
