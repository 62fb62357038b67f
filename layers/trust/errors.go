package trust

import "errors"

// Errors. Every failure of the codec or of a Pairing wraps exactly one of
// these sentinels (with %w), so that callers, vectors and traces can
// classify it; the abort reason code sent to the peer is derived from it
// (SPEC.md, "ABORT reasons").
var (
	// ErrMalformed: bytes that do not follow the wire format, or break a
	// limit.
	ErrMalformed = errors.New("trust: malformed")
	// ErrVersion: an unknown payload or record version.
	ErrVersion = errors.New("trust: unsupported version")
	// ErrExpired: a payload older than MaxPayloadAge (or from the future
	// beyond MaxClockSkew), or a pairing past its deadline.
	ErrExpired = errors.New("trust: expired")
	// ErrCommitmentMismatch: revealed keys do not match the commitment in
	// the scanned payload, or the payload carried in a KEY record is not
	// the one scanned.
	ErrCommitmentMismatch = errors.New("trust: commitment mismatch")
	// ErrLowOrder: the X25519 shared secret is all zero (a low-order or
	// otherwise invalid peer key).
	ErrLowOrder = errors.New("trust: low-order X25519 key")
	// ErrBadMAC: a confirmation MAC does not verify.
	ErrBadMAC = errors.New("trust: bad confirmation MAC")
	// ErrRoleConflict: both payloads are equal, both devices claim the same
	// role, or the two devices run different modes.
	ErrRoleConflict = errors.New("trust: role conflict")
	// ErrUnexpected: a record that is valid but not expected in the
	// current state (out of order, duplicated).
	ErrUnexpected = errors.New("trust: unexpected record")
	// ErrSASRejected: the user said the short authentication strings
	// differ.
	ErrSASRejected = errors.New("trust: SAS rejected by the user")
	// ErrAborted: the peer sent an ABORT record, or a call was made on a
	// pairing that has already aborted.
	ErrAborted = errors.New("trust: aborted")
	// ErrConfig: an invalid Config.
	ErrConfig = errors.New("trust: invalid config")
	// ErrRandom: the injected randomness source failed.
	ErrRandom = errors.New("trust: randomness source failed")
	// ErrIdentity: a sealed identity blob does not open (wrong key,
	// tampered, wrong direction) or is too large.
	ErrIdentity = errors.New("trust: identity blob does not open")
)

// AbortReason is the one-byte reason code of an ABORT record.
type AbortReason byte

// Abort reason codes (SPEC.md, "ABORT reasons").
const (
	ReasonUnspecified        AbortReason = 0
	ReasonMalformed          AbortReason = 1
	ReasonVersion            AbortReason = 2
	ReasonExpired            AbortReason = 3
	ReasonCommitmentMismatch AbortReason = 4
	ReasonLowOrder           AbortReason = 5
	ReasonBadMAC             AbortReason = 6
	ReasonRoleConflict       AbortReason = 7
	ReasonUnexpected         AbortReason = 8
	ReasonSASRejected        AbortReason = 9
	ReasonUser               AbortReason = 10
)

var reasonErrs = []struct {
	r   AbortReason
	err error
}{
	{ReasonMalformed, ErrMalformed}, {ReasonVersion, ErrVersion}, {ReasonExpired, ErrExpired},
	{ReasonCommitmentMismatch, ErrCommitmentMismatch}, {ReasonLowOrder, ErrLowOrder},
	{ReasonBadMAC, ErrBadMAC}, {ReasonRoleConflict, ErrRoleConflict}, {ReasonUnexpected, ErrUnexpected},
	{ReasonSASRejected, ErrSASRejected}, {ReasonUser, ErrAborted},
}

// reasonOf maps an error to the reason code sent in an ABORT record.
func reasonOf(err error) AbortReason {
	for _, e := range reasonErrs {
		if errors.Is(err, e.err) {
			return e.r
		}
	}
	return ReasonUnspecified
}

// String names the reason.
func (r AbortReason) String() string {
	for _, e := range reasonErrs {
		if e.r == r {
			return e.err.Error()
		}
	}
	return "trust: unspecified"
}
