package cdn

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// edge is Front Door's point of presence: the handler behind the edge
// host's ports 80 (secure false) and 443.
type edge struct {
	pr     *Provider
	secure bool
}

// match is a matched route with what forwarding needs.
type match struct {
	profile  *arm.Record
	endpoint *arm.Record
	route    map[string]any
	origins  []*arm.Record
}

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ref := azureRef()
	w.Header().Set("X-Azure-Ref", ref)
	w.Header().Set("X-Cache", "CONFIG_NOCACHE")
	host := lower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	m, status := e.find(r.Context(), host, r.URL.Path, e.secure)
	switch status {
	case http.StatusOK:
	case http.StatusTemporaryRedirect:
		u := *r.URL
		u.Scheme, u.Host = "https", r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			u.Host = h
		}
		w.Header().Set("Location", u.String())
		w.WriteHeader(status)
		return
	default:
		errorPage(w, status, ref)
		return
	}
	origin := pickOrigin(m.origins, e.props)
	if origin == nil {
		errorPage(w, http.StatusServiceUnavailable, ref)
		return
	}
	e.forward(w, r, m, origin, ref)
}

// find resolves host and path to a route: 404 when no enabled endpoint has
// the host name or no route of it matches, 307 when the route redirects
// HTTP to HTTPS.
func (e *edge) find(ctx context.Context, host, path string, secure bool) (*match, int) {
	eps, err := e.list(ctx, "/subscriptions", EndpointType)
	if err != nil {
		e.pr.Log.Error("front door edge: list endpoints", "err", err)
		return nil, http.StatusServiceUnavailable
	}
	var ep *arm.Record
	for _, r := range eps {
		p := e.props(r)
		if lower(str(p, "hostName")) == host && str(p, "enabledState") == "Enabled" && r.State == arm.StateSucceeded {
			ep = r
			break
		}
	}
	if ep == nil {
		return nil, http.StatusNotFound
	}
	routes, err := e.list(ctx, ep.Resource.ID, RouteType)
	if err != nil {
		return nil, http.StatusServiceUnavailable
	}
	proto := "Http"
	if secure {
		proto = "Https"
	}
	best, bestLen := map[string]any(nil), -1
	for _, rt := range routes {
		p := e.props(rt)
		if rt.State != arm.StateSucceeded || str(p, "enabledState") != "Enabled" || str(p, "linkToDefaultDomain") != "Enabled" {
			continue
		}
		protos := stringList(p["supportedProtocols"])
		redirect := !secure && str(p, "httpsRedirect") == "Enabled"
		if !slices.Contains(protos, proto) && !redirect {
			continue
		}
		for _, pat := range stringList(p["patternsToMatch"]) {
			if n := patternMatch(pat, path); n > bestLen {
				best, bestLen = p, n
			}
		}
	}
	if best == nil {
		return nil, http.StatusNotFound
	}
	if !secure && str(best, "httpsRedirect") == "Enabled" {
		return nil, http.StatusTemporaryRedirect
	}
	group := arm.DigString(best, "originGroup", "id")
	origins, err := e.list(ctx, group, OriginType)
	if err != nil {
		return nil, http.StatusServiceUnavailable
	}
	prof, err := e.get(ctx, strings.TrimPrefix(profileKey(ep.Resource.ID), "/r"))
	if err != nil || prof == nil {
		return nil, http.StatusServiceUnavailable
	}
	return &match{profile: prof, endpoint: ep, route: best, origins: origins}, http.StatusOK
}

// patternMatch scores how a route pattern matches a path: -1 for no
// match, else the length of the literal part (the most specific wins;
// an exact match beats a wildcard of the same length).
func patternMatch(pattern, path string) int {
	p, q := lower(pattern), lower(path)
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		if strings.HasPrefix(q, prefix) || q+"/" == prefix {
			return 2 * len(prefix)
		}
		return -1
	}
	if p == q {
		return 2*len(p) + 1
	}
	return -1
}

