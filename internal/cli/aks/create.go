package aks

import (
	"regexp"
	"strings"

	"github.com/privlink/privlink/internal/cli/arm"
	"github.com/privlink/privlink/internal/cli/core"
)

// Defaults az 2.45 applies to `aks create`.
const (
	defaultNodeCount    = "3"
	defaultNodeVMSize   = "Standard_DS2_v2"
	defaultNodepoolName = "nodepool1"
	defaultAdminUser    = "azureuser"

	privateDNSZoneSystem = "system"
	privateDNSZoneNone   = "none"
)

// vnetIntegrationOptions are both spellings seeds use for the flag (az's is
// the first; the second appears in Microsoft's documentation text).
var vnetIntegrationOptions = []string{"--enable-apiserver-vnet-integration", "--enable-api-server-vnet-integration"}

func createCommand() *core.Command {
	const (
		gNet  = "Network Arguments"
		gPriv = "Private Cluster Arguments"
		gPool = "Node Pool Arguments"
	)
	args := []*core.Arg{
		core.ResourceGroupArg(true),
		{Dest: "name", Options: []string{"--name", "-n"}, Required: true, Help: "Name of the managed cluster."},
		core.LocationArg(false),
		{Dest: "dns_name_prefix", Options: []string{"--dns-name-prefix", "-p"},
			Help: "Prefix for hostnames that are created. If not specified, generate a hostname using the managed cluster and resource group names."},
		{Dest: "kubernetes_version", Options: []string{"--kubernetes-version", "-k"},
			Help: "Version of Kubernetes to use for creating the cluster, such as \"1.16.9\". Values from: `az aks get-versions`."},
		{Dest: "node_count", Options: []string{"--node-count", "-c"}, Kind: core.Int, Default: defaultNodeCount, Group: gPool,
			Help: "Number of nodes in the Kubernetes node pool. After creating a cluster, you can change the size of its node pool with `az aks scale`."},
		{Dest: "node_vm_size", Options: []string{"--node-vm-size", "-s"}, Default: defaultNodeVMSize, Group: gPool,
			Help: "Size of Virtual Machines to create as Kubernetes nodes."},
		{Dest: "nodepool_name", Options: []string{"--nodepool-name"}, Default: defaultNodepoolName, Group: gPool,
			Help: "Node pool name, up to 12 alphanumeric characters."},
		{Dest: "max_pods", Options: []string{"--max-pods", "-m"}, Kind: core.Int, Group: gPool,
			Help: "The maximum number of pods deployable to a node."},
		{Dest: "zones", Options: []string{"--zones", "-z"}, Kind: core.List, Group: gPool,
			Help: "Space-separated list of availability zones where agent nodes will be placed."},
		{Dest: "vnet_subnet_id", Options: []string{"--vnet-subnet-id"}, Group: gNet,
			Help: "The ID of a subnet in an existing VNet into which to deploy the cluster."},
		{Dest: "network_plugin", Options: []string{"--network-plugin"}, Choices: []string{"azure", "kubenet", "none"}, Group: gNet,
			Help: "The Kubernetes network plugin to use."},
		{Dest: "network_plugin_mode", Options: []string{"--network-plugin-mode"}, Choices: []string{"overlay"}, Group: gNet,
			Help: "The network plugin mode to use."},
		{Dest: "network_policy", Options: []string{"--network-policy"}, Group: gNet,
			Help: "The Kubernetes network policy to use."},
		{Dest: "pod_cidr", Options: []string{"--pod-cidr"}, Group: gNet,
			Help: "A CIDR notation IP range from which to assign pod IPs when kubenet is used."},
		{Dest: "service_cidr", Options: []string{"--service-cidr"}, Group: gNet,
			Help: "A CIDR notation IP range from which to assign service cluster IPs."},
		{Dest: "dns_service_ip", Options: []string{"--dns-service-ip"}, Group: gNet,
			Help: "An IP address assigned to the Kubernetes DNS service."},
		{Dest: "load_balancer_sku", Options: []string{"--load-balancer-sku"}, Choices: []string{"basic", "standard"}, Group: gNet,
			Help: "Azure Load Balancer SKU selection for your cluster. basic or standard. Defaults to 'standard'."},
		{Dest: "api_server_authorized_ip_ranges", Options: []string{"--api-server-authorized-ip-ranges"},
			Help: "Comma-separated list of authorized apiserver IP ranges. Set to 0.0.0.0/32 to restrict apiserver traffic to node pools."},
		{Dest: "enable_private_cluster", Options: []string{"--enable-private-cluster"}, Kind: core.Flag, Group: gPriv,
			Help: "Enable private cluster."},
		{Dest: "private_dns_zone", Options: []string{"--private-dns-zone"}, Group: gPriv,
			Help: "Private dns zone mode for private cluster. Allowed values are \"system\", \"none\" or custom private dns zone resource id. If not set, defaults to type system. Requires --enable-private-cluster to be used."},
		{Dest: "fqdn_subdomain", Options: []string{"--fqdn-subdomain"}, Group: gPriv,
			Help: "Prefix for FQDN that is created for private cluster with custom private dns zone scenario."},
		{Dest: "enable_public_fqdn", Options: []string{"--enable-public-fqdn"}, Kind: core.Flag, Group: gPriv,
			Help: "Keep the public FQDN of a private cluster (the default; privlink accepts it on create for symmetry with `aks update`)."},
		{Dest: "disable_public_fqdn", Options: []string{"--disable-public-fqdn"}, Kind: core.Flag, Group: gPriv,
			Help: "Disable public fqdn feature for private cluster."},
		{Dest: "enable_apiserver_vnet_integration", Options: vnetIntegrationOptions, Kind: core.Flag,
			Help: "Enable integration of user vnet with control plane apiserver pods."},
		{Dest: "apiserver_subnet_id", Options: []string{"--apiserver-subnet-id"},
			Help: "The ID of a subnet in an existing VNet into which to assign control plane apiserver pods(requires --enable-apiserver-vnet-integration)."},
		{Dest: "enable_managed_identity", Options: []string{"--enable-managed-identity"}, Kind: core.Flag,
			Help: "Using a system assigned managed identity to manage cluster resource group. Managed identity is always used."},
		{Dest: "assign_identity", Options: []string{"--assign-identity"},
			Help: "Specify an existing user assigned identity for control plane's usage in order to manage cluster resource group."},
		{Dest: "node_resource_group", Options: []string{"--node-resource-group"},
			Help: "The node resource group is the resource group where all customer's resources will be created in, such as virtual machines."},
		{Dest: "disable_run_command", Options: []string{"--disable-run-command"}, Kind: core.Flag,
			Help: "Disable Run command feature for the cluster."},
		{Dest: "generate_ssh_keys", Options: []string{"--generate-ssh-keys"}, Kind: core.Flag,
			Help: "Generate SSH public and private key files if missing. The keys will be stored in the ~/.ssh directory."},
		{Dest: "ssh_key_value", Options: []string{"--ssh-key-value"},
			Help: "Public key path or key contents to install on node VMs for SSH access. For example, 'ssh-rsa AAAAB...snip...UcyupgH azureuser@linuxvm'."},
		{Dest: "no_ssh_key", Options: []string{"--no-ssh-key", "-x"}, Kind: core.Flag,
			Help: "Do not use or create a local SSH key."},
		core.TagsArg(),
		{Dest: "yes", Options: []string{"--yes", "-y"}, Kind: core.Flag, Help: "Do not prompt for confirmation."},
	}
	return &core.Command{
		Name: "create", Short: "Create a new managed Kubernetes cluster.", Args: args, NoWait: true, NoIDs: true,
		Examples: []core.Example{
			{Summary: "Create a Kubernetes cluster with an existing SSH public key.",
				Command: "az aks create -g MyResourceGroup -n MyManagedCluster --ssh-key-value /path/to/publickey"},
			{Summary: "Create a private cluster reached over Private Link.",
				Command: "az aks create -g MyResourceGroup -n MyManagedCluster --load-balancer-sku standard --enable-private-cluster"},
			{Summary: "Create a private cluster with API Server VNet Integration in your own VNet.",
				Command: "az aks create -g MyResourceGroup -n MyManagedCluster --network-plugin azure --enable-private-cluster --enable-apiserver-vnet-integration --vnet-subnet-id <cluster-subnet-id> --apiserver-subnet-id <apiserver-subnet-id> --assign-identity <identity-id>"},
		},
		Run: runCreate,
	}
}

