package integration

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	proxyproto "github.com/pires/go-proxyproto"
	"golang.org/x/net/proxy"
)

// plBackend is the provider's service: a real TCP server on loopback that
// parses the PROXY v2 header with go-proxyproto and answers one line
// telling the header's source, the LinkID of TLV 0xEE and the peer it
// observed; connections without a header (health probes) are closed.
func plBackend(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pl := &proxyproto.Listener{Listener: l, ReadHeaderTimeout: 5 * time.Second}
	t.Cleanup(func() { pl.Close() })
	go func() {
		for {
			c, err := pl.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				pc, ok := c.(*proxyproto.Conn)
				if !ok {
					return
				}
				h := pc.ProxyHeader()
				if h == nil {
					return // a health probe
				}
				link := "none"
				tlvs, _ := h.TLVs()
				for _, tlv := range tlvs {
					if tlv.Type == 0xEE && len(tlv.Value) == 5 && tlv.Value[0] == 0x01 {
						link = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(tlv.Value[1:])), 10)
					}
				}
				fmt.Fprintf(c, "source=%s dest=%s link=%s peer=%s\n", h.SourceAddr, h.DestinationAddr, link, pc.Raw().RemoteAddr())
				_, _ = bufio.NewReader(c).ReadString('\n') // hold the flow open until the client closes it
			}()
		}
	}()
	return l.Addr().String()
}

