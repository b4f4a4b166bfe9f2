package proxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/privlink/privlink/internal/fabric"
)

// The Private Link test fabric: vm1 (10.9.0.4, consumer) reaches private
// endpoint pe1 (10.5.0.4) whose connection leads to pls1 with NAT IPs
// 10.224.10.10 (primary) and 10.224.10.11, in front of backends on vm2.
const (
	plsID      = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/prov/providers/microsoft.network/privatelinkservices/pls1"
	peID       = "/subscriptions/00000000-0000-0000-0000-0000000000bb/resourcegroups/cons/providers/microsoft.network/privateendpoints/pe1"
	dstPE      = "10.5.0.4:80"
	dstNATIP   = "10.224.10.10:8080"
	testLinkID = uint32(0x01020304)
)

var (
	consumerIP = netip.MustParseAddr("10.9.0.4")
	natIPs     = []netip.Addr{netip.MustParseAddr("10.224.10.10"), netip.MustParseAddr("10.224.10.11")}
)

// plSnapshot builds a snapshot in which pe1's connection to pls1 has the
// consumer-side status peStatus and the provider-side status plsStatus
// ("" leaves the endpoint out).
func plSnapshot(rev int64, peStatus, plsStatus string) *fabric.Snapshot {
	return buildSnapshot(rev, func(_ map[string]*fabric.Host, s *fabric.Snapshot) {
		pls := &fabric.PrivateLinkService{ID: plsID, Name: "pls1", ProxyProtocol: true}
		s.PrivateLinkServices = map[string]*fabric.PrivateLinkService{plsID: pls}
		s.PrivateEndpoints = map[string]*fabric.PrivateEndpoint{}
		if peStatus == "" {
			return
		}
		pe := &fabric.PrivateEndpoint{ID: peID, Name: "pe1", IP: netip.MustParseAddr("10.5.0.4")}
		pe.Connections = []*fabric.PEConnection{{Name: "to-pls1", TargetID: plsID, Service: pls, Status: peStatus, LinkID: testLinkID}}
		pls.Connections = []*fabric.PLSConnection{{Name: "pe1.conn", Service: pls, Endpoint: pe, EndpointID: peID, Status: plsStatus, LinkID: testLinkID}}
		s.PrivateEndpoints[peID] = pe
	})
}

// plEval is a fake evaluator of the Private Link path: it reads the
// connection state from the snapshot like path.Evaluate and picks the
// backend at FlowHash modulo the number of backends.
type plEval struct {
	mu       sync.Mutex
	backends []*fabric.BackendMember
	targets  map[string]string // member key -> listener
	pp       bool
	queries  []fabric.Query
}

func (e *plEval) Evaluate(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	e.mu.Lock()
	e.queries = append(e.queries, q)
	bs, pp := e.backends, e.pp
	e.mu.Unlock()
	dst := netip.AddrPortFrom(q.Dest, uint16(q.Port)).String()
	switch dst {
	case dstNATIP:
		return fabric.Verdict{Outcome: fabric.NetworkUnreachable, Blocks: []fabric.Block{{Kind: "PrivateLinkOneWay",
			Reason: "10.224.10.10 is a NAT IP of private link service pls1: Private Link is one-way"}}}
	case dstPE:
	default:
		return fabric.Verdict{Outcome: fabric.NetworkUnreachable, Blocks: []fabric.Block{{Kind: "Route", Reason: "no route to " + dst}}}
	}
	pe := s.PrivateEndpoints[peID]
	if pe == nil {
		return fabric.Verdict{Outcome: fabric.NetworkUnreachable, Blocks: []fabric.Block{{Kind: "Route", Reason: "no route to " + dst}}}
	}
	if why := privateLinkGone(s, &FlowInfo{PrivateEndpoint: peID, PrivateLinkService: plsID}); why != "" {
		return fabric.Verdict{Outcome: fabric.HostUnreachable, Blocks: []fabric.Block{{Kind: "PrivateEndpointConnection", ResourceID: peID, Reason: why}}}
	}
	m := bs[q.FlowHash%uint64(len(bs))]
	return fabric.Verdict{Outcome: fabric.Delivered, TargetHost: s.Hosts[vm2ID], TargetAddr: e.targets[m.Key],
		TranslatedSource: natIPs[0], Endpoint: pe, Service: s.PrivateLinkServices[plsID], LinkID: testLinkID,
		NATIPs: natIPs, ProxyProtocol: pp, ConsumerAddr: consumerIP, Backend: m}
}

