package nodeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/privlink/privlink/internal/arm"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Node ports live in Kubernetes' default range; listeners on node VMs in
// it that the agent did not declare this run are stale and withdrawn.
const (
	nodePortMin = 30000
	nodePortMax = 32767
)

// portSpec is what a node port serves.
type portSpec struct {
	namespace, service, portName string
	local                        bool // externalTrafficPolicy Local
	health                       bool // the healthCheckNodePort
}

// nodePort is kube-proxy's job for one node and port: a loopback
// listener (the target of the node VM's declared listener) forwarding
// each connection to a Ready endpoint's stand-in server.
type nodePort struct {
	a    *Agent
	node string
	port int32
	// clusterIP is set for a ClusterIP listener (port is then the
	// Service port), invalid for a node port.
	clusterIP netip.Addr
	l         net.Listener
	addr      netip.AddrPort
	spec      atomic.Pointer[portSpec]
	rr        atomic.Uint64
	srv       *http.Server
	wg        sync.WaitGroup
}

func (a *Agent) proxyWork(ctx context.Context) bool {
	key, quit := a.proxyQ.Get()
	if quit {
		return false
	}
	defer a.proxyQ.Done(key)
	if err := a.syncProxy(ctx); err != nil {
		if ctx.Err() == nil {
			a.log.Warn("node port sync failed; retrying", "err", err)
			a.proxyQ.AddRateLimited(key)
		}
		return true
	}
	a.proxyQ.Forget(key)
	return true
}

// listenerDecl is a Privlink.Fabric listener the agent declares on a node
// VM: a node port (every address of the node), or one address: a pod's
// address, or a ClusterIP (host-local, kube-proxy's rules).
type listenerDecl struct {
	port   int
	addr   netip.Addr // invalid for node ports
	target string
}