// createOptions are the arguments of `aks create` that shape the request.
type createOptions struct {
	Name, ResourceGroup, Subscription string

	DNSNamePrefix, FQDNSubdomain, KubernetesVersion string

	NodeCount                 int
	NodeVMSize, NodepoolName  string
	MaxPods                   int
	Zones                     []string
	VnetSubnetID              string
	NetworkPlugin, PluginMode string
	NetworkPolicy             string
	PodCIDR, ServiceCIDR      string
	DNSServiceIP              string
	LoadBalancerSKU           string
	AuthorizedIPRanges        *string // nil: not given
	EnablePrivateCluster      bool
	PrivateDNSZone            string
	EnablePublicFQDN          bool
	DisablePublicFQDN         bool
	EnableVnetIntegration     bool
	APIServerSubnetID         string
	AssignIdentity            string
	NodeResourceGroup         string
	DisableRunCommand         bool
	Tags                      map[string]any
	SSHKey                    string // resolved public key ("" = no linuxProfile)
}

func optionsFromContext(c *core.Context) createOptions {
	o := createOptions{
		Name:                  c.String("name"),
		ResourceGroup:         c.String("resource_group"),
		DNSNamePrefix:         c.String("dns_name_prefix"),
		FQDNSubdomain:         c.String("fqdn_subdomain"),
		KubernetesVersion:     c.String("kubernetes_version"),
		NodeCount:             c.Int("node_count"),
		NodeVMSize:            c.String("node_vm_size"),
		NodepoolName:          c.String("nodepool_name"),
		MaxPods:               c.Int("max_pods"),
		Zones:                 c.List("zones"),
		VnetSubnetID:          c.String("vnet_subnet_id"),
		NetworkPlugin:         c.String("network_plugin"),
		PluginMode:            c.String("network_plugin_mode"),
		NetworkPolicy:         c.String("network_policy"),
		PodCIDR:               c.String("pod_cidr"),
		ServiceCIDR:           c.String("service_cidr"),
		DNSServiceIP:          c.String("dns_service_ip"),
		LoadBalancerSKU:       c.String("load_balancer_sku"),
		EnablePrivateCluster:  c.Bool("enable_private_cluster"),
		PrivateDNSZone:        c.String("private_dns_zone"),
		EnablePublicFQDN:      c.Bool("enable_public_fqdn"),
		DisablePublicFQDN:     c.Bool("disable_public_fqdn"),
		EnableVnetIntegration: c.Bool("enable_apiserver_vnet_integration"),
		APIServerSubnetID:     c.String("apiserver_subnet_id"),
		AssignIdentity:        c.String("assign_identity"),
		NodeResourceGroup:     c.String("node_resource_group"),
		DisableRunCommand:     c.Bool("disable_run_command"),
		Tags:                  c.Tags("tags"),
	}
	if c.Has("api_server_authorized_ip_ranges") {
		v := c.String("api_server_authorized_ip_ranges")
		o.AuthorizedIPRanges = &v
	}
	if o.NodepoolName == "" {
		o.NodepoolName = defaultNodepoolName
	}
	if len(o.NodepoolName) > 12 {
		o.NodepoolName = o.NodepoolName[:12] // az truncates
	}
	if o.LoadBalancerSKU == "" {
		o.LoadBalancerSKU = "standard"
	}
	return o
}

