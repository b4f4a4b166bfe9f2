package arm

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/store"
)

// Txn is the engine's transaction handle given to provider hooks: typed
// access to resource records plus raw keys, all committed atomically.
type Txn struct {
	raw *store.Tx
	e   *Engine
}

// Engine returns the engine the transaction runs on (for hooks and helpers
// that need Render or DeleteTree).
func (t *Txn) Engine() *Engine { return t.e }

// Raw exposes the underlying store transaction (for provider-owned keys
// such as address reservations; keep them outside "/r", "/x" and "/c").
func (t *Txn) Raw() *store.Tx { return t.raw }

// Get returns the record of resourceID, or nil if it does not exist.
func (t *Txn) Get(ctx context.Context, resourceID string) (*Record, error) {
	kv, ok, err := t.raw.Get(ctx, KeyOf(resourceID))
	if err != nil || !ok {
		return nil, err
	}
	return decodeRecord(kv.Value)
}

// Children returns the child records of parent of one child type.
func (t *Txn) Children(ctx context.Context, parent ID, childType string) ([]*Record, error) {
	prefix := parent.Key() + "/" + strings.ToLower(childType) + "/"
	kvs, err := t.raw.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, kv := range kvs {
		if strings.Contains(kv.Key[len(prefix):], "/") {
			continue
		}
		r, err := decodeRecord(kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// CountChildren counts the direct children of parent of childType
// without decoding them (each key is still guarded at commit, as with
// Children).
func (t *Txn) CountChildren(ctx context.Context, parent ID, childType string) (int, error) {
	prefix := parent.Key() + "/" + strings.ToLower(childType) + "/"
	kvs, err := t.raw.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, kv := range kvs {
		if !strings.Contains(kv.Key[len(prefix):], "/") {
			n++
		}
	}
	return n, nil
}

// ListType returns the records of a full type whose IDs start with scope
// (e.g. "/subscriptions/s/resourceGroups/rg" or "/subscriptions/s").
func (t *Txn) ListType(ctx context.Context, scope, fullType string) ([]*Record, error) {
	kvs, err := t.raw.List(ctx, KeyOf(scope)+"/")
	if err != nil {
		return nil, err
	}
	return filterType(kvs, fullType)
}

func filterType(kvs []store.KeyValue, fullType string) ([]*Record, error) {
	var out []*Record
	want := strings.ToLower(fullType)
	for _, kv := range kvs {
		id, err := ParseID(kv.Key[2:])
		if err != nil || strings.ToLower(id.Type()) != want || id.IsCollection() {
			continue
		}
		r, err := decodeRecord(kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Write stores a record (another resource than the one being put, e.g. the
// remote side of a peering), maintaining its refs index against old.
func (t *Txn) Write(ctx context.Context, rec *Record) error {
	key := KeyOf(rec.Resource.ID)
	old, err := t.Get(ctx, rec.Resource.ID)
	if err != nil {
		return err
	}
	var oldRefs []Ref
	if old != nil {
		oldRefs = old.Refs
	}
	if err := t.syncRefs(ctx, key, oldRefs, rec.Refs); err != nil {
		return err
	}
	b, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	t.raw.Put(key, b)
	return nil
}

// indexEntry is the value of a ref index key.
type indexEntry struct {
	Ref
	SourceKey string `json:"sk"`
}

func refIndexKey(targetKey string, r Ref) string {
	return "/x" + targetKey + "|" + r.Kind + "|" + strings.ToLower(r.Source)
}

func refCounterKey(targetKey string) string { return "/c" + targetKey }

// syncRefs replaces the refs of the record at key.
func (t *Txn) syncRefs(ctx context.Context, key string, oldRefs, newRefs []Ref) error {
	type rk struct{ t, k, s string }
	norm := func(r Ref) rk { return rk{strings.ToLower(r.Target), r.Kind, strings.ToLower(r.Source)} }
	keep := map[rk]Ref{}
	for _, r := range newRefs {
		keep[norm(r)] = r
	}
	for _, r := range oldRefs {
		if nr, ok := keep[norm(r)]; ok && nr.Blocking == r.Blocking {
			continue
		}
		tk := KeyOf(r.Target)
		t.raw.Delete(refIndexKey(tk, r))
		t.raw.Put(refCounterKey(tk), []byte(key))
	}
	old := map[rk]Ref{}
	for _, r := range oldRefs {
		old[norm(r)] = r
	}
	for _, r := range newRefs {
		if or, ok := old[norm(r)]; ok && or.Blocking == r.Blocking {
			continue
		}
		target, err := t.Get(ctx, r.Target)
		if err != nil {
			return err
		}
		if target == nil && KeyOf(r.Target) != key {
			return BadRequest("InvalidResourceReference",
				"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
				r.Target, r.Source)
		}
		tk := KeyOf(r.Target)
		b, _ := json.Marshal(indexEntry{Ref: r, SourceKey: key})
		t.raw.Put(refIndexKey(tk, r), b)
		t.raw.Put(refCounterKey(tk), []byte(key))
	}
	return nil
}

// RefsTo lists the refs pointing at target (guarding against concurrent
// additions).
func (t *Txn) RefsTo(ctx context.Context, target string) ([]Ref, error) {
	entries, err := t.refEntries(ctx, KeyOf(target))
	if err != nil {
		return nil, err
	}
	out := make([]Ref, len(entries))
	for i, e := range entries {
		out[i] = e.Ref
	}
	return out, nil
}

func (t *Txn) refEntries(ctx context.Context, targetKey string) ([]indexEntry, error) {
	if _, _, err := t.raw.Get(ctx, refCounterKey(targetKey)); err != nil {
		return nil, err
	}
	kvs, err := t.raw.List(ctx, "/x"+targetKey+"|")
	if err != nil {
		return nil, err
	}
	out := make([]indexEntry, 0, len(kvs))
	for _, kv := range kvs {
		var e indexEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return nil, fmt.Errorf("decode ref index %s: %w", kv.Key, err)
		}
		out = append(out, e)
	}
	return out, nil
}
