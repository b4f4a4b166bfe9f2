package diagnose

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// connectivityRequest is ConnectivityParameters.
type connectivityRequest struct {
	Source *struct {
		ResourceID string `json:"resourceId"`
		Port       int    `json:"port"`
	} `json:"source"`
	Destination *struct {
		ResourceID string `json:"resourceId"`
		Address    string `json:"address"`
		Port       int    `json:"port"`
	} `json:"destination"`
	Protocol string `json:"protocol"`
}

// ConnectivityResult is ConnectivityInformation plus privlink's two extra
// properties (see the package documentation).
type ConnectivityResult struct {
	Hops                []ConnectivityHop `json:"hops"`
	ConnectionStatus    string            `json:"connectionStatus"`
	AvgLatencyInMs      int               `json:"avgLatencyInMs"`
	MinLatencyInMs      int               `json:"minLatencyInMs"`
	MaxLatencyInMs      int               `json:"maxLatencyInMs"`
	ProbesSent          int               `json:"probesSent"`
	ProbesFailed        int               `json:"probesFailed"`
	PrivlinkProbe       *ProbeResult      `json:"privlinkProbe,omitempty"`
	PrivlinkExplanation []string          `json:"privlinkExplanation"`
}

// ConnectivityHop is one hop of a connectivity check.
type ConnectivityHop struct {
	Type       string              `json:"type"`
	ID         string              `json:"id"`
	Address    string              `json:"address"`
	ResourceID string              `json:"resourceId"`
	NextHopIDs []string            `json:"nextHopIds"`
	Issues     []ConnectivityIssue `json:"issues"`
}

// ConnectivityIssue is an issue found at a hop.
type ConnectivityIssue struct {
	Origin   string              `json:"origin"`
	Severity string              `json:"severity"`
	Type     string              `json:"type"`
	Context  []map[string]string `json:"context"`
}

// ProbeResult is privlink's real connection attempt.
type ProbeResult struct {
	Connected   bool    `json:"connected"`
	LatencyInMs float64 `json:"latencyInMs"`
	Error       string  `json:"error,omitempty"`
}

// Connection statuses.
const (
	StatusReachable   = "Reachable"
	StatusUnreachable = "Unreachable"
	StatusDegraded    = "Degraded"
)

// issueTypes maps fabric block kinds to Azure's issue types.
var issueTypes = map[string]string{
	"NetworkSecurityRule": "NetworkSecurityRule",
	"Route":               "UserDefinedRoute",
	"DNS":                 "DnsResolution",
	"NoListener":          "Unknown",
}

func issueType(kind string) string {
	if t, ok := issueTypes[kind]; ok {
		return t
	}
	return "Platform"
}

// connectivityCheck is a validated request.
type connectivityCheck struct {
	src       *fabric.Host
	srcIPC    *fabric.IPConfig
	srcPort   int
	destIP    netip.Addr // set when the destination is an address or a VM
	destName  string     // set when the destination is an FQDN
	port      int
	proto     fabric.Protocol
	probeable bool
}

func (p *Provider) prepareConnectivity(_ context.Context, s *fabric.Snapshot, body []byte) (job, error) {
	var r connectivityRequest
	if err := decodeJSON(body, &r); err != nil {
		return nil, err
	}
	if r.Source == nil || r.Source.ResourceID == "" {
		return nil, missingProperty("source.resourceId")
	}
	if r.Destination == nil || (r.Destination.ResourceID == "" && r.Destination.Address == "") {
		return nil, missingProperty("destination.address")
	}
	c := &connectivityCheck{srcPort: r.Source.Port, port: r.Destination.Port}
	switch {
	case r.Protocol == "" || strings.EqualFold(r.Protocol, "Tcp"):
		c.proto, c.probeable = fabric.TCP, true
	case strings.EqualFold(r.Protocol, "Http"):
		c.proto, c.probeable = fabric.TCP, true
		if c.port == 0 {
			c.port = 80
		}
	case strings.EqualFold(r.Protocol, "Https"):
		c.proto, c.probeable = fabric.TCP, true
		if c.port == 0 {
			c.port = 443
		}
	case strings.EqualFold(r.Protocol, "Icmp"):
		c.proto = fabric.ICMP
	default:
		return nil, arm.InvalidParameter("The value '%s' of property 'protocol' is not valid. Allowed values are 'Tcp', 'Http', 'Https', 'Icmp'.", r.Protocol)
	}
	if c.proto == fabric.TCP && c.port == 0 {
		return nil, missingProperty("destination.port")
	}
	if c.port < 0 || c.port > 65535 {
		return nil, arm.InvalidParameter("The value '%d' of property 'destination.port' is not a valid port.", c.port)
	}
	if c.srcPort < 0 || c.srcPort > 65535 {
		return nil, arm.InvalidParameter("The value '%d' of property 'source.port' is not a valid port.", c.srcPort)
	}
	src, err := runningSource(s, "source.resourceId", r.Source.ResourceID)
	if err != nil {
		return nil, err
	}
	c.src, c.srcIPC = src, src.PrimaryIPConfig()
	switch {
	case r.Destination.ResourceID != "":
		dst, err := findVM(s, "destination.resourceId", r.Destination.ResourceID)
		if err != nil {
			return nil, err
		}
		ipc := dst.PrimaryIPConfig()
		if ipc == nil || !ipc.PrivateIP.IsValid() {
			return nil, arm.InvalidParameter("Virtual machine %s has no private IP address.", dst.ResourceID)
		}
		c.destIP = ipc.PrivateIP
	default:
		addr := strings.TrimSpace(r.Destination.Address)
		if ip, err := netip.ParseAddr(addr); err == nil {
			c.destIP = ip.Unmap()
		} else {
			c.destName = strings.TrimSuffix(strings.ToLower(addr), ".")
			if c.destName == "" || strings.ContainsAny(c.destName, " /:") {
				return nil, arm.InvalidParameter("The value '%s' of property 'destination.address' is not a valid IP address or domain name.", addr)
			}
		}
	}
	return func(ctx context.Context) (any, error) { return p.runConnectivity(ctx, s, c) }, nil
}

