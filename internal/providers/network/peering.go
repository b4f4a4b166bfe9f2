package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

const (
	peeringType = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"

	// kindRemoteVirtualNetwork is the (non-blocking) ref a peering holds
	// on its remote virtual network.
	kindRemoteVirtualNetwork = "remoteVirtualNetwork"

	// Peering states.
	PeeringInitiated    = "Initiated"
	PeeringConnected    = "Connected"
	PeeringDisconnected = "Disconnected"
)

// PeeringProperties are the stored properties of a virtual network peering.
type PeeringProperties struct {
	AllowVirtualNetworkAccess        bool          `json:"allowVirtualNetworkAccess"`
	AllowForwardedTraffic            bool          `json:"allowForwardedTraffic"`
	AllowGatewayTransit              bool          `json:"allowGatewayTransit"`
	UseRemoteGateways                bool          `json:"useRemoteGateways"`
	DoNotVerifyRemoteGateways        *bool         `json:"doNotVerifyRemoteGateways,omitempty"`
	PeerCompleteVnets                bool          `json:"peerCompleteVnets"`
	RemoteVirtualNetwork             *SubResource  `json:"remoteVirtualNetwork,omitempty"`
	RemoteAddressSpace               *AddressSpace `json:"remoteAddressSpace,omitempty"`
	RemoteVirtualNetworkAddressSpace *AddressSpace `json:"remoteVirtualNetworkAddressSpace,omitempty"`
	PeeringState                     string        `json:"peeringState,omitempty"`
	PeeringSyncLevel                 string        `json:"peeringSyncLevel,omitempty"`
	ResourceGUID                     string        `json:"resourceGuid,omitempty"`
	ProvisioningState                string        `json:"provisioningState,omitempty"`
}

