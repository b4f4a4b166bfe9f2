package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/msi/armmsi"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/privatedns/armprivatedns"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armfeatures"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"github.com/google/uuid"
)

const (
	location   = "westeurope"
	rgHub      = "rg-hub"
	rgSpoke    = "rg-spoke"
	rgDoomed   = "rg-doomed"
	zoneName   = "privatelink.westeurope.azmk8s.io"
	netContrib = "4d97b98b-1d4f-4787-a291-c67834d212e7" // Network Contributor
	roleAssign = "9a3c2d1e-0f4b-4a6c-8d7e-1b2c3d4e5f60"
)

// sdk holds the Azure SDK for Go clients of one daemon.
type sdk struct {
	c *client

	groups     *armresources.ResourceGroupsClient
	providers  *armresources.ProvidersClient
	resources  *armresources.Client
	features   *armfeatures.Client
	identities *armmsi.UserAssignedIdentitiesClient
	roleDefs   *armauthorization.RoleDefinitionsClient
	roleAsgs   *armauthorization.RoleAssignmentsClient
	vnets      *armnetwork.VirtualNetworksClient
	subnets    *armnetwork.SubnetsClient
	peerings   *armnetwork.VirtualNetworkPeeringsClient
	nsgs       *armnetwork.SecurityGroupsClient
	rules      *armnetwork.SecurityRulesClient
	routeTabs  *armnetwork.RouteTablesClient
	routes     *armnetwork.RoutesClient
	pips       *armnetwork.PublicIPAddressesClient
	nics       *armnetwork.InterfacesClient
	zones      *armprivatedns.PrivateZonesClient
	links      *armprivatedns.VirtualNetworkLinksClient
	records    *armprivatedns.RecordSetsClient
}

func newSDK(t *testing.T, c *client) *sdk {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := armresources.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	feat, err := armfeatures.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	msi, err := armmsi.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	authz, err := armauthorization.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	net, err := armnetwork.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	dns, err := armprivatedns.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	return &sdk{
		c:          c,
		groups:     res.NewResourceGroupsClient(),
		providers:  res.NewProvidersClient(),
		resources:  res.NewClient(),
		features:   feat.NewClient(),
		identities: msi.NewUserAssignedIdentitiesClient(),
		roleDefs:   authz.NewRoleDefinitionsClient(),
		roleAsgs:   authz.NewRoleAssignmentsClient(),
		vnets:      net.NewVirtualNetworksClient(),
		subnets:    net.NewSubnetsClient(),
		peerings:   net.NewVirtualNetworkPeeringsClient(),
		nsgs:       net.NewSecurityGroupsClient(),
		rules:      net.NewSecurityRulesClient(),
		routeTabs:  net.NewRouteTablesClient(),
		routes:     net.NewRoutesClient(),
		pips:       net.NewPublicIPAddressesClient(),
		nics:       net.NewInterfacesClient(),
		zones:      dns.NewPrivateZonesClient(),
		links:      dns.NewVirtualNetworkLinksClient(),
		records:    dns.NewRecordSetsClient(),
	}
}

func (s *sdk) rgID(rg string) string {
	return "/subscriptions/" + s.c.Subscription + "/resourceGroups/" + rg
}

func (s *sdk) netID(rg, typ, name string) string {
	return s.rgID(rg) + "/providers/Microsoft.Network/" + typ + "/" + name
}

// persisted lists the resources the scenario leaves behind, with the
// api-version to read each one: their rendering must survive a restart
// byte for byte.
type persisted struct {
	ID         string
	APIVersion string
}

func (s *sdk) persistedResources() []persisted {
	net, dns := "2025-05-01", "2024-06-01"
	hub := s.netID(rgHub, "virtualNetworks", "vnet-hub")
	spoke := s.rgID(rgSpoke) + "/providers/Microsoft.Network/virtualNetworks/vnet-spoke"
	zone := s.rgID(rgHub) + "/providers/Microsoft.Network/privateDnsZones/" + zoneName
	return []persisted{
		{s.rgID(rgHub), "2025-04-01"},
		{s.rgID(rgSpoke), "2025-04-01"},
		{hub, net},
		{hub + "/subnets/snet-nodes", net},
		{hub + "/virtualNetworkPeerings/hub-to-spoke", net},
		{spoke, net},
		{spoke + "/virtualNetworkPeerings/spoke-to-hub", net},
		{s.netID(rgHub, "networkSecurityGroups", "nsg-nodes"), net},
		{s.netID(rgHub, "networkSecurityGroups", "nsg-nodes") + "/securityRules/allow-dns", net},
		{s.netID(rgHub, "routeTables", "rt-nodes"), net},
		{s.netID(rgHub, "routeTables", "rt-nodes") + "/routes/default-via-firewall", net},
		{s.netID(rgHub, "publicIPAddresses", "pip-egress"), net},
		{s.netID(rgHub, "networkInterfaces", "nic-jumpbox"), net},
		{s.rgID(rgHub) + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-cluster", "2024-11-30"},
		{s.rgID(rgHub) + "/providers/Microsoft.Authorization/roleAssignments/" + roleAssign, "2022-04-01"},
		{zone, dns},
		{zone + "/virtualNetworkLinks/link-hub", dns},
		{zone + "/A/apiserver", dns},
	}
}

// snapshot reads every persisted resource through raw authenticated GETs.
func (s *sdk) snapshot(t *testing.T) map[string]string {
	t.Helper()
	auth := "Bearer " + s.c.token(t)
	out := map[string]string{}
	for _, p := range s.persistedResources() {
		r := s.c.do(t, http.MethodGet, s.c.Endpoint+p.ID+"?api-version="+p.APIVersion, auth, "")
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p.ID, r.Status, r.Body)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, r.Body, "", "  "); err != nil {
			t.Fatalf("GET %s: %v", p.ID, err)
		}
		out[p.ID] = buf.String()
	}
	return out
}

