package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/fileutil"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap/zapcore"
)

// Defaults of EmbeddedConfig, tuned for a small single-member store.
const (
	DefaultMemberName = "privlink"
	// DefaultSnapshotCount: raft entries between snapshots; with
	// DefaultSnapshotCatchUp it bounds the raft log kept in memory.
	DefaultSnapshotCount uint64 = 5000
	// DefaultSnapshotCatchUp: entries kept after a snapshot (only followers
	// use them, and there are none).
	DefaultSnapshotCatchUp uint64 = 500
	// DefaultQuotaBackendBytes caps the database size (etcd turns read-only
	// with a NOSPACE alarm beyond it).
	DefaultQuotaBackendBytes int64 = 1 << 30
	// DefaultKeepRevisions: auto-compaction keeps this many revisions of
	// history (checked every 5 minutes by etcd's revision compactor).
	DefaultKeepRevisions int64 = 10000
	// DefaultMaxTxnOps raises etcd's limit of 128 operations per
	// transaction: store.Tx guards every key it read (a List included) with
	// a compare, so one privlink transaction can touch many keys.
	DefaultMaxTxnOps uint = 4096
	// DefaultLogLevel is the lowest etcd log level forwarded to the logger.
	DefaultLogLevel = "warn"
	// DefaultTick is the raft tick. A single member elects itself after
	// 1-5 ticks (the randomized election timeout minus etcd's fast-forward),
	// so it bounds start-up latency; idle cost is one cheap wake-up a tick.
	DefaultTick = 20 * time.Millisecond
)

// EmbeddedConfig configures StartEmbedded. Only Dir is required.
type EmbeddedConfig struct {
	// Dir holds etcd's data (WAL, snapshots, bbolt database). It is created
	// with mode 0700 if missing and reused across restarts.
	Dir string
	// Name is the member name (default DefaultMemberName).
	Name string
	// ClientURLs are optional gRPC client listeners for other processes
	// ("http://127.0.0.1:2379", "http://[::1]:2379", "unix:///path/sock").
	// Only loopback addresses and unix sockets are accepted. Without them
	// the server listens nowhere and is reached through Client() only.
	ClientURLs []string
	// SnapshotCount overrides DefaultSnapshotCount.
	SnapshotCount uint64
	// QuotaBackendBytes overrides DefaultQuotaBackendBytes.
	QuotaBackendBytes int64
	// KeepRevisions overrides DefaultKeepRevisions.
	KeepRevisions int64
	// MaxTxnOps overrides DefaultMaxTxnOps.
	MaxTxnOps uint
	// LogLevel is the lowest etcd level forwarded to the logger: "debug",
	// "info", "warn" or "error" (default DefaultLogLevel). The slog handler
	// filters again.
	LogLevel string
}

// Embedded is a running single-member etcd server inside this process.
type Embedded struct {
	etcd   *embed.Etcd
	lock   *fileutil.LockedFile
	client *clientv3.Client
	logger *slog.Logger

	errc     chan error    // the first fatal error, closed after Stop
	failed   chan struct{} // closed when a fatal error was recorded
	failErr  error
	failOnce sync.Once
	stopping chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	watchers sync.WaitGroup
}

// quietened are etcd log entries that say nothing useful about privlink's
// single-member setup; they are logged at debug level.
var quietened = []demotion{
	// Logged whenever no separate HTTP client port is configured; the
	// embedded server has no client port at all by default.
	{msg: "Running http and grpc server on single port. This is not recommended for production."},
	// A bootstrap race in etcd 3.6/3.7 (etcd-io/etcd#18978): the storage
	// version monitor runs before the backend holds the raft term and
	// retries a few seconds later.
	{msg: "Failed to detect schema version", errContains: []string{"missing term information", "missing confstate information"}},
	{msg: "failed to update storage version", errContains: []string{"missing term information", "missing confstate information"}},
	// Stopping right after start-up cancels etcd's own bootstrap requests.
	{msg: "failed to update cluster version", errContains: []string{"request cancelled", "context canceled"}},
	{msg: "server has stopped; skipping GoAttach"},
	// Stop closes the optional client listeners; etcd reports each one.
	{msg: "setting up serving from embedded etcd failed.", errContains: closedListener},
	{msg: "stopping insecure grpc server due to error", errContains: closedListener},
	{msg: "stopped insecure grpc server due to error", errContains: closedListener},
}

