package aks

import (
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const (
	sub         = clitest.SubscriptionID
	clusterP    = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1"
	clusterID   = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1"
	subnetID    = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"
	apiSubnetID = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apiserver"
	identityID  = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
	zoneID      = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.westus2.azmk8s.io"
	sshKey      = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB test@host"
)

// newFake starts a fake ARM with a resource group "rg" in westus2 and an
// empty HOME (no ~/.ssh, no ~/.kube).
func newFake(t *testing.T) *clitest.Fake {
	t.Helper()
	f := clitest.New(t)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, map[string]any{"name": "rg", "location": "westus2"})
	return f
}

// serveCluster answers PUT (echo plus read-only values, 201 with
// Azure-AsyncOperation) and GET of the cluster from *stored.
func serveCluster(f *clitest.Fake, stored *map[string]any) {
	f.Handle("PUT", strings.Replace(clusterP, "aks1", "*", 1), func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"], m["name"], m["type"] = r.URL.Path, path.Base(r.URL.Path), "Microsoft.ContainerService/managedClusters"
		props := m["properties"].(map[string]any)
		props["provisioningState"] = "Succeeded"
		props["fqdn"] = "aks1-rg-000000-abcd1234.hcp.westus2.azmk8s.io"
		if ap, ok := props["apiServerAccessProfile"].(map[string]any); ok && ap["enablePrivateCluster"] == true {
			props["privateFQDN"] = "aks1-rg-000000-1234abcd.0a1b2c3d.privatelink.westus2.azmk8s.io"
		}
		*stored = m
		w.Header().Set("Azure-AsyncOperation", f.URL("/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operations/op1"))
		clitest.WriteJSON(w, http.StatusCreated, m)
	})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operations/op1", 200, map[string]any{"status": "Succeeded"})
	f.Handle("GET", clusterP, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		if *stored == nil {
			clitest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"code": "ResourceNotFound", "message": "The Resource 'Microsoft.ContainerService/managedClusters/aks1' under resource group 'rg' was not found."}})
			return
		}
		clitest.WriteJSON(w, 200, *stored)
	})
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var wv, gv any
	if err := json.Unmarshal([]byte(want), &wv); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	b, _ := json.Marshal(got)
	_ = json.Unmarshal(b, &gv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s =\n%s\nwant\n%s", what, b, want)
	}
}

