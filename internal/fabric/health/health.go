// Package health is privlink's load balancer health prober: it probes
// every backend pool member of the current snapshot for each health probe
// a load-balancing rule uses, as Azure's platform (168.63.129.16) does, and
// tells the data plane which members are healthy (Prober.Health, passed as
// fabric.Query.Health to the evaluator, the proxy, Network Watcher and
// DNS).
//
// # A probe
//
// A probe first asks the evaluator whether the platform reaches the
// member: fabric.Query{Source: fabric.PlatformHostID, SourceIPConfig: the
// member's Key, Dest: the member's address, Port: the probe's port}. The
// member's inbound NSGs decide (the default rule
// AllowAzureLoadBalancerInBound allows the AzureLoadBalancer tag; a user
// rule denying it makes the member unhealthy), and the member's host must
// run and declare a listener on the probe port. When the verdict is
// Delivered, the prober really connects to the verdict's TargetAddr (a
// loopback address): Tcp succeeds when the connection is accepted; Http
// sends GET <requestPath> and needs 200 OK; Https does the same over TLS
// without verifying the certificate, as Azure does. Members behind a
// private link service with PROXY protocol enabled receive a PROXY v2
// header first (Azure sends one on health probes too); privlink's is a
// PROXY command from 168.63.129.16 to the member's address and probe port,
// without TLVs. A probe times out after its interval (at most 30 s, the
// timeout of Azure's HTTP probes). The SSH banner privlink answers on
// port 22 passes Tcp probes.
//
// # Up and down
//
// Azure moves a backend out of rotation after probeThreshold consecutive
// failures and back after as many consecutive successes (fabric.Probe.Count,
// at least 1). Before its first result a member counts as healthy (Health
// answers true), so that connections made right after a member joins are
// not refused while its first probe runs; the first result then sets the
// state at once, and later ones move it only after Count consecutive
// results the other way. Every (member, probe) is probed once as soon as
// it appears, then every probe interval (IntervalSec, or Prober.Interval
// when set, e.g. in tests); a member whose last probe failed is probed
// again at once whenever the snapshot changes (privlink-specific: a
// listener declared after the load balancer counts without waiting an
// interval). Pairs that leave the snapshot are forgotten.
// Probes run concurrently, at most Prober.Concurrency at a time.
package health

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// Defaults.
const (
	// DefaultConcurrency bounds the probes in flight.
	DefaultConcurrency = 8
	// MaxTimeout is the longest a probe waits (Azure's HTTP probe timeout).
	MaxTimeout = 30 * time.Second
	// defaultIntervalSec is Azure's default probe interval.
	defaultIntervalSec = 15
)

// Prober probes load balancer backends. Set the fields before Run; the
// zero values of the optional ones are documented on each.
type Prober struct {
	// Source hands out the snapshots (required).
	Source fabric.Source
	// Evaluate decides whether the platform reaches a member (default
	// path.Evaluate).
	Evaluate func(*fabric.Snapshot, fabric.Query) fabric.Verdict
	// Dial connects to a real listener (default: a net.Dialer that only
	// dials loopback addresses).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Log receives state changes (Info) and probe failures (Debug);
	// default slog.Default().
	Log *slog.Logger
	// Interval, when positive, replaces every probe's IntervalSec (tests,
	// or a faster emulation).
	Interval time.Duration
	// Concurrency bounds the probes in flight (default
	// DefaultConcurrency).
	Concurrency int

	mu      sync.RWMutex
	targets map[targetKey]*target
}

type targetKey struct{ member, probe string }

// target is one (member, probe) pair and its state.
type target struct {
	// From the latest snapshot.
	addr     netip.Addr
	probe    fabric.Probe
	proxy    bool
	interval time.Duration

	// Schedule.
	next     time.Time
	inFlight bool

	// State.
	known  bool
	up     bool
	streak int // consecutive results against the current state
	reason string
}

// Status is the state of one (member, probe) pair.
type Status struct {
	// Known is false until the first probe finished.
	Known bool
	// Up: the member takes new connections.
	Up bool
	// Reason is the last failure's explanation ("" after a success).
	Reason string
}

// Health reports whether the member (fabric.BackendMember.Key) answers
// the probe (fabric.Probe.ID). Unknown pairs count as healthy. It is safe
// for concurrent use and fits fabric.Query.Health.
func (p *Prober) Health(memberKey, probeID string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t := p.targets[targetKey{memberKey, probeID}]
	return t == nil || !t.known || t.up
}

// Status returns the state of a (member, probe) pair; ok is false when
// the prober does not know the pair.
func (p *Prober) Status(memberKey, probeID string) (st Status, ok bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	t := p.targets[targetKey{memberKey, probeID}]
	if t == nil {
		return Status{}, false
	}
	return Status{Known: t.known, Up: !t.known || t.up, Reason: t.reason}, true
}

