package managedidentity_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/managedidentity"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	rgVersion = "2021-04-01"
	version   = "2024-11-30"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

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

func start(t *testing.T, groups ...string) *armtest.Server {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, managedidentity.Provider{})
	for _, g := range groups {
		r := s.Do(http.MethodPut, "/subscriptions/"+armtest.Subscription+"/resourcegroups/"+g, rgVersion, `{"location":"eastus"}`)
		if r.Status != http.StatusCreated {
			t.Fatalf("create group %s: %d %s", g, r.Status, r.Body)
		}
	}
	return s
}

func errorCode(t *testing.T, err error) string {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("not a ResponseError: %v", err)
	}
	return re.ErrorCode
}

// keysOf returns the sorted keys of a JSON object.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestIdentityGolden compares privlink's answer to the PUT of Azure's
// IdentityCreate example with the example's 201 body: same keys at every
// level, same fixed values; the GUIDs are fresh but well formed.
func TestIdentityGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/IdentityCreate.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters struct {
			Parameters json.RawMessage `json:"parameters"`
		} `json:"parameters"`
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	s := start(t, "rgName")
	id := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rgName/providers/Microsoft.ManagedIdentity/userAssignedIdentities/identityName"
	r := s.Do(http.MethodPut, id, version, []byte(ex.Parameters.Parameters))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	got := r.JSON()
	want := ex.Responses["201"].Body
	if g, w := keysOf(got), keysOf(want); !equalStrings(g, w) {
		t.Fatalf("keys %v, want %v", g, w)
	}
	gp, wp := got["properties"].(map[string]any), want["properties"].(map[string]any)
	if g, w := keysOf(gp), keysOf(wp); !equalStrings(g, w) {
		t.Fatalf("property keys %v, want %v", g, w)
	}
	for _, k := range []string{"name", "type", "location"} {
		if got[k] != want[k] {
			t.Errorf("%s = %v, want %v", k, got[k], want[k])
		}
	}
	if got["id"] != id {
		t.Errorf("id = %v", got["id"])
	}
	if g, _ := json.Marshal(got["tags"]); string(g) != `{"key1":"value1","key2":"value2"}` {
		t.Errorf("tags = %s", g)
	}
	if gp["isolationScope"] != wp["isolationScope"] || gp["tenantId"] != armtest.Tenant {
		t.Errorf("properties = %v", gp)
	}
	for _, k := range []string{"clientId", "principalId"} {
		if v, _ := gp[k].(string); !guidRE.MatchString(v) {
			t.Errorf("%s = %v", k, gp[k])
		}
	}
	// The same PUT again answers 200 with the same IDs.
	r2 := s.Do(http.MethodPut, id, version, []byte(ex.Parameters.Parameters))
	if r2.Status != http.StatusOK {
		t.Fatalf("replace: %d %s", r2.Status, r2.Body)
	}
	if p2 := r2.JSON()["properties"].(map[string]any); p2["principalId"] != gp["principalId"] || p2["clientId"] != gp["clientId"] {
		t.Errorf("IDs changed on replace: %v vs %v", p2, gp)
	}
}

