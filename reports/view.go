package reports

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// view is the report's content, computed once and rendered by both the
// HTML and the Markdown renderer, so that the two always say the same.
// All strings are plain text; each renderer escapes them for its format.
type view struct {
	Title     string
	Generated string
	Commit    string
	Summary   summary
	Goals     []goalRow
	Layers    []layerView
	Method    []methodView
}

type summary struct {
	Results    int
	GoalsMet   int
	GoalsTotal int
	Errored    []runRef
}

type runRef struct {
	ID    string // anchor of the run's card
	Name  string
	Error string
}

type goalRow struct {
	Layer    string
	Result   string
	RunID    string
	Metric   string // name and labels
	Anchor   string
	Target   string // operator and target
	Measured string
	Met      bool
}

type layerView struct {
	ID        string // HTML anchor
	Name      string
	Title     string
	Described bool // the layer has a descriptor, hence a SPEC.md
	Spec      []specView
	Vectors   []vectorRow
	Fuzz      []fuzzRow
	Bench     []benchRow
	Runs      []runView
}

type specView struct {
	Heading  string
	Found    bool
	Markdown string        // the section's body, headings demoted for report.md
	HTML     template.HTML // the section's body rendered by markdownToHTML
}

type vectorRow struct {
	Result, RunID string
	File          string
	Pass          bool
	Detail        string
}

type fuzzRow struct {
	Result, RunID  string
	Target         string
	Time           string
	Execs          string
	ExecsPerSec    string
	NewInteresting string
	Crashers       string
	Crashed        bool
}

type benchRow struct {
	Result, RunID string
	Bench         string
	Metric        string // the metric name when it differs from Bench
	Value         string
	Unit          string
	CI            string
	Delta         string
	Labels        string
}

type runView struct {
	ID      string
	Name    string
	Kind    string
	Layer   string
	Seed    string
	Error   string
	Params  []keyValue
	Metrics []metricRow
	// Tabled says which table above shows the metrics not listed in
	// Metrics ("" when every metric is listed).
	Tabled string
	Plots  []plotView
}

type keyValue struct{ Key, Value string }

type metricRow struct {
	Name, Labels, Value, Unit string
	HasDist                   bool
	P50, P95, P99             string
}

type plotView struct {
	ID     string
	Title  string
	File   string // base name under plots/, "" when nothing was drawn
	SVG    []byte
	Inline template.HTML // SVG without its XML prologue
	Notes  []string
	Err    string
}

type methodView struct {
	RunID     string
	Name      string
	Kind      string
	Layer     string
	Seed      string
	Commit    string
	Machine   string
	Started   string
	Finished  string
	Wall      string
	Command   string
	Artifacts []string
}

// kindRank orders the kinds of result inside a layer section as the
// section presents them.
func kindRank(k result.Kind) int {
	switch k {
	case result.KindVectors:
		return 0
	case result.KindFuzz:
		return 1
	case result.KindBench:
		return 2
	case result.KindScenario:
		return 3
	case result.KindAttack:
		return 4
	}
	return 5
}

