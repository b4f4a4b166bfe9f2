package privatelink

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/privatedns"
)

// zoneRecordTTL is the TTL of the A records a zone group writes.
const zoneRecordTTL = 10

// ZoneRecordSet is one entry of a zone config's read-only recordSets.
type ZoneRecordSet struct {
	RecordType        string   `json:"recordType"`
	RecordSetName     string   `json:"recordSetName"`
	Fqdn              string   `json:"fqdn"`
	ProvisioningState string   `json:"provisioningState,omitempty"`
	TTL               int      `json:"ttl"`
	IPAddresses       []string `json:"ipAddresses"`
}

// ZoneConfig is one entry of privateDnsZoneConfigs.
type ZoneConfig struct {
	Name       string `json:"name,omitempty"`
	Properties struct {
		PrivateDNSZoneID string          `json:"privateDnsZoneId"`
		RecordSets       []ZoneRecordSet `json:"recordSets"`
	} `json:"properties"`
}

// ZoneGroupProperties are a private DNS zone group's properties.
type ZoneGroupProperties struct {
	ProvisioningState     string       `json:"provisioningState,omitempty"`
	PrivateDNSZoneConfigs []ZoneConfig `json:"privateDnsZoneConfigs"`
}

// zoneRecord is one address a zone group wrote.
type zoneRecord struct {
	Zone string `json:"z"`
	Name string `json:"n"`
	IP   string `json:"ip"`
}

type zoneGroupInternal struct {
	Records []zoneRecord `json:"records"`
}

func putZoneGroup(ctx context.Context, op *arm.PutOp) error {
	var in ZoneGroupProperties
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	peRID, _ := op.ID.Parent()
	peRec, err := t.Get(ctx, peRID.String())
	if err != nil {
		return err
	}
	if peRec == nil {
		return arm.ParentResourceNotFound(peRID)
	}
	pe, st, err := DecodeEndpoint(peRec)
	if err != nil {
		return err
	}
	if len(in.PrivateDNSZoneConfigs) > maxZoneConfigs {
		return arm.BadRequest("PrivateDnsZoneGroupHasTooManyPrivateDnsZoneConfigs",
			"Private DNS zone group %s has %d private DNS zone configs. The maximum is %d.", op.ID.String(), len(in.PrivateDNSZoneConfigs), maxZoneConfigs)
	}
	ip := primaryIP(ctx, t, st.NIC)
	var want []zoneRecord
	out := ZoneGroupProperties{PrivateDNSZoneConfigs: []ZoneConfig{}}
	seen := map[string]bool{}
	for i, zc := range in.PrivateDNSZoneConfigs {
		path := fmt.Sprintf("properties.privateDnsZoneConfigs[%d].properties.privateDnsZoneId", i)
		zid, err := parseTyped(zc.Properties.PrivateDNSZoneID, zoneType, path)
		if err != nil {
			return err
		}
		zrec, err := t.Get(ctx, zid.String())
		if err != nil {
			return err
		}
		if zrec == nil {
			return invalidReference(zc.Properties.PrivateDNSZoneID, op.ID.String())
		}
		if seen[strings.ToLower(zrec.Resource.ID)] {
			return arm.BadRequest("DuplicatePrivateDnsZoneIds",
				"Private DNS zone %s is referenced more than once in private DNS zone group %s.", zrec.Resource.ID, op.ID.String())
		}
		seen[strings.ToLower(zrec.Resource.ID)] = true
		zoneName := strings.ToLower(zrec.Resource.Name)
		cfg := ZoneConfig{Name: zc.Name}
		if cfg.Name == "" {
			cfg.Name = strings.ReplaceAll(zoneName, ".", "-")
		}
		cfg.Properties.PrivateDNSZoneID = zrec.Resource.ID
		cfg.Properties.RecordSets = []ZoneRecordSet{}
		for _, r := range recordsFor(pe, peRID.Name(), zoneName, ip) {
			want = append(want, zoneRecord{Zone: zrec.Resource.ID, Name: r.name, IP: r.ip})
			cfg.Properties.RecordSets = append(cfg.Properties.RecordSets, ZoneRecordSet{
				RecordType: "A", RecordSetName: r.name, Fqdn: recordFQDN(r.name, zoneName), ProvisioningState: arm.StateSucceeded,
				TTL: zoneRecordTTL, IPAddresses: []string{r.ip},
			})
		}
		out.PrivateDNSZoneConfigs = append(out.PrivateDNSZoneConfigs, cfg)
	}
	creator := fmt.Sprintf("created by private endpoint %s with resource guid %s", peRID.Name(), st.ResourceGUID)
	var old zoneGroupInternal
	if op.Existing != nil && len(op.Existing.Internal) > 0 {
		if err := json.Unmarshal(op.Existing.Internal, &old); err != nil {
			return fmt.Errorf("decode zone group state: %w", err)
		}
	}
	for _, r := range old.Records {
		if !slices.ContainsFunc(want, func(w zoneRecord) bool { return sameRecord(w, r) }) {
			if err := removeARecord(ctx, t, r, creator); err != nil {
				return err
			}
		}
	}
	for _, r := range want {
		if r.IP == "" {
			continue
		}
		if err := ensureARecord(ctx, t, r, creator); err != nil {
			return err
		}
	}
	b, err := json.Marshal(zoneGroupInternal{Records: want})
	if err != nil {
		return fmt.Errorf("encode zone group state: %w", err)
	}
	op.Internal = b
	return op.Body.SetProperties(out)
}

