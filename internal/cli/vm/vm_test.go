package vm

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/sshkey"
)

const (
	sub    = clitest.SubscriptionID
	rgPath = "/subscriptions/{sub}/resourceGroups/rg"
	netP   = rgPath + "/providers/Microsoft.Network/"
	vmP    = rgPath + "/providers/Microsoft.Compute/virtualMachines/vm1"
	rgID   = "/subscriptions/" + sub + "/resourceGroups/rg"
	netID  = rgID + "/providers/Microsoft.Network/"
	vmID   = rgID + "/providers/Microsoft.Compute/virtualMachines/vm1"
	sshKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB test@host"
)

// echo answers a PUT with its body plus id, name and Succeeded.
func echo(f *clitest.Fake, path string) {
	f.Handle("PUT", path, func(w http.ResponseWriter, r *http.Request, body []byte) {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["id"] = r.URL.Path
		m["name"] = r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		props, _ := m["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			m["properties"] = props
		}
		props["provisioningState"] = "Succeeded"
		clitest.WriteJSON(w, http.StatusCreated, m)
	})
}

func jsonEqual(t *testing.T, what string, got any, want string) {
	t.Helper()
	var wv, gv any
	if err := json.Unmarshal([]byte(want), &wv); err != nil {
		t.Fatalf("bad want for %s: %v", what, err)
	}
	b, _ := json.Marshal(got)
	_ = json.Unmarshal(b, &gv)
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s =\n%s\nwant\n%s", what, b, want)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, name, json.RawMessage(got), string(want))
}

// calls lists the ARM requests (method and path) after the subscription lookup.
func calls(f *clitest.Fake) []string {
	var out []string
	for _, r := range f.Requests() {
		if r.Path == "/subscriptions" {
			continue
		}
		out = append(out, r.Method+" "+strings.Replace(r.Path, "/subscriptions/"+sub, "/subscriptions/{sub}", 1))
	}
	return out
}

// fakeVM registers the reads of a created VM: the VM (with its instance
// view), its NIC and public IP.
func fakeVM(f *clitest.Fake) {
	f.Handle("GET", vmP, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		vm := fakeVMBody()
		if r.URL.Query().Get("$expand") != "instanceView" {
			delete(vm["properties"].(map[string]any), "instanceView")
		}
		clitest.WriteJSON(w, 200, vm)
	})
	f.JSON("GET", netP+"networkInterfaces/vm1VMNic", 200, map[string]any{
		"id": netID + "networkInterfaces/vm1VMNic", "name": "vm1VMNic",
		"properties": map[string]any{"macAddress": "00-0D-3A-1B-FD-8D", "virtualMachine": map[string]any{"id": vmID},
			"ipConfigurations": []any{map[string]any{"name": "ipconfigvm1", "properties": map[string]any{
				"privateIPAddress": "10.0.0.4", "publicIPAddress": map[string]any{"id": netID + "publicIPAddresses/vm1PublicIP"}}}}},
	})
	f.JSON("GET", netP+"publicIPAddresses/vm1PublicIP", 200, map[string]any{
		"id": netID + "publicIPAddresses/vm1PublicIP", "name": "vm1PublicIP",
		"properties": map[string]any{"ipAddress": "52.160.0.4", "publicIPAllocationMethod": "Dynamic"},
	})
}

