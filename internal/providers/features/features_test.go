package features_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armfeatures"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/features"
)

const v = "2021-07-01"

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func clientOptions(s *armtest.Server) *azarm.ClientOptions {
	return &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}}
}

func errorCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("not a ResponseError: %v", err)
	}
	return re.ErrorCode, re.StatusCode
}

// settle waits until RegistrationDelay has passed.
func settle(s *armtest.Server) { time.Sleep(s.Platform.RegistrationDelay + 20*time.Millisecond) }

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func readExample(t *testing.T, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Responses["200"].Body
}

// TestRegisterGolden checks the register answer against the shape in the
// reference (and the keys of Azure's registerFeature example).
func TestRegisterGolden(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, features.Provider{})
	sub := armtest.Subscription
	r := s.Do(http.MethodPost, "/subscriptions/"+sub+"/providers/Microsoft.Features/providers/microsoft.containerservice/features/aksprivatelinkpreview/register", v, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	want := `{"id":"/subscriptions/` + sub + `/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview","name":"Microsoft.ContainerService/AKSPrivateLinkPreview","properties":{"state":"Registering"},"type":"Microsoft.Features/providers/features"}`
	if string(r.Body) != want {
		t.Fatalf("body\n got %s\nwant %s", r.Body, want)
	}
	ex := readExample(t, "registerFeature.json")
	got := r.JSON()
	if g, w := keysOf(got), keysOf(ex); !sameStrings(g, w) {
		t.Fatalf("keys %v, want %v", g, w)
	}
	if g, w := keysOf(got["properties"].(map[string]any)), keysOf(ex["properties"].(map[string]any)); !sameStrings(g, w) {
		t.Fatalf("property keys %v, want %v", g, w)
	}
	// Registering again while registering keeps the state.
	r = s.Do(http.MethodPost, "/subscriptions/"+sub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview/register", v, nil)
	if st := r.JSON()["properties"].(map[string]any)["state"]; st != "Registering" {
		t.Fatalf("second register: %v", st)
	}
	for _, ver := range features.APIVersions {
		if r := s.Do(http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview", ver, nil); r.Status != http.StatusOK {
			t.Errorf("api-version %s: %d %s", ver, r.Status, r.Body)
		}
	}
	if r := s.Do(http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Features/features", "2019-01-01", nil); r.ErrorCode() != "InvalidApiVersionParameter" {
		t.Errorf("bad api-version: %s", r.Body)
	}
	if r := s.Do(http.MethodPost, "/subscriptions/"+sub+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/NoSuchPreview/register", v, nil); r.Status != http.StatusNotFound || r.ErrorCode() != "FeatureNotFound" {
		t.Errorf("unknown feature: %d %s", r.Status, r.Body)
	}
}

func TestFeaturesSDK(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, features.Provider{})
	ctx := context.Background()
	c, err := armfeatures.NewClient(armtest.Subscription, fakeCredential{}, clientOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	const ns = "Microsoft.ContainerService"
	g, err := c.Get(ctx, ns, "EnableAPIServerVnetIntegrationPreview", nil)
	if err != nil || *g.Properties.State != "NotRegistered" {
		t.Fatalf("initial: %+v %v", g, err)
	}
	reg, err := c.Register(ctx, ns, "EnableAPIServerVnetIntegrationPreview", nil)
	if err != nil || *reg.Properties.State != "Registering" || *reg.Name != ns+"/EnableAPIServerVnetIntegrationPreview" {
		t.Fatalf("register: %+v %v", reg.FeatureResult, err)
	}
	if _, err := c.Register(ctx, ns, "AKSPrivateLinkPreview", nil); err != nil {
		t.Fatal(err)
	}
	g, err = c.Get(ctx, ns, "EnableAPIServerVnetIntegrationPreview", nil)
	if err != nil || *g.Properties.State != "Registering" {
		t.Fatalf("get registering: %+v %v", g.FeatureResult, err)
	}
	settle(s)
	g, err = c.Get(ctx, ns, "enableapiservervnetintegrationpreview", nil)
	if err != nil || *g.Properties.State != "Registered" || *g.ID != "/subscriptions/"+armtest.Subscription+"/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableAPIServerVnetIntegrationPreview" {
		t.Fatalf("get registered: %+v %v", g.FeatureResult, err)
	}
	// Registering a registered feature keeps it registered.
	if reg, err := c.Register(ctx, ns, "AKSPrivateLinkPreview", nil); err != nil || *reg.Properties.State != "Registered" {
		t.Fatalf("re-register: %+v %v", reg.FeatureResult, err)
	}

	states := map[string]string{}
	pager := c.NewListPager(ns, nil)
	for pager.More() {
		pg, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range pg.Value {
			states[*f.Name] = *f.Properties.State
		}
	}
	if states[ns+"/AKSPrivateLinkPreview"] != "Registered" || states[ns+"/EnableAPIServerVnetIntegrationPreview"] != "Registered" ||
		states[ns+"/AzureOverlayPreview"] != "NotRegistered" {
		t.Fatalf("list: %v", states)
	}
	for name := range states {
		if len(name) <= len(ns) || name[:len(ns)] != ns {
			t.Fatalf("foreign feature in namespace list: %s", name)
		}
	}
	all := map[string]string{}
	allPager := c.NewListAllPager(nil)
	for allPager.More() {
		pg, err := allPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range pg.Value {
			all[*f.Name] = *f.Properties.State
		}
	}
	if all[ns+"/AKSPrivateLinkPreview"] != "Registered" || all["Microsoft.Network/AllowMultipleAddressPrefixesOnSubnet"] != "NotRegistered" || len(all) <= len(states) {
		t.Fatalf("list all: %d features, %v", len(all), all[ns+"/AKSPrivateLinkPreview"])
	}

	un, err := c.Unregister(ctx, ns, "AKSPrivateLinkPreview", nil)
	if err != nil || *un.Properties.State != "Unregistering" {
		t.Fatalf("unregister: %+v %v", un.FeatureResult, err)
	}
	settle(s)
	if g, err := c.Get(ctx, ns, "AKSPrivateLinkPreview", nil); err != nil || *g.Properties.State != "Unregistered" {
		t.Fatalf("after unregister: %+v %v", g.FeatureResult, err)
	}
	if un, err := c.Unregister(ctx, ns, "AzureOverlayPreview", nil); err != nil || *un.Properties.State != "NotRegistered" {
		t.Fatalf("unregister never-registered: %+v %v", un.FeatureResult, err)
	}
	if reg, err := c.Register(ctx, ns, "AKSPrivateLinkPreview", nil); err != nil || *reg.Properties.State != "Registering" {
		t.Fatalf("register again: %+v %v", reg.FeatureResult, err)
	}

	if _, err := c.Get(ctx, ns, "TrustedAccessPreview", nil); err == nil {
		t.Fatal("unknown feature answered")
	} else if code, status := errorCode(t, err); code != "FeatureNotFound" || status != http.StatusNotFound {
		t.Fatalf("unknown feature: %s %d", code, status)
	}
	if _, err := c.Register(ctx, "Microsoft.Nope", "X", nil); err == nil {
		t.Fatal("unknown namespace registered")
	} else if code, _ := errorCode(t, err); code != "FeatureNotFound" {
		t.Fatalf("unknown namespace: %s", code)
	}
}

func TestSubscriptionFeatureRegistrations(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, features.Provider{})
	ctx := context.Background()
	c, err := armfeatures.NewSubscriptionFeatureRegistrationsClient(armtest.Subscription, fakeCredential{}, clientOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	const ns = "Microsoft.ContainerService"
	put, err := c.CreateOrUpdate(ctx, ns, "NRGLockdownPreview", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := put.Properties
	if *p.State != armfeatures.SubscriptionFeatureRegistrationStateRegistering || *p.FeatureName != "NRGLockdownPreview" ||
		*p.ProviderNamespace != ns || *p.SubscriptionID != armtest.Subscription || p.RegistrationDate == nil ||
		*p.ApprovalType != armfeatures.SubscriptionFeatureRegistrationApprovalTypeAutoApproval {
		t.Fatalf("put: %+v", p)
	}
	// The feature view sees the same registration.
	fc, _ := armfeatures.NewClient(armtest.Subscription, fakeCredential{}, clientOptions(s))
	if g, err := fc.Get(ctx, ns, "NRGLockdownPreview", nil); err != nil || *g.Properties.State != "Registering" {
		t.Fatalf("feature view: %+v %v", g.FeatureResult, err)
	}
	settle(s)
	got, err := c.Get(ctx, ns, "nrglockdownpreview", nil)
	if err != nil || *got.Properties.State != armfeatures.SubscriptionFeatureRegistrationStateRegistered || *got.Name != "NRGLockdownPreview" {
		t.Fatalf("get: %+v %v", got.Properties, err)
	}
	n := 0
	pager := c.NewListBySubscriptionPager(ns, nil)
	for pager.More() {
		pg, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pg.Value)
	}
	if n != 1 {
		t.Fatalf("list by namespace: %d", n)
	}
	allPager := c.NewListAllBySubscriptionPager(nil)
	n = 0
	for allPager.More() {
		pg, err := allPager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pg.Value)
	}
	if n != 1 {
		t.Fatalf("list all: %d", n)
	}
	if _, err := c.Delete(ctx, ns, "NRGLockdownPreview", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, ns, "NRGLockdownPreview", nil); err != nil || *got.Properties.State != armfeatures.SubscriptionFeatureRegistrationStateUnregistering {
		t.Fatalf("after delete: %+v %v", got.Properties, err)
	}
	if _, err := c.Get(ctx, ns, "Nope", nil); err == nil {
		t.Fatal("unknown feature answered")
	} else if code, _ := errorCode(t, err); code != "FeatureNotFound" {
		t.Fatalf("unknown: %s", code)
	}

	// Golden: every key of Azure's GET example is served (releaseDate
	// excepted: privlink does not know the features' release dates).
	r := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/providers/Microsoft.Features/featureProviders/"+ns+"/subscriptionFeatureRegistrations/NRGLockdownPreview", v, nil)
	got2 := r.JSON()
	for _, file := range []string{"SubscriptionFeatureRegistrationGET.json", "SubscriptionFeatureRegistrationPUT.json"} {
		ex := readExample(t, file)
		for _, k := range keysOf(ex) {
			if _, ok := got2[k]; !ok {
				t.Errorf("%s: missing %s", file, k)
			}
		}
		gp := got2["properties"].(map[string]any)
		for _, k := range keysOf(ex["properties"].(map[string]any)) {
			if _, ok := gp[k]; !ok && k != "releaseDate" {
				t.Errorf("%s: missing properties.%s", file, k)
			}
		}
		if got2["type"] != ex["type"] {
			t.Errorf("type %v, want %v", got2["type"], ex["type"])
		}
	}
	if r := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/providers/Microsoft.Features/subscriptionFeatureRegistrations", "2015-12-01", nil); r.ErrorCode() != "InvalidApiVersionParameter" {
		t.Errorf("registrations at 2015-12-01: %s", r.Body)
	}
}

func TestOperations(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, features.Provider{})
	c, err := armfeatures.NewFeatureClient(fakeCredential{}, clientOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	pager := c.NewListOperationsPager(nil)
	n := 0
	for pager.More() {
		pg, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range pg.Value {
			if op.Name == nil || op.Display == nil || op.Display.Operation == nil {
				t.Fatalf("operation %+v", op)
			}
		}
		n += len(pg.Value)
	}
	if n == 0 {
		t.Fatal("no operations")
	}
}
