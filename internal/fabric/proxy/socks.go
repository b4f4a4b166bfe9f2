package proxy

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/privlink/privlink/internal/fabric"
)

// handshakeTimeout bounds a client's SOCKS negotiation (greeting,
// authentication, request) and an HTTP request's header.
const handshakeTimeout = 30 * time.Second

// SOCKS5 (RFC 1928) and its user name/password authentication (RFC 1929).
const (
	socksVersion       = 0x05
	socksAuthVersion   = 0x01 // RFC 1929 sub-negotiation version
	methodUserPass     = 0x02
	methodNoAcceptable = 0xff
	cmdConnect         = 0x01
	atypIPv4           = 0x01
	atypFQDN           = 0x03
	atypIPv6           = 0x04

	repSucceeded        = 0x00
	repNotAllowed       = 0x02 // connection not allowed by ruleset
	repNetUnreachable   = 0x03
	repHostUnreachable  = 0x04
	repRefused          = 0x05
	repCmdNotSupported  = 0x07
	repAtypNotSupported = 0x08
)

// ServeSOCKS serves SOCKS5 (RFC 1928, CONNECT only) with user name and
// password authentication (RFC 1929) on l until Close, then returns nil.
// The user name is the vantage, the password the proxy token.
func (p *Proxy) ServeSOCKS(l net.Listener) error {
	if !p.trackListener(l) {
		_ = l.Close()
		return fmt.Errorf("serve socks5 on %s: %w", l.Addr(), net.ErrClosed)
	}
	defer p.untrackListener(l)
	p.log.Info("socks5 proxy listening", "addr", l.Addr().String())
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if p.isClosed() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("serve socks5: %w", err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			p.log.Warn("socks5 accept failed; retrying", "error", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		go p.serveSOCKS(c)
	}
}

// socksBufSize holds any one SOCKS message field (at most 255 bytes plus
// its length) next to bytes a client pipelined after it.
const socksBufSize = 512

// socksConn reads one client's SOCKS negotiation. buf[r:w] holds bytes
// read from the client and not consumed yet.
type socksConn struct {
	c    net.Conn
	buf  [socksBufSize]byte
	r, w int
}

var socksConnPool = sync.Pool{New: func() any { return new(socksConn) }}

// next returns the client's next n bytes (n <= 256), reading as needed.
// The slice is valid until the next call.
func (s *socksConn) next(n int) ([]byte, error) {
	for s.w-s.r < n {
		if s.r > 0 {
			s.w = copy(s.buf[:], s.buf[s.r:s.w])
			s.r = 0
		}
		m, err := s.c.Read(s.buf[s.w:])
		s.w += m
		if err != nil && s.w-s.r < n {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	b := s.buf[s.r : s.r+n]
	s.r += n
	return b, nil
}

// serveSOCKS runs one client's negotiation and, when the fabric delivers
// the connection, splices it to the target.
//
// Why not github.com/armon/go-socks5: see the package documentation.
func (p *Proxy) serveSOCKS(c net.Conn) {
	if !p.trackHandshake(c, true) {
		_ = c.Close()
		return
	}
	growStack()
	// A read deadline bounds the negotiation: the proxy's own writes
	// during it are a few bytes on a fresh connection and never block,
	// and a write deadline would cost a second runtime timer to set and
	// to clear.
	_ = c.SetReadDeadline(time.Now().Add(handshakeTimeout))
	s := socksConnPool.Get().(*socksConn)
	s.c = c
	target, err := p.socksHandshake(s)
	var early []byte
	if err == nil && s.w > s.r {
		// Bytes the client sent right after its request (optimistic
		// data) go first.
		early = append(early, s.buf[s.r:s.w]...)
	}
	*s = socksConn{}
	socksConnPool.Put(s)
	p.trackHandshake(c, false)
	if err != nil {
		_ = c.Close()
		// Refusals and authentication failures are already logged with
		// their reasons; this is the protocol-level story.
		if p.log.Enabled(p.ctx, slog.LevelDebug) {
			p.log.Debug("socks5 negotiation failed", "remote", c.RemoteAddr().String(), "error", err)
		}
		return
	}
	if len(early) > 0 {
		if _, err := target.Write(early); err != nil {
			_ = target.Close()
			return
		}
	}
	splice(c, target)
}

// socksHandshake negotiates with the client and returns the target of a
// delivered connection, the success reply sent and the flow registered
// (the flow closes the client too). On error the caller closes the
// client.
func (p *Proxy) socksHandshake(s *socksConn) (net.Conn, error) {
	c := s.c
	// Greeting: VER NMETHODS METHODS.
	b, err := s.next(1)
	if err != nil {
		return nil, err
	}
	if b[0] != socksVersion {
		return nil, fmt.Errorf("unsupported SOCKS version %d", b[0])
	}
	if b, err = s.next(1); err != nil {
		return nil, err
	}
	methods, err := s.next(int(b[0]))
	if err != nil {
		return nil, err
	}
	userPass := false
	for _, m := range methods {
		if m == methodUserPass {
			userPass = true
			break
		}
	}
	if !userPass {
		_, _ = c.Write([]byte{socksVersion, methodNoAcceptable})
		return nil, errors.New("the client offers no user name/password authentication")
	}
	if _, err := c.Write([]byte{socksVersion, methodUserPass}); err != nil {
		return nil, err
	}

	// RFC 1929: VER ULEN UNAME PLEN PASSWD.
	if b, err = s.next(2); err != nil {
		return nil, err
	}
	if b[0] != socksAuthVersion {
		return nil, fmt.Errorf("unsupported authentication version %d", b[0])
	}
	if b, err = s.next(int(b[1])); err != nil {
		return nil, err
	}
	user := string(b)
	if b, err = s.next(1); err != nil {
		return nil, err
	}
	if b, err = s.next(int(b[0])); err != nil {
		return nil, err
	}
	if _, err := p.checkCredentials(user, b); err != nil {
		p.log.Warn("socks5 auth failed: " + err.Error())
		_, _ = c.Write([]byte{socksAuthVersion, 0x01})
		return nil, errors.New("authentication failed")
	}
	if _, err := c.Write([]byte{socksAuthVersion, 0x00}); err != nil {
		return nil, err
	}

	// Request: VER CMD RSV ATYP DST.ADDR DST.PORT.
	if b, err = s.next(4); err != nil {
		return nil, err
	}
	if b[0] != socksVersion {
		return nil, fmt.Errorf("unsupported SOCKS version %d in the request", b[0])
	}
	cmd, atyp := b[1], b[3]
	var host string
	switch atyp {
	case atypIPv4:
		if b, err = s.next(4); err != nil {
			return nil, err
		}
		host = netip.AddrFrom4([4]byte(b)).String()
	case atypIPv6:
		if b, err = s.next(16); err != nil {
			return nil, err
		}
		host = netip.AddrFrom16([16]byte(b)).Unmap().String()
	case atypFQDN:
		if b, err = s.next(1); err != nil {
			return nil, err
		}
		if b, err = s.next(int(b[0])); err != nil {
			return nil, err
		}
		host = string(b)
	default:
		_ = socksReply(c, repAtypNotSupported, nil)
		return nil, fmt.Errorf("unsupported address type %d", atyp)
	}
	if b, err = s.next(2); err != nil {
		return nil, err
	}
	port := int(b[0])<<8 | int(b[1])
	if cmd != cmdConnect {
		_ = socksReply(c, repCmdNotSupported, nil)
		return nil, fmt.Errorf("unsupported command %d (only CONNECT is)", cmd)
	}

	d := p.decide(p.ctx, user, host, port, clientAddr(c.RemoteAddr()))
	if re := d.refusal(); re != nil {
		p.logRefusal("socks5", d)
		_ = socksReply(c, socksRefusalCode(d.verdict.Outcome), nil)
		return nil, re
	}
	target, _, err := p.connect(dialContext, "socks5", d, c)
	if err != nil {
		code := byte(repHostUnreachable)
		var re *RefusedError
		switch {
		case errors.As(err, &re):
			// NAT port exhaustion of a private link service.
			code = socksRefusalCode(re.Verdict.Outcome)
		case errors.Is(err, syscall.ECONNREFUSED):
			code = repRefused
		case errors.Is(err, syscall.ENETUNREACH):
			code = repNetUnreachable
		}
		_ = socksReply(c, code, nil)
		return nil, err
	}
	// The handshake is over: the flow has no deadline.
	_ = c.SetReadDeadline(time.Time{})
	bind, _ := target.LocalAddr().(*net.TCPAddr)
	if err := socksReply(c, repSucceeded, bind); err != nil {
		_ = target.Close() // ends the flow, closing the client too
		return nil, err
	}
	return target, nil
}

// socksRefusalCode is the SOCKS5 reply of an outcome the fabric does not
// deliver.
func socksRefusalCode(o fabric.Outcome) byte {
	switch o {
	case fabric.DeniedByNSG:
		return repNotAllowed
	case fabric.Refused:
		return repRefused
	case fabric.NetworkUnreachable:
		return repNetUnreachable
	}
	return repHostUnreachable
}

// socksReply writes a reply: VER REP RSV ATYP BND.ADDR BND.PORT, with
// 0.0.0.0:0 when bind is nil.
func socksReply(c net.Conn, rep byte, bind *net.TCPAddr) error {
	var msg [22]byte
	msg[0], msg[1], msg[3] = socksVersion, rep, atypIPv4
	n, port := 8, 0
	if bind != nil {
		port = bind.Port
		if ip4 := bind.IP.To4(); ip4 != nil {
			copy(msg[4:8], ip4)
		} else if ip16 := bind.IP.To16(); ip16 != nil {
			msg[3] = atypIPv6
			copy(msg[4:20], ip16)
			n = 20
		}
	}
	msg[n], msg[n+1] = byte(port>>8), byte(port)
	_, err := c.Write(msg[:n+2])
	return err
}

// stackReserve is about the stack a connection's goroutine needs to dial
// the target (net.Dialer's call chain is deep).
const stackReserve = 8 << 10

// growStack grows a new goroutine's stack to fit stackReserve at once,
// while the stack is nearly empty and cheap to copy: growing it later,
// in the middle of the dial, copies and adjusts every frame of the call
// chain (runtime.newstack took about 4% of the CPU of connection setup).
//
//go:noinline
func growStack() {
	var b [stackReserve]byte
	touch(b[:])
}

//go:noinline
func touch(b []byte) { b[len(b)-1] = 1 }
