// Command etcdref is a breakdown reference of privlink-bench: privlink's
// embedded etcd alone (internal/store/etcd with its defaults), without the
// ARM front end. It starts the server on <-data-dir>/etcd and, like
// `privlink serve` (whose first store access is reading its identity),
// waits for one linearizable read through the store to succeed; then it
// prints "etcdref is ready (<dir>)" and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/privlink/privlink/internal/store"
	etcdstore "github.com/privlink/privlink/internal/store/etcd"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "etcdref: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("data-dir", "", "data directory (etcd lives in <dir>/etcd, as with privlink serve)")
	flag.Parse()
	if *dir == "" {
		return errors.New("-data-dir is required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	em, err := etcdstore.StartEmbedded(ctx, etcdstore.EmbeddedConfig{Dir: filepath.Join(*dir, "etcd")}, log)
	if err != nil {
		return err
	}
	s := etcdstore.New(em.Client(), "/etcdref")
	if _, err := s.Get(ctx, "/probe"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("first read: %w", err)
	}
	fmt.Printf("etcdref is ready (%s)\n", *dir)
	select {
	case <-ctx.Done():
	case err := <-em.Err():
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return em.Stop(sctx)
}
