// Package authorization emulates the role-based access control parts of the
// Microsoft.Authorization resource provider: role definitions (Azure's
// built-in roles, transcribed as Azure publishes them) and the access check
// that answers "may principal P perform action A on scope S" from a set of
// role assignments.
//
// The package holds no state. Callers own the stored role assignments and
// custom role definitions and pass them in; see Allowed.
package authorization

import (
	"strings"
	"time"
)

const (
	// ResourceType is the ARM type of a role definition resource.
	ResourceType = "Microsoft.Authorization/roleDefinitions"
	// BuiltInRole and CustomRole are the values of properties.type.
	BuiltInRole = "BuiltInRole"
	CustomRole  = "CustomRole"
)

// RoleDefinition is a role definition in the ARM wire shape
// (GET .../providers/Microsoft.Authorization/roleDefinitions/{guid}).
type RoleDefinition struct {
	// ID is the fully qualified ID, "{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}".
	// Built-ins from this package carry the tenant-level form
	// "/providers/Microsoft.Authorization/roleDefinitions/{guid}"; use AtScope
	// for the ID ARM returns when the definition is read through a scope.
	ID string `json:"id"`
	// Name is the role definition GUID.
	Name string `json:"name"`
	// Type is always ResourceType.
	Type       string                   `json:"type"`
	Properties RoleDefinitionProperties `json:"properties"`
}

// RoleDefinitionProperties is the "properties" object of a role definition.
type RoleDefinitionProperties struct {
	RoleName string `json:"roleName"`
	// Type is BuiltInRole or CustomRole.
	Type             string       `json:"type"`
	Description      string       `json:"description"`
	AssignableScopes []string     `json:"assignableScopes"`
	Permissions      []Permission `json:"permissions"`
	// CreatedOn and UpdatedOn are omitted from JSON when zero. The built-ins
	// leave them zero: the published definitions this package transcribes
	// carry no timestamps, and they are not invented here.
	CreatedOn time.Time `json:"createdOn,omitzero"`
	UpdatedOn time.Time `json:"updatedOn,omitzero"`
	// CreatedBy and UpdatedBy are null for built-in roles, as in ARM.
	CreatedBy *string `json:"createdBy"`
	UpdatedBy *string `json:"updatedBy"`
}

// Permission is one permission block of a role definition. Within a block,
// NotActions are subtracted from Actions and NotDataActions from DataActions.
type Permission struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

const roleDefinitionsSegment = "/providers/Microsoft.Authorization/roleDefinitions/"

// RoleDefinitionID returns the ARM ID of role definition guid read at scope:
// "{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}".
// The root scope "/" (or "") gives the tenant-level
// "/providers/Microsoft.Authorization/roleDefinitions/{guid}".
func RoleDefinitionID(scope, guid string) string {
	return strings.TrimRight(scope, "/") + roleDefinitionsSegment + guid
}

// ParseRoleDefinitionID splits a role definition ID into its scope and GUID.
// Matching of the "providers/Microsoft.Authorization/roleDefinitions"
// segments is case-insensitive. The tenant-level form yields scope "/".
// A bare GUID (no slashes) is accepted too and yields scope "".
func ParseRoleDefinitionID(id string) (scope, guid string, ok bool) {
	if id != "" && !strings.Contains(id, "/") {
		return "", id, true
	}
	i := strings.LastIndex(strings.ToLower(id), strings.ToLower(roleDefinitionsSegment))
	if i < 0 {
		return "", "", false
	}
	guid = id[i+len(roleDefinitionsSegment):]
	if guid == "" || strings.Contains(guid, "/") {
		return "", "", false
	}
	scope = id[:i]
	if scope == "" {
		scope = "/"
	}
	return scope, guid, true
}

// AtScope returns a copy of d whose ID is the one ARM reports when the
// definition is read at scope (for example "/subscriptions/{s}").
func (d RoleDefinition) AtScope(scope string) RoleDefinition {
	c := d.clone()
	c.ID = RoleDefinitionID(scope, d.Name)
	return c
}

// BuiltinRoles returns the built-in role definitions, sorted by role name.
// The result is a fresh copy; callers may modify it.
func BuiltinRoles() []RoleDefinition {
	out := make([]RoleDefinition, len(builtinRoles))
	for i, r := range builtinRoles {
		out[i] = r.clone()
	}
	return out
}

