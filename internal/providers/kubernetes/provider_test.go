package kubernetes

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/hybridcompute"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	api = "2024-07-15-preview"
	sub = armtest.Subscription
	rg  = "/subscriptions/" + sub + "/resourceGroups/k8sc-rg"
)

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, &hybridcompute.Provider{}, Provider{})
	e := &env{Server: s, t: t}
	e.must(http.StatusCreated, "PUT", rg, "2021-04-01", map[string]any{"location": "eastus"})
	return e
}

func (e *env) must(want int, method, path, version string, body any) map[string]any {
	e.t.Helper()
	r := e.Do(method, path, version, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r.JSON()
}

func (e *env) fails(status int, code, msgPart, method, path string, body any) {
	e.t.Helper()
	r := e.Do(method, path, api, body)
	if r.Status != status || r.ErrorCode() != code || !strings.Contains(r.ErrorMessage(), msgPart) {
		e.t.Fatalf("%s %s: got %d %s %q, want %d %s containing %q", method, path, r.Status, r.ErrorCode(), r.ErrorMessage(), status, code, msgPart)
	}
}

// exampleRequest returns a REST example's request body (parameter name).
func exampleRequest(t *testing.T, file, param string) (map[string]any, map[string]any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
		Responses  map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	if err := json.Unmarshal(ex.Parameters[param], &req); err != nil {
		t.Fatal(err)
	}
	return req, ex.Responses["201"].Body
}

const scope = rg + "/providers/Microsoft.HybridCompute/privateLinkScopes/privateLinkScopeName"

func TestCreatePrivateLinkExample(t *testing.T) {
	e := start(t)
	e.must(http.StatusCreated, "PUT", scope, "2024-07-10", map[string]any{"location": "eastus"})
	req, want := exampleRequest(t, "CreateClusterPrivateLinkExample.json", "ConnectedCluster")
	req["properties"].(map[string]any)["privateLinkScopeResourceId"] = scope
	cluster := rg + "/providers/Microsoft.Kubernetes/connectedClusters/testCluster"
	got := e.must(http.StatusCreated, "PUT", cluster, "2026-05-01", req)
	for k := range want["properties"].(map[string]any) {
		switch k {
		case "agentVersion", "kubernetesVersion", "totalNodeCount":
			continue // reported by the agents once they connect
		}
		if _, ok := got["properties"].(map[string]any)[k]; !ok {
			t.Errorf("response lacks properties.%s", k)
		}
	}
	p := got["properties"].(map[string]any)
	if p["connectivityStatus"] != StatusConnecting || p["privateLinkState"] != "Enabled" || !arm.SameID(p["privateLinkScopeResourceId"].(string), scope) {
		t.Errorf("properties = %v", p)
	}
	if arm.DigString(got, "identity", "type") != "SystemAssigned" || arm.DigString(got, "identity", "principalId") == "" {
		t.Errorf("identity = %v", got["identity"])
	}

	// The agents' report.
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := SetConnectivity(context.Background(), e.Platform.Engine, cluster, Connectivity{Status: StatusConnected,
		AgentVersion: "1.21.10", KubernetesVersion: "1.37.1", TotalNodeCount: 2, At: at}); err != nil {
		t.Fatal(err)
	}
	got = e.must(http.StatusOK, "GET", cluster, api, nil)
	p = got["properties"].(map[string]any)
	if p["connectivityStatus"] != StatusConnected || p["lastConnectivityTime"] != "2026-01-02T03:04:05Z" || p["totalNodeCount"] != float64(2) || p["agentVersion"] != "1.21.10" {
		t.Errorf("after report: %v", p)
	}
	// Read-only values survive a PUT (az connectedk8s update), and the
	// private link settings cannot change.
	req["tags"] = map[string]string{"a": "b"}
	got = e.must(http.StatusOK, "PUT", cluster, api, req)
	if arm.DigString(got, "properties", "connectivityStatus") != StatusConnected {
		t.Errorf("after PUT: %v", got["properties"])
	}
	off := map[string]any{"location": "eastus", "identity": map[string]any{"type": "SystemAssigned"},
		"properties": map[string]any{"agentPublicKeyCertificate": "x", "privateLinkState": "Disabled"}}
	e.fails(http.StatusBadRequest, "PrivateLinkSettingsCannotBeChanged", "one private link scope", "PUT", cluster, off)
	e.fails(http.StatusBadRequest, "PrivateLinkSettingsCannotBeChanged", "one private link scope", "PATCH", cluster,
		map[string]any{"properties": map[string]any{"privateLinkScopeResourceId": scope + "2"}})
	patched := e.must(http.StatusOK, "PATCH", cluster, api, map[string]any{"properties": map[string]any{"distribution": "k3s"}, "tags": map[string]string{"x": "y"}})
	if arm.DigString(patched, "properties", "distribution") != "k3s" || arm.DigString(patched, "tags", "x") != "y" {
		t.Errorf("patch = %v", patched)
	}
	// A scope in use cannot be deleted.
	r := e.Do("DELETE", scope, "2024-07-10", nil)
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "PrivateLinkScopeInUse" || !strings.Contains(r.ErrorMessage(), "testCluster") {
		t.Errorf("delete scope in use: %d %s", r.Status, r.Body)
	}
	e.must(http.StatusOK, "DELETE", cluster, api, nil)
	e.must(http.StatusOK, "DELETE", scope, "2024-07-10", nil)
}

func TestClusterValidation(t *testing.T) {
	e := start(t)
	cluster := rg + "/providers/Microsoft.Kubernetes/connectedClusters/c1"
	body := func(mod func(p map[string]any)) map[string]any {
		p := map[string]any{"agentPublicKeyCertificate": "MIIB", "privateLinkState": "Enabled", "privateLinkScopeResourceId": scope}
		mod(p)
		return map[string]any{"location": "eastus", "identity": map[string]any{"type": "SystemAssigned"}, "properties": p}
	}
	e.fails(http.StatusNotFound, "PrivateLinkScopeNotFound", "was not found", "PUT", cluster, body(func(map[string]any) {}))
	e.must(http.StatusCreated, "PUT", scope, "2024-07-10", map[string]any{"location": "westus"})
	e.fails(http.StatusBadRequest, "PrivateLinkScopeLocationMismatch", "must be in the same Azure region", "PUT", cluster, body(func(map[string]any) {}))
	e.fails(http.StatusBadRequest, "InvalidParameter", "'agentPublicKeyCertificate' is required", "PUT", cluster,
		body(func(p map[string]any) { delete(p, "agentPublicKeyCertificate") }))
	e.fails(http.StatusBadRequest, "InvalidParameter", "required when 'privateLinkState' is 'Enabled'", "PUT", cluster,
		body(func(p map[string]any) { delete(p, "privateLinkScopeResourceId") }))
	e.fails(http.StatusBadRequest, "InvalidParameter", "only be set when 'privateLinkState' is 'Enabled'", "PUT", cluster,
		body(func(p map[string]any) { p["privateLinkState"] = "Disabled" }))
	e.fails(http.StatusBadRequest, "InvalidParameter", "Allowed values are: Enabled, Disabled", "PUT", cluster,
		body(func(p map[string]any) { p["privateLinkState"] = "On" }))
	noID := body(func(p map[string]any) { p["privateLinkState"] = "Disabled"; delete(p, "privateLinkScopeResourceId") })
	delete(noID, "identity")
	e.fails(http.StatusBadRequest, "InvalidParameter", "require identity type 'SystemAssigned'", "PUT", cluster, noID)
	e.fails(http.StatusBadRequest, "InvalidResourceName", "is invalid", "PUT", rg+"/providers/Microsoft.Kubernetes/connectedClusters/-x", body(func(map[string]any) {}))
	// A public cluster.
	pub := body(func(p map[string]any) { p["privateLinkState"] = "Disabled"; delete(p, "privateLinkScopeResourceId") })
	got := e.must(http.StatusCreated, "PUT", cluster, api, pub)
	if p := got["properties"].(map[string]any); p["privateLinkState"] != "Disabled" || p["distribution"] != "generic" || p["connectivityStatus"] != StatusConnecting {
		t.Errorf("public cluster = %v", p)
	}
}

func TestSetConnectivityKeepsLastTimeWhileConnected(t *testing.T) {
	e := start(t)
	cluster := rg + "/providers/Microsoft.Kubernetes/connectedClusters/c2"
	e.must(http.StatusCreated, "PUT", cluster, api, map[string]any{"location": "eastus", "identity": map[string]any{"type": "SystemAssigned"},
		"properties": map[string]any{"agentPublicKeyCertificate": "MIIB"}})
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	report := func(c Connectivity) map[string]any {
		t.Helper()
		if err := SetConnectivity(ctx, e.Platform.Engine, cluster, c); err != nil {
			t.Fatal(err)
		}
		return e.must(http.StatusOK, "GET", cluster, api, nil)["properties"].(map[string]any)
	}
	report(Connectivity{Status: StatusConnected, At: t0})
	if p := report(Connectivity{Status: StatusConnected, At: t0.Add(10 * time.Second)}); p["lastConnectivityTime"] != "2026-01-01T00:00:00Z" {
		t.Errorf("heartbeat within a minute rewrote lastConnectivityTime: %v", p["lastConnectivityTime"])
	}
	if p := report(Connectivity{Status: StatusConnected, At: t0.Add(2 * time.Minute)}); p["lastConnectivityTime"] != "2026-01-01T00:02:00Z" {
		t.Errorf("lastConnectivityTime = %v", p["lastConnectivityTime"])
	}
	p := report(Connectivity{Status: StatusOffline, Reason: "gbl.his.arc.azure.com did not resolve", At: t0.Add(3 * time.Minute)})
	if p["connectivityStatus"] != StatusOffline || p["privlinkConnectivityReason"] != "gbl.his.arc.azure.com did not resolve" || p["lastConnectivityTime"] != "2026-01-01T00:02:00Z" {
		t.Errorf("offline = %v", p)
	}
	if p := report(Connectivity{Status: StatusConnected, At: t0.Add(3*time.Minute + time.Second)}); p["privlinkConnectivityReason"] != nil {
		t.Errorf("reason kept when connected: %v", p["privlinkConnectivityReason"])
	}
}
