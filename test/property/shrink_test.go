package property_test

import (
	"context"
	"slices"
	"testing"
)

// maxShrinkAttempts bounds the live re-checks spent on shrinking one
// failure.
const maxShrinkAttempts = 60

// cloneTop deep-copies a topology; the VMs keep their order.
func cloneTop(t *Topology) *Topology {
	c := &Topology{Index: t.Index}
	vnets := map[*VNet]*VNet{}
	subnets := map[*Subnet]*Subnet{}
	nsgs := map[*NSG]*NSG{}
	rts := map[*RouteTable]*RouteTable{}
	for _, n := range t.NSGs {
		nn := &NSG{Name: n.Name, Rules: slices.Clone(n.Rules)}
		nsgs[n] = nn
		c.NSGs = append(c.NSGs, nn)
	}
	for _, r := range t.RouteTables {
		nr := &RouteTable{Name: r.Name, Routes: slices.Clone(r.Routes)}
		rts[r] = nr
		c.RouteTables = append(c.RouteTables, nr)
	}
	for _, v := range t.VNets {
		nv := &VNet{Name: v.Name, Prefix: v.Prefix}
		vnets[v] = nv
		for _, s := range v.Subnets {
			ns := &Subnet{Name: s.Name, VNet: nv, Prefix: s.Prefix, NSG: nsgs[s.NSG], RouteTable: rts[s.RouteTable]}
			subnets[s] = ns
			nv.Subnets = append(nv.Subnets, ns)
		}
		c.VNets = append(c.VNets, nv)
	}
	for _, p := range t.Peerings {
		c.Peerings = append(c.Peerings, &Peering{Name: p.Name, Local: vnets[p.Local], Remote: vnets[p.Remote], AllowAccess: p.AllowAccess})
	}
	for _, m := range t.VMs {
		c.VMs = append(c.VMs, &VM{Name: m.Name, Subnet: subnets[m.Subnet], IP: m.IP, NICNSG: nsgs[m.NICNSG],
			Power: m.Power, Listeners: slices.Clone(m.Listeners)})
	}
	if pl := t.PL; pl != nil {
		nv := &VNet{Name: pl.VNet.Name, Prefix: pl.VNet.Prefix}
		for _, s := range pl.VNet.Subnets {
			ns := &Subnet{Name: s.Name, VNet: nv, Prefix: s.Prefix}
			subnets[s] = ns
			nv.Subnets = append(nv.Subnets, ns)
		}
		c.PL = &PrivateLink{VNet: nv, FrontendIP: pl.FrontendIP, FrontendPort: pl.FrontendPort, BackendPort: pl.BackendPort,
			NATIPs: slices.Clone(pl.NATIPs), AutoApproval: pl.AutoApproval}
		for _, b := range pl.Backends {
			c.PL.Backends = append(c.PL.Backends, &VM{Name: b.Name, Subnet: subnets[b.Subnet], IP: b.IP, Power: b.Power,
				Listeners: slices.Clone(b.Listeners)})
		}
	}
	for _, e := range t.Endpoints {
		c.Endpoints = append(c.Endpoints, &Endpoint{Name: e.Name, Subnet: subnets[e.Subnet], IP: e.IP, Manual: e.Manual, Action: e.Action})
	}
	return c
}

// prune drops NSGs and route tables nothing uses any more.
func (t *Topology) prune() {
	usedN := map[*NSG]bool{}
	usedR := map[*RouteTable]bool{}
	for _, v := range t.VNets {
		for _, s := range v.Subnets {
			usedN[s.NSG] = true
			usedR[s.RouteTable] = true
		}
	}
	for _, m := range t.VMs {
		usedN[m.NICNSG] = true
	}
	t.NSGs = slices.DeleteFunc(t.NSGs, func(n *NSG) bool { return !usedN[n] })
	t.RouteTables = slices.DeleteFunc(t.RouteTables, func(r *RouteTable) bool { return !usedR[r] })
}

// edit simplifies a clone in place; a and b are the probe's VM indexes.
type edit func(t *Topology)

