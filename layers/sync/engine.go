package sync

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Engine is the sans-I/O data sync state machine of one peer
// (SPEC.md, "Procedures"). It reads no clock and owns no goroutine: every
// call takes the current time, and the caller moves the frames returned by
// Outbox and calls Tick at NextDeadline. It is not safe for concurrent use.
type Engine struct {
	cfg   Config
	store Store
	rng   *rand.Rand

	peers     map[PeerID]*peerState
	peerOrder []PeerID // the keys of peers, sorted
	// active holds the peers with anything queued (acks, records due,
	// ephemeral messages, reconciliation rounds), so that a step visits
	// only them.
	active   map[PeerID]bool
	groups   map[GroupID]*groupState
	msgs     map[ID]*msgState
	records  schedule
	buffered map[ID]*msgState // causal: stored, waiting for parents
	waiting  map[ID][]ID      // missing parent -> children waiting for it (causal)
	eph      recentSet

	// dirty tracks what the current step changed, for the store batch.
	dirtyMsgs    map[ID]bool
	dirtyRecords map[RecordKey]bool
	dirtyGroups  map[GroupID]bool

	out    []Outgoing
	events []Event
	next   time.Time // earliest deadline; zero if none
	failed error
}

type peerState struct {
	id     PeerID
	cfg    PeerConfig
	online bool
	acks   []ID
	ackSet map[ID]bool
	ackDue time.Time
	eph    []Message
	rounds []GroupRound
	// send holds what is due for this step.
	send          pendingFrame
	nextReconcile time.Time
}

type pendingFrame struct {
	offers, requests []ID
	msgs             []Message
}

type groupState struct {
	id      GroupID
	members []PeerID
	member  map[PeerID]bool
	set     *reconcile.Set
	heads   map[ID]bool
	lastTS  uint64
}

type msgState struct {
	m         Message
	id        ID
	delivered bool
	since     time.Time
	missing   int
}

// Outgoing is a frame to send to a peer.
type Outgoing struct {
	To    PeerID
	Bytes []byte
	Stats FrameStats
}

// FrameStats breaks a frame's size down by part (bytes on the wire,
// including each part's protobuf tag and length).
type FrameStats struct {
	AckBytes, OfferBytes, RequestBytes, MessageBytes, ReconcileBytes int
	// BodyBytes is the payload carried: the sum of message bodies.
	BodyBytes                                int
	Acks, Offers, Requests, Messages, Rounds int
}

// EventKind is the kind of an Event.
type EventKind uint8

// Event kinds.
const (
	// EventDelivered: a message is released to the application.
	EventDelivered EventKind = 1
	// EventExpired: a record ran out of attempts or time; the peer may never
	// get the message (or we may never get the requested one).
	EventExpired EventKind = 2
	// EventParentLost: a message is delivered without some parents, which
	// did not arrive within CausalTimeout.
	EventParentLost EventKind = 3
	// EventDropped: a received item was discarded; Reason says why.
	EventDropped EventKind = 4
)

func (k EventKind) String() string {
	switch k {
	case EventDelivered:
		return "delivered"
	case EventExpired:
		return "expired"
	case EventParentLost:
		return "parent_lost"
	case EventDropped:
		return "dropped"
	}
	return "unknown"
}

// Event is something the application learns from the engine.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Peer    PeerID // sender of a delivered or dropped item; peer of an expired record
	Group   GroupID
	ID      ID
	Message *Message     // EventDelivered
	Record  RecordKind   // EventExpired
	Missing []ID         // EventParentLost
	Reason  trace.Reason // EventDropped, EventExpired
}

// Engine errors.
var (
	// ErrUnknownPeer: the peer was never added.
	ErrUnknownPeer = errors.New("sync: unknown peer")
	// ErrUnknownGroup: the group was never added.
	ErrUnknownGroup = errors.New("sync: unknown group")
	// ErrNotMember: the local peer is not a member of the group.
	ErrNotMember = errors.New("sync: not a member of the group")
	// ErrFailed: an earlier store failure or internal error stopped the engine.
	ErrFailed = errors.New("sync: engine stopped after a failure")
	// ErrInternal: the engine found its own state inconsistent (a bug).
	ErrInternal = errors.New("sync: internal error")
)

