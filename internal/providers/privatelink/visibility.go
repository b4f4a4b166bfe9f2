package privatelink

import (
	"context"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

func checkVersion(req *arm.Request) error {
	spec, ok := req.Engine.Registry.Lookup(PLSType)
	if !ok {
		return arm.BadRequest("InvalidResourceType", "The resource type 'privateLinkServices' could not be found.")
	}
	return arm.CheckAPIVersion(spec, req)
}

// checkVisibility serves POST .../locations/{loc}/checkPrivateLinkServiceVisibility.
func checkVisibility(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	var in struct {
		PrivateLinkServiceAlias string `json:"privateLinkServiceAlias"`
	}
	if err := req.DecodeBody(&in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.PrivateLinkServiceAlias) == "" {
		return nil, arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'privateLinkServiceAlias' is required.")
	}
	visible := false
	err := req.Engine.Run(ctx, func(t *arm.Txn) error {
		visible = false
		plsID, err := lookupAlias(ctx, t, in.PrivateLinkServiceAlias)
		if err != nil || plsID == "" {
			return err
		}
		rec, err := t.Get(ctx, plsID)
		if err != nil || rec == nil {
			return err
		}
		p, err := DecodePLS(rec)
		if err != nil {
			return err
		}
		visible = visibleTo(rec.Resource.ID, p, req.Vars["sub"])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]bool{"visible": visible}}, nil
}

// autoApproved serves GET .../locations/{loc}/autoApprovedPrivateLinkServices:
// the private link services of the region that approve the caller's
// subscription automatically.
func autoApproved(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	loc := arm.NormalizeLocation(req.Vars["loc"])
	sub := req.Vars["sub"]
	value := []map[string]string{}
	err := req.Engine.Run(ctx, func(t *arm.Txn) error {
		value = value[:0]
		recs, err := t.ListType(ctx, "/subscriptions", PLSType)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if !strings.EqualFold(rec.Resource.Location, loc) {
				continue
			}
			p, err := DecodePLS(rec)
			if err != nil {
				return err
			}
			if containsFold(p.AutoApproval.Subscriptions, sub) {
				value = append(value, map[string]string{"privateLinkService": rec.Resource.ID})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{"value": value}}, nil
}
