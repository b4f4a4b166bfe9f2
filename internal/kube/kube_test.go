package kube

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/pki"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestParseProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000000000000000000001000000:0050": "[::1]:80",
		"0000000000000000FFFF00000100007F:01BB": "127.0.0.1:443",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseProcAddr("zz:1"); err == nil {
		t.Error("parseProcAddr accepted garbage")
	}
}

// TestOwnerOnlyListener: a connection from this process is served, one
// from another process is closed at once.
func TestOwnerOnlyListener(t *testing.T) {
	l, err := listenOwnerOnly("127.0.0.1:0", testLog)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Close()
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello\n"))
			_ = c.Close()
		}
	})

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || line != "hello\n" {
		t.Fatalf("in-process client: read %q, %v; want hello", line, err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), dialEnv+"="+l.Addr().String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "hello") || !strings.Contains(string(out), "error") {
		t.Fatalf("another process was served: %s", out)
	}
	t.Logf("other process: %s", strings.TrimSpace(string(out)))

	// Still serving this process afterwards.
	c, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "hello\n" {
		t.Fatalf("in-process client after refusal: %q, %v", line, err)
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`kubectl get ns`:                           {"kubectl", "get", "ns"},
		`kubectl  get pods -o 'jsonpath=a b'`:      {"kubectl", "get", "pods", "-o", "jsonpath=a b"},
		`kubectl get "cm" x\ y`:                    {"kubectl", "get", "cm", "x y"},
		`kubectl apply -f f.yaml --dry-run=client`: {"kubectl", "apply", "-f", "f.yaml", "--dry-run=client"},
	} {
		got, ok := splitWords(in)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{
		`kubectl get ns | grep x`, `kubectl get ns; ls`, `kubectl get ns > f`, `kubectl get $X`,
		`A=1 kubectl get ns`, `kubectl get "$X"`, `kubectl get ns && true`, `kubectl get 'unterminated`,
		"kubectl get ns\nls", `kubectl get ns # c`, `kubectl apply -f *.yaml`,
	} {
		if _, ok := plainKubectl(in); ok {
			t.Errorf("plainKubectl(%q) is plain; want shell", in)
		}
	}
	if _, ok := plainKubectl("helm list"); ok {
		t.Error("helm is not kubectl")
	}
}

