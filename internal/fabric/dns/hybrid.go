package dns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// Hybrid DNS: DNS Private Resolver inbound endpoints, forwarding rulesets
// and on-premises DNS servers with conditional forwarders.
//
// A query may cross several DNS servers: an on-premises host asks its
// site's DNS server, whose conditional forwarder sends it to a resolver's
// inbound endpoint, whose VNet's ruleset forwards it on... A chain carries
// one query across them. Every hop between two servers is a flow the path
// evaluator decides (UDP to the target's port), so NSGs, routes, peerings
// and gateways explain why a forwarder cannot reach its target.

// maxChainDepth bounds the DNS servers one query may cross in process.
const maxChainDepth = 8

// exchangeFunc sends a query to a real loopback DNS listener.
type exchangeFunc func(addr string, proto fabric.Protocol, name string, qtype uint16) (*mdns.Msg, string, error)

// chain is one query's path across DNS servers.
type chain struct {
	s    *fabric.Snapshot
	eval Evaluator
	// exchange asks real listeners (Server); nil in pure resolution.
	exchange exchangeFunc
	// visiting are the servers on the current path (loop detection).
	visiting []string
}

func newChain(s *fabric.Snapshot, eval Evaluator, ex exchangeFunc) *chain {
	if eval == nil {
		eval = path.Evaluate
	}
	return &chain{s: s, eval: eval, exchange: ex}
}

// OwnServers reports whether a host resolves through its own DNS servers
// (Host.DNSServers, or its on-premises site's DNS server) rather than its
// VNet's settings.
func OwnServers(h *fabric.Host) bool {
	if h == nil {
		return false
	}
	if len(h.DNSServers) > 0 {
		return true
	}
	return h.Kind == fabric.KindOnPrem
}

// enter pushes a server on the chain; it fails on a loop or when the chain
// is too long.
func (c *chain) enter(key, what string, a *Answer) bool {
	if slices.Contains(c.visiting, key) {
		a.Rcode = mdns.RcodeServerFailure
		a.fail("", fmt.Sprintf("%s: forwarding loop: the query came back to %s (SERVFAIL)", strings.TrimSuffix(a.Name, "."), what))
		return false
	}
	if len(c.visiting) >= maxChainDepth {
		a.Rcode = mdns.RcodeServerFailure
		a.fail("", fmt.Sprintf("%s: the query crossed %d DNS servers: forwarding loop (SERVFAIL)", strings.TrimSuffix(a.Name, "."), len(c.visiting)))
		return false
	}
	c.visiting = append(c.visiting, key)
	return true
}

func (c *chain) leave() { c.visiting = c.visiting[:len(c.visiting)-1] }

// host answers a host that uses its own DNS servers (an on-premises host).
func (c *chain) host(h *fabric.Host, name string, qtype uint16) Answer {
	a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype}
	n, err := canonical(name)
	if err != nil {
		a.Rcode = mdns.RcodeFormatError
		a.fail("", fmt.Sprintf("%q is not a valid domain name: %v (FORMERR)", name, err))
		return a
	}
	servers := h.DNSServers
	if len(servers) == 0 && h.Site != nil && h.Site.DNSServer.IsValid() {
		servers = []netip.Addr{h.Site.DNSServer}
	}
	if len(servers) == 0 {
		a.Rcode = mdns.RcodeServerFailure
		where := ""
		if h.Site != nil {
			where = fmt.Sprintf(" and site %s has no DNS server", h.Site.Name)
		}
		a.fail(h.ResourceID, fmt.Sprintf("%s: host %s has no DNS server%s (SERVFAIL)", n, h.Name, where))
		return a
	}
	var steps []string
	var failures []fabric.Block
	for _, ip := range servers {
		steps = append(steps, fmt.Sprintf("%s: host %s asks its DNS server %s", n, h.Name, ip))
		b, ok, fails := c.ask(h, netip.AddrPortFrom(ip, 53), name, qtype)
		if ok {
			b.Steps = append(steps, b.Steps...)
			return b
		}
		steps = append(steps, b.Steps...)
		failures = append(failures, fails...)
	}
	a.Steps = steps
	a.Blocks = failures
	a.Rcode = mdns.RcodeServerFailure
	a.fail(h.ResourceID, fmt.Sprintf("%s: no DNS server of host %s (%s) answered (SERVFAIL)", n, h.Name, joinAddrs(servers)))
	return a
}

