package arm

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Authenticator verifies a request's bearer token. Errors should be *Error
// values (401) carrying ARM's codes.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// HandlerFunc handles a special (non-generic) route.
type HandlerFunc func(ctx context.Context, req *Request) (*Response, error)

type route struct {
	method  string
	pattern []string
	h       HandlerFunc
}

// Server is the ARM HTTP front end.
type Server struct {
	Engine *Engine
	Auth   Authenticator
	// Public serves everything that is not an ARM path (metadata and token
	// endpoints); nil answers 404.
	Public http.Handler
	Log    *slog.Logger
	// MaxBody caps request bodies.
	MaxBody int64
	routes  []route
}

// NewServer returns a server over the engine.
func NewServer(e *Engine, auth Authenticator, public http.Handler, log *slog.Logger) *Server {
	s := &Server{Engine: e, Auth: auth, Public: public, Log: log, MaxBody: 4 << 20}
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers/{ns}/locations/{loc}/operations/{op}", e.handleOperation)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers/{ns}/locations/{loc}/operationResults/{op}", e.handleOperationResult)
	return s
}

// Handle registers a special route. Literal segments match
// case-insensitively; {name} captures one segment. One {name...} segment
// per pattern captures zero or more segments as "/a/b" ("" for none), e.g.
// "/{scope...}/providers/Microsoft.Authorization/roleDefinitions/{id}" for
// an extension type served at any scope. Special routes are tried before
// the generic resource routing, in registration order.
func (s *Server) Handle(method, pattern string, h HandlerFunc) {
	s.routes = append(s.routes, route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), h: h})
}

