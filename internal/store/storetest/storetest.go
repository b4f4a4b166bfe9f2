// Package storetest is a conformance suite for store.Store engines. An
// engine's tests call Run with a constructor; every subtest gets a fresh,
// empty store (engines sharing a backend give each store its own
// namespace).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/store"
)

// Compactor is implemented by engines that can discard watch history on
// demand; Run then also checks that a watch from a compacted revision fails
// with store.ErrCompacted.
type Compactor interface {
	Compact(ctx context.Context, rev int64) error
}

// Timeout bounds every operation of the suite.
const Timeout = 30 * time.Second

// quiet is how long the suite waits to be sure no unexpected event arrives.
const quiet = 150 * time.Millisecond

// Run runs the conformance suite. newStore must return an empty store and
// arrange for its cleanup (Close may be called on it before that).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"GetMissing", testGetMissing},
		{"CreateGet", testCreateGet},
		{"CreateExists", testCreateExists},
		{"Update", testUpdate},
		{"UpdateMissing", testUpdateMissing},
		{"UpdateGuard", testUpdateGuard},
		{"Delete", testDelete},
		{"DeleteGuard", testDeleteGuard},
		{"Recreate", testRecreate},
		{"Revisions", testRevisions},
		{"EmptyValue", testEmptyValue},
		{"ValueIsolation", testValueIsolation},
		{"InvalidKey", testInvalidKey},
		{"TxnCommit", testTxnCommit},
		{"TxnAtomicity", testTxnAtomicity},
		{"TxnCheck", testTxnCheck},
		{"TxnCheckGuardsWrite", testTxnCheckGuardsWrite},
		{"TxnPut", testTxnPut},
		{"TxnEmpty", testTxnEmpty},
		{"TxnDuplicateWrite", testTxnDuplicateWrite},
		{"List", testList},
		{"ListKeysOnly", testListKeysOnly},
		{"ListPaging", testListPaging},
		{"ListStartAfter", testListStartAfter},
		{"ListRevision", testListRevision},
		{"WatchFromRevision", testWatchFromRevision},
		{"WatchFromNow", testWatchFromNow},
		{"WatchFromListRevision", testWatchFromListRevision},
		{"WatchTxn", testWatchTxn},
		{"WatchCancel", testWatchCancel},
		{"WatchCompacted", testWatchCompacted},
		{"ConcurrentIncrement", testConcurrentIncrement},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentTx", testConcurrentTx},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

func mustCreate(t *testing.T, s store.Store, key, value string) int64 {
	t.Helper()
	rev, err := s.Create(ctxT(t), key, []byte(value))
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if rev <= 0 {
		t.Fatalf("Create(%q) returned revision %d", key, rev)
	}
	return rev
}

