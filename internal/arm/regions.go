package arm

import (
	"sort"
	"strings"
)

// Region is an Azure region: its programmatic name and display name.
type Region struct{ Name, Display string }

// Regions are the Azure regions privlink accepts as resource locations
// (public cloud, plus the sovereign-cloud regions that appear in Azure's
// documentation, e.g. private cluster DNS zones for chinaeast2): one
// emulator serves every cloud. Sorted by name.
var Regions = sortedRegions([]Region{
	{"australiacentral", "Australia Central"}, {"australiacentral2", "Australia Central 2"},
	{"australiaeast", "Australia East"}, {"australiasoutheast", "Australia Southeast"},
	{"austriaeast", "Austria East"}, {"belgiumcentral", "Belgium Central"},
	{"brazilsouth", "Brazil South"}, {"brazilsoutheast", "Brazil Southeast"},
	{"canadacentral", "Canada Central"}, {"canadaeast", "Canada East"},
	{"centralindia", "Central India"}, {"centralus", "Central US"}, {"centraluseuap", "Central US EUAP"},
	{"chilecentral", "Chile Central"}, {"chinaeast", "China East"}, {"chinaeast2", "China East 2"},
	{"chinaeast3", "China East 3"}, {"chinanorth", "China North"}, {"chinanorth2", "China North 2"},
	{"chinanorth3", "China North 3"}, {"eastasia", "East Asia"}, {"eastus", "East US"},
	{"eastus2", "East US 2"}, {"eastus2euap", "East US 2 EUAP"}, {"francecentral", "France Central"},
	{"francesouth", "France South"}, {"germanynorth", "Germany North"},
	{"germanywestcentral", "Germany West Central"}, {"indonesiacentral", "Indonesia Central"},
	{"israelcentral", "Israel Central"}, {"italynorth", "Italy North"}, {"japaneast", "Japan East"},
	{"japanwest", "Japan West"}, {"jioindiacentral", "Jio India Central"}, {"jioindiawest", "Jio India West"},
	{"koreacentral", "Korea Central"}, {"koreasouth", "Korea South"}, {"malaysiawest", "Malaysia West"},
	{"mexicocentral", "Mexico Central"}, {"newzealandnorth", "New Zealand North"},
	{"northcentralus", "North Central US"}, {"northeurope", "North Europe"}, {"norwayeast", "Norway East"},
	{"norwaywest", "Norway West"}, {"polandcentral", "Poland Central"}, {"qatarcentral", "Qatar Central"},
	{"southafricanorth", "South Africa North"}, {"southafricawest", "South Africa West"},
	{"southcentralus", "South Central US"}, {"southeastasia", "Southeast Asia"},
	{"southindia", "South India"}, {"spaincentral", "Spain Central"}, {"swedencentral", "Sweden Central"},
	{"swedensouth", "Sweden South"}, {"switzerlandnorth", "Switzerland North"},
	{"switzerlandwest", "Switzerland West"}, {"uaecentral", "UAE Central"}, {"uaenorth", "UAE North"},
	{"uksouth", "UK South"}, {"ukwest", "UK West"}, {"usgovarizona", "USGov Arizona"},
	{"usgovtexas", "USGov Texas"}, {"usgovvirginia", "USGov Virginia"}, {"westcentralus", "West Central US"},
	{"westeurope", "West Europe"}, {"westindia", "West India"}, {"westus", "West US"},
	{"westus2", "West US 2"}, {"westus3", "West US 3"},
})

func sortedRegions(rs []Region) []Region {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	return rs
}

// IsRegion reports whether loc (a name or display name, any case) is a
// region in Regions.
func IsRegion(loc string) bool {
	n := NormalizeLocation(loc)
	i := sort.Search(len(Regions), func(i int) bool { return Regions[i].Name >= n })
	return i < len(Regions) && Regions[i].Name == n
}

// RegionNames is the comma-separated list of region names ARM quotes in
// location errors.
func RegionNames() string {
	names := make([]string, len(Regions))
	for i, r := range Regions {
		names[i] = r.Name
	}
	return strings.Join(names, ",")
}
