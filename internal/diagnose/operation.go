package diagnose

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
	"github.com/privlink/privlink/internal/fabric"
)

// opToken is a stateless operation ID: the action, its target and the
// request body. The analysis runs when the result is read.
type opToken struct {
	Action string          `json:"a"`
	Target string          `json:"t"`
	Body   json.RawMessage `json:"b,omitempty"`
}

func encodeToken(t opToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (opToken, error) {
	var t opToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, fmt.Errorf("decode operation token: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("decode operation token: %w", err)
	}
	return t, nil
}

// job computes an action's result.
type job func(ctx context.Context) (any, error)

// prepare validates an action's request against the snapshot and returns
// the job computing its answer.
func (p *Provider) prepare(ctx context.Context, s *fabric.Snapshot, action string, target *arm.Record, body []byte) (job, error) {
	switch action {
	case ActionConnectivityCheck:
		return p.prepareConnectivity(ctx, s, body)
	case ActionNextHop:
		return p.prepareNextHop(s, body)
	case ActionIPFlowVerify:
		return p.prepareIPFlow(s, body)
	case ActionEffectiveRouteTable:
		return p.prepareEffectiveRoutes(s, target)
	case ActionEffectiveNetworkSecurityGroups:
		return p.prepareEffectiveNSGs(s, target)
	}
	return nil, fmt.Errorf("diagnose: unknown action %q", action)
}

// action returns the POST handler of an action: validate now, answer 202
// with a Location that serves the result.
func (p *Provider) action(name string) arm.ActionFunc {
	return func(ctx context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
		s, err := p.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := p.prepare(ctx, s, name, rec, req.Body); err != nil {
			return nil, err
		}
		tok := encodeToken(opToken{Action: name, Target: rec.Resource.ID, Body: compactBody(req.Body)})
		loc := rec.Resource.Location
		if loc == "" {
			loc = "global"
		}
		h := http.Header{}
		h.Set("Location", fmt.Sprintf("%s/subscriptions/%s/providers/%s/locations/%s/%s/%s?api-version=%s",
			req.BaseURL, req.ID.Subscription, Namespace, loc, resultsSegment, tok, url.QueryEscape(req.APIVersion)))
		h.Set("Retry-After", "1")
		h.Set("Retry-After-Ms", strconv.Itoa(arm.RetryAfterMs))
		h.Set("x-ms-retry-after-ms", strconv.Itoa(arm.RetryAfterMs))
		p.Log.Debug("network watcher action accepted", "action", name, "target", rec.Resource.ID)
		return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
	}
}

// compactBody keeps a JSON body small in the token (empty stays empty;
// invalid JSON was refused by prepare).
func compactBody(b []byte) json.RawMessage {
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return json.RawMessage(b)
	}
	out, _ := json.Marshal(v)
	return json.RawMessage(out)
}

// handleResult serves GET .../locations/{loc}/networkWatcherOperationResults/{op}.
func (p *Provider) handleResult(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	notFound := arm.NotFound("OperationNotFound", "The operation '%s' could not be found.", req.Vars["op"])
	tok, err := decodeToken(req.Vars["op"])
	if err != nil {
		return nil, notFound
	}
	tid, err := arm.ParseID(tok.Target)
	if err != nil || !strings.EqualFold(tid.Subscription, req.Vars["sub"]) {
		return nil, notFound
	}
	rec, err := req.Engine.GetRecord(ctx, tok.Target)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ResourceNotFound(tid)
	}
	s, err := p.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	run, err := p.prepare(ctx, s, tok.Action, rec, tok.Body)
	if err != nil {
		return nil, err
	}
	res, err := run(ctx)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: res}, nil
}
