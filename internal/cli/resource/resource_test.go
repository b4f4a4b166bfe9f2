package resource

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sub = clitest.SubscriptionID

func rgBody(name, loc string, tags map[string]any) map[string]any {
	b := map[string]any{
		"id":         "/subscriptions/" + sub + "/resourceGroups/" + name,
		"name":       name,
		"type":       "Microsoft.Resources/resourceGroups",
		"location":   loc,
		"properties": map[string]any{"provisioningState": "Succeeded"},
	}
	if tags != nil {
		b["tags"] = tags
	}
	return b
}

func TestGroupCreate(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", "/subscriptions/{sub}/resourcegroups/zjPrivateLink", 201, rgBody("zjPrivateLink", "westus2", map[string]any{"env": "dev", "x": ""}))
	res := f.Run(Groups(), "group", "create", "-n", "zjPrivateLink", "-l", "westus2", "--tags", "env=dev", "x").Expect(t, 0)

	req := f.Last("PUT")
	if req.Path != "/subscriptions/"+sub+"/resourcegroups/zjPrivateLink" {
		t.Errorf("path = %s", req.Path)
	}
	if req.APIVersion() != "2021-04-01" {
		t.Errorf("api-version = %s", req.APIVersion())
	}
	want := map[string]any{"location": "westus2", "tags": map[string]any{"env": "dev", "x": ""}}
	if !reflect.DeepEqual(req.JSON(), want) {
		t.Errorf("body = %v, want %v", req.JSON(), want)
	}
	if got := req.Header.Get("CommandName"); got != "group create" {
		t.Errorf("CommandName = %q", got)
	}
	if got := req.Header.Get("ParameterSetName"); got != "-n -l --tags" {
		t.Errorf("ParameterSetName = %q", got)
	}
	out := res.Object(t)
	if out["name"] != "zjPrivateLink" || out["managedBy"] != nil {
		t.Errorf("output = %v", out)
	}
	if _, ok := out["managedBy"]; !ok {
		t.Errorf("output lacks the model field managedBy: %v", out)
	}
	if _, ok := out["resourceGroup"]; ok {
		t.Errorf("a resource group ID must not get a resourceGroup key: %v", out)
	}
}

func TestGroupCreateLocationFirstAndDisplayName(t *testing.T) {
	f := clitest.New(t)
	f.JSON("PUT", "/subscriptions/{sub}/resourcegroups/rg", 200, rgBody("rg", "westus2", nil))
	f.Run(Groups(), "group", "create", "-l", "West US 2", "--resource-group", "rg").Expect(t, 0)
	if got := f.Last("PUT").JSON()["location"]; got != "westus2" {
		t.Errorf("location = %v", got)
	}
}

func TestGroupCreateMissingArgs(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "create").Expect(t, 2)
	if !strings.Contains(res.Stderr, "ERROR: the following arguments are required: --location/-l, --name/-n/--resource-group/-g") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("no request expected, got %v", f.Summary())
	}
}

func TestGroupCreateUnknownFlag(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "create", "-n", "rg", "-l", "westus", "--bogus", "1").Expect(t, 2)
	if !strings.Contains(res.Stderr, "ERROR: unrecognized arguments: --bogus 1") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestGroupCreateDefaultLocationFromEnv(t *testing.T) {
	f := clitest.New(t)
	t.Setenv("AZURE_DEFAULTS_LOCATION", "eastus")
	f.JSON("PUT", "/subscriptions/{sub}/resourcegroups/rg", 201, rgBody("rg", "eastus", nil))
	f.Run(Groups(), "group", "create", "-n", "rg").Expect(t, 0)
	if got := f.Last("PUT").JSON()["location"]; got != "eastus" {
		t.Errorf("location = %v", got)
	}
}

