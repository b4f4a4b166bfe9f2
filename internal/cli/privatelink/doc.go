// Package privatelink is the az 2.45 command groups for Azure Private
// Link: "network private-link-service" (with "connection"),
// "network private-endpoint" (with "dns-zone-group") and
// "network private-endpoint-connection" (for --type
// Microsoft.Network/privateLinkServices). Register Groups() in
// internal/cli/cli.go.
package privatelink