// validateArgs are az's argument validators (they run while parsing, so
// their errors are usage errors, exit 2).
func (o createOptions) validateArgs() error {
	for _, v := range []struct{ opt, val string }{
		{"--vnet-subnet-id", o.VnetSubnetID},
		{"--apiserver-subnet-id", o.APIServerSubnetID},
	} {
		if v.val != "" && !arm.IsValidResourceID(v.val) {
			return core.Usagef("%s is not a valid Azure resource ID.", v.opt)
		}
	}
	if o.AssignIdentity != "" && !arm.IsValidResourceID(o.AssignIdentity) {
		return core.Usagef("--assign-identity is not a valid Azure resource ID.")
	}
	return nil
}

// authorizedRanges is az's normalisation of --api-server-authorized-ip-ranges.
func authorizedRanges(v string) []any {
	out := []any{}
	if v == "" {
		return out
	}
	for _, r := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(r))
	}
	return out
}

func isSpecialZone(z string) bool {
	l := strings.ToLower(z)
	return l == privateDNSZoneSystem || l == privateDNSZoneNone
}

// validate is the managed cluster decorator's create-time validation (az
// 2.45 with aks-preview), in the order az reaches it. Errors exit 1.
func (o createOptions) validate() error {
	if o.DNSNamePrefix != "" && o.FQDNSubdomain != "" {
		return core.Errorf("--dns-name-prefix and --fqdn-subdomain cannot be used at same time")
	}
	hasRanges := o.AuthorizedIPRanges != nil && len(authorizedRanges(*o.AuthorizedIPRanges)) > 0
	if o.EnablePrivateCluster {
		if strings.EqualFold(o.LoadBalancerSKU, "basic") {
			return core.Errorf("Please use standard load balancer for private cluster")
		}
		if hasRanges {
			return core.Errorf("--api-server-authorized-ip-ranges is not supported for private cluster")
		}
	} else {
		if o.DisablePublicFQDN {
			return core.Errorf("--disable-public-fqdn should only be used with --enable-private-cluster")
		}
		if o.EnablePublicFQDN {
			return core.Errorf("--enable-public-fqdn should only be used with --enable-private-cluster")
		}
		if o.PrivateDNSZone != "" {
			return core.Errorf("Invalid private dns zone for public cluster. It should always be empty for public cluster")
		}
	}
	if hasRanges && strings.EqualFold(o.LoadBalancerSKU, "basic") {
		return core.Errorf("--api-server-authorized-ip-ranges can only be used with standard load balancer")
	}
	if o.EnablePublicFQDN && o.DisablePublicFQDN {
		return core.Errorf("Cannot specify '--enable-public-fqdn' and '--disable-public-fqdn' at the same time")
	}
	if o.PrivateDNSZone != "" {
		if !isSpecialZone(o.PrivateDNSZone) {
			if !arm.IsValidResourceID(o.PrivateDNSZone) {
				return core.Errorf("%s is not a valid Azure resource ID.", o.PrivateDNSZone)
			}
		} else if o.FQDNSubdomain != "" {
			return core.Errorf("--fqdn-subdomain should only be used for private cluster with custom private dns zone")
		}
		if strings.EqualFold(o.PrivateDNSZone, privateDNSZoneNone) && o.DisablePublicFQDN {
			return core.Errorf("--disable-public-fqdn cannot be applied for none mode private dns zone cluster")
		}
	}
	if o.APIServerSubnetID != "" {
		if o.VnetSubnetID == "" {
			return core.Errorf(`"--apiserver-subnet-id" requires "--vnet-subnet-id".`)
		}
		if !o.EnableVnetIntegration {
			return core.Errorf(`"--apiserver-subnet-id" requires "--enable-apiserver-vnet-integration".`)
		}
	}
	return nil
}

