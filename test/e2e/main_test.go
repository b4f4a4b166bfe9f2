// Package e2e drives the real privlink binary the way a user does: it
// builds cmd/privlink once, installs it as both `privlink` and `az`, starts
// `privlink serve` on a loopback port with a temporary data directory,
// exports what `privlink env` prints, and runs the shell scripts in
// scripts/ with bash, comparing their output with the .out golden files.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite scripts/*.out from the scripts' output (review the result against real az before committing)")

// registrationDelay is the daemon's --registration-delay: long enough that
// a freshly registered feature reads Registering, short enough for the
// scripts' polling loops to see Registered within a couple of seconds.
const registrationDelay = "1s"

// env is the harness state shared by the tests, set up once in TestMain.
var env struct {
	tmp      string // root of everything the harness creates
	bin      string // $tmp/bin: privlink and az (a symlink to it)
	privlink string // $tmp/bin/privlink
	az       string // $tmp/bin/az
	azCopy   string // $tmp/copy/az: a regular copy of the binary
	dataDir  string // the daemon's --data-dir
	endpoint string // https://127.0.0.1:<port>
	vars     map[string]string
	daemon   *exec.Cmd
	stderr   *lockedBuffer // the daemon's log
}

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == webServerName {
		os.Exit(serveWeb(os.Args[1:]))
	}
	flag.Parse()
	code, err := run(m)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		if env.stderr != nil {
			fmt.Fprintf(os.Stderr, "--- privlink serve log ---\n%s", env.stderr.String())
		}
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (code int, err error) {
	tmp, err := os.MkdirTemp("", "privlink-e2e-")
	if err != nil {
		return 0, fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmp); rmErr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", tmp, rmErr)
		}
	}()
	env.tmp = tmp
	if err := build(); err != nil {
		return 0, err
	}
	if err := startDaemon(); err != nil {
		return 0, err
	}
	defer func() {
		if stopErr := stopDaemon(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	return m.Run(), nil
}

// build compiles cmd/privlink into $tmp/bin and installs the az alias: a
// symlink in $tmp/bin (the one on the scripts' PATH) and a plain copy in
// $tmp/copy. When this test binary is race-enabled, so is privlink: the
// daemon and every CLI run then report data races too.
func build() error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("go env GOMOD: not inside the privlink module")
	}
	env.bin = filepath.Join(env.tmp, "bin")
	env.privlink = filepath.Join(env.bin, "privlink")
	env.az = filepath.Join(env.bin, "az")
	env.azCopy = filepath.Join(env.tmp, "copy", "az")
	args := []string{"build", "-o", env.privlink}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/privlink")...)
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, out)
	}
	if err := os.Symlink("privlink", env.az); err != nil {
		return fmt.Errorf("az symlink: %w", err)
	}
	// kubectl on PATH is privlink's embedded one, standing for a machine
	// that has kubectl installed (az aks install-cli).
	if err := os.Symlink("privlink", filepath.Join(env.bin, "kubectl")); err != nil {
		return fmt.Errorf("kubectl symlink: %w", err)
	}
	// The scripts' stand-in for a web server a user runs on this machine
	// (python3 -m http.server): this test binary under another name.
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("test binary: %w", err)
	}
	if err := os.Symlink(self, filepath.Join(env.bin, webServerName)); err != nil {
		return fmt.Errorf("%s symlink: %w", webServerName, err)
	}
	if err := os.MkdirAll(filepath.Dir(env.azCopy), 0o755); err != nil {
		return fmt.Errorf("copy dir: %w", err)
	}
	data, err := os.ReadFile(env.privlink)
	if err != nil {
		return fmt.Errorf("read binary: %w", err)
	}
	if err := os.WriteFile(env.azCopy, data, 0o755); err != nil {
		return fmt.Errorf("az copy: %w", err)
	}
	return nil
}

var readyLine = regexp.MustCompile(`^privlink is ready at (https://127\.0\.0\.1:(\d+)) `)

