package resources

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/privlink/privlink/internal/arm"
)

// GroupType is the ARM type of resource groups.
const GroupType = "Microsoft.Resources/resourceGroups"

// APIVersions are the Microsoft.Resources versions accepted (az 2.45 sends
// 2021-04-01 and 2022-09-01, Terraform azurerm 2023-07-01, armresources v3
// 2025-04-01 and older majors earlier ones).
var APIVersions = []string{
	"2016-09-01", "2018-05-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01", "2019-10-01",
	"2019-11-01", "2020-01-01", "2020-06-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-01-01",
	"2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
}

var groupNameRE = regexp.MustCompile(`^[-\w._()]{1,90}$`)

// Provider implements arm.Provider.
type Provider struct{}

// Namespace implements arm.Provider.
func (Provider) Namespace() string { return "Microsoft.Resources" }

// Register implements arm.Provider.
func (Provider) Register(p *arm.Platform) error {
	g := &groups{p: p}
	s := p.Server
	s.Handle(http.MethodGet, "/subscriptions", g.listSubscriptions)
	s.Handle(http.MethodGet, "/subscriptions/{sub}", g.getSubscription)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/locations", g.listLocations)
	s.Handle(http.MethodGet, "/tenants", g.listTenants)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/resourcegroups", g.list)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/resourcegroups/{rg}", g.get)
	s.Handle(http.MethodPut, "/subscriptions/{sub}/resourcegroups/{rg}", g.put)
	s.Handle(http.MethodPatch, "/subscriptions/{sub}/resourcegroups/{rg}", g.patch)
	s.Handle(http.MethodDelete, "/subscriptions/{sub}/resourcegroups/{rg}", g.delete)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/resourcegroups/{rg}/resources", g.listResources)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/resources", g.listResources)
	registerProviders(p)
	return nil
}

type groups struct{ p *arm.Platform }

func checkVersion(req *arm.Request) error {
	for _, v := range APIVersions {
		if v == req.APIVersion {
			return nil
		}
	}
	return arm.BadRequest("InvalidApiVersionParameter",
		"The api-version '%s' is invalid. The supported versions are '%s'.", req.APIVersion, strings.Join(APIVersions, ","))
}

func groupID(sub, rg string) string { return "/subscriptions/" + sub + "/resourceGroups/" + rg }

type groupProps struct {
	ProvisioningState string `json:"provisioningState"`
}

func (g *groups) render(rec *arm.Record) arm.Resource {
	res := rec.Resource
	res.SystemData = nil
	_ = res.SetProperties(groupProps{ProvisioningState: stateOf(rec)})
	return res
}

func stateOf(rec *arm.Record) string {
	if rec.State == "" {
		return arm.StateSucceeded
	}
	return rec.State
}

func (g *groups) get(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	rec, err := g.p.Engine.GetRecord(ctx, groupID(req.Vars["sub"], req.Vars["rg"]))
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ResourceGroupNotFound(req.Vars["rg"])
	}
	if req.HTTP.Method == http.MethodHead {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	return &arm.Response{Status: http.StatusOK, Body: g.render(rec)}, nil
}

func validateGroupName(name string) error {
	if !groupNameRE.MatchString(name) || strings.HasSuffix(name, ".") {
		return arm.BadRequest("InvalidResourceGroupName",
			"Resource group name '%s' is invalid. Resource group names only allow alphanumeric characters, periods, underscores, hyphens and parenthesis and cannot end in a period.", name)
	}
	return nil
}

func (g *groups) put(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	name := req.Vars["rg"]
	if err := validateGroupName(name); err != nil {
		return nil, err
	}
	var body struct {
		Location  string            `json:"location"`
		Tags      map[string]string `json:"tags"`
		ManagedBy string            `json:"managedBy"`
	}
	if len(strings.TrimSpace(string(req.Body))) == 0 {
		return nil, arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'The request body is empty.'.")
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	if body.Location == "" {
		return nil, arm.BadRequest("LocationRequired", "The location property is required for this definition.")
	}
	if !arm.IsRegion(body.Location) {
		return nil, arm.BadRequest("LocationNotAvailableForResourceGroup",
			"The provided location '%s' is not available for resource group. List of available regions is '%s'.",
			arm.NormalizeLocation(body.Location), arm.RegionNames())
	}
	id := groupID(req.Vars["sub"], name)
	var out *arm.Record
	created := false
	err := g.p.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, id)
		if err != nil {
			return err
		}
		loc := arm.NormalizeLocation(body.Location)
		rec := &arm.Record{Generation: 1, State: arm.StateSucceeded, Created: g.p.Engine.Now().UTC()}
		created = cur == nil
		if cur != nil {
			if cur.State == arm.StateDeleting {
				return arm.Conflict("ResourceGroupBeingDeleted",
					"The resource group '%s' is in deprovisioning state and cannot perform this operation.", cur.Resource.Name)
			}
			if !strings.EqualFold(cur.Resource.Location, loc) {
				return arm.Conflict("InvalidResourceGroupLocation",
					"Invalid resource group location '%s'. The Resource group already exists in location '%s'.", loc, cur.Resource.Location)
			}
			rec.Generation = cur.Generation + 1
			rec.Created = cur.Created
			name = cur.Resource.Name
			id = cur.Resource.ID
		}
		rec.Resource = arm.Resource{ID: id, Name: name, Type: GroupType, Location: loc, Tags: body.Tags, ManagedBy: body.ManagedBy}
		out = rec
		return t.Write(ctx, rec)
	})
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &arm.Response{Status: status, Body: g.render(out)}, nil
}

