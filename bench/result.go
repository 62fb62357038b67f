package bench

import (
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-lab/strata/layers"

	"github.com/strata-lab/strata/reports/result"
)

// Label keys of the metrics that ToResult writes. Sub-benchmark parameters
// with one of these keys are not copied into labels (the full name in
// LabelBench still has them).
const (
	LabelBench       = "bench"
	LabelUnit        = "unit"
	LabelPkg         = "pkg"
	LabelProcs       = "procs"
	LabelStat        = "stat"
	LabelConfidence  = "confidence"
	LabelSignificant = "significant"
	LabelVerdict     = "verdict"
)

// Values of LabelStat.
const (
	StatMedian = "median"
	StatCILo   = "ci_lo"
	StatCIHi   = "ci_hi"
)

// Names of the baseline-comparison metrics.
const (
	MetricDeltaPct = "delta_pct"
	MetricPValue   = "p_value"
	MetricBaseline = "baseline"
)

var reservedLabels = map[string]bool{
	LabelBench: true, LabelUnit: true, LabelPkg: true, LabelProcs: true,
	LabelStat: true, LabelConfidence: true, LabelSignificant: true, LabelVerdict: true,
}

// ToResult builds the "bench" result "<layer>/micro" of a suite and, when
// cmp is not nil, of its comparison with a baseline. The metrics are
// described in the package documentation. The raw output file (RawPath) is
// the result's artifact, so call WriteRaw first.
func ToResult(s *Suite, cmp *Comparison, seed int64, started, finished time.Time, command string) *result.Result {
	r := result.New(result.KindBench, s.Layer, s.Layer+"/micro", seed, started)
	r.Finished = finished.UTC()
	r.Command = command
	r.Params["packages"] = s.Pattern
	r.Params["count"] = s.Count
	r.Params["benchtime"] = s.Benchtime
	r.Params["filter"] = s.Filter
	r.Params["quick"] = s.Quick
	r.Params["confidence"] = Confidence
	for k, v := range s.Config {
		r.Params["config."+k] = v
	}
	if s.RawPath != "" {
		r.Artifacts = append(r.Artifacts, s.RawPath)
	}
	for _, b := range s.Benchmarks {
		for _, m := range b.Measures {
			addMeasure(r, s, b, m)
		}
	}
	if cmp != nil {
		r.Params["baseline"] = cmp.Baseline
		r.Params["alpha"] = cmp.Alpha
		for _, d := range cmp.Deltas {
			labels := map[string]string{
				LabelBench:       d.Name,
				LabelUnit:        d.Unit,
				LabelPkg:         s.RelPkg(d.Pkg),
				LabelSignificant: strconv.FormatBool(d.Significant),
				LabelVerdict:     d.Verdict(),
			}
			if d.Procs != 0 {
				labels[LabelProcs] = strconv.Itoa(d.Procs)
			}
			if finite(d.Pct) {
				r.Add(MetricDeltaPct, "%", d.Pct, labels)
			}
			r.Add(MetricPValue, "p", d.P, maps.Clone(labels))
			if finite(d.Old.Center) {
				r.Add(MetricBaseline, d.Unit, d.Old.Center, maps.Clone(labels)).Dist = dist(d.Old, nil)
			}
		}
	}
	return r
}

// AddGoals adds to r, a result of ToResult, a goal for every bench goal
// whose benchmark this run measured, and lists the others under the
// parameter "goals_not_measured" (quick runs skip large configurations).
// Call Evaluate afterwards.
func AddGoals(r *result.Result, goals []layers.BenchGoal) {
	var missing []string
	for _, g := range goals {
		labels := map[string]string{LabelBench: g.Bench, LabelUnit: g.Unit, LabelStat: StatMedian}
		base, _, _ := strings.Cut(g.Bench, "/")
		if _, ok := r.Lookup(base, labels); !ok {
			missing = append(missing, g.Bench+" "+g.Unit)
			continue
		}
		r.Goals = append(r.Goals, result.Goal{Metric: base, Labels: labels, Op: result.Op(g.Op), Target: g.Target, Anchor: g.Anchor})
	}
	if len(missing) > 0 {
		r.Params["goals_not_measured"] = missing
	}
}

func addMeasure(r *result.Result, s *Suite, b *Benchmark, m *Measure) {
	if !finite(m.Summary.Center) {
		return
	}
	labels := map[string]string{
		LabelBench: b.Name,
		LabelUnit:  m.Unit,
		LabelPkg:   s.RelPkg(b.Pkg),
		LabelStat:  StatMedian,
	}
	if b.Procs != 0 {
		labels[LabelProcs] = strconv.Itoa(b.Procs)
	}
	for _, p := range b.Params() {
		if !reservedLabels[p[0]] {
			labels[p[0]] = p[1]
		}
	}
	r.Add(b.Base(), m.Unit, m.Summary.Center, labels).Dist = dist(m.Summary, m.Values)
	if finite(m.Summary.Lo) && finite(m.Summary.Hi) {
		conf := strconv.FormatFloat(m.Summary.Confidence, 'g', 3, 64)
		lo := maps.Clone(labels)
		lo[LabelStat], lo[LabelConfidence] = StatCILo, conf
		r.Add(b.Base(), m.Unit, m.Summary.Lo, lo)
		hi := maps.Clone(labels)
		hi[LabelStat], hi[LabelConfidence] = StatCIHi, conf
		r.Add(b.Base(), m.Unit, m.Summary.Hi, hi)
	}
}

// dist converts a summary (and its sorted samples, if known) to a
// result.Dist; P50 is the summary's centre, P95 and P99 are nearest-rank.
func dist(s Summary, sorted []float64) *result.Dist {
	d := &result.Dist{N: s.N, Min: s.Min, Max: s.Max, Mean: s.Mean, P50: s.Center, P95: s.Max, P99: s.Max}
	if len(sorted) > 0 {
		d.P95 = result.Quantile(sorted, 0.95)
		d.P99 = result.Quantile(sorted, 0.99)
	}
	return d
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
