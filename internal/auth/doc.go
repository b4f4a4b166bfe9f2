// Package auth is the identity side of the emulator: a stand-in for
// Microsoft Entra ID (the OAuth2/OIDC token service, v1, v2 and ADFS
// flavours), the managed-identity token endpoint, the ARM custom-cloud
// metadata document, and the verification of the bearer tokens that the
// ARM front end receives.
//
// Everything is issued by one Issuer, whose RSA signing key persists in a
// directory (token.key) so tokens survive daemon restarts. Any client ID and
// secret are accepted: the emulator authenticates callers only so that ARM
// sees a well-formed principal (oid, tid, appid), never to keep anyone out.
// Interactive flows (authorization code, device code) are approved
// automatically.
//
// Object IDs are deterministic (ObjectIDForApp, ObjectIDForUser), so role
// assignments and managed identities created through ARM can name the
// principals that later present tokens.
package auth
