package hybridcompute

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/privatelink"
)

// InfraSubscription is the Microsoft-owned subscription that holds Arc's
// regional service endpoints (hidden hosts, load balancer and private link
// service; internal/app/arc.go creates them).
var InfraSubscription = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/azure-arc")).String()

// ServiceGroup is the infrastructure resource group of Arc's service in
// a region.
func ServiceGroup(region string) string {
	return "/subscriptions/" + InfraSubscription + "/resourceGroups/arc-services-" + arm.NormalizeLocation(region)
}

// ServicePLS is the hidden private link service that carries the traffic
// of every scope endpoint to Arc's service in a region.
func ServicePLS(region string) string {
	return ServiceGroup(region) + "/providers/Microsoft.Network/privateLinkServices/arc-services"
}

// Endpoint is one of Arc's service names.
type Endpoint struct {
	// FQDN is the public name agents resolve.
	FQDN string
	// Member is the private link resource member serving it.
	Member string
	// Service is his, guestconfiguration or kubernetesconfiguration.
	Service string
}

// regionCodes are the short region codes of the regional
// <code>.his.arc.azure.com names; other regions use their name.
var regionCodes = map[string]string{
	"eastus": "eus", "eastus2": "eus2", "westus": "wus", "westus2": "wus2", "westus3": "wus3",
	"centralus": "cus", "northcentralus": "ncus", "southcentralus": "scus", "westcentralus": "wcus",
	"northeurope": "ne", "westeurope": "we", "uksouth": "uks", "ukwest": "ukw", "francecentral": "frc",
	"germanywestcentral": "gwc", "swedencentral": "sec", "switzerlandnorth": "szn", "norwayeast": "noe",
	"southeastasia": "sea", "eastasia": "ea", "australiaeast": "ae", "japaneast": "jpe", "koreacentral": "krc",
	"centralindia": "inc", "canadacentral": "cnc", "brazilsouth": "brs", "southafricanorth": "san",
	"uaenorth": "uaen",
}

// RegionCode is a region's code in the regional HIS name.
func RegionCode(region string) string {
	r := arm.NormalizeLocation(region)
	if c, ok := regionCodes[r]; ok {
		return c
	}
	return r
}

// Endpoints are the names Arc-enabled Kubernetes agents in a region use
// (azure-behavior.md §10): global and regional HIS, guest configuration
// and Kubernetes configuration data planes.
func Endpoints(region string) []Endpoint {
	r := arm.NormalizeLocation(region)
	return []Endpoint{
		{FQDN: "gbl.his.arc.azure.com", Member: RequiredMembers[0], Service: "his"},
		{FQDN: RegionCode(r) + ".his.arc.azure.com", Member: RequiredMembers[0], Service: "his"},
		{FQDN: "agentserviceapi.guestconfiguration.azure.com", Member: RequiredMembers[2], Service: "guestconfiguration"},
		{FQDN: r + "-gas.guestconfiguration.azure.com", Member: RequiredMembers[2], Service: "guestconfiguration"},
		{FQDN: "dp.kubernetesconfiguration.azure.com", Member: RequiredMembers[1], Service: "kubernetesconfiguration"},
		{FQDN: r + ".dp.kubernetesconfiguration.azure.com", Member: RequiredMembers[1], Service: "kubernetesconfiguration"},
	}
}

// PrivateLinkName is the "privatelink." name a public Arc name is a
// CNAME of (gbl.his.arc.azure.com -> gbl.privatelink.his.arc.azure.com).
func PrivateLinkName(fqdn string) string {
	for _, z := range RequiredZoneNames {
		pub := strings.TrimPrefix(z, "privatelink.")
		if fqdn == pub {
			return z // dp.kubernetesconfiguration.azure.com: the zone's apex
		}
		if label, ok := strings.CutSuffix(fqdn, "."+pub); ok {
			return label + "." + z
		}
	}
	return fqdn
}

