package proxy

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

// ServeHTTP serves an HTTP proxy on l until Close, then returns nil:
// CONNECT host:port is decided and spliced, and absolute-URI requests
// (GET http://host/path, as curl sends with http_proxy set) are forwarded
// over connections made through the same decision from the vantage.
// Clients authenticate with Proxy-Authorization: Basic vantage:token.
func (p *Proxy) ServeHTTP(l net.Listener) error {
	var conns sync.Map // net.Conn -> *clientConn
	srv := &http.Server{
		Handler:           http.HandlerFunc(p.handleHTTP),
		ReadHeaderTimeout: handshakeTimeout,
		ErrorLog:          slog.NewLogLogger(p.log.With("server", "http").Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			cc := &clientConn{}
			conns.Store(c, cc)
			return context.WithValue(ctx, clientConnKey{}, cc)
		},
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed || st == http.StateHijacked {
				if cc, ok := conns.LoadAndDelete(c); ok {
					cc.(*clientConn).close()
				}
			}
		},
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		_ = l.Close()
		return fmt.Errorf("serve http proxy on %s: %w", l.Addr(), net.ErrClosed)
	}
	p.servers[srv] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.servers, srv)
		p.mu.Unlock()
	}()
	p.log.Info("http proxy listening", "addr", l.Addr().String())
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) || p.isClosed() {
		return nil
	}
	return fmt.Errorf("serve http proxy: %w", err)
}

// proxyAuth returns the Basic credentials of Proxy-Authorization.
func proxyAuth(r *http.Request) (user, password string, ok bool) {
	scheme, cred, found := strings.Cut(r.Header.Get("Proxy-Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", "", false
	}
	return strings.Cut(string(raw), ":")
}

// fwdKey is the context key of an absolute-URI request's vantage and
// real client, for forwardDial.
type fwdKey struct{}

type fwdInfo struct {
	vantage string
	client  netip.AddrPort
}

func (p *Proxy) handleHTTP(w http.ResponseWriter, r *http.Request) {
	user, password, ok := proxyAuth(r)
	if !ok {
		p.log.Warn("http proxy auth failed: no Basic Proxy-Authorization", "remote", r.RemoteAddr)
		proxyAuthRequired(w, "send the vantage as the user name and the proxy token as the password (Proxy-Authorization: Basic)")
		return
	}
	h, err := p.checkCredentials(user, []byte(password))
	if err != nil {
		p.log.Warn("http proxy auth failed: "+err.Error(), "remote", r.RemoteAddr)
		proxyAuthRequired(w, err.Error())
		return
	}
	switch {
	case r.Method == http.MethodConnect:
		p.handleConnect(w, r, h)
	case r.URL.IsAbs() && (r.URL.Scheme == "http" || r.URL.Scheme == "https"):
		ctx := context.WithValue(r.Context(), fwdKey{}, fwdInfo{vantage: h.ID, client: remoteAddrPort(r)})
		p.httpFwd.ServeHTTP(w, r.WithContext(ctx))
	default:
		http.Error(w, "privlink proxy: only CONNECT host:port and absolute-URI (http://host/path) requests are proxied", http.StatusBadRequest)
	}
}

func proxyAuthRequired(w http.ResponseWriter, why string) {
	w.Header().Set("Proxy-Authenticate", `Basic realm="privlink"`)
	http.Error(w, "Proxy Authentication Required: "+why, http.StatusProxyAuthRequired)
}

func (p *Proxy) handleConnect(w http.ResponseWriter, r *http.Request, h *fabric.Host) {
	host, portStr, err := net.SplitHostPort(r.Host)
	if err != nil {
		http.Error(w, fmt.Sprintf("privlink proxy: CONNECT target %q is not host:port", r.Host), http.StatusBadRequest)
		return
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		http.Error(w, fmt.Sprintf("privlink proxy: CONNECT target %q has an invalid port", r.Host), http.StatusBadRequest)
		return
	}
	d := p.decide(r.Context(), h.ID, host, port, remoteAddrPort(r))
	if re := d.refusal(); re != nil {
		p.logRefusal("http-connect", d)
		writeConnectRefusal(w, h, re)
		return
	}
	target, f, err := p.connect(dialContext, "http-connect", d, nil)
	var re *RefusedError
	if errors.As(err, &re) {
		writeRefusal(w, h.Name, re) // NAT port exhaustion
		return
	}
	if err != nil {
		http.Error(w, "privlink proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = target.Close()
		http.Error(w, "privlink proxy: CONNECT needs HTTP/1.1", http.StatusHTTPVersionNotSupported)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		_ = target.Close()
		p.log.Warn("http proxy: hijack failed", "error", err)
		return
	}
	if !f.attach(client.Close) {
		return // the flow was cut (its host went away) meanwhile
	}
	_ = client.SetDeadline(time.Time{})
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		_ = target.Close()
		return
	}
	// Bytes the client sent after the CONNECT header (rare) go first.
	if n := buf.Reader.Buffered(); n > 0 {
		b, _ := buf.Reader.Peek(n)
		if _, err := target.Write(b); err != nil {
			_ = target.Close()
			return
		}
	}
	splice(client, target)
}

// remoteAddrPort is the real client of an HTTP request.
func remoteAddrPort(r *http.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// writeConnectRefusal answers a refused CONNECT like writeRefusal, with a
// reason phrase in the words a client on that machine would see from its
// socket call: HTTP clients (Go's, so kubectl and helm) report a failed
// CONNECT by its reason phrase, so "Unable to connect to the server: dial
// tcp: lookup <name> on 168.63.129.16:53: no such host" reads as on Azure.
func writeConnectRefusal(w http.ResponseWriter, h *fabric.Host, re *RefusedError) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		writeRefusal(w, h.Name, re)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	status := http.StatusBadGateway
	if re.Verdict.Outcome == fabric.DeniedByNSG {
		status = http.StatusForbidden
	}
	var body strings.Builder
	fmt.Fprintf(&body, "privlink: connection from %s to %s: %s (%s)\n", h.Name, re.Dest, outcomeText(re.Verdict.Outcome), re.Verdict.Outcome)
	for _, bl := range re.Verdict.Blocks {
		fmt.Fprintf(&body, "- %s: %s\n", bl.Kind, bl.Reason)
	}
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nX-Privlink-Outcome: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, socketSymptom(h, re), re.Verdict.Outcome, body.Len(), body.String())
	_ = buf.Flush()
}

