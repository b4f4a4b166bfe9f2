package cloudprovider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"k8s.io/apimachinery/pkg/labels"
)

var everything = labels.Everything()

func (p *Provider) groupPath(rg string) string {
	return "/subscriptions/" + p.cfg.Subscription + "/resourceGroups/" + rg
}

func (p *Provider) resPath(rg, typ, name string) string {
	return p.groupPath(rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

// isNotFound tells a 404 from the ARM client.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	if ae, ok := arm.AsError(err); ok {
		return ae.Status == 404
	}
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) {
		return nf.NotFound()
	}
	var sc interface{ StatusCode() int }
	return errors.As(err, &sc) && sc.StatusCode() == 404
}

// get reads a resource; a missing one is nil without error.
func (p *Provider) get(ctx context.Context, path string) (map[string]any, error) {
	m, err := p.cfg.ARM.GetObject(ctx, path, APIVersion, nil)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", path, err)
	}
	return m, nil
}

func (p *Provider) put(ctx context.Context, path string, body map[string]any) (map[string]any, error) {
	out, err := p.cfg.ARM.Put(ctx, path, APIVersion, body, false)
	if err != nil {
		return nil, fmt.Errorf("create or update %s: %w", path, err)
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func (p *Provider) del(ctx context.Context, path string) error {
	if err := p.cfg.ARM.Delete(ctx, path, APIVersion, false); err != nil && !isNotFound(err) {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// list returns the items of a collection (following nextLink is not
// needed: node resource groups hold few load balancers and link services).
func (p *Provider) list(ctx context.Context, path string) ([]map[string]any, error) {
	m, err := p.get(ctx, path)
	if err != nil || m == nil {
		return nil, err
	}
	var out []map[string]any
	for _, v := range anySlice(m["value"]) {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// JSON helpers.

func obj(m any, path ...string) map[string]any {
	cur, _ := m.(map[string]any)
	for _, k := range path {
		next, _ := cur[k].(map[string]any)
		cur = next
	}
	return cur
}

func str(m any, path ...string) string {
	if len(path) == 0 {
		s, _ := m.(string)
		return s
	}
	o := obj(m, path[:len(path)-1]...)
	s, _ := o[path[len(path)-1]].(string)
	return s
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// props returns m["properties"], creating it.
func props(m map[string]any) map[string]any {
	p, ok := m["properties"].(map[string]any)
	if !ok {
		p = map[string]any{}
		m["properties"] = p
	}
	return p
}

func lastSeg(id string) string { return id[strings.LastIndex(id, "/")+1:] }

func stringsOf(v any) []string {
	var out []string
	for _, x := range anySlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sameSet compares string multisets (cloud-provider-azure's
// sameContentInSlices).
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		if m[s] == 0 {
			return false
		}
		m[s]--
	}
	return true
}
