package spam

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/attacks/gossipwire"
	"github.com/strata-lab/strata/layers/overlay"
	ospam "github.com/strata-lab/strata/layers/overlay/spam"
)

// Flood names an attacker's behaviour.
type Flood string

// The floods.
const (
	// FloodInvalid publishes messages that fail the topic validator (not
	// an envelope) at Multiplier × AllowedRate.
	FloodInvalid Flood = "invalid"
	// FloodRate publishes well-formed messages, with whatever proof the
	// defence asks for (an RLN member reusing its message index, so each
	// extra message is a double signal; minted proof of work), at
	// Multiplier × the allowed rate.
	FloodRate Flood = "rate"
	// FloodIHave advertises ihaveIDs fresh message ids per IHAVE that it
	// never serves.
	FloodIHave Flood = "ihave"
	// FloodIWant requests every message id it has seen, and random ones,
	// again and again.
	FloodIWant Flood = "iwant"
	// FloodGraft alternates PRUNE and GRAFT, so that every GRAFT after the
	// first falls in the backoff the PRUNE started.
	FloodGraft Flood = "graft"
	// FloodIDontWant sends IDONTWANT (meshsub 1.2) with idontwantIDs
	// random ids per RPC.
	FloodIDontWant Flood = "idontwant"
)

// Control-flood sizes: as large as gossipsub's own bounds let one RPC be
// (MaxIHaveLength 5000 ids) or larger than it processes (IDONTWANT).
const (
	ihaveIDs     = 5000
	iwantIDs     = 5000
	idontwantIDs = 1000
	// controlRate is the control RPCs per second sent to each neighbour.
	controlRate = 20
)

// attacker is a raw gossipsub peer that floods its honest neighbours.
type attacker struct {
	raw        *gossipwire.Peer
	topic      string
	neighbours []peer.ID
	rng        *rand.Rand

	mu   sync.Mutex
	seen []string // message ids learned from Publish and IHAVE, for IWANT
	have map[string]bool

	sent, failed int // messages (or control RPCs) sent, failed sends
}

// RPC records the message ids the attacker learns.
func (a *attacker) RPC(_ peer.ID, rpc *pb.RPC) {
	a.mu.Lock()
	defer a.mu.Unlock()
	add := func(id string) {
		if !a.have[id] && len(a.seen) < iwantIDs {
			a.have[id] = true
			a.seen = append(a.seen, id)
		}
	}
	for _, m := range rpc.GetPublish() {
		id := overlay.MessageID(m.GetTopic(), m.GetData())
		add(string(id[:]))
	}
	for _, ih := range rpc.GetControl().GetIhave() {
		for _, id := range ih.GetMessageIDs() {
			add(id)
		}
	}
}

// StreamError ignores inbound stream errors (an honest node that
// graylisted the attacker may reset its streams).
func (a *attacker) StreamError(peer.ID, error) {}

// join subscribes to the topic at every neighbour and grafts onto its
// mesh.
func (a *attacker) join(ctx context.Context) error {
	for _, nb := range a.neighbours {
		for _, rpc := range []*pb.RPC{gossipwire.Subscribe(a.topic), gossipwire.Graft(a.topic)} {
			if err := a.raw.Send(ctx, nb, rpc); err != nil {
				return fmt.Errorf("%w: attacker joining %s: %w", ErrStudy, nb, err)
			}
		}
	}
	return nil
}

// spamData builds the attacker's k-th message for a flood.
type spamData func(now time.Time, k int) ([]byte, time.Duration, error)

// payload is the attacker's k-th payload: the marker, k, and filler up
// to a typical chat message.
func payload(k int) []byte {
	b := append([]byte(nil), spamMarker...)
	b = binary.BigEndian.AppendUint32(b, uint32(k))
	return append(b, make([]byte, 64)...)
}

