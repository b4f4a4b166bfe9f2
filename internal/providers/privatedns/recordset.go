package privatedns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// recordType is one record set type and the property holding its records.
type recordType struct {
	Name string // type segment, e.g. "A"
	Prop string // e.g. "aRecords"
	// Single types hold one record object instead of an array.
	Single bool
}

var recordTypes = []recordType{
	{Name: "A", Prop: "aRecords"},
	{Name: "AAAA", Prop: "aaaaRecords"},
	{Name: "CNAME", Prop: "cnameRecord", Single: true},
	{Name: "MX", Prop: "mxRecords"},
	{Name: "PTR", Prop: "ptrRecords"},
	{Name: "SOA", Prop: "soaRecord", Single: true},
	{Name: "SRV", Prop: "srvRecords"},
	{Name: "TXT", Prop: "txtRecords"},
}

// RecordTypes lists the record set types Azure Private DNS supports.
func RecordTypes() []string {
	out := make([]string, len(recordTypes))
	for i, rt := range recordTypes {
		out[i] = rt.Name
	}
	return out
}

// recordTypeOf finds a record type by its (case-insensitive) segment.
func recordTypeOf(seg string) (recordType, bool) {
	for _, rt := range recordTypes {
		if strings.EqualFold(rt.Name, seg) {
			return rt, true
		}
	}
	return recordType{}, false
}

// soaBody is a PUT/PATCH body's soaRecord (absent fields keep their value).
type soaBody struct {
	Host         *string `json:"host"`
	Email        *string `json:"email"`
	SerialNumber *int64  `json:"serialNumber"`
	RefreshTime  *int64  `json:"refreshTime"`
	RetryTime    *int64  `json:"retryTime"`
	ExpireTime   *int64  `json:"expireTime"`
	MinimumTTL   *int64  `json:"minimumTtl"`
}

// recordSetBody is a record set PUT/PATCH body's properties; nil fields
// were not given.
type recordSetBody struct {
	Metadata    *map[string]string `json:"metadata"`
	TTL         *int64             `json:"ttl"`
	ARecords    *[]ARecord         `json:"aRecords"`
	AAAARecords *[]AAAARecord      `json:"aaaaRecords"`
	CNAMERecord *CNAMERecord       `json:"cnameRecord"`
	MXRecords   *[]MXRecord        `json:"mxRecords"`
	PTRRecords  *[]PTRRecord       `json:"ptrRecords"`
	SOARecord   *soaBody           `json:"soaRecord"`
	SRVRecords  *[]SRVRecord       `json:"srvRecords"`
	TXTRecords  *[]TXTRecord       `json:"txtRecords"`
}

// given lists the record properties the body carries records in.
func (b *recordSetBody) given() []string {
	var out []string
	add := func(ok bool, prop string) {
		if ok {
			out = append(out, prop)
		}
	}
	add(b.ARecords != nil && len(*b.ARecords) > 0, "aRecords")
	add(b.AAAARecords != nil && len(*b.AAAARecords) > 0, "aaaaRecords")
	add(b.CNAMERecord != nil, "cnameRecord")
	add(b.MXRecords != nil && len(*b.MXRecords) > 0, "mxRecords")
	add(b.PTRRecords != nil && len(*b.PTRRecords) > 0, "ptrRecords")
	add(b.SOARecord != nil, "soaRecord")
	add(b.SRVRecords != nil && len(*b.SRVRecords) > 0, "srvRecords")
	add(b.TXTRecords != nil && len(*b.TXTRecords) > 0, "txtRecords")
	return out
}

// recordInternal is the provider-private state of a record set.
type recordInternal struct {
	// Auto holds the auto-registrations of an auto-registered record set.
	Auto []autoEntry `json:"auto,omitempty"`
}

type autoEntry struct {
	Owner string `json:"owner"`
	IP    string `json:"ip"`
	VNet  string `json:"vnet,omitempty"`
}

func decodeInternal(raw json.RawMessage) (recordInternal, error) {
	var in recordInternal
	if len(raw) == 0 || string(raw) == "null" {
		return in, nil
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, fmt.Errorf("decode record set state: %w", err)
	}
	return in, nil
}

// isAuto reports whether a record set was auto-registered.
func isAuto(rec *arm.Record) bool {
	in, err := decodeInternal(rec.Internal)
	return err == nil && len(in.Auto) > 0
}

