package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// API versions of the data-plane benchmark's resources.
const (
	NetworkAPIVersion    = "2024-05-01"
	ComputeAPIVersion    = "2024-11-01"
	PrivateDNSAPIVersion = "2024-06-01"
	FabricAPIVersion     = "2025-01-01"
)

// Reply is one ARM response.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// Call sends one ARM request (body marshalled to JSON unless nil or
// already []byte) and returns the response, with an error for a status of
// 300 or more that carries ARM's error body.
func (c *Client) Call(ctx context.Context, method, path, apiVersion string, body any) (*Reply, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
	}
	req, err := c.request(ctx, method, path, apiVersion, raw)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	r := &Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if resp.StatusCode >= 300 {
		return r, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return r, nil
}

// PutAndWait creates or replaces a resource and, for an asynchronous type,
// polls its Azure-AsyncOperation until the operation ends; an operation
// that does not succeed is an error.
func (c *Client) PutAndWait(ctx context.Context, path, apiVersion string, body any) error {
	r, err := c.Call(ctx, http.MethodPut, path, apiVersion, body)
	if err != nil {
		return err
	}
	return c.wait(ctx, r)
}

// wait follows the Azure-AsyncOperation of r, if any, polling every 20 ms.
func (c *Client) wait(ctx context.Context, r *Reply) error {
	return c.waitEvery(ctx, r, 20*time.Millisecond)
}

// Get reads a resource and decodes it into out.
func (c *Client) Get(ctx context.Context, path, apiVersion string, out any) error {
	r, err := c.Call(ctx, http.MethodGet, path, apiVersion, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}

// Environment is the answer of POST /providers/Privlink.Fabric/environment
// (the fields the benchmark uses).
type Environment struct {
	Vantage   string `json:"vantage"`
	SOCKS5    string `json:"socks5"`
	HTTPProxy string `json:"httpProxy"`
	DNSServer string `json:"dnsServer"`
}

// FabricEnvironment asks the daemon for the environment of the vantage
// from (a VM resource ID or name, or "internet").
func (c *Client) FabricEnvironment(ctx context.Context, from string) (*Environment, error) {
	r, err := c.Call(ctx, http.MethodPost, "/providers/Privlink.Fabric/environment", FabricAPIVersion, map[string]string{"from": from})
	if err != nil {
		return nil, err
	}
	var env Environment
	if err := json.Unmarshal(r.Body, &env); err != nil {
		return nil, fmt.Errorf("decode environment: %w", err)
	}
	if env.SOCKS5 == "" {
		return nil, errors.New("environment without a SOCKS5 address")
	}
	return &env, nil
}