var closedListener = []string{"server closed", "Server closed", "use of closed network connection"}

// peerURL is advertised (never listened on): a member needs a peer URL,
// but a single member never talks to peers.
const peerURL = "http://127.0.0.1:2380"

func (c EmbeddedConfig) etcdConfig(logger *slog.Logger) (*embed.Config, error) {
	if c.Dir == "" {
		return nil, errors.New("embedded etcd: no data directory")
	}
	level := c.LogLevel
	if level == "" {
		level = DefaultLogLevel
	}
	zl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd: log level: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = or(c.Name, DefaultMemberName)
	cfg.Dir = c.Dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zapToSlog(logger, zl, quietened...))
	cfg.LogLevel = level

	pu, err := url.Parse(peerURL)
	if err != nil {
		return nil, fmt.Errorf("embedded etcd: %w", err)
	}
	cfg.ListenPeerUrls = nil
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = nil, nil
	for _, raw := range c.ClientURLs {
		u, err := loopbackURL(raw)
		if err != nil {
			return nil, fmt.Errorf("embedded etcd: client URL: %w", err)
		}
		cfg.ListenClientUrls = append(cfg.ListenClientUrls, *u)
		cfg.AdvertiseClientUrls = append(cfg.AdvertiseClientUrls, *u)
	}
	cfg.EnableGRPCGateway = false
	// No auth tokens: privlink does not enable etcd auth (the in-process
	// client bypasses it anyway).
	cfg.AuthToken = ""

	cfg.TickMs = uint(DefaultTick / time.Millisecond)
	cfg.ElectionMs = 5 * cfg.TickMs
	cfg.SnapshotCount = or(c.SnapshotCount, DefaultSnapshotCount)
	cfg.SnapshotCatchUpEntries = min(DefaultSnapshotCatchUp, cfg.SnapshotCount)
	cfg.MaxSnapFiles = 2
	cfg.MaxWalFiles = 2
	cfg.QuotaBackendBytes = or(c.QuotaBackendBytes, DefaultQuotaBackendBytes)
	cfg.MaxTxnOps = or(c.MaxTxnOps, DefaultMaxTxnOps)
	cfg.AutoCompactionMode = embed.CompactorModeRevision
	cfg.AutoCompactionRetention = strconv.FormatInt(or(c.KeepRevisions, DefaultKeepRevisions), 10)
	// Durability: UnsafeNoFsync stays false, every acknowledged write is
	// fsynced to the WAL before the client sees it.
	cfg.UnsafeNoFsync = false
	return cfg, nil
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// loopbackURL parses a client URL and refuses anything but loopback.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", raw, err)
	}
	switch u.Scheme {
	case "unix":
		return u, nil
	case "http":
	default:
		return nil, fmt.Errorf("%q: scheme must be http or unix", raw)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", raw, err)
	}
	if port == "" || port == "0" {
		return nil, fmt.Errorf("%q: needs an explicit port", raw)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("%q: host must be a loopback address", raw)
		}
	}
	return u, nil
}

// lockFile, inside the data directory, is held while a server runs on it:
// etcd itself would block forever on its database lock instead.
const lockFile = "privlink.lock"

// lockDir creates dir (mode 0700) if needed and takes its lock.
func lockDir(dir string) (*fileutil.LockedFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded etcd: data directory: %w", err)
	}
	lock, err := fileutil.TryLockFile(filepath.Join(dir, lockFile), os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, fileutil.ErrLocked) {
		return nil, fmt.Errorf("embedded etcd: data directory %s is in use by another server: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("embedded etcd: locking data directory: %w", err)
	}
	return lock, nil
}

