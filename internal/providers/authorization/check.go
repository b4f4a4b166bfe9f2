package authorization

import (
	"regexp"
	"strings"
	"sync"
)

// Assignment is the part of a role assignment the access check needs.
type Assignment struct {
	// Scope is where the role is assigned: "/", "/subscriptions/{s}",
	// ".../resourceGroups/{rg}" or a resource ID.
	Scope string
	// PrincipalID is the object ID of the user, group or service principal.
	PrincipalID string
	// RoleDefinitionID identifies the role, normally in the form
	// "/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}";
	// it is passed to the lookup function unchanged.
	RoleDefinitionID string
}

// Allowed reports whether principalID may perform action on scope, given
// the role assignments and a lookup from role definition ID to definition
// (nil means BuiltinLookup). dataAction selects whether action is a
// data-plane operation (matched against dataActions/notDataActions) or a
// control-plane one (actions/notActions).
//
// The semantics follow Azure RBAC without deny assignments or conditions:
//   - an assignment applies when its principal matches (case-insensitive) and
//     its scope is the target scope or an ancestor of it (IsAncestorScope);
//   - a permission block grants the action when one of its actions patterns
//     matches and none of the same block's notActions patterns does
//     (ActionMatches); notActions never subtract from another block or from
//     another assignment;
//   - the result is the union over all applicable assignments and blocks.
//
// Assignments whose role definition the lookup cannot resolve grant nothing.
// An empty action or scope is never allowed.
func Allowed(assignments []Assignment, lookup func(roleDefinitionID string) (RoleDefinition, bool), principalID, action, scope string, dataAction bool) bool {
	if action == "" || scope == "" || principalID == "" {
		return false
	}
	if lookup == nil {
		lookup = BuiltinLookup
	}
	for _, a := range assignments {
		if !strings.EqualFold(a.PrincipalID, principalID) || !IsAncestorScope(a.Scope, scope) {
			continue
		}
		def, ok := lookup(a.RoleDefinitionID)
		if !ok {
			continue
		}
		for _, p := range def.Properties.Permissions {
			allow, deny := p.Actions, p.NotActions
			if dataAction {
				allow, deny = p.DataActions, p.NotDataActions
			}
			if matchesAny(allow, action) && !matchesAny(deny, action) {
				return true
			}
		}
	}
	return false
}

// IsAncestorScope reports whether scope a covers scope b: a is b itself or
// an ancestor of b. Comparison is case-insensitive and on whole path
// segments, so "/subscriptions/s" covers "/subscriptions/s/resourceGroups/rg"
// but not "/subscriptions/s2". The root scope "/" covers every scope.
// Trailing slashes are ignored. Management-group hierarchy is not modelled:
// a management group scope covers only IDs beneath it in the path.
func IsAncestorScope(a, b string) bool {
	na, nb := normalizeScope(a), normalizeScope(b)
	if na == "" || nb == "" {
		return false
	}
	if na == "/" {
		return true
	}
	return nb == na || strings.HasPrefix(nb, na+"/")
}

func normalizeScope(s string) string {
	if s == "" || s[0] != '/' {
		return ""
	}
	s = strings.TrimRight(s, "/")
	if s == "" {
		return "/"
	}
	return strings.ToLower(s)
}

// ScopeOf returns the scope that contains the resource resourceID, keeping
// the input's casing:
//
//	{scope}/providers/{namespace}/{type}/{name}[/{type}/{name}...]  ->  {scope}
//	/subscriptions/{s}/resourceGroups/{rg}                         ->  /subscriptions/{s}
//	/subscriptions/{s}                                             ->  /
//
// For an extension resource, such as a role assignment
// "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", it is
// the scope the extension is attached to; for a child resource (a subnet) it
// is the scope of its top-level parent (the resource group). The root "/"
// returns "/". An ID not starting with "/" returns "".
func ScopeOf(resourceID string) string {
	if resourceID == "" || resourceID[0] != '/' {
		return ""
	}
	trimmed := strings.Trim(resourceID, "/")
	if trimmed == "" {
		return "/"
	}
	segs := strings.Split(trimmed, "/")
	// Segments come as key/value pairs; "providers" is a key whose value is
	// the namespace, after which type/name pairs follow. Find the last
	// "providers" key.
	last := -1
	for i := 0; i < len(segs); i += 2 {
		if strings.EqualFold(segs[i], "providers") {
			last = i
		}
	}
	end := len(segs) - 2
	if last >= 0 {
		end = last
	}
	if end <= 0 {
		return "/"
	}
	return "/" + strings.Join(segs[:end], "/")
}

// ActionMatches reports whether an operation name such as
// "Microsoft.Network/virtualNetworks/subnets/join/action" matches a
// permission pattern from a role definition. Matching is case-insensitive.
// "*" matches any run of characters, including "/", so "*" matches
// everything, "Microsoft.Network/*" every Microsoft.Network operation and
// "*/read" every read. A "*" that fills a whole path segment ("a/*/b") may
// also stand for no segment at all, so
// "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action" matches
// "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", as the
// Managed Identity Operator role requires.
func ActionMatches(pattern, action string) bool {
	if pattern == "" || action == "" {
		return false
	}
	return compilePattern(pattern).MatchString(strings.ToLower(action))
}

func matchesAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if ActionMatches(p, action) {
			return true
		}
	}
	return false
}

var patternCache sync.Map // lower-cased pattern -> *regexp.Regexp

func compilePattern(pattern string) *regexp.Regexp {
	p := strings.ToLower(pattern)
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	var b strings.Builder
	b.WriteString(`^`)
	lit := 0 // start of the pending literal run
	for i := 0; i < len(p); i++ {
		if p[i] != '*' {
			continue
		}
		b.WriteString(regexp.QuoteMeta(p[lit:i]))
		if i > 0 && p[i-1] == '/' && i+1 < len(p) && p[i+1] == '/' {
			// "/*/": one or more whole segments, or none.
			b.WriteString(`(?:.*/)?`)
			i++ // the following "/" is part of the group
		} else {
			b.WriteString(`.*`)
		}
		lit = i + 1
	}
	b.WriteString(regexp.QuoteMeta(p[lit:]))
	b.WriteString(`$`)
	re := regexp.MustCompile(b.String())
	actual, _ := patternCache.LoadOrStore(p, re)
	return actual.(*regexp.Regexp)
}
