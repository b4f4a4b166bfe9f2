package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

const testToken = "s3cret-token"

// Host IDs of the test fabric (lower case, like Snapshot.Hosts keys).
const (
	vm1ID   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1"
	vm2ID   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm2"
	vm3ID   = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm3"
	webAID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-a/providers/microsoft.compute/virtualmachines/web"
	webBID  = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-b/providers/microsoft.compute/virtualmachines/web"
	vm1Name = "vm1"
)

// originalCase turns a lower-case test ID into the ARM casing users type.
func originalCase(id string) string {
	r := strings.NewReplacer("resourcegroups", "resourceGroups", "microsoft.compute", "Microsoft.Compute",
		"virtualmachines", "virtualMachines", "/rg/", "/RG/")
	return r.Replace(id)
}

// buildSnapshot returns a fresh snapshot at rev. mutate may change the
// hosts (they are fresh objects) before indexing.
func buildSnapshot(rev int64, mutate func(hosts map[string]*fabric.Host, s *fabric.Snapshot)) *fabric.Snapshot {
	vm := func(id, name, rg string) *fabric.Host {
		return &fabric.Host{ID: id, Name: name, ResourceID: originalCase(id), ResourceGroup: rg, Kind: fabric.KindVM,
			Running: true, PowerState: "PowerState/running", ComputerName: name}
	}
	hosts := map[string]*fabric.Host{
		fabric.InternetHostID: {ID: fabric.InternetHostID, Name: "internet", Kind: fabric.KindInternet,
			Running: true, PublicAddr: fabric.InternetHostIP},
		vm1ID:  vm(vm1ID, "vm1", "rg"),
		vm2ID:  vm(vm2ID, "vm2", "rg"),
		vm3ID:  vm(vm3ID, "vm3", "rg"),
		webAID: vm(webAID, "web", "rg-a"),
		webBID: vm(webBID, "web", "rg-b"),
	}
	hosts[vm3ID].Running = false
	hosts[vm3ID].PowerState = "PowerState/deallocated"
	s := &fabric.Snapshot{Revision: rev, Hosts: hosts, NSGs: map[string]*fabric.NSG{}}
	if mutate != nil {
		mutate(hosts, s)
	}
	s.Reindex()
	return s
}

// mutableSource is a fabric.Source whose snapshot tests replace.
type mutableSource struct {
	mu   sync.Mutex
	cur  *fabric.Snapshot
	subs map[int]func(old, new *fabric.Snapshot)
	next int
}

func newMutableSource(s *fabric.Snapshot) *mutableSource {
	return &mutableSource{cur: s, subs: map[int]func(old, new *fabric.Snapshot){}}
}

func (m *mutableSource) Current() *fabric.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

func (m *mutableSource) Subscribe(fn func(old, new *fabric.Snapshot)) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.next
	m.next++
	m.subs[id] = fn
	return func() {
		m.mu.Lock()
		delete(m.subs, id)
		m.mu.Unlock()
	}
}

// Set publishes s and notifies the subscribers (synchronously, in order).
func (m *mutableSource) Set(s *fabric.Snapshot) {
	m.mu.Lock()
	old := m.cur
	m.cur = s
	fns := make([]func(old, new *fabric.Snapshot), 0, len(m.subs))
	for _, fn := range m.subs {
		fns = append(fns, fn)
	}
	m.mu.Unlock()
	for _, fn := range fns {
		fn(old, s)
	}
}

// route is one answer of the fake evaluator.
type route struct {
	outcome fabric.Outcome
	dest    string // destination host ID for Delivered
	target  string // TargetAddr for Delivered
	reason  string // block reason for refusals
	kind    string
}

// fakeEval answers from a table keyed by destination address:port, and
// like the real evaluator says SourceDown for a missing or stopped source
// and HostUnreachable for a missing or stopped destination.
type fakeEval struct {
	mu      sync.Mutex
	routes  map[netip.AddrPort]route
	queries []fabric.Query
}

func (e *fakeEval) set(dest string, r route) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.routes == nil {
		e.routes = map[netip.AddrPort]route{}
	}
	e.routes[netip.MustParseAddrPort(dest)] = r
}

func (e *fakeEval) Evaluate(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	e.mu.Lock()
	e.queries = append(e.queries, q)
	r, ok := e.routes[netip.AddrPortFrom(q.Dest, uint16(q.Port))]
	e.mu.Unlock()
	if src := s.Hosts[q.Source]; src == nil || !src.Running {
		return fabric.Verdict{Outcome: fabric.SourceDown, Blocks: []fabric.Block{{Kind: "HostStopped", ResourceID: q.Source, Reason: "source host is not running"}}}
	}
	if !ok {
		return fabric.Verdict{Outcome: fabric.NetworkUnreachable, Blocks: []fabric.Block{{Kind: "Route", Reason: fmt.Sprintf("no route to %s", q.Dest)}}}
	}
	if r.outcome != fabric.Delivered {
		return fabric.Verdict{Outcome: r.outcome, Blocks: []fabric.Block{{Kind: r.kind, Reason: r.reason}}}
	}
	h := s.Hosts[r.dest]
	if h == nil || !h.Running {
		return fabric.Verdict{Outcome: fabric.HostUnreachable, Blocks: []fabric.Block{{Kind: "HostStopped", ResourceID: r.dest, Reason: "destination host is not running"}}}
	}
	return fabric.Verdict{Outcome: fabric.Delivered, TargetHost: h, TargetAddr: r.target,
		TranslatedSource: netip.MustParseAddr("10.0.0.4")}
}

