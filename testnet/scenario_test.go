package testnet

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestShippedScenarios parses every scenario in scenarios/ and expands it.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("scenarios/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("scenario files: %v, %v", files, err)
	}
	for _, f := range files {
		s, err := LoadScenario(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p, err := NewPlan(s, s.Seed)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(p.Publications) == 0 {
			t.Errorf("%s: no publications", f)
		}
		t.Logf("%s: %d nodes, %d messages, %d events", s.Name, len(p.Nodes), len(p.Publications), len(p.Events))
	}
}

const tiny = `
name: tiny
seed: 3
groups:
  - {name: a, count: 5, class: slow}
  - {name: b, count: 3, role: sync}
links:
  slow: {latency: 20ms}
workload: {rate: 2, duration: 10s, publishers: 2}
faults:
  - {at: 2s, action: kill, group: a, count: 2, for: 3s}
  - {at: 4s, action: partition, group: b, for: 2s}
churn:
  - {group: b, online: 0.5, period: 4s}
`

// TestPlanDeterministic expands one scenario twice per seed: the same
// seed gives the same plan, another seed another.
func TestPlanDeterministic(t *testing.T) {
	s, err := ParseScenario([]byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	h := func(seed int64) string {
		p, err := NewPlan(s, seed)
		if err != nil {
			t.Fatal(err)
		}
		return p.Hash()
	}
	if a, b := h(3), h(3); a != b {
		t.Fatal("the same seed gives two plans")
	}
	if h(3) == h(4) {
		t.Fatal("two seeds give the same plan")
	}
	p, _ := NewPlan(s, 3)
	if len(p.Publications) != 20 || p.End != 10*time.Second {
		t.Fatalf("%d publications ending at %v", len(p.Publications), p.End)
	}
	if p.Nodes[7].IP != "127.0.100.8" || p.Nodes[0].IP == "127.0.0.1" {
		t.Fatalf("addresses %s, %s", p.Nodes[0].IP, p.Nodes[7].IP)
	}
	for _, n := range p.Nodes[1:] {
		if len(n.Bootstrap) == 0 {
			t.Fatalf("%s has no bootstrap peer", n.Name)
		}
	}
}

// TestTimelineEligibility checks who is expected to receive a message
// around a kill, a partition and churn.
func TestTimelineEligibility(t *testing.T) {
	s, err := ParseScenario([]byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPlan(s, 3)
	tl := p.timeline()
	var killed int
	for _, e := range p.Events {
		if e.Action == ActKill {
			killed = e.Nodes[0]
		}
	}
	other := (killed + 1) % 5
	if tl.eligible(killed, other, 2500*time.Millisecond, time.Second) {
		t.Error("a killed node is expected to receive")
	}
	if !tl.eligible(killed, other, 5*time.Second, time.Second) {
		t.Error("a restarted node is not expected to receive")
	}
	if tl.eligible(killed, other, 1500*time.Millisecond, time.Second) {
		t.Error("a node killed within the window is expected to receive")
	}
}

func TestScenarioErrors(t *testing.T) {
	for _, bad := range []string{
		"name: x\ngroups: [{name: a, count: 1}]\nworkload: {rate: 1, duration: 1s}",
		"name: x\ngroups: [{name: a, count: 3, class: nope}]\nworkload: {rate: 1, duration: 1s}",
		"name: x\ngroups: [{name: a, count: 3}]\nworkload: {rate: 0, duration: 1s}",
		"name: x\ngroups: [{name: a, count: 3}]\nworkload: {rate: 1, duration: 1s}\nfaults: [{at: 1s, action: explode}]",
		"name: x\ngroups: [{name: a, count: 3}]\nworkload: {rate: 1, duration: 1s}\nunknown: 1",
	} {
		if _, err := ParseScenario([]byte(bad)); !errors.Is(err, ErrScenario) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestResize(t *testing.T) {
	s, err := ParseScenario([]byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Resize(16); err != nil {
		t.Fatal(err)
	}
	if s.NodeCount() != 16 || s.Groups[0].Count != 10 || s.Name != "tiny/n=16" {
		t.Fatalf("resized to %d nodes, groups %+v, name %s", s.NodeCount(), s.Groups, s.Name)
	}
}
