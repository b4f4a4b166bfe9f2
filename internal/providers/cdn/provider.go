package cdn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the resource provider namespace.
const Namespace = "Microsoft.Cdn"

// Resource types.
const (
	ProfileType     = "Microsoft.Cdn/profiles"
	EndpointType    = "Microsoft.Cdn/profiles/afdEndpoints"
	OriginGroupType = "Microsoft.Cdn/profiles/originGroups"
	OriginType      = "Microsoft.Cdn/profiles/originGroups/origins"
	RouteType       = "Microsoft.Cdn/profiles/afdEndpoints/routes"
)

// APIVersions are the api-versions served: what az 2.45 (2022-11-01-preview
// and 2021-06-01), the Azure SDK for Go and the azurerm provider send, and
// the version of the REST examples in testdata.
var APIVersions = []string{"2021-06-01", "2022-11-01-preview", "2023-05-01", "2024-02-01", "2024-09-01", "2025-04-15", "2025-06-01"}

// InfraSubscription is the Microsoft-owned subscription that holds Front
// Door's hidden networks: edge hosts and the private endpoints it makes
// into customers' private link services.
var InfraSubscription = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/front-door")).String()

// ARMClient is how the provider creates the resources Front Door owns:
// through the ARM front end in process, as Front Door's first-party
// identity (internal/app builds one on an in-process transport).
type ARMClient = arm.Client

// Provider implements arm.Provider for Azure Front Door Standard/Premium.
// Set ARM (and, for the data plane, Dial) before Register; Start opens
// the edge listeners and runs the controller until Close.
type Provider struct {
	ARM ARMClient
	// Dial opens a TCP connection through the fabric from a host (its
	// resource ID) to host:port (an address or a name resolved in the
	// host's DNS view). Without it the edge answers every request with
	// Front Door's error page.
	Dial func(ctx context.Context, vantage, addr string) (net.Conn, error)
	// ClientIP maps the loopback peer of an edge connection to the
	// emulated client address (for X-Forwarded-For); may be nil.
	ClientIP func(remote netip.AddrPort) (netip.Addr, bool)
	// Certificate is the edge's TLS certificate (for *.z01.azurefd.net);
	// without it the edge serves HTTP only.
	Certificate *tls.Certificate
	// OriginRoots verify origins' certificates on HTTPS forwarding (nil:
	// the system roots).
	OriginRoots *x509.CertPool
	// Listen is the loopback address of the edge listeners (default
	// 127.0.0.1:0).
	Listen string
	Log    *slog.Logger
	// Generation changes whenever a resource record is written (the
	// revision of the latest write). With it the edge keeps what it read
	// from the store, and its connections to origins, until the next
	// write (edgeview.go); without it every request reads the store and
	// dials its origin.
	Generation func() int64

	engine *arm.Engine
	tenant string

	kick chan struct{}
	wg   sync.WaitGroup
	ctx  context.Context
	stop context.CancelFunc

	viewMu sync.Mutex
	view   *edgeView

	mu      sync.Mutex
	httpLn  net.Listener
	httpsLn net.Listener
	servers []*http.Server
	closed  bool
}

var _ arm.Provider = (*Provider)(nil)

// Namespace implements arm.Provider.
func (*Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr *Provider) Register(p *arm.Platform) error {
	pr.engine = p.Engine
	pr.tenant = p.TenantID
	if pr.Log == nil {
		pr.Log = slog.New(slog.DiscardHandler)
	}
	pr.kick = make(chan struct{}, 1)
	pr.ctx, pr.stop = context.WithCancel(context.Background())
	p.Registry.Register(pr.profileSpec(), pr.endpointSpec(), pr.originGroupSpec(), pr.originSpec(), pr.routeSpec())
	return nil
}

// Start opens the edge's loopback listeners (HTTP, and HTTPS when a
// certificate is set) and runs the controller until ctx ends or Close.
func (pr *Provider) Start(ctx context.Context) error {
	if pr.engine == nil {
		return errors.New("cdn: Start before Register")
	}
	listen := pr.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	lc := net.ListenConfig{KeepAlive: -1}
	hl, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return fmt.Errorf("front door edge: listen on %s: %w", listen, err)
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.closed {
		_ = hl.Close()
		return net.ErrClosed
	}
	pr.httpLn = hl
	pr.serve(hl, false)
	if pr.Certificate != nil {
		sl, err := lc.Listen(ctx, "tcp", listen)
		if err != nil {
			return fmt.Errorf("front door edge: listen on %s: %w", listen, err)
		}
		pr.httpsLn = sl
		pr.serve(tls.NewListener(sl, &tls.Config{Certificates: []tls.Certificate{*pr.Certificate}, MinVersion: tls.VersionTLS12}), true)
	}
	runCtx, cancel := context.WithCancel(ctx)
	go func() {
		<-pr.ctx.Done()
		cancel()
	}()
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		pr.run(runCtx)
	}()
	pr.Kick()
	return nil
}

// serve runs the edge handler on l (pr.mu held).
func (pr *Provider) serve(l net.Listener, secure bool) {
	srv := &http.Server{
		Handler: &edge{pr: pr, secure: secure},
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, edgeConnKey{}, &edgeConn{})
		},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(pr.Log.Handler(), slog.LevelDebug),
	}
	pr.servers = append(pr.servers, srv)
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		_ = srv.Serve(l)
	}()
}

// EdgeTargets are the loopback addresses of the edge's HTTP and HTTPS
// listeners ("" before Start, or without a certificate).
func (pr *Provider) EdgeTargets() (httpAddr, httpsAddr string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.httpLn != nil {
		httpAddr = pr.httpLn.Addr().String()
	}
	if pr.httpsLn != nil {
		httpsAddr = pr.httpsLn.Addr().String()
	}
	return httpAddr, httpsAddr
}

// Close stops the edge and the controller.
func (pr *Provider) Close() {
	pr.mu.Lock()
	if pr.closed {
		pr.mu.Unlock()
		return
	}
	pr.closed = true
	srvs := pr.servers
	pr.mu.Unlock()
	if pr.stop != nil {
		pr.stop()
	}
	for _, s := range srvs {
		_ = s.Close()
	}
	pr.viewMu.Lock()
	v := pr.view
	pr.view = nil
	pr.viewMu.Unlock()
	if v != nil {
		v.closeIdle()
	}
	pr.wg.Wait()
}

// Kick asks the controller for a pass.
func (pr *Provider) Kick() {
	if pr.kick == nil {
		return
	}
	select {
	case pr.kick <- struct{}{}:
	default:
	}
}

// kickLater asks for passes once a deletion has committed.
func (pr *Provider) kickLater() {
	for _, d := range []time.Duration{150 * time.Millisecond, time.Second} {
		time.AfterFunc(d, pr.Kick)
	}
}

// reconcileHook hands a pending operation to the controller.
func (pr *Provider) reconcileHook(_ context.Context, _ *arm.ReconcileOp) error {
	pr.Kick()
	return arm.ErrKeepPending
}

func lower(s string) string { return strings.ToLower(s) }
