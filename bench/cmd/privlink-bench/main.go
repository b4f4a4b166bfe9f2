// Command privlink-bench measures privlink's performance targets next to
// references run in the same invocation, and prints a markdown report for
// bench/RESULTS.md:
//
//   - ARM resource writes/s (PUT of a user-assigned identity, a synchronous
//     type: one store transaction per PUT) through an in-process daemon
//     over the embedded store, with 16 and 64 concurrent HTTP/2 clients,
//     next to store.Create of a value of the same size on the same store
//     with the same concurrency (rounds alternate between the two);
//   - idle RSS of a real `privlink serve` child process (built from this
//     tree) next to a minimal Go HTTPS server (bench/cmd/tlsref) built the
//     same way, and the embedded etcd alone (bench/cmd/etcdref) as a
//     breakdown;
//   - time from exec to the ready line of `privlink serve`, cold (fresh
//     data directory) and warm (existing one), next to the same for the
//     references.
//
// Run it from the module root:
//
//	go run ./bench/cmd/privlink-bench
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/privlink/privlink/bench"
	"github.com/privlink/privlink/internal/pki"
)

// Targets of issue 2.
const (
	targetWrites = 2000.0          // ARM writes/s with the embedded store
	targetRSS    = 150_000_000     // bytes (150 MB)
	targetReady  = 1 * time.Second // exec to ready line
)

type options struct {
	ops          int
	rounds       int
	concurrency  []int
	starts       int
	idle         time.Duration
	privlinkBin  string
	skipWrites   bool
	skipProcs    bool
	readyTimeout time.Duration
	loaded       int
}

func main() {
	var o options
	conc := flag.String("concurrency", "16,64", "comma-separated numbers of concurrent ARM clients for the write test")
	flag.IntVar(&o.ops, "ops", 2500, "ARM writes (and store writes) per round and concurrency")
	flag.IntVar(&o.rounds, "rounds", 5, "alternating ARM/store rounds per concurrency")
	flag.IntVar(&o.starts, "starts", 5, "timed starts per process and kind (cold, warm)")
	flag.DurationVar(&o.idle, "idle", 2*time.Second, "idle time after ready before reading RSS")
	flag.StringVar(&o.privlinkBin, "privlink", "", "use this privlink binary instead of building ./cmd/privlink")
	flag.BoolVar(&o.skipWrites, "skip-writes", false, "skip the ARM write throughput test")
	flag.BoolVar(&o.skipProcs, "skip-procs", false, "skip the RSS and time-to-ready tests")
	flag.IntVar(&o.loaded, "loaded", 10000, "identities written to a `privlink serve` child before its loaded idle RSS is read (0: skip)")
	flag.DurationVar(&o.readyTimeout, "ready-timeout", 30*time.Second, "how long to wait for a child's ready line")
	flag.Parse()
	for _, f := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "privlink-bench: bad -concurrency %q\n", *conc)
			os.Exit(2)
		}
		o.concurrency = append(o.concurrency, n)
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "privlink-bench: %v\n", err)
		os.Exit(1)
	}
}

// row is one line of the report table.
type row struct {
	what, value, ref, ratio, target, met string
}

