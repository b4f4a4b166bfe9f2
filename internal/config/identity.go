package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// Identity is the emulated account: the default subscription and tenant.
type Identity struct {
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
}

// IdentityFile is the identity's file name in the data directory.
const IdentityFile = "identity.json"

// NewIdentity makes a fresh identity.
func NewIdentity() Identity {
	return Identity{SubscriptionID: uuid.NewString(), TenantID: uuid.NewString()}
}

// LoadIdentity reads the identity from dir; os.ErrNotExist if absent.
func LoadIdentity(dir string) (Identity, error) {
	var id Identity
	b, err := os.ReadFile(filepath.Join(dir, IdentityFile))
	if err != nil {
		return id, err
	}
	if err := json.Unmarshal(b, &id); err != nil {
		return id, fmt.Errorf("parse %s: %w", IdentityFile, err)
	}
	if uuid.Validate(id.SubscriptionID) != nil || uuid.Validate(id.TenantID) != nil {
		return id, fmt.Errorf("%s: subscriptionId and tenantId must be GUIDs", IdentityFile)
	}
	return id, nil
}

// SaveIdentity writes the identity to dir.
func SaveIdentity(dir string, id Identity) error {
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, IdentityFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write identity: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, IdentityFile))
}

// IsNotExist reports whether err means the file is absent.
func IsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// EndpointFile, in the data directory, records the HTTPS endpoint of the
// daemon last started there (one line, https://host:port).
const EndpointFile = "endpoint"
