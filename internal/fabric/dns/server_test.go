package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newServer(t testing.TB, src fabric.Source, eval Evaluator) *Server {
	t.Helper()
	s, err := New(Config{Source: src, Evaluate: eval, Logger: testLogger(t), ForwardTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func query(name string, qtype uint16) *mdns.Msg {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	return m
}

func exchange(t *testing.T, network, addr string, m *mdns.Msg) *mdns.Msg {
	t.Helper()
	c := &mdns.Client{Net: network, Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s exchange with %s: %v", network, addr, err)
	}
	return r
}

func TestServerUDPAndTCP(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(strings.ToUpper(w.hub.ID))
	if err != nil {
		t.Fatal(err)
	}
	if ap := netip.MustParseAddrPort(addr); !ap.Addr().IsLoopback() || ap.Port() == 0 {
		t.Fatalf("addr %s", addr)
	}
	if again, _ := s.Addr(w.hub.ID); again != addr {
		t.Fatalf("second Addr %s, first %s", again, addr)
	}
	spokeAddr, err := s.Addr(w.spoke.ID)
	if err != nil || spokeAddr == addr {
		t.Fatalf("spoke addr %s %v", spokeAddr, err)
	}
	for _, network := range []string{"udp", "tcp"} {
		r := exchange(t, network, addr, query("X.blob.core.windows.net", mdns.TypeA))
		got := rrs(r.Answer)
		if r.Rcode != mdns.RcodeSuccess || len(got) != 2 || got[1] != "x.privatelink.blob.core.windows.net. 10 A 10.0.2.5" ||
			!r.Response || !r.RecursionAvailable || r.Authoritative || !r.RecursionDesired {
			t.Fatalf("%s hub: %v", network, r)
		}
		if r.Question[0].Name != "X.blob.core.windows.net." {
			t.Errorf("question %q", r.Question[0].Name)
		}
		r = exchange(t, network, spokeAddr, query("x.blob.core.windows.net", mdns.TypeA))
		if got := rrs(r.Answer); len(got) != 3 || got[2] != "blob.bl1prdstr01a.store.core.windows.net. 60 A 52.239.1.1" {
			t.Fatalf("%s spoke: %v", network, r)
		}
		r = exchange(t, network, addr, query("y.blob.core.windows.net", mdns.TypeA))
		if r.Rcode != mdns.RcodeNameError || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != mdns.TypeSOA {
			t.Fatalf("%s NXDOMAIN: %v", network, r)
		}
		// Unknown qtype: NODATA at an existing name.
		r = exchange(t, network, addr, query("myaks.privatelink.eastus.azmk8s.io", 65400))
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 0 || len(r.Ns) != 1 {
			t.Fatalf("%s unknown qtype: %v", network, r)
		}
		// Internal names of the listener's VNet.
		r = exchange(t, network, addr, query("hubvm", mdns.TypeA))
		if got := rrs(r.Answer); len(got) != 1 || got[0] != "hubvm. 10 A 10.0.0.4" {
			t.Fatalf("%s internal: %v", network, r)
		}
		// EDNS0 is echoed with privlink's size.
		m := query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
		m.SetEdns0(4096, true)
		r = exchange(t, network, addr, m)
		if opt := r.IsEdns0(); opt == nil || opt.UDPSize() != advertisedUDPSize || !opt.Do() || len(r.Answer) != 1 {
			t.Fatalf("%s EDNS0: %v", network, r)
		}
		// Class CH is refused.
		m = query("version.bind", mdns.TypeTXT)
		m.Question[0].Qclass = mdns.ClassCHAOS
		if r = exchange(t, network, addr, m); r.Rcode != mdns.RcodeRefused {
			t.Fatalf("%s CHAOS: %v", network, r)
		}
		// NOTIFY is not implemented.
		m = query("privatelink.eastus.azmk8s.io", mdns.TypeSOA)
		m.Opcode = mdns.OpcodeNotify
		if r = exchange(t, network, addr, m); r.Rcode != mdns.RcodeNotImplemented {
			t.Fatalf("%s NOTIFY: %v", network, r)
		}
	}
	if _, err := s.Addr("/subscriptions/x/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/nope"); !errors.Is(err, ErrVNetNotFound) ||
		!strings.Contains(err.Error(), "The Resource 'Microsoft.Network/virtualNetworks/nope' under resource group 'rg2' was not found.") {
		t.Fatalf("missing VNet: %v", err)
	}
}

// rawUDP sends bytes and returns the reply, or nil after a short wait.
func rawUDP(t *testing.T, addr string, b []byte) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil
	}
	return buf[:n]
}

// rawTCP sends one length-prefixed message and reads one reply (nil if
// the server closes the connection or says nothing).
func rawTCP(t *testing.T, addr string, b []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(400 * time.Millisecond))
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
	if _, err := c.Write(append(frame, b...)); err != nil {
		t.Fatal(err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil
	}
	out := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c, out); err != nil {
		t.Fatalf("short TCP reply: %v", err)
	}
	return out
}

