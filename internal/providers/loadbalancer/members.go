package loadbalancer

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// reader reads refs and records either in a transaction (writes) or from
// the engine (rendering).
type reader interface {
	refsTo(ctx context.Context, target string) ([]arm.Ref, error)
	get(ctx context.Context, id string) (*arm.Record, error)
}

type txnReader struct{ t *arm.Txn }

func (r txnReader) refsTo(ctx context.Context, target string) ([]arm.Ref, error) {
	refs, err := r.t.RefsTo(ctx, target)
	if err != nil {
		return nil, err
	}
	var out []arm.Ref
	for _, ref := range refs {
		if ref.Kind == KindBackendAddressPool {
			out = append(out, ref)
		}
	}
	return out, nil
}

func (r txnReader) get(ctx context.Context, id string) (*arm.Record, error) { return r.t.Get(ctx, id) }

type engineReader struct{ e *arm.Engine }

func (r engineReader) refsTo(ctx context.Context, target string) ([]arm.Ref, error) {
	return r.e.RefsTo(ctx, target, KindBackendAddressPool)
}

func (r engineReader) get(ctx context.Context, id string) (*arm.Record, error) {
	return r.e.GetRecord(ctx, id)
}

// poolMembers returns, by lower-case pool name, the IDs of the network
// interface IP configurations that joined the load balancer's pools, sorted.
func poolMembers(ctx context.Context, lbID string, r reader) (map[string][]string, error) {
	refs, err := r.refsTo(ctx, lbID)
	if err != nil {
		return nil, fmt.Errorf("read members of %s: %w", lbID, err)
	}
	out := map[string][]string{}
	nics := map[string]*network.NetworkInterfaceProperties{}
	for _, ref := range refs {
		ipc, err := arm.ParseID(ref.Source)
		if err != nil {
			continue
		}
		nicID, ok := ipc.Parent()
		if !ok {
			continue
		}
		key := strings.ToLower(nicID.String())
		p, seen := nics[key]
		if !seen {
			rec, err := r.get(ctx, nicID.String())
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", nicID, err)
			}
			if rec != nil {
				if p, err = network.DecodeNetworkInterface(rec); err != nil {
					return nil, err
				}
			}
			nics[key] = p
		}
		if p == nil {
			continue
		}
		for _, c := range p.IPConfigurations {
			if !strings.EqualFold(c.Name, ipc.Name()) {
				continue
			}
			for _, pool := range c.Properties.LoadBalancerBackendAddressPools {
				plb, seg, name, ok := splitChildID(pool.ID)
				if ok && arm.SameID(plb, lbID) && strings.EqualFold(seg, poolsSegment) {
					out[strings.ToLower(name)] = append(out[strings.ToLower(name)], c.ID)
				}
			}
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out, nil
}
