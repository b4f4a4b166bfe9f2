package extension

import (
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

func TestSeedFlow(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "extension", "add", "--name", "aks-preview").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("add printed %q", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "'aks-preview'") || !strings.Contains(res.Stderr, "nothing needs installing") {
		t.Errorf("add note = %q", res.Stderr)
	}
	res = f.Run(Groups(), "extension", "update", "--name", "aks-preview").Expect(t, 0)
	if res.Stdout != "" || !strings.Contains(res.Stderr, "Latest version of 'aks-preview' is already installed.") {
		t.Errorf("update: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
	f.Run(Groups(), "extension", "add", "-n", "connectedk8s").Expect(t, 0)

	list := f.Run(Groups(), "extension", "list").Expect(t, 0).List(t)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "aks-preview" || list[1].(map[string]any)["name"] != "connectedk8s" {
		t.Fatalf("list = %v", list)
	}
	aks := list[0].(map[string]any)
	if aks["preview"] != true || aks["extensionType"] != "whl" || aks["version"] != BuiltinVersion {
		t.Errorf("entry = %v", aks)
	}
	if v := f.Run(Groups(), "extension", "show", "--name", "connectedk8s", "--query", "version").Expect(t, 0).JSON(t); v != BuiltinVersion {
		t.Errorf("show version = %v", v)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("extension commands must not call the daemon: %v", f.Summary())
	}

	res = f.Run(Groups(), "extension", "add", "--name", "aks-preview").Expect(t, 0)
	if !strings.Contains(res.Stderr, "Extension 'aks-preview' is already installed.") {
		t.Errorf("re-add stderr = %q", res.Stderr)
	}
	f.Run(Groups(), "extension", "remove", "--name", "aks-preview").Expect(t, 0)
	res = f.Run(Groups(), "extension", "show", "--name", "aks-preview").Expect(t, 1)
	if res.Stderr != "ERROR: The extension aks-preview is not installed.\n" {
		t.Errorf("show removed = %q", res.Stderr)
	}
	f.Run(Groups(), "extension", "update", "--name", "aks-preview").Expect(t, 1)
	f.Run(Groups(), "extension", "remove", "--name", "aks-preview").Expect(t, 1)
}

func TestAddFromSourceAndVersion(t *testing.T) {
	f := clitest.New(t)
	f.Run(Groups(), "extension", "add", "--source", "https://example.invalid/aks_preview-0.5.129-py2.py3-none-any.whl", "--yes").Expect(t, 0)
	f.Run(Groups(), "extension", "add", "--name", "k8s-extension", "--version", "1.3.9").Expect(t, 0)
	list := f.Run(Groups(), "extension", "list", "--query", "[].[name, version]").Expect(t, 0).List(t)
	want := "[[aks-preview 0.5.129] [k8s-extension 1.3.9]]"
	if got := strings.ReplaceAll(strings.TrimSpace(fmtList(list)), "\n", ""); got != want {
		t.Errorf("list = %s, want %s", got, want)
	}
	f.Run(Groups(), "extension", "add").Expect(t, 1)
}

func fmtList(v []any) string {
	var b strings.Builder
	b.WriteString("[")
	for i, e := range v {
		if i > 0 {
			b.WriteString(" ")
		}
		pair := e.([]any)
		b.WriteString("[" + pair[0].(string) + " " + pair[1].(string) + "]")
	}
	b.WriteString("]")
	return b.String()
}
