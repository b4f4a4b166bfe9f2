package health

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

const rg = "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.network/"

// topo is a hand-built snapshot: VNet prov 10.0.0.0/16, subnet be with n
// backends be<i> at 10.0.0.(4+i) whose port 80 maps to the given real
// addresses, in pool "pool" of internal load balancer lb (frontend
// 10.0.2.10), probe "probe" (protocol, port 80, path) used by rule https.
type topo struct {
	s      *fabric.Snapshot
	sub    *fabric.Subnet
	hosts  []*fabric.Host
	probe  *fabric.Probe
	pool   *fabric.BackendPool
	fe     *fabric.Frontend
	member []*fabric.BackendMember
}

func newTopo(proto, reqPath string, count int, targets ...string) *topo {
	s := &fabric.Snapshot{VNets: map[string]*fabric.VNet{}, Subnets: map[string]*fabric.Subnet{}, NICs: map[string]*fabric.NIC{},
		NSGs: map[string]*fabric.NSG{}, Hosts: map[string]*fabric.Host{}, PublicIPs: map[string]*fabric.PublicIP{},
		LoadBalancers: map[string]*fabric.LoadBalancer{}, PrivateLinkServices: map[string]*fabric.PrivateLinkService{},
		PrivateEndpoints: map[string]*fabric.PrivateEndpoint{}}
	v := &fabric.VNet{ID: rg + "virtualnetworks/prov", Name: "prov", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	sn := &fabric.Subnet{ID: v.ID + "/subnets/be", Name: "be", VNet: v, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")},
		PrivateEndpointNetworkPolicies: "Disabled"}
	fesn := &fabric.Subnet{ID: v.ID + "/subnets/fe", Name: "fe", VNet: v, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}}
	v.Subnets = []*fabric.Subnet{sn, fesn}
	s.VNets[v.ID], s.Subnets[sn.ID], s.Subnets[fesn.ID] = v, sn, fesn
	t := &topo{s: s, sub: sn}
	lb := &fabric.LoadBalancer{ID: rg + "loadbalancers/lb", Name: "lb", SKU: "Standard", Internal: true}
	t.fe = &fabric.Frontend{ID: lb.ID + "/frontendipconfigurations/fe", Name: "fe", LB: lb, Subnet: fesn, PrivateIP: netip.MustParseAddr("10.0.2.10")}
	t.pool = &fabric.BackendPool{ID: lb.ID + "/backendaddresspools/pool", Name: "pool", LB: lb}
	t.probe = &fabric.Probe{ID: lb.ID + "/probes/probe", Name: "probe", Protocol: proto, Port: 80, Path: reqPath, IntervalSec: 5, Count: count}
	rule := &fabric.LBRule{ID: lb.ID + "/loadbalancingrules/https", Name: "https", Frontend: t.fe, Pool: t.pool, Probe: t.probe,
		Protocol: fabric.TCP, FrontendPort: 443, BackendPort: 80}
	t.fe.Rules = []*fabric.LBRule{rule}
	lb.Frontends, lb.Pools, lb.Probes, lb.Rules = []*fabric.Frontend{t.fe}, []*fabric.BackendPool{t.pool}, []*fabric.Probe{t.probe}, []*fabric.LBRule{rule}
	s.LoadBalancers[lb.ID] = lb
	for i, target := range targets {
		name := "be" + string(rune('1'+i))
		h := &fabric.Host{ID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg/providers/microsoft.compute/virtualmachines/" + name,
			Name: name, Kind: fabric.KindVM, Running: true, PowerState: fabric.PowerRunning, Ports: map[string]string{"tcp/80": target}}
		nic := &fabric.NIC{ID: rg + "networkinterfaces/" + name + "-nic", Name: name + "-nic", Host: h}
		c := &fabric.IPConfig{ID: nic.ID + "/ipconfigurations/ipconfig1", Name: "ipconfig1", NIC: nic, Subnet: sn,
			PrivateIP: netip.AddrFrom4([4]byte{10, 0, 0, byte(4 + i)}), Primary: true}
		nic.IPConfigs = []*fabric.IPConfig{c}
		h.NICs = []*fabric.NIC{nic}
		s.Hosts[h.ID], s.NICs[nic.ID] = h, nic
		m := &fabric.BackendMember{Key: c.ID, IPConfig: c, Addr: c.PrivateIP}
		t.pool.Members = append(t.pool.Members, m)
		t.member = append(t.member, m)
		t.hosts = append(t.hosts, h)
	}
	s.Hosts[fabric.PlatformHostID] = &fabric.Host{ID: fabric.PlatformHostID, Name: fabric.PlatformHostID, Kind: fabric.KindPlatform,
		Running: true, PublicAddr: fabric.AzurePlatformIP}
	s.Reindex()
	return t
}

