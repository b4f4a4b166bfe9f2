package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
)

// Network security groups (Microsoft.Network/networkSecurityGroups) with
// their security rules (an inline child, also addressable on its own) and
// the six read-only default rules Azure adds to every group.
//
// Error codes and messages are Azure's as quoted in public issue threads
// (SecurityRuleConflict, SecurityRuleInvalidAddressPrefix,
// SecurityRuleInvalidPortRange, SecurityRuleParametersMissing for the
// address prefixes, SecurityRuleParameterContainsUnsupportedValue,
// InUseNetworkSecurityGroupCannotBeDeleted, the NRP parse error shape).
// Unconfirmed, chosen by analogy: the wording of SecurityRuleInvalidPriority,
// SecurityRuleParametersMissing for protocol/access/direction/ports, and
// DuplicateResourceName.

const (
	nsgType                 = "Microsoft.Network/networkSecurityGroups"
	securityRuleType        = nsgType + "/securityRules"
	defaultSecurityRuleType = nsgType + "/defaultSecurityRules"

	// kindNSGNetworkInterface is the kind of the ref a network interface
	// holds on its network security group (rendered as networkInterfaces).
	kindNSGNetworkInterface = "networkInterface"

	minRulePriority = 100
	maxRulePriority = 4096
)

// Security rule enum values.
var (
	ruleProtocols  = []string{"Tcp", "Udp", "Icmp", "Esp", "*", "Ah"}
	ruleAccesses   = []string{"Allow", "Deny"}
	ruleDirections = []string{"Inbound", "Outbound"}
)

// SecurityGroupProperties are a network security group's stored
// properties (rules and back-references are rendered from their records).
type SecurityGroupProperties struct {
	ResourceGUID      string `json:"resourceGuid,omitempty"`
	FlushConnection   bool   `json:"flushConnection"`
	ProvisioningState string `json:"provisioningState,omitempty"`
}

// SecurityRuleProperties are a security rule's properties (also those of
// the default rules).
type SecurityRuleProperties struct {
	ProvisioningState                    string        `json:"provisioningState,omitempty"`
	Description                          string        `json:"description,omitempty"`
	Protocol                             string        `json:"protocol"`
	SourcePortRange                      string        `json:"sourcePortRange,omitempty"`
	DestinationPortRange                 string        `json:"destinationPortRange,omitempty"`
	SourceAddressPrefix                  string        `json:"sourceAddressPrefix,omitempty"`
	DestinationAddressPrefix             string        `json:"destinationAddressPrefix,omitempty"`
	SourcePortRanges                     []string      `json:"sourcePortRanges,omitempty"`
	DestinationPortRanges                []string      `json:"destinationPortRanges,omitempty"`
	SourceAddressPrefixes                []string      `json:"sourceAddressPrefixes,omitempty"`
	DestinationAddressPrefixes           []string      `json:"destinationAddressPrefixes,omitempty"`
	SourceApplicationSecurityGroups      []SubResource `json:"sourceApplicationSecurityGroups,omitempty"`
	DestinationApplicationSecurityGroups []SubResource `json:"destinationApplicationSecurityGroups,omitempty"`
	Access                               string        `json:"access"`
	Priority                             int64         `json:"priority"`
	Direction                            string        `json:"direction"`
}

