package kube

import (
	"net"
	"net/netip"
	"testing"
)

// TestDiagSocketInode: the sock_diag lookup finds the same socket as the
// /proc/net/tcp scan, and nothing for a 4-tuple that does not exist.
func TestDiagSocketInode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := netip.MustParseAddrPort(c.LocalAddr().String())
	server := netip.MustParseAddrPort(c.RemoteAddr().String())
	got, found, err := diagSocketInode(client, server)
	if err != nil {
		t.Skipf("sock_diag unavailable here: %v", err)
	}
	want, wfound, err := scanProcNetTCP("/proc/net/tcp", client, server)
	if err != nil || !wfound {
		t.Fatalf("/proc/net/tcp: %v %v", wfound, err)
	}
	if !found || got != want {
		t.Fatalf("sock_diag inode %d (found %v), /proc/net/tcp %d", got, found, want)
	}
	if ok, err := socketOpenInProcess(got); err != nil || !ok {
		t.Fatalf("socket %d not open in this process: %v %v", got, ok, err)
	}
	other := netip.AddrPortFrom(client.Addr(), client.Port()+1)
	if _, found, err := diagSocketInode(other, server); err != nil || found {
		t.Fatalf("a 4-tuple nobody holds: found %v, %v", found, err)
	}
}
