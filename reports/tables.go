package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// Conventions by which the report reads the metrics of vectors, fuzz and
// bench results; the package documentation states them for the programs
// that write results.
const (
	// labelFile names the vector file a metric of a vectors result is about.
	labelFile = "file"
	// labelError carries why a vector file failed (optional).
	labelError = "error"
	// labelTarget names the fuzz target a metric of a fuzz result is about.
	labelTarget = "target"
	// labelBench names the benchmark a metric of a bench result is about.
	labelBench = "bench"
	// labelUnit is, on a metricDeltaPct metric, the unit of the metric the
	// delta compares.
	labelUnit = "unit"
	// labelCI is a bench metric's confidence interval, as text ("±2%").
	labelCI = "ci"
	// labelP is the p-value of a metricDeltaPct metric, as text.
	labelP = "p"
	// labelSignificant is "true" or "false" on a metricDeltaPct metric.
	labelSignificant = "significant"

	// metricDeltaPct is the change of a benchmark against its baseline,
	// in percent.
	metricDeltaPct = "delta_pct"

	// Metric names of a fuzz result.
	metricFuzzDuration       = "duration" // unit "s"
	metricFuzzExecs          = "execs"
	metricFuzzExecsPerSec    = "execs_per_sec"
	metricFuzzNewInteresting = "new_interesting"
	metricFuzzCrashers       = "crashers"
)

// addVectors adds the vector files of r to the layer's vector table and
// returns the metrics of r the table does not show.
func addVectors(lv *layerView, r *result.Result, runID string) (rest []result.Metric) {
	for _, m := range r.Metrics {
		file, ok := m.Labels[labelFile]
		if !ok || file == "" {
			rest = append(rest, m)
			continue
		}
		lv.Vectors = append(lv.Vectors, vectorRow{
			Result: r.Name,
			RunID:  runID,
			File:   file,
			Pass:   m.Value == 1,
			Detail: m.Labels[labelError],
		})
	}
	return rest
}

// fuzzColumn maps a fuzz metric name to its column in the fuzz table, or
// -1. The runner's canonical names come first; the others are accepted
// spellings.
func fuzzColumn(name string) int {
	switch name {
	case metricFuzzDuration, "fuzztime", "elapsed":
		return 0
	case metricFuzzExecs:
		return 1
	case metricFuzzExecsPerSec, "execs/s":
		return 2
	case metricFuzzNewInteresting, "interesting":
		return 3
	case metricFuzzCrashers, "crashes":
		return 4
	}
	return -1
}

// addFuzz adds one row per fuzz target of r to the layer's fuzz table and
// returns the metrics of r the table does not show.
func addFuzz(lv *layerView, r *result.Result, runID string) (rest []result.Metric) {
	type row struct {
		cols [5]*result.Metric
	}
	var order []string
	rows := map[string]*row{}
	for i := range r.Metrics {
		m := &r.Metrics[i]
		col := fuzzColumn(m.Name)
		if col < 0 {
			rest = append(rest, *m)
			continue
		}
		target := m.Labels[labelTarget]
		if target == "" {
			target = r.Name
		}
		rw, ok := rows[target]
		if !ok {
			rw = &row{}
			rows[target] = rw
			order = append(order, target)
		}
		if rw.cols[col] != nil {
			rest = append(rest, *m) // a second value for the same cell
			continue
		}
		rw.cols[col] = m
	}
	wall := r.Finished.Sub(r.Started)
	for _, target := range order {
		rw := rows[target]
		fr := fuzzRow{Result: r.Name, RunID: runID, Target: target,
			Time: "–", Execs: "–", ExecsPerSec: "–", NewInteresting: "–", Crashers: "–"}
		secs := math.NaN()
		switch d := rw.cols[0]; {
		case d != nil:
			fr.Time = withUnit(d.Value, d.Unit)
			if d.Unit == "s" {
				secs = d.Value
			}
		case len(order) == 1 && wall > 0:
			// One target: the run's wall time is the target's.
			fr.Time = wall.Round(time.Second).String()
			secs = wall.Seconds()
		}
		if m := rw.cols[1]; m != nil {
			fr.Execs = formatNumber(m.Value)
		}
		switch m := rw.cols[2]; {
		case m != nil:
			fr.ExecsPerSec = formatNumber(m.Value)
		case rw.cols[1] != nil && secs > 0:
			fr.ExecsPerSec = formatNumber(math.Round(rw.cols[1].Value / secs))
		}
		if m := rw.cols[3]; m != nil {
			fr.NewInteresting = formatNumber(m.Value)
		}
		if m := rw.cols[4]; m != nil {
			fr.Crashers = formatNumber(m.Value)
			fr.Crashed = m.Value > 0
		}
		lv.Fuzz = append(lv.Fuzz, fr)
	}
	return rest
}

