package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// NodeID identifies a node: the nodes of a Sim are numbered 0, 1, ... in
// the order Sim.Add added them.
type NodeID int

// ErrStarted is returned by Sim.Add once the run has started.
var ErrStarted = errors.New("sim: the run has started")

// Sim is a deterministic discrete-event network simulator. A Sim is not
// safe for concurrent use; it runs on the caller's goroutine.
type Sim struct {
	cfg   Config
	epoch time.Time
	now   int64 // virtual nanoseconds since epoch
	seq   uint64
	q     queue

	nodes      []*nodeState
	classes    map[string]uint16
	classNames []string
	links      []linkParams // len(classNames)² once started: [from*C+to]

	funcs     []func(*Sim) // pending At actions, by slot
	freeFuncs []uint64

	started     bool
	stopped     bool
	inHandler   int
	partitioned bool
	events      uint64
	pkt         uint64 // last packet id
	every       uint64

	hasher *trace.Writer
	sink   trace.Sink // a second sink, nil if none
	err    error

	tot counters
}

// nodeState is everything the simulator keeps per node.
type nodeState struct {
	env      Env
	node     Node
	presence PresenceAware // nil if the node does not implement it
	name     string        // decimal id, the trace Node field
	class    uint16
	online   bool
	pinned   bool  // churn suspended by SetOnline
	part     int32 // partition group; equal groups can talk
	churn    churnModel
	churnGen uint64

	rng, churnRng, linkRng *rand.Rand

	timers    map[uint64]uint64 // tag → seq of the tag's live timer event
	deferred  []timerRef        // timers that fired while offline, in order
	neighbors []NodeID
	up        uplink
	c         counters
}

type timerRef struct{ tag, seq uint64 }

// New returns a simulator for cfg after validating it.
func New(cfg Config) (*Sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = defaultEpoch
	}
	cfg.Epoch = cfg.Epoch.UTC()
	if cfg.ProgressEvery == 0 {
		cfg.ProgressEvery = DefaultProgressEvery
	}
	s := &Sim{
		cfg:     cfg,
		epoch:   cfg.Epoch,
		classes: make(map[string]uint16),
		every:   cfg.ProgressEvery,
	}
	if w, ok := cfg.Trace.(*trace.Writer); ok && w != nil {
		s.hasher = w
	} else {
		s.hasher = trace.NewWriter(nil)
		s.sink = cfg.Trace
	}
	return s, nil
}

// Add adds a node and returns its id. Nodes are added before the run
// starts (the first Run, RunFor or Step); afterwards Add returns
// ErrStarted.
func (s *Sim) Add(n Node, nc NodeConfig) (NodeID, error) {
	if s.started {
		return 0, ErrStarted
	}
	if n == nil {
		return 0, fmt.Errorf("%w: Add: nil Node", ErrConfig)
	}
	if err := nc.Validate(); err != nil {
		return 0, err
	}
	if len(s.nodes) >= 1<<31-1 {
		return 0, fmt.Errorf("%w: Add: too many nodes", ErrConfig)
	}
	cls, ok := s.classes[nc.Class]
	if !ok {
		if len(s.classNames) >= 1<<16-1 {
			return 0, fmt.Errorf("%w: Add: too many node classes", ErrConfig)
		}
		cls = uint16(len(s.classNames))
		s.classes[nc.Class] = cls
		s.classNames = append(s.classNames, nc.Class)
	}
	ch := s.cfg.Churn
	if nc.Churn != nil {
		ch = *nc.Churn
	}
	id := len(s.nodes)
	st := &nodeState{
		node:     n,
		name:     strconv.Itoa(id),
		class:    cls,
		churn:    newChurnModel(ch),
		rng:      newStream(s.cfg.Seed, streamNode, id),
		churnRng: newStream(s.cfg.Seed, streamChurn, id),
		linkRng:  newStream(s.cfg.Seed, streamLink, id),
	}
	if pa, ok := n.(PresenceAware); ok && s.cfg.Presence {
		st.presence = pa
	}
	st.env = Env{s: s, n: st, id: NodeID(id)}
	s.nodes = append(s.nodes, st)
	return NodeID(id), nil
}

// node returns the state of id or panics with a clear message.
func (s *Sim) node(id NodeID) *nodeState {
	if id < 0 || int(id) >= len(s.nodes) {
		panic(fmt.Sprintf("sim: unknown node %d (have %d)", id, len(s.nodes)))
	}
	return s.nodes[id]
}

