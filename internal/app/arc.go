package app

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/privlink/privlink/internal/arm"
	"github.com/privlink/privlink/internal/auth"
	"github.com/privlink/privlink/internal/pki"
	"github.com/privlink/privlink/internal/providers/hybridcompute"
	"github.com/privlink/privlink/internal/providers/kubernetes"
	"github.com/privlink/privlink/internal/store"
)

// Azure Arc-enabled Kubernetes over Private Link (docs/arc.md).
//
// Arc's service endpoints: per region, a hidden service host in Arc's
// infrastructure subscription (hybridcompute.ServiceGroup), created
// through ARM in process as Arc's first-party identity like the AKS
// control plane: a VNet, an NSG letting 443 in from the internet, a
// Standard public IP on the host's NIC (the public path), an internal
// load balancer with the host as backend and a private link service with
// enableProxyProtocol in front of it (the path of every scope endpoint of
// the region), and a Privlink.Fabric listener on the host's port 443 that
// delivers to one real TLS server in the daemon. The server tells the two
// paths apart by the PROXY protocol v2 header only the private link
// service adds: its LinkID TLV names the private endpoint, hence the scope.
//
// The agents of every connected cluster run, in the daemon, at the
// cluster's network position (arcPositions): every ArcAgentInterval they
// resolve each Arc name through the fabric's DNS from that host, connect
// through the fabric to the answer's port 443 and make an HTTPS request;
// the cluster is Connected when all answer 200, else Connecting (never
// connected) or Offline, with the first failure in
// properties.privlinkConnectivityReason.

// ArcAppID is the application ID of Azure Arc's first-party identity.
var ArcAppID = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://privlink/azure-arc-resource-provider")).String()

// ArcAgentVersion is the agent version the emulated agents report.
const ArcAgentVersion = "1.21.10"

// ArcAgentInterval is how often the emulated agents check in
// (PRIVLINK_ARC_AGENT_INTERVAL, a Go duration; default 5s: Azure's agents
// heartbeat every few minutes, which would make tests and demos slow).
var ArcAgentInterval = func() time.Duration {
	if v, err := time.ParseDuration(os.Getenv("PRIVLINK_ARC_AGENT_INTERVAL")); err == nil && v > 0 {
		return v
	}
	return 5 * time.Second
}()

// Arc's regional service network (infrastructure subscription).
const (
	arcVNetPrefix   = "10.250.0.0/16"
	arcSubnetPrefix = "10.250.0.0/24"
	arcNetworkAPI   = "2022-05-01"
	arcComputeAPI   = "2022-11-01"
	arcGroupsAPI    = "2021-04-01"
	arcFabricAPI    = "2025-01-01"
)

// arcRuntime is Arc's service side and the emulated agents.
type arcRuntime struct {
	d      *Daemon
	arm    arm.Client
	engine *arm.Engine
	hybrid *hybridcompute.Provider
	log    *slog.Logger

	// position finds the host the agents of a cluster run on from the
	// cluster's API server URL (nil: arcPositions).
	position func(ctx context.Context, server string) (hostID string, ok bool)

	mu      sync.Mutex
	ln      net.Listener
	srv     *http.Server
	target  string
	regions map[string]bool
	// internetRegion is where the internet services' hosts are
	// (arc_internet.go); "" until created.
	internetRegion string
	roots          *x509.CertPool
	cert           *tls.Certificate
}

var arcRuntimes sync.Map // *Daemon -> *arcRuntime

// arc returns the daemon's Arc runtime, creating it on first use.
func (d *Daemon) arc() *arcRuntime {
	if v, ok := arcRuntimes.Load(d); ok {
		return v.(*arcRuntime)
	}
	r := &arcRuntime{d: d, log: d.log.With("component", "arc"), regions: map[string]bool{}}
	r.hybrid = &hybridcompute.Provider{EnsureService: r.ensureService, Log: r.log}
	v, _ := arcRuntimes.LoadOrStore(d, r)
	return v.(*arcRuntime)
}

// arcScopes is the Microsoft.HybridCompute provider wired to Arc's
// service endpoints.
func (d *Daemon) arcScopes() *hybridcompute.Provider { return d.arc().hybrid }

