package containerservice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Resource types and constants.
const (
	Namespace          = "Microsoft.ContainerService"
	ClusterType        = Namespace + "/managedClusters"
	AgentPoolType      = ClusterType + "/agentPools"
	CommandResultsPath = "commandResults"

	// KubernetesVersion is the one Kubernetes release privlink embeds;
	// every cluster runs it (see doc.go).
	KubernetesVersion = "1.37.1"

	// DelegationService is the service API server subnets are delegated to.
	DelegationService = "Microsoft.ContainerService/managedClusters"

	// apiServerReservedIPs is how many addresses a VNet-integrated cluster
	// takes in the API server subnet (azure-behavior.md §3: "at least 9").
	apiServerReservedIPs = 9

	// Defaults of the managed VNet (what AKS creates in the node resource
	// group when no --vnet-subnet-id is given).
	managedVNetPrefix      = "10.224.0.0/12"
	managedSubnetPrefix    = "10.224.0.0/16"
	managedAPIServerPrefix = "10.225.0.0/28"

	// The hidden control-plane network (one per non-VNet-integrated
	// cluster, in the infrastructure subscription).
	hcpVNetPrefix   = "10.255.0.0/24"
	hcpSubnetPrefix = "10.255.0.0/26"
)

// APIVersions are the managedClusters api-versions accepted: the stable
// versions from the Debian azure-cli 2.45's 2022-11-01 to 2025-10-01
// (the Azure SDK for Go armcontainerservice v6.6.0 sends 2025-02-01).
var APIVersions = []string{
	"2022-09-01", "2022-11-01", "2023-01-01", "2023-02-01", "2023-03-01", "2023-04-01", "2023-05-01",
	"2023-06-01", "2023-07-01", "2023-08-01", "2023-09-01", "2023-10-01", "2023-11-01", "2024-01-01",
	"2024-02-01", "2024-05-01", "2024-07-01", "2024-08-01", "2024-09-01", "2024-10-01", "2025-01-01",
	"2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01",
	"2025-09-01", "2025-10-01",
}

// InfraSubscription is the Microsoft-owned subscription that holds every
// cluster's hidden control-plane resources (the API server host, its
// network, load balancer and private link service). Users never see it in
// their own subscription; the data plane and Network Watcher name it.
var InfraSubscription = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/aks-control-plane")).String()

// clusterProps is the part of properties the provider reads. The stored
// properties are the request's, with read-only fields set (see put).
type clusterProps struct {
	KubernetesVersion      string                  `json:"kubernetesVersion"`
	DNSPrefix              string                  `json:"dnsPrefix"`
	FqdnSubdomain          string                  `json:"fqdnSubdomain"`
	AgentPoolProfiles      []agentPoolProfile      `json:"agentPoolProfiles"`
	NetworkProfile         *networkProfile         `json:"networkProfile"`
	APIServerAccessProfile *apiServerAccessProfile `json:"apiServerAccessProfile"`
	NodeResourceGroup      string                  `json:"nodeResourceGroup"`
	LinuxProfile           json.RawMessage         `json:"linuxProfile"`
}

type agentPoolProfile struct {
	Name         string `json:"name"`
	Count        *int   `json:"count"`
	VMSize       string `json:"vmSize"`
	VnetSubnetID string `json:"vnetSubnetID"`
	MaxPods      *int   `json:"maxPods"`
	Mode         string `json:"mode"`
	OSType       string `json:"osType"`
	Type         string `json:"type"`
}

type networkProfile struct {
	NetworkPlugin     string `json:"networkPlugin"`
	NetworkPluginMode string `json:"networkPluginMode"`
	PodCidr           string `json:"podCidr"`
	ServiceCidr       string `json:"serviceCidr"`
	DNSServiceIP      string `json:"dnsServiceIP"`
	LoadBalancerSku   string `json:"loadBalancerSku"`
}

type apiServerAccessProfile struct {
	AuthorizedIPRanges             []string `json:"authorizedIPRanges"`
	EnablePrivateCluster           *bool    `json:"enablePrivateCluster"`
	PrivateDNSZone                 string   `json:"privateDNSZone"`
	EnablePrivateClusterPublicFQDN *bool    `json:"enablePrivateClusterPublicFQDN"`
	DisableRunCommand              *bool    `json:"disableRunCommand"`
	EnableVnetIntegration          *bool    `json:"enableVnetIntegration"`
	SubnetID                       string   `json:"subnetId"`
}

type identity struct {
	Type                   string                    `json:"type"`
	PrincipalID            string                    `json:"principalId,omitempty"`
	TenantID               string                    `json:"tenantId,omitempty"`
	UserAssignedIdentities map[string]map[string]any `json:"userAssignedIdentities,omitempty"`
}

func (a *apiServerAccessProfile) private() bool {
	return a != nil && a.EnablePrivateCluster != nil && *a.EnablePrivateCluster
}

func (a *apiServerAccessProfile) vnetIntegration() bool {
	return a != nil && a.EnableVnetIntegration != nil && *a.EnableVnetIntegration
}

func (a *apiServerAccessProfile) runCommandDisabled() bool {
	return a != nil && a.DisableRunCommand != nil && *a.DisableRunCommand
}

