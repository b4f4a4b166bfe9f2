package main

// The Private Link part (issue 4), run with -privatelink: throughput and
// connection setup from a consumer VM through a private endpoint → private
// link service → Standard internal load balancer → backend VM listener →
// real sink/echo on 127.0.0.1, next to direct loopback and HAProxy in the
// same run; then 1,000 auto-approved endpoints on the one service.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/privlink/privlink/bench"
)

// plState is what the Private Link part's measurements share.
type plState struct {
	o          options
	d          *bench.Daemon
	c          *bench.Client
	w          *bench.PLWorld
	sink, echo *bench.Server
	hap        *bench.HAProxyChain
	notes      []string
}

func (p *plState) close() {
	if p.hap != nil {
		p.hap.Stop()
	}
	if p.c != nil {
		bench.CloseClients([]*bench.Client{p.c})
	}
	if p.d != nil {
		if err := p.d.Close(); err != nil {
			progress("stopping Private Link daemon: %v", err)
		}
	}
	for _, s := range []*bench.Server{p.sink, p.echo} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// privateLink runs the Private Link part with its own daemon, servers and
// HAProxy, and returns its rows and notes.
func privateLink(ctx context.Context, o options, dir string) (rows []row, notes []string, err error) {
	p := &plState{o: o}
	defer p.close()
	if p.sink, err = bench.StartSink(); err != nil {
		return nil, nil, err
	}
	if p.echo, err = bench.StartEcho(); err != nil {
		return nil, nil, err
	}
	if p.hap, err = bench.StartHAProxyChain(dir, o.peerThreads, map[string]string{"sink": p.sink.Addr(), "echo": p.echo.Addr()}); err != nil {
		return nil, nil, err
	}
	p.notes = append(p.notes, fmt.Sprintf("Private Link peer: %s (pid %d), nbthread %d; `<x>-lb`: one TCP-mode listen section, `balance roundrobin` over a one-server list with `check inter 5s`; `<x>-chain`: a listen section standing for the endpoint whose server is the `<x>-lb` frontend (bench/privatelink.go)",
		p.hap.Version, p.hap.Pid(), o.peerThreads))
	ddir := filepath.Join(dir, "pl-daemon")
	progress("privatelink: starting in-process daemon (embedded store) in %s", ddir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if p.d, err = bench.StartDaemon(ctx, ddir, log); err != nil {
		return nil, nil, err
	}
	cs, err := p.d.Clients(ctx, 1)
	if err != nil {
		return nil, nil, err
	}
	p.c = cs[0]
	t0 := time.Now()
	if p.w, err = p.d.BuildPrivateLink(ctx, p.c, bench.PLSpec{SinkAddr: p.sink.Addr(), EchoAddr: p.echo.Addr()}); err != nil {
		return nil, nil, fmt.Errorf("build the Private Link topology through ARM: %w", err)
	}
	first, err := p.w.AddEndpoint(ctx, p.d.Target, p.c, bench.EndpointName(0), o.plPoll)
	if err != nil {
		return nil, nil, fmt.Errorf("first private endpoint: %w", err)
	}
	progress("privatelink: topology and first endpoint (%s) built through ARM in %s", first.IP, time.Since(t0).Round(time.Millisecond))
	echoPE, err := p.socks(first.Dest(p.w.EchoPort))
	if err != nil {
		return nil, nil, err
	}
	if err := bench.WaitConnect(echoPE, 20*time.Second); err != nil {
		return nil, nil, fmt.Errorf("connect through %s: %w", first.Dest(p.w.EchoPort), err)
	}
	if !o.skip["pl-stream"] {
		r, err := p.stream(first)
		if err != nil {
			return nil, nil, fmt.Errorf("privatelink bulk stream: %w", err)
		}
		rows = append(rows, r...)
	}
	var oneRates []float64
	var oneDirect []float64
	if !o.skip["pl-connect"] {
		r, ones, directs, err := p.connect(ctx, first)
		if err != nil {
			return nil, nil, fmt.Errorf("privatelink connection setup: %w", err)
		}
		rows = append(rows, r...)
		oneRates, oneDirect = ones, directs
	}
	if !o.skip["pl-scale"] {
		r, err := p.scale(ctx, oneRates, oneDirect)
		if err != nil {
			return nil, nil, fmt.Errorf("privatelink %d endpoints: %w", o.plEndpoints, err)
		}
		rows = append(rows, r...)
	}
	return rows, p.notes, nil
}

func (p *plState) socks(dest string) (bench.Dialer, error) {
	return bench.SOCKSDialer(p.w.Env.SOCKS5, p.w.Env.Vantage, p.d.App.FabricToken(), dest)
}

func (p *plState) stream(pe *bench.PLEndpoint) ([]row, error) {
	viaPE, err := p.socks(pe.Dest(p.w.SinkPort))
	if err != nil {
		return nil, err
	}
	vs := []variant{
		{"direct", bench.DirectDialer(p.sink.Addr())},
		{"privlink", viaPE},
		{"haproxy-lb", bench.DirectDialer(p.hap.Addrs["sink-lb"])},
		{"haproxy-lb-splice", bench.DirectDialer(p.hap.Addrs["sink-lb-splice"])},
		{"haproxy-chain", bench.DirectDialer(p.hap.Addrs["sink-chain"])},
	}
	for _, v := range vs {
		if _, err := bench.Stream(v.dial, 8<<20, make([]byte, 256<<10)); err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
	}
	var rows []row
	for _, n := range p.o.streams {
		rates := map[string][]float64{}
		for r := range p.o.rounds {
			var line []string
			for _, v := range vs {
				res, err := bench.Streams(v.dial, n, p.o.streamBytes)
				if err != nil {
					return nil, fmt.Errorf("%s, %d streams: %w", v.name, n, err)
				}
				rates[v.name] = append(rates[v.name], res.BytesPerSec())
				line = append(line, fmt.Sprintf("%s %s", v.name, mbps(res.BytesPerSec())))
			}
			progress("privatelink stream n=%d round %d: %s", n, r+1, strings.Join(line, ", "))
		}
		pl := rates["privlink"]
		best := "haproxy-lb"
		if bench.Median(rates["haproxy-lb-splice"]) > bench.Median(rates["haproxy-lb"]) {
			best = "haproxy-lb-splice"
		}
		toDirect, toHAP, toChain := bench.Ratios(pl, rates["direct"]), bench.Ratios(pl, rates[best]), bench.Ratios(pl, rates["haproxy-chain"])
		desc := func(k string) string {
			return fmt.Sprintf("%s (rounds %s)", mbps(bench.Median(rates[k])), spanf(rates[k], mbps))
		}
		rows = append(rows, row{
			what: fmt.Sprintf("Private Link bulk TCP, %d stream(s), %d MiB per round, pl-client → private endpoint %s:%d → PLS → LB → pl-backend listener → sink, through SOCKS5; median of %d rounds",
				n, p.o.streamBytes>>20, pe.IP, p.w.SinkPort, p.o.rounds),
			value:  desc("privlink"),
			ref:    "direct loopback: " + desc("direct"),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toDirect), spanf(toDirect, f2)),
			target: "≥ 0.8× direct",
			met:    bench.Met(bench.Median(toDirect) >= targetStreamRatio),
		}, row{
			what:   fmt.Sprintf("… same, against HAProxy as the LB alone, one hop (best of default / splice-auto: %s), %d stream(s)", best, n),
			ref:    "haproxy-lb " + desc("haproxy-lb") + "; haproxy-lb splice-auto " + desc("haproxy-lb-splice"),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toHAP), spanf(toHAP, f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(toHAP) >= 1),
		}, row{
			what:   fmt.Sprintf("… same, against the HAProxy chain endpoint → LB (two hops), %d stream(s)", n),
			ref:    "haproxy-chain " + desc("haproxy-chain"),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(toChain), spanf(toChain, f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(toChain) >= 1),
		})
	}
	return rows, nil
}

