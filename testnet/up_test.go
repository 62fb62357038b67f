package testnet

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestUpDown runs 'testnet up' in a child process, waits for its state
// file and its nodes, then stops everything with Down.
func TestUpDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), upEnv+"=3|"+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	state := filepath.Join(upDir(dir), "state.json")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(state); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no state file after 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := len(nodesUnder(dir)); n != 3 {
		t.Fatalf("%d nodes running, want 3", n)
	}
	n, err := Down(dir)
	if err != nil || n != 3 {
		t.Fatalf("Down: %d nodes, %v", n, err)
	}
	select {
	case <-done:
		if waitErr != nil {
			t.Fatalf("up exited with %v", waitErr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("up did not stop")
	}
	if left := nodesUnder(dir); len(left) > 0 {
		t.Fatalf("nodes left: %v", left)
	}
	if _, err := Down(dir); err == nil {
		t.Fatal("a second Down found a testnet")
	}
}
