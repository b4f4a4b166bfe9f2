package dns

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// MaxCNAMEChain is the number of CNAMEs Resolve follows for one query.
const MaxCNAMEChain = 8

// InternalTTL is the TTL of Azure-provided internal host names.
const InternalTTL = 10

// BlockKind is the Kind of the blocks Resolve reports.
const BlockKind = "DNS"

// View is the vantage a query is answered for.
type View struct {
	// VNet is the virtual network the query comes from (Azure-provided
	// DNS as seen from that VNet). Nil with Internet.
	VNet *fabric.VNet
	// Host is the querying host, when there is one (explanations only).
	Host *fabric.Host
	// Internet: the query comes from the internet (public DNS only).
	Internet bool
	// Direct: the query is sent to 168.63.129.16 itself, so the VNet's
	// custom DNS servers are not used (a custom DNS server that is
	// 168.63.129.16, or `dig @168.63.129.16`).
	Direct bool
	// Resolver is set when the query reached an inbound endpoint of this
	// DNS private resolver (VNet is the resolver's): explanations name it.
	Resolver *fabric.DNSResolver
	// NoRulesets: the forwarding rulesets linked to the VNet are not
	// applied (a query an outbound endpoint sends to 168.63.129.16).
	NoRulesets bool
}

// Answer is what Azure DNS answers, with the explanation.
type Answer struct {
	// Name is the query name, lower case, fully qualified (trailing dot).
	Name  string
	Qtype uint16
	// Rcode is mdns.RcodeSuccess, RcodeNameError, RcodeServerFailure,
	// RcodeRefused or RcodeFormatError. It is RcodeServerFailure when
	// ForwardTo is set (the question was not answered here).
	Rcode int
	// Answer holds the answer RRs, CNAMEs of the chain first.
	Answer []mdns.RR
	// Authority holds the SOA of the private zone of a negative answer.
	Authority []mdns.RR
	// Steps explain the resolution, one sentence each.
	Steps []string
	// Blocks list what makes the lookup fail (kind "DNS"), empty when the
	// name resolved to records of the asked type.
	Blocks []fabric.Block
	// ForwardTo is set when the VNet uses custom DNS servers: the query
	// is theirs to answer (Server forwards it), in this order.
	ForwardTo []netip.Addr
	// External is set when a real DNS listener took part in the answer
	// (a forwarding rule or conditional forwarder whose target is a VM
	// with a declared port 53): the answer is not a function of the
	// snapshot alone and is not cached.
	External bool
}

// Addrs returns the addresses of the A and AAAA records of the answer.
func (a *Answer) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, rr := range a.Answer {
		switch r := rr.(type) {
		case *mdns.A:
			if ip, ok := netip.AddrFromSlice(r.A); ok {
				out = append(out, ip.Unmap())
			}
		case *mdns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA); ok {
				out = append(out, ip)
			}
		}
	}
	return out
}

// RcodeText returns the rcode's name (NOERROR, NXDOMAIN, SERVFAIL...).
func (a *Answer) RcodeText() string { return mdns.RcodeToString[a.Rcode] }

// HostView returns the view of a host: its primary NIC's VNet, or the
// internet for the internet vantage.
func HostView(s *fabric.Snapshot, hostID string) (View, error) {
	id := strings.ToLower(hostID)
	h := s.Hosts[id]
	if h == nil {
		if id == fabric.InternetHostID {
			return View{Internet: true}, nil
		}
		return View{}, fmt.Errorf("host %s was not found", hostID)
	}
	if h.Kind == fabric.KindInternet || h.ID == fabric.InternetHostID {
		return View{Internet: true, Host: h}, nil
	}
	c := h.PrimaryIPConfig()
	if c == nil || c.Subnet == nil || c.Subnet.VNet == nil {
		return View{Host: h}, fmt.Errorf("host %s has no network interface in a virtual network", h.Name)
	}
	return View{VNet: c.Subnet.VNet, Host: h}, nil
}

// Resolve answers a query as the given vantage host gets it: Azure DNS of
// its primary NIC's VNet (the internet vantage sees public DNS only), or,
// for a host with its own DNS servers (an on-premises host: its site's
// DNS server), those servers, reached as the path evaluator decides.
// Targets that are real loopback listeners are not asked (Server.Exchange
// asks them).
func Resolve(s *fabric.Snapshot, hostID string, name string, qtype uint16) Answer {
	if h := s.Hosts[strings.ToLower(hostID)]; h != nil && OwnServers(h) {
		return newChain(s, nil, nil).host(h, name, qtype)
	}
	v, err := HostView(s, hostID)
	if err != nil {
		a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype, Rcode: mdns.RcodeServerFailure}
		a.fail("", fmt.Sprintf("%s: %v", hostID, err))
		return a
	}
	return ResolveFrom(s, v, name, qtype)
}

