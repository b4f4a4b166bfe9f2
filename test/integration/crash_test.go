package integration

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
)

const (
	burstWriters = 16
	// killAfter acknowledged writes, the daemon is killed while the
	// writers keep going.
	killAfter = 160
)

// burst is the record of what the writers did.
type burst struct {
	mu sync.Mutex
	// attempted holds every group a writer tried to create, with its
	// tags: whatever the restarted daemon holds must be among them.
	attempted map[string]map[string]string
	// acked holds the groups whose PUT was acknowledged (2xx).
	acked map[string]map[string]string
	// home is each writer's first group; homeSeq its highest acknowledged
	// "seq" tag written by PATCH, and homeTried the highest attempted.
	homeSeq, homeTried [burstWriters]int
	failures           int
	// killSent is set just before SIGKILL is sent.
	killSent atomic.Bool
}

// TestCrashDuringWriteBurst kills `privlink serve` with SIGKILL while 16
// writers create resource groups and patch their tags, restarts it on the
// same data directory, and checks that every acknowledged write survived
// and nothing unwritten appeared.
func TestCrashDuringWriteBurst(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, dir)
	t.Logf("time to ready (fresh data directory): %v", srv.ReadyAfter)
	c := srv.client(t)
	s := newSDK(t, c)
	caBefore := caFingerprint(t, filepath.Join(dir, "ca.crt"))
	servedBefore := c.servedCertificate(t)

	b := &burst{attempted: map[string]map[string]string{}, acked: map[string]map[string]string{}}
	for w := range burstWriters {
		b.homeSeq[w], b.homeTried[w] = -1, -1
	}
	var acks atomic.Int64
	var wg sync.WaitGroup
	for w := range burstWriters {
		wg.Go(func() { b.write(t, s, w, &acks) })
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	// Kill mid-burst, once enough writes were acknowledged (or at once if
	// the writers gave up on their own: they reported why).
wait:
	for acks.Load() < killAfter {
		select {
		case <-writersDone:
			break wait
		case <-time.After(time.Millisecond):
		}
	}
	b.killSent.Store(true)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-writersDone
	<-srv.done
	if ws, ok := srv.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("privlink serve was not killed by SIGKILL: %v", srv.err)
	}
	if b.failures != burstWriters {
		t.Fatalf("%d of %d writers saw the daemon die", b.failures, burstWriters)
	}
	t.Logf("acknowledged %d group PUTs and %d tag PATCHes before SIGKILL; %d PUTs attempted",
		len(b.acked), int(acks.Load())-len(b.acked), len(b.attempted))
	if len(b.acked) < burstWriters {
		t.Fatalf("only %d acknowledged writes", len(b.acked))
	}

	srv2 := startServe(t, dir)
	t.Logf("time to ready (after SIGKILL, same data directory): %v", srv2.ReadyAfter)
	if srv2.Subscription != srv.Subscription || srv2.Tenant != srv.Tenant {
		t.Errorf("identity changed: %s/%s -> %s/%s", srv.Subscription, srv.Tenant, srv2.Subscription, srv2.Tenant)
	}
	if got := caFingerprint(t, filepath.Join(dir, "ca.crt")); got != caBefore {
		t.Errorf("CA changed after the crash")
	}
	c2 := srv2.client(t)
	if got := c2.servedCertificate(t); got != servedBefore {
		t.Errorf("serving certificate changed after the crash")
	}
	s2 := newSDK(t, c2)
	present := map[string]map[string]string{}
	for _, g := range collect(t, s2.groups.NewListPager(nil), func(p armresources.ResourceGroupsClientListResponse) []*armresources.ResourceGroup {
		return p.Value
	}) {
		tags := map[string]string{}
		for k, v := range g.Tags {
			tags[k] = deref(v)
		}
		present[deref(g.Name)] = tags
		if deref(g.Properties.ProvisioningState) != "Succeeded" {
			t.Errorf("%s: provisioningState %s", deref(g.Name), deref(g.Properties.ProvisioningState))
		}
	}
	for name, tags := range b.acked {
		got, ok := present[name]
		if !ok {
			t.Errorf("acknowledged group %s lost", name)
			continue
		}
		if got["writer"] != tags["writer"] || got["created"] != tags["created"] {
			t.Errorf("acknowledged group %s: tags %v, want %v", name, got, tags)
		}
	}
	for name, tags := range present {
		want, ok := b.attempted[name]
		if !ok {
			t.Errorf("group %s was never written", name)
			continue
		}
		if tags["writer"] != want["writer"] || tags["created"] != want["created"] {
			t.Errorf("group %s: tags %v, written %v", name, tags, want)
		}
	}
	// Each writer's home group carries its last acknowledged PATCH, or a
	// later one that was applied but not acknowledged.
	for w := range burstWriters {
		home := groupName(w, 0)
		if _, ok := b.acked[home]; !ok {
			continue
		}
		got := -1
		if v, ok := present[home]["seq"]; ok {
			got, _ = strconv.Atoi(v)
		}
		if got < b.homeSeq[w] || got > b.homeTried[w] {
			t.Errorf("%s: seq tag %d, acknowledged %d, attempted up to %d", home, got, b.homeSeq[w], b.homeTried[w])
		}
	}

	// The restarted daemon takes writes.
	if _, err := s2.groups.CreateOrUpdate(waitCtx(t), "after-crash", armresources.ResourceGroup{Location: to(location)}, nil); err != nil {
		t.Fatalf("write after restart: %v", err)
	}
	if err := srv2.signal(t, syscall.SIGTERM); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

