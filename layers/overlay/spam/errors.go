package spam

import (
	"errors"

	"github.com/strata-lab/strata/layers"
)

// Sentinel errors. Every error the package returns wraps one of these
// (test vectors name them in their "expect" field). Error texts never
// contain secret keys; a recovered key travels only in Evidence.
var (
	// ErrMalformed: bytes that do not parse as an envelope (truncated,
	// trailing bytes, a field out of its range).
	ErrMalformed = errors.New("spam: malformed envelope")
	// ErrVersion: an envelope version this implementation does not know.
	ErrVersion = errors.New("spam: unsupported envelope version")
	// ErrKind: an unknown defence kind, or an envelope whose kind is not
	// the one the verifier requires.
	ErrKind = errors.New("spam: wrong or unknown defence kind")
	// ErrTooLarge: a payload longer than MaxPayload.
	ErrTooLarge = errors.New("spam: payload too large")
	// ErrNonCanonical: a group element or scalar that is not in its
	// canonical encoding.
	ErrNonCanonical = errors.New("spam: non-canonical encoding")
	// ErrBadKey: a member public key that is the group identity.
	ErrBadKey = errors.New("spam: invalid member public key")

	// ErrInsufficientWork: a proof of work below the required work.
	ErrInsufficientWork = errors.New("spam: insufficient proof of work")
	// ErrExpired: a proof-of-work envelope past its expiry, or one whose
	// send time (expiry − TTL) lies in the future beyond the allowed skew.
	ErrExpired = errors.New("spam: envelope expired or not yet valid")
	// ErrTTL: a TTL of zero or above the policy's maximum.
	ErrTTL = errors.New("spam: TTL out of range")
	// ErrMintExhausted: Mint tried its whole budget of nonces without
	// reaching the target.
	ErrMintExhausted = errors.New("spam: no nonce found within the budget")

	// ErrEpoch: an RLN signal for an epoch outside the accepted window.
	ErrEpoch = errors.New("spam: epoch outside the accepted window")
	// ErrMessageIndex: an RLN message index at or above the per-epoch
	// limit.
	ErrMessageIndex = errors.New("spam: message index at or above the limit")
	// ErrUnknownRoot: a Merkle path that does not lead to an accepted
	// membership root (not a member, or a root too old).
	ErrUnknownRoot = errors.New("spam: membership path does not reach an accepted root")
	// ErrBadShare: a share that does not lie on the line its slope
	// commitment defines (y·G ≠ A0 + x·A1).
	ErrBadShare = errors.New("spam: share does not verify")
	// ErrBadSignature: a Schnorr signature (signal or registration) that
	// does not verify.
	ErrBadSignature = errors.New("spam: bad signature")
	// ErrRemoved: a signal from a member removed after a double signal.
	ErrRemoved = errors.New("spam: member removed")
	// ErrDuplicate: the same message under the same nullifier again: not
	// a violation; drop it without penalty.
	ErrDuplicate = errors.New("spam: duplicate signal")
	// ErrDoubleSignal: a second, different message under a nullifier
	// already seen: the member exceeded its rate and is removed.
	ErrDoubleSignal = errors.New("spam: double signal")
	// ErrCapacity: the verifier's nullifier store is full for now; the
	// message is dropped without penalty.
	ErrCapacity = errors.New("spam: nullifier store full")
	// ErrEvidence: evidence of a double signal that does not verify.
	ErrEvidence = errors.New("spam: evidence does not verify")
	// ErrRateExceeded: a sender has used every message index of the
	// current epoch.
	ErrRateExceeded = errors.New("spam: sender's rate for this epoch is used up")

	// ErrRegistration: a registration with an invalid key or proof of
	// possession, or a key already registered.
	ErrRegistration = errors.New("spam: invalid registration")
	// ErrRegistryFull: every leaf of the membership tree is taken.
	ErrRegistryFull = errors.New("spam: membership tree full")
	// ErrUnknownMember: a leaf index that holds no member.
	ErrUnknownMember = errors.New("spam: unknown member")

	// ErrRateLimited: a peer exceeded its token bucket on a topic.
	ErrRateLimited = errors.New("spam: peer rate limit exceeded")

	// ErrConfig: an invalid configuration or parameter.
	ErrConfig = errors.New("spam: invalid configuration")
	// ErrRandom: the injected random source failed.
	ErrRandom = errors.New("spam: random source failed")
)

// errorNames maps the sentinels a vector may expect to their names.
var errorNames = layers.ErrorNames{
	{Name: "ErrMalformed", Err: ErrMalformed}, {Name: "ErrVersion", Err: ErrVersion}, {Name: "ErrKind", Err: ErrKind},
	{Name: "ErrTooLarge", Err: ErrTooLarge}, {Name: "ErrNonCanonical", Err: ErrNonCanonical}, {Name: "ErrBadKey", Err: ErrBadKey},
	{Name: "ErrInsufficientWork", Err: ErrInsufficientWork}, {Name: "ErrExpired", Err: ErrExpired}, {Name: "ErrTTL", Err: ErrTTL},
	{Name: "ErrMintExhausted", Err: ErrMintExhausted}, {Name: "ErrEpoch", Err: ErrEpoch}, {Name: "ErrMessageIndex", Err: ErrMessageIndex},
	{Name: "ErrUnknownRoot", Err: ErrUnknownRoot}, {Name: "ErrBadShare", Err: ErrBadShare}, {Name: "ErrBadSignature", Err: ErrBadSignature},
	{Name: "ErrRemoved", Err: ErrRemoved}, {Name: "ErrDuplicate", Err: ErrDuplicate}, {Name: "ErrDoubleSignal", Err: ErrDoubleSignal},
	{Name: "ErrCapacity", Err: ErrCapacity}, {Name: "ErrEvidence", Err: ErrEvidence}, {Name: "ErrRateExceeded", Err: ErrRateExceeded},
	{Name: "ErrRegistration", Err: ErrRegistration}, {Name: "ErrRegistryFull", Err: ErrRegistryFull}, {Name: "ErrUnknownMember", Err: ErrUnknownMember},
	{Name: "ErrRateLimited", Err: ErrRateLimited}, {Name: "ErrConfig", Err: ErrConfig}, {Name: "ErrRandom", Err: ErrRandom},
}

// ErrorName names the sentinel err wraps ("valid" for nil); an error that
// wraps several (ErrRegistration with its cause) gets the first listed.
func ErrorName(err error) string { return errorNames.Name(err) }
