package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// Evaluator decides whether a flow is delivered (the path package's
// Evaluate, injected by the application).
type Evaluator func(*fabric.Snapshot, fabric.Query) fabric.Verdict

// AzureDNSTarget is the Verdict.TargetAddr the evaluator gives for
// 168.63.129.16: Azure-provided DNS, answered in process.
const AzureDNSTarget = "azure-dns"

// DefaultForwardTimeout bounds one exchange with a custom DNS server.
const DefaultForwardTimeout = 2 * time.Second

// maxForwardHops bounds how many times one query may be forwarded by
// privlink listeners (a custom DNS server whose listener is privlink's own
// per-VNet listener, forwarding again...).
const maxForwardHops = 4

// hopOption is the EDNS0 local option code (RFC 6891 local range) that
// carries the forwarding hop count between privlink listeners.
const hopOption = 65001

// advertisedUDPSize is the EDNS0 UDP payload size privlink's replies
// advertise (the DNS flag day 2020 value).
const advertisedUDPSize = 1232

// ErrClosed is returned by a closed Server.
var ErrClosed = errors.New("the DNS server is closed")

// ErrHostNotFound is returned by Exchange for an unknown vantage host.
var ErrHostNotFound = errors.New("host not found")

// ErrVNetNotFound is returned by Addr for a VNet missing from the snapshot.
var ErrVNetNotFound = errors.New("ResourceNotFound")

// Config configures a Server.
type Config struct {
	// Source gives the current snapshot and its updates (required).
	Source fabric.Source
	// Evaluate decides whether custom DNS servers are reachable. Without
	// it, queries of VNets with custom DNS servers answer SERVFAIL.
	Evaluate Evaluator
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ForwardTimeout bounds one exchange with a custom DNS server
	// (default DefaultForwardTimeout).
	ForwardTimeout time.Duration
}

// Server answers DNS for the fabric: on one loopback UDP+TCP port per VNet
// (Addr), and in process (Exchange).
type Server struct {
	src     fabric.Source
	eval    Evaluator
	log     *slog.Logger
	timeout time.Duration

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	unsub  func()

	mu        sync.Mutex
	closed    bool
	listeners map[string]*listener // by lower-case VNet ID

	// cache holds the listeners' answers for the current snapshot.
	cache atomic.Pointer[answerCache]
}

// listener is a VNet's UDP sockets and TCP server, on the same port.
type listener struct {
	vnetID string
	addr   string
	udp    []*net.UDPConn
	tcp    *mdns.Server

	// fast holds the packed replies of the current snapshot (udp.go).
	fast     atomic.Pointer[fastTable]
	closing  atomic.Bool
	readers  sync.WaitGroup // the UDP reader loops
	handlers sync.WaitGroup // the UDP queries answered off the reader loops
}