// runArc serves Arc's endpoints and runs the agents until ctx ends.
func (d *Daemon) runArc(ctx context.Context) {
	r := d.arc()
	defer arcRuntimes.Delete(d)
	if err := r.init(); err != nil {
		r.log.Error("start azure arc", "err", err)
		return
	}
	defer r.close()
	select {
	case <-d.fabric.watcher.Ready():
	case <-ctx.Done():
		return
	}
	go r.hybrid.Run(ctx)
	r.runAgents(ctx)
}

func (r *arcRuntime) init() error {
	d := r.d
	iss, err := auth.NewIssuer(d.Config.DataDir, d.Identity.TenantID, r.log)
	if err != nil {
		return err
	}
	client, err := newInProcessARM(d.Platform.Server, iss, d.Endpoint(), ArcAppID, "privlink-azure-arc")
	if err != nil {
		return err
	}
	var names []string
	for _, z := range hybridcompute.RequiredZoneNames {
		pub := strings.TrimPrefix(z, "privatelink.")
		names = append(names, pub, "*."+pub, "*."+z)
	}
	names = append(names, "login.microsoftonline.com", "login.windows.net", "management.azure.com", "mcr.microsoft.com", "*.data.mcr.microsoft.com")
	certPEM, keyPEM, err := d.Serving.CA.Issue(pki.ServerTemplate("*.his.arc.azure.com", names))
	if err != nil {
		return fmt.Errorf("azure arc certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("azure arc certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(d.Serving.CA.CertPEM())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("azure arc listener: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.arm, r.engine, r.cert, r.roots, r.ln, r.target = client, d.Platform.Engine, &cert, roots, ln, ln.Addr().String()
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(r.serve),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*tls.Conn); ok {
				c = tc.NetConn()
			}
			return context.WithValue(ctx, arcConnKey{}, c)
		},
	}
	go func() { _ = r.srv.ServeTLS(proxyListener{ln}, "", "") }()
	return nil
}

func (r *arcRuntime) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		_ = r.srv.Close()
	}
}

