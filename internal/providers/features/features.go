package features

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// Feature registration states, as Azure spells them.
const (
	StateNotRegistered = "NotRegistered"
	StateRegistering   = "Registering"
	StateRegistered    = "Registered"
	StateUnregistering = "Unregistering"
	StateUnregistered  = "Unregistered"
)

// registration is the stored state of one feature in one subscription.
type registration struct {
	// State is Registering, Unregistering (the transitions) or a state they
	// settled to before being rewritten.
	State string `json:"state"`
	// Changed is when the last register/unregister was requested.
	Changed time.Time `json:"changed"`
	// Registered is when the feature was last registered.
	Registered time.Time `json:"registered,omitzero"`
}

// stateAt is the state a registration shows at now: transitions settle
// once delay has passed. nil is NotRegistered.
func stateAt(r *registration, now time.Time, delay time.Duration) string {
	if r == nil {
		return StateNotRegistered
	}
	if now.Sub(r.Changed) >= delay {
		switch r.State {
		case StateRegistering:
			return StateRegistered
		case StateUnregistering:
			return StateUnregistered
		}
	}
	return r.State
}

// registrationKey is the provider-owned store key of a registration.
func registrationKey(sub string, f feature) string {
	return "/features/" + strings.ToLower(sub) + "/" + strings.ToLower(f.Namespace) + "/" + strings.ToLower(f.Name)
}

type service struct{ p *arm.Platform }

func (s *service) now() time.Time { return s.p.Engine.Now().UTC() }

func featureNotFound(name string) *arm.Error {
	return arm.NotFound("FeatureNotFound", "The feature '%s' could not be found.", name)
}

func (s *service) lookup(req *arm.Request) (feature, error) {
	f, ok := lookupFeature(req.Vars["ns"], req.Vars["name"])
	if !ok {
		return feature{}, featureNotFound(req.Vars["name"])
	}
	return f, nil
}

// read returns the stored registration (nil if none).
func (s *service) read(ctx context.Context, sub string, f feature) (*registration, error) {
	kv, err := s.p.Engine.Store.Get(ctx, registrationKey(sub, f))
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read feature registration: %w", err)
	}
	var r registration
	if err := json.Unmarshal(kv.Value, &r); err != nil {
		return nil, fmt.Errorf("decode feature registration %s: %w", kv.Key, err)
	}
	return &r, nil
}

// transition moves a registration towards registered (register) or
// unregistered, in one transaction, and returns it.
func (s *service) transition(ctx context.Context, sub string, f feature, register bool) (*registration, error) {
	key := registrationKey(sub, f)
	var out *registration
	err := s.p.Engine.Run(ctx, func(t *arm.Txn) error {
		out = nil
		kv, ok, err := t.Raw().Get(ctx, key)
		if err != nil {
			return err
		}
		var cur *registration
		if ok {
			cur = &registration{}
			if err := json.Unmarshal(kv.Value, cur); err != nil {
				return fmt.Errorf("decode feature registration %s: %w", key, err)
			}
		}
		now := s.now()
		state := stateAt(cur, now, s.p.RegistrationDelay)
		next := cur
		switch {
		case register && state != StateRegistered && state != StateRegistering:
			next = &registration{State: StateRegistering, Changed: now, Registered: now}
		case !register && (state == StateRegistered || state == StateRegistering):
			next = &registration{State: StateUnregistering, Changed: now}
			if cur != nil {
				next.Registered = cur.Registered
			}
		}
		out = next
		if next == cur {
			return nil
		}
		b, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("encode feature registration: %w", err)
		}
		t.Raw().Put(key, b)
		return nil
	})
	return out, err
}

// featureResult is the FeatureResult wire shape.
type featureResult struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Properties featureProperties `json:"properties"`
	Type       string            `json:"type"`
}

type featureProperties struct {
	State string `json:"state"`
}

func (s *service) result(sub string, f feature, r *registration) featureResult {
	return featureResult{
		ID:         "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/" + f.Namespace + "/features/" + f.Name,
		Name:       f.Namespace + "/" + f.Name,
		Properties: featureProperties{State: stateAt(r, s.now(), s.p.RegistrationDelay)},
		Type:       "Microsoft.Features/providers/features",
	}
}

func (s *service) register(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return s.change(ctx, req, true)
}

func (s *service) unregister(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return s.change(ctx, req, false)
}

func (s *service) change(ctx context.Context, req *arm.Request, register bool) (*arm.Response, error) {
	if err := checkVersion(req, APIVersions); err != nil {
		return nil, err
	}
	f, err := s.lookup(req)
	if err != nil {
		return nil, err
	}
	r, err := s.transition(ctx, req.Vars["sub"], f, register)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: s.result(req.Vars["sub"], f, r)}, nil
}

func (s *service) get(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, APIVersions); err != nil {
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
	return &arm.Response{Status: http.StatusOK, Body: s.result(req.Vars["sub"], f, r)}, nil
}

func (s *service) listOf(ctx context.Context, sub string, fs []feature) (*arm.Response, error) {
	vals := make([]any, 0, len(fs))
	for _, f := range fs {
		r, err := s.read(ctx, sub, f)
		if err != nil {
			return nil, err
		}
		vals = append(vals, s.result(sub, f, r))
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}

func (s *service) listNamespace(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, APIVersions); err != nil {
		return nil, err
	}
	return s.listOf(ctx, req.Vars["sub"], namespaceFeatures(req.Vars["ns"]))
}

func (s *service) listAll(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, APIVersions); err != nil {
		return nil, err
	}
	return s.listOf(ctx, req.Vars["sub"], allFeatures())
}

// operations answers GET /providers/Microsoft.Features/operations.
func (s *service) operations(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req, APIVersions); err != nil {
		return nil, err
	}
	op := func(name, resource, operation string) map[string]any {
		return map[string]any{"name": name, "display": map[string]string{
			"provider": "Microsoft Features", "resource": resource, "operation": operation}}
	}
	vals := []any{
		op("Microsoft.Features/providers/features/read", "Features", "Gets the feature of a subscription in a given resource provider."),
		op("Microsoft.Features/providers/features/register/action", "Features", "Registers the feature for a subscription in a given resource provider."),
		op("Microsoft.Features/providers/features/unregister/action", "Features", "Unregisters the feature for a subscription in a given resource provider."),
		op("Microsoft.Features/features/read", "Features", "Gets the features of a subscription."),
		op("Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/read", "Subscription Feature Registrations", "Gets the feature registration of a subscription."),
		op("Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/write", "Subscription Feature Registrations", "Adds or updates the feature registration of a subscription."),
		op("Microsoft.Features/featureProviders/subscriptionFeatureRegistrations/delete", "Subscription Feature Registrations", "Deletes the feature registration of a subscription."),
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}