// bindEndpoint connects a private endpoint to a scope: through the
// regional service's hidden private link service, one address per Arc
// name, with the scope limits Azure documents.
func bindEndpoint(ctx context.Context, t *arm.Txn, rec *arm.Record, _, peID, subnetID string) (*privatelink.TargetBinding, error) {
	if rec.State != arm.StateSucceeded && rec.State != "" {
		return nil, arm.Conflict("PrivateLinkScopeNotReady",
			"Private link scope %s is %s; create the private endpoint once it has succeeded.", rec.Resource.ID, rec.State)
	}
	region := arm.NormalizeLocation(rec.Resource.Location)
	pls, err := t.Get(ctx, ServicePLS(region))
	if err != nil {
		return nil, err
	}
	if pls == nil {
		return nil, arm.Errorf(503, "ServiceUnavailable",
			"The Azure Arc private link service is not available in region '%s' yet. Retry the operation.", rec.Resource.Location)
	}
	if err := onePerVNet(ctx, t, rec.Resource.ID, peID, subnetID); err != nil {
		return nil, err
	}
	b := &privatelink.TargetBinding{PrivateLinkService: pls.Resource.ID}
	for _, e := range Endpoints(region) {
		b.Members = append(b.Members, privatelink.TargetMember{Name: e.Member, FQDN: e.FQDN})
	}
	return b, nil
}

// onePerVNet refuses a second Arc private link scope on a VNet (Azure:
// at most one Arc private link scope can be associated with a virtual
// network). Endpoints of the VNet in the endpoint's subscription are
// checked.
func onePerVNet(ctx context.Context, t *arm.Txn, scopeID, peID, subnetID string) error {
	vnet := vnetOf(subnetID)
	sid, err := arm.ParseID(peID)
	if err != nil {
		return err
	}
	pes, err := t.ListType(ctx, "/subscriptions/"+sid.Subscription, endpointType)
	if err != nil {
		return err
	}
	for _, r := range pes {
		if arm.SameID(r.Resource.ID, peID) {
			continue
		}
		p, _, err := privatelink.DecodeEndpoint(r)
		if err != nil || p.Subnet == nil || !arm.SameID(vnetOf(p.Subnet.ID), vnet) {
			continue
		}
		c, _ := p.Connection()
		if c == nil {
			continue
		}
		other := strings.TrimSpace(c.Properties.PrivateLinkServiceID)
		oid, err := arm.ParseID(other)
		if err != nil || !strings.EqualFold(oid.Type(), ScopeType) || arm.SameID(other, scopeID) {
			continue
		}
		return arm.BadRequest("OnlyOneArcPrivateLinkScopePerVirtualNetwork",
			"Virtual network %s is already associated with Azure Arc private link scope %s through private endpoint %s. At most one Azure Arc private link scope can be associated with a virtual network (one Arc private link scope per VNet).",
			vnet, other, r.Resource.ID)
	}
	return nil
}

func vnetOf(subnet string) string {
	if i := strings.Index(strings.ToLower(subnet), "/subnets/"); i >= 0 {
		return subnet[:i]
	}
	return subnet
}

