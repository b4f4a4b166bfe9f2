// Command privlink-fabric-bench measures privlink's data-plane targets
// (issue 3) next to references run in the same invocation, and prints a
// markdown report for bench/RESULTS.md:
//
//   - bulk TCP throughput from a vantage VM through the fabric's SOCKS5
//     proxy to a VM port exposed (Privlink.Fabric/listeners) to a real sink
//     on 127.0.0.1, next to direct loopback to the same sink, HAProxy (TCP
//     mode, with and without splice-auto) in front of it, and a minimal Go
//     relay;
//   - connection setup (dial, one byte echoed, close) the same four ways:
//     p50 latency with one client, rate with several;
//   - both of these also through two SOCKS5 servers written in C
//     (microsocks and Dante), the same client and protocol as privlink's
//     ingress, to show what the SOCKS5 negotiation itself costs next to
//     HAProxy's plain TCP relay;
//   - DNS queries/s (dnsperf) against the VNet's resolver answering a
//     private zone linked to the VNet, next to unbound serving the same
//     records as a local zone;
//   - path evaluation latency and snapshot heap on a generated
//     hub-and-spoke of 1,000 VNets and 10,000 NICs (fabric.Build from
//     stored records), next to the same evaluation on a 2-VNet
//     hub-and-spoke and to the records' stored size.
//
// With -privatelink it also measures the Private Link path (issue 4,
// privatelink.go); with -vpn, bulk TCP from a host of an on-premises site
// over a Connected site-to-site VPN connection to a VM listener (issue 7,
// vpn.go).
//
// The emulated network of the first three is created through the ARM API
// of an in-process daemon (app.Start, embedded store). HAProxy, unbound,
// dnsperf, microsocks and Dante (dante-server) are Debian packages; the
// program says how to install any that is missing.
//
// Run it from the module root:
//
//	go run ./bench/cmd/privlink-fabric-bench
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/privlink/privlink/bench"
	"github.com/privlink/privlink/internal/fabric"
)

// timeWaitLimit is the TIME_WAIT count below which a part may start.
const timeWaitLimit = 20000

// Targets of issue 3.
const (
	targetStreamRatio = 0.8                    // of direct loopback
	targetAddedP50    = 100 * time.Microsecond // connection setup, over direct
	targetEvalP50     = time.Millisecond
	targetSnapshot    = 500_000_000 // bytes (500 MB)
)

type options struct {
	rounds         int
	streamBytes    int64
	streams        []int
	connects       int
	connectConc    []int
	dnsDuration    time.Duration
	dnsRounds      int
	dnsClients     int
	dnsThreads     int
	dnsOutstanding int
	dnsRecords     int
	peerThreads    int
	vnets, perVNet int
	queries        int
	profileDir     string
	skip           map[string]bool
	// Private Link part (issue 4, privatelink.go).
	privateLink bool
	plEndpoints int
	plConnects  int
	plPoll      time.Duration
	// Site-to-site VPN part (issue 7, vpn.go).
	vpn bool
}

