package bench

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	r := Result{Latencies: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 5 * time.Millisecond},
		{0.99, 10 * time.Millisecond},
		{0.1, 1 * time.Millisecond},
		{0.11, 2 * time.Millisecond},
		{1, 10 * time.Millisecond},
		{0, 1 * time.Millisecond},
	} {
		if got := r.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := (Result{}).Quantile(0.5); got != 0 {
		t.Errorf("Quantile of no samples = %v, want 0", got)
	}
	m := Merge(Result{Ops: 2, Elapsed: time.Second, Latencies: ms(5, 9)}, Result{Ops: 2, Elapsed: time.Second, Latencies: ms(1, 7)})
	if m.Ops != 4 || m.Elapsed != 2*time.Second || m.PerSec() != 2 {
		t.Errorf("Merge = %d ops in %v (%v/s), want 4 in 2s (2/s)", m.Ops, m.Elapsed, m.PerSec())
	}
	if got := m.Quantile(0.5); got != 5*time.Millisecond {
		t.Errorf("merged median = %v, want 5ms", got)
	}
	if got := Median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("Median(5,1,3) = %v, want 3", got)
	}
	if got := Median([]float64{4, 1, 3, 10}); got != 3.5 {
		t.Errorf("Median(4,1,3,10) = %v, want 3.5", got)
	}
	if !math.IsNaN(Median(nil)) {
		t.Errorf("Median(nil) = %v, want NaN", Median(nil))
	}
	rates := Rates([]Result{{Ops: 10, Elapsed: time.Second}, {Ops: 30, Elapsed: 2 * time.Second}})
	if len(rates) != 2 || rates[0] != 10 || rates[1] != 15 {
		t.Errorf("Rates = %v, want [10 15]", rates)
	}
	if got := Ratios([]float64{10, 15, 7}, []float64{5, 30}); len(got) != 2 || got[0] != 2 || got[1] != 0.5 {
		t.Errorf("Ratios = %v, want [2 0.5]", got)
	}
	if !math.IsNaN(Ratio(1, 0)) || Ratio(3, 2) != 1.5 {
		t.Errorf("Ratio(1,0) = %v, Ratio(3,2) = %v", Ratio(1, 0), Ratio(3, 2))
	}
}

func TestRun(t *testing.T) {
	const n, workers = 1000, 8
	var mu sync.Mutex
	seen := map[int]int{}
	usedWorkers := map[int]bool{}
	res, err := Run(context.Background(), workers, n, func(_ context.Context, w, i int) error {
		mu.Lock()
		defer mu.Unlock()
		seen[i]++
		usedWorkers[w] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != n || len(res.Latencies) != n || res.Elapsed <= 0 {
		t.Fatalf("Run = %d ops, %d latencies, %v", res.Ops, len(res.Latencies), res.Elapsed)
	}
	for i := range n {
		if seen[i] != 1 {
			t.Fatalf("operation %d ran %d times", i, seen[i])
		}
	}
	for w := range usedWorkers {
		if w < 0 || w >= workers {
			t.Fatalf("worker index %d out of range", w)
		}
	}

	boom := errors.New("boom")
	_, err = Run(context.Background(), workers, n, func(_ context.Context, _, i int) error {
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run error = %v, want boom", err)
	}
	if _, err := Run(context.Background(), 0, 1, nil); err == nil {
		t.Fatal("Run with 0 workers succeeded")
	}
}
