package kube

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// serviceAccountIssuer is the issuer of service-account tokens of a cluster
// without the OIDC issuer feature, as on AKS.
const serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// globalsOnce applies the process-wide component globals (feature gates and
// effective version) once; they are shared by every API server in the
// process.
var globalsOnce = sync.OnceValue(func() error {
	s := options.NewServerRunOptions()
	return s.GenericServerRunOptions.ComponentGlobalsRegistry.Set()
})

// apiServerFlags are the kube-apiserver command-line flags of a cluster.
func (c *Cluster) apiServerFlags(endpoints []string) []string {
	p := c.pki
	spec := c.spec
	return []string{
		"--etcd-servers=" + strings.Join(endpoints, ","),
		"--etcd-prefix=" + etcdPrefix(spec.Key),
		// Compaction is left to the shared etcd's own auto-compaction:
		// an API server compacts the whole keyspace, which would cut the
		// history of the other clusters and of privlink's own state.
		"--etcd-compaction-interval=0",
		"--service-cluster-ip-range=" + spec.ServiceCIDR.String(),
		"--advertise-address=" + spec.AdvertiseAddress.String(),
		"--endpoint-reconciler-type=lease",
		"--client-ca-file=" + p.path(fileCACert),
		"--tls-cert-file=" + p.path(fileServingCert),
		"--tls-private-key-file=" + p.path(fileServingKey),
		"--service-account-issuer=" + serviceAccountIssuer,
		"--service-account-key-file=" + p.path(fileSAPub),
		"--service-account-signing-key-file=" + p.path(fileSAKey),
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--requestheader-client-ca-file=" + p.path(fileFrontProxyCA),
		"--requestheader-allowed-names=" + frontProxyClient,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + p.path(fileFrontProxyCert),
		"--proxy-client-key-file=" + p.path(fileFrontProxyKey),
		"--enable-aggregator-routing=false",
		"--profiling=false",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(int(c.addr.Port())),
	}
}

// runningAPIServer is an API server goroutine.
type runningAPIServer struct {
	cancel context.CancelFunc
	done   chan error // receives Run's result, then is closed
}

// startAPIServer builds the API server of the cluster on listener l and
// runs it in a goroutine until stop.
func (c *Cluster) startAPIServer(endpoints []string, l *ownerOnlyListener) (*runningAPIServer, error) {
	if err := globalsOnce(); err != nil {
		return nil, fmt.Errorf("kube: component globals: %w", err)
	}
	s := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(c.apiServerFlags(endpoints)); err != nil {
		return nil, fmt.Errorf("kube: API server flags: %w", err)
	}
	s.SecureServing.Listener = l
	s.SecureServing.BindPort = int(c.addr.Port())

	ctx, cancel := context.WithCancel(context.Background())
	completed, err := s.Complete(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: API server options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		cancel()
		return nil, fmt.Errorf("kube: API server options: %w", utilerrors.NewAggregate(errs))
	}
	config, err := app.NewConfig(completed)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: API server config: %w", err)
	}
	cc, err := config.Complete()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: API server config: %w", err)
	}
	server, err := app.CreateServerChain(cc)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: API server: %w", err)
	}
	prepared, err := server.PrepareRun()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("kube: API server: %w", err)
	}
	r := &runningAPIServer{cancel: cancel, done: make(chan error, 1)}
	go func() {
		defer close(r.done)
		err := prepared.Run(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			r.done <- err
		}
	}()
	return r, nil
}

// stop shuts the API server down and waits for it.
func (r *runningAPIServer) stop() error {
	r.cancel()
	if err := <-r.done; err != nil {
		return fmt.Errorf("kube: API server: %w", err)
	}
	return nil
}

// etcdPrefix is where a cluster keeps its objects in etcd.
func etcdPrefix(key string) string { return "/privlink/kube/" + key }
