package dnsresolver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/privlink/privlink/internal/arm"
)

type rulesetProps struct {
	Outbound          []SubResource `json:"dnsResolverOutboundEndpoints"`
	ProvisioningState string        `json:"provisioningState,omitempty"`
	ResourceGUID      string        `json:"resourceGuid,omitempty"`
}

// putRuleset validates a forwarding ruleset: one or two outbound
// endpoints of one resolver, in the ruleset's region.
func putRuleset(ctx context.Context, op *arm.PutOp) error {
	var p rulesetProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	if len(p.Outbound) == 0 {
		return missingProperty("properties.dnsResolverOutboundEndpoints")
	}
	if len(p.Outbound) > MaxOutboundPerRuleset {
		return arm.BadRequest("BadRequest",
			"A DNS forwarding ruleset can be associated with at most %d outbound endpoints, not %d.", MaxOutboundPerRuleset, len(p.Outbound))
	}
	var resolver string
	out := make([]SubResource, 0, len(p.Outbound))
	for i := range p.Outbound {
		path := fmt.Sprintf("properties.dnsResolverOutboundEndpoints[%d].id", i)
		id, err := parseTyped(&p.Outbound[i], OutboundType, path)
		if err != nil {
			return err
		}
		rec, err := getRef(ctx, op.Tx, id, op.ID.String())
		if err != nil {
			return err
		}
		if !sameRegion(rec.Resource.Location, op.Body.Location) {
			return arm.BadRequest("BadRequest",
				"The DNS forwarding ruleset %s (%s) and its outbound endpoint %s (%s) must be in the same region.",
				op.ID.Name(), op.Body.Location, rec.Resource.ID, rec.Resource.Location)
		}
		parent, _ := id.Parent()
		if resolver != "" && !arm.SameID(resolver, parent.String()) {
			return arm.BadRequest("BadRequest",
				"The outbound endpoints of a DNS forwarding ruleset must belong to the same DNS resolver: %s and %s differ.", resolver, parent.String())
		}
		resolver = parent.String()
		out = append(out, SubResource{ID: rec.Resource.ID})
		op.AddRef(rec.Resource.ID, kindRulesetOut, "", true)
	}
	p = rulesetProps{Outbound: out, ResourceGUID: keepGUID(op.Existing)}
	return op.Body.SetProperties(p)
}

// maxRules is the ruleset limit (a variable for tests).
var maxRules = MaxRulesPerRuleset

type targetServer struct {
	IPAddress string `json:"ipAddress"`
	Port      *int   `json:"port,omitempty"`
}

type ruleProps struct {
	DomainName          string            `json:"domainName"`
	TargetDNSServers    []targetServer    `json:"targetDnsServers"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	ForwardingRuleState string            `json:"forwardingRuleState,omitempty"`
	ProvisioningState   string            `json:"provisioningState,omitempty"`
}

// putRule validates a forwarding rule: a fully qualified domain name with
// the trailing dot (unique in the ruleset), 1 to 6 target servers, the
// ruleset's 1,000-rule limit.
func putRule(ctx context.Context, op *arm.PutOp) error {
	var p ruleProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	if err := checkRule(&p); err != nil {
		return err
	}
	rs, _ := op.ID.Parent()
	kids, err := op.Tx.Children(ctx, rs, "forwardingRules")
	if err != nil {
		return fmt.Errorf("list rules of %s: %w", rs, err)
	}
	others := 0
	for _, k := range kids {
		if arm.SameID(k.Resource.ID, op.ID.String()) {
			continue
		}
		others++
		var kp ruleProps
		if k.Resource.DecodeProperties(&kp) == nil && strings.EqualFold(kp.DomainName, p.DomainName) {
			return arm.Conflict("Conflict",
				"The domain name %s is already used by the forwarding rule %s of DNS forwarding ruleset %s.", p.DomainName, k.Resource.Name, rs.Name())
		}
	}
	if op.Existing == nil && others >= maxRules {
		return arm.BadRequest("BadRequest",
			"The DNS forwarding ruleset %s already has %d forwarding rules, the maximum allowed.", rs.Name(), maxRules)
	}
	return op.Body.SetProperties(p)
}

// checkRule validates and normalises a rule's properties.
func checkRule(p *ruleProps) error {
	d := strings.TrimSpace(p.DomainName)
	if d == "" {
		return missingProperty("properties.domainName")
	}
	if !strings.HasSuffix(d, ".") {
		return arm.BadRequest("BadRequest",
			"The domain name '%s' of the forwarding rule is invalid: it must be a fully qualified domain name ending with a dot, e.g. '%s.'.", d, d)
	}
	if _, ok := mdns.IsDomainName(d); !ok || strings.Contains(d, "..") || strings.Contains(d, "*") {
		return arm.BadRequest("BadRequest", "The domain name '%s' of the forwarding rule is invalid.", d)
	}
	p.DomainName = strings.ToLower(d)
	if len(p.TargetDNSServers) == 0 {
		return missingProperty("properties.targetDnsServers")
	}
	if len(p.TargetDNSServers) > MaxTargetsPerRule {
		return arm.BadRequest("BadRequest", "A forwarding rule can have at most %d target DNS servers, not %d.", MaxTargetsPerRule, len(p.TargetDNSServers))
	}
	for i := range p.TargetDNSServers {
		t := &p.TargetDNSServers[i]
		a, ok := validIPv4(t.IPAddress)
		if !ok {
			return arm.BadRequest("BadRequest", "The target DNS server IP address '%s' at properties.targetDnsServers[%d].ipAddress is invalid.", t.IPAddress, i)
		}
		t.IPAddress = a.String()
		port := defaultDNSPort
		if t.Port != nil {
			port = *t.Port
		}
		if port < 1 || port > 65535 {
			return arm.BadRequest("BadRequest", "The port %d at properties.targetDnsServers[%d].port is invalid: it must be between 1 and 65535.", port, i)
		}
		t.Port = &port
	}
	st := ruleEnabled
	if p.ForwardingRuleState != "" {
		v, ok := enumOf(p.ForwardingRuleState, ruleEnabled, ruleDisabled)
		if !ok {
			return invalidEnum("properties.forwardingRuleState", p.ForwardingRuleState, ruleEnabled, ruleDisabled)
		}
		st = v
	}
	p.ForwardingRuleState = st
	p.ProvisioningState = ""
	return nil
}

// patchRule applies a PATCH (forwardingRulePatch): targetDnsServers,
// metadata and forwardingRuleState.
func patchRule(_ context.Context, op *arm.PatchOp) error {
	var body struct {
		Properties *struct {
			TargetDNSServers    []targetServer     `json:"targetDnsServers"`
			Metadata            *map[string]string `json:"metadata"`
			ForwardingRuleState *string            `json:"forwardingRuleState"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(op.Body, &body); err != nil {
		return arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: %v", err)
	}
	if body.Properties == nil {
		return nil
	}
	var p ruleProps
	if err := op.Resource.DecodeProperties(&p); err != nil {
		return fmt.Errorf("decode %s: %w", op.ID, err)
	}
	b := body.Properties
	if b.TargetDNSServers != nil {
		p.TargetDNSServers = b.TargetDNSServers
	}
	if b.Metadata != nil {
		p.Metadata = *b.Metadata
	}
	if b.ForwardingRuleState != nil {
		p.ForwardingRuleState = *b.ForwardingRuleState
	}
	if err := checkRule(&p); err != nil {
		return err
	}
	return op.Resource.SetProperties(p)
}

