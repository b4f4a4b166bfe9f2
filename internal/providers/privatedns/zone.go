package privatedns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

// zoneInternal is a zone's provider-private state.
type zoneInternal struct {
	InternalID string `json:"internalId"`
}

func zoneSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              ZoneType,
		APIVersions:       versions(),
		Location:          arm.LocationGlobal,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		NoSystemData:      true,
		ValidateName:      validateZoneName,
		Put:               putZone,
		Delete:            deleteZone,
		Render:            renderZone,
	}
}

// putZone creates or replaces a zone; every property is read-only. A new
// zone gets its SOA record set "@" with Azure's defaults.
func putZone(ctx context.Context, op *arm.PutOp) error {
	op.Body.Properties = nil
	op.Body.SetPropertiesMap(map[string]any{})
	if op.Existing != nil {
		return nil
	}
	in, err := json.Marshal(zoneInternal{InternalID: uuid.NewString()})
	if err != nil {
		return fmt.Errorf("encode zone state: %w", err)
	}
	op.Internal = in
	soaID := op.ID.Child("SOA", "@")
	cur, err := op.Tx.Get(ctx, soaID.String())
	if err != nil || cur != nil {
		return err
	}
	soa := defaultSOA
	rec := &arm.Record{
		Resource: arm.Resource{
			ID:   soaID.String(),
			Name: "@",
			Type: ZoneType + "/SOA",
			Etag: uuid.NewString(),
		},
		Generation: 1,
		State:      arm.StateSucceeded,
		Created:    op.Tx.Engine().Now().UTC(),
	}
	if err := rec.Resource.SetProperties(RecordSetProperties{TTL: defaultSOATTL, SOARecord: &soa}); err != nil {
		return err
	}
	return op.Tx.Write(ctx, rec)
}

// deleteZone refuses to delete a zone that still has virtual network
// links (unless its resource group is going); record sets go with it.
func deleteZone(ctx context.Context, op *arm.DeleteOp) error {
	links, err := op.Tx.Children(ctx, op.ID, "virtualNetworkLinks")
	if err != nil || len(links) == 0 {
		return err
	}
	rg, err := op.Tx.Get(ctx, op.ID.ResourceGroupID())
	if err != nil {
		return err
	}
	if rg != nil && rg.State == arm.StateDeleting {
		return nil
	}
	names := make([]string, 0, len(links))
	for i, l := range links {
		if i == 5 {
			break
		}
		names = append(names, fmt.Sprintf("'Microsoft.Network/privateDnsZones/%s/virtualNetworkLinks/%s'",
			strings.ToLower(op.ID.Name()), l.Resource.Name))
	}
	return arm.Conflict("CannotDeleteResource",
		"Cannot delete resource while nested resources exist. Some existing nested resource IDs include: %s. Please delete all nested resources before deleting this resource.",
		strings.Join(names, ", "))
}

type zoneCounts struct {
	recordSets, links, registrationLinks int64
}

// countZone counts a zone's record sets and virtual network links (and,
// when asked, its registration-enabled links).
func countZone(ctx context.Context, e *arm.Engine, zoneID arm.ID, registration bool) (zoneCounts, error) {
	var c zoneCounts
	prefix := zoneID.Key() + "/"
	res, err := e.Store.List(ctx, prefix, store.ListOptions{KeysOnly: true})
	if err != nil {
		return c, fmt.Errorf("count zone %s: %w", zoneID, err)
	}
	for _, kv := range res.KVs {
		seg, rest, ok := strings.Cut(kv.Key[len(prefix):], "/")
		if !ok || rest == "" || strings.Contains(rest, "/") {
			continue
		}
		if seg == "virtualnetworklinks" {
			c.links++
		} else if _, ok := recordTypeOf(seg); ok {
			c.recordSets++
		}
	}
	if !registration || c.links == 0 {
		return c, nil
	}
	res, err = e.Store.List(ctx, prefix+"virtualnetworklinks/", store.ListOptions{})
	if err != nil {
		return c, fmt.Errorf("list links of %s: %w", zoneID, err)
	}
	for _, kv := range res.KVs {
		var rec arm.Record
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return c, fmt.Errorf("decode link %s: %w", kv.Key, err)
		}
		lp, err := storedLink(&rec.Resource)
		if err != nil {
			return c, err
		}
		if lp.RegistrationEnabled != nil && *lp.RegistrationEnabled {
			c.registrationLinks++
		}
	}
	return c, nil
}

// internalID renders a zone's opaque internal ID.
func internalID(raw json.RawMessage) string {
	var in zoneInternal
	if len(raw) == 0 || json.Unmarshal(raw, &in) != nil || in.InternalID == "" {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte("ImmutableZone1;" + in.InternalID))
}

func zoneProperties(ctx context.Context, e *arm.Engine, id arm.ID, rec *arm.Record) (ZoneProperties, error) {
	c, err := countZone(ctx, e, id, true)
	if err != nil {
		return ZoneProperties{}, err
	}
	state := rec.State
	if state == "" {
		state = arm.StateSucceeded
	}
	return ZoneProperties{
		MaxNumberOfRecordSets:                          MaxRecordSetsPerZone,
		NumberOfRecordSets:                             c.recordSets,
		MaxNumberOfVirtualNetworkLinks:                 MaxLinksPerZone,
		NumberOfVirtualNetworkLinks:                    c.links,
		MaxNumberOfVirtualNetworkLinksWithRegistration: MaxRegistrationLinksPerZone,
		NumberOfVirtualNetworkLinksWithRegistration:    c.registrationLinks,
		InternalID:        internalID(rec.Internal),
		ProvisioningState: state,
	}, nil
}

func renderZone(ctx context.Context, op *arm.RenderOp) error {
	lowerNames(op.Resource, op.ID)
	props, err := zoneProperties(ctx, op.Engine, op.ID, op.Record)
	if err != nil {
		return err
	}
	return op.Resource.SetProperties(props)
}
