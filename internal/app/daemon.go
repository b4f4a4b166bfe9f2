package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/controller"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/pki"
	"github.com/privlink/privlink/internal/providers/cdn"
	"github.com/privlink/privlink/internal/providers/compute"
	"github.com/privlink/privlink/internal/providers/containerservice"
	"github.com/privlink/privlink/internal/providers/onprem"
	"github.com/privlink/privlink/internal/store"
	etcdstore "github.com/privlink/privlink/internal/store/etcd"
	"github.com/privlink/privlink/internal/store/memory"
)

// Daemon is a running privlink.
type Daemon struct {
	Config   config.Config
	Identity config.Identity
	Platform *arm.Platform
	Store    store.Store
	Serving  *pki.Serving

	log       *slog.Logger
	fabric    *dataPlane
	compute   *compute.Provider
	aks       *containerservice.Provider
	frontDoor *cdn.Provider
	onprem    *onprem.Clusters
	kube      *kube.Manager
	kubeEtcd  *kubeEtcd
	kubeSock  string
	embedded  *etcdstore.Embedded
	listener  net.Listener
	http      *http.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	errc      chan error
	stopOnce  sync.Once
	stopErr   error
}

// Start builds and starts a daemon; it returns once the endpoint accepts
// connections.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (d *Daemon, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	d = &Daemon{Config: cfg, log: log, errc: make(chan error, 4)}
	started := d
	defer func() {
		if err != nil {
			_ = started.Stop(context.Background())
		}
	}()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	d.listener = ln
	if err := d.openStore(ctx); err != nil {
		return nil, err
	}
	if d.Identity, err = loadOrCreateIdentity(ctx, d.Store, cfg.DataDir); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	if d.Serving, err = pki.EnsureServing(cfg.DataDir, []string{host}); err != nil {
		return nil, err
	}
	issuer, err := auth.NewIssuer(cfg.DataDir, d.Identity.TenantID, log.With("component", "auth"))
	if err != nil {
		return nil, err
	}
	// Every ARM write goes through the fence, so that the data plane can
	// wait for the snapshot that includes it (read-your-writes).
	fence := fabric.NewFence(d.Store)
	if d.fabric, err = newDataPlane(fabricConfig{fence: fence, dataDir: cfg.DataDir,
		socksListen: cfg.SOCKSListen, httpListen: cfg.HTTPProxyListen, log: log}); err != nil {
		return nil, err
	}
	d.fabric.endpoint = d.Endpoint()
	reg := arm.NewRegistry()
	eng := arm.NewEngine(fence, reg, log.With("component", "arm"))
	srv := arm.NewServer(eng, authenticator{issuer}, issuer.Handler(nil), log.With("component", "arm"))
	if d.aks, err = d.newAKS(srv, issuer); err != nil {
		return nil, err
	}
	if d.frontDoor, err = d.newFrontDoor(srv, issuer); err != nil {
		return nil, err
	}
	if d.onprem, err = d.newOnPremClusters(srv, issuer); err != nil {
		return nil, err
	}
	d.Platform = &arm.Platform{Registry: reg, Server: srv, Engine: eng, Log: log,
		DefaultSubscription: d.Identity.SubscriptionID, TenantID: d.Identity.TenantID,
		RegistrationDelay: cfg.RegistrationDelay}
	for _, p := range d.providers() {
		if err := p.Register(d.Platform); err != nil {
			return nil, fmt.Errorf("register provider %s: %w", p.Namespace(), err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	prov := controller.NewProvisioner(eng, log.With("component", "provisioner"))
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = prov.Run(runCtx)
	}()
	spawn := func(fn func()) {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			fn()
		}()
	}
	if err := d.fabric.start(runCtx, spawn); err != nil {
		return nil, fmt.Errorf("start data plane: %w", err)
	}
	spawn(func() { d.ensureNetworkWatchers(runCtx) })
	spawn(func() { d.aks.Run(runCtx) })
	spawn(func() { d.onprem.Run(runCtx) })
	spawn(func() { d.runFrontDoor(runCtx) })
	spawn(func() { d.runArc(runCtx) })
	spawn(func() { d.ensureAutoRegistration(runCtx) })
	spawn(func() { d.runHybrid(runCtx) })
	d.http = &http.Server{
		Handler:           srv,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{d.Serving.Certificate}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.http.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.errc <- fmt.Errorf("https server: %w", err)
		}
	}()
	if err := writeEndpoint(cfg.DataDir, d.Endpoint()); err != nil {
		return nil, err
	}
	if d.embedded != nil {
		go func() {
			if err, ok := <-d.embedded.Err(); ok && err != nil {
				d.errc <- fmt.Errorf("embedded etcd: %w", err)
			}
		}()
	}
	return d, nil
}

