package overlay

import (
	"crypto/sha256"
	"encoding/binary"

	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
)

// Specification constants for message ids (SPEC.md, "Message ids").
const (
	// MessageIDLabel domain-separates message ids from every other hash.
	MessageIDLabel = "strata/overlay/v1/message-id"
	// MessageIDSize is the length of a message id in bytes.
	MessageIDSize = 20
)

// MessageID computes the id gossipsub uses to deduplicate, gossip (IHAVE,
// IWANT, IDONTWANT) and score a message:
//
//	SHA-256( lp(label) || lp(topic) || lp(data) )[:20]
//
// where lp(x) = u32be(len(x)) || x. The id depends on the content only:
// messages carry no author and no sequence number (SPEC.md, "Wire
// format"), so that the overlay does not name the publisher. Two identical
// payloads on one topic are one message.
func MessageID(topic string, data []byte) [MessageIDSize]byte {
	h := sha256.New()
	var n [4]byte
	for _, b := range [][]byte{[]byte(MessageIDLabel), []byte(topic), data} {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var id [MessageIDSize]byte
	copy(id[:], h.Sum(nil))
	return id
}

// msgIDFn is MessageID in the form gossipsub takes.
func msgIDFn(m *pubsubpb.Message) string {
	id := MessageID(m.GetTopic(), m.GetData())
	return string(id[:])
}
