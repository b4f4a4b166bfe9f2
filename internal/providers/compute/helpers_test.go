package compute

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	api     = "2024-11-01"
	azAPI   = "2022-11-01" // azure-cli 2.45
	rgAPI   = "2021-04-01"
	netAPI  = "2024-05-01"
	dnsAPI  = "2024-06-01"
	sub     = armtest.Subscription
	sshKey  = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 test@privlink"
	timeout = 10 * time.Second
)

// fakeEnv records the machines it was asked about and gives scripts a
// marker variable.
type fakeEnv struct {
	mu    sync.Mutex
	asked []string
	err   error
}

func (f *fakeEnv) env(_ context.Context, vmID string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, vmID)
	if f.err != nil {
		return nil, f.err
	}
	return []string{"PRIVLINK_VANTAGE=" + vmID, "ALL_PROXY=socks5h://127.0.0.1:1", "NO_PROXY="}, nil
}

type fx struct {
	*armtest.Server
	t   *testing.T
	pr  *Provider
	env *fakeEnv
}

func newFx(t *testing.T, tune ...func(*Provider)) *fx {
	t.Helper()
	fe := &fakeEnv{}
	pr := &Provider{Env: fe.env}
	for _, f := range tune {
		f(pr)
	}
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, privatedns.Provider{}, pr)
	t.Cleanup(pr.Close)
	return &fx{Server: s, t: t, pr: pr, env: fe}
}

func rgID(rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

func netID(rg, typ, name string) string {
	return rgID(rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

func vmID(rg, name string) string {
	return rgID(rg) + "/providers/Microsoft.Compute/virtualMachines/" + name
}

// must sends a request, checks the status and waits for an asynchronous
// operation to succeed.
func (f *fx) must(want int, method, path, apiVersion string, body any) *armtest.Result {
	f.t.Helper()
	r := f.Do(method, path, apiVersion, body)
	if r.Status != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if st := f.Wait(r); st != "" && st != "Succeeded" {
		f.t.Fatalf("%s %s: operation %s", method, path, st)
	}
	return r
}

// fails checks an ARM error.
func (f *fx) fails(status int, code, msg, method, path, apiVersion string, body any) *armtest.Result {
	f.t.Helper()
	r := f.Do(method, path, apiVersion, body)
	if r.Status != status || r.ErrorCode() != code || r.Header.Get("x-ms-error-code") != code {
		f.t.Fatalf("%s %s: got %d %s, want %d %s: %s", method, path, r.Status, r.ErrorCode(), status, code, r.Body)
	}
	if msg != "" && r.ErrorMessage() != msg {
		f.t.Fatalf("%s %s: message\n got %q\nwant %q", method, path, r.ErrorMessage(), msg)
	}
	return r
}

func (f *fx) get(path, apiVersion string) map[string]any {
	f.t.Helper()
	r := f.Do(http.MethodGet, path, apiVersion, nil)
	if r.Status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON()
}

func (f *fx) group(rg, loc string) {
	f.t.Helper()
	r := f.Do(http.MethodPut, rgID(rg), rgAPI, map[string]any{"location": loc})
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		f.t.Fatalf("group %s: %d %s", rg, r.Status, r.Body)
	}
}

// vnet creates a virtual network with one subnet "default".
func (f *fx) vnet(rg, name, loc, space, subnet string) string {
	f.t.Helper()
	id := netID(rg, "virtualNetworks", name)
	f.must(http.StatusCreated, http.MethodPut, id, netAPI, map[string]any{
		"location": loc,
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{space}},
			"subnets":      []any{map[string]any{"name": "default", "properties": map[string]any{"addressPrefix": subnet}}},
		},
	})
	return id
}

func (f *fx) nic(rg, name, loc, vnet string) string {
	f.t.Helper()
	id := netID(rg, "networkInterfaces", name)
	f.must(http.StatusCreated, http.MethodPut, id, netAPI, map[string]any{
		"location": loc,
		"properties": map[string]any{"ipConfigurations": []any{map[string]any{
			"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": vnet + "/subnets/default"}},
		}}},
	})
	return id
}

// nicIP is a network interface's private address.
func (f *fx) nicIP(nic string) string {
	f.t.Helper()
	p := f.get(nic, netAPI)["properties"].(map[string]any)
	return p["ipConfigurations"].([]any)[0].(map[string]any)["properties"].(map[string]any)["privateIPAddress"].(string)
}

// vmBody is a Linux machine on the given interfaces (the first primary).
func vmBody(loc string, nics ...string) map[string]any {
	refs := make([]any, len(nics))
	for i, n := range nics {
		refs[i] = map[string]any{"id": n, "properties": map[string]any{"primary": i == 0}}
	}
	return map[string]any{
		"location": loc,
		"properties": map[string]any{
			"hardwareProfile": map[string]any{"vmSize": "Standard_D2s_v3"},
			"storageProfile": map[string]any{"imageReference": map[string]any{
				"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest",
			}},
			"osProfile": map[string]any{
				"adminUsername": "azureuser",
				"linuxConfiguration": map[string]any{
					"disablePasswordAuthentication": true,
					"ssh": map[string]any{"publicKeys": []any{map[string]any{
						"path": "/home/azureuser/.ssh/authorized_keys", "keyData": sshKey,
					}}},
				},
			},
			"networkProfile": map[string]any{"networkInterfaces": refs},
		},
	}
}

// world is a group "rg" in eastus with a network and a NIC "nic1".
func (f *fx) world() (vnet, nic string) {
	f.t.Helper()
	f.group("rg", "eastus")
	vnet = f.vnet("rg", "vnet", "eastus", "10.1.0.0/16", "10.1.0.0/24")
	return vnet, f.nic("rg", "nic1", "eastus", vnet)
}

func (f *fx) createVM(name string, body map[string]any) map[string]any {
	f.t.Helper()
	r := f.must(http.StatusCreated, http.MethodPut, vmID("rg", name), api, body)
	return r.JSON()
}

// post sends a power action or run command and waits for it.
func (f *fx) post(vm, action, body string) *armtest.Result {
	f.t.Helper()
	r := f.Do(http.MethodPost, vm+"/"+action, api, body)
	if r.Status != http.StatusAccepted {
		f.t.Fatalf("POST %s: %d %s", action, r.Status, r.Body)
	}
	if st := f.Wait(r); st != "Succeeded" {
		f.t.Fatalf("POST %s: operation %s", action, st)
	}
	return r
}

// power returns the machine's power state code from the instance view.
func (f *fx) power(vm string) string {
	f.t.Helper()
	var iv struct {
		Statuses []InstanceViewStatus `json:"statuses"`
	}
	r := f.Do(http.MethodGet, vm+"/instanceView", api, nil)
	if err := json.Unmarshal(r.Body, &iv); err != nil || r.Status != http.StatusOK {
		f.t.Fatalf("instance view: %d %s", r.Status, r.Body)
	}
	for _, s := range iv.Statuses {
		if strings.HasPrefix(s.Code, "PowerState/") {
			return s.Code
		}
	}
	return ""
}

// internal reads the stored Record.Internal of a machine.
func (f *fx) internal(vm string) Internal {
	f.t.Helper()
	rec, err := f.Platform.Engine.GetRecord(context.Background(), vm)
	if err != nil || rec == nil {
		f.t.Fatalf("record %s: %v", vm, err)
	}
	in, err := DecodeInternal(rec)
	if err != nil {
		f.t.Fatal(err)
	}
	return in
}

func (f *fx) record(id string) *arm.Record {
	f.t.Helper()
	rec, err := f.Platform.Engine.GetRecord(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return rec
}
