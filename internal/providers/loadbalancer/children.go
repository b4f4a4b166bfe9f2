package loadbalancer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// childSegments are the sub-resource collections served on their own, with
// their canonical spelling.
var childSegments = []string{frontendsSegment, poolsSegment, rulesSegment, probesSegment, inboundNatSegment, outboundRulesSegment}

func registerChildRoutes(s *arm.Server, spec *arm.TypeSpec) {
	base := "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/loadBalancers/{lb}/"
	h := &childHandlers{spec: spec}
	for _, seg := range childSegments {
		s.Handle(http.MethodGet, base+seg, h.list(seg))
		s.Handle(http.MethodGet, base+seg+"/{name}", h.get(seg))
	}
	s.Handle(http.MethodPut, base+poolsSegment+"/{name}", h.putPool)
	s.Handle(http.MethodDelete, base+poolsSegment+"/{name}", h.deletePool)
}

type childHandlers struct{ spec *arm.TypeSpec }

func lbIDOf(req *arm.Request) arm.ID {
	return arm.ID{
		Subscription: req.Vars["sub"], ResourceGroup: req.Vars["rg"],
		Scope:     "/subscriptions/" + req.Vars["sub"] + "/resourceGroups/" + req.Vars["rg"],
		Namespace: network.Namespace, Types: []string{"loadBalancers"}, Names: []string{req.Vars["lb"]},
	}
}

// loadForRead reads the load balancer addressed by the request, with ARM's
// 404s.
func (h *childHandlers) loadForRead(ctx context.Context, req *arm.Request) (*arm.Record, error) {
	if err := arm.CheckAPIVersion(h.spec, req); err != nil {
		return nil, err
	}
	id := lbIDOf(req)
	rec, err := req.Engine.GetRecord(ctx, id.String())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if rec == nil {
		rg, err := req.Engine.GetRecord(ctx, id.ResourceGroupID())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", id.ResourceGroupID(), err)
		}
		if rg == nil {
			return nil, arm.ResourceGroupNotFound(id.ResourceGroup)
		}
		return nil, arm.ResourceNotFound(id)
	}
	return rec, nil
}

// renderedChildren renders a load balancer and returns one sub-resource
// collection as served.
func renderedChildren(ctx context.Context, e *arm.Engine, rec *arm.Record, segment string) ([]map[string]any, error) {
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(res.Properties, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", rec.Resource.ID, err)
	}
	var out []map[string]any
	if raw, ok := m[segment]; ok {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("decode %s of %s: %w", segment, rec.Resource.ID, err)
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out, nil
}

func (h *childHandlers) list(segment string) arm.HandlerFunc {
	return func(ctx context.Context, req *arm.Request) (*arm.Response, error) {
		rec, err := h.loadForRead(ctx, req)
		if err != nil {
			return nil, err
		}
		items, err := renderedChildren(ctx, req.Engine, rec, segment)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(items))
		for i := range items {
			vals[i] = items[i]
		}
		return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
	}
}

func (h *childHandlers) get(segment string) arm.HandlerFunc {
	return func(ctx context.Context, req *arm.Request) (*arm.Response, error) {
		rec, err := h.loadForRead(ctx, req)
		if err != nil {
			return nil, err
		}
		return childResponse(ctx, req, rec, segment, req.Vars["name"], http.StatusOK)
	}
}

func childResponse(ctx context.Context, req *arm.Request, rec *arm.Record, segment, name string, status int) (*arm.Response, error) {
	items, err := renderedChildren(ctx, req.Engine, rec, segment)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if n, _ := it["name"].(string); strings.EqualFold(n, name) {
			if req.HTTP.Method == http.MethodHead {
				return &arm.Response{Status: http.StatusNoContent}, nil
			}
			hdr := http.Header{}
			if et, _ := it["etag"].(string); et != "" {
				hdr.Set("ETag", et)
			}
			return &arm.Response{Status: status, Body: it, Header: hdr}, nil
		}
	}
	return nil, childNotFound(rec.Resource.ID + "/" + segment + "/" + name)
}

// inputOf turns stored properties back into a request (the writable fields).
func inputOf(p *LoadBalancerProperties) (*lbInput, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode load balancer: %w", err)
	}
	var in lbInput
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode load balancer: %w", err)
	}
	return &in, nil
}

