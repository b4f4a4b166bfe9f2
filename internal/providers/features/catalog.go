package features

import (
	"sort"
	"strings"
)

// catalog lists the preview features privlink knows, per provider
// namespace, in their published spelling. Azure answers FeatureNotFound for
// a name it does not know (and for features retired after going GA, such
// as TrustedAccessPreview); the seeds' AKSPrivateLinkPreview and
// EnableAPIServerVnetIntegrationPreview are kept registrable. Names are
// taken from Microsoft's documentation and public `az feature register`
// scripts.
var catalog = map[string][]string{
	"Microsoft.ContainerService": {
		"AKSPrivateLinkPreview",
		"EnableAPIServerVnetIntegrationPreview",
		"NRGLockdownPreview",
		"AzureOverlayPreview",
		"PodSubnetPreview",
		"CiliumDataplanePreview",
		"AdvancedNetworkingPreview",
		"EnableWorkloadIdentityPreview",
		"EnableOIDCIssuerPreview",
		"EnablePodIdentityPreview",
		"AKS-KedaPreview",
		"AKS-PrometheusAddonPreview",
		"AKS-ExtensionManager",
		"AKS-AzureKeyVaultSecretsProvider",
		"AKS-AzureDefender",
		"AKS-OpenServiceMesh",
		"AKS-Dapr",
		"EnableImageCleanerPreview",
		"NodeOsUpgradeChannelPreview",
		"DisableLocalAccountsPreview",
		"EnableMultipleStandardLoadBalancers",
		"EnableAzureDiskCSIDriverV2",
		"HTTPProxyConfigPreview",
		"RunCommandPreview",
		"MultiAgentpoolPreview",
		"FleetResourcePreview",
		"AKSNodelessPreview",
		"ManagedNamespacePreview",
	},
	"Microsoft.Network": {
		"AllowMultipleAddressPrefixesOnSubnet",
		"AllowBringYourOwnPublicIpAddress",
		"AllowRoutingPreferenceFeature",
		"AllowNetworkWatcherConnectivityCheck",
		"AllowMultiplePeeringLinksBetweenVnets",
		"AllowSubnetPeering",
	},
	"Microsoft.Kubernetes": {
		"previewAccess",
	},
	"Microsoft.KubernetesConfiguration": {
		"sourceControlConfiguration",
	},
	"Microsoft.Compute": {
		"InGuestPatchVMPreview",
	},
	"Microsoft.Resources": {
		"EUAPParticipation",
	},
}

// feature is one catalog entry in canonical spelling.
type feature struct {
	Namespace string
	Name      string
}

// lookupFeature finds a feature case-insensitively.
func lookupFeature(ns, name string) (feature, bool) {
	for cns, names := range catalog {
		if !strings.EqualFold(cns, ns) {
			continue
		}
		for _, n := range names {
			if strings.EqualFold(n, name) {
				return feature{cns, n}, true
			}
		}
	}
	return feature{}, false
}

// namespaceFeatures returns the features of a namespace sorted by name
// (none for a namespace without catalogued features).
func namespaceFeatures(ns string) []feature {
	var out []feature
	for cns, names := range catalog {
		if !strings.EqualFold(cns, ns) {
			continue
		}
		for _, n := range names {
			out = append(out, feature{cns, n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// allFeatures returns every catalogued feature sorted by namespace, name.
func allFeatures() []feature {
	nss := make([]string, 0, len(catalog))
	for ns := range catalog {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	var out []feature
	for _, ns := range nss {
		out = append(out, namespaceFeatures(ns)...)
	}
	return out
}
