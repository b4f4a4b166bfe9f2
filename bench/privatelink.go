package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PLWorld is the Private Link topology of the issue-4 benchmarks, built
// through the ARM API of a daemon in one subscription:
//
//   - provider VNet "pl-prov" (10.0.0.0/16 and 10.224.0.0/16): subnet
//     "backend" 10.0.1.0/24 with the VM "pl-backend" whose NIC is in the
//     pool of a Standard internal load balancer "pl-lb" (frontend
//     10.0.1.10, TCP probes, rules SinkPort → SinkPort and EchoPort →
//     EchoPort), the VM's listeners standing for the real sink and echo
//     servers; subnet "pls" 10.224.10.0/24 (private link service network
//     policies off) holding the NAT IP 10.224.10.10 of the private link
//     service "pl-pls" on the LB's frontend (PROXY protocol off, Azure's
//     default; visibility and autoApproval listing the subscription);
//   - consumer VNet "pl-cons" (10.0.0.0/16 too: the address spaces
//     overlap, as Private Link allows): subnet "vms" 10.0.1.0/24 with the
//     vantage VM "pl-client", subnet "pe" 10.0.8.0/21 (2,043 usable
//     addresses) for the private endpoints, each an automatic
//     (auto-approved) connection to the service.
type PLWorld struct {
	PLSID      string
	BackendVM  string
	ConsumerVM string
	PESubnet   string
	SinkPort   int
	EchoPort   int
	// Endpoints are the private endpoints created so far, in order.
	Endpoints []PLEndpoint
	Env       *Environment
}

// PLEndpoint is one private endpoint and what its creation took.
type PLEndpoint struct {
	ID string
	IP string // its NIC's private address, the consumer's destination
	// Put is the time to the PUT's response (201 with
	// Azure-AsyncOperation); Total is the time until the operation's
	// status is Succeeded.
	Put, Total time.Duration
}

// PLSpec says what the backend VM's listeners forward to.
type PLSpec struct {
	SinkAddr, EchoAddr string // real loopback listeners
	SinkPort, EchoPort int    // emulated ports (default 9000, 7)
}

// Address plan of the PLWorld.
const (
	plFrontendIP = "10.0.1.10"
	plNATIP      = "10.224.10.10"
	plPESubnet   = "10.0.8.0/21"
)

