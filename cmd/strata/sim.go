package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/mixsim"
	studypkg "github.com/strata-lab/strata/testnet/study"
	"github.com/strata-lab/strata/testnet/syncsim"
)

// study is a simulator study of one layer.
type study struct {
	layer, name, about string
	// inQuick: part of 'all' in quick mode (the audit).
	inQuick bool
	run     func(ctx context.Context, o studypkg.Options) (*result.Result, error)
}

// studies lists every simulator study, by layer.
func studies() []study {
	return []study{
		{"mixnet", "latency", "end-to-end latency p50/p95 vs mean delay 1/μ (3 layers), beside the Erlang model and a no-mixing baseline", true, mixsim.LatencyStudy},
		{"mixnet", "pool", "pool size vs Poisson(λ/μ) (Loopix Lemma 1, χ²) and per-mix entropy vs log2(λ/μ)−1", true, mixsim.PoolStudy},
		{"mixnet", "bandwidth", "client uplink for the desktop and mobile profiles, with the anonymity and what a link observer learns", true, mixsim.BandwidthStudy},
		{"mixnet", "adaptive", "adaptive clients' delays and reported anonymity as traffic falls, beside fixed delays", true, mixsim.AdaptiveStudy},
		{"sync", "churn", "overhead, latency and delivery vs uptime, mode and group size, beside an MVDS profile", true, syncsim.ChurnStudy},
		{"sync", "reconcile", "catch-up bytes and round trips vs set size n and differences d, beside MVDS offers", true, syncsim.ReconcileStudy},
		{"sync", "scale", "10,000 nodes in groups of 10: wall time, events/s, peak memory, delivery", false, syncsim.ScaleStudy},
	}
}

func newSimCmd(g *globals) *cobra.Command {
	var which string
	c := &cobra.Command{
		Use:   "sim LAYER",
		Short: "Run a layer's studies in the deterministic simulator",
		Long: `Runs simulator studies of a layer and writes one result per study under
<out>/results/. The same --seed replays every run identically: the summary
ends with a hash over every run's trace hash, which two runs with one seed
share.

Studies of mixnet (Loopix, 3 layers × 3 mixes, 4 providers, 100 to 1,000
clients; packets in SimFormat, the size of Sphinx with routing in the clear):
  latency    end-to-end latency p50/p95 vs mean delay 1/μ, goal p50 ≤ 3/μ plus
             the link latencies, beside Erlang(3,μ) and a no-mixing baseline
  pool       pool size vs Poisson(λ/μ) (Loopix Lemma 1, χ² per mix) and
             per-mix entropy (Loopix Eq. 5) vs log2(λ/μ) − 1
  bandwidth  client uplink of the desktop and mobile profiles (goal: mobile
             ≤ 2 KB/s) with the anonymity beside it and what an observer learns
  adaptive   delays adaptive clients choose and the anonymity they report as
             traffic falls, beside the fixed default delay

The n−1 (flush) adversary against the mixes' loop detection is an attack:
'strata attack trafficanalysis --only n-1-flush'.

Studies of sync:
  churn      overhead, latency and delivery vs uptime {10,50,90,100}%, mode
             {batch, interactive, interactive+reconcile, mvds} and group size
  reconcile  catch-up bytes and round trips vs n and d, beside MVDS offers
  scale      10,000 nodes in groups of 10 (not part of 'all' with --quick)`,
		Example: "  strata sim sync --quick --seed 7\n  strata sim sync --study reconcile\n  strata sim sync --study scale\n  strata sim mixnet --quick --seed 7\n  strata sim mixnet --study pool",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return verdict("sim")(runStudies(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, args[0], which))
		},
	}
	addRunFlags(c, g)
	c.Flags().StringVar(&which, "study", "all", "study to run: a name, or all")
	return c
}

// hasStudies reports whether a layer has simulator studies.
func hasStudies(layer string) bool {
	for _, s := range studies() {
		if s.layer == layer {
			return true
		}
	}
	return false
}

// runStudies runs the named study (or all) of a layer and reports whether
// every goal was met.
func runStudies(ctx context.Context, stdout, stderr io.Writer, g *globals, layer, which string) (bool, error) {
	var sel []study
	var names []string
	for _, s := range studies() {
		if s.layer != layer {
			continue
		}
		names = append(names, s.name)
		if which == s.name || (which == "all" && (s.inQuick || !g.quick)) {
			sel = append(sel, s)
		}
	}
	if len(names) == 0 {
		return false, fmt.Errorf("no simulator studies for layer %q", layer)
	}
	if len(sel) == 0 {
		return false, fmt.Errorf("no study %q for %s (studies: %v, or all)", which, layer, names)
	}
	allMet := true
	var hashes []string
	for _, s := range sel {
		fmt.Fprintf(stderr, "sim %s/%s: %s\n", layer, s.name, s.about)
		r, err := s.run(ctx, studypkg.Options{Seed: g.seed, Quick: g.quick, Progress: stderr})
		if err != nil {
			return false, fmt.Errorf("%s/%s: %w", layer, s.name, err)
		}
		met, err := record(stdout, g, r)
		if err != nil {
			return false, err
		}
		allMet = allMet && met
		hashes = append(hashes, traceHashes(r)...)
	}
	if len(hashes) > 0 {
		sort.Strings(hashes)
		h := sha256.New()
		for _, x := range hashes {
			fmt.Fprintln(h, x)
		}
		fmt.Fprintf(stdout, "trace hash over %d runs: %x\n", len(hashes), h.Sum(nil))
	}
	return allMet, nil
}

// traceHashes collects the trace hashes a study recorded in its params.
func traceHashes(r *result.Result) []string {
	var out []string
	switch v := r.Params["trace_hashes"].(type) {
	case map[string]string:
		for k, h := range v {
			out = append(out, k+" "+h)
		}
	}
	if h, ok := r.Params["trace_hash"].(string); ok {
		out = append(out, r.Name+" "+h)
	}
	return out
}
