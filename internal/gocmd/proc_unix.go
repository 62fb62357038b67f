//go:build unix

package gocmd

import (
	"os/exec"
	"syscall"
)

// KillGroup makes cmd start in its own process group and makes cancelling
// its context kill the whole group: go test runs the test binary as a child
// process, which would otherwise outlive the go command.
func KillGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
