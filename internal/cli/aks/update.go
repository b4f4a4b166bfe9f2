package aks

import (
	"fmt"
	"strings"

	"github.com/privlink/privlink/internal/cli/core"
)

// updateArgs are `aks update`'s own arguments, in az's parameter order (the
// order of the "Please specify one or more of ..." message).
func updateArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "api_server_authorized_ip_ranges", Options: []string{"--api-server-authorized-ip-ranges"},
			Help: "Comma-separated list of authorized apiserver IP ranges. Set to \"\" to allow all traffic on a previously restricted cluster. Set to 0.0.0.0/32 to restrict apiserver traffic to node pools."},
		{Dest: "enable_public_fqdn", Options: []string{"--enable-public-fqdn"}, Kind: core.Flag,
			Help: "Enable public fqdn feature for private cluster."},
		{Dest: "disable_public_fqdn", Options: []string{"--disable-public-fqdn"}, Kind: core.Flag,
			Help: "Disable public fqdn feature for private cluster."},
		{Dest: "private_dns_zone", Options: []string{"--private-dns-zone"},
			Help: "The private dns zone mode for private cluster."},
		{Dest: "enable_apiserver_vnet_integration", Options: vnetIntegrationOptions, Kind: core.Flag,
			Help: "Enable integration of user vnet with control plane apiserver pods."},
		{Dest: "apiserver_subnet_id", Options: []string{"--apiserver-subnet-id"},
			Help: "The ID of a subnet in an existing VNet into which to assign control plane apiserver pods(requires --enable-apiserver-vnet-integration)."},
		{Dest: "enable_private_cluster", Options: []string{"--enable-private-cluster"}, Kind: core.Flag,
			Help: "Enable private cluster for apiserver vnet integration cluster."},
		{Dest: "disable_private_cluster", Options: []string{"--disable-private-cluster"}, Kind: core.Flag,
			Help: "Disable private cluster for apiserver vnet integration cluster."},
		{Dest: "enable_run_command", Options: []string{"--enable-run-command"}, Kind: core.Flag,
			Help: "Enable Run command feature for the cluster."},
		{Dest: "disable_run_command", Options: []string{"--disable-run-command"}, Kind: core.Flag,
			Help: "Disable Run command feature for the cluster."},
		core.TagsArg(),
		{Dest: "yes", Options: []string{"--yes", "-y"}, Kind: core.Flag, Help: "Do not prompt for confirmation."},
	}
}

func updateCommand(r *core.Resource) *core.Command {
	extra := updateArgs()
	return &core.Command{
		Name: "update", Short: "Update a managed Kubernetes cluster.", NoWait: true,
		Args: append(r.Args(true), extra...),
		Examples: []core.Example{
			{Summary: "Convert an existing cluster to API Server VNet Integration.",
				Command: "az aks update -g MyResourceGroup -n MyManagedCluster --enable-apiserver-vnet-integration --apiserver-subnet-id <apiserver-subnet-id>"},
			{Summary: "Enable private cluster mode on an API Server VNet Integration cluster.",
				Command: "az aks update -g MyResourceGroup -n MyManagedCluster --enable-private-cluster"},
			{Summary: "Restrict apiserver traffic in a cluster to agentpool nodes.",
				Command: "az aks update -g MyResourceGroup -n MyManagedCluster --api-server-authorized-ip-ranges 0.0.0.0/32"},
			{Summary: "Disable authorized IP ranges for apiserver traffic.",
				Command: "az aks update -g MyResourceGroup -n MyManagedCluster --api-server-authorized-ip-ranges \"\""},
		},
		Run: func(c *core.Context) (any, error) { return runUpdate(c, extra) },
	}
}

// updateRequest is what the user asked `aks update` to change.
type updateRequest struct {
	AuthorizedIPRanges    *string
	EnablePublicFQDN      bool
	DisablePublicFQDN     bool
	PrivateDNSZone        string
	EnableVnetIntegration bool
	APIServerSubnetID     string
	EnablePrivateCluster  bool
	DisablePrivateCluster bool
	EnableRunCommand      bool
	DisableRunCommand     bool
	Tags                  map[string]any
}

