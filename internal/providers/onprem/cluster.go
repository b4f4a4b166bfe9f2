package onprem

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/kube"
	"github.com/privlink/privlink/internal/kube/nodeagent"
)

// On-premises Kubernetes clusters: Privlink.OnPrem/sites/kubernetesClusters.
//
// A cluster runs on site hosts: the ones named in nodeHosts, or nodeCount
// hosts "<cluster>-node-<i>" the cluster creates (and deletes with it).
// Its control plane is a real kube-apiserver and controller-manager run by
// the daemon's kube.Manager (the AKS clusters' runtime), reachable only
// through the emulated network at the first node's address on port 6443:
// a Privlink.Fabric listener on that host targets the API server's
// loopback port. The nodes are registered as Ready Node objects with the
// hosts' addresses (no kubelet runs; as for AKS, the Manager keeps their
// leases alive). The AKS clusters' node agent (internal/kube/nodeagent)
// runs the workloads: pods as stand-in servers with addresses of the
// nodes' pod ranges (10.244.<i>.0/24), node ports as listeners on the
// node hosts, privlink.io/command processes with the node host's fabric
// environment. The Azure cloud provider does not run (no LoadBalancer
// Services: there is no Azure load balancer on premises).
//
// PUT is long-running: the record stays Creating while the controller
// creates the hosts (through the ARM front end, as the AKS provider
// does), starts the control plane, declares the listener and registers
// the nodes, then becomes Succeeded with nodes, apiServerAddress and
// apiServerUrl. The node set and version cannot change afterwards
// (PropertyChangeNotAllowed). listClusterAdminCredential answers a
// kubeconfig (server https://<first node>:6443, the cluster CA, an admin
// client certificate) in the shape of AKS's credential actions. Deleting
// the cluster (or its site, or its resource group) stops and deletes the
// control plane, the listener and the hosts it created. A restarted
// daemon starts the control planes of Succeeded clusters again (Run).

// ClusterType is the on-premises Kubernetes cluster type.
const ClusterType = Namespace + "/sites/kubernetesClusters"

// APIServerPort is the port of an on-premises cluster's API server on its
// first node (kubeadm's default).
const APIServerPort = 6443

// ClusterServiceCIDR is the clusters' service range (kubeadm's default).
var ClusterServiceCIDR = netip.MustParsePrefix("10.96.0.0/12")

// MaxClusterNodes caps nodeCount.
const MaxClusterNodes = 10

const fabricAPIVersion = "2025-01-01"