// DecodeSecurityRule decodes a security rule record's properties.
func DecodeSecurityRule(rec *arm.Record) (*SecurityRuleProperties, error) {
	var p SecurityRuleProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode security rule %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// defaultSecurityRules are the rules Azure adds to every network security
// group, in the order Azure lists them (NetworkSecurityGroupCreate/Get).
var defaultSecurityRules = []struct {
	Name string
	SecurityRuleProperties
}{
	{"AllowVnetInBound", SecurityRuleProperties{Description: "Allow inbound traffic from all VMs in VNET", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "VirtualNetwork", DestinationAddressPrefix: "VirtualNetwork",
		Access: "Allow", Priority: 65000, Direction: "Inbound"}},
	{"AllowAzureLoadBalancerInBound", SecurityRuleProperties{Description: "Allow inbound traffic from azure load balancer", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "AzureLoadBalancer", DestinationAddressPrefix: "*",
		Access: "Allow", Priority: 65001, Direction: "Inbound"}},
	{"DenyAllInBound", SecurityRuleProperties{Description: "Deny all inbound traffic", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "*", DestinationAddressPrefix: "*",
		Access: "Deny", Priority: 65500, Direction: "Inbound"}},
	{"AllowVnetOutBound", SecurityRuleProperties{Description: "Allow outbound traffic from all VMs to all VMs in VNET", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "VirtualNetwork", DestinationAddressPrefix: "VirtualNetwork",
		Access: "Allow", Priority: 65000, Direction: "Outbound"}},
	{"AllowInternetOutBound", SecurityRuleProperties{Description: "Allow outbound traffic from all VMs to Internet", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "*", DestinationAddressPrefix: "Internet",
		Access: "Allow", Priority: 65001, Direction: "Outbound"}},
	{"DenyAllOutBound", SecurityRuleProperties{Description: "Deny all outbound traffic", Protocol: "*",
		SourcePortRange: "*", DestinationPortRange: "*", SourceAddressPrefix: "*", DestinationAddressPrefix: "*",
		Access: "Deny", Priority: 65500, Direction: "Outbound"}},
}

// DefaultSecurityRules returns Azure's default rules of a network security
// group (for data-plane evaluation).
func DefaultSecurityRules() []SecurityRuleProperties {
	out := make([]SecurityRuleProperties, len(defaultSecurityRules))
	for i, d := range defaultSecurityRules {
		out[i] = d.SecurityRuleProperties
		out[i].ProvisioningState = arm.StateSucceeded
	}
	return out
}

func registerSecurityGroups(p *arm.Platform) error {
	p.Registry.Register(
		&arm.TypeSpec{
			Type:              nsgType,
			APIVersions:       versions(),
			Location:          arm.LocationRequired,
			ETag:              true,
			ProvisioningState: true,
			AsyncPut:          true,
			AsyncDelete:       true,
			NoSystemData:      true,
			Children: []arm.ChildSpec{
				{Property: "securityRules", Type: "securityRules"},
				{Property: "defaultSecurityRules", Type: "defaultSecurityRules", ReadOnly: true},
			},
			BackRefs: []arm.BackRef{
				{Property: "networkInterfaces", Kind: kindNSGNetworkInterface},
				{Property: "subnets", Kind: kindSubnet},
			},
			ValidateName: validateNetworkName,
			Put:          putSecurityGroup,
			Delete:       deleteSecurityGroup,
			InUse:        securityGroupInUse,
			Render:       renderSecurityGroup,
		},
		&arm.TypeSpec{
			Type:              securityRuleType,
			APIVersions:       versions(),
			Location:          arm.LocationNone,
			ETag:              true,
			ProvisioningState: true,
			AsyncPut:          true,
			AsyncDelete:       true,
			NoSystemData:      true,
			ValidateName:      validateNetworkName,
			Put:               putSecurityRule,
			NotFound:          childResourceNotFound,
		},
		&arm.TypeSpec{
			Type:              defaultSecurityRuleType,
			APIVersions:       versions(),
			Location:          arm.LocationNone,
			ETag:              true,
			ProvisioningState: true,
			NoSystemData:      true,
			Delete:            deleteDefaultSecurityRule,
			NotFound:          childResourceNotFound,
		},
	)
	return nil
}

func putSecurityGroup(ctx context.Context, op *arm.PutOp) error {
	var in struct {
		FlushConnection bool `json:"flushConnection"`
	}
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	if err := checkInlineNames(op, "securityRules"); err != nil {
		return err
	}
	if err := touchParentGuard(ctx, op.Tx, op.ID.String()); err != nil {
		return err
	}
	props := SecurityGroupProperties{ResourceGUID: existingGUID(op.Existing), FlushConnection: in.FlushConnection}
	if err := ensureDefaultRules(ctx, op.Tx, op.ID); err != nil {
		return err
	}
	return op.Body.SetProperties(props)
}

// ensureDefaultRules stores the default rules of a group that lacks them.
func ensureDefaultRules(ctx context.Context, t *arm.Txn, nsg arm.ID) error {
	now := time.Now().UTC()
	for _, d := range defaultSecurityRules {
		id := nsg.Child("defaultSecurityRules", d.Name).String()
		rec, err := t.Get(ctx, id)
		if err != nil {
			return err
		}
		if rec != nil {
			continue
		}
		props := d.SecurityRuleProperties
		props.ProvisioningState = arm.StateSucceeded
		res := arm.Resource{ID: id, Name: d.Name, Type: defaultSecurityRuleType, Etag: weakETag()}
		if err := res.SetProperties(props); err != nil {
			return err
		}
		if err := t.Write(ctx, &arm.Record{Resource: res, Generation: 1, State: arm.StateSucceeded, Created: now}); err != nil {
			return err
		}
	}
	return nil
}

func deleteSecurityGroup(ctx context.Context, op *arm.DeleteOp) error {
	dropParentGuard(op.Tx, op.ID.String())
	return nil
}

func deleteDefaultSecurityRule(ctx context.Context, op *arm.DeleteOp) error {
	if op.WithParent {
		return nil
	}
	return arm.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
		"The requested resource does not support http method 'DELETE'.")
}