// ResolveFrom answers a query for a view. Forwarding rules of the
// rulesets linked to the view's VNet are applied first; their targets are
// reached as path.Evaluate decides (real listeners are not asked).
func ResolveFrom(s *fabric.Snapshot, v View, name string, qtype uint16) Answer {
	return newChain(s, nil, nil).azure(v, name, qtype)
}

// azure answers a query as Azure-provided DNS for a view, within a chain.
func (c *chain) azure(v View, name string, qtype uint16) Answer {
	s := c.s
	n, err := canonical(name)
	r := &resolver{s: s, v: v, a: Answer{Name: n + ".", Qtype: qtype}, c: c}
	if n == "" {
		r.a.Name = "."
	}
	switch {
	case err != nil:
		r.a.Rcode = mdns.RcodeFormatError
		r.a.Name = mdns.Fqdn(name)
		r.a.fail("", fmt.Sprintf("%q is not a valid domain name: %v (FORMERR)", name, err))
	case !v.Internet && v.VNet == nil:
		r.a.Rcode = mdns.RcodeServerFailure
		r.a.fail("", "the query has no vantage: neither a virtual network nor the internet")
	case qtype == mdns.TypeAXFR || qtype == mdns.TypeIXFR:
		r.a.Rcode = mdns.RcodeRefused
		r.a.fail("", fmt.Sprintf("%s: zone transfers (%s) are refused by Azure-provided DNS", r.a.Name, typeName(qtype)))
	case !v.Internet && !v.Direct && len(v.VNet.DNSServers) > 0:
		r.a.Rcode = mdns.RcodeServerFailure
		r.a.ForwardTo = slices.Clone(v.VNet.DNSServers)
		r.step("%s: vnet %s uses custom DNS servers %s; they answer, not Azure-provided DNS (private zones are seen only if they forward to 168.63.129.16 from a linked VNet)",
			n, v.VNet.Name, joinAddrs(v.VNet.DNSServers))
	default:
		if v.Internet {
			r.step("%s: queried from the internet: public DNS only", n)
		}
		r.run(n)
	}
	return r.a
}

var errNameSyntax = errors.New("empty label")

// canonical lower-cases a name and drops the trailing dot; it rejects
// names longer than 253 characters and labels longer than 63.
func canonical(name string) (string, error) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if n == "" {
		if name == "." {
			return "", nil
		}
		return "", errNameSyntax
	}
	if len(n) > 253 {
		return "", fmt.Errorf("the name is %d characters long, more than 253", len(n))
	}
	for l := range strings.SplitSeq(n, ".") {
		if l == "" {
			return "", errNameSyntax
		}
		if len(l) > 63 {
			return "", fmt.Errorf("label %q is %d characters long, more than 63", l[:16]+"...", len(l))
		}
	}
	if _, ok := mdns.IsDomainName(n + "."); !ok {
		return "", errors.New("malformed escape sequence")
	}
	return n, nil
}

type resolver struct {
	s *fabric.Snapshot
	v View
	a Answer
	// c is the chain of DNS servers the query is in (forwarding rules).
	c *chain
	// hints are blocks reported only when the lookup fails (an unlinked
	// zone that would have answered, for instance).
	hints []fabric.Block
}

func (r *resolver) step(format string, args ...any) {
	r.a.Steps = append(r.a.Steps, fmt.Sprintf(format, args...))
}

// fail records a failing step and its block.
func (a *Answer) fail(resourceID, reason string) {
	a.Steps = append(a.Steps, reason)
	a.Blocks = append(a.Blocks, fabric.Block{Kind: BlockKind, ResourceID: resourceID, Reason: reason})
}

// result is the answer for one name of a CNAME chain.
type result struct {
	rrs   []mdns.RR
	cname string // canonical name to chase, "" if none
	rcode int
	soa   mdns.RR
	// block explains a negative answer.
	block *fabric.Block
}

