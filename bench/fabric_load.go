package bench

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/proxy"
)

// Server is a real loopback TCP server the data-plane benchmarks send
// traffic to: the sink or the echo server.
type Server struct {
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartSink starts the sink on 127.0.0.1: for each connection it reads
// until EOF, then answers the number of bytes read (8 bytes, big endian)
// and closes.
func StartSink() (*Server, error) {
	return startServer(func(c net.Conn) {
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
	})
}

// StartEcho starts the echo server on 127.0.0.1: it sends back what it
// reads until EOF, then closes.
func StartEcho() (*Server, error) {
	return startServer(func(c net.Conn) {
		buf := make([]byte, 4096)
		for {
			m, err := c.Read(buf)
			if m > 0 {
				if _, werr := c.Write(buf[:m]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
}

func startServer(handle func(net.Conn)) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{l: l, conns: map[net.Conn]struct{}{}}
	s.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Go(func() {
				defer func() {
					s.mu.Lock()
					delete(s.conns, c)
					s.mu.Unlock()
					c.Close()
				}()
				handle(c)
			})
		}
	})
	return s, nil
}

// Addr is the server's loopback address.
func (s *Server) Addr() string { return s.l.Addr().String() }

// Close stops the server and closes its open connections.
func (s *Server) Close() error {
	err := s.l.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Dialer opens one connection to the server under test, by whatever path
// (directly, through the fabric's SOCKS5 proxy, through HAProxy).
type Dialer func() (net.Conn, error)

// DirectDialer dials addr.
func DirectDialer(addr string) Dialer {
	return func() (net.Conn, error) { return net.Dial("tcp", addr) }
}

// SOCKSDialer dials dest through the SOCKS5 proxy at proxyAddr with the
// user name and password (RFC 1929), the way a proxy-aware program does:
// greeting, authentication and CONNECT each take a round trip. The
// connection returned is the proxy's TCP connection itself.
func SOCKSDialer(proxyAddr, user, password, dest string) (Dialer, error) {
	d, err := proxy.SOCKS5("tcp", proxyAddr, &proxy.Auth{User: user, Password: password}, proxy.Direct)
	if err != nil {
		return nil, fmt.Errorf("socks5 dialer: %w", err)
	}
	return func() (net.Conn, error) { return d.Dial("tcp", dest) }, nil
}

// Stream sends total bytes from buf (repeated) over one connection to the
// sink, half-closes, and checks the sink's byte count. It returns the time
// from the dial to the count.
func Stream(dial Dialer, total int64, buf []byte) (time.Duration, error) {
	t0 := time.Now()
	c, err := dial()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	for sent := int64(0); sent < total; {
		n := min(int64(len(buf)), total-sent)
		m, err := c.Write(buf[:n])
		sent += int64(m)
		if err != nil {
			return 0, fmt.Errorf("write after %d bytes: %w", sent, err)
		}
	}
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		return 0, fmt.Errorf("%T cannot half-close", c)
	}
	if err := cw.CloseWrite(); err != nil {
		return 0, err
	}
	var out [8]byte
	if _, err := io.ReadFull(c, out[:]); err != nil {
		return 0, fmt.Errorf("read byte count: %w", err)
	}
	if got := int64(binary.BigEndian.Uint64(out[:])); got != total {
		return 0, fmt.Errorf("the sink counted %d bytes, %d were sent", got, total)
	}
	return time.Since(t0), nil
}

// StreamResult is a bulk transfer: bytes moved and the wall-clock time.
type StreamResult struct {
	Bytes   int64
	Elapsed time.Duration
}

// BytesPerSec is the throughput.
func (r StreamResult) BytesPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Bytes) / r.Elapsed.Seconds()
}

// Streams runs n concurrent Streams of total/n bytes each and returns the
// aggregate.
func Streams(dial Dialer, n int, total int64) (StreamResult, error) {
	per := total / int64(n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for j := range buf {
				buf[j] = byte(j * 7)
			}
			<-start
			_, errs[i] = Stream(dial, per, buf)
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	el := time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return StreamResult{}, err
	}
	return StreamResult{Bytes: per * int64(n), Elapsed: el}, nil
}

// ConnectOp is a load operation measuring connection setup end to end:
// dial, send one byte, read it back from the echo server, close. Through a
// proxy the echoed byte proves the proxy's own upstream connection is up
// (HAProxy dials its server only after accepting the client).
func ConnectOp(dial Dialer) Op {
	return func(context.Context, int, int) error {
		c, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		b := []byte{'x'}
		if _, err := c.Write(b); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return fmt.Errorf("read echo: %w", err)
		}
		if b[0] != 'x' {
			return fmt.Errorf("echo answered %q", b)
		}
		return nil
	}
}

// StartRelay starts a minimal Go TCP relay on 127.0.0.1 in front of
// backend: for each connection it dials backend and copies both ways with
// io.Copy between the two *net.TCPConn (splice(2) on Linux), half-closing
// like the fabric proxy does. It is the floor of what any Go proxy can do
// on this machine, without authentication, SOCKS, policy or flow
// tracking.
func StartRelay(backend string) (*Server, error) {
	return startServer(func(c net.Conn) {
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
	})
}

// HTTPConnectDialer dials dest through the HTTP proxy at proxyAddr with
// CONNECT and Basic proxy authentication: one round trip before data,
// where SOCKS5 with authentication takes three.
func HTTPConnectDialer(proxyAddr, user, password, dest string) Dialer {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	req := []byte("CONNECT " + dest + " HTTP/1.1\r\nHost: " + dest + "\r\nProxy-Authorization: Basic " + auth + "\r\n\r\n")
	return func() (net.Conn, error) {
		c, err := net.Dial("tcp", proxyAddr)
		if err != nil {
			return nil, err
		}
		if _, err := c.Write(req); err != nil {
			c.Close()
			return nil, err
		}
		br := bufio.NewReaderSize(c, 512)
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("CONNECT %s: %w", dest, err)
		}
		if resp.StatusCode != http.StatusOK {
			c.Close()
			return nil, fmt.Errorf("CONNECT %s: %s", dest, resp.Status)
		}
		if br.Buffered() > 0 {
			c.Close()
			return nil, fmt.Errorf("CONNECT %s: the proxy sent data before the client", dest)
		}
		return c, nil
	}
}
