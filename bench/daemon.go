package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/privlink/privlink/internal/app"
	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/store"
)

// API versions of the resources the benchmarks write.
const (
	GroupAPIVersion    = "2025-04-01"
	IdentityAPIVersion = "2024-11-30"
)

// ResourceGroup is the group that holds the benchmark's identities.
const ResourceGroup = "privlink-bench"

// identityBody is the PUT body of a benchmark identity: a synchronous type
// (one store transaction per PUT, no provisioning afterwards).
var identityBody = []byte(`{"location":"westus2","tags":{"env":"bench","owner":"privlink","purpose":"throughput"}}`)

// Target is a running privlink endpoint the benchmark clients talk to,
// with a bearer token and the benchmark's resource group created.
type Target struct {
	Endpoint       string
	TenantID       string
	SubscriptionID string
	Token          string
	pool           *x509.CertPool
}

// Connect prepares a Target for the daemon at endpoint whose CA
// certificate is in caFile: it fetches one token (client credentials) and
// creates the benchmark's resource group.
func Connect(ctx context.Context, endpoint, caFile, tenant, subscription string) (*Target, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	t := &Target{Endpoint: endpoint, TenantID: tenant, SubscriptionID: subscription, pool: x509.NewCertPool()}
	if !t.pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	hc := t.httpClient()
	defer hc.CloseIdleConnections()
	if t.Token, err = fetchToken(ctx, hc, endpoint, tenant); err != nil {
		return nil, err
	}
	c := &Client{t: t, hc: hc}
	body := []byte(`{"location":"westus2","tags":{"purpose":"benchmark"}}`)
	status, err := c.do(ctx, http.MethodPut, t.GroupID(), GroupAPIVersion, body)
	if err != nil {
		return nil, fmt.Errorf("create resource group: %w", err)
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return nil, fmt.Errorf("create resource group: status %d", status)
	}
	return t, nil
}

// Daemon is an in-process privlink daemon over an embedded etcd, as a
// Target.
type Daemon struct {
	*Target
	App *app.Daemon
}

// StartDaemon starts the daemon as `privlink serve --store embedded`
// would, on a free loopback port with its data in dir, and connects to it.
func StartDaemon(ctx context.Context, dir string, log *slog.Logger) (*Daemon, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.SOCKSListen = "127.0.0.1:0"
	cfg.HTTPProxyListen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.Store = "embedded"
	cfg.LogLevel = "error"
	ad, err := app.Start(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("start daemon: %w", err)
	}
	t, err := Connect(ctx, ad.Endpoint(), ad.CAFile(), ad.Identity.TenantID, ad.Identity.SubscriptionID)
	if err != nil {
		_ = ad.Stop(context.Background())
		return nil, err
	}
	return &Daemon{Target: t, App: ad}, nil
}

// Close stops the daemon.
func (d *Daemon) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.App.Stop(ctx)
}

// GroupID is the benchmark resource group's ID.
func (t *Target) GroupID() string {
	return "/subscriptions/" + t.SubscriptionID + "/resourceGroups/" + ResourceGroup
}

// IdentityID is the ID of the benchmark identity called name.
func (t *Target) IdentityID(name string) string {
	return t.GroupID() + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name
}

func (t *Target) httpClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: t.pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     time.Minute,
		},
		Timeout: time.Minute,
	}
}

// fetchToken gets an ARM access token with the client credentials grant
// from the daemon's Entra ID endpoint.
func fetchToken(ctx context.Context, hc *http.Client, endpoint, tenant string) (string, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {"privlink-bench"},
		"client_secret": {"privlink-bench"},
		"scope":         {endpoint + "/.default"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/"+tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token request: status %d: %s", resp.StatusCode, b)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		return "", fmt.Errorf("decode token response: %w", err)
	}
	if tok.AccessToken == "" {
		return "", errors.New("token response without access_token")
	}
	return tok.AccessToken, nil
}

// Client is one ARM client with its own HTTP/2 connection.
type Client struct {
	t  *Target
	hc *http.Client
}

