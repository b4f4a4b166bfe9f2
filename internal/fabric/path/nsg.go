package path

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/fabric"
)

// ephemeralPort is the source port assumed when a query gives none.
const ephemeralPort = 49152

// nonInternet are the ranges that are never part of the Internet tag.
var nonInternet = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("168.63.129.16/32"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// reserved reports whether a is private, loopback, link-local or the
// Azure platform address (not an Internet address).
func reserved(a netip.Addr) bool {
	a = a.Unmap()
	return containsAddr(nonInternet, a)
}

// inVirtualNetworkTag reports whether a belongs to the VirtualNetwork tag
// as seen by ipc: its VNet's prefixes, the remote prefixes of its
// Connected peerings that allow virtual network access, the prefixes of
// the user routes of its subnet's route table, and 168.63.129.16.
func inVirtualNetworkTag(ipc *fabric.IPConfig, a netip.Addr) bool {
	if a == fabric.AzurePlatformIP {
		return true
	}
	if ipc == nil || ipc.Subnet == nil {
		return false
	}
	if vnet := ipc.Subnet.VNet; vnet != nil {
		if containsAddr(vnet.Prefixes, a) {
			return true
		}
		for _, pe := range vnet.Peerings {
			if connected(pe) && pe.AllowVirtualNetworkAccess && containsAddr(remotePrefixes(pe), a) {
				return true
			}
		}
		if containsAddr(fabric.OnPremPrefixes(vnet), a) { // connected on-premises prefixes (gateway.go)
			return true
		}
	}
	if rt := ipc.Subnet.RouteTable; rt != nil {
		for _, r := range rt.Routes {
			if r.Tag == "" && r.Prefix.IsValid() && r.Prefix.Contains(a) {
				return true
			}
		}
	}
	return false
}

// virtualNetworkTagPrefixes lists the VirtualNetwork tag of ipc.
func virtualNetworkTagPrefixes(ipc *fabric.IPConfig) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	add := func(p netip.Prefix) {
		p = p.Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if ipc != nil && ipc.Subnet != nil {
		if vnet := ipc.Subnet.VNet; vnet != nil {
			for _, p := range vnet.Prefixes {
				add(p)
			}
			for _, pe := range vnet.Peerings {
				if connected(pe) && pe.AllowVirtualNetworkAccess {
					for _, p := range remotePrefixes(pe) {
						add(p)
					}
				}
			}
			for _, p := range fabric.OnPremPrefixes(vnet) { // connected on-premises prefixes (gateway.go)
				add(p)
			}
		}
		if rt := ipc.Subnet.RouteTable; rt != nil {
			for _, r := range rt.Routes {
				if r.Tag == "" && r.Prefix.IsValid() {
					add(r.Prefix)
				}
			}
		}
	}
	add(netip.PrefixFrom(fabric.AzurePlatformIP, 32))
	return out
}

// internetTagPrefixes lists the IPv4 Internet tag of ipc: 0.0.0.0/0 minus
// the non-Internet ranges and the NIC's VirtualNetwork tag, as the
// smallest set of CIDR blocks.
func internetTagPrefixes(ipc *fabric.IPConfig) []netip.Prefix {
	var excl []netip.Prefix
	for _, p := range nonInternet {
		if p.Addr().Is4() {
			excl = append(excl, p)
		}
	}
	for _, p := range virtualNetworkTagPrefixes(ipc) {
		if p.Addr().Is4() {
			excl = append(excl, p)
		}
	}
	return complement(internetV4, excl)
}

// complement returns the CIDR blocks of u not covered by excl (IPv4).
func complement(u netip.Prefix, excl []netip.Prefix) []netip.Prefix {
	var inside []netip.Prefix
	for _, e := range excl {
		if e.Bits() <= u.Bits() && e.Contains(u.Addr()) {
			return nil
		}
		if u.Overlaps(e) {
			inside = append(inside, e)
		}
	}
	if len(inside) == 0 {
		return []netip.Prefix{u}
	}
	lo := netip.PrefixFrom(u.Addr(), u.Bits()+1)
	b := u.Addr().As4()
	n := binary.BigEndian.Uint32(b[:]) | 1<<(31-u.Bits())
	binary.BigEndian.PutUint32(b[:], n)
	hi := netip.PrefixFrom(netip.AddrFrom4(b), u.Bits()+1)
	return append(complement(lo, inside), complement(hi, inside)...)
}

// matchPrefix reports whether address a matches one written address
// prefix of a rule, evaluated for ipc.
func matchPrefix(s *fabric.Snapshot, p string, a netip.Addr, ipc *fabric.IPConfig) bool {
	p = strings.TrimSpace(p)
	switch {
	case p == "*" || strings.EqualFold(p, "Any"):
		return true
	case strings.EqualFold(p, "VirtualNetwork"):
		return inVirtualNetworkTag(ipc, a)
	case strings.EqualFold(p, "AzureLoadBalancer"):
		return a == fabric.AzurePlatformIP
	case strings.EqualFold(p, "Internet"):
		return !reserved(a) && !inVirtualNetworkTag(ipc, a)
	}
	if strings.Contains(p, "/") {
		if pr, err := netip.ParsePrefix(p); err == nil {
			return pr.Contains(a)
		}
	} else if ad, err := netip.ParseAddr(p); err == nil {
		return ad == a
	}
	return s.InServiceTag(p, a)
}

// matchAddr: any written prefix matches (application security groups
// never match: the model has no ASG membership yet). A rule with neither
// prefixes nor ASGs matches everything.
func matchAddr(s *fabric.Snapshot, prefixes, asgs []string, a netip.Addr, ipc *fabric.IPConfig) bool {
	if len(prefixes) == 0 && len(asgs) == 0 {
		return true
	}
	for _, p := range prefixes {
		if matchPrefix(s, p, a, ipc) {
			return true
		}
	}
	return false
}

// parsePortRange parses "*", "443" or "8000-8999".
func parsePortRange(r string) (lo, hi int, ok bool) {
	r = strings.TrimSpace(r)
	if r == "*" {
		return 0, 65535, true
	}
	a, b, isRange := strings.Cut(r, "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, false
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

func matchPort(ranges []string, port int) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, r := range ranges {
		if lo, hi, ok := parsePortRange(r); ok && port >= lo && port <= hi {
			return true
		}
	}
	return false
}

func matchProto(rule, flow fabric.Protocol) bool {
	return rule == fabric.ProtoAny || rule == "" || strings.EqualFold(string(rule), "Any") ||
		strings.EqualFold(string(rule), string(flow))
}

// flow is one direction of a connection at one NIC.
type flow struct {
	s            *fabric.Snapshot // for service tags
	ipc          *fabric.IPConfig // the NIC whose NSGs are evaluated
	dir          fabric.Direction
	proto        fabric.Protocol
	src, dst     netip.Addr
	sport, dport int
}

func (f *flow) matches(r *fabric.SecurityRule) bool {
	return strings.EqualFold(string(r.Direction), string(f.dir)) &&
		matchProto(r.Protocol, f.proto) &&
		matchAddr(f.s, r.SourcePrefixes, r.SourceASGs, f.src, f.ipc) &&
		matchAddr(f.s, r.DestinationPrefixes, r.DestinationASGs, f.dst, f.ipc) &&
		matchPort(r.SourcePorts, f.sport) &&
		matchPort(r.DestinationPorts, f.dport)
}

// implicitDeny stands for Azure's DenyAll default rule when an NSG's rule
// list lacks it (snapshots always carry the six default rules).
func implicitDeny(dir fabric.Direction) *fabric.SecurityRule {
	name := "DenyAllInBound"
	if dir == fabric.Outbound {
		name = "DenyAllOutBound"
	}
	return &fabric.SecurityRule{Name: name, Priority: 65500, Direction: dir, Access: "Deny", Protocol: fabric.ProtoAny, Default: true}
}

// decide returns the rule of nsg that decides f (first match in order)
// and whether it allows.
func decide(nsg *fabric.NSG, f *flow) (*fabric.SecurityRule, bool) {
	for _, r := range nsg.Rules {
		if f.matches(r) {
			return r, strings.EqualFold(r.Access, "Allow")
		}
	}
	return implicitDeny(f.dir), false
}

// ruleName is "securityRules/<name>" or "defaultSecurityRules/<name>".
func ruleName(r *fabric.SecurityRule) string {
	if r.Default {
		return "defaultSecurityRules/" + r.Name
	}
	return "securityRules/" + r.Name
}

func ruleID(nsg *fabric.NSG, r *fabric.SecurityRule) string {
	if r.ID != "" {
		return r.ID
	}
	return nsg.ID + "/" + ruleName(r)
}

// appliedNSG is an NSG applied to a flow, with where it is applied.
type appliedNSG struct {
	nsg   *fabric.NSG
	where string // "subnet <name>" or "NIC <name>"
}

// nsgsInOrder lists the NSGs a flow meets at ipc's NIC: inbound subnet
// then NIC, outbound NIC then subnet.
func nsgsInOrder(ipc *fabric.IPConfig, dir fabric.Direction) [2]appliedNSG {
	var nic, sub appliedNSG
	if ipc.NIC != nil && ipc.NIC.NSG != nil {
		nic = appliedNSG{ipc.NIC.NSG, "NIC " + ipc.NIC.Name}
	}
	if ipc.Subnet != nil && ipc.Subnet.NSG != nil {
		sub = appliedNSG{ipc.Subnet.NSG, "subnet " + ipc.Subnet.Name}
	}
	if dir == fabric.Inbound {
		return [2]appliedNSG{sub, nic}
	}
	return [2]appliedNSG{nic, sub}
}

// IPFlowVerify answers Azure's ipFlowVerify for one direction at ipc's
// NIC: inbound the subnet's NSG then the NIC's, outbound the NIC's then
// the subnet's; the first NSG that denies decides ("Deny" and its rule).
// When every NSG allows, the rule is the one of the last NSG evaluated.
// With no NSG at all the answer is "Allow" and an empty rule name.
// Inbound, remote is the source and local the destination; outbound the
// reverse. A zero remote or local port matches as port 0.
func IPFlowVerify(s *fabric.Snapshot, ipc *fabric.IPConfig, dir fabric.Direction, proto fabric.Protocol, local netip.AddrPort, remote netip.AddrPort) (access string, rule string) {
	if ipc == nil {
		return "Allow", ""
	}
	f := flow{s: s, ipc: ipc, dir: dir, proto: proto}
	if dir == fabric.Inbound {
		f.src, f.sport, f.dst, f.dport = remote.Addr(), int(remote.Port()), local.Addr(), int(local.Port())
	} else {
		f.src, f.sport, f.dst, f.dport = local.Addr(), int(local.Port()), remote.Addr(), int(remote.Port())
	}
	access = "Allow"
	for _, a := range nsgsInOrder(ipc, dir) {
		if a.nsg == nil {
			continue
		}
		r, allowed := decide(a.nsg, &f)
		if !allowed {
			return "Deny", ruleName(r)
		}
		rule = ruleName(r)
	}
	return access, rule
}

// EffectiveSecurityGroups lists the NSGs applied to a NIC, the NIC's own
// first, then its subnets' (once per subnet), with their rules in
// evaluation order and service tags expanded for this NIC (its primary IP
// configuration).
func EffectiveSecurityGroups(s *fabric.Snapshot, nic *fabric.NIC) []EffectiveNSG {
	if nic == nil {
		return nil
	}
	ipc := nic.Primary()
	var out []EffectiveNSG
	if nic.NSG != nil {
		out = append(out, EffectiveNSG{
			NetworkSecurityGroup:   SubResource{ID: s.DisplayID(nic.NSG.ID)},
			Association:            EffectiveNSGAssociation{NetworkInterface: &SubResource{ID: s.DisplayID(nic.ID)}},
			EffectiveSecurityRules: effectiveRules(s, nic.NSG, ipc),
		})
	}
	seen := map[*fabric.Subnet]bool{}
	for _, c := range nic.IPConfigs {
		sn := c.Subnet
		if sn == nil || sn.NSG == nil || seen[sn] {
			continue
		}
		seen[sn] = true
		out = append(out, EffectiveNSG{
			NetworkSecurityGroup:   SubResource{ID: s.DisplayID(sn.NSG.ID)},
			Association:            EffectiveNSGAssociation{Subnet: &SubResource{ID: s.DisplayID(sn.ID)}},
			EffectiveSecurityRules: effectiveRules(s, sn.NSG, c),
		})
	}
	return out
}

func effectiveRules(s *fabric.Snapshot, nsg *fabric.NSG, ipc *fabric.IPConfig) []EffectiveSecurityRule {
	out := make([]EffectiveSecurityRule, 0, len(nsg.Rules))
	for _, r := range nsg.Rules {
		e := EffectiveSecurityRule{
			Name:      ruleName(r),
			Protocol:  effectiveProtocol(r.Protocol),
			Access:    r.Access,
			Priority:  r.Priority,
			Direction: r.Direction,
		}
		e.SourcePortRanges = portRanges(r.SourcePorts)
		e.DestinationPortRanges = portRanges(r.DestinationPorts)
		if len(e.SourcePortRanges) == 1 {
			e.SourcePortRange = e.SourcePortRanges[0]
		}
		if len(e.DestinationPortRanges) == 1 {
			e.DestinationPortRange = e.DestinationPortRanges[0]
		}
		e.SourceAddressPrefix, e.SourceAddressPrefixes, e.ExpandedSourceAddressPrefix = addressPrefixes(s, r.SourcePrefixes, ipc)
		e.DestinationAddressPrefix, e.DestinationAddressPrefixes, e.ExpandedDestinationAddressPrefix = addressPrefixes(s, r.DestinationPrefixes, ipc)
		out = append(out, e)
	}
	return out
}

func effectiveProtocol(p fabric.Protocol) string {
	if p == fabric.ProtoAny || p == "" || strings.EqualFold(string(p), "Any") {
		return "All"
	}
	return string(p)
}

// portRanges normalises written port ranges to "a-b".
func portRanges(in []string) []string {
	if len(in) == 0 {
		return []string{"0-65535"}
	}
	out := make([]string, 0, len(in))
	for _, r := range in {
		lo, hi, ok := parsePortRange(r)
		if !ok {
			out = append(out, strings.TrimSpace(r))
			continue
		}
		out = append(out, strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
	}
	return out
}

// addressPrefixes renders written prefixes like Azure's effective rules:
// "*" becomes 0.0.0.0/0 and 0::/0; when any entry is a tag the expanded
// list replaces each tag by its prefixes (CIDRs kept as written).
func addressPrefixes(s *fabric.Snapshot, in []string, ipc *fabric.IPConfig) (single string, list, expanded []string) {
	if len(in) == 0 {
		in = []string{"*"}
	}
	hasTag := false
	for _, p := range in {
		p = strings.TrimSpace(p)
		if p == "*" || strings.EqualFold(p, "Any") {
			list = append(list, "0.0.0.0/0", "0::/0")
			continue
		}
		list = append(list, p)
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		hasTag = true
	}
	if len(in) == 1 {
		single = list[0]
	}
	if !hasTag {
		return single, list, nil
	}
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			expanded = append(expanded, s)
		}
	}
	addAll := func(ps []netip.Prefix) {
		for _, p := range ps {
			add(p.String())
		}
	}
	for _, p := range in {
		p = strings.TrimSpace(p)
		switch {
		case p == "*" || strings.EqualFold(p, "Any"):
			add("0.0.0.0/0")
			add("::/0")
		case strings.EqualFold(p, "VirtualNetwork"):
			addAll(virtualNetworkTagPrefixes(ipc))
		case strings.EqualFold(p, "AzureLoadBalancer"):
			add(netip.PrefixFrom(fabric.AzurePlatformIP, 32).String())
		case strings.EqualFold(p, "Internet"):
			addAll(internetTagPrefixes(ipc))
		default:
			if _, err := netip.ParsePrefix(p); err == nil {
				add(p)
			} else if _, err := netip.ParseAddr(p); err == nil {
				add(p)
			} else if s != nil {
				addAll(s.ServiceTagPrefixes(p))
			}
		}
	}
	if expanded == nil {
		expanded = []string{}
	}
	return single, list, expanded
}