// TestSDKScenarioAndRestart drives every resource type privlink serves
// through the Azure SDK for Go, authenticated by a client secret
// credential against the daemon's own token endpoint, then restarts the
// daemon on the same data directory and checks that the certificates,
// the account and every resource survived.
func TestSDKScenarioAndRestart(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	c := daemonClient(t, d)
	s := newSDK(t, c)

	s.resourceGroups(t)
	s.registrations(t)
	principal := s.identityAndRole(t)
	s.network(t)
	s.privateDNS(t)
	s.deleteGroup(t)

	before := s.snapshot(t)
	caBefore := caFingerprint(t, d.CAFile())
	servedBefore := c.servedCertificate(t)
	identity := d.Identity
	oldToken := c.token(t)

	stopDaemon(t, d)
	d2 := startDaemon(t, dir)
	c2 := daemonClient(t, d2)
	s2 := newSDK(t, c2)

	if got := caFingerprint(t, d2.CAFile()); got != caBefore {
		t.Errorf("CA changed across restart: %s -> %s", caBefore, got)
	}
	if got := c2.servedCertificate(t); got != servedBefore {
		t.Errorf("serving certificate changed across restart: %s -> %s", servedBefore, got)
	}
	if d2.Identity != identity {
		t.Errorf("identity changed across restart: %+v -> %+v", identity, d2.Identity)
	}
	// A token issued before the restart is still accepted (the signing
	// key persists): clients keep their cached tokens.
	if r := c2.do(t, http.MethodGet, c2.Endpoint+"/subscriptions?api-version=2022-12-01", "Bearer "+oldToken, ""); r.Status != http.StatusOK {
		t.Errorf("token from before the restart: %d %s", r.Status, r.Body)
	}

	after := s2.snapshot(t)
	for _, p := range s.persistedResources() {
		if before[p.ID] != after[p.ID] {
			t.Errorf("%s changed across restart:\nbefore: %s\nafter:  %s", p.ID, before[p.ID], after[p.ID])
		}
	}
	s2.verifyAfterRestart(t, principal)
}

// resourceGroups: create, get, update, check existence, list, not found.
func (s *sdk) resourceGroups(t *testing.T) {
	ctx := context.Background()
	for _, rg := range []string{rgHub, rgSpoke, rgDoomed} {
		g, err := s.groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{
			Location: to(location),
			Tags:     map[string]*string{"env": to("integration")},
		}, nil)
		if err != nil {
			t.Fatalf("create %s: %v", rg, err)
		}
		if deref(g.ID) != s.rgID(rg) || deref(g.Name) != rg || deref(g.Location) != location ||
			deref(g.Properties.ProvisioningState) != "Succeeded" || deref(g.Tags["env"]) != "integration" {
			t.Fatalf("created %s: %+v", rg, g.ResourceGroup)
		}
	}
	upd, err := s.groups.Update(ctx, rgSpoke, armresources.ResourceGroupPatchable{
		Tags: map[string]*string{"env": to("integration"), "tier": to("spoke")},
	}, nil)
	if err != nil || deref(upd.Tags["tier"]) != "spoke" {
		t.Fatalf("update tags: %v %+v", err, upd.Tags)
	}
	got, err := s.groups.Get(ctx, rgSpoke, nil)
	if err != nil || len(got.Tags) != 2 {
		t.Fatalf("get %s: %v %+v", rgSpoke, err, got.Tags)
	}
	ex, err := s.groups.CheckExistence(ctx, rgHub, nil)
	if err != nil || !ex.Success {
		t.Fatalf("check existence %s: %v %v", rgHub, ex.Success, err)
	}
	ex, err = s.groups.CheckExistence(ctx, "rg-nowhere", nil)
	if err != nil || ex.Success {
		t.Fatalf("check existence rg-nowhere: %v %v", ex.Success, err)
	}
	_, err = s.groups.Get(ctx, "rg-nowhere", nil)
	re := wantCode(t, err, http.StatusNotFound, "ResourceGroupNotFound")
	if !strings.Contains(re.Error(), "Resource group 'rg-nowhere' could not be found.") {
		t.Errorf("message: %v", re)
	}
	names := collect(t, s.groups.NewListPager(nil), func(p armresources.ResourceGroupsClientListResponse) []string {
		var n []string
		for _, g := range p.Value {
			n = append(n, deref(g.Name))
		}
		return n
	})
	sort.Strings(names)
	if !slices.Equal(names, []string{rgDoomed, rgHub, rgSpoke}) {
		t.Fatalf("list groups: %v", names)
	}
}