// ensureService creates Arc's service endpoints in a region (idempotent).
func (r *arcRuntime) ensureService(ctx context.Context, region string) error {
	r.mu.Lock()
	target, client := r.target, r.arm
	r.mu.Unlock()
	if client == nil {
		return errors.New("azure arc is not started")
	}
	g := hybridcompute.ServiceGroup(region)
	put := func(path, api string, body any) (map[string]any, error) {
		out, err := client.Put(ctx, path, api, body, false)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
		m, _ := out.(map[string]any)
		return m, nil
	}
	res := func(typ, name string) string { return g + "/providers/" + typ + "/" + name }
	if _, err := put(g, arcGroupsAPI, map[string]any{"location": region, "tags": map[string]string{"azure-arc": "service endpoints"}}); err != nil {
		return err
	}
	vnet := res("Microsoft.Network/virtualNetworks", "arc-services-vnet")
	subnet := vnet + "/subnets/services"
	if _, err := put(vnet, arcNetworkAPI, map[string]any{"location": region, "properties": map[string]any{
		"addressSpace": map[string]any{"addressPrefixes": []string{arcVNetPrefix}},
		"subnets": []any{map[string]any{"name": "services", "properties": map[string]any{
			"addressPrefix": arcSubnetPrefix, "privateLinkServiceNetworkPolicies": "Disabled"}}},
	}}); err != nil {
		return err
	}
	nsg := res("Microsoft.Network/networkSecurityGroups", "arc-services-nsg")
	if _, err := put(nsg, arcNetworkAPI, map[string]any{"location": region, "properties": map[string]any{"securityRules": []any{
		map[string]any{"name": "allow-https-from-internet", "properties": map[string]any{"protocol": "Tcp", "sourcePortRange": "*",
			"sourceAddressPrefix": "Internet", "destinationAddressPrefix": "*", "destinationPortRange": "443",
			"access": "Allow", "priority": 100, "direction": "Inbound"}}}}}); err != nil {
		return err
	}
	pip := res("Microsoft.Network/publicIPAddresses", "arc-services-pip")
	pipOut, err := put(pip, arcNetworkAPI, map[string]any{"location": region, "sku": map[string]any{"name": "Standard"},
		"properties": map[string]any{"publicIPAllocationMethod": "Static"}})
	if err != nil {
		return err
	}
	lb := res("Microsoft.Network/loadBalancers", "arc-services")
	if _, err := put(lb, arcNetworkAPI, map[string]any{"location": region, "sku": map[string]any{"name": "Standard"}, "properties": map[string]any{
		"frontendIPConfigurations": []any{map[string]any{"name": "arc-frontend", "properties": map[string]any{
			"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic"}}},
		"backendAddressPools": []any{map[string]any{"name": "arc-backend"}},
		"probes": []any{map[string]any{"name": "arc-https", "properties": map[string]any{
			"protocol": "Tcp", "port": 443, "intervalInSeconds": 5, "numberOfProbes": 1}}},
		"loadBalancingRules": []any{map[string]any{"name": "arc-https", "properties": map[string]any{
			"frontendIPConfiguration": map[string]any{"id": lb + "/frontendIPConfigurations/arc-frontend"},
			"backendAddressPool":      map[string]any{"id": lb + "/backendAddressPools/arc-backend"},
			"probe":                   map[string]any{"id": lb + "/probes/arc-https"},
			"protocol":                "Tcp", "frontendPort": 443, "backendPort": 443, "idleTimeoutInMinutes": 4}}},
	}}); err != nil {
		return err
	}
	nic := res("Microsoft.Network/networkInterfaces", "arc-services-nic")
	if _, err := put(nic, arcNetworkAPI, map[string]any{"location": region, "properties": map[string]any{
		"networkSecurityGroup": map[string]any{"id": nsg},
		"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "properties": map[string]any{
			"subnet": map[string]any{"id": subnet}, "privateIPAllocationMethod": "Dynamic", "primary": true,
			"publicIPAddress":                 map[string]any{"id": pip},
			"loadBalancerBackendAddressPools": []any{map[string]any{"id": lb + "/backendAddressPools/arc-backend"}}}}},
	}}); err != nil {
		return err
	}
	vm := res("Microsoft.Compute/virtualMachines", "arc-services")
	if _, err := client.GetObject(ctx, vm, arcComputeAPI, nil); err != nil {
		if !arm.IsNotFound(err) && !isNotFoundErr(err) {
			return err
		}
		if _, err := put(vm, arcComputeAPI, map[string]any{"location": region, "properties": map[string]any{
			"hardwareProfile": map[string]any{"vmSize": "Standard_D4s_v3"},
			"storageProfile": map[string]any{"imageReference": map[string]any{
				"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}},
			"osProfile": map[string]any{"computerName": "arc-services", "adminUsername": "azureuser", "adminPassword": "Aa1!" + uuid.NewString(),
				"linuxConfiguration": map[string]any{"disablePasswordAuthentication": false}},
			"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic, "properties": map[string]any{"primary": true}}}},
		}}); err != nil {
			return err
		}
	}
	if _, err := put(vm+"/providers/Privlink.Fabric/listeners/tcp-443", arcFabricAPI, map[string]any{"properties": map[string]any{
		"protocol": "Tcp", "port": 443, "target": target}}); err != nil {
		return err
	}
	if _, err := put(hybridcompute.ServicePLS(region), arcNetworkAPI, map[string]any{"location": region, "properties": map[string]any{
		"loadBalancerFrontendIpConfigurations": []any{map[string]any{"id": lb + "/frontendIPConfigurations/arc-frontend"}},
		"ipConfigurations": []any{map[string]any{"name": "arc-nat", "properties": map[string]any{
			"subnet": map[string]any{"id": subnet}, "primary": true, "privateIPAllocationMethod": "Dynamic"}}},
		"visibility":          map[string]any{"subscriptions": []string{"*"}},
		"enableProxyProtocol": true,
	}}); err != nil {
		return err
	}
	if err := r.ensureInternetServices(ctx, put, region); err != nil {
		return err
	}
	// The public names (hybridcompute.Endpoints), CNAMEs of their
	// privatelink names, which answer the public IP.
	addr := arm.DigString(pipOut, "properties", "ipAddress")
	if addr == "" {
		p, err := client.GetObject(ctx, pip, arcNetworkAPI, nil)
		if err != nil {
			return err
		}
		addr = arm.DigString(p, "properties", "ipAddress")
	}
	names := map[string]any{}
	for _, e := range hybridcompute.Endpoints(region) {
		names[e.FQDN] = hybridcompute.PrivateLinkName(e.FQDN)
	}
	if _, err := put(g+"/providers/"+hybridcompute.PublicNamesType+"/arc-services", hybridcompute.PublicNamesAPI, map[string]any{
		"properties": map[string]any{"publicIPAddress": addr, "cnames": names}}); err != nil {
		return err
	}
	r.mu.Lock()
	r.regions[arm.NormalizeLocation(region)] = true
	r.mu.Unlock()
	return nil
}

func isNotFoundErr(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// The service side.

type arcConnKey struct{}

// proxyListener wraps accepted connections so that a PROXY protocol v2
// header (sent only on the private link service's path) is consumed and
// its LinkID kept.
type proxyListener struct{ net.Listener }

func (l proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &proxyConn{Conn: c}, nil
}

// proxyConn is a connection whose first bytes may be a PROXY v2 header.
type proxyConn struct {
	net.Conn
	once   sync.Once
	br     *bufio.Reader
	linkID uint32
	viaPLS bool
	err    error
}

var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

func (c *proxyConn) parse() {
	c.br = bufio.NewReader(c.Conn)
	sig, err := c.br.Peek(16)
	if err != nil || string(sig[:12]) != string(proxyV2Sig) {
		return // no header: the public path
	}
	n := int(binary.BigEndian.Uint16(sig[14:16]))
	hdr := make([]byte, 16+n)
	if _, err := io.ReadFull(c.br, hdr); err != nil {
		c.err = err
		return
	}
	c.viaPLS = true
	body := hdr[16:]
	off := 0
	switch sig[13] >> 4 {
	case 1: // AF_INET
		off = 12
	case 2: // AF_INET6
		off = 36
	}
	for off+3 <= len(body) {
		typ, l := body[off], int(binary.BigEndian.Uint16(body[off+1:off+3]))
		v := body[off+3 : min(off+3+l, len(body))]
		if typ == 0xEE && len(v) == 5 && v[0] == 0x01 {
			c.linkID = binary.LittleEndian.Uint32(v[1:])
		}
		off += 3 + l
	}
}

func (c *proxyConn) Read(b []byte) (int, error) {
	c.once.Do(c.parse)
	if c.err != nil {
		return 0, c.err
	}
	return c.br.Read(b)
}

// arcDenied is the service's answer to a request that may not use the
// path it came on (HTTP 403, ARM-style error body).
func arcDenied(w http.ResponseWriter, code, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": fmt.Sprintf(format, args...)}})
}

// serve answers the agents: GET /<connected cluster ID>/<anything>. The
// cluster's scope decides whether the path the request came on is
// allowed.
func (r *arcRuntime) serve(w http.ResponseWriter, req *http.Request) {
	pc, _ := req.Context().Value(arcConnKey{}).(*proxyConn)
	if host, _, err := net.SplitHostPort(req.Host); err == nil && isArcInternetName(host) || isArcInternetName(req.Host) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"service": req.Host})
		return
	}
	id := clusterIDOf(req.URL.Path)
	if id == "" {
		http.Error(w, `{"error":{"code":"NotFound","message":"The requested resource was not found."}}`, http.StatusNotFound)
		return
	}
	rec, err := r.engine.GetRecord(req.Context(), id)
	if err != nil || rec == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": "ResourceNotFound",
			"message": fmt.Sprintf("The connected cluster '%s' was not found.", id)}})
		return
	}
	cp, err := kubernetes.Decode(rec)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	private := pc != nil && pc.viaPLS
	if private {
		scope := r.scopeOfLink(pc.linkID)
		switch {
		case !cp.PrivateLink():
			arcDenied(w, "PrivateLinkNotEnabled",
				"The request for Azure Arc resource '%s' arrived through a private endpoint of Azure Arc private link scope '%s', but the resource is not associated with a private link scope. Private link and non-private-link Azure Arc resources cannot share a virtual network or DNS zone.", rec.Resource.ID, scope)
			return
		case !arm.SameID(scope, cp.PrivateLinkScopeResourceID):
			arcDenied(w, "PrivateLinkScopeMismatch",
				"The request for Azure Arc resource '%s' arrived through a private endpoint of Azure Arc private link scope '%s', but the resource is associated with private link scope '%s'.", rec.Resource.ID, scope, cp.PrivateLinkScopeResourceID)
			return
		}
	} else if cp.PrivateLink() {
		srec, err := r.engine.GetRecord(req.Context(), cp.PrivateLinkScopeResourceID)
		if err == nil && srec != nil {
			if sp, err := hybridcompute.DecodeScope(srec); err == nil && !sp.PublicAccessAllowed() {
				arcDenied(w, "PublicNetworkAccessDisabled",
					"the private link scope %s disallows public network access: Azure Arc resource '%s' must connect through a private endpoint of private link scope '%s'.", srec.Resource.Name, rec.Resource.ID, srec.Resource.ID)
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"resourceId": rec.Resource.ID, "host": req.Host, "private": private})
}

