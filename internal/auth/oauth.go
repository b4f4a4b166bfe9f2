package auth

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Grant types.
const (
	grantClientCredentials = "client_credentials"
	grantPassword          = "password"
	grantRefreshToken      = "refresh_token"
	grantAuthorizationCode = "authorization_code"
	grantDeviceCode        = "device_code"
	grantDeviceCodeURN     = "urn:ietf:params:oauth:grant-type:device_code"
)

// graphAppID is the audience of tokens requested with OIDC scopes only
// (Entra ID then issues a Microsoft Graph token).
const graphAppID = "00000003-0000-0000-c000-000000000000"

const maxFormBytes = 1 << 20

// oauthError is Entra ID's token endpoint error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// stsError is a failed token request: the OAuth error and its AADSTS code.
type stsError struct {
	status int
	code   string // OAuth error: invalid_request, invalid_client, ...
	aadsts int
	msg    string // message after "AADSTSnnn: "
}

func (e *stsError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.aadsts, e.msg) }

func missingParam(name string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 900144,
		"The request body must contain the following parameter: '" + name + "'."}
}

func invalidGrant(msg string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_grant", 9002313, msg}
}

func (h *Handler) writeSTSError(w http.ResponseWriter, r *http.Request, e *stsError) {
	now := h.issuer.now().UTC()
	trace := newUUID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newUUID()
	}
	stamp := now.Format("2006-01-02 15:04:05Z")
	body := oauthError{
		Error: e.code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.aadsts, e.msg, trace, corr, stamp),
		ErrorCodes:    []int{e.aadsts},
		Timestamp:     stamp,
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      h.baseURL(r) + "/error?code=" + strconv.Itoa(e.aadsts),
	}
	h.issuer.logger.Info("token request rejected", "path", r.URL.Path, "error", e.code, "aadsts", e.aadsts, "detail", e.msg)
	setNoStore(w, r)
	writeJSON(w, e.status, body)
}

func setNoStore(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	if id := r.Header.Get("client-request-id"); id != "" {
		w.Header().Set("client-request-id", id)
	}
	w.Header().Set("x-ms-request-id", newUUID())
}

// oidcScopes are the OpenID Connect scopes MSAL adds to every request;
// they never name a resource.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true, "email": true}

// resourceScopes returns the scopes of s that name a resource.
func resourceScopes(s string) []string {
	var out []string
	for _, sc := range strings.Fields(s) {
		if !oidcScopes[strings.ToLower(sc)] {
			out = append(out, sc)
		}
	}
	return out
}

// scopeResource returns the resource (audience) a v2 scope names and the
// permission it asks for: "https://host//.default" -> ("https://host/",
// ".default"); "api://x/read" -> ("api://x", "read"); "User.Read" ->
// (Microsoft Graph, "User.Read").
func scopeResource(scope string) (resource, permission string) {
	if strings.HasSuffix(scope, "/.default") {
		return strings.TrimSuffix(scope, "/.default"), ".default"
	}
	if i := strings.LastIndex(scope, "/"); i > 0 {
		return scope[:i], scope[i+1:]
	}
	return graphAppID, scope
}

// tokenRequest is the parsed part of a token request every grant shares.
type tokenRequest struct {
	flavor   flavor
	tenantID string
	clientID string
	secret   string
	form     url.Values
}

// requestedResource returns the audience asked for with "scope" (v2) or
// "resource" (v1, ADFS), the resource scopes, and the user-token scp.
func (t *tokenRequest) requestedResource() (resource string, scopes []string, scp string) {
	scopes = resourceScopes(t.form.Get("scope"))
	if res := t.form.Get("resource"); res != "" && (t.flavor != flavorV2 || len(scopes) == 0) {
		return res, scopes, "user_impersonation"
	}
	if len(scopes) == 0 {
		return "", nil, ""
	}
	resource, _ = scopeResource(scopes[0])
	var perms []string
	for _, s := range scopes {
		if r, p := scopeResource(s); r == resource {
			if p == ".default" {
				p = "user_impersonation"
			}
			perms = append(perms, p)
		}
	}
	return resource, scopes, strings.Join(perms, " ")
}