func autoRegisteredError(typ, name string) *arm.Error {
	return arm.BadRequest("BadRequest",
		"The record set '%s' of type '%s' was registered automatically by a virtual network link and cannot be modified or deleted.", name, typ)
}

func outOfRange(prop string, v int64, lo, hi int64) *arm.Error {
	return arm.BadRequest("BadRequest", "The value '%d' of property '%s' is invalid. It must be between %d and %d.", v, prop, lo, hi)
}

func checkUint16(prop string, v int64) error {
	if v < 0 || v > math.MaxUint16 {
		return outOfRange(prop, v, 0, math.MaxUint16)
	}
	return nil
}

func checkDomain(s string) error {
	if !validDomainName(s) {
		return invalidDomainName(s)
	}
	return nil
}

// applyRecordSet validates a body and applies it to props: a PUT
// (replace) clears what the body leaves out, a PATCH keeps it.
func applyRecordSet(b *recordSetBody, props *RecordSetProperties, rt recordType, replace bool) error {
	for _, p := range b.given() {
		if p != rt.Prop {
			return arm.BadRequest("BadRequest", "A record set of type '%s' cannot contain '%s'.", rt.Name, p)
		}
	}
	if b.TTL != nil {
		if *b.TTL < 0 || *b.TTL > math.MaxInt32 {
			return outOfRange("ttl", *b.TTL, 0, math.MaxInt32)
		}
		props.TTL = *b.TTL
	}
	if b.Metadata != nil {
		props.Metadata = *b.Metadata
	} else if replace {
		props.Metadata = nil
	}
	n := 0
	switch rt.Name {
	case "A":
		if b.ARecords != nil || replace {
			props.ARecords = nil
			if b.ARecords != nil {
				for _, r := range *b.ARecords {
					a, err := netip.ParseAddr(r.IPv4Address)
					if err != nil || !a.Is4() {
						return arm.BadRequest("BadRequest", "The IPv4 address '%s' is invalid.", r.IPv4Address)
					}
				}
				props.ARecords = *b.ARecords
			}
		}
		n = len(props.ARecords)
	case "AAAA":
		if b.AAAARecords != nil || replace {
			props.AAAARecords = nil
			if b.AAAARecords != nil {
				for _, r := range *b.AAAARecords {
					a, err := netip.ParseAddr(r.IPv6Address)
					if err != nil || !a.Is6() || a.Zone() != "" {
						return arm.BadRequest("BadRequest", "The IPv6 address '%s' is invalid.", r.IPv6Address)
					}
				}
				props.AAAARecords = *b.AAAARecords
			}
		}
		n = len(props.AAAARecords)
	case "CNAME":
		if b.CNAMERecord != nil || replace {
			props.CNAMERecord = nil
			if b.CNAMERecord != nil {
				if err := checkDomain(b.CNAMERecord.CNAME); err != nil {
					return err
				}
				c := *b.CNAMERecord
				props.CNAMERecord = &c
			}
		}
	case "MX":
		if b.MXRecords != nil || replace {
			props.MXRecords = nil
			if b.MXRecords != nil {
				for _, r := range *b.MXRecords {
					if err := checkUint16("preference", r.Preference); err != nil {
						return err
					}
					if err := checkDomain(r.Exchange); err != nil {
						return err
					}
				}
				props.MXRecords = *b.MXRecords
			}
		}
		n = len(props.MXRecords)
	case "PTR":
		if b.PTRRecords != nil || replace {
			props.PTRRecords = nil
			if b.PTRRecords != nil {
				for _, r := range *b.PTRRecords {
					if err := checkDomain(r.PTRDName); err != nil {
						return err
					}
				}
				props.PTRRecords = *b.PTRRecords
			}
		}
		n = len(props.PTRRecords)
	case "SRV":
		if b.SRVRecords != nil || replace {
			props.SRVRecords = nil
			if b.SRVRecords != nil {
				for _, r := range *b.SRVRecords {
					for _, f := range []struct {
						name string
						v    int64
					}{{"priority", r.Priority}, {"weight", r.Weight}, {"port", r.Port}} {
						if err := checkUint16(f.name, f.v); err != nil {
							return err
						}
					}
					if err := checkDomain(r.Target); err != nil {
						return err
					}
				}
				props.SRVRecords = *b.SRVRecords
			}
		}
		n = len(props.SRVRecords)
	case "TXT":
		if b.TXTRecords != nil || replace {
			props.TXTRecords = nil
			if b.TXTRecords != nil {
				for _, r := range *b.TXTRecords {
					if len(r.Value) == 0 {
						return arm.BadRequest("BadRequest", "A TXT record must contain at least one string.")
					}
				}
				props.TXTRecords = *b.TXTRecords
			}
		}
		n = len(props.TXTRecords)
	case "SOA":
		if err := applySOA(b.SOARecord, props); err != nil {
			return err
		}
	}
	if n > MaxRecordsPerRecordSet {
		return arm.BadRequest("BadRequest",
			"The number of records (%d) in the record set exceeds the maximum of %d records per record set.", n, MaxRecordsPerRecordSet)
	}
	return nil
}

