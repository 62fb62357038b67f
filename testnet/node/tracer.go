package node

import (
	"encoding/hex"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
)

func msgIDOf(topic string, data []byte) string {
	id := overlay.MessageID(topic, data)
	return hex.EncodeToString(id[:])
}

// gossipTracer turns gossipsub's events into trace events, metrics and
// inbox entries. gossipsub calls it synchronously: it must not block.
type gossipTracer struct {
	n *Node
}

var _ pubsub.RawTracer = gossipTracer{}

// rejectReason maps gossipsub's rejection reasons to the trace's closed
// list.
func rejectReason(reason string, behaviour bool) trace.Reason {
	switch reason {
	case pubsub.RejectValidationIgnored:
		if behaviour {
			return trace.ReasonPolicy
		}
		return trace.ReasonInvalid
	case pubsub.RejectValidationQueueFull:
		return trace.ReasonQueueFull
	case pubsub.RejectValidationThrottled:
		return trace.ReasonRateLimited
	case pubsub.RejectSelfOrigin:
		return trace.ReasonDuplicate
	}
	return trace.ReasonInvalid
}

// DeliverMessage records a first copy delivered (own messages included).
func (g gossipTracer) DeliverMessage(m *pubsub.Message) {
	n := g.n
	now := time.Now()
	id := hex.EncodeToString([]byte(m.ID))
	from := m.ReceivedFrom.String()
	n.metrics.delivered.Inc()
	n.trace.emit(trace.Event{Time: now, Layer: "overlay", Kind: trace.KindDeliver, MsgID: id, Peer: from, Bytes: len(m.Data), Detail: m.GetTopic()})
	if n.syncTopic(m.GetTopic()) {
		return // sync frames go to the sync service, not the inbox
	}
	n.inbox.add(Delivery{Time: now, Kind: "gossip", Topic: m.GetTopic(), ID: id, From: from, Size: len(m.Data), Data: m.Data})
}

// DuplicateMessage records a copy received after the first.
func (g gossipTracer) DuplicateMessage(m *pubsub.Message) {
	g.n.metrics.duplicates.Inc()
	g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindDrop, Reason: trace.ReasonDuplicate,
		MsgID: hex.EncodeToString([]byte(m.ID)), Peer: m.ReceivedFrom.String(), Bytes: len(m.Data), Detail: m.GetTopic()})
}

// RejectMessage records a rejected or ignored message.
func (g gossipTracer) RejectMessage(m *pubsub.Message, reason string) {
	r := rejectReason(reason, g.n.behaviour != nil)
	g.n.metrics.rejected.WithLabelValues(string(r)).Inc()
	g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindDrop, Reason: r,
		MsgID: hex.EncodeToString([]byte(m.ID)), Peer: m.ReceivedFrom.String(), Bytes: len(m.Data), Detail: reason})
}

// UndeliverableMessage records a message the subscriber was too slow for.
func (g gossipTracer) UndeliverableMessage(m *pubsub.Message) {
	g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindDrop, Reason: trace.ReasonQueueFull,
		MsgID: hex.EncodeToString([]byte(m.ID)), Peer: m.ReceivedFrom.String(), Detail: "subscriber too slow"})
}

// Graft and Prune record mesh changes.
func (g gossipTracer) Graft(p peer.ID, topic string) {
	g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindState, Peer: p.String(), Detail: "graft " + topic})
}

// Prune records a peer leaving the mesh.
func (g gossipTracer) Prune(p peer.ID, topic string) {
	g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindState, Peer: p.String(), Detail: "prune " + topic})
}

// DropRPC records an outbound RPC dropped because the peer's queue was
// full; every message it carried is lost to that peer.
func (g gossipTracer) DropRPC(rpc *pubsub.RPC, p peer.ID) {
	for _, m := range rpc.GetPublish() {
		id := msgIDOf(m.GetTopic(), m.GetData())
		g.n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindDrop, Reason: trace.ReasonQueueFull,
			MsgID: id, Peer: p.String(), Bytes: len(m.GetData()), Detail: "outbound rpc"})
	}
}

// The remaining events are not traced.

func (gossipTracer) AddPeer(peer.ID, protocol.ID)                         {}
func (gossipTracer) RemovePeer(peer.ID)                                   {}
func (gossipTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (gossipTracer) OnClosedOutboundStream(peer.ID)                       {}
func (gossipTracer) Join(string)                                          {}
func (gossipTracer) Leave(string)                                         {}
func (gossipTracer) ValidateMessage(*pubsub.Message)                      {}
func (gossipTracer) ThrottlePeer(peer.ID)                                 {}
func (gossipTracer) RecvRPC(*pubsub.RPC)                                  {}
func (gossipTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (gossipTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
