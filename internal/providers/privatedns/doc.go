// Package privatedns is the Microsoft.Network provider for Azure Private
// DNS: private DNS zones (location "global"), their virtual network links
// and their record sets (A, AAAA, CNAME, MX, PTR, SOA, SRV, TXT), with
// Azure's validation, limits, error codes and ARM shapes. It also exports
// read helpers for the data plane (which zones a virtual network resolves,
// record lookup by name) and the auto-registration hooks used for
// registration-enabled links.
package privatedns
