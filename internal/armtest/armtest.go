// Package armtest starts the ARM front end in-process for tests: an
// httptest TLS server on loopback over the in-memory store, with the
// given providers registered, the provisioner running, and a client that
// speaks to it. Authentication is off unless Options.Auth is set.
package armtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/controller"
	"github.com/privlink/privlink/internal/store"
	"github.com/privlink/privlink/internal/store/memory"
)

// Subscription and Tenant are the IDs test platforms use.
const (
	Subscription = "00000000-0000-0000-0000-000000000001"
	Tenant       = "00000000-0000-0000-0000-0000000000aa"
)

// Options tune a test server.
type Options struct {
	Store    store.Store
	Auth     arm.Authenticator
	PageSize int
	Log      *slog.Logger
}

// Server is a running test ARM server.
type Server struct {
	URL      string
	Platform *arm.Platform
	HTTP     *httptest.Server
	Client   *http.Client
	t        testing.TB
}

// Start starts a server with the providers registered.
func Start(t testing.TB, opts Options, providers ...arm.Provider) *Server {
	t.Helper()
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := opts.Store
	if st == nil {
		st = memory.New()
	}
	reg := arm.NewRegistry()
	eng := arm.NewEngine(st, reg, log)
	if opts.PageSize > 0 {
		eng.PageSize = opts.PageSize
	}
	srv := arm.NewServer(eng, opts.Auth, nil, log)
	p := &arm.Platform{Registry: reg, Server: srv, Engine: eng, Log: log,
		DefaultSubscription: Subscription, TenantID: Tenant, RegistrationDelay: 50 * time.Millisecond}
	for _, pr := range providers {
		if err := pr.Register(p); err != nil {
			t.Fatalf("register %s: %v", pr.Namespace(), err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	prov := controller.NewProvisioner(eng, log)
	done := make(chan struct{})
	go func() { defer close(done); _ = prov.Run(ctx) }()
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
	})
	return &Server{URL: hs.URL, Platform: p, HTTP: hs, Client: hs.Client(), t: t}
}

// Result is a raw response.
type Result struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map.
func (r *Result) JSON() map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// ErrorCode returns error.code of an ARM error body.
func (r *Result) ErrorCode() string {
	if e, ok := r.JSON()["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// ErrorMessage returns error.message of an ARM error body.
func (r *Result) ErrorMessage() string {
	if e, ok := r.JSON()["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

// Do sends a request; path may omit the api-version (apiVersion is added
// when not empty). body may be a string, []byte or a value to marshal.
func (s *Server) Do(method, path, apiVersion string, body any) *Result {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = s.URL + path
	}
	if apiVersion != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "api-version=" + apiVersion
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		s.t.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer test")
	resp, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &Result{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Wait polls an Azure-AsyncOperation URL until a terminal status and
// returns it.
func (s *Server) Wait(res *Result) string {
	s.t.Helper()
	u := res.Header.Get("Azure-AsyncOperation")
	if u == "" {
		return ""
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := s.Do(http.MethodGet, u, "", nil)
		st, _ := r.JSON()["status"].(string)
		if st != "InProgress" && st != "" {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("operation %s did not finish", u)
	return ""
}

// Transport returns an http.RoundTripper trusting the server (for SDK
// clients).
func (s *Server) Transport() *http.Transport {
	tr := s.HTTP.Client().Transport.(*http.Transport).Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	return tr
}

// MissingKeys lists the paths (from path) of the fields that want has and
// got lacks: objects by key, arrays by their first element. Golden tests
// use it to check a response has every field of an Azure REST example.
func MissingKeys(want, got any, path string) []string {
	var out []string
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, MissingKeys(w[k], gv, path+"."+k)...)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path}
		}
		if len(w) > 0 && len(g) > 0 {
			out = append(out, MissingKeys(w[0], g[0], path+"[0]")...)
		}
	}
	return out
}
