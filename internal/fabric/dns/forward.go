package dns

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// forward sends a query to the first reachable custom DNS server of the
// view's VNet (a.ForwardTo) and relays its reply.
func (s *Server) forward(ctx context.Context, snap *fabric.Snapshot, v View, src *fabric.Host, req *mdns.Msg, proto fabric.Protocol, inProcess bool, a Answer) (*mdns.Msg, Answer) {
	vnet := v.VNet
	servfail := func(resourceID, reason string) (*mdns.Msg, Answer) {
		a.Rcode = mdns.RcodeServerFailure
		a.fail(resourceID, reason)
		return reply(req, a), a
	}
	if src == nil {
		src = vantageHost(snap, vnet)
		if src == nil {
			return servfail(vnet.ID, fmt.Sprintf("vnet %s has no running VM to send the query to its custom DNS servers %s (SERVFAIL)",
				vnet.Name, joinAddrs(a.ForwardTo)))
		}
		a.Steps = append(a.Steps, fmt.Sprintf("the query is sent from %s, a running VM of vnet %s", src.Name, vnet.Name))
	}
	if s.eval == nil {
		return servfail(vnet.ID, "no path evaluator is configured: the custom DNS servers cannot be reached (SERVFAIL)")
	}
	var failures []fabric.Block
	c := s.chain(ctx, snap, req, inProcess)
	for _, ip := range a.ForwardTo {
		verdict := s.eval(snap, fabric.Query{Source: src.ID, Dest: ip, Protocol: proto, Port: 53})
		// A resolver inbound endpoint or an emulated on-premises DNS
		// server answers in process.
		if b, ok := c.fabricServer(netip.AddrPortFrom(ip, 53), verdict, req.Question[0].Name, req.Question[0].Qtype); ok {
			b.Steps = append(append(slices.Clone(a.Steps),
				fmt.Sprintf("custom DNS server %s of vnet %s is answered by the fabric", ip, vnet.Name)), b.Steps...)
			b.ForwardTo = a.ForwardTo
			return reply(req, b), b
		}
		if !verdict.Allowed() {
			reason := fmt.Sprintf("custom DNS server %s is not reachable from %s over %s/53: %s",
				ip, src.Name, strings.ToLower(string(proto)), verdictReasons(verdict))
			a.Steps = append(a.Steps, reason)
			failures = append(failures, verdict.Blocks...)
			failures = append(failures, fabric.Block{Kind: BlockKind, ResourceID: vnet.ID, Reason: reason})
			continue
		}
		if verdict.TargetAddr == AzureDNSTarget {
			b := ResolveFrom(snap, View{VNet: vnet, Host: v.Host, Direct: true}, req.Question[0].Name, req.Question[0].Qtype)
			b.Steps = append(append(a.Steps,
				fmt.Sprintf("custom DNS server %s is Azure-provided DNS: it answers for vnet %s", ip, vnet.Name)), b.Steps...)
			b.ForwardTo = a.ForwardTo
			return reply(req, b), b
		}
		target, err := netip.ParseAddrPort(verdict.TargetAddr)
		if err != nil || !target.Addr().IsLoopback() {
			reason := fmt.Sprintf("custom DNS server %s answers no DNS on %s/53 (%q is not a DNS listener)",
				ip, strings.ToLower(string(proto)), verdict.TargetAddr)
			a.Steps = append(a.Steps, reason)
			failures = append(failures, fabric.Block{Kind: BlockKind, ResourceID: hostResourceID(verdict.TargetHost), Reason: reason})
			continue
		}
		resp, used, err := s.exchangeUpstream(ctx, req, target.String(), proto, inProcess)
		if err == nil && resp.Truncated && inProcess && proto == fabric.UDP {
			// The reply crosses no UDP socket here: ask again over TCP,
			// as a stub resolver would, if TCP/53 is let through.
			tv := s.eval(snap, fabric.Query{Source: src.ID, Dest: ip, Protocol: fabric.TCP, Port: 53})
			if tt, terr := netip.ParseAddrPort(tv.TargetAddr); tv.Allowed() && terr == nil && tt.Addr().IsLoopback() {
				if r2, u2, err2 := s.exchangeUpstream(ctx, req, tt.String(), fabric.TCP, inProcess); err2 == nil {
					resp, used, target = r2, u2, tt
				}
			} else {
				a.Steps = append(a.Steps, fmt.Sprintf("custom DNS server %s truncated its UDP reply and is not reachable over tcp/53: %s",
					ip, verdictReasons(tv)))
			}
		}
		if err != nil {
			reason := fmt.Sprintf("custom DNS server %s (listener %s) did not answer over %s: %v",
				ip, target, strings.ToLower(string(proto)), err)
			a.Steps = append(a.Steps, reason)
			failures = append(failures, fabric.Block{Kind: BlockKind, ResourceID: hostResourceID(verdict.TargetHost), Reason: reason})
			continue
		}
		b := Answer{Name: a.Name, Qtype: a.Qtype, Rcode: resp.Rcode, Answer: resp.Answer, Authority: resp.Ns,
			Steps: a.Steps, ForwardTo: a.ForwardTo}
		b.Steps = append(b.Steps, fmt.Sprintf("%s: forwarded to custom DNS server %s (listener %s) over %s: %s%s",
			strings.TrimSuffix(a.Name, "."), ip, target, used, mdns.RcodeToString[resp.Rcode], answerSuffix(resp.Answer)))
		if !answered(resp, a.Qtype) {
			b.Blocks = append(b.Blocks, fabric.Block{Kind: BlockKind, ResourceID: hostResourceID(verdict.TargetHost),
				Reason: fmt.Sprintf("custom DNS server %s answered %s with no %s record", ip, mdns.RcodeToString[resp.Rcode], typeName(a.Qtype))})
		}
		return resp, b
	}
	a.Blocks = append(a.Blocks, failures...)
	return servfail(vnet.ID, fmt.Sprintf("no custom DNS server of vnet %s (%s) answered (SERVFAIL)", vnet.Name, joinAddrs(a.ForwardTo)))
}

