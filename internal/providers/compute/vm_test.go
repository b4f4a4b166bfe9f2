package compute

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestCreateVirtualMachine(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	id := vmID("rg", "vm1")
	body := vmBody("eastus", nic)
	body["properties"].(map[string]any)["osProfile"].(map[string]any)["adminPassword"] = "S3cret-Pass!"
	body["properties"].(map[string]any)["diagnosticsProfile"] = map[string]any{"bootDiagnostics": map[string]any{"enabled": true}}
	r := f.Do(http.MethodPut, id, api, body)
	if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
	}
	if st := r.JSON()["properties"].(map[string]any)["provisioningState"]; st != "Creating" {
		t.Fatalf("provisioningState on create: %v", st)
	}
	if st := f.Wait(r); st != "Succeeded" {
		t.Fatalf("create: %s", st)
	}
	got := f.get(id, api)
	if got["type"] != "Microsoft.Compute/virtualMachines" || got["name"] != "vm1" || got["location"] != "eastus" || got["id"] != id {
		t.Fatalf("envelope: %v", got)
	}
	p := got["properties"].(map[string]any)
	if p["provisioningState"] != "Succeeded" || !guidRE.MatchString(p["vmId"].(string)) || p["timeCreated"] == nil {
		t.Fatalf("platform fields: %v", p)
	}
	if strings.Contains(string(f.Do(http.MethodGet, id, api, nil).Body), "S3cret") {
		t.Fatal("adminPassword served")
	}
	sp := p["storageProfile"].(map[string]any)
	od := sp["osDisk"].(map[string]any)
	if !regexp.MustCompile(`^vm1_OsDisk_1_[0-9a-f]{32}$`).MatchString(od["name"].(string)) {
		t.Fatalf("os disk name %v", od["name"])
	}
	wantDisk := map[string]any{"osType": "Linux", "createOption": "FromImage", "caching": "ReadWrite",
		"managedDisk": map[string]any{"storageAccountType": "Premium_LRS"}, "diskSizeGB": 30.0, "deleteOption": "Detach", "name": od["name"]}
	if d := cmp.Diff(wantDisk, od); d != "" {
		t.Fatalf("os disk (-want +got):\n%s", d)
	}
	wantImg := map[string]any{"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}
	if d := cmp.Diff(wantImg, sp["imageReference"]); d != "" {
		t.Fatalf("image (-want +got):\n%s", d)
	}
	op := p["osProfile"].(map[string]any)
	if op["computerName"] != "vm1" || op["adminUsername"] != "azureuser" || op["adminPassword"] != nil {
		t.Fatalf("os profile: %v", op)
	}
	lc := op["linuxConfiguration"].(map[string]any)
	if lc["disablePasswordAuthentication"] != true || lc["provisionVMAgent"] != true {
		t.Fatalf("linux configuration: %v", lc)
	}
	keys := lc["ssh"].(map[string]any)["publicKeys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["keyData"] != sshKey {
		t.Fatalf("ssh keys: %v", keys)
	}
	// Stored form read by the fabric snapshot builder.
	wantNP := []any{map[string]any{"id": nic, "properties": map[string]any{"primary": true}}}
	if d := cmp.Diff(wantNP, p["networkProfile"].(map[string]any)["networkInterfaces"]); d != "" {
		t.Fatalf("network interfaces (-want +got):\n%s", d)
	}
	if p["diagnosticsProfile"] == nil {
		t.Fatal("unmodelled property dropped")
	}
	if in := f.internal(id); in.PowerState != PowerRunning {
		t.Fatalf("stored power state %q", in.PowerState)
	}
	var raw map[string]any
	if err := json.Unmarshal(f.record(id).Internal, &raw); err != nil || len(raw) != 1 || raw["powerState"] != "PowerState/running" {
		t.Fatalf("stored internal %s", f.record(id).Internal)
	}

	// The network interface points back at the machine.
	np := f.get(nic, netAPI)["properties"].(map[string]any)
	if vm, _ := np["virtualMachine"].(map[string]any); vm == nil || vm["id"] != id {
		t.Fatalf("nic virtualMachine: %v", np["virtualMachine"])
	}

	// Instance view, inline and on its own.
	exp := f.get(id+"?$expand=instanceView", api)["properties"].(map[string]any)["instanceView"].(map[string]any)
	iv := f.get(id+"/instanceView", api)
	for _, v := range []map[string]any{exp, iv} {
		st := v["statuses"].([]any)
		if len(st) != 2 {
			t.Fatalf("statuses: %v", st)
		}
		s0, s1 := st[0].(map[string]any), st[1].(map[string]any)
		if s0["code"] != "ProvisioningState/succeeded" || s0["level"] != "Info" || s0["displayStatus"] != "Provisioning succeeded" || s0["time"] == nil {
			t.Fatalf("provisioning status: %v", s0)
		}
		if s1["code"] != "PowerState/running" || s1["displayStatus"] != "VM running" || s1["level"] != "Info" {
			t.Fatalf("power status: %v", s1)
		}
		if v["computerName"] != "vm1" || v["osName"] != "ubuntu" || v["osVersion"] != "22.04" || v["hyperVGeneration"] != "V2" {
			t.Fatalf("instance view: %v", v)
		}
		agent := v["vmAgent"].(map[string]any)
		if agent["vmAgentVersion"] != VMAgentVersion || len(agent["statuses"].([]any)) != 1 {
			t.Fatalf("vm agent: %v", agent)
		}
	}
	if _, ok := f.get(id, api)["properties"].(map[string]any)["instanceView"]; ok {
		t.Fatal("instanceView without $expand")
	}

	// Lists per group and per subscription, with the az version.
	for _, path := range []string{rgID("rg") + "/providers/Microsoft.Compute/virtualMachines", "/subscriptions/" + sub + "/providers/Microsoft.Compute/virtualMachines"} {
		l := f.get(path, azAPI)["value"].([]any)
		if len(l) != 1 || l[0].(map[string]any)["id"] != id {
			t.Fatalf("list %s: %v", path, l)
		}
	}

	// PATCH tags.
	pr := f.Do(http.MethodPatch, id, api, `{"tags":{"env":"dev"}}`)
	if pr.Status != http.StatusOK || pr.JSON()["tags"].(map[string]any)["env"] != "dev" {
		t.Fatalf("patch: %d %s", pr.Status, pr.Body)
	}

	// A replace keeps the platform's values and refuses changing the admin.
	f.must(http.StatusOK, http.MethodPut, id, api, vmBody("eastus", nic))
	again := f.get(id, api)["properties"].(map[string]any)
	if again["vmId"] != p["vmId"] || again["storageProfile"].(map[string]any)["osDisk"].(map[string]any)["name"] != od["name"] {
		t.Fatalf("replace changed platform values: %v", again)
	}
	bad := vmBody("eastus", nic)
	bad["properties"].(map[string]any)["osProfile"].(map[string]any)["adminUsername"] = "other"
	f.fails(http.StatusConflict, "PropertyChangeNotAllowed", "Changing property 'osProfile.adminUsername' is not allowed.", http.MethodPut, id, api, bad)

	// Missing machine, missing group, bad version.
	f.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodGet, vmID("rg", "nope"), api, nil)
	f.fails(http.StatusNotFound, "ResourceGroupNotFound", "", http.MethodGet, rgID("nope")+"/providers/Microsoft.Compute/virtualMachines/vm1", api, nil)
	f.fails(http.StatusBadRequest, "NoRegisteredProviderFound", "", http.MethodGet, id, "2015-01-01", nil)
}

