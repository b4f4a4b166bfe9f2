// Package network is the Microsoft.Network provider for the foundation
// types: virtual networks, subnets, peerings, network security groups and
// rules, route tables and routes, network interfaces and public IP
// addresses, with Azure's validation and ARM shapes.
package network

import "github.com/privlink/privlink/internal/arm"

// Namespace is the provider namespace.
const Namespace = "Microsoft.Network"

// Provider implements arm.Provider.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
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
	return nil
}
