package privatedns

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/cli/clitest"
	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/providers/network"
	provider "github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/resources"
)

// The end-to-end tests run the commands against the real ARM engine with
// the real resources, network and privatedns providers (internal/armtest).

const (
	tokenPath = "/organizations/oauth2/v2.0/token"
	seedZone  = "privatelink.eastus.azmk8s.io"
)

// tokenTransport answers the CLI's client-credentials token request (the
// daemon's token endpoint is not part of the ARM engine) and passes
// everything else to the test server.
type tokenTransport struct{ base http.RoundTripper }

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && req.URL.Path == tokenPath {
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_ = req.Body.Close()
		}
		return &http.Response{
			StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"access_token":"e2e","token_type":"Bearer","expires_in":3600}`)),
		}, nil
	}
	return t.base.RoundTrip(req)
}

type daemon struct {
	*armtest.Server
	t       *testing.T
	dataDir string
}

func startDaemon(t *testing.T) *daemon {
	t.Helper()
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, network.Provider{}, provider.Provider{})
	return &daemon{Server: s, t: t, dataDir: t.TempDir()}
}

// run executes one command line against the daemon.
func (d *daemon) run(args ...string) clitest.Result {
	d.t.Helper()
	env := map[string]string{core.EnvEndpoint: d.URL, core.EnvDataDir: d.dataDir}
	r := &core.Runner{
		Tree:       core.NewTree(Groups()...),
		Getenv:     func(k string) string { return env[k] },
		HTTPClient: &http.Client{Transport: tokenTransport{base: d.Transport()}},
		Sleep: func(ctx context.Context, _ time.Duration) error {
			tm := time.NewTimer(10 * time.Millisecond)
			defer tm.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tm.C:
				return nil
			}
		},
	}
	var out, errb bytes.Buffer
	code := r.Run(context.Background(), args, core.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return clitest.Result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

func (d *daemon) group(rg string) {
	d.t.Helper()
	r := d.Do(http.MethodPut, "/subscriptions/"+armtest.Subscription+"/resourcegroups/"+rg, "2021-04-01", `{"location":"eastus"}`)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		d.t.Fatalf("group %s: %d %s", rg, r.Status, r.Body)
	}
}

// vnet creates a virtual network (api-version 2022-01-01, as az 2.45's
// "network vnet create") and returns its ID.
func (d *daemon) vnet(rg, name, prefix string) string {
	d.t.Helper()
	id := "/subscriptions/" + armtest.Subscription + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + name
	r := d.Do(http.MethodPut, id, "2022-01-01", map[string]any{
		"location":   "eastus",
		"properties": map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{prefix}}},
	})
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		d.t.Fatalf("vnet %s: %d %s", name, r.Status, r.Body)
	}
	if st := d.Wait(r); st != "" && st != "Succeeded" {
		d.t.Fatalf("vnet %s: %s", name, st)
	}
	return id
}

// armError checks an az-style ARM error on stderr.
func armError(t *testing.T, res clitest.Result, code, msgPart string) {
	t.Helper()
	want := "ERROR: (" + code + ") "
	if !strings.HasPrefix(res.Stderr, want) || !strings.Contains(res.Stderr, "\nCode: "+code+"\nMessage: ") ||
		!strings.Contains(res.Stderr, msgPart) {
		t.Errorf("stderr = %q, want %q... containing %q", res.Stderr, want, msgPart)
	}
	if res.Stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.Stdout)
	}
}

func str(v any) string { s, _ := v.(string); return s }

// TestSeedFlow is the seeds' private AKS DNS setup: a privatelink zone,
// a link to the cluster's network without registration, an A record.
func TestSeedFlow(t *testing.T) {
	d := startDaemon(t)
	d.group("rg")
	vnetID := d.vnet("rg", "aks-vnet", "10.224.0.0/12")

	zone := d.run("network", "private-dns", "zone", "create", "-g", "rg", "-n", seedZone+".").Expect(t, 0).Object(t)
	if zone["name"] != seedZone || zone["provisioningState"] != "Succeeded" || zone["location"] != "global" ||
		zone["numberOfRecordSets"] != 1.0 || zone["resourceGroup"] != "rg" || zone["type"] != "Microsoft.Network/privateDnsZones" {
		t.Errorf("zone create = %v", zone)
	}
	for _, k := range ZoneShape.Fields {
		if _, ok := zone[k]; !ok {
			t.Errorf("zone output lacks %s: %v", k, zone)
		}
	}

	link := d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "aks-link",
		"-z", seedZone, "-v", "aks-vnet", "-e", "false").Expect(t, 0).Object(t)
	vn := asObject(link["virtualNetwork"])
	if link["name"] != "aks-link" || link["registrationEnabled"] != false || !strings.EqualFold(str(vn["id"]), vnetID) ||
		link["virtualNetworkLinkState"] != "Completed" || link["provisioningState"] != "Succeeded" || link["resourceGroup"] != "rg" {
		t.Errorf("link create = %v", link)
	}
	if _, ok := link["resolutionPolicy"]; ok {
		t.Errorf("resolutionPolicy printed without being set: %v", link)
	}

	rs := d.run("network", "private-dns", "record-set", "a", "add-record", "-g", "rg", "-z", seedZone,
		"-n", "aks-12345678", "-a", "10.224.0.4").Expect(t, 0).Object(t)
	recs, _ := rs["aRecords"].([]any)
	if len(recs) != 1 || asObject(recs[0])["ipv4Address"] != "10.224.0.4" || rs["ttl"] != 3600.0 ||
		rs["fqdn"] != "aks-12345678."+seedZone+"." || rs["isAutoRegistered"] != false || rs["resourceGroup"] != "rg" {
		t.Errorf("add-record = %v", rs)
	}
	for _, k := range []string{"aaaaRecords", "cnameRecord", "mxRecords", "ptrRecords", "soaRecord", "srvRecords", "txtRecords"} {
		if _, ok := rs[k]; ok {
			t.Errorf("add-record output keeps empty %s: %v", k, rs)
		}
	}
	// a second record goes into the same set
	rs = d.run("network", "private-dns", "record-set", "a", "add-record", "-g", "rg", "-z", seedZone,
		"--record-set-name", "aks-12345678", "--ipv4-address", "10.224.0.5").Expect(t, 0).Object(t)
	if recs, _ := rs["aRecords"].([]any); len(recs) != 2 {
		t.Errorf("second add-record = %v", rs)
	}

	got := d.run("network", "private-dns", "record-set", "a", "show", "-g", "rg", "-z", seedZone, "-n", "aks-12345678",
		"--query", "aRecords[].ipv4Address", "-o", "tsv").Expect(t, 0)
	if got.Stdout != "10.224.0.4\n10.224.0.5\n" {
		t.Errorf("show --query = %q", got.Stdout)
	}

	zone = d.run("network", "private-dns", "zone", "show", "-g", "rg", "-n", seedZone).Expect(t, 0).Object(t)
	if zone["numberOfRecordSets"] != 2.0 || zone["numberOfVirtualNetworkLinks"] != 1.0 ||
		zone["numberOfVirtualNetworkLinksWithRegistration"] != 0.0 {
		t.Errorf("zone show = %v", zone)
	}

	all := d.run("network", "private-dns", "record-set", "list", "-g", "rg", "-z", seedZone).Expect(t, 0).List(t)
	if len(all) != 2 {
		t.Fatalf("record-set list = %v", all)
	}
	for _, it := range all {
		m := asObject(it)
		// list output keeps every record property (null when absent)
		for _, k := range recordProps {
			if _, ok := m[k]; !ok {
				t.Errorf("list item lacks %s: %v", k, m)
			}
		}
	}
	tbl := d.run("network", "private-dns", "record-set", "list", "-g", "rg", "-z", seedZone, "-o", "table").Expect(t, 0).Stdout
	lines := strings.Split(strings.TrimRight(tbl, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "Name ") ||
		strings.Join(strings.Fields(lines[0]), " ") != "Name ResourceGroup Ttl Type AutoRegistered Metadata" ||
		strings.Join(strings.Fields(lines[2]), " ") != "aks-12345678 rg 3600 A False" ||
		strings.Join(strings.Fields(lines[3]), " ") != "@ rg 3600 SOA False" {
		t.Errorf("record-set list -o table:\n%s", tbl)
	}

	links := d.run("network", "private-dns", "link", "vnet", "list", "-g", "rg", "-z", seedZone, "-o", "table").Expect(t, 0).Stdout
	lines = strings.Split(strings.TrimRight(links, "\n"), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "LinkName ResourceGroup RegistrationEnabled VirtualNetwork LinkState ProvisioningState" ||
		!strings.Contains(lines[2], "aks-link") || !strings.Contains(lines[2], "Completed") {
		t.Errorf("link vnet list -o table:\n%s", links)
	}
	zones := d.run("network", "private-dns", "zone", "list", "-o", "table").Expect(t, 0).Stdout
	lines = strings.Split(strings.TrimRight(zones, "\n"), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") !=
		"ZoneName ResourceGroup RecordSets MaxRecordSets VirtualNetworkLinks MaxVirtualNetworkLinks VirtualNetworkLinksWithRegistration MaxVirtualNetworkLinksWithRegistration ProvisioningState" ||
		strings.Join(strings.Fields(lines[2]), " ") != seedZone+" rg 2 25000 1 1000 0 100 Succeeded" {
		t.Errorf("zone list -o table:\n%s", zones)
	}
}

func TestErrorPaths(t *testing.T) {
	d := startDaemon(t)
	d.group("rg")
	d.group("rg2")
	d.vnet("rg", "vnet1", "10.1.0.0/16")
	d.run("network", "private-dns", "zone", "create", "-g", "rg", "-n", seedZone).Expect(t, 0)
	d.run("network", "private-dns", "zone", "create", "-g", "rg2", "-n", seedZone).Expect(t, 0)
	d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "l1", "-z", seedZone,
		"-v", "vnet1", "-e", "false").Expect(t, 0)

	// invalid zone name
	res := d.run("network", "private-dns", "zone", "create", "-g", "rg", "-n", "single").Expect(t, 1)
	armError(t, res, "BadRequest", "The zone name 'single' does not have enough labels. Zone names must have two or more labels.")
	res = d.run("network", "private-dns", "zone", "create", "-g", "rg", "-n", "bad_-.label..x").Expect(t, 1)
	armError(t, res, "BadRequest", "is invalid")

	// the same zone again: az's If-None-Match: * makes the service refuse
	res = d.run("network", "private-dns", "zone", "create", "-g", "rg", "-n", seedZone).Expect(t, 1)
	armError(t, res, "PreconditionFailed", "")

	// a second link of the same network to the zone
	vnetID := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1"
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "l2", "-z", seedZone,
		"-v", vnetID, "-e", "false").Expect(t, 1)
	armError(t, res, "Conflict", "Private zone '"+seedZone+"' is already linked to the virtual network")

	// the network linked to a zone of the same name in another group
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg2", "-n", "l3", "-z", seedZone,
		"-v", vnetID, "-e", "false").Expect(t, 1)
	armError(t, res, "BadRequest", "A virtual network cannot be linked to multiple zones with overlapping namespaces. "+
		"You tried to link virtual network with '"+seedZone+"' and '"+seedZone+"' zones.")
	// nothing was written
	if l := d.run("network", "private-dns", "link", "vnet", "list", "-g", "rg2", "-z", seedZone).Expect(t, 0).List(t); len(l) != 0 {
		t.Errorf("refused link was stored: %v", l)
	}

	// a network name resolved in the link's resource group, where it is absent
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg2", "-n", "l4", "-z", seedZone,
		"-v", "vnet1", "-e", "true").Expect(t, 1)
	armError(t, res, "BadRequest", "Virtual network resource not found for '/subscriptions/"+armtest.Subscription+
		"/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/vnet1'")

	// missing zone
	res = d.run("network", "private-dns", "zone", "show", "-g", "rg", "-n", "missing.example.com").Expect(t, 3)
	armError(t, res, "ResourceNotFound", "Microsoft.Network/privateDnsZones/missing.example.com")
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "l5", "-z", "missing.example.com",
		"-v", "vnet1", "-e", "false").Expect(t, 1)
	armError(t, res, "ParentResourceNotFound", "missing.example.com")
	res = d.run("network", "private-dns", "record-set", "a", "add-record", "-g", "rg", "-z", "missing.example.com",
		"-n", "www", "-a", "10.0.0.4").Expect(t, 1)
	armError(t, res, "ParentResourceNotFound", "missing.example.com")
	res = d.run("network", "private-dns", "record-set", "list", "-g", "rg", "-z", "missing.example.com").Expect(t, 1)
	armError(t, res, "ResourceNotFound", "missing.example.com")
	res = d.run("network", "private-dns", "link", "vnet", "show", "-g", "rg", "-z", seedZone, "-n", "nolink").Expect(t, 3)
	armError(t, res, "ResourceNotFound", "virtualNetworkLinks/nolink")
	res = d.run("network", "private-dns", "record-set", "a", "show", "-g", "rg", "-z", seedZone, "-n", "nothere").Expect(t, 3)
	armError(t, res, "ResourceNotFound", "")
	res = d.run("network", "private-dns", "record-set", "a", "remove-record", "-g", "rg", "-z", seedZone, "-n", "nothere",
		"-a", "10.0.0.4").Expect(t, 1)
	armError(t, res, "ResourceNotFound", "")
	res = d.run("network", "private-dns", "zone", "show", "-g", "nogroup", "-n", seedZone).Expect(t, 3)
	armError(t, res, "ResourceGroupNotFound", "Resource group 'nogroup' could not be found.")

	// a zone with links cannot be deleted
	res = d.run("network", "private-dns", "zone", "delete", "-g", "rg", "-n", seedZone, "--yes").Expect(t, 1)
	armError(t, res, "CannotDeleteResource", "Cannot delete resource while nested resources exist.")

	// bad record data
	res = d.run("network", "private-dns", "record-set", "a", "add-record", "-g", "rg", "-z", seedZone,
		"-n", "www", "-a", "10.0.0.300").Expect(t, 1)
	armError(t, res, "BadRequest", "The IPv4 address '10.0.0.300' is invalid.")
	d.run("network", "private-dns", "record-set", "a", "add-record", "-g", "rg", "-z", seedZone, "-n", "www", "-a", "10.0.0.4").Expect(t, 0)
	res = d.run("network", "private-dns", "record-set", "cname", "set-record", "-g", "rg", "-z", seedZone,
		"-n", "www", "-c", "x.contoso.com").Expect(t, 1)
	armError(t, res, "Conflict", "The CNAME record could not be created because another record with the same name already exists in this zone.")

	// usage errors
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "l6", "-z", seedZone, "-v", "vnet1").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --registration-enabled/-e") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = d.run("network", "private-dns", "link", "vnet", "create", "-g", "rg", "-n", "l6", "-z", seedZone, "-v", "vnet1", "-e", "maybe").Expect(t, 2)
	if !strings.Contains(res.Stderr, "'maybe' is not a valid value for '--registration-enabled'. Allowed values: true, false.") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = d.run("network", "private-dns", "zone", "show", "-g", "rg").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --name/-n") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	res = d.run("network", "private-dns", "record-set", "srv", "add-record", "-g", "rg", "-z", seedZone, "-n", "_sip._tcp",
		"-t", "sip.contoso.com", "-r", "5060", "-p", "10").Expect(t, 2)
	if !strings.Contains(res.Stderr, "the following arguments are required: --weight/-w") {
		t.Errorf("stderr = %s", res.Stderr)
	}
	d.run("network", "private-dns", "record-set", "a", "create", "-g", "rg", "-z", seedZone, "-n", "x", "--ttl", "abc").Expect(t, 2)
	d.run("network", "private-dns", "zone", "show", "-g", "rg", "-n", seedZone, "--ids", "x").Expect(t, 2)
	res = d.run("network", "private-dns", "record-set", "mx", "add-record", "-g", "rg", "-z", seedZone, "-n", "mail",
		"-e", "mail.contoso.com", "-p", "ten").Expect(t, 1)
	if !strings.Contains(res.Stderr, "ERROR: invalid literal for int() with base 10: 'ten'") {
		t.Errorf("stderr = %s", res.Stderr)
	}
}

// TestLifecycle covers update, remove-record, the other record types, SOA
// and deletes through the real engine.
func TestLifecycle(t *testing.T) {
	d := startDaemon(t)
	d.group("rg")
	d.vnet("rg", "vnet1", "10.1.0.0/16")
	z := "contoso.internal"
	pd := []string{"network", "private-dns"}
	run := func(code int, args ...string) clitest.Result {
		t.Helper()
		return d.run(append(append([]string(nil), pd...), args...)...).Expect(t, code)
	}
	zone := run(0, "zone", "create", "-g", "rg", "-n", z, "--tags", "env=test").Object(t)
	etag := str(zone["etag"])
	if asObject(zone["tags"])["env"] != "test" || etag == "" {
		t.Fatalf("zone = %v", zone)
	}
	res := run(1, "zone", "update", "-g", "rg", "-n", z, "--tags", "env=prod", "--if-match", "stale")
	armError(t, res, "PreconditionFailed", "")
	zone = run(0, "zone", "update", "-g", "rg", "-n", z, "--tags", "env=prod", "--if-match", etag).Object(t)
	if asObject(zone["tags"])["env"] != "prod" || zone["etag"] == etag {
		t.Errorf("zone update = %v", zone)
	}
	zone = run(0, "zone", "update", "-g", "rg", "-n", z, "--set", "tags.owner=me").Object(t)
	if tg := asObject(zone["tags"]); tg["env"] != "prod" || tg["owner"] != "me" {
		t.Errorf("zone update --set = %v", zone)
	}
	run(0, "zone", "wait", "-g", "rg", "-n", z, "--created")

	// link with registration, then update it
	link := run(0, "link", "vnet", "create", "-g", "rg", "-z", z, "-n", "reg", "-v", "vnet1", "-e", "--tags", "a=b").Object(t)
	if link["registrationEnabled"] != true || asObject(link["tags"])["a"] != "b" {
		t.Errorf("link = %v", link)
	}
	zone = run(0, "zone", "show", "-g", "rg", "-n", z).Object(t)
	if zone["numberOfVirtualNetworkLinksWithRegistration"] != 1.0 {
		t.Errorf("zone = %v", zone)
	}
	link = run(0, "link", "vnet", "update", "-g", "rg", "-z", z, "-n", "reg", "-e", "false", "--resolution-policy", "nxdomainredirect").Object(t)
	if link["registrationEnabled"] != false || link["resolutionPolicy"] != "NxDomainRedirect" || asObject(link["tags"])["a"] != "b" {
		t.Errorf("link update = %v", link)
	}
	show := run(0, "link", "vnet", "show", "-g", "rg", "-z", z, "-n", "reg", "-o", "table").Stdout
	if !strings.Contains(show, "LinkName") || !strings.Contains(show, "False") {
		t.Errorf("link show -o table:\n%s", show)
	}
	if l := run(0, "link", "vnet", "list", "-g", "rg", "-z", z, "--top", "1").List(t); len(l) != 1 {
		t.Errorf("link list --top = %v", l)
	}
	run(0, "link", "vnet", "wait", "-g", "rg", "-z", z, "-n", "reg", "--exists")

	// record types
	mx := run(0, "record-set", "mx", "add-record", "-g", "rg", "-z", z, "-n", "@", "-e", "mail.contoso.com", "-p", "10").Object(t)
	if r, _ := mx["mxRecords"].([]any); len(r) != 1 || asObject(r[0])["preference"] != 10.0 || mx["name"] != "@" {
		t.Errorf("mx = %v", mx)
	}
	srv := run(0, "record-set", "srv", "add-record", "-g", "rg", "-z", z, "-n", "_sip._tcp",
		"-t", "sip.contoso.com", "-r", "5060", "-p", "10", "-w", "20").Object(t)
	if r, _ := srv["srvRecords"].([]any); len(r) != 1 || asObject(r[0])["port"] != 5060.0 || asObject(r[0])["weight"] != 20.0 {
		t.Errorf("srv = %v", srv)
	}
	long := strings.Repeat("x", 300)
	txt := run(0, "record-set", "txt", "add-record", "-g", "rg", "-z", z, "-n", "info", "-v", "a=b", long).Object(t)
	if r, _ := txt["txtRecords"].([]any); len(r) != 1 || len(asObject(r[0])["value"].([]any)) != 2 {
		t.Errorf("txt = %v", txt)
	}
	run(0, "record-set", "ptr", "add-record", "-g", "rg", "-z", z, "-n", "4", "-d", "host.contoso.com")
	run(0, "record-set", "aaaa", "add-record", "-g", "rg", "-z", z, "-n", "v6", "-a", "fd00::4")
	cn := run(0, "record-set", "cname", "set-record", "-g", "rg", "-z", z, "-n", "alias", "-c", "target.contoso.com").Object(t)
	if asObject(cn["cnameRecord"])["cname"] != "target.contoso.com" {
		t.Errorf("cname = %v", cn)
	}
	cn = run(0, "record-set", "cname", "set-record", "-g", "rg", "-z", z, "-n", "alias", "-c", "other.contoso.com").Object(t)
	if asObject(cn["cnameRecord"])["cname"] != "other.contoso.com" {
		t.Errorf("cname replaced = %v", cn)
	}

	// create, update, list, delete
	empty := run(0, "record-set", "a", "create", "-g", "rg", "-z", z, "-n", "web", "--ttl", "60", "--metadata", "owner=web").Object(t)
	if empty["ttl"] != 60.0 || asObject(empty["metadata"])["owner"] != "web" {
		t.Errorf("create = %v", empty)
	}
	if _, ok := empty["aRecords"]; ok {
		t.Errorf("empty aRecords printed: %v", empty)
	}
	res = run(1, "record-set", "a", "create", "-g", "rg", "-z", z, "-n", "web")
	armError(t, res, "PreconditionFailed", "")
	upd := run(0, "record-set", "a", "update", "-g", "rg", "-z", z, "-n", "web", "--metadata", "team=x", "--set", "ttl=120").Object(t)
	if upd["ttl"] != 120.0 || asObject(upd["metadata"])["team"] != "x" || asObject(upd["metadata"])["owner"] != nil {
		t.Errorf("update = %v", upd)
	}
	a := run(0, "record-set", "a", "list", "-g", "rg", "-z", z).List(t)
	if len(a) != 1 || asObject(a[0])["name"] != "web" {
		t.Errorf("a list = %v", a)
	}
	res = run(1, "record-set", "a", "show", "-g", "rg", "-z", z, "-n", "web", "-o", "table")
	if res.Stderr != "ERROR: "+tableUnavailable+"\n" {
		t.Errorf("show -o table stderr = %q", res.Stderr)
	}
	run(0, "record-set", "a", "add-record", "-g", "rg", "-z", z, "-n", "web", "-a", "10.1.0.4")
	run(0, "record-set", "a", "add-record", "-g", "rg", "-z", z, "-n", "web", "-a", "10.1.0.5")
	res = run(1, "record-set", "a", "remove-record", "-g", "rg", "-z", z, "-n", "web", "-a", "10.1.0.9")
	if res.Stderr != "ERROR: Record {'additional_properties': {}, 'ipv4_address': '10.1.0.9'} not found.\n" {
		t.Errorf("remove missing record stderr = %q", res.Stderr)
	}
	rest := run(0, "record-set", "a", "remove-record", "-g", "rg", "-z", z, "-n", "web", "-a", "10.1.0.4").Object(t)
	if r, _ := rest["aRecords"].([]any); len(r) != 1 || rest["ttl"] != 120.0 {
		t.Errorf("remove-record = %v", rest)
	}
	res = run(0, "record-set", "a", "remove-record", "-g", "rg", "-z", z, "-n", "web", "-a", "10.1.0.5")
	if res.Stdout != "" {
		t.Errorf("last remove printed %q", res.Stdout)
	}
	run(3, "record-set", "a", "show", "-g", "rg", "-z", z, "-n", "web")
	kept := run(0, "record-set", "cname", "remove-record", "-g", "rg", "-z", z, "-n", "alias", "-c", "whatever", "--keep-empty-record-set").Object(t)
	if _, ok := kept["cnameRecord"]; ok || kept["name"] != "alias" {
		t.Errorf("cname remove --keep-empty-record-set = %v", kept)
	}
	run(1, "record-set", "cname", "delete", "-g", "rg", "-z", z, "-n", "alias") // no --yes, no tty
	run(0, "record-set", "cname", "delete", "-g", "rg", "-z", z, "-n", "alias", "-y")
	run(3, "record-set", "cname", "show", "-g", "rg", "-z", z, "-n", "alias")

	// SOA
	soa := run(0, "record-set", "soa", "show", "-g", "rg", "-z", z).Object(t)
	rec := asObject(soa["soaRecord"])
	if soa["name"] != "@" || rec["host"] != "azureprivatedns.net" || rec["refreshTime"] != 3600.0 {
		t.Errorf("soa show = %v", soa)
	}
	soa = run(0, "record-set", "soa", "update", "-g", "rg", "-z", z, "-e", "hostmaster.contoso.com", "-f", "1800", "-m", "60").Object(t)
	rec = asObject(soa["soaRecord"])
	if rec["email"] != "hostmaster.contoso.com" || rec["refreshTime"] != 1800.0 || rec["minimumTtl"] != 60.0 || rec["retryTime"] != 300.0 {
		t.Errorf("soa update = %v", soa)
	}

	// deletes: links first, then the zone (no output)
	res = run(0, "link", "vnet", "delete", "-g", "rg", "-z", z, "-n", "reg", "--yes")
	if res.Stdout != "" {
		t.Errorf("link delete printed %q", res.Stdout)
	}
	run(0, "zone", "delete", "-g", "rg", "-n", z, "-y")
	run(3, "zone", "show", "-g", "rg", "-n", z)
	// deleting what is gone succeeds, as in Azure
	run(0, "zone", "delete", "-g", "rg", "-n", z, "-y")
	if l := run(0, "zone", "list", "-g", "rg").List(t); len(l) != 0 {
		t.Errorf("zone list = %v", l)
	}
}
