package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// TokenSource supplies bearer tokens for ARM requests.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// ClientCredentials obtains tokens with the OAuth 2.0 client-credentials
// grant (POST form grant_type=client_credentials, client_id, client_secret,
// scope) and caches each token until shortly before it expires.
type ClientCredentials struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scope        string
	HTTP         *http.Client

	mu      sync.Mutex
	token   Token
	fetched bool
}

// Token is an access token as returned by the token endpoint.
type Token struct {
	AccessToken string
	TokenType   string
	ExpiresOn   time.Time
}

var _ TokenSource = (*ClientCredentials)(nil)

// Token returns a cached token or fetches a new one.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	t, err := c.Fetch(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

// Fetch returns the full cached token, fetching a new one when needed.
func (c *ClientCredentials) Fetch(ctx context.Context) (Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fetched && time.Until(c.token.ExpiresOn) > time.Minute {
		return c.token, nil
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
		"scope":         {c.Scope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Token{}, &ConnectionError{URL: c.TokenURL, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, err
	}
	var tr struct {
		AccessToken      string          `json:"access_token"`
		TokenType        string          `json:"token_type"`
		ExpiresIn        json.RawMessage `json:"expires_in"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		msg := tr.ErrorDescription
		if msg == "" {
			msg = strings.TrimSpace(string(body))
		}
		if msg == "" {
			msg = resp.Status
		}
		code := tr.Error
		if code == "" {
			code = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return Token{}, fmt.Errorf("authentication against %s failed: (%s) %s", c.TokenURL, code, msg)
	}
	t := Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, ExpiresOn: time.Now().Add(time.Hour)}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	if secs := parseSeconds(tr.ExpiresIn); secs > 0 {
		t.ExpiresOn = time.Now().Add(time.Duration(secs) * time.Second)
	}
	c.token, c.fetched = t, true
	return t, nil
}

// parseSeconds reads expires_in, which servers send as a number or a string.
func parseSeconds(raw json.RawMessage) int64 {
	if len(raw) == 0 {
		return 0
	}
	var n json.Number
	s := strings.Trim(string(raw), `"`)
	n = json.Number(s)
	v, err := n.Int64()
	if err != nil {
		return 0
	}
	return v
}

// ConnectionError means the daemon could not be reached at all.
type ConnectionError struct {
	URL string
	Err error
}

func (e *ConnectionError) Error() string {
	return fmt.Sprintf("cannot connect to %s: %v", e.URL, e.Err)
}

func (e *ConnectionError) Unwrap() error { return e.Err }
