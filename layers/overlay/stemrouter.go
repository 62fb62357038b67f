package overlay

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// StemStats counts what a node's stem phase did.
type StemStats struct {
	// Originated counts own messages handed to a stem relay.
	Originated uint64
	// Relayed counts other nodes' stem messages forwarded to a relay.
	Relayed uint64
	// Diffused counts stem messages fluffed because the node is a
	// diffuser in the epoch.
	Diffused uint64
	// FailSafes counts messages fluffed by the fail-safe timer.
	FailSafes uint64
	// Loops counts stem messages that came back to a node holding them.
	Loops uint64
	// NoRelay counts messages fluffed because no stem relay took them
	// (none known, or every one failed or refused).
	NoRelay uint64
	// Refused counts stem frames this node refused (malformed, invalid,
	// unknown topic).
	Refused uint64
}

// stemEntry is a message the node holds on the stem.
type stemEntry struct {
	topic  string
	data   []byte
	origin bool
	// retried: the origin sent it to its other relay after a loop.
	retried bool
	// sentTo is the relay the node handed it to ("" before).
	sentTo peer.ID
	timer  *time.Timer
}

type relayChoice struct {
	epoch  uint64
	relays []peer.ID
}

// stemRouter runs a node's stem phase: the stream handler, the held
// messages and their fail-safe timers. Decisions come from its policy.
type stemRouter struct {
	o      *Overlay
	pol    stemPolicy
	onStem func(from peer.ID, topic string, data []byte)

	mu        sync.Mutex
	held      map[string]*stemEntry
	done      map[string]time.Time
	lastSweep time.Time
	cache     map[string]relayChoice
	stats     StemStats
}

// newStem sets up the stem phase of o (Config.Stem.Enabled); start
// registers its stream handler once the topics are joined.
func (o *Overlay) newStem() error {
	c := o.cfg.Stem.withDefaults()
	src := c.Rand
	if src == nil {
		src = rand.Reader
	}
	r := &stemRouter{o: o, onStem: c.OnStem, held: map[string]*stemEntry{}, done: map[string]time.Time{}, cache: map[string]relayChoice{},
		pol: stemPolicy{q: c.FluffProbability, epoch: time.Duration(c.Epoch), failSafe: time.Duration(c.FailSafe)}}
	if _, err := io.ReadFull(src, r.pol.key[:]); err != nil {
		return fmt.Errorf("%w: reading the stem key from Stem.Rand: %w", ErrConfig, err)
	}
	o.stem = r
	context.AfterFunc(o.ctx, r.stop)
	return nil
}

// stop disarms every fail-safe timer when the overlay's context ends.
func (r *stemRouter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, e := range r.held {
		e.timer.Stop()
		delete(r.held, id)
	}
}

// observe wraps a topic's gossip validator: every message accepted there
// (received through gossip or published here) ends its stem at this node.
func (r *stemRouter) observe(v pubsub.ValidatorEx) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		res := v(ctx, from, m)
		if res == pubsub.ValidationAccept {
			r.seen(m.GetTopic(), m.GetData())
		}
		return res
	}
}

// StemStats returns the stem phase's counters (zero with the stem off).
func (o *Overlay) StemStats() StemStats {
	if o.stem == nil {
		return StemStats{}
	}
	o.stem.mu.Lock()
	defer o.stem.mu.Unlock()
	return o.stem.stats
}

// publish starts the stem of an own message: hold it, arm the origin's
// fail-safe, hand it to the first relay of the epoch.
func (r *stemRouter) publish(topic string, data []byte) error {
	id := string(msgKey(topic, data))
	r.mu.Lock()
	if _, ok := r.held[id]; ok || !r.done[id].IsZero() {
		r.mu.Unlock()
		return nil // a duplicate: gossip has it or the stem carries it
	}
	e := &stemEntry{topic: topic, data: data, origin: true}
	r.held[id] = e
	e.timer = time.AfterFunc(r.pol.failSafe, func() { r.fluff(id, &r.stats.FailSafes) })
	r.mu.Unlock()
	return r.forward(id, e, "")
}

