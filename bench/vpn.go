package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// VPNWorld is the site-to-site VPN topology of the throughput benchmark
// (issue 7, item 7), built through the ARM API of a daemon:
//
//   - VNet vpn-hub 10.2.0.0/16 with a subnet "apps" (10.2.1.0/24) and a
//     GatewaySubnet (10.2.255.0/27); VM vpn-server in "apps" whose
//     listener on SinkPort stands for the real sink, and VM vpn-vm (the
//     in-VNet reference vantage);
//   - a route-based VpnGw1 virtual network gateway with a Standard public
//     IP, a local network gateway for the site's edge address and prefix,
//     and an IPsec connection with a shared key;
//   - the on-premises site "corp" (Privlink.OnPrem/sites, 192.168.0.0/16)
//     whose VPN device points at the gateway's public IP with the same key,
//     and its host "laptop", the vantage.
//
// BuildVPN returns once the connection reports Connected, that is once the
// fabric's evaluation of the tunnel delivers.
type VPNWorld struct {
	ServerVM, ClientVM string // vpn-server (destination), vpn-vm (in-VNet vantage)
	SiteHost           string // resource ID of the on-premises host, the vantage
	Connection         string // resource ID of the VPN connection
	Site               string // resource ID of the on-premises site
	GatewayPublicIP    string // the VPN gateway's public address
	ServerIP           string // vpn-server's private address
	SiteHostIP         string // the laptop's address in the site
	SinkPort           int
	// Env is the site host's environment (proxy addresses).
	Env *Environment
}

// VPNSpec says where the sink listener forwards to.
type VPNSpec struct {
	SinkAddr string // real loopback listener
	SinkPort int    // the emulated port (default 9000)
	// Connected bounds the wait for the connection's Connected status
	// (default 30 s).
	Connected time.Duration
}

// OnPremAPIVersion is the API version of Privlink.OnPrem.
const OnPremAPIVersion = "2025-01-01"

const vpnSharedKey = "Bench-Sh4red-key"

