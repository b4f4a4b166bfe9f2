package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a started server process whose ready line has been seen.
type child struct {
	name   string
	cmd    *exec.Cmd
	ready  time.Duration // from just before exec until the ready line was read
	line   string        // the ready line
	stderr *tailBuffer
	exited chan struct{}
	err    error // Wait's result, set before exited closes
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}

// startChild execs bin with args and waits (up to timeout) for a stdout
// line containing marker. The clock starts immediately before the exec.
func startChild(name, bin string, args []string, marker string, timeout time.Duration) (*child, error) {
	c := &child{name: name, cmd: exec.Command(bin, args...), stderr: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	c.cmd.Stderr = c.stderr
	c.cmd.Env = childEnv()
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	type seen struct {
		line string
		at   time.Time
	}
	readyc := make(chan seen, 1)
	t0 := time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), marker) {
				found = true
				readyc <- seen{sc.Text(), time.Now()}
			}
		}
		// Keep draining until the pipe closes so the child never blocks.
		_, _ = io.Copy(io.Discard, stdout)
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	select {
	case s := <-readyc:
		c.ready, c.line = s.at.Sub(t0), s.line
		return c, nil
	case <-c.exited:
		return nil, fmt.Errorf("%s exited before it was ready (%v): %s", name, c.err, c.stderr)
	case <-time.After(timeout):
		_ = c.stop(5 * time.Second)
		return nil, fmt.Errorf("%s not ready after %s: %s", name, timeout, c.stderr)
	}
}

// childEnv is this process's environment without PRIVLINK_* variables, so
// the children run with their defaults and the flags given.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PRIVLINK_") {
			env = append(env, kv)
		}
	}
	return env
}

// stop sends SIGTERM and waits for the process to exit, killing it after
// grace.
func (c *child) stop(grace time.Duration) error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s: %w", c.name, err)
	}
	select {
	case <-c.exited:
		if c.err != nil {
			return fmt.Errorf("%s exited with %v: %s", c.name, c.err, c.stderr)
		}
		return nil
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not stop within %s after SIGTERM", c.name, grace)
	}
}

// memory is a process's resident set from /proc/<pid>/status, in KiB.
type memory struct {
	RSS, Anon, File, Shmem int64
}

func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, ln := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(ln, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.RSS
		case "RssAnon":
			dst = &m.Anon
		case "RssFile":
			dst = &m.File
		case "RssShmem":
			dst = &m.Shmem
		default:
			continue
		}
		if *dst, err = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err != nil {
			return memory{}, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
	}
	if m.RSS == 0 {
		return memory{}, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}
