package arm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultPollInterval is the delay between long-running-operation polls when
// the server sends no Retry-After. (The Azure SDK defaults to 30 s; the
// emulator is local, so a short default keeps commands snappy.)
const DefaultPollInterval = 2 * time.Second

// maxRetries is how often a request answered 408/429/5xx is retried.
const maxRetries = 3

// Client sends ARM requests to one endpoint.
type Client struct {
	// Endpoint is the ARM base URL, e.g. https://127.0.0.1:8443.
	Endpoint *url.URL
	// HTTP carries the requests (its transport holds the trusted CA).
	HTTP *http.Client
	// Tokens supplies the bearer token; nil sends no Authorization header.
	Tokens TokenSource
	// Header is added to every request (CommandName, ParameterSetName, ...).
	Header http.Header
	// Debugf, when set, receives one line per request and response.
	Debugf func(format string, args ...any)
	// PollInterval overrides DefaultPollInterval when positive.
	PollInterval time.Duration
	// Sleep waits between polls and retries; nil uses a timer that honours ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Request is one ARM call.
type Request struct {
	Method string
	// Path is an ARM path such as /subscriptions/{s}/resourceGroups/{rg}
	// (unescaped; it may carry a query string), or an absolute URL as found
	// in nextLink or polling headers (used as is).
	Path string
	// APIVersion is added as ?api-version= unless the URL already has one.
	APIVersion string
	// Query holds extra query parameters ($filter, $expand, ...).
	Query url.Values
	// Body is sent as JSON when non-nil ([]byte and json.RawMessage as is).
	Body any
	// Header holds extra headers for this request.
	Header http.Header
	// NoWait returns right after the initial response of a long-running
	// operation, without polling (az --no-wait).
	NoWait bool
}

// Response is a raw HTTP response with its body read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	URL        string
}

// Decode unmarshals the body; an empty body decodes to nil.
func (r *Response) Decode() (any, error) {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return nil, fmt.Errorf("invalid JSON in response from %s: %w", r.URL, err)
	}
	return v, nil
}

// Get reads a resource (or any GET-able ARM URL).
func (c *Client) Get(ctx context.Context, path, apiVersion string, query url.Values) (any, error) {
	return c.Send(ctx, Request{Method: http.MethodGet, Path: path, APIVersion: apiVersion, Query: query})
}

// GetObject reads a resource that must be a JSON object.
func (c *Client) GetObject(ctx context.Context, path, apiVersion string, query url.Values) (map[string]any, error) {
	v, err := c.Get(ctx, path, apiVersion, query)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("unexpected response from GET %s: not a JSON object", path)
	}
	return m, nil
}

// List reads a collection ({"value":[...],"nextLink":...}) and follows
// nextLink until the last page.
func (c *Client) List(ctx context.Context, path, apiVersion string, query url.Values) ([]any, error) {
	items := []any{}
	next := path
	seen := map[string]bool{}
	for page := 0; next != ""; page++ {
		req := Request{Method: http.MethodGet, Path: next, APIVersion: apiVersion}
		if page == 0 {
			req.Query = query
		}
		resp, err := c.Do(ctx, req)
		if err != nil {
			return nil, err
		}
		v, err := resp.Decode()
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		if vals, ok := m["value"].([]any); ok {
			items = append(items, vals...)
		}
		seen[resp.URL] = true
		next, _ = m["nextLink"].(string)
		if next != "" {
			abs, err := c.resolve(next, "", nil)
			if err != nil || seen[abs] {
				break
			}
		}
	}
	return items, nil
}

// Put creates or replaces a resource and waits for it unless noWait.
func (c *Client) Put(ctx context.Context, path, apiVersion string, body any, noWait bool) (any, error) {
	return c.Send(ctx, Request{Method: http.MethodPut, Path: path, APIVersion: apiVersion, Body: body, NoWait: noWait})
}

// Patch updates a resource and waits for it unless noWait.
func (c *Client) Patch(ctx context.Context, path, apiVersion string, body any, noWait bool) (any, error) {
	return c.Send(ctx, Request{Method: http.MethodPatch, Path: path, APIVersion: apiVersion, Body: body, NoWait: noWait})
}

// Post invokes an action and waits for it unless noWait.
func (c *Client) Post(ctx context.Context, path, apiVersion string, body any, noWait bool) (any, error) {
	return c.Send(ctx, Request{Method: http.MethodPost, Path: path, APIVersion: apiVersion, Body: body, NoWait: noWait})
}

// Delete deletes a resource and waits for it unless noWait.
func (c *Client) Delete(ctx context.Context, path, apiVersion string, noWait bool) error {
	_, err := c.Send(ctx, Request{Method: http.MethodDelete, Path: path, APIVersion: apiVersion, NoWait: noWait})
	return err
}

