package compute

import "strings"

// imageInfo is what privlink knows of a marketplace image: its OS and the
// osName/osVersion the guest agent reports in the instance view.
type imageInfo struct {
	osType    string
	osName    string
	osVersion string
}

// images are common marketplace images by "publisher:offer", with the SKU
// prefixes they cover (matched case-insensitively).
var images = []struct {
	publisher, offer string
	skuPrefix        string
	info             imageInfo
}{
	{"Canonical", "ubuntu-24_04-lts", "", imageInfo{osLinux, "ubuntu", "24.04"}},
	{"Canonical", "0001-com-ubuntu-server-jammy", "22_04", imageInfo{osLinux, "ubuntu", "22.04"}},
	{"Canonical", "0001-com-ubuntu-server-focal", "20_04", imageInfo{osLinux, "ubuntu", "20.04"}},
	{"Canonical", "UbuntuServer", "18.04", imageInfo{osLinux, "ubuntu", "18.04"}},
	{"Debian", "debian-12", "12", imageInfo{osLinux, "debian", "12"}},
	{"Debian", "debian-11", "11", imageInfo{osLinux, "debian", "11"}},
	{"RedHat", "RHEL", "9", imageInfo{osLinux, "redhat", "9"}},
	{"RedHat", "RHEL", "8", imageInfo{osLinux, "redhat", "8"}},
	{"MicrosoftCBLMariner", "cbl-mariner", "", imageInfo{osLinux, "mariner", "2.0"}},
	{"MicrosoftWindowsServer", "WindowsServer", "2022", imageInfo{osWindows, "Windows Server 2022 Datacenter", "Microsoft Windows NT 10.0.20348.0"}},
	{"MicrosoftWindowsServer", "WindowsServer", "2019", imageInfo{osWindows, "Windows Server 2019 Datacenter", "Microsoft Windows NT 10.0.17763.0"}},
	{"MicrosoftWindowsServer", "WindowsServer", "2025", imageInfo{osWindows, "Windows Server 2025 Datacenter", "Microsoft Windows NT 10.0.26100.0"}},
}

// lookupImage finds a known marketplace image.
func lookupImage(img *imageReference) (imageInfo, bool) {
	if img == nil {
		return imageInfo{}, false
	}
	for _, im := range images {
		if strings.EqualFold(im.publisher, img.Publisher) && strings.EqualFold(im.offer, img.Offer) &&
			strings.HasPrefix(strings.ToLower(img.SKU), strings.ToLower(im.skuPrefix)) {
			return im.info, true
		}
	}
	return imageInfo{}, false
}
