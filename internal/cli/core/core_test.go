package core_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
)

const sub = clitest.SubscriptionID

var widgetType = core.ResourceType{
	Namespace:  "Microsoft.Test",
	Types:      []string{"widgets", "parts"},
	APIVersion: "2022-01-01",
	Shape:      &arm.Shape{Flatten: true, Fields: []string{"id", "name", "size", "tags"}},
}

var gadgetType = core.ResourceType{
	Namespace:  "Microsoft.Test",
	Types:      []string{"gadgets"},
	APIVersion: "2022-01-01",
	Shape:      &arm.Shape{Flatten: true, Fields: []string{"id", "name", "size"}},
}

func groups() []*core.Group {
	parts := core.NewResource(widgetType,
		&core.Arg{Dest: "widget_name", Options: []string{"--widget-name"}, Help: "The widget."},
		core.NameArg("The part."))
	gadgets := core.NewResource(gadgetType, core.NameArg("The gadget."))
	create := &core.Command{
		Name: "create", Short: "Create a gadget.", NoWait: true,
		Args: append(gadgets.Args(true), core.LocationArg(false)),
		Run: func(c *core.Context) (any, error) {
			loc, err := c.Location("location", "resource_group")
			if err != nil {
				return nil, err
			}
			return gadgets.Put(c, map[string]any{"location": loc})
		},
	}
	return []*core.Group{
		{Name: "test", Short: "Test commands."},
		{Name: "test widget part", Short: "Parts.", Commands: []*core.Command{
			parts.ShowCommand("Show a part."),
			parts.ListCommand("List parts."),
			parts.DeleteCommand("Delete a part.", true, false),
			parts.WaitCommand("Wait for a part."),
			parts.UpdateCommand("Update a part.", []*core.Arg{core.TagsArg()}, func(c *core.Context, obj map[string]any) error {
				if tags := c.Tags("tags"); tags != nil {
					obj["tags"] = tags
				}
				return nil
			}),
		}},
		{Name: "test gadget", Short: "Gadgets.", Commands: []*core.Command{
			create,
			gadgets.ListCommand("List gadgets."),
			gadgets.ShowCommand("Show a gadget."),
		}},
	}
}

const partPath = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts/p1"

func part(name string, size float64) map[string]any {
	return map[string]any{
		"id":         "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts/" + name,
		"name":       name,
		"properties": map[string]any{"size": size, "provisioningState": "Succeeded"},
	}
}

func TestShowByNamesAndIDs(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", partPath, 200, part("p1", 1))
	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts/p2", 200, part("p2", 2))

	out := f.Run(groups(), "test", "widget", "part", "show", "-g", "rg", "--widget-name", "w1", "-n", "p1").Expect(t, 0).Object(t)
	if out["size"] != float64(1) || out["resourceGroup"] != "rg" || out["tags"] != nil {
		t.Errorf("show = %v", out)
	}
	if _, ok := out["properties"]; ok {
		t.Errorf("not flattened: %v", out)
	}

	id1, id2 := part("p1", 0)["id"].(string), part("p2", 0)["id"].(string)
	res := f.Run(groups(), "test", "widget", "part", "show", "--ids", id1, id2, "-n", "ignored").Expect(t, 0)
	list := res.List(t)
	if len(list) != 2 || list[1].(map[string]any)["name"] != "p2" {
		t.Errorf("--ids = %v", list)
	}
	if res.Stderr != "WARNING: option '--name' will be ignored due to use of '--ids'.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}

	res = f.Run(groups(), "test", "widget", "part", "show", "-n", "p1").Expect(t, 1)
	if res.Stderr != "ERROR: (--resource-group --widget-name | --ids) are required\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	f.Run(groups(), "test", "widget", "part", "show", "--ids", "not-an-id").Expect(t, 1)
}

func TestIDsUseTheirSubscription(t *testing.T) {
	f := clitest.New(t)
	other := "00000000-0000-0000-0000-0000000000ff"
	f.JSON("GET", "/subscriptions/"+other+"/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts/p1", 200, part("p1", 1))
	f.Run(groups(), "test", "widget", "part", "show", "--ids",
		"/subscriptions/"+other+"/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts/p1").Expect(t, 0)
}

func TestGlobalOptionsAnywhere(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", partPath, 200, part("p1", 1))
	res := f.Run(groups(), "-o", "json", "--query", "size", "test", "widget", "part", "show", "-g", "rg", "--widget-name", "w1", "-n", "p1").Expect(t, 0)
	if res.JSON(t) != float64(1) {
		t.Errorf("out = %s", res.Stdout)
	}
	res = f.Run(groups(), "test", "widget", "part", "show", "-g", "rg", "--widget-name", "w1", "-n", "p1", "-o", "none").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("-o none printed %q", res.Stdout)
	}
	res = f.Run(groups(), "test", "widget", "part", "show", "-o", "xml").Expect(t, 2)
	if !strings.HasPrefix(res.Stderr, "ERROR: az test widget part show: 'xml' is not a valid value for '--output'. Allowed values: json, jsonc, yaml, yamlc, table, tsv, none.") {
		t.Errorf("stderr = %q", res.Stderr)
	}
	t.Setenv("AZURE_CORE_OUTPUT", "yaml2")
	f.Run(groups(), "test", "widget", "part", "show", "-g", "rg", "--widget-name", "w1", "-n", "p1").Expect(t, 2)
}

