package gateway

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

type staticCred struct{}

func (staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// TestSDKRoundTrip drives the gateway, the local gateway, the connection
// and its shared key through the Azure SDK for Go (armnetwork v9,
// api-version 2025-05-01), as Terraform and Go programs do.
func TestSDKRoundTrip(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.group(sub1, "rg")
	vnet := e.vnet(sub1, "rg", "vnet", "7", "10.7.255.0/27")
	pip := e.pip(sub1, "rg", "gwpip", "Standard")
	opts := &azarm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud:     cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: e.URL, Audience: e.URL}}},
		Transport: &http.Client{Transport: e.Transport()},
	}}
	poll := &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}
	f, err := armnetwork.NewClientFactory(sub1, staticCred{}, opts)
	if err != nil {
		t.Fatal(err)
	}

	gwc := f.NewVirtualNetworkGatewaysClient()
	gp, err := gwc.BeginCreateOrUpdate(ctx, "rg", "gw", armnetwork.VirtualNetworkGateway{
		Location: to.Ptr(loc),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType: to.Ptr(armnetwork.VirtualNetworkGatewayTypeVPN),
			VPNType:     to.Ptr(armnetwork.VPNTypeRouteBased),
			SKU:         &armnetwork.VirtualNetworkGatewaySKU{Name: to.Ptr(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1), Tier: to.Ptr(armnetwork.VirtualNetworkGatewaySKUTierVPNGw1)},
			EnableBgp:   to.Ptr(true),
			BgpSettings: &armnetwork.BgpSettings{Asn: to.Ptr[int64](65010)},
			IPConfigurations: []*armnetwork.VirtualNetworkGatewayIPConfiguration{{
				Name: to.Ptr("default"),
				Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
					PrivateIPAllocationMethod: to.Ptr(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.SubResource{ID: to.Ptr(vnet + "/subnets/GatewaySubnet")},
					PublicIPAddress:           &armnetwork.SubResource{ID: to.Ptr(pip)},
				},
			}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if *gw.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded || *gw.Properties.BgpSettings.BgpPeeringAddress != "10.7.255.30" ||
		*gw.Properties.BgpSettings.Asn != 65010 {
		t.Fatalf("gateway %+v", gw.Properties.BgpSettings)
	}

	lgc := f.NewLocalNetworkGatewaysClient()
	lp, err := lgc.BeginCreateOrUpdate(ctx, "rg", "onprem", armnetwork.LocalNetworkGateway{
		Location: to.Ptr(loc),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{
			GatewayIPAddress:         to.Ptr("198.51.100.7"),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to.Ptr("172.20.0.0/16")}},
			BgpSettings:              &armnetwork.BgpSettings{Asn: to.Ptr[int64](65020), BgpPeeringAddress: to.Ptr("172.20.0.1")},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := lp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}

	cc := f.NewVirtualNetworkGatewayConnectionsClient()
	cp, err := cc.BeginCreateOrUpdate(ctx, "rg", "s2s", armnetwork.VirtualNetworkGatewayConnection{
		Location: to.Ptr(loc),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType:         to.Ptr(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
			VirtualNetworkGateway1: &gw.VirtualNetworkGateway,
			LocalNetworkGateway2:   &lg.LocalNetworkGateway,
			SharedKey:              to.Ptr("s3cret"),
			EnableBgp:              to.Ptr(true),
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := cp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if *conn.Properties.ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusUnknown || conn.Properties.SharedKey != nil ||
		*conn.Properties.VirtualNetworkGateway1.ID != *gw.ID || *conn.Properties.LocalNetworkGateway2.ID != *lg.ID {
		t.Fatalf("connection %+v", conn.Properties)
	}
	if err := SetConnectionStatus(ctx, e.Platform.Engine, *conn.ID, StatusConnected); err != nil {
		t.Fatal(err)
	}
	got, err := cc.Get(ctx, "rg", "s2s", nil)
	if err != nil || *got.Properties.ConnectionStatus != armnetwork.VirtualNetworkGatewayConnectionStatusConnected {
		t.Fatalf("get %+v %v", got, err)
	}

	// Shared key: get, set, reset.
	k, err := cc.GetSharedKey(ctx, "rg", "s2s", nil)
	if err != nil || *k.Value != "s3cret" {
		t.Fatalf("shared key %+v %v", k, err)
	}
	sp, err := cc.BeginSetSharedKey(ctx, "rg", "s2s", armnetwork.ConnectionSharedKey{Value: to.Ptr("other")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	rp, err := cc.BeginResetSharedKey(ctx, "rg", "s2s", armnetwork.ConnectionResetSharedKey{KeyLength: to.Ptr[int32](64)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := rp.PollUntilDone(ctx, poll)
	if err != nil || *rr.KeyLength != 64 {
		t.Fatalf("reset %+v %v", rr, err)
	}
	if k, err := cc.GetSharedKey(ctx, "rg", "s2s", nil); err != nil || len(*k.Value) != 64 {
		t.Fatalf("shared key after reset %+v %v", k, err)
	}

	// Lists.
	n := 0
	pager := cc.NewListPager("rg", nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 1 {
		t.Fatalf("%d connections listed", n)
	}

	// The gateway cannot go before its connection.
	if _, err := gwc.BeginDelete(ctx, "rg", "gw", nil); err == nil {
		t.Fatal("gateway with a connection deleted")
	}
	for _, del := range []func() error{
		func() error { p, err := cc.BeginDelete(ctx, "rg", "s2s", nil); return wait(ctx, p, err, poll) },
		func() error { p, err := gwc.BeginDelete(ctx, "rg", "gw", nil); return wait(ctx, p, err, poll) },
		func() error { p, err := lgc.BeginDelete(ctx, "rg", "onprem", nil); return wait(ctx, p, err, poll) },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
}

func wait[T any](ctx context.Context, p *runtime.Poller[T], err error, opts *runtime.PollUntilDoneOptions) error {
	if err != nil {
		return err
	}
	_, err = p.PollUntilDone(ctx, opts)
	return err
}
