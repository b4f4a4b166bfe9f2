package pki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestNewCAIssue(t *testing.T) {
	ca, err := NewCA("cluster-1 CA")
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "cluster-1 CA" {
		t.Fatalf("CA cert: IsCA=%v CN=%q", ca.Cert.IsCA, ca.Cert.Subject.CommonName)
	}
	if got := time.Until(ca.Cert.NotAfter); got < 9*365*24*time.Hour {
		t.Fatalf("CA validity too short: %v", got)
	}

	tests := []struct {
		name     string
		tmpl     Template
		usage    x509.ExtKeyUsage
		wantCN   string
		wantOrg  []string
		wantDNS  []string
		wantIPs  int
		validity time.Duration
	}{
		{
			name:    "kube client",
			tmpl:    ClientTemplate("kubernetes-admin", "system:masters"),
			usage:   x509.ExtKeyUsageClientAuth,
			wantCN:  "kubernetes-admin",
			wantOrg: []string{"system:masters"},
		},
		{
			name:    "apiserver serving",
			tmpl:    ServerTemplate("kube-apiserver", []string{"10.0.0.1", "kubernetes.default.svc", "127.0.0.1", "10.0.0.1"}),
			usage:   x509.ExtKeyUsageServerAuth,
			wantCN:  "kube-apiserver",
			wantDNS: []string{"kubernetes.default.svc"},
			wantIPs: 2,
		},
		{
			name:     "custom validity, default usages",
			tmpl:     Template{CommonName: "both", Validity: time.Hour},
			usage:    x509.ExtKeyUsageServerAuth,
			wantCN:   "both",
			validity: time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certPEM, keyPEM, err := ca.Issue(tt.tmpl)
			if err != nil {
				t.Fatal(err)
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatalf("key pair: %v", err)
			}
			leaf := pair.Leaf
			if leaf.Subject.CommonName != tt.wantCN {
				t.Errorf("CN = %q, want %q", leaf.Subject.CommonName, tt.wantCN)
			}
			if !slices.Equal(leaf.Subject.Organization, tt.wantOrg) {
				t.Errorf("O = %v, want %v", leaf.Subject.Organization, tt.wantOrg)
			}
			if !slices.Equal(leaf.DNSNames, tt.wantDNS) {
				t.Errorf("DNS = %v, want %v", leaf.DNSNames, tt.wantDNS)
			}
			if len(leaf.IPAddresses) != tt.wantIPs {
				t.Errorf("IPs = %v, want %d", leaf.IPAddresses, tt.wantIPs)
			}
			if tt.validity != 0 {
				if d := time.Until(leaf.NotAfter); d > tt.validity {
					t.Errorf("validity %v exceeds %v", d, tt.validity)
				}
			}
			if leaf.IsCA {
				t.Error("issued certificate is a CA")
			}
			if leaf.AuthorityKeyId == nil || !bytes.Equal(leaf.AuthorityKeyId, ca.Cert.SubjectKeyId) {
				t.Error("authority key id missing or wrong")
			}
			_, err = leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{tt.usage}})
			if err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}

	if _, _, err := ca.Issue(Template{}); err == nil {
		t.Error("empty template: want error")
	}
}

func TestLoadCARoundTrip(t *testing.T) {
	ca, err := NewCA("round trip")
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := ca.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCA(ca.CertPEM(), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Cert.Equal(ca.Cert) {
		t.Fatal("loaded CA differs")
	}
	other, err := NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := other.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(ca.CertPEM(), otherKey); err == nil {
		t.Fatal("mismatched key: want error")
	}
	leafPEM, leafKey, err := ca.Issue(ClientTemplate("u"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCA(leafPEM, leafKey); err == nil {
		t.Fatal("non-CA certificate: want error")
	}
}

func TestLoadOrCreateCA(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "x", "ca.crt"), filepath.Join(dir, "x", "ca.key")
	first, err := LoadOrCreateCA(certPath, keyPath, "per-cluster")
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateCA(certPath, keyPath, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Cert.Equal(second.Cert) {
		t.Fatal("CA not reused")
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCA(certPath, keyPath, "per-cluster"); err == nil {
		t.Fatal("certificate without key: want error")
	}
}

func TestEnsureServing(t *testing.T) {
	dir := t.TempDir()
	s, err := EnsureServing(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Issued {
		t.Fatal("first run: want Issued")
	}
	for name, mode := range map[string]os.FileMode{CACertFile: 0o644, CAKeyFile: 0o600, ServerCertFile: 0o644, ServerKeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	if s.CA.Cert.Subject.CommonName != CACommonName {
		t.Errorf("CA CN %q", s.CA.Cert.Subject.CommonName)
	}
	for _, h := range DefaultHosts() {
		if err := s.Certificate.Leaf.VerifyHostname(h); err != nil {
			t.Errorf("default host %s: %v", h, err)
		}
	}
	if len(s.Certificate.Certificate) != 2 {
		t.Errorf("chain length %d, want leaf + CA", len(s.Certificate.Certificate))
	}

	// Second run reuses everything.
	again, err := EnsureServing(dir, []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Issued || !again.Certificate.Leaf.Equal(s.Certificate.Leaf) || !again.CA.Cert.Equal(s.CA.Cert) {
		t.Fatal("second run: want reuse")
	}

	// A new host reissues only the serving certificate.
	more, err := EnsureServing(dir, []string{"privlink.test", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	if !more.Issued || !more.CA.Cert.Equal(s.CA.Cert) {
		t.Fatal("new host: want reissued server cert under the same CA")
	}
	for _, h := range append(DefaultHosts(), "privlink.test", "192.0.2.7") {
		if err := more.Certificate.Leaf.VerifyHostname(h); err != nil {
			t.Errorf("host %s: %v", h, err)
		}
	}

	// A missing server key reissues.
	if err := os.Remove(filepath.Join(dir, ServerKeyFile)); err != nil {
		t.Fatal(err)
	}
	fixed, err := EnsureServing(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !fixed.Issued {
		t.Fatal("missing key: want reissue")
	}
}

func TestEnsureServingExpiredServerCert(t *testing.T) {
	dir := t.TempDir()
	s, err := EnsureServing(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the server certificate with one expiring tomorrow.
	tmpl := ServerTemplate(ServerCommonName, DefaultHosts())
	tmpl.Validity = 24 * time.Hour
	certPEM, keyPEM, err := s.CA.Issue(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ServerCertFile), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ServerKeyFile), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	renewed, err := EnsureServing(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !renewed.Issued || renewed.Certificate.Leaf.NotAfter.Before(time.Now().Add(300*24*time.Hour)) {
		t.Fatal("expiring certificate was not renewed")
	}
}

func TestServingTLSHandshake(t *testing.T) {
	s, err := EnsureServing(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = s.TLSConfig()
	srv.StartTLS()
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: s.ClientTLSConfig()}}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		resp, err := client.Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if string(body) != "ok" {
			t.Fatalf("%s: body %q", host, body)
		}
	}

	// A client trusting only the system roots must fail.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	if resp, err := plain.Get(srv.URL); err == nil {
		_ = resp.Body.Close()
		t.Fatal("untrusted client connected")
	}
}
