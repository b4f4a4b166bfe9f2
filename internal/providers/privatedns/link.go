package privatedns

import (
	"context"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// linkBody is a virtual network link's PUT/PATCH properties (nil: absent).
type linkBody struct {
	VirtualNetwork      *SubResource `json:"virtualNetwork"`
	RegistrationEnabled *bool        `json:"registrationEnabled"`
	ResolutionPolicy    *string      `json:"resolutionPolicy"`
}

// storedLinkProps is what a link stores in its properties.
type storedLinkProps struct {
	VirtualNetwork      *SubResource `json:"virtualNetwork,omitempty"`
	RegistrationEnabled *bool        `json:"registrationEnabled,omitempty"`
	ResolutionPolicy    string       `json:"resolutionPolicy,omitempty"`
	ProvisioningState   string       `json:"provisioningState,omitempty"`
}

func storedLink(res *arm.Resource) (storedLinkProps, error) {
	var p storedLinkProps
	err := res.DecodeProperties(&p)
	return p, err
}

// maxLinks and maxRegistrationLinks are the per-zone limits (variables
// for tests).
var (
	maxLinks             = MaxLinksPerZone
	maxRegistrationLinks = MaxRegistrationLinksPerZone
)

func linkSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              LinkType,
		APIVersions:       versions(),
		Location:          arm.LocationGlobal,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		ValidateName:      validateLinkName,
		Put:               putLink,
		Patch:             patchLink,
		Delete:            deleteLink,
		Render:            renderLink,
		TargetDeleted:     linkNetworkDeleted,
	}
}

func checkResolutionPolicy(p *string) error {
	if p == nil || *p == ResolutionPolicyDefault || *p == ResolutionPolicyNxDomainRedirect {
		return nil
	}
	return arm.BadRequest("BadRequest",
		"The value '%s' of property 'resolutionPolicy' is invalid. Allowed values are 'Default' and 'NxDomainRedirect'.", *p)
}

// resolveNetwork checks the linked virtual network reference and returns
// the network's record.
func resolveNetwork(ctx context.Context, t *arm.Txn, ref *SubResource) (*arm.Record, error) {
	if ref == nil || strings.TrimSpace(ref.ID) == "" {
		return nil, arm.BadRequest("BadRequest", "The virtual network of the virtual network link is required.")
	}
	l := strings.ToLower(ref.ID)
	if !strings.HasPrefix(l, "/subscriptions/") && !strings.HasPrefix(l, "/providers/") {
		return nil, arm.BadRequest("LinkedInvalidPropertyId",
			"Property id '%s' at path 'properties.virtualNetwork.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.", ref.ID)
	}
	notFound := arm.BadRequest("BadRequest", "Virtual network resource not found for '%s'", ref.ID)
	id, err := arm.ParseID(ref.ID)
	if err != nil || id.IsCollection() || !strings.EqualFold(id.Type(), VirtualNetworkType) {
		return nil, notFound
	}
	rec, err := t.Get(ctx, id.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, notFound
	}
	return rec, nil
}

// checkLinkRules enforces the virtual network side of a link: one link per
// (zone, network), no two zones of the same name on one network, one
// registration zone per network, and the zone's registration-link limit.
func checkLinkRules(ctx context.Context, t *arm.Txn, linkID arm.ID, vnetID string, registration bool) error {
	zoneID, _ := linkID.Parent()
	refs, err := t.RefsTo(ctx, vnetID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		if r.Kind != LinkRefKind || arm.SameID(r.Source, linkID.String()) {
			continue
		}
		other, err := arm.ParseID(r.Source)
		if err != nil {
			continue
		}
		otherZone, _ := other.Parent()
		if arm.SameID(otherZone.String(), zoneID.String()) {
			return arm.Conflict("Conflict", "Private zone '%s' is already linked to the virtual network '%s'.",
				strings.ToLower(zoneID.Name()), vnetID)
		}
		if strings.EqualFold(otherZone.Name(), zoneID.Name()) {
			return arm.BadRequest("BadRequest",
				"A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '%s' and '%s' zones.",
				strings.ToLower(zoneID.Name()), strings.ToLower(otherZone.Name()))
		}
		if !registration {
			continue
		}
		rec, err := t.Get(ctx, r.Source)
		if err != nil {
			return err
		}
		if rec == nil {
			continue
		}
		p, err := storedLink(&rec.Resource)
		if err != nil {
			return err
		}
		if p.RegistrationEnabled != nil && *p.RegistrationEnabled {
			return arm.Conflict("Conflict",
				"A virtual network can only be linked to 1 Private DNS zone(s) with auto-registration enabled; conflicting Private DNS zone is '%s'.",
				strings.ToLower(otherZone.String()))
		}
	}
	if !registration {
		return nil
	}
	links, err := t.Children(ctx, zoneID, "virtualNetworkLinks")
	if err != nil {
		return err
	}
	n := 0
	for _, l := range links {
		if arm.SameID(l.Resource.ID, linkID.String()) {
			continue
		}
		p, err := storedLink(&l.Resource)
		if err != nil {
			return err
		}
		if p.RegistrationEnabled != nil && *p.RegistrationEnabled {
			n++
		}
	}
	if n >= maxRegistrationLinks {
		return arm.Conflict("Conflict",
			"The maximum number of virtual network links with auto-registration enabled (%d) for the private DNS zone '%s' has been reached.",
			maxRegistrationLinks, strings.ToLower(zoneID.Name()))
	}
	return nil
}