// socketSymptom is what the failed dial looks like from the vantage: a
// name that does not resolve, a refused port, or (the fabric drops the
// packets, as Azure does) a timeout.
func socketSymptom(h *fabric.Host, re *RefusedError) string {
	name, _, _ := net.SplitHostPort(re.Dest)
	for _, b := range re.Verdict.Blocks {
		if b.Kind == "DNS" {
			if h.Kind == fabric.KindInternet {
				return "dial tcp: lookup " + name + ": no such host"
			}
			return "dial tcp: lookup " + name + " on 168.63.129.16:53: no such host"
		}
	}
	if re.Verdict.Outcome == fabric.Refused {
		return "dial tcp " + re.Dest + ": connect: connection refused"
	}
	return "dial tcp " + re.Dest + ": i/o timeout"
}

// writeRefusal answers a connection the fabric does not deliver: 403 when
// a security rule denies it, 502 otherwise, with the block reasons.
func writeRefusal(w http.ResponseWriter, vantageName string, re *RefusedError) {
	status := http.StatusBadGateway
	if re.Verdict.Outcome == fabric.DeniedByNSG {
		status = http.StatusForbidden
	}
	var b strings.Builder
	fmt.Fprintf(&b, "privlink: connection from %s to %s: %s (%s)\n", vantageName, re.Dest, outcomeText(re.Verdict.Outcome), re.Verdict.Outcome)
	for _, bl := range re.Verdict.Blocks {
		fmt.Fprintf(&b, "- %s: %s\n", bl.Kind, bl.Reason)
	}
	w.Header().Set("X-Privlink-Outcome", string(re.Verdict.Outcome))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// clientConnKey is the context key of the client connection an
// absolute-URI request came on.
type clientConnKey struct{}

// clientConn holds the forwarding transports of one client connection to
// the HTTP proxy, one per vantage. Requests that a client sends on one
// connection to the proxy reuse the upstream connections of earlier ones,
// as the same client would reuse its own connection to the server without
// a proxy: such a connection was decided by the fabric when it was dialed
// and, like any flow, survives later security rule changes and is closed
// when its path is withdrawn. Connections are never shared between client
// connections or vantages, and they close with the client's connection.
type clientConn struct {
	mu     sync.Mutex
	closed bool
	byVant map[string]*http.Transport
}

// fwdIdleTimeout closes an upstream connection left idle this long while
// its client connection stays open.
const fwdIdleTimeout = 90 * time.Second

func (c *clientConn) transport(vantage string, mk func(keepAlive bool) *http.Transport) (t *http.Transport, shared bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.byVant[vantage]; t != nil {
		return t, true
	}
	if c.closed {
		return mk(false), false
	}
	if c.byVant == nil {
		c.byVant = map[string]*http.Transport{}
	}
	t = mk(true)
	c.byVant[vantage] = t
	return t, true
}

func (c *clientConn) close() {
	c.mu.Lock()
	ts := c.byVant
	c.byVant, c.closed = nil, true
	c.mu.Unlock()
	for _, t := range ts {
		t.CloseIdleConnections()
	}
}

// forwardTransport picks the request's client connection's transport for
// its vantage; without one (a request not served by ServeHTTP) a
// transport that keeps no connection.
type forwardTransport struct{ p *Proxy }

func (f forwardTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	fi, _ := r.Context().Value(fwdKey{}).(fwdInfo)
	cc, _ := r.Context().Value(clientConnKey{}).(*clientConn)
	if cc == nil {
		t := f.p.newForwardTransport(false)
		defer t.CloseIdleConnections()
		return t.RoundTrip(r)
	}
	t, shared := cc.transport(fi.vantage, f.p.newForwardTransport)
	if !shared {
		defer t.CloseIdleConnections()
	}
	return t.RoundTrip(r)
}

// newForwardTransport dials through the decision from the request's
// vantage.
func (p *Proxy) newForwardTransport(keepAlive bool) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         p.forwardDial,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     fwdIdleTimeout,
	}
}