func (r *resolver) run(name string) {
	seen := map[string]bool{}
	cur := name
	for chased := 0; ; chased++ {
		if seen[cur] {
			r.a.Rcode = mdns.RcodeServerFailure
			r.a.fail("", fmt.Sprintf("%s: CNAME loop: %s was already in the chain (SERVFAIL)", cur, cur))
			return
		}
		seen[cur] = true
		res := r.lookup(cur)
		r.a.Answer = append(r.a.Answer, res.rrs...)
		if res.cname == "" {
			r.a.Rcode = res.rcode
			if res.soa != nil {
				r.a.Authority = []mdns.RR{res.soa}
			}
			if !r.resolved() {
				if res.block != nil {
					r.a.Blocks = append(r.a.Blocks, *res.block)
				}
				r.a.Blocks = append(r.a.Blocks, r.hints...)
			}
			return
		}
		if chased+1 > MaxCNAMEChain {
			r.a.Rcode = mdns.RcodeServerFailure
			r.a.fail("", fmt.Sprintf("%s: CNAME chain longer than %d (SERVFAIL)", name, MaxCNAMEChain))
			return
		}
		cur = res.cname
	}
}

// resolved reports whether the answer holds what was asked.
func (r *resolver) resolved() bool {
	if r.a.Rcode != mdns.RcodeSuccess {
		return false
	}
	for _, rr := range r.a.Answer {
		if r.a.Qtype == mdns.TypeANY || rr.Header().Rrtype == r.a.Qtype {
			return true
		}
	}
	return false
}

// lookup answers one name of the chain in the view.
func (r *resolver) lookup(name string) result {
	if r.v.VNet != nil && !r.v.NoRulesets && r.c != nil && len(r.s.Rulesets) > 0 {
		if res, ok := r.forwardRule(name); ok {
			return res
		}
	}
	if r.v.VNet != nil {
		if res, ok := r.internal(name); ok {
			return res
		}
		if res, ok := r.private(name); ok {
			return res
		}
	}
	return r.public(name)
}

// internal answers Azure-provided host names of the view's VNet.
func (r *resolver) internal(name string) (result, bool) {
	vnet := r.v.VNet
	suffix := strings.ToLower(strings.Trim(vnet.InternalDomainSuffix, "."))
	label, fqdn := "", false
	switch {
	case !strings.Contains(name, "."):
		label = name
	case suffix != "" && strings.HasSuffix(name, "."+suffix) && !strings.Contains(strings.TrimSuffix(name, "."+suffix), "."):
		label, fqdn = strings.TrimSuffix(name, "."+suffix), true
	case suffix != "" && name == suffix:
		r.step("%s: the internal domain of vnet %s (no records at the suffix itself)", name, vnet.Name)
		return result{rcode: mdns.RcodeSuccess, block: &fabric.Block{Kind: BlockKind, ResourceID: vnet.ID,
			Reason: fmt.Sprintf("%s is the internal domain of vnet %s and has no %s record", name, vnet.Name, typeName(r.a.Qtype))}}, true
	default:
		if strings.HasSuffix(name, ".internal.cloudapp.net") {
			for _, other := range r.s.VNets {
				sfx := strings.ToLower(strings.Trim(other.InternalDomainSuffix, "."))
				if other != vnet && sfx != "" && (name == sfx || strings.HasSuffix(name, "."+sfx)) {
					reason := fmt.Sprintf("%s is an Azure-provided name of vnet %s: it resolves only inside that virtual network, not from vnet %s", name, other.Name, vnet.Name)
					r.step("%s", reason)
					r.hints = append(r.hints, fabric.Block{Kind: BlockKind, ResourceID: other.ID, Reason: reason})
					break
				}
			}
		}
		return result{}, false
	}
	var found *fabric.Host
	var elsewhere []*fabric.Host
	for _, h := range sortedHosts(r.s) {
		if h.Kind == fabric.KindDNSResolver || !strings.EqualFold(computerName(h), label) {
			continue
		}
		c := h.PrimaryIPConfig()
		if c == nil || c.Subnet == nil || c.Subnet.VNet == nil {
			continue
		}
		if c.Subnet.VNet == vnet || c.Subnet.VNet.ID == vnet.ID {
			found = h
			break
		}
		elsewhere = append(elsewhere, h)
	}
	if found == nil {
		for _, h := range elsewhere {
			reason := fmt.Sprintf("host %s is in vnet %s: Azure-provided names resolve only inside their own virtual network, not from vnet %s",
				h.Name, h.PrimaryIPConfig().Subnet.VNet.Name, vnet.Name)
			r.step("%s: %s", name, reason)
			r.hints = append(r.hints, fabric.Block{Kind: BlockKind, ResourceID: h.ResourceID, Reason: reason})
		}
		if !fqdn {
			return result{}, false
		}
		reason := fmt.Sprintf("%s: vnet %s has no host named %s (NXDOMAIN)", name, vnet.Name, label)
		r.step("%s", reason)
		return result{rcode: mdns.RcodeNameError, block: &fabric.Block{Kind: BlockKind, ResourceID: vnet.ID, Reason: reason}}, true
	}
	owner := name + "."
	var rrs []mdns.RR
	hdr := func(t uint16) mdns.RR_Header {
		return mdns.RR_Header{Name: owner, Rrtype: t, Class: mdns.ClassINET, Ttl: InternalTTL}
	}
	if r.a.Qtype == mdns.TypeA || r.a.Qtype == mdns.TypeANY {
		if ip := hostAddr(found, true); ip.IsValid() {
			rrs = append(rrs, &mdns.A{Hdr: hdr(mdns.TypeA), A: ip.AsSlice()})
		}
	}
	if r.a.Qtype == mdns.TypeAAAA || r.a.Qtype == mdns.TypeANY {
		if ip := hostAddr(found, false); ip.IsValid() {
			rrs = append(rrs, &mdns.AAAA{Hdr: hdr(mdns.TypeAAAA), AAAA: ip.AsSlice()})
		}
	}
	res := result{rrs: rrs, rcode: mdns.RcodeSuccess}
	if len(rrs) == 0 {
		reason := fmt.Sprintf("%s: Azure-provided name of host %s in vnet %s has no %s record (NODATA)", name, found.Name, vnet.Name, typeName(r.a.Qtype))
		r.step("%s", reason)
		res.block = &fabric.Block{Kind: BlockKind, ResourceID: found.ResourceID, Reason: reason}
		return res, true
	}
	r.step("%s: Azure-provided name of host %s in vnet %s -> %s", name, found.Name, vnet.Name, summary(rrs))
	return res, true
}