func ints(s, flagName string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "privlink-fabric-bench: bad -%s %q\n", flagName, s)
			os.Exit(2)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	var o options
	streams := flag.String("streams", "1,4", "comma-separated numbers of concurrent bulk streams")
	conc := flag.String("connect-concurrency", "1,16", "comma-separated numbers of concurrent clients for connection setup")
	skip := flag.String("skip", "", "comma-separated parts to skip: stream, connect, dns, eval (and, with -privatelink, pl-stream, pl-connect, pl-scale)")
	mib := flag.Int64("stream-mib", 1024, "MiB sent per bulk round (split across the streams)")
	flag.IntVar(&o.rounds, "rounds", 5, "alternating rounds per measurement (the median is reported)")
	flag.IntVar(&o.connects, "connects", 2000, "connections per setup round")
	flag.DurationVar(&o.dnsDuration, "dns-duration", 5*time.Second, "dnsperf run time per round")
	flag.IntVar(&o.dnsRounds, "dns-rounds", 3, "alternating privlink/unbound dnsperf rounds")
	flag.IntVar(&o.dnsClients, "dns-clients", 4, "dnsperf -c (simulated clients, one UDP socket each)")
	flag.IntVar(&o.dnsThreads, "dns-threads", 1, "dnsperf -T")
	flag.IntVar(&o.dnsOutstanding, "dns-outstanding", 100, "dnsperf -q (queries in flight)")
	flag.IntVar(&o.dnsRecords, "dns-records", 100, "A records in the private zone (and in unbound's local zone)")
	flag.IntVar(&o.peerThreads, "peer-threads", runtime.NumCPU(), "threads of HAProxy (nbthread) and unbound (num-threads)")
	flag.IntVar(&o.vnets, "vnets", 1000, "VNets of the evaluator's hub-and-spoke")
	flag.IntVar(&o.perVNet, "per-vnet", 10, "NICs (VMs) per VNet of the evaluator's hub-and-spoke")
	flag.IntVar(&o.queries, "queries", 20000, "evaluations per topology")
	// Private Link part (issue 4): see privatelink.go.
	flag.BoolVar(&o.privateLink, "privatelink", false, "also run the Private Link part (endpoint → link service → LB → backend; 1,000 endpoints on one service)")
	flag.IntVar(&o.plEndpoints, "pl-endpoints", 1000, "private endpoints created on the one private link service")
	flag.IntVar(&o.plConnects, "pl-connects", 1000, "connections per Private Link setup round")
	flag.DurationVar(&o.plPoll, "pl-poll", 5*time.Millisecond, "Azure-AsyncOperation poll interval when creating endpoints")
	// End of the Private Link flags.
	// Site-to-site VPN part (issue 7).
	flag.BoolVar(&o.vpn, "vpn", false, "also run the site-to-site VPN part (bulk TCP from an on-premises site host over a Connected VPN connection to a VM listener)")
	// End of the site-to-site VPN part.
	flag.StringVar(&o.profileDir, "profile-dir", "", "write CPU profiles of the last privlink round of each part here")
	flag.Parse()
	o.streams, o.connectConc = ints(*streams, "streams"), ints(*conc, "connect-concurrency")
	o.streamBytes = *mib << 20
	o.skip = map[string]bool{}
	for _, s := range strings.Split(*skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.skip[s] = true
		}
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "privlink-fabric-bench: %v\n", err)
		os.Exit(1)
	}
}

// row is one line of the report table.
type row struct {
	what, value, ref, ratio, target, met string
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "privlink-fabric-bench: "+format+"\n", args...)
}

// env is everything the network measurements share.
type env struct {
	o          options
	d          *bench.Daemon
	w          *bench.World
	sink, echo *bench.Server
	relaySink  *bench.Server
	relayEcho  *bench.Server
	hap        *bench.HAProxy
	microsocks *bench.SOCKSPeer
	dante      *bench.SOCKSPeer
	dir        string
	notes      []string
}

func run(ctx context.Context, o options, out io.Writer) (err error) {
	tmp, err := os.MkdirTemp("", "privlink-fabric-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	header := bench.Machine("privlink-fabric-bench")
	e := &env{o: o, dir: tmp}
	var rows []row
	// Each part starts once the TIME_WAIT sockets of the one before have
	// mostly expired (bench.DrainTimeWait).
	drain := func(part string) {
		if n := bench.TimeWait(); n >= timeWaitLimit {
			progress("%s: waiting for %d TIME_WAIT sockets to expire", part, n)
			if n = bench.DrainTimeWait(timeWaitLimit, 90*time.Second); n >= timeWaitLimit {
				e.notes = append(e.notes, fmt.Sprintf("%s started with %d TCP sockets in TIME_WAIT", part, n))
			}
		}
	}
	if !o.skip["stream"] || !o.skip["connect"] || !o.skip["dns"] {
		drain("setup")
		defer e.close()
		if err := e.setup(ctx); err != nil {
			return err
		}
	}
	if !o.skip["stream"] {
		drain("bulk stream")
		r, err := e.stream()
		if err != nil {
			return fmt.Errorf("bulk stream: %w", err)
		}
		rows = append(rows, r...)
	}
	if !o.skip["connect"] {
		drain("connection setup")
		r, err := e.connect(ctx)
		if err != nil {
			return fmt.Errorf("connection setup: %w", err)
		}
		rows = append(rows, r...)
	}
	if !o.skip["dns"] {
		drain("dns")
		r, err := e.dns(ctx)
		if err != nil {
			return fmt.Errorf("dns: %w", err)
		}
		rows = append(rows, r...)
	}
	if !o.skip["eval"] {
		r, err := evaluator(o)
		if err != nil {
			return fmt.Errorf("evaluator: %w", err)
		}
		rows = append(rows, r...)
	}
	// Private Link part (issue 4): see privatelink.go.
	if o.privateLink {
		drain("private link")
		r, notes, err := privateLink(ctx, o, tmp)
		if err != nil {
			return fmt.Errorf("private link: %w", err)
		}
		rows = append(rows, r...)
		e.notes = append(e.notes, notes...)
	}
	// End of the Private Link part.
	// Site-to-site VPN part (issue 7): see vpn.go.
	if o.vpn {
		drain("site-to-site VPN")
		r, err := siteToVNet(ctx, o, tmp)
		if err != nil {
			return fmt.Errorf("site-to-site VPN: %w", err)
		}
		rows = append(rows, r...)
	}
	// End of the site-to-site VPN part.
	fmt.Fprintln(out)
	for _, h := range header {
		fmt.Fprintf(out, "- %s\n", h)
	}
	for _, n := range e.notes {
		fmt.Fprintf(out, "- %s\n", n)
	}
	fmt.Fprintf(out, "- load average after the run: %s\n", bench.LoadAvg())
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| Measurement | privlink | Reference | Ratio | Target | Met |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", r.what, r.value, r.ref, r.ratio, r.target, r.met)
	}
	return nil
}

