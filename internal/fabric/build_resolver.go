package fabric

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// DNS Private Resolver and forwarding rulesets in the snapshot (see
// model_resolver.go).

// Resource types of the DNS Private Resolver.
const (
	TypeDNSResolver      = "Microsoft.Network/dnsResolvers"
	TypeInboundEndpoint  = TypeDNSResolver + "/inboundEndpoints"
	TypeOutboundEndpoint = TypeDNSResolver + "/outboundEndpoints"
	TypeRuleset          = "Microsoft.Network/dnsForwardingRulesets"
	TypeForwardingRule   = TypeRuleset + "/forwardingRules"
	TypeRulesetLink      = TypeRuleset + "/virtualNetworkLinks"
)

// OutboundEndpointInternal is the internal state of an outbound endpoint
// record that the builder reads: the address the provider reserved in the
// endpoint's subnet (Azure does not show it).
type OutboundEndpointInternal struct {
	PrivateIPAddress string `json:"privateIpAddress,omitempty"`
}

type (
	resolverRec struct{ vnet, location string }
	inboundRec  struct {
		resolver string
		ips      []inboundIPRec
	}
	inboundIPRec struct {
		subnet  string
		addr    netip.Addr
		dynamic bool
	}
	outboundRec struct {
		resolver, subnet string
		addr             netip.Addr
	}
	rulesetRec struct {
		location string
		outbound []string
	}
	ruleRec struct {
		ruleset, domain string
		targets         []netip.AddrPort
		enabled         bool
	}
	rulesetLinkRec struct{ ruleset, vnet string }
)

func init() {
	registerExtension(&extension{
		Name:   "dnsresolver",
		Order:  20,
		Types:  []string{TypeDNSResolver, TypeInboundEndpoint, TypeOutboundEndpoint, TypeRuleset, TypeForwardingRule, TypeRulesetLink},
		Decode: decodeResolverRecord,
		Link:   linkResolvers,
	})
}

type subRes struct {
	ID string `json:"id"`
}

