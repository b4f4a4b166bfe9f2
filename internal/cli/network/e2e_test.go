package network

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/resource"
	netprov "github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/resources"
)

// e2e runs the CLI against a real in-process ARM server with the
// resources and network providers (and a token endpoint in front of it).
type e2e struct {
	t      *testing.T
	srv    *httptest.Server
	tree   *core.Tree
	env    map[string]string
	armSrv *armtest.Server
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	s := armtest.Start(t, armtest.Options{PageSize: 2}, resources.Provider{}, netprov.Provider{})
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/organizations/oauth2/v2.0/token" {
			clitest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": "e2e-token", "token_type": "Bearer", "expires_in": 3600})
			return
		}
		s.Platform.Server.ServeHTTP(w, r)
	})
	hs := httptest.NewTLSServer(front)
	t.Cleanup(hs.Close)
	groups := append(resource.Groups(), Groups()...)
	return &e2e{
		t: t, srv: hs, armSrv: s,
		tree: core.NewTree(groups...),
		env: map[string]string{
			core.EnvEndpoint:       hs.URL,
			core.EnvDataDir:        t.TempDir(),
			core.EnvSubscriptionID: armtest.Subscription,
		},
	}
}

func (e *e2e) run(args ...string) clitest.Result {
	e.t.Helper()
	var out, errb bytes.Buffer
	r := &core.Runner{
		Tree:       e.tree,
		Getenv:     func(k string) string { return e.env[k] },
		HTTPClient: e.srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(5 * time.Millisecond)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := r.Run(ctx, args, core.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// az runs a command line written as a string (no quoting needed here).
func (e *e2e) az(t *testing.T, code int, line string) clitest.Result {
	t.Helper()
	args := strings.Fields(strings.TrimPrefix(line, "az "))
	return e.run(args...).Expect(t, code)
}

func path(v any, keys ...any) any {
	for _, k := range keys {
		switch kk := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[kk]
		case int:
			l, _ := v.([]any)
			if kk >= len(l) {
				return nil
			}
			v = l[kk]
		}
	}
	return v
}

func TestE2ESeedVNetAndSubnets(t *testing.T) {
	e := startE2E(t)
	e.az(t, 0, "az group create -n rg1 -l westus2")

	// seed usage, verbatim
	res := e.az(t, 0, "az network vnet create -n vnet1 -g rg1 -l westus2 --address-prefixes 172.19.0.0/16")
	vnet := res.Object(t)
	nv, ok := vnet["newVNet"].(map[string]any)
	if !ok || len(vnet) != 1 {
		t.Fatalf("vnet create output = %s", res.Stdout)
	}
	if nv["provisioningState"] != "Succeeded" || nv["name"] != "vnet1" || nv["resourceGroup"] != "rg1" || nv["location"] != "westus2" {
		t.Errorf("newVNet = %v", nv)
	}
	if got := path(nv, "addressSpace", "addressPrefixes", 0); got != "172.19.0.0/16" {
		t.Errorf("addressPrefixes = %v", got)
	}
	if _, has := nv["properties"]; has {
		t.Errorf("properties not flattened: %v", nv)
	}
	if nv["enableDdosProtection"] != false || nv["type"] != "Microsoft.Network/virtualNetworks" {
		t.Errorf("newVNet = %v", nv)
	}

	res = e.az(t, 0, "az network vnet subnet create -g rg1 --vnet-name vnet1 --name apiserver-subnet --delegations Microsoft.ContainerService/managedClusters --address-prefixes 172.19.0.0/28")
	sn := res.Object(t)
	if sn["addressPrefix"] != "172.19.0.0/28" || sn["provisioningState"] != "Succeeded" || sn["name"] != "apiserver-subnet" {
		t.Errorf("subnet = %s", res.Stdout)
	}
	if _, has := sn["addressPrefixes"]; has {
		t.Errorf("one prefix is sent as addressPrefix only: %v", sn)
	}
	del, _ := path(sn, "delegations", 0).(map[string]any)
	if del["name"] != "0" || del["serviceName"] != "Microsoft.ContainerService/managedClusters" ||
		del["type"] != "Microsoft.Network/virtualNetworks/subnets/delegations" || del["provisioningState"] != "Succeeded" {
		t.Errorf("delegation = %v", del)
	}
	if acts := path(del, "actions", 0); acts != "Microsoft.Network/virtualNetworks/subnets/join/action" {
		t.Errorf("delegation actions = %v", del["actions"])
	}
	if sn["privateEndpointNetworkPolicies"] != "Disabled" || sn["privateLinkServiceNetworkPolicies"] != "Enabled" {
		t.Errorf("policies = %v", sn)
	}

	e.az(t, 0, "az network vnet subnet create -g rg1 --vnet-name vnet1 --name cluster-subnet --address-prefixes 172.19.1.0/24")

	// list / show / table
	list := e.az(t, 0, "az network vnet subnet list -g rg1 --vnet-name vnet1").List(t)
	if len(list) != 2 {
		t.Fatalf("subnet list = %v", list)
	}
	res = e.az(t, 0, "az network vnet show -g rg1 -n vnet1")
	if subs, _ := res.Object(t)["subnets"].([]any); len(subs) != 2 {
		t.Errorf("vnet show subnets = %v", res.Object(t)["subnets"])
	}
	res = e.az(t, 0, "az network vnet list -g rg1 -o table")
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Name    ResourceGroup    Location    NumSubnets    Prefixes") ||
		!strings.Contains(lines[2], "vnet1   rg1              westus2     2             172.19.0.0/16") {
		t.Errorf("vnet list table =\n%s", res.Stdout)
	}
	res = e.az(t, 0, "az network vnet subnet show -g rg1 --vnet-name vnet1 -n cluster-subnet --query id -o tsv")
	subnetID := strings.TrimSpace(res.Stdout)
	if !strings.HasSuffix(subnetID, "/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/cluster-subnet") {
		t.Errorf("subnet id = %q", subnetID)
	}
	res = e.az(t, 0, "az network vnet subnet show --ids "+subnetID)
	if res.Object(t)["addressPrefix"] != "172.19.1.0/24" {
		t.Errorf("show --ids = %s", res.Stdout)
	}

	// error: overlapping prefixes
	res = e.az(t, 1, "az network vnet subnet create -g rg1 --vnet-name vnet1 -n other --address-prefixes 172.19.1.128/25")
	want := "ERROR: (NetcfgSubnetRangesOverlap) Subnet 'other' is not valid because its IP address range overlaps with that of an existing subnet in virtual network 'vnet1'.\n" +
		"Code: NetcfgSubnetRangesOverlap\n" +
		"Message: Subnet 'other' is not valid because its IP address range overlaps with that of an existing subnet in virtual network 'vnet1'.\n"
	if res.Stderr != want {
		t.Errorf("overlap stderr =\n%s\nwant\n%s", res.Stderr, want)
	}
	// error: outside the address space
	res = e.az(t, 1, "az network vnet subnet create -g rg1 --vnet-name vnet1 -n outside --address-prefixes 10.9.0.0/24")
	if !strings.HasPrefix(res.Stderr, "ERROR: (NetcfgSubnetRangeOutsideVnet) ") {
		t.Errorf("outside stderr = %s", res.Stderr)
	}
	// error: missing vnet
	res = e.az(t, 1, "az network vnet subnet create -g rg1 --vnet-name nope -n s1 --address-prefixes 172.19.2.0/24")
	if !strings.HasPrefix(res.Stderr, "ERROR: (ParentResourceNotFound) Can not perform requested operation on nested resource. Parent resource 'nope' not found.\nCode: ParentResourceNotFound\n") {
		t.Errorf("missing vnet stderr = %s", res.Stderr)
	}
	// error: overlapping vnet address space on update is validated by the service
	res = e.az(t, 1, "az network vnet update -g rg1 -n vnet1 --address-prefixes 172.19.0.0/16 172.19.0.0/24")
	if !strings.Contains(res.Stderr, "(NetcfgInvalidVirtualNetworkSite)") {
		t.Errorf("vnet overlap stderr = %s", res.Stderr)
	}
	// show of a missing vnet / subnet exits 3
	e.az(t, 3, "az network vnet show -g rg1 -n nope")
	res = e.az(t, 3, "az network vnet subnet show -g rg1 --vnet-name vnet1 -n nope")
	if !strings.Contains(res.Stderr, "(NotFound) Resource ") {
		t.Errorf("subnet 404 stderr = %s", res.Stderr)
	}

	// a NIC in cluster-subnet makes the subnet undeletable
	e.az(t, 0, "az network nic create -g rg1 -n nic1 --vnet-name vnet1 --subnet cluster-subnet")
	res = e.az(t, 1, "az network vnet subnet delete -g rg1 --vnet-name vnet1 -n cluster-subnet")
	if !strings.HasPrefix(res.Stderr, "ERROR: (InUseSubnetCannotBeDeleted) Subnet cluster-subnet is in use by ") {
		t.Errorf("in-use stderr = %s", res.Stderr)
	}
	// a NIC may not go into the delegated subnet
	res = e.az(t, 1, "az network nic create -g rg1 -n nic2 --vnet-name vnet1 --subnet apiserver-subnet")
	if !strings.Contains(res.Stderr, "(ResourceNotPermittedOnDelegatedSubnet)") {
		t.Errorf("delegated stderr = %s", res.Stderr)
	}
	e.az(t, 0, "az network nic delete -g rg1 -n nic1")
	res = e.az(t, 0, "az network vnet subnet delete -g rg1 --vnet-name vnet1 -n cluster-subnet")
	if res.Stdout != "" {
		t.Errorf("delete printed %q", res.Stdout)
	}
	e.az(t, 3, "az network vnet subnet show -g rg1 --vnet-name vnet1 -n cluster-subnet")

	// update: subnet policies, vnet DNS servers
	res = e.az(t, 0, "az network vnet subnet update -g rg1 --vnet-name vnet1 -n apiserver-subnet --disable-private-link-service-network-policies")
	if res.Object(t)["privateLinkServiceNetworkPolicies"] != "Disabled" {
		t.Errorf("subnet update = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network vnet subnet update -g rg1 --vnet-name vnet1 -n apiserver-subnet --private-endpoint-network-policies Enabled")
	if o := res.Object(t); o["privateEndpointNetworkPolicies"] != "Enabled" || o["privateLinkServiceNetworkPolicies"] != "Disabled" || path(o, "delegations", 0, "name") != "0" {
		t.Errorf("subnet update = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network vnet update -g rg1 -n vnet1 --dns-servers 10.0.0.4 10.0.0.5")
	if got := path(res.Object(t), "dhcpOptions", "dnsServers"); len(got.([]any)) != 2 {
		t.Errorf("dnsServers = %v", got)
	}
	if subs, _ := res.Object(t)["subnets"].([]any); len(subs) != 1 {
		t.Errorf("vnet update must keep the subnets: %v", res.Object(t)["subnets"])
	}
	res = e.az(t, 0, "az network vnet update -g rg1 -n vnet1 --set tags.env=test")
	if path(res.Object(t), "tags", "env") != "test" {
		t.Errorf("--set tags = %s", res.Stdout)
	}

	e.az(t, 0, "az network vnet delete -g rg1 -n vnet1")
	e.az(t, 3, "az network vnet show -g rg1 -n vnet1")
	if l := e.az(t, 0, "az network vnet list").List(t); len(l) != 0 {
		t.Errorf("vnet list after delete = %v", l)
	}
}

func TestE2EPeering(t *testing.T) {
	e := startE2E(t)
	e.az(t, 0, "az group create -n rg1 -l westus2")
	e.az(t, 0, "az network vnet create -n hub -g rg1 --address-prefixes 10.0.0.0/16 --subnet-name default")
	res := e.az(t, 0, "az network vnet create -n spoke -g rg1 --address-prefixes 10.1.0.0/16")
	spokeID, _ := path(res.Object(t), "newVNet", "id").(string)
	hubSubnet := e.az(t, 0, "az network vnet subnet show -g rg1 --vnet-name hub -n default").Object(t)
	if hubSubnet["addressPrefix"] != "10.0.0.0/24" {
		t.Errorf("--subnet-name default prefix = %v", hubSubnet["addressPrefix"])
	}

	res = e.az(t, 0, "az network vnet peering create -g rg1 -n hub-to-spoke --vnet-name hub --remote-vnet spoke --allow-vnet-access")
	p := res.Object(t)
	if p["peeringState"] != "Initiated" || p["allowVirtualNetworkAccess"] != true || p["allowForwardedTraffic"] != false ||
		!strings.EqualFold(path(p, "remoteVirtualNetwork", "id").(string), spokeID) {
		t.Errorf("peering = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network vnet peering create -g rg1 -n spoke-to-hub --vnet-name spoke --remote-vnet "+
		strings.Replace(spokeID, "/spoke", "/hub", 1))
	p = res.Object(t)
	if p["peeringState"] != "Connected" || p["allowVirtualNetworkAccess"] != false {
		t.Errorf("az 2.45 sends allowVirtualNetworkAccess=false without --allow-vnet-access: %s", res.Stdout)
	}
	res = e.az(t, 0, "az network vnet peering show -g rg1 -n hub-to-spoke --vnet-name hub --query peeringState -o tsv")
	if strings.TrimSpace(res.Stdout) != "Connected" {
		t.Errorf("peering state = %q", res.Stdout)
	}
	if l := e.az(t, 0, "az network vnet peering list -g rg1 --vnet-name hub").List(t); len(l) != 1 {
		t.Errorf("peering list = %v", l)
	}
	res = e.az(t, 0, "az network vnet peering update -g rg1 -n hub-to-spoke --vnet-name hub --set allowForwardedTraffic=true")
	if res.Object(t)["allowForwardedTraffic"] != true {
		t.Errorf("peering update = %s", res.Stdout)
	}
	// overlapping address spaces cannot be peered
	e.az(t, 0, "az network vnet create -n clash -g rg1 --address-prefixes 10.0.128.0/17")
	res = e.az(t, 1, "az network vnet peering create -g rg1 -n hub-to-clash --vnet-name hub --remote-vnet clash")
	if !strings.HasPrefix(res.Stderr, "ERROR: (VnetAddressSpacesOverlap) ") {
		t.Errorf("overlap stderr = %s", res.Stderr)
	}
	e.az(t, 0, "az network vnet peering delete -g rg1 -n hub-to-spoke --vnet-name hub")
	res = e.az(t, 0, "az network vnet peering show -g rg1 -n spoke-to-hub --vnet-name spoke")
	if res.Object(t)["peeringState"] != "Disconnected" {
		t.Errorf("remote side after delete = %s", res.Stdout)
	}
	e.az(t, 3, "az network vnet peering show -g rg1 -n hub-to-spoke --vnet-name hub")

	// wait, and delete by --ids
	e.az(t, 0, "az network vnet wait -g rg1 -n hub --created")
	e.az(t, 0, "az network vnet subnet wait -g rg1 --vnet-name hub -n default --exists")
	id := strings.TrimSpace(e.az(t, 0, "az network vnet subnet show -g rg1 --vnet-name hub -n default --query id -o tsv").Stdout)
	e.az(t, 0, "az network vnet subnet delete --ids "+id)
	e.az(t, 0, "az network vnet subnet wait -g rg1 --vnet-name hub -n default --deleted")
	if l := e.az(t, 0, "az network vnet subnet list -g rg1 --vnet-name hub").List(t); len(l) != 0 {
		t.Errorf("subnets after delete --ids = %v", l)
	}
}

func TestE2EPublicIPAndNIC(t *testing.T) {
	e := startE2E(t)
	e.az(t, 0, "az group create -n rg1 -l westus2")
	e.az(t, 0, "az network vnet create -n vnet1 -g rg1 --address-prefixes 10.10.0.0/16 --subnet-name nodes --subnet-prefixes 10.10.1.0/24")

	res := e.az(t, 0, "az network public-ip create -g rg1 -n pip1 --sku Standard --dns-name pip1-label")
	if !strings.Contains(res.Stderr, "WARNING: [Coming breaking change]") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	pip, _ := res.Object(t)["publicIp"].(map[string]any)
	if pip["publicIPAllocationMethod"] != "Static" || pip["publicIPAddressVersion"] != "IPv4" || pip["ipAddress"] == nil ||
		path(pip, "sku", "name") != "Standard" || path(pip, "dnsSettings", "fqdn") != "pip1-label.westus2.cloudapp.azure.com" ||
		pip["idleTimeoutInMinutes"] != float64(4) {
		t.Errorf("publicIp = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network public-ip create -g rg1 -n pip2")
	if !strings.Contains(res.Stderr, "WARNING: Please note that the default public IP used for creation will be changed from Basic to Standard in the future.") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	if p2, _ := res.Object(t)["publicIp"].(map[string]any); p2["publicIPAllocationMethod"] != "Dynamic" || p2["ipAddress"] != nil {
		t.Errorf("basic dynamic public IP = %s", res.Stdout)
	}
	res = e.az(t, 1, "az network public-ip create -g rg1 -n pip3 --sku Standard --allocation-method Dynamic")
	if !strings.HasPrefix(res.Stderr, "WARNING: [Coming breaking change]") || !strings.Contains(res.Stderr, "ERROR: (StandardSkuPublicIPAddressesMustBeStatic) ") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = e.az(t, 0, "az network public-ip list -g rg1 -o table")
	if !strings.HasPrefix(res.Stdout, "Name    ResourceGroup    Location    Zones    Address") {
		t.Errorf("public-ip table =\n%s", res.Stdout)
	}

	res = e.az(t, 0, "az network nic create -g rg1 -n nic1 --vnet-name vnet1 --subnet nodes --private-ip-address 10.10.1.10 --public-ip-address pip2")
	nic, _ := res.Object(t)["NewNIC"].(map[string]any)
	ipc, _ := path(nic, "ipConfigurations", 0).(map[string]any)
	if ipc["privateIpAddress"] != "10.10.1.10" || ipc["privateIpAllocationMethod"] != "Static" || ipc["primary"] != true {
		t.Errorf("ip configuration = %v", ipc)
	}
	if nic["enableIpForwarding"] != false || nic["provisioningState"] != "Succeeded" || nic["macAddress"] == nil {
		t.Errorf("NewNIC = %s", res.Stdout)
	}
	// the SDK model prints references as full models
	subnet, _ := ipc["subnet"].(map[string]any)
	if _, ok := subnet["addressPrefix"]; !ok || subnet["addressPrefix"] != nil || subnet["resourceGroup"] != "rg1" {
		t.Errorf("subnet reference = %v", subnet)
	}
	if _, ok := nic["enableIPForwarding"]; ok {
		t.Errorf("az 2.45 prints the SDK name enableIpForwarding: %v", nic)
	}
	res = e.az(t, 0, "az network public-ip show -g rg1 -n pip2")
	if res.Object(t)["ipAddress"] == nil || path(res.Object(t), "ipConfiguration", "id") == nil {
		t.Errorf("associated public IP = %s", res.Stdout)
	}
	res = e.az(t, 1, "az network public-ip delete -g rg1 -n pip2")
	if !strings.HasPrefix(res.Stderr, "ERROR: (PublicIPAddressCannotBeDeleted) ") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = e.az(t, 0, "az network nic show -g rg1 -n nic1 --query ipConfigurations[0].privateIpAddress -o tsv")
	if strings.TrimSpace(res.Stdout) != "10.10.1.10" {
		t.Errorf("nic show query = %q", res.Stdout)
	}
	res = e.az(t, 0, "az network nic ip-config list -g rg1 --nic-name nic1")
	if l := res.List(t); len(l) != 1 || path(l, 0, "name") != "ipconfig1" {
		t.Errorf("ip-config list = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network nic ip-config show -g rg1 --nic-name nic1 -n ipconfig1")
	if res.Object(t)["privateIpAddress"] != "10.10.1.10" {
		t.Errorf("ip-config show = %s", res.Stdout)
	}
	res = e.az(t, 1, "az network nic ip-config show -g rg1 --nic-name nic1 -n nope")
	if res.Stderr != "ERROR: Item 'nope' does not exist on network_interfaces 'nic1'\n" {
		t.Errorf("ip-config show missing = %q", res.Stderr)
	}
	res = e.az(t, 0, "az network nic update -g rg1 -n nic1 --ip-forwarding --dns-servers 10.10.1.4")
	if o := res.Object(t); o["enableIpForwarding"] != true || path(o, "dnsSettings", "dnsServers", 0) != "10.10.1.4" {
		t.Errorf("nic update = %s", res.Stdout)
	}
	res = e.az(t, 0, "az network nic update -g rg1 -n nic1 --set ipConfigurations[0].privateIPAddress=10.10.1.20")
	if path(res.Object(t), "ipConfigurations", 0, "privateIpAddress") != "10.10.1.20" {
		t.Errorf("nic --set = %s", res.Stdout)
	}
	if l := e.az(t, 0, "az network nic list").List(t); len(l) != 1 {
		t.Errorf("nic list = %v", l)
	}
	e.az(t, 2, "az network nic create -g rg1 -n nic2 --subnet nodes")
	e.az(t, 0, "az network nic delete -g rg1 -n nic1")
	e.az(t, 3, "az network nic show -g rg1 -n nic1")
	e.az(t, 0, "az network public-ip delete -g rg1 -n pip2")
	res = e.az(t, 0, "az network public-ip update -g rg1 -n pip1 --idle-timeout 10 --tags a=b")
	if o := res.Object(t); o["idleTimeoutInMinutes"] != float64(10) || path(o, "tags", "a") != "b" {
		t.Errorf("public-ip update = %s", res.Stdout)
	}
	if l := e.az(t, 0, "az network public-ip list").List(t); len(l) != 1 {
		t.Errorf("public-ip list = %v", l)
	}
}
