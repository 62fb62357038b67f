package spam

import (
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
)

// RateLimitInspector returns an inbound-RPC hook for
// overlay.Config.InspectRPC that applies l to every message an RPC
// carries, per (forwarding peer, topic), and removes the over-rate ones
// from the RPC before gossipsub handles it. onLimited (may be nil) is told
// of each removed message. Control messages and subscriptions pass.
//
// The limit runs here and not in a topic validator because gossipsub
// marks a message id as seen before it validates: a copy ignored for its
// forwarder's rate would make the node drop every later copy of that
// message, from honest peers too, as a duplicate. A removed message was
// never seen, so an honest copy still gets through. Errors: ErrConfig for
// a nil limiter or clock.
func RateLimitInspector(l *RateLimiter, clock Clock, onLimited func(from peer.ID, m *pb.Message)) (func(peer.ID, *pubsub.RPC) error, error) {
	if l == nil || clock == nil {
		return nil, fmt.Errorf("%w: RateLimitInspector needs a limiter and a clock", ErrConfig)
	}
	return func(from peer.ID, rpc *pubsub.RPC) error {
		if len(rpc.Publish) == 0 {
			return nil
		}
		now := clock()
		kept := rpc.Publish[:0]
		for _, m := range rpc.Publish {
			if err := l.Allow(now, from, m.GetTopic()); err != nil {
				if onLimited != nil {
					onLimited(from, m)
				}
				continue
			}
			kept = append(kept, m)
		}
		clear(rpc.Publish[len(kept):])
		rpc.Publish = kept
		return nil
	}, nil
}
