package memory

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestConformanceSmallHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := New(WithHistory(64))
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestHistoryBound(t *testing.T) {
	ctx := t.Context()
	s := New(WithHistory(10))
	defer s.Close()
	first, err := s.Create(ctx, "k", []byte("0"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := s.Update(ctx, "k", fmt.Appendf(nil, "%d", i+1), 0); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := s.Watch(ctx, "", first)
	if err != nil {
		t.Fatal(err)
	}
	ev := <-ch
	if !errors.Is(ev.Err, store.ErrCompacted) {
		t.Fatalf("watch from dropped revision: %+v, want ErrCompacted", ev)
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel open after error event")
	}
	// The last 10 events are still there.
	cur := s.Revision()
	ch, err = s.Watch(ctx, "", cur-10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		ev := <-ch
		if ev.Err != nil || ev.KV.ModRevision != cur-9+int64(i) {
			t.Fatalf("event %d = %+v", i, ev)
		}
	}
}

func TestHistoryKeepsWholeTxn(t *testing.T) {
	ctx := t.Context()
	s := New(WithHistory(3))
	defer s.Close()
	before := s.Revision()
	ops := make([]store.Op, 5)
	for i := range ops {
		ops[i] = store.Op{Kind: store.OpPut, Key: fmt.Sprintf("k%d", i)}
	}
	rev, err := s.Txn(ctx, ops...)
	if err != nil {
		t.Fatal(err)
	}
	// The txn alone exceeds the history: it is dropped whole, so a watch
	// from before it must fail rather than see part of it.
	ch, err := s.Watch(ctx, "", before)
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; !errors.Is(ev.Err, store.ErrCompacted) {
		t.Fatalf("got %+v, want ErrCompacted", ev)
	}
	ch, err = s.Watch(ctx, "", rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "next", nil); err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.Err != nil || ev.KV.Key != "next" {
		t.Fatalf("got %+v", ev)
	}
}

// A watcher that does not read keeps the writers going; once it falls out
// of the history it ends with ErrCompacted instead of blocking anyone.
func TestSlowWatcher(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s := New(WithHistory(50))
	defer s.Close()
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if _, err := s.Txn(ctx, store.Op{Kind: store.OpPut, Key: "k", Value: fmt.Appendf(nil, "%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var last int64
	for ev := range ch {
		if ev.Err != nil {
			if !errors.Is(ev.Err, store.ErrCompacted) {
				t.Fatalf("watch error %v, want ErrCompacted", ev.Err)
			}
			return
		}
		if ev.KV.ModRevision != last+1 && last != 0 {
			t.Fatalf("gap: revision %d after %d", ev.KV.ModRevision, last)
		}
		last = ev.KV.ModRevision
	}
	t.Fatal("channel closed without ErrCompacted")
}

func TestCompactErrors(t *testing.T) {
	ctx := t.Context()
	s := New()
	defer s.Close()
	if _, err := s.Create(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, s.Revision()+1); err == nil {
		t.Fatal("compact to a future revision succeeded")
	}
	if err := s.Compact(ctx, s.Revision()); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx, s.Revision()); !errors.Is(err, store.ErrCompacted) {
		t.Fatalf("second compact: %v, want ErrCompacted", err)
	}
}

func BenchmarkCreate(b *testing.B) {
	ctx := b.Context()
	s := New()
	defer s.Close()
	i := 0
	for b.Loop() {
		if _, err := s.Create(ctx, fmt.Sprintf("k/%09d", i), []byte("value")); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
