package nodeagent

import (
	"github.com/privlink/privlink/internal/arm"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// ARM is how the agent declares node listeners: the ARM front end in
// process (the same interface as containerservice.ARMClient).
type ARM = arm.Client

// Node is a node VM of the cluster.
type Node struct {
	// Name is the Kubernetes node name; VMID the VM's resource ID (where
	// node ports are declared as Privlink.Fabric listeners).
	Name string
	VMID string
	// PodIPs are the addresses Azure CNI (without overlay) reserves for
	// this node's pods, e.g. its NIC's secondary IP configurations. Empty
	// with kubenet and Azure CNI Overlay: pods then take addresses from
	// the Node's spec.podCIDR.
	PodIPs []netip.Addr
}

// Config configures the agent of one cluster.
type Config struct {
	// Kube is an admin client configuration of the cluster's API server.
	Kube *rest.Config
	// ARM declares the node ports' listeners on the node VMs.
	ARM ARM
	// Nodes returns the node VMs (called at each synchronisation).
	Nodes func() []Node
	// Log receives the agent's logs.
	Log *slog.Logger
	// Shell runs privlink.io/command (default /bin/sh).
	Shell string
	// Env, when set, returns the environment of a process on a node VM
	// (the fabric proxy variables of its vantage, see `privlink env`):
	// privlink.io/command processes get it, so their proxy-aware
	// programs connect from the pod's node.
	Env func(ctx context.Context, vmID string) ([]string, error)
}

// ListenerAPIVersion is the Privlink.Fabric api-version.
const ListenerAPIVersion = "2025-01-01"

// Agent runs one cluster's workloads; Stop ends it.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	cs       kubernetes.Interface
	pods     corelisters.PodLister
	nodes    corelisters.NodeLister
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	recorder record.EventRecorder
	bcast    record.EventBroadcaster
	podQ     workqueue.TypedRateLimitingInterface[string]
	proxyQ   workqueue.TypedRateLimitingInterface[string]

	mu        sync.Mutex
	running   map[string]*podRun                // pod key -> run
	byAddr    map[netip.AddrPort]netip.AddrPort // podIP:containerPort -> 127.0.0.1:real
	ports     map[string]*nodePort              // "<node>/<nodePort>" -> listener
	declared  map[string]string                 // VM listener path -> target
	firstSync atomic.Bool

	schedMu sync.Mutex
	assumed map[types.UID]string // bound pods the informer has not shown bound yet

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// Start starts the agent: informers, the scheduler, the pod runtime and
// the service proxy. It returns once the caches have synced.
func Start(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Kube == nil || cfg.ARM == nil || cfg.Nodes == nil {
		return nil, errors.New("nodeagent: Kube, ARM and Nodes are required")
	}
	if cfg.Shell == "" {
		cfg.Shell = "/bin/sh"
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "nodeagent")
	cs, err := kubernetes.NewForConfig(cfg.Kube)
	if err != nil {
		return nil, fmt.Errorf("nodeagent: client: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	a := &Agent{cfg: cfg, log: log, cs: cs, cancel: cancel,
		running: map[string]*podRun{}, byAddr: map[netip.AddrPort]netip.AddrPort{},
		ports: map[string]*nodePort{}, declared: map[string]string{}, assumed: map[types.UID]string{}}
	a.podQ = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](200*time.Millisecond, 30*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeagent-pods"})
	a.proxyQ = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](200*time.Millisecond, 30*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeagent-proxy"})
	a.bcast = record.NewBroadcaster(record.WithContext(runCtx))
	a.bcast.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	a.recorder = a.bcast.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet"})

	factory := informers.NewSharedInformerFactory(cs, 10*time.Minute)
	podInf := factory.Core().V1().Pods()
	nodeInf := factory.Core().V1().Nodes()
	svcInf := factory.Core().V1().Services()
	sliceInf := factory.Discovery().V1().EndpointSlices()
	a.pods, a.nodes, a.services, a.slices = podInf.Lister(), nodeInf.Lister(), svcInf.Lister(), sliceInf.Lister()
	podKey := func(o any) {
		if k, err := cache.DeletionHandlingMetaNamespaceKeyFunc(o); err == nil {
			a.podQ.Add(k)
		}
	}
	_, _ = podInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: podKey, UpdateFunc: func(_, o any) { podKey(o) }, DeleteFunc: podKey,
	})
	proxyAll := func(any) { a.proxyQ.Add("sync") }
	for _, inf := range []cache.SharedIndexInformer{svcInf.Informer(), sliceInf.Informer()} {
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: proxyAll, UpdateFunc: func(_, o any) { proxyAll(o) }, DeleteFunc: proxyAll,
		})
	}
	_, _ = nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { a.proxyQ.Add("sync"); a.requeuePending() },
		UpdateFunc: func(_, o any) {
			a.requeuePending()
		},
		DeleteFunc: proxyAll,
	})
	factory.Start(runCtx.Done())
	syncCtx, syncCancel := context.WithTimeout(ctx, time.Minute)
	defer syncCancel()
	for typ, ok := range factory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			cancel()
			factory.Shutdown()
			a.podQ.ShutDown()
			a.proxyQ.ShutDown()
			a.bcast.Shutdown()
			return nil, fmt.Errorf("nodeagent: informer %v did not sync", typ)
		}
	}
	a.wg.Go(func() {
		<-runCtx.Done()
		a.podQ.ShutDown()
		a.proxyQ.ShutDown()
		factory.Shutdown()
	})
	for range 2 {
		a.wg.Go(func() {
			for a.podWork(runCtx) {
			}
		})
	}
	a.wg.Go(func() {
		for a.proxyWork(runCtx) {
		}
	})
	a.proxyQ.Add("sync")
	log.Info("node agent started")
	return a, nil
}

// Stop stops every pod's containers and the node ports, withdraws the
// declared listeners and ends the agent. Pod objects stay as they are.
func (a *Agent) Stop() {
	a.stopOnce.Do(func() {
		a.cancel()
		a.wg.Wait()
		a.mu.Lock()
		runs := make([]*podRun, 0, len(a.running))
		for _, r := range a.running {
			runs = append(runs, r)
		}
		a.running = map[string]*podRun{}
		a.byAddr = map[netip.AddrPort]netip.AddrPort{}
		ports := a.ports
		a.ports = map[string]*nodePort{}
		declared := a.declared
		a.declared = map[string]string{}
		a.mu.Unlock()
		for _, r := range runs {
			r.stop()
		}
		for _, np := range ports {
			np.close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for path := range declared {
			if err := a.cfg.ARM.Delete(ctx, path, ListenerAPIVersion, false); err != nil && !isNotFound(err) {
				a.log.Warn("withdraw node port listener", "listener", path, "err", err)
			}
		}
		a.bcast.Shutdown()
	})
}

// PodAddr returns the loopback address that serves a pod's container
// port (podIP:port), for callers that carry traffic to pods.
func (a *Agent) PodAddr(pod netip.AddrPort) (netip.AddrPort, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.byAddr[pod]
	return r, ok
}

func (a *Agent) nodeByName(name string) (Node, bool) {
	for _, n := range a.cfg.Nodes() {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// requeuePending re-examines unscheduled pods after a node change.
func (a *Agent) requeuePending() {
	list, err := a.pods.List(everything)
	if err != nil {
		return
	}
	for _, p := range list {
		if p.Spec.NodeName == "" {
			a.podQ.Add(p.Namespace + "/" + p.Name)
		}
	}
}