// calls is the number of evaluations so far.
func (e *fakeEval) calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queries)
}

func (e *fakeEval) lastQuery() fabric.Query {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queries) == 0 {
		return fabric.Query{}
	}
	return e.queries[len(e.queries)-1]
}

// fakeResolver answers names per host view.
type fakeResolver struct {
	mu    sync.Mutex
	views map[string]map[string][]netip.Addr // host ID -> name -> addresses
	calls []string                           // "hostID name"
}

func (r *fakeResolver) Resolve(_ context.Context, s *fabric.Snapshot, hostID, name string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, hostID+" "+name)
	if s.Hosts[hostID] == nil {
		return nil, fmt.Errorf("host %s is not in the snapshot", hostID)
	}
	if a, ok := r.views[hostID][name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("NXDOMAIN: %s does not exist", name)
}

// recHandler records log lines as "LEVEL message key=value...".
type recHandler struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newRecHandler() *recHandler { return &recHandler{mu: &sync.Mutex{}, lines: new([]string)} }

func (h *recHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	*h.lines = append(*h.lines, b.String())
	h.mu.Unlock()
	return nil
}
func (h *recHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recHandler{mu: h.mu, lines: h.lines, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h *recHandler) WithGroup(string) slog.Handler { return h }

// waitLog waits until a log line contains all of subs.
func (h *recHandler) waitLog(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		h.mu.Lock()
		for _, l := range *h.lines {
			ok := true
			for _, s := range subs {
				if !strings.Contains(l, s) {
					ok = false
					break
				}
			}
			if ok {
				h.mu.Unlock()
				return l
			}
		}
		all := strings.Join(*h.lines, "\n")
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no log line contains %q; log:\n%s", subs, all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startEcho starts a TCP echo server on 127.0.0.1: it copies what it
// reads back and half-closes when the client half-closes.
func startEcho(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
				_ = c.(*net.TCPConn).CloseWrite()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return l.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

type env struct {
	t        *testing.T
	src      *mutableSource
	eval     *fakeEval
	res      *fakeResolver
	log      *recHandler
	p        *Proxy
	socks    string
	http     string
	echo     string
	web      *httptest.Server
	syncs    int
	syncMu   sync.Mutex
	serveErr chan error
}

// Destinations of the test fabric.
const (
	dstEcho       = "10.0.1.4:80"
	dstSSH        = "10.0.1.4:22"
	dstNSG        = "10.0.1.4:443"
	dstRefused    = "10.0.1.4:8080"
	dstNetUnreach = "10.9.9.9:80"
	dstHostUnr    = "10.0.1.5:80"
	dstDeadListen = "10.0.1.4:81"
	dstNotLoop    = "10.0.1.4:82"
	dstWeb        = "10.0.1.4:8000"
	dstPublic     = "52.160.0.9:80"
	nsgReason     = "NSG deny-443 (priority 200) on subnet back denies Inbound Tcp to 10.0.1.4:443"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, src: newMutableSource(buildSnapshot(1, nil)), eval: &fakeEval{}, log: newRecHandler(),
		serveErr: make(chan error, 2)}
	e.echo = startEcho(t)
	e.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host=%s path=%s query=%s proxy-auth=%q xff=%q", r.Host, r.URL.Path, r.URL.RawQuery,
			r.Header.Get("Proxy-Authorization"), r.Header.Get("X-Forwarded-For"))
	}))
	t.Cleanup(e.web.Close)
	e.eval.set(dstEcho, route{outcome: fabric.Delivered, dest: vm2ID, target: e.echo})
	e.eval.set(dstSSH, route{outcome: fabric.Delivered, dest: vm2ID, target: SSHBannerTarget})
	e.eval.set(dstNSG, route{outcome: fabric.DeniedByNSG, kind: "NetworkSecurityRule", reason: nsgReason})
	e.eval.set(dstRefused, route{outcome: fabric.Refused, kind: "NoListener", reason: "nothing listens on vm2 port 8080"})
	e.eval.set(dstHostUnr, route{outcome: fabric.HostUnreachable, kind: "NoHost", reason: "no host has 10.0.1.5"})
	e.eval.set(dstDeadListen, route{outcome: fabric.Delivered, dest: vm2ID, target: closedPort(t)})
	e.eval.set(dstNotLoop, route{outcome: fabric.Delivered, dest: vm2ID, target: "10.0.1.4:82"})
	e.eval.set(dstWeb, route{outcome: fabric.Delivered, dest: vm2ID, target: e.web.Listener.Addr().String()})
	e.eval.set(dstPublic, route{outcome: fabric.Refused, kind: "NoListener", reason: "nothing listens on 52.160.0.9:80"})
	e.res = &fakeResolver{views: map[string]map[string][]netip.Addr{
		vm1ID: {
			"api.privatelink.example.com": {netip.MustParseAddr("10.0.1.4")},
			"web.internal":                {netip.MustParseAddr("10.0.1.4")},
		},
		fabric.InternetHostID: {
			"api.privatelink.example.com": {netip.MustParseAddr("52.160.0.9")},
		},
	}}
	e.p = New(Config{
		Source:   e.src,
		Evaluate: e.eval.Evaluate,
		Resolve:  e.res.Resolve,
		Sync: func(context.Context) error {
			e.syncMu.Lock()
			e.syncs++
			e.syncMu.Unlock()
			return nil
		},
		Token:       testToken,
		Log:         slog.New(e.log),
		DialTimeout: 2 * time.Second,
	})
	ls, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lh, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.socks, e.http = ls.Addr().String(), lh.Addr().String()
	go func() { e.serveErr <- e.p.ServeSOCKS(ls) }()
	go func() { e.serveErr <- e.p.ServeHTTP(lh) }()
	// Wait until both serve: a test that ends before then would close
	// the proxy first, and a Serve called after Close returns an error.
	for deadline := time.Now().Add(5 * time.Second); ; {
		e.p.mu.Lock()
		serving := len(e.p.listeners) == 1 && len(e.p.servers) == 1
		e.p.mu.Unlock()
		if serving {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the proxies did not start serving")
		}
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		if err := e.p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for range 2 {
			select {
			case err := <-e.serveErr:
				if err != nil {
					t.Errorf("Serve returned %v after Close, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Errorf("Serve did not return after Close")
			}
		}
	})
	return e
}

