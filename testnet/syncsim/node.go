package syncsim

import (
	"fmt"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/testnet/sim"
)

// Timer tags of the adapter.
const (
	tagEngine   = 0 // the engine's next deadline
	tagWorkload = 1 // the next message the node writes
)

// node adapts a sync.Engine to sim.Node.
type node struct {
	r        *runner
	idx      int
	name     sync.PeerID
	eng      *sync.Engine
	group    sync.GroupID
	presence bool // act on connectivity hints
	seq      int
	// intervals of being online: starts and ends, alternating.
	on    bool
	since time.Time
	ivals [][2]time.Time
}

func peerName(i int) sync.PeerID { return sync.PeerID(fmt.Sprintf("n%d", i)) }

func (n *node) check(err error) {
	if err != nil && n.r.err == nil {
		n.r.err = fmt.Errorf("node %s: %w", n.name, err)
	}
}

// flush moves the engine's frames to the network, its events to the
// runner, and arms the engine's timer.
func (n *node) flush(env *sim.Env) {
	for _, o := range n.eng.Outbox() {
		env.Send(n.r.ids[o.To], o.Bytes)
		n.r.frame(o)
	}
	for _, ev := range n.eng.Events() {
		n.r.event(n, env, ev)
	}
	if t, ok := n.eng.NextDeadline(); ok {
		env.SetTimer(t, tagEngine)
	}
}

func (n *node) Start(env *sim.Env) {
	n.on, n.since = env.Online(env.Self()), env.Now()
	if n.presence {
		n.check(n.eng.AllPeersOffline(env.Now()))
	}
	if n.on {
		n.armWorkload(env)
	}
	n.flush(env)
}

func (n *node) Receive(env *sim.Env, from sim.NodeID, payload []byte) {
	n.check(n.eng.Receive(env.Now(), n.r.names[from], payload))
	n.flush(env)
}

func (n *node) Timer(env *sim.Env, tag uint64) {
	switch tag {
	case tagEngine:
		n.check(n.eng.Tick(env.Now()))
	case tagWorkload:
		if env.Now().Before(n.r.writeUntil) {
			n.write(env)
			n.armWorkload(env)
		}
	}
	n.flush(env)
}

func (n *node) write(env *sim.Env) {
	n.seq++
	body := make([]byte, n.r.p.BodySize)
	copy(body, fmt.Sprintf("%s/%d", n.name, n.seq))
	id, err := n.eng.Send(env.Now(), n.group, body, false)
	n.check(err)
	n.r.sent(n, id, env.Now(), len(body))
}

func (n *node) armWorkload(env *sim.Env) {
	d := time.Duration(env.Rand().ExpFloat64() * float64(n.r.p.MsgInterval))
	env.SetTimer(env.Now().Add(d), tagWorkload)
}

func (n *node) Up(env *sim.Env) {
	n.on, n.since = true, env.Now()
	n.armWorkload(env)
	n.flush(env)
}

func (n *node) Down(env *sim.Env) {
	n.ivals = append(n.ivals, [2]time.Time{n.since, env.Now()})
	n.on = false
	env.CancelTimer(tagWorkload)
	if n.presence {
		n.check(n.eng.AllPeersOffline(env.Now()))
	}
	n.flush(env)
}

func (n *node) PeerUp(env *sim.Env, peer sim.NodeID) {
	if n.presence {
		n.check(n.eng.PeerOnline(env.Now(), n.r.names[peer]))
		n.flush(env)
	}
}

func (n *node) PeerDown(env *sim.Env, peer sim.NodeID) {
	if n.presence {
		n.check(n.eng.PeerOffline(env.Now(), n.r.names[peer]))
		n.flush(env)
	}
}

// intervals returns the node's online intervals up to end.
func (n *node) intervals(end time.Time) [][2]time.Time {
	iv := n.ivals
	if n.on {
		iv = append(iv[:len(iv):len(iv)], [2]time.Time{n.since, end})
	}
	return iv
}

var _ sim.PresenceAware = (*node)(nil)

// traceKind maps engine events to trace events.
func traceEvent(n *node, now time.Time, ev sync.Event) (trace.Event, bool) {
	te := trace.Event{Time: now, Node: string(n.name), Layer: "sync", MsgID: sync.Short(ev.ID), Peer: string(ev.Peer)}
	switch ev.Kind {
	case sync.EventDelivered:
		te.Kind = trace.KindDeliver
	case sync.EventDropped:
		te.Kind, te.Reason = trace.KindDrop, ev.Reason
	case sync.EventExpired:
		te.Kind, te.Reason = trace.KindExpire, ev.Reason
	case sync.EventParentLost:
		te.Kind, te.Reason = trace.KindDrop, trace.ReasonParentLost
	default:
		return te, false
	}
	return te, true
}