// issued is what a successful grant returns.
type issued struct {
	identity grantIdentity
	resource string
	scopes   []string // granted resource scopes, echoed by v2
	access   *claims
	nonce    string // echoed in the ID token
	refresh  string
	idToken  string
	info     string
}

func (h *Handler) serveToken(f flavor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.writeSTSError(w, r, &stsError{http.StatusBadRequest, "invalid_request", 900561,
				"The endpoint only accepts POST requests. Received a " + r.Method + " request."})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.writeSTSError(w, r, &stsError{http.StatusBadRequest, "invalid_request", 900144,
				"The request body must be application/x-www-form-urlencoded: " + err.Error()})
			return
		}
		t := &tokenRequest{
			flavor:   f,
			tenantID: ResolveTenant(tenantSegment(r, f), h.issuer.defaultTenant),
			clientID: r.PostForm.Get("client_id"),
			secret:   r.PostForm.Get("client_secret"),
			form:     r.PostForm,
		}
		if user, pass, ok := r.BasicAuth(); ok {
			if t.clientID == "" {
				t.clientID, _ = url.QueryUnescape(user)
			}
			if t.secret == "" {
				t.secret, _ = url.QueryUnescape(pass)
			}
		}
		grant := t.form.Get("grant_type")
		if grant == "" {
			h.writeSTSError(w, r, missingParam("grant_type"))
			return
		}
		if t.clientID == "" {
			h.writeSTSError(w, r, missingParam("client_id"))
			return
		}
		var (
			res *issued
			err *stsError
		)
		switch grant {
		case grantClientCredentials:
			res, err = h.clientCredentials(t)
		case grantPassword:
			res, err = h.password(t)
		case grantRefreshToken:
			res, err = h.refreshToken(t)
		case grantAuthorizationCode:
			res, err = h.authorizationCode(t)
		case grantDeviceCode, grantDeviceCodeURN:
			res, err = h.deviceCodeGrant(t)
		default:
			err = &stsError{http.StatusBadRequest, "unsupported_grant_type", 70003,
				"The app requested an unsupported grant type '" + grant + "'."}
		}
		if err != nil {
			h.writeSTSError(w, r, err)
			return
		}
		h.writeToken(w, r, f, grant, res)
	}
}

