package path

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// Load balancing in the evaluator: a frontend's rule, a healthy backend
// chosen by the flow hash, and the Azure platform's health probes. See the
// package documentation ("Load balancers").

// HopTypeLoadBalancer is the hop of a load balancer frontend.
const HopTypeLoadBalancer = "LoadBalancer"

// Block kinds of load balancing.
const (
	// KindNoLoadBalancingRule: the frontend has no rule for the flow's
	// protocol and port (the load balancer drops it).
	KindNoLoadBalancingRule = "NoLoadBalancingRule"
	// KindEmptyBackendPool: the rule has no backend pool, or the pool no
	// member.
	KindEmptyBackendPool = "EmptyBackendPool"
	// KindUnhealthyBackends: every member of the pool fails the rule's
	// health probe.
	KindUnhealthyBackends = "UnhealthyBackends"
)

// defaultPlatformHost stands for fabric.PlatformHostID in snapshots that
// lack it.
var defaultPlatformHost = &fabric.Host{ID: fabric.PlatformHostID, Name: fabric.PlatformHostID, Kind: fabric.KindPlatform,
	Running: true, PublicAddr: fabric.AzurePlatformIP}

// haPorts reports whether r is an HA ports rule (protocol All, port 0).
func haPorts(r *fabric.LBRule) bool {
	return r.Protocol == fabric.ProtoAny && r.FrontendPort == 0
}

// matchRule picks the frontend's rule for proto/port: a rule for exactly
// that protocol and port, else one for any protocol on that port, else an
// HA ports rule.
func matchRule(fe *fabric.Frontend, proto fabric.Protocol, port int) *fabric.LBRule {
	var anyProto, ha *fabric.LBRule
	for _, r := range fe.Rules {
		switch {
		case haPorts(r):
			if ha == nil {
				ha = r
			}
		case r.FrontendPort != port:
		case strings.EqualFold(string(r.Protocol), string(proto)):
			return r
		case r.Protocol == fabric.ProtoAny && anyProto == nil:
			anyProto = r
		}
	}
	if anyProto != nil {
		return anyProto
	}
	return ha
}

// healthy reports whether member m answers probe p according to q.Health.
func (e *eval) healthy(m *fabric.BackendMember, p *fabric.Probe) bool {
	return p == nil || e.q.Health == nil || e.q.Health(m.Key, p.ID)
}

func probeDesc(p *fabric.Probe) string {
	d := p.Protocol + ":" + strconv.Itoa(p.Port)
	if p.Path != "" && !strings.EqualFold(p.Protocol, "Tcp") {
		d += p.Path
	}
	return d
}

// memberIPConfig is the IP configuration standing for a backend member:
// its own (NIC-based) or the one holding its address in its VNet.
func (e *eval) memberIPConfig(m *fabric.BackendMember) *fabric.IPConfig {
	if m.IPConfig != nil {
		return m.IPConfig
	}
	return e.s.IPConfigAt(m.VNet, m.Addr)
}

