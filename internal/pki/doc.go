// Package pki generates and persists the certificates privlink serves and
// hands out: the "privlink CA" with the daemon's HTTPS serving certificate
// (EnsureServing), and general certificate authorities (NewCA,
// LoadOrCreateCA) that issue serving and client certificates, for example
// the per-cluster CAs of embedded kube-apiservers.
//
// All keys are ECDSA P-256, stored PEM-encoded (PKCS#8 "PRIVATE KEY") with
// mode 0600; certificates are PEM "CERTIFICATE" blocks. Files are written
// atomically (temporary file + rename) so a crash never leaves half a key.
package pki
