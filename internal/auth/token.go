package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Identity types (the idtyp claim).
const (
	IdentityApp  = "app"
	IdentityUser = "user"
)

// Token "use" markers for the artefacts the issuer signs besides access
// tokens; Authenticate rejects all of them.
const (
	useRefresh    = "refresh"
	useCode       = "code"
	useDeviceCode = "device_code"
	useIDToken    = "id_token"
)

// claims is the payload of every token the issuer signs. Access tokens
// follow the shape of Entra ID v1.0 access tokens (what ARM receives);
// the unexported-use fields serve refresh tokens, codes and ID tokens.
type claims struct {
	Audience   string   `json:"aud"`
	Issuer     string   `json:"iss"`
	IssuedAt   int64    `json:"iat"`
	NotBefore  int64    `json:"nbf"`
	Expires    int64    `json:"exp"`
	AMR        []string `json:"amr,omitempty"`
	AppID      string   `json:"appid,omitempty"`
	AppIDACR   string   `json:"appidacr,omitempty"`
	IDP        string   `json:"idp,omitempty"`
	IDType     string   `json:"idtyp,omitempty"`
	Name       string   `json:"name,omitempty"`
	Nonce      string   `json:"nonce,omitempty"`
	ObjectID   string   `json:"oid,omitempty"`
	PreferredU string   `json:"preferred_username,omitempty"`
	Scope      string   `json:"scp,omitempty"`
	Subject    string   `json:"sub"`
	TenantID   string   `json:"tid"`
	UniqueName string   `json:"unique_name,omitempty"`
	UPN        string   `json:"upn,omitempty"`
	UTI        string   `json:"uti,omitempty"`
	Version    string   `json:"ver,omitempty"`
	MIResource string   `json:"xms_mirid,omitempty"`

	// Privlink-internal fields of refresh tokens, codes and device codes.
	Use      string `json:"pl_use,omitempty"`
	ClientID string `json:"pl_cid,omitempty"`
	Resource string `json:"pl_res,omitempty"`
	Scopes   string `json:"pl_scp,omitempty"`
}

var _ jwt.Claims = (*claims)(nil)

func numericDate(sec int64) *jwt.NumericDate {
	if sec == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(sec, 0))
}

func (c *claims) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(c.Expires), nil }
func (c *claims) GetIssuedAt() (*jwt.NumericDate, error)       { return numericDate(c.IssuedAt), nil }
func (c *claims) GetNotBefore() (*jwt.NumericDate, error)      { return numericDate(c.NotBefore), nil }
func (c *claims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *claims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *claims) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings{c.Audience}, nil }

// STSIssuer is the iss claim of the access tokens issued for tenantID,
// as Entra ID v1.0 tokens carry it.
func STSIssuer(tenantID string) string {
	return "https://sts.windows.net/" + tenantID + "/"
}

// TokenRequest describes an access token to mint with IssueToken.
type TokenRequest struct {
	// TenantID defaults to the issuer's default tenant.
	TenantID string
	// ClientID is the application (client) ID; required.
	ClientID string
	// Audience is the resource, e.g. "https://127.0.0.1:8443/"; required.
	Audience string
	// User, when set, makes a delegated user token for this UPN;
	// otherwise the token is an app-only token.
	User string
	// ObjectID overrides the derived object ID (managed identities).
	ObjectID string
	// ManagedIdentityResourceID sets the xms_mirid claim.
	ManagedIdentityResourceID string
	// Lifetime defaults to the issuer's token lifetime.
	Lifetime time.Duration
}

// IssueToken mints an access token in process (for the CLI, tests and
// other components) without going through the token endpoint.
func (i *Issuer) IssueToken(req TokenRequest) (token string, expiresOn time.Time, err error) {
	if req.ClientID == "" {
		return "", time.Time{}, errors.New("auth: token request without client ID")
	}
	if req.Audience == "" {
		return "", time.Time{}, errors.New("auth: token request without audience")
	}
	if req.TenantID == "" {
		req.TenantID = i.defaultTenant
	}
	c := i.accessClaims(grantIdentity{
		tenantID:   req.TenantID,
		clientID:   req.ClientID,
		user:       req.User,
		objectID:   req.ObjectID,
		miResource: req.ManagedIdentityResourceID,
		appIDACR:   "1",
	}, req.Audience, "", req.Lifetime)
	token, err = i.sign(c)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, time.Unix(c.Expires, 0), nil
}

// grantIdentity is who a token is for.
type grantIdentity struct {
	tenantID   string
	clientID   string
	user       string // UPN for delegated tokens
	objectID   string // overrides the derived object ID
	miResource string
	appIDACR   string // "0" public client, "1" secret, "2" certificate/assertion
	amr        string // authentication method for users
}

func (g grantIdentity) oid() string {
	if g.objectID != "" {
		return g.objectID
	}
	if g.user != "" {
		return ObjectIDForUser(g.tenantID, g.user)
	}
	return ObjectIDForApp(g.tenantID, g.clientID)
}