func groupName(writer, i int) string { return fmt.Sprintf("burst-w%02d-%04d", writer, i) }

// write is one writer: it creates groups burst-wNN-0000, -0001, ... and
// after each one patches the "seq" tag of its first group, until the
// daemon stops answering.
func (b *burst) write(t *testing.T, s *sdk, w int, acks *atomic.Int64) {
	ctx := waitCtx(t)
	for i := 0; ; i++ {
		name := groupName(w, i)
		tags := map[string]string{"writer": strconv.Itoa(w), "created": strconv.Itoa(i)}
		b.mu.Lock()
		b.attempted[name] = tags
		b.mu.Unlock()
		_, err := s.groups.CreateOrUpdate(ctx, name, armresources.ResourceGroup{
			Location: to(location),
			Tags:     map[string]*string{"writer": to(tags["writer"]), "created": to(tags["created"])},
		}, nil)
		if err != nil {
			b.stopped(t, name, err)
			return
		}
		b.mu.Lock()
		b.acked[name] = tags
		b.mu.Unlock()
		acks.Add(1)

		b.mu.Lock()
		b.homeTried[w] = i
		b.mu.Unlock()
		_, err = s.groups.Update(ctx, groupName(w, 0), armresources.ResourceGroupPatchable{
			Tags: map[string]*string{"writer": to(strconv.Itoa(w)), "created": to("0"), "seq": to(strconv.Itoa(i))},
		}, nil)
		if err != nil {
			b.stopped(t, groupName(w, 0), err)
			return
		}
		b.mu.Lock()
		b.homeSeq[w] = i
		b.mu.Unlock()
		acks.Add(1)
	}
}

func (b *burst) stopped(t *testing.T, name string, err error) {
	// The daemon dying shows as a transport error after the kill; an ARM
	// error (any HTTP response, 5xx included) or a transport error before
	// it is a bug.
	var re *azcore.ResponseError
	if errors.As(err, &re) || !b.killSent.Load() {
		t.Errorf("write %s failed before the daemon died: %v", name, err)
	}
	b.mu.Lock()
	b.failures++
	b.mu.Unlock()
}