// New starts a Server (no listener runs until Addr asks for one).
func New(cfg Config) (*Server, error) {
	if cfg.Source == nil {
		return nil, errors.New("dns: Config.Source is required")
	}
	s := &Server{
		src:       cfg.Source,
		eval:      cfg.Evaluate,
		log:       cfg.Logger,
		timeout:   cfg.ForwardTimeout,
		listeners: map[string]*listener{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.timeout <= 0 {
		s.timeout = DefaultForwardTimeout
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.unsub = s.src.Subscribe(s.onSnapshot)
	return s, nil
}

// Addr returns the loopback address ("127.0.0.1:PORT", UDP and TCP) that
// answers as Azure-provided DNS for a VNet, starting the listeners when
// they do not run yet. They stop when the VNet leaves the snapshot.
func (s *Server) Addr(vnetID string) (string, error) {
	id := strings.ToLower(vnetID)
	// Current is read outside s.mu: a Source may hold its own lock while
	// calling subscribers, which take s.mu.
	if s.src.Current().VNets[id] == nil {
		return "", fmt.Errorf("%w: %s", ErrVNetNotFound, notFoundMessage(vnetID))
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosed
	}
	if l := s.listeners[id]; l != nil {
		s.mu.Unlock()
		return l.addr, nil
	}
	l, err := s.listen(id)
	if err != nil {
		s.mu.Unlock()
		return "", err
	}
	s.listeners[id] = l
	s.mu.Unlock()
	// A snapshot without the VNet may have been published (and its
	// subscribers called) between the check above and the insertion: the
	// Source updates Current before it calls subscribers, so look again.
	if s.src.Current().VNets[id] == nil {
		s.mu.Lock()
		if s.listeners[id] == l {
			delete(s.listeners, id)
		}
		s.mu.Unlock()
		l.close()
		return "", fmt.Errorf("%w: %s", ErrVNetNotFound, notFoundMessage(vnetID))
	}
	s.log.Info("dns listener started", "vnet", vnetID, "addr", l.addr)
	return l.addr, nil
}

// notFoundMessage is ARM's ResourceNotFound message for a VNet ID.
func notFoundMessage(id string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	rg, name := "", id
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			rg = parts[i+1]
		}
	}
	if len(parts) > 0 {
		name = parts[len(parts)-1]
	}
	return fmt.Sprintf("The Resource 'Microsoft.Network/virtualNetworks/%s' under resource group '%s' was not found.", name, rg)
}

// listen starts the UDP readers and the TCP server of a VNet on one free
// port.
func (s *Server) listen(id string) (*listener, error) {
	conns, ln, err := listenGroup(udpSockets())
	if err != nil {
		return nil, err
	}
	l := &listener{vnetID: id, addr: conns[0].LocalAddr().String(), udp: conns}
	l.tcp = &mdns.Server{Listener: ln, Handler: s.vnetHandler(id)}
	if err := start(l.tcp); err != nil {
		for _, c := range conns {
			_ = c.Close()
		}
		_ = ln.Close()
		return nil, err
	}
	s.startReaders(l)
	return l, nil
}

// start runs a miekg server and waits until it serves.
func start(srv *mdns.Server) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	failed := make(chan error, 1)
	go func() { failed <- srv.ActivateAndServe() }()
	select {
	case <-started:
		return nil
	case err := <-failed:
		return fmt.Errorf("dns: serve: %w", err)
	}
}

// close stops the listener: its sockets at once, and waits (3 s at most)
// for the queries being answered.
func (l *listener) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	l.closing.Store(true)
	for _, c := range l.udp {
		_ = c.Close()
	}
	_ = l.tcp.ShutdownContext(ctx)
	l.readers.Wait()
	done := make(chan struct{})
	go func() { l.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	l.fast.Store(nil)
}

// onSnapshot closes the listeners of VNets that no longer exist and drops
// the others' reply tables of older snapshots.
func (s *Server) onSnapshot(_, snap *fabric.Snapshot) {
	s.mu.Lock()
	var gone []*listener
	for id, l := range s.listeners {
		if snap == nil || snap.VNets[id] == nil {
			gone = append(gone, l)
			delete(s.listeners, id)
		} else if t := l.fast.Load(); t != nil && t.snap != snap {
			// Stale already (readers compare with Current); dropping it
			// lets the old snapshot go.
			l.fast.CompareAndSwap(t, nil)
		}
	}
	s.mu.Unlock()
	for _, l := range gone {
		l.close()
		s.log.Info("dns listener closed: virtual network deleted", "vnet", l.vnetID, "addr", l.addr)
	}
}

// Close stops every listener.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ls := s.listeners
	s.listeners = map[string]*listener{}
	s.mu.Unlock()
	s.unsub()
	s.cancel()
	for _, l := range ls {
		l.close()
	}
	return nil
}

// vnetHandler answers queries arriving over TCP on a VNet's listener as
// for a VM of that VNet (UDP is served by readUDP).
func (s *Server) vnetHandler(vnetID string) mdns.Handler {
	const proto = fabric.TCP
	return mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		snap := s.src.Current()
		wire, resp, a, pure := s.listenerReply(snap, vnetID, proto, req)
		if wire != nil {
			if _, err := w.Write(wire); err != nil {
				s.log.Debug("dns: write reply", "vnet", vnetID, "proto", proto, "err", err)
			}
			return
		}
		if err := w.WriteMsg(resp); err != nil {
			s.log.Debug("dns: write reply", "vnet", vnetID, "proto", proto, "err", err)
		}
		if pure {
			s.cacheFor(snap).putWire(wireKeyOf(vnetID, req, proto), resp)
		}
		if s.log.Enabled(s.ctx, slog.LevelDebug) {
			s.log.Debug("dns query", "vnet", vnetID, "proto", proto, "name", a.Name, "type", typeName(a.Qtype),
				"rcode", mdns.RcodeToString[resp.Rcode], "steps", a.Steps)
		}
	})
}