// computerName is the host's OS name (its resource name when unset).
func computerName(h *fabric.Host) string {
	if h.ComputerName != "" {
		return h.ComputerName
	}
	return h.Name
}

// hostAddr returns the host's primary private address of a family: the
// primary IP configuration's, else the first of that family on the same
// NIC.
func hostAddr(h *fabric.Host, v4 bool) netip.Addr {
	c := h.PrimaryIPConfig()
	if c == nil {
		return netip.Addr{}
	}
	if c.PrivateIP.Is4() == v4 && c.PrivateIP.IsValid() {
		return c.PrivateIP
	}
	if c.NIC == nil {
		return netip.Addr{}
	}
	for _, o := range c.NIC.IPConfigs {
		if o.PrivateIP.IsValid() && o.PrivateIP.Is4() == v4 {
			return o.PrivateIP
		}
	}
	return netip.Addr{}
}

// sortedHosts returns the snapshot's hosts in ID order (answers must not
// depend on map order).
func sortedHosts(s *fabric.Snapshot) []*fabric.Host {
	hs := make([]*fabric.Host, 0, len(s.Hosts))
	for _, h := range s.Hosts {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b *fabric.Host) int { return strings.Compare(a.ID, b.ID) })
	return hs
}

// private answers from the longest private zone linked to the VNet that
// encloses the name. ok is false when public DNS answers instead.
func (r *resolver) private(name string) (result, bool) {
	vnet := r.v.VNet
	var link *fabric.ZoneLink
	for _, l := range vnet.Links {
		if l.Zone == nil || !inZone(name, l.Zone.Name) {
			continue
		}
		if link == nil || len(l.Zone.Name) > len(link.Zone.Name) ||
			(len(l.Zone.Name) == len(link.Zone.Name) && l.ID < link.ID) {
			link = l
		}
	}
	if link == nil {
		if z := r.unlinkedZone(name); z != nil {
			of := ""
			if r.v.Resolver != nil {
				of = " of resolver " + r.v.Resolver.Name
			}
			reason := fmt.Sprintf("zone %s is not linked to vnet %s%s", z.Name, vnet.Name, of)
			r.step("%s: %s; public DNS answers", name, reason)
			r.hints = append(r.hints, fabric.Block{Kind: BlockKind, ResourceID: z.ID,
				Reason: fmt.Sprintf("private DNS zone %s is not linked to vnet %s%s", z.Name, vnet.Name, of)})
		}
		return result{}, false
	}
	z := link.Zone
	where := fmt.Sprintf("private zone %s linked to vnet %s (link %s)", z.Name, vnet.Name, link.Name)
	owner, recs, exists := find(zoneStore{z}, name, z.Name)
	if !exists {
		if strings.EqualFold(link.ResolutionPolicy, "NxDomainRedirect") {
			r.step("%s: %s has no record %s; the link's resolutionPolicy NxDomainRedirect sends the query to public DNS",
				name, where, relName(z.Name, name))
			return result{}, false
		}
		reason := fmt.Sprintf("%s: %s has no record %s: the name does not exist (NXDOMAIN)", name, where, relName(z.Name, name))
		r.step("%s", reason)
		return result{rcode: mdns.RcodeNameError, soa: zoneSOA(z),
			block: &fabric.Block{Kind: BlockKind, ResourceID: z.ID, Reason: reason}}, true
	}
	res := r.fromRecords(name, owner, recs, "answered by "+where)
	if len(res.rrs) == 0 {
		res.soa = zoneSOA(z)
		reason := fmt.Sprintf("%s: %s has no %s record at %s (NODATA)", name, where, typeName(r.a.Qtype), relName(z.Name, name))
		r.step("%s", reason)
		res.block = &fabric.Block{Kind: BlockKind, ResourceID: z.ID, Reason: reason}
	}
	return res, true
}

