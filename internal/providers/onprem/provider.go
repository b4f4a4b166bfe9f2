// Package onprem is the Privlink.OnPrem resource provider: emulated
// on-premises sites and their hosts. Azure does not model a customer's
// own network, so these are privlink's resources, shaped like ARM ones:
//
//   - Privlink.OnPrem/sites (resource-group scoped, location required):
//     addressPrefixes (required, IPv4 CIDRs that overlap neither each
//     other nor another site of the subscription), edgePublicIpAddress
//     (read-only: the site's edge, allocated from EdgePool, 198.51.100.0/24
//     (TEST-NET-2), never dialled), dnsServer {privateIpAddress,
//     forwarders: [{domain, targetIpAddresses}]} (the site's DNS server:
//     its address defaults to the fourth address of the first prefix,
//     e.g. 192.168.0.4), vpnDevices [{name, remoteGatewayIpAddress,
//     sharedKey, bgp}] (the site side of IPsec tunnels) and expressRoute
//     [{circuitServiceKey, provisioned}] (the connectivity provider's side
//     of ExpressRoute circuits).
//   - Privlink.OnPrem/sites/hosts: privateIpAddress (allocated from the
//     site's prefixes when omitted, from the fourth address of the first
//     prefix on, skipping the DNS server's; validated inside the prefixes
//     and unique in the site), computerName (default: the name) and
//     powerState (running or stopped), with the actions start, stop and
//     runCommand (Azure's RunCommandInput; RunShellScript only, run
//     synchronously on this machine with the host's vantage variables,
//     answered 200 with the RunCommandResult shape of virtual machines).
//   - Privlink.OnPrem/sites/kubernetesClusters: Kubernetes clusters on
//     site hosts whose API servers are real kube-apiservers (the AKS
//     clusters' kube.Manager), reachable only through the emulated network
//     at the first node's address on port 6443 (cluster.go).
//
// A tunnel is up only when an Azure connection's local network gateway
// names the site's edge address and the site has a device naming the
// gateway's public address with the same shared key; the fabric decides
// (internal/fabric/build_site.go) and internal/app/hybrid.go writes the
// connection status and the circuits' serviceProviderProvisioningState.
package onprem

import (
	"context"
	"log/slog"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace.
const Namespace = "Privlink.OnPrem"

// Types.
const (
	SiteType = Namespace + "/sites"
	HostType = Namespace + "/sites/hosts"
)

// APIVersion is the only api-version of the namespace.
const APIVersion = "2025-01-01"

// DefaultRunCommandTimeout caps a run command script, as Azure's action
// run commands (90 minutes).
const DefaultRunCommandTimeout = 90 * time.Minute

// EnvFunc returns the environment ("NAME=value") of a run command script
// of the host hostID: the vantage variables of the data plane.
type EnvFunc func(ctx context.Context, hostID string) ([]string, error)

// Provider implements arm.Provider.
type Provider struct {
	// Env supplies a run command's environment (nil: PATH, HOME, LANG only).
	Env EnvFunc
	// RunCommandTimeout caps a script (default DefaultRunCommandTimeout).
	RunCommandTimeout time.Duration
	// Log receives the provider's logs (nil: discarded).
	Log *slog.Logger
	// Clusters realises on-premises Kubernetes clusters (cluster.go); nil:
	// the type is registered but its clusters fail to provision.
	Clusters *Clusters
}

var _ arm.Provider = Provider{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr Provider) Register(p *arm.Platform) error {
	if pr.Log == nil {
		pr.Log = slog.New(slog.DiscardHandler)
	}
	if pr.RunCommandTimeout <= 0 {
		pr.RunCommandTimeout = DefaultRunCommandTimeout
	}
	cl := pr.Clusters
	if cl == nil {
		cl = &Clusters{Log: pr.Log}
	}
	if cl.Env == nil {
		cl.Env = pr.Env
	}
	cl.init(p)
	p.Registry.Register(siteSpec(), pr.hostSpec(), cl.spec())
	return nil
}