// example reads the 200 body of a REST example in testdata.
func example(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(data, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses["200"].Body
}

func TestModelName(t *testing.T) {
	for wire, want := range map[string]string{
		"privateFQDN":                    "privateFqdn",
		"azurePortalFQDN":                "azurePortalFqdn",
		"enablePrivateClusterPublicFQDN": "enablePrivateClusterPublicFqdn",
		"dnsServiceIP":                   "dnsServiceIp",
		"vnetSubnetID":                   "vnetSubnetId",
		"osDiskSizeGB":                   "osDiskSizeGb",
		"enableRBAC":                     "enableRbac",
		"authorizedIPRanges":             "authorizedIpRanges",
		"privateDNSZone":                 "privateDnsZone",
		"effectiveOutboundIPs":           "effectiveOutboundIPs",
		"publicIPs":                      "publicIPs",
		"diskCSIDriver":                  "diskCsiDriver",
		"podCidr":                        "podCidr",
		"enableVnetIntegration":          "enableVnetIntegration",
		"subnetId":                       "subnetId",
		"name":                           "name",
		"eTag":                           "eTag",
	} {
		if got := modelName(wire); got != want {
			t.Errorf("modelName(%q) = %q, want %q", wire, got, want)
		}
	}
}

func TestShowShapesLikeAz(t *testing.T) {
	f := newFake(t)
	body := example(t, "ManagedClustersGet.json")
	body["properties"].(map[string]any)["identityProfile"] = map[string]any{
		"kubeletidentity": map[string]any{"clientId": "c", "objectId": "o", "resourceId": "r"}}
	f.JSON("GET", clusterP, 200, body)
	res := f.Run(Groups(), "aks", "show", "-g", "rg", "-n", "aks1").Expect(t, 0)
	out := res.Object(t)
	if _, ok := out["properties"]; ok {
		t.Fatalf("properties not flattened: %v", out)
	}
	if out["azurePortalFqdn"] != "dnsprefix1-abcd1234.portal.hcp.eastus.azmk8s.io" || out["enableRbac"] != false ||
		out["diskEncryptionSetId"] == nil || out["fqdn"] == nil {
		t.Errorf("top-level names: %v", out)
	}
	np := out["networkProfile"].(map[string]any)
	if np["dnsServiceIp"] != "10.0.0.10" || np["loadBalancerProfile"].(map[string]any)["effectiveOutboundIPs"] == nil {
		t.Errorf("networkProfile: %v", np)
	}
	if _, ok := out["identityProfile"].(map[string]any)["kubeletidentity"]; !ok {
		t.Errorf("dictionary keys must keep their spelling: %v", out["identityProfile"])
	}
	if tags := out["tags"].(map[string]any); tags["archv2"] != "" || tags["tier"] != "production" {
		t.Errorf("tags: %v", tags)
	}
	pool := out["agentPoolProfiles"].([]any)[0].(map[string]any)
	if pool["vmSize"] != "Standard_DS1_v2" || pool["maxPods"] != 110.0 {
		t.Errorf("pool: %v", pool)
	}
	// show of a missing cluster exits 3 (az's show behaviour).
	f.Error("GET", clusterP, 404, "ResourceNotFound", "not found")
	f.Run(Groups(), "aks", "show", "-g", "rg", "-n", "aks1").Expect(t, 3)
}

func TestListTable(t *testing.T) {
	f := newFake(t)
	c1 := example(t, "ManagedClustersGet.json")
	c1["id"] = clusterID
	c2 := map[string]any{"id": strings.Replace(clusterID, "aks1", "priv", 1), "name": "priv", "location": "westus2",
		"properties": map[string]any{"kubernetesVersion": "1.27.3", "currentKubernetesVersion": "1.27.3",
			"provisioningState": "Succeeded", "privateFQDN": "priv-1234.abc.privatelink.westus2.azmk8s.io"}}
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters", 200, map[string]any{"value": []any{c1, c2}})
	res := f.Run(Groups(), "aks", "list", "-o", "table").Expect(t, 0)
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("table:\n%s", res.Stdout)
	}
	for _, col := range []string{"Name", "Location", "ResourceGroup", "KubernetesVersion", "CurrentKubernetesVersion", "ProvisioningState", "Fqdn"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("missing column %s in %q", col, lines[0])
		}
	}
	if !strings.Contains(lines[2], "dnsprefix1-abcd1234.hcp.eastus.azmk8s.io") || !strings.Contains(lines[3], "priv-1234.abc.privatelink.westus2.azmk8s.io") ||
		!strings.Contains(lines[3], "rg") {
		t.Errorf("rows:\n%s", res.Stdout)
	}
	if r := f.Last("GET"); r.APIVersion() != "2022-11-01" {
		t.Errorf("api-version %s", r.APIVersion())
	}
	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters", 200, map[string]any{"value": []any{c2}})
	if l := f.Run(Groups(), "aks", "list", "-g", "rg").Expect(t, 0).List(t); len(l) != 1 || l[0].(map[string]any)["privateFqdn"] == nil {
		t.Errorf("list -g: %v", l)
	}
}

func TestNodepool(t *testing.T) {
	f := newFake(t)
	pool := example(t, "AgentPoolsGet.json")
	pool["properties"].(map[string]any)["mode"] = "System"
	f.JSON("GET", clusterP+"/agentPools", 200, map[string]any{"value": []any{pool}})
	f.JSON("GET", clusterP+"/agentPools/agentpool1", 200, pool)
	res := f.Run(Groups(), "aks", "nodepool", "list", "--cluster-name", "aks1", "-g", "rg", "-o", "table").Expect(t, 0)
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	for _, col := range []string{"Name", "OsType", "KubernetesVersion", "VmSize", "Count", "MaxPods", "ProvisioningState", "Mode"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("missing column %s in %q", col, lines[0])
		}
	}
	if len(lines) != 3 || !strings.Contains(lines[2], "agentpool1") || !strings.Contains(lines[2], "Standard_DS1_v2") || !strings.Contains(lines[2], "1.9.6") {
		t.Errorf("table:\n%s", res.Stdout)
	}
	out := f.Run(Groups(), "aks", "nodepool", "show", "--cluster-name", "aks1", "-g", "rg", "-n", "agentpool1").Expect(t, 0).Object(t)
	if out["vmSize"] != "Standard_DS1_v2" || out["upgradeSettings"].(map[string]any)["maxSurge"] != "33%" {
		t.Errorf("show: %v", out)
	}
	f.Run(Groups(), "aks", "nodepool", "show", "--ids", clusterID+"/agentPools/agentpool1").Expect(t, 0)
	if p := f.Last("GET").Path; p != strings.ReplaceAll(clusterP, "{sub}", sub)+"/agentPools/agentpool1" {
		t.Errorf("--ids path %s", p)
	}
}