// notInHandler panics if a node handler is running: state changes made
// from inside one would re-enter the notifications in progress.
func (s *Sim) notInHandler(op string) {
	if s.inHandler > 0 {
		panic("sim: " + op + " called from a node handler; schedule it with Sim.At")
	}
}

// Connect declares a and b neighbours for presence notifications
// (Config.Presence). It does not restrict who may send to whom. Connecting
// twice is a no-op. If the run has started and the link between them is
// usable, both are notified at once.
func (s *Sim) Connect(a, b NodeID) {
	s.notInHandler("Connect")
	na, nb := s.node(a), s.node(b)
	if a == b {
		panic(fmt.Sprintf("sim: Connect(%d, %d): a node is not its own neighbour", a, b))
	}
	for _, x := range na.neighbors {
		if x == b {
			return
		}
	}
	na.neighbors = append(na.neighbors, b)
	nb.neighbors = append(nb.neighbors, a)
	if s.started && s.usable(na, nb) {
		s.peerUp(na, b)
		s.peerUp(nb, a)
	}
}

// usable reports whether the link between two nodes is up for presence:
// both online and on the same side of any partition.
func (s *Sim) usable(a, b *nodeState) bool {
	return a.online && b.online && a.part == b.part
}

// start builds the link table, draws every node's initial state, calls
// Start on every node and announces initial presence.
func (s *Sim) start() {
	if s.started {
		return
	}
	s.started = true
	c := len(s.classNames)
	s.links = make([]linkParams, c*c)
	for i, from := range s.classNames {
		for j, to := range s.classNames {
			m, ok := s.cfg.Links[[2]string{from, to}]
			if !ok {
				m = s.cfg.DefaultLink
			}
			s.links[i*c+j] = newLinkParams(m)
		}
	}
	for _, n := range s.nodes {
		switch {
		case n.pinned:
		case n.churn.always:
			n.online = true
		default:
			n.online = n.churnRng.Float64() < n.churn.uptime
			s.scheduleChurn(n, n.churn.residual(n.churnRng, n.online))
		}
		s.emitState(n)
	}
	for _, n := range s.nodes {
		s.inHandler++
		n.node.Start(&n.env)
		s.inHandler--
	}
	if s.cfg.Presence {
		for _, a := range s.nodes {
			for _, b := range a.neighbors {
				if nb := s.nodes[b]; b > a.env.id && s.usable(a, nb) {
					s.peerUp(a, b)
					s.peerUp(nb, a.env.id)
				}
			}
		}
	}
}

func (s *Sim) scheduleChurn(n *nodeState, after int64) {
	n.churnGen++
	s.push(event{at: s.now + after, kind: evChurn, node: int32(n.env.id), arg: n.churnGen})
}

// push queues e at e.at (not before now) and returns its sequence number.
func (s *Sim) push(e event) uint64 {
	if e.at < s.now {
		e.at = s.now
	}
	s.seq++
	e.seq = s.seq
	s.q.push(e)
	return s.seq
}

// toNanos converts t to virtual nanoseconds since the epoch (saturating).
func (s *Sim) toNanos(t time.Time) int64 { return int64(t.Sub(s.epoch)) }

// Now is the current virtual time.
func (s *Sim) Now() time.Time { return s.epoch.Add(time.Duration(s.now)) }

// Run processes, in order, every event due at or before until, then sets
// the clock to until. It returns early, with the clock at the last event,
// when a handler calls Stop or a trace sink fails; it returns the first
// trace error (an invalid event from a node, or the sink's write error),
// after which the Sim does not run again. The first call starts the run:
// initial churn states are drawn and every node's Start is called at the
// epoch. Run must not be called from a node handler.
func (s *Sim) Run(until time.Time) error {
	s.notInHandler("Run")
	if s.err != nil {
		return s.err
	}
	s.start()
	s.stopped = false
	u := s.toNanos(until)
	for !s.stopped && s.err == nil && s.q.len() > 0 && s.q.peek().at <= u {
		s.stepOne()
	}
	if !s.stopped && s.err == nil && u > s.now {
		s.now = u
	}
	return s.err
}

// RunFor runs for d of virtual time from now.
func (s *Sim) RunFor(d time.Duration) error { return s.Run(s.Now().Add(d)) }

// Step processes the next event and reports whether there was one. Check
// Err after a false return from a run that should not have ended.
func (s *Sim) Step() bool {
	s.notInHandler("Step")
	if s.err != nil {
		return false
	}
	s.start()
	for s.q.len() > 0 {
		if s.stepOne() {
			return true
		}
	}
	return false
}