func (p *Provider) runConnectivity(ctx context.Context, s *fabric.Snapshot, c *connectivityCheck) (*ConnectivityResult, error) {
	res := &ConnectivityResult{Hops: []ConnectivityHop{}, PrivlinkExplanation: []string{}}
	dest := c.destIP
	if c.destName != "" {
		addrs, steps, err := p.resolve(ctx, s, c.src.ID, c.destName)
		res.PrivlinkExplanation = append(res.PrivlinkExplanation, steps...)
		if err == nil && len(addrs) == 0 {
			// The resolver's last step sums up why nothing answered (the
			// response code and what blocked: a zone not linked, ...).
			err = fmt.Errorf("%s: no addresses", c.destName)
			if n := len(steps); n > 0 {
				err = errors.New(steps[n-1])
			}
		}
		if err != nil {
			reason := fmt.Sprintf("DNS resolution of %s failed: %v", c.destName, err)
			res.PrivlinkExplanation = append(res.PrivlinkExplanation, reason)
			res.ConnectionStatus = StatusUnreachable
			res.Hops = append(res.Hops, p.sourceHop(c, []ConnectivityIssue{{
				Origin: "Local", Severity: "Error", Type: "DnsResolution",
				Context: []map[string]string{{"reason": reason}},
			}}))
			return res, nil
		}
		dest = addrs[0]
	}
	v := path.Evaluate(s, fabric.Query{Source: c.src.ID, Dest: dest, Protocol: c.proto, Port: c.port, SourcePort: c.srcPort,
		Health: p.Health})
	ids := make([]string, len(v.Hops))
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	for i, h := range v.Hops {
		hop := ConnectivityHop{Type: h.Type, ID: ids[i], ResourceID: hopResourceID(h.ResourceID),
			NextHopIDs: []string{}, Issues: []ConnectivityIssue{}}
		if h.Address.IsValid() {
			hop.Address = h.Address.String()
		}
		if i+1 < len(ids) {
			hop.NextHopIDs = append(hop.NextHopIDs, ids[i+1])
		}
		for _, b := range h.Issues {
			hop.Issues = append(hop.Issues, toIssue(b, i, len(v.Hops)))
		}
		res.Hops = append(res.Hops, hop)
	}
	for _, b := range v.Blocks {
		res.PrivlinkExplanation = append(res.PrivlinkExplanation, b.Reason)
	}
	if !v.Allowed() {
		res.ConnectionStatus = StatusUnreachable
		return res, nil
	}
	res.ConnectionStatus = StatusReachable
	if !c.probeable || p.Probe == nil {
		return res, nil
	}
	target := netip.AddrPortFrom(dest, uint16(c.port)).String()
	d, err := p.Probe(ctx, c.src.ID, target)
	pr := &ProbeResult{Connected: err == nil, LatencyInMs: math.Round(float64(d)/float64(time.Microsecond)) / 1000}
	res.PrivlinkProbe = pr
	res.ProbesSent = 1
	if err != nil {
		pr.Error = err.Error()
		res.ProbesFailed = 1
		res.ConnectionStatus = StatusDegraded
		res.PrivlinkExplanation = append(res.PrivlinkExplanation,
			fmt.Sprintf("the network allows the flow, but a real connection to %s from %s failed: %v", target, c.src.Name, err))
		p.Log.Info("connectivity probe failed after a reachable analysis", "source", c.src.ID, "dest", target, "err", err)
		return res, nil
	}
	ms := int(math.Ceil(float64(d) / float64(time.Millisecond)))
	res.AvgLatencyInMs, res.MinLatencyInMs, res.MaxLatencyInMs = ms, ms, ms
	return res, nil
}

// resolve resolves name in the source host's DNS view.
func (p *Provider) resolve(ctx context.Context, s *fabric.Snapshot, hostID, name string) ([]netip.Addr, []string, error) {
	if p.Resolve == nil {
		return nil, nil, fmt.Errorf("no DNS resolver is configured")
	}
	return p.Resolve(ctx, s, hostID, name)
}

// sourceHop is the Source hop of an answer that stops at the source.
func (p *Provider) sourceHop(c *connectivityCheck, issues []ConnectivityIssue) ConnectivityHop {
	hop := ConnectivityHop{Type: "Source", ID: uuid.NewString(), NextHopIDs: []string{}, Issues: issues}
	if c.srcIPC != nil {
		hop.ResourceID = hopResourceID(c.srcIPC.ID)
		if c.srcIPC.PrivateIP.IsValid() {
			hop.Address = c.srcIPC.PrivateIP.String()
		}
	}
	return hop
}

// toIssue maps a fabric block found at hop i of n to an Azure issue.
func toIssue(b fabric.Block, i, n int) ConnectivityIssue {
	origin := "Local"
	switch {
	case b.Kind == "DNS":
	case i == 0:
		origin = "Outbound"
	case i == n-1:
		origin = "Inbound"
	}
	ctx := []map[string]string{{"reason": b.Reason}}
	if b.ResourceID != "" {
		ctx = append(ctx, map[string]string{"resourceId": b.ResourceID})
	}
	return ConnectivityIssue{Origin: origin, Severity: "Error", Type: issueType(b.Kind), Context: ctx}
}
