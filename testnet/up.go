package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// UpOptions configure Up.
type UpOptions struct {
	Options
	Nodes  int
	Subnet int
	Seed   int64
	// Ready is called with the nodes' control URLs once all are ready.
	Ready func(urls []string)
}

// upState is <out>/testnet/up/state.json.
type upState struct {
	PID   int         `json:"pid"`
	Nodes []upNodeRec `json:"nodes"`
}

type upNodeRec struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	URL  string `json:"url"`
}

func upDir(out string) string { return filepath.Join(out, "testnet", "up") }

// Up starts opts.Nodes relay nodes and keeps them running until ctx ends
// (an interrupt, or 'strata testnet down', which signals this process),
// then stops them. The nodes die with the process that runs Up.
func Up(ctx context.Context, opts UpOptions) error {
	if err := opts.fill(); err != nil {
		return err
	}
	if opts.Nodes < 2 {
		return fmt.Errorf("%w: up needs at least 2 nodes", ErrScenario)
	}
	s := &Scenario{Name: "up", Seed: opts.Seed, Subnet: opts.Subnet, Groups: []Group{{Name: "relay", Count: opts.Nodes, Role: RoleRelay}}}
	if err := s.validate(false); err != nil {
		return err
	}
	plan, err := NewPlan(s, opts.Seed)
	if err != nil {
		return err
	}
	r := &runner{plan: plan, opts: opts.Options, procs: make([]*proc, len(plan.Nodes)), dir: upDir(opts.Out)}
	if err := r.prepare(); err != nil {
		return err
	}
	defer r.teardown(5 * time.Second)
	if err := r.launchAll(ctx); err != nil {
		return err
	}
	st := upState{PID: os.Getpid()}
	var urls []string
	for i, n := range plan.Nodes {
		st.Nodes = append(st.Nodes, upNodeRec{Name: n.Name, PID: r.procs[i].cmd.Process.Pid, URL: n.ControlURL()})
		urls = append(urls, n.ControlURL())
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "state.json"), b, 0o644); err != nil {
		return err
	}
	if opts.Ready != nil {
		opts.Ready(urls)
	}
	r.logf("%d nodes up; stop with Ctrl-C or 'strata testnet down'", len(plan.Nodes))
	<-ctx.Done()
	r.logf("stopping")
	return nil
}

// Down stops the testnet Up started under out: it signals the 'testnet
// up' process to stop its nodes, then kills the process group of any node
// still alive. It returns how many node processes it found alive.
func Down(out string) (int, error) {
	path := filepath.Join(upDir(out), "state.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("no testnet is up under %s (no %s)", out, path)
	}
	if err != nil {
		return 0, err
	}
	var st upState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	alive := 0
	for _, n := range st.Nodes {
		if isNode(n.PID) {
			alive++
		}
	}
	if cmdline(st.PID, "testnet") {
		syscall.Kill(st.PID, syscall.SIGTERM)
		deadline := time.Now().Add(15 * time.Second)
		for cmdline(st.PID, "testnet") && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, n := range st.Nodes {
		if isNode(n.PID) {
			syscall.Kill(-n.PID, syscall.SIGKILL)
		}
	}
	return alive, os.Remove(path)
}

// isNode reports whether pid is a running 'strata node' process.
func isNode(pid int) bool { return cmdline(pid, "--data-dir") }

// cmdline reports whether process pid exists and its command line
// contains word.
func cmdline(pid int, word string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return strings.Contains(strings.ReplaceAll(string(b), "\x00", " "), word)
}
