package privatedns

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	v       = "2024-06-01"
	rgAPI   = "2021-04-01"
	vnetAPI = "2024-05-01"
)

// fakeNetwork registers a minimal virtualNetworks type when the network
// provider does not (yet) serve one, so that links have something to
// point at.
type fakeNetwork struct{}

func (fakeNetwork) Namespace() string { return Namespace }

func (fakeNetwork) Register(p *arm.Platform) error {
	if _, ok := p.Registry.Lookup(VirtualNetworkType); ok {
		return nil
	}
	p.Registry.Register(&arm.TypeSpec{
		Type: VirtualNetworkType, APIVersions: append([]string(nil), network.APIVersions...),
		ETag: true, ProvisioningState: true,
		Put: func(context.Context, *arm.PutOp) error { return nil },
	})
	return nil
}

type env struct {
	*armtest.Server
	t *testing.T
}

func start(t *testing.T, opts armtest.Options) *env {
	t.Helper()
	s := armtest.Start(t, opts, resources.Provider{}, network.Provider{}, fakeNetwork{}, Provider{})
	return &env{Server: s, t: t}
}

func rgPath(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func zonePath(sub, rg, zone string) string {
	return rgPath(sub, rg) + "/providers/Microsoft.Network/privateDnsZones/" + zone
}

func vnetPath(sub, rg, name string) string {
	return rgPath(sub, rg) + "/providers/Microsoft.Network/virtualNetworks/" + name
}

// must sends a request and fails the test unless the status is want;
// asynchronous operations are waited for.
func (e *env) must(want int, method, path, apiVersion string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, path, apiVersion, body)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r
}

// fails sends a request and checks the ARM error.
func (e *env) fails(status int, code, msgPart, method, path, apiVersion string, body any) *armtest.Result {
	e.t.Helper()
	r := e.Do(method, path, apiVersion, body)
	if r.Status != status || r.ErrorCode() != code || r.Header.Get("x-ms-error-code") != code {
		e.t.Fatalf("%s %s: got %d %s, want %d %s: %s", method, path, r.Status, r.ErrorCode(), status, code, r.Body)
	}
	if msgPart != "" && !strings.Contains(string(r.Body), msgPart) {
		e.t.Fatalf("%s %s: message lacks %q: %s", method, path, msgPart, r.Body)
	}
	return r
}

func (e *env) group(sub, rg string) {
	e.t.Helper()
	r := e.Do(http.MethodPut, rgPath(sub, rg), rgAPI, `{"location":"westus2"}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		e.t.Fatalf("group %s: %d %s", rg, r.Status, r.Body)
	}
}

func (e *env) vnet(sub, rg, name, prefix string) string {
	e.t.Helper()
	p := vnetPath(sub, rg, name)
	r := e.Do(http.MethodPut, p, vnetAPI, map[string]any{
		"location":   "westus2",
		"properties": map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{prefix}}},
	})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		e.t.Fatalf("vnet %s: %d %s", name, r.Status, r.Body)
	}
	if st := e.Wait(r); st != "" && st != "Succeeded" {
		e.t.Fatalf("vnet %s: %s", name, st)
	}
	return p
}

func (e *env) zone(sub, rg, name string) string {
	e.t.Helper()
	p := zonePath(sub, rg, name)
	e.must(http.StatusCreated, http.MethodPut, p, v, `{"location":"global"}`)
	return p
}

func (e *env) link(zone, name, vnetID string, registration bool) *armtest.Result {
	e.t.Helper()
	return e.must(http.StatusCreated, http.MethodPut, zone+"/virtualNetworkLinks/"+name, v, linkReq(vnetID, registration))
}

func linkReq(vnetID string, registration bool) map[string]any {
	return map[string]any{
		"location": "global",
		"properties": map[string]any{
			"virtualNetwork":      map[string]any{"id": vnetID},
			"registrationEnabled": registration,
		},
	}
}

func props(t *testing.T, r *armtest.Result) map[string]any {
	t.Helper()
	var m struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return m.Properties
}

// doH sends a request with extra headers.
func (e *env) doH(method, path, apiVersion, body string, hdr map[string]string) *armtest.Result {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path+"?api-version="+apiVersion, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &armtest.Result{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// setVar sets a package variable for one test.
func setVar[T any](t *testing.T, p *T, val T) {
	old := *p
	*p = val
	t.Cleanup(func() { *p = old })
}

// waitGone polls a resource until it answers 404.
func waitGone(t *testing.T, e *env, path, apiVersion string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := e.Do(http.MethodGet, path, apiVersion, nil); r.Status == http.StatusNotFound {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still exists", path)
}