// adminKubeconfig returns a file holding an admin kubeconfig that dials
// the cluster's Addr.
func kubeconfigFile(t *testing.T, c *Cluster, admin bool) string {
	t.Helper()
	kc, err := c.Kubeconfig(KubeconfigOptions{Admin: admin, Server: "https://" + c.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(f, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func kubectl(t *testing.T, kubeconfig string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	code := KubectlMain(append([]string{"--kubeconfig=" + kubeconfig, "--cache-dir=" + filepath.Join(t.TempDir(), "cache")}, args...), nil, &out, &out)
	return out.String(), code
}

func clientset(t *testing.T, c *Cluster) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestTwoClusters(t *testing.T) {
	before := rssMiB(t)
	var wg sync.WaitGroup
	var a, b *Cluster
	begin := time.Now()
	wg.Go(func() { a = cluster(t, "alpha") })
	a1 := func() *Cluster { wg.Wait(); return a }()
	afterOne := rssMiB(t)
	wg.Go(func() { b = cluster(t, "beta") })
	wg.Wait()
	t.Logf("two clusters ready in %s; RSS %d MiB before, %d MiB with one, %d MiB with two",
		time.Since(begin).Round(time.Millisecond), before, afterOne, rssMiB(t))
	if a1 == nil || b == nil {
		t.Fatal("clusters not started")
	}
	if a.Addr() == b.Addr() || !a.Addr().Addr().IsLoopback() {
		t.Fatalf("addresses %s and %s", a.Addr(), b.Addr())
	}
	if bytes.Equal(a.CACert(), b.CACert()) {
		t.Fatal("the clusters share a CA")
	}

	// The API server's listener serves this process only.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), dialEnv+"="+a.Addr().String(), dialTLSEnv+"=1")
	child, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(child), "handshake error") {
		t.Fatalf("another process reached the API server: %v %s", err, child)
	}
	t.Logf("another process dialing the API server: %s", strings.TrimSpace(string(child)))
	if conn, err := tls.Dial("tcp", a.Addr().String(), &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatalf("in-process TLS dial: %v", err)
	} else {
		conn.Close()
	}

	kcA, kcB := kubeconfigFile(t, a, true), kubeconfigFile(t, b, true)
	for _, kc := range []string{kcA, kcB} {
		out, code := kubectl(t, kc, "get", "ns")
		if code != 0 {
			t.Fatalf("kubectl get ns: exit %d: %s", code, out)
		}
		for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			if !strings.Contains(out, ns) {
				t.Errorf("kubectl get ns lacks %s:\n%s", ns, out)
			}
		}
	}
	if out, code := kubectl(t, kcA, "create", "namespace", "only-in-alpha"); code != 0 {
		t.Fatalf("create ns: %d %s", code, out)
	}
	if out, code := kubectl(t, kcA, "get", "ns", "only-in-alpha", "-o", "name"); code != 0 || strings.TrimSpace(out) != "namespace/only-in-alpha" {
		t.Fatalf("get ns in alpha: %d %q", code, out)
	}
	out, code := kubectl(t, kcB, "get", "ns", "only-in-alpha")
	if code == 0 || !strings.Contains(out, `namespaces "only-in-alpha" not found`) {
		t.Fatalf("beta sees alpha's namespace: exit %d: %s", code, out)
	}

	v, err := clientset(t, a).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v"+KubernetesVersion || v.Major != "1" || v.Minor != "37" {
		t.Fatalf("server version %+v", v)
	}
	out, code = kubectl(t, kcA, "version")
	if code != 0 || !strings.Contains(out, "Client Version: v1.37.1") || !strings.Contains(out, "Server Version: v1.37.1") {
		t.Fatalf("kubectl version: %d %s", code, out)
	}
}

// TestControlPlaneLoops: the controller-manager runs (service accounts),
// and the kubernetes Service points at the advertise address.
func TestControlPlaneLoops(t *testing.T) {
	c := cluster(t, "alpha")
	cs := clientset(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no default service account: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	svc, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || svc.Spec.ClusterIP != "10.0.0.1" {
		t.Fatalf("kubernetes service: %v %v", svc, err)
	}
	ep, err := cs.CoreV1().Endpoints("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil || len(ep.Subsets) == 0 || ep.Subsets[0].Addresses[0].IP != "10.224.0.4" {
		t.Fatalf("kubernetes endpoints: %v %v", ep, err)
	}
	cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	for err != nil && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		cm, err = cs.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
	}
	if err != nil || cm.Data["ca.crt"] != string(c.CACert()) {
		t.Fatalf("kube-root-ca.crt: %v", err)
	}
}

func TestEnsureNodes(t *testing.T) {
	c := cluster(t, "alpha")
	cs := clientset(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nodes := []Node{
		{Name: "aks-nodepool1-12345678-vmss000000", InternalIP: netip.MustParseAddr("10.224.0.5"), VMSize: "Standard_DS2_v2", Region: "eastus", Ready: true,
			Labels:     map[string]string{"agentpool": "nodepool1", "kubernetes.azure.com/mode": "system"},
			ProviderID: "azure:///subscriptions/s/resourceGroups/mc_rg_c_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0"},
		{Name: "aks-nodepool1-12345678-vmss000001", InternalIP: netip.MustParseAddr("10.224.0.6"), VMSize: "Standard_D4s_v5", Region: "eastus", Ready: false, PodCIDR: "10.244.1.0/24",
			Labels: map[string]string{"kubernetes.azure.com/max-pods": "50"}},
	}
	if err := c.EnsureNodes(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("nodes: %v %v", list, err)
	}
	ready := func(n corev1.Node) corev1.ConditionStatus {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				return c.Status
			}
		}
		return ""
	}
	for _, n := range list.Items {
		switch n.Name {
		case nodes[0].Name:
			if ready(n) != corev1.ConditionTrue || len(n.Spec.Taints) != 0 || n.Spec.ProviderID != nodes[0].ProviderID ||
				n.Status.NodeInfo.KubeletVersion != "v1.37.1" || n.Status.Capacity.Pods().Value() != 30 ||
				n.Status.Capacity.Cpu().Value() != 2 || n.Labels["agentpool"] != "nodepool1" ||
				n.Labels["node.kubernetes.io/instance-type"] != "Standard_DS2_v2" || n.Status.Addresses[0].Address != "10.224.0.5" {
				t.Errorf("node 0: %+v", n)
			}
			if a := n.Status.Allocatable.Cpu().MilliValue(); a != 1900 {
				t.Errorf("node 0 allocatable cpu %dm", a)
			}
		case nodes[1].Name:
			if ready(n) != corev1.ConditionFalse || n.Status.Capacity.Pods().Value() != 50 || n.Spec.PodCIDR != "10.244.1.0/24" ||
				n.Status.Capacity.Cpu().Value() != 4 || n.Status.Capacity.Memory().Value() != 16<<30 {
				t.Errorf("node 1: %+v", n)
			}
		default:
			t.Errorf("unexpected node %s", n.Name)
		}
		if _, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, n.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("lease of %s: %v", n.Name, err)
		}
	}
	// The heartbeat renews the lease.
	l0, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, nodes[0].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(heartbeatInterval + 10*time.Second)
	for {
		l, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, nodes[0].Name, metav1.GetOptions{})
		if err == nil && l.Spec.RenewTime.After(l0.Spec.RenewTime.Time) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lease not renewed: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}

	if err := c.EnsureNodes(ctx, nodes[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, nodes[1].Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("removed node still there: %v", err)
	}
	if err := c.EnsureNodes(ctx, []Node{{Name: "x", VMSize: "Standard_Nonsense"}}); err == nil {
		t.Fatal("unknown VM size accepted")
	}
}