func isVarSegment(p string) bool { return strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") }

func isRestSegment(p string) bool { return isVarSegment(p) && strings.HasSuffix(p, "...}") }

func (rt *route) match(method string, segs []string) (map[string]string, bool) {
	if rt.method != method && !(rt.method == http.MethodGet && method == http.MethodHead) {
		return nil, false
	}
	rest := -1
	for i, p := range rt.pattern {
		if isRestSegment(p) {
			rest = i
			break
		}
	}
	if rest < 0 && len(segs) != len(rt.pattern) {
		return nil, false
	}
	extra := 0 // segments captured by the rest variable
	if rest >= 0 {
		extra = len(segs) - (len(rt.pattern) - 1)
		if extra < 0 {
			return nil, false
		}
	}
	vars := map[string]string{}
	for i, p := range rt.pattern {
		j := i // index in segs
		if rest >= 0 && i > rest {
			j = i - 1 + extra
		}
		switch {
		case i == rest:
			captured := segs[i : i+extra]
			vars[p[1:len(p)-4]] = ""
			if len(captured) > 0 {
				vars[p[1:len(p)-4]] = "/" + strings.Join(captured, "/")
			}
		case isVarSegment(p):
			vars[p[1:len(p)-1]] = segs[j]
		case !strings.EqualFold(p, segs[j]):
			return nil, false
		}
	}
	return vars, true
}

func isARMPath(p string) bool {
	l := strings.ToLower(p)
	return strings.HasPrefix(l, "/subscriptions") || strings.HasPrefix(l, "/providers/") || l == "/providers" ||
		strings.HasPrefix(l, "/tenants")
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	reqID := uuid.NewString()
	w.Header().Set("x-ms-request-id", reqID)
	corr := r.Header.Get("x-ms-correlation-request-id")
	if corr == "" {
		corr = reqID
	}
	w.Header().Set("x-ms-correlation-request-id", corr)
	w.Header().Set("x-ms-routing-request-id", "PRIVLINK:"+reqID)
	if !isARMPath(r.URL.Path) {
		if s.Public != nil {
			s.Public.ServeHTTP(w, r)
			return
		}
		writeError(w, NotFound("NotFound", "The requested path '%s' was not found.", r.URL.Path))
		return
	}
	status := s.serveARM(w, r)
	if s.Log != nil {
		s.Log.Debug("arm request", "method", r.Method, "path", r.URL.Path, "status", status, "duration", time.Since(start))
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (sw *statusWriter) WriteHeader(code int) {
	sw.status = code
	sw.ResponseWriter.WriteHeader(code)
}

func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) int {
	sw := &statusWriter{ResponseWriter: w, status: 200}
	resp, err := s.dispatch(r)
	if err != nil {
		ae, ok := AsError(err)
		if !ok {
			if s.Log != nil {
				s.Log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			ae = internalError()
		}
		writeError(sw, ae)
		return sw.status
	}
	writeResponse(sw, r, resp)
	return sw.status
}

func writeResponse(w http.ResponseWriter, r *http.Request, resp *Response) {
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	if resp.Body == nil || status == http.StatusNoContent || r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(resp.Body)
	if err != nil {
		writeError(w, internalError())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) baseURL(r *http.Request) string {
	return "https://" + r.Host
}

func (s *Server) dispatch(r *http.Request) (*Response, error) {
	ctx := r.Context()
	var principal Principal
	if s.Auth != nil {
		p, err := s.Auth.Authenticate(r)
		if err != nil {
			return nil, err
		}
		principal = p
	}
	apiVersion := r.URL.Query().Get("api-version")
	if apiVersion == "" {
		return nil, BadRequest("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
	}
	var body []byte
	if r.Body != nil && (r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodPost) {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.MaxBody+1))
		if err != nil {
			return nil, BadRequest("InvalidRequestContent", "The request content could not be read: %v", err)
		}
		if int64(len(b)) > s.MaxBody {
			return nil, Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request content size exceeds the maximum of %d bytes.", s.MaxBody)
		}
		body = b
	}
	req := &Request{HTTP: r, APIVersion: apiVersion, Principal: principal, Body: body, BaseURL: s.baseURL(r), Engine: s.Engine}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := range s.routes {
		if vars, ok := s.routes[i].match(r.Method, segs); ok {
			req.Vars = vars
			if sub := vars["sub"]; sub != "" {
				req.ID = ID{Subscription: sub, Scope: "/subscriptions/" + sub}
			}
			return s.routes[i].h(ctx, req)
		}
	}
	id, err := ParseID(r.URL.Path)
	if err != nil {
		return nil, NotFound("InvalidResourceId", "The resource id '%s' is not valid: %v", r.URL.Path, err)
	}
	if id.IsScopeOnly() {
		return nil, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '%s'.", r.Method)
	}
	id = s.Engine.Registry.Canonicalize(id)
	req.ID = id
	return s.Engine.serveResource(ctx, req)
}

func (e *Engine) serveResource(ctx context.Context, req *Request) (*Response, error) {
	id := req.ID
	r := req.HTTP
	spec, ok := e.Registry.Lookup(id.Type())
	if !ok {
		// POST {resource}/{action}
		if id.IsCollection() && len(id.Types) >= 2 && r.Method == http.MethodPost {
			parent, _ := id.Parent()
			parent.Names = append([]string(nil), id.Names...)
			if pspec, ok := e.Registry.Lookup(parent.Type()); ok {
				action := id.Types[len(id.Types)-1]
				for name, fn := range pspec.Actions {
					if strings.EqualFold(name, action) {
						req.ID = parent
						if err := checkVersion(pspec, req); err != nil {
							return nil, err
						}
						rec, err := e.GetRecord(ctx, parent.String())
						if err != nil {
							return nil, err
						}
						if rec == nil {
							return nil, e.notFound(pspec, parent)
						}
						return fn(ctx, req, rec)
					}
				}
			}
		}
		if _, known := e.Registry.Namespace(id.Namespace); !known {
			return nil, BadRequest("InvalidResourceNamespace", "The resource namespace '%s' is invalid.", id.Namespace)
		}
		return nil, BadRequest("InvalidResourceType", "The resource type '%s' could not be found in the namespace '%s' for api version '%s'.",
			strings.Join(id.Types, "/"), id.Namespace, req.APIVersion)
	}
	if err := checkScopeKind(spec, id); err != nil {
		return nil, err
	}
	if err := checkVersion(spec, req); err != nil {
		return nil, err
	}
	if spec.CheckID != nil && !id.IsCollection() {
		if err := spec.CheckID(id); err != nil {
			return nil, err
		}
	}
	if id.IsCollection() {
		if r.Method != http.MethodGet {
			return nil, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '%s'.", r.Method)
		}
		return e.list(ctx, req, spec)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return e.get(ctx, req, spec)
	case http.MethodPut:
		return e.put(ctx, req, spec)
	case http.MethodPatch:
		return e.patch(ctx, req, spec)
	case http.MethodDelete:
		return e.delete(ctx, req, spec)
	case http.MethodPost:
		return nil, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method 'POST'.")
	}
	return nil, Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '%s'.", r.Method)
}

func checkScopeKind(spec *TypeSpec, id ID) error {
	switch spec.Scope {
	case ScopeResourceGroup:
		if id.ResourceGroup == "" && !(id.IsCollection() && len(id.Types) == 1 && id.Subscription != "") {
			return BadRequest("InvalidResourceType", "The resource type '%s' must be addressed within a resource group.", spec.ShortType())
		}
		if id.ResourceGroup != "" && !strings.EqualFold(id.Scope, id.ResourceGroupID()) {
			return BadRequest("InvalidResourceType", "The resource type '%s' could not be found.", spec.ShortType())
		}
	case ScopeSubscription:
		if id.Subscription == "" || !strings.EqualFold(id.Scope, "/subscriptions/"+id.Subscription) {
			return BadRequest("InvalidResourceType", "The resource type '%s' must be addressed at subscription scope.", spec.ShortType())
		}
	}
	return nil
}

// CheckAPIVersion returns ARM's NoRegisteredProviderFound error when the
// request's api-version is not one of spec's (for special routes that serve
// a type's collections themselves).
func CheckAPIVersion(spec *TypeSpec, req *Request) error { return checkVersion(spec, req) }

func checkVersion(spec *TypeSpec, req *Request) error {
	if spec.SupportsVersion(req.APIVersion) {
		return nil
	}
	loc := "global"
	return BadRequest("NoRegisteredProviderFound",
		"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'. The supported locations are '%s'.",
		loc, req.APIVersion, spec.ShortType(), strings.Join(spec.APIVersions, ", "), "")
}

func (e *Engine) get(ctx context.Context, req *Request, spec *TypeSpec) (*Response, error) {
	rec, err := e.GetRecord(ctx, req.ID.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		if req.ID.ResourceGroup != "" && len(req.ID.Types) == 1 {
			rg, err := e.GetRecord(ctx, req.ID.ResourceGroupID())
			if err != nil {
				return nil, err
			}
			if rg == nil {
				return nil, ResourceGroupNotFound(req.ID.ResourceGroup)
			}
		}
		return nil, e.notFound(spec, req.ID)
	}
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	if req.HTTP.Method == http.MethodHead {
		return &Response{Status: http.StatusNoContent}, nil
	}
	h := http.Header{}
	if res.Etag != "" {
		h.Set("ETag", res.Etag)
	}
	return &Response{Status: http.StatusOK, Body: res, Header: h}, nil
}

// decodeResourceBody parses a PUT body into a Resource, with ARM's errors.
func decodeResourceBody(body []byte) (*Resource, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'The request body is empty.'.")
	}
	var res Resource
	if err := json.Unmarshal(body, &res); err != nil {
		return nil, invalidContent(err)
	}
	if err := validateTags(res.Tags); err != nil {
		return nil, err
	}
	return &res, nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return BadRequest("InvalidTag", "The tag count %d exceeds the maximum of 50 tags.", len(tags))
	}
	for k, v := range tags {
		if len(k) > 512 {
			return BadRequest("InvalidTagNameLength", "The tag name '%s' exceeds the maximum length of '512' characters.", k)
		}
		if len(v) > 256 {
			return BadRequest("InvalidTagValueLength", "The tag value '%s' exceeds the maximum length of '256' characters.", v)
		}
		if strings.ContainsAny(k, "<>%&\\?/") {
			return BadRequest("InvalidTagNameCharacters", "The tag names '%s' have reserved characters '<,>,%%,&,\\,?,/' or control characters.", k)
		}
	}
	return nil
}

func (e *Engine) put(ctx context.Context, req *Request, spec *TypeSpec) (*Response, error) {
	body, err := decodeResourceBody(req.Body)
	if err != nil {
		return nil, err
	}
	var rec *Record
	var created bool
	err = e.Run(ctx, func(t *Txn) error {
		b := *body
		rec, created, err = e.putOne(ctx, t, req, req.ID, spec, &b, false,
			req.HTTP.Header.Get("If-Match"), req.HTTP.Header.Get("If-None-Match"))
		return err
	})
	if err != nil {
		return nil, err
	}
	res, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h := http.Header{}
	if spec.AsyncPut && !Terminal(rec.State) {
		h = lroHeaders(req, spec.Type[:strings.Index(spec.Type, "/")], res.Location,
			opToken{Key: req.ID.Key(), Gen: rec.Generation, Start: e.Now()}, false)
	}
	if res.Etag != "" {
		h.Set("ETag", res.Etag)
	}
	return &Response{Status: status, Body: res, Header: h}, nil
}

func (e *Engine) patch(ctx context.Context, req *Request, spec *TypeSpec) (*Response, error) {
	var rec *Record
	err := e.Run(ctx, func(t *Txn) error {
		cur, err := t.Get(ctx, req.ID.String())
		if err != nil {
			return err
		}
		if cur == nil {
			return e.notFound(spec, req.ID)
		}
		if im := req.HTTP.Header.Get("If-Match"); im != "" && !etagMatches(im, cur.Resource.Etag) {
			return preconditionFailed()
		}
		res := cur.Resource
		if spec.Patch != nil {
			if err := spec.Patch(ctx, &PatchOp{ID: req.ID, Body: req.Body, Resource: &res, Record: cur, Tx: t, Req: req}); err != nil {
				return err
			}
		} else {
			var p struct {
				Tags *map[string]string `json:"tags"`
			}
			if len(strings.TrimSpace(string(req.Body))) > 0 {
				if err := json.Unmarshal(req.Body, &p); err != nil {
					return invalidContent(err)
				}
			}
			if p.Tags != nil {
				if err := validateTags(*p.Tags); err != nil {
					return err
				}
				res.Tags = *p.Tags
			}
		}
		if spec.ETag {
			res.Etag = newETag(spec)
		}
		if res.SystemData != nil {
			res.SystemData.LastModifiedAt = e.Now().UTC()
			res.SystemData.LastModifiedBy = req.Principal.AppID
		}
		next := *cur
		next.Resource = res
		next.Generation++
		rec = &next
		return t.Write(ctx, rec)
	})
	if err != nil {
		return nil, err
	}
	out, err := e.Render(ctx, rec)
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusOK, Body: out}, nil
}

