package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Node is a node of the cluster as the AKS resource provider sees it (a VM
// of an agent pool). No kubelet runs: EnsureNodes writes the Node objects
// and keeps them alive.
type Node struct {
	Name       string
	InternalIP netip.Addr
	// PodCIDR is the node's pod range with kubenet, "" with Azure CNI.
	PodCIDR string
	// Labels are added to the standard ones (hostname, os, arch,
	// instance type, region, zone); they win over them. The label
	// "kubernetes.azure.com/max-pods" sets the pods capacity.
	Labels map[string]string
	VMSize string
	Region string
	// Ready false marks a stopped VM (Ready condition False).
	Ready bool
	// ProviderID is the node's spec.providerID
	// ("azure:///subscriptions/…/virtualMachineScaleSets/…/virtualMachines/0");
	// an addition to the contract: only the resource provider knows it.
	ProviderID string
}

const (
	heartbeatInterval = 10 * time.Second
	leaseDuration     = 40 // seconds, like a kubelet's
	maxPodsLabel      = "kubernetes.azure.com/max-pods"
	nodeLeaseNS       = "kube-node-lease"
	notReadyTaint     = "node.kubernetes.io/not-ready"
)

// EnsureNodes makes the Node objects of the cluster exactly nodes: creates
// or updates the listed ones (status, addresses, capacity, node info) and
// deletes the others. Until the cluster stops, their Leases in
// kube-node-lease are renewed and the Ready condition's heartbeat refreshed
// every 10 seconds.
func (c *Cluster) EnsureNodes(ctx context.Context, nodes []Node) error {
	c.mu.Lock()
	hb := c.hb
	c.mu.Unlock()
	if hb == nil {
		return fmt.Errorf("kube: cluster %s is not running", c.Spec().Name)
	}
	seen := map[string]bool{}
	for _, n := range nodes {
		if n.Name == "" || seen[n.Name] {
			return fmt.Errorf("kube: node name %q is empty or repeated", n.Name)
		}
		seen[n.Name] = true
		if _, _, err := nodeResources(n); err != nil {
			return err
		}
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("kube: client: %w", err)
	}
	var errs []error
	for _, n := range nodes {
		// A loaded machine can make a request to the in-process API
		// server time out (TLS handshake); such errors are retried.
		err := retry.OnError(transientBackoff, transient, func() error { return applyNode(ctx, cs, n) })
		if err != nil {
			errs = append(errs, err)
		}
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		errs = append(errs, fmt.Errorf("kube: list nodes: %w", err))
	} else {
		for _, existing := range list.Items {
			if seen[existing.Name] {
				continue
			}
			err := cs.CoreV1().Nodes().Delete(ctx, existing.Name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("kube: delete node %s: %w", existing.Name, err))
			}
			err = cs.CoordinationV1().Leases(nodeLeaseNS).Delete(ctx, existing.Name, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("kube: delete lease %s: %w", existing.Name, err))
			}
		}
	}
	hb.set(nodes)
	return errors.Join(errs...)
}

// transientBackoff retries transient API errors for about 15 s.
var transientBackoff = wait.Backoff{Steps: 5, Duration: time.Second, Factor: 1.5, Jitter: 0.1}

// transient reports errors worth another try: timeouts (a TLS handshake
// or a request on a loaded machine), a reset connection, the API server
// asking to come back later.
func transient(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || utilnet.IsConnectionReset(err) || errors.Is(err, io.EOF) ||
		apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err)
}

// currentNodes is the node list the heartbeat keeps alive.
func (c *Cluster) currentNodes() []Node {
	c.mu.Lock()
	hb := c.hb
	c.mu.Unlock()
	if hb == nil {
		return nil
	}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	return append([]Node(nil), hb.nodes...)
}

