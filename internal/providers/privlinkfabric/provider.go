// Package privlinkfabric is the Privlink.Fabric resource provider: the
// privlink-only parts of the API that Azure has no equivalent for, because
// an emulated machine runs no operating system.
//
//   - listeners: extension resources at the scope of any host (a VM now;
//     on-premises hosts and other stand-ins later) declaring that the
//     host's port is served by a real loopback listener:
//     "{vm id}/providers/Privlink.Fabric/listeners/tcp-8080" with
//     {"protocol": "Tcp", "port": 8080, "target": "127.0.0.1:18080"}.
//     `privlink vm expose` writes them; the fabric reads them. A listener
//     may name one address ("tcp-10.224.0.35-80" with "address":
//     "10.224.0.35"): one of the host's own private addresses (a pod
//     address on an AKS node's NIC) answers only there; any other address
//     is host-local, like a kube-proxy rule: only connections the host
//     itself opens to address:port reach it (ClusterIPs, overlay pod
//     addresses on the cluster's nodes).
//   - POST /providers/Privlink.Fabric/environment {"from": vantage}: the
//     environment variables that make proxy-aware programs run "from" a
//     vantage host (`privlink env --from`, `privlink vm shell`). With
//     "to": "address:port", the environment of the host that a TCP
//     connection from the vantage to that address reaches, or 409
//     ConnectionNotDelivered with the fabric's reasons (`az network
//     bastion ssh --target-ip-address`).
//   - POST /providers/Privlink.Fabric/dnsQuery {"from", "name", "type"}:
//     a DNS answer as the vantage host would get it, with the resolution
//     steps (`privlink network dns query`).
//
// Everything goes through the ARM front end (authentication, errors) like
// any other provider; the CLI has no back door.
package privlinkfabric

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace.
const Namespace = "Privlink.Fabric"

// ListenerType is the ARM type of declared listeners.
const ListenerType = Namespace + "/listeners"

// APIVersion is the only api-version of the namespace.
const APIVersion = "2025-01-01"

// ListenerProperties are a listener's properties.
type ListenerProperties struct {
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
	Target   string `json:"target"`
	// Address limits the listener to one address (see the package doc).
	Address string `json:"address,omitempty"`
}

// Provider implements arm.Provider. The functions are supplied by the
// composition root (internal/app); nil ones answer 501.
type Provider struct {
	// Environment returns the variables for a vantage (VM name or ID,
	// "internet") and the vantage's resource ID; with to (address:port),
	// those of the host a TCP connection from the vantage to it reaches.
	Environment func(ctx context.Context, subscription, from, to string) (*Environment, error)
	// DNSQuery answers a query as the vantage would be answered.
	DNSQuery func(ctx context.Context, subscription, from, name, qtype string) (*DNSAnswer, error)
}

// Environment is the answer of POST .../environment.
type Environment struct {
	// Vantage is the resource ID of the host ("internet" for the internet).
	Vantage   string            `json:"vantage"`
	Variables map[string]string `json:"variables"`
	// SOCKS5 and HTTPProxy are the loopback proxy addresses; DNSServer is
	// the loopback address of the vantage's VNet resolver ("" for the
	// internet vantage).
	SOCKS5    string `json:"socks5"`
	HTTPProxy string `json:"httpProxy"`
	DNSServer string `json:"dnsServer,omitempty"`
}

// DNSAnswer is the answer of POST .../dnsQuery.
type DNSAnswer struct {
	Rcode   string      `json:"rcode"`
	Answers []DNSRecord `json:"answers"`
	Steps   []string    `json:"steps"`
}

// DNSRecord is one answer record.
type DNSRecord struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	TTL   uint32 `json:"ttl"`
	Value string `json:"value"`
}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr Provider) Register(p *arm.Platform) error {
	p.Registry.Register(listenerSpec())
	p.Server.Handle(http.MethodPost, "/providers/Privlink.Fabric/environment", pr.environment)
	p.Server.Handle(http.MethodPost, "/subscriptions/{sub}/providers/Privlink.Fabric/environment", pr.environment)
	p.Server.Handle(http.MethodPost, "/providers/Privlink.Fabric/dnsQuery", pr.dnsQuery)
	p.Server.Handle(http.MethodPost, "/subscriptions/{sub}/providers/Privlink.Fabric/dnsQuery", pr.dnsQuery)
	return nil
}

var listenerNameRE = regexp.MustCompile(`^(?i)(tcp|udp)-(?:([0-9a-f.:]+)-)?([0-9]{1,5})$`)

// ListenerName is the resource name of a listener: "tcp-8080".
func ListenerName(protocol string, port int) string {
	return strings.ToLower(protocol) + "-" + strconv.Itoa(port)
}

// AddressListenerName is the resource name of a listener on one address:
// "tcp-10.224.0.35-80".
func AddressListenerName(protocol string, addr netip.Addr, port int) string {
	return strings.ToLower(protocol) + "-" + addr.String() + "-" + strconv.Itoa(port)
}

func listenerSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:        ListenerType,
		APIVersions: []string{APIVersion},
		Scope:       arm.ScopeExtension,
		Location:    arm.LocationNone,
		ValidateName: func(name string) error {
			if !listenerNameRE.MatchString(name) {
				return arm.BadRequest("InvalidResourceName",
					"The listener name '%s' is invalid. It must be '<protocol>-<port>' or '<protocol>-<address>-<port>', e.g. 'tcp-8080' or 'tcp-10.224.0.35-80'.", name)
			}
			return nil
		},
		Put: putListener,
	}
}

