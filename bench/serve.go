package bench

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// ServeChild is a `privlink serve` child process over an embedded store,
// with its HTTPS, SOCKS and HTTP proxy listeners on loopback ports the
// kernel picks (the benchmark commands that drive a real daemon).
type ServeChild struct {
	Cmd *exec.Cmd
}

// StartServeChild starts bin as `privlink serve --data-dir dataDir` and
// returns once it printed its ready line; its stderr goes to ours.
func StartServeChild(ctx context.Context, bin, dataDir string) (*ServeChild, error) {
	cmd := exec.CommandContext(ctx, bin, "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0",
		"--socks-listen", "127.0.0.1:0", "--http-proxy-listen", "127.0.0.1:0", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &ServeChild{Cmd: cmd}
	sc := bufio.NewScanner(stdout)
	ready := false
	for !ready && sc.Scan() {
		ready = strings.Contains(sc.Text(), "privlink is ready at")
	}
	if !ready {
		c.Stop()
		return nil, errors.New("privlink serve exited before its ready line")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return c, nil
}

// Stop interrupts the child and waits for it.
func (c *ServeChild) Stop() {
	_ = c.Cmd.Process.Signal(os.Interrupt)
	_ = c.Cmd.Wait()
}

// ExportedVars turns `privlink env` output ("export NAME='value'" lines)
// into NAME=value entries for exec.Cmd.Env.
func ExportedVars(out string) []string {
	var vars []string
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "export "); ok {
			vars = append(vars, strings.ReplaceAll(v, "'", ""))
		}
	}
	return vars
}