func securityGroupInUse(id arm.ID, refs []arm.Ref) error {
	return arm.BadRequest("InUseNetworkSecurityGroupCannotBeDeleted",
		"Network security group %s cannot be deleted because it is in use by the following resources: %s. In order to delete the Network security group, remove the association with the resource(s). To learn how to do this, see aka.ms/deletensg.",
		id.String(), strings.Join(refSources(refs), ", "))
}

// renderSecurityGroup lists the default rules in Azure's order.
func renderSecurityGroup(ctx context.Context, op *arm.RenderOp) error {
	m := op.Resource.PropertiesMap()
	raw, _ := m["defaultSecurityRules"].([]any)
	order := map[string]int{}
	for i, d := range defaultSecurityRules {
		order[strings.ToLower(d.Name)] = i
	}
	sorted := make([]any, 0, len(raw))
	rest := []any{}
	slots := make([]any, len(defaultSecurityRules))
	for _, r := range raw {
		name := ""
		if rm, ok := r.(map[string]any); ok {
			name, _ = rm["name"].(string)
		}
		if i, ok := order[strings.ToLower(name)]; ok && slots[i] == nil {
			slots[i] = r
			continue
		}
		rest = append(rest, r)
	}
	for _, s := range slots {
		if s != nil {
			sorted = append(sorted, s)
		}
	}
	m["defaultSecurityRules"] = append(sorted, rest...)
	op.Resource.SetPropertiesMap(m)
	return nil
}

// securityRuleInput is a security rule body's properties as accepted.
type securityRuleInput struct {
	Description                          string        `json:"description"`
	Protocol                             string        `json:"protocol"`
	SourcePortRange                      string        `json:"sourcePortRange"`
	DestinationPortRange                 string        `json:"destinationPortRange"`
	SourceAddressPrefix                  string        `json:"sourceAddressPrefix"`
	DestinationAddressPrefix             string        `json:"destinationAddressPrefix"`
	SourcePortRanges                     []string      `json:"sourcePortRanges"`
	DestinationPortRanges                []string      `json:"destinationPortRanges"`
	SourceAddressPrefixes                []string      `json:"sourceAddressPrefixes"`
	DestinationAddressPrefixes           []string      `json:"destinationAddressPrefixes"`
	SourceApplicationSecurityGroups      []SubResource `json:"sourceApplicationSecurityGroups"`
	DestinationApplicationSecurityGroups []SubResource `json:"destinationApplicationSecurityGroups"`
	Access                               string        `json:"access"`
	Priority                             *int64        `json:"priority"`
	Direction                            string        `json:"direction"`
}

func putSecurityRule(ctx context.Context, op *arm.PutOp) error {
	var in securityRuleInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	props, err := normalizeSecurityRule(op.ID.String(), inlinePath(op, "securityRules"), &in)
	if err != nil {
		return err
	}
	nsg, _ := op.ID.Parent()
	if err := checkRuleConflict(ctx, op, nsg, props); err != nil {
		return err
	}
	if op.Inline {
		// Rules written with their group complete with it: the group's
		// operation must not succeed while one of its rules is Updating.
		op.State = arm.StateSucceeded
	}
	return op.Body.SetProperties(props)
}

