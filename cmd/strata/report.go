package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/layers/catalog"
	"github.com/strata-lab/strata/reports"
	"github.com/strata-lab/strata/reports/result"
)

func newReportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "report",
		Short: "Render the audit report from the results in <out>/results",
		Long: `Reads every result document in <out>/results/*.json and writes
<out>/report/index.html (one self-contained file with inline SVG plots) and
<out>/report/report.md (with plots in <out>/report/plots/). Nothing in the
report is typed by hand: every figure, goal and anchor comes from a result.`,
		Example: "  strata report\n  strata report --out /tmp/run1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := renderReport(cmd.OutOrStdout(), g)
			return err
		},
	}
}

func renderReport(w io.Writer, g *globals) (string, error) {
	rs, err := result.ReadDir(g.out)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "", fmt.Errorf("no results in %s/results: run 'strata audit --quick' or another verb first", g.out)
	}
	htmlPath, mdPath, err := reports.WriteFiles(g.out, reports.Input{
		Results: rs, Layers: catalog.All(), Generated: time.Now().UTC(), Commit: buildCommit(),
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w, "report of %d results: %s and %s\n", len(rs), htmlPath, mdPath)
	return htmlPath, nil
}
