package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	fabricdns "github.com/privlink/privlink/internal/fabric/dns"
	"github.com/privlink/privlink/internal/fabric/health"
	"github.com/privlink/privlink/internal/fabric/path"
	"github.com/privlink/privlink/internal/fabric/proxy"
	"github.com/privlink/privlink/internal/providers/privlinkfabric"
)

// FabricTokenFile, in the data directory, holds the secret that ingress
// proxy clients send as their password. It is created on first start and
// kept, so exported environments stay valid across restarts.
const FabricTokenFile = "fabric.token"

// dataPlane is the running fabric: the snapshot watcher, the DNS server
// and the ingress proxies.
type dataPlane struct {
	fence   *fabric.Fence
	watcher *fabric.Watcher
	prober  *health.Prober
	dns     *fabricdns.Server
	proxy   *proxy.Proxy
	socks   net.Listener
	http    net.Listener
	token   string
	log     *slog.Logger
	// endpoint and dataDir let run-command scripts use the CLI.
	endpoint string
	dataDir  string
}

// newDataPlane builds the fabric over the (fenced) store. Listeners are
// opened here so that a port conflict fails the start.
func newDataPlane(cfg fabricConfig) (_ *dataPlane, err error) {
	dp := &dataPlane{fence: cfg.fence, log: cfg.log, dataDir: cfg.dataDir}
	if abs, err := filepath.Abs(cfg.dataDir); err == nil {
		dp.dataDir = abs
	}
	if dp.token, err = loadOrCreateToken(cfg.dataDir); err != nil {
		return nil, err
	}
	dp.watcher = fabric.NewWatcher(cfg.fence, cfg.log.With("component", "fabric"))
	dp.prober = &health.Prober{Source: dp.watcher, Evaluate: path.Evaluate, Log: cfg.log.With("component", "health")}
	dp.dns, err = fabricdns.New(fabricdns.Config{Source: dp.watcher, Evaluate: dp.evaluate, Logger: cfg.log.With("component", "dns")})
	if err != nil {
		return nil, fmt.Errorf("dns server: %w", err)
	}
	dp.proxy = proxy.New(proxy.Config{
		Source:   dp.watcher,
		Evaluate: dp.evaluate,
		Resolve:  dp.resolveA,
		Sync:     dp.sync,
		Token:    dp.token,
		Log:      cfg.log.With("component", "proxy"),
	})
	// Loopback listeners: no TCP keep-alive probes (saves setsockopt calls
	// per accepted connection).
	lc := net.ListenConfig{KeepAlive: -1}
	if dp.socks, err = lc.Listen(context.Background(), "tcp", cfg.socksListen); err != nil {
		_ = dp.proxy.Close()
		_ = dp.dns.Close()
		return nil, fmt.Errorf("listen on %s (--socks-listen): %w", cfg.socksListen, err)
	}
	if dp.http, err = lc.Listen(context.Background(), "tcp", cfg.httpListen); err != nil {
		_ = dp.socks.Close()
		_ = dp.proxy.Close()
		_ = dp.dns.Close()
		return nil, fmt.Errorf("listen on %s (--http-proxy-listen): %w", cfg.httpListen, err)
	}
	return dp, nil
}

type fabricConfig struct {
	fence       *fabric.Fence
	dataDir     string
	socksListen string
	httpListen  string
	log         *slog.Logger
}

