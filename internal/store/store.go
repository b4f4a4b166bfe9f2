// Package store defines privlink's storage interface: a small, etcd-shaped
// key-value API (get, list by prefix, revision-guarded create/update/delete,
// multi-key transactions and watches from a revision). Engines live in
// sub-packages: memory (tests), etcd (embedded default and external cluster).
package store

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors. Engines wrap them (errors.Is works on the results).
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrExists: a create found the key already present.
	ErrExists = errors.New("store: key already exists")
	// ErrConflict: a guarded write found a different revision than expected.
	ErrConflict = errors.New("store: revision conflict")
	// ErrCompacted: a watch asked for history that is no longer kept.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
)

// KeyValue is one stored entry.
type KeyValue struct {
	Key            string
	Value          []byte
	CreateRevision int64
	ModRevision    int64
}

// OpKind says what a transaction operation does.
type OpKind int

const (
	// OpCreate writes Value at Key; fails with ErrExists if Key exists.
	OpCreate OpKind = iota + 1
	// OpUpdate writes Value at Key; fails with ErrNotFound if it does not
	// exist, and with ErrConflict when Rev != 0 and differs from the key's
	// ModRevision.
	OpUpdate
	// OpPut writes Value at Key whether or not it exists (Rev ignored).
	OpPut
	// OpDelete removes Key; fails with ErrNotFound if absent, and with
	// ErrConflict when Rev != 0 and differs from the key's ModRevision.
	OpDelete
	// OpCheck writes nothing: with Rev == 0 it requires Key to be absent
	// (ErrExists otherwise), with Rev > 0 it requires Key's ModRevision to
	// equal Rev (ErrConflict otherwise, ErrNotFound if absent).
	OpCheck
)

func (k OpKind) String() string {
	switch k {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	case OpCheck:
		return "check"
	}
	return fmt.Sprintf("OpKind(%d)", int(k))
}

// Op is one operation of a transaction.
type Op struct {
	Kind  OpKind
	Key   string
	Value []byte
	Rev   int64
}

// TxnError reports which operation of a transaction failed its condition.
// It wraps one of ErrNotFound, ErrExists or ErrConflict.
type TxnError struct {
	Index int
	Op    Op
	Err   error
}

func (e *TxnError) Error() string {
	return fmt.Sprintf("store: txn op %d (%s %q): %v", e.Index, e.Op.Kind, e.Op.Key, e.Err)
}

func (e *TxnError) Unwrap() error { return e.Err }

// ListOptions narrows a List call.
type ListOptions struct {
	// StartAfter skips keys <= StartAfter (for paging).
	StartAfter string
	// Limit caps the number of returned entries (0 = no limit).
	Limit int
	// KeysOnly leaves Value empty.
	KeysOnly bool
}

// ListResult is the answer to List.
type ListResult struct {
	KVs []KeyValue // sorted by key
	// Revision is the store revision the list was read at; a Watch from it
	// sees every later change.
	Revision int64
	// More is true when Limit cut the result short.
	More bool
}

// EventType is the kind of a watch event.
type EventType int

const (
	// EventPut: a key was created or updated.
	EventPut EventType = iota + 1
	// EventDelete: a key was deleted.
	EventDelete
)

// Event is one change seen by a watch. For deletes KV.Value is the value the
// key held before deletion (engines that cannot provide it leave it empty)
// and KV.ModRevision is the revision of the deletion.
type Event struct {
	Type EventType
	KV   KeyValue
	// Err is set (and the channel closed after it) when the watch fails,
	// e.g. with ErrCompacted.
	Err error
}

// Store is the storage interface every engine implements. All methods are
// safe for concurrent use. Writes are durable when they return without error.
type Store interface {
	// Get returns the entry at key or ErrNotFound.
	Get(ctx context.Context, key string) (KeyValue, error)
	// List returns the entries whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string, opts ListOptions) (ListResult, error)
	// Create writes a new key and returns its revision (ErrExists if present).
	Create(ctx context.Context, key string, value []byte) (int64, error)
	// Update replaces key's value if its ModRevision equals rev (rev 0: any)
	// and returns the new revision.
	Update(ctx context.Context, key string, value []byte, rev int64) (int64, error)
	// Delete removes key if its ModRevision equals rev (rev 0: any).
	Delete(ctx context.Context, key string, rev int64) error
	// Txn applies every op atomically, or none. On a failed condition it
	// returns a *TxnError. It returns the revision of the write.
	Txn(ctx context.Context, ops ...Op) (int64, error)
	// Watch streams changes to keys under prefix with revision > fromRev
	// (fromRev 0: from now on). The channel closes when ctx ends.
	Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error)
	// Close releases the engine.
	Close() error
}
