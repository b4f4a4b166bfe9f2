package privatedns

import (
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/armtest"
)

func TestLinkValidation(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	vn := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	z := e.zone(sub, "rg", "contoso.com")
	l := z + "/virtualNetworkLinks/"
	e.fails(400, "BadRequest", "The specified virtual network link registration setting is invalid.", http.MethodPut, l+"l1", v,
		map[string]any{"location": "global", "properties": map[string]any{"virtualNetwork": map[string]any{"id": vn, "registrationEnabled": false}}})
	missing := vnetPath(sub, "rg", "nope")
	e.fails(400, "BadRequest", "Virtual network resource not found for '"+missing+"'", http.MethodPut, l+"l1", v, linkReq(missing, false))
	e.fails(400, "BadRequest", "Virtual network resource not found for", http.MethodPut, l+"l1", v, linkReq(z, false))
	e.fails(400, "LinkedInvalidPropertyId", "properties.virtualNetwork.id", http.MethodPut, l+"l1", v, linkReq("vn1", false))
	e.fails(400, "BadRequest", "", http.MethodPut, l+"l1", v, map[string]any{"location": "global", "properties": map[string]any{"registrationEnabled": false}})
	e.fails(400, "InvalidResourceName", "", http.MethodPut, l+"-bad", v, linkReq(vn, false))
	e.fails(400, "InvalidLocation", "", http.MethodPut, l+"l1", v, map[string]any{"location": "westus", "properties": map[string]any{"virtualNetwork": map[string]any{"id": vn}, "registrationEnabled": false}})
	bad := linkReq(vn, false)
	bad["properties"].(map[string]any)["resolutionPolicy"] = "Sometimes"
	e.fails(400, "BadRequest", "resolutionPolicy", http.MethodPut, l+"l1", v, bad)
	e.fails(400, "InvalidRequestContent", "", http.MethodPut, l+"l1", v, `{"location":"global","properties":{"registrationEnabled":"yes"}}`)
	e.fails(404, "ParentResourceNotFound", "", http.MethodPut, zonePath(sub, "rg", "nope.com")+"/virtualNetworkLinks/l1", v, linkReq(vn, false))

	ok := linkReq(vn, false)
	ok["properties"].(map[string]any)["resolutionPolicy"] = "NxDomainRedirect"
	r := e.Do(http.MethodPut, l+"MyLink", v, ok)
	if r.Status != 201 || r.Header.Get("Azure-AsyncOperation") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if p := props(t, r); p["virtualNetworkLinkState"] != "InProgress" || p["provisioningState"] != "Updating" {
		t.Fatalf("initial: %v", p)
	}
	e.Wait(r)
	got := e.must(200, http.MethodGet, l+"mylink", v, nil)
	p := props(t, got)
	if got.JSON()["name"] != "MyLink" || p["resolutionPolicy"] != "NxDomainRedirect" || p["virtualNetworkLinkState"] != "Completed" ||
		p["registrationEnabled"] != false || p["virtualNetwork"].(map[string]any)["id"] != vn {
		t.Fatalf("link: %s", got.Body)
	}
	vn2 := e.vnet(sub, "rg", "vn2", "10.1.0.0/16")
	e.fails(400, "BadRequest", "cannot be changed", http.MethodPut, l+"MyLink", v, linkReq(vn2, false))
	e.fails(400, "BadRequest", "cannot be changed", http.MethodPatch, l+"MyLink", v, map[string]any{"properties": map[string]any{"virtualNetwork": map[string]any{"id": vn2}}})
	r = e.must(200, http.MethodPatch, l+"MyLink", v, `{"tags":{"k":"v"},"properties":{"resolutionPolicy":"Default"}}`)
	if p := props(t, r); p["resolutionPolicy"] != "Default" || r.JSON()["tags"].(map[string]any)["k"] != "v" {
		t.Fatalf("patch: %s", r.Body)
	}
	if n := len(e.must(200, http.MethodGet, z+"/virtualNetworkLinks", v, nil).JSON()["value"].([]any)); n != 1 {
		t.Fatalf("list: %d", n)
	}
	if p := props(t, e.must(200, http.MethodGet, z, v, nil)); p["numberOfVirtualNetworkLinks"] != float64(1) || p["numberOfVirtualNetworkLinksWithRegistration"] != float64(0) {
		t.Fatalf("zone counts: %v", p)
	}
}

