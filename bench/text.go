package bench

import (
	"fmt"
	"io"
	"text/tabwriter"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"
)

// WriteText writes a short human summary of a suite, and of its comparison
// with a baseline when cmp is not nil: one line per (benchmark, unit) with
// the median, the half-width of its confidence interval in percent and the
// number of samples, then the baseline's median, the change and its
// verdict.
func WriteText(w io.Writer, s *Suite, cmp *Comparison) error {
	deltas := map[key]Delta{}
	if cmp != nil {
		for _, d := range cmp.Deltas {
			deltas[key{d.Pkg, d.Name, d.Procs, d.Unit}] = d
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	pkg := ""
	for _, b := range s.Benchmarks {
		if b.Pkg != pkg {
			pkg = b.Pkg
			fmt.Fprintf(tw, "pkg: %s\n", s.RelPkg(pkg))
		}
		for _, m := range b.Measures {
			cls := benchunit.ClassOf(m.Unit)
			fmt.Fprintf(tw, "  %s\t%s\t%s\t±%s\tn=%d", b.FullName(), m.Unit,
				benchunit.Scale(m.Summary.Center, cls), ciPct(m.Summary), m.Summary.N)
			if d, ok := deltas[key{b.Pkg, b.Name, b.Procs, m.Unit}]; ok {
				change := "~"
				if d.Significant {
					change = fmt.Sprintf("%+.2f%%", d.Pct)
				}
				fmt.Fprintf(tw, "\tbase %s\t%s\tp=%.3f\t%s",
					benchunit.Scale(d.Old.Center, cls), change, d.P, d.Verdict())
			}
			fmt.Fprintln(tw)
		}
	}
	if cmp != nil {
		for _, k := range cmp.OnlyBaseline {
			fmt.Fprintf(tw, "only in baseline: %s\n", k)
		}
		for _, k := range cmp.OnlyCurrent {
			fmt.Fprintf(tw, "not in baseline: %s\n", k)
		}
	}
	return tw.Flush()
}

// ciPct is the larger distance from the centre to a bound of the
// confidence interval, in percent of the centre, as benchstat prints it.
func ciPct(s Summary) string {
	return benchmath.Summary{Center: s.Center, Lo: s.Lo, Hi: s.Hi}.PctRangeString()
}
