package nodeagent

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"

	proxyproto "github.com/pires/go-proxyproto"
)

// echoServer is a container's default stand-in, in the spirit of
// Kubernetes' agnhost netexec: HTTP requests are answered with the pod's
// identity and the request as received; anything else is echoed back.
type echoServer struct {
	pod, namespace, container, image, node, podIP string
	port                                          int32
}

// proxyV2Sig starts a PROXY protocol v2 header; azureTLV is the TLV type
// in which Azure private link services send 0x01 + the endpoint's LinkID
// (uint32, little endian).
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

const azureTLV proxyproto.PP2Type = 0xEE

// isProxyHeader reports whether the connection starts with a PROXY
// header, reading more only while what arrived could still be one.
func isProxyHeader(br *bufio.Reader) bool {
	for _, sig := range [][]byte{proxyV2Sig, []byte("PROXY ")} {
		head, _ := br.Peek(br.Buffered())
		if !bytes.HasPrefix(head, sig) && !bytes.HasPrefix(sig, head) {
			continue
		}
		if got, err := br.Peek(len(sig)); err == nil && bytes.Equal(got, sig) {
			return true
		}
	}
	return false
}

var httpMethods = []string{"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "PATCH ", "OPTIONS ", "CONNECT ", "TRACE "}

func (s *echoServer) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *echoServer) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	if _, err := br.Peek(1); err != nil {
		return
	}
	// A PROXY protocol v1/v2 header (a link service with proxy protocol
	// on) is read and reported, as a server configured for it does.
	var pp *proxyproto.Header
	if isProxyHeader(br) {
		h, err := proxyproto.Read(br)
		if err != nil {
			return
		}
		pp = h
		if _, err := br.Peek(1); err != nil {
			return
		}
	}
	head, _ := br.Peek(br.Buffered())
	isHTTP := false
	for _, m := range httpMethods {
		if bytes.HasPrefix(head, []byte(m)) || bytes.HasPrefix([]byte(m), head) {
			isHTTP = true
		}
	}
	if !isHTTP {
		_, _ = io.Copy(c, br)
		return
	}
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body := s.answer(req, c.RemoteAddr().String(), pp)
		_, _ = io.Copy(io.Discard, req.Body)
		resp := &http.Response{StatusCode: http.StatusOK, ProtoMajor: 1, ProtoMinor: 1, Request: req,
			Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, ContentLength: int64(len(body)),
			Body: io.NopCloser(strings.NewReader(body)), Close: req.Close}
		if req.Method == http.MethodHead {
			resp.Body = http.NoBody
		}
		if err := resp.Write(c); err != nil || req.Close {
			return
		}
	}
}

// answer is the response body: netexec's /hostname, /clientip, /echo and
// /healthz, else the pod's identity and the request it saw.
func (s *echoServer) answer(req *http.Request, client string, pp *proxyproto.Header) string {
	if pp != nil && pp.SourceAddr != nil {
		client = pp.SourceAddr.String() // the address the header names
	}
	switch req.URL.Path {
	case "/hostname":
		return s.pod
	case "/clientip":
		return client
	case "/echo":
		return req.URL.Query().Get("msg")
	case "/healthz", "/readyz":
		return "ok"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pod: %s\nnamespace: %s\ncontainer: %s\nimage: %s\nnode: %s\npod address: %s:%d\n",
		s.pod, s.namespace, s.container, s.image, s.node, s.podIP, s.port)
	fmt.Fprintf(&b, "client: %s\n", client)
	if pp != nil {
		fmt.Fprintf(&b, "proxy protocol: v%d %s -> %s", pp.Version, pp.SourceAddr, pp.DestinationAddr)
		if tlvs, err := pp.TLVs(); err == nil {
			for _, t := range tlvs {
				if t.Type == azureTLV && len(t.Value) == 5 && t.Value[0] == 0x01 {
					fmt.Fprintf(&b, " linkID %d", binary.LittleEndian.Uint32(t.Value[1:]))
				}
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "request: %s %s %s\nhost: %s\nheaders:\n", req.Method, req.RequestURI, req.Proto, req.Host)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(&b, "  %s: %s\n", k, v)
		}
	}
	return b.String()
}
