package spam

import (
	"bytes"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// spamMarker starts every payload an attacker floods with, so that the
// observers tell spam from honest traffic by content, in whatever
// envelope it travels. Honest payloads are random bytes behind a prefix
// of their own and never contain it.
var spamMarker = []byte("\x00strata-spam-flood\x00")

// isSpam reports whether message data carries the flood marker.
func isSpam(data []byte) bool { return bytes.Contains(data, spamMarker) }

// observer is one honest node's gossipsub tracer: which spam messages
// reached the node (entered validation, were rejected, or arrived again
// as duplicates), which it accepted (delivered and so forwarded), and how
// many RPC bytes it sent and received, in total and to the attacker.
type observer struct {
	attacker peer.ID

	mu       sync.Mutex
	counting bool
	received map[string]bool
	accepted map[string]bool
	rejected map[string]int
	// honestRej counts honest messages rejected or ignored, by reason.
	honestRej map[string]int
	bytesIn   int64
	bytesOut  int64
	toAtk     int64
	fromAtk   int64
}

func newObserver(attacker peer.ID) *observer {
	return &observer{attacker: attacker, received: map[string]bool{}, accepted: map[string]bool{}, rejected: map[string]int{}, honestRej: map[string]int{}}
}

// count starts or stops the byte counters (they count the attack window
// only; spam is recorded whenever it arrives).
func (o *observer) count(on bool) {
	o.mu.Lock()
	o.counting = on
	o.mu.Unlock()
}

func (o *observer) spam(m *pubsub.Message, accepted bool, reason string) {
	if !isSpam(m.GetData()) {
		if reason != "" {
			o.mu.Lock()
			o.honestRej[reason]++
			o.mu.Unlock()
		}
		return
	}
	id := string(m.GetData())
	o.mu.Lock()
	defer o.mu.Unlock()
	o.received[id] = true
	if accepted {
		o.accepted[id] = true
	}
	if reason != "" {
		o.rejected[reason]++
	}
}

// limited records a message a per-peer rate limit removed before
// gossipsub saw it: neither received nor forwarded.
func (o *observer) limited(m *pb.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if isSpam(m.GetData()) {
		o.rejected[reasonRateLimited]++
	} else {
		o.honestRej[reasonRateLimited]++
	}
}

// reasonRateLimited is the reason recorded for messages a rate limit
// removed.
const reasonRateLimited = "rate limited"

type observed struct {
	received, accepted  int
	rejected, honestRej map[string]int
	bytesIn, bytesOut   int64
	toAtk, fromAtk      int64
}

func (o *observer) snapshot() observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	rej := make(map[string]int, len(o.rejected))
	for k, v := range o.rejected {
		rej[k] = v
	}
	hrej := make(map[string]int, len(o.honestRej))
	for k, v := range o.honestRej {
		hrej[k] = v
	}
	return observed{received: len(o.received), accepted: len(o.accepted), rejected: rej, honestRej: hrej,
		bytesIn: o.bytesIn, bytesOut: o.bytesOut, toAtk: o.toAtk, fromAtk: o.fromAtk}
}

// RawTracer.

func (o *observer) ValidateMessage(m *pubsub.Message)                    { o.spam(m, false, "") }
func (o *observer) DeliverMessage(m *pubsub.Message)                     { o.spam(m, true, "") }
func (o *observer) RejectMessage(m *pubsub.Message, r string)            { o.spam(m, false, r) }
func (o *observer) DuplicateMessage(m *pubsub.Message)                   { o.spam(m, false, "") }
func (o *observer) UndeliverableMessage(*pubsub.Message)                 {}
func (o *observer) Join(string)                                          {}
func (o *observer) Leave(string)                                         {}
func (o *observer) Graft(peer.ID, string)                                {}
func (o *observer) Prune(peer.ID, string)                                {}
func (o *observer) ThrottlePeer(peer.ID)                                 {}
func (o *observer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (o *observer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (o *observer) OnClosedOutboundStream(peer.ID)                       {}
func (o *observer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}

func (o *observer) RecvRPC(rpc *pubsub.RPC) {
	n := int64(proto.Size(&rpc.RPC))
	o.mu.Lock()
	if o.counting {
		o.bytesIn += n
	}
	o.mu.Unlock()
}

func (o *observer) SendRPC(rpc *pubsub.RPC, p peer.ID) {
	n := int64(proto.Size(&rpc.RPC))
	o.mu.Lock()
	if o.counting {
		o.bytesOut += n
		if p == o.attacker {
			o.toAtk += n
		}
	}
	o.mu.Unlock()
}
