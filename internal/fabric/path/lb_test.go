package path

import (
	"slices"
	"testing"

	"github.com/privlink/privlink/internal/fabric"
)

var lbHops = []string{"Source", "VirtualNetwork", "LoadBalancer", "Destination"}

func TestLoadBalancer(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(w *plWorld) fabric.Query
		want       want
		anyBackend bool
	}{
		{name: "internal frontend from the VNet",
			setup: func(w *plWorld) fabric.Query { return tcp(w.pclient, "10.0.2.10", 443) },
			want:  want{outcome: fabric.Delivered, hops: lbHops, translated: "10.0.4.4"}, anyBackend: true},
		{name: "internal frontend: backend NSG sees the client's address",
			setup: func(w *plWorld) fabric.Query {
				w.provBE.NSG = w.b.nsg("be-nsg", rule("no-cli", 100, fabric.Inbound, "Deny", fabric.TCP, "10.0.4.4", "*", "80"))
				return tcp(w.pclient, "10.0.2.10", 443)
			},
			want: want{outcome: fabric.DeniedByNSG, hops: lbHops, kinds: []string{"NetworkSecurityRule"},
				reasons: []string{"on subnet be denies Inbound Tcp from 10.0.4.4 to 10.0.0."}}},
		{name: "internal frontend from a peered VNet",
			setup: func(w *plWorld) fabric.Query {
				w.b.peer(w.prov, w.other, false)
				return tcp(w.lon, "10.0.2.10", 443)
			},
			want:       want{outcome: fabric.Delivered, hops: []string{"Source", "VirtualNetwork", "VirtualNetwork", "LoadBalancer", "Destination"}},
			anyBackend: true},
		{name: "internal frontend from an unpeered VNet",
			setup: func(w *plWorld) fabric.Query { return tcp(w.lon, "10.0.2.10", 443) },
			want:  want{outcome: fabric.NetworkUnreachable, kinds: []string{"Route"}}},
		{name: "no rule for the port",
			setup: func(w *plWorld) fabric.Query { return tcp(w.pclient, "10.0.2.10", 22) },
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"NoLoadBalancingRule"},
				hops: []string{"Source", "VirtualNetwork", "LoadBalancer"}}},
		{name: "no rule for the protocol",
			setup: func(w *plWorld) fabric.Query {
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Protocol = fabric.UDP
				return q
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"NoLoadBalancingRule"}, reasons: []string{"Udp port 443"}}},
		{name: "HA ports rule matches any port",
			setup: func(w *plWorld) fabric.Query {
				ha := w.b.internalFrontend(w.lb, "ha", w.provFE, "10.0.2.11")
				w.b.lbRule(ha, "ha", w.pool, w.probe, fabric.ProtoAny, 0, 0)
				w.be1.Ports["tcp/5432"], w.be2.Ports["tcp/5432"] = "127.0.0.1:15432", "127.0.0.1:15432"
				return tcp(w.pclient, "10.0.2.11", 5432)
			},
			want: want{outcome: fabric.Delivered, hops: lbHops, target: "127.0.0.1:15432"}},
		{name: "a port rule beats the HA ports rule",
			setup: func(w *plWorld) fabric.Query {
				w.b.lbRule(w.fe, "ha", w.pool, w.probe, fabric.ProtoAny, 0, 0)
				return tcp(w.pclient, "10.0.2.10", 443) // https: 443 → 80
			},
			want: want{outcome: fabric.Delivered, hops: lbHops}, anyBackend: true},
		{name: "rule without probe ignores health",
			setup: func(w *plWorld) fabric.Query {
				w.rule.Probe = nil
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(string, string) bool { return false }
				return q
			},
			want: want{outcome: fabric.Delivered, hops: lbHops}, anyBackend: true},
		{name: "empty pool",
			setup: func(w *plWorld) fabric.Query {
				w.pool.Members = nil
				return tcp(w.pclient, "10.0.2.10", 443)
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"EmptyBackendPool"}, reasons: []string{"backend pool pool has no members"}}},
		{name: "floating IP: the backend's NSG sees the frontend address",
			setup: func(w *plWorld) fabric.Query {
				w.rule.FloatingIP = true
				nicOf(w.be1).NSG = w.b.nsg("be1-nsg", rule("no-fe", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "10.0.2.10", "*"))
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(key, _ string) bool { return key == ipc(w.be1).ID }
				return q
			},
			want: want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"}, reasons: []string{"to 10.0.2.10:80"}}},
		{name: "floating IP: a listener on the frontend address takes the flow",
			setup: func(w *plWorld) fabric.Query {
				w.rule.FloatingIP = true
				w.be1.Ports["tcp/10.0.2.10:80"] = "127.0.0.1:28082"
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(key, _ string) bool { return key == ipc(w.be1).ID }
				return q
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:28082"}},
		{name: "without floating IP a listener on the frontend address is not used",
			setup: func(w *plWorld) fabric.Query {
				w.be1.Ports["tcp/10.0.2.10:80"] = "127.0.0.1:28082"
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(key, _ string) bool { return key == ipc(w.be1).ID }
				return q
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:18081"}},
		{name: "without floating IP the same NSG rule does not match",
			setup: func(w *plWorld) fabric.Query {
				nicOf(w.be1).NSG = w.b.nsg("be1-nsg", rule("no-fe", 100, fabric.Inbound, "Deny", fabric.TCP, "*", "10.0.2.10", "*"))
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(key, _ string) bool { return key == ipc(w.be1).ID }
				return q
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:18081"}},
		{name: "IP-based member",
			setup: func(w *plWorld) fabric.Query {
				w.pool.Members = nil
				ipMember(w.pool, "a1", w.prov, "10.0.0.5")
				return tcp(w.pclient, "10.0.2.10", 443)
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:18082"}},
		{name: "IP-based member without a host",
			setup: func(w *plWorld) fabric.Query {
				w.pool.Members = nil
				ipMember(w.pool, "a1", w.prov, "10.0.0.99")
				return tcp(w.pclient, "10.0.2.10", 443)
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"}, reasons: []string{"lists 10.0.0.99"}}},
		{name: "stopped backend",
			setup: func(w *plWorld) fabric.Query {
				w.be1.Running, w.be1.PowerState = false, "PowerState/deallocated"
				q := tcp(w.pclient, "10.0.2.10", 443)
				q.Health = func(key, _ string) bool { return key == ipc(w.be1).ID }
				return q
			},
			want: want{outcome: fabric.HostUnreachable, kinds: []string{"HostStopped"}}},
		{name: "public Standard frontend from the internet",
			setup: func(w *plWorld) fabric.Query {
				pub := w.b.lb("pub", "Standard")
				fe := w.b.publicFrontend(pub, "fe", "52.160.0.10")
				w.b.lbRule(fe, "http", w.b.pool(pub, "pool", w.be1), nil, fabric.TCP, 80, 80)
				w.provBE.NSG = w.b.nsg("be-nsg", rule("web", 100, fabric.Inbound, "Allow", fabric.TCP, "Internet", "*", "80"))
				return fromInternet("52.160.0.10", 80)
			},
			want: want{outcome: fabric.Delivered, hops: []string{"Source", "Internet", "PublicIP", "LoadBalancer", "Destination"},
				target: "127.0.0.1:18081", translated: "203.0.113.10"}},
		{name: "public Standard frontend without an NSG is closed",
			setup: func(w *plWorld) fabric.Query {
				pub := w.b.lb("pub", "Standard")
				fe := w.b.publicFrontend(pub, "fe", "52.160.0.10")
				w.b.lbRule(fe, "http", w.b.pool(pub, "pool", w.be1), nil, fabric.TCP, 80, 80)
				return fromInternet("52.160.0.10", 80)
			},
			want: want{outcome: fabric.DeniedByNSG, kinds: []string{"PublicIPInbound"}, reasons: []string{"Standard SKU load balancer pub is closed"}}},
		{name: "public Basic frontend is open",
			setup: func(w *plWorld) fabric.Query {
				pub := w.b.lb("pub", "Basic")
				fe := w.b.publicFrontend(pub, "fe", "52.160.0.10")
				w.b.lbRule(fe, "http", w.b.pool(pub, "pool", w.be2), nil, fabric.TCP, 8080, 80)
				return fromInternet("52.160.0.10", 8080)
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:18082"}},
		{name: "public frontend from a VM (default outbound SNAT address)",
			setup: func(w *plWorld) fabric.Query {
				pub := w.b.lb("pub", "Basic")
				fe := w.b.publicFrontend(pub, "fe", "52.160.0.10")
				w.b.lbRule(fe, "http", w.b.pool(pub, "pool", w.be2), nil, fabric.TCP, 80, 80)
				return tcp(w.lon, "52.160.0.10", 80)
			},
			want: want{outcome: fabric.Delivered, target: "127.0.0.1:18082", translated: "52.191."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := newPLWorld("Approved", "")
			q := tc.setup(w)
			v := Evaluate(w.b.snapshot(), q)
			if tc.anyBackend {
				if !slices.Contains(backends, v.TargetAddr) {
					t.Fatalf("target %q is not a backend; blocks %s", v.TargetAddr, blocksString(v.Blocks))
				}
				tc.want.target = v.TargetAddr
			}
			checkVerdict(t, v, tc.want)
			if v.Endpoint != nil || v.Service != nil || len(v.NATIPs) != 0 {
				t.Errorf("private link fields set without an endpoint: %+v", v)
			}
		})
	}
}

func TestLoadBalancerHashAndHealth(t *testing.T) {
	w, _ := newPLWorld("Approved", "")
	s := w.b.snapshot()
	pick := func(hash uint64, health func(string, string) bool) *fabric.Host {
		q := tcp(w.pclient, "10.0.2.10", 443)
		q.FlowHash, q.Health = hash, health
		v := Evaluate(s, q)
		if v.Outcome != fabric.Delivered {
			t.Fatalf("hash %d: %s: %s", hash, v.Outcome, blocksString(v.Blocks))
		}
		if v.Backend == nil || v.Backend.IPConfig != ipc(v.TargetHost) {
			t.Fatalf("backend %+v for target %s", v.Backend, v.TargetHost.Name)
		}
		return v.TargetHost
	}
	// Stickiness: one hash, one backend; the members are taken in Key
	// order, whatever the pool's order.
	for h := range uint64(16) {
		first := pick(h, nil)
		for range 3 {
			if got := pick(h, nil); got != first {
				t.Fatalf("hash %d: %s then %s", h, first.Name, got.Name)
			}
		}
		want := w.be1
		if h%2 == 1 {
			want = w.be2
		}
		if first != want {
			t.Fatalf("hash %d → %s, want %s", h, first.Name, want.Name)
		}
	}
	slices.Reverse(w.pool.Members)
	if pick(0, nil) != w.be1 {
		t.Fatal("member order changed the choice")
	}
	// Spread over many hashes.
	count := map[*fabric.Host]int{}
	for h := range uint64(1000) {
		count[pick(h*2654435761, nil)]++
	}
	if count[w.be1] < 400 || count[w.be2] < 400 {
		t.Fatalf("spread: be1 %d be2 %d", count[w.be1], count[w.be2])
	}
	// Only healthy members are chosen; the probe ID is the rule's.
	var asked []string
	onlyBe2 := func(key, probe string) bool {
		asked = append(asked, probe)
		return key == ipc(w.be2).ID
	}
	for h := range uint64(8) {
		if got := pick(h, onlyBe2); got != w.be2 {
			t.Fatalf("hash %d: unhealthy %s chosen", h, got.Name)
		}
	}
	if len(asked) == 0 || asked[0] != w.probe.ID {
		t.Fatalf("probes asked: %v", asked)
	}
}

func TestPlatformProbe(t *testing.T) {
	probe := func(w *plWorld, dest string, port int) fabric.Verdict {
		q := fabric.Query{Source: fabric.PlatformHostID, Dest: ipc(w.be1).PrivateIP, Protocol: fabric.TCP, Port: port}
		if dest != "" {
			q.Dest = mustAddr(dest)
		}
		return Evaluate(w.b.snapshot(), q)
	}
	platformHops := []string{"Source", "Destination"}
	t.Run("reaches a member", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		w.provBE.NSG = w.b.nsg("be-nsg") // defaults: AllowAzureLoadBalancerInBound
		v := probe(w, "", 80)
		checkVerdict(t, v, want{outcome: fabric.Delivered, hops: platformHops, target: "127.0.0.1:18081", translated: "168.63.129.16"})
		if v.Backend == nil || v.Backend.Key != ipc(w.be1).ID {
			t.Fatalf("backend %+v", v.Backend)
		}
	})
	t.Run("works without the platform host in the snapshot", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		delete(w.b.s.Hosts, fabric.PlatformHostID)
		checkVerdict(t, probe(w, "", 80), want{outcome: fabric.Delivered, target: "127.0.0.1:18081"})
	})
	t.Run("a user rule denying AzureLoadBalancer", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		nicOf(w.be1).NSG = w.b.nsg("be1-nsg", rule("no-probes", 100, fabric.Inbound, "Deny", fabric.ProtoAny, "AzureLoadBalancer", "*", "*"))
		checkVerdict(t, probe(w, "", 80), want{outcome: fabric.DeniedByNSG, kinds: []string{"NetworkSecurityRule"},
			reasons: []string{"NSG be1-nsg rule no-probes (priority 100) on NIC be1-nic denies Inbound Tcp from 168.63.129.16 to 10.0.0.4:80"}})
	})
	t.Run("nothing listens on the probe port", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		checkVerdict(t, probe(w, "", 81), want{outcome: fabric.Refused, kinds: []string{"NoListener"}})
	})
	t.Run("not a member", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		checkVerdict(t, probe(w, "10.0.4.4", 80), want{outcome: fabric.HostUnreachable, kinds: []string{"NoHost"},
			reasons: []string{"reaches only load balancer backend pool members"}})
	})
	t.Run("overlapping members: SourceIPConfig names the member", func(t *testing.T) {
		w, _ := newPLWorld("Approved", "")
		// The consumer's client (10.0.0.4 too) joins another pool.
		other := w.b.lb("other", "Standard")
		w.b.pool(other, "pool", w.client)
		nicOf(w.client).NSG = w.b.nsg("client-nsg", rule("no-probes", 100, fabric.Inbound, "Deny", fabric.ProtoAny, "*", "*", "*"))
		q := fabric.Query{Source: fabric.PlatformHostID, Dest: mustAddr("10.0.0.4"), Protocol: fabric.TCP, Port: 80}
		s := w.b.snapshot()
		for _, tc := range []struct {
			key  string
			want fabric.Outcome
		}{{ipc(w.be1).ID, fabric.Delivered}, {ipc(w.client).ID, fabric.DeniedByNSG}} {
			q.SourceIPConfig = tc.key
			if v := Evaluate(s, q); v.Outcome != tc.want || v.Backend == nil || v.Backend.Key != tc.key {
				t.Fatalf("%s: %s %+v", tc.key, v.Outcome, v.Backend)
			}
		}
	})
}