type linkProps struct {
	VirtualNetwork    *SubResource      `json:"virtualNetwork,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	ProvisioningState string            `json:"provisioningState,omitempty"`
}

// putLink validates a virtual network link of a ruleset: the network
// exists, is in the ruleset's region, and is linked to no other ruleset.
func putLink(ctx context.Context, op *arm.PutOp) error {
	var p linkProps
	if err := op.Body.DecodeProperties(&p); err != nil {
		return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request: %v", err)
	}
	vid, err := parseTyped(p.VirtualNetwork, vnetType, "properties.virtualNetwork.id")
	if err != nil {
		return err
	}
	rsID, _ := op.ID.Parent()
	rs, err := op.Tx.Get(ctx, rsID.String())
	if err != nil {
		return fmt.Errorf("read %s: %w", rsID, err)
	}
	if rs == nil {
		return arm.ParentResourceNotFound(rsID)
	}
	if op.Existing != nil {
		var old linkProps
		if err := op.Existing.Resource.DecodeProperties(&old); err == nil && old.VirtualNetwork != nil && !arm.SameID(old.VirtualNetwork.ID, vid.String()) {
			return arm.BadRequest("BadRequest", "The virtual network of an existing virtual network link cannot be changed.")
		}
	}
	vnet, err := getRef(ctx, op.Tx, vid, op.ID.String())
	if err != nil {
		return err
	}
	if !sameRegion(vnet.Resource.Location, rs.Resource.Location) {
		return arm.BadRequest("BadRequest",
			"The DNS forwarding ruleset %s (%s) cannot be linked to the virtual network %s in another region (%s).",
			rsID.Name(), rs.Resource.Location, vnet.Resource.ID, vnet.Resource.Location)
	}
	refs, err := op.Tx.RefsTo(ctx, vnet.Resource.ID)
	if err != nil {
		return fmt.Errorf("refs of %s: %w", vnet.Resource.ID, err)
	}
	for _, r := range refs {
		if r.Kind != kindRulesetLink || arm.SameID(r.Source, op.ID.String()) {
			continue
		}
		other, err := arm.ParseID(r.Source)
		if err != nil {
			continue
		}
		otherRS, _ := other.Parent()
		if arm.SameID(otherRS.String(), rsID.String()) {
			return arm.Conflict("Conflict", "The virtual network %s is already linked to the DNS forwarding ruleset %s by the link %s.",
				vnet.Resource.ID, rsID.Name(), other.Name())
		}
		return arm.Conflict("Conflict",
			"The virtual network %s is already linked to the DNS forwarding ruleset %s. A virtual network can be linked to only %d DNS forwarding ruleset.",
			vnet.Resource.ID, otherRS.String(), maxRulesetLinksPerVNet)
	}
	op.AddRef(vnet.Resource.ID, kindRulesetLink, "", false)
	p = linkProps{VirtualNetwork: &SubResource{ID: vnet.Resource.ID}, Metadata: p.Metadata}
	return op.Body.SetProperties(p)
}

// linkNetworkDeleted deletes a ruleset's link with its virtual network.
func linkNetworkDeleted(ctx context.Context, op *arm.TargetDeletedOp) error {
	if op.Ref.Kind != kindRulesetLink {
		return nil
	}
	return op.Engine.DeleteTree(ctx, op.Tx, op.SourceID, op.Source)
}