// rawQuery is a hand-encoded query for a name given as wire labels.
func rawQuery(id uint16, labels []string, qtype uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD, QDCOUNT 1
	for _, l := range labels {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	return binary.BigEndian.AppendUint16(b, mdns.ClassINET)
}

func TestServerGarbageAndOversized(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	// miekg answers NOTIMP when the garbage's opcode bits are not QUERY.
	formerrOrNothing := func(what string, reply []byte) {
		t.Helper()
		if reply == nil {
			return
		}
		m := new(mdns.Msg)
		if err := m.Unpack(reply); err != nil {
			t.Fatalf("%s: unparsable reply: %v", what, err)
		}
		if m.Rcode != mdns.RcodeFormatError && m.Rcode != mdns.RcodeNotImplemented {
			t.Fatalf("%s: reply %v, want FORMERR, NOTIMP or none", what, m)
		}
	}
	good, _ := query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA).Pack()
	long := strings.Repeat("a", 63)
	cases := map[string][]byte{
		"empty":            {},
		"short header":     {0x12, 0x34, 0x01},
		"header only":      good[:12],
		"truncated name":   good[:20],
		"random":           []byte("\x99\x01garbage that is not DNS at all, really not"),
		"name over 255":    rawQuery(7, []string{long, long, long, long, "com"}, mdns.TypeA),
		"label over 63":    append(append([]byte{0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64}, strings.Repeat("b", 64)...), 0, 0, 1, 0, 1),
		"compression loop": {0, 10, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},
		"two questions":    append(append([]byte{0, 11, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0}, good[12:]...), good[12:]...),
	}
	for what, b := range cases {
		formerrOrNothing("udp "+what, rawUDP(t, addr, b))
		if len(b) > 0 {
			formerrOrNothing("tcp "+what, rawTCP(t, addr, b))
		}
	}
	// The oversized name is answered FORMERR, not dropped.
	if r := rawUDP(t, addr, cases["name over 255"]); r == nil || r[3]&0x0f != mdns.RcodeFormatError {
		t.Fatalf("name over 255 octets: reply %v", r)
	}
	// TCP with a length prefix, by hand.
	reply := rawTCP(t, addr, good)
	m := new(mdns.Msg)
	if err := m.Unpack(reply); err != nil || len(m.Answer) != 1 || m.Id != binary.BigEndian.Uint16(good) {
		t.Fatalf("TCP framed query: %v %v", m, err)
	}
	// Two messages on one TCP connection.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	conn := &mdns.Conn{Conn: c}
	for i := range 2 {
		q := query(fmt.Sprintf("hubvm%d", i+1), mdns.TypeA)
		if err := conn.WriteMsg(q); err != nil {
			t.Fatal(err)
		}
		r, err := conn.ReadMsg()
		if err != nil || r.Id != q.Id {
			t.Fatalf("pipelined TCP query %d: %v %v", i, r, err)
		}
	}
	// Still serving.
	if r := exchange(t, "udp", addr, query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)); len(r.Answer) != 1 {
		t.Fatalf("after garbage: %v", r)
	}
}