// registrations: a preview feature and resource providers go
// Registering -> Registered after the configured delay.
func (s *sdk) registrations(t *testing.T) {
	ctx := context.Background()
	const ns, feature = "Microsoft.ContainerService", "AKSPrivateLinkPreview"
	reg, err := s.features.Register(ctx, ns, feature, nil)
	if err != nil {
		t.Fatalf("register feature: %v", err)
	}
	if deref(reg.Properties.State) != "Registering" || deref(reg.Name) != ns+"/"+feature ||
		deref(reg.ID) != "/subscriptions/"+s.c.Subscription+"/providers/Microsoft.Features/providers/"+ns+"/features/"+feature ||
		deref(reg.Type) != "Microsoft.Features/providers/features" {
		t.Fatalf("register feature: %+v", reg.FeatureResult)
	}
	waitState(t, "feature "+feature, []string{"Registering"}, "Registered", func() (string, error) {
		g, err := s.features.Get(ctx, ns, feature, nil)
		if err != nil {
			return "", err
		}
		return deref(g.Properties.State), nil
	})
	listed := collect(t, s.features.NewListPager(ns, nil), func(p armfeatures.ClientListResponse) []string {
		var out []string
		for _, f := range p.Value {
			if deref(f.Properties.State) == "Registered" {
				out = append(out, deref(f.Name))
			}
		}
		return out
	})
	if !slices.Equal(listed, []string{ns + "/" + feature}) {
		t.Fatalf("registered features of %s: %v", ns, listed)
	}
	_, err = s.features.Register(ctx, ns, "NoSuchPreview", nil)
	wantCode(t, err, http.StatusNotFound, "FeatureNotFound")

	for _, p := range []string{"Microsoft.ContainerService", "Microsoft.Network"} {
		r, err := s.providers.Register(ctx, p, nil)
		if err != nil {
			t.Fatalf("register provider %s: %v", p, err)
		}
		if st := deref(r.RegistrationState); st != "Registering" && st != "Registered" {
			t.Fatalf("register provider %s: state %s", p, st)
		}
		waitState(t, "provider "+p, []string{"Registering"}, "Registered", func() (string, error) {
			g, err := s.providers.Get(ctx, p, nil)
			if err != nil {
				return "", err
			}
			if !strings.EqualFold(deref(g.Namespace), p) {
				return "", fmt.Errorf("namespace %q", deref(g.Namespace))
			}
			return deref(g.RegistrationState), nil
		})
	}
}

// waitState polls get until it returns final, failing on any state that
// is neither final nor in transient.
func waitState(t *testing.T, what string, transient []string, final string, get func() (string, error)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if st == final {
			return
		}
		if !slices.Contains(transient, st) {
			t.Fatalf("%s: unexpected state %q", what, st)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s", what, st)
		}
		time.Sleep(registrationDelay / 3)
	}
}

