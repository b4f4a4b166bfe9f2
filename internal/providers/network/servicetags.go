package network

import "strings"

// Service tags privlink recognises in security rule address prefixes and
// route address prefixes. Azure publishes several hundred tags; this is the
// subset Kubernetes, AKS, Arc and Front Door scenarios use, plus the
// common PaaS ones. Regional tags also accept a ".<region>" suffix
// (e.g. "Storage.WestEurope", "AzureCloud.eastus").
//
// Source: https://learn.microsoft.com/azure/virtual-network/service-tags-overview
// ("Available service tags", column "Regional").
var serviceTags = []struct {
	Name     string
	Regional bool
}{
	// System tags (the default security rules use them).
	{"VirtualNetwork", false},
	{"AzureLoadBalancer", false},
	{"Internet", false},
	// Service tags.
	{"ActionGroup", false},
	{"ApiManagement", true},
	{"AppService", true},
	{"AppServiceManagement", false},
	{"AzureActiveDirectory", false},
	{"AzureArcInfrastructure", true},
	{"AzureBackup", true},
	{"AzureBotService", false},
	{"AzureCloud", true},
	{"AzureConnectors", true},
	{"AzureContainerRegistry", true},
	{"AzureCosmosDB", true},
	{"AzureDatabricks", false},
	{"AzureDataLake", false},
	{"AzureDevOps", false},
	{"AzureEventGrid", false},
	{"AzureFrontDoor.Backend", false},
	{"AzureFrontDoor.FirstParty", false},
	{"AzureFrontDoor.Frontend", false},
	{"AzureIoTHub", true},
	{"AzureKeyVault", true},
	{"AzureMachineLearning", true},
	{"AzureMonitor", true},
	{"AzurePlatformDNS", false},
	{"AzurePlatformIMDS", false},
	{"AzurePlatformLKM", false},
	{"AzureResourceManager", false},
	{"AzureSiteRecovery", true},
	{"AzureTrafficManager", false},
	{"AzureUpdateDelivery", false},
	{"BatchNodeManagement", true},
	{"DataFactory", true},
	{"EventHub", true},
	{"GatewayManager", false},
	{"GuestAndHybridManagement", false},
	{"HDInsight", true},
	{"LogicApps", false},
	{"MicrosoftCloudAppSecurity", false},
	{"MicrosoftContainerRegistry", true},
	{"PowerBI", false},
	{"PowerQueryOnline", false},
	{"ServiceBus", true},
	{"ServiceFabric", false},
	{"Sql", true},
	{"SqlManagement", false},
	{"Storage", true},
	{"StorageSyncService", false},
	{"WindowsAdminCenter", false},
	{"WindowsVirtualDesktop", false},
}

// serviceTagIndex maps lower-case tag names to their entry index.
var serviceTagIndex = func() map[string]int {
	m := make(map[string]int, len(serviceTags))
	for i, t := range serviceTags {
		m[strings.ToLower(t.Name)] = i
	}
	return m
}()

// systemServiceTags are the tags that route address prefixes may not use.
var systemServiceTags = map[string]bool{"virtualnetwork": true, "azureloadbalancer": true, "internet": true}

// LookupServiceTag reports whether s is a service tag, optionally with a
// region suffix for regional tags ("Storage.WestEurope"). Tags compare
// case-insensitively as in Azure; the result is the canonical base name.
func LookupServiceTag(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if i, ok := serviceTagIndex[strings.ToLower(s)]; ok {
		return serviceTags[i].Name, true
	}
	dot := strings.LastIndex(s, ".")
	if dot <= 0 || dot == len(s)-1 {
		return "", false
	}
	i, ok := serviceTagIndex[strings.ToLower(s[:dot])]
	if !ok || !serviceTags[i].Regional || !isRegionName(s[dot+1:]) {
		return "", false
	}
	return serviceTags[i].Name, true
}

// IsServiceTag reports whether s is a (possibly regional) service tag.
func IsServiceTag(s string) bool {
	_, ok := LookupServiceTag(s)
	return ok
}

// isRegionName accepts an Azure region's programmatic name ("westeurope",
// "EastUS2"): letters and digits only.
func isRegionName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
