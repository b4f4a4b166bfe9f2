package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// UDP serving of the VNet listeners.
//
// Each listener binds udpSockets UDP sockets to its port (SO_REUSEPORT:
// the kernel spreads clients over them by address hash) and runs one
// reader goroutine per socket, which on Linux reads and writes datagrams
// in batches (recvmmsg/sendmmsg, udp_linux.go). A reader parses the
// header, the question and an optional OPT record of every datagram by
// hand (parseFast). When the packed reply of that exact question is in
// the listener's table for the current snapshot, it copies the reply,
// patches the ID and writes it back, without allocating. Everything else
// (table misses, malformed or unusual messages, custom DNS forwarding) is
// handed to a goroutine that unpacks the message with miekg/dns and
// answers it as miekg's server did (serveSlow), filling the table on the
// way.

// udpReadSize bounds the datagrams read (what miekg's server was
// configured with): longer ones are answered from their first bytes, as
// before (FORMERR, mostly), and a datagram that fills the buffer is never
// answered from the table.
const udpReadSize = 4096

// udpSockets is how many UDP sockets (one reader goroutine each) a
// listener binds to its port where SO_REUSEPORT exists: more than
// GOMAXPROCS, so that a few clients hashed to the same socket still leave
// work for every core (at most 16: a Linux reader holds about 75 KB of
// batch buffers). Elsewhere a listener has one socket and this many
// readers.
func udpSockets() int { return min(max(4, 2*runtime.GOMAXPROCS(0)), 16) }

// DNS header bits (RFC 1035 4.1.1, RFC 4035 for AD/CD).
const (
	bitQR = 1 << 15
	bitRD = 1 << 8
	bitAD = 1 << 5
	bitCD = 1 << 4
	// bitDO is the DO bit of an OPT record's flags (RFC 3225).
	bitDO = 1 << 15
)

// Key flags: the request bits a cached reply depends on besides the
// question (SetReply copies RD and CD; reply echoes EDNS0 and its DO bit).
const (
	keyRD = 1 << iota
	keyCD
	keyEDNS
	keyDO
)

// safeOptions are the EDNS0 option codes that miekg/dns always unpacks
// without error and that change nothing in a reply: a request carrying
// only these answers the same as one without them. Other codes (the hop
// option first of all) go through the full path.
var safeOptions = [...]uint16{mdns.EDNS0NSID, mdns.EDNS0DAU, mdns.EDNS0DHU, mdns.EDNS0N3U, mdns.EDNS0COOKIE, mdns.EDNS0PADDING}

// parseFast reads a plain query by hand: QR clear, opcode QUERY, no AA,
// TC, RA or Z bits and RCODE 0, one question of class IN with an
// uncompressed name, no answer or authority records, at most one
// additional record which is an EDNS0 OPT of version 0 with only the DO
// flag and safe options, and nothing after it. It appends to dst the key
// of the reply (key flags, then the question's wire bytes, case kept) and
// reports whether the packet is such a query. Any other packet, however
// valid, is for the full path.
func parseFast(dst, p []byte) ([]byte, bool) {
	if len(p) < 12+1+4 {
		return dst, false
	}
	flags := binary.BigEndian.Uint16(p[2:])
	if flags&^(bitRD|bitAD|bitCD) != 0 {
		return dst, false
	}
	if binary.BigEndian.Uint16(p[4:]) != 1 || binary.BigEndian.Uint16(p[6:]) != 0 || binary.BigEndian.Uint16(p[8:]) != 0 {
		return dst, false
	}
	ar := binary.BigEndian.Uint16(p[10:])
	if ar > 1 {
		return dst, false
	}
	off := 12
	for {
		if off >= len(p) {
			return dst, false
		}
		l := int(p[off])
		if l == 0 {
			off++
			break
		}
		if l > 63 { // compression pointers and extended label types
			return dst, false
		}
		off += 1 + l
		if off-12 >= 255 { // the name with its root label must fit 255 octets
			return dst, false
		}
	}
	if off+4 > len(p) || binary.BigEndian.Uint16(p[off+2:]) != mdns.ClassINET {
		return dst, false
	}
	qend := off + 4
	var k byte
	if flags&bitRD != 0 {
		k |= keyRD
	}
	if flags&bitCD != 0 {
		k |= keyCD
	}
	if ar == 0 {
		if qend != len(p) {
			return dst, false
		}
	} else {
		// OPT: root name, type 41, class = UDP size, TTL = extended
		// RCODE, version, flags; RDLENGTH; options.
		o := qend
		if o+11 > len(p) || p[o] != 0 || binary.BigEndian.Uint16(p[o+1:]) != mdns.TypeOPT {
			return dst, false
		}
		if p[o+5] != 0 || p[o+6] != 0 {
			return dst, false
		}
		of := binary.BigEndian.Uint16(p[o+7:])
		if of&^bitDO != 0 {
			return dst, false
		}
		rdata := o + 11
		if rdata+int(binary.BigEndian.Uint16(p[o+9:])) != len(p) {
			return dst, false
		}
		for q := rdata; q < len(p); {
			if q+4 > len(p) {
				return dst, false
			}
			code := binary.BigEndian.Uint16(p[q:])
			safe := false
			for _, c := range safeOptions {
				safe = safe || c == code
			}
			if !safe {
				return dst, false
			}
			q += 4 + int(binary.BigEndian.Uint16(p[q+2:]))
			if q > len(p) {
				return dst, false
			}
		}
		k |= keyEDNS
		if of&bitDO != 0 {
			k |= keyDO
		}
	}
	dst = append(dst, k)
	return append(dst, p[12:qend]...), true
}

