// Package proxy implements the fabric's ingress proxies: the loopback
// SOCKS5 and HTTP proxies through which real programs (curl, kubectl,
// helm, ssh with a ProxyCommand, any proxy-aware tool) connect "from" an
// emulated host, the vantage.
//
// A client names the vantage in the proxy user name (a host's resource ID
// in any case, a VM name unique across the snapshot, or "internet") and
// sends the proxy token as the password. For every new connection the
// proxy
//
//  1. calls the read-your-writes fence (Config.Sync), so a connection made
//     right after an ARM write sees that write;
//  2. resolves a host name in the vantage's DNS view (Config.Resolve);
//  3. asks the evaluator (Config.Evaluate, path.Evaluate in the daemon)
//     for a fabric.Verdict;
//  4. when the verdict is Delivered, dials the real loopback listener that
//     stands for the destination (Verdict.TargetAddr), or answers with the
//     built-in SSH banner ("ssh-banner"), and splices the two connections;
//     otherwise it refuses in the protocol's terms and logs the verdict's
//     block reasons.
//
// Outcomes map to SOCKS5 replies (RFC 1928) and HTTP statuses as follows:
//
//	Outcome             SOCKS5 reply                         HTTP CONNECT / absolute URI
//	Delivered           0x00 succeeded                       200 / the origin's response
//	DeniedByNSG         0x02 connection not allowed by ruleset 403
//	NetworkUnreachable  0x03 network unreachable             502
//	HostUnreachable     0x04 host unreachable                502
//	SourceDown          0x04 host unreachable                502
//	(name not resolved) 0x04 host unreachable                502
//	Refused             0x05 connection refused              502
//
// Clients should let the proxy resolve names (curl: socks5h://, or
// https_proxy=http://...; ssh: a ProxyCommand that sends the name), since
// names resolve in the vantage's DNS view, not the real machine's.
//
// Only loopback addresses are ever dialed: a TargetAddr outside 127.0.0.0/8
// and ::1 is refused (emulated addresses exist only in the snapshot).
//
// Every spliced connection is a flow (Proxy.Flows). Flows are stateful like
// Azure's: a security rule change does not cut an established flow, but a
// new snapshot in which the flow's source or destination host is missing or
// not running closes it at once.
//
// The SOCKS5 server is github.com/armon/go-socks5. Its Resolver has no
// access to the authenticated user, so the proxy installs a Resolver that
// keeps the name, resolves it in the RuleSet (which sees the user name and
// the requested FQDN), stashes the decision in the request context, and acts
// on it in the Dial hook; armon maps the Dial error text to the reply code
// ("connection refused" -> 0x05, "network is unreachable" -> 0x03, anything
// else -> 0x04), so refusals return exactly those texts.
package proxy
