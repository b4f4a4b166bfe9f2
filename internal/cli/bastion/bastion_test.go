package bastion

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/privlink/privlink/internal/cli/clitest"
)

const (
	base = "/subscriptions/{sub}/resourceGroups/rg/providers/"
	sub  = clitest.SubscriptionID
)

func id(rest string) string { return "/subscriptions/" + sub + "/resourceGroups/rg/providers/" + rest }

func TestCreate(t *testing.T) {
	f := clitest.New(t)
	f.Handle("PUT", base+"Microsoft.Network/bastionHosts/bas", func(w http.ResponseWriter, r *http.Request, body []byte) {
		m := map[string]any{}
		_ = json.Unmarshal(body, &m)
		m["id"], m["name"], m["type"] = r.URL.Path, "bas", "Microsoft.Network/bastionHosts"
		p := m["properties"].(map[string]any)
		p["provisioningState"], p["dnsName"] = "Succeeded", "bst-x.bastion.azure.com"
		ic := p["ipConfigurations"].([]any)[0].(map[string]any)
		ic["id"] = r.URL.Path + "/bastionHostIpConfigurations/bastion_ip_config"
		clitest.WriteJSON(w, 201, m)
	})
	res := f.Run(Groups(), "network", "bastion", "create", "-g", "rg", "-n", "bas", "-l", "eastus", "--vnet-name", "hub",
		"--public-ip-address", "bas-pip", "--enable-tunneling", "--scale-units", "3").Expect(t, 0)
	put := f.Last("PUT")
	if put.APIVersion() != APIVersion {
		t.Errorf("api-version %s", put.APIVersion())
	}
	got, _ := json.Marshal(put.JSON())
	want := `{"location":"eastus","properties":{"disableCopyPaste":false,"enableFileCopy":false,"enableIpConnect":false,"enableShareableLink":false,"enableTunneling":true,` +
		`"ipConfigurations":[{"name":"bastion_ip_config","properties":{"publicIPAddress":{"id":"` + id("Microsoft.Network/publicIPAddresses/bas-pip") + `"},` +
		`"subnet":{"id":"` + id("Microsoft.Network/virtualNetworks/hub/subnets/AzureBastionSubnet") + `"}}}],"scaleUnits":3},"sku":{"name":"Standard"}}`
	if string(got) != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
	o := res.Object(t)
	ic := o["ipConfigurations"].([]any)[0].(map[string]any)
	if o["dnsName"] != "bst-x.bastion.azure.com" || o["enableTunneling"] != true || o["properties"] != nil || ic["subnet"] == nil || ic["properties"] != nil {
		t.Errorf("output not flattened like az's: %v", o)
	}
	f.Run(Groups(), "network", "bastion", "create", "-g", "rg", "-n", "bas", "--vnet-name", "hub", "--public-ip-address", "p", "--scale-units", "51").Expect(t, 2)
}

// fakeProxy is an HTTP CONNECT proxy on loopback: it refuses deny with 403
// and the explanation, and answers anything else with an echo server.
type fakeProxy struct {
	ln       net.Listener
	deny     string
	mu       sync.Mutex
	users    []string
	connects []string
}

