package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/pki"
)

// Version is set at build time with -ldflags "-X ...app.Version=...".
var Version = "dev"

// NewLogger returns the daemon's logger at level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// Serve runs `privlink serve`: it starts the daemon, prints the endpoint
// when ready and runs until SIGINT/SIGTERM or ctx ends.
func Serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg := config.Default()
	fs := flag.NewFlagSet("privlink serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.Bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "privlink serve: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "privlink serve: %v\n", err)
		return 2
	}
	log := NewLogger(stderr, cfg.LogLevel)
	log.Info("starting privlink", "version", Version, "listen", cfg.Listen, "dataDir", cfg.DataDir, "store", cfg.Store,
		"registrationDelay", cfg.RegistrationDelay)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	d, err := Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "privlink serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "privlink is ready at %s (subscription %s, tenant %s; started in %s)\n",
		d.Endpoint(), d.Identity.SubscriptionID, d.Identity.TenantID, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "CA certificate: %s\nRun `eval $(privlink env)` in another shell to point clients at it.\n", d.CAFile())
	releaseExecutablePages()
	code := 0
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-d.Err():
		log.Error("fatal", "err", err)
		code = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := d.Stop(sctx); err != nil {
		log.Error("stop", "err", err)
		code = 1
	}
	log.Info("stopped")
	return code
}

// Env runs `privlink env`: it prints the environment a client needs.
func Env(args []string, stdout, stderr io.Writer) int {
	cfg := config.Default()
	fs := flag.NewFlagSet("privlink env", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.Bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	id, err := config.LoadIdentity(cfg.DataDir)
	if err != nil {
		if config.IsNotExist(err) {
			fmt.Fprintf(stderr, "privlink env: %s has no identity yet: start `privlink serve --data-dir %s` first\n", cfg.DataDir, cfg.DataDir)
		} else {
			fmt.Fprintf(stderr, "privlink env: %v\n", err)
		}
		return 1
	}
	// The endpoint: --listen or PRIVLINK_LISTEN when given, else the
	// address the daemon last started on this data directory bound, else
	// the default.
	endpoint := "https://" + cfg.Listen
	listenSet := os.Getenv("PRIVLINK_LISTEN") != ""
	fs.Visit(func(f *flag.Flag) { listenSet = listenSet || f.Name == "listen" })
	if !listenSet {
		ep, err := readEndpoint(cfg.DataDir)
		switch {
		case err == nil:
			endpoint = ep
		case !errors.Is(err, os.ErrNotExist):
			fmt.Fprintf(stderr, "privlink env: %v\n", err)
			return 1
		}
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		fmt.Fprintf(stderr, "privlink env: %v\n", err)
		return 1
	}
	ca := filepath.Join(dataDir, pki.CACertFile)
	for _, kv := range [][2]string{
		{"PRIVLINK_ENDPOINT", endpoint},
		{"PRIVLINK_DATA_DIR", dataDir},
		{"SSL_CERT_FILE", ca},
		{"REQUESTS_CA_BUNDLE", ca},
		{"AZURE_SUBSCRIPTION_ID", id.SubscriptionID},
		{"AZURE_TENANT_ID", id.TenantID},
		{"AZURE_CLIENT_ID", "privlink-cli"},
		{"AZURE_CLIENT_SECRET", "privlink"},
		{"AZURE_AUTHORITY_HOST", endpoint + "/"},
		{"ARM_METADATA_HOSTNAME", strings.TrimPrefix(endpoint, "https://")},
		{"ARM_SUBSCRIPTION_ID", id.SubscriptionID},
		{"ARM_TENANT_ID", id.TenantID},
		{"ARM_CLIENT_ID", "privlink-cli"},
		{"ARM_CLIENT_SECRET", "privlink"},
	} {
		fmt.Fprintf(stdout, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return 0
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == ':' || r == '-' || r == '_' || r == '=' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
