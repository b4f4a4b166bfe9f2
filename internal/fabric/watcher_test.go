package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
)

// runWatcher starts w and waits for its first snapshot; the cleanup stops
// it and checks that Run returned nil.
func runWatcher(t *testing.T, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-w.Ready():
	case err := <-done:
		t.Fatalf("Run ended before the first snapshot: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no first snapshot")
	}
}

func syncCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// vnetRecordBytes is a stored virtual network record.
func vnetRecordBytes(t testing.TB, name, prefix string) (string, []byte) {
	t.Helper()
	id := netPath("virtualNetworks", name)
	props, _ := json.Marshal(map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{prefix}}})
	b, err := json.Marshal(&arm.Record{Resource: arm.Resource{ID: id, Name: name, Type: typeVNet, Location: "westus2", Properties: props},
		State: arm.StateSucceeded, Generation: 1})
	if err != nil {
		t.Fatal(err)
	}
	return arm.KeyOf(id), b
}

func putVNet(t testing.TB, st store.Store, i int) {
	t.Helper()
	k, v := vnetRecordBytes(t, fmt.Sprintf("v%d", i), fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))
	if _, err := st.Txn(context.Background(), store.Op{Kind: store.OpPut, Key: k, Value: v}); err != nil {
		t.Fatal(err)
	}
}

