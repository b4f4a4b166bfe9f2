package core

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
)

// Destinations of the generic update arguments.
const (
	DestSet         = "properties_to_set"
	DestAdd         = "properties_to_add"
	DestRemove      = "properties_to_remove"
	DestForceString = "force_string"
)

// UpdateArgs are az's generic update arguments: --set, --add, --remove,
// --force-string. Add them to an "update" command and call Updater.Run.
func UpdateArgs() []*Arg {
	const g = "Generic Update Arguments"
	return []*Arg{
		{Dest: DestSet, Options: []string{"--set"}, Kind: List, Repeat: true, Group: g,
			Help: "Update an object by specifying a property path and value to set.  Example: --set property1.property2=<value>."},
		{Dest: DestAdd, Options: []string{"--add"}, Kind: List, Repeat: true, Group: g,
			Help: "Add an object to a list of objects by specifying a path and key value pairs.  Example: --add property.listProperty <key=value, string or JSON string>."},
		{Dest: DestRemove, Options: []string{"--remove"}, Kind: List, Repeat: true, Group: g,
			Help: "Remove a property or an element from a list.  Example: --remove property.list <indexToRemove> OR --remove propertyToRemove."},
		{Dest: DestForceString, Options: []string{"--force-string"}, Kind: Flag, Group: g,
			Help: "When using 'set' or 'add', preserve string literals instead of attempting to convert to JSON."},
	}
}

// Updater implements az's generic update (GET, modify, PUT) for a resource.
type Updater struct {
	// Get reads the raw ARM body.
	Get func(c *Context) (map[string]any, error)
	// Put writes the raw ARM body and returns the service's answer.
	Put func(c *Context, body map[string]any) (any, error)
	// Shape renders the body the way az's model does; --set paths refer
	// to that rendering (flattened properties). Properties unknown to a
	// Strict shape are kept in the PUT body.
	Shape *arm.Shape
	// Custom applies the command's own flags (e.g. --tags) to the shaped
	// object before --set/--add/--remove.
	Custom func(c *Context, obj map[string]any) error
}

// Run performs the update and returns the shaped result.
func (u Updater) Run(c *Context) (any, error) {
	raw, err := u.Get(c)
	if err != nil {
		return nil, err
	}
	view, _ := deepCopy(raw).(map[string]any)
	u.Shape.Loose().Apply(view)
	if u.Custom != nil {
		if err := u.Custom(c, view); err != nil {
			return nil, err
		}
	}
	if err := ApplyGenericUpdate(c, view); err != nil {
		return nil, err
	}
	body := u.Shape.Unflatten(view)
	res, err := u.Put(c, body)
	if err != nil {
		return nil, err
	}
	return u.Shape.Apply(res), nil
}

