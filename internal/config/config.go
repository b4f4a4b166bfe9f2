// Package config holds privlink's daemon configuration: one struct with
// defaults, flags and PRIVLINK_* environment variables bound into it, and
// validation.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the daemon configuration.
type Config struct {
	// Listen is the HTTPS address of the ARM endpoint (loopback only).
	Listen string
	// DataDir holds certificates, keys, the default identity and the
	// embedded store.
	DataDir string
	// Store selects the engine: "embedded" (default), "memory", or
	// "etcd://host:2379,host:2379" for an external etcd cluster.
	Store string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// RegistrationDelay is how long provider and feature registrations stay
	// in Registering.
	RegistrationDelay time.Duration
	// SOCKSListen and HTTPProxyListen are the data plane's ingress
	// proxies (loopback only): programs reach emulated hosts through them
	// "from" a vantage host named in the proxy user name.
	SOCKSListen     string
	HTTPProxyListen string
}

// Default returns the default configuration.
func Default() Config {
	return Config{
		Listen:            "127.0.0.1:8443",
		DataDir:           DefaultDataDir(),
		Store:             "embedded",
		LogLevel:          "info",
		RegistrationDelay: 3 * time.Second,
		SOCKSListen:       "127.0.0.1:1080",
		HTTPProxyListen:   "127.0.0.1:3128",
	}
}

// DefaultDataDir is $PRIVLINK_DATA_DIR or ~/.privlink.
func DefaultDataDir() string {
	if d := os.Getenv("PRIVLINK_DATA_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ".privlink"
	}
	return filepath.Join(home, ".privlink")
}

// Bind registers flags on fs, with defaults taken from cfg and overridden
// by PRIVLINK_* environment variables.
func (c *Config) Bind(fs *flag.FlagSet) {
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Listen, "listen", env("PRIVLINK_LISTEN", c.Listen), "HTTPS listen address (loopback only)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory")
	fs.StringVar(&c.Store, "store", env("PRIVLINK_STORE", c.Store), "store engine: embedded, memory, or etcd://host:2379[,host:2379]")
	fs.StringVar(&c.LogLevel, "log-level", env("PRIVLINK_LOG_LEVEL", c.LogLevel), "log level: debug, info, warn, error")
	delay := c.RegistrationDelay
	if v := os.Getenv("PRIVLINK_REGISTRATION_DELAY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			delay = d
		}
	}
	fs.DurationVar(&c.RegistrationDelay, "registration-delay", delay, "how long feature/provider registrations stay Registering")
	fs.StringVar(&c.SOCKSListen, "socks-listen", env("PRIVLINK_SOCKS_LISTEN", c.SOCKSListen), "SOCKS5 ingress proxy address (loopback only)")
	fs.StringVar(&c.HTTPProxyListen, "http-proxy-listen", env("PRIVLINK_HTTP_PROXY_LISTEN", c.HTTPProxyListen), "HTTP CONNECT ingress proxy address (loopback only)")
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	for _, l := range []struct{ flag, addr string }{
		{"--listen", c.Listen}, {"--socks-listen", c.SOCKSListen}, {"--http-proxy-listen", c.HTTPProxyListen},
	} {
		if err := checkLoopback(l.flag, l.addr); err != nil {
			return err
		}
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	switch {
	case c.Store == "embedded", c.Store == "memory", strings.HasPrefix(c.Store, "etcd://"):
	default:
		return fmt.Errorf("--store %q: want embedded, memory or etcd://host:port[,host:port]", c.Store)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.RegistrationDelay < 0 {
		return errors.New("--registration-delay must not be negative")
	}
	return nil
}

// checkLoopback validates a listen address: host:port on loopback.
func checkLoopback(flag, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	if port == "" {
		return fmt.Errorf("%s %q: missing port", flag, addr)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%s %q: privlink listens on loopback addresses only", flag, addr)
		}
	}
	return nil
}
