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
//     for a fabric.Verdict, with Query.FlowHash set from the connection's
//     5-tuple (see "Flow hash" below);
//  4. when the verdict is Delivered, allocates a source NAT port when the
//     flow goes through a private link service, dials the real loopback
//     listener that stands for the destination (Verdict.TargetAddr) from
//     the loopback stand-in of the translated source, writes the PROXY
//     protocol v2 header when the service asks for it, or answers with the
//     built-in SSH banner ("ssh-banner"), and splices the two connections;
//     otherwise it refuses in the protocol's terms and logs the verdict's
//     block reasons.
//
// Absolute-URI requests (http_proxy) are forwarded over connections made
// the same way. Requests a client sends on one connection to the proxy
// reuse that connection's upstream connection to the same origin host, as
// the client would reuse its own connection to the server without a
// proxy: the upstream connection is a flow decided when it was dialed
// (later security rule changes do not cut it; a stopped host or a
// withdrawn endpoint connection closes it), it is never shared with
// another client connection or vantage, and it closes with the client's
// connection or after 90 s idle.
//
// Outcomes map to SOCKS5 replies (RFC 1928) and HTTP statuses as follows:
//
//	Outcome               SOCKS5 reply                           HTTP CONNECT / absolute URI
//	Delivered             0x00 succeeded                         200 / the origin's response
//	DeniedByNSG           0x02 connection not allowed by ruleset 403
//	NetworkUnreachable    0x03 network unreachable               502
//	HostUnreachable       0x04 host unreachable                  502
//	SourceDown            0x04 host unreachable                  502
//	(name not resolved)   0x04 host unreachable                  502
//	(NAT port exhaustion) 0x04 host unreachable                  502
//	Refused               0x05 connection refused                502
//
// Private Link blocks follow their outcome: a private endpoint connection
// that is not Approved (Kind PrivateEndpointConnection) is HostUnreachable,
// so 0x04 / 502 with the reason; a connection to a service's NAT IP (Kind
// PrivateLinkOneWay) is NetworkUnreachable, 0x03 / 502.
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
// not running closes it at once. Likewise a flow through a private endpoint
// is closed when a new snapshot shows its endpoint connection no longer
// Approved on either side (the owner rejected or removed it, or the
// consumer's side says so) or the endpoint or the service gone: in Azure,
// rejecting a connection stops its traffic.
//
// # Flow hash
//
// Query.FlowHash is a hash (hash/maphash, with a seed per Proxy) of the
// real connection's 5-tuple: the client's address and port as the proxy
// accepted them (SOCKS and HTTP CONNECT: the client's TCP connection; an
// absolute-URI request: the client connection that carried it), the
// destination address as resolved in the vantage's view and its port, and
// the protocol. One connection therefore always lands on one load
// balancer backend (the evaluator takes the hash modulo the healthy
// members), and connections from different client ports spread. Dial has
// no client connection: it uses 127.0.0.1 and a synthetic ephemeral port
// (49152-65535, in turn), which also stands in for the client port in the
// PROXY header.
//
// # What the target sees
//
// The proxy binds its dial to the target to a loopback address that
// encodes the source the destination sees (Verdict.TranslatedSource, or
// the NAT IP allocated through a private link service): for an IPv4
// source a.b.c.d it binds 127.b.c.d (LoopbackFor), since all of
// 127.0.0.0/8 is local on Linux. A listener on 127.0.0.1 thus sees the
// peer 127.0.1.4 for a VM at 10.0.1.4, and 127.224.10.10 for a flow
// through a private link service whose NAT IP is 10.224.10.10. The
// socket is bound with IP_BIND_ADDRESS_NO_PORT, so the kernel picks the
// port at connect(2), per 4-tuple. An IPv6 source, or a bind that fails,
// gives an unbound dial (logged at debug; FlowInfo.Bound tells).
//
// # Private Link
//
// Source NAT: a flow through a private link service (Verdict.Service)
// takes a port on one of Verdict.NATIPs towards the chosen backend
// (Verdict.Backend.Key): each NAT IP offers Config.NATPortsPerIP ports per
// backend (default 64,000, Azure's "64k ports per NAT IP per backend");
// the primary NAT IP first, the next one when it is full. The port is
// released when the flow closes. The count is the emulation of Azure's
// limit; the port the target observes is the kernel's ephemeral port on
// the NAT IP's loopback stand-in. When every NAT IP is full the connection
// is refused as HostUnreachable (SOCKS 0x04, the reply of the other
// platform drops; HTTP 502) with Block Kind NATPortExhaustion and the
// reason "private link service <name>: NAT port exhaustion: all <n> NAT
// IPs have <k> ports in use towards backend <member>; add NAT IP
// configurations", logged at warning. Proxy.NATUsage lists the ports in
// use and Proxy.NATExhaustions counts the refusals per service.
//
// PROXY protocol v2 (Verdict.ProxyProtocol, the service's
// enableProxyProtocol): before any client byte the backend connection
// receives a header written with github.com/pires/go-proxyproto: command
// PROXY, TCP over IPv4, source Verdict.ConsumerAddr with the client's real
// ephemeral port, destination the endpoint's address and port as the
// consumer dialled them, and TLV 0xEE of value 0x01 followed by
// Verdict.LinkID as uint32 little-endian (EE 00 05 01 L0 L1 L2 L3). The
// bulk after the header is spliced as usual.
//
// # Implementation notes
//
// The SOCKS5 server is the package's own compact RFC 1928/1929 server
// (CONNECT only, user name/password authentication only). It replaced
// github.com/armon/go-socks5, which the proxy used first, because
// connection setup through armon's structure was the bottleneck when
// comparing the proxy with HAProxy (bench/RESULTS.md, "Data plane"):
//
//   - armon runs three goroutines per connection (its handler plus one per
//     copy direction) and wraps every connection in a 4 KiB bufio.Reader;
//   - its Resolver and RuleSet hooks see neither the authenticated user nor
//     the client connection, so the proxy had to stash the decision in the
//     request context and find the client again through a map keyed by
//     remote address, with a lock and string formatting per connection;
//   - it copies with io.Copy from the bufio.Reader, which splices even a
//     one-byte exchange (a pipe and two splice calls per chunk).
//
// The server here reads the negotiation from one pooled 512-byte buffer,
// runs the decision in line, and keeps what a client sent after its
// request (optimistic data) for the target. Replies are those armon sent:
// 0x02 for a security rule, 0x03, 0x04 and 0x05 as in the table above,
// 0x07 for BIND and UDP ASSOCIATE, 0x08 for an unknown address type, and
// BND.ADDR is the proxy's own address towards the target (0.0.0.0:0 on
// failures). A client that offers no user name/password method gets 0xFF;
// a failed authentication gets status 0x01 and the connection is closed
// (RFC 1929).
//
// Copying between a client and its target follows HAProxy's "option
// splice-auto": each direction copies through a 16 KiB buffer while its
// reads come in short (handshakes, requests, interactive traffic: one
// read and one write per chunk), and switches to splice(2) between the
// two sockets once a read fills the buffer (bulk data). The goroutine
// that negotiated copies one direction itself; one more goroutine copies
// the other.
//
// A connection's vantage is looked up once per snapshot and user name
// (a cache that a new snapshot replaces), and the per-connection deadline
// of a decision only builds a timer when the decision has to wait.
//
// The SOCKS negotiation is bounded by a read deadline only (its writes are a few bytes on a fresh connection). A
// target given as an address is dialed with net.Dialer.DialTCP, which
// skips the resolver's parsing of "host:port".
//
// Verdicts are not cached. path.Evaluate is a pure function of the
// snapshot and the query, but the query carries the flow hash of each
// connection's 5-tuple, which picks the backend of a load balancer on the
// path: a cache keyed without it would pin every connection through a
// load balancer (and so every Private Link flow) to one backend, and one
// keyed with it would never hit. The evaluation is also about 1% of the
// CPU of connection setup (bench/RESULTS.md, "Issue 4 targets revisited
// (session 5)"): the system calls of the proxy and its peers dominate.
package proxy
