package authorization

import (
	"strings"
	"testing"
)

const (
	sub     = "/subscriptions/00000000-0000-0000-0000-000000000001"
	sub2    = "/subscriptions/00000000-0000-0000-0000-0000000000012"
	rg      = sub + "/resourceGroups/net-rg"
	rgOther = sub + "/resourceGroups/app-rg"
	vnet    = rg + "/providers/Microsoft.Network/virtualNetworks/vnet"
	vnet2   = rg + "/providers/Microsoft.Network/virtualNetworks/vnet2"
	subnet  = vnet + "/subnets/default"
	pdz     = rg + "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
	aks     = rgOther + "/providers/Microsoft.ContainerService/managedClusters/aks1"
	uami    = rgOther + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
	arcK8s  = rgOther + "/providers/Microsoft.Kubernetes/connectedClusters/arc1"

	alice = "aaaaaaaa-0000-0000-0000-000000000001"
	bob   = "bbbbbbbb-0000-0000-0000-000000000002"
)

// assign builds an assignment of built-in role name to alice at scope, with
// the role definition ID in the subscription-scoped form ARM stores.
func assign(t *testing.T, scope, name string) Assignment {
	t.Helper()
	r, ok := BuiltinByName(name)
	if !ok {
		t.Fatalf("no built-in role %q", name)
	}
	return Assignment{Scope: scope, PrincipalID: alice, RoleDefinitionID: RoleDefinitionID(sub, r.Name)}
}

type checkCase struct {
	action string
	scope  string
	data   bool
	want   bool
}

func runChecks(t *testing.T, as []Assignment, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		if got := Allowed(as, BuiltinLookup, alice, c.action, c.scope, c.data); got != c.want {
			t.Errorf("Allowed(%s, data=%v, %s) = %v, want %v", c.action, c.data, c.scope, got, c.want)
		}
	}
}

