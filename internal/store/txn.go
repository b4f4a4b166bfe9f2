package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// Tx is an optimistic, serializable read-modify-write transaction over a
// Store. Every key read is remembered with its revision; Commit writes the
// staged changes in one Store.Txn guarded by those revisions, so the commit
// fails (and Run retries) if anything read has changed meanwhile.
type Tx struct {
	s      Store
	reads  map[string]int64 // key -> ModRevision seen (0 = absent)
	cache  map[string]*KeyValue
	writes map[string]*write
	order  []string
}

type write struct {
	value  []byte
	delete bool
}

// NewTx starts a transaction on s.
func NewTx(s Store) *Tx {
	return &Tx{s: s, reads: map[string]int64{}, cache: map[string]*KeyValue{}, writes: map[string]*write{}}
}

// Get reads key, seeing this transaction's own staged writes. ok is false
// when the key does not exist.
func (tx *Tx) Get(ctx context.Context, key string) (KeyValue, bool, error) {
	if w, staged := tx.writes[key]; staged {
		if w.delete {
			return KeyValue{}, false, nil
		}
		return KeyValue{Key: key, Value: w.value}, true, nil
	}
	if kv, seen := tx.cache[key]; seen {
		if kv == nil {
			return KeyValue{}, false, nil
		}
		return *kv, true, nil
	}
	kv, err := tx.s.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		tx.reads[key] = 0
		tx.cache[key] = nil
		return KeyValue{}, false, nil
	}
	if err != nil {
		return KeyValue{}, false, err
	}
	tx.reads[key] = kv.ModRevision
	tx.cache[key] = &kv
	return kv, true, nil
}

// List reads every key under prefix (merged with staged writes). Each
// returned key is guarded at commit; keys created by others under prefix
// after the read are not (use a guard key for that).
func (tx *Tx) List(ctx context.Context, prefix string) ([]KeyValue, error) {
	res, err := tx.s.List(ctx, prefix, ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]KeyValue, len(res.KVs))
	for _, kv := range res.KVs {
		if _, seen := tx.reads[kv.Key]; !seen {
			tx.reads[kv.Key] = kv.ModRevision
			c := kv
			tx.cache[kv.Key] = &c
		}
		if c := tx.cache[kv.Key]; c != nil {
			out[kv.Key] = *c
		}
	}
	for k, w := range tx.writes {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if w.delete {
			delete(out, k)
		} else {
			out[k] = KeyValue{Key: k, Value: w.value}
		}
	}
	kvs := make([]KeyValue, 0, len(out))
	for _, kv := range out {
		kvs = append(kvs, kv)
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Key < kvs[j].Key })
	return kvs, nil
}

// Put stages a write of key.
func (tx *Tx) Put(key string, value []byte) {
	if _, ok := tx.writes[key]; !ok {
		tx.order = append(tx.order, key)
	}
	tx.writes[key] = &write{value: value}
}

// Delete stages the deletion of key (a no-op at commit if it never existed).
func (tx *Tx) Delete(key string) {
	if _, ok := tx.writes[key]; !ok {
		tx.order = append(tx.order, key)
	}
	tx.writes[key] = &write{delete: true}
}

// Writes reports how many keys are staged.
func (tx *Tx) Writes() int { return len(tx.writes) }

// Commit applies the staged writes, guarded by every read. It returns the
// store revision of the write (0 if nothing was staged).
func (tx *Tx) Commit(ctx context.Context) (int64, error) {
	if len(tx.writes) == 0 {
		return 0, nil
	}
	ops := make([]Op, 0, len(tx.reads)+len(tx.writes))
	for _, k := range tx.order {
		w := tx.writes[k]
		rev, read := tx.reads[k]
		switch {
		case w.delete && read && rev == 0:
			// never existed: keep it absent
			ops = append(ops, Op{Kind: OpCheck, Key: k})
		case w.delete && read:
			ops = append(ops, Op{Kind: OpDelete, Key: k, Rev: rev})
		case w.delete:
			kv, err := tx.s.Get(ctx, k)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return 0, err
			}
			ops = append(ops, Op{Kind: OpDelete, Key: k, Rev: kv.ModRevision})
		case read && rev == 0:
			ops = append(ops, Op{Kind: OpCreate, Key: k, Value: w.value})
		case read:
			ops = append(ops, Op{Kind: OpUpdate, Key: k, Value: w.value, Rev: rev})
		default:
			ops = append(ops, Op{Kind: OpPut, Key: k, Value: w.value})
		}
	}
	keys := make([]string, 0, len(tx.reads))
	for k := range tx.reads {
		if _, written := tx.writes[k]; !written {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		ops = append(ops, Op{Kind: OpCheck, Key: k, Rev: tx.reads[k]})
	}
	return tx.s.Txn(ctx, ops...)
}

// IsConflict reports whether err is a failed transaction guard, i.e. the
// transaction should be retried.
func IsConflict(err error) bool {
	var te *TxnError
	return errors.As(err, &te)
}

// MaxAttempts bounds Run's retries.
const MaxAttempts = 20

// Run executes fn in a fresh Tx and commits it, retrying the whole function
// when a guard fails because of a concurrent writer. fn must be free of
// side effects other than through tx.
func Run(ctx context.Context, s Store, fn func(tx *Tx) error) (int64, error) {
	var last error
	for attempt := 0; attempt < MaxAttempts; attempt++ {
		tx := NewTx(s)
		if err := fn(tx); err != nil {
			return 0, err
		}
		rev, err := tx.Commit(ctx)
		if err == nil {
			return rev, nil
		}
		if !IsConflict(err) {
			return 0, err
		}
		last = err
		d := time.Duration(rand.IntN(1<<min(attempt, 6))+1) * time.Millisecond
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(d):
		}
	}
	return 0, fmt.Errorf("store: transaction kept conflicting after %d attempts: %w", MaxAttempts, last)
}
