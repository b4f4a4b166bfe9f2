// Package etcd is the store.Store engine backed by etcd: an embedded,
// single-member etcd server (StartEmbedded, privlink's default) or an
// external cluster (Dial). Either way the engine talks to etcd through a
// *clientv3.Client and keeps all of privlink's keys under one prefix.
package etcd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/internal/txnrule"
)

// Store is the etcd engine. It also offers Compact and Revision beyond
// store.Store.
type Store struct {
	cli    *clientv3.Client
	prefix string

	mu     sync.RWMutex
	closed bool
	// root is canceled by Close; every watch derives from it.
	root   context.Context
	cancel context.CancelFunc
}

var _ store.Store = (*Store)(nil)

// New returns a store that keeps its keys under prefix in the etcd reached
// by cli (keys are stripped of prefix on the way out). End prefix with a
// separator such as "/": a store under "a" would see the keys of one under
// "ab". The store does not own cli: Close ends the store's watches but
// leaves the client open. The dynamic type is *Store.
func New(cli *clientv3.Client, prefix string) store.Store {
	return newStore(cli, prefix)
}

func newStore(cli *clientv3.Client, prefix string) *Store {
	root, cancel := context.WithCancel(context.Background())
	return &Store{cli: cli, prefix: prefix, root: root, cancel: cancel}
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// mapErr turns client errors into the store's: ErrClosed once the store is
// closed, ErrCompacted for compaction, context errors as they are.
func (s *Store) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case s.isClosed():
		return fmt.Errorf("%w (%w)", store.ErrClosed, err)
	case errors.Is(err, rpctypes.ErrCompacted):
		return fmt.Errorf("%w (%w)", store.ErrCompacted, err)
	}
	return err
}

func (s *Store) key(k string) string { return s.prefix + k }

func (s *Store) strip(k []byte) string { return strings.TrimPrefix(string(k), s.prefix) }

// prefixRange returns the etcd key and options covering every key under p
// (within the store's namespace).
func (s *Store) prefixRange(p string) (string, clientv3.OpOption) {
	full := s.key(p)
	if full == "" {
		return "\x00", clientv3.WithFromKey()
	}
	return full, clientv3.WithPrefix()
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) (store.KeyValue, error) {
	if err := txnrule.ValidateKey(key); err != nil {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, err)
	}
	if s.isClosed() {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, store.ErrClosed)
	}
	resp, err := s.cli.Get(ctx, s.key(key))
	if err != nil {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, s.mapErr(err))
	}
	if len(resp.Kvs) == 0 {
		return store.KeyValue{}, fmt.Errorf("get %q: %w", key, store.ErrNotFound)
	}
	return s.kv(resp.Kvs[0]), nil
}

func (s *Store) kv(kv *mvccpb.KeyValue) store.KeyValue {
	return store.KeyValue{
		Key:            s.strip(kv.Key),
		Value:          kv.Value,
		CreateRevision: kv.CreateRevision,
		ModRevision:    kv.ModRevision,
	}
}

// List implements store.Store with one range read.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) (store.ListResult, error) {
	if opts.Limit < 0 {
		return store.ListResult{}, fmt.Errorf("list %q: %w: negative limit %d", prefix, txnrule.ErrInvalid, opts.Limit)
	}
	if s.isClosed() {
		return store.ListResult{}, fmt.Errorf("list %q: %w", prefix, store.ErrClosed)
	}
	key, scope := s.prefixRange(prefix)
	end := clientv3.GetPrefixRangeEnd(s.key(prefix))
	// etcd returns ranges in ascending key order.
	ropts := []clientv3.OpOption{scope}
	if opts.StartAfter != "" && opts.StartAfter >= prefix {
		// A range from a key after the prefix start, ending at the prefix end.
		key = s.key(opts.StartAfter) + "\x00"
		if end == "\x00" {
			ropts[0] = clientv3.WithFromKey()
		} else {
			ropts[0] = clientv3.WithRange(end)
		}
	}
	if opts.Limit > 0 {
		ropts = append(ropts, clientv3.WithLimit(int64(opts.Limit)))
	}
	if opts.KeysOnly {
		ropts = append(ropts, clientv3.WithKeysOnly())
	}
	resp, err := s.cli.Get(ctx, key, ropts...)
	if err != nil {
		return store.ListResult{}, fmt.Errorf("list %q: %w", prefix, s.mapErr(err))
	}
	res := store.ListResult{Revision: resp.Header.Revision, More: resp.More, KVs: make([]store.KeyValue, 0, len(resp.Kvs))}
	for _, kv := range resp.Kvs {
		res.KVs = append(res.KVs, s.kv(kv))
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

// condition returns the etcd compare guarding op, if any.
func condition(op store.Op, key string) (clientv3.Cmp, bool) {
	switch op.Kind {
	case store.OpCreate:
		return clientv3.Compare(clientv3.CreateRevision(key), "=", 0), true
	case store.OpUpdate, store.OpDelete:
		if op.Rev == 0 {
			return clientv3.Compare(clientv3.CreateRevision(key), ">", 0), true
		}
		return clientv3.Compare(clientv3.ModRevision(key), "=", op.Rev), true
	case store.OpCheck:
		if op.Rev == 0 {
			return clientv3.Compare(clientv3.CreateRevision(key), "=", 0), true
		}
		return clientv3.Compare(clientv3.ModRevision(key), "=", op.Rev), true
	}
	return clientv3.Cmp{}, false
}

// Txn implements store.Store as a single etcd transaction: every op's
// condition becomes a compare, the writes form the success branch, and the
// failure branch reads the touched keys so the failing op is identified
// from the very state the compares saw.
func (s *Store) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	if err := txnrule.Validate(ops); err != nil {
		return 0, err
	}
	if s.isClosed() {
		return 0, fmt.Errorf("txn: %w", store.ErrClosed)
	}
	var (
		cmps     []clientv3.Cmp
		writes   []clientv3.Op
		reads    []clientv3.Op
		readKeys = make(map[string]bool, len(ops))
	)
	for _, op := range ops {
		k := s.key(op.Key)
		if c, ok := condition(op, k); ok {
			cmps = append(cmps, c)
			if !readKeys[k] {
				readKeys[k] = true
				reads = append(reads, clientv3.OpGet(k, clientv3.WithKeysOnly()))
			}
		}
		switch op.Kind {
		case store.OpCreate, store.OpUpdate, store.OpPut:
			writes = append(writes, clientv3.OpPut(k, string(op.Value)))
		case store.OpDelete:
			writes = append(writes, clientv3.OpDelete(k))
		}
	}
	resp, err := s.cli.Txn(ctx).If(cmps...).Then(writes...).Else(reads...).Commit()
	if err != nil {
		return 0, fmt.Errorf("txn: %w", s.mapErr(err))
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	states := make(map[string]txnrule.State, len(reads))
	for _, r := range resp.Responses {
		for _, kv := range r.GetResponseRange().GetKvs() {
			states[string(kv.Key)] = txnrule.State{Exists: true, ModRevision: kv.ModRevision}
		}
	}
	te := txnrule.FirstFailure(ops, func(key string) txnrule.State { return states[s.key(key)] })
	if te == nil {
		return 0, fmt.Errorf("txn: etcd rejected the transaction at revision %d but every condition holds", resp.Header.Revision)
	}
	return 0, te
}

// Revision returns the current etcd revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	if s.isClosed() {
		return 0, fmt.Errorf("revision: %w", store.ErrClosed)
	}
	// Any key will do; count-only reads no values.
	resp, err := s.cli.Get(ctx, s.key("\x00"), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("revision: %w", s.mapErr(err))
	}
	return resp.Header.Revision, nil
}

