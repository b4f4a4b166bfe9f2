package containerservice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/auth"
)

func (pr *Provider) clusterSpec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              ClusterType,
		APIVersions:       append([]string(nil), APIVersions...),
		Location:          arm.LocationRequired,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		AsyncDelete:       true,
		ValidateName:      validateClusterName,
		Put:               pr.putCluster,
		Patch:             pr.patchCluster,
		Delete:            pr.deleteCluster,
		Reconcile:         pr.reconcileHook,
		Render:            pr.renderCluster,
		Children:          []arm.ChildSpec{},
		Actions: map[string]arm.ActionFunc{
			"listClusterUserCredential":  pr.listCredential(false),
			"listClusterAdminCredential": pr.listCredential(true),
			"stop":                       pr.powerAction("stop"),
			"start":                      pr.powerAction("start"),
			"runCommand":                 pr.runCommand,
		},
		NotFound: func(id arm.ID) *arm.Error {
			return arm.NotFound("ResourceNotFound",
				"The Resource 'Microsoft.ContainerService/managedClusters/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
				id.Name(), id.ResourceGroup)
		},
	}
}

func validateClusterName(name string) error {
	if clusterNameRE.MatchString(name) {
		return nil
	}
	return arm.BadRequest("InvalidParameter",
		"The value of parameter name is invalid. Please see https://aka.ms/aks-naming-rules for more details.")
}

func invalidParam(target, format string, args ...any) *arm.Error {
	e := arm.BadRequest("InvalidParameter", format, args...)
	e.Target = target
	return e
}

