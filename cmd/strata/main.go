// Command strata is the Strata toolkit's command line: vectors, benchmarks,
// fuzzing, simulations, attacks and audit reports for every layer of the
// stack. It only parses flags and calls packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// errFailed marks a run that completed but found a failure (a vector
// mismatch, a missed goal); it exits with status 1 without usage text.
var errFailed = errors.New("failed")

// verdict turns what a run returns (all goals met, error) into the
// command's error: errFailed, prefixed by verb, when a goal was missed.
func verdict(verb string) func(ok bool, err error) error {
	return func(ok bool, err error) error {
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: %w", verb, errFailed)
		}
		return nil
	}
}

type globals struct {
	out   string
	root  string
	seed  int64
	quick bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errFailed) {
			fmt.Fprintln(os.Stderr, "strata:", err)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "strata",
		Short: "Research toolkit for secure, private, peer-to-peer messaging protocols",
		Long: `Strata implements a layered messaging protocol stack (trust establishment,
p2p overlay, mixnet, conversational security, data sync, chat) as open
specifications with reference implementations, and runs their test vectors,
benchmarks, fuzzers, simulations and adversary models. Every run writes a
JSON result under <out>/results/; 'strata report' turns them into an audit
report, and 'strata audit' does all of it on built-in defaults.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.out, "out", "out", "output folder for results, traces and reports")
	pf.StringVar(&g.root, "root", "", "root of the Strata checkout (default: found from the working directory)")
	root.AddCommand(newVersionCmd(), newVectorsCmd(g), newBenchCmd(g), newFuzzCmd(g), newSimCmd(g), newAttackCmd(g), newTrustCmd(g), newReportCmd(g), newAuditCmd(g))
	root.AddCommand(newNodeCmd())
	root.AddCommand(newTestnetCmd(g))
	return root
}

// addRunFlags adds the flags of commands that run experiments.
func addRunFlags(c *cobra.Command, g *globals) {
	c.Flags().Int64Var(&g.seed, "seed", 1, "seed of every random choice; the same seed replays the same run")
	c.Flags().BoolVar(&g.quick, "quick", false, "small, fast version of the run")
}