// fwdBuffers lends the forwarder the splice copy buffers
// (httputil.ReverseProxy otherwise allocates 32 KiB per response).
type fwdBuffers struct{}

func (fwdBuffers) Get() []byte  { return *copyBufPool.Get().(*[]byte) }
func (fwdBuffers) Put(b []byte) { copyBufPool.Put(&b) }

// newForwarder returns the forwarder of absolute-URI requests (see
// clientConn for which connections it reuses).
func (p *Proxy) newForwarder() *httputil.ReverseProxy {
	tr := forwardTransport{p: p}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// A forward proxy passes the request on as the client wrote
			// it (minus hop-by-hop headers): restore the forwarding
			// headers Rewrite mode strips and keep the client's Host.
			for _, k := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[k]; ok {
					pr.Out.Header[k] = v
				}
			}
			pr.Out.Host = pr.In.Host
		},
		Transport:     tr,
		BufferPool:    fwdBuffers{},
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(p.log.With("server", "http-forward").Handler(), slog.LevelWarn),
		ErrorHandler:  p.forwardError,
	}
}

func (p *Proxy) forwardDial(ctx context.Context, _, addr string) (net.Conn, error) {
	fi, _ := ctx.Value(fwdKey{}).(fwdInfo)
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("forward to %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("forward to %q: invalid port", addr)
	}
	d := p.decide(ctx, fi.vantage, host, port, fi.client)
	if re := d.refusal(); re != nil {
		p.logRefusal("http", d)
		return nil, re
	}
	c, _, err := p.connect(ctx, "http", d, nil)
	return c, err
}

func (p *Proxy) forwardError(w http.ResponseWriter, r *http.Request, err error) {
	var re *RefusedError
	if errors.As(err, &re) {
		name := re.Vantage
		if s := p.cfg.Source.Current(); s != nil && s.Hosts[re.Vantage] != nil {
			name = s.Hosts[re.Vantage].Name
		}
		writeRefusal(w, name, re)
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	p.log.Warn("http proxy: forwarding failed", "url", r.URL.String(), "error", err)
	http.Error(w, "privlink proxy: "+err.Error(), http.StatusBadGateway)
}
