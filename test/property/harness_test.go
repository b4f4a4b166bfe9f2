package property_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/app"
	"github.com/privlink/privlink/internal/config"
)

// API versions the harness speaks, as clients do.
const (
	apiGroups  = "2021-04-01"
	apiNetwork = "2025-01-01"
	apiCompute = "2022-11-01"
	apiFabric  = "2025-01-01"
	// apiRoleAssignments and networkContributor (Azure's built-in role
	// ID) give the harness the approval right of a service's owner.
	apiRoleAssignments = "2022-04-01"
	networkContributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	location           = "westus2"
	groupName          = "prop"
	opTimeout          = 30 * time.Second
	probeTimeout       = 15 * time.Second
)

// logBuffer collects the daemon's log; it is printed when the test fails.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 4<<20 { // keep the tail bounded
		b.buf.Reset()
		b.buf.WriteString("[earlier log dropped]\n")
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running daemon and what a client needs to drive it.
type env struct {
	d     *app.Daemon
	arm   *armClient
	socks string
	token string
}

// startEnv starts privlink in-process on loopback ports chosen by the
// kernel, over the memory store, with both proxies.
func startEnv(t *testing.T) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.SOCKSListen = "127.0.0.1:0"
	cfg.HTTPProxyListen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Store = "memory"
	cfg.LogLevel = "warn"
	cfg.RegistrationDelay = 50 * time.Millisecond
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := app.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("app.Start: %v", err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer scancel()
		if err := d.Stop(sctx); err != nil {
			t.Errorf("stop daemon: %v", err)
		}
		if t.Failed() {
			t.Logf("daemon log (warn and above):\n%s", logs.String())
		}
	})
	c, err := newARMClient(ctx, d.Endpoint(), d.CAFile(), d.Identity.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.http.CloseIdleConnections)
	return &env{d: d, arm: c, socks: d.SOCKSAddr(), token: d.FabricToken()}
}

// armClient is a minimal ARM client: bearer token from the daemon's
// token endpoint, JSON bodies, long-running operations followed through
// Azure-AsyncOperation or Location.
type armClient struct {
	base  string
	http  *http.Client
	token string
	oid   string // the token's object ID (the principal's)
}