func equalStrings(a, b []string) bool {
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

func TestIdentitySDK(t *testing.T) {
	s := start(t, "rg1", "rg2")
	ctx := context.Background()
	c, err := armmsi.NewUserAssignedIdentitiesClient(armtest.Subscription, fakeCredential{}, clientOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateOrUpdate(ctx, "rg1", "cluster-identity", armmsi.Identity{
		Location: to.Ptr("East US"), Tags: map[string]*string{"env": to.Ptr("test")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := created.Properties
	if p == nil || !guidRE.MatchString(*p.PrincipalID) || !guidRE.MatchString(*p.ClientID) || *p.TenantID != armtest.Tenant {
		t.Fatalf("properties: %+v", p)
	}
	if *created.Location != "eastus" || *created.Type != managedidentity.IdentityType || *created.Name != "cluster-identity" {
		t.Fatalf("created: %+v", created.Identity)
	}
	if *p.PrincipalID == *p.ClientID {
		t.Fatalf("principalId and clientId must differ")
	}

	// Replace keeps the platform-assigned IDs.
	again, err := c.CreateOrUpdate(ctx, "rg1", "cluster-identity", armmsi.Identity{Location: to.Ptr("eastus")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *again.Properties.PrincipalID != *p.PrincipalID || *again.Properties.ClientID != *p.ClientID {
		t.Fatalf("IDs changed: %+v vs %+v", again.Properties, p)
	}

	// PATCH tags.
	upd, err := c.Update(ctx, "rg1", "cluster-identity", armmsi.IdentityUpdate{Tags: map[string]*string{"team": to.Ptr("net")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(upd.Tags) != 1 || *upd.Tags["team"] != "net" || *upd.Properties.PrincipalID != *p.PrincipalID {
		t.Fatalf("update: %+v", upd.Identity)
	}
	got, err := c.Get(ctx, "RG1", "CLUSTER-IDENTITY", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Name != "cluster-identity" || *got.Tags["team"] != "net" {
		t.Fatalf("get: %+v", got.Identity)
	}

	if _, err := c.CreateOrUpdate(ctx, "rg2", "kubelet", armmsi.Identity{Location: to.Ptr("westus2")}, nil); err != nil {
		t.Fatal(err)
	}
	count := func(pager interface {
		More() bool
	}, next func() (int, error)) int {
		n := 0
		for pager.More() {
			k, err := next()
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
		return n
	}
	rgPager := c.NewListByResourceGroupPager("rg1", nil)
	if n := count(rgPager, func() (int, error) {
		pg, err := rgPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 1 {
		t.Fatalf("list rg1: %d", n)
	}
	subPager := c.NewListBySubscriptionPager(nil)
	if n := count(subPager, func() (int, error) {
		pg, err := subPager.NextPage(ctx)
		return len(pg.Value), err
	}); n != 2 {
		t.Fatalf("list subscription: %d", n)
	}

	// Errors.
	if _, err := c.CreateOrUpdate(ctx, "rg1", "a.b", armmsi.Identity{Location: to.Ptr("eastus")}, nil); errorCode(t, err) != "InvalidResourceName" {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := c.CreateOrUpdate(ctx, "rg1", "noloc", armmsi.Identity{}, nil); errorCode(t, err) != "LocationRequired" {
		t.Fatalf("no location: %v", err)
	}
	if _, err := c.CreateOrUpdate(ctx, "missing", "id1", armmsi.Identity{Location: to.Ptr("eastus")}, nil); errorCode(t, err) != "ResourceGroupNotFound" {
		t.Fatalf("missing group: %v", err)
	}
	if _, err := c.Get(ctx, "rg1", "nope", nil); errorCode(t, err) != "ResourceNotFound" {
		t.Fatalf("get missing: %v", err)
	}
	iso := armmsi.IsolationScope("Global")
	if _, err := c.Update(ctx, "rg1", "cluster-identity", armmsi.IdentityUpdate{Properties: &armmsi.UserAssignedIdentityProperties{IsolationScope: &iso}}, nil); errorCode(t, err) != "InvalidRequestContent" {
		t.Fatalf("bad isolation scope: %v", err)
	}
	regional := armmsi.IsolationScopeRegional
	upd2, err := c.Update(ctx, "rg1", "cluster-identity", armmsi.IdentityUpdate{Properties: &armmsi.UserAssignedIdentityProperties{IsolationScope: &regional}}, nil)
	if err != nil || *upd2.Properties.IsolationScope != armmsi.IsolationScopeRegional || len(upd2.Tags) != 1 {
		t.Fatalf("isolation scope update: %+v %v", upd2.Identity, err)
	}

	// Delete: 200, then 204 for the missing identity.
	if _, err := c.Delete(ctx, "rg1", "cluster-identity", nil); err != nil {
		t.Fatal(err)
	}
	r := s.Do(http.MethodDelete, "/subscriptions/"+armtest.Subscription+"/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cluster-identity", version, nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("second delete: %d", r.Status)
	}
	if _, err := c.Get(ctx, "rg1", "cluster-identity", nil); errorCode(t, err) != "ResourceNotFound" {
		t.Fatalf("after delete: %v", err)
	}
}

func TestIdentityAPIVersions(t *testing.T) {
	s := start(t, "rg")
	id := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
	for _, v := range managedidentity.APIVersions {
		if r := s.Do(http.MethodPut, id+"id-"+v, v, `{"location":"eastus"}`); r.Status != http.StatusCreated {
			t.Errorf("%s: %d %s", v, r.Status, r.Body)
		}
	}
	if r := s.Do(http.MethodPut, id+"old", "2015-08-31-preview", `{"location":"eastus"}`); r.ErrorCode() != "NoRegisteredProviderFound" {
		t.Errorf("unsupported version: %s", r.Body)
	}
	// Read-only properties in the body are ignored.
	r := s.Do(http.MethodPut, id+"readonly", version, `{"location":"eastus","properties":{"principalId":"x","clientId":"y","tenantId":"z"}}`)
	p, ok := r.JSON()["properties"].(map[string]any)
	if !ok {
		t.Fatalf("read-only put: %d %s", r.Status, r.Body)
	}
	if !guidRE.MatchString(p["principalId"].(string)) || p["tenantId"] != armtest.Tenant {
		t.Errorf("read-only properties taken from the body: %v", p)
	}
}
