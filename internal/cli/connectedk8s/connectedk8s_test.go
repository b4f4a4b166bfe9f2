package connectedk8s

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

// fakeKube is a Kubernetes API server that stores what connect creates.
type fakeKube struct {
	*httptest.Server
	mu          sync.Mutex
	namespaces  []string
	configMaps  map[string]map[string]string
	deployments []string
	deleted     []string
}

func newFakeKube(t *testing.T) *fakeKube {
	k := &fakeKube{configMaps: map[string]map[string]string{}}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		defer k.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		var obj struct {
			Metadata struct{ Name string } `json:"metadata"`
			Data     map[string]string     `json:"data"`
		}
		_ = json.Unmarshal(body, &obj)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.1"}`))
			return
		case r.Method == "POST" && r.URL.Path == "/api/v1/namespaces":
			k.namespaces = append(k.namespaces, obj.Metadata.Name)
		case r.Method == "POST" && r.URL.Path == "/api/v1/namespaces/azure-arc/configmaps":
			k.configMaps[obj.Metadata.Name] = obj.Data
		case r.Method == "POST" && r.URL.Path == "/apis/apps/v1/namespaces/azure-arc/deployments":
			k.deployments = append(k.deployments, obj.Metadata.Name)
		case r.Method == "DELETE":
			k.deleted = append(k.deleted, r.URL.Path)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Success"}`))
			return
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	}))
	t.Cleanup(k.Close)
	return k
}

