package arm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// testServer is a TLS server on loopback with a per-test handler and a
// client whose sleeps are recorded, not slept.
type testServer struct {
	*httptest.Server
	client *Client
	mu     sync.Mutex
	sleeps []time.Duration
	auth   []string
}

func newServer(t *testing.T, h http.HandlerFunc) *testServer {
	ts := &testServer{}
	ts.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.auth = append(ts.auth, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(ts.Close)
	ep, _ := url.Parse(ts.URL)
	ts.client = &Client{
		Endpoint: ep, HTTP: ts.Client(), Tokens: staticToken("tok"),
		Sleep: func(_ context.Context, d time.Duration) error {
			ts.mu.Lock()
			ts.sleeps = append(ts.sleeps, d)
			ts.mu.Unlock()
			return nil
		},
	}
	return ts
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func TestPutAzureAsyncOperation(t *testing.T) {
	polls := 0
	var ts *testServer
	ts = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "PUT" && r.URL.Path == "/res":
			if r.URL.Query().Get("api-version") != "2022-01-01" {
				t.Errorf("api-version = %q", r.URL.RawQuery)
			}
			w.Header().Set("Azure-AsyncOperation", ts.URL+"/ops/1?api-version=2022-01-01")
			w.Header().Set("Retry-After-Ms", "250")
			writeJSON(w, 201, map[string]any{"properties": map[string]any{"provisioningState": "Updating"}})
		case r.Method == "GET" && r.URL.Path == "/ops/1":
			polls++
			if polls == 1 {
				w.Header().Set("Retry-After", "3")
				writeJSON(w, 200, map[string]any{"status": "InProgress"})
				return
			}
			writeJSON(w, 200, map[string]any{"status": "Succeeded"})
		case r.Method == "GET" && r.URL.Path == "/res":
			writeJSON(w, 200, map[string]any{"name": "res", "properties": map[string]any{"provisioningState": "Succeeded"}})
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	})
	v, err := ts.client.Put(context.Background(), "/res", "2022-01-01", map[string]any{"location": "x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if v.(map[string]any)["name"] != "res" {
		t.Errorf("result = %v", v)
	}
	want := []time.Duration{250 * time.Millisecond, 3 * time.Second}
	if !reflect.DeepEqual(ts.sleeps, want) {
		t.Errorf("sleeps = %v, want %v", ts.sleeps, want)
	}
	for _, a := range ts.auth {
		if a != "Bearer tok" {
			t.Errorf("authorization = %q", a)
		}
	}
}

func TestPutBodyPolling(t *testing.T) {
	gets := 0
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			writeJSON(w, 201, map[string]any{"properties": map[string]any{"provisioningState": "Creating"}})
			return
		}
		gets++
		state := "Updating"
		if gets == 2 {
			state = "Succeeded"
		}
		writeJSON(w, 200, map[string]any{"properties": map[string]any{"provisioningState": state}, "n": gets})
	})
	v, err := ts.client.Put(context.Background(), "/res", "v", map[string]any{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if gets != 2 || v.(map[string]any)["n"] != float64(2) {
		t.Errorf("gets = %d result = %v", gets, v)
	}
	if len(ts.sleeps) != 2 || ts.sleeps[0] != DefaultPollInterval {
		t.Errorf("sleeps = %v", ts.sleeps)
	}
}

func TestAsyncFailure(t *testing.T) {
	var ts *testServer
	ts = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			w.Header().Set("Azure-AsyncOperation", ts.URL+"/ops/2")
			writeJSON(w, 201, nil)
			return
		}
		writeJSON(w, 200, map[string]any{"status": "Failed", "error": map[string]any{
			"code": "InUseSubnetCannotBeDeleted", "message": "Subnet is in use.",
			"details": []any{map[string]any{"code": "Inner", "message": "inner message"}},
		}})
	})
	_, err := ts.client.Put(context.Background(), "/res", "v", map[string]any{}, false)
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	want := "(InUseSubnetCannotBeDeleted) Subnet is in use.\nCode: InUseSubnetCannotBeDeleted\nMessage: Subnet is in use.\nException Details:\t(Inner) inner message\n\tCode: Inner\n\tMessage: inner message"
	if ae.Error() != want {
		t.Errorf("error =\n%q\nwant\n%q", ae.Error(), want)
	}
}

