package bastion

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/privlink/privlink/internal/cli/core"
	"github.com/privlink/privlink/internal/cli/vm"
)

// Sessions through a bastion host (az network bastion ssh / tunnel).
//
// Both commands do what az does before opening a session (the bastion
// must be Standard or Premium with native client support, the target a
// valid resource ID) and then what the Bastion service checks: the target
// VM's virtual network is the bastion's own or one directly peered with
// it. The connection itself goes through the daemon's HTTP CONNECT proxy
// with the bastion host as the vantage (the credentials come from POST
// /providers/Privlink.Fabric/environment {"from": <bastion id>}), so the
// fabric decides it with the ordinary rules and names what blocks it.

// session is a checked bastion session to one VM port.
type session struct {
	bastionID, bastionName string
	vmID, vmName           string
	addr                   string // the VM's private address and port
	proxy                  *url.URL
	// ipConnect: the target was given by --target-ip-address (IP-based
	// connection); vmID is then az's bh-hostConnect pseudo ID.
	ipConnect bool
}

func targetArgs() []*core.Arg {
	return []*core.Arg{
		{Dest: "target_resource_id", Options: []string{"--target-resource-id"},
			Help: "ResourceId of the target Virtual Machine."},
		{Dest: "target_ip_address", Options: []string{"--target-ip-address"},
			Help: "IP address of target Virtual Machine."},
	}
}

// ipConnectPorts are the only ports an IP-based connection reaches.
var ipConnectPorts = []int{22, 3389}

// checkIPArg is az's validator of --target-ip-address.
func checkIPArg(v string) error {
	if strings.Contains(v, " ") {
		return core.Errorf("Spaces not allowed: '%s' ", v)
	}
	if _, err := netip.ParseAddr(v); err != nil {
		return core.Errorf("IP address provided is invalid. Please verify if there are any spaces or other invalid characters.")
	}
	return nil
}

// errSku is az's refusal for a bastion without native client support.
const errSku = "Bastion Host SKU must be Standard or Premium and Native Client must be enabled."

// prepare checks a session from the bastion of the command to the target
// VM's port and returns it.
func prepare(c *core.Context, r *core.Resource, port int) (*session, error) {
	targetIP := c.String("target_ip_address")
	if targetIP != "" {
		if err := checkIPArg(targetIP); err != nil {
			return nil, err
		}
	}
	client, err := c.ARM()
	if err != nil {
		return nil, err
	}
	bas, err := r.Get(c)
	if err != nil {
		return nil, err
	}
	sku := str(bas, "sku", "name")
	tunneling, _ := dig(bas, "properties", "enableTunneling").(bool)
	if !(strings.EqualFold(sku, "Standard") || strings.EqualFold(sku, "Premium")) || !tunneling {
		return nil, core.Errorf("%s", errSku)
	}
	if targetIP != "" {
		return prepareIP(c, bas, targetIP, port)
	}
	tid := c.String("target_resource_id")
	if !validResourceID(tid) {
		return nil, core.Errorf("Please enter a valid resource ID. If this is not working, try opening the JSON view of your resource (in the Overview tab), and copying the full resource ID.")
	}
	s := &session{bastionID: str(bas, "id"), bastionName: str(bas, "name"), vmID: tid}

	// The target VM's primary private address.
	vm, err := client.GetObject(c.Context(), tid, ComputeAPIVersion, nil)
	if err != nil {
		return nil, err
	}
	s.vmName = str(vm, "name")
	nicID := ""
	nics, _ := dig(vm, "properties", "networkProfile", "networkInterfaces").([]any)
	for i, n := range nics {
		if p, _ := dig(n, "properties", "primary").(bool); p || i == 0 {
			nicID = str(n, "id")
			if p {
				break
			}
		}
	}
	if nicID == "" {
		return nil, core.Errorf("The target virtual machine %s has no network interface.", tid)
	}
	nic, err := client.GetObject(c.Context(), nicID, APIVersion, nil)
	if err != nil {
		return nil, err
	}
	ip, subnet := "", ""
	ipcs, _ := dig(nic, "properties", "ipConfigurations").([]any)
	for i, ic := range ipcs {
		if p, _ := dig(ic, "properties", "primary").(bool); p || i == 0 {
			ip, subnet = str(ic, "properties", "privateIPAddress"), str(ic, "properties", "subnet", "id")
			if p {
				break
			}
		}
	}
	if ip == "" {
		return nil, core.Errorf("The target virtual machine %s has no private IP address.", tid)
	}
	s.addr = net.JoinHostPort(ip, strconv.Itoa(port))

	// Azure Bastion reaches its own and directly peered virtual networks.
	ipConfs, _ := dig(bas, "properties", "ipConfigurations").([]any)
	bvnet := ""
	if len(ipConfs) > 0 {
		bvnet = parentID(str(ipConfs[0], "properties", "subnet", "id"))
	}
	tvnet := parentID(subnet)
	if !sameID(bvnet, tvnet) {
		ok, err := peered(c, bvnet, tvnet)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, core.Errorf("Bastion Host %s cannot reach the target virtual machine %s: its virtual network %s is neither the bastion's virtual network %s nor peered with it (Azure Bastion reaches virtual machines in its own virtual network and in directly peered ones; peering is not transitive).",
				s.bastionName, s.vmName, tvnet, bvnet)
		}
	}

	return s, s.useProxy(c)
}

