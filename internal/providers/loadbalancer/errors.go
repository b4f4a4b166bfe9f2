package loadbalancer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// nameRE is Azure's rule for network resource names.
var nameRE = regexp.MustCompile(`^\w([\w.-]{0,78}\w)?$`)

func validateName(name string) error {
	if !nameRE.MatchString(name) {
		return arm.BadRequest("InvalidResourceName",
			"Resource name %s is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.",
			name)
	}
	return nil
}

// nrpEnum returns the canonical spelling of an enum value (matched
// case-insensitively as the network resource provider does), "" when
// empty, or Azure's parse error for an unknown value.
func nrpEnum(v string, allowed []string, enumType, path string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, nil
		}
	}
	e := arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
	e.Details = []arm.ErrorDetail{{
		Code: "InvalidJson",
		Message: fmt.Sprintf("Error converting value %s to type 'Microsoft.WindowsAzure.Networking.Nrp.Frontend.Contract.Csm.Public.%s'. Path '%s'.",
			strconv.Quote(v), enumType, path),
	}}
	return "", e
}

func invalidReference(target, referrer string) error {
	return arm.BadRequest("InvalidResourceReference",
		"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
		target, referrer)
}

func invalidPropertyID(id, path string) error {
	return arm.BadRequest("LinkedInvalidPropertyId",
		"Property id '%s' at path '%s' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
		id, path)
}

func duplicateChildName(parentID, name string) error {
	return arm.BadRequest("DuplicateResourceName",
		"Resource %s has two child resources with the same name (%s).", parentID, name)
}

func missingName(property string) error {
	return arm.BadRequest("InvalidRequestFormat",
		"Cannot parse the request. Property 'name' of %s is required.", property)
}

func childNotFound(id string) *arm.Error {
	return arm.NotFound("NotFound", "Resource %s not found.", id)
}

// loadReferenced reads the resource a property references, checking its
// type and, when location is set, its region.
func loadReferenced(ctx context.Context, t *arm.Txn, ref, wantType, path, referrer, location string) (*arm.Record, error) {
	id, err := arm.ParseID(ref)
	if err != nil || id.IsCollection() || id.Namespace == "" {
		return nil, invalidPropertyID(ref, path)
	}
	if !strings.EqualFold(id.Type(), wantType) {
		return nil, invalidReference(ref, referrer)
	}
	rec, err := t.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	if rec == nil || (location != "" && rec.Resource.Location != "" && !strings.EqualFold(arm.NormalizeLocation(rec.Resource.Location), location)) {
		return nil, invalidReference(ref, referrer)
	}
	return rec, nil
}
