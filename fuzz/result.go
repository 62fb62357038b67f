package fuzz

import (
	"strings"

	"github.com/strata-lab/strata/reports/result"
)

// Metric names of a fuzz result.
const (
	MetricExecs          = "execs"
	MetricExecsPerSec    = "execs_per_sec"
	MetricNewInteresting = "new_interesting"
	MetricCorpus         = "corpus"
	MetricFuzzTime       = "fuzz_time"
	MetricCrashers       = "crashers"
)

// ResultName returns the stable result name of a target's campaign:
// "<layer>/fuzz/<sub>/<name>" in lower case, without "<sub>/" for the
// layer's own package. Characters that result names do not allow become
// '-'.
func ResultName(layer string, t Target) string {
	n := layer + "/fuzz/"
	if t.Sub != "" {
		n += t.Sub + "/"
	}
	return sanitize(n + t.Name)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune("_.=/-", r):
			return r
		}
		return '-'
	}, s)
}

// ToResult builds one "fuzz" result per outcome (see the package
// documentation), with the goal that no crasher was found evaluated. An
// outcome whose run failed carries its error in the result's Error field.
// seed is recorded as given; it does not steer Go's fuzzer.
func ToResult(outcomes []*Outcome, layer string, seed int64) []*result.Result {
	var out []*result.Result
	for _, o := range outcomes {
		if o == nil {
			continue
		}
		r := result.New(result.KindFuzz, layer, ResultName(layer, o.Target), seed, o.Started)
		r.Finished = o.Finished.UTC()
		r.Command = o.Command
		r.Error = o.Error
		r.Params["target"] = o.Target.Name
		r.Params["package"] = o.Target.Pkg
		r.Params["dir"] = o.Target.Dir
		r.Params["budget"] = o.Budget
		if o.Workers > 0 {
			r.Params["workers"] = o.Workers
		}
		if o.SeedFailure != "" {
			r.Params["seed_failure"] = o.SeedFailure
		}
		if o.DeadlineRace {
			r.Params["deadline_race"] = true
		}
		if len(o.Warnings) > 0 {
			r.Params["warnings"] = o.Warnings
		}
		r.Add(MetricExecs, "execs", float64(o.Execs), nil)
		r.Add(MetricExecsPerSec, "execs/s", o.ExecsPerSec, nil)
		r.Add(MetricNewInteresting, "inputs", float64(o.NewInteresting), nil)
		r.Add(MetricCorpus, "inputs", float64(o.TotalCorpus), nil)
		r.Add(MetricFuzzTime, "s", o.Elapsed.Seconds(), nil)
		r.Add(MetricCrashers, "inputs", float64(o.Failures()), nil)
		r.Goals = append(r.Goals, result.Goal{
			Metric: MetricCrashers,
			Op:     result.OpLE,
			Target: 0,
			Anchor: "no crasher in " + o.Budget + " of fuzzing",
		})
		// The metric exists, so Evaluate cannot fail.
		_ = r.Evaluate()
		r.Artifacts = append(r.Artifacts, o.Crashers...)
		out = append(out, r)
	}
	return out
}