func mustGet(t *testing.T, s store.Store, key string) store.KeyValue {
	t.Helper()
	kv, err := s.Get(ctxT(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if kv.Key != key {
		t.Fatalf("Get(%q) returned key %q", key, kv.Key)
	}
	return kv
}

func wantValue(t *testing.T, s store.Store, key, value string) store.KeyValue {
	t.Helper()
	kv := mustGet(t, s, key)
	if string(kv.Value) != value {
		t.Fatalf("Get(%q) = %q, want %q", key, kv.Value, value)
	}
	return kv
}

func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	kv, err := s.Get(ctxT(t), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %+v, %v; want ErrNotFound", key, kv, err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func wantTxnErr(t *testing.T, err error, index int, target error) {
	t.Helper()
	var te *store.TxnError
	if !errors.As(err, &te) {
		t.Fatalf("Txn err = %v (%T), want *store.TxnError", err, err)
	}
	if te.Index != index {
		t.Fatalf("TxnError.Index = %d, want %d (%v)", te.Index, index, err)
	}
	if !errors.Is(err, target) {
		t.Fatalf("Txn err = %v, want %v", err, target)
	}
}

// currentRev reads the store revision through an empty List.
func currentRev(t *testing.T, s store.Store) int64 {
	t.Helper()
	res, err := s.List(ctxT(t), "\xff\xfe-no-such-prefix/", store.ListOptions{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return res.Revision
}

func testGetMissing(t *testing.T, s store.Store) {
	wantMissing(t, s, "missing")
}

func testCreateGet(t *testing.T, s store.Store) {
	rev := mustCreate(t, s, "a", "one")
	kv := wantValue(t, s, "a", "one")
	if kv.CreateRevision != rev || kv.ModRevision != rev {
		t.Fatalf("revisions = create %d mod %d, want both %d", kv.CreateRevision, kv.ModRevision, rev)
	}
}

func testCreateExists(t *testing.T, s store.Store) {
	rev := mustCreate(t, s, "a", "one")
	_, err := s.Create(ctxT(t), "a", []byte("two"))
	wantErr(t, "second Create", err, store.ErrExists)
	if kv := wantValue(t, s, "a", "one"); kv.ModRevision != rev {
		t.Fatalf("ModRevision = %d after failed create, want %d", kv.ModRevision, rev)
	}
}

func testUpdate(t *testing.T, s store.Store) {
	c := mustCreate(t, s, "a", "one")
	u, err := s.Update(ctxT(t), "a", []byte("two"), 0)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if u <= c {
		t.Fatalf("Update revision %d not after create revision %d", u, c)
	}
	kv := wantValue(t, s, "a", "two")
	if kv.CreateRevision != c || kv.ModRevision != u {
		t.Fatalf("revisions = create %d mod %d, want create %d mod %d", kv.CreateRevision, kv.ModRevision, c, u)
	}
}

func testUpdateMissing(t *testing.T, s store.Store) {
	_, err := s.Update(ctxT(t), "a", []byte("x"), 0)
	wantErr(t, "Update(missing, 0)", err, store.ErrNotFound)
	_, err = s.Update(ctxT(t), "a", []byte("x"), 5)
	wantErr(t, "Update(missing, 5)", err, store.ErrNotFound)
	wantMissing(t, s, "a")
}

func testUpdateGuard(t *testing.T, s store.Store) {
	c := mustCreate(t, s, "a", "one")
	u, err := s.Update(ctxT(t), "a", []byte("two"), c)
	if err != nil {
		t.Fatalf("Update at current revision: %v", err)
	}
	_, err = s.Update(ctxT(t), "a", []byte("three"), c)
	wantErr(t, "Update at stale revision", err, store.ErrConflict)
	if kv := wantValue(t, s, "a", "two"); kv.ModRevision != u {
		t.Fatalf("ModRevision = %d, want %d", kv.ModRevision, u)
	}
	if _, err := s.Update(ctxT(t), "a", []byte("three"), u); err != nil {
		t.Fatalf("Update at current revision: %v", err)
	}
	wantValue(t, s, "a", "three")
}

func testDelete(t *testing.T, s store.Store) {
	mustCreate(t, s, "a", "one")
	mustCreate(t, s, "ab", "two")
	if err := s.Delete(ctxT(t), "a", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "a")
	wantValue(t, s, "ab", "two")
	wantErr(t, "second Delete", s.Delete(ctxT(t), "a", 0), store.ErrNotFound)
	wantErr(t, "guarded Delete of missing key", s.Delete(ctxT(t), "a", 3), store.ErrNotFound)
}

func testDeleteGuard(t *testing.T, s store.Store) {
	c := mustCreate(t, s, "a", "one")
	u, err := s.Update(ctxT(t), "a", []byte("two"), 0)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantErr(t, "Delete at stale revision", s.Delete(ctxT(t), "a", c), store.ErrConflict)
	wantValue(t, s, "a", "two")
	if err := s.Delete(ctxT(t), "a", u); err != nil {
		t.Fatalf("Delete at current revision: %v", err)
	}
	wantMissing(t, s, "a")
}

func testRecreate(t *testing.T, s store.Store) {
	c1 := mustCreate(t, s, "a", "one")
	if err := s.Delete(ctxT(t), "a", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	c2 := mustCreate(t, s, "a", "two")
	if c2 <= c1 {
		t.Fatalf("re-create revision %d not after %d", c2, c1)
	}
	if kv := wantValue(t, s, "a", "two"); kv.CreateRevision != c2 {
		t.Fatalf("CreateRevision = %d after re-create, want %d", kv.CreateRevision, c2)
	}
	// A guard taken before the delete must not match the new incarnation.
	_, err := s.Update(ctxT(t), "a", []byte("three"), c1)
	wantErr(t, "Update with revision of deleted incarnation", err, store.ErrConflict)
}

func testRevisions(t *testing.T, s store.Store) {
	last := currentRev(t, s)
	if last <= 0 {
		t.Fatalf("initial revision %d, want > 0", last)
	}
	for i := range 5 {
		k := "k" + strconv.Itoa(i)
		r := mustCreate(t, s, k, "v")
		if r <= last {
			t.Fatalf("Create %s revision %d not after %d", k, r, last)
		}
		last = r
		r, err := s.Update(ctxT(t), k, []byte("w"), r)
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		if r <= last {
			t.Fatalf("Update %s revision %d not after %d", k, r, last)
		}
		last = r
	}
	if cur := currentRev(t, s); cur < last {
		t.Fatalf("List revision %d behind last write %d", cur, last)
	}
	// Failed writes do not move the keys.
	_, err := s.Create(ctxT(t), "k0", []byte("x"))
	wantErr(t, "Create existing", err, store.ErrExists)
	if kv := mustGet(t, s, "k0"); kv.ModRevision > last {
		t.Fatalf("failed Create moved ModRevision to %d", kv.ModRevision)
	}
}

func testEmptyValue(t *testing.T, s store.Store) {
	mustCreate(t, s, "nil", "")
	if _, err := s.Create(ctxT(t), "empty", []byte{}); err != nil {
		t.Fatalf("Create empty: %v", err)
	}
	for _, k := range []string{"nil", "empty"} {
		if kv := mustGet(t, s, k); len(kv.Value) != 0 {
			t.Fatalf("Get(%q) = %q, want empty", k, kv.Value)
		}
	}
}

func testValueIsolation(t *testing.T, s store.Store) {
	v := []byte("original")
	if _, err := s.Create(ctxT(t), "a", v); err != nil {
		t.Fatalf("Create: %v", err)
	}
	copy(v, "XXXXXXXX")
	kv := wantValue(t, s, "a", "original")
	copy(kv.Value, "YYYYYYYY")
	wantValue(t, s, "a", "original")
	res, err := s.List(ctxT(t), "", store.ListOptions{})
	if err != nil || len(res.KVs) != 1 {
		t.Fatalf("List = %+v, %v", res, err)
	}
	copy(res.KVs[0].Value, "ZZZZZZZZ")
	wantValue(t, s, "a", "original")
}

func testInvalidKey(t *testing.T, s store.Store) {
	if _, err := s.Create(ctxT(t), "", []byte("x")); err == nil {
		t.Fatal("Create with empty key succeeded")
	}
	if _, err := s.Txn(ctxT(t), store.Op{Kind: store.OpPut, Key: ""}); err == nil {
		t.Fatal("Txn put with empty key succeeded")
	}
	if _, err := s.Txn(ctxT(t), store.Op{Kind: store.OpKind(99), Key: "a"}); err == nil {
		t.Fatal("Txn with unknown op kind succeeded")
	}
	if res, err := s.List(ctxT(t), "", store.ListOptions{}); err != nil || len(res.KVs) != 0 {
		t.Fatalf("after invalid writes List = %+v, %v; want empty", res.KVs, err)
	}
}

func testTxnCommit(t *testing.T, s store.Store) {
	ra := mustCreate(t, s, "a", "a1")
	mustCreate(t, s, "d", "d1")
	rev, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpCreate, Key: "b", Value: []byte("b1")},
		store.Op{Kind: store.OpUpdate, Key: "a", Value: []byte("a2"), Rev: ra},
		store.Op{Kind: store.OpDelete, Key: "d"},
		store.Op{Kind: store.OpPut, Key: "e", Value: []byte("e1")},
	)
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	for k, v := range map[string]string{"a": "a2", "b": "b1", "e": "e1"} {
		if kv := wantValue(t, s, k, v); kv.ModRevision != rev {
			t.Fatalf("%s ModRevision = %d, want txn revision %d", k, kv.ModRevision, rev)
		}
	}
	wantMissing(t, s, "d")
	if cur := currentRev(t, s); cur != rev {
		t.Fatalf("revision after txn = %d, want %d (one revision per txn)", cur, rev)
	}
}

func testTxnAtomicity(t *testing.T, s store.Store) {
	ra := mustCreate(t, s, "a", "a1")
	ra2, err := s.Update(ctxT(t), "a", []byte("a2"), ra)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	before := currentRev(t, s)
	cases := []struct {
		name   string
		ops    []store.Op
		index  int
		target error
	}{
		{"stale update last", []store.Op{
			{Kind: store.OpCreate, Key: "b", Value: []byte("b")},
			{Kind: store.OpPut, Key: "c", Value: []byte("c")},
			{Kind: store.OpUpdate, Key: "a", Value: []byte("x"), Rev: ra},
		}, 2, store.ErrConflict},
		{"create existing", []store.Op{
			{Kind: store.OpCreate, Key: "b", Value: []byte("b")},
			{Kind: store.OpCreate, Key: "a", Value: []byte("x")},
		}, 1, store.ErrExists},
		{"delete missing first", []store.Op{
			{Kind: store.OpDelete, Key: "zz"},
			{Kind: store.OpPut, Key: "c", Value: []byte("c")},
		}, 0, store.ErrNotFound},
		{"update missing", []store.Op{
			{Kind: store.OpPut, Key: "c", Value: []byte("c")},
			{Kind: store.OpUpdate, Key: "zz", Value: []byte("x")},
		}, 1, store.ErrNotFound},
		{"two failures report the first", []store.Op{
			{Kind: store.OpDelete, Key: "a", Rev: ra},
			{Kind: store.OpCreate, Key: "a2", Value: []byte("x")},
			{Kind: store.OpCheck, Key: "a"},
		}, 0, store.ErrConflict},
	}
	for _, tc := range cases {
		_, err := s.Txn(ctxT(t), tc.ops...)
		wantTxnErr(t, err, tc.index, tc.target)
		var te *store.TxnError
		errors.As(err, &te)
		if te.Op.Key != tc.ops[tc.index].Key || te.Op.Kind != tc.ops[tc.index].Kind {
			t.Fatalf("%s: TxnError.Op = %+v, want %+v", tc.name, te.Op, tc.ops[tc.index])
		}
	}
	for _, k := range []string{"b", "c", "a2", "zz"} {
		wantMissing(t, s, k)
	}
	if kv := wantValue(t, s, "a", "a2"); kv.ModRevision != ra2 {
		t.Fatalf("a ModRevision = %d, want %d", kv.ModRevision, ra2)
	}
	if cur := currentRev(t, s); cur != before {
		t.Fatalf("failed txns moved the revision from %d to %d", before, cur)
	}
}

func testTxnCheck(t *testing.T, s store.Store) {
	ra := mustCreate(t, s, "a", "a1")
	before := currentRev(t, s)
	ok := [][]store.Op{
		{{Kind: store.OpCheck, Key: "missing"}},
		{{Kind: store.OpCheck, Key: "a", Rev: ra}},
		{{Kind: store.OpCheck, Key: "a", Rev: ra}, {Kind: store.OpCheck, Key: "missing"}},
	}
	for _, ops := range ok {
		rev, err := s.Txn(ctxT(t), ops...)
		if err != nil {
			t.Fatalf("Txn(%+v): %v", ops, err)
		}
		if rev != before {
			t.Fatalf("check-only Txn returned revision %d, want current %d", rev, before)
		}
	}
	_, err := s.Txn(ctxT(t), store.Op{Kind: store.OpCheck, Key: "a"})
	wantTxnErr(t, err, 0, store.ErrExists)
	_, err = s.Txn(ctxT(t), store.Op{Kind: store.OpCheck, Key: "a", Rev: ra + 1000})
	wantTxnErr(t, err, 0, store.ErrConflict)
	_, err = s.Txn(ctxT(t), store.Op{Kind: store.OpCheck, Key: "a", Rev: ra}, store.Op{Kind: store.OpCheck, Key: "missing", Rev: ra})
	wantTxnErr(t, err, 1, store.ErrNotFound)
	if cur := currentRev(t, s); cur != before {
		t.Fatalf("check-only txns moved the revision from %d to %d", before, cur)
	}
}

func testTxnCheckGuardsWrite(t *testing.T, s store.Store) {
	rp := mustCreate(t, s, "parent", "p")
	if _, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpCheck, Key: "parent", Rev: rp},
		store.Op{Kind: store.OpCreate, Key: "parent/child1", Value: []byte("c1")},
	); err != nil {
		t.Fatalf("guarded create: %v", err)
	}
	if _, err := s.Update(ctxT(t), "parent", []byte("p2"), rp); err != nil {
		t.Fatalf("Update parent: %v", err)
	}
	_, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpCheck, Key: "parent", Rev: rp},
		store.Op{Kind: store.OpCreate, Key: "parent/child2", Value: []byte("c2")},
	)
	wantTxnErr(t, err, 0, store.ErrConflict)
	wantValue(t, s, "parent/child1", "c1")
	wantMissing(t, s, "parent/child2")
}

