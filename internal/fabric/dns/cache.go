package dns

import (
	"strings"
	"sync"
	"sync/atomic"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// maxCacheEntries bounds one snapshot's answer cache; past it the cache
// starts over.
const maxCacheEntries = 16384

// answerCache holds the answers computed from one snapshot for the VNet
// listeners. Answers are pure functions of (snapshot, VNet, name, type),
// so an entry is valid exactly as long as its snapshot is current: a new
// snapshot starts a new cache. The RRs of a cached answer are shared by
// the replies built from it and never modified.
type answerCache struct {
	snap *fabric.Snapshot
	m    sync.Map // cacheKey -> Answer
	wire sync.Map // wireKey -> packed reply
	n    atomic.Int64
}

type cacheKey struct {
	vnet  string
	name  string
	qtype uint16
}

// wireKey names a packed reply: the question exactly as asked (its case
// is echoed) and every request bit the reply depends on.
type wireKey struct {
	vnet   string
	name   string
	qtype  uint16
	rd, cd bool
	edns   bool
	do     bool
	tcp    bool
}

// maxWireReply is the largest packed reply kept: it fits every UDP
// client, so no truncation depends on the request's EDNS size.
const maxWireReply = mdns.MinMsgSize

func wireKeyOf(vnetID string, req *mdns.Msg, proto fabric.Protocol) wireKey {
	k := wireKey{vnet: vnetID, name: req.Question[0].Name, qtype: req.Question[0].Qtype,
		rd: req.RecursionDesired, cd: req.CheckingDisabled, tcp: proto == fabric.TCP}
	if opt := req.IsEdns0(); opt != nil {
		k.edns, k.do = true, opt.Do()
	}
	return k
}

// getWire returns a copy of a packed reply with the request's ID.
func (c *answerCache) getWire(k wireKey, id uint16) ([]byte, bool) {
	v, ok := c.wire.Load(k)
	if !ok {
		return nil, false
	}
	b := append([]byte(nil), v.([]byte)...)
	b[0], b[1] = byte(id>>8), byte(id)
	return b, true
}

// putWire keeps a packed reply that every client can take whole. Callers
// only offer pure replies (listenerReply): a custom DNS server's reply is
// its own to change and is never kept.
func (c *answerCache) putWire(k wireKey, resp *mdns.Msg) {
	if resp.Truncated || resp.Rcode != mdns.RcodeSuccess && resp.Rcode != mdns.RcodeNameError {
		return
	}
	b, err := resp.Pack()
	if err != nil || len(b) > maxWireReply {
		return
	}
	if c.n.Add(1) > maxCacheEntries {
		c.wire.Clear()
		c.m.Clear()
		c.n.Store(1)
	}
	c.wire.Store(k, b)
}

// cacheable reports whether a listener query can be answered from, and
// stored in, the cache: a plain IN query that is not being forwarded
// between custom DNS servers.
func cacheable(req *mdns.Msg) bool {
	return req.Opcode == mdns.OpcodeQuery && len(req.Question) == 1 &&
		req.Question[0].Qclass == mdns.ClassINET && hops(req) == 0
}

// cacheFor returns the cache of snap, replacing an older one.
func (s *Server) cacheFor(snap *fabric.Snapshot) *answerCache {
	for {
		c := s.cache.Load()
		if c != nil && c.snap == snap {
			return c
		}
		nc := &answerCache{snap: snap}
		if s.cache.CompareAndSwap(c, nc) {
			return nc
		}
	}
}

func (c *answerCache) get(vnetID string, q mdns.Question) (Answer, bool) {
	v, ok := c.m.Load(cacheKey{vnetID, strings.ToLower(q.Name), q.Qtype})
	if !ok {
		return Answer{}, false
	}
	return v.(Answer), true
}

// put stores a computed answer when it is final: not handed to custom DNS
// servers, and a definite NOERROR or NXDOMAIN.
func (c *answerCache) put(vnetID string, q mdns.Question, a Answer) {
	if len(a.ForwardTo) > 0 || a.External || (a.Rcode != mdns.RcodeSuccess && a.Rcode != mdns.RcodeNameError) {
		return
	}
	if c.n.Add(1) > maxCacheEntries {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(cacheKey{vnetID, strings.ToLower(q.Name), q.Qtype}, a)
}