// ask sends a query from src to a DNS server. ok is false when the server
// cannot be reached or does not answer; the answer's steps then say why
// and fails holds the blocks.
func (c *chain) ask(src *fabric.Host, target netip.AddrPort, name string, qtype uint16) (Answer, bool, []fabric.Block) {
	a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype}
	proto := fabric.UDP
	// The on-premises LAN is flat: a site's hosts reach its own DNS server
	// directly (the path evaluator decides flows that leave the site).
	if st := src.Site; st != nil && st.DNSServer.IsValid() && st.DNSServer == target.Addr() && target.Port() == 53 {
		return c.site(st, name, qtype), true, nil
	}
	v := c.eval(c.s, fabric.Query{Source: src.ID, Dest: target.Addr(), Protocol: proto, Port: int(target.Port())})
	if b, ok := c.fabricServer(target, v, name, qtype); ok {
		return b, true, nil
	}
	failed := func(id, reason string, extra ...fabric.Block) (Answer, bool, []fabric.Block) {
		a.Steps = append(a.Steps, reason)
		fails := append(slices.Clone(extra), fabric.Block{Kind: BlockKind, ResourceID: id, Reason: reason})
		return a, false, fails
	}
	if !v.Allowed() {
		return failed(src.ResourceID, fmt.Sprintf("DNS server %s is not reachable from %s over udp/%d: %s",
			target.Addr(), src.Name, target.Port(), verdictReasons(v)), v.Blocks...)
	}
	if v.TargetAddr == AzureDNSTarget {
		ic := src.PrimaryIPConfig()
		if ic == nil || ic.Subnet == nil || ic.Subnet.VNet == nil {
			return failed(src.ResourceID, fmt.Sprintf("%s is Azure-provided DNS, which answers only inside a virtual network, not %s", target.Addr(), src.Name))
		}
		// An outbound endpoint asking 168.63.129.16 gets its VNet's view
		// without the rulesets (they sent it there).
		b := c.azure(View{VNet: ic.Subnet.VNet, Direct: true, NoRulesets: src.Kind == fabric.KindDNSResolver}, name, qtype)
		b.Steps = append([]string{fmt.Sprintf("%s is Azure-provided DNS: it answers for vnet %s", target.Addr(), ic.Subnet.VNet.Name)}, b.Steps...)
		return b, true, nil
	}
	addr, err := netip.ParseAddrPort(v.TargetAddr)
	if err != nil || !addr.Addr().IsLoopback() {
		return failed(hostResourceID(v.TargetHost), fmt.Sprintf("DNS server %s answers no DNS on udp/%d (%q is not a DNS listener)",
			target.Addr(), target.Port(), v.TargetAddr))
	}
	if c.exchange == nil {
		return failed(hostResourceID(v.TargetHost), fmt.Sprintf("DNS server %s is the real listener %s: only the DNS server (privlink network dns query, the proxies) sends real queries",
			target.Addr(), addr))
	}
	resp, used, err := c.exchange(addr.String(), proto, name, qtype)
	if err != nil {
		return failed(hostResourceID(v.TargetHost), fmt.Sprintf("DNS server %s (listener %s) did not answer over %s: %v", target.Addr(), addr, used, err))
	}
	b := Answer{Name: a.Name, Qtype: qtype, Rcode: resp.Rcode, Answer: resp.Answer, Authority: resp.Ns, External: true}
	b.Steps = append(b.Steps, fmt.Sprintf("%s: DNS server %s (listener %s) answered over %s: %s%s",
		strings.TrimSuffix(a.Name, "."), target.Addr(), addr, used, mdns.RcodeToString[resp.Rcode], answerSuffix(resp.Answer)))
	if !answered(resp, qtype) {
		b.Blocks = append(b.Blocks, fabric.Block{Kind: BlockKind, ResourceID: hostResourceID(v.TargetHost),
			Reason: fmt.Sprintf("DNS server %s answered %s with no %s record", target.Addr(), mdns.RcodeToString[resp.Rcode], typeName(qtype))})
	}
	return b, true, nil
}

// fabricServer answers in process when the query reached a DNS server the
// fabric emulates (port 53 is fabric.FabricDNSTarget): a resolver inbound
// endpoint, or an on-premises site's DNS server.
func (c *chain) fabricServer(target netip.AddrPort, v fabric.Verdict, name string, qtype uint16) (Answer, bool) {
	if !v.Allowed() || v.TargetAddr != fabric.FabricDNSTarget || v.TargetHost == nil {
		return Answer{}, false
	}
	if ep := c.s.InboundEndpointOf(v.TargetHost); ep != nil {
		return c.inbound(ep, target.Addr(), name, qtype), true
	}
	if st := v.TargetHost.Site; st != nil && st.DNSHost == v.TargetHost {
		return c.site(st, name, qtype), true
	}
	return Answer{}, false
}

