package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sub = clitest.SubscriptionID

// TestSeedCommands runs the az commands of seeds 000 and 001 that belong to
// these groups, verbatim, against a fake ARM.
func TestSeedCommands(t *testing.T) {
	f := clitest.New(t)
	feature := func(name, state string) map[string]any {
		return map[string]any{
			"id":         "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/" + name,
			"name":       "Microsoft.ContainerService/" + name,
			"properties": map[string]any{"state": state},
			"type":       "Microsoft.Features/providers/features",
		}
	}
	fp := "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/"
	f.JSON("POST", fp+"AKSPrivateLinkPreview/register", 200, feature("AKSPrivateLinkPreview", "Registering"))
	f.JSON("POST", fp+"EnableAPIServerVnetIntegrationPreview/register", 200, feature("EnableAPIServerVnetIntegrationPreview", "Registering"))
	f.JSON("GET", fp+"EnableAPIServerVnetIntegrationPreview", 200, feature("EnableAPIServerVnetIntegrationPreview", "Registered"))
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Features/features", 200, map[string]any{"value": []any{
		feature("AKSPrivateLinkPreview", "Registered"), feature("EnableAPIServerVnetIntegrationPreview", "Registered"),
	}})
	f.JSON("POST", "/subscriptions/{sub}/providers/*/register", 200, map[string]any{"registrationState": "Registered"})
	f.Handle("PUT", "/subscriptions/{sub}/resourcegroups/*", func(w http.ResponseWriter, r *http.Request, body []byte) {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		clitest.WriteJSON(w, 201, map[string]any{
			"id": "/subscriptions/" + sub + "/resourceGroups/" + name, "name": name, "location": "westus2",
			"properties": map[string]any{"provisioningState": "Succeeded"}, "type": "Microsoft.Resources/resourceGroups",
		})
	})
	f.JSON("PUT", "/subscriptions/{sub}/resourceGroups/myrg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid", 201, map[string]any{
		"id": "/subscriptions/" + sub + "/resourcegroups/myrg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/myid", "name": "myid",
		"location": "westus2", "properties": map[string]any{"clientId": "c1c1c1c1-0000-0000-0000-000000000000", "principalId": "p1p1p1p1-0000-0000-0000-000000000000"},
	})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities", 200, map[string]any{"value": []any{
		map[string]any{"name": "myid", "properties": map[string]any{"clientId": "c1c1c1c1-0000-0000-0000-000000000000", "principalId": "p1p1p1p1-0000-0000-0000-000000000000"}},
	}})
	subnet := "/subscriptions/" + sub + "/resourceGroups/myrg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/apiserver"
	f.JSON("GET", subnet+"/providers/Microsoft.Authorization/roleDefinitions", 200, map[string]any{"value": []any{
		map[string]any{"id": "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
			"name": "4d97b98b-1d4f-4787-a291-c67834d212e7", "properties": map[string]any{"roleName": "Network Contributor"}},
	}})
	f.Handle("PUT", subnet+"/providers/Microsoft.Authorization/roleAssignments/*", func(w http.ResponseWriter, r *http.Request, body []byte) {
		req := clitest.Request{Body: body}
		clitest.WriteJSON(w, 201, map[string]any{"id": r.URL.Path, "properties": req.JSON()["properties"]})
	})

	seed := [][]string{
		{"extension", "add", "--name", "aks-preview"},
		{"extension", "update", "--name", "aks-preview"},
		{"feature", "register", "--name", "AKSPrivateLinkPreview", "--namespace", "Microsoft.ContainerService"},
		{"feature", "list", "-o", "table", "--query", "[?contains(name, 'Microsoft.ContainerService/AKSPrivateLinkPreview')].{Name:name,State:properties.state}"},
		{"provider", "register", "--namespace", "Microsoft.ContainerService"},
		{"provider", "register", "--namespace", "Microsoft.Network"},
		{"group", "create", "-n", "zjPrivateLink", "-l", "westus2"},
		{"feature", "register", "--namespace", "Microsoft.ContainerService", "--name", "EnableAPIServerVnetIntegrationPreview"},
		{"feature", "show", "--namespace", "Microsoft.ContainerService", "--name", "EnableAPIServerVnetIntegrationPreview"},
		{"group", "create", "-l", "westus2", "-n", "myrg"},
		{"identity", "create", "-g", "myrg", "-n", "myid", "-l", "westus2"},
		{"role", "assignment", "create", "--scope", subnet, "--role", "Network Contributor", "--assignee", "c1c1c1c1-0000-0000-0000-000000000000"},
	}
	for _, args := range seed {
		res := f.Run(Groups(), args...)
		if res.Code != 0 {
			t.Errorf("az %s: exit %d\n%s", strings.Join(args, " "), res.Code, res.Stderr)
		}
	}
	ra := f.Last("PUT").JSON()["properties"].(map[string]any)
	if ra["principalId"] != "p1p1p1p1-0000-0000-0000-000000000000" {
		t.Errorf("role assignment = %v", ra)
	}
	v := f.Run(Groups(), "version").Expect(t, 0).Object(t)
	if v["azure-cli"] != "2.45.0" || v["extensions"].(map[string]any)["aks-preview"] == nil {
		t.Errorf("version = %v", v)
	}
}

func TestRunEntryPoint(t *testing.T) {
	clitest.New(t)
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"extension", "list"}, Streams{Out: &out, Err: &errb})
	if code != 0 || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("code %d out %q err %q", code, out.String(), errb.String())
	}
	code = Run(context.Background(), []string{"nosuchgroup"}, Streams{Out: &out, Err: &errb})
	if code != 2 {
		t.Errorf("unknown group exit %d", code)
	}
	out.Reset()
	if code := Run(context.Background(), nil, Streams{Out: &out}); code != 0 || !strings.Contains(out.String(), "group") {
		t.Errorf("root help: %d %s", code, out.String())
	}
}
