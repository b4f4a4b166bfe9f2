// Package memory is an in-memory store.Store engine for tests and throwaway
// runs. It follows etcd's model: one global revision counter bumped by every
// write transaction, per-key create/mod revisions, and a bounded event
// history that watches replay from.
package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/internal/txnrule"
)

// DefaultHistory is the number of events kept for watches by default.
const DefaultHistory = 10000

// Option configures a Store.
type Option func(*Store)

// WithHistory sets how many of the most recent events are kept for watches
// (at least 1). A watch from a revision whose events were dropped fails with
// store.ErrCompacted.
func WithHistory(n int) Option {
	return func(s *Store) {
		s.histMax = max(n, 1)
	}
}

type entry struct {
	value  []byte
	create int64
	mod    int64
}

// Store is the in-memory engine. The zero value is not usable; call New.
type Store struct {
	mu      sync.RWMutex
	closed  bool
	rev     int64
	kvs     map[string]*entry
	keys    []string // sorted
	hist    []store.Event
	head    int   // hist[head:] are the retained events
	comp    int64 // events at revisions <= comp are gone
	histMax int
	// notify is closed (and replaced) after every write and on Close.
	notify chan struct{}
}

var _ store.Store = (*Store)(nil)

// New returns an empty store at revision 1 (like a fresh etcd).
func New(opts ...Option) *Store {
	s := &Store{
		rev:     1,
		kvs:     make(map[string]*entry),
		histMax: DefaultHistory,
		notify:  make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed {
		return store.ErrClosed
	}
	return nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KeyValue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, err)
	}
	e, ok := s.kvs[key]
	if !ok {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
	}
	return store.KeyValue{Key: key, Value: clone(e.value), CreateRevision: e.create, ModRevision: e.mod}, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) (store.ListResult, error) {
	if opts.Limit < 0 {
		return store.ListResult{}, fmt.Errorf("list %q: %w: negative limit %d", prefix, txnrule.ErrInvalid, opts.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return store.ListResult{}, fmt.Errorf("list %q: %w", prefix, err)
	}
	start := prefix
	if opts.StartAfter != "" && opts.StartAfter >= prefix {
		start = opts.StartAfter + "\x00"
	}
	res := store.ListResult{Revision: s.rev}
	for i := sort.SearchStrings(s.keys, start); i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix); i++ {
		if opts.Limit > 0 && len(res.KVs) == opts.Limit {
			res.More = true
			break
		}
		k := s.keys[i]
		e := s.kvs[k]
		kv := store.KeyValue{Key: k, CreateRevision: e.create, ModRevision: e.mod}
		if !opts.KeysOnly {
			kv.Value = clone(e.value)
		}
		res.KVs = append(res.KVs, kv)
	}
	return res, nil
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, key string, value []byte) (int64, error) {
	rev, err := s.Txn(ctx, store.Op{Kind: store.OpCreate, Key: key, Value: value})
	return rev, txnrule.Single(err)
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, key string, value []byte, rev int64) (int64, error) {
	nrev, err := s.Txn(ctx, store.Op{Kind: store.OpUpdate, Key: key, Value: value, Rev: rev})
	return nrev, txnrule.Single(err)
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string, rev int64) error {
	_, err := s.Txn(ctx, store.Op{Kind: store.OpDelete, Key: key, Rev: rev})
	return txnrule.Single(err)
}

// Txn implements store.Store. Conditions are evaluated against the state
// before the transaction; writes are applied in op order at one revision.
// A transaction that writes nothing returns the current revision.
func (s *Store) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	if err := txnrule.Validate(ops); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, fmt.Errorf("txn: %w", err)
	}
	if te := txnrule.FirstFailure(ops, s.state); te != nil {
		return 0, te
	}
	if !slices.ContainsFunc(ops, func(op store.Op) bool { return txnrule.Writes(op.Kind) }) {
		return s.rev, nil
	}
	s.rev++
	for _, op := range ops {
		switch op.Kind {
		case store.OpCreate, store.OpUpdate, store.OpPut:
			s.put(op.Key, op.Value)
		case store.OpDelete:
			s.del(op.Key)
		}
	}
	s.trim()
	close(s.notify)
	s.notify = make(chan struct{})
	return s.rev, nil
}

func (s *Store) state(key string) txnrule.State {
	e, ok := s.kvs[key]
	if !ok {
		return txnrule.State{}
	}
	return txnrule.State{Exists: true, ModRevision: e.mod}
}