// listenerReply answers a query that arrived on a VNet's listener, as for
// a VM of that VNet, from snap: the packed reply (with the request's ID)
// when the wire cache has it, else the reply. pure reports that the reply
// is a function of the snapshot and the request alone (a cacheable query
// not handed to custom DNS servers), so it may be reused for the same
// request while snap is current.
func (s *Server) listenerReply(snap *fabric.Snapshot, vnetID string, proto fabric.Protocol, req *mdns.Msg) (wire []byte, resp *mdns.Msg, a Answer, pure bool) {
	vnet := snap.VNets[vnetID]
	if vnet == nil {
		a = Answer{Rcode: mdns.RcodeRefused}
		a.fail(vnetID, fmt.Sprintf("virtual network %s no longer exists (REFUSED)", vnetID))
		return nil, reply(req, a), a, false
	}
	if !cacheable(req) {
		resp, a = s.answer(s.ctx, snap, View{VNet: vnet}, nil, req, proto, false)
		return nil, resp, a, false
	}
	c := s.cacheFor(snap)
	if b, ok := c.getWire(wireKeyOf(vnetID, req, proto), req.Id); ok {
		return b, nil, Answer{}, true
	}
	var hit bool
	if a, hit = c.get(vnetID, req.Question[0]); hit {
		return nil, reply(req, a), a, true
	}
	resp, a = s.answer(s.ctx, snap, View{VNet: vnet}, nil, req, proto, false)
	c.put(vnetID, req.Question[0], a)
	return nil, resp, a, len(a.ForwardTo) == 0 && !a.External
}

// Exchange answers a DNS message as the given vantage host would get it
// from its DNS servers (Azure-provided DNS, or its VNet's custom DNS
// servers, reached over UDP when the path evaluator lets the flow through).
// The host is a Snapshot.Hosts key, or a host name when only one host has
// it. The reply is never truncated (nothing crosses a UDP socket here,
// and a truncated reply of a custom DNS server is asked again over TCP).
// Errors are for bad arguments (nil message, unknown host) and a closed
// server; every DNS failure is a reply with its explanation.
func (s *Server) Exchange(ctx context.Context, hostID string, msg *mdns.Msg) (*mdns.Msg, Answer, error) {
	if msg == nil {
		return nil, Answer{}, errors.New("dns: nil message")
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, Answer{}, ErrClosed
	}
	snap := s.src.Current()
	h, err := findHost(snap, hostID)
	if err != nil {
		return nil, Answer{}, err
	}
	var v View
	if !OwnServers(h) {
		v, err = HostView(snap, h.ID)
	}
	if err != nil {
		a := Answer{Rcode: mdns.RcodeServerFailure}
		a.fail(h.ResourceID, err.Error())
		a.fillQuestion(msg)
		return reply(msg, a), a, nil
	}
	if !v.Internet && !h.Running {
		a := Answer{Rcode: mdns.RcodeServerFailure}
		reason := fmt.Sprintf("host %s is not running (%s): it sends no DNS queries", h.Name, h.PowerState)
		a.Steps = append(a.Steps, reason)
		a.Blocks = append(a.Blocks, fabric.Block{Kind: "HostStopped", ResourceID: h.ResourceID, Reason: reason})
		a.fillQuestion(msg)
		return reply(msg, a), a, nil
	}
	resp, a := s.answer(ctx, snap, v, h, msg, fabric.UDP, true)
	return resp, a, nil
}

// fillQuestion sets the answer's name and type from a message.
func (a *Answer) fillQuestion(msg *mdns.Msg) {
	if len(msg.Question) == 1 {
		a.Name = strings.ToLower(msg.Question[0].Name)
		a.Qtype = msg.Question[0].Qtype
	}
}

