// Package arm is privlink's Azure Resource Manager front end: one route table
// for ARM resource IDs, api-version checks, authentication, ARM's error
// envelope, ETags, long-running operations, list paging and tags. Resource
// providers describe their types with a TypeSpec and hooks; the generic
// engine here stores them through internal/store in optimistic
// transactions, keeps the reference index used for "in use" checks and
// back-references, and renders ARM's JSON shapes.
package arm