// Exists sends HEAD: 2xx is true, 404 false, anything else an error.
func (c *Client) Exists(ctx context.Context, path, apiVersion string) (bool, error) {
	_, err := c.Do(ctx, Request{Method: http.MethodHead, Path: path, APIVersion: apiVersion})
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// Send performs a request and, for PUT/PATCH/POST/DELETE, drives the
// long-running operation to its end, the way the Azure SDK poller does:
//
//   - Azure-AsyncOperation (else Operation-Location): poll its status until
//     Succeeded, Failed or Canceled; then PUT/PATCH GET the resource, POST GETs
//     Location when given;
//   - else 202 with Location: poll Location until it stops answering 202;
//   - else PUT/PATCH answered 200/201 with a non-terminal
//     properties.provisioningState: poll the resource itself.
//
// It returns the decoded final body (nil for DELETE and for NoWait).
func (c *Client) Send(ctx context.Context, req Request) (any, error) {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(req.Method)
	if method == http.MethodGet || method == http.MethodHead {
		return resp.Decode()
	}
	if req.NoWait {
		return nil, nil
	}
	origURL := resp.URL
	final, err := c.poll(ctx, method, origURL, resp)
	if err != nil {
		return nil, err
	}
	if method == http.MethodDelete || final == nil {
		return nil, nil
	}
	return final.Decode()
}

// poll drives a long-running operation from its initial response and returns
// the response whose body is the operation's result (nil when there is none).
func (c *Client) poll(ctx context.Context, method, origURL string, initial *Response) (*Response, error) {
	async := initial.Header.Get("Azure-AsyncOperation")
	if async == "" {
		async = initial.Header.Get("Operation-Location")
	}
	location := initial.Header.Get("Location")
	switch {
	case async != "":
		last, err := c.pollStatus(ctx, async, initial)
		if err != nil {
			return nil, err
		}
		switch method {
		case http.MethodPut, http.MethodPatch:
			return c.Do(ctx, Request{Method: http.MethodGet, Path: origURL})
		case http.MethodPost:
			if location != "" {
				resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: location})
				if err != nil {
					return nil, err
				}
				return resp, nil
			}
			return last, nil
		}
		return nil, nil
	case initial.StatusCode == http.StatusAccepted && location != "":
		last, err := c.pollLocation(ctx, location, initial)
		if err != nil {
			return nil, err
		}
		if method == http.MethodPut || method == http.MethodPatch {
			return c.Do(ctx, Request{Method: http.MethodGet, Path: origURL})
		}
		return last, nil
	case (method == http.MethodPut || method == http.MethodPatch) &&
		(initial.StatusCode == http.StatusOK || initial.StatusCode == http.StatusCreated):
		return c.pollBody(ctx, origURL, initial)
	}
	return initial, nil
}

// pollStatus polls an Azure-AsyncOperation / Operation-Location URL.
func (c *Client) pollStatus(ctx context.Context, pollURL string, prev *Response) (*Response, error) {
	for {
		if err := c.sleep(ctx, c.delay(prev)); err != nil {
			return nil, err
		}
		resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: pollURL})
		if err != nil {
			return nil, err
		}
		var st struct {
			Status string         `json:"status"`
			Error  map[string]any `json:"error"`
		}
		_ = json.Unmarshal(resp.Body, &st)
		switch strings.ToLower(st.Status) {
		case "succeeded":
			return resp, nil
		case "failed", "canceled", "cancelled":
			return nil, operationFailed(resp, st.Error)
		}
		prev = resp
	}
}

// pollLocation polls a Location URL until it answers something else than 202.
func (c *Client) pollLocation(ctx context.Context, loc string, prev *Response) (*Response, error) {
	for {
		if err := c.sleep(ctx, c.delay(prev)); err != nil {
			return nil, err
		}
		resp, err := c.Do(ctx, Request{Method: http.MethodGet, Path: loc})
		if err != nil {
			return nil, err
		}
		if h := resp.Header.Get("Location"); h != "" {
			loc = h
		}
		if resp.StatusCode != http.StatusAccepted {
			if state := provisioningState(resp); isFailedState(state) {
				return nil, operationFailed(resp, nil)
			}
			return resp, nil
		}
		prev = resp
	}
}

// pollBody polls the resource until its provisioningState is terminal.
func (c *Client) pollBody(ctx context.Context, resURL string, resp *Response) (*Response, error) {
	for {
		state := provisioningState(resp)
		switch {
		case state == "" || strings.EqualFold(state, "Succeeded"):
			return resp, nil
		case isFailedState(state):
			return nil, operationFailed(resp, nil)
		}
		if err := c.sleep(ctx, c.delay(resp)); err != nil {
			return nil, err
		}
		next, err := c.Do(ctx, Request{Method: http.MethodGet, Path: resURL})
		if err != nil {
			return nil, err
		}
		resp = next
	}
}

func isFailedState(s string) bool {
	switch strings.ToLower(s) {
	case "failed", "canceled", "cancelled":
		return true
	}
	return false
}

