package resources

import (
	"context"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

type subscription struct {
	ID                   string         `json:"id"`
	SubscriptionID       string         `json:"subscriptionId"`
	TenantID             string         `json:"tenantId"`
	DisplayName          string         `json:"displayName"`
	State                string         `json:"state"`
	SubscriptionPolicies map[string]any `json:"subscriptionPolicies"`
	AuthorizationSource  string         `json:"authorizationSource"`
	IsDefault            bool           `json:"isDefault,omitempty"`
}

func (g *groups) subscription(id string) subscription {
	name := "privlink"
	if !strings.EqualFold(id, g.p.DefaultSubscription) {
		name = "privlink " + id
	}
	return subscription{
		ID: "/subscriptions/" + id, SubscriptionID: id, TenantID: g.p.TenantID, DisplayName: name, State: "Enabled",
		SubscriptionPolicies: map[string]any{"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
		AuthorizationSource:  "RoleBased",
		IsDefault:            strings.EqualFold(id, g.p.DefaultSubscription),
	}
}

func (g *groups) listSubscriptions(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: []any{g.subscription(g.p.DefaultSubscription)}}}, nil
}

func (g *groups) getSubscription(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return &arm.Response{Status: http.StatusOK, Body: g.subscription(req.Vars["sub"])}, nil
}

func (g *groups) listTenants(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	t := map[string]any{"id": "/tenants/" + g.p.TenantID, "tenantId": g.p.TenantID, "tenantCategory": "Home",
		"displayName": "privlink", "defaultDomain": "privlink.onmicrosoft.com"}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: []any{t}}}, nil
}

func (g *groups) listLocations(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	vals := []any{}
	for _, l := range arm.Regions {
		vals = append(vals, map[string]any{"id": "/subscriptions/" + req.Vars["sub"] + "/locations/" + l.Name,
			"name": l.Name, "displayName": l.Display, "regionalDisplayName": "(Region) " + l.Display,
			"metadata": map[string]any{"regionType": "Physical"}})
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}