// identityAndRole: a user-assigned identity, and a Network Contributor
// assignment for it on the hub resource group. It returns the identity's
// principal ID.
func (s *sdk) identityAndRole(t *testing.T) string {
	ctx := context.Background()
	id, err := s.identities.CreateOrUpdate(ctx, rgHub, "id-cluster", armmsi.Identity{Location: to(location)}, nil)
	if err != nil {
		t.Fatalf("create identity: %v", err)
	}
	p := id.Properties
	if p == nil || uuid.Validate(deref(p.PrincipalID)) != nil || uuid.Validate(deref(p.ClientID)) != nil || deref(p.TenantID) != s.c.Tenant {
		t.Fatalf("identity properties: %+v", p)
	}
	principal := deref(p.PrincipalID)
	if _, err := s.identities.CreateOrUpdate(ctx, rgDoomed, "id-doomed", armmsi.Identity{Location: to(location)}, nil); err != nil {
		t.Fatalf("create identity in %s: %v", rgDoomed, err)
	}
	ids := collect(t, s.identities.NewListByResourceGroupPager(rgHub, nil), func(p armmsi.UserAssignedIdentitiesClientListByResourceGroupResponse) []string {
		var out []string
		for _, i := range p.Value {
			out = append(out, deref(i.Name))
		}
		return out
	})
	if !slices.Equal(ids, []string{"id-cluster"}) {
		t.Fatalf("identities in %s: %v", rgHub, ids)
	}

	subScope := "/subscriptions/" + s.c.Subscription
	def, err := s.roleDefs.Get(ctx, subScope, netContrib, nil)
	if err != nil || deref(def.Properties.RoleName) != "Network Contributor" || deref(def.Properties.RoleType) != "BuiltInRole" {
		t.Fatalf("role definition: %v %+v", err, def.RoleDefinition)
	}
	roleDefID := subScope + "/providers/Microsoft.Authorization/roleDefinitions/" + netContrib
	ra, err := s.roleAsgs.Create(ctx, s.rgID(rgHub), roleAssign, armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to(roleDefID),
			PrincipalID:      to(principal),
			PrincipalType:    to(armauthorization.PrincipalTypeServicePrincipal),
		},
	}, nil)
	if err != nil {
		t.Fatalf("create role assignment: %v", err)
	}
	if deref(ra.ID) != s.rgID(rgHub)+"/providers/Microsoft.Authorization/roleAssignments/"+roleAssign ||
		!strings.EqualFold(deref(ra.Properties.Scope), s.rgID(rgHub)) || !strings.EqualFold(deref(ra.Properties.RoleDefinitionID), roleDefID) ||
		deref(ra.Properties.PrincipalID) != principal {
		t.Fatalf("role assignment: %+v %+v", ra.RoleAssignment, ra.Properties)
	}
	// The same role for the same principal at the same scope again.
	_, err = s.roleAsgs.Create(ctx, s.rgID(rgHub), uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{RoleDefinitionID: to(roleDefID), PrincipalID: to(principal)},
	}, nil)
	wantCode(t, err, http.StatusConflict, "RoleAssignmentExists")
	listed := collect(t, s.roleAsgs.NewListForResourceGroupPager(rgHub, nil), func(p armauthorization.RoleAssignmentsClientListForResourceGroupResponse) []string {
		var out []string
		for _, a := range p.Value {
			out = append(out, deref(a.Name))
		}
		return out
	})
	if !slices.Contains(listed, roleAssign) {
		t.Fatalf("role assignments of %s: %v", rgHub, listed)
	}
	return principal
}

func subnet(name, prefix string) *armnetwork.Subnet {
	return &armnetwork.Subnet{Name: to(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to(prefix)}}
}

func (s *sdk) putVNet(t *testing.T, rg, name, prefix string, subnets ...*armnetwork.Subnet) armnetwork.VirtualNetwork {
	t.Helper()
	ctx := context.Background()
	p, err := s.vnets.BeginCreateOrUpdate(ctx, rg, name, armnetwork.VirtualNetwork{
		Location: to(location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to(prefix)}},
			Subnets:      subnets,
		},
	}, nil)
	if err != nil {
		t.Fatalf("create vnet %s: %v", name, err)
	}
	res, err := p.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("create vnet %s: %v", name, err)
	}
	if deref(res.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded || len(res.Properties.Subnets) != len(subnets) {
		t.Fatalf("vnet %s: %+v", name, res.Properties)
	}
	return res.VirtualNetwork
}

func (s *sdk) putPeering(t *testing.T, rg, vnet, name, remote string) armnetwork.VirtualNetworkPeering {
	t.Helper()
	ctx := context.Background()
	p, err := s.peerings.BeginCreateOrUpdate(ctx, rg, vnet, name, armnetwork.VirtualNetworkPeering{
		Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
			RemoteVirtualNetwork:      &armnetwork.SubResource{ID: to(remote)},
			AllowVirtualNetworkAccess: to(true),
			AllowForwardedTraffic:     to(true),
		},
	}, nil)
	if err != nil {
		t.Fatalf("peering %s: %v", name, err)
	}
	res, err := p.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("peering %s: %v", name, err)
	}
	return res.VirtualNetworkPeering
}