// zoneMode is "system", "none" or "custom" ("" for public clusters).
func (a *apiServerAccessProfile) zoneMode() string {
	if !a.private() {
		return ""
	}
	switch strings.ToLower(a.PrivateDNSZone) {
	case "", "system":
		return "system"
	case "none":
		return "none"
	}
	return "custom"
}

// publicFQDN reports whether a private cluster keeps its public FQDN
// (enablePrivateClusterPublicFQDN, true unless disabled).
func (a *apiServerAccessProfile) publicFQDN() bool {
	return a.EnablePrivateClusterPublicFQDN == nil || *a.EnablePrivateClusterPublicFQDN
}

// internalState is the provider's private state of a cluster.
type internalState struct {
	// PublicRecords are read by the fabric: names in the emulated public
	// DNS (fabric.PublicRecordsInternal).
	PublicRecords map[string]string `json:"publicRecords,omitempty"`

	GUID        string `json:"guid"`        // cluster GUID: kube key, hidden resource group
	Hash        string `json:"hash"`        // 8 hex of the public and portal FQDNs
	PrivateHash string `json:"privateHash"` // 8 hex of the system private FQDN
	ZoneGUID    string `json:"zoneGuid"`    // GUID label of the system private zone
	NodeNumber  string `json:"nodeNumber"`  // the 8 digits in node and VNet names

	// Power is "Running" or "Stopped" (desired); Op is the operation in
	// progress ("" when none): create, update, stop, start.
	Power string `json:"power"`
	Op    string `json:"op,omitempty"`

	// Realised network facts.
	NodeSubnet      string   `json:"nodeSubnet,omitempty"`
	APIServerSubnet string   `json:"apiServerSubnet,omitempty"`
	HostIP          string   `json:"hostIP,omitempty"`    // the API server host's address
	PublicIP        string   `json:"publicIP,omitempty"`  // its public IP (public mode)
	PrivateIP       string   `json:"privateIP,omitempty"` // endpoint IP or ILB frontend IP
	Nodes           []node   `json:"nodes,omitempty"`
	SANs            []string `json:"sans,omitempty"`
	// PLSGeneration counts recreations of the control plane's private
	// link service (every start of a stopped private cluster).
	PLSGeneration int `json:"plsGeneration,omitempty"`
}

type node struct {
	Name string `json:"name"`
	Pool string `json:"pool"`
	VMID string `json:"vmId"`
	IP   string `json:"ip"`
	// PodIPs are the node-subnet addresses preallocated for its pods
	// (Azure CNI without overlay: the NIC's secondary ip configurations).
	PodIPs []string `json:"podIPs,omitempty"`
}

// newInternal draws the random parts of a new cluster's names.
func newInternal() internalState {
	g := uuid.New()
	rnd := sha256.Sum256([]byte(g.String()))
	n := uint32(rnd[8])<<24 | uint32(rnd[9])<<16 | uint32(rnd[10])<<8 | uint32(rnd[11])
	return internalState{
		GUID:        g.String(),
		Hash:        hex.EncodeToString(rnd[:4]),
		PrivateHash: hex.EncodeToString(rnd[4:8]),
		ZoneGUID:    uuid.NewSHA1(g, []byte("zone")).String(),
		NodeNumber:  fmt.Sprintf("%08d", n%100000000),
		Power:       "Running",
	}
}

// Names and formats (azure-behavior.md §3).

func publicFQDNOf(prefix, hash, region string) string {
	return strings.ToLower(prefix) + "-" + hash + ".hcp." + region + ".azmk8s.io"
}

func portalFQDNOf(prefix, hash, region string) string {
	return strings.ToLower(prefix) + "-" + hash + ".portal.hcp." + region + ".azmk8s.io"
}

// systemZoneName is the private zone a system-mode private cluster gets:
// "<guid>.privatelink.<region>.azmk8s.io", for VNet-integrated clusters
// too (Azure's label for those is unconfirmed; one name keeps the
// hostname when a cluster is converted).
func systemZoneName(st *internalState, region string) string {
	return st.ZoneGUID + ".privatelink." + region + ".azmk8s.io"
}

var (
	clusterNameRE   = regexp.MustCompile(`^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$`)
	dnsPrefixRE     = regexp.MustCompile(`^[a-zA-Z0-9]$|^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$`)
	poolNameRE      = regexp.MustCompile(`^[a-z][a-z0-9]{0,11}$`)
	customZoneRE    = regexp.MustCompile(`^(?:([a-z0-9-]{1,32})\.)?(privatelink|private)\.([a-z0-9]+)\.azmk8s\.io$`)
	kubeVersionRE   = regexp.MustCompile(`^1\.37(\.[01])?$`)
	fqdnSubdomainRE = regexp.MustCompile(`^[a-zA-Z0-9][-a-zA-Z0-9]{0,52}[a-zA-Z0-9]$`)
)

// parsePrefixes parses CIDRs or single addresses (authorized IP ranges).
func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a valid IP address or CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func intOr(p *int, d int) int {
	if p == nil {
		return d
	}
	return *p
}