// BuildPrivateLink creates the PLWorld through the ARM API with client c
// (without any private endpoint; see AddEndpoint), waits for every
// asynchronous operation, and fetches the consumer VM's environment.
func (t *Target) BuildPrivateLink(ctx context.Context, c *Client, spec PLSpec) (*PLWorld, error) {
	if spec.SinkPort == 0 {
		spec.SinkPort = 9000
	}
	if spec.EchoPort == 0 {
		spec.EchoPort = 7
	}
	w := &PLWorld{SinkPort: spec.SinkPort, EchoPort: spec.EchoPort}
	id := func(typ, name string) string {
		return t.GroupID() + "/providers/Microsoft.Network/" + typ + "/" + name
	}
	prov, cons := id("virtualNetworks", "pl-prov"), id("virtualNetworks", "pl-cons")
	subnet := func(name, prefix string, plsPoliciesOff bool) map[string]any {
		p := map[string]any{"addressPrefix": prefix}
		if plsPoliciesOff {
			p["privateLinkServiceNetworkPolicies"] = "Disabled"
		}
		return map[string]any{"name": name, "properties": p}
	}
	for _, v := range []struct {
		id       string
		prefixes []string
		subnets  []any
	}{
		{prov, []string{"10.0.0.0/16", "10.224.0.0/16"}, []any{subnet("backend", "10.0.1.0/24", false), subnet("pls", "10.224.10.0/24", true)}},
		{cons, []string{"10.0.0.0/16"}, []any{subnet("vms", "10.0.1.0/24", false), subnet("pe", plPESubnet, false)}},
	} {
		if err := c.PutAndWait(ctx, v.id, NetworkAPIVersion, map[string]any{
			"location": worldRegion,
			"properties": map[string]any{
				"addressSpace": map[string]any{"addressPrefixes": v.prefixes},
				"subnets":      v.subnets,
			},
		}); err != nil {
			return nil, fmt.Errorf("virtual network: %w", err)
		}
	}
	w.PESubnet = cons + "/subnets/pe"

	lb := id("loadBalancers", "pl-lb")
	fe := lb + "/frontendIPConfigurations/fe"
	pool := lb + "/backendAddressPools/pool"
	var probes, rules []any
	for _, p := range []int{spec.SinkPort, spec.EchoPort} {
		name := "tcp-" + strconv.Itoa(p)
		probes = append(probes, map[string]any{"name": name, "properties": map[string]any{
			"protocol": "Tcp", "port": p, "intervalInSeconds": 5, "numberOfProbes": 1,
		}})
		rules = append(rules, map[string]any{"name": name, "properties": map[string]any{
			"protocol": "Tcp", "frontendPort": p, "backendPort": p,
			"frontendIPConfiguration": map[string]any{"id": fe},
			"backendAddressPool":      map[string]any{"id": pool},
			"probe":                   map[string]any{"id": lb + "/probes/" + name},
		}})
	}
	if err := c.PutAndWait(ctx, lb, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"sku":      map[string]any{"name": "Standard"},
		"properties": map[string]any{
			"frontendIPConfigurations": []any{map[string]any{"name": "fe", "properties": map[string]any{
				"privateIPAddress": plFrontendIP, "privateIPAllocationMethod": "Static",
				"subnet": map[string]any{"id": prov + "/subnets/backend"},
			}}},
			"backendAddressPools": []any{map[string]any{"name": "pool"}},
			"probes":              probes,
			"loadBalancingRules":  rules,
		},
	}); err != nil {
		return nil, fmt.Errorf("load balancer: %w", err)
	}

	vm := func(name, subnetID, pool string) (string, error) {
		nic := id("networkInterfaces", name+"-nic")
		ipc := map[string]any{"subnet": map[string]any{"id": subnetID}}
		if pool != "" {
			ipc["loadBalancerBackendAddressPools"] = []any{map[string]any{"id": pool}}
		}
		if err := c.PutAndWait(ctx, nic, NetworkAPIVersion, map[string]any{
			"location":   worldRegion,
			"properties": map[string]any{"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": ipc}}},
		}); err != nil {
			return "", fmt.Errorf("network interface %s: %w", name, err)
		}
		vid := t.GroupID() + "/providers/Microsoft.Compute/virtualMachines/" + name
		if err := c.PutAndWait(ctx, vid, ComputeAPIVersion, vmBody(name, nic)); err != nil {
			return "", fmt.Errorf("virtual machine %s: %w", name, err)
		}
		return vid, nil
	}
	var err error
	if w.BackendVM, err = vm("pl-backend", prov+"/subnets/backend", pool); err != nil {
		return nil, err
	}
	if w.ConsumerVM, err = vm("pl-client", cons+"/subnets/vms", ""); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		port   int
		target string
	}{{spec.SinkPort, spec.SinkAddr}, {spec.EchoPort, spec.EchoAddr}} {
		lid := w.BackendVM + "/providers/Privlink.Fabric/listeners/tcp-" + strconv.Itoa(l.port)
		if err := c.PutAndWait(ctx, lid, FabricAPIVersion, map[string]any{
			"properties": map[string]any{"protocol": "Tcp", "port": l.port, "target": l.target},
		}); err != nil {
			return nil, fmt.Errorf("listener: %w", err)
		}
	}

	w.PLSID = id("privateLinkServices", "pl-pls")
	sub := []string{t.SubscriptionID}
	if err := c.PutAndWait(ctx, w.PLSID, NetworkAPIVersion, map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": fe}},
			"ipConfigurations": []any{map[string]any{"name": "nat", "properties": map[string]any{
				"primary": true, "privateIPAddress": plNATIP, "privateIPAllocationMethod": "Static",
				"subnet": map[string]any{"id": prov + "/subnets/pls"},
			}}},
			"visibility":          map[string]any{"subscriptions": sub},
			"autoApproval":        map[string]any{"subscriptions": sub},
			"enableProxyProtocol": false,
		},
	}); err != nil {
		return nil, fmt.Errorf("private link service: %w", err)
	}
	if w.Env, err = c.FabricEnvironment(ctx, w.ConsumerVM); err != nil {
		return nil, fmt.Errorf("environment of pl-client: %w", err)
	}
	return w, nil
}

// EndpointName is the name of the i-th benchmark endpoint (from 0).
func EndpointName(i int) string { return fmt.Sprintf("pe-%04d", i) }

