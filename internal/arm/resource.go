package arm

import (
	"encoding/json"
	"fmt"
	"time"
)

// Resource is the ARM JSON envelope of a resource as served. Providers put
// their typed properties in Properties (see DecodeProperties and
// SetProperties).
type Resource struct {
	ID               string            `json:"id,omitempty"`
	Name             string            `json:"name,omitempty"`
	Type             string            `json:"type,omitempty"`
	Etag             string            `json:"etag,omitempty"`
	Kind             string            `json:"kind,omitempty"`
	Location         string            `json:"location,omitempty"`
	ExtendedLocation json.RawMessage   `json:"extendedLocation,omitempty"`
	ManagedBy        string            `json:"managedBy,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	SKU              json.RawMessage   `json:"sku,omitempty"`
	Identity         json.RawMessage   `json:"identity,omitempty"`
	Zones            []string          `json:"zones,omitempty"`
	Properties       json.RawMessage   `json:"properties,omitempty"`
	SystemData       *SystemData       `json:"systemData,omitempty"`
}

// SystemData is ARM's systemData.
type SystemData struct {
	CreatedBy          string    `json:"createdBy,omitempty"`
	CreatedByType      string    `json:"createdByType,omitempty"`
	CreatedAt          time.Time `json:"createdAt,omitzero"`
	LastModifiedBy     string    `json:"lastModifiedBy,omitempty"`
	LastModifiedByType string    `json:"lastModifiedByType,omitempty"`
	LastModifiedAt     time.Time `json:"lastModifiedAt,omitzero"`
}

// Ref is a reference from a resource (or a sub-object of it, Source) to
// another resource (Target). The engine indexes refs so that targets can
// render back-references and refuse deletion while referenced.
type Ref struct {
	Target   string `json:"t"`
	Kind     string `json:"k"`
	Source   string `json:"s"`
	Blocking bool   `json:"b,omitempty"`
}

// Record is what the engine stores for one resource.
type Record struct {
	Resource Resource `json:"r"`
	// Internal is provider-private state that is never served.
	Internal json.RawMessage `json:"i,omitempty"`
	// Generation counts writes; long-running operation IDs name one.
	Generation int64 `json:"g"`
	// State is the provisioning state the engine tracks (mirrored into
	// properties.provisioningState when the type has one).
	State string `json:"st,omitempty"`
	// OpError is the error of a failed asynchronous operation.
	OpError *Error `json:"oe,omitempty"`
	Refs    []Ref  `json:"refs,omitempty"`
	// Created is when the resource was first created.
	Created time.Time `json:"c"`
}

// Provisioning states.
const (
	StateSucceeded = "Succeeded"
	StateUpdating  = "Updating"
	StateCreating  = "Creating"
	StateDeleting  = "Deleting"
	StateFailed    = "Failed"
	StateCanceled  = "Canceled"
)

// Terminal reports whether a provisioning state is final.
func Terminal(state string) bool {
	return state == StateSucceeded || state == StateFailed || state == StateCanceled || state == ""
}

func decodeRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return &r, nil
}

func encodeRecord(r *Record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b, nil
}

// DecodeProperties decodes r.Properties into v, mapping JSON errors to
// ARM's 400 for malformed content.
func (r *Resource) DecodeProperties(v any) error {
	if len(r.Properties) == 0 || string(r.Properties) == "null" {
		return nil
	}
	if err := json.Unmarshal(r.Properties, v); err != nil {
		return invalidContent(err)
	}
	return nil
}

// SetProperties encodes v into r.Properties.
func (r *Resource) SetProperties(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode properties: %w", err)
	}
	r.Properties = b
	return nil
}

// PropertiesMap returns the properties as a generic map (empty if none).
func (r *Resource) PropertiesMap() map[string]any {
	m := map[string]any{}
	if len(r.Properties) > 0 {
		_ = json.Unmarshal(r.Properties, &m)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// SetPropertiesMap stores a generic properties map.
func (r *Resource) SetPropertiesMap(m map[string]any) {
	b, _ := json.Marshal(m)
	r.Properties = b
}

func invalidContent(err error) *Error {
	var te *json.UnmarshalTypeError
	if asTypeErr(err, &te) {
		field := te.Field
		if field == "" {
			field = "(root)"
		}
		return BadRequest("InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'Error converting value of type %s to type %s. Path '%s'.'.",
			te.Value, te.Type.String(), field)
	}
	return BadRequest("InvalidRequestContent",
		"The request content was invalid and could not be deserialized: '%s'.", err.Error())
}

// MarkDeleting puts the record in the Deleting state for a delete its
// provider carries out itself: a new generation (the delete supersedes
// any operation in flight), no error, and provisioningState Deleting.
func (r *Record) MarkDeleting() {
	r.Generation++
	r.State = StateDeleting
	r.OpError = nil
	props := r.Resource.PropertiesMap()
	props["provisioningState"] = StateDeleting
	r.Resource.SetPropertiesMap(props)
}
