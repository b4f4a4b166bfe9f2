package privatelink

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/privlink/privlink/internal/arm"
)

// Private endpoint targets other than private link services.
//
// In Azure a private endpoint connects to a private link service or to a
// PaaS resource (a storage account, an Arc private link scope...). privlink
// carries PaaS traffic the way it carries AKS's: the PaaS provider serves
// the resource, and a privlink-managed hidden private link service in
// Microsoft's infrastructure subscription carries the packets to the
// service's hosts. A Target tells this package how to connect an endpoint
// to a resource of one PaaS type:
//
//   - the connection keeps the resource's ID as privateLinkServiceId (what
//     Azure serves) and one of the target's groupIds;
//   - the endpoint's internal state names the hidden private link service
//     (EndpointInternal.PrivateLinkService), which the fabric follows;
//   - the owner-side connection is a child "privateEndpointConnections" of
//     the target resource (Target.ConnectionType), written here in
//     Azure's PaaS shape (privateEndpoint, privateLinkServiceConnectionState,
//     groupIds); the owning provider approves or rejects it with
//     SetEndpointConnectionState;
//   - the endpoint's network interface gets one address per member FQDN
//     (TargetBinding.Members), and customDnsConfigs lists each FQDN with
//     its address, as Azure does for multi-FQDN services such as Arc.

// Target is a PaaS resource type private endpoints may connect to.
type Target struct {
	// Type is the full resource type, e.g.
	// "Microsoft.HybridCompute/privateLinkScopes".
	Type string
	// GroupIDs are the type's private link resource group IDs.
	GroupIDs []string
	// ApprovalAction is the permission an automatic connection needs on
	// the target resource.
	ApprovalAction string
	// Bind resolves a connection to target record rec (read in t) for
	// groupID, from private endpoint peID in subnetID; it may refuse it
	// with an ARM error (limits of the service).
	Bind func(ctx context.Context, t *arm.Txn, rec *arm.Record, groupID, peID, subnetID string) (*TargetBinding, error)
}

// TargetBinding is how one endpoint reaches one target resource.
type TargetBinding struct {
	// PrivateLinkService is the hidden private link service that carries
	// the endpoint's traffic.
	PrivateLinkService string
	// Members are the FQDNs the endpoint serves, one address each.
	Members []TargetMember

	id       string // the target resource (as stored)
	target   *Target
	groupIDs []string
}

// TargetMember is one FQDN of a target's private link resource.
type TargetMember struct {
	// Name is the memberName of the endpoint's ipConfiguration.
	Name string
	// FQDN is the public name the address serves (customDnsConfigs).
	FQDN string
}

var (
	targetsMu sync.RWMutex
	targets   = map[string]*Target{}
)

// RegisterTarget makes resources of t.Type valid private endpoint targets.
// A provider calls it from its Register.
func RegisterTarget(t Target) {
	targetsMu.Lock()
	defer targetsMu.Unlock()
	targets[strings.ToLower(t.Type)] = &t
}

// targetOf returns the registered target type of a resource ID, or nil.
func targetOf(ref string) *Target {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" {
		return nil
	}
	targetsMu.RLock()
	defer targetsMu.RUnlock()
	return targets[strings.ToLower(id.Type())]
}

// TargetConnectionType is the type of a target's owner-side connections.
func TargetConnectionType(targetType string) string {
	return targetType + "/privateEndpointConnections"
}

// bindTarget validates connection c of endpoint op.ID to a target
// resource and resolves it.
func bindTarget(ctx context.Context, t *arm.Txn, peID, subnetID, ref string, tgt *Target, c *EndpointConnection) (*TargetBinding, error) {
	rec, err := t.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, invalidReference(ref, peID)
	}
	if len(c.Properties.GroupIDs) != 1 {
		return nil, arm.BadRequest("PrivateEndpointBadRequest",
			"Call to %s failed. Error message: The private endpoint connection must name exactly one group ID; valid group IDs are: %s.",
			tgt.Type, strings.Join(tgt.GroupIDs, ", "))
	}
	gid, ok := enumOf(c.Properties.GroupIDs[0], tgt.GroupIDs...)
	if !ok {
		return nil, arm.BadRequest("PrivateEndpointBadRequest",
			"Call to %s failed. Error message: Group ID '%s' is not valid; valid group IDs are: %s.",
			tgt.Type, c.Properties.GroupIDs[0], strings.Join(tgt.GroupIDs, ", "))
	}
	b, err := tgt.Bind(ctx, t, rec, gid, peID, subnetID)
	if err != nil {
		return nil, err
	}
	b.id, b.target, b.groupIDs = rec.Resource.ID, tgt, []string{gid}
	c.Properties.GroupIDs = b.groupIDs
	return b, nil
}

