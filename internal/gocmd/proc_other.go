//go:build !unix

package gocmd

import "os/exec"

// KillGroup leaves cmd's default cancellation (kill the go command only) in
// place; WaitDelay then closes the pipes that a surviving child holds.
func KillGroup(cmd *exec.Cmd) {}