// DecodePeering decodes a peering record's properties.
func DecodePeering(rec *arm.Record) (*PeeringProperties, error) {
	var p PeeringProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode peering %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// LoadPeering reads a peering in t (nil, nil when absent).
func LoadPeering(ctx context.Context, t *arm.Txn, id string) (*arm.Record, *PeeringProperties, error) {
	rec, err := t.Get(ctx, id)
	if err != nil || rec == nil {
		return nil, nil, err
	}
	p, err := DecodePeering(rec)
	if err != nil {
		return nil, nil, err
	}
	return rec, p, nil
}

func registerPeerings(p *arm.Platform) {
	p.Registry.Register(&arm.TypeSpec{
		Type:              peeringType,
		APIVersions:       versions(),
		Location:          arm.LocationNone,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		ValidateName:      validateNetworkName,
		Put:               putPeering,
		Delete:            deletePeering,
		Render:            renderPeering,
		NotFound:          childNotFound,
	})
}

type peeringInput struct {
	AllowVirtualNetworkAccess *bool        `json:"allowVirtualNetworkAccess"`
	AllowForwardedTraffic     *bool        `json:"allowForwardedTraffic"`
	AllowGatewayTransit       *bool        `json:"allowGatewayTransit"`
	UseRemoteGateways         *bool        `json:"useRemoteGateways"`
	DoNotVerifyRemoteGateways *bool        `json:"doNotVerifyRemoteGateways"`
	PeerCompleteVnets         *bool        `json:"peerCompleteVnets"`
	RemoteVirtualNetwork      *SubResource `json:"remoteVirtualNetwork"`
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// pairGuard serializes the two sides of a peering being written at once.
func pairGuard(ctx context.Context, t *arm.Txn, a, b string) error {
	return touchGuard(ctx, t, pairKey(a, b))
}

func pairKey(a, b string) string {
	x, y := strings.ToLower(a), strings.ToLower(b)
	if y < x {
		x, y = y, x
	}
	return x + "|" + y
}

// backPeering finds remote's peering whose remote virtual network is local.
func backPeering(ctx context.Context, t *arm.Txn, remote arm.ID, local string) (*arm.Record, *PeeringProperties, error) {
	peers, err := t.Children(ctx, remote, "virtualNetworkPeerings")
	if err != nil {
		return nil, nil, err
	}
	for _, pr := range peers {
		pp, err := DecodePeering(pr)
		if err != nil {
			return nil, nil, err
		}
		if pp.RemoteVirtualNetwork != nil && arm.SameID(pp.RemoteVirtualNetwork.ID, local) {
			return pr, pp, nil
		}
	}
	return nil, nil, nil
}

func putPeering(ctx context.Context, op *arm.PutOp) error {
	var in peeringInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	id := op.ID.String()
	localID, _ := op.ID.Parent()
	local, err := op.Tx.Get(ctx, localID.String())
	if err != nil {
		return err
	}
	if local == nil {
		return arm.ParentResourceNotFound(localID)
	}
	if kept, err := keepInlinePeering(op, &in); kept || err != nil {
		return err
	}
	if in.RemoteVirtualNetwork == nil || in.RemoteVirtualNetwork.ID == "" {
		return arm.BadRequest("InvalidRequestFormat",
			"Cannot parse the request. Property 'remoteVirtualNetwork' of peering %s is required.", id)
	}
	remoteID, perr := arm.ParseID(in.RemoteVirtualNetwork.ID)
	if perr != nil || !strings.EqualFold(remoteID.Type(), vnetType) || remoteID.IsCollection() {
		return arm.BadRequest("LinkedInvalidPropertyId",
			"Property id '%s' at path 'properties.remoteVirtualNetwork.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
			in.RemoteVirtualNetwork.ID)
	}
	if arm.SameID(remoteID.String(), localID.String()) {
		return arm.BadRequest("CannotPeerVirtualNetworkWithItself",
			"Cannot create or update peering %s. Virtual network %s cannot be peered with itself.", id, local.Resource.ID)
	}
	remote, err := op.Tx.Get(ctx, remoteID.String())
	if err != nil {
		return err
	}
	if remote == nil {
		return arm.BadRequest("InvalidResourceReference",
			"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
			remoteID.String(), id)
	}
	remoteName := remote.Resource.ID
	if err := touchGuard(ctx, op.Tx, localID.String()); err != nil {
		return err
	}
	if err := pairGuard(ctx, op.Tx, localID.String(), remoteName); err != nil {
		return err
	}
	// One peering per remote virtual network.
	sibs, err := op.Tx.Children(ctx, localID, "virtualNetworkPeerings")
	if err != nil {
		return err
	}
	for _, s := range sibs {
		if strings.EqualFold(s.Resource.Name, op.ID.Name()) {
			continue
		}
		sp, err := DecodePeering(s)
		if err != nil {
			return err
		}
		if sp.RemoteVirtualNetwork != nil && arm.SameID(sp.RemoteVirtualNetwork.ID, remoteName) {
			return arm.BadRequest("VnetPeeringAlreadyExists",
				"Cannot create or update peering %s because peering %s already exists between virtual networks %s and %s.",
				id, s.Resource.ID, local.Resource.ID, remoteName)
		}
	}
	if op.Existing != nil {
		old, err := DecodePeering(op.Existing)
		if err != nil {
			return err
		}
		if old.RemoteVirtualNetwork != nil && !arm.SameID(old.RemoteVirtualNetwork.ID, remoteName) {
			return arm.BadRequest("CannotChangeRemoteVirtualNetworkOfPeering",
				"Cannot update peering %s: remote virtual network cannot be changed from %s to %s. Delete and re-create the peering.",
				id, old.RemoteVirtualNetwork.ID, remoteName)
		}
	}
	localSpace := VirtualNetworkPrefixes(local)
	remoteSpace := VirtualNetworkPrefixes(remote)
	if overl := overlapList(localSpace, remoteSpace); len(overl) > 0 {
		return arm.BadRequest("VnetAddressSpacesOverlap",
			"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because their address spaces overlap. Overlapping address prefixes: %s.",
			id, local.Resource.ID, remoteName, strings.Join(overl, ", "))
	}
	if err := checkAlreadyPeered(ctx, op.Tx, id, local, remote, localSpace); err != nil {
		return err
	}
	if err := checkAlreadyPeered(ctx, op.Tx, id, remote, local, remoteSpace); err != nil {
		return err
	}
	if boolOr(in.UseRemoteGateways, false) {
		if has, err := hasGateway(ctx, op.Tx, localID); err != nil {
			return err
		} else if has {
			return arm.BadRequest("UseRemoteGatewaysNotAllowedWithLocalGateway",
				"Peering %s cannot have UseRemoteGateways flag set to true because virtual network %s has a gateway.", id, local.Resource.ID)
		}
		if in.DoNotVerifyRemoteGateways == nil || !*in.DoNotVerifyRemoteGateways {
			if has, err := hasGateway(ctx, op.Tx, remoteID); err != nil {
				return err
			} else if !has {
				return arm.BadRequest("RemoteVnetHasNoGateways",
					"Peering %s cannot have UseRemoteGateway flag set to true because remote virtual network %s referenced by the peering does not have any gateways.", id, remoteName)
			}
		}
	}
	out := PeeringProperties{
		AllowVirtualNetworkAccess:        boolOr(in.AllowVirtualNetworkAccess, true),
		AllowForwardedTraffic:            boolOr(in.AllowForwardedTraffic, false),
		AllowGatewayTransit:              boolOr(in.AllowGatewayTransit, false),
		UseRemoteGateways:                boolOr(in.UseRemoteGateways, false),
		DoNotVerifyRemoteGateways:        in.DoNotVerifyRemoteGateways,
		PeerCompleteVnets:                boolOr(in.PeerCompleteVnets, true),
		RemoteVirtualNetwork:             &SubResource{ID: remoteName},
		RemoteAddressSpace:               &AddressSpace{AddressPrefixes: formatPrefixes(remoteSpace)},
		RemoteVirtualNetworkAddressSpace: &AddressSpace{AddressPrefixes: formatPrefixes(remoteSpace)},
		PeeringState:                     PeeringInitiated,
		PeeringSyncLevel:                 "FullyInSync",
	}
	if op.Existing != nil {
		old, err := DecodePeering(op.Existing)
		if err != nil {
			return err
		}
		out.ResourceGUID = old.ResourceGUID
	}
	if out.ResourceGUID == "" {
		out.ResourceGUID = uuid.NewString()
	}
	back, bp, err := backPeering(ctx, op.Tx, remoteID, local.Resource.ID)
	if err != nil {
		return err
	}
	if back != nil {
		if bp.PeeringState == PeeringDisconnected {
			return arm.BadRequest("RemotePeeringIsDisconnected",
				"Cannot create or update peering %s because remote peering %s referencing parent virtual network %s is in Disconnected state. Update or re-create the remote peering to get it back to Initiated state. Peering gets Disconnected when remote vnet or remote peering is deleted and re-created.",
				id, back.Resource.ID, local.Resource.ID)
		}
		out.PeeringState = PeeringConnected
		if bp.PeeringState != PeeringConnected {
			bp.PeeringState = PeeringConnected
			bp.RemoteAddressSpace = &AddressSpace{AddressPrefixes: formatPrefixes(localSpace)}
			bp.RemoteVirtualNetworkAddressSpace = &AddressSpace{AddressPrefixes: formatPrefixes(localSpace)}
			if err := writePeering(ctx, op.Tx, back, bp); err != nil {
				return err
			}
		}
	}
	op.AddRef(remoteName, kindRemoteVirtualNetwork, id, false)
	return op.Body.SetProperties(out)
}

// keepInlinePeering keeps a peering restated unchanged in its virtual
// network's PUT body (clients such as az send back what GET showed): its
// state is not recomputed and its remote not re-validated, so updating a
// virtual network never reconnects, or fails on, a disconnected peering.
func keepInlinePeering(op *arm.PutOp, in *peeringInput) (bool, error) {
	if !op.Inline || op.Existing == nil {
		return false, nil
	}
	old, err := DecodePeering(op.Existing)
	if err != nil {
		return false, err
	}
	if old.RemoteVirtualNetwork == nil || in.RemoteVirtualNetwork == nil ||
		!arm.SameID(old.RemoteVirtualNetwork.ID, in.RemoteVirtualNetwork.ID) ||
		old.AllowVirtualNetworkAccess != boolOr(in.AllowVirtualNetworkAccess, true) ||
		old.AllowForwardedTraffic != boolOr(in.AllowForwardedTraffic, false) ||
		old.AllowGatewayTransit != boolOr(in.AllowGatewayTransit, false) ||
		old.UseRemoteGateways != boolOr(in.UseRemoteGateways, false) ||
		old.PeerCompleteVnets != boolOr(in.PeerCompleteVnets, true) {
		return false, nil
	}
	op.Refs = append(op.Refs, op.Existing.Refs...)
	op.State = op.Existing.State
	old.ProvisioningState = ""
	return true, op.Body.SetProperties(old)
}

// checkAlreadyPeered refuses peering a with b when a's address space
// overlaps a virtual network b is already peered with.
func checkAlreadyPeered(ctx context.Context, t *arm.Txn, id string, a, b *arm.Record, aSpace []netip.Prefix) error {
	bid, err := arm.ParseID(b.Resource.ID)
	if err != nil {
		return err
	}
	peers, err := t.Children(ctx, bid, "virtualNetworkPeerings")
	if err != nil {
		return err
	}
	sort.Slice(peers, func(i, j int) bool { return peers[i].Resource.ID < peers[j].Resource.ID })
	for _, pr := range peers {
		pp, err := DecodePeering(pr)
		if err != nil {
			return err
		}
		if pp.RemoteVirtualNetwork == nil || arm.SameID(pp.RemoteVirtualNetwork.ID, a.Resource.ID) || pp.PeeringState == PeeringDisconnected {
			continue
		}
		third, err := t.Get(ctx, pp.RemoteVirtualNetwork.ID)
		if err != nil {
			return err
		}
		if third == nil {
			continue
		}
		if overl := overlapList(aSpace, VirtualNetworkPrefixes(third)); len(overl) > 0 {
			return arm.BadRequest("VnetAddressSpaceOverlapsWithAlreadyPeeredVnet",
				"Cannot create or update peering %s. Virtual networks %s and %s cannot be peered because address space of the first virtual network overlaps with address space of virtual network %s already peered with the second virtual network. Overlapping address prefixes: %s.",
				id, a.Resource.ID, b.Resource.ID, third.Resource.ID, strings.Join(overl, ", "))
		}
	}
	return nil
}

// writePeering stores changed peering properties with a new etag.
func writePeering(ctx context.Context, t *arm.Txn, rec *arm.Record, p *PeeringProperties) error {
	p.ProvisioningState = rec.State
	if p.ProvisioningState == "" {
		p.ProvisioningState = arm.StateSucceeded
	}
	if err := rec.Resource.SetProperties(p); err != nil {
		return err
	}
	rec.Resource.Etag = `W/"` + uuid.NewString() + `"`
	return t.Write(ctx, rec)
}

// disconnectPeering marks a peering Disconnected because its remote
// virtual network (gone) is remoteID, dropping its ref to it.
func disconnectPeering(ctx context.Context, t *arm.Txn, peeringID, remoteID string) error {
	rec, p, err := LoadPeering(ctx, t, peeringID)
	if err != nil || rec == nil {
		return err
	}
	refs := rec.Refs[:0:0]
	for _, r := range rec.Refs {
		if r.Kind == kindRemoteVirtualNetwork && arm.SameID(r.Target, remoteID) {
			continue
		}
		refs = append(refs, r)
	}
	rec.Refs = refs
	p.PeeringState = PeeringDisconnected
	return writePeering(ctx, t, rec, p)
}

// deletePeering disconnects the remote side's peering back to this
// virtual network.
func deletePeering(ctx context.Context, op *arm.DeleteOp) error {
	p, err := DecodePeering(op.Record)
	if err != nil {
		return err
	}
	if p.RemoteVirtualNetwork == nil {
		return nil
	}
	remoteID, err := arm.ParseID(p.RemoteVirtualNetwork.ID)
	if err != nil {
		return nil
	}
	localID, _ := op.ID.Parent()
	op.Tx.Raw().Delete(guardKey(pairKey(localID.String(), remoteID.String())))
	back, bp, err := backPeering(ctx, op.Tx, remoteID, localID.String())
	if err != nil || back == nil || bp.PeeringState == PeeringDisconnected {
		return err
	}
	bp.PeeringState = PeeringDisconnected
	return writePeering(ctx, op.Tx, back, bp)
}

// renderPeering shows the local and remote virtual networks' current
// address spaces.
func renderPeering(ctx context.Context, op *arm.RenderOp) error {
	p, err := DecodePeering(op.Record)
	if err != nil {
		return err
	}
	m := op.Resource.PropertiesMap()
	if localID, ok := op.ID.Parent(); ok {
		local, err := op.Engine.GetRecord(ctx, localID.String())
		if err != nil {
			return err
		}
		if local != nil {
			space := &AddressSpace{AddressPrefixes: formatPrefixes(VirtualNetworkPrefixes(local))}
			m["localAddressSpace"] = space
			m["localVirtualNetworkAddressSpace"] = space
		}
	}
	if p.RemoteVirtualNetwork != nil && p.PeeringState != PeeringDisconnected {
		remote, err := op.Engine.GetRecord(ctx, p.RemoteVirtualNetwork.ID)
		if err != nil {
			return err
		}
		if remote != nil {
			space := &AddressSpace{AddressPrefixes: formatPrefixes(VirtualNetworkPrefixes(remote))}
			m["remoteAddressSpace"] = space
			m["remoteVirtualNetworkAddressSpace"] = space
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}

// hasGateway reports whether a VNet's GatewaySubnet holds a virtual
// network gateway's IP configuration.
func hasGateway(ctx context.Context, t *arm.Txn, vnet arm.ID) (bool, error) {
	refs, err := t.RefsTo(ctx, vnet.Child("subnets", "GatewaySubnet").String())
	if err != nil {
		return false, err
	}
	for _, r := range refs {
		if r.Kind == kindIPConfiguration && strings.Contains(strings.ToLower(r.Source), "/providers/microsoft.network/virtualnetworkgateways/") {
			return true, nil
		}
	}
	return false, nil
}