// putCluster validates a create or update and sets the read-only
// properties. Everything that can be refused is refused here, before any
// resource is created (the controller then only realises what passed).
func (pr *Provider) putCluster(ctx context.Context, op *arm.PutOp) error {
	var in clusterProps
	if err := op.Body.DecodeProperties(&in); err != nil {
		return err
	}
	props := op.Body.PropertiesMap()
	for _, k := range []string{"provisioningState", "powerState", "fqdn", "privateFQDN", "azurePortalFQDN",
		"currentKubernetesVersion", "maxAgentPools", "resourceUID"} {
		delete(props, k)
	}
	region := arm.NormalizeLocation(op.Body.Location)
	sub, rg, name := op.ID.Subscription, op.ID.ResourceGroup, op.ID.Name()

	var old *clusterProps
	var st internalState
	if op.Existing != nil {
		old = &clusterProps{}
		if err := op.Existing.Resource.DecodeProperties(old); err != nil {
			return err
		}
		if err := json.Unmarshal(op.Existing.Internal, &st); err != nil {
			return fmt.Errorf("decode cluster state: %w", err)
		}
		if op.Existing.State == arm.StateDeleting {
			return arm.Conflict("OperationNotAllowed", "Operation is not allowed: Another operation (Delete) is in progress, please wait for it to finish before starting a new operation.")
		}
		if st.Op != "" && !arm.Terminal(op.Existing.State) {
			return arm.Conflict("OperationNotAllowed",
				"Operation is not allowed because there's an in progress %s operation on managed cluster %s. Please wait for it to finish before starting a new operation.", opName(st.Op), name)
		}
	} else {
		st = newInternal()
	}

	// dnsPrefix / fqdnSubdomain.
	if in.DNSPrefix == "" && in.FqdnSubdomain == "" {
		if old != nil {
			in.DNSPrefix = old.DNSPrefix
			props["dnsPrefix"] = old.DNSPrefix
		} else {
			return invalidParam("dnsPrefix", "DNSPrefix or FqdnSubdomain must be specified.")
		}
	}
	if in.DNSPrefix != "" && !dnsPrefixRE.MatchString(in.DNSPrefix) {
		return invalidParam("dnsPrefix",
			"DNS prefix '%s' is invalid. It must contain between 1 and 54 characters, only letters, numbers and hyphens, and start and end with a letter or a number.", in.DNSPrefix)
	}
	if in.FqdnSubdomain != "" && !fqdnSubdomainRE.MatchString(in.FqdnSubdomain) {
		return invalidParam("fqdnSubdomain", "FqdnSubdomain '%s' is invalid.", in.FqdnSubdomain)
	}
	if old != nil {
		if !strings.EqualFold(old.DNSPrefix, in.DNSPrefix) {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'dnsPrefix' is not allowed.")
		}
		if !strings.EqualFold(old.FqdnSubdomain, in.FqdnSubdomain) {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'fqdnSubdomain' is not allowed.")
		}
	}

	// Kubernetes version: privlink runs one.
	if in.KubernetesVersion == "" {
		in.KubernetesVersion = KubernetesVersion
	}
	if !kubeVersionRE.MatchString(in.KubernetesVersion) {
		return arm.BadRequest("K8sVersionNotSupported",
			"Managed cluster %s is on version %s which is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list",
			name, in.KubernetesVersion)
	}
	props["kubernetesVersion"] = in.KubernetesVersion
	props["currentKubernetesVersion"] = KubernetesVersion

	// Node resource group.
	if in.NodeResourceGroup == "" {
		if old != nil {
			in.NodeResourceGroup = old.NodeResourceGroup
		} else {
			in.NodeResourceGroup = "MC_" + rg + "_" + name + "_" + region
		}
	}
	if len(in.NodeResourceGroup) > 80 {
		return invalidParam("nodeResourceGroup", "The node resource group name '%s' is longer than 80 characters.", in.NodeResourceGroup)
	}
	if old != nil && !strings.EqualFold(old.NodeResourceGroup, in.NodeResourceGroup) {
		return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'nodeResourceGroup' is not allowed.")
	}
	if old == nil {
		existing, err := op.Tx.Get(ctx, "/subscriptions/"+sub+"/resourceGroups/"+in.NodeResourceGroup)
		if err != nil {
			return err
		}
		if existing != nil {
			return arm.BadRequest("InvalidParameter",
				"Node resource group '%s' already exists. Please use a different name or delete the existing resource group.", in.NodeResourceGroup)
		}
	}
	props["nodeResourceGroup"] = in.NodeResourceGroup

	// Network profile.
	np := in.NetworkProfile
	if np == nil {
		np = &networkProfile{}
	}
	if old != nil && old.NetworkProfile != nil {
		if np.NetworkPlugin == "" {
			np.NetworkPlugin = old.NetworkProfile.NetworkPlugin
		}
		if !strings.EqualFold(np.NetworkPlugin, old.NetworkProfile.NetworkPlugin) {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'networkProfile.networkPlugin' is not allowed.")
		}
	}
	npMap, _ := props["networkProfile"].(map[string]any)
	if npMap == nil {
		npMap = map[string]any{}
	}
	switch strings.ToLower(np.NetworkPlugin) {
	case "":
		np.NetworkPlugin = "kubenet"
	case "azure", "kubenet", "none":
		np.NetworkPlugin = strings.ToLower(np.NetworkPlugin)
	default:
		return invalidParam("networkProfile.networkPlugin", "The value of parameter networkProfile.networkPlugin is invalid: %s. Allowed values are azure, kubenet and none.", np.NetworkPlugin)
	}
	if np.NetworkPluginMode != "" && !strings.EqualFold(np.NetworkPluginMode, "overlay") {
		return invalidParam("networkProfile.networkPluginMode", "The value of parameter networkProfile.networkPluginMode is invalid: %s.", np.NetworkPluginMode)
	}
	if np.ServiceCidr == "" {
		np.ServiceCidr = "10.0.0.0/16"
	}
	svc, err := netip.ParsePrefix(np.ServiceCidr)
	if err != nil {
		return invalidParam("networkProfile.serviceCidr", "The value of parameter networkProfile.serviceCidr is invalid: %s.", np.ServiceCidr)
	}
	if np.DNSServiceIP == "" {
		np.DNSServiceIP = svc.Masked().Addr().Next().Next().Next().Next().Next().Next().Next().Next().Next().Next().String()
	}
	if a, err := netip.ParseAddr(np.DNSServiceIP); err != nil || !svc.Contains(a) {
		return invalidParam("networkProfile.dnsServiceIP", "The DNSServiceIP %s must be within the service CIDR %s.", np.DNSServiceIP, np.ServiceCidr)
	}
	overlay := np.NetworkPlugin == "kubenet" || strings.EqualFold(np.NetworkPluginMode, "overlay")
	if overlay && np.PodCidr == "" {
		np.PodCidr = "10.244.0.0/16"
	}
	if np.PodCidr != "" {
		if !overlay {
			return invalidParam("networkProfile.podCidr", "PodCidr can only be specified with the kubenet network plugin or Azure CNI Overlay.")
		}
		if _, err := netip.ParsePrefix(np.PodCidr); err != nil {
			return invalidParam("networkProfile.podCidr", "The value of parameter networkProfile.podCidr is invalid: %s.", np.PodCidr)
		}
		npMap["podCidr"] = np.PodCidr
		npMap["podCidrs"] = []string{np.PodCidr}
	}
	switch strings.ToLower(np.LoadBalancerSku) {
	case "":
		np.LoadBalancerSku = "standard"
	case "standard", "basic":
		np.LoadBalancerSku = strings.ToLower(np.LoadBalancerSku)
	default:
		return invalidParam("networkProfile.loadBalancerSku", "The value of parameter networkProfile.loadBalancerSku is invalid: %s.", np.LoadBalancerSku)
	}
	npMap["networkPlugin"] = np.NetworkPlugin
	npMap["serviceCidr"] = np.ServiceCidr
	npMap["serviceCidrs"] = []string{np.ServiceCidr}
	npMap["dnsServiceIP"] = np.DNSServiceIP
	npMap["loadBalancerSku"] = np.LoadBalancerSku
	npMap["ipFamilies"] = []string{"IPv4"}
	if _, ok := npMap["outboundType"]; !ok {
		npMap["outboundType"] = "loadBalancer"
	}
	props["networkProfile"] = npMap
	in.NetworkProfile = np

	// Agent pools.
	if len(in.AgentPoolProfiles) == 0 {
		return invalidParam("agentPoolProfiles", "The managed cluster must have at least one agent pool (properties.agentPoolProfiles).")
	}
	pools, _ := props["agentPoolProfiles"].([]any)
	seen := map[string]bool{}
	var nodeSubnet string
	for i := range in.AgentPoolProfiles {
		p := &in.AgentPoolProfiles[i]
		pm, _ := pools[i].(map[string]any)
		if !poolNameRE.MatchString(p.Name) {
			return invalidParam(fmt.Sprintf("agentPoolProfiles[%d].name", i),
				"The agent pool name '%s' is invalid. It must start with a lowercase letter, have at most 12 characters and contain only lowercase letters and numbers.", p.Name)
		}
		if seen[p.Name] {
			return invalidParam("agentPoolProfiles", "Agent pool name '%s' is used more than once.", p.Name)
		}
		seen[p.Name] = true
		count := intOr(p.Count, 1)
		if count < 0 || count > 1000 {
			return invalidParam(fmt.Sprintf("agentPoolProfiles[%d].count", i), "The value of parameter agentPoolProfile.count is invalid: %d. It must be between 0 and 1000.", count)
		}
		if count == 0 && (i == 0 || strings.EqualFold(p.Mode, "System")) {
			return invalidParam(fmt.Sprintf("agentPoolProfiles[%d].count", i), "System agent pool %s must have at least one node.", p.Name)
		}
		pm["count"] = count
		if p.VMSize == "" {
			pm["vmSize"] = "Standard_DS2_v2"
		}
		if p.Mode == "" {
			if i == 0 {
				pm["mode"] = "System"
			} else {
				pm["mode"] = "User"
			}
		}
		if p.OSType == "" {
			pm["osType"] = "Linux"
		}
		if p.Type == "" {
			pm["type"] = "VirtualMachineScaleSets"
		}
		maxPods := 110
		if np.NetworkPlugin == "azure" && !overlay {
			maxPods = 30
		} else if np.NetworkPlugin == "azure" {
			maxPods = 250
		}
		pm["maxPods"] = intOr(p.MaxPods, maxPods)
		pm["orchestratorVersion"] = in.KubernetesVersion
		pm["currentOrchestratorVersion"] = KubernetesVersion
		pm["nodeImageVersion"] = "AKSUbuntu-2204gen2containerd-202611.17.0"
		pm["provisioningState"] = "Succeeded"
		pm["powerState"] = map[string]any{"code": st.Power}
		if p.VnetSubnetID != "" {
			sid, err := pr.checkSubnet(ctx, op, p.VnetSubnetID, fmt.Sprintf("agentPoolProfiles[%d].vnetSubnetID", i))
			if err != nil {
				return err
			}
			if nodeSubnet == "" {
				nodeSubnet = sid
			} else if !sameVNet(nodeSubnet, sid) {
				return invalidParam("agentPoolProfiles", "All agent pools must use subnets of the same virtual network.")
			}
		} else if nodeSubnet != "" || (i > 0 && in.AgentPoolProfiles[0].VnetSubnetID != "") {
			return invalidParam(fmt.Sprintf("agentPoolProfiles[%d].vnetSubnetID", i), "All agent pools must use a custom subnet when one of them does.")
		}
		if old != nil && i < len(old.AgentPoolProfiles) && old.AgentPoolProfiles[i].Name == p.Name &&
			!arm.SameID(old.AgentPoolProfiles[i].VnetSubnetID, p.VnetSubnetID) {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'vnetSubnetID' is not allowed.")
		}
	}

	// API server access.
	ap := in.APIServerAccessProfile
	if ap == nil {
		ap = &apiServerAccessProfile{}
	}
	var oldAP *apiServerAccessProfile
	if old != nil {
		oldAP = old.APIServerAccessProfile
		if oldAP == nil {
			oldAP = &apiServerAccessProfile{}
		}
	}
	apMap, _ := props["apiServerAccessProfile"].(map[string]any)
	if apMap == nil {
		apMap = map[string]any{}
	}
	if oldAP != nil && oldAP.private() && !ap.private() {
		// Private mode turned off (VNet integration): the private DNS
		// settings the client sends back go with it.
		ap.PrivateDNSZone, ap.EnablePrivateClusterPublicFQDN = "", nil
		delete(apMap, "privateDNSZone")
		delete(apMap, "enablePrivateClusterPublicFQDN")
	}
	if err := pr.checkAccess(ctx, op, &in, ap, oldAP, nodeSubnet, region); err != nil {
		return err
	}
	if ap.private() {
		apMap["enablePrivateCluster"] = true
		if ap.PrivateDNSZone == "" {
			apMap["privateDNSZone"] = "system"
		}
		if ap.EnablePrivateClusterPublicFQDN == nil {
			apMap["enablePrivateClusterPublicFQDN"] = true
		}
	}
	if len(apMap) > 0 {
		props["apiServerAccessProfile"] = apMap
	}

	// Identity.
	idn, err := pr.resolveIdentity(ctx, op)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(idn)
	op.Body.Identity = b

	// Read-only properties.
	prefix := in.DNSPrefix
	if prefix == "" {
		prefix = in.FqdnSubdomain
	}
	props["fqdn"] = publicFQDNOf(prefix, st.Hash, region)
	props["azurePortalFQDN"] = portalFQDNOf(prefix, st.Hash, region)
	if f := privateFQDN(&in, &st, region); f != "" {
		props["privateFQDN"] = f
	}
	if ap.private() && !ap.publicFQDN() {
		delete(props, "fqdn")
	}
	if in.FqdnSubdomain != "" {
		delete(props, "fqdn")
		delete(props, "azurePortalFQDN")
	}
	props["powerState"] = map[string]any{"code": st.Power}
	props["maxAgentPools"] = 100
	if _, ok := props["enableRBAC"]; !ok {
		props["enableRBAC"] = true
	}
	props["supportPlan"] = "KubernetesOfficial"
	op.Body.SetPropertiesMap(props)

	if old == nil {
		st.Op = "create"
	} else {
		st.Op = "update"
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	op.Internal = raw
	op.State = arm.StateUpdating
	if old == nil {
		op.State = arm.StateCreating
	}
	return nil
}

func opName(op string) string {
	switch op {
	case "create":
		return "Creating"
	case "stop":
		return "Stopping"
	case "start":
		return "Starting"
	}
	return "Updating"
}

// privateFQDN is the cluster's private FQDN ("" for public clusters and
// for privateDNSZone none).
func privateFQDN(in *clusterProps, st *internalState, region string) string {
	ap := in.APIServerAccessProfile
	prefix := strings.ToLower(in.DNSPrefix)
	switch ap.zoneMode() {
	case "system":
		return prefix + "-" + st.PrivateHash + "." + systemZoneName(st, region)
	case "custom":
		zone := strings.ToLower(ap.PrivateDNSZone[strings.LastIndex(ap.PrivateDNSZone, "/")+1:])
		if in.FqdnSubdomain != "" {
			return strings.ToLower(in.FqdnSubdomain) + "." + zone
		}
		return prefix + "-" + st.PrivateHash + "." + zone
	}
	return ""
}

// checkAccess validates apiServerAccessProfile (azure-behavior.md §3; the
// CLI's messages where the service's are not documented).
func (pr *Provider) checkAccess(ctx context.Context, op *arm.PutOp, in *clusterProps, ap, oldAP *apiServerAccessProfile, nodeSubnet, region string) error {
	private := ap.private()
	if _, err := parsePrefixes(ap.AuthorizedIPRanges); err != nil {
		return invalidParam("apiServerAccessProfile.authorizedIPRanges", "The authorized IP range is invalid: %v.", err)
	}
	limit := 200
	if ap.vnetIntegration() {
		limit = 2000
	}
	if len(ap.AuthorizedIPRanges) > limit {
		return invalidParam("apiServerAccessProfile.authorizedIPRanges", "The number of authorized IP ranges %d exceeds the limit of %d.", len(ap.AuthorizedIPRanges), limit)
	}
	if private && len(ap.AuthorizedIPRanges) > 0 {
		return invalidParam("apiServerAccessProfile.authorizedIPRanges", "--api-server-authorized-ip-ranges is not supported for private cluster")
	}
	if private && in.NetworkProfile.LoadBalancerSku == "basic" {
		return invalidParam("networkProfile.loadBalancerSku", "Please use standard load balancer for private cluster")
	}
	if !private && ap.PrivateDNSZone != "" {
		return invalidParam("apiServerAccessProfile.privateDNSZone", "Invalid private dns zone for public cluster. It should always be empty for public cluster")
	}
	if !private && ap.EnablePrivateClusterPublicFQDN != nil && !*ap.EnablePrivateClusterPublicFQDN {
		return invalidParam("apiServerAccessProfile.enablePrivateClusterPublicFQDN", "--disable-public-fqdn should only be used with --enable-private-cluster")
	}
	mode := ap.zoneMode()
	if in.FqdnSubdomain != "" && mode != "custom" {
		return invalidParam("fqdnSubdomain", "--fqdn-subdomain should only be used for private cluster with custom private dns zone")
	}
	if mode == "none" && !ap.publicFQDN() {
		return invalidParam("apiServerAccessProfile.enablePrivateClusterPublicFQDN", "--disable-public-fqdn cannot be applied for none mode private dns zone cluster")
	}
	if mode == "custom" {
		zid, err := arm.ParseID(ap.PrivateDNSZone)
		if err != nil || !strings.EqualFold(zid.Type(), "Microsoft.Network/privateDnsZones") {
			return invalidParam("apiServerAccessProfile.privateDNSZone", "The private DNS zone '%s' is not valid: it must be 'system', 'none' or the resource ID of a private DNS zone.", ap.PrivateDNSZone)
		}
		m := customZoneRE.FindStringSubmatch(strings.ToLower(zid.Name()))
		if m == nil || m[3] != region {
			want := "privatelink." + region + ".azmk8s.io"
			return invalidParam("apiServerAccessProfile.privateDNSZone",
				"The private DNS zone name '%s' is invalid: it must be '%s' or '<subzone>.%s' (a subzone of at most 32 characters).", zid.Name(), want, want)
		}
		zrec, err := op.Tx.Get(ctx, zid.String())
		if err != nil {
			return err
		}
		if zrec == nil {
			return arm.BadRequest("InvalidParameter", "The private DNS zone %s does not exist.", ap.PrivateDNSZone)
		}
		if idType(op.Body.Identity) != "userassigned" {
			return invalidParam("identity", "A user-assigned identity is required for a private cluster with a custom private DNS zone.")
		}
	}
	if oldAP != nil {
		if oldAP.vnetIntegration() && !ap.vnetIntegration() {
			return invalidParam("apiServerAccessProfile.enableVnetIntegration", "API Server VNet Integration cannot be disabled once it is enabled.")
		}
		if oldAP.private() != private && !ap.vnetIntegration() {
			if private {
				return invalidParam("apiServerAccessProfile.enablePrivateCluster", "Enabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).")
			}
			return invalidParam("apiServerAccessProfile.enablePrivateCluster", "Disabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).")
		}
		if oldAP.private() && private {
			om, nm := oldAP.zoneMode(), ap.zoneMode()
			if !strings.EqualFold(oldAP.PrivateDNSZone, ap.PrivateDNSZone) && ap.PrivateDNSZone != "" && !(nm == "none" && om != "none") {
				return invalidParam("apiServerAccessProfile.privateDNSZone", "Updating privateDNSZone from %s to %s is not supported; only an update from system or a custom zone to none is.", oldAP.PrivateDNSZone, ap.PrivateDNSZone)
			}
			if ap.PrivateDNSZone == "" {
				ap.PrivateDNSZone = oldAP.PrivateDNSZone
			}
		}
		if oldAP.vnetIntegration() && ap.SubnetID == "" {
			ap.SubnetID = oldAP.SubnetID
		}
		if oldAP.vnetIntegration() && oldAP.SubnetID != "" && !arm.SameID(oldAP.SubnetID, ap.SubnetID) {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'apiServerAccessProfile.subnetId' is not allowed.")
		}
	}
	if ap.SubnetID != "" && !ap.vnetIntegration() {
		return invalidParam("apiServerAccessProfile.subnetId", "apiServerAccessProfile.subnetId can only be set when apiServerAccessProfile.enableVnetIntegration is true.")
	}
	if ap.vnetIntegration() {
		converting := oldAP != nil && !oldAP.vnetIntegration()
		if ap.SubnetID == "" && (nodeSubnet != "" || converting) {
			return invalidParam("apiServerAccessProfile.subnetId", "apiServerAccessProfile.subnetId must be specified when API Server VNet Integration is enabled on a cluster that uses a custom virtual network.")
		}
		if ap.SubnetID != "" {
			sid, err := pr.checkSubnet(ctx, op, ap.SubnetID, "apiServerAccessProfile.subnetId")
			if err != nil {
				return err
			}
			if nodeSubnet != "" && !sameVNet(sid, nodeSubnet) {
				return invalidParam("apiServerAccessProfile.subnetId", "The API server subnet %s must be in the same virtual network as the cluster's node subnet %s.", ap.SubnetID, nodeSubnet)
			}
			if nodeSubnet != "" && arm.SameID(sid, nodeSubnet) {
				return invalidParam("apiServerAccessProfile.subnetId", "The API server subnet %s cannot be the node subnet.", ap.SubnetID)
			}
			if err := pr.checkAPIServerSubnet(ctx, op, sid, converting || oldAP == nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSubnet loads a referenced subnet and returns its ID as stored.
func (pr *Provider) checkSubnet(ctx context.Context, op *arm.PutOp, id, target string) (string, error) {
	sid, err := arm.ParseID(id)
	if err != nil || !strings.EqualFold(sid.Type(), "Microsoft.Network/virtualNetworks/subnets") {
		return "", invalidParam(target, "The subnet ID '%s' is not a valid subnet resource ID.", id)
	}
	rec, err := op.Tx.Get(ctx, sid.String())
	if err != nil {
		return "", err
	}
	if rec == nil {
		return "", arm.BadRequest("InvalidParameter", "The subnet %s referenced by %s does not exist.", id, target)
	}
	return rec.Resource.ID, nil
}

// checkAPIServerSubnet applies the rules of an API server subnet: delegated
// to Microsoft.ContainerService/managedClusters, /28 or larger, no other
// workloads, room for this cluster's addresses.
func (pr *Provider) checkAPIServerSubnet(ctx context.Context, op *arm.PutOp, subnetID string, newReservation bool) error {
	rec, err := op.Tx.Get(ctx, subnetID)
	if err != nil || rec == nil {
		return err
	}
	var sp struct {
		AddressPrefix   string   `json:"addressPrefix"`
		AddressPrefixes []string `json:"addressPrefixes"`
		Delegations     []struct {
			Properties struct {
				ServiceName string `json:"serviceName"`
			} `json:"properties"`
		} `json:"delegations"`
	}
	if err := rec.Resource.DecodeProperties(&sp); err != nil {
		return err
	}
	delegated := false
	for _, d := range sp.Delegations {
		delegated = delegated || strings.EqualFold(d.Properties.ServiceName, DelegationService)
	}
	if !delegated {
		return arm.BadRequest("InvalidParameter",
			"The API server subnet %s must be delegated to %s.", subnetID, DelegationService)
	}
	pfx := sp.AddressPrefix
	if pfx == "" && len(sp.AddressPrefixes) > 0 {
		pfx = sp.AddressPrefixes[0]
	}
	p, err := netip.ParsePrefix(pfx)
	if err != nil {
		return fmt.Errorf("subnet %s has no valid prefix: %w", subnetID, err)
	}
	if p.Bits() > 28 {
		return arm.BadRequest("InvalidParameter",
			"The API server subnet %s is too small (%s): the minimum supported size is /28.", subnetID, pfx)
	}
	// What holds addresses in the subnet: NIC ip configurations, load
	// balancer frontends, private endpoints (the engine's reference index).
	refs, err := op.Tx.RefsTo(ctx, subnetID)
	if err != nil {
		return err
	}
	used := 0
	for _, r := range refs {
		src := strings.ToLower(r.Source)
		if !strings.Contains(src, "/ipconfigurations/") && !strings.Contains(src, "/frontendipconfigurations/") &&
			!strings.Contains(src, "/privateendpoints/") {
			continue
		}
		aks := strings.Contains(src, "/subscriptions/"+InfraSubscription+"/") ||
			strings.Contains(src, "/providers/microsoft.network/loadbalancers/kube-apiserver/")
		if !aks {
			return arm.BadRequest("InvalidParameter",
				"The API server subnet %s cannot be used for other workloads: it holds %s.", subnetID, r.Source)
		}
		used++
	}
	if newReservation {
		// Azure reserves 5 addresses of every subnet.
		free := (1 << (32 - p.Bits())) - 5 - used
		if free < apiServerReservedIPs {
			return arm.BadRequest("SubnetIsFull",
				"The API server subnet %s has %d free IP addresses; a cluster reserves at least %d. Use a larger subnet or one shared by fewer clusters.", subnetID, free, apiServerReservedIPs)
		}
	}
	return nil
}

func sameVNet(a, b string) bool {
	va, _, _ := strings.Cut(strings.ToLower(a), "/subnets/")
	vb, _, _ := strings.Cut(strings.ToLower(b), "/subnets/")
	return va == vb
}

func idType(raw json.RawMessage) string {
	var i identity
	_ = json.Unmarshal(raw, &i)
	return strings.ToLower(strings.ReplaceAll(i.Type, ",", ""))
}

// resolveIdentity normalises the cluster identity: SystemAssigned (the
// default) gets a principal ID; UserAssigned must name exactly one
// existing identity, whose principalId and clientId are filled in.
func (pr *Provider) resolveIdentity(ctx context.Context, op *arm.PutOp) (*identity, error) {
	var in identity
	if len(op.Body.Identity) > 0 && string(op.Body.Identity) != "null" {
		if err := json.Unmarshal(op.Body.Identity, &in); err != nil {
			return nil, arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: %v.", err)
		}
	}
	tenant := pr.platform.TenantID
	switch strings.ToLower(in.Type) {
	case "", "systemassigned":
		out := &identity{Type: "SystemAssigned", TenantID: tenant,
			PrincipalID: auth.ObjectIDForApp(tenant, "aks-system-identity:"+strings.ToLower(op.ID.String()))}
		return out, nil
	case "userassigned":
		if len(in.UserAssignedIdentities) != 1 {
			return nil, invalidParam("identity.userAssignedIdentities", "The cluster must have exactly one user-assigned identity.")
		}
		out := &identity{Type: "UserAssigned", UserAssignedIdentities: map[string]map[string]any{}}
		for id := range in.UserAssignedIdentities {
			rec, err := op.Tx.Get(ctx, id)
			if err != nil {
				return nil, err
			}
			if rec == nil {
				return nil, arm.BadRequest("InvalidParameter", "The user assigned identity %s does not exist.", id)
			}
			var p struct {
				ClientID    string `json:"clientId"`
				PrincipalID string `json:"principalId"`
			}
			_ = rec.Resource.DecodeProperties(&p)
			out.UserAssignedIdentities[rec.Resource.ID] = map[string]any{"clientId": p.ClientID, "principalId": p.PrincipalID}
		}
		return out, nil
	case "none":
		return nil, invalidParam("identity.type", "The cluster identity type None is not supported; use SystemAssigned or UserAssigned.")
	}
	return nil, invalidParam("identity.type", "The value of parameter identity.type is invalid: %s.", in.Type)
}

// identityPrincipal returns the cluster identity's principal (object) ID.
func identityPrincipal(raw json.RawMessage) string {
	var i identity
	_ = json.Unmarshal(raw, &i)
	if i.PrincipalID != "" {
		return i.PrincipalID
	}
	for _, v := range i.UserAssignedIdentities {
		if s, _ := v["principalId"].(string); s != "" {
			return s
		}
	}
	return ""
}

// patchCluster applies a PATCH (tags only, as updateTags does).
func (pr *Provider) patchCluster(_ context.Context, op *arm.PatchOp) error {
	var body struct {
		Tags map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(op.Body, &body); err != nil {
		return arm.BadRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: %v.", err)
	}
	if body.Tags != nil {
		op.Resource.Tags = body.Tags
	}
	return nil
}

// renderCluster serves the agent pools' power state with the cluster's.
func (pr *Provider) renderCluster(_ context.Context, op *arm.RenderOp) error {
	return nil
}

func conflictStopped(name string) *arm.Error {
	return arm.Errorf(http.StatusBadRequest, "OperationNotAllowed",
		"Managed cluster %s is in stopped state. Please start the cluster before running this operation.", name)
}