func TestDeleteStopStart(t *testing.T) {
	f := newFake(t)
	f.Handle("DELETE", clusterP, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Location", f.URL("/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operationresults/d1"))
		w.WriteHeader(http.StatusAccepted)
	})
	f.Handle("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operationresults/*", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusNoContent)
	})
	res := f.Run(Groups(), "aks", "delete", "-g", "rg", "-n", "aks1").Expect(t, 1)
	if !strings.Contains(res.Stderr, "Operation cancelled.") || len(f.Find("DELETE", clusterP)) != 0 {
		t.Fatalf("delete without --yes: %s", res.Stderr)
	}
	res = f.Run(Groups(), "aks", "delete", "-g", "rg", "-n", "aks1", "--yes").Expect(t, 0)
	if res.Stdout != "" || len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operationresults/d1")) != 1 {
		t.Fatalf("delete: %q %v", res.Stdout, f.Summary())
	}

	cluster := map[string]any{"id": clusterID, "name": "aks1", "properties": map[string]any{
		"apiServerAccessProfile": map[string]any{"enablePrivateCluster": true}}}
	f.JSON("GET", clusterP, 200, cluster)
	for _, action := range []string{"stop", "start"} {
		f.Handle("POST", clusterP+"/"+action, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.Header().Set("Location", f.URL("/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operationresults/"+action))
			w.WriteHeader(http.StatusAccepted)
		})
	}
	res = f.Run(Groups(), "aks", "stop", "-g", "rg", "-n", "aks1").Expect(t, 0)
	if !strings.Contains(res.Stderr, "WARNING: Your private cluster apiserver IP might get changed when it's stopped and started.") || res.Stdout != "" {
		t.Errorf("stop of a private link cluster: %q %q", res.Stdout, res.Stderr)
	}
	if len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operationresults/stop")) != 1 {
		t.Errorf("stop did not wait: %v", f.Summary())
	}
	// A VNet-integrated private cluster gets no warning.
	cluster["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)["enableVnetIntegration"] = true
	f.JSON("GET", clusterP, 200, cluster)
	if res = f.Run(Groups(), "aks", "stop", "-g", "rg", "-n", "aks1", "--no-wait").Expect(t, 0); res.Stderr != "" {
		t.Errorf("stop of a VNet-integrated cluster warned: %s", res.Stderr)
	}
	f.Run(Groups(), "aks", "start", "-g", "rg", "-n", "aks1").Expect(t, 0)
	if r := f.Last("POST"); !strings.HasSuffix(r.Path, "/managedClusters/aks1/start") || r.APIVersion() != "2022-11-01" {
		t.Errorf("start request %s %s", r.Path, r.APIVersion())
	}
}

func TestHelp(t *testing.T) {
	f := newFake(t)
	for _, cmd := range [][]string{
		{"aks", "create"}, {"aks", "update"}, {"aks", "show"}, {"aks", "list"}, {"aks", "delete"}, {"aks", "stop"},
		{"aks", "start"}, {"aks", "get-credentials"}, {"aks", "command", "invoke"}, {"aks", "command", "result"},
		{"aks", "nodepool", "list"}, {"aks", "nodepool", "show"},
	} {
		res := f.Run(Groups(), append(cmd, "-h")...).Expect(t, 0)
		if !strings.Contains(res.Stdout, "az "+strings.Join(cmd, " ")+" : ") || !strings.Contains(res.Stdout, "Global Arguments") {
			t.Errorf("%v -h:\n%s", cmd, res.Stdout)
		}
	}
	res := f.Run(Groups(), "aks", "create", "-h")
	for _, opt := range []string{"--enable-private-cluster", "--enable-apiserver-vnet-integration --enable-api-server-vnet-integration",
		"--private-dns-zone", "--node-count -c", "--no-wait", "Default: Standard_DS2_v2."} {
		if !strings.Contains(res.Stdout, opt) {
			t.Errorf("create -h lacks %q", opt)
		}
	}
	res = f.Run(Groups(), "aks", "-h").Expect(t, 0)
	if !strings.Contains(res.Stdout, "nodepool") || !strings.Contains(res.Stdout, "get-credentials") {
		t.Errorf("aks -h:\n%s", res.Stdout)
	}
}
