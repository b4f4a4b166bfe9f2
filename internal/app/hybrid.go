package app

import (
	"context"
	"errors"

	"github.com/privlink/privlink/internal/fabric"
	"github.com/privlink/privlink/internal/providers/gateway"
)

// runHybrid is the controller of hybrid connectivity: on every new
// snapshot it writes each connection's connectionStatus as the fabric
// computes it (fabric.Connection.Status, the same computation the path
// evaluator uses: shared keys, the site's edge address and devices,
// circuits) when it differs from the stored one, and each ExpressRoute
// circuit's serviceProviderProvisioningState from the on-premises sites'
// expressRoute entries: Provisioned when a site's entry names the
// circuit's service key with provisioned true, NotProvisioned otherwise
// (privlink's sites are the only connectivity provider). Both go through
// the gateway provider's documented internal fields, in process.
func (d *Daemon) runHybrid(ctx context.Context) {
	d.followSnapshots(ctx, func(s *fabric.Snapshot) { d.syncHybrid(ctx, s) })
}

func (d *Daemon) syncHybrid(ctx context.Context, s *fabric.Snapshot) {
	log := d.log.With("component", "hybrid")
	for id, c := range s.Connections {
		if c.Status == "" || c.Status == c.StoredStatus {
			continue
		}
		if err := gateway.SetConnectionStatus(ctx, d.Platform.Engine, s.DisplayID(id), c.Status); err != nil && ctx.Err() == nil {
			log.Warn("set connection status", "connection", s.DisplayID(id), "status", c.Status, "err", err)
		}
	}
	for id, ci := range s.Circuits {
		want := fabric.CircuitNotProvisioned
		if ci.Site != nil && ci.Provisioned {
			want = fabric.CircuitProvisioned
		}
		if ci.ProviderState == want || (want == fabric.CircuitNotProvisioned && ci.ProviderState == "") {
			continue
		}
		err := gateway.SetServiceProviderState(ctx, d.Platform.Engine, s.DisplayID(id), want)
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			log.Warn("set circuit provider state", "circuit", s.DisplayID(id), "state", want, "err", err)
		}
	}
}
