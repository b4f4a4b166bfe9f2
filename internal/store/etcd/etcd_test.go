package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/storetest"
)

// startEmbedded starts a ready embedded server on a temporary directory
// and stops it at cleanup.
func startEmbedded(t testing.TB, dir string) *Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := em.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	if err := em.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return em
}

// prefixedStores returns a constructor of stores sharing cli, each under a
// prefix of its own.
func prefixedStores(cli *clientv3.Client) func(t *testing.T) store.Store {
	var n atomic.Int64
	return func(t *testing.T) store.Store {
		s := New(cli, fmt.Sprintf("/privlink-test/%d/", n.Add(1)))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

func TestConformanceEmbedded(t *testing.T) {
	em := startEmbedded(t, filepath.Join(t.TempDir(), "etcd"))
	storetest.Run(t, prefixedStores(em.Client()))
}

func TestConformanceExternal(t *testing.T) {
	dsn := startExternal(t)
	endpoints, err := ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cli, err := Dial(ctx, endpoints, testLogger(t))
	if err != nil {
		t.Fatalf("Dial(%v): %v", endpoints, err)
	}
	t.Cleanup(func() { _ = cli.Close() })

	// A dead endpoint in the list does not stop Dial.
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cli2, err := Dial(ctx, append([]string{dead}, endpoints...), testLogger(t))
	if err != nil {
		t.Fatalf("Dial with a dead first endpoint: %v", err)
	}
	_ = cli2.Close()

	storetest.Run(t, prefixedStores(cli))
}

// With an empty prefix the store sees the whole keyspace.
func TestEmptyPrefix(t *testing.T) {
	em := startEmbedded(t, filepath.Join(t.TempDir(), "etcd"))
	s := New(em.Client(), "")
	defer s.Close()
	ctx := t.Context()
	r1, err := s.Create(ctx, "a/1", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, "b", []byte("y")); err != nil {
		t.Fatal(err)
	}
	res, err := s.List(ctx, "", store.ListOptions{})
	if err != nil || len(res.KVs) != 2 || res.KVs[0].Key != "a/1" || res.KVs[1].Key != "b" {
		t.Fatalf("List('') = %+v, %v", res, err)
	}
	res, err = s.List(ctx, "", store.ListOptions{StartAfter: "a/1"})
	if err != nil || len(res.KVs) != 1 || res.KVs[0].Key != "b" {
		t.Fatalf("List('' after a/1) = %+v, %v", res, err)
	}
	ch, err := s.Watch(ctx, "", r1-1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a/1", "b"} {
		if ev := <-ch; ev.Err != nil || ev.KV.Key != want {
			t.Fatalf("event %+v, want %s", ev, want)
		}
	}
}

func TestPrefixIsolation(t *testing.T) {
	em := startEmbedded(t, filepath.Join(t.TempDir(), "etcd"))
	ctx := t.Context()
	x := New(em.Client(), "/x/")
	y := New(em.Client(), "/y/")
	defer x.Close()
	defer y.Close()
	if _, err := x.Create(ctx, "k", []byte("from x")); err != nil {
		t.Fatal(err)
	}
	if _, err := y.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("y sees x's key: %v", err)
	}
	if _, err := y.Create(ctx, "k", []byte("from y")); err != nil {
		t.Fatal(err)
	}
	raw, err := em.Client().Get(ctx, "/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range raw.Kvs {
		keys = append(keys, string(kv.Key))
	}
	if strings.Join(keys, ",") != "/x/k,/y/k" {
		t.Fatalf("raw keys = %q", keys)
	}
	// Closing one store leaves the shared client and the other store alone.
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if kv, err := y.Get(ctx, "k"); err != nil || string(kv.Value) != "from y" {
		t.Fatalf("y after closing x: %+v, %v", kv, err)
	}
}

func TestEmbeddedRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd")
	ctx := t.Context()
	em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := em.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	s := New(em.Client(), "/p/")
	rev, err := s.Create(ctx, "kept", []byte("value"))
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, ok := <-em.Err(); ok {
		t.Fatal("Err not closed after Stop")
	}
	if _, err := s.Get(ctx, "kept"); err == nil {
		t.Fatal("Get through a stopped server succeeded")
	}

	em2 := startEmbedded(t, dir)
	s2 := New(em2.Client(), "/p/")
	kv, err := s2.Get(ctx, "kept")
	if err != nil || string(kv.Value) != "value" || kv.ModRevision != rev {
		t.Fatalf("after restart: %+v, %v (want revision %d)", kv, err, rev)
	}
	if r, err := s2.Create(ctx, "next", nil); err != nil || r <= rev {
		t.Fatalf("create after restart: revision %d, %v (want > %d)", r, err, rev)
	}
}

