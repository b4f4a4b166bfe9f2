package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is an ARM error: the HTTP status, ARM's code and message. Providers
// return it (possibly wrapped); the front end maps it to ARM's envelope at
// one boundary. Any other error becomes 500 InternalServerError.
type Error struct {
	Status  int           `json:"-"`
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Target  string        `json:"target,omitempty"`
	Details []ErrorDetail `json:"details,omitempty"`
	// Header holds extra response headers (e.g. WWW-Authenticate).
	Header http.Header `json:"-"`
}

// ErrorDetail is one entry of error.details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 with the given code.
func BadRequest(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// Conflict is a 409 with the given code.
func Conflict(code, format string, args ...any) *Error {
	return Errorf(http.StatusConflict, code, format, args...)
}

// NotFound is a 404 with the given code.
func NotFound(code, format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, code, format, args...)
}

// InvalidParameter is Azure's 400 InvalidParameter for a property.
func InvalidParameter(format string, args ...any) *Error {
	return BadRequest("InvalidParameter", format, args...)
}

// AsError extracts an *Error from err.
func AsError(err error) (*Error, bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// ResourceNotFound is ARM's 404 for a missing tracked resource.
func ResourceNotFound(id ID) *Error {
	return NotFound("ResourceNotFound",
		"The Resource '%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
		id.Namespace+"/"+joinTypeNames(id), id.ResourceGroup)
}

func joinTypeNames(id ID) string {
	s := ""
	for i, t := range id.Types {
		if i > 0 {
			s += "/"
		}
		s += t
		if i < len(id.Names) {
			s += "/" + id.Names[i]
		}
	}
	return s
}

// ResourceGroupNotFound is ARM's 404 for a missing resource group.
func ResourceGroupNotFound(rg string) *Error {
	return NotFound("ResourceGroupNotFound", "Resource group '%s' could not be found.", rg)
}

// ParentResourceNotFound is ARM's 404 for a nested resource whose parent
// does not exist.
func ParentResourceNotFound(parent ID) *Error {
	return NotFound("ParentResourceNotFound",
		"Can not perform requested operation on nested resource. Parent resource '%s' not found.", parentDisplayName(parent))
}

func parentDisplayName(parent ID) string {
	s := ""
	for i, n := range parent.Names {
		if i > 0 {
			s += "/"
		}
		s += n
	}
	return s
}

// writeError writes ARM's error envelope and x-ms-error-code.
func writeError(w http.ResponseWriter, err *Error) {
	for k, vs := range err.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", err.Code)
	status := err.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": err})
}

// internalError is what any non-ARM error becomes.
func internalError() *Error {
	return Errorf(http.StatusInternalServerError, "InternalServerError",
		"Encountered internal server error. Diagnostic information: privlink.")
}
