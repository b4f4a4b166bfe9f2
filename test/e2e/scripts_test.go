package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scriptTimeout bounds one script (the AKS scripts start several real API
// servers, slow under -race); the whole package must stay within a few
// minutes.
const scriptTimeout = 4 * time.Minute

// TestScripts runs every scripts/*.sh with `bash -euo pipefail` as a user
// who ran `eval $(privlink env)` would, in a fresh working directory with a
// fresh HOME and CLI state, and compares its stdout, normalised, with
// scripts/<name>.out. With -update it writes the .out files instead; they
// must then be reviewed line by line against what real az 2.45 prints.
func TestScripts(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts/*.sh")
	}
	sort.Strings(scripts)
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".sh")
		t.Run(name, func(t *testing.T) { runScript(t, script) })
	}
}

// TestScriptsArePlainAz keeps the scripts honest: they are what a user
// writes for real az, so no line outside a comment may call privlink.
func TestScriptsArePlainAz(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, script := range scripts {
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if code, _, _ := strings.Cut(line, "#"); strings.Contains(strings.ToLower(code), "privlink") {
				t.Errorf("%s:%d uses privlink: %s", script, i+1, line)
			}
		}
	}
}

func runScript(t *testing.T, script string) {
	abs, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	golden := strings.TrimSuffix(abs, ".sh") + ".out"
	resetCLIState(t)
	work := t.TempDir()
	start := time.Now()
	res := runProcess(t, scriptTimeout, work, clientEnv(t.TempDir()), "bash", "-euo", "pipefail", abs)
	t.Logf("%s ran in %s", filepath.Base(script), time.Since(start).Round(time.Millisecond))
	if res.code != 0 {
		hint := ""
		if strings.Contains(res.stderr, "is misspelled or not recognized by the system") {
			hint = "\nthe CLI does not have a command this script uses (is its command group registered in internal/cli/cli.go?)"
		}
		if _, err := os.Stat(golden); errors.Is(err, os.ErrNotExist) {
			hint += "\nthere is no golden file " + filepath.Base(golden) + " yet either: once the script runs, generate it with -update and review it against real az 2.45"
		}
		t.Fatalf("%s exited %d%s\nstdout:\n%s\nstderr:\n%s", filepath.Base(script), res.code, hint, res.stdout, res.stderr)
	}
	got := normalize(res.stdout, env.vars)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: review it against real az 2.45 output before committing", golden)
		return
	}
	want, err := os.ReadFile(golden)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s has no golden file %s yet: run\n\tgo test ./test/e2e -run 'TestScripts/%s$' -update\nand review the result line by line against real az 2.45 output\nstdout:\n%s\nstderr:\n%s",
			filepath.Base(script), filepath.Base(golden), strings.TrimSuffix(filepath.Base(script), ".sh"), got, res.stderr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("%s: stdout differs from %s (-want +got):\n%s\nstderr:\n%s", filepath.Base(script), filepath.Base(golden), diff, res.stderr)
	}
}

var (
	guidRE      = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	timestampRE = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?`)
	// A private DNS zone's internalId is an opaque base64 string that
	// embeds a random GUID.
	internalIDRE = regexp.MustCompile(`("internalId": |internalId: )"?[A-Za-z0-9+/=]+"?`)
)

// normalize replaces the values that change from run to run: the daemon's
// endpoint and data directory, the subscription and tenant IDs, timestamps,
// private DNS zones' internalIds, and every other GUID (resource GUIDs, principal and client IDs, role
// assignment names, etags), numbered in order of first appearance so that
// the golden still shows which values are the same.
func normalize(s string, vars map[string]string) string {
	replacer := strings.NewReplacer(
		vars["PRIVLINK_ENDPOINT"], "<endpoint>",
		vars["PRIVLINK_DATA_DIR"], "<data-dir>",
	)
	s = replacer.Replace(s)
	s = internalIDRE.ReplaceAllString(s, `$1"<internal-id>"`)
	names := map[string]string{
		strings.ToLower(vars["AZURE_SUBSCRIPTION_ID"]): "<subscription-id>",
		strings.ToLower(vars["AZURE_TENANT_ID"]):       "<tenant-id>",
	}
	var b strings.Builder
	last, n := 0, 0
	for _, m := range guidRE.FindAllStringIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		last = m[1]
		g := s[m[0]:m[1]]
		// Role definition IDs are the same in every subscription
		// (4d97b98b-... is Network Contributor everywhere): keep them.
		if strings.HasSuffix(strings.ToLower(s[:m[0]]), "/roledefinitions/") {
			b.WriteString(g)
			continue
		}
		key := strings.ToLower(g)
		name, ok := names[key]
		if !ok {
			n++
			name = fmt.Sprintf("<guid-%d>", n)
			names[key] = name
		}
		b.WriteString(name)
	}
	b.WriteString(s[last:])
	return timestampRE.ReplaceAllString(b.String(), "<timestamp>")
}
