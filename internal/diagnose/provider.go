package diagnose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
)

// Namespace is the provider namespace (shared with internal/providers/network).
const Namespace = "Microsoft.Network"

// WatcherType is the ARM type of network watchers.
const WatcherType = Namespace + "/networkWatchers"

// Action names (POST {resource id}/{action}).
const (
	ActionConnectivityCheck              = "connectivityCheck"
	ActionNextHop                        = "nextHop"
	ActionIPFlowVerify                   = "ipFlowVerify"
	ActionEffectiveRouteTable            = "effectiveRouteTable"
	ActionEffectiveNetworkSecurityGroups = "effectiveNetworkSecurityGroups"
)

// resultsSegment is the path segment of action results (see doc.go).
const resultsSegment = "networkWatcherOperationResults"

// Provider implements arm.Provider for networkWatchers and serves the
// results of the actions (also those NICActions adds to network
// interfaces).
type Provider struct {
	// Source hands out the fabric snapshot the analyses run on.
	Source fabric.Source
	// Sync, when set, waits until Source reflects every store write made
	// so far (called before each analysis).
	Sync func(ctx context.Context) error
	// Resolve resolves name as host hostID would (its VNet's DNS view) and
	// returns the addresses and the resolution steps.
	Resolve func(ctx context.Context, s *fabric.Snapshot, hostID, name string) ([]netip.Addr, []string, error)
	// Probe makes a real TCP connection from the vantage host to dest
	// ("addr:port") through the fabric proxy and returns the time it took.
	Probe func(ctx context.Context, vantageHostID, dest string) (time.Duration, error)
	// Health is the load balancer prober's view of backend health
	// (nil: every backend counts as healthy).
	Health func(memberKey, probeID string) bool
	// Log is the provider's logger (nil: discard).
	Log *slog.Logger
}

var _ arm.Provider = (*Provider)(nil)

// Namespace implements arm.Provider.
func (p *Provider) Namespace() string { return Namespace }

// Register implements arm.Provider: the networkWatchers type and the route
// serving action results.
func (p *Provider) Register(pl *arm.Platform) error {
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	pl.Registry.Register(p.watcherSpec())
	if pl.Server != nil {
		pl.Server.Handle(http.MethodGet,
			"/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/"+resultsSegment+"/{op}", p.handleResult)
	}
	return nil
}

// NICActions returns the actions to add to the networkInterfaces type
// (TypeSpec.Actions): effectiveRouteTable and effectiveNetworkSecurityGroups.
// Their results are served by the route p.Register adds.
func NICActions(p *Provider) map[string]arm.ActionFunc {
	return map[string]arm.ActionFunc{
		ActionEffectiveRouteTable:            p.action(ActionEffectiveRouteTable),
		ActionEffectiveNetworkSecurityGroups: p.action(ActionEffectiveNetworkSecurityGroups),
	}
}

// watcherActions are the actions of networkWatchers.
func (p *Provider) watcherActions() map[string]arm.ActionFunc {
	return map[string]arm.ActionFunc{
		ActionConnectivityCheck: p.action(ActionConnectivityCheck),
		ActionNextHop:           p.action(ActionNextHop),
		ActionIPFlowVerify:      p.action(ActionIPFlowVerify),
	}
}

// errNoSource is returned when the composition root gave no fabric source.
var errNoSource = errors.New("diagnose: no fabric snapshot source configured")

// snapshot syncs and returns the current snapshot.
func (p *Provider) snapshot(ctx context.Context) (*fabric.Snapshot, error) {
	if p.Source == nil {
		return nil, errNoSource
	}
	if p.Sync != nil {
		if err := p.Sync(ctx); err != nil {
			return nil, fmt.Errorf("diagnose: sync fabric snapshot: %w", err)
		}
	}
	s := p.Source.Current()
	if s == nil {
		return nil, errNoSource
	}
	return s, nil
}
