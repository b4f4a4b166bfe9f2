package gateway

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Resource types served by this package.
const (
	GatewayType       = "Microsoft.Network/virtualNetworkGateways"
	LocalGatewayType  = "Microsoft.Network/localNetworkGateways"
	ConnectionType    = "Microsoft.Network/connections"
	CircuitType       = "Microsoft.Network/expressRouteCircuits"
	PeeringType       = CircuitType + "/peerings"
	AuthorizationType = CircuitType + "/authorizations"

	vnetType     = "Microsoft.Network/virtualNetworks"
	subnetType   = vnetType + "/subnets"
	publicIPType = "Microsoft.Network/publicIPAddresses"

	// GatewaySubnetName is the name Azure requires for a gateway's subnet.
	GatewaySubnetName = "GatewaySubnet"

	// Ref kinds.
	kindIPConfiguration = "ipConfiguration" // gateway ip configuration -> subnet (rendered by the subnet)
	kindPublicIPAddress = "publicIPAddress" // gateway ip configuration -> public IP (rendered there)
	kindConnection      = "connection"      // connection -> gateway, local gateway, circuit, peering

	// Gateway types.
	TypeVpn          = "Vpn"
	TypeExpressRoute = "ExpressRoute"

	// Connection types.
	ConnIPsec        = "IPsec"
	ConnVnet2Vnet    = "Vnet2Vnet"
	ConnExpressRoute = "ExpressRoute"

	// Connection statuses (connectionStatus).
	StatusUnknown      = "Unknown"
	StatusConnecting   = "Connecting"
	StatusConnected    = "Connected"
	StatusNotConnected = "NotConnected"

	// Service provider provisioning states of a circuit.
	ProviderNotProvisioned = "NotProvisioned"
	ProviderProvisioning   = "Provisioning"
	ProviderProvisioned    = "Provisioned"
	ProviderDeprovisioning = "Deprovisioning"

	// PrivatePeeringName is the name (and peeringType) of a circuit's
	// Azure private peering.
	PrivatePeeringName = "AzurePrivatePeering"
	// MicrosoftPeeringName is the name of a circuit's Microsoft peering.
	MicrosoftPeeringName = "MicrosoftPeering"

	// DefaultASN is the ASN of Azure VPN and ExpressRoute gateways.
	DefaultASN = 65515
	// AzureASN is Microsoft's ASN on ExpressRoute peerings.
	AzureASN = 12076
)

// Provider implements arm.Provider for Microsoft.Network gateways.
// Register it after the network provider.
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return network.Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	if _, ok := p.Registry.Lookup(subnetType); !ok {
		return fmt.Errorf("gateway: %s is not registered (register the network provider first)", subnetType)
	}
	vs := append([]string(nil), network.APIVersions...)
	p.Registry.Register(
		&arm.TypeSpec{
			Type: GatewayType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          putGateway,
			Delete:       deleteGateway,
			InUse:        gatewayInUse,
		},
		&arm.TypeSpec{
			Type: LocalGatewayType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          putLocalGateway,
			InUse:        localGatewayInUse,
		},
		&arm.TypeSpec{
			Type: ConnectionType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          putConnection,
			Delete:       deleteConnection,
			Render:       renderConnection,
		},
		&arm.TypeSpec{
			Type: CircuitType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			Children: []arm.ChildSpec{
				{Property: "peerings", Type: "peerings", ReadOnly: true},
				{Property: "authorizations", Type: "authorizations", ReadOnly: true},
			},
			ValidateName: validateName,
			Put:          putCircuit,
			Delete:       deleteCircuit,
			InUse:        circuitInUse,
			Render:       renderCircuit,
		},
		&arm.TypeSpec{
			Type: PeeringType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			Put:      putPeering,
			InUse:    peeringInUse,
			NotFound: childNotFound,
		},
		&arm.TypeSpec{
			Type: AuthorizationType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          putAuthorization,
			NotFound:     childNotFound,
		},
	)
	if p.Server != nil {
		base := "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/connections/{name}/sharedkey"
		p.Server.Handle(http.MethodGet, base, getSharedKey)
		p.Server.Handle(http.MethodPut, base, setSharedKey)
		p.Server.Handle(http.MethodPost, base+"/reset", resetSharedKey)
	}
	return nil
}

