package fuzz

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// parseFile feeds a canned go test -fuzz output (captured from real runs
// of go1.26 on a throwaway module) through the parser.
func parseFile(t *testing.T, name string) (*Outcome, *parser) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := &Outcome{Target: Target{Dir: "layers/x", Name: "FuzzX"}}
	p := newParser(o)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p.line(sc.Text())
	}
	p.finish()
	return o, p
}

func TestParsePass(t *testing.T) {
	o, p := parseFile(t, "pass.txt")
	if o.Failed || p.noTarget || o.SeedFailure != "" || len(o.crasherRel) != 0 || o.Failure != "" {
		t.Errorf("passing run parsed as failing: %+v", o)
	}
	if o.Execs != 26260 || o.NewInteresting != 16 || o.TotalCorpus != 17 || o.Elapsed != 8*time.Second {
		t.Errorf("last status: execs %d new %d total %d elapsed %v", o.Execs, o.NewInteresting, o.TotalCorpus, o.Elapsed)
	}
	// The printed rate of the last interval is 0/sec; the campaign's
	// average is not.
	if o.ExecsPerSec < 3280 || o.ExecsPerSec > 3285 {
		t.Errorf("execs/s = %g, want 26260/8", o.ExecsPerSec)
	}
	if o.BaselineEntries != 1 || o.BaselineDone != 1 || o.Workers != 1 {
		t.Errorf("baseline %d/%d workers %d", o.BaselineDone, o.BaselineEntries, o.Workers)
	}
	if len(o.Tail) != 7 || o.Tail[len(o.Tail)-1] != "ok  \ttmp\t8.112s" {
		t.Errorf("tail = %q", o.Tail)
	}
}

func TestParseExecs(t *testing.T) {
	o, _ := parseFile(t, "execs.txt")
	if o.Failed || o.Execs != 1000 || o.Elapsed != 0 || o.ExecsPerSec != 8317 || o.Workers != 2 {
		t.Errorf("outcome = %+v", o)
	}
}

func TestParseFail(t *testing.T) {
	o, _ := parseFile(t, "fail.txt")
	if !o.Failed {
		t.Fatal("failing run not marked failed")
	}
	if len(o.crasherRel) != 1 || o.crasherRel[0] != "testdata/fuzz/FuzzBug/8f8be9ed7f098e0c" {
		t.Errorf("crashers = %q", o.crasherRel)
	}
	if o.Execs != 89704 || o.Elapsed != 4*time.Second {
		t.Errorf("execs %d elapsed %v", o.Execs, o.Elapsed)
	}
	if !strings.HasPrefix(o.Failure, "--- FAIL: FuzzBug") || !strings.Contains(o.Failure, "panic: found bug") {
		t.Errorf("failure report = %q", o.Failure)
	}
	if n := len(o.Tail); n == 0 || n > tailLines || o.Tail[n-1] != "FAIL\ttmp\t3.885s" {
		t.Errorf("tail = %q", o.Tail)
	}
}

func TestParseSeedFailure(t *testing.T) {
	o, _ := parseFile(t, "seedfail.txt")
	if !o.Failed || o.SeedFailure != "FuzzSeedFail/seed#0" || len(o.crasherRel) != 0 {
		t.Errorf("outcome = %+v", o)
	}
	if o.Failures() != 1 {
		t.Errorf("failures = %d", o.Failures())
	}
	if o.BaselineEntries != 1 || o.BaselineDone != 0 {
		t.Errorf("baseline %d/%d", o.BaselineDone, o.BaselineEntries)
	}
}