// TestWatcherFollowsARMWrites: a write through the ARM API, fenced, is in
// the snapshot as soon as Sync returns.
func TestWatcherFollowsARMWrites(t *testing.T) {
	mem := memory.New()
	f := NewFence(mem)
	e := startEnv(t, f)
	w := NewWatcher(mem, nil)
	runWatcher(t, w)
	ctx := syncCtx(t)

	vnet := netPath("virtualNetworks", "v1")
	r := e.s.Do(http.MethodPut, vnet, netAPI, `{"location":"westus2","properties":{"addressSpace":{"addressPrefixes":["10.5.0.0/16"]}}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	s := w.Current()
	if s.Revision < f.Revision() || s.VNets[lower(vnet)] == nil {
		t.Fatalf("snapshot at %d (fence %d) lacks the new network: %v", s.Revision, f.Revision(), s.VNets)
	}
	e.s.Wait(r)

	r = e.s.Do(http.MethodPut, vnet+"/subnets/s1", netAPI, `{"properties":{"addressPrefix":"10.5.1.0/24"}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("PUT subnet: %d %s", r.Status, r.Body)
	}
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	if sn := w.Current().Subnets[lower(vnet)+"/subnets/s1"]; sn == nil || sn.VNet != w.Current().VNets[lower(vnet)] {
		t.Fatalf("subnet missing: %v", w.Current().Subnets)
	}
	e.s.Wait(r)

	// Caught up: Sync costs nothing.
	if n := testing.AllocsPerRun(100, func() { _ = w.Sync(ctx, f) }); n != 0 {
		t.Errorf("Sync allocates %v times on the fast path", n)
	}

	e.must(http.MethodDelete, vnet, netAPI, nil)
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	if s := w.Current(); len(s.VNets) != 0 || len(s.Subnets) != 0 {
		t.Fatalf("deleted network still there: %v %v", s.VNets, s.Subnets)
	}
}

// TestSyncWaitsForContext: Sync gives up with ctx's error when the
// snapshot cannot catch up (the watcher is not running).
func TestSyncWaitsForContext(t *testing.T) {
	mem := memory.New()
	f := NewFence(mem)
	putVNet(t, f, 1)
	w := NewWatcher(mem, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := w.Sync(ctx, f); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync without a snapshot: %v", err)
	}
	runWatcher(t, w)
	if err := w.Sync(syncCtx(t), f); err != nil || w.Current().VNets[lower(netPath("virtualNetworks", "v1"))] == nil {
		t.Fatalf("Sync: %v", err)
	}
}

// TestWatcherCoalesces: a burst of writes makes few rebuilds, a single
// change after a quiet period shows quickly, and a steady stream of
// changes still rebuilds regularly.
func TestWatcherCoalesces(t *testing.T) {
	mem := memory.New()
	f := NewFence(mem)
	w := NewWatcher(mem, nil)
	runWatcher(t, w)
	ctx := syncCtx(t)

	before := w.builds.Load()
	const burst = 300
	for i := range burst {
		putVNet(t, f, i)
	}
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	if n := len(w.Current().VNets); n != burst {
		t.Fatalf("%d networks, want %d", n, burst)
	}
	builds := w.builds.Load() - before
	t.Logf("%d writes -> %d rebuilds", burst, builds)
	if builds < 1 || builds > burst/10 {
		t.Errorf("%d rebuilds for a burst of %d writes", builds, burst)
	}

	// One change after a quiet period.
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	putVNet(t, f, burst)
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	lat := time.Since(start)
	t.Logf("single change visible after %v", lat)
	if lat > 150*time.Millisecond {
		t.Errorf("a single change took %v to show", lat)
	}

	// A steady stream (one write per millisecond for 200 ms) is not held
	// back until it stops.
	before = w.builds.Load()
	stop := time.Now().Add(200 * time.Millisecond)
	for i := burst + 1; time.Now().Before(stop); i++ {
		putVNet(t, f, i)
		time.Sleep(time.Millisecond)
	}
	during := w.builds.Load() - before
	t.Logf("200 ms stream -> %d rebuilds while it lasted", during)
	if during < 4 {
		t.Errorf("only %d rebuilds during a 200 ms stream of changes", during)
	}
}

// TestWatcherRelistsAfterCompaction: when the watch history is compacted
// under the watcher, it lists again and the snapshot holds every record.
func TestWatcherRelistsAfterCompaction(t *testing.T) {
	mem := memory.New(memory.WithHistory(4))
	f := NewFence(mem)
	w := NewWatcher(mem, nil)
	runWatcher(t, w)
	// One transaction of 10 events: more than the history keeps, so the
	// watch from before it is compacted.
	var ops []store.Op
	for i := range 10 {
		k, v := vnetRecordBytes(t, fmt.Sprintf("v%d", i), fmt.Sprintf("10.0.%d.0/24", i))
		ops = append(ops, store.Op{Kind: store.OpPut, Key: k, Value: v})
	}
	if _, err := f.Txn(context.Background(), ops...); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(syncCtx(t), f); err != nil {
		t.Fatal(err)
	}
	if n := len(w.Current().VNets); n != 10 {
		t.Fatalf("%d networks after re-list, want 10", n)
	}
	if w.relists.Load() < 1 {
		t.Fatal("the watcher did not re-list")
	}
}

// brokenWatch is a store whose watches end (without an error) after
// forwarding one event.
type brokenWatch struct {
	store.Store
	mu      sync.Mutex
	watches int
}

func (b *brokenWatch) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	b.mu.Lock()
	b.watches++
	b.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	in, err := b.Store.Watch(wctx, prefix, fromRev)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan store.Event)
	go func() {
		defer close(out)
		defer cancel()
		select {
		case ev, ok := <-in:
			if ok {
				select {
				case out <- ev:
				case <-ctx.Done():
				}
			}
		case <-ctx.Done():
		}
	}()
	return out, nil
}

// TestWatcherRelistsAfterBrokenWatch: a watch that just ends is replaced
// by a new list and watch; changes made meanwhile are not lost.
func TestWatcherRelistsAfterBrokenWatch(t *testing.T) {
	mem := memory.New()
	bw := &brokenWatch{Store: mem}
	f := NewFence(mem)
	putVNet(t, f, 100)
	w := NewWatcher(bw, nil)
	runWatcher(t, w)
	ctx := syncCtx(t)
	for i := range 3 {
		putVNet(t, f, i)
	}
	k, _ := vnetRecordBytes(t, "v100", "")
	if err := f.Delete(context.Background(), k, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	s := w.Current()
	if len(s.VNets) != 3 || s.VNets[lower(netPath("virtualNetworks", "v100"))] != nil {
		t.Fatalf("networks after re-lists: %v", s.VNets)
	}
	if w.relists.Load() < 1 {
		t.Fatal("no re-list")
	}
}

// TestWatcherStoreClosed: Run ends with the store's ErrClosed.
func TestWatcherStoreClosed(t *testing.T) {
	mem := memory.New()
	w := NewWatcher(mem, nil)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	<-w.Ready()
	if err := w.Run(context.Background()); err == nil {
		t.Error("a second Run did not fail")
	}
	mem.Close()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end when the store closed")
	}
}

