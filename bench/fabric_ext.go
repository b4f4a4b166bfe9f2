package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Peer programs the data-plane benchmarks compare privlink with (Debian
// packages).
var peerPackages = map[string]string{"haproxy": "haproxy", "unbound": "unbound", "dnsperf": "dnsperf", "microsocks": "microsocks", "danted": "dante-server"}

// LookPeer finds a peer program, or says how to install it.
func LookPeer(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	if _, err := exec.LookPath("/usr/sbin/" + name); err == nil {
		return "/usr/sbin/" + name, nil
	}
	return "", fmt.Errorf("%s is not installed: run `apt-get install -y %s` (Debian package %s): %w", name, peerPackages[name], peerPackages[name], err)
}

// External is a peer program running as a child process.
type External struct {
	Name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

func startExternal(name, bin string, args ...string) (*External, error) {
	cmd := exec.Command(bin, args...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	e := &External{Name: name, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { e.done <- cmd.Wait() }()
	return e, nil
}

// Pid is the child's process ID.
func (e *External) Pid() int { return e.cmd.Process.Pid }

// Stop ends the child (SIGTERM, then SIGKILL after 5 s) and its process
// group.
func (e *External) Stop() {
	pgid := e.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-e.done
	}
}

// exited reports an early exit with the child's output.
func (e *External) exited() error {
	select {
	case err := <-e.done:
		e.done <- err
		return fmt.Errorf("%s exited (%v): %s", e.Name, err, strings.TrimSpace(e.out.String()))
	default:
		return nil
	}
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// HAProxyRoute is one TCP-mode frontend of the HAProxy peer.
type HAProxyRoute struct {
	Name    string
	Backend string // real loopback server
	// Splice turns on "option splice-auto" (kernel splicing between the
	// two sockets when HAProxy judges it useful); off is HAProxy's default.
	Splice bool
}

// HAProxy is the HAProxy peer: TCP-mode frontends on loopback, one per
// route, each forwarding to its backend.
type HAProxy struct {
	*External
	Addrs   map[string]string // route name -> frontend address
	Version string
	Config  string
}

// StartHAProxy writes a configuration in dir and runs `haproxy -db -f`
// with nbthread equal to threads (HAProxy's default is one thread per
// CPU).
func StartHAProxy(dir string, threads int, routes []HAProxyRoute) (*HAProxy, error) {
	bin, err := LookPeer("haproxy")
	if err != nil {
		return nil, err
	}
	h := &HAProxy{Addrs: map[string]string{}}
	if v, err := exec.Command(bin, "-v").Output(); err == nil {
		h.Version = strings.TrimSpace(strings.SplitN(string(v), "\n", 2)[0])
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    maxconn 4000\n    nbthread %d\n\n", threads)
	cfg.WriteString("defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\n")
	for _, r := range routes {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		h.Addrs[r.Name] = addr
		fmt.Fprintf(&cfg, "listen %s\n    bind %s\n", r.Name, addr)
		if r.Splice {
			cfg.WriteString("    option splice-auto\n")
		}
		fmt.Fprintf(&cfg, "    server s1 %s\n\n", r.Backend)
	}
	h.Config = cfg.String()
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(h.Config), 0o600); err != nil {
		return nil, err
	}
	if h.External, err = startExternal("haproxy", bin, "-db", "-f", path); err != nil {
		return nil, err
	}
	for _, addr := range h.Addrs {
		if err := waitTCP(h.External, addr); err != nil {
			h.Stop()
			return nil, err
		}
	}
	return h, nil
}

func waitTCP(e *External, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := e.exited(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s does not accept connections on %s", e.Name, addr)
}

// Unbound is the unbound peer serving a local zone.
type Unbound struct {
	*External
	Addr    string
	Version string
	Config  string
}

// StartUnbound runs unbound on a free loopback port with threads threads,
// serving zone as a static local zone whose A records are records (FQDN
// with trailing dot -> IPv4 address, TTL ttl). It waits until the first
// name answers.
func StartUnbound(dir string, threads int, zone string, ttl int, records map[string]string) (*Unbound, error) {
	bin, err := LookPeer("unbound")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	u := &Unbound{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if v, err := exec.Command(bin, "-V").Output(); err == nil {
		u.Version = "unbound " + strings.TrimPrefix(strings.TrimSpace(strings.SplitN(string(v), "\n", 2)[0]), "Version ")
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `server:
    interface: 127.0.0.1@%d
    port: %d
    do-ip6: no
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "%s"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: %d
    so-reuseport: yes
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    local-zone: "%s." static
`, port, port, dir, threads, strings.TrimSuffix(zone, "."))
	var first string
	for name, ip := range records {
		fmt.Fprintf(&cfg, "    local-data: \"%s %d IN A %s\"\n", name, ttl, ip)
		first = name
	}
	cfg.WriteString("remote-control:\n    control-enable: no\n")
	u.Config = cfg.String()
	path := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(path, []byte(u.Config), 0o600); err != nil {
		return nil, err
	}
	if u.External, err = startExternal("unbound", bin, "-d", "-c", path); err != nil {
		return nil, err
	}
	if err := WaitDNS(u.External, u.Addr, first, records[first]); err != nil {
		u.Stop()
		return nil, err
	}
	return u, nil
}

// WaitDNS queries server for name (A) until it answers want; e may be nil
// (an in-process server).
func WaitDNS(e *External, server, name, want string) error {
	c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	var last error
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e != nil {
			if err := e.exited(); err != nil {
				return err
			}
		}
		r, _, err := c.Exchange(m, server)
		if err == nil {
			for _, rr := range r.Answer {
				if a, ok := rr.(*dns.A); ok && a.A.String() == want {
					return nil
				}
			}
			err = fmt.Errorf("answer %s", r)
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %s A %s: %w", server, name, want, last)
}

// DNSPerfResult is what dnsperf reports about one run.
type DNSPerfResult struct {
	QPS        float64
	Sent       int64
	Completed  int64
	Lost       int64
	Rcodes     string  // e.g. "NOERROR 123 (100.00%)"
	AvgLatency float64 // seconds
	Output     string
}

var (
	reQPS     = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
	reSent    = regexp.MustCompile(`Queries sent:\s+([0-9]+)`)
	reDone    = regexp.MustCompile(`Queries completed:\s+([0-9]+)`)
	reLost    = regexp.MustCompile(`Queries lost:\s+([0-9]+)`)
	reRcodes  = regexp.MustCompile(`Response codes:\s+(.*)`)
	reLatency = regexp.MustCompile(`Average Latency \(s\):\s+([0-9.]+)`)
)

// DNSPerfArgs are dnsperf's load parameters.
type DNSPerfArgs struct {
	Duration    time.Duration // -l
	Clients     int           // -c
	Threads     int           // -T
	Outstanding int           // -q
}

// RunDNSPerf runs dnsperf against server (host:port) with the queries in
// datafile ("name A" lines) and parses its statistics. Every response
// must be NOERROR.
func RunDNSPerf(ctx context.Context, server, datafile string, a DNSPerfArgs) (*DNSPerfResult, error) {
	bin, err := LookPeer("dnsperf")
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return nil, err
	}
	secs := max(1, int(a.Duration.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, bin, "-s", host, "-p", port, "-d", datafile, "-l", strconv.Itoa(secs),
		"-c", strconv.Itoa(a.Clients), "-T", strconv.Itoa(a.Threads), "-q", strconv.Itoa(a.Outstanding))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("dnsperf: %w: %s", err, out)
	}
	r := &DNSPerfResult{Output: string(out)}
	num := func(re *regexp.Regexp) (string, error) {
		m := re.FindSubmatch(out)
		if m == nil {
			return "", fmt.Errorf("dnsperf output lacks %q: %s", re.String(), out)
		}
		return string(m[1]), nil
	}
	var s string
	if s, err = num(reQPS); err != nil {
		return nil, err
	}
	r.QPS, _ = strconv.ParseFloat(s, 64)
	for re, dst := range map[*regexp.Regexp]*int64{reSent: &r.Sent, reDone: &r.Completed, reLost: &r.Lost} {
		if s, err = num(re); err != nil {
			return nil, err
		}
		*dst, _ = strconv.ParseInt(s, 10, 64)
	}
	if s, err = num(reLatency); err != nil {
		return nil, err
	}
	r.AvgLatency, _ = strconv.ParseFloat(s, 64)
	if s, err = num(reRcodes); err != nil {
		return nil, err
	}
	r.Rcodes = strings.TrimSpace(s)
	if !strings.HasPrefix(r.Rcodes, "NOERROR") || strings.Contains(r.Rcodes, ",") {
		return r, errors.New("dnsperf got answers other than NOERROR: " + r.Rcodes)
	}
	return r, nil
}

// dnsQuery is the wire form of a recursive A query for name.
func dnsQuery(name string) []byte {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	return b
}

// DNSFloor is a minimal Go DNS responder, the floor of what a Go UDP
// server can do on this machine: workers goroutines read from one UDP
// socket, unpack the query with miekg/dns, look the name up in a map of
// answers packed in advance, patch the ID and write the answer back. No
// views, no policy, no explanations.
type DNSFloor struct {
	conn *net.UDPConn
	done chan struct{}
	n    int
}

// StartDNSFloor serves records (FQDN with trailing dot -> IPv4, TTL ttl)
// on a free 127.0.0.1 UDP port.
func StartDNSFloor(workers, ttl int, records map[string]string) (*DNSFloor, error) {
	answers := map[string][]byte{}
	for name, ip := range records {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		r := new(dns.Msg)
		r.SetReply(m)
		r.RecursionAvailable = true
		rr, err := dns.NewRR(fmt.Sprintf("%s %d IN A %s", name, ttl, ip))
		if err != nil {
			return nil, err
		}
		r.Answer = append(r.Answer, rr)
		b, err := r.Pack()
		if err != nil {
			return nil, err
		}
		answers[strings.ToLower(name)] = b
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	f := &DNSFloor{conn: conn, done: make(chan struct{}), n: workers}
	for range workers {
		go func() {
			defer func() { f.done <- struct{}{} }()
			buf := make([]byte, 512)
			out := make([]byte, 512)
			var q dns.Msg
			for {
				n, addr, err := conn.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				if q.Unpack(buf[:n]) != nil || len(q.Question) != 1 || q.Question[0].Qtype != dns.TypeA {
					continue
				}
				a, ok := answers[strings.ToLower(q.Question[0].Name)]
				if !ok {
					continue
				}
				out = append(out[:0], a...)
				out[0], out[1] = buf[0], buf[1]
				_, _ = conn.WriteToUDPAddrPort(out, addr)
			}
		}()
	}
	return f, nil
}

// Addr is the responder's address.
func (f *DNSFloor) Addr() string { return f.conn.LocalAddr().String() }

// Close stops the responder.
func (f *DNSFloor) Close() error {
	err := f.conn.Close()
	for range f.n {
		<-f.done
	}
	return err
}
