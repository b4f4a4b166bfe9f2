package network

import "github.com/privlink/privlink/internal/arm"

// The network resource provider's shared errors and naming rule, for the
// packages that serve other Microsoft.Network types (loadbalancer,
// privatelink, gateway, bastion, ...): NRP answers these the same way for
// every type.

// ValidateName applies NRP's naming rule: 1-80 word characters, '.', '-'
// or '_', starting with a word character and ending with a word character
// or '_'.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.",
			name)
	}
	return nil
}

// InvalidReference is NRP's 400 for a property naming a resource that does
// not exist.
func InvalidReference(target, referrer string) error {
	return arm.BadRequest("InvalidResourceReference",
		"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
		target, referrer)
}

// InvalidPropertyID is NRP's 400 for a property that is not a resource ID.
func InvalidPropertyID(id, path string) error {
	return arm.BadRequest("LinkedInvalidPropertyId",
		"Property id '%s' at path '%s' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
		id, path)
}

// ChildNotFound is NRP's 404 for a missing child resource (NRP answers
// it, not ARM).
func ChildNotFound(id string) *arm.Error {
	return arm.NotFound("NotFound", "Resource %s not found.", id)
}
