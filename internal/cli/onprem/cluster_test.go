package onprem

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const clusters = sites + "/corp/kubernetesClusters"

func TestClusterCreateBody(t *testing.T) {
	f := clitest.New(t)
	echoPut(f, clusters+"/k8s")
	f.Run(Groups(), "onprem", "cluster", "create", "-g", "rg", "--site", "corp", "-n", "k8s", "--node-hosts", "h1", "h2", "-k", "1.37.1").Expect(t, 0)
	p := f.Last("PUT").JSON()["properties"].(map[string]any)
	if hosts, _ := p["nodeHosts"].([]any); len(hosts) != 2 || hosts[0] != "h1" || p["kubernetesVersion"] != "1.37.1" || p["nodeCount"] != nil {
		t.Errorf("body %v", p)
	}
	f.Run(Groups(), "onprem", "cluster", "create", "-g", "rg", "--site", "corp", "-n", "k8s", "--node-count", "3").Expect(t, 0)
	if p := f.Last("PUT").JSON()["properties"].(map[string]any); p["nodeCount"] != float64(3) || p["nodeHosts"] != nil {
		t.Errorf("body %v", p)
	}
}

func TestClusterGetCredentialsMerges(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["k8s"] = &clientcmdapi.Cluster{Server: "https://192.168.0.6:6443", CertificateAuthorityData: []byte("ca")}
	cfg.AuthInfos["onpremAdmin_rg_corp_k8s"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("c"), ClientKeyData: []byte("k")}
	cfg.Contexts["k8s"] = &clientcmdapi.Context{Cluster: "k8s", AuthInfo: "onpremAdmin_rg_corp_k8s"}
	cfg.CurrentContext = "k8s"
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := clitest.New(t)
	f.JSON("POST", clusters+"/k8s/listClusterAdminCredential", 200, map[string]any{
		"kubeconfigs": []any{map[string]any{"name": "clusterAdmin", "value": base64.StdEncoding.EncodeToString(raw)}}})
	path := filepath.Join(t.TempDir(), "kc")
	old := clientcmdapi.NewConfig()
	old.Clusters["aks1"] = &clientcmdapi.Cluster{Server: "https://aks1:443"}
	old.Contexts["aks1"] = &clientcmdapi.Context{Cluster: "aks1"}
	old.CurrentContext = "aks1"
	if err := clientcmd.WriteToFile(*old, path); err != nil {
		t.Fatal(err)
	}
	r := f.Run(Groups(), "onprem", "cluster", "get-credentials", "-g", "rg", "--site", "corp", "-n", "k8s", "--file", path)
	r.Expect(t, 0)
	if !strings.Contains(r.Stderr, `Merged "k8s" as current context in `+path) {
		t.Errorf("stderr %q", r.Stderr)
	}
	got, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.CurrentContext != "k8s" || got.Clusters["k8s"].Server != "https://192.168.0.6:6443" || got.Clusters["aks1"] == nil {
		t.Errorf("merged kubeconfig: %+v", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v %v", st.Mode(), err)
	}
}
