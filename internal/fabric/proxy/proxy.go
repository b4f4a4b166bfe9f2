package proxy

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

// DefaultDialTimeout bounds a decision plus the dial of the real target
// when Config.DialTimeout is zero.
const DefaultDialTimeout = 5 * time.Second

// SSHBannerTarget is the Verdict.TargetAddr that asks for the built-in SSH
// answer instead of a real dial.
const SSHBannerTarget = "ssh-banner"

// SSHBanner is what the built-in SSH answer sends (RFC 4253 version line).
const SSHBanner = "SSH-2.0-OpenSSH_9.2p1 privlink\r\n"

// Config configures a Proxy.
type Config struct {
	// Source hands out the current snapshot and announces new ones.
	// Required.
	Source fabric.Source
	// Evaluate decides a new connection (path.Evaluate in the daemon).
	// Required.
	Evaluate func(*fabric.Snapshot, fabric.Query) fabric.Verdict
	// Resolve resolves a name in a host's DNS view (A records); the error
	// text explains a failure (NXDOMAIN...). Required.
	Resolve func(ctx context.Context, s *fabric.Snapshot, hostID, name string) ([]netip.Addr, error)
	// Sync is the read-your-writes fence called before each decision;
	// may be nil.
	Sync func(ctx context.Context) error
	// Token is the password clients must send. An empty token lets no
	// client in (fail closed).
	Token string
	// Log receives the proxy's log lines; nil means slog.Default().
	Log *slog.Logger
	// DialTimeout bounds the decision (fence, DNS, evaluation) and the
	// dial of the real target, each; zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// NATPortsPerIP is how many source ports each NAT IP of a private
	// link service offers towards one backend; zero means
	// DefaultNATPortsPerIP (Azure's 64k). Tests lower it to exhaust it.
	NATPortsPerIP int
}

// FlowInfo describes a live flow for diagnostics.
type FlowInfo struct {
	ID uint64
	// Via is how the flow came in: "socks5", "http-connect", "http" (a
	// forwarded absolute-URI request) or "dial" (Proxy.Dial).
	Via string
	// SourceHost is the vantage's host ID.
	SourceHost string
	// DestHost is the destination host's ID ("" if the verdict named
	// none).
	DestHost string
	// Dest is the destination as the source sees it (emulated address).
	Dest netip.AddrPort
	// Name is the host name the client asked for ("" for an address).
	Name string
	// Target is the real loopback address spliced to, or "ssh-banner".
	Target string
	// Started is when the flow was established.
	Started time.Time
	// Client is the real client's address and port (for Dial, a
	// synthetic ephemeral port on 127.0.0.1).
	Client netip.AddrPort
	// Source is the source address the target sees (Verdict's
	// TranslatedSource, or the NAT IP allocated through a private link
	// service); the real dial binds to its loopback stand-in when Bound.
	Source netip.Addr
	Bound  bool
	// PrivateEndpoint and PrivateLinkService are the resource IDs the
	// flow went through ("" when not through Private Link); Backend is
	// the load balancer member (BackendMember.Key) it landed on.
	PrivateEndpoint    string
	PrivateLinkService string
	Backend            string
}

// Proxy is the set of ingress proxies sharing one decision path and one
// flow table. Create it with New; it is safe for concurrent use.
type Proxy struct {
	cfg    Config
	log    *slog.Logger
	dialer net.Dialer
	token  []byte // cfg.Token
	seed   maphash.Seed
	nat    natTable
	// dialPorts numbers the synthetic client ports of Dial's flows.
	dialPorts atomic.Uint32

	vantages vantageCache

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	unsub  func()

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	servers   map[*http.Server]struct{}
	handshake map[net.Conn]struct{} // SOCKS connections not yet spliced or refused
	flows     map[uint64]*flow
	nextID    uint64
	latest    *fabric.Snapshot // last snapshot announced by the Source

	httpFwd *httputil.ReverseProxy
}

