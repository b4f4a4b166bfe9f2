package kube

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/privlink/privlink/internal/pki"
)

// Lifetimes of the certificates a cluster issues. AKS issues client
// certificates valid for two years; the serving certificate gets the same.
const (
	clientCertValidity = 2 * 365 * 24 * time.Hour
	// renewBefore: a persisted certificate closer than this to expiry is
	// re-issued at start.
	renewBefore = 30 * 24 * time.Hour
)

// The users of AKS's client certificates (without Entra ID).
const (
	adminUser        = "masterclient"
	clusterUser      = "clusterUser"
	mastersGroup     = "system:masters"
	controllerUser   = "system:kube-controller-manager"
	frontProxyClient = "front-proxy-client"
)

// Names of the files in a cluster's PKI directory.
const (
	fileCACert          = "ca.crt"
	fileCAKey           = "ca.key"
	fileFrontProxyCA    = "front-proxy-ca.crt"
	fileFrontProxyCAKey = "front-proxy-ca.key"
	fileFrontProxyCert  = "front-proxy-client.crt"
	fileFrontProxyKey   = "front-proxy-client.key"
	fileServingCert     = "apiserver.crt"
	fileServingKey      = "apiserver.key"
	fileSAKey           = "sa.key"
	fileSAPub           = "sa.pub"
	fileAdminCert       = "admin.crt"
	fileAdminKey        = "admin.key"
	fileUserCert        = "user.crt"
	fileUserKey         = "user.key"
	fileCMCert          = "controller-manager.crt"
	fileCMKey           = "controller-manager.key"
	fileCMKubeconfig    = "controller-manager.kubeconfig"
)

// clusterPKI is a cluster's credentials, persisted in dir.
type clusterPKI struct {
	dir          string
	ca           *pki.CA
	frontProxyCA *pki.CA
	adminCert    []byte
	adminKey     []byte
	userCert     []byte
	userKey      []byte
	cmCert       []byte
	cmKey        []byte
}

func (p *clusterPKI) path(name string) string { return filepath.Join(p.dir, name) }

// loadOrCreatePKI loads the credentials in dir, creating what is missing.
func loadOrCreatePKI(dir string) (*clusterPKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kube: PKI directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kube: PKI directory: %w", err)
	}
	p := &clusterPKI{dir: dir}
	var err error
	if p.ca, err = pki.LoadOrCreateCA(p.path(fileCACert), p.path(fileCAKey), "ca"); err != nil {
		return nil, fmt.Errorf("kube: cluster CA: %w", err)
	}
	if p.frontProxyCA, err = pki.LoadOrCreateCA(p.path(fileFrontProxyCA), p.path(fileFrontProxyCAKey), "front-proxy-ca"); err != nil {
		return nil, fmt.Errorf("kube: front-proxy CA: %w", err)
	}
	if _, _, err = loadOrIssueClient(p.frontProxyCA, p.path(fileFrontProxyCert), p.path(fileFrontProxyKey), frontProxyClient); err != nil {
		return nil, err
	}
	if p.adminCert, p.adminKey, err = loadOrIssueClient(p.ca, p.path(fileAdminCert), p.path(fileAdminKey), adminUser, mastersGroup); err != nil {
		return nil, err
	}
	if p.userCert, p.userKey, err = loadOrIssueClient(p.ca, p.path(fileUserCert), p.path(fileUserKey), clusterUser, mastersGroup); err != nil {
		return nil, err
	}
	if p.cmCert, p.cmKey, err = loadOrIssueClient(p.ca, p.path(fileCMCert), p.path(fileCMKey), controllerUser); err != nil {
		return nil, err
	}
	if err := ensureSAKey(p.path(fileSAKey), p.path(fileSAPub)); err != nil {
		return nil, err
	}
	return p, nil
}

