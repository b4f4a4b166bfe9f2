package vm

import (
	"regexp"
	"strings"
)

// imageAlias is one entry of az's image alias document.
type imageAlias struct {
	alias, publisher, offer, sku, version string
	windows                               bool
}

// imageAliases are the URN aliases az 2.45 resolves (its alias document,
// Linux first, in the document's order).
var imageAliases = []imageAlias{
	{"CentOS85Gen2", "OpenLogic", "CentOS", "8_5-gen2", "latest", false},
	{"Debian11", "Debian", "debian-11", "11-backports-gen2", "latest", false},
	{"FlatcarLinuxFreeGen2", "kinvolk", "flatcar-container-linux-free", "stable-gen2", "latest", false},
	{"OpenSuseLeap154Gen2", "SUSE", "openSUSE-leap-15-4", "gen2", "latest", false},
	{"RHELRaw8LVMGen2", "RedHat", "RHEL", "8-lvm-gen2", "latest", false},
	{"SuseSles15SP3", "SUSE", "sles-15-sp3", "gen2", "latest", false},
	{"Ubuntu2204", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "latest", false},
	{"CentOS", "OpenLogic", "CentOS", "7.5", "latest", false},
	{"Debian", "Debian", "debian-10", "10", "latest", false},
	{"Flatcar", "kinvolk", "flatcar-container-linux-free", "stable", "latest", false},
	{"openSUSE-Leap", "SUSE", "opensuse-leap-15-3", "gen2", "latest", false},
	{"RHEL", "RedHat", "RHEL", "7-LVM", "latest", false},
	{"SLES", "SUSE", "sles-15-sp3", "gen2", "latest", false},
	{"UbuntuLTS", "Canonical", "UbuntuServer", "18.04-LTS", "latest", false},
	{"Win2022Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2022-Datacenter", "latest", true},
	{"Win2022AzureEditionCore", "MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition-core", "latest", true},
	{"Win2019Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "latest", true},
	{"Win2016Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2016-Datacenter", "latest", true},
	{"Win2012R2Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2012-R2-Datacenter", "latest", true},
	{"Win2012Datacenter", "MicrosoftWindowsServer", "WindowsServer", "2012-Datacenter", "latest", true},
	{"Win2008R2SP1", "MicrosoftWindowsServer", "WindowsServer", "2008-R2-SP1", "latest", true},
}

var urnPattern = regexp.MustCompile(`^([^:]*):([^:]*):([^:]*):([^:]*)`)

// image is the resolved --image: a marketplace URN or a custom image ID.
type image struct {
	publisher, offer, sku, version string
	id                             string // custom image resource ID
	osType                         string // "linux" or "windows"
}

// parseURN resolves a URN or an alias (case-insensitive), as az's
// _parse_image_argument does before looking for a custom image.
func parseURN(s string) (image, bool) {
	if m := urnPattern.FindStringSubmatch(s); m != nil {
		return image{publisher: m[1], offer: m[2], sku: m[3], version: m[4], osType: osTypeOfOffer(m[2])}, true
	}
	for _, al := range imageAliases {
		if strings.EqualFold(al.alias, s) {
			return image{publisher: al.publisher, offer: al.offer, sku: al.sku, version: al.version, osType: osTypeOfOffer(al.offer)}, true
		}
	}
	return image{}, false
}

// osTypeOfOffer is az's guess: "windows" when the offer says so.
func osTypeOfOffer(offer string) string {
	if strings.Contains(strings.ToLower(offer), "windows") {
		return "windows"
	}
	return "linux"
}

// aliasNames lists the aliases as az prints them in its invalid-image error.
func aliasNames() string {
	names := make([]string, len(imageAliases))
	for i, al := range imageAliases {
		names[i] = "'" + al.alias + "'"
	}
	return "[" + strings.Join(names, ", ") + "]"
}
