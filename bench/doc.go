// Package bench runs a layer's Go micro-benchmarks and turns their output
// into results.
//
// [Run] executes
//
//	go test ./<Dir>/... -run ^$ -bench <Filter> -benchmem -count <Count> -benchtime <Benchtime>
//
// from the module root, for a layer descriptor's package and every package
// under it, streams the output to a progress writer, and parses it with
// golang.org/x/perf/benchfmt. Each benchmark (full name including its
// sub-benchmark configuration, e.g. "Reconcile/n=1000/d=1") gets one
// [Measure] per unit: sec/op, B/op, allocs/op, B/s (from b.SetBytes) and any
// custom unit reported with b.ReportMetric ("roundtrips", "events/s", ...).
// Units are tidied as benchstat tidies them: ns/op becomes sec/op and MB/s
// becomes B/s.
//
// Samples are summarised with golang.org/x/perf/benchmath under
// AssumeNothing (or AssumeExact for units declared "assume=exact"): the
// centre is the median, with a 95% confidence interval. [Compare] tests a
// run against a baseline with benchmath's Mann-Whitney U test and flags a
// change as significant when p < alpha (0.05 by default).
//
// # Run length
//
// Full runs use -count 6 -benchtime 1s; quick runs use -count 6
// -benchtime 100ms. Six samples is the fewest for which benchmath gives a
// finite 95% confidence interval of the median, and enough for the U test
// to detect a difference at alpha 0.05 (fewer than 4 never can), so quick
// mode shortens each sample rather than taking fewer.
//
// A descriptor cannot say which of its benchmarks are cheap. A caller that
// wants a quicker pass over a subset sets [Options].Filter (the -bench
// regexp) itself, for example to "^BenchmarkDecode" or "/n=100$".
//
// # Files
//
// [Suite.WriteRaw] saves the raw go test output, which is valid benchfmt
// text, to <out>/bench/<layer>-<UTC start time>.txt; the result that
// [ToResult] builds lists that file in its Artifacts. [LoadBaseline] accepts
// either such a raw file (or any benchfmt text, e.g. from benchstat
// workflows) or a bench result JSON document, whose raw-output artifact it
// follows.
//
// # Metrics
//
// [ToResult] writes, for every (benchmark, unit):
//
//   - a metric named after the benchmark's base name ("Reconcile"), with the
//     unit, Value = median and Dist = {n, min, max, mean, p50 = median,
//     nearest-rank p95/p99}, labelled
//     {"bench": full name, "unit": unit, "pkg": package relative to the
//     module, "stat": "median"} plus one label per key=value part of the
//     sub-benchmark name ({"n": "1000", "d": "1"}) so that reports can plot
//     a benchmark against its parameters;
//   - the bounds of the confidence interval of the median as two more
//     metrics with the same name and labels except "stat" ("ci_lo",
//     "ci_hi") and a "confidence" label; they are omitted when the interval
//     is unbounded (fewer than 6 samples).
//
// The median metric is written first, so result.Lookup without a "stat"
// label finds it. With a baseline, every compared (benchmark, unit) adds
// "delta_pct" (unit "%"), "p_value" (unit "p") and "baseline" (the
// baseline's median, in the benchmark's unit), labelled {"bench", "unit",
// "pkg", "significant": "true"|"false", "verdict":
// "regression"|"improvement"|"changed"|"~"}. A delta whose baseline median
// is zero has no percentage and gets no delta_pct metric.
package bench