func updateRequestFrom(c *core.Context) updateRequest {
	u := updateRequest{
		EnablePublicFQDN:      c.Bool("enable_public_fqdn"),
		DisablePublicFQDN:     c.Bool("disable_public_fqdn"),
		PrivateDNSZone:        c.String("private_dns_zone"),
		EnableVnetIntegration: c.Bool("enable_apiserver_vnet_integration"),
		APIServerSubnetID:     c.String("apiserver_subnet_id"),
		EnablePrivateCluster:  c.Bool("enable_private_cluster"),
		DisablePrivateCluster: c.Bool("disable_private_cluster"),
		EnableRunCommand:      c.Bool("enable_run_command"),
		DisableRunCommand:     c.Bool("disable_run_command"),
		Tags:                  c.Tags("tags"),
	}
	if c.Has("api_server_authorized_ip_ranges") {
		v := c.String("api_server_authorized_ip_ranges")
		u.AuthorizedIPRanges = &v
	}
	return u
}

// noUpdateError is az's check_raw_parameters: with no argument besides the
// cluster's name and group (and an empty value counting as not given, except
// for --api-server-authorized-ip-ranges "" which clears), nothing is sent.
func noUpdateError(c *core.Context, extra []*core.Arg) error {
	for _, a := range extra {
		d := argDest(a)
		if !c.Has(d) {
			continue
		}
		if a.Kind == core.Flag || d == "api_server_authorized_ip_ranges" || d == "tags" || c.String(d) != "" {
			return nil
		}
	}
	if c.NoWait() {
		return nil
	}
	names := make([]string, 0, len(extra)+1)
	for _, a := range extra {
		names = append(names, `"`+a.Options[0]+`"`)
	}
	names = append(names, `"--no-wait"`)
	return core.Errorf("Please specify one or more of %s.", strings.Join(names, " or "))
}

func argDest(a *core.Arg) string {
	if a.Dest != "" {
		return a.Dest
	}
	return strings.ReplaceAll(strings.TrimPrefix(a.Options[0], "--"), "-", "_")
}

// validate is the update decorator's validation against the current cluster
// (az 2.45 with aks-preview). Errors exit 1.
func (u updateRequest) validate(mc map[string]any) error {
	ap := accessProfile(mc)
	if u.EnableRunCommand && u.DisableRunCommand {
		return core.Errorf("Cannot specify --enable-run-command and --disable-run-command at the same time.")
	}
	if u.EnablePublicFQDN && u.DisablePublicFQDN {
		return core.Errorf("Cannot specify '--enable-public-fqdn' and '--disable-public-fqdn' at the same time")
	}
	if u.EnablePrivateCluster && u.DisablePrivateCluster {
		return core.Errorf("Cannot specify --enable-private-cluster and --disable-private-cluster at the same time.")
	}
	if u.DisablePublicFQDN {
		current, _ := ap["privateDNSZone"].(string)
		if strings.EqualFold(u.PrivateDNSZone, privateDNSZoneNone) || strings.EqualFold(current, privateDNSZoneNone) {
			return core.Errorf("--disable-public-fqdn cannot be applied for none mode private dns zone cluster")
		}
	}
	vnetIntegrated := isVnetIntegrationCluster(mc)
	if u.APIServerSubnetID != "" && !u.EnableVnetIntegration {
		return core.Errorf(`"--apiserver-subnet-id" requires "--enable-apiserver-vnet-integration".`)
	}
	if u.EnableVnetIntegration && !vnetIntegrated && u.APIServerSubnetID == "" {
		return core.Errorf("--apiserver-subnet-id is required for update with --enable-apiserver-vnet-integration.")
	}
	hasRanges := u.AuthorizedIPRanges != nil && len(authorizedRanges(*u.AuthorizedIPRanges)) > 0
	if isPrivateCluster(mc) || u.EnablePrivateCluster {
		if hasRanges {
			return core.Errorf("--api-server-authorized-ip-ranges is not supported for private cluster")
		}
	} else {
		if u.DisablePublicFQDN {
			return core.Errorf("--disable-public-fqdn can only be used for private cluster")
		}
		if u.EnablePublicFQDN {
			return core.Errorf("--enable-public-fqdn can only be used for private cluster")
		}
	}
	if u.EnablePrivateCluster && !u.EnableVnetIntegration && !vnetIntegrated {
		return core.Errorf("Enabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).")
	}
	if u.DisablePrivateCluster {
		if u.DisablePublicFQDN {
			return core.Errorf("--disable-public-fqdn can only be used for private cluster")
		}
		if u.EnablePublicFQDN {
			return core.Errorf("--enable-public-fqdn can only be used for private cluster")
		}
		if !u.EnableVnetIntegration && !vnetIntegrated {
			return core.Errorf("Disabling private cluster requires enabling apiserver vnet integration(--enable-apiserver-vnet-integration).")
		}
	}
	return nil
}

