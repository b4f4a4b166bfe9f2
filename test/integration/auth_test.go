package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
)

// armError is ARM's error envelope.
type armError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// bogusCred hands the SDK a token the daemon never issued.
type bogusCred struct{ token string }

func (b bogusCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: b.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestAuthenticationAtTheBoundary: every ARM request must carry a bearer
// token the daemon issued; failures get ARM's 401 envelope, error code
// header and WWW-Authenticate challenge, and write nothing.
func TestAuthenticationAtTheBoundary(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := daemonClient(t, d)
	rg := c.Endpoint + "/subscriptions/" + c.Subscription + "/resourcegroups/rg-auth?api-version=2021-04-01"

	good := c.token(t)
	// The same token with the first character of its signature altered.
	sig := strings.LastIndex(good, ".") + 1
	flipped := byte('A')
	if good[sig] == 'A' {
		flipped = 'B'
	}
	tampered := good[:sig] + string(flipped) + good[sig+1:]

	for _, tc := range []struct {
		name, authorization string
		code, message       string
	}{
		{"missing", "", "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."},
		{"garbage bearer", "Bearer not-a-token", "InvalidAuthenticationToken", "The access token is invalid."},
		{"tampered signature", "Bearer " + tampered, "InvalidAuthenticationToken", "The access token is invalid."},
		{"not bearer", "Basic dXNlcjpwYXNz", "AuthenticationFailedInvalidHeader",
			"Authentication failed. The 'Authorization' header is provided in an invalid format."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(t, http.MethodPut, rg, tc.authorization, `{"location":"westeurope"}`)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			var e armError
			if err := json.Unmarshal(r.Body, &e); err != nil {
				t.Fatalf("body %s: %v", r.Body, err)
			}
			if e.Error.Code != tc.code || e.Error.Message != tc.message {
				t.Errorf("error = %+v, want %s %q", e.Error, tc.code, tc.message)
			}
			if got := r.Header.Get("x-ms-error-code"); got != tc.code {
				t.Errorf("x-ms-error-code = %q", got)
			}
			if got := r.Header.Get("x-ms-failure-cause"); got != "gateway" {
				t.Errorf("x-ms-failure-cause = %q", got)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
			}
			www := r.Header.Get("WWW-Authenticate")
			wantPrefix := `Bearer authorization_uri="` + c.Endpoint + "/" + c.Tenant + `", error="invalid_token"`
			if !strings.HasPrefix(www, wantPrefix) {
				t.Errorf("WWW-Authenticate = %q, want prefix %q", www, wantPrefix)
			}
		})
	}
	// None of the refused PUTs wrote anything.
	if r := c.do(t, http.MethodGet, rg, "Bearer "+good, ""); r.Status != http.StatusNotFound {
		t.Fatalf("refused PUT wrote the group: %d %s", r.Status, r.Body)
	}

	// The SDK surfaces the 401 as a ResponseError with ARM's code.
	groups, err := armresources.NewResourceGroupsClient(c.Subscription, bogusCred{"not-a-token"}, c.Options)
	if err != nil {
		t.Fatal(err)
	}
	_, err = groups.Get(context.Background(), "rg-auth", nil)
	wantCode(t, err, http.StatusUnauthorized, "InvalidAuthenticationToken")

	// The real credential goes through.
	groups, err = armresources.NewResourceGroupsClient(c.Subscription, c.Cred, c.Options)
	if err != nil {
		t.Fatal(err)
	}
	_, err = groups.Get(context.Background(), "rg-auth", nil)
	wantCode(t, err, http.StatusNotFound, "ResourceGroupNotFound")
}

// cloudMetadata is the part of GET /metadata/endpoints a custom-cloud
// client (Terraform's metadata_host, Pulumi) reads.
type cloudMetadata struct {
	Name            string `json:"name"`
	ResourceManager string `json:"resourceManager"`
	Authentication  struct {
		LoginEndpoint    string   `json:"loginEndpoint"`
		Audiences        []string `json:"audiences"`
		Tenant           string   `json:"tenant"`
		IdentityProvider string   `json:"identityProvider"`
	} `json:"authentication"`
	MicrosoftGraphResourceID string            `json:"microsoftGraphResourceId"`
	Suffixes                 map[string]string `json:"suffixes"`
}

// TestMetadataEndpointsDiscovery: the custom-cloud discovery document
// names the daemon's endpoints, needs no token, and a client configured
// from it alone (the way Terraform's metadata_host works) signs in and
// manages resources.
func TestMetadataEndpointsDiscovery(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := daemonClient(t, d)
	r := c.do(t, http.MethodGet, c.Endpoint+"/metadata/endpoints?api-version=2022-09-01", "", "")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("metadata: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var md cloudMetadata
	if err := json.Unmarshal(r.Body, &md); err != nil {
		t.Fatalf("metadata %s: %v", r.Body, err)
	}
	a := md.Authentication
	if md.ResourceManager != c.Endpoint+"/" || a.LoginEndpoint != c.Endpoint || a.Tenant != "common" || a.IdentityProvider != "AAD" ||
		len(a.Audiences) == 0 || a.Audiences[0] != c.Endpoint+"/" || md.MicrosoftGraphResourceID != c.Endpoint+"/graph/" ||
		md.Name == "" || md.Suffixes["storage"] != "core.windows.net" {
		t.Fatalf("metadata: %s", r.Body)
	}

	// The OpenID configuration the credential starts from.
	r = c.do(t, http.MethodGet, a.LoginEndpoint+"/"+c.Tenant+"/v2.0/.well-known/openid-configuration", "", "")
	var oidc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal(r.Body, &oidc); err != nil || r.Status != http.StatusOK ||
		oidc.TokenEndpoint != c.Endpoint+"/"+c.Tenant+"/oauth2/v2.0/token" {
		t.Fatalf("openid configuration: %d %s %v", r.Status, r.Body, err)
	}

	// A client configured from the document alone.
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: a.LoginEndpoint + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: strings.TrimSuffix(md.ResourceManager, "/"), Audience: a.Audiences[0]},
		},
	}
	cred, err := azidentity.NewClientSecretCredential(c.Tenant, clientID, "from-metadata", &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cfg, Transport: c.HTTP},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := *c.Options
	opts.Cloud = cfg
	groups, err := armresources.NewResourceGroupsClient(c.Subscription, cred, &opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := groups.CreateOrUpdate(context.Background(), "rg-discovered", armresources.ResourceGroup{Location: to("northeurope")}, nil)
	if err != nil || deref(g.Properties.ProvisioningState) != "Succeeded" {
		t.Fatalf("create through discovered endpoints: %v", err)
	}
}