func (e *plEval) hashes() []uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]uint64, len(e.queries))
	for i, q := range e.queries {
		out[i] = q.FlowHash
	}
	return out
}

// accepted is what a backend saw of one connection.
type accepted struct {
	peer netip.AddrPort
	hdr  *proxyproto.Header // nil without PROXY protocol
	err  error
}

// startBackend starts a loopback listener that reports each connection's
// peer (and its PROXY v2 header, parsed with go-proxyproto, when pp) and
// then echoes.
func startBackend(t *testing.T, pp bool) (string, chan accepted) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan accepted, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				a := accepted{peer: c.RemoteAddr().(*net.TCPAddr).AddrPort()}
				var r io.Reader = c
				if pp {
					br := bufio.NewReader(c)
					_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
					a.hdr, a.err = proxyproto.Read(br)
					_ = c.SetReadDeadline(time.Time{})
					r = br
				}
				ch <- a
				if a.err != nil {
					return
				}
				_, _ = io.Copy(c, r)
				_ = c.(*net.TCPConn).CloseWrite()
			}()
		}
	}()
	return l.Addr().String(), ch
}

func nextAccepted(t *testing.T, ch chan accepted) accepted {
	t.Helper()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatalf("backend: %v", a.err)
		}
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("the backend got no connection")
	}
	return accepted{}
}

type plEnv struct {
	*env
	pl  *plEval
	bes []chan accepted
}

// newPLEnv is newEnv with the Private Link fabric, n backends, the PROXY
// protocol on or off, and natPorts ports per NAT IP and backend.
func newPLEnv(t *testing.T, n int, pp bool, natPorts int) *plEnv {
	t.Helper()
	e := &env{t: t, src: newMutableSource(plSnapshot(1, "Approved", "Approved")), eval: &fakeEval{}, log: newRecHandler(),
		serveErr: make(chan error, 2), res: &fakeResolver{}}
	pl := &plEval{targets: map[string]string{}, pp: pp}
	pe := &plEnv{env: e, pl: pl}
	for i := range n {
		addr, ch := startBackend(t, pp)
		m := &fabric.BackendMember{Key: fmt.Sprintf("/subscriptions/x/nic%d/ipconfigurations/ipconfig1", i), Addr: netip.AddrFrom4([4]byte{10, 1, 0, byte(4 + i)})}
		pl.backends = append(pl.backends, m)
		pl.targets[m.Key] = addr
		pe.bes = append(pe.bes, ch)
	}
	e.p = New(Config{Source: e.src, Evaluate: pl.Evaluate, Resolve: e.res.Resolve, Token: testToken,
		Log: slog.New(e.log), DialTimeout: 2 * time.Second, NATPortsPerIP: natPorts})
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
	t.Cleanup(func() {
		_ = e.p.Close()
		for range 2 {
			<-e.serveErr
		}
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		e.p.mu.Lock()
		ok := len(e.p.listeners) == 1 && len(e.p.servers) == 1
		e.p.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the proxies did not start serving")
		}
	}
	return pe
}

// socksOK opens a SOCKS connection from vm1 to dest and expects success.
func (e *plEnv) socksOK(dest string) net.Conn {
	e.t.Helper()
	_, rep, c := rawSOCKS(e.t, e.socks, vm1Name, testToken, dest)
	if rep != repSucceeded {
		e.t.Fatalf("SOCKS reply to %s = %#x, want success", dest, rep)
	}
	return c
}

func clientPort(c net.Conn) uint16 {
	return c.LocalAddr().(*net.TCPAddr).AddrPort().Port()
}

