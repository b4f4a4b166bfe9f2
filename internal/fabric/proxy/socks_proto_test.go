package proxy

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

// socksOpen connects to the SOCKS listener with a deadline.
func socksOpen(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// socksAuthMsgs is a greeting offering user name/password and the
// authentication of vm1 with the token.
func socksAuthMsgs(user string) []byte {
	b := []byte{5, 1, 2, 1, byte(len(user))}
	b = append(b, user...)
	b = append(b, byte(len(testToken)))
	return append(b, testToken...)
}

// expectClosed checks that the server closed the connection without
// sending anything more.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, err := c.Read(make([]byte, 16))
	if n != 0 || err == nil || isTimeout(err) {
		t.Fatalf("read = %d, %v; want the connection closed", n, err)
	}
}

func TestSOCKSProtocolErrors(t *testing.T) {
	e := newEnv(t)
	t.Run("not SOCKS5", func(t *testing.T) {
		c := socksOpen(t, e.socks)
		mustWrite(t, c, []byte{4, 1, 0, 80, 10, 0, 1, 4, 0})
		expectClosed(t, c)
	})
	t.Run("authentication version", func(t *testing.T) {
		c := socksOpen(t, e.socks)
		mustWrite(t, c, []byte{5, 1, 2})
		if got := mustRead(t, c, 2); !bytes.Equal(got, []byte{5, 2}) {
			t.Fatalf("method selection = %x", got)
		}
		mustWrite(t, c, []byte{5, 3, 'v', 'm', '1', 1, 'x'})
		expectClosed(t, c)
	})
	for _, tc := range []struct {
		name string
		req  []byte
		want byte
	}{
		{"BIND", []byte{5, 2, 0, 1, 10, 0, 1, 4, 0, 80}, 0x07},
		{"UDP ASSOCIATE", []byte{5, 3, 0, 1, 10, 0, 1, 4, 0, 80}, 0x07},
		{"address type", []byte{5, 1, 0, 9, 10, 0, 1, 4, 0, 80}, 0x08},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := socksOpen(t, e.socks)
			mustWrite(t, c, socksAuthMsgs("vm1"))
			if got := mustRead(t, c, 4); !bytes.Equal(got, []byte{5, 2, 1, 0}) {
				t.Fatalf("method selection and auth = %x", got)
			}
			mustWrite(t, c, tc.req)
			if got := mustRead(t, c, 10); !bytes.Equal(got, []byte{5, tc.want, 0, 1, 0, 0, 0, 0, 0, 0}) {
				t.Fatalf("reply = %x, want code %#x and 0.0.0.0:0", got, tc.want)
			}
			expectClosed(t, c)
		})
	}
	if n := len(e.p.Flows()); n != 0 {
		t.Errorf("flows = %d", n)
	}
	// A client that goes away in the middle of its greeting leaves nothing
	// behind.
	c := socksOpen(t, e.socks)
	mustWrite(t, c, []byte{5, 3, 0})
	c.Close()
}

// A client may send everything at once (greeting, authentication,
// request and its first data): the proxy answers each step and forwards
// the data once connected.
func TestSOCKSPipelinedAndEarlyData(t *testing.T) {
	e := newEnv(t)
	c := socksOpen(t, e.socks)
	msg := socksAuthMsgs("vm1")
	msg = append(msg, 5, 1, 0, 3, byte(len("web.internal")))
	msg = append(msg, "web.internal"...)
	msg = append(msg, 0, 80)
	msg = append(msg, "early words"...)
	mustWrite(t, c, msg)
	rep := mustRead(t, c, 4+10)
	if !bytes.Equal(rep[:4], []byte{5, 2, 1, 0}) || rep[4] != 5 || rep[5] != 0 || rep[7] != 1 {
		t.Fatalf("replies = %x", rep)
	}
	// BND.ADDR is the proxy's own end of its connection to the target.
	bind := netip.AddrPortFrom(netip.AddrFrom4([4]byte(rep[8:12])), uint16(rep[12])<<8|uint16(rep[13]))
	if !bind.Addr().IsLoopback() || bind.Port() == 0 {
		t.Errorf("BND = %s, want the proxy's loopback address", bind)
	}
	if got := mustRead(t, c, len("early words")); string(got) != "early words" {
		t.Fatalf("echo = %q", got)
	}
	if fs := e.waitFlows(1); fs[0].Name != "web.internal" || fs[0].Dest.String() != dstEcho {
		t.Errorf("flow = %+v", fs[0])
	}
}

