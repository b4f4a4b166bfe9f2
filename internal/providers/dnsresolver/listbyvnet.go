package dnsresolver

import (
	"context"
	"net/http"
	"sort"

	"github.com/privlink/privlink/internal/arm"
)

// POST .../virtualNetworks/{vnet}/listDnsResolvers and
// .../listDnsForwardingRulesets (DnsResolvers_ListByVirtualNetwork,
// DnsForwardingRulesets_ListByVirtualNetwork): the resolver of a virtual
// network, and the rulesets linked to it with the link, as sub-resources.

const vnetPattern = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}/"

func registerListByVNet(p *arm.Platform) {
	if p.Server == nil {
		return
	}
	p.Server.Handle(http.MethodPost, vnetPattern+"listDnsResolvers", listByVNet(kindResolverVNet))
	p.Server.Handle(http.MethodPost, vnetPattern+"listDnsForwardingRulesets", listByVNet(kindRulesetLink))
}

func listByVNet(kind string) arm.HandlerFunc {
	return func(ctx context.Context, req *arm.Request) (*arm.Response, error) {
		spec, ok := req.Engine.Registry.Lookup(ResolverType)
		if !ok {
			return nil, arm.BadRequest("InvalidResourceType", "The resource type 'dnsResolvers' could not be found.")
		}
		if err := arm.CheckAPIVersion(spec, req); err != nil {
			return nil, err
		}
		vnetID := "/subscriptions/" + req.Vars["sub"] + "/resourceGroups/" + req.Vars["rg"] + "/providers/Microsoft.Network/virtualNetworks/" + req.Vars["vnet"]
		var out []any
		err := req.Engine.Run(ctx, func(t *arm.Txn) error {
			out = nil
			vnet, err := t.Get(ctx, vnetID)
			if err != nil {
				return err
			}
			if vnet == nil {
				id, _ := arm.ParseID(vnetID)
				return arm.ResourceNotFound(id)
			}
			refs, err := t.RefsTo(ctx, vnet.Resource.ID)
			if err != nil {
				return err
			}
			for _, r := range refs {
				if r.Kind != kind {
					continue
				}
				src, err := t.Get(ctx, r.Source)
				if err != nil {
					return err
				}
				if src == nil {
					continue
				}
				if kind == kindResolverVNet {
					out = append(out, map[string]any{"id": src.Resource.ID})
					continue
				}
				link, _ := arm.ParseID(src.Resource.ID)
				rs, _ := link.Parent()
				out = append(out, map[string]any{"id": rs.String(),
					"properties": map[string]any{"virtualNetworkLink": map[string]any{"id": src.Resource.ID}}})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(out, func(i, j int) bool {
			return out[i].(map[string]any)["id"].(string) < out[j].(map[string]any)["id"].(string)
		})
		if out == nil {
			out = []any{}
		}
		return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": out}}, nil
	}
}