func TestFlowHashStickyAndSpread(t *testing.T) {
	p := New(Config{Source: newMutableSource(buildSnapshot(1, nil)), Evaluate: (&fakeEval{}).Evaluate,
		Resolve: (&fakeResolver{}).Resolve, Token: testToken, Log: slog.New(newRecHandler())})
	defer p.Close()
	dst := netip.MustParseAddrPort(dstPE)
	c := netip.MustParseAddrPort("127.0.0.1:40000")
	h1 := p.flowHash(c, dst, fabric.TCP)
	if h2 := p.flowHash(netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort(dstPE), fabric.TCP); h1 != h2 {
		t.Fatal("the same 5-tuple hashes differently")
	}
	if p.flowHash(c, dst, fabric.TCP) == p.flowHash(c, dst, fabric.UDP) {
		t.Error("the protocol is not part of the hash")
	}
	if p.flowHash(c, dst, fabric.TCP) == p.flowHash(c, netip.MustParseAddrPort("10.5.0.5:80"), fabric.TCP) {
		t.Error("the destination is not part of the hash")
	}
	// Different client ports spread over 4 backends.
	counts := make([]int, 4)
	for port := 40000; port < 40400; port++ {
		counts[p.flowHash(netip.AddrPortFrom(c.Addr(), uint16(port)), dst, fabric.TCP)%4]++
	}
	for i, n := range counts {
		if n < 50 { // 100 expected
			t.Errorf("backend %d got %d of 400 flows: %v", i, n, counts)
		}
	}
	// Per-proxy seed.
	p2 := New(Config{Source: newMutableSource(buildSnapshot(1, nil)), Evaluate: (&fakeEval{}).Evaluate,
		Resolve: (&fakeResolver{}).Resolve, Token: testToken, Log: slog.New(newRecHandler())})
	defer p2.Close()
	if p.flowHash(c, dst, fabric.TCP) == p2.flowHash(c, dst, fabric.TCP) {
		t.Error("two proxies share a hash seed")
	}
}

// TestFlowHashFromRealConnection: every entry point passes the hash of the
// real client's 5-tuple, and the flow lands on the backend it picks.
func TestFlowHashFromRealConnection(t *testing.T) {
	e := newPLEnv(t, 3, false, 0)
	dst := netip.MustParseAddrPort(dstPE)
	want := func(client netip.AddrPort) uint64 { return e.p.flowHash(client, dst, fabric.TCP) }

	var conns []net.Conn
	for range 6 {
		conns = append(conns, e.socksOK(dstPE))
	}
	resp, hc := rawConnect(t, e.http, basicAuth(vm1Name, testToken), dstPE)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT status %d", resp.StatusCode)
	}
	conns = append(conns, hc)
	dc, _, err := e.p.Dial(context.Background(), vm1Name, dstPE)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	hs := e.pl.hashes()
	if len(hs) != 8 {
		t.Fatalf("%d evaluations, want 8", len(hs))
	}
	for i, c := range conns {
		client := c.LocalAddr().(*net.TCPAddr).AddrPort()
		if hs[i] != want(client) {
			t.Errorf("connection %d from %s: FlowHash %x, want %x", i, client, hs[i], want(client))
		}
	}
	flows := e.waitFlows(8)
	for _, f := range flows {
		if f.Via == "dial" && hs[7] != want(f.Client) {
			t.Errorf("Dial flow from %s: FlowHash %x, want %x", f.Client, hs[7], want(f.Client))
		}
		h := want(f.Client)
		if wantBE := e.pl.backends[h%3].Key; f.Backend != wantBE {
			t.Errorf("flow %d (%s from %s) on backend %s, want %s", f.ID, f.Via, f.Client, f.Backend, wantBE)
		}
	}
	// Each connection reached the backend its hash picked.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := 0
		for _, ch := range e.bes {
			got += len(ch)
		}
		if got == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backends got %d connections, want 8", got)
		}
	}
}