// startDaemon runs `privlink serve` on a free loopback port, waits for its
// ready line, then loads the client environment from `privlink env`.
func startDaemon() error {
	env.dataDir = filepath.Join(env.tmp, "data")
	env.stderr = &lockedBuffer{}
	cmd := exec.Command(env.privlink, "serve", "--data-dir", env.dataDir, "--listen", "127.0.0.1:0", "--socks-listen", "127.0.0.1:0", "--http-proxy-listen", "127.0.0.1:0",
		"--registration-delay", registrationDelay)
	cmd.Env = append(cleanEnviron(), "HOME="+filepath.Join(env.tmp, "daemon-home"), raceOptions)
	cmd.Stderr = env.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("serve stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start privlink serve: %w", err)
	}
	env.daemon = cmd
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		close(ready)
	}()
	select {
	case ep, ok := <-ready:
		if !ok {
			return fmt.Errorf("privlink serve exited before it was ready: %w", cmd.Wait())
		}
		env.endpoint = ep
	case <-time.After(60 * time.Second):
		return errors.New("privlink serve: no ready line within 60s")
	}
	// As a user would: `privlink env` finds the port the daemon bound in
	// its data directory.
	envCmd := exec.Command(env.privlink, "env", "--data-dir", env.dataDir)
	envCmd.Env = cleanEnviron()
	out, err := envCmd.Output()
	if err != nil {
		return fmt.Errorf("privlink env: %w", err)
	}
	vars, err := parseExports(string(out))
	if err != nil {
		return fmt.Errorf("privlink env: %w", err)
	}
	for _, k := range []string{"PRIVLINK_ENDPOINT", "PRIVLINK_DATA_DIR", "SSL_CERT_FILE", "AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID"} {
		if vars[k] == "" {
			return fmt.Errorf("privlink env printed no %s:\n%s", k, out)
		}
	}
	if vars["PRIVLINK_ENDPOINT"] != env.endpoint {
		return fmt.Errorf("privlink env: PRIVLINK_ENDPOINT=%s, serve said %s", vars["PRIVLINK_ENDPOINT"], env.endpoint)
	}
	env.vars = vars
	return nil
}

// stopDaemon stops the daemon with SIGTERM and checks that it shut down
// cleanly (exit 0) without reporting a data race.
func stopDaemon() error {
	if env.daemon == nil || env.daemon.Process == nil {
		return nil
	}
	if err := env.daemon.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal privlink serve: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- env.daemon.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = env.daemon.Process.Kill()
		<-done
		err = errors.New("did not stop within 30s of SIGTERM")
	}
	if err != nil {
		return fmt.Errorf("privlink serve: %w", err)
	}
	if strings.Contains(env.stderr.String(), "DATA RACE") {
		return errors.New("privlink serve reported a data race")
	}
	return nil
}

// parseExports reads `export NAME=value` lines as printed by `privlink env`
// (values are either bare or single-quoted for the shell).
func parseExports(s string) (map[string]string, error) {
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		name, value, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		if strings.HasPrefix(value, "'") {
			if len(value) < 2 || !strings.HasSuffix(value, "'") {
				return nil, fmt.Errorf("unbalanced quotes in %q", line)
			}
			value = strings.ReplaceAll(value[1:len(value)-1], `'\''`, `'`)
		}
		vars[name] = value
	}
	return vars, nil
}

// cleanEnviron is the test process's environment without anything that
// would point the CLI elsewhere or change its defaults.
func cleanEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AZURE_"), strings.HasPrefix(name, "ARM_"), strings.HasPrefix(name, "PRIVLINK_"),
			name == "SSL_CERT_FILE", name == "REQUESTS_CA_BUNDLE", name == "HOME", name == "GORACE":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// clientEnv is the environment of a user who ran `eval $(privlink env)`
// with $tmp/bin first on PATH and home as HOME.
func clientEnv(home string) []string {
	out := cleanEnviron()
	for i, kv := range out {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			out[i] = "PATH=" + env.bin + string(os.PathListSeparator) + v
		}
	}
	for k, v := range env.vars {
		out = append(out, k+"="+v)
	}
	return append(out, "HOME="+home, raceOptions)
}

// resetCLIState removes the CLI's state file (cli.json in the data
// directory: `az account set`, added extensions) so each script starts as
// a fresh az installation.
func resetCLIState(t *testing.T) {
	t.Helper()
	if err := os.Remove(filepath.Join(env.vars["PRIVLINK_DATA_DIR"], "cli.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reset CLI state: %v", err)
	}
}

// result is one finished process.
type result struct {
	stdout, stderr string
	code           int
}

// runProcess runs name with args in dir with environ, stopping it (and
// its process group) after timeout.
func runProcess(t *testing.T, timeout time.Duration, dir string, environ []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: still running after %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), timeout, stdout.String(), stderr.String())
	case errors.As(err, &exitErr):
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	if strings.Contains(stderr.String(), "DATA RACE") {
		t.Errorf("%s %s reported a data race:\n%s", name, strings.Join(args, " "), stderr.String())
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// lockedBuffer is an io.Writer safe for the daemon's stderr copier and
// the test reading it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

var _ io.Writer = (*lockedBuffer)(nil)

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// raceOptions makes a race-enabled privlink exit as soon as it is done
// (the race runtime otherwise sleeps a second at exit) and fail loudly on
// the first race.
const raceOptions = "GORACE=atexit_sleep_ms=0 halt_on_error=1"

// webServerName is the scripts' static web server: `e2e-web-server DIR
// PORTFILE` serves DIR on 127.0.0.1 (a free port, written to PORTFILE)
// until killed, like `python3 -m http.server --bind 127.0.0.1`.
const webServerName = "e2e-web-server"

func serveWeb(args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s DIR PORTFILE\n", webServerName)
		return 2
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(args[1]+".tmp", []byte(port), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.Rename(args[1]+".tmp", args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(args[0])), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(l); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
