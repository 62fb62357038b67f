package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/attacks/session"
	spamattacks "github.com/strata-lab/strata/attacks/spam"
	"github.com/strata-lab/strata/attacks/sybil"
	sybildht "github.com/strata-lab/strata/attacks/sybil/dht"
	"github.com/strata-lab/strata/attacks/trafficanalysis"
	"github.com/strata-lab/strata/internal/gotest"
)

// attackGroups lists the adversary models by command-line group.
func attackGroups() map[string][]attacks.Attack {
	return map[string][]attacks.Attack{"session": session.All(), "trafficanalysis": trafficanalysis.All(),
		"spam": spamattacks.All(), "firstspy": trafficanalysis.FirstSpy(),
		"sybil": append(sybil.All(), sybildht.All()...)}
}

func newAttackCmd(g *globals) *cobra.Command {
	var only, runs string
	c := &cobra.Command{
		Use:   "attack GROUP",
		Short: "Run a group of adversary models and record what each achieved",
		Long: `Runs every adversary model of a group (or one with --only) and writes one
result per attack. An attack on a protocol's checks makes seeded attempts,
counts those the layer accepted (the goal is none) and classifies why it
rejected the others; a traffic-analysis attack runs simulated deployments
and records what the adversary learned (entropy, success rate, ε, rounds).

Groups:
  session  the trust layer: key substitution in the middle (mutual and
           one-way pairing), low-order keys, tampering, replay, expired QR
           codes; the session layer: prekey-bundle key substitution,
           low-order keys, replay, skips beyond the window, skipped-key
           exhaustion, rollback of a restored backup, tampered ciphertexts
           and headers
  trafficanalysis
           the mixnet: a global passive adversary timing every link (delay
           and cover swept, beside no mixing), compromised mixes, the
           statistical disclosure attack, the n−1 flush attack against
           loop detection
  spam     the overlay, in process (simulated network, virtual time): a
           raw-protocol attacker floods invalid messages, IHAVE, IWANT,
           GRAFT/PRUNE and IDONTWANT, and a member floods valid messages at
           10× its allowed rate; each beside the no-attack baseline with the
           defence on and off (validators and peer scoring, per-peer rate
           limits, proof of work, rate-limiting nullifiers with RLN's proof
           cost as delays); honest delivery and latency, spam hops, CPU and
           bandwidth per honest node
  firstspy the overlay, in process: a fraction f of the nodes spy, log who
           first handed them each message and guess that peer published
           it; f swept with no defence (flood publishing on, and off for
           comparison), with the overlay's stem phase (Dandelion++-style)
           and with sending through a simulated mixnet that publishes at
           a gateway; precision and recall against the 1/N line, and the
           latency each defence adds
  sybil    the overlay, in process: raw-protocol Sybils against honest
           gossipsub nodes, with peer scoring on and off beside the
           attack-free baseline: eclipse of the whole network (10:1, the
           ratio then pushed), of one target and of the publishers;
           censorship (all, chosen origins, probability p); covert flash;
           cold boot; attack at dawn; re-GRAFT during backoff; IP
           colocation (naive and one per address per victim); honest
           delivery, latency CDF, Sybil share of meshes over time, time
           until Sybil scores fall below 0 and the graylist; and kad-dht
           routing-table poisoning from K addresses with the diversity
           filter on and off (dht-eclipse)`,
		Example: "  strata attack session --quick\n  strata attack session --only tamper --seed 3\n  strata attack trafficanalysis --only gpa-timing\n  strata attack sybil --quick\n  strata attack spam --quick --only invalid-flood\n  strata attack firstspy --quick\n  strata attack sybil --only eclipse-network --runs scoring=off",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := gotest.ParseRuns(runs)
			if err != nil {
				return err
			}
			ok, err := runAttacks(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, args[0], only, sel)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("attack: %w", errFailed)
			}
			return nil
		},
	}
	addRunFlags(c, g)
	c.Flags().StringVar(&only, "only", "", "run only the attack with this name")
	c.Flags().StringVar(&runs, "runs", "", "run only the runs of a study part whose labels match, as key=value[,key=value], a value listing alternatives as a|b (sybil parts: run=baseline|attack, scoring=on|off, ratio=0|10|20|40, ...)")
	return c
}

func runAttacks(ctx context.Context, stdout, stderr io.Writer, g *globals, group, only string, runs map[string]string) (bool, error) {
	groups := attackGroups()
	as, ok := groups[group]
	if !ok {
		return false, fmt.Errorf("no attack group %q (groups: %v)", group, slices.Sorted(maps.Keys(groups)))
	}
	root, _ := g.moduleRoot() // only studies run through go test need it; they say so
	allMet, ran := true, 0
	for _, a := range as {
		if only != "" && a.Name != only {
			continue
		}
		ran++
		r, err := a.Execute(ctx, attacks.Options{Seed: g.seed, Quick: g.quick, Progress: stderr, Root: root, Runs: runs})
		if err != nil {
			return false, err
		}
		met, err := record(stdout, g, r)
		if err != nil {
			return false, err
		}
		allMet = allMet && met
	}
	if ran == 0 {
		return false, fmt.Errorf("no attack %q in group %s", only, group)
	}
	return allMet, nil
}
