package spam

import (
	"context"
	"os"
	"testing"
	"testing/synctest"

	"github.com/strata-lab/strata/internal/gotest"
	"github.com/strata-lab/strata/reports/result"
)

// bubble runs each study run in a synctest bubble of its own.
func bubble(t *testing.T) func(func() error) error {
	return func(f func() error) error {
		var err error
		synctest.Test(t, func(*testing.T) { err = f() })
		return err
	}
}

// TestStudySpam is the study `strata attack spam` runs through `go test`
// (internal/gotest). As an ordinary test it runs the small version with
// assertions.
func TestStudySpam(t *testing.T) {
	p, ok, err := gotest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		smallStudy(t)
		return
	}
	if err := p.NoRuns(); err != nil {
		t.Fatal(err)
	}
	sz := FullSize
	if p.Quick {
		sz = QuickSize
	}
	hashRate, err := MeasureHashRate(1 << 19)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, pt := range Parts() {
		if p.Only != "" && pt.Name != p.Only {
			continue
		}
		ran++
		r, err := RunPart(context.Background(), pt, sz, p.Seed, p.Quick, hashRate, bubble(t), os.Stdout)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if ran == 0 {
		t.Fatalf("no part named %q", p.Only)
	}
}

// metric returns the value of a metric of r for the run with setting.
func metric(t *testing.T, r *result.Result, name, setting string) float64 {
	t.Helper()
	m, ok := r.Lookup(name, map[string]string{"setting": setting})
	if !ok {
		t.Fatalf("%s: no metric %s for %q", r.Name, name, setting)
	}
	return m.Value
}

// partNamed returns the part called name with only the runs whose
// settings are listed.
func partNamed(t *testing.T, name string, settings ...string) Part {
	t.Helper()
	for _, p := range Parts() {
		if p.Name != name {
			continue
		}
		var runs []Run
		for _, r := range p.Runs {
			for _, s := range settings {
				if r.Setting == s {
					runs = append(runs, r)
				}
			}
		}
		if len(runs) != len(settings) {
			t.Fatalf("%s: settings %q not all found", name, settings)
		}
		p.Runs = runs
		return p
	}
	t.Fatalf("no part %s", name)
	return Part{}
}

// smallStudy: with validators and scoring on, invalid spam reaches no
// honest node beyond the attacker's neighbours and honest delivery stays
// ≥ 99%; with them off it spreads beyond them. An RLN member that floods
// reveals its key to its neighbours, which remove it, and its excess
// spam travels at most one hop.
func smallStudy(t *testing.T) {
	const seed = 1
	ctx := context.Background()
	inv := partNamed(t, "invalid-flood", "attack, defence on", "attack, defence off")
	r, err := RunPart(ctx, inv, SmallSize, seed, true, 1e6, bubble(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	on, off := "attack, defence on", "attack, defence off"
	if d := metric(t, r, "delivery", on); d < 0.99 {
		t.Errorf("defence on: honest delivery %.4f < 0.99", d)
	}
	if h := metric(t, r, "spam_hops", on); h > 1 {
		t.Errorf("defence on: invalid spam travelled %v hops", h)
	}
	if a := metric(t, r, "spam_accepted", on); a != 0 {
		t.Errorf("defence on: honest nodes accepted %.3f of the invalid messages", a)
	}
	if g := metric(t, r, "graylisted_by", on); g < 1 {
		t.Errorf("defence on: no neighbour graylisted the attacker (score %v)", metric(t, r, "attacker_score", on))
	}
	if h := metric(t, r, "spam_hops", off); h <= 1 {
		t.Errorf("defence off: invalid spam travelled only %v hops", h)
	}
	if reach := metric(t, r, "spam_reach", off); reach < 0.9 {
		t.Errorf("defence off: spam reached only %.2f of honest nodes", reach)
	}
	if !r.GoalsMet() {
		t.Errorf("goals not met: %+v", r.Goals)
	}

	rln := partNamed(t, "rate-flood-rln", "attack, rln on")
	r, err = RunPart(ctx, rln, SmallSize, seed, true, 1e6, bubble(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	set := "attack, rln on"
	if n := metric(t, r, "rln_removed_by", set); n < float64(SmallSize.Links) {
		t.Errorf("rln: %v of the attacker's %d neighbours removed it", n, SmallSize.Links)
	}
	if h := metric(t, r, "spam_hops", set); h > 1 {
		t.Errorf("rln: over-rate spam travelled %v hops", h)
	}
	if m := metric(t, r, "attacker_rate_multiple", set); m < Multiplier {
		t.Errorf("rln: the attacker sent only %.1f× its allowed rate", m)
	}
	if d := metric(t, r, "delivery", set); d < 0.99 {
		t.Errorf("rln: honest delivery %.4f < 0.99", d)
	}
	t.Logf("rln on: latency p50 %.3f s (prove %v + verify per hop)", metric(t, r, "latency", set), "150ms")
}
