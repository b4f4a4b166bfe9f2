// Package identity is the az "identity" command group: user-assigned
// managed identities (Microsoft.ManagedIdentity/userAssignedIdentities).
package identity