func kubeconfig(t *testing.T, server string) string {
	p := filepath.Join(t.TempDir(), "config")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `"}
- name: down
  cluster: {server: "http://127.0.0.1:1"}
contexts:
- name: ctx
  context: {cluster: c, user: u}
- name: down
  context: {cluster: down, user: u}
users:
- name: u
  user: {token: t}
current-context: ctx
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const clusterPath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc1"

func clusterBody() map[string]any {
	return map[string]any{
		"id":   "/subscriptions/" + clitest.SubscriptionID + "/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters/arc1",
		"name": "arc1", "type": "Microsoft.Kubernetes/connectedClusters", "location": "eastus",
		"identity": map[string]any{"type": "SystemAssigned"},
		"properties": map[string]any{"connectivityStatus": "Connecting", "privateLinkState": "Enabled",
			"provisioningState": "Succeeded", "agentPublicKeyCertificate": "x"},
	}
}

func TestConnectPrivateLink(t *testing.T) {
	f := clitest.New(t)
	k := newFakeKube(t)
	cfg := kubeconfig(t, k.URL)
	scope := "/subscriptions/" + clitest.SubscriptionID + "/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/pls"
	f.Error("GET", clusterPath, http.StatusNotFound, "ResourceNotFound", "not found")
	f.JSON("PUT", clusterPath, 201, clusterBody())
	r := f.Run(Groups(), "connectedk8s", "connect", "-g", "rg", "-n", "arc1", "-l", "eastus", "--kube-config", cfg,
		"--enable-private-link", "true", "--private-link-scope-resource-id", scope, "--distribution", "aks").Expect(t, 0)
	if !strings.Contains(r.Stderr, "'cluster-connect' and 'custom-locations' cannot be enabled") {
		t.Errorf("stderr = %s", r.Stderr)
	}
	out := r.Object(t)
	if out["connectivityStatus"] != "Connecting" || out["resourceGroup"] != "rg" {
		t.Errorf("output (properties flattened) = %v", out)
	}
	put := f.Last("PUT")
	props := put.JSON()["properties"].(map[string]any)
	if props["privateLinkState"] != "Enabled" || props["privateLinkScopeResourceId"] != scope || props["distribution"] != "aks" ||
		props["infrastructure"] != "generic" || props["privlinkKubeApiServer"] != k.URL || props["agentPublicKeyCertificate"] == "" {
		t.Errorf("PUT properties = %v", props)
	}
	if put.JSON()["identity"].(map[string]any)["type"] != "SystemAssigned" {
		t.Errorf("identity = %v", put.JSON()["identity"])
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !slices.Equal(k.namespaces, []string{"azure-arc"}) || len(k.deployments) != len(Agents) || !slices.Contains(k.deployments, "clusterconnect-agent") {
		t.Errorf("namespaces %v deployments %v", k.namespaces, k.deployments)
	}
	cm := k.configMaps["azure-clusterconfig"]
	if cm["AZURE_RESOURCE_NAME"] != "arc1" || cm["AZURE_RESOURCE_GROUP"] != "rg" || cm["AZURE_SUBSCRIPTION_ID"] != clitest.SubscriptionID || cm["AZURE_REGION"] != "eastus" {
		t.Errorf("config map = %v", cm)
	}
}

func TestConnectErrors(t *testing.T) {
	f := clitest.New(t)
	k := newFakeKube(t)
	cfg := kubeconfig(t, k.URL)
	r := f.Run(Groups(), "connectedk8s", "connect", "-g", "rg", "-n", "arc1", "-l", "eastus", "--kube-config", cfg, "--enable-private-link", "true").Expect(t, 1)
	if !strings.Contains(r.Stderr, "private link scope resource id must be provided") {
		t.Errorf("stderr = %s", r.Stderr)
	}
	r = f.Run(Groups(), "connectedk8s", "connect", "-g", "rg", "-n", "arc1", "-l", "eastus", "--kube-config", cfg, "--kube-context", "down").Expect(t, 1)
	if !strings.Contains(r.Stderr, "Unable to connect to the Kubernetes cluster at http://127.0.0.1:1") {
		t.Errorf("stderr = %s", r.Stderr)
	}
	r = f.Run(Groups(), "connectedk8s", "connect", "-g", "rg", "-n", "arc1", "-l", "eastus", "--kube-config", filepath.Join(t.TempDir(), "none")).Expect(t, 1)
	if !strings.Contains(r.Stderr, "Problem loading the kubeconfig file") {
		t.Errorf("stderr = %s", r.Stderr)
	}
	f.JSON("GET", clusterPath, 200, clusterBody())
	r = f.Run(Groups(), "connectedk8s", "connect", "-g", "rg", "-n", "arc1", "-l", "eastus", "--kube-config", cfg).Expect(t, 1)
	if !strings.Contains(r.Stderr, "already onboarded") || len(f.Find("PUT", clusterPath)) != 0 {
		t.Errorf("stderr = %s", r.Stderr)
	}
}

func TestShowListDelete(t *testing.T) {
	f := clitest.New(t)
	k := newFakeKube(t)
	f.JSON("GET", clusterPath, 200, clusterBody())
	out := f.Run(Groups(), "connectedk8s", "show", "-g", "rg", "-n", "arc1").Expect(t, 0).Object(t)
	if out["connectivityStatus"] != "Connecting" {
		t.Errorf("show = %v", out)
	}
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Kubernetes/connectedClusters", 200, map[string]any{"value": []any{clusterBody()}})
	if l := f.Run(Groups(), "connectedk8s", "list").Expect(t, 0).List(t); len(l) != 1 {
		t.Errorf("list = %v", l)
	}
	tbl := f.Run(Groups(), "connectedk8s", "list", "-o", "table").Expect(t, 0).Stdout
	if !strings.HasPrefix(tbl, "Name    Location    ResourceGroup\n") || !strings.Contains(tbl, "arc1    eastus      rg") {
		t.Errorf("table = %q", tbl)
	}
	f.JSON("DELETE", clusterPath, 200, nil)
	f.Run(Groups(), "connectedk8s", "delete", "-g", "rg", "-n", "arc1", "--kube-config", kubeconfig(t, k.URL), "--yes").Expect(t, 0)
	k.mu.Lock()
	defer k.mu.Unlock()
	if !slices.Equal(k.deleted, []string{"/api/v1/namespaces/azure-arc"}) {
		t.Errorf("kube deletes = %v", k.deleted)
	}
}
