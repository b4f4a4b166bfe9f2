package dns

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// listenerOf returns the running listener of a VNet.
func listenerOf(t *testing.T, s *Server, vnetID string) *listener {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listeners[strings.ToLower(vnetID)]
	if l == nil {
		t.Fatalf("no listener for %s", vnetID)
	}
	return l
}

// tableHas reports whether the listener's table for the current snapshot
// holds a reply for the packet.
func tableHas(s *Server, l *listener, p []byte) bool {
	k, ok := parseFast(nil, p)
	if !ok {
		return false
	}
	t := l.fast.Load()
	return t != nil && t.snap == s.src.Current() && t.get(k) != nil
}

// udpClient is one UDP socket talking to a listener.
type udpClient struct {
	t *testing.T
	c net.Conn
}

func dialUDP(t *testing.T, addr string) *udpClient {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &udpClient{t: t, c: c}
}

// ask sends b and returns the reply, or nil when none comes within wait.
func (u *udpClient) ask(b []byte, wait time.Duration) []byte {
	u.t.Helper()
	if _, err := u.c.Write(b); err != nil {
		u.t.Fatal(err)
	}
	_ = u.c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65535)
	for {
		n, err := u.c.Read(buf)
		if err != nil {
			return nil
		}
		// A late reply to an earlier query of this socket is skipped.
		if n >= 2 && len(b) >= 2 && !bytes.Equal(buf[:2], b[:2]) {
			continue
		}
		return append([]byte(nil), buf[:n]...)
	}
}

func pack(t *testing.T, m *mdns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unpack(t *testing.T, b []byte) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatalf("unparsable reply %x: %v", b, err)
	}
	return m
}

// sameButID reports whether two replies are equal but for their IDs.
func sameButID(a, b []byte) bool {
	return len(a) == len(b) && len(a) >= 2 && bytes.Equal(a[2:], b[2:])
}

func TestFastPathEchoesCaseAndPatchesID(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	u := dialUDP(t, addr)

	spellings := []string{"myaks.privatelink.eastus.azmk8s.io.", "MyAKS.PrivateLink.EastUS.azmk8s.io.", "MYAKS.privatelink.eastus.AZMK8S.IO."}
	first := map[string][]byte{}
	for _, name := range spellings {
		q := query(name, mdns.TypeA)
		q.Id = 0x1111
		p := pack(t, q)
		if tableHas(s, l, p) {
			t.Fatalf("%s: in the table before it was asked", name)
		}
		r := u.ask(p, 3*time.Second)
		if r == nil {
			t.Fatalf("%s: no reply", name)
		}
		first[name] = r
		if !tableHas(s, l, p) {
			t.Fatalf("%s: the reply did not go into the table", name)
		}
	}
	for i, name := range spellings {
		for _, id := range []uint16{0, 0xbeef, uint16(i + 1), 0xffff} {
			q := query(name, mdns.TypeA)
			q.Id = id
			r := u.ask(pack(t, q), 3*time.Second)
			if r == nil {
				t.Fatalf("%s id %d: no reply", name, id)
			}
			m := unpack(t, r)
			if m.Id != id || m.Question[0].Name != name || len(m.Answer) != 1 ||
				m.Answer[0].(*mdns.A).A.String() != "10.0.1.4" || !m.Response || !m.RecursionDesired || !m.RecursionAvailable {
				t.Fatalf("%s id %d: %v", name, id, m)
			}
			if !sameButID(r, first[name]) {
				t.Fatalf("%s id %d: the table's reply differs from the computed one:\n%x\n%x", name, id, r, first[name])
			}
		}
	}

	// The reader answers from the table: plant a reply and get it back
	// with the request's ID.
	q := query("hubvm", mdns.TypeA)
	q.Id = 0x4242
	p := pack(t, q)
	k, ok := parseFast(nil, p)
	if !ok {
		t.Fatal("plain query not parsed")
	}
	planted := reply(q, Answer{Rcode: mdns.RcodeSuccess, Answer: []mdns.RR{&mdns.A{
		Hdr: mdns.RR_Header{Name: "hubvm.", Rrtype: mdns.TypeA, Class: mdns.ClassINET, Ttl: 7}, A: net.IPv4(192, 0, 2, 99)}}})
	planted.Id = 0
	l.fastFor(s.src.Current()).put(k, pack(t, planted))
	r := unpack(t, u.ask(p, 3*time.Second))
	if r.Id != 0x4242 || len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "192.0.2.99" {
		t.Fatalf("planted reply: %v", r)
	}
}

