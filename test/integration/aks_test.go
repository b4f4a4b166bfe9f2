package integration

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"golang.org/x/net/proxy"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestAKS drives managed clusters with the Azure SDK for Go: a private
// (Private Link) cluster whose API server a jump box in the cluster VNet
// reaches through the fabric while the internet cannot even resolve its
// name, its credentials, a run command, a public cluster with authorized
// IP ranges, and deletion of everything a cluster owns.
func TestAKS(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	c := daemonClient(t, d)
	s := newSDK(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const rg, region = "aks-rg", "westus2"
	_, err := s.groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: to(region)}, nil)
	must(err)
	f, err := armcontainerservice.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	clusters := f.NewManagedClustersClient()
	pools := f.NewAgentPoolsClient()
	create := func(name string, ap *armcontainerservice.ManagedClusterAPIServerAccessProfile) armcontainerservice.ManagedCluster {
		t.Helper()
		p, err := clusters.BeginCreateOrUpdate(ctx, rg, name, armcontainerservice.ManagedCluster{
			Location: to(region),
			Identity: &armcontainerservice.ManagedClusterIdentity{Type: to(armcontainerservice.ResourceIdentityTypeSystemAssigned)},
			Properties: &armcontainerservice.ManagedClusterProperties{
				DNSPrefix: to(name),
				AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{{
					Name: to("nodepool1"), Count: to[int32](1), VMSize: to("Standard_DS2_v2"),
					Mode: to(armcontainerservice.AgentPoolModeSystem),
				}},
				NetworkProfile:         &armcontainerservice.NetworkProfile{LoadBalancerSKU: to(armcontainerservice.LoadBalancerSKUStandard)},
				APIServerAccessProfile: ap,
			},
		}, nil)
		must(err)
		res, err := p.PollUntilDone(ctx, &azPoll)
		must(err)
		return res.ManagedCluster
	}

	start := time.Now()
	priv := create("priv", &armcontainerservice.ManagedClusterAPIServerAccessProfile{EnablePrivateCluster: to(true)})
	t.Logf("private cluster created in %v", time.Since(start))
	pp := priv.Properties
	if !regexp.MustCompile(`^priv-[0-9a-f]{8}\.hcp\.westus2\.azmk8s\.io$`).MatchString(deref(pp.Fqdn)) ||
		!regexp.MustCompile(`^priv-[0-9a-f]{8}\.[0-9a-f-]{36}\.privatelink\.westus2\.azmk8s\.io$`).MatchString(deref(pp.PrivateFQDN)) ||
		deref(pp.NodeResourceGroup) != "MC_aks-rg_priv_westus2" || deref(pp.ProvisioningState) != "Succeeded" ||
		deref(pp.PowerState.Code) != armcontainerservice.CodeRunning {
		t.Fatalf("private cluster: fqdn %q privateFQDN %q nodeRG %q state %q", deref(pp.Fqdn), deref(pp.PrivateFQDN),
			deref(pp.NodeResourceGroup), deref(pp.ProvisioningState))
	}
	if strings.Split(deref(pp.Fqdn), ".")[0] == strings.Split(deref(pp.PrivateFQDN), ".")[0] {
		t.Errorf("the public and private FQDNs share their hash: %s %s", deref(pp.Fqdn), deref(pp.PrivateFQDN))
	}
	pool, err := pools.Get(ctx, rg, "priv", "nodepool1", nil)
	must(err)
	if deref(pool.Properties.Count) != 1 {
		t.Errorf("agent pool count %d", deref(pool.Properties.Count))
	}

	// Credentials: the private FQDN is the server.
	creds, err := clusters.ListClusterUserCredentials(ctx, rg, "priv", nil)
	must(err)
	kc := creds.Kubeconfigs[0].Value
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kc)
	must(err)
	if cfg.Host != "https://"+deref(pp.PrivateFQDN)+":443" {
		t.Fatalf("kubeconfig server %q", cfg.Host)
	}

	// From the internet the private name does not resolve.
	inet, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: "internet", Password: d.FabricToken()}, proxy.Direct)
	must(err)
	if conn, err := inet.Dial("tcp", deref(pp.PrivateFQDN)+":443"); err == nil {
		conn.Close()
		t.Fatal("the internet reached the private API server")
	}

	// A jump box in the cluster VNet runs kubectl's API calls.
	nrg := deref(pp.NodeResourceGroup)
	var vnetName string
	for pager := s.vnets.NewListPager(nrg, nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		must(err)
		for _, v := range page.Value {
			vnetName = deref(v.Name)
		}
	}
	sp, err := s.subnets.BeginCreateOrUpdate(ctx, nrg, vnetName, "jumpbox", armnetwork.Subnet{
		Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.225.1.0/24")}}, nil)
	must(err)
	sub, err := sp.PollUntilDone(ctx, nil)
	must(err)
	jumpID, _ := linuxVM(ctx, t, c, c.Subscription, nrg, region, "jumpbox", deref(sub.ID), "")
	jump, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: jumpID, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	cfg.Dial = jump.(proxy.ContextDialer).DialContext
	kcs, err := kubernetes.NewForConfig(cfg)
	must(err)
	ns, err := kcs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	must(err)
	if !hasNamespace(ns.Items, "kube-system") {
		t.Fatalf("namespaces from the jump box: %v", ns.Items)
	}
	nodes, err := kcs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must(err)
	if len(nodes.Items) != 1 || !strings.HasPrefix(nodes.Items[0].Name, "aks-nodepool1-") {
		t.Fatalf("nodes: %v", nodes.Items)
	}
	t.Logf("private cluster usable from the jump box %v after create started", time.Since(start))

	// Run command needs no network path.
	rp, err := clusters.BeginRunCommand(ctx, rg, "priv", armcontainerservice.RunCommandRequest{Command: to("kubectl get ns kube-system -o name")}, nil)
	must(err)
	rr, err := rp.PollUntilDone(ctx, &azPoll)
	must(err)
	if deref(rr.Properties.ExitCode) != 0 || !strings.Contains(deref(rr.Properties.Logs), "namespace/kube-system") {
		t.Fatalf("run command: exit %d logs %q", deref(rr.Properties.ExitCode), deref(rr.Properties.Logs))
	}

	// A public cluster admits only its authorized ranges; the internet
	// vantage is 203.0.113.10.
	pub := create("pub", &armcontainerservice.ManagedClusterAPIServerAccessProfile{
		AuthorizedIPRanges: []*string{to("198.51.100.0/24")}})
	fqdn := deref(pub.Properties.Fqdn)
	if conn, err := inet.Dial("tcp", fqdn+":443"); err == nil {
		conn.Close()
		t.Fatal("the internet reached a public API server outside its authorized ranges")
	}
	pub.Properties.APIServerAccessProfile.AuthorizedIPRanges = []*string{to("203.0.113.0/24")}
	up, err := clusters.BeginCreateOrUpdate(ctx, rg, "pub", pub, nil)
	must(err)
	_, err = up.PollUntilDone(ctx, &azPoll)
	must(err)
	pcreds, err := clusters.ListClusterAdminCredentials(ctx, rg, "pub", nil)
	must(err)
	pcfg, err := clientcmd.RESTConfigFromKubeConfig(pcreds.Kubeconfigs[0].Value)
	must(err)
	pcfg.Dial = inet.(proxy.ContextDialer).DialContext
	pkcs, err := kubernetes.NewForConfig(pcfg)
	must(err)
	if _, err := pkcs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("public cluster from the internet within the authorized range: %v", err)
	}
	// The two clusters are separate Kubernetes.
	if _, err := kcs.CoreV1().Namespaces().Create(ctx, nsObj("only-in-priv"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pkcs.CoreV1().Namespaces().Get(ctx, "only-in-priv", metav1.GetOptions{}); err == nil {
		t.Fatal("a namespace made in one cluster is visible in another")
	}

	// A restarted daemon brings the API servers back with their data.
	stopDaemon(t, d)
	d = startDaemon(t, dir)
	c = daemonClient(t, d)
	s = newSDK(t, c)
	f, err = armcontainerservice.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	clusters = f.NewManagedClustersClient()
	jump, err = proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: jumpID, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	cfg.Dial = jump.(proxy.ContextDialer).DialContext
	kcs, err = kubernetes.NewForConfig(cfg)
	must(err)
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := kcs.CoreV1().Namespaces().Get(ctx, "only-in-priv", metav1.GetOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a daemon restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Delete takes the node resource group with it.
	dp, err := clusters.BeginDelete(ctx, rg, "priv", nil)
	must(err)
	_, err = dp.PollUntilDone(ctx, &azPoll)
	must(err)
	if _, err := s.groups.Get(ctx, nrg, nil); err == nil {
		t.Fatalf("node resource group %s survived its cluster", nrg)
	}
}

// azPoll polls long-running operations quickly (privlink finishes them in
// seconds; Retry-After is honoured when larger).
var azPoll = runtime.PollUntilDoneOptions{Frequency: 250 * time.Millisecond}

func nsObj(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func hasNamespace(items []corev1.Namespace, name string) bool {
	for _, i := range items {
		if i.Name == name {
			return true
		}
	}
	return false
}
