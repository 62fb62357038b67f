package loopix

import "errors"

// Sentinel errors. Every error the package returns wraps exactly one of
// these; vector files name them in their "expect" field.
var (
	// ErrMalformed: bytes that do not parse (wrong length, unknown type,
	// a count or length out of bounds, trailing bytes, non-canonical
	// order).
	ErrMalformed = errors.New("loopix: malformed input")
	// ErrVersion: an unknown directory or packet-format version.
	ErrVersion = errors.New("loopix: unsupported version")
	// ErrBadSignature: a directory whose Ed25519 signature does not verify,
	// or that is signed by a key other than the expected authority.
	ErrBadSignature = errors.New("loopix: bad directory signature")
	// ErrDirectory: a directory that parses but is not usable: a layer
	// without mixes, no provider, parameters out of range.
	ErrDirectory = errors.New("loopix: invalid directory")
	// ErrUnwrap: a packet that does not open under this node's keys (wrong
	// node, wrong epoch, failed MAC).
	ErrUnwrap = errors.New("loopix: packet does not open")
	// ErrReplay: a packet whose replay tag was already seen this epoch.
	ErrReplay = errors.New("loopix: replayed packet")
	// ErrRoute: a route the format cannot carry (too many hops, an
	// unknown node, a delay out of range).
	ErrRoute = errors.New("loopix: invalid route")
	// ErrTooLarge: a message body larger than the geometry's payload.
	ErrTooLarge = errors.New("loopix: message too large")
	// ErrQueueFull: the client's send queue is full.
	ErrQueueFull = errors.New("loopix: send queue full")
	// ErrConfig: an invalid configuration.
	ErrConfig = errors.New("loopix: invalid config")
	// ErrRandom: the injected random source failed.
	ErrRandom = errors.New("loopix: random source failed")
)