func (i *Issuer) accessClaims(g grantIdentity, audience, scope string, lifetime time.Duration) *claims {
	if lifetime <= 0 {
		lifetime = i.lifetime
	}
	now := i.now().Unix()
	oid := g.oid()
	c := &claims{
		Audience:  audience,
		Issuer:    STSIssuer(g.tenantID),
		IssuedAt:  now,
		NotBefore: now,
		Expires:   now + int64(lifetime/time.Second),
		AppID:     g.clientID,
		AppIDACR:  g.appIDACR,
		ObjectID:  oid,
		Subject:   oid,
		TenantID:  g.tenantID,
		UTI:       randomID(),
		Version:   "1.0",
	}
	if g.user != "" {
		amr := g.amr
		if amr == "" {
			amr = "pwd"
		}
		c.IDType = IdentityUser
		c.AMR = []string{amr}
		c.Name = displayName(g.user)
		c.UniqueName = g.user
		c.UPN = g.user
		c.Scope = scope
		if c.Scope == "" {
			c.Scope = "user_impersonation"
		}
	} else {
		c.IDType = IdentityApp
		c.IDP = STSIssuer(g.tenantID)
		c.MIResource = g.miResource
	}
	return c
}

// idTokenClaims is an OIDC ID token for a user sign-in.
func (i *Issuer) idTokenClaims(g grantIdentity, issuer, nonce string) *claims {
	now := i.now().Unix()
	oid := g.oid()
	return &claims{
		Audience:   g.clientID,
		Issuer:     issuer,
		IssuedAt:   now,
		NotBefore:  now,
		Expires:    now + int64(i.lifetime/time.Second),
		Name:       displayName(g.user),
		Nonce:      nonce,
		ObjectID:   oid,
		PreferredU: g.user,
		Subject:    oid,
		TenantID:   g.tenantID,
		Version:    "2.0",
		Use:        useIDToken,
	}
}

// artefactClaims is a refresh token, authorization code or device code:
// a signed, self-contained record of a sign-in that outlives restarts.
func (i *Issuer) artefactClaims(use string, g grantIdentity, resource, scopes, nonce string, lifetime time.Duration) *claims {
	now := i.now().Unix()
	return &claims{
		Audience:  "privlink:" + use,
		Issuer:    STSIssuer(g.tenantID),
		IssuedAt:  now,
		NotBefore: now,
		Expires:   now + int64(lifetime/time.Second),
		Subject:   g.oid(),
		TenantID:  g.tenantID,
		UPN:       g.user,
		Nonce:     nonce,
		Use:       use,
		ClientID:  g.clientID,
		Resource:  resource,
		Scopes:    scopes,
		UTI:       randomID(),
	}
}

func (i *Issuer) sign(c *claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// errTokenExpired reports a correctly signed token past its exp.
type errTokenExpired struct{ expires time.Time }

func (e errTokenExpired) Error() string {
	return "token expired at " + e.expires.UTC().Format(time.RFC3339)
}

// parse verifies the signature of raw and decodes it. It checks exp and
// nbf itself (so expiry is reported distinctly) and that the token's use
// matches wantUse ("" for access tokens).
func (i *Issuer) parse(raw, wantUse string) (*claims, error) {
	c := &claims{}
	p := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}), jwt.WithoutClaimsValidation())
	_, err := p.ParseWithClaims(raw, c, func(t *jwt.Token) (any, error) {
		if kid, ok := t.Header["kid"].(string); ok && kid != i.kid {
			return nil, fmt.Errorf("unknown signing key %q", kid)
		}
		return &i.key.PublicKey, nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: verify token: %w", err)
	}
	if c.Use != wantUse {
		return nil, fmt.Errorf("auth: token is a %q, not a %q", c.Use, wantUse)
	}
	if c.Expires == 0 {
		return nil, errors.New("auth: token has no exp claim")
	}
	return i.checkTimes(c)
}

// checkTimes checks a verified token's exp and nbf against the clock.
func (i *Issuer) checkTimes(c *claims) (*claims, error) {
	now := i.now()
	if exp := time.Unix(c.Expires, 0); !now.Before(exp) {
		return c, errTokenExpired{expires: exp}
	}
	if c.NotBefore != 0 && now.Add(5*time.Minute).Before(time.Unix(c.NotBefore, 0)) {
		return nil, errors.New("auth: token not yet valid")
	}
	return c, nil
}

// clientInfo is the base64url JSON {"uid","utid"} MSAL uses to build the
// home account ID of a user.
func clientInfo(oid, tid string) string {
	b, _ := json.Marshal(map[string]string{"uid": oid, "utid": tid})
	return base64.RawURLEncoding.EncodeToString(b)
}

func displayName(upn string) string {
	name, _, _ := strings.Cut(upn, "@")
	return name
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newUUID() string { return uuid.NewString() }

// newUserCode returns a nine-letter device flow user code.
func newUserCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [9]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}