// applySOA updates the SOA record: the host and the serial number are the
// service's and are kept whatever the body says.
func applySOA(b *soaBody, props *RecordSetProperties) error {
	soa := defaultSOA
	if props.SOARecord != nil {
		soa = *props.SOARecord
	}
	if b != nil {
		if b.Email != nil {
			if err := checkDomain(*b.Email); err != nil {
				return err
			}
			soa.Email = *b.Email
		}
		for _, f := range []struct {
			name string
			v    *int64
			dst  *int64
		}{
			{"refreshTime", b.RefreshTime, &soa.RefreshTime},
			{"retryTime", b.RetryTime, &soa.RetryTime},
			{"expireTime", b.ExpireTime, &soa.ExpireTime},
			{"minimumTtl", b.MinimumTTL, &soa.MinimumTTL},
		} {
			if f.v == nil {
				continue
			}
			if *f.v < 0 || *f.v > math.MaxUint32 {
				return outOfRange(f.name, *f.v, 0, math.MaxUint32)
			}
			*f.dst = *f.v
		}
	}
	props.SOARecord = &soa
	return nil
}

func storedRecordSet(res *arm.Resource) (RecordSetProperties, error) {
	var props RecordSetProperties
	err := res.DecodeProperties(&props)
	return props, err
}

// recordSetSpec is the TypeSpec of one record set type.
func recordSetSpec(rt recordType) *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:         ZoneType + "/" + rt.Name,
		APIVersions:  versions(),
		Location:     arm.LocationNone,
		ETag:         true,
		NoSystemData: true,
		DeleteStatus: http.StatusOK,
		Put:          func(ctx context.Context, op *arm.PutOp) error { return putRecordSet(ctx, rt, op) },
		Patch:        func(ctx context.Context, op *arm.PatchOp) error { return patchRecordSet(rt, op) },
		Delete:       func(ctx context.Context, op *arm.DeleteOp) error { return deleteRecordSet(ctx, rt, op) },
		Render:       func(ctx context.Context, op *arm.RenderOp) error { return renderRecordSet(rt, op) },
	}
}

func putRecordSet(ctx context.Context, rt recordType, op *arm.PutOp) error {
	zoneID, _ := op.ID.Parent()
	name := strings.ToLower(op.ID.Name())
	if op.Existing == nil {
		if err := validateRelativeName(op.ID.Name(), zoneID.Name()); err != nil {
			return err
		}
	} else if isAuto(op.Existing) && !isInternal(ctx) {
		return autoRegisteredError(rt.Name, name)
	}
	if rt.Name == "SOA" {
		if name != "@" {
			return arm.BadRequest("BadRequest", "The SOA record set can only exist at the zone apex ('@').")
		}
		if op.Existing == nil {
			return arm.BadRequest("BadRequest", "The SOA record set is created and deleted with its zone and cannot be created.")
		}
	}
	var b recordSetBody
	if err := op.Body.DecodeProperties(&b); err != nil {
		return err
	}
	props := RecordSetProperties{TTL: defaultTTL}
	if op.Existing != nil {
		prev, err := storedRecordSet(&op.Existing.Resource)
		if err != nil {
			return err
		}
		props.TTL = prev.TTL
		props.SOARecord = prev.SOARecord
	}
	if err := applyRecordSet(&b, &props, rt, true); err != nil {
		return err
	}
	if op.Existing == nil {
		if err := checkCNAMEConflict(ctx, op.Tx, zoneID, name, rt); err != nil {
			return err
		}
		if err := checkRecordSetLimit(ctx, op.Tx.Engine(), zoneID); err != nil {
			return err
		}
	}
	*op.Body = arm.Resource{}
	return op.Body.SetProperties(props)
}

