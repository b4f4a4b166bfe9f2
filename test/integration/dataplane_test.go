package integration

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/privatedns/armprivatedns"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources/v3"
	mdns "github.com/miekg/dns"
	"golang.org/x/net/proxy"
)

// TestDataPlane drives the daemon's data plane the way a user does, with
// the Azure SDK for the control plane: two peered VNets with a VM each, a
// declared listener, a SOCKS connection from one VM to the other that a
// deallocation cuts, auto-registration of an existing VM when a
// registration link appears, the vantage environment and its VNet
// resolver, a run command that sees its vantage, and Network Watcher being
// enabled in the region.
func TestDataPlane(t *testing.T) {
	d := startDaemon(t, t.TempDir())
	c := daemonClient(t, d)
	s := newSDK(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const rg = "dp-rg"
	_, err := s.groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: to("eastus")}, nil)
	must(err)

	vnet := func(name, prefix, subnet, subnetPrefix string) {
		p, err := s.vnets.BeginCreateOrUpdate(ctx, rg, name, armnetwork.VirtualNetwork{
			Location: to("eastus"),
			Properties: &armnetwork.VirtualNetworkPropertiesFormat{
				AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{to(prefix)}},
				Subnets: []*armnetwork.Subnet{{Name: to(subnet),
					Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to(subnetPrefix)}}},
			},
		}, nil)
		must(err)
		_, err = p.PollUntilDone(ctx, nil)
		must(err)
	}
	vnet("hub", "10.1.0.0/16", "jump", "10.1.0.0/24")
	vnet("spoke", "10.2.0.0/16", "apps", "10.2.0.0/24")
	peer := func(name, from, to_ string) {
		p, err := s.peerings.BeginCreateOrUpdate(ctx, rg, from, name, armnetwork.VirtualNetworkPeering{
			Properties: &armnetwork.VirtualNetworkPeeringPropertiesFormat{
				AllowVirtualNetworkAccess: to(true),
				RemoteVirtualNetwork:      &armnetwork.SubResource{ID: to(s.netID(rg, "virtualNetworks", to_))},
			},
		}, nil)
		must(err)
		_, err = p.PollUntilDone(ctx, nil)
		must(err)
	}
	peer("hub-to-spoke", "hub", "spoke")
	peer("spoke-to-hub", "spoke", "hub")

	vms, err := armcompute.NewVirtualMachinesClient(c.Subscription, c.Cred, c.Options)
	must(err)
	vm := func(name, vnetName, subnet string) string {
		id, _ := linuxVM(ctx, t, c, c.Subscription, rg, "eastus", name, s.netID(rg, "virtualNetworks", vnetName)+"/subnets/"+subnet, "")
		return id
	}
	jumpID := vm("jump", "hub", "jump")
	appID := vm("app", "spoke", "apps")

	// app:7000 is served by a real echo server on loopback.
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer echo.Close()
	go func() {
		for {
			conn, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer conn.Close(); _, _ = io.Copy(conn, conn) }()
		}
	}()
	tok := "Bearer " + c.token(t)
	api := func(method, path, body string) *response {
		t.Helper()
		return c.do(t, method, c.Endpoint+path+"?api-version=2025-01-01", tok, body)
	}
	if r := api(http.MethodPut, appID+"/providers/Privlink.Fabric/listeners/tcp-7000",
		`{"properties":{"protocol":"Tcp","port":7000,"target":"`+echo.Addr().String()+`"}}`); r.Status != http.StatusCreated {
		t.Fatalf("declare listener: %d %s", r.Status, r.Body)
	}

	// From the jump box, through SOCKS5, to app's private address.
	dialer, err := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: jumpID, Password: d.FabricToken()}, proxy.Direct)
	must(err)
	conn, err := dialer.Dial("tcp", "10.2.0.4:7000")
	if err != nil {
		t.Fatalf("dial app from jump: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo through the fabric: %q %v", buf, err)
	}
	// The wrong token is refused.
	bad, _ := proxy.SOCKS5("tcp", d.SOCKSAddr(), &proxy.Auth{User: jumpID, Password: "wrong"}, proxy.Direct)
	if c2, err := bad.Dial("tcp", "10.2.0.4:7000"); err == nil {
		c2.Close()
		t.Fatal("a wrong token was accepted")
	}

	// The run command runs from the VM's vantage.
	rp, err := vms.BeginRunCommand(ctx, rg, "jump", armcompute.RunCommandInput{
		CommandID: to("RunShellScript"), Script: []*string{to(`echo "vantage=$PRIVLINK_VANTAGE"`)}}, nil)
	must(err)
	run, err := rp.PollUntilDone(ctx, nil)
	must(err)
	if len(run.Value) == 0 || !strings.Contains(deref(run.Value[0].Message), "vantage="+jumpID) {
		t.Errorf("run command output: %+v", run.Value)
	}

	// A registration link registers the existing jump box; its VNet's
	// resolver (from the vantage environment) answers it.
	zp, err := s.zones.BeginCreateOrUpdate(ctx, rg, "corp.internal", armprivatedns.PrivateZone{Location: to("global")}, nil)
	must(err)
	_, err = zp.PollUntilDone(ctx, nil)
	must(err)
	lp, err := s.links.BeginCreateOrUpdate(ctx, rg, "corp.internal", "hub-link", armprivatedns.VirtualNetworkLink{
		Location: to("global"),
		Properties: &armprivatedns.VirtualNetworkLinkProperties{
			RegistrationEnabled: to(true),
			VirtualNetwork:      &armprivatedns.SubResource{ID: to(s.netID(rg, "virtualNetworks", "hub"))},
		},
	}, nil)
	must(err)
	_, err = lp.PollUntilDone(ctx, nil)
	must(err)
	r := api(http.MethodPost, "/providers/Privlink.Fabric/environment", `{"from":"jump"}`)
	var env struct {
		Vantage   string            `json:"vantage"`
		DNSServer string            `json:"dnsServer"`
		Variables map[string]string `json:"variables"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || r.Status != 200 || env.Vantage != jumpID || env.DNSServer == "" ||
		!strings.HasPrefix(env.Variables["ALL_PROXY"], "socks5h://") {
		t.Fatalf("environment: %d %s", r.Status, r.Body)
	}
	var answer string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m := new(mdns.Msg)
		m.SetQuestion("jump.corp.internal.", mdns.TypeA)
		in, err := mdns.Exchange(m, env.DNSServer)
		if err == nil && len(in.Answer) == 1 {
			if a, ok := in.Answer[0].(*mdns.A); ok {
				answer = a.A.String()
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if answer != "10.1.0.4" {
		t.Errorf("jump.corp.internal from the hub resolver: %q, want the auto-registered 10.1.0.4", answer)
	}
	r = api(http.MethodPost, "/providers/Privlink.Fabric/dnsQuery", `{"from":"app","name":"jump.corp.internal"}`)
	if !strings.Contains(string(r.Body), `"rcode":"NXDOMAIN"`) || !strings.Contains(string(r.Body), "not linked to vnet spoke") {
		t.Errorf("dnsQuery from the unlinked spoke: %d %s", r.Status, r.Body)
	}

	// Deallocating app ends the established flow and refuses new ones.
	dp, err := vms.BeginDeallocate(ctx, rg, "app", nil)
	must(err)
	_, err = dp.PollUntilDone(ctx, nil)
	must(err)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := conn.Read(buf); err == nil {
		t.Errorf("flow to a deallocated VM still open (read %d bytes)", n)
	}
	if c3, err := dialer.Dial("tcp", "10.2.0.4:7000"); err == nil {
		c3.Close()
		t.Error("new connection to a deallocated VM accepted")
	} else if !strings.Contains(err.Error(), "host unreachable") {
		t.Errorf("dial a deallocated VM: %v, want host unreachable", err)
	}

	// Network Watcher was enabled in the region, as Azure does.
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, err := s.groups.Get(ctx, "NetworkWatcherRG", nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("NetworkWatcherRG not created: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopDaemon(t, d)
}
