package loadbalancer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

var validateName = network.ValidateName

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

var invalidReference = network.InvalidReference

var invalidPropertyID = network.InvalidPropertyID

func duplicateChildName(parentID, name string) error {
	return arm.BadRequest("DuplicateResourceName",
		"Resource %s has two child resources with the same name (%s).", parentID, name)
}

func missingName(property string) error {
	return arm.BadRequest("InvalidRequestFormat",
		"Cannot parse the request. Property 'name' of %s is required.", property)
}

var childNotFound = network.ChildNotFound

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