// clusterIDOf extracts /subscriptions/.../connectedClusters/<name> from
// a request path.
func clusterIDOf(p string) string {
	l := strings.ToLower(p)
	i := strings.Index(l, "/providers/microsoft.kubernetes/connectedclusters/")
	if !strings.HasPrefix(l, "/subscriptions/") || i < 0 {
		return ""
	}
	rest := p[i+len("/providers/microsoft.kubernetes/connectedclusters/"):]
	name, _, _ := strings.Cut(rest, "/")
	if name == "" {
		return ""
	}
	return p[:i] + "/providers/Microsoft.Kubernetes/connectedClusters/" + name
}

// scopeOfLink finds the scope whose private endpoint carries linkID.
func (r *arcRuntime) scopeOfLink(linkID uint32) string {
	s := r.d.fabric.watcher.Current()
	if s == nil || linkID == 0 {
		return ""
	}
	for _, pe := range s.PrivateEndpoints {
		for _, c := range pe.Connections {
			if c.LinkID == linkID {
				return c.TargetID
			}
		}
	}
	return ""
}

// The agents.

// runAgents checks every connected cluster's agents every
// ArcAgentInterval.
func (r *arcRuntime) runAgents(ctx context.Context) {
	clusters := &clusterSet{ids: map[string]bool{}}
	go r.trackClusters(ctx, clusters)
	t := time.NewTicker(ArcAgentInterval)
	defer t.Stop()
	for {
		r.checkAll(ctx, clusters.list())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// clusterSet holds the connected clusters' keys (store keys, lower case).
type clusterSet struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (c *clusterSet) set(key string, present bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if present {
		c.ids[key] = true
	} else {
		delete(c.ids, key)
	}
}

func (c *clusterSet) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.ids))
	for k := range c.ids {
		out = append(out, k)
	}
	return out
}