func TestLinkRules(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	e.group(sub, "rg2")
	vn1 := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	vn2 := e.vnet(sub, "rg", "vn2", "10.1.0.0/16")
	za := e.zone(sub, "rg", "a.contoso.com")
	zb := e.zone(sub, "rg", "b.contoso.com")
	za2 := e.zone(sub, "rg2", "a.contoso.com")

	e.link(za, "l1", vn1, true)
	// one link per (zone, network)
	e.fails(409, "Conflict", "Private zone 'a.contoso.com' is already linked to the virtual network '"+vn1+"'.",
		http.MethodPut, za+"/virtualNetworkLinks/l2", v, linkReq(vn1, false))
	// re-putting the same link is fine
	e.must(200, http.MethodPut, za+"/virtualNetworkLinks/l1", v, linkReq(vn1, true))
	// no two zones of the same name on one network
	e.fails(400, "BadRequest",
		"A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with 'a.contoso.com' and 'a.contoso.com' zones.",
		http.MethodPut, za2+"/virtualNetworkLinks/l1", v, linkReq(vn1, false))
	e.link(za2, "l1", vn2, false)
	// one registration zone per network
	e.fails(409, "Conflict",
		"A virtual network can only be linked to 1 Private DNS zone(s) with auto-registration enabled; conflicting Private DNS zone is '"+strings.ToLower(za)+"'.",
		http.MethodPut, zb+"/virtualNetworkLinks/l1", v, linkReq(vn1, true))
	e.link(zb, "l1", vn1, false)
	e.fails(409, "Conflict", "auto-registration enabled", http.MethodPatch, zb+"/virtualNetworkLinks/l1", v, `{"properties":{"registrationEnabled":true}}`)
	e.link(zb, "l2", vn2, true)
	if p := props(t, e.must(200, http.MethodGet, zb, v, nil)); p["numberOfVirtualNetworkLinks"] != float64(2) || p["numberOfVirtualNetworkLinksWithRegistration"] != float64(1) {
		t.Fatalf("counts: %v", p)
	}
	// registration moves: off in a, on in b
	e.must(200, http.MethodPatch, za+"/virtualNetworkLinks/l1", v, `{"properties":{"registrationEnabled":false}}`)
	if r := e.Do(http.MethodPatch, zb+"/virtualNetworkLinks/l1", v, `{"properties":{"registrationEnabled":true}}`); r.Status != 200 {
		t.Fatalf("patch after move: %d %s", r.Status, r.Body)
	}

	// a zone with links cannot be deleted
	e.fails(409, "CannotDeleteResource",
		"Cannot delete resource while nested resources exist. Some existing nested resource IDs include: 'Microsoft.Network/privateDnsZones/a.contoso.com/virtualNetworkLinks/l1'. Please delete all nested resources before deleting this resource.",
		http.MethodDelete, za, v, nil)
	r := e.Do(http.MethodDelete, za+"/virtualNetworkLinks/l1", v, nil)
	if r.Status != 202 || e.Wait(r) != "Succeeded" {
		t.Fatalf("delete link: %d %s", r.Status, r.Body)
	}
	e.fails(404, "ResourceNotFound", "", http.MethodGet, za+"/virtualNetworkLinks/l1", v, nil)
	e.must(202, http.MethodDelete, za, v, nil)
	// with za gone, vn1 may link the other a.contoso.com
	e.link(za2, "l9", vn1, false)
}