// TestFlowHashAbsoluteURI: a forwarded absolute-URI request is hashed
// with the client connection that carried it.
func TestFlowHashAbsoluteURI(t *testing.T) {
	e := newEnv(t)
	c, err := net.Dial("tcp", e.http)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	mustWrite(t, c, []byte("GET http://"+dstWeb+"/x HTTP/1.1\r\nHost: "+dstWeb+"\r\nProxy-Authorization: "+
		basicAuth(vm1Name, testToken)+"\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	q := e.eval.lastQuery()
	if want := e.p.flowHash(c.LocalAddr().(*net.TCPAddr).AddrPort(), netip.MustParseAddrPort(dstWeb), fabric.TCP); q.FlowHash != want {
		t.Errorf("FlowHash %x, want %x", q.FlowHash, want)
	}
}

func TestNATAllocationOrderReleaseExhaustion(t *testing.T) {
	e := newPLEnv(t, 1, false, 2)
	be := e.pl.backends[0].Key
	peerOf := func() netip.Addr { return nextAccepted(t, e.bes[0]).peer.Addr() }

	c1 := e.socksOK(dstPE)
	if p := peerOf(); p != netip.MustParseAddr("127.224.10.10") {
		t.Errorf("backend sees %s, want 127.224.10.10 (primary NAT IP)", p)
	}
	e.socksOK(dstPE)
	peerOf()
	if u := e.p.NATUsage(); len(u) != 1 || u[0] != (NATUsage{Service: plsID, NATIP: "10.224.10.10", Backend: be, InUse: 2, Limit: 2}) {
		t.Fatalf("NATUsage = %+v", u)
	}
	// The primary NAT IP is full towards the backend: the next one.
	e.socksOK(dstPE)
	if p := peerOf(); p != netip.MustParseAddr("127.224.10.11") {
		t.Errorf("backend sees %s, want 127.224.10.11 (second NAT IP)", p)
	}
	c4, v4, err := e.p.Dial(context.Background(), vm1Name, dstPE)
	if err != nil {
		t.Fatal(err)
	}
	if v4.TranslatedSource != natIPs[1] {
		t.Errorf("Dial's verdict: TranslatedSource %s, want the allocated %s", v4.TranslatedSource, natIPs[1])
	}
	peerOf()
	fs := e.waitFlows(4)
	if fs[3].Source != natIPs[1] || !fs[3].Bound || fs[3].PrivateEndpoint != peID || fs[3].PrivateLinkService != plsID {
		t.Errorf("flow = %+v", fs[3])
	}
	want := []NATUsage{{plsID, "10.224.10.10", be, 2, 2}, {plsID, "10.224.10.11", be, 2, 2}}
	if u := e.p.NATUsage(); fmt.Sprint(u) != fmt.Sprint(want) {
		t.Fatalf("NATUsage = %+v, want %+v", u, want)
	}

	// Exhausted: SOCKS host unreachable, HTTP 502, Dial a RefusedError.
	reason := "private link service pls1: NAT port exhaustion: all 2 NAT IPs have 2 ports in use towards backend " + be + "; add NAT IP configurations"
	if _, rep, _ := rawSOCKS(t, e.socks, vm1Name, testToken, dstPE); rep != repHostUnreachable {
		t.Errorf("SOCKS reply when exhausted = %#x, want host unreachable", rep)
	}
	e.log.waitLog(t, "NAT port exhaustion", reason)
	resp, _ := rawConnect(t, e.http, basicAuth(vm1Name, testToken), dstPE)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), reason) ||
		resp.Header.Get("X-Privlink-Outcome") != string(fabric.HostUnreachable) {
		t.Errorf("CONNECT when exhausted: %d %q", resp.StatusCode, body)
	}
	_, v, err := e.p.Dial(context.Background(), vm1Name, dstPE)
	var re *RefusedError
	if !errors.As(err, &re) || re.Verdict.Blocks[0].Kind != KindNATPortExhaustion || re.Verdict.Blocks[0].Reason != reason ||
		v.Outcome != fabric.HostUnreachable || !strings.Contains(err.Error(), "host unreachable: "+reason) {
		t.Errorf("Dial when exhausted: %v (outcome %s)", err, v.Outcome)
	}
	if n := e.p.NATExhaustions()[plsID]; n != 3 {
		t.Errorf("NATExhaustions = %d, want 3", n)
	}
	if len(e.bes[0]) != 0 {
		t.Error("a refused connection reached the backend")
	}

	// Release on close: the primary NAT IP has a free port again.
	c1.Close()
	c4.Close()
	waitUsage(t, e.p, []NATUsage{{plsID, "10.224.10.10", be, 1, 2}, {plsID, "10.224.10.11", be, 1, 2}})
	e.socksOK(dstPE)
	if p := peerOf(); p != netip.MustParseAddr("127.224.10.10") {
		t.Errorf("after release the backend sees %s, want 127.224.10.10", p)
	}
}