// BuildVPN creates the VPNWorld through the ARM API with client c.
func (t *Target) BuildVPN(ctx context.Context, c *Client, spec VPNSpec) (*VPNWorld, error) {
	if spec.SinkPort == 0 {
		spec.SinkPort = 9000
	}
	if spec.Connected == 0 {
		spec.Connected = 30 * time.Second
	}
	w := &VPNWorld{SinkPort: spec.SinkPort}
	id := func(typ, name string) string {
		return t.GroupID() + "/providers/Microsoft.Network/" + typ + "/" + name
	}
	put := func(what, path, api string, body map[string]any) error {
		if err := c.PutAndWait(ctx, path, api, body); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	vnet := id("virtualNetworks", "vpn-hub")
	if err := put("virtual network", vnet, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{"10.2.0.0/16"}},
			"subnets": []any{
				map[string]any{"name": "apps", "properties": map[string]any{"addressPrefix": "10.2.1.0/24"}},
				map[string]any{"name": "GatewaySubnet", "properties": map[string]any{"addressPrefix": "10.2.255.0/27"}},
			},
		},
	}); err != nil {
		return nil, err
	}
	for _, vm := range []struct {
		name string
		id   *string
	}{{"vpn-server", &w.ServerVM}, {"vpn-vm", &w.ClientVM}} {
		nic := id("networkInterfaces", vm.name+"-nic")
		if err := put("network interface "+vm.name, nic, NetworkAPIVersion, map[string]any{
			"location": worldRegion,
			"properties": map[string]any{"ipConfigurations": []any{map[string]any{
				"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": vnet + "/subnets/apps"}},
			}}},
		}); err != nil {
			return nil, err
		}
		if vm.name == "vpn-server" {
			var got struct {
				Properties struct {
					IPConfigurations []struct {
						Properties struct {
							PrivateIPAddress string `json:"privateIPAddress"`
						} `json:"properties"`
					} `json:"ipConfigurations"`
				} `json:"properties"`
			}
			if err := c.Get(ctx, nic, NetworkAPIVersion, &got); err != nil {
				return nil, err
			}
			if len(got.Properties.IPConfigurations) == 0 || got.Properties.IPConfigurations[0].Properties.PrivateIPAddress == "" {
				return nil, fmt.Errorf("network interface %s has no private address", vm.name)
			}
			w.ServerIP = got.Properties.IPConfigurations[0].Properties.PrivateIPAddress
		}
		*vm.id = t.GroupID() + "/providers/Microsoft.Compute/virtualMachines/" + vm.name
		if err := put("virtual machine "+vm.name, *vm.id, ComputeAPIVersion, vmBody(vm.name, nic)); err != nil {
			return nil, err
		}
	}
	if err := put("listener", w.ServerVM+"/providers/Privlink.Fabric/listeners/tcp-"+strconv.Itoa(spec.SinkPort), FabricAPIVersion, map[string]any{
		"properties": map[string]any{"protocol": "Tcp", "port": spec.SinkPort, "target": spec.SinkAddr},
	}); err != nil {
		return nil, err
	}

	pip := id("publicIPAddresses", "vpn-gw-ip")
	if err := put("public IP", pip, NetworkAPIVersion, map[string]any{
		"location": worldRegion, "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static"},
	}); err != nil {
		return nil, err
	}
	var pipGot struct {
		Properties struct {
			IPAddress string `json:"ipAddress"`
		} `json:"properties"`
	}
	if err := c.Get(ctx, pip, NetworkAPIVersion, &pipGot); err != nil {
		return nil, err
	}
	if pipGot.Properties.IPAddress == "" {
		return nil, fmt.Errorf("public IP %s has no address", pip)
	}
	gw := id("virtualNetworkGateways", "vpn-gw")
	if err := put("virtual network gateway", gw, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"gatewayType": "Vpn", "vpnType": "RouteBased", "sku": map[string]any{"name": "VpnGw1", "tier": "VpnGw1"},
			"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
				"privateIPAllocationMethod": "Dynamic",
				"subnet":                    map[string]any{"id": vnet + "/subnets/GatewaySubnet"},
				"publicIPAddress":           map[string]any{"id": pip},
			}}},
		},
	}); err != nil {
		return nil, err
	}

	site := t.GroupID() + "/providers/Privlink.OnPrem/sites/corp"
	w.Site, w.GatewayPublicIP = site, pipGot.Properties.IPAddress
	if err := put("on-premises site", site, OnPremAPIVersion, siteBody(w.GatewayPublicIP, "")); err != nil {
		return nil, err
	}
	var siteGot struct {
		Properties struct {
			EdgePublicIPAddress string `json:"edgePublicIpAddress"`
		} `json:"properties"`
	}
	if err := c.Get(ctx, site, OnPremAPIVersion, &siteGot); err != nil {
		return nil, err
	}
	if siteGot.Properties.EdgePublicIPAddress == "" {
		return nil, fmt.Errorf("site %s has no edge address", site)
	}
	w.SiteHost = site + "/hosts/laptop"
	if err := put("on-premises host", w.SiteHost, OnPremAPIVersion, map[string]any{}); err != nil {
		return nil, err
	}
	var hostGot struct {
		Properties struct {
			PrivateIPAddress string `json:"privateIpAddress"`
		} `json:"properties"`
	}
	if err := c.Get(ctx, w.SiteHost, OnPremAPIVersion, &hostGot); err != nil {
		return nil, err
	}
	w.SiteHostIP = hostGot.Properties.PrivateIPAddress

	lng := id("localNetworkGateways", "corp-lng")
	if err := put("local network gateway", lng, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"gatewayIpAddress":         siteGot.Properties.EdgePublicIPAddress,
			"localNetworkAddressSpace": map[string]any{"addressPrefixes": []string{"192.168.0.0/16"}},
		},
	}); err != nil {
		return nil, err
	}
	w.Connection = id("connections", "to-corp")
	if err := put("VPN connection", w.Connection, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"connectionType":         "IPsec",
			"virtualNetworkGateway1": map[string]any{"id": gw},
			"localNetworkGateway2":   map[string]any{"id": lng},
			"sharedKey":              vpnSharedKey,
		},
	}); err != nil {
		return nil, err
	}
	// The site's VPN device with the same key: the tunnel comes up.
	if err := w.SetDeviceKey(ctx, c, vpnSharedKey, "Connected", spec.Connected); err != nil {
		return nil, err
	}
	env, err := c.FabricEnvironment(ctx, w.SiteHost)
	if err != nil {
		return nil, fmt.Errorf("environment of the site host: %w", err)
	}
	w.Env = env
	return w, nil
}

// siteBody is the site "corp" with one VPN device pointing at gwIP with
// key, or none when key is "".
func siteBody(gwIP, key string) map[string]any {
	devices := []any{}
	if key != "" {
		devices = append(devices, map[string]any{"name": "edge1", "remoteGatewayIpAddress": gwIP, "sharedKey": key})
	}
	return map[string]any{"location": worldRegion, "properties": map[string]any{
		"addressPrefixes": []string{"192.168.0.0/16"}, "vpnDevices": devices,
	}}
}

// SetDeviceKey puts the site's VPN device with key (none when key is
// "") and waits up to timeout for the connection's status to become want
// (Connected, NotConnected).
func (w *VPNWorld) SetDeviceKey(ctx context.Context, c *Client, key, want string, timeout time.Duration) error {
	if err := c.PutAndWait(ctx, w.Site, OnPremAPIVersion, siteBody(w.GatewayPublicIP, key)); err != nil {
		return fmt.Errorf("site VPN device: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		var conn struct {
			Properties struct {
				ConnectionStatus string `json:"connectionStatus"`
			} `json:"properties"`
		}
		if err := c.Get(ctx, w.Connection, NetworkAPIVersion, &conn); err != nil {
			return err
		}
		if conn.Properties.ConnectionStatus == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("VPN connection %s is %q after %s, want %s", w.Connection, conn.Properties.ConnectionStatus, timeout, want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SinkDest is the emulated destination of the sink ("10.2.1.4:9000").
func (w *VPNWorld) SinkDest() string { return net.JoinHostPort(w.ServerIP, strconv.Itoa(w.SinkPort)) }
