package aks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/sshkey"
)

func TestDefaultDNSPrefix(t *testing.T) {
	for _, tc := range []struct{ name, rg, sub, want string }{
		{"zjaks02", "zjPrivateLink", "12345678-aaaa", "zjaks02-zjPrivateLink-123456"},
		{"my_cluster.name!", "my.rg_with_a_very_long_name", "abcdef12", "myclustern-myrgwithaverylon-abcdef"},
		{"1cluster", "rg", "000000-1", "a1cluster-rg-000000"},
		{"123456789012", "rg", "ffffff", "a123456789-rg-ffffff"},
		{"aks-01", "RG-with-dash", "0a", "aks-01-RG-with-dash-0a"},
		{"-x", "rg", "sub", "a-x-rg-sub"},
	} {
		if got := DefaultDNSPrefix(tc.name, tc.rg, tc.sub); got != tc.want {
			t.Errorf("DefaultDNSPrefix(%q, %q, %q) = %q, want %q", tc.name, tc.rg, tc.sub, got, tc.want)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"ranges on private", []string{"--enable-private-cluster", "--api-server-authorized-ip-ranges", "1.2.3.4/32"}, 1,
			"--api-server-authorized-ip-ranges is not supported for private cluster"},
		{"basic lb private", []string{"--enable-private-cluster", "--load-balancer-sku", "Basic"}, 1,
			"Please use standard load balancer for private cluster"},
		{"disable public fqdn on public", []string{"--disable-public-fqdn"}, 1,
			"--disable-public-fqdn should only be used with --enable-private-cluster"},
		{"zone on public", []string{"--private-dns-zone", "system"}, 1,
			"Invalid private dns zone for public cluster. It should always be empty for public cluster"},
		{"subdomain with system zone", []string{"--enable-private-cluster", "--private-dns-zone", "system", "--fqdn-subdomain", "sub"}, 1,
			"--fqdn-subdomain should only be used for private cluster with custom private dns zone"},
		{"subdomain with none zone", []string{"--enable-private-cluster", "--private-dns-zone", "None", "--fqdn-subdomain", "sub"}, 1,
			"--fqdn-subdomain should only be used for private cluster with custom private dns zone"},
		{"disable fqdn with none zone", []string{"--enable-private-cluster", "--private-dns-zone", "none", "--disable-public-fqdn"}, 1,
			"--disable-public-fqdn cannot be applied for none mode private dns zone cluster"},
		{"bad zone", []string{"--enable-private-cluster", "--private-dns-zone", "myzone"}, 1,
			"myzone is not a valid Azure resource ID."},
		{"apiserver subnet without vnet subnet", []string{"--enable-apiserver-vnet-integration", "--apiserver-subnet-id", apiSubnetID}, 1,
			`"--apiserver-subnet-id" requires "--vnet-subnet-id".`},
		{"apiserver subnet without integration", []string{"--vnet-subnet-id", subnetID, "--apiserver-subnet-id", apiSubnetID}, 1,
			`"--apiserver-subnet-id" requires "--enable-apiserver-vnet-integration".`},
		{"prefix and subdomain", []string{"-p", "x", "--fqdn-subdomain", "y", "--enable-private-cluster", "--private-dns-zone", zoneID}, 1,
			"--dns-name-prefix and --fqdn-subdomain cannot be used at same time"},
		{"ranges with basic lb", []string{"--api-server-authorized-ip-ranges", "1.2.3.4/32", "--load-balancer-sku", "basic"}, 1,
			"--api-server-authorized-ip-ranges can only be used with standard load balancer"},
		{"bad subnet id", []string{"--vnet-subnet-id", "nodes"}, 2, "--vnet-subnet-id is not a valid Azure resource ID."},
		{"bad apiserver subnet id", []string{"--apiserver-subnet-id", "/subscriptions/x/bad"}, 2, "--apiserver-subnet-id is not a valid Azure resource ID."},
		{"bad identity", []string{"--assign-identity", "id1"}, 2, "--assign-identity is not a valid Azure resource ID."},
		{"bad ssh key", []string{"--ssh-key-value", "not-a-key"}, 1, // as vm create (internal/cli/sshkey)
			"An RSA key file or key value must be supplied to SSH Key Value. You can use --generate-ssh-keys to let CLI generate one for you"},
		{"bad plugin", []string{"--network-plugin", "calico"}, 2, "az aks create: 'calico' is not a valid value for '--network-plugin'. Allowed values: azure, kubenet, none."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			res := f.Run(Groups(), append([]string{"aks", "create", "-g", "rg", "-n", "aks1"}, tc.args...)...).Expect(t, tc.code)
			if !strings.Contains(res.Stderr, "ERROR: "+tc.msg) {
				t.Errorf("stderr = %q, want ERROR: %s", res.Stderr, tc.msg)
			}
			if reqs := f.Requests(); len(reqs) != 0 {
				t.Errorf("requests sent before validation failed: %v", f.Summary())
			}
		})
	}
}