func testTxnPut(t *testing.T, s store.Store) {
	r1, err := s.Txn(ctxT(t), store.Op{Kind: store.OpPut, Key: "a", Value: []byte("one"), Rev: 12345})
	if err != nil {
		t.Fatalf("Put absent: %v", err)
	}
	kv := wantValue(t, s, "a", "one")
	if kv.CreateRevision != r1 || kv.ModRevision != r1 {
		t.Fatalf("revisions = %d/%d, want %d", kv.CreateRevision, kv.ModRevision, r1)
	}
	r2, err := s.Txn(ctxT(t), store.Op{Kind: store.OpPut, Key: "a", Value: []byte("two"), Rev: 1})
	if err != nil {
		t.Fatalf("Put present: %v", err)
	}
	kv = wantValue(t, s, "a", "two")
	if kv.CreateRevision != r1 || kv.ModRevision != r2 || r2 <= r1 {
		t.Fatalf("revisions = %d/%d, want %d/%d", kv.CreateRevision, kv.ModRevision, r1, r2)
	}
}

func testTxnEmpty(t *testing.T, s store.Store) {
	mustCreate(t, s, "a", "a")
	before := currentRev(t, s)
	rev, err := s.Txn(ctxT(t))
	if err != nil {
		t.Fatalf("empty Txn: %v", err)
	}
	if rev != before {
		t.Fatalf("empty Txn revision = %d, want %d", rev, before)
	}
}