// balance carries the flow (source address src as the backend sees it)
// from frontend fe to one healthy backend of the matching rule's pool.
func (e *eval) balance(fe *fabric.Frontend, src netip.Addr) {
	addr := fe.PrivateIP
	if fe.PublicIP != nil {
		addr = fe.PublicIP.Addr
	}
	e.hop(HopTypeLoadBalancer, fe.ID, addr)
	lb := fe.LB
	lbName := ""
	if lb != nil {
		lbName = lb.Name
	}
	rule := matchRule(fe, e.proto, e.q.Port)
	if rule == nil {
		e.block(fabric.HostUnreachable, KindNoLoadBalancingRule, fe.ID,
			"load balancer %s frontend %s has no load-balancing rule for %s port %d, so it drops the flow",
			lbName, fe.Name, e.proto, e.q.Port)
		return
	}
	pool := rule.Pool
	if pool == nil || len(pool.Members) == 0 {
		id, name := rule.ID, "(none)"
		if pool != nil {
			id, name = pool.ID, pool.Name
		}
		e.block(fabric.HostUnreachable, KindEmptyBackendPool, id,
			"load balancer %s rule %s: backend pool %s has no members", lbName, rule.Name, name)
		return
	}
	var up []*fabric.BackendMember
	for _, m := range pool.Members {
		if e.healthy(m, rule.Probe) {
			up = append(up, m)
		}
	}
	if len(up) == 0 {
		e.block(fabric.HostUnreachable, KindUnhealthyBackends, rule.Probe.ID,
			"load balancer %s rule %s: all %d members of backend pool %s fail health probe %s (%s), so no backend takes new connections",
			lbName, rule.Name, len(pool.Members), pool.Name, rule.Probe.Name, probeDesc(rule.Probe))
		return
	}
	slices.SortFunc(up, func(a, b *fabric.BackendMember) int { return strings.Compare(a.Key, b.Key) })
	m := up[e.q.FlowHash%uint64(len(up))]
	e.v.Backend = m
	port := rule.BackendPort
	if haPorts(rule) || port == 0 {
		port = e.q.Port
	}
	dst := e.memberIPConfig(m)
	e.q.Dest, e.q.Port = m.Addr, port
	if dst == nil {
		e.hop(HopTypeDestination, "", m.Addr)
		vnet := ""
		if m.VNet != nil {
			vnet = m.VNet.Name
		}
		e.block(fabric.HostUnreachable, KindNoHost, pool.ID,
			"backend pool %s of load balancer %s lists %s, but no emulated host has that address in VNet %s", pool.Name, lbName, m.Addr, vnet)
		return
	}
	e.hop(HopTypeDestination, dst.ID, dst.PrivateIP)
	if fe.PublicIP != nil && lb != nil && strings.EqualFold(lb.SKU, "Standard") &&
		(dst.NIC == nil || dst.NIC.NSG == nil) && (dst.Subnet == nil || dst.Subnet.NSG == nil) {
		e.block(fabric.DeniedByNSG, KindPublicIPInbound, lb.ID,
			"Standard SKU load balancer %s is closed to inbound traffic unless a network security group on its backend %s allows it",
			lb.Name, dst.PrivateIP)
	}
	// With floating IP the backend receives the frontend address as the
	// destination (no DNAT): its NSGs see that address.
	nsgDst := dst.PrivateIP
	if rule.FloatingIP && addr.IsValid() {
		nsgDst, e.floating = addr, addr
	}
	e.nsgs(dst, fabric.Inbound, src, nsgDst)
	var h *fabric.Host
	if dst.NIC != nil {
		h = dst.NIC.Host
	}
	e.deliver(h, dst)
}

// fromPlatform evaluates a health probe from the Azure platform
// (168.63.129.16) to a load balancer backend member at q.Dest. The
// platform reaches members in every VNet directly (no routes), subject to
// the member's inbound NSGs. When several members share the address
// (overlapping VNets), q.SourceIPConfig may name the member's Key; else
// the lowest Key wins.
func (e *eval) fromPlatform(h *fabric.Host) {
	src := h.PublicAddr
	if !src.IsValid() {
		src = fabric.AzurePlatformIP
	}
	e.hop(HopTypeSource, "", src)
	e.v.TranslatedSource = src
	if !h.Running {
		e.block(fabric.SourceDown, KindHostStopped, hostResourceID(h), "%s is stopped (%s)", hostNoun(h), h.PowerState)
		return
	}
	var found *fabric.BackendMember
	want := strings.ToLower(e.q.SourceIPConfig)
	for _, lb := range e.s.LoadBalancers {
		for _, p := range lb.Pools {
			for _, m := range p.Members {
				if m.Addr != e.q.Dest || (want != "" && m.Key != want) {
					continue
				}
				if found == nil || m.Key < found.Key {
					found = m
				}
			}
		}
	}
	if found == nil {
		e.hop(HopTypeDestination, "", e.q.Dest)
		e.block(fabric.HostUnreachable, KindNoHost, "",
			"the Azure platform address %s reaches only load balancer backend pool members (health probes), and %s is not one", src, e.q.Dest)
		return
	}
	e.v.Backend = found
	dst := e.memberIPConfig(found)
	if dst == nil {
		e.hop(HopTypeDestination, "", e.q.Dest)
		e.block(fabric.HostUnreachable, KindNoHost, "", "no emulated host has backend address %s", e.q.Dest)
		return
	}
	e.hop(HopTypeDestination, dst.ID, dst.PrivateIP)
	e.nsgs(dst, fabric.Inbound, src, dst.PrivateIP)
	var host *fabric.Host
	if dst.NIC != nil {
		host = dst.NIC.Host
	}
	e.deliver(host, dst)
}