func TestAllowedBuiltinRoles(t *testing.T) {
	const (
		joinSubnet   = "Microsoft.Network/virtualNetworks/subnets/join/action"
		writeRA      = "Microsoft.Authorization/roleAssignments/write"
		deleteRA     = "Microsoft.Authorization/roleAssignments/delete"
		readRA       = "Microsoft.Authorization/roleAssignments/read"
		writeVnet    = "Microsoft.Network/virtualNetworks/write"
		readVnet     = "Microsoft.Network/virtualNetworks/read"
		writePDZ     = "Microsoft.Network/privateDnsZones/write"
		blobRead     = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
		k8sPodsWrite = "Microsoft.ContainerService/managedClusters/pods/write"
	)
	tests := []struct {
		role  string
		scope string
		cases []checkCase
	}{
		{"Network Contributor", rg, []checkCase{
			{joinSubnet, subnet, false, true},
			{writeVnet, vnet, false, true},
			{"Microsoft.Network/privateDnsZones/virtualNetworkLinks/write", pdz + "/virtualNetworkLinks/link1", false, true},
			{"Microsoft.Resources/subscriptions/resourceGroups/read", rg, false, true},
			{readRA, subnet, false, true},
			{writeRA, subnet, false, false},
			{writeRA, rg, false, false},
			{"Microsoft.Compute/virtualMachines/write", rg + "/providers/Microsoft.Compute/virtualMachines/vm", false, false},
			{"Microsoft.NetworkFunction/azureTrafficCollectors/write", rg + "/providers/Microsoft.NetworkFunction/azureTrafficCollectors/c", false, false},
			{joinSubnet, strings.Replace(subnet, rg, rgOther, 1), false, false},
			{joinSubnet, sub, false, false},
			{joinSubnet, subnet, true, false},
		}},
		{"Contributor", sub, []checkCase{
			{writeVnet, vnet, false, true},
			{"Microsoft.Compute/virtualMachines/write", rg + "/providers/Microsoft.Compute/virtualMachines/vm", false, true},
			{readRA, rg, false, true},
			{"Microsoft.Authorization/roleDefinitions/read", sub, false, true},
			{writeRA, rg, false, false},
			{deleteRA, rg, false, false},
			{"Microsoft.Authorization/roleDefinitions/write", sub, false, false},
			{"Microsoft.Authorization/policyAssignments/write", sub, false, false},
			{"Microsoft.Authorization/elevateAccess/action", "/", false, false},
			{"Microsoft.Authorization/locks/write", rg, false, false},
			{"Microsoft.Subscription/cancel/action", sub, false, false},
			{"Microsoft.Compute/galleries/share/action", rg + "/providers/Microsoft.Compute/galleries/g", false, false},
			{blobRead, rg, true, false},
		}},
		{"Owner", sub, []checkCase{
			{writeRA, rg, false, true},
			{deleteRA, subnet, false, true},
			{writeVnet, vnet, false, true},
			{"Microsoft.Authorization/elevateAccess/action", sub, false, true},
			{blobRead, rg, true, false}, // Owner has no dataActions
			{writeRA, sub2, false, false},
			{writeRA, "/", false, false},
		}},
		{"Reader", sub, []checkCase{
			{readVnet, vnet, false, true},
			{"Microsoft.Network/virtualNetworks/subnets/read", subnet, false, true},
			{readRA, rg, false, true},
			{"Microsoft.Resources/subscriptions/resourceGroups/read", rg, false, true},
			{writeVnet, vnet, false, false},
			{joinSubnet, subnet, false, false},
			{"Microsoft.Network/virtualNetworks/delete", vnet, false, false},
			{"Microsoft.Storage/storageAccounts/listKeys/action", rg, false, false},
			{writeRA, rg, false, false},
			{blobRead, rg, true, false},
		}},
		{"User Access Administrator", rg, []checkCase{
			{writeRA, vnet, false, true},
			{deleteRA, rg, false, true},
			{"Microsoft.Authorization/roleDefinitions/write", rg, false, true},
			{readVnet, vnet, false, true},
			{"Microsoft.Support/supportTickets/write", rg, false, true},
			{writeVnet, vnet, false, false},
			{writeRA, sub, false, false},
		}},
		{"Role Based Access Control Administrator", rg, []checkCase{
			{writeRA, vnet, false, true},
			{readVnet, vnet, false, true},
			{"Microsoft.Authorization/roleDefinitions/write", rg, false, false},
			{"Microsoft.Authorization/policyAssignments/write", rg, false, false},
		}},
		{"Private DNS Zone Contributor", rg, []checkCase{
			{writePDZ, pdz, false, true},
			{"Microsoft.Network/privateDnsZones/A/write", pdz + "/A/www", false, true},
			{"Microsoft.Network/privateDnsZones/virtualNetworkLinks/write", pdz + "/virtualNetworkLinks/link1", false, true},
			{"Microsoft.Network/virtualNetworks/join/action", vnet, false, true},
			{readVnet, vnet, false, true},
			{writeVnet, vnet, false, false},
			{joinSubnet, subnet, false, false},
			{"Microsoft.Network/dnsZones/write", rg + "/providers/Microsoft.Network/dnsZones/example.com", false, false},
			{writePDZ, rgOther + "/providers/Microsoft.Network/privateDnsZones/z", false, false},
		}},
		{"DNS Zone Contributor", rg, []checkCase{
			{"Microsoft.Network/dnsZones/write", rg + "/providers/Microsoft.Network/dnsZones/example.com", false, true},
			{"Microsoft.Network/dnsZones/A/write", rg + "/providers/Microsoft.Network/dnsZones/example.com/A/www", false, true},
			{writePDZ, pdz, false, false},
			{writeVnet, vnet, false, false},
		}},
		{"Managed Identity Operator", rgOther, []checkCase{
			{"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", uami, false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/read", uami, false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read", uami + "/federatedIdentityCredentials/f", false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/write", uami, false, false},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/delete", uami, false, false},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", uami + "/federatedIdentityCredentials/f", false, false},
		}},
		{"Managed Identity Contributor", rgOther, []checkCase{
			{"Microsoft.ManagedIdentity/userAssignedIdentities/write", uami, false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/delete", uami, false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", uami + "/federatedIdentityCredentials/f", false, true},
			{"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", uami, false, false},
		}},
		{"Azure Kubernetes Service Cluster User Role", aks, []checkCase{
			{"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", aks, false, true},
			{"Microsoft.ContainerService/managedClusters/read", aks, false, true},
			{"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", aks, false, false},
			{"Microsoft.ContainerService/managedClusters/write", aks, false, false},
		}},
		{"Azure Kubernetes Service Cluster Admin Role", aks, []checkCase{
			{"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", aks, false, true},
			{"Microsoft.ContainerService/managedClusters/runcommand/action", aks, false, true},
			{"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", aks, false, false},
			{"Microsoft.ContainerService/managedClusters/write", aks, false, false},
		}},
		{"Azure Kubernetes Service Contributor Role", rgOther, []checkCase{
			{"Microsoft.ContainerService/managedClusters/write", aks, false, true},
			{"Microsoft.ContainerService/managedClusters/agentPools/write", aks + "/agentPools/np1", false, true},
			{joinSubnet, subnet, false, false},
			{k8sPodsWrite, aks, true, false},
		}},
		{"Azure Kubernetes Service RBAC Cluster Admin", aks, []checkCase{
			{k8sPodsWrite, aks, true, true},
			{"Microsoft.ContainerService/managedClusters/namespaces/write", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/clusterroles/write", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", aks, false, true},
			{k8sPodsWrite, aks, false, false}, // data actions are not control-plane actions
			{"Microsoft.ContainerService/managedClusters/write", aks, false, false},
		}},
		{"Azure Kubernetes Service RBAC Admin", aks, []checkCase{
			{k8sPodsWrite, aks + "/namespaces/team-a", true, true},
			{"Microsoft.ContainerService/managedClusters/secrets/read", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/namespaces/read", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/namespaces/write", aks, true, false},
			{"Microsoft.ContainerService/managedClusters/namespaces/delete", aks, true, false},
			{"Microsoft.ContainerService/managedClusters/resourcequotas/write", aks, true, false},
			{"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action", aks, false, false},
		}},
		{"Azure Kubernetes Service RBAC Writer", aks, []checkCase{
			{k8sPodsWrite, aks, true, true},
			{"Microsoft.ContainerService/managedClusters/secrets/read", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/coordination.k8s.io/leases/write", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/roles/write", aks, true, false},
			{"Microsoft.ContainerService/managedClusters/namespaces/write", aks, true, false},
		}},
		{"Azure Kubernetes Service RBAC Reader", aks, []checkCase{
			{"Microsoft.ContainerService/managedClusters/pods/read", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/apps/deployments/read", aks, true, true},
			{"Microsoft.ContainerService/managedClusters/secrets/read", aks, true, false},
			{k8sPodsWrite, aks, true, false},
			{"Microsoft.ContainerService/managedClusters/rbac.authorization.k8s.io/roles/read", aks, true, false},
		}},
		{"Kubernetes Cluster - Azure Arc Onboarding", rgOther, []checkCase{
			{"Microsoft.Kubernetes/connectedClusters/write", arcK8s, false, true},
			{"Microsoft.Kubernetes/connectedClusters/read", arcK8s, false, true},
			{"Microsoft.KubernetesConfiguration/extensions/write", arcK8s + "/providers/Microsoft.KubernetesConfiguration/extensions/flux", false, true},
			{"Microsoft.Kubernetes/connectedClusters/delete", arcK8s, false, false},
			{"Microsoft.Resources/deployments/delete", rgOther, false, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			runChecks(t, []Assignment{assign(t, tt.scope, tt.role)}, tt.cases)
		})
	}
}

func TestAllowedScopeInheritance(t *testing.T) {
	const act = "Microsoft.Network/virtualNetworks/subnets/join/action"
	scopes := []string{"/", sub, rg, vnet, subnet}
	// An assignment at scopes[i] covers scopes[j] exactly when j >= i.
	for i, at := range scopes {
		as := []Assignment{assign(t, at, "Network Contributor")}
		for j, target := range scopes {
			want := j >= i
			if got := Allowed(as, nil, alice, act, target, false); got != want {
				t.Errorf("assigned at %q, target %q: got %v, want %v", at, target, got, want)
			}
		}
	}

	// Siblings and look-alike prefixes are not covered.
	as := []Assignment{assign(t, vnet, "Network Contributor")}
	for _, target := range []string{
		vnet2,
		vnet2 + "/subnets/default",
		vnet + "-other",
		rgOther,
		sub2,
		sub2 + "/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet",
	} {
		if Allowed(as, nil, alice, act, target, false) {
			t.Errorf("assignment at %q wrongly covers %q", vnet, target)
		}
	}
	as = []Assignment{assign(t, sub, "Network Contributor")}
	if Allowed(as, nil, alice, act, sub2, false) {
		t.Errorf("%q covers %q", sub, sub2)
	}
}

func TestAllowedCaseInsensitive(t *testing.T) {
	as := []Assignment{{
		Scope:            strings.ToUpper(rg) + "/",
		PrincipalID:      strings.ToUpper(alice),
		RoleDefinitionID: strings.ToLower(RoleDefinitionID(sub, NetworkContributorRoleID)),
	}}
	if !Allowed(as, nil, alice, "microsoft.network/VIRTUALNETWORKS/subnets/JOIN/action", strings.ToLower(subnet), false) {
		t.Error("case differences in scope, principal, role ID or action denied access")
	}
}

func TestAllowedUnionAndNegatives(t *testing.T) {
	const writeRA = "Microsoft.Authorization/roleAssignments/write"
	contributorSub := assign(t, sub, "Contributor")
	uaaRG := assign(t, rg, "User Access Administrator")

	// Union: Contributor's notActions do not cancel another assignment's grant.
	as := []Assignment{contributorSub, uaaRG}
	if !Allowed(as, nil, alice, writeRA, vnet, false) {
		t.Error("UAA at the RG should grant roleAssignments/write on the vnet despite Contributor")
	}
	if Allowed(as, nil, alice, writeRA, rgOther, false) {
		t.Error("neither assignment grants roleAssignments/write in another RG")
	}

	// Other principals' assignments do not count.
	if Allowed(as, nil, bob, "Microsoft.Network/virtualNetworks/read", vnet, false) {
		t.Error("bob has no assignments")
	}
	bobs := []Assignment{{Scope: sub, PrincipalID: bob, RoleDefinitionID: RoleDefinitionID(sub, OwnerRoleID)}}
	if Allowed(bobs, nil, alice, "Microsoft.Network/virtualNetworks/read", vnet, false) {
		t.Error("bob's Owner assignment granted alice access")
	}

	// Unknown role definition grants nothing.
	unknown := []Assignment{{Scope: sub, PrincipalID: alice, RoleDefinitionID: RoleDefinitionID(sub, "11111111-2222-3333-4444-555555555555")}}
	if Allowed(unknown, nil, alice, "Microsoft.Network/virtualNetworks/read", vnet, false) {
		t.Error("unresolvable role definition granted access")
	}

	// Degenerate inputs.
	owner := []Assignment{assign(t, "/", "Owner")}
	for _, c := range []struct{ principal, action, scope string }{
		{"", "Microsoft.Network/virtualNetworks/read", vnet},
		{alice, "", vnet},
		{alice, "Microsoft.Network/virtualNetworks/read", ""},
		{alice, "Microsoft.Network/virtualNetworks/read", "subscriptions/x"},
	} {
		if Allowed(owner, nil, c.principal, c.action, c.scope, false) {
			t.Errorf("Allowed(%q, %q, %q) = true", c.principal, c.action, c.scope)
		}
	}
	if Allowed(nil, nil, alice, "Microsoft.Network/virtualNetworks/read", vnet, false) {
		t.Error("no assignments granted access")
	}
}

// TestAllowedPermissionBlocks checks that notActions only subtract within
// their own permission block, using a custom role served by the lookup.
func TestAllowedPermissionBlocks(t *testing.T) {
	const customID = "11111111-2222-3333-4444-555555555555"
	custom := RoleDefinition{
		ID:   RoleDefinitionID(sub, customID),
		Name: customID,
		Type: ResourceType,
		Properties: RoleDefinitionProperties{
			RoleName:         "Everything but networks, plus vnet reads",
			Type:             CustomRole,
			AssignableScopes: []string{sub},
			Permissions: []Permission{
				{Actions: []string{"*"}, NotActions: []string{"Microsoft.Network/*"}},
				{Actions: []string{"Microsoft.Network/virtualNetworks/read"}},
				{DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"},
					NotDataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"}},
			},
		},
	}
	lookup := func(id string) (RoleDefinition, bool) {
		if _, guid, ok := ParseRoleDefinitionID(id); ok && strings.EqualFold(guid, customID) {
			return custom, true
		}
		return BuiltinLookup(id)
	}
	as := []Assignment{{Scope: sub, PrincipalID: alice, RoleDefinitionID: custom.ID}}
	cases := []checkCase{
		{"Microsoft.Compute/virtualMachines/write", rg, false, true},
		{"Microsoft.Network/virtualNetworks/read", vnet, false, true},   // second block
		{"Microsoft.Network/virtualNetworks/write", vnet, false, false}, // first block excludes it
		{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", rg, true, true},
		{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete", rg, true, false},
		{"Microsoft.Compute/virtualMachines/write", rg, true, false}, // "*" in actions is not a data action
	}
	for _, c := range cases {
		if got := Allowed(as, lookup, alice, c.action, c.scope, c.data); got != c.want {
			t.Errorf("Allowed(%s, data=%v) = %v, want %v", c.action, c.data, got, c.want)
		}
	}
}

func TestActionMatches(t *testing.T) {
	cases := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Network/virtualNetworks/write", true},
		{"*/read", "Microsoft.Network/virtualNetworks/read", true},
		{"*/read", "Microsoft.Network/virtualNetworks/subnets/read", true},
		{"*/read", "Microsoft.Network/virtualNetworks/write", false},
		{"*/read", "Microsoft.Network/virtualNetworks/readonly/action", false},
		{"Microsoft.Network/*", "Microsoft.Network/virtualNetworks/subnets/join/action", true},
		{"Microsoft.Network/*", "microsoft.network/virtualnetworks/write", true},
		{"Microsoft.Network/*", "Microsoft.NetworkFunction/azureTrafficCollectors/write", false},
		{"Microsoft.Network/*", "Microsoft.Compute/virtualMachines/write", false},
		{"Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/virtualNetworks/subnets/join/action", true},
		{"Microsoft.Network/virtualNetworks/subnets/join/action", "MICROSOFT.NETWORK/VIRTUALNETWORKS/SUBNETS/JOIN/ACTION", true},
		{"Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/virtualNetworks/join/action", false},
		{"Microsoft.Network/virtualNetworks/join/action", "Microsoft.Network/virtualNetworks/subnets/join/action", false},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/roleAssignments/delete", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/read", false},
		{"Microsoft.Authorization/*/read", "Microsoft.Authorization/policyAssignments/exemptions/read", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/read", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read", true},
		{"Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentitiesX/read", false},
		{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", true},
		{"Microsoft.Network/privateDnsZones/*", "Microsoft.Network/privateDnsZones/A/write", true},
		{"Microsoft.Network/privateDnsZones/*", "Microsoft.Network/privateDnsZonesX/write", false},
		{"Microsoft.Network/dnsZones/*", "Microsoft.Network/privateDnsZones/write", false},
		{"Microsoft.Web/sites/config/list/Action", "Microsoft.Web/sites/config/list/action", true},
		{"Microsoft.Foo/a.b/read", "Microsoft.Foo/aXb/read", false}, // "." is literal
		{"", "Microsoft.Network/virtualNetworks/read", false},
		{"*", "", false},
	}
	for _, c := range cases {
		if got := ActionMatches(c.pattern, c.action); got != c.want {
			t.Errorf("ActionMatches(%q, %q) = %v, want %v", c.pattern, c.action, got, c.want)
		}
	}
}

func TestIsAncestorScope(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"/", "/", true},
		{"/", sub, true},
		{"/", subnet, true},
		{"/", "/providers/Microsoft.Management/managementGroups/mg1", true},
		{sub, sub, true},
		{sub, sub + "/", true},
		{sub, rg, true},
		{sub, subnet, true},
		{rg, vnet, true},
		{vnet, subnet, true},
		{strings.ToUpper(sub), strings.ToLower(rg), true},
		{sub + "/resourceGroups/NET-RG", rg + "/providers/Microsoft.Network/virtualNetworks/x", true},
		{subnet, vnet, false},
		{rg, sub, false},
		{sub, "/", false},
		{sub, sub2, false},
		{"/subscriptions/s", "/subscriptions/s2", false},
		{"/subscriptions/s", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", true},
		{vnet, vnet2, false},
		{rg, rgOther, false},
		{"", sub, false},
		{sub, "", false},
		{"subscriptions/s", "/subscriptions/s/resourceGroups/rg", false},
	}
	for _, c := range cases {
		if got := IsAncestorScope(c.a, c.b); got != c.want {
			t.Errorf("IsAncestorScope(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestScopeOf(t *testing.T) {
	cases := []struct{ id, want string }{
		{vnet, rg},
		{subnet, rg},
		{pdz + "/virtualNetworkLinks/link1", rg},
		{rg, sub},
		{sub, "/"},
		{"/", "/"},
		{"", ""},
		{"subscriptions/s", ""},
		{rg + "/", sub},
		{"/providers/Microsoft.Authorization/roleDefinitions/" + OwnerRoleID, "/"},
		{"/providers/Microsoft.Management/managementGroups/mg1", "/"},
		{RoleDefinitionID(sub, OwnerRoleID), sub},
		{rg + "/providers/Microsoft.Authorization/roleAssignments/ra1", rg},
		{vnet + "/providers/Microsoft.Authorization/roleAssignments/ra1", vnet},
		{subnet + "/providers/Microsoft.Authorization/roleAssignments/ra1", subnet},
		{aks + "/providers/Microsoft.KubernetesConfiguration/extensions/flux", aks},
		{"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/VIRTUALNETWORKS/V", "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG"},
		// A resource group literally named "providers" is a value, not a key.
		{sub + "/resourceGroups/providers/providers/Microsoft.Network/virtualNetworks/v", sub + "/resourceGroups/providers"},
	}
	for _, c := range cases {
		if got := ScopeOf(c.id); got != c.want {
			t.Errorf("ScopeOf(%q) = %q, want %q", c.id, got, c.want)
		}
	}
}
