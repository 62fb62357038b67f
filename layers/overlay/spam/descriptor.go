package spam

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the overlay's spam defences to the tooling. They
// are a part of the overlay, catalogued on their own because the overlay
// plugs them in as validators (this package imports the overlay's types).
var Descriptor = layers.Descriptor{
	Name:            "spam",
	Title:           "Overlay spam defences: envelopes, EIP-627 proof of work, rate-limiting nullifiers with Shamir shares, per-peer rate limits",
	Dir:             "layers/overlay/spam",
	Spec:            spec,
	CheckVector:     Vectors.Check,
	GenerateVectors: Vectors.Generate,
}
