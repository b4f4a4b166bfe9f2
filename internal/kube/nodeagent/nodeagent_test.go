package nodeagent

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	proxyproto "github.com/pires/go-proxyproto"
)

func start(t *testing.T) (*Agent, *fakeARM, kubernetes.Interface) {
	t.Helper()
	f := &fakeARM{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := Start(ctx, Config{Kube: testCluster.RESTConfig(), ARM: f, Log: testLog, Nodes: func() []Node {
		return []Node{{Name: nodeNames[0], VMID: vmID(nodeNames[0])}, {Name: nodeNames[1], VMID: vmID(nodeNames[1])}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	cs, err := kubernetes.NewForConfig(testCluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return a, f, cs
}

var nsSeq atomic.Int32

// mkns creates a namespace with a fresh name (tests may run -count=N on
// one cluster).
func mkns(t *testing.T, cs kubernetes.Interface, base string) string {
	t.Helper()
	ns := base + "-" + strconv.Itoa(int(nsSeq.Add(1)))
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ns
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue && p.Status.Phase == corev1.PodRunning
		}
	}
	return false
}

func readyPods(t *testing.T, cs kubernetes.Interface, ns, selector string, n int) []corev1.Pod {
	t.Helper()
	var out []corev1.Pod
	waitFor(t, "ready pods "+selector, func() bool {
		list, err := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false
		}
		out = out[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				out = append(out, p)
			}
		}
		return len(out) == n && len(list.Items) == n
	})
	return out
}

func TestDeploymentRunsAndNodePort(t *testing.T) {
	a, f, cs := start(t)
	ctx := context.Background()
	ns := mkns(t, cs, "web")
	labels := map[string]string{"app": "super-api"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "super-api", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Replicas: new(int32), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "super", Image: "ghcr.io/gbaeke/super:1.0.7",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}}}}}
	*dep.Spec.Replicas = 2
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := readyPods(t, cs, ns, "app=super-api", 2)
	// The status settles: no write without a change.
	rv := pods[0].ResourceVersion
	time.Sleep(1500 * time.Millisecond)
	if cur, err := cs.CoreV1().Pods(ns).Get(ctx, pods[0].Name, metav1.GetOptions{}); err != nil || cur.ResourceVersion != rv {
		t.Fatalf("pod %s rewritten without a change (resourceVersion %s -> %s, %v)", pods[0].Name, rv, cur.ResourceVersion, err)
	}
	if pods[0].Spec.NodeName == pods[1].Spec.NodeName {
		t.Fatalf("both pods on %s; want them spread", pods[0].Spec.NodeName)
	}
	for _, p := range pods {
		want := "10.244.0."
		if p.Spec.NodeName == nodeNames[1] {
			want = "10.244.1."
		}
		if !strings.HasPrefix(p.Status.PodIP, want) || p.Status.HostIP == "" || len(p.Status.ContainerStatuses) != 1 ||
			p.Status.ContainerStatuses[0].State.Running == nil || !p.Status.ContainerStatuses[0].Ready {
			t.Fatalf("pod %s status: ip %s host %s containers %+v", p.Name, p.Status.PodIP, p.Status.HostIP, p.Status.ContainerStatuses)
		}
		real, ok := a.PodAddr(netip.AddrPortFrom(netip.MustParseAddr(p.Status.PodIP), 8080))
		if !ok || !real.Addr().IsLoopback() {
			t.Fatalf("no loopback server for %s:8080", p.Status.PodIP)
		}
		body, err := httpGet(t, real.String(), "/api?x=1")
		if err != nil || !strings.Contains(body, "pod: "+p.Name) || !strings.Contains(body, "image: ghcr.io/gbaeke/super:1.0.7") ||
			!strings.Contains(body, "request: GET /api?x=1 HTTP/1.1") {
			t.Fatalf("GET %s: %v\n%s", real, err, body)
		}
		// Raw TCP is echoed.
		c, err := net.Dial("tcp", real.String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("ping\n"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || line != "ping\n" {
			t.Fatalf("TCP echo = %q, %v", line, err)
		}
	}

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "super-api", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels,
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	svc, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	np := svc.Spec.Ports[0].NodePort
	waitFor(t, "node port listeners", func() bool {
		return f.target(vmID(nodeNames[0]), np) != "" && f.target(vmID(nodeNames[1]), np) != ""
	})
	seen := map[string]bool{}
	for _, n := range nodeNames {
		target := f.target(vmID(n), np)
		waitFor(t, "endpoints behind "+n, func() bool {
			for range 4 {
				body, err := httpGet(t, target, "/")
				if err != nil {
					return false
				}
				for _, p := range pods {
					if strings.Contains(body, "pod: "+p.Name+"\n") {
						seen[p.Name] = true
					}
				}
			}
			return true
		})
	}
	if len(seen) != 2 {
		t.Fatalf("node ports reached pods %v; want both", seen)
	}
	// The ClusterIP is a host-local listener on every node, forwarding to
	// the endpoints; the pods' overlay addresses are declared on every
	// node (routed by the cluster's nodes only).
	cip := svc.Spec.ClusterIP
	for _, n := range nodeNames {
		var target string
		waitFor(t, "ClusterIP listener on "+n, func() bool {
			target = f.addrTarget(vmID(n), cip, 80)
			return target != ""
		})
		if body, err := httpGet(t, target, "/"); err != nil || !strings.Contains(body, "pod: super-api-") {
			t.Fatalf("ClusterIP %s:80 via %s: %v\n%s", cip, target, err, body)
		}
		for _, p := range pods {
			real, _ := a.PodAddr(netip.AddrPortFrom(netip.MustParseAddr(p.Status.PodIP), 8080))
			waitFor(t, "pod address listener on "+n, func() bool { return f.addrTarget(vmID(n), p.Status.PodIP, 8080) == real.String() })
		}
	}
	env := strings.Join(a.serviceEnv(&pods[0]), "\n") + "\n"
	for _, want := range []string{"SUPER_API_SERVICE_HOST=" + cip + "\n", "SUPER_API_SERVICE_PORT=80\n",
		"SUPER_API_PORT_80_TCP=tcp://" + cip + ":80\n", "KUBERNETES_SERVICE_HOST="} {
		if !strings.Contains(env, want) {
			t.Fatalf("service links lack %q:\n%s", want, env)
		}
	}
	if err := cs.CoreV1().Services(ns).Delete(ctx, "super-api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "listeners withdrawn", func() bool {
		return f.target(vmID(nodeNames[0]), np) == "" && f.target(vmID(nodeNames[1]), np) == "" &&
			f.addrTarget(vmID(nodeNames[0]), cip, 80) == "" && f.addrTarget(vmID(nodeNames[1]), cip, 80) == ""
	})

	// Scaling to zero stops the servers.
	real, _ := a.PodAddr(netip.AddrPortFrom(netip.MustParseAddr(pods[0].Status.PodIP), 8080))
	dep, _ = cs.AppsV1().Deployments(ns).Get(ctx, "super-api", metav1.GetOptions{})
	*dep.Spec.Replicas = 0
	if _, err := cs.AppsV1().Deployments(ns).Update(ctx, dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pods gone", func() bool {
		list, _ := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=super-api"})
		return list != nil && len(list.Items) == 0
	})
	if _, ok := a.PodAddr(netip.AddrPortFrom(netip.MustParseAddr(pods[0].Status.PodIP), 8080)); ok {
		t.Fatal("deleted pod still has a server")
	}
	waitFor(t, "pod address listeners withdrawn", func() bool {
		return f.addrTarget(vmID(nodeNames[0]), pods[0].Status.PodIP, 8080) == "" && f.addrTarget(vmID(nodeNames[1]), pods[1].Status.PodIP, 8080) == ""
	})
	if c, err := net.DialTimeout("tcp", real.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("deleted pod's server still accepts connections")
	}
}