func startProxy(t *testing.T, deny string) *fakeProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProxy{ln: ln, deny: deny}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *fakeProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	user, _, _ := req.BasicAuth()
	if auth := req.Header.Get("Proxy-Authorization"); auth != "" {
		r2 := &http.Request{Header: http.Header{"Authorization": {auth}}}
		user, _, _ = r2.BasicAuth()
	}
	p.mu.Lock()
	p.users, p.connects = append(p.users, user), append(p.connects, req.Host)
	p.mu.Unlock()
	if req.Host == p.deny {
		body := "privlink: connection from bas to " + req.Host + ": connection not allowed by network security rules (DeniedByNSG)\n- NetworkSecurityRule: NSG apps-nsg rule deny-bastion (priority 200) on subnet spoke/apps denies Inbound Tcp from 10.1.1.4 to 10.2.0.4:22\n"
		fmt.Fprintf(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		return
	}
	fmt.Fprintf(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	_, _ = io.Copy(c, br)
}

// fakeSession registers a Standard bastion with tunneling in hub, VM app in
// vnet (peered with hub when peered), and the environment naming proxy.
func fakeSession(f *clitest.Fake, sku string, tunneling bool, vnet string, peered bool, proxy string) {
	f.JSON("GET", base+"Microsoft.Network/bastionHosts/bas", 200, map[string]any{
		"id": id("Microsoft.Network/bastionHosts/bas"), "name": "bas", "sku": map[string]any{"name": sku},
		"properties": map[string]any{"enableTunneling": tunneling, "ipConfigurations": []any{map[string]any{"name": "c",
			"properties": map[string]any{"subnet": map[string]any{"id": id("Microsoft.Network/virtualNetworks/hub/subnets/AzureBastionSubnet")}}}}}})
	f.JSON("GET", base+"Microsoft.Compute/virtualMachines/app", 200, map[string]any{"id": id("Microsoft.Compute/virtualMachines/app"), "name": "app",
		"properties": map[string]any{"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": id("Microsoft.Network/networkInterfaces/app-nic")}}}}})
	f.JSON("GET", base+"Microsoft.Network/networkInterfaces/app-nic", 200, map[string]any{"properties": map[string]any{"ipConfigurations": []any{
		map[string]any{"properties": map[string]any{"privateIPAddress": "10.2.0.4", "primary": true,
			"subnet": map[string]any{"id": id("Microsoft.Network/virtualNetworks/" + vnet + "/subnets/apps")}}}}}})
	peering := func(from, to string, ok bool) {
		var items []any
		if ok {
			items = append(items, map[string]any{"properties": map[string]any{"peeringState": "Connected",
				"remoteVirtualNetwork": map[string]any{"id": id("Microsoft.Network/virtualNetworks/" + to)}}})
		}
		f.JSON("GET", base+"Microsoft.Network/virtualNetworks/"+from+"/virtualNetworkPeerings", 200, map[string]any{"value": items})
	}
	peering("hub", vnet, peered)
	peering(vnet, "hub", peered)
	f.JSON("POST", "/providers/Privlink.Fabric/environment", 200, map[string]any{"variables": map[string]any{
		"HTTPS_PROXY": "http://" + strings.ReplaceAll(id("Microsoft.Network/bastionHosts/bas"), "/", "%2F") + ":tok@" + proxy, "ALL_PROXY": "socks5h://x"}})
}

func TestTunnelRefusals(t *testing.T) {
	target := id("Microsoft.Compute/virtualMachines/app")
	args := []string{"network", "bastion", "tunnel", "-g", "rg", "-n", "bas", "--target-resource-id", target, "--resource-port", "22", "--port", "0"}
	cases := []struct {
		name, sku, vnet string
		tunneling, peer bool
		args            []string
		msg             string
	}{
		{"basic", "Basic", "hub", false, false, args, "ERROR: Bastion Host SKU must be Standard or Premium and Native Client must be enabled.\n"},
		{"no tunneling", "Standard", "hub", false, false, args, "ERROR: Bastion Host SKU must be Standard or Premium and Native Client must be enabled.\n"},
		{"bad id", "Standard", "hub", true, false, []string{"network", "bastion", "tunnel", "-g", "rg", "-n", "bas", "--target-resource-id", "app", "--resource-port", "22", "--port", "0"},
			"ERROR: Please enter a valid resource ID."},
		{"not peered", "Premium", "spoke", true, false, args, "neither the bastion's virtual network"},
		{"denied by NSG", "Standard", "spoke", true, true, args, "rule deny-bastion (priority 200)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startProxy(t, "10.2.0.4:22")
			f := clitest.New(t)
			fakeSession(f, c.sku, c.tunneling, c.vnet, c.peer, p.ln.Addr().String())
			res := f.Run(Groups(), c.args...).Expect(t, 1)
			if !strings.Contains(res.Stderr, c.msg) {
				t.Errorf("stderr %q lacks %q", res.Stderr, c.msg)
			}
		})
	}
}