func provisioningState(resp *Response) string {
	var body struct {
		Properties struct {
			ProvisioningState string `json:"provisioningState"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(resp.Body, &body)
	return body.Properties.ProvisioningState
}

// operationFailed builds the error of a long-running operation that ended
// Failed or Canceled.
func operationFailed(resp *Response, errObj map[string]any) error {
	e := &Error{StatusCode: resp.StatusCode, Body: resp.Body}
	if errObj != nil {
		fillError(e, errObj)
	}
	if e.Code == "" && e.Message == "" {
		var env map[string]any
		if json.Unmarshal(resp.Body, &env) == nil {
			if inner, ok := env["error"].(map[string]any); ok {
				fillError(e, inner)
			}
		}
	}
	if e.Code == "" && e.Message == "" {
		e.Message = "Operation failed or canceled"
		if state := provisioningState(resp); state != "" {
			e.Message = fmt.Sprintf("Operation failed or canceled (provisioningState: %s)", state)
		}
	}
	return e
}

// delay reads Retry-After-Ms / x-ms-retry-after-ms / Retry-After from a
// response; it falls back to the poll interval.
func (c *Client) delay(resp *Response) time.Duration {
	if resp != nil {
		if d, ok := RetryAfter(resp.Header); ok {
			return d
		}
	}
	if c.PollInterval > 0 {
		return c.PollInterval
	}
	return DefaultPollInterval
}

// RetryAfter reads the delay a server asked for, in milliseconds
// (Retry-After-Ms, x-ms-retry-after-ms) or seconds / HTTP date (Retry-After).
func RetryAfter(h http.Header) (time.Duration, bool) {
	for _, k := range []string{"Retry-After-Ms", "X-Ms-Retry-After-Ms"} {
		if v := strings.TrimSpace(h.Get(k)); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			d := time.Until(t)
			if d < 0 {
				d = 0
			}
			return d, true
		}
	}
	return 0, false
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// resolve turns a request path into an absolute URL with api-version.
func (c *Client) resolve(p, apiVersion string, extra url.Values) (string, error) {
	var u *url.URL
	if strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") {
		parsed, err := url.Parse(p)
		if err != nil {
			return "", fmt.Errorf("invalid URL %q: %w", p, err)
		}
		u = parsed
	} else {
		if c.Endpoint == nil {
			return "", fmt.Errorf("no ARM endpoint configured")
		}
		rawPath, rawQuery, _ := strings.Cut(p, "?")
		if !strings.HasPrefix(rawPath, "/") {
			rawPath = "/" + rawPath
		}
		cp := *c.Endpoint
		cp.Path = strings.TrimSuffix(cp.Path, "/") + rawPath
		cp.RawPath = ""
		cp.RawQuery = rawQuery
		cp.Fragment = ""
		u = &cp
	}
	q := u.Query()
	for k, vs := range extra {
		q.Del(k)
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	if apiVersion != "" && q.Get("api-version") == "" {
		q.Set("api-version", apiVersion)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Do performs one request (with retries on 408/429/5xx for idempotent
// methods) and returns the response, or an *Error for a status >= 400.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	full, err := c.resolve(req.Path, req.APIVersion, req.Query)
	if err != nil {
		return nil, err
	}
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = b
	case json.RawMessage:
		body = b
	default:
		body, err = json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encoding request body: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.roundTrip(ctx, method, full, body, req.Header)
		if err != nil {
			return nil, err
		}
		if attempt < maxRetries && retryable(method, resp.StatusCode) {
			d, ok := RetryAfter(resp.Header)
			if !ok {
				d = time.Duration(800<<attempt) * time.Millisecond
			}
			if err := c.sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode >= 400 {
			return resp, newError(resp.StatusCode, resp.Header, resp.Body)
		}
		return resp, nil
	}
}

func retryable(method string, status int) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
	default:
		return false
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (c *Client) roundTrip(ctx context.Context, method, full string, body []byte, extra http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, full, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	for k, vs := range extra {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("x-ms-client-request-id", uuid.NewString())
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	// Only the daemon gets the token, never another host named in a
	// polling or paging URL.
	if c.Tokens != nil && c.Endpoint != nil && strings.EqualFold(hreq.URL.Host, c.Endpoint.Host) {
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		hreq.Header.Set("Authorization", "Bearer "+tok)
	}
	c.debugf("Request URL: '%s'", full)
	c.debugf("Request method: '%s'", method)
	if body != nil {
		c.debugf("Request body: %s", truncate(body))
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	hresp, err := hc.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConnectionError{URL: full, Err: err}
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(hresp.Body)
	if err != nil {
		return nil, &ConnectionError{URL: full, Err: err}
	}
	c.debugf("Response status: %d (%s)", hresp.StatusCode, time.Since(start).Round(time.Millisecond))
	if len(data) > 0 {
		c.debugf("Response content: %s", truncate(data))
	}
	return &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: data, URL: full}, nil
}

func (c *Client) debugf(format string, args ...any) {
	if c.Debugf != nil {
		c.Debugf(format, args...)
	}
}

func truncate(b []byte) string {
	const max = 4096
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
