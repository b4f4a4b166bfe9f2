package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/privlink/privlink/internal/config"
)

// Environment variables the CLI reads.
const (
	EnvEndpoint       = "PRIVLINK_ENDPOINT"
	EnvCAFile         = "PRIVLINK_CA_FILE"
	EnvDataDir        = "PRIVLINK_DATA_DIR"
	EnvClientID       = "AZURE_CLIENT_ID"
	EnvClientSecret   = "AZURE_CLIENT_SECRET"
	EnvSubscriptionID = "AZURE_SUBSCRIPTION_ID"
	EnvOutput         = "AZURE_CORE_OUTPUT"
	EnvOnlyShowErrors = "AZURE_CORE_ONLY_SHOW_ERRORS"
	EnvNoColor        = "AZURE_CORE_NO_COLOR"
)

// Defaults for the daemon connection.
const (
	DefaultEndpoint     = "https://127.0.0.1:8443"
	DefaultClientID     = "privlink-cli"
	DefaultClientSecret = "privlink"
)

// Settings locate and authenticate to the daemon.
type Settings struct {
	// Endpoint is the ARM base URL (PRIVLINK_ENDPOINT).
	Endpoint string
	// DataDir holds ca.crt and cli.json (PRIVLINK_DATA_DIR, ~/.privlink).
	DataDir string
	// CAFile is the CA bundle to trust (PRIVLINK_CA_FILE, else
	// <DataDir>/ca.crt); CAFileRequired is true when it was named
	// explicitly and so must exist.
	CAFile         string
	CAFileRequired bool
	// ExtraCAFiles are further bundles to trust when present
	// (SSL_CERT_FILE, REQUESTS_CA_BUNDLE).
	ExtraCAFiles []string
	ClientID     string
	ClientSecret string
}

// LoadSettings reads the settings from the environment.
func LoadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{
		Endpoint:     strings.TrimSuffix(strings.TrimSpace(getenv(EnvEndpoint)), "/"),
		DataDir:      getenv(EnvDataDir),
		ClientID:     getenv(EnvClientID),
		ClientSecret: getenv(EnvClientSecret),
	}
	if s.ClientID == "" {
		s.ClientID = DefaultClientID
	}
	if s.ClientSecret == "" {
		s.ClientSecret = DefaultClientSecret
	}
	if s.DataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return s, fmt.Errorf("cannot locate the privlink data directory (set %s): %w", EnvDataDir, err)
		}
		s.DataDir = filepath.Join(home, ".privlink")
	}
	if s.Endpoint == "" {
		s.Endpoint = recordedEndpoint(s.DataDir)
	}
	if f := getenv(EnvCAFile); f != "" {
		s.CAFile, s.CAFileRequired = f, true
	} else {
		s.CAFile = filepath.Join(s.DataDir, "ca.crt")
	}
	for _, k := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"} {
		if f := getenv(k); f != "" {
			s.ExtraCAFiles = append(s.ExtraCAFiles, f)
		}
	}
	return s, nil
}

// ConfigPath is <DataDir>/cli.json.
func (s Settings) ConfigPath() string { return filepath.Join(s.DataDir, "cli.json") }

// Config is the CLI's state file (cli.json): a JSON object whose top-level
// keys belong to different commands ("subscription" for account set,
// "extensions" for extension add, ...). Unknown keys are preserved.
type Config struct {
	path string
	data map[string]json.RawMessage
}

// LoadConfig reads a config file; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	c := &Config{path: path, data: map[string]json.RawMessage{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c.data); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	return c, nil
}

// Get decodes the value under key into v; it reports whether key exists.
func (c *Config) Get(key string, v any) (bool, error) {
	raw, ok := c.data[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%s: key %q: %w", c.path, key, err)
	}
	return true, nil
}

// Set stores v under key (Save writes the file).
func (c *Config) Set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.data[key] = raw
	return nil
}

// Delete removes key.
func (c *Config) Delete(key string) { delete(c.data, key) }

// Save writes the file atomically with mode 0600, creating the directory.
func (c *Config) Save() error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c.data, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".cli.json.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path)
}

// recordedEndpoint is the endpoint `privlink serve` recorded in the data
// directory when it started (so --listen 127.0.0.1:0 works without
// PRIVLINK_ENDPOINT), else DefaultEndpoint.
func recordedEndpoint(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, config.EndpointFile))
	if err != nil {
		return DefaultEndpoint
	}
	ep := strings.TrimSuffix(strings.TrimSpace(string(b)), "/")
	if !strings.HasPrefix(ep, "https://") {
		return DefaultEndpoint
	}
	return ep
}