func TestEmbeddedConfigErrors(t *testing.T) {
	ctx := t.Context()
	for _, cfg := range []EmbeddedConfig{
		{},
		{Dir: t.TempDir(), ClientURLs: []string{"http://0.0.0.0:23790"}},
		{Dir: t.TempDir(), ClientURLs: []string{"http://10.1.2.3:23790"}},
		{Dir: t.TempDir(), ClientURLs: []string{"http://127.0.0.1"}},
		{Dir: t.TempDir(), ClientURLs: []string{"https://127.0.0.1:23790"}},
		{Dir: t.TempDir(), LogLevel: "chatty"},
	} {
		if em, err := StartEmbedded(ctx, cfg, nil); err == nil {
			_ = em.Stop(ctx)
			t.Fatalf("StartEmbedded(%+v) succeeded", cfg)
		}
	}
}

func TestStartEmbeddedCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := StartEmbedded(ctx, EmbeddedConfig{Dir: t.TempDir()}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("StartEmbedded with a canceled context: %v", err)
	}
}

func TestParseDSN(t *testing.T) {
	good := map[string][]string{
		"etcd://127.0.0.1:2379":                     {"127.0.0.1:2379"},
		"etcd://host:2379,host2:2380":               {"host:2379", "host2:2380"},
		"ETCD://h1, h2:1234 ,h3/":                   {"h1:2379", "h2:1234", "h3:2379"},
		"etcd://[::1]:2379,[fe80::1]":               {"[::1]:2379", "[fe80::1]:2379"},
		"etcd://etcd-0.etcd.svc.cluster.local:2379": {"etcd-0.etcd.svc.cluster.local:2379"},
	}
	for dsn, want := range good {
		got, err := ParseDSN(dsn)
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ParseDSN(%q) = %q, %v; want %q", dsn, got, err, want)
		}
	}
	bad := map[string]string{
		"":                          "must start with",
		"http://127.0.0.1:2379":     "must start with",
		"127.0.0.1:2379":            "must start with",
		"etcd://":                   "no hosts",
		"etcd://h1,,h2":             "empty host",
		"etcd://h1:0":               "invalid port",
		"etcd://h1:99999":           "invalid port",
		"etcd://h1:abc":             "invalid port",
		"etcd://:2379":              "missing host",
		"etcd://::1":                "IPv6 addresses need brackets",
		"etcd://user:pw@h1:2379":    "credentials",
		"etcd://h1:2379/prefix":     "paths, queries",
		"etcd://h1:2379?timeout=1s": "paths, queries",
		"etcd://h1:2379,h1:2379":    "listed twice",
		"etcd://h1:2379,h 2:2379":   "invalid host",
	}
	for dsn, want := range bad {
		_, err := ParseDSN(dsn)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDSN(%q) error = %v; want one mentioning %q", dsn, err, want)
		}
	}
}

func TestDialUnreachable(t *testing.T) {
	port := freePort(t) // nothing listens there any more
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	cli, err := Dial(ctx, []string{fmt.Sprintf("127.0.0.1:%d", port)}, testLogger(t))
	if err == nil {
		cli.Close()
		t.Fatal("Dial to a closed port succeeded")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("Dial took %s to fail", time.Since(start))
	}
	if _, err := Dial(ctx, nil, nil); err == nil {
		t.Fatal("Dial without endpoints succeeded")
	}
}

