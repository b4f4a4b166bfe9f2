package resources_test

import (
	"context"
	"errors"
	"github.com/privlink/privlink/internal/arm"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/authorization"
	"github.com/privlink/privlink/internal/providers/features"
	"github.com/privlink/privlink/internal/providers/managedidentity"
	"github.com/privlink/privlink/internal/providers/resources"
)

type providersCredential struct{}

func (providersCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func providersClient(t *testing.T, s *armtest.Server) *armresources.ProvidersClient {
	t.Helper()
	c, err := armresources.NewProvidersClient(armtest.Subscription, providersCredential{}, &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProvidersServedNamespace(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, managedidentity.Provider{})
	c := providersClient(t, s)
	ctx := context.Background()
	got, err := c.Get(ctx, "microsoft.managedidentity", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Provider
	if *p.Namespace != "Microsoft.ManagedIdentity" || *p.RegistrationState != "Registered" || *p.RegistrationPolicy != "RegistrationRequired" ||
		*p.ID != "/subscriptions/"+armtest.Subscription+"/providers/Microsoft.ManagedIdentity" {
		t.Fatalf("provider: %+v", p)
	}
	if len(p.ResourceTypes) != 1 {
		t.Fatalf("resource types: %d", len(p.ResourceTypes))
	}
	rt := p.ResourceTypes[0]
	if *rt.ResourceType != "userAssignedIdentities" || len(rt.APIVersions) != len(managedidentity.APIVersions) ||
		*rt.APIVersions[0] != "2024-11-30" || *rt.APIVersions[len(rt.APIVersions)-1] != "2018-11-30" {
		t.Fatalf("resource type: %+v %v", rt, rt.APIVersions)
	}
	hasEastUS := false
	for _, l := range rt.Locations {
		hasEastUS = hasEastUS || *l == "East US"
	}
	if len(rt.Locations) != len(arm.Regions) || !hasEastUS {
		t.Fatalf("locations: %d, East US %v", len(rt.Locations), hasEastUS)
	}
	for i := 1; i < len(rt.APIVersions); i++ {
		if *rt.APIVersions[i-1] < *rt.APIVersions[i] {
			t.Fatalf("api versions not newest first: %v", rt.APIVersions)
		}
	}
	// Registering a served namespace leaves it Registered.
	reg, err := c.Register(ctx, "Microsoft.ManagedIdentity", nil)
	if err != nil || *reg.RegistrationState != "Registered" {
		t.Fatalf("register served: %+v %v", reg.Provider, err)
	}
	// Microsoft.Resources is served and registration-free.
	res, err := c.Get(ctx, "Microsoft.Resources", nil)
	if err != nil || *res.RegistrationState != "Registered" || *res.RegistrationPolicy != "RegistrationFree" {
		t.Fatalf("Microsoft.Resources: %+v %v", res.Provider, err)
	}
	found := false
	for _, rt := range res.ResourceTypes {
		if *rt.ResourceType == "resourceGroups" && len(rt.APIVersions) > 0 && *rt.APIVersions[0] == "2025-04-01" {
			found = true
		}
	}
	if !found {
		t.Fatalf("Microsoft.Resources has no resourceGroups type with api versions")
	}
	if un, err := c.Unregister(ctx, "Microsoft.Resources", nil); err != nil || *un.RegistrationState != "Registered" {
		t.Fatalf("unregister registration-free: %+v %v", un.Provider, err)
	}
	tenant, err := c.GetAtTenantScope(ctx, "Microsoft.ManagedIdentity", nil)
	if err != nil || *tenant.ID != "/providers/Microsoft.ManagedIdentity" || tenant.RegistrationState != nil || len(tenant.ResourceTypes) != 1 {
		t.Fatalf("tenant scope: %+v %v", tenant.Provider, err)
	}
}

func TestProvidersRegistration(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, managedidentity.Provider{})
	c := providersClient(t, s)
	ctx := context.Background()
	got, err := c.Get(ctx, "Microsoft.Compute", nil)
	if err != nil || *got.RegistrationState != "NotRegistered" || len(got.ResourceTypes) != 0 {
		t.Fatalf("initial: %+v %v", got.Provider, err)
	}
	reg, err := c.Register(ctx, "microsoft.compute", nil)
	if err != nil || *reg.RegistrationState != "Registering" || *reg.Namespace != "Microsoft.Compute" {
		t.Fatalf("register: %+v %v", reg.Provider, err)
	}
	if got, _ := c.Get(ctx, "Microsoft.Compute", nil); *got.RegistrationState != "Registering" {
		t.Fatalf("while registering: %s", *got.RegistrationState)
	}
	time.Sleep(s.Platform.RegistrationDelay + 20*time.Millisecond)
	if got, _ := c.Get(ctx, "Microsoft.Compute", nil); *got.RegistrationState != "Registered" {
		t.Fatalf("after delay: %s", *got.RegistrationState)
	}
	// A namespace privlink does not know can be registered too.
	if reg, err := c.Register(ctx, "Contoso.Widgets", nil); err != nil || *reg.RegistrationState != "Registering" {
		t.Fatalf("register unknown: %+v %v", reg.Provider, err)
	}
	un, err := c.Unregister(ctx, "Microsoft.ManagedIdentity", nil)
	if err != nil || *un.RegistrationState != "Unregistering" {
		t.Fatalf("unregister: %+v %v", un.Provider, err)
	}
	time.Sleep(s.Platform.RegistrationDelay + 20*time.Millisecond)

	states := map[string]string{}
	pager := c.NewListPager(nil)
	for pager.More() {
		pg, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pg.Value {
			states[*p.Namespace] = *p.RegistrationState
			for _, rt := range p.ResourceTypes {
				if rt.APIVersions == nil {
					t.Fatalf("%s/%s has no apiVersions", *p.Namespace, *rt.ResourceType)
				}
			}
		}
	}
	want := map[string]string{
		"Microsoft.Compute": "Registered", "Contoso.Widgets": "Registered", "Microsoft.ManagedIdentity": "Unregistered",
		"Microsoft.Resources": "Registered", "Microsoft.Storage": "NotRegistered",
	}
	for ns, st := range want {
		if states[ns] != st {
			t.Errorf("%s: %q, want %q", ns, states[ns], st)
		}
	}
	if reg, err := c.Register(ctx, "Microsoft.ManagedIdentity", nil); err != nil || *reg.RegistrationState != "Registering" {
		t.Fatalf("re-register: %+v %v", reg.Provider, err)
	}

	n := 0
	tp := c.NewListAtTenantScopePager(nil)
	for tp.More() {
		pg, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pg.Value {
			if p.RegistrationState != nil {
				t.Fatalf("tenant list carries a registration state: %s", *p.Namespace)
			}
		}
		n += len(pg.Value)
	}
	if n < len(want)-1 {
		t.Fatalf("tenant list: %d providers", n)
	}

	_, err = c.Register(ctx, "not a namespace", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.ErrorCode != "InvalidResourceNamespace" {
		t.Fatalf("invalid namespace: %v", err)
	}
	// az 2.45 reads providers at 2021-04-01; other versions are refused.
	if r := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/providers/Microsoft.Compute", "2021-04-01", nil); r.Status != http.StatusOK {
		t.Fatalf("2021-04-01: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/providers", "2010-01-01", nil); r.ErrorCode() != "InvalidApiVersionParameter" {
		t.Fatalf("bad version: %s", r.Body)
	}
}

// TestProvidersWithPlatformProviders runs the providers that share path
// shapes with the providers API and checks each answers its own routes.
func TestProvidersWithPlatformProviders(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, features.Provider{}, authorization.Provider{}, managedidentity.Provider{})
	c := providersClient(t, s)
	ctx := context.Background()
	auth, err := c.Get(ctx, "Microsoft.Authorization", nil)
	if err != nil || *auth.RegistrationPolicy != "RegistrationFree" || *auth.RegistrationState != "Registered" {
		t.Fatalf("Microsoft.Authorization: %+v %v", auth.Provider, err)
	}
	versions := map[string]string{}
	for _, rt := range auth.ResourceTypes {
		if len(rt.APIVersions) > 0 {
			versions[*rt.ResourceType] = *rt.APIVersions[0]
		}
	}
	if versions["roleAssignments"] != "2022-04-01" || versions["roleDefinitions"] != "2022-05-01-preview" {
		t.Fatalf("Microsoft.Authorization types: %v", versions)
	}
	feat, err := c.Get(ctx, "Microsoft.Features", nil)
	if err != nil || *feat.RegistrationPolicy != "RegistrationFree" || len(feat.ResourceTypes) == 0 {
		t.Fatalf("Microsoft.Features: %+v %v", feat.Provider, err)
	}
	sub := "/subscriptions/" + armtest.Subscription
	for _, path := range []string{
		sub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview",
		sub + "/providers/Microsoft.Features/features",
		"/providers/Microsoft.Features/operations",
	} {
		if r := s.Do(http.MethodGet, path, "2021-07-01", nil); r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := s.Do(http.MethodGet, sub+"/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01", nil); r.Status != http.StatusOK {
		t.Errorf("role definitions: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, "/providers/Microsoft.Authorization/roleDefinitions/"+authorization.OwnerRoleID, "2022-04-01", nil); r.Status != http.StatusOK {
		t.Errorf("tenant role definition: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, sub+"/providers/Microsoft.Authorization/roleAssignments", "2022-04-01", nil); r.Status != http.StatusOK {
		t.Errorf("role assignments: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, "/providers/Microsoft.Features", "2021-04-01", nil); r.Status != http.StatusOK || r.JSON()["id"] != "/providers/Microsoft.Features" {
		t.Errorf("tenant provider: %d %s", r.Status, r.Body)
	}
}
