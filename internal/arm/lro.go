package arm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// opToken identifies a long-running operation. It carries the resource's
// store key and the generation the operation produced, so the operation's
// status is derived from the resource itself and needs no extra write.
type opToken struct {
	Key    string    `json:"k"`
	Gen    int64     `json:"g"`
	Delete bool      `json:"d,omitempty"`
	Start  time.Time `json:"t"`
}

func encodeOp(t opToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeOp(s string) (opToken, error) {
	var t opToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, err
	}
	err = json.Unmarshal(b, &t)
	return t, err
}

// RetryAfterMs is the poll interval suggested to clients.
const RetryAfterMs = 100

// lroHeaders returns the headers of a long-running operation response.
func lroHeaders(req *Request, namespace, location string, tok opToken, withLocation bool) http.Header {
	if location == "" {
		location = "global"
	}
	op := encodeOp(tok)
	sub := req.ID.Subscription
	base := fmt.Sprintf("%s/subscriptions/%s/providers/%s/locations/%s", req.BaseURL, sub, namespace, location)
	h := http.Header{}
	h.Set("Azure-AsyncOperation", base+"/operations/"+op+"?api-version="+req.APIVersion)
	if withLocation {
		h.Set("Location", base+"/operationResults/"+op+"?api-version="+req.APIVersion)
	}
	h.Set("Retry-After", "1")
	h.Set("Retry-After-Ms", strconv.Itoa(RetryAfterMs))
	h.Set("x-ms-retry-after-ms", strconv.Itoa(RetryAfterMs))
	return h
}

// opStatus derives an operation's status from the resource's record.
func (e *Engine) opStatus(ctx context.Context, tok opToken) (string, *Record, *Error, error) {
	rec, err := e.getKey(ctx, tok.Key)
	if err != nil {
		return "", nil, nil, err
	}
	if tok.Delete {
		if rec == nil || rec.Generation != tok.Gen || rec.State != StateDeleting {
			if rec != nil && rec.Generation == tok.Gen && rec.State == StateFailed {
				return "Failed", rec, rec.OpError, nil
			}
			return "Succeeded", nil, nil, nil
		}
		return "InProgress", rec, nil, nil
	}
	if rec == nil {
		return "Canceled", nil, &Error{Code: "Canceled", Message: "The resource was deleted before the operation completed."}, nil
	}
	if rec.Generation > tok.Gen {
		return "Succeeded", rec, nil, nil
	}
	switch rec.State {
	case StateSucceeded, "":
		return "Succeeded", rec, nil, nil
	case StateFailed:
		oe := rec.OpError
		if oe == nil {
			oe = &Error{Code: "InternalServerError", Message: "The operation failed."}
		}
		return "Failed", rec, oe, nil
	case StateCanceled:
		return "Canceled", rec, nil, nil
	}
	return "InProgress", rec, nil, nil
}

func (e *Engine) getKey(ctx context.Context, key string) (*Record, error) {
	return e.GetRecord(ctx, strings.TrimPrefix(key, "/r"))
}

// handleOperation serves .../locations/{loc}/operations/{id} (Azure-AsyncOperation).
func (e *Engine) handleOperation(ctx context.Context, req *Request) (*Response, error) {
	tok, err := decodeOp(req.Vars["op"])
	if err != nil || !strings.HasPrefix(tok.Key, KeyOf("/subscriptions/"+req.Vars["sub"])+"/") {
		return nil, NotFound("OperationNotFound", "The operation '%s' could not be found.", req.Vars["op"])
	}
	status, _, oe, err := e.opStatus(ctx, tok)
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"id":        strings.SplitN(req.HTTP.URL.Path, "?", 2)[0],
		"name":      req.Vars["op"],
		"status":    status,
		"startTime": tok.Start.UTC().Format(time.RFC3339Nano),
	}
	if status != "InProgress" {
		body["endTime"] = e.Now().UTC().Format(time.RFC3339Nano)
	}
	if oe != nil {
		body["error"] = oe
	}
	h := http.Header{}
	if status == "InProgress" {
		h.Set("Retry-After", "1")
		h.Set("Retry-After-Ms", strconv.Itoa(RetryAfterMs))
	}
	return &Response{Status: http.StatusOK, Body: body, Header: h}, nil
}

// handleOperationResult serves .../locations/{loc}/operationResults/{id} (Location).
func (e *Engine) handleOperationResult(ctx context.Context, req *Request) (*Response, error) {
	tok, err := decodeOp(req.Vars["op"])
	if err != nil || !strings.HasPrefix(tok.Key, KeyOf("/subscriptions/"+req.Vars["sub"])+"/") {
		return nil, NotFound("OperationNotFound", "The operation '%s' could not be found.", req.Vars["op"])
	}
	status, rec, oe, err := e.opStatus(ctx, tok)
	if err != nil {
		return nil, err
	}
	switch status {
	case "InProgress":
		h := http.Header{}
		h.Set("Location", req.BaseURL+req.HTTP.URL.RequestURI())
		h.Set("Retry-After", "1")
		h.Set("Retry-After-Ms", strconv.Itoa(RetryAfterMs))
		return &Response{Status: http.StatusAccepted, Header: h}, nil
	case "Succeeded":
		if tok.Delete || rec == nil {
			return &Response{Status: http.StatusNoContent}, nil
		}
		res, err := e.Render(ctx, rec)
		if err != nil {
			return nil, err
		}
		return &Response{Status: http.StatusOK, Body: res}, nil
	default:
		if oe == nil {
			oe = &Error{Code: status, Message: "The operation did not complete."}
		}
		out := *oe
		if out.Status == 0 {
			out.Status = http.StatusBadRequest
		}
		return nil, &out
	}
}
