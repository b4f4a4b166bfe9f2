package core

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
)

// ResourceType is an ARM resource type inside resource groups, such as
// Microsoft.Network/virtualNetworks/subnets.
type ResourceType struct {
	// Namespace is the provider namespace ("Microsoft.Network").
	Namespace string
	// Types is the type chain, parents first ({"virtualNetworks", "subnets"}).
	Types []string
	// APIVersion is the api-version to send (the one az 2.45 sends).
	APIVersion string
	// Shape is how az renders the resource (nil: as the service sends it).
	Shape *arm.Shape
}

// Path is the resource path for one name per level of Types.
func (t ResourceType) Path(sub, rg string, names ...string) string {
	var tn []string
	for i, n := range names {
		tn = append(tn, t.Types[i], n)
	}
	return arm.ResourcePath(sub, rg, t.Namespace, tn...)
}

// CollectionPath is the list path under the given parent names
// (len(Types)-1 of them).
func (t ResourceType) CollectionPath(sub, rg string, parents ...string) string {
	var tn []string
	for i, n := range parents {
		tn = append(tn, t.Types[i], n)
	}
	tn = append(tn, t.Types[len(parents)])
	return arm.ResourcePath(sub, rg, t.Namespace, tn...)
}

// SubscriptionCollectionPath lists a top-level type across the subscription.
func (t ResourceType) SubscriptionCollectionPath(sub string) string {
	return "/subscriptions/" + sub + "/providers/" + t.Namespace + "/" + t.Types[0]
}

// ListTopLevel lists a top-level type in the --resource-group given, else
// across the subscription (az's `<type> list [-g]`), as the service sends
// the items (no Shape applied).
func (t ResourceType) ListTopLevel(c *Context) ([]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	p := t.SubscriptionCollectionPath(sub)
	if rg := c.String("resource_group"); rg != "" {
		p = t.CollectionPath(sub, rg)
	}
	return client.List(c.Context(), p, t.APIVersion, nil)
}

// Resource binds a ResourceType to the command arguments naming it: the
// resource group plus one name argument per level. It builds the standard
// show/list/delete/wait commands and resolves paths from parsed arguments.
type Resource struct {
	Type ResourceType
	// NameArgs has one argument per level of Type.Types, parents first,
	// the resource's own --name last. Their IDPart is set by NewResource.
	NameArgs []*Arg
}

// NewResource binds t to its name arguments (parents first). It assigns
// IDPart "name" to the first and "child_name_N" to the others, so --ids works.
func NewResource(t ResourceType, nameArgs ...*Arg) *Resource {
	if len(nameArgs) != len(t.Types) {
		panic(fmt.Sprintf("core.NewResource: %d name arguments for %d types", len(nameArgs), len(t.Types)))
	}
	for i, a := range nameArgs {
		a.Required = true
		if i == 0 {
			a.IDPart = "name"
		} else {
			a.IDPart = "child_name_" + strconv.Itoa(i)
		}
	}
	return &Resource{Type: t, NameArgs: nameArgs}
}

// Clone copies an argument so a command can change it (e.g. Required).
func (a *Arg) Clone() *Arg {
	cp := *a
	cp.Options = append([]string(nil), a.Options...)
	cp.Choices = append([]string(nil), a.Choices...)
	return &cp
}

// Args returns fresh copies of the resource group and name arguments; with
// leaf false the resource's own name is left out (for list commands).
func (r *Resource) Args(leaf bool) []*Arg {
	args := []*Arg{ResourceGroupArg(true)}
	n := len(r.NameArgs)
	if !leaf {
		n--
	}
	for _, a := range r.NameArgs[:n] {
		args = append(args, a.Clone())
	}
	return args
}

// names reads the name arguments from the context.
func (r *Resource) names(c *Context, leaf bool) []string {
	n := len(r.NameArgs)
	if !leaf {
		n--
	}
	out := make([]string, 0, n)
	for _, a := range r.NameArgs[:n] {
		out = append(out, c.String(a.dest()))
	}
	return out
}

// Path resolves the resource path from the parsed arguments.
func (r *Resource) Path(c *Context) (string, error) {
	sub, err := c.SubscriptionID()
	if err != nil {
		return "", err
	}
	return r.Type.Path(sub, c.String("resource_group"), r.names(c, true)...), nil
}

// Get reads the resource's raw ARM body.
func (r *Resource) Get(c *Context) (map[string]any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	return client.GetObject(c.Context(), p, r.Type.APIVersion, nil)
}

// Put writes the resource (waiting unless --no-wait) and returns the shaped
// result.
func (r *Resource) Put(c *Context, body any) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), p, r.Type.APIVersion, body, c.NoWait())
	if err != nil {
		return nil, err
	}
	return r.Type.Shape.Apply(res), nil
}

// ShowCommand is "<group> show": GET, exit 3 on 404.
func (r *Resource) ShowCommand(short string, examples ...Example) *Command {
	return &Command{
		Name: "show", Short: short, Show: true, Examples: examples,
		Args: r.Args(true),
		Run: func(c *Context) (any, error) {
			obj, err := r.Get(c)
			if err != nil {
				return nil, err
			}
			return r.Type.Shape.Apply(obj), nil
		},
	}
}

