package aks

import (
	"strings"
	"testing"
)

// existingCluster is a cluster as the service returns it.
func existingCluster(ap map[string]any) map[string]any {
	props := map[string]any{
		"provisioningState": "Succeeded", "powerState": map[string]any{"code": "Running"}, "maxAgentPools": 100.0,
		"fqdn": "aks1-rg-000000-abcd1234.hcp.westus2.azmk8s.io", "azurePortalFQDN": "aks1-rg-000000-abcd1234.portal.hcp.westus2.azmk8s.io",
		"currentKubernetesVersion": "1.27.3", "kubernetesVersion": "1.27.3", "dnsPrefix": "aks1-rg-000000",
		"agentPoolProfiles": []any{map[string]any{"name": "nodepool1", "count": 3.0, "provisioningState": "Succeeded",
			"currentOrchestratorVersion": "1.27.3", "nodeImageVersion": "AKSUbuntu-2204", "vnetSubnetID": subnetID}},
	}
	if ap != nil {
		props["apiServerAccessProfile"] = ap
	}
	return map[string]any{"id": clusterID, "name": "aks1", "type": "Microsoft.ContainerService/managedClusters",
		"location": "westus2", "identity": map[string]any{"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
		"properties": props}
}

func TestUpdateValidation(t *testing.T) {
	plain := map[string]any(nil)
	private := map[string]any{"enablePrivateCluster": true}
	privNone := map[string]any{"enablePrivateCluster": true, "privateDNSZone": "none"}
	for _, tc := range []struct {
		name string
		ap   map[string]any
		args []string
		msg  string
	}{
		{"enable private needs vnet integration", plain, []string{"--enable-private-cluster"},
			"Enabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration)."},
		{"disable private needs vnet integration", private, []string{"--disable-private-cluster"},
			"Disabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration)."},
		{"convert without subnet", plain, []string{"--enable-apiserver-vnet-integration"},
			"--apiserver-subnet-id is required for update with --enable-apiserver-vnet-integration."},
		{"subnet without integration", plain, []string{"--apiserver-subnet-id", apiSubnetID},
			`"--apiserver-subnet-id" requires "--enable-apiserver-vnet-integration".`},
		{"ranges on private", private, []string{"--api-server-authorized-ip-ranges", "1.2.3.4/32"},
			"--api-server-authorized-ip-ranges is not supported for private cluster"},
		{"disable fqdn on public", plain, []string{"--disable-public-fqdn"}, "--disable-public-fqdn can only be used for private cluster"},
		{"enable fqdn on public", plain, []string{"--enable-public-fqdn"}, "--enable-public-fqdn can only be used for private cluster"},
		{"disable fqdn none zone", privNone, []string{"--disable-public-fqdn"},
			"--disable-public-fqdn cannot be applied for none mode private dns zone cluster"},
		{"both fqdn flags", private, []string{"--disable-public-fqdn", "--enable-public-fqdn"},
			"Cannot specify '--enable-public-fqdn' and '--disable-public-fqdn' at the same time"},
		{"both run command flags", plain, []string{"--disable-run-command", "--enable-run-command"},
			"Cannot specify --enable-run-command and --disable-run-command at the same time."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.JSON("GET", clusterP, 200, existingCluster(tc.ap))
			res := f.Run(Groups(), append([]string{"aks", "update", "-g", "rg", "-n", "aks1"}, tc.args...)...).Expect(t, 1)
			if !strings.Contains(res.Stderr, "ERROR: "+tc.msg) {
				t.Errorf("stderr = %q, want %s", res.Stderr, tc.msg)
			}
			if len(f.Find("PUT", clusterP)) != 0 {
				t.Error("PUT sent although validation failed")
			}
		})
	}
}

func TestUpdateNothingToDo(t *testing.T) {
	f := newFake(t)
	res := f.Run(Groups(), "aks", "update", "-g", "rg", "-n", "aks1").Expect(t, 1)
	if !strings.HasPrefix(res.Stderr, `ERROR: Please specify one or more of "--api-server-authorized-ip-ranges" or "--enable-public-fqdn" or `) ||
		!strings.Contains(res.Stderr, `"--enable-apiserver-vnet-integration" or "--apiserver-subnet-id" or "--enable-private-cluster"`) ||
		!strings.Contains(res.Stderr, `"--tags" or "--yes" or "--no-wait".`) {
		t.Errorf("stderr: %s", res.Stderr)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("requests: %v", f.Summary())
	}
}

