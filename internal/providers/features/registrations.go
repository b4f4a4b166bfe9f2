package features

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// subscriptionFeatureRegistration is the 2021-07-01 wire shape of
// .../featureProviders/{ns}/subscriptionFeatureRegistrations/{name}: the
// same registration as .../providers/{ns}/features/{name}, seen from the
// subscription.
type subscriptionFeatureRegistration struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Type       string        `json:"type"`
	Properties sfrProperties `json:"properties"`
}

type sfrProperties struct {
	SubscriptionID               string            `json:"subscriptionId"`
	TenantID                     string            `json:"tenantId"`
	FeatureName                  string            `json:"featureName"`
	DisplayName                  string            `json:"displayName"`
	ProviderNamespace            string            `json:"providerNamespace"`
	State                        string            `json:"state"`
	AuthorizationProfile         map[string]any    `json:"authorizationProfile"`
	Metadata                     map[string]string `json:"metadata"`
	ApprovalType                 string            `json:"approvalType"`
	RegistrationDate             *time.Time        `json:"registrationDate,omitempty"`
	ShouldFeatureDisplayInPortal bool              `json:"shouldFeatureDisplayInPortal"`
	Description                  string            `json:"description"`
}

func (s *service) registrationView(sub string, f feature, r *registration) subscriptionFeatureRegistration {
	props := sfrProperties{
		SubscriptionID:       sub,
		TenantID:             s.p.TenantID,
		FeatureName:          f.Name,
		DisplayName:          f.Name,
		ProviderNamespace:    f.Namespace,
		State:                stateAt(r, s.now(), s.p.RegistrationDelay),
		AuthorizationProfile: map[string]any{},
		Metadata:             map[string]string{},
		ApprovalType:         "AutoApproval",
	}
	if r != nil && !r.Registered.IsZero() {
		t := r.Registered
		props.RegistrationDate = &t
	}
	return subscriptionFeatureRegistration{
		ID:         "/subscriptions/" + sub + "/providers/Microsoft.Features/featureProviders/" + f.Namespace + "/subscriptionFeatureRegistrations/" + f.Name,
		Name:       f.Name,
		Type:       "Microsoft.Features/featureProviders/subscriptionFeatureRegistrations",
		Properties: props,
	}
}

// putRegistration registers the feature (the registrations API's create).
func (s *service) putRegistration(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, RegistrationAPIVersions); err != nil {
		return nil, err
	}
	var body struct {
		Properties *struct {
			State *string `json:"state"`
		} `json:"properties"`
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	f, err := s.lookup(req)
	if err != nil {
		return nil, err
	}
	r, err := s.transition(ctx, req.Vars["sub"], f, true)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: s.registrationView(req.Vars["sub"], f, r)}, nil
}

func (s *service) getRegistration(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, RegistrationAPIVersions); err != nil {
		return nil, err
	}
	f, err := s.lookup(req)
	if err != nil {
		return nil, err
	}
	r, err := s.read(ctx, req.Vars["sub"], f)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: s.registrationView(req.Vars["sub"], f, r)}, nil
}

// deleteRegistration unregisters the feature.
func (s *service) deleteRegistration(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, RegistrationAPIVersions); err != nil {
		return nil, err
	}
	f, err := s.lookup(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.transition(ctx, req.Vars["sub"], f, false); err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK}, nil
}

// listRegistrations lists the features that have a registration in the
// subscription (one namespace, or all when the route has no {ns}).
func (s *service) listRegistrations(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, RegistrationAPIVersions); err != nil {
		return nil, err
	}
	sub := req.Vars["sub"]
	fs := allFeatures()
	if ns, ok := req.Vars["ns"]; ok {
		fs = namespaceFeatures(ns)
	}
	vals := []any{}
	for _, f := range fs {
		r, err := s.read(ctx, sub, f)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		vals = append(vals, s.registrationView(sub, f, r))
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}
