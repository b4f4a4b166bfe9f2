package managedidentity

import (
	"context"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// identityNameRE is Azure's rule for user-assigned identity names: 3 to
// 128 characters, letters, digits, hyphens and underscores, starting with
// a letter or a digit.
var identityNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// Isolation scopes (properties.isolationScope, api-version 2024-11-30).
const (
	isolationNone     = "None"
	isolationRegional = "Regional"
)

// identityProps is the properties object of a user-assigned identity.
// principalId and clientId are assigned by the platform when the identity
// is created and never change; tenantId is the emulated tenant.
type identityProps struct {
	ClientID       string `json:"clientId"`
	IsolationScope string `json:"isolationScope"`
	PrincipalID    string `json:"principalId"`
	TenantID       string `json:"tenantId"`
}

// writableProps is what a PUT or PATCH body may set.
type writableProps struct {
	IsolationScope *string `json:"isolationScope"`
}

func validateIdentityName(name string) error {
	if identityNameRE.MatchString(name) {
		return nil
	}
	return arm.BadRequest("InvalidResourceName",
		"Resource name '%s' is invalid. The name can be between 3 and 128 characters long, must begin with a letter or a number, and can contain only letters, numbers, underscores and hyphens.", name)
}

func normalizeIsolationScope(v string) (string, error) {
	switch {
	case strings.EqualFold(v, isolationNone):
		return isolationNone, nil
	case strings.EqualFold(v, isolationRegional):
		return isolationRegional, nil
	}
	return "", arm.BadRequest("InvalidRequestContent",
		"The request content was invalid and could not be deserialized: 'Error converting value \"%s\" to type 'IsolationScope'. Path 'properties.isolationScope'.'.", v)
}

func identitySpec(p *arm.Platform) *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:         IdentityType,
		APIVersions:  append([]string(nil), APIVersions...),
		Scope:        arm.ScopeResourceGroup,
		Location:     arm.LocationRequired,
		NoSystemData: true,
		ValidateName: validateIdentityName,
		Put: func(ctx context.Context, op *arm.PutOp) error {
			return putIdentity(op, p.TenantID)
		},
		Patch: patchIdentity,
	}
}

func putIdentity(op *arm.PutOp, tenantID string) error {
	var in writableProps
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	props := identityProps{
		ClientID:       uuid.NewString(),
		IsolationScope: isolationNone,
		PrincipalID:    uuid.NewString(),
		TenantID:       tenantID,
	}
	if op.Existing != nil {
		var cur identityProps
		if err := op.Existing.Resource.DecodeProperties(&cur); err != nil {
			return err
		}
		props.ClientID, props.PrincipalID, props.TenantID = cur.ClientID, cur.PrincipalID, cur.TenantID
		if cur.IsolationScope != "" {
			props.IsolationScope = cur.IsolationScope
		}
	}
	if in.IsolationScope != nil && *in.IsolationScope != "" {
		v, err := normalizeIsolationScope(*in.IsolationScope)
		if err != nil {
			return err
		}
		props.IsolationScope = v
	}
	return op.Body.SetProperties(props)
}

// patchIdentity applies IdentityUpdate: tags and properties.isolationScope;
// the platform-assigned IDs and the location stay.
func patchIdentity(ctx context.Context, op *arm.PatchOp) error {
	var body struct {
		Tags       *map[string]string `json:"tags"`
		Properties *writableProps     `json:"properties"`
	}
	if err := op.Req.DecodeBody(&body); err != nil {
		return err
	}
	var props identityProps
	if err := op.Resource.DecodeProperties(&props); err != nil {
		return err
	}
	if body.Properties != nil && body.Properties.IsolationScope != nil && *body.Properties.IsolationScope != "" {
		v, err := normalizeIsolationScope(*body.Properties.IsolationScope)
		if err != nil {
			return err
		}
		props.IsolationScope = v
	}
	if body.Tags != nil {
		if err := arm.ValidateTags(*body.Tags); err != nil {
			return err
		}
		op.Resource.Tags = *body.Tags
	}
	return op.Resource.SetProperties(props)
}