// New returns a Proxy. It subscribes to cfg.Source at once, so flows are
// cut as soon as their hosts go away. It panics when Source, Evaluate or
// Resolve is nil.
func New(cfg Config) *Proxy {
	if cfg.Source == nil || cfg.Evaluate == nil || cfg.Resolve == nil {
		panic("proxy.New: Config.Source, Config.Evaluate and Config.Resolve are required")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "proxy")
	if cfg.Token == "" {
		log.Warn("proxy token is empty: every client will fail authentication")
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		cfg: cfg,
		log: log,
		// Targets are loopback listeners: TCP keep-alive probes would
		// never find a dead peer the kernel has not already reset.
		dialer:    net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: -1},
		token:     []byte(cfg.Token),
		ctx:       ctx,
		cancel:    cancel,
		listeners: map[net.Listener]struct{}{},
		servers:   map[*http.Server]struct{}{},
		handshake: map[net.Conn]struct{}{},
		flows:     map[uint64]*flow{},
		seed:      maphash.MakeSeed(),
	}
	p.nat.limit = cmp.Or(cfg.NATPortsPerIP, DefaultNATPortsPerIP)
	p.httpFwd = p.newForwarder()
	p.unsub = cfg.Source.Subscribe(p.onSnapshot)
	return p
}

// Close stops every listener and server, cancels decisions in progress,
// closes connections still in handshake and every flow. Serve calls then
// return nil.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ls := make([]net.Listener, 0, len(p.listeners))
	for l := range p.listeners {
		ls = append(ls, l)
	}
	srvs := make([]*http.Server, 0, len(p.servers))
	for s := range p.servers {
		srvs = append(srvs, s)
	}
	pend := make([]net.Conn, 0, len(p.handshake))
	for c := range p.handshake {
		pend = append(pend, c)
	}
	fl := make([]*flow, 0, len(p.flows))
	for _, f := range p.flows {
		fl = append(fl, f)
	}
	p.mu.Unlock()

	p.unsub()
	p.cancel()
	var errs []error
	for _, s := range srvs {
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close http proxy: %w", err))
		}
	}
	for _, l := range ls {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close listener %s: %w", l.Addr(), err))
		}
	}
	for _, c := range pend {
		_ = c.Close()
	}
	for _, f := range fl {
		p.endFlow(f, "proxy closed")
	}
	return errors.Join(errs...)
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// trackListener registers l so Close closes it; false if already closed.
func (p *Proxy) trackListener(l net.Listener) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.listeners[l] = struct{}{}
	return true
}

// trackHandshake adds (or removes) a client connection Close must close;
// false if the proxy is closed.
func (p *Proxy) trackHandshake(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !add {
		delete(p.handshake, c)
		return true
	}
	if p.closed {
		return false
	}
	p.handshake[c] = struct{}{}
	return true
}

func (p *Proxy) untrackListener(l net.Listener) {
	p.mu.Lock()
	delete(p.listeners, l)
	p.mu.Unlock()
}

