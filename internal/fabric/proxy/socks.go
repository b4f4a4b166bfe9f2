package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	socks5 "github.com/armon/go-socks5"

	"github.com/privlink/privlink/internal/fabric"
)

// handshakeTimeout bounds a client's SOCKS negotiation (greeting,
// authentication, request) and an HTTP request's header.
const handshakeTimeout = 30 * time.Second

// ServeSOCKS serves SOCKS5 (RFC 1928, CONNECT only) with user name and
// password authentication (RFC 1929) on l until Close, then returns nil.
// The user name is the vantage, the password the proxy token.
func (p *Proxy) ServeSOCKS(l net.Listener) error {
	if !p.trackListener(l) {
		_ = l.Close()
		return fmt.Errorf("serve socks5 on %s: %w", l.Addr(), net.ErrClosed)
	}
	defer p.untrackListener(l)
	s := &socksServer{p: p, byRemote: map[string]net.Conn{}}
	srv, err := socks5.New(&socks5.Config{
		Credentials: s,
		Resolver:    keepName{},
		Rules:       s,
		Dial:        s.dial,
		// armon logs every failed request again; ours are the real log.
		Logger: slog.NewLogLogger(p.log.With("server", "socks5").Handler(), slog.LevelDebug),
	})
	if err != nil {
		return fmt.Errorf("serve socks5: %w", err)
	}
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
		go s.serveConn(srv, c)
	}
}

// socksServer is one SOCKS listener's glue to armon's server: its
// CredentialStore, RuleSet and Dial hook.
type socksServer struct {
	p *Proxy

	mu sync.Mutex
	// byRemote finds the client connection of a request (armon hands the
	// RuleSet only the client's address). Remote addresses are unique
	// among one listener's live connections.
	byRemote map[string]net.Conn
}

func (s *socksServer) serveConn(srv *socks5.Server, c net.Conn) {
	key := c.RemoteAddr().String()
	if !s.p.trackHandshake(c, true) {
		_ = c.Close()
		return
	}
	s.mu.Lock()
	s.byRemote[key] = c
	s.mu.Unlock()
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))

	_ = srv.ServeConn(c) // closes c; logs its own errors

	s.mu.Lock()
	if s.byRemote[key] == c {
		delete(s.byRemote, key)
	}
	s.mu.Unlock()
	s.p.trackHandshake(c, false)
}

func (s *socksServer) client(a *socks5.AddrSpec) net.Conn {
	if a == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byRemote[net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))]
}

// Valid authenticates a user: the vantage must exist, the password must
// be the token. The client only sees the failure status; the log says why.
func (s *socksServer) Valid(user, password string) bool {
	if _, err := s.p.checkCredentials(user, password); err != nil {
		s.p.log.Warn("socks5 auth failed: " + err.Error())
		return false
	}
	return true
}

// keepName is armon's Resolver: it keeps the name (armon then dials a
// placeholder address, which the Dial hook ignores) because names resolve
// in the vantage's DNS view, which only the RuleSet knows.
type keepName struct{}

func (keepName) Resolve(ctx context.Context, _ string) (context.Context, net.IP, error) {
	return ctx, net.IPv4zero, nil
}

type decisionKey struct{}

type socksDecision struct {
	d      *decision
	client net.Conn
}

// Allow decides a CONNECT from the authenticated vantage and stashes the
// decision for Dial. A connection denied by a security rule is refused
// here (reply 0x02, connection not allowed by ruleset); other refusals
// fail in Dial with the text armon maps to their reply code.
func (s *socksServer) Allow(ctx context.Context, req *socks5.Request) (context.Context, bool) {
	if req.Command != socks5.ConnectCommand {
		return ctx, true // armon answers "command not supported"
	}
	user := ""
	if req.AuthContext != nil {
		user = req.AuthContext.Payload["Username"]
	}
	host := req.DestAddr.FQDN
	if host == "" {
		host = req.DestAddr.IP.String()
	}
	d := s.p.decide(s.p.ctx, user, host, req.DestAddr.Port)
	ctx = context.WithValue(ctx, decisionKey{}, &socksDecision{d: d, client: s.client(req.RemoteAddr)})
	if d.verdict.Outcome == fabric.DeniedByNSG {
		s.p.logRefusal("socks5", d)
		return ctx, false
	}
	return ctx, true
}

// socksError is a Dial error whose text is exactly the phrase armon maps
// to the wanted reply code.
type socksError struct {
	phrase string
	err    error
}

func (e *socksError) Error() string { return e.phrase }
func (e *socksError) Unwrap() error { return e.err }

const (
	phraseRefused     = "connection refused"     // 0x05
	phraseNetUnreach  = "network is unreachable" // 0x03
	phraseHostUnreach = "host unreachable"       // 0x04
)

// dial acts on the decision Allow stashed: it opens the target of a
// delivered connection, or fails with the phrase of the refusal.
func (s *socksServer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	sd, _ := ctx.Value(decisionKey{}).(*socksDecision)
	if sd == nil {
		return nil, &socksError{phrase: phraseHostUnreach, err: errors.New("no decision for this request")}
	}
	d := sd.d
	if re := d.refusal(); re != nil {
		s.p.logRefusal("socks5", d)
		phrase := phraseHostUnreach
		switch d.verdict.Outcome {
		case fabric.Refused:
			phrase = phraseRefused
		case fabric.NetworkUnreachable:
			phrase = phraseNetUnreach
		}
		return nil, &socksError{phrase: phrase, err: re}
	}
	if sd.client == nil {
		return nil, &socksError{phrase: phraseHostUnreach, err: errors.New("client connection not found")}
	}
	c, _, err := s.p.connect(s.p.ctx, "socks5", d, sd.client)
	if err != nil {
		phrase := phraseHostUnreach
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			phrase = phraseRefused
		case errors.Is(err, syscall.ENETUNREACH):
			phrase = phraseNetUnreach
		}
		return nil, &socksError{phrase: phrase, err: err}
	}
	// The handshake is over: the flow has no deadline.
	_ = sd.client.SetDeadline(time.Time{})
	return c, nil
}
