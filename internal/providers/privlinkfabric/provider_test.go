package privlinkfabric_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/privlinkfabric"
	"github.com/privlink/privlink/internal/providers/resources"
)

// fakeCompute registers a minimal Microsoft.Compute/virtualMachines type so
// listeners have a host scope to live on.
type fakeCompute struct{}

func (fakeCompute) Namespace() string { return "Microsoft.Compute" }

func (fakeCompute) Register(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type:        "Microsoft.Compute/virtualMachines",
		APIVersions: []string{"2022-11-01"},
		Put:         func(context.Context, *arm.PutOp) error { return nil },
	})
	return nil
}

const (
	rgVersion = "2021-04-01"
	vmVersion = "2022-11-01"
)

func start(t *testing.T, pr privlinkfabric.Provider) (*armtest.Server, string) {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, fakeCompute{}, pr)
	rg := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"
	if r := s.Do(http.MethodPut, rg, rgVersion, `{"location":"eastus"}`); r.Status >= 300 {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	vm := rg + "/providers/Microsoft.Compute/virtualMachines/vm1"
	if r := s.Do(http.MethodPut, vm, vmVersion, `{"location":"eastus"}`); r.Status >= 300 {
		t.Fatalf("create vm: %d %s", r.Status, r.Body)
	}
	return s, vm
}