// network: hub and spoke virtual networks peered both ways, an NSG and a
// route table on the node subnet, a public IP and a NIC using both.
func (s *sdk) network(t *testing.T) {
	ctx := context.Background()
	hub := s.putVNet(t, rgHub, "vnet-hub", "10.10.0.0/16", subnet("snet-nodes", "10.10.1.0/24"), subnet("snet-spare", "10.10.2.0/24"))
	spoke := s.putVNet(t, rgSpoke, "vnet-spoke", "10.20.0.0/16", subnet("snet-workload", "10.20.1.0/24"))
	s.putVNet(t, rgDoomed, "vnet-doomed", "10.30.0.0/16", subnet("default", "10.30.0.0/24"))

	// A subnet of a virtual network that does not exist.
	_, err := s.subnets.BeginCreateOrUpdate(ctx, rgHub, "vnet-nowhere", "snet", armnetwork.Subnet{
		Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.99.0.0/24")},
	}, nil)
	wantCode(t, err, http.StatusNotFound, "ParentResourceNotFound")
	// A resource in a resource group that does not exist.
	_, err = s.vnets.Get(ctx, "rg-nowhere", "vnet-hub", nil)
	wantCode(t, err, http.StatusNotFound, "ResourceGroupNotFound")

	// Peering both ways: Initiated, then Connected on both sides.
	hs := s.putPeering(t, rgHub, "vnet-hub", "hub-to-spoke", deref(spoke.ID))
	if st := deref(hs.Properties.PeeringState); st != armnetwork.VirtualNetworkPeeringStateInitiated {
		t.Fatalf("hub-to-spoke alone: %s", st)
	}
	sh := s.putPeering(t, rgSpoke, "vnet-spoke", "spoke-to-hub", deref(hub.ID))
	if st := deref(sh.Properties.PeeringState); st != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("spoke-to-hub: %s", st)
	}
	got, err := s.peerings.Get(ctx, rgHub, "vnet-hub", "hub-to-spoke", nil)
	if err != nil || deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
		t.Fatalf("hub-to-spoke after spoke-to-hub: %v %v", err, got.Properties)
	}

	// NSG with an inline rule, plus one rule through its own client.
	np, err := s.nsgs.BeginCreateOrUpdate(ctx, rgHub, "nsg-nodes", armnetwork.SecurityGroup{
		Location: to(location),
		Properties: &armnetwork.SecurityGroupPropertiesFormat{SecurityRules: []*armnetwork.SecurityRule{{
			Name: to("allow-https"),
			Properties: &armnetwork.SecurityRulePropertiesFormat{
				Priority: to[int32](100), Direction: to(armnetwork.SecurityRuleDirectionInbound),
				Access: to(armnetwork.SecurityRuleAccessAllow), Protocol: to(armnetwork.SecurityRuleProtocolTCP),
				SourceAddressPrefix: to("VirtualNetwork"), SourcePortRange: to("*"),
				DestinationAddressPrefix: to("*"), DestinationPortRange: to("443"),
			},
		}}},
	}, nil)
	if err != nil {
		t.Fatalf("nsg: %v", err)
	}
	nsg, err := np.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("nsg: %v", err)
	}
	if len(nsg.Properties.SecurityRules) != 1 || len(nsg.Properties.DefaultSecurityRules) != 6 {
		t.Fatalf("nsg rules: %d custom, %d default", len(nsg.Properties.SecurityRules), len(nsg.Properties.DefaultSecurityRules))
	}
	rp, err := s.rules.BeginCreateOrUpdate(ctx, rgHub, "nsg-nodes", "allow-dns", armnetwork.SecurityRule{
		Properties: &armnetwork.SecurityRulePropertiesFormat{
			Priority: to[int32](110), Direction: to(armnetwork.SecurityRuleDirectionOutbound),
			Access: to(armnetwork.SecurityRuleAccessAllow), Protocol: to(armnetwork.SecurityRuleProtocolUDP),
			SourceAddressPrefix: to("*"), SourcePortRange: to("*"),
			DestinationAddressPrefix: to("168.63.129.16"), DestinationPortRange: to("53"),
		},
	}, nil)
	if err != nil {
		t.Fatalf("rule: %v", err)
	}
	if _, err := rp.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatalf("rule: %v", err)
	}
	rules := collect(t, s.rules.NewListPager(rgHub, "nsg-nodes", nil), func(p armnetwork.SecurityRulesClientListResponse) []string {
		var out []string
		for _, r := range p.Value {
			out = append(out, deref(r.Name))
		}
		return out
	})
	sort.Strings(rules)
	if !slices.Equal(rules, []string{"allow-dns", "allow-https"}) {
		t.Fatalf("rules: %v", rules)
	}

	// Route table with a default route through a firewall.
	tp, err := s.routeTabs.BeginCreateOrUpdate(ctx, rgHub, "rt-nodes", armnetwork.RouteTable{Location: to(location)}, nil)
	if err != nil {
		t.Fatalf("route table: %v", err)
	}
	rt, err := tp.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("route table: %v", err)
	}
	rtp, err := s.routes.BeginCreateOrUpdate(ctx, rgHub, "rt-nodes", "default-via-firewall", armnetwork.Route{
		Properties: &armnetwork.RoutePropertiesFormat{
			AddressPrefix: to("0.0.0.0/0"), NextHopType: to(armnetwork.RouteNextHopTypeVirtualAppliance),
			NextHopIPAddress: to("10.10.2.4"),
		},
	}, nil)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	route, err := rtp.PollUntilDone(ctx, pollOpts)
	if err != nil || deref(route.Properties.NextHopIPAddress) != "10.10.2.4" {
		t.Fatalf("route: %v %+v", err, route.Properties)
	}

	// Associate both with the node subnet: GET, modify, PUT, as az does.
	sn, err := s.subnets.Get(ctx, rgHub, "vnet-hub", "snet-nodes", nil)
	if err != nil {
		t.Fatal(err)
	}
	sn.Properties.NetworkSecurityGroup = &armnetwork.SecurityGroup{ID: nsg.ID}
	sn.Properties.RouteTable = &armnetwork.RouteTable{ID: rt.ID}
	sp, err := s.subnets.BeginCreateOrUpdate(ctx, rgHub, "vnet-hub", "snet-nodes", sn.Subnet, nil)
	if err != nil {
		t.Fatalf("associate subnet: %v", err)
	}
	if _, err := sp.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatalf("associate subnet: %v", err)
	}
	gotNSG, err := s.nsgs.Get(ctx, rgHub, "nsg-nodes", nil)
	if err != nil || len(gotNSG.Properties.Subnets) != 1 || !strings.EqualFold(deref(gotNSG.Properties.Subnets[0].ID), deref(sn.ID)) {
		t.Fatalf("nsg subnets: %v %+v", err, gotNSG.Properties.Subnets)
	}

	// Public IP and a NIC in the node subnet using it.
	pp, err := s.pips.BeginCreateOrUpdate(ctx, rgHub, "pip-egress", armnetwork.PublicIPAddress{
		Location: to(location),
		SKU:      &armnetwork.PublicIPAddressSKU{Name: to(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: to(armnetwork.IPAllocationMethodStatic),
		},
	}, nil)
	if err != nil {
		t.Fatalf("public ip: %v", err)
	}
	pip, err := pp.PollUntilDone(ctx, pollOpts)
	if err != nil || deref(pip.Properties.IPAddress) == "" {
		t.Fatalf("public ip: %v %+v", err, pip.Properties)
	}
	ip, err := s.nics.BeginCreateOrUpdate(ctx, rgHub, "nic-jumpbox", armnetwork.Interface{
		Location: to(location),
		Properties: &armnetwork.InterfacePropertiesFormat{IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
			Name: to("ipconfig1"),
			Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
				Subnet:          &armnetwork.Subnet{ID: sn.ID},
				PublicIPAddress: &armnetwork.PublicIPAddress{ID: pip.ID},
			},
		}}},
	}, nil)
	if err != nil {
		t.Fatalf("nic: %v", err)
	}
	nic, err := ip.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("nic: %v", err)
	}
	cfg := nic.Properties.IPConfigurations[0].Properties
	if deref(cfg.PrivateIPAddress) != "10.10.1.4" || !strings.EqualFold(deref(cfg.PublicIPAddress.ID), deref(pip.ID)) {
		t.Fatalf("nic ip configuration: %s %+v", deref(cfg.PrivateIPAddress), cfg.PublicIPAddress)
	}

	// The NIC holds the subnet: deleting it is refused.
	_, err = s.subnets.BeginDelete(ctx, rgHub, "vnet-hub", "snet-nodes", nil)
	re := wantCode(t, err, http.StatusBadRequest, "InUseSubnetCannotBeDeleted")
	if !strings.Contains(re.Error(), "Subnet snet-nodes is in use by "+deref(nic.ID)+"/ipConfigurations/ipconfig1 and cannot be deleted.") {
		t.Errorf("message: %v", re)
	}
	// The spare subnet goes.
	dp, err := s.subnets.BeginDelete(ctx, rgHub, "vnet-hub", "snet-spare", nil)
	if err != nil {
		t.Fatalf("delete spare subnet: %v", err)
	}
	if _, err := dp.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatalf("delete spare subnet: %v", err)
	}

	vnets := collect(t, s.vnets.NewListAllPager(nil), func(p armnetwork.VirtualNetworksClientListAllResponse) []string {
		var out []string
		for _, v := range p.Value {
			out = append(out, deref(v.Name))
		}
		return out
	})
	sort.Strings(vnets)
	if !slices.Equal(vnets, []string{"vnet-doomed", "vnet-hub", "vnet-spoke"}) {
		t.Fatalf("vnets: %v", vnets)
	}
	subnets := collect(t, s.subnets.NewListPager(rgHub, "vnet-hub", nil), func(p armnetwork.SubnetsClientListResponse) []string {
		var out []string
		for _, v := range p.Value {
			out = append(out, deref(v.Name))
		}
		return out
	})
	if !slices.Equal(subnets, []string{"snet-nodes"}) {
		t.Fatalf("hub subnets: %v", subnets)
	}
}

