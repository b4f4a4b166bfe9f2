package privatelink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// PLSConnectionProperties are an owner-side connection's properties.
type PLSConnectionProperties struct {
	ProvisioningState                 string          `json:"provisioningState,omitempty"`
	PrivateEndpoint                   *SubResource    `json:"privateEndpoint"`
	PrivateLinkServiceConnectionState ConnectionState `json:"privateLinkServiceConnectionState"`
	// LinkIdentifier is the decimal LinkID (PROXY protocol v2 TLV 0xEE).
	LinkIdentifier          string `json:"linkIdentifier"`
	PrivateEndpointLocation string `json:"privateEndpointLocation"`
}

// DecodePLSConnection decodes an owner-side connection record.
func DecodePLSConnection(rec *arm.Record) (*PLSConnectionProperties, error) {
	var p PLSConnectionProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode private endpoint connection %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// writePLSConnection creates or updates the owner-side connection record.
func writePLSConnection(ctx context.Context, t *arm.Txn, connID, peID, peLocation string, state ConnectionState, link uint32) error {
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
		return fmt.Errorf("connection id %q: %w", connID, err)
	}
	rec.Resource = arm.Resource{ID: connID, Name: id.Name(), Type: PLSConnType, Etag: newETag()}
	if err := rec.Resource.SetProperties(PLSConnectionProperties{
		ProvisioningState: arm.StateSucceeded, PrivateEndpoint: &SubResource{ID: peID},
		PrivateLinkServiceConnectionState: state, LinkIdentifier: linkIDString(link), PrivateEndpointLocation: peLocation,
	}); err != nil {
		return err
	}
	return t.Write(ctx, rec)
}

// putPLSConnection is the owner's approval or rejection.
func putPLSConnection(ctx context.Context, op *arm.PutOp) error {
	if op.Existing == nil {
		return childNotFound(op.ID)
	}
	old, err := DecodePLSConnection(op.Existing)
	if err != nil {
		return err
	}
	var in struct {
		PrivateLinkServiceConnectionState *ConnectionState `json:"privateLinkServiceConnectionState"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	state := old.PrivateLinkServiceConnectionState
	if s := in.PrivateLinkServiceConnectionState; s != nil {
		status, ok := enumOf(s.Status, StatusApproved, StatusRejected, StatusPending)
		if !ok {
			return arm.BadRequest("InvalidPrivateEndpointConnectionStatus",
				"Private endpoint connection status '%s' is invalid. Allowed values are Approved, Rejected.", s.Status)
		}
		cur := old.PrivateLinkServiceConnectionState.Status
		switch {
		case status == cur:
		case cur == StatusRejected:
			return arm.BadRequest("CannotChangeRejectedPrivateEndpointConnection",
				"Private endpoint connection %s is Rejected and cannot be set to %s. The private endpoint must be deleted and re-created.", op.ID.String(), status)
		case status == StatusPending:
			return arm.BadRequest("CannotChangePrivateEndpointConnectionStatusToPending",
				"Private endpoint connection %s is %s and cannot be set back to Pending.", op.ID.String(), cur)
		}
		state = ConnectionState{Status: status, Description: s.Description, ActionsRequired: s.ActionsRequired}
		if state.ActionsRequired == "" {
			state.ActionsRequired = "None"
		}
	}
	out := *old
	out.ProvisioningState = ""
	out.PrivateLinkServiceConnectionState = state
	if out.PrivateEndpoint != nil {
		if err := setConsumerState(ctx, op.Tx, out.PrivateEndpoint.ID, op.ID.String(), state); err != nil {
			return err
		}
	}
	return op.Body.SetProperties(out)
}

// deletePLSConnection is the owner's "Remove": the consumer's connection
// becomes Disconnected.
func deletePLSConnection(ctx context.Context, op *arm.DeleteOp) error {
	if going, _ := ctx.Value(endpointGoingKey{}).(bool); going {
		return nil
	}
	p, err := DecodePLSConnection(op.Record)
	if err != nil || p.PrivateEndpoint == nil {
		return err
	}
	st := p.PrivateLinkServiceConnectionState
	st.Status = StatusDisconnected
	return setConsumerState(ctx, op.Tx, p.PrivateEndpoint.ID, op.ID.String(), st)
}

// setConsumerState mirrors an owner-side state into the endpoint's
// connection (if the endpoint still points at that connection).
func setConsumerState(ctx context.Context, t *arm.Txn, peID, connID string, state ConnectionState) error {
	rec, err := t.Get(ctx, peID)
	if err != nil || rec == nil {
		return err
	}
	p, st, err := DecodeEndpoint(rec)
	if err != nil {
		return err
	}
	if !strings.EqualFold(st.Connection, connID) {
		return nil
	}
	c, _ := p.Connection()
	if c == nil {
		return nil
	}
	m := rec.Resource.PropertiesMap()
	for _, prop := range []string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
		arr, _ := m[prop].([]any)
		for _, e := range arr {
			if em, ok := e.(map[string]any); ok {
				if pm, ok := em["properties"].(map[string]any); ok {
					pm["privateLinkServiceConnectionState"] = state
				}
			}
		}
	}
	if state.Status == StatusDisconnected {
		st.Connection = ""
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encode private endpoint state: %w", err)
		}
		rec.Internal = b
	}
	rec.Resource.SetPropertiesMap(m)
	rec.Resource.Etag = newETag()
	rec.Generation++
	return t.Write(ctx, rec)
}