func TestCreateDefaults(t *testing.T) {
	f := newFake(t)
	var stored map[string]any
	serveCluster(f, &stored)
	res := f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1").Expect(t, 0)
	req := f.Last("PUT")
	if req.APIVersion() != "2022-11-01" {
		t.Errorf("api-version %s", req.APIVersion())
	}
	jsonEqual(t, "body", req.JSON(), `{
		"location": "westus2",
		"identity": {"type": "SystemAssigned"},
		"properties": {
			"dnsPrefix": "aks1-rg-000000",
			"agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vmSize": "Standard_DS2_v2", "osType": "Linux",
				"type": "VirtualMachineScaleSets", "mode": "System", "enableNodePublicIP": false, "enableAutoScaling": false,
				"enableEncryptionAtHost": false, "enableUltraSSD": false, "enableFIPS": false}],
			"addonProfiles": {},
			"enableRBAC": true,
			"disableLocalAccounts": false,
			"networkProfile": {"networkPlugin": "kubenet", "podCidr": "10.244.0.0/16", "serviceCidr": "10.0.0.0/16",
				"dnsServiceIP": "10.0.0.10", "dockerBridgeCidr": "172.17.0.1/16", "loadBalancerSku": "standard", "outboundType": "loadBalancer"}
		}
	}`)
	out := res.Object(t)
	if out["fqdn"] != "aks1-rg-000000-abcd1234.hcp.westus2.azmk8s.io" || out["dnsPrefix"] != "aks1-rg-000000" || out["resourceGroup"] != "rg" {
		t.Errorf("output: %v", out)
	}
	if np := out["networkProfile"].(map[string]any); np["dnsServiceIp"] != "10.0.0.10" {
		t.Errorf("output networkProfile: %v", np)
	}
}

func TestCreatePrivateVnetIntegration(t *testing.T) {
	f := newFake(t)
	var stored map[string]any
	serveCluster(f, &stored)
	res := f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1", "-l", "West US 2", "--network-plugin", "azure",
		"--enable-private-cluster", "--enable-api-server-vnet-integration", "--vnet-subnet-id", subnetID,
		"--apiserver-subnet-id", apiSubnetID, "--assign-identity", identityID, "--ssh-key-value", sshKey,
		"-k", "1.27.3", "-c", "2", "-s", "Standard_D4s_v5", "--nodepool-name", "systempool1234", "--zones", "1", "2",
		"--private-dns-zone", zoneID, "--fqdn-subdomain", "team1", "--disable-public-fqdn", "--disable-run-command",
		"--node-resource-group", "MC_custom", "--tags", "env=test", "owner", "--max-pods", "50").Expect(t, 0)
	if len(f.Find("GET", "/subscriptions/{sub}/resourcegroups/rg")) != 0 {
		t.Errorf("resource group read although -l was given: %v", f.Summary())
	}
	jsonEqual(t, "body", f.Last("PUT").JSON(), `{
		"location": "westus2",
		"tags": {"env": "test", "owner": ""},
		"identity": {"type": "UserAssigned", "userAssignedIdentities": {"`+identityID+`": {}}},
		"properties": {
			"kubernetesVersion": "1.27.3",
			"fqdnSubdomain": "team1",
			"agentPoolProfiles": [{"name": "systempool12", "count": 2, "vmSize": "Standard_D4s_v5", "osType": "Linux",
				"type": "VirtualMachineScaleSets", "mode": "System", "enableNodePublicIP": false, "enableAutoScaling": false,
				"enableEncryptionAtHost": false, "enableUltraSSD": false, "enableFIPS": false,
				"orchestratorVersion": "1.27.3", "vnetSubnetID": "`+subnetID+`", "maxPods": 50, "availabilityZones": ["1", "2"]}],
			"linuxProfile": {"adminUsername": "azureuser", "ssh": {"publicKeys": [{"keyData": "`+sshKey+`"}]}},
			"addonProfiles": {},
			"enableRBAC": true,
			"disableLocalAccounts": false,
			"networkProfile": {"networkPlugin": "azure", "loadBalancerSku": "standard", "outboundType": "loadBalancer"},
			"apiServerAccessProfile": {"authorizedIPRanges": [], "enablePrivateCluster": true, "enablePrivateClusterPublicFQDN": false,
				"privateDNSZone": "`+zoneID+`", "enableVnetIntegration": true, "subnetId": "`+apiSubnetID+`", "disableRunCommand": true},
			"nodeResourceGroup": "MC_custom"
		}
	}`)
	out := res.Object(t)
	ap := out["apiServerAccessProfile"].(map[string]any)
	if ap["privateDnsZone"] != zoneID || ap["enablePrivateClusterPublicFqdn"] != false || out["privateFqdn"] == nil {
		t.Errorf("output: %v", out)
	}
}

