package bench

import (
	"context"
	"testing"
)

// TestSOCKSPeers checks that each installed SOCKS5 peer carries the
// connection-setup operation to the echo server, and that microsocks
// refuses a wrong password (so it really runs the negotiation privlink
// requires). Peers that are not installed are only logged: the
// benchmark command says how to install them.
func TestSOCKSPeers(t *testing.T) {
	echo, err := StartEcho()
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	start := map[string]func() (*SOCKSPeer, error){
		"microsocks": func() (*SOCKSPeer, error) { return StartMicrosocks("u", "secret") },
		"danted":     func() (*SOCKSPeer, error) { return StartDante(t.TempDir()) },
	}
	for name, f := range start {
		t.Run(name, func(t *testing.T) {
			if _, err := LookPeer(name); err != nil {
				t.Skipf("not checked: %v", err)
			}
			p, err := f()
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop()
			d, err := p.Dialer(echo.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Run(context.Background(), 2, 10, ConnectOp(d)); err != nil {
				t.Fatal(err)
			}
			if p.User == "" {
				return
			}
			bad, err := SOCKSDialer(p.Addr, p.User, "wrong", echo.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if c, err := bad(); err == nil {
				c.Close()
				t.Fatal("a wrong password was accepted")
			}
		})
	}
}
