package loopix

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the mixnet layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "mixnet",
	Title:           "Transport privacy: Loopix clients, providers and Poisson mixes with cover traffic, adaptive delays and a signed per-epoch directory",
	Dir:             "layers/mixnet/loopix",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
}
