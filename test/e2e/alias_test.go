package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const commandTimeout = 30 * time.Second

// TestAzAlias checks that the one binary is the same CLI whether invoked as
// `privlink`, through the `az` symlink, or as a regular file named `az`:
// identical stdout, stderr and exit code for the same arguments.
func TestAzAlias(t *testing.T) {
	resetCLIState(t)
	cases := []struct {
		args       []string
		code       int
		stdout     string // exact, when not empty
		stderrHead string // prefix of stderr, when not empty
	}{
		{args: []string{"account", "show", "--query", "id", "-o", "tsv"}, stdout: env.vars["AZURE_SUBSCRIPTION_ID"] + "\n"},
		{args: []string{"group", "list", "--query", "[?name=='e2e-alias-none']", "-o", "json"}, stdout: "[]\n"},
		{args: []string{"group", "exists", "-n", "e2e-alias-none"}, stdout: "false\n"},
		{args: []string{"group", "show", "-n", "e2e-alias-none"}, code: 3,
			stderrHead: "ERROR: (ResourceGroupNotFound) Resource group 'e2e-alias-none' could not be found.\n"},
		{args: []string{"group", "create", "-n", "e2e-alias-none"}, code: 2,
			stderrHead: "ERROR: the following arguments are required: --location/-l\n"},
		{args: []string{"feature", "show", "--namespace", "Microsoft.ContainerService", "--name", "AKSPrivateLinkPreview", "--query", "name", "-o", "tsv"},
			stdout: "Microsoft.ContainerService/AKSPrivateLinkPreview\n"},
		{args: []string{"group", "--help"}},
		{args: []string{"extension", "list"}, stdout: "[]\n"},
	}
	home := t.TempDir()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			want := runProcess(t, commandTimeout, home, clientEnv(home), env.privlink, tc.args...)
			if want.code != tc.code {
				t.Fatalf("privlink %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), want.code, tc.code, want.stdout, want.stderr)
			}
			if tc.stdout != "" && want.stdout != tc.stdout {
				t.Errorf("privlink %s: stdout %q, want %q", strings.Join(tc.args, " "), want.stdout, tc.stdout)
			}
			if tc.code == 0 && want.stdout == "" {
				t.Errorf("privlink %s: no output", strings.Join(tc.args, " "))
			}
			if !strings.HasPrefix(want.stderr, tc.stderrHead) {
				t.Errorf("privlink %s: stderr %q, want it to start with %q", strings.Join(tc.args, " "), want.stderr, tc.stderrHead)
			}
			for _, az := range []string{env.az, env.azCopy} {
				got := runProcess(t, commandTimeout, home, clientEnv(home), az, tc.args...)
				if got != want {
					t.Errorf("%s %s differs from privlink %s:\nexit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s",
						az, strings.Join(tc.args, " "), strings.Join(tc.args, " "), got.code, want.code, got.stdout, want.stdout, got.stderr, want.stderr)
				}
			}
		})
	}
}

// TestAzOnlyCommands checks the one documented difference between the
// names: `privlink version` is the daemon's version, `az version` the az
// command that prints the CLI's versions as JSON.
func TestAzOnlyCommands(t *testing.T) {
	resetCLIState(t)
	home := t.TempDir()
	pl := runProcess(t, commandTimeout, home, clientEnv(home), env.privlink, "version")
	if pl.code != 0 || !strings.HasPrefix(pl.stdout, "privlink ") {
		t.Errorf("privlink version: exit %d, stdout %q; want 0 and \"privlink <version>\"", pl.code, pl.stdout)
	}
	for _, az := range []string{env.az, env.azCopy} {
		res := runProcess(t, commandTimeout, home, clientEnv(home), az, "version", "--query", `"azure-cli"`, "-o", "tsv")
		if res.code != 0 || res.stdout != "2.45.0\n" {
			t.Errorf("%s version: exit %d, stdout %q, stderr %q; want 0 and \"2.45.0\"", az, res.code, res.stdout, res.stderr)
		}
	}
}

// TestNoDaemon runs az against an endpoint where nothing listens: the
// command fails with exit 1 and privlink's connection error, never a
// traceback or a hang; commands that need no daemon still work.
func TestNoDaemon(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "https://" + l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	// A user who never started the daemon: no data directory, no CA, only
	// the endpoint.
	environ := append(cleanEnviron(), "HOME="+home, raceOptions,
		"PRIVLINK_ENDPOINT="+endpoint, "PRIVLINK_DATA_DIR="+filepath.Join(home, ".privlink"))
	for _, args := range [][]string{
		{"group", "list"},
		{"group", "show", "-n", "rg"}, // a show command: still 1, not 3
		{"feature", "register", "--namespace", "Microsoft.ContainerService", "--name", "AKSPrivateLinkPreview"},
	} {
		for _, az := range []string{env.az, env.azCopy} {
			res := runProcess(t, commandTimeout, home, environ, az, args...)
			cmd := "az " + strings.Join(args, " ")
			if res.code != 1 {
				t.Errorf("%s (%s): exit %d, want 1\nstderr:\n%s", cmd, az, res.code, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("%s: stdout %q, want nothing", cmd, res.stdout)
			}
			// The error is the last line; az may log warnings before it
			// tries the request (feature register does).
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			wantHead := "ERROR: cannot connect to " + endpoint + "/"
			if !strings.HasPrefix(last, wantHead) || !strings.Contains(last, "connection refused") ||
				!strings.HasSuffix(last, "(is the privlink daemon running? Start it with 'privlink serve', or set PRIVLINK_ENDPOINT)") {
				t.Errorf("%s: stderr %q, want its last line to be %q... connection refused ... (is the privlink daemon running? ...)", cmd, res.stderr, wantHead)
			}
			for _, l := range lines[:len(lines)-1] {
				if !strings.HasPrefix(l, "WARNING: ") {
					t.Errorf("%s: stderr line %q before the error", cmd, l)
				}
			}
		}
	}
	res := runProcess(t, commandTimeout, home, environ, env.az, "version", "-o", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"azure-cli": "2.45.0"`) {
		t.Errorf("az version without a daemon: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
}
