package auth

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Route patterns the Handler serves (net/http ServeMux syntax, any method;
// each handler checks the method itself). {tenant} is a GUID or an alias.
var routePatterns = []string{
	"/metadata/endpoints",
	"/metadata/identity/oauth2/token",
	"/{tenant}/v2.0/.well-known/openid-configuration",
	"/{tenant}/.well-known/openid-configuration",
	"/adfs/.well-known/openid-configuration",
	"/{tenant}/oauth2/v2.0/token",
	"/{tenant}/oauth2/token",
	"/adfs/oauth2/token",
	"/{tenant}/oauth2/v2.0/authorize",
	"/{tenant}/oauth2/authorize",
	"/adfs/oauth2/authorize",
	"/{tenant}/oauth2/v2.0/devicecode",
	"/{tenant}/oauth2/devicecode",
	"/adfs/oauth2/devicecode",
	"/{tenant}/discovery/v2.0/keys",
	"/{tenant}/discovery/keys",
	"/common/UserRealm/{user}",
	"/common/userrealm/{user}",
	"/devicelogin",
}

// Patterns returns the route patterns the identity handler serves.
func Patterns() []string {
	return append([]string(nil), routePatterns...)
}

// RequestBaseURL is the default base URL function: "https://" + the Host
// the client used. The daemon only serves HTTPS.
func RequestBaseURL(r *http.Request) string {
	return "https://" + r.Host
}

// Handler serves the identity endpoints. Route requests to it when
// Handles reports true; it answers 404 for anything else.
type Handler struct {
	issuer  *Issuer
	baseURL func(*http.Request) string
	mux     *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// Handler returns the HTTP handler of the identity endpoints. baseURL
// gives the externally visible "https://host:port" (no trailing slash) of a
// request; nil means RequestBaseURL.
//
// The routes start with a {tenant} wildcard, so they are kept in the
// handler's own mux rather than registered on a shared one (where they would
// conflict with prefix patterns such as "/subscriptions/"); dispatch with
// Handles.
func (i *Issuer) Handler(baseURL func(r *http.Request) string) *Handler {
	if baseURL == nil {
		baseURL = RequestBaseURL
	}
	h := &Handler{issuer: i, baseURL: func(r *http.Request) string {
		return strings.TrimRight(baseURL(r), "/")
	}, mux: http.NewServeMux()}
	routes := map[string]http.HandlerFunc{
		"/metadata/endpoints":                             h.serveMetadata,
		"/metadata/identity/oauth2/token":                 h.serveManagedIdentity,
		"/{tenant}/v2.0/.well-known/openid-configuration": h.serveOpenID(flavorV2),
		"/{tenant}/.well-known/openid-configuration":      h.serveOpenID(flavorV1),
		"/adfs/.well-known/openid-configuration":          h.serveOpenID(flavorADFS),
		"/{tenant}/oauth2/v2.0/token":                     h.serveToken(flavorV2),
		"/{tenant}/oauth2/token":                          h.serveToken(flavorV1),
		"/adfs/oauth2/token":                              h.serveToken(flavorADFS),
		"/{tenant}/oauth2/v2.0/authorize":                 h.serveAuthorize(flavorV2),
		"/{tenant}/oauth2/authorize":                      h.serveAuthorize(flavorV1),
		"/adfs/oauth2/authorize":                          h.serveAuthorize(flavorADFS),
		"/{tenant}/oauth2/v2.0/devicecode":                h.serveDeviceCode(flavorV2),
		"/{tenant}/oauth2/devicecode":                     h.serveDeviceCode(flavorV1),
		"/adfs/oauth2/devicecode":                         h.serveDeviceCode(flavorADFS),
		"/{tenant}/discovery/v2.0/keys":                   h.serveJWKS,
		"/{tenant}/discovery/keys":                        h.serveJWKS,
		"/common/UserRealm/{user}":                        h.serveUserRealm,
		"/common/userrealm/{user}":                        h.serveUserRealm,
		"/devicelogin":                                    h.serveDeviceLogin,
	}
	for _, p := range routePatterns {
		h.mux.Handle(p, routes[p])
	}
	return h
}

// Handles reports whether r's path is one of the identity routes.
func (h *Handler) Handles(r *http.Request) bool {
	_, pattern := h.mux.Handler(r)
	return pattern != ""
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// flavor is the protocol dialect of an endpoint.
type flavor int

const (
	flavorV1   flavor = iota + 1 // /{tenant}/oauth2/token: Entra ID v1.0
	flavorV2                     // /{tenant}/oauth2/v2.0/token: Entra ID v2.0
	flavorADFS                   // /adfs/oauth2/token: AD FS (azure-cli's offline recipe)
)

// authorityPath is the path prefix (no trailing slash) of the endpoints
// of tenant segment seg in flavor f.
func authorityPath(f flavor, seg string) string {
	if f == flavorADFS {
		return "/adfs"
	}
	return "/" + seg
}

func oauthSuffix(f flavor) string {
	if f == flavorV2 {
		return "/oauth2/v2.0"
	}
	return "/oauth2"
}

// oidcIssuer is the issuer of the OpenID configuration and of ID tokens.
func oidcIssuer(f flavor, base, tenantID string) string {
	switch f {
	case flavorV2:
		return base + "/" + tenantID + "/v2.0"
	case flavorADFS:
		return base + "/adfs"
	default:
		return STSIssuer(tenantID)
	}
}

func tenantSegment(r *http.Request, f flavor) string {
	if f == flavorADFS {
		return "adfs"
	}
	return r.PathValue("tenant")
}

func (h *Handler) serveOpenID(f flavor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, http.MethodGet, http.MethodHead)
			return
		}
		base := h.baseURL(r)
		seg := tenantSegment(r, f)
		tid := ResolveTenant(seg, h.issuer.defaultTenant)
		prefix := base + authorityPath(f, seg)
		keys := prefix + "/discovery/keys"
		if f == flavorV2 {
			keys = prefix + "/discovery/v2.0/keys"
		}
		doc := map[string]any{
			"issuer":                                oidcIssuer(f, base, tid),
			"authorization_endpoint":                prefix + oauthSuffix(f) + "/authorize",
			"token_endpoint":                        prefix + oauthSuffix(f) + "/token",
			"device_authorization_endpoint":         prefix + oauthSuffix(f) + "/devicecode",
			"jwks_uri":                              keys,
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"response_modes_supported":              []string{"query", "fragment", "form_post"},
			"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"grant_types_supported": []string{"authorization_code", "client_credentials", "password",
				"refresh_token", "urn:ietf:params:oauth:grant-type:device_code"},
			"claims_supported": []string{"sub", "iss", "aud", "exp", "iat", "nbf", "name", "nonce",
				"oid", "tid", "preferred_username", "upn", "unique_name", "appid", "idtyp", "ver"},
			"tenant_region_scope":   "WW",
			"cloud_instance_name":   r.Host,
			"cloud_graph_host_name": r.Host,
			"msgraph_host":          r.Host,
		}
		if f == flavorADFS {
			doc["access_token_issuer"] = STSIssuer(tid)
		}
		writeJSON(w, http.StatusOK, doc)
	}
}

func (h *Handler) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, http.MethodGet, http.MethodHead)
		return
	}
	writeJSON(w, http.StatusOK, h.issuer.JWKS())
}

// serveUserRealm answers MSAL's home-realm discovery before a
// username/password grant: every user is a managed (cloud-only) account.
func (h *Handler) serveUserRealm(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	user := r.PathValue("user")
	_, domain, ok := strings.Cut(user, "@")
	if !ok || domain == "" {
		domain = "privlink.local"
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"ver":                 "1.0",
		"account_type":        "Managed",
		"domain_name":         domain,
		"cloud_instance_name": r.Host,
		"cloud_audience_urn":  "urn:federation:MicrosoftOnline",
	})
}

func (h *Handler) serveDeviceLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, http.MethodGet, http.MethodHead)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "privlink approves device codes automatically: nothing to do here.\n")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func methodNotAllowed(w http.ResponseWriter, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
}