// ListCommand is "<group> list": by resource group (and parents); for a
// top-level type without -g it lists the whole subscription, as az does.
func (r *Resource) ListCommand(short string, examples ...Example) *Command {
	args := r.Args(false)
	topLevel := len(r.Type.Types) == 1
	if topLevel {
		args[0].Required = false
	}
	for _, a := range args {
		a.IDPart = ""
	}
	return &Command{
		Name: "list", Short: short, Examples: examples, Args: args, NoIDs: true,
		Run: func(c *Context) (any, error) {
			if topLevel {
				items, err := r.Type.ListTopLevel(c)
				return r.Type.Shape.Apply(items), err
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			sub, err := c.SubscriptionID()
			if err != nil {
				return nil, err
			}
			p := r.Type.CollectionPath(sub, c.String("resource_group"), r.names(c, false)...)
			items, err := client.List(c.Context(), p, r.Type.APIVersion, nil)
			if err != nil {
				return nil, err
			}
			return r.Type.Shape.Apply(items), nil
		},
	}
}

// DeleteCommand is "<group> delete" (with --no-wait when noWait; with
// --yes and az's prompt when confirm). It prints nothing.
func (r *Resource) DeleteCommand(short string, noWait, confirm bool, examples ...Example) *Command {
	cmd := &Command{
		Name: "delete", Short: short, NoWait: noWait, Examples: examples,
		Args: r.Args(true),
		Run: func(c *Context) (any, error) {
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			p, err := r.Path(c)
			if err != nil {
				return nil, err
			}
			return nil, client.Delete(c.Context(), p, r.Type.APIVersion, c.NoWait())
		},
	}
	if confirm {
		cmd.Confirm = "Are you sure you want to perform this operation?"
	}
	return cmd
}

// WaitCommand is "<group> wait" for the resource.
func (r *Resource) WaitCommand(short string) *Command {
	return WaitCommand(short, r.Args(true), func(c *Context) (any, error) {
		obj, err := r.Get(c)
		if err != nil {
			return nil, err
		}
		return r.Type.Shape.Apply(obj), nil
	})
}

// UpdateCommand is "<group> update": az's generic update (GET, apply the
// command's flags via custom, then --set/--add/--remove, PUT). extra are
// the command's own arguments.
func (r *Resource) UpdateCommand(short string, extra []*Arg, custom func(c *Context, obj map[string]any) error, examples ...Example) *Command {
	args := append(r.Args(true), extra...)
	args = append(args, UpdateArgs()...)
	return &Command{
		Name: "update", Short: short, Args: args, NoWait: true, Examples: examples,
		Run: func(c *Context) (any, error) {
			return Updater{
				Get:    r.Get,
				Put:    func(c *Context, body map[string]any) (any, error) { return r.putRaw(c, body) },
				Shape:  r.Type.Shape,
				Custom: custom,
			}.Run(c)
		},
	}
}

func (r *Resource) putRaw(c *Context, body map[string]any) (any, error) {
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := r.Path(c)
	if err != nil {
		return nil, err
	}
	return client.Put(c.Context(), p, r.Type.APIVersion, body, c.NoWait())
}

// WaitCommand builds az's "wait" command: poll get every --interval seconds
// until the chosen condition holds or --timeout passes.
func WaitCommand(short string, args []*Arg, get RunFunc) *Command {
	const g = "Wait Condition"
	args = append(args,
		&Arg{Dest: "created", Options: []string{"--created"}, Kind: Flag, Group: g,
			Help: "Wait until created with 'provisioningState' at 'Succeeded'."},
		&Arg{Dest: "updated", Options: []string{"--updated"}, Kind: Flag, Group: g,
			Help: "Wait until updated with provisioningState at 'Succeeded'."},
		&Arg{Dest: "deleted", Options: []string{"--deleted"}, Kind: Flag, Group: g,
			Help: "Wait until deleted."},
		&Arg{Dest: "exists", Options: []string{"--exists"}, Kind: Flag, Group: g,
			Help: "Wait until the resource exists."},
		&Arg{Dest: "custom", Options: []string{"--custom"}, Group: g,
			Help: "Wait until the condition satisfies a custom JMESPath query. E.g. provisioningState!='InProgress', instanceView.statuses[?code=='PowerState/running']."},
		&Arg{Dest: "interval", Options: []string{"--interval"}, Kind: Int, Default: "30", Group: g,
			Help: "Polling interval in seconds."},
		&Arg{Dest: "timeout", Options: []string{"--timeout"}, Kind: Int, Default: "3600", Group: g,
			Help: "Maximum wait in seconds."},
	)
	return &Command{
		Name: "wait", Short: short, Args: args,
		Run: func(c *Context) (any, error) { return nil, waitFor(c, get) },
	}
}

func waitFor(c *Context, get RunFunc) error {
	interval, timeout := c.Int("interval"), c.Int("timeout")
	if interval <= 0 {
		interval = 30
	}
	created, updated, deleted, exists := c.Bool("created"), c.Bool("updated"), c.Bool("deleted"), c.Bool("exists")
	custom := c.String("custom")
	for elapsed := 0; elapsed < timeout || elapsed == 0; elapsed += interval {
		obj, err := get(c)
		switch {
		case arm.IsNotFound(err):
			if deleted {
				return nil
			}
			if !created && !exists && custom == "" {
				return err
			}
		case err != nil:
			return err
		default:
			if exists {
				return nil
			}
			state := strings.ToLower(provisioningStateOf(obj))
			if state == "failed" {
				return Errorf("The operation failed")
			}
			if (created || updated) && state == "succeeded" {
				return nil
			}
			if custom != "" {
				ok, err := queryTruthy(custom, obj)
				if err != nil {
					return err
				}
				if ok {
					return nil
				}
			}
		}
		if err := c.Sleep(secondsDuration(interval)); err != nil {
			return err
		}
	}
	return Errorf("Wait operation timed-out after %d seconds", timeout)
}

// provisioningStateOf reads provisioningState from a shaped or raw body.
func provisioningStateOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["provisioningState"].(string); ok {
		return s
	}
	if p, ok := m["properties"].(map[string]any); ok {
		s, _ := p["provisioningState"].(string)
		return s
	}
	return ""
}
