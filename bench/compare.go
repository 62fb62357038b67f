package bench

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchmath"
)

// DefaultAlpha is the significance level of Compare.
const DefaultAlpha = 0.05

// Comparison is the outcome of comparing a suite against a baseline.
type Comparison struct {
	// Alpha is the significance level: a change is significant when
	// P < Alpha.
	Alpha float64
	// Baseline is where the baseline was read from, if known.
	Baseline string
	// Deltas holds one entry per (benchmark, unit) present in both
	// suites, in the order of the current suite.
	Deltas []Delta
	// OnlyBaseline and OnlyCurrent name the (benchmark, unit) pairs that
	// only one suite has, as "<pkg> <name>-<procs> <unit>".
	OnlyBaseline, OnlyCurrent []string
	// Warnings are benchmath's caveats about comparisons ("need >= 4
	// samples to detect a difference ...").
	Warnings []string
}

// Delta compares one (benchmark, unit) between a baseline and a current
// suite.
type Delta struct {
	Pkg   string
	Name  string
	Procs int
	Unit  string
	// Old and New summarise the baseline and current samples.
	Old, New Summary
	// Pct is the change of the centre in percent, (new/old - 1) * 100; 0
	// when both are equal; NaN when the old centre is 0 and the new is not.
	Pct float64
	// P is the p-value of the hypothesis that both samples come from the
	// same distribution (Mann-Whitney U test). For units declared exact
	// it is 0 when the values differ and 1 when they are equal; for two
	// identical constant samples it is 1.
	P float64
	// Significant reports P < Alpha.
	Significant bool
	// Better is +1 if higher values of the unit are better, -1 if lower
	// values are, 0 if unknown.
	Better int
}

// Verdicts of a Delta.
const (
	VerdictRegression  = "regression"
	VerdictImprovement = "improvement"
	// VerdictChanged is a significant change in a unit whose direction
	// of improvement is unknown.
	VerdictChanged = "changed"
	// VerdictSame means no significant change.
	VerdictSame = "~"
)

// Verdict classifies the delta: VerdictSame when it is not significant (or
// the centres are equal), else VerdictRegression, VerdictImprovement or, for
// units of unknown direction, VerdictChanged.
func (d Delta) Verdict() string {
	if !d.Significant || d.New.Center == d.Old.Center {
		return VerdictSame
	}
	up := d.New.Center > d.Old.Center
	switch {
	case d.Better == 0:
		return VerdictChanged
	case up == (d.Better > 0):
		return VerdictImprovement
	default:
		return VerdictRegression
	}
}

// Compare compares cur against base, per (package, benchmark, GOMAXPROCS,
// unit). alpha <= 0 means DefaultAlpha.
func Compare(cur, base *Suite, alpha float64) *Comparison {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	c := &Comparison{Alpha: alpha, Baseline: base.RawPath}
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	old := map[key]*Measure{}
	for _, b := range base.Benchmarks {
		for _, m := range b.Measures {
			old[key{b.Pkg, b.Name, b.Procs, m.Unit}] = m
		}
	}
	seen := map[key]bool{}
	for _, b := range cur.Benchmarks {
		for _, m := range b.Measures {
			k := key{b.Pkg, b.Name, b.Procs, m.Unit}
			o := old[k]
			if o == nil {
				c.OnlyCurrent = append(c.OnlyCurrent, k.String())
				continue
			}
			seen[k] = true
			d := Delta{
				Pkg: b.Pkg, Name: b.Name, Procs: b.Procs, Unit: m.Unit,
				Old: o.Summary, New: m.Summary,
				Pct:    pct(o.Summary.Center, m.Summary.Center),
				P:      1,
				Better: m.Better,
			}
			switch {
			case m.Exact || o.Exact:
				// Exact units differ or they do not; there is
				// no distribution to test.
				if d.Old.Center != d.New.Center {
					d.P, d.Significant = 0, true
				}
			case constant(o.Values, m.Values):
				// Identical constant samples (allocs/op of 0,
				// say): the U test has nothing to rank.
			default:
				s1 := benchmath.NewSample(append([]float64(nil), o.Values...), th)
				s2 := benchmath.NewSample(append([]float64(nil), m.Values...), th)
				bc := benchmath.AssumeNothing.Compare(s1, s2)
				for _, w := range bc.Warnings {
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s: %v", k, w))
				}
				d.P, d.Significant = bc.P, bc.P < alpha
			}
			c.Deltas = append(c.Deltas, d)
		}
	}
	for _, b := range base.Benchmarks {
		for _, m := range b.Measures {
			if k := (key{b.Pkg, b.Name, b.Procs, m.Unit}); !seen[k] {
				c.OnlyBaseline = append(c.OnlyBaseline, k.String())
			}
		}
	}
	return c
}

// Regressions returns the significant deltas in the wrong direction.
func (c *Comparison) Regressions() []Delta {
	var out []Delta
	for _, d := range c.Deltas {
		if d.Verdict() == VerdictRegression {
			out = append(out, d)
		}
	}
	return out
}

// constant reports whether every value of a and b is the same.
func constant(a, b []float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	v := a[0]
	for _, x := range a {
		if x != v {
			return false
		}
	}
	for _, x := range b {
		if x != v {
			return false
		}
	}
	return true
}

func pct(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.NaN()
	}
	return (new/old - 1) * 100
}

func (k key) String() string {
	name := k.name
	if k.procs != 0 {
		name = fmt.Sprintf("%s-%d", name, k.procs)
	}
	return fmt.Sprintf("%s %s %s", k.pkg, name, k.unit)
}