// inbound answers a query that reached a resolver's inbound endpoint: the
// resolver VNet's Azure-provided DNS, its linked rulesets first.
func (c *chain) inbound(ep *fabric.InboundEndpoint, addr netip.Addr, name string, qtype uint16) Answer {
	a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype}
	res := ep.Resolver
	if !c.enter("resolver:"+res.ID, "inbound endpoint "+ep.Name+" of resolver "+res.Name, &a) {
		return a
	}
	defer c.leave()
	if res.VNet == nil {
		a.Rcode = mdns.RcodeServerFailure
		a.fail(res.ID, fmt.Sprintf("resolver %s has no virtual network (SERVFAIL)", res.Name))
		return a
	}
	b := c.azure(View{VNet: res.VNet, Direct: true, Resolver: res}, name, qtype)
	b.Steps = append([]string{fmt.Sprintf("%s: inbound endpoint %s (%s) of resolver %s answers with the Azure-provided DNS of vnet %s",
		strings.TrimSuffix(b.Name, "."), ep.Name, addr, res.Name, res.VNet.Name)}, b.Steps...)
	return b
}

// site answers a query that reached an on-premises site's DNS server:
// its longest matching conditional forwarder, else public DNS.
func (c *chain) site(st *fabric.Site, name string, qtype uint16) Answer {
	a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype}
	n, err := canonical(name)
	if err != nil {
		a.Rcode = mdns.RcodeFormatError
		a.fail("", fmt.Sprintf("%q is not a valid domain name: %v (FORMERR)", name, err))
		return a
	}
	if !c.enter("site:"+st.ID, "the DNS server of site "+st.Name, &a) {
		return a
	}
	defer c.leave()
	var fw *fabric.DNSForwarder
	for i := range st.Forwarders {
		f := &st.Forwarders[i]
		d := strings.ToLower(strings.Trim(f.Domain, "."))
		if !fabric.DomainMatches(n, d) {
			continue
		}
		if fw == nil || len(d) > len(strings.Trim(fw.Domain, ".")) {
			fw = f
		}
	}
	server := fmt.Sprintf("DNS server %s of site %s", st.DNSServer, st.Name)
	if fw != nil {
		dom := domainText(fw.Domain)
		if st.DNSHost == nil {
			a.Rcode = mdns.RcodeServerFailure
			a.fail(st.ID, fmt.Sprintf("%s: site %s has no DNS host to forward from (SERVFAIL)", n, st.Name))
			return a
		}
		b := c.forward([]*fabric.Host{st.DNSHost}, fw.Targets, name, qtype, fw.ID,
			fmt.Sprintf("conditional forwarder %s of the %s", dom, server))
		b.Steps = append([]string{fmt.Sprintf("%s: %s: conditional forwarder %s -> %s", n, server, dom, joinAddrPorts(fw.Targets))}, b.Steps...)
		return b
	}
	r := &resolver{s: c.s, v: View{Internet: true}, a: Answer{Name: n + ".", Qtype: qtype}, c: c}
	r.step("%s: %s: no conditional forwarder covers the name: public DNS answers", n, server)
	r.run(n)
	// The classic mistake: a forwarder for the privatelink zone only.
	for _, rr := range r.a.Answer {
		cn, ok := rr.(*mdns.CNAME)
		if !ok {
			continue
		}
		t := strings.ToLower(strings.TrimSuffix(cn.Target, "."))
		for _, f := range st.Forwarders {
			d := strings.ToLower(strings.Trim(f.Domain, "."))
			if d == "" || !fabric.DomainMatches(t, d) {
				continue
			}
			reason := fmt.Sprintf("%s: the conditional forwarder %s of site %s covers only the %s zone: %s is not forwarded, so public DNS answers it and its CNAME %s is followed in public DNS, never reaching Azure; forward the public zone %s instead",
				n, domainText(f.Domain), st.Name, d, n, t, publicZoneHint(n, d))
			r.step("%s", reason)
			if !r.resolved() {
				r.a.Blocks = append(r.a.Blocks, fabric.Block{Kind: BlockKind, ResourceID: f.ID, Reason: reason})
			}
		}
	}
	return r.a
}