// findHost finds a host by ID, or by name when the name is unique.
func findHost(snap *fabric.Snapshot, ref string) (*fabric.Host, error) {
	id := strings.ToLower(ref)
	if h := snap.Hosts[id]; h != nil {
		return h, nil
	}
	switch hs := snap.HostsByName[id]; len(hs) {
	case 0:
		if id == fabric.InternetHostID {
			return &fabric.Host{ID: fabric.InternetHostID, Name: fabric.InternetHostID, Kind: fabric.KindInternet, Running: true}, nil
		}
		return nil, fmt.Errorf("%w: %s", ErrHostNotFound, ref)
	case 1:
		return hs[0], nil
	default:
		ids := make([]string, len(hs))
		for i, h := range hs {
			ids[i] = h.ResourceID
		}
		slices.Sort(ids)
		return nil, fmt.Errorf("host name %s is ambiguous; use one of the resource IDs: %s", ref, strings.Join(ids, ", "))
	}
}

// answer resolves a request for a view; src is the querying host (nil for
// a VNet listener). inProcess: the reply does not cross a UDP socket.
func (s *Server) answer(ctx context.Context, snap *fabric.Snapshot, v View, src *fabric.Host, req *mdns.Msg, proto fabric.Protocol, inProcess bool) (*mdns.Msg, Answer) {
	var a Answer
	a.fillQuestion(req)
	switch {
	case req.Opcode != mdns.OpcodeQuery:
		a.Rcode = mdns.RcodeNotImplemented
		a.fail("", fmt.Sprintf("opcode %s is not implemented (NOTIMP)", mdns.OpcodeToString[req.Opcode]))
		return reply(req, a), a
	case len(req.Question) != 1:
		a.Rcode = mdns.RcodeFormatError
		a.fail("", fmt.Sprintf("a query must hold exactly one question, not %d (FORMERR)", len(req.Question)))
		return reply(req, a), a
	case req.Question[0].Qclass != mdns.ClassINET:
		a.Rcode = mdns.RcodeRefused
		a.fail("", fmt.Sprintf("class %s is refused: Azure-provided DNS answers class IN only", mdns.ClassToString[req.Question[0].Qclass]))
		return reply(req, a), a
	case hops(req) >= maxForwardHops:
		a.Rcode = mdns.RcodeServerFailure
		a.fail("", fmt.Sprintf("%s: the query was forwarded %d times between custom DNS servers: forwarding loop (SERVFAIL)", a.Name, hops(req)))
		return reply(req, a), a
	}
	q := req.Question[0]
	c := s.chain(ctx, snap, req, inProcess)
	if src != nil && OwnServers(src) {
		a = c.host(src, q.Name, q.Qtype)
		return reply(req, a), a
	}
	a = c.azure(v, q.Name, q.Qtype)
	if len(a.ForwardTo) == 0 {
		return reply(req, a), a
	}
	return s.forward(ctx, snap, v, src, req, proto, inProcess, a)
}

// chain starts the in-process chain of DNS servers for one request: the
// injected evaluator decides every hop, real listeners are asked over the
// request's protocol with its forwarding hop count.
func (s *Server) chain(ctx context.Context, snap *fabric.Snapshot, req *mdns.Msg, inProcess bool) *chain {
	var eval Evaluator
	if s.eval != nil {
		eval = s.eval
	}
	ex := func(addr string, proto fabric.Protocol, name string, qtype uint16) (*mdns.Msg, string, error) {
		m := req.Copy()
		m.Question = []mdns.Question{{Name: mdns.Fqdn(name), Qtype: qtype, Qclass: mdns.ClassINET}}
		return s.exchangeUpstream(ctx, m, addr, proto, inProcess)
	}
	return newChain(snap, eval, ex)
}

// reply builds the reply message of an answer.
func reply(req *mdns.Msg, a Answer) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	m.Compress = true
	m.Rcode = a.Rcode
	m.Answer = a.Answer
	m.Ns = a.Authority
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(advertisedUDPSize, opt.Do())
	}
	return m
}

// hops returns the forwarding hop count a request carries.
func hops(req *mdns.Msg) int {
	opt := req.IsEdns0()
	if opt == nil {
		return 0
	}
	for _, o := range opt.Option {
		if l, ok := o.(*mdns.EDNS0_LOCAL); ok && l.Code == hopOption && len(l.Data) == 1 {
			return int(l.Data[0])
		}
	}
	return 0
}