// unlinkedZone returns the longest private zone of the snapshot that
// encloses the name (none of the VNet's links matched), or nil.
func (r *resolver) unlinkedZone(name string) *fabric.Zone {
	var best *fabric.Zone
	for _, z := range r.s.Zones {
		if !inZone(name, z.Name) {
			continue
		}
		if best == nil || len(z.Name) > len(best.Name) || (len(z.Name) == len(best.Name) && z.ID < best.ID) {
			best = z
		}
	}
	return best
}

// public answers from the emulated public DNS.
func (r *resolver) public(name string) result {
	owner, recs, exists := find(publicStore(r.s.PublicRecords), name, "")
	if !exists {
		reason := fmt.Sprintf("%s: public DNS has no such name (NXDOMAIN)", name)
		r.step("%s", reason)
		return result{rcode: mdns.RcodeNameError, block: &fabric.Block{Kind: BlockKind, Reason: reason}}
	}
	res := r.fromRecords(name, owner, recs, "public DNS answers")
	if len(res.rrs) == 0 {
		reason := fmt.Sprintf("%s: public DNS has no %s record for the name (NODATA)", name, typeName(r.a.Qtype))
		r.step("%s", reason)
		res.block = &fabric.Block{Kind: BlockKind, Reason: reason}
	}
	return res
}

// fromRecords answers the query type from the records of a name that
// exists (owner is the wildcard owner when the records were synthesised).
func (r *resolver) fromRecords(name, owner string, recs []fabric.Record, who string) result {
	qt := r.a.Qtype
	res := result{rcode: mdns.RcodeSuccess}
	var cname *fabric.Record
	for i := range recs {
		rec := &recs[i]
		t := mdns.StringToType[strings.ToUpper(rec.Type)]
		if t == mdns.TypeCNAME && cname == nil {
			cname = rec
		}
		if qt != mdns.TypeANY && t != qt {
			continue
		}
		rr, err := toRR(name+".", *rec)
		if err != nil {
			r.step("%s: %s record %q is malformed and ignored: %v", name, rec.Type, rec.Value, err)
			continue
		}
		res.rrs = append(res.rrs, rr)
	}
	if len(res.rrs) == 0 && cname != nil && qt != mdns.TypeCNAME && qt != mdns.TypeANY {
		rr, err := toRR(name+".", *cname)
		if err != nil {
			r.step("%s: CNAME record %q is malformed and ignored: %v", name, cname.Value, err)
		} else {
			res.rrs = []mdns.RR{rr}
			res.cname = strings.ToLower(strings.TrimSuffix(rr.(*mdns.CNAME).Target, "."))
		}
	}
	if len(res.rrs) > 0 {
		via := ""
		if owner != name {
			via = " (wildcard " + owner + ")"
		}
		r.step("%s: %s%s -> %s", name, who, via, summary(res.rrs))
	}
	return res
}

// recordStore is a tree of names: a private zone or public DNS.
type recordStore interface {
	records(name string) []fabric.Record
	// hasBelow reports whether a name has descendants.
	hasBelow(name string) bool
}

type zoneStore struct{ z *fabric.Zone }

func (s zoneStore) records(name string) []fabric.Record {
	return s.z.Records[relName(s.z.Name, name)]
}

