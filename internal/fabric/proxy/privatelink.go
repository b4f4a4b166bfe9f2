package proxy

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"

	proxyproto "github.com/pires/go-proxyproto"
	"golang.org/x/sys/unix"

	"github.com/privlink/privlink/internal/fabric"
)

// DefaultNATPortsPerIP is Config.NATPortsPerIP when zero: Azure's "64k
// ports per NAT IP per backend" of a private link service.
const DefaultNATPortsPerIP = 64000

// KindNATPortExhaustion is the Block kind of a connection refused because
// every NAT IP of a private link service has all its ports in use towards
// the chosen backend.
const KindNATPortExhaustion = "NATPortExhaustion"

// linkIDTLV is the PROXY v2 TLV type Azure uses for the private endpoint's
// link identifier (subtype 0x01, then the LinkID as uint32 little-endian).
const linkIDTLV proxyproto.PP2Type = 0xEE

// flowHash is the hash of a connection's 5-tuple (Query.FlowHash): the
// client's real address and port, the destination as resolved in the
// vantage's view, and the protocol, keyed by the proxy's seed.
func (p *Proxy) flowHash(client, dest netip.AddrPort, proto fabric.Protocol) uint64 {
	var b [40]byte
	c16, d16 := client.Addr().As16(), dest.Addr().As16()
	copy(b[0:16], c16[:])
	binary.BigEndian.PutUint16(b[16:18], client.Port())
	copy(b[18:34], d16[:])
	binary.BigEndian.PutUint16(b[34:36], dest.Port())
	n := 36
	n += copy(b[n:], proto)
	return maphash.Bytes(p.seed, b[:n])
}

// LoopbackFor is the real loopback address that stands for an emulated
// IPv4 source address a.b.c.d: 127.b.c.d (all of 127.0.0.0/8 is local on
// Linux). The proxy binds its dial to the target there, so a backend
// listening on 127.0.0.1 sees this peer. ok is false for addresses other
// than IPv4.
func LoopbackFor(src netip.Addr) (netip.Addr, bool) {
	src = src.Unmap()
	if !src.Is4() {
		return netip.Addr{}, false
	}
	a := src.As4()
	a[0] = 127
	return netip.AddrFrom4(a), true
}

// bindNoPort sets IP_BIND_ADDRESS_NO_PORT on a socket about to be bound
// to a local address with port 0: the kernel then picks the port at
// connect(2), unique per 4-tuple, instead of at bind(2), unique per local
// address (which TIME_WAIT sockets towards a busy target would exhaust).
// Best effort: without it the bind still works.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	return c.Control(setBindNoPort)
}

func setBindNoPort(fd uintptr) {
	_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
}

// NATUsage is the source NAT usage of one NAT IP of a private link service
// towards one backend.
type NATUsage struct {
	// Service is the private link service's resource ID.
	Service string
	// NATIP is the NAT address.
	NATIP string
	// Backend is the backend pool member's key (fabric.BackendMember.Key).
	Backend string
	// InUse is the number of ports allocated to live flows; Limit is
	// Config.NATPortsPerIP.
	InUse, Limit int
}

type natKey struct {
	service string // lower-case service ID
	natIP   netip.Addr
	backend string
}

// natTable accounts for the source NAT ports of private link services:
// each NAT IP offers limit ports per backend.
type natTable struct {
	mu        sync.Mutex
	limit     int
	inUse     map[natKey]int
	names     map[string]string // lower-case service ID -> resource ID as given
	exhausted map[string]uint64 // service resource ID -> refusals
}

// allocate takes a port on the first NAT IP (primary first) with one free
// towards backend, and returns the NAT IP and the function that releases
// the port (idempotent). ok is false when every NAT IP is full.
func (t *natTable) allocate(svc *fabric.PrivateLinkService, natIPs []netip.Addr, backend string) (netip.Addr, func(), bool) {
	sid := strings.ToLower(svc.ID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inUse == nil {
		t.inUse, t.names, t.exhausted = map[natKey]int{}, map[string]string{}, map[string]uint64{}
	}
	for _, ip := range natIPs {
		k := natKey{sid, ip, backend}
		if t.inUse[k] >= t.limit {
			continue
		}
		t.inUse[k]++
		t.names[sid] = svc.ID
		var once sync.Once
		return ip, func() { once.Do(func() { t.release(k) }) }, true
	}
	t.exhausted[svc.ID]++
	return netip.Addr{}, nil, false
}

func (t *natTable) release(k natKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := t.inUse[k]; n > 1 {
		t.inUse[k] = n - 1
		return
	}
	delete(t.inUse, k)
}

// NATUsage returns the NAT ports in use, per private link service, backend
// and NAT IP (sorted in that order); NAT IPs without a port in use are
// left out.
func (p *Proxy) NATUsage() []NATUsage {
	t := &p.nat
	t.mu.Lock()
	out := make([]NATUsage, 0, len(t.inUse))
	for k, n := range t.inUse {
		out = append(out, NATUsage{Service: t.names[k.service], NATIP: k.natIP.String(), Backend: k.backend, InUse: n, Limit: t.limit})
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b NATUsage) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Backend, b.Backend),
			netip.MustParseAddr(a.NATIP).Compare(netip.MustParseAddr(b.NATIP)))
	})
	return out
}

