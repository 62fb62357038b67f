// Package result defines the versioned document that every bench, fuzz,
// attack, scenario or vectors run writes, and that the report generator reads.
//
// A Result is written as one JSON file under <out>/results/. Nothing in a
// report is typed by hand: every figure comes from a Result, and every goal's
// target and anchor text come from the code that measured it.
package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Schema is the version string of the document format.
const Schema = "strata.result/v1"

// Kind classifies a run.
type Kind string

// The kinds of run.
const (
	KindBench    Kind = "bench"
	KindFuzz     Kind = "fuzz"
	KindAttack   Kind = "attack"
	KindScenario Kind = "scenario"
	KindVectors  Kind = "vectors"
)

func (k Kind) valid() bool {
	switch k {
	case KindBench, KindFuzz, KindAttack, KindScenario, KindVectors:
		return true
	}
	return false
}

// Result is one run's document.
type Result struct {
	Schema    string         `json:"schema"`
	Kind      Kind           `json:"kind"`
	Layer     string         `json:"layer"`
	Name      string         `json:"name"`
	Params    map[string]any `json:"params,omitempty"`
	Seed      int64          `json:"seed"`
	Commit    string         `json:"commit,omitempty"`
	Machine   Machine        `json:"machine"`
	Started   time.Time      `json:"started"`
	Finished  time.Time      `json:"finished"`
	Metrics   []Metric       `json:"metrics"`
	Goals     []Goal         `json:"goals,omitempty"`
	Artifacts []string       `json:"artifacts,omitempty"`
	// Plots declares the figures a report draws from this result's metrics.
	Plots []Plot `json:"plots,omitempty"`
	// Command is the command line that reproduces this result.
	Command string `json:"command,omitempty"`
	// Error is set when the run itself failed (as opposed to missing a goal).
	Error string `json:"error,omitempty"`
}

// Machine describes where a result was measured.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	CPUModel  string `json:"cpu,omitempty"`
}

// Metric is one measured value, optionally with its distribution.
type Metric struct {
	Name   string            `json:"name"`
	Unit   string            `json:"unit"`
	Value  float64           `json:"value"`
	Labels map[string]string `json:"labels,omitempty"`
	Dist   *Dist             `json:"dist,omitempty"`
}

// Dist summarises a distribution. Points, when present, are (x, y) pairs of
// a curve such as a CDF, for plotting.
type Dist struct {
	N      int          `json:"n"`
	Min    float64      `json:"min"`
	P50    float64      `json:"p50"`
	P95    float64      `json:"p95"`
	P99    float64      `json:"p99"`
	Max    float64      `json:"max"`
	Mean   float64      `json:"mean"`
	Points [][2]float64 `json:"points,omitempty"`
}

// Op is a comparison operator of a goal.
type Op string

// Comparison operators.
const (
	OpLE Op = "<="
	OpGE Op = ">="
	OpLT Op = "<"
	OpGT Op = ">"
	OpEQ Op = "=="
)

// Goal is a target that a metric must meet, with the published figure it is
// anchored to.
type Goal struct {
	Metric string            `json:"metric"`
	Labels map[string]string `json:"labels,omitempty"`
	Op     Op                `json:"op"`
	Target float64           `json:"target"`
	Anchor string            `json:"anchor"`
	// Measured is the value of the metric the goal was evaluated against.
	Measured float64 `json:"measured"`
	Met      bool    `json:"met"`
}

// PlotKind is the kind of a figure.
type PlotKind string

// Kinds of figure.
const (
	// PlotLine draws Metric.Value against the numeric label X, one line per
	// value of the label Series.
	PlotLine PlotKind = "line"
	// PlotCDF draws the Dist.Points of each matching metric, one curve per
	// value of the label Series.
	PlotCDF PlotKind = "cdf"
)