func sameRecord(a, b zoneRecord) bool {
	return arm.SameID(a.Zone, b.Zone) && strings.EqualFold(a.Name, b.Name) && a.IP == b.IP
}

func deleteZoneGroup(ctx context.Context, op *arm.DeleteOp) error {
	var st zoneGroupInternal
	if len(op.Record.Internal) > 0 {
		if err := json.Unmarshal(op.Record.Internal, &st); err != nil {
			return fmt.Errorf("decode zone group state: %w", err)
		}
	}
	for _, r := range st.Records {
		if err := removeARecord(ctx, op.Tx, r, ""); err != nil {
			return err
		}
	}
	return nil
}

type relRecord struct{ name, ip string }

// recordsFor returns the A records an endpoint gets in a zone: the name of
// every customDnsConfigs FQDN inside the zone (relative to it), or, when
// none is (a custom private link service without FQDNs in that zone), the
// endpoint's name.
func recordsFor(pe *EndpointProperties, peName, zone, ip string) []relRecord {
	var out []relRecord
	for _, c := range pe.CustomDNSConfigs {
		f := strings.TrimSuffix(strings.ToLower(c.Fqdn), ".")
		name, ok := zoneRelative(f, zone) // target.go
		if !ok {
			continue
		}
		addr := ip
		if len(c.IPAddresses) > 0 {
			addr = c.IPAddresses[0]
		}
		out = append(out, relRecord{name: name, ip: addr})
	}
	if len(out) == 0 {
		out = append(out, relRecord{name: strings.ToLower(peName), ip: ip})
	}
	return out
}

// primaryIP returns the primary private address of a network interface.
func primaryIP(ctx context.Context, t *arm.Txn, nicID string) string {
	rec, err := t.Get(ctx, nicID)
	if err != nil || rec == nil {
		return ""
	}
	var p struct {
		IPConfigurations []struct {
			Properties struct {
				PrivateIPAddress string `json:"privateIPAddress"`
				Primary          bool   `json:"primary"`
			} `json:"properties"`
		} `json:"ipConfigurations"`
	}
	_ = json.Unmarshal(rec.Resource.Properties, &p)
	for _, c := range p.IPConfigurations {
		if c.Properties.Primary {
			return c.Properties.PrivateIPAddress
		}
	}
	if len(p.IPConfigurations) > 0 {
		return p.IPConfigurations[0].Properties.PrivateIPAddress
	}
	return ""
}

func recordID(r zoneRecord) (arm.ID, error) {
	zid, err := arm.ParseID(r.Zone)
	if err != nil {
		return arm.ID{}, fmt.Errorf("zone id %q: %w", r.Zone, err)
	}
	return zid.Child("A", strings.ToLower(r.Name)), nil
}

// ensureARecord adds r.IP to the A record set r.Name of r.Zone (creating
// it, marked with creator, when missing).
func ensureARecord(ctx context.Context, t *arm.Txn, r zoneRecord, creator string) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if zone, err := t.Get(ctx, r.Zone); err != nil || zone == nil {
		return err
	}
	rec, err := t.Get(ctx, id.String())
	if err != nil {
		return err
	}
	zid, _ := id.Parent()
	p := privatedns.RecordSetProperties{TTL: zoneRecordTTL, Metadata: map[string]string{"creator": creator},
		FQDN: recordFQDN(r.Name, zid.Name()) + "."}
	next := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: t.Engine().Now().UTC()}
	if rec != nil {
		if err := rec.Resource.DecodeProperties(&p); err != nil {
			return err
		}
		if slices.Contains(p.ARecords, privatedns.ARecord{IPv4Address: r.IP}) {
			return nil
		}
		next.Generation, next.Created, next.Refs, next.Internal = rec.Generation+1, rec.Created, rec.Refs, rec.Internal
	}
	p.ARecords = append(p.ARecords, privatedns.ARecord{IPv4Address: r.IP})
	next.Resource = arm.Resource{ID: id.String(), Name: id.Name(), Type: privatedns.ZoneType + "/A", Etag: uuid.NewString()}
	if err := next.Resource.SetProperties(p); err != nil {
		return err
	}
	return t.Write(ctx, next)
}

// removeARecord withdraws r.IP from its record set, deleting the set when
// no address is left.
func removeARecord(ctx context.Context, t *arm.Txn, r zoneRecord, _ string) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	rec, err := t.Get(ctx, id.String())
	if err != nil || rec == nil {
		return err
	}
	var p privatedns.RecordSetProperties
	if err := rec.Resource.DecodeProperties(&p); err != nil {
		return err
	}
	n := len(p.ARecords)
	p.ARecords = slices.DeleteFunc(p.ARecords, func(a privatedns.ARecord) bool { return a.IPv4Address == r.IP })
	if len(p.ARecords) == n {
		return nil
	}
	if len(p.ARecords) == 0 {
		return t.Engine().DeleteTree(ctx, t, id, rec)
	}
	next := *rec
	next.Generation++
	next.Resource.Etag = uuid.NewString()
	if err := next.Resource.SetProperties(p); err != nil {
		return err
	}
	return t.Write(ctx, &next)
}
