package testnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nodesUnder returns the pids of live node processes whose data
// directory is under dir.
func nodesUnder(dir string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cl := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cl, " node ") && strings.Contains(cl, dir) {
			out = append(out, pid)
		}
	}
	return out
}

// TestKilledOrchestratorLeavesNoNode runs an orchestrator as a child
// process, waits until its nodes run, kills the orchestrator with SIGKILL
// and checks that no node survives it.
func TestKilledOrchestratorLeavesNoNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "long.yaml")
	os.WriteFile(scen, []byte(`
name: orphans
subnet: 150
groups: [{name: a, count: 4}]
workload: {rate: 1, duration: 120s}
`), 0o644)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), orchEnv+"="+scen+"|"+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for len(nodesUnder(dir)) < 4 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("nodes did not start: %v", nodesUnder(dir))
		}
		select {
		case err := <-done:
			t.Fatalf("orchestrator exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(nodesUnder(dir)) > 0 {
		if ctx.Err() != nil {
			left := nodesUnder(dir)
			for _, pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("%d node(s) outlived the orchestrator: %v", len(left), left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
