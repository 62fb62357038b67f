//go:build linux

package testnet

import "syscall"

// procAttr puts a node in a process group of its own (so that signals
// reach the node and anything it starts) and has the kernel kill it when
// the thread that started it dies (the parent-death signal).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
