package onprem_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/privlink/privlink/internal/armclient"
	"github.com/privlink/privlink/internal/armtest"
	clarm "github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/providers/onprem"
	"github.com/privlink/privlink/internal/providers/privlinkfabric"
	"github.com/privlink/privlink/internal/providers/resources"
)

// fakeKube hands out the one test control plane and records the calls.
type fakeKube struct {
	mu      sync.Mutex
	specs   []kube.ClusterSpec
	running map[string]bool
	deleted []string
}

func (f *fakeKube) Start(_ context.Context, spec kube.ClusterSpec) (*kube.Cluster, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.specs = append(f.specs, spec)
	f.running[spec.Key] = true
	return testCluster, nil
}

func (f *fakeKube) Get(key string) *kube.Cluster {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[key] {
		return testCluster
	}
	return nil
}

func (f *fakeKube) Delete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, key)
	delete(f.running, key)
	return nil
}

func startClusters(t *testing.T) (*armtest.Server, *fakeKube) {
	t.Helper()
	fk := &fakeKube{running: map[string]bool{}}
	cl := &onprem.Clusters{Kube: fk}
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, privlinkfabric.Provider{}, onprem.Provider{Clusters: cl})
	t.Cleanup(cl.Close)
	u, _ := url.Parse(s.URL)
	cl.ARM = armclient.Adapter{C: &clarm.Client{Endpoint: u, HTTP: s.Client, PollInterval: 10 * time.Millisecond}}
	for _, r := range []struct{ path, body string }{
		{rg, `{"location":"eastus"}`},
	} {
		if res := s.Do(http.MethodPut, r.path, rgVersion, r.body); res.Status >= 300 {
			t.Fatalf("create group: %d %s", res.Status, res.Body)
		}
	}
	if r := s.Do(http.MethodPut, site("corp"), onprem.APIVersion, `{"location":"eastus","properties":{"addressPrefixes":["192.168.0.0/16"],"dnsServer":{}}}`); r.Status >= 300 {
		t.Fatalf("create site: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodPut, site("corp")+"/hosts/admin", onprem.APIVersion, `{"properties":{}}`); r.Status >= 300 {
		t.Fatalf("create host: %d %s", r.Status, r.Body)
	}
	return s, fk
}

func cluster(name string) string { return site("corp") + "/kubernetesClusters/" + name }

func createCluster(t *testing.T, s *armtest.Server, name, body string) map[string]any {
	t.Helper()
	r := s.Do(http.MethodPut, cluster(name), onprem.APIVersion, body)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("create cluster: %d %s", r.Status, r.Body)
	}
	if st := s.Wait(r); st != "Succeeded" {
		g := s.Do(http.MethodGet, cluster(name), onprem.APIVersion, nil)
		t.Fatalf("cluster create: %s: %s", st, g.Body)
	}
	return props(t, s.Do(http.MethodGet, cluster(name), onprem.APIVersion, nil))
}

