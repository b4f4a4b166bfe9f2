package diagnose

import (
	"context"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/fabric/path"
)

// nextHopRequest is NextHopParameters.
type nextHopRequest struct {
	TargetResourceID     string `json:"targetResourceId"`
	SourceIPAddress      string `json:"sourceIPAddress"`
	DestinationIPAddress string `json:"destinationIPAddress"`
	TargetNICResourceID  string `json:"targetNicResourceId"`
}

func (p *Provider) prepareNextHop(s *fabric.Snapshot, body []byte) (job, error) {
	var r nextHopRequest
	if err := decodeJSON(body, &r); err != nil {
		return nil, err
	}
	if r.TargetResourceID == "" {
		return nil, missingProperty("targetResourceId")
	}
	src, err := parseIP("sourceIPAddress", r.SourceIPAddress)
	if err != nil {
		return nil, err
	}
	dst, err := parseIP("destinationIPAddress", r.DestinationIPAddress)
	if err != nil {
		return nil, err
	}
	ipc, err := vmIPConfig(s, r.TargetResourceID, r.TargetNICResourceID, src, "Source")
	if err != nil {
		return nil, err
	}
	return func(context.Context) (any, error) {
		return path.NextHop(s, ipc, dst), nil
	}, nil
}

// ipFlowRequest is VerificationIPFlowParameters.
type ipFlowRequest struct {
	TargetResourceID    string `json:"targetResourceId"`
	Direction           string `json:"direction"`
	Protocol            string `json:"protocol"`
	LocalPort           string `json:"localPort"`
	RemotePort          string `json:"remotePort"`
	LocalIPAddress      string `json:"localIPAddress"`
	RemoteIPAddress     string `json:"remoteIPAddress"`
	TargetNICResourceID string `json:"targetNicResourceId"`
}

// ipFlowResult is VerificationIPFlowResult.
type ipFlowResult struct {
	Access   string `json:"access"`
	RuleName string `json:"ruleName"`
}

func (p *Provider) prepareIPFlow(s *fabric.Snapshot, body []byte) (job, error) {
	var r ipFlowRequest
	if err := decodeJSON(body, &r); err != nil {
		return nil, err
	}
	if r.TargetResourceID == "" {
		return nil, missingProperty("targetResourceId")
	}
	var dir fabric.Direction
	switch {
	case r.Direction == "":
		return nil, missingProperty("direction")
	case strings.EqualFold(r.Direction, string(fabric.Inbound)):
		dir = fabric.Inbound
	case strings.EqualFold(r.Direction, string(fabric.Outbound)):
		dir = fabric.Outbound
	default:
		return nil, arm.InvalidParameter("The value '%s' of property 'direction' is not valid. Allowed values are 'Inbound', 'Outbound'.", r.Direction)
	}
	var proto fabric.Protocol
	switch {
	case r.Protocol == "":
		return nil, missingProperty("protocol")
	case strings.EqualFold(r.Protocol, "TCP"):
		proto = fabric.TCP
	case strings.EqualFold(r.Protocol, "UDP"):
		proto = fabric.UDP
	default:
		return nil, arm.InvalidParameter("The value '%s' of property 'protocol' is not valid. Allowed values are 'TCP', 'UDP'.", r.Protocol)
	}
	// The source side's port may be "*": the remote one for inbound
	// flows, the local one for outbound flows.
	lport, err := parsePort("localPort", r.LocalPort, dir == fabric.Outbound)
	if err != nil {
		return nil, err
	}
	rport, err := parsePort("remotePort", r.RemotePort, dir == fabric.Inbound)
	if err != nil {
		return nil, err
	}
	local, err := parseIP("localIPAddress", r.LocalIPAddress)
	if err != nil {
		return nil, err
	}
	remote, err := parseIP("remoteIPAddress", r.RemoteIPAddress)
	if err != nil {
		return nil, err
	}
	ipc, err := vmIPConfig(s, r.TargetResourceID, r.TargetNICResourceID, local, "Local")
	if err != nil {
		return nil, err
	}
	return func(context.Context) (any, error) {
		access, rule := path.IPFlowVerify(s, ipc, dir, proto, netip.AddrPortFrom(local, lport), netip.AddrPortFrom(remote, rport))
		return ipFlowResult{Access: access, RuleName: rule}, nil
	}, nil
}

// attachedNIC returns the snapshot's NIC for a network interface record,
// which must be attached to a running VM.
func attachedNIC(s *fabric.Snapshot, rec *arm.Record) (*fabric.NIC, error) {
	id := rec.Resource.ID
	n := s.NICs[strings.ToLower(id)]
	if n == nil || n.Host == nil || !n.Host.Running {
		return nil, nicNotAttached(id)
	}
	return n, nil
}

// listResult is the {value: [...]} shape of the NIC actions.
type listResult[T any] struct {
	Value []T `json:"value"`
}

func (p *Provider) prepareEffectiveRoutes(s *fabric.Snapshot, rec *arm.Record) (job, error) {
	n, err := attachedNIC(s, rec)
	if err != nil {
		return nil, err
	}
	ipc := n.Primary()
	if ipc == nil {
		return nil, nicNotAttached(rec.Resource.ID)
	}
	return func(context.Context) (any, error) {
		routes := path.EffectiveRoutes(s, ipc)
		if routes == nil {
			routes = []path.EffectiveRoute{}
		}
		return listResult[path.EffectiveRoute]{Value: routes}, nil
	}, nil
}

func (p *Provider) prepareEffectiveNSGs(s *fabric.Snapshot, rec *arm.Record) (job, error) {
	n, err := attachedNIC(s, rec)
	if err != nil {
		return nil, err
	}
	return func(context.Context) (any, error) {
		nsgs := path.EffectiveSecurityGroups(s, n)
		if nsgs == nil {
			nsgs = []path.EffectiveNSG{}
		}
		return listResult[path.EffectiveNSG]{Value: nsgs}, nil
	}, nil
}

// vmIPConfig finds the IP configuration holding ip on the running VM
// targetID (optionally on its NIC nicID); which names the address in the
// error ("Source", "Local").
func vmIPConfig(s *fabric.Snapshot, targetID, nicID string, ip netip.Addr, which string) (*fabric.IPConfig, error) {
	h, err := runningVM(s, "targetResourceId", targetID)
	if err != nil {
		return nil, err
	}
	nics, err := vmNICs(h, nicID)
	if err != nil {
		return nil, err
	}
	ipc := ipConfigOf(nics, ip)
	if ipc == nil {
		return nil, arm.InvalidParameter("%s IP address %s is not an address of virtual machine %s.", which, ip, h.ResourceID)
	}
	return ipc, nil
}