func msgKey(topic string, data []byte) []byte {
	id := MessageID(topic, data)
	return id[:]
}

// handle serves one stem stream: one frame in, one status byte out.
func (r *stemRouter) handle(s network.Stream) {
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(stemIOTimeout)) // a stream that cannot take deadlines still ends with the connection
	from := s.Conn().RemotePeer()
	f, err := readStemFrame(s, r.o.cfg.Params.MaxMessageBytes)
	if err == nil {
		err = r.check(from, f)
	}
	if _, werr := s.Write([]byte{stemStatus(err)}); werr != nil && err == nil {
		err = fmt.Errorf("overlay: stem status to %s: %w", from, werr)
	}
	if err != nil {
		r.mu.Lock()
		r.stats.Refused++
		r.mu.Unlock()
		if rep := r.o.cfg.OnInvalid; rep != nil {
			rep(f.Topic, from, f.Data, err)
		}
		return
	}
	if r.onStem != nil {
		r.onStem(from, f.Topic, f.Data)
	}
	go r.receive(from, f)
}

// check applies the topic's validation to a stem message, as gossip would.
func (r *stemRouter) check(from peer.ID, f StemFrame) error {
	if _, err := r.o.Topic(f.Topic); err != nil {
		return err
	}
	if app := r.o.cfg.Validators[f.Topic]; app != nil {
		return app(r.o.ctx, from, f.Topic, f.Data)
	}
	return nil
}

// receive handles another node's stem message.
func (r *stemRouter) receive(from peer.ID, f StemFrame) {
	id := string(msgKey(f.Topic, f.Data))
	r.mu.Lock()
	if !r.done[id].IsZero() {
		r.mu.Unlock()
		return // already in gossip here: the stem ended
	}
	if e, ok := r.held[id]; ok {
		r.stats.Loops++
		if e.origin && !e.retried {
			e.retried = true
			r.mu.Unlock()
			_ = r.forward(id, e, e.sentTo) // failures fluff inside forward
			return
		}
		r.mu.Unlock()
		r.fluff(id, nil)
		return
	}
	e := &stemEntry{topic: f.Topic, data: f.Data}
	r.held[id] = e
	full := len(r.held) > maxStemEntries
	diffuse := r.pol.diffuser(r.pol.epochOf(time.Now()))
	e.timer = time.AfterFunc(r.pol.relayTimeout([]byte(id)), func() { r.fluff(id, &r.stats.FailSafes) })
	r.mu.Unlock()
	if diffuse || full {
		r.fluff(id, &r.stats.Diffused)
		return
	}
	_ = r.forward(id, e, from)
}

// forward hands a held message to a relay of the epoch: the first relay
// for own messages, the routed one for others' (never back to from while
// another relay exists), the other relay if that fails. With no relay, the
// node fluffs the message itself.
func (r *stemRouter) forward(id string, e *stemEntry, from peer.ID) error {
	ep := r.pol.epochOf(time.Now())
	relays := r.relays(ep, e.topic)
	first := 0
	if !e.origin && len(relays) == StemRelays {
		first = r.pol.route(ep, e.topic, from)
	}
	var order []peer.ID
	for i := range relays {
		p := relays[(first+i)%len(relays)]
		if p != from {
			order = append(order, p)
		}
	}
	frame, err := AppendStemFrame(nil, StemFrame{Topic: e.topic, Data: e.data}, r.o.cfg.Params.MaxMessageBytes)
	if err != nil {
		r.fluff(id, nil)
		return err
	}
	var errs []error
	for _, p := range order {
		if err := r.send(p, frame); err != nil {
			errs = append(errs, err)
			continue
		}
		r.mu.Lock()
		switch {
		case e.sentTo != "":
			// the origin's second send after a loop: counted once
		case e.origin:
			r.stats.Originated++
		default:
			r.stats.Relayed++
		}
		e.sentTo = p
		r.mu.Unlock()
		return nil
	}
	r.fluff(id, &r.stats.NoRelay)
	return nil
}

