package diagnose

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/fabric"
)

// decodeJSON decodes an action body with ARM's 400 for malformed content.
func decodeJSON(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return arm.BadRequest("InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'The request body is empty.'.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return arm.BadRequest("InvalidRequestContent",
				"The request content was invalid and could not be deserialized: 'Error converting value of type %s to type %s. Path '%s'.'.",
				te.Value, te.Type.String(), te.Field)
		}
		return arm.BadRequest("InvalidRequestContent",
			"The request content was invalid and could not be deserialized: '%s'.", err.Error())
	}
	return nil
}

// missingProperty is the network provider's answer to a missing required
// request property.
func missingProperty(path string) error {
	return &arm.Error{Status: http.StatusBadRequest, Code: "InvalidRequestFormat", Message: "Cannot parse the request.",
		Details: []arm.ErrorDetail{{Code: "MissingJsonProperty",
			Message: fmt.Sprintf("Required property '%s' not found in JSON. Path '%s'.", path, path)}}}
}

func vmNotRunning(h *fabric.Host) error {
	state := h.PowerState
	if state == "" {
		state = "PowerState/stopped"
	}
	return arm.BadRequest("VmNotRunning", "Virtual machine '%s' is not running (power state %s).", h.ResourceID, state)
}

// hostNotRunning is vmNotRunning's counterpart for a site host (privlink's
// wording, after Azure's).
func hostNotRunning(h *fabric.Host) error {
	state := h.PowerState
	if state == "" {
		state = "PowerState/stopped"
	}
	return arm.BadRequest("HostNotRunning", "On-premises host '%s' is not running (power state %s).", h.ResourceID, state)
}

func nicNotAttached(id string) error {
	return arm.BadRequest("NetworkInterfaceNotAttachedToRunningVm",
		"The network interface %s is not attached to a running virtual machine.", id)
}