// start runs the watcher, the prober and the proxies until ctx ends; it
// returns once the first snapshot is built.
func (dp *dataPlane) start(ctx context.Context, spawn func(func())) error {
	spawn(func() {
		if err := dp.watcher.Run(ctx); err != nil && ctx.Err() == nil {
			dp.log.Error("fabric watcher stopped", "err", err)
		}
	})
	spawn(func() { _ = dp.prober.Run(ctx) })
	spawn(func() { _ = dp.proxy.ServeSOCKS(dp.socks) })
	spawn(func() { _ = dp.proxy.ServeHTTP(dp.http) })
	select {
	case <-dp.watcher.Ready():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (dp *dataPlane) close() {
	if dp == nil {
		return
	}
	_ = dp.proxy.Close()
	_ = dp.socks.Close()
	_ = dp.http.Close()
	_ = dp.dns.Close()
}

func (dp *dataPlane) sync(ctx context.Context) error { return dp.watcher.Sync(ctx, dp.fence) }

// evaluate is path.Evaluate with the prober's view of backend health.
func (dp *dataPlane) evaluate(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	if q.Health == nil {
		q.Health = dp.prober.Health
	}
	return path.Evaluate(s, q)
}

// exchange answers a query as the vantage host would be answered (custom
// DNS servers included).
func (dp *dataPlane) exchange(ctx context.Context, hostID, name string, qtype uint16) (*mdns.Msg, fabricdns.Answer, error) {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	m.RecursionDesired = true
	return dp.dns.Exchange(ctx, hostID, m)
}

// resolveA is the proxy's resolver: the A records a vantage gets.
func (dp *dataPlane) resolveA(ctx context.Context, _ *fabric.Snapshot, hostID, name string) ([]netip.Addr, error) {
	addrs, steps, err := dp.resolveWithSteps(ctx, nil, hostID, name)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s", strings.Join(steps, "; "))
	}
	return addrs, nil
}

// resolveWithSteps is Network Watcher's resolver: addresses and the steps.
func (dp *dataPlane) resolveWithSteps(ctx context.Context, _ *fabric.Snapshot, hostID, name string) ([]netip.Addr, []string, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil, nil
	}
	reply, ans, err := dp.exchange(ctx, hostID, name, mdns.TypeA)
	if err != nil {
		return nil, nil, err
	}
	var addrs []netip.Addr
	for _, rr := range reply.Answer {
		if a, ok := rr.(*mdns.A); ok {
			if ip, ok := netip.AddrFromSlice(a.A.To4()); ok {
				addrs = append(addrs, ip)
			}
		}
	}
	steps := append([]string(nil), ans.Steps...)
	if len(addrs) == 0 {
		msg := fmt.Sprintf("%s: %s", strings.TrimSuffix(name, "."), mdns.RcodeToString[reply.Rcode])
		for _, b := range ans.Blocks {
			msg += "; " + b.Reason
		}
		steps = append(steps, msg)
	}
	return addrs, steps, nil
}

// probe makes a real TCP connection through the fabric for Network
// Watcher's connectivity check.
func (dp *dataPlane) probe(ctx context.Context, hostID, dest string) (time.Duration, error) {
	start := time.Now()
	c, _, err := dp.proxy.Dial(ctx, hostID, dest)
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	_ = c.Close()
	return d, nil
}

// vantage finds a host by name, ID or "internet" in the current snapshot,
// mapping failures to ARM errors.
func (dp *dataPlane) vantage(ctx context.Context, from string) (*fabric.Host, error) {
	if err := dp.sync(ctx); err != nil {
		return nil, err
	}
	h, err := proxy.LookupVantage(dp.watcher.Current(), from)
	if err == nil && h.Kind == fabric.KindPlatform {
		err = fmt.Errorf("vantage %q is the Azure platform (168.63.129.16), which runs no programs", from)
	}
	if err != nil {
		if strings.Contains(err.Error(), "ambiguous") {
			return nil, arm.BadRequest("AmbiguousVantage", "%s", err.Error())
		}
		return nil, arm.NotFound("VantageNotFound", "%s", err.Error())
	}
	return h, nil
}

// environment is POST /providers/Privlink.Fabric/environment: the
// variables that make proxy-aware programs run from a vantage, or, with
// to, from the host a connection from the vantage to that address
// reaches.
func (dp *dataPlane) environment(ctx context.Context, _, from, to string) (*privlinkfabric.Environment, error) {
	h, err := dp.vantage(ctx, from)
	if err != nil {
		return nil, err
	}
	if to != "" {
		if h, err = dp.reachedHost(h, to); err != nil {
			return nil, err
		}
	}
	user := h.ResourceID
	if h.Kind == fabric.KindInternet {
		user = fabric.InternetHostID
	}
	creds := url.UserPassword(user, dp.token)
	socks := (&url.URL{Scheme: "socks5h", User: creds, Host: dp.socks.Addr().String()}).String()
	httpProxy := (&url.URL{Scheme: "http", User: creds, Host: dp.http.Addr().String()}).String()
	env := &privlinkfabric.Environment{
		Vantage:   user,
		SOCKS5:    dp.socks.Addr().String(),
		HTTPProxy: dp.http.Addr().String(),
		Variables: map[string]string{
			"ALL_PROXY":        socks,
			"all_proxy":        socks,
			"HTTPS_PROXY":      httpProxy,
			"https_proxy":      httpProxy,
			"HTTP_PROXY":       httpProxy,
			"http_proxy":       httpProxy,
			"NO_PROXY":         "",
			"no_proxy":         "",
			"PRIVLINK_VANTAGE": user,
		},
	}
	if ipc := h.PrimaryIPConfig(); ipc != nil && ipc.Subnet != nil && ipc.Subnet.VNet != nil {
		addr, err := dp.dns.Addr(ipc.Subnet.VNet.ID)
		if err != nil {
			return nil, fmt.Errorf("dns listener for %s: %w", ipc.Subnet.VNet.Name, err)
		}
		env.DNSServer = addr
		env.Variables["PRIVLINK_DNS_SERVER"] = addr
	}
	return env, nil
}

