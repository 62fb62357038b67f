package spam

// Specification constants (SPEC.md, "Wire format").
const (
	// Version is the envelope version this package writes and reads.
	Version = 1
	// HeaderSize is the fixed part before the payload: version, kind,
	// payload length (u32, big-endian).
	HeaderSize = 1 + 1 + 4
	// MaxPayload bounds a payload: a full sync frame (1 MiB). With the
	// largest proof the envelope stays within the overlay's message limit
	// (1 MiB + 4096 bytes).
	MaxPayload = 1 << 20

	// PoWProofSize is the size of a proof-of-work proof: expiry (u64),
	// TTL (u32) and nonce (u64).
	PoWProofSize = 8 + 4 + 8

	// ElementSize is the size of an encoded Ristretto255 element.
	ElementSize = 32
	// ScalarSize is the size of an encoded Ristretto255 scalar.
	ScalarSize = 32
	// HashSize is the size of a SHA-256 digest (Merkle nodes, nullifiers,
	// message hashes).
	HashSize = 32
	// MaxDepth bounds the membership tree's depth, and so the Merkle path
	// a signal carries.
	MaxDepth = 32
	// RLNFixedSize is the size of an RLN proof without its Merkle path:
	// member key, leaf index (u32), depth (u8), epoch (u64), message index
	// (u32), slope commitment, share, signature (R, s).
	RLNFixedSize = ElementSize + 4 + 1 + 8 + 4 + ElementSize + ScalarSize + ElementSize + ScalarSize
)

// Kind is the defence an envelope carries.
type Kind uint8

// Defence kinds (SPEC.md, "Wire format").
const (
	// KindNone: no proof; only the per-peer rate limit and peer scoring
	// stand behind such a message.
	KindNone Kind = 0
	// KindPoW: a Whisper-style proof of work.
	KindPoW Kind = 1
	// KindRLN: a rate-limiting-nullifier signal.
	KindRLN Kind = 2
)

// String names the kind as SPEC.md and the vectors do.
func (k Kind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindPoW:
		return "pow"
	case KindRLN:
		return "rln"
	}
	return "unknown"
}

// Domain-separation labels (SPEC.md, "Procedures"). Each is a fixed
// ASCII string; every hash input that starts with one is unambiguous.
const (
	labelPoW       = "strata/overlay/spam/v1/pow"
	labelMessage   = "strata/overlay/spam/v1/rln/message"
	labelNullifier = "strata/overlay/spam/v1/rln/nullifier"
	dstMember      = "strata/overlay/spam/v1/rln/member"
	dstSlope       = "strata/overlay/spam/v1/rln/slope"
	dstX           = "strata/overlay/spam/v1/rln/x"
	dstNonce       = "strata/overlay/spam/v1/rln/nonce"
	dstChallenge   = "strata/overlay/spam/v1/rln/challenge"
)

// Schnorr signature tags: the first byte of every signed message.
const (
	tagSignal       byte = 0x01
	tagRegistration byte = 0x02
)

// Merkle tree node prefixes.
const (
	prefixLeaf byte = 0x00
	prefixNode byte = 0x01
)
