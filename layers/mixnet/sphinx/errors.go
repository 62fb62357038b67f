package sphinx

import "errors"

// Sentinel errors. Every error the package returns wraps exactly one of
// these (test vectors name them in their "expect" field). Error texts never
// contain key material.
var (
	// ErrBadGeometry: a geometry whose parameters are out of range, an
	// encoded geometry that does not parse, or a key or SURB used with a
	// geometry of another mode.
	ErrBadGeometry = errors.New("sphinx: bad geometry")
	// ErrBadLength: a packet or reply body whose length is not the one the
	// geometry fixes (truncated or padded input), a payload larger than the
	// geometry's payload size, or a LIONESS key or block of a bad size.
	ErrBadLength = errors.New("sphinx: bad length")
	// ErrBadVersion: a packet whose format byte is unknown or names another
	// mode than the geometry's.
	ErrBadVersion = errors.New("sphinx: unknown packet format")
	// ErrWrongEpoch: a packet made for another key epoch than the node
	// key's, or a replay filter that belongs to another epoch than the key
	// (or none at all). The caller may try the key of the packet's epoch.
	ErrWrongEpoch = errors.New("sphinx: wrong key epoch")
	// ErrLowOrderPoint: the X25519 shared secret is all zero (a low-order
	// group element in the packet, or a low-order public key in a path).
	ErrLowOrderPoint = errors.New("sphinx: low-order X25519 point")
	// ErrBadMAC: the header MAC does not verify (altered header, or a
	// packet for another node or key).
	ErrBadMAC = errors.New("sphinx: header MAC mismatch")
	// ErrReplay: the replay filter has seen this packet's replay tag in the
	// current epoch (a replayed packet, or a Bloom-filter false positive).
	ErrReplay = errors.New("sphinx: replayed packet")
	// ErrBadCommand: a routing command that does not parse (unknown type,
	// non-zero reserved bytes), or a path hop whose delay cannot be
	// encoded.
	ErrBadCommand = errors.New("sphinx: bad routing command")
	// ErrBadPayloadTag: the payload's zero tag is not zero after the last
	// decryption (the payload was altered in transit: a tagging attempt).
	ErrBadPayloadTag = errors.New("sphinx: payload integrity tag mismatch")
	// ErrBadPath: a path that is empty, longer than the geometry allows, or
	// holds a public key of the wrong size or encoding.
	ErrBadPath = errors.New("sphinx: bad path")
	// ErrBadSURB: a SURB, SURB slot or SURB key set whose encoding does not
	// parse or does not fit the geometry in use.
	ErrBadSURB = errors.New("sphinx: bad SURB")
	// ErrBadKey: a node key encoding that does not parse.
	ErrBadKey = errors.New("sphinx: bad node key")
	// ErrBadReplayFilter: replay-filter sizing out of range.
	ErrBadReplayFilter = errors.New("sphinx: bad replay filter parameters")
	// ErrRandom: the injected random source failed.
	ErrRandom = errors.New("sphinx: random source failed")
)