// LookupVantage finds the vantage a client names: a host by resource ID
// (any case), by name (which must be unique across the snapshot), or
// "internet" (any case), which always means the built-in internet vantage
// (a VM named "internet" is reached by its resource ID).
func LookupVantage(s *fabric.Snapshot, name string) (*fabric.Host, error) {
	if s == nil {
		return nil, errors.New("no fabric snapshot is available yet")
	}
	key := strings.ToLower(strings.TrimSpace(name))
	switch {
	case key == "":
		return nil, errors.New("no vantage given: use a host's resource ID, a VM name, or 'internet'")
	case key == fabric.InternetHostID:
		if h := s.Hosts[fabric.InternetHostID]; h != nil {
			return h, nil
		}
		return nil, errors.New("vantage 'internet' is not in the fabric snapshot")
	case strings.HasPrefix(key, "/"):
		if h := s.Hosts[key]; h != nil {
			return h, nil
		}
		return nil, fmt.Errorf("vantage '%s' not found: no host has that resource ID", name)
	}
	var cands []*fabric.Host
	if s.HostsByName != nil {
		cands = s.HostsByName[key]
	} else {
		for _, h := range s.Hosts {
			if strings.ToLower(h.Name) == key {
				cands = append(cands, h)
			}
		}
	}
	switch len(cands) {
	case 0:
		return nil, fmt.Errorf("vantage '%s' not found: no host has that name or resource ID", name)
	case 1:
		return cands[0], nil
	}
	ids := make([]string, 0, len(cands))
	for _, h := range cands {
		id := h.ResourceID
		if id == "" {
			id = h.ID
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return nil, fmt.Errorf("vantage '%s' is ambiguous: %s; use the resource ID", name, strings.Join(ids, ", "))
}

// vantageCache remembers the vantages clients named in one snapshot, by
// the user name exactly as sent, so that a connection does not repeat
// LookupVantage (case folding, name index) for every new connection. A
// new snapshot starts a new cache; only successful lookups are kept.
type vantageCache struct {
	mu     sync.Mutex
	snap   *fabric.Snapshot
	byName map[string]*fabric.Host
}

// vantageCacheMax bounds the user names remembered per snapshot.
const vantageCacheMax = 1024

// lookupVantage is LookupVantage through the cache.
func (p *Proxy) lookupVantage(s *fabric.Snapshot, name string) (*fabric.Host, error) {
	vc := &p.vantages
	vc.mu.Lock()
	if vc.snap == s && s != nil {
		if h, ok := vc.byName[name]; ok {
			vc.mu.Unlock()
			return h, nil
		}
	}
	vc.mu.Unlock()
	h, err := LookupVantage(s, name)
	if err != nil {
		return nil, err
	}
	vc.mu.Lock()
	if vc.snap != s {
		vc.snap, vc.byName = s, make(map[string]*fabric.Host)
	}
	if len(vc.byName) < vantageCacheMax {
		vc.byName[name] = h
	}
	vc.mu.Unlock()
	return h, nil
}

// checkCredentials authenticates a proxy user: the vantage must exist and
// the password must be the token. The error says why, for the log.
func (p *Proxy) checkCredentials(user string, password []byte) (*fabric.Host, error) {
	if len(p.token) == 0 || subtle.ConstantTimeCompare(password, p.token) != 1 {
		return nil, fmt.Errorf("wrong token for vantage %q", user)
	}
	h, err := p.lookupVantage(p.cfg.Source.Current(), user)
	if err != nil && p.cfg.Sync != nil {
		// The vantage may have been created a moment ago: wait for the
		// snapshot to catch up with the store, then look again.
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.DialTimeout)
		serr := p.cfg.Sync(ctx)
		cancel()
		if serr == nil {
			h, err = p.lookupVantage(p.cfg.Source.Current(), user)
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "ambiguous") {
			return nil, err
		}
		return nil, fmt.Errorf("unknown vantage %q: %w", user, err)
	}
	return h, nil
}

// RefusedError is the error of a connection the fabric does not deliver.
type RefusedError struct {
	// Vantage is the source host ID ("" when the vantage is unknown).
	Vantage string
	// Dest is the destination as asked ("host:port").
	Dest    string
	Verdict fabric.Verdict
}

// Error says what happened in the words of the socket API ("connection
// refused", "network is unreachable", "host unreachable") followed by the
// block reasons.
func (e *RefusedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connect to %s from %s: %s", e.Dest, e.Vantage, outcomeText(e.Verdict.Outcome))
	if r := blockReasons(e.Verdict.Blocks); r != "" {
		b.WriteString(": ")
		b.WriteString(r)
	}
	return b.String()
}

// outcomeText is the socket-API phrase of an outcome. The SOCKS server
// maps these exact phrases to reply codes.
func outcomeText(o fabric.Outcome) string {
	switch o {
	case fabric.DeniedByNSG:
		return "connection not allowed by network security rules"
	case fabric.NetworkUnreachable:
		return "network is unreachable"
	case fabric.Refused:
		return "connection refused"
	case fabric.SourceDown:
		return "host unreachable (the source host is not running)"
	case fabric.HostUnreachable:
		return "host unreachable"
	}
	return "host unreachable (" + string(o) + ")"
}

func blockReasons(bs []fabric.Block) string {
	rs := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.Reason != "" {
			rs = append(rs, b.Reason)
		} else {
			rs = append(rs, b.Kind)
		}
	}
	return strings.Join(rs, "; ")
}

// decision is the outcome of deciding one new connection.
type decision struct {
	vantage *fabric.Host // nil when the vantage is unknown
	dest    string       // as asked, host:port
	name    string       // the host name asked for, "" for an address
	addr    netip.AddrPort
	client  netip.AddrPort // the real client (FlowHash, PROXY v2 source port)
	verdict fabric.Verdict
}

