package containerservice

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

const api = "2022-11-01"

func clusterPath(name string) string {
	return "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/" + name
}

func start(t *testing.T) *armtest.Server {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, &Provider{})
	for _, p := range []struct{ path, v string }{
		{"/subscriptions/" + armtest.Subscription + "/resourceGroups/rg", "2021-04-01"},
	} {
		if r := s.Do(http.MethodPut, p.path, p.v, map[string]any{"location": "westus2"}); r.Status >= 300 {
			t.Fatalf("%s: %d %s", p.path, r.Status, r.Body)
		}
	}
	net := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
	r := s.Do(http.MethodPut, net, "2022-01-01", map[string]any{"location": "westus2", "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{"172.19.0.0/16"}},
		"subnets": []any{
			map[string]any{"name": "nodes", "properties": map[string]any{"addressPrefix": "172.19.1.0/24"}},
			map[string]any{"name": "api", "properties": map[string]any{"addressPrefix": "172.19.0.0/28",
				"delegations": []any{map[string]any{"name": "d", "properties": map[string]any{"serviceName": DelegationService}}}}},
			map[string]any{"name": "api29", "properties": map[string]any{"addressPrefix": "172.19.2.0/29",
				"delegations": []any{map[string]any{"name": "d", "properties": map[string]any{"serviceName": DelegationService}}}}},
			map[string]any{"name": "plain", "properties": map[string]any{"addressPrefix": "172.19.3.0/24"}},
		},
	}})
	if r.Status >= 300 {
		t.Fatalf("vnet: %d %s", r.Status, r.Body)
	}
	s.Wait(r)
	return s
}

func body(ap map[string]any, extra map[string]any) map[string]any {
	props := map[string]any{
		"dnsPrefix":         "c1",
		"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "count": 1}},
	}
	if ap != nil {
		props["apiServerAccessProfile"] = ap
	}
	for k, v := range extra {
		props[k] = v
	}
	return map[string]any{"location": "westus2", "properties": props}
}

func subnet(name string) string {
	return "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/" + name
}