// NewEngine restores an engine from store (empty for a new peer). rng is
// the engine's only source of randomness (reconciliation salts).
func NewEngine(cfg Config, store Store, rng *rand.Rand, now time.Time) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if store == nil || rng == nil {
		return nil, fmt.Errorf("%w: NewEngine needs a store and a random source", ErrConfig)
	}
	e := &Engine{
		cfg: cfg, store: store, rng: rng,
		peers: map[PeerID]*peerState{}, groups: map[GroupID]*groupState{}, active: map[PeerID]bool{},
		msgs: map[ID]*msgState{}, records: newSchedule(cfg.TTL), buffered: map[ID]*msgState{}, waiting: map[ID][]ID{},
		eph:       newRecentSet(cfg.EphemeralMemory),
		dirtyMsgs: map[ID]bool{}, dirtyRecords: map[RecordKey]bool{}, dirtyGroups: map[GroupID]bool{},
	}
	snap, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("%w: load: %w", ErrStore, err)
	}
	for _, g := range snap.Groups {
		e.putGroup(g.ID, g.Members)
	}
	for _, sm := range snap.Messages {
		g := e.groups[sm.Message.Group]
		if g == nil {
			return nil, fmt.Errorf("%w: load: message %s of unknown group", ErrStore, Short(sm.Message.ID()))
		}
		ms := &msgState{m: sm.Message, id: sm.Message.ID(), delivered: sm.Delivered, since: sm.Since}
		e.msgs[ms.id] = ms
		g.set.Insert(sm.Message.Item())
		g.lastTS = max(g.lastTS, sm.Message.Timestamp)
	}
	// Rebuild heads and the causal waiting lists from the stored DAG.
	for _, id := range slices.SortedFunc(maps.Keys(e.msgs), cmpID) {
		ms := e.msgs[id]
		g := e.groups[ms.m.Group]
		if ms.delivered {
			g.heads[id] = true
			continue
		}
		e.buffered[id] = ms
		for _, p := range ms.m.Parents {
			if pm := e.msgs[p]; pm == nil || !pm.delivered {
				ms.missing++
				e.waiting[p] = append(e.waiting[p], id)
			}
		}
	}
	for _, ms := range e.msgs {
		if ms.delivered {
			for _, p := range ms.m.Parents {
				delete(e.groups[ms.m.Group].heads, p)
			}
		}
	}
	for _, r := range snap.Records {
		e.records.add(r)
	}
	e.recomputeNext()
	return e, nil
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// AddPeer declares a peer the engine syncs with, online until told
// otherwise. Adding a known peer replaces its configuration.
func (e *Engine) AddPeer(now time.Time, id PeerID, pc PeerConfig) error {
	if err := e.check(); err != nil {
		return err
	}
	if err := pc.validate(); err != nil {
		return err
	}
	if id == e.cfg.Self || id == "" {
		return fmt.Errorf("%w: peer %q", ErrConfig, id)
	}
	if p := e.peers[id]; p != nil {
		p.cfg = pc
		return e.finish(now)
	}
	e.peers[id] = &peerState{id: id, cfg: pc, online: true, ackSet: map[ID]bool{}}
	i, _ := slices.BinarySearch(e.peerOrder, id)
	e.peerOrder = slices.Insert(e.peerOrder, i, id)
	// Records restored from the store before the peer was added may have
	// been parked: they are due again.
	for _, r := range e.records.byPeer[id] {
		if r.parked {
			e.records.changed(r)
		}
	}
	return e.finish(now)
}

// AddGroup declares a group and its members (which must include Config.Self).
// Re-adding a group replaces its member set.
func (e *Engine) AddGroup(now time.Time, id GroupID, members []PeerID) error {
	if err := e.check(); err != nil {
		return err
	}
	ms := slices.Clone(members)
	slices.Sort(ms)
	ms = slices.Compact(ms)
	if !slices.Contains(ms, e.cfg.Self) {
		return fmt.Errorf("%w: %s", ErrNotMember, Short(id))
	}
	e.putGroup(id, ms)
	e.dirtyGroups[id] = true
	return e.finish(now)
}