// stepOne pops and dispatches one event; it reports false for a cancelled
// one (a replaced timer, a superseded churn transition), which is not
// counted.
func (s *Sim) stepOne() bool {
	e := s.q.pop()
	s.now = e.at
	if !s.dispatch(&e) {
		return false
	}
	s.events++
	if s.cfg.Progress != nil && s.events%s.every == 0 {
		s.cfg.Progress(s.Now(), s.events)
	}
	return true
}

// Stop makes the Run in progress return after the current event. It may be
// called from node handlers, At actions and the Progress callback; outside
// a Run it has no effect.
func (s *Sim) Stop() { s.stopped = true }

// Err returns the error that stopped the run, if any.
func (s *Sim) Err() error { return s.err }

// Events is the number of events processed so far: packet arrivals
// (delivered or dropped), timers, churn transitions and At actions.
// Cancelled timers and transitions are not counted.
func (s *Sim) Events() uint64 { return s.events }

// Pending is the number of events in the queue, cancelled ones included.
func (s *Sim) Pending() int { return s.q.len() }

// TraceHash is the hex SHA-256 of the NDJSON trace emitted so far.
func (s *Sim) TraceHash() string { return s.hasher.Hash() }

// NumNodes is the number of nodes.
func (s *Sim) NumNodes() int { return len(s.nodes) }

// Node returns the node added as id.
func (s *Sim) Node(id NodeID) Node { return s.node(id).node }

// Env returns the environment bound to id, e.g. for an At action that makes
// a node act.
func (s *Sim) Env(id NodeID) *Env { return &s.node(id).env }

// Online reports whether id is online.
func (s *Sim) Online(id NodeID) bool { return s.node(id).online }

// At schedules fn to run at t (or now, if t is past). Actions at the same
// instant run in the order they were scheduled, after the events already
// queued for that instant. At may be called from anywhere, including node
// handlers and before the run starts.
func (s *Sim) At(t time.Time, fn func(*Sim)) {
	var slot uint64
	if k := len(s.freeFuncs); k > 0 {
		slot = s.freeFuncs[k-1]
		s.freeFuncs = s.freeFuncs[:k-1]
		s.funcs[slot] = fn
	} else {
		slot = uint64(len(s.funcs))
		s.funcs = append(s.funcs, fn)
	}
	s.push(event{at: s.toNanos(t), kind: evFunc, arg: slot})
}

func (s *Sim) dispatch(e *event) bool {
	switch e.kind {
	case evArrive:
		s.arrive(e)
	case evTimer:
		return s.fireTimer(s.nodes[e.node], e)
	case evChurn:
		n := s.nodes[e.node]
		if n.pinned || e.arg != n.churnGen {
			return false
		}
		on := !n.online
		s.scheduleChurn(n, n.churn.period(n.churnRng, on))
		s.setState(n, on)
	case evFunc:
		fn := s.funcs[e.arg]
		s.funcs[e.arg] = nil
		s.freeFuncs = append(s.freeFuncs, e.arg)
		fn(s)
	}
	return true
}

func (s *Sim) fireTimer(n *nodeState, e *event) bool {
	if seq, ok := n.timers[e.arg]; !ok || seq != e.seq {
		return false
	}
	if !n.online {
		n.deferred = append(n.deferred, timerRef{tag: e.arg, seq: e.seq})
		return true
	}
	delete(n.timers, e.arg)
	s.inHandler++
	n.node.Timer(&n.env, e.arg)
	s.inHandler--
	return true
}

// SetOnline forces id online or offline and suspends its churn until
// ResumeChurn. Forcing the current state only suspends churn. Called
// before the run starts, it fixes the initial state instead of drawing it.
// It must not be called from a node handler (use At).
func (s *Sim) SetOnline(id NodeID, on bool) {
	s.notInHandler("SetOnline")
	n := s.node(id)
	n.pinned = true
	n.churnGen++ // cancels the pending transition
	if !s.started {
		n.online = on
		return
	}
	s.setState(n, on)
}

// ResumeChurn ends a SetOnline suspension: the node's churn restarts from
// its current state with a fresh period of that state (a node whose churn
// is always-online comes back online at once). Before the run starts it
// undoes SetOnline.
func (s *Sim) ResumeChurn(id NodeID) {
	s.notInHandler("ResumeChurn")
	n := s.node(id)
	if !n.pinned {
		return
	}
	n.pinned = false
	if !s.started {
		return
	}
	if n.churn.always {
		s.setState(n, true)
		return
	}
	s.scheduleChurn(n, n.churn.period(n.churnRng, n.online))
}

