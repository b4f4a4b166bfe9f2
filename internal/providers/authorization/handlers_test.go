package authorization_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/authorization"
	"github.com/privlink/privlink/internal/providers/managedidentity"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	subID      = "/subscriptions/" + armtest.Subscription
	netRG      = subID + "/resourceGroups/net-rg"
	appRG      = subID + "/resourceGroups/app-rg"
	identityID = appRG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/cluster-identity"

	principalA = "aaaaaaaa-1111-4111-8111-000000000001"
	principalB = "bbbbbbbb-2222-4222-8222-000000000002"

	assignmentVersion = "2022-04-01"
)

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type env struct {
	s     *armtest.Server
	defs  *armauthorization.RoleDefinitionsClient
	asgs  *armauthorization.RoleAssignmentsClient
	ctx   context.Context
	guids int
}

// start runs resources, authorization and managed identities, with the
// groups net-rg and app-rg and the identity cluster-identity in app-rg.
func start(t *testing.T) *env {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, authorization.Provider{}, managedidentity.Provider{})
	for _, rg := range []string{netRG, appRG} {
		if r := s.Do(http.MethodPut, rg, "2021-04-01", `{"location":"eastus"}`); r.Status != http.StatusCreated {
			t.Fatalf("group: %d %s", r.Status, r.Body)
		}
	}
	if r := s.Do(http.MethodPut, identityID, "2024-11-30", `{"location":"eastus"}`); r.Status != http.StatusCreated {
		t.Fatalf("identity: %d %s", r.Status, r.Body)
	}
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}}
	defs, err := armauthorization.NewRoleDefinitionsClient(fakeCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	asgs, err := armauthorization.NewRoleAssignmentsClient(armtest.Subscription, fakeCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{s: s, defs: defs, asgs: asgs, ctx: context.Background()}
}

// guid returns a fresh, deterministic assignment name.
func (e *env) guid() string {
	e.guids++
	return "c0ffee00-0000-4000-8000-" + strings.Repeat("0", 12-len(itoa(e.guids))) + itoa(e.guids)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func roleID(guid string) string {
	return subID + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

func (e *env) assign(scope, name, principal, role string) (armauthorization.RoleAssignmentsClientCreateResponse, error) {
	return e.asgs.Create(e.ctx, scope, name, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			PrincipalID:      to.Ptr(principal),
			RoleDefinitionID: to.Ptr(role),
			PrincipalType:    to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
}

func errorCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("not a ResponseError: %v", err)
	}
	return re.ErrorCode, re.StatusCode
}

func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	gotCode, gotStatus := errorCode(t, err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("%s: %s %d, want %s %d", what, gotCode, gotStatus, code, status)
	}
}

func (e *env) listDefinitions(t *testing.T, scope, filter string) []*armauthorization.RoleDefinition {
	t.Helper()
	var opts *armauthorization.RoleDefinitionsClientListOptions
	if filter != "" {
		opts = &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr(filter)}
	}
	var out []*armauthorization.RoleDefinition
	pager := e.defs.NewListPager(scope, opts)
	for pager.More() {
		pg, err := pager.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pg.Value...)
	}
	return out
}

func names(as []*armauthorization.RoleAssignment) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, *a.Name)
	}
	sort.Strings(out)
	return out
}

