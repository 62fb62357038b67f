package trafficanalysis

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/strata-lab/strata/internal/gotest"
)

// TestStudyFirstSpy is the first-spy study. Run by `strata attack
// firstspy` (internal/gotest) it runs the quick or full size and writes
// its result; as an ordinary test it runs the small size and checks that
// every arm delivers every message and that both defences lower the
// first spy's precision below plain gossip's at f = 20%.
func TestStudyFirstSpy(t *testing.T) {
	p, study, err := gotest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if study && p.Only != "" && p.Only != "first-spy" {
		t.Skipf("part %q is not in this study", p.Only)
	}
	if err := p.NoRuns(); err != nil {
		t.Fatal(err)
	}
	size, seed := "small", int64(1)
	if study {
		size, seed = "full", p.Seed
		if p.Quick {
			size = "quick"
		}
	}
	started := time.Now()
	cfg := FirstSpySize(size, seed)
	mix, err := NewMixPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var runs []*ArmRun
	for _, arm := range Arms {
		wall := time.Now()
		synctest.Test(t, func(t *testing.T) {
			run, err := RunArm(context.Background(), cfg, seed, arm, mix)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, run)
		})
		t.Logf("arm %s: %d nodes, delivered %d of %d, latency p50 %v p99 %v (virtual), wall %v",
			arm, cfg.Nodes, runs[len(runs)-1].Outcome.Delivered, runs[len(runs)-1].Outcome.Expected,
			runs[len(runs)-1].Outcome.Percentile(0.5), runs[len(runs)-1].Outcome.Percentile(0.99), time.Since(wall).Round(time.Second))
	}
	r := FirstSpyResult(cfg, seed, size == "quick", runs, mix, started)
	r.Finished = time.Now()
	if err := r.Evaluate(); err != nil {
		t.Fatal(err)
	}
	for _, m := range r.Metrics {
		if m.Name == "precision" && m.Labels["run"] == "attack" {
			t.Logf("f = %s %-6s precision %.3f", m.Labels["f"], m.Labels["arm"], m.Value)
		}
	}
	if study {
		if err := p.Write(r); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, run := range runs {
		if run.Outcome.Delivered != run.Outcome.Expected {
			t.Errorf("arm %s delivered %d of %d", run.Arm, run.Outcome.Delivered, run.Outcome.Expected)
		}
	}
	none, _ := findPrecision(r, ArmNone, 0.2)
	for _, arm := range []string{ArmStem, ArmMixnet} {
		if got, _ := findPrecision(r, arm, 0.2); got >= none {
			t.Errorf("f = 0.2: %s precision %.3f, not below plain gossip's %.3f", arm, got, none)
		}
	}
	if none == 0 {
		t.Error("the first spy never found a plain-gossip origin: the estimator sees nothing")
	}
}