func (d *decision) refusal() *RefusedError {
	if d.verdict.Allowed() {
		return nil
	}
	e := &RefusedError{Dest: d.dest, Verdict: d.verdict}
	if d.vantage != nil {
		e.Vantage = d.vantage.ID
	}
	return e
}

// decide runs the fence, the vantage lookup, the resolution and the
// evaluation for a new TCP connection from vantage to host:port. client
// is the real client's address and port: the flow hash covers it, so one
// connection sticks to one load balancer backend and others spread.
func (p *Proxy) decide(parent context.Context, vantage, host string, port int, client netip.AddrPort) *decision {
	lt := newLazyTimeout(parent, p.cfg.DialTimeout)
	defer lt.release()
	var ctx context.Context = lt
	d := &decision{dest: net.JoinHostPort(host, strconv.Itoa(port)), client: client}
	if p.cfg.Sync != nil {
		if err := p.cfg.Sync(ctx); err != nil {
			p.log.Warn("read-your-writes fence failed; deciding on the current snapshot", "error", err)
		}
	}
	s := p.cfg.Source.Current()
	h, err := p.lookupVantage(s, vantage)
	if err != nil {
		d.verdict = fabric.Verdict{Outcome: fabric.SourceDown, Blocks: []fabric.Block{{Kind: "NoHost", Reason: err.Error()}}}
		return d
	}
	d.vantage = h
	if port < 1 || port > 65535 {
		// What connect(2) says for port 0 on Linux.
		d.verdict = fabric.Verdict{Outcome: fabric.Refused, Blocks: []fabric.Block{{Kind: "NoListener", Reason: fmt.Sprintf("port %d is not a valid TCP destination port", port)}}}
		return d
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a.Unmap().WithZone("")}
	} else {
		d.name = strings.TrimSuffix(strings.ToLower(host), ".")
		addrs, err = p.cfg.Resolve(ctx, s, h.ID, d.name)
		if err == nil && len(addrs) == 0 {
			err = fmt.Errorf("%s: no A records", d.name)
		}
		if err != nil {
			d.verdict = fabric.Verdict{Outcome: fabric.HostUnreachable, Blocks: []fabric.Block{{
				Kind:   "DNS",
				Reason: fmt.Sprintf("resolving %s from %s failed: %v", d.name, h.Name, err),
			}}}
			return d
		}
	}
	// Like a client trying each address of a name in turn: the first
	// delivered address wins, else the first address's verdict stands.
	for i, a := range addrs {
		a = a.Unmap()
		dst := netip.AddrPortFrom(a, uint16(port))
		v := p.cfg.Evaluate(s, fabric.Query{Source: h.ID, Dest: a, Protocol: fabric.TCP, Port: port,
			FlowHash: p.flowHash(client, dst, fabric.TCP)})
		if i == 0 || v.Allowed() {
			d.addr = netip.AddrPortFrom(a, uint16(port))
			d.verdict = v
		}
		if v.Allowed() {
			break
		}
	}
	return d
}

// logRefusal logs a connection the fabric does not deliver, with every
// block reason.
func (p *Proxy) logRefusal(via string, d *decision) {
	src := ""
	if d.vantage != nil {
		src = d.vantage.ID
	}
	reasons := make([]string, 0, len(d.verdict.Blocks))
	for _, b := range d.verdict.Blocks {
		reasons = append(reasons, b.Kind+": "+b.Reason)
	}
	p.log.Info("connection refused by the fabric",
		"via", via, "vantage", src, "dest", d.dest, "addr", d.addr,
		"outcome", string(d.verdict.Outcome), "blocks", reasons)
}

