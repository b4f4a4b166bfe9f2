// Package controller is privlink's reconciler runtime: a de-duplicating
// work queue fed by store watches, and the reconciler that finishes
// long-running ARM operations (provisioningState Updating -> Succeeded or
// Failed, Deleting -> gone).
package controller

import (
	"context"
	"sync"
)

// Queue is a de-duplicating FIFO of keys: a key added while queued is not
// added twice; a key added while being processed is processed again after.
type Queue struct {
	mu         sync.Mutex
	items      []string
	queued     map[string]bool
	processing map[string]bool
	dirty      map[string]bool
	signal     chan struct{}
}

// NewQueue returns an empty queue.
func NewQueue() *Queue {
	return &Queue{queued: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{}, signal: make(chan struct{}, 1)}
}

// Add enqueues key.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.queued[key] {
		return
	}
	q.queued[key] = true
	q.items = append(q.items, key)
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// Take waits for keys and returns up to max of them, marking them in
// processing. It returns nil when ctx ends.
func (q *Queue) Take(ctx context.Context, max int) []string {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			n := min(max, len(q.items))
			out := append([]string(nil), q.items[:n]...)
			q.items = q.items[n:]
			for _, k := range out {
				delete(q.queued, k)
				q.processing[k] = true
			}
			q.mu.Unlock()
			return out
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-q.signal:
		}
	}
}

// Done marks keys processed; keys re-added meanwhile are queued again.
func (q *Queue) Done(keys ...string) {
	q.mu.Lock()
	var again []string
	for _, k := range keys {
		delete(q.processing, k)
		if q.dirty[k] {
			delete(q.dirty, k)
			again = append(again, k)
		}
	}
	q.mu.Unlock()
	for _, k := range again {
		q.Add(k)
	}
}

// Len reports the number of queued keys.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