func (e *Engine) putGroup(id GroupID, members []PeerID) {
	g := e.groups[id]
	if g == nil {
		g = &groupState{id: id, set: reconcile.NewSet(nil), heads: map[ID]bool{}}
		e.groups[id] = g
	}
	g.members = members
	g.member = make(map[PeerID]bool, len(members))
	for _, m := range members {
		g.member[m] = true
	}
}

// Send appends a message with body to group and schedules it for every
// member peer. Its parents are the group's newest heads (at most
// Config.MaxParents); an ephemeral message has none and is sent once, to
// the members online now.
func (e *Engine) Send(now time.Time, group GroupID, body []byte, ephemeral bool) (ID, error) {
	if err := e.check(); err != nil {
		return ID{}, err
	}
	g := e.groups[group]
	if g == nil {
		return ID{}, fmt.Errorf("%w: %s", ErrUnknownGroup, Short(group))
	}
	m := Message{Group: group, Body: slices.Clone(body), Ephemeral: ephemeral}
	ts := uint64(max(now.UnixMilli(), 0))
	if !ephemeral {
		m.Parents = e.pickParents(g)
		for _, p := range m.Parents {
			ts = max(ts, e.msgs[p].m.Timestamp+1)
		}
	}
	m.Timestamp = ts
	if err := m.Validate(); err != nil {
		return ID{}, err
	}
	id := m.ID()
	if ephemeral {
		e.eph.add(id)
		for _, pid := range g.members {
			if p := e.peers[pid]; p != nil && p.online {
				p.eph = append(p.eph, m)
				e.active[pid] = true
			}
		}
		return id, e.finish(now)
	}
	if e.msgs[id] != nil {
		return id, e.finish(now) // the same message twice in the same millisecond: nothing new
	}
	ms := &msgState{m: m, id: id}
	e.storeMsg(g, ms)
	e.markDelivered(g, ms)
	for _, pid := range g.members {
		if p := e.peers[pid]; p != nil {
			e.announce(now, p, g, id)
		}
	}
	return id, e.finish(now)
}

// pickParents returns the newest heads of g, ascending by id.
func (e *Engine) pickParents(g *groupState) []ID {
	if e.cfg.MaxParents == 0 || len(g.heads) == 0 {
		return nil
	}
	heads := slices.Collect(maps.Keys(g.heads))
	slices.SortFunc(heads, func(a, b ID) int {
		return e.msgs[b].m.Item().Compare(e.msgs[a].m.Item()) // newest first
	})
	heads = heads[:min(len(heads), e.cfg.MaxParents)]
	slices.SortFunc(heads, cmpID)
	return heads
}

// announce schedules id for peer p by p's mode.
func (e *Engine) announce(now time.Time, p *peerState, g *groupState, id ID) {
	kind := RecordMessage
	if p.cfg.Mode == ModeInteractive {
		kind = RecordOffer
	}
	e.putRecord(now, RecordKey{Peer: p.id, Kind: kind, ID: id}, g.id)
}

func (e *Engine) putRecord(now time.Time, k RecordKey, group GroupID) {
	if r := e.records.get(k); r != nil {
		if r.Next.After(now) {
			r.Next = now
			e.records.changed(r)
			e.dirtyRecords[k] = true
		}
		return
	}
	e.records.add(Record{RecordKey: k, Group: group, First: now, Next: now})
	e.dirtyRecords[k] = true
}

func (e *Engine) delRecord(k RecordKey) {
	if e.records.remove(k) {
		e.dirtyRecords[k] = true
	}
}

