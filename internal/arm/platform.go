package arm

import (
	"context"
	"log/slog"
	"net/url"
	"time"
)

// Platform is what a resource provider gets to register itself: the type
// registry, the server (for special routes), the engine, and the
// emulator's identity settings.
type Platform struct {
	Registry *Registry
	Server   *Server
	Engine   *Engine
	Log      *slog.Logger
	// DefaultSubscription and TenantID identify the emulated account.
	DefaultSubscription string
	TenantID            string
	// RegistrationDelay is how long provider and feature registrations
	// stay in Registering before becoming Registered.
	RegistrationDelay time.Duration
	// Authorizer answers "may principal P do action A on scope S"; nil
	// until the authorization provider sets it.
	Authorizer Authorizer
}

// Authorizer is the permission check later providers use.
type Authorizer interface {
	// Allowed reports whether principalID may perform action on scope.
	Allowed(principalID, action, scope string) (bool, error)
}

// Provider is a resource provider package's registration entry point.
type Provider interface {
	// Namespace is the provider namespace, e.g. "Microsoft.Network".
	Namespace() string
	// Register adds the provider's types and routes to p.
	Register(p *Platform) error
}

// Client is how a platform service (AKS, Front Door, the cloud provider
// in a cluster) creates the resources it owns: through the ARM front end
// in process, as its own first-party identity (internal/app builds one on
// an in-memory transport; internal/cli/arm's client satisfies it). Errors
// are *Error (IsNotFound reports a 404).
type Client interface {
	Put(ctx context.Context, path, apiVersion string, body any, noWait bool) (any, error)
	GetObject(ctx context.Context, path, apiVersion string, query url.Values) (map[string]any, error)
	Post(ctx context.Context, path, apiVersion string, body any, noWait bool) (any, error)
	Delete(ctx context.Context, path, apiVersion string, noWait bool) error
}