// publicZoneHint is the public zone a privatelink forwarder should have
// been: the longest common suffix of the name and the forwarder's domain.
func publicZoneHint(name, domain string) string {
	nl := strings.Split(name, ".")
	dl := strings.Split(domain, ".")
	var common []string
	for i, j := len(nl)-1, len(dl)-1; i >= 0 && j >= 0 && nl[i] == dl[j]; i, j = i-1, j-1 {
		common = append([]string{nl[i]}, common...)
	}
	if len(common) == 0 {
		return name
	}
	return strings.Join(common, ".")
}

// forwardRule applies the forwarding rulesets linked to the view's VNet
// to one name of the chain: the enabled rule with the longest matching
// domain forwards it to its targets from the ruleset's outbound
// endpoints. ok is false when no enabled rule matches.
func (r *resolver) forwardRule(name string) (result, bool) {
	rule, disabled := r.s.MatchRule(r.v.VNet, name)
	for _, d := range disabled {
		r.step("%s: rule %s (%s) of ruleset %s is Disabled: not applied", name, d.Name, domainText(d.Domain), d.Ruleset.Name)
	}
	if rule == nil {
		return result{}, false
	}
	rs := rule.Ruleset
	var srcs []*fabric.Host
	for _, o := range rs.Outbound {
		if o.Host != nil {
			srcs = append(srcs, o.Host)
		}
	}
	r.step("%s: ruleset %s linked to vnet %s: rule %s (%s) forwards to %s", name, rs.Name, r.v.VNet.Name,
		rule.Name, domainText(rule.Domain), joinAddrPorts(rule.Targets))
	b := r.c.forward(srcs, rule.Targets, name, r.a.Qtype, rule.ID, fmt.Sprintf("rule %s of ruleset %s", rule.Name, rs.Name))
	r.a.Steps = append(r.a.Steps, b.Steps...)
	if b.External {
		r.a.External = true
	}
	res := result{rrs: b.Answer, rcode: b.Rcode}
	if len(b.Authority) > 0 {
		res.soa = b.Authority[0]
	}
	if !answerHas(b, r.a.Qtype) {
		r.hints = append(r.hints, b.Blocks...)
	}
	return res, true
}

// forward sends a query to targets in order, from the first source host
// (an outbound endpoint, a site's DNS host), and returns the first
// answer; SERVFAIL naming every failure when none answers.
func (c *chain) forward(srcs []*fabric.Host, targets []netip.AddrPort, name string, qtype uint16, ruleID, who string) Answer {
	a := Answer{Name: mdns.Fqdn(strings.ToLower(name)), Qtype: qtype}
	n := strings.TrimSuffix(a.Name, ".")
	if len(srcs) == 0 {
		a.Rcode = mdns.RcodeServerFailure
		a.fail(ruleID, fmt.Sprintf("%s: %s: the ruleset has no outbound endpoint to send the query from (SERVFAIL)", n, who))
		return a
	}
	if len(targets) == 0 {
		a.Rcode = mdns.RcodeServerFailure
		a.fail(ruleID, fmt.Sprintf("%s: %s has no target DNS server (SERVFAIL)", n, who))
		return a
	}
	src := srcs[0]
	var failures []fabric.Block
	for _, t := range targets {
		b, ok, fails := c.ask(src, t, name, qtype)
		if ok {
			b.Steps = append(a.Steps, b.Steps...)
			return b
		}
		a.Steps = append(a.Steps, b.Steps...)
		failures = append(failures, fails...)
	}
	a.Blocks = failures
	a.Rcode = mdns.RcodeServerFailure
	a.fail(ruleID, fmt.Sprintf("%s: %s: no target DNS server (%s) answered from %s (SERVFAIL)", n, who, joinAddrPorts(targets), src.Name))
	return a
}

// answerHas reports whether an answer holds records of the asked type.
func answerHas(a Answer, qtype uint16) bool {
	if a.Rcode != mdns.RcodeSuccess {
		return false
	}
	for _, rr := range a.Answer {
		if qtype == mdns.TypeANY || rr.Header().Rrtype == qtype {
			return true
		}
	}
	return false
}

func domainText(d string) string {
	d = strings.ToLower(strings.Trim(d, "."))
	return d + "."
}

func joinAddrPorts(ts []netip.AddrPort) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		if t.Port() == 53 {
			parts[i] = t.Addr().String()
		} else {
			parts[i] = t.String()
		}
	}
	return strings.Join(parts, ", ")
}