func testTxnDuplicateWrite(t *testing.T, s store.Store) {
	_, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpPut, Key: "a", Value: []byte("1")},
		store.Op{Kind: store.OpPut, Key: "a", Value: []byte("2")},
	)
	if err == nil {
		t.Fatal("Txn writing one key twice succeeded")
	}
	var te *store.TxnError
	if errors.As(err, &te) {
		t.Fatalf("duplicate write reported as a failed condition: %v", err)
	}
	wantMissing(t, s, "a")
	// A check and a write of the same key are fine.
	if _, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpCheck, Key: "a"},
		store.Op{Kind: store.OpCreate, Key: "a", Value: []byte("1")},
	); err != nil {
		t.Fatalf("check+create of one key: %v", err)
	}
}

func keysOf(kvs []store.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = kv.Key
	}
	return out
}

// seed writes keys (value = "v:"+key) in a scrambled order.
func seed(t *testing.T, s store.Store, keys ...string) map[string]int64 {
	t.Helper()
	revs := make(map[string]int64, len(keys))
	order := slices.Clone(keys)
	for i := range order {
		j := (i*7 + 3) % len(order)
		order[i], order[j] = order[j], order[i]
	}
	for _, k := range order {
		revs[k] = mustCreate(t, s, k, "v:"+k)
	}
	return revs
}