// prepareIP is an IP-based connection (enableIpConnect): the target is
// any address the bastion's network reaches (its own and peered virtual
// networks, on-premises networks over a VPN or ExpressRoute gateway), on
// port 22 or 3389; the fabric decides whether the connection goes through.
func prepareIP(c *core.Context, bas map[string]any, ip string, port int) (*session, error) {
	if on, _ := dig(bas, "properties", "enableIpConnect").(bool); !on {
		return nil, core.Errorf("`--target-ip-address` flag cannot be used when IpConnect is not enabled. Please use --target-resource-id flag instead.")
	}
	if !slices.Contains(ipConnectPorts, port) {
		return nil, core.Errorf("Custom ports are not allowed. Allowed ports for Tunnel with IP connect is 22, 3389.")
	}
	// az's pseudo resource ID of the target, in the bastion's
	// subscription and resource group.
	parts := strings.Split(strings.Trim(str(bas, "id"), "/"), "/")
	if len(parts) < 4 {
		return nil, fmt.Errorf("bastion host ID %q is not a resource ID", str(bas, "id"))
	}
	s := &session{bastionID: str(bas, "id"), bastionName: str(bas, "name"), vmName: ip, ipConnect: true,
		vmID: "/subscriptions/" + parts[1] + "/resourceGroups/" + parts[3] + "/providers/Microsoft.Network/bh-hostConnect/" + ip,
		addr: net.JoinHostPort(ip, strconv.Itoa(port))}
	return s, s.useProxy(c)
}

// useProxy fetches the daemon's proxy credentials for the bastion.
func (s *session) useProxy(c *core.Context) error {
	client, err := c.ARM()
	if err != nil {
		return err
	}
	env, err := client.Post(c.Context(), "/providers/Privlink.Fabric/environment", FabricAPIVersion, map[string]any{"from": s.bastionID}, false)
	if err != nil {
		return err
	}
	if s.proxy, err = url.Parse(str(env, "variables", "HTTPS_PROXY")); err != nil || s.proxy.Host == "" {
		return fmt.Errorf("the daemon handed out no HTTP proxy for %s", s.bastionID)
	}
	return nil
}

// peered reports whether two virtual networks are peered, Connected both
// ways.
func peered(c *core.Context, a, b string) (bool, error) {
	if a == "" || b == "" {
		return false, nil
	}
	one := func(from, to string) (bool, error) {
		client, err := c.ARM()
		if err != nil {
			return false, err
		}
		ps, err := client.List(c.Context(), from+"/virtualNetworkPeerings", APIVersion, nil)
		if err != nil {
			return false, err
		}
		for _, p := range ps {
			if sameID(str(p, "properties", "remoteVirtualNetwork", "id"), to) && strings.EqualFold(str(p, "properties", "peeringState"), "Connected") {
				return true, nil
			}
		}
		return false, nil
	}
	ab, err := one(a, b)
	if err != nil || !ab {
		return false, err
	}
	return one(b, a)
}

