package dns

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/fabric"
)

// world is a hub and a spoke VNet, a private AKS zone and a blob
// privatelink zone linked to the hub only, and the public CNAME chains of
// two storage accounts (x has a private endpoint record, y does not).
type world struct {
	t                        *topo
	hub, spoke               *fabric.VNet
	hubVM, hubVM2, spokeVM   *fabric.Host
	aksZone, blobZone        *fabric.Zone
	hubAKSLink, hubBlobLink  *fabric.ZoneLink
	snap                     *fabric.Snapshot
	internetID, hubID, spkID string
}

func newWorld() *world {
	w := &world{t: newTopo()}
	t := w.t
	w.hub = t.vnet("hub-vnet", "10.0.0.0/16")
	w.spoke = t.vnet("spoke-vnet", "10.1.0.0/16")
	w.hubVM = t.vm("hubvm", w.hub, "10.0.0.4")
	w.hubVM2 = t.vm("hubvm2", w.hub, "10.0.0.5", "fd00::5")
	w.hubVM2.ComputerName = "Hub-Two"
	w.spokeVM = t.vm("spokevm", w.spoke, "10.1.0.4")
	w.aksZone = t.zone("privatelink.eastus.azmk8s.io")
	w.hubAKSLink = t.link(w.aksZone, w.hub, "hub-link", "Default")
	t.rec(w.aksZone, "myaks", "A", 10, "10.0.1.4")
	w.blobZone = t.zone("privatelink.blob.core.windows.net")
	w.hubBlobLink = t.link(w.blobZone, w.hub, "hub-blob-link", "Default")
	t.rec(w.blobZone, "x", "A", 10, "10.0.2.5")
	t.pub("x.blob.core.windows.net", "CNAME", 60, "x.privatelink.blob.core.windows.net.")
	t.pub("x.privatelink.blob.core.windows.net", "CNAME", 60, "blob.bl1prdstr01a.store.core.windows.net.")
	t.pub("y.blob.core.windows.net", "CNAME", 60, "y.privatelink.blob.core.windows.net.")
	t.pub("y.privatelink.blob.core.windows.net", "CNAME", 60, "blob.bl1prdstr01a.store.core.windows.net.")
	t.pub("blob.bl1prdstr01a.store.core.windows.net", "A", 60, "52.239.1.1")
	w.snap = t.snap()
	w.internetID, w.hubID, w.spkID = fabric.InternetHostID, w.hubVM.ID, w.spokeVM.ID
	return w
}

func check(t *testing.T, a Answer, rcode int, answer ...string) {
	t.Helper()
	if a.Rcode != rcode || !slices.Equal(rrs(a.Answer), answer) {
		dumpAnswer(t, a)
		t.Fatalf("got %s %q, want %s %q", a.RcodeText(), rrs(a.Answer), mdns.RcodeToString[rcode], answer)
	}
}

