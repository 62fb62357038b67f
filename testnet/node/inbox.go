package node

import (
	"sync"
	"time"
)

// Delivery is one message delivered to the application on this node.
type Delivery struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is "gossip" or "sync".
	Kind string `json:"kind"`
	// Topic is the gossip topic, or the sync group's name.
	Topic string `json:"topic"`
	// ID is the message id in hex (overlay or sync id).
	ID string `json:"id"`
	// From is the peer it arrived from (gossip: the forwarding peer; sync:
	// the sending member).
	From string `json:"from"`
	Size int    `json:"size"`
	Data []byte `json:"data,omitempty"`
}

// inbox keeps the latest deliveries in a ring, numbered from 1.
type inbox struct {
	mu   sync.Mutex
	ring []Delivery
	next uint64 // seq of the next delivery
}

func newInbox(size int) *inbox { return &inbox{ring: make([]Delivery, size), next: 1} }

func (b *inbox) add(d Delivery) {
	b.mu.Lock()
	d.Seq = b.next
	b.ring[int(b.next%uint64(len(b.ring)))] = d
	b.next++
	b.mu.Unlock()
}

// since returns deliveries with Seq > after that are still in the ring
// (at most limit), and the seq to ask from next.
func (b *inbox) since(after uint64, limit int, withData bool) ([]Delivery, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := uint64(1)
	if n := uint64(len(b.ring)); b.next > n {
		first = b.next - n
	}
	from := max(after+1, first)
	var out []Delivery
	for s := from; s < b.next && len(out) < limit; s++ {
		d := b.ring[int(s%uint64(len(b.ring)))]
		if !withData {
			d.Data = nil
		}
		out = append(out, d)
	}
	last := after
	if len(out) > 0 {
		last = out[len(out)-1].Seq
	}
	return out, last
}
