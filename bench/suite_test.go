package bench

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/reports/result"
)

func mustParse(t *testing.T, path string) *Suite {
	t.Helper()
	s, err := ParseFile(path)
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", path, err)
	}
	s.Module = "github.com/strata-lab/strata"
	return s
}

func TestParse(t *testing.T) {
	s := mustParse(t, "testdata/base.txt")
	if got := len(s.Benchmarks); got != 3 {
		t.Fatalf("got %d benchmarks, want 3", got)
	}
	if s.Config["goos"] != "linux" || s.Config["cpu"] != "Example CPU @ 2.00GHz" {
		t.Errorf("config = %v", s.Config)
	}
	if _, ok := s.Config["pkg"]; ok {
		t.Errorf("config holds pkg")
	}

	b := s.Lookup("github.com/strata-lab/strata/layers/sync", "Reconcile/n=1000/d=1")
	if b == nil {
		t.Fatalf("Reconcile/n=1000/d=1 not found; have %v", names(s))
	}
	if b.Procs != 2 || b.Base() != "Reconcile" || b.FullName() != "Reconcile/n=1000/d=1-2" {
		t.Errorf("procs %d base %q full %q", b.Procs, b.Base(), b.FullName())
	}
	if p := b.Params(); len(p) != 2 || p[0] != [2]string{"n", "1000"} || p[1] != [2]string{"d", "1"} {
		t.Errorf("params = %v", p)
	}
	var units []string
	for _, m := range b.Measures {
		units = append(units, m.Unit)
	}
	if got, want := strings.Join(units, ","), "sec/op,roundtrips,B/op,allocs/op"; got != want {
		t.Errorf("units = %s, want %s", got, want)
	}
	m := b.Measure("sec/op")
	if m.Summary.N != 6 || len(m.Values) != 6 {
		t.Fatalf("n = %d", m.Summary.N)
	}
	// ns/op is tidied to seconds.
	if c := m.Summary.Center; c < 0.00098 || c > 0.00102 {
		t.Errorf("median sec/op = %g, want about 1ms", c)
	}
	if !(m.Summary.Lo <= m.Summary.Center && m.Summary.Center <= m.Summary.Hi) || math.IsInf(m.Summary.Lo, 0) {
		t.Errorf("CI [%g, %g] around %g", m.Summary.Lo, m.Summary.Hi, m.Summary.Center)
	}
	if m.Better != -1 {
		t.Errorf("sec/op better = %d", m.Better)
	}
	rt := b.Measure("roundtrips")
	if !rt.Exact || rt.Better != -1 || rt.Summary.Center != 3 {
		t.Errorf("roundtrips: exact %v better %d center %g", rt.Exact, rt.Better, rt.Summary.Center)
	}

	d := s.Lookup("", "Decode")
	if d == nil || d.Pkg != "github.com/strata-lab/strata/layers/sync/pb" {
		t.Fatalf("Decode = %+v", d)
	}
	if bs := d.Measure("B/s"); bs == nil || bs.Better != 1 || bs.Summary.Center < 3e9 {
		t.Errorf("B/s (from MB/s) = %+v", bs)
	}
	if ev := d.Measure("events/s"); ev == nil || ev.Better != 0 {
		t.Errorf("custom unit events/s = %+v", ev)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "iteration count") {
		t.Errorf("warnings = %q, want the malformed Broken line", s.Warnings)
	}
	if got := s.RelPkg(d.Pkg); got != "layers/sync/pb" {
		t.Errorf("RelPkg = %q", got)
	}
}

func names(s *Suite) []string {
	var out []string
	for _, b := range s.Benchmarks {
		out = append(out, b.Pkg+" "+b.FullName())
	}
	return out
}

func TestParseNoBenchmarks(t *testing.T) {
	_, err := Parse(strings.NewReader("PASS\nok  \tx\t0.1s\n"), "empty")
	if !errors.Is(err, ErrNoBenchmarks) {
		t.Fatalf("err = %v, want ErrNoBenchmarks", err)
	}
}

