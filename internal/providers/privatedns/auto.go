package privatedns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// ErrNameInUse is returned by EnsureAutoRecord when the name is held by a
// record set a user created (an A record set, or a CNAME at that name).
var ErrNameInUse = errors.New("privatedns: name held by a record set that was not auto-registered")

// AutoOption tunes EnsureAutoRecord.
type AutoOption func(*autoOptions)

type autoOptions struct {
	vnet string
}

// WithVirtualNetwork records the virtual network the registration comes
// from, so that the record goes when that network's registration link is
// deleted or stops registering.
func WithVirtualNetwork(vnetID string) AutoOption {
	return func(o *autoOptions) { o.vnet = vnetID }
}

func zoneOf(ctx context.Context, t *arm.Txn, zoneID string) (arm.ID, error) {
	zid, err := arm.ParseID(zoneID)
	if err != nil || zid.IsCollection() || !strings.EqualFold(zid.Type(), ZoneType) {
		return arm.ID{}, fmt.Errorf("privatedns: %q is not a private DNS zone ID", zoneID)
	}
	zone, err := t.Get(ctx, zid.String())
	if err != nil {
		return arm.ID{}, fmt.Errorf("privatedns: read zone %s: %w", zoneID, err)
	}
	if zone == nil {
		return arm.ID{}, fmt.Errorf("privatedns: zone %s not found", zoneID)
	}
	return zid, nil
}

// EnsureAutoRecord registers ip under the A record set name (relative to
// the zone) on behalf of owner (e.g. a network interface's ID), as Azure's
// auto-registration does for virtual machines in a registration-enabled
// linked network. The record set is marked isAutoRegistered and users
// cannot modify or delete it; several owners may share a name. It fails
// with ErrNameInUse when a user-created record set holds the name.
func EnsureAutoRecord(ctx context.Context, t *arm.Txn, zoneID, name, ip, owner string, opts ...AutoOption) error {
	var o autoOptions
	for _, f := range opts {
		f(&o)
	}
	zid, err := zoneOf(ctx, t, zoneID)
	if err != nil {
		return err
	}
	name = strings.ToLower(name)
	if name == "@" || validateRelativeName(name, zid.Name()) != nil {
		return fmt.Errorf("privatedns: invalid record name %q", name)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() {
		return fmt.Errorf("privatedns: invalid IPv4 address %q", ip)
	}
	if owner == "" {
		return errors.New("privatedns: auto-registration needs an owner")
	}
	id := zid.Child("A", name)
	rec, err := t.Get(ctx, id.String())
	if err != nil {
		return err
	}
	var in recordInternal
	if rec != nil {
		if !isAuto(rec) {
			return ErrNameInUse
		}
		if in, err = decodeInternal(rec.Internal); err != nil {
			return err
		}
	} else {
		cname, err := t.Get(ctx, zid.Child("CNAME", name).String())
		if err != nil {
			return err
		}
		if cname != nil {
			return ErrNameInUse
		}
		if err := checkRecordSetLimit(ctx, t.Engine(), zid); err != nil {
			return fmt.Errorf("privatedns: register %s: %w", name, err)
		}
	}
	entry := autoEntry{Owner: owner, IP: addr.String(), VNet: o.vnet}
	entries := slices.Clone(in.Auto)
	i := slices.IndexFunc(entries, func(e autoEntry) bool { return e.Owner == owner })
	if i >= 0 {
		if entries[i] == entry {
			return nil
		}
		entries[i] = entry
	} else {
		entries = append(entries, entry)
	}
	return writeAuto(ctx, t, id, rec, entries)
}

// RemoveAutoRecord withdraws owner's registration of name; the record set
// goes with its last registration. Names that were not auto-registered are
// left alone.
func RemoveAutoRecord(ctx context.Context, t *arm.Txn, zoneID, name, owner string) error {
	zid, err := zoneOf(ctx, t, zoneID)
	if err != nil {
		return err
	}
	id := zid.Child("A", strings.ToLower(name))
	rec, err := t.Get(ctx, id.String())
	if err != nil || rec == nil || !isAuto(rec) {
		return err
	}
	in, err := decodeInternal(rec.Internal)
	if err != nil {
		return err
	}
	entries := slices.DeleteFunc(slices.Clone(in.Auto), func(e autoEntry) bool { return e.Owner == owner })
	if len(entries) == len(in.Auto) {
		return nil
	}
	return writeAuto(ctx, t, id, rec, entries)
}

// removeAutoRecordsOf withdraws the registrations a virtual network made
// in a zone.
func removeAutoRecordsOf(ctx context.Context, t *arm.Txn, zoneID arm.ID, vnetID string) error {
	recs, err := t.Children(ctx, zoneID, "A")
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if !isAuto(rec) {
			continue
		}
		in, err := decodeInternal(rec.Internal)
		if err != nil {
			return err
		}
		entries := slices.DeleteFunc(slices.Clone(in.Auto), func(e autoEntry) bool {
			return e.VNet != "" && arm.SameID(e.VNet, vnetID)
		})
		if len(entries) == len(in.Auto) {
			continue
		}
		id, err := arm.ParseID(rec.Resource.ID)
		if err != nil {
			return err
		}
		if err := writeAuto(ctx, t, id, rec, entries); err != nil {
			return err
		}
	}
	return nil
}

// writeAuto stores an auto-registered record set with its registrations
// (deleting it when none is left).
func writeAuto(ctx context.Context, t *arm.Txn, id arm.ID, rec *arm.Record, entries []autoEntry) error {
	e := t.Engine()
	if len(entries) == 0 {
		if rec == nil {
			return nil
		}
		return e.DeleteTree(internalCtx(ctx), t, id, rec)
	}
	var records []ARecord
	for _, en := range entries {
		if !slices.Contains(records, ARecord{IPv4Address: en.IP}) {
			records = append(records, ARecord{IPv4Address: en.IP})
		}
	}
	next := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: e.Now().UTC()}
	if rec != nil {
		next.Generation = rec.Generation + 1
		next.Created = rec.Created
		next.Refs = rec.Refs
	}
	next.Resource = arm.Resource{ID: id.String(), Name: id.Name(), Type: ZoneType + "/A", Etag: uuid.NewString()}
	if err := next.Resource.SetProperties(RecordSetProperties{TTL: autoRecordTTL, ARecords: records}); err != nil {
		return err
	}
	b, err := jsonMarshal(recordInternal{Auto: entries})
	if err != nil {
		return err
	}
	next.Internal = b
	return t.Write(ctx, next)
}

// RegistrationZone returns the ID of the zone a virtual network registers
// its virtual machines in (its registration-enabled link's zone), or "".
func RegistrationZone(ctx context.Context, t *arm.Txn, vnetID string) (string, error) {
	refs, err := t.RefsTo(ctx, vnetID)
	if err != nil {
		return "", err
	}
	for _, r := range refs {
		if r.Kind != LinkRefKind {
			continue
		}
		rec, err := t.Get(ctx, r.Source)
		if err != nil {
			return "", err
		}
		if rec == nil {
			continue
		}
		p, err := storedLink(&rec.Resource)
		if err != nil {
			return "", err
		}
		if p.RegistrationEnabled != nil && *p.RegistrationEnabled {
			lid, err := arm.ParseID(rec.Resource.ID)
			if err != nil {
				return "", err
			}
			zid, _ := lid.Parent()
			return zid.String(), nil
		}
	}
	return "", nil
}