// refusedError is a connection the fabric refused, with its explanation.
type refusedError struct {
	status string
	body   string
}

func (e *refusedError) Error() string {
	return strings.TrimSpace(e.body)
}

// dial opens a connection from the bastion to the VM's port through the
// daemon's HTTP CONNECT proxy.
func (s *session) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.proxy.Host)
	if err != nil {
		return nil, fmt.Errorf("connect to the privlink proxy %s: %w", s.proxy.Host, err)
	}
	pass, _ := s.proxy.User.Password()
	auth := base64.StdEncoding.EncodeToString([]byte(s.proxy.User.Username() + ":" + pass))
	if _, err := fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n", s.addr, s.addr, auth); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("proxy CONNECT: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("proxy CONNECT: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = conn.Close()
		return nil, &refusedError{status: resp.Status, body: string(b)}
	}
	return &bufferedConn{Conn: conn, r: br}, nil
}

// bufferedConn reads what the proxy's reader buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// preflight checks that the fabric carries a connection to the target,
// and explains why not.
func (s *session) preflight(c *core.Context) error {
	conn, err := s.dial(c.Context())
	var re *refusedError
	if errors.As(err, &re) {
		return core.Errorf("Bastion Host %s cannot connect to %s (%s): %s", s.bastionName, s.vmName, s.addr, re.Error())
	}
	if err != nil {
		return err
	}
	return conn.Close()
}

func resourcePortArg(def string) *core.Arg {
	return &core.Arg{Dest: "resource_port", Options: []string{"--resource-port"}, Kind: core.Int, Default: def, Required: def == "",
		Help: "Resource port of the target VM to which the bastion will connect."}
}

func tunnelCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), targetArgs()...)
	args = append(args, resourcePortArg(""),
		&core.Arg{Dest: "port", Options: []string{"--port"}, Kind: core.Int, Required: true, Help: "Local port to use for the tunneling."},
		&core.Arg{Dest: "timeout", Options: []string{"--timeout"}, Kind: core.Int, Help: "Timeout for connection to bastion host tunnel."})
	return &core.Command{
		Name: "tunnel", Short: "Open a tunnel through Azure Bastion to a target virtual machine.", Args: args,
		Long: "Listens on 127.0.0.1:--port and forwards each connection from the bastion host to the target VM's --resource-port through the emulated network.",
		Examples: []core.Example{{Summary: "Open a tunnel through Azure Bastion to a target virtual machine using resourceId.",
			Command: "az network bastion tunnel --name MyBastionHost --resource-group MyResourceGroup --target-resource-id vmResourceId --resource-port 22 --port 50022"}},
		Run: func(c *core.Context) (any, error) {
			port := c.Int("port")
			if port < 0 || port > 65535 {
				return nil, core.Usagef("argument --port: %d is not a valid port (0-65535)", port)
			}
			s, err := prepare(c, r, c.Int("resource_port"))
			if err != nil {
				return nil, err
			}
			if err := s.preflight(c); err != nil {
				return nil, err
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				return nil, core.Errorf("Could not open the tunnel on port %d: %v", port, err)
			}
			port = ln.Addr().(*net.TCPAddr).Port
			c.Warnf("Opening tunnel on port: %d", port)
			c.Warnf("Tunnel is ready, connect on port %d", port)
			c.Warnf("Ctrl + C to close")
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			if t := c.Int("timeout"); t > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(t)*time.Second)
				defer cancel()
			}
			return nil, s.serve(ctx, c, ln)
		},
	}
}