// BuiltinByID returns the built-in role whose GUID is guid (case-insensitive).
func BuiltinByID(guid string) (RoleDefinition, bool) {
	for _, r := range builtinRoles {
		if strings.EqualFold(r.Name, guid) {
			return r.clone(), true
		}
	}
	return RoleDefinition{}, false
}

// BuiltinByName returns the built-in role whose roleName is name
// (case-insensitive), e.g. "network contributor".
func BuiltinByName(name string) (RoleDefinition, bool) {
	for _, r := range builtinRoles {
		if strings.EqualFold(r.Properties.RoleName, name) {
			return r.clone(), true
		}
	}
	return RoleDefinition{}, false
}

// BuiltinLookup resolves a role definition ID at any scope (or a bare GUID)
// to a built-in role. It has the signature Allowed expects for lookup; a
// caller with custom roles wraps it.
func BuiltinLookup(roleDefinitionID string) (RoleDefinition, bool) {
	_, guid, ok := ParseRoleDefinitionID(roleDefinitionID)
	if !ok {
		return RoleDefinition{}, false
	}
	return BuiltinByID(guid)
}

func (d RoleDefinition) clone() RoleDefinition {
	c := d
	c.Properties.AssignableScopes = cloneStrings(d.Properties.AssignableScopes)
	c.Properties.Permissions = make([]Permission, len(d.Properties.Permissions))
	for i, p := range d.Properties.Permissions {
		c.Properties.Permissions[i] = Permission{
			Actions:        cloneStrings(p.Actions),
			NotActions:     cloneStrings(p.NotActions),
			DataActions:    cloneStrings(p.DataActions),
			NotDataActions: cloneStrings(p.NotDataActions),
		}
	}
	if d.Properties.CreatedBy != nil {
		v := *d.Properties.CreatedBy
		c.Properties.CreatedBy = &v
	}
	if d.Properties.UpdatedBy != nil {
		v := *d.Properties.UpdatedBy
		c.Properties.UpdatedBy = &v
	}
	return c
}

// cloneStrings copies s, turning nil into an empty slice so that JSON
// renders [] rather than null, as ARM does.
func cloneStrings(s []string) []string {
	out := make([]string, len(s))
	copy(out, s)
	return out
}

// builtin builds a built-in role definition with one permission block and
// assignable scope "/", the shape every role in this table has.
func builtin(guid, roleName, description string, actions, notActions, dataActions, notDataActions []string) RoleDefinition {
	return RoleDefinition{
		ID:   RoleDefinitionID("/", guid),
		Name: guid,
		Type: ResourceType,
		Properties: RoleDefinitionProperties{
			RoleName:         roleName,
			Type:             BuiltInRole,
			Description:      description,
			AssignableScopes: []string{"/"},
			Permissions: []Permission{{
				Actions:        cloneStrings(actions),
				NotActions:     cloneStrings(notActions),
				DataActions:    cloneStrings(dataActions),
				NotDataActions: cloneStrings(notDataActions),
			}},
		},
	}
}

// Built-in role GUIDs. They are the same in every Azure cloud.
const (
	OwnerRoleID                       = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	ContributorRoleID                 = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	ReaderRoleID                      = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	UserAccessAdministratorRoleID     = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	RoleBasedAccessControlAdminRoleID = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	NetworkContributorRoleID          = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	DNSZoneContributorRoleID          = "befefa01-2a29-4197-83a8-272ff33ce314"
	PrivateDNSZoneContributorRoleID   = "b12aa53e-6015-4669-85d0-8515ebb3ae7f"
	AKSClusterAdminRoleID             = "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"
	AKSClusterUserRoleID              = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
	AKSContributorRoleID              = "ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8"
	AKSRBACAdminRoleID                = "3498e952-d568-435e-9b2c-8d77e338d7f7"
	AKSRBACClusterAdminRoleID         = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
	AKSRBACReaderRoleID               = "7f6c6a51-bcf8-42ba-9220-52d62157d7db"
	AKSRBACWriterRoleID               = "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"
	ManagedIdentityContributorRoleID  = "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59"
	ManagedIdentityOperatorRoleID     = "f1a07417-d97a-45cb-824c-7a7467783830"
	KubernetesArcOnboardingRoleID     = "34e09817-6cbe-4d01-b1a2-e0eac5743d41"
)

