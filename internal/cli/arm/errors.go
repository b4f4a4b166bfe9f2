package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an ARM error: an HTTP status of 400 or more, or a long-running
// operation that ended Failed or Canceled. Error() renders it the way
// azure-core's ODataV4Format does (and therefore the way az prints it):
//
//	(ResourceGroupNotFound) Resource group 'x' could not be found.
//	Code: ResourceGroupNotFound
//	Message: Resource group 'x' could not be found.
type Error struct {
	// StatusCode is the HTTP status of the response that carried the error
	// (for a failed long-running operation: the status of the last poll).
	StatusCode int
	// Code and Message come from the envelope {"error":{"code","message"}}
	// (or a bare {"code","message"}); Code falls back to x-ms-error-code.
	Code    string
	Message string
	Target  string
	Details []*Error
	// InnerError is the envelope's "innererror" object, if any.
	InnerError map[string]any
	// Body is the raw response body.
	Body []byte
}

// Error implements error with azure-cli's wording.
func (e *Error) Error() string {
	if e.Code == "" && e.Message == "" {
		return fmt.Sprintf("Operation returned an invalid status '%s'", http.StatusText(e.StatusCode))
	}
	if e.Code == "" {
		return e.Message
	}
	return fmt.Sprintf("(%s) %s\n%s", e.Code, e.Message, e.details())
}

func (e *Error) details() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Code: %s\nMessage: %s", e.Code, e.Message)
	if e.Target != "" {
		fmt.Fprintf(&b, "\nTarget: %s", e.Target)
	}
	if len(e.Details) > 0 {
		// azure-core joins each detail's indented lines without a newline
		// before the first one; keep that quirk so output matches byte for byte.
		b.WriteString("\nException Details:")
		for _, d := range e.Details {
			lines := strings.Split(d.Error(), "\n")
			for i, l := range lines {
				lines[i] = "\t" + l
			}
			b.WriteString(strings.Join(lines, "\n"))
		}
	}
	if len(e.InnerError) > 0 {
		if raw, err := json.MarshalIndent(e.InnerError, "", "    "); err == nil {
			fmt.Fprintf(&b, "\nInner error: %s", raw)
		}
	}
	return b.String()
}

// NotFound reports whether the error is an HTTP 404.
func (e *Error) NotFound() bool { return e.StatusCode == http.StatusNotFound }

// IsNotFound reports whether err is (or wraps) an ARM 404.
func IsNotFound(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.NotFound()
}

// HasCode reports whether err is (or wraps) an ARM error with this code
// (compared case-insensitively).
func HasCode(err error, code string) bool {
	var ae *Error
	return errors.As(err, &ae) && strings.EqualFold(ae.Code, code)
}

// newError builds an *Error from a response.
func newError(status int, header http.Header, body []byte) *Error {
	e := &Error{StatusCode: status, Body: body}
	var env map[string]any
	if json.Unmarshal(body, &env) == nil && env != nil {
		fillError(e, env)
	}
	if e.Code == "" && header != nil {
		e.Code = header.Get("x-ms-error-code")
	}
	return e
}

// fillError reads an OData v4 error object (or an envelope holding one under
// "error") into e.
func fillError(e *Error, obj map[string]any) {
	if inner, ok := obj["error"].(map[string]any); ok {
		obj = inner
	}
	e.Code, _ = obj["code"].(string)
	e.Message, _ = obj["message"].(string)
	e.Target, _ = obj["target"].(string)
	if ds, ok := obj["details"].([]any); ok {
		for _, d := range ds {
			if dm, ok := d.(map[string]any); ok {
				de := &Error{StatusCode: e.StatusCode}
				fillError(de, dm)
				if de.Code != "" || de.Message != "" {
					e.Details = append(e.Details, de)
				}
			}
		}
	}
	if ie, ok := obj["innererror"].(map[string]any); ok {
		e.InnerError = ie
	}
}