// privateDNS: a private zone linked to the hub, an A record, and a stale
// If-Match refused with 412.
func (s *sdk) privateDNS(t *testing.T) {
	ctx := context.Background()
	zp, err := s.zones.BeginCreateOrUpdate(ctx, rgHub, zoneName, armprivatedns.PrivateZone{Location: to("global")}, nil)
	if err != nil {
		t.Fatalf("zone: %v", err)
	}
	if _, err := zp.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatalf("zone: %v", err)
	}
	lp, err := s.links.BeginCreateOrUpdate(ctx, rgHub, zoneName, "link-hub", armprivatedns.VirtualNetworkLink{
		Location: to("global"),
		Properties: &armprivatedns.VirtualNetworkLinkProperties{
			VirtualNetwork:      &armprivatedns.SubResource{ID: to(s.netID(rgHub, "virtualNetworks", "vnet-hub"))},
			RegistrationEnabled: to(false),
		},
	}, nil)
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	link, err := lp.PollUntilDone(ctx, pollOpts)
	if err != nil || deref(link.Properties.VirtualNetworkLinkState) != armprivatedns.VirtualNetworkLinkStateCompleted {
		t.Fatalf("link: %v %+v", err, link.Properties)
	}
	rec, err := s.records.CreateOrUpdate(ctx, rgHub, zoneName, armprivatedns.RecordTypeA, "apiserver", armprivatedns.RecordSet{
		Properties: &armprivatedns.RecordSetProperties{TTL: to[int64](300), ARecords: []*armprivatedns.ARecord{{IPv4Address: to("10.10.1.10")}}},
	}, nil)
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	if deref(rec.Properties.Fqdn) != "apiserver."+zoneName+"." || deref(rec.Etag) == "" {
		t.Fatalf("record: %+v", rec.Properties)
	}
	stale := deref(rec.Etag)
	upd, err := s.records.CreateOrUpdate(ctx, rgHub, zoneName, armprivatedns.RecordTypeA, "apiserver", armprivatedns.RecordSet{
		Properties: &armprivatedns.RecordSetProperties{TTL: to[int64](60), ARecords: []*armprivatedns.ARecord{{IPv4Address: to("10.10.1.10")}}},
	}, &armprivatedns.RecordSetsClientCreateOrUpdateOptions{IfMatch: to(stale)})
	if err != nil || deref(upd.Etag) == stale || deref(upd.Properties.TTL) != 60 {
		t.Fatalf("conditional update: %v %+v", err, upd.Properties)
	}
	_, err = s.records.CreateOrUpdate(ctx, rgHub, zoneName, armprivatedns.RecordTypeA, "apiserver", armprivatedns.RecordSet{
		Properties: &armprivatedns.RecordSetProperties{TTL: to[int64](30), ARecords: []*armprivatedns.ARecord{{IPv4Address: to("10.10.1.11")}}},
	}, &armprivatedns.RecordSetsClientCreateOrUpdateOptions{IfMatch: to(stale)})
	wantCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")

	zone, err := s.zones.Get(ctx, rgHub, zoneName, nil)
	if err != nil || deref(zone.Properties.NumberOfRecordSets) != 2 || deref(zone.Properties.NumberOfVirtualNetworkLinks) != 1 {
		t.Fatalf("zone counts: %v %+v", err, zone.Properties)
	}
	sets := collect(t, s.records.NewListPager(rgHub, zoneName, nil), func(p armprivatedns.RecordSetsClientListResponse) []string {
		var out []string
		for _, r := range p.Value {
			out = append(out, deref(r.Type)+" "+deref(r.Name))
		}
		return out
	})
	sort.Strings(sets)
	if !slices.Equal(sets, []string{"Microsoft.Network/privateDnsZones/A apiserver", "Microsoft.Network/privateDnsZones/SOA @"}) {
		t.Fatalf("record sets: %v", sets)
	}
}

