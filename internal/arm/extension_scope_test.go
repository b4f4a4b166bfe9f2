package arm_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/resources"
)

// extTestProvider has a tracked type and an extension type whose names
// must start with "n" (CheckID) and whose DELETE returns the body.
type extTestProvider struct{}

func (extTestProvider) Namespace() string { return "Microsoft.ExtTest" }

func (extTestProvider) Register(p *arm.Platform) error {
	p.Registry.Register(
		&arm.TypeSpec{Type: "Microsoft.ExtTest/things", APIVersions: []string{"2024-01-01"},
			Put: func(ctx context.Context, op *arm.PutOp) error { return nil }},
		&arm.TypeSpec{Type: "Microsoft.ExtTest/notes", APIVersions: []string{"2024-01-01"}, Scope: arm.ScopeExtension,
			Location: arm.LocationNone, NoSystemData: true, DeleteReturnsBody: true,
			CheckID: func(id arm.ID) error {
				if !strings.HasPrefix(id.Name(), "n") {
					return arm.BadRequest("InvalidNoteName", "The note name '%s' is invalid.", id.Name())
				}
				return nil
			},
			Put: func(ctx context.Context, op *arm.PutOp) error { return nil }},
	)
	return nil
}

func TestExtensionScopeChecks(t *testing.T) {
	s := armtest.Start(t, armtest.Options{}, resources.Provider{}, extTestProvider{})
	const v = "2024-01-01"
	rg := "/subscriptions/" + armtest.Subscription + "/resourceGroups/rg"
	if r := s.Do(http.MethodPut, rg, "2021-04-01", `{"location":"eastus"}`); r.Status != http.StatusCreated {
		t.Fatalf("group: %d", r.Status)
	}
	thing := rg + "/providers/Microsoft.ExtTest/things/t1"
	// An extension on a resource that does not exist (in an existing group).
	if r := s.Do(http.MethodPut, thing+"/providers/Microsoft.ExtTest/notes/n1", v, `{}`); r.Status != http.StatusNotFound || r.ErrorCode() != "ResourceNotFound" {
		t.Fatalf("missing target: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodPut, thing, v, `{"location":"eastus"}`); r.Status != http.StatusCreated {
		t.Fatalf("thing: %d %s", r.Status, r.Body)
	}
	note := thing + "/providers/Microsoft.ExtTest/notes/n1"
	if r := s.Do(http.MethodPut, note, v, `{}`); r.Status != http.StatusCreated {
		t.Fatalf("note: %d %s", r.Status, r.Body)
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if r := s.Do(m, thing+"/providers/Microsoft.ExtTest/notes/bad", v, `{}`); r.Status != http.StatusBadRequest || r.ErrorCode() != "InvalidNoteName" {
			t.Errorf("%s bad name: %d %s", m, r.Status, r.Body)
		}
	}
	if r := s.Do(http.MethodPut, rg+"/providers/Microsoft.ExtTest/notes/n2", v, `{}`); r.Status != http.StatusCreated {
		t.Fatalf("note on the group: %d %s", r.Status, r.Body)
	}
	// Collections list the extensions of their own scope.
	for scope, want := range map[string]string{thing: note, rg: rg + "/providers/Microsoft.ExtTest/notes/n2"} {
		r := s.Do(http.MethodGet, scope+"/providers/Microsoft.ExtTest/notes", v, nil)
		vals, _ := r.JSON()["value"].([]any)
		if r.Status != http.StatusOK || len(vals) != 1 || vals[0].(map[string]any)["id"] != want {
			t.Errorf("list at %s: %d %s", scope, r.Status, r.Body)
		}
	}
	r := s.Do(http.MethodDelete, note, v, nil)
	if r.Status != http.StatusOK || r.JSON()["id"] != note {
		t.Fatalf("delete with body: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodDelete, note, v, nil); r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("second delete: %d %s", r.Status, r.Body)
	}
}