// endpointBody is an automatic private endpoint connection to pls.
func endpointBody(subnet, pls string) map[string]any {
	return map[string]any{
		"location": worldRegion,
		"properties": map[string]any{
			"subnet": map[string]any{"id": subnet},
			"privateLinkServiceConnections": []any{map[string]any{
				"name":       "to-pls",
				"properties": map[string]any{"privateLinkServiceId": pls},
			}},
		},
	}
}

// EndpointID is the resource ID of the endpoint called name.
func (t *Target) EndpointID(name string) string {
	return t.GroupID() + "/providers/Microsoft.Network/privateEndpoints/" + name
}

// AddEndpoint creates the private endpoint called name, timing the PUT
// and its asynchronous operation (polled every poll), checks that its
// connection is Approved, reads its address and appends it to
// w.Endpoints.
func (w *PLWorld) AddEndpoint(ctx context.Context, t *Target, c *Client, name string, poll time.Duration) (*PLEndpoint, error) {
	ep := PLEndpoint{ID: t.EndpointID(name)}
	t0 := time.Now()
	r, err := c.Call(ctx, http.MethodPut, ep.ID, NetworkAPIVersion, endpointBody(w.PESubnet, w.PLSID))
	if err != nil {
		return nil, err
	}
	ep.Put = time.Since(t0)
	if err := c.waitEvery(ctx, r, poll); err != nil {
		return nil, err
	}
	ep.Total = time.Since(t0)
	var got struct {
		Properties struct {
			ProvisioningState             string `json:"provisioningState"`
			PrivateLinkServiceConnections []struct {
				Properties struct {
					State struct {
						Status string `json:"status"`
					} `json:"privateLinkServiceConnectionState"`
				} `json:"properties"`
			} `json:"privateLinkServiceConnections"`
			NetworkInterfaces []struct {
				ID string `json:"id"`
			} `json:"networkInterfaces"`
		} `json:"properties"`
	}
	if err := c.Get(ctx, ep.ID, NetworkAPIVersion, &got); err != nil {
		return nil, err
	}
	p := got.Properties
	if p.ProvisioningState != "Succeeded" || len(p.PrivateLinkServiceConnections) != 1 ||
		p.PrivateLinkServiceConnections[0].Properties.State.Status != "Approved" || len(p.NetworkInterfaces) != 1 {
		return nil, fmt.Errorf("private endpoint %s: provisioning %q, connections %+v, NICs %d; want Succeeded, one Approved connection, one NIC",
			name, p.ProvisioningState, p.PrivateLinkServiceConnections, len(p.NetworkInterfaces))
	}
	var nic struct {
		Properties struct {
			IPConfigurations []struct {
				Properties struct {
					PrivateIPAddress string `json:"privateIPAddress"`
				} `json:"properties"`
			} `json:"ipConfigurations"`
		} `json:"properties"`
	}
	if err := c.Get(ctx, p.NetworkInterfaces[0].ID, NetworkAPIVersion, &nic); err != nil {
		return nil, err
	}
	if len(nic.Properties.IPConfigurations) == 0 || nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress == "" {
		return nil, fmt.Errorf("private endpoint %s: its network interface has no private address", name)
	}
	ep.IP = nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress
	w.Endpoints = append(w.Endpoints, ep)
	return &w.Endpoints[len(w.Endpoints)-1], nil
}

// ErrARM is an ARM error answer with its code.
type ErrARM struct {
	Status  int
	Code    string
	Message string
}