// buildView computes the report's content from in.
func buildView(in Input) *view {
	v := &view{
		Title:     "Strata audit report",
		Generated: in.Generated.UTC().Format(time.RFC3339),
		Commit:    in.Commit,
	}
	if in.Generated.IsZero() {
		v.Generated = "unknown"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}

	// Layer sections: the descriptors in order, then every other layer
	// that has results, by name.
	index := map[string]int{}
	for _, d := range in.Layers {
		if _, dup := index[d.Name]; dup {
			continue
		}
		index[d.Name] = len(v.Layers)
		lv := layerView{Name: d.Name, Title: d.Title, Described: true}
		for _, h := range specHeadings() {
			body, ok := SpecSection(d.Spec, h)
			lv.Spec = append(lv.Spec, specView{
				Heading:  h,
				Found:    ok,
				Markdown: demoteHeadings(body, 1),
				HTML:     template.HTML(markdownToHTML(body, 1)),
			})
		}
		v.Layers = append(v.Layers, lv)
	}
	var results []*result.Result
	var extra []string
	for _, r := range in.Results {
		if r == nil {
			continue
		}
		results = append(results, r)
		if _, ok := index[r.Layer]; !ok {
			index[r.Layer] = -1
			extra = append(extra, r.Layer)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		index[name] = len(v.Layers)
		v.Layers = append(v.Layers, layerView{Name: name})
	}
	for i := range v.Layers {
		v.Layers[i].ID = fmt.Sprintf("layer-%d", i+1)
	}

	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if index[a.Layer] != index[b.Layer] {
			return index[a.Layer] < index[b.Layer]
		}
		if kindRank(a.Kind) != kindRank(b.Kind) {
			return kindRank(a.Kind) < kindRank(b.Kind)
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Seed < b.Seed
	})

	v.Summary.Results = len(results)
	for n, r := range results {
		id := fmt.Sprintf("run-%d", n+1)
		lv := &v.Layers[index[r.Layer]]
		if r.Error != "" {
			v.Summary.Errored = append(v.Summary.Errored, runRef{ID: id, Name: r.Name, Error: r.Error})
		}
		for _, g := range r.Goals {
			v.Goals = append(v.Goals, goalView(r, g, id))
			v.Summary.GoalsTotal++
			if g.Met {
				v.Summary.GoalsMet++
			}
		}

		rv := runView{
			ID:     id,
			Name:   r.Name,
			Kind:   string(r.Kind),
			Layer:  r.Layer,
			Seed:   strconv.FormatInt(r.Seed, 10),
			Error:  r.Error,
			Params: params(r.Params),
		}
		var shown []result.Metric
		switch r.Kind {
		case result.KindVectors:
			shown = addVectors(lv, r, id)
			rv.Tabled = "vector status"
		case result.KindFuzz:
			shown = addFuzz(lv, r, id)
			rv.Tabled = "fuzzing"
		case result.KindBench:
			shown = addBench(lv, r, id)
			rv.Tabled = "benchmarks"
		default:
			shown = r.Metrics
		}
		if len(shown) == len(r.Metrics) {
			rv.Tabled = ""
		}
		for _, m := range shown {
			rv.Metrics = append(rv.Metrics, metricView(m))
		}
		for _, p := range r.Plots {
			rv.Plots = append(rv.Plots, plotViewOf(r, p))
		}
		lv.Runs = append(lv.Runs, rv)
		v.Method = append(v.Method, methodOf(r, id))
	}
	namePlotFiles(v, results)
	return v
}

func goalView(r *result.Result, g result.Goal, runID string) goalRow {
	row := goalRow{
		Layer:    r.Layer,
		Result:   r.Name,
		RunID:    runID,
		Metric:   g.Metric,
		Anchor:   g.Anchor,
		Target:   string(g.Op) + " " + formatNumber(g.Target),
		Measured: formatNumber(g.Measured),
		Met:      g.Met,
	}
	if l := formatLabels(g.Labels); l != "" {
		row.Metric += " {" + l + "}"
	}
	m, ok := r.Lookup(g.Metric, g.Labels)
	switch {
	case !ok || math.IsNaN(g.Measured):
		row.Measured = "not measured"
	case m.Unit != "":
		row.Target += " " + m.Unit
		row.Measured += " " + m.Unit
	}
	return row
}

func metricView(m result.Metric) metricRow {
	row := metricRow{
		Name:   m.Name,
		Labels: formatLabels(m.Labels),
		Value:  formatNumber(m.Value),
		Unit:   m.Unit,
	}
	if m.Dist != nil {
		row.HasDist = true
		row.P50, row.P95, row.P99 = formatNumber(m.Dist.P50), formatNumber(m.Dist.P95), formatNumber(m.Dist.P99)
	}
	return row
}

