package bastion

import (
	"context"
	"strconv"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/network"
)

// AzureBastionSubnet rules (Azure's "Working with NSG access and Azure
// Bastion"): a route table cannot be attached, and an NSG must allow the
// flows Bastion needs. Azure checks them when the subnet is written with
// an NSG or a route table (create or update, standalone or inline in its
// virtual network) and when a bastion host is created in it.

// requiredFlow is one flow an NSG on AzureBastionSubnet must allow.
type requiredFlow struct {
	dir      string // Inbound or Outbound
	protocol string // Tcp (Bastion's flows are all TCP)
	// src, dst are service tags: the bastion subnet's side is
	// VirtualNetwork (its addresses are in the tag).
	src, dst string
	port     int
	what     string
}

// requiredFlows are the flows of Azure's required rules.
var requiredFlows = []requiredFlow{
	{"Inbound", "Tcp", "Internet", "VirtualNetwork", 443, "ingress traffic from the public internet (HTTPS 443)"},
	{"Inbound", "Tcp", "GatewayManager", "VirtualNetwork", 443, "ingress traffic from Azure Bastion control plane (GatewayManager, 443)"},
	{"Inbound", "Tcp", "AzureLoadBalancer", "VirtualNetwork", 443, "ingress traffic from Azure Load Balancer health probes (443)"},
	{"Inbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 8080, "ingress traffic from Azure Bastion data plane (8080)"},
	{"Inbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 5701, "ingress traffic from Azure Bastion data plane (5701)"},
	{"Outbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 22, "egress traffic to target VMs (SSH 22)"},
	{"Outbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 3389, "egress traffic to target VMs (RDP 3389)"},
	{"Outbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 8080, "egress traffic to Azure Bastion data plane (8080)"},
	{"Outbound", "Tcp", "VirtualNetwork", "VirtualNetwork", 5701, "egress traffic to Azure Bastion data plane (5701)"},
	{"Outbound", "Tcp", "VirtualNetwork", "AzureCloud", 443, "egress traffic to other public endpoints in Azure (AzureCloud, 443)"},
	{"Outbound", "Tcp", "VirtualNetwork", "Internet", 80, "egress traffic to the internet for session and certificate validation (80)"},
}

// publicTags are service tags whose addresses are public, so that a rule
// naming Internet covers them.
var publicTags = map[string]bool{"internet": true, "gatewaymanager": true, "azurecloud": true}

// guardBastionSubnet extends the subnet type: an AzureBastionSubnet
// refuses a route table and an NSG without the rules Bastion needs.
func guardBastionSubnet(spec *arm.TypeSpec) {
	put := spec.Put
	spec.Put = func(ctx context.Context, op *arm.PutOp) error {
		if err := put(ctx, op); err != nil {
			return err
		}
		if !strings.EqualFold(op.ID.Name(), SubnetName) {
			return nil
		}
		var p network.SubnetProperties
		if err := op.Body.DecodeProperties(&p); err != nil {
			return err
		}
		return checkPolicies(ctx, op.Tx, op.ID.Name(), &p)
	}
}

// checkSubnetPolicies checks a stored AzureBastionSubnet.
func checkSubnetPolicies(ctx context.Context, t *arm.Txn, srec *arm.Record, p *network.SubnetProperties) error {
	return checkPolicies(ctx, t, srec.Resource.Name, p)
}

func checkPolicies(ctx context.Context, t *arm.Txn, subnetName string, p *network.SubnetProperties) error {
	if p.RouteTable != nil && p.RouteTable.ID != "" {
		rid, _ := arm.ParseID(p.RouteTable.ID)
		return arm.BadRequest("RouteTableCannotBeAttachedForAzureBastionSubnet",
			"Route Table %s cannot be attached to Azure Bastion Subnet %s.", rid.Name(), subnetName)
	}
	if p.NetworkSecurityGroup == nil || p.NetworkSecurityGroup.ID == "" {
		return nil
	}
	nrec, err := t.Get(ctx, p.NetworkSecurityGroup.ID)
	if err != nil || nrec == nil {
		return err // a missing NSG is the network provider's error
	}
	nid, err := arm.ParseID(nrec.Resource.ID)
	if err != nil {
		return err
	}
	recs, err := t.Children(ctx, nid, "securityRules")
	if err != nil {
		return err
	}
	rules := make([]network.SecurityRuleProperties, 0, len(recs)+6)
	for _, r := range recs {
		rp, err := network.DecodeSecurityRule(r)
		if err != nil {
			return err
		}
		rules = append(rules, *rp)
	}
	if missing := MissingFlows(rules); len(missing) > 0 {
		return arm.BadRequest("NetworkSecurityGroupNotCompliantForAzureBastionSubnet",
			"Network security group %s does not have necessary rules for Azure Bastion Subnet %s.", nid.Name(), subnetName)
	}
	return nil
}

// MissingFlows returns the descriptions of the required AzureBastionSubnet
// flows the rules (user rules; Azure's default rules are added) do not
// allow. Each flow is decided by the first matching rule of its
// direction in priority order, as Azure evaluates an NSG; address
// prefixes match symbolically: "*" and "Any" match every tag, a tag
// matches itself, and Internet also matches the public tags
// GatewayManager and AzureCloud (their addresses are public). Rules
// written with CIDRs or application security groups match no tag.
func MissingFlows(user []network.SecurityRuleProperties) []string {
	all := append(append([]network.SecurityRuleProperties(nil), user...), network.DefaultSecurityRules()...)
	var out []string
	for _, f := range requiredFlows {
		var best *network.SecurityRuleProperties
		for i := range all {
			r := &all[i]
			if !strings.EqualFold(r.Direction, f.dir) || !ruleMatches(r, f) {
				continue
			}
			if best == nil || r.Priority < best.Priority {
				best = r
			}
		}
		if best == nil || !strings.EqualFold(best.Access, "Allow") {
			out = append(out, f.dir+" "+f.what)
		}
	}
	return out
}

func ruleMatches(r *network.SecurityRuleProperties, f requiredFlow) bool {
	if r.Protocol != "*" && !strings.EqualFold(r.Protocol, f.protocol) {
		return false
	}
	return prefixesMatch(merge(r.SourceAddressPrefix, r.SourceAddressPrefixes), f.src) &&
		prefixesMatch(merge(r.DestinationAddressPrefix, r.DestinationAddressPrefixes), f.dst) &&
		portsMatch(merge(r.DestinationPortRange, r.DestinationPortRanges), f.port)
}

func merge(one string, many []string) []string {
	if one != "" {
		return append([]string{one}, many...)
	}
	return many
}

func prefixesMatch(ps []string, tag string) bool {
	for _, p := range ps {
		p = strings.TrimSpace(p)
		switch {
		case p == "*", strings.EqualFold(p, "Any"), strings.EqualFold(p, "0.0.0.0/0"):
			return true
		case strings.EqualFold(p, tag):
			return true
		case strings.EqualFold(p, "Internet") && publicTags[strings.ToLower(tag)]:
			return true
		}
	}
	return false
}

func portsMatch(ranges []string, port int) bool {
	for _, r := range ranges {
		r = strings.TrimSpace(r)
		if r == "*" {
			return true
		}
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 == nil && err2 == nil && a <= port && port <= b {
			return true
		}
	}
	return false
}