// relays returns the epoch's stem relays for topic: peers subscribed to it
// that speak StemProtocol, chosen once per epoch and again only when a
// chosen one disconnects.
func (r *stemRouter) relays(ep uint64, topic string) []peer.ID {
	h := r.o.Host
	r.mu.Lock()
	c, ok := r.cache[topic]
	r.mu.Unlock()
	if ok && c.epoch == ep && len(c.relays) == StemRelays {
		live := true
		for _, p := range c.relays {
			live = live && h.Network().Connectedness(p) == network.Connected
		}
		if live {
			return c.relays
		}
	}
	var cands []peer.ID
	for _, p := range r.o.PubSub.ListPeers(topic) {
		if ps, err := h.Peerstore().SupportsProtocols(p, StemProtocol); err == nil && len(ps) > 0 {
			cands = append(cands, p)
		}
	}
	rs := r.pol.relays(ep, topic, cands)
	r.mu.Lock()
	r.cache[topic] = relayChoice{epoch: ep, relays: rs}
	r.mu.Unlock()
	return rs
}

// send hands one frame to relay p and reads its status.
func (r *stemRouter) send(p peer.ID, frame []byte) error {
	ctx, cancel := context.WithTimeout(r.o.ctx, stemIOTimeout)
	defer cancel()
	s, err := r.o.Host.NewStream(ctx, p, StemProtocol)
	if err != nil {
		return fmt.Errorf("overlay: stem stream to %s: %w", p, err)
	}
	defer s.Close()
	_ = s.SetDeadline(time.Now().Add(stemIOTimeout)) // see handle
	if _, err := s.Write(frame); err != nil {
		s.Reset()
		return fmt.Errorf("overlay: stem frame to %s: %w", p, err)
	}
	if err := s.CloseWrite(); err != nil {
		s.Reset()
		return fmt.Errorf("overlay: stem frame to %s: %w", p, err)
	}
	var st [1]byte
	if _, err := io.ReadFull(s, st[:]); err != nil {
		return fmt.Errorf("overlay: stem status from %s: %w", p, err)
	}
	return stemStatusError(st[0])
}

// fluff ends the stem of a held message here: the node publishes it into
// gossipsub. counter (may be nil) counts why.
func (r *stemRouter) fluff(id string, counter *uint64) {
	r.mu.Lock()
	e, ok := r.held[id]
	if !ok {
		r.mu.Unlock()
		return
	}
	delete(r.held, id)
	e.timer.Stop()
	r.markDone(id)
	if counter != nil {
		*counter++
	}
	r.mu.Unlock()
	t, err := r.o.Topic(e.topic)
	if err != nil {
		return // held messages are on joined topics only (check)
	}
	if err := t.Publish(r.o.ctx, e.data); err != nil && r.o.cfg.OnInvalid != nil {
		r.o.cfg.OnInvalid(e.topic, r.o.Host.ID(), e.data, fmt.Errorf("overlay: fluffing a stem message: %w", err))
	}
}

// seen notes a message that reached this node through gossip (or that it
// published): its stem, if the node holds it, ends.
func (r *stemRouter) seen(topic string, data []byte) {
	id := string(msgKey(topic, data))
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.held[id]; ok {
		e.timer.Stop()
		delete(r.held, id)
	}
	r.markDone(id)
}

// markDone records id as in gossip for SeenTTL; r.mu is held.
func (r *stemRouter) markDone(id string) {
	now := time.Now()
	if _, ok := r.done[id]; !ok {
		r.done[id] = now
	}
	ttl := time.Duration(r.o.cfg.Params.SeenTTL)
	if now.Sub(r.lastSweep) < ttl/2 {
		return
	}
	r.lastSweep = now
	for k, t := range r.done {
		if now.Sub(t) > ttl {
			delete(r.done, k)
		}
	}
}
