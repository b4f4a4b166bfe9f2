package property_test

// The reference model for Private Link (azure-behavior.md §4, §5, §8 and
// Azure's documentation on private endpoints, private link services and
// Standard internal load balancers), independent of internal/fabric/path.
//
// A provider publishes a Standard internal load balancer's frontend as a
// private link service with NAT IPs; consumers create private endpoints
// (an address in one of their subnets) connected to the service. A new
// TCP connection from a consumer VM to an endpoint's address succeeds iff
//
//  1. the source VM runs;
//  2. the endpoint is reachable from the source's subnet by routing: the
//     endpoint adds a /32 system route to its own VNet and to every VNet
//     with a Connected peering to it (§5). Longest prefix wins, so that
//     /32 beats the subnet's shorter None user routes and the 10.0.0.0/8
//     None default; a /32 None user route to the endpoint's address ties
//     and, user beating system on a tie, drops the flow. (Azure documents
//     exactly this: UDRs shorter than the endpoint's /32 do not apply to
//     endpoint traffic unless the endpoint's subnet enables route table
//     network policies, which the generator leaves Disabled, the default.)
//     Reaching the endpoint over a peering needs the source VNet's side
//     to allow virtual network access, as for any peered destination;
//  3. the connection is Approved (§5: only Approved carries traffic;
//     Pending, Rejected and Disconnected drop the packets);
//  4. the load balancer has a rule for the port (else Azure drops the
//     flow);
//  5. at least one backend is healthy: it runs and listens on the backend
//     port (the probe is a TCP probe on that port, the backends have no
//     NSG, so nothing else can make a probe fail);
//  6. the source's outbound NSGs (NIC, then subnet) allow the flow to the
//     endpoint's address and port. The endpoint's subnet NSG does not
//     apply (privateEndpointNetworkPolicies Disabled), and the backends
//     have no NSG, so the NAT IP source is always let in;
//
// and the connection then reaches one of the healthy backends on the
// backend port. The outcomes map as for VM-to-VM flows: a source that is
// not running, a connection that is not Approved, a missing rule and no
// healthy backend are host unreachable (0x04: the platform drops the
// packets, like a destination that is down), a None route or a peering
// that denies access is network unreachable (0x03), an NSG deny is 0x02.
// When several apply, the precedence is the VM-to-VM model's: source,
// routing, the destination side (connection, rule, backends), then NSGs.

import (
	"fmt"
	"net/netip"
)

// PrivateLink is the provider side of a topology: a VNet (never peered,
// its space may overlap a consumer VNet's) whose first subnet holds the
// backends and the internal load balancer's frontend and whose second
// subnet (privateLinkServiceNetworkPolicies Disabled) holds the service's
// NAT IPs; a Standard internal load balancer with one frontend, a pool of
// the backends' NICs, a TCP probe on BackendPort and one Tcp rule
// FrontendPort -> BackendPort; and a private link service on that
// frontend.
type PrivateLink struct {
	VNet         *VNet
	FrontendIP   netip.Addr
	FrontendPort int
	BackendPort  int
	NATIPs       []netip.Addr
	// AutoApproval puts the consumers' subscription in the service's
	// visibility and autoApproval lists: manual connections are then
	// Approved at once too.
	AutoApproval bool
	// Backends are the pool's VMs (not in Topology.VMs), listening on
	// BackendPort; all run or none does (see gen.privateLink).
	Backends []*VM
}

// Action is what the service's owner does with an endpoint's connection.
type Action int

// Owner actions on a connection.
const (
	ActionLeave   Action = iota // nothing: the connection keeps its initial state
	ActionApprove               // PUT status Approved
	ActionReject                // PUT status Rejected
	ActionRemove                // DELETE: the consumer sees Disconnected
)

func (a Action) String() string {
	return [...]string{"leave", "approve", "reject", "remove"}[a]
}

// Endpoint is a private endpoint with a static address in a consumer
// subnet, connected to the topology's private link service.
type Endpoint struct {
	Name   string
	Subnet *Subnet
	IP     netip.Addr
	Manual bool // manualPrivateLinkServiceConnections (else automatic)
	Action Action
}

// Connection states of an endpoint's connection.
const (
	StatePending      = "Pending"
	StateApproved     = "Approved"
	StateRejected     = "Rejected"
	StateDisconnected = "Disconnected"
)