// serve forwards every accepted connection until ctx ends.
func (s *session) serve(ctx context.Context, c *core.Context, ln net.Listener) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	track := func(cs ...net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			return false
		}
		for _, x := range cs {
			conns[x] = struct{}{}
		}
		return true
	}
	go func() {
		<-ctx.Done()
		_ = ln.Close()
		mu.Lock()
		for x := range conns {
			_ = x.Close()
		}
		mu.Unlock()
	}()
	for {
		client, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("tunnel listener: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer client.Close()
			up, err := s.dial(ctx)
			if err != nil {
				mu.Lock()
				c.Warnf("Bastion Host %s refused a connection to %s (%s): %v", s.bastionName, s.vmName, s.addr, err)
				mu.Unlock()
				return
			}
			defer up.Close()
			if !track(client, up) {
				return
			}
			splice(client, up)
			mu.Lock()
			delete(conns, client)
			delete(conns, up)
			mu.Unlock()
		}()
	}
}

// splice copies both ways until either side is done.
func splice(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		} else if bc, ok := dst.(*bufferedConn); ok {
			if tc, ok := bc.Conn.(interface{ CloseWrite() error }); ok {
				_ = tc.CloseWrite()
			}
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}

func sshCommand(r *core.Resource) *core.Command {
	args := append(r.Args(true), targetArgs()...)
	args = append(args,
		&core.Arg{Dest: "auth_type", Options: []string{"--auth-type"}, Required: true, Help: "Auth type to use for SSH connections."},
		&core.Arg{Dest: "username", Options: []string{"--username"}, Help: "User name for SSH connections."},
		&core.Arg{Dest: "ssh_key", Options: []string{"--ssh-key"}, Help: "SSH key file location for SSH connections."},
		resourcePortArg("22"),
		&core.Arg{Dest: "ssh_args", Options: []string{"--ssh-args"}, Positional: true,
			Help: "A command to run on the VM instead of an interactive shell (as ssh's remote command, after --)."},
	)
	return &core.Command{
		Name: "ssh", Short: "SSH to a virtual machine using Tunneling from Azure Bastion.", Args: args,
		Long: "The VM runs no operating system in privlink: once the bastion's session to the VM's SSH port is allowed, a local shell ($SHELL, or bash -c with the command after --) runs with the VM's vantage (the variables of `privlink vm shell`), and its exit status is the command's.",
		Examples: []core.Example{{Summary: "SSH to virtual machine using Azure Bastion using password.",
			Command: "az network bastion ssh --name MyBastionHost --resource-group MyResourceGroup --target-resource-id vmResourceId --auth-type password --username xyz"}},
		Run: func(c *core.Context) (any, error) {
			s, err := prepare(c, r, c.Int("resource_port"))
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(c.String("auth_type")) {
			case "password":
				if c.String("username") == "" {
					return nil, core.Errorf("Please enter username with --username.")
				}
			case "aad":
			case "ssh-key":
				if c.String("username") == "" || c.String("ssh_key") == "" {
					return nil, core.Errorf("Please enter username --username and ssh cert location --ssh-key.")
				}
			default:
				return nil, core.Errorf("Unknown auth type. Use one of password, aad or ssh-key.")
			}
			if err := s.preflight(c); err != nil {
				return nil, err
			}
			client, err := c.ARM()
			if err != nil {
				return nil, err
			}
			// The shell runs at the target's position: the VM, or for an
			// IP-based connection the host the bastion's connection to
			// the address reaches.
			body := map[string]any{"from": s.vmID}
			if s.ipConnect {
				body = map[string]any{"from": s.bastionID, "to": s.addr}
			}
			env, err := client.Post(c.Context(), "/providers/Privlink.Fabric/environment", FabricAPIVersion, body, false)
			if err != nil {
				return nil, err
			}
			vars, _ := dig(env, "variables").(map[string]any)
			return nil, vm.RunShell(c, c.String("ssh_args"), vars)
		},
	}
}

// validResourceID is msrestazure's is_valid_resource_id: a full resource
// ID (subscription, resource group, namespace, type and name).
func validResourceID(id string) bool {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	return strings.HasPrefix(id, "/") && len(parts) >= 8 && strings.EqualFold(parts[0], "subscriptions") &&
		strings.EqualFold(parts[2], "resourceGroups") && strings.EqualFold(parts[4], "providers") && parts[7] != ""
}
