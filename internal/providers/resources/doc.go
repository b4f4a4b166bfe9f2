// Package resources is the Microsoft.Resources provider: subscriptions,
// tenants, resource groups and the generic resource listings.
package resources