// TestCreateRefusals: every invalid combination is refused by the PUT,
// before anything is created.
func TestCreateRefusals(t *testing.T) {
	s := start(t)
	byo := func(ap map[string]any) map[string]any {
		return body(ap, map[string]any{"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "count": 1, "vnetSubnetID": subnet("nodes")}}})
	}
	for _, tc := range []struct {
		name, code, msg string
		body            map[string]any
	}{
		{"private with authorized ranges", "InvalidParameter", "--api-server-authorized-ip-ranges is not supported for private cluster",
			body(map[string]any{"enablePrivateCluster": true, "authorizedIPRanges": []string{"1.2.3.4/32"}}, nil)},
		{"private with basic LB", "InvalidParameter", "Please use standard load balancer for private cluster",
			body(map[string]any{"enablePrivateCluster": true}, map[string]any{"networkProfile": map[string]any{"loadBalancerSku": "basic"}})},
		{"zone on a public cluster", "InvalidParameter", "Invalid private dns zone for public cluster",
			body(map[string]any{"privateDNSZone": "system"}, nil)},
		{"public FQDN flag on a public cluster", "InvalidParameter", "--disable-public-fqdn should only be used with --enable-private-cluster",
			body(map[string]any{"enablePrivateClusterPublicFQDN": false}, nil)},
		{"none without public FQDN", "InvalidParameter", "--disable-public-fqdn cannot be applied for none mode private dns zone cluster",
			body(map[string]any{"enablePrivateCluster": true, "privateDNSZone": "none", "enablePrivateClusterPublicFQDN": false}, nil)},
		{"fqdnSubdomain without custom zone", "InvalidParameter", "--fqdn-subdomain should only be used for private cluster with custom private dns zone",
			body(map[string]any{"enablePrivateCluster": true}, map[string]any{"dnsPrefix": "", "fqdnSubdomain": "domain1"})},
		{"bad version", "K8sVersionNotSupported", "is on version 1.20.0 which is not supported",
			body(nil, map[string]any{"kubernetesVersion": "1.20.0"})},
		{"bad dns prefix", "InvalidParameter", "DNS prefix '-bad' is invalid", body(nil, map[string]any{"dnsPrefix": "-bad"})},
		{"undelegated API server subnet", "InvalidParameter", "must be delegated to Microsoft.ContainerService/managedClusters",
			byo(map[string]any{"enableVnetIntegration": true, "subnetId": subnet("plain")})},
		{"API server subnet too small", "InvalidParameter", "the minimum supported size is /28",
			byo(map[string]any{"enableVnetIntegration": true, "subnetId": subnet("api29")})},
		{"VNet integration with own VNet needs the subnet", "InvalidParameter", "apiServerAccessProfile.subnetId must be specified",
			byo(map[string]any{"enableVnetIntegration": true})},
		{"subnet ID without VNet integration", "InvalidParameter", "can only be set when apiServerAccessProfile.enableVnetIntegration is true",
			byo(map[string]any{"subnetId": subnet("api")})},
		{"missing node subnet", "InvalidParameter", "does not exist",
			body(nil, map[string]any{"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "vnetSubnetID": subnet("nope")}}})},
		{"bad pool name", "InvalidParameter", "The agent pool name 'Pool_1' is invalid",
			body(nil, map[string]any{"agentPoolProfiles": []any{map[string]any{"name": "Pool_1"}}})},
		{"custom zone that does not exist", "InvalidParameter", "does not exist.",
			body(map[string]any{"enablePrivateCluster": true, "privateDNSZone": "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.westus2.azmk8s.io"}, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(http.MethodPut, clusterPath("c1"), api, tc.body)
			if r.Status != http.StatusBadRequest || r.ErrorCode() != tc.code || !strings.Contains(r.ErrorMessage(), tc.msg) {
				t.Fatalf("got %d %s %q, want 400 %s containing %q", r.Status, r.ErrorCode(), r.ErrorMessage(), tc.code, tc.msg)
			}
		})
	}
	if r := s.Do(http.MethodGet, clusterPath("c1"), api, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a refused create left a cluster: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/resourceGroups/MC_rg_c1_westus2", "2021-04-01", nil); r.Status != http.StatusNotFound {
		t.Fatalf("a refused create left a node resource group: %d", r.Status)
	}
}

// TestCreateNames: the read-only names in Azure's formats, set at PUT.
func TestCreateNames(t *testing.T) {
	s := start(t)
	r := s.Do(http.MethodPut, clusterPath("priv"), api, body(map[string]any{"enablePrivateCluster": true}, map[string]any{"dnsPrefix": "Priv-1"}))
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	p := r.JSON()["properties"].(map[string]any)
	for k, re := range map[string]string{
		"fqdn":              `^priv-1-[0-9a-f]{8}\.hcp\.westus2\.azmk8s\.io$`,
		"azurePortalFQDN":   `^priv-1-[0-9a-f]{8}\.portal\.hcp\.westus2\.azmk8s\.io$`,
		"privateFQDN":       `^priv-1-[0-9a-f]{8}\.[0-9a-f-]{36}\.privatelink\.westus2\.azmk8s\.io$`,
		"nodeResourceGroup": `^MC_rg_priv_westus2$`,
		"provisioningState": `^Creating$`,
		"kubernetesVersion": `^1\.37\.1$`,
	} {
		if v, _ := p[k].(string); !regexp.MustCompile(re).MatchString(v) {
			t.Errorf("%s = %q, want %s", k, v, re)
		}
	}
	if strings.Split(p["fqdn"].(string), ".")[0] == strings.Split(p["privateFQDN"].(string), ".")[0] {
		t.Errorf("public and private FQDN share their hash: %v %v", p["fqdn"], p["privateFQDN"])
	}
	ap := p["apiServerAccessProfile"].(map[string]any)
	if ap["privateDNSZone"] != "system" || ap["enablePrivateClusterPublicFQDN"] != true {
		t.Errorf("access profile defaults: %v", ap)
	}
	np := p["networkProfile"].(map[string]any)
	if np["networkPlugin"] != "kubenet" || np["serviceCidr"] != "10.0.0.0/16" || np["dnsServiceIP"] != "10.0.0.10" || np["podCidr"] != "10.244.0.0/16" {
		t.Errorf("network profile defaults: %v", np)
	}
	// A second operation while the first runs is refused.
	if r := s.Do(http.MethodPut, clusterPath("priv"), api, body(map[string]any{"enablePrivateCluster": true}, map[string]any{"dnsPrefix": "Priv-1"})); r.Status != http.StatusConflict {
		t.Errorf("update during create: %d %s", r.Status, r.Body)
	}
}

func TestNodeNames(t *testing.T) {
	if got := nodeName("nodepool1", "12345678", 0); got != "aks-nodepool1-12345678-vmss000000" {
		t.Errorf("node 0: %s", got)
	}
	if got := nodeName("nodepool1", "12345678", 37); got != "aks-nodepool1-12345678-vmss000011" {
		t.Errorf("node 37: %s", got)
	}
}
