package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// ExpressRoute circuits (Microsoft.Network/expressRouteCircuits) with their
// peerings and authorizations.

var (
	circuitTiers      = []string{"Standard", "Premium", "Local", "Basic"}
	circuitFamilies   = []string{"MeteredData", "UnlimitedData"}
	circuitBandwidths = []int{50, 100, 200, 500, 1000, 2000, 5000, 10000}
	peeringNames      = []string{PrivatePeeringName, MicrosoftPeeringName}
	providerStates    = []string{ProviderNotProvisioned, ProviderProvisioning, ProviderProvisioned, ProviderDeprovisioning}
)

// CircuitSku is a circuit's sku.
type CircuitSku struct {
	Name   string `json:"name"`
	Tier   string `json:"tier"`
	Family string `json:"family"`
}

// ServiceProviderProperties are a circuit's serviceProviderProperties.
type ServiceProviderProperties struct {
	ServiceProviderName string `json:"serviceProviderName"`
	PeeringLocation     string `json:"peeringLocation"`
	BandwidthInMbps     int    `json:"bandwidthInMbps"`
}

// CircuitProperties are a circuit's stored properties
// (serviceProviderProvisioningState is rendered from the record's internal
// state, see CircuitInternal; peerings and authorizations are child
// records).
type CircuitProperties struct {
	ProvisioningState         string                     `json:"provisioningState,omitempty"`
	AllowClassicOperations    bool                       `json:"allowClassicOperations"`
	CircuitProvisioningState  string                     `json:"circuitProvisioningState"`
	ServiceKey                string                     `json:"serviceKey"`
	ServiceProviderNotes      string                     `json:"serviceProviderNotes,omitempty"`
	ServiceProviderProperties *ServiceProviderProperties `json:"serviceProviderProperties,omitempty"`
	GatewayManagerEtag        string                     `json:"gatewayManagerEtag"`
	GlobalReachEnabled        bool                       `json:"globalReachEnabled"`
}

// CircuitInternal is a circuit record's internal state: the service
// provider's side, which privlink's on-premises emulation sets (see
// SetServiceProviderState).
type CircuitInternal struct {
	// ServiceProviderProvisioningState is NotProvisioned, Provisioning,
	// Provisioned or Deprovisioning ("" reads as NotProvisioned).
	ServiceProviderProvisioningState string `json:"serviceProviderProvisioningState,omitempty"`
}

// DecodeCircuitProperties decodes a circuit record's properties and
// internal state.
func DecodeCircuitProperties(rec *arm.Record) (*CircuitProperties, *CircuitInternal, error) {
	var p CircuitProperties
	var in CircuitInternal
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, nil, fmt.Errorf("decode express route circuit %s: %w", rec.Resource.ID, err)
		}
	}
	if len(rec.Internal) > 0 && string(rec.Internal) != "null" {
		if err := json.Unmarshal(rec.Internal, &in); err != nil {
			return nil, nil, fmt.Errorf("decode express route circuit state %s: %w", rec.Resource.ID, err)
		}
	}
	if in.ServiceProviderProvisioningState == "" {
		in.ServiceProviderProvisioningState = ProviderNotProvisioned
	}
	return &p, &in, nil
}

