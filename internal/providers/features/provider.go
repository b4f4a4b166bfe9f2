// Package features is the Microsoft.Features provider (Azure Feature
// Exposure Control): registering and unregistering preview features per
// subscription, reading and listing their states, and the 2021-07-01
// subscriptionFeatureRegistrations view of the same registrations.
//
// A registration is stored once, as its state and the time it was last
// requested; Registering becomes Registered (and Unregistering
// Unregistered) once Platform.RegistrationDelay has passed, computed when
// read, so no background writer is needed.
package features

import (
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace.
const Namespace = "Microsoft.Features"

// APIVersions are the features api-versions accepted (az 2.45 and armfeatures
// v1.2.0 send 2021-07-01).
var APIVersions = []string{"2014-08-01-preview", "2015-12-01", "2021-07-01"}

// RegistrationAPIVersions are the subscriptionFeatureRegistrations versions.
var RegistrationAPIVersions = []string{"2021-07-01"}

// Provider implements arm.Provider.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider: the routes, and type specs that only
// describe the provider's resource types (for GET .../providers/Microsoft.Features);
// every request is answered by the routes.
func (Provider) Register(p *arm.Platform) error {
	p.Registry.Register(
		&arm.TypeSpec{Type: Namespace + "/features", APIVersions: append([]string(nil), APIVersions...),
			Scope: arm.ScopeSubscription, Location: arm.LocationNone},
		&arm.TypeSpec{Type: Namespace + "/providers", APIVersions: append([]string(nil), APIVersions...),
			Scope: arm.ScopeSubscription, Location: arm.LocationNone},
		&arm.TypeSpec{Type: Namespace + "/featureProviders", APIVersions: append([]string(nil), RegistrationAPIVersions...),
			Scope: arm.ScopeSubscription, Location: arm.LocationNone},
		&arm.TypeSpec{Type: Namespace + "/subscriptionFeatureRegistrations", APIVersions: append([]string(nil), RegistrationAPIVersions...),
			Scope: arm.ScopeSubscription, Location: arm.LocationNone},
		&arm.TypeSpec{Type: Namespace + "/operations", APIVersions: append([]string(nil), APIVersions...),
			Scope: arm.ScopeSubscription, Location: arm.LocationNone},
	)
	f := &service{p: p}
	s := p.Server
	const feat = "/subscriptions/{sub}/providers/Microsoft.Features/providers/{ns}/features"
	s.Handle(http.MethodPost, feat+"/{name}/register", f.register)
	s.Handle(http.MethodPost, feat+"/{name}/unregister", f.unregister)
	s.Handle(http.MethodGet, feat+"/{name}", f.get)
	s.Handle(http.MethodGet, feat, f.listNamespace)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers/Microsoft.Features/features", f.listAll)
	const sfr = "/subscriptions/{sub}/providers/Microsoft.Features/featureProviders/{ns}/subscriptionFeatureRegistrations"
	s.Handle(http.MethodPut, sfr+"/{name}", f.putRegistration)
	s.Handle(http.MethodGet, sfr+"/{name}", f.getRegistration)
	s.Handle(http.MethodDelete, sfr+"/{name}", f.deleteRegistration)
	s.Handle(http.MethodGet, sfr, f.listRegistrations)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers/Microsoft.Features/subscriptionFeatureRegistrations", f.listRegistrations)
	s.Handle(http.MethodGet, "/providers/Microsoft.Features/operations", f.operations)
	return nil
}

func checkVersion(req *arm.Request, versions []string) error {
	for _, v := range versions {
		if v == req.APIVersion {
			return nil
		}
	}
	return arm.BadRequest("InvalidApiVersionParameter",
		"The api-version '%s' is invalid. The supported versions are '%s'.", req.APIVersion, strings.Join(versions, ","))
}
