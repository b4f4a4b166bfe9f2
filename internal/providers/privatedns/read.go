package privatedns

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Zone is a private DNS zone as served.
type Zone struct {
	ID         string
	Name       string
	Tags       map[string]string
	Properties ZoneProperties
}

// Link is a virtual network link as served.
type Link struct {
	ID         string
	Name       string
	Properties LinkProperties
}

// LinkedZone is a zone a virtual network is linked to, with the link.
type LinkedZone struct {
	Zone Zone
	Link Link
	// ZoneRecord is the zone's stored record.
	ZoneRecord *arm.Record
}

// RecordSet is a record set as served.
type RecordSet struct {
	ID   string
	Name string // relative name, "@" for the apex
	// Type is the record type ("A", "CNAME", ...).
	Type       string
	Etag       string
	Properties RecordSetProperties
}

// GetZone returns a zone by ID (nil if it does not exist).
func GetZone(ctx context.Context, e *arm.Engine, zoneID string) (*Zone, error) {
	rec, err := e.GetRecord(ctx, zoneID)
	if err != nil || rec == nil {
		return nil, err
	}
	return zoneFrom(ctx, e, rec)
}

func zoneFrom(ctx context.Context, e *arm.Engine, rec *arm.Record) (*Zone, error) {
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	z := &Zone{ID: res.ID, Name: res.Name, Tags: res.Tags}
	if err := res.DecodeProperties(&z.Properties); err != nil {
		return nil, fmt.Errorf("decode zone %s: %w", res.ID, err)
	}
	return z, nil
}

// ZonesLinkedTo returns the zones a virtual network is linked to (links
// whose provisioning completed), sorted by zone name: the zones its
// Azure-provided DNS answers from.
func ZonesLinkedTo(ctx context.Context, e *arm.Engine, vnetID string) ([]LinkedZone, error) {
	refs, err := e.RefsTo(ctx, vnetID, LinkRefKind)
	if err != nil {
		return nil, err
	}
	var out []LinkedZone
	for _, r := range refs {
		lrec, err := e.GetRecord(ctx, r.Source)
		if err != nil {
			return nil, err
		}
		if lrec == nil {
			continue
		}
		lp, err := linkProperties(lrec)
		if err != nil {
			return nil, err
		}
		if lp.VirtualNetworkLinkState != LinkStateCompleted {
			continue
		}
		lid, err := arm.ParseID(lrec.Resource.ID)
		if err != nil {
			return nil, err
		}
		zid, _ := lid.Parent()
		zrec, err := e.GetRecord(ctx, zid.String())
		if err != nil {
			return nil, err
		}
		if zrec == nil {
			continue
		}
		z, err := zoneFrom(ctx, e, zrec)
		if err != nil {
			return nil, err
		}
		var link arm.Resource
		lowerNames(&link, lid)
		out = append(out, LinkedZone{Zone: *z, Link: Link{ID: link.ID, Name: link.Name, Properties: lp}, ZoneRecord: zrec})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone.Name < out[j].Zone.Name })
	return out, nil
}

func recordSetFrom(ctx context.Context, e *arm.Engine, rec *arm.Record) (*RecordSet, error) {
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	id, err := arm.ParseID(res.ID)
	if err != nil {
		return nil, err
	}
	rs := &RecordSet{ID: res.ID, Name: res.Name, Type: id.Types[len(id.Types)-1], Etag: res.Etag}
	if err := res.DecodeProperties(&rs.Properties); err != nil {
		return nil, fmt.Errorf("decode record set %s: %w", res.ID, err)
	}
	return rs, nil
}

// RecordSets returns every record set of a zone (SOA included).
func RecordSets(ctx context.Context, e *arm.Engine, zoneID string) ([]RecordSet, error) {
	zid, err := arm.ParseID(zoneID)
	if err != nil {
		return nil, fmt.Errorf("privatedns: %q: %w", zoneID, err)
	}
	var out []RecordSet
	for _, rt := range recordTypes {
		recs, err := e.ListScopeRecords(ctx, zid.String()+"/"+rt.Name)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			rs, err := recordSetFrom(ctx, e, rec)
			if err != nil {
				return nil, err
			}
			out = append(out, *rs)
		}
	}
	return out, nil
}

// RelativeName returns fqdn's name relative to zone ("@" for the apex);
// false when fqdn is not in the zone. Both may end with a dot.
func RelativeName(zone, fqdn string) (string, bool) {
	zone = strings.ToLower(strings.TrimSuffix(zone, "."))
	fqdn = strings.ToLower(strings.TrimSuffix(fqdn, "."))
	if fqdn == zone {
		return "@", true
	}
	if rel, ok := strings.CutSuffix(fqdn, "."+zone); ok && rel != "" {
		return rel, true
	}
	return "", false
}

// LookupFQDN returns the record sets (of every type) named fqdn in a
// zone; wildcard matching is the caller's (look up "*.<parent>").
func LookupFQDN(ctx context.Context, e *arm.Engine, zoneID, fqdn string) ([]RecordSet, error) {
	zid, err := arm.ParseID(zoneID)
	if err != nil {
		return nil, fmt.Errorf("privatedns: %q: %w", zoneID, err)
	}
	name, ok := RelativeName(zid.Name(), fqdn)
	if !ok {
		return nil, nil
	}
	var out []RecordSet
	for _, rt := range recordTypes {
		rec, err := e.GetRecord(ctx, zid.Child(rt.Name, name).String())
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		rs, err := recordSetFrom(ctx, e, rec)
		if err != nil {
			return nil, err
		}
		out = append(out, *rs)
	}
	return out, nil
}
