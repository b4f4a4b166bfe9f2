package loadbalancer_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

func ptr[T any](v T) *T { return &v }

func TestLoadBalancerSDKRoundTrip(t *testing.T) {
	f := newFx(t)
	ctx := context.Background()
	f.group("rg")
	f.vnet("rg", "vnet", "10.5.0.0/16", "a=10.5.0.0/24")
	subA := rid("rg", "virtualNetworks", "vnet") + "/subnets/a"
	lbID := rid("rg", "loadBalancers", "lb")
	lbs, err := armnetwork.NewLoadBalancersClient(sub, staticCred{}, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	pools, err := armnetwork.NewLoadBalancerBackendAddressPoolsClient(sub, staticCred{}, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	fes, err := armnetwork.NewLoadBalancerFrontendIPConfigurationsClient(sub, staticCred{}, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	probes, err := armnetwork.NewLoadBalancerProbesClient(sub, staticCred{}, f.opts)
	if err != nil {
		t.Fatal(err)
	}

	body := armnetwork.LoadBalancer{
		Location: ptr(loc),
		SKU:      &armnetwork.LoadBalancerSKU{Name: ptr(armnetwork.LoadBalancerSKUNameStandard)},
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{Name: ptr("fe"), Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{
				Subnet: &armnetwork.Subnet{ID: ptr(subA)}, PrivateIPAddress: ptr("10.5.0.20"),
				PrivateIPAllocationMethod: ptr(armnetwork.IPAllocationMethodStatic)}}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{Name: ptr("pool")}},
			Probes: []*armnetwork.Probe{{Name: ptr("probe"), Properties: &armnetwork.ProbePropertiesFormat{
				Protocol: ptr(armnetwork.ProbeProtocolTCP), Port: ptr[int32](443)}}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{{Name: ptr("rule"), Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
				FrontendIPConfiguration: &armnetwork.SubResource{ID: ptr(lbID + "/frontendIPConfigurations/fe")},
				BackendAddressPool:      &armnetwork.SubResource{ID: ptr(lbID + "/backendAddressPools/pool")},
				Probe:                   &armnetwork.SubResource{ID: ptr(lbID + "/probes/probe")},
				Protocol:                ptr(armnetwork.TransportProtocolTCP), FrontendPort: ptr[int32](443), BackendPort: ptr[int32](8443),
				IdleTimeoutInMinutes: ptr[int32](10), EnableTCPReset: ptr(true)}}},
		},
	}
	p, err := lbs.BeginCreateOrUpdate(ctx, "rg", "lb", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.PollUntilDone(ctx, &pollOpts)
	if err != nil {
		t.Fatal(err)
	}
	lb := res.LoadBalancer
	if *lb.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded ||
		*lb.Properties.FrontendIPConfigurations[0].Properties.PrivateIPAddress != "10.5.0.20" ||
		*lb.Properties.LoadBalancingRules[0].Properties.IdleTimeoutInMinutes != 10 ||
		*lb.Properties.Probes[0].Properties.IntervalInSeconds != 15 ||
		*lb.SKU.Tier != armnetwork.LoadBalancerSKUTierRegional {
		t.Fatalf("created: %+v", lb.Properties)
	}

	fe, err := fes.Get(ctx, "rg", "lb", "fe", nil)
	if err != nil || *fe.Properties.LoadBalancingRules[0].ID != lbID+"/loadBalancingRules/rule" {
		t.Fatalf("frontend: %v %v", fe, err)
	}
	pp := probes.NewListPager("rg", "lb", nil)
	n := 0
	for pp.More() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("probes: %d", n)
	}

	// A second pool through the backend pools client, with IP addresses.
	pp2, err := pools.BeginCreateOrUpdate(ctx, "rg", "lb", "ips", armnetwork.BackendAddressPool{Properties: &armnetwork.BackendAddressPoolPropertiesFormat{
		LoadBalancerBackendAddresses: []*armnetwork.LoadBalancerBackendAddress{{Name: ptr("a1"), Properties: &armnetwork.LoadBalancerBackendAddressPropertiesFormat{
			IPAddress: ptr("10.5.0.30"), VirtualNetwork: &armnetwork.SubResource{ID: ptr(rid("rg", "virtualNetworks", "vnet"))}}}},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pres, err := pp2.PollUntilDone(ctx, &pollOpts)
	if err != nil || *pres.Name != "ips" || *pres.Properties.LoadBalancerBackendAddresses[0].Properties.IPAddress != "10.5.0.30" {
		t.Fatalf("pool: %+v %v", pres, err)
	}
	got, err := pools.Get(ctx, "rg", "lb", "ips", nil)
	if err != nil || *got.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded {
		t.Fatalf("pool get: %+v %v", got, err)
	}
	lp := pools.NewListPager("rg", "lb", nil)
	n = 0
	for lp.More() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 2 {
		t.Fatalf("pools: %d", n)
	}
	dp, err := pools.BeginDelete(ctx, "rg", "lb", "ips", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dp.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	if _, err := pools.Get(ctx, "rg", "lb", "ips", nil); err == nil {
		t.Fatal("pool still there")
	}

	lpg := lbs.NewListAllPager(nil)
	n = 0
	for lpg.More() {
		page, err := lpg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("load balancers: %d", n)
	}
	del, err := lbs.BeginDelete(ctx, "rg", "lb", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, &pollOpts); err != nil {
		t.Fatal(err)
	}
	if _, err := lbs.Get(ctx, "rg", "lb", nil); err == nil {
		t.Fatal("load balancer still there")
	}
}