func (d *Daemon) openStore(ctx context.Context) error {
	cfg := d.Config
	switch {
	case cfg.Store == "memory":
		d.Store = memory.New()
	case cfg.Store == "embedded":
		// Kubernetes API servers reach the same etcd on a unix socket.
		sock, err := shortSocket(cfg.DataDir, "kube-etcd.sock")
		if err != nil {
			return err
		}
		_ = os.Remove(sock)
		d.kubeSock = sock
		em, err := etcdstore.StartEmbedded(ctx, etcdstore.EmbeddedConfig{Dir: filepath.Join(cfg.DataDir, "etcd"),
			ClientURLs: []string{"unix://" + sock}}, d.log.With("component", "etcd"))
		if err != nil {
			return fmt.Errorf("start embedded etcd: %w", err)
		}
		d.embedded = em
		d.Store = etcdstore.New(em.Client(), StorePrefix)
	default:
		eps, err := etcdstore.ParseDSN(cfg.Store)
		if err != nil {
			return err
		}
		cli, err := etcdstore.Dial(ctx, eps, d.log.With("component", "etcd"))
		if err != nil {
			return fmt.Errorf("connect to etcd %v: %w", eps, err)
		}
		d.Store = etcdstore.New(cli, StorePrefix)
	}
	return nil
}

// StorePrefix namespaces privlink's ARM state in etcd (Kubernetes data of
// emulated clusters lives under other prefixes).
const StorePrefix = "/privlink/arm"

// Endpoint is the daemon's base URL.
func (d *Daemon) Endpoint() string {
	return "https://" + d.listener.Addr().String()
}

// CAFile is the path of the CA certificate clients must trust.
func (d *Daemon) CAFile() string { return filepath.Join(d.Config.DataDir, pki.CACertFile) }

// Err reports fatal runtime errors.
func (d *Daemon) Err() <-chan error { return d.errc }

// Stop shuts everything down: the HTTPS server (draining requests), the
// controllers, then the store.
func (d *Daemon) Stop(ctx context.Context) error {
	d.stopOnce.Do(func() {
		var errs []error
		if d.http != nil {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := d.http.Shutdown(sctx); err != nil {
				errs = append(errs, err)
			}
			cancel()
		} else if d.listener != nil {
			_ = d.listener.Close()
		}
		d.fabric.close()
		if d.compute != nil {
			d.compute.Close()
		}
		if d.cancel != nil {
			d.cancel()
		}
		d.wg.Wait()
		if d.frontDoor != nil {
			d.frontDoor.Close()
		}
		// Kubernetes control planes before the etcd they use.
		if d.aks != nil {
			d.aks.Close()
		}
		if d.onprem != nil {
			d.onprem.Close()
		}
		if d.kube != nil {
			if err := d.kube.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if d.kubeEtcd != nil {
			if err := d.kubeEtcd.stop(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if d.Store != nil {
			if err := d.Store.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if d.embedded != nil {
			if err := d.embedded.Stop(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		d.stopErr = errors.Join(errs...)
	})
	return d.stopErr
}

// authenticator adapts the token issuer to the ARM front end, mapping its
// failures to ARM errors at this one boundary.
type authenticator struct{ iss *auth.Issuer }

func (a authenticator) Authenticate(r *http.Request) (arm.Principal, error) {
	p, err := a.iss.Authenticate(r)
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			e := &arm.Error{Status: ae.Status, Code: ae.Code, Message: ae.Message, Header: http.Header{}}
			e.Header.Set("WWW-Authenticate", ae.WWWAuthenticate("https://"+r.Host))
			e.Header.Set("x-ms-failure-cause", "gateway")
			return arm.Principal{}, e
		}
		return arm.Principal{}, err
	}
	return arm.Principal{ObjectID: p.ObjectID, TenantID: p.TenantID, AppID: p.AppID}, nil
}

// SOCKSAddr is the SOCKS5 ingress proxy's address.
func (d *Daemon) SOCKSAddr() string { return d.fabric.socks.Addr().String() }

// HTTPProxyAddr is the HTTP (CONNECT) ingress proxy's address.
func (d *Daemon) HTTPProxyAddr() string { return d.fabric.http.Addr().String() }

// FabricToken is the password ingress proxy clients send.
func (d *Daemon) FabricToken() string { return d.fabric.token }