// checkCNAMEConflict enforces that a CNAME record set is alone at its name
// (the apex always holds the SOA, so no CNAME there).
func checkCNAMEConflict(ctx context.Context, t *arm.Txn, zoneID arm.ID, name string, rt recordType) error {
	if rt.Name == "CNAME" {
		for _, other := range recordTypes {
			if other.Name == "CNAME" {
				continue
			}
			rec, err := t.Get(ctx, zoneID.Child(other.Name, name).String())
			if err != nil {
				return err
			}
			if rec != nil {
				return arm.Conflict("Conflict",
					"The CNAME record could not be created because another record with the same name already exists in this zone.")
			}
		}
		return nil
	}
	rec, err := t.Get(ctx, zoneID.Child("CNAME", name).String())
	if err != nil {
		return err
	}
	if rec != nil {
		return arm.Conflict("Conflict",
			"The record could not be created because a CNAME record with the same name already exists in this zone.")
	}
	return nil
}

// maxRecordSets is MaxRecordSetsPerZone (a variable for tests).
var maxRecordSets int64 = MaxRecordSetsPerZone

func checkRecordSetLimit(ctx context.Context, e *arm.Engine, zoneID arm.ID) error {
	c, err := countZone(ctx, e, zoneID, false)
	if err != nil {
		return err
	}
	if c.recordSets >= maxRecordSets {
		return arm.Conflict("Conflict",
			"The maximum number of record sets (%d) for the private DNS zone '%s' has been reached.", maxRecordSets, zoneID.Name())
	}
	return nil
}

func patchRecordSet(rt recordType, op *arm.PatchOp) error {
	if isAuto(op.Record) {
		return autoRegisteredError(rt.Name, strings.ToLower(op.ID.Name()))
	}
	var body arm.Resource
	if err := op.Req.DecodeBody(&body); err != nil {
		return err
	}
	var b recordSetBody
	if err := body.DecodeProperties(&b); err != nil {
		return err
	}
	props, err := storedRecordSet(op.Resource)
	if err != nil {
		return err
	}
	if err := applyRecordSet(&b, &props, rt, false); err != nil {
		return err
	}
	return op.Resource.SetProperties(props)
}

func deleteRecordSet(ctx context.Context, rt recordType, op *arm.DeleteOp) error {
	if op.WithParent || isInternal(ctx) {
		return nil
	}
	if rt.Name == "SOA" {
		return arm.BadRequest("BadRequest", "The SOA record set at the zone apex cannot be deleted.")
	}
	if isAuto(op.Record) {
		return autoRegisteredError(rt.Name, strings.ToLower(op.ID.Name()))
	}
	return nil
}

func renderRecordSet(rt recordType, op *arm.RenderOp) error {
	zoneID, _ := op.ID.Parent()
	lowerNames(op.Resource, op.ID)
	props, err := storedRecordSet(op.Resource)
	if err != nil {
		return err
	}
	props.FQDN = fqdnOf(op.ID.Name(), zoneID.Name())
	props.IsAutoRegistered = isAuto(op.Record)
	b, err := json.Marshal(props)
	if err != nil {
		return fmt.Errorf("encode record set: %w", err)
	}
	if !rt.Single && !bytes.Contains(b, []byte(`"`+rt.Prop+`":`)) {
		b = append(b[:len(b)-1], []byte(`,"`+rt.Prop+`":[]}`)...)
	}
	op.Resource.Properties = b
	return nil
}

// lowerNames serves a private DNS resource with its DNS names lower-cased,
// as Azure Private DNS does: the zone's name and record set names (a
// virtual network link keeps the case of its own name).
func lowerNames(res *arm.Resource, id arm.ID) {
	id.Names = append([]string(nil), id.Names...)
	for i := range id.Names {
		if i == 1 && strings.EqualFold(id.Types[1], "virtualNetworkLinks") {
			continue
		}
		id.Names[i] = strings.ToLower(id.Names[i])
	}
	res.ID = id.String()
	res.Name = id.Name()
}

type internalKey struct{}

// internalCtx marks deletes and writes the provider does itself (auto
// registration, links going with their network), which the user-facing
// restrictions do not apply to.
func internalCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, internalKey{}, true)
}

func isInternal(ctx context.Context) bool {
	v, _ := ctx.Value(internalKey{}).(bool)
	return v
}

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}