// normalizeSecurityRule validates a rule with Azure's errors and returns
// its stored properties. path is the JSON path of the rule's properties
// in the request ("properties." or "properties.securityRules[i].properties.").
func normalizeSecurityRule(ruleID, path string, in *securityRuleInput) (*SecurityRuleProperties, error) {
	out := &SecurityRuleProperties{Description: in.Description}
	var err error
	if out.Protocol, err = nrpEnum(in.Protocol, ruleProtocols, "SecurityRuleProtocol", path+"protocol"); err != nil {
		return nil, err
	}
	if out.Access, err = nrpEnum(in.Access, ruleAccesses, "SecurityRuleAccess", path+"access"); err != nil {
		return nil, err
	}
	if out.Direction, err = nrpEnum(in.Direction, ruleDirections, "SecurityRuleDirection", path+"direction"); err != nil {
		return nil, err
	}
	for _, f := range []struct{ v, name string }{{out.Protocol, "Protocol"}, {out.Access, "Access"}, {out.Direction, "Direction"}} {
		if f.v == "" {
			return nil, ruleParamsMissing(ruleID, f.name)
		}
	}
	if in.Priority == nil || *in.Priority < minRulePriority || *in.Priority > maxRulePriority {
		var v int64
		if in.Priority != nil {
			v = *in.Priority
		}
		return nil, arm.BadRequest("SecurityRuleInvalidPriority",
			"Security rule has invalid Priority. Value provided: %d Allowed range %d-%d.", v, minRulePriority, maxRulePriority)
	}
	out.Priority = *in.Priority

	// Ports.
	if in.SourcePortRange == "" && len(in.SourcePortRanges) == 0 {
		return nil, ruleParamsMissing(ruleID, "SourcePortRanges or SourcePortRange")
	}
	if in.DestinationPortRange == "" && len(in.DestinationPortRanges) == 0 {
		return nil, ruleParamsMissing(ruleID, "DestinationPortRanges or DestinationPortRange")
	}
	var ports []string
	for _, pr := range []string{in.SourcePortRange, in.DestinationPortRange} {
		if pr != "" {
			ports = append(ports, pr)
		}
	}
	for _, pr := range append(append(ports, in.SourcePortRanges...), in.DestinationPortRanges...) {
		if !validPortRange(pr) {
			return nil, arm.BadRequest("SecurityRuleInvalidPortRange",
				"Security rule has invalid Port range. Value provided: %s. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.", pr)
		}
	}
	out.SourcePortRange, out.DestinationPortRange = in.SourcePortRange, in.DestinationPortRange
	out.SourcePortRanges, out.DestinationPortRanges = in.SourcePortRanges, in.DestinationPortRanges

	// Addresses.
	if in.SourceAddressPrefix == "" && len(in.SourceAddressPrefixes) == 0 && len(in.SourceApplicationSecurityGroups) == 0 {
		return nil, ruleParamsMissing(ruleID, "SourceAddressPrefixes, SourceAddressPrefix, or SourceApplicationSecurityGroups")
	}
	if in.DestinationAddressPrefix == "" && len(in.DestinationAddressPrefixes) == 0 && len(in.DestinationApplicationSecurityGroups) == 0 {
		return nil, ruleParamsMissing(ruleID, "DestinationAddressPrefixes, DestinationAddressPrefix, or DestinationApplicationSecurityGroups")
	}
	for _, a := range []string{in.SourceAddressPrefix, in.DestinationAddressPrefix} {
		if a != "" && !validRuleAddress(a, true) {
			return nil, invalidRuleAddress(ruleID, a)
		}
	}
	for _, l := range []struct {
		param string
		vals  []string
	}{{"SourceAddressPrefix", in.SourceAddressPrefixes}, {"DestinationAddressPrefix", in.DestinationAddressPrefixes}} {
		for _, a := range l.vals {
			if a == "*" || IsServiceTag(a) {
				return nil, arm.BadRequest("SecurityRuleParameterContainsUnsupportedValue",
					"Security rule parameter %s for rule with Id %s cannot specify existing VIRTUALNETWORK, INTERNET, AZURELOADBALANCER, '*' or system tags. Unsupported value used: %s.",
					l.param, ruleID, a)
			}
			if !validRuleAddress(a, false) {
				return nil, invalidRuleAddress(ruleID, a)
			}
		}
	}
	for _, groups := range [][]SubResource{in.SourceApplicationSecurityGroups, in.DestinationApplicationSecurityGroups} {
		for _, g := range groups {
			if _, err := arm.ParseID(g.ID); err != nil || g.ID == "" {
				return nil, arm.BadRequest("LinkedInvalidPropertyId",
					"Property id '%s' at path 'properties.applicationSecurityGroups' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.", g.ID)
			}
		}
	}
	out.SourceAddressPrefix, out.DestinationAddressPrefix = in.SourceAddressPrefix, in.DestinationAddressPrefix
	out.SourceAddressPrefixes, out.DestinationAddressPrefixes = in.SourceAddressPrefixes, in.DestinationAddressPrefixes
	out.SourceApplicationSecurityGroups = in.SourceApplicationSecurityGroups
	out.DestinationApplicationSecurityGroups = in.DestinationApplicationSecurityGroups
	return out, nil
}

