package etcd

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// demotion lowers an etcd log entry to debug level: one whose message is
// msg and, when errContains is set, whose "error" field contains one of
// those strings. It is for messages that do not apply to privlink's setup.
type demotion struct {
	msg         string
	errContains []string
}

func (d demotion) match(e zapcore.Entry, fields []zapcore.Field) bool {
	if e.Message != d.msg {
		return false
	}
	if len(d.errContains) == 0 {
		return true
	}
	for _, f := range fields {
		if f.Key != "error" || f.Type != zapcore.ErrorType {
			continue
		}
		err, ok := f.Interface.(error)
		if !ok {
			continue
		}
		for _, sub := range d.errContains {
			if strings.Contains(err.Error(), sub) {
				return true
			}
		}
	}
	return false
}

// zapToSlog returns a zap logger (etcd's logging API) that forwards entries
// at or above min to logger, except that entries matching one of demote
// are forwarded at debug level. A nil logger discards everything.
func zapToSlog(logger *slog.Logger, min zapcore.Level, demote ...demotion) *zap.Logger {
	if logger == nil {
		return zap.NewNop()
	}
	return zap.New(&slogCore{h: logger.Handler(), min: min, demote: demote})
}

// slogCore is a zapcore.Core writing to a slog.Handler.
type slogCore struct {
	h      slog.Handler
	min    zapcore.Level
	demote []demotion // read-only
}

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return l >= c.min && c.h.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{h: c.h.WithAttrs(attrs(fields)), min: c.min, demote: c.demote}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	// Demotion only lowers levels: an entry not enabled now never will be.
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	if e.Level < zapcore.DPanicLevel && slices.ContainsFunc(c.demote, func(d demotion) bool { return d.match(e, fields) }) {
		if e.Level = zapcore.DebugLevel; !c.Enabled(e.Level) {
			return nil
		}
	}
	r := slog.NewRecord(e.Time, slogLevel(e.Level), e.Message, 0)
	if e.LoggerName != "" {
		r.AddAttrs(slog.String("logger", e.LoggerName))
	}
	r.AddAttrs(attrs(fields)...)
	return c.h.Handle(context.Background(), r)
}

func (c *slogCore) Sync() error { return nil }

// attrs renders zap fields as slog attributes, in key order.
func attrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	out := make([]slog.Attr, 0, len(enc.Fields))
	for _, k := range slices.Sorted(maps.Keys(enc.Fields)) {
		out = append(out, slog.Any(k, enc.Fields[k]))
	}
	return out
}