// An IPv4-mapped IPv6 destination is the IPv4 address.
func TestSOCKSIPv6Destination(t *testing.T) {
	e := newEnv(t)
	c := socksOpen(t, e.socks)
	mustWrite(t, c, socksAuthMsgs(originalCase(vm1ID)))
	mustRead(t, c, 4)
	mapped := netip.AddrFrom16(netip.MustParseAddr("::ffff:10.0.1.4").As16()).As16()
	req := append([]byte{5, 1, 0, 4}, mapped[:]...)
	mustWrite(t, c, append(req, 0, 80))
	if rep := mustRead(t, c, 10); rep[1] != 0 {
		t.Fatalf("reply = %x", rep)
	}
	if q := e.eval.lastQuery(); q.Dest.String() != "10.0.1.4" || q.Port != 80 || q.Source != vm1ID {
		t.Errorf("query = %+v", q)
	}
	echoRoundTrip(t, c, "over v6 framing")

	// A plain IPv6 destination nothing routes to.
	c = socksOpen(t, e.socks)
	mustWrite(t, c, socksAuthMsgs("vm1"))
	mustRead(t, c, 4)
	v6 := netip.MustParseAddr("fd00::5").As16()
	mustWrite(t, c, append(append([]byte{5, 1, 0, 4}, v6[:]...), 0, 80))
	if rep := mustRead(t, c, 10); rep[1] != 0x03 {
		t.Fatalf("reply = %x, want network unreachable", rep)
	}
	e.log.waitLog(t, "connection refused by the fabric", "no route to fd00::5")
}

func TestVantageCachePerSnapshot(t *testing.T) {
	src := newMutableSource(buildSnapshot(1, nil))
	p := New(Config{Source: src, Evaluate: (&fakeEval{}).Evaluate, Resolve: (&fakeResolver{}).Resolve, Token: testToken})
	defer p.Close()
	s1 := src.Current()
	h, err := p.lookupVantage(s1, "VM1")
	if err != nil || h.ID != vm1ID {
		t.Fatalf("lookup = %v, %v", h, err)
	}
	if h2, _ := p.lookupVantage(s1, "VM1"); h2 != h {
		t.Errorf("second lookup in the same snapshot = %p, want the cached %p", h2, h)
	}
	// The next snapshot lost vm1 and named another VM vm1... in another
	// group: the cache of the old snapshot must not answer.
	s2 := buildSnapshot(2, func(hosts map[string]*fabric.Host, _ *fabric.Snapshot) {
		delete(hosts, vm1ID)
		hosts[vm2ID].Name = "vm1"
	})
	if h, err := p.lookupVantage(s2, "VM1"); err != nil || h.ID != vm2ID {
		t.Fatalf("lookup in the new snapshot = %v, %v; want vm2 (now named vm1)", h, err)
	}
	s3 := buildSnapshot(3, func(hosts map[string]*fabric.Host, _ *fabric.Snapshot) { delete(hosts, vm1ID) })
	if _, err := p.lookupVantage(s3, "vm1"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("lookup of a deleted vantage: %v", err)
	}
	if _, err := p.checkCredentials("vm1", []byte(testToken)); err != nil {
		t.Errorf("credentials against the source's snapshot: %v", err)
	}
	if _, err := p.checkCredentials("vm1", []byte(testToken+"x")); err == nil {
		t.Errorf("wrong token accepted")
	}
}

