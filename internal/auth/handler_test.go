package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestHandlerEndpoints(t *testing.T) {
	iss := newTestIssuer(t)
	h := testHandler(iss)
	appOID := ObjectIDForApp(testTenant, testClient)

	tests := []struct {
		name       string
		call       call
		wantStatus int
		check      func(t *testing.T, hdr http.Header, body map[string]any)
	}{
		{
			name:       "cloud metadata 2022-09-01",
			call:       call{method: "GET", path: "/metadata/endpoints?api-version=2022-09-01"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				want := map[string][]string{
					testBase + "/":         {"resourceManager"},
					testBase:               {"authentication", "loginEndpoint"},
					"common":               {"authentication", "tenant"},
					"AAD":                  {"authentication", "identityProvider"},
					"privlink":             {"name"},
					testBase + "/graph/":   {"microsoftGraphResourceId"},
					"core.windows.net":     {"suffixes", "storage"},
					"vault.azure.net":      {"suffixes", "keyVaultDns"},
					"database.windows.net": {"suffixes", "sqlServerHostname"},
				}
				for v, path := range want {
					if got := str(b, path...); got != v {
						t.Errorf("%v = %q, want %q", path, got, v)
					}
				}
				auds, _ := b["authentication"].(map[string]any)["audiences"].([]any)
				if len(auds) == 0 || auds[0] != testBase+"/" {
					t.Errorf("audiences = %v", auds)
				}
				// Fields older azure-cli versions index without a default.
				for _, k := range []string{"galleryEndpoint", "graphEndpoint", "graphAudience", "sqlManagement", "batch", "gallery", "vmImageAliasDoc", "media"} {
					if str(b, k) == "" {
						t.Errorf("%s missing", k)
					}
				}
			},
		},
		{
			name:       "cloud metadata 2019-05-01 is a list",
			call:       call{method: "GET", path: "/metadata/endpoints?api-version=2019-05-01"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				list, _ := b["_list"].([]any)
				if len(list) != 1 || list[0].(map[string]any)["name"] != "privlink" {
					t.Errorf("list = %v", b)
				}
			},
		},
		{
			name:       "cloud metadata rejects POST",
			call:       call{method: "POST", path: "/metadata/endpoints", form: form()},
			wantStatus: 405,
		},
		{
			name:       "openid v2 common",
			call:       call{method: "GET", path: "/common/v2.0/.well-known/openid-configuration"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				want := map[string]string{
					"token_endpoint":                testBase + "/common/oauth2/v2.0/token",
					"authorization_endpoint":        testBase + "/common/oauth2/v2.0/authorize",
					"device_authorization_endpoint": testBase + "/common/oauth2/v2.0/devicecode",
					"jwks_uri":                      testBase + "/common/discovery/v2.0/keys",
					"issuer":                        testBase + "/" + testTenant + "/v2.0",
				}
				for k, v := range want {
					if got := str(b, k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			},
		},
		{
			name:       "openid v2 GUID tenant kept",
			call:       call{method: "GET", path: "/" + otherGUID + "/v2.0/.well-known/openid-configuration"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if got := str(b, "issuer"); got != testBase+"/"+otherGUID+"/v2.0" {
					t.Errorf("issuer = %q", got)
				}
				if got := str(b, "token_endpoint"); got != testBase+"/"+otherGUID+"/oauth2/v2.0/token" {
					t.Errorf("token_endpoint = %q", got)
				}
			},
		},
		{
			name:       "openid v1 domain alias",
			call:       call{method: "GET", path: "/contoso.onmicrosoft.com/.well-known/openid-configuration"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if got := str(b, "issuer"); got != "https://sts.windows.net/"+testTenant+"/" {
					t.Errorf("issuer = %q", got)
				}
				if got := str(b, "token_endpoint"); got != testBase+"/contoso.onmicrosoft.com/oauth2/token" {
					t.Errorf("token_endpoint = %q", got)
				}
				if got := str(b, "jwks_uri"); got != testBase+"/contoso.onmicrosoft.com/discovery/keys" {
					t.Errorf("jwks_uri = %q", got)
				}
			},
		},
		{
			name:       "openid adfs",
			call:       call{method: "GET", path: "/adfs/.well-known/openid-configuration"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				want := map[string]string{
					"issuer":                 testBase + "/adfs",
					"token_endpoint":         testBase + "/adfs/oauth2/token",
					"authorization_endpoint": testBase + "/adfs/oauth2/authorize",
					"jwks_uri":               testBase + "/adfs/discovery/keys",
				}
				for k, v := range want {
					if got := str(b, k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			},
		},
		{
			name:       "jwks",
			call:       call{method: "GET", path: "/common/discovery/v2.0/keys"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				keys, _ := b["keys"].([]any)
				if len(keys) != 1 {
					t.Fatalf("keys = %v", b)
				}
				k := keys[0].(map[string]any)
				if k["kty"] != "RSA" || k["kid"] != iss.KeyID() || k["e"] != "AQAB" || k["n"] == "" {
					t.Errorf("key = %v", k)
				}
			},
		},
		{
			name: "v2 client credentials",
			call: call{method: "POST", path: "/" + testTenant + "/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "anything",
				"scope", testBase+"/.default openid offline_access profile")},
			wantStatus: 200,
			check: func(t *testing.T, hdr http.Header, b map[string]any) {
				if b["token_type"] != "Bearer" || b["expires_in"] != float64(3600) || b["ext_expires_in"] != float64(3600) {
					t.Errorf("response = %v", b)
				}
				if hdr.Get("Cache-Control") == "" {
					t.Error("no Cache-Control")
				}
				c := jwtClaims(t, str(b, "access_token"))
				want := map[string]string{
					"aud": testBase, "iss": "https://sts.windows.net/" + testTenant + "/", "tid": testTenant,
					"oid": appOID, "sub": appOID, "appid": testClient, "idtyp": "app", "ver": "1.0", "appidacr": "1",
				}
				for k, v := range want {
					if got := str(c, k); got != v {
						t.Errorf("claim %s = %q, want %q", k, got, v)
					}
				}
				if c["exp"].(float64)-c["iat"].(float64) != 3600 || c["nbf"] == nil {
					t.Errorf("times: %v", c)
				}
			},
		},
		{
			name: "v2 client credentials, alias tenant, ARM double-slash scope",
			call: call{method: "POST", path: "/organizations/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "x",
				"scope", "https://management.core.windows.net//.default")},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				c := jwtClaims(t, str(b, "access_token"))
				if c["aud"] != "https://management.core.windows.net/" || c["tid"] != testTenant {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "client secret in basic auth",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "scope", testBase+"/.default"),
				header: map[string]string{"Authorization": "Basic NWQ0YzNiMmEtMWYwZS00ZDljLThiN2EtNjk1ODQ3MzYyNTE0OnM="}},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if c := jwtClaims(t, str(b, "access_token")); c["appid"] != testClient {
					t.Errorf("appid = %v", c["appid"])
				}
			},
		},
		{
			name: "client assertion",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "scope", testBase+"/.default",
				"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", "a.b.c")},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if c := jwtClaims(t, str(b, "access_token")); c["appidacr"] != "2" {
					t.Errorf("appidacr = %v", c["appidacr"])
				}
			},
		},
		{
			name: "missing client_id",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_secret", "x", "scope", testBase+"/.default"),
				header: map[string]string{"client-request-id": "c0ffee00-0000-0000-0000-000000000000"}},
			wantStatus: 400,
			check: func(t *testing.T, hdr http.Header, b map[string]any) {
				if b["error"] != "invalid_request" {
					t.Errorf("error = %v", b["error"])
				}
				if !strings.HasPrefix(str(b, "error_description"), "AADSTS900144: The request body must contain the following parameter: 'client_id'.\r\nTrace ID: ") {
					t.Errorf("description = %q", b["error_description"])
				}
				codes, _ := b["error_codes"].([]any)
				if len(codes) != 1 || codes[0] != float64(900144) {
					t.Errorf("error_codes = %v", b["error_codes"])
				}
				if b["correlation_id"] != "c0ffee00-0000-0000-0000-000000000000" || hdr.Get("client-request-id") == "" {
					t.Errorf("correlation id not echoed: %v", b["correlation_id"])
				}
				if str(b, "trace_id") == "" || str(b, "timestamp") == "" {
					t.Error("trace_id/timestamp missing")
				}
			},
		},
		{
			name:       "missing grant_type",
			call:       call{method: "POST", path: "/common/oauth2/v2.0/token", form: form("client_id", testClient)},
			wantStatus: 400,
			check:      wantSTS("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'."),
		},
		{
			name: "missing scope",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "x", "scope", "openid profile")},
			wantStatus: 400,
			check:      wantSTS("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'."),
		},
		{
			name: "client credentials without /.default",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "x", "scope", testBase+"/user_impersonation")},
			wantStatus: 400,
			check:      wantSTS("invalid_scope", "AADSTS1002012: The provided value for scope "+testBase+"/user_impersonation is not valid."),
		},
		{
			name: "client credentials without secret",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "scope", testBase+"/.default")},
			wantStatus: 401,
			check:      wantSTS("invalid_client", "AADSTS7000216: "),
		},
		{
			name:       "unsupported grant",
			call:       call{method: "POST", path: "/common/oauth2/v2.0/token", form: form("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id", testClient)},
			wantStatus: 400,
			check:      wantSTS("unsupported_grant_type", "AADSTS70003: "),
		},
		{
			name:       "token endpoint rejects GET",
			call:       call{method: "GET", path: "/common/oauth2/v2.0/token"},
			wantStatus: 400,
			check:      wantSTS("invalid_request", "AADSTS900561: The endpoint only accepts POST requests. Received a GET request."),
		},
		{
			name: "v1 client credentials with resource",
			call: call{method: "POST", path: "/" + otherGUID + "/oauth2/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "x", "resource", testBase+"/")},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if b["expires_in"] != "3600" || b["resource"] != testBase+"/" || str(b, "expires_on") == "" || str(b, "not_before") == "" {
					t.Errorf("v1 response = %v", b)
				}
				c := jwtClaims(t, str(b, "access_token"))
				if c["tid"] != otherGUID || c["oid"] != ObjectIDForApp(otherGUID, testClient) || c["aud"] != testBase+"/" {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "adfs client credentials (azure-cli recipe)",
			call: call{method: "POST", path: "/adfs/oauth2/token", form: form(
				"grant_type", "client_credentials", "client_id", testClient, "client_secret", "x", "scope", testBase+"//.default")},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if b["expires_in"] != float64(3600) || b["resource"] != testBase+"/" {
					t.Errorf("adfs response = %v", b)
				}
				if c := jwtClaims(t, str(b, "access_token")); c["tid"] != testTenant || c["aud"] != testBase+"/" {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "password grant",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "password", "client_id", testClient, "username", "alice@contoso.com", "password", "pw",
				"scope", testBase+"//.default openid offline_access profile", "client_info", "1")},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info"} {
					if str(b, k) == "" {
						t.Errorf("%s missing", k)
					}
				}
				if b["scope"] != testBase+"//.default" {
					t.Errorf("scope = %v", b["scope"])
				}
				c := jwtClaims(t, str(b, "access_token"))
				uoid := ObjectIDForUser(testTenant, "alice@contoso.com")
				if c["idtyp"] != "user" || c["upn"] != "alice@contoso.com" || c["oid"] != uoid || c["appid"] != testClient || c["scp"] != "user_impersonation" {
					t.Errorf("claims = %v", c)
				}
				id := jwtClaims(t, str(b, "id_token"))
				if id["aud"] != testClient || id["iss"] != testBase+"/"+testTenant+"/v2.0" || id["preferred_username"] != "alice@contoso.com" {
					t.Errorf("id token = %v", id)
				}
			},
		},
		{
			name: "password grant without password",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "password", "client_id", testClient, "username", "alice@contoso.com", "scope", "openid")},
			wantStatus: 400,
			check:      wantSTS("invalid_request", "AADSTS900144: The request body must contain the following parameter: 'password'."),
		},
		{
			name: "refresh grant with garbage",
			call: call{method: "POST", path: "/common/oauth2/v2.0/token", form: form(
				"grant_type", "refresh_token", "client_id", testClient, "refresh_token", "nope")},
			wantStatus: 400,
			check:      wantSTS("invalid_grant", "AADSTS9002313: "),
		},
		{
			name:       "managed identity without Metadata header",
			call:       call{method: "GET", path: "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + url.QueryEscape(testBase+"/")},
			wantStatus: 400,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if b["error"] != "invalid_request" || b["error_description"] != "Required metadata header not specified" {
					t.Errorf("body = %v", b)
				}
			},
		},
		{
			name:       "managed identity without resource",
			call:       call{method: "GET", path: "/metadata/identity/oauth2/token?api-version=2018-02-01", header: map[string]string{"Metadata": "true"}},
			wantStatus: 400,
		},
		{
			name: "managed identity IMDS GET, system assigned",
			call: call{method: "GET", path: "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + url.QueryEscape(testBase+"/"),
				header: map[string]string{"Metadata": "true"}},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				for _, k := range []string{"access_token", "expires_in", "expires_on", "resource", "token_type", "client_id"} {
					if str(b, k) == "" {
						t.Errorf("%s missing or not a string: %v", k, b[k])
					}
				}
				sys := SystemAssignedClientID(testTenant)
				c := jwtClaims(t, str(b, "access_token"))
				if c["appid"] != sys || c["oid"] != ObjectIDForApp(testTenant, sys) || c["aud"] != testBase+"/" || c["idtyp"] != "app" {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "managed identity IMDS GET, user assigned by client_id",
			call: call{method: "GET", path: "/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=" + testClient + "&resource=" + url.QueryEscape(testBase),
				header: map[string]string{"Metadata": "true"}},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if c := jwtClaims(t, str(b, "access_token")); c["appid"] != testClient || c["oid"] != appOID {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "managed identity Cloud Shell POST, by resource ID",
			call: call{method: "POST", path: "/metadata/identity/oauth2/token",
				form:   form("resource", testBase+"/", "mi_res_id", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"),
				header: map[string]string{"Metadata": "true"}},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				rid := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
				c := jwtClaims(t, str(b, "access_token"))
				if c["appid"] != ManagedIdentityClientID(testTenant, rid) || c["xms_mirid"] != rid {
					t.Errorf("claims = %v", c)
				}
			},
		},
		{
			name: "managed identity two selectors",
			call: call{method: "GET", path: "/metadata/identity/oauth2/token?resource=x&client_id=a&object_id=b",
				header: map[string]string{"Metadata": "true"}},
			wantStatus: 400,
		},
		{
			name: "managed identity App Service header",
			call: call{method: "GET", path: "/metadata/identity/oauth2/token?api-version=2019-08-01&resource=" + url.QueryEscape(testBase) + "&principal_id=" + otherGUID,
				header: map[string]string{"X-IDENTITY-HEADER": "secret"}},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if c := jwtClaims(t, str(b, "access_token")); c["oid"] != otherGUID {
					t.Errorf("oid = %v", c["oid"])
				}
			},
		},
		{
			name:       "user realm",
			call:       call{method: "GET", path: "/common/UserRealm/alice@contoso.com?api-version=1.0"},
			wantStatus: 200,
			check: func(t *testing.T, _ http.Header, b map[string]any) {
				if b["account_type"] != "Managed" || b["domain_name"] != "contoso.com" || str(b, "cloud_instance_name") == "" || str(b, "cloud_audience_urn") == "" {
					t.Errorf("realm = %v", b)
				}
			},
		},
		{
			name:       "device login page",
			call:       call{method: "GET", path: "/devicelogin"},
			wantStatus: 200,
		},
		{
			name:       "unknown path",
			call:       call{method: "GET", path: "/subscriptions"},
			wantStatus: 404,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := tt.call.do(t, h)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %v", status, tt.wantStatus, body)
			}
			if tt.check != nil {
				tt.check(t, hdr, body)
			}
		})
	}
}