func TestPostLocationAndDeleteAsync(t *testing.T) {
	polls := 0
	var ts *testServer
	ts = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST":
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content-type = %q", r.Header.Get("Content-Type"))
			}
			w.Header().Set("Location", ts.URL+"/results/1")
			w.WriteHeader(202)
		case r.URL.Path == "/results/1":
			polls++
			if polls < 2 {
				w.WriteHeader(202)
				return
			}
			writeJSON(w, 200, map[string]any{"exitCode": 0})
		case r.Method == "DELETE":
			w.Header().Set("Azure-AsyncOperation", ts.URL+"/ops/3")
			w.WriteHeader(202)
		case r.URL.Path == "/ops/3":
			writeJSON(w, 200, map[string]any{"status": "Succeeded"})
		}
	})
	v, err := ts.client.Post(context.Background(), "/res/runCommand", "v", map[string]any{"command": "ls"}, false)
	if err != nil || v.(map[string]any)["exitCode"] != float64(0) {
		t.Fatalf("post = %v, %v", v, err)
	}
	if err := ts.client.Delete(context.Background(), "/res", "v", false); err != nil {
		t.Fatal(err)
	}
}

func TestNoWait(t *testing.T) {
	calls := 0
	var ts *testServer
	ts = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Azure-AsyncOperation", ts.URL+"/ops/4")
		writeJSON(w, 201, map[string]any{"name": "x"})
	})
	v, err := ts.client.Put(context.Background(), "/res", "v", map[string]any{}, true)
	if err != nil || v != nil || calls != 1 {
		t.Errorf("v=%v err=%v calls=%d", v, err, calls)
	}
}

func TestListPaging(t *testing.T) {
	var ts *testServer
	ts = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "":
			if r.URL.Query().Get("$filter") != "x eq 'y'" {
				t.Errorf("query = %s", r.URL.RawQuery)
			}
			writeJSON(w, 200, map[string]any{"value": []any{1}, "nextLink": ts.URL + "/things?api-version=v&page=2"})
		case "2":
			writeJSON(w, 200, map[string]any{"value": []any{2}, "nextLink": "/things?api-version=v&page=3"})
		case "3":
			// a server that keeps returning the same link must not loop forever
			writeJSON(w, 200, map[string]any{"value": []any{3}, "nextLink": "/things?api-version=v&page=3"})
		}
	})
	items, err := ts.client.List(context.Background(), "/things", "v", url.Values{"$filter": {"x eq 'y'"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(items, []any{float64(1), float64(2), float64(3)}) {
		t.Errorf("items = %v", items)
	}
}

func TestErrors(t *testing.T) {
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/header":
			w.Header().Set("x-ms-error-code", "Conflict")
			writeJSON(w, 409, map[string]any{"message": "busy"})
		case "/text":
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		case "/target":
			writeJSON(w, 400, map[string]any{"error": map[string]any{"code": "InvalidParameter", "message": "bad", "target": "properties.x"}})
		}
	})
	_, err := ts.client.Get(context.Background(), "/header", "v", nil)
	if err == nil || err.Error() != "(Conflict) busy\nCode: Conflict\nMessage: busy" {
		t.Errorf("header code: %v", err)
	}
	_, err = ts.client.Get(context.Background(), "/text", "v", nil)
	if err == nil || err.Error() != "Operation returned an invalid status 'Bad Gateway'" {
		t.Errorf("text: %v", err)
	}
	if n := len(ts.sleeps); n != maxRetries {
		t.Errorf("502 retried %d times, want %d", n, maxRetries)
	}
	_, err = ts.client.Get(context.Background(), "/target", "v", nil)
	if err == nil || !strings.HasSuffix(err.Error(), "\nTarget: properties.x") || !HasCode(err, "invalidparameter") {
		t.Errorf("target: %v", err)
	}
	if IsNotFound(err) {
		t.Error("400 is not a 404")
	}
}

func TestTokenOnlyToEndpointHost(t *testing.T) {
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("token leaked to another host")
		}
		writeJSON(w, 200, map[string]any{"status": "Succeeded"})
	}))
	defer other.Close()
	ts := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Azure-AsyncOperation", other.URL+"/op")
		writeJSON(w, 202, nil)
	})
	// the endpoint's client trusts only its own certificate; use one that
	// trusts both test servers
	ts.client.HTTP = &http.Client{Transport: &http.Transport{TLSClientConfig: other.Client().Transport.(*http.Transport).TLSClientConfig.Clone()}}
	ts.client.HTTP.Transport.(*http.Transport).TLSClientConfig.RootCAs.AddCert(ts.Certificate())
	if err := ts.client.Delete(context.Background(), "/res", "v", false); err != nil {
		t.Fatal(err)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	h := http.Header{}
	if _, ok := RetryAfter(h); ok {
		t.Error("empty header")
	}
	h.Set("Retry-After", "2")
	if d, _ := RetryAfter(h); d != 2*time.Second {
		t.Errorf("seconds = %v", d)
	}
	h.Set("x-ms-retry-after-ms", "10")
	if d, _ := RetryAfter(h); d != 10*time.Millisecond {
		t.Errorf("ms = %v", d)
	}
}