func TestLinkedVersusUnlinkedZone(t *testing.T) {
	w := newWorld()
	a := Resolve(w.snap, w.hubID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 10 A 10.0.1.4")
	if !hasStep(a, "myaks.privatelink.eastus.azmk8s.io: answered by private zone privatelink.eastus.azmk8s.io linked to vnet hub-vnet (link hub-link)") {
		t.Errorf("steps %q", a.Steps)
	}
	if len(a.Blocks) != 0 || a.Name != "myaks.privatelink.eastus.azmk8s.io." {
		t.Errorf("blocks %v name %q", a.Blocks, a.Name)
	}
	if got := a.Addrs(); len(got) != 1 || got[0] != netip.MustParseAddr("10.0.1.4") {
		t.Errorf("Addrs = %v", got)
	}

	// The spoke has no link: public DNS, which has no such name.
	a = Resolve(w.snap, w.spkID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	if !hasStep(a, "myaks.privatelink.eastus.azmk8s.io: zone privatelink.eastus.azmk8s.io is not linked to vnet spoke-vnet; public DNS answers") {
		t.Errorf("steps %q", a.Steps)
	}
	if !hasBlock(a, "private DNS zone privatelink.eastus.azmk8s.io is not linked to vnet spoke-vnet") ||
		!hasBlock(a, "public DNS has no such name") {
		t.Errorf("blocks %v", a.Blocks)
	}
	for _, b := range a.Blocks {
		if b.Kind != "DNS" {
			t.Errorf("block kind %q", b.Kind)
		}
	}
	if len(a.Authority) != 0 {
		t.Errorf("public NXDOMAIN carries authority %q", rrs(a.Authority))
	}

	// Linking the spoke makes it resolve there too.
	w.t.link(w.aksZone, w.spoke, "spoke-link", "Default")
	a = Resolve(w.t.snap(), w.spkID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 10 A 10.0.1.4")
	if !hasStep(a, "linked to vnet spoke-vnet (link spoke-link)") {
		t.Errorf("steps %q", a.Steps)
	}
}

func TestLongestMatchingZone(t *testing.T) {
	w := newWorld()
	broad := w.t.zone("core.windows.net")
	w.t.link(broad, w.hub, "hub-core", "Default")
	w.t.rec(broad, "x.privatelink.blob", "A", 30, "10.9.9.9")
	w.t.rec(broad, "other", "A", 30, "10.9.9.10")
	s := w.t.snap()
	a := Resolve(s, w.hubID, "x.privatelink.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "x.privatelink.blob.core.windows.net. 10 A 10.0.2.5")
	if !hasStep(a, "private zone privatelink.blob.core.windows.net linked") {
		t.Errorf("steps %q", a.Steps)
	}
	a = Resolve(s, w.hubID, "other.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "other.core.windows.net. 30 A 10.9.9.10")
	// The longest linked zone answers even with NXDOMAIN: the broader
	// zone is not consulted.
	a = Resolve(s, w.hubID, "nothere.privatelink.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	// A zone whose name is only a string suffix does not match.
	a = Resolve(s, w.hubID, "xcore.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	if hasStep(a, "private zone core.windows.net") {
		t.Errorf("steps %q", a.Steps)
	}
}

func TestCNAMEChainPublicToPrivate(t *testing.T) {
	w := newWorld()
	// Inside the linked VNet: the public CNAME leads into the private zone.
	a := Resolve(w.snap, w.hubID, "X.Blob.Core.Windows.Net.", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess,
		"x.blob.core.windows.net. 60 CNAME x.privatelink.blob.core.windows.net.",
		"x.privatelink.blob.core.windows.net. 10 A 10.0.2.5")
	if !hasStep(a, "x.blob.core.windows.net: public DNS answers -> CNAME x.privatelink.blob.core.windows.net.") ||
		!hasStep(a, "x.privatelink.blob.core.windows.net: answered by private zone privatelink.blob.core.windows.net linked to vnet hub-vnet (link hub-blob-link) -> A 10.0.2.5") {
		t.Errorf("steps %q", a.Steps)
	}
	// Outside (unlinked spoke, internet): the public chain ends in the
	// public address.
	public := []string{
		"x.blob.core.windows.net. 60 CNAME x.privatelink.blob.core.windows.net.",
		"x.privatelink.blob.core.windows.net. 60 CNAME blob.bl1prdstr01a.store.core.windows.net.",
		"blob.bl1prdstr01a.store.core.windows.net. 60 A 52.239.1.1",
	}
	a = Resolve(w.snap, w.spkID, "x.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, public...)
	if !hasStep(a, "x.privatelink.blob.core.windows.net: zone privatelink.blob.core.windows.net is not linked to vnet spoke-vnet; public DNS answers") {
		t.Errorf("steps %q", a.Steps)
	}
	if len(a.Blocks) != 0 {
		t.Errorf("a resolved name has blocks %v", a.Blocks)
	}
	a = Resolve(w.snap, w.internetID, "x.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, public...)
	// Asking for the CNAME itself does not chase it.
	a = Resolve(w.snap, w.hubID, "x.blob.core.windows.net", mdns.TypeCNAME)
	check(t, a, mdns.RcodeSuccess, "x.blob.core.windows.net. 60 CNAME x.privatelink.blob.core.windows.net.")
}

func TestNXDOMAINInLinkedZoneAndNxDomainRedirect(t *testing.T) {
	w := newWorld()
	a := Resolve(w.snap, w.hubID, "y.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeNameError, "y.blob.core.windows.net. 60 CNAME y.privatelink.blob.core.windows.net.")
	if got := rrs(a.Authority); !slices.Equal(got, []string{
		"privatelink.blob.core.windows.net. 3600 SOA azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10"}) {
		t.Errorf("authority %q", got)
	}
	if len(a.Blocks) != 1 || a.Blocks[0].Kind != "DNS" || a.Blocks[0].ResourceID != w.blobZone.ID ||
		!strings.Contains(a.Blocks[0].Reason, "private zone privatelink.blob.core.windows.net linked to vnet hub-vnet (link hub-blob-link) has no record y") {
		t.Errorf("blocks %+v", a.Blocks)
	}
	// The same from the spoke resolves publicly.
	a = Resolve(w.snap, w.spkID, "y.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess,
		"y.blob.core.windows.net. 60 CNAME y.privatelink.blob.core.windows.net.",
		"y.privatelink.blob.core.windows.net. 60 CNAME blob.bl1prdstr01a.store.core.windows.net.",
		"blob.bl1prdstr01a.store.core.windows.net. 60 A 52.239.1.1")

	w.hubBlobLink.ResolutionPolicy = "NxDomainRedirect"
	a = Resolve(w.snap, w.hubID, "y.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess,
		"y.blob.core.windows.net. 60 CNAME y.privatelink.blob.core.windows.net.",
		"y.privatelink.blob.core.windows.net. 60 CNAME blob.bl1prdstr01a.store.core.windows.net.",
		"blob.bl1prdstr01a.store.core.windows.net. 60 A 52.239.1.1")
	if !hasStep(a, "resolutionPolicy NxDomainRedirect sends the query to public DNS") {
		t.Errorf("steps %q", a.Steps)
	}
	// NxDomainRedirect does not hide the zone's records.
	a = Resolve(w.snap, w.hubID, "x.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess,
		"x.blob.core.windows.net. 60 CNAME x.privatelink.blob.core.windows.net.",
		"x.privatelink.blob.core.windows.net. 10 A 10.0.2.5")
	// Redirected and missing in public DNS too: NXDOMAIN, no SOA.
	a = Resolve(w.snap, w.hubID, "z.privatelink.blob.core.windows.net", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	if len(a.Authority) != 0 {
		t.Errorf("authority %q", rrs(a.Authority))
	}
}

func TestNODATA(t *testing.T) {
	w := newWorld()
	w.t.rec(w.aksZone, "sub.deep", "A", 10, "10.0.1.9")
	a := Resolve(w.snap, w.hubID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeAAAA)
	check(t, a, mdns.RcodeSuccess)
	if len(a.Authority) != 1 || a.Authority[0].Header().Rrtype != mdns.TypeSOA {
		t.Errorf("authority %q", rrs(a.Authority))
	}
	if !hasBlock(a, "has no AAAA record at myaks (NODATA)") {
		t.Errorf("blocks %v", a.Blocks)
	}
	// An empty non-terminal exists.
	a = Resolve(w.snap, w.hubID, "deep.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess)
	// Public NODATA.
	a = Resolve(w.snap, w.internetID, "blob.bl1prdstr01a.store.core.windows.net", mdns.TypeTXT)
	check(t, a, mdns.RcodeSuccess)
	if !hasBlock(a, "public DNS has no TXT record") {
		t.Errorf("blocks %v", a.Blocks)
	}
	// Unknown type at an existing name: NODATA too.
	a = Resolve(w.snap, w.hubID, "myaks.privatelink.eastus.azmk8s.io", 65400)
	check(t, a, mdns.RcodeSuccess)
	if !hasBlock(a, "no TYPE65400 record") {
		t.Errorf("blocks %v", a.Blocks)
	}
	// Unknown type at a CNAME follows it.
	a = Resolve(w.snap, w.spkID, "x.blob.core.windows.net", 65400)
	if a.Rcode != mdns.RcodeSuccess || len(a.Answer) != 2 {
		dumpAnswer(t, a)
		t.Fatal("unknown type at a CNAME")
	}
}

func TestInternalNames(t *testing.T) {
	w := newWorld()
	fq := "hubvm." + w.hub.InternalDomainSuffix
	a := Resolve(w.snap, w.hubVM2.ID, fq, mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, fq+". 10 A 10.0.0.4")
	if !hasStep(a, "Azure-provided name of host hubvm in vnet hub-vnet -> A 10.0.0.4") {
		t.Errorf("steps %q", a.Steps)
	}
	a = Resolve(w.snap, w.hubVM2.ID, "HUBVM", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "hubvm. 10 A 10.0.0.4")
	// The computer name, not the resource name, and the IPv6 address of
	// the same NIC.
	a = Resolve(w.snap, w.hubID, "hub-two", mdns.TypeAAAA)
	check(t, a, mdns.RcodeSuccess, "hub-two. 10 AAAA fd00::5")
	a = Resolve(w.snap, w.hubID, "hub-two", mdns.TypeANY)
	check(t, a, mdns.RcodeSuccess, "hub-two. 10 A 10.0.0.5", "hub-two. 10 AAAA fd00::5")
	// IPv4-only host: NODATA for AAAA.
	a = Resolve(w.snap, w.hubVM2.ID, "hubvm", mdns.TypeAAAA)
	check(t, a, mdns.RcodeSuccess)
	if len(a.Blocks) != 1 {
		t.Errorf("blocks %v", a.Blocks)
	}
	// Unknown host under the suffix: NXDOMAIN.
	a = Resolve(w.snap, w.hubID, "nosuchvm."+w.hub.InternalDomainSuffix, mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	// From another VNet: not resolvable, with the reason.
	a = Resolve(w.snap, w.spkID, "hubvm", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	if !hasBlock(a, "host hubvm is in vnet hub-vnet: Azure-provided names resolve only inside their own virtual network, not from vnet spoke-vnet") {
		t.Errorf("blocks %v", a.Blocks)
	}
	a = Resolve(w.snap, w.spkID, fq, mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	if !hasBlock(a, "is an Azure-provided name of vnet hub-vnet") {
		t.Errorf("blocks %v", a.Blocks)
	}
	// The internet does not see internal names.
	a = Resolve(w.snap, w.internetID, fq, mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
}

func TestInternetVantage(t *testing.T) {
	w := newWorld()
	// Even a public record that a private zone overrides: the internet
	// sees the public one only.
	w.t.pub("myaks.privatelink.eastus.azmk8s.io", "A", 300, "52.160.0.9")
	s := w.t.snap()
	a := Resolve(s, fabric.InternetHostID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 300 A 52.160.0.9")
	if !hasStep(a, "queried from the internet: public DNS only") {
		t.Errorf("steps %q", a.Steps)
	}
	a = Resolve(s, w.hubID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 10 A 10.0.1.4")
	// The internet vantage resolves even when the snapshot lacks its host.
	delete(s.Hosts, fabric.InternetHostID)
	a = Resolve(s, fabric.InternetHostID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 300 A 52.160.0.9")
}

func TestWildcards(t *testing.T) {
	w := newWorld()
	w.t.pub("*.z01.azurefd.net", "A", 60, "13.107.246.1")
	w.t.pub("www.z01.azurefd.net", "CNAME", 60, "x.blob.core.windows.net.")
	w.t.rec(w.aksZone, "*.apps", "A", 20, "10.0.1.50")
	s := w.t.snap()
	a := Resolve(s, w.internetID, "ep-abc.z01.azurefd.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "ep-abc.z01.azurefd.net. 60 A 13.107.246.1")
	if !hasStep(a, "(wildcard *.z01.azurefd.net)") {
		t.Errorf("steps %q", a.Steps)
	}
	// RFC 4592: the wildcard covers several labels below the closest
	// encloser...
	a = Resolve(s, w.internetID, "a.b.z01.azurefd.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "a.b.z01.azurefd.net. 60 A 13.107.246.1")
	// ...but not names below an existing name.
	a = Resolve(s, w.internetID, "sub.www.z01.azurefd.net", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
	a = Resolve(s, w.internetID, "www.z01.azurefd.net", mdns.TypeA)
	if a.Rcode != mdns.RcodeSuccess || a.Answer[0].Header().Rrtype != mdns.TypeCNAME {
		dumpAnswer(t, a)
		t.Fatal("www")
	}
	// Not the encloser itself.
	a = Resolve(s, w.internetID, "z01.azurefd.net", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess) // empty non-terminal: NODATA
	// Wildcards in a private zone.
	a = Resolve(s, w.hubID, "web.apps.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "web.apps.privatelink.eastus.azmk8s.io. 20 A 10.0.1.50")
	a = Resolve(s, w.hubID, "web.other.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeNameError)
}

func TestCNAMELoopsAndDepth(t *testing.T) {
	w := newWorld()
	w.t.pub("loop1.example.com", "CNAME", 60, "loop2.example.com.")
	w.t.pub("loop2.example.com", "CNAME", 60, "LOOP1.example.com")
	for i := range 10 {
		w.t.pub("c"+string(rune('0'+i))+".example.com", "CNAME", 60, "c"+string(rune('1'+i))+".example.com.")
	}
	w.t.pub("c8.example.com", "A", 60, "192.0.2.8") // c0 -> ... -> c8: 8 CNAMEs
	w.t.pub("c9.example.com", "A", 60, "192.0.2.9")
	s := w.t.snap()
	// c8 has both a CNAME (to c9) and an A in this table: the A answers
	// for A queries, so c0's chain is exactly 8 CNAMEs long.
	a := Resolve(s, w.hubID, "c0.example.com", mdns.TypeA)
	if a.Rcode != mdns.RcodeSuccess || len(a.Answer) != 9 {
		dumpAnswer(t, a)
		t.Fatalf("a chain of %d CNAMEs must resolve", MaxCNAMEChain)
	}
	delete(s.PublicRecords, "c8.example.com")
	s.PublicRecords["c8.example.com"] = []fabric.Record{{Type: "CNAME", TTL: 60, Value: "c9.example.com."}}
	a = Resolve(s, w.hubID, "c0.example.com", mdns.TypeA)
	check(t, a, mdns.RcodeServerFailure, rrs(a.Answer)...)
	if !hasBlock(a, "CNAME chain longer than 8") {
		t.Errorf("blocks %v", a.Blocks)
	}
	a = Resolve(s, w.hubID, "loop1.example.com", mdns.TypeA)
	if a.Rcode != mdns.RcodeServerFailure || !hasBlock(a, "CNAME loop") {
		dumpAnswer(t, a)
		t.Fatal("loop")
	}
}

func TestNamesAndTypes(t *testing.T) {
	w := newWorld()
	z := w.aksZone
	w.t.rec(z, "txt", "TXT", 30, `"v=spf1 -all"`, `"hello world" "two"`)
	w.t.rec(z, "@", "MX", 30, "10 mail.privatelink.eastus.azmk8s.io.")
	w.t.rec(z, "_https._tcp", "SRV", 30, "10 5 443 myaks.privatelink.eastus.azmk8s.io.")
	w.t.rec(z, "4", "PTR", 30, "myaks.privatelink.eastus.azmk8s.io.")
	w.t.rec(z, "bad", "A", 30, "not-an-ip")
	s := w.t.snap()
	a := Resolve(s, w.hubID, "TXT.privatelink.eastus.azmk8s.io.", mdns.TypeTXT)
	check(t, a, mdns.RcodeSuccess,
		`txt.privatelink.eastus.azmk8s.io. 30 TXT "v=spf1 -all"`,
		`txt.privatelink.eastus.azmk8s.io. 30 TXT "hello world" "two"`)
	a = Resolve(s, w.hubID, "privatelink.eastus.azmk8s.io", mdns.TypeMX)
	check(t, a, mdns.RcodeSuccess, "privatelink.eastus.azmk8s.io. 30 MX 10 mail.privatelink.eastus.azmk8s.io.")
	a = Resolve(s, w.hubID, "_https._tcp.privatelink.eastus.azmk8s.io", mdns.TypeSRV)
	check(t, a, mdns.RcodeSuccess, "_https._tcp.privatelink.eastus.azmk8s.io. 30 SRV 10 5 443 myaks.privatelink.eastus.azmk8s.io.")
	a = Resolve(s, w.hubID, "4.privatelink.eastus.azmk8s.io", mdns.TypePTR)
	check(t, a, mdns.RcodeSuccess, "4.privatelink.eastus.azmk8s.io. 30 PTR myaks.privatelink.eastus.azmk8s.io.")
	a = Resolve(s, w.hubID, "privatelink.eastus.azmk8s.io", mdns.TypeSOA)
	check(t, a, mdns.RcodeSuccess, "privatelink.eastus.azmk8s.io. 3600 SOA azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10")
	a = Resolve(s, w.hubID, "privatelink.eastus.azmk8s.io", mdns.TypeANY)
	check(t, a, mdns.RcodeSuccess,
		"privatelink.eastus.azmk8s.io. 3600 SOA azureprivatedns.net. azureprivatedns-host.microsoft.com. 1 3600 300 2419200 10",
		"privatelink.eastus.azmk8s.io. 30 MX 10 mail.privatelink.eastus.azmk8s.io.")
	// ANY at a CNAME answers the CNAME without chasing it.
	a = Resolve(s, w.spkID, "x.blob.core.windows.net", mdns.TypeANY)
	check(t, a, mdns.RcodeSuccess, "x.blob.core.windows.net. 60 CNAME x.privatelink.blob.core.windows.net.")
	// A malformed stored record is skipped and explained.
	a = Resolve(s, w.hubID, "bad.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess)
	if !hasStep(a, `A record "not-an-ip" is malformed`) {
		t.Errorf("steps %q", a.Steps)
	}
	// Zone transfers are refused.
	a = Resolve(s, w.hubID, "privatelink.eastus.azmk8s.io", mdns.TypeAXFR)
	check(t, a, mdns.RcodeRefused)

	// Invalid names: FORMERR.
	long := strings.Repeat("a", 63)
	for _, n := range []string{
		strings.Repeat("a", 64) + ".example.com",
		strings.Join([]string{long, long, long, long}, ".") + ".com", // 259 characters
		"a..b.com",
		"",
	} {
		a = Resolve(s, w.hubID, n, mdns.TypeA)
		if a.Rcode != mdns.RcodeFormatError || len(a.Blocks) != 1 {
			dumpAnswer(t, a)
			t.Errorf("%q: want FORMERR", n)
		}
	}
	// 253 characters is fine (NXDOMAIN).
	ok := strings.Join([]string{long, long, long, strings.Repeat("b", 61)}, ".")
	if len(ok) != 253 {
		t.Fatalf("len %d", len(ok))
	}
	check(t, Resolve(s, w.hubID, ok, mdns.TypeA), mdns.RcodeNameError)
	// The root exists nowhere in the emulated public DNS.
	check(t, Resolve(s, w.hubID, ".", mdns.TypeA), mdns.RcodeNameError)
}

func TestVantageErrorsAndCustomDNS(t *testing.T) {
	w := newWorld()
	corp := w.t.vnet("corp-vnet", "10.2.0.0/16", "10.2.0.4", "168.63.129.16")
	corpVM := w.t.vm("corpvm", corp, "10.2.0.10")
	w.t.link(w.aksZone, corp, "corp-link", "Default")
	nonic := &fabric.Host{ID: "nonic", Name: "nonic", Kind: fabric.KindVM, Running: true}
	w.t.s.Hosts[nonic.ID] = nonic
	s := w.t.snap()

	a := Resolve(s, corpVM.ID, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	if a.Rcode != mdns.RcodeServerFailure || len(a.Answer) != 0 ||
		!slices.Equal(a.ForwardTo, []netip.Addr{netip.MustParseAddr("10.2.0.4"), fabric.AzurePlatformIP}) ||
		!hasStep(a, "vnet corp-vnet uses custom DNS servers 10.2.0.4, 168.63.129.16") {
		dumpAnswer(t, a)
		t.Fatalf("custom DNS: ForwardTo %v", a.ForwardTo)
	}
	// Direct to 168.63.129.16: the VNet's links answer.
	a = ResolveFrom(s, View{VNet: corp, Direct: true}, "myaks.privatelink.eastus.azmk8s.io", mdns.TypeA)
	check(t, a, mdns.RcodeSuccess, "myaks.privatelink.eastus.azmk8s.io. 10 A 10.0.1.4")

	a = Resolve(s, "/subscriptions/x/nosuchvm", "example.com", mdns.TypeA)
	if a.Rcode != mdns.RcodeServerFailure || !hasBlock(a, "was not found") {
		dumpAnswer(t, a)
		t.Fatal("missing host")
	}
	a = Resolve(s, "nonic", "example.com", mdns.TypeA)
	if a.Rcode != mdns.RcodeServerFailure || !hasBlock(a, "has no network interface in a virtual network") {
		dumpAnswer(t, a)
		t.Fatal("host without NIC")
	}
	a = ResolveFrom(s, View{}, "example.com", mdns.TypeA)
	if a.Rcode != mdns.RcodeServerFailure {
		t.Fatal("empty view")
	}
}

func BenchmarkResolve(b *testing.B) {
	w := newWorld()
	for i := range 200 {
		z := w.t.zone("zone" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example")
		w.t.link(z, w.hub, "l", "Default")
	}
	for i := range 2000 {
		w.t.pub("name"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))+".example.com", "A", 60, "192.0.2.1")
	}
	s := w.t.snap()
	b.Run("private-cname-chain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := Resolve(s, w.hubID, "x.blob.core.windows.net", mdns.TypeA)
			if len(a.Answer) != 2 {
				b.Fatal(a.Answer)
			}
		}
	})
	b.Run("public-a", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := Resolve(s, w.spkID, "blob.bl1prdstr01a.store.core.windows.net", mdns.TypeA)
			if len(a.Answer) != 1 {
				b.Fatal(a.Answer)
			}
		}
	})
	b.Run("public-nxdomain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a := Resolve(s, w.spkID, "nothere.example.org", mdns.TypeA)
			if a.Rcode != mdns.RcodeNameError {
				b.Fatal(a.Rcode)
			}
		}
	})
}
