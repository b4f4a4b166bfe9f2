//go:build unix

package compute

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs the script in its own process group, so that a
// timeout or cancellation kills everything it started.
func setProcessGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
}
