package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/store"
)

// Provider registration states, as Azure spells them.
const (
	RegistrationNotRegistered = "NotRegistered"
	RegistrationRegistering   = "Registering"
	RegistrationRegistered    = "Registered"
	RegistrationUnregistering = "Unregistering"
	RegistrationUnregistered  = "Unregistered"
)

// registrationFree are the namespaces Azure marks RegistrationFree: always
// Registered, and registering or unregistering them changes nothing.
var registrationFree = map[string]bool{
	"microsoft.resources":     true,
	"microsoft.authorization": true,
	"microsoft.features":      true,
}

// unregisteredByDefault are namespaces privlink serves that start
// NotRegistered in a new subscription all the same, as they do in Azure,
// so that the seeds' `az provider register --namespace ...` steps behave
// as documented. privlink does not refuse their resources while they are
// unregistered (az registers a provider by itself when Azure answers
// MissingSubscriptionRegistration).
var unregisteredByDefault = map[string]bool{
	"microsoft.containerservice": true,
	"microsoft.cdn":              true,
	"microsoft.kubernetes":       true,
}

// knownNamespaces are Azure resource providers privlink lists although it
// serves none of their types (they start NotRegistered, as in a new
// subscription). Any other well-formed namespace can be registered too.
var knownNamespaces = []string{
	"Microsoft.AlertsManagement", "Microsoft.App", "Microsoft.Cache", "Microsoft.Cdn", "Microsoft.Compute",
	"Microsoft.ContainerInstance", "Microsoft.ContainerRegistry", "Microsoft.ContainerService", "Microsoft.Dashboard",
	"Microsoft.DBforMySQL", "Microsoft.DBforPostgreSQL", "Microsoft.DocumentDB", "Microsoft.EventHub",
	"Microsoft.ExtendedLocation", "Microsoft.GuestConfiguration", "Microsoft.HybridCompute", "Microsoft.HybridConnectivity",
	"Microsoft.Insights", "Microsoft.KeyVault", "Microsoft.Kubernetes", "Microsoft.KubernetesConfiguration",
	"Microsoft.ManagedIdentity", "Microsoft.Monitor", "Microsoft.Network", "Microsoft.OperationalInsights",
	"Microsoft.OperationsManagement", "Microsoft.PolicyInsights", "Microsoft.Security", "Microsoft.ServiceBus",
	"Microsoft.Sql", "Microsoft.Storage", "Microsoft.Web",
}

// resourcesTypes are Microsoft.Resources' own types, which this package
// serves through special routes rather than type specs.
var resourcesTypes = []struct {
	Type     string
	Location bool
}{
	{"tenants", false}, {"providers", false}, {"checkresourcename", false}, {"resources", false},
	{"subscriptions", false}, {"subscriptions/resources", false}, {"subscriptions/providers", false},
	{"subscriptions/operationresults", false}, {"resourceGroups", true}, {"subscriptions/resourceGroups", true},
	{"subscriptions/resourcegroups/resources", false}, {"subscriptions/locations", false},
}

var namespaceRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$`)

// providerResourceType is one entry of a provider's resourceTypes.
type providerResourceType struct {
	ResourceType string   `json:"resourceType"`
	Locations    []string `json:"locations"`
	APIVersions  []string `json:"apiVersions"`
	Capabilities string   `json:"capabilities"`
}

// providerBody is the Provider wire shape. Registration fields are left
// out at tenant scope.
type providerBody struct {
	ID                 string                 `json:"id"`
	Namespace          string                 `json:"namespace"`
	RegistrationState  string                 `json:"registrationState,omitempty"`
	RegistrationPolicy string                 `json:"registrationPolicy,omitempty"`
	ResourceTypes      []providerResourceType `json:"resourceTypes"`
}

// providerRegistration is the stored registration of a namespace in a
// subscription (provider-owned key, see registrationKey). Transitions
// settle once Platform.RegistrationDelay has passed since Changed.
type providerRegistration struct {
	Namespace string    `json:"namespace"`
	State     string    `json:"state"`
	Changed   time.Time `json:"changed"`
}

func providerRegistrationKey(sub, ns string) string {
	return "/providerregistrations/" + strings.ToLower(sub) + "/" + strings.ToLower(ns)
}

type providersAPI struct{ p *arm.Platform }

func registerProviders(p *arm.Platform) {
	a := &providersAPI{p: p}
	s := p.Server
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers", a.list)
	s.Handle(http.MethodGet, "/subscriptions/{sub}/providers/{ns}", a.get)
	s.Handle(http.MethodPost, "/subscriptions/{sub}/providers/{ns}/register", a.register)
	s.Handle(http.MethodPost, "/subscriptions/{sub}/providers/{ns}/unregister", a.unregister)
	s.Handle(http.MethodGet, "/providers", a.listTenant)
	s.Handle(http.MethodGet, "/providers/{ns}", a.getTenant)
}

// namespaceInfo is what privlink knows of one namespace.
type namespaceInfo struct {
	Name   string
	Served bool
	Types  []providerResourceType
}

func regionDisplayNames() []string {
	out := make([]string, len(arm.Regions))
	for i, l := range arm.Regions {
		out[i] = l.Display
	}
	return out
}

func newestFirst(versions []string) []string {
	out := append([]string(nil), versions...)
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

func typeInfo(spec *arm.TypeSpec) providerResourceType {
	rt := providerResourceType{ResourceType: spec.ShortType(), Locations: []string{},
		APIVersions: newestFirst(spec.APIVersions), Capabilities: "None"}
	switch {
	case spec.Scope == arm.ScopeExtension:
		rt.Capabilities = "SupportsExtension"
	case spec.Location == arm.LocationGlobal:
		rt.Locations = []string{"global"}
		rt.Capabilities = "SupportsTags, SupportsLocation"
	case spec.Scope == arm.ScopeResourceGroup:
		rt.Locations = regionDisplayNames()
		if spec.Location == arm.LocationRequired || spec.Location == arm.LocationOptional {
			rt.Capabilities = "SupportsTags, SupportsLocation"
		}
	}
	return rt
}

// served returns the namespaces privlink serves, keyed lower-case: those
// with registered types, and Microsoft.Resources.
func (a *providersAPI) served() map[string]*namespaceInfo {
	out := map[string]*namespaceInfo{}
	for _, spec := range a.p.Registry.Types() {
		ns := spec.Type[:strings.Index(spec.Type, "/")]
		info := out[strings.ToLower(ns)]
		if info == nil {
			info = &namespaceInfo{Name: ns, Served: true}
			out[strings.ToLower(ns)] = info
		}
		info.Types = append(info.Types, typeInfo(spec))
	}
	res := out["microsoft.resources"]
	if res == nil {
		res = &namespaceInfo{Name: "Microsoft.Resources", Served: true}
		out["microsoft.resources"] = res
	}
	have := map[string]bool{}
	for _, t := range res.Types {
		have[strings.ToLower(t.ResourceType)] = true
	}
	for _, t := range resourcesTypes {
		if have[strings.ToLower(t.Type)] {
			continue
		}
		rt := providerResourceType{ResourceType: t.Type, Locations: []string{}, APIVersions: newestFirst(APIVersions), Capabilities: "None"}
		if t.Location {
			rt.Locations = regionDisplayNames()
			rt.Capabilities = "SupportsTags, SupportsLocation"
		}
		res.Types = append(res.Types, rt)
	}
	return out
}

// lookup resolves a namespace: served, known, or any well-formed name.
func (a *providersAPI) lookup(ns string) (*namespaceInfo, error) {
	if info, ok := a.served()[strings.ToLower(ns)]; ok {
		return info, nil
	}
	for _, k := range knownNamespaces {
		if strings.EqualFold(k, ns) {
			return &namespaceInfo{Name: k, Types: []providerResourceType{}}, nil
		}
	}
	if !namespaceRE.MatchString(ns) {
		return nil, arm.NotFound("InvalidResourceNamespace", "The resource namespace '%s' is invalid.", ns)
	}
	return &namespaceInfo{Name: ns, Types: []providerResourceType{}}, nil
}

func (a *providersAPI) now() time.Time { return a.p.Engine.Now().UTC() }

// stateOf is the registration state of a namespace given its stored record.
func (a *providersAPI) stateOf(info *namespaceInfo, rec *providerRegistration) string {
	if registrationFree[strings.ToLower(info.Name)] {
		return RegistrationRegistered
	}
	if rec == nil {
		if info.Served && !unregisteredByDefault[strings.ToLower(info.Name)] {
			return RegistrationRegistered
		}
		return RegistrationNotRegistered
	}
	if a.now().Sub(rec.Changed) >= a.p.RegistrationDelay {
		switch rec.State {
		case RegistrationRegistering:
			return RegistrationRegistered
		case RegistrationUnregistering:
			return RegistrationUnregistered
		}
	}
	return rec.State
}

func policyOf(ns string) string {
	if registrationFree[strings.ToLower(ns)] {
		return "RegistrationFree"
	}
	return "RegistrationRequired"
}

func decodeProviderRegistration(key string, b []byte) (*providerRegistration, error) {
	var r providerRegistration
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode provider registration %s: %w", key, err)
	}
	return &r, nil
}

func (a *providersAPI) read(ctx context.Context, sub, ns string) (*providerRegistration, error) {
	key := providerRegistrationKey(sub, ns)
	kv, err := a.p.Engine.Store.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read provider registration: %w", err)
	}
	return decodeProviderRegistration(key, kv.Value)
}

func (a *providersAPI) body(sub string, info *namespaceInfo, rec *providerRegistration) providerBody {
	b := providerBody{Namespace: info.Name, ResourceTypes: info.Types}
	if b.ResourceTypes == nil {
		b.ResourceTypes = []providerResourceType{}
	}
	if sub == "" {
		b.ID = "/providers/" + info.Name
		return b
	}
	b.ID = "/subscriptions/" + sub + "/providers/" + info.Name
	b.RegistrationState = a.stateOf(info, rec)
	b.RegistrationPolicy = policyOf(info.Name)
	return b
}

func (a *providersAPI) get(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	info, err := a.lookup(req.Vars["ns"])
	if err != nil {
		return nil, err
	}
	rec, err := a.read(ctx, req.Vars["sub"], info.Name)
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: a.body(req.Vars["sub"], info, rec)}, nil
}

func (a *providersAPI) getTenant(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	info, err := a.lookup(req.Vars["ns"])
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: a.body("", info, nil)}, nil
}

// all returns every namespace to list: served, known, and (for a
// subscription) those with a stored registration, sorted by name.
func (a *providersAPI) all(ctx context.Context, sub string) ([]*namespaceInfo, map[string]*providerRegistration, error) {
	byName := a.served()
	for _, k := range knownNamespaces {
		if _, ok := byName[strings.ToLower(k)]; !ok {
			byName[strings.ToLower(k)] = &namespaceInfo{Name: k, Types: []providerResourceType{}}
		}
	}
	recs := map[string]*providerRegistration{}
	if sub != "" {
		prefix := providerRegistrationKey(sub, "")
		res, err := a.p.Engine.Store.List(ctx, prefix, store.ListOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("list provider registrations: %w", err)
		}
		for _, kv := range res.KVs {
			r, err := decodeProviderRegistration(kv.Key, kv.Value)
			if err != nil {
				return nil, nil, err
			}
			lower := strings.ToLower(r.Namespace)
			recs[lower] = r
			if _, ok := byName[lower]; !ok {
				byName[lower] = &namespaceInfo{Name: r.Namespace, Types: []providerResourceType{}}
			}
		}
	}
	out := make([]*namespaceInfo, 0, len(byName))
	for _, info := range byName {
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, recs, nil
}

func (a *providersAPI) list(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	sub := req.Vars["sub"]
	infos, recs, err := a.all(ctx, sub)
	if err != nil {
		return nil, err
	}
	vals := make([]any, 0, len(infos))
	for _, info := range infos {
		vals = append(vals, a.body(sub, info, recs[strings.ToLower(info.Name)]))
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}

func (a *providersAPI) listTenant(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	infos, _, err := a.all(ctx, "")
	if err != nil {
		return nil, err
	}
	vals := make([]any, 0, len(infos))
	for _, info := range infos {
		vals = append(vals, a.body("", info, nil))
	}
	return &arm.Response{Status: http.StatusOK, Body: arm.Page{Value: vals}}, nil
}

func (a *providersAPI) register(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return a.change(ctx, req, true)
}

func (a *providersAPI) unregister(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	return a.change(ctx, req, false)
}

// change moves a namespace's registration towards Registered (register)
// or Unregistered and answers 200 with the provider.
func (a *providersAPI) change(ctx context.Context, req *arm.Request, register bool) (*arm.Response, error) {
	if err := checkVersion(req); err != nil {
		return nil, err
	}
	sub := req.Vars["sub"]
	info, err := a.lookup(req.Vars["ns"])
	if err != nil {
		return nil, err
	}
	key := providerRegistrationKey(sub, info.Name)
	var out *providerRegistration
	err = a.p.Engine.Run(ctx, func(t *arm.Txn) error {
		out = nil
		kv, ok, err := t.Raw().Get(ctx, key)
		if err != nil {
			return err
		}
		var cur *providerRegistration
		if ok {
			if cur, err = decodeProviderRegistration(key, kv.Value); err != nil {
				return err
			}
		}
		out = cur
		if registrationFree[strings.ToLower(info.Name)] {
			return nil
		}
		state := a.stateOf(info, cur)
		var next string
		switch {
		case register && state != RegistrationRegistered && state != RegistrationRegistering:
			next = RegistrationRegistering
		case !register && (state == RegistrationRegistered || state == RegistrationRegistering):
			next = RegistrationUnregistering
		default:
			return nil
		}
		out = &providerRegistration{Namespace: info.Name, State: next, Changed: a.now()}
		b, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("encode provider registration: %w", err)
		}
		t.Raw().Put(key, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &arm.Response{Status: http.StatusOK, Body: a.body(sub, info, out)}, nil
}