// syncProxy makes the node ports and ClusterIP listeners exactly those of
// the Services, on every node, declares them on the VMs, and declares the
// running pods' addresses.
func (a *Agent) syncProxy(ctx context.Context) error {
	svcs, err := a.services.List(everything)
	if err != nil {
		return err
	}
	nodes := a.cfg.Nodes()
	want := map[string]portSpec{} // "<node>/<nodePort>" or "<node>/<clusterIP>:<port>"
	for _, s := range svcs {
		for _, p := range s.Spec.Ports {
			if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
				continue
			}
			// ClusterIP: on every node, for the node's own connections.
			ilocal := s.Spec.InternalTrafficPolicy != nil && *s.Spec.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal
			for _, cip := range s.Spec.ClusterIPs {
				ip, err := netip.ParseAddr(cip)
				if err != nil || !ip.Is4() || s.Spec.Type == corev1.ServiceTypeExternalName {
					continue
				}
				for _, n := range nodes {
					want[n.Name+"/"+netip.AddrPortFrom(ip, uint16(p.Port)).String()] = portSpec{namespace: s.Namespace, service: s.Name, portName: p.Name, local: ilocal}
				}
			}
		}
		if s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		local := s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
		for _, p := range s.Spec.Ports {
			if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
				continue
			}
			// The load balancer's addresses (floating IP rules deliver
			// them to the nodes unchanged), like kube-proxy's rules.
			if s.Spec.Type == corev1.ServiceTypeLoadBalancer {
				for _, in := range s.Status.LoadBalancer.Ingress {
					ip, err := netip.ParseAddr(in.IP)
					if err != nil || !ip.Is4() {
						continue
					}
					for _, n := range nodes {
						want[n.Name+"/"+netip.AddrPortFrom(ip, uint16(p.Port)).String()] = portSpec{namespace: s.Namespace, service: s.Name, portName: p.Name, local: local}
					}
				}
			}
			if p.NodePort == 0 {
				continue
			}
			for _, n := range nodes {
				want[n.Name+"/"+strconv.Itoa(int(p.NodePort))] = portSpec{namespace: s.Namespace, service: s.Name, portName: p.Name, local: local}
			}
		}
		if local && s.Spec.HealthCheckNodePort != 0 {
			for _, n := range nodes {
				want[n.Name+"/"+strconv.Itoa(int(s.Spec.HealthCheckNodePort))] = portSpec{namespace: s.Namespace, service: s.Name, local: true, health: true}
			}
		}
	}
	a.mu.Lock()
	var closing []*nodePort
	for k, np := range a.ports {
		if spec, ok := want[k]; !ok || spec.health != np.spec.Load().health {
			closing = append(closing, np)
			delete(a.ports, k)
		}
	}
	for k, spec := range want {
		if np := a.ports[k]; np != nil {
			np.spec.Store(&spec)
			continue
		}
		node, where, _ := strings.Cut(k, "/")
		var port int
		var addr netip.Addr
		if ap, err := netip.ParseAddrPort(where); err == nil {
			addr, port = ap.Addr(), int(ap.Port())
		} else {
			port, _ = strconv.Atoi(where)
		}
		np, err := a.openNodePort(node, int32(port), spec)
		if err != nil {
			a.mu.Unlock()
			return err
		}
		np.clusterIP = addr
		a.ports[k] = np
	}
	targets := map[string]listenerDecl{} // listener path -> declaration
	for _, n := range nodes {
		if n.VMID == "" {
			continue
		}
		for k, np := range a.ports {
			if strings.HasPrefix(k, n.Name+"/") {
				targets[addrListenerPath(n.VMID, np.clusterIP, int(np.port))] = listenerDecl{port: int(np.port), addr: np.clusterIP, target: np.addr.String()}
			}
		}
	}
	// Pod addresses: an Azure CNI address (one of its node's PodIPs) is
	// the pod's node's, reachable through the VNet; an overlay address
	// (from the node's podCIDR) is routed by the cluster's nodes only.
	for _, r := range a.running {
		if !r.ip.IsValid() || r.ip == r.hostIP {
			continue // host network: the node's own ports
		}
		var on []Node
		for _, n := range nodes {
			if n.Name == r.node && slices.Contains(n.PodIPs, r.ip) {
				on = []Node{n}
				break
			}
		}
		if on == nil {
			on = nodes
		}
		for port, real := range r.addrs() {
			for _, n := range on {
				if n.VMID != "" {
					targets[addrListenerPath(n.VMID, r.ip, int(port))] = listenerDecl{port: int(port), addr: r.ip, target: real.String()}
				}
			}
		}
	}
	declared := map[string]string{}
	for k, v := range a.declared {
		declared[k] = v
	}
	a.mu.Unlock()
	for _, np := range closing {
		np.close()
	}

	var errs []error
	if !a.firstSync.Load() || len(declared) == 0 {
		// Withdraw node-port and address listeners left by an earlier run.
		for _, n := range nodes {
			if n.VMID == "" {
				continue
			}
			list, err := a.cfg.ARM.GetObject(ctx, n.VMID+"/providers/Privlink.Fabric/listeners", ListenerAPIVersion, nil)
			if err != nil {
				continue
			}
			vals, _ := list["value"].([]any)
			for _, v := range vals {
				m, _ := v.(map[string]any)
				id, _ := m["id"].(string)
				name := strings.ToLower(id[strings.LastIndex(id, "/")+1:])
				rest, ok := strings.CutPrefix(name, "tcp-")
				if !ok {
					continue
				}
				if port, err := strconv.Atoi(rest); err != nil || port < nodePortMin || port > nodePortMax {
					if !strings.Contains(rest, "-") {
						continue // the user's own listener on a node VM
					}
				}
				if _, ok := targets[strings.ToLower(id)]; !ok && !hasPathFold(targets, id) {
					declared[id] = "stale"
				}
			}
		}
	}
	for path, d := range targets {
		if declared[path] == d.target {
			continue
		}
		props := map[string]any{"protocol": "Tcp", "port": d.port, "target": d.target}
		if d.addr.IsValid() {
			props["address"] = d.addr.String()
		}
		_, err := a.cfg.ARM.Put(ctx, path, ListenerAPIVersion, map[string]any{"properties": props}, false)
		if err != nil {
			errs = append(errs, fmt.Errorf("declare %s: %w", path, err))
			continue
		}
		a.mu.Lock()
		a.declared[path] = d.target
		a.mu.Unlock()
	}
	for path := range declared {
		if _, ok := targets[path]; ok {
			continue
		}
		if err := a.cfg.ARM.Delete(ctx, path, ListenerAPIVersion, false); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("withdraw %s: %w", path, err))
			continue
		}
		a.mu.Lock()
		delete(a.declared, path)
		a.mu.Unlock()
	}
	if len(errs) == 0 {
		a.firstSync.Store(true)
	}
	return errors.Join(errs...)
}