func TestGroupShowNotFoundExit3(t *testing.T) {
	f := clitest.New(t)
	f.Error("GET", "/subscriptions/{sub}/resourcegroups/nope", 404, "ResourceGroupNotFound", "Resource group 'nope' could not be found.")
	res := f.Run(Groups(), "group", "show", "-n", "nope").Expect(t, 3)
	want := "ERROR: (ResourceGroupNotFound) Resource group 'nope' could not be found.\nCode: ResourceGroupNotFound\nMessage: Resource group 'nope' could not be found.\n"
	if res.Stderr != want {
		t.Errorf("stderr = %q, want %q", res.Stderr, want)
	}
	if res.Stdout != "" {
		t.Errorf("stdout = %q", res.Stdout)
	}
}

func TestGroupDeleteNotFoundExit1(t *testing.T) {
	f := clitest.New(t)
	f.Error("DELETE", "/subscriptions/{sub}/resourcegroups/nope", 404, "ResourceGroupNotFound", "Resource group 'nope' could not be found.")
	res := f.Run(Groups(), "group", "delete", "-n", "nope", "--yes").Expect(t, 1)
	if !strings.HasPrefix(res.Stderr, "ERROR: (ResourceGroupNotFound)") {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestGroupShowQuery(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, rgBody("rg", "westus2", nil))
	res := f.Run(Groups(), "group", "show", "-g", "rg", "--query", "location").Expect(t, 0)
	if got := res.JSON(t); got != "westus2" {
		t.Errorf("query result = %v", got)
	}
}

func TestGroupShowBadQueryIsUsageError(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "show", "-g", "rg", "--query", "[?").Expect(t, 2)
	if !strings.Contains(res.Stderr, "argument --query: invalid jmespath_type value: '[?'") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestGroupExists(t *testing.T) {
	f := clitest.New(t)
	f.Handle("HEAD", "/subscriptions/{sub}/resourcegroups/yes", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusNoContent)
	})
	f.Handle("HEAD", "/subscriptions/{sub}/resourcegroups/no", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusNotFound)
	})
	if got := f.Run(Groups(), "group", "exists", "-n", "yes").Expect(t, 0).JSON(t); got != true {
		t.Errorf("exists yes = %v", got)
	}
	if got := f.Run(Groups(), "group", "exists", "-n", "no").Expect(t, 0).JSON(t); got != false {
		t.Errorf("exists no = %v", got)
	}
	if api := f.Last("HEAD").APIVersion(); api != "2021-04-01" {
		t.Errorf("api-version = %s", api)
	}
}

func TestGroupListPagingAndTagFilter(t *testing.T) {
	f := clitest.New(t)
	page2 := f.URL("/subscriptions/{sub}/resourcegroups") + "?api-version=2021-04-01&$skiptoken=2"
	f.Handle("GET", "/subscriptions/{sub}/resourcegroups", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Query().Get("$skiptoken") == "2" {
			clitest.WriteJSON(w, 200, map[string]any{"value": []any{rgBody("b", "eastus", nil)}})
			return
		}
		clitest.WriteJSON(w, 200, map[string]any{"value": []any{rgBody("a", "westus", nil)}, "nextLink": page2})
	})
	res := f.Run(Groups(), "group", "list", "--tag", "env=dev").Expect(t, 0)
	list := res.List(t)
	if len(list) != 2 || list[0].(map[string]any)["name"] != "a" || list[1].(map[string]any)["name"] != "b" {
		t.Errorf("list = %v", list)
	}
	first := f.Find("GET", "/subscriptions/{sub}/resourcegroups")[0]
	if got := first.Query.Get("$filter"); got != "tagname eq 'env' and tagvalue eq 'dev'" {
		t.Errorf("$filter = %q", got)
	}
}