// fakeVMBody is the VM as the service returns it with $expand=instanceView.
func fakeVMBody() map[string]any {
	return map[string]any{
		"id": vmID, "name": "vm1", "type": "Microsoft.Compute/virtualMachines", "location": "eastus", "tags": map[string]any{},
		"properties": map[string]any{
			"vmId":            "0b5e9a6f-4a57-4bcb-8c14-7c5a1e07f1b2",
			"hardwareProfile": map[string]any{"vmSize": "Standard_DS1_v2"},
			"storageProfile": map[string]any{
				"imageReference": map[string]any{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest", "exactVersion": "22.04.202301140"},
				"osDisk": map[string]any{"osType": "Linux", "name": "vm1_disk1", "createOption": "FromImage", "caching": "ReadWrite", "diskSizeGB": 30,
					"managedDisk": map[string]any{"storageAccountType": "Premium_LRS", "id": rgID + "/providers/Microsoft.Compute/disks/vm1_disk1"}, "deleteOption": "Detach"},
				"dataDisks": []any{},
			},
			"osProfile": map[string]any{"computerName": "vm1", "adminUsername": "azureuser", "linuxConfiguration": map[string]any{
				"disablePasswordAuthentication": true, "provisionVMAgent": true,
				"ssh": map[string]any{"publicKeys": []any{map[string]any{"path": "/home/azureuser/.ssh/authorized_keys", "keyData": sshKey}}},
			}, "secrets": []any{}, "allowExtensionOperations": true, "requireGuestProvisionSignal": true},
			"networkProfile":    map[string]any{"networkInterfaces": []any{map[string]any{"id": netID + "networkInterfaces/vm1VMNic"}}},
			"provisioningState": "Succeeded",
			"instanceView": map[string]any{"statuses": []any{
				map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
				map[string]any{"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"},
			}},
		},
	}
}

func newFake(t *testing.T) *clitest.Fake {
	f := clitest.New(t)
	f.JSON("GET", "/subscriptions/{sub}/resourcegroups/rg", 200, map[string]any{"name": "rg", "location": "eastus"})
	f.JSON("GET", netP+"virtualNetworks", 200, map[string]any{"value": []any{}})
	f.Error("GET", netP+"*/*", 404, "ResourceNotFound", "The Resource was not found.")
	f.Error("GET", netP+"virtualNetworks/*/subnets/*", 404, "NotFound", "Resource was not found.")
	for _, p := range []string{"virtualNetworks/*", "virtualNetworks/*/subnets/*", "networkSecurityGroups/*", "publicIPAddresses/*", "networkInterfaces/*"} {
		echo(f, netP+p)
	}
	echo(f, vmP)
	fakeVM(f)
	return f
}

func TestCreateDefaults(t *testing.T) {
	f := newFake(t)
	res := f.Run(Groups(), "vm", "create", "-g", "rg", "-n", "vm1", "--image", "Ubuntu2204",
		"--admin-username", "azureuser", "--ssh-key-values", sshKey).Expect(t, 0)
	golden(t, "create.json", res.Stdout)
	if !strings.Contains(res.Stderr, `WARNING: It is recommended to use parameter "--public-ip-sku Standard" to create new VM with Standard public IP.`) {
		t.Errorf("stderr = %q", res.Stderr)
	}
	want := []string{
		"GET /subscriptions/{sub}/resourcegroups/rg",
		"GET /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vm1VNET",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/vm1NSG",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/vm1PublicIP",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1VMNic",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
		"GET /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
		"GET /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1VMNic",
		"GET /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/vm1PublicIP",
	}
	if got := calls(f); !reflect.DeepEqual(got, want) {
		t.Errorf("requests =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	put := func(suffix string) clitest.Request {
		for _, r := range f.Find("PUT", "/subscriptions/{sub}/resourceGroups/rg/providers/*/*/*") {
			if strings.HasSuffix(r.Path, suffix) {
				return r
			}
		}
		t.Fatalf("no PUT %s", suffix)
		return clitest.Request{}
	}
	jsonEqual(t, "vnet", put("/virtualNetworks/vm1VNET").JSON(), `{"location":"eastus","tags":{},"properties":{
		"addressSpace":{"addressPrefixes":["10.0.0.0/16"]},"subnets":[{"name":"vm1Subnet","properties":{"addressPrefix":"10.0.0.0/24"}}]}}`)
	jsonEqual(t, "nsg", put("/networkSecurityGroups/vm1NSG").JSON(), `{"location":"eastus","tags":{},"properties":{"securityRules":[
		{"name":"default-allow-ssh","properties":{"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"22","sourceAddressPrefix":"*",
		"destinationAddressPrefix":"*","access":"Allow","priority":1000,"direction":"Inbound"}}]}}`)
	jsonEqual(t, "public ip", put("/publicIPAddresses/vm1PublicIP").JSON(), `{"location":"eastus","tags":{},"properties":{"publicIPAllocationMethod":"Dynamic"}}`)
	jsonEqual(t, "nic", put("/networkInterfaces/vm1VMNic").JSON(), `{"location":"eastus","tags":{},"properties":{
		"ipConfigurations":[{"name":"ipconfigvm1","properties":{"privateIPAllocationMethod":"Dynamic",
			"subnet":{"id":"`+netID+`virtualNetworks/vm1VNET/subnets/vm1Subnet"},
			"publicIPAddress":{"id":"`+netID+`publicIPAddresses/vm1PublicIP"}}}],
		"networkSecurityGroup":{"id":"`+netID+`networkSecurityGroups/vm1NSG"}}}`)
	vmPut := put("/virtualMachines/vm1")
	if vmPut.APIVersion() != "2022-11-01" || put("/networkInterfaces/vm1VMNic").APIVersion() != "2022-01-01" {
		t.Errorf("api-versions: vm %s nic %s", vmPut.APIVersion(), put("/networkInterfaces/vm1VMNic").APIVersion())
	}
	jsonEqual(t, "vm", vmPut.JSON(), `{"location":"eastus","tags":{},"properties":{
		"hardwareProfile":{"vmSize":"Standard_DS1_v2"},
		"networkProfile":{"networkInterfaces":[{"id":"`+netID+`networkInterfaces/vm1VMNic"}]},
		"storageProfile":{"osDisk":{"createOption":"fromImage","caching":"ReadWrite"},
			"imageReference":{"publisher":"Canonical","offer":"0001-com-ubuntu-server-jammy","sku":"22_04-lts-gen2","version":"latest"}},
		"osProfile":{"computerName":"vm1","adminUsername":"azureuser","linuxConfiguration":{"disablePasswordAuthentication":true,
			"ssh":{"publicKeys":[{"keyData":"`+sshKey+`","path":"/home/azureuser/.ssh/authorized_keys"}]}}}}}`)
}

func TestCreateExistingSubnetNoPublicIPNoNSG(t *testing.T) {
	f := newFake(t)
	f.JSON("GET", netP+"virtualNetworks/vnet1/subnets/s1", 200, map[string]any{"id": netID + "virtualNetworks/vnet1/subnets/s1", "name": "s1"})
	f.Run(Groups(), "vm", "create", "-g", "rg", "-n", "vm1", "--image", "Canonical:UbuntuServer:18.04-LTS:latest",
		"--admin-username", "azureuser", "--admin-password", "Passw0rd!Passw0rd", "--vnet-name", "vnet1", "--subnet", "s1",
		"--public-ip-address", "", "--nsg", "", "--private-ip-address", "10.0.0.10", "--size", "Standard_B2s",
		"--tags", "env=ci", "--os-disk-name", "osd", "--storage-sku", "StandardSSD_LRS").Expect(t, 0)
	want := []string{
		"GET /subscriptions/{sub}/resourcegroups/rg",
		"GET /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1VMNic",
		"PUT /subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
	}
	if got := calls(f); len(got) < 4 || !reflect.DeepEqual(got[:4], want) {
		t.Errorf("requests =\n%s\nwant prefix\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	nics := f.Find("PUT", netP+"networkInterfaces/vm1VMNic")
	jsonEqual(t, "nic", nics[0].JSON(), `{"location":"eastus","tags":{"env":"ci"},"properties":{
		"ipConfigurations":[{"name":"ipconfigvm1","properties":{"privateIPAllocationMethod":"Static","privateIPAddress":"10.0.0.10",
			"subnet":{"id":"`+netID+`virtualNetworks/vnet1/subnets/s1"}}}]}}`)
	jsonEqual(t, "vm", f.Find("PUT", vmP)[0].JSON(), `{"location":"eastus","tags":{"env":"ci"},"properties":{
		"hardwareProfile":{"vmSize":"Standard_B2s"},
		"networkProfile":{"networkInterfaces":[{"id":"`+netID+`networkInterfaces/vm1VMNic"}]},
		"storageProfile":{"osDisk":{"createOption":"fromImage","caching":"ReadWrite","name":"osd","managedDisk":{"storageAccountType":"StandardSSD_LRS"}},
			"imageReference":{"publisher":"Canonical","offer":"UbuntuServer","sku":"18.04-LTS","version":"latest"}},
		"osProfile":{"computerName":"vm1","adminUsername":"azureuser","adminPassword":"Passw0rd!Passw0rd"}}}`)
}

func TestCreatePicksExistingVNetAndStandardIP(t *testing.T) {
	f := newFake(t)
	f.JSON("GET", netP+"virtualNetworks", 200, map[string]any{"value": []any{
		map[string]any{"name": "other", "location": "westus", "properties": map[string]any{"subnets": []any{map[string]any{"name": "a"}}}},
		map[string]any{"name": "vnetA", "location": "eastus", "properties": map[string]any{"subnets": []any{
			map[string]any{"name": "GatewaySubnet"}, map[string]any{"name": "default"}}}},
	}})
	res := f.Run(Groups(), "vm", "create", "-g", "rg", "-n", "vm1", "--image", "Win2022Datacenter", "--admin-username", "azureuser",
		"--admin-password", "Passw0rd!Passw0rd", "--public-ip-sku", "Standard", "--zone", "2").Expect(t, 0)
	if strings.Contains(res.Stderr, "recommended") {
		t.Errorf("unexpected SKU warning: %s", res.Stderr)
	}
	for _, r := range f.Requests() {
		if r.Method == "PUT" && strings.Contains(r.Path, "virtualNetworks") {
			t.Errorf("created a VNet: %s", r.Path)
		}
	}
	jsonEqual(t, "nsg", f.Find("PUT", netP+"networkSecurityGroups/vm1NSG")[0].JSON()["properties"], `{"securityRules":[{"name":"rdp","properties":{
		"protocol":"Tcp","sourcePortRange":"*","destinationPortRange":"3389","sourceAddressPrefix":"*","destinationAddressPrefix":"*",
		"access":"Allow","priority":1000,"direction":"Inbound"}}]}`)
	jsonEqual(t, "pip", f.Find("PUT", netP+"publicIPAddresses/vm1PublicIP")[0].JSON(),
		`{"location":"eastus","tags":{},"zones":["2"],"sku":{"name":"Standard"},"properties":{"publicIPAllocationMethod":"Static"}}`)
	nic := f.Find("PUT", netP+"networkInterfaces/vm1VMNic")[0].JSON()
	if id := dig(nic, "properties", "ipConfigurations").([]any)[0].(map[string]any)["properties"].(map[string]any)["subnet"]; !reflect.DeepEqual(id, map[string]any{"id": netID + "virtualNetworks/vnetA/subnets/default"}) {
		t.Errorf("subnet = %v", id)
	}
	if z := f.Find("PUT", vmP)[0].JSON()["zones"]; !reflect.DeepEqual(z, []any{"2"}) {
		t.Errorf("vm zones = %v", z)
	}
}

func TestCreateUsageErrors(t *testing.T) {
	f := newFake(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--image", "NoSuchImage", "--admin-username", "u1"}, `Invalid image "NoSuchImage". Use a valid image URN`},
		{[]string{"--image", "Ubuntu2204", "--admin-username", "Admin"}, "admin user name cannot contain upper case character"},
		{[]string{"--image", "Ubuntu2204", "--admin-username", "root", "--generate-ssh-keys"}, "This user name 'root' meets the general requirements"},
		{[]string{"--image", "Ubuntu2204", "--admin-username", "u1", "--admin-password", "short"}, "The password length must be between 12 and 72."},
		{[]string{"--image", "Ubuntu2204", "--admin-username", "u1", "--subnet", "s1"}, "incorrect usage: --subnet ID | --subnet NAME --vnet-name NAME"},
		{[]string{"--image", "Win2019Datacenter", "--admin-username", "u1", "--authentication-type", "ssh"}, "SSH not supported for Windows VMs."},
	} {
		f.Error("GET", rgPath+"/providers/Microsoft.Compute/images/*", 404, "NotFound", "not found")
		t.Setenv("HOME", t.TempDir())
		res := f.Run(Groups(), append([]string{"vm", "create", "-g", "rg", "-n", "vm1"}, tc.args...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, tc.msg) {
			t.Errorf("%v: code %d stderr %s", tc.args, res.Code, res.Stderr)
		}
	}
}

func TestCreateGeneratesSSHKeys(t *testing.T) {
	f := newFake(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	res := f.Run(Groups(), "vm", "create", "-g", "rg", "-n", "vm1", "--image", "Debian11", "--admin-username", "azureuser").Expect(t, 1)
	if !strings.Contains(res.Stderr, "An RSA key file or key value must be supplied to SSH Key Value.") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = f.Run(Groups(), "vm", "create", "-g", "rg", "-n", "vm1", "--image", "Debian11", "--admin-username", "azureuser", "--generate-ssh-keys").Expect(t, 0)
	pub, err := os.ReadFile(filepath.Join(home, ".ssh", "id_rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if !sshkey.IsValidPublicKey(string(pub)) {
		t.Errorf("generated key %q is not a valid OpenSSH public key", pub)
	}
	if st, err := os.Stat(filepath.Join(home, ".ssh", "id_rsa")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key: %v %v", st, err)
	}
	keys := dig(f.Last("PUT").JSON(), "properties", "osProfile", "linuxConfiguration", "ssh", "publicKeys").([]any)
	if dig(keys[0], "keyData") != string(pub) {
		t.Errorf("keyData = %v", keys[0])
	}
	if !strings.Contains(res.Stderr, "have been generated under ~/.ssh") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

func TestShowDetailsAndList(t *testing.T) {
	f := newFake(t)
	res := f.Run(Groups(), "vm", "show", "-g", "rg", "-n", "vm1", "-d").Expect(t, 0)
	golden(t, "show-d.json", res.Stdout)
	if q := f.Find("GET", vmP)[0].Query.Get("$expand"); q != "instanceView" {
		t.Errorf("$expand = %q", q)
	}
	plain := f.Run(Groups(), "vm", "show", "-g", "rg", "-n", "vm1").Expect(t, 0).Object(t)
	if q := f.Last("GET").Query.Get("$expand"); q != "" {
		t.Errorf("show without -d sent $expand=%s", q)
	}
	if _, ok := plain["powerState"]; ok {
		t.Errorf("show without -d has powerState")
	}
	if plain["instanceView"] != nil || plain["timeCreated"] != nil || plain["licenseType"] != nil {
		t.Errorf("model nulls missing: %v", plain)
	}

	f.Error("GET", rgPath+"/providers/Microsoft.Compute/virtualMachines/nope", 404, "ResourceNotFound",
		"The Resource 'Microsoft.Compute/virtualMachines/nope' under resource group 'rg' was not found.")
	res = f.Run(Groups(), "vm", "show", "-g", "rg", "-n", "nope")
	if res.Code != 3 || !strings.Contains(res.Stderr, "(ResourceNotFound)") {
		t.Errorf("missing VM: code %d stderr %s", res.Code, res.Stderr)
	}

	f.JSON("GET", rgPath+"/providers/Microsoft.Compute/virtualMachines", 200, map[string]any{"value": []any{map[string]any{"id": vmID, "name": "vm1"}}})
	l := f.Run(Groups(), "vm", "list", "-g", "rg", "-d").Expect(t, 0).List(t)
	if len(l) != 1 || l[0].(map[string]any)["publicIps"] != "52.160.0.4" {
		t.Errorf("list -d = %v", l)
	}
}

func TestListIPAddresses(t *testing.T) {
	f := newFake(t)
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces", 200, map[string]any{"value": []any{
		map[string]any{"id": netID + "networkInterfaces/vm1VMNic", "properties": map[string]any{
			"virtualMachine": map[string]any{"id": vmID},
			"ipConfigurations": []any{map[string]any{"properties": map[string]any{"privateIPAddress": "10.0.0.4",
				"publicIPAddress": map[string]any{"id": netID + "publicIPAddresses/vm1PublicIP"}}}}}},
		map[string]any{"id": netID + "networkInterfaces/other", "properties": map[string]any{
			"virtualMachine":   map[string]any{"id": rgID + "/providers/Microsoft.Compute/virtualMachines/vm2"},
			"ipConfigurations": []any{map[string]any{"properties": map[string]any{"privateIPAddress": "10.0.0.5"}}}}},
		map[string]any{"id": netID + "networkInterfaces/detached", "properties": map[string]any{}},
	}})
	f.JSON("GET", "/subscriptions/{sub}/providers/Microsoft.Network/publicIPAddresses", 200, map[string]any{"value": []any{
		map[string]any{"id": netID + "publicIPAddresses/vm1PublicIP", "name": "vm1PublicIP", "zones": []any{"1"},
			"properties": map[string]any{"ipAddress": "52.160.0.4", "publicIPAllocationMethod": "Static"}},
	}})
	res := f.Run(Groups(), "vm", "list-ip-addresses", "-g", "rg", "-n", "vm1").Expect(t, 0)
	golden(t, "list-ip-addresses.json", res.Stdout)
	all := f.Run(Groups(), "vm", "list-ip-addresses").Expect(t, 0).List(t)
	if len(all) != 2 {
		t.Errorf("all VMs: %v", all)
	}
	table := f.Run(Groups(), "vm", "list-ip-addresses", "-o", "table").Expect(t, 0).Stdout
	want := "VirtualMachine    PublicIPAddresses    PrivateIPAddresses\n" +
		"----------------  -------------------  --------------------\n" +
		"vm1               52.160.0.4           10.0.0.4\n" +
		"vm2                                    10.0.0.5\n"
	if table != want {
		t.Errorf("table =\n%s\nwant\n%s", table, want)
	}
}

func TestRunCommandInvoke(t *testing.T) {
	f := newFake(t)
	f.Handle("POST", vmP+"/runCommand", func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Azure-AsyncOperation", f.URL("/op/1"))
		w.Header().Set("Location", f.URL("/op/1/result"))
		w.WriteHeader(http.StatusAccepted)
	})
	f.JSON("GET", "/op/1", 200, map[string]any{"status": "Succeeded"})
	f.JSON("GET", "/op/1/result", 200, map[string]any{"value": []any{map[string]any{
		"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
		"message": "Enable succeeded: \n[stdout]\nhello world\n\n[stderr]\n"}}})
	res := f.Run(Groups(), "vm", "run-command", "invoke", "-g", "rg", "-n", "vm1", "--command-id", "RunShellScript",
		"--scripts", "echo $1 $2", "--parameters", "hello", "b=world").Expect(t, 0)
	golden(t, "run-command.json", res.Stdout)
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"commandId":"RunShellScript","script":["echo $1 $2"],
		"parameters":[{"name":"arg1","value":"hello"},{"name":"b","value":"world"}]}`)
	if f.Last("POST").APIVersion() != "2022-11-01" {
		t.Errorf("api-version %s", f.Last("POST").APIVersion())
	}
	res = f.Run(Groups(), "vm", "run-command", "invoke", "-g", "rg", "-n", "vm1")
	if res.Code != 2 || !strings.Contains(res.Stderr, "the following arguments are required: --command-id") {
		t.Errorf("code %d stderr %s", res.Code, res.Stderr)
	}
}

func TestPowerActionsAndDelete(t *testing.T) {
	f := newFake(t)
	for _, action := range []string{"start", "powerOff", "deallocate", "restart"} {
		f.JSON("POST", vmP+"/"+action, 200, nil)
	}
	f.JSON("DELETE", vmP, 200, nil)
	for cmd, action := range map[string]string{"start": "start", "deallocate": "deallocate", "restart": "restart"} {
		res := f.Run(Groups(), "vm", cmd, "-g", "rg", "-n", "vm1").Expect(t, 0)
		if res.Stdout != "" || !strings.HasSuffix(f.Last("POST").Path, "/"+action) {
			t.Errorf("%s: stdout %q, last POST %s", cmd, res.Stdout, f.Last("POST").Path)
		}
	}
	f.Run(Groups(), "vm", "stop", "--ids", vmID, "--skip-shutdown").Expect(t, 0)
	if p := f.Last("POST"); !strings.HasSuffix(p.Path, "/powerOff") || p.Query.Get("skipShutdown") != "true" {
		t.Errorf("stop: %s %v", p.Path, p.Query)
	}

	// delete asks first; without a terminal and without --yes it is cancelled
	res := f.Run(Groups(), "vm", "delete", "-g", "rg", "-n", "vm1")
	if res.Code != 1 || !strings.Contains(res.Stderr, "Operation cancelled.") || len(f.Find("DELETE", vmP)) != 0 {
		t.Errorf("delete without --yes: code %d stderr %s", res.Code, res.Stderr)
	}
	f.Run(Groups(), "vm", "delete", "-g", "rg", "-n", "vm1", "--yes").Expect(t, 0)
	if len(f.Find("DELETE", vmP)) != 1 {
		t.Errorf("delete --yes sent no DELETE: %v", f.Summary())
	}
}

func TestExpose(t *testing.T) {
	f := newFake(t)
	lp := vmP + "/providers/Privlink.Fabric/listeners/tcp-80"
	echo(f, lp)
	f.Run(Groups(), "vm", "expose", "-g", "rg", "-n", "vm1", "--port", "80", "--target", "127.0.0.1:8080").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != "2025-01-01" || !strings.HasSuffix(put.Path, "/virtualMachines/vm1/providers/Privlink.Fabric/listeners/tcp-80") {
		t.Errorf("PUT %s?%s", put.Path, put.Query.Encode())
	}
	jsonEqual(t, "body", put.JSON(), `{"properties":{"protocol":"Tcp","port":80,"target":"127.0.0.1:8080"}}`)

	for _, target := range []string{"localhost:9000", "[::1]:9000", "127.1.2.3:1"} {
		f.Run(Groups(), "vm", "expose", "-g", "rg", "-n", "vm1", "--port", "80", "--target", target).Expect(t, 0)
	}
	for target, msg := range map[string]string{
		"10.0.0.4:80":    "is not on loopback",
		"example.com:80": "is not on loopback",
		"127.0.0.1":      "is not HOST:PORT",
		"127.0.0.1:0":    "has an invalid port",
		"127.0.0.1:http": "has an invalid port",
	} {
		res := f.Run(Groups(), "vm", "expose", "-g", "rg", "-n", "vm1", "--port", "80", "--target", target)
		if res.Code != 2 || !strings.Contains(res.Stderr, msg) {
			t.Errorf("%s: code %d stderr %s", target, res.Code, res.Stderr)
		}
	}
	n := len(f.Find("PUT", lp))
	if n != 4 {
		t.Errorf("%d listener PUTs, want 4 (invalid targets must not be sent)", n)
	}

	f.JSON("DELETE", vmP+"/providers/Privlink.Fabric/listeners/udp-53", 200, nil)
	f.Run(Groups(), "vm", "unexpose", "-g", "rg", "-n", "vm1", "--port", "53", "--protocol", "udp").Expect(t, 0)
	if d := f.Last("DELETE"); !strings.HasSuffix(d.Path, "/listeners/udp-53") {
		t.Errorf("DELETE %s", d.Path)
	}
	f.JSON("GET", vmP+"/providers/Privlink.Fabric/listeners", 200, map[string]any{"value": []any{
		map[string]any{"name": "tcp-80", "properties": map[string]any{"protocol": "Tcp", "port": 80, "target": "127.0.0.1:8080"}}}})
	res := f.Run(Groups(), "vm", "list-exposed", "-g", "rg", "-n", "vm1", "-o", "table").Expect(t, 0)
	if !strings.Contains(res.Stdout, "tcp-80") || !strings.Contains(res.Stdout, "127.0.0.1:8080") {
		t.Errorf("table:\n%s", res.Stdout)
	}
}

func TestShellEnvironment(t *testing.T) {
	f := newFake(t)
	f.JSON("POST", "/providers/Privlink.Fabric/environment", 200, map[string]any{
		"variables": map[string]any{"ALL_PROXY": "socks5h://127.0.0.1:41080", "NO_PROXY": ""}, "vantage": vmID})
	res := f.Run(Groups(), "vm", "shell", "-g", "rg", "-n", "vm1", "--command", "echo $ALL_PROXY").Expect(t, 0)
	if res.Stdout != "socks5h://127.0.0.1:41080\n" {
		t.Errorf("stdout = %q", res.Stdout)
	}
	req := f.Last("POST")
	if req.APIVersion() != "2025-01-01" {
		t.Errorf("api-version %s", req.APIVersion())
	}
	jsonEqual(t, "body", req.JSON(), `{"from":"`+vmID+`"}`)
	res = f.Run(Groups(), "vm", "shell", "-g", "rg", "-n", "vm1", "--command", "exit 7")
	if res.Code != 7 || res.Stderr != "" {
		t.Errorf("exit code %d, want 7 and no error line (stderr %q)", res.Code, res.Stderr)
	}
}

func TestDNSQuery(t *testing.T) {
	f := newFake(t)
	f.JSON("POST", "/providers/Privlink.Fabric/dnsQuery", 200, map[string]any{
		"rcode": "NOERROR",
		"answers": []any{
			map[string]any{"name": "myaks.privatelink.eastus.azmk8s.io.", "type": "A", "ttl": 10, "value": "10.0.0.7"},
		},
		"steps": []any{"private zone privatelink.eastus.azmk8s.io linked to vnet1"},
	})
	res := f.Run(Groups(), "network", "dns", "query", "-g", "rg", "--from", "vm1", "-n", "myaks.privatelink.eastus.azmk8s.io", "-o", "table").Expect(t, 0)
	want := "Name                                 Type    TTL    Value\n" +
		"-----------------------------------  ------  -----  --------\n" +
		"myaks.privatelink.eastus.azmk8s.io.  A       10     10.0.0.7\n"
	if res.Stdout != want {
		t.Errorf("table =\n%s\nwant\n%s", res.Stdout, want)
	}
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"from":"`+vmID+`","name":"myaks.privatelink.eastus.azmk8s.io","type":"A"}`)
	f.Run(Groups(), "network", "dns", "query", "--from", "Internet", "-n", "example.com", "--type", "aaaa").Expect(t, 0)
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"from":"internet","name":"example.com","type":"AAAA"}`)
	// The name may be given positionally.
	f.Run(Groups(), "network", "dns", "query", "--from", "internet", "positional.example.com", "-t", "TXT").Expect(t, 0)
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"from":"internet","name":"positional.example.com","type":"TXT"}`)
	res = f.Run(Groups(), "network", "dns", "query", "--from", "internet", "a.example.com", "b.example.com")
	if res.Code != 2 || !strings.Contains(res.Stderr, "unrecognized arguments: b.example.com") {
		t.Errorf("two names: code %d, stderr %q", res.Code, res.Stderr)
	}
	// A bare name goes to the daemon, which resolves unique VM names.
	f.Run(Groups(), "network", "dns", "query", "--from", "vm1", "-n", "example.com").Expect(t, 0)
	jsonEqual(t, "body", f.Last("POST").JSON(), `{"from":"vm1","name":"example.com","type":"A"}`)
}
