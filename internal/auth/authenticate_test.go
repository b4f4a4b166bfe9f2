package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAuthenticate(t *testing.T) {
	issued := time.Date(2026, 1, 2, 14, 4, 5, 0, time.UTC)
	now := issued
	clock := func() time.Time { return now }
	iss := newTestIssuer(t, WithClock(clock))
	stranger := newTestIssuer(t)

	valid, _, err := iss.IssueToken(TokenRequest{ClientID: testClient, Audience: testBase + "/"})
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, err := stranger.IssueToken(TokenRequest{ClientID: testClient, Audience: testBase + "/"})
	if err != nil {
		t.Fatal(err)
	}
	userTok, _, err := iss.IssueToken(TokenRequest{TenantID: otherGUID, ClientID: testClient, Audience: testBase + "/", User: "eve@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"oid": "x", "tid": testTenant, "appid": "y", "exp": issued.Add(time.Hour).Unix()})
	hsTok, err := hs.SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"oid": "x", "tid": testTenant, "appid": "y"})
	noneTok, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	const (
		badHeader = "Authentication failed. The 'Authorization' header is provided in an invalid format."
		invalid   = "The access token is invalid."
	)
	tests := []struct {
		name     string
		headers  []string
		at       time.Time
		wantCode string
		wantMsg  string
	}{
		{name: "missing", wantCode: CodeAuthenticationFailed, wantMsg: "Authentication failed. The 'Authorization' header is missing."},
		{name: "empty", headers: []string{""}, wantCode: CodeAuthenticationFailed, wantMsg: "Authentication failed. The 'Authorization' header is missing."},
		{name: "basic scheme", headers: []string{"Basic dXNlcjpwYXNz"}, wantCode: CodeAuthenticationFailedBadHeader, wantMsg: badHeader},
		{name: "bearer without token", headers: []string{"Bearer"}, wantCode: CodeAuthenticationFailedBadHeader, wantMsg: badHeader},
		{name: "bearer two words", headers: []string{"Bearer a b"}, wantCode: CodeAuthenticationFailedBadHeader, wantMsg: badHeader},
		{name: "two headers", headers: []string{"Bearer " + valid, "Bearer " + valid}, wantCode: CodeAuthenticationFailedBadHeader, wantMsg: badHeader},
		{name: "not a JWT", headers: []string{"Bearer abc"}, wantCode: CodeInvalidAuthenticationToken, wantMsg: invalid},
		{name: "other signing key", headers: []string{"Bearer " + foreign}, wantCode: CodeInvalidAuthenticationToken, wantMsg: invalid},
		{name: "HS256", headers: []string{"Bearer " + hsTok}, wantCode: CodeInvalidAuthenticationToken, wantMsg: invalid},
		{name: "alg none", headers: []string{"Bearer " + noneTok}, wantCode: CodeInvalidAuthenticationToken, wantMsg: invalid},
		{name: "tampered", headers: []string{"Bearer " + tamper(valid)}, wantCode: CodeInvalidAuthenticationToken, wantMsg: invalid},
		{
			name: "expired", headers: []string{"Bearer " + valid}, at: issued.Add(2 * time.Hour),
			wantCode: CodeExpiredAuthenticationToken,
			wantMsg:  "The access token expiry UTC time '1/2/2026 3:04:05 PM' is earlier than current UTC time '1/2/2026 4:04:05 PM'.",
		},
		{name: "valid", headers: []string{"Bearer " + valid}},
		{name: "valid, lower-case scheme", headers: []string{"bearer " + valid}},
		{name: "valid user token", headers: []string{"Bearer " + userTok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = issued.Add(time.Minute)
			if !tt.at.IsZero() {
				now = tt.at
			}
			r := httptest.NewRequest(http.MethodGet, "/subscriptions", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			p, err := iss.Authenticate(r)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if p.ObjectID == "" || p.TenantID == "" || p.AppID != testClient {
					t.Fatalf("principal = %+v", p)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not *Error", err)
			}
			if ae.Status != http.StatusUnauthorized || ae.Code != tt.wantCode || ae.Message != tt.wantMsg {
				t.Fatalf("got %d %s %q, want 401 %s %q", ae.Status, ae.Code, ae.Message, tt.wantCode, tt.wantMsg)
			}
		})
	}

	t.Run("principal fields", func(t *testing.T) {
		now = issued.Add(time.Minute)
		p, err := iss.Authenticate(bearer(userTok))
		if err != nil {
			t.Fatal(err)
		}
		want := Principal{
			ObjectID: ObjectIDForUser(otherGUID, "eve@contoso.com"), TenantID: otherGUID, AppID: testClient,
			Type: IdentityUser, UserPrincipalName: "eve@contoso.com", Audience: testBase + "/",
			ExpiresOn: issued.Add(time.Hour),
		}
		if !p.ExpiresOn.Equal(want.ExpiresOn) {
			t.Errorf("ExpiresOn = %v, want %v", p.ExpiresOn, want.ExpiresOn)
		}
		p.ExpiresOn = want.ExpiresOn
		if p != want {
			t.Errorf("principal = %+v\nwant        %+v", p, want)
		}
	})
}

func tamper(token string) string {
	parts := strings.Split(token, ".")
	claims := jwtClaimsRaw(parts[1])
	claims = strings.Replace(claims, `"tid":"`, `"tid":"0`, 1)
	return parts[0] + "." + b64(claims) + "." + parts[2]
}

func TestWWWAuthenticate(t *testing.T) {
	iss := newTestIssuer(t)
	_, err := iss.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	got := ae.WWWAuthenticate(testBase + "/")
	want := `Bearer authorization_uri="` + testBase + "/" + testTenant + `", error="invalid_token", error_description="Authentication failed. The 'Authorization' header is missing."`
	if got != want {
		t.Errorf("WWW-Authenticate =\n%s\nwant\n%s", got, want)
	}

	// An expired token names its own tenant.
	past := time.Now().Add(-3 * time.Hour)
	old := newTestIssuerAt(t, iss, past)
	tok, _, err := old.IssueToken(TokenRequest{TenantID: otherGUID, ClientID: testClient, Audience: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = iss.Authenticate(bearer(tok))
	if !errors.As(err, &ae) || ae.Code != CodeExpiredAuthenticationToken || ae.TenantID != otherGUID {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(ae.WWWAuthenticate(testBase), `authorization_uri="`+testBase+"/"+otherGUID+`"`) {
		t.Errorf("header = %s", ae.WWWAuthenticate(testBase))
	}
}

// newTestIssuerAt is a copy of iss (same key) whose clock reads at.
func newTestIssuerAt(t *testing.T, iss *Issuer, at time.Time) *Issuer {
	t.Helper()
	c := *iss
	c.now = func() time.Time { return at }
	return &c
}

func TestSigningKeyPersists(t *testing.T) {
	dir := t.TempDir()
	first, err := NewIssuer(dir, testTenant, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token.key mode %v", fi.Mode().Perm())
	}
	tok, _, err := first.IssueToken(TokenRequest{ClientID: testClient, Audience: "a"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewIssuer(dir, testTenant, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if first.KeyID() != second.KeyID() {
		t.Fatal("key not reused")
	}
	if _, err := second.Authenticate(bearer(tok)); err != nil {
		t.Fatalf("token from before restart rejected: %v", err)
	}

	if err := os.WriteFile(filepath.Join(dir, SigningKeyFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewIssuer(dir, testTenant, testLogger(t)); err == nil {
		t.Fatal("corrupt key accepted")
	}
	if _, err := NewIssuer(t.TempDir(), "common", testLogger(t)); err == nil {
		t.Fatal("non-GUID default tenant accepted")
	}
}

func TestIdentifiers(t *testing.T) {
	if ObjectIDForApp(testTenant, testClient) != ObjectIDForApp(strings.ToUpper(testTenant), strings.ToUpper(testClient)) {
		t.Error("ObjectIDForApp is case-sensitive")
	}
	if ObjectIDForApp(testTenant, testClient) == ObjectIDForApp(otherGUID, testClient) {
		t.Error("ObjectIDForApp ignores the tenant")
	}
	if ObjectIDForApp(testTenant, "x") == ObjectIDForUser(testTenant, "x") {
		t.Error("app and user object IDs collide")
	}
	if !isGUID(ManagedIdentityClientID(testTenant, "/subscriptions/s")) || !isGUID(SystemAssignedClientID(testTenant)) {
		t.Error("derived client IDs are not GUIDs")
	}
	tests := map[string]string{
		"common":                   testTenant,
		"organizations":            testTenant,
		"consumers":                testTenant,
		"adfs":                     testTenant,
		"contoso.onmicrosoft.com":  testTenant,
		otherGUID:                  otherGUID,
		strings.ToUpper(otherGUID): otherGUID,
		"{" + otherGUID + "}":      testTenant,
	}
	for seg, want := range tests {
		if got := ResolveTenant(seg, testTenant); got != want {
			t.Errorf("ResolveTenant(%q) = %q, want %q", seg, got, want)
		}
	}
}

// A token verified once is served from the cache, but still expires.
func TestVerifiedTokenCacheKeepsExpiry(t *testing.T) {
	iss := newTestIssuer(t)
	tok, _, err := iss.IssueToken(TokenRequest{TenantID: testTenant, ClientID: testClient, Audience: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := iss.Authenticate(bearer(tok)); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
	}
	later := newTestIssuerAt(t, iss, time.Now().Add(48*time.Hour))
	var ae *Error
	if _, err := later.Authenticate(bearer(tok)); !errors.As(err, &ae) || ae.Code != CodeExpiredAuthenticationToken {
		t.Fatalf("cached token past its expiry: %v", err)
	}
	// A tampered copy of a cached token is not a cache hit. The signature
	// is changed well inside its base64url text: its last characters
	// carry padding bits a decoder may ignore, so replacing them can leave
	// the signature as it was.
	i := len(tok) - 10
	sub := byte('A')
	if tok[i] == sub {
		sub = 'B'
	}
	tampered := tok[:i] + string(sub) + tok[i+1:]
	if _, err := iss.Authenticate(bearer(tampered)); !errors.As(err, &ae) || ae.Code != CodeInvalidAuthenticationToken {
		t.Fatalf("tampered token: %v", err)
	}
}
