package overlay

import "errors"

// Sentinel errors. Every error the package returns wraps one of these
// (test vectors name them in their "expect" field).
var (
	// ErrTopic: a topic name that does not follow the naming rule
	// (SPEC.md, "Topic names").
	ErrTopic = errors.New("overlay: malformed topic name")
	// ErrTooLarge: a message larger than the topic's limit.
	ErrTooLarge = errors.New("overlay: message too large")
	// ErrEmpty: an empty message, which no Strata topic carries.
	ErrEmpty = errors.New("overlay: empty message")
	// ErrUnknownTopic: a message on a topic the node did not join.
	ErrUnknownTopic = errors.New("overlay: unknown topic")
	// ErrConfig: an invalid Config or parameter set.
	ErrConfig = errors.New("overlay: invalid configuration")
	// ErrIdentity: the identity key file is missing, unreadable or not a
	// private key this package writes.
	ErrIdentity = errors.New("overlay: bad identity key file")
	// ErrRejected: an application validator rejected a message; the peer
	// that forwarded it is penalised (P4).
	ErrRejected = errors.New("overlay: message rejected by validator")
	// ErrIgnored: an application validator ignored a message: it is
	// neither delivered nor forwarded, and no peer is penalised.
	ErrIgnored = errors.New("overlay: message ignored by validator")
)
