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

// edits lists the one-step simplifications of t that keep VMs a and b.
func edits(t *Topology, a, b int) []edit {
	var out []edit
	hasVM := func(t *Topology, v *VNet, s *Subnet) bool {
		for _, m := range t.VMs {
			if (v != nil && m.Subnet.VNet == v) || (s != nil && m.Subnet == s) {
				return true
			}
		}
		return false
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
	a, b := slices.Index(top.VMs, m.from), slices.Index(top.VMs, m.to)
	cur, curM := top, &m
	attempts := 0
	for progress := true; progress && attempts < maxShrinkAttempts; {
		progress = false
		for _, ed := range edits(cur, a, b) {
			if attempts >= maxShrinkAttempts || ctx.Err() != nil {
				break
			}
			attempts++
			cand := cloneTop(cur)
			ed(cand)
			cand.prune()
			na, nb := indexByName(cand, m.from.Name), indexByName(cand, m.to.Name)
			ms, err := check(ctx, e, cand, func(x, y *VM, port int) bool {
				return x == cand.VMs[na] && y == cand.VMs[nb] && port == m.port
			})
			if err != nil || len(ms) == 0 {
				continue
			}
			cur, curM, a, b = cand, &ms[0], na, nb
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
		for k, ed := range edits(top, a, b) {
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
			if top.String() != orig {
				t.Fatalf("topology %d edit %d modified the original", i, k)
			}
		}
	}
}