func TestFastPathRequestBits(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	u := dialUDP(t, addr)
	type variant struct {
		name       string
		rd, cd, ad bool
		edns, do   bool
		ednsSize   uint16
		cookie     bool
		group      int // same group, same key (and reply)
	}
	vs := []variant{
		{name: "plain", rd: true, group: 0},
		{name: "no RD", group: 1},
		{name: "CD", rd: true, cd: true, group: 2},
		{name: "AD (ignored)", rd: true, ad: true, group: 0},
		{name: "EDNS", rd: true, edns: true, ednsSize: 1232, group: 3},
		{name: "EDNS DO", rd: true, edns: true, do: true, ednsSize: 4096, group: 4},
		{name: "EDNS other size", rd: true, edns: true, ednsSize: 512, group: 3},
		{name: "EDNS cookie", rd: true, edns: true, ednsSize: 1232, cookie: true, group: 3},
	}
	keys := make([]string, len(vs))
	for i, v := range vs {
		m := query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
		m.RecursionDesired, m.CheckingDisabled, m.AuthenticatedData = v.rd, v.cd, v.ad
		if v.edns {
			m.SetEdns0(v.ednsSize, v.do)
			if v.cookie {
				opt := m.IsEdns0()
				opt.Option = append(opt.Option, &mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0123456789abcdef"})
			}
		}
		p := pack(t, m)
		k, ok := parseFast(nil, p)
		if !ok {
			t.Fatalf("%s: not parsed", v.name)
		}
		keys[i] = string(k)
		for j := range i {
			if (keys[j] == keys[i]) != (vs[j].group == v.group) {
				t.Fatalf("%s and %s: same key %v", v.name, vs[j].name, keys[j] == keys[i])
			}
		}
		var replies [][]byte
		for range 2 { // computed, then from the table
			m.Id++
			b := u.ask(pack(t, m), 3*time.Second)
			if b == nil {
				t.Fatalf("%s: no reply", v.name)
			}
			replies = append(replies, b)
			r := unpack(t, b)
			opt := r.IsEdns0()
			if r.Id != m.Id || r.RecursionDesired != v.rd || r.CheckingDisabled != v.cd || r.AuthenticatedData ||
				len(r.Answer) != 1 || (opt != nil) != v.edns {
				t.Fatalf("%s: %v", v.name, r)
			}
			if v.edns && (opt.UDPSize() != advertisedUDPSize || opt.Do() != v.do || len(opt.Option) != 0) {
				t.Fatalf("%s: OPT %v", v.name, opt)
			}
		}
		if !sameButID(replies[0], replies[1]) || !tableHas(s, l, pack(t, m)) {
			t.Fatalf("%s: second reply not the table's", v.name)
		}
	}
}

func TestParseFast(t *testing.T) {
	base := func() *mdns.Msg { return query("Hub-VM.example", mdns.TypeAAAA) }
	withOpt := func(do bool, opts ...mdns.EDNS0) *mdns.Msg {
		m := base()
		m.SetEdns0(1232, do)
		m.IsEdns0().Option = opts
		return m
	}
	raw := func(m *mdns.Msg, edit func([]byte) []byte) []byte {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return edit(b)
	}
	same := func(b []byte) []byte { return b }
	setBits := func(bits uint16) func([]byte) []byte {
		return func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[2:], binary.BigEndian.Uint16(b[2:])|bits)
			return b
		}
	}
	setCount := func(at int, n uint16) func([]byte) []byte {
		return func(b []byte) []byte { binary.BigEndian.PutUint16(b[at:], n); return b }
	}
	long := strings.Repeat("a", 63)
	accepted := map[string][]byte{
		"plain":               raw(base(), same),
		"AD set":              raw(base(), setBits(bitAD)),
		"CD set":              raw(base(), setBits(bitCD)),
		"EDNS":                raw(withOpt(false), same),
		"EDNS DO":             raw(withOpt(true), same),
		"EDNS cookie+padding": raw(withOpt(false, &mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0011223344556677"}, &mdns.EDNS0_PADDING{Padding: make([]byte, 9)}), same),
		"root name":           raw(query(".", mdns.TypeNS), same),
		"255-octet name":      rawQuery(1, []string{long, long, long, strings.Repeat("b", 61)}, mdns.TypeA),
		"odd label bytes":     rawQuery(1, []string{"a.b", "c\x00d", "\xff"}, mdns.TypeA),
	}
	for what, p := range accepted {
		if _, ok := parseFast(nil, p); !ok {
			t.Errorf("%s: not accepted", what)
		}
		var m mdns.Msg
		if err := m.Unpack(p); err != nil {
			t.Errorf("%s: miekg refuses it: %v", what, err)
		}
	}
	rejected := map[string][]byte{
		"response":             raw(base(), setBits(bitQR)),
		"opcode NOTIFY":        raw(base(), setBits(mdns.OpcodeNotify<<11)),
		"AA":                   raw(base(), setBits(1<<10)),
		"TC":                   raw(base(), setBits(1<<9)),
		"RA":                   raw(base(), setBits(1<<7)),
		"Z":                    raw(base(), setBits(1<<6)),
		"RCODE":                raw(base(), setBits(3)),
		"no question":          raw(base(), setCount(4, 0)),
		"two questions":        raw(base(), setCount(4, 2)),
		"answer count":         raw(base(), setCount(6, 1)),
		"authority count":      raw(base(), setCount(8, 1)),
		"two additionals":      raw(withOpt(false), setCount(10, 2)),
		"additional missing":   raw(base(), setCount(10, 1)),
		"trailing byte":        raw(base(), func(b []byte) []byte { return append(b, 0) }),
		"trailing after OPT":   raw(withOpt(false), func(b []byte) []byte { return append(b, 0) }),
		"class CH":             raw(base(), func(b []byte) []byte { binary.BigEndian.PutUint16(b[len(b)-2:], mdns.ClassCHAOS); return b }),
		"compressed name":      {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},
		"label of 64":          append(append([]byte{0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64}, strings.Repeat("b", 64)...), 0, 0, 1, 0, 1),
		"256-octet name":       rawQuery(1, []string{long, long, long, strings.Repeat("b", 62)}, mdns.TypeA),
		"hop option":           raw(withOpt(false, &mdns.EDNS0_LOCAL{Code: hopOption, Data: []byte{1}}), same),
		"subnet option":        raw(withOpt(false, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IPv4(10, 0, 0, 0)}), same),
		"EDNS version 1":       raw(withOpt(false), func(b []byte) []byte { b[len(b)-11+6] = 1; return b }),
		"extended RCODE":       raw(withOpt(false), func(b []byte) []byte { b[len(b)-11+5] = 1; return b }),
		"OPT Z flag":           raw(withOpt(false), func(b []byte) []byte { b[len(b)-11+8] = 1; return b }),
		"OPT owner not root":   raw(withOpt(false), func(b []byte) []byte { b[len(b)-11] = 1; return b }),
		"additional not OPT":   raw(withOpt(false), func(b []byte) []byte { b[len(b)-11+2] = byte(mdns.TypeA); return b }),
		"OPT rdlength too big": raw(withOpt(false), func(b []byte) []byte { b[len(b)-1] = 4; return b }),
		"option overruns":      raw(withOpt(false, &mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0011223344556677"}), func(b []byte) []byte { b[len(b)-9]++; return b }),
		"option header cut":    raw(withOpt(false), func(b []byte) []byte { b[len(b)-1] = 2; return append(b, 0, 10) }),
		"header only":          raw(base(), func(b []byte) []byte { return b[:12] }),
		"qtype cut":            raw(base(), func(b []byte) []byte { return b[:len(b)-3] }),
	}
	for what, p := range rejected {
		if k, ok := parseFast(nil, p); ok {
			t.Errorf("%s: accepted, key %x", what, k)
		}
	}
	// The key keeps the name's case and the type.
	k1, _ := parseFast(nil, raw(query("a.example", mdns.TypeA), same))
	k2, _ := parseFast(nil, raw(query("A.example", mdns.TypeA), same))
	k3, _ := parseFast(nil, raw(query("a.example", mdns.TypeAAAA), same))
	if bytes.Equal(k1, k2) || bytes.Equal(k1, k3) {
		t.Fatalf("keys %x %x %x", k1, k2, k3)
	}
}

// TestGarbageNeverGetsTableReplies sends every length from 0 to 40 bytes
// of garbage (zeros, ones, random, cut queries, random after a query
// header) to a listener whose table is warm.
func TestGarbageNeverGetsTableReplies(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	u := dialUDP(t, addr)
	good := pack(t, query("myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)) // 52 bytes
	cached := u.ask(good, 3*time.Second)
	if cached == nil || !tableHas(s, l, good) {
		t.Fatal("table not warm")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var sent int
	for n := 0; n <= 40; n++ {
		zeros := make([]byte, n)
		ones := bytes.Repeat([]byte{0xff}, n)
		random := make([]byte, n)
		for i := range random {
			random[i] = byte(rng.Uint32())
		}
		cut := append([]byte(nil), good[:n]...)
		hdr := append([]byte(nil), random...)
		if n >= 12 {
			copy(hdr, []byte{0x77, 0x77, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0})
		}
		for _, p := range [][]byte{zeros, ones, random, cut, hdr} {
			if _, ok := parseFast(nil, p); ok {
				t.Fatalf("parseFast accepts %d bytes of garbage %x", n, p)
			}
			r := u.ask(p, 30*time.Millisecond)
			sent++
			if r == nil {
				continue
			}
			if len(p) >= 2 && sameButID(r, cached) {
				t.Fatalf("garbage %x got the table's reply", p)
			}
			if m := unpack(t, r); m.Rcode == mdns.RcodeSuccess && len(m.Answer) > 0 {
				t.Fatalf("garbage %x got an answer: %v", p, m)
			}
		}
	}
	// Still serving, from the table.
	if r := u.ask(good, 3*time.Second); !sameButID(r, cached) {
		t.Fatalf("after %d garbage packets: %x", sent, r)
	}
}

func TestFastPathSnapshotChange(t *testing.T) {
	w := newWorld()
	src := newTestSource(w.snap)
	s := newServer(t, src, nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	u := dialUDP(t, addr)
	p := pack(t, query("hubvm", mdns.TypeA))
	for range 2 {
		if r := unpack(t, u.ask(p, 3*time.Second)); len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != "10.0.0.4" {
			t.Fatalf("before: %v", r)
		}
	}
	if !tableHas(s, l, p) {
		t.Fatal("not in the table")
	}
	for i, ip := range []string{"10.0.0.40", "10.0.0.41", "10.0.0.42"} {
		t2 := newTopo()
		hub := t2.vnet("hub-vnet", "10.0.0.0/16")
		t2.vm("hubvm", hub, ip)
		src.publish(t2.snap())
		// Right after the change, and again (now from the new table).
		for j := range 2 {
			r := unpack(t, u.ask(p, 3*time.Second))
			if len(r.Answer) != 1 || r.Answer[0].(*mdns.A).A.String() != ip {
				t.Fatalf("snapshot %d, query %d: %v", i, j, r)
			}
		}
		if tb := l.fast.Load(); tb == nil || tb.snap != src.Current() {
			t.Fatalf("snapshot %d: the table is not the new snapshot's", i)
		}
	}
}

func TestForwardedRepliesAreNotReused(t *testing.T) {
	w := newWorld()
	corp := w.t.vnet("corp-vnet", "10.2.0.0/16", "10.2.0.5")
	w.t.vm("corpvm", corp, "10.2.0.10")
	up := startUpstream(t)
	fe := &fakeEval{deliver: map[netip.Addr]string{netip.MustParseAddr("10.2.0.5"): up.addr}}
	s := newServer(t, newTestSource(w.t.snap()), fe.eval)
	addr, err := s.Addr(corp.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, corp.ID)
	u := dialUDP(t, addr)
	p := pack(t, query("corp.example", mdns.TypeA))
	for i := range 3 {
		binary.BigEndian.PutUint16(p, uint16(i+1))
		if r := unpack(t, u.ask(p, 3*time.Second)); len(r.Answer) != 1 {
			t.Fatalf("query %d: %v", i, r)
		}
		if got := up.queries.Load(); got != int32(i+1) {
			t.Fatalf("query %d: the custom DNS server saw %d queries: a forwarded reply was reused", i, got)
		}
	}
	if tableHas(s, l, p) {
		t.Fatal("a forwarded reply went into the table")
	}
	// Over TCP too.
	for i := range 2 {
		if r := exchange(t, "tcp", addr, query("corp.example", mdns.TypeA)); len(r.Answer) != 1 {
			t.Fatalf("tcp %d: %v", i, r)
		}
	}
	if got := up.queries.Load(); got != 5 {
		t.Fatalf("the custom DNS server saw %d queries, want 5", got)
	}
}

func TestListenerSocketsShareThePort(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	if reusePort != nil && len(l.udp) != udpSockets() {
		t.Fatalf("%d UDP sockets, want %d", len(l.udp), udpSockets())
	}
	for _, c := range l.udp {
		if c.LocalAddr().String() != addr {
			t.Fatalf("socket on %s, listener on %s", c.LocalAddr(), addr)
		}
	}
	// Many client sockets (spread over the listener's sockets) all get
	// answers.
	for i := range 24 {
		u := dialUDP(t, addr)
		q := query("hubvm", mdns.TypeA)
		q.Id = uint16(i)
		if r := unpack(t, u.ask(pack(t, q), 3*time.Second)); r.Id != uint16(i) || len(r.Answer) != 1 {
			t.Fatalf("client %d: %v", i, r)
		}
	}
	_ = s.Close()
	for _, c := range l.udp {
		if _, err := c.WriteToUDPAddrPort([]byte{0}, netip.MustParseAddrPort(addr)); err == nil {
			t.Fatal("a UDP socket is still open after Close")
		}
	}
}

// FuzzParseFast checks the hand parser against miekg/dns: whatever it
// accepts, miekg accepts as a plain query, and the key alone determines
// every request field a reply depends on.
func FuzzParseFast(f *testing.F) {
	m := query("MyAKS.privatelink.eastus.azmk8s.io", mdns.TypeA)
	b, _ := m.Pack()
	f.Add(b)
	m.SetEdns0(4096, true)
	m.IsEdns0().Option = []mdns.EDNS0{&mdns.EDNS0_COOKIE{Code: mdns.EDNS0COOKIE, Cookie: "0011223344556677"}}
	b, _ = m.Pack()
	f.Add(b)
	f.Add(rawQuery(3, []string{"a.b", "\x00"}, mdns.TypeTXT))
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		k, ok := parseFast(nil, p)
		if !ok {
			return
		}
		var req mdns.Msg
		if err := req.Unpack(p); err != nil {
			t.Fatalf("accepted %x, miekg: %v", p, err)
		}
		dh := mdns.Header{Bits: binary.BigEndian.Uint16(p[2:]), Qdcount: 1, Arcount: uint16(len(req.Extra))}
		if mdns.DefaultMsgAcceptFunc(dh) != mdns.MsgAccept || !cacheable(&req) || req.Response || req.Truncated {
			t.Fatalf("accepted %x: not a plain query: %v", p, &req)
		}
		// Rebuild a request from the key alone: it must unpack to the
		// same question, bits and EDNS0 state.
		kb := []byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}
		if k[0]&keyRD != 0 {
			kb[2] |= bitRD >> 8
		}
		if k[0]&keyCD != 0 {
			kb[3] |= bitCD
		}
		kb = append(kb, k[1:]...)
		if k[0]&keyEDNS != 0 {
			kb[11] = 1
			var do byte
			if k[0]&keyDO != 0 {
				do = bitDO >> 8
			}
			kb = append(kb, 0, 0, 41, 2, 0, 0, 0, do, 0, 0, 0)
		}
		var fromKey mdns.Msg
		if err := fromKey.Unpack(kb); err != nil {
			t.Fatalf("key of %x does not unpack: %v", p, err)
		}
		o1, o2 := req.IsEdns0(), fromKey.IsEdns0()
		if req.Question[0] != fromKey.Question[0] || req.RecursionDesired != fromKey.RecursionDesired ||
			req.CheckingDisabled != fromKey.CheckingDisabled || (o1 != nil) != (o2 != nil) || (o1 != nil && o1.Do() != o2.Do()) {
			t.Fatalf("%x and its key %x differ: %v / %v", p, k, &req, &fromKey)
		}
		// The replies built from both are the same but for the ID.
		r1, _ := reply(&req, Answer{}).Pack()
		r2, _ := reply(&fromKey, Answer{}).Pack()
		if !sameButID(r1, r2) {
			t.Fatalf("replies differ for %x:\n%x\n%x", p, r1, r2)
		}
	})
}

func TestFastReplyDoesNotAllocate(t *testing.T) {
	w := newWorld()
	s := newServer(t, newTestSource(w.snap), nil)
	addr, err := s.Addr(w.hub.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := listenerOf(t, s, w.hub.ID)
	m := query("MyAKS.privatelink.eastus.azmk8s.io", mdns.TypeA)
	m.SetEdns0(1232, true)
	p := pack(t, m)
	if dialUDP(t, addr).ask(p, 3*time.Second) == nil || !tableHas(s, l, p) {
		t.Fatal("table not warm")
	}
	key := make([]byte, 0, 1+255+4)
	out := make([]byte, 0, maxWireReply)
	var r []byte
	var ok bool
	if n := testing.AllocsPerRun(200, func() { r, ok = s.fastReply(l, p, &key, out) }); n != 0 || !ok {
		t.Fatalf("fastReply: %v allocations per query, hit %v", n, ok)
	}
	if binary.BigEndian.Uint16(r) != m.Id {
		t.Fatalf("ID %x, want %x", r[:2], m.Id)
	}
}
