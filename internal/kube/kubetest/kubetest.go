// Package kubetest runs one real Kubernetes control plane for a test
// package's TestMain: an embedded etcd on a unix socket, an internal/kube
// Manager and one cluster with the given nodes.
package kubetest

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/store/etcd"
)

// Run starts the control plane (logs at warn, or debug with
// PRIVLINK_KUBE_DEBUG set), calls ready with the cluster and the logger,
// runs the tests and tears everything down. It returns the exit code.
func Run(m *testing.M, key string, nodes []kube.Node, ready func(*kube.Cluster, *slog.Logger)) int {
	dir, err := os.MkdirTemp("", key+"-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	level := slog.LevelWarn
	if os.Getenv("PRIVLINK_KUBE_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	sock := "unix://" + filepath.Join(dir, "etcd.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	em, err := etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{Dir: filepath.Join(dir, "etcd"), ClientURLs: []string{sock}}, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start etcd:", err)
		return 1
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
		defer scancel()
		_ = em.Stop(sctx)
	}()
	mgr := kube.NewManager(kube.Config{DataDir: filepath.Join(dir, "kube"),
		Etcd: func(context.Context) ([]string, error) { return []string{sock}, nil }, Log: log})
	defer mgr.Close()
	c, err := mgr.Start(ctx, kube.ClusterSpec{Key: key, Name: key,
		IPs: []netip.Addr{netip.MustParseAddr("10.224.0.4")}, AdvertiseAddress: netip.MustParseAddr("10.224.0.4")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start cluster:", err)
		return 1
	}
	if err := c.EnsureNodes(ctx, nodes); err != nil {
		fmt.Fprintln(os.Stderr, "nodes:", err)
		return 1
	}
	ready(c, log)
	return m.Run()
}
