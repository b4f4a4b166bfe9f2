package fabric

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/privlink/privlink/internal/store"
)

// Watcher keeps the current snapshot of the store's ARM resources. Run
// lists the resource records once, then follows a watch from the list's
// revision: each change is decoded once and applied to the records kept in
// memory, and the snapshot is rebuilt from memory (no store read per
// change).
//
// Bursts are coalesced: a change waits settleDelay (2 ms) for the rest of
// its transaction and its followers, and rebuilds are at least
// rebuildInterval (10 ms) apart, so a change is never delayed by more than
// about 10 ms plus one build. When the watch fails (store.ErrCompacted,
// or a watch that ends) the Watcher lists again and rebuilds.
//
// Watcher implements Source.
type Watcher struct {
	st  store.Store
	log *slog.Logger

	settle, interval time.Duration
	maxPending       int

	cur       atomic.Pointer[Snapshot]
	ready     chan struct{}
	readyOnce sync.Once
	running   atomic.Bool

	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every publish
	subs    map[*subscriber]struct{}

	// Owned by Run's goroutine.
	items     map[string]*node
	rev       int64
	lastBuild time.Time

	// Counters (for tests and diagnostics).
	builds, relists atomic.Int64
}

var _ Source = (*Watcher)(nil)

const (
	settleDelay     = 2 * time.Millisecond
	rebuildInterval = 10 * time.Millisecond
	// maxPending is how many snapshots wait for a slow subscriber before
	// they are collapsed into one call.
	maxPending = 64
)

// NewWatcher returns a watcher of st; call Run to start it.
func NewWatcher(st store.Store, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		st: st, log: log,
		settle: settleDelay, interval: rebuildInterval, maxPending: maxPending,
		ready:   make(chan struct{}),
		changed: make(chan struct{}),
		subs:    map[*subscriber]struct{}{},
	}
}

// Ready is closed once the first snapshot is published.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Current returns the latest snapshot (nil before Ready).
func (w *Watcher) Current() *Snapshot { return w.cur.Load() }

// Run follows the store until ctx ends (it then returns nil) or the store
// is closed. Run may be called once.
func (w *Watcher) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("fabric: the watcher is already running")
	}
	backoff := 50 * time.Millisecond
	for {
		err := w.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, store.ErrClosed) {
			return fmt.Errorf("fabric: watching the store: %w", err)
		}
		w.relists.Add(1)
		delay := backoff
		if errors.Is(err, store.ErrCompacted) {
			delay = 0 // history is gone: list now
			w.log.Info("fabric: watch history compacted; listing the store again", "err", err)
		} else {
			w.log.Warn("fabric: store watch ended; listing the store again", "err", err, "retry_in", delay)
			backoff = min(backoff*2, 2*time.Second)
		}
		if delay > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(delay):
			}
		}
	}
}

// errWatchEnded reports a watch channel closed without an error event.
var errWatchEnded = errors.New("fabric: the store closed the watch")

// session lists, publishes, then follows one watch until it fails.
func (w *Watcher) session(ctx context.Context) error {
	res, err := w.st.List(ctx, WatchPrefix, store.ListOptions{})
	if err != nil {
		return fmt.Errorf("fabric: list %s: %w", WatchPrefix, err)
	}
	items := make(map[string]*node, len(res.KVs))
	for _, kv := range res.KVs {
		if n := w.decode(kv); n != nil {
			items[kv.Key] = n
		}
	}
	w.items, w.rev = items, res.Revision
	w.rebuild()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := w.st.Watch(wctx, WatchPrefix, res.Revision)
	if err != nil {
		return fmt.Errorf("fabric: watch %s from revision %d: %w", WatchPrefix, res.Revision, err)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var due <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-ch:
			if err := w.apply(ev, ok); err != nil {
				return err
			}
			if due == nil {
				d := max(w.settle, time.Until(w.lastBuild.Add(w.interval)))
				timer.Reset(d)
				due = timer.C
			}
		case <-due:
			due = nil
			// Take what already arrived (the rest of a transaction).
			err := w.drain(ch)
			w.rebuild()
			if err != nil {
				return err
			}
		}
	}
}

