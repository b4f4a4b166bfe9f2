package privatelink

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Resource types served by this package.
const (
	PLSType        = "Microsoft.Network/privateLinkServices"
	PLSConnType    = PLSType + "/privateEndpointConnections"
	PLSIPConfType  = PLSType + "/ipConfigurations"
	EndpointType   = "Microsoft.Network/privateEndpoints"
	ZoneGroupType  = EndpointType + "/privateDnsZoneGroups"
	NICType        = "Microsoft.Network/networkInterfaces"
	LoadBalancerTy = "Microsoft.Network/loadBalancers"
	subnetType     = "Microsoft.Network/virtualNetworks/subnets"
	zoneType       = "Microsoft.Network/privateDnsZones"

	// Ref kinds.
	kindIPConfiguration  = "ipConfiguration"    // NIC ip configuration -> subnet (rendered by subnets)
	kindPrivateEndpoint  = "privateEndpoint"    // endpoint -> subnet (rendered by subnets)
	kindLBPrivateLinkSvc = "privateLinkService" // private link service -> load balancer

	// Limits (azure-behavior.md §4).
	maxNATIPs          = 8
	maxPLSPerLB        = 8
	maxEndpointsPerPLS = 1000
	maxSubscriptions   = 100
	maxRequestMessage  = 140
	maxZoneConfigs     = 5

	aliasSuffix = ".azure.privatelinkservice"
	aliasKeys   = "/plsalias/"

	// Connection states and the descriptions Azure's REST examples show.
	StatusApproved     = "Approved"
	StatusPending      = "Pending"
	StatusRejected     = "Rejected"
	StatusDisconnected = "Disconnected"
	DescAutoApproved   = "Auto-approved"
	DescAwaiting       = "Awaiting approval"

	// ApprovalAction is the permission an automatic connection needs on
	// the private link service.
	ApprovalAction = "Microsoft.Network/privateLinkServices/privateEndpointConnectionsApproval/action"
)

// Provider implements arm.Provider. Register it after the network and
// privatedns providers.
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return network.Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	nic, ok := p.Registry.Lookup(NICType)
	if !ok {
		return fmt.Errorf("privatelink: %s is not registered (register the network provider first)", NICType)
	}
	guardNICs(nic)
	pv := &plsProvider{platform: p}
	vs := append([]string(nil), network.APIVersions...)
	p.Registry.Register(
		&arm.TypeSpec{
			Type: PLSType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			Children:     []arm.ChildSpec{{Property: "privateEndpointConnections", Type: "privateEndpointConnections", ReadOnly: true}},
			ValidateName: validateName,
			Put:          putPLS,
			Delete:       deletePLS,
			Render:       renderPLS,
		},
		&arm.TypeSpec{
			Type: PLSConnType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true, AsyncDelete: true, NoSystemData: true,
			Put:      putPLSConnection,
			Delete:   deletePLSConnection,
			NotFound: childNotFound,
		},
		&arm.TypeSpec{
			Type: EndpointType, APIVersions: vs, Location: arm.LocationRequired, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          pv.putEndpoint,
			Delete:       deleteEndpoint,
		},
		&arm.TypeSpec{
			Type: ZoneGroupType, APIVersions: vs, Location: arm.LocationNone, ETag: true,
			ProvisioningState: true, AsyncPut: true, AsyncDelete: true, NoSystemData: true,
			ValidateName: validateName,
			Put:          putZoneGroup,
			Delete:       deleteZoneGroup,
			NotFound:     childNotFound,
		},
	)
	if p.Server != nil {
		for _, scope := range []string{"/subscriptions/{sub}", "/subscriptions/{sub}/resourceGroups/{rg}"} {
			base := scope + "/providers/Microsoft.Network/locations/{loc}/"
			p.Server.Handle(http.MethodPost, base+"checkPrivateLinkServiceVisibility", checkVisibility)
			p.Server.Handle(http.MethodGet, base+"autoApprovedPrivateLinkServices", autoApproved)
		}
	}
	return nil
}

// plsProvider carries the platform (for the Authorizer) into hooks.
type plsProvider struct{ platform *arm.Platform }

// SubResource is ARM's {"id": ...}.
type SubResource = network.SubResource

// ConnectionState is privateLinkServiceConnectionState.
type ConnectionState struct {
	Status          string `json:"status"`
	Description     string `json:"description"`
	ActionsRequired string `json:"actionsRequired"`
}

var validateName = network.ValidateName

func childNotFound(id arm.ID) *arm.Error { return network.ChildNotFound(id.String()) }

var invalidReference = network.InvalidReference

var invalidPropertyID = network.InvalidPropertyID

// parseTyped parses ref as a resource ID of wantType.
func parseTyped(ref, wantType, path string) (arm.ID, error) {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" {
		return arm.ID{}, invalidPropertyID(ref, path)
	}
	if !strings.EqualFold(id.Type(), wantType) {
		return arm.ID{}, invalidPropertyID(ref, path)
	}
	return id, nil
}

func newETag() string { return `W/"` + uuid.NewString() + `"` }

// newLinkID returns a random non-zero 32-bit link identifier.
func newLinkID() (uint32, error) {
	for {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("link identifier: %w", err)
		}
		if v := binary.LittleEndian.Uint32(b[:]); v != 0 {
			return v, nil
		}
	}
}

func enumOf(v string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, true
		}
	}
	return "", false
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(strings.TrimSpace(s), v) {
			return true
		}
	}
	return false
}

// ownerCtx marks deletions of read-only network interfaces made by their
// owner (the guard lets them through).
type ownerCtxKey struct{}

func ownerCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownerCtxKey{}, true)
}

func isOwnerCtx(ctx context.Context) bool { v, _ := ctx.Value(ownerCtxKey{}).(bool); return v }

func newGUID() string { return uuid.NewString() }
