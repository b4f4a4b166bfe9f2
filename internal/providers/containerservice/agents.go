package containerservice

import (
	"context"
	"net/netip"
	"strings"
	"sync"

	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/kube/cloudprovider"
	"github.com/privlink/privlink/internal/kube/nodeagent"
)

// clusterAgents are what runs inside a cluster besides its control plane:
// the node agent (pods as stand-in servers, node ports) and the Azure
// cloud provider (Services of type LoadBalancer, private link services).
type clusterAgents struct {
	mu    sync.Mutex
	nodes []node // the cluster's node machines, as last realised
	na    *nodeagent.Agent
	cp    *cloudprovider.Provider
}

func (a *clusterAgents) snapshot() []node {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]node(nil), a.nodes...)
}

// startAgents starts (once) or refreshes the in-cluster agents of a
// running cluster.
func (e *env) startAgents(c *kube.Cluster) error {
	pr := e.pr
	pr.mu.Lock()
	if pr.agents == nil {
		pr.agents = map[string]*clusterAgents{}
	}
	a := pr.agents[e.st.GUID]
	if a == nil {
		a = &clusterAgents{}
		pr.agents[e.st.GUID] = a
	}
	pr.mu.Unlock()
	a.mu.Lock()
	a.nodes = append([]node(nil), e.st.Nodes...)
	running := a.na != nil
	a.mu.Unlock()
	if running {
		return nil
	}
	nrg := e.nodeRG()
	sub := e.sub
	naNodes := func() []nodeagent.Node {
		var out []nodeagent.Node
		for _, n := range a.snapshot() {
			nn := nodeagent.Node{Name: n.Name, VMID: n.VMID}
			for _, ip := range n.PodIPs {
				if p, err := netip.ParseAddr(ip); err == nil {
					nn.PodIPs = append(nn.PodIPs, p)
				}
			}
			out = append(out, nn)
		}
		return out
	}
	cpNodes := func() []cloudprovider.Node {
		var out []cloudprovider.Node
		for _, n := range a.snapshot() {
			out = append(out, cloudprovider.Node{Name: n.Name,
				NICID: resPath(sub, nrg, "Microsoft.Network/networkInterfaces", n.Name+"-nic"), IPConfig: "ipconfig1"})
		}
		return out
	}
	ctx := context.WithoutCancel(e.ctx)
	na, err := nodeagent.Start(ctx, nodeagent.Config{Kube: c.RESTConfig(), ARM: pr.ARM, Nodes: naNodes, Env: pr.HostEnv,
		Log: pr.Log.With("cluster", e.name, "component", "nodeagent")})
	if err != nil {
		return err
	}
	cp, err := cloudprovider.Start(ctx, cloudprovider.Config{
		// AKS runs cloud-provider-azure with the cluster name "kubernetes".
		ClusterName: "kubernetes", Subscription: sub, NodeResourceGroup: nrg, Region: e.region,
		NodeSubnetID: e.st.NodeSubnet, VNetID: vnetOf(e.st.NodeSubnet), ARM: pr.ARM, Kube: c.RESTConfig(),
		Nodes: cpNodes, Log: pr.Log.With("cluster", e.name, "component", "cloudprovider"),
	})
	if err != nil {
		na.Stop()
		return err
	}
	a.mu.Lock()
	a.na, a.cp = na, cp
	a.mu.Unlock()
	return nil
}

// stopAgents stops a cluster's agents (stop, delete).
func (pr *Provider) stopAgents(guid string) {
	pr.mu.Lock()
	a := pr.agents[strings.ToLower(guid)]
	if a == nil {
		a = pr.agents[guid]
	}
	delete(pr.agents, guid)
	pr.mu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	na, cp := a.na, a.cp
	a.na, a.cp = nil, nil
	a.mu.Unlock()
	if cp != nil {
		cp.Stop()
	}
	if na != nil {
		na.Stop()
	}
}

// stopAllAgents stops every cluster's agents (daemon shutdown).
func (pr *Provider) stopAllAgents() {
	pr.mu.Lock()
	keys := make([]string, 0, len(pr.agents))
	for k := range pr.agents {
		keys = append(keys, k)
	}
	pr.mu.Unlock()
	for _, k := range keys {
		pr.stopAgents(k)
	}
}
