package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"
)

const (
	// CAValidity is the lifetime of a CA created by NewCA.
	CAValidity = 10 * 365 * 24 * time.Hour
	// DefaultCertValidity is the lifetime of an issued certificate when the
	// template does not say.
	DefaultCertValidity = 365 * 24 * time.Hour
	// backdate covers small clock differences between the issuer and the
	// verifier (containers, VMs).
	backdate = 5 * time.Minute
)

// CA is a certificate authority: a self-signed certificate and its key.
type CA struct {
	// Cert is the parsed CA certificate.
	Cert *x509.Certificate
	// Key signs issued certificates.
	Key crypto.Signer

	certPEM []byte
}

// Template describes a certificate to issue. Zero values get sensible
// defaults: a one-year lifetime and, without ExtKeyUsage, server and client
// authentication.
type Template struct {
	// CommonName is the subject CN (a kube client certificate's user name).
	CommonName string
	// Organization is the subject O (a kube client certificate's groups).
	Organization []string
	// DNSNames and IPAddresses are the subject alternative names.
	DNSNames    []string
	IPAddresses []net.IP
	// URIs are URI subject alternative names (SPIFFE IDs and the like).
	URIs []*url.URL
	// ExtKeyUsage lists the extended key usages; empty means
	// ServerAuth and ClientAuth.
	ExtKeyUsage []x509.ExtKeyUsage
	// Validity is the lifetime from now; zero means DefaultCertValidity.
	Validity time.Duration
}

// ServerTemplate returns a serving-certificate template for hosts (IP
// addresses or DNS names; see SplitHosts).
func ServerTemplate(commonName string, hosts []string) Template {
	dns, ips := SplitHosts(hosts)
	return Template{
		CommonName:  commonName,
		DNSNames:    dns,
		IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// ClientTemplate returns a client-certificate template. For a
// kube-apiserver, commonName is the user and organizations the groups.
func ClientTemplate(commonName string, organizations ...string) Template {
	return Template{
		CommonName:   commonName,
		Organization: organizations,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// SplitHosts separates IP literals from DNS names, dropping empty entries
// and duplicates.
func SplitHosts(hosts []string) (dnsNames []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			key := ip.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			ips = append(ips, ip)
			continue
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		dnsNames = append(dnsNames, h)
	}
	return dnsNames, ips
}

// NewCA creates a self-signed CA with an ECDSA P-256 key, valid for
// CAValidity. The CA is in memory only; persist it with CertPEM and KeyPEM
// or use LoadOrCreateCA.
func NewCA(commonName string) (*CA, error) {
	if commonName == "" {
		return nil, errors.New("pki: CA common name is empty")
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"privlink"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: self-sign CA %q: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse new CA: %w", err)
	}
	return &CA{Cert: cert, Key: key, certPEM: encodeCert(der)}, nil
}

// LoadCA parses a CA from PEM. The key must match the certificate, and the
// certificate must be a CA.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: certificate %q is not a CA", cert.Subject.CommonName)
	}
	key, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("pki: CA key does not match certificate %q", cert.Subject.CommonName)
	}
	return &CA{Cert: cert, Key: key, certPEM: encodeCert(cert.Raw)}, nil
}

// LoadOrCreateCA loads the CA stored at certPath and keyPath, or creates
// and stores a new one named commonName when neither file exists. A
// certificate without its key, or an expired CA, is an error: silently
// replacing a CA would break every client that trusts it.
func LoadOrCreateCA(certPath, keyPath, commonName string) (*CA, error) {
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		ca, err := LoadCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("pki: load CA %s: %w", certPath, err)
		}
		if time.Now().After(ca.Cert.NotAfter) {
			return nil, fmt.Errorf("pki: CA %s expired on %s; remove %s and %s to create a new one",
				certPath, ca.Cert.NotAfter.UTC().Format(time.RFC3339), certPath, keyPath)
		}
		return ca, nil
	case certErr == nil && errors.Is(keyErr, os.ErrNotExist):
		return nil, fmt.Errorf("pki: CA certificate %s exists but its key %s is missing: %w", certPath, keyPath, keyErr)
	case certErr != nil && !errors.Is(certErr, os.ErrNotExist):
		return nil, fmt.Errorf("pki: read CA certificate: %w", certErr)
	case keyErr != nil && !errors.Is(keyErr, os.ErrNotExist):
		return nil, fmt.Errorf("pki: read CA key: %w", keyErr)
	}
	// No certificate (a lone key is a leftover of an interrupted first run).
	ca, err := NewCA(commonName)
	if err != nil {
		return nil, err
	}
	keyOut, err := ca.KeyPEM()
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(keyPath, keyOut, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, ca.CertPEM(), 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// CertPEM returns the CA certificate in PEM.
func (ca *CA) CertPEM() []byte {
	return append([]byte(nil), ca.certPEM...)
}

// KeyPEM returns the CA key in PEM (PKCS#8).
func (ca *CA) KeyPEM() ([]byte, error) {
	return encodeKey(ca.Key)
}

// Pool returns a certificate pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue creates a key pair and a certificate for it signed by the CA, and
// returns both in PEM.
func (ca *CA) Issue(t Template) (certPEM, keyPEM []byte, err error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	der, err := ca.sign(t, key.Public())
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

func (ca *CA) sign(t Template, pub crypto.PublicKey) ([]byte, error) {
	if t.CommonName == "" && len(t.DNSNames) == 0 && len(t.IPAddresses) == 0 && len(t.URIs) == 0 {
		return nil, errors.New("pki: certificate template has no common name and no subject alternative names")
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	validity := t.Validity
	if validity <= 0 {
		validity = DefaultCertValidity
	}
	usage := t.ExtKeyUsage
	if len(usage) == 0 {
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: t.CommonName, Organization: t.Organization},
		DNSNames:              t.DNSNames,
		IPAddresses:           t.IPAddresses,
		URIs:                  t.URIs,
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usage,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate %q: %w", t.CommonName, err)
	}
	return der, nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of data.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("pki: no CERTIFICATE PEM block found")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: parse certificate: %w", err)
		}
		return cert, nil
	}
}

// ParsePrivateKeyPEM parses a PKCS#8, SEC1 (EC) or PKCS#1 (RSA) private key.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("pki: no private key PEM block found")
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pki: parse %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("pki: unsupported private key type %T", key)
		}
		return signer, nil
	}
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate P-256 key: %w", err)
	}
	return key, nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: generate serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