func stringList(v any) []string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// pickOrigin chooses among the enabled, provisioned origins with the
// lowest priority value, at random by weight.
func pickOrigin(origins []*arm.Record, props func(*arm.Record) map[string]any) *arm.Record {
	best := 0
	var cands []*arm.Record
	var weights []int
	for _, o := range origins {
		p := props(o)
		if o.State != arm.StateSucceeded || str(p, "enabledState") != "Enabled" {
			continue
		}
		prio, w := intOf(p["priority"], 1), intOf(p["weight"], 1000)
		switch {
		case len(cands) == 0 || prio < best:
			best, cands, weights = prio, []*arm.Record{o}, []int{w}
		case prio == best:
			cands, weights = append(cands, o), append(weights, w)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	total := 0
	for _, w := range weights {
		total += w
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(max(total, 1))))
	x := int(n.Int64())
	for i, w := range weights {
		if x < w {
			return cands[i]
		}
		x -= w
	}
	return cands[0]
}

func intOf(v any, def int) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	return def
}

// forward sends the request to the origin through the fabric from the
// profile's edge host and streams the answer back.
func (e *edge) forward(w http.ResponseWriter, r *http.Request, m *match, origin *arm.Record, ref string) {
	op := e.props(origin)
	scheme := "http"
	switch str(m.route, "forwardingProtocol") {
	case "HttpsOnly":
		scheme = "https"
	case "MatchRequest":
		if e.secure {
			scheme = "https"
		}
	}
	port := intOf(op["httpPort"], 80)
	if scheme == "https" {
		port = intOf(op["httpsPort"], 443)
	}
	originHost := str(op, "hostName")
	hostHeader := str(op, "originHostHeader")
	if hostHeader == "" {
		hostHeader = originHost
	}
	dialHost := originHost
	if spl, ok := op["sharedPrivateLinkResource"].(map[string]any); ok && spl != nil {
		ip, err := e.privateEndpointIP(r.Context(), origin)
		if err != nil {
			e.pr.Log.Info("front door edge: origin's private endpoint unavailable", "origin", origin.Resource.ID, "err", err)
			errorPage(w, http.StatusServiceUnavailable, ref)
			return
		}
		dialHost = ip
	}
	var st profileInternal
	_ = json.Unmarshal(m.profile.Internal, &st)
	if e.pr.Dial == nil || st.EdgeVM == "" {
		errorPage(w, http.StatusServiceUnavailable, ref)
		return
	}
	dialAddr := net.JoinHostPort(dialHost, strconv.Itoa(port))
	vantage := st.EdgeVM
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := e.pr.Dial(ctx, vantage, dialAddr)
		if err != nil {
			return nil, &dialError{err}
		}
		return c, nil
	}
	verify := op["enforceCertificateNameCheck"] != false
	timeout := time.Duration(intOf(e.props(m.profile)["originResponseTimeoutSeconds"], 30)) * time.Second
	// One transport per origin address, host header and TLS setting:
	// requests to the same origin reuse its idle connections (each one
	// decided by the fabric when it was dialed, and closed by it when its
	// path is withdrawn, e.g. the endpoint connection rejected).
	tkey := strings.Join([]string{origin.Resource.ID, vantage, dialAddr, scheme, hostHeader, strconv.FormatBool(verify), timeout.String()}, "|")
	transport, shared := e.transport(tkey, func() *http.Transport {
		return &http.Transport{
			DialContext:           dial,
			TLSClientConfig:       &tls.Config{ServerName: hostHeader, RootCAs: e.pr.OriginRoots, InsecureSkipVerify: !verify, MinVersion: tls.VersionTLS12}, //nolint:gosec // Azure's enforceCertificateNameCheck: false
			ForceAttemptHTTP2:     false,
			ResponseHeaderTimeout: timeout,
		}
	})
	if !shared {
		defer transport.CloseIdleConnections()
	}
	clientIP := e.clientIP(r)
	inScheme := "http"
	if e.secure {
		inScheme = "https"
	}
	frontDoorID := str(e.props(m.profile), "frontDoorId")
	rp := &httputil.ReverseProxy{
		Transport:     transport,
		BufferPool:    copyBuffers,
		FlushInterval: -1,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = scheme
			pr.Out.URL.Host = net.JoinHostPort(originHost, strconv.Itoa(port))
			if op := str(m.route, "originPath"); op != "" {
				pr.Out.URL.Path = strings.TrimSuffix(op, "/") + pr.Out.URL.Path
			}
			pr.Out.Host = hostHeader
			h := pr.Out.Header
			if clientIP != "" {
				h.Set("X-Forwarded-For", clientIP)
				h.Set("X-Azure-ClientIP", clientIP)
				h.Set("X-Azure-SocketIP", clientIP)
			}
			h.Set("X-Forwarded-Host", r.Host)
			h.Set("X-Forwarded-Proto", inScheme)
			h.Set("X-Azure-Ref", ref)
			h.Set("X-Azure-FDID", frontDoorID)
			h.Set("X-Azure-RequestChain", "hops=1")
			h.Add("Via", fmt.Sprintf("%d.%d Azure", r.ProtoMajor, r.ProtoMinor))
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			status := http.StatusBadGateway
			var de *dialError
			if errors.As(err, &de) {
				status = http.StatusServiceUnavailable
			}
			e.pr.Log.Info("front door edge: origin failed", "origin", origin.Resource.ID, "addr", dialAddr, "err", err)
			errorPage(w, status, ref)
		},
	}
	rp.ServeHTTP(w, r)
}