// source is a fabric.Source whose snapshot tests replace.
type source struct {
	mu   sync.Mutex
	s    *fabric.Snapshot
	subs []func(old, new *fabric.Snapshot)
}

func (src *source) Current() *fabric.Snapshot {
	src.mu.Lock()
	defer src.mu.Unlock()
	return src.s
}

func (src *source) Subscribe(fn func(old, new *fabric.Snapshot)) func() {
	src.mu.Lock()
	defer src.mu.Unlock()
	src.subs = append(src.subs, fn)
	return func() {}
}

func (src *source) set(s *fabric.Snapshot) {
	src.mu.Lock()
	old := src.s
	src.s = s
	subs := append([]func(old, new *fabric.Snapshot){}, src.subs...)
	src.mu.Unlock()
	for _, fn := range subs {
		fn(old, s)
	}
}

// tcpListener accepts and closes connections, counting them; it can be
// closed and reopened on the same port.
type tcpListener struct {
	t        *testing.T
	addr     string
	mu       sync.Mutex
	ln       net.Listener
	accepted atomic.Int64
	first    chan []byte // the first bytes of each connection, when set
}

func listen(t *testing.T) *tcpListener {
	l := &tcpListener{t: t}
	l.open("127.0.0.1:0")
	t.Cleanup(l.close)
	return l
}

func (l *tcpListener) open(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		l.t.Fatal(err)
	}
	l.mu.Lock()
	l.ln, l.addr = ln, ln.Addr().String()
	l.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			if l.first != nil {
				buf := make([]byte, 28)
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				n, _ := io.ReadFull(c, buf)
				select {
				case l.first <- buf[:n]:
				default:
				}
			}
			_ = c.Close()
		}
	}()
}

func (l *tcpListener) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		_ = l.ln.Close()
		l.ln = nil
	}
}

