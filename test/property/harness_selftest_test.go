package property_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// fakeSOCKS is a one-connection SOCKS5 server for the harness's own
// tests: it negotiates user/password, reads the CONNECT request and then
// behaves as told: reply with code, and (misbehaving on purpose) write
// after a failure reply, or forward the client's optimistic data to
// backend although it refused the connection.
func fakeSOCKS(t *testing.T, code byte, after string, backend string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		if _, err := io.ReadFull(c, buf[:3]); err != nil { // 05 01 02
			return
		}
		_, _ = c.Write([]byte{5, 2})
		if _, err := io.ReadFull(c, buf[:2]); err != nil {
			return
		}
		if _, err := io.ReadFull(c, buf[:int(buf[1])+1]); err != nil { // user, pass length
			return
		}
		plen := int(buf[int(buf[1])])
		if _, err := io.ReadFull(c, buf[:plen]); err != nil {
			return
		}
		_, _ = c.Write([]byte{1, 0})
		if _, err := io.ReadFull(c, buf[:10]); err != nil { // IPv4 CONNECT
			return
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _ := c.Read(buf) // optimistic data, if any
		early := bytes.Clone(buf[:n])
		if backend != "" && n > 0 {
			if b, err := net.Dial("tcp", backend); err == nil {
				_, _ = b.Write(early)
				_, _ = io.ReadAll(io.LimitReader(b, 1)) // wait for the greeting's first byte
				b.Close()
			}
		}
		_, _ = c.Write([]byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0})
		if after != "" {
			_, _ = io.WriteString(c, after)
		}
	}()
	return ln.Addr().String()
}

// TestHarnessDetectsLeaks shows the two checks of "no byte passes a
// connection that is not Approved" can fail: bytes after a failure reply
// land in Leaked, and optimistic data forwarded to a backend despite the
// refusal is counted by its echo listener.
func TestHarnessDetectsLeaks(t *testing.T) {
	ctx := context.Background()
	dst := netip.MustParseAddr("10.1.0.200")

	clean := fakeSOCKS(t, 0x04, "", "")
	got, err := socksConnectEarly(ctx, clean, "u", "p", dst, 80)
	if err != nil || got.Reply != 0x04 || len(got.Leaked) != 0 {
		t.Fatalf("clean refusal: %+v, %v", got, err)
	}

	leaky := fakeSOCKS(t, 0x04, "backend says hi\n", "")
	got, err = socksConnectEarly(ctx, leaky, "u", "p", dst, 80)
	if err != nil || got.Reply != 0x04 || string(got.Leaked) != "backend says hi\n" {
		t.Fatalf("leaky refusal: %+v, %v", got, err)
	}

	echo, err := startEcho("backend")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	forwarding := fakeSOCKS(t, 0x04, "", echo.Addr())
	got, err = socksConnectEarly(ctx, forwarding, "u", "p", dst, 80)
	if err != nil || got.Reply != 0x04 || len(got.Leaked) != 0 {
		t.Fatalf("forwarding refusal: %+v, %v", got, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for echo.fed.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := echo.fed.Load(); n != 1 {
		t.Fatalf("the echo listener counted %d connections with client bytes, want 1", n)
	}
}