// edgeConnKey is the context key of an edge connection's state.
type edgeConnKey struct{}

// edgeConn remembers the emulated client of one edge connection once
// found: it is the same for every request the connection carries.
type edgeConn struct {
	mu       sync.Mutex
	clientIP string
}

// clientIP is the emulated client address of the request's connection
// ("" when unknown), looked up on the connection's first request (when
// its bytes have come through the fabric, so its flow is known) and
// remembered for the next ones.
func (e *edge) clientIP(r *http.Request) string {
	if e.pr.ClientIP == nil {
		return ""
	}
	ec, _ := r.Context().Value(edgeConnKey{}).(*edgeConn)
	if ec != nil {
		ec.mu.Lock()
		ip := ec.clientIP
		ec.mu.Unlock()
		if ip != "" {
			return ip
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	a, ok := e.pr.ClientIP(ap)
	if !ok {
		return ""
	}
	if ec != nil {
		ec.mu.Lock()
		ec.clientIP = a.String()
		ec.mu.Unlock()
	}
	return a.String()
}

// copyBuffers are the response copy buffers of the edge's reverse
// proxies (httputil.ReverseProxy otherwise allocates 32 KiB per
// response).
var copyBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

// dialError marks a connection the fabric did not deliver to the origin
// (503), as opposed to an origin that answered badly (502).
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// privateEndpointIP is the address of the origin's hidden endpoint.
func (e *edge) privateEndpointIP(ctx context.Context, origin *arm.Record) (string, error) {
	var in originInternal
	_ = json.Unmarshal(origin.Internal, &in)
	if in.PrivateEndpoint == "" {
		return "", errors.New("no private endpoint yet")
	}
	pe, err := e.get(ctx, in.PrivateEndpoint)
	if err != nil || pe == nil {
		return "", fmt.Errorf("private endpoint %s: %v", in.PrivateEndpoint, err)
	}
	props := e.props(pe)
	if ip := arm.DigString(props, "customDnsConfigs", 0, "ipAddresses", 0); ip != "" {
		return ip, nil
	}
	nicID := arm.DigString(props, "networkInterfaces", 0, "id")
	nic, err := e.get(ctx, nicID)
	if err != nil || nic == nil {
		return "", fmt.Errorf("private endpoint NIC %s: %v", nicID, err)
	}
	if ip := arm.DigString(e.props(nic), "ipConfigurations", 0, "properties", "privateIPAddress"); ip != "" {
		return ip, nil
	}
	return "", fmt.Errorf("private endpoint %s has no address", in.PrivateEndpoint)
}

// azureRef is an X-Azure-Ref value (Front Door's request reference).
func azureRef() string {
	now := time.Now().UTC().Format("20060102T150405Z")
	return "0" + strings.ToUpper(rand.Text()[:20]) + "-" + now
}

// errorPage writes Front Door's error page. The text is the page Azure
// Front Door shows for errors it generates itself (origin unreachable,
// no route), with the reference the client can quote to support.
func errorPage(w http.ResponseWriter, status int, ref string) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	title := "Our services aren't available right now"
	body := "We're working to restore all services as soon as possible. Please check back soon."
	if status == http.StatusNotFound {
		title = "Page not found"
		body = "The page you are looking for doesn't exist or the route for it is not configured on this Front Door endpoint."
	}
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>%s</title></head><body><h2>%s</h2><p>%s</p><p>%s</p></body></html>\n",
		title, title, body, html.EscapeString(ref))
}