func newARMClient(ctx context.Context, endpoint, caFile, tenant string) (*armClient, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c := &armClient{base: endpoint, http: &http.Client{Transport: tr, Timeout: opTimeout}}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {"5b1f6c1e-property-test"},
		"client_secret": {"property-secret"},
		"scope":         {endpoint + "/.default"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("token response %d: %v", resp.StatusCode, err)
	}
	c.token = tok.AccessToken
	parts := strings.Split(c.token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("token payload: %w", err)
	}
	var claims struct {
		OID string `json:"oid"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.OID == "" {
		return nil, fmt.Errorf("token has no oid claim: %s", payload)
	}
	c.oid = claims.OID
	return c, nil
}

type result struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends one request; path is absolute ("https://...") or starts with
// "/", apiVersion is appended when not empty.
func (c *armClient) do(ctx context.Context, method, path, apiVersion string, body any) (*result, error) {
	u := path
	if !strings.HasPrefix(u, "https://") {
		u = c.base + path
	}
	if apiVersion != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "api-version=" + apiVersion
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &result{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// operation is a started long-running operation.
type operation struct {
	what, async, location string
}

// send sends a write and returns its long-running operation (nil when
// it completed synchronously); any status but 200/201/202/204 is an error.
func (c *armClient) send(ctx context.Context, method, path, apiVersion string, body any) (*operation, error) {
	r, err := c.do(ctx, method, path, apiVersion, body)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
	default:
		return nil, fmt.Errorf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	op := &operation{what: method + " " + path, async: r.Header.Get("Azure-AsyncOperation")}
	if r.Status == http.StatusAccepted {
		op.location = r.Header.Get("Location")
	}
	if op.async == "" && op.location == "" {
		return nil, nil
	}
	return op, nil
}

// wait polls an operation until it ends; anything but success is an
// error.
func (c *armClient) wait(ctx context.Context, op *operation) error {
	if op == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		if op.async != "" {
			r, err := c.do(ctx, http.MethodGet, op.async, "", nil)
			if err != nil {
				return err
			}
			var st struct {
				Status string          `json:"status"`
				Error  json.RawMessage `json:"error"`
			}
			_ = json.Unmarshal(r.Body, &st)
			switch st.Status {
			case "Succeeded":
				return nil
			case "InProgress", "":
				if r.Status != http.StatusOK {
					return fmt.Errorf("%s: poll %d %s", op.what, r.Status, r.Body)
				}
			default:
				return fmt.Errorf("%s: operation %s: %s", op.what, st.Status, st.Error)
			}
		} else {
			r, err := c.do(ctx, http.MethodGet, op.location, "", nil)
			if err != nil {
				return err
			}
			switch r.Status {
			case http.StatusOK, http.StatusNoContent, http.StatusCreated:
				return nil
			case http.StatusAccepted:
			default:
				return fmt.Errorf("%s: poll %d %s", op.what, r.Status, r.Body)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", op.what, ctx.Err())
		case <-time.After(delay):
		}
	}
}

func (c *armClient) waitAll(ctx context.Context, ops []*operation) error {
	for _, op := range ops {
		if err := c.wait(ctx, op); err != nil {
			return err
		}
	}
	return nil
}

// echoListener is the real loopback listener standing for one declared
// port of one VM: it greets every connection with its identity line and
// then echoes.
type echoListener struct {
	ln       net.Listener
	identity string
	wg       sync.WaitGroup
	// fed counts the connections on which a client sent at least one
	// byte (health probes connect and close without sending any), and
	// peers lists their remote addresses.
	fed   atomic.Int64
	mu    sync.Mutex
	peers []netip.Addr
}

// fedPeers returns the remote addresses of the connections that carried
// client bytes.
func (e *echoListener) fedPeers() []netip.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.peers)
}

func startEcho(identity string) (*echoListener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("echo listener: %w", err)
	}
	e := &echoListener{ln: ln, identity: identity}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(probeTimeout))
				if _, err := io.WriteString(c, identity+"\n"); err != nil {
					return
				}
				buf := make([]byte, 512)
				for counted := false; ; {
					n, err := c.Read(buf)
					if n > 0 {
						if !counted {
							if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
								e.mu.Lock()
								e.peers = append(e.peers, ap.Addr())
								e.mu.Unlock()
							}
							e.fed.Add(1)
							counted = true
						}
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return e, nil
}

func (e *echoListener) Addr() string { return e.ln.Addr().String() }

func (e *echoListener) Close() {
	_ = e.ln.Close()
	e.wg.Wait()
}

// probeResult is what a SOCKS5 CONNECT gave.
type probeResult struct {
	Reply byte   // the SOCKS5 reply code
	Line  string // on success, the first line the destination sent
	// Leaked holds the bytes that arrived after a failure reply (there
	// must be none: the proxy closes the connection).
	Leaked []byte
}

// afterFailureWait bounds the wait for bytes after a failure reply; the
// proxy closes the connection at once, so the read normally ends with
// EOF long before.
const afterFailureWait = 2 * time.Second

// socksConnect opens a connection through the SOCKS5 proxy as user/pass
// to dst:port and returns the raw reply code and, on success, the first
// line the destination sent (after checking the echo). It is a
// hand-rolled RFC 1928/1929 client because the reply code matters.
func socksConnect(ctx context.Context, proxyAddr, user, pass string, dst netip.Addr, port int) (probeResult, error) {
	return socksDial(ctx, proxyAddr, user, pass, dst, port, false, nil)
}

// socksConnectEarly is socksConnect sending "ping\n" as optimistic data
// in the same write as the CONNECT request, before any reply: on a
// refused connection the proxy must drop it (the destination's listener
// counts connections that carried client bytes), and after a failure
// reply it reads on until the proxy closes, recording any byte that
// arrives in Leaked.
func socksConnectEarly(ctx context.Context, proxyAddr, user, pass string, dst netip.Addr, port int) (probeResult, error) {
	return socksDial(ctx, proxyAddr, user, pass, dst, port, true, nil)
}

// heldFlow is an established connection through the proxy kept open.
type heldFlow struct {
	c  net.Conn
	br *bufio.Reader
}

// socksHold is socksConnectEarly keeping the connection open when it
// succeeds (h.c is nil otherwise).
func socksHold(ctx context.Context, proxyAddr, user, pass string, dst netip.Addr, port int, h *heldFlow) (probeResult, error) {
	return socksDial(ctx, proxyAddr, user, pass, dst, port, true, h)
}

// stillEchoes checks the held flow still carries data both ways, then
// closes it.
func (h *heldFlow) stillEchoes(d time.Duration) error {
	defer h.c.Close()
	_ = h.c.SetDeadline(time.Now().Add(d))
	if _, err := io.WriteString(h.c, "again\n"); err != nil {
		return fmt.Errorf("write on the held flow: %w", err)
	}
	back, err := h.br.ReadString('\n')
	if err != nil || back != "again\n" {
		return fmt.Errorf("echo on the held flow: %q, %v", back, err)
	}
	return nil
}

// closedWithin waits up to d for the proxy to close a held flow and
// returns the bytes that arrived before it did (none expected) and
// whether it closed. Afterwards a write must not be echoed: the bytes of
// that attempt are returned too.
func (h *heldFlow) closedWithin(d time.Duration) (leaked []byte, closed bool) {
	defer h.c.Close()
	_ = h.c.SetDeadline(time.Now().Add(d))
	leaked, err := io.ReadAll(h.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return leaked, false
	}
	_ = h.c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := io.WriteString(h.c, "ping\n"); err == nil {
		more, _ := io.ReadAll(h.br)
		leaked = append(leaked, more...)
	}
	return leaked, true
}

func socksDial(ctx context.Context, proxyAddr, user, pass string, dst netip.Addr, port int, early bool, keep *heldFlow) (_ probeResult, err error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", proxyAddr)
	if err != nil {
		return probeResult{}, fmt.Errorf("dial proxy: %w", err)
	}
	kept := false
	defer func() {
		if !kept {
			c.Close()
		}
	}()
	_ = c.SetDeadline(time.Now().Add(probeTimeout))
	br := bufio.NewReader(c)
	if _, err := c.Write([]byte{5, 1, 2}); err != nil {
		return probeResult{}, fmt.Errorf("greeting: %w", err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return probeResult{}, fmt.Errorf("method selection: %w", err)
	}
	if hdr != [2]byte{5, 2} {
		return probeResult{}, fmt.Errorf("method selection: got %x, want 05 02 (username/password)", hdr)
	}
	if len(user) > 255 || len(pass) > 255 {
		return probeResult{}, errors.New("credentials longer than 255 bytes")
	}
	auth := append([]byte{1, byte(len(user))}, user...)
	auth = append(append(auth, byte(len(pass))), pass...)
	if _, err := c.Write(auth); err != nil {
		return probeResult{}, fmt.Errorf("auth: %w", err)
	}
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return probeResult{}, fmt.Errorf("auth reply: %w", err)
	}
	if hdr[1] != 0 {
		return probeResult{}, fmt.Errorf("authentication failed (status %#x) for %s", hdr[1], user)
	}
	a := dst.As4()
	req := []byte{5, 1, 0, 1, a[0], a[1], a[2], a[3], byte(port >> 8), byte(port)}
	if early {
		req = append(req, "ping\n"...)
	}
	if _, err := c.Write(req); err != nil {
		return probeResult{}, fmt.Errorf("connect request: %w", err)
	}
	var rep [4]byte
	if _, err := io.ReadFull(br, rep[:]); err != nil {
		return probeResult{}, fmt.Errorf("connect reply: %w", err)
	}
	if rep[0] != 5 {
		return probeResult{}, fmt.Errorf("connect reply version %#x", rep[0])
	}
	var skip int
	switch rep[3] {
	case 1:
		skip = 4 + 2
	case 4:
		skip = 16 + 2
	case 3:
		n, err := br.ReadByte()
		if err != nil {
			return probeResult{}, fmt.Errorf("connect reply: %w", err)
		}
		skip = int(n) + 2
	default:
		return probeResult{}, fmt.Errorf("connect reply: address type %#x", rep[3])
	}
	if _, err := io.ReadFull(br, make([]byte, skip)); err != nil {
		return probeResult{}, fmt.Errorf("connect reply address: %w", err)
	}
	res := probeResult{Reply: rep[1]}
	if res.Reply != 0 {
		if early {
			_ = c.SetReadDeadline(time.Now().Add(afterFailureWait))
			// EOF, a reset or the deadline end the read; only bytes count.
			res.Leaked, _ = io.ReadAll(br)
		}
		return res, nil
	}
	line, err := br.ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("read greeting from %s:%d: %w", dst, port, err)
	}
	res.Line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(res.Line, "SSH-") {
		return res, nil
	}
	// An echo listener: check data flows both ways.
	if !early {
		if _, err := io.WriteString(c, "ping\n"); err != nil {
			return res, fmt.Errorf("write to %s:%d: %w", dst, port, err)
		}
	}
	back, err := br.ReadString('\n')
	if err != nil || back != "ping\n" {
		return res, fmt.Errorf("echo from %s:%d: %q, %v", dst, port, back, err)
	}
	if keep != nil {
		_ = c.SetDeadline(time.Time{})
		keep.c, keep.br, kept = c, br, true
	}
	return res, nil
}