// Receive processes a frame from peer from. A frame that does not decode
// (ErrMalformed) or comes from an unknown peer (ErrUnknownPeer) is rejected
// whole and leaves the engine unchanged. In an accepted frame, items the
// engine cannot take (unknown group, sender not a member, duplicates) are
// dropped one by one, each with an EventDropped naming the reason.
func (e *Engine) Receive(now time.Time, from PeerID, b []byte) error {
	if err := e.check(); err != nil {
		return err
	}
	p := e.peers[from]
	if p == nil {
		return fmt.Errorf("%w: %q", ErrUnknownPeer, from)
	}
	f, err := DecodeFrame(b)
	if err != nil {
		return err
	}
	for _, id := range f.Acks {
		e.delRecord(RecordKey{Peer: from, Kind: RecordMessage, ID: id})
		e.delRecord(RecordKey{Peer: from, Kind: RecordOffer, ID: id})
	}
	for _, id := range f.Offers {
		e.delRecord(RecordKey{Peer: from, Kind: RecordOffer, ID: id})
		e.delRecord(RecordKey{Peer: from, Kind: RecordMessage, ID: id})
		switch {
		case e.msgs[id] != nil:
			e.ack(now, p, id)
		case !e.requesting(id):
			e.putRecord(now, RecordKey{Peer: from, Kind: RecordRequest, ID: id}, GroupID{})
		}
	}
	for _, id := range f.Requests {
		ms := e.msgs[id]
		if ms == nil || !e.groups[ms.m.Group].member[from] {
			e.drop(now, from, ms, id, trace.ReasonUnknownMsg)
			continue
		}
		e.delRecord(RecordKey{Peer: from, Kind: RecordOffer, ID: id})
		e.putRecord(now, RecordKey{Peer: from, Kind: RecordMessage, ID: id}, ms.m.Group)
	}
	for i := range f.Messages {
		e.receiveMessage(now, p, &f.Messages[i])
	}
	for i := range f.Reconcile {
		e.receiveRound(now, p, &f.Reconcile[i])
	}
	return e.finish(now)
}

// freshRequestAttempts is how many times a request may have been sent and
// still count as in flight (SPEC.md, "Receiving a frame").
const freshRequestAttempts = 2

// requesting reports whether id is requested from a reachable peer by a
// request sent at most freshRequestAttempts times: a second offer of it
// then asks no second peer. If that peer leaves, or does not answer twice
// (it may not hold the id: parents are requested on speculation), the next
// offer asks again.
func (e *Engine) requesting(id ID) bool {
	for _, pid := range e.peerOrder {
		r := e.records.get(RecordKey{Peer: pid, Kind: RecordRequest, ID: id})
		if r != nil && e.peers[pid].online && r.Attempts <= freshRequestAttempts {
			return true
		}
	}
	return false
}

func (e *Engine) drop(now time.Time, from PeerID, ms *msgState, id ID, reason trace.Reason) {
	ev := Event{Kind: EventDropped, Time: now, Peer: from, ID: id, Reason: reason}
	if ms != nil {
		ev.Group = ms.m.Group
	}
	e.events = append(e.events, ev)
}

func (e *Engine) ack(now time.Time, p *peerState, id ID) {
	if p.ackSet[id] {
		return
	}
	if len(p.acks) == 0 {
		p.ackDue = now.Add(e.cfg.AckDelay)
		if !e.cfg.PiggybackAcks {
			p.ackDue = now
		}
	}
	p.ackSet[id] = true
	p.acks = append(p.acks, id)
	e.active[p.id] = true
}

