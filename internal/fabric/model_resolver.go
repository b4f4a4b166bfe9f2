package fabric

// DNS Private Resolver (Microsoft.Network/dnsResolvers) and DNS
// forwarding rulesets.

// DNSResolver is a DNS private resolver in a VNet.
type DNSResolver struct {
	ID, Name string
	VNet     *VNet
}

// ForwardingRuleset is a DNS forwarding ruleset.
type ForwardingRuleset struct {
	ID, Name string
}