func testList(t *testing.T, s store.Store) {
	revs := seed(t, s, "a", "a/1", "a/2", "a/10", "a/b/x", "ab", "b/1", "a\xff")
	res, err := s.List(ctxT(t), "a/", store.ListOptions{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []string{"a/1", "a/10", "a/2", "a/b/x"}
	if got := keysOf(res.KVs); !slices.Equal(got, want) {
		t.Fatalf("List(a/) keys = %q, want %q", got, want)
	}
	if res.More {
		t.Fatal("List without limit reported More")
	}
	for _, kv := range res.KVs {
		if string(kv.Value) != "v:"+kv.Key || kv.ModRevision != revs[kv.Key] || kv.CreateRevision != revs[kv.Key] {
			t.Fatalf("List entry %+v, want value %q revision %d", kv, "v:"+kv.Key, revs[kv.Key])
		}
	}
	res, err = s.List(ctxT(t), "", store.ListOptions{})
	if err != nil {
		t.Fatalf("List all: %v", err)
	}
	all := []string{"a", "a/1", "a/10", "a/2", "a/b/x", "ab", "a\xff", "b/1"}
	if got := keysOf(res.KVs); !slices.Equal(got, all) {
		t.Fatalf("List('') keys = %q, want %q", got, all)
	}
	res, err = s.List(ctxT(t), "c/", store.ListOptions{})
	if err != nil || len(res.KVs) != 0 || res.More || res.Revision <= 0 {
		t.Fatalf("List(c/) = %+v, %v; want empty with a revision", res, err)
	}
	if _, err := s.List(ctxT(t), "", store.ListOptions{Limit: -1}); err == nil {
		t.Fatal("List with negative limit succeeded")
	}
}

func testListKeysOnly(t *testing.T, s store.Store) {
	revs := seed(t, s, "p/a", "p/b")
	res, err := s.List(ctxT(t), "p/", store.ListOptions{KeysOnly: true})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := keysOf(res.KVs); !slices.Equal(got, []string{"p/a", "p/b"}) {
		t.Fatalf("keys = %q", got)
	}
	for _, kv := range res.KVs {
		if len(kv.Value) != 0 {
			t.Fatalf("KeysOnly entry %q has value %q", kv.Key, kv.Value)
		}
		if kv.ModRevision != revs[kv.Key] || kv.CreateRevision != revs[kv.Key] {
			t.Fatalf("KeysOnly entry %+v lacks revisions (want %d)", kv, revs[kv.Key])
		}
	}
}

func testListPaging(t *testing.T, s store.Store) {
	var keys []string
	for i := range 23 {
		keys = append(keys, fmt.Sprintf("page/%03d", i))
	}
	seed(t, s, keys...)
	mustCreate(t, s, "pagf", "outside")
	mustCreate(t, s, "pag", "outside")
	for _, limit := range []int{1, 5, 10, 23, 50} {
		var got []string
		after := ""
		pages := 0
		for {
			res, err := s.List(ctxT(t), "page/", store.ListOptions{StartAfter: after, Limit: limit})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			pages++
			if len(res.KVs) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(res.KVs))
			}
			got = append(got, keysOf(res.KVs)...)
			if !res.More {
				break
			}
			if len(res.KVs) != limit {
				t.Fatalf("limit %d: short page of %d with More", limit, len(res.KVs))
			}
			after = res.KVs[len(res.KVs)-1].Key
			if pages > 100 {
				t.Fatal("paging does not terminate")
			}
		}
		if !slices.Equal(got, keys) {
			t.Fatalf("limit %d: paged keys = %q, want %q", limit, got, keys)
		}
		if want := (len(keys) + limit - 1) / limit; pages != want && pages != want+1 {
			t.Fatalf("limit %d: %d pages, want %d", limit, pages, want)
		}
		if limit == 23 && pages != 1 {
			t.Fatalf("exact limit reported More (%d pages)", pages)
		}
	}
}