// drain applies the events already waiting in ch, without blocking.
func (w *Watcher) drain(ch <-chan store.Event) error {
	for range 4096 {
		select {
		case ev, ok := <-ch:
			if err := w.apply(ev, ok); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// apply updates the records in memory with one watch event.
func (w *Watcher) apply(ev store.Event, ok bool) error {
	if !ok {
		return errWatchEnded
	}
	if ev.Err != nil {
		return ev.Err
	}
	switch ev.Type {
	case store.EventDelete:
		delete(w.items, ev.KV.Key)
	case store.EventPut:
		if n := w.decode(ev.KV); n != nil {
			w.items[ev.KV.Key] = n
		} else {
			delete(w.items, ev.KV.Key)
		}
	}
	w.rev = max(w.rev, ev.KV.ModRevision)
	return nil
}

// decode decodes a stored record, logging (and dropping) unreadable ones.
func (w *Watcher) decode(kv store.KeyValue) *node {
	n, err := decodeStored(kv.Value)
	if err != nil {
		w.log.Warn("fabric: skipping a record the topology cannot read", "key", kv.Key, "err", err)
		return nil
	}
	return n
}

// rebuild builds a snapshot from the records in memory and publishes it.
func (w *Watcher) rebuild() {
	s := buildNodes(w.rev, maps.Values(w.items), len(w.items))
	w.lastBuild = time.Now()
	w.builds.Add(1)
	w.publish(s)
}

func (w *Watcher) publish(s *Snapshot) {
	old := w.cur.Swap(s)
	w.mu.Lock()
	changed := w.changed
	w.changed = make(chan struct{})
	subs := make([]*subscriber, 0, len(w.subs))
	for sub := range w.subs {
		subs = append(subs, sub)
	}
	w.mu.Unlock()
	close(changed)
	w.readyOnce.Do(func() { close(w.ready) })
	for _, sub := range subs {
		sub.offer(old, s)
	}
}

// Sync returns once the current snapshot includes the latest resource
// write that went through f (Current().Revision >= f.Revision()), or with
// ctx's error. When the snapshot is already there it costs two atomic
// loads and allocates nothing. A nil fence waits for the first snapshot.
func (w *Watcher) Sync(ctx context.Context, f *Fence) error {
	var want int64
	if f != nil {
		want = f.rev.Load()
	}
	if s := w.cur.Load(); s != nil && s.Revision >= want {
		return nil
	}
	for {
		w.mu.Lock()
		changed := w.changed
		w.mu.Unlock()
		s := w.cur.Load()
		if s != nil && s.Revision >= want {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			have := int64(0)
			if s != nil {
				have = s.Revision
			}
			return fmt.Errorf("fabric: waiting for the topology to reach store revision %d (it is at %d): %w", want, have, ctx.Err())
		}
	}
}

// Subscribe calls fn(old, new) for every snapshot published after the
// call, in order, from one goroutine of its own (old is nil for the first
// snapshot ever). cancel stops the calls; it does not wait for a call in
// progress, so fn may call it.
//
// Delivery policy: rebuilds never wait for subscribers. Up to maxPending
// (64) snapshots queue for a subscriber that is busy; when more arrive,
// the queue collapses into one call fn(oldest old, newest new). The
// snapshots in between are then skipped, but old is always the new of the
// previous call, so a subscriber that diffs old against new misses no
// change.
func (w *Watcher) Subscribe(fn func(old, new *Snapshot)) (cancel func()) {
	sub := &subscriber{fn: fn, max: w.maxPending, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.mu.Lock()
	w.subs[sub] = struct{}{}
	w.mu.Unlock()
	go sub.loop()
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.subs, sub)
			w.mu.Unlock()
			sub.cancelled.Store(true)
			close(sub.done)
		})
	}
}

type delivery struct{ old, new *Snapshot }

type subscriber struct {
	fn        func(old, new *Snapshot)
	max       int
	wake      chan struct{}
	done      chan struct{}
	cancelled atomic.Bool

	mu        sync.Mutex
	queue     []delivery
	collapsed int64 // deliveries merged away (diagnostics, tests)
}

func (s *subscriber) offer(old, new *Snapshot) {
	s.mu.Lock()
	if len(s.queue) >= s.max {
		s.collapsed += int64(len(s.queue))
		s.queue = append(s.queue[:0], delivery{old: s.queue[0].old, new: new})
	} else {
		s.queue = append(s.queue, delivery{old: old, new: new})
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) loop() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				s.mu.Unlock()
				break
			}
			d := s.queue[0]
			s.queue[0] = delivery{}
			s.queue = s.queue[1:]
			s.mu.Unlock()
			if s.cancelled.Load() {
				return
			}
			s.fn(d.old, d.new)
		}
	}
}