// messageData returns how the attacker builds well-formed flood messages
// for the defences: an RLN signal under message index 0 of the current
// epoch (a double signal after the first of each epoch), a minted proof
// of work (at this machine's measured hash rate), or a plain envelope.
func (ds *defences) messageData(rng *rand.Rand) (spamData, error) {
	atk := len(ds.members) - 1
	switch {
	case ds.d.RLN:
		path, err := ds.registry.Path(ds.leaves[atk])
		if err != nil {
			return nil, err
		}
		m, leaf := ds.members[atk], ds.leaves[atk]
		return func(now time.Time, k int) ([]byte, time.Duration, error) {
			e, err := m.Prove(ospam.SignalParams{LeafIndex: leaf, Path: path, Epoch: ospam.Epoch(now, ds.rlnCfg.EpochPeriod)}, ds.topic, payload(k))
			if err != nil {
				return nil, 0, err
			}
			b, err := e.Encode()
			return b, 0, err
		}, nil
	case ds.d.PoW:
		return func(now time.Time, k int) ([]byte, time.Duration, error) {
			e, tries, err := ospam.Mint(payload(k), now, ospam.MintParams{TTL: powTTL, Target: ds.policy.MinWork, Start: rng.Uint64()})
			if err != nil {
				return nil, 0, err
			}
			b, err := e.Encode()
			return b, hashTime(tries, ds.hashRate), err
		}, nil
	}
	return func(_ time.Time, k int) ([]byte, time.Duration, error) {
		b, err := (&ospam.Envelope{Kind: ospam.KindNone, Payload: payload(k)}).Encode()
		return b, 0, err
	}, nil
}

// invalid is the invalid flood's k-th message: version byte 0xff, then
// the payload; it fails ospam.Decode.
func invalid(_ time.Time, k int) ([]byte, time.Duration, error) {
	return append([]byte{0xff}, payload(k)...), 0, nil
}

// randomIDs returns n random message ids of overlay.MessageIDSize bytes.
func (a *attacker) randomIDs(n int) []string {
	ids := make([]string, n)
	b := make([]byte, overlay.MessageIDSize)
	for i := range ids {
		for j := range b {
			b[j] = byte(a.rng.Uint32())
		}
		ids[i] = string(b)
	}
	return ids
}

// rpcFor builds the k-th control RPC of a control flood.
func (a *attacker) rpcFor(f Flood, k int) *pb.RPC {
	switch f {
	case FloodIHave:
		return gossipwire.IHave(a.topic, a.randomIDs(ihaveIDs))
	case FloodIWant:
		a.mu.Lock()
		ids := append([]string(nil), a.seen...)
		a.mu.Unlock()
		return gossipwire.IWant(append(ids, a.randomIDs(iwantIDs-len(ids))...))
	case FloodGraft:
		if k%2 == 0 {
			return gossipwire.Prune(a.topic, 0)
		}
		return gossipwire.Graft(a.topic)
	case FloodIDontWant:
		return gossipwire.IDontWant(a.randomIDs(idontwantIDs))
	}
	return nil
}

// send sends rpc to every neighbour, counting failures (a neighbour that
// closed the attacker's stream) rather than stopping.
func (a *attacker) send(ctx context.Context, rpc *pb.RPC) {
	for _, nb := range a.neighbours {
		if err := a.raw.Send(ctx, nb, rpc); err != nil {
			a.failed++
			continue
		}
	}
	a.sent++
}

// run floods from start until end at rate items (messages or control
// RPCs) per second to every neighbour. data builds messages for message
// floods (nil for control floods). A message that takes proof time is
// sent when it is ready; the achieved rate is what sent/duration says.
func (a *attacker) run(ctx context.Context, f Flood, data spamData, rate float64, start, end time.Time) error {
	step := time.Duration(float64(time.Second) / rate)
	for k := 0; ; k++ {
		at := start.Add(time.Duration(k) * step)
		if !at.Before(end) || ctx.Err() != nil {
			return nil
		}
		time.Sleep(time.Until(at))
		if data == nil {
			a.send(ctx, a.rpcFor(f, k))
			continue
		}
		b, cost, err := data(time.Now(), k)
		if err != nil {
			return err
		}
		time.Sleep(cost)
		a.send(ctx, gossipwire.Publish(a.topic, b))
	}
}