func (e *Engine) receiveMessage(now time.Time, p *peerState, m *Message) {
	id := m.ID()
	g := e.groups[m.Group]
	switch {
	case g == nil:
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: m.Group, ID: id, Reason: trace.ReasonUnknownGroup})
		return
	case !g.member[p.id]:
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: m.Group, ID: id, Reason: trace.ReasonNotMember})
		return
	}
	if m.Ephemeral {
		if e.eph.has(id) {
			e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: m.Group, ID: id, Reason: trace.ReasonDuplicate})
			return
		}
		e.eph.add(id)
		mc := *m
		e.events = append(e.events, Event{Kind: EventDelivered, Time: now, Peer: p.id, Group: m.Group, ID: id, Message: &mc})
		return
	}
	// The sender has it: nothing more to send it, nothing more to ask.
	e.delRecord(RecordKey{Peer: p.id, Kind: RecordMessage, ID: id})
	e.delRecord(RecordKey{Peer: p.id, Kind: RecordOffer, ID: id})
	e.ack(now, p, id)
	if e.msgs[id] != nil {
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: m.Group, ID: id, Reason: trace.ReasonDuplicate})
		return
	}
	for _, other := range e.peerOrder {
		e.delRecord(RecordKey{Peer: other, Kind: RecordRequest, ID: id})
	}
	ms := &msgState{m: *m, id: id, since: now}
	e.storeMsg(g, ms)
	e.buffered[id] = ms
	// Ask the sender for parents we have never seen: it holds them.
	for _, par := range m.Parents {
		if e.msgs[par] == nil {
			e.putRecord(now, RecordKey{Peer: p.id, Kind: RecordRequest, ID: par}, g.id)
		}
	}
	if e.cfg.Relay {
		for _, pid := range g.members {
			if op := e.peers[pid]; op != nil && pid != p.id {
				e.announce(now, op, g, id)
			}
		}
	}
	if e.cfg.Delivery == DeliveryEventual {
		e.deliver(now, p.id, g, ms)
		return
	}
	for _, par := range m.Parents {
		if pm := e.msgs[par]; pm == nil || !pm.delivered {
			ms.missing++
			e.waiting[par] = append(e.waiting[par], id)
		}
	}
	if ms.missing == 0 {
		e.deliver(now, p.id, g, ms)
	}
}

func (e *Engine) storeMsg(g *groupState, ms *msgState) {
	e.msgs[ms.id] = ms
	g.set.Insert(ms.m.Item())
	g.lastTS = max(g.lastTS, ms.m.Timestamp)
	e.dirtyMsgs[ms.id] = true
}

func (e *Engine) markDelivered(g *groupState, ms *msgState) {
	delete(e.buffered, ms.id)
	ms.delivered = true
	ms.since = time.Time{}
	e.dirtyMsgs[ms.id] = true
	for _, p := range ms.m.Parents {
		delete(g.heads, p)
	}
	g.heads[ms.id] = true
}

// deliver releases ms and, in causal mode, every buffered descendant whose
// parents are now all delivered.
func (e *Engine) deliver(now time.Time, from PeerID, g *groupState, ms *msgState) {
	work := []*msgState{ms}
	for len(work) > 0 {
		cur := work[len(work)-1]
		work = work[:len(work)-1]
		if cur.delivered {
			continue
		}
		e.markDelivered(g, cur)
		mc := cur.m
		e.events = append(e.events, Event{Kind: EventDelivered, Time: now, Peer: from, Group: g.id, ID: cur.id, Message: &mc})
		children := e.waiting[cur.id]
		delete(e.waiting, cur.id)
		for i := len(children) - 1; i >= 0; i-- {
			c := e.msgs[children[i]]
			if c == nil || c.delivered {
				continue
			}
			c.missing--
			if c.missing == 0 {
				work = append(work, c)
			}
		}
	}
}

func (e *Engine) receiveRound(now time.Time, p *peerState, gr *GroupRound) {
	g := e.groups[gr.Group]
	switch {
	case g == nil:
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: gr.Group, Reason: trace.ReasonUnknownGroup})
		return
	case !g.member[p.id]:
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: gr.Group, Reason: trace.ReasonNotMember})
		return
	}
	out, have, err := reconcile.Process(g.set, gr.Round, e.processParams())
	if err != nil {
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: gr.Group, Reason: trace.ReasonInvalid})
		return
	}
	for _, it := range have {
		// The peer lacks it: announce it by the link's mode. Interactive
		// links offer it, so that a peer that several members reconcile with
		// at once asks only one of them for the body.
		e.announce(now, p, g, it.ID)
	}
	if !out.Done() {
		p.rounds = append(p.rounds, GroupRound{Group: g.id, Round: out})
		e.active[p.id] = true
	}
}

// processParams are the local branch factor and threshold with the
// specification's limits, so that any round a conforming peer sends is
// processed.
func (e *Engine) processParams() reconcile.Params {
	p := e.cfg.Reconcile
	p.MaxRanges, p.MaxIDs = reconcileLimits.MaxRanges, reconcileLimits.MaxIDs
	return p
}

