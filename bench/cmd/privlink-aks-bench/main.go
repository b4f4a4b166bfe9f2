// Command privlink-aks-bench measures issue 5's targets on a real
// `privlink serve` child process (built from this tree) driven by its own
// CLI, and prints a markdown report for bench/RESULTS.md:
//
//   - time from `az aks create` (a private cluster, one node, in a subnet
//     of a shared VNet) to the first successful `kubectl get ns` from a
//     jump box in that VNet (through the data plane, with the embedded
//     kubectl), p50 and max over the clusters, against the target
//     (Azure takes minutes, k3s-based emulators about 30 s);
//   - VmRSS of the daemon before any cluster and after each one (the
//     increment per additional cluster), next to the daemon's idle RSS;
//   - that all clusters answer at the end (ten by default, on this 2-core
//     machine).
//
// Run it from the module root:
//
//	go run ./bench/cmd/privlink-aks-bench [-clusters 10]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/privlink/privlink/bench"
)

// Targets of issue 5.
const (
	targetCreateToKubectl = 5 * time.Second
	targetRSSPerCluster   = 250 << 20
)

func main() {
	n := flag.Int("clusters", 10, "clusters to create")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "privlink-aks-bench:", err)
		os.Exit(1)
	}
}

type env struct {
	bin  string
	vars []string
	home string
}

func (e *env) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, e.bin, args...)
	c.Env = append(os.Environ(), e.vars...)
	c.Env = append(c.Env, "HOME="+e.home)
	c.Dir = e.home
	return c
}

func (e *env) az(ctx context.Context, args ...string) (string, error) {
	out, err := e.cmd(ctx, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

func run(n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "privlink-aks-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "privlink")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/privlink").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %w\n%s", err, out)
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
	out, err := exec.CommandContext(ctx, bin, "env", "--data-dir", data).Output()
	if err != nil {
		return fmt.Errorf("privlink env: %w", err)
	}
	e.vars = bench.ExportedVars(string(out))
	time.Sleep(2 * time.Second)
	idle, err := rss(srv.Cmd.Process.Pid)
	if err != nil {
		return err
	}
	// One VNet, a node subnet per cluster, one jump box.
	steps := [][]string{
		{"group", "create", "-n", "bench", "-l", "westus2", "-o", "none"},
		{"network", "vnet", "create", "-g", "bench", "-n", "vnet", "--address-prefixes", "10.0.0.0/8",
			"--subnet-name", "jump", "--subnet-prefixes", "10.255.0.0/24", "-o", "none"},
		{"vm", "create", "-g", "bench", "-n", "jumpbox", "--image", "Ubuntu2204", "--vnet-name", "vnet", "--subnet", "jump",
			"--admin-username", "azureuser", "--admin-password", "Bench-Passw0rd-2026!", "--authentication-type", "password",
			"--public-ip-address", "", "--nsg", "", "-o", "none"},
	}
	for i := range n {
		steps = append(steps, []string{"network", "vnet", "subnet", "create", "-g", "bench", "--vnet-name", "vnet",
			"-n", fmt.Sprintf("nodes%d", i), "--address-prefixes", fmt.Sprintf("10.%d.0.0/16", i+1), "-o", "none"})
	}
	for _, s := range steps {
		if _, err := e.az(ctx, s...); err != nil {
			return err
		}
	}
	jumpVars, err := e.az(ctx, "env", "--from", "jumpbox", "-g", "bench", "--data-dir", data)
	if err != nil {
		return err
	}
	jump := bench.ExportedVars(jumpVars)
	var durations []time.Duration
	rssAfter := []int64{}
	prev := idle
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		subnet, err := e.az(ctx, "network", "vnet", "subnet", "show", "-g", "bench", "--vnet-name", "vnet", "-n", fmt.Sprintf("nodes%d", i), "--query", "id", "-o", "tsv")
		if err != nil {
			return err
		}
		start := time.Now()
		if _, err := e.az(ctx, "aks", "create", "-n", name, "-g", "bench", "--enable-private-cluster", "--node-count", "1",
			"--network-plugin", "azure", "--vnet-subnet-id", subnet, "--service-cidr", "172.16.0.0/16", "--dns-service-ip", "172.16.0.10", "-o", "none"); err != nil {
			return err
		}
		kc := filepath.Join(e.home, name+".kubeconfig")
		if _, err := e.az(ctx, "aks", "get-credentials", "-n", name, "-g", "bench", "--file", kc); err != nil {
			return err
		}
		for {
			c := e.cmd(ctx, "kubectl", "--kubeconfig", kc, "get", "ns", "-o", "name")
			c.Env = append(c.Env, jump...)
			if out, err := c.CombinedOutput(); err == nil && strings.Contains(string(out), "namespace/default") {
				break
			} else if time.Since(start) > 2*time.Minute {
				return fmt.Errorf("cluster %s: kubectl from the jump box: %v\n%s", name, err, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		durations = append(durations, time.Since(start))
		time.Sleep(time.Second)
		r, err := rss(srv.Cmd.Process.Pid)
		if err != nil {
			return err
		}
		rssAfter = append(rssAfter, r-prev)
		prev = r
		fmt.Fprintf(os.Stderr, "cluster %d: create→kubectl %v, RSS +%d MiB\n", i+1, durations[i].Round(time.Millisecond), (r-idle)>>20)
	}
	// All clusters still answer.
	answered := 0
	for i := range n {
		c := e.cmd(ctx, "kubectl", "--kubeconfig", filepath.Join(e.home, fmt.Sprintf("c%d.kubeconfig", i)), "get", "ns", "default", "-o", "name")
		c.Env = append(c.Env, jump...)
		if out, err := c.CombinedOutput(); err == nil && strings.Contains(string(out), "namespace/default") {
			answered++
		}
	}
	final, _ := rss(srv.Cmd.Process.Pid)
	sorted := slices.Clone(durations)
	slices.Sort(sorted)
	p50 := sorted[len(sorted)/2]
	extra := slices.Clone(rssAfter[1:])
	slices.Sort(extra)
	var perExtra int64
	if len(extra) > 0 {
		perExtra = extra[len(extra)/2]
	}
	for _, l := range bench.Machine("go run ./bench/cmd/privlink-aks-bench") {
		fmt.Println(l)
	}
	fmt.Println()
	fmt.Println("| measure | value | reference / target | met |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| `aks create` (private, 1 node) → `kubectl get ns` from a jump box, p50 of %d | %v (max %v) | target ≤ %v (Azure: minutes; k3s-based emulators ~30 s) | %s |\n",
		n, p50.Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond), targetCreateToKubectl, bench.Met(p50 <= targetCreateToKubectl))
	fmt.Printf("| daemon RSS before any cluster | %d MiB | — | |\n", idle>>20)
	fmt.Printf("| RSS of the first cluster (incl. etcd's growth) | %d MiB | — | |\n", rssAfter[0]>>20)
	fmt.Printf("| RSS per additional cluster, median of %d | %d MiB | target ≤ %d MiB | %s |\n", len(extra), perExtra>>20, targetRSSPerCluster>>20, bench.Met(perExtra <= targetRSSPerCluster))
	fmt.Printf("| clusters answering at the end, in one daemon | %d of %d (RSS %d MiB) | target 10 | %s |\n", answered, n, final>>20, bench.Met(answered == n && n >= 10))
	return nil
}
