package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/testnet"
)

func newTestnetCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "testnet",
		Short: "Launch and drive local multi-process testnets",
		Long: `Runs testnets of 'strata node' processes on this machine, each node bound to
its own 127.0.x.y address, in its own process group with a parent-death
signal, so that no node outlives the orchestrator.`,
	}
	c.AddCommand(newTestnetRunCmd(g), newTestnetUpCmd(g), newTestnetDownCmd(g))
	return c
}

func newTestnetRunCmd(g *globals) *cobra.Command {
	var seedSet bool
	var nodes int
	c := &cobra.Command{
		Use:   "run SCENARIO.yaml",
		Short: "Run a scenario and write its result",
		Long: `Launches the scenario's nodes, waits until every control API answers, drives
the workload (publishers, rate, size, duration) and the fault timeline
(kill -9, restart, SIGSTOP/SIGCONT, partitions, link changes, churn)
through the control APIs and signals, drains, collects every node's status,
CPU time and peak RSS, stops every node, reads the traces and writes one
result under <out>/results/: delivery rate, latency p50/p95/p99,
duplicates per delivery, bytes, CPU and peak RSS per node. Node data
directories (traces, logs, stores) stay under <out>/testnet/.

Workloads: gossip (publish on a topic), sync (data sync groups), session
(1:1 sessions) and mixnet (clients write to other clients through Loopix
mixes and providers, groups of roles mix, provider and client; the result
adds the time in the network, the mixnet's bytes, CPU and memory per role
with cover traffic, drops by reason and loops back).

The same scenario and seed give the same plan (nodes, identities,
topology, workload, faults): the summary prints its hash.`,
		Example: "  strata testnet run testnet/scenarios/smoke.yaml\n  strata testnet run testnet/scenarios/churn.yaml --seed 7\n  strata testnet run testnet/scenarios/mixnet.yaml\n  strata testnet run testnet/scenarios/gossip-300.yaml --nodes 500",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := testnet.LoadScenario(args[0])
			if err != nil {
				return err
			}
			if nodes > 0 {
				if err := s.Resize(nodes); err != nil {
					return err
				}
			}
			seedSet = cmd.Flags().Changed("seed")
			opts := testnet.Options{Out: g.out, Progress: cmd.ErrOrStderr()}
			if seedSet {
				opts.Seed = g.seed
			}
			r, err := testnet.Run(cmd.Context(), s, opts)
			if r == nil {
				return err
			}
			met, werr := record(cmd.OutOrStdout(), g, r)
			if werr != nil {
				return werr
			}
			fmt.Fprintf(cmd.OutOrStdout(), "  plan %v, delivery set %v\n", r.Params["plan_hash"], r.Params["delivery_set_hash"])
			if err != nil {
				return err
			}
			if !met {
				return fmt.Errorf("testnet: %w", errFailed)
			}
			return nil
		},
	}
	c.Flags().Int64Var(&g.seed, "seed", 1, "seed of the plan (default: the scenario's)")
	c.Flags().IntVar(&nodes, "nodes", 0, "scale the scenario's groups to this many nodes in all (the result is named <scenario>/n=<nodes>)")
	return c
}

func newTestnetUpCmd(g *globals) *cobra.Command {
	var n, subnet int
	c := &cobra.Command{
		Use:   "up",
		Short: "Start N relay nodes and keep them running until interrupted or 'testnet down'",
		Long: `Starts N nodes (all relays on one gossip topic, each bootstrapping from up to
3 earlier nodes), prints their control URLs and writes them to
<out>/testnet/up/state.json, then waits. Ctrl-C, SIGTERM or
'strata testnet down' stop every node.`,
		Example: "  strata testnet up --nodes 8 &\n  curl http://127.0.100.1:39080/status\n  strata testnet down",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return testnet.Up(cmd.Context(), testnet.UpOptions{
				Nodes: n, Subnet: subnet, Seed: g.seed,
				Options: testnet.Options{Out: g.out, Progress: cmd.ErrOrStderr()},
				Ready: func(urls []string) {
					for _, u := range urls {
						fmt.Fprintln(cmd.OutOrStdout(), u)
					}
				},
			})
		},
	}
	c.Flags().IntVar(&n, "nodes", 8, "number of nodes")
	c.Flags().IntVar(&subnet, "subnet", 100, "third octet of the first node's address (127.0.<subnet>.1)")
	c.Flags().Int64Var(&g.seed, "seed", 1, "seed of the identities and the topology")
	return c
}

func newTestnetDownCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the testnet 'testnet up' started",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := testnet.Down(g.out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "stopped %d node process(es)\n", n)
			return nil
		},
	}
}
