// Command privlink-frontdoor-bench measures issue 6's path on a real
// `privlink serve` child process (built from this tree), set up with its
// own CLI as in seed 004: an AKS cluster whose Service (azure-pls-*
// annotations) gets an internal load balancer and a private link service,
// a Front Door Premium origin over it, approved. It then sends HTTP
// requests from the internet vantage (the daemon's HTTP proxy) to the
// Front Door endpoint — edge → Front Door's private endpoint → link service
// NAT → internal load balancer → node port → pod — and, in the same run,
// the same requests straight to the pod's server on loopback. The pod's
// server is this program itself (`-backend`, started by the node agent
// through the privlink.io/command annotation), so both paths end at the
// same server. It prints a markdown table for bench/RESULTS.md.
//
//	go run ./bench/cmd/privlink-frontdoor-bench [-requests 2000] [-concurrency 16]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/privlink/privlink/bench"
)

func main() {
	backend := flag.Bool("backend", false, "serve as the pod's backend on 127.0.0.1:$PORT (internal)")
	requests := flag.Int("requests", 2000, "requests per measurement")
	conc := flag.Int("concurrency", 16, "concurrent clients for the throughput measurement")
	flag.Parse()
	if *backend {
		serveBackend()
		return
	}
	if err := run(*requests, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "privlink-frontdoor-bench:", err)
		os.Exit(1)
	}
}

// serveBackend answers every request with a short body and writes its
// address to $PRIVLINK_BENCH_ADDR_FILE.
func serveBackend() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if f := os.Getenv("PRIVLINK_BENCH_ADDR_FILE"); f != "" {
		_ = os.WriteFile(f, []byte(ln.Addr().String()), 0o600)
	}
	_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "Hello from Super API\n")
	}))
}

type env struct {
	bin, home string
	vars      []string
}

