package privatelink

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// EndpointConnection is one entry of privateLinkServiceConnections or
// manualPrivateLinkServiceConnections.
type EndpointConnection struct {
	Name       string `json:"name,omitempty"`
	ID         string `json:"id,omitempty"`
	Etag       string `json:"etag,omitempty"`
	Type       string `json:"type,omitempty"`
	Properties struct {
		ProvisioningState                 string          `json:"provisioningState,omitempty"`
		PrivateLinkServiceID              string          `json:"privateLinkServiceId"`
		GroupIDs                          []string        `json:"groupIds"`
		RequestMessage                    string          `json:"requestMessage,omitempty"`
		PrivateLinkServiceConnectionState ConnectionState `json:"privateLinkServiceConnectionState"`
	} `json:"properties"`
}

// EndpointIPConfiguration is one static IP configuration of an endpoint.
type EndpointIPConfiguration struct {
	Name       string `json:"name"`
	Properties struct {
		GroupID          string `json:"groupId"`
		MemberName       string `json:"memberName"`
		PrivateIPAddress string `json:"privateIPAddress"`
	} `json:"properties"`
}

// CustomDNSConfig is one entry of customDnsConfigs.
type CustomDNSConfig struct {
	Fqdn        string   `json:"fqdn"`
	IPAddresses []string `json:"ipAddresses"`
}

// EndpointProperties are a private endpoint's stored properties.
type EndpointProperties struct {
	ProvisioningState                   string                    `json:"provisioningState,omitempty"`
	Subnet                              *SubResource              `json:"subnet"`
	PrivateLinkServiceConnections       []EndpointConnection      `json:"privateLinkServiceConnections"`
	ManualPrivateLinkServiceConnections []EndpointConnection      `json:"manualPrivateLinkServiceConnections"`
	NetworkInterfaces                   []SubResource             `json:"networkInterfaces"`
	CustomDNSConfigs                    []CustomDNSConfig         `json:"customDnsConfigs"`
	ApplicationSecurityGroups           []json.RawMessage         `json:"applicationSecurityGroups"`
	IPConfigurations                    []EndpointIPConfiguration `json:"ipConfigurations"`
	CustomNetworkInterfaceName          string                    `json:"customNetworkInterfaceName,omitempty"`
}

// EndpointInternal is a private endpoint record's internal state.
type EndpointInternal struct {
	NIC string `json:"nic"`
	// DynamicIPConfig names the interface's IP configuration when no
	// static ipConfigurations are given.
	DynamicIPConfig string `json:"dynIPConfig,omitempty"`
	// PrivateLinkService is the resolved service (the connection may name
	// it by alias) and Connection its owner-side connection.
	PrivateLinkService string `json:"pls"`
	Connection         string `json:"conn"`
	// LinkIdentifier is the connection's LinkID (linkIdentifier on the
	// owner side).
	LinkIdentifier uint32 `json:"linkId"`
	ResourceGUID   string `json:"guid"`
}