func TestGroupDeleteLRO(t *testing.T) {
	f := clitest.New(t)
	polls := 0
	f.Handle("DELETE", "/subscriptions/{sub}/resourcegroups/rg", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Location", f.URL("/subscriptions/{sub}/operationresults/op1?api-version=2021-04-01"))
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusAccepted)
	})
	f.Handle("GET", "/subscriptions/{sub}/operationresults/op1", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		polls++
		if polls < 3 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	res := f.Run(Groups(), "group", "delete", "-n", "rg", "-y").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("stdout = %q", res.Stdout)
	}
	if polls != 3 {
		t.Errorf("polls = %d", polls)
	}
	for _, d := range f.Sleeps() {
		if d.Seconds() != 1 {
			t.Errorf("sleep %v, want Retry-After 1s", d)
		}
	}
}

func TestGroupDeleteNoWait(t *testing.T) {
	f := clitest.New(t)
	f.Handle("DELETE", "/subscriptions/{sub}/resourcegroups/rg", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Location", f.URL("/subscriptions/{sub}/operationresults/op1"))
		w.WriteHeader(http.StatusAccepted)
	})
	f.Run(Groups(), "group", "delete", "-n", "rg", "--yes", "--no-wait").Expect(t, 0)
	if n := len(f.Find("GET", "/subscriptions/{sub}/operationresults/op1")); n != 0 {
		t.Errorf("--no-wait polled %d times", n)
	}
}

func TestGroupDeleteWithoutYesNoTTY(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "delete", "-n", "rg").Expect(t, 1)
	want := "WARNING: Unable to prompt for confirmation as no tty available. Use --yes.\nERROR: Operation cancelled.\n"
	if res.Stderr != want {
		t.Errorf("stderr = %q", res.Stderr)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("requests = %v", f.Summary())
	}
}

func TestGroupUpdateTags(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, rgBody("rg", "westus", map[string]any{"old": "1"}))
	f.Handle("PUT", "/subscriptions/{sub}/resourcegroups/rg", func(w http.ResponseWriter, r *http.Request, body []byte) {
		clitest.WriteJSON(w, 200, rgBody("rg", "westus", map[string]any{"a": "b", "owner": "me"}))
	})
	res := f.Run(Groups(), "group", "update", "-n", "rg", "--tags", "a=b", "--set", "tags.owner=me").Expect(t, 0)
	body := f.Last("PUT").JSON()
	want := map[string]any{"location": "westus", "tags": map[string]any{"a": "b", "owner": "me"}}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("PUT body = %v, want %v", body, want)
	}
	if res.Object(t)["tags"].(map[string]any)["owner"] != "me" {
		t.Errorf("output = %s", res.Stdout)
	}
}

func TestGroupWaitCreated(t *testing.T) {
	f := clitest.New(t)
	n := 0
	f.Handle("GET", "/subscriptions/{sub}/resourcegroups/rg", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		n++
		if n == 1 {
			clitest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"code": "ResourceGroupNotFound", "message": "x"}})
			return
		}
		clitest.WriteJSON(w, 200, rgBody("rg", "westus", nil))
	})
	f.Run(Groups(), "group", "wait", "-n", "rg", "--created", "--interval", "5").Expect(t, 0)
	if n != 2 {
		t.Errorf("GETs = %d", n)
	}
	if s := f.Sleeps(); len(s) != 1 || s[0].Seconds() != 5 {
		t.Errorf("sleeps = %v", s)
	}
}

func TestUnknownSubcommand(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "crate").Expect(t, 2)
	if !strings.HasPrefix(res.Stderr, "ERROR: 'crate' is misspelled or not recognized by the system.") ||
		!strings.Contains(res.Stderr, "create") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestGroupHelp(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "group", "create", "-h").Expect(t, 0)
	for _, s := range []string{"az group create", "--location -l", "[Required]", "--output -o", "Examples"} {
		if !strings.Contains(res.Stdout, s) {
			t.Errorf("help lacks %q:\n%s", s, res.Stdout)
		}
	}
	res = f.Run(Groups(), "group").Expect(t, 0)
	if !strings.Contains(res.Stdout, "Commands:") || !strings.Contains(res.Stdout, "create") {
		t.Errorf("group help:\n%s", res.Stdout)
	}
}