// applyNode creates or updates one Node and its Lease.
func applyNode(ctx context.Context, cs kubernetes.Interface, n Node) error {
	want := nodeObject(n)
	api := cs.CoreV1().Nodes()
	cur, err := api.Get(ctx, n.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if cur, err = api.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("kube: create node %s: %w", n.Name, err)
		}
	case err != nil:
		return fmt.Errorf("kube: get node %s: %w", n.Name, err)
	}
	// Spec and metadata: labels, provider ID, pod CIDR, taints.
	upd := cur.DeepCopy()
	if upd.Labels == nil {
		upd.Labels = map[string]string{}
	}
	maps.Copy(upd.Labels, want.Labels)
	if upd.Spec.ProviderID == "" {
		upd.Spec.ProviderID = want.Spec.ProviderID
	}
	if upd.Spec.PodCIDR == "" && want.Spec.PodCIDR != "" {
		upd.Spec.PodCIDR, upd.Spec.PodCIDRs = want.Spec.PodCIDR, want.Spec.PodCIDRs
	}
	upd.Spec.Taints = setNotReadyTaint(upd.Spec.Taints, n.Ready)
	if upd, err = api.Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kube: update node %s: %w", n.Name, err)
	}
	upd.Status = want.Status
	for i, w := range upd.Status.Conditions {
		for _, old := range cur.Status.Conditions {
			if old.Type == w.Type && old.Status == w.Status && !old.LastTransitionTime.IsZero() {
				upd.Status.Conditions[i].LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	if _, err = api.UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kube: update node %s status: %w", n.Name, err)
	}
	return renewLease(ctx, cs, upd)
}

// setNotReadyTaint adds or removes the not-ready NoSchedule taint (the
// TaintNodesByCondition admission adds it at creation; without a node
// lifecycle controller nobody else removes it).
func setNotReadyTaint(taints []corev1.Taint, ready bool) []corev1.Taint {
	out := taints[:0:0]
	for _, t := range taints {
		if t.Key != notReadyTaint {
			out = append(out, t)
		}
	}
	if !ready {
		out = append(out, corev1.Taint{Key: notReadyTaint, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// renewLease creates or renews the node's Lease in kube-node-lease.
func renewLease(ctx context.Context, cs kubernetes.Interface, node *corev1.Node) error {
	api := cs.CoordinationV1().Leases(nodeLeaseNS)
	now := metav1.NewMicroTime(time.Now())
	l, err := api.Get(ctx, node.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:      node.Name,
				Namespace: nodeLeaseNS,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID,
				}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity:       ptr.To(node.Name),
				LeaseDurationSeconds: ptr.To[int32](leaseDuration),
				RenewTime:            &now,
			},
		}
		if _, err := api.Create(ctx, l, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("kube: create lease %s: %w", node.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("kube: get lease %s: %w", node.Name, err)
	}
	l.Spec.RenewTime = &now
	l.Spec.HolderIdentity = ptr.To(node.Name)
	l.Spec.LeaseDurationSeconds = ptr.To[int32](leaseDuration)
	if _, err := api.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("kube: renew lease %s: %w", node.Name, err)
	}
	return nil
}

// nodeObject is the Node a kubelet on an AKS node would register and
// report.
func nodeObject(n Node) *corev1.Node {
	capacity, allocatable, _ := nodeResources(n)
	labels := map[string]string{
		"kubernetes.io/hostname":                   n.Name,
		"kubernetes.io/os":                         "linux",
		"kubernetes.io/arch":                       "amd64",
		"beta.kubernetes.io/os":                    "linux",
		"beta.kubernetes.io/arch":                  "amd64",
		"node.kubernetes.io/instance-type":         n.VMSize,
		"beta.kubernetes.io/instance-type":         n.VMSize,
		"topology.kubernetes.io/region":            n.Region,
		"failure-domain.beta.kubernetes.io/region": n.Region,
		"topology.kubernetes.io/zone":              "0",
		"failure-domain.beta.kubernetes.io/zone":   "0",
	}
	maps.Copy(labels, n.Labels)
	now := metav1.Now()
	ready := corev1.NodeCondition{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		LastHeartbeatTime: now, LastTransitionTime: now,
		Reason: "KubeletReady", Message: "kubelet is posting ready status",
	}
	if !n.Ready {
		ready.Status, ready.Reason, ready.Message = corev1.ConditionFalse, "KubeletNotReady", "the node's virtual machine is stopped"
	}
	cond := func(t corev1.NodeConditionType, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, LastHeartbeatTime: now, LastTransitionTime: now, Reason: reason, Message: msg}
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: labels},
		Spec:       corev1.NodeSpec{ProviderID: n.ProviderID},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: allocatable,
			Phase:       corev1.NodeRunning,
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeMemoryPressure, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
				cond(corev1.NodeDiskPressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
				cond(corev1.NodePIDPressure, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
				ready,
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: n.InternalIP.String()},
				{Type: corev1.NodeHostName, Address: n.Name},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			NodeInfo: corev1.NodeSystemInfo{
				KernelVersion:           "5.15.0-1079-azure",
				OSImage:                 "Ubuntu 22.04.5 LTS",
				ContainerRuntimeVersion: "containerd://1.7.27-1",
				KubeletVersion:          "v" + KubernetesVersion,
				OperatingSystem:         "linux",
				Architecture:            "amd64",
			},
		},
	}
	if !n.InternalIP.IsValid() {
		node.Status.Addresses = node.Status.Addresses[1:]
	}
	if n.PodCIDR != "" {
		node.Spec.PodCIDR = n.PodCIDR
		node.Spec.PodCIDRs = []string{n.PodCIDR}
	}
	if !n.Ready {
		node.Spec.Taints = []corev1.Taint{{Key: notReadyTaint, Effect: corev1.TaintEffectNoSchedule}}
	}
	return node
}

// vmSizes are vCPUs and memory (GiB) of common AKS node sizes; other sizes
// are derived from the size name's family and vCPU count.
var vmSizes = map[string]struct {
	cpu int
	gib float64
}{
	"standard_b2s": {2, 4}, "standard_b2ms": {2, 8}, "standard_b4ms": {4, 16}, "standard_b8ms": {8, 32},
	"standard_ds2_v2": {2, 7}, "standard_ds3_v2": {4, 14}, "standard_ds4_v2": {8, 28}, "standard_ds5_v2": {16, 56},
	"standard_d2_v2": {2, 7}, "standard_d3_v2": {4, 14}, "standard_d4_v2": {8, 28},
	"standard_a2_v2": {2, 4}, "standard_a4_v2": {4, 8}, "standard_a8_v2": {8, 16},
	"standard_f2s_v2": {2, 4}, "standard_f4s_v2": {4, 8}, "standard_f8s_v2": {8, 16},
}

var sizeRE = regexp.MustCompile(`^standard_([a-z]+?)(\d+)[a-z]*(_v(\d+))?$`)

// vmShape returns a VM size's vCPUs and memory in GiB.
func vmShape(size string) (int, float64, error) {
	s := strings.ToLower(size)
	if v, ok := vmSizes[s]; ok {
		return v.cpu, v.gib, nil
	}
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("kube: unknown VM size %q", size)
	}
	cpu, err := strconv.Atoi(m[2])
	if err != nil || cpu <= 0 {
		return 0, 0, fmt.Errorf("kube: unknown VM size %q", size)
	}
	perCPU := map[string]float64{"d": 4, "ds": 3.5, "e": 8, "es": 8, "f": 2, "fs": 2, "b": 4, "a": 2, "m": 28, "l": 8, "ls": 8, "nc": 7, "nd": 7, "nv": 7, "dc": 4, "ec": 8}[m[1]]
	if perCPU == 0 {
		return 0, 0, fmt.Errorf("kube: unknown VM size %q", size)
	}
	if (m[1] == "d" || m[1] == "ds") && m[4] != "" && m[4] != "2" {
		perCPU = 4 // Dv3 and later: 4 GiB per vCPU
	}
	return cpu, perCPU * float64(cpu), nil
}