func TestRoleDefinitionsBuiltin(t *testing.T) {
	e := start(t)
	got := e.listDefinitions(t, subID, "roleName eq 'Network Contributor'")
	if len(got) != 1 {
		t.Fatalf("filter by name: %d definitions", len(got))
	}
	nc := got[0]
	if *nc.ID != roleID(authorization.NetworkContributorRoleID) || *nc.Name != authorization.NetworkContributorRoleID ||
		*nc.Properties.RoleType != "BuiltInRole" || *nc.Properties.AssignableScopes[0] != "/" {
		t.Fatalf("Network Contributor: %+v", nc)
	}
	// Case-insensitive name, read at a resource group: IDs stay in the
	// subscription form.
	got = e.listDefinitions(t, netRG, "roleName eq 'network contributor'")
	if len(got) != 1 || *got[0].ID != roleID(authorization.NetworkContributorRoleID) {
		t.Fatalf("at resource group: %v", got)
	}
	if all := e.listDefinitions(t, subID, "type eq 'BuiltInRole'"); len(all) != len(authorization.BuiltinRoles()) {
		t.Fatalf("built-ins: %d", len(all))
	}
	if all := e.listDefinitions(t, subID, ""); len(all) != len(authorization.BuiltinRoles()) {
		t.Fatalf("unfiltered: %d", len(all))
	}
	owner, err := e.defs.Get(e.ctx, netRG, authorization.OwnerRoleID, nil)
	if err != nil || *owner.Properties.RoleName != "Owner" || *owner.ID != roleID(authorization.OwnerRoleID) {
		t.Fatalf("get Owner: %+v %v", owner.RoleDefinition, err)
	}
	root, err := e.defs.GetByID(e.ctx, "/providers/Microsoft.Authorization/roleDefinitions/"+authorization.ReaderRoleID, nil)
	if err != nil || *root.ID != "/providers/Microsoft.Authorization/roleDefinitions/"+authorization.ReaderRoleID {
		t.Fatalf("get by tenant ID: %+v %v", root.RoleDefinition, err)
	}
	_, err = e.defs.Get(e.ctx, subID, "00000000-1111-2222-3333-444444444444", nil)
	wantCode(t, "unknown role", err, "RoleDefinitionDoesNotExist", http.StatusNotFound)

	// az 2.45 reads role definitions at 2018-01-01-preview with a name filter.
	r := e.s.Do(http.MethodGet, subID+"/providers/Microsoft.Authorization/roleDefinitions?$filter="+url.QueryEscape("roleName eq 'Reader'"), "2018-01-01-preview", nil)
	if r.Status != http.StatusOK || len(r.JSON()["value"].([]any)) != 1 {
		t.Fatalf("az list: %d %s", r.Status, r.Body)
	}
	r = e.s.Do(http.MethodGet, subID+"/providers/Microsoft.Authorization/roleDefinitions?$filter="+url.QueryEscape("permissions eq 'x'"), assignmentVersion, nil)
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "UnsupportedQuery" {
		t.Fatalf("bad filter: %d %s", r.Status, r.Body)
	}
	r = e.s.Do(http.MethodGet, subID+"/providers/Microsoft.Authorization/roleDefinitions", "2099-01-01", nil)
	if r.ErrorCode() != "NoRegisteredProviderFound" {
		t.Fatalf("bad version: %s", r.Body)
	}
	r = e.s.Do(http.MethodGet, subID+"/resourceGroups/providers/Microsoft.Authorization/roleDefinitions", assignmentVersion, nil)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("bad scope: %d %s", r.Status, r.Body)
	}
}

func customRole(name string, scopes []string, actions ...string) armauthorization.RoleDefinition {
	sc := make([]*string, len(scopes))
	for i := range scopes {
		sc[i] = to.Ptr(scopes[i])
	}
	acts := make([]*string, len(actions))
	for i := range actions {
		acts[i] = to.Ptr(actions[i])
	}
	return armauthorization.RoleDefinition{Properties: &armauthorization.RoleDefinitionProperties{
		RoleName: to.Ptr(name), Description: to.Ptr("test role"), RoleType: to.Ptr("CustomRole"),
		AssignableScopes: sc, Permissions: []*armauthorization.Permission{{Actions: acts}},
	}}
}

