package afd_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/afd"
	"github.com/privlink/privlink/internal/cli/clitest"
)

const profile = "/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Cdn/profiles/fd"

// echo answers PUTs with the body (properties flattened by the CLI on
// output), as a service that accepted it would.
func echo(f *clitest.Fake, path string) {
	f.Handle(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"] = r.URL.Path
		props, _ := m["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			m["properties"] = props
		}
		props["provisioningState"] = "Succeeded"
		clitest.WriteJSON(w, http.StatusOK, m)
	})
}

func TestOriginCreateWithPrivateLink(t *testing.T) {
	f := clitest.New(t)
	echo(f, profile+"/originGroups/og/origins/o1")
	pls := "/subscriptions/s/resourceGroups/p/providers/Microsoft.Network/privateLinkServices/myPLS"
	res := f.Run(afd.Groups(), "afd", "origin", "create", "-g", "rg", "--profile-name", "fd", "--origin-group-name", "og",
		"--origin-name", "o1", "--host-name", "10.224.0.10", "--origin-host-header", "api.contoso.com", "--priority", "1",
		"--weight", "500", "--enabled-state", "Enabled", "--enable-private-link", "true", "--private-link-resource", pls,
		"--private-link-location", "eastus", "--private-link-request-message", "Please approve")
	res.Expect(t, 0)
	req := f.Last("PUT")
	if req.APIVersion() != afd.APIVersion {
		t.Fatalf("api-version %s", req.APIVersion())
	}
	props := req.JSON()["properties"].(map[string]any)
	spl := props["sharedPrivateLinkResource"].(map[string]any)
	if props["hostName"] != "10.224.0.10" || props["originHostHeader"] != "api.contoso.com" || props["httpPort"] != 80.0 ||
		props["httpsPort"] != 443.0 || props["weight"] != 500.0 || spl["privateLink"].(map[string]any)["id"] != pls ||
		spl["privateLinkLocation"] != "eastus" || spl["requestMessage"] != "Please approve" {
		t.Fatalf("body: %v", props)
	}
	out := res.Object(t)
	if out["hostName"] != "10.224.0.10" || out["properties"] != nil {
		t.Fatalf("output is not flattened: %v", out)
	}
}

// Private link flags without --enable-private-link do not enable it (az).
func TestOriginCreatePrivateLinkNeedsEnable(t *testing.T) {
	f := clitest.New(t)
	echo(f, profile+"/originGroups/og/origins/o1")
	f.Run(afd.Groups(), "afd", "origin", "create", "-g", "rg", "--profile-name", "fd", "--origin-group-name", "og",
		"-n", "o1", "--host-name", "example.com", "--private-link-location", "eastus").Expect(t, 0)
	if _, ok := f.Last("PUT").JSON()["properties"].(map[string]any)["sharedPrivateLinkResource"]; ok {
		t.Fatal("sharedPrivateLinkResource sent without --enable-private-link")
	}
	res := f.Run(afd.Groups(), "afd", "origin", "create", "-g", "rg", "--profile-name", "fd", "--origin-group-name", "og",
		"-n", "o1", "--host-name", "example.com", "--enable-private-link")
	if res.Code != 2 || !strings.Contains(res.Stderr, "--private-link-resource") {
		t.Fatalf("enable without a resource: %d %s", res.Code, res.Stderr)
	}
}

func TestRouteCreateResolvesOriginGroup(t *testing.T) {
	f := clitest.New(t)
	echo(f, profile+"/afdEndpoints/ep/routes/r1")
	f.Run(afd.Groups(), "afd", "route", "create", "-g", "rg", "--profile-name", "fd", "--endpoint-name", "ep", "--route-name", "r1",
		"--origin-group", "og", "--supported-protocols", "Http", "Https", "--link-to-default-domain", "Enabled",
		"--forwarding-protocol", "HttpOnly", "--https-redirect", "Disabled", "--patterns-to-match", "/*").Expect(t, 0)
	props := f.Last("PUT").JSON()["properties"].(map[string]any)
	og := props["originGroup"].(map[string]any)["id"].(string)
	if !strings.HasSuffix(og, "/resourceGroups/rg/providers/Microsoft.Cdn/profiles/fd/originGroups/og") ||
		props["forwardingProtocol"] != "HttpOnly" || props["linkToDefaultDomain"] != "Enabled" ||
		len(props["supportedProtocols"].([]any)) != 2 || props["patternsToMatch"].([]any)[0] != "/*" {
		t.Fatalf("route body: %v", props)
	}
}

func TestProfileAndGroupCreate(t *testing.T) {
	f := clitest.New(t)
	echo(f, profile)
	echo(f, profile+"/originGroups/og")
	echo(f, profile+"/afdEndpoints/ep")
	f.Run(afd.Groups(), "afd", "profile", "create", "-g", "rg", "--profile-name", "fd", "--sku", "premium_azurefrontdoor").Expect(t, 0)
	body := f.Last("PUT").JSON()
	if body["location"] != "global" || body["sku"].(map[string]any)["name"] != "Premium_AzureFrontDoor" {
		t.Fatalf("profile body: %v", body)
	}
	f.Run(afd.Groups(), "afd", "origin-group", "create", "-g", "rg", "--profile-name", "fd", "--origin-group-name", "og",
		"--probe-request-type", "GET", "--probe-protocol", "Http", "--probe-interval-in-seconds", "60", "--probe-path", "/",
		"--sample-size", "4", "--successful-samples-required", "3", "--additional-latency-in-milliseconds", "50").Expect(t, 0)
	props := f.Last("PUT").JSON()["properties"].(map[string]any)
	hp := props["healthProbeSettings"].(map[string]any)
	lb := props["loadBalancingSettings"].(map[string]any)
	if hp["probeRequestType"] != "GET" || hp["probeIntervalInSeconds"] != 60.0 || lb["sampleSize"] != 4.0 || lb["additionalLatencyInMilliseconds"] != 50.0 {
		t.Fatalf("origin group body: %v", props)
	}
	f.Run(afd.Groups(), "afd", "endpoint", "create", "-g", "rg", "--profile-name", "fd", "--endpoint-name", "ep", "--enabled-state", "Enabled").Expect(t, 0)
	if b := f.Last("PUT").JSON(); b["location"] != "global" || b["properties"].(map[string]any)["enabledState"] != "Enabled" {
		t.Fatalf("endpoint body: %v", b)
	}
}
