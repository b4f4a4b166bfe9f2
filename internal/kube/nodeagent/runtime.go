package nodeagent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod annotations understood by the agent.
const (
	// AnnCommand runs the pod's first container as a host process
	// (/bin/sh -c VALUE) instead of the echo server.
	AnnCommand = "privlink.io/command"
	// AnnCommandPrefix + "<container>" does the same for one container.
	AnnCommandPrefix = "privlink.io/command."
	logLimit         = 1 << 20
)

type podRun struct {
	key, uid, node string
	ip, hostIP     netip.Addr
	started        time.Time
	containers     []*containerRun
}

type containerRun struct {
	pod     *podRun
	name    string
	image   string
	command string // "" = echo server
	ports   []int32
	env     []string
	shell   string
	onExit  func()

	mu        sync.Mutex
	real      map[int32]netip.AddrPort
	listeners []net.Listener
	proc      *exec.Cmd
	running   bool
	startedAt time.Time
	exit      *corev1.ContainerStateTerminated
	restarts  int32
	nextStart time.Time
	stopped   bool
	log       bytes.Buffer
	policy    corev1.RestartPolicy
	id        string
}

type podStatus struct {
	phase          corev1.PodPhase
	containers     []corev1.ContainerStatus
	restartPending bool
}

// startPod starts every container of the pod.
func (a *Agent) startPod(pod *corev1.Pod, ip, hostIP netip.Addr) (*podRun, error) {
	key := pod.Namespace + "/" + pod.Name
	r := &podRun{key: key, uid: string(pod.UID), node: pod.Spec.NodeName, ip: ip, hostIP: hostIP, started: secondsNow()}
	for i, c := range pod.Spec.Containers {
		cmd := pod.Annotations[AnnCommandPrefix+c.Name]
		if cmd == "" && i == 0 {
			cmd = pod.Annotations[AnnCommand]
		}
		cr := &containerRun{pod: r, name: c.Name, image: c.Image, command: cmd, shell: a.cfg.Shell,
			policy: pod.Spec.RestartPolicy, real: map[int32]netip.AddrPort{},
			onExit: func() { a.podQ.Add(key) }}
		sum := sha256.Sum256([]byte(string(pod.UID) + "/" + c.Name))
		cr.id = "containerd://" + hex.EncodeToString(sum[:])
		for _, p := range c.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				cr.ports = append(cr.ports, p.ContainerPort)
			}
		}
		if cmd != "" {
			cr.env = append(cr.env, a.nodeEnv(pod.Spec.NodeName)...)
			cr.env = append(cr.env, a.serviceEnv(pod)...)
		}
		cr.env = append(cr.env, "POD_NAME="+pod.Name, "POD_NAMESPACE="+pod.Namespace, "POD_IP="+ip.String(),
			"NODE_NAME="+pod.Spec.NodeName, "HOSTNAME="+pod.Name)
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				cr.env = append(cr.env, e.Name+"="+e.Value)
			}
		}
		r.containers = append(r.containers, cr)
	}
	for _, c := range r.containers {
		if err := c.start(pod); err != nil {
			r.stop()
			return nil, fmt.Errorf("start container %s of %s: %w", c.name, key, err)
		}
	}
	a.log.Info("pod started", "pod", key, "node", r.node, "podIP", ip)
	return r, nil
}

// nodeEnv is the environment of a process on the node's VM (its fabric
// vantage), or nothing without Config.Env.
func (a *Agent) nodeEnv(node string) []string {
	n, ok := a.nodeByName(node)
	if a.cfg.Env == nil || !ok || n.VMID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env, err := a.cfg.Env(ctx, n.VMID)
	if err != nil {
		a.log.Warn("node environment", "node", node, "err", err)
		return nil
	}
	return env
}

