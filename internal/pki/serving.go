package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File names inside the directory given to EnsureServing.
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
)

const (
	// CACommonName names the CA that EnsureServing creates.
	CACommonName = "privlink CA"
	// ServerCommonName is the subject CN of the serving certificate.
	ServerCommonName = "privlink"
	// ServerValidity is the lifetime of a serving certificate.
	ServerValidity = 365 * 24 * time.Hour
	// ServerRenewBefore: a serving certificate that expires within this
	// window is replaced by EnsureServing.
	ServerRenewBefore = 30 * 24 * time.Hour
)

// DefaultHosts returns the names every serving certificate covers: the
// loopback addresses and localhost.
func DefaultHosts() []string {
	return []string{"127.0.0.1", "::1", "localhost"}
}

// Serving is the daemon's TLS material: the CA clients trust and the
// serving certificate it signed.
type Serving struct {
	// Dir holds ca.crt, ca.key, server.crt and server.key.
	Dir string
	// CA is the privlink CA.
	CA *CA
	// Certificate is the serving certificate chain and key; Leaf is set.
	Certificate tls.Certificate
	// Hosts are the names the serving certificate was required to cover.
	Hosts []string
	// Issued reports whether this call created a new serving certificate
	// (first run, or the old one was missing, expiring or incomplete).
	Issued bool
}

// EnsureServing loads the CA and serving certificate stored in dir,
// creating whatever is missing. The CA (ca.crt, ca.key: "privlink CA",
// ECDSA P-256, valid CAValidity) is created once and reused. The serving
// certificate (server.crt, server.key) is reissued when it is missing,
// unreadable, not signed by the CA, expires within ServerRenewBefore, or
// does not cover every host. The certificate always covers DefaultHosts
// in addition to hosts.
func EnsureServing(dir string, hosts []string) (*Serving, error) {
	if dir == "" {
		return nil, errors.New("pki: serving directory is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	hosts = mergeHosts(DefaultHosts(), hosts)
	ca, err := LoadOrCreateCA(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile), CACommonName)
	if err != nil {
		return nil, err
	}
	s := &Serving{Dir: dir, CA: ca, Hosts: hosts}
	certPath, keyPath := s.ServerCertFile(), s.ServerKeyFile()
	if cert, ok := loadServerCert(certPath, keyPath, ca, hosts, time.Now()); ok {
		s.Certificate = cert
		return s, nil
	}
	tmpl := ServerTemplate(ServerCommonName, hosts)
	tmpl.Validity = ServerValidity
	certPEM, keyPEM, err := ca.Issue(tmpl)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(append(certPEM, ca.CertPEM()...), keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: load new serving certificate: %w", err)
	}
	s.Certificate = cert
	s.Issued = true
	return s, nil
}

// loadServerCert returns the stored serving certificate (chained with the
// CA) if it is usable for hosts at now.
func loadServerCert(certPath, keyPath string, ca *CA, hosts []string, now time.Time) (tls.Certificate, bool) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, false
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, false
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil || cert.Leaf == nil {
		return tls.Certificate{}, false
	}
	leaf := cert.Leaf
	if leaf.CheckSignatureFrom(ca.Cert) != nil {
		return tls.Certificate{}, false
	}
	if now.Before(leaf.NotBefore) || now.Add(ServerRenewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return tls.Certificate{}, false
		}
	}
	// Serve the chain leaf + CA (clients that only trust the CA need nothing
	// more, and it helps tools that log the chain).
	cert.Certificate = append(cert.Certificate[:1:1], ca.Cert.Raw)
	return cert, true
}

func mergeHosts(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		all = append(all, l...)
	}
	dns, ips := SplitHosts(all)
	out := make([]string, 0, len(dns)+len(ips))
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return append(out, dns...)
}

// CAFile is the path of the CA certificate (what SSL_CERT_FILE or
// REQUESTS_CA_BUNDLE should point at).
func (s *Serving) CAFile() string { return filepath.Join(s.Dir, CACertFile) }

// ServerCertFile is the path of the serving certificate.
func (s *Serving) ServerCertFile() string { return filepath.Join(s.Dir, ServerCertFile) }

// ServerKeyFile is the path of the serving key.
func (s *Serving) ServerKeyFile() string { return filepath.Join(s.Dir, ServerKeyFile) }

// CAPEM returns the CA certificate in PEM.
func (s *Serving) CAPEM() []byte { return s.CA.CertPEM() }

// CAPool returns a pool holding only the privlink CA, for clients.
func (s *Serving) CAPool() *x509.CertPool { return s.CA.Pool() }

// TLSConfig returns a server configuration presenting the serving
// certificate (TLS 1.2 or later). Each call returns a new value.
func (s *Serving) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{s.Certificate},
	}
}

// ClientTLSConfig returns a client configuration that trusts only the
// privlink CA. Each call returns a new value.
func (s *Serving) ClientTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    s.CAPool(),
	}
}