// apply changes the raw cluster body the way the update decorator changes
// the SDK model.
func (u updateRequest) apply(mc map[string]any) {
	props, _ := mc["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		mc["properties"] = props
	}
	ap, _ := props["apiServerAccessProfile"].(map[string]any)
	hadProfile := ap != nil
	if ap == nil {
		ap = map[string]any{}
	}
	if u.AuthorizedIPRanges != nil {
		ap["authorizedIPRanges"] = authorizedRanges(*u.AuthorizedIPRanges)
	}
	if u.DisablePublicFQDN {
		ap["enablePrivateClusterPublicFQDN"] = false
	}
	if u.EnablePublicFQDN {
		ap["enablePrivateClusterPublicFQDN"] = true
	}
	if u.EnableVnetIntegration {
		ap["enableVnetIntegration"] = true
	}
	if u.APIServerSubnetID != "" {
		ap["subnetId"] = u.APIServerSubnetID
	}
	if u.EnablePrivateCluster {
		ap["enablePrivateCluster"] = true
	}
	if u.DisablePrivateCluster {
		ap["enablePrivateCluster"] = false
	}
	if u.PrivateDNSZone != "" {
		z := u.PrivateDNSZone
		if isSpecialZone(z) {
			z = strings.ToLower(z)
		}
		ap["privateDNSZone"] = z
	}
	if u.EnableRunCommand {
		ap["disableRunCommand"] = false
	}
	if u.DisableRunCommand {
		ap["disableRunCommand"] = true
	}
	if hadProfile || len(ap) > 0 {
		props["apiServerAccessProfile"] = ap
	}
	if u.Tags != nil {
		mc["tags"] = u.Tags
	}
}

// readOnly lists what the Python SDK does not serialize in a PUT
// (read-only model attributes), so az's read-modify-write omits them.
var (
	readOnlyTop   = []string{"id", "name", "type", "systemData"}
	readOnlyProps = []string{"provisioningState", "powerState", "maxAgentPools", "fqdn", "azurePortalFQDN",
		"privateFQDN", "currentKubernetesVersion"}
	readOnlyPool     = []string{"provisioningState", "currentOrchestratorVersion", "nodeImageVersion"}
	readOnlyIdentity = []string{"principalId", "tenantId"}
)

// stripReadOnly removes read-only attributes from a raw cluster body.
func stripReadOnly(mc map[string]any) {
	for _, k := range readOnlyTop {
		delete(mc, k)
	}
	if id, ok := mc["identity"].(map[string]any); ok {
		for _, k := range readOnlyIdentity {
			delete(id, k)
		}
	}
	props, _ := mc["properties"].(map[string]any)
	for _, k := range readOnlyProps {
		delete(props, k)
	}
	pools, _ := props["agentPoolProfiles"].([]any)
	for _, p := range pools {
		if pm, ok := p.(map[string]any); ok {
			for _, k := range readOnlyPool {
				delete(pm, k)
			}
		}
	}
}

func runUpdate(c *core.Context, extra []*core.Arg) (any, error) {
	if err := noUpdateError(c, extra); err != nil {
		return nil, err
	}
	u := updateRequestFrom(c)
	if u.APIServerSubnetID != "" {
		if err := (createOptions{APIServerSubnetID: u.APIServerSubnetID}).validateArgs(); err != nil {
			return nil, err
		}
	}
	mc, err := getCluster(c)
	if err != nil {
		return nil, err
	}
	if err := u.validate(mc); err != nil {
		return nil, err
	}
	u.apply(mc)
	stripReadOnly(mc)
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	p, err := clusterPath(c)
	if err != nil {
		return nil, err
	}
	res, err := client.Put(c.Context(), p, APIVersion, mc, c.NoWait())
	if err != nil || res == nil {
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("unexpected managed cluster body %T", res)
	}
	return ShapeCluster(m), nil
}
