// Package network is the Microsoft.Network provider for the foundation
// types: virtual networks, subnets, peerings, network security groups and
// rules, route tables and routes, network interfaces and public IP
// addresses, with Azure's validation and ARM shapes.
package network

import (
	"fmt"

	"github.com/privlink/privlink/internal/arm"
)

// Namespace is the provider namespace.
const Namespace = "Microsoft.Network"

// Provider implements arm.Provider.
type Provider struct {
	// NICActions are POST actions on network interfaces served by other
	// packages (Network Watcher's effectiveRouteTable and
	// effectiveNetworkSecurityGroups, from internal/diagnose).
	NICActions map[string]arm.ActionFunc
}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (pr Provider) Register(p *arm.Platform) error {
	for _, reg := range []func(*arm.Platform) error{
		registerVirtualNetworks,
		registerSecurityGroups,
		registerRouteTables,
		registerPublicIPAddresses,
		registerNetworkInterfaces,
	} {
		if err := reg(p); err != nil {
			return err
		}
	}
	if len(pr.NICActions) > 0 {
		spec, ok := p.Registry.Lookup(nicType)
		if !ok {
			return fmt.Errorf("network: %s is not registered", nicType)
		}
		if spec.Actions == nil {
			spec.Actions = map[string]arm.ActionFunc{}
		}
		for name, fn := range pr.NICActions {
			spec.Actions[name] = fn
		}
	}
	return nil
}
