package proxy

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"

	"github.com/privlink/privlink/internal/fabric"
)

func socksDialer(t *testing.T, addr, user, pass string) proxy.Dialer {
	t.Helper()
	d, err := proxy.SOCKS5("tcp", addr, &proxy.Auth{User: user, Password: pass}, proxy.Direct)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSOCKSDataBothWaysAndHalfClose(t *testing.T) {
	e := newEnv(t)
	c, err := socksDialer(t, e.socks, "vm1", testToken).Dial("tcp", dstEcho)
	if err != nil {
		t.Fatalf("dial through socks5: %v", err)
	}
	defer c.Close()
	fs := e.waitFlows(1)
	if f := fs[0]; f.Via != "socks5" || f.SourceHost != vm1ID || f.DestHost != vm2ID ||
		f.Dest.String() != dstEcho || f.Target != e.echo || f.Started.IsZero() {
		t.Errorf("flow = %+v", f)
	}
	if q := e.eval.lastQuery(); q.Source != vm1ID || q.Dest.String() != "10.0.1.4" || q.Port != 80 || q.Protocol != fabric.TCP {
		t.Errorf("query = %+v", q)
	}
	if e.syncCount() == 0 {
		t.Errorf("Sync was not called before the decision")
	}
	// Several exchanges while both directions are open, then a
	// half-close: the echo sees EOF only if the proxy half-closed the
	// target, and we see EOF only if it half-closed us in turn.
	br := bufio.NewReader(c)
	for _, m := range []string{"ping\n", strings.Repeat("x", 100000) + "\n"} {
		mustWrite(t, c, []byte(m))
		got, err := br.ReadString('\n')
		if err != nil || got != m {
			t.Fatalf("echo of %d bytes: got %d bytes, err %v", len(m), len(got), err)
		}
	}
	mustWrite(t, c, []byte("last words"))
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "last words" {
		t.Fatalf("after half-close: %q, %v", rest, err)
	}
	e.waitFlows(0)
}

func TestSOCKSReplyCodes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, user, dest string
		want             byte
		log              []string
	}{
		{"delivered", "vm1", dstEcho, 0x00, nil},
		{"denied by NSG", "vm1", dstNSG, 0x02, []string{"connection refused by the fabric", "DeniedByNSG", nsgReason}},
		{"network unreachable", "vm1", dstNetUnreach, 0x03, []string{"NetworkUnreachable", "no route to 10.9.9.9"}},
		{"host unreachable", "vm1", dstHostUnr, 0x04, []string{"HostUnreachable", "no host has 10.0.1.5"}},
		{"refused", "vm1", dstRefused, 0x05, []string{"Refused", "nothing listens on vm2 port 8080"}},
		{"source down", "vm3", dstEcho, 0x04, []string{"SourceDown", "source host is not running"}},
		{"unresolvable name", "vm1", "nope.example.com:80", 0x04, []string{"DNS", "NXDOMAIN: nope.example.com does not exist"}},
		{"listener not answering", "vm1", dstDeadListen, 0x05, []string{"does not answer"}},
		{"non-loopback target", "vm1", dstNotLoop, 0x04, []string{"not a loopback address"}},
		{"name resolved then refused (internet view)", "internet", "api.privatelink.example.com:80", 0x05, []string{"nothing listens on 52.160.0.9:80"}},
		{"ssh banner", "vm1", dstSSH, 0x00, nil},
		{"port zero", "vm1", "10.0.1.4:0", 0x05, []string{"not a valid TCP destination port"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, rep, c := rawSOCKS(t, e.socks, tc.user, testToken, tc.dest)
			if st != 0 {
				t.Fatalf("auth status = %d, want 0", st)
			}
			if rep != tc.want {
				t.Fatalf("reply = %#x, want %#x", rep, tc.want)
			}
			if rep != 0 {
				// The server closes the connection after a failure reply.
				_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if _, err := c.Read(make([]byte, 1)); err == nil {
					t.Errorf("connection still open after failure reply")
				}
			}
			if len(tc.log) > 0 {
				e.log.waitLog(t, tc.log...)
			}
		})
	}
}

