package resources_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/resources"
)

const v = "2021-04-01"

// widgets is a toy type exercising the generic engine through groups.
type widgets struct{}

func (widgets) Namespace() string { return "Microsoft.Test" }
func (widgets) Register(p *arm.Platform) error {
	p.Registry.Register(&arm.TypeSpec{
		Type: "Microsoft.Test/widgets", APIVersions: []string{"2024-01-01"}, ETag: true, ProvisioningState: true,
		AsyncPut: true, AsyncDelete: true,
		Put: func(ctx context.Context, op *arm.PutOp) error {
			var props struct {
				Size int `json:"size"`
			}
			if err := op.Body.DecodeProperties(&props); err != nil {
				return err
			}
			if props.Size < 0 {
				return arm.InvalidParameter("size must not be negative")
			}
			return op.Body.SetProperties(props)
		},
	})
	return nil
}

func TestResourceGroupLifecycle(t *testing.T) {
	s := armtest.Start(t, armtest.Options{PageSize: 2}, resources.Provider{}, widgets{})
	rg := "/subscriptions/" + armtest.Subscription + "/resourcegroups/rg1"
	if r := s.Do(http.MethodHead, rg, v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("HEAD missing: %d", r.Status)
	}
	r := s.Do(http.MethodPut, rg, v, `{"location":"West US 2","tags":{"a":"b"}}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if got := r.JSON()["location"]; got != "westus2" {
		t.Fatalf("location = %v", got)
	}
	if r := s.Do(http.MethodPut, rg, v, `{"location":"westus2"}`); r.Status != http.StatusOK {
		t.Fatalf("update: %d", r.Status)
	}
	if r := s.Do(http.MethodPut, rg, v, `{"location":"eastus"}`); r.Status != http.StatusConflict {
		t.Fatalf("location change: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodPut, rg, v, `{"location":`); r.ErrorCode() != "InvalidRequestContent" {
		t.Fatalf("bad json: %s", r.Body)
	}
	if r := s.Do(http.MethodPut, "/subscriptions/"+armtest.Subscription+"/resourcegroups/bad.", v, `{"location":"westus"}`); r.ErrorCode() != "InvalidResourceGroupName" {
		t.Fatalf("bad name: %s", r.Body)
	}
	nowhere := "/subscriptions/" + armtest.Subscription + "/resourcegroups/nowhere"
	if r := s.Do(http.MethodPut, nowhere, v, `{"location":"Middle Earth"}`); r.Status != http.StatusBadRequest ||
		r.ErrorCode() != "LocationNotAvailableForResourceGroup" ||
		!strings.HasPrefix(r.ErrorMessage(), "The provided location 'middleearth' is not available for resource group. List of available regions is 'australiacentral,") {
		t.Fatalf("unknown location: %d %s", r.Status, r.Body)
	}
	if r := s.Do(http.MethodHead, nowhere, v, nil); r.Status != http.StatusNotFound {
		t.Fatalf("a refused group was written: HEAD %d", r.Status)
	}
	if r := s.Do(http.MethodHead, rg, v, nil); r.Status != http.StatusNoContent {
		t.Fatalf("HEAD: %d", r.Status)
	}
	if r := s.Do(http.MethodGet, rg, "", nil); r.ErrorCode() != "MissingApiVersionParameter" {
		t.Fatalf("missing api-version: %s", r.Body)
	}

	w := "/subscriptions/" + armtest.Subscription + "/resourceGroups/RG1/providers/Microsoft.Test/widgets/"
	if r := s.Do(http.MethodPut, w+"w0", "2024-01-01", `{"location":"atlantis"}`); r.ErrorCode() != "LocationNotAvailableForResourceType" ||
		!strings.HasPrefix(r.ErrorMessage(), "The provided location 'atlantis' is not available for resource type 'Microsoft.Test/widgets'. List of available regions for the resource type is '") {
		t.Fatalf("unknown resource location: %d %s", r.Status, r.Body)
	}
	for _, n := range []string{"w1", "w2", "w3"} {
		r := s.Do(http.MethodPut, w+n, "2024-01-01", `{"location":"westus2","properties":{"size":3}}`)
		if r.Status != http.StatusCreated || r.Header.Get("Azure-AsyncOperation") == "" {
			t.Fatalf("widget create: %d %v %s", r.Status, r.Header, r.Body)
		}
		if st := s.Wait(r); st != "Succeeded" {
			t.Fatalf("op status %s", st)
		}
	}
	got := s.Do(http.MethodGet, w+"W1", "2024-01-01", nil).JSON()
	if got["properties"].(map[string]any)["provisioningState"] != "Succeeded" || got["name"] != "w1" {
		t.Fatalf("widget: %v", got)
	}
	if r := s.Do(http.MethodPut, w+"w1", "2099-01-01", `{"location":"westus2"}`); r.ErrorCode() != "NoRegisteredProviderFound" {
		t.Fatalf("bad version: %s", r.Body)
	}
	if r := s.Do(http.MethodPut, w+"w1", "2024-01-01", `{"location":"westus2","properties":{"size":"x"}}`); r.ErrorCode() != "InvalidRequestContent" {
		t.Fatalf("bad type: %s", r.Body)
	}
	// paging
	page := s.Do(http.MethodGet, w[:len(w)-1], "2024-01-01", nil).JSON()
	if len(page["value"].([]any)) != 2 || page["nextLink"] == nil {
		t.Fatalf("page 1: %v", page)
	}
	page2 := s.Do(http.MethodGet, page["nextLink"].(string), "", nil).JSON()
	if len(page2["value"].([]any)) != 1 || page2["nextLink"] != nil {
		t.Fatalf("page 2: %v", page2)
	}
	// etag
	etag := got["etag"].(string)
	r = s.Do(http.MethodGet, w+"w1", "2024-01-01", nil)
	if r.Header.Get("ETag") != etag {
		t.Fatalf("etag header")
	}
	res := s.Do(http.MethodGet, "/subscriptions/"+armtest.Subscription+"/resourceGroups/rg1/resources", v, nil).JSON()
	if len(res["value"].([]any)) != 3 {
		t.Fatalf("resources: %v", res)
	}
	// delete the group: LRO, contents removed
	r = s.Do(http.MethodDelete, rg, v, nil)
	if r.Status != http.StatusAccepted || r.Header.Get("Location") == "" {
		t.Fatalf("delete: %d %v", r.Status, r.Header)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		lr := s.Do(http.MethodGet, r.Header.Get("Location"), "", nil)
		if lr.Status == http.StatusNoContent || lr.Status == http.StatusOK {
			break
		}
		if lr.Status != http.StatusAccepted || time.Now().After(deadline) {
			t.Fatalf("location poll: %d %s", lr.Status, lr.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := s.Do(http.MethodGet, w+"w1", "2024-01-01", nil); r.ErrorCode() != "ResourceGroupNotFound" {
		t.Fatalf("after delete: %s", r.Body)
	}
}
