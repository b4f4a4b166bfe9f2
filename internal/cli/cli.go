package cli

import (
	"context"

	"github.com/privlink/privlink/internal/cli/account"
	"github.com/privlink/privlink/internal/cli/afd"
	"github.com/privlink/privlink/internal/cli/aks"
	"github.com/privlink/privlink/internal/cli/bastion"
	"github.com/privlink/privlink/internal/cli/connectedk8s"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/dnsresolver"
	"github.com/privlink/privlink/internal/cli/extension"
	"github.com/privlink/privlink/internal/cli/gateway"
	"github.com/privlink/privlink/internal/cli/identity"
	"github.com/privlink/privlink/internal/cli/lb"
	"github.com/privlink/privlink/internal/cli/network"
	"github.com/privlink/privlink/internal/cli/nsg"
	"github.com/privlink/privlink/internal/cli/onprem"
	"github.com/privlink/privlink/internal/cli/privatedns"
	"github.com/privlink/privlink/internal/cli/privatelink"
	"github.com/privlink/privlink/internal/cli/resource"
	"github.com/privlink/privlink/internal/cli/role"
	"github.com/privlink/privlink/internal/cli/vm"
	"github.com/privlink/privlink/internal/cli/watcher"
)

// Streams are the standard streams of a run.
type Streams = core.Streams

// Run executes an az command line (without the program name, e.g.
// {"group", "create", "-n", "rg", "-l", "westus"}) against the daemon and
// returns the exit code: 0 success, 1 error, 2 usage error, 3 a show
// command found nothing.
func Run(ctx context.Context, args []string, streams Streams) int {
	r := &core.Runner{Tree: NewTree()}
	return r.Run(ctx, args, streams)
}

// NewTree builds the full command tree.
func NewTree() *core.Tree { return core.NewTree(Groups()...) }

// Groups lists every command group, explicitly. A new command package adds
// its Groups() here (see doc.go).
func Groups() []*core.Group {
	var gs []*core.Group
	gs = append(gs, rootGroup())
	gs = append(gs, account.Groups()...)
	gs = append(gs, afd.Groups()...)
	gs = append(gs, bastion.Groups()...)
	gs = append(gs, aks.Groups()...)
	gs = append(gs, connectedk8s.Groups()...)
	gs = append(gs, extension.Groups()...)
	gs = append(gs, gateway.Groups()...)
	gs = append(gs, identity.Groups()...)
	gs = append(gs, network.Groups()...)
	gs = append(gs, lb.Groups()...)
	gs = append(gs, nsg.Groups()...)
	gs = append(gs, privatedns.Groups()...)
	gs = append(gs, dnsresolver.Groups()...)
	gs = append(gs, privatelink.Groups()...)
	gs = append(gs, resource.Groups()...)
	gs = append(gs, role.Groups()...)
	gs = append(gs, onprem.Groups()...)
	gs = append(gs, vm.Groups()...)
	gs = append(gs, watcher.Groups()...)
	return gs
}

// rootGroup holds the top-level commands that belong to no module.
func rootGroup() *core.Group {
	return &core.Group{
		Commands: []*core.Command{{
			Name: "version", Short: "Show the versions of Azure CLI modules and extensions in JSON format by default or format configured by --output.",
			Run: func(c *core.Context) (any, error) {
				exts := map[string]any{}
				entries, err := extension.Installed(c)
				if err != nil {
					return nil, err
				}
				for _, e := range entries {
					exts[e.Name] = e.Version
				}
				return map[string]any{
					"azure-cli":           core.AzureCLIVersion,
					"azure-cli-core":      core.AzureCLIVersion,
					"azure-cli-telemetry": "1.0.8",
					"extensions":          exts,
				}, nil
			},
		}},
	}
}
