package app

import (
	"context"
	"errors"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/privatedns"

	"github.com/privlink/privlink/internal/diagnose"
	"github.com/privlink/privlink/internal/fabric"
)

// ensureNetworkWatchers does what Azure does when a virtual network is
// created in a region: it enables Network Watcher there, creating
// NetworkWatcherRG/NetworkWatcher_<region> in the VNet's subscription if
// the region has none. It follows the fabric's snapshots, so it runs after
// the VNet's PUT has completed, outside the request.
func (d *Daemon) ensureNetworkWatchers(ctx context.Context) {
	done := map[string]bool{} // "subscription/region" already ensured
	d.followSnapshots(ctx, func(s *fabric.Snapshot) {
		for _, v := range s.VNets {
			sub := subscriptionOf(v.ID)
			key := sub + "/" + strings.ToLower(v.Location)
			if sub == "" || v.Location == "" || done[key] {
				continue
			}
			if err := diagnose.EnsureWatcher(ctx, d.Platform.Engine, sub, v.Location); err != nil {
				if ctx.Err() == nil {
					d.log.Warn("enable network watcher", "subscription", sub, "region", v.Location, "err", err)
				}
				continue
			}
			done[key] = true
		}
	})
}

// followSnapshots calls fn with the newest snapshot after every change,
// from this goroutine, until ctx ends. Changes that arrive while fn runs
// are folded into one later call.
func (d *Daemon) followSnapshots(ctx context.Context, fn func(*fabric.Snapshot)) {
	work := make(chan struct{}, 1)
	poke := func() {
		select {
		case work <- struct{}{}:
		default: // a pass is already pending; it reads the newest snapshot
		}
	}
	cancel := d.fabric.watcher.Subscribe(func(_, _ *fabric.Snapshot) { poke() })
	defer cancel()
	poke()
	for {
		select {
		case <-ctx.Done():
			return
		case <-work:
			if s := d.fabric.watcher.Current(); s != nil && ctx.Err() == nil {
				fn(s)
			}
		}
	}
}

// subscriptionOf returns the subscription ID of a resource ID.
func subscriptionOf(id string) string {
	parts := strings.Split(strings.TrimPrefix(id, "/"), "/")
	if len(parts) >= 2 && strings.EqualFold(parts[0], "subscriptions") {
		return parts[1]
	}
	return ""
}

// ensureAutoRegistration does what Azure does when a registration-enabled
// link is created to a VNet that already has VMs: it registers them. (The
// compute provider registers a VM when it is created or started into a
// VNet that already has such a link, and withdraws the record on
// deallocation or deletion.) It follows the fabric's snapshots.
func (d *Daemon) ensureAutoRegistration(ctx context.Context) {
	done := map[string]bool{} // zone|name|ip|vm already ensured
	d.followSnapshots(ctx, func(s *fabric.Snapshot) {
		for _, h := range s.Hosts {
			if h.Kind != fabric.KindVM || h.ComputerName == "" ||
				strings.HasSuffix(h.PowerState, "deallocated") || strings.HasSuffix(h.PowerState, "deallocating") {
				continue
			}
			ipc := h.PrimaryIPConfig()
			if ipc == nil || ipc.Subnet == nil || ipc.Subnet.VNet == nil || !ipc.PrivateIP.Is4() {
				continue
			}
			vnet := ipc.Subnet.VNet
			name := strings.ToLower(h.ComputerName)
			for _, l := range vnet.Links {
				if !l.Registration || l.Zone == nil || len(l.Zone.Records[name]) > 0 {
					continue
				}
				key := l.Zone.ID + "|" + name + "|" + ipc.PrivateIP.String() + "|" + h.ID
				if done[key] {
					continue
				}
				err := d.Platform.Engine.Run(ctx, func(t *arm.Txn) error {
					return privatedns.EnsureAutoRecord(ctx, t, l.Zone.ID, name, ipc.PrivateIP.String(), h.ResourceID,
						privatedns.WithVirtualNetwork(vnet.ID))
				})
				switch {
				case err == nil, errors.Is(err, privatedns.ErrNameInUse):
					done[key] = true
				case ctx.Err() != nil:
					return
				default:
					d.log.Warn("private DNS auto-registration", "vm", h.ResourceID, "zone", l.Zone.Name, "err", err)
				}
			}
		}
	})
}
