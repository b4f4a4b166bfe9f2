package etcd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/store"
)

const (
	crashWriters  = 8
	crashRoundEnv = "PRIVLINK_ETCD_TEST_ROUND"
)

func crashValue(key string) string {
	return "value-of-" + key + "-" + strings.Repeat("x", 200)
}

// childCrashWriter writes keys as fast as it can from several goroutines
// and prints "ACK <key>" only after a write returned successfully. It runs
// until it is killed.
func childCrashWriter() error {
	ctx := context.Background()
	em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: os.Getenv(childDirEnv)}, childLogger())
	if err != nil {
		return err
	}
	if err := em.WaitReady(ctx); err != nil {
		return err
	}
	s := New(em.Client(), "/crash/")
	round := os.Getenv(crashRoundEnv)
	fmt.Println("READY")
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	errc := make(chan error, crashWriters)
	for w := range crashWriters {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s/w%d/%06d", round, w, i)
				if _, err := s.Create(ctx, key, []byte(crashValue(key))); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				// One unbuffered write per line: once it returns the parent
				// can read it even if this process dies right after.
				_, err := fmt.Fprintf(os.Stdout, "ACK %s\n", key)
				mu.Unlock()
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	return <-errc
}

// TestCrashDurability SIGKILLs a writer in the middle of a burst, several
// times on the same data directory, and checks after each crash that every
// acknowledged write survived.
func TestCrashDurability(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etcd")
	var acked []string
	for round, killAfter := range []int{50, 400, 1500} {
		c := startChild(t, "crash-writer", childDirEnv+"="+dir, fmt.Sprintf("%s=%d", crashRoundEnv, round))
		c.expect(t, "READY", 60*time.Second)
		n := 0
		deadline := time.After(2 * time.Minute)
		for n < killAfter {
			select {
			case line, ok := <-c.lines:
				if !ok {
					<-c.done
					t.Fatalf("round %d: writer exited (%v) after %d acks", round, c.err, n)
				}
				if key, found := strings.CutPrefix(line, "ACK "); found {
					acked = append(acked, key)
					n++
				}
			case <-deadline:
				t.Fatalf("round %d: only %d acks before the deadline", round, n)
			}
		}
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill: %v", err)
		}
		// Lines already in the pipe were acknowledged before the kill.
		for line := range c.lines {
			if key, found := strings.CutPrefix(line, "ACK "); found {
				acked = append(acked, key)
				n++
			}
		}
		<-c.done
		if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: writer did not die of SIGKILL: %v", round, c.cmd.ProcessState)
		}
		onDisk := verifyAcked(t, dir, acked)
		t.Logf("round %d: killed after %d acknowledged writes; all %d acknowledged keys so far present after restart (%d keys on disk)",
			round, n, len(acked), onDisk)
	}
}

// verifyAcked restarts the store on dir, checks every acknowledged key and
// returns how many keys are stored.
func verifyAcked(t *testing.T, dir string, acked []string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	em, err := StartEmbedded(ctx, EmbeddedConfig{Dir: dir}, testLogger(t))
	if err != nil {
		t.Fatalf("restart after crash: %v", err)
	}
	defer func() {
		if err := em.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	if err := em.WaitReady(ctx); err != nil {
		t.Fatalf("restart after crash: %v", err)
	}
	s := New(em.Client(), "/crash/")
	defer s.Close()
	res, err := s.List(ctx, "", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := make(map[string]string, len(res.KVs))
	for _, kv := range res.KVs {
		stored[kv.Key] = string(kv.Value)
	}
	for _, key := range acked {
		v, ok := stored[key]
		if !ok {
			t.Fatalf("acknowledged key %s lost", key)
		}
		if v != crashValue(key) {
			t.Fatalf("acknowledged key %s has value %q", key, v)
		}
	}
	return len(stored)
}