func TestListeners(t *testing.T) {
	s, vm := start(t, privlinkfabric.Provider{})
	base := vm + "/providers/Privlink.Fabric/listeners/"
	cases := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"tcp-8080", `{"properties":{"protocol":"Tcp","port":8080,"target":"127.0.0.1:18080"}}`, 201, "", ""},
		{"udp-53", `{"properties":{"target":"localhost:5353"}}`, 201, "", ""},
		{"tcp-443", `{"properties":{"protocol":"Tcp","port":443,"target":"10.0.0.4:443"}}`, 400, "InvalidParameter", "only delivers to listeners on loopback"},
		{"tcp-444", `{"properties":{"target":"127.0.0.1"}}`, 400, "InvalidParameter", "must be host:port"},
		{"tcp-445", `{"properties":{"protocol":"Udp","target":"127.0.0.1:1"}}`, 400, "InvalidRequestContent", "does not match the listener name"},
		{"tcp-446", `{"properties":{"port":447,"target":"127.0.0.1:1"}}`, 400, "InvalidRequestContent", "does not match"},
		{"tcp-447", `{"properties":{"protocol":"Sctp","target":"127.0.0.1:1"}}`, 400, "InvalidParameter", "Allowed values: Tcp, Udp"},
		{"http-80", `{"properties":{"target":"127.0.0.1:1"}}`, 400, "InvalidResourceName", "<protocol>-<port>"},
		{"tcp-70000", `{"properties":{"target":"127.0.0.1:1"}}`, 400, "InvalidParameter", "between 1 and 65535"},
		{"tcp-448", `{"properties":"x"}`, 400, "", ""},
		{"tcp-10.224.0.35-80", `{"properties":{"address":"10.224.0.35","target":"127.0.0.1:1"}}`, 201, "", ""},
		{"tcp-10.224.0.36-80", `{"properties":{"target":"127.0.0.1:1"}}`, 400, "InvalidParameter", "property 'address' is invalid"},
		{"tcp-10.224.0.37-80", `{"properties":{"address":"10.224.0.38","target":"127.0.0.1:1"}}`, 400, "InvalidRequestContent", "does not match the listener name"},
		{"tcp-81", `{"properties":{"address":"10.224.0.38","target":"127.0.0.1:1"}}`, 400, "InvalidRequestContent", "does not match the listener name"},
		{"tcp-10.224.0.39-70000", `{"properties":{"address":"10.224.0.39","target":"127.0.0.1:1"}}`, 400, "InvalidParameter", "between 1 and 65535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(http.MethodPut, base+c.name, privlinkfabric.APIVersion, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" && r.ErrorCode() != c.code {
				t.Errorf("code %q, want %q (%s)", r.ErrorCode(), c.code, r.Body)
			}
			if c.msg != "" && !strings.Contains(r.ErrorMessage(), c.msg) {
				t.Errorf("message %q lacks %q", r.ErrorMessage(), c.msg)
			}
		})
	}
	r := s.Do(http.MethodGet, base+"udp-53", privlinkfabric.APIVersion, nil)
	props, _ := r.JSON()["properties"].(map[string]any)
	if r.Status != 200 || props["protocol"] != "Udp" || props["port"] != float64(53) || props["target"] != "127.0.0.1:5353" {
		t.Errorf("get udp-53: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodGet, strings.TrimSuffix(base, "/"), privlinkfabric.APIVersion, nil)
	if vals, _ := r.JSON()["value"].([]any); r.Status != 200 || len(vals) != 3 {
		t.Errorf("list: %d %s", r.Status, r.Body)
	}
	// Not on a host.
	rg := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"
	r = s.Do(http.MethodPut, rg+"/providers/Privlink.Fabric/listeners/tcp-1", privlinkfabric.APIVersion, `{"properties":{"target":"127.0.0.1:1"}}`)
	if r.Status != 400 || r.ErrorCode() != "InvalidScope" {
		t.Errorf("listener on a group: %d %s", r.Status, r.Body)
	}
	// Listeners go with their host.
	if r := s.Do(http.MethodDelete, vm, vmVersion, nil); r.Status >= 300 {
		t.Fatalf("delete vm: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodPut, vm, vmVersion, `{"location":"eastus"}`); r.Status >= 300 {
		t.Fatalf("recreate vm: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, base+"tcp-8080", privlinkfabric.APIVersion, nil); r.Status != 404 {
		t.Errorf("listener survived its VM: %d %s", r.Status, r.Body)
	}
	// Missing host.
	r = s.Do(http.MethodPut, rg+"/providers/Microsoft.Compute/virtualMachines/nope/providers/Privlink.Fabric/listeners/tcp-1", privlinkfabric.APIVersion, `{"properties":{"target":"127.0.0.1:1"}}`)
	if r.Status != 404 {
		t.Errorf("listener on a missing VM: %d %s", r.Status, r.Body)
	}
}

func TestEnvironmentAndDNSQuery(t *testing.T) {
	var gotFrom, gotTo, gotName, gotType string
	pr := privlinkfabric.Provider{
		Environment: func(_ context.Context, _, from, to string) (*privlinkfabric.Environment, error) {
			gotFrom, gotTo = from, to
			if from == "nope" {
				return nil, arm.NotFound("VantageNotFound", "The vantage host 'nope' was not found.")
			}
			return &privlinkfabric.Environment{Vantage: from, Variables: map[string]string{"ALL_PROXY": "socks5h://x@127.0.0.1:1080"}}, nil
		},
		DNSQuery: func(_ context.Context, _, from, name, qtype string) (*privlinkfabric.DNSAnswer, error) {
			gotFrom, gotName, gotType = from, name, qtype
			return &privlinkfabric.DNSAnswer{Rcode: "NOERROR", Answers: []privlinkfabric.DNSRecord{{Name: name, Type: qtype, TTL: 10, Value: "10.0.0.4"}}}, nil
		},
	}
	s, _ := start(t, pr)
	r := s.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{"from":"vm1"}`)
	if vars, _ := r.JSON()["variables"].(map[string]any); r.Status != 200 || gotFrom != "vm1" || vars["ALL_PROXY"] == nil {
		t.Errorf("environment: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{"from":"bas","to":"10.2.0.4:22"}`)
	if r.Status != 200 || gotFrom != "bas" || gotTo != "10.2.0.4:22" {
		t.Errorf("environment to an address: %d %s (from %q to %q)", r.Status, r.Body, gotFrom, gotTo)
	}
	for _, bad := range []string{"10.2.0.4", "vm2:22", "10.2.0.4:x"} {
		r = s.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{"from":"bas","to":"`+bad+`"}`)
		if r.Status != 400 || r.ErrorCode() != "InvalidRequestContent" || !strings.Contains(string(r.Body), bad) {
			t.Errorf("to %q: %d %s", bad, r.Status, r.Body)
		}
	}
	r = s.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{"from":"nope"}`)
	if r.Status != 404 || r.ErrorCode() != "VantageNotFound" {
		t.Errorf("unknown vantage: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{}`)
	if r.Status != 400 || r.ErrorCode() != "InvalidRequestContent" {
		t.Errorf("no from: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodPost, "/subscriptions/"+armtest.Subscription+"/providers/Privlink.Fabric/dnsQuery", privlinkfabric.APIVersion, `{"from":"vm1","name":"a.example.com","type":"aaaa"}`)
	if r.Status != 200 || gotName != "a.example.com" || gotType != "AAAA" {
		t.Errorf("dnsQuery: %d %s", r.Status, r.Body)
	}
	r = s.Do(http.MethodPost, "/providers/Privlink.Fabric/dnsQuery", privlinkfabric.APIVersion, `{"from":"vm1"}`)
	if r.Status != 400 {
		t.Errorf("dnsQuery without name: %d %s", r.Status, r.Body)
	}
	// Without the data plane.
	s2, _ := start(t, privlinkfabric.Provider{})
	r = s2.Do(http.MethodPost, "/providers/Privlink.Fabric/environment", privlinkfabric.APIVersion, `{"from":"vm1"}`)
	if r.Status != 501 {
		t.Errorf("no data plane: %d %s", r.Status, r.Body)
	}
}