func TestCreateSeed000AndNoWait(t *testing.T) {
	f := newFake(t)
	var stored map[string]any
	serveCluster(f, &stored)
	res := f.Run(Groups(), "aks", "create", "-n", "zjaks02", "-g", "rg", "--load-balancer-sku", "standard", "--enable-private-cluster", "--no-wait").Expect(t, 0)
	if res.Stdout != "" {
		t.Errorf("--no-wait printed %q", res.Stdout)
	}
	if len(f.Find("GET", "/subscriptions/{sub}/providers/Microsoft.ContainerService/locations/westus2/operations/op1")) != 0 {
		t.Errorf("--no-wait polled: %v", f.Summary())
	}
	body := f.Last("PUT").JSON()
	props := body["properties"].(map[string]any)
	jsonEqual(t, "apiServerAccessProfile", props["apiServerAccessProfile"], `{"authorizedIPRanges": [], "enablePrivateCluster": true}`)
	if props["dnsPrefix"] != "zjaks02-rg-000000" {
		t.Errorf("dnsPrefix %v", props["dnsPrefix"])
	}
}

func TestCreateSSHKeys(t *testing.T) {
	f := newFake(t)
	var stored map[string]any
	serveCluster(f, &stored)
	home := os.Getenv("HOME")

	// --no-ssh-key and no key at all: no linuxProfile.
	f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1", "--no-ssh-key").Expect(t, 0)
	if _, ok := f.Last("PUT").JSON()["properties"].(map[string]any)["linuxProfile"]; ok {
		t.Error("linuxProfile sent with --no-ssh-key")
	}
	f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1").Expect(t, 0)
	if _, ok := f.Last("PUT").JSON()["properties"].(map[string]any)["linuxProfile"]; ok {
		t.Error("linuxProfile sent without any key")
	}

	// --generate-ssh-keys writes ~/.ssh/id_rsa{,.pub}.
	res := f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1", "--generate-ssh-keys").Expect(t, 0)
	pub, err := os.ReadFile(filepath.Join(home, ".ssh", "id_rsa.pub"))
	if err != nil {
		t.Fatalf("public key not written: %v", err)
	}
	if st, err := os.Stat(filepath.Join(home, ".ssh", "id_rsa")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", st, err)
	}
	if !sshkey.IsValidPublicKey(string(pub)) || !strings.Contains(res.Stderr, "SSH key files") {
		t.Errorf("generated key %q, stderr %q", pub, res.Stderr)
	}
	keyOf := func() string {
		lp := f.Last("PUT").JSON()["properties"].(map[string]any)["linuxProfile"].(map[string]any)
		return lp["ssh"].(map[string]any)["publicKeys"].([]any)[0].(map[string]any)["keyData"].(string)
	}
	if keyOf() != string(pub) {
		t.Errorf("keyData %q, want %q", keyOf(), pub)
	}
	// Now ~/.ssh/id_rsa.pub exists and is used by default.
	f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1").Expect(t, 0)
	if keyOf() != string(pub) {
		t.Errorf("default key not used: %q", keyOf())
	}
	// --ssh-key-value as a file.
	keyFile := filepath.Join(t.TempDir(), "k.pub")
	if err := os.WriteFile(keyFile, []byte(sshKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.Run(Groups(), "aks", "create", "-g", "rg", "-n", "aks1", "--ssh-key-value", keyFile).Expect(t, 0)
	if keyOf() != sshKey+"\n" {
		t.Errorf("file key: %q", keyOf())
	}
}