func TestVirtualMachineValidation(t *testing.T) {
	f := newFx(t)
	vnet, nic := f.world()
	west := f.vnet("rg", "westnet", "westus", "10.2.0.0/16", "10.2.0.0/24")
	westNIC := f.nic("rg", "westnic", "westus", west)
	nic2 := f.nic("rg", "nic2", "eastus", vnet)
	missing := netID("rg", "networkInterfaces", "ghost")
	id := vmID("rg", "vm1")

	edit := func(mut func(p map[string]any)) map[string]any {
		b := vmBody("eastus", nic)
		mut(b["properties"].(map[string]any))
		return b
	}
	osp := func(p map[string]any) map[string]any { return p["osProfile"].(map[string]any) }
	cases := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		msg    string
	}{
		{"missing nic", vmBody("eastus", missing), 400, "InvalidResourceReference",
			"Resource " + missing + " referenced by resource " + id + " was not found. Please make sure that the referenced resource exists, and that both resources are in the same region."},
		{"nic in another region", vmBody("eastus", westNIC), 400, "InvalidResourceReference", ""},
		{"no network profile", edit(func(p map[string]any) { delete(p, "networkProfile") }), 400, "InvalidParameter",
			"Required parameter 'networkProfile' is missing (null)."},
		{"two nics, none primary", edit(func(p map[string]any) {
			p["networkProfile"] = map[string]any{"networkInterfaces": []any{map[string]any{"id": nic}, map[string]any{"id": nic2}}}
		}), 400, "VirtualMachineMustHaveOneNetworkInterfaceAsPrimary", ""},
		{"no vm size", edit(func(p map[string]any) { p["hardwareProfile"] = map[string]any{} }), 400, "InvalidParameter",
			"Required parameter 'vmSize' is missing (null)."},
		{"bad vm size", edit(func(p map[string]any) { p["hardwareProfile"] = map[string]any{"vmSize": "Huge"} }), 400, "InvalidParameter",
			"The value Huge provided for the VM size is not valid."},
		{"no admin", edit(func(p map[string]any) { delete(osp(p), "adminUsername") }), 400, "InvalidParameter",
			"Required parameter 'adminUsername' is missing (null)."},
		{"reserved admin", edit(func(p map[string]any) { osp(p)["adminUsername"] = "root" }), 400, "InvalidParameter",
			"The Admin Username specified is not allowed."},
		{"ssh key path", edit(func(p map[string]any) {
			osp(p)["linuxConfiguration"].(map[string]any)["ssh"] = map[string]any{"publicKeys": []any{map[string]any{"path": "/root/.ssh/authorized_keys", "keyData": sshKey}}}
		}), 400, "InvalidParameter", "Destination path for SSH public keys is currently limited to its default value /home/azureuser/.ssh/authorized_keys due to a known issue in Linux provisioning agent."},
		{"no way in", edit(func(p map[string]any) { delete(osp(p)["linuxConfiguration"].(map[string]any), "ssh") }), 400, "InvalidParameter",
			"Authentication using either SSH or by user name and password must be enabled in Linux profile."},
		{"no image", edit(func(p map[string]any) { p["storageProfile"] = map[string]any{} }), 400, "InvalidParameter",
			"Required parameter 'imageReference' is missing (null)."},
		{"no location", map[string]any{"properties": vmBody("eastus", nic)["properties"]}, 400, "LocationRequired", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			f.fails(c.status, c.code, c.msg, http.MethodPut, id, api, c.body)
		})
	}
	f.t = t
	f.fails(http.StatusBadRequest, "InvalidParameter", "", http.MethodPut, vmID("rg", "bad_name!"), api, vmBody("eastus", nic))
	if f.record(id) != nil {
		t.Fatal("failed creates wrote the machine")
	}

	// A network interface serves one machine.
	f.createVM("vm1", vmBody("eastus", nic))
	f.fails(http.StatusBadRequest, "NicInUse",
		"Network Interface "+nic+" is used by existing resource "+id+". In order to use this network interface, the existing resource needs to be deleted or updated to not use this network interface.",
		http.MethodPut, vmID("rg", "vm2"), api, vmBody("eastus", nic))
	// And cannot be deleted while it does.
	f.fails(http.StatusBadRequest, "NicInUse", "", http.MethodDelete, nic, netAPI, nil)

	// Two interfaces, the second primary.
	two := vmBody("eastus", nic2)
	two["properties"].(map[string]any)["networkProfile"] = map[string]any{"networkInterfaces": []any{
		map[string]any{"id": nic2, "properties": map[string]any{"primary": false}},
		map[string]any{"id": f.nic("rg", "nic3", "eastus", vnet), "properties": map[string]any{"primary": true}},
	}}
	got := f.createVM("vm3", two)
	refs := got["properties"].(map[string]any)["networkProfile"].(map[string]any)["networkInterfaces"].([]any)
	if refs[0].(map[string]any)["properties"].(map[string]any)["primary"] != false || refs[1].(map[string]any)["properties"].(map[string]any)["primary"] != true {
		t.Fatalf("primaries: %v", refs)
	}
}

