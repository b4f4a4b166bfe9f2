package compute

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace.
const Namespace = "Microsoft.Compute"

// VirtualMachineType is the ARM type of virtual machines.
const VirtualMachineType = Namespace + "/virtualMachines"

// APIVersions are the virtualMachines api-versions accepted: the stable
// versions from 2021-03-01 on, which cover the Debian azure-cli 2.45
// (2022-11-01), Terraform azurerm 5.x (2024-07-01, 2024-11-01) and the
// Azure SDK for Go armcompute majors v5 to v8 (v8.4.0 sends 2026-04-01).
var APIVersions = []string{
	"2021-03-01", "2021-04-01", "2021-07-01", "2021-11-01", "2022-03-01", "2022-08-01", "2022-11-01",
	"2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01",
	"2026-04-01",
}

// DefaultRunCommandTimeout is how long a run command script may run:
// Azure's limit for action run commands is 90 minutes
// (https://learn.microsoft.com/azure/virtual-machines/linux/run-command#restrictions).
const DefaultRunCommandTimeout = 90 * time.Minute

// EnvFunc returns the environment ("NAME=value" entries) a run command
// script of the virtual machine vmID runs with, e.g. the proxy variables
// (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY, PRIVLINK_VANTAGE...) that
// send its traffic through the emulated fabric from that machine.
type EnvFunc func(ctx context.Context, vmID string) ([]string, error)

// Provider implements arm.Provider. Set the exported fields before
// Register; call Close when the daemon stops to end running scripts.
type Provider struct {
	// Env supplies a run command script's environment. Without it scripts
	// get only PATH, HOME (their working directory) and LANG.
	Env EnvFunc
	// RunCommandTimeout caps a script's run time (default 90 minutes).
	RunCommandTimeout time.Duration
	// Shell runs RunShellScript scripts with "-c" (default "bash").
	Shell string
	// Log receives the provider's logs (default: discard).
	Log *slog.Logger

	once     sync.Once
	instance string
	engine   *arm.Engine
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	running  map[string]context.CancelFunc // lower-cased VM ID -> cancel of its script
}

var _ arm.Provider = (*Provider)(nil)

// Namespace implements arm.Provider.
func (*Provider) Namespace() string { return Namespace }

func (pr *Provider) init() {
	pr.once.Do(func() {
		pr.instance = uuid.NewString()
		pr.ctx, pr.cancel = context.WithCancel(context.Background())
		pr.running = map[string]context.CancelFunc{}
		if pr.Log == nil {
			pr.Log = slog.New(slog.DiscardHandler)
		}
		if pr.RunCommandTimeout <= 0 {
			pr.RunCommandTimeout = DefaultRunCommandTimeout
		}
		if pr.Shell == "" {
			pr.Shell = "bash"
		}
	})
}

// Register implements arm.Provider.
func (pr *Provider) Register(p *arm.Platform) error {
	pr.init()
	pr.engine = p.Engine
	p.Registry.Register(pr.vmSpec())
	if p.Server != nil {
		vm := "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}"
		p.Server.Handle(http.MethodGet, vm, pr.getVM)
		p.Server.Handle(http.MethodGet, vm+"/instanceView", pr.getInstanceView)
		loc := "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/"
		p.Server.Handle(http.MethodGet, loc+runOperationsSegment+"/{op}", pr.runCommandStatus)
		p.Server.Handle(http.MethodGet, loc+runResultsSegment+"/{op}", pr.runCommandResult)
	}
	return nil
}

// Close ends running run command scripts (their operations fail) and
// waits for them.
func (pr *Provider) Close() {
	pr.init()
	pr.cancel()
	pr.wg.Wait()
}

func versions() []string { return append([]string(nil), APIVersions...) }