// NATExhaustions returns, per private link service resource ID, how many
// connections were refused because all its NAT IPs had every port in use
// towards the chosen backend.
func (p *Proxy) NATExhaustions() map[string]uint64 {
	t := &p.nat
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]uint64, len(t.exhausted))
	for k, v := range t.exhausted {
		out[k] = v
	}
	return out
}

// natExhaustion is the refusal of a connection whose private link service
// has no NAT port left towards the backend.
func natExhaustion(d *decision, limit int, backend string) *RefusedError {
	v := d.verdict
	svc := v.Service
	v.Outcome = fabric.HostUnreachable
	v.TargetHost, v.TargetAddr = nil, ""
	v.Blocks = []fabric.Block{{
		Kind:       KindNATPortExhaustion,
		ResourceID: svc.ID,
		Reason: fmt.Sprintf("private link service %s: NAT port exhaustion: all %d NAT IPs have %d ports in use towards backend %s; add NAT IP configurations",
			svc.Name, len(v.NATIPs), limit, backend),
	}}
	e := &RefusedError{Dest: d.dest, Verdict: v}
	if d.vantage != nil {
		e.Vantage = d.vantage.ID
	}
	return e
}

// backendKey names the backend a flow through a private link service
// goes to, for NAT accounting.
func backendKey(v *fabric.Verdict) string {
	switch {
	case v.Backend != nil:
		return v.Backend.Key
	case v.TargetHost != nil:
		return v.TargetHost.ID
	}
	return v.TargetAddr
}

// proxyHeader is the PROXY protocol v2 header a private link service with
// enableProxyProtocol sends its backend: the consumer's address and port
// as the endpoint saw them, the endpoint's address and port as the
// consumer dialled them, and TLV 0xEE = 0x01 + LinkID (uint32 LE).
func proxyHeader(consumer netip.AddrPort, endpoint netip.AddrPort, linkID uint32) ([]byte, error) {
	src, dst := consumer.Addr().Unmap(), endpoint.Addr().Unmap()
	tp := proxyproto.TCPv4
	if !src.Is4() || !dst.Is4() {
		tp = proxyproto.TCPv6
		src, dst = netip.AddrFrom16(src.As16()), netip.AddrFrom16(dst.As16())
	}
	h := &proxyproto.Header{
		Version:           2,
		Command:           proxyproto.PROXY,
		TransportProtocol: tp,
		SourceAddr:        net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, consumer.Port())),
		DestinationAddr:   net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, endpoint.Port())),
	}
	v := make([]byte, 5)
	v[0] = 0x01
	binary.LittleEndian.PutUint32(v[1:], linkID)
	if err := h.SetTLVs([]proxyproto.TLV{{Type: linkIDTLV, Value: v}}); err != nil {
		return nil, fmt.Errorf("PROXY v2 TLV: %w", err)
	}
	b, err := h.Format()
	if err != nil {
		return nil, fmt.Errorf("PROXY v2 header: %w", err)
	}
	return b, nil
}

// privateLinkGone says why a flow through a private endpoint can no longer
// exist in s (the endpoint or the service is gone, or the connection is no
// longer Approved on either side), or "".
func privateLinkGone(s *fabric.Snapshot, fi *FlowInfo) string {
	pe := lookupID(s.PrivateEndpoints, fi.PrivateEndpoint)
	if pe == nil {
		return fmt.Sprintf("the private endpoint %s no longer exists", fi.PrivateEndpoint)
	}
	pls := lookupID(s.PrivateLinkServices, fi.PrivateLinkService)
	if pls == nil {
		return fmt.Sprintf("the private link service %s no longer exists", fi.PrivateLinkService)
	}
	var c *fabric.PEConnection
	for _, x := range pe.Connections {
		if x.Service != nil && strings.EqualFold(x.Service.ID, pls.ID) {
			c = x
			break
		}
	}
	if c == nil {
		return fmt.Sprintf("private endpoint %s no longer has a connection to private link service %s", pe.Name, pls.Name)
	}
	status := cmp.Or(c.Status, "Pending")
	if strings.EqualFold(status, "Approved") {
		for _, pc := range pls.Connections {
			if pc.Endpoint == pe && !strings.EqualFold(pc.Status, "Approved") {
				status = cmp.Or(pc.Status, "Pending")
				break
			}
		}
	}
	if !strings.EqualFold(status, "Approved") {
		return fmt.Sprintf("private endpoint %s connection %s to private link service %s is %s", pe.Name, c.Name, pls.Name, status)
	}
	return ""
}

// lookupID finds a resource of a snapshot map by ID, whatever its case.
func lookupID[T any](m map[string]*T, id string) *T {
	if x := m[id]; x != nil {
		return x
	}
	return m[strings.ToLower(id)]
}
