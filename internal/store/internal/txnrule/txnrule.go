// Package txnrule holds the transaction rules every store engine shares:
// validation of a batch of operations and the evaluation of each operation's
// condition against the state of the keys it touches. Keeping them in one
// place makes the engines agree on which operation a failed transaction
// reports.
package txnrule

import (
	"errors"
	"fmt"

	"github.com/privlink/privlink/internal/store"
)

// ErrInvalid marks a request that no engine accepts (empty key, unknown op
// kind, negative revision, a key written twice in one transaction).
var ErrInvalid = errors.New("store: invalid request")

// ValidateKey checks a single key.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalid)
	}
	return nil
}

// ValidateRev checks a guard revision (0 means unguarded).
func ValidateRev(rev int64) error {
	if rev < 0 {
		return fmt.Errorf("%w: negative revision %d", ErrInvalid, rev)
	}
	return nil
}

// Writes reports whether the op kind writes (puts or deletes) its key.
func Writes(k store.OpKind) bool {
	switch k {
	case store.OpCreate, store.OpUpdate, store.OpPut, store.OpDelete:
		return true
	}
	return false
}

// usesRev reports whether the op kind reads Op.Rev (create and put ignore it).
func usesRev(k store.OpKind) bool {
	return k == store.OpUpdate || k == store.OpDelete || k == store.OpCheck
}

// Validate checks a transaction's operations: known kinds, non-empty keys,
// non-negative guard revisions and at most one write per key (etcd refuses a
// transaction that writes the same key twice; the memory engine follows).
func Validate(ops []store.Op) error {
	written := make(map[string]int, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case store.OpCreate, store.OpUpdate, store.OpPut, store.OpDelete, store.OpCheck:
		default:
			return fmt.Errorf("%w: op %d has unknown kind %s", ErrInvalid, i, op.Kind)
		}
		if err := ValidateKey(op.Key); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if usesRev(op.Kind) {
			if err := ValidateRev(op.Rev); err != nil {
				return fmt.Errorf("op %d (%s %q): %w", i, op.Kind, op.Key, err)
			}
		}
		if !Writes(op.Kind) {
			continue
		}
		if j, dup := written[op.Key]; dup {
			return fmt.Errorf("%w: ops %d and %d both write key %q", ErrInvalid, j, i, op.Key)
		}
		written[op.Key] = i
	}
	return nil
}

// State is what an engine knows about a key when evaluating conditions.
type State struct {
	Exists      bool
	ModRevision int64
}

// Lookup returns the pre-transaction state of a key.
type Lookup func(key string) State

// Check evaluates op's condition against st and returns nil when it holds,
// otherwise an error wrapping store.ErrNotFound, store.ErrExists or
// store.ErrConflict.
func Check(op store.Op, st State) error {
	switch op.Kind {
	case store.OpCreate:
		if st.Exists {
			return fmt.Errorf("%w (mod revision %d)", store.ErrExists, st.ModRevision)
		}
	case store.OpUpdate, store.OpDelete:
		if !st.Exists {
			return store.ErrNotFound
		}
		if op.Rev != 0 && st.ModRevision != op.Rev {
			return fmt.Errorf("%w: key is at revision %d, expected %d", store.ErrConflict, st.ModRevision, op.Rev)
		}
	case store.OpCheck:
		if op.Rev == 0 {
			if st.Exists {
				return fmt.Errorf("%w (mod revision %d)", store.ErrExists, st.ModRevision)
			}
			return nil
		}
		if !st.Exists {
			return store.ErrNotFound
		}
		if st.ModRevision != op.Rev {
			return fmt.Errorf("%w: key is at revision %d, expected %d", store.ErrConflict, st.ModRevision, op.Rev)
		}
	}
	return nil
}

// FirstFailure returns a *store.TxnError for the first op (in order) whose
// condition does not hold against the pre-transaction state, or nil when
// every condition holds.
func FirstFailure(ops []store.Op, lookup Lookup) *store.TxnError {
	for i, op := range ops {
		if err := Check(op, lookup(op.Key)); err != nil {
			return &store.TxnError{Index: i, Op: op, Err: err}
		}
	}
	return nil
}

// Single turns the *store.TxnError of a one-op transaction into the error a
// single-key method (Create, Update, Delete) returns; other errors pass
// through unchanged.
func Single(err error) error {
	var te *store.TxnError
	if errors.As(err, &te) {
		return fmt.Errorf("%s %q: %w", te.Op.Kind, te.Op.Key, te.Err)
	}
	return err
}