func TestParseRegression(t *testing.T) {
	// An earlier crasher in testdata/fuzz fails again during the baseline.
	o, _ := parseFile(t, "regression.txt")
	if !o.Failed || o.SeedFailure != "FuzzBug/8f8be9ed7f098e0c" {
		t.Errorf("outcome = %+v", o)
	}
	root := t.TempDir()
	o.Target = Target{Dir: "pkg", Name: "FuzzBug"}
	if err := os.MkdirAll(root+"/pkg/testdata/fuzz/FuzzBug", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/pkg/testdata/fuzz/FuzzBug/8f8be9ed7f098e0c", []byte("go test fuzz v1\nstring(\"bug\")\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.resolveCrashers(root)
	if len(o.Crashers) != 1 || o.Crashers[0] != "pkg/testdata/fuzz/FuzzBug/8f8be9ed7f098e0c" || len(o.Warnings) != 0 {
		t.Errorf("crashers %q warnings %q", o.Crashers, o.Warnings)
	}
	if o.Failures() != 1 {
		t.Errorf("failures = %d, want 1 (the seed file is the crasher)", o.Failures())
	}
}

func TestParseNoTarget(t *testing.T) {
	o, p := parseFile(t, "notarget.txt")
	if !p.noTarget || o.Failed {
		t.Errorf("noTarget %v outcome %+v", p.noTarget, o)
	}
}

func TestResultName(t *testing.T) {
	for _, tc := range []struct {
		t    Target
		want string
	}{
		{Target{Dir: "layers/sync", Name: "FuzzDecodeFrame"}, "sync/fuzz/fuzzdecodeframe"},
		{Target{Dir: "layers/sync/reconcile", Sub: "reconcile", Name: "FuzzProcess"}, "sync/fuzz/reconcile/fuzzprocess"},
		{Target{Dir: "layers/sync/a b", Sub: "a b", Name: "Fuzzé"}, "sync/fuzz/a-b/fuzz-"},
	} {
		if got := ResultName("sync", tc.t); got != tc.want {
			t.Errorf("ResultName(%+v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestToResult(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pass, _ := parseFile(t, "pass.txt")
	pass.Target = Target{Pkg: "m/layers/sync", Dir: "layers/sync", Name: "FuzzOK"}
	fail, _ := parseFile(t, "fail.txt")
	fail.Target = Target{Pkg: "m/layers/sync/pb", Dir: "layers/sync/pb", Sub: "pb", Name: "FuzzBug"}
	fail.Crashers = []string{"layers/sync/pb/testdata/fuzz/FuzzBug/8f8be9ed7f098e0c"}
	for _, o := range []*Outcome{pass, fail} {
		o.Budget, o.Started, o.Finished = "30s", now, now.Add(31*time.Second)
	}
	rs := ToResult([]*Outcome{pass, nil, fail}, "sync", 1)
	if len(rs) != 2 {
		t.Fatalf("%d results", len(rs))
	}
	out := t.TempDir()
	for _, r := range rs {
		if _, err := r.Write(out); err != nil {
			t.Errorf("%s: %v", r.Name, err)
		}
	}
	if r := rs[0]; r.Name != "sync/fuzz/fuzzok" || !r.GoalsMet() || len(r.Artifacts) != 0 {
		t.Errorf("pass result = %+v", r)
	}
	r := rs[1]
	if r.Name != "sync/fuzz/pb/fuzzbug" || r.GoalsMet() || len(r.Artifacts) != 1 {
		t.Errorf("fail result = %+v", r)
	}
	if g := r.Goals[0]; g.Anchor != "no crasher in 30s of fuzzing" || g.Measured != 1 {
		t.Errorf("goal = %+v", g)
	}
	if m, ok := r.Lookup(MetricExecsPerSec, nil); !ok || m.Unit != "execs/s" || m.Value <= 0 {
		t.Errorf("execs_per_sec = %+v", m)
	}
}

func TestParseDeadlineRace(t *testing.T) {
	// go1.26.8 on layers/sync/reconcile.FuzzProcess with -fuzztime 5s:
	// golang/go#75804.
	o, _ := parseFile(t, "deadline.txt")
	if o.Failed || !o.DeadlineRace || len(o.Warnings) != 1 || o.Failure != "" || o.Failures() != 0 {
		t.Errorf("outcome = %+v", o)
	}
	if o.Execs != 14824 || o.TotalCorpus != 181 {
		t.Errorf("status: %+v", o)
	}

	// The same message next to a written failing input is a finding.
	o = &Outcome{}
	p := newParser(o)
	for _, l := range []string{
		"--- FAIL: FuzzX (6.07s)",
		"    context deadline exceeded",
		"    Failing input written to testdata/fuzz/FuzzX/0123",
		"FAIL",
	} {
		p.line(l)
	}
	p.finish()
	if !o.Failed || o.DeadlineRace {
		t.Errorf("finding taken for the race: %+v", o)
	}

	// A target whose own failure mentions a deadline is a finding.
	o = &Outcome{}
	p = newParser(o)
	for _, l := range []string{
		"--- FAIL: FuzzX (0.01s)",
		"    x_test.go:12: dial: context deadline exceeded",
		"FAIL",
	} {
		p.line(l)
	}
	p.finish()
	if !o.Failed || o.DeadlineRace {
		t.Errorf("target failure taken for the race: %+v", o)
	}
}