func putListener(ctx context.Context, op *arm.PutOp) error {
	if !isHostScope(op.ID.Scope) {
		return arm.BadRequest("InvalidScope",
			"Listeners can only be declared on a host: a virtual machine ('.../providers/Microsoft.Compute/virtualMachines/{name}') or an on-premises host ('.../providers/Privlink.OnPrem/sites/{site}/hosts/{name}'); got scope '%s'.", op.ID.Scope)
	}
	var in ListenerProperties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	m := listenerNameRE.FindStringSubmatch(op.ID.Name())
	namePort, _ := strconv.Atoi(m[3])
	proto, ok := canonicalProtocol(in.Protocol, m[1])
	if !ok {
		return arm.InvalidParameter("The value '%s' of property 'protocol' is invalid. Allowed values: Tcp, Udp.", in.Protocol)
	}
	if !strings.EqualFold(proto, m[1]) {
		return arm.BadRequest("InvalidRequestContent",
			"The protocol '%s' does not match the listener name '%s'.", proto, op.ID.Name())
	}
	if in.Port == 0 {
		in.Port = namePort
	}
	if in.Port < 1 || in.Port > 65535 {
		return arm.InvalidParameter("The value '%d' of property 'port' is invalid. It must be between 1 and 65535.", in.Port)
	}
	if in.Port != namePort {
		return arm.BadRequest("InvalidRequestContent",
			"The port %d does not match the listener name '%s'.", in.Port, op.ID.Name())
	}
	target, err := CheckTarget(in.Target)
	if err != nil {
		return arm.InvalidParameter("The value '%s' of property 'target' is invalid: %s.", in.Target, strings.TrimPrefix(err.Error(), fmt.Sprintf("target %q: ", in.Target)))
	}
	addr := ""
	if in.Address != "" || m[2] != "" {
		a, err := netip.ParseAddr(in.Address)
		if err != nil || a.Zone() != "" {
			return arm.InvalidParameter("The value '%s' of property 'address' is invalid. It must be an IPv4 or IPv6 address.", in.Address)
		}
		na, nerr := netip.ParseAddr(m[2])
		if nerr != nil || na != a.Unmap() {
			return arm.BadRequest("InvalidRequestContent",
				"The address '%s' does not match the listener name '%s'.", in.Address, op.ID.Name())
		}
		addr = a.Unmap().String()
	}
	return op.Body.SetProperties(ListenerProperties{Protocol: proto, Port: in.Port, Target: target, Address: addr})
}

// isHostScope reports whether scope is the ID of a resource that stands
// for a machine.
func isHostScope(scope string) bool {
	id, err := arm.ParseID(scope)
	if err != nil || id.IsCollection() {
		return false
	}
	return strings.EqualFold(id.Type(), "Microsoft.Compute/virtualMachines") ||
		strings.EqualFold(id.Type(), "Privlink.OnPrem/sites/hosts")
}

func canonicalProtocol(v, fromName string) (string, bool) {
	if v == "" {
		v = fromName
	}
	switch strings.ToLower(v) {
	case "tcp":
		return "Tcp", true
	case "udp":
		return "Udp", true
	}
	return "", false
}

// CheckTarget validates a listener target: host:port on loopback
// (127.0.0.0/8, ::1 or "localhost"). It returns the normalized form.
func CheckTarget(target string) (string, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return "", fmt.Errorf("target %q: it must be host:port on this machine's loopback, e.g. 127.0.0.1:8080", target)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("target %q: the port must be between 1 and 65535", target)
	}
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.IsLoopback() {
		return "", fmt.Errorf("target %q: privlink only delivers to listeners on loopback (127.0.0.0/8 or ::1); emulated addresses never exist on the real machine", target)
	}
	return net.JoinHostPort(a.String(), port), nil
}

type environmentInput struct {
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

func (pr Provider) environment(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if pr.Environment == nil {
		return nil, arm.Errorf(http.StatusNotImplemented, "NotImplemented", "The data plane is not running in this daemon.")
	}
	var in environmentInput
	if err := req.DecodeBody(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.From) == "" {
		return nil, arm.BadRequest("InvalidRequestContent", "The request content must name the vantage host in 'from' (a VM name or resource ID, or 'internet').")
	}
	if in.To != "" {
		if _, err := netip.ParseAddrPort(in.To); err != nil {
			return nil, arm.BadRequest("InvalidRequestContent", "The value '%s' of 'to' is invalid: give an IP address and a port (10.0.0.4:22).", in.To)
		}
	}
	env, err := pr.Environment(ctx, subscriptionOf(req), in.From, in.To)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: env}, nil
}

type dnsQueryInput struct {
	From string `json:"from"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func (pr Provider) dnsQuery(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if pr.DNSQuery == nil {
		return nil, arm.Errorf(http.StatusNotImplemented, "NotImplemented", "The data plane is not running in this daemon.")
	}
	var in dnsQueryInput
	if err := req.DecodeBody(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.From) == "" || strings.TrimSpace(in.Name) == "" {
		return nil, arm.BadRequest("InvalidRequestContent", "The request content must give 'from' (a VM name or resource ID, or 'internet') and 'name'.")
	}
	if in.Type == "" {
		in.Type = "A"
	}
	ans, err := pr.DNSQuery(ctx, subscriptionOf(req), in.From, in.Name, strings.ToUpper(in.Type))
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: ans}, nil
}

func subscriptionOf(req *arm.Request) string {
	return req.Vars["sub"]
}
