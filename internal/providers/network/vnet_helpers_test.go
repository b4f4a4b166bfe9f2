package network

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/armtest"
	"github.com/privlink/privlink/internal/providers/resources"
)

const (
	testSub = armtest.Subscription
	rgAPI   = "2021-04-01"
	netAPI  = "2025-01-01"
)

// staticCred is a fake azcore.TokenCredential.
type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// netEnv is a test server with the network provider and SDK clients.
type netEnv struct {
	s        *armtest.Server
	vnets    *armnetwork.VirtualNetworksClient
	subnets  *armnetwork.SubnetsClient
	peerings *armnetwork.VirtualNetworkPeeringsClient
}

func startNet(t *testing.T, extra ...arm.Provider) *netEnv {
	t.Helper()
	provs := append([]arm.Provider{resources.Provider{}, Provider{}}, extra...)
	s := armtest.Start(t, armtest.Options{PageSize: 2}, provs...)
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: s.URL, Audience: s.URL},
		}},
		Transport: &http.Client{Transport: s.Transport()},
	}}
	e := &netEnv{s: s}
	var err error
	if e.vnets, err = armnetwork.NewVirtualNetworksClient(testSub, staticCred{}, opts); err != nil {
		t.Fatal(err)
	}
	if e.subnets, err = armnetwork.NewSubnetsClient(testSub, staticCred{}, opts); err != nil {
		t.Fatal(err)
	}
	if e.peerings, err = armnetwork.NewVirtualNetworkPeeringsClient(testSub, staticCred{}, opts); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *netEnv) group(t *testing.T, name string) {
	t.Helper()
	r := e.s.Do(http.MethodPut, "/subscriptions/"+testSub+"/resourcegroups/"+name, rgAPI, `{"location":"westus2"}`)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("create group %s: %d %s", name, r.Status, r.Body)
	}
}

func vnetID(rg, name string) string {
	return "/subscriptions/" + testSub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + name
}

func subnetID(rg, vnet, name string) string { return vnetID(rg, vnet) + "/subnets/" + name }

// createVNet creates a virtual network through the SDK and waits.
func (e *netEnv) createVNet(t *testing.T, rg, name string, prefixes []string, subnets ...*armnetwork.Subnet) armnetwork.VirtualNetwork {
	t.Helper()
	v, err := e.putVNet(rg, name, prefixes, subnets...)
	if err != nil {
		t.Fatalf("create vnet %s: %v", name, err)
	}
	return v
}

func (e *netEnv) putVNet(rg, name string, prefixes []string, subnets ...*armnetwork.Subnet) (armnetwork.VirtualNetwork, error) {
	ctx := context.Background()
	body := armnetwork.VirtualNetwork{
		Location: to("westus2"),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: toSlice(prefixes...)},
			Subnets:      subnets,
		},
	}
	p, err := e.vnets.BeginCreateOrUpdate(ctx, rg, name, body, nil)
	if err != nil {
		return armnetwork.VirtualNetwork{}, err
	}
	res, err := p.PollUntilDone(ctx, &pollOpts)
	if err != nil {
		return armnetwork.VirtualNetwork{}, err
	}
	return res.VirtualNetwork, nil
}

func (e *netEnv) putSubnet(rg, vnet, name string, props armnetwork.SubnetPropertiesFormat) (armnetwork.Subnet, error) {
	ctx := context.Background()
	p, err := e.subnets.BeginCreateOrUpdate(ctx, rg, vnet, name, armnetwork.Subnet{Properties: &props}, nil)
	if err != nil {
		return armnetwork.Subnet{}, err
	}
	res, err := p.PollUntilDone(ctx, &pollOpts)
	if err != nil {
		return armnetwork.Subnet{}, err
	}
	return res.Subnet, nil
}

func (e *netEnv) putPeering(rg, vnet, name, remote string) (armnetwork.VirtualNetworkPeering, error) {
	ctx := context.Background()
	body := armnetwork.VirtualNetworkPeering{Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
		RemoteVirtualNetwork:  &armnetwork.SubResource{ID: to(remote)},
		AllowForwardedTraffic: to(true),
	}}
	p, err := e.peerings.BeginCreateOrUpdate(ctx, rg, vnet, name, body, nil)
	if err != nil {
		return armnetwork.VirtualNetworkPeering{}, err
	}
	res, err := p.PollUntilDone(ctx, &pollOpts)
	if err != nil {
		return armnetwork.VirtualNetworkPeering{}, err
	}
	return res.VirtualNetworkPeering, nil
}

func (e *netEnv) getPeering(t *testing.T, rg, vnet, name string) armnetwork.VirtualNetworkPeering {
	t.Helper()
	r, err := e.peerings.Get(context.Background(), rg, vnet, name, nil)
	if err != nil {
		t.Fatalf("get peering %s/%s: %v", vnet, name, err)
	}
	return r.VirtualNetworkPeering
}

var pollOpts = runtime.PollUntilDoneOptions{Frequency: time.Second}

func to[T any](v T) *T { return &v }

func toSlice(ss ...string) []*string {
	out := make([]*string, len(ss))
	for i := range ss {
		out[i] = to(ss[i])
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// errCode returns the ARM error code of an SDK error.
func errCode(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	if err != nil {
		return "non-ARM error: " + err.Error()
	}
	return ""
}

// wantCode fails unless err carries ARM error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}