func testListStartAfter(t *testing.T, s store.Store) {
	seed(t, s, "q", "q/a", "q/b", "q/c", "r")
	cases := []struct {
		after string
		want  []string
	}{
		{"", []string{"q/a", "q/b", "q/c"}},
		{"a", []string{"q/a", "q/b", "q/c"}},    // before the prefix
		{"q/", []string{"q/a", "q/b", "q/c"}},   // the prefix itself
		{"q/a", []string{"q/b", "q/c"}},         // an existing key
		{"q/aa", []string{"q/b", "q/c"}},        // between keys
		{"q/c", nil},                            // the last key
		{"zzz", nil},                            // after the prefix range
		{"q/b\x00", []string{"q/c"}},            // just after a key
		{"q/\xff", nil},                         // beyond every key
		{"q/a\xff\xff", []string{"q/b", "q/c"}}, // high bytes
	}
	for _, tc := range cases {
		res, err := s.List(ctxT(t), "q/", store.ListOptions{StartAfter: tc.after})
		if err != nil {
			t.Fatalf("List after %q: %v", tc.after, err)
		}
		if got := keysOf(res.KVs); !slices.Equal(got, tc.want) {
			t.Fatalf("List(q/, after %q) = %q, want %q", tc.after, got, tc.want)
		}
	}
}

func testListRevision(t *testing.T, s store.Store) {
	mustCreate(t, s, "x/1", "a")
	r := mustCreate(t, s, "y/1", "b")
	res, err := s.List(ctxT(t), "x/", store.ListOptions{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if res.Revision != r {
		t.Fatalf("List revision = %d, want latest write %d", res.Revision, r)
	}
}

// recv reads n events from ch or fails.
func recv(t *testing.T, ch <-chan store.Event, n int) []store.Event {
	t.Helper()
	var out []store.Event
	timer := time.NewTimer(Timeout)
	defer timer.Stop()
	for len(out) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("watch closed after %d of %d events: %+v", len(out), n, out)
			}
			if ev.Err != nil {
				t.Fatalf("watch error after %d events: %v", len(out), ev.Err)
			}
			out = append(out, ev)
		case <-timer.C:
			t.Fatalf("timed out after %d of %d events: %+v", len(out), n, out)
		}
	}
	return out
}

// noMore asserts that no event arrives for a little while.
func noMore(t *testing.T, ch <-chan store.Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
		t.Fatal("watch closed unexpectedly")
	case <-time.After(quiet):
	}
}

type wantEv struct {
	typ    store.EventType
	key    string
	value  string
	rev    int64
	create int64
}

func checkEvents(t *testing.T, got []store.Event, want []wantEv) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || g.KV.Key != w.key || !bytes.Equal(g.KV.Value, []byte(w.value)) ||
			g.KV.ModRevision != w.rev || (w.create != 0 && g.KV.CreateRevision != w.create) {
			t.Fatalf("event %d = {type %d key %q value %q mod %d create %d}, want {type %d key %q value %q mod %d create %d}",
				i, g.Type, g.KV.Key, g.KV.Value, g.KV.ModRevision, g.KV.CreateRevision,
				w.typ, w.key, w.value, w.rev, w.create)
		}
	}
}

func watchCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	t.Cleanup(cancel)
	return ctx
}

