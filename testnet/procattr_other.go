//go:build !linux

package testnet

import "syscall"

// procAttr puts a node in a process group of its own. Without Linux's
// parent-death signal, nodes survive an orchestrator that is killed
// (rather than stopped): 'strata testnet down' cleans them up.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