// PeerOnline tells the engine that a peer became reachable: retransmission
// backoff to it restarts from the first interval, everything due is sent,
// and, if the peer has reconciliation enabled, a reconciliation of every
// shared group starts.
func (e *Engine) PeerOnline(now time.Time, id PeerID) error {
	if err := e.check(); err != nil {
		return err
	}
	p := e.peers[id]
	if p == nil {
		return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
	}
	p.online = true
	for k, r := range e.records.byPeer[id] {
		r.Backoff = 0
		r.Next = now
		e.records.changed(r)
		e.dirtyRecords[k] = true
	}
	// One side starts: the one whose id sorts first (the other answers).
	if p.cfg.Reconcile && e.cfg.Self < id {
		e.startReconcile(now, p)
	}
	return e.finish(now)
}

// PeerOffline tells the engine that a peer became unreachable: nothing is
// sent to it until PeerOnline. Ephemeral messages queued for it are lost.
func (e *Engine) PeerOffline(now time.Time, id PeerID) error {
	if err := e.check(); err != nil {
		return err
	}
	p := e.peers[id]
	if p == nil {
		return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
	}
	e.setOffline(now, p)
	return e.finish(now)
}

func (e *Engine) setOffline(now time.Time, p *peerState) {
	p.online = false
	for _, m := range p.eph {
		e.events = append(e.events, Event{Kind: EventDropped, Time: now, Peer: p.id, Group: m.Group, ID: m.ID(), Reason: trace.ReasonEphemeralLost})
	}
	p.eph, p.rounds = nil, nil
}

// AllPeersOffline tells the engine that the local node lost connectivity:
// every peer is unreachable until PeerOnline. It is PeerOffline for every
// peer in one step.
func (e *Engine) AllPeersOffline(now time.Time) error {
	if err := e.check(); err != nil {
		return err
	}
	for _, id := range e.peerOrder {
		e.setOffline(now, e.peers[id])
	}
	return e.finish(now)
}

// Reconcile starts a reconciliation of every group shared with peer id now,
// whatever its configuration.
func (e *Engine) Reconcile(now time.Time, id PeerID) error {
	if err := e.check(); err != nil {
		return err
	}
	p := e.peers[id]
	if p == nil {
		return fmt.Errorf("%w: %q", ErrUnknownPeer, id)
	}
	e.startReconcile(now, p)
	return e.finish(now)
}

func (e *Engine) startReconcile(now time.Time, p *peerState) {
	for _, gid := range slices.SortedFunc(maps.Keys(e.groups), cmpID) {
		g := e.groups[gid]
		if !g.member[p.id] {
			continue
		}
		r := reconcile.Initiate(g.set, e.rng.Uint64(), e.cfg.Reconcile)
		p.rounds = append(p.rounds, GroupRound{Group: gid, Round: r})
		e.active[p.id] = true
	}
	if e.cfg.ReconcileInterval > 0 {
		p.nextReconcile = now.Add(e.cfg.ReconcileInterval)
	}
}

// Tick runs everything due at now: retransmissions, expiries, causal
// timeouts, delayed acks and periodic reconciliation.
func (e *Engine) Tick(now time.Time) error {
	if err := e.check(); err != nil {
		return err
	}
	return e.finish(now)
}

// NextDeadline is when Tick must next be called; ok is false when nothing is
// scheduled.
func (e *Engine) NextDeadline() (t time.Time, ok bool) { return e.next, !e.next.IsZero() }

// Outbox drains the frames produced so far.
func (e *Engine) Outbox() []Outgoing {
	out := e.out
	e.out = nil
	return out
}

// Events drains the events produced so far.
func (e *Engine) Events() []Event {
	ev := e.events
	e.events = nil
	return ev
}

func (e *Engine) check() error {
	if e.failed != nil {
		return fmt.Errorf("%w: %w", ErrFailed, e.failed)
	}
	return nil
}