func start(t *testing.T, p *Prober) {
	t.Helper()
	if p.Interval == 0 {
		p.Interval = 20 * time.Millisecond
	}
	if p.Log == nil {
		p.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// eventually waits until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func known(p *Prober, m *fabric.BackendMember, probe *fabric.Probe) bool {
	st, ok := p.Status(m.Key, probe.ID)
	return ok && st.Known
}

func TestTCPProbeUpDown(t *testing.T) {
	l1, l2 := listen(t), listen(t)
	tp := newTopo("Tcp", "", 2, l1.addr, l2.addr)
	p := &Prober{Source: fabric.StaticSource{S: tp.s}}
	// Before the first result every member counts as healthy.
	if !p.Health(tp.member[0].Key, tp.probe.ID) {
		t.Fatal("unknown member is not healthy")
	}
	start(t, p)
	m1, m2 := tp.member[0], tp.member[1]
	eventually(t, "first results", func() bool { return known(p, m1, tp.probe) && known(p, m2, tp.probe) })
	if !p.Health(m1.Key, tp.probe.ID) || !p.Health(m2.Key, tp.probe.ID) || l1.accepted.Load() == 0 {
		t.Fatalf("members not up: %v %v (accepted %d)", p.Health(m1.Key, tp.probe.ID), p.Health(m2.Key, tp.probe.ID), l1.accepted.Load())
	}
	// The listener goes away: down after Count (2) consecutive failures.
	addr := l1.addr
	l1.close()
	eventually(t, "member 1 down", func() bool { return !p.Health(m1.Key, tp.probe.ID) })
	st, _ := p.Status(m1.Key, tp.probe.ID)
	if st.Up || !strings.Contains(st.Reason, "Tcp probe to 10.0.0.4:80") {
		t.Fatalf("status %+v", st)
	}
	if !p.Health(m2.Key, tp.probe.ID) {
		t.Fatal("member 2 went down too")
	}
	// The evaluator, given Health, now sends every flow to member 2.
	for h := range uint64(6) {
		v := path.Evaluate(tp.s, fabric.Query{Source: fabric.PlatformHostID, Dest: m1.Addr, Protocol: fabric.TCP, Port: 80})
		if v.Outcome != fabric.Delivered {
			t.Fatalf("platform to member 1: %s", v.Outcome)
		}
		q := fabric.Query{Source: tp.hosts[1].ID, Dest: tp.fe.PrivateIP, Protocol: fabric.TCP, Port: 443, FlowHash: h, Health: p.Health}
		if v := path.Evaluate(tp.s, q); v.Outcome != fabric.Delivered || v.Backend != m2 {
			t.Fatalf("hash %d: %s backend %+v", h, v.Outcome, v.Backend)
		}
	}
	// Back up after the listener returns.
	l1.open(addr)
	eventually(t, "member 1 up again", func() bool { return p.Health(m1.Key, tp.probe.ID) })
}

func TestThreshold(t *testing.T) {
	var fail atomic.Bool
	l := listen(t)
	tp := newTopo("Tcp", "", 3, l.addr)
	m := tp.member[0]
	var mu sync.Mutex
	var before []bool // the health seen as each failing probe starts
	var p *Prober
	p = &Prober{Source: fabric.StaticSource{S: tp.s}, Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		if fail.Load() {
			mu.Lock()
			before = append(before, p.Health(m.Key, tp.probe.ID))
			mu.Unlock()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: io.ErrUnexpectedEOF}
		}
		return DialLoopback(ctx, addr)
	}}
	start(t, p)
	eventually(t, "first result", func() bool { return known(p, m, tp.probe) })
	fail.Store(true)
	eventually(t, "five failed probes", func() bool { mu.Lock(); defer mu.Unlock(); return len(before) >= 5 })
	mu.Lock()
	got := fmt.Sprint(before[:5])
	mu.Unlock()
	// Up during the first three failures, down from the fourth probe on.
	if got != "[true true true false false]" {
		t.Fatalf("health before each failing probe: %s", got)
	}
	st, _ := p.Status(m.Key, tp.probe.ID)
	if st.Up || !strings.Contains(st.Reason, "unexpected EOF") {
		t.Fatalf("status %+v", st)
	}
	fail.Store(false)
	eventually(t, "up after three successes", func() bool { return p.Health(m.Key, tp.probe.ID) })
}