// serviceEnv is what the kubelet adds for enableServiceLinks: the
// Docker-links style variables of the Services of the pod's namespace
// (and of the API server's "kubernetes" Service), by Service name.
func (a *Agent) serviceEnv(pod *corev1.Pod) []string {
	svcs, err := a.services.List(everything)
	if err != nil {
		return nil
	}
	links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	var out []string
	for _, s := range svcs {
		master := s.Namespace == metav1.NamespaceDefault && s.Name == "kubernetes"
		if !master && (!links || s.Namespace != pod.Namespace) {
			continue
		}
		ip := s.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone || len(s.Spec.Ports) == 0 {
			continue
		}
		name := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		first := s.Spec.Ports[0]
		out = append(out, name+"_SERVICE_HOST="+ip, name+"_SERVICE_PORT="+strconv.Itoa(int(first.Port)))
		for _, p := range s.Spec.Ports {
			if p.Name != "" {
				out = append(out, name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_"))+"="+strconv.Itoa(int(p.Port)))
			}
		}
		proto := strings.ToLower(string(first.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		out = append(out, name+"_PORT="+proto+"://"+net.JoinHostPort(ip, strconv.Itoa(int(first.Port))))
		for _, p := range s.Spec.Ports {
			pr := strings.ToLower(string(p.Protocol))
			if pr == "" {
				pr = "tcp"
			}
			pfx := name + "_PORT_" + strconv.Itoa(int(p.Port)) + "_" + strings.ToUpper(pr)
			out = append(out, pfx+"="+pr+"://"+net.JoinHostPort(ip, strconv.Itoa(int(p.Port))),
				pfx+"_PROTO="+pr, pfx+"_PORT="+strconv.Itoa(int(p.Port)), pfx+"_ADDR="+ip)
		}
	}
	return out
}

func (r *podRun) addrs() map[int32]netip.AddrPort {
	out := map[int32]netip.AddrPort{}
	for _, c := range r.containers {
		c.mu.Lock()
		for p, a := range c.real {
			out[p] = a
		}
		c.mu.Unlock()
	}
	return out
}

func (r *podRun) stop() {
	for _, c := range r.containers {
		c.stop()
	}
}

func (r *podRun) status() podStatus {
	st := podStatus{phase: corev1.PodRunning}
	allDone, anyFailed := true, false
	for _, c := range r.containers {
		cs, pending := c.status()
		st.containers = append(st.containers, cs)
		st.restartPending = st.restartPending || pending
		if cs.State.Terminated == nil || pending {
			allDone = false
		} else if cs.State.Terminated.ExitCode != 0 {
			anyFailed = true
		}
	}
	if allDone && len(r.containers) > 0 {
		st.phase = corev1.PodSucceeded
		if anyFailed {
			st.phase = corev1.PodFailed
		}
	}
	return st
}

func listenLoopback() (net.Listener, netip.AddrPort, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	return l, l.Addr().(*net.TCPAddr).AddrPort(), nil
}

// start starts the container: echo servers on its ports, or its command
// with PORT (and PORT_<containerPort>) naming the loopback ports to bind.
func (c *containerRun) start(pod *corev1.Pod) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.command == "" {
		for _, port := range c.ports {
			l, addr, err := listenLoopback()
			if err != nil {
				return err
			}
			c.listeners = append(c.listeners, l)
			c.real[port] = addr
			srv := &echoServer{pod: pod.Name, namespace: pod.Namespace, container: c.name, image: c.image,
				node: pod.Spec.NodeName, podIP: c.pod.ip.String(), port: port}
			go srv.serve(l)
		}
		c.running, c.startedAt = true, secondsNow()
		return nil
	}
	return c.spawnLocked()
}

func (c *containerRun) spawnLocked() error {
	env := append(os.Environ(), c.env...)
	for i, port := range c.ports {
		addr, ok := c.real[port]
		if !ok {
			l, a, err := listenLoopback()
			if err != nil {
				return err
			}
			_ = l.Close()
			addr = a
			c.real[port] = addr
		}
		p := strconv.Itoa(int(addr.Port()))
		if i == 0 {
			env = append(env, "PORT="+p)
		}
		env = append(env, fmt.Sprintf("PORT_%d=%s", port, p))
	}
	cmd := exec.Command(c.shell, "-c", c.command)
	cmd.Env = env
	cmd.Dir = os.TempDir()
	cmd.Stdout = &lockedWriter{c: c}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	c.proc, c.running, c.startedAt, c.exit = cmd, true, secondsNow(), nil
	go c.wait(cmd)
	return nil
}

type lockedWriter struct{ c *containerRun }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.log.Write(b)
	if over := w.c.log.Len() - logLimit; over > 0 {
		w.c.log.Next(over)
	}
	return len(b), nil
}

func (c *containerRun) wait(cmd *exec.Cmd) {
	err := cmd.Wait()
	code := 0
	if err != nil {
		code = 1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if code < 0 {
				code = 137
			}
		}
	}
	c.mu.Lock()
	if c.proc != cmd {
		c.mu.Unlock()
		return
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	c.running = false
	c.exit = &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason,
		StartedAt: metav1.NewTime(c.startedAt), FinishedAt: metav1.NewTime(secondsNow()), ContainerID: c.id}
	restart := !c.stopped && (c.policy == corev1.RestartPolicyAlways || c.policy == "" ||
		c.policy == corev1.RestartPolicyOnFailure && code != 0)
	if restart {
		backoff := 10 * time.Second << min(c.restarts, 5)
		if c.restarts == 0 {
			backoff = time.Second
		}
		c.nextStart = time.Now().Add(min(backoff, 5*time.Minute))
		time.AfterFunc(time.Until(c.nextStart), func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.stopped || c.running {
				return
			}
			c.restarts++
			_ = c.spawnLocked()
			go c.onExit()
		})
	}
	c.mu.Unlock()
	c.onExit()
}