func (e *Engine) delete(ctx context.Context, req *Request, spec *TypeSpec) (*Response, error) {
	var gone *Record
	err := e.Run(ctx, func(t *Txn) error {
		gone = nil
		cur, err := t.Get(ctx, req.ID.String())
		if err != nil {
			return err
		}
		if cur == nil {
			return nil
		}
		if im := req.HTTP.Header.Get("If-Match"); im != "" && !etagMatches(im, cur.Resource.Etag) {
			return preconditionFailed()
		}
		gone = cur
		return e.deleteTree(ctx, t, req.ID, cur, false)
	})
	if err != nil {
		return nil, err
	}
	if gone == nil {
		return &Response{Status: http.StatusNoContent}, nil
	}
	if spec.AsyncDelete {
		h := lroHeaders(req, spec.Type[:strings.Index(spec.Type, "/")], gone.Resource.Location,
			opToken{Key: req.ID.Key(), Gen: gone.Generation, Delete: true, Start: e.Now()}, true)
		return &Response{Status: http.StatusAccepted, Header: h}, nil
	}
	status := spec.DeleteStatus
	if status == 0 {
		status = http.StatusOK
	}
	if spec.DeleteReturnsBody {
		res, err := e.Render(ctx, gone)
		if err != nil {
			return nil, err
		}
		return &Response{Status: status, Body: res}, nil
	}
	return &Response{Status: status}, nil
}
