package cloudprovider

import (
	"github.com/privlink/privlink/internal/arm"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// ARM is how the cloud provider reaches Azure: the ARM front end in
// process (the same interface as containerservice.ARMClient, declared
// here to avoid an import cycle). Errors that carry an HTTP status
// implement StatusCode() int or NotFound() bool, or are *arm.Error.
type ARM = arm.Client

// Node is a node VM as the AKS resource provider knows it.
type Node struct {
	// Name is the Kubernetes node name (the VM's computer name).
	Name string
	// NICID is the node's network interface and IPConfig the name of its
	// primary IP configuration ("ipconfig1"): the backend pool member.
	NICID    string
	IPConfig string
}

// Config configures the cloud provider of one cluster.
type Config struct {
	// ClusterName is cloud-provider-azure's cluster name: the public load
	// balancer is <ClusterName>, the internal one <ClusterName>-internal,
	// the backend pool <ClusterName>, and the k8s-azure-cluster-name tag.
	// AKS runs its cloud provider with "kubernetes".
	ClusterName string
	// Subscription, NodeResourceGroup and Region locate what is created.
	Subscription      string
	NodeResourceGroup string
	Region            string
	// NodeSubnetID is the node subnet (internal frontends and NAT IPs by
	// default); VNetID its virtual network, where named subnets are looked
	// up. VNetID defaults to NodeSubnetID's network.
	NodeSubnetID string
	VNetID       string
	// ARM creates the Azure resources; Kube is an admin client
	// configuration of the cluster's API server.
	ARM  ARM
	Kube *rest.Config
	// Nodes returns the cluster's node VMs (called at each reconciliation).
	Nodes func() []Node
	// Log receives the provider's logs.
	Log *slog.Logger
	// Resync re-reconciles every LoadBalancer Service this often (default
	// 5 minutes); RetryBase and RetryMax bound the per-Service backoff
	// after a failure (defaults 1s and 5 minutes).
	Resync    time.Duration
	RetryBase time.Duration
	RetryMax  time.Duration
}

// APIVersion is the Microsoft.Network api-version of the provider's calls.
const APIVersion = "2022-05-01"

// Provider is a running cloud provider; Stop ends it.
type Provider struct {
	cfg      Config
	log      *slog.Logger
	cs       kubernetes.Interface
	services corelisters.ServiceLister
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder record.EventRecorder
	bcast    record.EventBroadcaster
	cancel   context.CancelFunc
	done     chan struct{}
	lbMu     sync.Mutex // one load balancer write sequence at a time
	stopOnce sync.Once
}

// Start validates cfg, starts the informers and the worker, and returns
// once the caches have synced.
func Start(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.ClusterName == "" || cfg.Subscription == "" || cfg.NodeResourceGroup == "" || cfg.Region == "" || cfg.NodeSubnetID == "" {
		return nil, errors.New("cloudprovider: ClusterName, Subscription, NodeResourceGroup, Region and NodeSubnetID are required")
	}
	if cfg.ARM == nil || cfg.Kube == nil || cfg.Nodes == nil {
		return nil, errors.New("cloudprovider: ARM, Kube and Nodes are required")
	}
	if cfg.VNetID == "" {
		cfg.VNetID = vnetOf(cfg.NodeSubnetID)
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 5 * time.Minute
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 5 * time.Minute
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "cloudprovider", "cluster", cfg.ClusterName, "nodeResourceGroup", cfg.NodeResourceGroup)
	cs, err := kubernetes.NewForConfig(cfg.Kube)
	if err != nil {
		return nil, fmt.Errorf("cloudprovider: client: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p := &Provider{cfg: cfg, log: log, cs: cs, cancel: cancel, done: make(chan struct{})}
	p.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](cfg.RetryBase, cfg.RetryMax),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "cloudprovider"})
	p.bcast = record.NewBroadcaster(record.WithContext(runCtx))
	p.bcast.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	p.recorder = p.bcast.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "service-controller"})

	factory := informers.NewSharedInformerFactory(cs, cfg.Resync)
	svcInf := factory.Core().V1().Services()
	p.services = svcInf.Lister()
	_, _ = svcInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { p.enqueue(o) },
		UpdateFunc: func(o, n any) {
			if needsSync(o, n) {
				p.enqueue(n)
			}
		},
		DeleteFunc: func(o any) { p.enqueue(o) },
	})
	nodeInf := factory.Core().V1().Nodes()
	_, _ = nodeInf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { p.enqueueAll() },
		DeleteFunc: func(any) { p.enqueueAll() },
	})
	factory.Start(runCtx.Done())
	syncCtx, syncCancel := context.WithTimeout(ctx, time.Minute)
	defer syncCancel()
	for typ, ok := range factory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			cancel()
			factory.Shutdown()
			p.queue.ShutDown()
			p.bcast.Shutdown()
			return nil, fmt.Errorf("cloudprovider: informer %v did not sync", typ)
		}
	}
	go func() {
		defer close(p.done)
		defer factory.Shutdown()
		go func() {
			<-runCtx.Done()
			p.queue.ShutDown()
		}()
		for p.work(runCtx) {
		}
	}()
	log.Info("cloud provider started")
	return p, nil
}

// Stop ends the provider and waits for its worker. Azure resources stay.
func (p *Provider) Stop() {
	p.stopOnce.Do(func() {
		p.cancel()
		<-p.done
		p.bcast.Shutdown()
	})
}

func (p *Provider) enqueue(o any) {
	if d, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = d.Obj
	}
	s, ok := o.(*corev1.Service)
	if !ok {
		return
	}
	if k, err := cache.MetaNamespaceKeyFunc(s); err == nil {
		p.queue.Add(k)
	}
}