func plotViewOf(r *result.Result, p result.Plot) plotView {
	pv := plotView{ID: p.ID, Title: p.Title}
	if pv.Title == "" {
		pv.Title = p.ID
	}
	svg, notes, err := drawPlot(r, p)
	pv.Notes = notes
	switch {
	case errors.Is(err, errNoData):
		pv.Err = fmt.Sprintf("no %s metric of this result matches the figure", p.Metric)
	case err != nil:
		pv.Err = err.Error()
	default:
		pv.SVG = svg
		pv.Inline = template.HTML(inlineSVG(svg)) // gonum escapes every text it writes
	}
	return pv
}

// namePlotFiles gives every drawn plot its file name under plots/: the
// plot's id when no other drawn plot has the same id, otherwise the id
// prefixed with the result's file name (kind, name and seed).
func namePlotFiles(v *view, results []*result.Result) {
	count := map[string]int{}
	for _, l := range v.Layers {
		for _, r := range l.Runs {
			for _, p := range r.Plots {
				if p.SVG != nil {
					count[p.ID]++
				}
			}
		}
	}
	byID := map[string]*result.Result{}
	for n, r := range results {
		byID[fmt.Sprintf("run-%d", n+1)] = r
	}
	used := map[string]bool{}
	for li := range v.Layers {
		for ri := range v.Layers[li].Runs {
			rv := &v.Layers[li].Runs[ri]
			for pi := range rv.Plots {
				p := &rv.Plots[pi]
				if p.SVG == nil {
					continue
				}
				base := fileSafe(p.ID)
				if count[p.ID] > 1 {
					base = fileSafe(strings.TrimSuffix(byID[rv.ID].FileName(), ".json")) + "--" + base
				}
				name := base + ".svg"
				for k := 2; used[name]; k++ {
					name = fmt.Sprintf("%s-%d.svg", base, k)
				}
				used[name] = true
				p.File = name
			}
		}
	}
}

// fileSafe maps an id to a base file name: letters, digits, '.', '_' and
// '-' are kept, anything else (such as '/') becomes '_'.
func fileSafe(id string) string {
	b := []byte(id)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			b[i] = '_'
		}
	}
	s := strings.TrimLeft(string(b), ".")
	if s == "" {
		s = "plot"
	}
	return s
}

func methodOf(r *result.Result, runID string) methodView {
	mv := methodView{
		RunID:     runID,
		Name:      r.Name,
		Kind:      string(r.Kind),
		Layer:     r.Layer,
		Seed:      strconv.FormatInt(r.Seed, 10),
		Commit:    r.Commit,
		Machine:   formatMachine(r.Machine),
		Started:   formatTime(r.Started),
		Finished:  formatTime(r.Finished),
		Command:   r.Command,
		Artifacts: r.Artifacts,
	}
	if mv.Commit == "" {
		mv.Commit = "unknown"
	}
	if !r.Started.IsZero() && !r.Finished.IsZero() {
		mv.Wall = r.Finished.Sub(r.Started).Round(time.Millisecond).String()
	}
	return mv
}

func formatMachine(m result.Machine) string {
	var parts []string
	if m.CPUModel != "" {
		parts = append(parts, m.CPUModel)
	}
	if m.CPUs > 0 {
		parts = append(parts, fmt.Sprintf("%d cores", m.CPUs))
	}
	if m.OS != "" || m.Arch != "" {
		parts = append(parts, m.OS+"/"+m.Arch)
	}
	if m.GoVersion != "" {
		parts = append(parts, m.GoVersion)
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, ", ")
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// formatNumber prints a measured value: integers in full, large values
// with one decimal, others with four significant digits.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1000 && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatLabels prints labels as "k=v, k=v" sorted by key.
func formatLabels(labels map[string]string) string {
	keys := sortedKeys(labels)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// params lists a result's parameters sorted by name. Strings are shown
// as they are, other values as JSON (whose objects have sorted keys).
func params(p map[string]any) []keyValue {
	var out []keyValue
	for _, k := range sortedKeys(p) {
		out = append(out, keyValue{Key: k, Value: formatParam(p[k])})
	}
	return out
}
