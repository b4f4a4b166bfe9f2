package proxy

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"

	"golang.org/x/net/proxy"

	"github.com/privlink/privlink/internal/fabric"
)

// benchEnv is a proxy without fence, DNS or logging costs in the way, in
// front of an echo listener and a sink listener.
type benchEnv struct {
	p           *Proxy
	socks       string
	echo, sink  string
	dialer      proxy.Dialer
	echoDest    string
	sinkDest    string
	directDial  func(addr string) (net.Conn, error)
	serveReturn chan error
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	e := &benchEnv{echo: startEcho(b), sink: startSink(b), echoDest: dstEcho, sinkDest: "10.0.1.4:9000",
		serveReturn: make(chan error, 1)}
	ev := &fakeEval{}
	ev.set(e.echoDest, route{outcome: fabric.Delivered, dest: vm2ID, target: e.echo})
	ev.set(e.sinkDest, route{outcome: fabric.Delivered, dest: vm2ID, target: e.sink})
	e.p = New(Config{
		Source:   fabric.StaticSource{S: buildSnapshot(1, nil)},
		Evaluate: func(s *fabric.Snapshot, q fabric.Query) fabric.Verdict { return ev.evaluateNoRecord(s, q) },
		Resolve:  (&fakeResolver{}).Resolve,
		Token:    testToken,
		Log:      slog.New(slog.DiscardHandler),
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	e.socks = l.Addr().String()
	go func() { e.serveReturn <- e.p.ServeSOCKS(l) }()
	b.Cleanup(func() {
		e.p.Close()
		<-e.serveReturn
	})
	d, err := proxy.SOCKS5("tcp", e.socks, &proxy.Auth{User: "vm1", Password: testToken}, proxy.Direct)
	if err != nil {
		b.Fatal(err)
	}
	e.dialer = d
	e.directDial = func(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }
	return e
}

// evaluateNoRecord is Evaluate without growing the query log.
func (e *fakeEval) evaluateNoRecord(s *fabric.Snapshot, q fabric.Query) fabric.Verdict {
	v := e.Evaluate(s, q)
	e.mu.Lock()
	e.queries = e.queries[:0]
	e.mu.Unlock()
	return v
}

// startSink starts a listener that reads until EOF, then answers the byte
// count (8 bytes, big endian) and closes.
func startSink(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 256<<10)
				var n int64
				for {
					m, err := c.Read(buf)
					n += int64(m)
					if err != nil {
						break
					}
				}
				var out [8]byte
				binary.BigEndian.PutUint64(out[:], uint64(n))
				_, _ = c.Write(out[:])
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkSOCKSConnect measures connection setup (connect, one byte
// echoed, close) directly to the echo listener and through the SOCKS5
// proxy; the difference is the proxy's added setup latency.
func BenchmarkSOCKSConnect(b *testing.B) {
	e := newBenchEnv(b)
	run := func(b *testing.B, dial func() (net.Conn, error)) {
		one := make([]byte, 1)
		for b.Loop() {
			c, err := dial()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Write(one); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, one); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.directDial(e.echo) }) })
	b.Run("socks5", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.dialer.Dial("tcp", e.echoDest) }) })
	b.Run("dial-api", func(b *testing.B) {
		run(b, func() (net.Conn, error) {
			c, _, err := e.p.Dial(context.Background(), "vm1", e.echoDest)
			return c, err
		})
	})
}

const benchStream = 64 << 20

// BenchmarkSOCKSThroughput streams 64 MiB to a sink directly and through
// the SOCKS5 proxy (MB/s for both).
func BenchmarkSOCKSThroughput(b *testing.B) {
	e := newBenchEnv(b)
	chunk := make([]byte, 1<<20)
	run := func(b *testing.B, dial func() (net.Conn, error)) {
		b.SetBytes(benchStream)
		for b.Loop() {
			c, err := dial()
			if err != nil {
				b.Fatal(err)
			}
			for sent := 0; sent < benchStream; sent += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
			if err := c.(*net.TCPConn).CloseWrite(); err != nil {
				b.Fatal(err)
			}
			var got [8]byte
			if _, err := io.ReadFull(c, got[:]); err != nil {
				b.Fatal(err)
			}
			if n := binary.BigEndian.Uint64(got[:]); n != benchStream {
				b.Fatalf("sink got %d bytes, want %d", n, benchStream)
			}
			c.Close()
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.directDial(e.sink) }) })
	b.Run("socks5", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.dialer.Dial("tcp", e.sinkDest) }) })
}

// BenchmarkSOCKSConnectParallel is BenchmarkSOCKSConnect with 8 clients
// per GOMAXPROCS (16 on two cores), the CPU-bound case, next to a
// minimal Go relay (no SOCKS, no policy) in front of the same echo
// listener.
func BenchmarkSOCKSConnectParallel(b *testing.B) {
	e := newBenchEnv(b)
	relay := startRelay(b, e.echo)
	run := func(b *testing.B, dial func() (net.Conn, error)) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			one := make([]byte, 1)
			for pb.Next() {
				c, err := dial()
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := c.Write(one); err != nil {
					b.Error(err)
				}
				if _, err := io.ReadFull(c, one); err != nil {
					b.Error(err)
				}
				c.Close()
			}
		})
	}
	b.Run("direct", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.directDial(e.echo) }) })
	b.Run("go-relay", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.directDial(relay) }) })
	b.Run("socks5", func(b *testing.B) { run(b, func() (net.Conn, error) { return e.dialer.Dial("tcp", e.echoDest) }) })
}

// startRelay starts a minimal Go TCP relay to backend: io.Copy both ways
// between the two *net.TCPConn, half-closing on EOF.
func startRelay(t testing.TB, backend string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				t, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer t.Close()
				done := make(chan struct{})
				go func() {
					defer close(done)
					if _, err := io.Copy(t, c); err == nil {
						_ = t.(*net.TCPConn).CloseWrite()
					}
				}()
				if _, err := io.Copy(c, t); err == nil {
					_ = c.(*net.TCPConn).CloseWrite()
				}
				<-done
			}()
		}
	}()
	return l.Addr().String()
}
