package compute

import (
	"net/http"
	"testing"
)

func TestPrivateDNSAutoRegistration(t *testing.T) {
	f := newFx(t)
	vnet, nic := f.world()
	zone := rgID("rg") + "/providers/Microsoft.Network/privateDnsZones/corp.internal"
	f.must(http.StatusCreated, http.MethodPut, zone, dnsAPI, `{"location":"global"}`)
	f.must(http.StatusCreated, http.MethodPut, zone+"/virtualNetworkLinks/l1", dnsAPI, map[string]any{
		"location":   "global",
		"properties": map[string]any{"virtualNetwork": map[string]any{"id": vnet}, "registrationEnabled": true},
	})
	body := vmBody("eastus", nic)
	body["properties"].(map[string]any)["osProfile"].(map[string]any)["computerName"] = "Web01"
	id := vmID("rg", "vm1")
	f.createVM("vm1", body)
	record := zone + "/A/web01"
	check := func(when string, want bool) {
		t.Helper()
		r := f.Do(http.MethodGet, record, dnsAPI, nil)
		if !want {
			if r.Status != http.StatusNotFound {
				t.Fatalf("%s: record present: %d %s", when, r.Status, r.Body)
			}
			return
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: record missing: %d %s", when, r.Status, r.Body)
		}
		p := r.JSON()["properties"].(map[string]any)
		a := p["aRecords"].([]any)
		if p["isAutoRegistered"] != true || len(a) != 1 || a[0].(map[string]any)["ipv4Address"] != f.nicIP(nic) {
			t.Fatalf("%s: record %v", when, p)
		}
	}
	check("created", true)
	f.post(id, "powerOff", "")
	check("stopped, still allocated", true)
	f.post(id, "deallocate", "")
	check("deallocated", false)
	f.post(id, "start", "")
	check("started", true)
	f.must(http.StatusAccepted, http.MethodDelete, id, api, nil)
	check("deleted", false)

	// A machine on a network without a registration link registers nothing.
	f.must(http.StatusOK, http.MethodPut, zone+"/virtualNetworkLinks/l1", dnsAPI, map[string]any{
		"location":   "global",
		"properties": map[string]any{"virtualNetwork": map[string]any{"id": vnet}, "registrationEnabled": false},
	})
	f.createVM("vm2", body)
	check("no registration link", false)
}