// StartEmbedded starts an etcd server on cfg.Dir (replaying its WAL if the
// directory holds data) and returns without waiting for it to be ready:
// wait on Ready (or call WaitReady) before using Client. ctx bounds the
// start-up only; use Stop to shut the server down.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig, logger *slog.Logger) (*Embedded, error) {
	ecfg, err := cfg.etcdConfig(logger)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	type result struct {
		e   *embed.Etcd
		err error
	}
	done := make(chan result, 1)
	begin := time.Now()
	go func() {
		e, err := embed.StartEtcd(ecfg)
		done <- result{e, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// Finish in the background; the directory stays locked until then.
		go func() {
			if r := <-done; r.err == nil {
				r.e.Close()
			}
			_ = lock.Close()
		}()
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, ctx.Err())
	}
	if r.err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, r.err)
	}
	em := &Embedded{
		etcd:     r.e,
		lock:     lock,
		client:   v3client.New(r.e.Server),
		logger:   logger,
		errc:     make(chan error, 1),
		failed:   make(chan struct{}),
		stopping: make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	em.watchers.Go(em.watch)
	em.watchers.Go(func() {
		select {
		case <-em.Ready():
			logger.LogAttrs(context.Background(), slog.LevelDebug, "embedded etcd ready",
				slog.String("dir", cfg.Dir), slog.Duration("took", time.Since(begin)))
		case <-em.stopping:
		}
	})
	// Serve nothing before the member has elected itself and published:
	// a linearizable read issued during the election fails with "leader
	// changed".
	select {
	case <-em.Ready():
	case <-em.failed:
		_ = em.Stop(context.Background())
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, em.failErr)
	case <-ctx.Done():
		_ = em.Stop(context.Background())
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, ctx.Err())
	}
	return em, nil
}

// watch turns listener failures and unexpected server stops into a fatal
// error on Err.
func (em *Embedded) watch() {
	select {
	case err, ok := <-em.etcd.Err():
		if ok && err != nil {
			em.fail(fmt.Errorf("embedded etcd: %w", err))
		}
	case <-em.etcd.Server.StopNotify():
		select {
		case <-em.stopping:
		default:
			em.fail(errors.New("embedded etcd: server stopped unexpectedly"))
		}
	case <-em.stopping:
	}
}

func (em *Embedded) fail(err error) {
	em.failOnce.Do(func() {
		em.failErr = err
		em.errc <- err
		close(em.failed)
		em.logger.LogAttrs(context.Background(), slog.LevelError, "embedded etcd failed", slog.Any("err", err))
	})
}

// Client returns the in-process client (direct calls into the server, no
// sockets). It is closed by Stop.
func (em *Embedded) Client() *clientv3.Client { return em.client }

// Ready is closed once the server has elected itself leader and serves
// requests.
func (em *Embedded) Ready() <-chan struct{} { return em.etcd.Server.ReadyNotify() }

// Err delivers the first fatal error of the running server (a failed
// listener, an unexpected stop); it is closed after Stop.
func (em *Embedded) Err() <-chan error { return em.errc }

// WaitReady blocks until the server is ready, fails, or ctx ends.
func (em *Embedded) WaitReady(ctx context.Context) error {
	select {
	case <-em.Ready():
		return nil
	case <-em.failed:
		return em.failErr
	case <-em.stopping:
		return errors.New("embedded etcd: stopped before it was ready")
	case <-ctx.Done():
		return fmt.Errorf("embedded etcd: waiting for readiness: %w", ctx.Err())
	}
}

// Stop closes the client and shuts the server down, waiting until the data
// directory is released or ctx ends (the shutdown then finishes in the
// background). Calling Stop again waits for the same shutdown.
func (em *Embedded) Stop(ctx context.Context) error {
	em.stopOnce.Do(func() {
		close(em.stopping)
		go func() {
			defer close(em.stopped)
			if err := em.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
				em.logger.LogAttrs(context.Background(), slog.LevelWarn, "closing embedded etcd client", slog.Any("err", err))
			}
			em.etcd.Close()
			if err := em.lock.Close(); err != nil {
				em.logger.LogAttrs(context.Background(), slog.LevelWarn, "unlocking embedded etcd data directory", slog.Any("err", err))
			}
			em.watchers.Wait()
			close(em.errc)
		}()
	})
	select {
	case <-em.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop embedded etcd: %w", ctx.Err())
	}
}
