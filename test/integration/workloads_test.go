package integration

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	"golang.org/x/net/proxy"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

// seed004Service is the Service of seed 004 verbatim, with its two
// placeholders (YOUR SUBNET, YOUR SUBSCRIPTION ID) filled in.
const seed004Service = `apiVersion: v1
kind: Service
metadata:
  name: super-api
  annotations:
    # create ILB instead of ELB; this functionality predates the PLS functionality
    service.beta.kubernetes.io/azure-load-balancer-internal: "true"
    service.beta.kubernetes.io/azure-pls-create: "true"
    service.beta.kubernetes.io/azure-pls-name: myPLS
    service.beta.kubernetes.io/azure-pls-ip-configuration-subnet: aks-subnet
    service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address-count: "1"
    service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address: 10.224.10.10
    service.beta.kubernetes.io/azure-pls-proxy-protocol: "false"
    service.beta.kubernetes.io/azure-pls-visibility: "*"
    # does not apply here because we will use Front Door later
    service.beta.kubernetes.io/azure-pls-auto-approval: "SUBSCRIPTION"
spec:
  selector:
    app: super-api
  type: LoadBalancer
  ports:
  - port: 80
    targetPort: 8080
`

const seed004Deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: super-api
spec:
  replicas: 2
  selector:
    matchLabels:
      app: super-api
  template:
    metadata:
      labels:
        app: super-api
    spec:
      containers:
      - name: super-api
        image: ghcr.io/gbaeke/super:1.0.7
        ports:
        - containerPort: 8080
