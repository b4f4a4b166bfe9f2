package cdn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// SKUs of Azure Front Door profiles (other Microsoft.Cdn SKUs are classic
// CDN, which privlink does not emulate).
const (
	SKUStandard = "Standard_AzureFrontDoor"
	SKUPremium  = "Premium_AzureFrontDoor"
)

// EndpointDomain is the zone of endpoints' generated host names.
const EndpointDomain = "z01.azurefd.net"

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9]+(-*[a-zA-Z0-9])*$`)

func badRequest(format string, args ...any) error {
	return arm.BadRequest("BadRequest", format, args...)
}

func validateName(kind string, min, max int) func(string) error {
	return func(n string) error {
		if len(n) < min || len(n) > max || !nameRE.MatchString(n) {
			return badRequest("%s name must be between %d and %d characters long, start and end with a letter or number, and contain only letters, numbers and hyphens.", kind, min, max)
		}
		return nil
	}
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// enumValue checks an enum property (case-insensitive, stored in the
// canonical spelling) and applies its default.
func enumValue(m map[string]any, key, def string, allowed ...string) error {
	v, present := m[key]
	if !present || v == nil {
		if def != "" {
			m[key] = def
		}
		return nil
	}
	s, ok := v.(string)
	if ok {
		for _, a := range allowed {
			if strings.EqualFold(a, s) {
				m[key] = a
				return nil
			}
		}
	}
	return badRequest("The value '%v' is not valid for property '%s'. Allowed values: %s.", v, key, strings.Join(allowed, ", "))
}

// intValue checks an integer property's range and applies its default
// (def < 0: none).
func intValue(m map[string]any, key string, def, min, max int) error {
	v, present := m[key]
	if !present || v == nil {
		if def >= 0 {
			m[key] = def
		}
		return nil
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) || int(f) < min || int(f) > max {
		return badRequest("The value '%v' of property '%s' is not valid: it must be an integer between %d and %d.", v, key, min, max)
	}
	m[key] = int(f)
	return nil
}

// parentRecord reads the profile (or endpoint/origin group) a child lives in.
func parentRecord(ctx context.Context, t *arm.Txn, id arm.ID) (*arm.Record, error) {
	parent, _ := id.Parent()
	rec, err := t.Get(ctx, parent.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ParentResourceNotFound(parent)
	}
	return rec, nil
}

func profileOf(ctx context.Context, t *arm.Txn, id arm.ID) (*arm.Record, error) {
	pid := id
	pid.Types, pid.Names = id.Types[:1], id.Names[:1]
	rec, err := t.Get(ctx, pid.String())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, arm.ParentResourceNotFound(pid)
	}
	return rec, nil
}

func skuName(rec *arm.Record) string {
	var s struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(rec.Resource.SKU, &s)
	return s.Name
}

func createState(op *arm.PutOp) {
	if op.Existing == nil {
		op.State = arm.StateCreating
	}
}

// --- profiles

func (pr *Provider) profileSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: ProfileType, APIVersions: APIVersions, Location: arm.LocationGlobal,
		ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
		ValidateName: validateName("Profile", 1, 260),
		Put:          pr.putProfile,
		Reconcile:    pr.reconcileHook,
		Delete:       func(context.Context, *arm.DeleteOp) error { pr.kickLater(); return nil },
		Render:       renderState("resourceState"),
	}
}

func (pr *Provider) putProfile(_ context.Context, op *arm.PutOp) error {
	var sku struct {
		Name string `json:"name"`
	}
	if len(op.Body.SKU) > 0 {
		if err := json.Unmarshal(op.Body.SKU, &sku); err != nil {
			return badRequest("The sku is not valid: %v", err)
		}
	}
	switch {
	case sku.Name == "":
		return badRequest("The sku of the profile is required. Allowed values: %s, %s.", SKUStandard, SKUPremium)
	case strings.EqualFold(sku.Name, SKUStandard):
		sku.Name = SKUStandard
	case strings.EqualFold(sku.Name, SKUPremium):
		sku.Name = SKUPremium
	default:
		return badRequest("The sku '%s' is not supported by privlink: only Azure Front Door profiles (%s, %s) are emulated.", sku.Name, SKUStandard, SKUPremium)
	}
	if op.Existing != nil {
		if old := skuName(op.Existing); old != sku.Name {
			return badRequest("The sku of profile %s cannot be changed from %s to %s.", op.ID.Name(), old, sku.Name)
		}
	}
	op.Body.SKU, _ = json.Marshal(map[string]string{"name": sku.Name})
	op.Body.Kind = "frontdoor"
	props := op.Body.PropertiesMap()
	if err := intValue(props, "originResponseTimeoutSeconds", 30, 16, 240); err != nil {
		return err
	}
	id := uuid.NewString()
	if op.Existing != nil {
		id = str(op.Existing.Resource.PropertiesMap(), "frontDoorId")
	}
	props["frontDoorId"] = id
	delete(props, "resourceState")
	delete(props, "provisioningState")
	op.Body.SetPropertiesMap(props)
	if op.Existing != nil {
		op.Internal = op.Existing.Internal
	}
	createState(op)
	return nil
}

// renderState mirrors a resource's state into a second state property
// (resourceState of profiles, deploymentStatus stays as stored).
func renderState(prop string) func(context.Context, *arm.RenderOp) error {
	return func(_ context.Context, op *arm.RenderOp) error {
		props := op.Resource.PropertiesMap()
		switch op.Record.State {
		case arm.StateCreating, arm.StateUpdating:
			props[prop] = "Creating"
		case arm.StateDeleting:
			props[prop] = "Deleting"
		default:
			props[prop] = "Active"
		}
		op.Resource.SetPropertiesMap(props)
		return nil
	}
}

// --- afdEndpoints

// endpointInternal is an endpoint's private state: the name it publishes
// in the emulated public DNS (fabric.PublicRecordsInternal).
type endpointInternal struct {
	PublicRecords map[string]string `json:"publicRecords,omitempty"`
}

func (pr *Provider) endpointSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: EndpointType, APIVersions: APIVersions, Location: arm.LocationGlobal,
		ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
		ValidateName: validateName("Endpoint", 2, 46),
		Put:          pr.putEndpoint,
		Reconcile:    pr.reconcileHook,
	}
}

func (pr *Provider) putEndpoint(ctx context.Context, op *arm.PutOp) error {
	prof, err := parentRecord(ctx, op.Tx, op.ID)
	if err != nil {
		return err
	}
	if s := skuName(prof); s != SKUStandard && s != SKUPremium {
		return badRequest("AFD endpoints can only be created in Azure Front Door profiles.")
	}
	props := op.Body.PropertiesMap()
	if err := enumValue(props, "enabledState", "Enabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if err := enumValue(props, "autoGeneratedDomainNameLabelScope", "TenantReuse", "TenantReuse", "SubscriptionReuse", "ResourceGroupReuse", "NoReuse"); err != nil {
		return err
	}
	if op.Existing != nil {
		old := op.Existing.Resource.PropertiesMap()
		if str(old, "autoGeneratedDomainNameLabelScope") != str(props, "autoGeneratedDomainNameLabelScope") {
			return badRequest("The property 'autoGeneratedDomainNameLabelScope' cannot be changed after the endpoint is created.")
		}
		props["hostName"] = old["hostName"]
		op.Internal = op.Existing.Internal
	} else {
		props["hostName"] = op.ID.Name() + "-" + pr.hostHash(op.ID, str(props, "autoGeneratedDomainNameLabelScope")) + "." + EndpointDomain
	}
	props["deploymentStatus"] = "NotStarted"
	delete(props, "provisioningState")
	op.Body.SetPropertiesMap(props)
	createState(op)
	return nil
}

// hostHash is the 16-character label of an endpoint's host name: stable
// for the scope Azure reuses it in (tenant, subscription or resource
// group, with the endpoint's name), random with NoReuse.
func (pr *Provider) hostHash(id arm.ID, scope string) string {
	var seed string
	switch scope {
	case "SubscriptionReuse":
		seed = lower(id.Subscription)
	case "ResourceGroupReuse":
		seed = lower(id.Subscription + "/" + id.ResourceGroup)
	case "NoReuse":
		seed = rand.Text()
	default:
		seed = lower(pr.tenant)
	}
	sum := sha256.Sum256([]byte(seed + "|" + lower(id.Name())))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 16)
	for i := range out {
		out[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	// Azure's labels start with a letter.
	out[0] = alphabet[int(sum[16])%26]
	return string(out)
}

// --- originGroups

func (pr *Provider) originGroupSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: OriginGroupType, APIVersions: APIVersions, Location: arm.LocationNone,
		ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
		ValidateName: validateName("Origin group", 1, 50),
		Put:          putOriginGroup,
		InUse: func(id arm.ID, refs []arm.Ref) error {
			return badRequest("Origin group %s is used by route %s and cannot be deleted. Remove it from the route first.", id.Name(), refs[0].Source)
		},
	}
}

func putOriginGroup(ctx context.Context, op *arm.PutOp) error {
	if _, err := parentRecord(ctx, op.Tx, op.ID); err != nil {
		return err
	}
	props := op.Body.PropertiesMap()
	lb, _ := props["loadBalancingSettings"].(map[string]any)
	if lb == nil {
		lb = map[string]any{}
	}
	if err := intValue(lb, "sampleSize", 4, 1, 255); err != nil {
		return err
	}
	if err := intValue(lb, "successfulSamplesRequired", 3, 1, 255); err != nil {
		return err
	}
	if err := intValue(lb, "additionalLatencyInMilliseconds", 50, 0, 1000); err != nil {
		return err
	}
	if lb["successfulSamplesRequired"].(int) > lb["sampleSize"].(int) {
		return badRequest("successfulSamplesRequired (%d) cannot be greater than sampleSize (%d).", lb["successfulSamplesRequired"], lb["sampleSize"])
	}
	props["loadBalancingSettings"] = lb
	if hp, ok := props["healthProbeSettings"].(map[string]any); ok && hp != nil {
		if err := enumValue(hp, "probeProtocol", "NotSet", "NotSet", "Http", "Https"); err != nil {
			return err
		}
		if err := enumValue(hp, "probeRequestType", "NotSet", "NotSet", "GET", "HEAD"); err != nil {
			return err
		}
		if err := intValue(hp, "probeIntervalInSeconds", 100, 1, 255); err != nil {
			return err
		}
		if p := str(hp, "probePath"); p != "" && !strings.HasPrefix(p, "/") {
			return badRequest("The probe path '%s' is not valid: it must start with '/'.", p)
		}
	} else {
		props["healthProbeSettings"] = nil
	}
	if err := enumValue(props, "sessionAffinityState", "Disabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if err := intValue(props, "trafficRestorationTimeToHealedOrNewEndpointsInMinutes", 10, 0, 50); err != nil {
		return err
	}
	props["deploymentStatus"] = "NotStarted"
	delete(props, "provisioningState")
	op.Body.SetPropertiesMap(props)
	createState(op)
	return nil
}

// --- origins

// originInternal is an origin's private state: the hidden private
// endpoint its private link goes through.
type originInternal struct {
	PrivateEndpoint string `json:"privateEndpoint,omitempty"`
}

func (pr *Provider) originSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: OriginType, APIVersions: APIVersions, Location: arm.LocationNone,
		ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
		ValidateName: validateName("Origin", 1, 50),
		Put:          pr.putOrigin,
		Reconcile:    pr.reconcileHook,
		Delete:       func(context.Context, *arm.DeleteOp) error { pr.kickLater(); return nil },
		Render:       pr.renderOrigin,
	}
}

func (pr *Provider) putOrigin(ctx context.Context, op *arm.PutOp) error {
	if _, err := parentRecord(ctx, op.Tx, op.ID); err != nil {
		return err
	}
	prof, err := profileOf(ctx, op.Tx, op.ID)
	if err != nil {
		return err
	}
	props := op.Body.PropertiesMap()
	host := str(props, "hostName")
	if host == "" {
		return badRequest("The origin's hostName is required.")
	}
	if len(host) > 255 || strings.ContainsAny(host, "/: ") {
		return badRequest("The origin hostName '%s' is not valid: give a domain name or an IP address.", host)
	}
	if h := str(props, "originHostHeader"); strings.ContainsAny(h, "/ ") {
		return badRequest("The origin host header '%s' is not valid.", h)
	}
	for _, k := range []string{"httpPort", "httpsPort"} {
		def := 80
		if k == "httpsPort" {
			def = 443
		}
		if err := intValue(props, k, def, 1, 65535); err != nil {
			return err
		}
	}
	if err := intValue(props, "priority", 1, 1, 5); err != nil {
		return err
	}
	if err := intValue(props, "weight", 1000, 1, 1000); err != nil {
		return err
	}
	if err := enumValue(props, "enabledState", "Enabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if v, ok := props["enforceCertificateNameCheck"]; !ok || v == nil {
		props["enforceCertificateNameCheck"] = true
	}
	if spl, ok := props["sharedPrivateLinkResource"].(map[string]any); ok && spl != nil {
		if skuName(prof) != SKUPremium {
			return badRequest("Private Link origins are supported only by the %s SKU; profile %s is %s.", SKUPremium, op.ID.Names[0], skuName(prof))
		}
		pl, _ := spl["privateLink"].(map[string]any)
		target := str(pl, "id")
		tid, err := arm.ParseID(target)
		if target == "" || err != nil || tid.IsCollection() || tid.Namespace == "" {
			return badRequest("The private link resource id '%s' is not valid.", target)
		}
		loc := arm.NormalizeLocation(str(spl, "privateLinkLocation"))
		if loc == "" {
			return badRequest("privateLinkLocation is required when sharedPrivateLinkResource is set.")
		}
		if !slices.ContainsFunc(arm.Regions, func(r arm.Region) bool { return r.Name == loc }) {
			return badRequest("The private link location '%s' is not a valid Azure region.", str(spl, "privateLinkLocation"))
		}
		if len(str(spl, "requestMessage")) > 140 {
			return badRequest("The private link request message cannot be longer than 140 characters.")
		}
		spl["privateLinkLocation"] = loc
		spl["status"] = "Pending"
		if _, ok := spl["groupId"]; !ok {
			spl["groupId"] = nil
		}
		props["sharedPrivateLinkResource"] = spl
	} else {
		props["sharedPrivateLinkResource"] = nil
	}
	props["originGroupName"] = op.ID.Names[1]
	props["deploymentStatus"] = "NotStarted"
	delete(props, "provisioningState")
	op.Body.SetPropertiesMap(props)
	if op.Existing != nil {
		op.Internal = op.Existing.Internal
	}
	createState(op)
	return nil
}

// renderOrigin shows the private link's status as the connection of
// Front Door's endpoint stands.
func (pr *Provider) renderOrigin(ctx context.Context, op *arm.RenderOp) error {
	props := op.Resource.PropertiesMap()
	spl, ok := props["sharedPrivateLinkResource"].(map[string]any)
	if !ok || spl == nil {
		return nil
	}
	var in originInternal
	_ = json.Unmarshal(op.Record.Internal, &in)
	status := "Pending"
	if in.PrivateEndpoint != "" {
		pe, err := op.Engine.GetRecord(ctx, in.PrivateEndpoint)
		if err != nil {
			return err
		}
		if s := connectionStatus(pe); s != "" {
			status = s
		}
	}
	spl["status"] = status
	op.Resource.SetPropertiesMap(props)
	return nil
}

// connectionStatus is the state of a private endpoint's (only)
// connection: Pending, Approved, Rejected or Disconnected.
func connectionStatus(pe *arm.Record) string {
	if pe == nil {
		return ""
	}
	var p struct {
		Manual []struct {
			Properties struct {
				State struct {
					Status string `json:"status"`
				} `json:"privateLinkServiceConnectionState"`
			} `json:"properties"`
		} `json:"manualPrivateLinkServiceConnections"`
	}
	_ = pe.Resource.DecodeProperties(&p)
	if len(p.Manual) == 0 {
		return ""
	}
	return p.Manual[0].Properties.State.Status
}

// --- routes

func (pr *Provider) routeSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type: RouteType, APIVersions: APIVersions, Location: arm.LocationNone,
		ProvisioningState: true, AsyncPut: true, AsyncDelete: true,
		ValidateName: validateName("Route", 1, 260),
		Put:          putRoute,
	}
}

func putRoute(ctx context.Context, op *arm.PutOp) error {
	if _, err := parentRecord(ctx, op.Tx, op.ID); err != nil {
		return err
	}
	props := op.Body.PropertiesMap()
	og, _ := props["originGroup"].(map[string]any)
	ogID := str(og, "id")
	if ogID == "" {
		return badRequest("The route's originGroup is required.")
	}
	gid, err := arm.ParseID(ogID)
	profile := op.ID.String()[:strings.Index(lower(op.ID.String()), "/afdendpoints/")]
	if err != nil || !strings.EqualFold(gid.Type(), OriginGroupType) || !strings.HasPrefix(lower(ogID), lower(profile)+"/origingroups/") {
		return badRequest("The origin group '%s' is not valid: it must be an origin group of profile %s.", ogID, op.ID.Names[0])
	}
	grp, err := op.Tx.Get(ctx, ogID)
	if err != nil {
		return err
	}
	if grp == nil {
		return badRequest("Origin group %s does not exist in profile %s.", gid.Name(), op.ID.Names[0])
	}
	op.AddRef(grp.Resource.ID, "routeOriginGroup", "", true)
	patterns := []string{"/*"}
	if raw, ok := props["patternsToMatch"].([]any); ok && len(raw) > 0 {
		patterns = patterns[:0]
		for _, p := range raw {
			s, _ := p.(string)
			if !strings.HasPrefix(s, "/") || strings.Count(s, "*") > 1 || (strings.Contains(s, "*") && !strings.HasSuffix(s, "*")) {
				return badRequest("The pattern '%v' is not valid: a pattern starts with '/' and may only end with a wildcard '*'.", p)
			}
			patterns = append(patterns, s)
		}
	}
	props["patternsToMatch"] = patterns
	protos := []string{"Http", "Https"}
	if raw, ok := props["supportedProtocols"].([]any); ok && len(raw) > 0 {
		protos = protos[:0]
		for _, p := range raw {
			s, _ := p.(string)
			switch {
			case strings.EqualFold(s, "Http"):
				s = "Http"
			case strings.EqualFold(s, "Https"):
				s = "Https"
			default:
				return badRequest("The value '%v' is not valid for property 'supportedProtocols'. Allowed values: Http, Https.", p)
			}
			if !slices.Contains(protos, s) {
				protos = append(protos, s)
			}
		}
	}
	props["supportedProtocols"] = protos
	if err := enumValue(props, "forwardingProtocol", "MatchRequest", "HttpOnly", "HttpsOnly", "MatchRequest"); err != nil {
		return err
	}
	if err := enumValue(props, "httpsRedirect", "Disabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if err := enumValue(props, "linkToDefaultDomain", "Disabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if err := enumValue(props, "enabledState", "Enabled", "Enabled", "Disabled"); err != nil {
		return err
	}
	if props["httpsRedirect"] == "Enabled" && !slices.Contains(protos, "Https") {
		return badRequest("HTTPS redirect requires the route to support the Https protocol.")
	}
	for _, k := range []string{"customDomains", "ruleSets"} {
		if props[k] == nil {
			props[k] = []any{}
		}
	}
	for _, k := range []string{"originPath", "cacheConfiguration"} {
		if _, ok := props[k]; !ok {
			props[k] = nil
		}
	}
	props["endpointName"] = op.ID.Names[1]
	props["deploymentStatus"] = "NotStarted"
	delete(props, "provisioningState")
	op.Body.SetPropertiesMap(props)
	createState(op)
	return nil
}
