// Package app is privlink's composition root: it builds the store, the
// certificates, the token issuer, the ARM engine with every resource
// provider, the controllers and the HTTPS server, starts them and stops
// them cleanly.
package app
