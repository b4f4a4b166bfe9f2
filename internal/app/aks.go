package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/armclient"
	"github.com/privlink/privlink/internal/auth"
	clarm "github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/providers/containerservice"
	etcdstore "github.com/privlink/privlink/internal/store/etcd"
)

// AKSAppID is the application (client) ID of the AKS resource provider's
// first-party identity: the caller of the ARM requests a cluster makes for
// the resources it owns (node resource group, endpoint, zone, machines).
var AKSAppID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/aks-resource-provider")).String()

// handlerTransport carries HTTP requests to an in-process handler: the
// AKS provider's ARM calls go through the same front end as users' calls
// (authentication, validation, long-running operations) without a socket.
// The request's context travels with it, which is how the network
// providers recognise a delegated service (network.WithDelegatedService).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

// issuerTokens mints a first-party identity's tokens in process.
type issuerTokens struct {
	iss      *auth.Issuer
	appID    string
	audience string

	mu      sync.Mutex
	token   string
	expires time.Time
}

func (s *issuerTokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && time.Until(s.expires) > 5*time.Minute {
		return s.token, nil
	}
	tok, exp, err := s.iss.IssueToken(auth.TokenRequest{ClientID: s.appID, Audience: s.audience})
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, exp
	return tok, nil
}

// newInProcessARM returns an ARM client on the handler, authenticated as
// the first-party identity appID (a platform service: AKS, Front Door).
func newInProcessARM(h http.Handler, iss *auth.Issuer, endpoint, appID, userAgent string) (armclient.Adapter, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return armclient.Adapter{}, err
	}
	c := &clarm.Client{Endpoint: u, HTTP: &http.Client{Transport: handlerTransport{h}},
		Tokens: &issuerTokens{iss: iss, appID: appID, audience: endpoint + "/"}, PollInterval: 20 * time.Millisecond,
		Header: http.Header{"User-Agent": []string{userAgent}}}
	return armclient.Adapter{C: c}, nil
}

// kubeEtcd gives the API servers an etcd endpoint: the embedded store's
// own etcd on a unix socket (0700 directory), a separate embedded etcd
// when the ARM store is in memory, or the external etcd's endpoints.
type kubeEtcd struct {
	d *Daemon

	mu       sync.Mutex
	own      *etcdstore.Embedded
	endpoint []string
}

func (k *kubeEtcd) endpoints(ctx context.Context) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.endpoint != nil {
		return k.endpoint, nil
	}
	cfg := k.d.Config
	switch {
	case cfg.Store == "embedded":
		k.endpoint = []string{k.d.kubeSocketURL()}
	case cfg.Store == "memory":
		dir := filepath.Join(cfg.DataDir, "kube-etcd")
		sock, err := shortSocket(cfg.DataDir, "kube-etcd.sock")
		if err != nil {
			return nil, err
		}
		em, err := etcdstore.StartEmbedded(ctx, etcdstore.EmbeddedConfig{Dir: dir, ClientURLs: []string{"unix://" + sock}},
			k.d.log.With("component", "kube-etcd"))
		if err != nil {
			return nil, fmt.Errorf("start etcd for Kubernetes: %w", err)
		}
		k.own = em
		k.endpoint = []string{"unix://" + sock}
	default:
		eps, err := etcdstore.ParseDSN(cfg.Store)
		if err != nil {
			return nil, err
		}
		k.endpoint = eps
	}
	return k.endpoint, nil
}

func (k *kubeEtcd) stop(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.own != nil {
		err := k.own.Stop(ctx)
		k.own = nil
		return err
	}
	return nil
}

// shortSocket returns a unix socket path for name: in dataDir when short
// enough (sun_path holds 107 bytes), else in a private temporary dir.
func shortSocket(dataDir, name string) (string, error) {
	p := filepath.Join(dataDir, name)
	if abs, err := filepath.Abs(p); err == nil && len(abs) < 100 {
		return abs, nil
	}
	dir, err := os.MkdirTemp("", "privlink-")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// kubeSocketURL is the unix URL the embedded etcd serves Kubernetes on.
func (d *Daemon) kubeSocketURL() string { return "unix://" + d.kubeSock }

// newAKS builds the managed-cluster provider and its Kubernetes runtime.
func (d *Daemon) newAKS(h http.Handler, iss *auth.Issuer) (*containerservice.Provider, error) {
	client, err := newInProcessARM(h, iss, d.Endpoint(), AKSAppID, "privlink-aks-resource-provider")
	if err != nil {
		return nil, err
	}
	d.kubeEtcd = &kubeEtcd{d: d}
	d.kube = kube.NewManager(kube.Config{
		DataDir:     filepath.Join(d.Config.DataDir, "kube"),
		Etcd:        d.kubeEtcd.endpoints,
		Log:         d.log.With("component", "kube"),
		KubectlShim: kubectlShim(),
	})
	return &containerservice.Provider{ARM: client, Kube: d.kube, HostEnv: d.fabric.runEnv,
		Log: d.log.With("component", "containerservice")}, nil
}

// kubectlShim runs the embedded kubectl through this binary when it is
// privlink's (not a test binary).
func kubectlShim() []string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "privlink" && filepath.Base(exe) != "az" {
		return nil
	}
	return []string{exe, "kubectl"}
}
