package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SigningKeyFile is the name of the persisted RSA signing key.
const SigningKeyFile = "token.key"

const (
	// DefaultTokenLifetime is the lifetime of access tokens.
	DefaultTokenLifetime = time.Hour
	// refreshTokenLifetime is the lifetime of refresh tokens.
	refreshTokenLifetime = 90 * 24 * time.Hour
	// codeLifetime bounds authorization codes and device codes.
	codeLifetime = 15 * time.Minute
	// rsaBits is the size of a new signing key.
	rsaBits = 2048
)

// DefaultUser is the user that interactive flows (authorization code,
// device code) sign in when the client gives no login hint.
const DefaultUser = "user@privlink.local"

// ManagedIdentity selects an identity at the managed identity endpoint.
// At most one field is set by callers; the resolver fills the others.
type ManagedIdentity struct {
	ClientID   string
	ObjectID   string
	ResourceID string
}

// ErrIdentityNotFound is returned (wrapped) by a ManagedIdentityResolver
// that does not know the requested identity; the endpoint answers 400.
var ErrIdentityNotFound = errors.New("auth: managed identity not found")

// ManagedIdentityResolver completes the identity a managed identity token
// request names (client_id, object_id/principal_id or
// mi_res_id/msi_res_id; none for the system-assigned identity). It returns
// the identity's client ID and object ID.
type ManagedIdentityResolver func(ctx context.Context, tenantID string, requested ManagedIdentity) (ManagedIdentity, error)

// Option configures an Issuer.
type Option func(*Issuer)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option {
	return func(i *Issuer) { i.now = now }
}

// WithTokenLifetime sets the access token lifetime (default one hour).
func WithTokenLifetime(d time.Duration) Option {
	return func(i *Issuer) {
		if d > 0 {
			i.lifetime = d
		}
	}
}

// WithCloudName sets the "name" of the cloud metadata document (default
// "privlink").
func WithCloudName(name string) Option {
	return func(i *Issuer) {
		if name != "" {
			i.cloudName = name
		}
	}
}

// WithDefaultUser sets the user interactive flows sign in without a login
// hint (default DefaultUser).
func WithDefaultUser(upn string) Option {
	return func(i *Issuer) {
		if upn != "" {
			i.defaultUser = upn
		}
	}
}

// WithManagedIdentityResolver lets the daemon answer managed identity
// token requests from its own records (user-assigned identities created
// through ARM). Without it, identities are derived: a client ID is used
// as-is, a resource ID maps to ManagedIdentityClientID, and the object ID
// is ObjectIDForApp of the client ID.
func WithManagedIdentityResolver(r ManagedIdentityResolver) Option {
	return func(i *Issuer) {
		if r != nil {
			i.resolveMI = r
		}
	}
}

// Issuer signs and verifies tokens and serves the identity endpoints.
// It is immutable after NewIssuer and safe for concurrent use.
type Issuer struct {
	key           *rsa.PrivateKey
	kid           string
	defaultTenant string
	logger        *slog.Logger

	now         func() time.Time
	lifetime    time.Duration
	cloudName   string
	defaultUser string
	resolveMI   ManagedIdentityResolver
	verified    *verifiedTokens
}

// NewIssuer loads the signing key from dir/token.key, creating it (RSA
// 2048, mode 0600) on first use. defaultTenant is the tenant ID that
// tenant aliases ("common", "organizations", domain names, "adfs") stand
// for; it must be a GUID.
func NewIssuer(dir, defaultTenant string, logger *slog.Logger, opts ...Option) (*Issuer, error) {
	if dir == "" {
		return nil, errors.New("auth: signing key directory is empty")
	}
	if !isGUID(defaultTenant) {
		return nil, fmt.Errorf("auth: default tenant %q is not a GUID", defaultTenant)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	i := &Issuer{
		verified:      &verifiedTokens{},
		defaultTenant: strings.ToLower(defaultTenant),
		logger:        logger.With("component", "auth"),
		now:           time.Now,
		lifetime:      DefaultTokenLifetime,
		cloudName:     "privlink",
		defaultUser:   DefaultUser,
	}
	i.resolveMI = i.deriveManagedIdentity
	for _, o := range opts {
		o(i)
	}
	key, created, err := loadOrCreateKey(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		return nil, err
	}
	i.key = key
	i.kid = keyID(&key.PublicKey)
	if created {
		i.logger.Info("created token signing key", "path", filepath.Join(dir, SigningKeyFile), "kid", i.kid)
	}
	return i, nil
}

// DefaultTenant returns the tenant ID aliases resolve to.
func (i *Issuer) DefaultTenant() string { return i.defaultTenant }

// KeyID returns the "kid" of the signing key.
func (i *Issuer) KeyID() string { return i.kid }

func (i *Issuer) deriveManagedIdentity(_ context.Context, tenantID string, mi ManagedIdentity) (ManagedIdentity, error) {
	switch {
	case mi.ClientID != "":
	case mi.ResourceID != "":
		mi.ClientID = ManagedIdentityClientID(tenantID, mi.ResourceID)
	case mi.ObjectID != "":
		// An object ID alone cannot be inverted; give it a stable client ID.
		mi.ClientID = deriveID("managed-identity-object", strings.ToLower(tenantID), strings.ToLower(mi.ObjectID))
		return mi, nil
	default:
		mi.ClientID = SystemAssignedClientID(tenantID)
	}
	if mi.ObjectID == "" {
		mi.ObjectID = ObjectIDForApp(tenantID, mi.ClientID)
	}
	return mi, nil
}

// JWKS returns the JSON Web Key Set publishing the signing key.
func (i *Issuer) JWKS() JWKS {
	pub := &i.key.PublicKey
	return JWKS{Keys: []JWK{{
		KeyType:   "RSA",
		Use:       "sig",
		KeyID:     i.kid,
		Algorithm: "RS256",
		N:         base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:         base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is one RSA public key of a JWKS.
type JWK struct {
	KeyType   string `json:"kty"`
	Use       string `json:"use"`
	KeyID     string `json:"kid"`
	Algorithm string `json:"alg"`
	N         string `json:"n"`
	E         string `json:"e"`
}

// keyID is the RFC 7638 JWK thumbprint of pub: stable for a given key.
func keyID(pub *rsa.PublicKey) string {
	thumb, _ := json.Marshal(struct {
		E   string `json:"e"`
		Kty string `json:"kty"`
		N   string `json:"n"`
	}{
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		Kty: "RSA",
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
	})
	sum := sha256.Sum256(thumb)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func loadOrCreateKey(path string) (*rsa.PrivateKey, bool, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, perr := parseRSAKey(data)
		if perr != nil {
			return nil, false, fmt.Errorf("auth: signing key %s: %w", path, perr)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("auth: read signing key: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, false, fmt.Errorf("auth: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, false, fmt.Errorf("auth: marshal signing key: %w", err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#8: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, want RSA", k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#1: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}

// writeFileAtomic writes data to a temporary file next to path, then
// renames it into place.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("auth: create temporary file: %w", err)
	}
	tmp := f.Name()
	werr := f.Chmod(perm)
	if werr == nil {
		_, werr = f.Write(data)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("auth: write %s: %w", path, werr)
	}
	return nil
}