func (s zoneStore) hasBelow(name string) bool {
	rel := relName(s.z.Name, name)
	for k := range s.z.Records {
		if (rel == "@" && k != "@") || strings.HasSuffix(k, "."+rel) {
			return true
		}
	}
	return false
}

type publicStore map[string][]fabric.Record

func (s publicStore) records(name string) []fabric.Record { return s[name] }

func (s publicStore) hasBelow(name string) bool {
	for k := range s {
		if strings.HasSuffix(k, "."+name) {
			return true
		}
	}
	return false
}

// find looks a name up in a store, below apex ("" for the whole tree):
// owner is the name, or the wildcard that synthesises it (RFC 4592: the
// wildcard child of the closest encloser); exists is false for NXDOMAIN.
func find(st recordStore, name, apex string) (owner string, recs []fabric.Record, exists bool) {
	if recs := st.records(name); len(recs) > 0 {
		return name, recs, true
	}
	if st.hasBelow(name) {
		return name, nil, true // empty non-terminal
	}
	for p := parent(name); p != ""; p = parent(p) {
		if apex != "" && !inZone(p, apex) {
			break
		}
		if recs := st.records("*." + p); len(recs) > 0 {
			return "*." + p, recs, true
		}
		if len(st.records(p)) > 0 || st.hasBelow(p) {
			break // closest encloser without a wildcard
		}
	}
	return name, nil, false
}

func parent(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// inZone reports whether a name is a zone or below it.
func inZone(name, zone string) bool {
	return name == zone || (len(name) > len(zone) && strings.HasSuffix(name, zone) && name[len(name)-len(zone)-1] == '.')
}

// relName returns a name relative to its zone ("@" for the apex).
func relName(zone, name string) string {
	if name == zone {
		return "@"
	}
	return strings.TrimSuffix(name, "."+zone)
}

// zoneSOA returns the SOA of a zone's apex, or nil.
func zoneSOA(z *fabric.Zone) mdns.RR {
	for _, rec := range z.Records["@"] {
		if strings.EqualFold(rec.Type, "SOA") {
			if rr, err := toRR(z.Name+".", rec); err == nil {
				return rr
			}
		}
	}
	return nil
}

// toRR builds an RR from a record in presentation form.
func toRR(owner string, rec fabric.Record) (mdns.RR, error) {
	t, ok := mdns.StringToType[strings.ToUpper(rec.Type)]
	if !ok {
		return nil, fmt.Errorf("unknown record type %s", rec.Type)
	}
	hdr := mdns.RR_Header{Name: owner, Rrtype: t, Class: mdns.ClassINET, Ttl: rec.TTL}
	v := strings.TrimSpace(rec.Value)
	switch t {
	case mdns.TypeA:
		ip, err := netip.ParseAddr(v)
		if err != nil || !ip.Is4() {
			return nil, fmt.Errorf("%q is not an IPv4 address", v)
		}
		return &mdns.A{Hdr: hdr, A: ip.AsSlice()}, nil
	case mdns.TypeAAAA:
		ip, err := netip.ParseAddr(v)
		if err != nil || !ip.Is6() || ip.Is4In6() {
			return nil, fmt.Errorf("%q is not an IPv6 address", v)
		}
		return &mdns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}, nil
	case mdns.TypeCNAME, mdns.TypePTR:
		target := strings.ToLower(mdns.Fqdn(v))
		if _, ok := mdns.IsDomainName(target); !ok || v == "" {
			return nil, fmt.Errorf("%q is not a domain name", v)
		}
		if t == mdns.TypeCNAME {
			return &mdns.CNAME{Hdr: hdr, Target: target}, nil
		}
		return &mdns.PTR{Hdr: hdr, Ptr: target}, nil
	}
	rr, err := mdns.NewRR(fmt.Sprintf("%s %d IN %s %s", owner, rec.TTL, mdns.TypeToString[t], v))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if rr == nil {
		return nil, errors.New("empty record")
	}
	return rr, nil
}

// summary renders RRs as "A 10.0.0.4, CNAME x.example.com.".
func summary(rrs []mdns.RR) string {
	parts := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		h := rr.Header()
		s := rr.String()
		// String is "owner\tTTL\tIN\tTYPE\tdata".
		if i := strings.Index(s, "\t"+mdns.TypeToString[h.Rrtype]+"\t"); i >= 0 {
			s = mdns.TypeToString[h.Rrtype] + " " + s[i+len(mdns.TypeToString[h.Rrtype])+2:]
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func typeName(t uint16) string {
	if s, ok := mdns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

func joinAddrs(as []netip.Addr) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}