func (e *env) syncCount() int {
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	return e.syncs
}

// waitFlows waits until the proxy has n live flows.
func (e *env) waitFlows(n int) []FlowInfo {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		fs := e.p.Flows()
		if len(fs) == n {
			return fs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("flows = %+v, want %d", fs, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// socksDest is a SOCKS5 request address: an IP or a name.
func socksDest(dest string) (atyp byte, addr []byte, port uint16) {
	host, portStr, _ := net.SplitHostPort(dest)
	var p int
	fmt.Sscanf(portStr, "%d", &p)
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Is4() {
			b := a.As4()
			return 1, b[:], uint16(p)
		}
		b := a.As16()
		return 4, b[:], uint16(p)
	}
	return 3, append([]byte{byte(len(host))}, host...), uint16(p)
}

// rawSOCKS runs a SOCKS5 handshake by hand and returns the auth status
// (0 success), the reply code (when auth succeeded) and the connection.
func rawSOCKS(t *testing.T, proxyAddr, user, pass, dest string) (authStatus, reply byte, c net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	mustWrite(t, c, []byte{5, 1, 2})
	sel := mustRead(t, br, 2)
	if sel[0] != 5 || sel[1] != 2 {
		t.Fatalf("method selection = %x, want 05 02", sel)
	}
	mustWrite(t, c, append(append(append([]byte{1, byte(len(user))}, user...), byte(len(pass))), pass...))
	st := mustRead(t, br, 2)
	if st[0] != 1 {
		t.Fatalf("auth reply version = %d", st[0])
	}
	if st[1] != 0 {
		// RFC 1929: the server must close the connection after a failure.
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("after auth failure: read err = %v, want EOF", err)
		}
		return st[1], 0, c
	}
	atyp, addr, port := socksDest(dest)
	req := append([]byte{5, 1, 0, atyp}, addr...)
	req = append(req, byte(port>>8), byte(port))
	mustWrite(t, c, req)
	hdr := mustRead(t, br, 4)
	if hdr[0] != 5 {
		t.Fatalf("reply version = %d", hdr[0])
	}
	switch hdr[3] {
	case 1:
		mustRead(t, br, 4+2)
	case 4:
		mustRead(t, br, 16+2)
	case 3:
		n := mustRead(t, br, 1)
		mustRead(t, br, int(n[0])+2)
	}
	_ = c.SetDeadline(time.Time{})
	return 0, hdr[1], &bufConn{Conn: c, r: br}
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *bufConn) CloseWrite() error          { return b.Conn.(*net.TCPConn).CloseWrite() }

func mustWrite(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// rawConnect sends an HTTP CONNECT and returns the response and the
// connection (reading through the response's buffered reader).
func rawConnect(t *testing.T, proxyAddr, auth, dest string) (*http.Response, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", proxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "CONNECT " + dest + " HTTP/1.1\r\nHost: " + dest + "\r\n"
	if auth != "" {
		req += "Proxy-Authorization: " + auth + "\r\n"
	}
	mustWrite(t, c, []byte(req+"\r\n"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatalf("read CONNECT response: %v", err)
	}
	_ = c.SetDeadline(time.Time{})
	return resp, &bufConn{Conn: c, r: br}
}

// echoRoundTrip writes msg, half-closes, and expects msg back then EOF.
func echoRoundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	mustWrite(t, c, []byte(msg))
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("%T cannot half-close", c)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if string(got) != msg {
		t.Fatalf("echo = %q, want %q", got, msg)
	}
}