// addBench adds the metrics of r to the layer's benchmark table: one row
// per metric, grouped by the bench label (or the metric's name), with the
// delta_pct metric of the same benchmark in the row whose unit it names.
// It shows every metric, so it returns none.
func addBench(lv *layerView, r *result.Result, runID string) (rest []result.Metric) {
	benchOf := func(m result.Metric) string {
		if b := m.Labels[labelBench]; b != "" {
			return b
		}
		return m.Name
	}
	var order []string
	rows := map[string][]benchRow{}
	var deltas []result.Metric
	for _, m := range r.Metrics {
		if m.Name == metricDeltaPct {
			deltas = append(deltas, m)
			continue
		}
		b := benchOf(m)
		if _, ok := rows[b]; !ok {
			order = append(order, b)
		}
		br := benchRow{
			Result: r.Name,
			RunID:  runID,
			Bench:  b,
			Value:  formatNumber(m.Value),
			Unit:   m.Unit,
			CI:     m.Labels[labelCI],
			Labels: formatLabels(without(m.Labels, labelBench, labelCI)),
		}
		if m.Name != b {
			br.Metric = m.Name
		}
		rows[b] = append(rows[b], br)
	}
	for _, d := range deltas {
		b := benchOf(d)
		if b == metricDeltaPct {
			b = "" // a delta that names no benchmark
		}
		text := formatDelta(d)
		target := -1
		for i, br := range rows[b] {
			if unit, ok := d.Labels[labelUnit]; (ok && br.Unit == unit) || (!ok && len(rows[b]) == 1) {
				target = i
				break
			}
		}
		if target >= 0 && rows[b][target].Delta == "" {
			rows[b][target].Delta = text
			continue
		}
		// No row to attach the delta to: it gets a row of its own.
		if _, ok := rows[b]; !ok {
			order = append(order, b)
		}
		rows[b] = append(rows[b], benchRow{
			Result: r.Name,
			RunID:  runID,
			Bench:  b,
			Metric: metricDeltaPct,
			Unit:   d.Labels[labelUnit],
			Delta:  text,
			Labels: formatLabels(without(d.Labels, labelBench, labelUnit, labelP, labelSignificant)),
		})
	}
	for _, b := range order {
		lv.Bench = append(lv.Bench, rows[b]...)
	}
	return nil
}

// formatDelta prints a delta_pct metric: the signed change, its p-value
// when known, and "~" when the change is marked not significant.
func formatDelta(d result.Metric) string {
	s := strconv.FormatFloat(d.Value, 'f', 2, 64) + "%"
	if d.Value > 0 {
		s = "+" + s
	}
	if p := d.Labels[labelP]; p != "" {
		s += " (p=" + p + ")"
	}
	if sig := strings.ToLower(d.Labels[labelSignificant]); sig == "false" || sig == "no" {
		s += " ~"
	}
	return s
}

// without returns labels minus the given keys.
func without(labels map[string]string, keys ...string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func withUnit(v float64, unit string) string {
	if unit == "" {
		return formatNumber(v)
	}
	return formatNumber(v) + " " + unit
}

// formatParam prints one parameter value.
func formatParam(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
