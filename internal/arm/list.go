package arm

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/privlink/privlink/internal/store"
)

// Page is ARM's list envelope.
type Page struct {
	Value    []any  `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

func (e *Engine) list(ctx context.Context, req *Request, spec *TypeSpec) (*Response, error) {
	id := req.ID
	if spec.List != nil {
		op := &ListOp{Req: req, Scope: id.Scope}
		if p, ok := id.Parent(); ok {
			op.Parent = &p
		}
		items, err := spec.List(ctx, op)
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(items))
		for i := range items {
			vals[i] = items[i]
		}
		return &Response{Status: http.StatusOK, Body: Page{Value: vals}}, nil
	}
	var prefix string
	if parent, ok := id.Parent(); ok {
		prec, err := e.GetRecord(ctx, parent.String())
		if err != nil {
			return nil, err
		}
		if prec == nil {
			if ps, ok := e.Registry.Lookup(parent.Type()); ok {
				return nil, e.notFound(ps, parent)
			}
			return nil, ResourceNotFound(parent)
		}
		prefix = parent.Key() + "/" + strings.ToLower(id.Types[len(id.Types)-1]) + "/"
	} else if id.ResourceGroup != "" {
		rg, err := e.GetRecord(ctx, id.ResourceGroupID())
		if err != nil {
			return nil, err
		}
		if rg == nil {
			return nil, ResourceGroupNotFound(id.ResourceGroup)
		}
		prefix = KeyOf(id.ResourceGroupID()+"/providers/"+spec.Type) + "/"
		if spec.Scope == ScopeExtension {
			// extension resources of the group or of a resource in it
			prefix = KeyOf(id.Scope+"/providers/"+spec.Type) + "/"
		}
	} else if spec.Scope == ScopeResourceGroup {
		prefix = KeyOf("/subscriptions/"+id.Subscription+"/resourceGroups") + "/"
	} else {
		prefix = KeyOf(id.Scope+"/providers/"+spec.Type) + "/"
	}
	after := ""
	if tok := req.HTTP.URL.Query().Get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, BadRequest("InvalidSkipToken", "The skip token '%s' is not valid.", tok)
		}
		after = string(b)
	}
	records, last, more, err := e.scan(ctx, prefix, after, spec.Type, e.pageSize(req))
	if err != nil {
		return nil, err
	}
	page := Page{Value: make([]any, 0, len(records))}
	for _, rec := range records {
		res, err := e.Render(ctx, rec)
		if err != nil {
			return nil, err
		}
		page.Value = append(page.Value, res)
	}
	if more {
		q := url.Values{}
		q.Set("api-version", req.APIVersion)
		q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(last)))
		page.NextLink = req.BaseURL + req.HTTP.URL.Path + "?" + q.Encode()
	}
	return &Response{Status: http.StatusOK, Body: page}, nil
}

func (e *Engine) pageSize(req *Request) int {
	n := e.PageSize
	if n <= 0 {
		n = 100
	}
	return n
}

// scan returns up to limit records of fullType under prefix after key
// "after", the last key returned and whether more exist.
func (e *Engine) scan(ctx context.Context, prefix, after, fullType string, limit int) ([]*Record, string, bool, error) {
	var out []*Record
	last := ""
	start := after
	for {
		res, err := e.Store.List(ctx, prefix, store.ListOptions{StartAfter: start, Limit: 500})
		if err != nil {
			return nil, "", false, err
		}
		recs, err := filterType(res.KVs, fullType)
		if err != nil {
			return nil, "", false, err
		}
		for _, r := range recs {
			if len(out) == limit {
				return out, last, true, nil
			}
			out = append(out, r)
			last = KeyOf(r.Resource.ID)
		}
		if !res.More || len(res.KVs) == 0 {
			return out, last, false, nil
		}
		start = res.KVs[len(res.KVs)-1].Key
	}
}

// ListRecords returns all records of fullType under the ID prefix scope.
func (e *Engine) ListRecords(ctx context.Context, scope, fullType string) ([]*Record, error) {
	recs, _, _, err := e.scan(ctx, KeyOf(scope)+"/", "", fullType, 1<<30)
	return recs, err
}