func TestUpdateConvertAndTogglePrivate(t *testing.T) {
	f := newFake(t)
	stored := existingCluster(nil)
	serveCluster(f, &stored)

	// Convert to API Server VNet Integration (seed 001).
	res := f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--enable-apiserver-vnet-integration", "--apiserver-subnet-id", apiSubnetID).Expect(t, 0)
	body := f.Last("PUT").JSON()
	jsonEqual(t, "PUT body", body, `{
		"location": "westus2",
		"identity": {"type": "SystemAssigned"},
		"properties": {
			"kubernetesVersion": "1.27.3", "dnsPrefix": "aks1-rg-000000",
			"agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vnetSubnetID": "`+subnetID+`"}],
			"apiServerAccessProfile": {"enableVnetIntegration": true, "subnetId": "`+apiSubnetID+`"}
		}
	}`)
	if out := res.Object(t); out["apiServerAccessProfile"].(map[string]any)["enableVnetIntegration"] != true {
		t.Errorf("output: %v", out)
	}

	// Now private mode can be turned on and off without the flag.
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--enable-private-cluster").Expect(t, 0)
	jsonEqual(t, "enable private", f.Last("PUT").JSON()["properties"].(map[string]any)["apiServerAccessProfile"],
		`{"enableVnetIntegration": true, "subnetId": "`+apiSubnetID+`", "enablePrivateCluster": true}`)
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--disable-private-cluster", "--no-wait").Expect(t, 0)
	jsonEqual(t, "disable private", f.Last("PUT").JSON()["properties"].(map[string]any)["apiServerAccessProfile"],
		`{"enableVnetIntegration": true, "subnetId": "`+apiSubnetID+`", "enablePrivateCluster": false}`)

	// Enabling private mode together with the conversion is accepted.
	stored = existingCluster(nil)
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--enable-private-cluster", "--enable-apiserver-vnet-integration", "--apiserver-subnet-id", apiSubnetID).Expect(t, 0)
}

func TestUpdateRangesRunCommandTagsDNS(t *testing.T) {
	f := newFake(t)
	stored := existingCluster(map[string]any{"authorizedIPRanges": []any{"1.2.3.4/32"}})
	serveCluster(f, &stored)
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--api-server-authorized-ip-ranges", "10.0.0.0/8, 20.0.0.0/8", "--disable-run-command", "--tags", "a=b").Expect(t, 0)
	body := f.Last("PUT").JSON()
	jsonEqual(t, "profile", body["properties"].(map[string]any)["apiServerAccessProfile"],
		`{"authorizedIPRanges": ["10.0.0.0/8", "20.0.0.0/8"], "disableRunCommand": true}`)
	jsonEqual(t, "tags", body["tags"], `{"a": "b"}`)
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--api-server-authorized-ip-ranges", "", "--enable-run-command").Expect(t, 0)
	jsonEqual(t, "cleared", f.Last("PUT").JSON()["properties"].(map[string]any)["apiServerAccessProfile"],
		`{"authorizedIPRanges": [], "disableRunCommand": false}`)

	stored = existingCluster(map[string]any{"enablePrivateCluster": true, "privateDNSZone": "system"})
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--disable-public-fqdn").Expect(t, 0)
	if v := f.Last("PUT").JSON()["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)["enablePrivateClusterPublicFQDN"]; v != false {
		t.Errorf("enablePrivateClusterPublicFQDN %v", v)
	}
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--enable-public-fqdn", "--private-dns-zone", "None").Expect(t, 0)
	ap := f.Last("PUT").JSON()["properties"].(map[string]any)["apiServerAccessProfile"].(map[string]any)
	if ap["privateDNSZone"] != "none" || ap["enablePrivateClusterPublicFQDN"] != true {
		t.Errorf("apiServerAccessProfile %v", ap)
	}
	// The cluster is now in none mode: the public FQDN cannot be disabled.
	f.Run(Groups(), "aks", "update", "-n", "aks1", "-g", "rg", "--disable-public-fqdn").Expect(t, 1)
}