// needsSync tells whether a Service update concerns the load balancer:
// not for changes of status or finalizers alone (the provider's own
// writes), always for periodic resyncs.
func needsSync(o, n any) bool {
	a, ok1 := o.(*corev1.Service)
	b, ok2 := n.(*corev1.Service)
	if !ok1 || !ok2 || a.ResourceVersion == b.ResourceVersion {
		return true
	}
	return !apiequality.Semantic.DeepEqual(a.Spec, b.Spec) || !maps.Equal(a.Annotations, b.Annotations) ||
		(a.DeletionTimestamp == nil) != (b.DeletionTimestamp == nil) || a.UID != b.UID
}

func (p *Provider) enqueueAll() {
	list, err := p.services.List(everything)
	if err != nil {
		return
	}
	for _, s := range list {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer || slices.Contains(s.Finalizers, loadBalancerCleanupFinz) {
			p.enqueue(s)
		}
	}
}

func (p *Provider) work(ctx context.Context) bool {
	key, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(key)
	if err := p.sync(ctx, key); err != nil {
		if ctx.Err() == nil {
			level := slog.LevelDebug
			if p.queue.NumRequeues(key) == 0 {
				level = slog.LevelWarn
			}
			p.log.Log(ctx, level, "service reconciliation failed; retrying with backoff", "service", key, "err", err)
			p.queue.AddRateLimited(key)
		}
		return true
	}
	p.queue.Forget(key)
	return true
}

// wantsLB tells whether the service should have a load balancer.
func wantsLB(s *corev1.Service) bool {
	return s.DeletionTimestamp == nil && s.Spec.Type == corev1.ServiceTypeLoadBalancer &&
		(s.Spec.LoadBalancerClass == nil || *s.Spec.LoadBalancerClass == "")
}

// sync reconciles one Service, like the Kubernetes service controller
// with cloud-provider-azure as its cloud: events, finalizer, status.
func (p *Provider) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	svc, err := p.services.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil // gone; the finalizer made us clean up before
	}
	if err != nil {
		return err
	}
	if !wantsLB(svc) {
		if !slices.Contains(svc.Finalizers, loadBalancerCleanupFinz) {
			return nil
		}
		p.recorder.Event(svc, corev1.EventTypeNormal, "DeletingLoadBalancer", "Deleting load balancer")
		if err := p.ensureDeleted(ctx, svc); err != nil {
			p.recorder.Eventf(svc, corev1.EventTypeWarning, "DeleteLoadBalancerFailed", "Error deleting load balancer: %v", err)
			return err
		}
		if err := p.setIngress(ctx, svc, ""); err != nil {
			return err
		}
		if err := p.removeFinalizer(ctx, svc); err != nil {
			return err
		}
		p.recorder.Event(svc, corev1.EventTypeNormal, "DeletedLoadBalancer", "Deleted load balancer")
		return nil
	}
	if err := p.addFinalizer(ctx, svc); err != nil {
		return err
	}
	p.recorder.Event(svc, corev1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
	ip, err := p.ensure(ctx, svc)
	if err != nil {
		err = fmt.Errorf("failed to ensure load balancer: %w", err)
		p.recorder.Eventf(svc, corev1.EventTypeWarning, "SyncLoadBalancerFailed", "Error syncing load balancer: %v", err)
		return err
	}
	if err := p.setIngress(ctx, svc, ip); err != nil {
		return err
	}
	p.recorder.Event(svc, corev1.EventTypeNormal, "EnsuredLoadBalancer", "Ensured load balancer")
	return nil
}

func (p *Provider) addFinalizer(ctx context.Context, svc *corev1.Service) error {
	if slices.Contains(svc.Finalizers, loadBalancerCleanupFinz) {
		return nil
	}
	upd := svc.DeepCopy()
	upd.Finalizers = append(upd.Finalizers, loadBalancerCleanupFinz)
	_, err := p.cs.CoreV1().Services(svc.Namespace).Update(ctx, upd, metav1.UpdateOptions{})
	return err
}

func (p *Provider) removeFinalizer(ctx context.Context, svc *corev1.Service) error {
	return wait.ExponentialBackoffWithContext(ctx, wait.Backoff{Steps: 5, Duration: 100 * time.Millisecond, Factor: 2},
		func(ctx context.Context) (bool, error) {
			cur, err := p.cs.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			if err != nil {
				return false, err
			}
			cur.Finalizers = slices.DeleteFunc(cur.Finalizers, func(f string) bool { return f == loadBalancerCleanupFinz })
			_, err = p.cs.CoreV1().Services(svc.Namespace).Update(ctx, cur, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				return false, nil
			}
			return err == nil || apierrors.IsNotFound(err), err
		})
}

func (p *Provider) setIngress(ctx context.Context, svc *corev1.Service, ip string) error {
	var want []corev1.LoadBalancerIngress
	if ip != "" {
		want = []corev1.LoadBalancerIngress{{IP: ip, IPMode: ptrTo(corev1.LoadBalancerIPModeVIP)}}
	}
	cur, err := p.cs.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(cur.Status.LoadBalancer.Ingress) == len(want) && (len(want) == 0 || cur.Status.LoadBalancer.Ingress[0].IP == ip) {
		return nil
	}
	cur.Status.LoadBalancer.Ingress = want
	_, err = p.cs.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
	return err
}

func ptrTo[T any](v T) *T { return &v }

func vnetOf(subnet string) string {
	if i := strings.Index(strings.ToLower(subnet), "/subnets/"); i >= 0 {
		return subnet[:i]
	}
	return subnet
}