func TestFeatureRegister(t *testing.T) {
	f := clitest.New(t)
	p := "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview/register"
	f.JSON("POST", p, 200, map[string]any{
		"id":         "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/AKSPrivateLinkPreview",
		"name":       "Microsoft.ContainerService/AKSPrivateLinkPreview",
		"properties": map[string]any{"state": "Registering"},
		"type":       "Microsoft.Features/providers/features",
	})
	res := f.Run(Groups(), "feature", "register", "--name", "AKSPrivateLinkPreview", "--namespace", "Microsoft.ContainerService").Expect(t, 0)
	req := f.Last("POST")
	if req.APIVersion() != "2021-07-01" || !strings.HasSuffix(req.Path, "/features/AKSPrivateLinkPreview/register") {
		t.Errorf("request = %s %s", req.Path, req.APIVersion())
	}
	if got := res.Object(t)["properties"].(map[string]any)["state"]; got != "Registering" {
		t.Errorf("state = %v", got)
	}
	wantWarn := "WARNING: Once the feature 'AKSPrivateLinkPreview' is registered, invoking 'az provider register -n Microsoft.ContainerService' is required to get the change propagated\n"
	if res.Stderr != wantWarn {
		t.Errorf("stderr = %q", res.Stderr)
	}
	// --only-show-errors silences the hint.
	res = f.Run(Groups(), "feature", "register", "--namespace", "Microsoft.ContainerService", "--name", "AKSPrivateLinkPreview", "--only-show-errors").Expect(t, 0)
	if res.Stderr != "" {
		t.Errorf("stderr with --only-show-errors = %q", res.Stderr)
	}
}

func TestFeatureListQueryFromSeed(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Features/features", 200, map[string]any{"value": []any{
		map[string]any{"name": "Microsoft.ContainerService/AKSPrivateLinkPreview", "properties": map[string]any{"state": "Registered"}},
		map[string]any{"name": "Microsoft.Network/Other", "properties": map[string]any{"state": "NotRegistered"}},
	}})
	res := f.Run(Groups(), "feature", "list", "-o", "json", "--query",
		"[?contains(name, 'Microsoft.ContainerService/AKSPrivateLinkPreview')].{Name:name,State:properties.state}").Expect(t, 0)
	want := []any{map[string]any{"Name": "Microsoft.ContainerService/AKSPrivateLinkPreview", "State": "Registered"}}
	if got := res.List(t); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v", got)
	}
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.Network/features", 200, map[string]any{"value": []any{}})
	f.Run(Groups(), "feature", "list", "--namespace", "Microsoft.Network").Expect(t, 0)
	if api := f.Last("GET").APIVersion(); api != "2021-07-01" {
		t.Errorf("api-version = %s", api)
	}
}

func TestFeatureShowAndUnregister(t *testing.T) {
	f := clitest.New(t)
	base := "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/EnableAPIServerVnetIntegrationPreview"
	f.JSON("GET", base, 200, map[string]any{"name": "Microsoft.ContainerService/EnableAPIServerVnetIntegrationPreview", "properties": map[string]any{"state": "Registered"}})
	res := f.Run(Groups(), "feature", "show", "--namespace", "Microsoft.ContainerService", "--name", "EnableAPIServerVnetIntegrationPreview").Expect(t, 0)
	if res.Object(t)["properties"].(map[string]any)["state"] != "Registered" {
		t.Errorf("show = %s", res.Stdout)
	}
	f.Run(Groups(), "feature", "show", "--name", "x").Expect(t, 2)
	f.Error("GET", "/subscriptions/{sub}/providers/Microsoft.Features/providers/Microsoft.ContainerService/features/missing", 404, "FeatureNotFound", "The feature 'missing' could not be found.")
	f.Run(Groups(), "feature", "show", "--namespace", "Microsoft.ContainerService", "-n", "missing").Expect(t, 3)
	f.JSON("POST", base+"/unregister", 200, map[string]any{"name": "x", "properties": map[string]any{"state": "Unregistering"}})
	f.Run(Groups(), "feature", "unregister", "--namespace", "Microsoft.ContainerService", "--name", "EnableAPIServerVnetIntegrationPreview").Expect(t, 0)
}