// reachedHost is the host a TCP connection from h to to (address:port)
// is delivered to, or a 409 ConnectionNotDelivered naming what blocks it.
func (dp *dataPlane) reachedHost(h *fabric.Host, to string) (*fabric.Host, error) {
	ap, err := netip.ParseAddrPort(to)
	if err != nil {
		return nil, arm.BadRequest("InvalidRequestContent", "The value '%s' of 'to' is invalid: give an IP address and a port (10.0.0.4:22).", to)
	}
	s := dp.watcher.Current()
	v := dp.evaluate(s, fabric.Query{Source: h.ID, Dest: ap.Addr().Unmap(), Protocol: fabric.TCP, Port: int(ap.Port())})
	if v.Outcome != fabric.Delivered || v.TargetHost == nil {
		var why []string
		for _, b := range v.Blocks {
			why = append(why, b.Reason)
		}
		if len(why) == 0 {
			why = append(why, string(v.Outcome))
		}
		return nil, arm.Conflict("ConnectionNotDelivered", "A connection from %s to %s is not delivered (%s): %s.", h.Name, to, v.Outcome, strings.Join(why, "; "))
	}
	return v.TargetHost, nil
}

// dnsQuery is POST /providers/Privlink.Fabric/dnsQuery.
func (dp *dataPlane) dnsQuery(ctx context.Context, _, from, name, qtype string) (*privlinkfabric.DNSAnswer, error) {
	t, ok := mdns.StringToType[qtype]
	if !ok {
		return nil, arm.InvalidParameter("The value '%s' of parameter 'type' is invalid. Allowed values: A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, ANY.", qtype)
	}
	h, err := dp.vantage(ctx, from)
	if err != nil {
		return nil, err
	}
	reply, ans, err := dp.exchange(ctx, h.ID, name, t)
	if err != nil {
		return nil, arm.BadRequest("InvalidDnsQuery", "%s", err.Error())
	}
	out := &privlinkfabric.DNSAnswer{Rcode: mdns.RcodeToString[reply.Rcode], Answers: []privlinkfabric.DNSRecord{}, Steps: ans.Steps}
	for _, rr := range reply.Answer {
		hdr := rr.Header()
		val := strings.TrimPrefix(rr.String(), hdr.String())
		out.Answers = append(out.Answers, privlinkfabric.DNSRecord{
			Name: hdr.Name, Type: mdns.TypeToString[hdr.Rrtype], TTL: hdr.Ttl, Value: val,
		})
	}
	for _, b := range ans.Blocks {
		if !slices.Contains(out.Steps, b.Reason) {
			out.Steps = append(out.Steps, b.Reason)
		}
	}
	if out.Steps == nil {
		out.Steps = []string{}
	}
	return out, nil
}

// runEnv is the compute provider's run-command environment: the
// vantage's variables on top of a minimal process environment.
func (dp *dataPlane) runEnv(ctx context.Context, vmID string) ([]string, error) {
	env, err := dp.environment(ctx, "", vmID, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range []string{"LANG", "USER", "LOGNAME", "KUBECONFIG", "TERM"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	// The script may drive privlink itself (e.g. `privlink vm expose`):
	// put this binary first on PATH and point the CLI at this daemon.
	pathVar := os.Getenv("PATH")
	if exe, err := os.Executable(); err == nil {
		pathVar = filepath.Dir(exe) + string(os.PathListSeparator) + pathVar
	}
	out = append(out, "PATH="+pathVar, "PRIVLINK_ENDPOINT="+dp.endpoint, "PRIVLINK_DATA_DIR="+dp.dataDir)
	for k, v := range env.Variables {
		out = append(out, k+"="+v)
	}
	return out, nil
}

func loadOrCreateToken(dir string) (string, error) {
	p := filepath.Join(dir, FabricTokenFile)
	b, err := os.ReadFile(p)
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	t := hex.EncodeToString(raw[:])
	if err := os.WriteFile(p, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	return t, nil
}
