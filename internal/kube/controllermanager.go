package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/configz"
	cmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	cmoptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
)

// controllers are the controller-manager loops a cluster without kubelets
// needs. Node IPAM, node lifecycle, cloud and volume controllers are left
// out: with no kubelet they would only taint or evict.
var controllers = []string{
	"namespace-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"deployment-controller",
	"replicaset-controller",
	"replicationcontroller-controller",
	"endpoints-controller",
	"endpointslice-controller",
	"endpointslice-mirroring-controller",
	"garbage-collector-controller",
	"job-controller",
	"cronjob-controller",
	"daemonset-controller",
	"statefulset-controller",
	"ttl-after-finished-controller",
	"root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller",
	"resourcequota-controller",
	"disruption-controller",
}

// cmStartMu serializes controller-manager starts: the controller-manager
// registers process-wide names (its configz entry and its informer name)
// that a second one in the same process would collide with.
var cmStartMu sync.Mutex

const cmInformerName = "kube-controller-manager"

// runningCM is a controller-manager goroutine with its own context.
type runningCM struct {
	cancel context.CancelFunc
	done   chan error
}

func (c *Cluster) controllerManagerFlags() []string {
	p := c.pki
	return []string{
		"--kubeconfig=" + p.path(fileCMKubeconfig),
		"--secure-port=0",
		"--leader-elect=false",
		"--controllers=" + strings.Join(controllers, ","),
		"--service-account-private-key-file=" + p.path(fileSAKey),
		"--root-ca-file=" + p.path(fileCACert),
		"--cluster-name=" + c.spec.Name,
		"--use-service-account-credentials=true",
		"--profiling=false",
	}
}

// startControllerManager starts the cluster's controller-manager; the API
// server must be ready.
func (c *Cluster) startControllerManager() (*runningCM, error) {
	if err := c.writeControllerManagerKubeconfig(); err != nil {
		return nil, err
	}
	s, err := cmoptions.NewKubeControllerManagerOptions()
	if err != nil {
		return nil, fmt.Errorf("kube: controller-manager options: %w", err)
	}
	known, disabled, aliases := cmapp.KnownControllers(), cmapp.ControllersDisabledByDefault(), cmapp.ControllerAliases()
	fs := pflag.NewFlagSet("kube-controller-manager", pflag.ContinueOnError)
	for _, f := range s.Flags(known, disabled, aliases).FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(c.controllerManagerFlags()); err != nil {
		return nil, fmt.Errorf("kube: controller-manager flags: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg, err := s.Config(ctx, known, disabled, aliases)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: controller-manager config: %w", err)
	}
	completed := cfg.Complete()
	r := &runningCM{cancel: cancel, done: make(chan error, 1)}

	cmStartMu.Lock()
	defer cmStartMu.Unlock()
	configz.Delete(cmapp.ConfigzName)
	cache.ResetInformerNamesForTesting()
	go func() {
		defer close(r.done)
		if err := cmapp.Run(ctx, completed); err != nil && !errors.Is(err, context.Canceled) {
			r.done <- err
		}
	}()
	// Hold the lock until this controller-manager has taken its informer
	// name, so that the next one (which resets the registry) cannot collide.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		n, err := cache.NewInformerName(cmInformerName)
		if err != nil {
			return r, nil // taken by the controller-manager
		}
		n.Release()
		select {
		case err, ok := <-r.done:
			if !ok {
				err = errors.New("stopped at start")
			}
			cancel()
			return nil, fmt.Errorf("kube: controller-manager: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	r.stop()
	return nil, errors.New("kube: controller-manager did not start within 30s")
}

// stop cancels the controller-manager and waits for its controllers.
func (r *runningCM) stop() {
	r.cancel()
	for range r.done {
	}
}
