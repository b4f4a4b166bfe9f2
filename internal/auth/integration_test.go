package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/pki"
)

const (
	defaultTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID      = "5d4c3b2a-1f0e-4d9c-8b7a-695847362514"
)

// recorded is one request the emulator saw.
type recorded struct {
	Method string
	Path   string
	Form   url.Values
	Header http.Header
}

// emulator is a loopback HTTPS server with the identity endpoints and a
// minimal ARM endpoint (GET /subscriptions) guarded by Authenticate.
type emulator struct {
	srv    *httptest.Server
	issuer *auth.Issuer
	client *http.Client

	mu   sync.Mutex
	seen []recorded
}

func startEmulator(t *testing.T) *emulator {
	t.Helper()
	serving, err := pki.EnsureServing(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := auth.NewIssuer(t.TempDir(), defaultTenant, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e := &emulator{issuer: issuer}
	identity := issuer.Handler(nil)
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		e.mu.Lock()
		e.seen = append(e.seen, recorded{Method: r.Method, Path: r.URL.Path, Form: form, Header: r.Header.Clone()})
		e.mu.Unlock()
		if identity.Handles(r) {
			identity.ServeHTTP(w, r)
			return
		}
		p, err := issuer.Authenticate(r)
		var ae *auth.Error
		if errors.As(err, &ae) {
			w.Header().Set("WWW-Authenticate", ae.WWWAuthenticate(auth.RequestBaseURL(r)))
			w.Header().Set("x-ms-error-code", ae.Code)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ae.Status)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": ae.Code, "message": ae.Message}})
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []any{}, "principal": p})
	}))
	e.srv.TLS = serving.TLSConfig()
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.client = &http.Client{Transport: &http.Transport{TLSClientConfig: serving.ClientTLSConfig()}}
	return e
}

func (e *emulator) requests() []recorded {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.seen)
}

func (e *emulator) reset() {
	e.mu.Lock()
	e.seen = nil
	e.mu.Unlock()
}

func (e *emulator) authenticate(t *testing.T, token string) auth.Principal {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, e.srv.URL+"/subscriptions", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	p, err := e.issuer.Authenticate(r)
	if err != nil {
		t.Fatalf("Authenticate rejected the SDK's token: %v", err)
	}
	return p
}

// TestAzidentityClientSecretCredential drives the real azidentity (MSAL)
// client-credentials flow against the emulator and checks what MSAL asks
// for on the wire.
func TestAzidentityClientSecretCredential(t *testing.T) {
	e := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, tenant := range []string{defaultTenant, "0f0e0d0c-0b0a-4909-8807-060504030201"} {
		t.Run(tenant, func(t *testing.T) {
			e.reset()
			cred, err := azidentity.NewClientSecretCredential(tenant, clientID, "any-secret", &azidentity.ClientSecretCredentialOptions{
				ClientOptions: azcore.ClientOptions{
					Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.srv.URL + "/"},
					Transport: e.client,
				},
				DisableInstanceDiscovery: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			scope := e.srv.URL + "/.default"
			tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if until := time.Until(tok.ExpiresOn); until < 50*time.Minute || until > 61*time.Minute {
				t.Errorf("ExpiresOn in %v, want about an hour", until)
			}
			p := e.authenticate(t, tok.Token)
			if p.TenantID != tenant || p.AppID != clientID || p.ObjectID != auth.ObjectIDForApp(tenant, clientID) || p.Audience != e.srv.URL {
				t.Errorf("principal = %+v", p)
			}

			// What MSAL sent: tenant discovery, then one token request.
			reqs := e.requests()
			if len(reqs) != 2 {
				t.Fatalf("requests = %+v", reqs)
			}
			if reqs[0].Method != http.MethodGet || reqs[0].Path != "/"+tenant+"/v2.0/.well-known/openid-configuration" {
				t.Errorf("first request %s %s", reqs[0].Method, reqs[0].Path)
			}
			tr := reqs[1]
			t.Logf("MSAL sent: GET %s, then POST %s grant_type=%s scope=%q (form keys %v)", reqs[0].Path, tr.Path,
				tr.Form.Get("grant_type"), tr.Form.Get("scope"), slices.Sorted(maps.Keys(tr.Form)))
			if tr.Method != http.MethodPost || tr.Path != "/"+tenant+"/oauth2/v2.0/token" {
				t.Errorf("second request %s %s", tr.Method, tr.Path)
			}
			if tr.Form.Get("grant_type") != "client_credentials" || tr.Form.Get("client_id") != clientID || tr.Form.Get("client_secret") != "any-secret" {
				t.Errorf("token form = %v", tr.Form)
			}
			if got := strings.Fields(tr.Form.Get("scope")); !slices.Contains(got, scope) {
				t.Errorf("scope = %q", tr.Form.Get("scope"))
			}

			// The token is cached: no further request.
			if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.requests()); n != 2 {
				t.Errorf("second GetToken made %d more requests", n-2)
			}
		})
	}
}

