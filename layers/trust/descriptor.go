package trust

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the trust-establishment layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "trust",
	Title:           "Trust establishment: an authenticated hybrid key between two devices that met (QR code, BQP-like)",
	Dir:             "layers/trust",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
}
