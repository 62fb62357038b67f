package result

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"
)

func sample() *Result {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := New(KindScenario, "sync", "sync/churn", 7, t0)
	r.Params["uptime"] = 0.1
	r.Add("overhead_ratio", "x", 2.5, map[string]string{"mode": "batch"})
	r.Add("overhead_ratio", "x", 40, map[string]string{"mode": "mvds"})
	r.Goals = []Goal{{Metric: "overhead_ratio", Labels: map[string]string{"mode": "batch"}, Op: OpLE, Target: 3, Anchor: "MVDS 100-1000x"}}
	r.Finished = t0.Add(time.Second)
	return r
}

func TestWriteReadRoundTrip(t *testing.T) {
	r := sample()
	if err := r.Evaluate(); err != nil {
		t.Fatal(err)
	}
	if !r.GoalsMet() || r.Goals[0].Measured != 2.5 {
		t.Fatalf("goal not evaluated: %+v", r.Goals[0])
	}
	dir := t.TempDir()
	path, err := r.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != filepath.Join(dir, "results") {
		t.Fatalf("written to %s", path)
	}
	all, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Name != r.Name || all[0].Metrics[1].Value != 40 || !all[0].Goals[0].Met {
		t.Fatalf("read back %+v", all)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := map[string]func(*Result){
		"schema":   func(r *Result) { r.Schema = "strata.result/v0" },
		"kind":     func(r *Result) { r.Kind = "poem" },
		"name":     func(r *Result) { r.Name = "Has Spaces" },
		"finished": func(r *Result) { r.Finished = r.Started.Add(-time.Second) },
		"nan":      func(r *Result) { r.Metrics[0].Value = math.NaN() },
		"unit":     func(r *Result) { r.Metrics[0].Unit = "" },
		"op":       func(r *Result) { r.Goals[0].Op = "~" },
		"anchor":   func(r *Result) { r.Goals[0].Anchor = "" },
		"plotkind": func(r *Result) { r.Plots = []Plot{{ID: "p", Metric: "m", Series: "s", Kind: "pie"}} },
		"plotx":    func(r *Result) { r.Plots = []Plot{{ID: "p", Metric: "m", Series: "s", Kind: PlotLine}} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := sample()
			mutate(r)
			err := r.Validate()
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrSchema) {
				t.Fatalf("Validate = %v, want ErrInvalid or ErrSchema", err)
			}
		})
	}
}

func TestEvaluateMissingMetric(t *testing.T) {
	r := sample()
	r.Goals[0].Metric = "nothing"
	if err := r.Evaluate(); !errors.Is(err, ErrMetricMissing) {
		t.Fatalf("Evaluate = %v", err)
	}
	if r.GoalsMet() {
		t.Fatal("goal on a missing metric counted as met")
	}
	if _, err := r.Write(t.TempDir()); err != nil {
		t.Fatalf("a result with a missing metric must still be writable: %v", err)
	}
}

func TestDecodeRejectsUnknownField(t *testing.T) {
	if _, err := Decode([]byte(`{"schema":"strata.result/v1","bogus":1}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Decode = %v", err)
	}
}

func TestSummarize(t *testing.T) {
	s := make([]float64, 100)
	for i := range s {
		s[i] = float64(100 - i)
	}
	d := Summarize(s, 10)
	if d.N != 100 || d.Min != 1 || d.Max != 100 || d.P50 != 50 || d.P95 != 95 || d.P99 != 99 || d.Mean != 50.5 {
		t.Fatalf("%+v", d)
	}
	if len(d.Points) != 11 || d.Points[len(d.Points)-1][1] != 1 {
		t.Fatalf("cdf points %v", d.Points)
	}
}
