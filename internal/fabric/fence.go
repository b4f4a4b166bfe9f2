package fabric

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/privlink/privlink/internal/store"
)

// WatchPrefix is the store prefix of ARM resource records, the keys the
// Watcher follows and the Fence tracks.
const WatchPrefix = "/r/"

// Fence is a store.Store that passes every call to the store it wraps and
// remembers the revision of the latest successful write of an ARM resource
// record (a key under WatchPrefix). Watcher.Sync(ctx, fence) then waits
// until the snapshot includes that write, which gives read-your-writes to
// anything that opens a connection right after an ARM call: the app wraps
// the daemon's store in a Fence before handing it to the ARM engine.
//
// Writes that touch no resource record (reference index, address
// reservations, guards...) are not tracked: they never show in the
// Watcher's stream, so waiting for their revision could stall until some
// unrelated resource changes.
//
// Create, Update and Txn return their revision. Delete does not, so the
// Fence performs a Delete of a resource record as the equivalent one-op
// Txn (same conditions and errors, wrapping store.ErrNotFound or
// store.ErrConflict) to learn it.
type Fence struct {
	s   store.Store
	rev atomic.Int64
}

var _ store.Store = (*Fence)(nil)

// NewFence wraps s.
func NewFence(s store.Store) *Fence { return &Fence{s: s} }

// Revision returns the revision of the latest resource write seen (0 if
// none).
func (f *Fence) Revision() int64 { return f.rev.Load() }

// Unwrap returns the wrapped store.
func (f *Fence) Unwrap() store.Store { return f.s }

func (f *Fence) note(rev int64) {
	for {
		cur := f.rev.Load()
		if rev <= cur || f.rev.CompareAndSwap(cur, rev) {
			return
		}
	}
}

func tracked(key string) bool { return strings.HasPrefix(key, WatchPrefix) }

// Get implements store.Store.
func (f *Fence) Get(ctx context.Context, key string) (store.KeyValue, error) {
	return f.s.Get(ctx, key)
}

// List implements store.Store.
func (f *Fence) List(ctx context.Context, prefix string, opts store.ListOptions) (store.ListResult, error) {
	return f.s.List(ctx, prefix, opts)
}

// Create implements store.Store.
func (f *Fence) Create(ctx context.Context, key string, value []byte) (int64, error) {
	rev, err := f.s.Create(ctx, key, value)
	if err == nil && tracked(key) {
		f.note(rev)
	}
	return rev, err
}

// Update implements store.Store.
func (f *Fence) Update(ctx context.Context, key string, value []byte, rev int64) (int64, error) {
	nrev, err := f.s.Update(ctx, key, value, rev)
	if err == nil && tracked(key) {
		f.note(nrev)
	}
	return nrev, err
}

// Delete implements store.Store.
func (f *Fence) Delete(ctx context.Context, key string, rev int64) error {
	if !tracked(key) {
		return f.s.Delete(ctx, key, rev)
	}
	nrev, err := f.s.Txn(ctx, store.Op{Kind: store.OpDelete, Key: key, Rev: rev})
	if err != nil {
		var te *store.TxnError
		if errors.As(err, &te) {
			return fmt.Errorf("%s %q: %w", te.Op.Kind, te.Op.Key, te.Err)
		}
		return err
	}
	f.note(nrev)
	return nil
}

// Txn implements store.Store.
func (f *Fence) Txn(ctx context.Context, ops ...store.Op) (int64, error) {
	rev, err := f.s.Txn(ctx, ops...)
	if err == nil {
		for _, op := range ops {
			if op.Kind != store.OpCheck && tracked(op.Key) {
				f.note(rev)
				break
			}
		}
	}
	return rev, err
}

// Watch implements store.Store.
func (f *Fence) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	return f.s.Watch(ctx, prefix, fromRev)
}

// Compact compacts the wrapped store's watch history when the engine
// supports it (memory and etcd do).
func (f *Fence) Compact(ctx context.Context, rev int64) error {
	c, ok := f.s.(interface {
		Compact(ctx context.Context, rev int64) error
	})
	if !ok {
		return fmt.Errorf("fabric: store %T cannot compact its history", f.s)
	}
	return c.Compact(ctx, rev)
}

// Close implements store.Store.
func (f *Fence) Close() error { return f.s.Close() }
