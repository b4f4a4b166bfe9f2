package fabric

import (
	"context"
	"errors"
	"testing"

	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
	"github.com/privlink/privlink/internal/store/storetest"
)

// The Fence is a store like any other.
func TestFenceConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return NewFence(memory.New()) })
}

func TestFenceTracksResourceWrites(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	f := NewFence(mem)
	if f.Revision() != 0 || f.Unwrap() != mem {
		t.Fatal("new fence")
	}
	expect := func(what string, want int64) {
		t.Helper()
		if got := f.Revision(); got != want {
			t.Fatalf("%s: fence at %d, want %d", what, got, want)
		}
	}

	r1, err := f.Create(ctx, "/r/a", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	expect("create", r1)
	if _, err := f.Create(ctx, "/x/a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	expect("create outside /r/", r1)
	if _, err := f.Create(ctx, "/r/a", []byte("2")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("create existing: %v", err)
	}
	expect("failed create", r1)
	r2, err := f.Update(ctx, "/r/a", []byte("2"), r1)
	if err != nil {
		t.Fatal(err)
	}
	expect("update", r2)
	if _, err := f.Update(ctx, "/r/a", []byte("3"), r1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	if _, err := f.Txn(ctx, store.Op{Kind: store.OpCheck, Key: "/r/a", Rev: r2}, store.Op{Kind: store.OpPut, Key: "/y/b", Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	expect("txn writing no resource", r2)
	r3, err := f.Txn(ctx, store.Op{Kind: store.OpPut, Key: "/x/c", Value: []byte("1")}, store.Op{Kind: store.OpPut, Key: "/r/c", Value: []byte("1")})
	if err != nil {
		t.Fatal(err)
	}
	expect("txn", r3)

	// Delete learns its revision.
	if _, err := f.Create(ctx, "/x/other", []byte("1")); err != nil { // moves the store on
		t.Fatal(err)
	}
	if err := f.Delete(ctx, "/r/c", 0); err != nil {
		t.Fatal(err)
	}
	expect("delete", mem.Revision())
	rd := mem.Revision()
	if err := f.Delete(ctx, "/r/c", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	var te *store.TxnError
	if err := f.Delete(ctx, "/r/a", r1); !errors.Is(err, store.ErrConflict) || errors.As(err, &te) {
		t.Fatalf("stale delete: %v", err)
	}
	if err := f.Delete(ctx, "/x/a", 0); err != nil {
		t.Fatal(err)
	}
	expect("failed deletes and a delete outside /r/", rd)
}
