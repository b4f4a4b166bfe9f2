package app

import (
	"context"
	"strings"

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
			s := d.fabric.watcher.Current()
			if s == nil {
				continue
			}
			for _, v := range s.VNets {
				sub := subscriptionOf(v.ID)
				key := sub + "/" + strings.ToLower(v.Location)
				if sub == "" || v.Location == "" || done[key] {
					continue
				}
				if err := diagnose.EnsureWatcher(ctx, d.Platform.Engine, sub, v.Location); err != nil {
					if ctx.Err() != nil {
						return
					}
					d.log.Warn("enable network watcher", "subscription", sub, "region", v.Location, "err", err)
					continue
				}
				done[key] = true
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
