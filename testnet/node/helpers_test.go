package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
)

// childEnv names the config and data directory a re-executed test binary
// runs a node from (see TestMain).
const childEnv = "STRATA_NODE_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		cfgPath, dir, _ := strings.Cut(v, "|")
		cfg, err := LoadConfig(cfgPath)
		if err == nil {
			err = Run(context.Background(), *cfg, dir, Options{Logger: quiet})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// identity writes a seeded identity into dir and returns the peer id.
func identity(t testing.TB, dir string, seed int64) peer.ID {
	t.Helper()
	sk, err := overlay.GenerateIdentity(newSeededReader(seed, 'i'))
	if err != nil {
		t.Fatal(err)
	}
	if err := overlay.WriteIdentity(filepath.Join(dir, overlay.IdentityFile), sk); err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// runInProcess runs a node in this process until the test ends and
// returns its control base URL.
func runInProcess(t *testing.T, cfg Config, dir string) string {
	t.Helper()
	os.Remove(filepath.Join(dir, ControlAddrFile))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, dir, Options{Logger: quiet}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node %s: %v", cfg.Name, err)
		}
	})
	return waitReady(t, dir, done)
}

// child is a node running in a child process.
type child struct {
	cmd  *exec.Cmd
	done chan error
}

// kill9 kills the child with SIGKILL and waits for it.
func (c *child) kill9(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
}

// runChild runs a node as a child process (the test binary re-executed)
// and returns its control base URL and the process.
func runChild(t *testing.T, cfg Config, dir string) (string, *child) {
	t.Helper()
	b, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "node.yaml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, ControlAddrFile))
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+path+"|"+dir)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan error, 1)}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		exited <- err
		close(c.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	return waitReady(t, dir, exited), c
}

func waitReady(t *testing.T, dir string, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, ControlAddrFile)); err == nil {
			return "http://" + strings.TrimSpace(string(b))
		}
		select {
		case err := <-done:
			t.Fatalf("node exited before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("node not ready after 30 s")
	return ""
}

// call does one control API request and decodes the JSON reply into out.
func call(t *testing.T, method, url string, in, out any) {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		json.NewEncoder(&body).Encode(in)
	}
	req, err := http.NewRequest(method, url, &body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var e map[string]string
		json.NewDecoder(resp.Body).Decode(&e)
		t.Fatalf("%s %s: %s: %s", method, url, resp.Status, e["error"])
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