func testWatchFromRevision(t *testing.T, s store.Store) {
	r1 := mustCreate(t, s, "w/a", "a1")
	r2 := mustCreate(t, s, "w/b", "b1")
	mustCreate(t, s, "other/x", "x")
	r3, err := s.Update(ctxT(t), "w/a", []byte("a2"), r1)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Delete(ctxT(t), "w/b", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	r4 := currentRev(t, s)

	ch, err := s.Watch(watchCtx(t), "w/", r1)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	checkEvents(t, recv(t, ch, 3), []wantEv{
		{store.EventPut, "w/b", "b1", r2, r2},
		{store.EventPut, "w/a", "a2", r3, r1},
		{store.EventDelete, "w/b", "b1", r4, 0},
	})
	noMore(t, ch)

	mustCreate(t, s, "other/y", "y")
	r5 := mustCreate(t, s, "w/c", "c1")
	checkEvents(t, recv(t, ch, 1), []wantEv{{store.EventPut, "w/c", "c1", r5, r5}})
	noMore(t, ch)

	// A second watch from a later revision sees only what followed it.
	ch2, err := s.Watch(watchCtx(t), "w/", r3)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	checkEvents(t, recv(t, ch2, 2), []wantEv{
		{store.EventDelete, "w/b", "b1", r4, 0},
		{store.EventPut, "w/c", "c1", r5, r5},
	})
	noMore(t, ch2)
}

func testWatchFromNow(t *testing.T, s store.Store) {
	mustCreate(t, s, "n/old", "old")
	ch, err := s.Watch(watchCtx(t), "n/", 0)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	r := mustCreate(t, s, "n/new", "new")
	checkEvents(t, recv(t, ch, 1), []wantEv{{store.EventPut, "n/new", "new", r, r}})
	if err := s.Delete(ctxT(t), "n/old", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	ev := recv(t, ch, 1)
	checkEvents(t, ev, []wantEv{{store.EventDelete, "n/old", "old", ev[0].KV.ModRevision, 0}})
	if ev[0].KV.ModRevision <= r {
		t.Fatalf("delete event revision %d not after %d", ev[0].KV.ModRevision, r)
	}
	noMore(t, ch)
}

func testWatchFromListRevision(t *testing.T, s store.Store) {
	seed(t, s, "l/1", "l/2")
	res, err := s.List(ctxT(t), "l/", store.ListOptions{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	r := mustCreate(t, s, "l/3", "v:l/3")
	ch, err := s.Watch(watchCtx(t), "l/", res.Revision)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	checkEvents(t, recv(t, ch, 1), []wantEv{{store.EventPut, "l/3", "v:l/3", r, r}})
	noMore(t, ch)
}

func testWatchTxn(t *testing.T, s store.Store) {
	mustCreate(t, s, "t/del", "gone")
	from := currentRev(t, s)
	rev, err := s.Txn(ctxT(t),
		store.Op{Kind: store.OpCreate, Key: "t/b", Value: []byte("b")},
		store.Op{Kind: store.OpDelete, Key: "t/del"},
		store.Op{Kind: store.OpPut, Key: "t/a", Value: []byte("a")},
		store.Op{Kind: store.OpPut, Key: "u/ignored", Value: []byte("u")},
	)
	if err != nil {
		t.Fatalf("Txn: %v", err)
	}
	ch, err := s.Watch(watchCtx(t), "t/", from)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	checkEvents(t, recv(t, ch, 3), []wantEv{
		{store.EventPut, "t/b", "b", rev, rev},
		{store.EventDelete, "t/del", "gone", rev, 0},
		{store.EventPut, "t/a", "a", rev, rev},
	})
	noMore(t, ch)
}

func testWatchCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(ctxT(t))
	ch, err := s.Watch(ctx, "c/", 0)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	cancel()
	mustCreate(t, s, "c/after-cancel", "x")
	deadline := time.After(Timeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if ev.Err == nil && ev.KV.Key != "c/after-cancel" {
				t.Fatalf("unexpected event after cancel: %+v", ev)
			}
		case <-deadline:
			t.Fatal("watch channel not closed after cancel")
		}
	}
}

func testWatchCompacted(t *testing.T, s store.Store) {
	c, ok := s.(Compactor)
	if !ok {
		t.Logf("%T has no Compact method; only the future-revision watch is checked", s)
	}
	r1 := mustCreate(t, s, "cp/a", "1")
	for i := range 5 {
		if _, err := s.Update(ctxT(t), "cp/a", []byte(strconv.Itoa(i)), 0); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	cur := currentRev(t, s)
	if ok {
		if err := c.Compact(ctxT(t), cur); err != nil {
			t.Fatalf("Compact(%d): %v", cur, err)
		}
		ch, err := s.Watch(watchCtx(t), "cp/", r1)
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		select {
		case ev, open := <-ch:
			if !open || ev.Err == nil || !errors.Is(ev.Err, store.ErrCompacted) {
				t.Fatalf("watch from compacted revision: event %+v (open %v), want ErrCompacted", ev, open)
			}
		case <-time.After(Timeout):
			t.Fatal("no event from a watch at a compacted revision")
		}
		select {
		case ev, open := <-ch:
			if open {
				t.Fatalf("event after ErrCompacted: %+v", ev)
			}
		case <-time.After(Timeout):
			t.Fatal("watch channel not closed after ErrCompacted")
		}
	}
	// Watching from the current revision still works.
	ch, err := s.Watch(watchCtx(t), "cp/", cur)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	r, err := s.Update(ctxT(t), "cp/a", []byte("after"), 0)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	checkEvents(t, recv(t, ch, 1), []wantEv{{store.EventPut, "cp/a", "after", r, r1}})
}

func testConcurrentIncrement(t *testing.T, s store.Store) {
	const workers, perWorker = 8, 15
	mustCreate(t, s, "counter", "0")
	ctx := ctxT(t)
	var (
		wg        sync.WaitGroup
		conflicts atomic.Int64
	)
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				for {
					kv, err := s.Get(ctx, "counter")
					if err != nil {
						errs <- err
						return
					}
					n, err := strconv.Atoi(string(kv.Value))
					if err != nil {
						errs <- err
						return
					}
					_, err = s.Update(ctx, "counter", []byte(strconv.Itoa(n+1)), kv.ModRevision)
					if errors.Is(err, store.ErrConflict) {
						conflicts.Add(1)
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	wantValue(t, s, "counter", strconv.Itoa(workers*perWorker))
	t.Logf("%d increments, %d conflicts retried", workers*perWorker, conflicts.Load())
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const workers = 16
	ctx := ctxT(t)
	var wg sync.WaitGroup
	results := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			_, err := s.Create(ctx, "once", []byte(strconv.Itoa(i)))
			results <- err
		})
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrExists):
		default:
			t.Fatalf("Create: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent creates succeeded, want 1", won)
	}
}

// testConcurrentTx runs store.Run read-modify-write transactions (which
// turn into OpCheck/OpCreate/OpUpdate guards) from several goroutines.
func testConcurrentTx(t *testing.T, s store.Store) {
	const workers, perWorker = 4, 10
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				_, err := store.Run(ctx, s, func(tx *store.Tx) error {
					n := 0
					kv, ok, err := tx.Get(ctx, "tx/counter")
					if err != nil {
						return err
					}
					if ok {
						if n, err = strconv.Atoi(string(kv.Value)); err != nil {
							return err
						}
					}
					if _, _, err := tx.Get(ctx, "tx/lock-absent"); err != nil {
						return err
					}
					tx.Put("tx/counter", []byte(strconv.Itoa(n+1)))
					tx.Put(fmt.Sprintf("tx/log/%d-%02d", w, i), []byte(strconv.Itoa(n+1)))
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("store.Run: %v", err)
	}
	wantValue(t, s, "tx/counter", strconv.Itoa(workers*perWorker))
	res, err := s.List(ctx, "tx/log/", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for _, kv := range res.KVs {
		if seen[string(kv.Value)] {
			t.Fatalf("two transactions both saw counter %s", kv.Value)
		}
		seen[string(kv.Value)] = true
	}
	if len(seen) != workers*perWorker {
		t.Fatalf("%d log entries, want %d", len(seen), workers*perWorker)
	}
}

func testClose(t *testing.T, s store.Store) {
	mustCreate(t, s, "a", "a")
	ch, err := s.Watch(watchCtx(t), "", 0)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = s.Get(ctxT(t), "a")
	wantErr(t, "Get after Close", err, store.ErrClosed)
	_, err = s.Create(ctxT(t), "b", nil)
	wantErr(t, "Create after Close", err, store.ErrClosed)
	_, err = s.Txn(ctxT(t), store.Op{Kind: store.OpPut, Key: "b"})
	wantErr(t, "Txn after Close", err, store.ErrClosed)
	_, err = s.List(ctxT(t), "", store.ListOptions{})
	wantErr(t, "List after Close", err, store.ErrClosed)
	_, err = s.Watch(watchCtx(t), "", 0)
	wantErr(t, "Watch after Close", err, store.ErrClosed)
	deadline := time.After(Timeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if ev.Err == nil {
				t.Fatalf("event after Close: %+v", ev)
			}
			wantErr(t, "watch after Close", ev.Err, store.ErrClosed)
		case <-deadline:
			t.Fatal("watch not closed by Close")
		}
	}
}
