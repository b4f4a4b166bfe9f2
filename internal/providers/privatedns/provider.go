package privatedns

import (
	"net/http"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace (shared with the network provider;
// types are registered one by one).
const Namespace = "Microsoft.Network"

// Resource types.
const (
	ZoneType = "Microsoft.Network/privateDnsZones"
	LinkType = "Microsoft.Network/privateDnsZones/virtualNetworkLinks"
	// VirtualNetworkType is the type links point at.
	VirtualNetworkType = "Microsoft.Network/virtualNetworks"
)

// LinkRefKind is the kind of the ref a virtual network link holds on its
// virtual network (non-blocking: deleting the network deletes its links).
const LinkRefKind = "privateDnsZoneLink"

// APIVersions are the Private DNS api-versions accepted: 2018-09-01 (the
// first stable one, older azurerm), 2020-01-01, 2020-06-01 (az 2.45) and
// 2024-06-01 (armprivatedns v1.3.0, Terraform azurerm).
var APIVersions = []string{"2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"}

func versions() []string { return append([]string(nil), APIVersions...) }

// Azure's Private DNS limits.
const (
	MaxRecordSetsPerZone        = 25000
	MaxRecordsPerRecordSet      = 20
	MaxLinksPerZone             = 1000
	MaxRegistrationLinksPerZone = 100
)

// Provider implements arm.Provider.
type Provider struct{}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	p.Registry.Register(zoneSpec(), linkSpec())
	for _, rt := range recordTypes {
		p.Registry.Register(recordSetSpec(rt))
	}
	l := &lister{e: p.Engine}
	base := "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/privateDnsZones/{zone}/"
	for _, rt := range recordTypes {
		p.Server.Handle(http.MethodGet, base+rt.Name, l.handler(rt.Name))
	}
	p.Server.Handle(http.MethodGet, base+"ALL", l.handler(""))
	p.Server.Handle(http.MethodGet, base+"recordsets", l.handler(""))
	return nil
}