// deleteGroup deletes a resource group holding an identity and a virtual
// network: everything in it goes.
func (s *sdk) deleteGroup(t *testing.T) {
	ctx := context.Background()
	inside := collect(t, s.resources.NewListByResourceGroupPager(rgDoomed, nil), func(p armresources.ClientListByResourceGroupResponse) []string {
		var out []string
		for _, r := range p.Value {
			out = append(out, deref(r.Type)+"/"+deref(r.Name))
		}
		return out
	})
	sort.Strings(inside)
	if !slices.Equal(inside, []string{"Microsoft.ManagedIdentity/userAssignedIdentities/id-doomed", "Microsoft.Network/virtualNetworks/vnet-doomed"}) {
		t.Fatalf("resources in %s: %v", rgDoomed, inside)
	}
	p, err := s.groups.BeginDelete(ctx, rgDoomed, nil)
	if err != nil {
		t.Fatalf("delete %s: %v", rgDoomed, err)
	}
	if _, err := p.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatalf("delete %s: %v", rgDoomed, err)
	}
	ex, err := s.groups.CheckExistence(ctx, rgDoomed, nil)
	if err != nil || ex.Success {
		t.Fatalf("%s still exists: %v", rgDoomed, err)
	}
	_, err = s.vnets.Get(ctx, rgDoomed, "vnet-doomed", nil)
	wantCode(t, err, http.StatusNotFound, "ResourceGroupNotFound")
	for _, id := range collect(t, s.identities.NewListBySubscriptionPager(nil), func(p armmsi.UserAssignedIdentitiesClientListBySubscriptionResponse) []string {
		var out []string
		for _, i := range p.Value {
			out = append(out, deref(i.ID))
		}
		return out
	}) {
		if strings.Contains(strings.ToLower(id), "/resourcegroups/"+rgDoomed+"/") {
			t.Fatalf("identity left behind: %s", id)
		}
	}
	// Re-creating the group finds it empty.
	if _, err := s.groups.CreateOrUpdate(ctx, rgDoomed, armresources.ResourceGroup{Location: to(location)}, nil); err != nil {
		t.Fatal(err)
	}
	if left := collect(t, s.resources.NewListByResourceGroupPager(rgDoomed, nil), func(p armresources.ClientListByResourceGroupResponse) []*armresources.GenericResourceExpanded {
		return p.Value
	}); len(left) != 0 {
		t.Fatalf("re-created %s holds %d resources", rgDoomed, len(left))
	}
	p, err = s.groups.BeginDelete(ctx, rgDoomed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, pollOpts); err != nil {
		t.Fatal(err)
	}
}

