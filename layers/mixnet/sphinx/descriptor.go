package sphinx

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the Sphinx packet-format layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "sphinx",
	Title:           "Sphinx packet format: X25519 or ML-KEM-768 headers, LIONESS body with a zero tag, SURBs, per-epoch replay filters",
	Dir:             "layers/mixnet/sphinx",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
	BenchGoals: []layers.BenchGoal{
		{Bench: "Unwrap", Unit: "x-of-2x25519", Op: "<=", Target: 1.15,
			Anchor: "an X25519 unwrap within 15% of its two scalar multiplications (shared secret, blinding), measured beside them"},
		{Bench: "Unwrap", Unit: "sec/op", Op: "<=", Target: 100e-6,
			Anchor: "X25519, 5 hops, 2 KB payload: Katzenpost 144.7 µs and Nym 157 µs per unwrap (published); target 100 µs per core"},
		{Bench: "UnwrapParallel", Unit: "pkts/s", Op: ">=", Target: 10000,
			Anchor: "at least 10k unwraps per second per core; Loopix measured ~225-300 msg/s per mix, Nym assumes 1000 pkt/s per node"},
		{Bench: "HeaderSize/mode=x25519", Unit: "bytes", Op: "<=", Target: 480,
			Anchor: "X25519 header at 5 hops: Katzenpost 476 B (derived from its geometry)"},
		{Bench: "HeaderSize/mode=mlkem768", Unit: "bytes", Op: "<=", Target: 7200,
			Anchor: "ML-KEM-768 header at 5 hops: Katzenpost 6972 B (derived from its geometry)"},
	},
}