// State is the connection's state once the owner acted: an automatic
// connection (whose requester may approve, as in one subscription) and a
// manual one from an auto-approved subscription start Approved, other
// manual ones Pending.
func (t *Topology) State(e *Endpoint) string {
	switch e.Action {
	case ActionApprove:
		return StateApproved
	case ActionReject:
		return StateRejected
	case ActionRemove:
		return StateDisconnected
	}
	return t.InitialState(e)
}

// InitialState is the connection's state before the owner acts.
func (t *Topology) InitialState(e *Endpoint) string {
	if !e.Manual || t.PL.AutoApproval {
		return StateApproved
	}
	return StatePending
}

// healthyBackends are the backends a TCP probe on the backend port finds
// up: running, with a listener there (no NSG on the provider side).
func (t *Topology) healthyBackends() []*VM {
	var out []*VM
	for _, b := range t.PL.Backends {
		if b.Running() && b.HasListener(t.PL.BackendPort) {
			out = append(out, b)
		}
	}
	return out
}

// DecideEndpoint is the model's verdict for a new TCP connection from VM
// a to endpoint e's address on port. On Success the connection reaches
// one of Backends (the healthy ones) on the backend port.
func (t *Topology) DecideEndpoint(a *VM, e *Endpoint, port int) (d Decision, backends []*VM) {
	return t.decideEndpoint(a, e, port, t.State(e))
}

// decideEndpoint is DecideEndpoint with the connection in state st.
func (t *Topology) decideEndpoint(a *VM, e *Endpoint, port int, st string) (d Decision, backends []*VM) {
	if !a.Running() {
		return Decision{HostUnreachable, "source " + a.Name + " is " + a.Power}, nil
	}
	r := t.route(a.Subnet, e.IP)
	switch r.kind {
	case routeNone:
		return Decision{NetworkUnreachable, "route: " + r.name}, nil
	case routeEndpoint:
		if r.peer != nil && !r.peer.AllowAccess {
			return Decision{NetworkUnreachable, "peering " + r.peer.Name + ": allowVirtualNetworkAccess is false"}, nil
		}
	default:
		// The endpoint's /32 is in every VNet that has a route to its
		// VNet's space, so no other route can win.
		return Decision{HostUnreachable, "model: endpoint " + e.Name + " routed by " + r.name}, nil
	}
	if st != StateApproved {
		return Decision{HostUnreachable, fmt.Sprintf("private endpoint %s: connection is %s", e.Name, st)}, nil
	}
	if port != t.PL.FrontendPort {
		return Decision{HostUnreachable, fmt.Sprintf("load balancer has no rule for Tcp/%d", port)}, nil
	}
	healthy := t.healthyBackends()
	if len(healthy) == 0 {
		return Decision{HostUnreachable, "no healthy backend in the pool"}, nil
	}
	for _, c := range []struct {
		nsg   *NSG
		where string
	}{{a.NICNSG, "NIC of " + a.Name}, {a.Subnet.NSG, "subnet " + a.Subnet.VNet.Name + "/" + a.Subnet.Name}} {
		if c.nsg == nil {
			continue
		}
		if ok, rule := nsgAllows(c.nsg, "Outbound", a.IP, e.IP, port, t.vnetTag(a.Subnet)); !ok {
			return Decision{DeniedByNSG, fmt.Sprintf("NSG %s rule %s (priority %d) on %s denies Outbound", c.nsg.Name, rule.Name, rule.Priority, c.where)}, nil
		}
	}
	return Decision{Success, fmt.Sprintf("through %s to a healthy backend", e.Name)}, healthy
}

// endpointRoutes are the /32 system routes endpoints add to subnet s's
// VNet: its own endpoints' and those of VNets it has a Connected peering
// to (with that peering).
func (t *Topology) endpointRoutes(s *Subnet) []candidate {
	var out []candidate
	for _, e := range t.Endpoints {
		v := e.Subnet.VNet
		if v == s.VNet {
			out = append(out, candidate{prefix: netip.PrefixFrom(e.IP, 32), kind: routeEndpoint, name: "InterfaceEndpoint " + e.Name})
			continue
		}
		if p, ok := t.connected(s.VNet, v); ok {
			out = append(out, candidate{prefix: netip.PrefixFrom(e.IP, 32), kind: routeEndpoint, peer: p,
				name: "InterfaceEndpoint " + e.Name + " over " + p.Name})
		}
	}
	return out
}