// putConnection is the scope owner's approval or rejection.
func putConnection(ctx context.Context, op *arm.PutOp) error {
	if op.Existing == nil {
		return notFound(op.ID)
	}
	var old privatelink.TargetConnectionProperties
	if err := op.Existing.Resource.DecodeProperties(&old); err != nil {
		return err
	}
	var in struct {
		PrivateLinkServiceConnectionState *privatelink.ConnectionState `json:"privateLinkServiceConnectionState"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	state := old.PrivateLinkServiceConnectionState
	if s := in.PrivateLinkServiceConnectionState; s != nil {
		var status string
		switch strings.ToLower(s.Status) {
		case "approved":
			status = privatelink.StatusApproved
		case "rejected":
			status = privatelink.StatusRejected
		case "pending":
			status = privatelink.StatusPending
		default:
			return arm.BadRequest("InvalidPrivateEndpointConnectionStatus",
				"Private endpoint connection status '%s' is invalid. Allowed values are Approved, Rejected.", s.Status)
		}
		cur := old.PrivateLinkServiceConnectionState.Status
		switch {
		case status == cur:
		case cur == privatelink.StatusRejected:
			return arm.BadRequest("CannotChangeRejectedPrivateEndpointConnection",
				"Private endpoint connection %s is Rejected and cannot be set to %s. The private endpoint must be deleted and re-created.", op.ID.String(), status)
		case status == privatelink.StatusPending:
			return arm.BadRequest("CannotChangePrivateEndpointConnectionStatusToPending",
				"Private endpoint connection %s is %s and cannot be set back to Pending.", op.ID.String(), cur)
		}
		state = privatelink.ConnectionState{Status: status, Description: s.Description, ActionsRequired: s.ActionsRequired}
		if state.ActionsRequired == "" {
			state.ActionsRequired = "None"
		}
	}
	out := old
	out.ProvisioningState = ""
	out.PrivateLinkServiceConnectionState = state
	if out.PrivateEndpoint != nil {
		if err := privatelink.SetEndpointConnectionState(ctx, op.Tx, out.PrivateEndpoint.ID, op.ID.String(), state); err != nil {
			return err
		}
	}
	return op.Body.SetProperties(out)
}

// deleteConnection is the owner's removal: the endpoint's connection
// becomes Disconnected (unless the endpoint itself is going).
func deleteConnection(ctx context.Context, op *arm.DeleteOp) error {
	if privatelink.EndpointDeleting(ctx) {
		return nil
	}
	var p privatelink.TargetConnectionProperties
	if err := op.Record.Resource.DecodeProperties(&p); err != nil || p.PrivateEndpoint == nil {
		return err
	}
	st := p.PrivateLinkServiceConnectionState
	st.Status = privatelink.StatusDisconnected
	return privatelink.SetEndpointConnectionState(ctx, op.Tx, p.PrivateEndpoint.ID, op.ID.String(), st)
}

// linkResource is the scope's hybridcompute private link resource.
func linkResource(scopeID string) map[string]any {
	return map[string]any{
		"id":   scopeID + "/privateLinkResources/" + GroupID,
		"name": GroupID,
		"type": resourceType,
		"properties": map[string]any{
			"groupId":           GroupID,
			"requiredMembers":   RequiredMembers,
			"requiredZoneNames": RequiredZoneNames,
		},
	}
}

func scopeOf(ctx context.Context, req *arm.Request) (*arm.Record, error) {
	spec, _ := req.Engine.Registry.Lookup(ScopeType)
	if err := arm.CheckAPIVersion(spec, req); err != nil {
		return nil, err
	}
	id := "/subscriptions/" + req.Vars["sub"] + "/resourceGroups/" + req.Vars["rg"] + "/providers/" + ScopeType + "/" + req.Vars["scope"]
	rec, err := req.Engine.GetRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		rid, _ := arm.ParseID(id)
		return nil, notFound(rid)
	}
	return rec, nil
}

// listLinkResources serves GET {scope}/privateLinkResources.
func listLinkResources(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	rec, err := scopeOf(ctx, req)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: 200, Body: map[string]any{"value": []any{linkResource(rec.Resource.ID)}}}, nil
}

// getLinkResource serves GET {scope}/privateLinkResources/{group}.
func getLinkResource(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	rec, err := scopeOf(ctx, req)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(req.Vars["group"], GroupID) {
		return nil, arm.NotFound("ResourceNotFound", "Private link resource '%s' of private link scope %s was not found; the only group ID is '%s'.",
			req.Vars["group"], rec.Resource.ID, GroupID)
	}
	return &arm.Response{Status: 200, Body: linkResource(rec.Resource.ID)}, nil
}
