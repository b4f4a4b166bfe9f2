package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

var everything = labels.Everything()

const (
	defaultScheduler = "default-scheduler"
	// Pods labelled app.kubernetes.io/managed-by=privlink (the records of
	// `az aks command invoke` runs, which internal/kube runs and reports
	// itself) are left alone.
	managedByLabel    = "app.kubernetes.io/managed-by"
	managedByPrivlink = "privlink"
)

func (a *Agent) podWork(ctx context.Context) bool {
	key, quit := a.podQ.Get()
	if quit {
		return false
	}
	defer a.podQ.Done(key)
	if err := a.syncPod(ctx, key); err != nil {
		if ctx.Err() == nil {
			a.log.Debug("pod sync failed; retrying", "pod", key, "err", err)
			a.podQ.AddRateLimited(key)
		}
		return true
	}
	a.podQ.Forget(key)
	return true
}

// syncPod schedules, runs or stops one pod.
func (a *Agent) syncPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		a.stopPod(key, "")
		return nil
	}
	if err != nil {
		return err
	}
	if pod.Labels[managedByLabel] == managedByPrivlink {
		return nil // privlink records these itself (aks command invoke)
	}
	if pod.Spec.NodeName == "" {
		if pod.DeletionTimestamp != nil || terminal(pod) {
			return nil
		}
		return a.schedule(ctx, pod)
	}
	if _, ours := a.nodeByName(pod.Spec.NodeName); !ours {
		return nil
	}
	if pod.DeletionTimestamp != nil {
		a.stopPod(key, string(pod.UID))
		// The kubelet's final deletion once the containers are gone.
		err := a.cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: new(int64), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
		return nil
	}
	if terminal(pod) {
		a.stopPod(key, string(pod.UID))
		return nil
	}
	return a.runPod(ctx, key, pod)
}