func TestSOCKSAuthFailures(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, user, pass, log string
	}{
		{"wrong token", "vm1", "nope", `socks5 auth failed: wrong token for vantage "vm1"`},
		{"unknown vantage", "vmx", testToken, `socks5 auth failed: unknown vantage "vmx"`},
		{"ambiguous name", "web", testToken, "socks5 auth failed: vantage 'web' is ambiguous: " + originalCase(webAID)},
		{"empty user", "", testToken, `socks5 auth failed: unknown vantage ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, _, _ := rawSOCKS(t, e.socks, tc.user, tc.pass, dstEcho)
			if st == 0 {
				t.Fatalf("auth succeeded, want failure")
			}
			e.log.waitLog(t, tc.log)
		})
	}
	// A client offering only "no authentication" gets 0xFF.
	c, err := net.Dial("tcp", e.socks)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustWrite(t, c, []byte{5, 1, 0})
	if got := mustRead(t, c, 2); got[1] != 0xff {
		t.Errorf("no-auth method selection = %x, want 05 ff", got)
	}
	if len(e.p.Flows()) != 0 {
		t.Errorf("flows after failed auth: %+v", e.p.Flows())
	}
}

func TestSOCKSVantageByResourceIDAnyCase(t *testing.T) {
	e := newEnv(t)
	for _, user := range []string{originalCase(vm1ID), strings.ToUpper(vm1ID), "VM1", "Internet"} {
		st, rep, c := rawSOCKS(t, e.socks, user, testToken, dstEcho)
		if st != 0 || rep != 0 {
			t.Fatalf("user %q: auth %d reply %#x", user, st, rep)
		}
		echoRoundTrip(t, c, "hi from "+user)
	}
	if got := e.eval.lastQuery().Source; got != fabric.InternetHostID {
		t.Errorf("last query source = %q, want internet", got)
	}
}

func TestSOCKSResolvesInVantageView(t *testing.T) {
	e := newEnv(t)
	c, err := socksDialer(t, e.socks, "vm1", testToken).Dial("tcp", "API.PrivateLink.example.com.:80")
	if err != nil {
		t.Fatalf("dial by name: %v", err)
	}
	echoRoundTrip(t, c, "by name")
	e.res.mu.Lock()
	calls := append([]string(nil), e.res.calls...)
	e.res.mu.Unlock()
	if want := vm1ID + " api.privatelink.example.com"; len(calls) == 0 || calls[len(calls)-1] != want {
		t.Errorf("resolver calls = %q, want last %q", calls, want)
	}
	q := e.eval.lastQuery()
	if q.Source != vm1ID || q.Dest.String() != "10.0.1.4" || q.Port != 80 {
		t.Errorf("query = %+v, want vm1 -> 10.0.1.4:80", q)
	}
	// The same name from the internet resolves to the public address.
	_, rep, _ := rawSOCKS(t, e.socks, "internet", testToken, "api.privatelink.example.com:80")
	if rep != 0x05 {
		t.Errorf("internet reply = %#x, want 0x05", rep)
	}
	if q := e.eval.lastQuery(); q.Source != fabric.InternetHostID || q.Dest.String() != "52.160.0.9" {
		t.Errorf("internet query = %+v", q)
	}
}

func TestSOCKSSSHBanner(t *testing.T) {
	e := newEnv(t)
	_, rep, c := rawSOCKS(t, e.socks, "vm1", testToken, dstSSH)
	if rep != 0 {
		t.Fatalf("reply = %#x", rep)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != SSHBanner {
		t.Fatalf("banner = %q, %v", line, err)
	}
	if fs := e.waitFlows(1); fs[0].Target != SSHBannerTarget || fs[0].DestHost != vm2ID {
		t.Errorf("flow = %+v", fs[0])
	}
	// The SSH answer reads what the client sends until it closes...
	mustWrite(t, c, []byte("SSH-2.0-OpenSSH_9.6\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := br.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
		t.Fatalf("read after client banner: n=%d err=%v, want timeout (server waits)", n, err)
	}
	// ...and closes after the client's EOF.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.(*bufConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after half-close: %q, %v", rest, err)
	}
	e.waitFlows(0)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
