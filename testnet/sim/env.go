package sim

import (
	"math/rand/v2"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// Node is a protocol core under simulation, usually an adapter around a
// sans-I/O state machine. The simulator calls its methods one at a time, in
// virtual-time order, on the caller's goroutine. Handlers may call any Env
// method and Sim.At and Sim.Stop, but not the Sim methods that change
// network state (SetOnline, ResumeChurn, Partition, Heal, Connect) nor Run
// or Step: those panic; schedule them with Sim.At. A panic in a handler is
// not recovered.
type Node interface {
	// Start is called once at time zero (the node may be offline then;
	// see Env.Online).
	Start(env *Env)
	// Receive is called when a payload from `from` arrives while the node
	// is online. The payload is the slice that was sent, shared with the
	// sender and with other receivers of the same slice: treat it as
	// read-only.
	Receive(env *Env, from NodeID, payload []byte)
	// Timer is called when a timer set with env.SetTimer fires while the
	// node is online. A timer that comes due while the node is offline is
	// deferred: it fires right after the node comes back online (after Up),
	// in the order the timers came due, unless it was set again or
	// cancelled in between.
	Timer(env *Env, tag uint64)
	// Up and Down are called when the node's own state changes (churn or
	// Sim.SetOnline), just after the change: in Up the node is online, in
	// Down it is offline. They are not called for the initial state.
	Up(env *Env)
	Down(env *Env)
}

// PresenceAware is implemented by nodes that want to know when the link to
// a neighbour (Sim.Connect) becomes usable (both ends online, same side of
// any partition) or stops being usable; it is used only with
// Config.Presence. Notifications only go to online nodes: a node that goes
// down gets Down and no PeerDown, and starts from no peers when it comes up
// again. The initial usable links are announced right after every Start.
type PresenceAware interface {
	PeerUp(env *Env, peer NodeID)
	PeerDown(env *Env, peer NodeID)
}

// Env is a node's view of the simulation. There is one per node; it stays
// valid for the whole run.
type Env struct {
	s  *Sim
	n  *nodeState
	id NodeID
}

// Now is the current virtual time.
func (e *Env) Now() time.Time { return e.s.epoch.Add(time.Duration(e.s.now)) }

// Self is the node's id.
func (e *Env) Self() NodeID { return e.id }

// Send sends payload to node `to` (any node, neighbour or not) over the
// link model of the two nodes' classes. Send takes ownership of payload:
// the caller must not modify it afterwards. If this node is offline the
// packet is dropped at once (node_offline); see the package documentation
// for every rule. Sending to an unknown node panics.
func (e *Env) Send(to NodeID, payload []byte) { e.s.send(e.n, to, payload) }

// SetTimer sets timer `tag` to fire at `at` (or now, if at is past). A node
// may have many timers; setting a tag that is pending replaces it.
func (e *Env) SetTimer(at time.Time, tag uint64) {
	n := e.n
	if n.timers == nil {
		n.timers = make(map[uint64]uint64)
	}
	n.timers[tag] = e.s.push(event{at: e.s.toNanos(at), kind: evTimer, node: int32(e.id), arg: tag})
}

// CancelTimer cancels timer `tag` if it is pending (or deferred).
func (e *Env) CancelTimer(tag uint64) { delete(e.n.timers, tag) }

// Rand is the node's own random stream, derived from the seed and the
// node's id only.
func (e *Env) Rand() *rand.Rand { return e.n.rng }

// Online reports whether node id (this one or another) is online.
func (e *Env) Online(id NodeID) bool { return e.s.node(id).online }

// Trace emits a layer event. An empty Node is filled with this node's id
// and a zero Time with the current virtual time. An event that does not
// validate stops the run: Run returns an error wrapping
// trace.ErrInvalidEvent.
func (e *Env) Trace(ev trace.Event) {
	if ev.Node == "" {
		ev.Node = e.n.name
	}
	if ev.Time.IsZero() {
		ev.Time = e.Now()
	}
	e.s.emit(ev)
}
