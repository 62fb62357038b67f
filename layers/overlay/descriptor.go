package overlay

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the p2p overlay layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "overlay",
	Title:           "P2P overlay: libp2p hosts, gossipsub v1.1 with an explicit peer-score parameter set, DHT and bootstrap discovery",
	Dir:             "layers/overlay",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
	BenchGoals: []layers.BenchGoal{
		{Bench: "MessageID/size=1024", Unit: "sec/op", Op: "<=", Target: 5e-6,
			Anchor: "a message id costs one SHA-256 of the message; at 1 KiB well under the 12 ms per message RLN verification budget"},
	},
}
