package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Confidence is the confidence level of the intervals in a Summary.
const Confidence = 0.95

// ErrNoBenchmarks is returned when go test output holds no benchmark
// result: the filter matched nothing, or the packages have no benchmarks.
var ErrNoBenchmarks = errors.New("bench: no benchmark results")

// Suite is the parsed output of one benchmark run, or of a baseline file.
type Suite struct {
	// Layer is the name of the layer that was run; empty for a suite
	// parsed from a file.
	Layer string
	// Module is the module path of the module that was run, if known.
	Module string
	// Pattern is the package pattern given to go test ("./layers/sync/...").
	Pattern string
	// Count, Benchtime, Filter and Quick are the effective options of the
	// run; zero for a parsed file.
	Count     int
	Benchtime string
	Filter    string
	Quick     bool
	// Started and Finished bracket the go test invocation.
	Started, Finished time.Time
	// Raw is go test's standard output: benchfmt text.
	Raw []byte
	// RawPath is where Raw was saved (WriteRaw) or read from (Parse of a
	// file); empty until then.
	RawPath string
	// Config holds the file-level configuration of the first result
	// (goos, goarch, cpu, ...), except "pkg", which each Benchmark holds.
	Config map[string]string
	// Benchmarks are in the order of their first result.
	Benchmarks []*Benchmark
	// Warnings lists lines that looked like results but did not parse, and
	// statistical caveats (too few samples for an interval).
	Warnings []string
}

// Benchmark is one benchmark (with its sub-benchmark configuration) of one
// package.
type Benchmark struct {
	// Pkg is the package import path, from the "pkg:" line of the output.
	Pkg string
	// Name is the full benchmark name without the "Benchmark" prefix and
	// without the -GOMAXPROCS suffix: "Reconcile/n=1000/d=1".
	Name string
	// Procs is the GOMAXPROCS suffix of the name, 0 when absent.
	Procs int
	// Measures holds one entry per unit, in the order the units appear.
	Measures []*Measure
}

// Measure is the samples of one benchmark in one unit.
type Measure struct {
	// Unit is the tidied unit: "sec/op", "B/op", "allocs/op", "B/s", or a
	// custom unit as reported.
	Unit string
	// Better is +1 if higher values are better, -1 if lower values are, 0
	// if unknown (custom units without "better" metadata).
	Better int
	// Exact reports that the unit is declared "assume=exact".
	Exact bool
	// Values are the samples, in ascending order.
	Values []float64
	// Summary summarises Values.
	Summary Summary
}

// Summary summarises the samples of a Measure.
type Summary struct {
	N int
	// Center is the median (or, for exact units, the common value).
	Center float64
	// Lo and Hi bound the confidence interval of Center; they are
	// infinite when there are too few samples for one.
	Lo, Hi float64
	// Confidence is the actual confidence level of [Lo, Hi] (at least
	// the requested Confidence).
	Confidence     float64
	Min, Max, Mean float64
	// Warnings are benchmath's caveats ("need >= 6 samples ...").
	Warnings []string
}

// key identifies a (benchmark, unit) across suites.
type key struct {
	pkg, name string
	procs     int
	unit      string
}

// FullName is Name with its -GOMAXPROCS suffix, as go test prints it.
func (b *Benchmark) FullName() string {
	if b.Procs == 0 {
		return b.Name
	}
	return b.Name + "-" + strconv.Itoa(b.Procs)
}

// Base is the name of the benchmark function without "Benchmark":
// "Reconcile" for "Reconcile/n=1000/d=1".
func (b *Benchmark) Base() string {
	base, _, _ := strings.Cut(b.Name, "/")
	return base
}