func (p *Prober) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// Run probes until ctx ends, then waits for the probes in flight and
// returns nil.
func (p *Prober) Run(ctx context.Context) error {
	if p.Source == nil {
		return errors.New("health: Prober.Source is not set")
	}
	wake := make(chan struct{}, 1)
	cancel := p.Source.Subscribe(func(_, _ *fabric.Snapshot) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer cancel()
	conc := p.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var last *fabric.Snapshot
	for {
		snap := p.Source.Current()
		if snap != last && snap != nil {
			p.refresh(snap)
			last = snap
		}
		now := time.Now()
		wait := time.Hour
		p.mu.Lock()
		for k, t := range p.targets {
			if !t.inFlight && !t.next.After(now) {
				t.inFlight = true
				t.next = now.Add(t.interval)
				job := probeJob{key: k, addr: t.addr, probe: t.probe, proxy: t.proxy, timeout: min(t.interval, MaxTimeout)}
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						p.done(job.key, nil)
						return
					}
					ok, reason := p.probe(ctx, snap, job)
					<-sem
					if ctx.Err() != nil {
						p.done(job.key, nil)
						return
					}
					p.done(job.key, &result{ok: ok, reason: reason})
					select { // re-plan: the pair may be due again soon
					case wake <- struct{}{}:
					default:
					}
				}()
			}
			if d := t.next.Sub(now); !t.inFlight && d < wait {
				wait = d
			} else if t.inFlight && t.interval < wait {
				wait = t.interval
			}
		}
		p.mu.Unlock()
		timer.Reset(max(wait, time.Millisecond)) // Go ≥ 1.23: no stale tick after Reset
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
	}
}

// refresh updates the targets from a snapshot: every member of a pool a
// rule with a probe uses, for that probe.
func (p *Prober) refresh(s *fabric.Snapshot) {
	seen := map[targetKey]bool{}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.targets == nil {
		p.targets = map[targetKey]*target{}
	}
	for _, lb := range s.LoadBalancers {
		for _, r := range lb.Rules {
			if r.Probe == nil || r.Pool == nil {
				continue
			}
			proxy := false
			if r.Frontend != nil {
				for _, svc := range r.Frontend.Services {
					proxy = proxy || svc.ProxyProtocol
				}
			}
			interval := p.Interval
			if interval <= 0 {
				sec := r.Probe.IntervalSec
				if sec <= 0 {
					sec = defaultIntervalSec
				}
				interval = time.Duration(sec) * time.Second
			}
			for _, m := range r.Pool.Members {
				k := targetKey{m.Key, r.Probe.ID}
				t := p.targets[k]
				if t == nil {
					t = &target{}
					p.targets[k] = t
				}
				if !seen[k] {
					t.proxy = false
				}
				seen[k] = true
				t.addr, t.probe, t.interval = m.Addr, *r.Probe, interval
				t.proxy = t.proxy || proxy
				if time.Until(t.next) > interval {
					t.next = time.Now().Add(interval)
				}
				if t.known && t.reason != "" && !t.inFlight {
					// A failing member is probed again as soon as the
					// network changes (its listener may just have been
					// declared), not only at the next interval.
					t.next = time.Now()
				}
			}
		}
	}
	for k := range p.targets {
		if !seen[k] {
			delete(p.targets, k)
		}
	}
}

type probeJob struct {
	key     targetKey
	addr    netip.Addr
	probe   fabric.Probe
	proxy   bool
	timeout time.Duration
}

type result struct {
	ok     bool
	reason string
}

// done records a probe's result (nil: the probe was abandoned).
func (p *Prober) done(k targetKey, r *result) {
	p.mu.Lock()
	t := p.targets[k]
	if t == nil {
		p.mu.Unlock()
		return
	}
	t.inFlight = false
	if r == nil {
		p.mu.Unlock()
		return
	}
	was, wasKnown := t.up, t.known
	need := max(t.probe.Count, 1)
	switch {
	case !t.known:
		t.known, t.up, t.streak = true, r.ok, 0
	case r.ok == t.up:
		t.streak = 0
	default:
		t.streak++
		if t.streak >= need {
			t.up, t.streak = r.ok, 0
		}
	}
	if r.ok {
		t.reason = ""
	} else {
		t.reason = r.reason
	}
	changed := !wasKnown || was != t.up
	up, reason := t.up, t.reason
	p.mu.Unlock()
	if !r.ok {
		p.log().Debug("health probe failed", "member", k.member, "probe", k.probe, "reason", r.reason)
	}
	if changed {
		p.log().Info("backend health", "member", k.member, "probe", k.probe, "up", up, "reason", reason)
	}
}

