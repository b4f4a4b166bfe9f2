package bench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one load run: how many operations completed,
// the wall-clock time they took and each operation's latency.
type Result struct {
	Ops     int
	Elapsed time.Duration
	// Latencies are sorted ascending.
	Latencies []time.Duration
}

// PerSec is the throughput in operations per second.
func (r Result) PerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Quantile returns the latency at quantile q (0 < q <= 1) by the
// nearest-rank method, or 0 without samples.
func (r Result) Quantile(q float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	return r.Latencies[rank-1]
}

// Merge combines results of runs done one after another: operations and
// elapsed times add up, latencies are pooled.
func Merge(rs ...Result) Result {
	var out Result
	for _, r := range rs {
		out.Ops += r.Ops
		out.Elapsed += r.Elapsed
		out.Latencies = append(out.Latencies, r.Latencies...)
	}
	slices.Sort(out.Latencies)
	return out
}

// Ratio is a / b, or NaN when b is zero.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// Op is one operation of a load run: worker is the goroutine's index
// (0..workers-1), i the operation's index (0..n-1, each used once).
type Op func(ctx context.Context, worker, i int) error

// Run performs n operations with the given number of concurrent workers,
// each taking the next operation index as soon as it finished its
// previous one. The clock starts when every worker is ready and stops
// when the last operation returns. The first error stops the run.
func Run(ctx context.Context, workers, n int, op Op) (Result, error) {
	if workers < 1 {
		return Result{}, fmt.Errorf("bench: %d workers", workers)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lat := make([]time.Duration, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("operation %d (worker %d): %w", i, w, err)
						cancel()
					})
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return Result{}, firstErr
	}
	slices.Sort(lat)
	return Result{Ops: n, Elapsed: elapsed, Latencies: lat}, nil
}

// Rates returns each result's throughput.
func Rates(rs []Result) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.PerSec()
	}
	return out
}

// Ratios returns a[i] / b[i] for the common length of a and b.
func Ratios(a, b []float64) []float64 {
	out := make([]float64, min(len(a), len(b)))
	for i := range out {
		out[i] = Ratio(a[i], b[i])
	}
	return out
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), or NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
