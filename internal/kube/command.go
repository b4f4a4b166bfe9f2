package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// CommandResult is the outcome of RunCommand (Azure's RunCommandResult).
type CommandResult struct {
	ExitCode   int
	Logs       string
	StartedAt  time.Time
	FinishedAt time.Time
}

const (
	commandNamespace = "aks-command"
	commandImage     = "mcr.microsoft.com/aks/command/runtime:master"
	commandContainer = "command"
	// MaxCommandLogs is the size limit of a command's logs (Azure's).
	MaxCommandLogs = 512 * 1024
)

var commandIDRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,53}[a-z0-9])?$`)

// RunCommand runs command against the cluster as `az aks command invoke`
// does: the command runs with cluster-admin credentials in a temporary
// directory holding files, recorded by a Pod "command-<id>" in namespace
// aks-command (created if missing) whose status privlink sets (no kubelet
// runs it), and which is deleted afterwards. A plain kubectl invocation
// runs the embedded kubectl in process; anything else runs with /bin/sh -c
// (see the package documentation). Logs are stdout and stderr combined,
// truncated to MaxCommandLogs. env is added to a shell command's
// environment (the fabric vantage of the node the command pod stands on,
// so that curl and other proxy-aware programs connect from inside the
// cluster's network); KUBECONFIG, HOME and PATH in it are ignored.
func (c *Cluster) RunCommand(ctx context.Context, id, command string, files map[string][]byte, env ...string) (CommandResult, error) {
	if !commandIDRE.MatchString(id) {
		return CommandResult{}, fmt.Errorf("kube: invalid command id %q: use 1-55 characters of [a-z0-9-]", id)
	}
	if strings.TrimSpace(command) == "" {
		return CommandResult{}, errors.New("kube: the command is empty")
	}
	for name := range files {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, "..") {
			return CommandResult{}, fmt.Errorf("kube: invalid file name %q: names may not contain '/' or '..'", name)
		}
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return CommandResult{}, fmt.Errorf("kube: client: %w", err)
	}
	pod, err := createCommandPod(ctx, cs, id, command)
	if err != nil {
		return CommandResult{}, err
	}
	defer func() {
		// The pod is on no node: it is deleted at once.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err := cs.CoreV1().Pods(commandNamespace).Delete(dctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		if err != nil && !apierrors.IsNotFound(err) {
			c.log.Warn("kube: delete command pod", "pod", pod.Name, "err", err)
		}
	}()

	res := CommandResult{StartedAt: time.Now().UTC()}
	running, err := setPodRunning(ctx, cs, pod, res.StartedAt)
	if err != nil {
		return CommandResult{}, err
	}
	pod = running
	dir, err := os.MkdirTemp("", "privlink-command-")
	if err != nil {
		return CommandResult{}, fmt.Errorf("kube: command directory: %w", err)
	}
	defer os.RemoveAll(dir)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return CommandResult{}, fmt.Errorf("kube: command file %s: %w", name, err)
		}
	}
	out := &capWriter{limit: MaxCommandLogs}
	if args, ok := plainKubectl(command); ok {
		res.ExitCode, err = c.runKubectlInProcess(dir, args, files, out)
	} else {
		res.ExitCode, err = c.runShell(ctx, dir, command, env, out)
	}
	if err != nil {
		return CommandResult{}, err
	}
	res.FinishedAt = time.Now().UTC()
	res.Logs = out.String()
	if err := setPodFinished(ctx, cs, pod, res); err != nil {
		c.log.Debug("kube: command pod status", "pod", pod.Name, "err", err)
	}
	return res, nil
}

// createCommandPod creates the namespace if needed and the pod recording
// the run. Right after the namespace is made its default service account
// may not exist yet (the controller-manager creates it); creation is
// retried meanwhile.
func createCommandPod(ctx context.Context, cs kubernetes.Interface, id, command string) (*corev1.Pod, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: commandNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("kube: create namespace %s: %w", commandNamespace, err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      "command-" + id,
			Namespace: commandNamespace,
			Labels: map[string]string{
				"app.kubernetes.io/name":       "aks-command",
				"app.kubernetes.io/managed-by": "privlink",
				"aks-command-id":               id,
			},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  ptr.To(false),
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{
				Name:    commandContainer,
				Image:   commandImage,
				Command: []string{"/bin/sh", "-c"},
				Args:    []string{command},
			}},
		},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		created, err := cs.CoreV1().Pods(commandNamespace).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil {
			return created, nil
		}
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("kube: a command with id %s is already running: %w", id, err)
		}
		if !strings.Contains(err.Error(), "service account") || time.Now().After(deadline) {
			return nil, fmt.Errorf("kube: create command pod: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kube: create command pod: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func setPodRunning(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, at time.Time) (*corev1.Pod, error) {
	t := metav1.NewTime(at)
	pod = pod.DeepCopy()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &t
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name:    commandContainer,
		Image:   commandImage,
		Ready:   true,
		Started: ptr.To(true),
		State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t}},
	}}
	updated, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kube: command pod status: %w", err)
	}
	return updated, nil
}

func setPodFinished(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, res CommandResult) error {
	pod = pod.DeepCopy()
	pod.Status.Phase = corev1.PodSucceeded
	reason := "Completed"
	if res.ExitCode != 0 {
		pod.Status.Phase, reason = corev1.PodFailed, "Error"
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name:    commandContainer,
		Image:   commandImage,
		Started: ptr.To(false),
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode:   int32(res.ExitCode),
			Reason:     reason,
			StartedAt:  metav1.NewTime(res.StartedAt),
			FinishedAt: metav1.NewTime(res.FinishedAt),
		}},
	}}
	_, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}

// runKubectlInProcess runs the embedded kubectl with a kubeconfig that
// dials the API server directly. Arguments naming a file of the run (or
// the run's directory as ".") are rewritten to its path in dir, since the
// process's working directory cannot change for one run.
func (c *Cluster) runKubectlInProcess(dir string, args []string, files map[string][]byte, out io.Writer) (int, error) {
	kc, err := buildKubeconfig("https://"+c.Addr().String(), "kubernetes", c.CACert(), c.pki.adminCert, c.pki.adminKey, c.Spec().Name, c.Spec().Name+"-admin", "clusterAdmin_"+c.Spec().Name)
	if err != nil {
		return 0, err
	}
	kcPath := filepath.Join(dir, ".kubeconfig")
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return 0, fmt.Errorf("kube: command kubeconfig: %w", err)
	}
	full := []string{"--kubeconfig=" + kcPath, "--cache-dir=" + filepath.Join(dir, ".kube", "cache")}
	for _, a := range args {
		full = append(full, rewriteFileArg(a, dir, files))
	}
	return KubectlMain(full, nil, out, out), nil
}

func rewriteFileArg(a, dir string, files map[string][]byte) string {
	resolve := func(v string) (string, bool) {
		if v == "." || v == "./" {
			return dir, true
		}
		if _, ok := files[strings.TrimPrefix(v, "./")]; ok {
			return filepath.Join(dir, strings.TrimPrefix(v, "./")), true
		}
		return "", false
	}
	if p, ok := resolve(a); ok {
		return p
	}
	if strings.HasPrefix(a, "-") {
		if flag, v, ok := strings.Cut(a, "="); ok {
			if p, ok := resolve(v); ok {
				return flag + "=" + p
			}
		}
	}
	return a
}

// runShell runs command with /bin/sh -c in dir. The subprocess cannot
// reach the owner-only API server listener, so it gets a kubeconfig whose
// server is a forwarder listening on 127.0.0.1 for this run only.
func (c *Cluster) runShell(ctx context.Context, dir, command string, extra []string, out io.Writer) (int, error) {
	const sh = "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		fmt.Fprintf(out, "%s: not available on this machine: only plain kubectl commands can run\n", sh)
		return 127, nil
	}
	fwd, err := startForwarder(c.Addr().String())
	if err != nil {
		return 0, err
	}
	defer fwd.close()
	kc, err := buildKubeconfig("https://"+fwd.addr(), "kubernetes", c.CACert(), c.pki.adminCert, c.pki.adminKey, c.Spec().Name, c.Spec().Name+"-admin", "clusterAdmin_"+c.Spec().Name)
	if err != nil {
		return 0, err
	}
	kcPath := filepath.Join(dir, ".kubeconfig")
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return 0, fmt.Errorf("kube: command kubeconfig: %w", err)
	}
	path := os.Getenv("PATH")
	if shim := c.m.cfg.KubectlShim; len(shim) > 0 {
		bin := filepath.Join(dir, ".bin")
		if err := os.MkdirAll(bin, 0o700); err != nil {
			return 0, fmt.Errorf("kube: kubectl shim: %w", err)
		}
		quoted := make([]string, len(shim))
		for i, s := range shim {
			quoted[i] = shellQuote(s)
		}
		script := "#!/bin/sh\nexec " + strings.Join(quoted, " ") + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(script), 0o700); err != nil {
			return 0, fmt.Errorf("kube: kubectl shim: %w", err)
		}
		path = bin + string(os.PathListSeparator) + path
	}
	env := []string{}
	for _, kv := range append(os.Environ(), extra...) {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "KUBECONFIG", "HOME", "PATH":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "KUBECONFIG="+kcPath, "HOME="+dir, "PATH="+path)
	cmd := exec.CommandContext(ctx, sh, "-c", command)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		if code := exitErr.ExitCode(); code >= 0 {
			return code, nil
		}
		fmt.Fprintf(out, "\n%v\n", err)
		return 137, nil // killed (a cancelled run)
	default:
		return 0, fmt.Errorf("kube: run command: %w", err)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// plainKubectl splits command with POSIX shell word rules and reports
// whether it is a single kubectl invocation without shell syntax (pipes,
// redirections, lists, substitutions, globs, variables, assignments).
func plainKubectl(command string) ([]string, bool) {
	words, ok := splitWords(command)
	if !ok || len(words) == 0 || words[0] != "kubectl" {
		return nil, false
	}
	return words[1:], true
}

// splitWords splits s into words; ok is false when s uses shell syntax
// beyond quoting.
func splitWords(s string) (words []string, ok bool) {
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, false
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch s[i] {
				case '$', '`':
					return nil, false
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						i++
					}
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, false
			}
			inWord = true
		case ch == '\\':
			if i+1 >= len(s) || s[i+1] == '\n' {
				return nil, false
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case strings.IndexByte("|&;<>()`$\n*?[{}!", ch) >= 0:
			return nil, false
		case (ch == '#' || ch == '~') && !inWord:
			return nil, false
		case ch == '=' && len(words) == 0 && !strings.HasPrefix(cur.String(), "-"):
			return nil, false // an assignment before the command
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

// capWriter keeps the first limit bytes written and notes truncation.
type capWriter struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	limit     int
	truncated bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	room := w.limit - w.buf.Len()
	if len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		w.truncated = true
	} else {
		w.buf.Write(p)
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.buf.String()
	if w.truncated {
		s += fmt.Sprintf("\n[output truncated: the logs of a command are limited to %d bytes]\n", w.limit)
	}
	return s
}

