package core

import (
	"sort"
	"strings"
)

// Kind says how an argument consumes command-line tokens. The kinds mirror
// the argparse actions azure-cli uses.
type Kind int

const (
	// String takes exactly one value: --name foo, --name=foo, -nfoo.
	String Kind = iota
	// Flag is a switch without a value (argparse store_true): --yes.
	Flag
	// TriState is az's three-state flag (nargs='?'): alone it means
	// "true"; it also accepts an explicit true/false value.
	TriState
	// List takes one or more values (nargs='+'): --ids a b c.
	List
	// OptionalList takes zero or more values (nargs='*'): --tags a=b c.
	OptionalList
	// Int takes one integer value.
	Int
)

// Arg declares one command argument.
type Arg struct {
	// Dest is the key handlers read the value with (c.String(dest), ...).
	// Empty: the first long option without dashes, '-' replaced by '_'.
	Dest string
	// Options are the option strings, long first: {"--resource-group", "-g"}.
	Options []string
	// Help is the one-line description shown by -h.
	Help string
	// Kind is how the argument consumes tokens.
	Kind Kind
	// Required makes the parser reject a command line without it (exit 2),
	// unless a configured default (ConfigDefault) supplies it.
	Required bool
	// Choices restricts the values (matched case-insensitively and
	// normalised to the listed spelling), like az's get_enum_type.
	Choices []string
	// Default is the value handlers see when the argument is absent.
	Default string
	// IDPart makes the argument settable from --ids: the resource ID part
	// it takes ("subscription", "resource_group", "name", "child_name_1",
	// ...; see arm.ResourceID.Parts). Commands whose name is not "create"
	// and that have an argument with IDPart "name" (or deeper) get --ids.
	IDPart string
	// ConfigDefault names an az default ("group", "location") read from the
	// environment (AZURE_DEFAULTS_GROUP, AZURE_DEFAULTS_LOCATION) when the
	// argument is absent.
	ConfigDefault string
	// Repeat makes repeated occurrences of a List/OptionalList accumulate
	// (az's --set/--add/--remove) instead of the last one winning.
	Repeat bool
	// Group is the heading -h lists the argument under ("" = "Arguments").
	Group string
	// Hidden keeps the argument out of -h.
	Hidden bool
	// Positional lets a String argument also be given as the command's
	// first bare token (privlink extensions such as `network dns query
	// NAME`; az's own commands take options only).
	Positional bool
}

// dest returns the key of the argument's value.
func (a *Arg) dest() string {
	if a.Dest != "" {
		return a.Dest
	}
	for _, o := range a.Options {
		if strings.HasPrefix(o, "--") {
			return strings.ReplaceAll(strings.TrimPrefix(o, "--"), "-", "_")
		}
	}
	return strings.TrimLeft(a.Options[0], "-")
}

// display is the name argparse uses in messages: "--name/-n".
func (a *Arg) display() string { return strings.Join(a.Options, "/") }

// Example is one usage example shown by -h.
type Example struct {
	Summary string
	Command string
}

// RunFunc executes a command. The returned value (a decoded JSON value:
// map[string]any, []any, string, float64, bool or nil) is printed in the
// format chosen with --output; nil prints nothing.
type RunFunc func(c *Context) (any, error)

// Command is one leaf command such as "group create".
type Command struct {
	// Name is the leaf word ("create").
	Name string
	// Short is the one-line summary; Long is optional extra help text.
	Short string
	Long  string
	Args  []*Arg
	// Examples appear in -h and after usage errors.
	Examples []Example
	// Run executes the command.
	Run RunFunc
	// Show marks az "show" commands: an ARM 404 exits with code 3
	// instead of 1 (same message).
	Show bool
	// NoWait adds --no-wait; handlers read it with c.NoWait().
	NoWait bool
	// Confirm, when non-empty, adds --yes/-y and asks this question
	// (az's confirmation=True) before running; without a terminal and
	// without --yes the command fails with "Operation cancelled.".
	Confirm string
	// NoIDs disables the automatic --ids argument.
	NoIDs bool
	// TableQuery is a JMESPath expression applied for -o table when no
	// --query is given (az's table_transformer), e.g.
	// "[].{Name:name, Location:location}"; the renderer keeps its column order.
	TableQuery string
	// TableTransform is a Go table transformer, used when TableQuery is empty.
	TableTransform func(any) any
	// Preview prints az's preview warning before running.
	Preview bool

	group *Group
	args  []*Arg // Args plus automatic arguments, built once
}

// Group is a command group such as "network vnet" or "role assignment".
type Group struct {
	// Name is the full space-separated path ("role assignment"); "" is
	// the root (top-level commands such as "version").
	Name     string
	Short    string
	Commands []*Command

	children map[string]*Group
	commands map[string]*Command
	parent   *Group
}

// Path is the full command name, e.g. "group create".
func (c *Command) Path() string {
	if c.group == nil || c.group.Name == "" {
		return c.Name
	}
	return c.group.Name + " " + c.Name
}

// Tree is the command tree a run dispatches on.
type Tree struct {
	root *Group
}

// NewTree builds the tree from groups. Missing intermediate groups are
// created; a later group with the same name merges its commands and fills
// in an empty Short.
func NewTree(groups ...*Group) *Tree {
	t := &Tree{root: &Group{children: map[string]*Group{}, commands: map[string]*Command{}}}
	for _, g := range groups {
		t.Add(g)
	}
	return t
}

// Add merges a group into the tree.
func (t *Tree) Add(g *Group) {
	node := t.root
	if g.Name != "" {
		words := strings.Fields(g.Name)
		for i, w := range words {
			child, ok := node.children[w]
			if !ok {
				child = &Group{
					Name:     strings.Join(words[:i+1], " "),
					children: map[string]*Group{},
					commands: map[string]*Command{},
					parent:   node,
				}
				node.children[w] = child
			}
			node = child
		}
	}
	if node.Short == "" {
		node.Short = g.Short
	}
	for _, c := range g.Commands {
		c.group = node
		c.args = nil
		node.commands[c.Name] = c
		node.Commands = append(node.Commands, c)
	}
}

// Find returns the command at a full path such as "group create", or nil.
func (t *Tree) Find(path string) *Command {
	node := t.root
	words := strings.Fields(path)
	for i, w := range words {
		if i == len(words)-1 {
			return node.commands[w]
		}
		next, ok := node.children[w]
		if !ok {
			return nil
		}
		node = next
	}
	return nil
}

func (g *Group) sortedChildren() []*Group {
	out := make([]*Group, 0, len(g.children))
	for _, c := range g.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (g *Group) sortedCommands() []*Command {
	out := make([]*Command, 0, len(g.commands))
	for _, c := range g.commands {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lastWord is the group's own word ("assignment" for "role assignment").
func (g *Group) lastWord() string {
	w := strings.Fields(g.Name)
	if len(w) == 0 {
		return ""
	}
	return w[len(w)-1]
}
