package auth

import (
	"strings"

	"github.com/google/uuid"
)

// idNamespace is the UUID v5 namespace of every identifier privlink derives.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/privlink/privlink/identity"))

func deriveID(parts ...string) string {
	return uuid.NewSHA1(idNamespace, []byte(strings.Join(parts, "\x00"))).String()
}

// ObjectIDForApp is the object ID of the service principal of application
// (client) appID in tenantID: a UUID v5 of both, so it is stable across
// restarts and machines. Managed identities are service principals too:
// their object (principal) ID is ObjectIDForApp of their client ID.
func ObjectIDForApp(tenantID, appID string) string {
	return deriveID("app", strings.ToLower(tenantID), strings.ToLower(appID))
}

// ObjectIDForUser is the object ID of the user userPrincipalName in
// tenantID (UUID v5, case-insensitive in the name).
func ObjectIDForUser(tenantID, userPrincipalName string) string {
	return deriveID("user", strings.ToLower(tenantID), strings.ToLower(userPrincipalName))
}

// ManagedIdentityClientID is the client ID the emulator gives the
// user-assigned identity with ARM resource ID resourceID (compared
// case-insensitively). The Microsoft.ManagedIdentity provider should use it
// for the resource's properties.clientId, and ObjectIDForApp of it for
// properties.principalId, so that tokens the identity endpoint issues match.
func ManagedIdentityClientID(tenantID, resourceID string) string {
	return deriveID("managed-identity", strings.ToLower(tenantID), strings.ToLower(resourceID))
}

// SystemAssignedClientID is the client ID of the identity the managed
// identity endpoint serves when the caller names none.
func SystemAssignedClientID(tenantID string) string {
	return deriveID("managed-identity-system", strings.ToLower(tenantID))
}

// isGUID reports whether s is a canonical 36-character UUID.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// ResolveTenant maps the tenant segment of an authority URL to a tenant ID:
// a GUID is used as-is (lower-cased); "common", "organizations",
// "consumers", "adfs", domain names and every other alias map to
// defaultTenant.
func ResolveTenant(segment, defaultTenant string) string {
	if isGUID(segment) {
		return strings.ToLower(segment)
	}
	return defaultTenant
}
