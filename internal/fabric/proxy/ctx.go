package proxy

import (
	"context"
	"sync"
	"time"
)

// lazyTimeout is context.WithTimeout(parent, d) that builds the timer and
// the link to the parent's cancellation only when something waits on it
// (Done or AfterFunc). Most decisions never wait: the read-your-writes
// fence has usually passed already and the destination is usually an
// address. Until then Err reports the parent's error or the deadline
// from the clock, so the context behaves the same either way.
//
// context.WithTimeout on the proxy's context costs every connection a
// timer and a lock on that shared parent (its children map), which the
// CPU profile of connection setup showed under concurrency.
type lazyTimeout struct {
	parent   context.Context
	deadline time.Time

	mu     sync.Mutex
	ctx    context.Context // built on first wait
	cancel context.CancelFunc
}

func newLazyTimeout(parent context.Context, d time.Duration) *lazyTimeout {
	dl := time.Now().Add(d)
	if pd, ok := parent.Deadline(); ok && pd.Before(dl) {
		dl = pd
	}
	return &lazyTimeout{parent: parent, deadline: dl}
}

func (c *lazyTimeout) real() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithDeadline(c.parent, c.deadline)
	}
	return c.ctx
}

// Deadline implements context.Context.
func (c *lazyTimeout) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context.
func (c *lazyTimeout) Done() <-chan struct{} { return c.real().Done() }

// Err implements context.Context.
func (c *lazyTimeout) Err() error {
	c.mu.Lock()
	ctx := c.ctx
	c.mu.Unlock()
	if ctx != nil {
		return ctx.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value implements context.Context.
func (c *lazyTimeout) Value(key any) any { return c.parent.Value(key) }

// AfterFunc lets context.AfterFunc and contexts derived from this one
// follow its cancellation without a goroutine of their own.
func (c *lazyTimeout) AfterFunc(f func()) func() bool { return context.AfterFunc(c.real(), f) }

// release frees the timer, if one was built (the CancelFunc of
// context.WithTimeout).
func (c *lazyTimeout) release() {
	c.mu.Lock()
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
