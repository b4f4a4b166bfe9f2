package controller

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

// Provisioner finishes asynchronous ARM operations. It watches every
// resource record; those left in a non-terminal provisioning state are
// reconciled: the type's Reconcile hook runs (if any), then the record
// becomes Succeeded (or Failed with the hook's error); records in
// Deleting without a hook are deleted with their children.
type Provisioner struct {
	Engine *arm.Engine
	Log    *slog.Logger
	// Batch is how many keys one store transaction completes.
	Batch int
	queue *Queue
}

// NewProvisioner returns a provisioner.
func NewProvisioner(e *arm.Engine, log *slog.Logger) *Provisioner {
	return &Provisioner{Engine: e, Log: log, Batch: 64, queue: NewQueue()}
}

// Run watches the store and works the queue until ctx ends.
func (p *Provisioner) Run(ctx context.Context) error {
	for {
		err := p.watch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.Log.Warn("provisioner watch ended; restarting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (p *Provisioner) watch(ctx context.Context) error {
	s := p.Engine.Store
	res, err := s.List(ctx, "/r/", store.ListOptions{})
	if err != nil {
		return err
	}
	for _, kv := range res.KVs {
		if pending(kv.Value) {
			p.queue.Add(kv.Key)
		}
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.Watch(wctx, "/r/", res.Revision)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.work(wctx)
	}()
	defer func() { <-done }()
	for ev := range ch {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Type == store.EventPut && pending(ev.KV.Value) {
			p.queue.Add(ev.KV.Key)
		}
	}
	return ctx.Err()
}

// pending is a cheap pre-filter on the raw record: only records whose
// engine state is non-terminal need work.
func pending(v []byte) bool {
	s := string(v)
	return strings.Contains(s, `"st":"Updating"`) || strings.Contains(s, `"st":"Creating"`) ||
		strings.Contains(s, `"st":"Deleting"`) || strings.Contains(s, `"st":"Registering"`)
}

func (p *Provisioner) work(ctx context.Context) {
	for {
		keys := p.queue.Take(ctx, p.Batch)
		if keys == nil {
			return
		}
		p.reconcile(ctx, keys)
		p.queue.Done(keys...)
	}
}

func (p *Provisioner) reconcile(ctx context.Context, keys []string) {
	var simple []string
	for _, k := range keys {
		rec, err := p.Engine.GetRecord(ctx, strings.TrimPrefix(k, "/r"))
		if err != nil {
			p.Log.Error("reconcile read", "key", k, "err", err)
			continue
		}
		if rec == nil || arm.Terminal(rec.State) {
			continue
		}
		id, err := arm.ParseID(rec.Resource.ID)
		if err != nil {
			continue
		}
		spec, _ := p.Engine.Registry.Lookup(id.Type())
		if spec != nil && spec.Reconcile != nil {
			if err := p.Engine.ReconcileOne(ctx, spec, id, rec); err != nil && ctx.Err() == nil {
				p.Log.Error("reconcile", "id", rec.Resource.ID, "err", err)
			}
			continue
		}
		simple = append(simple, rec.Resource.ID)
	}
	if len(simple) == 0 {
		return
	}
	if err := p.Engine.CompleteMany(ctx, simple); err != nil && ctx.Err() == nil {
		p.Log.Error("complete operations", "count", len(simple), "err", err)
	}
}
