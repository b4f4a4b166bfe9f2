package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/privlink/privlink/internal/config"
	"github.com/privlink/privlink/internal/store"
)

const identityKey = "/meta/identity"

// loadOrCreateIdentity returns the emulated account. The store is the
// source of truth, so daemons sharing an external etcd share the default
// subscription and tenant; a copy is kept in the data directory for
// `privlink env`.
func loadOrCreateIdentity(ctx context.Context, s store.Store, dir string) (config.Identity, error) {
	var id config.Identity
	kv, err := s.Get(ctx, identityKey)
	switch {
	case err == nil:
		if err := json.Unmarshal(kv.Value, &id); err != nil {
			return id, fmt.Errorf("decode stored identity: %w", err)
		}
	case errors.Is(err, store.ErrNotFound):
		id, err = config.LoadIdentity(dir)
		if err != nil {
			if !config.IsNotExist(err) {
				return id, err
			}
			id = config.NewIdentity()
		}
		b, _ := json.Marshal(id)
		if _, err := s.Create(ctx, identityKey, b); err != nil {
			if !errors.Is(err, store.ErrExists) {
				return id, fmt.Errorf("store identity: %w", err)
			}
			return loadOrCreateIdentity(ctx, s, dir)
		}
	default:
		return id, fmt.Errorf("read identity: %w", err)
	}
	if err := config.SaveIdentity(dir, id); err != nil {
		return id, err
	}
	return id, nil
}