// builtinRoles is transcribed from the JSON blocks of Microsoft's generated
// "Azure built-in roles" reference (MicrosoftDocs/azure-docs,
// articles/role-based-access-control/built-in-roles/{privileged,general,
// networking,containers,identity}.md). Strings, including their odd casing,
// are as published. Sorted by role name.
var builtinRoles = []RoleDefinition{
	builtin(AKSClusterAdminRoleID,
		"Azure Kubernetes Service Cluster Admin Role",
		"List cluster admin credential action.",
		[]string{
			"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
			"Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
			"Microsoft.ContainerService/managedClusters/read",
			"Microsoft.ContainerService/managedClusters/runcommand/action",
		}, nil, nil, nil),
	builtin(AKSClusterUserRoleID,
		"Azure Kubernetes Service Cluster User Role",
		"List cluster user credential action.",
		[]string{
			"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
			"Microsoft.ContainerService/managedClusters/read",
		}, nil, nil, nil),
	builtin(AKSContributorRoleID,
		"Azure Kubernetes Service Contributor Role",
		"Grants access to read and write Azure Kubernetes Service clusters",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.ContainerService/locations/*",
			"Microsoft.ContainerService/managedClusters/*",
			"Microsoft.ContainerService/managedclustersnapshots/*",
			"Microsoft.ContainerService/snapshots/*",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
		}, nil, nil, nil),
	builtin(AKSRBACAdminRoleID,
		"Azure Kubernetes Service RBAC Admin",
		"Lets you manage all resources under cluster/namespace, except update or delete resource quotas and namespaces.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Resources/subscriptions/operationresults/read",
			"Microsoft.Resources/subscriptions/read",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
		}, nil,
		[]string{
			"Microsoft.ContainerService/managedClusters/*",
		},
		[]string{
			"Microsoft.ContainerService/managedClusters/resourcequotas/write",
			"Microsoft.ContainerService/managedClusters/resourcequotas/delete",
			"Microsoft.ContainerService/managedClusters/namespaces/write",
			"Microsoft.ContainerService/managedClusters/namespaces/delete",
		}),
	builtin(AKSRBACClusterAdminRoleID,
		"Azure Kubernetes Service RBAC Cluster Admin",
		"Lets you manage all resources in the cluster.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Resources/subscriptions/operationresults/read",
			"Microsoft.Resources/subscriptions/read",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
		}, nil,
		[]string{
			"Microsoft.ContainerService/managedClusters/*",
		}, nil),
	builtin(AKSRBACReaderRoleID,
		"Azure Kubernetes Service RBAC Reader",
		"Allows read-only access to see most objects in a namespace. It does not allow viewing roles or role bindings. This role does not allow viewing Secrets, since reading the contents of Secrets enables access to ServiceAccount credentials in the namespace, which would allow API access as any ServiceAccount in the namespace (a form of privilege escalation). Applying this role at cluster scope will give access across all namespaces.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Resources/subscriptions/operationresults/read",
			"Microsoft.Resources/subscriptions/read",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
		}, nil,
		[]string{
			"Microsoft.ContainerService/managedClusters/apps/controllerrevisions/read",
			"Microsoft.ContainerService/managedClusters/apps/daemonsets/read",
			"Microsoft.ContainerService/managedClusters/apps/deployments/read",
			"Microsoft.ContainerService/managedClusters/apps/replicasets/read",
			"Microsoft.ContainerService/managedClusters/apps/statefulsets/read",
			"Microsoft.ContainerService/managedClusters/autoscaling/horizontalpodautoscalers/read",
			"Microsoft.ContainerService/managedClusters/batch/cronjobs/read",
			"Microsoft.ContainerService/managedClusters/batch/jobs/read",
			"Microsoft.ContainerService/managedClusters/configmaps/read",
			"Microsoft.ContainerService/managedClusters/discovery.k8s.io/endpointslices/read",
			"Microsoft.ContainerService/managedClusters/endpoints/read",
			"Microsoft.ContainerService/managedClusters/events.k8s.io/events/read",
			"Microsoft.ContainerService/managedClusters/events/read",
			"Microsoft.ContainerService/managedClusters/extensions/daemonsets/read",
			"Microsoft.ContainerService/managedClusters/extensions/deployments/read",
			"Microsoft.ContainerService/managedClusters/extensions/ingresses/read",
			"Microsoft.ContainerService/managedClusters/extensions/networkpolicies/read",
			"Microsoft.ContainerService/managedClusters/extensions/replicasets/read",
			"Microsoft.ContainerService/managedClusters/limitranges/read",
			"Microsoft.ContainerService/managedClusters/metrics.k8s.io/pods/read",
			"Microsoft.ContainerService/managedClusters/metrics.k8s.io/nodes/read",
			"Microsoft.ContainerService/managedClusters/namespaces/read",
			"Microsoft.ContainerService/managedClusters/networking.k8s.io/ingresses/read",
			"Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/read",
			"Microsoft.ContainerService/managedClusters/persistentvolumeclaims/read",
			"Microsoft.ContainerService/managedClusters/pods/read",
			"Microsoft.ContainerService/managedClusters/policy/poddisruptionbudgets/read",
			"Microsoft.ContainerService/managedClusters/replicationcontrollers/read",
			"Microsoft.ContainerService/managedClusters/resourcequotas/read",
			"Microsoft.ContainerService/managedClusters/serviceaccounts/read",
			"Microsoft.ContainerService/managedClusters/services/read",
		}, nil),
	builtin(AKSRBACWriterRoleID,
		"Azure Kubernetes Service RBAC Writer",
		"Allows read/write access to most objects in a namespace.This role does not allow viewing or modifying roles or role bindings. However, this role allows accessing Secrets and running Pods as any ServiceAccount in the namespace, so it can be used to gain the API access levels of any ServiceAccount in the namespace. Applying this role at cluster scope will give access across all namespaces.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Resources/subscriptions/operationresults/read",
			"Microsoft.Resources/subscriptions/read",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
		}, nil,
		[]string{
			"Microsoft.ContainerService/managedClusters/apps/controllerrevisions/read",
			"Microsoft.ContainerService/managedClusters/apps/daemonsets/*",
			"Microsoft.ContainerService/managedClusters/apps/deployments/*",
			"Microsoft.ContainerService/managedClusters/apps/replicasets/*",
			"Microsoft.ContainerService/managedClusters/apps/statefulsets/*",
			"Microsoft.ContainerService/managedClusters/autoscaling/horizontalpodautoscalers/*",
			"Microsoft.ContainerService/managedClusters/batch/cronjobs/*",
			"Microsoft.ContainerService/managedClusters/coordination.k8s.io/leases/read",
			"Microsoft.ContainerService/managedClusters/coordination.k8s.io/leases/write",
			"Microsoft.ContainerService/managedClusters/coordination.k8s.io/leases/delete",
			"Microsoft.ContainerService/managedClusters/discovery.k8s.io/endpointslices/read",
			"Microsoft.ContainerService/managedClusters/batch/jobs/*",
			"Microsoft.ContainerService/managedClusters/configmaps/*",
			"Microsoft.ContainerService/managedClusters/endpoints/*",
			"Microsoft.ContainerService/managedClusters/events.k8s.io/events/read",
			"Microsoft.ContainerService/managedClusters/events/*",
			"Microsoft.ContainerService/managedClusters/extensions/daemonsets/*",
			"Microsoft.ContainerService/managedClusters/extensions/deployments/*",
			"Microsoft.ContainerService/managedClusters/extensions/ingresses/*",
			"Microsoft.ContainerService/managedClusters/extensions/networkpolicies/*",
			"Microsoft.ContainerService/managedClusters/extensions/replicasets/*",
			"Microsoft.ContainerService/managedClusters/limitranges/read",
			"Microsoft.ContainerService/managedClusters/metrics.k8s.io/pods/read",
			"Microsoft.ContainerService/managedClusters/metrics.k8s.io/nodes/read",
			"Microsoft.ContainerService/managedClusters/namespaces/read",
			"Microsoft.ContainerService/managedClusters/networking.k8s.io/ingresses/*",
			"Microsoft.ContainerService/managedClusters/networking.k8s.io/networkpolicies/*",
			"Microsoft.ContainerService/managedClusters/persistentvolumeclaims/*",
			"Microsoft.ContainerService/managedClusters/pods/*",
			"Microsoft.ContainerService/managedClusters/policy/poddisruptionbudgets/*",
			"Microsoft.ContainerService/managedClusters/replicationcontrollers/*",
			"Microsoft.ContainerService/managedClusters/resourcequotas/read",
			"Microsoft.ContainerService/managedClusters/secrets/*",
			"Microsoft.ContainerService/managedClusters/serviceaccounts/*",
			"Microsoft.ContainerService/managedClusters/services/*",
		}, nil),
	builtin(ContributorRoleID,
		"Contributor",
		"Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
		[]string{
			"*",
		},
		[]string{
			"Microsoft.Authorization/*/Delete",
			"Microsoft.Authorization/*/Write",
			"Microsoft.Authorization/elevateAccess/Action",
			"Microsoft.Blueprint/blueprintAssignments/write",
			"Microsoft.Blueprint/blueprintAssignments/delete",
			"Microsoft.Compute/galleries/share/action",
			"Microsoft.Purview/consents/write",
			"Microsoft.Purview/consents/delete",
			"Microsoft.Resources/deploymentStacks/manageDenySetting/action",
			"Microsoft.Subscription/cancel/action",
			"Microsoft.Subscription/enable/action",
		}, nil, nil),
	builtin(DNSZoneContributorRoleID,
		"DNS Zone Contributor",
		"Lets you manage DNS zones and record sets in Azure DNS, but does not let you control who has access to them.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Network/dnsZones/*",
			"Microsoft.ResourceHealth/availabilityStatuses/read",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(KubernetesArcOnboardingRoleID,
		"Kubernetes Cluster - Azure Arc Onboarding",
		"Role definition to authorize any user/service to create connectedClusters resource",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Resources/deployments/write",
			"Microsoft.Resources/subscriptions/operationresults/read",
			"Microsoft.Resources/subscriptions/read",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Kubernetes/connectedClusters/Write",
			"Microsoft.Kubernetes/connectedClusters/read",
			"Microsoft.KubernetesConfiguration/extensions/write",
			"Microsoft.KubernetesConfiguration/extensions/read",
			"Microsoft.KubernetesConfiguration/extensions/delete",
			"Microsoft.KubernetesConfiguration/extensions/operations/read",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(ManagedIdentityContributorRoleID,
		"Managed Identity Contributor",
		"Create, Read, Update, and Delete User Assigned Identity",
		[]string{
			"Microsoft.ManagedIdentity/userAssignedIdentities/read",
			"Microsoft.ManagedIdentity/userAssignedIdentities/write",
			"Microsoft.ManagedIdentity/userAssignedIdentities/delete",
			"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
			"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
			"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
			"Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action",
			"Microsoft.Authorization/*/read",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(ManagedIdentityOperatorRoleID,
		"Managed Identity Operator",
		"Read and Assign User Assigned Identity",
		[]string{
			"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
			"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
			"Microsoft.Authorization/*/read",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(NetworkContributorRoleID,
		"Network Contributor",
		"Lets you manage networks, but not access to them.",
		[]string{
			"Microsoft.Authorization/*/read",
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Network/*",
			"Microsoft.ResourceHealth/availabilityStatuses/read",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(OwnerRoleID,
		"Owner",
		"Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
		[]string{
			"*",
		}, nil, nil, nil),
	builtin(PrivateDNSZoneContributorRoleID,
		"Private DNS Zone Contributor",
		"Lets you manage private DNS zone resources, but not the virtual networks they are linked to.",
		[]string{
			"Microsoft.Insights/alertRules/*",
			"Microsoft.Resources/deployments/*",
			"Microsoft.Resources/subscriptions/resourceGroups/read",
			"Microsoft.Support/*",
			"Microsoft.Network/privateDnsZones/*",
			"Microsoft.Network/privateDnsOperationResults/*",
			"Microsoft.Network/privateDnsOperationStatuses/*",
			"Microsoft.Network/virtualNetworks/read",
			"Microsoft.Network/virtualNetworks/join/action",
			"Microsoft.Authorization/*/read",
		}, nil, nil, nil),
	builtin(ReaderRoleID,
		"Reader",
		"View all resources, but does not allow you to make any changes.",
		[]string{
			"*/read",
		}, nil, nil, nil),
	builtin(RoleBasedAccessControlAdminRoleID,
		"Role Based Access Control Administrator",
		"Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
		[]string{
			"Microsoft.Authorization/roleAssignments/write",
			"Microsoft.Authorization/roleAssignments/delete",
			"*/read",
			"Microsoft.Support/*",
		}, nil, nil, nil),
	builtin(UserAccessAdministratorRoleID,
		"User Access Administrator",
		"Lets you manage user access to Azure resources.",
		[]string{
			"*/read",
			"Microsoft.Authorization/*",
			"Microsoft.Support/*",
		}, nil, nil, nil),
}
