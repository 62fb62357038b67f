package sybil

import (
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// meshTracer follows one honest node's mesh for one topic from gossipsub's
// events: Graft adds a peer, Prune removes it, and a closed outbound
// stream (gossipsub's RemovePeer, which drops the peer from every mesh
// without a Prune event) removes it too. gossipsub calls it synchronously
// from its event loop: it only takes a short lock.
type meshTracer struct {
	topic string
	mu    sync.Mutex
	mesh  map[peer.ID]struct{}
}

var _ pubsub.RawTracer = (*meshTracer)(nil)

func newMeshTracer(topic string) *meshTracer {
	return &meshTracer{topic: topic, mesh: map[peer.ID]struct{}{}}
}

// share returns the mesh size and how many of its peers isSybil marks.
func (t *meshTracer) share(isSybil func(peer.ID) bool) (size, sybils int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p := range t.mesh {
		if isSybil(p) {
			sybils++
		}
	}
	return len(t.mesh), sybils
}

// Graft records p joining the mesh.
func (t *meshTracer) Graft(p peer.ID, topic string) {
	if topic != t.topic {
		return
	}
	t.mu.Lock()
	t.mesh[p] = struct{}{}
	t.mu.Unlock()
}

// Prune records p leaving the mesh.
func (t *meshTracer) Prune(p peer.ID, topic string) {
	if topic != t.topic {
		return
	}
	t.mu.Lock()
	delete(t.mesh, p)
	t.mu.Unlock()
}

// OnClosedOutboundStream records p leaving (gossipsub removed the peer).
func (t *meshTracer) OnClosedOutboundStream(p peer.ID) {
	t.mu.Lock()
	delete(t.mesh, p)
	t.mu.Unlock()
}

// The other events are not needed.

func (t *meshTracer) OnNewOutboundStream(peer.ID, protocol.ID)             {}
func (t *meshTracer) Join(string)                                          {}
func (t *meshTracer) Leave(string)                                         {}
func (t *meshTracer) ValidateMessage(*pubsub.Message)                      {}
func (t *meshTracer) DeliverMessage(*pubsub.Message)                       {}
func (t *meshTracer) RejectMessage(*pubsub.Message, string)                {}
func (t *meshTracer) DuplicateMessage(*pubsub.Message)                     {}
func (t *meshTracer) ThrottlePeer(peer.ID)                                 {}
func (t *meshTracer) RecvRPC(*pubsub.RPC)                                  {}
func (t *meshTracer) SendRPC(*pubsub.RPC, peer.ID)                         {}
func (t *meshTracer) SendRPCCompleted(*pubsub.RPC, peer.ID, time.Duration) {}
func (t *meshTracer) DropRPC(*pubsub.RPC, peer.ID)                         {}
func (t *meshTracer) UndeliverableMessage(*pubsub.Message)                 {}