// TestAzidentityADFSAuthority runs MSAL against the /adfs authority: the
// route azure-cli 2.45 takes offline (endpoint_active_directory ending in
// /adfs makes MSAL skip instance discovery).
func TestAzidentityADFSAuthority(t *testing.T) {
	e := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cred, err := azidentity.NewClientSecretCredential("adfs", clientID, "s", &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.srv.URL + "/"},
			Transport: e.client,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// azure-cli turns the resource "https://host/" into the scope "https://host//.default".
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{e.srv.URL + "//.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	p := e.authenticate(t, tok.Token)
	if p.TenantID != defaultTenant || p.AppID != clientID || p.Audience != e.srv.URL+"/" {
		t.Errorf("principal = %+v", p)
	}
	var paths []string
	for _, r := range e.requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{"GET /adfs/.well-known/openid-configuration", "POST /adfs/oauth2/token"}
	if !slices.Equal(paths, want) {
		t.Errorf("requests = %v, want %v", paths, want)
	}
}

// TestAzidentityUserCredentials drives MSAL's public-client flows: the
// device code flow (approved at once) and username/password (home realm
// discovery, then the password grant). MSAL parses the ID token and
// client_info of these responses to build the signed-in account.
func TestAzidentityUserCredentials(t *testing.T) {
	e := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.srv.URL + "/"},
		Transport: e.client,
	}
	scope := e.srv.URL + "//.default"

	t.Run("device code", func(t *testing.T) {
		e.reset()
		var prompted string
		cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions:            cfg,
			TenantID:                 "organizations",
			ClientID:                 clientID,
			DisableInstanceDiscovery: true,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				prompted = m.Message
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		if prompted == "" {
			t.Error("no device code prompt")
		}
		p := e.authenticate(t, tok.Token)
		if p.Type != auth.IdentityUser || p.UserPrincipalName != auth.DefaultUser || p.TenantID != defaultTenant {
			t.Errorf("principal = %+v", p)
		}
		var paths []string
		for _, r := range e.requests() {
			paths = append(paths, r.Method+" "+r.Path)
		}
		want := []string{
			"GET /organizations/v2.0/.well-known/openid-configuration",
			"POST /organizations/oauth2/v2.0/devicecode",
			"POST /organizations/oauth2/v2.0/token",
		}
		if !slices.Equal(paths, want) {
			t.Errorf("requests = %v, want %v", paths, want)
		}
	})

	t.Run("username password", func(t *testing.T) {
		e.reset()
		cred, err := azidentity.NewUsernamePasswordCredential(defaultTenant, clientID, "frank@contoso.com", "pw",
			&azidentity.UsernamePasswordCredentialOptions{ //lint:ignore SA1019 deprecated upstream, still used by scripts
				ClientOptions: cfg, DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		p := e.authenticate(t, tok.Token)
		if p.UserPrincipalName != "frank@contoso.com" || p.ObjectID != auth.ObjectIDForUser(defaultTenant, "frank@contoso.com") {
			t.Errorf("principal = %+v", p)
		}
		var paths []string
		for _, r := range e.requests() {
			paths = append(paths, r.Method+" "+r.Path)
		}
		want := []string{
			"GET /" + defaultTenant + "/v2.0/.well-known/openid-configuration",
			"GET /common/UserRealm/frank@contoso.com",
			"POST /" + defaultTenant + "/oauth2/v2.0/token",
		}
		if !slices.Equal(paths, want) {
			t.Errorf("requests = %v, want %v", paths, want)
		}
	})
}

// TestAzcoreARMPipeline sends an ARM request through azcore's ARM pipeline
// (bearer token policy, TLS check) and has the server authenticate it.
func TestAzcoreARMPipeline(t *testing.T) {
	e := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: e.srv.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: e.srv.URL, Audience: e.srv.URL},
		},
	}
	cred, err := azidentity.NewClientSecretCredential(defaultTenant, clientID, "s", &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cfg, Transport: e.client},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := arm.NewClient("privlink-test", "v0.0.1", cred, &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{Cloud: cfg, Transport: e.client},
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, e.srv.URL+"/subscriptions?api-version=2022-12-01")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Principal auth.Principal `json:"principal"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body.Principal.ObjectID != auth.ObjectIDForApp(defaultTenant, clientID) {
		t.Fatalf("status %d, principal %+v", resp.StatusCode, body.Principal)
	}

	// Without a credential the server answers ARM's 401.
	plain, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/subscriptions?api-version=2022-12-01", nil)
	if err != nil {
		t.Fatal(err)
	}
	r401, err := e.client.Do(plain)
	if err != nil {
		t.Fatal(err)
	}
	_ = r401.Body.Close()
	if r401.StatusCode != http.StatusUnauthorized || r401.Header.Get("x-ms-error-code") != auth.CodeAuthenticationFailed ||
		!strings.HasPrefix(r401.Header.Get("WWW-Authenticate"), `Bearer authorization_uri="`+e.srv.URL+"/"+defaultTenant+`"`) {
		t.Fatalf("401: %d %v", r401.StatusCode, r401.Header)
	}
}

// TestAzidentityManagedIdentity uses the real ManagedIdentityCredential
// with the Cloud Shell (MSI_ENDPOINT) and App Service (IDENTITY_ENDPOINT)
// sources pointed at the emulator's managed identity endpoint.
func TestAzidentityManagedIdentity(t *testing.T) {
	e := startEmulator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	endpoint := e.srv.URL + "/metadata/identity/oauth2/token"
	scope := e.srv.URL + "/.default"

	t.Run("cloud shell, system assigned", func(t *testing.T) {
		t.Setenv("IDENTITY_ENDPOINT", "")
		t.Setenv("IDENTITY_HEADER", "")
		t.Setenv("MSI_SECRET", "")
		t.Setenv("MSI_ENDPOINT", endpoint)
		e.reset()
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: e.client},
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		p := e.authenticate(t, tok.Token)
		if p.AppID != auth.SystemAssignedClientID(defaultTenant) || p.TenantID != defaultTenant {
			t.Errorf("principal = %+v", p)
		}
		reqs := e.requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Header.Get("Metadata") != "true" || reqs[0].Form.Get("resource") != e.srv.URL {
			t.Errorf("requests = %+v", reqs)
		}
	})

	t.Run("app service, user assigned client ID", func(t *testing.T) {
		t.Setenv("MSI_ENDPOINT", "")
		t.Setenv("IDENTITY_SERVER_THUMBPRINT", "")
		t.Setenv("IDENTITY_ENDPOINT", endpoint)
		t.Setenv("IDENTITY_HEADER", "header-secret")
		e.reset()
		uami := "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: e.client},
			ID:            azidentity.ClientID(uami),
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			t.Fatalf("GetToken: %v", err)
		}
		p := e.authenticate(t, tok.Token)
		if p.AppID != uami || p.ObjectID != auth.ObjectIDForApp(defaultTenant, uami) {
			t.Errorf("principal = %+v", p)
		}
		reqs := e.requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Header.Get("X-IDENTITY-HEADER") != "header-secret" {
			t.Errorf("requests = %+v", reqs)
		}
	})
}