func (c *containerRun) stop() {
	c.mu.Lock()
	c.stopped = true
	ls := c.listeners
	c.listeners = nil
	proc := c.proc
	running := c.running
	c.mu.Unlock()
	for _, l := range ls {
		_ = l.Close()
	}
	if proc != nil && running && proc.Process != nil {
		_ = syscall.Kill(-proc.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() {
			for range 50 {
				c.mu.Lock()
				r := c.running
				c.mu.Unlock()
				if !r {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			close(done)
		}()
		<-done
		_ = syscall.Kill(-proc.Process.Pid, syscall.SIGKILL)
	}
}

// status reports the container; it is ready once every port accepts
// connections.
func (c *containerRun) status() (corev1.ContainerStatus, bool) {
	c.mu.Lock()
	cs := corev1.ContainerStatus{Name: c.name, Image: c.image, ImageID: imageID(c.image), ContainerID: c.id,
		RestartCount: c.restarts, Started: new(bool)}
	running, exit, pending := c.running, c.exit, !c.nextStart.IsZero() && !c.running && !c.stopped
	ports := make([]netip.AddrPort, 0, len(c.real))
	for _, a := range c.real {
		ports = append(ports, a)
	}
	startedAt := c.startedAt
	c.mu.Unlock()
	switch {
	case running:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(startedAt)}
		*cs.Started = true
		cs.Ready = true
		for _, a := range ports {
			conn, err := net.DialTimeout("tcp", a.String(), 200*time.Millisecond)
			if err != nil {
				cs.Ready = false
				break
			}
			_ = conn.Close()
		}
		if exit != nil {
			cs.LastTerminationState.Terminated = exit
		}
	case pending:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off restarting failed container %s in pod %s", c.name, c.pod.key)}
		if exit != nil {
			cs.LastTerminationState.Terminated = exit
		}
	case exit != nil:
		cs.State.Terminated = exit
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	return cs, pending
}

// Logs returns the last MiB of a command container's output.
func (a *Agent) Logs(namespace, pod, container string) (string, bool) {
	a.mu.Lock()
	r := a.running[namespace+"/"+pod]
	a.mu.Unlock()
	if r == nil {
		return "", false
	}
	for _, c := range r.containers {
		if c.name == container || container == "" {
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.log.String(), true
		}
	}
	return "", false
}

func imageID(image string) string {
	sum := sha256.Sum256([]byte(image))
	return image + "@sha256:" + hex.EncodeToString(sum[:])
}

// secondsNow is the time as the API server stores it (RFC 3339, whole
// seconds), so that an unchanged status compares equal.
func secondsNow() time.Time { return time.Now().Truncate(time.Second) }