// verifyAfterRestart reads the scenario's state back through the SDK of a
// restarted daemon.
func (s *sdk) verifyAfterRestart(t *testing.T, principal string) {
	ctx := context.Background()
	names := collect(t, s.groups.NewListPager(nil), func(p armresources.ResourceGroupsClientListResponse) []string {
		var n []string
		for _, g := range p.Value {
			n = append(n, deref(g.Name))
		}
		return n
	})
	sort.Strings(names)
	// NetworkWatcherRG is Azure's: Network Watcher is enabled in a region
	// (NetworkWatcherRG/NetworkWatcher_<region>) when its first VNet is made.
	if !slices.Equal(names, []string{"NetworkWatcherRG", rgHub, rgSpoke}) {
		t.Errorf("groups after restart: %v", names)
	}
	if g, err := s.features.Get(ctx, "Microsoft.ContainerService", "AKSPrivateLinkPreview", nil); err != nil || deref(g.Properties.State) != "Registered" {
		t.Errorf("feature after restart: %v %+v", err, g.Properties)
	}
	if p, err := s.providers.Get(ctx, "Microsoft.ContainerService", nil); err != nil || deref(p.RegistrationState) != "Registered" {
		t.Errorf("provider after restart: %v %s", err, deref(p.RegistrationState))
	}
	for _, pr := range []struct{ rg, vnet, name string }{{rgHub, "vnet-hub", "hub-to-spoke"}, {rgSpoke, "vnet-spoke", "spoke-to-hub"}} {
		got, err := s.peerings.Get(ctx, pr.rg, pr.vnet, pr.name, nil)
		if err != nil || deref(got.Properties.PeeringState) != armnetwork.VirtualNetworkPeeringStateConnected {
			t.Errorf("peering %s after restart: %v", pr.name, err)
		}
	}
	id, err := s.identities.Get(ctx, rgHub, "id-cluster", nil)
	if err != nil || deref(id.Properties.PrincipalID) != principal {
		t.Errorf("identity after restart: %v", err)
	}
	ra, err := s.roleAsgs.Get(ctx, s.rgID(rgHub), roleAssign, nil)
	if err != nil || deref(ra.Properties.PrincipalID) != principal {
		t.Errorf("role assignment after restart: %v", err)
	}
	// The allocator still knows the NIC's address: the next NIC gets the
	// next one.
	sn, err := s.subnets.Get(ctx, rgHub, "vnet-hub", "snet-nodes", nil)
	if err != nil || len(sn.Properties.IPConfigurations) != 1 {
		t.Fatalf("subnet after restart: %v", err)
	}
	ip, err := s.nics.BeginCreateOrUpdate(ctx, rgHub, "nic-second", armnetwork.Interface{
		Location: to(location),
		Properties: &armnetwork.InterfacePropertiesFormat{IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
			Name:       to("ipconfig1"),
			Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{Subnet: &armnetwork.Subnet{ID: sn.ID}},
		}}},
	}, nil)
	if err != nil {
		t.Fatalf("nic after restart: %v", err)
	}
	nic, err := ip.PollUntilDone(ctx, pollOpts)
	if err != nil {
		t.Fatalf("nic after restart: %v", err)
	}
	if got := deref(nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress); got != "10.10.1.5" {
		t.Errorf("nic after restart got %s, want the next free address 10.10.1.5", got)
	}
	// Record sets and zone counts.
	zone, err := s.zones.Get(ctx, rgHub, zoneName, nil)
	if err != nil || deref(zone.Properties.NumberOfRecordSets) != 2 || deref(zone.Properties.NumberOfVirtualNetworkLinks) != 1 {
		t.Errorf("zone after restart: %v %+v", err, zone.Properties)
	}
}