// put writes key at s.rev; called with s.mu held.
func (s *Store) put(key string, value []byte) {
	v := clone(value)
	e, ok := s.kvs[key]
	if !ok {
		e = &entry{create: s.rev}
		s.kvs[key] = e
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	e.value, e.mod = v, s.rev
	// The history shares v: stored values are never modified in place and
	// are copied on the way out.
	s.hist = append(s.hist, store.Event{Type: store.EventPut, KV: store.KeyValue{
		Key: key, Value: v, CreateRevision: e.create, ModRevision: s.rev,
	}})
}

// del removes key at s.rev; called with s.mu held and key present.
func (s *Store) del(key string) {
	e := s.kvs[key]
	delete(s.kvs, key)
	if i, found := slices.BinarySearch(s.keys, key); found {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
	s.hist = append(s.hist, store.Event{Type: store.EventDelete, KV: store.KeyValue{
		Key: key, Value: e.value, CreateRevision: e.create, ModRevision: s.rev,
	}})
}

// trim drops the oldest events beyond histMax, whole revisions at a time so
// a watch never sees half a transaction; called with s.mu held.
func (s *Store) trim() {
	for len(s.hist)-s.head > s.histMax {
		s.dropThrough(s.hist[s.head].KV.ModRevision)
	}
	s.compactSlice()
}

// dropThrough drops every retained event at a revision <= rev.
func (s *Store) dropThrough(rev int64) {
	for s.head < len(s.hist) && s.hist[s.head].KV.ModRevision <= rev {
		s.hist[s.head] = store.Event{}
		s.head++
	}
	s.comp = max(s.comp, rev)
}

// compactSlice reclaims the dropped prefix of hist once it dominates.
func (s *Store) compactSlice() {
	if s.head > 1024 && s.head > len(s.hist)/2 {
		n := copy(s.hist, s.hist[s.head:])
		clear(s.hist[n:])
		s.hist = s.hist[:n]
		s.head = 0
	}
}

// Compact discards the watch history before revision rev, like etcd's
// compaction: afterwards a Watch from a revision below rev-1 fails with
// store.ErrCompacted.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if rev > s.rev {
		return fmt.Errorf("compact to %d: %w: revision is in the future (current %d)", rev, txnrule.ErrInvalid, s.rev)
	}
	if rev-1 <= s.comp {
		return fmt.Errorf("compact to %d: %w (compacted through %d)", rev, store.ErrCompacted, s.comp)
	}
	s.dropThrough(rev - 1)
	s.compactSlice()
	return nil
}

// Revision returns the current store revision.
func (s *Store) Revision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// Watch implements store.Store. Each watch replays the history after
// fromRev and then follows new writes; a watch that falls behind by more
// than the kept history ends with store.ErrCompacted.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	if err := txnrule.ValidateRev(fromRev); err != nil {
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	s.mu.RLock()
	if err := s.check(ctx); err != nil {
		s.mu.RUnlock()
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	if fromRev == 0 {
		fromRev = s.rev
	}
	s.mu.RUnlock()
	ch := make(chan store.Event, 16)
	go s.watch(ctx, prefix, fromRev, ch)
	return ch, nil
}

func (s *Store) watch(ctx context.Context, prefix string, next int64, ch chan<- store.Event) {
	defer close(ch)
	send := func(ev store.Event) bool {
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			send(store.Event{Err: fmt.Errorf("watch %q: %w", prefix, store.ErrClosed)})
			return
		}
		if next < s.comp {
			comp := s.comp
			s.mu.RUnlock()
			send(store.Event{Err: fmt.Errorf("watch %q from revision %d: %w (history starts after revision %d)", prefix, next, store.ErrCompacted, comp)})
			return
		}
		live := s.hist[s.head:]
		i := sort.Search(len(live), func(i int) bool { return live[i].KV.ModRevision > next })
		var batch []store.Event
		for _, ev := range live[i:] {
			if strings.HasPrefix(ev.KV.Key, prefix) {
				ev.KV.Value = clone(ev.KV.Value)
				batch = append(batch, ev)
			}
		}
		next = max(next, s.rev)
		wait := s.notify
		s.mu.RUnlock()

		for _, ev := range batch {
			if !send(ev) {
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return
		}
	}
}

// Close implements store.Store: later calls fail with store.ErrClosed and
// open watches end with an ErrClosed event.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.notify)
	return nil
}