func (h *Handler) clientCredentials(t *tokenRequest) (*issued, *stsError) {
	acr := "1"
	switch {
	case t.form.Get("client_assertion") != "":
		acr = "2"
	case t.secret == "":
		return nil, &stsError{http.StatusUnauthorized, "invalid_client", 7000216,
			"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."}
	}
	resource, scopes, _ := t.requestedResource()
	if resource == "" {
		if t.flavor == flavorV2 {
			return nil, missingParam("scope")
		}
		return nil, missingParam("resource")
	}
	if t.flavor == flavorV2 || (t.flavor == flavorADFS && t.form.Get("resource") == "") {
		for _, s := range scopes {
			if !strings.HasSuffix(s, "/.default") {
				return nil, &stsError{http.StatusBadRequest, "invalid_scope", 1002012,
					"The provided value for scope " + s + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."}
			}
		}
	}
	g := grantIdentity{tenantID: t.tenantID, clientID: t.clientID, appIDACR: acr}
	return &issued{identity: g, resource: resource, access: h.issuer.accessClaims(g, resource, "", 0)}, nil
}

func (h *Handler) password(t *tokenRequest) (*issued, *stsError) {
	user, pass := t.form.Get("username"), t.form.Get("password")
	if user == "" {
		return nil, missingParam("username")
	}
	if pass == "" {
		return nil, missingParam("password")
	}
	return h.userGrant(t, h.userIdentity(t, user, "pwd"), "", "", "")
}

func (h *Handler) userIdentity(t *tokenRequest, user, amr string) grantIdentity {
	acr := "0"
	if t.secret != "" {
		acr = "1"
	}
	return grantIdentity{tenantID: t.tenantID, clientID: t.clientID, user: user, appIDACR: acr, amr: amr}
}

// userGrant finishes a delegated grant: access token for the requested
// resource (or fallback, the one of the original sign-in), refresh token,
// ID token and client_info.
func (h *Handler) userGrant(t *tokenRequest, g grantIdentity, fallbackResource, fallbackScopes, nonce string) (*issued, *stsError) {
	resource, scopes, scp := t.requestedResource()
	if resource == "" {
		resource = fallbackResource
		scopes = strings.Fields(fallbackScopes)
		scp = "user_impersonation"
	}
	if resource == "" {
		resource, scp = graphAppID, "openid profile offline_access"
	}
	res := &issued{identity: g, resource: resource, scopes: scopes, nonce: nonce, access: h.issuer.accessClaims(g, resource, scp, 0)}
	var err error
	res.refresh, err = h.issuer.sign(h.issuer.artefactClaims(useRefresh, g, resource, strings.Join(scopes, " "), "", refreshTokenLifetime))
	if err != nil {
		return nil, serverError(err)
	}
	return res, nil
}

func serverError(err error) *stsError {
	return &stsError{http.StatusInternalServerError, "server_error", 90100, "An error occurred: " + err.Error()}
}

// artefact verifies a refresh token, code or device code.
func (h *Handler) artefact(raw, use string) (*claims, *stsError) {
	c, err := h.issuer.parse(raw, use)
	var expired errTokenExpired
	switch {
	case errors.As(err, &expired) && use == useRefresh:
		return nil, &stsError{http.StatusBadRequest, "invalid_grant", 700082,
			"The refresh token has expired due to inactivity."}
	case errors.As(err, &expired) && use == useDeviceCode:
		return nil, &stsError{http.StatusBadRequest, "expired_token", 70019,
			"Verification code expired."}
	case errors.As(err, &expired):
		return nil, &stsError{http.StatusBadRequest, "invalid_grant", 70008,
			"The provided authorization code or refresh token has expired due to inactivity."}
	case err != nil:
		return nil, invalidGrant("Invalid request. Request is malformed or invalid.")
	}
	return c, nil
}

func (h *Handler) refreshToken(t *tokenRequest) (*issued, *stsError) {
	raw := t.form.Get("refresh_token")
	if raw == "" {
		return nil, missingParam("refresh_token")
	}
	c, e := h.artefact(raw, useRefresh)
	if e != nil {
		return nil, e
	}
	g := h.userIdentity(t, c.UPN, "pwd")
	g.tenantID = c.TenantID
	return h.userGrant(t, g, c.Resource, c.Scopes, "")
}

func (h *Handler) authorizationCode(t *tokenRequest) (*issued, *stsError) {
	raw := t.form.Get("code")
	if raw == "" {
		return nil, missingParam("code")
	}
	c, e := h.artefact(raw, useCode)
	if e != nil {
		return nil, e
	}
	if !strings.EqualFold(c.ClientID, t.clientID) {
		return nil, invalidGrant("The code was issued to a different client.")
	}
	g := h.userIdentity(t, c.UPN, "pwd")
	g.tenantID = c.TenantID
	return h.userGrant(t, g, c.Resource, c.Scopes, c.Nonce)
}

func (h *Handler) deviceCodeGrant(t *tokenRequest) (*issued, *stsError) {
	raw := t.form.Get("device_code")
	if raw == "" {
		raw = t.form.Get("code")
	}
	if raw == "" {
		return nil, missingParam("device_code")
	}
	c, e := h.artefact(raw, useDeviceCode)
	if e != nil {
		return nil, e
	}
	g := h.userIdentity(t, c.UPN, "mfa")
	g.tenantID = c.TenantID
	return h.userGrant(t, g, c.Resource, c.Scopes, "")
}

// tokenResponseV2 is the JSON of the v2.0 and ADFS token endpoints.
type tokenResponseV2 struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	Resource     string `json:"resource,omitempty"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	ClientInfo   string `json:"client_info,omitempty"`
}

// tokenResponseV1 is the JSON of the v1.0 token endpoint (numbers as strings).
type tokenResponseV1 struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

func (h *Handler) writeToken(w http.ResponseWriter, r *http.Request, f flavor, grant string, res *issued) {
	access, err := h.issuer.sign(res.access)
	if err != nil {
		h.writeSTSError(w, r, serverError(err))
		return
	}
	if res.identity.user != "" {
		idc := h.issuer.idTokenClaims(res.identity, oidcIssuer(f, h.baseURL(r), res.identity.tenantID), res.nonce)
		res.idToken, err = h.issuer.sign(idc)
		if err != nil {
			h.writeSTSError(w, r, serverError(err))
			return
		}
		res.info = clientInfo(res.access.ObjectID, res.identity.tenantID)
	}
	lifetime := res.access.Expires - res.access.IssuedAt
	h.issuer.logger.Debug("token issued", "grant", grant, "tenant", res.identity.tenantID,
		"appid", res.identity.clientID, "oid", res.access.ObjectID, "aud", res.resource)
	setNoStore(w, r)
	if f == flavorV1 {
		scope := ""
		if res.identity.user != "" {
			scope = res.access.Scope
		}
		writeJSON(w, http.StatusOK, tokenResponseV1{
			TokenType:    "Bearer",
			Scope:        scope,
			ExpiresIn:    strconv.FormatInt(lifetime, 10),
			ExtExpiresIn: strconv.FormatInt(lifetime, 10),
			ExpiresOn:    strconv.FormatInt(res.access.Expires, 10),
			NotBefore:    strconv.FormatInt(res.access.NotBefore, 10),
			Resource:     res.resource,
			AccessToken:  access,
			RefreshToken: res.refresh,
			IDToken:      res.idToken,
		})
		return
	}
	out := tokenResponseV2{
		TokenType:    "Bearer",
		ExpiresIn:    lifetime,
		ExtExpiresIn: lifetime,
		AccessToken:  access,
		RefreshToken: res.refresh,
		IDToken:      res.idToken,
		ClientInfo:   res.info,
	}
	if res.identity.user != "" {
		out.Scope = strings.Join(res.scopes, " ")
	}
	if f == flavorADFS {
		out.Resource = res.resource
	}
	writeJSON(w, http.StatusOK, out)
}

// serveAuthorize is the authorization endpoint. Consent is automatic: the
// user (login_hint, or the issuer's default user) is signed in at once and
// redirected back with a code.
func (h *Handler) serveAuthorize(f flavor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			methodNotAllowed(w, http.MethodGet, http.MethodPost)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "AADSTS900144: malformed request: "+err.Error(), http.StatusBadRequest)
			return
		}
		clientID := r.Form.Get("client_id")
		if clientID == "" {
			http.Error(w, "AADSTS900144: The request body must contain the following parameter: 'client_id'.", http.StatusBadRequest)
			return
		}
		redirect := r.Form.Get("redirect_uri")
		target, err := url.Parse(redirect)
		canRedirect := err == nil && (target.Scheme == "http" || target.Scheme == "https") && target.Host != ""
		params := url.Values{}
		if st := r.Form.Get("state"); st != "" {
			params.Set("state", st)
		}
		if !strings.Contains(r.Form.Get("response_type"), "code") {
			params.Set("error", "unsupported_response_type")
			params.Set("error_description", "AADSTS700054: response_type 'code' is required by privlink.")
			h.finishAuthorize(w, r, target, canRedirect, params)
			return
		}
		user := r.Form.Get("login_hint")
		if user == "" {
			user = h.issuer.defaultUser
		}
		t := &tokenRequest{
			flavor:   f,
			tenantID: ResolveTenant(tenantSegment(r, f), h.issuer.defaultTenant),
			clientID: clientID,
			form:     r.Form,
		}
		resource, scopes, _ := t.requestedResource()
		g := grantIdentity{tenantID: t.tenantID, clientID: clientID, user: user}
		code, err := h.issuer.sign(h.issuer.artefactClaims(useCode, g, resource, strings.Join(scopes, " "), r.Form.Get("nonce"), codeLifetime))
		if err != nil {
			http.Error(w, "signing code: "+err.Error(), http.StatusInternalServerError)
			return
		}
		params.Set("code", code)
		params.Set("session_state", newUUID())
		params.Set("client_info", clientInfo(g.oid(), g.tenantID))
		h.issuer.logger.Debug("authorization code issued", "tenant", t.tenantID, "appid", clientID, "user", user)
		h.finishAuthorize(w, r, target, canRedirect, params)
	}
}

var autoPost = template.Must(template.New("post").Parse(`<!DOCTYPE html>
<html><head><title>privlink sign-in</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" action="{{.Action}}">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">
{{end}}<noscript><button type="submit">Continue</button></noscript>
</form></body></html>
`))

var showCode = template.Must(template.New("code").Parse(`<!DOCTYPE html>
<html><head><title>privlink sign-in</title></head>
<body><p>Signed in. Copy this response to the application:</p>
<pre>{{.}}</pre></body></html>
`))

func (h *Handler) finishAuthorize(w http.ResponseWriter, r *http.Request, target *url.URL, canRedirect bool, params url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	if !canRedirect {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = showCode.Execute(w, params.Encode())
		return
	}
	if r.Form.Get("response_mode") == "form_post" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = autoPost.Execute(w, map[string]any{"Action": target.String(), "Params": params})
		return
	}
	q := target.Query()
	for k, v := range params {
		q[k] = v
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// serveDeviceCode starts a device code flow that is already approved: the
// first poll of the token endpoint succeeds.
func (h *Handler) serveDeviceCode(f flavor) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.writeSTSError(w, r, &stsError{http.StatusBadRequest, "invalid_request", 900561,
				"The endpoint only accepts POST requests. Received a " + r.Method + " request."})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.writeSTSError(w, r, missingParam("client_id"))
			return
		}
		clientID := r.PostForm.Get("client_id")
		if clientID == "" {
			h.writeSTSError(w, r, missingParam("client_id"))
			return
		}
		t := &tokenRequest{
			flavor:   f,
			tenantID: ResolveTenant(tenantSegment(r, f), h.issuer.defaultTenant),
			clientID: clientID,
			form:     r.PostForm,
		}
		resource, scopes, _ := t.requestedResource()
		g := grantIdentity{tenantID: t.tenantID, clientID: clientID, user: h.issuer.defaultUser}
		code, err := h.issuer.sign(h.issuer.artefactClaims(useDeviceCode, g, resource, strings.Join(scopes, " "), "", codeLifetime))
		if err != nil {
			h.writeSTSError(w, r, serverError(err))
			return
		}
		userCode := newUserCode()
		verify := h.baseURL(r) + "/devicelogin"
		expires := int64(codeLifetime / time.Second)
		setNoStore(w, r)
		writeJSON(w, http.StatusOK, map[string]any{
			"user_code":        userCode,
			"device_code":      code,
			"verification_uri": verify,
			"verification_url": verify,
			"expires_in":       expires,
			"interval":         1,
			"message": "To sign in, use a web browser to open the page " + verify + " and enter the code " +
				userCode + " to authenticate. (privlink approves it automatically as " + h.issuer.defaultUser + ".)",
		})
	}
}