func TestRoleDefinitionsCustom(t *testing.T) {
	e := start(t)
	const joiner = "5b1d0a11-0000-4000-8000-00000000a001"
	created, err := e.defs.CreateOrUpdate(e.ctx, subID, joiner,
		customRole("Subnet Joiner", []string{subID}, "Microsoft.Network/virtualNetworks/subnets/join/action"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := created.Properties
	if *created.ID != roleID(joiner) || *p.RoleType != "CustomRole" || *p.RoleName != "Subnet Joiner" ||
		len(p.Permissions) != 1 || *p.Permissions[0].Actions[0] != "Microsoft.Network/virtualNetworks/subnets/join/action" {
		t.Fatalf("created: %+v", p)
	}
	got, err := e.defs.Get(e.ctx, subID, joiner, nil)
	if err != nil || *got.Properties.RoleName != "Subnet Joiner" {
		t.Fatalf("get: %+v %v", got.RoleDefinition, err)
	}
	if cs := e.listDefinitions(t, subID, "type eq 'CustomRole'"); len(cs) != 1 || *cs[0].Name != joiner {
		t.Fatalf("custom at subscription: %v", cs)
	}
	if cs := e.listDefinitions(t, netRG, "roleName eq 'Subnet Joiner'"); len(cs) != 1 {
		t.Fatalf("custom below its assignable scope: %v", cs)
	}
	// Update (Azure answers 201 again): creation time kept.
	times := func() (string, string) {
		t.Helper()
		r := e.s.Do(http.MethodGet, roleID(joiner), assignmentVersion, nil)
		props, _ := r.JSON()["properties"].(map[string]any)
		c, _ := props["createdOn"].(string)
		u, _ := props["updatedOn"].(string)
		if c == "" || u == "" {
			t.Fatalf("timestamps: %s", r.Body)
		}
		return c, u
	}
	created1, _ := times()
	time.Sleep(5 * time.Millisecond)
	upd, err := e.defs.CreateOrUpdate(e.ctx, subID, joiner,
		customRole("Subnet Joiner v2", []string{subID}, "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/virtualNetworks/read"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if created2, updated2 := times(); created2 != created1 || updated2 == created1 || len(upd.Properties.Permissions[0].Actions) != 2 {
		t.Fatalf("update: %s %s %+v", created2, updated2, upd.Properties)
	}

	// A role assignable at one resource group only.
	const rgRole = "5b1d0a11-0000-4000-8000-00000000a002"
	if _, err := e.defs.CreateOrUpdate(e.ctx, subID, rgRole, customRole("Net RG reader", []string{netRG}, "*/read"), nil); err != nil {
		t.Fatal(err)
	}
	if cs := e.listDefinitions(t, subID, "type eq 'CustomRole'"); len(cs) != 1 {
		t.Fatalf("a resource group role is listed at the subscription: %d", len(cs))
	}
	if cs := e.listDefinitions(t, netRG, "type eq 'CustomRole'"); len(cs) != 2 {
		t.Fatalf("custom roles at net-rg: %d", len(cs))
	}
	if _, err := e.assign(netRG, e.guid(), principalA, roleID(rgRole)); err != nil {
		t.Fatal(err)
	}
	_, err = e.assign(appRG, e.guid(), principalA, roleID(rgRole))
	wantCode(t, "role outside its assignable scopes", err, "RoleDefinitionDoesNotExist", http.StatusBadRequest)

	// Validation.
	cases := []struct {
		what   string
		guid   string
		role   armauthorization.RoleDefinition
		code   string
		status int
	}{
		{"same name", "5b1d0a11-0000-4000-8000-00000000a003", customRole("subnet joiner v2", []string{subID}, "*/read"), "RoleDefinitionWithSameNameExists", http.StatusConflict},
		{"built-in name", "5b1d0a11-0000-4000-8000-00000000a003", customRole("Owner", []string{subID}, "*/read"), "RoleDefinitionWithSameNameExists", http.StatusConflict},
		{"built-in id", authorization.ReaderRoleID, customRole("My Reader", []string{subID}, "*/read"), "RoleDefinitionExists", http.StatusConflict},
		{"empty name", "5b1d0a11-0000-4000-8000-00000000a003", customRole("", []string{subID}, "*/read"), "RoleDefinitionNameNullOrEmpty", http.StatusBadRequest},
		{"no scopes", "5b1d0a11-0000-4000-8000-00000000a003", customRole("x", nil, "*/read"), "MissingAssignableScopes", http.StatusBadRequest},
		{"invalid scope", "5b1d0a11-0000-4000-8000-00000000a003", customRole("x", []string{"Invalid_Scope"}, "*/read"), "LinkedInvalidPropertyId", http.StatusBadRequest},
		{"root scope", "5b1d0a11-0000-4000-8000-00000000a003", customRole("x", []string{"/"}, "*/read"), "LinkedInvalidPropertyId", http.StatusBadRequest},
		{"bad action", "5b1d0a11-0000-4000-8000-00000000a003", customRole("x", []string{subID}, "read everything"), "InvalidActionOrNotAction", http.StatusBadRequest},
		{"not a guid", "my-role", customRole("x", []string{subID}, "*/read"), "InvalidRoleDefinitionId", http.StatusBadRequest},
	}
	for _, c := range cases {
		_, err := e.defs.CreateOrUpdate(e.ctx, subID, c.guid, c.role, nil)
		wantCode(t, c.what, err, c.code, c.status)
	}
	builtinType := customRole("x", []string{subID}, "*/read")
	builtinType.Properties.RoleType = to.Ptr("BuiltInRole")
	_, err = e.defs.CreateOrUpdate(e.ctx, subID, "5b1d0a11-0000-4000-8000-00000000a003", builtinType, nil)
	wantCode(t, "type BuiltInRole", err, "InvalidRoleDefinitionType", http.StatusBadRequest)

	// A role in use cannot be deleted.
	_, err = e.defs.Delete(e.ctx, subID, rgRole, nil)
	wantCode(t, "delete in use", err, "RoleDefinitionHasAssignments", http.StatusConflict)
	del, err := e.defs.Delete(e.ctx, subID, joiner, nil)
	if err != nil || *del.Name != joiner {
		t.Fatalf("delete: %+v %v", del.RoleDefinition, err)
	}
	r := e.s.Do(http.MethodDelete, subID+"/providers/Microsoft.Authorization/roleDefinitions/"+joiner, assignmentVersion, nil)
	if r.Status != http.StatusNoContent {
		t.Fatalf("second delete: %d", r.Status)
	}
	_, err = e.defs.Get(e.ctx, subID, joiner, nil)
	wantCode(t, "get deleted", err, "RoleDefinitionDoesNotExist", http.StatusNotFound)
	if _, err := e.defs.Get(e.ctx, subID, authorization.ReaderRoleID, nil); err != nil {
		t.Fatalf("built-in after delete: %v", err)
	}
}

func TestRoleAssignmentsSDK(t *testing.T) {
	e := start(t)
	nc := roleID(authorization.NetworkContributorRoleID)
	reader := roleID(authorization.ReaderRoleID)

	atSub, atRG, atRes := e.guid(), e.guid(), e.guid()
	created, err := e.assign(subID, atSub, principalA, reader)
	if err != nil {
		t.Fatal(err)
	}
	p := created.Properties
	if *created.ID != subID+"/providers/Microsoft.Authorization/roleAssignments/"+atSub || *created.Type != authorization.AssignmentType ||
		*p.Scope != subID || *p.RoleDefinitionID != reader || *p.PrincipalID != principalA ||
		*p.PrincipalType != armauthorization.PrincipalTypeServicePrincipal || p.CreatedOn == nil || p.UpdatedOn == nil {
		t.Fatalf("at subscription: %+v", created.RoleAssignment)
	}
	// The tenant form of a built-in role ID is accepted and answered in the
	// subscription form.
	if c, err := e.assign(netRG, atRG, principalA, "/providers/Microsoft.Authorization/roleDefinitions/"+authorization.NetworkContributorRoleID); err != nil || *c.Properties.RoleDefinitionID != nc || *c.Properties.Scope != netRG {
		t.Fatalf("at resource group: %+v %v", c.RoleAssignment, err)
	}
	if c, err := e.assign(identityID, atRes, principalB, reader); err != nil || *c.Properties.Scope != identityID {
		t.Fatalf("at resource: %+v %v", c.RoleAssignment, err)
	}
	other := e.guid()
	if _, err := e.assign(appRG, other, principalB, nc); err != nil {
		t.Fatal(err)
	}

	got, err := e.asgs.Get(e.ctx, netRG, atRG, nil)
	if err != nil || *got.Properties.PrincipalID != principalA {
		t.Fatalf("get: %+v %v", got.RoleAssignment, err)
	}
	byID, err := e.asgs.GetByID(e.ctx, identityID+"/providers/Microsoft.Authorization/roleAssignments/"+atRes, nil)
	if err != nil || *byID.Name != atRes {
		t.Fatalf("get by id: %+v %v", byID.RoleAssignment, err)
	}

	list := func(pager interface{ More() bool }, next func() ([]*armauthorization.RoleAssignment, error)) []string {
		var all []*armauthorization.RoleAssignment
		for pager.More() {
			v, err := next()
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, v...)
		}
		return names(all)
	}
	forScope := func(scope, filter string) []string {
		var opts *armauthorization.RoleAssignmentsClientListForScopeOptions
		if filter != "" {
			opts = &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr(filter)}
		}
		pager := e.asgs.NewListForScopePager(scope, opts)
		return list(pager, func() ([]*armauthorization.RoleAssignment, error) {
			pg, err := pager.NextPage(e.ctx)
			return pg.Value, err
		})
	}
	sorted := func(s ...string) []string { sort.Strings(s); return s }
	eq := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	eq("net-rg atScope()", forScope(netRG, "atScope()"), sorted(atSub, atRG))
	eq("subscription atScope()", forScope(subID, "atScope()"), sorted(atSub))
	eq("identity atScope()", forScope(identityID, "atScope()"), sorted(atSub, other, atRes))
	eq("app-rg, no filter", forScope(appRG, ""), sorted(atSub, atRes, other))
	eq("identity, no filter", forScope(identityID, ""), sorted(atSub, other, atRes))

	subPager := e.asgs.NewListForSubscriptionPager(nil)
	eq("subscription", list(subPager, func() ([]*armauthorization.RoleAssignment, error) {
		pg, err := subPager.NextPage(e.ctx)
		return pg.Value, err
	}), sorted(atSub, atRG, atRes, other))
	rgPager := e.asgs.NewListForResourceGroupPager("net-rg", nil)
	eq("resource group net-rg", list(rgPager, func() ([]*armauthorization.RoleAssignment, error) {
		pg, err := rgPager.NextPage(e.ctx)
		return pg.Value, err
	}), sorted(atSub, atRG))
	resPager := e.asgs.NewListForResourcePager("app-rg", "Microsoft.ManagedIdentity", "userAssignedIdentities", "cluster-identity", nil)
	eq("resource", list(resPager, func() ([]*armauthorization.RoleAssignment, error) {
		pg, err := resPager.NextPage(e.ctx)
		return pg.Value, err
	}), sorted(atSub, other, atRes))

	// Principal filters (az sends them unencoded, as the SDK does).
	byPrincipal := func(scope, filter string) []string {
		t.Helper()
		r := e.s.Do(http.MethodGet, scope+"/providers/Microsoft.Authorization/roleAssignments?$filter="+url.QueryEscape(filter), "2020-04-01-preview", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", filter, r.Status, r.Body)
		}
		var out []string
		for _, v := range r.JSON()["value"].([]any) {
			out = append(out, v.(map[string]any)["name"].(string))
		}
		sort.Strings(out)
		return out
	}
	eq("principalId eq B at subscription", byPrincipal(subID, "principalId eq '"+principalB+"'"), sorted(atRes, other))
	eq("assignedTo(A) at net-rg", byPrincipal(netRG, "assignedTo('"+principalA+"')"), sorted(atSub, atRG))
	eq("atScope() and assignedTo(B) at app-rg", byPrincipal(appRG, "atScope() and assignedTo('"+principalB+"')"), sorted(other))
	r := e.s.Do(http.MethodGet, subID+"/providers/Microsoft.Authorization/roleAssignments?$filter="+url.QueryEscape("atScope() and principalId eq '"+principalA+"'"), assignmentVersion, nil)
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "UnsupportedQuery" {
		t.Fatalf("unsupported filter: %d %s", r.Status, r.Body)
	}

	// Conflicts and validation.
	_, err = e.assign(netRG, e.guid(), principalA, nc)
	wantCode(t, "duplicate", err, "RoleAssignmentExists", http.StatusConflict)
	if again, err := e.assign(netRG, atRG, principalA, nc); err != nil || !again.Properties.CreatedOn.Equal(*got.Properties.CreatedOn) {
		t.Fatalf("idempotent PUT: %+v %v", again.RoleAssignment, err)
	}
	_, err = e.assign(netRG, atRG, principalB, nc)
	wantCode(t, "change principal", err, "RoleAssignmentUpdateNotPermitted", http.StatusBadRequest)
	_, err = e.assign(netRG, "not-a-guid", principalA, reader)
	wantCode(t, "bad name", err, "InvalidRoleAssignmentId", http.StatusBadRequest)
	_, err = e.asgs.Get(e.ctx, netRG, "not-a-guid", nil)
	wantCode(t, "get bad name", err, "InvalidRoleAssignmentId", http.StatusBadRequest)
	_, err = e.asgs.Delete(e.ctx, netRG, "not-a-guid", nil)
	wantCode(t, "delete bad name", err, "InvalidRoleAssignmentId", http.StatusBadRequest)
	_, err = e.assign(netRG, e.guid(), "User", reader)
	wantCode(t, "bad principal", err, "InvalidPrincipalId", http.StatusBadRequest)
	_, err = e.assign(netRG, e.guid(), principalA, roleID("0b5fe924-9a61-425c-96af-cfe6e287ca2d"))
	wantCode(t, "unknown role", err, "RoleDefinitionDoesNotExist", http.StatusBadRequest)
	_, err = e.assign(subID+"/resourceGroups/missing", e.guid(), principalA, reader)
	wantCode(t, "missing group", err, "ResourceGroupNotFound", http.StatusNotFound)
	_, err = e.assign(appRG+"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/missing", e.guid(), principalA, reader)
	wantCode(t, "missing resource", err, "ResourceNotFound", http.StatusNotFound)
	_, err = e.asgs.Get(e.ctx, netRG, "0b5fe924-9a61-425c-96af-cfe6e287ca2d", nil)
	wantCode(t, "get missing", err, "RoleAssignmentNotFound", http.StatusNotFound)
	r = e.s.Do(http.MethodPut, netRG+"/providers/Microsoft.Authorization/roleAssignments/"+e.guid(), assignmentVersion,
		`{"properties":{"roleDefinitionId":"`+reader+`","principalId":"`+principalB+`","principalType":"Robot"}}`)
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "InvalidRequestContent" {
		t.Fatalf("bad principal type: %d %s", r.Status, r.Body)
	}
	r = e.s.Do(http.MethodPatch, netRG+"/providers/Microsoft.Authorization/roleAssignments/"+atRG, assignmentVersion, `{}`)
	if r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}

	// Delete answers 200 with the assignment, then 204.
	del, err := e.asgs.Delete(e.ctx, netRG, atRG, nil)
	if err != nil || del.ID == nil || *del.Name != atRG {
		t.Fatalf("delete: %+v %v", del.RoleAssignment, err)
	}
	delByID, err := e.asgs.DeleteByID(e.ctx, netRG+"/providers/Microsoft.Authorization/roleAssignments/"+atRG, nil)
	if err != nil || delByID.ID != nil {
		t.Fatalf("second delete: %+v %v", delByID.RoleAssignment, err)
	}
	// The assignment can now be made under another name.
	if _, err := e.assign(netRG, e.guid(), principalA, nc); err != nil {
		t.Fatal(err)
	}

	// Assignments go with their scope.
	r = e.s.Do(http.MethodDelete, identityID, "2024-11-30", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("delete identity: %d", r.Status)
	}
	_, err = e.asgs.Get(e.ctx, identityID, atRes, nil)
	wantCode(t, "assignment of a deleted resource", err, "RoleAssignmentNotFound", http.StatusNotFound)
	subPager = e.asgs.NewListForSubscriptionPager(nil)
	for _, n := range list(subPager, func() ([]*armauthorization.RoleAssignment, error) {
		pg, err := subPager.NextPage(e.ctx)
		return pg.Value, err
	}) {
		if n == atRes {
			t.Fatalf("the assignment of the deleted identity is still listed")
		}
	}
}

// TestRoleAssignmentGolden compares the PUT of Azure's example with the
// example's 201 body.
func TestRoleAssignmentGolden(t *testing.T) {
	e := start(t)
	for _, c := range []struct{ file, scope string }{
		{"RoleAssignments_CreateForResourceGroup.json", netRG},
		{"RoleAssignments_CreateForResource.json", identityID},
	} {
		raw, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		var ex struct {
			Parameters struct {
				Name       string          `json:"roleAssignmentName"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"parameters"`
			Responses map[string]struct {
				Body map[string]any `json:"body"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(raw, &ex); err != nil {
			t.Fatal(err)
		}
		// The example's role (0b5fe924-...) is not a built-in privlink
		// knows: use Reader with the example's principal.
		body := strings.ReplaceAll(string(ex.Parameters.Parameters), "0b5fe924-9a61-425c-96af-cfe6e287ca2d", authorization.ReaderRoleID)
		body = strings.ReplaceAll(body, "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2", armtest.Subscription)
		id := c.scope + "/providers/Microsoft.Authorization/roleAssignments/" + ex.Parameters.Name
		r := e.s.Do(http.MethodPut, id, assignmentVersion, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: %d %s", c.file, r.Status, r.Body)
		}
		got, want := r.JSON(), ex.Responses["201"].Body
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: missing %s", c.file, k)
			}
		}
		if got["id"] != id || got["name"] != want["name"] || got["type"] != want["type"] {
			t.Errorf("%s: %v", c.file, got)
		}
		gp, wp := got["properties"].(map[string]any), want["properties"].(map[string]any)
		for k, wv := range wp {
			gv, ok := gp[k]
			switch {
			case !ok:
				t.Errorf("%s: missing properties.%s", c.file, k)
			case k == "roleDefinitionId":
				if !strings.HasSuffix(gv.(string), "/"+authorization.ReaderRoleID) || !strings.HasPrefix(gv.(string), subID+"/") {
					t.Errorf("%s: roleDefinitionId %v", c.file, gv)
				}
			case k == "scope":
				if gv != c.scope {
					t.Errorf("%s: scope %v", c.file, gv)
				}
			case gv != wv:
				t.Errorf("%s: properties.%s = %v, want %v", c.file, k, gv, wv)
			}
		}
		for _, k := range []string{"condition", "conditionVersion", "description", "delegatedManagedIdentityResourceId", "createdBy", "updatedBy"} {
			if v, ok := gp[k]; !ok || v != nil {
				t.Errorf("%s: properties.%s = %v, want null", c.file, k, v)
			}
		}
		for _, k := range []string{"createdOn", "updatedOn"} {
			if _, err := time.Parse(time.RFC3339Nano, gp[k].(string)); err != nil {
				t.Errorf("%s: %s: %v", c.file, k, err)
			}
		}
	}

	// RoleAssignments_Get: an assignment at the subscription read back.
	raw, err := os.ReadFile("testdata/RoleAssignments_Get.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters struct {
			Name string `json:"roleAssignmentName"`
		} `json:"parameters"`
		Responses map[string]struct {
			Body map[string]any `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	want := ex.Responses["200"].Body
	if _, err := e.assign(subID, ex.Parameters.Name, "ce2ce14e-85d7-4629-bdbc-454d0519d987", roleID(authorization.ReaderRoleID)); err != nil {
		t.Fatal(err)
	}
	r := e.s.Do(http.MethodGet, subID+"/providers/Microsoft.Authorization/roleAssignments/"+ex.Parameters.Name, "2020-10-01-preview", nil)
	got := r.JSON()
	if r.Status != http.StatusOK || got["name"] != want["name"] || got["type"] != want["type"] ||
		got["id"] != strings.ReplaceAll(want["id"].(string), "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2", armtest.Subscription) {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	gp := got["properties"].(map[string]any)
	for k := range want["properties"].(map[string]any) {
		if _, ok := gp[k]; !ok {
			t.Errorf("RoleAssignments_Get: missing properties.%s", k)
		}
	}
	if gp["scope"] != subID || gp["principalId"] != "ce2ce14e-85d7-4629-bdbc-454d0519d987" {
		t.Errorf("RoleAssignments_Get: %v", gp)
	}
}