func (e *ErrARM) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// TryEndpoint sends the PUT of one more endpoint and returns ARM's error
// answer as *ErrARM when it refuses it (nil when it accepts it).
func (w *PLWorld) TryEndpoint(ctx context.Context, t *Target, c *Client, name string) error {
	r, err := c.Call(ctx, http.MethodPut, t.EndpointID(name), NetworkAPIVersion, endpointBody(w.PESubnet, w.PLSID))
	if err == nil {
		return c.wait(ctx, r)
	}
	if r == nil {
		return err
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if jerr := json.Unmarshal(r.Body, &body); jerr != nil || body.Error.Code == "" {
		return err
	}
	return &ErrARM{Status: r.Status, Code: body.Error.Code, Message: body.Error.Message}
}

// waitEvery follows the Azure-AsyncOperation of r, if any, polling every
// poll; an operation that does not succeed within a minute is an error.
func (c *Client) waitEvery(ctx context.Context, r *Reply, poll time.Duration) error {
	u := r.Header.Get("Azure-AsyncOperation")
	if u == "" {
		return nil
	}
	if !strings.HasPrefix(u, "http") {
		u = c.t.Endpoint + u
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.t.Token)
		resp, err := c.hc.Do(req)
		if err != nil {
			return fmt.Errorf("poll %s: %w", u, err)
		}
		var st struct {
			Status string          `json:"status"`
			Error  json.RawMessage `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("poll %s: decode status: %w", u, err)
		}
		switch st.Status {
		case "Succeeded":
			return nil
		case "InProgress", "":
		default:
			return fmt.Errorf("operation %s ended %s: %s", u, st.Status, st.Error)
		}
		select {
		case <-time.After(poll):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("operation %s did not finish within a minute", u)
}

// Dest is the endpoint's address with port.
func (e PLEndpoint) Dest(port int) string { return net.JoinHostPort(e.IP, strconv.Itoa(port)) }

// WaitConnect dials through d until one byte comes back from the echo
// server (the load balancer admits the backend after its first health
// probe), or fails after timeout.
func WaitConnect(d Dialer, timeout time.Duration) error {
	op := ConnectOp(d)
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = op(context.Background(), 0, 0); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no echo within %s: %w", timeout, err)
}

// HAProxyChain is the HAProxy peer of the Private Link benchmarks, one
// process with, per server (sink, echo):
//
//   - "<name>-lb": the load balancer alone, one hop: a TCP-mode listen
//     section with "balance roundrobin" over a one-server list whose
//     server has a TCP health check every 5 s (the LB's probe);
//   - "<name>-lb-splice": the same with "option splice-auto";
//   - "<name>-chain": the endpoint and the load balancer as two hops: a
//     listen section standing for the private endpoint whose only server
//     is the "<name>-lb" frontend.
type HAProxyChain struct {
	*External
	Addrs   map[string]string
	Version string
	Config  string
}

// StartHAProxyChain writes the configuration in dir and runs HAProxy with
// nbthread threads; backends maps a name to a real loopback server.
func StartHAProxyChain(dir string, threads int, backends map[string]string) (*HAProxyChain, error) {
	bin, err := LookPeer("haproxy")
	if err != nil {
		return nil, err
	}
	h := &HAProxyChain{Addrs: map[string]string{}}
	if v, err := exec.Command(bin, "-v").Output(); err == nil {
		h.Version = strings.TrimSpace(strings.SplitN(string(v), "\n", 2)[0])
	}
	addr := func(name string) (string, error) {
		p, err := FreePort()
		if err != nil {
			return "", err
		}
		a := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		h.Addrs[name] = a
		return a, nil
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    maxconn 4000\n    nbthread %d\n\n", threads)
	cfg.WriteString("defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\n")
	for _, name := range []string{"sink", "echo"} {
		backend, ok := backends[name]
		if !ok {
			return nil, fmt.Errorf("haproxy chain: no %s backend", name)
		}
		lb, err := addr(name + "-lb")
		if err != nil {
			return nil, err
		}
		lbs, err := addr(name + "-lb-splice")
		if err != nil {
			return nil, err
		}
		pe, err := addr(name + "-chain")
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&cfg, "listen %s-lb\n    bind %s\n    balance roundrobin\n    server backend %s check inter 5s\n\n", name, lb, backend)
		fmt.Fprintf(&cfg, "listen %s-lb-splice\n    bind %s\n    option splice-auto\n    balance roundrobin\n    server backend %s check inter 5s\n\n", name, lbs, backend)
		fmt.Fprintf(&cfg, "listen %s-chain\n    bind %s\n    server lb %s\n\n", name, pe, lb)
	}
	h.Config = cfg.String()
	path := filepath.Join(dir, "haproxy-pl.cfg")
	if err := os.WriteFile(path, []byte(h.Config), 0o600); err != nil {
		return nil, err
	}
	if h.External, err = startExternal("haproxy", bin, "-db", "-f", path); err != nil {
		return nil, err
	}
	for _, a := range h.Addrs {
		if err := waitTCP(h.External, a); err != nil {
			h.Stop()
			return nil, err
		}
	}
	return h, nil
}

// IsARMCode reports whether err is an ARM answer with the given code.
func IsARMCode(err error, code string) bool {
	var e *ErrARM
	return errors.As(err, &e) && e.Code == code
}