// Dial opens a connection from a vantage host to dest ("host:port"; host
// resolved in the vantage's view) through exactly the same decision and
// splice path the listeners use, returning the verdict it acted on (its
// TranslatedSource is the NAT IP allocated through a private link
// service). A connection the fabric does not deliver, or one refused for
// NAT port exhaustion, returns a *RefusedError. The connection is a flow
// until closed.
func (p *Proxy) Dial(ctx context.Context, vantage string, dest string) (net.Conn, fabric.Verdict, error) {
	host, portStr, err := net.SplitHostPort(dest)
	if err != nil {
		return nil, fabric.Verdict{}, fmt.Errorf("dial %q: %w", dest, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fabric.Verdict{}, fmt.Errorf("dial %q: invalid port %q", dest, portStr)
	}
	if p.isClosed() {
		return nil, fabric.Verdict{}, fmt.Errorf("dial %q: %w", dest, net.ErrClosed)
	}
	d := p.decide(ctx, vantage, host, port, p.dialClient())
	if re := d.refusal(); re != nil {
		p.logRefusal("dial", d)
		return nil, d.verdict, re
	}
	c, f, err := p.connect(ctx, "dial", d, nil)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			return nil, re.Verdict, err // NAT port exhaustion
		}
		return nil, d.verdict, err
	}
	v := d.verdict
	if f.info.Source.IsValid() {
		v.TranslatedSource = f.info.Source // the NAT IP allocated
	}
	return c, v, nil
}