func TestServerTruncation(t *testing.T) {
	w := newWorld()
	for i := range 60 {
		w.t.pub("big.example.com", "A", 60, fmt.Sprintf("192.0.2.%d", i+1))
	}
	s := newServer(t, newTestSource(w.t.snap()), nil)
	addr, err := s.Addr(w.spoke.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := &mdns.Client{Net: "udp", Timeout: 3 * time.Second, UDPSize: 65535}
	r, _, err := c.Exchange(query("big.example.com", mdns.TypeA), addr)
	if err != nil {
		t.Fatal(err)
	}
	r.Compress = true // the wire size
	if !r.Truncated || r.Len() > mdns.MinMsgSize || len(r.Answer) >= 60 {
		t.Fatalf("plain UDP: TC=%v len=%d answers=%d", r.Truncated, r.Len(), len(r.Answer))
	}
	m := query("big.example.com", mdns.TypeA)
	m.SetEdns0(4096, false)
	r, _, err = c.Exchange(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Truncated || len(r.Answer) != 60 {
		t.Fatalf("EDNS0 4096: TC=%v answers=%d", r.Truncated, len(r.Answer))
	}
	if r := exchange(t, "tcp", addr, query("big.example.com", mdns.TypeA)); r.Truncated || len(r.Answer) != 60 {
		t.Fatalf("TCP: TC=%v answers=%d", r.Truncated, len(r.Answer))
	}
	// In process: never truncated.
	r, _, err = s.Exchange(context.Background(), w.spokeVM.ID, query("big.example.com", mdns.TypeA))
	if err != nil || r.Truncated || len(r.Answer) != 60 {
		t.Fatalf("Exchange: %v", err)
	}
}

func TestServerConcurrentQueries(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	hub, _ := s.Addr(w.hub.ID)
	spoke, _ := s.Addr(w.spoke.ID)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for g := range 16 {
		wg.Go(func() {
			c := &mdns.Client{Net: []string{"udp", "tcp"}[g%2], Timeout: 5 * time.Second}
			for i := range 25 {
				addr, want := hub, "10.0.2.5"
				if (g+i)%2 == 1 {
					addr, want = spoke, "52.239.1.1"
				}
				r, _, err := c.Exchange(query("x.blob.core.windows.net", mdns.TypeA), addr)
				if err != nil || len(r.Answer) == 0 || !strings.HasSuffix(r.Answer[len(r.Answer)-1].String(), "\t"+want) {
					failures.Add(1)
				}
				if _, _, err := s.Exchange(context.Background(), w.hubVM.ID, query("hubvm2", mdns.TypeA)); err != nil {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d concurrent queries failed", n)
	}
}

func TestListenerClosedWhenVNetDeleted(t *testing.T) {
	w := newWorld()
	src := newTestSource(w.snap)
	s := newServer(t, src, nil)
	spoke, err := s.Addr(w.spoke.ID)
	if err != nil {
		t.Fatal(err)
	}
	hub, _ := s.Addr(w.hub.ID)
	// Answers are cached per snapshot (asked twice, in two spellings).
	for _, n := range []string{"x.blob.core.windows.net", "X.Blob.Core.Windows.NET"} {
		if r := exchange(t, "udp", hub, query(n, mdns.TypeA)); r.Rcode != mdns.RcodeSuccess || len(r.Answer) == 0 {
			t.Fatalf("hub before update, %s: %v", n, r)
		}
	}

	// A new snapshot without the spoke.
	t2 := newTopo()
	hubVNet := t2.vnet("hub-vnet", "10.0.0.0/16")
	t2.vm("hubvm", hubVNet, "10.0.0.4")
	src.publish(t2.snap())

	c := &mdns.Client{Net: "udp", Timeout: 300 * time.Millisecond}
	if r, _, err := c.Exchange(query("hubvm", mdns.TypeA), spoke); err == nil {
		t.Fatalf("deleted VNet's UDP listener still answers: %v", r)
	}
	if conn, err := net.DialTimeout("tcp", spoke, time.Second); err == nil {
		conn.Close()
		t.Fatal("deleted VNet's TCP listener still accepts")
	}
	// The hub listener lives on and sees the new snapshot.
	if r := exchange(t, "udp", hub, query("hubvm", mdns.TypeA)); len(r.Answer) != 1 {
		t.Fatalf("hub after update: %v", r)
	}
	if r := exchange(t, "udp", hub, query("x.blob.core.windows.net", mdns.TypeA)); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("hub after update sees old records: %v", r)
	}
	if _, err := s.Addr(w.spoke.ID); !errors.Is(err, ErrVNetNotFound) {
		t.Fatalf("Addr of the deleted VNet: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Addr(w.hub.ID); !errors.Is(err, ErrClosed) {
		t.Fatalf("Addr after Close: %v", err)
	}
	if _, _, err := s.Exchange(context.Background(), w.hubVM.ID, query("hubvm", mdns.TypeA)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Exchange after Close: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", hub, time.Second); err == nil {
		conn.Close()
		t.Fatal("TCP listener still accepts after Close")
	}
}

// upstream is a real DNS server on 127.0.0.1 (UDP and TCP, one port)
// standing for a custom DNS server.
type upstream struct {
	addr    string
	queries atomic.Int32
	nets    sync.Map // "udp"/"tcp" -> true
	lastOpt atomic.Pointer[mdns.OPT]
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	pc, ln, err := listenPair()
	if err != nil {
		t.Fatal(err)
	}
	u.addr = pc.LocalAddr().String()
	h := mdns.HandlerFunc(func(w mdns.ResponseWriter, req *mdns.Msg) {
		u.queries.Add(1)
		u.nets.Store(w.LocalAddr().Network(), true)
		u.lastOpt.Store(req.IsEdns0())
		m := new(mdns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		switch {
		case strings.EqualFold(q.Name, "corp.example.") && q.Qtype == mdns.TypeA:
			rr, _ := mdns.NewRR("corp.example. 120 IN A 192.0.2.7")
			m.Answer = append(m.Answer, rr)
		case strings.EqualFold(q.Name, "many.corp.example."):
			for i := range 120 {
				rr, _ := mdns.NewRR(fmt.Sprintf("many.corp.example. 120 IN A 192.0.2.%d", i+1))
				m.Answer = append(m.Answer, rr)
			}
		default:
			m.Rcode = mdns.RcodeNameError
		}
		if w.LocalAddr().Network() == "udp" {
			size := mdns.MinMsgSize
			if o := req.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			m.Truncate(size)
		}
		_ = w.WriteMsg(m)
	})
	for _, srv := range []*mdns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		if err := start(srv); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return u
}

// listenPair binds UDP and TCP on the same free loopback port (TCP
// first: a port can be free for UDP and still hold TCP TIME_WAITs).
func listenPair() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		pc, err := net.ListenPacket("udp", ln.Addr().String())
		if err != nil {
			_ = ln.Close()
			lastErr = err
			continue
		}
		return pc, ln, nil
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP: %w", lastErr)
}

// fakeEval delivers to the addresses in deliver, denies the others with an
// NSG block, and records the queries.
type fakeEval struct {
	mu      sync.Mutex
	deliver map[netip.Addr]string
	queries []fabric.Query
}

func (f *fakeEval) eval(_ *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	if target, ok := f.deliver[q.Dest]; ok {
		return fabric.Verdict{Outcome: fabric.Delivered, TargetAddr: target}
	}
	return fabric.Verdict{Outcome: fabric.DeniedByNSG, Blocks: []fabric.Block{{Kind: "NetworkSecurityRule", ResourceID: "nsg-rule",
		Reason: fmt.Sprintf("NSG deny-dns (priority 100) on subnet default denies Outbound %s to %s:%d", q.Protocol, q.Dest, q.Port)}}}
}

// sameQuery compares evaluator queries (Query holds a func: no ==).
func sameQuery(a, b fabric.Query) bool {
	return a.Source == b.Source && a.SourceIPConfig == b.SourceIPConfig && a.Dest == b.Dest && a.Protocol == b.Protocol &&
		a.Port == b.Port && a.SourcePort == b.SourcePort && (a.Health == nil) == (b.Health == nil) && a.FlowHash == b.FlowHash
}

func (f *fakeEval) last() fabric.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries[len(f.queries)-1]
}

func TestCustomDNSForwarding(t *testing.T) {
	w := newWorld()
	corp := w.t.vnet("corp-vnet", "10.2.0.0/16", "10.2.0.4", "10.2.0.5")
	corpVM := w.t.vm("corpvm", corp, "10.2.0.10")
	w.t.link(w.aksZone, corp, "corp-link", "Default")
	snap := w.t.snap()
	up := startUpstream(t)
	fe := &fakeEval{deliver: map[netip.Addr]string{netip.MustParseAddr("10.2.0.5"): up.addr}}
	s := newServer(t, newTestSource(snap), fe.eval)
	ctx := context.Background()

	// 10.2.0.4 is denied; 10.2.0.5 answers.
	r, a, err := s.Exchange(ctx, corpVM.ID, query("Corp.Example", mdns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "192.0.2.7" {
		dumpAnswer(t, a)
		t.Fatalf("forwarded answer: %v", r)
	}
	if r.Question[0].Name != "Corp.Example." || r.IsEdns0() != nil {
		t.Errorf("reply question %q / OPT %v: the client's query must come back as sent", r.Question[0].Name, r.IsEdns0())
	}
	if !hasStep(a, "custom DNS server 10.2.0.4 is not reachable from corpvm over udp/53: NSG deny-dns (priority 100)") ||
		!hasStep(a, "forwarded to custom DNS server 10.2.0.5 (listener "+up.addr+") over udp: NOERROR -> A 192.0.2.7") ||
		len(a.Blocks) != 0 || a.Rcode != mdns.RcodeSuccess || len(a.Answer) != 1 {
		dumpAnswer(t, a)
		t.Fatal("explanation")
	}
	if q := fe.last(); !sameQuery(q, fabric.Query{Source: corpVM.ID, Dest: netip.MustParseAddr("10.2.0.5"), Protocol: fabric.UDP, Port: 53}) {
		t.Fatalf("evaluator query %+v", q)
	}
	// Private zones are not seen: the custom server does not know them.
	r, _, _ = s.Exchange(ctx, corpVM.ID, query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA))
	if r.Rcode != mdns.RcodeNameError {
		t.Fatalf("custom DNS sees the private zone: %v", r)
	}
	// The truncated UDP reply is asked again over TCP in process.
	r, a, _ = s.Exchange(ctx, corpVM.ID, query("many.corp.example", mdns.TypeA))
	if r.Truncated || len(r.Answer) != 120 || !hasStep(a, "over tcp") {
		dumpAnswer(t, a)
		t.Fatalf("large forwarded answer: TC=%v %d", r.Truncated, len(r.Answer))
	}

	// Through the VNet's own listener, UDP then TCP: the source is the
	// VNet's running VM and the transport is the query's.
	addr, err := s.Addr(corp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, network := range []string{"udp", "tcp"} {
		r := exchange(t, network, addr, query("corp.example", mdns.TypeA))
		if len(r.Answer) != 1 {
			t.Fatalf("%s via listener: %v", network, r)
		}
		want := fabric.Query{Source: corpVM.ID, Dest: netip.MustParseAddr("10.2.0.5"), Protocol: fabric.UDP, Port: 53}
		if network == "tcp" {
			want.Protocol = fabric.TCP
		}
		if q := fe.last(); !sameQuery(q, want) {
			t.Fatalf("%s: evaluator query %+v", network, q)
		}
		if _, ok := up.nets.Load(network); !ok {
			t.Fatalf("upstream never saw %s", network)
		}
	}
	// Over a plain UDP listener query the upstream's truncation is relayed.
	c := &mdns.Client{Net: "udp", Timeout: 3 * time.Second}
	if r, _, err := c.Exchange(query("many.corp.example", mdns.TypeA), addr); err != nil || !r.Truncated || r.IsEdns0() != nil {
		t.Fatalf("relayed truncation: %v %v", r, err)
	}
	if o := up.lastOpt.Load(); o == nil || o.UDPSize() != mdns.MinMsgSize {
		t.Fatalf("upstream saw OPT %v, want a 512-byte one for a client without EDNS0", o)
	}
	if up.queries.Load() == 0 {
		t.Fatal("no query reached the upstream")
	}
}

func TestCustomDNSUnreachable(t *testing.T) {
	w := newWorld()
	corp := w.t.vnet("corp-vnet", "10.2.0.0/16", "10.2.0.4", "10.2.0.5")
	corpVM := w.t.vm("corpvm", corp, "10.2.0.10")
	// 10.2.0.5 is delivered to a socket that never answers.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	fe := &fakeEval{deliver: map[netip.Addr]string{netip.MustParseAddr("10.2.0.5"): silent.LocalAddr().String()}}
	s := newServer(t, newTestSource(w.t.snap()), fe.eval)
	r, a, err := s.Exchange(context.Background(), corpVM.Name, query("corp.example", mdns.TypeA))
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != mdns.RcodeServerFailure || a.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("rcode %v", r)
	}
	if !hasStep(a, "custom DNS server 10.2.0.4 is not reachable from corpvm over udp/53: NSG deny-dns (priority 100) on subnet default denies Outbound Udp to 10.2.0.4:53") ||
		!hasStep(a, "custom DNS server 10.2.0.5 (listener "+silent.LocalAddr().String()+") did not answer over udp") ||
		!hasBlock(a, "no custom DNS server of vnet corp-vnet (10.2.0.4, 10.2.0.5) answered (SERVFAIL)") {
		dumpAnswer(t, a)
		t.Fatal("explanation")
	}
	var nsg bool
	for _, b := range a.Blocks {
		nsg = nsg || b.Kind == "NetworkSecurityRule"
	}
	if !nsg {
		t.Fatalf("the evaluator's blocks are not reported: %+v", a.Blocks)
	}
	// Only denied servers.
	fe.deliver = nil
	_, a, _ = s.Exchange(context.Background(), corpVM.ID, query("corp.example", mdns.TypeA))
	if a.Rcode != mdns.RcodeServerFailure || !hasStep(a, "10.2.0.5 is not reachable") {
		dumpAnswer(t, a)
		t.Fatal("all denied")
	}
	// A listener of a VNet whose VMs are all stopped cannot forward.
	corpVM.Running = false
	addr, _ := s.Addr(corp.ID)
	if r := exchange(t, "udp", addr, query("corp.example", mdns.TypeA)); r.Rcode != mdns.RcodeServerFailure {
		t.Fatalf("no running VM: %v", r)
	}
	// And a stopped VM sends nothing.
	_, a, _ = s.Exchange(context.Background(), corpVM.ID, query("corp.example", mdns.TypeA))
	if a.Rcode != mdns.RcodeServerFailure || len(a.Blocks) != 1 || a.Blocks[0].Kind != "HostStopped" {
		dumpAnswer(t, a)
		t.Fatal("stopped VM")
	}
	// No evaluator: SERVFAIL with the reason. (s goes first: its
	// listeners may still be answering a retransmitted query from the
	// snapshot this test mutates.)
	_ = s.Close()
	s2 := newServer(t, newTestSource(w.snap), nil)
	corpVM.Running = true
	_, a, _ = s2.Exchange(context.Background(), corpVM.ID, query("corp.example", mdns.TypeA))
	if a.Rcode != mdns.RcodeServerFailure || !hasBlock(a, "no path evaluator") {
		dumpAnswer(t, a)
		t.Fatal("no evaluator")
	}
}

func TestCustomDNSAzureProvidedAndLoops(t *testing.T) {
	w := newWorld()
	corp := w.t.vnet("corp-vnet", "10.2.0.0/16", "10.2.0.4", "168.63.129.16")
	corpVM := w.t.vm("corpvm", corp, "10.2.0.10")
	w.t.link(w.aksZone, corp, "corp-link", "Default")
	fe := &fakeEval{deliver: map[netip.Addr]string{fabric.AzurePlatformIP: AzureDNSTarget}}
	s := newServer(t, newTestSource(w.t.snap()), fe.eval)
	r, a, err := s.Exchange(context.Background(), corpVM.ID, query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA))
	if err != nil || len(r.Answer) != 1 || !hasStep(a, "custom DNS server 168.63.129.16 is Azure-provided DNS: it answers for vnet corp-vnet") ||
		!hasStep(a, "answered by private zone privatelink.eastus.azmk8s.io linked to vnet corp-vnet (link corp-link)") {
		dumpAnswer(t, a)
		t.Fatalf("azure-dns: %v %v", r, err)
	}
	// A custom DNS server that is privlink's own listener of the same VNet
	// forwards to itself: the loop ends in SERVFAIL, quickly.
	addr, err := s.Addr(corp.ID)
	if err != nil {
		t.Fatal(err)
	}
	fe.mu.Lock()
	fe.deliver = map[netip.Addr]string{netip.MustParseAddr("10.2.0.4"): addr}
	fe.mu.Unlock()
	start := time.Now()
	r, a, _ = s.Exchange(context.Background(), corpVM.ID, query("corp.example", mdns.TypeA))
	// The innermost listener refuses the fifth hop and its SERVFAIL is
	// relayed back, well before any forwarding timeout (500 ms here).
	if r.Rcode != mdns.RcodeServerFailure || time.Since(start) > 400*time.Millisecond ||
		!hasStep(a, "forwarded to custom DNS server 10.2.0.4 (listener "+addr+") over udp: SERVFAIL") {
		dumpAnswer(t, a)
		t.Fatalf("loop: %v after %v", r, time.Since(start))
	}
	// A Delivered verdict to something that is not a DNS listener.
	fe.mu.Lock()
	fe.deliver = map[netip.Addr]string{netip.MustParseAddr("10.2.0.4"): "ssh-banner"}
	fe.mu.Unlock()
	_, a, _ = s.Exchange(context.Background(), corpVM.ID, query("corp.example", mdns.TypeA))
	if a.Rcode != mdns.RcodeServerFailure || !hasStep(a, `"ssh-banner" is not a DNS listener`) {
		dumpAnswer(t, a)
		t.Fatal("ssh-banner")
	}
}

func TestExchangeHosts(t *testing.T) {
	w := newWorld()
	other := w.t.vnet("other-vnet", "10.3.0.0/16")
	dup := w.t.vm("hubvm", other, "10.3.0.4")
	dup.ID = strings.Replace(dup.ID, "/resourcegroups/rg/", "/resourcegroups/rg2/", 1)
	dup.ResourceID = strings.Replace(dup.ResourceID, "/resourceGroups/rg/", "/resourceGroups/rg2/", 1)
	w.t.s.Hosts[dup.ID] = dup
	s := newServer(t, newTestSource(w.t.snap()), nil)
	ctx := context.Background()
	if _, _, err := s.Exchange(ctx, "nosuch", query("a.example", mdns.TypeA)); !errors.Is(err, ErrHostNotFound) {
		t.Fatalf("unknown host: %v", err)
	}
	if _, _, err := s.Exchange(ctx, "hubvm", query("a.example", mdns.TypeA)); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("ambiguous host: %v", err)
	}
	if _, _, err := s.Exchange(ctx, "spokevm", nil); err == nil {
		t.Fatal("nil message")
	}
	r, a, err := s.Exchange(ctx, "SpokeVM", query("x.blob.core.windows.net", mdns.TypeA))
	if err != nil || len(r.Answer) != 3 || len(a.Answer) != 3 {
		t.Fatalf("by name: %v %v", r, err)
	}
	r, _, err = s.Exchange(ctx, fabric.InternetHostID, query("x.blob.core.windows.net", mdns.TypeA))
	if err != nil || len(r.Answer) != 3 {
		t.Fatalf("internet: %v %v", r, err)
	}
	// Malformed messages come back as FORMERR replies, not errors.
	m := query("a.example", mdns.TypeA)
	m.Question = append(m.Question, m.Question[0])
	r, a, err = s.Exchange(ctx, "spokevm", m)
	if err != nil || r.Rcode != mdns.RcodeFormatError || len(a.Blocks) != 1 {
		t.Fatalf("two questions: %v %v", r, err)
	}
}

func BenchmarkServerUDP(b *testing.B) {
	w := newWorld()
	s := newServer(b, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		c := &mdns.Client{Net: "udp", Timeout: 3 * time.Second}
		conn, err := c.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		for pb.Next() {
			r, _, err := c.ExchangeWithConn(query("x.blob.core.windows.net", mdns.TypeA), conn)
			if err != nil || len(r.Answer) != 2 {
				b.Errorf("%v %v", r, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
}
