package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Principal is the caller an access token identifies.
type Principal struct {
	// ObjectID is the oid claim: the service principal's or user's
	// object ID (what role assignments name as principalId).
	ObjectID string
	// TenantID is the tid claim.
	TenantID string
	// AppID is the appid claim: the client (application) ID.
	AppID string
	// Type is IdentityApp (service principals, managed identities) or
	// IdentityUser.
	Type string
	// UserPrincipalName is set for users.
	UserPrincipalName string
	// ManagedIdentityResourceID is the xms_mirid claim of user-assigned
	// managed identity tokens requested by resource ID.
	ManagedIdentityResourceID string
	// Audience is the aud claim (not checked by Authenticate).
	Audience string
	// ExpiresOn is the exp claim.
	ExpiresOn time.Time
}

// ARM error codes Authenticate returns.
const (
	CodeAuthenticationFailed          = "AuthenticationFailed"
	CodeAuthenticationFailedBadHeader = "AuthenticationFailedInvalidHeader"
	CodeInvalidAuthenticationToken    = "InvalidAuthenticationToken"
	CodeExpiredAuthenticationToken    = "ExpiredAuthenticationToken"
)

// Error is an authentication failure in ARM's terms: the ARM front end
// renders it as {"error":{"code":Code,"message":Message}} with status
// Status, the x-ms-failure-cause header "gateway" and the
// WWW-Authenticate header from WWWAuthenticate.
type Error struct {
	Status  int
	Code    string
	Message string
	// TenantID is the tenant the client should authenticate against
	// (the token's tid when readable, else the default tenant).
	TenantID string
	// Err is the underlying cause, for logs; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// WWWAuthenticate returns the WWW-Authenticate header value ARM sends with
// this error. loginEndpoint is the authority host without a trailing
// slash, e.g. "https://127.0.0.1:8443".
func (e *Error) WWWAuthenticate(loginEndpoint string) string {
	return `Bearer authorization_uri="` + strings.TrimRight(loginEndpoint, "/") + "/" + e.TenantID +
		`", error="invalid_token", error_description="` + strings.ReplaceAll(e.Message, `"`, `'`) + `"`
}

// azureTimeLayout is how ARM prints UTC times in messages ("M/d/yyyy h:mm:ss tt").
const azureTimeLayout = "1/2/2006 3:04:05 PM"

// Authenticate verifies the bearer token of r (RS256 signature by this
// issuer and expiry) and returns its principal. Failures are *Error with
// ARM's code, message and status (always 401).
func (i *Issuer) Authenticate(r *http.Request) (Principal, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 || (len(values) == 1 && strings.TrimSpace(values[0]) == "") {
		return Principal{}, i.authError(CodeAuthenticationFailed,
			"Authentication failed. The 'Authorization' header is missing.", "", nil)
	}
	if len(values) > 1 {
		return Principal{}, i.authError(CodeAuthenticationFailedBadHeader,
			"Authentication failed. The 'Authorization' header is provided in an invalid format.", "", nil)
	}
	scheme, raw, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" || strings.ContainsAny(raw, " \t") {
		return Principal{}, i.authError(CodeAuthenticationFailedBadHeader,
			"Authentication failed. The 'Authorization' header is provided in an invalid format.", "", nil)
	}
	c, err := i.verifyAccessToken(raw)
	var expired errTokenExpired
	switch {
	case errors.As(err, &expired):
		return Principal{}, i.authError(CodeExpiredAuthenticationToken,
			"The access token expiry UTC time '"+expired.expires.UTC().Format(azureTimeLayout)+
				"' is earlier than current UTC time '"+i.now().UTC().Format(azureTimeLayout)+"'.",
			c.TenantID, err)
	case err != nil:
		return Principal{}, i.authError(CodeInvalidAuthenticationToken, "The access token is invalid.", "", err)
	case c.ObjectID == "" || c.TenantID == "" || c.AppID == "":
		return Principal{}, i.authError(CodeInvalidAuthenticationToken, "The access token is invalid.", c.TenantID,
			errors.New("auth: token lacks oid, tid or appid"))
	}
	return Principal{
		ObjectID:                  c.ObjectID,
		TenantID:                  c.TenantID,
		AppID:                     c.AppID,
		Type:                      c.IDType,
		UserPrincipalName:         c.UPN,
		ManagedIdentityResourceID: c.MIResource,
		Audience:                  c.Audience,
		ExpiresOn:                 time.Unix(c.Expires, 0),
	}, nil
}

func (i *Issuer) authError(code, msg, tenant string, cause error) *Error {
	if !isGUID(tenant) {
		tenant = i.defaultTenant
	}
	return &Error{Status: http.StatusUnauthorized, Code: code, Message: msg, TenantID: tenant, Err: cause}
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal NewContext stored in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// verifiedCacheSize bounds the cache of verified access tokens.
const verifiedCacheSize = 4096

// verifiedTokens remembers access tokens whose signature was verified, so
// that the RS256 check (about 50 µs, a quarter of the CPU of a GET) runs
// once per token rather than once per request; expiry is still checked on
// every request.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]*claims
}

// verifyAccessToken is parse(raw, "") with a cache of verified tokens.
func (i *Issuer) verifyAccessToken(raw string) (*claims, error) {
	i.verified.mu.Lock()
	c, ok := i.verified.m[raw]
	i.verified.mu.Unlock()
	if ok {
		return i.checkTimes(c)
	}
	c, err := i.parse(raw, "")
	if err != nil {
		return c, err
	}
	i.verified.mu.Lock()
	if i.verified.m == nil || len(i.verified.m) >= verifiedCacheSize {
		i.verified.m = make(map[string]*claims)
	}
	i.verified.m[raw] = c
	i.verified.mu.Unlock()
	return c, nil
}