// SubResource is ARM's {"id": ...}.
type SubResource = network.SubResource

var validateName = network.ValidateName

func childNotFound(id arm.ID) *arm.Error { return network.ChildNotFound(id.String()) }

var invalidReference = network.InvalidReference

var invalidPropertyID = network.InvalidPropertyID

// parseTyped parses ref as a resource ID of wantType.
func parseTyped(ref, wantType, path string) (arm.ID, error) {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" || !strings.EqualFold(id.Type(), wantType) {
		return arm.ID{}, invalidPropertyID(ref, path)
	}
	return id, nil
}

// loadTyped reads the resource ref (of wantType) for referrer, with
// Azure's errors for a malformed or missing reference.
func loadTyped(ctx context.Context, t *arm.Txn, ref, wantType, path, referrer string) (*arm.Record, error) {
	if _, err := parseTyped(ref, wantType, path); err != nil {
		return nil, err
	}
	rec, err := t.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if rec == nil {
		return nil, invalidReference(ref, referrer)
	}
	return rec, nil
}

// missingProperty is NRP's error for a required property left out.
func missingProperty(prop, resourceID string) error {
	return arm.BadRequest("MissingRequiredProperty",
		"Required property '%s' is missing for resource %s.", prop, resourceID)
}

// nrpEnum canonicalizes v against allowed, with the network resource
// provider's parse error otherwise.
func nrpEnum(v string, allowed []string, enumType, path string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, nil
		}
	}
	return "", arm.BadRequest("InvalidRequestFormat",
		"Cannot parse the request. Value '%s' of property '%s' is not valid for type %s. Allowed values: %s.",
		v, path, enumType, strings.Join(allowed, ", "))
}

func newETag() string { return `W/"` + uuid.NewString() + `"` }

// existingGUID keeps the resourceGuid of an existing record.
func existingGUID(rec *arm.Record) string {
	if rec != nil {
		var p struct {
			ResourceGUID string `json:"resourceGuid"`
		}
		if json.Unmarshal(rec.Resource.Properties, &p) == nil && p.ResourceGUID != "" {
			return p.ResourceGUID
		}
	}
	return uuid.NewString()
}

// mergeProps overlays the validated fields (out, a struct) on the
// properties the caller sent (raw), so properties privlink does not model
// (natRules, customRoutes, vpnClientConfiguration...) are kept and shown
// as Azure shows what it accepted. Keys in drop are removed.
func mergeProps(raw json.RawMessage, out any, drop ...string) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, arm.BadRequest("InvalidRequestContent",
				"The request content was invalid and could not be deserialized: '%s'.", err.Error())
		}
	}
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode properties: %w", err)
	}
	var typed map[string]any
	if err := json.Unmarshal(b, &typed); err != nil {
		return nil, fmt.Errorf("encode properties: %w", err)
	}
	for k, v := range typed {
		m[k] = v
	}
	for _, k := range drop {
		delete(m, k)
	}
	return m, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomKey returns n random alphanumeric characters (shared keys).
func randomKey(n int) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(alnum)))
	for i := 0; i < n; i++ {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("random key: %w", err)
		}
		b.WriteByte(alnum[v.Int64()])
	}
	return b.String(), nil
}

// reservedASNs are the ASNs Azure keeps for itself (VPN and ExpressRoute);
// customers cannot use them for their own side.
var reservedASNs = map[int64]bool{8074: true, 8075: true, 12076: true, 65515: true, 65517: true, 65518: true, 65519: true, 65520: true, 23456: true}

// lastUsable is the last address Azure does not reserve in p (the last
// address of a subnet is reserved as broadcast).
func lastUsable(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	bits := a.BitLen() - p.Bits()
	b := a.As16()
	// set host bits
	for i := 0; i < bits; i++ {
		byteIdx := 15 - i/8
		b[byteIdx] |= 1 << (uint(i) % 8)
	}
	last := netip.AddrFrom16(b)
	if a.Is4() {
		last = last.Unmap()
	}
	return last.Prev()
}
