package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Virtual network gateway connections (Microsoft.Network/connections).

var (
	connectionTypes     = []string{ConnIPsec, ConnVnet2Vnet, ConnExpressRoute}
	connectionProtocols = []string{"IKEv2", "IKEv1"}
	connectionModes     = []string{"Default", "ResponderOnly", "InitiatorOnly"}
	connectionStatuses  = []string{StatusUnknown, StatusConnecting, StatusConnected, StatusNotConnected}

	// ErrNotFound is wrapped by the setters (SetConnectionStatus...) when
	// the resource no longer exists (deleted since the caller saw it).
	ErrNotFound = errors.New("not found")
)

const (
	defaultSharedKeyLength = 32
	maxSharedKeyLength     = 128
	defaultDpdTimeout      = 45
)

// GatewayRef is how a connection serves the gateways it joins.
type GatewayRef struct {
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
}

// ConnectionProperties are a connection's stored properties (the shared
// key, connectionStatus and the byte counters live in the record's
// internal state, see ConnectionInternal).
type ConnectionProperties struct {
	ProvisioningState              string            `json:"provisioningState,omitempty"`
	ResourceGUID                   string            `json:"resourceGuid"`
	ConnectionType                 string            `json:"connectionType"`
	VirtualNetworkGateway1         *GatewayRef       `json:"virtualNetworkGateway1,omitempty"`
	VirtualNetworkGateway2         *GatewayRef       `json:"virtualNetworkGateway2,omitempty"`
	LocalNetworkGateway2           *GatewayRef       `json:"localNetworkGateway2,omitempty"`
	Peer                           *SubResource      `json:"peer,omitempty"`
	ConnectionProtocol             string            `json:"connectionProtocol,omitempty"`
	RoutingWeight                  int32             `json:"routingWeight"`
	DpdTimeoutSeconds              int32             `json:"dpdTimeoutSeconds,omitempty"`
	EnableBgp                      bool              `json:"enableBgp"`
	UseLocalAzureIPAddress         bool              `json:"useLocalAzureIpAddress"`
	UsePolicyBasedTrafficSelectors bool              `json:"usePolicyBasedTrafficSelectors"`
	IpsecPolicies                  []json.RawMessage `json:"ipsecPolicies"`
	TrafficSelectorPolicies        []json.RawMessage `json:"trafficSelectorPolicies"`
	ConnectionMode                 string            `json:"connectionMode,omitempty"`
	ExpressRouteGatewayBypass      bool              `json:"expressRouteGatewayBypass"`
}

// ConnectionInternal is a connection record's internal state (Record.
// Internal, JSON). The data plane's connection controller writes
// connectionStatus and the byte counters (SetConnectionStatus,
// SetConnectionTraffic); the provider keeps the write-only shared key and
// the authorization an ExpressRoute connection redeemed.
type ConnectionInternal struct {
	// ConnectionStatus is Unknown, Connecting, Connected or NotConnected
	// ("" reads as Unknown).
	ConnectionStatus        string `json:"connectionStatus,omitempty"`
	IngressBytesTransferred int64  `json:"ingressBytesTransferred,omitempty"`
	EgressBytesTransferred  int64  `json:"egressBytesTransferred,omitempty"`
	// SharedKey is the IPsec pre-shared key (IPsec and Vnet2Vnet).
	SharedKey string `json:"sharedKey,omitempty"`
	// AuthorizationKey and Authorization are the key an ExpressRoute
	// connection gave and the circuit authorization it redeemed.
	AuthorizationKey string `json:"authorizationKey,omitempty"`
	Authorization    string `json:"authorization,omitempty"`
}

// DecodeConnectionProperties decodes a connection record's properties and
// internal state.
func DecodeConnectionProperties(rec *arm.Record) (*ConnectionProperties, *ConnectionInternal, error) {
	var p ConnectionProperties
	var in ConnectionInternal
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, nil, fmt.Errorf("decode connection %s: %w", rec.Resource.ID, err)
		}
	}
	if len(rec.Internal) > 0 && string(rec.Internal) != "null" {
		if err := json.Unmarshal(rec.Internal, &in); err != nil {
			return nil, nil, fmt.Errorf("decode connection state %s: %w", rec.Resource.ID, err)
		}
	}
	if in.ConnectionStatus == "" {
		in.ConnectionStatus = StatusUnknown
	}
	return &p, &in, nil
}