func TestRunCommand(t *testing.T) {
	c := cluster(t, "alpha")
	cs := clientset(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	noPod := func(id string) {
		t.Helper()
		if _, err := cs.CoreV1().Pods("aks-command").Get(ctx, "command-"+id, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("pod command-%s still exists: %v", id, err)
		}
	}

	res, err := c.RunCommand(ctx, "c1", "kubectl get ns", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.Contains(res.Logs, "aks-command") || !strings.Contains(res.Logs, "kube-system") || res.FinishedAt.Before(res.StartedAt) {
		t.Fatalf("kubectl get ns: %+v", res)
	}
	noPod("c1")

	res, err = c.RunCommand(ctx, "c2", "kubectl get nosuchthing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || !strings.Contains(res.Logs, `the server doesn't have a resource type "nosuchthing"`) {
		t.Fatalf("kubectl get nosuchthing: %+v", res)
	}
	noPod("c2")

	manifest := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-file\n  namespace: default\ndata:\n  k: v\n")
	res, err = c.RunCommand(ctx, "c3", "kubectl apply -f f.yaml", map[string][]byte{"f.yaml": manifest})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.Contains(res.Logs, "configmap/from-file created") {
		t.Fatalf("kubectl apply: %+v", res)
	}
	if cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "from-file", metav1.GetOptions{}); err != nil || cm.Data["k"] != "v" {
		t.Fatalf("applied configmap: %v %v", cm, err)
	}
	noPod("c3")

	if _, err := c.RunCommand(ctx, "c4", "kubectl get ns", map[string][]byte{"../x": nil}); err == nil {
		t.Fatal("a file name with .. was accepted")
	}
	if _, err := c.RunCommand(ctx, "c4", "kubectl get ns", map[string][]byte{"a/b": nil}); err == nil {
		t.Fatal("a file name with / was accepted")
	}

	if _, err := os.Stat("/bin/sh"); err == nil {
		res, err = c.RunCommand(ctx, "c5", "cat f.txt; echo \"kc=${KUBECONFIG:+set}\"; exit 3", map[string][]byte{"f.txt": []byte("file content\n")})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 3 || !strings.Contains(res.Logs, "file content") || !strings.Contains(res.Logs, "kc=set") {
			t.Fatalf("shell command: %+v", res)
		}
		noPod("c5")
		// A subprocess reaches the API server through the run's
		// forwarder: a TLS handshake with the cluster's CA and the
		// admin certificate, then /version.
		if _, err := exec.LookPath("curl"); err == nil {
			res, err = c.RunCommand(ctx, "c6", `s=$(sed -n 's/.*server: //p' "$KUBECONFIG"); curl -sS --resolve kubernetes:${s##*:}:127.0.0.1 --cacert /dev/null -k "https://kubernetes:${s##*:}/version"`, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 0 || !strings.Contains(res.Logs, `"gitVersion": "v1.37.1"`) {
				t.Fatalf("curl through the forwarder: %+v", res)
			}
		}
	}

	// Logs are limited to 512 KiB.
	if _, err := os.Stat("/bin/sh"); err == nil {
		res, err = c.RunCommand(ctx, "c7", "head -c 600000 /dev/zero | tr '\\0' x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(res.Logs, strings.Repeat("x", MaxCommandLogs)) || !strings.Contains(res.Logs, "output truncated") || len(res.Logs) > MaxCommandLogs+200 {
			t.Fatalf("truncation: %d bytes, tail %q", len(res.Logs), res.Logs[max(0, len(res.Logs)-120):])
		}
	}
}

func TestKubeconfigShape(t *testing.T) {
	c := cluster(t, "alpha")
	kc, err := c.Kubeconfig(KubeconfigOptions{Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "alpha-admin" || cfg.Clusters["alpha"].Server != "https://alpha.hcp.eastus.azmk8s.io:443" ||
		cfg.Contexts["alpha-admin"].AuthInfo != "clusterAdmin_alpha" {
		t.Fatalf("kubeconfig: %s", kc)
	}
	for _, s := range []string{"apiVersion: v1", "kind: Config", "certificate-authority-data:", "client-certificate-data:", "client-key-data:", "current-context: alpha-admin"} {
		if !strings.Contains(string(kc), s) {
			t.Errorf("kubeconfig lacks %q:\n%s", s, kc)
		}
	}
	user := cfg.AuthInfos["clusterAdmin_alpha"]
	cert, err := tls.X509KeyPair(user.ClientCertificateData, user.ClientKeyData)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	if leaf.Subject.CommonName != "masterclient" || !slices.Equal(leaf.Subject.Organization, []string{"system:masters"}) ||
		leaf.NotAfter.Sub(leaf.NotBefore) < 2*365*24*time.Hour {
		t.Fatalf("admin cert subject %v, validity %s", leaf.Subject, leaf.NotAfter.Sub(leaf.NotBefore))
	}
	kc, err = c.Kubeconfig(KubeconfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ = clientcmd.Load(kc)
	u := cfg.AuthInfos["clusterUser_alpha"]
	if cfg.CurrentContext != "alpha" || u == nil {
		t.Fatalf("user kubeconfig: %s", kc)
	}
	leaf = parseCertPEM(t, u.ClientCertificateData)
	if leaf.Subject.CommonName != "clusterUser" {
		t.Fatalf("user cert subject %v", leaf.Subject)
	}
}

func parseCertPEM(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	c, err := pki.ParseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// servedCert returns the certificate the API server presents.
func servedCert(t *testing.T, c *Cluster) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", c.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// TestLifecycle: stop and start keep objects; a new Manager on the same
// data directory keeps the CA and the credentials; a SAN change re-issues
// the serving certificate; Delete removes the objects and the PKI.
func TestLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m := manager()
	c := cluster(t, "beta")
	cs := clientset(t, c)
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	userKC, err := c.Kubeconfig(KubeconfigOptions{Server: "https://" + c.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ca := c.CACert()
	port := c.Addr().Port()

	begin := time.Now()
	if err := m.Stop("beta"); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop: %s", time.Since(begin).Round(time.Millisecond))
	if m.Get("beta") != nil {
		t.Fatal("stopped cluster still listed")
	}
	begin = time.Now()
	c, err = m.Start(ctx, testSpec("beta"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restart: %s", time.Since(begin).Round(time.Millisecond))
	if c.Addr().Port() != port {
		t.Logf("port changed from %d to %d", port, c.Addr().Port())
	}
	if cm, err := clientset(t, c).CoreV1().ConfigMaps("default").Get(ctx, "keep", metav1.GetOptions{}); err != nil || cm.Data["a"] != "b" {
		t.Fatalf("object lost over stop/start: %v", err)
	}
	if err := m.Stop("beta"); err != nil {
		t.Fatal(err)
	}

	// A new Manager (a daemon restart) on the same data directory.
	m2 := newTestManager()
	defer m2.Close()
	c2, err := m2.Start(ctx, testSpec("beta"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c2.CACert(), ca) {
		t.Fatal("CA changed over a manager restart")
	}
	cfg, err := clientcmd.Load(userKC)
	if err != nil {
		t.Fatal(err)
	}
	for _, cl := range cfg.Clusters {
		cl.Server = "https://" + c2.Addr().String() // the data plane's address; same credentials
	}
	rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	oldCS, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if cm, err := oldCS.CoreV1().ConfigMaps("default").Get(ctx, "keep", metav1.GetOptions{}); err != nil || cm.Data["a"] != "b" {
		t.Fatalf("old kubeconfig after restart: %v", err)
	}

	// Same SANs: the same running cluster.
	again, err := m2.Start(ctx, testSpec("beta"))
	if err != nil || again != c2 {
		t.Fatalf("idempotent start: %v", err)
	}
	if slices.Contains(servedCert(t, c2).DNSNames, "new.example.test") {
		t.Fatal("SAN present before the change")
	}
	begin = time.Now()
	c3, err := m2.Start(ctx, testSpec("beta", "new.example.test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SAN change restart: %s", time.Since(begin).Round(time.Millisecond))
	cert := servedCert(t, c3)
	if !slices.Contains(cert.DNSNames, "new.example.test") || !slices.Contains(cert.DNSNames, "beta.hcp.eastus.azmk8s.io") || !slices.Contains(cert.DNSNames, "kubernetes.default.svc.cluster.local") {
		t.Fatalf("served SANs %v", cert.DNSNames)
	}
	if !bytes.Equal(c3.CACert(), ca) {
		t.Fatal("CA changed with the SANs")
	}
	if _, err := oldCS.CoreV1().ConfigMaps("default").Get(ctx, "keep", metav1.GetOptions{}); err != nil {
		t.Fatalf("credentials after SAN change: %v", err)
	}

	// Delete.
	cli := testEtcd.Client()
	count := func() int64 {
		r, err := cli.Get(ctx, etcdPrefix("beta")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	if n := count(); n == 0 {
		t.Fatal("no keys under the cluster's prefix before Delete")
	}
	alphaBefore, err := cli.Get(ctx, etcdPrefix("alpha")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Delete(ctx, "beta"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d keys left under the prefix", n)
	}
	if _, err := os.Stat(filepath.Join(testDataDir, "beta")); !os.IsNotExist(err) {
		t.Fatalf("PKI dir: %v", err)
	}
	if alphaBefore.Count > 0 {
		r, err := cli.Get(ctx, etcdPrefix("alpha")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil || r.Count == 0 {
			t.Fatalf("Delete of beta touched alpha: %v", err)
		}
	}
	if m2.Get("beta") != nil {
		t.Fatal("deleted cluster still listed")
	}
}