// DecodeEndpoint decodes a private endpoint record's properties and state.
func DecodeEndpoint(rec *arm.Record) (*EndpointProperties, *EndpointInternal, error) {
	var p EndpointProperties
	var in EndpointInternal
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, nil, fmt.Errorf("decode private endpoint %s: %w", rec.Resource.ID, err)
		}
	}
	if len(rec.Internal) > 0 {
		if err := json.Unmarshal(rec.Internal, &in); err != nil {
			return nil, nil, fmt.Errorf("decode private endpoint state %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, &in, nil
}

// Connection returns the endpoint's connection and whether it is manual.
func (p *EndpointProperties) Connection() (*EndpointConnection, bool) {
	if len(p.PrivateLinkServiceConnections) > 0 {
		return &p.PrivateLinkServiceConnections[0], false
	}
	if len(p.ManualPrivateLinkServiceConnections) > 0 {
		return &p.ManualPrivateLinkServiceConnections[0], true
	}
	return nil, false
}

func (pv *plsProvider) putEndpoint(ctx context.Context, op *arm.PutOp) error {
	var in EndpointProperties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	peID := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)
	var old *EndpointProperties
	var st EndpointInternal
	if op.Existing != nil {
		o, s, err := DecodeEndpoint(op.Existing)
		if err != nil {
			return err
		}
		old, st = o, *s
	}

	// Subnet.
	if in.Subnet == nil || in.Subnet.ID == "" {
		return arm.BadRequest("PrivateEndpointMustHaveSubnet", "Private endpoint %s must reference a subnet.", peID)
	}
	if _, err := parseTyped(in.Subnet.ID, subnetType, "properties.subnet.id"); err != nil {
		return err
	}
	srec, err := t.Get(ctx, in.Subnet.ID)
	if err != nil {
		return err
	}
	if srec == nil {
		return invalidReference(in.Subnet.ID, peID)
	}
	sid, _ := arm.ParseID(srec.Resource.ID)
	vnetID, _ := sid.Parent()
	vnet, err := t.Get(ctx, vnetID.String())
	if err != nil {
		return err
	}
	if vnet == nil || !strings.EqualFold(arm.NormalizeLocation(vnet.Resource.Location), location) {
		return invalidReference(in.Subnet.ID, peID)
	}
	if err := network.CheckSubnetAccepts(srec, ""); err != nil {
		return err
	}
	subnetID := srec.Resource.ID
	if old != nil && old.Subnet != nil && !arm.SameID(old.Subnet.ID, subnetID) {
		return arm.BadRequest("PrivateEndpointSubnetCannotBeChanged",
			"Subnet of private endpoint %s cannot be changed from %s to %s.", peID, old.Subnet.ID, subnetID)
	}

	// The connection.
	total := len(in.PrivateLinkServiceConnections) + len(in.ManualPrivateLinkServiceConnections)
	if total != 1 {
		return arm.BadRequest("PrivateEndpointMustHaveExactlyOnePrivateLinkServiceConnection",
			"Private endpoint %s has %d private link service connections. A private endpoint must have exactly one connection in privateLinkServiceConnections or manualPrivateLinkServiceConnections.", peID, total)
	}
	manual := len(in.ManualPrivateLinkServiceConnections) == 1
	conn := in.PrivateLinkServiceConnections
	prop := "privateLinkServiceConnections"
	if manual {
		conn, prop = in.ManualPrivateLinkServiceConnections, "manualPrivateLinkServiceConnections"
	}
	c := conn[0]
	if c.Name == "" {
		c.Name = op.ID.Name()
	}
	if err := validateName(c.Name); err != nil {
		return err
	}
	if len([]rune(c.Properties.RequestMessage)) > maxRequestMessage {
		return arm.BadRequest("RequestMessageTooLong",
			"Request Message may only be a maximum of %d characters.", maxRequestMessage)
	}
	target := strings.TrimSpace(c.Properties.PrivateLinkServiceID)
	var plsID string
	var bound *TargetBinding // a PaaS target (target.go)
	switch {
	case target == "":
		return arm.BadRequest("PrivateLinkServiceIdMissing",
			"Private link service connection %s of private endpoint %s must reference a private link service by resource ID or alias.", c.Name, peID)
	case isAlias(target):
		if !manual {
			return arm.BadRequest("PrivateLinkServiceAliasNotSupportedInAutoApprovalConnection",
				"Private link service alias %s can only be used in manualPrivateLinkServiceConnections of private endpoint %s; use the private link service resource ID in privateLinkServiceConnections.", target, peID)
		}
		if plsID, err = lookupAlias(ctx, t, target); err != nil {
			return err
		}
		if plsID == "" {
			return arm.BadRequest("PrivateLinkServiceNotFound",
				"Private link service with alias %s could not be found.", target)
		}
	case targetOf(target) != nil:
		if bound, err = bindTarget(ctx, t, peID, subnetID, target, targetOf(target), &c); err != nil {
			return err
		}
		plsID = bound.PrivateLinkService
	default:
		if _, err := parseTyped(target, PLSType, "properties."+prop+"[0].properties.privateLinkServiceId"); err != nil {
			return err
		}
		plsID = target
	}
	plsRec, err := t.Get(ctx, plsID)
	if err != nil {
		return err
	}
	if plsRec == nil {
		return invalidReference(target, peID)
	}
	plsID = plsRec.Resource.ID
	pls, err := DecodePLS(plsRec)
	if err != nil {
		return err
	}
	if old != nil {
		oc, om := old.Connection()
		if oc == nil || om != manual || !strings.EqualFold(oc.Name, c.Name) || !arm.SameID(st.PrivateLinkService, plsID) {
			return arm.BadRequest("PrivateEndpointConnectionCannotBeChanged",
				"The private link service connection of private endpoint %s cannot be changed. Delete and re-create the private endpoint to connect to another private link service.", peID)
		}
	}

	// Rights, visibility and the initial state.
	sub := op.ID.Subscription
	authorized := true
	action, owner := ApprovalAction, plsID
	if bound != nil {
		action, owner = bound.target.ApprovalAction, bound.id
	}
	if pv.platform.Authorizer != nil && op.Req != nil {
		if authorized, err = pv.platform.Authorizer.Allowed(op.Req.Principal.ObjectID, action, owner); err != nil {
			return fmt.Errorf("check %s: %w", action, err)
		}
	}
	if bound != nil && !authorized {
		authorized = targetInSubscription(bound, sub) // target.go
	}
	autoApproved := bound == nil && containsFold(pls.AutoApproval.Subscriptions, sub)
	if !manual && !authorized && !autoApproved {
		oid := ""
		if op.Req != nil {
			oid = op.Req.Principal.ObjectID
		}
		return arm.Errorf(http.StatusForbidden, "LinkedAuthorizationFailed",
			"The client with object id '%s' has permission to perform action 'Microsoft.Network/privateEndpoints/write' on scope '%s'; however, it does not have permission to perform action '%s' on the linked scope(s) '%s' or the linked scope(s) are invalid.",
			oid, peID, action, owner)
	}
	if bound == nil && !(visibleTo(plsID, pls, sub) || (!manual && authorized && pv.platform.Authorizer != nil)) {
		return arm.BadRequest("PrivateLinkServiceNotVisible",
			"The private link service %s is not visible to subscription %s. Ask the private link service owner to add the subscription to its visibility list.", target, sub)
	}
	state := ConnectionState{Status: StatusPending, Description: DescAwaiting, ActionsRequired: "None"}
	if !manual || autoApproved {
		state = ConnectionState{Status: StatusApproved, Description: DescAutoApproved, ActionsRequired: "None"}
	}
	if old != nil {
		oc, _ := old.Connection()
		state = oc.Properties.PrivateLinkServiceConnectionState
	} else {
		plsRID, _ := arm.ParseID(owner)
		existing, err := t.CountChildren(ctx, plsRID, "privateEndpointConnections")
		if err != nil {
			return err
		}
		if existing >= maxEndpointsPerPLS {
			return arm.BadRequest("PrivateLinkServiceConnectionLimitReached",
				"Private link service %s already has the maximum of %d private endpoint connections.", owner, maxEndpointsPerPLS)
		}
	}

	// The read-only network interface and its addresses.
	if in.CustomNetworkInterfaceName != "" {
		if err := validateName(in.CustomNetworkInterfaceName); err != nil {
			return err
		}
	}
	if old != nil && !strings.EqualFold(old.CustomNetworkInterfaceName, in.CustomNetworkInterfaceName) {
		nid, _ := arm.ParseID(st.NIC)
		return arm.BadRequest("NameOfExistingPrivateEndpointNicCannotBeChanged",
			"Private Endpoint %s contains existing NIC name %s which does not match request's custom network interface name %s. Updating the name of existing nic not allowed.",
			peID, nid.Name(), in.CustomNetworkInterfaceName)
	}
	if st.NIC == "" {
		name := in.CustomNetworkInterfaceName
		if name == "" {
			name = nicName(op.ID.Name())
		}
		st.NIC = op.ID.ResourceGroupID() + "/providers/Microsoft.Network/networkInterfaces/" + name
		if other, err := t.Get(ctx, st.NIC); err != nil {
			return err
		} else if other != nil {
			return arm.BadRequest("NicAlreadyExists",
				"Network interface %s already exists and cannot be used as the network interface of private endpoint %s.", st.NIC, peID)
		}
	}
	var cfgs []nicConfig
	ipcs := in.IPConfigurations
	if ipcs == nil {
		ipcs = []EndpointIPConfiguration{}
	}
	for i, ic := range ipcs {
		if ic.Name == "" {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'name' of ipConfigurations is required.")
		}
		if strings.TrimSpace(ic.Properties.PrivateIPAddress) == "" {
			return arm.BadRequest("PrivateEndpointIpConfigurationMustHavePrivateIPAddress",
				"IP configuration %s of private endpoint %s must specify a private IP address.", ic.Name, peID)
		}
		cfgs = append(cfgs, nicConfig{Name: ic.Name, SubnetID: subnetID, Requested: strings.TrimSpace(ic.Properties.PrivateIPAddress), Primary: i == 0})
	}
	if len(cfgs) == 0 {
		if st.DynamicIPConfig == "" {
			st.DynamicIPConfig = "privateEndpointIpConfig." + newGUID()
		}
		cfgs = []nicConfig{{Name: st.DynamicIPConfig, SubnetID: subnetID, Primary: true}}
		if bound != nil && len(bound.Members) > 1 {
			cfgs = memberConfigs(st.DynamicIPConfig, subnetID, bound.Members)
		}
	}
	if old != nil {
		if oldNIC, err := t.Get(ctx, st.NIC); err != nil {
			return err
		} else if oldNIC != nil {
			if np, err := network.DecodeNetworkInterface(oldNIC); err == nil {
				keep := map[string]bool{}
				for _, c := range cfgs {
					keep[strings.ToLower(c.Name)] = true
				}
				for _, oc := range np.IPConfigurations {
					if !keep[strings.ToLower(oc.Name)] && oc.Properties.Subnet != nil {
						if err := network.ReleaseIP(ctx, t, oc.Properties.Subnet.ID, oc.Properties.PrivateIPAddress, oc.ID); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	if err := allocateNIC(ctx, t, st.NIC, cfgs); err != nil {
		return err
	}
	if err := writeNIC(ctx, t, st.NIC, location, "privateEndpoint", peID, cfgs); err != nil {
		return err
	}
	for i := range ipcs {
		ipcs[i].Properties.PrivateIPAddress = cfgs[i].IP
	}

	// The owner-side connection.
	if st.LinkIdentifier == 0 {
		if st.LinkIdentifier, err = newLinkID(); err != nil {
			return err
		}
	}
	if st.ResourceGUID == "" {
		st.ResourceGUID = newGUID()
	}
	if st.Connection == "" && state.Status != StatusDisconnected {
		st.Connection = owner + "/privateEndpointConnections/" + op.ID.Name() + "." + newGUID()
	}
	st.PrivateLinkService = plsID
	if st.Connection != "" && bound != nil {
		if err := writeTargetConnection(ctx, t, bound, st.Connection, peID, state); err != nil {
			return err
		}
	} else if st.Connection != "" {
		if err := writePLSConnection(ctx, t, st.Connection, peID, location, state, st.LinkIdentifier); err != nil {
			return err
		}
	}

	// What is served.
	out := EndpointProperties{
		Subnet:                              &SubResource{ID: subnetID},
		PrivateLinkServiceConnections:       []EndpointConnection{},
		ManualPrivateLinkServiceConnections: []EndpointConnection{},
		NetworkInterfaces:                   []SubResource{{ID: st.NIC}},
		ApplicationSecurityGroups:           in.ApplicationSecurityGroups,
		IPConfigurations:                    ipcs,
		CustomNetworkInterfaceName:          in.CustomNetworkInterfaceName,
	}
	if out.ApplicationSecurityGroups == nil {
		out.ApplicationSecurityGroups = []json.RawMessage{}
	}
	c.ID, c.Type, c.Etag = peID+"/"+prop+"/"+c.Name, EndpointType+"/"+prop, ""
	c.Properties.PrivateLinkServiceID = target
	if c.Properties.GroupIDs == nil {
		c.Properties.GroupIDs = []string{}
	}
	c.Properties.PrivateLinkServiceConnectionState = state
	c.Properties.ProvisioningState = ""
	if manual {
		out.ManualPrivateLinkServiceConnections = []EndpointConnection{c}
	} else {
		out.PrivateLinkServiceConnections = []EndpointConnection{c}
	}
	out.CustomDNSConfigs = in.CustomDNSConfigs
	if len(out.CustomDNSConfigs) == 0 && bound != nil {
		out.CustomDNSConfigs = memberDNSConfigs(bound.Members, ipcs, cfgs)
	} else if len(out.CustomDNSConfigs) == 0 {
		out.CustomDNSConfigs = []CustomDNSConfig{}
		for _, f := range pls.Fqdns {
			out.CustomDNSConfigs = append(out.CustomDNSConfigs, CustomDNSConfig{Fqdn: f, IPAddresses: []string{cfgs[0].IP}})
		}
	}
	op.AddRef(subnetID, kindPrivateEndpoint, peID, true)
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode private endpoint state: %w", err)
	}
	op.Internal = b
	return op.Body.SetProperties(out)
}

// endpointGoingKey marks the deletion of an endpoint's owner-side
// connection by the endpoint itself (nothing to tell the consumer).
type endpointGoingKey struct{}

func deleteEndpoint(ctx context.Context, op *arm.DeleteOp) error {
	_, st, err := DecodeEndpoint(op.Record)
	if err != nil {
		return err
	}
	if st.Connection != "" {
		rec, err := op.Tx.Get(ctx, st.Connection)
		if err != nil {
			return err
		}
		if rec != nil {
			cid, err := arm.ParseID(rec.Resource.ID)
			if err != nil {
				return fmt.Errorf("connection id %q: %w", rec.Resource.ID, err)
			}
			if err := op.Tx.Engine().DeleteTree(context.WithValue(ctx, endpointGoingKey{}, true), op.Tx, cid, rec); err != nil {
				return err
			}
		}
	}
	return deleteNIC(ctx, op.Tx, st.NIC)
}

// linkIDString is how the owner side serves a link identifier.
func linkIDString(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