// TestSignalsStopCleanly: SIGINT and SIGTERM make `privlink serve` drain,
// stop and exit 0, releasing the data directory so a new daemon starts on
// it with the data intact; while it runs, a second daemon cannot open the
// same directory.
func TestSignalsStopCleanly(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			srv := startServe(t, dir)
			t.Logf("time to ready: %v", srv.ReadyAfter)
			s := newSDK(t, srv.client(t))
			if _, err := s.groups.CreateOrUpdate(waitCtx(t), "rg-signal", armresources.ResourceGroup{Location: to(location)}, nil); err != nil {
				t.Fatal(err)
			}
			if sig == syscall.SIGTERM {
				// The data directory is locked while the daemon runs.
				second := exec2(t, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--socks-listen", "127.0.0.1:0", "--http-proxy-listen", "127.0.0.1:0")
				if second.code == 0 || strings.Contains(second.stdout, "is ready") {
					t.Fatalf("second daemon on a locked data directory: exit %d\n%s%s", second.code, second.stdout, second.stderr)
				}
				t.Logf("second daemon refused: %s", strings.TrimSpace(second.stderr))
			}
			if err := srv.signal(t, sig); err != nil {
				t.Fatalf("exit after %v: %v\n%s", sig, err, srv.stderr.String())
			}
			if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			logs := srv.stderr.String()
			if !strings.Contains(logs, "shutting down") || !strings.Contains(logs, "msg=stopped") || strings.Contains(logs, "level=ERROR") {
				t.Errorf("shutdown log:\n%s", logs)
			}

			again := startServe(t, dir)
			t.Logf("time to ready (restart): %v", again.ReadyAfter)
			if again.Subscription != srv.Subscription {
				t.Errorf("subscription %s -> %s", srv.Subscription, again.Subscription)
			}
			s2 := newSDK(t, again.client(t))
			if ex, err := s2.groups.CheckExistence(waitCtx(t), "rg-signal", nil); err != nil || !ex.Success {
				t.Fatalf("rg-signal after restart: %v %v", ex.Success, err)
			}
			if err := again.signal(t, sig); err != nil {
				t.Fatalf("second stop: %v", err)
			}
		})
	}
}

// TestEnvPrintsClientEnvironment: `privlink env` prints what a client
// needs, and a real azidentity EnvironmentCredential configured from its
// output alone signs in to the running daemon.
func TestEnvPrintsClientEnvironment(t *testing.T) {
	dir := t.TempDir()
	// Before any start there is nothing to print.
	if r := exec2(t, "env", "--data-dir", dir); r.code == 0 || !strings.Contains(r.stderr, "has no identity yet") {
		t.Fatalf("env before serve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	srv := startServe(t, dir)
	r := exec2(t, "env", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("privlink env: exit %d: %s", r.code, r.stderr)
	}
	env := parseExports(t, r.stdout)
	ca := filepath.Join(dir, "ca.crt")
	for k, want := range map[string]string{
		"PRIVLINK_ENDPOINT":     srv.Endpoint,
		"PRIVLINK_DATA_DIR":     dir,
		"SSL_CERT_FILE":         ca,
		"REQUESTS_CA_BUNDLE":    ca,
		"AZURE_SUBSCRIPTION_ID": srv.Subscription,
		"AZURE_TENANT_ID":       srv.Tenant,
		"AZURE_AUTHORITY_HOST":  srv.Endpoint + "/",
		"ARM_METADATA_HOSTNAME": strings.TrimPrefix(srv.Endpoint, "https://"),
		"ARM_SUBSCRIPTION_ID":   srv.Subscription,
		"ARM_TENANT_ID":         srv.Tenant,
	} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	for _, k := range []string{"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET"} {
		if env[k] == "" {
			t.Errorf("%s missing", k)
		}
	}
	// An explicit --listen wins over the recorded endpoint.
	if r := exec2(t, "env", "--data-dir", dir, "--listen", "127.0.0.1:9443"); parseExports(t, r.stdout)["PRIVLINK_ENDPOINT"] != "https://127.0.0.1:9443" {
		t.Errorf("env --listen: %s", r.stdout)
	}

	// `eval $(privlink env)`, then the SDK's EnvironmentCredential.
	for k, v := range env {
		t.Setenv(k, v)
	}
	envCredentialSignsIn(t, env)
	if err := srv.signal(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// execResult is a finished privlink command.
type execResult struct {
	code           int
	stdout, stderr string
}

// exec2 runs the privlink binary to completion.
func exec2(t *testing.T, args ...string) execResult {
	t.Helper()
	cmd := newCommand(privlinkBinary(t), args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
	}
	return execResult{code: code, stdout: out.String(), stderr: errb.String()}
}

var exportLine = regexp.MustCompile(`^export ([A-Z_]+)=(.*)$`)

// parseExports reads `export K=V` lines (V possibly single-quoted).
func parseExports(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := exportLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("not an export line: %q", line)
		}
		v := m[2]
		if strings.HasPrefix(v, "'") {
			v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, `'`)
		}
		env[m[1]] = v
	}
	return env
}