func ruleParamsMissing(ruleID, what string) error {
	return arm.BadRequest("SecurityRuleParametersMissing",
		"Required security rule parameters are missing for security rule with Id: %s. Security rule must specify %s.", ruleID, what)
}

func invalidRuleAddress(ruleID, v string) error {
	return arm.BadRequest("SecurityRuleInvalidAddressPrefix",
		"Security rule %s has invalid Address prefix. Value provided: %s", ruleID, v)
}

// validPortRange accepts "*", "N" and "N-M" with 0 <= N <= M <= 65535.
func validPortRange(s string) bool {
	if s == "*" {
		return true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	a, err1 := parsePort(lo)
	b, err2 := parsePort(hi)
	return err1 == nil && err2 == nil && a <= b
}

func parsePort(s string) (int, error) {
	if s == "" || strings.TrimSpace(s) != s {
		return 0, fmt.Errorf("empty port")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || (len(s) > 1 && s[0] == '+') {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// validRuleAddress accepts an IP address, a CIDR prefix without host bits
// and, when single, "*" and service tags.
func validRuleAddress(s string, single bool) bool {
	if single && (s == "*" || IsServiceTag(s)) {
		return true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Zone() == ""
	}
	_, perr := parseCIDR(s)
	return perr == prefixOK
}

// checkRuleConflict refuses two rules of a group with the same priority
// and direction. Inline rules are checked against the other rules of the
// request (the group's stored rules are being replaced), a rule put on
// its own against the group's stored rules.
func checkRuleConflict(ctx context.Context, op *arm.PutOp, nsg arm.ID, props *SecurityRuleProperties) error {
	conflict := func(earlier, later string) error {
		return arm.BadRequest("SecurityRuleConflict",
			"Security rule %s conflicts with rule %s. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.",
			earlier, later)
	}
	name := op.ID.Name()
	if op.Inline {
		items, self := inlineSiblings(op, "securityRules")
		for i, it := range items {
			if i == self {
				continue
			}
			var p struct {
				Priority  *int64 `json:"priority"`
				Direction string `json:"direction"`
			}
			if json.Unmarshal(it.Properties, &p) != nil || p.Priority == nil {
				continue
			}
			if *p.Priority == props.Priority && strings.EqualFold(p.Direction, props.Direction) {
				if i < self {
					return conflict(it.Name, name)
				}
				return conflict(name, it.Name)
			}
		}
		return nil
	}
	if err := touchParentGuard(ctx, op.Tx, nsg.String()); err != nil {
		return err
	}
	sibs, err := op.Tx.Children(ctx, nsg, "securityRules")
	if err != nil {
		return err
	}
	for _, s := range sibs {
		if strings.EqualFold(s.Resource.Name, name) {
			continue
		}
		sp, err := DecodeSecurityRule(s)
		if err != nil {
			return err
		}
		if sp.Priority == props.Priority && strings.EqualFold(sp.Direction, props.Direction) {
			return conflict(s.Resource.Name, name)
		}
	}
	return nil
}

// ---- helpers shared by the resource types of this file set ----

// childResourceNotFound is the network resource provider's 404 for a
// missing child resource (rule, route, IP configuration): NRP answers it,
// not ARM.
func childResourceNotFound(id arm.ID) *arm.Error {
	return arm.NotFound("NotFound", "Resource %s not found.", id.String())
}

// nrpEnum returns the canonical spelling of an enum value (matched
// case-insensitively as the network resource provider's JSON parser
// does), "" when empty, or Azure's parse error for an unknown value.
func nrpEnum(v string, allowed []string, enumType, path string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a, nil
		}
	}
	return "", nrpParseError(v, enumType, path)
}

// nrpParseError is the network resource provider's error for a value its
// JSON parser cannot convert.
func nrpParseError(v, enumType, path string) *arm.Error {
	e := arm.BadRequest("InvalidRequestFormat", "Cannot parse the request.")
	e.Details = []arm.ErrorDetail{{
		Code: "InvalidJson",
		Message: fmt.Sprintf("Error converting value %s to type 'Microsoft.WindowsAzure.Networking.Nrp.Frontend.Contract.Csm.Public.%s'. Path '%s'.",
			strconv.Quote(v), enumType, path),
	}}
	return e
}

// inlineItem is one element of an inline child array in a request body.
type inlineItem struct {
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties"`
}

// inlineSiblings returns the elements of the parent request's inline
// array property and the index of op's resource in it (-1 if absent).
func inlineSiblings(op *arm.PutOp, property string) ([]inlineItem, int) {
	if op.Req == nil {
		return nil, -1
	}
	var body struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(op.Req.Body, &body) != nil {
		return nil, -1
	}
	var items []inlineItem
	if json.Unmarshal(body.Properties[property], &items) != nil {
		return nil, -1
	}
	self := -1
	for i, it := range items {
		if strings.EqualFold(it.Name, op.ID.Name()) {
			self = i
			break
		}
	}
	return items, self
}

// inlinePath is the JSON path prefix of op's properties in the request.
func inlinePath(op *arm.PutOp, property string) string {
	if !op.Inline {
		return "properties."
	}
	if _, i := inlineSiblings(op, property); i >= 0 {
		return fmt.Sprintf("properties.%s[%d].properties.", property, i)
	}
	return "properties."
}

// checkInlineNames refuses an inline child array naming a child twice.
func checkInlineNames(op *arm.PutOp, property string) error {
	if op.Req == nil || op.Inline {
		return nil
	}
	var body struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(op.Req.Body, &body) != nil {
		return nil
	}
	var items []inlineItem
	if json.Unmarshal(body.Properties[property], &items) != nil {
		return nil
	}
	seen := map[string]bool{}
	for _, it := range items {
		k := strings.ToLower(it.Name)
		if k != "" && seen[k] {
			return duplicateChildName(op.ID.String(), it.Name)
		}
		seen[k] = true
	}
	return nil
}

func duplicateChildName(parentID, name string) error {
	return arm.BadRequest("DuplicateResourceName",
		"Resource %s has two child resources with the same name (%s).", parentID, name)
}

// touchParentGuard reads and rewrites a guard key of a parent so that
// concurrent transactions checking its children against each other
// conflict (a prefix list alone does not guard against new keys).
func touchParentGuard(ctx context.Context, t *arm.Txn, parentID string) error {
	key := "/nrpguard" + arm.KeyOf(parentID)
	if _, _, err := t.Raw().Get(ctx, key); err != nil {
		return fmt.Errorf("read guard %s: %w", key, err)
	}
	t.Raw().Put(key, []byte(uuid.NewString()))
	return nil
}

func dropParentGuard(t *arm.Txn, parentID string) {
	t.Raw().Delete("/nrpguard" + arm.KeyOf(parentID))
}

// existingGUID keeps a resource's resourceGuid across updates.
func existingGUID(rec *arm.Record) string {
	if rec != nil {
		var p struct {
			ResourceGUID string `json:"resourceGuid"`
		}
		if json.Unmarshal(rec.Resource.Properties, &p) == nil && p.ResourceGUID != "" {
			return p.ResourceGUID
		}
	}
	return uuid.NewString()
}

// weakETag is a Microsoft.Network etag.
func weakETag() string { return `W/"` + uuid.NewString() + `"` }

// refSources lists the distinct sources of refs in order.
func refSources(refs []arm.Ref) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		k := strings.ToLower(r.Source)
		if !seen[k] {
			seen[k] = true
			out = append(out, r.Source)
		}
	}
	return out
}