// forwarder passes TCP connections (TLS included, untouched) from a
// per-run loopback port to the API server's owner-only listener.
type forwarder struct {
	l     net.Listener
	to    string
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startForwarder(to string) (*forwarder, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kube: command forwarder: %w", err)
	}
	f := &forwarder{l: l, to: to, conns: map[net.Conn]struct{}{}}
	f.wg.Go(f.serve)
	return f, nil
}

func (f *forwarder) addr() string { return f.l.Addr().String() }

func (f *forwarder) track(c net.Conn, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !add {
		delete(f.conns, c)
		return true
	}
	if f.conns == nil {
		return false // closed
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) serve() {
	for {
		in, err := f.l.Accept()
		if err != nil {
			return
		}
		if !f.track(in, true) {
			_ = in.Close()
			return
		}
		f.wg.Go(func() {
			defer f.track(in, false)
			defer in.Close()
			var d net.Dialer
			out, err := d.Dial("tcp", f.to)
			if err != nil {
				return
			}
			if !f.track(out, true) {
				_ = out.Close()
				return
			}
			defer f.track(out, false)
			defer out.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(out, in); _ = out.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { _, _ = io.Copy(in, out); _ = in.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		})
	}
}

// close stops the forwarder and cuts its connections.
func (f *forwarder) close() {
	_ = f.l.Close()
	f.mu.Lock()
	conns := f.conns
	f.conns = nil
	f.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	f.wg.Wait()
}