// exchangeUpstream sends a copy of req to a loopback DNS server and
// returns its reply with req's ID, question and EDNS0 state restored.
func (s *Server) exchangeUpstream(ctx context.Context, req *mdns.Msg, addr string, proto fabric.Protocol, inProcess bool) (*mdns.Msg, string, error) {
	m := req.Copy()
	m.Id = mdns.Id()
	hadOpt := req.IsEdns0() != nil
	opt := m.IsEdns0()
	if opt == nil {
		size := uint16(mdns.MinMsgSize)
		if inProcess {
			size = advertisedUDPSize
		}
		m.SetEdns0(size, false)
		opt = m.IsEdns0()
	}
	n := hops(req)
	opt.Option = append(withoutHop(opt.Option), &mdns.EDNS0_LOCAL{Code: hopOption, Data: []byte{byte(n + 1)}})
	network := "udp"
	if proto == fabric.TCP {
		network = "tcp"
	}
	c := &mdns.Client{Net: network, Timeout: s.timeout}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	resp, _, err := c.ExchangeContext(ctx, m, addr)
	if err != nil {
		return nil, network, fmt.Errorf("exchange with %s: %w", addr, err)
	}
	resp.Id = req.Id
	resp.Question = req.Question
	if o := resp.IsEdns0(); o != nil {
		if hadOpt {
			o.Option = withoutHop(o.Option)
		} else {
			extra := resp.Extra[:0:0]
			for _, rr := range resp.Extra {
				if rr.Header().Rrtype != mdns.TypeOPT {
					extra = append(extra, rr)
				}
			}
			resp.Extra = extra
		}
	}
	return resp, network, nil
}

func withoutHop(opts []mdns.EDNS0) []mdns.EDNS0 {
	out := opts[:0:0]
	for _, o := range opts {
		if l, ok := o.(*mdns.EDNS0_LOCAL); ok && l.Code == hopOption {
			continue
		}
		out = append(out, o)
	}
	return out
}

// vantageHost returns a running host of a VNet (lowest ID), or nil.
func vantageHost(snap *fabric.Snapshot, vnet *fabric.VNet) *fabric.Host {
	for _, h := range sortedHosts(snap) {
		if !h.Running || h.Kind == fabric.KindInternet || h.Kind == fabric.KindDNSResolver {
			continue
		}
		if c := h.PrimaryIPConfig(); c != nil && c.Subnet != nil && c.Subnet.VNet != nil && c.Subnet.VNet.ID == vnet.ID {
			return h
		}
	}
	return nil
}

// verdictReasons joins a verdict's block reasons (its outcome if none).
func verdictReasons(v fabric.Verdict) string {
	if len(v.Blocks) == 0 {
		return string(v.Outcome)
	}
	rs := make([]string, len(v.Blocks))
	for i, b := range v.Blocks {
		rs[i] = b.Reason
	}
	return strings.Join(rs, "; ")
}

func hostResourceID(h *fabric.Host) string {
	if h == nil {
		return ""
	}
	return h.ResourceID
}

// answered reports whether a reply holds records of the asked type.
func answered(m *mdns.Msg, qtype uint16) bool {
	if m.Rcode != mdns.RcodeSuccess {
		return false
	}
	for _, rr := range m.Answer {
		if qtype == mdns.TypeANY || rr.Header().Rrtype == qtype {
			return true
		}
	}
	return false
}

func answerSuffix(rrs []mdns.RR) string {
	if len(rrs) == 0 {
		return ""
	}
	return " -> " + summary(rrs)
}
