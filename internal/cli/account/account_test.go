package account

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const second = "00000000-0000-0000-0000-000000000002"

func twoSubs(f *clitest.Fake) {
	f.Subscriptions = append(f.Subscriptions, map[string]any{
		"id": "/subscriptions/" + second, "subscriptionId": second, "tenantId": clitest.TenantID,
		"displayName": "other", "state": "Enabled",
	})
}

func TestShowDefault(t *testing.T) {
	f := clitest.New(t)
	out := f.Run(Groups(), "account", "show").Expect(t, 0).Object(t)
	if out["id"] != clitest.SubscriptionID || out["isDefault"] != true || out["name"] != "privlink" ||
		out["tenantId"] != clitest.TenantID || out["environmentName"] != "AzureCloud" {
		t.Errorf("show = %v", out)
	}
	if u := out["user"].(map[string]any); u["name"] != "privlink-cli" || u["type"] != "servicePrincipal" {
		t.Errorf("user = %v", u)
	}
	if api := f.Last("GET").APIVersion(); api != "2022-12-01" {
		t.Errorf("api-version = %s", api)
	}
}

func TestSetThenShowAndList(t *testing.T) {
	f := clitest.New(t)
	twoSubs(f)
	res := f.Run(Groups(), "account", "set", "--subscription", "other").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("set printed %q", res.Stdout)
	}
	raw, err := os.ReadFile(filepath.Join(f.DataDir, "cli.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil || cfg["subscription"] != second {
		t.Errorf("cli.json = %s", raw)
	}
	if out := f.Run(Groups(), "account", "show").Expect(t, 0).Object(t); out["id"] != second || out["isDefault"] != true {
		t.Errorf("show after set = %v", out)
	}
	list := f.Run(Groups(), "account", "list").Expect(t, 0).List(t)
	if len(list) != 2 {
		t.Fatalf("list = %v", list)
	}
	for _, e := range list {
		m := e.(map[string]any)
		if (m["id"] == second) != (m["isDefault"] == true) {
			t.Errorf("isDefault wrong in %v", m)
		}
	}
	// by ID, -s short option
	f.Run(Groups(), "account", "set", "-s", clitest.SubscriptionID).Expect(t, 0)
	if out := f.Run(Groups(), "account", "show", "--query", "id").Expect(t, 0).JSON(t); out != clitest.SubscriptionID {
		t.Errorf("show after set by id = %v", out)
	}
	// show another subscription explicitly
	if out := f.Run(Groups(), "account", "show", "-s", "other").Expect(t, 0).Object(t); out["id"] != second || out["isDefault"] != false {
		t.Errorf("show -s other = %v", out)
	}
}

func TestSetUnknown(t *testing.T) {
	f := clitest.New(t)
	res := f.Run(Groups(), "account", "set", "--subscription", "nope").Expect(t, 1)
	if res.Stderr != "ERROR: The subscription of 'nope' doesn't exist in cloud 'AzureCloud'.\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
	f.Run(Groups(), "account", "set").Expect(t, 2)
}

func TestEnvSubscriptionWins(t *testing.T) {
	f := clitest.New(t)
	twoSubs(f)
	t.Setenv("AZURE_SUBSCRIPTION_ID", second)
	if out := f.Run(Groups(), "account", "show").Expect(t, 0).Object(t); out["id"] != second {
		t.Errorf("show = %v", out)
	}
}

func TestGetAccessTokenAndLogin(t *testing.T) {
	f := clitest.New(t)
	out := f.Run(Groups(), "account", "get-access-token").Expect(t, 0).Object(t)
	if out["accessToken"] != clitest.Token || out["tokenType"] != "Bearer" || out["subscription"] != clitest.SubscriptionID || out["tenant"] != clitest.TenantID {
		t.Errorf("token = %v", out)
	}
	list := f.Run(Groups(), "login", "--service-principal", "-u", "x", "-p", "y", "--tenant", "t").Expect(t, 0).List(t)
	if len(list) != 1 {
		t.Errorf("login = %v", list)
	}
	f.Run(Groups(), "logout").Expect(t, 0)
}

func TestCredentials(t *testing.T) {
	f := clitest.New(t)
	f.Run(Groups(), "account", "show").Expect(t, 0)
	form, _ := url.ParseQuery(string(f.TokenRequests()[0].Body))
	if form.Get("grant_type") != "client_credentials" || form.Get("client_id") != "privlink-cli" ||
		form.Get("client_secret") != "privlink" || form.Get("scope") != f.Server.URL+"/.default" {
		t.Errorf("default token form = %v", form)
	}
	t.Setenv("AZURE_CLIENT_ID", "someone")
	t.Setenv("AZURE_CLIENT_SECRET", "s3cret")
	out := f.Run(Groups(), "account", "show").Expect(t, 0).Object(t)
	form, _ = url.ParseQuery(string(f.TokenRequests()[1].Body))
	if form.Get("client_id") != "someone" || form.Get("client_secret") != "s3cret" {
		t.Errorf("token form = %v", form)
	}
	if out["user"].(map[string]any)["name"] != "someone" {
		t.Errorf("user = %v", out["user"])
	}
}

func TestDaemonDown(t *testing.T) {
	f := clitest.New(t)
	f.Server.Close()
	res := f.Run(Groups(), "account", "show").Expect(t, 1)
	if !strings.Contains(res.Stderr, "is the privlink daemon running?") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}
