package authorization_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/authorization"
)

// wantForbidden checks err is Azure's AuthorizationFailed for the triple.
func wantForbidden(t *testing.T, err error, principal, action, scope string) {
	t.Helper()
	var ae *arm.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%s on %s for %s: %v, want AuthorizationFailed", action, scope, principal, err)
	}
	want := "The client '" + principal + "' with object id '" + principal + "' does not have authorization to perform action '" + action +
		"' over scope '" + scope + "' or the scope is invalid. If access was recently granted, please refresh your credentials."
	if ae.Status != http.StatusForbidden || ae.Code != "AuthorizationFailed" || ae.Message != want {
		t.Fatalf("got %d %s %q", ae.Status, ae.Code, ae.Message)
	}
}

func TestAuthorizerSubnetJoin(t *testing.T) {
	e := start(t)
	p := e.s.Platform
	if _, ok := p.Authorizer.(*authorization.Authorizer); !ok {
		t.Fatalf("Register did not install the Authorizer: %T", p.Authorizer)
	}
	const join = "Microsoft.Network/virtualNetworks/subnets/join/action"
	subnet := netRG + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"
	otherSubnet := appRG + "/providers/Microsoft.Network/virtualNetworks/vnet2/subnets/aks"

	wantForbidden(t, authorization.Require(e.ctx, p, principalA, join, subnet), principalA, join, subnet)
	ncName := e.guid()
	if _, err := e.assign(netRG, ncName, principalA, roleID(authorization.NetworkContributorRoleID)); err != nil {
		t.Fatal(err)
	}
	if err := authorization.Require(e.ctx, p, principalA, join, subnet); err != nil {
		t.Fatalf("Network Contributor on net-rg: %v", err)
	}
	if err := authorization.Require(e.ctx, p, principalA, join, "/SUBSCRIPTIONS/"+subID[len("/subscriptions/"):]+"/resourcegroups/NET-RG/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks"); err != nil {
		t.Fatalf("scope casing: %v", err)
	}
	wantForbidden(t, authorization.Require(e.ctx, p, principalA, join, otherSubnet), principalA, join, otherSubnet)
	wantForbidden(t, authorization.Require(e.ctx, p, principalB, join, subnet), principalB, join, subnet)
	ok, err := p.Authorizer.Allowed(principalA, join, subnet)
	if err != nil || !ok {
		t.Fatalf("Allowed: %v %v", ok, err)
	}

	// Reader at the subscription reads everywhere but joins nothing.
	if _, err := e.assign(subID, e.guid(), principalB, roleID(authorization.ReaderRoleID)); err != nil {
		t.Fatal(err)
	}
	if err := authorization.Require(e.ctx, p, principalB, "Microsoft.Network/virtualNetworks/read", otherSubnet); err != nil {
		t.Fatalf("Reader read: %v", err)
	}
	wantForbidden(t, authorization.Require(e.ctx, p, principalB, join, subnet), principalB, join, subnet)

	// A custom role assigned on one resource covers that resource only.
	const assign = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
	const operator = "5b1d0a11-0000-4000-8000-00000000b001"
	if _, err := e.defs.CreateOrUpdate(e.ctx, subID, operator, customRole("Identity assigner", []string{subID}, assign), nil); err != nil {
		t.Fatal(err)
	}
	otherIdentity := appRG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/other"
	wantForbidden(t, authorization.Require(e.ctx, p, principalB, assign, identityID), principalB, assign, identityID)
	if _, err := e.assign(identityID, e.guid(), principalB, roleID(operator)); err != nil {
		t.Fatal(err)
	}
	if err := authorization.Require(e.ctx, p, principalB, assign, identityID); err != nil {
		t.Fatalf("custom role at the identity: %v", err)
	}
	wantForbidden(t, authorization.Require(e.ctx, p, principalB, assign, otherIdentity), principalB, assign, otherIdentity)
	wantForbidden(t, authorization.Require(e.ctx, p, principalB, assign, appRG), principalB, assign, appRG)

	// Removing the assignment removes the access.
	_, err = e.asgs.Delete(e.ctx, netRG, ncName, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantForbidden(t, authorization.Require(e.ctx, p, principalA, join, subnet), principalA, join, subnet)

	// Without an Authorizer nothing is restricted.
	if err := authorization.Require(e.ctx, &arm.Platform{}, principalB, join, subnet); err != nil {
		t.Fatalf("no authorizer: %v", err)
	}
	if ok, err := p.Authorizer.Allowed(principalA, join, "not a scope"); ok || err != nil {
		t.Fatalf("invalid scope: %v %v", ok, err)
	}
}