func run(ctx context.Context, o options, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "privlink-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	header := bench.Machine("privlink-bench")
	var rows []row
	if !o.skipWrites {
		r, err := writes(ctx, o, filepath.Join(tmp, "inproc"))
		if err != nil {
			return fmt.Errorf("write throughput: %w", err)
		}
		rows = append(rows, r...)
	}
	if !o.skipProcs {
		r, err := processes(o, tmp)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	fmt.Fprintln(out)
	for _, h := range header {
		fmt.Fprintf(out, "- %s\n", h)
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

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "privlink-bench: "+format+"\n", args...)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

// writes measures ARM PUT throughput against direct store creates on one
// in-process daemon.
func writes(ctx context.Context, o options, dir string) ([]row, error) {
	progress("starting in-process daemon (embedded store) in %s", dir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := bench.StartDaemon(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := d.Close(); err != nil {
			progress("stopping daemon: %v", err)
		}
	}()
	maxc := 0
	for _, c := range o.concurrency {
		maxc = max(maxc, c)
	}
	clients, err := d.Clients(ctx, maxc)
	if err != nil {
		return nil, err
	}
	defer bench.CloseClients(clients)
	// Warm-up, and the value the store reference writes: a stored identity
	// record, byte for byte.
	warm := bench.Names(500)
	if _, err := bench.Run(ctx, 16, len(warm), bench.PutIdentities(clients, warm)); err != nil {
		return nil, err
	}
	value, err := d.RecordValue(ctx, warm[0])
	if err != nil {
		return nil, err
	}
	if _, err := bench.Run(ctx, 16, 500, d.StoreCreates(bench.StoreKeys(500), value)); err != nil {
		return nil, err
	}
	var rows []row
	for _, c := range o.concurrency {
		var apis, refs, txs []bench.Result
		for r := range o.rounds {
			api, err := bench.Run(ctx, c, o.ops, bench.PutIdentities(clients, bench.Names(o.ops)))
			if err != nil {
				return nil, err
			}
			ref, err := bench.Run(ctx, c, o.ops, d.StoreCreates(bench.StoreKeys(o.ops), value))
			if err != nil {
				return nil, err
			}
			tx, err := bench.Run(ctx, c, o.ops, d.StoreTxns(bench.StoreKeys(o.ops), value))
			if err != nil {
				return nil, err
			}
			progress("c=%d round %d: ARM %.0f writes/s, store %.0f creates/s, store txn %.0f/s", c, r+1, api.PerSec(), ref.PerSec(), tx.PerSec())
			apis, refs, txs = append(apis, api), append(refs, ref), append(txs, tx)
		}
		api, ref, tx := bench.Merge(apis...), bench.Merge(refs...), bench.Merge(txs...)
		ar, rr, tr := bench.Rates(apis), bench.Rates(refs), bench.Rates(txs)
		rows = append(rows, row{
			what: fmt.Sprintf("ARM PUT writes/s, %d HTTP/2 clients (userAssignedIdentities; median of %d rounds of %d)", c, o.rounds, o.ops),
			value: fmt.Sprintf("%.0f/s (rounds %s; p50 %s, p99 %s)", bench.Median(ar), spanf(ar, "%.0f"),
				ms(api.Quantile(0.5)), ms(api.Quantile(0.99))),
			ref: fmt.Sprintf("store.Create %d B: %.0f/s (rounds %s; p50 %s, p99 %s)", len(value), bench.Median(rr), spanf(rr, "%.0f"),
				ms(ref.Quantile(0.5)), ms(ref.Quantile(0.99))),
			ratio:  fmt.Sprintf("%.2f (rounds %s)", bench.Median(bench.Ratios(ar, rr)), spanf(bench.Ratios(ar, rr), "%.2f")),
			target: "≥ 2,000/s",
			met:    bench.Met(bench.Median(ar) >= targetWrites),
		}, row{
			what: fmt.Sprintf("… breakdown, %d clients: the PUT's store transaction alone (read key + group, guarded create)", c),
			ref: fmt.Sprintf("store.Run: %.0f/s (rounds %s; p50 %s, p99 %s)", bench.Median(tr), spanf(tr, "%.0f"),
				ms(tx.Quantile(0.5)), ms(tx.Quantile(0.99))),
			ratio: fmt.Sprintf("ARM ÷ txn %.2f; txn ÷ Create %.2f",
				bench.Median(bench.Ratios(ar, tr)), bench.Median(bench.Ratios(tr, rr))),
			target: "–",
			met:    "–",
		})
	}
	return rows, nil
}

// binaries are the programs the process measurements start.
type binaries struct{ privlink, tlsref, etcdref string }

func build(o options, dir string) (binaries, error) {
	b := binaries{
		privlink: filepath.Join(dir, "privlink"),
		tlsref:   filepath.Join(dir, "tlsref"),
		etcdref:  filepath.Join(dir, "etcdref"),
	}
	pkgs := []struct{ out, pkg string }{
		{b.tlsref, "github.com/privlink/privlink/bench/cmd/tlsref"},
		{b.etcdref, "github.com/privlink/privlink/bench/cmd/etcdref"},
	}
	if o.privlinkBin != "" {
		b.privlink = o.privlinkBin
	} else {
		pkgs = append(pkgs, struct{ out, pkg string }{b.privlink, "github.com/privlink/privlink/cmd/privlink"})
	}
	for _, p := range pkgs {
		progress("go build -o %s %s", p.out, p.pkg)
		cmd := exec.Command("go", "build", "-o", p.out, p.pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return b, fmt.Errorf("go build %s: %w", p.pkg, err)
		}
	}
	return b, nil
}

// proc describes how to start one measured program.
type proc struct {
	name   string
	bin    string
	args   func(dataDir string) []string
	marker string
	// stateful programs have a data directory: cold starts get a fresh
	// one, warm starts reuse one.
	stateful bool
}

func (p proc) start(o options, dataDir string) (*child, error) {
	return startChild(p.name, p.bin, p.args(dataDir), p.marker, o.readyTimeout)
}

// startStop starts p, then stops it, and returns its time to ready.
func (p proc) startStop(o options, dataDir string) (time.Duration, string, error) {
	c, err := p.start(o, dataDir)
	if err != nil {
		return 0, "", err
	}
	if err := c.stop(20 * time.Second); err != nil {
		return 0, "", err
	}
	return c.ready, c.line, nil
}

type readiness struct {
	cold, warm []time.Duration
	// privlink's own "started in" figures (app.Start only, without exec and
	// runtime initialisation)
	innerCold, innerWarm []time.Duration
}

func avg(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	var s time.Duration
	for _, d := range ds {
		s += d
	}
	return s / time.Duration(len(ds))
}

func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return ""
	}
	lo, hi := ds[0], ds[0]
	for _, d := range ds {
		lo, hi = min(lo, d), max(hi, d)
	}
	return ms(lo) + "–" + ms(hi)
}

// startedIn parses the "started in 123ms" of privlink's ready line.
func startedIn(line string) (time.Duration, bool) {
	_, rest, ok := strings.Cut(line, "started in ")
	if !ok {
		return 0, false
	}
	rest, _, _ = strings.Cut(rest, ")")
	d, err := time.ParseDuration(rest)
	return d, err == nil
}

func processes(o options, tmp string) ([]row, error) {
	bins, err := build(o, filepath.Join(tmp, "bin"))
	if err != nil {
		return nil, err
	}
	procs := []proc{
		{name: "privlink serve", bin: bins.privlink, marker: "privlink is ready at ", stateful: true,
			args: func(dir string) []string {
				return []string{"serve", "--listen", "127.0.0.1:0", "--socks-listen", "127.0.0.1:0", "--http-proxy-listen", "127.0.0.1:0", "--data-dir", dir, "--store", "embedded", "--log-level", "warn"}
			}},
		{name: "tlsref", bin: bins.tlsref, marker: "tlsref is ready at ",
			args: func(string) []string { return []string{"-listen", "127.0.0.1:0"} }},
		{name: "etcdref", bin: bins.etcdref, marker: "etcdref is ready", stateful: true,
			args: func(dir string) []string { return []string{"-data-dir", dir} }},
	}
	// One untimed start of each program first: it pages the fresh
	// binaries in and creates the data directories the warm starts reuse.
	warmDirs := map[string]string{}
	for i, p := range procs {
		dir := filepath.Join(tmp, fmt.Sprintf("warm-%d", i))
		warmDirs[p.name] = dir
		progress("priming %s", p.name)
		if _, _, err := p.startStop(o, dir); err != nil {
			return nil, err
		}
	}
	// Timed starts, interleaved so that background load on the machine
	// affects every program alike.
	res := map[string]*readiness{}
	for _, p := range procs {
		res[p.name] = &readiness{}
	}
	for i := range o.starts {
		for j, p := range procs {
			r := res[p.name]
			if p.stateful {
				d, line, err := p.startStop(o, filepath.Join(tmp, fmt.Sprintf("cold-%d-%d", j, i)))
				if err != nil {
					return nil, err
				}
				r.cold = append(r.cold, d)
				if in, ok := startedIn(line); ok {
					r.innerCold = append(r.innerCold, in)
				}
			}
			d, line, err := p.startStop(o, warmDirs[p.name])
			if err != nil {
				return nil, err
			}
			r.warm = append(r.warm, d)
			if in, ok := startedIn(line); ok {
				r.innerWarm = append(r.innerWarm, in)
			}
		}
		progress("start %d/%d: privlink cold %s warm %s, tlsref %s, etcdref cold %s warm %s", i+1, o.starts,
			ms(res["privlink serve"].cold[i]), ms(res["privlink serve"].warm[i]), ms(res["tlsref"].warm[i]),
			ms(res["etcdref"].cold[i]), ms(res["etcdref"].warm[i]))
	}
	// Idle RSS: start (warm), wait, read /proc/<pid>/status.
	mem := map[string]memory{}
	for _, p := range procs {
		c, err := p.start(o, warmDirs[p.name])
		if err != nil {
			return nil, err
		}
		time.Sleep(o.idle)
		m, merr := readMemory(c.cmd.Process.Pid)
		serr := c.stop(20 * time.Second)
		if err := errors.Join(merr, serr); err != nil {
			return nil, err
		}
		progress("%s idle RSS %d KiB (anon %d, file %d, shmem %d)", p.name, m.RSS, m.Anon, m.File, m.Shmem)
		mem[p.name] = m
	}

	var loaded *loadedRun
	if o.loaded > 0 {
		if loaded, err = loadChild(o, procs[0], warmDirs[procs[0].name]); err != nil {
			return nil, err
		}
	}

	mb := func(kib int64) string { return fmt.Sprintf("%.1f MB", float64(kib)*1024/1e6) }
	pl, tl, el := mem["privlink serve"], mem["tlsref"], mem["etcdref"]
	detail := func(m memory) string {
		return fmt.Sprintf("%s (anon %s, file %s)", mb(m.RSS), mb(m.Anon), mb(m.File))
	}
	rp, rt, re := res["privlink serve"], res["tlsref"], res["etcdref"]
	var rows []row
	rows = append(rows,
		row{
			what:   fmt.Sprintf("Idle RSS (VmRSS %s after ready), `privlink serve --store embedded`", o.idle),
			value:  detail(pl),
			ref:    "tlsref: " + detail(tl),
			ratio:  fmt.Sprintf("%.1f", bench.Ratio(float64(pl.RSS), float64(tl.RSS))),
			target: "≤ 150 MB",
			met:    bench.Met(pl.RSS*1024 <= targetRSS),
		},
		row{
			what:   "… breakdown: embedded etcd alone (etcdref), idle",
			value:  "",
			ref:    "etcdref: " + detail(el),
			ratio:  fmt.Sprintf("%.2f of privlink", bench.Ratio(float64(el.RSS), float64(pl.RSS))),
			target: "–",
			met:    "–",
		},
	)
	if loaded != nil {
		rows = append(rows, row{
			what: fmt.Sprintf("… idle RSS of `privlink serve` after %d ARM PUTs from 16 clients in another process (%.0f writes/s, p99 %s)",
				loaded.writes.Ops, loaded.writes.PerSec(), ms(loaded.writes.Quantile(0.99))),
			value:  detail(loaded.mem),
			ref:    "tlsref: " + detail(tl),
			ratio:  fmt.Sprintf("%.1f", bench.Ratio(float64(loaded.mem.RSS), float64(tl.RSS))),
			target: "–",
			met:    "–",
		})
	}
	rows = append(rows,
		row{
			what:   fmt.Sprintf("Time to ready, cold (fresh data dir: CA, keys, etcd), exec → ready line, avg of %d", len(rp.cold)),
			value:  fmt.Sprintf("%s (%s; in-process Start %s)", ms(avg(rp.cold)), spread(rp.cold), ms(avg(rp.innerCold))),
			ref:    fmt.Sprintf("tlsref: %s (%s)", ms(avg(rt.warm)), spread(rt.warm)),
			ratio:  fmt.Sprintf("%.1f", bench.Ratio(float64(avg(rp.cold)), float64(avg(rt.warm)))),
			target: "≤ 1 s",
			met:    bench.Met(avg(rp.cold) <= targetReady),
		},
		row{
			what:   fmt.Sprintf("Time to ready, warm (existing data dir), exec → ready line, avg of %d", len(rp.warm)),
			value:  fmt.Sprintf("%s (%s; in-process Start %s)", ms(avg(rp.warm)), spread(rp.warm), ms(avg(rp.innerWarm))),
			ref:    fmt.Sprintf("tlsref: %s (%s)", ms(avg(rt.warm)), spread(rt.warm)),
			ratio:  fmt.Sprintf("%.1f", bench.Ratio(float64(avg(rp.warm)), float64(avg(rt.warm)))),
			target: "≤ 1 s",
			met:    bench.Met(avg(rp.warm) <= targetReady),
		},
		row{
			what:   "… breakdown: embedded etcd alone (etcdref), cold / warm",
			value:  "",
			ref:    fmt.Sprintf("etcdref: cold %s (%s), warm %s (%s)", ms(avg(re.cold)), spread(re.cold), ms(avg(re.warm)), spread(re.warm)),
			ratio:  fmt.Sprintf("%.2f / %.2f of privlink", bench.Ratio(float64(avg(re.cold)), float64(avg(rp.cold))), bench.Ratio(float64(avg(re.warm)), float64(avg(rp.warm)))),
			target: "–",
			met:    "–",
		},
	)
	return rows, nil
}

// loadedRun is the result of loadChild.
type loadedRun struct {
	writes bench.Result
	mem    memory
}

// loadChild starts privlink serve on dir, writes o.loaded identities
// through ARM from this process with 16 clients, waits o.idle and reads
// the child's RSS.
func loadChild(o options, p proc, dir string) (*loadedRun, error) {
	c, err := p.start(o, dir)
	if err != nil {
		return nil, err
	}
	lr, err := func() (*loadedRun, error) {
		endpoint, sub, tenant, err := parseReady(c.line)
		if err != nil {
			return nil, err
		}
		ctx := context.Background()
		t, err := bench.Connect(ctx, endpoint, filepath.Join(dir, pki.CACertFile), tenant, sub)
		if err != nil {
			return nil, err
		}
		clients, err := t.Clients(ctx, 16)
		if err != nil {
			return nil, err
		}
		res, err := bench.Run(ctx, len(clients), o.loaded, bench.PutIdentities(clients, bench.Names(o.loaded)))
		bench.CloseClients(clients)
		if err != nil {
			return nil, err
		}
		progress("wrote %d identities to privlink serve: %.0f writes/s", res.Ops, res.PerSec())
		time.Sleep(o.idle)
		m, err := readMemory(c.cmd.Process.Pid)
		if err != nil {
			return nil, err
		}
		progress("privlink serve loaded idle RSS %d KiB (anon %d, file %d, shmem %d)", m.RSS, m.Anon, m.File, m.Shmem)
		return &loadedRun{writes: res, mem: m}, nil
	}()
	if serr := c.stop(20 * time.Second); serr != nil && err == nil {
		err = serr
	}
	return lr, err
}

// parseReady reads endpoint, subscription and tenant from privlink's ready
// line: "privlink is ready at <endpoint> (subscription <s>, tenant <t>; ...)".
func parseReady(line string) (endpoint, sub, tenant string, err error) {
	_, rest, ok := strings.Cut(line, "privlink is ready at ")
	if ok {
		endpoint, rest, ok = strings.Cut(rest, " (subscription ")
	}
	if ok {
		sub, rest, ok = strings.Cut(rest, ", tenant ")
	}
	if ok {
		tenant, _, ok = strings.Cut(rest, ";")
	}
	if !ok || endpoint == "" || sub == "" || tenant == "" {
		return "", "", "", fmt.Errorf("unexpected ready line %q", line)
	}
	return endpoint, sub, tenant, nil
}

// spanf formats the lowest and highest of xs as "lo–hi".
func spanf(xs []float64, format string) string {
	if len(xs) == 0 {
		return "none"
	}
	return fmt.Sprintf(format+"–"+format, slices.Min(xs), slices.Max(xs))
}