func decodeResolverRecord(r *arm.Record, id string) (any, error) {
	if r.State == arm.StateFailed || r.State == arm.StateDeleting {
		return nil, nil
	}
	typ := recordType(r)
	props := r.Resource.Properties
	dec := func(v any) error {
		if len(props) == 0 {
			return nil
		}
		if err := json.Unmarshal(props, v); err != nil {
			return fmt.Errorf("decode %s: %w", typ, err)
		}
		return nil
	}
	parent := parentOf(id)
	switch {
	case strings.EqualFold(typ, TypeDNSResolver):
		var p struct {
			VirtualNetwork subRes `json:"virtualNetwork"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		return &resolverRec{vnet: strings.ToLower(p.VirtualNetwork.ID), location: r.Resource.Location}, nil
	case strings.EqualFold(typ, TypeInboundEndpoint):
		var p struct {
			IPConfigurations []struct {
				Subnet                    subRes `json:"subnet"`
				PrivateIPAddress          string `json:"privateIpAddress"`
				PrivateIPAllocationMethod string `json:"privateIpAllocationMethod"`
			} `json:"ipConfigurations"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		in := &inboundRec{resolver: parent}
		for _, c := range p.IPConfigurations {
			a, _ := netip.ParseAddr(c.PrivateIPAddress)
			in.ips = append(in.ips, inboundIPRec{subnet: strings.ToLower(c.Subnet.ID), addr: a.Unmap(),
				dynamic: !strings.EqualFold(c.PrivateIPAllocationMethod, "Static")})
		}
		return in, nil
	case strings.EqualFold(typ, TypeOutboundEndpoint):
		var p struct {
			Subnet subRes `json:"subnet"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		out := &outboundRec{resolver: parent, subnet: strings.ToLower(p.Subnet.ID)}
		if len(r.Internal) > 0 && string(r.Internal) != "null" {
			var in OutboundEndpointInternal
			if err := json.Unmarshal(r.Internal, &in); err != nil {
				return nil, fmt.Errorf("decode outbound endpoint state: %w", err)
			}
			a, _ := netip.ParseAddr(in.PrivateIPAddress)
			out.addr = a.Unmap()
		}
		return out, nil
	case strings.EqualFold(typ, TypeRuleset):
		var p struct {
			Outbound []subRes `json:"dnsResolverOutboundEndpoints"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		rs := &rulesetRec{location: r.Resource.Location}
		for _, o := range p.Outbound {
			rs.outbound = append(rs.outbound, strings.ToLower(o.ID))
		}
		return rs, nil
	case strings.EqualFold(typ, TypeForwardingRule):
		var p struct {
			DomainName       string `json:"domainName"`
			TargetDNSServers []struct {
				IPAddress string `json:"ipAddress"`
				Port      *int   `json:"port"`
			} `json:"targetDnsServers"`
			ForwardingRuleState string `json:"forwardingRuleState"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		rr := &ruleRec{ruleset: parent, domain: strings.ToLower(strings.TrimSuffix(p.DomainName, ".")),
			enabled: !strings.EqualFold(p.ForwardingRuleState, "Disabled")}
		for _, t := range p.TargetDNSServers {
			a, err := netip.ParseAddr(t.IPAddress)
			if err != nil {
				continue
			}
			port := 53
			if t.Port != nil {
				port = *t.Port
			}
			rr.targets = append(rr.targets, netip.AddrPortFrom(a.Unmap(), uint16(port)))
		}
		return rr, nil
	case strings.EqualFold(typ, TypeRulesetLink):
		var p struct {
			VirtualNetwork subRes `json:"virtualNetwork"`
		}
		if err := dec(&p); err != nil {
			return nil, err
		}
		return &rulesetLinkRec{ruleset: parent, vnet: strings.ToLower(p.VirtualNetwork.ID)}, nil
	}
	return nil, nil
}

// linkResolvers builds resolvers, their endpoints (hosts and synthetic
// NICs) and the rulesets in PhaseHosts.
func linkResolvers(s *Snapshot, phase Phase, nodes []ExtNode) {
	if phase != PhaseHosts || len(nodes) == 0 {
		return
	}
	var inbound, outbound, rules, links, rulesets []ExtNode
	for _, n := range nodes {
		switch v := n.Value.(type) {
		case *resolverRec:
			if s.DNSResolvers == nil {
				s.DNSResolvers = map[string]*DNSResolver{}
			}
			s.DNSResolvers[n.ID] = &DNSResolver{ID: n.ID, Name: n.Name, VNet: s.VNets[v.vnet], Location: v.location}
		case *inboundRec:
			inbound = append(inbound, n)
		case *outboundRec:
			outbound = append(outbound, n)
		case *rulesetRec:
			rulesets = append(rulesets, n)
		case *ruleRec:
			rules = append(rules, n)
		case *rulesetLinkRec:
			links = append(links, n)
		}
	}
	outByID := map[string]*OutboundEndpoint{}
	for _, n := range inbound {
		v := n.Value.(*inboundRec)
		res := s.DNSResolvers[v.resolver]
		if res == nil {
			continue
		}
		ep := &InboundEndpoint{ID: n.ID, Name: n.Name, Resolver: res}
		var nic *NIC
		for i, c := range v.ips {
			ip := &InboundIP{Subnet: s.Subnets[c.subnet], Addr: c.addr, Dynamic: c.dynamic}
			ep.IPs = append(ep.IPs, ip)
			if ip.Subnet == nil || !ip.Addr.IsValid() {
				continue
			}
			if nic == nil {
				nic = &NIC{ID: n.ID + "/nic", Name: n.Name}
			}
			nic.IPConfigs = append(nic.IPConfigs, &IPConfig{ID: n.ID + "/ipconfigurations/" + strconv.Itoa(i),
				Name: "ipconfig" + strconv.Itoa(i), NIC: nic, Subnet: ip.Subnet, PrivateIP: ip.Addr, Primary: len(nic.IPConfigs) == 0})
		}
		if nic != nil {
			ep.Host = endpointHost(s, n, nic, true)
		}
		res.Inbound = append(res.Inbound, ep)
	}
	for _, n := range outbound {
		v := n.Value.(*outboundRec)
		res := s.DNSResolvers[v.resolver]
		if res == nil {
			continue
		}
		ep := &OutboundEndpoint{ID: n.ID, Name: n.Name, Resolver: res, Subnet: s.Subnets[v.subnet], Addr: v.addr}
		if ep.Subnet != nil && ep.Addr.IsValid() {
			nic := &NIC{ID: n.ID + "/nic", Name: n.Name}
			nic.IPConfigs = []*IPConfig{{ID: n.ID + "/ipconfigurations/0", Name: "ipconfig0", NIC: nic,
				Subnet: ep.Subnet, PrivateIP: ep.Addr, Primary: true}}
			ep.Host = endpointHost(s, n, nic, false)
		}
		res.Outbound = append(res.Outbound, ep)
		outByID[n.ID] = ep
	}
	for _, n := range rulesets {
		v := n.Value.(*rulesetRec)
		if s.Rulesets == nil {
			s.Rulesets = map[string]*ForwardingRuleset{}
		}
		rs := &ForwardingRuleset{ID: n.ID, Name: n.Name, Location: v.location}
		for _, o := range v.outbound {
			if ep := outByID[o]; ep != nil {
				rs.Outbound = append(rs.Outbound, ep)
			}
		}
		s.Rulesets[n.ID] = rs
	}
	for _, n := range rules {
		v := n.Value.(*ruleRec)
		rs := s.Rulesets[v.ruleset]
		if rs == nil {
			continue
		}
		rs.Rules = append(rs.Rules, &ForwardingRule{ID: n.ID, Name: n.Name, Ruleset: rs, Domain: v.domain,
			Targets: v.targets, Enabled: v.enabled})
	}
	for _, rs := range s.Rulesets {
		slices.SortFunc(rs.Rules, func(a, b *ForwardingRule) int {
			if len(a.Domain) != len(b.Domain) {
				return len(b.Domain) - len(a.Domain)
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
	for _, n := range links {
		v := n.Value.(*rulesetLinkRec)
		rs := s.Rulesets[v.ruleset]
		if rs == nil {
			continue
		}
		rs.Links = append(rs.Links, &RulesetLink{ID: n.ID, Name: n.Name, Ruleset: rs, VNet: s.VNets[v.vnet], VNetID: v.vnet})
	}
}

// endpointHost adds the host and NIC standing for a resolver endpoint.
func endpointHost(s *Snapshot, n ExtNode, nic *NIC, inbound bool) *Host {
	rg := ""
	if id, err := arm.ParseID(n.Display); err == nil {
		rg = id.ResourceGroup
	}
	h := &Host{ID: n.ID, Name: n.Name, ResourceID: n.Display, ResourceGroup: rg, Kind: KindDNSResolver,
		Running: true, PowerState: PowerRunning, ComputerName: n.Name, NICs: []*NIC{nic}}
	if inbound {
		h.Ports = map[string]string{"udp/53": FabricDNSTarget, "tcp/53": FabricDNSTarget}
	}
	nic.Host = h
	s.NICs[nic.ID] = nic
	s.Hosts[h.ID] = h
	return h
}