// checkTarget makes sure a target is a real loopback address.
func checkTarget(target string) error {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return fmt.Errorf("target %q is not host:port: %w", target, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Unmap().IsLoopback() {
		return fmt.Errorf("target %s is not a loopback address: emulated addresses are never dialed", target)
	}
	return nil
}

// dialContext is the context of the listeners' dials to their targets.
// Those are bounded by Config.DialTimeout (the dialer's Timeout) but not
// tied to the proxy's own context: linking every dial to that shared
// context costs a lock on it per connection, and a dial that completes
// after Close is refused by addFlow anyway.
var dialContext = context.Background()

// connect opens the target of a delivered decision and registers the
// flow. client, when set, is closed with the flow.
func (p *Proxy) connect(ctx context.Context, via string, d *decision, client net.Conn) (net.Conn, *flow, error) {
	v := d.verdict
	f := &flow{info: FlowInfo{
		Via:        via,
		SourceHost: d.vantage.ID,
		Dest:       d.addr,
		Name:       d.name,
		Target:     v.TargetAddr,
		Client:     d.client,
	}}
	if v.TargetHost != nil {
		f.info.DestHost = v.TargetHost.ID
	}
	src := v.TranslatedSource
	if v.Service != nil {
		// Source NAT through the private link service: a port on the
		// first NAT IP (primary first) with one free towards the
		// backend, released when the flow ends.
		be := backendKey(&v)
		ip, release, ok := p.nat.allocate(v.Service, v.NATIPs, be)
		if !ok {
			re := natExhaustion(d, p.nat.limit, be)
			p.log.Warn("connection refused by the fabric: private link service NAT port exhaustion",
				"via", via, "vantage", d.vantage.ID, "dest", d.dest, "service", v.Service.ID, "backend", be,
				"reason", re.Verdict.Blocks[0].Reason)
			return nil, nil, re
		}
		src = ip
		f.closers = append(f.closers, func() error { release(); return nil })
		f.info.PrivateLinkService, f.info.Backend = v.Service.ID, be
		if v.Endpoint != nil {
			f.info.PrivateEndpoint = v.Endpoint.ID
		}
	}
	f.info.Source = src
	var target net.Conn
	if v.TargetAddr == SSHBannerTarget {
		local := &net.TCPAddr{IP: net.IPv4zero}
		if src.IsValid() {
			local.IP = src.AsSlice()
		}
		b := newBannerConn(local, net.TCPAddrFromAddrPort(d.addr))
		b.onClose = func() { p.endFlow(f, "closed") }
		f.closers = append(f.closers, b.closeRaw)
		target = b
	} else {
		if err := checkTarget(v.TargetAddr); err != nil {
			p.log.Error("refusing to dial the verdict's target", "via", via, "vantage", d.vantage.ID, "dest", d.dest, "error", err)
			_ = f.closeAll()
			return nil, nil, err
		}
		tc, bound, err := p.dialTarget(ctx, v.TargetAddr, src)
		if err != nil {
			_ = f.closeAll()
			p.log.Warn("the listener standing for the destination does not answer",
				"via", via, "vantage", d.vantage.ID, "dest", d.dest, "target", v.TargetAddr, "error", err)
			return nil, nil, fmt.Errorf("connect to %s (listener %s): %w", d.dest, v.TargetAddr, err)
		}
		f.info.Bound = bound
		f.closers = append(f.closers, tc.Close)
		if v.ProxyProtocol {
			// The header goes before any client byte; the bulk after it
			// is spliced as usual.
			hdr, err := proxyHeader(netip.AddrPortFrom(v.ConsumerAddr, d.client.Port()), d.addr, v.LinkID)
			if err == nil {
				_, err = tc.Write(hdr)
			}
			if err != nil {
				_ = f.closeAll()
				p.log.Warn("sending the PROXY protocol v2 header failed", "via", via, "vantage", d.vantage.ID,
					"dest", d.dest, "target", v.TargetAddr, "error", err)
				return nil, nil, fmt.Errorf("connect to %s (listener %s): PROXY protocol header: %w", d.dest, v.TargetAddr, err)
			}
		}
		target = &flowConn{TCPConn: tc, p: p, f: f}
	}
	if client != nil {
		f.closers = append(f.closers, client.Close)
	}
	if reason := p.addFlow(f); reason != "" {
		_ = f.closeAll()
		return nil, nil, fmt.Errorf("connect to %s: host unreachable: %s", d.dest, reason)
	}
	if p.log.Enabled(ctx, slog.LevelDebug) {
		p.log.Debug("flow opened", "id", f.info.ID, "via", via, "vantage", d.vantage.ID,
			"dest", d.dest, "addr", d.addr, "target", v.TargetAddr)
	}
	return target, f, nil
}

// dialTarget dials a target listener. When src (the source address the
// target should see) is IPv4 a.b.c.d, the socket is bound to 127.b.c.d
// first (see LoopbackFor), so the listener's peer address tells the
// source; if that bind fails, the dial goes unbound (bound false).
func (p *Proxy) dialTarget(ctx context.Context, target string, src netip.Addr) (*net.TCPConn, bool, error) {
	if lb, ok := LoopbackFor(src); ok {
		dl := p.dialer
		dl.Control = bindNoPort
		var c *net.TCPConn
		var err error
		if raddr, perr := netip.ParseAddrPort(target); perr == nil {
			// The target is an address (checkTarget made sure of it
			// for the listeners): Dialer.DialTCP skips the resolver's
			// parsing and address list, which DialContext runs for
			// every connection. The local address is explicit here,
			// so DialTCP's bind is the same as DialContext's.
			c, err = dl.DialTCP(ctx, "tcp", netip.AddrPortFrom(lb, 0), raddr)
		} else {
			dl.LocalAddr = &net.TCPAddr{IP: lb.AsSlice()}
			var nc net.Conn
			if nc, err = dl.DialContext(ctx, "tcp", target); err == nil {
				c = nc.(*net.TCPConn)
			}
		}
		if err == nil {
			return c, true, nil
		}
		if !bindFailed(err) {
			return nil, false, err
		}
		if p.log.Enabled(ctx, slog.LevelDebug) {
			p.log.Debug("binding the dial to the source's loopback stand-in failed; dialing unbound",
				"source", src, "local", lb, "target", target, "error", err)
		}
	}
	// Not Dialer.DialTCP (which skips the resolver): given no local
	// address it binds port 0 explicitly, and TIME_WAIT sockets of a busy
	// target exhaust that, where connect(2) alone reuses them.
	c, err := p.dialer.DialContext(ctx, "tcp", target)
	if err != nil {
		return nil, false, err
	}
	return c.(*net.TCPConn), false, nil
}

// bindFailed tells a failed bind(2) of the local address from a failed
// connect.
func bindFailed(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) && se.Syscall == "bind" {
		return true
	}
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EADDRINUSE)
}

// dialClient is the client address of a Dial flow, which has no real
// client: 127.0.0.1 and a synthetic ephemeral port (49152-65535, in turn),
// for the flow hash and the PROXY v2 header.
func (p *Proxy) dialClient() netip.AddrPort {
	n := p.dialPorts.Add(1)
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(49152+n%16384))
}

