package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// World is the emulated network the data-plane benchmarks run over, built
// through the ARM API of a daemon: one virtual network (10.1.0.0/16, a
// subnet "default" 10.1.0.0/24, no NSG), two running VMs on a NIC each
// (the vantage "vm-client" and the destination "vm-server"), listeners on
// vm-server standing for the real sink and echo servers, and a private DNS
// zone linked to the network with A records pointing at vm-server.
type World struct {
	VNetID   string
	ClientVM string // resource ID of the vantage
	ServerVM string // resource ID of the destination
	// ServerIP is vm-server's private address, the address the vantage
	// dials through the proxy.
	ServerIP string
	// SinkPort and EchoPort are vm-server's ports whose listeners forward
	// to the real sink and echo servers.
	SinkPort, EchoPort int
	// Zone is the private zone; Names are its A record FQDNs (with the
	// trailing dot), each answering ServerIP.
	Zone  string
	Names []string
	// Env is the vantage's environment (proxy addresses, DNS server).
	Env *Environment
}

// WorldSpec says what the World's listeners forward to and how many A
// records its zone holds.
type WorldSpec struct {
	SinkAddr, EchoAddr string // real loopback listeners
	SinkPort, EchoPort int    // the emulated ports (default 9000, 7)
	Zone               string // default "bench.example.com"
	Records            int    // default 100
}

// Emulated-address plan of the World.
const (
	worldSpace  = "10.1.0.0/16"
	worldSubnet = "10.1.0.0/24"
	worldRegion = "westus2"
)

// BuildWorld creates the World through the ARM API with client c, waits
// for every asynchronous operation, and fetches the vantage's environment.
func (t *Target) BuildWorld(ctx context.Context, c *Client, spec WorldSpec) (*World, error) {
	if spec.SinkPort == 0 {
		spec.SinkPort = 9000
	}
	if spec.EchoPort == 0 {
		spec.EchoPort = 7
	}
	if spec.Zone == "" {
		spec.Zone = "bench.example.com"
	}
	if spec.Records == 0 {
		spec.Records = 100
	}
	w := &World{SinkPort: spec.SinkPort, EchoPort: spec.EchoPort, Zone: spec.Zone}
	net := func(typ, name string) string {
		return t.GroupID() + "/providers/Microsoft.Network/" + typ + "/" + name
	}
	w.VNetID = net("virtualNetworks", "bench-vnet")
	if err := c.PutAndWait(ctx, w.VNetID, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"addressSpace": map[string]any{"addressPrefixes": []string{worldSpace}},
			"subnets":      []any{map[string]any{"name": "default", "properties": map[string]any{"addressPrefix": worldSubnet}}},
		},
	}); err != nil {
		return nil, fmt.Errorf("virtual network: %w", err)
	}
	vms := map[string]*string{"vm-client": &w.ClientVM, "vm-server": &w.ServerVM}
	for _, name := range []string{"vm-client", "vm-server"} {
		nic := net("networkInterfaces", name+"-nic")
		if err := c.PutAndWait(ctx, nic, NetworkAPIVersion, map[string]any{
			"location": worldRegion,
			"properties": map[string]any{"ipConfigurations": []any{map[string]any{
				"name": "ipconfig1", "properties": map[string]any{"subnet": map[string]any{"id": w.VNetID + "/subnets/default"}},
			}}},
		}); err != nil {
			return nil, fmt.Errorf("network interface %s: %w", name, err)
		}
		if name == "vm-server" {
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
				return nil, fmt.Errorf("network interface %s has no private address", name)
			}
			w.ServerIP = got.Properties.IPConfigurations[0].Properties.PrivateIPAddress
		}
		id := t.GroupID() + "/providers/Microsoft.Compute/virtualMachines/" + name
		if err := c.PutAndWait(ctx, id, ComputeAPIVersion, vmBody(name, nic)); err != nil {
			return nil, fmt.Errorf("virtual machine %s: %w", name, err)
		}
		*vms[name] = id
	}
	for _, l := range []struct {
		port   int
		target string
	}{{spec.SinkPort, spec.SinkAddr}, {spec.EchoPort, spec.EchoAddr}} {
		id := w.ServerVM + "/providers/Privlink.Fabric/listeners/tcp-" + strconv.Itoa(l.port)
		if err := c.PutAndWait(ctx, id, FabricAPIVersion, map[string]any{
			"properties": map[string]any{"protocol": "Tcp", "port": l.port, "target": l.target},
		}); err != nil {
			return nil, fmt.Errorf("listener: %w", err)
		}
	}
	zone := net("privateDnsZones", spec.Zone)
	if err := c.PutAndWait(ctx, zone, PrivateDNSAPIVersion, map[string]any{"location": "global"}); err != nil {
		return nil, fmt.Errorf("private DNS zone: %w", err)
	}
	if err := c.PutAndWait(ctx, zone+"/virtualNetworkLinks/bench-link", PrivateDNSAPIVersion, map[string]any{
		"location": "global",
		"properties": map[string]any{
			"virtualNetwork":      map[string]any{"id": w.VNetID},
			"registrationEnabled": false,
		},
	}); err != nil {
		return nil, fmt.Errorf("virtual network link: %w", err)
	}
	for i := range spec.Records {
		name := fmt.Sprintf("host%d", i)
		if err := c.PutAndWait(ctx, zone+"/A/"+name, PrivateDNSAPIVersion, map[string]any{
			"properties": map[string]any{"ttl": 300, "aRecords": []any{map[string]any{"ipv4Address": w.ServerIP}}},
		}); err != nil {
			return nil, fmt.Errorf("record set %s: %w", name, err)
		}
		w.Names = append(w.Names, name+"."+spec.Zone+".")
	}
	env, err := c.FabricEnvironment(ctx, w.ClientVM)
	if err != nil {
		return nil, fmt.Errorf("environment of vm-client: %w", err)
	}
	if env.DNSServer == "" {
		return nil, fmt.Errorf("environment of vm-client has no DNS server")
	}
	w.Env = env
	return w, nil
}

// SinkDest is the emulated destination of the sink ("10.1.0.5:9000").
func (w *World) SinkDest() string { return net.JoinHostPort(w.ServerIP, strconv.Itoa(w.SinkPort)) }

// EchoDest is the emulated destination of the echo server.
func (w *World) EchoDest() string { return net.JoinHostPort(w.ServerIP, strconv.Itoa(w.EchoPort)) }

// EchoName is the echo server's destination by name (the first A record
// of the private zone), which the proxy resolves in the vantage's view.
func (w *World) EchoName() string {
	return net.JoinHostPort(w.Names[0][:len(w.Names[0])-1], strconv.Itoa(w.EchoPort))
}

// vmBody is a Linux VM on one NIC.
func vmBody(name, nic string) map[string]any {
	return map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"hardwareProfile": map[string]any{"vmSize": "Standard_D2s_v3"},
			"storageProfile": map[string]any{"imageReference": map[string]any{
				"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest",
			}},
			"osProfile": map[string]any{
				"computerName":  name,
				"adminUsername": "azureuser",
				"adminPassword": "Privlink-bench-1!",
				"linuxConfiguration": map[string]any{
					"disablePasswordAuthentication": false,
				},
			},
			"networkProfile": map[string]any{"networkInterfaces": []any{
				map[string]any{"id": nic, "properties": map[string]any{"primary": true}},
			}},
		},
	}
}
