package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/bench"
	"github.com/strata-lab/strata/layers/catalog"
)

type benchFlags struct {
	baseline  string
	filter    string
	count     int
	benchtime string
	noMacro   bool
}

func newBenchCmd(g *globals) *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "bench [LAYER...]",
		Short: "Run the layers' benchmarks, compare with a baseline, run macro scenarios",
		Long: `Runs the Go benchmarks of each layer (all layers when none is named) with
go test -bench, repeated -count times, summarises them with medians and
confidence intervals (golang.org/x/perf), and writes the raw output to
<out>/bench/<layer>-<UTC time>.txt and a result to <out>/results/. With --baseline, each
benchmark is compared with the baseline's (a raw file from an earlier run,
or its result JSON): delta, p-value, significance. Then the layer's macro
scenarios (simulator studies) run, unless --no-macro.

--quick uses a short benchtime and runs go test with -short, which the
layers' benchmarks honour by skipping their largest configurations.`,
		Example: "  strata bench sync --quick\n  strata bench sync --quick --baseline out/bench/sync-20261127T033635Z.txt",
		RunE: func(cmd *cobra.Command, args []string) error {
			return verdict("bench")(runBench(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, f, args))
		},
	}
	addRunFlags(c, g)
	c.Flags().StringVar(&f.baseline, "baseline", "", "raw benchmark output or result JSON of an earlier run to compare with")
	c.Flags().StringVar(&f.filter, "filter", "", "go test -bench regexp (default: all)")
	c.Flags().IntVar(&f.count, "count", 0, "samples per benchmark (default 6)")
	c.Flags().StringVar(&f.benchtime, "benchtime", "", "go test -benchtime (default 1s, 100ms with --quick)")
	c.Flags().BoolVar(&f.noMacro, "no-macro", false, "skip the macro scenarios")
	return c
}

func runBench(ctx context.Context, stdout, stderr io.Writer, g *globals, f *benchFlags, names []string) (bool, error) {
	root, err := g.moduleRoot()
	if err != nil {
		return false, err
	}
	ds, err := catalog.Select(names)
	if err != nil {
		return false, err
	}
	var base *bench.Suite
	if f.baseline != "" {
		if base, err = bench.LoadBaseline(f.baseline); err != nil {
			return false, err
		}
	}
	allMet := true
	for _, d := range ds {
		started := time.Now()
		opts := bench.Options{ModuleRoot: root, Quick: g.quick, Short: g.quick, Filter: f.filter, Count: f.count,
			Benchtime: f.benchtime, Progress: stderr}
		s, err := bench.Run(ctx, d, opts)
		if err != nil {
			return false, fmt.Errorf("bench %s: %w", d.Name, err)
		}
		if _, err := s.WriteRaw(g.out); err != nil {
			return false, err
		}
		var cmp *bench.Comparison
		if base != nil {
			cmp = bench.Compare(s, base, 0.05)
		}
		if err := bench.WriteText(stdout, s, cmp); err != nil {
			return false, err
		}
		command := "strata bench " + d.Name + quickFlag(g.quick)
		if f.baseline != "" {
			command += " --baseline " + f.baseline
		}
		r := bench.ToResult(s, cmp, g.seed, started, time.Now(), command)
		bench.AddGoals(r, d.BenchGoals)
		_ = r.Evaluate() // every goal added was measured
		met, err := record(stdout, g, r)
		if err != nil {
			return false, err
		}
		allMet = allMet && met
		if !f.noMacro && hasStudies(d.Name) {
			met, err := runStudies(ctx, stdout, stderr, g, d.Name, "all")
			if err != nil {
				return false, err
			}
			allMet = allMet && met
		}
	}
	return allMet, nil
}

func quickFlag(q bool) string {
	if q {
		return " --quick"
	}
	return ""
}
