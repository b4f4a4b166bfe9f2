package network_test

import (
	"testing"

	"github.com/privlink/privlink/internal/providers/network"
)

func TestLookupServiceTag(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"VirtualNetwork", "VirtualNetwork", true},
		{"virtualnetwork", "VirtualNetwork", true},
		{"INTERNET", "Internet", true},
		{"AzureLoadBalancer", "AzureLoadBalancer", true},
		{"AzureActiveDirectory", "AzureActiveDirectory", true},
		{"AzureResourceManager", "AzureResourceManager", true},
		{"AzureFrontDoor.FirstParty", "AzureFrontDoor.FirstParty", true},
		{"AzureFrontDoor.Backend", "AzureFrontDoor.Backend", true},
		{"AzureFrontDoor.Frontend", "AzureFrontDoor.Frontend", true},
		{"MicrosoftContainerRegistry", "MicrosoftContainerRegistry", true},
		{"MicrosoftContainerRegistry.westeurope", "MicrosoftContainerRegistry", true},
		{"Storage.EastUS", "Storage", true},
		{"Sql.WestEurope", "Sql", true},
		{"AzureCloud.eastus2", "AzureCloud", true},
		{"AzureMonitor", "AzureMonitor", true},
		{"GatewayManager", "GatewayManager", true},
		{"AzureArcInfrastructure", "AzureArcInfrastructure", true},
		// Global-only tags take no region; unknown tags and malformed names fail.
		{"AzureActiveDirectory.westus", "", false},
		{"AzureFrontDoor", "", false},
		{"AzureFrontDoor.Nope", "", false},
		{"Storage.", "", false},
		{"Storage.west-us", "", false},
		{".Storage", "", false},
		{"Any", "", false},
		{"*", "", false},
		{"", "", false},
		{"10.0.0.0/8", "", false},
	}
	for _, tc := range cases {
		got, ok := network.LookupServiceTag(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LookupServiceTag(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if network.IsServiceTag(tc.in) != tc.ok {
			t.Errorf("IsServiceTag(%q) = %v", tc.in, !tc.ok)
		}
	}
}
