package extension

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// BuiltinVersion is the version recorded for an added extension when none
// is given. It is above the minimum versions the seeds ask for
// (aks-preview 0.5.97, connectedk8s 1.3.0).
const BuiltinVersion = "2.0.0"

// configKey is the cli.json key holding the added extensions.
const configKey = "extensions"

// Entry is one added extension as stored in cli.json.
type Entry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Groups returns the command groups of this package.
func Groups() []*core.Group {
	nameArg := func(required bool) *core.Arg {
		return &core.Arg{Dest: "name", Options: []string{"--name", "-n"}, Required: required, Help: "Name of extension."}
	}
	pipArgs := []*core.Arg{
		{Dest: "pip_extra_index_urls", Options: []string{"--pip-extra-index-urls"}, Kind: core.List, Help: "Space-separated list of extra URLs of package indexes to use."},
		{Dest: "pip_proxy", Options: []string{"--pip-proxy"}, Help: "Proxy for pip to use for extension dependencies in the form of [user:passwd@]proxy.server:port."},
		{Dest: "allow_preview", Options: []string{"--allow-preview"}, Kind: core.TriState, Help: "Include preview versions of extensions."},
	}
	return []*core.Group{{
		Name:  "extension",
		Short: "Manage and update CLI extensions (built into privlink: nothing is installed).",
		Commands: []*core.Command{
			{
				Name: "add", Short: "Add an extension.",
				Args: append([]*core.Arg{
					nameArg(false),
					{Dest: "source", Options: []string{"--source", "-s"}, Help: "Filepath or URL to an extension."},
					{Dest: "version", Options: []string{"--version"}, Help: "The specific version of an extension."},
					{Dest: "yes", Options: []string{"--yes", "-y"}, Kind: core.Flag, Help: "Do not prompt for confirmation."},
					{Dest: "upgrade", Options: []string{"--upgrade"}, Kind: core.Flag, Help: "Update the extension if already installed."},
					{Dest: "system", Options: []string{"--system"}, Kind: core.Flag, Help: "Use a system directory for the extension."},
				}, pipArgs...),
				Examples: []core.Example{{
					Summary: "Add extension by name",
					Command: "az extension add --name anextension",
				}},
				Run: add,
			},
			{
				Name: "update", Short: "Update an extension.",
				Args: append([]*core.Arg{nameArg(true)}, pipArgs...),
				Examples: []core.Example{{
					Summary: "Update an extension by name",
					Command: "az extension update --name anextension",
				}},
				Run: update,
			},
			{
				Name: "list", Short: "List the installed extensions.",
				TableQuery: "[].{Name:name, Version:version, ExtensionType:extensionType, Preview:preview, Experimental:experimental}",
				Run: func(c *core.Context) (any, error) {
					entries, err := Installed(c)
					if err != nil {
						return nil, err
					}
					out := make([]any, 0, len(entries))
					for _, e := range entries {
						out = append(out, render(e))
					}
					return out, nil
				},
			},
			{
				Name: "show", Short: "Show an extension.",
				Args: []*core.Arg{nameArg(true)},
				Run: func(c *core.Context) (any, error) {
					e, err := find(c, c.String("name"))
					if err != nil {
						return nil, err
					}
					return render(*e), nil
				},
			},
			{
				Name: "remove", Short: "Remove an extension.",
				Args: []*core.Arg{nameArg(true)},
				Run: func(c *core.Context) (any, error) {
					name := c.String("name")
					if _, err := find(c, name); err != nil {
						return nil, err
					}
					entries, err := Installed(c)
					if err != nil {
						return nil, err
					}
					kept := entries[:0]
					for _, e := range entries {
						if !strings.EqualFold(e.Name, name) {
							kept = append(kept, e)
						}
					}
					return nil, save(c, kept)
				},
			},
		},
	}}
}

// Installed returns the extensions added so far, sorted by name.
func Installed(c *core.Context) ([]Entry, error) {
	cfg, err := c.Config()
	if err != nil {
		return nil, err
	}
	var entries []Entry
	if _, err := cfg.Get(configKey, &entries); err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

func save(c *core.Context, entries []Entry) error {
	cfg, err := c.Config()
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []Entry{}
	}
	if err := cfg.Set(configKey, entries); err != nil {
		return err
	}
	return cfg.Save()
}

func find(c *core.Context, name string) (*Entry, error) {
	entries, err := Installed(c)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if strings.EqualFold(entries[i].Name, name) {
			return &entries[i], nil
		}
	}
	return nil, core.Errorf("The extension %s is not installed.", name)
}

// render is what az prints for an installed extension.
func render(e Entry) map[string]any {
	return map[string]any{
		"experimental":  false,
		"extensionType": "whl",
		"name":          e.Name,
		"path":          "(built into privlink)",
		"preview":       strings.Contains(e.Name, "preview"),
		"version":       e.Version,
	}
}

// wheelName matches a wheel file name: name-version-...whl.
var wheelName = regexp.MustCompile(`^([A-Za-z0-9_.]+)-([0-9][^-]*)-.*\.whl$`)

func builtinNote(c *core.Context, name string) {
	c.Warnf("privlink has the '%s' extension's commands built in; nothing needs installing.", name)
}

func add(c *core.Context) (any, error) {
	name, version, source := c.String("name"), c.String("version"), c.String("source")
	if name == "" && source == "" {
		return nil, core.Errorf("usage error: --name NAME | --source SOURCE")
	}
	if name == "" {
		base := path.Base(strings.ReplaceAll(source, "\\", "/"))
		m := wheelName.FindStringSubmatch(base)
		if m == nil {
			return nil, core.Errorf("Unable to determine extension name from source '%s'.", source)
		}
		name = strings.ReplaceAll(m[1], "_", "-")
		if version == "" {
			version = m[2]
		}
	}
	if version == "" {
		version = BuiltinVersion
	}
	entries, err := Installed(c)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if strings.EqualFold(e.Name, name) {
			if !c.Bool("upgrade") {
				c.Warnf("Extension '%s' is already installed.", e.Name)
				return nil, nil
			}
			entries[i].Version = version
			builtinNote(c, name)
			return nil, save(c, entries)
		}
	}
	builtinNote(c, name)
	return nil, save(c, append(entries, Entry{Name: name, Version: version}))
}

func update(c *core.Context) (any, error) {
	e, err := find(c, c.String("name"))
	if err != nil {
		return nil, err
	}
	builtinNote(c, e.Name)
	c.Warnf("Latest version of '%s' is already installed.", e.Name)
	return nil, nil
}
