// Package managedidentity is the Microsoft.ManagedIdentity provider:
// user-assigned managed identities with their platform-assigned principal
// and client IDs, as the Azure SDK, Terraform azurerm and az drive them.
package managedidentity

import "github.com/privlink/privlink/internal/arm"

// Namespace is the provider namespace.
const Namespace = "Microsoft.ManagedIdentity"

// IdentityType is the ARM type of user-assigned identities.
const IdentityType = Namespace + "/userAssignedIdentities"

// APIVersions are the userAssignedIdentities api-versions accepted: the
// stable and preview versions from 2018-11-30 to 2024-11-30 (armmsi v1.3.0
// sends 2024-11-30, Terraform azurerm 2023-01-31, az 2.45 2023-01-31).
var APIVersions = []string{
	"2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31", "2023-07-31-preview", "2024-11-30",
}

// Provider implements arm.Provider.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return Namespace }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	p.Registry.Register(identitySpec(p))
	return nil
}