func TestCompare(t *testing.T) {
	base := mustParse(t, "testdata/base.txt")
	cur := mustParse(t, "testdata/regressed.txt")
	c := Compare(cur, base, 0)
	if c.Alpha != DefaultAlpha || c.Baseline != "testdata/base.txt" {
		t.Errorf("alpha %g baseline %q", c.Alpha, c.Baseline)
	}
	find := func(name, unit string) Delta {
		t.Helper()
		for _, d := range c.Deltas {
			if d.Name == name && d.Unit == unit {
				return d
			}
		}
		t.Fatalf("no delta for %s %s", name, unit)
		return Delta{}
	}
	d := find("Reconcile/n=1000/d=1", "sec/op")
	if !d.Significant || d.P >= 0.05 || d.Verdict() != VerdictRegression {
		t.Errorf("regressed benchmark: %+v verdict %s", d, d.Verdict())
	}
	if d.Pct < 25 || d.Pct > 35 {
		t.Errorf("delta = %.1f%%, want about +30%%", d.Pct)
	}
	if d.Old.N != 6 || d.New.N != 6 {
		t.Errorf("n = %d+%d", d.Old.N, d.New.N)
	}
	// Same distribution on both sides.
	if d := find("Decode", "sec/op"); d.Significant && d.Verdict() == VerdictRegression && d.Pct > 5 {
		t.Errorf("Decode flagged: %+v", d)
	}
	// Identical constants.
	if d := find("Decode", "allocs/op"); d.Significant || d.P != 1 || d.Verdict() != VerdictSame {
		t.Errorf("constant allocs: %+v", d)
	}
	// Exact unit, same value.
	if d := find("Reconcile/n=1000/d=1", "roundtrips"); d.Significant || d.Verdict() != VerdictSame {
		t.Errorf("roundtrips: %+v", d)
	}
	if len(c.OnlyCurrent) != 1 || !strings.Contains(c.OnlyCurrent[0], "Encode-2 sec/op") {
		t.Errorf("only current = %q", c.OnlyCurrent)
	}
	if len(c.OnlyBaseline) != 0 {
		t.Errorf("only baseline = %q", c.OnlyBaseline)
	}
	regs := c.Regressions()
	if len(regs) == 0 {
		t.Fatal("no regressions")
	}
	for _, r := range regs {
		if !strings.HasPrefix(r.Name, "Reconcile/") {
			t.Errorf("unexpected regression %s %s", r.Name, r.Unit)
		}
	}

	var sb strings.Builder
	if err := WriteText(&sb, cur, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "regression") || !strings.Contains(sb.String(), "not in baseline") {
		t.Errorf("text summary:\n%s", sb.String())
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		old, new float64
		better   int
		sig      bool
		want     string
	}{
		{1, 2, -1, true, VerdictRegression},
		{2, 1, -1, true, VerdictImprovement},
		{1, 2, 1, true, VerdictImprovement},
		{1, 2, 0, true, VerdictChanged},
		{1, 2, -1, false, VerdictSame},
		{1, 1, -1, true, VerdictSame},
	} {
		d := Delta{Old: Summary{Center: tc.old}, New: Summary{Center: tc.new}, Better: tc.better, Significant: tc.sig}
		if got := d.Verdict(); got != tc.want {
			t.Errorf("%+v: verdict %s, want %s", tc, got, tc.want)
		}
	}
}

