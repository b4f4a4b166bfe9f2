// Package role is the az "role assignment" and "role definition" command
// groups (Microsoft.Authorization).
//
// azure-cli resolves --assignee through Microsoft Graph, which privlink does
// not serve (the CLI talks to the daemon only through ARM). privlink's
// directory is the managed identities ARM knows: an assignee is matched
// against the subscription's user-assigned identities by clientId (az's
// "service principal name" lookup) or principalId (az's object-id lookup);
// a GUID that matches none is used as an object ID, as az does when Graph is
// unreachable.
package role
