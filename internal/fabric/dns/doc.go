// Package dns is Azure-provided DNS (168.63.129.16) for the emulated
// fabric: what a host inside a virtual network, or the internet vantage,
// gets when it resolves a name.
//
// Resolve and ResolveFrom are pure functions of a fabric.Snapshot. From a
// VNet they answer, in order:
//
//   - Azure-provided internal names: "<computerName>.<internalDomainSuffix>"
//     and the bare single-label computer name, for hosts of the same VNet
//     only (TTL 10 s, the TTL of auto-registered records);
//   - private DNS zones linked to the VNet: the longest linked zone that
//     encloses the name answers (records, wildcard records, CNAMEs, NODATA,
//     or NXDOMAIN with the zone's SOA, unless the link's resolutionPolicy is
//     NxDomainRedirect, which falls back to public DNS);
//   - the emulated public DNS (Snapshot.PublicRecords, wildcards included).
//
// CNAMEs are chased through the same view (at most 8, loops detected), so a
// public "x.blob.core.windows.net CNAME x.privatelink.blob.core.windows.net"
// ends in the private endpoint's address inside a linked VNet and in the
// public address elsewhere. The internet vantage sees public DNS only. A VNet
// with custom DNS servers (dhcpOptions.dnsServers) is not answered: the
// Answer carries ForwardTo and Server forwards the query to the first
// reachable server, as the path evaluator decides.
//
// Every Answer explains itself (Steps) and lists what makes a lookup fail
// (Blocks of kind "DNS"), for `privlink network dns query` and the proxies.
//
// Hybrid DNS (hybrid.go): DNS Private Resolver, forwarding rulesets and
// on-premises DNS servers. A query may cross several DNS servers; every
// hop between two of them is a UDP flow to the target's port that the path
// evaluator decides (NSGs, routes, peerings, gateways), so a failure names
// the setting that blocks it:
//
//   - forwarding rulesets linked to a VNet apply first, to every name of
//     the CNAME chain Azure DNS resolves for that VNet: the enabled rule
//     whose domain is the longest suffix of the name forwards it to its
//     targets, in order, from the ruleset's first outbound endpoint (a
//     rule for "." matches every name; disabled rules are skipped and
//     named in the steps); the first target that answers gives the answer,
//     unreachable ones SERVFAIL with a block naming why;
//   - a query reaching a resolver's inbound endpoint (a rule target, a
//     VNet's custom DNS server, an on-premises conditional forwarder) is
//     answered in process with the Azure-provided DNS of the resolver's
//     VNet, its linked rulesets first;
//   - an on-premises host (fabric.KindOnPrem, or any host with
//     Host.DNSServers) asks its DNS servers (its site's DNS server by
//     default); a site's DNS server sends names under its longest matching
//     conditional forwarder to the forwarder's targets from Site.DNSHost,
//     and answers other names from public DNS, following the CNAME chain
//     there;
//   - a target that is a VM with a declared port 53 is a real listener:
//     Server asks it (Answer.External, not cached); the pure functions do
//     not send real queries and say so.
//
// Choices where Azure is silent:
//
//   - A forwarded answer is final: the CNAMEs it holds are not chased
//     again by the forwarding server.
//   - An on-premises DNS server that answers from public DNS follows the
//     public CNAME chain in public DNS, without consulting its conditional
//     forwarders again: a forwarder for a privatelink zone alone is never
//     used for a public name (the classic mistake; the step says so and
//     names the public zone to forward instead).
//   - The on-premises LAN is flat: a site's hosts reach the site's DNS
//     server without path evaluation; flows leaving the site are evaluated.
//   - A query that comes back to a server already on its path (an inbound
//     endpoint whose VNet is linked to a ruleset forwarding to it, a site
//     whose forwarder points at a resolver forwarding back) is SERVFAIL
//     "forwarding loop"; at most 8 servers are crossed.
//   - Answers of in-process chains are cached with the snapshot like other
//     pure answers; a chain's reachability through a load balancer follows
//     the health the evaluator had when the answer was computed.
//
// Choices where Azure is silent or where we could not confirm:
//
//   - Names that are not valid domain names (a label longer than 63
//     octets, a name longer than 253 characters, empty labels) are
//     answered FORMERR. Over the wire miekg/dns already refuses them while
//     unpacking, and its server then answers FORMERR too.
//   - Empty non-terminals (a name that exists only because a longer name
//     exists below it) answer NOERROR with no records, in private zones and
//     in public DNS alike.
//   - Wildcards follow RFC 4592: "*.<closest encloser>" synthesises records
//     for names that do not exist below an existing name.
//   - Negative answers from a private zone (NXDOMAIN and NODATA) carry the
//     zone's SOA in the authority section; public negative answers carry no
//     SOA (the emulated public DNS holds no zones).
//   - AXFR/IXFR are REFUSED; classes other than IN are REFUSED.
//   - Names under another VNet's internal domain suffix are NXDOMAIN.
//   - A host that has no ComputerName is known by its resource name.
//   - Replies have RA set and AA clear, as from a recursive resolver.
//
// Server serves this on real loopback sockets, one UDP+TCP port per VNet
// (created on demand by Addr, closed when the VNet disappears from the
// snapshot), and in process through Exchange. Over UDP, a plain query
// asked again while the snapshot is unchanged is answered from a table of
// packed replies by a hand-written parser without unpacking the message
// (udp.go); everything else goes through miekg/dns, as over TCP.
package dns