func hasPathFold(m map[string]listenerDecl, path string) bool {
	for k := range m {
		if strings.EqualFold(k, path) {
			return true
		}
	}
	return false
}

// addrListenerPath is the listener of a node port (addr invalid) or of
// one address on a node VM.
func addrListenerPath(vmID string, addr netip.Addr, port int) string {
	if !addr.IsValid() {
		return listenerPath(vmID, port)
	}
	return vmID + "/providers/Privlink.Fabric/listeners/tcp-" + addr.String() + "-" + strconv.Itoa(port)
}

func listenerPath(vmID string, port int) string {
	return vmID + "/providers/Privlink.Fabric/listeners/tcp-" + strconv.Itoa(port)
}

func isNotFound(err error) bool {
	if ae, ok := arm.AsError(err); ok {
		return ae.Status == 404
	}
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) {
		return nf.NotFound()
	}
	var sc interface{ StatusCode() int }
	return errors.As(err, &sc) && sc.StatusCode() == 404
}

func (a *Agent) openNodePort(node string, port int32, spec portSpec) (*nodePort, error) {
	l, addr, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	np := &nodePort{a: a, node: node, port: port, l: l, addr: addr}
	np.spec.Store(&spec)
	if spec.health {
		np.srv = &http.Server{Handler: http.HandlerFunc(np.health), ReadHeaderTimeout: 10 * time.Second}
		np.wg.Go(func() { _ = np.srv.Serve(l) })
		return np, nil
	}
	np.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			np.wg.Go(func() { np.forward(c) })
		}
	})
	return np, nil
}

func (np *nodePort) close() {
	if np.srv != nil {
		_ = np.srv.Close()
	} else {
		_ = np.l.Close()
	}
}

// endpoints are the loopback servers of the service port's Ready
// endpoints (only this node's with externalTrafficPolicy Local).
func (np *nodePort) endpoints(spec *portSpec) []netip.AddrPort {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: spec.service})
	eps, err := np.a.slices.EndpointSlices(spec.namespace).List(sel)
	if err != nil {
		return nil
	}
	var out []netip.AddrPort
	for _, sl := range eps {
		if sl.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		var port int32 = -1
		for _, p := range sl.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == spec.portName && p.Port != nil {
				port = *p.Port
			}
		}
		if port < 0 {
			continue
		}
		for _, ep := range sl.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			if spec.local && (ep.NodeName == nil || *ep.NodeName != np.node) {
				continue
			}
			for _, s := range ep.Addresses {
				ip, err := netip.ParseAddr(s)
				if err != nil {
					continue
				}
				if real, ok := np.a.PodAddr(netip.AddrPortFrom(ip, uint16(port))); ok {
					out = append(out, real)
				}
			}
		}
	}
	return out
}

// forward carries one connection to an endpoint, round robin; with none
// the connection is closed (kube-proxy rejects it).
func (np *nodePort) forward(c net.Conn) {
	defer c.Close()
	eps := np.endpoints(np.spec.Load())
	if len(eps) == 0 {
		return
	}
	start := np.rr.Add(1)
	var up net.Conn
	for i := range eps {
		ep := eps[(int(start)+i)%len(eps)]
		conn, err := net.DialTimeout("tcp", ep.String(), 5*time.Second)
		if err == nil {
			up = conn
			break
		}
	}
	if up == nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}

// health answers kube-proxy's healthCheckNodePort: 200 while the node
// has a Ready local endpoint, else 503.
func (np *nodePort) health(w http.ResponseWriter, _ *http.Request) {
	spec := np.spec.Load()
	n := 0
	svc, err := np.a.services.Services(spec.namespace).Get(spec.service)
	if err == nil {
		for _, p := range svc.Spec.Ports {
			s := portSpec{namespace: spec.namespace, service: spec.service, portName: p.Name, local: true}
			n = max(n, len(np.endpoints(&s)))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if n == 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"service":             map[string]string{"namespace": spec.namespace, "name": spec.service},
		"localEndpoints":      n,
		"serviceProxyHealthy": true,
	})
}