// finish ends every step: it runs what is due, commits the step's changes to
// the store, and only then builds the frames, so that nothing is
// acknowledged before it is stored.
func (e *Engine) finish(now time.Time) error {
	e.runTimers(now)
	if err := e.commit(); err != nil {
		e.failed = err
		e.out = nil
		return err
	}
	if err := e.buildFrames(now); err != nil {
		e.failed = err
		e.out = nil
		return err
	}
	e.recomputeNext()
	return nil
}

func (e *Engine) runTimers(now time.Time) {
	// Records: expire, or send if due and the peer is online.
	for r := e.records.popDue(now); r != nil; r = e.records.popDue(now) {
		k := r.RecordKey
		if e.expired(&r.Record, now) {
			e.records.reschedule(r)
			e.delRecord(k)
			e.events = append(e.events, Event{Kind: EventExpired, Time: now, Peer: k.Peer, Group: r.Group, ID: k.ID, Record: k.Kind, Reason: trace.ReasonExpired})
			continue
		}
		p := e.peers[k.Peer]
		if p == nil || !p.online {
			e.records.park(r)
			continue
		}
		switch k.Kind {
		case RecordOffer:
			p.send.offers = append(p.send.offers, k.ID)
		case RecordRequest:
			p.send.requests = append(p.send.requests, k.ID)
		case RecordMessage:
			ms := e.msgs[k.ID]
			if ms == nil {
				e.records.reschedule(r)
				e.delRecord(k)
				continue
			}
			p.send.msgs = append(p.send.msgs, ms.m)
		}
		e.active[p.id] = true
		r.Attempts++
		r.Next = now.Add(e.interval(p, r.Backoff))
		r.Backoff++
		e.records.reschedule(r)
		e.dirtyRecords[k] = true
	}
	// Causal timeouts: deliver what waited too long, naming lost parents.
	if e.cfg.Delivery == DeliveryCausal {
		var late []*msgState
		for _, ms := range e.buffered {
			if !ms.since.Add(e.cfg.CausalTimeout).After(now) {
				late = append(late, ms)
			}
		}
		slices.SortFunc(late, func(a, b *msgState) int { return a.m.Item().Compare(b.m.Item()) })
		for _, ms := range late {
			if ms.delivered {
				continue
			}
			var lost []ID
			for _, par := range ms.m.Parents {
				if pm := e.msgs[par]; pm == nil || !pm.delivered {
					lost = append(lost, par)
				}
			}
			e.events = append(e.events, Event{Kind: EventParentLost, Time: now, Group: ms.m.Group, ID: ms.id, Missing: lost, Reason: trace.ReasonParentLost})
			e.deliver(now, "", e.groups[ms.m.Group], ms)
		}
	}
	// Periodic reconciliation.
	if e.cfg.ReconcileInterval > 0 {
		for _, pid := range e.peerOrder {
			p := e.peers[pid]
			if p.cfg.Reconcile && p.online && !p.nextReconcile.After(now) {
				e.startReconcile(now, p)
			}
		}
	}
}

func (e *Engine) expired(r *Record, now time.Time) bool {
	if e.cfg.MaxAttempts > 0 && r.Attempts >= e.cfg.MaxAttempts && !r.Next.After(now) {
		return true
	}
	return e.cfg.TTL > 0 && !r.First.Add(e.cfg.TTL).After(now)
}

// interval is the retransmission interval after the (backoff+1)-th
// transmission: min(BackoffCap, (2·Latency + AckDelay)·2^backoff), where
// 2·Latency + AckDelay is the longest an ack takes on a working link.
func (e *Engine) interval(p *peerState, backoff int) time.Duration {
	if step := e.cfg.LinearBackoff; step > 0 {
		if backoff >= int(e.cfg.BackoffCap/step) {
			return e.cfg.BackoffCap
		}
		return step * time.Duration(backoff+1)
	}
	base := 2 * p.cfg.Latency
	if e.cfg.PiggybackAcks {
		base += e.cfg.AckDelay
	}
	if backoff >= 40 || base<<backoff <= 0 || base<<backoff > e.cfg.BackoffCap {
		return e.cfg.BackoffCap
	}
	return base << backoff
}

