// Package reconcile implements range-based set reconciliation over items
// ordered by (timestamp, id), as specified in layers/sync/SPEC.md, section
// "Range-based reconciliation".
//
// Two parties that each hold a Set exchange Rounds. Each Round partitions the
// whole key space into contiguous ranges; a range carries a salted
// fingerprint of the sender's items in it, the sender's short ids of all its
// items in it, the short ids it lacks, or nothing. The cost in bytes and
// round trips grows with the number of differences d and only
// logarithmically with the set size n.
//
// The package is pure: no I/O, no clock, no randomness (the salt is handed
// in). It knows nothing of the wire encoding; layers/sync maps Rounds to and
// from protobuf.
package reconcile

import (
	"bytes"
	"errors"
)

// Specification constants (SPEC.md, "Range-based reconciliation").
const (
	// IDSize is the size of a message id.
	IDSize = 32
	// FingerprintSize is the size of a range fingerprint.
	FingerprintSize = 8
	// ShortIDSize is the size of a salted short id.
	ShortIDSize = 8
	// MaxPrefixLen is the longest id prefix of a bound.
	MaxPrefixLen = IDSize
)

// Domain-separation labels of the salted hashes.
const (
	FingerprintLabel = "strata/sync/v1/fingerprint"
	ShortIDLabel     = "strata/sync/v1/short-id"
)

// ID is a 32-byte message id.
type ID = [IDSize]byte

// Fingerprint is the salted digest of the items of a range.
type Fingerprint [FingerprintSize]byte

// ShortID is a salted 8-byte digest of one id.
type ShortID [ShortIDSize]byte

// Item is one element of a set: a message's timestamp and id.
type Item struct {
	Timestamp uint64
	ID        ID
}

// Compare orders items by timestamp, then by id bytes.
func (a Item) Compare(b Item) int {
	switch {
	case a.Timestamp < b.Timestamp:
		return -1
	case a.Timestamp > b.Timestamp:
		return 1
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// Bound is an exclusive upper bound of a range: the key (Timestamp, Prefix
// padded with zero bytes to IDSize). An item lies below the bound when its
// (Timestamp, ID) sorts before that key.
type Bound struct {
	Timestamp uint64
	Prefix    []byte // at most MaxPrefixLen bytes
}

// Key returns the bound as an item key (the prefix padded with zeros).
func (b Bound) Key() Item {
	k := Item{Timestamp: b.Timestamp}
	copy(k.ID[:], b.Prefix)
	return k
}

// Mode says what a Range carries.
type Mode uint8

// Range modes; the values are the wire values.
const (
	ModeSkip        Mode = 0
	ModeFingerprint Mode = 1
	ModeIDList      Mode = 2
	ModeNeed        Mode = 3
)

// Range is one range of a Round. Upper is ignored for the last range of a
// Round, which is unbounded above.
type Range struct {
	Upper       Bound
	Mode        Mode
	Fingerprint Fingerprint // ModeFingerprint
	IDs         []ShortID   // ModeIDList, ModeNeed
}

// Round is one message of the protocol.
type Round struct {
	Salt   uint64
	Ranges []Range
}

// Errors a Round can be rejected with.
var (
	// ErrMalformed: the round does not partition the key space (no ranges,
	// bounds not strictly ascending, a prefix longer than IDSize, a prefix
	// with trailing zero bytes, an unknown mode).
	ErrMalformed = errors.New("reconcile: malformed round")
	// ErrTooLarge: the round exceeds Params.MaxRanges or Params.MaxIDs.
	ErrTooLarge = errors.New("reconcile: round exceeds limits")
)
