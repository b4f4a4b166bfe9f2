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

// TestVPNWorld builds the site-to-site topology of the VPN benchmark and
// checks that the site host's connections reach the VM listener over the
// Connected tunnel (the VM sees the laptop's own address: no NAT over a
// VPN), that the in-VNet VM reaches it too, and that with a wrong key on
// the site's device the connection goes NotConnected and the site host is
// refused.
func TestVPNWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a daemon over an embedded store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	who, err := startServer(func(c net.Conn) {
		if _, err := io.WriteString(c, c.RemoteAddr().String()+"\n"); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer who.Close()
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
	w, err := d.BuildVPN(ctx, cs[0], VPNSpec{SinkAddr: who.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	if w.SiteHostIP == "" || !strings.HasPrefix(w.SiteHostIP, "192.168.") || !strings.HasPrefix(w.ServerIP, "10.2.1.") {
		t.Fatalf("addresses: site host %q, server %q", w.SiteHostIP, w.ServerIP)
	}
	peer := func(vantage string) (string, error) {
		dial, err := SOCKSDialer(w.Env.SOCKS5, vantage, d.App.FabricToken(), w.SinkDest())
		if err != nil {
			return "", err
		}
		c, err := dial()
		if err != nil {
			return "", err
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		host, _, _ := net.SplitHostPort(strings.TrimSpace(line))
		return host, err
	}
	want := "127." + strings.SplitN(w.SiteHostIP, ".", 2)[1]
	if got, err := peer(w.SiteHost); err != nil || got != want {
		t.Errorf("from the site host: peer %q, %v; want %s (the laptop's address, no NAT)", got, err, want)
	}
	if _, err := peer(w.ClientVM); err != nil {
		t.Errorf("from the VM in the VNet: %v", err)
	}
	if err := w.SetDeviceKey(ctx, cs[0], "wrong-key", "NotConnected", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := peer(w.SiteHost); err == nil {
		t.Errorf("from the site host over a NotConnected connection: reached the VM (peer %q)", got)
	}
}
