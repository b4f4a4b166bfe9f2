package core

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadSettingsEndpoint(t *testing.T) {
	dir := t.TempDir()
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	s, err := LoadSettings(env(map[string]string{EnvDataDir: dir}))
	if err != nil || s.Endpoint != DefaultEndpoint {
		t.Fatalf("no recorded endpoint: got %q, %v; want %q", s.Endpoint, err, DefaultEndpoint)
	}
	if err := os.WriteFile(filepath.Join(dir, "endpoint"), []byte("https://127.0.0.1:40123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = LoadSettings(env(map[string]string{EnvDataDir: dir}))
	if s.Endpoint != "https://127.0.0.1:40123" {
		t.Fatalf("recorded endpoint not used: %q", s.Endpoint)
	}
	s, _ = LoadSettings(env(map[string]string{EnvDataDir: dir, EnvEndpoint: "https://127.0.0.1:9/"}))
	if s.Endpoint != "https://127.0.0.1:9" {
		t.Fatalf("%s does not win over the recorded endpoint: %q", EnvEndpoint, s.Endpoint)
	}
	if err := os.WriteFile(filepath.Join(dir, "endpoint"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = LoadSettings(env(map[string]string{EnvDataDir: dir}))
	if s.Endpoint != DefaultEndpoint {
		t.Fatalf("malformed recorded endpoint: got %q, want the default", s.Endpoint)
	}
}
