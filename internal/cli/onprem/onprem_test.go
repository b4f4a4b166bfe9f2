package onprem

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const sites = "/subscriptions/{sub}/resourceGroups/rg/providers/Privlink.OnPrem/sites"

func siteBody(name string, props map[string]any) map[string]any {
	return map[string]any{"id": strings.ReplaceAll(sites, "{sub}", clitest.SubscriptionID) + "/" + name, "name": name,
		"location": "eastus", "tags": map[string]any{"env": "lab"}, "properties": props}
}

func echoPut(f *clitest.Fake, path string) {
	f.Handle("PUT", path, func(w http.ResponseWriter, _ *http.Request, body []byte) {
		m := map[string]any{}
		_ = json.Unmarshal(body, &m)
		clitest.WriteJSON(w, 200, m)
	})
}

func TestForwarderAddFindsTheOnlySite(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", sites, 200, map[string]any{"value": []any{siteBody("corp", nil)}})
	f.JSON("GET", sites+"/corp", 200, siteBody("corp", map[string]any{"addressPrefixes": []any{"192.168.0.0/16"},
		"dnsServer": map[string]any{"privateIpAddress": "192.168.0.4", "forwarders": []any{
			map[string]any{"domain": "azmk8s.io", "targetIpAddresses": []any{"10.9.9.9"}},
			map[string]any{"domain": "corp.local", "targetIpAddresses": []any{"192.168.0.10"}}}}}))
	echoPut(f, sites+"/corp")
	f.Run(Groups(), "onprem", "dns", "forwarder", "add", "-g", "rg", "--zone", "AzmK8s.io.", "--target", "10.1.2.4", "10.1.2.5").Expect(t, 0)
	put := f.Last("PUT").JSON()
	if put["location"] != "eastus" || put["tags"] == nil {
		t.Errorf("location or tags lost: %v", put)
	}
	fw := put["properties"].(map[string]any)["dnsServer"].(map[string]any)["forwarders"].([]any)
	b, _ := json.Marshal(fw)
	want := `[{"domain":"corp.local","targetIpAddresses":["192.168.0.10"]},{"domain":"azmk8s.io","targetIpAddresses":["10.1.2.4","10.1.2.5"]}]`
	if string(b) != want {
		t.Errorf("forwarders %s, want %s", b, want)
	}
}

func TestForwarderNeedsSiteWhenSeveral(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", sites, 200, map[string]any{"value": []any{siteBody("a", nil), siteBody("b", nil)}})
	r := f.Run(Groups(), "onprem", "dns", "forwarder", "add", "-g", "rg", "--zone", "azmk8s.io", "--target", "10.1.2.4")
	if r.Code != 2 || !strings.Contains(r.Stderr, "the resource group has 2 sites: name one with --site") {
		t.Errorf("exit %d: %s", r.Code, r.Stderr)
	}
}

func TestVPNDeviceAndExpressRoute(t *testing.T) {
	f := clitest.New(t)
	f.JSON("GET", sites+"/corp", 200, siteBody("corp", map[string]any{"addressPrefixes": []any{"192.168.0.0/16"},
		"vpnDevices": []any{map[string]any{"name": "edge1", "remoteGatewayIpAddress": "52.160.0.1", "sharedKey": "k"}}}))
	echoPut(f, sites+"/corp")
	r := f.Run(Groups(), "onprem", "site", "vpn-device", "add", "-g", "rg", "--site", "corp", "-n", "EDGE1", "--gateway-ip", "52.160.0.2", "--shared-key", "x")
	if r.Code != 1 || !strings.Contains(r.Stderr, "already has a VPN device named EDGE1") {
		t.Errorf("duplicate device: exit %d %s", r.Code, r.Stderr)
	}
	f.Run(Groups(), "onprem", "site", "vpn-device", "add", "-g", "rg", "--site", "corp", "-n", "edge2", "--gateway-ip", "52.160.0.2",
		"--shared-key", "x", "--bgp").Expect(t, 0)
	devs := f.Last("PUT").JSON()["properties"].(map[string]any)["vpnDevices"].([]any)
	if len(devs) != 2 || devs[1].(map[string]any)["bgp"] != true || devs[1].(map[string]any)["remoteGatewayIpAddress"] != "52.160.0.2" {
		t.Errorf("devices %v", devs)
	}
	f.Run(Groups(), "onprem", "site", "express-route", "provision", "-g", "rg", "--site", "corp", "--service-key", "0A1B2C3D-0000-4000-8000-000000000001").Expect(t, 0)
	er := f.Last("PUT").JSON()["properties"].(map[string]any)["expressRoute"].([]any)
	if len(er) != 1 || er[0].(map[string]any)["circuitServiceKey"] != "0a1b2c3d-0000-4000-8000-000000000001" || er[0].(map[string]any)["provisioned"] != true {
		t.Errorf("express route %v", er)
	}
	r = f.Run(Groups(), "onprem", "site", "express-route", "deprovision", "-g", "rg", "--site", "corp", "--service-key", "0a1b2c3d-0000-4000-8000-000000000009")
	if r.Code != 1 || !strings.Contains(r.Stderr, "serves no circuit with service key") {
		t.Errorf("deprovision unknown: exit %d %s", r.Code, r.Stderr)
	}
}

func TestHostRunCommand(t *testing.T) {
	f := clitest.New(t)
	host := sites + "/corp/hosts/laptop"
	f.JSON("POST", host+"/runCommand", 200, map[string]any{"value": []any{map[string]any{"code": "ProvisioningState/succeeded", "message": "Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n"}}})
	r := f.Run(Groups(), "onprem", "host", "run-command", "invoke", "-g", "rg", "--site", "corp", "-n", "laptop",
		"--scripts", "echo $1", "--parameters", "hi", "--query", "value[0].message", "-o", "tsv").Expect(t, 0)
	if r.Stdout != "Enable succeeded: \n[stdout]\nhi\n\n[stderr]\n\n" {
		t.Errorf("stdout %q", r.Stdout)
	}
	body := f.Last("POST").JSON()
	b, _ := json.Marshal(body)
	if string(b) != `{"commandId":"RunShellScript","parameters":[{"name":"arg1","value":"hi"}],"script":["echo $1"]}` {
		t.Errorf("body %s", b)
	}
}

func TestSiteCreateAndUpdate(t *testing.T) {
	f := clitest.New(t)
	echoPut(f, sites+"/corp")
	f.Run(Groups(), "onprem", "site", "create", "-g", "rg", "-n", "corp", "-l", "westus2", "--address-prefixes", "192.168.0.0/16", "10.50.0.0/16",
		"--dns-server-ip", "192.168.0.4").Expect(t, 0)
	b, _ := json.Marshal(f.Last("PUT").JSON())
	if string(b) != `{"location":"westus2","properties":{"addressPrefixes":["192.168.0.0/16","10.50.0.0/16"],"dnsServer":{"privateIpAddress":"192.168.0.4"}}}` {
		t.Errorf("create body %s", b)
	}
	f.JSON("GET", sites+"/corp", 200, siteBody("corp", map[string]any{"addressPrefixes": []any{"192.168.0.0/16"}}))
	f.Run(Groups(), "onprem", "site", "update", "-g", "rg", "-n", "corp", "--dns-server-ip", "192.168.0.53").Expect(t, 0)
	p := f.Last("PUT").JSON()["properties"].(map[string]any)
	if d := p["dnsServer"].(map[string]any); d["privateIpAddress"] != "192.168.0.53" {
		t.Errorf("update body %v", p)
	}
}
