package proxy

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// flowConn is the proxy's side of a real connection to a target listener.
// It embeds the *net.TCPConn so io.Copy keeps using the TCPConn's
// ReadFrom/WriteTo (splice(2) between two TCP sockets on Linux) and
// CloseWrite; Close ends the flow.
type flowConn struct {
	*net.TCPConn
	p *Proxy
	f *flow
}

// Close ends the flow: it closes the target and, for proxied connections,
// the client.
func (c *flowConn) Close() error {
	c.p.endFlow(c.f, "closed")
	return nil
}

type closeWriter interface{ CloseWrite() error }

// splice copies both ways between a client and a target until both
// directions end. A direction that reaches EOF half-closes its
// destination (CloseWrite) and the other direction goes on; an error in
// either direction closes both. Both are closed on return. The calling
// goroutine copies target to client; one more goroutine copies the other
// way.
func splice(client, target net.Conn) {
	var st spliceState
	closeBoth := func() {
		if st.closed.CompareAndSwap(false, true) {
			_ = client.Close()
			_ = target.Close()
		}
	}
	done := make(chan struct{})
	go func() {
		if err := st.copyHalf(target, client); err != nil {
			closeBoth()
		}
		close(done)
	}()
	if err := st.copyHalf(client, target); err != nil {
		closeBoth()
	}
	<-done
	closeBoth()
}

// spliceState is what the two directions of a splice share.
type spliceState struct {
	closed atomic.Bool  // both connections closed
	ended  atomic.Int32 // directions that reached EOF
}

// copyHalf copies src to dst until src's EOF, then half-closes dst (or
// closes it when it cannot half-close). When the other direction has
// ended already, both connections are about to be closed, which sends
// the same FIN: the half-close is skipped.
func (st *spliceState) copyHalf(dst, src net.Conn) error {
	if err := copyAuto(dst, src); err != nil {
		return err
	}
	if st.ended.Add(1) == 2 {
		return nil
	}
	if cw, ok := dst.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return dst.Close()
}

// copyBufSize is the user-space buffer of a direction. A read that fills
// it marks the direction as bulk (HAProxy's splice-auto uses the same
// test with its 16 KiB buffers).
const copyBufSize = 16 << 10

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// tcpOf returns the TCP socket under c, or nil.
func tcpOf(c net.Conn) *net.TCPConn {
	switch x := c.(type) {
	case *net.TCPConn:
		return x
	case *flowConn:
		return x.TCPConn
	}
	return nil
}

// copyAuto copies src to dst until src's EOF (nil) or an error, the way
// HAProxy's "option splice-auto" does: through a small user-space buffer
// while reads come in short (handshakes, requests, interactive traffic:
// one read and one write per chunk), and with splice(2) once a read fills
// the buffer (bulk data: no copies through user space), when both ends
// are TCP sockets. Splicing a few bytes would cost a pipe and twice the
// system calls.
func copyAuto(dst, src net.Conn) error {
	bp := copyBufPool.Get().(*[]byte)
	buf := *bp
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				copyBufPool.Put(bp)
				return werr
			}
		}
		if rerr != nil {
			copyBufPool.Put(bp)
			if rerr == io.EOF {
				return nil
			}
			return rerr
		}
		if n == len(buf) {
			if d, s := tcpOf(dst), tcpOf(src); d != nil && s != nil {
				copyBufPool.Put(bp)
				_, err := d.ReadFrom(s) // splice(2)
				return err
			}
		}
	}
}

// bannerConn is the built-in SSH answer on port 22: an in-process server
// that sends SSHBanner, then reads (and discards) what the client sends
// until the client closes its side, then closes. It implements net.Conn
// (with read deadlines) and CloseWrite, and never dials anything.
type bannerConn struct {
	local, remote *net.TCPAddr
	onClose       func()

	mu          sync.Mutex
	unread      []byte    // banner bytes not read yet
	eof         bool      // the server closed its side (after the client's EOF)
	writeClosed bool      // the client half-closed
	closed      bool      // Close was called
	wake        chan bool // closed and replaced when state or deadline changes
	rdeadline   time.Time
	wdeadline   time.Time
	closeOnce   sync.Once
}

func newBannerConn(local, remote *net.TCPAddr) *bannerConn {
	return &bannerConn{
		local:  local,
		remote: remote,
		unread: []byte(SSHBanner),
		wake:   make(chan bool),
	}
}

// broadcast wakes blocked readers; the caller holds mu.
func (c *bannerConn) broadcast() {
	close(c.wake)
	c.wake = make(chan bool)
}

// Read returns the banner, then blocks until the client half-closes (the
// server then closes: io.EOF), the connection is closed, or the read
// deadline passes.
func (c *bannerConn) Read(b []byte) (int, error) {
	for {
		c.mu.Lock()
		switch {
		case c.closed:
			c.mu.Unlock()
			return 0, net.ErrClosed
		case len(c.unread) > 0:
			n := copy(b, c.unread)
			c.unread = c.unread[n:]
			c.mu.Unlock()
			return n, nil
		case c.eof:
			c.mu.Unlock()
			return 0, io.EOF
		case !c.rdeadline.IsZero() && !time.Now().Before(c.rdeadline):
			c.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		wake, dl := c.wake, c.rdeadline
		c.mu.Unlock()
		if dl.IsZero() {
			<-wake
			continue
		}
		t := time.NewTimer(time.Until(dl))
		select {
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Write hands bytes to the SSH answer, which discards them.
func (c *bannerConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, net.ErrClosed
	case c.writeClosed:
		return 0, &net.OpError{Op: "write", Net: "tcp", Source: c.local, Addr: c.remote, Err: syscall.EPIPE}
	case !c.wdeadline.IsZero() && !time.Now().Before(c.wdeadline):
		return 0, os.ErrDeadlineExceeded
	}
	return len(b), nil
}

// CloseWrite half-closes the client side: the SSH answer sees EOF and
// closes, so reads end with io.EOF once the banner is consumed.
func (c *bannerConn) CloseWrite() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.writeClosed = true
	c.eof = true
	c.broadcast()
	return nil
}

// Close closes the connection and ends its flow.
func (c *bannerConn) Close() error {
	if c.onClose != nil {
		c.onClose()
		return nil
	}
	return c.closeRaw()
}

// closeRaw closes the connection without touching the flow table.
func (c *bannerConn) closeRaw() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.broadcast()
		c.mu.Unlock()
	})
	return nil
}

func (c *bannerConn) LocalAddr() net.Addr  { return c.local }
func (c *bannerConn) RemoteAddr() net.Addr { return c.remote }

func (c *bannerConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdeadline, c.wdeadline = t, t
	c.broadcast()
	c.mu.Unlock()
	return nil
}

func (c *bannerConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.rdeadline = t
	c.broadcast()
	c.mu.Unlock()
	return nil
}

func (c *bannerConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wdeadline = t
	c.mu.Unlock()
	return nil
}

var _ net.Conn = (*bannerConn)(nil)
var _ closeWriter = (*bannerConn)(nil)
var _ closeWriter = (*flowConn)(nil)