// Plot declares one figure over the metrics of the result it belongs to.
// The scenario that measures the metrics declares its plots, so that no
// figure in a report is composed by hand.
type Plot struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Kind   PlotKind `json:"kind"`
	Metric string   `json:"metric"`
	// X is the label key whose (numeric) value is the abscissa of a line plot.
	X string `json:"x,omitempty"`
	// Series is the label key whose value names a curve.
	Series string `json:"series"`
	// Filter restricts the plot to metrics with these labels.
	Filter map[string]string `json:"filter,omitempty"`
	XLabel string            `json:"xlabel"`
	YLabel string            `json:"ylabel"`
	LogX   bool              `json:"logx,omitempty"`
	LogY   bool              `json:"logy,omitempty"`
}

// Errors returned by Validate, Read and Evaluate.
var (
	ErrInvalid       = errors.New("result: invalid document")
	ErrSchema        = errors.New("result: unsupported schema version")
	ErrMetricMissing = errors.New("result: goal refers to a metric that was not measured")
)

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.=/-]*$`)

// New starts a result of the given kind for layer and name, stamped with
// the machine and the start time.
func New(kind Kind, layer, name string, seed int64, started time.Time) *Result {
	return &Result{
		Schema:  Schema,
		Kind:    kind,
		Layer:   layer,
		Name:    name,
		Seed:    seed,
		Machine: ThisMachine(),
		Started: started.UTC(),
		Params:  map[string]any{},
	}
}

// ThisMachine describes the running machine.
func ThisMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Add appends a metric and returns it for further decoration.
func (r *Result) Add(name, unit string, value float64, labels map[string]string) *Metric {
	r.Metrics = append(r.Metrics, Metric{Name: name, Unit: unit, Value: value, Labels: labels})
	return &r.Metrics[len(r.Metrics)-1]
}

// Lookup returns the first metric with the given name whose labels include
// every label in want.
func (r *Result) Lookup(name string, want map[string]string) (Metric, bool) {
	for _, m := range r.Metrics {
		if m.Name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if m.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			return m, true
		}
	}
	return Metric{}, false
}

// Evaluate sets Measured and Met of every goal from the metrics. A goal whose
// metric is missing is not met, and Evaluate returns ErrMetricMissing for it.
func (r *Result) Evaluate() error {
	var errs []error
	for i := range r.Goals {
		g := &r.Goals[i]
		m, ok := r.Lookup(g.Metric, g.Labels)
		if !ok {
			g.Met = false
			g.Measured = math.NaN()
			errs = append(errs, fmt.Errorf("%w: %s %v", ErrMetricMissing, g.Metric, g.Labels))
			continue
		}
		g.Measured = m.Value
		g.Met = g.Op.holds(m.Value, g.Target)
	}
	return errors.Join(errs...)
}

func (o Op) holds(v, target float64) bool {
	switch o {
	case OpLE:
		return v <= target
	case OpGE:
		return v >= target
	case OpLT:
		return v < target
	case OpGT:
		return v > target
	case OpEQ:
		return v == target
	}
	return false
}

// GoalsMet reports whether every goal is met.
func (r *Result) GoalsMet() bool {
	for _, g := range r.Goals {
		if !g.Met {
			return false
		}
	}
	return true
}

// Validate checks that the document is complete and well formed.
func (r *Result) Validate() error {
	if r.Schema != Schema {
		return fmt.Errorf("%w: %q (want %q)", ErrSchema, r.Schema, Schema)
	}
	if !r.Kind.valid() {
		return fmt.Errorf("%w: kind %q", ErrInvalid, r.Kind)
	}
	if !idRE.MatchString(r.Layer) {
		return fmt.Errorf("%w: layer %q", ErrInvalid, r.Layer)
	}
	if !idRE.MatchString(r.Name) {
		return fmt.Errorf("%w: name %q", ErrInvalid, r.Name)
	}
	if r.Started.IsZero() || r.Finished.IsZero() || r.Finished.Before(r.Started) {
		return fmt.Errorf("%w: %s: started %v, finished %v", ErrInvalid, r.Name, r.Started, r.Finished)
	}
	for _, m := range r.Metrics {
		if m.Name == "" || m.Unit == "" {
			return fmt.Errorf("%w: %s: metric without name or unit", ErrInvalid, r.Name)
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return fmt.Errorf("%w: %s: metric %s is not finite", ErrInvalid, r.Name, m.Name)
		}
	}
	for _, p := range r.Plots {
		if !idRE.MatchString(p.ID) || p.Metric == "" || p.Series == "" {
			return fmt.Errorf("%w: %s: plot %q needs an id, a metric and a series label", ErrInvalid, r.Name, p.ID)
		}
		switch p.Kind {
		case PlotCDF:
		case PlotLine:
			if p.X == "" {
				return fmt.Errorf("%w: %s: line plot %q has no x label", ErrInvalid, r.Name, p.ID)
			}
		default:
			return fmt.Errorf("%w: %s: plot %q has kind %q", ErrInvalid, r.Name, p.ID, p.Kind)
		}
	}
	for _, g := range r.Goals {
		switch g.Op {
		case OpLE, OpGE, OpLT, OpGT, OpEQ:
		default:
			return fmt.Errorf("%w: %s: goal %s has operator %q", ErrInvalid, r.Name, g.Metric, g.Op)
		}
		if g.Anchor == "" {
			return fmt.Errorf("%w: %s: goal %s has no anchor", ErrInvalid, r.Name, g.Metric)
		}
	}
	return nil
}

// FileName is the base name under which the result is written: its kind,
// name and seed, so that a rerun with the same seed replaces its earlier
// result and different seeds sit side by side.
func (r *Result) FileName() string {
	n := strings.NewReplacer("/", "_", "=", "-").Replace(r.Name)
	return fmt.Sprintf("%s-%s-seed%d.json", r.Kind, n, r.Seed)
}

// Write validates the result and writes it as indented JSON to
// <outDir>/results/<FileName>, atomically. It returns the path written.
func (r *Result) Write(outDir string) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	dir := filepath.Join(outDir, "results")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := Marshal(r)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.FileName())
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// Marshal encodes the result as indented JSON. Goals whose metric was
// missing carry a NaN measurement, which JSON cannot hold; it is written as 0
// with Met false.
func Marshal(r *Result) ([]byte, error) {
	c := *r
	c.Goals = append([]Goal(nil), r.Goals...)
	for i := range c.Goals {
		if math.IsNaN(c.Goals[i].Measured) {
			c.Goals[i].Measured = 0
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode parses and validates one document. Unknown fields are rejected.
func Decode(b []byte) (*Result, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Read reads and validates one result file.
func Read(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ReadDir reads every *.json result under <outDir>/results, sorted by kind,
// layer and name. A file that does not parse is an error.
func ReadDir(outDir string) ([]*Result, error) {
	paths, err := filepath.Glob(filepath.Join(outDir, "results", "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Result
	for _, p := range paths {
		r, err := Read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Layer != b.Layer {
			return a.Layer < b.Layer
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Seed < b.Seed
	})
	return out, nil
}

// Summarize computes a Dist over samples (which it sorts in place). With
// cdfPoints > 0 it also keeps at most that many points of the empirical CDF.
func Summarize(samples []float64, cdfPoints int) *Dist {
	d := &Dist{N: len(samples)}
	if len(samples) == 0 {
		return d
	}
	sort.Float64s(samples)
	sum := 0.0
	for _, s := range samples {
		sum += s
	}
	d.Min, d.Max = samples[0], samples[len(samples)-1]
	d.Mean = sum / float64(len(samples))
	d.P50 = Quantile(samples, 0.50)
	d.P95 = Quantile(samples, 0.95)
	d.P99 = Quantile(samples, 0.99)
	if cdfPoints > 0 {
		step := max(1, len(samples)/cdfPoints)
		for i := 0; i < len(samples); i += step {
			d.Points = append(d.Points, [2]float64{samples[i], float64(i+1) / float64(len(samples))})
		}
		if last := d.Points[len(d.Points)-1]; last[1] != 1 {
			d.Points = append(d.Points, [2]float64{samples[len(samples)-1], 1})
		}
	}
	return d
}

// Quantile returns the q-quantile of sorted samples by the nearest-rank method.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = min(max(i, 0), len(sorted)-1)
	return sorted[i]
}
