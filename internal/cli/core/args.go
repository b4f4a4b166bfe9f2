package core

import (
	"strings"
)

// Output formats accepted by --output/-o (and AZURE_CORE_OUTPUT).
// OutputFormats are knack's output formats, in its order (az lists them
// so in errors; help sorts them).
var OutputFormats = []string{"json", "jsonc", "yaml", "yamlc", "table", "tsv", "none"}

// Destinations of the global arguments.
const (
	DestOutput         = "output"
	DestQuery          = "query"
	DestSubscription   = "_subscription"
	DestOnlyShowErrors = "only_show_errors"
	DestVerbose        = "verbose"
	DestDebug          = "debug"
	DestHelp           = "help"
	DestNoWait         = "no_wait"
	DestYes            = "yes"
	DestIDs            = "ids"
)

// globalArgs are accepted by every command (az's global arguments).
func globalArgs() []*Arg {
	const g = "Global Arguments"
	return []*Arg{
		{Dest: DestDebug, Options: []string{"--debug"}, Kind: Flag, Group: g,
			Help: "Increase logging verbosity to show all debug logs."},
		{Dest: DestHelp, Options: []string{"--help", "-h"}, Kind: Flag, Group: g,
			Help: "Show this help message and exit."},
		{Dest: DestOnlyShowErrors, Options: []string{"--only-show-errors"}, Kind: Flag, Group: g,
			Help: "Only show errors, suppressing warnings."},
		{Dest: DestOutput, Options: []string{"--output", "-o"}, Choices: OutputFormats, Group: g,
			Help: "Output format. Allowed values: json, jsonc, none, table, tsv, yaml, yamlc. Default: json."},
		{Dest: DestQuery, Options: []string{"--query"}, Group: g,
			Help: "JMESPath query string. See http://jmespath.org/ for more information and examples."},
		{Dest: DestSubscription, Options: []string{"--subscription"}, Group: g,
			Help: "Name or ID of subscription. You can configure the default subscription using `az account set -s NAME_OR_ID`."},
		{Dest: DestVerbose, Options: []string{"--verbose"}, Kind: Flag, Group: g,
			Help: "Increase logging verbosity. Use --debug for full debug logs."},
	}
}

// allArgs returns the command's arguments plus the automatic ones
// (--no-wait, --yes, --ids), built once.
func (c *Command) allArgs() []*Arg {
	if c.args != nil {
		return c.args
	}
	args := append([]*Arg(nil), c.Args...)
	if c.NoWait {
		args = append(args, &Arg{Dest: DestNoWait, Options: []string{"--no-wait"}, Kind: Flag,
			Help: "Do not wait for the long-running operation to finish."})
	}
	if c.Confirm != "" {
		args = append(args, &Arg{Dest: DestYes, Options: []string{"--yes", "-y"}, Kind: Flag,
			Help: "Do not prompt for confirmation."})
	}
	if c.hasIDs() {
		args = append(args, &Arg{Dest: DestIDs, Options: []string{"--ids"}, Kind: List, Group: "Resource Id",
			Help: "One or more resource IDs (space-delimited). It should be a complete resource ID containing all information of 'Resource Id' arguments. You should provide either --ids or other 'Resource Id' arguments."})
	}
	c.args = args
	return args
}

// hasIDs reports whether the command gets the automatic --ids argument.
func (c *Command) hasIDs() bool {
	if c.NoIDs || c.Name == "create" {
		return false
	}
	for _, a := range c.Args {
		if a.dest() == DestIDs {
			return false // the command handles --ids itself
		}
	}
	for _, a := range c.Args {
		if a.IDPart == "name" || strings.HasPrefix(a.IDPart, "child_name_") {
			return true
		}
	}
	return false
}

// ResourceGroupArg is --resource-group/-g (id part "resource_group"; read
// from AZURE_DEFAULTS_GROUP when absent).
func ResourceGroupArg(required bool) *Arg {
	return &Arg{
		Dest: "resource_group", Options: []string{"--resource-group", "-g"}, Required: required,
		IDPart: "resource_group", ConfigDefault: "group",
		Help: "Name of resource group. You can configure the default group using `az configure --defaults group=<name>`.",
	}
}

// NameArg is --name/-n for the resource a command acts on (id part "name").
func NameArg(help string) *Arg {
	return &Arg{Dest: "name", Options: []string{"--name", "-n"}, Required: true, IDPart: "name", Help: help}
}

// LocationArg is --location/-l; when absent, commands usually default it
// to the resource group's location (see Context.Location).
func LocationArg(required bool) *Arg {
	return &Arg{
		Dest: "location", Options: []string{"--location", "-l"}, Required: required, ConfigDefault: "location",
		Help: "Location. Values from: `az account list-locations`. You can configure the default location using `az configure --defaults location=<location>`.",
	}
}

// TagsArg is --tags (space-separated key[=value] pairs; "" clears).
func TagsArg() *Arg {
	return &Arg{Dest: "tags", Options: []string{"--tags"}, Kind: OptionalList,
		Help: `Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.`}
}

// TagArg is --tag (a single key[=value] filter).
func TagArg() *Arg {
	return &Arg{Dest: "tag", Options: []string{"--tag"},
		Help: "A single tag in 'key[=value]' format. Use \"\" to clear existing tags."}
}

// ParseTags turns az tag tokens into a tags object: "a=b" -> a: "b",
// "a" -> a: "", "" -> nothing.
func ParseTags(tokens []string) map[string]any {
	tags := map[string]any{}
	for _, t := range tokens {
		if t == "" {
			continue
		}
		k, v, _ := strings.Cut(t, "=")
		tags[k] = v
	}
	return tags
}

// NormalizeLocation mirrors az's location argument type: a display name
// with spaces ("West US 2") becomes "westus2".
func NormalizeLocation(loc string) string {
	if strings.ContainsAny(loc, " \t") {
		return strings.ToLower(strings.Join(strings.Fields(loc), ""))
	}
	return loc
}