// loadOrIssueClient returns the client certificate in certPath/keyPath if it
// was issued by ca for the same subject and is not about to expire, else
// issues and persists a new one.
func loadOrIssueClient(ca *pki.CA, certPath, keyPath, user string, groups ...string) (certPEM, keyPEM []byte, err error) {
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	if cerr == nil && kerr == nil {
		if c, err := pki.ParseCertificatePEM(certPEM); err == nil &&
			c.Subject.CommonName == user && slices.Equal(c.Subject.Organization, groups) &&
			c.CheckSignatureFrom(ca.Cert) == nil && time.Until(c.NotAfter) > renewBefore {
			return certPEM, keyPEM, nil
		}
	}
	t := pki.ClientTemplate(user, groups...)
	t.Validity = clientCertValidity
	certPEM, keyPEM, err = ca.Issue(t)
	if err != nil {
		return nil, nil, fmt.Errorf("kube: issue client certificate for %s: %w", user, err)
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, nil, err
	}
	if err := writeFile(certPath, certPEM, 0o644); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}

// ensureSAKey creates the service-account signing key (RSA 2048, so tokens
// are RS256 like AKS's) unless it exists.
func ensureSAKey(keyPath, pubPath string) error {
	if _, err := os.Stat(keyPath); err == nil {
		if _, err := os.Stat(pubPath); err == nil {
			return nil
		}
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("kube: service-account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("kube: service-account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("kube: service-account key: %w", err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return writeFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}

// servingSANs are the subject alternative names of a cluster's serving
// certificate: the spec's plus the in-cluster names of the kubernetes
// Service and its address.
func servingSANs(spec ClusterSpec, serviceIP netip.Addr) (dns []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, n := range append(slices.Clone(spec.DNSNames), "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local") {
		if n != "" && !seen[n] {
			seen[n] = true
			dns = append(dns, n)
		}
	}
	seenIP := map[netip.Addr]bool{}
	for _, a := range append(slices.Clone(spec.IPs), serviceIP) {
		if a.IsValid() && !seenIP[a.Unmap()] {
			seenIP[a.Unmap()] = true
			ips = append(ips, net.IP(a.Unmap().AsSlice()))
		}
	}
	return dns, ips
}

// sameSANs reports whether c has exactly these names and addresses.
func sameSANs(c *x509.Certificate, dns []string, ips []net.IP) bool {
	a, b := slices.Clone(c.DNSNames), slices.Clone(dns)
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) || len(c.IPAddresses) != len(ips) {
		return false
	}
	for _, ip := range ips {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// servingCurrent reports whether the serving certificate on disk has
// exactly these SANs, was issued by the cluster CA and is not about to
// expire.
func (p *clusterPKI) servingCurrent(dns []string, ips []net.IP) bool {
	data, err := os.ReadFile(p.path(fileServingCert))
	if err != nil {
		return false
	}
	if _, err := os.Stat(p.path(fileServingKey)); err != nil {
		return false
	}
	c, err := pki.ParseCertificatePEM(data)
	return err == nil && sameSANs(c, dns, ips) && c.CheckSignatureFrom(p.ca.Cert) == nil && time.Until(c.NotAfter) > renewBefore
}

// ensureServing re-issues the serving certificate unless it is current.
func (p *clusterPKI) ensureServing(dns []string, ips []net.IP) error {
	if p.servingCurrent(dns, ips) {
		return nil
	}
	t := pki.Template{
		CommonName:  "apiserver",
		DNSNames:    dns,
		IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		Validity:    clientCertValidity,
	}
	certPEM, keyPEM, err := p.ca.Issue(t)
	if err != nil {
		return fmt.Errorf("kube: issue serving certificate: %w", err)
	}
	if err := writeFile(p.path(fileServingKey), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(p.path(fileServingCert), certPEM, 0o644)
}

// writeFile writes data atomically (a temporary file renamed into place).
func writeFile(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("kube: write %s: %w", path, err)
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, mode)); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("kube: write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return fmt.Errorf("kube: write %s: %w", path, err)
	}
	return nil
}