// clientAddr is the address and port of a client connection's peer.
func clientAddr(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a != nil {
		if ap, err := netip.ParseAddrPort(a.String()); err == nil {
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	return netip.AddrPort{}
}

// flow is one spliced connection.
type flow struct {
	info FlowInfo

	mu      sync.Mutex
	closers []func() error
	closed  bool
}

// attach adds a closer (the client side of a proxied connection) to the
// flow; when the flow is already closed it runs it at once and returns
// false.
func (f *flow) attach(c func() error) bool {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		_ = c()
		return false
	}
	f.closers = append(f.closers, c)
	f.mu.Unlock()
	return true
}

// closeAll closes the flow's connections (once).
func (f *flow) closeAll() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	cs := f.closers
	f.mu.Unlock()
	var errs []error
	for _, c := range cs {
		if err := c(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addFlow registers f unless the latest snapshot already lost its hosts
// (a snapshot announced between the decision and now); it returns why it
// refused, or "".
func (p *Proxy) addFlow(f *flow) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return "proxy closed"
	}
	s := p.cfg.Source.Current()
	if p.latest != nil && (s == nil || p.latest.Revision > s.Revision) {
		s = p.latest
	}
	if why := flowGone(s, &f.info); why != "" {
		return why
	}
	p.nextID++
	f.info.ID = p.nextID
	f.info.Started = time.Now()
	p.flows[f.info.ID] = f
	return ""
}

// endFlow unregisters f and closes its connections.
func (p *Proxy) endFlow(f *flow, why string) {
	p.mu.Lock()
	_, live := p.flows[f.info.ID]
	delete(p.flows, f.info.ID)
	p.mu.Unlock()
	_ = f.closeAll()
	if live && p.log.Enabled(p.ctx, slog.LevelDebug) {
		p.log.Debug("flow closed", "id", f.info.ID, "via", f.info.Via, "vantage", f.info.SourceHost,
			"dest", f.info.Dest, "reason", why, "duration", time.Since(f.info.Started))
	}
}

// flowGone says why a flow can no longer exist in s, or "".
func flowGone(s *fabric.Snapshot, fi *FlowInfo) string {
	if s == nil {
		return ""
	}
	if fi.PrivateEndpoint != "" {
		if why := privateLinkGone(s, fi); why != "" {
			return why
		}
	}
	for _, x := range []struct{ role, id string }{{"source", fi.SourceHost}, {"destination", fi.DestHost}} {
		if x.id == "" {
			continue
		}
		h := s.Hosts[x.id]
		switch {
		case h == nil:
			return fmt.Sprintf("the %s host %s no longer exists", x.role, x.id)
		case !h.Running:
			ps := h.PowerState
			if ps == "" {
				ps = "not running"
			}
			return fmt.Sprintf("the %s host %s is %s", x.role, h.Name, ps)
		}
	}
	return ""
}

// onSnapshot closes the flows whose source or destination host is gone or
// stopped in the new snapshot, and the flows through a private endpoint
// whose connection is no longer Approved (or whose endpoint or service is
// gone). Security rule changes do not cut flows.
func (p *Proxy) onSnapshot(_, s *fabric.Snapshot) {
	type cut struct {
		f   *flow
		why string
	}
	var cuts []cut
	p.mu.Lock()
	p.latest = s
	for _, f := range p.flows {
		if why := flowGone(s, &f.info); why != "" {
			cuts = append(cuts, cut{f, why})
		}
	}
	p.mu.Unlock()
	for _, c := range cuts {
		msg := "closing flow: its host went away"
		if c.f.info.PrivateEndpoint != "" && strings.Contains(c.why, "private ") {
			msg = "closing flow: its private endpoint connection no longer carries traffic"
		}
		p.log.Info(msg, "id", c.f.info.ID, "via", c.f.info.Via,
			"vantage", c.f.info.SourceHost, "dest", c.f.info.Dest, "reason", c.why)
		p.endFlow(c.f, c.why)
	}
}

// Flows returns the live flows, oldest first.
func (p *Proxy) Flows() []FlowInfo {
	p.mu.Lock()
	out := make([]FlowInfo, 0, len(p.flows))
	for _, f := range p.flows {
		out = append(out, f.info)
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b FlowInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