func TestVerbosity(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", partPath, 200, part("p1", 1))
	res := f.Run(groups(), "test", "widget", "part", "show", "-g", "rg", "--widget-name", "w1", "-n", "p1", "--debug").Expect(t, 0)
	if !strings.Contains(res.Stderr, "DEBUG: Request URL: '"+f.URL(partPath)+"?api-version=2022-01-01'") {
		t.Errorf("debug stderr = %s", res.Stderr)
	}
	res = f.Run(groups(), "test", "gadget", "list", "--only-show-errors", "--verbose").Expect(t, 1)
	if res.Stderr != "ERROR: --only-show-errors can't be used together with --debug or --verbose\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestSubscriptionSelection(t *testing.T) {
	f := clitest.New(t)
	other := "00000000-0000-0000-0000-000000000002"
	f.Subscriptions = append(f.Subscriptions, map[string]any{"id": "/subscriptions/" + other, "subscriptionId": other, "displayName": "Other Sub", "state": "Enabled"})
	list := map[string]any{"value": []any{}}
	f.JSON("GET", "/subscriptions/*/providers/Microsoft.Test/gadgets", 200, list)

	f.Run(groups(), "test", "gadget", "list").Expect(t, 0)
	f.Run(groups(), "test", "gadget", "list", "--subscription", "other sub").Expect(t, 0)
	f.Run(groups(), "test", "gadget", "list", "--subscription", "11111111-1111-1111-1111-111111111111").Expect(t, 0)
	t.Setenv("AZURE_SUBSCRIPTION_ID", other)
	f.Run(groups(), "test", "gadget", "list").Expect(t, 0)
	got := f.Find("GET", "/subscriptions/*/providers/Microsoft.Test/gadgets")
	wantSubs := []string{sub, other, "11111111-1111-1111-1111-111111111111", other}
	for i, r := range got {
		if !strings.HasPrefix(r.Path, "/subscriptions/"+wantSubs[i]+"/") {
			t.Errorf("request %d = %s, want subscription %s", i, r.Path, wantSubs[i])
		}
	}
	res := f.Run(groups(), "test", "gadget", "list", "--subscription", "missing").Expect(t, 1)
	if res.Stderr != "ERROR: Subscription 'missing' not found. Check the spelling and casing and try again.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestConfiguredGroupAndLocationDefault(t *testing.T) {
	f := clitest.New(t)
	t.Setenv("AZURE_DEFAULTS_GROUP", "rg")
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, map[string]any{"name": "rg", "location": "westeurope"})
	f.Handle("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/gadgets/g1", func(w http.ResponseWriter, r *http.Request, body []byte) {
		clitest.WriteJSON(w, 201, map[string]any{"id": r.URL.Path, "name": "g1", "location": "westeurope", "properties": map[string]any{"size": 3}})
	})
	out := f.Run(groups(), "test", "gadget", "create", "-n", "g1").Expect(t, 0).Object(t)
	if got := f.Last("PUT").JSON(); got["location"] != "westeurope" {
		t.Errorf("body = %v", got)
	}
	if out["size"] != float64(3) {
		t.Errorf("out = %v", out)
	}
	// gadget list without -g (but with a configured group) lists the group
	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/gadgets", 200, map[string]any{"value": []any{}})
	f.Run(groups(), "test", "gadget", "list").Expect(t, 0)
	if p := f.Last("GET").Path; p != "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.Test/gadgets" {
		t.Errorf("list path = %s", p)
	}
}