func TestLinkLimits(t *testing.T) {
	setVar(t, &maxLinks, 2)
	setVar(t, &maxRegistrationLinks, 1)
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	z := e.zone(sub, "rg", "contoso.com")
	var vns []string
	for i, n := range []string{"vn1", "vn2", "vn3"} {
		vns = append(vns, e.vnet(sub, "rg", n, "10."+string(rune('0'+i))+".0.0/16"))
	}
	e.link(z, "l1", vns[0], true)
	e.fails(409, "Conflict", "auto-registration enabled (1)", http.MethodPut, z+"/virtualNetworkLinks/l2", v, linkReq(vns[1], true))
	e.link(z, "l2", vns[1], false)
	e.fails(409, "Conflict", "virtual network links (2)", http.MethodPut, z+"/virtualNetworkLinks/l3", v, linkReq(vns[2], false))
}

func TestNetworkDeletionRemovesLinks(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	e.group(sub, "net")
	vn := e.vnet(sub, "net", "vn1", "10.0.0.0/16")
	keep := e.vnet(sub, "net", "vn2", "10.1.0.0/16")
	z := e.zone(sub, "rg", "contoso.com")
	e.link(z, "l1", vn, true)
	e.link(z, "l2", keep, false)
	r := e.Do(http.MethodDelete, vn, vnetAPI, nil)
	if r.Status != 200 && r.Status != 202 {
		t.Fatalf("delete vnet: %d %s", r.Status, r.Body)
	}
	e.Wait(r)
	e.fails(404, "ResourceNotFound", "", http.MethodGet, z+"/virtualNetworkLinks/l1", v, nil)
	e.must(200, http.MethodGet, z+"/virtualNetworkLinks/l2", v, nil)
	if p := props(t, e.must(200, http.MethodGet, z, v, nil)); p["numberOfVirtualNetworkLinks"] != float64(1) {
		t.Fatalf("counts: %v", p)
	}
	// a network of the same ID can be linked again
	vn = e.vnet(sub, "net", "vn1", "10.0.0.0/16")
	e.link(z, "l1", vn, true)

	// deleting the resource group deletes zones with their links
	r = e.Do(http.MethodDelete, rgPath(sub, "rg"), rgAPI, nil)
	if r.Status != 202 {
		t.Fatalf("delete group: %d %s", r.Status, r.Body)
	}
	waitGone(t, e, rgPath(sub, "rg"), rgAPI)
	e.fails(404, "ResourceGroupNotFound", "", http.MethodGet, z, v, nil)
	// the networks' links went with the zone: vn1 can link elsewhere
	e.group(sub, "rg3")
	z3 := e.zone(sub, "rg3", "contoso.com")
	e.link(z3, "l1", vn, true)
}

// Concurrent links of one network to one zone: exactly one wins.
func TestConcurrentLinks(t *testing.T) {
	e := start(t, armtest.Options{})
	sub := armtest.Subscription
	e.group(sub, "rg")
	vn := e.vnet(sub, "rg", "vn1", "10.0.0.0/16")
	z := e.zone(sub, "rg", "contoso.com")
	var zones []string
	for _, n := range []string{"a.com", "b.com", "c.com", "d.com"} {
		zones = append(zones, e.zone(sub, "rg", n))
	}
	const n = 6
	out := make(chan int, 2*n)
	for i := range n {
		go func() {
			out <- e.Do(http.MethodPut, z+"/virtualNetworkLinks/l"+string(rune('0'+i)), v, linkReq(vn, false)).Status
		}()
	}
	for i := range zones {
		go func() {
			out <- 1000 + e.Do(http.MethodPut, zones[i]+"/virtualNetworkLinks/reg", v, linkReq(vn, true)).Status
		}()
	}
	counts := map[int]int{}
	for range n + len(zones) {
		counts[<-out]++
	}
	if counts[201] != 1 || counts[409] != n-1 || counts[1201] != 1 || counts[1409] != len(zones)-1 {
		t.Fatalf("statuses: %v", counts)
	}
}
