package sybil

import (
	"context"
	"os"
	"runtime/debug"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/internal/gotest"
	"github.com/strata-lab/strata/reports/result"
)

// execute runs one run in a synctest bubble of its own.
func execute(t *testing.T, r Run, seed int64) Outcome {
	t.Helper()
	var out Outcome
	synctest.Test(t, func(t *testing.T) {
		var err error
		out, err = Execute(context.Background(), r, seed)
		if err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// runPart runs a part's plan at size and builds its result. Pushed runs
// (ratio beyond 10:1) run only while the measured memory says they fit;
// the first that does not is recorded in the result's params.
//
// With partial set, the document of the runs done so far is handed to it
// after every run.
func runPart(t *testing.T, p Part, size Size, seed int64, want map[string]string, partial func(*result.Result)) *result.Result {
	t.Helper()
	started := time.Now()
	planned := len(only(p.Plan(size), want))
	var runs []Labeled
	var outs []Outcome
	// The last attack run and the push limit reached, by scoring setting.
	last := map[string]Outcome{}
	lastHosts := map[string]int{}
	limit := map[string]string{}
	for _, l := range only(p.Plan(size), want) {
		hosts := l.Run.Honest + l.Run.Sybils
		sc := l.Labels["scoring"]
		if l.Labels["run"] == "attack" && pushed(l.Labels["ratio"]) {
			if limit[sc] != "" {
				continue
			}
			if ok, why := PushFits(last[sc].PeakLive, last[sc].Wall, lastHosts[sc], hosts); !ok {
				limit[sc] = "ratio " + l.Labels["ratio"] + ":1 not run: " + why
				t.Logf("scoring %s: %s", sc, limit[sc])
				continue
			}
		}
		o := execute(t, l.Run, seed)
		t.Logf("%s %v: %d honest, %d Sybils: delivery %.4f (victims %.4f), p50 %v p99 %v, wall %v, peak memory %d MiB",
			p.Name, l.Labels, l.Run.Honest, l.Run.Sybils, o.All.Rate(), o.Victims.Rate(),
			o.All.Percentile(0.5), o.All.Percentile(0.99), o.Wall.Round(time.Second), o.PeakRSS>>20)
		runs, outs = append(runs, l), append(outs, o)
		if l.Run.Sybils > 0 {
			last[sc], lastHosts[sc] = o, hosts
		}
		if partial != nil {
			r, err := BuildPartial(p, size, seed, started, runs, outs, planned)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) > 0 {
				r.Params[attacks.RunsSelected] = gotest.FormatRuns(want)
			}
			partial(r)
		}
	}
	var r *result.Result
	var err error
	if len(want) == 0 {
		r, err = Build(p, size, seed, started, runs, outs)
	} else {
		// A selection keeps the goals whose runs it made.
		r, err = BuildPartial(p, size, seed, started, runs, outs, planned)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(want) > 0 {
		r.Params[attacks.RunsSelected] = gotest.FormatRuns(want)
	}
	for _, sc := range []string{"on", "off"} {
		if limit[sc] != "" {
			r.Params["push_limit_scoring_"+sc] = limit[sc]
		}
	}
	return r
}

// TestStudySybil is the Sybil study. Run by `strata attack sybil` (see
// internal/gotest) it runs the parts the command asks for at the quick or
// full size and writes one result per part; as an ordinary test it runs
// the small version of the main attack and checks the figures
// hold there.
func TestStudySybil(t *testing.T) {
	p, ok, err := gotest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		smallStudy(t)
		return
	}
	size := Full
	if p.Quick {
		size = Quick
	}
	setMemoryLimit(t)
	parts := Parts()
	if p.Only != "" {
		part, err := PartByName(p.Only)
		if err != nil {
			t.Fatal(err)
		}
		parts = []Part{part}
	}
	for _, part := range parts {
		if len(only(part.Plan(size), p.Runs)) == 0 {
			t.Fatalf("%s: no run of the part has the labels %s", part.Name, gotest.FormatRuns(p.Runs))
		}
		r := runPart(t, part, size, p.Seed, p.Runs, func(r *result.Result) {
			if err := p.Write(r); err != nil {
				t.Fatal(err)
			}
		})
		if err := p.Write(r); err != nil {
			t.Fatal(err)
		}
	}
}

// pushed reports whether a run's ratio label is beyond the 10:1:
// such a run runs only while PushFits says it fits.
func pushed(ratio string) bool {
	k, err := strconv.Atoi(ratio)
	return err == nil && k > 10
}

// setMemoryLimit gives a study run a soft memory limit of nine tenths of
// the memory available when it starts, unless GOMEMLIMIT sets one: near
// the limit the collector works harder instead of letting the heap's
// slack (up to the live heap again, at GOGC=100) push the process out of
// the machine's memory. The largest runs (10:1 with scoring off and
// 40:1, at 1,000 honest nodes) need that.
func setMemoryLimit(t *testing.T) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if avail := availableMemory(); avail > 0 {
		debug.SetMemoryLimit(avail / 10 * 9)
		t.Logf("soft memory limit %d MiB (nine tenths of the memory available)", avail/10*9>>20)
	}
}

// only keeps the runs of a plan whose labels match want (gotest.Match).
func only(plan []Labeled, want map[string]string) []Labeled {
	var out []Labeled
	for _, l := range plan {
		if gotest.Match(want, l.Labels) {
			out = append(out, l)
		}
	}
	return out
}

// smallStudy runs small versions of three parts (30 honest nodes):
//   - eclipse-network at 10:1 (120 Sybils): with scoring on every honest
//     node gets at least 99% of the messages and p99 stays within twice
//     the baseline's (the goals, at this size);
//   - colocation (naive: 6 Sybils of a victim on one address): with
//     scoring on, P6 drives their scores below 0 and they never hold a
//     mesh place; with scoring off they do (what scoring buys);
//   - cold-boot: Sybils present at bootstrap hold at least half of the
//     first meshes and push deliveries onto gossip (IHAVE/IWANT): p99 at
//     least doubles, yet every message still arrives.
func smallStudy(t *testing.T) {
	t.Run("eclipse-network", func(t *testing.T) {
		part, err := PartByName("eclipse-network")
		if err != nil {
			t.Fatal(err)
		}
		r := runPart(t, part, Small, 1, map[string]string{"scoring": "on"}, nil)
		on := map[string]string{"run": "attack", "scoring": "on", "ratio": "10"}
		if d, ok := r.Lookup("delivery_rate", on); !ok || d.Value < 0.99 {
			t.Errorf("delivery with scoring on at 10:1: %v, want ≥ 0.99", d.Value)
		}
		if p, ok := r.Lookup("latency_p99_vs_baseline", on); !ok || p.Value > goalP99Factor {
			t.Errorf("p99 with scoring on at 10:1: %v× the baseline's, want ≤ %v", p.Value, goalP99Factor)
		}
		if share, ok := r.Lookup("sybil_mesh_share_mean", on); !ok || share.Value <= 0 {
			t.Errorf("the Sybils never entered a mesh (share %v): the attack did not happen", share.Value)
		}
	})
	if raceOn {
		t.Log("race detector on: colocation and cold-boot left out")
		return
	}
	t.Run("colocation", func(t *testing.T) {
		part, err := PartByName("colocation")
		if err != nil {
			t.Fatal(err)
		}
		share, below := map[string]float64{}, map[string]int{}
		for _, l := range only(part.Plan(Small), map[string]string{"run": "attack", "placement": "naive"}) {
			o := execute(t, l.Run, 1)
			var sum, n float64
			for _, sp := range o.Share {
				if sp.At >= 0 {
					sum, n = sum+sp.Share, n+1
				}
			}
			share[l.Labels["scoring"]], below[l.Labels["scoring"]] = sum/n, len(o.Below0)
			if o.All.Rate() < 0.99 {
				t.Errorf("scoring %s: delivery %.3f", l.Labels["scoring"], o.All.Rate())
			}
			if l.Labels["scoring"] == "on" && len(o.Below0) < o.Pairs*9/10 {
				t.Errorf("scoring on: %d of %d (victim, Sybil) pairs fell below 0; P6 should catch 6 Sybils on one address", len(o.Below0), o.Pairs)
			}
		}
		t.Logf("naive colocation: Sybil mesh share with scoring on %.3f (%d pairs below 0), off %.3f", share["on"], below["on"], share["off"])
		if share["on"] > 0.05 || share["off"] < 0.1 {
			t.Errorf("Sybil mesh share: scoring on %.3f (want ≤ 0.05: negative scores cannot GRAFT), off %.3f (want ≥ 0.1)", share["on"], share["off"])
		}
	})
	t.Run("cold-boot", func(t *testing.T) {
		part, err := PartByName("cold-boot")
		if err != nil {
			t.Fatal(err)
		}
		p99 := map[string]time.Duration{}
		for _, l := range only(part.Plan(Small), map[string]string{"scoring": "on"}) {
			r := l.Run
			r.Duration = shapeOf(Small).duration // the opportunistic grafting period is not the point here
			o := execute(t, r, 1)
			p99[l.Labels["run"]] = o.All.Percentile(0.99)
			if o.All.Rate() < 0.99 {
				t.Errorf("%s: delivery %.3f: gossip should still carry every message", l.Labels["run"], o.All.Rate())
			}
			if l.Labels["run"] != "attack" {
				continue
			}
			var sum, n float64
			for _, sp := range o.Share {
				if sp.At >= 0 && sp.At <= 10*time.Second {
					sum, n = sum+sp.Share, n+1
				}
			}
			t.Logf("cold boot: Sybil share of the first meshes %.3f, latency p50 %v p99 %v", sum/n, o.All.Percentile(0.5), o.All.Percentile(0.99))
			if sum/n < 0.5 {
				t.Errorf("Sybils present at bootstrap hold %.3f of the first meshes, want at least half", sum/n)
			}
		}
		if p99["attack"] < 2*p99["baseline"] {
			t.Errorf("cold boot p99 %v, baseline %v: Sybil meshes should push deliveries onto gossip (at least twice the p99)", p99["attack"], p99["baseline"])
		}
	})
}
