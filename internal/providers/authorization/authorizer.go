package authorization

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// Authorizer answers access checks from the role assignments and custom
// role definitions stored through the engine. ARM requests themselves are
// not checked (the emulator's callers are not restricted); providers use
// it, through Require, where Azure checks the permissions of an identity
// acting on the caller's behalf (e.g. an AKS cluster identity joining a
// subnet or writing to a private DNS zone).
type Authorizer struct {
	Engine *arm.Engine
}

var _ arm.Authorizer = (*Authorizer)(nil)

// Allowed implements arm.Authorizer for a control-plane action.
func (a *Authorizer) Allowed(principalID, action, scope string) (bool, error) {
	return a.AllowedContext(context.Background(), principalID, action, scope)
}

// AllowedContext reports whether principalID may perform the control-plane
// action on scope: an assignment to the principal at scope or above grants
// it (see Allowed for the rules).
func (a *Authorizer) AllowedContext(ctx context.Context, principalID, action, scope string) (bool, error) {
	if principalID == "" || action == "" || scope == "" {
		return false, nil
	}
	canonical, ok := canonicalScope(scope)
	if !ok {
		return false, nil
	}
	var assignments []Assignment
	for _, s := range scopeChain(canonical) {
		recs, err := assignmentsAt(ctx, a.Engine, s)
		if err != nil {
			return false, fmt.Errorf("list role assignments at %q: %w", scopeLabel(s), err)
		}
		for _, r := range recs {
			var p assignmentProperties
			if err := r.Resource.DecodeProperties(&p); err != nil {
				return false, fmt.Errorf("decode role assignment %s: %w", r.Resource.ID, err)
			}
			if strings.EqualFold(p.PrincipalID, principalID) {
				assignments = append(assignments, Assignment{Scope: p.Scope, PrincipalID: p.PrincipalID, RoleDefinitionID: p.RoleDefinitionID})
			}
		}
	}
	if len(assignments) == 0 {
		return false, nil
	}
	custom := map[string]RoleDefinition{}
	defs, err := customDefinitions(ctx, a.Engine.Store)
	if err != nil {
		return false, err
	}
	for _, d := range defs {
		custom[strings.ToLower(d.Name)] = d
	}
	lookup := func(id string) (RoleDefinition, bool) {
		if d, ok := BuiltinLookup(id); ok {
			return d, true
		}
		_, guid, ok := ParseRoleDefinitionID(id)
		if !ok {
			return RoleDefinition{}, false
		}
		d, ok := custom[strings.ToLower(guid)]
		return d, ok
	}
	return Allowed(assignments, lookup, principalID, action, scopeLabel(canonical), false), nil
}

// AuthorizationFailed is Azure's 403 for a principal lacking permission
// for action on scope.
func AuthorizationFailed(principalID, action, scope string) *arm.Error {
	return arm.Errorf(http.StatusForbidden, "AuthorizationFailed",
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		principalID, principalID, action, scope)
}

// Require returns nil when principalID may perform action on scope, and
// Azure's 403 AuthorizationFailed otherwise. Without an Authorizer on the
// platform (the authorization provider is not registered) nothing is
// restricted.
func Require(ctx context.Context, p *arm.Platform, principalID, action, scope string) error {
	if p == nil || p.Authorizer == nil {
		return nil
	}
	var ok bool
	var err error
	if a, isOurs := p.Authorizer.(*Authorizer); isOurs {
		ok, err = a.AllowedContext(ctx, principalID, action, scope)
	} else {
		ok, err = p.Authorizer.Allowed(principalID, action, scope)
	}
	if err != nil {
		return fmt.Errorf("check %s on %s for %s: %w", action, scope, principalID, err)
	}
	if !ok {
		return AuthorizationFailed(principalID, action, scope)
	}
	return nil
}