`

// TestWorkloadsSeed004: in an AKS cluster, seed 004's Deployment runs
// (scheduled, Running, Ready) and its Service makes the cloud provider
// create the internal load balancer kubernetes-internal and the private
// link service myPLS with NAT IP 10.224.10.10 in the node subnet; a VM in
// the node VNet reaches a pod's stand-in server at the load balancer's
// frontend on port 80. Deleting the Service removes the link service and
// the load balancer.
func TestWorkloadsSeed004(t *testing.T) {
	d := startDaemon(t, t.TempDir())
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
	const rg, region = "aksdemo-rg", "westeurope"
	_, err := s.groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: to(region)}, nil)
	must(err)
	f, err := armcontainerservice.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	cp, err := f.NewManagedClustersClient().BeginCreateOrUpdate(ctx, rg, "aksdemo", armcontainerservice.ManagedCluster{
		Location: to(region),
		Identity: &armcontainerservice.ManagedClusterIdentity{Type: to(armcontainerservice.ResourceIdentityTypeSystemAssigned)},
		Properties: &armcontainerservice.ManagedClusterProperties{
			DNSPrefix: to("aksdemo"),
			AgentPoolProfiles: []*armcontainerservice.ManagedClusterAgentPoolProfile{{
				Name: to("nodepool1"), Count: to[int32](2), VMSize: to("Standard_DS2_v2"), Mode: to(armcontainerservice.AgentPoolModeSystem),
			}},
			NetworkProfile: &armcontainerservice.NetworkProfile{LoadBalancerSKU: to(armcontainerservice.LoadBalancerSKUStandard)},
		},
	}, nil)
	must(err)
	mc, err := cp.PollUntilDone(ctx, &azPoll)
	must(err)
	nrg := deref(mc.Properties.NodeResourceGroup)

	// kubectl from the internet (a public cluster).
	inet, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: "internet", Password: d.FabricToken()}, proxy.Direct)
	must(err)
	creds, err := f.NewManagedClustersClient().ListClusterAdminCredentials(ctx, rg, "aksdemo", nil)
	must(err)
	cfg, err := clientcmd.RESTConfigFromKubeConfig(creds.Kubeconfigs[0].Value)
	must(err)
	cfg.Dial = inet.(proxy.ContextDialer).DialContext
	kcs, err := kubernetes.NewForConfig(cfg)
	must(err)

	var dep appsv1.Deployment
	must(yaml.Unmarshal([]byte(seed004Deployment), &dep))
	_, err = kcs.AppsV1().Deployments("default").Create(ctx, &dep, metav1.CreateOptions{})
	must(err)
	var svc corev1.Service
	must(yaml.Unmarshal([]byte(strings.ReplaceAll(seed004Service, "SUBSCRIPTION", c.Subscription)), &svc))
	_, err = kcs.CoreV1().Services("default").Create(ctx, &svc, metav1.CreateOptions{})
	must(err)

	// The pods run and are Ready.
	waitUntil(t, time.Minute, "2 Ready pods", func() bool {
		pods, err := kcs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=super-api"})
		if err != nil {
			return false
		}
		ready := 0
		for _, p := range pods.Items {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue && p.Status.PodIP != "" {
					ready++
				}
			}
		}
		return ready == 2
	})
	// The Service gets the internal frontend's address.
	var ilbIP string
	waitUntil(t, time.Minute, "the Service's load balancer address", func() bool {
		cur, err := kcs.CoreV1().Services("default").Get(ctx, "super-api", metav1.GetOptions{})
		if err != nil || len(cur.Status.LoadBalancer.Ingress) == 0 {
			return false
		}
		ilbIP = cur.Status.LoadBalancer.Ingress[0].IP
		return true
	})
	net, err := armnetwork.NewClientFactory(c.Subscription, c.Cred, c.Options)
	must(err)
	lb, err := net.NewLoadBalancersClient().Get(ctx, nrg, "kubernetes-internal", nil)
	must(err)
	fe := lb.Properties.FrontendIPConfigurations
	if len(fe) != 1 || deref(fe[0].Properties.PrivateIPAddress) != ilbIP || !strings.HasSuffix(deref(fe[0].Properties.Subnet.ID), "/subnets/aks-subnet") {
		t.Fatalf("kubernetes-internal frontends: %+v (service address %s)", fe, ilbIP)
	}
	pls, err := net.NewPrivateLinkServicesClient().Get(ctx, nrg, "myPLS", nil)
	must(err)
	ipc := pls.Properties.IPConfigurations
	if len(ipc) != 1 || deref(ipc[0].Properties.PrivateIPAddress) != "10.224.10.10" || !deref(ipc[0].Properties.Primary) ||
		deref(ipc[0].Name) != "aks-subnet-myPLS-static-10.224.10.10" || !strings.HasSuffix(deref(ipc[0].Properties.Subnet.ID), "/subnets/aks-subnet") {
		t.Fatalf("myPLS NAT ip configurations: %+v", ipc)
	}
	if deref(pls.Properties.Alias) == "" || deref(pls.Tags["k8s-azure-owner-service"]) != "default/super-api" {
		t.Fatalf("myPLS alias %q tags %v", deref(pls.Properties.Alias), pls.Tags)
	}

	// A VM in the node VNet reaches a pod through the internal load balancer.
	var vnetName string
	for pager := s.vnets.NewListPager(nrg, nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		must(err)
		for _, v := range page.Value {
			vnetName = deref(v.Name)
		}
	}
	sp, err := s.subnets.BeginCreateOrUpdate(ctx, nrg, vnetName, "clients", armnetwork.Subnet{
		Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.225.1.0/24")}}, nil)
	must(err)
	sn, err := sp.PollUntilDone(ctx, nil)
	must(err)
	vmID, _ := linuxVM(ctx, t, c, c.Subscription, nrg, region, "client", deref(sn.ID), "")
	vm, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: vmID, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: vm.(proxy.ContextDialer).DialContext}}
	var body string
	waitUntil(t, time.Minute, "a pod's answer at "+ilbIP+":80", func() bool {
		res, err := hc.Get("http://" + ilbIP + "/hello")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		body = string(b)
		return res.StatusCode == 200
	})
	if !strings.Contains(body, "pod: super-api-") || !strings.Contains(body, "image: ghcr.io/gbaeke/super:1.0.7") ||
		!strings.Contains(body, "request: GET /hello HTTP/1.1") {
		t.Fatalf("answer from the load balancer:\n%s", body)
	}

	// Kubenet: the node subnet's route table sends each node's pod CIDR to
	// its node; a subnet that uses that table too (here the VM's) reaches
	// a pod at its own address. The ClusterIP only works from the
	// cluster's nodes (kube-proxy's rules).
	snNodes, err := s.subnets.Get(ctx, nrg, vnetName, "aks-subnet", nil)
	must(err)
	rt := snNodes.Properties.RouteTable
	if rt == nil || !strings.Contains(deref(rt.ID), "/routeTables/aks-agentpool-") {
		t.Fatalf("aks-subnet route table = %+v; want AKS's kubenet route table", rt)
	}
	sp, err = s.subnets.BeginCreateOrUpdate(ctx, nrg, vnetName, "clients", armnetwork.Subnet{
		Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to("10.225.1.0/24"), RouteTable: &armnetwork.RouteTable{ID: rt.ID}}}, nil)
	must(err)
	_, err = sp.PollUntilDone(ctx, nil)
	must(err)
	pods, err := kcs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=super-api"})
	must(err)
	pod := pods.Items[0]
	get := func(hc *http.Client, url string) (string, error) {
		res, err := hc.Get(url)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	waitUntil(t, time.Minute, "pod "+pod.Name+" at its address "+pod.Status.PodIP, func() bool {
		b, err := get(hc, "http://"+pod.Status.PodIP+":8080/hostname")
		return err == nil && b == pod.Name
	})
	cur, err := kcs.CoreV1().Services("default").Get(ctx, "super-api", metav1.GetOptions{})
	must(err)
	clusterIP := cur.Spec.ClusterIP
	if _, err := get(hc, "http://"+clusterIP+"/hostname"); err == nil {
		t.Fatalf("the ClusterIP %s answered a VM outside the cluster", clusterIP)
	}
	nodeVM := "/subscriptions/" + c.Subscription + "/resourceGroups/" + nrg + "/providers/Microsoft.Compute/virtualMachines/" + pod.Spec.NodeName
	node, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: nodeVM, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	nhc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: node.(proxy.ContextDialer).DialContext}}
	waitUntil(t, time.Minute, "the ClusterIP "+clusterIP+" from node "+pod.Spec.NodeName, func() bool {
		b, err := get(nhc, "http://"+clusterIP+"/hostname")
		return err == nil && strings.HasPrefix(b, "super-api-")
	})

	// Proxy protocol on (azure-pls-proxy-protocol): a private endpoint's
	// request reaches the pod with a PROXY v2 header naming the link
	// service's NAT address and the endpoint's LinkID.
	cur, err = kcs.CoreV1().Services("default").Get(ctx, "super-api", metav1.GetOptions{})
	must(err)
	cur.Annotations["service.beta.kubernetes.io/azure-pls-proxy-protocol"] = "true"
	_, err = kcs.CoreV1().Services("default").Update(ctx, cur, metav1.UpdateOptions{})
	must(err)
	waitUntil(t, time.Minute, "myPLS with proxy protocol", func() bool {
		p, err := net.NewPrivateLinkServicesClient().Get(ctx, nrg, "myPLS", nil)
		return err == nil && p.Properties.EnableProxyProtocol != nil && *p.Properties.EnableProxyProtocol
	})
	pep, err := net.NewPrivateEndpointsClient().BeginCreateOrUpdate(ctx, nrg, "to-super-api", armnetwork.PrivateEndpoint{
		Location: to(region),
		Properties: &armnetwork.PrivateEndpointProperties{
			Subnet: &armnetwork.Subnet{ID: sn.ID},
			PrivateLinkServiceConnections: []*armnetwork.PrivateLinkServiceConnection{{
				Name: to("to-super-api"), Properties: &armnetwork.PrivateLinkServiceConnectionProperties{PrivateLinkServiceID: pls.ID}}},
		},
	}, nil)
	must(err)
	pe, err := pep.PollUntilDone(ctx, nil)
	must(err)
	peNIC := deref(pe.Properties.NetworkInterfaces[0].ID)
	nic, err := net.NewInterfacesClient().Get(ctx, nrg, peNIC[strings.LastIndex(peNIC, "/")+1:], nil)
	must(err)
	peIP := deref(nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress)
	waitUntil(t, time.Minute, "a pod's answer through the private endpoint "+peIP, func() bool {
		b, err := get(hc, "http://"+peIP+"/via-pe")
		body = b
		return err == nil && strings.Contains(b, "request: GET /via-pe")
	})
	// The header names the consumer (the VM) and the endpoint, and
	// carries the endpoint's LinkID.
	if !strings.Contains(body, "client: 10.225.1.4:") || !strings.Contains(body, "proxy protocol: v2 10.225.1.4:") ||
		!strings.Contains(body, " -> "+peIP+":80 linkID ") {
		t.Fatalf("answer through the private endpoint with proxy protocol on:\n%s", body)
	}
	pd, err := net.NewPrivateEndpointsClient().BeginDelete(ctx, nrg, "to-super-api", nil)
	must(err)
	_, err = pd.PollUntilDone(ctx, nil)
	must(err)

	// Deleting the Service removes the link service and the load balancer.
	must(kcs.CoreV1().Services("default").Delete(ctx, "super-api", metav1.DeleteOptions{}))
	waitUntil(t, time.Minute, "myPLS and kubernetes-internal deleted", func() bool {
		_, err1 := net.NewPrivateLinkServicesClient().Get(ctx, nrg, "myPLS", nil)
		_, err2 := net.NewLoadBalancersClient().Get(ctx, nrg, "kubernetes-internal", nil)
		_, err3 := kcs.CoreV1().Services("default").Get(ctx, "super-api", metav1.GetOptions{})
		return err1 != nil && err2 != nil && apierrors.IsNotFound(err3)
	})
}

func waitUntil(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
