package compute

import (
	"context"
	"errors"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/privatedns"
)

// Private DNS auto-registration. Azure registers a machine's host name
// (an A record to its private IP) in the zone its virtual network links
// with registration enabled, for the primary network interface only
// (https://learn.microsoft.com/azure/dns/private-dns-autoregistration#restrictions),
// when the machine starts, and removes it when the machine is deleted or
// stopped and deallocated; a machine stopped but still allocated keeps
// its records ("When you start a virtual machine within a linked virtual
// network with autoregistration enabled, DNS records are automatically
// created for that virtual machine. When you stop a virtual machine and it
// is deallocated, the autoregistered DNS records are removed.",
// https://learn.microsoft.com/azure/dns/dns-faq-private).

// registration returns the zone, virtual network and IPv4 address the
// machine registers (zone "" when none).
func registration(ctx context.Context, t *arm.Txn, v *vmView) (zone, vnet, ip string, err error) {
	nicID := v.primaryNIC()
	if nicID == "" {
		return "", "", "", nil
	}
	rec, err := t.Get(ctx, nicID)
	if err != nil || rec == nil {
		return "", "", "", err
	}
	p, err := network.DecodeNetworkInterface(rec)
	if err != nil {
		return "", "", "", err
	}
	cfg := p.PrimaryIPConfiguration()
	if cfg == nil || cfg.Properties.Subnet == nil || cfg.Properties.PrivateIPAddress == "" ||
		!strings.EqualFold(cfg.Properties.PrivateIPAddressVersion, "IPv4") {
		return "", "", "", nil
	}
	sid, err := arm.ParseID(cfg.Properties.Subnet.ID)
	if err != nil {
		return "", "", "", nil
	}
	vid, ok := sid.Parent()
	if !ok {
		return "", "", "", nil
	}
	zone, err = privatedns.RegistrationZone(ctx, t, vid.String())
	if err != nil {
		return "", "", "", err
	}
	return zone, vid.String(), cfg.Properties.PrivateIPAddress, nil
}

// registerDNS registers a running machine's host name. A name held by a
// record set a user created wins, as in Azure (the machine is not
// registered).
func (pr *Provider) registerDNS(ctx context.Context, t *arm.Txn, v *vmView) error {
	zone, vnet, ip, err := registration(ctx, t, v)
	if err != nil || zone == "" {
		return err
	}
	err = privatedns.EnsureAutoRecord(ctx, t, zone, strings.ToLower(v.ComputerName()), ip, v.Rec.Resource.ID,
		privatedns.WithVirtualNetwork(vnet))
	if errors.Is(err, privatedns.ErrNameInUse) {
		pr.Log.Info("private DNS auto-registration skipped: name held by a user record set",
			"vm", v.Rec.Resource.ID, "zone", zone, "name", v.ComputerName())
		return nil
	}
	return err
}

// unregisterDNS withdraws the machine's registration (nothing when v is
// nil or it has none).
func (pr *Provider) unregisterDNS(ctx context.Context, t *arm.Txn, v *vmView) error {
	if v == nil {
		return nil
	}
	zone, _, _, err := registration(ctx, t, v)
	if err != nil || zone == "" {
		return err
	}
	return privatedns.RemoveAutoRecord(ctx, t, zone, strings.ToLower(v.ComputerName()), v.Rec.Resource.ID)
}
