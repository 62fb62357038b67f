//go:build unix

package session

import "syscall"

// cpuTime returns the process's user+system CPU time in nanoseconds, so
// that benchmarks can report CPU cost apart from wall time on a loaded
// machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
