package connectedmachine

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const scopePath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/scope1"

func scopeBody(pna string) map[string]any {
	return map[string]any{
		"id":   "/subscriptions/" + clitest.SubscriptionID + "/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes/scope1",
		"name": "scope1", "type": "Microsoft.HybridCompute/privateLinkScopes", "location": "eastus",
		"properties": map[string]any{"publicNetworkAccess": pna, "privateLinkScopeId": "e5dc51d3-92ed-4d7e-947a-775ea79b4919",
			"provisioningState": "Succeeded", "privateEndpointConnections": []any{}},
	}
}

func TestCreateShowUpdate(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", scopePath, 200, scopeBody("Disabled"))
	out := f.Run(Groups(), "connectedmachine", "private-link-scope", "create", "-g", "rg", "--scope-name", "scope1",
		"-l", "eastus", "--public-network-access", "disabled").Expect(t, 0).Object(t)
	put := f.Last("PUT")
	if put.APIVersion() != APIVersion {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	want := map[string]any{"location": "eastus", "properties": map[string]any{"publicNetworkAccess": "Disabled"}}
	if !reflect.DeepEqual(put.JSON(), want) {
		t.Errorf("body = %v", put.JSON())
	}
	if p, _ := out["properties"].(map[string]any); p["privateLinkScopeId"] == nil {
		t.Errorf("output keeps the REST shape: %v", out)
	}

	f.JSON("GET", scopePath, 200, scopeBody("Disabled"))
	f.JSON("PUT", scopePath, 200, scopeBody("Enabled"))
	f.Run(Groups(), "connectedmachine", "private-link-scope", "update", "-g", "rg", "-n", "scope1", "--public-network-access", "Enabled").Expect(t, 0)
	if got := f.Last("PUT").JSON()["properties"].(map[string]any)["publicNetworkAccess"]; got != "Enabled" {
		t.Errorf("update body = %v", f.Last("PUT").JSON())
	}
	f.Run(Groups(), "connectedmachine", "private-link-scope", "create", "-g", "rg", "-n", "scope1", "-l", "eastus",
		"--public-network-access", "Sometimes").Expect(t, 2)
}

func TestShowMissingExits3AndDelete(t *testing.T) {
	f := clitest.New(t)
	f.Error("GET", scopePath, http.StatusNotFound, "ResourceNotFound", "The Resource 'privateLinkScopes/scope1' under resource group 'rg' was not found.")
	r := f.Run(Groups(), "connectedmachine", "private-link-scope", "show", "-g", "rg", "-n", "scope1").Expect(t, 3)
	if r.Stderr == "" {
		t.Error("no error printed")
	}
	f.JSON("DELETE", scopePath, 200, nil)
	f.Run(Groups(), "connectedmachine", "private-link-scope", "delete", "-g", "rg", "-n", "scope1", "--yes").Expect(t, 0)
	if len(f.Find("DELETE", scopePath)) != 1 {
		t.Errorf("requests = %v", f.Summary())
	}
	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.HybridCompute/privateLinkScopes", 200,
		map[string]any{"value": []any{scopeBody("Disabled")}})
	if l := f.Run(Groups(), "connectedmachine", "private-link-scope", "list", "-g", "rg").Expect(t, 0).List(t); len(l) != 1 {
		t.Errorf("list = %v", l)
	}
}
