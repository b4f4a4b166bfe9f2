package kube

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/store/etcd"
)

// The test binary doubles as "another process" for the owner-only listener
// test: with dialEnv set, it dials the address, prints what it reads and
// exits.
const (
	dialEnv    = "PRIVLINK_KUBE_TEST_DIAL"
	dialTLSEnv = "PRIVLINK_KUBE_TEST_DIAL_TLS"
)

var (
	testEtcd    *etcd.Embedded
	testEtcdEPs []string
	testDataDir string
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(dialEnv); addr != "" {
		os.Exit(childDial(addr))
	}
	os.Exit(run(m))
}

func childDial(addr string) int {
	if os.Getenv(dialTLSEnv) != "" {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			fmt.Printf("handshake error: %v\n", err)
			return 0
		}
		c.Close()
		fmt.Println("handshake ok")
		return 0
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		fmt.Printf("dial error: %v\n", err)
		return 0
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Printf("read error: %v\n", err)
		return 0
	}
	fmt.Printf("read: %s", line)
	return 0
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kube-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	testDataDir = filepath.Join(dir, "kube")
	level := slog.LevelWarn
	if os.Getenv("PRIVLINK_KUBE_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	testLog = logger
	sock := "unix://" + filepath.Join(dir, "etcd.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	testEtcd, err = etcd.StartEmbedded(ctx, etcd.EmbeddedConfig{Dir: filepath.Join(dir, "etcd"), ClientURLs: []string{sock}}, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start etcd:", err)
		return 1
	}
	testEtcdEPs = []string{sock}
	code := m.Run()
	if sharedMgr != nil {
		if err := sharedMgr.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close manager:", err)
			code = 1
		}
	}
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	if err := testEtcd.Stop(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "stop etcd:", err)
	}
	return code
}

var (
	testLog   *slog.Logger
	sharedMgr *Manager
	mgrOnce   sync.Once
)

func newTestManager() *Manager {
	return NewManager(Config{
		DataDir: testDataDir,
		Etcd:    func(context.Context) ([]string, error) { return testEtcdEPs, nil },
		Log:     testLog,
	})
}

// manager is the package's shared Manager (closed by TestMain).
func manager() *Manager {
	mgrOnce.Do(func() { sharedMgr = newTestManager() })
	return sharedMgr
}

func testSpec(key string, extraDNS ...string) ClusterSpec {
	return ClusterSpec{
		Key:      key,
		Name:     key,
		DNSNames: append([]string{key + ".hcp.eastus.azmk8s.io"}, extraDNS...),
		// 127.0.0.1 so that tests can verify the serving certificate
		// when dialing Addr directly.
		IPs:              []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.224.0.4")},
		AdvertiseAddress: netip.MustParseAddr("10.224.0.4"),
	}
}

var (
	startMu sync.Mutex
	started = map[string]*Cluster{}
)

// cluster returns the shared running cluster with this key, starting it
// on first use.
func cluster(t *testing.T, key string) *Cluster {
	t.Helper()
	startMu.Lock()
	defer startMu.Unlock()
	if c := started[key]; c != nil && manager().Get(key) == c {
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	c, err := manager().Start(ctx, testSpec(key))
	if err != nil {
		t.Fatalf("start %s: %v", key, err)
	}
	t.Logf("cluster %s ready in %s", key, time.Since(begin).Round(time.Millisecond))
	started[key] = c
	return c
}

// rssMiB is the process's resident set size.
func rssMiB(t *testing.T) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb / 1024
		}
	}
	return 0
}