func (e *Engine) commit() error {
	var b Batch
	for _, gid := range slices.SortedFunc(maps.Keys(e.dirtyGroups), cmpID) {
		g := e.groups[gid]
		b.Groups = append(b.Groups, Group{ID: gid, Members: slices.Clone(g.members)})
	}
	for _, id := range slices.SortedFunc(maps.Keys(e.dirtyMsgs), cmpID) {
		ms := e.msgs[id]
		b.Messages = append(b.Messages, StoredMessage{Message: ms.m, Delivered: ms.delivered, Since: ms.since})
	}
	for _, k := range slices.SortedFunc(maps.Keys(e.dirtyRecords), RecordKey.Compare) {
		if r := e.records.get(k); r != nil {
			b.Records = append(b.Records, r.Record)
		} else {
			b.DelRecords = append(b.DelRecords, k)
		}
	}
	clear(e.dirtyGroups)
	clear(e.dirtyMsgs)
	clear(e.dirtyRecords)
	if b.Empty() {
		return nil
	}
	if err := e.store.Apply(&b); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

func (e *Engine) recomputeNext() {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if t, ok := e.records.next(); ok {
		consider(t)
	}
	for pid := range e.active {
		if p := e.peers[pid]; len(p.acks) > 0 && p.online {
			consider(p.ackDue)
		}
	}
	if e.cfg.ReconcileInterval > 0 {
		for _, p := range e.peers {
			if p.cfg.Reconcile && p.online {
				consider(p.nextReconcile)
			}
		}
	}
	for _, ms := range e.buffered {
		consider(ms.since.Add(e.cfg.CausalTimeout))
	}
	e.next = next
}

// StateDigest is a SHA-256 over the engine's whole state in a canonical
// order. Tests use it to check that a rejected frame changed nothing.
func (e *Engine) StateDigest() [32]byte {
	h := sha256.New()
	var n [8]byte
	u := func(v uint64) { binary.BigEndian.PutUint64(n[:], v); h.Write(n[:]) }
	t := func(x time.Time) { u(uint64(x.UnixNano())) }
	for _, id := range slices.SortedFunc(maps.Keys(e.msgs), cmpID) {
		ms := e.msgs[id]
		h.Write(id[:])
		u(uint64(ms.missing))
		t(ms.since)
		if ms.delivered {
			h.Write([]byte{1})
		} else {
			h.Write([]byte{0})
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(e.records.byKey), RecordKey.Compare) {
		r := e.records.get(k)
		h.Write([]byte(k.Peer))
		h.Write([]byte{byte(k.Kind)})
		h.Write(k.ID[:])
		u(uint64(r.Attempts))
		u(uint64(r.Backoff))
		t(r.First)
		t(r.Next)
	}
	for _, pid := range e.peerOrder {
		p := e.peers[pid]
		h.Write([]byte(pid))
		u(uint64(len(p.acks)))
		for _, a := range p.acks {
			h.Write(a[:])
		}
		u(uint64(len(p.eph)))
		u(uint64(len(p.rounds)))
		if p.online {
			h.Write([]byte{1})
		}
	}
	for _, gid := range slices.SortedFunc(maps.Keys(e.groups), cmpID) {
		g := e.groups[gid]
		h.Write(gid[:])
		u(uint64(g.set.Len()))
		for _, hd := range slices.SortedFunc(maps.Keys(g.heads), cmpID) {
			h.Write(hd[:])
		}
	}
	u(uint64(e.eph.len()))
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// recentSet remembers the last n ids added. It grows as ids arrive.
type recentSet struct {
	n    int
	ring []ID
	set  map[ID]bool
	pos  int
}

func newRecentSet(n int) recentSet { return recentSet{n: n, set: map[ID]bool{}} }

func (s *recentSet) has(id ID) bool { return s.set[id] }
func (s *recentSet) len() int       { return len(s.set) }

func (s *recentSet) add(id ID) {
	if s.n == 0 || s.set[id] {
		return
	}
	if len(s.ring) < s.n {
		s.ring = append(s.ring, id)
	} else {
		delete(s.set, s.ring[s.pos])
		s.ring[s.pos] = id
		s.pos = (s.pos + 1) % len(s.ring)
	}
	s.set[id] = true
}
