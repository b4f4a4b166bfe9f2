package core

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/cli/arm"
)

// SubscriptionsAPIVersion is the api-version of GET /subscriptions.
const SubscriptionsAPIVersion = "2022-12-01"

// Subscription is one entry of GET /subscriptions.
type Subscription struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
	IsDefault      bool   `json:"isDefault"`
}

// session is the per-run connection to the daemon, built on first use.
type session struct {
	settings Settings
	http     *http.Client
	tokens   *arm.ClientCredentials
	client   *arm.Client
	subs     []Subscription
	subsOK   bool
}

// newHTTPClient trusts the system roots, SSL_CERT_FILE / REQUESTS_CA_BUNDLE
// and the privlink CA.
func newHTTPClient(s Settings) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	add := func(path string, required bool) error {
		pem, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) && !required {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read CA file %s: %w", path, err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("CA file %s holds no PEM certificate", path)
		}
		return nil
	}
	if err := add(s.CAFile, s.CAFileRequired); err != nil {
		return nil, err
	}
	for _, f := range s.ExtraCAFiles {
		// best effort: these variables belong to other tools too
		_ = add(f, false)
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
	return &http.Client{Transport: tr}, nil
}

// ARM returns the ARM client for the daemon (authenticated on first request).
func (c *Context) ARM() (*arm.Client, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	return s.client, nil
}

// Token returns the full access token (for account get-access-token).
func (c *Context) Token() (arm.Token, error) {
	s, err := c.session()
	if err != nil {
		return arm.Token{}, err
	}
	return s.tokens.Fetch(c.ctx)
}

func (c *Context) session() (*session, error) {
	rt := c.rt
	if rt.sess != nil {
		return rt.sess, nil
	}
	st, err := c.Settings()
	if err != nil {
		return nil, err
	}
	ep, err := url.Parse(st.Endpoint)
	if err != nil || ep.Host == "" || (ep.Scheme != "https" && ep.Scheme != "http") {
		return nil, Errorf("invalid %s %q: expected a URL such as %s", EnvEndpoint, st.Endpoint, DefaultEndpoint)
	}
	hc := rt.httpClient
	if hc == nil {
		hc, err = newHTTPClient(st)
		if err != nil {
			return nil, err
		}
	}
	tokens := &arm.ClientCredentials{
		TokenURL:     st.Endpoint + "/organizations/oauth2/v2.0/token",
		ClientID:     st.ClientID,
		ClientSecret: st.ClientSecret,
		Scope:        st.Endpoint + "/.default",
		HTTP:         hc,
	}
	header := http.Header{}
	header.Set("User-Agent", "AZURECLI/"+AzureCLIVersion+" privlink")
	header.Set("CommandName", c.Command())
	if ps := strings.Join(c.parsed.used, " "); ps != "" {
		header.Set("ParameterSetName", ps)
	}
	client := &arm.Client{
		Endpoint: ep,
		HTTP:     hc,
		Tokens:   tokens,
		Header:   header,
		Sleep:    rt.sleep,
	}
	if c.log.level >= levelDebug {
		client.Debugf = c.Debugf
	}
	rt.sess = &session{settings: st, http: hc, tokens: tokens, client: client}
	return rt.sess, nil
}

// Settings returns the daemon settings read from the environment.
func (c *Context) Settings() (Settings, error) {
	return LoadSettings(c.Getenv)
}

// Subscriptions lists the daemon's subscriptions (GET /subscriptions,
// cached for the run).
func (c *Context) Subscriptions() ([]Subscription, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	if s.subsOK {
		return s.subs, nil
	}
	items, err := s.client.List(c.ctx, "/subscriptions", SubscriptionsAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	subs := make([]Subscription, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		var sub Subscription
		sub.ID, _ = m["id"].(string)
		sub.SubscriptionID, _ = m["subscriptionId"].(string)
		sub.TenantID, _ = m["tenantId"].(string)
		sub.DisplayName, _ = m["displayName"].(string)
		sub.State, _ = m["state"].(string)
		sub.IsDefault, _ = m["isDefault"].(bool)
		if sub.SubscriptionID == "" && sub.ID != "" {
			sub.SubscriptionID = strings.TrimPrefix(sub.ID, "/subscriptions/")
		}
		if sub.ID == "" {
			sub.ID = "/subscriptions/" + sub.SubscriptionID
		}
		subs = append(subs, sub)
	}
	s.subs, s.subsOK = subs, true
	return subs, nil
}

// FindSubscription resolves a subscription name or ID against the list.
func (c *Context) FindSubscription(nameOrID string) (*Subscription, error) {
	subs, err := c.Subscriptions()
	if err != nil {
		return nil, err
	}
	for i := range subs {
		if strings.EqualFold(subs[i].SubscriptionID, nameOrID) {
			return &subs[i], nil
		}
	}
	for i := range subs {
		if strings.EqualFold(subs[i].DisplayName, nameOrID) {
			return &subs[i], nil
		}
	}
	return nil, nil
}

// SavedSubscription is the subscription chosen with `account set` ("" when
// none).
func (c *Context) SavedSubscription() (string, error) {
	cfg, err := c.Config()
	if err != nil {
		return "", err
	}
	var sub string
	if _, err := cfg.Get("subscription", &sub); err != nil {
		return "", err
	}
	return sub, nil
}

// SubscriptionID returns the subscription the command acts on: the one in
// the current --ids resource ID, else --subscription (name or ID), else
// AZURE_SUBSCRIPTION_ID, else the one chosen with `account set`, else the
// daemon's default subscription (isDefault, or the first).
func (c *Context) SubscriptionID() (string, error) {
	if c.idSub != "" {
		return c.idSub, nil
	}
	if c.resolvedSub != "" {
		return c.resolvedSub, nil
	}
	sub, err := c.resolveSubscription()
	if err != nil {
		return "", err
	}
	c.resolvedSub = sub
	return sub, nil
}

func (c *Context) resolveSubscription() (string, error) {
	explicit := c.String(DestSubscription)
	if explicit == "" {
		explicit = strings.TrimSpace(c.Getenv(EnvSubscriptionID))
	}
	if explicit != "" {
		if IsGUID(explicit) {
			return explicit, nil
		}
		sub, err := c.FindSubscription(explicit)
		if err != nil {
			return "", err
		}
		if sub == nil {
			return "", Errorf("Subscription '%s' not found. Check the spelling and casing and try again.", explicit)
		}
		return sub.SubscriptionID, nil
	}
	saved, err := c.SavedSubscription()
	if err != nil {
		return "", err
	}
	if saved != "" {
		return saved, nil
	}
	def, err := c.DefaultSubscription()
	if err != nil {
		return "", err
	}
	return def.SubscriptionID, nil
}

// DefaultSubscription is the daemon's default subscription (isDefault, or
// the first listed).
func (c *Context) DefaultSubscription() (*Subscription, error) {
	subs, err := c.Subscriptions()
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return nil, Errorf("No subscriptions found on the privlink daemon.")
	}
	for i := range subs {
		if subs[i].IsDefault {
			return &subs[i], nil
		}
	}
	return &subs[0], nil
}

// IsGUID reports whether s is a GUID (8-4-4-4-12 hex digits, optional braces).
func IsGUID(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