// Compact discards etcd's history before revision rev (for every prefix:
// etcd compacts the whole keyspace). A Watch from below rev-1 then fails
// with store.ErrCompacted.
func (s *Store) Compact(ctx context.Context, rev int64) error {
	if s.isClosed() {
		return fmt.Errorf("compact: %w", store.ErrClosed)
	}
	if _, err := s.cli.Compact(ctx, rev); err != nil {
		return fmt.Errorf("compact to %d: %w", rev, s.mapErr(err))
	}
	return nil
}

// Watch implements store.Store over an etcd watch on the prefix, started
// at fromRev+1 (fromRev 0: the revision current when Watch is called). For
// deletes the event carries the previous value.
func (s *Store) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	if err := txnrule.ValidateRev(fromRev); err != nil {
		return nil, fmt.Errorf("watch %q: %w", prefix, err)
	}
	if fromRev == 0 {
		// Pin "now" so writes that complete after Watch returns are seen
		// even if the server registers the watch a little later.
		rev, err := s.Revision(ctx)
		if err != nil {
			return nil, fmt.Errorf("watch %q: %w", prefix, err)
		}
		fromRev = rev
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("watch %q: %w", prefix, store.ErrClosed)
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	stop := context.AfterFunc(s.root, cancel)
	key, scope := s.prefixRange(prefix)
	wch := s.cli.Watch(wctx, key, scope, clientv3.WithRev(fromRev+1), clientv3.WithPrevKV())
	out := make(chan store.Event, 16)
	go func() {
		defer close(out)
		defer cancel()
		defer stop()
		send := func(ev store.Event) bool {
			if ctx.Err() != nil {
				return false
			}
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for resp := range wch {
			if resp.CompactRevision != 0 {
				send(store.Event{Err: fmt.Errorf("watch %q from revision %d: %w (etcd history now starts at revision %d)",
					prefix, fromRev, store.ErrCompacted, resp.CompactRevision)})
				return
			}
			if err := resp.Err(); err != nil {
				send(store.Event{Err: fmt.Errorf("watch %q: %w", prefix, s.mapErr(err))})
				return
			}
			for _, ev := range resp.Events {
				if !send(s.event(ev)) {
					return
				}
				fromRev = ev.Kv.ModRevision
			}
		}
		switch {
		case ctx.Err() != nil:
		case s.root.Err() != nil:
			send(store.Event{Err: fmt.Errorf("watch %q: %w", prefix, store.ErrClosed)})
		default:
			send(store.Event{Err: fmt.Errorf("watch %q: etcd closed the watch after revision %d", prefix, fromRev)})
		}
	}()
	return out, nil
}

// event converts a watch event. Values are copied: with the in-process
// client the server hands the same event to every watcher.
func (s *Store) event(ev *clientv3.Event) store.Event {
	if ev.Type == mvccpb.DELETE {
		out := store.Event{Type: store.EventDelete, KV: store.KeyValue{
			Key:         s.strip(ev.Kv.Key),
			ModRevision: ev.Kv.ModRevision,
		}}
		if ev.PrevKv != nil {
			out.KV.Value = bytes.Clone(ev.PrevKv.Value)
			out.KV.CreateRevision = ev.PrevKv.CreateRevision
		}
		return out
	}
	kv := s.kv(ev.Kv)
	kv.Value = bytes.Clone(kv.Value)
	return store.Event{Type: store.EventPut, KV: kv}
}

// Close implements store.Store: later calls fail with store.ErrClosed and
// open watches end with an ErrClosed event. The client stays open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.cancel()
	}
	return nil
}