// connect measures connection setup; it returns the rows and, for the
// largest client count, privlink's and direct's rates per round (the
// "one endpoint" reference of the scale part).
func (p *plState) connect(ctx context.Context, pe *bench.PLEndpoint) ([]row, []float64, []float64, error) {
	viaPE, err := p.socks(pe.Dest(p.w.EchoPort))
	if err != nil {
		return nil, nil, nil, err
	}
	vs := []variant{
		{"direct", bench.DirectDialer(p.echo.Addr())},
		{"privlink", viaPE},
		{"haproxy-lb", bench.DirectDialer(p.hap.Addrs["echo-lb"])},
		{"haproxy-chain", bench.DirectDialer(p.hap.Addrs["echo-chain"])},
	}
	for _, v := range vs {
		if _, err := bench.Run(ctx, 4, 200, bench.ConnectOp(v.dial)); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", v.name, err)
		}
	}
	var rows []row
	var ones, directs []float64
	for _, c := range p.o.connectConc {
		res := map[string][]bench.Result{}
		for r := range p.o.rounds {
			var line []string
			for _, v := range vs {
				var x bench.Result
				err := (&env{o: p.o}).profiled(v.name == "privlink" && r == p.o.rounds-1, fmt.Sprintf("pl-connect-%d.prof", c), func() (err error) {
					x, err = bench.Run(ctx, c, p.o.plConnects, bench.ConnectOp(v.dial))
					return err
				})
				if err != nil {
					return nil, nil, nil, fmt.Errorf("%s, %d clients: %w", v.name, c, err)
				}
				res[v.name] = append(res[v.name], x)
				line = append(line, fmt.Sprintf("%s %.0f/s p50 %s", v.name, x.PerSec(), us(x.Quantile(0.5))))
			}
			progress("privatelink connect c=%d round %d: %s", c, r+1, strings.Join(line, ", "))
		}
		rate := func(k string) []float64 { return bench.Rates(res[k]) }
		added := func(k string) time.Duration {
			var d []float64
			for i := range res[k] {
				d = append(d, float64(res[k][i].Quantile(0.5)-res["direct"][i].Quantile(0.5)))
			}
			return time.Duration(bench.Median(d))
		}
		desc := func(k string) string {
			m := bench.Merge(res[k]...)
			return fmt.Sprintf("%.0f/s (rounds %s), p50 %s, p99 %s", bench.Median(rate(k)), spanf(rate(k), f0), us(m.Quantile(0.5)), us(m.Quantile(0.99)))
		}
		toLB, toChain := bench.Ratios(rate("privlink"), rate("haproxy-lb")), bench.Ratios(rate("privlink"), rate("haproxy-chain"))
		rows = append(rows, row{
			what: fmt.Sprintf("Private Link connection setup (dial, 1 byte echoed, close), %d client(s), %d per round, pl-client → endpoint %s:%d → PLS → LB → echo; median of %d rounds",
				c, p.o.plConnects, pe.IP, p.w.EchoPort, p.o.rounds),
			value:  desc("privlink") + fmt.Sprintf("; added p50 %s", us(added("privlink"))),
			ref:    "direct dial: " + desc("direct"),
			ratio:  fmt.Sprintf("rate %.2f of direct", bench.Median(bench.Ratios(rate("privlink"), rate("direct")))),
			target: "–", met: "–",
		}, row{
			what:   fmt.Sprintf("… same, against HAProxy as the LB alone (one hop, health-checked server), %d client(s)", c),
			ref:    "haproxy-lb: " + desc("haproxy-lb") + fmt.Sprintf("; added p50 %s", us(added("haproxy-lb"))),
			ratio:  fmt.Sprintf("rate %.2f (rounds %s)", bench.Median(toLB), spanf(toLB, f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(toLB) >= 1),
		}, row{
			what:   fmt.Sprintf("… same, against the HAProxy chain endpoint → LB (two hops), %d client(s)", c),
			ref:    "haproxy-chain: " + desc("haproxy-chain") + fmt.Sprintf("; added p50 %s", us(added("haproxy-chain"))),
			ratio:  fmt.Sprintf("rate %.2f (rounds %s)", bench.Median(toChain), spanf(toChain, f2)),
			target: "≥ HAProxy",
			met:    bench.Met(bench.Median(toChain) >= 1),
		})
		if c == slices.Max(p.o.connectConc) {
			ones, directs = rate("privlink"), rate("direct")
		}
	}
	return rows, ones, directs, nil
}