func waitUsage(t *testing.T, p *Proxy, want []NATUsage) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for fmt.Sprint(p.NATUsage()) != fmt.Sprint(want) {
		if time.Now().After(deadline) {
			t.Fatalf("NATUsage = %+v, want %+v", p.NATUsage(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNATTablePerBackend: the 64k ports of a NAT IP are per backend.
func TestNATTablePerBackend(t *testing.T) {
	tb := natTable{limit: 1}
	svc := &fabric.PrivateLinkService{ID: plsID, Name: "pls1"}
	a1, relA, ok := tb.allocate(svc, natIPs, "a")
	b1, _, ok2 := tb.allocate(svc, natIPs, "b")
	if !ok || !ok2 || a1 != natIPs[0] || b1 != natIPs[0] {
		t.Fatalf("first ports: %s %v, %s %v; want the primary NAT IP for both backends", a1, ok, b1, ok2)
	}
	a2, _, _ := tb.allocate(svc, natIPs, "a")
	if a2 != natIPs[1] {
		t.Errorf("second port towards a on %s, want %s", a2, natIPs[1])
	}
	if _, _, ok := tb.allocate(svc, natIPs, "a"); ok {
		t.Error("a third port towards a with 2 NAT IPs x 1 port")
	}
	relA()
	relA() // idempotent
	if ip, _, ok := tb.allocate(svc, natIPs, "a"); !ok || ip != natIPs[0] {
		t.Errorf("after release: %s %v", ip, ok)
	}
	if tb.inUse[natKey{strings.ToLower(plsID), natIPs[0], "a"}] != 1 {
		t.Errorf("inUse = %v", tb.inUse)
	}
}

// TestBackendSeesLoopbackSource: VM to VM, the target's peer is 127.b.c.d
// for the source private IP a.b.c.d.
func TestBackendSeesLoopbackSource(t *testing.T) {
	e := newEnv(t)
	addr, ch := startBackend(t, false)
	e.eval.set("10.0.1.4:9000", route{outcome: fabric.Delivered, dest: vm2ID, target: addr})
	_, rep, c := rawSOCKS(t, e.socks, vm1Name, testToken, "10.0.1.4:9000")
	if rep != repSucceeded {
		t.Fatalf("reply %#x", rep)
	}
	a := nextAccepted(t, ch)
	if a.peer.Addr() != netip.MustParseAddr("127.0.0.4") { // TranslatedSource 10.0.0.4
		t.Errorf("backend sees %s, want 127.0.0.4", a.peer)
	}
	echoRoundTrip(t, c, "hello")
	// An address that has no IPv4 stand-in: unbound.
	tc, bound, err := e.p.dialTarget(context.Background(), addr, netip.MustParseAddr("fd00::4"))
	if err != nil || bound {
		t.Fatalf("dialTarget IPv6 source: bound %v, %v", bound, err)
	}
	tc.Close()
	if a := nextAccepted(t, ch); a.peer.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("unbound dial seen from %s", a.peer)
	}
	if l, ok := LoopbackFor(netip.MustParseAddr("52.160.0.9")); !ok || l != netip.MustParseAddr("127.160.0.9") {
		t.Errorf("LoopbackFor = %s %v", l, ok)
	}
}

func TestProxyV2Header(t *testing.T) {
	e := newPLEnv(t, 1, true, 0)
	check := func(via string, c net.Conn, a accepted) {
		t.Helper()
		h := a.hdr
		if h == nil || h.Version != 2 || h.Command != proxyproto.PROXY || h.TransportProtocol != proxyproto.TCPv4 {
			t.Fatalf("%s: header %+v", via, h)
		}
		src, dst, ok := h.TCPAddrs()
		if !ok || src.AddrPort() != netip.AddrPortFrom(consumerIP, clientPort(c)) || dst.AddrPort() != netip.MustParseAddrPort(dstPE) {
			t.Errorf("%s: source %s destination %s, want %s:%d and %s", via, src, dst, consumerIP, clientPort(c), dstPE)
		}
		tlvs, err := h.TLVs()
		if err != nil || len(tlvs) != 1 || tlvs[0].Type != 0xEE || !bytes.Equal(tlvs[0].Value, []byte{0x01, 0x04, 0x03, 0x02, 0x01}) {
			t.Errorf("%s: TLVs %+v %v", via, tlvs, err)
		}
		raw, _ := h.Format()
		if !bytes.HasSuffix(raw, []byte{0xEE, 0x00, 0x05, 0x01, 0x04, 0x03, 0x02, 0x01}) {
			t.Errorf("%s: header bytes % x", via, raw)
		}
		if a.peer.Addr() != netip.MustParseAddr("127.224.10.10") {
			t.Errorf("%s: backend peer %s", via, a.peer)
		}
		echoRoundTrip(t, c, "after the header "+via)
	}
	c := e.socksOK(dstPE)
	check("socks5", c, nextAccepted(t, e.bes[0]))

	resp, hc := rawConnect(t, e.http, basicAuth(vm1Name, testToken), dstPE)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT %d", resp.StatusCode)
	}
	check("http-connect", hc, nextAccepted(t, e.bes[0]))

	// Optimistic data (sent with the SOCKS request) follows the header.
	sc, err := net.Dial("tcp", e.socks)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	req := []byte{5, 1, 2, 1, byte(len(vm1Name))}
	req = append(append(req, vm1Name...), byte(len(testToken)))
	req = append(append(req, testToken...), 5, 1, 0, 1, 10, 5, 0, 4, 0, 80)
	mustWrite(t, sc, append(req, "early"...))
	a := nextAccepted(t, e.bes[0])
	if src, _, _ := a.hdr.TCPAddrs(); src.Port != int(clientPort(sc)) {
		t.Errorf("early: source port %d, want %d", src.Port, clientPort(sc))
	}
	br := bufio.NewReader(sc)
	mustRead(t, br, 2+2+10)
	_ = sc.(*net.TCPConn).CloseWrite()
	if got, _ := io.ReadAll(br); string(got) != "early" {
		t.Errorf("early data echoed %q", got)
	}
}

func TestPrivateLinkRefusals(t *testing.T) {
	e := newPLEnv(t, 1, false, 0)
	e.src.Set(plSnapshot(2, "Pending", "Pending"))
	if _, rep, _ := rawSOCKS(t, e.socks, vm1Name, testToken, dstPE); rep != repHostUnreachable {
		t.Errorf("Pending: SOCKS reply %#x, want 0x04", rep)
	}
	resp, _ := rawConnect(t, e.http, basicAuth(vm1Name, testToken), dstPE)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "PrivateEndpointConnection: private endpoint pe1 connection to-pls1 to private link service pls1 is Pending") {
		t.Errorf("Pending: CONNECT %d %q", resp.StatusCode, body)
	}
	if _, rep, _ := rawSOCKS(t, e.socks, vm1Name, testToken, dstNATIP); rep != repNetUnreachable {
		t.Errorf("one-way: SOCKS reply %#x, want 0x03", rep)
	}
	resp, _ = rawConnect(t, e.http, basicAuth(vm1Name, testToken), dstNATIP)
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("one-way: CONNECT %d", resp.StatusCode)
	}
	if len(e.bes[0]) != 0 {
		t.Error("a refused connection reached the backend")
	}
}

