// Package afd is `az afd` (az 2.45) for Azure Front Door Standard/Premium:
// profile, endpoint, origin-group, origin and route, each with create,
// show, list and delete, against the Microsoft.Cdn resources served by
// internal/providers/cdn.
//
// Requests use api-version 2022-11-01-preview. Resources are named by
// --profile-name and --<kind>-name (also --name/-n for the leaf, as az's
// generated commands accept); outputs flatten "properties" as az prints
// them. `origin create --enable-private-link` builds
// sharedPrivateLinkResource from --private-link-resource,
// --private-link-location, --private-link-request-message and
// --private-link-sub-resource-type (the other private link flags alone do
// not enable it, as in az). `route create --origin-group` takes a name in
// the profile or a resource ID.
package afd