func (e *env) az(ctx context.Context, args ...string) (string, error) {
	c := exec.CommandContext(ctx, e.bin, args...)
	c.Env = append(append(os.Environ(), e.vars...), "HOME="+e.home)
	c.Dir = e.home
	out, err := c.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func run(requests, conc int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "privlink-fd-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "privlink")
	self := filepath.Join(tmp, "backend")
	for _, b := range [][]string{{"-o", bin, "./cmd/privlink"}, {"-o", self, "./bench/cmd/privlink-frontdoor-bench"}} {
		if out, err := exec.CommandContext(ctx, "go", append([]string{"build"}, b...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("build: %w\n%s", err, out)
		}
	}
	data := filepath.Join(tmp, "data")
	srv, err := bench.StartServeChild(ctx, bin, data)
	if err != nil {
		return err
	}
	defer srv.Stop()
	e := &env{bin: bin, home: filepath.Join(tmp, "home")}
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		return err
	}
	vars, err := e.az(ctx, "env", "--data-dir", data)
	if err != nil {
		return err
	}
	e.vars = bench.ExportedVars(vars)
	sub, err := e.az(ctx, "account", "show", "--query", "id", "-o", "tsv")
	if err != nil {
		return err
	}
	addrFile := filepath.Join(tmp, "backend.addr")
	manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: super-api
spec:
  replicas: 1
  selector:
    matchLabels: {app: super-api}
  template:
    metadata:
      labels: {app: super-api}
      annotations:
        privlink.io/command: "PRIVLINK_BENCH_ADDR_FILE=%s exec %s -backend"
    spec:
      containers:
      - name: super-api
        image: ghcr.io/gbaeke/super:1.0.7
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: super-api
  annotations:
    service.beta.kubernetes.io/azure-load-balancer-internal: "true"
    service.beta.kubernetes.io/azure-pls-create: "true"
    service.beta.kubernetes.io/azure-pls-name: myPLS
    service.beta.kubernetes.io/azure-pls-ip-configuration-subnet: aks-subnet
    service.beta.kubernetes.io/azure-pls-ip-configuration-ip-address: 10.224.10.10
    service.beta.kubernetes.io/azure-pls-visibility: "*"
    service.beta.kubernetes.io/azure-pls-auto-approval: "%s"
spec:
  selector: {app: super-api}
  type: LoadBalancer
  ports:
  - port: 80
    targetPort: 8080
`, addrFile, self, sub)
	if err := os.WriteFile(filepath.Join(e.home, "super-api.yaml"), []byte(manifest), 0o600); err != nil {
		return err
	}
	mc := "MC_bench_aks-demo_westus2"
	steps := [][]string{
		{"group", "create", "-n", "bench", "-l", "westus2", "-o", "none"},
		{"aks", "create", "-n", "aks-demo", "-g", "bench", "--node-count", "2", "-o", "none"},
		{"aks", "command", "invoke", "-n", "aks-demo", "-g", "bench", "--command", "kubectl apply -f super-api.yaml", "--file", "super-api.yaml"},
	}
	for _, s := range steps {
		if _, err := e.az(ctx, s...); err != nil {
			return err
		}
	}
	var pls string
	for i := 0; pls == "" && i < 200; i++ {
		// Until the cloud provider has made it, show fails (its output is
		// the error, not an ID).
		if out, err := e.az(ctx, "network", "private-link-service", "show", "-g", mc, "-n", "myPLS", "--query", "id", "-o", "tsv"); err == nil {
			pls = out
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if pls == "" {
		return fmt.Errorf("myPLS did not appear")
	}
	alias, err := e.az(ctx, "network", "private-link-service", "show", "-g", mc, "-n", "myPLS", "--query", "alias", "-o", "tsv")
	if err != nil {
		return err
	}
	steps = [][]string{
		{"afd", "profile", "create", "-g", "bench", "--profile-name", "fd", "--sku", "Premium_AzureFrontDoor", "-o", "none"},
		{"afd", "endpoint", "create", "-g", "bench", "--profile-name", "fd", "--endpoint-name", "aksdemo", "--enabled-state", "Enabled", "-o", "none"},
		{"afd", "origin-group", "create", "-g", "bench", "--profile-name", "fd", "--origin-group-name", "aks", "--probe-request-type", "GET",
			"--probe-protocol", "Http", "--probe-interval-in-seconds", "60", "--probe-path", "/", "--sample-size", "4",
			"--successful-samples-required", "3", "--additional-latency-in-milliseconds", "50", "-o", "none"},
		{"afd", "origin", "create", "-g", "bench", "--profile-name", "fd", "--origin-group-name", "aks", "--origin-name", "super-api",
			"--host-name", alias, "--origin-host-header", alias, "--http-port", "80", "--https-port", "443", "--priority", "1", "--weight", "1000",
			"--enabled-state", "Enabled", "--enable-private-link", "true", "--private-link-resource", pls, "--private-link-location", "westus2",
			"--private-link-request-message", "bench", "-o", "none"},
		{"afd", "route", "create", "-g", "bench", "--profile-name", "fd", "--endpoint-name", "aksdemo", "--route-name", "default",
			"--origin-group", "aks", "--supported-protocols", "Http", "Https", "--link-to-default-domain", "Enabled",
			"--forwarding-protocol", "HttpOnly", "--https-redirect", "Disabled", "-o", "none"},
	}
	for _, s := range steps {
		if _, err := e.az(ctx, s...); err != nil {
			return err
		}
	}
	conn, err := e.az(ctx, "network", "private-link-service", "show", "-g", mc, "-n", "myPLS", "--query", "privateEndpointConnections[0].name", "-o", "tsv")
	if err != nil {
		return err
	}
	if _, err := e.az(ctx, "network", "private-link-service", "connection", "update", "-g", mc, "--service-name", "myPLS",
		"-n", conn, "--connection-status", "Approved", "-o", "none"); err != nil {
		return err
	}
	host, err := e.az(ctx, "afd", "endpoint", "show", "-g", "bench", "--profile-name", "fd", "--endpoint-name", "aksdemo", "--query", "hostName", "-o", "tsv")
	if err != nil {
		return err
	}
	inet, err := e.az(ctx, "env", "--from", "internet", "--data-dir", data)
	if err != nil {
		return err
	}
	var proxyURL *url.URL
	for _, v := range bench.ExportedVars(inet) {
		if p, ok := strings.CutPrefix(v, "HTTP_PROXY="); ok {
			proxyURL, _ = url.Parse(p)
		}
	}
	if proxyURL == nil {
		return fmt.Errorf("no HTTP_PROXY for the internet vantage")
	}
	var direct string
	for i := 0; direct == "" && i < 200; i++ {
		b, _ := os.ReadFile(addrFile)
		direct = string(b)
		time.Sleep(100 * time.Millisecond)
	}
	if direct == "" {
		return fmt.Errorf("the pod's backend did not start")
	}
	viaFD := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), MaxIdleConnsPerHost: conc}}
	straight := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	fdURL, directURL := "http://"+host+"/", "http://"+direct+"/"
	// Wait for the path (probes, approval).
	for i := 0; ; i++ {
		if r, err := viaFD.Get(fdURL); err == nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode == 200 {
				break
			}
		}
		if i > 300 {
			return fmt.Errorf("front door never answered 200")
		}
		time.Sleep(100 * time.Millisecond)
	}
	type result struct {
		p50, p99 time.Duration
		rps      float64
	}
	measure := func(c *http.Client, u string) (result, error) {
		var lat []time.Duration
		for range requests / 4 {
			t := time.Now()
			if err := get(c, u); err != nil {
				return result{}, err
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		var n atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Value
		start := time.Now()
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n.Add(1) <= int64(requests) {
					if err := get(c, u); err != nil {
						failed.Store(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			return result{}, err
		}
		return result{p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], rps: float64(requests) / time.Since(start).Seconds()}, nil
	}
	var fd, dr []result
	for range 3 { // alternate the two paths
		r, err := measure(viaFD, fdURL)
		if err != nil {
			return fmt.Errorf("via Front Door: %w", err)
		}
		fd = append(fd, r)
		if r, err = measure(straight, directURL); err != nil {
			return fmt.Errorf("direct: %w", err)
		}
		dr = append(dr, r)
	}
	best := func(rs []result) result {
		return slices.MaxFunc(rs, func(a, b result) int { return int(a.rps - b.rps) })
	}
	f, d := best(fd), best(dr)
	for _, l := range bench.Machine("go run ./bench/cmd/privlink-frontdoor-bench") {
		fmt.Println(l)
	}
	fmt.Println()
	fmt.Printf("| path | requests/s (%d clients) | p50 | p99 |\n", conc)
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| internet → Front Door edge → private endpoint → link service → ILB → node port → pod | %.0f | %v | %v |\n", f.rps, f.p50.Round(time.Microsecond), f.p99.Round(time.Microsecond))
	fmt.Printf("| straight to the pod's server (loopback, same server) | %.0f | %v | %v |\n", d.rps, d.p50.Round(time.Microsecond), d.p99.Round(time.Microsecond))
	fmt.Printf("| ratio (Front Door / direct) | %.2f | %.1f× | %.1f× |\n", f.rps/d.rps, float64(f.p50)/float64(d.p50), float64(f.p99)/float64(d.p99))
	fmt.Printf("\nbest of 3 alternating rounds of %d requests each (latency: %d sequential requests).\n", requests, requests/4)
	return nil
}

func get(c *http.Client, u string) error {
	r, err := c.Get(u)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", u, r.Status)
	}
	return nil
}
