package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/store/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Config configures a Manager.
type Config struct {
	// DataDir holds one directory per cluster (DataDir/<Key>, mode 0700)
	// with its PKI; it survives restarts.
	DataDir string
	// Etcd returns the etcd client endpoints the API servers store their
	// objects in (e.g. "unix:///…/kube-etcd.sock"). It is called at the
	// first Start and Delete.
	Etcd func(ctx context.Context) ([]string, error)
	// Log receives the manager's logs and, at debug level (warn for
	// errors), the logs of the embedded Kubernetes components.
	Log *slog.Logger
	// KubectlShim is an optional command prefix that runs the embedded
	// kubectl (e.g. [privlinkBinary, "kubectl"]); RunCommand puts a
	// `kubectl` running it first in the PATH of shell commands.
	KubectlShim []string
}

// ClusterSpec describes a cluster's control plane.
type ClusterSpec struct {
	// Key is stable and made of [a-z0-9-]: the PKI directory name and the
	// etcd prefix "/privlink/kube/<Key>/".
	Key string
	// Name is the cluster name (logs, kubeconfig defaults).
	Name string
	// DNSNames are serving-certificate DNS SANs (public FQDN, private
	// FQDN, ...).
	DNSNames []string
	// IPs are serving-certificate IP SANs (fabric addresses of the API
	// server).
	IPs []netip.Addr
	// ServiceCIDR is the service address range (default 10.0.0.0/16); the
	// kubernetes Service gets its first address, also a SAN.
	ServiceCIDR netip.Prefix
	// AdvertiseAddress is published in the kubernetes Endpoints (a fabric
	// address; it is never dialed on the host).
	AdvertiseAddress netip.Addr
}

// DefaultServiceCIDR is AKS's default service address range.
var DefaultServiceCIDR = netip.MustParsePrefix("10.0.0.0/16")

var keyRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Manager runs the control planes of the clusters in this process.
type Manager struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	clusters  map[string]*Cluster
	ports     map[string]uint16 // last port of each cluster, reused on restart
	keyLocks  map[string]*sync.Mutex
	endpoints []string
	closed    bool
}

// NewManager returns a Manager. It routes klog (the Kubernetes components'
// logger, a process-wide setting) to cfg.Log.
func NewManager(cfg Config) *Manager {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	routeKlog(log)
	return &Manager{
		cfg:      cfg,
		log:      log,
		clusters: map[string]*Cluster{},
		ports:    map[string]uint16{},
		keyLocks: map[string]*sync.Mutex{},
	}
}

func (m *Manager) lockKey(key string) func() {
	m.mu.Lock()
	l := m.keyLocks[key]
	if l == nil {
		l = &sync.Mutex{}
		m.keyLocks[key] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (m *Manager) etcdEndpoints(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	eps := m.endpoints
	m.mu.Unlock()
	if eps != nil {
		return eps, nil
	}
	if m.cfg.Etcd == nil {
		return nil, errors.New("kube: no etcd configured")
	}
	eps, err := m.cfg.Etcd(ctx)
	if err != nil {
		return nil, fmt.Errorf("kube: etcd endpoints: %w", err)
	}
	if len(eps) == 0 {
		return nil, errors.New("kube: etcd endpoints: none")
	}
	m.mu.Lock()
	m.endpoints = eps
	m.mu.Unlock()
	return eps, nil
}

// normalize validates spec and fills its defaults.
func normalize(spec ClusterSpec) (ClusterSpec, netip.Addr, error) {
	if !keyRE.MatchString(spec.Key) {
		return spec, netip.Addr{}, fmt.Errorf("kube: invalid cluster key %q: use 1-63 characters of [a-z0-9-]", spec.Key)
	}
	if spec.Name == "" {
		spec.Name = spec.Key
	}
	if !spec.ServiceCIDR.IsValid() {
		spec.ServiceCIDR = DefaultServiceCIDR
	}
	spec.ServiceCIDR = spec.ServiceCIDR.Masked()
	if !spec.AdvertiseAddress.IsValid() {
		return spec, netip.Addr{}, fmt.Errorf("kube: cluster %s: no advertise address", spec.Key)
	}
	svc := spec.ServiceCIDR.Addr().Next()
	if !spec.ServiceCIDR.Contains(svc) {
		return spec, netip.Addr{}, fmt.Errorf("kube: service CIDR %s is too small", spec.ServiceCIDR)
	}
	return spec, svc, nil
}

// Start starts the cluster's API server and controller-manager and returns
// when the API server's /readyz is ok. It is idempotent: a running cluster
// with the same serving-certificate SANs is returned as is; if the SANs
// changed, the serving certificate is re-issued by the same CA (other
// credentials are kept) and the API server restarted.
func (m *Manager) Start(ctx context.Context, spec ClusterSpec) (*Cluster, error) {
	spec, svcIP, err := normalize(spec)
	if err != nil {
		return nil, err
	}
	unlock := m.lockKey(spec.Key)
	defer unlock()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("kube: manager is closed")
	}
	c := m.clusters[spec.Key]
	m.mu.Unlock()

	dns, ips := servingSANs(spec, svcIP)
	if c != nil {
		c.setSpec(spec)
		if c.pki.servingCurrent(dns, ips) {
			return c, nil
		}
		m.log.Info("kube: serving certificate SANs changed; restarting the API server", "cluster", spec.Name)
		if err := c.restart(ctx, func() error { return c.pki.ensureServing(dns, ips) }); err != nil {
			return nil, err
		}
		return c, nil
	}

	endpoints, err := m.etcdEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	p, err := loadOrCreatePKI(filepath.Join(m.cfg.DataDir, spec.Key))
	if err != nil {
		return nil, err
	}
	if err := p.ensureServing(dns, ips); err != nil {
		return nil, err
	}
	c = &Cluster{m: m, spec: spec, pki: p, endpoints: endpoints, log: m.log.With("cluster", spec.Name)}
	m.mu.Lock()
	port := m.ports[spec.Key]
	m.mu.Unlock()
	begin := time.Now()
	if err := c.start(ctx, port); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.clusters[spec.Key] = c
	m.ports[spec.Key] = c.Addr().Port()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		_ = c.stop()
		return nil, errors.New("kube: manager is closed")
	}
	c.log.Info("kube: control plane ready", "elapsed", time.Since(begin).Round(time.Millisecond))
	return c, nil
}

