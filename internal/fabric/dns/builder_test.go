package dns

import (
	"net/netip"
	"strings"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// topo builds hand-made snapshots.
type topo struct{ s *fabric.Snapshot }

const rgID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg"

func newTopo() *topo {
	s := &fabric.Snapshot{
		VNets: map[string]*fabric.VNet{}, Subnets: map[string]*fabric.Subnet{}, NICs: map[string]*fabric.NIC{},
		Hosts: map[string]*fabric.Host{}, Zones: map[string]*fabric.Zone{}, PublicRecords: map[string][]fabric.Record{},
	}
	s.Hosts[fabric.InternetHostID] = &fabric.Host{ID: fabric.InternetHostID, Name: "internet", Kind: fabric.KindInternet,
		Running: true, PublicAddr: fabric.InternetHostIP}
	return &topo{s: s}
}

func (t *topo) vnet(name, prefix string, dnsServers ...string) *fabric.VNet {
	id := rgID + "/providers/Microsoft.Network/virtualNetworks/" + name
	v := &fabric.VNet{ID: strings.ToLower(id), Name: name, Location: "eastus",
		Prefixes:             []netip.Prefix{netip.MustParsePrefix(prefix)},
		InternalDomainSuffix: name + "abcdefghijklmnopq.bx.internal.cloudapp.net"}
	for _, d := range dnsServers {
		v.DNSServers = append(v.DNSServers, netip.MustParseAddr(d))
	}
	sn := &fabric.Subnet{ID: v.ID + "/subnets/default", Name: "default", VNet: v, Prefixes: v.Prefixes, DefaultOutboundAccess: true}
	v.Subnets = []*fabric.Subnet{sn}
	t.s.VNets[v.ID] = v
	t.s.Subnets[sn.ID] = sn
	return v
}

// vm adds a running VM with one NIC in the VNet's subnet; ips are its IP
// configurations' private addresses, the first one primary.
func (t *topo) vm(name string, v *fabric.VNet, ips ...string) *fabric.Host {
	rid := rgID + "/providers/Microsoft.Compute/virtualMachines/" + name
	h := &fabric.Host{ID: strings.ToLower(rid), Name: name, ResourceID: rid, ResourceGroup: "rg", Kind: fabric.KindVM,
		Running: true, PowerState: "PowerState/running", ComputerName: name}
	nic := &fabric.NIC{ID: strings.ToLower(rgID + "/providers/Microsoft.Network/networkInterfaces/" + name + "-nic"), Name: name + "-nic", Host: h}
	for i, ip := range ips {
		nic.IPConfigs = append(nic.IPConfigs, &fabric.IPConfig{ID: nic.ID + "/ipconfigurations/ipconfig" + string(rune('1'+i)),
			Name: "ipconfig", NIC: nic, Subnet: v.Subnets[0], PrivateIP: netip.MustParseAddr(ip), Primary: i == 0})
	}
	h.NICs = []*fabric.NIC{nic}
	t.s.NICs[nic.ID] = nic
	t.s.Hosts[h.ID] = h
	return h
}

// zone adds a private DNS zone with Azure's default SOA.
func (t *topo) zone(name string) *fabric.Zone {
	id := strings.ToLower(rgID + "/providers/Microsoft.Network/privateDnsZones/" + name)
	z := &fabric.Zone{ID: id, Name: name, Records: map[string][]fabric.Record{
		"@": {{Type: "SOA", TTL: 3600, Value: "azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"}},
	}}
	t.s.Zones[id] = z
	return z
}

func (t *topo) link(z *fabric.Zone, v *fabric.VNet, name, policy string) *fabric.ZoneLink {
	l := &fabric.ZoneLink{ID: z.ID + "/virtualnetworklinks/" + name, Name: name, Zone: z, VNet: v, VNetID: v.ID,
		ResolutionPolicy: policy}
	z.Links = append(z.Links, l)
	v.Links = append(v.Links, l)
	return l
}

func (t *topo) rec(z *fabric.Zone, rel, typ string, ttl uint32, values ...string) {
	for _, v := range values {
		z.Records[rel] = append(z.Records[rel], fabric.Record{Type: typ, TTL: ttl, Value: v})
	}
}

func (t *topo) pub(name, typ string, ttl uint32, values ...string) {
	for _, v := range values {
		t.s.PublicRecords[name] = append(t.s.PublicRecords[name], fabric.Record{Type: typ, TTL: ttl, Value: v})
	}
}

func (t *topo) snap() *fabric.Snapshot {
	t.s.Reindex()
	return t.s
}

// rrs renders an answer section as "name TYPE data" lines.
func rrs(list []mdns.RR) []string {
	out := make([]string, 0, len(list))
	for _, rr := range list {
		out = append(out, strings.Join(strings.Fields(strings.Replace(rr.String(), "\tIN\t", " ", 1)), " "))
	}
	return out
}

func hasStep(a Answer, substr string) bool {
	for _, s := range a.Steps {
		if strings.Contains(s, substr) {
			return true
		}
	}
	return false
}

func hasBlock(a Answer, substr string) bool {
	for _, b := range a.Blocks {
		if strings.Contains(b.Reason, substr) {
			return true
		}
	}
	return false
}

func dumpAnswer(t *testing.T, a Answer) {
	t.Helper()
	t.Logf("rcode=%s answer=%q authority=%q", a.RcodeText(), rrs(a.Answer), rrs(a.Authority))
	for _, s := range a.Steps {
		t.Logf("  step: %s", s)
	}
	for _, b := range a.Blocks {
		t.Logf("  block: %s %s %s", b.Kind, b.ResourceID, b.Reason)
	}
}

// testSource is a fabric.Source whose snapshot tests replace.
type testSource struct {
	mu   sync.Mutex
	cur  *fabric.Snapshot
	subs map[int]func(old, new *fabric.Snapshot)
	next int
}

func newTestSource(s *fabric.Snapshot) *testSource {
	return &testSource{cur: s, subs: map[int]func(old, new *fabric.Snapshot){}}
}

func (s *testSource) Current() *fabric.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *testSource) Subscribe(fn func(old, new *fabric.Snapshot)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

// publish replaces the snapshot, then calls the subscribers (as the
// Watcher does).
func (s *testSource) publish(n *fabric.Snapshot) {
	s.mu.Lock()
	old := s.cur
	s.cur = n
	fns := make([]func(old, new *fabric.Snapshot), 0, len(s.subs))
	for _, fn := range s.subs {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn(old, n)
	}
}