// rewrite validates the load balancer's new desired state and writes its
// record as a new generation in Updating, as a load balancer PUT does.
func rewrite(ctx context.Context, t *arm.Txn, rec *arm.Record, in *lbInput) (*arm.Record, error) {
	old, err := DecodeLoadBalancer(rec)
	if err != nil {
		return nil, err
	}
	props, refs, err := build(ctx, t, rec.Resource.ID, rec.Resource.Location, DecodeSku(rec), in, old, existingGUID(rec))
	if err != nil {
		return nil, err
	}
	props.ProvisioningState = arm.StateUpdating
	next := *rec
	if err := next.Resource.SetProperties(props); err != nil {
		return nil, err
	}
	next.Resource.Etag = `W/"` + uuid.NewString() + `"`
	next.Refs = refs
	next.Generation++
	next.State = arm.StateUpdating
	next.OpError = nil
	if err := t.Write(ctx, &next); err != nil {
		return nil, err
	}
	return &next, nil
}

// loadForWrite reads the load balancer in t for a sub-resource write.
func loadForWrite(ctx context.Context, t *arm.Txn, id arm.ID) (*arm.Record, error) {
	rec, err := t.Get(ctx, id.String())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", id, err)
	}
	if rec == nil {
		rg, err := t.Get(ctx, id.ResourceGroupID())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", id.ResourceGroupID(), err)
		}
		if rg == nil {
			return nil, arm.ResourceGroupNotFound(id.ResourceGroup)
		}
		return nil, arm.ResourceNotFound(id)
	}
	if rec.State == arm.StateDeleting {
		return nil, arm.Conflict("AnotherOperationInProgress",
			"Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: %s.", id.String())
	}
	return rec, nil
}

// putPool serves PUT .../loadBalancers/{lb}/backendAddressPools/{name}.
func (h *childHandlers) putPool(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := arm.CheckAPIVersion(h.spec, req); err != nil {
		return nil, err
	}
	var body poolInput
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	name := req.Vars["name"]
	if err := validateName(name); err != nil {
		return nil, err
	}
	id := lbIDOf(req)
	var rec *arm.Record
	created := false
	err := req.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := loadForWrite(ctx, t, id)
		if err != nil {
			return err
		}
		if im := req.HTTP.Header.Get("If-Match"); im != "" && !etagMatch(im, cur.Resource.Etag) {
			return preconditionFailed()
		}
		old, err := DecodeLoadBalancer(cur)
		if err != nil {
			return err
		}
		in, err := inputOf(old)
		if err != nil {
			return err
		}
		body.Name = name
		created = true
		for i := range in.BackendAddressPools {
			if strings.EqualFold(in.BackendAddressPools[i].Name, name) {
				body.Name = in.BackendAddressPools[i].Name
				in.BackendAddressPools[i] = body
				created = false
			}
		}
		if created {
			in.BackendAddressPools = append(in.BackendAddressPools, body)
		}
		rec, err = rewrite(ctx, t, cur, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	resp, err := childResponse(ctx, req, rec, poolsSegment, name, status)
	if err != nil {
		return nil, err
	}
	for k, v := range arm.OperationHeaders(req, network.Namespace, rec.Resource.Location, rec, false, false) {
		resp.Header[k] = v
	}
	return resp, nil
}

// deletePool serves DELETE .../loadBalancers/{lb}/backendAddressPools/{name}.
func (h *childHandlers) deletePool(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := arm.CheckAPIVersion(h.spec, req); err != nil {
		return nil, err
	}
	id := lbIDOf(req)
	name := req.Vars["name"]
	var rec *arm.Record
	err := req.Engine.Run(ctx, func(t *arm.Txn) error {
		rec = nil
		cur, err := loadForWrite(ctx, t, id)
		if err != nil {
			return err
		}
		old, err := DecodeLoadBalancer(cur)
		if err != nil {
			return err
		}
		if old.Pool(name) == nil {
			return nil
		}
		in, err := inputOf(old)
		if err != nil {
			return err
		}
		kept := in.BackendAddressPools[:0]
		for _, p := range in.BackendAddressPools {
			if !strings.EqualFold(p.Name, name) {
				kept = append(kept, p)
			}
		}
		in.BackendAddressPools = kept
		rec, err = rewrite(ctx, t, cur, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	return &arm.Response{Status: http.StatusAccepted,
		Header: arm.OperationHeaders(req, network.Namespace, rec.Resource.Location, rec, false, true)}, nil
}

func etagMatch(header, etag string) bool {
	norm := func(s string) string {
		return strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "W/"), `"`)
	}
	for _, h := range strings.Split(header, ",") {
		if strings.TrimSpace(h) == "*" || norm(h) == norm(etag) {
			return true
		}
	}
	return false
}

func preconditionFailed() error {
	return arm.Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
		"The condition specified using HTTP conditional header(s) is not met.")
}