func TestProviderRegister(t *testing.T) {
	f := clitest.New(t)
	f.JSON("POST", "/subscriptions/{sub}/providers/Microsoft.Network/register", 200, map[string]any{"namespace": "Microsoft.Network", "registrationState": "Registering"})
	res := f.Run(Groups(), "provider", "register", "--namespace", "Microsoft.Network").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("stdout = %q", res.Stdout)
	}
	if res.Stderr != "WARNING: Registering is still on-going. You can monitor using 'az provider show -n Microsoft.Network'\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	if api := f.Last("POST").APIVersion(); api != "2021-04-01" {
		t.Errorf("api-version = %s", api)
	}
	// already registered: silent
	f.JSON("POST", "/subscriptions/{sub}/providers/Microsoft.ContainerService/register", 200, map[string]any{"namespace": "Microsoft.ContainerService", "registrationState": "Registered"})
	res = f.Run(Groups(), "provider", "register", "-n", "Microsoft.ContainerService").Expect(t, 0)
	if res.Stderr != "" || res.Stdout != "" {
		t.Errorf("registered: stdout %q stderr %q", res.Stdout, res.Stderr)
	}
}

func TestProviderRegisterWait(t *testing.T) {
	f := clitest.New(t)
	f.JSON("POST", "/subscriptions/{sub}/providers/Microsoft.Network/register", 200, map[string]any{"registrationState": "Registering"})
	gets := 0
	f.Handle("GET", "/subscriptions/{sub}/providers/Microsoft.Network", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		gets++
		state := "Registering"
		if gets >= 2 {
			state = "Registered"
		}
		clitest.WriteJSON(w, 200, map[string]any{"namespace": "Microsoft.Network", "registrationState": state})
	})
	res := f.Run(Groups(), "provider", "register", "-n", "Microsoft.Network", "--wait").Expect(t, 0)
	if gets != 2 || res.Stderr != "" {
		t.Errorf("gets = %d stderr = %q", gets, res.Stderr)
	}
}

func TestProviderShowListUnregister(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Network", 200, map[string]any{"id": "/subscriptions/" + sub + "/providers/Microsoft.Network", "namespace": "Microsoft.Network", "registrationState": "Registered"})
	res := f.Run(Groups(), "provider", "show", "-n", "Microsoft.Network", "--query", "registrationState", "-o", "json").Expect(t, 0)
	if res.JSON(t) != "Registered" {
		t.Errorf("show = %s", res.Stdout)
	}
	f.Error("GET", "/subscriptions/{sub}/providers/Microsoft.Nope", 404, "InvalidResourceNamespace", "The resource namespace 'Microsoft.Nope' is invalid.")
	f.Run(Groups(), "provider", "show", "--namespace", "Microsoft.Nope").Expect(t, 3)

	f.JSON("GET", "/subscriptions/{sub}/providers", 200, map[string]any{"value": []any{map[string]any{"namespace": "Microsoft.Network", "registrationState": "Registered"}}})
	list := f.Run(Groups(), "provider", "list", "--expand", "resourceTypes/aliases").Expect(t, 0).List(t)
	if len(list) != 1 {
		t.Errorf("list = %v", list)
	}
	if got := f.Last("GET").Query.Get("$expand"); got != "resourceTypes/aliases" {
		t.Errorf("$expand = %q", got)
	}
	f.JSON("POST", "/subscriptions/{sub}/providers/Microsoft.Network/unregister", 200, map[string]any{"registrationState": "Unregistering"})
	res = f.Run(Groups(), "provider", "unregister", "--namespace", "Microsoft.Network").Expect(t, 0)
	if !strings.Contains(res.Stderr, "Unregistering is still on-going") {
		t.Errorf("stderr = %q", res.Stderr)
	}
}