func (e *env) setup(ctx context.Context) (err error) {
	if e.sink, err = bench.StartSink(); err != nil {
		return err
	}
	if e.echo, err = bench.StartEcho(); err != nil {
		return err
	}
	if e.relaySink, err = bench.StartRelay(e.sink.Addr()); err != nil {
		return err
	}
	if e.relayEcho, err = bench.StartRelay(e.echo.Addr()); err != nil {
		return err
	}
	if !e.o.skip["stream"] || !e.o.skip["connect"] {
		e.hap, err = bench.StartHAProxy(e.dir, e.o.peerThreads, []bench.HAProxyRoute{
			{Name: "sink", Backend: e.sink.Addr()},
			{Name: "sink-splice", Backend: e.sink.Addr(), Splice: true},
			{Name: "echo", Backend: e.echo.Addr()},
		})
		if err != nil {
			return err
		}
		e.notes = append(e.notes, fmt.Sprintf("peer: %s, nbthread %d, TCP mode (`listen` sections, see bench/fabric_ext.go)", e.hap.Version, e.o.peerThreads))
		if e.microsocks, err = bench.StartMicrosocks("bench", "bench-secret"); err != nil {
			return err
		}
		if e.dante, err = bench.StartDante(e.dir); err != nil {
			return err
		}
		e.notes = append(e.notes, fmt.Sprintf("SOCKS5 peers (the same client and negotiation as privlink, to the real loopback listener): %s with user/password authentication (thread per connection); %s without authentication (one round trip fewer; see bench/socks_peers.go)", e.microsocks.Version, e.dante.Version))
	}
	dir := filepath.Join(e.dir, "daemon")
	progress("starting in-process daemon (embedded store) in %s", dir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if e.d, err = bench.StartDaemon(ctx, dir, log); err != nil {
		return err
	}
	cs, err := e.d.Clients(ctx, 1)
	if err != nil {
		return err
	}
	defer bench.CloseClients(cs)
	t0 := time.Now()
	e.w, err = e.d.BuildWorld(ctx, cs[0], bench.WorldSpec{SinkAddr: e.sink.Addr(), EchoAddr: e.echo.Addr(), Records: e.o.dnsRecords})
	if err != nil {
		return fmt.Errorf("build the emulated network through ARM: %w", err)
	}
	progress("emulated network built through ARM in %s: vm-server %s, DNS server %s, SOCKS5 %s",
		time.Since(t0).Round(time.Millisecond), e.w.ServerIP, e.w.Env.DNSServer, e.w.Env.SOCKS5)
	return nil
}

func (e *env) close() {
	if e.hap != nil {
		e.hap.Stop()
	}
	for _, p := range []*bench.SOCKSPeer{e.microsocks, e.dante} {
		if p != nil {
			p.Stop()
		}
	}
	if e.d != nil {
		if err := e.d.Close(); err != nil {
			progress("stopping daemon: %v", err)
		}
	}
	for _, s := range []*bench.Server{e.relaySink, e.relayEcho, e.sink, e.echo} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// variant is one way of reaching a server.
type variant struct {
	name string
	dial bench.Dialer
}

// optionalPeer names the peers whose failure leaves them out of the rest
// of a part instead of ending the run: the SOCKS5 peers are context, not
// a target, and Dante binds its outgoing sockets to a port before
// connecting, so it runs out of ports when loopback holds many
// TIME_WAIT sockets (privlink's dials leave the port to connect).
func optionalPeer(name string) bool { return name == "microsocks" || name == "dante" }

// peerFailed records an optional peer's failure in the report's notes.
func (e *env) peerFailed(failed map[string]bool, what, name string, err error) {
	failed[name] = true
	progress("%s: %s failed, left out of the remaining rounds: %v", what, name, err)
	e.notes = append(e.notes, fmt.Sprintf("%s: %s failed and was left out of the remaining rounds: %v", what, name, err))
}

func (e *env) socks(dest string) (bench.Dialer, error) {
	return bench.SOCKSDialer(e.w.Env.SOCKS5, e.w.Env.Vantage, e.d.App.FabricToken(), dest)
}

// profiled runs f, with a CPU profile written to name in the profile
// directory when on is true.
func (e *env) profiled(on bool, name string, f func() error) error {
	if !on || e.o.profileDir == "" {
		return f()
	}
	if err := os.MkdirAll(e.o.profileDir, 0o755); err != nil {
		return err
	}
	fh, err := os.Create(filepath.Join(e.o.profileDir, name))
	if err != nil {
		return err
	}
	defer fh.Close()
	if err := pprof.StartCPUProfile(fh); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return f()
}

func (e *env) stream() ([]row, error) {
	viaFabric, err := e.socks(e.w.SinkDest())
	if err != nil {
		return nil, err
	}
	// microsocks is left out here: it closes both sockets when the
	// client half-closes, so the sink's byte count never comes back.
	danteSink, err := e.dante.Dialer(e.sink.Addr())
	if err != nil {
		return nil, err
	}
	vs := []variant{
		{"direct", bench.DirectDialer(e.sink.Addr())},
		{"privlink", viaFabric},
		{"haproxy", bench.DirectDialer(e.hap.Addrs["sink"])},
		{"haproxy-splice", bench.DirectDialer(e.hap.Addrs["sink-splice"])},
		{"go-relay", bench.DirectDialer(e.relaySink.Addr())},
		{"dante", danteSink},
	}
	// Warm-up: one small stream each (checks every path end to end).
	failed := map[string]bool{}
	for _, v := range vs {
		if _, err := bench.Stream(v.dial, 8<<20, make([]byte, 256<<10)); err != nil {
			if !optionalPeer(v.name) {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
			e.peerFailed(failed, "bulk warm-up", v.name, err)
		}
	}
	var rows []row
	for _, n := range e.o.streams {
		rates := map[string][]float64{}
		for r := range e.o.rounds {
			var line []string
			for _, v := range vs {
				if failed[v.name] {
					continue
				}
				var res bench.StreamResult
				err := e.profiled(v.name == "privlink" && r == e.o.rounds-1, fmt.Sprintf("stream-%d.prof", n), func() (err error) {
					res, err = bench.Streams(v.dial, n, e.o.streamBytes)
					return err
				})
				if err != nil && optionalPeer(v.name) {
					e.peerFailed(failed, fmt.Sprintf("bulk, %d streams", n), v.name, err)
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("%s, %d streams: %w", v.name, n, err)
				}
				rates[v.name] = append(rates[v.name], res.BytesPerSec())
				line = append(line, fmt.Sprintf("%s %s", v.name, mbps(res.BytesPerSec())))
			}
			progress("stream n=%d round %d: %s", n, r+1, strings.Join(line, ", "))
		}
		p := rates["privlink"]
		bestHAP := "haproxy"
		if bench.Median(rates["haproxy-splice"]) > bench.Median(rates["haproxy"]) {
			bestHAP = "haproxy-splice"
		}
		what := fmt.Sprintf("Bulk TCP, %d stream(s), %d MiB per round, vm-client → vm-server:%d (listener → sink) through SOCKS5; median of %d rounds",
			n, e.o.streamBytes>>20, e.w.SinkPort, e.o.rounds)
		toDirect := bench.Ratios(p, rates["direct"])
		toHAP := bench.Ratios(p, rates[bestHAP])
		rows = append(rows, row{
			what:   what,
			value:  fmt.Sprintf("%s (rounds %s)", mbps(bench.Median(p)), spanf(p, mbps)),
			ref:    fmt.Sprintf("direct loopback: %s (rounds %s)", mbps(bench.Median(rates["direct"])), spanf(rates["direct"], mbps)),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toDirect), spanf(toDirect, f2)),
			target: "≥ 0.8× direct",
			met:    bench.Met(bench.Median(toDirect) >= targetStreamRatio),
		}, row{
			what:   fmt.Sprintf("… same, against HAProxy (best of default / splice-auto: %s), %d stream(s)", bestHAP, n),
			ref:    fmt.Sprintf("haproxy %s (rounds %s); haproxy splice-auto %s (rounds %s)", mbps(bench.Median(rates["haproxy"])), spanf(rates["haproxy"], mbps), mbps(bench.Median(rates["haproxy-splice"])), spanf(rates["haproxy-splice"], mbps)),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toHAP), spanf(toHAP, f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(toHAP) >= 1),
		}, row{
			what:   fmt.Sprintf("… breakdown, %d stream(s): minimal Go splice relay (no SOCKS, no policy)", n),
			ref:    fmt.Sprintf("go-relay %s (rounds %s)", mbps(bench.Median(rates["go-relay"])), spanf(rates["go-relay"], mbps)),
			ratio:  fmt.Sprintf("privlink ÷ go-relay %.2f; go-relay ÷ direct %.2f", bench.Median(bench.Ratios(p, rates["go-relay"])), bench.Median(bench.Ratios(rates["go-relay"], rates["direct"]))),
			target: "–", met: "–",
		}, row{
			what:   fmt.Sprintf("… against the SOCKS5 peer dante (C, same client; microsocks cannot half-close), %d stream(s); and the best of every relay measured", n),
			ref:    fmt.Sprintf("dante %s (rounds %s)", mbps(bench.Median(rates["dante"])), spanf(rates["dante"], mbps)),
			ratio:  fmt.Sprintf("privlink ÷ dante %.2f; best relay ÷ direct %.2f", bench.Median(bench.Ratios(p, rates["dante"])), bestRelayToDirect(rates)),
			target: "–", met: "–",
		})
	}
	return rows, nil
}