// Get returns the running cluster with this key, or nil.
func (m *Manager) Get(key string) *Cluster {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clusters[key]
}

// Stop stops the cluster's controller-manager, then its API server. Its
// data (objects in etcd, PKI) stays.
func (m *Manager) Stop(key string) error {
	unlock := m.lockKey(key)
	defer unlock()
	m.mu.Lock()
	c := m.clusters[key]
	delete(m.clusters, key)
	m.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.stop()
}

// Delete stops the cluster and deletes its objects (the etcd prefix) and
// its PKI directory.
func (m *Manager) Delete(ctx context.Context, key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("kube: invalid cluster key %q", key)
	}
	if err := m.Stop(key); err != nil {
		return err
	}
	unlock := m.lockKey(key)
	defer unlock()
	endpoints, err := m.etcdEndpoints(ctx)
	if err != nil {
		return err
	}
	cli, err := etcd.Dial(ctx, endpoints, m.log)
	if err != nil {
		return fmt.Errorf("kube: delete cluster %s: %w", key, err)
	}
	defer cli.Close()
	if _, err := cli.Delete(ctx, etcdPrefix(key)+"/", clientv3.WithPrefix()); err != nil {
		return fmt.Errorf("kube: delete cluster %s: etcd: %w", key, err)
	}
	if err := os.RemoveAll(filepath.Join(m.cfg.DataDir, key)); err != nil {
		return fmt.Errorf("kube: delete cluster %s: %w", key, err)
	}
	m.mu.Lock()
	delete(m.ports, key)
	m.mu.Unlock()
	return nil
}

