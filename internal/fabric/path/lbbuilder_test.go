package path

import (
	"net/netip"

	"github.com/privlink/privlink/internal/fabric"
)

// Builders for load balancers, private link services and private
// endpoints (hand-built snapshots).

func (b *builder) initBalancing() {
	if b.s.LoadBalancers == nil {
		b.s.LoadBalancers = map[string]*fabric.LoadBalancer{}
		b.s.PrivateLinkServices = map[string]*fabric.PrivateLinkService{}
		b.s.PrivateEndpoints = map[string]*fabric.PrivateEndpoint{}
	}
}

func (b *builder) lb(name, sku string) *fabric.LoadBalancer {
	b.initBalancing()
	lb := &fabric.LoadBalancer{ID: rgID + "microsoft.network/loadbalancers/" + name, Name: name, SKU: sku}
	b.s.LoadBalancers[lb.ID] = lb
	return lb
}

// internalFrontend adds a frontend at ip in sn.
func (b *builder) internalFrontend(lb *fabric.LoadBalancer, name string, sn *fabric.Subnet, ip string) *fabric.Frontend {
	fe := &fabric.Frontend{ID: lb.ID + "/frontendipconfigurations/" + name, Name: name, LB: lb, Subnet: sn, PrivateIP: netip.MustParseAddr(ip)}
	lb.Internal = true
	lb.Frontends = append(lb.Frontends, fe)
	return fe
}

// publicFrontend adds a frontend holding a new public IP at addr.
func (b *builder) publicFrontend(lb *fabric.LoadBalancer, name, addr string) *fabric.Frontend {
	fe := &fabric.Frontend{ID: lb.ID + "/frontendipconfigurations/" + name, Name: name, LB: lb}
	pip := b.publicIP(name+"-pip", addr, lb.SKU, nil)
	pip.Frontend, fe.PublicIP = fe, pip
	lb.Frontends = append(lb.Frontends, fe)
	return fe
}

// pool adds a backend pool of the hosts' primary IP configurations.
func (b *builder) pool(lb *fabric.LoadBalancer, name string, hosts ...*fabric.Host) *fabric.BackendPool {
	p := &fabric.BackendPool{ID: lb.ID + "/backendaddresspools/" + name, Name: name, LB: lb}
	for _, h := range hosts {
		c := ipc(h)
		p.Members = append(p.Members, &fabric.BackendMember{Key: c.ID, IPConfig: c, Addr: c.PrivateIP})
	}
	lb.Pools = append(lb.Pools, p)
	return p
}

// ipMember adds an IP-based member.
func ipMember(p *fabric.BackendPool, name string, v *fabric.VNet, addr string) *fabric.BackendMember {
	m := &fabric.BackendMember{Key: p.ID + "/addresses/" + name, VNet: v, Addr: netip.MustParseAddr(addr)}
	p.Members = append(p.Members, m)
	return m
}

func (b *builder) probe(lb *fabric.LoadBalancer, name, proto string, port int) *fabric.Probe {
	p := &fabric.Probe{ID: lb.ID + "/probes/" + name, Name: name, Protocol: proto, Port: port, IntervalSec: 5, Count: 1}
	lb.Probes = append(lb.Probes, p)
	return p
}

func (b *builder) lbRule(fe *fabric.Frontend, name string, pool *fabric.BackendPool, probe *fabric.Probe,
	proto fabric.Protocol, fport, bport int) *fabric.LBRule {
	r := &fabric.LBRule{ID: fe.LB.ID + "/loadbalancingrules/" + name, Name: name, Frontend: fe, Pool: pool, Probe: probe,
		Protocol: proto, FrontendPort: fport, BackendPort: bport, IdleTimeoutMin: 4, LoadDistribution: "Default"}
	fe.LB.Rules = append(fe.LB.Rules, r)
	fe.Rules = append(fe.Rules, r)
	return r
}

// pls adds a private link service on fe with NAT IPs in sn (the first is
// primary).
func (b *builder) pls(name string, fe *fabric.Frontend, sn *fabric.Subnet, nat ...string) *fabric.PrivateLinkService {
	b.initBalancing()
	p := &fabric.PrivateLinkService{ID: rgID + "microsoft.network/privatelinkservices/" + name, Name: name,
		Alias: name + ".00000000-0000-0000-0000-00000000abcd.eastus.azure.privatelinkservice", Subscription: "00000000-0000-0000-0000-000000000001",
		Frontends: []*fabric.Frontend{fe}, ProxyProtocol: true}
	fe.Services = append(fe.Services, p)
	nic := &fabric.NIC{ID: rgID + "microsoft.network/networkinterfaces/" + name + ".nic.1", Name: name + ".nic.1", Service: p}
	for i, ip := range nat {
		c := &fabric.IPConfig{ID: nic.ID + "/ipconfigurations/nat" + string(rune('1'+i)), Name: "nat" + string(rune('1'+i)),
			NIC: nic, Subnet: sn, PrivateIP: netip.MustParseAddr(ip), Primary: i == 0}
		nic.IPConfigs = append(nic.IPConfigs, c)
		p.NATIPs = append(p.NATIPs, c)
	}
	b.s.NICs[nic.ID] = nic
	b.s.PrivateLinkServices[p.ID] = p
	return p
}

// pe adds a private endpoint at ip in sn connected to p with status
// (both sides), link ID 7 plus the number of endpoints.
func (b *builder) pe(name string, sn *fabric.Subnet, ip string, p *fabric.PrivateLinkService, status, desc string) *fabric.PrivateEndpoint {
	b.initBalancing()
	e := &fabric.PrivateEndpoint{ID: rgID + "microsoft.network/privateendpoints/" + name, Name: name, Subnet: sn, IP: netip.MustParseAddr(ip)}
	nic := b.nic(name+".nic.1", nil, sn, ip)
	nic.PrivateEndpoint, e.NIC = e, nic
	link := uint32(7 + len(b.s.PrivateEndpoints))
	e.Connections = []*fabric.PEConnection{{Name: name + "-conn", TargetID: p.ID, Service: p, Status: status, Description: desc, LinkID: link}}
	p.Connections = append(p.Connections, &fabric.PLSConnection{ID: p.ID + "/privateendpointconnections/" + name + ".guid", Name: name + ".guid",
		Service: p, Endpoint: e, EndpointID: e.ID, Status: status, Description: desc, LinkID: link})
	b.s.PrivateEndpoints[e.ID] = e
	return e
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
