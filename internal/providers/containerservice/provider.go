package containerservice

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/controller"
	"github.com/privlink/privlink/internal/kube"
)

// ARMClient is how the provider creates the Azure resources a cluster
// owns: through the ARM front end in process, as the AKS resource
// provider's first-party identity, so every resource is validated and
// stored exactly as a user's would be. internal/cli/arm.Client satisfies
// it (internal/app builds one on an in-process transport).
type ARMClient = arm.Client

// Runtime runs the clusters' Kubernetes control planes (*kube.Manager).
type Runtime interface {
	Start(ctx context.Context, spec kube.ClusterSpec) (*kube.Cluster, error)
	Get(key string) *kube.Cluster
	Stop(key string) error
	Delete(ctx context.Context, key string) error
}

// Provider implements arm.Provider. Set ARM and Kube before Register; call
// Run to start the controller and Close when the daemon stops.
type Provider struct {
	ARM  ARMClient
	Kube Runtime
	Log  *slog.Logger
	// HostEnv, when set, is the environment of a process on a node VM
	// (its fabric vantage): pods running host processes get it.
	HostEnv func(ctx context.Context, vmID string) ([]string, error)
	// Workers is how many clusters are reconciled at once (default 4).
	Workers int

	platform *arm.Platform
	engine   *arm.Engine
	queue    *controller.Queue

	mu     sync.Mutex
	runs   map[string]*commandRun    // command ID -> run
	agents map[string]*clusterAgents // cluster GUID -> in-cluster agents
	wg     sync.WaitGroup
	ctx    context.Context
	stop   context.CancelFunc
}

var _ arm.Provider = (*Provider)(nil)

// Namespace implements arm.Provider.
func (*Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr *Provider) Register(p *arm.Platform) error {
	pr.platform, pr.engine = p, p.Engine
	if pr.Log == nil {
		pr.Log = slog.New(slog.DiscardHandler)
	}
	if pr.Workers <= 0 {
		pr.Workers = 4
	}
	pr.queue = controller.NewQueue()
	pr.runs = map[string]*commandRun{}
	pr.ctx, pr.stop = context.WithCancel(context.Background())
	p.Registry.Register(pr.clusterSpec(), pr.agentPoolSpec())
	if p.Server != nil {
		base := "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService/managedClusters/{name}"
		p.Server.Handle(http.MethodGet, base+"/"+CommandResultsPath+"/{id}", pr.commandResult)
		p.Server.Handle(http.MethodGet, base+"/agentPools/{pool}", pr.getAgentPool)
		p.Server.Handle(http.MethodDelete, base, pr.deleteClusterRoute)
	}
	return nil
}

// Run reconciles clusters until ctx ends: first every stored cluster (so
// that a restarted daemon brings its API servers back), then each one
// whose operation the provisioner hands over.
func (pr *Provider) Run(ctx context.Context) {
	recs, err := pr.allClusters(ctx)
	if err != nil {
		pr.Log.Error("list managed clusters", "err", err)
	}
	for _, r := range recs {
		pr.queue.Add(strings.ToLower(r.Resource.ID))
	}
	var wg sync.WaitGroup
	for range pr.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				keys := pr.queue.Take(ctx, 1)
				if keys == nil {
					return
				}
				pr.sync(ctx, keys[0])
				pr.queue.Done(keys...)
			}
		}()
	}
	wg.Wait()
}

// Close ends running commands and the clusters' in-cluster agents.
func (pr *Provider) Close() {
	if pr.stop != nil {
		pr.stop()
	}
	pr.wg.Wait()
	pr.stopAllAgents()
}

// reconcileHook hands a pending operation to the controller.
func (pr *Provider) reconcileHook(_ context.Context, op *arm.ReconcileOp) error {
	pr.queue.Add(strings.ToLower(op.ID.String()))
	return arm.ErrKeepPending
}

func (pr *Provider) allClusters(ctx context.Context) ([]*arm.Record, error) {
	var out []*arm.Record
	err := pr.engine.Run(ctx, func(t *arm.Txn) error {
		var err error
		out, err = t.ListType(ctx, "/subscriptions", ClusterType)
		return err
	})
	return out, err
}
