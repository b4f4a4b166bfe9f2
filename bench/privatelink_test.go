package bench

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// TestPrivateLinkWorld builds the Private Link topology in an in-process
// daemon with three endpoints and checks that each carries a connection to
// the backend, which sees the service's NAT IP stand-in as the peer, and
// that the HAProxy peer's chain reaches the same server.
func TestPrivateLinkWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon over an embedded store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The "echo" answers the peer address it sees, then echoes.
	who, err := startServer(func(c net.Conn) {
		if _, err := io.WriteString(c, c.RemoteAddr().String()+"\n"); err != nil {
			return
		}
		_, _ = io.Copy(c, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer who.Close()
	sink, err := StartSink()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	d, err := StartDaemon(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cs, err := d.Clients(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseClients(cs)
	w, err := d.BuildPrivateLink(ctx, cs[0], PLSpec{SinkAddr: sink.Addr(), EchoAddr: who.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range 3 {
		ep, err := w.AddEndpoint(ctx, d.Target, cs[0], EndpointName(i), 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if seen[ep.IP] || !strings.HasPrefix(ep.IP, "10.0.") || ep.Total < ep.Put || ep.Put <= 0 {
			t.Fatalf("endpoint %d: %+v (addresses so far %v)", i, ep, seen)
		}
		seen[ep.IP] = true
	}
	if len(w.Endpoints) != 3 {
		t.Fatalf("%d endpoints recorded, want 3", len(w.Endpoints))
	}
	for _, ep := range w.Endpoints {
		dial, err := SOCKSDialer(w.Env.SOCKS5, w.Env.Vantage, d.App.FabricToken(), ep.Dest(w.EchoPort))
		if err != nil {
			t.Fatal(err)
		}
		var line string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			c, err := dial()
			if err == nil {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				line, err = bufio.NewReader(c).ReadString('\n')
				c.Close()
				if err == nil {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer through %s: %v", ep.Dest(w.EchoPort), err)
			}
		}
		if host, _, _ := net.SplitHostPort(strings.TrimSpace(line)); host != "127.224.10.10" {
			t.Errorf("through %s the backend saw peer %q, want the NAT IP's stand-in 127.224.10.10", ep.IP, line)
		}
		sinkDial, err := SOCKSDialer(w.Env.SOCKS5, w.Env.Vantage, d.App.FabricToken(), ep.Dest(w.SinkPort))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Stream(sinkDial, 1<<20, make([]byte, 64<<10)); err != nil {
			t.Errorf("stream through %s: %v", ep.Dest(w.SinkPort), err)
		}
	}
	// The consumer cannot reach the NAT IP itself (Private Link is one-way).
	nat, err := SOCKSDialer(w.Env.SOCKS5, w.Env.Vantage, d.App.FabricToken(), net.JoinHostPort(plNATIP, "7"))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := nat(); err == nil {
		c.Close()
		t.Error("a connection to the service's NAT IP was accepted")
	}

	if _, err := LookPeer("haproxy"); err != nil {
		t.Logf("HAProxy chain not checked: %v", err)
		return
	}
	echo, err := StartEcho()
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	h, err := StartHAProxyChain(t.TempDir(), 1, map[string]string{"sink": sink.Addr(), "echo": echo.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	for _, name := range []string{"echo-lb", "echo-lb-splice", "echo-chain"} {
		if err := WaitConnect(DirectDialer(h.Addrs[name]), 10*time.Second); err != nil {
			t.Errorf("haproxy %s: %v", name, err)
		}
	}
	for _, name := range []string{"sink-lb", "sink-chain"} {
		if _, err := Stream(DirectDialer(h.Addrs[name]), 1<<20, make([]byte, 64<<10)); err != nil {
			t.Errorf("haproxy %s: %v", name, err)
		}
	}
	if !strings.Contains(h.Config, "check inter 5s") || !strings.Contains(h.Config, "server lb "+h.Addrs["echo-lb"]) {
		t.Errorf("configuration lacks the health check or the chain:\n%s", h.Config)
	}
}