func TestResourceID(t *testing.T) {
	id := "/subscriptions/s1/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sn"
	r, err := ParseResourceID(id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"subscription": "s1", "resource_group": "rg", "namespace": "Microsoft.Network",
		"type": "virtualNetworks", "name": "vnet", "child_type_1": "subnets", "child_name_1": "sn", "last_child_num": "1",
	}
	if !reflect.DeepEqual(r.Parts(), want) {
		t.Errorf("parts = %v", r.Parts())
	}
	if r.FullType() != "Microsoft.Network/virtualNetworks/subnets" || r.Name() != "sn" {
		t.Errorf("type %s name %s", r.FullType(), r.Name())
	}
	if !IsValidResourceID(id) || !IsValidResourceID("/subscriptions/s1") || !IsValidResourceID("/subscriptions/s1/resourceGroups/rg") {
		t.Error("valid IDs rejected")
	}
	for _, bad := range []string{"", "subscriptions/s1", "/subscriptions/s1/", "/subscriptions/s1/resourceGroups/rg/providers/X", "/foo/bar"} {
		if IsValidResourceID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	ext, err := ParseResourceID("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/roleAssignments/ra")
	if err != nil || ext.ChildNamespaces[1] != "Microsoft.Authorization" || ext.Name() != "ra" {
		t.Errorf("extension resource: %+v %v", ext, err)
	}
}

func TestShape(t *testing.T) {
	s := &Shape{
		Flatten: true,
		Fields:  []string{"clientId", "tags", "subnets"},
		Nested:  map[string]*Shape{"subnets": {Flatten: true, Fields: []string{"addressPrefix", "natGateway"}}},
	}
	obj := map[string]any{
		"id": "x", "name": "n", "location": "l", "resourceGroup": "rg",
		"properties": map[string]any{"clientId": "c", "subnets": []any{
			map[string]any{"name": "s1", "properties": map[string]any{"addressPrefix": "10.0.0.0/24"}},
		}},
	}
	s.Apply(obj)
	if obj["clientId"] != "c" || obj["tags"] != nil || obj["properties"] != nil {
		t.Errorf("flattened = %v", obj)
	}
	if _, ok := obj["tags"]; !ok {
		t.Error("tags not null-filled")
	}
	sn := obj["subnets"].([]any)[0].(map[string]any)
	if sn["addressPrefix"] != "10.0.0.0/24" || sn["natGateway"] != nil {
		t.Errorf("nested = %v", sn)
	}
	body := s.Unflatten(obj)
	want := map[string]any{
		"id": "x", "name": "n", "location": "l",
		"properties": map[string]any{"clientId": "c", "subnets": []any{
			map[string]any{"name": "s1", "properties": map[string]any{"addressPrefix": "10.0.0.0/24"}},
		}},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("unflattened = %v\nwant %v", body, want)
	}

	strict := &Shape{Flatten: true, Strict: true, Fields: []string{"id", "clientId"}}
	got := strict.Apply(map[string]any{"id": "x", "extra": 1, "properties": map[string]any{"clientId": "c", "isolationScope": "None"}})
	if !reflect.DeepEqual(got, map[string]any{"id": "x", "clientId": "c"}) {
		t.Errorf("strict = %v", got)
	}
	if strict.Loose().Strict || !strict.Strict {
		t.Error("Loose must copy")
	}

	renamed := &Shape{Flatten: true, Rename: map[string]string{"type": "roleType"}}
	def := renamed.Apply(map[string]any{"type": "Microsoft.Authorization/roleDefinitions", "properties": map[string]any{"type": "BuiltInRole"}}).(map[string]any)
	if def["roleType"] != "BuiltInRole" || def["type"] != "Microsoft.Authorization/roleDefinitions" {
		t.Errorf("renamed = %v", def)
	}
	if back := renamed.Unflatten(def); back["properties"].(map[string]any)["type"] != "BuiltInRole" {
		t.Errorf("unflatten rename = %v", back)
	}
}