func putCircuit(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		AllowClassicOperations    *bool                      `json:"allowClassicOperations"`
		ServiceProviderProperties *ServiceProviderProperties `json:"serviceProviderProperties"`
		GlobalReachEnabled        *bool                      `json:"globalReachEnabled"`
		ExpressRoutePort          *SubResource               `json:"expressRoutePort"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	var old *CircuitProperties
	var oldSku CircuitSku
	if op.Existing != nil {
		o, _, err := DecodeCircuitProperties(op.Existing)
		if err != nil {
			return err
		}
		old = o
		_ = json.Unmarshal(op.Existing.Resource.SKU, &oldSku)
	}
	// Sku: name = <tier>_<family>.
	var sku CircuitSku
	if len(op.Body.SKU) > 0 && string(op.Body.SKU) != "null" {
		if err := json.Unmarshal(op.Body.SKU, &sku); err != nil {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
		}
	}
	if sku.Name == "" && sku.Tier == "" && sku.Family == "" {
		if old == nil {
			return missingProperty("sku", id)
		}
		sku = oldSku
	}
	if sku.Name != "" && (sku.Tier == "" || sku.Family == "") {
		if i := strings.Index(sku.Name, "_"); i > 0 {
			if sku.Tier == "" {
				sku.Tier = sku.Name[:i]
			}
			if sku.Family == "" {
				sku.Family = sku.Name[i+1:]
			}
		}
	}
	var err error
	if sku.Tier, err = nrpEnum(sku.Tier, circuitTiers, "ExpressRouteCircuitSkuTier", "sku.tier"); err != nil {
		return err
	}
	if sku.Family, err = nrpEnum(sku.Family, circuitFamilies, "ExpressRouteCircuitSkuFamily", "sku.family"); err != nil {
		return err
	}
	if sku.Tier == "" {
		return missingProperty("sku.tier", id)
	}
	if sku.Family == "" {
		return missingProperty("sku.family", id)
	}
	if sku.Name != "" && !strings.EqualFold(sku.Name, sku.Tier+"_"+sku.Family) {
		return arm.BadRequest("InvalidExpressRouteCircuitSku",
			"Sku name %s of ExpressRoute circuit %s does not match its tier %s and family %s (expected %s_%s).", sku.Name, id, sku.Tier, sku.Family, sku.Tier, sku.Family)
	}
	sku.Name = sku.Tier + "_" + sku.Family
	if sku.Tier == "Local" && sku.Family != "UnlimitedData" {
		return arm.BadRequest("InvalidExpressRouteCircuitSku",
			"ExpressRoute circuit %s of the Local tier must use the UnlimitedData family.", id)
	}
	if old != nil && oldSku.Family == "UnlimitedData" && sku.Family == "MeteredData" {
		return arm.BadRequest("ExpressRouteCircuitSkuFamilyCannotBeDowngraded",
			"The sku family of ExpressRoute circuit %s cannot be changed from UnlimitedData to MeteredData.", id)
	}

	// The provider side.
	if in.ExpressRoutePort != nil && in.ExpressRoutePort.ID != "" {
		return arm.BadRequest("ExpressRoutePortNotSupported",
			"ExpressRoute circuit %s references ExpressRoute port %s: ExpressRoute Direct is not supported by privlink; use serviceProviderProperties.", id, in.ExpressRoutePort.ID)
	}
	spp := in.ServiceProviderProperties
	if spp == nil {
		if old == nil || old.ServiceProviderProperties == nil {
			return missingProperty("serviceProviderProperties", id)
		}
		spp = old.ServiceProviderProperties
	}
	sp := *spp
	sp.ServiceProviderName = strings.TrimSpace(sp.ServiceProviderName)
	sp.PeeringLocation = strings.TrimSpace(sp.PeeringLocation)
	if sp.ServiceProviderName == "" {
		return missingProperty("serviceProviderProperties.serviceProviderName", id)
	}
	if sp.PeeringLocation == "" {
		return missingProperty("serviceProviderProperties.peeringLocation", id)
	}
	okBW := false
	for _, b := range circuitBandwidths {
		okBW = okBW || b == sp.BandwidthInMbps
	}
	if !okBW {
		var s []string
		for _, b := range circuitBandwidths {
			s = append(s, strconv.Itoa(b))
		}
		return arm.BadRequest("InvalidExpressRouteCircuitBandwidth",
			"Bandwidth %d Mbps of ExpressRoute circuit %s is not offered by service provider %s at %s. Allowed bandwidths (Mbps): %s.",
			sp.BandwidthInMbps, id, sp.ServiceProviderName, sp.PeeringLocation, strings.Join(s, ", "))
	}
	if old != nil && old.ServiceProviderProperties != nil {
		o := old.ServiceProviderProperties
		if !strings.EqualFold(o.ServiceProviderName, sp.ServiceProviderName) || !strings.EqualFold(o.PeeringLocation, sp.PeeringLocation) {
			return arm.BadRequest("ExpressRouteCircuitServiceProviderCannotBeChanged",
				"The service provider and peering location of ExpressRoute circuit %s cannot be changed (%s at %s). Create a new circuit instead.", id, o.ServiceProviderName, o.PeeringLocation)
		}
		if sp.BandwidthInMbps < o.BandwidthInMbps {
			return arm.BadRequest("ExpressRouteCircuitBandwidthCannotBeDecreased",
				"The bandwidth of ExpressRoute circuit %s cannot be decreased from %d Mbps to %d Mbps.", id, o.BandwidthInMbps, sp.BandwidthInMbps)
		}
	}
	out := CircuitProperties{
		AllowClassicOperations:    boolOr(in.AllowClassicOperations, false),
		CircuitProvisioningState:  "Enabled",
		ServiceProviderProperties: &sp,
		GlobalReachEnabled:        boolOr(in.GlobalReachEnabled, false),
		ServiceKey:                uuid.NewString(),
	}
	if old != nil && old.ServiceKey != "" {
		out.ServiceKey = old.ServiceKey
	}
	props, err := mergeProps(op.Body.Properties, out, "provisioningState", "serviceProviderProvisioningState", "peerings", "authorizations", "stag")
	if err != nil {
		return err
	}
	op.Body.SetPropertiesMap(props)
	b, err := json.Marshal(sku)
	if err != nil {
		return fmt.Errorf("encode sku: %w", err)
	}
	op.Body.SKU = b
	if op.Existing == nil {
		ib, err := json.Marshal(CircuitInternal{ServiceProviderProvisioningState: ProviderNotProvisioned})
		if err != nil {
			return fmt.Errorf("encode circuit state: %w", err)
		}
		op.Internal = ib
	}
	return nil
}

func renderCircuit(_ context.Context, op *arm.RenderOp) error {
	_, st, err := DecodeCircuitProperties(op.Record)
	if err != nil {
		return err
	}
	m := op.Resource.PropertiesMap()
	m["serviceProviderProvisioningState"] = st.ServiceProviderProvisioningState
	op.Resource.SetPropertiesMap(m)
	return nil
}

func deleteCircuit(_ context.Context, op *arm.DeleteOp) error {
	_, st, err := DecodeCircuitProperties(op.Record)
	if err != nil {
		return err
	}
	switch st.ServiceProviderProvisioningState {
	case ProviderProvisioning, ProviderProvisioned:
		return arm.BadRequest("CannotDeleteProvisionedExpressRouteCircuit",
			"ExpressRoute circuit %s cannot be deleted while its serviceProviderProvisioningState is %s. Ask the service provider to deprovision the circuit first.",
			op.ID.String(), st.ServiceProviderProvisioningState)
	}
	return nil
}

func circuitInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("ExpressRouteCircuitCannotBeDeleted",
		"ExpressRoute circuit %s cannot be deleted because it is referenced by connection(s) %s. Delete the connections first.",
		id.String(), strings.Join(refSources(refs), ", "))
}

// SetServiceProviderState sets a circuit's serviceProviderProvisioningState
// (NotProvisioned, Provisioning, Provisioned or Deprovisioning), as the
// connectivity provider does: it is the part of the circuit Azure's users
// do not write. It does not change the circuit's generation or etag.
func SetServiceProviderState(ctx context.Context, e *arm.Engine, circuitID, state string) error {
	return e.Run(ctx, func(t *arm.Txn) error { return StageServiceProviderState(ctx, t, circuitID, state) })
}

// StageServiceProviderState is SetServiceProviderState inside t.
func StageServiceProviderState(ctx context.Context, t *arm.Txn, circuitID, state string) error {
	s, ok := canonical(state, providerStates)
	if !ok {
		return fmt.Errorf("service provider provisioning state %q: want one of %s", state, strings.Join(providerStates, ", "))
	}
	rec, err := t.Get(ctx, circuitID)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("express route circuit %s: %w", circuitID, ErrNotFound)
	}
	_, st, err := DecodeCircuitProperties(rec)
	if err != nil {
		return err
	}
	if st.ServiceProviderProvisioningState == s {
		return nil
	}
	st.ServiceProviderProvisioningState = s
	if rec.Internal, err = setInternal(rec.Internal, st); err != nil {
		return err
	}
	return t.Write(ctx, rec)
}

// ---- peerings ----

// PeeringProperties are a circuit peering's stored properties.
type PeeringProperties struct {
	ProvisioningState          string `json:"provisioningState,omitempty"`
	PeeringType                string `json:"peeringType"`
	State                      string `json:"state"`
	AzureASN                   int64  `json:"azureASN"`
	PeerASN                    int64  `json:"peerASN"`
	PrimaryPeerAddressPrefix   string `json:"primaryPeerAddressPrefix"`
	SecondaryPeerAddressPrefix string `json:"secondaryPeerAddressPrefix"`
	PrimaryAzurePort           string `json:"primaryAzurePort"`
	SecondaryAzurePort         string `json:"secondaryAzurePort"`
	VlanID                     int    `json:"vlanId"`
	GatewayManagerEtag         string `json:"gatewayManagerEtag"`
	LastModifiedBy             string `json:"lastModifiedBy"`
}

// DecodePeeringProperties decodes a circuit peering record's properties.
func DecodePeeringProperties(rec *arm.Record) (*PeeringProperties, error) {
	var p PeeringProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode express route circuit peering %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func putPeering(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		PeeringType                string `json:"peeringType"`
		State                      string `json:"state"`
		PeerASN                    *int64 `json:"peerASN"`
		PrimaryPeerAddressPrefix   string `json:"primaryPeerAddressPrefix"`
		SecondaryPeerAddressPrefix string `json:"secondaryPeerAddressPrefix"`
		VlanID                     *int   `json:"vlanId"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	name, ok := canonical(op.ID.Name(), peeringNames)
	if !ok {
		return arm.BadRequest("InvalidPeeringName",
			"Peering name %s of ExpressRoute circuit peering %s is not valid. Allowed names: %s.", op.ID.Name(), id, strings.Join(peeringNames, ", "))
	}
	if in.PeeringType == "" {
		in.PeeringType = name
	}
	if !strings.EqualFold(in.PeeringType, name) {
		return arm.BadRequest("PeeringTypeMustMatchPeeringName",
			"Peering type %s of ExpressRoute circuit peering %s must match its name %s.", in.PeeringType, id, name)
	}
	circuitID, _ := op.ID.Parent()
	crec, err := op.Tx.Get(ctx, circuitID.String())
	if err != nil {
		return err
	}
	if crec == nil {
		return arm.ParentResourceNotFound(circuitID)
	}
	_, st, err := DecodeCircuitProperties(crec)
	if err != nil {
		return err
	}
	if st.ServiceProviderProvisioningState != ProviderProvisioned {
		return arm.BadRequest("ExpressRouteCircuitNotProvisioned",
			"Peering %s cannot be configured on ExpressRoute circuit %s because the circuit's serviceProviderProvisioningState is %s. The service provider must provision the circuit (Provisioned) before peerings can be configured.",
			name, crec.Resource.ID, st.ServiceProviderProvisioningState)
	}
	out := PeeringProperties{PeeringType: name, State: "Enabled", AzureASN: AzureASN, LastModifiedBy: "Customer"}
	if in.State != "" {
		s, ok := canonical(in.State, []string{"Enabled", "Disabled"})
		if !ok {
			_, err := nrpEnum(in.State, []string{"Enabled", "Disabled"}, "ExpressRoutePeeringState", "properties.state")
			return err
		}
		out.State = s
	}
	if in.PeerASN == nil || *in.PeerASN == 0 {
		return missingProperty("peerASN", id)
	}
	out.PeerASN = *in.PeerASN
	if out.PeerASN < 1 || out.PeerASN > 4294967295 || reservedASNs[out.PeerASN] {
		return arm.BadRequest("InvalidPeerAsn",
			"Peer ASN %d of ExpressRoute circuit peering %s is not valid. ASNs 8074, 8075, 12076, 23456, 65515 and 65517-65520 are reserved by Azure.", out.PeerASN, id)
	}
	if in.VlanID == nil || *in.VlanID == 0 {
		return missingProperty("vlanId", id)
	}
	out.VlanID = *in.VlanID
	if out.VlanID < 1 || out.VlanID > 4094 {
		return arm.BadRequest("InvalidVlanId",
			"VLAN ID %d of ExpressRoute circuit peering %s must be between 1 and 4094.", out.VlanID, id)
	}
	prim, err := peerPrefix(in.PrimaryPeerAddressPrefix, "primaryPeerAddressPrefix", id)
	if err != nil {
		return err
	}
	sec, err := peerPrefix(in.SecondaryPeerAddressPrefix, "secondaryPeerAddressPrefix", id)
	if err != nil {
		return err
	}
	if prim.Overlaps(sec) {
		return arm.BadRequest("PeerAddressPrefixesOverlap",
			"Primary peer address prefix %s and secondary peer address prefix %s of ExpressRoute circuit peering %s must not overlap.", prim, sec, id)
	}
	out.PrimaryPeerAddressPrefix, out.SecondaryPeerAddressPrefix = prim.String(), sec.String()
	sibs, err := op.Tx.Children(ctx, circuitID, "peerings")
	if err != nil {
		return err
	}
	for _, s := range sibs {
		if strings.EqualFold(s.Resource.Name, op.ID.Name()) {
			continue
		}
		sp, err := DecodePeeringProperties(s)
		if err != nil {
			return err
		}
		if sp.VlanID == out.VlanID {
			return arm.BadRequest("VlanIdInUse",
				"VLAN ID %d of ExpressRoute circuit peering %s is already used by peering %s of the circuit.", out.VlanID, id, s.Resource.ID)
		}
	}
	props, err := mergeProps(op.Body.Properties, out, "provisioningState", "sharedKey")
	if err != nil {
		return err
	}
	op.Body.SetPropertiesMap(props)
	return nil
}