func terminal(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// schedule binds a pod to a Ready node that fits its node selector and
// tolerations, the one with the fewest pods (simple spread).
func (a *Agent) schedule(ctx context.Context, pod *corev1.Pod) error {
	if pod.Spec.SchedulerName != "" && pod.Spec.SchedulerName != defaultScheduler {
		return nil
	}
	// One pod at a time; bindings the informer has not shown yet count
	// (kube-scheduler's "assumed" pods).
	a.schedMu.Lock()
	defer a.schedMu.Unlock()
	nodes, err := a.nodes.List(everything)
	if err != nil {
		return err
	}
	pods, err := a.pods.List(everything)
	if err != nil {
		return err
	}
	count := map[string]int{}
	pending := map[types.UID]bool{}
	for _, p := range pods {
		if p.Spec.NodeName != "" && !terminal(p) {
			count[p.Spec.NodeName]++
		} else if p.Spec.NodeName == "" {
			pending[p.UID] = true
		}
	}
	for uid, node := range a.assumed {
		if pending[uid] {
			count[node]++
		} else {
			delete(a.assumed, uid)
		}
	}
	slices.SortFunc(nodes, func(x, y *corev1.Node) int { return strings.Compare(x.Name, y.Name) })
	var best *corev1.Node
	notReady, selector, taint := 0, 0, 0
	for _, n := range nodes {
		switch {
		case !nodeReady(n) || n.Spec.Unschedulable:
			notReady++
			continue
		case !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(n.Labels)):
			selector++
			continue
		case !tolerates(pod, n):
			taint++
			continue
		}
		if best == nil || count[n.Name] < count[best.Name] {
			best = n
		}
	}
	if best == nil {
		var why []string
		if notReady > 0 {
			why = append(why, fmt.Sprintf("%d node(s) were unschedulable", notReady))
		}
		if selector > 0 {
			why = append(why, fmt.Sprintf("%d node(s) didn't match Pod's node affinity/selector", selector))
		}
		if taint > 0 {
			why = append(why, fmt.Sprintf("%d node(s) had untolerated taint(s)", taint))
		}
		msg := fmt.Sprintf("0/%d nodes are available: %s.", len(nodes), strings.Join(why, ", "))
		a.recorder.Event(pod, corev1.EventTypeWarning, "FailedScheduling", msg)
		return a.updateStatus(ctx, pod, func(p *corev1.Pod) {
			setCondition(p, corev1.PodScheduled, corev1.ConditionFalse, "Unschedulable", msg)
		})
	}
	err = a.cs.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: best.Name},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("bind %s/%s to %s: %w", pod.Namespace, pod.Name, best.Name, err)
	}
	a.assumed[pod.UID] = best.Name
	a.log.Debug("pod scheduled", "pod", pod.Namespace+"/"+pod.Name, "node", best.Name)
	return nil
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func tolerates(pod *corev1.Pod, n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		ok := false
		for _, tol := range pod.Spec.Tolerations {
			if tol.ToleratesTaint(klog.Background(), &t, false) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func setCondition(p *corev1.Pod, t corev1.PodConditionType, s corev1.ConditionStatus, reason, msg string) {
	now := metav1.Now()
	for i, c := range p.Status.Conditions {
		if c.Type == t {
			if c.Status != s {
				p.Status.Conditions[i].LastTransitionTime = now
			}
			p.Status.Conditions[i].Status, p.Status.Conditions[i].Reason, p.Status.Conditions[i].Message = s, reason, msg
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: now})
}

// updateStatus applies f to the latest pod and writes its status.
func (a *Agent) updateStatus(ctx context.Context, pod *corev1.Pod, f func(*corev1.Pod)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := a.cs.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != pod.UID {
			return apierrors.NewNotFound(corev1.Resource("pods"), pod.Name)
		}
		before := cur.Status.DeepCopy()
		f(cur)
		if apiequality.Semantic.DeepEqual(before, &cur.Status) {
			return nil
		}
		_, err = a.cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// allocateIP picks the pod's address: the node's for host-network pods,
// else one of Node.PodIPs (Azure CNI) or of the node's pod CIDR
// (kubenet, overlay: from .2, .1 being the bridge) not used by another
// running pod of the node. A pod that already has an address keeps it.
func (a *Agent) allocateIP(pod *corev1.Pod, node Node) (netip.Addr, netip.Addr, error) {
	kn, err := a.nodes.Get(pod.Spec.NodeName)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("node %s: %w", pod.Spec.NodeName, err)
	}
	var hostIP netip.Addr
	for _, ad := range kn.Status.Addresses {
		if ad.Type == corev1.NodeInternalIP {
			hostIP, _ = netip.ParseAddr(ad.Address)
		}
	}
	if pod.Spec.HostNetwork {
		return hostIP, hostIP, nil
	}
	used := map[netip.Addr]bool{}
	pods, _ := a.pods.List(everything)
	for _, p := range pods {
		if p.UID == pod.UID || p.Spec.NodeName != pod.Spec.NodeName || p.Spec.HostNetwork || terminal(p) {
			continue
		}
		if ip, err := netip.ParseAddr(p.Status.PodIP); err == nil {
			used[ip] = true
		}
	}
	a.mu.Lock()
	for _, r := range a.running {
		if r.uid != string(pod.UID) && r.node == pod.Spec.NodeName {
			used[r.ip] = true
		}
	}
	a.mu.Unlock()
	var candidates func(yield func(netip.Addr) bool)
	if len(node.PodIPs) > 0 {
		candidates = slices.Values(node.PodIPs)
	} else if kn.Spec.PodCIDR != "" {
		pfx, err := netip.ParsePrefix(kn.Spec.PodCIDR)
		if err != nil {
			return netip.Addr{}, hostIP, fmt.Errorf("node %s: pod CIDR %q: %w", kn.Name, kn.Spec.PodCIDR, err)
		}
		pfx = pfx.Masked()
		candidates = func(yield func(netip.Addr) bool) {
			for ip := pfx.Addr().Next().Next(); pfx.Contains(ip) && pfx.Contains(ip.Next()); ip = ip.Next() {
				if !yield(ip) {
					return
				}
			}
		}
	} else {
		return netip.Addr{}, hostIP, errors.New("no pod IP addresses are configured for the node (Azure CNI secondary IPs or a pod CIDR)")
	}
	if cur, err := netip.ParseAddr(pod.Status.PodIP); err == nil && !used[cur] {
		for ip := range candidates {
			if ip == cur {
				return cur, hostIP, nil
			}
		}
	}
	for ip := range candidates {
		if !used[ip] {
			return ip, hostIP, nil
		}
	}
	return netip.Addr{}, hostIP, errors.New("no IP addresses available in range set")
}

// runPod starts the pod's containers once and reports their state.
func (a *Agent) runPod(ctx context.Context, key string, pod *corev1.Pod) error {
	a.mu.Lock()
	r := a.running[key]
	a.mu.Unlock()
	if r != nil && r.uid != string(pod.UID) {
		a.stopPod(key, r.uid)
		r = nil
	}
	if r == nil {
		node, _ := a.nodeByName(pod.Spec.NodeName)
		ip, hostIP, err := a.allocateIP(pod, node)
		if err != nil {
			msg := fmt.Sprintf("Failed to create pod sandbox: plugin type=\"azure-vnet\" failed (add): %v", err)
			a.recorder.Event(pod, corev1.EventTypeWarning, "FailedCreatePodSandBox", msg)
			return fmt.Errorf("pod %s: %w", key, err)
		}
		r, err = a.startPod(pod, ip, hostIP)
		if err != nil {
			return err
		}
		a.mu.Lock()
		a.running[key] = r
		for port, real := range r.addrs() {
			a.byAddr[netip.AddrPortFrom(ip, uint16(port))] = real
		}
		a.mu.Unlock()
		a.proxyQ.Add("sync")
	}
	return a.reportStatus(ctx, pod, r)
}

// stopPod stops a pod's containers (uid "" = any).
func (a *Agent) stopPod(key, uid string) {
	a.mu.Lock()
	r := a.running[key]
	if r == nil || (uid != "" && r.uid != uid) {
		a.mu.Unlock()
		return
	}
	delete(a.running, key)
	for port := range r.addrs() {
		delete(a.byAddr, netip.AddrPortFrom(r.ip, uint16(port)))
	}
	a.mu.Unlock()
	r.stop()
	a.proxyQ.Add("sync")
}

// reportStatus writes the pod's status from its containers' state; while
// a container is not yet listening it checks again shortly.
func (a *Agent) reportStatus(ctx context.Context, pod *corev1.Pod, r *podRun) error {
	st := r.status()
	allReady := true
	for _, c := range st.containers {
		allReady = allReady && c.Ready
	}
	err := a.updateStatus(ctx, pod, func(p *corev1.Pod) {
		if p.Status.StartTime == nil {
			p.Status.StartTime = &metav1.Time{Time: r.started}
		}
		p.Status.Phase = st.phase
		p.Status.HostIP = r.hostIP.String()
		p.Status.HostIPs = []corev1.HostIP{{IP: r.hostIP.String()}}
		p.Status.PodIP = r.ip.String()
		p.Status.PodIPs = []corev1.PodIP{{IP: r.ip.String()}}
		p.Status.QOSClass = qosClass(p)
		p.Status.ContainerStatuses = st.containers
		ready, reason := corev1.ConditionTrue, ""
		if !allReady {
			ready, reason = corev1.ConditionFalse, "ContainersNotReady"
		}
		setCondition(p, corev1.PodScheduled, corev1.ConditionTrue, "", "")
		setCondition(p, corev1.PodInitialized, corev1.ConditionTrue, "", "")
		setCondition(p, corev1.PodReadyToStartContainers, corev1.ConditionTrue, "", "")
		setCondition(p, corev1.ContainersReady, ready, reason, notReadyMsg(st, ready))
		setCondition(p, corev1.PodReady, ready, reason, notReadyMsg(st, ready))
	})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	if !allReady && st.phase == corev1.PodRunning || st.restartPending {
		a.podQ.AddAfter(pod.Namespace+"/"+pod.Name, 300*time.Millisecond)
	}
	return nil
}

func notReadyMsg(st podStatus, ready corev1.ConditionStatus) string {
	if ready == corev1.ConditionTrue {
		return ""
	}
	var names []string
	for _, c := range st.containers {
		if !c.Ready {
			names = append(names, c.Name)
		}
	}
	return "containers with unready status: [" + strings.Join(names, " ") + "]"
}

func qosClass(p *corev1.Pod) corev1.PodQOSClass {
	if p.Status.QOSClass != "" {
		return p.Status.QOSClass
	}
	any, guaranteed := false, true
	for _, c := range p.Spec.Containers {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			any = true
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			l, ok := c.Resources.Limits[r]
			q, okq := c.Resources.Requests[r]
			if !ok || (okq && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}
