package session

import (
	_ "embed"

	"github.com/strata-lab/strata/layers"
)

//go:embed SPEC.md
var spec []byte

// Descriptor describes the conversational-security layer to the tooling.
var Descriptor = layers.Descriptor{
	Name:            "session",
	Title:           "Conversational security: PQXDH-shaped handshake and Double Ratchet with header encryption and a sparse ML-KEM ratchet",
	Dir:             "layers/session",
	Spec:            spec,
	CheckVector:     CheckVector,
	GenerateVectors: GenerateVectors,
}