// peerPrefix parses a peering's /30 IPv4 subnet.
func peerPrefix(s, prop, id string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, missingProperty(prop, id)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, arm.BadRequest("InvalidAddressPrefixFormat",
			"Address prefix %s of resource %s is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.", s, id)
	}
	if p.Masked() != p {
		return netip.Prefix{}, arm.BadRequest("InvalidCIDRNotation",
			"The address prefix %s in resource %s has an invalid CIDR notation. For the given prefix length, the address prefix should be %s.", s, id, p.Masked())
	}
	if p.Bits() != 30 {
		return netip.Prefix{}, arm.BadRequest("InvalidPeerAddressPrefixLength",
			"Address prefix %s (%s) of ExpressRoute circuit peering %s must be a /30 subnet.", s, prop, id)
	}
	return p, nil
}

func peeringInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("ExpressRouteCircuitPeeringCannotBeDeleted",
		"ExpressRoute circuit peering %s cannot be deleted because it is used by connection(s) %s. Delete the connections first.",
		id.String(), strings.Join(refSources(refs), ", "))
}

// ---- authorizations ----

// AuthorizationProperties are a circuit authorization's stored properties.
type AuthorizationProperties struct {
	ProvisioningState      string `json:"provisioningState,omitempty"`
	AuthorizationKey       string `json:"authorizationKey"`
	AuthorizationUseStatus string `json:"authorizationUseStatus"`
}