// clusterKey reports whether a store key is a connected cluster's record.
func clusterKey(key string) bool {
	const marker = "/providers/microsoft.kubernetes/connectedclusters/"
	i := strings.Index(key, marker)
	if i < 0 || !strings.HasPrefix(key, "/r/") {
		return false
	}
	rest := key[i+len(marker):]
	return rest != "" && !strings.Contains(rest, "/")
}

// trackClusters keeps set up to date from a store watch (one scan of the
// store at start and after a failed watch, instead of one per round).
func (r *arcRuntime) trackClusters(ctx context.Context, set *clusterSet) {
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(ctx)
		events, err := r.d.Store.Watch(wctx, "/r/", 0)
		if err == nil {
			var recs []*arm.Record
			if recs, err = r.engine.ListRecords(ctx, "", kubernetes.ClusterType); err == nil {
				for _, rec := range recs {
					set.set(arm.KeyOf(rec.Resource.ID), true)
				}
				for ev := range events {
					if ev.Err != nil {
						err = ev.Err
						break
					}
					if clusterKey(ev.KV.Key) {
						set.set(ev.KV.Key, ev.Type == store.EventPut)
					}
				}
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("watch connected clusters", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (r *arcRuntime) checkAll(ctx context.Context, keys []string) {
	var wg sync.WaitGroup
	for _, key := range keys {
		rec, err := r.engine.GetRecord(ctx, strings.TrimPrefix(key, "/r"))
		if err != nil || rec == nil || rec.State != arm.StateSucceeded {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := r.check(ctx, rec)
			if ctx.Err() != nil {
				return
			}
			if err := kubernetes.SetConnectivity(ctx, r.engine, rec.Resource.ID, c); err != nil && ctx.Err() == nil {
				r.log.Warn("record connectivity", "cluster", rec.Resource.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// check runs one round of a cluster's agents.
func (r *arcRuntime) check(ctx context.Context, rec *arm.Record) kubernetes.Connectivity {
	now := time.Now()
	cp, err := kubernetes.Decode(rec)
	if err != nil {
		return kubernetes.Connectivity{Status: kubernetes.StatusConnecting, Reason: err.Error(), At: now}
	}
	fail := func(reason string) kubernetes.Connectivity {
		st := kubernetes.StatusConnecting
		if cp.LastConnectivityTime != "" {
			st = kubernetes.StatusOffline
		}
		return kubernetes.Connectivity{Status: st, Reason: reason, At: now}
	}
	server := cp.PrivlinkKubeAPIServer
	r.mu.Lock()
	position := r.position
	r.mu.Unlock()
	if position == nil {
		position = r.arcPositions
	}
	host, ok := position(ctx, server)
	if !ok {
		return fail(fmt.Sprintf("privlink does not know a cluster at %q where the Arc agents could run (AKS clusters are found by their API server FQDN)", server))
	}
	info, installed, reason := r.clusterInfo(ctx, server, rec.Resource.ID)
	if !installed {
		c := fail(reason)
		if cp.LastConnectivityTime == "" {
			c.Status = kubernetes.StatusAgentNotInstalled
		}
		return c
	}
	region := arm.NormalizeLocation(rec.Resource.Location)
	for _, name := range arcAgentInternetNames(region) {
		if reason := r.probeEndpoint(ctx, host, name, ""); reason != "" {
			return fail(reason)
		}
	}
	for _, e := range hybridcompute.Endpoints(region) {
		if reason := r.probeEndpoint(ctx, host, e.FQDN, rec.Resource.ID); reason != "" {
			return fail(reason)
		}
	}
	info.Status, info.At, info.AgentVersion = kubernetes.StatusConnected, now, ArcAgentVersion
	return info
}

// probeEndpoint resolves fqdn from host, connects through the fabric and
// makes the agents' request; "" when it succeeded, else why not. The
// service decides whether the path is allowed (403 when the scope
// disallows public access and the request did not come through one of
// its private endpoints).
func (r *arcRuntime) probeEndpoint(ctx context.Context, host, fqdn, clusterID string) string {
	addrs, steps, err := r.d.fabric.resolveWithSteps(ctx, nil, host, fqdn)
	if err != nil {
		return fmt.Sprintf("%s: DNS lookup failed: %v", fqdn, err)
	}
	if len(addrs) == 0 {
		return fmt.Sprintf("%s did not resolve: %s", fqdn, strings.Join(steps, "; "))
	}
	a := addrs[0]
	where := fmt.Sprintf("%s resolved to %s (public)", fqdn, a)
	if a.IsPrivate() {
		where = fmt.Sprintf("%s resolved to %s (private)", fqdn, a)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, _, err := r.d.fabric.proxy.Dial(dctx, host, netip.AddrPortFrom(a, 443).String())
	if err != nil {
		return fmt.Sprintf("%s; %v", where, err)
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{ServerName: fqdn, RootCAs: r.roots, MinVersion: tls.VersionTLS12})
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	req, err := http.NewRequestWithContext(dctx, http.MethodGet, "https://"+fqdn+clusterID+"/agentHeartbeat?api-version=2022-01-01", nil)
	if err != nil {
		return err.Error()
	}
	if err := req.Write(tc); err != nil {
		return fmt.Sprintf("%s; %v", where, err)
	}
	res, err := http.ReadResponse(bufio.NewReader(tc), req)
	if err != nil {
		return fmt.Sprintf("%s; %v", where, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		_ = json.Unmarshal(b, &body)
		return fmt.Sprintf("%s; the service answered %d %s: %s", where, res.StatusCode, body.Error.Code, body.Error.Message)
	}
	return ""
}
