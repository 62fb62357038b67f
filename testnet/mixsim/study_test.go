package mixsim

import (
	"context"
	"io"
	"testing"

	"github.com/strata-lab/strata/reports/result"
)

// TestStudiesQuick runs every study in quick mode and checks that its
// result document validates, that every goal refers to a measured metric
// and that every plot has data.
func TestStudiesQuick(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs every study (about 20 s; skipped with -short and under the race detector)")
	}
	for name, st := range map[string]func(context.Context, StudyOptions) (*result.Result, error){
		"latency": LatencyStudy, "pool": PoolStudy, "bandwidth": BandwidthStudy, "adaptive": AdaptiveStudy, "detect": DetectStudy} {
		t.Run(name, func(t *testing.T) {
			r, err := st(context.Background(), StudyOptions{Seed: 1, Quick: true, Progress: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			r.Finished = r.Started.Add(1)
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := r.Evaluate(); err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Plots {
				if _, ok := r.Lookup(p.Metric, p.Filter); !ok {
					t.Errorf("plot %s has no %s metric", p.ID, p.Metric)
				}
			}
			for _, g := range r.Goals {
				t.Logf("met=%v %s %v = %.4g (%s %g)", g.Met, g.Metric, g.Labels, g.Measured, g.Op, g.Target)
			}
		})
	}
}
