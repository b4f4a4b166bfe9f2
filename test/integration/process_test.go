package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
)

// binDir holds the privlink binary built for this test run.
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "privlink-integration-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// privlinkBinary builds ./cmd/privlink from the module root once per run.
func privlinkBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binError = fmt.Errorf("go tool not found: %w", err)
			return
		}
		out, err := exec.Command(goTool, "env", "GOMOD").Output()
		if err != nil {
			binError = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			binError = errors.New("not inside the privlink module")
			return
		}
		binPath = filepath.Join(binDir, "privlink")
		cmd := exec.Command(goTool, "build", "-o", binPath, "./cmd/privlink")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			binError = fmt.Errorf("go build ./cmd/privlink: %w\n%s", err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// childEnv is the test's environment without PRIVLINK_* variables, so a
// developer's settings cannot change what the child does.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PRIVLINK_") {
			env = append(env, kv)
		}
	}
	return env
}

var readyLine = regexp.MustCompile(`^privlink is ready at (https://\S+) \(subscription ([0-9a-f-]{36}), tenant ([0-9a-f-]{36}); started in \S+\)$`)

// server is `privlink serve` running as a child process.
type server struct {
	cmd          *exec.Cmd
	dir          string
	Endpoint     string
	Subscription string
	Tenant       string
	// ReadyAfter is the time from exec to the ready line.
	ReadyAfter time.Duration

	stderr *logBuffer
	done   chan struct{}
	err    error // the exit status, once done is closed
}

// startServe runs `privlink serve` on dir with a kernel-chosen port and
// waits for its ready line. The process is killed at cleanup if it is
// still running.
func startServe(t *testing.T, dir string) *server {
	t.Helper()
	bin := privlinkBinary(t)
	s := &server{dir: dir, stderr: &logBuffer{}, done: make(chan struct{})}
	s.cmd = newCommand(bin, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--socks-listen", "127.0.0.1:0", "--http-proxy-listen", "127.0.0.1:0",
		"--log-level", "info", "--registration-delay", registrationDelay.String())
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start privlink serve: %v", err)
	}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case ready <- m:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("privlink serve --data-dir %s stderr:\n%s", dir, s.stderr.String())
		}
	})
	select {
	case m := <-ready:
		s.ReadyAfter = time.Since(start)
		s.Endpoint, s.Subscription, s.Tenant = m[1], m[2], m[3]
	case <-s.done:
		t.Fatalf("privlink serve exited before it was ready: %v\n%s", s.err, s.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("privlink serve not ready after a minute\n%s", s.stderr.String())
	}
	return s
}

// signal sends sig and waits for the process to exit.
func (s *server) signal(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-s.done:
		return s.err
	case <-time.After(30 * time.Second):
		t.Fatalf("privlink serve did not exit within 30s of %v\n%s", sig, s.stderr.String())
		return nil
	}
}

// client returns an SDK client for the child daemon, trusting the CA in
// its data directory.
func (s *server) client(t *testing.T) *client {
	t.Helper()
	return newClient(t, s.Endpoint, filepath.Join(s.dir, "ca.crt"), s.Subscription, s.Tenant)
}

// waitCtx is a context for one test step.
func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newCommand is exec.Command with childEnv.
func newCommand(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	return cmd
}

// envCredentialSignsIn configures azidentity's EnvironmentCredential and
// an ARM client from the variables `privlink env` printed (already in the
// process environment) and checks that it signs in and reads the
// subscription's resource groups.
func envCredentialSignsIn(t *testing.T, env map[string]string) {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: caPool(t, env["SSL_CERT_FILE"]), MinVersion: tls.VersionTLS12}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	// No cloud configuration: the authority host comes from
	// AZURE_AUTHORITY_HOST, the tenant, client and secret from AZURE_*.
	cred, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Transport: hc},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("EnvironmentCredential: %v", err)
	}
	endpoint := env["PRIVLINK_ENDPOINT"]
	groups, err := armresources.NewResourceGroupsClient(env["AZURE_SUBSCRIPTION_ID"], cred, &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: endpoint},
		}},
		Transport: hc,
	}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := groups.CreateOrUpdate(waitCtx(t), "rg-from-env", armresources.ResourceGroup{Location: to(location)}, nil)
	if err != nil {
		t.Fatalf("create with the environment credential: %v", err)
	}
	if deref(g.ID) != "/subscriptions/"+env["AZURE_SUBSCRIPTION_ID"]+"/resourceGroups/rg-from-env" {
		t.Fatalf("created %s", deref(g.ID))
	}
}