// probe runs one probe and explains a failure.
func (p *Prober) probe(ctx context.Context, s *fabric.Snapshot, j probeJob) (bool, string) {
	eval := p.Evaluate
	if eval == nil {
		eval = path.Evaluate
	}
	v := eval(s, fabric.Query{Source: fabric.PlatformHostID, SourceIPConfig: j.key.member, Dest: j.addr,
		Protocol: fabric.TCP, Port: j.probe.Port})
	if v.Outcome != fabric.Delivered {
		var reasons []string
		for _, b := range v.Blocks {
			reasons = append(reasons, b.Reason)
		}
		if len(reasons) == 0 {
			reasons = append(reasons, string(v.Outcome))
		}
		return false, strings.Join(reasons, "; ")
	}
	proto := strings.ToLower(j.probe.Protocol)
	if v.TargetAddr == path.TargetSSHBanner {
		if proto == "tcp" {
			return true, ""
		}
		return false, fmt.Sprintf("%s probe on port %d reached the SSH banner, not an HTTP server", j.probe.Protocol, j.probe.Port)
	}
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	conn, err := p.dial(ctx, v.TargetAddr)
	if err != nil {
		return false, fmt.Sprintf("%s probe to %s:%d: %v", j.probe.Protocol, j.addr, j.probe.Port, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if j.proxy {
		if _, err := conn.Write(proxyHeader(fabric.AzurePlatformIP, j.addr, uint16(j.probe.Port))); err != nil {
			return false, fmt.Sprintf("%s probe to %s:%d: PROXY header: %v", j.probe.Protocol, j.addr, j.probe.Port, err)
		}
	}
	switch proto {
	case "http", "https":
		var c net.Conn = conn
		if proto == "https" {
			tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, ServerName: j.addr.String()}) //nolint:gosec // Azure's HTTPS probes do not verify the certificate
			if err := tc.HandshakeContext(ctx); err != nil {
				return false, fmt.Sprintf("Https probe to %s:%d: TLS handshake: %v", j.addr, j.probe.Port, err)
			}
			c = tc
		}
		return httpProbe(c, j)
	default:
		return true, ""
	}
}

// httpProbe sends GET requestPath on c and needs 200 OK.
func httpProbe(c net.Conn, j probeJob) (bool, string) {
	reqPath := j.probe.Path
	if reqPath == "" {
		reqPath = "/"
	}
	host := net.JoinHostPort(j.addr.String(), strconv.Itoa(j.probe.Port))
	req, err := http.NewRequest(http.MethodGet, "http://"+host+reqPath, nil)
	if err != nil {
		return false, fmt.Sprintf("%s probe: request path %q: %v", j.probe.Protocol, reqPath, err)
	}
	req.Header.Set("User-Agent", "Load Balancer Agent")
	req.Close = true
	if err := req.Write(c); err != nil {
		return false, fmt.Sprintf("%s probe to %s: %v", j.probe.Protocol, host, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return false, fmt.Sprintf("%s probe to %s: %v", j.probe.Protocol, host, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s probe GET %s on %s answered %s, not 200 OK", j.probe.Protocol, reqPath, host, resp.Status)
	}
	return true, ""
}

func (p *Prober) dial(ctx context.Context, addr string) (net.Conn, error) {
	if p.Dial != nil {
		return p.Dial(ctx, addr)
	}
	return DialLoopback(ctx, addr)
}

// DialLoopback dials a TCP loopback address and refuses any other.
func DialLoopback(ctx context.Context, addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("health: refusing to dial %q: only loopback addresses are real", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", ap.String())
}

// proxySignature starts every PROXY protocol v2 header.
var proxySignature = []byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

// proxyHeader is a PROXY v2 header (command PROXY, TCP) from src to
// dst:port, source port 0, without TLVs.
func proxyHeader(src, dst netip.Addr, port uint16) []byte {
	b := append([]byte(nil), proxySignature...)
	b = append(b, 0x21) // version 2, PROXY
	if src.Is4() && dst.Is4() {
		b = append(b, 0x11) // AF_INET, STREAM
		b = binary.BigEndian.AppendUint16(b, 12)
		s4, d4 := src.As4(), dst.As4()
		b = append(b, s4[:]...)
		b = append(b, d4[:]...)
	} else {
		b = append(b, 0x21) // AF_INET6, STREAM
		b = binary.BigEndian.AppendUint16(b, 36)
		s16, d16 := src.As16(), dst.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, 0)
	return binary.BigEndian.AppendUint16(b, port)
}
