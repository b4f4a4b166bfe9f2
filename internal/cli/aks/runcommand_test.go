package aks

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/cli/clitest"
)

// serveRunCommand accepts runCommand with 202 + Location and answers the
// result URL with 202 `pending` times (with the given headers), then the
// RunCommandResultSucceed example.
func serveRunCommand(t *testing.T, f *clitest.Fake, pending int, header map[string]string) {
	t.Helper()
	result := example(t, "RunCommandResultSucceed.json")
	resultP := clusterP + "/commandResults/def7b3ea71bd4f7e9d226ddbc0f00ad9"
	f.JSON("GET", clusterP, 200, existingCluster(nil))
	f.Handle("POST", clusterP+"/runCommand", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Location", f.URL(resultP)+"?api-version=2022-11-01")
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	var mu sync.Mutex
	n := 0
	f.Handle("GET", resultP, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= pending {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(http.StatusAccepted)
			return
		}
		clitest.WriteJSON(w, 200, result)
	})
}

func TestCommandInvoke(t *testing.T) {
	f := newFake(t)
	serveRunCommand(t, f, 2, map[string]string{"Retry-After": "1", "Retry-After-Ms": "100"})
	res := f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "--command", "kubectl apply -f ns.yaml").Expect(t, 0)
	want := "command started at 2021-02-17 00:28:20+00:00, finished at 2021-02-17 00:28:33+00:00 with exitcode=0\nnamespace dummy created\n"
	if res.Stdout != want {
		t.Errorf("stdout %q, want %q", res.Stdout, want)
	}
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"command": "kubectl apply -f ns.yaml", "context": "", "clusterToken": ""}`)
	// Retry-After-Ms 100 is raised to the 1 s floor; three polls of the result URL.
	sleeps := f.Sleeps()
	if len(sleeps) != 3 {
		t.Fatalf("sleeps %v", sleeps)
	}
	for _, s := range sleeps {
		if s != time.Second {
			t.Errorf("sleep %v, want 1s", s)
		}
	}

	// -o json returns the model instead.
	out := f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "kubectl get ns", "-o", "json").Expect(t, 0).Object(t)
	if out["exitCode"] != 0.0 || out["logs"] != "namespace dummy created" || out["id"] != "def7b3ea71bd4f7e9d226ddbc0f00ad9" {
		t.Errorf("json output: %v", out)
	}
}

func TestCommandInvokeHonoursRetryAfter(t *testing.T) {
	f := newFake(t)
	serveRunCommand(t, f, 1, map[string]string{"Retry-After": "3"})
	f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "true").Expect(t, 0)
	if s := f.Sleeps(); len(s) != 2 || s[0] != 3*time.Second || s[1] != 3*time.Second {
		t.Errorf("sleeps %v", s)
	}
	f2 := newFake(t)
	serveRunCommand(t, f2, 0, nil)
	f2.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "true").Expect(t, 0)
	if s := f2.Sleeps(); len(s) != 1 || s[0] != 5*time.Second {
		t.Errorf("sleeps without Retry-After %v", s)
	}
}

func TestCommandInvokeFailedAndErrors(t *testing.T) {
	f := newFake(t)
	f.JSON("GET", clusterP, 200, existingCluster(nil))
	f.JSON("POST", clusterP+"/runCommand", 200, map[string]any{"id": "x", "properties": map[string]any{"provisioningState": "Failed", "reason": "ImagePullBackoff"}})
	res := f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "kubectl get ns").Expect(t, 0)
	if res.Stdout != "command failed with reason: ImagePullBackoff\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	f.Error("POST", clusterP+"/runCommand", 400, "OperationNotAllowed", "Run command is disabled for this cluster.")
	res = f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "kubectl get ns").Expect(t, 1)
	if !strings.Contains(res.Stderr, "Run command is disabled for this cluster.") {
		t.Errorf("stderr %s", res.Stderr)
	}
	res = f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "x", "-f", "/nonexistent/file").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: /nonexistent/file is not valid file, or not accessable.") {
		t.Errorf("stderr %s", res.Stderr)
	}
	res = f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "x", "-f", ".", "-f", "a").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: . is used to attach current folder, not expecting other attachements.") {
		t.Errorf("stderr %s", res.Stderr)
	}
}

// unzipContext decodes a request context back into name -> content.
func unzipContext(t *testing.T, ctx string) map[string]string {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(ctx, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[zf.Name] = string(b)
	}
	return out
}

func TestCommandInvokeAttachesFiles(t *testing.T) {
	f := newFake(t)
	serveRunCommand(t, f, 0, map[string]string{"Retry-After": "1"})
	dir := t.TempDir()
	big := strings.Repeat("x", 500)
	for name, content := range map[string]string{"ns.yaml": "kind: Namespace\n", "sub/deploy.yaml": big} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Individual files are attached flat.
	f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "kubectl apply -f deploy.yaml",
		"-f", filepath.Join(dir, "ns.yaml"), "-f", filepath.Join(dir, "sub", "deploy.yaml")).Expect(t, 0)
	var body map[string]string
	_ = json.Unmarshal(f.Last("POST").Body, &body)
	ctx := body["context"]
	for _, line := range strings.Split(strings.TrimSuffix(ctx, "\n"), "\n") {
		if len(line) > 76 {
			t.Fatalf("context line longer than 76: %d", len(line))
		}
	}
	files := unzipContext(t, ctx)
	if files["ns.yaml"] != "kind: Namespace\n" || files["deploy.yaml"] != big || len(files) != 2 {
		t.Errorf("flat files: %v", keys(files))
	}
	// "." attaches the current folder with its structure.
	t.Chdir(dir)
	f.Run(Groups(), "aks", "command", "invoke", "-g", "rg", "-n", "aks1", "-c", "kubectl apply -f .", "-f", ".").Expect(t, 0)
	_ = json.Unmarshal(f.Last("POST").Body, &body)
	files = unzipContext(t, body["context"])
	if files["ns.yaml"] != "kind: Namespace\n" || files["sub/deploy.yaml"] != big || len(files) != 2 {
		t.Errorf("folder files: %v", keys(files))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCommandResult(t *testing.T) {
	f := newFake(t)
	resultP := clusterP + "/commandResults/abc"
	f.Handle("GET", resultP, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusAccepted) })
	res := f.Run(Groups(), "aks", "command", "result", "-g", "rg", "-n", "aks1", "--command-id", "abc").Expect(t, 0)
	if res.Stdout != "command is in : Running state\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	f.JSON("GET", resultP, 200, example(t, "RunCommandResultSucceed.json"))
	res = f.Run(Groups(), "aks", "command", "result", "-g", "rg", "-n", "aks1", "-i", "abc").Expect(t, 0)
	if !strings.HasPrefix(res.Stdout, "command started at 2021-02-17 00:28:20+00:00") {
		t.Errorf("stdout %q", res.Stdout)
	}
}