func putLink(ctx context.Context, op *arm.PutOp) error {
	var b linkBody
	if err := op.Body.DecodeProperties(&b); err != nil {
		return err
	}
	if b.RegistrationEnabled == nil {
		return arm.BadRequest("BadRequest", "The specified virtual network link registration setting is invalid.")
	}
	if err := checkResolutionPolicy(b.ResolutionPolicy); err != nil {
		return err
	}
	var prev storedLinkProps
	if op.Existing != nil {
		p, err := storedLink(&op.Existing.Resource)
		if err != nil {
			return err
		}
		prev = p
	}
	if _, err := resolveNetwork(ctx, op.Tx, b.VirtualNetwork); err != nil {
		return err
	}
	if op.Existing != nil && prev.VirtualNetwork != nil && !arm.SameID(prev.VirtualNetwork.ID, b.VirtualNetwork.ID) {
		return arm.BadRequest("BadRequest", "The virtual network of an existing virtual network link cannot be changed.")
	}
	zoneID, _ := op.ID.Parent()
	if op.Existing == nil {
		links, err := op.Tx.Children(ctx, zoneID, "virtualNetworkLinks")
		if err != nil {
			return err
		}
		if len(links) >= maxLinks {
			return arm.Conflict("Conflict",
				"The maximum number of virtual network links (%d) for the private DNS zone '%s' has been reached.",
				maxLinks, strings.ToLower(zoneID.Name()))
		}
	}
	vnetID := b.VirtualNetwork.ID
	if err := checkLinkRules(ctx, op.Tx, op.ID, vnetID, *b.RegistrationEnabled); err != nil {
		return err
	}
	if prev.RegistrationEnabled != nil && *prev.RegistrationEnabled && !*b.RegistrationEnabled {
		if err := removeAutoRecordsOf(ctx, op.Tx, zoneID, vnetID); err != nil {
			return err
		}
	}
	op.AddRef(vnetID, LinkRefKind, "", false)
	props := storedLinkProps{VirtualNetwork: &SubResource{ID: vnetID}, RegistrationEnabled: b.RegistrationEnabled}
	if b.ResolutionPolicy != nil {
		props.ResolutionPolicy = *b.ResolutionPolicy
	}
	return op.Body.SetProperties(props)
}

// patchLink updates a link's tags, registration and resolution policy.
func patchLink(ctx context.Context, op *arm.PatchOp) error {
	var body struct {
		Tags       *map[string]string `json:"tags"`
		Properties *linkBody          `json:"properties"`
	}
	if err := op.Req.DecodeBody(&body); err != nil {
		return err
	}
	if body.Tags != nil {
		op.Resource.Tags = *body.Tags
	}
	if body.Properties == nil {
		return nil
	}
	b := body.Properties
	p, err := storedLink(op.Resource)
	if err != nil {
		return err
	}
	if b.VirtualNetwork != nil && (p.VirtualNetwork == nil || !arm.SameID(p.VirtualNetwork.ID, b.VirtualNetwork.ID)) {
		return arm.BadRequest("BadRequest", "The virtual network of an existing virtual network link cannot be changed.")
	}
	if err := checkResolutionPolicy(b.ResolutionPolicy); err != nil {
		return err
	}
	if b.ResolutionPolicy != nil {
		p.ResolutionPolicy = *b.ResolutionPolicy
	}
	if b.RegistrationEnabled != nil && p.VirtualNetwork != nil {
		was := p.RegistrationEnabled != nil && *p.RegistrationEnabled
		zoneID, _ := op.ID.Parent()
		if *b.RegistrationEnabled && !was {
			if err := checkLinkRules(ctx, op.Tx, op.ID, p.VirtualNetwork.ID, true); err != nil {
				return err
			}
		}
		if was && !*b.RegistrationEnabled {
			if err := removeAutoRecordsOf(ctx, op.Tx, zoneID, p.VirtualNetwork.ID); err != nil {
				return err
			}
		}
		v := *b.RegistrationEnabled
		p.RegistrationEnabled = &v
	}
	return op.Resource.SetProperties(p)
}

// deleteLink removes the records the link's network auto-registered.
func deleteLink(ctx context.Context, op *arm.DeleteOp) error {
	if op.WithParent {
		return nil
	}
	p, err := storedLink(&op.Record.Resource)
	if err != nil || p.VirtualNetwork == nil || p.RegistrationEnabled == nil || !*p.RegistrationEnabled {
		return err
	}
	zoneID, _ := op.ID.Parent()
	return removeAutoRecordsOf(ctx, op.Tx, zoneID, p.VirtualNetwork.ID)
}

// linkNetworkDeleted deletes a link whose virtual network is deleted, as
// Azure does.
func linkNetworkDeleted(ctx context.Context, op *arm.TargetDeletedOp) error {
	if op.Ref.Kind != LinkRefKind {
		return nil
	}
	return op.Engine.DeleteTree(internalCtx(ctx), op.Tx, op.SourceID, op.Source)
}

func linkProperties(rec *arm.Record) (LinkProperties, error) {
	p, err := storedLink(&rec.Resource)
	if err != nil {
		return LinkProperties{}, err
	}
	state := rec.State
	if state == "" {
		state = arm.StateSucceeded
	}
	out := LinkProperties{
		VirtualNetwork:          p.VirtualNetwork,
		RegistrationEnabled:     p.RegistrationEnabled != nil && *p.RegistrationEnabled,
		ResolutionPolicy:        p.ResolutionPolicy,
		VirtualNetworkLinkState: LinkStateInProgress,
		ProvisioningState:       state,
	}
	if state == arm.StateSucceeded {
		out.VirtualNetworkLinkState = LinkStateCompleted
	}
	return out, nil
}

func renderLink(_ context.Context, op *arm.RenderOp) error {
	lowerNames(op.Resource, op.ID)
	p, err := linkProperties(op.Record)
	if err != nil {
		return err
	}
	return op.Resource.SetProperties(p)
}