// TestPrivateLink drives Private Link end to end with the Azure SDK: a
// provider publishes an internal Standard load balancer's frontend as a
// private link service with the PROXY protocol and a static NAT IP; a
// consumer in a second subscription, in an overlapping address space,
// requests a manual private endpoint connection. Pending refuses the
// consumer's connections, approval lets them through (the backend sees the
// NAT IP and a PROXY v2 header with the consumer's address and LinkID),
// and rejection cuts the established flow.
func TestPrivateLink(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := daemonClient(t, d)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	provSub := c.Subscription
	consSub := "6f1c2c44-81a3-4c0e-9b5e-5d1a6bb0c0de"
	const provRG, consRG, loc = "pl-provider", "pl-consumer", "eastus"
	netOf := func(sub string) *armnetwork.ClientFactory {
		f, err := armnetwork.NewClientFactory(sub, c.Cred, c.Options)
		must(err)
		return f
	}
	provNet, consNet := netOf(provSub), netOf(consSub)
	netID := func(sub, rg, typ, name string) string {
		return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/" + typ + "/" + name
	}
	for _, g := range []struct{ sub, rg string }{{provSub, provRG}, {consSub, consRG}} {
		rc, err := armresources.NewResourceGroupsClient(g.sub, c.Cred, c.Options)
		must(err)
		_, err = rc.CreateOrUpdate(ctx, g.rg, armresources.ResourceGroup{Location: to(loc)}, nil)
		must(err)
	}

	vnet := func(f *armnetwork.ClientFactory, rg, name string, prefixes []string, subnets ...*armnetwork.Subnet) {
		t.Helper()
		ps := make([]*string, 0, len(prefixes))
		for _, p := range prefixes {
			ps = append(ps, to(p))
		}
		p, err := f.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, rg, name, armnetwork.VirtualNetwork{
			Location: to(loc),
			Properties: &armnetwork.VirtualNetworkPropertiesFormat{
				AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: ps},
				Subnets:      subnets,
			},
		}, nil)
		must(err)
		_, err = p.PollUntilDone(ctx, nil)
		must(err)
	}
	subnet := func(name, prefix string) *armnetwork.Subnet {
		return &armnetwork.Subnet{Name: to(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to(prefix)}}
	}
	plsSubnet := subnet("pls", "10.224.10.0/24")
	plsSubnet.Properties.PrivateLinkServiceNetworkPolicies = to(armnetwork.VirtualNetworkPrivateLinkServiceNetworkPoliciesDisabled)
	vnet(provNet, provRG, "prov", []string{"10.0.0.0/16", "10.224.0.0/16"}, subnet("backend", "10.0.1.0/24"), plsSubnet)
	// The consumer's address space overlaps the provider's.
	vnet(consNet, consRG, "cons", []string{"10.0.0.0/16"}, subnet("vms", "10.0.1.0/24"), subnet("pe", "10.0.2.0/24"))

	// The provider's Standard internal load balancer: frontend, pool,
	// TCP probe on 8080, rule 80 -> 8080.
	lbID := netID(provSub, provRG, "loadBalancers", "lb")
	lbp, err := provNet.NewLoadBalancersClient().BeginCreateOrUpdate(ctx, provRG, "lb", armnetwork.LoadBalancer{
		Location: to(loc),
		SKU:      &armnetwork.LoadBalancerSKU{Name: to(armnetwork.LoadBalancerSKUNameStandard)},
		Properties: &armnetwork.LoadBalancerPropertiesFormat{
			FrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{
				Name: to("fe"),
				Properties: &armnetwork.FrontendIPConfigurationPropertiesFormat{
					PrivateIPAddress:          to("10.0.1.10"),
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodStatic),
					Subnet:                    &armnetwork.Subnet{ID: to(netID(provSub, provRG, "virtualNetworks", "prov") + "/subnets/backend")},
				},
			}},
			BackendAddressPools: []*armnetwork.BackendAddressPool{{Name: to("pool")}},
			Probes: []*armnetwork.Probe{{
				Name: to("tcp-8080"),
				Properties: &armnetwork.ProbePropertiesFormat{Protocol: to(armnetwork.ProbeProtocolTCP), Port: to[int32](8080),
					IntervalInSeconds: to[int32](5), NumberOfProbes: to[int32](1)},
			}},
			LoadBalancingRules: []*armnetwork.LoadBalancingRule{{
				Name: to("http"),
				Properties: &armnetwork.LoadBalancingRulePropertiesFormat{
					Protocol:                to(armnetwork.TransportProtocolTCP),
					FrontendPort:            to[int32](80),
					BackendPort:             to[int32](8080),
					FrontendIPConfiguration: &armnetwork.SubResource{ID: to(lbID + "/frontendIPConfigurations/fe")},
					BackendAddressPool:      &armnetwork.SubResource{ID: to(lbID + "/backendAddressPools/pool")},
					Probe:                   &armnetwork.SubResource{ID: to(lbID + "/probes/tcp-8080")},
				},
			}},
		},
	}, nil)
	must(err)
	_, err = lbp.PollUntilDone(ctx, nil)
	must(err)

	vm := func(sub string, _ *armnetwork.ClientFactory, rg, name, subnetID, pool string) (id, ip string) {
		t.Helper()
		return linuxVM(ctx, t, c, sub, rg, loc, name, subnetID, pool)
	}
	backendID, _ := vm(provSub, provNet, provRG, "backend", netID(provSub, provRG, "virtualNetworks", "prov")+"/subnets/backend",
		lbID+"/backendAddressPools/pool")
	consumerVMID, clientIP := vm(consSub, consNet, consRG, "client", netID(consSub, consRG, "virtualNetworks", "cons")+"/subnets/vms", "")
	if clientIP == "" {
		t.Fatal("the consumer VM's NIC has no private IP")
	}

	// backend:8080 is the real server.
	tok := "Bearer " + c.token(t)
	if r := c.do(t, http.MethodPut, c.Endpoint+backendID+"/providers/Privlink.Fabric/listeners/tcp-8080?api-version=2025-01-01", tok,
		`{"properties":{"protocol":"Tcp","port":8080,"target":"`+plBackend(t)+`"}}`); r.Status != http.StatusCreated {
		t.Fatalf("declare listener: %d %s", r.Status, r.Body)
	}

	// The private link service: PROXY protocol, static NAT IP.
	plsc := provNet.NewPrivateLinkServicesClient()
	pp, err := plsc.BeginCreateOrUpdate(ctx, provRG, "pls", armnetwork.PrivateLinkService{
		Location: to(loc),
		Properties: &armnetwork.PrivateLinkServiceProperties{
			LoadBalancerFrontendIPConfigurations: []*armnetwork.FrontendIPConfiguration{{ID: to(lbID + "/frontendIPConfigurations/fe")}},
			IPConfigurations: []*armnetwork.PrivateLinkServiceIPConfiguration{{
				Name: to("nat"),
				Properties: &armnetwork.PrivateLinkServiceIPConfigurationProperties{
					Primary:                   to(true),
					PrivateIPAddress:          to("10.224.10.10"),
					PrivateIPAllocationMethod: to(armnetwork.IPAllocationMethodStatic),
					Subnet:                    &armnetwork.Subnet{ID: to(netID(provSub, provRG, "virtualNetworks", "prov") + "/subnets/pls")},
				},
			}},
			Visibility:          &armnetwork.PrivateLinkServicePropertiesVisibility{Subscriptions: []*string{to(consSub)}},
			EnableProxyProtocol: to(true),
		},
	}, nil)
	must(err)
	pls, err := pp.PollUntilDone(ctx, nil)
	must(err)

	// The consumer's manual private endpoint: Pending.
	pec := consNet.NewPrivateEndpointsClient()
	pep, err := pec.BeginCreateOrUpdate(ctx, consRG, "pe", armnetwork.PrivateEndpoint{
		Location: to(loc),
		Properties: &armnetwork.PrivateEndpointProperties{
			Subnet: &armnetwork.Subnet{ID: to(netID(consSub, consRG, "virtualNetworks", "cons") + "/subnets/pe")},
			ManualPrivateLinkServiceConnections: []*armnetwork.PrivateLinkServiceConnection{{
				Name: to("to-provider"),
				Properties: &armnetwork.PrivateLinkServiceConnectionProperties{
					PrivateLinkServiceID: pls.ID, RequestMessage: to("please"),
				},
			}},
		},
	}, nil)
	must(err)
	pe, err := pep.PollUntilDone(ctx, nil)
	must(err)
	if s := deref(pe.Properties.ManualPrivateLinkServiceConnections[0].Properties.PrivateLinkServiceConnectionState.Status); s != "Pending" {
		t.Fatalf("connection state %q, want Pending", s)
	}
	if len(pe.Properties.NetworkInterfaces) == 0 {
		t.Fatal("the private endpoint has no network interface")
	}
	nicID := deref(pe.Properties.NetworkInterfaces[0].ID)
	nic, err := consNet.NewInterfacesClient().Get(ctx, consRG, nicID[strings.LastIndex(nicID, "/")+1:], nil)
	must(err)
	peIP := deref(nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress)
	dest := net.JoinHostPort(peIP, "80")

	dialer, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: consumerVMID, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	if conn, err := dialer.Dial("tcp", dest); err == nil {
		conn.Close()
		t.Fatal("a Pending connection carried traffic")
	} else if !strings.Contains(err.Error(), "host unreachable") {
		t.Fatalf("dial through a Pending connection: %v, want host unreachable (SOCKS 0x04)", err)
	}

	// The owner approves.
	connection := func() *armnetwork.PrivateEndpointConnection {
		t.Helper()
		var out *armnetwork.PrivateEndpointConnection
		pager := plsc.NewListPrivateEndpointConnectionsPager(provRG, "pls", nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			must(err)
			if len(page.Value) > 0 {
				out = page.Value[0]
			}
		}
		if out == nil || out.Properties == nil || deref(out.Properties.LinkIdentifier) == "" {
			t.Fatalf("the service's connection: %+v", out)
		}
		return out
	}
	setState := func(status string) {
		t.Helper()
		pc := connection()
		pc.Properties.PrivateLinkServiceConnectionState = &armnetwork.PrivateLinkServiceConnectionState{Status: to(status), Description: to("by the owner")}
		_, err := plsc.UpdatePrivateEndpointConnection(ctx, provRG, "pls", deref(pc.Name), *pc, nil)
		must(err)
	}
	setState("Approved")
	linkID := deref(connection().Properties.LinkIdentifier)

	// The consumer VM reaches the backend through the endpoint (retrying
	// while the first health probe is under way).
	var conn net.Conn
	var line string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		conn, err = dialer.Dial("tcp", dest)
		if err == nil {
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, err = bufio.NewReader(conn).ReadString('\n')
			if err == nil {
				break
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect to the private endpoint %s after approval: %v", dest, err)
		}
	}
	defer conn.Close()
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	src, _, _ := net.SplitHostPort(fields["source"])
	peer, _, _ := net.SplitHostPort(fields["peer"])
	if src != clientIP || fields["dest"] != dest || fields["link"] != linkID || peer != "127.224.10.10" {
		t.Fatalf("the backend saw %q; want source %s, dest %s, link %s, peer 127.224.10.10", line, clientIP, dest, linkID)
	}

	// The owner rejects: the established flow is cut, new ones refused.
	setState("Rejected")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); err == nil {
		t.Errorf("the flow through a rejected connection is still open (read %d bytes)", n)
	} else {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Error("the flow through a rejected connection was not cut")
		}
	}
	if c2, err := dialer.Dial("tcp", dest); err == nil {
		c2.Close()
		t.Error("a new connection through a rejected connection was accepted")
	} else if !strings.Contains(err.Error(), "host unreachable") {
		t.Errorf("dial through a rejected connection: %v, want host unreachable", err)
	}
	stopDaemon(t, d)
}
