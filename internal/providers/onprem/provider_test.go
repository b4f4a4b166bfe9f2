package onprem_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/onprem"
	"github.com/privlink/privlink/internal/providers/resources"
)

const rgVersion = "2021-04-01"

var rg = "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"

func site(name string) string { return rg + "/providers/Privlink.OnPrem/sites/" + name }

func start(t *testing.T, pr onprem.Provider) *armtest.Server {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, pr)
	if r := s.Do(http.MethodPut, rg, rgVersion, `{"location":"eastus"}`); r.Status >= 300 {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	return s
}

func props(t *testing.T, r *armtest.Result) map[string]any {
	t.Helper()
	p, _ := r.JSON()["properties"].(map[string]any)
	if p == nil {
		t.Fatalf("no properties: %s", r.Body)
	}
	return p
}

func TestSites(t *testing.T) {
	s := start(t, onprem.Provider{})
	r := s.Do(http.MethodPut, site("corp"), onprem.APIVersion,
		`{"location":"eastus","properties":{"addressPrefixes":["192.168.0.0/16"],"dnsServer":{"forwarders":[{"domain":"AzmK8s.io.","targetIpAddresses":["10.1.2.4"]}]},
		 "vpnDevices":[{"name":"edge1","remoteGatewayIpAddress":"52.160.0.10","sharedKey":"abc"}]}}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	p := props(t, r)
	if p["edgePublicIpAddress"] != "198.51.100.1" {
		t.Errorf("edge %v", p["edgePublicIpAddress"])
	}
	dns := p["dnsServer"].(map[string]any)
	if dns["privateIpAddress"] != "192.168.0.4" {
		t.Errorf("dns server %v", dns["privateIpAddress"])
	}
	if fw := dns["forwarders"].([]any)[0].(map[string]any); fw["domain"] != "azmk8s.io" {
		t.Errorf("forwarder %v", fw)
	}
	// Updating keeps the edge address, a second site gets the next one.
	r = s.Do(http.MethodPut, site("corp"), onprem.APIVersion, `{"location":"eastus","properties":{"addressPrefixes":["192.168.0.0/16"],"edgePublicIpAddress":"1.2.3.4"}}`)
	if props(t, r)["edgePublicIpAddress"] != "198.51.100.1" {
		t.Errorf("edge after update: %s", r.Body)
	}
	r = s.Do(http.MethodPut, site("branch"), onprem.APIVersion, `{"location":"eastus","properties":{"addressPrefixes":["172.20.0.0/16"]}}`)
	if props(t, r)["edgePublicIpAddress"] != "198.51.100.2" {
		t.Errorf("second edge: %s", r.Body)
	}

	cases := []struct {
		name, body, code, msg string
	}{
		{"bad", `{"location":"eastus","properties":{"addressPrefixes":["10.0.0.0/33"]}}`, "InvalidAddressPrefix", "not a valid IPv4 CIDR"},
		{"hostbits", `{"location":"eastus","properties":{"addressPrefixes":["10.0.0.1/16"]}}`, "InvalidAddressPrefix", "did you mean 10.0.0.0/16"},
		{"empty", `{"location":"eastus","properties":{"addressPrefixes":[]}}`, "InvalidAddressPrefix", "at least one address prefix"},
		{"selfoverlap", `{"location":"eastus","properties":{"addressPrefixes":["10.0.0.0/16","10.0.1.0/24"]}}`, "InvalidAddressPrefix", "overlap"},
		{"overlap", `{"location":"eastus","properties":{"addressPrefixes":["192.168.10.0/24"]}}`, "SiteAddressSpacesOverlap", "overlaps address prefix 192.168.0.0/16 of site corp"},
		{"dnsout", `{"location":"eastus","properties":{"addressPrefixes":["10.9.0.0/24"],"dnsServer":{"privateIpAddress":"10.8.0.4"}}}`, "PrivateIPAddressNotInSiteAddressSpace", "10.8.0.4"},
		{"key", `{"location":"eastus","properties":{"addressPrefixes":["10.9.0.0/24"],"vpnDevices":[{"name":"d","remoteGatewayIpAddress":"52.160.0.1","sharedKey":""}]}}`, "InvalidParameter", "shared key"},
		{"gwip", `{"location":"eastus","properties":{"addressPrefixes":["10.9.0.0/24"],"vpnDevices":[{"name":"d","remoteGatewayIpAddress":"x","sharedKey":"k"}]}}`, "InvalidParameter", "remoteGatewayIpAddress"},
		{"servicekey", `{"location":"eastus","properties":{"addressPrefixes":["10.9.0.0/24"],"expressRoute":[{"circuitServiceKey":"nope"}]}}`, "InvalidParameter", "service key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(http.MethodPut, site(c.name), onprem.APIVersion, c.body)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != c.code || !strings.Contains(r.ErrorMessage(), c.msg) {
				t.Errorf("%d %s %q, want 400 %s containing %q", r.Status, r.ErrorCode(), r.ErrorMessage(), c.code, c.msg)
			}
		})
	}
}

func TestHosts(t *testing.T) {
	var gotEnv string
	s := start(t, onprem.Provider{Env: func(_ context.Context, id string) ([]string, error) {
		gotEnv = id
		return []string{"PRIVLINK_VANTAGE=" + id}, nil
	}})
	if r := s.Do(http.MethodPut, site("corp"), onprem.APIVersion,
		`{"location":"eastus","properties":{"addressPrefixes":["192.168.0.0/24"],"dnsServer":{}}}`); r.Status >= 300 {
		t.Fatalf("site: %s", r.Body)
	}
	h := site("corp") + "/hosts/"
	r := s.Do(http.MethodPut, h+"laptop", onprem.APIVersion, `{}`)
	if p := props(t, r); p["privateIpAddress"] != "192.168.0.5" || p["powerState"] != "running" || p["computerName"] != "laptop" {
		t.Errorf("allocated host: %s (the DNS server holds .4)", r.Body)
	}
	cases := []struct {
		name, body, code, msg string
	}{
		{"out", `{"properties":{"privateIpAddress":"10.0.0.4"}}`, "PrivateIPAddressNotInSiteAddressSpace", "not a host address"},
		{"dup", `{"properties":{"privateIpAddress":"192.168.0.5"}}`, "PrivateIPAddressInUse", "host laptop"},
		{"dns", `{"properties":{"privateIpAddress":"192.168.0.4"}}`, "PrivateIPAddressInUse", "DNS server"},
		{"bcast", `{"properties":{"privateIpAddress":"192.168.0.255"}}`, "PrivateIPAddressNotInSiteAddressSpace", "not a host address"},
		{"power", `{"properties":{"powerState":"sleeping"}}`, "InvalidParameter", "running, stopped"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(http.MethodPut, h+c.name, onprem.APIVersion, c.body)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != c.code || !strings.Contains(r.ErrorMessage(), c.msg) {
				t.Errorf("%d %s %q, want 400 %s containing %q", r.Status, r.ErrorCode(), r.ErrorMessage(), c.code, c.msg)
			}
		})
	}
	if r := s.Do(http.MethodPut, site("nosite")+"/hosts/x", onprem.APIVersion, `{}`); r.Status != http.StatusNotFound {
		t.Errorf("host of a missing site: %d %s", r.Status, r.Body)
	}
	// Shrinking the site away from its host is refused.
	r = s.Do(http.MethodPut, site("corp"), onprem.APIVersion, `{"location":"eastus","properties":{"addressPrefixes":["192.168.1.0/24"]}}`)
	if r.ErrorCode() != "InUseAddressPrefixCannotBeDeleted" {
		t.Errorf("shrink: %d %s", r.Status, r.Body)
	}

	// Run command: the script sees the host's environment and parameters.
	r = s.Do(http.MethodPost, h+"laptop/runCommand", onprem.APIVersion,
		`{"commandId":"RunShellScript","script":["echo $PRIVLINK_VANTAGE $1; echo oops >&2"],"parameters":[{"name":"arg1","value":"hello"}]}`)
	if r.Status != http.StatusOK {
		t.Fatalf("run command: %d %s", r.Status, r.Body)
	}
	msg := r.JSON()["value"].([]any)[0].(map[string]any)["message"].(string)
	want := "Enable succeeded: \n[stdout]\n" + h + "laptop hello\n\n[stderr]\noops\n"
	if msg != want || !strings.EqualFold(gotEnv, h+"laptop") {
		t.Errorf("message %q, want %q (env for %s)", msg, want, gotEnv)
	}
	if r := s.Do(http.MethodPost, h+"laptop/stop", onprem.APIVersion, nil); r.Status != http.StatusOK {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	if p := props(t, s.Do(http.MethodGet, h+"laptop", onprem.APIVersion, nil)); p["powerState"] != "stopped" {
		t.Errorf("after stop: %v", p)
	}
	r = s.Do(http.MethodPost, h+"laptop/runCommand", onprem.APIVersion, `{"commandId":"RunShellScript","script":["true"]}`)
	if r.Status != http.StatusConflict || r.ErrorCode() != "OperationNotAllowed" {
		t.Errorf("run on a stopped host: %d %s", r.Status, r.Body)
	}
	// Deleting the site frees its edge address.
	if r := s.Do(http.MethodDelete, site("corp"), onprem.APIVersion, nil); r.Status >= 300 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodPut, site("again"), onprem.APIVersion, `{"location":"eastus","properties":{"addressPrefixes":["10.7.0.0/24"]}}`)
	if props(t, r)["edgePublicIpAddress"] != "198.51.100.1" {
		t.Errorf("edge not reused: %s", r.Body)
	}
}
