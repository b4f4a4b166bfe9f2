package auth_test

import (
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/pki"
)

// How the daemon wires identity into its HTTPS front end: identity routes
// go to the Handler, everything else is ARM and needs a bearer token.
func ExampleIssuer_Handler() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	dir, err := os.MkdirTemp("", "privlink-example-")
	if err != nil {
		logger.Error("temp dir", "err", err)
		return
	}
	defer os.RemoveAll(dir)

	serving, err := pki.EnsureServing(dir, nil)
	if err != nil {
		logger.Error("tls", "err", err)
		return
	}
	issuer, err := auth.NewIssuer(dir, "72f988bf-86f1-41af-91ab-2d7cd011db47", logger)
	if err != nil {
		logger.Error("issuer", "err", err)
		return
	}
	identity := issuer.Handler(nil) // base URL: "https://" + Host

	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if identity.Handles(r) {
			identity.ServeHTTP(w, r)
			return
		}
		principal, err := issuer.Authenticate(r)
		var authErr *auth.Error
		if errors.As(err, &authErr) {
			w.Header().Set("WWW-Authenticate", authErr.WWWAuthenticate(auth.RequestBaseURL(r)))
			w.Header().Set("x-ms-error-code", authErr.Code)
			http.Error(w, authErr.Message, authErr.Status) // the ARM front end writes its JSON envelope here
			return
		}
		_ = r.WithContext(auth.NewContext(r.Context(), principal)) // ... ARM routing continues with this request ...
	})

	srv := &http.Server{Addr: "127.0.0.1:8443", Handler: front, TLSConfig: serving.TLSConfig()}
	_ = srv // srv.ListenAndServeTLS("", "") in the daemon
}
