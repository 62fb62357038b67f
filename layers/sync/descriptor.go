package sync

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the data sync layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "sync",
	Title:           "Data sync: reliable, causally ordered delivery over delay-tolerant links",
	Dir:             "layers/sync",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
	BenchGoals: []layers.BenchGoal{
		{Bench: "Reconcile/n=1000000/d=1", Unit: "bytes", Op: "<=", Target: 1500,
			Anchor: "Negentropy: 1e6 records differing by one, about 1.5 KB in total"},
		{Bench: "Reconcile/n=1000000/d=1", Unit: "roundtrips", Op: "<=", Target: 3,
			Anchor: "Negentropy: 1e6 records differing by one, about 3 round trips"},
	},
}