// scale creates endpoints up to o.plEndpoints on the one service, times
// each PUT + LRO, checks the last one carries traffic and that one more is
// refused at Azure's limit, and measures connection setup through a
// random endpoint.
func (p *plState) scale(ctx context.Context, oneRates, oneDirect []float64) ([]row, error) {
	o := p.o
	t0 := time.Now()
	err := (&env{o: o}).profiled(true, "pl-create.prof", func() error {
		for i := len(p.w.Endpoints); i < o.plEndpoints; i++ {
			if _, err := p.w.AddEndpoint(ctx, p.d.Target, p.c, bench.EndpointName(i), o.plPoll); err != nil {
				return fmt.Errorf("endpoint %d: %w", i+1, err)
			}
			if (i+1)%100 == 0 {
				progress("privatelink: %d endpoints (%s)", i+1, time.Since(t0).Round(time.Millisecond))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	wall := time.Since(t0)
	eps := p.w.Endpoints
	var puts, totals []time.Duration
	for _, e := range eps {
		puts, totals = append(puts, e.Put), append(totals, e.Total)
	}
	q := func(ds []time.Duration, x float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(len(s)-1, int(x*float64(len(s))))]
	}
	tenth := max(1, len(totals)/10)
	firstTenth, lastTenth := totals[:tenth], totals[len(totals)-tenth:]

	last := eps[len(eps)-1]
	lastDial, err := p.socks(last.Dest(p.w.EchoPort))
	if err != nil {
		return nil, err
	}
	if err := bench.WaitConnect(lastDial, 10*time.Second); err != nil {
		return nil, fmt.Errorf("connect through endpoint %d (%s): %w", len(eps), last.IP, err)
	}
	lastOK := fmt.Sprintf("a connection through endpoint %d (%s) echoed its byte", len(eps), last.Dest(p.w.EchoPort))
	limit, limitWhat := "–", ""
	if len(eps) == 1000 {
		limitWhat = "; one more is refused at Azure's limit"
		err := p.w.TryEndpoint(ctx, p.d.Target, p.c, bench.EndpointName(len(eps)))
		switch {
		case bench.IsARMCode(err, "PrivateLinkServiceConnectionLimitReached"):
			limit = "endpoint 1,001 refused: " + err.Error()
		case err == nil:
			return nil, fmt.Errorf("endpoint 1,001 on one private link service was accepted; Azure's limit is 1,000")
		default:
			return nil, fmt.Errorf("endpoint 1,001: %w, want PrivateLinkServiceConnectionLimitReached", err)
		}
	}
	rows := []row{{
		what: fmt.Sprintf("Create %d auto-approved private endpoints on one private link service through ARM, one after another (PUT, then Azure-AsyncOperation polled every %s, one HTTP/2 client)", len(eps), o.plPoll),
		value: fmt.Sprintf("PUT+LRO p50 %s, p99 %s, max %s; PUT alone p50 %s; wall %s for endpoints 2–%d (%.1f endpoints/s, including a GET of each endpoint and its NIC)",
			ms(q(totals, 0.5)), ms(q(totals, 0.99)), ms(slices.Max(totals)), ms(q(puts, 0.5)), wall.Round(time.Millisecond), len(eps), float64(len(eps)-1)/wall.Seconds()),
		ref:    fmt.Sprintf("first %d endpoints p50 %s; last %d p50 %s", tenth, ms(q(firstTenth, 0.5)), tenth, ms(q(lastTenth, 0.5))),
		ratio:  fmt.Sprintf("last ÷ first tenth p50 %.2f", float64(q(lastTenth, 0.5))/float64(q(firstTenth, 0.5))),
		target: "1,000 endpoints on one service",
		met:    bench.Met(len(eps) >= 1000),
	}, {
		what:  fmt.Sprintf("… endpoint %d carries traffic%s", len(eps), limitWhat),
		value: lastOK,
		ref:   limit,
		ratio: "–", target: "–", met: "–",
	}}
	if o.skip["pl-connect"] || len(oneRates) == 0 {
		return rows, nil
	}

	dialers := make([]bench.Dialer, len(eps))
	for i, e := range eps {
		if dialers[i], err = p.socks(e.Dest(p.w.EchoPort)); err != nil {
			return nil, err
		}
	}
	random := func() (net.Conn, error) { return dialers[rand.IntN(len(dialers))]() }
	vs := []variant{
		{"direct", bench.DirectDialer(p.echo.Addr())},
		{"privlink-random", random},
		{"privlink-first", dialers[0]},
	}
	c := slices.Max(o.connectConc)
	if _, err := bench.Run(ctx, 4, 200, bench.ConnectOp(random)); err != nil {
		return nil, fmt.Errorf("random endpoint: %w", err)
	}
	res := map[string][]bench.Result{}
	for r := range o.rounds {
		var line []string
		for _, v := range vs {
			var x bench.Result
			err := (&env{o: o}).profiled(v.name == "privlink-random" && r == o.rounds-1, "pl-connect-many.prof", func() (err error) {
				x, err = bench.Run(ctx, c, o.plConnects, bench.ConnectOp(v.dial))
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("%s, %d clients: %w", v.name, c, err)
			}
			res[v.name] = append(res[v.name], x)
			line = append(line, fmt.Sprintf("%s %.0f/s p50 %s", v.name, x.PerSec(), us(x.Quantile(0.5))))
		}
		progress("privatelink connect, %d endpoints, c=%d round %d: %s", len(eps), c, r+1, strings.Join(line, ", "))
	}
	many, direct, firstOnly := bench.Rates(res["privlink-random"]), bench.Rates(res["direct"]), bench.Rates(res["privlink-first"])
	m := bench.Merge(res["privlink-random"]...)
	manyNorm, oneNorm := bench.Median(bench.Ratios(many, direct)), bench.Median(bench.Ratios(oneRates, oneDirect))
	rows = append(rows, row{
		what: fmt.Sprintf("Connection setup through a random endpoint with %d endpoints on the service vs with 1 (the %d-client rows above), %d clients, %d per round, median of %d rounds",
			len(eps), c, c, o.plConnects, o.rounds),
		value: fmt.Sprintf("%d endpoints: %.0f/s (rounds %s), p50 %s, p99 %s; %.2f of direct in the same rounds (direct %.0f/s)",
			len(eps), bench.Median(many), spanf(many, f0), us(m.Quantile(0.5)), us(m.Quantile(0.99)), manyNorm, bench.Median(direct)),
		ref: fmt.Sprintf("1 endpoint: %.0f/s (rounds %s); %.2f of direct in its rounds (direct %.0f/s)",
			bench.Median(oneRates), spanf(oneRates, f0), oneNorm, bench.Median(oneDirect)),
		ratio:  fmt.Sprintf("%d ÷ 1: %.2f raw, %.2f normalised to direct", len(eps), bench.Median(many)/bench.Median(oneRates), manyNorm/oneNorm),
		target: "–", met: "–",
	}, row{
		what: fmt.Sprintf("… breakdown: with %d endpoints present, always the first endpoint (same rounds as the random one)", len(eps)),
		value: fmt.Sprintf("first endpoint: %.0f/s (rounds %s), p50 %s",
			bench.Median(firstOnly), spanf(firstOnly, f0), us(bench.Merge(res["privlink-first"]...).Quantile(0.5))),
		ratio:  fmt.Sprintf("random ÷ first %.2f (rounds %s)", bench.Median(bench.Ratios(many, firstOnly)), spanf(bench.Ratios(many, firstOnly), f2)),
		target: "–", met: "–",
	})
	return rows, nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
