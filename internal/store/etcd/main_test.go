package etcd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as the helper processes the tests need: with
// childEnv set, TestMain runs the named child instead of the tests.
const (
	childEnv     = "PRIVLINK_ETCD_TEST_CHILD"
	childDirEnv  = "PRIVLINK_ETCD_TEST_DIR"
	childPortEnv = "PRIVLINK_ETCD_TEST_PORT"
)

var children = map[string]func() error{
	"server":       childServer,
	"crash-writer": childCrashWriter,
	"footprint":    childFootprint,
}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		run, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child %q\n", name)
			os.Exit(2)
		}
		if err := run(); err != nil {
			fmt.Fprintf(os.Stderr, "child %s: %v\n", name, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testLogger logs through t at warn and above (debug with -v and
// PRIVLINK_ETCD_DEBUG=1).
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("PRIVLINK_ETCD_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// childLogger logs warnings of a child process to its stderr.
func childLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// child is a re-executed test binary running one of the children.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line; closed at EOF
	stderr *lockedBuffer
	done   chan struct{}
	err    error // of Wait, valid after done
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild runs the named child with extra environment. The child's
// stdin stays open until Cleanup so children can exit when the parent is
// gone; stderr is logged if the test fails.
func startChild(t *testing.T, name string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + name}, env...)...)
	c := &child{cmd: cmd, lines: make(chan string, 1024), stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.stdin.Close()
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("child %s stderr:\n%s", name, c.stderr.String())
		}
	})
	return c
}

// expect waits for a stdout line with the given prefix and returns the rest.
func (c *child) expect(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.done
				t.Fatalf("child exited (%v) before printing %q; stderr:\n%s", c.err, prefix, c.stderr.String())
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return rest
			}
		case <-deadline:
			t.Fatalf("child did not print %q within %s; stderr:\n%s", prefix, timeout, c.stderr.String())
		}
	}
}

// waitStdinEOF blocks until the parent closes the child's stdin (or dies).
func waitStdinEOF() {
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// childServer runs a standalone etcd server on the loopback port given by
// the parent, prints "READY" and serves until stdin closes.
func childServer() error {
	port, err := strconv.Atoi(os.Getenv(childPortEnv))
	if err != nil {
		return fmt.Errorf("port: %w", err)
	}
	ctx := context.Background()
	em, err := StartEmbedded(ctx, EmbeddedConfig{
		Dir:        os.Getenv(childDirEnv),
		Name:       "external",
		ClientURLs: []string{fmt.Sprintf("http://127.0.0.1:%d", port)},
	}, childLogger())
	if err != nil {
		return err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := em.WaitReady(readyCtx); err != nil {
		return err
	}
	fmt.Println("READY")
	go func() {
		if err, ok := <-em.Err(); ok {
			fmt.Fprintf(os.Stderr, "server failed: %v\n", err)
			os.Exit(1)
		}
	}()
	waitStdinEOF()
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return em.Stop(stopCtx)
}

// startExternal starts a separate etcd server process and returns its
// DSN.
func startExternal(t *testing.T) string {
	t.Helper()
	port := freePort(t)
	c := startChild(t, "server", childDirEnv+"="+filepath.Join(t.TempDir(), "etcd"), childPortEnv+"="+strconv.Itoa(port))
	c.expect(t, "READY", 60*time.Second)
	return fmt.Sprintf("etcd://127.0.0.1:%d", port)
}
