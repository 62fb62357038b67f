package sybil

import (
	"bufio"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wallNow reads the real clock: inside a synctest bubble time.Now is the
// bubble's virtual clock, and a study's wall time is a real figure.
func wallNow() time.Time {
	var tv syscall.Timeval
	if err := syscall.Gettimeofday(&tv); err != nil {
		return time.Time{}
	}
	return time.Unix(tv.Sec, tv.Usec*1000)
}

// goMemory returns the memory the Go runtime holds from the system:
// everything it mapped less what it released.
func goMemory() int64 {
	ss := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(ss)
	if ss[0].Value.Kind() != metrics.KindUint64 || ss[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(ss[0].Value.Uint64() - ss[1].Value.Uint64())
}

// liveHeap returns the heap the last garbage collection found live: what
// a run needs, whatever slack the collector leaves above it.
func liveHeap() int64 {
	ss := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(ss)
	if ss[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(ss[0].Value.Uint64())
}

// availableMemory returns MemAvailable from /proc/meminfo in bytes (0
// where /proc does not tell).
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
