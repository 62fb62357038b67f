package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/fuzz"
	"github.com/strata-lab/strata/layers/catalog"
)

type fuzzFlags struct {
	target   string
	time     time.Duration
	parallel int
}

func newFuzzCmd(g *globals) *cobra.Command {
	f := &fuzzFlags{}
	c := &cobra.Command{
		Use:   "fuzz [LAYER...]",
		Short: "Fuzz every fuzz target of the layers and record each campaign",
		Long: `Finds every Fuzz* target in the layers' packages (all layers when none is
named), runs each with go test -fuzz for --time, and writes one result per
target: executions, executions per second, new interesting inputs, corpus
size and crashers. A crasher is written by go test into the package's
testdata/fuzz/<Target>/ directory, where it stays as a regression seed:
commit it with the fix. Progress goes to stderr.`,
		Example: "  strata fuzz --time 10s\n  strata fuzz sync --target FuzzEngine --time 5m",
		RunE: func(cmd *cobra.Command, args []string) error {
			return verdict("fuzz")(runFuzz(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, f, args))
		},
	}
	c.Flags().Int64Var(&g.seed, "seed", 1, "recorded in the results (go's fuzzer draws its own randomness)")
	c.Flags().StringVar(&f.target, "target", "", "regexp selecting targets by name or dir.Name (default: all)")
	c.Flags().DurationVar(&f.time, "time", 30*time.Second, "fuzzing time per target")
	c.Flags().IntVar(&f.parallel, "parallel", 1, "fuzzing workers per target")
	return c
}

func runFuzz(ctx context.Context, stdout, stderr io.Writer, g *globals, f *fuzzFlags, names []string) (bool, error) {
	root, err := g.moduleRoot()
	if err != nil {
		return false, err
	}
	ds, err := catalog.Select(names)
	if err != nil {
		return false, err
	}
	allMet := true
	for _, d := range ds {
		targets, err := fuzz.List(ctx, root, d)
		if err != nil {
			return false, err
		}
		if targets, err = fuzz.Select(targets, f.target); err != nil {
			return false, err
		}
		fmt.Fprintf(stderr, "fuzz %s: %d targets, %v each\n", d.Name, len(targets), f.time)
		var outs []*fuzz.Outcome
		for i, t := range targets {
			fmt.Fprintf(stderr, "fuzz [%d/%d] %s\n", i+1, len(targets), t)
			o, err := fuzz.Run(ctx, t, fuzz.Options{ModuleRoot: root, Time: f.time, Parallel: f.parallel,
				MinimizeTime: 10 * time.Second, Progress: stderr})
			if err != nil && o == nil {
				return false, fmt.Errorf("fuzz %s: %w", t, err)
			}
			outs = append(outs, o)
		}
		for _, r := range fuzz.ToResult(outs, d.Name, g.seed) {
			met, err := record(stdout, g, r)
			if err != nil {
				return false, err
			}
			allMet = allMet && met && r.Error == ""
		}
	}
	return allMet, nil
}
