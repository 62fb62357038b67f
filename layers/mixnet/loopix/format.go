package loopix

import (
	"io"
	"time"
)

// RecipientKind is what the last hop of a packet does with its body.
type RecipientKind uint8

// Recipient kinds (SPEC.md, "Wire format").
const (
	// ToClient: the last hop (a provider) stores the body for client ID.
	ToClient RecipientKind = 1
	// ToDrop: the last hop (a provider) discards the packet (drop cover).
	ToDrop RecipientKind = 2
	// ToNode: the last hop is node ID itself (a mix's loop).
	ToNode RecipientKind = 3
)

func (k RecipientKind) String() string {
	switch k {
	case ToClient:
		return "client"
	case ToDrop:
		return "drop"
	case ToNode:
		return "node"
	}
	return "recipient?"
}

// Recipient is the final destination a packet carries to its last hop.
type Recipient struct {
	Kind RecipientKind
	ID   NodeID
}

// Hop is one node of a route: the node that processes the packet, its
// packet key from the directory, and how long it holds the packet before
// forwarding it (sender-chosen; 0 for providers and for the last hop).
type Hop struct {
	Node  NodeID
	Key   [32]byte
	Delay time.Duration
}

// Route is the path of one packet: Hops[0] is the node the sender hands it
// to, the last hop reads the Recipient and the body.
type Route struct {
	Hops      []Hop
	Recipient Recipient
}

// Opened is a packet processed by one hop.
type Opened struct {
	// Final: this node is the last hop; Recipient and Body are set.
	// Otherwise Next, Delay and Packet are set.
	Final     bool
	Recipient Recipient
	Body      []byte
	Next      NodeID
	Delay     time.Duration
	Packet    []byte
	// Tag is the replay tag: the same packet processed twice at one node
	// gives the same tag; different packets give different tags.
	Tag [32]byte
}

// Format builds packets. Every packet of a format has the geometry's
// PacketSize bytes, whatever its route and body.
type Format interface {
	// Geometry is the shape of every packet.
	Geometry() Geometry
	// NewKey makes node self's packet key for one epoch: the public part
	// for the directory and the Unwrapper that opens packets built for it.
	NewKey(rand io.Reader, self NodeID, epoch uint64) (pub [32]byte, u Unwrapper, err error)
	// Build builds the packet that carries body (at most PayloadSize
	// bytes, padded with zeros) along route, for the keys of epoch. Errors
	// wrap ErrRoute, ErrTooLarge or ErrRandom.
	Build(rand io.Reader, epoch uint64, route Route, body []byte) ([]byte, error)
}

// Unwrapper opens the packets built for one node and one epoch. Errors
// wrap ErrMalformed (wrong size, unknown version) or ErrUnwrap (not for
// this node and epoch, failed integrity check).
type Unwrapper interface {
	Unwrap(packet []byte) (Opened, error)
}