type idRef struct {
	ID string `json:"id"`
}

func putConnection(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		ConnectionType                 string            `json:"connectionType"`
		VirtualNetworkGateway1         *idRef            `json:"virtualNetworkGateway1"`
		VirtualNetworkGateway2         *idRef            `json:"virtualNetworkGateway2"`
		LocalNetworkGateway2           *idRef            `json:"localNetworkGateway2"`
		Peer                           *idRef            `json:"peer"`
		SharedKey                      *string           `json:"sharedKey"`
		AuthorizationKey               string            `json:"authorizationKey"`
		RoutingWeight                  *int32            `json:"routingWeight"`
		DpdTimeoutSeconds              *int32            `json:"dpdTimeoutSeconds"`
		EnableBgp                      *bool             `json:"enableBgp"`
		ConnectionProtocol             string            `json:"connectionProtocol"`
		ConnectionMode                 string            `json:"connectionMode"`
		UseLocalAzureIPAddress         *bool             `json:"useLocalAzureIpAddress"`
		UsePolicyBasedTrafficSelectors *bool             `json:"usePolicyBasedTrafficSelectors"`
		ExpressRouteGatewayBypass      *bool             `json:"expressRouteGatewayBypass"`
		IpsecPolicies                  []json.RawMessage `json:"ipsecPolicies"`
		TrafficSelectorPolicies        []json.RawMessage `json:"trafficSelectorPolicies"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	id := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)
	var old *ConnectionProperties
	st := ConnectionInternal{}
	if op.Existing != nil {
		o, s, err := DecodeConnectionProperties(op.Existing)
		if err != nil {
			return err
		}
		old, st = o, *s
	}
	out := ConnectionProperties{ResourceGUID: existingGUID(op.Existing), IpsecPolicies: in.IpsecPolicies, TrafficSelectorPolicies: in.TrafficSelectorPolicies}
	if out.IpsecPolicies == nil {
		out.IpsecPolicies = []json.RawMessage{}
	}
	if out.TrafficSelectorPolicies == nil {
		out.TrafficSelectorPolicies = []json.RawMessage{}
	}
	var err error
	if in.ConnectionType == "" {
		return missingProperty("connectionType", id)
	}
	if out.ConnectionType, err = nrpEnum(in.ConnectionType, connectionTypes, "VirtualNetworkGatewayConnectionType", "properties.connectionType"); err != nil {
		return err
	}
	if old != nil && old.ConnectionType != out.ConnectionType {
		return connectionChange(id, "connectionType")
	}

	// Gateway 1.
	if in.VirtualNetworkGateway1 == nil || in.VirtualNetworkGateway1.ID == "" {
		return missingProperty("virtualNetworkGateway1", id)
	}
	gw1Rec, err := loadTyped(ctx, t, in.VirtualNetworkGateway1.ID, GatewayType, "properties.virtualNetworkGateway1.id", id)
	if err != nil {
		return err
	}
	if !strings.EqualFold(arm.NormalizeLocation(gw1Rec.Resource.Location), location) {
		return invalidReference(gw1Rec.Resource.ID, id)
	}
	gw1, err := DecodeGatewayProperties(gw1Rec)
	if err != nil {
		return err
	}
	wantType := TypeVpn
	if out.ConnectionType == ConnExpressRoute {
		wantType = TypeExpressRoute
	}
	if gw1.GatewayType != wantType {
		return arm.BadRequest("InvalidGatewayTypeForConnection",
			"Connection %s of type %s requires a virtual network gateway of type %s; virtual network gateway %s is of type %s.",
			id, out.ConnectionType, wantType, gw1Rec.Resource.ID, gw1.GatewayType)
	}
	if old != nil && old.VirtualNetworkGateway1 != nil && !arm.SameID(old.VirtualNetworkGateway1.ID, gw1Rec.Resource.ID) {
		return connectionChange(id, "virtualNetworkGateway1")
	}
	out.VirtualNetworkGateway1 = &GatewayRef{ID: gw1Rec.Resource.ID, Properties: map[string]any{}}
	op.AddRef(gw1Rec.Resource.ID, kindConnection, id, true)
	vnet1, err := gatewayVNet(ctx, t, gw1)
	if err != nil {
		return err
	}

	out.RoutingWeight = 0
	if in.RoutingWeight != nil {
		out.RoutingWeight = *in.RoutingWeight
	}
	if out.RoutingWeight < 0 || out.RoutingWeight > 32000 {
		return arm.BadRequest("InvalidRoutingWeight",
			"Routing weight %d of connection %s must be between 0 and 32000.", out.RoutingWeight, id)
	}
	out.EnableBgp = boolOr(in.EnableBgp, false)
	out.UseLocalAzureIPAddress = boolOr(in.UseLocalAzureIPAddress, false)
	out.UsePolicyBasedTrafficSelectors = boolOr(in.UsePolicyBasedTrafficSelectors, false)

	switch out.ConnectionType {
	case ConnIPsec, ConnVnet2Vnet:
		if out.ConnectionProtocol, err = nrpEnum(in.ConnectionProtocol, connectionProtocols, "VirtualNetworkGatewayConnectionProtocol", "properties.connectionProtocol"); err != nil {
			return err
		}
		if out.ConnectionProtocol == "" {
			out.ConnectionProtocol = "IKEv2"
		}
		if out.ConnectionMode, err = nrpEnum(in.ConnectionMode, connectionModes, "VirtualNetworkGatewayConnectionMode", "properties.connectionMode"); err != nil {
			return err
		}
		if out.ConnectionMode == "" {
			out.ConnectionMode = "Default"
		}
		out.DpdTimeoutSeconds = defaultDpdTimeout
		if in.DpdTimeoutSeconds != nil {
			out.DpdTimeoutSeconds = *in.DpdTimeoutSeconds
		}
		if out.DpdTimeoutSeconds < 9 || out.DpdTimeoutSeconds > 3600 {
			return arm.BadRequest("InvalidDpdTimeout",
				"Dead peer detection timeout %d of connection %s must be between 9 and 3600 seconds.", out.DpdTimeoutSeconds, id)
		}
		if in.SharedKey != nil {
			k := *in.SharedKey
			if err := checkSharedKey(k, id); err != nil {
				return err
			}
			st.SharedKey = k
		}
		if st.SharedKey == "" {
			if st.SharedKey, err = randomKey(defaultSharedKeyLength); err != nil {
				return err
			}
		}
		if out.EnableBgp && !gw1.EnableBgp {
			return bgpNotEnabled(id, gw1Rec.Resource.ID)
		}
	}

	switch out.ConnectionType {
	case ConnIPsec:
		if in.LocalNetworkGateway2 == nil || in.LocalNetworkGateway2.ID == "" {
			return missingProperty("localNetworkGateway2", id)
		}
		lgRec, err := loadTyped(ctx, t, in.LocalNetworkGateway2.ID, LocalGatewayType, "properties.localNetworkGateway2.id", id)
		if err != nil {
			return err
		}
		if old != nil && old.LocalNetworkGateway2 != nil && !arm.SameID(old.LocalNetworkGateway2.ID, lgRec.Resource.ID) {
			return connectionChange(id, "localNetworkGateway2")
		}
		lg, err := DecodeLocalGatewayProperties(lgRec)
		if err != nil {
			return err
		}
		space := network.VirtualNetworkPrefixes(vnet1)
		for _, s := range lg.LocalNetworkAddressSpace.AddressPrefixes {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			for _, v := range space {
				if v.Overlaps(p) {
					return arm.BadRequest("LocalNetworkGatewayAddressSpaceOverlapsWithVirtualNetwork",
						"Address prefix %s of local network gateway %s overlaps with address prefix %s of virtual network %s of virtual network gateway %s. The on-premises address space must not overlap the virtual network's.",
						p, lgRec.Resource.ID, v, vnet1.Resource.ID, gw1Rec.Resource.ID)
				}
			}
		}
		if out.EnableBgp && lg.BgpSettings == nil {
			return arm.BadRequest("BgpSettingsRequiredOnLocalNetworkGateway",
				"Connection %s has enableBgp set, but local network gateway %s has no bgpSettings.", id, lgRec.Resource.ID)
		}
		out.LocalNetworkGateway2 = &GatewayRef{ID: lgRec.Resource.ID, Properties: map[string]any{}}
		op.AddRef(lgRec.Resource.ID, kindConnection, id, true)
	case ConnVnet2Vnet:
		if in.VirtualNetworkGateway2 == nil || in.VirtualNetworkGateway2.ID == "" {
			return missingProperty("virtualNetworkGateway2", id)
		}
		gw2Rec, err := loadTyped(ctx, t, in.VirtualNetworkGateway2.ID, GatewayType, "properties.virtualNetworkGateway2.id", id)
		if err != nil {
			return err
		}
		if old != nil && old.VirtualNetworkGateway2 != nil && !arm.SameID(old.VirtualNetworkGateway2.ID, gw2Rec.Resource.ID) {
			return connectionChange(id, "virtualNetworkGateway2")
		}
		if arm.SameID(gw2Rec.Resource.ID, gw1Rec.Resource.ID) {
			return arm.BadRequest("InvalidVnet2VnetConnection",
				"Connection %s cannot connect virtual network gateway %s to itself.", id, gw1Rec.Resource.ID)
		}
		gw2, err := DecodeGatewayProperties(gw2Rec)
		if err != nil {
			return err
		}
		if gw2.GatewayType != TypeVpn {
			return arm.BadRequest("InvalidGatewayTypeForConnection",
				"Connection %s of type %s requires a virtual network gateway of type %s; virtual network gateway %s is of type %s.",
				id, out.ConnectionType, TypeVpn, gw2Rec.Resource.ID, gw2.GatewayType)
		}
		if out.EnableBgp && !gw2.EnableBgp {
			return bgpNotEnabled(id, gw2Rec.Resource.ID)
		}
		vnet2, err := gatewayVNet(ctx, t, gw2)
		if err != nil {
			return err
		}
		if a, b, ok := firstOverlap(network.VirtualNetworkPrefixes(vnet1), network.VirtualNetworkPrefixes(vnet2)); ok {
			return arm.BadRequest("VirtualNetworkAddressSpacesOverlap",
				"Address prefix %s of virtual network %s overlaps with address prefix %s of virtual network %s: connection %s cannot connect virtual networks with overlapping address spaces.",
				a, vnet1.Resource.ID, b, vnet2.Resource.ID, id)
		}
		out.VirtualNetworkGateway2 = &GatewayRef{ID: gw2Rec.Resource.ID, Properties: map[string]any{}}
		op.AddRef(gw2Rec.Resource.ID, kindConnection, id, true)
	case ConnExpressRoute:
		if in.Peer == nil || in.Peer.ID == "" {
			return missingProperty("peer", id)
		}
		cRec, err := loadTyped(ctx, t, in.Peer.ID, CircuitType, "properties.peer.id", id)
		if err != nil {
			return err
		}
		if old != nil && old.Peer != nil && !arm.SameID(old.Peer.ID, cRec.Resource.ID) {
			return connectionChange(id, "peer")
		}
		if err := checkCircuitForConnection(ctx, t, op, cRec, strings.TrimSpace(in.AuthorizationKey), &st); err != nil {
			return err
		}
		out.Peer = &SubResource{ID: cRec.Resource.ID}
		out.ExpressRouteGatewayBypass = boolOr(in.ExpressRouteGatewayBypass, false)
		op.AddRef(cRec.Resource.ID, kindConnection, id, true)
		op.AddRef(cRec.Resource.ID+"/peerings/"+PrivatePeeringName, kindConnection, id, true)
		st.SharedKey = ""
	}
	if op.Existing == nil {
		st.ConnectionStatus = StatusUnknown
	}
	if op.Internal, err = setInternal(nil, st); err != nil {
		return err
	}
	props, err := mergeProps(op.Body.Properties, out, "provisioningState", "sharedKey", "authorizationKey",
		"connectionStatus", "ingressBytesTransferred", "egressBytesTransferred", "tunnelConnectionStatus")
	if err != nil {
		return err
	}
	op.Body.SetPropertiesMap(props)
	return nil
}

// checkCircuitForConnection applies Azure's rules for linking a virtual
// network to a circuit: the circuit Provisioned by its provider, a private
// peering, and the circuit in the connection's subscription or a valid,
// unused authorization key.
func checkCircuitForConnection(ctx context.Context, t *arm.Txn, op *arm.PutOp, cRec *arm.Record, authKey string, st *ConnectionInternal) error {
	id := op.ID.String()
	circuitID := cRec.Resource.ID
	_, cst, err := DecodeCircuitProperties(cRec)
	if err != nil {
		return err
	}
	if cst.ServiceProviderProvisioningState != ProviderProvisioned {
		return arm.BadRequest("ExpressRouteCircuitNotProvisioned",
			"Connection %s cannot link to ExpressRoute circuit %s because the circuit's serviceProviderProvisioningState is %s. The service provider must provision the circuit first.",
			id, circuitID, cst.ServiceProviderProvisioningState)
	}
	peering, err := t.Get(ctx, circuitID+"/peerings/"+PrivatePeeringName)
	if err != nil {
		return err
	}
	if peering == nil {
		return arm.BadRequest("ExpressRouteCircuitPrivatePeeringNotConfigured",
			"Connection %s cannot link to ExpressRoute circuit %s because the circuit has no AzurePrivatePeering. Configure the private peering first.", id, circuitID)
	}
	cid, _ := arm.ParseID(circuitID)
	if st.Authorization != "" && strings.EqualFold(st.AuthorizationKey, authKey) {
		return nil // the authorization this connection already redeemed
	}
	if authKey == "" {
		if !strings.EqualFold(cid.Subscription, op.ID.Subscription) {
			return arm.Errorf(http.StatusForbidden, "AuthorizationKeyRequired",
				"ExpressRoute circuit %s is in subscription %s; connection %s in subscription %s must provide an authorization key of the circuit.",
				circuitID, cid.Subscription, id, op.ID.Subscription)
		}
		return nil
	}
	auths, err := t.Children(ctx, cid, "authorizations")
	if err != nil {
		return err
	}
	for _, a := range auths {
		ap, err := DecodeAuthorizationProperties(a)
		if err != nil {
			return err
		}
		if ap.AuthorizationKey != authKey {
			continue
		}
		if ap.AuthorizationUseStatus == "InUse" {
			return arm.BadRequest("AuthorizationKeyInUse",
				"Authorization key of authorization %s of ExpressRoute circuit %s is already in use by another connection.", a.Resource.ID, circuitID)
		}
		if err := setAuthorizationUse(ctx, t, a, "InUse"); err != nil {
			return err
		}
		if st.Authorization != "" {
			if err := releaseAuthorization(ctx, t, st.Authorization); err != nil {
				return err
			}
		}
		st.Authorization, st.AuthorizationKey = a.Resource.ID, authKey
		return nil
	}
	return arm.BadRequest("InvalidAuthorizationKey",
		"Authorization key provided by connection %s is not valid for ExpressRoute circuit %s.", id, circuitID)
}

func releaseAuthorization(ctx context.Context, t *arm.Txn, authID string) error {
	rec, err := t.Get(ctx, authID)
	if err != nil || rec == nil {
		return err
	}
	return setAuthorizationUse(ctx, t, rec, "Available")
}

func connectionChange(id, prop string) error {
	return arm.BadRequest("ConnectionPropertyCannotBeChanged",
		"Property %s of connection %s cannot be changed. Delete and re-create the connection.", prop, id)
}

func bgpNotEnabled(id, gwID string) error {
	return arm.BadRequest("BgpNotEnabledOnVirtualNetworkGateway",
		"Connection %s has enableBgp set, but BGP is not enabled on virtual network gateway %s.", id, gwID)
}

func checkSharedKey(k, id string) error {
	if k == "" || len(k) > maxSharedKeyLength {
		return arm.BadRequest("InvalidSharedKey",
			"Shared key of connection %s must be 1 to %d characters long.", id, maxSharedKeyLength)
	}
	for _, r := range k {
		if r < 0x20 || r > 0x7e {
			return arm.BadRequest("InvalidSharedKey",
				"Shared key of connection %s may only contain printable ASCII characters.", id)
		}
	}
	return nil
}

// gatewayVNet reads the virtual network a gateway's GatewaySubnet is in.
func gatewayVNet(ctx context.Context, t *arm.Txn, gw *GatewayProperties) (*arm.Record, error) {
	for _, c := range gw.IPConfigurations {
		if c.Properties.Subnet == nil {
			continue
		}
		sid, err := arm.ParseID(c.Properties.Subnet.ID)
		if err != nil {
			return nil, fmt.Errorf("gateway subnet %q: %w", c.Properties.Subnet.ID, err)
		}
		vid, _ := sid.Parent()
		rec, err := t.Get(ctx, vid.String())
		if err != nil {
			return nil, err
		}
		if rec != nil {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("virtual network of gateway: %w", ErrNotFound)
}

func firstOverlap(a, b []netip.Prefix) (netip.Prefix, netip.Prefix, bool) {
	for _, x := range a {
		for _, y := range b {
			if x.Overlaps(y) {
				return x, y, true
			}
		}
	}
	return netip.Prefix{}, netip.Prefix{}, false
}

func deleteConnection(ctx context.Context, op *arm.DeleteOp) error {
	_, st, err := DecodeConnectionProperties(op.Record)
	if err != nil {
		return err
	}
	if st.Authorization != "" {
		return releaseAuthorization(ctx, op.Tx, st.Authorization)
	}
	return nil
}

func renderConnection(_ context.Context, op *arm.RenderOp) error {
	_, st, err := DecodeConnectionProperties(op.Record)
	if err != nil {
		return err
	}
	m := op.Resource.PropertiesMap()
	m["connectionStatus"] = st.ConnectionStatus
	m["ingressBytesTransferred"] = st.IngressBytesTransferred
	m["egressBytesTransferred"] = st.EgressBytesTransferred
	op.Resource.SetPropertiesMap(m)
	return nil
}

// setInternal encodes v as internal state (old is unused: every writer
// decodes the whole internal struct first, so nothing is lost).
func setInternal(_ json.RawMessage, v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode internal state: %w", err)
	}
	return b, nil
}

// SetConnectionStatus sets a connection's connectionStatus (Unknown,
// Connecting, Connected or NotConnected), as the data plane's connection
// controller observes it. It does not change the connection's generation
// or etag, and writes nothing when the status is unchanged.
func SetConnectionStatus(ctx context.Context, e *arm.Engine, connectionID, status string) error {
	return e.Run(ctx, func(t *arm.Txn) error { return StageConnectionStatus(ctx, t, connectionID, status) })
}

// StageConnectionStatus is SetConnectionStatus inside t.
func StageConnectionStatus(ctx context.Context, t *arm.Txn, connectionID, status string) error {
	s, ok := canonical(status, connectionStatuses)
	if !ok {
		return fmt.Errorf("connection status %q: want one of %s", status, strings.Join(connectionStatuses, ", "))
	}
	return updateConnectionInternal(ctx, t, connectionID, func(st *ConnectionInternal) bool {
		if st.ConnectionStatus == s {
			return false
		}
		st.ConnectionStatus = s
		return true
	})
}

// SetConnectionTraffic sets a connection's ingressBytesTransferred and
// egressBytesTransferred counters.
func SetConnectionTraffic(ctx context.Context, e *arm.Engine, connectionID string, ingress, egress int64) error {
	return e.Run(ctx, func(t *arm.Txn) error {
		return updateConnectionInternal(ctx, t, connectionID, func(st *ConnectionInternal) bool {
			if st.IngressBytesTransferred == ingress && st.EgressBytesTransferred == egress {
				return false
			}
			st.IngressBytesTransferred, st.EgressBytesTransferred = ingress, egress
			return true
		})
	})
}

func updateConnectionInternal(ctx context.Context, t *arm.Txn, connectionID string, fn func(*ConnectionInternal) bool) error {
	rec, err := t.Get(ctx, connectionID)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("connection %s: %w", connectionID, ErrNotFound)
	}
	_, st, err := DecodeConnectionProperties(rec)
	if err != nil {
		return err
	}
	if !fn(st) {
		return nil
	}
	if rec.Internal, err = setInternal(rec.Internal, st); err != nil {
		return err
	}
	return t.Write(ctx, rec)
}

// ---- shared key (connections/{name}/sharedkey) ----

// sharedKeyTarget reads the connection a sharedkey request addresses;
// with write set, an ExpressRoute connection (which has no key) is
// refused. Reading an ExpressRoute connection's key answers an empty
// value, as Azure does (Terraform azurerm reads the key of every
// connection, ExpressRoute ones included, and keeps only a non-empty one).
func sharedKeyTarget(ctx context.Context, req *arm.Request, write bool) (*arm.Record, arm.ID, error) {
	spec, ok := req.Engine.Registry.Lookup(ConnectionType)
	if !ok {
		return nil, arm.ID{}, fmt.Errorf("%s is not registered", ConnectionType)
	}
	if err := arm.CheckAPIVersion(spec, req); err != nil {
		return nil, arm.ID{}, err
	}
	id, err := arm.ParseID("/subscriptions/" + req.Vars["sub"] + "/resourceGroups/" + req.Vars["rg"] + "/providers/Microsoft.Network/connections/" + req.Vars["name"])
	if err != nil {
		return nil, arm.ID{}, arm.NotFound("InvalidResourceId", "The resource id is not valid: %v", err)
	}
	rec, err := req.Engine.GetRecord(ctx, id.String())
	if err != nil {
		return nil, id, err
	}
	if rec == nil {
		return nil, id, arm.ResourceNotFound(id)
	}
	p, _, err := DecodeConnectionProperties(rec)
	if err != nil {
		return nil, id, err
	}
	if write && p.ConnectionType == ConnExpressRoute {
		return nil, id, arm.BadRequest("SharedKeyNotSupportedForExpressRouteConnection",
			"Connection %s is an ExpressRoute connection and has no shared key.", rec.Resource.ID)
	}
	return rec, id, nil
}

func getSharedKey(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	rec, _, err := sharedKeyTarget(ctx, req, false)
	if err != nil {
		return nil, err
	}
	_, st, err := DecodeConnectionProperties(rec)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": st.SharedKey}}, nil
}

func setSharedKey(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	_, id, err := sharedKeyTarget(ctx, req, true)
	if err != nil {
		return nil, err
	}
	var body struct {
		Value *string `json:"value"`
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	if body.Value == nil {
		return nil, missingProperty("value", id.String()+"/sharedkey")
	}
	if err := checkSharedKey(*body.Value, id.String()); err != nil {
		return nil, err
	}
	if err := storeSharedKey(ctx, req.Engine, id.String(), *body.Value); err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": *body.Value}}, nil
}

func resetSharedKey(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	_, id, err := sharedKeyTarget(ctx, req, true)
	if err != nil {
		return nil, err
	}
	var body struct {
		KeyLength *int `json:"keyLength"`
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	if body.KeyLength == nil {
		return nil, missingProperty("keyLength", id.String()+"/sharedkey/reset")
	}
	n := *body.KeyLength
	if n < 1 || n > maxSharedKeyLength {
		return nil, arm.BadRequest("InvalidSharedKeyLength",
			"Shared key length %d of connection %s must be between 1 and %d.", n, id.String(), maxSharedKeyLength)
	}
	k, err := randomKey(n)
	if err != nil {
		return nil, err
	}
	if err := storeSharedKey(ctx, req.Engine, id.String(), k); err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"keyLength": n}}, nil
}

// storeSharedKey replaces a connection's shared key (a new etag; the data
// plane sees the change through the store watch).
func storeSharedKey(ctx context.Context, e *arm.Engine, connID, key string) error {
	return e.Run(ctx, func(t *arm.Txn) error {
		rec, err := t.Get(ctx, connID)
		if err != nil {
			return err
		}
		if rec == nil {
			id, _ := arm.ParseID(connID)
			return arm.ResourceNotFound(id)
		}
		_, st, err := DecodeConnectionProperties(rec)
		if err != nil {
			return err
		}
		st.SharedKey = key
		if rec.Internal, err = setInternal(rec.Internal, st); err != nil {
			return err
		}
		rec.Resource.Etag = newETag()
		return t.Write(ctx, rec)
	})
}