func TestToResult(t *testing.T) {
	base := mustParse(t, "testdata/base.txt")
	cur := mustParse(t, "testdata/regressed.txt")
	cur.Layer = "sync"
	cur.Count, cur.Benchtime, cur.Filter, cur.Pattern = 6, "1s", ".", "./layers/sync/..."
	out := t.TempDir()
	raw, err := cur.WriteRaw(out)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := ToResult(cur, Compare(cur, base, 0), 1, started, started.Add(time.Minute), "strata bench sync")
	if r.Name != "sync/micro" || r.Kind != result.KindBench {
		t.Errorf("name %q kind %q", r.Name, r.Kind)
	}
	if len(r.Artifacts) != 1 || r.Artifacts[0] != raw {
		t.Errorf("artifacts = %v, want %s", r.Artifacts, raw)
	}
	m, ok := r.Lookup("Reconcile", map[string]string{"bench": "Reconcile/n=1000/d=1", "unit": "sec/op"})
	if !ok || m.Labels["stat"] != StatMedian || m.Labels["n"] != "1000" || m.Labels["d"] != "1" ||
		m.Labels["pkg"] != "layers/sync" || m.Dist == nil || m.Dist.N != 6 || m.Dist.P50 != m.Value {
		t.Errorf("median metric = %+v (found %v)", m, ok)
	}
	if lo, ok := r.Lookup("Reconcile", map[string]string{"bench": "Reconcile/n=1000/d=1", "unit": "sec/op", "stat": StatCILo}); !ok || lo.Value > m.Value {
		t.Errorf("ci_lo = %+v", lo)
	}
	dp, ok := r.Lookup(MetricDeltaPct, map[string]string{"bench": "Reconcile/n=1000/d=1", "unit": "sec/op"})
	if !ok || dp.Labels["significant"] != "true" || dp.Labels["verdict"] != VerdictRegression || dp.Value < 25 {
		t.Errorf("delta_pct = %+v", dp)
	}
	if _, ok := r.Lookup(MetricPValue, map[string]string{"bench": "Decode", "unit": "B/s"}); !ok {
		t.Errorf("no p_value for Decode B/s")
	}
	if _, ok := r.Lookup("Decode", map[string]string{"unit": "events/s"}); !ok {
		t.Errorf("no custom-unit metric")
	}
	if _, err := r.Write(out); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func TestLoadBaseline(t *testing.T) {
	// Raw text.
	s, err := LoadBaseline("testdata/base.txt")
	if err != nil || len(s.Benchmarks) != 3 {
		t.Fatalf("raw: %v", err)
	}
	// A result document whose artifact is the raw file, in the <out>
	// layout, with a relative artifact path that does not resolve from
	// the working directory.
	out := t.TempDir()
	cur := mustParse(t, "testdata/regressed.txt")
	cur.Layer = "sync"
	if _, err := cur.WriteRaw(out); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r := ToResult(cur, nil, 0, now, now, "")
	r.Artifacts = []string{filepath.Join("elsewhere", "bench", filepath.Base(cur.RawPath))}
	path, err := r.Write(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err = LoadBaseline(path)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	if s.Lookup("", "Encode") == nil || s.Layer != "sync" {
		t.Errorf("loaded %v layer %q", names(s), s.Layer)
	}
	// Errors.
	bad := filepath.Join(out, "bad.txt")
	if err := os.WriteFile(bad, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(out, "missing.txt")} {
		if _, err := LoadBaseline(p); !errors.Is(err, ErrBaseline) {
			t.Errorf("LoadBaseline(%s) = %v, want ErrBaseline", p, err)
		}
	}
}

func TestOptions(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module tmp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{ModuleRoot: root, Quick: true}.WithDefaults()
	if o.Count != QuickCount || o.Benchtime != QuickBenchtime || o.Filter != "." || o.GoCmd != "go" || o.Timeout != DefaultQuickTimeout {
		t.Errorf("quick defaults = %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if o := (Options{ModuleRoot: root}).WithDefaults(); o.Count != FullCount || o.Benchtime != FullBenchtime {
		t.Errorf("full defaults = %+v", o)
	}
	for _, bad := range []Options{
		{},
		{ModuleRoot: root, Benchtime: "fast"},
		{ModuleRoot: root, Filter: "("},
		{ModuleRoot: root, Count: -1},
		{ModuleRoot: filepath.Join(root, "nope")},
	} {
		if err := bad.WithDefaults().Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", bad, err)
		}
	}
	for _, bt := range []string{"1s", "100ms", "1.5s", "500x", "1m30s"} {
		if err := (Options{ModuleRoot: root, Benchtime: bt}).WithDefaults().Validate(); err != nil {
			t.Errorf("benchtime %q: %v", bt, err)
		}
	}
}

func TestAddGoals(t *testing.T) {
	s, err := ParseFile("testdata/base.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := ToResult(s, nil, 1, time.Unix(0, 0), time.Unix(1, 0), "test")
	var name, unit string
	for _, m := range r.Metrics {
		if m.Labels[LabelStat] == StatMedian {
			name, unit = m.Labels[LabelBench], m.Unit
			break
		}
	}
	if name == "" {
		t.Fatal("no median metric in the canned suite")
	}
	AddGoals(r, []layers.BenchGoal{
		{Bench: name, Unit: unit, Op: ">=", Target: 0, Anchor: "measured"},
		{Bench: "NotRun/n=1", Unit: "sec/op", Op: "<=", Target: 1, Anchor: "skipped"},
	})
	if len(r.Goals) != 1 || r.Goals[0].Labels[LabelBench] != name {
		t.Fatalf("goals %+v", r.Goals)
	}
	if err := r.Evaluate(); err != nil || !r.GoalsMet() {
		t.Fatalf("goal on a measured benchmark: %v %+v", err, r.Goals)
	}
	if nm, _ := r.Params["goals_not_measured"].([]string); len(nm) != 1 {
		t.Fatalf("goals_not_measured = %v", r.Params["goals_not_measured"])
	}
	AddGoals(r, []layers.BenchGoal{{Bench: name, Unit: unit, Op: "<", Target: -1, Anchor: "impossible"}})
	if err := r.Evaluate(); err != nil || r.GoalsMet() {
		t.Fatal("an impossible goal was met")
	}
}
