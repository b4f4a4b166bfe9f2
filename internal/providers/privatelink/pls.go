package privatelink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// Subscriptions is visibility / autoApproval.
type Subscriptions struct {
	Subscriptions []string `json:"subscriptions"`
}

// PLSIPConfiguration is one NAT IP configuration of a private link service.
type PLSIPConfiguration struct {
	Name       string `json:"name"`
	ID         string `json:"id,omitempty"`
	Etag       string `json:"etag,omitempty"`
	Type       string `json:"type,omitempty"`
	Properties struct {
		ProvisioningState         string       `json:"provisioningState,omitempty"`
		PrivateIPAddress          string       `json:"privateIPAddress,omitempty"`
		PrivateIPAllocationMethod string       `json:"privateIPAllocationMethod,omitempty"`
		PrivateIPAddressVersion   string       `json:"privateIPAddressVersion,omitempty"`
		Subnet                    *SubResource `json:"subnet,omitempty"`
		Primary                   *bool        `json:"primary,omitempty"`
	} `json:"properties"`
}

// PLSProperties are a private link service's stored properties (its
// privateEndpointConnections are child records, rendered on GET).
type PLSProperties struct {
	ProvisioningState                    string               `json:"provisioningState,omitempty"`
	LoadBalancerFrontendIPConfigurations []SubResource        `json:"loadBalancerFrontendIpConfigurations"`
	IPConfigurations                     []PLSIPConfiguration `json:"ipConfigurations"`
	NetworkInterfaces                    []SubResource        `json:"networkInterfaces"`
	Visibility                           Subscriptions        `json:"visibility"`
	AutoApproval                         Subscriptions        `json:"autoApproval"`
	Fqdns                                []string             `json:"fqdns"`
	Alias                                string               `json:"alias"`
	EnableProxyProtocol                  bool                 `json:"enableProxyProtocol"`
}