// nodeResources computes capacity and allocatable like AKS: CPU reserved
// for the kubelet by core count, memory reserved 20 MiB per pod + 50 MiB
// plus the 100 MiB eviction threshold (the rule of AKS 1.29 and later).
func nodeResources(n Node) (capacity, allocatable corev1.ResourceList, err error) {
	cpus, gib, err := vmShape(n.VMSize)
	if err != nil {
		return nil, nil, err
	}
	maxPods := 110
	if n.PodCIDR == "" {
		maxPods = 30 // Azure CNI
	}
	if v, ok := n.Labels[maxPodsLabel]; ok {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 250 {
			return nil, nil, fmt.Errorf("kube: node %s: label %s=%q is not a number of pods between 1 and 250", n.Name, maxPodsLabel, v)
		}
		maxPods = p
	}
	reservedCPU := 60
	switch {
	case cpus >= 64:
		reservedCPU = 740
	case cpus >= 32:
		reservedCPU = 420
	case cpus >= 16:
		reservedCPU = 260
	case cpus >= 8:
		reservedCPU = 180
	case cpus >= 4:
		reservedCPU = 140
	case cpus >= 2:
		reservedCPU = 100
	}
	memKi := int64(gib * 1024 * 1024)
	reservedMemKi := int64(20*maxPods+50+100) * 1024
	capacity = corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(cpus), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(memKi*1024, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(maxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("129886128Ki"),
	}
	allocatable = corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewMilliQuantity(int64(cpus*1000-reservedCPU), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity((memKi-reservedMemKi)*1024, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(int64(maxPods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("119703055367"),
	}
	return capacity, allocatable, nil
}

// heartbeat keeps the cluster's nodes alive while the cluster runs.
type heartbeat struct {
	c      *Cluster
	mu     sync.Mutex
	nodes  []Node
	cancel context.CancelFunc
	done   chan struct{}
}

func newHeartbeat(c *Cluster) *heartbeat {
	ctx, cancel := context.WithCancel(context.Background())
	h := &heartbeat{c: c, cancel: cancel, done: make(chan struct{})}
	go h.run(ctx)
	return h
}

func (h *heartbeat) set(nodes []Node) {
	h.mu.Lock()
	h.nodes = append([]Node(nil), nodes...)
	h.mu.Unlock()
}

func (h *heartbeat) stop() {
	h.cancel()
	<-h.done
}

func (h *heartbeat) run(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(heartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		nodes := append([]Node(nil), h.nodes...)
		h.mu.Unlock()
		if len(nodes) == 0 {
			continue
		}
		cs, err := kubernetes.NewForConfig(h.c.RESTConfig())
		if err != nil {
			h.c.log.Warn("kube: node heartbeat", "err", err)
			continue
		}
		for _, n := range nodes {
			if err := beat(ctx, cs, n); err != nil && ctx.Err() == nil {
				h.c.log.Debug("kube: node heartbeat", "node", n.Name, "err", err)
			}
		}
	}
}

// beat refreshes the heartbeat times of a node's conditions and renews its
// Lease.
func beat(ctx context.Context, cs kubernetes.Interface, n Node) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := metav1.Now()
	for i := range node.Status.Conditions {
		node.Status.Conditions[i].LastHeartbeatTime = now
	}
	if node, err = cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return err
	}
	return renewLease(ctx, cs, node)
}
