package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/providers/kubernetes"
)

// Where a connected cluster's agents run.
//
// clusterPosition maps the API server URL the agents were installed
// through (properties.privlinkKubeApiServer, written by `az connectedk8s
// connect`) to the fabric host the agents run on. Today it knows the AKS
// clusters privlink runs: the URL's host is the cluster's fqdn,
// privateFQDN or azurePortalFQDN, and the agents run on the cluster's
// first node VM. Other kinds of clusters (an on-premises site's cluster,
// a fabric host of Kind KindOnPrem) plug in through arcPositionSources:
// a source returns the host ID and, when privlink runs that cluster's API
// server, a REST config to verify the agents' objects.

// arcPositionSource finds a cluster by its API server URL.
type arcPositionSource func(ctx context.Context, d *Daemon, server *url.URL) (hostID string, kube *rest.Config, ok bool)

// arcPositionSources are consulted in order.
var arcPositionSources = []arcPositionSource{aksPosition, onpremPosition}

// clusterPosition is the host the agents of the cluster at server run on.
func (d *Daemon) clusterPosition(ctx context.Context, server string) (hostID string, kube *rest.Config, ok bool) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", nil, false
	}
	for _, src := range arcPositionSources {
		if h, k, ok := src(ctx, d, u); ok {
			return h, k, true
		}
	}
	return "", nil, false
}

func (r *arcRuntime) arcPositions(ctx context.Context, server string) (string, bool) {
	h, _, ok := r.d.clusterPosition(ctx, server)
	return h, ok
}

// aksPosition finds an AKS cluster by one of its API server names.
func aksPosition(ctx context.Context, d *Daemon, u *url.URL) (string, *rest.Config, bool) {
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return "", nil, false
	}
	recs, err := d.Platform.Engine.ListRecords(ctx, "", "Microsoft.ContainerService/managedClusters")
	if err != nil {
		return "", nil, false
	}
	for _, rec := range recs {
		m := rec.Resource.PropertiesMap()
		match := false
		for _, k := range []string{"fqdn", "privateFQDN", "azurePortalFQDN"} {
			if strings.EqualFold(arm.DigString(m, k), host) {
				match = true
			}
		}
		if !match {
			continue
		}
		var st struct {
			GUID  string `json:"guid"`
			Nodes []struct {
				VMID string `json:"vmId"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal(rec.Internal, &st); err != nil || len(st.Nodes) == 0 || st.Nodes[0].VMID == "" {
			continue
		}
		var cfg *rest.Config
		if d.kube != nil {
			if c := d.kube.Get(st.GUID); c != nil {
				cfg = c.RESTConfig()
			}
		}
		return strings.ToLower(st.Nodes[0].VMID), cfg, true
	}
	return "", nil, false
}

// clusterInfo verifies the agents' objects in a cluster privlink runs
// and reads what the agents report (Kubernetes version, nodes, cores).
// For clusters privlink cannot look into, the agents are taken as
// installed.
func (r *arcRuntime) clusterInfo(ctx context.Context, server, clusterID string) (kubernetes.Connectivity, bool, string) {
	_, cfg, ok := r.d.clusterPosition(ctx, server)
	if !ok || cfg == nil {
		return kubernetes.Connectivity{}, true, ""
	}
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		return kubernetes.Connectivity{}, false, fmt.Sprintf("cannot reach the cluster's API server: %v", err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ArcNamespace).Get(ctx, ArcConfigMap, metav1.GetOptions{})
	if err != nil {
		return kubernetes.Connectivity{}, false, fmt.Sprintf("the Arc agents are not installed in the cluster at %s: config map %s/%s: %v (run az connectedk8s connect)", server, ArcNamespace, ArcConfigMap, err)
	}
	id, err := arm.ParseID(clusterID)
	if err == nil && (!strings.EqualFold(cm.Data["AZURE_RESOURCE_NAME"], id.Name()) ||
		!strings.EqualFold(cm.Data["AZURE_RESOURCE_GROUP"], id.ResourceGroup) ||
		!strings.EqualFold(cm.Data["AZURE_SUBSCRIPTION_ID"], id.Subscription)) {
		return kubernetes.Connectivity{}, false, fmt.Sprintf("the Arc agents in the cluster at %s belong to connected cluster %s/%s/%s, not %s",
			server, cm.Data["AZURE_SUBSCRIPTION_ID"], cm.Data["AZURE_RESOURCE_GROUP"], cm.Data["AZURE_RESOURCE_NAME"], clusterID)
	}
	var info kubernetes.Connectivity
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		info.KubernetesVersion = strings.TrimPrefix(v.GitVersion, "v")
	}
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		info.TotalNodeCount = len(nodes.Items)
		for _, n := range nodes.Items {
			if c, ok := n.Status.Capacity["cpu"]; ok {
				info.TotalCoreCount += int(c.Value())
			}
		}
	}
	return info, true, ""
}

// The agents' objects `az connectedk8s connect` installs (the names of
// Azure's azure-arc Helm chart).
const (
	ArcNamespace = "azure-arc"
	ArcConfigMap = "azure-clusterconfig"
)