func TestCommandPod(t *testing.T) {
	a, _, cs := start(t)
	ctx := context.Background()
	ns := mkns(t, cs, "cmd")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "backend", Namespace: ns, Labels: map[string]string{"app": "backend"},
		Annotations: map[string]string{AnnCommand: "exec '" + os.Args[0] + "' -test.run=^$"}},
		Spec: corev1.PodSpec{NodeName: nodeNames[1], Containers: []corev1.Container{{Name: "app", Image: "example.com/backend:1",
			Env: []corev1.EnvVar{{Name: serveEnv, Value: "1"}}, Ports: []corev1.ContainerPort{{ContainerPort: 9000}}}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := readyPods(t, cs, ns, "app=backend", 1)[0]
	if p.Spec.NodeName != nodeNames[1] || !strings.HasPrefix(p.Status.PodIP, "10.244.1.") {
		t.Fatalf("pod on %s with %s; want spec.nodeName honoured", p.Spec.NodeName, p.Status.PodIP)
	}
	real, ok := a.PodAddr(netip.AddrPortFrom(netip.MustParseAddr(p.Status.PodIP), 9000))
	if !ok {
		t.Fatal("no address for the command's port")
	}
	body, err := httpGet(t, real.String(), "/x")
	if err != nil || body != "backend of backend says hello to /x" {
		t.Fatalf("GET: %q, %v", body, err)
	}
	if logs, _ := a.Logs(ns, "backend", "app"); !strings.Contains(logs, "backend starting on port "+strconv.Itoa(int(real.Port()))) {
		t.Fatalf("logs = %q", logs)
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "backend", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pod deleted", func() bool {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, "backend", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	waitFor(t, "process stopped", func() bool {
		c, err := net.DialTimeout("tcp", real.String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
}

func TestUnschedulable(t *testing.T) {
	_, _, cs := start(t)
	ctx := context.Background()
	ns := mkns(t, cs, "sel")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "nowhere", Namespace: ns},
		Spec: corev1.PodSpec{NodeSelector: map[string]string{"agentpool": "gpu"},
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Run-command records (internal/kube) are privlink's own: never bound.
	rec := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "command-x", Namespace: ns, Labels: map[string]string{managedByLabel: managedByPrivlink}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, rec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
	waitFor(t, "Unschedulable condition", func() bool {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "nowhere", metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == "Unschedulable" && c.Message == want {
				return p.Spec.NodeName == ""
			}
		}
		return false
	})
	if p, err := cs.CoreV1().Pods(ns).Get(ctx, "command-x", metav1.GetOptions{}); err != nil || p.Spec.NodeName != "" || p.Status.Phase != corev1.PodPending {
		t.Fatalf("privlink's command pod was touched: node %q phase %s (%v)", p.Spec.NodeName, p.Status.Phase, err)
	}
}

// TestEchoProxyProtocol: behind a link service with proxy protocol on, the
// echo server reads the PROXY v2 header and reports its source and the
// endpoint's LinkID instead of echoing the header back.
func TestEchoProxyProtocol(t *testing.T) {
	l, addr, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := &echoServer{pod: "p", namespace: "ns", container: "c", image: "i", node: "n", podIP: "10.244.0.2", port: 8080}
	go s.serve(l)
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := &proxyproto.Header{Version: 2, Command: proxyproto.PROXY, TransportProtocol: proxyproto.TCPv4,
		SourceAddr:      &net.TCPAddr{IP: net.ParseIP("10.224.10.10"), Port: 40000},
		DestinationAddr: &net.TCPAddr{IP: net.ParseIP("10.224.0.100"), Port: 80}}
	if err := h.SetTLVs([]proxyproto.TLV{{Type: azureTLV, Value: []byte{0x01, 42, 0, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.WriteTo(c); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if !strings.Contains(body, "client: 10.224.10.10:40000\n") ||
		!strings.Contains(body, "proxy protocol: v2 10.224.10.10:40000 -> 10.224.0.100:80 linkID 42\n") {
		t.Fatalf("answer:\n%s", body)
	}
}
