package auth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// imdsError is the error body of the managed identity endpoint (IMDS style).
type imdsError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// msiTokenResponse is IMDS's token response: every number is a string.
type msiTokenResponse struct {
	AccessToken  string `json:"access_token"`
	ClientID     string `json:"client_id"`
	ExpiresIn    string `json:"expires_in"`
	ExpiresOn    string `json:"expires_on"`
	ExtExpiresIn string `json:"ext_expires_in"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	TokenType    string `json:"token_type"`
}

// serveManagedIdentity is the managed identity token endpoint, in the
// shapes the clients use:
//   - IMDS: GET ?api-version=2018-02-01&resource=...[&client_id|object_id|msi_res_id], header Metadata: true;
//   - Cloud Shell (MSI_ENDPOINT, azure-cli's msrestazure): POST form resource=..., header Metadata: true;
//   - App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER): GET with header X-IDENTITY-HEADER
//     [&client_id|principal_id|mi_res_id].
//
// Tokens are app-only tokens of the identity in the default tenant.
func (h *Handler) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodGet, http.MethodPost)
		return
	}
	if !strings.EqualFold(r.Header.Get("Metadata"), "true") && r.Header.Get("X-IDENTITY-HEADER") == "" {
		writeJSON(w, http.StatusBadRequest, imdsError{"invalid_request", "Required metadata header not specified"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, imdsError{"invalid_request", "Malformed request: " + err.Error()})
		return
	}
	resource := strings.TrimSuffix(r.Form.Get("resource"), "/.default")
	if resource == "" {
		writeJSON(w, http.StatusBadRequest, imdsError{"invalid_request", "Required audience parameter not specified"})
		return
	}
	sel := ManagedIdentity{
		ClientID:   r.Form.Get("client_id"),
		ObjectID:   firstNonEmpty(r.Form.Get("object_id"), r.Form.Get("principal_id")),
		ResourceID: firstNonEmpty(r.Form.Get("mi_res_id"), r.Form.Get("msi_res_id")),
	}
	n := 0
	for _, v := range []string{sel.ClientID, sel.ObjectID, sel.ResourceID} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		writeJSON(w, http.StatusBadRequest, imdsError{"invalid_request",
			"Only one of client_id, object_id or msi_res_id may be specified"})
		return
	}
	tid := h.issuer.defaultTenant
	mi, err := h.issuer.resolveMI(r.Context(), tid, sel)
	switch {
	case errors.Is(err, ErrIdentityNotFound):
		writeJSON(w, http.StatusBadRequest, imdsError{"invalid_request", "Identity not found"})
		return
	case err != nil:
		h.issuer.logger.Error("resolving managed identity", "request", sel, "err", err)
		writeJSON(w, http.StatusInternalServerError, imdsError{"unknown_error", "Failed to resolve the managed identity"})
		return
	}
	if mi.ObjectID == "" {
		mi.ObjectID = ObjectIDForApp(tid, mi.ClientID)
	}
	g := grantIdentity{tenantID: tid, clientID: mi.ClientID, objectID: mi.ObjectID, miResource: mi.ResourceID, appIDACR: "2"}
	c := h.issuer.accessClaims(g, resource, "", 0)
	token, err := h.issuer.sign(c)
	if err != nil {
		h.issuer.logger.Error("signing managed identity token", "err", err)
		writeJSON(w, http.StatusInternalServerError, imdsError{"unknown_error", "Failed to sign the token"})
		return
	}
	lifetime := strconv.FormatInt(c.Expires-c.IssuedAt, 10)
	h.issuer.logger.Debug("managed identity token issued", "appid", mi.ClientID, "oid", mi.ObjectID, "aud", resource)
	setNoStore(w, r)
	writeJSON(w, http.StatusOK, msiTokenResponse{
		AccessToken:  token,
		ClientID:     mi.ClientID,
		ExpiresIn:    lifetime,
		ExpiresOn:    strconv.FormatInt(c.Expires, 10),
		ExtExpiresIn: lifetime,
		NotBefore:    strconv.FormatInt(c.NotBefore, 10),
		Resource:     resource,
		TokenType:    "Bearer",
	})
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
