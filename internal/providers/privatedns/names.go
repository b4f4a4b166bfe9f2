package privatedns

import (
	"regexp"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// A DNS label as Azure Private DNS accepts it: 1-63 letters, digits,
// underscores and hyphens, not starting or ending with a hyphen.
var labelRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)

// Virtual network link names follow the Microsoft.Network naming rule.
var linkNameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)

const (
	maxZoneLabels = 34
	maxNameLength = 253
)

// reservedZones are the zone names Azure blocks from creation in the
// public cloud ("Restrictions" in "What is an Azure Private DNS zone?").
var reservedZones = map[string]bool{
	"azclient.ms":        true,
	"azure.com":          true,
	"cloudapp.net":       true,
	"core.windows.net":   true,
	"microsoft.com":      true,
	"msidentity.com":     true,
	"trafficmanager.net": true,
	"windows.net":        true,
}

func invalidDomainName(name string) *arm.Error {
	return arm.BadRequest("BadRequest", "The domain name '%s' is invalid.", name)
}

// validateZoneName checks a new private DNS zone's name: 2 to 34 labels,
// each a valid label, 253 characters at most, not a reserved name.
func validateZoneName(name string) error {
	labels := strings.Split(name, ".")
	if len(name) > maxNameLength {
		return invalidDomainName(name)
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return invalidDomainName(name)
		}
	}
	if len(labels) < 2 {
		return arm.BadRequest("BadRequest",
			"The zone name '%s' does not have enough labels. Zone names must have two or more labels.", name)
	}
	if len(labels) > maxZoneLabels {
		return arm.BadRequest("BadRequest",
			"The zone name '%s' has too many labels. Zone names must have %d or fewer labels.", name, maxZoneLabels)
	}
	if reservedZones[strings.ToLower(name)] {
		return arm.BadRequest("BadRequest",
			"The zone name '%s' is reserved and cannot be used for a private DNS zone.", name)
	}
	return nil
}

// validateLinkName checks a virtual network link's name.
func validateLinkName(name string) error {
	if !linkNameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.", name)
	}
	return nil
}

func invalidRecordSetName(name string) *arm.Error {
	return arm.BadRequest("BadRequest", "The record set name '%s' is invalid.", name)
}

// validateRelativeName checks a record set's name relative to zone: "@"
// for the apex, else dot-separated labels (the first may be the wildcard
// "*") whose fully qualified name fits in 253 characters.
func validateRelativeName(name, zone string) error {
	if name == "@" {
		return nil
	}
	if len(name)+1+len(zone) > maxNameLength {
		return invalidRecordSetName(name)
	}
	for i, l := range strings.Split(name, ".") {
		if i == 0 && l == "*" {
			continue
		}
		if !labelRE.MatchString(l) {
			return invalidRecordSetName(name)
		}
	}
	return nil
}

// validDomainName reports whether s is a domain name a record may point
// at (CNAME, MX exchange, PTR, SRV target); a final dot is allowed.
func validDomainName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > maxNameLength {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !labelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// fqdnOf returns a record set's fully qualified name with the final dot.
func fqdnOf(name, zone string) string {
	zone = strings.ToLower(zone)
	if name == "@" {
		return zone + "."
	}
	return strings.ToLower(name) + "." + zone + "."
}
