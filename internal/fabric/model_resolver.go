package fabric

import (
	"net/netip"
	"slices"
	"strings"
)

// DNS Private Resolver (Microsoft.Network/dnsResolvers) and DNS
// forwarding rulesets (Microsoft.Network/dnsForwardingRulesets).
//
// A resolver's inbound endpoints are hosts (Kind KindDNSResolver) with a
// synthetic NIC holding each endpoint address in its subnet, so that path
// evaluation (NSGs, routes, peering, gateways) decides whether a client
// reaches IP:53; their port 53 (UDP and TCP) is FabricDNSTarget, answered
// in process by the fabric's DNS server (package dns). Outbound endpoints
// are hosts too (no listener), the source of the queries a forwarding rule
// sends to its targets.

// KindDNSResolver is the host kind of a DNS resolver's inbound and
// outbound endpoints.
const KindDNSResolver HostKind = "dnsresolver"

// FabricDNSTarget is the Host.Ports target (Verdict.TargetAddr) of a DNS
// port the fabric's DNS server answers in process: a resolver inbound
// endpoint's 53, or an emulated on-premises DNS server's.
const FabricDNSTarget = "fabric-dns"

// DNSResolver is a DNS private resolver in a VNet.
type DNSResolver struct {
	ID, Name string
	// VNet is the resolver's virtual network (nil when it is missing).
	VNet     *VNet
	Location string
	Inbound  []*InboundEndpoint
	Outbound []*OutboundEndpoint
}

// InboundEndpoint is a resolver's inbound endpoint: addresses in the
// resolver's VNet that answer DNS with the VNet's Azure-provided view.
type InboundEndpoint struct {
	ID, Name string
	Resolver *DNSResolver
	// IPs are the endpoint's IP configurations (one per subnet).
	IPs []*InboundIP
	// Host stands for the endpoint (Kind KindDNSResolver, port 53 is
	// FabricDNSTarget); nil when no address is valid.
	Host *Host
}

// InboundIP is one IP configuration of an inbound endpoint.
type InboundIP struct {
	Subnet *Subnet // nil when missing
	Addr   netip.Addr
	// Dynamic is true for privateIpAllocationMethod Dynamic.
	Dynamic bool
}

// OutboundEndpoint is a resolver's outbound endpoint: the subnet the
// forwarded queries of its rulesets leave from.
type OutboundEndpoint struct {
	ID, Name string
	Resolver *DNSResolver
	Subnet   *Subnet // nil when missing
	// Addr is the endpoint's source address in the subnet.
	Addr netip.Addr
	// Host is the source of forwarded queries (Kind KindDNSResolver, no
	// listener); nil when the endpoint has no address.
	Host *Host
}

// ForwardingRuleset is a DNS forwarding ruleset.
type ForwardingRuleset struct {
	ID, Name, Location string
	// Outbound are the outbound endpoints the ruleset's queries leave
	// from (missing ones are skipped), in the order given.
	Outbound []*OutboundEndpoint
	// Rules sorted by domain (longest first), then ID.
	Rules []*ForwardingRule
	Links []*RulesetLink
}

// ForwardingRule is a rule of a ruleset.
type ForwardingRule struct {
	ID, Name string
	Ruleset  *ForwardingRuleset
	// Domain is lower case without the trailing dot; "" is the root
	// (a rule for "." matches every name).
	Domain  string
	Targets []netip.AddrPort
	Enabled bool
}

// RulesetLink is a virtual network link of a ruleset.
type RulesetLink struct {
	ID, Name string
	Ruleset  *ForwardingRuleset
	VNet     *VNet // nil when the VNet is missing
	VNetID   string
}

// DomainMatches reports whether name (lower case, no trailing dot) is the
// domain or below it; the root domain "" matches every name.
func DomainMatches(name, domain string) bool {
	if domain == "" {
		return true
	}
	return name == domain || (len(name) > len(domain) && strings.HasSuffix(name, domain) && name[len(name)-len(domain)-1] == '.')
}

// RulesetsOf returns the rulesets linked to a VNet, sorted by ID.
func (s *Snapshot) RulesetsOf(vnet *VNet) []*ForwardingRuleset {
	if vnet == nil || len(s.Rulesets) == 0 {
		return nil
	}
	var out []*ForwardingRuleset
	for _, rs := range s.Rulesets {
		for _, l := range rs.Links {
			if l.VNet == vnet || l.VNetID == vnet.ID {
				out = append(out, rs)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b *ForwardingRuleset) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// MatchRule returns the enabled rule of the VNet's linked rulesets whose
// domain is the longest suffix of name (lower case, no trailing dot), and
// the disabled rules that would have matched with a longer or equal
// domain (for explanations). Ties go to the lowest rule ID.
func (s *Snapshot) MatchRule(vnet *VNet, name string) (best *ForwardingRule, disabled []*ForwardingRule) {
	for _, rs := range s.RulesetsOf(vnet) {
		for _, r := range rs.Rules {
			if !DomainMatches(name, r.Domain) {
				continue
			}
			if !r.Enabled {
				disabled = append(disabled, r)
				continue
			}
			if best == nil || len(r.Domain) > len(best.Domain) || (len(r.Domain) == len(best.Domain) && r.ID < best.ID) {
				best = r
			}
		}
	}
	if best != nil {
		kept := disabled[:0]
		for _, d := range disabled {
			if len(d.Domain) >= len(best.Domain) {
				kept = append(kept, d)
			}
		}
		disabled = kept
	}
	return best, disabled
}

// InboundEndpointOf returns the inbound endpoint a host stands for, or
// nil.
func (s *Snapshot) InboundEndpointOf(h *Host) *InboundEndpoint {
	if h == nil || h.Kind != KindDNSResolver {
		return nil
	}
	for _, r := range s.DNSResolvers {
		for _, ep := range r.Inbound {
			if ep.Host == h {
				return ep
			}
		}
	}
	return nil
}

// SiteDNSAt returns the on-premises site whose DNS server has address a
// (the lowest site ID when several sites use the same address), or nil.
func (s *Snapshot) SiteDNSAt(a netip.Addr) *Site {
	var best *Site
	for _, st := range s.Sites {
		if st.DNSServer.IsValid() && st.DNSServer == a && (best == nil || st.ID < best.ID) {
			best = st
		}
	}
	return best
}