// Clients returns n clients, each with an established HTTP/2 connection
// (checked with one GET of the resource group, so TLS handshakes stay out
// of the measurements).
func (t *Target) Clients(ctx context.Context, n int) ([]*Client, error) {
	cs := make([]*Client, n)
	for i := range cs {
		cs[i] = &Client{t: t, hc: t.httpClient()}
		req, err := cs[i].request(ctx, http.MethodGet, t.GroupID(), GroupAPIVersion, nil)
		if err != nil {
			return nil, err
		}
		resp, err := cs[i].hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("warm-up GET: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("warm-up GET: status %d", resp.StatusCode)
		}
		if resp.ProtoMajor != 2 {
			return nil, fmt.Errorf("warm-up GET: served over %s, want HTTP/2", resp.Proto)
		}
	}
	return cs, nil
}

// CloseClients closes the clients' connections.
func CloseClients(cs []*Client) {
	for _, c := range cs {
		c.hc.CloseIdleConnections()
	}
}

func (c *Client) request(ctx context.Context, method, path, apiVersion string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.t.Endpoint+path+"?api-version="+apiVersion, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.t.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// do sends one request and returns its status after reading the body.
func (c *Client) do(ctx context.Context, method, path, apiVersion string, body []byte) (int, error) {
	req, err := c.request(ctx, method, path, apiVersion, body)
	if err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, b)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return resp.StatusCode, nil
}

// PutIdentity creates or replaces the identity called name (201 or 200).
func (c *Client) PutIdentity(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPut, c.t.IdentityID(name), IdentityAPIVersion, identityBody)
	return err
}

// GetIdentity reads the identity called name (200).
func (c *Client) GetIdentity(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodGet, c.t.IdentityID(name), IdentityAPIVersion, nil)
	return err
}

var seq atomic.Int64

// Names returns n identity names never returned before in this process.
func Names(n int) []string {
	base := seq.Add(int64(n)) - int64(n)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("bench-%09d", base+int64(i))
	}
	return out
}

// StoreKeys returns n store keys (outside the engine's key spaces) never
// returned before in this process.
func StoreKeys(n int) []string {
	base := seq.Add(int64(n)) - int64(n)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("/bench/k%09d", base+int64(i))
	}
	return out
}

// RecordValue returns the stored record of the identity called name: the
// value the direct-store reference writes has exactly its size and shape.
func (d *Daemon) RecordValue(ctx context.Context, name string) ([]byte, error) {
	kv, err := d.App.Store.Get(ctx, arm.KeyOf(d.IdentityID(name)))
	if err != nil {
		return nil, fmt.Errorf("read record of %s: %w", name, err)
	}
	return kv.Value, nil
}

// PutIdentities is a load operation creating names[i] through ARM.
func PutIdentities(cs []*Client, names []string) Op {
	return func(ctx context.Context, w, i int) error { return cs[w].PutIdentity(ctx, names[i]) }
}

// GetIdentities is a load operation reading names[i%len(names)] through
// ARM.
func GetIdentities(cs []*Client, names []string) Op {
	return func(ctx context.Context, w, i int) error { return cs[w].GetIdentity(ctx, names[i%len(names)]) }
}

// StoreCreates is a load operation creating keys[i] with value directly in
// the daemon's store.
func (d *Daemon) StoreCreates(keys []string, value []byte) Op {
	return func(ctx context.Context, _, i int) error {
		_, err := d.App.Store.Create(ctx, keys[i], value)
		return err
	}
}

// StoreGets is a load operation reading keys[i%len(keys)] directly from
// the daemon's store.
func (d *Daemon) StoreGets(keys []string) Op {
	return func(ctx context.Context, _, i int) error {
		_, err := d.App.Store.Get(ctx, keys[i%len(keys)])
		return err
	}
}

// StoreTxns is a load operation doing directly on the daemon's store what
// an ARM PUT of a new identity does there: an optimistic transaction that
// reads the resource's key and its resource group's key, then creates
// keys[i] with value guarded by both reads (one etcd transaction). It
// separates the engine's storage pattern from the HTTP, authentication and
// JSON work of the API.
func (d *Daemon) StoreTxns(keys []string, value []byte) Op {
	group := arm.KeyOf(d.GroupID())
	return func(ctx context.Context, _, i int) error {
		_, err := store.Run(ctx, d.App.Store, func(tx *store.Tx) error {
			if _, _, err := tx.Get(ctx, keys[i]); err != nil {
				return err
			}
			_, ok, err := tx.Get(ctx, group)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("resource group key %s missing", group)
			}
			tx.Put(keys[i], value)
			return nil
		})
		return err
	}
}