func (e *env) connect(ctx context.Context) ([]row, error) {
	byIP, err := e.socks(e.w.EchoDest())
	if err != nil {
		return nil, err
	}
	byName, err := e.socks(e.w.EchoName())
	if err != nil {
		return nil, err
	}
	msEcho, err := e.microsocks.Dialer(e.echo.Addr())
	if err != nil {
		return nil, err
	}
	danteEcho, err := e.dante.Dialer(e.echo.Addr())
	if err != nil {
		return nil, err
	}
	vs := []variant{
		{"direct", bench.DirectDialer(e.echo.Addr())},
		{"privlink", byIP},
		{"privlink-name", byName},
		{"privlink-http", bench.HTTPConnectDialer(e.w.Env.HTTPProxy, e.w.Env.Vantage, e.d.App.FabricToken(), e.w.EchoDest())},
		{"haproxy", bench.DirectDialer(e.hap.Addrs["echo"])},
		{"go-relay", bench.DirectDialer(e.relayEcho.Addr())},
		{"microsocks", msEcho},
		{"dante", danteEcho},
	}
	failed := map[string]bool{}
	for _, v := range vs {
		if _, err := bench.Run(ctx, 4, 200, bench.ConnectOp(v.dial)); err != nil {
			if !optionalPeer(v.name) {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
			e.peerFailed(failed, "connection setup warm-up", v.name, err)
		}
	}
	var rows []row
	for _, c := range e.o.connectConc {
		res := map[string][]bench.Result{}
		for r := range e.o.rounds {
			var line []string
			for _, v := range vs {
				if failed[v.name] {
					continue
				}
				var x bench.Result
				err := e.profiled(v.name == "privlink" && r == e.o.rounds-1, fmt.Sprintf("connect-%d.prof", c), func() (err error) {
					x, err = bench.Run(ctx, c, e.o.connects, bench.ConnectOp(v.dial))
					return err
				})
				if err != nil && optionalPeer(v.name) {
					e.peerFailed(failed, fmt.Sprintf("connection setup, %d clients", c), v.name, err)
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("%s, %d clients: %w", v.name, c, err)
				}
				res[v.name] = append(res[v.name], x)
				line = append(line, fmt.Sprintf("%s %.0f/s p50 %s", v.name, x.PerSec(), us(x.Quantile(0.5))))
			}
			progress("connect c=%d round %d: %s", c, r+1, strings.Join(line, ", "))
		}
		m := map[string]bench.Result{}
		for k, rs := range res {
			m[k] = bench.Merge(rs...)
		}
		rate := func(k string) []float64 { return bench.Rates(res[k]) }
		p50s := func(k string) []float64 {
			var out []float64
			for _, x := range res[k] {
				out = append(out, float64(x.Quantile(0.5)))
			}
			return out
		}
		added := func(k string) time.Duration {
			var d []float64
			for i := range res[k] {
				d = append(d, p50s(k)[i]-p50s("direct")[i])
			}
			return time.Duration(bench.Median(d))
		}
		desc := func(k string) string {
			if len(res[k]) == 0 {
				return "failed (see the notes)"
			}
			return fmt.Sprintf("%.0f/s (rounds %s), p50 %s, p99 %s", bench.Median(rate(k)), spanf(rate(k), f0),
				us(m[k].Quantile(0.5)), us(m[k].Quantile(0.99)))
		}
		what := fmt.Sprintf("Connection setup (dial, 1 byte echoed, close), %d client(s), %d per round, median of %d rounds", c, e.o.connects, e.o.rounds)
		addedTarget, addedMet := "–", "–"
		if c == 1 {
			addedTarget, addedMet = "≤ 100 µs added p50", bench.Met(added("privlink") <= targetAddedP50)
		}
		rows = append(rows, row{
			what:   what + ": privlink SOCKS5 to vm-server's address",
			value:  desc("privlink") + fmt.Sprintf("; **added p50 %s**", us(added("privlink"))),
			ref:    "direct dial: " + desc("direct"),
			ratio:  fmt.Sprintf("rate %.2f of direct", bench.Median(bench.Ratios(rate("privlink"), rate("direct")))),
			target: addedTarget,
			met:    addedMet,
		}, row{
			what:   fmt.Sprintf("… same, against HAProxy (TCP mode), %d client(s)", c),
			ref:    "haproxy: " + desc("haproxy") + fmt.Sprintf("; added p50 %s", us(added("haproxy"))),
			ratio:  fmt.Sprintf("rate %.2f of HAProxy (rounds %s)", bench.Median(bench.Ratios(rate("privlink"), rate("haproxy"))), spanf(bench.Ratios(rate("privlink"), rate("haproxy")), f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(bench.Ratios(rate("privlink"), rate("haproxy"))) >= 1),
		}, row{
			what:   fmt.Sprintf("… breakdown, %d client(s): by private DNS name (resolved in vm-client's view); minimal Go relay", c),
			value:  "by name: " + desc("privlink-name") + fmt.Sprintf("; added p50 %s", us(added("privlink-name"))),
			ref:    "go-relay: " + desc("go-relay") + fmt.Sprintf("; added p50 %s", us(added("go-relay"))),
			ratio:  fmt.Sprintf("name ÷ address rate %.2f", bench.Median(bench.Ratios(rate("privlink-name"), rate("privlink")))),
			target: "–", met: "–",
		}, row{
			what:   fmt.Sprintf("… breakdown, %d client(s): privlink's HTTP CONNECT proxy (1 round trip before data; SOCKS5 with authentication takes 3)", c),
			value:  "HTTP CONNECT: " + desc("privlink-http") + fmt.Sprintf("; added p50 %s", us(added("privlink-http"))),
			ratio:  fmt.Sprintf("rate %.2f of HAProxy", bench.Median(bench.Ratios(rate("privlink-http"), rate("haproxy")))),
			target: "–", met: "–",
		}, row{
			what:   fmt.Sprintf("… against the SOCKS5 peers (C servers, same client), %d client(s): microsocks with user/password (privlink's negotiation); dante without authentication (one round trip fewer)", c),
			ref:    "microsocks: " + desc("microsocks") + "; dante: " + desc("dante") + fmt.Sprintf("; microsocks ÷ HAProxy %.2f, dante ÷ HAProxy %.2f", bench.Median(bench.Ratios(rate("microsocks"), rate("haproxy"))), bench.Median(bench.Ratios(rate("dante"), rate("haproxy")))),
			ratio:  fmt.Sprintf("privlink ÷ microsocks %.2f (rounds %s); ÷ dante %.2f (rounds %s)", bench.Median(bench.Ratios(rate("privlink"), rate("microsocks"))), spanf(bench.Ratios(rate("privlink"), rate("microsocks")), f2), bench.Median(bench.Ratios(rate("privlink"), rate("dante"))), spanf(bench.Ratios(rate("privlink"), rate("dante")), f2)),
			target: "–", met: "–",
		})
	}
	return rows, nil
}

func (e *env) dns(ctx context.Context) ([]row, error) {
	records := map[string]string{}
	for _, n := range e.w.Names {
		records[n] = e.w.ServerIP
	}
	ub, err := bench.StartUnbound(e.dir, e.o.peerThreads, e.w.Zone, 300, records)
	if err != nil {
		return nil, err
	}
	defer ub.Stop()
	e.notes = append(e.notes, fmt.Sprintf("peer: %s, num-threads %d, `local-zone: static` with the same %d A records", ub.Version, e.o.peerThreads, len(records)))
	if err := bench.WaitDNS(nil, e.w.Env.DNSServer, e.w.Names[0], e.w.ServerIP); err != nil {
		return nil, err
	}
	data := filepath.Join(e.dir, "queries.txt")
	var b strings.Builder
	for _, n := range e.w.Names {
		fmt.Fprintf(&b, "%s A\n", n)
	}
	if err := os.WriteFile(data, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	floor, err := bench.StartDNSFloor(runtime.GOMAXPROCS(0), 300, records)
	if err != nil {
		return nil, err
	}
	defer floor.Close()
	if err := bench.WaitDNS(nil, floor.Addr(), e.w.Names[0], e.w.ServerIP); err != nil {
		return nil, err
	}
	args := bench.DNSPerfArgs{Duration: e.o.dnsDuration, Clients: e.o.dnsClients, Threads: e.o.dnsThreads, Outstanding: e.o.dnsOutstanding}
	servers := []struct{ name, addr string }{{"privlink", e.w.Env.DNSServer}, {"unbound", ub.Addr}, {"go-floor", floor.Addr()}}
	qps := map[string][]float64{}
	lat := map[string][]float64{}
	lost := map[string]int64{}
	for r := range e.o.dnsRounds {
		var line []string
		for _, s := range servers {
			var res *bench.DNSPerfResult
			err := e.profiled(s.name == "privlink" && r == e.o.dnsRounds-1, "dns.prof", func() (err error) {
				res, err = bench.RunDNSPerf(ctx, s.addr, data, args)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.name, err)
			}
			qps[s.name] = append(qps[s.name], res.QPS)
			lat[s.name] = append(lat[s.name], res.AvgLatency)
			lost[s.name] += res.Lost
			line = append(line, fmt.Sprintf("%s %.0f q/s (lost %d, %s)", s.name, res.QPS, res.Lost, res.Rcodes))
		}
		progress("dns round %d: %s", r+1, strings.Join(line, ", "))
	}
	ratio := bench.Ratios(qps["privlink"], qps["unbound"])
	desc := func(k string) string {
		return fmt.Sprintf("%.0f q/s (rounds %s), avg latency %s, lost %d", bench.Median(qps[k]), spanf(qps[k], f0),
			us(time.Duration(bench.Median(lat[k])*float64(time.Second))), lost[k])
	}
	return []row{{
		what: fmt.Sprintf("DNS A queries/s, dnsperf -c %d -T %d -q %d -l %s over UDP, %d names of a private zone linked to the VNet; median of %d rounds",
			e.o.dnsClients, e.o.dnsThreads, e.o.dnsOutstanding, e.o.dnsDuration, len(e.w.Names), e.o.dnsRounds),
		value:  "VNet resolver (environment dnsServer): " + desc("privlink"),
		ref:    "unbound local zone: " + desc("unbound"),
		ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(ratio), spanf(ratio, f2)),
		target: "≥ unbound",
		met:    bench.Met(bench.Median(ratio) >= 1),
	}, {
		what:   "… breakdown: minimal Go UDP responder (pre-packed answers, one socket, GOMAXPROCS readers; no views, no policy)",
		ref:    "go-floor: " + desc("go-floor"),
		ratio:  fmt.Sprintf("privlink ÷ go-floor %.2f; go-floor ÷ unbound %.2f", bench.Median(bench.Ratios(qps["privlink"], qps["go-floor"])), bench.Median(bench.Ratios(qps["go-floor"], qps["unbound"]))),
		target: "–", met: "–",
	}}, nil
}

func evaluator(o options) ([]row, error) {
	progress("generating hub-and-spoke: %d VNets × %d NICs", o.vnets, o.perVNet)
	hs, err := bench.GenerateHubSpoke(o.vnets, o.perVNet)
	if err != nil {
		return nil, err
	}
	s, buildTime, held, err := hs.BuildMeasured()
	if err != nil {
		return nil, err
	}
	small, err := bench.GenerateHubSpoke(2, 2)
	if err != nil {
		return nil, err
	}
	ss, err := smallBuild(small)
	if err != nil {
		return nil, err
	}
	qs, sqs := hs.Queries(o.queries), small.Queries(o.queries)
	if err := bench.CheckDelivered(s, qs[:min(len(qs), 500)]); err != nil {
		return nil, err
	}
	if err := bench.CheckDelivered(ss, sqs[:min(len(sqs), 500)]); err != nil {
		return nil, err
	}
	bench.EvaluateAll(s, qs[:min(len(qs), 2000)]) // warm-up
	var big, ref []bench.Result
	for r := range o.rounds {
		b := bench.EvaluateAll(s, qs)
		x := bench.EvaluateAll(ss, sqs)
		big, ref = append(big, b), append(ref, x)
		progress("evaluate round %d: large p50 %s, small p50 %s", r+1, us(b.Quantile(0.5)), us(x.Quantile(0.5)))
	}
	bm, rm := bench.Merge(big...), bench.Merge(ref...)
	return []row{{
		what: fmt.Sprintf("Path evaluation, hub-and-spoke of %d VNets / %d NICs (spoke→hub NVA→spoke, NSG, UDR), %d random VM→VM TCP/80 queries × %d rounds",
			len(s.VNets), len(s.NICs), o.queries, o.rounds),
		value:  fmt.Sprintf("p50 %s, p99 %s, %.0f evaluations/s on one core", us(bm.Quantile(0.5)), us(bm.Quantile(0.99)), bm.PerSec()),
		ref:    fmt.Sprintf("same queries on a 2-VNet / %d-NIC hub-and-spoke: p50 %s, p99 %s", len(ss.NICs), us(rm.Quantile(0.5)), us(rm.Quantile(0.99))),
		ratio:  fmt.Sprintf("p50 %.2f× the small topology", float64(bm.Quantile(0.5))/float64(rm.Quantile(0.5))),
		target: "p50 ≤ 1 ms",
		met:    bench.Met(bm.Quantile(0.5) <= targetEvalP50),
	}, {
		what:   fmt.Sprintf("Snapshot heap of that topology (%d stored records; fabric.Build in %s)", len(hs.Records), buildTime.Round(time.Millisecond)),
		value:  fmt.Sprintf("%.1f MB", float64(held)/1e6),
		ref:    fmt.Sprintf("the records as stored (JSON): %.1f MB", float64(hs.StoredBytes)/1e6),
		ratio:  fmt.Sprintf("%.2f", float64(held)/float64(hs.StoredBytes)),
		target: "≤ 500 MB",
		met:    bench.Met(held <= targetSnapshot),
	}}, nil
}

// bestRelayToDirect is the best median throughput of any relay measured
// (HAProxy either way, the Go relay, the SOCKS5 peers, privlink) as a
// fraction of direct loopback: how far from direct any relay got.
func bestRelayToDirect(rates map[string][]float64) float64 {
	best := 0.0
	for k, r := range rates {
		if k != "direct" {
			best = max(best, bench.Median(bench.Ratios(r, rates["direct"])))
		}
	}
	return best
}

func smallBuild(hs *bench.HubSpoke) (*fabric.Snapshot, error) {
	s, _, _, err := hs.BuildMeasured()
	return s, err
}

func mbps(x float64) string { return strconv.FormatFloat(x/1e6, 'f', 0, 64) + " MB/s" }

func f0(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }

func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " µs"
}

// spanf is "min–max" of xs.
func spanf(xs []float64, f func(float64) string) string {
	if len(xs) == 0 {
		return "none"
	}
	return f(slices.Min(xs)) + "–" + f(slices.Max(xs))
}