// edits lists the one-step simplifications of t that keep VM a and the
// probe's destination: VM b, or (b < 0) endpoint ep.
func edits(t *Topology, a, b, ep int) []edit {
	var out []edit
	hasVM := func(t *Topology, v *VNet, s *Subnet) bool {
		for _, m := range t.VMs {
			if (v != nil && m.Subnet.VNet == v) || (s != nil && m.Subnet == s) {
				return true
			}
		}
		for _, e := range t.Endpoints {
			if (v != nil && e.Subnet.VNet == v) || (s != nil && e.Subnet == s) {
				return true
			}
		}
		return false
	}
	if t.PL != nil {
		if b >= 0 {
			out = append(out, func(t *Topology) { t.PL, t.Endpoints = nil, nil })
		}
		for i := range t.Endpoints {
			if i != ep {
				out = append(out, func(t *Topology) { t.Endpoints = slices.Delete(t.Endpoints, i, i+1) })
			}
		}
		if len(t.PL.Backends) > 1 {
			out = append(out, func(t *Topology) { t.PL.Backends = t.PL.Backends[:1] })
		}
		if len(t.PL.NATIPs) > 1 {
			out = append(out, func(t *Topology) { t.PL.NATIPs = t.PL.NATIPs[:1] })
		}
		if t.PL.AutoApproval {
			out = append(out, func(t *Topology) { t.PL.AutoApproval = false })
		}
	}
	for i := range t.VMs {
		if i != a && i != b {
			out = append(out, func(t *Topology) { t.VMs = slices.Delete(t.VMs, i, i+1) })
		}
	}
	for i, v := range t.VNets {
		if !hasVM(t, v, nil) {
			out = append(out, func(t *Topology) {
				gone := t.VNets[i]
				t.VNets = slices.Delete(t.VNets, i, i+1)
				t.Peerings = slices.DeleteFunc(t.Peerings, func(p *Peering) bool { return p.Local == gone || p.Remote == gone })
			})
		}
		for j, s := range v.Subnets {
			if len(v.Subnets) > 1 && !hasVM(t, nil, s) {
				out = append(out, func(t *Topology) { t.VNets[i].Subnets = slices.Delete(t.VNets[i].Subnets, j, j+1) })
			}
			if s.NSG != nil {
				out = append(out, func(t *Topology) { t.VNets[i].Subnets[j].NSG = nil })
			}
			if s.RouteTable != nil {
				out = append(out, func(t *Topology) { t.VNets[i].Subnets[j].RouteTable = nil })
			}
		}
	}
	for i := range t.Peerings {
		out = append(out, func(t *Topology) { t.Peerings = slices.Delete(t.Peerings, i, i+1) })
	}
	for i, n := range t.NSGs {
		for j := range n.Rules {
			out = append(out, func(t *Topology) { t.NSGs[i].Rules = slices.Delete(t.NSGs[i].Rules, j, j+1) })
		}
	}
	for i, r := range t.RouteTables {
		if len(r.Routes) > 1 {
			for j := range r.Routes {
				out = append(out, func(t *Topology) { t.RouteTables[i].Routes = slices.Delete(t.RouteTables[i].Routes, j, j+1) })
			}
		}
	}
	for i, m := range t.VMs {
		if m.NICNSG != nil {
			out = append(out, func(t *Topology) { t.VMs[i].NICNSG = nil })
		}
		for j := range m.Listeners {
			out = append(out, func(t *Topology) { t.VMs[i].Listeners = slices.Delete(t.VMs[i].Listeners, j, j+1) })
		}
	}
	return out
}

// shrink looks for a smaller topology on which the same probe (same
// source and destination VM, same port) still disagrees with the model,
// greedily applying one simplification at a time.
func shrink(ctx context.Context, e *env, top *Topology, m mismatch) (*Topology, *mismatch) {
	a, b, k := slices.Index(top.VMs, m.from), -1, -1
	if m.ep != nil {
		k = slices.Index(top.Endpoints, m.ep)
	} else {
		b = slices.Index(top.VMs, m.to)
	}
	cur, curM := top, &m
	attempts := 0
	for progress := true; progress && attempts < maxShrinkAttempts; {
		progress = false
		for _, ed := range edits(cur, a, b, k) {
			if attempts >= maxShrinkAttempts || ctx.Err() != nil {
				break
			}
			attempts++
			cand := cloneTop(cur)
			ed(cand)
			cand.prune()
			na, nb, nk := indexByName(cand, m.from.Name), -1, -1
			if m.ep != nil {
				nk = slices.IndexFunc(cand.Endpoints, func(x *Endpoint) bool { return x.Name == m.ep.Name })
			} else {
				nb = indexByName(cand, m.to.Name)
			}
			ms, err := check(ctx, e, cand, func(x *VM, to target, port int) bool {
				if x != cand.VMs[na] || port != m.port {
					return false
				}
				if nk >= 0 {
					return to.ep == cand.Endpoints[nk]
				}
				return to.vm == cand.VMs[nb]
			}, nil)
			if err != nil || len(ms) == 0 {
				continue
			}
			cur, curM, a, b, k = cand, &ms[0], na, nb, nk
			progress = true
			break
		}
	}
	if cur == top {
		return nil, nil
	}
	return cur, curM
}

