package auth

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	otherGUID  = "0f0e0d0c-0b0a-4909-8807-060504030201"
	testClient = "5d4c3b2a-1f0e-4d9c-8b7a-695847362514"
	testBase   = "https://127.0.0.1:8443"
)

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newTestIssuer(t *testing.T, opts ...Option) *Issuer {
	t.Helper()
	i, err := NewIssuer(t.TempDir(), testTenant, testLogger(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// testHandler serves i's endpoints as if reachable at testBase (given with
// a trailing slash on purpose: the handler must trim it).
func testHandler(i *Issuer) *Handler {
	return i.Handler(func(*http.Request) string { return testBase + "/" })
}

type call struct {
	method string
	path   string
	form   url.Values
	header map[string]string
}

func (c call) do(t *testing.T, h http.Handler) (int, http.Header, map[string]any) {
	t.Helper()
	var body io.Reader
	if c.form != nil {
		body = strings.NewReader(c.form.Encode())
	}
	req := httptest.NewRequest(c.method, "https://127.0.0.1:8443"+c.path, body)
	if c.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := map[string]any{}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		raw := rec.Body.Bytes()
		if len(raw) > 0 && raw[0] == '[' {
			var list []any
			if err := json.Unmarshal(raw, &list); err != nil {
				t.Fatalf("decode list: %v", err)
			}
			out["_list"] = list
		} else if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	} else {
		out["_text"] = rec.Body.String()
	}
	return rec.Code, rec.Header(), out
}

// jwtClaims decodes the payload of a JWT without verifying it (what
// Terraform does with access tokens).
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("payload json: %v", err)
	}
	return out
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://127.0.0.1:8443/subscriptions?api-version=2022-12-01", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

func jwtClaimsRaw(part string) string {
	raw, _ := base64.RawURLEncoding.DecodeString(part)
	return string(raw)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