func TestZapToSlog(t *testing.T) {
	var got []string
	h := recordHandler{records: &got, level: slog.LevelDebug}
	lg := zapToSlog(slog.New(h), zapcore.WarnLevel).With(zap.String("member", "m1"))
	lg.Info("quiet")
	lg.Warn("slow apply", zap.Duration("took", time.Second), zap.Int("n", 3))
	lg.Error("broken", zap.Error(errors.New("boom")))
	want := []string{
		"WARN slow apply member=m1 n=3 took=1s",
		"ERROR broken error=boom member=m1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The slog handler's level filters too.
	got = nil
	lg = zapToSlog(slog.New(recordHandler{records: &got, level: slog.LevelError}), zapcore.DebugLevel)
	lg.Warn("dropped")
	lg.Debug("dropped")
	if len(got) != 0 {
		t.Fatalf("records %q, want none", got)
	}
	zapToSlog(nil, zapcore.DebugLevel).Error("discarded")

	rules := []demotion{{msg: "noise"}, {msg: "race", errContains: []string{"benign"}}}
	got = nil
	lg = zapToSlog(slog.New(recordHandler{records: &got, level: slog.LevelDebug}), zapcore.WarnLevel, rules...)
	lg.Warn("noise")
	lg.Error("race", zap.Error(errors.New("a benign race")))
	lg.Error("race", zap.Error(errors.New("real trouble")))
	if want := "ERROR race error=real trouble"; strings.Join(got, "|") != want {
		t.Fatalf("records %q, want %q", got, want)
	}
	got = nil
	lg = zapToSlog(slog.New(recordHandler{records: &got, level: slog.LevelDebug}), zapcore.DebugLevel, rules...)
	lg.Warn("noise")
	lg.Error("race", zap.Error(errors.New("a benign race")))
	if want := "DEBUG noise|DEBUG race error=a benign race"; strings.Join(got, "|") != want {
		t.Fatalf("records %q, want %q", got, want)
	}
}

type recordHandler struct {
	records *[]string
	attrs   []slog.Attr
	level   slog.Level
}

func (h recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	var all []slog.Attr
	all = append(all, h.attrs...)
	r.Attrs(func(a slog.Attr) bool { all = append(all, a); return true })
	// Render attributes sorted by key for a stable comparison.
	parts := []string{r.Level.String() + " " + r.Message}
	keys := map[string]string{}
	var order []string
	for _, a := range all {
		if _, dup := keys[a.Key]; !dup {
			order = append(order, a.Key)
		}
		keys[a.Key] = a.Value.String()
	}
	slices.Sort(order)
	for _, k := range order {
		parts = append(parts, k+"="+keys[k])
	}
	*h.records = append(*h.records, strings.Join(parts, " "))
	return nil
}

func (h recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return h
}

func (h recordHandler) WithGroup(string) slog.Handler { return h }

func TestEmbeddedDirLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd")
	em := startEmbedded(t, dir)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if em2, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(t)); err == nil {
		_ = em2.Stop(ctx)
		t.Fatal("second server on the same directory started")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server: %v, want an in-use error", err)
	}
	if err := em.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Released by Stop.
	em3, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("start after Stop: %v", err)
	}
	if err := em3.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if err := em3.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// The optional client listener serves other processes; here over a unix
// socket, reached through Dial.
func TestEmbeddedUnixSocket(t *testing.T) {
	dir := t.TempDir()
	sock := "unix://" + filepath.Join(dir, "etcd.sock")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: filepath.Join(dir, "etcd"), ClientURLs: []string{sock}}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := em.Stop(ctx); err != nil {
			t.Error(err)
		}
	}()
	if err := em.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := New(em.Client(), "/u/").Create(ctx, "k", []byte("in-process")); err != nil {
		t.Fatal(err)
	}
	cli, err := Dial(ctx, []string{sock}, testLogger(t))
	if err != nil {
		t.Fatalf("Dial(%s): %v", sock, err)
	}
	defer cli.Close()
	kv, err := New(cli, "/u/").Get(ctx, "k")
	if err != nil || string(kv.Value) != "in-process" {
		t.Fatalf("Get over the socket: %+v, %v", kv, err)
	}
}

// store.Tx turns every key it read into a guard, so transactions can be
// far larger than etcd's default limit of 128 operations.
func TestEmbeddedLargeTxn(t *testing.T) {
	em := startEmbedded(t, filepath.Join(t.TempDir(), "etcd"))
	s := New(em.Client(), "/big/")
	defer s.Close()
	ctx := t.Context()
	const n = 1000
	ops := make([]store.Op, 0, 2*n)
	for i := range n {
		ops = append(ops,
			store.Op{Kind: store.OpCheck, Key: fmt.Sprintf("guard/%04d", i)},
			store.Op{Kind: store.OpCreate, Key: fmt.Sprintf("item/%04d", i), Value: []byte("v")})
	}
	rev, err := s.Txn(ctx, ops...)
	if err != nil {
		t.Fatalf("Txn of %d ops: %v", len(ops), err)
	}
	res, err := s.List(ctx, "item/", store.ListOptions{KeysOnly: true})
	if err != nil || len(res.KVs) != n || res.KVs[n-1].ModRevision != rev {
		t.Fatalf("List = %d keys, %v", len(res.KVs), err)
	}
	// A failing large txn still names the failing op.
	guards := make([]store.Op, 0, n+1)
	for i := range n {
		guards = append(guards, store.Op{Kind: store.OpCheck, Key: fmt.Sprintf("guard/%04d", i)})
	}
	guards = append(guards, store.Op{Kind: store.OpCheck, Key: "item/0500"})
	_, err = s.Txn(ctx, guards...)
	var te *store.TxnError
	if !errors.As(err, &te) || te.Index != n || !errors.Is(err, store.ErrExists) {
		t.Fatalf("Txn = %v, want TxnError at %d with ErrExists", err, n)
	}
}
