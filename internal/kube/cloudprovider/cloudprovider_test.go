package cloudprovider

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

const (
	sub    = "00000000-0000-0000-0000-00000000aaaa"
	nodeRG = "MC_rg_aks_eastus"
)

var (
	vnetID   = "/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/virtualNetworks/aks-vnet-1"
	subnetID = vnetID + "/subnets/aks-subnet"
	nics     = []string{
		"/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/networkInterfaces/aks-nodepool1-12345678-vmss000000-nic",
		"/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/networkInterfaces/aks-nodepool1-12345678-vmss000001-nic",
	}
	lbPath  = "/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/loadBalancers/"
	plsPath = "/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/privateLinkServices/"
)

// env is a provider on a fake ARM with the node subnet, a "pls" subnet
// and two node NICs.
func env(t *testing.T) (*Provider, *fakeARM, kubernetes.Interface) {
	t.Helper()
	f := newFakeARM()
	f.seed(subnetID, map[string]any{"properties": map[string]any{"addressPrefix": "10.224.0.0/16",
		"privateLinkServiceNetworkPolicies": "Enabled", "ipConfigurations": []any{map[string]any{"id": nics[0] + "/ipConfigurations/ipconfig1"}}}})
	f.seed(vnetID+"/subnets/pls", map[string]any{"properties": map[string]any{"addressPrefix": "10.225.1.0/24",
		"privateLinkServiceNetworkPolicies": "Disabled"}})
	for _, n := range nics {
		f.seed(n, map[string]any{"location": "eastus", "properties": map[string]any{"ipConfigurations": []any{
			map[string]any{"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": subnetID}, "primary": true}}}}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := Start(ctx, Config{ClusterName: "kubernetes", Subscription: sub, NodeResourceGroup: nodeRG, Region: "eastus",
		NodeSubnetID: subnetID, ARM: f, Kube: testCluster.RESTConfig(), Log: testLog,
		RetryBase: 50 * time.Millisecond, RetryMax: 2 * time.Second,
		Nodes: func() []Node {
			return []Node{{Name: "aks-nodepool1-12345678-vmss000000", NICID: nics[0], IPConfig: "ipconfig1"},
				{Name: "aks-nodepool1-12345678-vmss000001", NICID: nics[1], IPConfig: "ipconfig1"}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	cs, err := kubernetes.NewForConfig(testCluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return p, f, cs
}

var nsSeq atomic.Int32

// namespace creates a namespace with a fresh name (tests may run
// -count=N on one cluster).
func namespace(t *testing.T, cs kubernetes.Interface, base string) string {
	t.Helper()
	name := base + "-" + strconv.Itoa(int(nsSeq.Add(1)))
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return name
}

// seedService is the Service of seed 004 (subnet and auto-approval filled in).
func seedService(ns string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "super-api", Namespace: ns, Annotations: map[string]string{
			AnnInternal:         "true",
			AnnPLSCreate:        "true",
			AnnPLSName:          "myPLS",
			AnnPLSSubnet:        "aks-subnet",
			AnnPLSIPCount:       "1",
			AnnPLSIPAddress:     "10.224.10.10",
			AnnPLSProxyProtocol: "false",
			AnnPLSVisibility:    "*",
			AnnPLSAutoApproval:  sub,
		}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"app": "super-api"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// waitEvent waits for an event of the object with this reason whose
// message contains msg, and returns it.
func waitEvent(t *testing.T, cs kubernetes.Interface, ns, name, reason, msg string) *corev1.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		evs, err := cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			t.Fatal(err)
		}
		seen = seen[:0]
		for i, e := range evs.Items {
			seen = append(seen, e.Reason+": "+e.Message)
			if e.Reason == reason && strings.Contains(e.Message, msg) {
				return &evs.Items[i]
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no %s event containing %q for %s/%s; events: %q", reason, msg, ns, name, seen)
	return nil
}

// cleanup deletes the Service when the test ends, while its provider
// still runs (so the next test's provider does not inherit it).
func cleanup(t *testing.T, cs kubernetes.Interface, ns, name string) {
	t.Cleanup(func() {
		ctx := context.Background()
		if err := cs.CoreV1().Services(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
			return
		}
		waitFor(t, "service "+ns+"/"+name+" gone", func() bool {
			_, err := cs.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
	})
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSeed004InternalLoadBalancerAndPLS(t *testing.T) {
	_, f, cs := env(t)
	ctx := context.Background()
	ns := namespace(t, cs, "seed")
	svc, err := cs.CoreV1().Services(ns).Create(ctx, seedService(ns), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, cs, ns, "super-api")
	waitEvent(t, cs, ns, "super-api", "EnsuringLoadBalancer", "Ensuring load balancer")
	waitEvent(t, cs, ns, "super-api", "EnsuredLoadBalancer", "Ensured load balancer")
	uid := strings.ReplaceAll(string(svc.UID), "-", "")
	fe := ("a" + uid)[:32]
	nodePort := svc.Spec.Ports[0].NodePort

	lb := f.item(lbPath + "kubernetes-internal")
	if lb == nil {
		t.Fatal("internal load balancer kubernetes-internal not created")
	}
	if f.item(lbPath+"kubernetes") != nil {
		t.Fatal("public load balancer created for an internal service")
	}
	lp := obj(lb, "properties")
	fes := anySlice(lp["frontendIPConfigurations"])
	if len(fes) != 1 || str(fes[0], "name") != fe || str(fes[0], "properties", "subnet", "id") != subnetID {
		t.Fatalf("frontends = %v; want %s in the node subnet", fes, fe)
	}
	feIP := str(fes[0], "properties", "privateIPAddress")
	rules := anySlice(lp["loadBalancingRules"])
	if len(rules) != 1 || str(rules[0], "name") != fe+"-TCP-80" {
		t.Fatalf("rules = %v", rules)
	}
	rp := obj(rules[0], "properties")
	if rp["frontendPort"] != float64(80) || rp["backendPort"] != float64(80) || rp["enableFloatingIP"] != true ||
		str(rp, "backendAddressPool", "id") != lbPath+"kubernetes-internal/backendAddressPools/kubernetes" ||
		str(rp, "probe", "id") != lbPath+"kubernetes-internal/probes/"+fe+"-TCP-80" {
		t.Fatalf("rule = %v (node port %d)", rp, nodePort)
	}
	probes := anySlice(lp["probes"])
	if len(probes) != 1 || str(probes[0], "properties", "protocol") != "Tcp" || obj(probes[0], "properties")["port"] != float64(nodePort) {
		t.Fatalf("probes = %v", probes)
	}
	for _, n := range nics {
		pools := anySlice(obj(anySlice(obj(f.item(n), "properties")["ipConfigurations"])[0], "properties")["loadBalancerBackendAddressPools"])
		if len(pools) != 1 || str(pools[0], "id") != lbPath+"kubernetes-internal/backendAddressPools/kubernetes" {
			t.Fatalf("NIC %s pools = %v", n, pools)
		}
	}
	// Status.
	waitFor(t, "ingress IP", func() bool {
		cur, _ := cs.CoreV1().Services(ns).Get(ctx, "super-api", metav1.GetOptions{})
		return cur != nil && len(cur.Status.LoadBalancer.Ingress) == 1 && cur.Status.LoadBalancer.Ingress[0].IP == feIP
	})
	// The link service.
	pls := f.item(plsPath + "myPLS")
	if pls == nil {
		t.Fatal("private link service myPLS not created")
	}
	pp := obj(pls, "properties")
	if got := str(anySlice(pp["loadBalancerFrontendIpConfigurations"])[0], "id"); got != lbPath+"kubernetes-internal/frontendIPConfigurations/"+fe {
		t.Fatalf("PLS frontend = %s", got)
	}
	ipcs := anySlice(pp["ipConfigurations"])
	if len(ipcs) != 1 || str(ipcs[0], "name") != "aks-subnet-myPLS-static-10.224.10.10" ||
		str(ipcs[0], "properties", "privateIPAddress") != "10.224.10.10" || obj(ipcs[0], "properties")["primary"] != true ||
		str(ipcs[0], "properties", "privateIPAllocationMethod") != "Static" || str(ipcs[0], "properties", "subnet", "id") != subnetID {
		t.Fatalf("NAT ip configurations = %v", ipcs)
	}
	if !slices.Equal(stringsOf(obj(pp, "visibility")["subscriptions"]), []string{"*"}) ||
		!slices.Equal(stringsOf(obj(pp, "autoApproval")["subscriptions"]), []string{sub}) || pp["enableProxyProtocol"] != false {
		t.Fatalf("PLS properties = %v", pp)
	}
	if tags := obj(pls, "tags"); tags[tagOwnerService] != ns+"/super-api" || tags[tagClusterName] != "kubernetes" {
		t.Fatalf("PLS tags = %v", tags)
	}
	if got := str(f.item(subnetID), "properties", "privateLinkServiceNetworkPolicies"); got != "Disabled" {
		t.Fatalf("NAT subnet privateLinkServiceNetworkPolicies = %q; want Disabled", got)
	}

	// Renaming is refused and nothing changes.
	cur, _ := cs.CoreV1().Services(ns).Get(ctx, "super-api", metav1.GetOptions{})
	cur.Annotations[AnnPLSName] = "otherPLS"
	if _, err := cs.CoreV1().Services(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, cs, ns, "super-api", "SyncLoadBalancerFailed",
		"Error syncing load balancer: failed to ensure load balancer: getPrivateLinkServiceName("+ns+"/super-api) failed: cannot change existing private link service name (myPLS) to (otherPLS)")
	if f.item(plsPath+"otherPLS") != nil {
		t.Fatal("renamed link service created")
	}

	// Removing only azure-pls-create (and the rename) keeps the link service.
	cur, _ = cs.CoreV1().Services(ns).Get(ctx, "super-api", metav1.GetOptions{})
	cur.Annotations[AnnPLSName] = "myPLS"
	delete(cur.Annotations, AnnPLSCreate)
	if _, err := cs.CoreV1().Services(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n := len(f.writes())
	time.Sleep(time.Second)
	if f.item(plsPath+"myPLS") == nil {
		t.Fatal("link service deleted when only azure-pls-create was removed")
	}
	for _, c := range f.writes()[n:] {
		if c.Method == "DELETE" {
			t.Fatalf("unexpected %s %s", c.Method, c.Path)
		}
	}

	// A private endpoint connection; deleting the Service removes it, then
	// the link service, then the load balancer (members first).
	conn := plsPath + "myPLS/privateEndpointConnections/pe1.guid"
	pls = f.item(plsPath + "myPLS")
	props(pls)["privateEndpointConnections"] = []any{map[string]any{"id": conn, "name": "pe1.guid"}}
	f.seed(plsPath+"myPLS", pls)
	f.seed(conn, map[string]any{"properties": map[string]any{}})
	n = len(f.writes())
	if err := cs.CoreV1().Services(ns).Delete(ctx, "super-api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, cs, ns, "super-api", "DeletedLoadBalancer", "Deleted load balancer")
	waitFor(t, "service gone", func() bool {
		_, err := cs.CoreV1().Services(ns).Get(ctx, "super-api", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	var order []string
	for _, c := range f.writes()[n:] {
		if c.Method == "DELETE" {
			order = append(order, c.Path[strings.LastIndex(c.Path, "/")+1:])
		}
	}
	if !slices.Equal(order, []string{"pe1.guid", "myPLS", "kubernetes-internal"}) {
		t.Fatalf("deletions = %v; want the connection, the link service, the load balancer", order)
	}
	if f.item(lbPath+"kubernetes-internal") != nil || f.item(plsPath+"myPLS") != nil {
		t.Fatal("load balancer or link service left behind")
	}
	for _, nic := range nics {
		pools := anySlice(obj(anySlice(obj(f.item(nic), "properties")["ipConfigurations"])[0], "properties")["loadBalancerBackendAddressPools"])
		if len(pools) != 0 {
			t.Fatalf("NIC %s still in pools %v", nic, pools)
		}
	}
}

func TestPublicLoadBalancer(t *testing.T) {
	_, f, cs := env(t)
	ctx := context.Background()
	ns := namespace(t, cs, "public")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns,
		Annotations: map[string]string{AnnDisableFloatingIP: "true"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "https", Port: 443}}}}
	svc, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, cs, ns, "web")
	waitEvent(t, cs, ns, "web", "EnsuredLoadBalancer", "Ensured load balancer")
	fe := strings.ReplaceAll("a"+string(svc.UID), "-", "")[:32]
	pipPath := "/subscriptions/" + sub + "/resourceGroups/" + nodeRG + "/providers/Microsoft.Network/publicIPAddresses/kubernetes-" + fe
	pip := f.item(pipPath)
	if pip == nil || str(pip, "sku", "name") != "Standard" || str(pip, "tags", tagService) != ns+"/web" {
		t.Fatalf("public IP = %v", pip)
	}
	lb := f.item(lbPath + "kubernetes")
	if lb == nil {
		t.Fatal("public load balancer kubernetes not created")
	}
	fes := anySlice(obj(lb, "properties")["frontendIPConfigurations"])
	if len(fes) != 1 || str(fes[0], "properties", "publicIPAddress", "id") != pipPath {
		t.Fatalf("frontends = %v", fes)
	}
	var names []string
	for _, r := range anySlice(obj(lb, "properties")["loadBalancingRules"]) {
		names = append(names, str(r, "name"))
	}
	if !slices.Equal(names, []string{fe + "-TCP-80", fe + "-TCP-443"}) {
		t.Fatalf("rules = %v", names)
	}
	// azure-disable-load-balancer-floating-ip: the rules target the node
	// ports.
	for i, r := range anySlice(obj(lb, "properties")["loadBalancingRules"]) {
		rp := obj(r, "properties")
		if rp["enableFloatingIP"] != false || rp["backendPort"] != float64(svc.Spec.Ports[i].NodePort) {
			t.Fatalf("rule %s = %v; want the node port %d without floating IP", str(r, "name"), rp, svc.Spec.Ports[i].NodePort)
		}
	}
	waitFor(t, "ingress IP", func() bool {
		cur, _ := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
		return cur != nil && len(cur.Status.LoadBalancer.Ingress) == 1 && cur.Status.LoadBalancer.Ingress[0].IP == str(pip, "properties", "ipAddress")
	})
	// Switching the Service to ClusterIP removes the load balancer and
	// its public IP.
	cur, _ := cs.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
	cur.Spec.Type = corev1.ServiceTypeClusterIP
	for i := range cur.Spec.Ports {
		cur.Spec.Ports[i].NodePort = 0
	}
	if _, err := cs.CoreV1().Services(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, cs, ns, "web", "DeletedLoadBalancer", "Deleted load balancer")
	if f.item(lbPath+"kubernetes") != nil || f.item(pipPath) != nil {
		t.Fatal("load balancer or public IP left behind")
	}
}

// TestAnnotationErrors: each invalid value gives cloud-provider-azure's
// error as a SyncLoadBalancerFailed event, retried with backoff, and no
// Azure resource is written.
func TestAnnotationErrors(t *testing.T) {
	cases := []struct {
		name string
		ann  map[string]string
		want string
	}{
		{"count-0", map[string]string{AnnPLSIPCount: "0"}, "error parsing value: minimum number of private link service ipConfig is 1, 0 provided"},
		{"count-9", map[string]string{AnnPLSIPCount: "9"}, "error parsing value: maximum number of private link service ipConfig is 8, 9 provided"},
		{"count-nan", map[string]string{AnnPLSIPCount: "two"}, `error value: strconv.ParseInt: parsing "two": invalid syntax: two value must be a whole number`},
		{"bad-ip", map[string]string{AnnPLSIPAddress: "10.224.10.300"}, "getPLSStaticIPs: 10.224.10.300 is not a valid IP address"},
		{"ipv6", map[string]string{AnnPLSIPAddress: "fd00::10"}, "getPLSStaticIPs: private link service ip config only supports IPv4, fd00::10 provided"},
		{"too-many-static", map[string]string{AnnPLSIPAddress: "10.224.10.10 10.224.10.11"}, "checkAndUpdatePLSIPConfigs: ipConfigCount(1) must be no smaller than number of static IPs specified(2)"},
		{"public", map[string]string{AnnInternal: ""}, "reconcilePrivateLinkService for service(NS/svc): service requiring private link service must be internal or disable floating ip"},
		{"internal-True", map[string]string{AnnInternal: "True"}, "reconcilePrivateLinkService for service(NS/svc): service requiring private link service must be internal or disable floating ip"},
		{"missing-subnet", map[string]string{AnnPLSSubnet: "nope"}, "checkAndUpdatePLSIPConfigs: failed to get private link service subnet(nope) for service(NS/svc)"},
	}
	_, f, cs := env(t)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := namespace(t, cs, "err-"+strings.ToLower(tc.name))
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: ns, Annotations: map[string]string{
				AnnInternal: "true", AnnPLSCreate: "true"}},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 80}}}}
			for k, v := range tc.ann {
				if v == "" {
					delete(svc.Annotations, k)
				} else {
					svc.Annotations[k] = v
				}
			}
			if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			cleanup(t, cs, ns, "svc")
			want := "Error syncing load balancer: failed to ensure load balancer: " + strings.ReplaceAll(tc.want, "NS/", ns+"/")
			ev := waitEvent(t, cs, ns, "svc", "SyncLoadBalancerFailed", want)
			if ev.Message != want || ev.Type != corev1.EventTypeWarning {
				t.Fatalf("event = %s %q; want Warning %q", ev.Type, ev.Message, want)
			}
			// Retried with backoff: the event repeats.
			waitFor(t, "a retry", func() bool {
				evs, _ := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=svc"})
				for _, e := range evs.Items {
					if e.Reason == "SyncLoadBalancerFailed" && e.Count >= 2 {
						return true
					}
				}
				return false
			})
		})
	}
	if w := f.writes(); len(w) != 0 {
		t.Fatalf("invalid Services wrote to Azure: %v", w)
	}
}

// TestPLSDefaults: without a name, count or addresses: pls-<frontend>, one
// dynamic primary NAT IP in the internal subnet, visibility empty.
func TestPLSDefaults(t *testing.T) {
	_, f, cs := env(t)
	ctx := context.Background()
	ns := namespace(t, cs, "defaults")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: ns, Annotations: map[string]string{
		AnnInternal: "true", AnnInternalSubnet: "pls", AnnPLSCreate: " TRUE ", AnnPLSIPCount: "2", AnnPLSProxyProtocol: "True",
		AnnPLSVisibility: "sub1 * sub2", AnnPLSFQDNs: "a.example.com b.example.com"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: 8443}}}}
	svc, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cleanup(t, cs, ns, "svc")
	waitEvent(t, cs, ns, "svc", "EnsuredLoadBalancer", "Ensured load balancer")
	fe := strings.ReplaceAll("a"+string(svc.UID), "-", "")[:32] + "-pls"
	lb := f.item(lbPath + "kubernetes-internal")
	var names []string
	for _, k := range []string{"frontendIPConfigurations", "loadBalancingRules"} {
		for _, x := range anySlice(obj(lb, "properties")[k]) {
			names = append(names, str(x, "name"))
		}
	}
	if !slices.Equal(names, []string{fe, fe + "-TCP-8443"}) {
		t.Fatalf("frontends and rules = %v; want %s and its rule", names, fe)
	}
	pls := f.item(plsPath + "pls-" + fe)
	if pls == nil {
		t.Fatalf("link service pls-%s not created", fe)
	}
	pp := obj(pls, "properties")
	ipcs := anySlice(pp["ipConfigurations"])
	if len(ipcs) != 2 || str(ipcs[0], "name") != natIPConfigName("pls", "pls-"+fe, "-dynamic-0") ||
		obj(ipcs[0], "properties")["primary"] != true || obj(ipcs[1], "properties")["primary"] != false ||
		str(ipcs[1], "properties", "subnet", "id") != vnetID+"/subnets/pls" {
		t.Fatalf("NAT ip configurations = %v", ipcs)
	}
	if len(str(ipcs[0], "name")) > 80 {
		t.Fatalf("NAT ip configuration name longer than 80: %s", str(ipcs[0], "name"))
	}
	if pp["enableProxyProtocol"] != true || !slices.Equal(stringsOf(obj(pp, "visibility")["subscriptions"]), []string{"*"}) ||
		!slices.Equal(stringsOf(pp["fqdns"]), []string{"a.example.com", "b.example.com"}) ||
		len(stringsOf(obj(pp, "autoApproval")["subscriptions"])) != 0 {
		t.Fatalf("PLS properties = %v", pp)
	}
	for _, c := range f.writes() {
		if c.Method == "PUT" && strings.Contains(c.Path, "/subnets/") {
			t.Fatalf("subnet with policies already Disabled was rewritten: %s", c.Path)
		}
	}
}

func TestNames(t *testing.T) {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{UID: "12345678-90ab-cdef-1234-567890abcdef", Annotations: map[string]string{
		AnnInternal: "true", AnnInternalSubnet: strings.Repeat("s", 70)}}}
	if got := baseName(s); got != "a1234567890abcdef1234567890abcde" {
		t.Fatalf("baseName = %s", got)
	}
	if got := frontendName(s); len(got) != 80 || !strings.HasPrefix(got, "a1234567890abcdef1234567890abcde-sss") {
		t.Fatalf("frontendName = %s (%d)", got, len(got))
	}
	if got := ruleName(s, corev1.ProtocolTCP, 80); len(got) != 75 || !strings.HasSuffix(got, "-TCP-80") {
		t.Fatalf("ruleName = %s (%d)", got, len(got))
	}
	s.Annotations[AnnInternal] = "TRUE"
	if requiresInternal(s) || frontendName(s) != baseName(s) {
		t.Fatal(`azure-load-balancer-internal "TRUE" must not mean internal (exact "true" only)`)
	}
}
