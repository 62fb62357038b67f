package sync

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Specification constants (SPEC.md, "Wire format" and "Message ids").
const (
	// Version is the frame version this package speaks.
	Version = 1
	// IDSize is the size of group and message ids.
	IDSize = 32
	// MaxFrameBytes bounds an encoded frame.
	MaxFrameBytes = 1 << 20
	// MaxBodyBytes bounds a message body.
	MaxBodyBytes = 64 << 10
	// MaxParents bounds the parents of a message.
	MaxParents = 8
	// MaxIDsPerList bounds each of the acks, offers and requests lists.
	MaxIDsPerList = 4096
	// MaxMessagesPerFrame bounds the messages of a frame.
	MaxMessagesPerFrame = 1024
	// MaxReconcilePerFrame bounds the reconciliation rounds of a frame.
	MaxReconcilePerFrame = 16
	// MessageIDLabel domain-separates message ids.
	MessageIDLabel = "strata/sync/v1/message-id"
)

// ID is a 32-byte message or group id.
type ID = reconcile.ID

// GroupID names a group: an independent synchronisation scope.
type GroupID = ID

// Message is an immutable unit of data in a group.
type Message struct {
	Group     GroupID
	Timestamp uint64 // author's clock, milliseconds since the Unix epoch
	Body      []byte
	Parents   []ID // ascending, unique, at most MaxParents
	Ephemeral bool
}

// ID computes the canonical message id (SPEC.md, "Message ids"):
//
//	SHA-256( lp(label) || lp(group) || u64(timestamp) || lp(body)
//	         || u32(len(parents)) || parent_1 || ... || parent_k || u8(ephemeral) )
//
// where lp(x) = u32(len(x)) || x and all integers are big-endian.
func (m *Message) ID() ID {
	h := sha256.New()
	var n [8]byte
	lp := func(b []byte) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(b)))
		h.Write(n[:4])
		h.Write(b)
	}
	lp([]byte(MessageIDLabel))
	lp(m.Group[:])
	binary.BigEndian.PutUint64(n[:], m.Timestamp)
	h.Write(n[:])
	lp(m.Body)
	binary.BigEndian.PutUint32(n[:4], uint32(len(m.Parents)))
	h.Write(n[:4])
	for i := range m.Parents {
		h.Write(m.Parents[i][:])
	}
	if m.Ephemeral {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var id ID
	h.Sum(id[:0])
	return id
}

// Item is the message's key in reconciliation.
func (m *Message) Item() reconcile.Item { return reconcile.Item{Timestamp: m.Timestamp, ID: m.ID()} }

// Short renders the first 8 bytes of an id in hex, for logs and traces.
func Short(id ID) string { return hex.EncodeToString(id[:8]) }
