// Package resource holds the az command groups of azure-cli's "resource"
// module that privlink needs: group, feature and provider.
package resource