// fastSlots is the size of a listener's reply table (a power of 2), and
// fastProbe how many slots a key may take from its home slot.
const (
	fastSlots = 4096
	fastProbe = 8
)

// fastTable maps reply keys (parseFast) to packed replies computed from
// one snapshot for one listener. Lookups take no lock: slots only ever go
// from empty to an entry, or from an entry to another (an eviction when
// the probe window is full).
type fastTable struct {
	snap  *fabric.Snapshot
	seed  maphash.Seed
	slots [fastSlots]atomic.Pointer[fastEntry]
}

type fastEntry struct {
	key   string
	reply []byte // packed, never modified; its ID is patched on a copy
}

func newFastTable(snap *fabric.Snapshot) *fastTable {
	return &fastTable{snap: snap, seed: maphash.MakeSeed()}
}

func (t *fastTable) get(key []byte) []byte {
	h := maphash.Bytes(t.seed, key)
	for i := range uint64(fastProbe) {
		e := t.slots[(h+i)&(fastSlots-1)].Load()
		if e == nil {
			return nil
		}
		if e.key == string(key) {
			return e.reply
		}
	}
	return nil
}

func (t *fastTable) put(key, reply []byte) {
	e := &fastEntry{key: string(key), reply: reply}
	h := maphash.Bytes(t.seed, key)
	for i := range uint64(fastProbe) {
		slot := &t.slots[(h+i)&(fastSlots-1)]
		old := slot.Load()
		if old == nil {
			if slot.CompareAndSwap(nil, e) {
				return
			}
			old = slot.Load()
		}
		if old.key == e.key {
			return
		}
	}
	t.slots[h&(fastSlots-1)].Store(e)
}

// fastFor returns the listener's table for snap, replacing an older one.
func (l *listener) fastFor(snap *fabric.Snapshot) *fastTable {
	for {
		t := l.fast.Load()
		if t != nil && t.snap == snap {
			return t
		}
		nt := newFastTable(snap)
		if l.fast.CompareAndSwap(t, nt) {
			return nt
		}
	}
}

// packetPool holds the copies of datagrams handed to serveSlow.
var packetPool = sync.Pool{New: func() any { b := make([]byte, udpReadSize); return &b }}

// listenGroup binds n UDP sockets (SO_REUSEPORT; one where the option
// does not exist) and one TCP listener on the same free loopback port.
//
// TCP chooses the port (a UDP port may be free while TCP connections
// still linger in TIME_WAIT on it), then an exclusive UDP socket checks
// that no UDP socket uses it: bound to port 0 with SO_REUSEPORT, Linux
// may hand out a port that another SO_REUSEPORT group of the same user
// (another VNet's listener) already uses, and the new sockets would
// silently share its queries.
func listenGroup(n int) ([]*net.UDPConn, net.Listener, error) {
	lc := net.ListenConfig{Control: reusePort}
	ctx := context.Background()
	var lastErr error
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("dns: listen tcp: %w", err)
		}
		addr := ln.Addr().String()
		probe, err := net.ListenPacket("udp", addr)
		if err != nil {
			_ = ln.Close()
			lastErr = err
			continue // the UDP port is taken: try another port
		}
		if reusePort == nil {
			return []*net.UDPConn{probe.(*net.UDPConn)}, ln, nil
		}
		_ = probe.Close()
		var conns []*net.UDPConn
		for len(conns) < n {
			c, err := lc.ListenPacket(ctx, "udp", addr)
			if err != nil {
				lastErr = err // taken in between: start over
				break
			}
			conns = append(conns, c.(*net.UDPConn))
		}
		if len(conns) == n {
			return conns, ln, nil
		}
		for _, c := range conns {
			_ = c.Close()
		}
		_ = ln.Close()
	}
	return nil, nil, fmt.Errorf("dns: no port free for both UDP and TCP on 127.0.0.1: %w", lastErr)
}

// fastReply answers p from the listener's table: it returns the reply
// (in out, with p's ID) and true on a hit. key is scratch space.
func (s *Server) fastReply(l *listener, p []byte, key *[]byte, out []byte) ([]byte, bool) {
	if len(p) >= udpReadSize { // maybe cut short by the read: not a plain query
		return nil, false
	}
	k, ok := parseFast((*key)[:0], p)
	*key = k
	if !ok {
		return nil, false
	}
	t := l.fast.Load()
	if t == nil || t.snap != s.src.Current() {
		return nil, false
	}
	r := t.get(k)
	if r == nil {
		return nil, false
	}
	out = append(out[:0], r...)
	out[0], out[1] = p[0], p[1]
	return out, true
}

