package app

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/privlink/privlink/internal/config"
)

// EndpointFile, in the data directory, records the endpoint of the daemon
// last started there, so that `privlink env` and the CLI use the address
// actually bound (e.g. with --listen 127.0.0.1:0) rather than the default.
const EndpointFile = config.EndpointFile

// writeEndpoint records endpoint in dir (atomically).
func writeEndpoint(dir, endpoint string) error {
	tmp := filepath.Join(dir, EndpointFile+".tmp")
	if err := os.WriteFile(tmp, []byte(endpoint+"\n"), 0o644); err != nil {
		return fmt.Errorf("write endpoint file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, EndpointFile)); err != nil {
		return fmt.Errorf("write endpoint file: %w", err)
	}
	return nil
}

// readEndpoint returns the endpoint recorded in dir; an error wrapping
// os.ErrNotExist when none was.
func readEndpoint(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, EndpointFile))
	if err != nil {
		return "", err
	}
	ep := strings.TrimSpace(string(b))
	u, err := url.Parse(ep)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" {
		return "", errors.New(filepath.Join(dir, EndpointFile) + ": not an https://host:port endpoint")
	}
	return ep, nil
}
