package proxy

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHTTPConnect(t *testing.T) {
	e := newEnv(t)
	auth := basicAuth("vm1", testToken)

	t.Run("success", func(t *testing.T) {
		resp, c := rawConnect(t, e.http, auth, dstEcho)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %s", resp.Status)
		}
		fs := e.waitFlows(1)
		if fs[0].Via != "http-connect" || fs[0].SourceHost != vm1ID || fs[0].Dest.String() != dstEcho {
			t.Errorf("flow = %+v", fs[0])
		}
		echoRoundTrip(t, c, "through CONNECT")
		e.waitFlows(0)
	})
	t.Run("by name", func(t *testing.T) {
		resp, c := rawConnect(t, e.http, auth, "web.internal:80")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %s", resp.Status)
		}
		echoRoundTrip(t, c, "named")
	})
	t.Run("ssh banner", func(t *testing.T) {
		resp, c := rawConnect(t, e.http, auth, dstSSH)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %s", resp.Status)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b := make([]byte, len(SSHBanner))
		if _, err := io.ReadFull(c, b); err != nil || string(b) != SSHBanner {
			t.Fatalf("banner = %q, %v", b, err)
		}
		if err := c.(*bufConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
			t.Fatalf("after half-close: %q %v", rest, err)
		}
	})

	refusals := []struct {
		name, dest string
		status     int
		outcome    string
		body       []string
	}{
		{"denied by NSG", dstNSG, 403, "DeniedByNSG", []string{nsgReason, "NetworkSecurityRule"}},
		{"network unreachable", dstNetUnreach, 502, "NetworkUnreachable", []string{"network is unreachable", "no route to 10.9.9.9"}},
		{"host unreachable", dstHostUnr, 502, "HostUnreachable", []string{"host unreachable", "no host has 10.0.1.5"}},
		{"refused", dstRefused, 502, "Refused", []string{"connection refused", "nothing listens on vm2 port 8080"}},
		{"unresolvable", "nope.example.com:443", 502, "HostUnreachable", []string{"DNS: resolving nope.example.com from vm1 failed: NXDOMAIN"}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := rawConnect(t, e.http, auth, tc.dest)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %s, want %d; body %s", resp.Status, tc.status, body)
			}
			if got := resp.Header.Get("X-Privlink-Outcome"); got != tc.outcome {
				t.Errorf("outcome header = %q, want %q", got, tc.outcome)
			}
			for _, s := range tc.body {
				if !strings.Contains(string(body), s) {
					t.Errorf("body %q lacks %q", body, s)
				}
			}
		})
	}
	t.Run("listener not answering", func(t *testing.T) {
		resp, _ := rawConnect(t, e.http, auth, dstDeadListen)
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("status = %s", resp.Status)
		}
	})
	t.Run("non-loopback target", func(t *testing.T) {
		resp, _ := rawConnect(t, e.http, auth, dstNotLoop)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "not a loopback address") {
			t.Fatalf("status = %s body %q", resp.Status, body)
		}
	})

	auths := []struct{ name, auth, log string }{
		{"missing", "", "http proxy auth failed: no Basic Proxy-Authorization"},
		{"wrong token", basicAuth("vm1", "bad"), `http proxy auth failed: wrong token for vantage "vm1"`},
		{"unknown vantage", basicAuth("vmx", testToken), `http proxy auth failed: unknown vantage "vmx"`},
		{"not basic", "Bearer abc", "http proxy auth failed: no Basic Proxy-Authorization"},
	}
	for _, tc := range auths {
		t.Run("407 "+tc.name, func(t *testing.T) {
			resp, _ := rawConnect(t, e.http, tc.auth, dstEcho)
			if resp.StatusCode != http.StatusProxyAuthRequired {
				t.Fatalf("status = %s", resp.Status)
			}
			if got := resp.Header.Get("Proxy-Authenticate"); got != `Basic realm="privlink"` {
				t.Errorf("Proxy-Authenticate = %q", got)
			}
			e.log.waitLog(t, tc.log)
		})
	}
}

func TestHTTPAbsoluteURI(t *testing.T) {
	e := newEnv(t)
	client := func(user, pass string) *http.Client {
		u := &url.URL{Scheme: "http", Host: e.http, User: url.UserPassword(user, pass)}
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u)}, Timeout: 5 * time.Second}
	}
	get := func(c *http.Client, u string, hdr map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	c := client("vm1", testToken)

	resp, body := get(c, "http://"+dstWeb+"/hello?x=1", map[string]string{"X-Forwarded-For": "192.0.2.7"})
	if resp.StatusCode != 200 {
		t.Fatalf("status = %s body %s", resp.Status, body)
	}
	if want := `host=10.0.1.4:8000 path=/hello query=x=1 proxy-auth="" xff="192.0.2.7"`; body != want {
		t.Errorf("origin saw %q, want %q", body, want)
	}
	if q := e.eval.lastQuery(); q.Source != vm1ID || q.Dest.String() != "10.0.1.4" || q.Port != 8000 {
		t.Errorf("query = %+v", q)
	}

	resp, body = get(c, "http://web.internal:8000/named", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "host=web.internal:8000 path=/named") {
		t.Errorf("by name: %s %q", resp.Status, body)
	}

	resp, body = get(c, "http://"+dstNSG+"/", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, nsgReason) {
		t.Errorf("NSG: %s %q", resp.Status, body)
	}
	resp, body = get(c, "http://"+dstNetUnreach+"/", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "network is unreachable") {
		t.Errorf("unreachable: %s %q", resp.Status, body)
	}
	resp, _ = get(client("vm1", "wrong"), "http://"+dstWeb+"/", nil)
	if resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("wrong token: %s", resp.Status)
	}
	// The vantage matters: from vm3 (deallocated) nothing goes out.
	resp, body = get(client("vm3", testToken), "http://"+dstWeb+"/", nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "SourceDown") {
		t.Errorf("from vm3: %s %q", resp.Status, body)
	}
	// An origin-form request is not a proxy request.
	req, _ := http.NewRequest(http.MethodGet, "http://"+e.http+"/", nil)
	req.Header.Set("Proxy-Authorization", basicAuth("vm1", testToken))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("origin-form: %s", r.Status)
	}
	// Requests on one client connection reuse its upstream connections,
	// one per origin host (by address and by name here), as the client
	// would reuse its own connection without a proxy: a third request to
	// the first origin adds no flow, and is not decided again.
	fs := e.waitFlows(2)
	before := e.eval.calls()
	if resp, body := get(c, "http://"+dstWeb+"/again", nil); resp.StatusCode != 200 || !strings.Contains(body, "path=/again") {
		t.Errorf("again: %s %q", resp.Status, body)
	}
	if again := e.waitFlows(2); again[0].ID != fs[0].ID || again[1].ID != fs[1].ID {
		t.Errorf("flows after a third request = %+v, want the same two", again)
	}
	if n := e.eval.calls(); n != before {
		t.Errorf("the reused connection was evaluated again (%d evaluations, %d before)", n, before)
	}
	// Another client connection gets its own upstream connection.
	c2 := client("vm1", testToken)
	if resp, _ := get(c2, "http://"+dstWeb+"/", nil); resp.StatusCode != 200 {
		t.Errorf("second client: %s", resp.Status)
	}
	e.waitFlows(3)
	// The upstream connections close with their client connections.
	c.CloseIdleConnections()
	c2.CloseIdleConnections()
	e.waitFlows(0)
}