func deleteCluster(t *testing.T, s *armtest.Server, name string) {
	t.Helper()
	r := s.Do(http.MethodDelete, cluster(name), onprem.APIVersion, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if st := s.Wait(r); st != "Succeeded" {
		t.Fatalf("delete: %s", st)
	}
	if g := s.Do(http.MethodGet, cluster(name), onprem.APIVersion, nil); g.Status != http.StatusNotFound {
		t.Fatalf("after delete: %d %s", g.Status, g.Body)
	}
}

func status(s *armtest.Server, path, apiVersion string) int {
	return s.Do(http.MethodGet, path, apiVersion, nil).Status
}

const listener6443 = "/providers/Privlink.Fabric/listeners/tcp-6443"

func TestClusterLifecycle(t *testing.T) {
	s, fk := startClusters(t)
	p := createCluster(t, s, "k8s", `{"properties":{"nodeCount":2}}`)
	if p["apiServerUrl"] != "https://192.168.0.6:6443" || p["apiServerAddress"] != "192.168.0.6" || p["kubernetesVersion"] != kube.KubernetesVersion {
		t.Errorf("cluster: %v", p)
	}
	nodes, _ := p["nodes"].([]any)
	if len(nodes) != 2 || nodes[1].(map[string]any)["privateIpAddress"] != "192.168.0.7" ||
		!strings.HasSuffix(nodes[0].(map[string]any)["hostId"].(string), "/hosts/k8s-node-0") {
		t.Errorf("nodes: %v", nodes)
	}
	// The control plane: the node's address, kubeadm's service range.
	fk.mu.Lock()
	spec := fk.specs[len(fk.specs)-1]
	fk.mu.Unlock()
	if len(spec.IPs) != 1 || spec.IPs[0].String() != "192.168.0.6" || spec.ServiceCIDR.String() != "10.96.0.0/12" || spec.Name != "k8s" {
		t.Errorf("spec: %+v", spec)
	}
	// The listener on the first node targets the API server.
	l := s.Do(http.MethodGet, site("corp")+"/hosts/k8s-node-0"+listener6443, "2025-01-01", nil)
	if l.Status != http.StatusOK || props(t, l)["target"] != testCluster.Addr().String() {
		t.Errorf("listener: %d %s", l.Status, l.Body)
	}
	// Ready nodes with the hosts' addresses.
	cs, err := k8s.NewForConfig(testCluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range list.Items {
		ready := false
		for _, c := range n.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready = true
			}
		}
		got = append(got, n.Name+"="+n.Status.Addresses[0].Address+"/"+map[bool]string{true: "Ready", false: "NotReady"}[ready])
	}
	slices.Sort(got)
	if strings.Join(got, ",") != "k8s-node-0=192.168.0.6/Ready,k8s-node-1=192.168.0.7/Ready" {
		t.Errorf("nodes: %v", got)
	}
	// Credentials: the node's address on 6443, the cluster's CA.
	r := s.Do(http.MethodPost, cluster("k8s")+"/listClusterAdminCredential", onprem.APIVersion, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("credentials: %d %s", r.Status, r.Body)
	}
	kc := r.JSON()["kubeconfigs"].([]any)[0].(map[string]any)["value"].(string)
	raw, err := base64.StdEncoding.DecodeString(kc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "k8s" || cfg.Clusters["k8s"].Server != "https://192.168.0.6:6443" ||
		string(cfg.Clusters["k8s"].CertificateAuthorityData) != string(testCluster.CACert()) {
		t.Errorf("kubeconfig: %s", raw)
	}
	// The node set cannot change.
	if r := s.Do(http.MethodPut, cluster("k8s"), onprem.APIVersion, `{"properties":{"nodeCount":3}}`); r.ErrorCode() != "PropertyChangeNotAllowed" {
		t.Errorf("change node count: %d %s", r.Status, r.Body)
	}
	// A node host cannot go while its cluster exists.
	if r := s.Do(http.MethodDelete, site("corp")+"/hosts/k8s-node-1", onprem.APIVersion, nil); r.ErrorCode() != "InUseResourceCannotBeDeleted" {
		t.Errorf("delete a node host: %d %s", r.Status, r.Body)
	}
	// Delete: the control plane, the listener and the created hosts go;
	// the other host stays.
	deleteCluster(t, s, "k8s")
	fk.mu.Lock()
	deleted := slices.Clone(fk.deleted)
	fk.mu.Unlock()
	if len(deleted) != 1 || deleted[0] != spec.Key {
		t.Errorf("runtime deletes %v, want [%s]", deleted, spec.Key)
	}
	for _, h := range []string{"k8s-node-0", "k8s-node-1"} {
		if st := status(s, site("corp")+"/hosts/"+h, onprem.APIVersion); st != http.StatusNotFound {
			t.Errorf("host %s after delete: %d", h, st)
		}
	}
	if st := status(s, site("corp")+"/hosts/admin", onprem.APIVersion); st != http.StatusOK {
		t.Errorf("admin host after delete: %d", st)
	}
	if r := s.Do(http.MethodPost, cluster("k8s")+"/listClusterAdminCredential", onprem.APIVersion, nil); r.Status != http.StatusNotFound {
		t.Errorf("credentials after delete: %d %s", r.Status, r.Body)
	}
}

func TestClusterOnExistingHostsAndRefusals(t *testing.T) {
	s, fk := startClusters(t)
	for _, tc := range []struct{ name, body, code string }{
		{"a", `{"properties":{"nodeHosts":["nosuch"]}}`, "HostNotFound"},
		{"a", `{"properties":{"kubernetesVersion":"1.2.3"}}`, "K8sVersionNotSupported"},
		{"a", `{"properties":{"nodeCount":11}}`, "InvalidParameter"},
		{"a", `{"properties":{"nodeCount":2,"nodeHosts":["admin"]}}`, "InvalidParameter"},
		{"a", `{"properties":{"nodeHosts":["admin","ADMIN"]}}`, "InvalidParameter"},
		{"Bad_Name", `{"properties":{}}`, "InvalidParameter"},
		{"adm", `{"properties":{}}`, ""}, // adm-node-0 is free
	} {
		r := s.Do(http.MethodPut, cluster(tc.name), onprem.APIVersion, tc.body)
		if tc.code == "" {
			if r.Status >= 300 {
				t.Errorf("%s: %d %s", tc.body, r.Status, r.Body)
			}
			s.Wait(r)
			continue
		}
		if r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s, want %s", tc.body, r.Status, r.Body, tc.code)
		}
	}
	// A generated host name already taken.
	if r := s.Do(http.MethodPut, site("corp")+"/hosts/web-node-0", onprem.APIVersion, `{"properties":{}}`); r.Status >= 300 {
		t.Fatal(r.Status)
	}
	if r := s.Do(http.MethodPut, cluster("web"), onprem.APIVersion, `{"properties":{}}`); r.ErrorCode() != "HostInUse" {
		t.Errorf("taken generated name: %d %s", r.Status, r.Body)
	}
	deleteCluster(t, s, "adm")
	// On an existing host: the host stays after the delete.
	p := createCluster(t, s, "own", `{"properties":{"nodeHosts":["admin"]}}`)
	if p["apiServerUrl"] != "https://192.168.0.5:6443" || p["nodeCount"] != float64(1) {
		t.Errorf("cluster: %v", p)
	}
	if r := s.Do(http.MethodDelete, site("corp")+"/hosts/admin", onprem.APIVersion, nil); r.ErrorCode() != "InUseResourceCannotBeDeleted" {
		t.Errorf("delete a node host: %d %s", r.Status, r.Body)
	}
	// A host serves one cluster.
	if r := s.Do(http.MethodPut, cluster("other"), onprem.APIVersion, `{"properties":{"nodeHosts":["Admin"]}}`); r.ErrorCode() != "HostInUse" {
		t.Errorf("host of another cluster: %d %s", r.Status, r.Body)
	}
	deleteCluster(t, s, "own")
	if st := status(s, site("corp")+"/hosts/admin", onprem.APIVersion); st != http.StatusOK {
		t.Errorf("admin host after delete: %d", st)
	}
	if st := status(s, site("corp")+"/hosts/admin"+listener6443, "2025-01-01"); st != http.StatusNotFound {
		t.Errorf("listener after delete: %d", st)
	}
	// Deleting the site takes the cluster's control plane down.
	createCluster(t, s, "gone", `{"properties":{}}`)
	fk.mu.Lock()
	key := fk.specs[len(fk.specs)-1].Key
	fk.mu.Unlock()
	r := s.Do(http.MethodDelete, site("corp"), onprem.APIVersion, nil)
	if r.Status >= 300 {
		t.Fatalf("delete site: %d %s", r.Status, r.Body)
	}
	s.Wait(r)
	deadline := time.Now().Add(10 * time.Second)
	for fk.Get(key) != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if fk.Get(key) != nil {
		t.Errorf("the control plane of a cluster deleted with its site still runs")
	}
}