// Close stops every cluster. The storage must outlive it.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	keys := make([]string, 0, len(m.clusters))
	for k := range m.clusters {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	slices.Sort(keys)
	var errs []error
	var wg sync.WaitGroup
	var emu sync.Mutex
	for _, k := range keys {
		wg.Go(func() {
			if err := m.Stop(k); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Cluster is a running control plane.
type Cluster struct {
	m         *Manager
	pki       *clusterPKI
	endpoints []string
	log       *slog.Logger

	mu   sync.Mutex
	spec ClusterSpec
	addr netip.AddrPort
	api  *runningAPIServer
	cm   *runningCM
	hb   *heartbeat
}

func (c *Cluster) setSpec(s ClusterSpec) {
	c.mu.Lock()
	c.spec = s
	c.mu.Unlock()
}

// Spec returns the spec the cluster was last started with (defaults
// filled in).
func (c *Cluster) Spec() ClusterSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spec
}

// Addr is the loopback address the API server accepts connections on, from
// this process only; privlink's data plane delivers API server connections
// there.
func (c *Cluster) Addr() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// CACert returns the cluster CA certificate in PEM.
func (c *Cluster) CACert() []byte { return c.pki.ca.CertPEM() }

// RESTConfig returns an admin (system:masters) client configuration that
// dials Addr directly; for in-process callers.
func (c *Cluster) RESTConfig() *rest.Config {
	return c.restConfig(c.pki.adminCert, c.pki.adminKey)
}

func (c *Cluster) restConfig(cert, key []byte) *rest.Config {
	return &rest.Config{
		Host: "https://" + c.Addr().String(),
		TLSClientConfig: rest.TLSClientConfig{
			ServerName: "kubernetes",
			CAData:     c.CACert(),
			CertData:   cert,
			KeyData:    key,
		},
		QPS:   50,
		Burst: 100,
	}
}

// start starts the API server (on port, or a new one), waits for it and
// starts the controller-manager and the node heartbeat.
func (c *Cluster) start(ctx context.Context, port uint16) error {
	if err := c.startAPI(ctx, port); err != nil {
		return err
	}
	cm, err := c.startCMRetrying()
	if err != nil {
		_ = c.api.stop()
		return err
	}
	c.mu.Lock()
	c.cm = cm
	c.hb = newHeartbeat(c)
	c.mu.Unlock()
	return nil
}

func (c *Cluster) startCMRetrying() (*runningCM, error) {
	var err error
	for range 3 {
		var cm *runningCM
		if cm, err = c.startControllerManager(); err == nil {
			return cm, nil
		}
	}
	return nil, err
}

func (c *Cluster) startAPI(ctx context.Context, port uint16) error {
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	l, err := listenOwnerOnly(addr.String(), c.log)
	if err != nil && port != 0 {
		// The previous port was taken meanwhile: use a new one.
		l, err = listenOwnerOnly("127.0.0.1:0", c.log)
	}
	if err != nil {
		return err
	}
	ap, err := netip.ParseAddrPort(l.Addr().String())
	if err != nil {
		_ = l.Close()
		return fmt.Errorf("kube: listener address: %w", err)
	}
	c.mu.Lock()
	c.addr = ap
	c.mu.Unlock()
	api, err := c.startAPIServer(c.endpoints, l)
	if err != nil {
		_ = l.Close()
		return err
	}
	c.mu.Lock()
	c.api = api
	c.mu.Unlock()
	if err := c.waitReady(ctx); err != nil {
		_ = api.stop()
		return err
	}
	return nil
}

// waitReady polls /readyz until it answers ok.
func (c *Cluster) waitReady(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("kube: client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var last error
	for {
		var status int
		res := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx)
		res.StatusCode(&status)
		if status == 200 {
			if _, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{}); err == nil {
				return nil
			} else {
				last = err
			}
		} else {
			last = res.Error()
		}
		select {
		case err, ok := <-c.api.done:
			if !ok || err == nil {
				err = errors.New("stopped")
			}
			return fmt.Errorf("kube: API server of %s exited at start: %w", c.spec.Name, err)
		case <-ctx.Done():
			return fmt.Errorf("kube: API server of %s not ready: %w (last: %v)", c.spec.Name, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop stops the heartbeat, the controller-manager, then the API server.
func (c *Cluster) stop() error {
	c.mu.Lock()
	hb, cm, api := c.hb, c.cm, c.api
	c.hb, c.cm, c.api = nil, nil, nil
	c.mu.Unlock()
	if hb != nil {
		hb.stop()
	}
	if cm != nil {
		cm.stop()
	}
	if api != nil {
		return api.stop()
	}
	return nil
}

// restart stops the control plane, runs between (which re-issues the
// serving certificate) and starts it again on the same port.
func (c *Cluster) restart(ctx context.Context, between func() error) error {
	port := c.Addr().Port()
	nodes := c.currentNodes()
	if err := c.stop(); err != nil {
		c.log.Warn("kube: API server stopped with an error", "err", err)
	}
	err := between()
	if err == nil {
		err = c.start(ctx, port)
	}
	if err != nil {
		c.m.mu.Lock()
		delete(c.m.clusters, c.spec.Key)
		c.m.mu.Unlock()
		return err
	}
	c.hb.set(nodes)
	c.m.mu.Lock()
	c.m.ports[c.spec.Key] = c.Addr().Port()
	c.m.mu.Unlock()
	return nil
}

// writeControllerManagerKubeconfig writes the controller-manager's
// kubeconfig (it reads a file); the server is Addr.
func (c *Cluster) writeControllerManagerKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{
		Server:                   "https://" + c.Addr().String(),
		TLSServerName:            "kubernetes",
		CertificateAuthorityData: c.CACert(),
	}
	cfg.AuthInfos[controllerUser] = &clientcmdapi.AuthInfo{
		ClientCertificateData: c.pki.cmCert,
		ClientKeyData:         c.pki.cmKey,
	}
	cfg.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: controllerUser}
	cfg.CurrentContext = "local"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("kube: controller-manager kubeconfig: %w", err)
	}
	return writeFile(c.pki.path(fileCMKubeconfig), data, 0o600)
}
