package aks

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfigFor is what AKS returns for a user (or admin) credential.
func kubeconfigFor(server, user, token string) string {
	return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Y2EK
    server: https://` + server + `:443
  name: aks1
contexts:
- context:
    cluster: aks1
    user: ` + user + `
  name: aks1
current-context: aks1
preferences: {}
users:
- name: ` + user + `
  user:
    token: ` + token + `
`
}

func serveCredentials(f interface {
	JSON(method, path string, status int, body any)
}, action, kubeconfig string) {
	f.JSON("POST", clusterP+"/"+action, 200, map[string]any{"kubeconfigs": []any{map[string]any{
		"name": "clusterUser", "value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))}}})
}

const userKC = "clusterUser_rg_aks1"

func TestGetCredentialsNewFileAndMerge(t *testing.T) {
	f := newFake(t)
	home := os.Getenv("HOME")
	serveCredentials(f, "listClusterUserCredential", kubeconfigFor("aks1-1234.abc.privatelink.westus2.azmk8s.io", userKC, "t1"))
	res := f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1").Expect(t, 0)
	path := filepath.Join(home, ".kube", "config")
	if want := `WARNING: Merged "aks1" as current context in ` + path; strings.TrimSpace(res.Stderr) != want {
		t.Errorf("stderr %q, want %q", res.Stderr, want)
	}
	if res.Stdout != "" {
		t.Errorf("stdout %q", res.Stdout)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig file: %v %v", st, err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "aks1" || cfg.Clusters["aks1"].Server != "https://aks1-1234.abc.privatelink.westus2.azmk8s.io:443" ||
		cfg.AuthInfos[userKC].Token != "t1" || cfg.Contexts["aks1"].AuthInfo != userKC {
		t.Errorf("config: %+v", cfg)
	}
	req := f.Last("POST")
	if req.APIVersion() != "2022-11-01" || req.Query.Has("server-fqdn") {
		t.Errorf("request %v", req.Query)
	}

	// Merge a second cluster into the existing file, with --public-fqdn.
	f.JSON("POST", strings.Replace(clusterP, "aks1", "aks2", 1)+"/listClusterUserCredential", 200, map[string]any{"kubeconfigs": []any{map[string]any{
		"name": "clusterUser", "value": base64.StdEncoding.EncodeToString([]byte(
			strings.ReplaceAll(kubeconfigFor("aks2-1234.hcp.westus2.azmk8s.io", "clusterUser_rg_aks2", "t2"), "aks1", "aks2")))}}})
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks2", "--public-fqdn").Expect(t, 0)
	if q := f.Last("POST").Query.Get("server-fqdn"); q != "public" {
		t.Errorf("server-fqdn=%q", q)
	}
	cfg, err = clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "aks2" || len(cfg.Clusters) != 2 || len(cfg.Contexts) != 2 || len(cfg.AuthInfos) != 2 ||
		cfg.Clusters["aks2"].Server != "https://aks2-1234.hcp.westus2.azmk8s.io:443" {
		t.Errorf("merged config: %+v", cfg)
	}

	// The same credentials again merge silently (identical entries).
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1").Expect(t, 0)
	cfg, _ = clientcmd.LoadFromFile(path)
	if cfg.CurrentContext != "aks1" || len(cfg.Clusters) != 2 {
		t.Errorf("re-merge: %+v", cfg)
	}
}

func TestGetCredentialsConflict(t *testing.T) {
	f := newFake(t)
	path := filepath.Join(t.TempDir(), "kc")
	serveCredentials(f, "listClusterUserCredential", kubeconfigFor("old.example", userKC, "t1"))
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path).Expect(t, 0)
	before, _ := os.ReadFile(path)

	// The server moved: the cluster entry differs.
	serveCredentials(f, "listClusterUserCredential", kubeconfigFor("new.example", userKC, "t1"))
	res := f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path).Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: A different object named aks1 already exists in clusters in your kubeconfig file.") {
		t.Errorf("stderr: %s", res.Stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("file changed although the merge failed")
	}
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path, "--overwrite-existing").Expect(t, 0)
	cfg, _ := clientcmd.LoadFromFile(path)
	if cfg.Clusters["aks1"].Server != "https://new.example:443" {
		t.Errorf("overwrite: %+v", cfg.Clusters["aks1"])
	}

	// A file that is not 0600 gets az's warning.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	res = f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path).Expect(t, 0)
	if !strings.Contains(res.Stderr, `has permissions "644".`) {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestGetCredentialsStdoutContextAdmin(t *testing.T) {
	f := newFake(t)
	kc := kubeconfigFor("srv.example", userKC, "t1")
	serveCredentials(f, "listClusterUserCredential", kc)
	res := f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "--file", "-").Expect(t, 0)
	if res.Stdout != kc+"\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("HOME"), ".kube")); !os.IsNotExist(err) {
		t.Error("--file - created ~/.kube")
	}

	path := filepath.Join(t.TempDir(), "sub", "config")
	res = f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path, "--context", "dev").Expect(t, 0)
	if !strings.Contains(res.Stderr, `Merged "dev" as current context in `+path) {
		t.Errorf("stderr: %s", res.Stderr)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "dev" || cfg.Contexts["dev"] == nil || cfg.Contexts["dev"].Cluster != "dev" || cfg.Clusters["dev"] == nil ||
		cfg.Clusters["aks1"] != nil || cfg.AuthInfos[userKC] == nil {
		t.Errorf("--context: %+v", cfg)
	}

	// Admin credentials: context renamed "<name>-admin" so the user context stays.
	serveCredentials(f, "listClusterAdminCredential", kubeconfigFor("srv.example", "clusterAdmin_rg_aks1", "admintoken"))
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1", "-f", path, "--admin").Expect(t, 0)
	cfg, _ = clientcmd.LoadFromFile(path)
	if cfg.CurrentContext != "aks1-admin" || cfg.Contexts["aks1-admin"].AuthInfo != "clusterAdmin_rg_aks1" || cfg.Contexts["dev"] == nil {
		t.Errorf("admin: %+v", cfg)
	}
	if !strings.HasSuffix(f.Last("POST").Path, "/listClusterAdminCredential") {
		t.Errorf("admin path %s", f.Last("POST").Path)
	}
}

func TestGetCredentialsKUBECONFIG(t *testing.T) {
	f := newFake(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "first")
	t.Setenv("KUBECONFIG", first+string(os.PathListSeparator)+filepath.Join(dir, "second"))
	serveCredentials(f, "listClusterUserCredential", kubeconfigFor("srv.example", userKC, "t1"))
	f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1").Expect(t, 0)
	if _, err := os.Stat(first); err != nil {
		t.Errorf("KUBECONFIG's first file not written: %v", err)
	}
	f.JSON("POST", clusterP+"/listClusterUserCredential", 200, map[string]any{"kubeconfigs": []any{}})
	res := f.Run(Groups(), "aks", "get-credentials", "-g", "rg", "-n", "aks1").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: Fail to find kubeconfig file.") {
		t.Errorf("stderr %s", res.Stderr)
	}
}
