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
}