// Params returns the key=value parts of the sub-benchmark name, in order:
// [["n" "1000"] ["d" "1"]] for "Reconcile/n=1000/d=1". Positional parts
// (without '=') are left out.
func (b *Benchmark) Params() [][2]string {
	var out [][2]string
	parts := strings.Split(b.Name, "/")
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" {
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// Measure returns the measure of the given unit, or nil.
func (b *Benchmark) Measure(unit string) *Measure {
	for _, m := range b.Measures {
		if m.Unit == unit {
			return m
		}
	}
	return nil
}

// Lookup returns the benchmark of package pkg (any package if empty) with
// the given name (without -GOMAXPROCS), or nil.
func (s *Suite) Lookup(pkg, name string) *Benchmark {
	for _, b := range s.Benchmarks {
		if b.Name == name && (pkg == "" || b.Pkg == pkg) {
			return b
		}
	}
	return nil
}

// RelPkg returns pkg relative to the suite's module ("layers/sync"), "."
// for the module's root package, or pkg itself when it is not in the
// module or the module is unknown.
func (s *Suite) RelPkg(pkg string) string {
	if s.Module == "" {
		return pkg
	}
	if pkg == s.Module {
		return "."
	}
	if rel, ok := strings.CutPrefix(pkg, s.Module+"/"); ok {
		return rel
	}
	return pkg
}

// ParseFile parses a benchfmt file (such as one written by WriteRaw).
func ParseFile(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(bytes.NewReader(b), path)
	if s != nil {
		s.RawPath = path
	}
	return s, err
}

// Parse reads benchfmt text (go test -bench output) and summarises it.
// name is used in messages only. Lines that are not results are ignored;
// result lines that do not parse become Warnings. It returns the suite and
// ErrNoBenchmarks if the text holds no result.
func Parse(r io.Reader, name string) (*Suite, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s := &Suite{Raw: raw, Config: map[string]string{}}
	if err := s.parse(name); err != nil {
		return s, err
	}
	return s, nil
}

func (s *Suite) parse(name string) error {
	rd := benchfmt.NewReader(bytes.NewReader(s.Raw), name)
	index := map[[3]string]*Benchmark{} // pkg, name, procs
	values := map[key][]float64{}
	configSet := false
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			s.Warnings = append(s.Warnings, rec.Error())
		case *benchfmt.Result:
			if !configSet {
				for _, c := range rec.Config {
					if c.File && c.Key != "pkg" {
						s.Config[c.Key] = strings.TrimSpace(string(c.Value))
					}
				}
				configSet = true
			}
			pkg := rec.GetConfig("pkg")
			bname, procs := splitProcs(rec.Name)
			ik := [3]string{pkg, bname, strconv.Itoa(procs)}
			b := index[ik]
			if b == nil {
				b = &Benchmark{Pkg: pkg, Name: bname, Procs: procs}
				index[ik] = b
				s.Benchmarks = append(s.Benchmarks, b)
			}
			for _, v := range rec.Values {
				k := key{pkg, bname, procs, v.Unit}
				if b.Measure(v.Unit) == nil {
					b.Measures = append(b.Measures, &Measure{Unit: v.Unit})
				}
				values[k] = append(values[k], v.Value)
			}
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	if len(s.Benchmarks) == 0 {
		return fmt.Errorf("%w in %s", ErrNoBenchmarks, name)
	}
	units := rd.Units()
	for _, b := range s.Benchmarks {
		for _, m := range b.Measures {
			m.Values = values[key{b.Pkg, b.Name, b.Procs, m.Unit}]
			m.Better = units.GetBetter(m.Unit)
			assumption := units.GetAssumption(m.Unit)
			m.Exact = assumption == benchmath.AssumeExact
			m.Summary = summarize(m.Values, assumption)
			for _, w := range m.Summary.Warnings {
				s.Warnings = append(s.Warnings, fmt.Sprintf("%s %s: %s", b.FullName(), m.Unit, w))
			}
		}
	}
	return nil
}

// splitProcs splits the -GOMAXPROCS suffix off a benchmark name.
func splitProcs(n benchfmt.Name) (string, int) {
	base, parts := n.Parts()
	procs := 0
	if len(parts) > 0 {
		last := parts[len(parts)-1]
		if len(last) > 1 && last[0] == '-' {
			if p, err := strconv.Atoi(string(last[1:])); err == nil {
				procs = p
				parts = parts[:len(parts)-1]
			}
		}
	}
	var sb strings.Builder
	sb.Write(base)
	for _, p := range parts {
		sb.Write(p)
	}
	return sb.String(), procs
}

// summarize sorts values in place and summarises them.
func summarize(values []float64, a benchmath.Assumption) Summary {
	sample := benchmath.NewSample(values, &benchmath.DefaultThresholds)
	bs := a.Summary(sample, Confidence)
	sum := Summary{
		N:          len(values),
		Center:     bs.Center,
		Lo:         bs.Lo,
		Hi:         bs.Hi,
		Confidence: bs.Confidence,
	}
	for _, w := range bs.Warnings {
		sum.Warnings = append(sum.Warnings, w.Error())
	}
	if len(values) > 0 {
		sum.Min, sum.Max = values[0], values[len(values)-1]
		t := 0.0
		for _, v := range values {
			t += v
		}
		sum.Mean = t / float64(len(values))
	} else {
		sum.Center, sum.Lo, sum.Hi = math.NaN(), math.NaN(), math.NaN()
	}
	return sum
}

// WriteRaw saves the raw go test output to
// <outDir>/bench/<layer>-<UTC start, 20060102T150405Z>.txt, records the
// path in RawPath and returns it.
func (s *Suite) WriteRaw(outDir string) (string, error) {
	if s.Layer == "" {
		return "", fmt.Errorf("%w: suite has no layer", ErrInvalidOptions)
	}
	dir := filepath.Join(outDir, "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	started := s.Started
	if started.IsZero() {
		started = time.Now()
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.txt", s.Layer, started.UTC().Format("20060102T150405Z")))
	if err := os.WriteFile(p, s.Raw, 0o644); err != nil {
		return "", err
	}
	s.RawPath = p
	return p, nil
}