func TestCreateNoWaitAndLROOutput(t *testing.T) {
	f := clitest.New(t)
	f.Handle("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/gadgets/g1", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Azure-AsyncOperation", f.URL("/subscriptions/{sub}/providers/Microsoft.Test/locations/x/operations/op1?api-version=2022-01-01"))
		w.Header().Set("Retry-After", "0")
		clitest.WriteJSON(w, 201, map[string]any{"name": "g1", "properties": map[string]any{"provisioningState": "Creating"}})
	})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Test/locations/x/operations/op1", 200, map[string]any{"status": "Succeeded"})
	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/gadgets/g1", 200,
		map[string]any{"name": "g1", "properties": map[string]any{"provisioningState": "Succeeded", "size": 9}})
	out := f.Run(groups(), "test", "gadget", "create", "-g", "rg", "-n", "g1", "-l", "westus").Expect(t, 0).Object(t)
	if out["size"] != float64(9) {
		t.Errorf("after LRO the resource is read again: %v", out)
	}
	res := f.Run(groups(), "test", "gadget", "create", "-g", "rg", "-n", "g1", "-l", "westus", "--no-wait").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("--no-wait printed %q", res.Stdout)
	}

	f.Handle("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/gadgets/bad", func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Azure-AsyncOperation", f.URL("/subscriptions/{sub}/providers/Microsoft.Test/locations/x/operations/op2"))
		clitest.WriteJSON(w, 201, nil)
	})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Test/locations/x/operations/op2", 200,
		map[string]any{"status": "Failed", "error": map[string]any{"code": "QuotaExceeded", "message": "No more gadgets."}})
	res = f.Run(groups(), "test", "gadget", "create", "-g", "rg", "-n", "bad", "-l", "westus").Expect(t, 1)
	if res.Stderr != "ERROR: (QuotaExceeded) No more gadgets.\nCode: QuotaExceeded\nMessage: No more gadgets.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestGenericUpdateRoundTrip(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", partPath, 200, map[string]any{
		"id": part("p1", 0)["id"], "name": "p1", "etag": "W/1",
		"properties": map[string]any{"size": 1, "provisioningState": "Succeeded", "labels": []any{"a"}},
	})
	f.Handle("PUT", partPath, func(w http.ResponseWriter, r *http.Request, body []byte) {
		clitest.WriteJSON(w, 200, part("p1", 7))
	})
	out := f.Run(groups(), "test", "widget", "part", "update", "-g", "rg", "--widget-name", "w1", "-n", "p1",
		"--set", "size=7", "--add", "labels", "b", "--tags", "k=v").Expect(t, 0).Object(t)
	body := f.Last("PUT").JSON()
	want := map[string]any{
		"id": part("p1", 0)["id"], "name": "p1", "etag": "W/1", "tags": map[string]any{"k": "v"},
		"properties": map[string]any{"size": float64(7), "provisioningState": "Succeeded", "labels": []any{"a", "b"}},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("PUT body = %v\nwant %v", body, want)
	}
	if out["size"] != float64(7) {
		t.Errorf("out = %v", out)
	}
}

func TestWaitDeletedAndListAndDelete(t *testing.T) {
	f := clitest.New(t)
	gets := 0
	f.Handle("GET", partPath, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		gets++
		if gets < 3 {
			clitest.WriteJSON(w, 200, part("p1", 1))
			return
		}
		clitest.WriteJSON(w, 404, map[string]any{"error": map[string]any{"code": "NotFound", "message": "gone"}})
	})
	f.Run(groups(), "test", "widget", "part", "wait", "-g", "rg", "--widget-name", "w1", "-n", "p1", "--deleted", "--interval", "1").Expect(t, 0)
	if gets != 3 {
		t.Errorf("gets = %d", gets)
	}
	res := f.Run(groups(), "test", "widget", "part", "wait", "-g", "rg", "--widget-name", "w1", "-n", "p1", "--created", "--timeout", "2", "--interval", "1").Expect(t, 1)
	if res.Stderr != "ERROR: Wait operation timed-out after 2 seconds\n" {
		t.Errorf("wait --created keeps waiting through 404s until the timeout: %q", res.Stderr)
	}

	f.JSON("GET", "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Test/widgets/w1/parts", 200, map[string]any{"value": []any{part("p1", 1)}})
	list := f.Run(groups(), "test", "widget", "part", "list", "-g", "rg", "--widget-name", "w1").Expect(t, 0).List(t)
	if len(list) != 1 || list[0].(map[string]any)["size"] != float64(1) {
		t.Errorf("list = %v", list)
	}
	f.Run(groups(), "test", "widget", "part", "list", "-g", "rg").Expect(t, 2)

	f.JSON("DELETE", partPath, 204, nil)
	f.Run(groups(), "test", "widget", "part", "delete", "--ids", part("p1", 0)["id"].(string)).Expect(t, 0)
	if f.Last("DELETE").APIVersion() != "2022-01-01" {
		t.Errorf("delete = %v", f.Summary())
	}
}

func TestRootHelpAndVersion(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(groups()).Expect(t, 0)
	if !strings.Contains(res.Stdout, "test") {
		t.Errorf("root help = %s", res.Stdout)
	}
	if res := f.Run(groups(), "--version").Expect(t, 0); !strings.Contains(res.Stdout, core.AzureCLIVersion) {
		t.Errorf("--version = %s", res.Stdout)
	}
	res = f.Run(groups(), "tset").Expect(t, 2)
	if !strings.Contains(res.Stderr, "The most similar choice to 'tset' is:\n    test") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = f.Run(groups(), "test", "widget", "part", "update", "--help").Expect(t, 0)
	for _, s := range []string{"Generic Update Arguments", "--set", "Resource Id", "--ids", "Global Arguments"} {
		if !strings.Contains(res.Stdout, s) {
			t.Errorf("help lacks %q:\n%s", s, res.Stdout)
		}
	}
}
