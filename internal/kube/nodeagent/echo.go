package nodeagent

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
)

// echoServer is a container's default stand-in, in the spirit of
// Kubernetes' agnhost netexec: HTTP requests are answered with the pod's
// identity and the request as received; anything else is echoed back.
type echoServer struct {
	pod, namespace, container, image, node, podIP string
	port                                          int32
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
	head, _ := br.Peek(br.Buffered())
	isHTTP := false
	for _, m := range httpMethods {
		if bytes.HasPrefix(head, []byte(m)) || bytes.HasPrefix([]byte(m), head) {
			isHTTP = true
		}
	}
	// PROXY protocol v1/v2 headers (a link service with proxy protocol)
	// are echoed like any other bytes when not followed by HTTP.
	if !isHTTP {
		_, _ = io.Copy(c, br)
		return
	}
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body := s.answer(req, c.RemoteAddr().String())
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
func (s *echoServer) answer(req *http.Request, client string) string {
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
	fmt.Fprintf(&b, "client: %s\nrequest: %s %s %s\nhost: %s\nheaders:\n", client, req.Method, req.RequestURI, req.Proto, req.Host)
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
