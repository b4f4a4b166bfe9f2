package privatedns

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

// lister serves a zone's record set collections: .../{zone}/ALL (and
// .../recordsets) and .../{zone}/{type}, with $top, $recordsetnamesuffix
// and nextLink paging.
type lister struct {
	e *arm.Engine
}

func (l *lister) handler(typ string) arm.HandlerFunc {
	return func(ctx context.Context, req *arm.Request) (*arm.Response, error) {
		return l.list(ctx, req, typ)
	}
}

func (l *lister) list(ctx context.Context, req *arm.Request, typ string) (*arm.Response, error) {
	specType := ZoneType
	if typ != "" {
		specType += "/" + typ
	}
	spec, ok := l.e.Registry.Lookup(specType)
	if !ok {
		return nil, fmt.Errorf("type %s not registered", specType)
	}
	if err := arm.CheckAPIVersion(spec, req); err != nil {
		return nil, err
	}
	v := req.Vars
	zoneID, err := arm.ParseID(fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s",
		v["sub"], v["rg"], ZoneType, v["zone"]))
	if err != nil {
		return nil, arm.NotFound("InvalidResourceId", "The resource id '%s' is not valid: %v", req.HTTP.URL.Path, err)
	}
	rg, err := l.e.GetRecord(ctx, zoneID.ResourceGroupID())
	if err != nil {
		return nil, err
	}
	if rg == nil {
		return nil, arm.ResourceGroupNotFound(zoneID.ResourceGroup)
	}
	zone, err := l.e.GetRecord(ctx, zoneID.String())
	if err != nil {
		return nil, err
	}
	if zone == nil {
		return nil, arm.ResourceNotFound(zoneID)
	}
	q := req.HTTP.URL.Query()
	size := l.e.PageSize
	if size <= 0 {
		size = 100
	}
	if s := q.Get("$top"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, arm.BadRequest("InvalidParameter", "The value '%s' of the query parameter '$top' is invalid. It must be a positive integer.", s)
		}
		size = min(size, n)
	}
	suffix := strings.ToLower(q.Get("$recordsetnamesuffix"))
	tok := q.Get("$skiptoken")
	if tok == "" {
		tok = q.Get("$skipToken")
	}
	after := ""
	if tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, arm.BadRequest("InvalidSkipToken", "The skip token '%s' is not valid.", tok)
		}
		after = string(b)
	}
	zonePrefix := zoneID.Key() + "/"
	prefix := zonePrefix
	if typ != "" {
		prefix += strings.ToLower(typ) + "/"
	}
	if after != "" && !strings.HasPrefix(after, prefix) {
		return nil, arm.BadRequest("InvalidSkipToken", "The skip token '%s' is not valid.", tok)
	}
	var (
		page = arm.Page{Value: []any{}}
		last string
		more bool
	)
scan:
	for {
		res, err := l.e.Store.List(ctx, prefix, store.ListOptions{StartAfter: after, Limit: 500})
		if err != nil {
			return nil, fmt.Errorf("list record sets of %s: %w", zoneID, err)
		}
		for _, kv := range res.KVs {
			seg, name, ok := strings.Cut(kv.Key[len(zonePrefix):], "/")
			if !ok || name == "" || strings.Contains(name, "/") {
				continue
			}
			if _, ok := recordTypeOf(seg); !ok {
				continue
			}
			if suffix != "" && name != suffix && !strings.HasSuffix(name, "."+suffix) {
				continue
			}
			if len(page.Value) == size {
				more = true
				break scan
			}
			var rec arm.Record
			if err := json.Unmarshal(kv.Value, &rec); err != nil {
				return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
			}
			out, err := l.e.Render(ctx, &rec)
			if err != nil {
				return nil, err
			}
			page.Value = append(page.Value, out)
			last = kv.Key
		}
		if !res.More || len(res.KVs) == 0 {
			break
		}
		after = res.KVs[len(res.KVs)-1].Key
	}
	if more {
		nq := url.Values{}
		nq.Set("api-version", req.APIVersion)
		for _, k := range []string{"$top", "$recordsetnamesuffix"} {
			if s := q.Get(k); s != "" {
				nq.Set(k, s)
			}
		}
		nq.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(last)))
		page.NextLink = req.BaseURL + req.HTTP.URL.Path + "?" + nq.Encode()
	}
	return &arm.Response{Status: http.StatusOK, Body: page}, nil
}