func wantSTS(code, descPrefix string) func(t *testing.T, _ http.Header, b map[string]any) {
	return func(t *testing.T, _ http.Header, b map[string]any) {
		t.Helper()
		if b["error"] != code {
			t.Errorf("error = %v, want %s", b["error"], code)
		}
		if !strings.HasPrefix(str(b, "error_description"), descPrefix) {
			t.Errorf("error_description = %q, want prefix %q", b["error_description"], descPrefix)
		}
	}
}

func TestTokensAuthenticate(t *testing.T) {
	iss := newTestIssuer(t)
	h := testHandler(iss)
	for _, path := range []string{"/common/oauth2/v2.0/token", "/common/oauth2/token", "/adfs/oauth2/token"} {
		_, _, b := call{method: "POST", path: path, form: form("grant_type", "client_credentials", "client_id", testClient,
			"client_secret", "s", "scope", testBase+"/.default", "resource", testBase+"/")}.do(t, h)
		p, err := iss.Authenticate(bearer(str(b, "access_token")))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if p.ObjectID != ObjectIDForApp(testTenant, testClient) || p.TenantID != testTenant || p.AppID != testClient || p.Type != IdentityApp {
			t.Errorf("%s: principal = %+v", path, p)
		}
	}
}

func TestUserFlows(t *testing.T) {
	iss := newTestIssuer(t, WithDefaultUser("bob@privlink.local"))
	h := testHandler(iss)
	arm := testBase + "//.default"

	t.Run("password then refresh", func(t *testing.T) {
		_, _, first := call{method: "POST", path: "/adfs/oauth2/token", form: form("grant_type", "password", "client_id", testClient,
			"username", "carol@contoso.com", "password", "pw", "scope", arm+" openid offline_access profile")}.do(t, h)
		rt := str(first, "refresh_token")
		if rt == "" {
			t.Fatalf("no refresh token: %v", first)
		}
		if id := jwtClaims(t, str(first, "id_token")); id["iss"] != testBase+"/adfs" {
			t.Errorf("adfs id token iss = %v", id["iss"])
		}
		// Refresh for another resource.
		status, _, second := call{method: "POST", path: "/common/oauth2/v2.0/token", form: form("grant_type", "refresh_token",
			"client_id", testClient, "refresh_token", rt, "scope", "https://graph.test//.default openid")}.do(t, h)
		if status != 200 {
			t.Fatalf("refresh: %d %v", status, second)
		}
		c := jwtClaims(t, str(second, "access_token"))
		if c["upn"] != "carol@contoso.com" || c["aud"] != "https://graph.test/" {
			t.Errorf("refreshed claims = %v", c)
		}
		p, err := iss.Authenticate(bearer(str(second, "access_token")))
		if err != nil || p.Type != IdentityUser || p.UserPrincipalName != "carol@contoso.com" {
			t.Fatalf("authenticate refreshed: %+v, %v", p, err)
		}
		// A refresh token is not an access token.
		if _, err := iss.Authenticate(bearer(rt)); err == nil {
			t.Error("refresh token accepted as bearer")
		}
		if _, err := iss.Authenticate(bearer(str(first, "id_token"))); err == nil {
			t.Error("id token accepted as bearer")
		}
	})

	t.Run("device code", func(t *testing.T) {
		status, _, dc := call{method: "POST", path: "/organizations/oauth2/v2.0/devicecode", form: form("client_id", testClient,
			"scope", arm+" openid offline_access profile")}.do(t, h)
		if status != 200 || str(dc, "user_code") == "" || str(dc, "verification_uri") != testBase+"/devicelogin" || dc["interval"] == nil {
			t.Fatalf("devicecode: %d %v", status, dc)
		}
		status, _, tok := call{method: "POST", path: "/organizations/oauth2/v2.0/token", form: form(
			"grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id", testClient,
			"device_code", str(dc, "device_code"))}.do(t, h)
		if status != 200 {
			t.Fatalf("device token: %d %v", status, tok)
		}
		if c := jwtClaims(t, str(tok, "access_token")); c["upn"] != "bob@privlink.local" || c["aud"] != testBase+"/" {
			t.Errorf("claims = %v", c)
		}
	})

	t.Run("authorization code", func(t *testing.T) {
		q := url.Values{}
		q.Set("client_id", testClient)
		q.Set("response_type", "code")
		q.Set("redirect_uri", "http://localhost:8400/")
		q.Set("scope", arm+" openid offline_access profile")
		q.Set("state", "st8")
		q.Set("nonce", "n0nce")
		q.Set("login_hint", "dave@contoso.com")
		req := httptest.NewRequest("GET", testBase+"/common/oauth2/v2.0/authorize?"+q.Encode(), nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusFound {
			t.Fatalf("authorize: %d %s", rec.Code, rec.Body)
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || loc.Host != "localhost:8400" || loc.Query().Get("state") != "st8" || loc.Query().Get("code") == "" {
			t.Fatalf("redirect = %v (%v)", loc, err)
		}
		status, _, tok := call{method: "POST", path: "/common/oauth2/v2.0/token", form: form("grant_type", "authorization_code",
			"client_id", testClient, "code", loc.Query().Get("code"), "redirect_uri", "http://localhost:8400/",
			"code_verifier", "v", "scope", arm+" openid offline_access profile")}.do(t, h)
		if status != 200 {
			t.Fatalf("code redemption: %d %v", status, tok)
		}
		if id := jwtClaims(t, str(tok, "id_token")); id["nonce"] != "n0nce" || id["preferred_username"] != "dave@contoso.com" {
			t.Errorf("id token = %v", id)
		}
		// Another client cannot redeem the code.
		status, _, _ = call{method: "POST", path: "/common/oauth2/v2.0/token", form: form("grant_type", "authorization_code",
			"client_id", otherGUID, "code", loc.Query().Get("code"))}.do(t, h)
		if status != 400 {
			t.Errorf("foreign client redeemed code: %d", status)
		}
	})
}

func TestHandles(t *testing.T) {
	h := testHandler(newTestIssuer(t))
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/metadata/endpoints?api-version=2022-09-01", true},
		{"POST", "/metadata/endpoints", true},
		{"POST", "/" + testTenant + "/oauth2/v2.0/token", true},
		{"GET", "/common/v2.0/.well-known/openid-configuration", true},
		{"GET", "/adfs/.well-known/openid-configuration", true},
		{"GET", "/metadata/identity/oauth2/token", true},
		{"GET", "/subscriptions", false},
		{"GET", "/subscriptions/" + otherGUID + "/resourceGroups/rg", false},
		{"GET", "/providers/Microsoft.Network/operations", false},
		{"GET", "/", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := h.Handles(r); got != tt.want {
			t.Errorf("Handles(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
	if len(Patterns()) != len(routePatterns) {
		t.Error("Patterns() incomplete")
	}
}