type call struct{ old, new *Snapshot }

// recorder collects subscriber calls.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) fn(old, new *Snapshot) {
	r.mu.Lock()
	r.calls = append(r.calls, call{old, new})
	r.mu.Unlock()
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkChain verifies that calls are chained (each old is the previous
// new), start at first and have increasing revisions.
func checkChain(t *testing.T, calls []call, first *Snapshot) {
	t.Helper()
	prev := first
	for i, c := range calls {
		if c.old != prev {
			t.Fatalf("call %d: old is not the previous new", i)
		}
		if prev != nil && c.new.Revision <= prev.Revision {
			t.Fatalf("call %d: revision %d after %d", i, c.new.Revision, prev.Revision)
		}
		prev = c.new
	}
}

func TestSubscribeOrder(t *testing.T) {
	mem := memory.New()
	f := NewFence(mem)
	w := NewWatcher(mem, nil)
	var early recorder
	cancelEarly := w.Subscribe(early.fn) // before the first snapshot
	defer cancelEarly()
	runWatcher(t, w)
	first := w.Current()
	var rec recorder
	cancel := w.Subscribe(rec.fn)
	ctx := syncCtx(t)
	before := w.builds.Load()
	const writes = 20
	for i := range writes {
		putVNet(t, f, i)
		if err := w.Sync(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	builds := int(w.builds.Load() - before)
	final := w.Current()
	waitFor(t, "deliveries", func() bool {
		c := rec.snapshot()
		return len(c) > 0 && c[len(c)-1].new == final
	})
	calls := rec.snapshot()
	if len(calls) != builds || builds < writes {
		t.Fatalf("%d calls for %d rebuilds of %d synced writes", len(calls), builds, writes)
	}
	checkChain(t, calls, first)
	waitFor(t, "early deliveries", func() bool {
		c := early.snapshot()
		return len(c) > 0 && c[len(c)-1].new == final
	})
	ec := early.snapshot()
	if ec[0].old != nil || ec[0].new != first {
		t.Fatalf("first call of an early subscriber: %+v", ec[0])
	}
	checkChain(t, ec, nil)

	// After cancel no call is made.
	cancel()
	n := len(rec.snapshot())
	putVNet(t, f, writes)
	if err := w.Sync(ctx, f); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the early subscriber", func() bool {
		c := early.snapshot()
		return c[len(c)-1].new == w.Current()
	})
	if m := len(rec.snapshot()); m != n {
		t.Fatalf("%d calls after cancel", m-n)
	}
}

// TestSlowSubscriber: a subscriber stuck in its callback does not hold
// back rebuilds; when it resumes it gets a chained, collapsed history
// ending at the latest snapshot.
func TestSlowSubscriber(t *testing.T) {
	mem := memory.New()
	f := NewFence(mem)
	w := NewWatcher(mem, nil)
	w.maxPending = 4
	runWatcher(t, w)
	first := w.Current()
	release := make(chan struct{})
	var rec recorder
	var once sync.Once
	cancel := w.Subscribe(func(old, new *Snapshot) {
		once.Do(func() { <-release })
		rec.fn(old, new)
	})
	defer cancel()
	ctx := syncCtx(t)
	before := w.builds.Load()
	const writes = 20
	for i := range writes {
		putVNet(t, f, i)
		if err := w.Sync(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	builds := int(w.builds.Load() - before)
	final := w.Current()
	if len(final.VNets) != writes {
		t.Fatalf("rebuilds held back: %d networks", len(final.VNets))
	}
	close(release)
	waitFor(t, "deliveries", func() bool {
		c := rec.snapshot()
		return len(c) > 0 && c[len(c)-1].new == final
	})
	calls := rec.snapshot()
	checkChain(t, calls, first)
	if len(calls) >= builds {
		t.Fatalf("%d calls for %d rebuilds: nothing collapsed", len(calls), builds)
	}
	if len(calls) > w.maxPending+2 {
		t.Fatalf("%d calls queued for a stuck subscriber (limit %d)", len(calls), w.maxPending)
	}
}
