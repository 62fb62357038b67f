package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/strata-lab/strata/reports/result"
)

// record stamps, writes and summarises a result; it reports whether every
// goal was met.
func record(w io.Writer, g *globals, r *result.Result) (bool, error) {
	if r.Commit == "" {
		r.Commit = buildCommit()
	}
	path, err := r.Write(g.out)
	if err != nil {
		return false, err
	}
	met := 0
	for _, gl := range r.Goals {
		if gl.Met {
			met++
		}
	}
	fmt.Fprintf(w, "%s: %d metrics, goals met %d/%d → %s\n", r.Name, len(r.Metrics), met, len(r.Goals), path)
	for _, gl := range r.Goals {
		mark := "✔"
		if !gl.Met {
			mark = "✘"
		}
		fmt.Fprintf(w, "  %s %s%s = %.4g (goal %s %g; %s)\n", mark, gl.Metric, fmtLabels(gl.Labels), gl.Measured, gl.Op, gl.Target, gl.Anchor)
	}
	return r.GoalsMet(), nil
}

func fmtLabels(l map[string]string) string {
	if len(l) == 0 {
		return ""
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return "{" + strings.Join(parts, ",") + "}"
}
