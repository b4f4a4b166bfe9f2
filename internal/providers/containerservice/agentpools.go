package containerservice

import (
	"context"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Agent pools are served from the cluster's agentPoolProfiles (read-only
// here: `az aks nodepool add/scale/delete` are not implemented).

func (pr *Provider) agentPoolSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:        AgentPoolType,
		APIVersions: append([]string(nil), APIVersions...),
		List: func(ctx context.Context, op *arm.ListOp) ([]arm.Resource, error) {
			if op.Parent == nil {
				return nil, arm.BadRequest("InvalidResourceType", "Agent pools are listed per managed cluster.")
			}
			rec, err := op.Req.Engine.GetRecord(ctx, op.Parent.String())
			if err != nil {
				return nil, err
			}
			if rec == nil {
				return nil, arm.ResourceNotFound(*op.Parent)
			}
			return agentPools(rec), nil
		},
		NotFound: func(id arm.ID) *arm.Error {
			return arm.NotFound("NotFound", "Agent pool %s was not found in managed cluster %s.", id.Name(), id.Names[0])
		},
	}
}

// agentPools renders the cluster's pools as agentPools resources.
func agentPools(rec *arm.Record) []arm.Resource {
	props := rec.Resource.PropertiesMap()
	pools, _ := props["agentPoolProfiles"].([]any)
	var out []arm.Resource
	for _, p := range pools {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		name, _ := pm["name"].(string)
		cp := make(map[string]any, len(pm))
		for k, v := range pm {
			if k != "name" {
				cp[k] = v
			}
		}
		r := arm.Resource{ID: rec.Resource.ID + "/agentPools/" + name, Name: name, Type: AgentPoolType}
		r.SetPropertiesMap(cp)
		out = append(out, r)
	}
	return out
}

// getAgentPool serves GET .../agentPools/{pool}.
func (pr *Provider) getAgentPool(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	id, err := routeID(req)
	if err != nil {
		return nil, err
	}
	parent, _ := id.Parent()
	rec, err := req.Engine.GetRecord(ctx, parent.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ResourceNotFound(parent)
	}
	for _, p := range agentPools(rec) {
		if strings.EqualFold(p.Name, id.Name()) {
			return &arm.Response{Status: http.StatusOK, Body: p}, nil
		}
	}
	return nil, arm.NotFound("NotFound", "Agent pool %s was not found in managed cluster %s.", id.Name(), parent.Name())
}
