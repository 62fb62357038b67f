//go:build !unix

package fuzz

import "os/exec"

// killGroup leaves cmd's default cancellation (kill the go command only) in
// place; WaitDelay then closes the pipes that a surviving child holds.
func killGroup(cmd *exec.Cmd) {}