func TestDeleteDetachesNetworkInterfaces(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	id := vmID("rg", "vm1")
	f.createVM("vm1", vmBody("eastus", nic))
	r := f.Do(http.MethodDelete, id, api, nil)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" {
		t.Fatalf("delete: %d %v", r.Status, r.Header)
	}
	if st := f.Wait(r); st != "Succeeded" {
		t.Fatalf("delete: %s", st)
	}
	f.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodGet, id, api, nil)
	np := f.get(nic, netAPI)["properties"].(map[string]any)
	if _, ok := np["virtualMachine"]; ok {
		t.Fatalf("nic still attached: %v", np["virtualMachine"])
	}
	// The interface is free again: another machine takes it, then it can go.
	f.createVM("vm2", vmBody("eastus", nic))
	f.must(http.StatusAccepted, http.MethodDelete, vmID("rg", "vm2"), api, nil)
	f.must(http.StatusAccepted, http.MethodDelete, nic, netAPI, nil)
}

func TestPowerStates(t *testing.T) {
	f := newFx(t)
	_, nic := f.world()
	id := vmID("rg", "vm1")
	f.createVM("vm1", vmBody("eastus", nic))
	steps := []struct {
		action, want, display string
	}{
		{"powerOff?skipShutdown=true", PowerStopped, "VM stopped"},
		{"start", PowerRunning, "VM running"},
		{"restart", PowerRunning, "VM running"},
		{"deallocate", PowerDeallocated, "VM deallocated"},
		{"powerOff", PowerDeallocated, "VM deallocated"},
		{"start", PowerRunning, "VM running"},
	}
	for _, s := range steps {
		f.post(id, s.action, "")
		if got := f.power(id); got != s.want {
			t.Fatalf("after %s: %s, want %s", s.action, got, s.want)
		}
		if in := f.internal(id); in.PowerState != s.want {
			t.Fatalf("after %s: stored %s", s.action, in.PowerState)
		}
		iv := f.get(id+"/instanceView", api)
		st := iv["statuses"].([]any)[1].(map[string]any)
		if st["displayStatus"] != s.display {
			t.Fatalf("after %s: %v", s.action, st)
		}
		if _, agent := iv["vmAgent"]; agent != (s.want == PowerRunning) {
			t.Fatalf("after %s: vmAgent present %v", s.action, agent)
		}
	}
	f.post(id, "deallocate", "")
	f.fails(http.StatusConflict, "OperationNotAllowed", "The operation requires the VM to be running (or set to run).",
		http.MethodPost, id+"/restart", api, nil)
	f.fails(http.StatusNotFound, "ResourceNotFound", "", http.MethodPost, vmID("rg", "nope")+"/start", api, nil)
}

func TestDefaultDiskType(t *testing.T) {
	for size, want := range map[string]string{
		"Standard_D2s_v3": "Premium_LRS", "Standard_B2ms": "Premium_LRS", "Standard_DS1_v2": "Premium_LRS",
		"Standard_B1s": "Premium_LRS", "Standard_A1_v2": "Standard_LRS", "Standard_D2_v3": "Standard_LRS",
		"Basic_A0": "Standard_LRS", "Standard_F4": "Standard_LRS", "Standard_D2ads_v5": "Premium_LRS",
	} {
		if got := defaultDiskType(size); got != want {
			t.Errorf("%s: %s, want %s", size, got, want)
		}
	}
}