// memberConfigs gives the endpoint's interface one dynamic address per
// member: the first is the interface's primary configuration (named
// base), the others base.1, base.2... (stable across updates).
func memberConfigs(base, subnetID string, members []TargetMember) []nicConfig {
	out := make([]nicConfig, 0, len(members))
	for i := range members {
		name := base
		if i > 0 {
			name = base + "." + strconv.Itoa(i)
		}
		out = append(out, nicConfig{Name: name, SubnetID: subnetID, Primary: i == 0})
	}
	return out
}

// memberDNSConfigs lists every member FQDN with its address: by the
// memberName of a static ipConfiguration, else by position.
func memberDNSConfigs(members []TargetMember, ipcs []EndpointIPConfiguration, cfgs []nicConfig) []CustomDNSConfig {
	out := make([]CustomDNSConfig, 0, len(members))
	for i, m := range members {
		ip := ""
		for j, ic := range ipcs {
			if strings.EqualFold(ic.Properties.MemberName, m.Name) && j < len(cfgs) {
				ip = cfgs[j].IP
			}
		}
		if ip == "" && len(cfgs) > 0 {
			ip = cfgs[min(i, len(cfgs)-1)].IP
		}
		out = append(out, CustomDNSConfig{Fqdn: m.FQDN, IPAddresses: []string{ip}})
	}
	return out
}

// TargetConnectionProperties are the properties of a target's owner-side
// connection (Azure's PaaS shape).
type TargetConnectionProperties struct {
	ProvisioningState                 string          `json:"provisioningState,omitempty"`
	PrivateEndpoint                   *SubResource    `json:"privateEndpoint"`
	PrivateLinkServiceConnectionState ConnectionState `json:"privateLinkServiceConnectionState"`
	GroupIDs                          []string        `json:"groupIds"`
}

// writeTargetConnection creates or updates a target's owner-side
// connection record.
func writeTargetConnection(ctx context.Context, t *arm.Txn, b *TargetBinding, connID, peID string, state ConnectionState) error {
	old, err := t.Get(ctx, connID)
	if err != nil {
		return err
	}
	rec := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: t.Engine().Now().UTC()}
	if old != nil {
		rec.Generation, rec.Created = old.Generation+1, old.Created
	}
	id, err := arm.ParseID(connID)
	if err != nil {
		return err
	}
	rec.Resource = arm.Resource{ID: connID, Name: id.Name(), Type: TargetConnectionType(b.target.Type)}
	if err := rec.Resource.SetProperties(TargetConnectionProperties{
		ProvisioningState: arm.StateSucceeded, PrivateEndpoint: &SubResource{ID: peID},
		PrivateLinkServiceConnectionState: state, GroupIDs: b.groupIDs,
	}); err != nil {
		return err
	}
	return t.Write(ctx, rec)
}

// SetEndpointConnectionState mirrors an owner-side state (a target's
// approval, rejection or removal: status Disconnected) into the
// consumer's endpoint, if the endpoint still points at connID.
func SetEndpointConnectionState(ctx context.Context, t *arm.Txn, peID, connID string, state ConnectionState) error {
	return setConsumerState(ctx, t, peID, connID, state)
}

// EndpointDeleting reports whether ctx is the deletion of an owner-side
// connection by its endpoint (nothing to tell the consumer then).
func EndpointDeleting(ctx context.Context) bool {
	going, _ := ctx.Value(endpointGoingKey{}).(bool)
	return going
}

// zoneRelative returns the record name of FQDN f in private zone zone:
// inside the zone, or, for a "privatelink." zone, the public name's label
// under the zone's public parent (x.blob.core.windows.net is x in
// privatelink.blob.core.windows.net), as Azure's zone groups do.
func zoneRelative(f, zone string) (string, bool) {
	if strings.HasSuffix(f, "."+zone) {
		return strings.TrimSuffix(f, "."+zone), true
	}
	if pub, ok := strings.CutPrefix(zone, "privatelink."); ok {
		if f == pub {
			return "@", true // the zone's apex (dp.kubernetesconfiguration.azure.com)
		}
		if strings.HasSuffix(f, "."+pub) {
			return strings.TrimSuffix(f, "."+pub), true
		}
	}
	return "", false
}

// recordFQDN is the name of record set name ("@": the apex) in zone.
func recordFQDN(name, zone string) string {
	if name == "@" {
		return strings.ToLower(zone)
	}
	return strings.ToLower(name) + "." + strings.ToLower(zone)
}

// targetInSubscription reports whether the bound target is in
// subscription sub. privlink does not restrict ARM callers (the caller of
// an endpoint PUT in a subscription is taken as its owner), so an
// automatic connection to a PaaS resource of the endpoint's own
// subscription is approved, as it is for a subscription owner in Azure;
// across subscriptions the approval right must be granted by a role
// assignment.
func targetInSubscription(b *TargetBinding, sub string) bool {
	id, err := arm.ParseID(b.id)
	return err == nil && strings.EqualFold(id.Subscription, sub)
}