// ApplyGenericUpdate applies --set/--add/--remove to obj in command-line order.
func ApplyGenericUpdate(c *Context, obj map[string]any) error {
	force := c.Bool(DestForceString)
	for _, o := range c.Occurrences(DestSet, DestAdd, DestRemove) {
		var err error
		switch o.Dest {
		case DestSet:
			for _, expr := range o.Values {
				if err = SetProperty(obj, expr, force); err != nil {
					break
				}
			}
		case DestAdd:
			err = AddProperty(obj, o.Values, force)
		case DestRemove:
			err = RemoveProperty(obj, o.Values)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var indexOrFilter = regexp.MustCompile(`^\[(.*)\]$`)

// pathSegments splits "a.b[0].c" into "a", "b", "[0]", "c".
func pathSegments(path string) []string {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	depth := 0
	for _, r := range path {
		switch {
		case r == '[' && depth == 0:
			flush()
			depth++
			cur.WriteRune(r)
		case r == ']' && depth == 1:
			cur.WriteRune(r)
			depth--
			flush()
		case r == '.' && depth == 0:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return segs
}

// step moves one segment down; create makes missing objects.
func step(cur any, seg string, create bool) (any, error) {
	if m := indexOrFilter.FindStringSubmatch(seg); m != nil {
		list, ok := cur.([]any)
		if !ok {
			return nil, Errorf("'%s' does not index a list", seg)
		}
		if n, err := strconv.Atoi(m[1]); err == nil {
			if n < 0 || n >= len(list) {
				return nil, Errorf("index %d doesn't exist on the list", n)
			}
			return list[n], nil
		}
		k, v, ok := strings.Cut(m[1], "=")
		if !ok {
			return nil, Errorf("invalid index or filter '%s'", seg)
		}
		for _, e := range list {
			if em, ok := e.(map[string]any); ok {
				if s, ok := em[lookupKey(em, k)].(string); ok && s == v {
					return em, nil
				}
			}
		}
		return nil, Errorf("item with value '%s' doesn't exist for key '%s'", v, k)
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		return nil, Errorf("Couldn't find '%s'", seg)
	}
	key := lookupKey(obj, seg)
	next, exists := obj[key]
	if (!exists || next == nil) && create {
		next = map[string]any{}
		obj[key] = next
	}
	if !exists && !create {
		return nil, Errorf("Couldn't find '%s'. Available options: %s", seg, strings.Join(sortedKeys(obj), ", "))
	}
	return next, nil
}

// lookupKey returns the existing key matching name (exactly, else
// case-insensitively), or name itself.
func lookupKey(obj map[string]any, name string) string {
	if _, ok := obj[name]; ok {
		return name
	}
	for k := range obj {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func parseValue(s string, force bool) any {
	if force {
		return s
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
}

// SetProperty applies one "path=value" of --set.
func SetProperty(obj map[string]any, expr string, force bool) error {
	key, raw, ok := splitKeyValue(expr)
	if !ok || strings.TrimSpace(key) == "" {
		return Usagef("usage error: Empty key in --set. Correct syntax: --set KEY=VALUE [KEY=VALUE ...]")
	}
	segs := pathSegments(key)
	var cur any = obj
	for _, s := range segs[:len(segs)-1] {
		next, err := step(cur, s, true)
		if err != nil {
			return err
		}
		cur = next
	}
	last := segs[len(segs)-1]
	val := parseValue(raw, force)
	if m := indexOrFilter.FindStringSubmatch(last); m != nil {
		list, ok := cur.([]any)
		n, err := strconv.Atoi(m[1])
		if !ok || err != nil || n < 0 || n >= len(list) {
			return Errorf("index %s doesn't exist on %s", m[1], key)
		}
		list[n] = val
		return nil
	}
	parent, ok := cur.(map[string]any)
	if !ok {
		return Errorf("Couldn't set '%s': its parent is not an object", key)
	}
	parent[lookupKey(parent, last)] = val
	return nil
}

// splitKeyValue splits "path=value" at the first '=' outside brackets
// (filters such as subnets[name=a] contain '=').
func splitKeyValue(expr string) (string, string, bool) {
	depth := 0
	for i, r := range expr {
		switch r {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case '=':
			if depth == 0 {
				return expr[:i], expr[i+1:], true
			}
		}
	}
	return expr, "", false
}

// AddProperty applies one --add: a list path, then values (JSON, strings,
// or consecutive key=value pairs forming one object).
func AddProperty(obj map[string]any, args []string, force bool) error {
	if len(args) == 0 {
		return Usagef("usage error: --add property.listProperty <key=value, string or JSON string>")
	}
	segs := pathSegments(args[0])
	var cur any = obj
	for _, s := range segs[:len(segs)-1] {
		next, err := step(cur, s, true)
		if err != nil {
			return err
		}
		cur = next
	}
	parent, ok := cur.(map[string]any)
	if !ok {
		return Errorf("Couldn't find '%s'", args[0])
	}
	key := lookupKey(parent, segs[len(segs)-1])
	list, _ := parent[key].([]any)
	if parent[key] != nil && list == nil {
		return Errorf("invalid syntax: --add property.listProperty <key=value, string or JSON string>: '%s' is not a list", args[0])
	}
	entry := map[string]any{}
	for _, a := range args[1:] {
		if k, v, ok := strings.Cut(a, "="); ok {
			entry[k] = parseValue(v, force)
			continue
		}
		if len(entry) > 0 {
			list = append(list, entry)
			entry = map[string]any{}
		}
		list = append(list, parseValue(a, force))
	}
	if len(entry) > 0 {
		list = append(list, entry)
	}
	if list == nil {
		list = []any{}
	}
	parent[key] = list
	return nil
}

// RemoveProperty applies one --remove: a path, and optionally a list index.
func RemoveProperty(obj map[string]any, args []string) error {
	if len(args) == 0 {
		return Usagef("usage error: --remove property.list <indexToRemove> OR --remove propertyToRemove")
	}
	segs := pathSegments(args[0])
	var cur any = obj
	for _, s := range segs[:len(segs)-1] {
		next, err := step(cur, s, false)
		if err != nil {
			return err
		}
		cur = next
	}
	last := segs[len(segs)-1]
	parent, ok := cur.(map[string]any)
	if !ok {
		return Errorf("%s doesn't exist", last)
	}
	key := lookupKey(parent, last)
	if len(args) > 1 {
		list, ok := parent[key].([]any)
		if !ok {
			return Errorf("%s doesn't exist", last)
		}
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 || n >= len(list) {
			return Errorf("index %s doesn't exist on %s", args[1], last)
		}
		parent[key] = append(list[:n:n], list[n+1:]...)
		return nil
	}
	if _, isList := parent[key].([]any); isList {
		parent[key] = []any{}
		return nil
	}
	if _, exists := parent[key]; !exists {
		return Errorf("Couldn't find '%s'", last)
	}
	delete(parent, key)
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
