package sphinx

import (
	"time"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// Specification constants (SPEC.md, "Wire format").
const (
	// NodeIDSize is the size of a mix node identifier.
	NodeIDSize = 32
	// RecipientSize is the size of a final-hop recipient identifier.
	RecipientSize = 32
	// SURBIDSize is the size of a SURB identifier.
	SURBIDSize = 16
	// MACSize is the size of the header MAC γ (a Poly1305 tag).
	MACSize = 16
	// ADSize is the size of the header's leading additional data: the
	// format byte and the key-epoch byte.
	ADSize = 2
	// X25519Size is the size of an X25519 group element, scalar and
	// shared secret.
	X25519Size = 32
	// KEMPublicKeySize and KEMCiphertextSize are ML-KEM-768's; KEMSeedSize
	// is the size of a node key seed (d ‖ z), KEMEncapsSeedSize the size of
	// the randomness of one encapsulation.
	KEMPublicKeySize  = mlkem768.PublicKeySize
	KEMCiphertextSize = mlkem768.CiphertextSize
	KEMSeedSize       = mlkem768.KeySeedSize
	KEMEncapsSeedSize = mlkem768.EncapsulationSeedSize
	// CommandSize is the size of one encoded routing command:
	// type (1) ‖ delay (4) ‖ address (32) ‖ tail (16).
	CommandSize = 1 + 4 + NodeIDSize + MACSize
	// PayloadTagSize is the size of the zero tag that prefixes the body
	// plaintext and is checked at the final hop.
	PayloadTagSize = 16
	// LionessKeySize is the size of a LIONESS key (four 32-byte subkeys).
	LionessKeySize = 128
	// LionessMinBlockSize and LionessMaxBlockSize bound the LIONESS block.
	LionessMinBlockSize = 64
	LionessMaxBlockSize = 1 << 20
	// ReplayTagSize is the size of a packet's replay tag.
	ReplayTagSize = 32
	// SURBKeySeedSize is the size of the seed of a SURB's reply key.
	SURBKeySeedSize = 32

	// MaxHops bounds the path length of a geometry.
	MaxHops = 16
	// MinPayloadSize and MaxPayloadSize bound a geometry's payload size.
	MinPayloadSize = 64
	MaxPayloadSize = 1 << 16

	// MaxDelay is the largest per-hop delay a command encodes (the wire
	// carries whole milliseconds in 32 bits).
	MaxDelay = time.Duration(1<<32-1) * time.Millisecond
)

// Packet format bytes (the first header byte), one per mode.
const (
	formatX25519   = 0x01
	formatMLKEM768 = 0x02
)

// Routing command types (the first byte of a command).
const (
	cmdForward   = 0x01 // delay ‖ next hop ‖ next MAC
	cmdDeliver   = 0x02 // delay ‖ recipient ‖ 16 zero bytes
	cmdSURBReply = 0x03 // delay ‖ recipient ‖ SURB id
)

// SURB slot markers (the first byte of the body's SURB slot).
const (
	slotEmpty   = 0x00
	slotPresent = 0x01
)

// Key derivation (SPEC.md, "Key derivation").
const (
	// kdfDomain prefixes the per-hop KDF input.
	kdfDomain = "strata-sphinx-v1"
	// Offsets in the per-hop key stream.
	offMAC    = 0
	offBlind  = 32
	offSPRP   = 64
	offRho    = offSPRP + LionessKeySize
	keysBytes = offRho
)

// Geometry encoding.
const (
	geometryVersion = 0x01
	// GeometryEncodingSize is the size of an encoded geometry.
	GeometryEncodingSize = 8
)

// Implementation constants: default geometry.
const (
	DefaultHops        = 5
	DefaultPayloadSize = 2048
)
