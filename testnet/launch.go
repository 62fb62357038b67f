package testnet

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// spawner starts processes from one OS thread that lives as long as the
// orchestrator: Linux delivers the parent-death signal when the thread
// that forked a child exits, not the process, so starting nodes from Go
// threads that the runtime may retire would kill them early.
type spawner struct{ reqs chan spawnReq }

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	theSpawn  *spawner
)

func getSpawner() *spawner {
	spawnOnce.Do(func() {
		theSpawn = &spawner{reqs: make(chan spawnReq)}
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not be retired
			for r := range theSpawn.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	return theSpawn
}

func (s *spawner) start(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	s.reqs <- spawnReq{cmd, done}
	return <-done
}

// proc is one node process (its current incarnation).
type proc struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error
	stopped bool
	// cpu is the CPU time of earlier incarnations, in seconds; rss the
	// largest peak RSS of any incarnation, in KiB.
	cpu      float64
	rss      int64
	restarts int
	// anon is the anonymous (private) resident memory at the last sample,
	// in KiB: the node's own memory, without the binary's pages, which
	// every node shares. pss is the proportional set size at the last
	// sample (shared pages divided among the processes that map them).
	anon, pss int64
}

func (p *proc) alive() bool {
	if p == nil || p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// startProc starts argv with its output appended to logPath, in its own
// process group with the parent-death signal.
func startProc(argv, env []string, logPath string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = procAttr()
	if err := getSpawner().start(cmd); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

// signal sends sig to the process group of p.
func (p *proc) signal(sig syscall.Signal) error {
	if !p.alive() {
		return nil
	}
	return syscall.Kill(-p.cmd.Process.Pid, sig)
}

// kill kills the process group with SIGKILL and waits for the process,
// after recording its CPU time and peak RSS.
func (p *proc) kill() {
	if !p.alive() {
		return
	}
	p.cpu, p.rss = p.sample()
	p.signal(syscall.SIGKILL)
	<-p.exited
}

// sample returns the CPU time of every incarnation so far and the largest
// peak RSS, the current incarnation's included.
func (p *proc) sample() (cpu float64, rss int64) {
	if !p.alive() {
		return p.cpu, p.rss
	}
	c, r, anon, err := procStats(p.cmd.Process.Pid)
	if err != nil {
		return p.cpu, p.rss
	}
	p.anon = anon
	p.pss = procPss(p.cmd.Process.Pid)
	return p.cpu + c, max(p.rss, r)
}

// procStats reads a process's CPU time (user + system, seconds), peak
// resident set (VmHWM, KiB) and anonymous resident memory (RssAnon, KiB)
// from /proc.
func procStats(pid int) (cpu float64, hwmKiB, anonKiB int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	// Fields after the command name (which is in parentheses).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, 0, errors.New("testnet: malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, 0, errors.New("testnet: short /proc stat")
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	cpu = (ut + st) / clockTicks
	sf, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return cpu, 0, 0, err
	}
	defer sf.Close()
	sc := bufio.NewScanner(sf)
	kib := func(v string) int64 {
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		return n
	}
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			hwmKiB = kib(v)
		}
		if v, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			anonKiB = kib(v)
		}
	}
	return cpu, hwmKiB, anonKiB, nil
}

// procFDs counts a process's open file descriptors; -1 if it cannot.
func procFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// loadAvg1 reads the machine's one-minute load average (0 if it cannot).
func loadAvg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// procPss reads a process's proportional set size (KiB) from
// /proc/<pid>/smaps_rollup; 0 if it cannot.
func procPss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times on Linux.
const clockTicks = 100

// httpClient talks to the nodes' control APIs.
var httpClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second},
}

// waitReady polls url/status until it answers, the process exits, or ctx
// or the timeout ends.
func waitReady(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+"/status", nil)
		if resp, err := httpClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("node exited before it was ready: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node not ready after %v", timeout)
		}
	}
}