// DecodePLS decodes a private link service record's properties.
func DecodePLS(rec *arm.Record) (*PLSProperties, error) {
	var p PLSProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode private link service %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

type plsInternal struct {
	NIC string `json:"nic"`
}

type plsInput struct {
	LoadBalancerFrontendIPConfigurations []SubResource        `json:"loadBalancerFrontendIpConfigurations"`
	IPConfigurations                     []PLSIPConfiguration `json:"ipConfigurations"`
	Visibility                           *Subscriptions       `json:"visibility"`
	AutoApproval                         *Subscriptions       `json:"autoApproval"`
	Fqdns                                []string             `json:"fqdns"`
	EnableProxyProtocol                  *bool                `json:"enableProxyProtocol"`
}

func putPLS(ctx context.Context, op *arm.PutOp) error {
	var in plsInput
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	t := op.Tx
	plsID := op.ID.String()
	location := arm.NormalizeLocation(op.Body.Location)
	old := &PLSProperties{}
	var internal plsInternal
	if op.Existing != nil {
		var err error
		if old, err = DecodePLS(op.Existing); err != nil {
			return err
		}
		if len(op.Existing.Internal) > 0 {
			if err := json.Unmarshal(op.Existing.Internal, &internal); err != nil {
				return fmt.Errorf("decode private link service state: %w", err)
			}
		}
	}
	out := PLSProperties{Fqdns: []string{}, Alias: old.Alias}
	if in.Fqdns != nil {
		out.Fqdns = in.Fqdns
	}
	if in.EnableProxyProtocol != nil {
		out.EnableProxyProtocol = *in.EnableProxyProtocol
	}

	// Load balancer frontends: Standard, internal, same region.
	if len(in.LoadBalancerFrontendIPConfigurations) == 0 {
		return arm.BadRequest("PrivateLinkServiceMustHaveLoadBalancerFrontendIpConfiguration",
			"Private link service %s must reference at least one load balancer frontend IP configuration.", plsID)
	}
	var lbVNet string
	lbs := map[string]bool{}
	for i, ref := range in.LoadBalancerFrontendIPConfigurations {
		if ref.ID == "" {
			return invalidPropertyID("", fmt.Sprintf("properties.loadBalancerFrontendIpConfigurations[%d].id", i))
		}
		lb, fe, err := frontendByID(ctx, t, ref.ID)
		if err != nil {
			return err
		}
		if fe == nil || !strings.EqualFold(arm.NormalizeLocation(lb.Rec.Resource.Location), location) {
			return invalidReference(ref.ID, plsID)
		}
		if !strings.EqualFold(lb.SKU, "Standard") {
			return arm.BadRequest("PrivateLinkServiceIsNotSupportedForBasicLoadBalancer",
				"Private link service is not supported for load balancer %s with %s sku. Use a Standard load balancer.", lb.Rec.Resource.ID, lb.SKU)
		}
		if fe.Properties.PublicIPAddress != nil && fe.Properties.PublicIPAddress.ID != "" || fe.Properties.Subnet == nil {
			return arm.BadRequest("PrivateLinkServiceIsNotSupportedForPublicFrontendIpConfiguration",
				"Private link service is not supported for load balancer frontend IP configuration %s with a public IP address. Only internal frontend IP configurations are supported.", fe.ID)
		}
		if lb.IPBE {
			return arm.BadRequest("PrivateLinkServiceIsNotSupportedForIPBasedLoadBalancer",
				"Private link service is not supported for load balancer %s with backend addresses set by (virtualNetwork, ipAddress) or (subnet, ipAddress).", lb.Rec.Resource.ID)
		}
		if sid, err := arm.ParseID(fe.Properties.Subnet.ID); err == nil && lbVNet == "" {
			if v, ok := sid.Parent(); ok {
				lbVNet = v.String()
			}
		}
		out.LoadBalancerFrontendIPConfigurations = append(out.LoadBalancerFrontendIPConfigurations, SubResource{ID: fe.ID})
		lbID := lb.Rec.Resource.ID
		if lbs[strings.ToLower(lbID)] {
			continue
		}
		lbs[strings.ToLower(lbID)] = true
		refs, err := t.RefsTo(ctx, lbID)
		if err != nil {
			return err
		}
		others := map[string]bool{}
		for _, r := range refs {
			if r.Kind == kindLBPrivateLinkSvc && !arm.SameID(r.Source, plsID) {
				others[strings.ToLower(r.Source)] = true
			}
		}
		if len(others) >= maxPLSPerLB {
			return arm.BadRequest("LoadBalancerCannotBeReferencedByMoreThanMaxPrivateLinkServices",
				"Load balancer %s cannot be referenced by more than %d private link services.", lbID, maxPLSPerLB)
		}
		op.AddRef(lbID, kindLBPrivateLinkSvc, plsID, true)
	}

	// NAT IP configurations.
	n := len(in.IPConfigurations)
	if n == 0 || n > maxNATIPs {
		return arm.BadRequest("PrivateLinkServiceIpConfigurationCountInvalid",
			"Private link service %s has %d IP configurations. A private link service must have between 1 and %d IP configurations.", plsID, n, maxNATIPs)
	}
	seen := map[string]bool{}
	primaries := 0
	for _, c := range in.IPConfigurations {
		if c.Name == "" {
			return arm.BadRequest("InvalidRequestFormat", "Cannot parse the request. Property 'name' of ipConfigurations is required.")
		}
		if seen[strings.ToLower(c.Name)] {
			return arm.BadRequest("InvalidRequestFormat",
				"Cannot parse the request. Resource %s has two child resources with the same name (%s).", plsID, c.Name)
		}
		seen[strings.ToLower(c.Name)] = true
		if c.Properties.Primary != nil && *c.Properties.Primary {
			primaries++
		}
	}
	if primaries > 1 || (primaries == 0 && n > 1) {
		return arm.BadRequest("PrivateLinkServiceMustHaveExactlyOnePrimaryIpConfiguration",
			"Private link service %s has %d primary IP configurations. Exactly one IP configuration must be primary.", plsID, primaries)
	}
	for _, oc := range old.IPConfigurations {
		if !seen[strings.ToLower(oc.Name)] {
			return arm.BadRequest("PrivateLinkServiceIpConfigurationCannotBeDeleted",
				"IP configuration %s of private link service %s cannot be deleted. NAT IP configurations of a private link service cannot be removed once added.", oc.Name, plsID)
		}
	}
	if internal.NIC == "" {
		internal.NIC = op.ID.ResourceGroupID() + "/providers/Microsoft.Network/networkInterfaces/" + nicName(op.ID.Name())
	}
	oldByName := map[string]PLSIPConfiguration{}
	for _, oc := range old.IPConfigurations {
		oldByName[strings.ToLower(oc.Name)] = oc
	}
	cfgs := make([]nicConfig, 0, n)
	for i, c := range in.IPConfigurations {
		path := fmt.Sprintf("properties.ipConfigurations[%d].properties.", i)
		method, ok := enumOf(c.Properties.PrivateIPAllocationMethod, "Static", "Dynamic")
		if c.Properties.PrivateIPAllocationMethod != "" && !ok {
			return arm.InvalidParameter("The value '%s' of property '%sprivateIPAllocationMethod' is not valid. Allowed values are Static, Dynamic.", c.Properties.PrivateIPAllocationMethod, path)
		}
		requested := strings.TrimSpace(c.Properties.PrivateIPAddress)
		if method == "" {
			method = "Dynamic"
			if requested != "" {
				method = "Static"
			}
		}
		if method == "Dynamic" {
			requested = ""
		}
		version := "IPv4"
		if c.Properties.PrivateIPAddressVersion != "" && !strings.EqualFold(c.Properties.PrivateIPAddressVersion, "IPv4") {
			return arm.BadRequest("PrivateLinkServiceIpConfigurationOnlySupportsIPv4",
				"IP configuration %s of private link service %s has privateIPAddressVersion %s. Private link service IP configurations only support IPv4.", c.Name, plsID, c.Properties.PrivateIPAddressVersion)
		}
		if c.Properties.Subnet == nil || c.Properties.Subnet.ID == "" {
			return arm.BadRequest("PrivateLinkServiceIpConfigurationMustReferenceSubnet",
				"IP configuration %s of private link service %s must reference a subnet.", c.Name, plsID)
		}
		if _, err := parseTyped(c.Properties.Subnet.ID, subnetType, path+"subnet.id"); err != nil {
			return err
		}
		srec, sp, err := network.LoadSubnet(ctx, t, c.Properties.Subnet.ID)
		if err != nil {
			return err
		}
		if srec == nil {
			return invalidReference(c.Properties.Subnet.ID, plsID)
		}
		sid, _ := arm.ParseID(srec.Resource.ID)
		vnet, _ := sid.Parent()
		if lbVNet != "" && !arm.SameID(vnet.String(), lbVNet) {
			return arm.BadRequest("PrivateLinkServiceIpConfigurationSubnetNotInLoadBalancerVnet",
				"Subnet %s of IP configuration %s of private link service %s must be in the virtual network %s of the load balancer frontend IP configurations.", srec.Resource.ID, c.Name, plsID, lbVNet)
		}
		if !strings.EqualFold(sp.PrivateLinkServiceNetworkPolicies, "Disabled") {
			return arm.BadRequest("PrivateLinkServiceNetworkPoliciesCannotBeEnabledOnPrivateLinkServiceSubnet",
				"Private link service network policies cannot be enabled on private link service subnet %s.", srec.Resource.ID)
		}
		primary := n == 1 || (c.Properties.Primary != nil && *c.Properties.Primary)
		if oc, ok := oldByName[strings.ToLower(c.Name)]; ok && oc.Properties.Subnet != nil &&
			(!arm.SameID(oc.Properties.Subnet.ID, srec.Resource.ID) || (requested != "" && requested != oc.Properties.PrivateIPAddress)) {
			if err := network.ReleaseIP(ctx, t, oc.Properties.Subnet.ID, oc.Properties.PrivateIPAddress, nicIPConfigID(internal.NIC, oc.Name)); err != nil {
				return err
			}
		}
		cfgs = append(cfgs, nicConfig{Name: c.Name, SubnetID: srec.Resource.ID, Requested: requested, Primary: primary})
		var pc PLSIPConfiguration
		pc.Name, pc.ID, pc.Type = c.Name, plsID+"/ipConfigurations/"+c.Name, PLSIPConfType
		pc.Properties.PrivateIPAllocationMethod, pc.Properties.PrivateIPAddressVersion = method, version
		pc.Properties.Subnet = &SubResource{ID: srec.Resource.ID}
		pc.Properties.Primary = &primary
		out.IPConfigurations = append(out.IPConfigurations, pc)
	}
	if err := allocateNIC(ctx, t, internal.NIC, cfgs); err != nil {
		return err
	}
	for i := range cfgs {
		out.IPConfigurations[i].Properties.PrivateIPAddress = cfgs[i].IP
	}
	if err := writeNIC(ctx, t, internal.NIC, location, "privateLinkService", plsID, cfgs); err != nil {
		return err
	}
	out.NetworkInterfaces = []SubResource{{ID: internal.NIC}}

	// Visibility and auto-approval.
	out.Visibility.Subscriptions, out.AutoApproval.Subscriptions = []string{}, []string{}
	if in.Visibility != nil && in.Visibility.Subscriptions != nil {
		out.Visibility.Subscriptions = in.Visibility.Subscriptions
	}
	if in.AutoApproval != nil && in.AutoApproval.Subscriptions != nil {
		out.AutoApproval.Subscriptions = in.AutoApproval.Subscriptions
	}
	for _, s := range []struct {
		name string
		list []string
	}{{"visibility", out.Visibility.Subscriptions}, {"autoApproval", out.AutoApproval.Subscriptions}} {
		if len(s.list) > maxSubscriptions {
			return arm.BadRequest("PrivateLinkServiceSubscriptionsLimitExceeded",
				"Private link service %s has %d subscriptions in %s. The maximum is %d.", plsID, len(s.list), s.name, maxSubscriptions)
		}
	}
	if !containsFold(out.Visibility.Subscriptions, "*") {
		for _, s := range out.AutoApproval.Subscriptions {
			if !containsFold(out.Visibility.Subscriptions, strings.TrimSpace(s)) {
				return arm.BadRequest("PrivateLinkServiceAutoApprovalSubscriptionNotInVisibility",
					"Subscription %s in the auto-approval list of private link service %s is not in its visibility list. Auto-approval subscriptions must be a subset of the visibility subscriptions.", s, plsID)
			}
		}
	}

	// Alias, fixed at creation.
	if out.Alias == "" {
		out.Alias = op.ID.Name() + "." + newGUID() + "." + location + aliasSuffix
		t.Raw().Put(aliasKeys+strings.ToLower(out.Alias), []byte(plsID))
	}
	b, err := json.Marshal(internal)
	if err != nil {
		return fmt.Errorf("encode private link service state: %w", err)
	}
	op.Internal = b
	return op.Body.SetProperties(out)
}

func deletePLS(ctx context.Context, op *arm.DeleteOp) error {
	conns, err := op.Tx.Children(ctx, op.ID, "privateEndpointConnections")
	if err != nil {
		return err
	}
	if len(conns) > 0 {
		names := make([]string, len(conns))
		for i, c := range conns {
			names[i] = c.Resource.ID
		}
		return arm.BadRequest("CannotDeletePrivateLinkServiceWithPrivateEndpointConnections",
			"Private link service %s cannot be deleted because it has private endpoint connections: %s. Remove the private endpoint connections first.",
			op.ID.String(), strings.Join(names, ", "))
	}
	p, err := DecodePLS(op.Record)
	if err != nil {
		return err
	}
	if p.Alias != "" {
		op.Tx.Raw().Delete(aliasKeys + strings.ToLower(p.Alias))
	}
	var internal plsInternal
	if len(op.Record.Internal) > 0 {
		if err := json.Unmarshal(op.Record.Internal, &internal); err != nil {
			return fmt.Errorf("decode private link service state: %w", err)
		}
	}
	return deleteNIC(ctx, op.Tx, internal.NIC)
}

// renderPLS gives the NAT IP configurations the service's etag and state.
func renderPLS(ctx context.Context, op *arm.RenderOp) error {
	m := op.Resource.PropertiesMap()
	state, _ := m["provisioningState"].(string)
	cfgs, _ := m["ipConfigurations"].([]any)
	for _, c := range cfgs {
		if cm, ok := c.(map[string]any); ok {
			cm["etag"] = op.Resource.Etag
			if pm, ok := cm["properties"].(map[string]any); ok && state != "" {
				pm["provisioningState"] = state
			}
		}
	}
	op.Resource.SetPropertiesMap(m)
	return nil
}

// lookupAlias returns the ID of the private link service with alias ("" if none).
func lookupAlias(ctx context.Context, t *arm.Txn, alias string) (string, error) {
	kv, ok, err := t.Raw().Get(ctx, aliasKeys+strings.ToLower(strings.TrimSpace(alias)))
	if err != nil || !ok {
		return "", err
	}
	return string(kv.Value), nil
}

// isAlias reports whether s looks like a private link service alias.
func isAlias(s string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSpace(s)), aliasSuffix) && !strings.HasPrefix(s, "/")
}

// visibleTo reports whether subscription sub may see the private link
// service (its own subscription, "*" or listed in visibility).
func visibleTo(plsID string, p *PLSProperties, sub string) bool {
	id, _ := arm.ParseID(plsID)
	return sameSub(id.Subscription, sub) || containsFold(p.Visibility.Subscriptions, "*") || containsFold(p.Visibility.Subscriptions, sub)
}