func TestStreakCounting(t *testing.T) {
	// done() directly: Count consecutive results flip the state; an
	// opposite result resets the streak.
	p := &Prober{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	k := targetKey{"m", "p"}
	p.targets = map[targetKey]*target{k: {probe: fabric.Probe{Count: 2}}}
	steps := []struct {
		ok   bool
		want bool
	}{{false, false}, {true, false}, {false, false}, {true, false}, {true, true}, {false, true}, {true, true}, {false, true}, {false, false}}
	for i, s := range steps {
		p.done(k, &result{ok: s.ok, reason: "x"})
		if got := p.Health("m", "p"); got != s.want {
			t.Fatalf("step %d (ok=%v): health %v, want %v", i, s.ok, got, s.want)
		}
	}
}

func TestHTTPProbes(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || r.Method != http.MethodGet {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	plain := httptest.NewServer(handler)
	defer plain.Close()
	secure := httptest.NewTLSServer(handler)
	defer secure.Close()
	host := func(u string) string { return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://") }
	for _, tc := range []struct {
		name, proto, path, target string
		up                        bool
		reason                    string
	}{
		{"http 200", "Http", "/healthz", host(plain.URL), true, ""},
		{"http 503", "Http", "/other", host(plain.URL), false, "answered 503 Service Unavailable, not 200 OK"},
		{"https without verification", "Https", "/healthz", host(secure.URL), true, ""},
		{"http to a TLS server", "Http", "/healthz", host(secure.URL), false, "400"},
		{"https to a plain server", "Https", "/healthz", host(plain.URL), false, "TLS handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTopo(tc.proto, tc.path, 1, tc.target)
			p := &Prober{Source: fabric.StaticSource{S: tp.s}}
			start(t, p)
			m := tp.member[0]
			eventually(t, "result", func() bool { return known(p, m, tp.probe) })
			st, _ := p.Status(m.Key, tp.probe.ID)
			if st.Up != tc.up || !strings.Contains(st.Reason, tc.reason) {
				t.Fatalf("status %+v, want up=%v reason ~ %q", st, tc.up, tc.reason)
			}
		})
	}
}

func TestNSGDenyingTheProbe(t *testing.T) {
	l := listen(t)
	tp := newTopo("Tcp", "", 1, l.addr)
	deny := &fabric.SecurityRule{Name: "no-probes", ID: rg + "networksecuritygroups/nsg/securityrules/no-probes", Priority: 100,
		Direction: fabric.Inbound, Access: "Deny", Protocol: fabric.ProtoAny, SourcePrefixes: []string{"AzureLoadBalancer"},
		DestinationPrefixes: []string{"*"}, SourcePorts: []string{"*"}, DestinationPorts: []string{"*"}}
	allowLB := &fabric.SecurityRule{Name: "AllowAzureLoadBalancerInBound", Priority: 65001, Direction: fabric.Inbound, Access: "Allow",
		Protocol: fabric.ProtoAny, SourcePrefixes: []string{"AzureLoadBalancer"}, DestinationPrefixes: []string{"*"},
		SourcePorts: []string{"*"}, DestinationPorts: []string{"*"}, Default: true}
	tp.sub.NSG = &fabric.NSG{ID: rg + "networksecuritygroups/nsg", Name: "nsg", Rules: []*fabric.SecurityRule{allowLB}}
	src := &source{s: tp.s}
	var dials atomic.Int64
	p := &Prober{Source: src, Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		dials.Add(1)
		return DialLoopback(ctx, addr)
	}}
	start(t, p)
	m := tp.member[0]
	eventually(t, "up with the default rule", func() bool { return known(p, m, tp.probe) && p.Health(m.Key, tp.probe.ID) })
	// A user rule denying AzureLoadBalancer takes it down without a dial.
	tp2 := newTopo("Tcp", "", 1, l.addr)
	tp2.sub.NSG = &fabric.NSG{ID: rg + "networksecuritygroups/nsg", Name: "nsg", Rules: []*fabric.SecurityRule{deny, allowLB}}
	src.set(tp2.s)
	eventually(t, "down", func() bool { return !p.Health(m.Key, tp.probe.ID) })
	before := dials.Load()
	time.Sleep(100 * time.Millisecond)
	if dials.Load() != before {
		t.Fatalf("the prober dialled a member its NSG closes (%d → %d)", before, dials.Load())
	}
	st, _ := p.Status(m.Key, tp.probe.ID)
	if !strings.Contains(st.Reason, "NSG nsg rule no-probes (priority 100) on subnet be denies Inbound Tcp from 168.63.129.16 to 10.0.0.4:80") {
		t.Fatalf("reason %q", st.Reason)
	}
}

func TestStoppedHostAndMissingListener(t *testing.T) {
	l := listen(t)
	tp := newTopo("Tcp", "", 1, l.addr, l.addr)
	tp.hosts[0].Running, tp.hosts[0].PowerState = false, "PowerState/deallocated"
	delete(tp.hosts[1].Ports, "tcp/80")
	p := &Prober{Source: fabric.StaticSource{S: tp.s}}
	start(t, p)
	for i, want := range []string{"VM be1 is stopped (PowerState/deallocated)", "nothing listens on be2:80"} {
		m := tp.member[i]
		eventually(t, "result", func() bool { return known(p, m, tp.probe) })
		if st, _ := p.Status(m.Key, tp.probe.ID); st.Up || !strings.Contains(st.Reason, want) {
			t.Fatalf("member %d: %+v", i, st)
		}
	}
	if l.accepted.Load() != 0 {
		t.Fatalf("dialled %d times", l.accepted.Load())
	}
}

func TestProxyProtocolHeader(t *testing.T) {
	l := &tcpListener{t: t, first: make(chan []byte, 16)}
	l.open("127.0.0.1:0")
	t.Cleanup(l.close)
	tp := newTopo("Tcp", "", 1, l.addr)
	tp.fe.Services = []*fabric.PrivateLinkService{{ID: rg + "privatelinkservices/pls", Name: "pls", ProxyProtocol: true}}
	p := &Prober{Source: fabric.StaticSource{S: tp.s}}
	start(t, p)
	var got []byte
	select {
	case got = <-l.first:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
	}
	want := append(append([]byte{}, proxySignature...), 0x21, 0x11, 0, 12, 168, 63, 129, 16, 10, 0, 0, 4, 0, 0, 0, 80)
	if !bytes.Equal(got, want) {
		t.Fatalf("header % x, want % x", got, want)
	}
}

func TestTargetsFollowTheSnapshot(t *testing.T) {
	l := listen(t)
	tp := newTopo("Tcp", "", 1, l.addr, l.addr)
	src := &source{s: tp.s}
	p := &Prober{Source: src}
	start(t, p)
	m1, m2 := tp.member[0], tp.member[1]
	eventually(t, "both probed", func() bool { return known(p, m1, tp.probe) && known(p, m2, tp.probe) })
	// Member 2 leaves the pool: the prober forgets it.
	tp2 := newTopo("Tcp", "", 1, l.addr)
	src.set(tp2.s)
	eventually(t, "member 2 forgotten", func() bool { _, ok := p.Status(m2.Key, tp.probe.ID); return !ok })
	if _, ok := p.Status(tp2.member[0].Key, tp2.probe.ID); !ok {
		t.Fatal("member 1 forgotten")
	}
}

func TestConcurrencyBound(t *testing.T) {
	var targets []string
	for range 6 {
		targets = append(targets, listen(t).addr)
	}
	tp := newTopo("Tcp", "", 1, targets...)
	var cur, peak atomic.Int64
	p := &Prober{Source: fabric.StaticSource{S: tp.s}, Concurrency: 2, Interval: time.Hour,
		Dial: func(ctx context.Context, addr string) (net.Conn, error) {
			n := cur.Add(1)
			defer cur.Add(-1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(30 * time.Millisecond)
			return DialLoopback(ctx, addr)
		}}
	start(t, p)
	eventually(t, "all probed", func() bool {
		for _, m := range tp.member {
			if !known(p, m, tp.probe) {
				return false
			}
		}
		return true
	})
	if peak.Load() > 2 || peak.Load() < 1 {
		t.Fatalf("peak concurrency %d", peak.Load())
	}
}

func TestDialLoopbackOnly(t *testing.T) {
	for _, a := range []string{"10.0.0.4:80", "168.63.129.16:80", "example.com:80", "[::2]:80"} {
		if c, err := DialLoopback(context.Background(), a); err == nil {
			c.Close()
			t.Fatalf("dialled %s", a)
		}
	}
	l := listen(t)
	c, err := DialLoopback(context.Background(), l.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestRunNeedsASource(t *testing.T) {
	if err := (&Prober{}).Run(context.Background()); err == nil {
		t.Fatal("Run without a source succeeded")
	}
}
