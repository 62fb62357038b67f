// Package reports renders Strata's audit report from result documents
// (package reports/result): one self-contained HTML page,
// out/report/index.html, with every figure inline as SVG and no external
// CSS, scripts or fonts, and its Markdown mirror, out/report/report.md,
// whose figures are SVG files in out/report/plots/.
//
// Render is a pure function of its Input: it reads no clock and no files,
// and the same Input renders to the same bytes. WriteFiles writes the
// rendered files.
//
// # Contents
//
//  1. Title, generation time, commit and a summary: the number of results,
//     goals met out of goals declared, and the runs that failed.
//  2. Goals: every goal of every result, with its anchor text, target,
//     measured value and whether it was met.
//  3. One section per layer, in the order of Input.Layers, then one per
//     other layer that has results (such as "sim"): the layer's SPEC.md
//     sections Requires, Provides, Threat model and Trade-offs (see
//     SpecSection), its vector status, fuzzing and benchmark tables, and
//     one card per result with its parameters, metrics and figures.
//  4. Methodology: for each result, the seed, commit, machine, start and
//     finish times, wall time and the command that reproduces it.
//
// All text that comes from results is escaped. SPEC.md sections are
// rendered by a small converter that understands paragraphs, lists,
// headings, code blocks, inline code and bold, and escapes everything else.
//
// # How results are read
//
// Scenario and attack results are shown as they are: every metric, and
// every figure they declare in Plots. Vectors, fuzz and bench results are
// also collected into one table per layer, by these conventions, which the
// programs that write those results follow:
//
// Vectors (kind "vectors"): a metric with the label "file" reports one
// vector file, named by the label's value; its value is 1 when every case
// in the file had its recorded outcome (pass) and 0 otherwise (fail; any
// value other than 1 is a failure). An optional label "error" says why the
// file failed. Metrics without a "file" label are listed in the result's
// card.
//
// Fuzz (kind "fuzz"): one row per fuzz target, named by the label "target"
// (or, without it, by the result's name), with the metrics "duration"
// (unit "s"), "execs", "execs_per_sec", "new_interesting" and "crashers".
// A target with crashers is flagged. Without a "duration", a result with a
// single target is credited with its wall time, and execs/s is computed
// from execs and the time when it is not reported.
//
// Bench (kind "bench"): one row per metric, grouped by the label "bench"
// (or the metric's name); the value is the median over the runs, and the
// label "ci" is its confidence interval as text. A metric named
// "delta_pct" is the change against the baseline, in percent, of the
// metric of the same "bench" whose unit its label "unit" names (with no
// "unit" label, of the benchmark's only metric); its labels "p" (p-value)
// and "significant" ("false" marks the change "~", not significant) are
// shown beside it. A delta that matches no metric gets a row of its own.
//
// # Figures
//
// Each result.Plot becomes a 16 cm × 10 cm SVG drawn with gonum.org/v1/plot.
// A line plot draws Metric.Value against the numeric label X, one line
// with markers per value of the label Series; a CDF plot draws each
// matching metric's Dist.Points as a step curve. Metrics whose labels
// differ in more than X, Series and the Filter are kept apart, their other
// labels appended to the series name. The legend stands right of the
// axes, where it hides no data. On a logarithmic axis, values ≤ 0 are left
// out and the figure's caption says how many; a figure with nothing to
// draw is replaced by a line that says so.
//
// Series are coloured by plotutil.Color in the order of their sorted
// names. A series whose name contains "mvds" (in any case) is drawn
// dashed: MVDS is the baseline design that the others are measured
// against, and the dash makes it stand out whatever its colour.
//
// Fonts are not embedded: the SVGs name Liberation Sans, which gonum
// measures text with, and the metric-compatible Arial and Helvetica, then
// sans-serif. A figure is typically 5 to 50 KB.
package reports