func indexByName(t *Topology, name string) int {
	return slices.IndexFunc(t.VMs, func(m *VM) bool { return m.Name == name })
}

func TestShrinkEditsKeepTopologiesValid(t *testing.T) {
	for i := range 50 {
		top := Generate(7, i)
		orig := top.String()
		a, b := 0, 1
		for k, ed := range edits(top, a, b, -1) {
			c := cloneTop(top)
			if c.String() != top.String() {
				t.Fatalf("clone differs:\n%s\n%s", c, top)
			}
			ed(c)
			c.prune()
			if c.String() == top.String() {
				t.Fatalf("topology %d edit %d changed nothing", i, k)
			}
			if c.VMs[a].Name != top.VMs[a].Name || c.VMs[b].Name != top.VMs[b].Name {
				t.Fatalf("topology %d edit %d lost a probe VM", i, k)
			}
			for _, m := range c.VMs {
				if !slices.Contains(c.VNets, m.Subnet.VNet) || !slices.Contains(m.Subnet.VNet.Subnets, m.Subnet) {
					t.Fatalf("topology %d edit %d left VM %s in a removed subnet", i, k, m.Name)
				}
				if m.NICNSG != nil && !slices.Contains(c.NSGs, m.NICNSG) {
					t.Fatalf("topology %d edit %d dropped a used NSG", i, k)
				}
			}
			for _, p := range c.Peerings {
				if !slices.Contains(c.VNets, p.Local) || !slices.Contains(c.VNets, p.Remote) {
					t.Fatalf("topology %d edit %d left a dangling peering", i, k)
				}
			}
			for _, e := range c.Endpoints {
				if c.PL == nil || !slices.Contains(c.VNets, e.Subnet.VNet) || !slices.Contains(e.Subnet.VNet.Subnets, e.Subnet) {
					t.Fatalf("topology %d edit %d left endpoint %s without its service or subnet", i, k, e.Name)
				}
			}
			if top.String() != orig {
				t.Fatalf("topology %d edit %d modified the original", i, k)
			}
		}
	}
}

func TestShrinkEditsKeepEndpointProbes(t *testing.T) {
	seen := 0
	for i := range 200 {
		top := Generate(7, i)
		if top.PL == nil {
			continue
		}
		seen++
		ep := len(top.Endpoints) - 1
		for k, ed := range edits(top, 0, -1, ep) {
			c := cloneTop(top)
			ed(c)
			c.prune()
			if c.String() == top.String() {
				t.Fatalf("topology %d edit %d changed nothing", i, k)
			}
			if c.PL == nil || c.VMs[0].Name != top.VMs[0].Name || !slices.ContainsFunc(c.Endpoints, func(e *Endpoint) bool {
				return e.Name == top.Endpoints[ep].Name
			}) {
				t.Fatalf("topology %d edit %d lost the probe's source, service or endpoint:\n%s", i, k, c)
			}
			for _, e := range c.Endpoints {
				if !slices.Contains(c.VNets, e.Subnet.VNet) || !slices.Contains(e.Subnet.VNet.Subnets, e.Subnet) {
					t.Fatalf("topology %d edit %d left endpoint %s in a removed subnet", i, k, e.Name)
				}
			}
			for _, b := range c.PL.Backends {
				if b.Subnet != c.PL.VNet.Subnets[0] {
					t.Fatalf("topology %d edit %d: backend %s outside the clone's provider VNet", i, k, b.Name)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no topology with Private Link among 200")
	}
}
