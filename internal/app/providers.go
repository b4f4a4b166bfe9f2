package app

import (
	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/diagnose"
	"github.com/privlink/privlink/internal/providers/authorization"
	"github.com/privlink/privlink/internal/providers/bastion"
	"github.com/privlink/privlink/internal/providers/compute"
	"github.com/privlink/privlink/internal/providers/dnsresolver"
	"github.com/privlink/privlink/internal/providers/features"
	"github.com/privlink/privlink/internal/providers/gateway"
	"github.com/privlink/privlink/internal/providers/kubernetes"
	"github.com/privlink/privlink/internal/providers/loadbalancer"
	"github.com/privlink/privlink/internal/providers/managedidentity"
	"github.com/privlink/privlink/internal/providers/network"
	"github.com/privlink/privlink/internal/providers/onprem"
	"github.com/privlink/privlink/internal/providers/privatedns"
	"github.com/privlink/privlink/internal/providers/privatelink"
	"github.com/privlink/privlink/internal/providers/privlinkfabric"
	"github.com/privlink/privlink/internal/providers/resources"
)

// providers lists every resource provider privlink serves, in
// registration order, wired to the daemon's data plane: run commands run
// from the VM's vantage, Network Watcher analyses the fabric's snapshot,
// and Privlink.Fabric hands out vantage environments and DNS answers.
func (d *Daemon) providers() []arm.Provider {
	dp := d.fabric
	watcher := &diagnose.Provider{
		Source:  dp.watcher,
		Sync:    dp.sync,
		Resolve: dp.resolveWithSteps,
		Probe:   dp.probe,
		Health:  dp.prober.Health,
		Log:     d.log.With("component", "diagnose"),
	}
	d.compute = &compute.Provider{Env: dp.runEnv, Log: d.log.With("component", "compute")}
	return []arm.Provider{
		resources.Provider{},
		features.Provider{},
		authorization.Provider{},
		managedidentity.Provider{},
		network.Provider{NICActions: diagnose.NICActions(watcher)},
		gateway.Provider{},      // after network: gateways reserve addresses in GatewaySubnet
		bastion.Provider{},      // after network: it extends the subnet type
		loadbalancer.Provider{}, // after network: it extends the NIC type
		privatedns.Provider{},
		dnsresolver.Provider{}, // after network
		privatelink.Provider{}, // after network, privatedns and loadbalancer
		d.arcScopes(), kubernetes.Provider{},
		d.compute,
		watcher,
		privlinkfabric.Provider{Environment: dp.environment, DNSQuery: dp.dnsQuery},
		onprem.Provider{Env: dp.runEnv, Log: d.log.With("component", "onprem"), Clusters: d.onprem},
		d.aks, // after network, loadbalancer, privatelink, privatedns, compute
		d.frontDoor,
	}
}
