package etcd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/store"
)

// rss is the resident set of this process, split like /proc/self/status
// does: anonymous memory (heap, stacks) and file-backed pages (the binary,
// bbolt's database mmap; clean and reclaimable).
type rss struct{ Anon, File int64 } // KiB

func (r rss) total() int64 { return r.Anon + r.File }

func readRSS() (rss, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return rss{}, err
	}
	defer f.Close()
	var r rss
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "RssAnon":
			dst = &r.Anon
		case "RssFile":
			dst = &r.File
		default:
			continue
		}
		if *dst, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err != nil {
			return rss{}, fmt.Errorf("/proc/self/status %s: %w", k, err)
		}
	}
	return r, sc.Err()
}

// cpuTime returns the user+system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// footprint is what childFootprint measures.
type footprint struct {
	Fresh, Restart time.Duration // StartEmbedded until ready
	Base           rss           // before etcd
	Idle           rss           // after a fresh start and 2 s idle
	Loaded         rss           // after 1000 writes, restart and 2 s idle
	IdleCPU        time.Duration // CPU used during 2 s idle
}

// childFootprint measures, in a fresh process, how long the embedded
// server takes to start (new and existing data directory), the RSS it adds
// and its idle CPU use, then prints one "FOOTPRINT" line.
func childFootprint() error {
	ctx := context.Background()
	dir := os.Getenv(childDirEnv)
	var fp footprint
	var err error
	runtime.GC()
	if fp.Base, err = readRSS(); err != nil {
		return err
	}
	start := func() (*Embedded, time.Duration, error) {
		t0 := time.Now()
		em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, childLogger())
		if err != nil {
			return nil, 0, err
		}
		if err := em.WaitReady(ctx); err != nil {
			return nil, 0, err
		}
		return em, time.Since(t0), nil
	}
	idle := func() (rss, time.Duration, error) {
		c0 := cpuTime()
		time.Sleep(2 * time.Second)
		c := cpuTime() - c0
		runtime.GC()
		r, err := readRSS()
		return r, c, err
	}
	em, d, err := start()
	if err != nil {
		return err
	}
	fp.Fresh = d
	if fp.Idle, fp.IdleCPU, err = idle(); err != nil {
		return err
	}
	s := New(em.Client(), "/fp/")
	for i := range 1000 {
		if _, err := s.Create(ctx, fmt.Sprintf("k%04d", i), make([]byte, 256)); err != nil {
			return err
		}
	}
	if err := em.Stop(ctx); err != nil {
		return err
	}
	if em, d, err = start(); err != nil {
		return err
	}
	fp.Restart = d
	if fp.Loaded, _, err = idle(); err != nil {
		return err
	}
	out, err := json.Marshal(fp)
	if err != nil {
		return err
	}
	fmt.Printf("FOOTPRINT %s\n", out)
	return em.Stop(ctx)
}

// TestEmbeddedFootprint checks start-up time, memory and idle CPU of the
// embedded server in a separate process (so the test binary's own state
// does not count). Run without -race for representative numbers.
func TestEmbeddedFootprint(t *testing.T) {
	c := startChild(t, "footprint", childDirEnv+"="+filepath.Join(t.TempDir(), "etcd"))
	line := c.expect(t, "FOOTPRINT ", 2*time.Minute)
	var fp footprint
	if err := json.Unmarshal([]byte(line), &fp); err != nil {
		t.Fatalf("bad footprint line %q: %v", line, err)
	}
	mib := func(k int64) float64 { return float64(k) / 1024 }
	t.Logf("embedded etcd start-up: %s (new dir), %s (restart after 1000 writes)", fp.Fresh, fp.Restart)
	for _, r := range []struct {
		what string
		rss  rss
	}{{"before etcd", fp.Base}, {"idle after start", fp.Idle}, {"after 1000 writes + restart", fp.Loaded}} {
		t.Logf("RSS %-28s %5.1f MiB (anon %5.1f MiB, file-backed %5.1f MiB)", r.what, mib(r.rss.total()), mib(r.rss.Anon), mib(r.rss.File))
	}
	t.Logf("idle CPU: %s in 2s (%.2f%% of a core)", fp.IdleCPU, 100*fp.IdleCPU.Seconds()/2)
	limit := time.Second
	if raceEnabled {
		limit = 3 * time.Second // the race detector slows everything down
	}
	if fp.Fresh > limit || fp.Restart > limit {
		t.Fatalf("start-up too slow: %s / %s (limit %s)", fp.Fresh, fp.Restart, limit)
	}
	if added := fp.Idle.Anon - fp.Base.Anon; !raceEnabled && added > 32<<10 {
		t.Fatalf("etcd adds %.1f MiB anonymous RSS at idle, want < 32 MiB", mib(added))
	}
}

// BenchmarkEmbeddedStart measures start-up of a new embedded server
// until it is ready.
func BenchmarkEmbeddedStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		dir := filepath.Join(b.TempDir(), "etcd")
		em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(b))
		if err != nil {
			b.Fatal(err)
		}
		if err := em.WaitReady(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := em.Stop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func benchStore(b *testing.B) store.Store {
	b.Helper()
	em := startEmbedded(b, filepath.Join(b.TempDir(), "etcd"))
	return New(em.Client(), "/bench/")
}

// BenchmarkEmbeddedCreate: sequential durable creates.
func BenchmarkEmbeddedCreate(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	value := make([]byte, 256)
	i := 0
	for b.Loop() {
		if _, err := s.Create(ctx, fmt.Sprintf("k/%09d", i), value); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}

// BenchmarkEmbeddedCreate16: 16 goroutines creating distinct keys.
func BenchmarkEmbeddedCreate16(b *testing.B) {
	const workers = 16
	s := benchStore(b)
	ctx := context.Background()
	value := make([]byte, 256)
	b.ResetTimer()
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < b.N; i += workers {
				if _, err := s.Create(ctx, fmt.Sprintf("k/%09d", i), value); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errc)
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
}