// TestPrivateLinkFlowsCut: a snapshot in which the endpoint connection is
// no longer Approved (either side) or the endpoint is gone closes the
// flows through it; other flows stay.
func TestPrivateLinkFlowsCut(t *testing.T) {
	for i, tc := range []struct {
		name, pe, pls, why string
	}{
		{"consumer side rejected", "Rejected", "Approved", "connection to-pls1 to private link service pls1 is Rejected"},
		{"owner rejected", "Approved", "Rejected", "is Rejected"},
		{"removed", "Disconnected", "Disconnected", "is Disconnected"},
		{"endpoint deleted", "", "", "the private endpoint " + peID + " no longer exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newPLEnv(t, 1, false, 0)
			c := e.socksOK(dstPE)
			nextAccepted(t, e.bes[0])
			echoRoundTrip0(t, c, "ping")
			other := e.socksOK(dstPE)
			e.waitFlows(2)
			// A new snapshot that keeps the connection Approved cuts nothing.
			e.src.Set(plSnapshot(2, "Approved", "Approved"))
			e.waitFlows(2)
			e.src.Set(plSnapshot(int64(3+i), tc.pe, tc.pls))
			e.waitFlows(0)
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("the client connection is still open (read %d bytes)", n)
			}
			_ = other.Close()
			e.log.waitLog(t, "no longer carries traffic", tc.why)
			if u := e.p.NATUsage(); len(u) != 0 {
				t.Errorf("NAT ports still in use after the cut: %+v", u)
			}
			if _, rep, _ := rawSOCKS(t, e.socks, vm1Name, testToken, dstPE); rep == repSucceeded {
				t.Error("a new connection went through")
			}
		})
	}
}

// echoRoundTrip0 writes msg and expects it back, without half-closing.
func echoRoundTrip0(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	mustWrite(t, c, []byte(msg))
	if got := mustRead(t, c, len(msg)); string(got) != msg {
		t.Fatalf("echo %q, want %q", got, msg)
	}
	_ = c.SetDeadline(time.Time{})
}

// TestBindFailed: a failed bind falls back to an unbound dial; a refused
// connect does not.
func TestBindFailed(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, false},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}, true},
		{context.DeadlineExceeded, false},
	} {
		if got := bindFailed(tc.err); got != tc.want {
			t.Errorf("bindFailed(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	// A refused connect from a bindable source is an error, not a retry.
	e := newEnv(t)
	if _, _, err := e.p.dialTarget(context.Background(), closedPort(t), netip.MustParseAddr("10.0.0.4")); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dialTarget to a closed port: %v", err)
	}
}
