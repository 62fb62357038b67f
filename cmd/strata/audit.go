package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/layers/catalog"
)

func newAuditCmd(g *globals) *cobra.Command {
	var fuzzTime time.Duration
	c := &cobra.Command{
		Use:   "audit [LAYER...]",
		Short: "The main job: vectors, benchmarks, fuzzing, scenarios, then the report",
		Long: `Runs, for every catalogued layer (or those named): the vector check, the
benchmarks (with their macro scenarios), a short fuzzing campaign of every
fuzz target, every simulator study and every adversary model, then renders
the report from all results in <out>/results. With --quick the whole audit fits in about ten
minutes on a 2-core machine. The exit status is non-zero if any check
failed or any goal was missed; the report is written in any case.`,
		Example: "  strata audit --quick\n  strata audit sync --fuzz-time 2m",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, out, errw := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			if _, err := catalog.Select(args); err != nil {
				return err
			}
			if fuzzTime == 0 {
				fuzzTime = time.Minute
				if g.quick {
					fuzzTime = 10 * time.Second
				}
			}
			start := time.Now()
			ok := true
			var failures []string
			step := func(name string, run func() (bool, error)) error {
				fmt.Fprintf(errw, "\n== audit: %s (%s elapsed)\n", name, time.Since(start).Round(time.Second))
				met, err := run()
				if err != nil {
					if errors.Is(err, errFailed) {
						met = false
					} else {
						return fmt.Errorf("%s: %w", name, err)
					}
				}
				if !met {
					ok = false
					failures = append(failures, name)
				}
				return nil
			}
			if err := step("vectors", func() (bool, error) {
				_, err := runVectorsCheck(cmd, g, args)
				return err == nil, err
			}); err != nil {
				return err
			}
			if err := step("benchmarks and macro scenarios", func() (bool, error) {
				return runBench(ctx, out, errw, g, &benchFlags{}, args)
			}); err != nil {
				return err
			}
			if err := step("fuzzing", func() (bool, error) {
				return runFuzz(ctx, out, errw, g, &fuzzFlags{time: fuzzTime, parallel: 1}, args)
			}); err != nil {
				return err
			}
			ds, _ := catalog.Select(args)
			for _, d := range ds {
				for _, s := range studies() {
					if s.layer != d.Name || s.inQuick {
						continue // the quick studies ran with the benchmarks
					}
					if err := step("study "+d.Name+"/"+s.name, func() (bool, error) {
						return runStudies(ctx, out, errw, g, d.Name, s.name)
					}); err != nil {
						return err
					}
				}
			}
			for _, group := range slices.Sorted(maps.Keys(attackGroups())) {
				if err := step("attacks "+group, func() (bool, error) {
					return runAttacks(ctx, out, errw, g, group, "", nil)
				}); err != nil {
					return err
				}
			}
			fmt.Fprintf(errw, "\n== audit: report (%s elapsed)\n", time.Since(start).Round(time.Second))
			path, err := renderReport(out, g)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\naudit finished in %s; report: %s\n", time.Since(start).Round(time.Second), path)
			if !ok {
				fmt.Fprintf(out, "audit: failed steps: %v\n", failures)
				return fmt.Errorf("audit: %w", errFailed)
			}
			return nil
		},
	}
	addRunFlags(c, g)
	c.Flags().DurationVar(&fuzzTime, "fuzz-time", 0, "fuzzing time per target (default 10s with --quick, 1m otherwise)")
	return c
}