// setState changes a node's state, emits the state event and calls Up or
// Down, then re-queues its deferred timers (on Up) and notifies presence.
// A node going down gets Down and no PeerDown; its online neighbours get
// PeerDown. A node coming up gets Up, then PeerUp for each usable
// neighbour, which gets PeerUp in turn.
func (s *Sim) setState(n *nodeState, on bool) {
	if n.online == on {
		return
	}
	n.online = on
	s.emitState(n)
	s.inHandler++
	if on {
		n.node.Up(&n.env)
	} else {
		n.node.Down(&n.env)
	}
	s.inHandler--
	if on && len(n.deferred) > 0 {
		for _, t := range n.deferred {
			if n.timers[t.tag] == t.seq {
				n.timers[t.tag] = s.push(event{at: s.now, kind: evTimer, node: int32(n.env.id), arg: t.tag})
			}
		}
		n.deferred = n.deferred[:0]
	}
	if !s.cfg.Presence {
		return
	}
	for _, b := range n.neighbors {
		nb := s.nodes[b]
		if !nb.online || nb.part != n.part {
			continue
		}
		if on {
			s.peerUp(n, b)
			s.peerUp(nb, n.env.id)
		} else {
			s.peerDown(nb, n.env.id)
		}
	}
}

func (s *Sim) peerUp(n *nodeState, peer NodeID) {
	if n.presence != nil {
		s.inHandler++
		n.presence.PeerUp(&n.env, peer)
		s.inHandler--
	}
}

func (s *Sim) peerDown(n *nodeState, peer NodeID) {
	if n.presence != nil {
		s.inHandler++
		n.presence.PeerDown(&n.env, peer)
		s.inHandler--
	}
}

// Partition splits the network: nodes in the same group can talk, nodes
// in different groups cannot, and every node not listed forms one more
// group of its own. It replaces any earlier partition. A node listed twice
// panics. Presence is updated: both ends of each neighbour link that the
// partition cuts (or restores) get PeerDown (PeerUp). It must not be
// called from a node handler (use At).
func (s *Sim) Partition(groups ...[]NodeID) {
	s.notInHandler("Partition")
	labels := make([]int32, len(s.nodes))
	for g, ids := range groups {
		for _, id := range ids {
			s.node(id)
			if labels[id] != 0 {
				panic(fmt.Sprintf("sim: Partition: node %d is in groups %d and %d", id, labels[id]-1, g))
			}
			labels[id] = int32(g + 1)
		}
	}
	s.partitioned = len(groups) > 0
	s.relabel(labels, "partition "+strconv.Itoa(len(groups)))
}

// Heal ends any partition.
func (s *Sim) Heal() {
	s.notInHandler("Heal")
	s.partitioned = false
	s.relabel(make([]int32, len(s.nodes)), "heal")
}

func (s *Sim) relabel(labels []int32, detail string) {
	var old []int32
	presence := s.cfg.Presence && s.started
	if presence {
		old = make([]int32, len(s.nodes))
		for i, n := range s.nodes {
			old[i] = n.part
		}
	}
	for i, n := range s.nodes {
		n.part = labels[i]
	}
	s.emit(trace.Event{Time: s.Now(), Node: SimNode, Layer: TraceLayer, Kind: trace.KindState, Detail: detail})
	if !presence {
		return
	}
	for _, a := range s.nodes {
		ia := a.env.id
		for _, ib := range a.neighbors {
			b := s.nodes[ib]
			if ib < ia || !a.online || !b.online {
				continue
			}
			was, is := old[ia] == old[ib], a.part == b.part
			switch {
			case was && !is:
				s.peerDown(a, ib)
				s.peerDown(b, ia)
			case !was && is:
				s.peerUp(a, ib)
				s.peerUp(b, ia)
			}
		}
	}
}

// emit hashes e and hands it to the sink; the first error stops the run.
func (s *Sim) emit(e trace.Event) {
	if s.err != nil {
		return
	}
	if err := s.hasher.Emit(e); err != nil {
		s.err = fmt.Errorf("sim: trace: %w", err)
		return
	}
	if s.sink != nil {
		if err := s.sink.Emit(e); err != nil {
			s.err = fmt.Errorf("sim: trace sink: %w", err)
		}
	}
}

func (s *Sim) emitState(n *nodeState) {
	d := "down"
	if n.online {
		d = "up"
	}
	s.emit(trace.Event{Time: s.Now(), Node: n.name, Layer: TraceLayer, Kind: trace.KindState, Detail: d})
}
