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
	BenchGoals: []layers.BenchGoal{
		{Bench: "SymmetricRatchet", Unit: "sec/op", Op: "<=", Target: 6e-6,
			Anchor: "encrypt + decrypt of 256 bytes; libsignal measured at about 15 µs per direction"},
		{Bench: "DHRatchetStep", Unit: "x-of-x25519", Op: "<=", Target: 4,
			Anchor: "a DH ratchet step costs at most 4 X25519 multiplications, measured beside one"},
		{Bench: "Handshake", Unit: "cpu-sec/op", Op: "<=", Target: 0.0005,
			Anchor: "full handshake, initiator and responder, within 0.5 ms of CPU"},
		{Bench: "Handshake", Unit: "bytes", Op: "<=", Target: 3072,
			Anchor: "full handshake within 3 KiB on the wire"},
		{Bench: "IdleSession", Unit: "bytes", Op: "<=", Target: 4096,
			Anchor: "an idle serialized session within 4 KiB"},
	},
}