// ClusterProperties are a cluster's properties.
type ClusterProperties struct {
	ProvisioningState string `json:"provisioningState,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	NodeCount         int    `json:"nodeCount,omitempty"`
	// NodeHosts are the names of the site hosts the nodes run on.
	NodeHosts []string `json:"nodeHosts,omitempty"`
	// Read-only.
	Nodes            []ClusterNode `json:"nodes,omitempty"`
	APIServerAddress string        `json:"apiServerAddress,omitempty"`
	APIServerURL     string        `json:"apiServerUrl,omitempty"`
}

// ClusterNode is a node of a cluster (read-only).
type ClusterNode struct {
	Name             string `json:"name"`
	HostID           string `json:"hostId"`
	PrivateIPAddress string `json:"privateIpAddress"`
}

// clusterState is a cluster's internal state.
type clusterState struct {
	// Key is the kube.Manager key of the control plane.
	Key string `json:"key"`
	// Created are the names of the hosts the cluster created.
	Created []string `json:"created,omitempty"`
}

// KubeRuntime runs control planes (*kube.Manager).
type KubeRuntime interface {
	Start(ctx context.Context, spec kube.ClusterSpec) (*kube.Cluster, error)
	Get(key string) *kube.Cluster
	Delete(ctx context.Context, key string) error
}

// Clusters realises on-premises clusters. Set ARM (an in-process ARM
// client, as the AKS provider's) and Kube before the provider registers;
// call Run to resume the clusters of a restarted daemon and Close at
// shutdown.
type Clusters struct {
	ARM  arm.Client
	Kube KubeRuntime
	Log  *slog.Logger
	// Env is the environment of a process on a site host (the provider's
	// Env when nil): pods' privlink.io/command processes get their node
	// host's.
	Env EnvFunc

	agentsMu sync.Mutex
	agents   map[string]*nodeAgent // cluster key -> node agent

	engine *arm.Engine
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	locks  map[string]*sync.Mutex
}

func (cl *Clusters) init(p *arm.Platform) {
	cl.once.Do(func() {
		cl.engine = p.Engine
		if p.Server != nil {
			p.Server.Handle(http.MethodDelete,
				"/subscriptions/{sub}/resourceGroups/{rg}/providers/Privlink.OnPrem/sites/{site}/kubernetesClusters/{name}", cl.deleteRoute)
		}
		if cl.Log == nil {
			cl.Log = slog.New(slog.DiscardHandler)
		}
		cl.ctx, cl.cancel = context.WithCancel(context.Background())
		cl.locks = map[string]*sync.Mutex{}
	})
}

func (cl *Clusters) lock(key string) func() {
	cl.mu.Lock()
	l := cl.locks[key]
	if l == nil {
		l = &sync.Mutex{}
		cl.locks[key] = l
	}
	cl.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// Close stops the controller's work in progress and the node agents (the
// control planes stop with the Manager, after this).
func (cl *Clusters) Close() {
	if cl.cancel != nil {
		cl.cancel()
	}
	cl.wg.Wait()
	cl.agentsMu.Lock()
	keys := make([]string, 0, len(cl.agents))
	for k := range cl.agents {
		keys = append(keys, k)
	}
	cl.agentsMu.Unlock()
	for _, k := range keys {
		cl.stopAgent(k)
	}
}

func (cl *Clusters) spec() *arm.TypeSpec {
	return &arm.TypeSpec{
		Type:              ClusterType,
		APIVersions:       []string{APIVersion},
		Scope:             arm.ScopeResourceGroup,
		Location:          arm.LocationNone,
		ETag:              true,
		ProvisioningState: true,
		AsyncPut:          true,
		Put:               putCluster,
		Reconcile:         cl.reconcile,
		Delete:            cl.deleteCluster,
		Actions: map[string]arm.ActionFunc{
			"listClusterAdminCredential": cl.credential,
		},
	}
}

var clusterNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// DecodeCluster decodes a cluster record's properties.
func DecodeCluster(rec *arm.Record) (*ClusterProperties, error) {
	var p ClusterProperties
	if len(rec.Resource.Properties) > 0 {
		if err := json.Unmarshal(rec.Resource.Properties, &p); err != nil {
			return nil, fmt.Errorf("decode cluster %s: %w", rec.Resource.ID, err)
		}
	}
	return &p, nil
}

// ClusterKey is the kube.Manager key of a cluster record's control plane.
func ClusterKey(rec *arm.Record) string {
	var st clusterState
	_ = json.Unmarshal(rec.Internal, &st)
	return st.Key
}

// nodeHostName is the name of the i-th host a cluster creates.
func nodeHostName(cluster string, i int) string { return cluster + "-node-" + strconv.Itoa(i) }

func putCluster(ctx context.Context, op *arm.PutOp) error {
	name := op.ID.Name()
	if !clusterNameRE.MatchString(name) {
		return arm.InvalidParameter("The cluster name '%s' is invalid: use 1-40 lower-case letters, digits or '-', starting and ending with a letter or digit.", name)
	}
	var p ClusterProperties
	if err := op.Body.DecodeProperties(&p); err != nil {
		return err
	}
	parent, _ := op.ID.Parent()
	site, err := op.Tx.Get(ctx, parent.String())
	if err != nil {
		return err
	}
	if site == nil {
		return arm.ParentResourceNotFound(parent)
	}
	switch p.KubernetesVersion {
	case "", kube.KubernetesVersion:
		p.KubernetesVersion = kube.KubernetesVersion
	default:
		return arm.BadRequest("K8sVersionNotSupported",
			"Version %s is not supported in this site. Supported versions: %s.", p.KubernetesVersion, kube.KubernetesVersion)
	}
	generated := len(p.NodeHosts) == 0
	switch {
	case generated && p.NodeCount == 0:
		p.NodeCount = 1
	case !generated && p.NodeCount == 0:
		p.NodeCount = len(p.NodeHosts)
	case !generated && p.NodeCount != len(p.NodeHosts):
		return arm.InvalidParameter("nodeCount %d does not match the %d hosts of nodeHosts.", p.NodeCount, len(p.NodeHosts))
	}
	if p.NodeCount < 1 || p.NodeCount > MaxClusterNodes {
		return arm.InvalidParameter("The value %d of property 'nodeCount' is invalid: a cluster has 1 to %d nodes.", p.NodeCount, MaxClusterNodes)
	}
	names := p.NodeHosts
	if generated {
		names = nil
		for i := range p.NodeCount {
			names = append(names, nodeHostName(name, i))
		}
	}
	// The hosts of the other clusters of the site.
	others, err := op.Tx.Children(ctx, parent, "kubernetesClusters")
	if err != nil {
		return err
	}
	used := map[string]string{}
	for _, o := range others {
		if arm.SameID(o.Resource.ID, op.ID.String()) {
			continue
		}
		op, err := DecodeCluster(o)
		if err != nil {
			return err
		}
		for _, n := range clusterHostNames(o.Resource.Name, op) {
			used[strings.ToLower(n)] = o.Resource.Name
		}
	}
	seen := map[string]bool{}
	for _, h := range names {
		k := strings.ToLower(h)
		if seen[k] {
			return arm.InvalidParameter("Host %s is listed twice in nodeHosts.", h)
		}
		seen[k] = true
		if c, ok := used[k]; ok {
			return arm.Conflict("HostInUse", "Host %s of site %s is already a node of cluster %s.", h, parent.Name(), c)
		}
		rec, err := op.Tx.Get(ctx, parent.String()+"/hosts/"+h)
		if err != nil {
			return err
		}
		switch {
		case !generated && rec == nil:
			return arm.BadRequest("HostNotFound", "Site %s has no host %s (nodeHosts).", parent.Name(), h)
		case generated && rec != nil && op.Existing == nil:
			return arm.Conflict("HostInUse",
				"Site %s already has a host %s; name the cluster's hosts with nodeHosts or choose another cluster name.", parent.Name(), h)
		case !generated && rec != nil:
			op.AddRef(rec.Resource.ID, nodeHostRef, "", true)
		}
	}
	var st clusterState
	if op.Existing != nil {
		old, err := DecodeCluster(op.Existing)
		if err != nil {
			return err
		}
		oldNames := clusterHostNames(name, old)
		if !strings.EqualFold(strings.Join(oldNames, ","), strings.Join(names, ",")) || old.NodeCount != p.NodeCount {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'nodeHosts' or 'nodeCount' is not allowed: delete and recreate the cluster.")
		}
		if old.KubernetesVersion != p.KubernetesVersion {
			return arm.BadRequest("PropertyChangeNotAllowed", "Changing property 'kubernetesVersion' is not allowed.")
		}
		p.Nodes, p.APIServerAddress, p.APIServerURL = old.Nodes, old.APIServerAddress, old.APIServerURL
		for _, n := range old.Nodes {
			if generated {
				op.AddRef(n.HostID, nodeHostRef, "", true)
			}
		}
		_ = json.Unmarshal(op.Existing.Internal, &st)
	} else {
		p.Nodes, p.APIServerAddress, p.APIServerURL = nil, "", ""
	}
	if st.Key == "" {
		st.Key = uuid.NewString()
	}
	if generated {
		p.NodeHosts = nil
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return err
	}
	op.Internal = raw
	p.ProvisioningState = ""
	return op.Body.SetProperties(p)
}

// nodeHostRef is the kind of the blocking refs a cluster holds on its node
// hosts: a node host cannot be deleted while its cluster exists.
const nodeHostRef = "kubernetesClusterNode"

// withHostRefs adds blocking refs on the nodes' hosts to refs.
func withHostRefs(refs []arm.Ref, source string, nodes []ClusterNode) []arm.Ref {
	out := append([]arm.Ref(nil), refs...)
	for _, n := range nodes {
		dup := false
		for _, r := range out {
			if r.Kind == nodeHostRef && strings.EqualFold(r.Target, n.HostID) {
				dup = true
			}
		}
		if !dup {
			out = append(out, arm.Ref{Target: n.HostID, Kind: nodeHostRef, Source: source, Blocking: true})
		}
	}
	return out
}

// clusterHostNames are the names of a cluster's node hosts, in node order.
func clusterHostNames(cluster string, p *ClusterProperties) []string {
	if len(p.NodeHosts) > 0 {
		return p.NodeHosts
	}
	var out []string
	for i := range p.NodeCount {
		out = append(out, nodeHostName(cluster, i))
	}
	return out
}

// reconcile hands a pending create or update to the controller.
func (cl *Clusters) reconcile(_ context.Context, op *arm.ReconcileOp) error {
	if op.Record.State == arm.StateDeleting {
		return nil
	}
	id, gen := op.ID.String(), op.Record.Generation
	cl.wg.Add(1)
	go func() {
		defer cl.wg.Done()
		cl.realise(cl.ctx, id, gen)
	}()
	return arm.ErrKeepPending
}

// realise brings a cluster up and records the outcome.
func (cl *Clusters) realise(ctx context.Context, id string, gen int64) {
	defer cl.lock(strings.ToLower(id))()
	rec, err := cl.engine.GetRecord(ctx, id)
	if err != nil || rec == nil || rec.Generation != gen {
		return
	}
	nodes, opErr := cl.ensure(ctx, rec, true)
	if ctx.Err() != nil {
		return
	}
	if opErr != nil {
		cl.Log.Warn("on-premises cluster failed", "id", id, "err", opErr)
	}
	err = cl.engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, id)
		if err != nil || cur == nil || cur.Generation != gen || arm.Terminal(cur.State) {
			return err
		}
		p, err := DecodeCluster(cur)
		if err != nil {
			return err
		}
		state := arm.StateSucceeded
		cur.OpError = nil
		if opErr != nil {
			state = arm.StateFailed
			ae, ok := arm.AsError(opErr)
			if !ok {
				ae = &arm.Error{Code: "InternalServerError", Message: fmt.Sprintf("The operation failed: %v", opErr)}
			}
			cur.OpError = ae
		} else {
			cur.Refs = withHostRefs(cur.Refs, cur.Resource.ID, nodes)
			p.Nodes = nodes
			p.APIServerAddress = nodes[0].PrivateIPAddress
			p.APIServerURL = apiServerURL(nodes[0].PrivateIPAddress)
		}
		p.ProvisioningState = state
		cur.State = state
		if err := cur.Resource.SetProperties(p); err != nil {
			return err
		}
		return t.Write(ctx, cur)
	})
	if err != nil && ctx.Err() == nil {
		cl.Log.Error("record on-premises cluster outcome", "id", id, "err", err)
	}
}

func apiServerURL(ip string) string {
	return "https://" + netip.MustParseAddr(ip).String() + ":" + strconv.Itoa(APIServerPort)
}

// ensure creates the hosts the cluster needs (create), starts the control
// plane, points the first node's port 6443 at it and registers the nodes.
func (cl *Clusters) ensure(ctx context.Context, rec *arm.Record, create bool) ([]ClusterNode, error) {
	if cl.ARM == nil || cl.Kube == nil {
		return nil, errors.New("on-premises clusters are not available: the daemon has no Kubernetes runtime")
	}
	id, err := arm.ParseID(rec.Resource.ID)
	if err != nil {
		return nil, err
	}
	siteID, _ := id.Parent()
	p, err := DecodeCluster(rec)
	if err != nil {
		return nil, err
	}
	var st clusterState
	if err := json.Unmarshal(rec.Internal, &st); err != nil {
		return nil, fmt.Errorf("decode cluster state: %w", err)
	}
	var nodes []ClusterNode
	var kn []kube.Node
	region := ""
	if site, err := cl.engine.GetRecord(ctx, siteID.String()); err == nil && site != nil {
		region = site.Resource.Location
	}
	for i, h := range clusterHostNames(id.Name(), p) {
		hostPath := siteID.String() + "/hosts/" + h
		obj, err := cl.ARM.GetObject(ctx, hostPath, APIVersion, nil)
		if err != nil && isNotFound(err) && create && len(p.NodeHosts) == 0 {
			var res any
			res, err = cl.ARM.Put(ctx, hostPath, APIVersion, map[string]any{"properties": map[string]any{"powerState": PowerRunning}}, false)
			if err == nil {
				obj, _ = res.(map[string]any)
				if err := cl.addCreated(ctx, rec.Resource.ID, h); err != nil {
					return nil, err
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("node host %s: %w", h, err)
		}
		ip := arm.DigString(obj, "properties", "privateIpAddress")
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("node host %s has no address", h)
		}
		computer := arm.DigString(obj, "properties", "computerName")
		if computer == "" {
			computer = h
		}
		computer = strings.ToLower(computer)
		nodes = append(nodes, ClusterNode{Name: computer, HostID: arm.DigString(obj, "id"), PrivateIPAddress: ip})
		labels := map[string]string{
			"node.kubernetes.io/instance-type": "onprem",
			"beta.kubernetes.io/instance-type": "onprem",
			"topology.kubernetes.io/region":    region,
			"privlink.io/site":                 siteID.Name(),
		}
		if i == 0 {
			labels["node-role.kubernetes.io/control-plane"] = ""
		}
		// Capacity: a 4 vCPU, 16 GiB machine (the shape of a D4s v3).
		kn = append(kn, kube.Node{Name: computer, InternalIP: addr, VMSize: "Standard_D4s_v3", Region: region, Ready: true,
			PodCIDR: podCIDR(i), Labels: labels})
	}
	first := nodes[0]
	spec := kube.ClusterSpec{Key: st.Key, Name: id.Name(), DNSNames: []string{first.Name},
		IPs: []netip.Addr{netip.MustParseAddr(first.PrivateIPAddress)}, ServiceCIDR: ClusterServiceCIDR,
		AdvertiseAddress: netip.MustParseAddr(first.PrivateIPAddress)}
	c, err := cl.Kube.Start(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start the Kubernetes API server: %w", err)
	}
	listener := first.HostID + "/providers/Privlink.Fabric/listeners/tcp-" + strconv.Itoa(APIServerPort)
	target := c.Addr().String()
	cur, err := cl.ARM.GetObject(ctx, listener, fabricAPIVersion, nil)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if arm.DigString(cur, "properties", "target") != target {
		if _, err := cl.ARM.Put(ctx, listener, fabricAPIVersion, map[string]any{"properties": map[string]any{
			"protocol": "Tcp", "port": APIServerPort, "target": target}}, false); err != nil {
			return nil, fmt.Errorf("declare the API server's listener on %s: %w", first.Name, err)
		}
	}
	if err := c.EnsureNodes(ctx, kn); err != nil {
		return nil, fmt.Errorf("register nodes: %w", err)
	}
	if err := cl.startAgent(st.Key, id.Name(), c, nodes); err != nil {
		return nil, fmt.Errorf("start the node agent: %w", err)
	}
	return nodes, nil
}

// nodeAgent is a cluster's running node agent and its nodes.
type nodeAgent struct {
	mu    sync.Mutex
	nodes []nodeagent.Node
	na    *nodeagent.Agent
}

// startAgent starts (once) or refreshes a cluster's node agent.
func (cl *Clusters) startAgent(key, name string, c *kube.Cluster, nodes []ClusterNode) error {
	cl.agentsMu.Lock()
	if cl.agents == nil {
		cl.agents = map[string]*nodeAgent{}
	}
	a := cl.agents[key]
	if a == nil {
		a = &nodeAgent{}
		cl.agents[key] = a
	}
	cl.agentsMu.Unlock()
	var nn []nodeagent.Node
	for _, n := range nodes {
		nn = append(nn, nodeagent.Node{Name: n.Name, VMID: n.HostID})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nodes = nn
	if a.na != nil {
		return nil
	}
	var env func(ctx context.Context, id string) ([]string, error)
	if cl.Env != nil {
		env = cl.Env
	}
	na, err := nodeagent.Start(context.WithoutCancel(cl.ctx), nodeagent.Config{Kube: c.RESTConfig(), ARM: cl.ARM, Env: env,
		Nodes: func() []nodeagent.Node {
			a.mu.Lock()
			defer a.mu.Unlock()
			return append([]nodeagent.Node(nil), a.nodes...)
		},
		Log: cl.Log.With("cluster", name, "component", "nodeagent")})
	if err != nil {
		return err
	}
	a.na = na
	return nil
}

// stopAgent stops a cluster's node agent.
func (cl *Clusters) stopAgent(key string) {
	cl.agentsMu.Lock()
	a := cl.agents[key]
	delete(cl.agents, key)
	cl.agentsMu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	na := a.na
	a.na = nil
	a.mu.Unlock()
	if na != nil {
		na.Stop()
	}
}

// podCIDR is node i's pod range: a /24 of 10.244.0.0/16 (flannel's and
// kubeadm's customary range).
func podCIDR(i int) string { return fmt.Sprintf("10.244.%d.0/24", i) }

// addCreated records a host the cluster created (deleted with it).
func (cl *Clusters) addCreated(ctx context.Context, id, host string) error {
	return cl.engine.Run(ctx, func(t *arm.Txn) error {
		cur, err := t.Get(ctx, id)
		if err != nil || cur == nil {
			return err
		}
		var st clusterState
		if err := json.Unmarshal(cur.Internal, &st); err != nil {
			return err
		}
		for _, h := range st.Created {
			if strings.EqualFold(h, host) {
				return nil
			}
		}
		st.Created = append(st.Created, host)
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		cur.Internal = raw
		return t.Write(ctx, cur)
	})
}

// deleteRoute serves DELETE of a cluster: the record stays Deleting while
// the controller tears the cluster down (202, polled until the record is
// gone).
func (cl *Clusters) deleteRoute(ctx context.Context, req *arm.Request) (*arm.Response, error) {
	id, err := arm.ParseID(req.HTTP.URL.Path)
	if err != nil {
		return nil, arm.NotFound("InvalidResourceId", "The resource id '%s' is not valid: %v", req.HTTP.URL.Path, err)
	}
	if req.APIVersion != APIVersion {
		return nil, arm.BadRequest("NoRegisteredProviderFound",
			"No registered resource provider found for location 'global' and API version '%s' for type '%s'. The supported api-versions are '%s'.",
			req.APIVersion, "sites/kubernetesClusters", APIVersion)
	}
	id = req.Engine.Registry.Canonicalize(id)
	var out *arm.Record
	err = cl.engine.Run(ctx, func(t *arm.Txn) error {
		out = nil
		rec, err := t.Get(ctx, id.String())
		if err != nil || rec == nil {
			return err
		}
		if rec.State != arm.StateDeleting {
			// The teardown deletes the created hosts before the record.
			var refs []arm.Ref
			for _, r := range rec.Refs {
				if r.Kind != nodeHostRef {
					refs = append(refs, r)
				}
			}
			rec.Refs = refs
			rec.MarkDeleting()
			if err := t.Write(ctx, rec); err != nil {
				return err
			}
		}
		out = rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return &arm.Response{Status: http.StatusNoContent}, nil
	}
	rec := *out
	cl.wg.Add(1)
	go func() {
		defer cl.wg.Done()
		ctx := cl.ctx
		if err := cl.teardown(ctx, &rec); err != nil && ctx.Err() == nil {
			cl.Log.Error("tear down on-premises cluster", "id", rec.Resource.ID, "err", err)
		}
		err := cl.engine.Run(ctx, func(t *arm.Txn) error {
			cur, err := t.Get(ctx, rec.Resource.ID)
			if err != nil || cur == nil {
				return err
			}
			cid, _ := arm.ParseID(cur.Resource.ID)
			return cl.engine.DeleteTree(ctx, t, cid, cur)
		})
		if err != nil && ctx.Err() == nil {
			cl.Log.Error("delete on-premises cluster record", "id", rec.Resource.ID, "err", err)
		}
	}()
	return &arm.Response{Status: http.StatusAccepted, Header: arm.OperationHeaders(req, Namespace, "", out, true, true)}, nil
}

// deleteCluster runs before a cluster's record goes another way than its
// own DELETE (with its site or its group): once the deletion has
// committed, the control plane, the listener and the created hosts go.
func (cl *Clusters) deleteCluster(_ context.Context, op *arm.DeleteOp) error {
	if op.Record.State == arm.StateDeleting {
		return nil // deleteRoute's own deletion, after the teardown
	}
	rec := *op.Record
	cl.wg.Add(1)
	go func() {
		defer cl.wg.Done()
		ctx := cl.ctx
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			cur, err := cl.engine.GetRecord(ctx, rec.Resource.ID)
			if err == nil && cur == nil {
				break
			}
			if i > 600 || (err == nil && cur.Generation != rec.Generation && cur.State != arm.StateDeleting) {
				return // the deletion did not happen
			}
		}
		if err := cl.teardown(ctx, &rec); err != nil && ctx.Err() == nil {
			cl.Log.Error("tear down on-premises cluster", "id", rec.Resource.ID, "err", err)
		}
	}()
	return nil
}

// teardown deletes a deleted cluster's control plane, listener and hosts.
func (cl *Clusters) teardown(ctx context.Context, rec *arm.Record) error {
	defer cl.lock(strings.ToLower(rec.Resource.ID))()
	var st clusterState
	if err := json.Unmarshal(rec.Internal, &st); err != nil {
		return err
	}
	var errs []error
	cl.stopAgent(st.Key)
	if cl.Kube != nil && st.Key != "" {
		if err := cl.Kube.Delete(ctx, st.Key); err != nil {
			errs = append(errs, fmt.Errorf("delete the control plane: %w", err))
		}
	}
	if cl.ARM == nil {
		return errors.Join(errs...)
	}
	id, err := arm.ParseID(rec.Resource.ID)
	if err != nil {
		return err
	}
	siteID, _ := id.Parent()
	p, err := DecodeCluster(rec)
	if err != nil {
		return err
	}
	if names := clusterHostNames(id.Name(), p); len(names) > 0 {
		listener := siteID.String() + "/hosts/" + names[0] + "/providers/Privlink.Fabric/listeners/tcp-" + strconv.Itoa(APIServerPort)
		if err := cl.ARM.Delete(ctx, listener, fabricAPIVersion, false); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete the API server listener: %w", err))
		}
	}
	for _, h := range st.Created {
		if err := cl.ARM.Delete(ctx, siteID.String()+"/hosts/"+h, APIVersion, false); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("delete node host %s: %w", h, err))
		}
	}
	return errors.Join(errs...)
}

// Run resumes the control planes of the Succeeded clusters (a restarted
// daemon), then returns.
func (cl *Clusters) Run(ctx context.Context) {
	if cl.engine == nil {
		return
	}
	recs, err := cl.engine.ListRecords(ctx, "", ClusterType)
	if err != nil {
		cl.Log.Error("list on-premises clusters", "err", err)
		return
	}
	for _, rec := range recs {
		if rec.State != arm.StateSucceeded {
			continue // the provisioner hands unfinished operations over again
		}
		func() {
			defer cl.lock(strings.ToLower(rec.Resource.ID))()
			if _, err := cl.ensure(ctx, rec, false); err != nil && ctx.Err() == nil {
				cl.Log.Error("resume on-premises cluster", "id", rec.Resource.ID, "err", err)
			}
		}()
	}
}

// credential is POST listClusterAdminCredential: {"kubeconfigs": [{"name":
// "clusterAdmin", "value": base64 kubeconfig}]}, the shape of AKS's
// credential actions. The context and cluster are named after the
// cluster; the server is https://<first node>:6443.
func (cl *Clusters) credential(_ context.Context, req *arm.Request, rec *arm.Record) (*arm.Response, error) {
	p, err := DecodeCluster(rec)
	if err != nil {
		return nil, err
	}
	var c *kube.Cluster
	if cl.Kube != nil {
		c = cl.Kube.Get(ClusterKey(rec))
	}
	if c == nil || p.APIServerURL == "" {
		return nil, arm.Conflict("OperationNotAllowed", "The control plane of cluster %s is not running yet; retry when its provisioning has finished.", req.ID.Name())
	}
	site, _ := req.ID.Parent()
	name := req.ID.Name()
	kc, err := c.Kubeconfig(kube.KubeconfigOptions{Admin: true, Server: p.APIServerURL, ClusterName: name, ContextName: name,
		UserName: "onpremAdmin_" + req.ID.ResourceGroup + "_" + site.Name() + "_" + name})
	if err != nil {
		return nil, fmt.Errorf("write kubeconfig: %w", err)
	}
	return &arm.Response{Status: http.StatusOK, Body: map[string]any{
		"kubeconfigs": []any{map[string]any{"name": "clusterAdmin", "value": base64.StdEncoding.EncodeToString(kc)}},
	}}, nil
}

// isNotFound also accepts errors that carry NotFound() (the CLI client's).
func isNotFound(err error) bool {
	if arm.IsNotFound(err) {
		return true
	}
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}