func TestTunnelForwards(t *testing.T) {
	p := startProxy(t, "")
	f := clitest.New(t)
	fakeSession(f, "Standard", true, "spoke", true, p.ln.Addr().String())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	done := make(chan clitest.Result, 1)
	go func() {
		done <- f.Run(Groups(), "network", "bastion", "tunnel", "-g", "rg", "-n", "bas", "--target-resource-id", id("Microsoft.Compute/virtualMachines/app"),
			"--resource-port", "8080", "--port", strconv.Itoa(port), "--timeout", "1")
	}()
	var c net.Conn
	for i := 0; i < 100; i++ {
		if c, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("ping\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Errorf("echo through the tunnel: %q %v", line, err)
	}
	_ = c.Close()
	res := (<-done).Expect(t, 0)
	want := fmt.Sprintf("WARNING: Opening tunnel on port: %d\nWARNING: Tunnel is ready, connect on port %d\nWARNING: Ctrl + C to close\n", port, port)
	if !strings.HasPrefix(res.Stderr, want) {
		t.Errorf("stderr %q, want %q", res.Stderr, want)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.connects) < 2 || p.connects[1] != "10.2.0.4:8080" || p.users[1] != id("Microsoft.Network/bastionHosts/bas") {
		t.Errorf("proxy saw %v as %v", p.connects, p.users)
	}
}

func TestSSH(t *testing.T) {
	p := startProxy(t, "")
	f := clitest.New(t)
	fakeSession(f, "Standard", true, "hub", false, p.ln.Addr().String())
	proxyEnv := "http://bas:tok@" + p.ln.Addr().String()
	f.Handle("POST", "/providers/Privlink.Fabric/environment", func(w http.ResponseWriter, r *http.Request, body []byte) {
		var in struct{ From string }
		_ = json.Unmarshal(body, &in)
		if strings.HasSuffix(in.From, "/virtualMachines/app") {
			clitest.WriteJSON(w, 200, map[string]any{"variables": map[string]any{"PRIVLINK_VANTAGE": "app-vantage"}})
			return
		}
		clitest.WriteJSON(w, 200, map[string]any{"variables": map[string]any{"HTTPS_PROXY": proxyEnv}})
	})
	ssh := func(extra ...string) clitest.Result {
		return f.Run(Groups(), append([]string{"network", "bastion", "ssh", "-g", "rg", "-n", "bas", "--target-resource-id", id("Microsoft.Compute/virtualMachines/app")}, extra...)...)
	}
	res := ssh("--auth-type", "password", "--username", "azureuser", "--", "echo $PRIVLINK_VANTAGE; exit 3").Expect(t, 3)
	if res.Stdout != "app-vantage\n" {
		t.Errorf("shell output %q", res.Stdout)
	}
	if got := ssh("--auth-type", "password", "--", "true").Expect(t, 1).Stderr; !strings.Contains(got, "Please enter username with --username.") {
		t.Errorf("stderr %q", got)
	}
	if got := ssh("--auth-type", "ssh-key", "--username", "u", "--", "true").Expect(t, 1).Stderr; !strings.Contains(got, "Please enter username --username and ssh cert location --ssh-key.") {
		t.Errorf("stderr %q", got)
	}
	if got := ssh("--auth-type", "kerberos", "--", "true").Expect(t, 1).Stderr; !strings.Contains(got, "Unknown auth type. Use one of password, aad or ssh-key.") {
		t.Errorf("stderr %q", got)
	}
	ssh("--auth-type", "AAD", "--", "true").Expect(t, 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.connects {
		if c != "10.2.0.4:22" {
			t.Errorf("ssh checked %s", c)
		}
	}
}
