package cdn

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/privlink/privlink/internal/arm"
)

// edgeView is what the edge has read from the store at one generation
// (Provider.Generation): the lists and records that route a request, and
// the HTTP transports to origins, whose idle connections are reused by
// later requests to the same origin. A request reads through the view
// of the current generation; the first request after any resource write
// starts a new view (reading the store again) and closes the idle
// connections of the old one. Azure's edges likewise act on the
// configuration pushed to them rather than reading it per request, and
// keep connections to origins open.
type edgeView struct {
	gen int64

	mu         sync.Mutex
	lists      map[string][]*arm.Record // scope + "|" + type
	recs       map[string]*arm.Record   // resource ID (nil: absent)
	props      map[*arm.Record]map[string]any
	transports map[string]*http.Transport
}

// maxEdgeTransports bounds the transports one view keeps (one per origin
// address, host header and TLS setting in use).
const maxEdgeTransports = 256

// edgeIdleTimeout is how long an idle connection to an origin is kept.
const edgeIdleTimeout = 30 * time.Second

// currentView is the view of the current generation, or nil without
// Generation (every read goes to the store, every request dials).
func (pr *Provider) currentView() *edgeView {
	if pr.Generation == nil {
		return nil
	}
	g := pr.Generation()
	pr.viewMu.Lock()
	defer pr.viewMu.Unlock()
	if v := pr.view; v != nil && v.gen == g {
		return v
	}
	old := pr.view
	pr.view = &edgeView{gen: g, lists: map[string][]*arm.Record{}, recs: map[string]*arm.Record{}, props: map[*arm.Record]map[string]any{}, transports: map[string]*http.Transport{}}
	if old != nil {
		old.closeIdle()
	}
	return pr.view
}

// closeIdle closes the idle connections of the view's transports
// (requests still running on them finish; their connections then idle
// out after edgeIdleTimeout).
func (v *edgeView) closeIdle() {
	v.mu.Lock()
	ts := v.transports
	v.transports = nil
	v.mu.Unlock()
	for _, t := range ts {
		t.CloseIdleConnections()
	}
}

// list lists typ under scope, through the view when there is one.
func (e *edge) list(ctx context.Context, scope, typ string) ([]*arm.Record, error) {
	v := e.pr.currentView()
	if v == nil {
		return e.pr.list(ctx, scope, typ)
	}
	key := scope + "|" + typ
	v.mu.Lock()
	defer v.mu.Unlock()
	if l, ok := v.lists[key]; ok {
		return l, nil
	}
	l, err := e.pr.list(ctx, scope, typ)
	if err != nil {
		return nil, err
	}
	v.lists[key] = l
	return l, nil
}

// get reads a record (nil when absent), through the view when there is
// one.
func (e *edge) get(ctx context.Context, id string) (*arm.Record, error) {
	v := e.pr.currentView()
	if v == nil {
		return e.pr.engine.GetRecord(ctx, id)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if r, ok := v.recs[id]; ok {
		return r, nil
	}
	r, err := e.pr.engine.GetRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	v.recs[id] = r
	return r, nil
}

// transport returns the view's transport for key, made by mk on first
// use; without a view (or past the bound) a fresh transport that keeps
// no connection, which the caller closes after its request.
func (e *edge) transport(key string, mk func() *http.Transport) (t *http.Transport, shared bool) {
	v := e.pr.currentView()
	if v == nil {
		t = mk()
		t.DisableKeepAlives = true
		return t, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if t, ok := v.transports[key]; ok {
		return t, true
	}
	t = mk()
	if v.transports == nil || len(v.transports) >= maxEdgeTransports {
		t.DisableKeepAlives = true
		return t, false
	}
	t.IdleConnTimeout = edgeIdleTimeout
	t.MaxIdleConnsPerHost = 64
	v.transports[key] = t
	return t, true
}

// props is rec's properties, decoded once per view (callers only read
// them).
func (e *edge) props(rec *arm.Record) map[string]any {
	v := e.pr.currentView()
	if v == nil {
		return rec.Resource.PropertiesMap()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if m, ok := v.props[rec]; ok {
		return m
	}
	m := rec.Resource.PropertiesMap()
	v.props[rec] = m
	return m
}
