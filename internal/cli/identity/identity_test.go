package identity

import (
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sub = clitest.SubscriptionID

func identityBody(rg, name string) map[string]any {
	return map[string]any{
		"id":       "/subscriptions/" + sub + "/resourcegroups/" + rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name,
		"name":     name,
		"type":     "Microsoft.ManagedIdentity/userAssignedIdentities",
		"location": "westus2",
		"properties": map[string]any{
			"clientId":    "4024ab25-56a8-4370-aea6-6389221caf29",
			"principalId": "25cc773c-7f05-40fc-a104-32d2300754ad",
			"tenantId":    clitest.TenantID,
			// a newer api-version's property the 2023-01-31 model lacks
			"isolationScope": "None",
		},
	}
}

func TestCreateDefaultsLocationToResourceGroup(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, map[string]any{"name": "rg", "location": "westus2"})
	f.JSON("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid", 201, identityBody("rg", "myid"))
	res := f.Run(Groups(), "identity", "create", "-g", "rg", "-n", "myid", "--tags", "a=b").Expect(t, 0)

	put := f.Last("PUT")
	if put.APIVersion() != "2023-01-31" {
		t.Errorf("api-version = %s", put.APIVersion())
	}
	want := map[string]any{"location": "westus2", "tags": map[string]any{"a": "b"}}
	if !reflect.DeepEqual(put.JSON(), want) {
		t.Errorf("body = %v", put.JSON())
	}
	out := res.Object(t)
	if out["clientId"] != "4024ab25-56a8-4370-aea6-6389221caf29" || out["principalId"] == nil || out["resourceGroup"] != "rg" {
		t.Errorf("output = %v", out)
	}
	if _, ok := out["properties"]; ok {
		t.Errorf("properties should be flattened: %v", out)
	}
	if _, ok := out["isolationScope"]; ok {
		t.Errorf("az's 2023-01-31 model has no isolationScope: %v", out)
	}
	if _, ok := out["systemData"]; !ok {
		t.Errorf("model field systemData missing: %v", out)
	}
	// clientId is what the seeds feed to role assignment create --assignee
	res = f.Run(Groups(), "identity", "create", "-g", "rg", "-n", "myid", "-l", "westus2", "--query", "clientId", "-o", "json").Expect(t, 0)
	if res.JSON(t) != "4024ab25-56a8-4370-aea6-6389221caf29" {
		t.Errorf("--query clientId = %s", res.Stdout)
	}
	if n := len(f.Find("GET", "/subscriptions/{sub}/resourcegroups/rg")); n != 1 {
		t.Errorf("with -l the resource group must not be read; GETs = %d", n)
	}
}

func TestShowListDelete(t *testing.T) {
	f := clitest.New(t)
	p := "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid"
	f.JSON("GET", p, 200, identityBody("rg", "myid"))
	f.Run(Groups(), "identity", "show", "-g", "rg", "-n", "myid").Expect(t, 0)

	id := "/subscriptions/" + sub + "/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid"
	res := f.Run(Groups(), "identity", "show", "--ids", id).Expect(t, 0)
	if res.Object(t)["name"] != "myid" {
		t.Errorf("show --ids = %s", res.Stdout)
	}

	f.Error("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gone", 404,
		"ResourceNotFound", "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/gone' under resource group 'rg' was not found.")
	f.Run(Groups(), "identity", "show", "-g", "rg", "-n", "gone").Expect(t, 3)

	res = f.Run(Groups(), "identity", "show", "-g", "rg").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: (--name | --ids) are required") {
		t.Errorf("stderr = %s", res.Stderr)
	}

	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities", 200,
		map[string]any{"value": []any{identityBody("rg", "myid")}})
	list := f.Run(Groups(), "identity", "list", "-g", "rg").Expect(t, 0).List(t)
	if len(list) != 1 || list[0].(map[string]any)["clientId"] == nil {
		t.Errorf("list = %v", list)
	}
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", 200,
		map[string]any{"value": []any{identityBody("rg", "myid"), identityBody("rg2", "other")}})
	if list := f.Run(Groups(), "identity", "list").Expect(t, 0).List(t); len(list) != 2 {
		t.Errorf("subscription list = %v", list)
	}

	f.JSON("DELETE", p, 200, nil)
	res = f.Run(Groups(), "identity", "delete", "-g", "rg", "-n", "myid").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("delete printed %q", res.Stdout)
	}
	if api := f.Last("DELETE").APIVersion(); api != APIVersion {
		t.Errorf("api-version = %s", api)
	}
}

func TestCreateRequiresName(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "identity", "create", "-g", "rg").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --name/-n") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}
