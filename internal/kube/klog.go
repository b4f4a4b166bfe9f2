package kube

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"k8s.io/klog/v2"
)

// harmless are klog messages (substrings) that the embedded components log
// in normal operation of privlink's setup: several control planes in one
// process, no kubelets, API servers stopped and started at will.
var harmless = []string{
	"manifest file is empty",
	"not found", // e.g. namespaces "kube-system" not found while bootstrapping
	"duplicate metrics collector registration",
	"context canceled",
	"use of closed network connection",
	"connection refused",
	"Shutting down",
	"http: server closed",
	"apiserver was unable to write a JSON response",
	"timeout or abort while handling",
	// A controller-manager stopping while its controllers start.
	"Unable to sync caches",
	"broadcaster already stopped",
	// Two controller-managers starting at once; Start retries.
	"failed to create informer name",
}

// klogTarget is where klog's output goes: the logger of the last Manager
// created, or, before any (e.g. `privlink kubectl`), warnings and errors on
// stderr as kubectl prints them.
var klogTarget atomic.Pointer[slog.Logger]

var stderrLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// klog's logger is process-wide and may not be replaced while other
// goroutines log, so it is set once, at initialization, to a handler that
// forwards to klogTarget.
func init() {
	klog.SetSlogLogger(slog.New(klogHandler{}))
}

// routeKlog sends klog's output to log from now on.
func routeKlog(log *slog.Logger) { klogTarget.Store(log) }

// klogHandler forwards the Kubernetes components' logs to klogTarget: errors
// that are not known noise at warn level, everything else at debug level.
// Attributes and groups are applied to the target at each record, so that
// the target can change.
type klogHandler struct {
	ops []func(slog.Handler) slog.Handler
}

func (k klogHandler) target() (slog.Handler, bool) {
	if l := klogTarget.Load(); l != nil {
		return l.Handler(), true
	}
	return stderrLogger.Handler(), false
}

func (k klogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	if l < slog.LevelInfo {
		// klog's V(n) for n > 0 (request and response dumps and the
		// like): never wanted in privlink's logs, and not worth
		// formatting.
		return false
	}
	h, managed := k.target()
	if !managed {
		return h.Enabled(ctx, l)
	}
	if l >= slog.LevelError && h.Enabled(ctx, slog.LevelWarn) {
		return true
	}
	return h.Enabled(ctx, slog.LevelDebug)
}

func (k klogHandler) Handle(ctx context.Context, r slog.Record) error {
	h, managed := k.target()
	for _, op := range k.ops {
		h = op(h)
	}
	if !managed {
		return h.Handle(ctx, r)
	}
	level := slog.LevelDebug
	if r.Level >= slog.LevelError && !isHarmless(r) {
		level = slog.LevelWarn
	}
	if !h.Enabled(ctx, level) {
		return nil
	}
	out := slog.NewRecord(r.Time, level, "kube: "+r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { out.AddAttrs(a); return true })
	return h.Handle(ctx, out)
}

func (k klogHandler) with(op func(slog.Handler) slog.Handler) klogHandler {
	return klogHandler{ops: append(slices.Clone(k.ops), op)}
}

func (k klogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return k.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(as) })
}

func (k klogHandler) WithGroup(n string) slog.Handler {
	return k.with(func(h slog.Handler) slog.Handler { return h.WithGroup(n) })
}

func isHarmless(r slog.Record) bool {
	text := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" || a.Key == "error" {
			text += " " + a.Value.String()
		}
		return true
	})
	for _, s := range harmless {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}