// DecodeAuthorizationProperties decodes an authorization record's properties.
func DecodeAuthorizationProperties(rec *arm.Record) (*AuthorizationProperties, error) {
	var p AuthorizationProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode express route circuit authorization %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

func putAuthorization(_ context.Context, op *arm.PutOp) error {
	out := AuthorizationProperties{AuthorizationKey: uuid.NewString(), AuthorizationUseStatus: "Available"}
	if op.Existing != nil {
		o, err := DecodeAuthorizationProperties(op.Existing)
		if err != nil {
			return err
		}
		out.AuthorizationKey, out.AuthorizationUseStatus = o.AuthorizationKey, o.AuthorizationUseStatus
	}
	return op.Body.SetProperties(out)
}

// setAuthorizationUse rewrites an authorization's authorizationUseStatus.
func setAuthorizationUse(ctx context.Context, t *arm.Txn, rec *arm.Record, status string) error {
	p, err := DecodeAuthorizationProperties(rec)
	if err != nil {
		return err
	}
	if p.AuthorizationUseStatus == status {
		return nil
	}
	p.AuthorizationUseStatus = status
	next := *rec
	next.Resource.Etag = newETag()
	if err := next.Resource.SetProperties(p); err != nil {
		return err
	}
	return t.Write(ctx, &next)
}
