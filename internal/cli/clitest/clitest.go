package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/cli/core"
)

// SubscriptionID is the fake's default subscription.
const SubscriptionID = "00000000-0000-0000-0000-000000000001"

// TenantID is the fake's tenant.
const TenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// Token is the access token the fake hands out and requires.
const Token = "fake-access-token"

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// APIVersion is the request's api-version.
func (r Request) APIVersion() string { return r.Query.Get("api-version") }

// JSON decodes the request body.
func (r Request) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// HandlerFunc answers a request whose body has been read.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, body []byte)

type route struct {
	method string
	path   string
	h      HandlerFunc
}

// Fake is a fake ARM endpoint.
type Fake struct {
	t      testing.TB
	Server *httptest.Server
	// Subscriptions is what GET /subscriptions returns (editable).
	Subscriptions []map[string]any
	// DataDir is PRIVLINK_DATA_DIR for the runs.
	DataDir string

	mu       sync.Mutex
	routes   []route
	requests []Request
	sleeps   []time.Duration
}

// New starts a fake ARM server and points the CLI at it.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{t: t, DataDir: t.TempDir()}
	f.Subscriptions = []map[string]any{{
		"id":             "/subscriptions/" + SubscriptionID,
		"subscriptionId": SubscriptionID,
		"tenantId":       TenantID,
		"displayName":    "privlink",
		"state":          "Enabled",
		"isDefault":      true,
	}}
	f.Server = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	cert := f.Server.Certificate()
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		core.EnvEndpoint:          f.Server.URL,
		core.EnvCAFile:            caFile,
		core.EnvDataDir:           f.DataDir,
		core.EnvSubscriptionID:    "",
		core.EnvClientID:          "",
		core.EnvClientSecret:      "",
		core.EnvOutput:            "",
		core.EnvOnlyShowErrors:    "",
		"AZURE_DEFAULTS_GROUP":    "",
		"AZURE_DEFAULTS_LOCATION": "",
	} {
		t.Setenv(k, v)
	}
	return f
}

// Handle registers a handler. path may contain "{sub}" (the default
// subscription) and "*" segments (any one segment); it matches the URL path
// case-insensitively. Later registrations win.
func (f *Fake) Handle(method, path string, h HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes = append(f.routes, route{method: method, path: strings.ReplaceAll(path, "{sub}", SubscriptionID), h: h})
}

// JSON registers a fixed JSON answer.
func (f *Fake) JSON(method, path string, status int, body any) {
	f.Handle(method, path, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		WriteJSON(w, status, body)
	})
}

// Error registers an ARM error answer.
func (f *Fake) Error(method, path string, status int, code, message string) {
	f.JSON(method, path, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// WriteJSON writes a JSON response.
func WriteJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body)
	}
}

// URL returns the absolute URL of a path on the fake.
func (f *Fake) URL(path string) string {
	return f.Server.URL + strings.ReplaceAll(path, "{sub}", SubscriptionID)
}

func matchPath(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	qs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && !strings.EqualFold(ps[i], qs[i]) {
			return false
		}
	}
	return true
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	routes := append([]route(nil), f.routes...)
	f.mu.Unlock()

	if r.Method == http.MethodPost && r.URL.Path == "/organizations/oauth2/v2.0/token" {
		form, _ := url.ParseQuery(string(body))
		if form.Get("grant_type") != "client_credentials" || form.Get("client_id") == "" || form.Get("client_secret") == "" {
			WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "bad client credentials"})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"access_token": Token, "token_type": "Bearer", "expires_in": 3600})
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+Token {
		WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": "AuthenticationFailed", "message": "missing or bad bearer token"}})
		return
	}
	for i := len(routes) - 1; i >= 0; i-- {
		rt := routes[i]
		if rt.method == r.Method && matchPath(rt.path, r.URL.Path) {
			rt.h(w, r, body)
			return
		}
	}
	if r.Method == http.MethodGet && r.URL.Path == "/subscriptions" {
		f.mu.Lock()
		subs := append([]map[string]any(nil), f.Subscriptions...)
		f.mu.Unlock()
		vals := make([]any, len(subs))
		for i, s := range subs {
			vals[i] = s
		}
		WriteJSON(w, http.StatusOK, map[string]any{"value": vals})
		return
	}
	WriteJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
		"code": "NoRouteInFake", "message": fmt.Sprintf("fake ARM has no route for %s %s", r.Method, r.URL.Path)}})
}

// Requests returns the recorded requests except token requests.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if r.Path == "/organizations/oauth2/v2.0/token" {
			continue
		}
		out = append(out, r)
	}
	return out
}

// TokenRequests returns the recorded token requests (form-encoded bodies).
func (f *Fake) TokenRequests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if r.Path == "/organizations/oauth2/v2.0/token" {
			out = append(out, r)
		}
	}
	return out
}

// Find returns the recorded requests with this method and path pattern.
func (f *Fake) Find(method, path string) []Request {
	path = strings.ReplaceAll(path, "{sub}", SubscriptionID)
	var out []Request
	for _, r := range f.Requests() {
		if r.Method == method && matchPath(path, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// Last returns the last recorded request with this method (failing the
// test when there is none).
func (f *Fake) Last(method string) Request {
	f.t.Helper()
	reqs := f.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method {
			return reqs[i]
		}
	}
	f.t.Fatalf("no %s request recorded; got %v", method, f.Summary())
	return Request{}
}

// Summary lists the recorded requests as "METHOD path?query".
func (f *Fake) Summary() []string {
	var out []string
	for _, r := range f.Requests() {
		out = append(out, r.Method+" "+r.Path+"?"+r.Query.Encode())
	}
	return out
}

// Sleeps returns the waits the CLI asked for (polling and retries).
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// Result is the outcome of a run.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// Run executes a command line with the given groups (no real waiting:
// sleeps are recorded and skipped).
func (f *Fake) Run(groups []*core.Group, args ...string) Result {
	return f.RunInput(groups, "", args...)
}

// RunInput is Run with stdin.
func (f *Fake) RunInput(groups []*core.Group, stdin string, args ...string) Result {
	var out, errb bytes.Buffer
	r := &core.Runner{
		Tree: core.NewTree(groups...),
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
	code := r.Run(context.Background(), args, core.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// Expect fails the test unless the run exited with code.
func (r Result) Expect(t testing.TB, code int) Result {
	t.Helper()
	if r.Code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

// JSON decodes stdout.
func (r Result) JSON(t testing.TB) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.Stdout)
	}
	return v
}

// Object decodes stdout as a JSON object.
func (r Result) Object(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("stdout is not a JSON object:\n%s", r.Stdout)
	}
	return m
}

// List decodes stdout as a JSON array.
func (r Result) List(t testing.TB) []any {
	t.Helper()
	l, ok := r.JSON(t).([]any)
	if !ok {
		t.Fatalf("stdout is not a JSON array:\n%s", r.Stdout)
	}
	return l
}