// copyAuto must deliver every byte whatever the read sizes: short reads
// through the buffer, then splice(2) after a full one.
func TestCopyAutoSizes(t *testing.T) {
	pair := func() (a, b *net.TCPConn) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ch := make(chan net.Conn, 1)
		go func() { c, _ := l.Accept(); ch <- c }()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		s := <-ch
		t.Cleanup(func() { c.Close(); s.Close() })
		return c.(*net.TCPConn), s.(*net.TCPConn)
	}
	for _, size := range []int{1, copyBufSize - 1, copyBufSize, copyBufSize + 1, 3<<20 + 7} {
		// in → [srcIn | srcOut] → copyAuto → [dstIn | dstOut] → out
		in, src := pair()
		dst, out := pair()
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(i*7 + i>>9)
		}
		errc := make(chan error, 1)
		go func() { errc <- copyAuto(dst, src) }()
		go func() {
			// Small writes first, then the rest in one go.
			for i := 0; i < min(size, 5); i++ {
				_, _ = in.Write(want[i : i+1])
				time.Sleep(time.Millisecond)
			}
			if size > 5 {
				_, _ = in.Write(want[5:])
			}
			_ = in.CloseWrite()
		}()
		got := make([]byte, 0, size)
		buf := make([]byte, 64<<10)
		_ = out.SetReadDeadline(time.Now().Add(10 * time.Second))
		for len(got) < size {
			n, err := out.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("size %d: read after %d bytes: %v", size, len(got), err)
			}
		}
		if err := <-errc; err != nil {
			t.Fatalf("size %d: copyAuto: %v", size, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("size %d: bytes differ", size)
		}
	}
}

func TestLazyTimeout(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	lt := newLazyTimeout(parent, time.Hour)
	if dl, ok := lt.Deadline(); !ok || time.Until(dl) < 59*time.Minute {
		t.Errorf("deadline = %v %v", dl, ok)
	}
	if lt.Value(key{}) != "v" || lt.Err() != nil {
		t.Fatalf("value %v err %v", lt.Value(key{}), lt.Err())
	}
	cancel()
	if !errors.Is(lt.Err(), context.Canceled) {
		t.Errorf("Err after the parent's cancel, before any wait = %v", lt.Err())
	}
	lt.release()

	// Waiting builds the real context: Done closes with the parent, and
	// derived contexts and AfterFunc follow.
	parent, cancel = context.WithCancel(context.Background())
	lt = newLazyTimeout(parent, time.Hour)
	defer lt.release()
	child, cc := context.WithCancel(lt)
	defer cc()
	called := make(chan struct{})
	context.AfterFunc(lt, func() { close(called) })
	cancel()
	for _, ch := range []<-chan struct{}{lt.Done(), child.Done(), called} {
		select {
		case <-ch:
		case <-time.After(3 * time.Second):
			t.Fatal("not cancelled with the parent")
		}
	}
	if !errors.Is(lt.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
		t.Errorf("errs %v %v", lt.Err(), child.Err())
	}

	// The deadline: reported by Err without a wait, and by Done.
	short := newLazyTimeout(context.Background(), 20*time.Millisecond)
	defer short.release()
	time.Sleep(30 * time.Millisecond)
	if !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Errorf("Err past the deadline = %v", short.Err())
	}
	short2 := newLazyTimeout(context.Background(), 20*time.Millisecond)
	defer short2.release()
	select {
	case <-short2.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("Done did not close at the deadline")
	}
	// A parent's earlier deadline wins.
	pd, pc := context.WithTimeout(context.Background(), time.Minute)
	defer pc()
	want, _ := pd.Deadline()
	if dl, _ := newLazyTimeout(pd, time.Hour).Deadline(); !dl.Equal(want) {
		t.Errorf("deadline %v, want the parent's %v", dl, want)
	}
}
