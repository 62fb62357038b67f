package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/attacks/sybil"
	"github.com/strata-lab/strata/testnet/node"
)

// nodeBehaviours lists the node behaviours a node configuration may name
// ("behaviour:" in a node file, "behaviour:" of a testnet group). Adversary
// models that act as nodes register their node.BehaviourFactory here; the
// node runtime itself imports no attack code.
func nodeBehaviours() map[string]node.BehaviourFactory {
	return map[string]node.BehaviourFactory{
		sybil.BehaviourCensor: sybil.CensorBehaviour,
		sybil.BehaviourFlash:  sybil.FlashBehaviour,
	}
}

func newNodeCmd() *cobra.Command {
	var cfgPath, dataDir string
	c := &cobra.Command{
		Use:   "node",
		Short: "Run one Strata node (overlay, data sync, sessions, mixnet role, control API)",
		Long: `Runs one node: a libp2p host on the configured address with gossipsub
(layers/overlay), data sync over libp2p (layers/sync with its bbolt store in
the data directory), 1:1 sessions, one mixnet role (a Loopix client,
provider or mix over Sphinx packets on /strata/mixnet/1.0.0), an HTTP+JSON
control API on the node's own address (status, peers, publish, send,
inbox, mixnet/send, mixnet/inbox, links, partition, ping, shutdown),
Prometheus metrics at /metrics, and an NDJSON trace (trace.ndjson in the
data directory). The identity key and the sync store persist in the data
directory: a node killed with kill -9 and restarted loses nothing it
acknowledged.

Once ready, the node writes its control address to <data-dir>/control.addr.
SIGINT or SIGTERM, or POST /shutdown, stop it cleanly. 'strata testnet'
launches and drives many nodes.`,
		Example: "  strata node --config n000/node.yaml --data-dir n000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := node.LoadConfig(cfgPath)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			return node.Run(cmd.Context(), *cfg, dataDir, node.Options{Behaviours: nodeBehaviours(), Logger: log})
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "node configuration file (YAML)")
	c.Flags().StringVar(&dataDir, "data-dir", "", "directory for the identity, the sync store and the trace")
	c.MarkFlagRequired("config")
	c.MarkFlagRequired("data-dir")
	return c
}