func (g *groups) patch(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	var body struct {
		Tags      *map[string]string `json:"tags"`
		ManagedBy *string            `json:"managedBy"`
	}
	if err := req.DecodeBody(&body); err != nil {
		return nil, err
	}
	id := groupID(req.Vars["sub"], req.Vars["rg"])
	var out *arm.Record
	err := g.p.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return arm.ResourceGroupNotFound(req.Vars["rg"])
		}
		if body.Tags != nil {
			cur.Resource.Tags = *body.Tags
		}
		if body.ManagedBy != nil {
			cur.Resource.ManagedBy = *body.ManagedBy
		}
		cur.Generation++
		out = cur
		return t.Write(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: g.render(out)}, nil
}

func (g *groups) delete(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	id := groupID(req.Vars["sub"], req.Vars["rg"])
	var marked *arm.Record
	err := g.p.Engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return arm.ResourceGroupNotFound(req.Vars["rg"])
		}
		if cur.State != arm.StateDeleting {
			cur.State = arm.StateDeleting
			cur.Generation++
		}
		marked = cur
		return t.Write(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	h := arm.OperationHeaders(req, "Microsoft.Resources", marked.Resource.Location, marked, true, true)
	return &arm.Response{Status: http.StatusAccepted, Header: h}, nil
}

func (g *groups) list(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	recs, err := g.p.Engine.ListScopeRecords(ctx, "/subscriptions/"+req.Vars["sub"]+"/resourceGroups")
	if err != nil {
		return nil, err
	}
	tagName, tagValue := tagFilter(req.HTTP.URL.Query().Get("$filter"))
	vals := []any{}
	for _, r := range recs {
		if tagName != "" {
			v, ok := lookupTag(r.Resource.Tags, tagName)
			if !ok || (tagValue != "" && v != tagValue) {
				continue
			}
		}
		vals = append(vals, g.render(r))
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}

var tagFilterRE = regexp.MustCompile(`(?i)^\s*tagname\s+eq\s+'([^']*)'(?:\s+and\s+tagvalue\s+eq\s+'([^']*)')?\s*$`)

func tagFilter(f string) (string, string) {
	m := tagFilterRE.FindStringSubmatch(f)
	if m == nil {
		return "", ""
	}
	return m[1], m[2]
}

func lookupTag(tags map[string]string, name string) (string, bool) {
	for k, v := range tags {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// genericResource is the shape of /resources list items.
type genericResource struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	Location  string            `json:"location,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	ManagedBy string            `json:"managedBy,omitempty"`
	SKU       json.RawMessage   `json:"sku,omitempty"`
	Identity  json.RawMessage   `json:"identity,omitempty"`
}

func (g *groups) listResources(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	scope := "/subscriptions/" + req.Vars["sub"]
	if rg := req.Vars["rg"]; rg != "" {
		rec, err := g.p.Engine.GetRecord(ctx, groupID(req.Vars["sub"], rg))
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, arm.ResourceGroupNotFound(rg)
		}
		scope = groupID(req.Vars["sub"], rg)
	}
	recs, err := g.p.Engine.ListTopLevel(ctx, scope)
	if err != nil {
		return nil, err
	}
	vals := []any{}
	for _, r := range recs {
		if strings.HasPrefix(strings.ToLower(r.Resource.Type), "microsoft.authorization/") {
			continue
		}
		x := r.Resource
		vals = append(vals, genericResource{ID: x.ID, Name: x.Name, Type: x.Type, Location: x.Location, Tags: x.Tags,
			Kind: x.Kind, ManagedBy: x.ManagedBy, SKU: x.SKU, Identity: x.Identity})
	}
	sort.SliceStable(vals, func(i, j int) bool {
		return strings.ToLower(vals[i].(genericResource).ID) < strings.ToLower(vals[j].(genericResource).ID)
	})
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}