var dnsPrefixStrip = regexp.MustCompile(`[^A-Za-z0-9-]`)

// DefaultDNSPrefix is az's _get_default_dns_prefix:
// {name[:10]}-{rg[:16]}-{subscription[:6]}, keeping only [A-Za-z0-9-], the
// name part prefixed with "a" (and cut to 10 again) unless it starts with a
// letter.
func DefaultDNSPrefix(name, resourceGroup, subscription string) string {
	namePart := cut(dnsPrefixStrip.ReplaceAllString(name, ""), 10)
	if namePart == "" || !isASCIILetter(namePart[0]) {
		namePart = cut("a"+namePart, 10)
	}
	rgPart := cut(dnsPrefixStrip.ReplaceAllString(resourceGroup, ""), 16)
	return namePart + "-" + rgPart + "-" + cut(subscription, 6)
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// body builds the ManagedCluster PUT body az 2.45 sends.
func (o createOptions) body(location string) map[string]any {
	pool := map[string]any{
		"name":                   o.NodepoolName,
		"count":                  o.NodeCount,
		"vmSize":                 o.NodeVMSize,
		"osType":                 "Linux",
		"type":                   "VirtualMachineScaleSets",
		"mode":                   "System",
		"enableNodePublicIP":     false,
		"enableAutoScaling":      false,
		"enableEncryptionAtHost": false,
		"enableUltraSSD":         false,
		"enableFIPS":             false,
	}
	if o.KubernetesVersion != "" {
		pool["orchestratorVersion"] = o.KubernetesVersion
	}
	if o.VnetSubnetID != "" {
		pool["vnetSubnetID"] = o.VnetSubnetID
	}
	if o.MaxPods > 0 {
		pool["maxPods"] = o.MaxPods
	}
	if len(o.Zones) > 0 {
		zones := make([]any, len(o.Zones))
		for i, z := range o.Zones {
			zones[i] = z
		}
		pool["availabilityZones"] = zones
	}
	props := map[string]any{
		"agentPoolProfiles":    []any{pool},
		"addonProfiles":        map[string]any{},
		"enableRBAC":           true,
		"disableLocalAccounts": false,
		"networkProfile":       o.networkProfile(),
	}
	if o.KubernetesVersion != "" {
		props["kubernetesVersion"] = o.KubernetesVersion
	}
	if o.FQDNSubdomain != "" {
		props["fqdnSubdomain"] = o.FQDNSubdomain
	} else {
		prefix := o.DNSNamePrefix
		if prefix == "" {
			prefix = DefaultDNSPrefix(o.Name, o.ResourceGroup, o.Subscription)
		}
		props["dnsPrefix"] = prefix
	}
	if o.SSHKey != "" {
		props["linuxProfile"] = map[string]any{
			"adminUsername": defaultAdminUser,
			"ssh":           map[string]any{"publicKeys": []any{map[string]any{"keyData": o.SSHKey}}},
		}
	}
	if ap := o.accessProfile(); ap != nil {
		props["apiServerAccessProfile"] = ap
	}
	if o.NodeResourceGroup != "" {
		props["nodeResourceGroup"] = o.NodeResourceGroup
	}
	identity := map[string]any{"type": "SystemAssigned"}
	if o.AssignIdentity != "" {
		identity = map[string]any{"type": "UserAssigned", "userAssignedIdentities": map[string]any{o.AssignIdentity: map[string]any{}}}
	}
	body := map[string]any{"location": location, "identity": identity, "properties": props}
	if o.Tags != nil {
		body["tags"] = o.Tags
	}
	return body
}

// networkProfile is az's set_up_network_profile: with no network argument
// the SDK model's defaults (kubenet and its CIDRs) are sent.
func (o createOptions) networkProfile() map[string]any {
	np := map[string]any{"loadBalancerSku": strings.ToLower(o.LoadBalancerSKU), "outboundType": "loadBalancer"}
	explicit := o.NetworkPlugin != "" || o.PodCIDR != "" || o.ServiceCIDR != "" || o.DNSServiceIP != "" || o.NetworkPolicy != ""
	if explicit {
		for k, v := range map[string]string{
			"networkPlugin": o.NetworkPlugin, "podCidr": o.PodCIDR, "serviceCidr": o.ServiceCIDR,
			"dnsServiceIP": o.DNSServiceIP, "networkPolicy": o.NetworkPolicy,
		} {
			if v != "" {
				np[k] = v
			}
		}
	} else {
		np["networkPlugin"] = "kubenet"
		np["podCidr"] = "10.244.0.0/16"
		np["serviceCidr"] = "10.0.0.0/16"
		np["dnsServiceIP"] = "10.0.0.10"
		np["dockerBridgeCidr"] = "172.17.0.1/16"
	}
	if o.PluginMode != "" {
		np["networkPluginMode"] = o.PluginMode
	}
	return np
}

// accessProfile is az's set_up_api_server_access_profile (core plus
// aks-preview's VNet integration).
func (o createOptions) accessProfile() map[string]any {
	var ap map[string]any
	ranges := []any{}
	if o.AuthorizedIPRanges != nil {
		ranges = authorizedRanges(*o.AuthorizedIPRanges)
	}
	if len(ranges) > 0 || o.EnablePrivateCluster {
		ap = map[string]any{"authorizedIPRanges": ranges}
		if o.EnablePrivateCluster {
			ap["enablePrivateCluster"] = true
			if o.DisablePublicFQDN {
				ap["enablePrivateClusterPublicFQDN"] = false
			}
			if o.EnablePublicFQDN {
				ap["enablePrivateClusterPublicFQDN"] = true
			}
			if o.PrivateDNSZone != "" {
				z := o.PrivateDNSZone
				if isSpecialZone(z) {
					z = strings.ToLower(z)
				}
				ap["privateDNSZone"] = z
			}
		}
	}
	ensure := func() {
		if ap == nil {
			ap = map[string]any{}
		}
	}
	if o.EnableVnetIntegration {
		ensure()
		ap["enableVnetIntegration"] = true
	}
	if o.APIServerSubnetID != "" {
		ensure()
		ap["subnetId"] = o.APIServerSubnetID
	}
	if o.DisableRunCommand {
		ensure()
		ap["disableRunCommand"] = true
	}
	return ap
}

func runCreate(c *core.Context) (any, error) {
	o := optionsFromContext(c)
	if err := o.validateArgs(); err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	key, err := createSSHKey(c)
	if err != nil {
		return nil, err
	}
	o.SSHKey = key
	sub, err := c.SubscriptionID()
	if err != nil {
		return nil, err
	}
	o.Subscription = sub
	loc, err := c.Location("location", "resource_group")
	if err != nil {
		return nil, err
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), ClusterType.Path(sub, o.ResourceGroup, o.Name), APIVersion, o.body(loc), c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	if m, ok := res.(map[string]any); ok {
		return ShapeCluster(m), nil
	}
	return res, nil
}