// goSlow answers a copy of p in its own goroutine (serveSlow), so that a
// forwarded query never holds up the reader.
func (s *Server) goSlow(l *listener, conn *net.UDPConn, p []byte, from netip.AddrPort) {
	bp := packetPool.Get().(*[]byte)
	pkt := append((*bp)[:0], p...)
	l.handlers.Add(1)
	go func() {
		defer l.handlers.Done()
		s.serveSlow(l, conn, pkt, from)
		*bp = pkt[:0]
		packetPool.Put(bp)
	}()
}

// readErr reports whether a reader must stop after err.
func (s *Server) readErr(l *listener, err error) bool {
	if errors.Is(err, net.ErrClosed) || l.closing.Load() {
		return true
	}
	s.log.Debug("dns: read", "vnet", l.vnetID, "addr", l.addr, "err", err)
	return false
}

// serveSlow answers a datagram the reader could not answer from the
// table, as miekg/dns's server does: no reply to fragments shorter than a
// header and to responses, NOTIMP to opcodes other than QUERY and NOTIFY,
// FORMERR to messages with unexpected section counts or that do not
// unpack. A reply that is a pure function of the snapshot goes into the
// listener's table.
func (s *Server) serveSlow(l *listener, conn *net.UDPConn, p []byte, from netip.AddrPort) {
	if len(p) < 12 {
		return
	}
	dh := mdns.Header{Id: binary.BigEndian.Uint16(p), Bits: binary.BigEndian.Uint16(p[2:]),
		Qdcount: binary.BigEndian.Uint16(p[4:]), Ancount: binary.BigEndian.Uint16(p[6:]),
		Nscount: binary.BigEndian.Uint16(p[8:]), Arcount: binary.BigEndian.Uint16(p[10:])}
	write := func(m *mdns.Msg) {
		b, err := m.Pack()
		if err == nil {
			_, err = conn.WriteToUDPAddrPort(b, from)
		}
		if err != nil {
			s.log.Debug("dns: write reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
		}
	}
	req := new(mdns.Msg)
	action := mdns.DefaultMsgAcceptFunc(dh)
	switch action {
	case mdns.MsgIgnore:
		return
	case mdns.MsgAccept:
		if err := req.Unpack(p); err == nil {
			break
		}
		write(rejectReply(req, mdns.MsgReject))
		return
	default:
		// The header alone, as miekg's server answers it.
		var h [12]byte
		copy(h[:4], p)
		_ = req.Unpack(h[:])
		write(rejectReply(req, action))
		return
	}

	snap := s.src.Current()
	wire, resp, a, pure := s.listenerReply(snap, l.vnetID, fabric.UDP, req)
	var key []byte
	if pure && len(p) < udpReadSize {
		key, _ = parseFast(nil, p)
	}
	// The table is filled before the reply leaves: a client that got a
	// reply finds the next one in the table.
	if wire != nil {
		if key != nil && snap == s.src.Current() {
			l.fastFor(snap).put(key, wire)
		}
		if _, err := conn.WriteToUDPAddrPort(wire, from); err != nil {
			s.log.Debug("dns: write reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
		}
		return
	}
	size := mdns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
		size = int(opt.UDPSize())
	}
	resp.Truncate(size)
	b, err := resp.Pack()
	if err != nil {
		s.log.Debug("dns: pack reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
		return
	}
	if pure {
		s.cacheFor(snap).putWire(wireKeyOf(l.vnetID, req, fabric.UDP), resp)
		if key != nil && storable(resp, b) && snap == s.src.Current() {
			l.fastFor(snap).put(key, b)
		}
	}
	if _, err := conn.WriteToUDPAddrPort(b, from); err != nil {
		s.log.Debug("dns: write reply", "vnet", l.vnetID, "proto", fabric.UDP, "err", err)
	}
	if s.log.Enabled(s.ctx, slog.LevelDebug) {
		s.log.Debug("dns query", "vnet", l.vnetID, "proto", fabric.UDP, "name", a.Name, "type", typeName(a.Qtype),
			"rcode", mdns.RcodeToString[resp.Rcode], "steps", a.Steps)
	}
}

// storable reports whether a packed reply may be reused for every request
// with the same key: complete, definite, and small enough for any client.
func storable(resp *mdns.Msg, b []byte) bool {
	return !resp.Truncated && (resp.Rcode == mdns.RcodeSuccess || resp.Rcode == mdns.RcodeNameError) && len(b) <= maxWireReply
}

// rejectReply is miekg's server's reply to a message its accept function
// rejects (FORMERR, or NOTIMP for an unsupported opcode).
func rejectReply(req *mdns.Msg, action mdns.MsgAcceptAction) *mdns.Msg {
	opcode := req.Opcode
	req.SetRcodeFormatError(req)
	req.Zero = false
	if action == mdns.MsgRejectNotImplemented {
		req.Opcode = opcode
		req.Rcode = mdns.RcodeNotImplemented
	}
	req.Ns, req.Answer, req.Extra = nil, nil, nil
	return req
}
